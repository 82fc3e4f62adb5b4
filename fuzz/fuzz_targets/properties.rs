//! `NT_GNU_PROPERTY_TYPE_0` descriptors. Byte 0 picks class, byte order
//! and machine; the rest is the descriptor. Seeds: the property notes of
//! the `libcet`, `libisa3` and `libbti-arm64` fixtures.
#![no_main]

use elfgate::elf::{Class, parse_properties};
use libfuzzer_sys::fuzz_target;
use object::Endianness;

const MACHINES: [u16; 4] = [
    object::elf::EM_X86_64.0,
    object::elf::EM_386.0,
    object::elf::EM_AARCH64.0,
    object::elf::EM_RISCV.0,
];

fuzz_target!(|data: &[u8]| {
    let Some((&sel, desc)) = data.split_first() else {
        return;
    };
    let class = if sel & 1 == 0 {
        Class::Elf64
    } else {
        Class::Elf32
    };
    let endian = if sel & 2 == 0 {
        Endianness::Little
    } else {
        Endianness::Big
    };
    let machine = MACHINES[usize::from(sel >> 2) % MACHINES.len()];
    let props = parse_properties(desc, class, endian, machine);
    // At most MAX_WARNINGS (16) per structure, plus the one that ends the walk.
    assert!(
        props.warnings.len() <= 17,
        "{} warnings",
        props.warnings.len()
    );
    assert!(props.errors.len() <= 17, "{} errors", props.errors.len());
});
