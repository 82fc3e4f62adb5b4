//! `.go.buildinfo` blobs, both formats. The pointer format reads through an
//! address space that maps the input itself at [`BASE`], so pointers into
//! the input resolve and others do not. Seeds: `.go.buildinfo` sections.
#![no_main]

use elfgate::go::AddressSpace;
use elfgate::go::buildinfo::{decode, find_and_decode};
use libfuzzer_sys::fuzz_target;

/// Where the input is mapped; 16-aligned, as the linker aligns the section.
const BASE: u64 = 0x0052_0000;

struct SelfMapped<'a> {
    data: &'a [u8],
    /// Returned for every relocation lookup that falls in the input, to
    /// reach the lld-PIE path (stored pointer 0, value in a RELA addend).
    addend: u64,
}

impl AddressSpace for SelfMapped<'_> {
    fn read(&self, vaddr: u64, len: u64) -> Option<&[u8]> {
        let off = usize::try_from(vaddr.checked_sub(BASE)?).ok()?;
        let rest = self.data.get(off..)?;
        let len = usize::try_from(len).unwrap_or(usize::MAX);
        Some(rest.get(..len).unwrap_or(rest))
    }

    fn relocation_addend(&self, slot_vaddr: u64) -> Option<u64> {
        let off = slot_vaddr.checked_sub(BASE)?;
        (off < self.data.len() as u64).then_some(self.addend)
    }
}

fuzz_target!(|data: &[u8]| {
    // The last 8 bytes double as the addend, so both branches are reachable.
    let addend = data
        .last_chunk::<8>()
        .map(|b| BASE.wrapping_add(u64::from_le_bytes(*b) % 0x1_0000))
        .unwrap_or(BASE);
    let mem = SelfMapped { data, addend };
    let _ = decode(data, Some(BASE), Some(&mem));
    let _ = decode(data, None, None);
    // Unaligned start: the scan must round up to 16 as Go does.
    let _ = find_and_decode(data, Some(BASE + 8), Some(&mem));
    let _ = find_and_decode(data, None, Some(&mem));
});
