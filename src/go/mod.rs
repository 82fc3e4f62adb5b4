//! Go-specific readers. Every function here takes byte slices (or the small
//! [`AddressSpace`] seam) and returns values; none does I/O or knows policy.

pub mod buildinfo;
pub mod dwarf;
pub mod modinfo;
pub mod modulehash;
pub mod pclnstream;
pub mod pclntab;
pub mod scan;
pub mod version;
pub mod window;

/// The view of a loaded image that the Go readers need, like the `exe`
/// interface of Go's `debug/buildinfo`: the decoder never sees ELF structs.
pub trait AddressSpace {
    /// File-backed bytes at virtual address `vaddr`, at most `len` of them,
    /// never past the end (`p_filesz`) of the segment that maps `vaddr`.
    /// `None` when no segment maps `vaddr`.
    fn read(&self, vaddr: u64, len: u64) -> Option<&[u8]>;

    /// The addend of a relative dynamic relocation whose target is the
    /// pointer slot at `slot_vaddr`, if there is one. PIE linkers such as
    /// lld may leave the stored pointer zero and keep the value only here.
    fn relocation_addend(&self, slot_vaddr: u64) -> Option<u64>;
}

pub use crate::readat::{Positional, ReadAt};
