//! Go's module hash tables: what `plugin.Open` and the start of a
//! `-linkshared` executable compare, read statically.
//!
//! Layout (runtime/symtab.go `modulehash`, written by
//! cmd/link/internal/ld/symtab.go):
//!
//! ```text
//! type modulehash struct {
//!     modulename   string   // ptr, len
//!     linktimehash string   // ptr, len: the hash this module was linked against
//!     runtimehash  *string  // bound by the dynamic linker to another module's symbol
//! }
//! ```
//!
//! A plugin's `moduledata.pkghashes` has one entry per package it links,
//! `runtimehash` pointing at `go:link.pkghash.<pkg>` (a string header over
//! the 8-byte `go:link.pkghashbytes.<pkg>`); the dynamic linker binds it to
//! the host's copy when the host exports one, so `plugin.Open` compares the
//! host's hash with the one the plugin was linked with, in table order
//! (runtime/plugin.go `plugin_lastmoduleinit`). A `-linkshared`
//! executable's `moduledata.modulehashes` has one entry per Go shared
//! library, `runtimehash` bound to the library's `go:link.abihash.<lib>`,
//! checked at start (`moduledataverify1`, "abi mismatch").
//!
//! The entries are found through the relocations of their `runtimehash`
//! words (`ElfView::symbol_relocations`): the entry starts four words
//! before. Pointers are read as stored, or from a relative relocation when
//! the stored word is 0 (PIE and shared objects), as in [`super::buildinfo`].

use super::AddressSpace;

/// The longest module or package name read; import paths are far shorter.
pub const MAX_NAME: u64 = 4096;
/// The longest hash read: package fingerprints are 8 bytes, ABI hashes 32.
pub const MAX_HASH: u64 = 64;

/// Why an entry or string could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum HashError {
    #[error("{what} at {vaddr:#x} is not in the file")]
    Unmapped { what: &'static str, vaddr: u64 },
    #[error("{what}: pointer at {slot:#x} is 0 and no relocation gives it")]
    NullPointer { what: &'static str, slot: u64 },
    #[error("{what} at {vaddr:#x}: length {len} is more than {limit}")]
    TooLong {
        what: &'static str,
        vaddr: u64,
        len: u64,
        limit: u64,
    },
    #[error("{what} at {slot:#x}: address overflows")]
    Overflow { what: &'static str, slot: u64 },
}

/// Word size and byte order of the image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Words {
    /// 4 or 8.
    pub ptr_size: u8,
    pub big_endian: bool,
}

/// One `modulehash` entry: the name and the hash the module was linked with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleHash {
    pub name: Vec<u8>,
    pub linktime: Vec<u8>,
}

impl Words {
    fn word(&self, b: &[u8]) -> u64 {
        let n = usize::from(self.ptr_size);
        let mut v: u64 = 0;
        for i in 0..n {
            let at = if self.big_endian { i } else { n - 1 - i };
            v = (v << 8) | u64::from(b.get(at).copied().unwrap_or(0));
        }
        v
    }

    /// The word stored at `slot`, exactly.
    fn read_word(
        &self,
        mem: &dyn AddressSpace,
        slot: u64,
        what: &'static str,
    ) -> Result<u64, HashError> {
        let len = u64::from(self.ptr_size);
        match mem.read(slot, len) {
            Some(b) if b.len() as u64 == len => Ok(self.word(b)),
            _ => Err(HashError::Unmapped { what, vaddr: slot }),
        }
    }

    /// A pointer: stored, or (when 0) the addend of a relative relocation.
    fn pointer(
        &self,
        mem: &dyn AddressSpace,
        slot: u64,
        what: &'static str,
    ) -> Result<u64, HashError> {
        let stored = self.read_word(mem, slot, what)?;
        if stored != 0 {
            return Ok(stored);
        }
        mem.relocation_addend(slot)
            .filter(|&a| a != 0)
            .ok_or(HashError::NullPointer { what, slot })
    }
}

/// The bytes of the Go string whose header is at `header`, at most `limit`
/// of them (a longer one is an error, not a truncation).
pub fn string_at<'m>(
    mem: &'m dyn AddressSpace,
    w: Words,
    header: u64,
    limit: u64,
    what: &'static str,
) -> Result<&'m [u8], HashError> {
    let len_slot = header
        .checked_add(u64::from(w.ptr_size))
        .ok_or(HashError::Overflow { what, slot: header })?;
    let len = w.read_word(mem, len_slot, what)?;
    if len > limit {
        return Err(HashError::TooLong {
            what,
            vaddr: header,
            len,
            limit,
        });
    }
    if len == 0 {
        return Ok(&[]);
    }
    let ptr = w.pointer(mem, header, what)?;
    match mem.read(ptr, len) {
        Some(b) if b.len() as u64 == len => Ok(b),
        _ => Err(HashError::Unmapped { what, vaddr: ptr }),
    }
}

/// The entry whose `runtimehash` word is at `runtimehash_slot`.
pub fn entry_at(
    mem: &dyn AddressSpace,
    w: Words,
    runtimehash_slot: u64,
) -> Result<ModuleHash, HashError> {
    let word = u64::from(w.ptr_size);
    let overflow = HashError::Overflow {
        what: "module hash entry",
        slot: runtimehash_slot,
    };
    let start = runtimehash_slot
        .checked_sub(word.saturating_mul(4))
        .ok_or(overflow.clone())?;
    let hash_header = start.checked_add(word.saturating_mul(2)).ok_or(overflow)?;
    let name = string_at(mem, w, start, MAX_NAME, "module hash name")?;
    let linktime = string_at(mem, w, hash_header, MAX_HASH, "module hash linktimehash")?;
    Ok(ModuleHash {
        name: name.to_vec(),
        linktime: linktime.to_vec(),
    })
}

