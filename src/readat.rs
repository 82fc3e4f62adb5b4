//! Positional reads into the caller's buffer: how tables too large to hold
//! whole (the pclntab's name table, `.strtab`) are streamed. A file in the
//! product, a slice in tests.

/// Fills a caller's buffer from an offset.
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
