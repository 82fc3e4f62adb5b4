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

/// Positional reads into the caller's buffer, for tables too large to hold
/// whole (see [`pclnstream`]): a file in the product, a slice in tests.
pub trait ReadAt {
    /// Fills `buf` from `offset`; false when those bytes are not there.
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> bool;
}

impl ReadAt for &[u8] {
    fn read_exact_at(&self, offset: u64, buf: &mut [u8]) -> bool {
        let src = usize::try_from(offset)
            .ok()
            .and_then(|o| self.get(o..)?.get(..buf.len()));
        match src {
            Some(src) => {
                buf.copy_from_slice(src);
                true
            }
            None => false,
        }
    }
}

/// A byte source that can also be read positionally from other threads,
/// so that two parts of one table are streamed at once.
pub trait Positional {
    fn positional(&self) -> &(dyn ReadAt + Sync + '_);
}

impl Positional for &[u8] {
    fn positional(&self) -> &(dyn ReadAt + Sync + '_) {
        self
    }
}