/// Which `runtime.moduledata` layout a Go release has, as far as a host
/// reading a plugin's module data is concerned (`next`, `bad`,
/// `pluginpath`, `pkghashes`, `typemap`, and the fields before them):
/// releases with the same id read each other's module data as it was
/// written, so `plugin.Open` gets to the package hashes; releases with
/// different ids do not, and the host dies first (`fatal error: runtime:
/// no plugin module data`, seen for go1.21/go1.23 and go1.25/go1.27 both
/// ways). `None`: a release whose layout is not known here.
///
/// From runtime/symtab.go of go1.19.8, go1.21.13, go1.23.9, go1.25.5 and
/// go1.27.3: 1.21 added `covctrs` and `inittasks`, 1.23 moved `bad` after
/// `hasmain` (1.25 kept that), 1.27 added `typedesclen`, `itaboffset`,
/// `itabsize`, `epclntab` and dropped `typelinks` and `itablinks`. go1.26
/// was measured to fail both ways against go1.25 and go1.27 alike, so its
/// layout differs from both.
pub fn moduledata_layout(major: u64, minor: u64) -> Option<&'static str> {
    match (major, minor) {
        (1, 19) => Some("go1.19"),
        (1, 21) => Some("go1.21"),
        (1, 23) | (1, 25) => Some("go1.23"),
        (1, 26) => Some("go1.26"),
        (1, 27) => Some("go1.27"),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A flat image at `BASE`, with relative relocations given by hand.
    struct Image {
        bytes: Vec<u8>,
        addends: Vec<(u64, u64)>,
    }

    const BASE: u64 = 0x1000;

    impl AddressSpace for Image {
        fn read(&self, vaddr: u64, len: u64) -> Option<&[u8]> {
            let start = usize::try_from(vaddr.checked_sub(BASE)?).ok()?;
            let rest = self.bytes.get(start..)?;
            rest.get(..usize::try_from(len).ok()?.min(rest.len()))
        }
        fn relocation_addend(&self, slot: u64) -> Option<u64> {
            self.addends
                .iter()
                .find(|(s, _)| *s == slot)
                .map(|(_, a)| *a)
        }
    }

    fn le(v: u64) -> [u8; 8] {
        v.to_le_bytes()
    }

    /// name "pkg" at 0x1100, hash at 0x1108; entry at 0x1000 with the
    /// name pointer stored and the hash pointer left to a relocation.
    fn image() -> Image {
        let mut bytes = vec![0u8; 0x200];
        let mut put = |at: usize, b: &[u8]| bytes[at..at + b.len()].copy_from_slice(b);
        put(0x00, &le(0x1100));
        put(0x08, &le(3));
        put(0x10, &le(0));
        put(0x18, &le(8));
        put(0x20, &le(0xdead));
        put(0x100, b"pkg");
        put(0x108, b"\x01\x02\x03\x04\x05\x06\x07\x08");
        Image {
            bytes,
            addends: vec![(0x1010, 0x1108)],
        }
    }

    const W: Words = Words {
        ptr_size: 8,
        big_endian: false,
    };

    #[test]
    fn entry_through_stored_and_relocated_pointers() {
        let img = image();
        let e = entry_at(&img, W, 0x1020).unwrap();
        assert_eq!(e.name, b"pkg");
        assert_eq!(e.linktime, b"\x01\x02\x03\x04\x05\x06\x07\x08");
    }

    #[test]
    fn bad_entries_are_errors() {
        let mut img = image();
        img.addends.clear();
        assert!(matches!(
            entry_at(&img, W, 0x1020),
            Err(HashError::NullPointer { .. })
        ));
        let mut img = image();
        img.bytes[0x18..0x20].copy_from_slice(&le(1 << 40));
        assert!(matches!(
            entry_at(&img, W, 0x1020),
            Err(HashError::TooLong { .. })
        ));
        assert!(matches!(
            entry_at(&image(), W, 0x10),
            Err(HashError::Overflow { .. })
        ));
        let mut img = image();
        img.bytes[0..8].copy_from_slice(&le(0x9_0000));
        assert!(matches!(
            entry_at(&img, W, 0x1020),
            Err(HashError::Unmapped { .. })
        ));
        // Big-endian 32-bit words.
        let w = Words {
            ptr_size: 4,
            big_endian: true,
        };
        let img = Image {
            bytes: [0u8, 0, 0x10, 0x08, 0, 0, 0, 2, b'h', b'i'].to_vec(),
            addends: vec![],
        };
        assert_eq!(string_at(&img, w, 0x1000, 8, "s").unwrap(), b"hi");
    }

    #[test]
    fn layouts() {
        assert_eq!(moduledata_layout(1, 23), moduledata_layout(1, 25));
        assert_ne!(moduledata_layout(1, 25), moduledata_layout(1, 27));
        assert_ne!(moduledata_layout(1, 21), moduledata_layout(1, 23));
        assert_eq!(moduledata_layout(1, 24), None);
    }
}
