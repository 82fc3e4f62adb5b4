//! DWARF producers through the product's path: the input is an ELF file,
//! its debug sections are found (and decompressed) by `debug_section`, then
//! `producers_from_sections` reads the units. Seeds: the fixtures with
//! DWARF, reduced to their debug sections by `objcopy --only-keep-debug`
//! (also zlib-compressed), so that mutations land mostly in DWARF.
#![no_main]

use elfgate::elf::ByteOrder;
use elfgate::go::dwarf::producers_from_sections;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(view) = elfgate::elf::open(data) else {
        return;
    };
    let big = view.header().byte_order == ByteOrder::Big;
    let _ = producers_from_sections(
        |id| view.debug_section(id.name().as_bytes()).ok().flatten(),
        big,
        64,
    );
});
