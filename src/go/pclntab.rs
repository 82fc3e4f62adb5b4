//! Go's pclntab: the header magic (which bounds the toolchain version) and
//! the function-name table, which survives `strip` and `-ldflags=-s`.
//!
//! Primary sources: the runtime's `pcHeader`, `functab` and `_func` in
//! `src/runtime/symtab.go` / `runtime2.go` (Go 1.16, 1.18, 1.27), the
//! magics in `src/internal/abi/symtab.go`, and the reader in
//! `src/debug/gosym/pclntab.go, parsePclnTab`. See also
//! `shared/reference/elf-go-formats.md` §6.
//!
//! ```text
//! offset 0  magic u32        0xfffffffb 1.2-1.15, 0xfffffffa 1.16-1.17,
//!                            0xfffffff0 1.18-1.19, 0xfffffff1 1.20+
//!                            (either byte order: it tells the endianness)
//!        4  pad1, pad2 u8    0, 0
//!        6  minLC u8         1, 2 or 4 (instruction size quantum)
//!        7  ptrSize u8       4 or 8
//!        8  words of ptrSize bytes, all offsets relative to offset 0:
//!           1.2:   nfunc, then functab follows at once
//!           1.16:  nfunc, nfiles, funcnameOffset, cuOffset, filetabOffset,
//!                  pctabOffset, pclnOffset
//!           1.18+: nfunc, nfiles, textStart (unused here), funcnameOffset,
//!                  cuOffset, filetabOffset, pctabOffset, pclnOffset
//!
//! functab (at pclnOffset; right after the header for 1.2):
//!   nfunc x { entry, funcoff } then one final entry (end PC).
//!   Fields are u32 for 1.18+ and ptrSize wide before.
//! _func (at funcdata + funcoff; funcdata = pclnOffset, or 0 for 1.2):
//!   1.18+: entryOff u32, nameOff i32, ...
//!   older: entry uintptr, nameOff i32, ...
//! name: NUL-terminated, at funcnametab + nameOff
//!   (funcnametab = funcnameOffset, or 0 for 1.2).
//! ```
//!
//! Unlike `debug/gosym`, which recovers from out-of-range panics, every
//! offset here is checked and every loop is bounded by the table's length.

use std::fmt;
use std::iter::FusedIterator;

use object::Endianness;

/// Candidates [`find`] tries before giving up: real read-only data holds
/// the magic bytes a handful of times at most.
const MAX_FIND_CANDIDATES: usize = 256;

/// Finds a pclntab inside a larger region (a read-only segment of a file
/// without section headers): every 4-byte-aligned occurrence of a magic,
/// in either byte order, followed by the two zero pad bytes, is tried with
/// [`parse_header`], which validates every header offset against the data.
/// Returns the offset of the header and the table.
pub fn find(data: &[u8]) -> Option<(usize, PclnTab<'_>)> {
    let mut tried = 0usize;
    let mut best: Option<usize> = None;
    for layout in Layout::ALL {
        for magic in [layout.magic().to_le_bytes(), layout.magic().to_be_bytes()] {
            let pattern = [magic[0], magic[1], magic[2], magic[3], 0, 0];
            for hit in memchr::memmem::find_iter(data, &pattern) {
                if hit % 4 != 0 {
                    continue;
                }
                tried += 1;
                if tried > MAX_FIND_CANDIDATES {
                    break;
                }
                if best.is_some_and(|b| b <= hit) {
                    break;
                }
                if data.get(hit..).is_some_and(|d| parse_header(d).is_ok()) {
                    best = Some(hit);
                    break;
                }
            }
        }
    }
    let at = best?;
    let table = parse_header(data.get(at..)?).ok()?;
    Some((at, table))
}

/// The four table layouts, named by the first Go release that wrote them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// Magic `0xfffffffb`: Go 1.2 through 1.15.
    Go12,
    /// Magic `0xfffffffa`: Go 1.16 and 1.17.
    Go116,
    /// Magic `0xfffffff0`: Go 1.18 and 1.19.
    Go118,
    /// Magic `0xfffffff1`: Go 1.20 and later.
    Go120,
}

impl Layout {
    const ALL: [Layout; 4] = [Layout::Go12, Layout::Go116, Layout::Go118, Layout::Go120];

    /// The magic as the runtime writes it (`abi.Go1NNPCLnTabMagic`).
    pub fn magic(self) -> u32 {
        match self {
            Layout::Go12 => 0xffff_fffb,
            Layout::Go116 => 0xffff_fffa,
            Layout::Go118 => 0xffff_fff0,
            Layout::Go120 => 0xffff_fff1,
        }
    }

    /// The Go releases that write this layout.
    pub fn version_range(self) -> VersionRange {
        let (min, max) = match self {
            Layout::Go12 => ("1.2", Some("1.16")),
            Layout::Go116 => ("1.16", Some("1.18")),
            Layout::Go118 => ("1.18", Some("1.20")),
            Layout::Go120 => ("1.20", None),
        };
        VersionRange { min, max }
    }

    /// Number of pointer-sized words after the 8-byte prefix.
    fn header_words(self) -> usize {
        match self {
            Layout::Go12 => 1,
            Layout::Go116 => 7,
            Layout::Go118 | Layout::Go120 => 8,
        }
    }

    /// The word index of `funcnameOffset`; the four offsets after it follow
    /// in header order (`cuOffset`, `filetabOffset`, `pctabOffset`, `pclnOffset`).
    fn funcname_word(self) -> Option<usize> {
        match self {
            Layout::Go12 => None,
            Layout::Go116 => Some(2),
            Layout::Go118 | Layout::Go120 => Some(3),
        }
    }
}

/// Go releases `min <= v < max` (by major.minor), as implied by a magic.
///
/// `max` is exclusive: the 1.18 magic gives `min "1.18", max Some("1.20")`,
/// displayed `>=1.18, <1.20`. The strings are constants of this module,
/// always `major.minor`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct VersionRange {
    /// Lowest release, inclusive.
    pub min: &'static str,
    /// First release no longer in the range; `None` for the current layout.
    pub max: Option<&'static str>,
}

impl VersionRange {
    /// Whether Go `major.minor` (any patch or prerelease) is in the range.
    pub fn contains(&self, major: u64, minor: u64) -> bool {
        let v = (major, minor);
        let above_min = major_minor(self.min).is_some_and(|min| v >= min);
        let below_max = match self.max {
            None => true,
            Some(max) => major_minor(max).is_some_and(|max| v < max),
        };
        above_min && below_max
    }
}

impl fmt::Display for VersionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, ">={}", self.min)?;
        if let Some(max) = self.max {
            write!(f, ", <{max}")?;
        }
        Ok(())
    }
}

/// Parses this module's own `major.minor` constants.
fn major_minor(s: &str) -> Option<(u64, u64)> {
    let (major, minor) = s.split_once('.')?;
    Some((major.parse().ok()?, minor.parse().ok()?))
}

/// Why a pclntab could not be read. Offsets are from the start of the table.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PclnError {
    #[error("pclntab header at 0x0: {len} bytes, need {need}")]
    HeaderTruncated { need: usize, len: usize },
    #[error(
        "pclntab header at 0x0: magic {magic:#010x} (read little-endian) is not a Go 1.2+ pclntab magic"
    )]
    UnknownMagic { magic: u32 },
    #[error("pclntab header at 0x4: padding {pad:02x?} is not zero")]
    BadPadding { pad: [u8; 2] },
    #[error("pclntab header at 0x6: minLC {0} is not 1, 2 or 4")]
    BadMinLc(u8),
    #[error("pclntab header at 0x7: ptrSize {0} is not 4 or 8")]
    BadPtrSize(u8),
    #[error("pclntab header {field} at {at:#x}: value {value:#x} is past the table end {len:#x}")]
    OffsetPastEnd {
        field: &'static str,
        at: usize,
        value: u64,
        len: usize,
    },
    #[error(
        "pclntab header {field} at {at:#x}: value {value:#x} is before {before} ({before_value:#x}); the linker writes the tables in header order"
    )]
    OffsetOutOfOrder {
        field: &'static str,
        at: usize,
        value: u64,
        before: &'static str,
        before_value: u64,
    },
    #[error(
        "pclntab functab at {offset:#x}: {nfunc} functions (+1 end entry) of {entry_size} bytes do not fit in {len:#x} bytes"
    )]
    FunctabPastEnd {
        offset: usize,
        nfunc: u64,
        entry_size: usize,
        len: usize,
    },
    #[error("pclntab function {index}: _func at {offset:#x} is past the table end")]
    FuncPastEnd { index: usize, offset: u64 },
    #[error("pclntab function {index}: _func at {func_offset:#x} has negative nameOff {name_off}")]
    NegativeNameOff {
        index: usize,
        func_offset: usize,
        name_off: i32,
    },
    #[error("pclntab function {index}: name at {offset:#x} is past the table end")]
    NamePastEnd { index: usize, offset: u64 },
    #[error(
        "pclntab functions: names overlap far more than a linker writes (over {budget} bytes of names in all)"
    )]
    NameOverlapBudget { budget: u64 },
    #[error("pclntab funcnametab at {offset:#x}: past the end of the file")]
    NameTablePastEnd { offset: u64 },
    #[error("pclntab funcnametab: the name at {offset:#x} runs to the table end without a NUL")]
    NameTableUnterminated { offset: u64 },
    #[error("pclntab function {index}: name at {offset:#x} has no terminating NUL")]
    NameUnterminated { index: usize, offset: usize },
    #[error(
        "pclntab function {index}: name at {offset:#x} exceeds the scan budget ({budget} bytes of names in all)"
    )]
    NameBudgetExhausted {
        index: usize,
        offset: usize,
        budget: usize,
    },
}

/// A validated pclntab header over the table's bytes.
///
/// `parse_header` checks the fixed fields, that every header offset lies
/// inside the table, and that the functab (`nfunc` entries plus the end
/// entry) fits; so `nfunc()` is at most `len / 8`, whatever the header said.
#[derive(Debug, Clone, Copy)]
pub struct PclnTab<'a> {
    data: &'a [u8],
    layout: Layout,
    endian: Endianness,
    ptr_size: u8,
    min_lc: u8,
    nfunc: usize,
    /// Width of one functab field: u32 since 1.18, a pointer before.
    field_size: usize,
    /// Where the functab starts.
    functab: usize,
    /// What `funcoff` is relative to.
    funcdata: usize,
    /// What `nameOff` is relative to.
    funcnametab: usize,
}

/// What the fixed part of a header says, before any offset is checked
/// against the table: enough for a version range and a function count
/// without reading the (often tens of MiB) table itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Peek {
    pub layout: Layout,
    pub endian: Endianness,
    pub min_lc: u8,
    pub ptr_size: u8,
    /// `nfunc` as the header states it (not checked against the table).
    pub nfunc: u64,
    /// Length of the header for this layout and pointer size.
    pub header_len: usize,
}

/// Reads the header fields alone; `data` needs only the header's bytes.
pub fn peek(data: &[u8]) -> Result<Peek, PclnError> {
    let prefix: [u8; 8] =
        data.get(..8)
            .and_then(|b| b.try_into().ok())
            .ok_or(PclnError::HeaderTruncated {
                need: 8,
                len: data.len(),
            })?;
    let [m0, m1, m2, m3, pad1, pad2, min_lc, ptr_size] = prefix;
    let le = u32::from_le_bytes([m0, m1, m2, m3]);
    let be = u32::from_be_bytes([m0, m1, m2, m3]);
    // Go picked the magics so that no magic read in the wrong byte order is
    // another magic; the order of these checks does not matter.
    let (layout, endian) = Layout::ALL
        .iter()
        .find_map(|&l| {
            if le == l.magic() {
                Some((l, Endianness::Little))
            } else if be == l.magic() {
                Some((l, Endianness::Big))
            } else {
                None
            }
        })
        .ok_or(PclnError::UnknownMagic { magic: le })?;
    if pad1 != 0 || pad2 != 0 {
        return Err(PclnError::BadPadding { pad: [pad1, pad2] });
    }
    if !matches!(min_lc, 1 | 2 | 4) {
        return Err(PclnError::BadMinLc(min_lc));
    }
    if !matches!(ptr_size, 4 | 8) {
        return Err(PclnError::BadPtrSize(ptr_size));
    }
    let ptr = usize::from(ptr_size);
    // At most 8 + 8 * 8 = 72 bytes: no overflow.
    let header_len = 8 + layout.header_words() * ptr;
    if data.len() < header_len {
        return Err(PclnError::HeaderTruncated {
            need: header_len,
            len: data.len(),
        });
    }
    let nfunc = read_uint(data, 8, ptr, endian).ok_or(PclnError::HeaderTruncated {
        need: header_len,
        len: data.len(),
    })?;
    Ok(Peek {
        layout,
        endian,
        min_lc,
        ptr_size,
        nfunc,
        header_len,
    })
}

/// Longest header of any layout: 8 bytes plus 8 words of 8 bytes.
pub const MAX_HEADER_LEN: usize = 72;

/// Reads the header and checks it against a table of `table_len` bytes,
/// from the header's bytes alone (`head` needs [`MAX_HEADER_LEN`] bytes, or
/// the whole table if shorter): every offset lies in the table and in the
/// order the linker writes the tables, and the functab (`nfunc` entries
/// plus the end entry) fits. The table itself, often tens of MiB, is not
/// read; a header that passes here still has each function checked when
/// names are read.
pub fn check_header(head: &[u8], table_len: u64) -> Result<Peek, PclnError> {
    let p = peek(head)?;
    geometry(head, &p, table_len)?;
    Ok(p)
}

/// Where the tables are, from the header, checked against the table length.
struct Geometry {
    nfunc: u64,
    /// Width of one functab field: u32 since 1.18, a pointer before.
    field_size: usize,
    functab: u64,
    funcdata: u64,
    funcnametab: u64,
    /// `cuOffset`, where the name table ends (0 for 1.2).
    names_end: u64,
}

fn geometry(head: &[u8], p: &Peek, len: u64) -> Result<Geometry, PclnError> {
    let ptr = usize::from(p.ptr_size);
    // Error values are for messages; a length past usize saturates there.
    let len_usize = usize::try_from(len).unwrap_or(usize::MAX);
    let truncated = PclnError::HeaderTruncated {
        need: p.header_len,
        len: head.len(),
    };
    if len < p.header_len as u64 {
        return Err(PclnError::HeaderTruncated {
            need: p.header_len,
            len: len_usize,
        });
    }
    let word = |i: usize| {
        let at = 8 + i * ptr;
        read_uint(head, at, ptr, p.endian).map(|v| (at, v))
    };
    // Within the header length `peek` checked.
    let (_, nfunc) = word(0).ok_or_else(|| truncated.clone())?;

    let (functab, funcdata, funcnametab, names_end) = match p.layout.funcname_word() {
        None => (p.header_len as u64, 0, 0, 0),
        Some(first) => {
            const NAMES: [&str; 5] = [
                "funcnameOffset",
                "cuOffset",
                "filetabOffset",
                "pctabOffset",
                "pclnOffset",
            ];
            let mut offsets = [0u64; 5];
            // The linker writes the header, then funcnametab, cutab,
            // filetab, pctab and functab, in that order
            // (`cmd/link/internal/ld/pcln.go`, Go 1.16 to 1.27): each
            // offset is at least the one before, the first past the header.
            let mut prev = ("the header end", p.header_len as u64);
            for (slot, (name, out)) in NAMES.iter().zip(offsets.iter_mut()).enumerate() {
                let (at, value) = word(first + slot).ok_or_else(|| truncated.clone())?;
                if value > len {
                    return Err(PclnError::OffsetPastEnd {
                        field: name,
                        at,
                        value,
                        len: len_usize,
                    });
                }
                if value < prev.1 {
                    return Err(PclnError::OffsetOutOfOrder {
                        field: name,
                        at,
                        value,
                        before: prev.0,
                        before_value: prev.1,
                    });
                }
                prev = (name, value);
                *out = value;
            }
            let [funcname, cu, _, _, pcln] = offsets;
            (pcln, pcln, funcname, cu)
        }
    };

    let field_size = match p.layout {
        Layout::Go118 | Layout::Go120 => 4,
        Layout::Go12 | Layout::Go116 => ptr,
    };
    let entry_size = 2 * field_size;
    // (2 * nfunc + 1) fields must fit after `functab`.
    let room = len.saturating_sub(functab);
    let fits = nfunc
        .checked_mul(entry_size as u64)
        .and_then(|n| n.checked_add(field_size as u64))
        .is_some_and(|need| need <= room);
    if !fits {
        return Err(PclnError::FunctabPastEnd {
            offset: usize::try_from(functab).unwrap_or(usize::MAX),
            nfunc,
            entry_size,
            len: len_usize,
        });
    }
    Ok(Geometry {
        nfunc,
        field_size,
        functab,
        funcdata,
        funcnametab,
        names_end,
    })
}

/// Where a Go 1.16+ table keeps its names and the records that point at
/// them, as offsets from the table start; what [`super::pclnstream`]
/// needs to search names without reading the whole table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NameLayout {
    /// `funcnametab`: `[funcnameOffset, cuOffset)`.
    pub names: (u64, u64),
    pub functab: u64,
    pub funcdata: u64,
    pub nfunc: u64,
    /// Width of one functab field.
    pub field_size: usize,
    /// Offset of `nameOff` in a `_func`: after the entry field.
    pub name_field: usize,
    pub endian: Endianness,
    pub table_len: u64,
}

/// The [`NameLayout`] of a table of `table_len` bytes from its header's
/// bytes (see [`check_header`]); `None` for the Go 1.2-1.15 layout, whose
/// names lie among other data.
pub fn name_layout(head: &[u8], table_len: u64) -> Result<Option<NameLayout>, PclnError> {
    let p = peek(head)?;
    let g = geometry(head, &p, table_len)?;
    if p.layout == Layout::Go12 {
        return Ok(None);
    }
    Ok(Some(NameLayout {
        names: (g.funcnametab, g.names_end),
        functab: g.functab,
        funcdata: g.funcdata,
        nfunc: g.nfunc,
        field_size: g.field_size,
        name_field: match p.layout {
            Layout::Go118 | Layout::Go120 => 4,
            Layout::Go12 | Layout::Go116 => usize::from(p.ptr_size),
        },
        endian: p.endian,
        table_len,
    }))
}

/// Reads the header of the pclntab starting at `data[0]`.
///
/// The caller hands over the bytes from the header on: the `.gopclntab`
/// section, `.data.rel.ro.gopclntab`, or `runtime.pclntab..runtime.epclntab`.
pub fn parse_header(data: &[u8]) -> Result<PclnTab<'_>, PclnError> {
    let p = peek(data)?;
    let g = geometry(data, &p, data.len() as u64)?;
    // `geometry` checked every offset and the functab against `data.len()`.
    let offset = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
    Ok(PclnTab {
        data,
        layout: p.layout,
        endian: p.endian,
        ptr_size: p.ptr_size,
        min_lc: p.min_lc,
        nfunc: offset(g.nfunc),
        field_size: g.field_size,
        functab: offset(g.functab),
        funcdata: offset(g.funcdata),
        funcnametab: offset(g.funcnametab),
    })
}

/// How many name bytes one pass over the functions may scan, as a multiple
/// of the table length. Real tables store each name once (ABI wrappers share
/// their function's name), so their names add up to well under the table
/// length; a hostile table pointing every function at one long unterminated
/// run would otherwise cost `nfunc * len`.
const NAME_SCAN_BUDGET_FACTOR: usize = 4;

impl<'a> PclnTab<'a> {
    /// Which of the four layouts the magic announced.
    pub fn layout(&self) -> Layout {
        self.layout
    }

    /// The Go releases that write this table's layout.
    pub fn version_range(&self) -> VersionRange {
        self.layout.version_range()
    }

    /// Byte order of the table, hence of the target.
    pub fn endianness(&self) -> Endianness {
        self.endian
    }

    /// Target pointer size in bytes: 4 or 8.
    pub fn ptr_size(&self) -> u8 {
        self.ptr_size
    }

    /// Instruction size quantum: 1 (x86), 2 (s390x), 4 (RISC).
    pub fn min_lc(&self) -> u8 {
        self.min_lc
    }

    /// Number of functions; bounded by the table length (see [`parse_header`]).
    pub fn nfunc(&self) -> usize {
        self.nfunc
    }

    /// The function names in functab order (entry PC order), as stored.
    ///
    /// These are the runtime's names (`runtime.FuncForPC`), not `.symtab`'s:
    /// assembly (ABI0) functions lack the `.abi0` suffix the symbol table
    /// gives them (`crypto/internal/boring/sig.BoringCrypto.abi0` is stored
    /// as `crypto/internal/boring/sig.BoringCrypto`), ABI wrappers repeat
    /// their function's name, and markers such as `runtime.text` are absent.
    ///
    /// Yields at most `nfunc()` items; stops for good after the first error.
    pub fn funcs(&self) -> Funcs<'a> {
        Funcs {
            tab: *self,
            index: 0,
            budget: self.data.len().saturating_mul(NAME_SCAN_BUDGET_FACTOR),
            done: false,
        }
    }

    /// Whether some function is named exactly `name`.
    ///
    /// Compares in place without allocating or scanning for NULs. A table
    /// that turns out corrupt before a match answers `false`; use
    /// [`PclnTab::try_contains`] to tell "absent" from "unreadable".
    pub fn contains(&self, name: &[u8]) -> bool {
        self.try_contains(name).unwrap_or(false)
    }

    /// Like [`PclnTab::contains`], but reports a corrupt table.
    pub fn try_contains(&self, name: &[u8]) -> Result<bool, PclnError> {
        // A stored name ends at its first NUL, so it cannot hold one.
        if name.contains(&0) {
            return Ok(false);
        }
        for index in 0..self.nfunc {
            let start = self.name_start(index)?;
            // `name_start` checked `start < len`.
            let stored = self.data.get(start..).unwrap_or_default();
            if stored.get(..name.len()) == Some(name) && stored.get(name.len()) == Some(&0) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// Offset of function `index`'s name; always `< data.len()`.
    fn name_start(&self, index: usize) -> Result<usize, PclnError> {
        let data = self.data;
        // functab entry `index` is { entry, funcoff }; parse_header checked
        // that all nfunc entries fit, so only hostile callers overflow here.
        let funcoff_at = index
            .checked_mul(2)
            .and_then(|i| i.checked_add(1))
            .and_then(|i| i.checked_mul(self.field_size))
            .and_then(|i| i.checked_add(self.functab));
        let funcoff = funcoff_at
            .and_then(|at| read_uint(data, at, self.field_size, self.endian))
            .ok_or(PclnError::FuncPastEnd {
                index,
                offset: u64::MAX,
            })?;
        let func_past_end = PclnError::FuncPastEnd {
            index,
            offset: funcoff.saturating_add(to_u64(self.funcdata)),
        };
        let func_at = usize::try_from(funcoff)
            .ok()
            .and_then(|off| off.checked_add(self.funcdata))
            .ok_or_else(|| func_past_end.clone())?;
        // nameOff follows the entry field: u32 since 1.18, a pointer before.
        let entry_size = match self.layout {
            Layout::Go118 | Layout::Go120 => 4,
            Layout::Go12 | Layout::Go116 => usize::from(self.ptr_size),
        };
        let raw = func_at
            .checked_add(entry_size)
            .and_then(|at| read_uint(data, at, 4, self.endian))
            .and_then(|v| u32::try_from(v).ok())
            .ok_or(func_past_end)?;
        // The runtime declares nameOff int32.
        let name_off = raw.cast_signed();
        let name_off = usize::try_from(name_off).map_err(|_| PclnError::NegativeNameOff {
            index,
            func_offset: func_at,
            name_off,
        })?;
        self.funcnametab
            .checked_add(name_off)
            .filter(|&start| start < data.len())
            .ok_or(PclnError::NamePastEnd {
                index,
                offset: to_u64(self.funcnametab).saturating_add(to_u64(name_off)),
            })
    }
}

/// Iterator over function names; see [`PclnTab::funcs`].
#[derive(Debug, Clone)]
pub struct Funcs<'a> {
    tab: PclnTab<'a>,
    index: usize,
    /// Name bytes (with their NULs) this pass may still scan.
    budget: usize,
    done: bool,
}

impl<'a> Funcs<'a> {
    fn name(&mut self) -> Result<&'a [u8], PclnError> {
        let index = self.index;
        let start = self.tab.name_start(index)?;
        let rest = self.tab.data.get(start..).unwrap_or_default();
        let window = rest.get(..self.budget).unwrap_or(rest);
        match memchr::memchr(0, window) {
            Some(len) => {
                self.budget = self.budget.saturating_sub(len.saturating_add(1));
                Ok(window.get(..len).unwrap_or_default())
            }
            None if window.len() < rest.len() => Err(PclnError::NameBudgetExhausted {
                index,
                offset: start,
                budget: self.tab.data.len().saturating_mul(NAME_SCAN_BUDGET_FACTOR),
            }),
            None => Err(PclnError::NameUnterminated {
                index,
                offset: start,
            }),
        }
    }
}

impl<'a> Iterator for Funcs<'a> {
    type Item = Result<&'a [u8], PclnError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done || self.index >= self.tab.nfunc {
            return None;
        }
        let item = self.name();
        match item {
            Ok(_) => self.index = self.index.saturating_add(1),
            Err(_) => self.done = true,
        }
        Some(item)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        if self.done {
            (0, Some(0))
        } else {
            (0, Some(self.tab.nfunc.saturating_sub(self.index)))
        }
    }
}

impl FusedIterator for Funcs<'_> {}

/// Widens an offset for an error message.
fn to_u64(v: usize) -> u64 {
    u64::try_from(v).unwrap_or(u64::MAX)
}

/// Reads an unsigned integer of `size` (4 or 8) bytes at `at`.
fn read_uint(data: &[u8], at: usize, size: usize, endian: Endianness) -> Option<u64> {
    let bytes = data.get(at..)?.get(..size)?;
    match size {
        4 => {
            let b: [u8; 4] = bytes.try_into().ok()?;
            Some(u64::from(match endian {
                Endianness::Little => u32::from_le_bytes(b),
                Endianness::Big => u32::from_be_bytes(b),
            }))
        }
        8 => {
            let b: [u8; 8] = bytes.try_into().ok()?;
            Some(match endian {
                Endianness::Little => u64::from_le_bytes(b),
                Endianness::Big => u64::from_be_bytes(b),
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ENDIANS: [Endianness; 2] = [Endianness::Little, Endianness::Big];

    /// Function names used by most tests: a duplicate (ABI wrappers share
    /// names), a generic instantiation and a byte that is not UTF-8.
    const NAMES: [&[u8]; 6] = [
        b"runtime.main",
        b"runtime.main",
        b"main.main",
        b"main.(*T).String",
        b"pkg.F[go.shape.int]",
        b"odd.\xff",
    ];

    /// Size of our synthetic `_func` after its entry field: nameOff and 32
    /// bytes standing in for args, deferreturn, pcsp, ....
    const FUNC_TAIL: usize = 4 + 32;

    fn put(buf: &mut Vec<u8>, v: u64, size: usize, e: Endianness) {
        match (size, e) {
            (4, Endianness::Little) => buf.extend_from_slice(&(v as u32).to_le_bytes()),
            (4, Endianness::Big) => buf.extend_from_slice(&(v as u32).to_be_bytes()),
            (8, Endianness::Little) => buf.extend_from_slice(&v.to_le_bytes()),
            (8, Endianness::Big) => buf.extend_from_slice(&v.to_be_bytes()),
            _ => panic!("bad size {size}"),
        }
    }

    fn put_at(buf: &mut [u8], at: usize, v: u64, size: usize, e: Endianness) {
        let mut tmp = Vec::new();
        put(&mut tmp, v, size, e);
        buf[at..at + size].copy_from_slice(&tmp);
    }

    /// A table plus where its parts landed, so tests can corrupt them.
    struct Built {
        bytes: Vec<u8>,
        layout: Layout,
        endian: Endianness,
        ptr: usize,
        /// Offset of each function's `_func` record.
        funcs: Vec<usize>,
        /// What nameOff is relative to.
        funcnametab: usize,
    }

    impl Built {
        fn nfunc_at(&self) -> usize {
            8
        }
        fn name_off_at(&self, i: usize) -> usize {
            let entry = match self.layout {
                Layout::Go118 | Layout::Go120 => 4,
                _ => self.ptr,
            };
            self.funcs[i] + entry
        }
        fn set(&mut self, at: usize, v: u64, size: usize) {
            put_at(&mut self.bytes, at, v, size, self.endian);
        }
    }

    /// Lays out a table the way the Go linker does (`cmd/link/internal/ld/pcln.go`):
    /// header, funcnametab, cutab, filetab, pctab, then functab and `_func`s;
    /// for 1.2: header, functab, filetab offset, `_func`s, names, filetab.
    fn build(layout: Layout, endian: Endianness, ptr: usize, names: &[&[u8]]) -> Built {
        let field = match layout {
            Layout::Go118 | Layout::Go120 => 4,
            _ => ptr,
        };
        let entry_field = field;
        let n = names.len();
        // Deduplicated name blob, as the linker stores each name once.
        let mut blob = Vec::new();
        let mut name_offs = Vec::new();
        for (i, name) in names.iter().enumerate() {
            match names[..i].iter().position(|m| m == name) {
                Some(j) => name_offs.push(name_offs[j]),
                None => {
                    name_offs.push(blob.len());
                    blob.extend_from_slice(name);
                    blob.push(0);
                }
            }
        }
        let func_size = entry_field + FUNC_TAIL;

        let mut b = Vec::new();
        put(&mut b, u64::from(layout.magic()), 4, endian);
        b.extend_from_slice(&[0, 0, 1, ptr as u8]);
        let header_len = 8 + layout.header_words() * ptr;

        let (funcs, funcnametab);
        match layout {
            Layout::Go12 => {
                put(&mut b, n as u64, ptr, endian);
                let functab = b.len();
                let functab_len = (2 * n + 1) * field;
                let funcs_at = functab + functab_len + 4;
                let names_at = funcs_at + n * func_size;
                let filetab_at = names_at + blob.len();
                funcs = (0..n).map(|i| funcs_at + i * func_size).collect::<Vec<_>>();
                for (i, at) in funcs.iter().enumerate() {
                    put(&mut b, 0x1000 + 0x10 * i as u64, field, endian);
                    put(&mut b, *at as u64, field, endian);
                }
                put(&mut b, 0x1000 + 0x10 * n as u64, field, endian);
                put(&mut b, filetab_at as u64, 4, endian);
                for (i, _) in funcs.iter().enumerate() {
                    put(&mut b, 0x1000 + 0x10 * i as u64, entry_field, endian);
                    put(&mut b, (names_at + name_offs[i]) as u64, 4, endian);
                    b.extend_from_slice(&[0; FUNC_TAIL - 4]);
                }
                b.extend_from_slice(&blob);
                put(&mut b, 1, 4, endian);
                put(&mut b, 0, 4, endian);
                funcnametab = 0;
            }
            Layout::Go116 | Layout::Go118 | Layout::Go120 => {
                let funcname = header_len;
                let cu = funcname + blob.len();
                let filetab = cu + 4;
                let pctab = filetab + 8;
                let pcln = pctab + 2;
                put(&mut b, n as u64, ptr, endian);
                put(&mut b, 1, ptr, endian);
                if layout != Layout::Go116 {
                    put(&mut b, 0x40_1000, ptr, endian); // textStart
                }
                for off in [funcname, cu, filetab, pctab, pcln] {
                    put(&mut b, off as u64, ptr, endian);
                }
                assert_eq!(b.len(), header_len);
                b.extend_from_slice(&blob);
                put(&mut b, 0, 4, endian);
                b.extend_from_slice(b"main.go\0");
                b.extend_from_slice(&[0, 0]);
                assert_eq!(b.len(), pcln);
                let funcs_rel = (2 * n + 1) * field;
                funcs = (0..n)
                    .map(|i| pcln + funcs_rel + i * func_size)
                    .collect::<Vec<_>>();
                for (i, at) in funcs.iter().enumerate() {
                    put(&mut b, 0x10 * i as u64, field, endian);
                    put(&mut b, (at - pcln) as u64, field, endian);
                }
                put(&mut b, 0x10 * n as u64, field, endian);
                for (i, name_off) in name_offs.iter().enumerate() {
                    put(&mut b, 0x10 * i as u64, entry_field, endian);
                    put(&mut b, *name_off as u64, 4, endian);
                    b.extend_from_slice(&[0; FUNC_TAIL - 4]);
                }
                funcnametab = funcname;
            }
        }
        Built {
            bytes: b,
            layout,
            endian,
            ptr,
            funcs,
            funcnametab,
        }
    }

    fn names(tab: &PclnTab<'_>) -> Result<Vec<Vec<u8>>, PclnError> {
        tab.funcs().map(|r| r.map(<[u8]>::to_vec)).collect()
    }

    /// The streamed name search (`pclnstream`) finds exactly the names
    /// the whole-table reader does, in every layout that has a name
    /// table, both byte orders and pointer sizes.
    #[test]
    fn streamed_names_match_the_whole_table() {
        use crate::go::pclnstream::{self, NameOffsets};
        each_shape(|layout, endian, ptr| {
            let built = build(layout, endian, ptr, &NAMES);
            let t = &built.bytes[..];
            let Some(l) = name_layout(t, t.len() as u64).unwrap() else {
                assert_eq!(layout, Layout::Go12);
                return;
            };
            let NameOffsets::Sorted(offs) = pclnstream::name_offsets(&t, 0, &l).unwrap() else {
                panic!("{layout:?}: unordered");
            };
            let every = |block: &[u8], out: &mut Vec<(usize, usize)>| {
                let mut s = 0;
                for e in memchr::memchr_iter(0, block) {
                    out.push((s, e));
                    s = e + 1;
                }
            };
            let found = pclnstream::candidates(&t, 0, &l, &every).unwrap();
            let mut got: Vec<Vec<u8>> = found.functions(&offs).map(<[u8]>::to_vec).collect();
            let mut want = names(&parse_header(t).unwrap()).unwrap();
            got.sort();
            want.sort();
            assert_eq!(got, want, "{layout:?} {endian:?} {ptr}");
        });
    }

    fn each_shape(mut f: impl FnMut(Layout, Endianness, usize)) {
        for layout in Layout::ALL {
            for endian in ENDIANS {
                for ptr in [4, 8] {
                    f(layout, endian, ptr);
                }
            }
        }
    }

    #[test]
    fn reads_every_layout_byte_order_and_pointer_size() {
        each_shape(|layout, endian, ptr| {
            let built = build(layout, endian, ptr, &NAMES);
            let tab = parse_header(&built.bytes).unwrap();
            let what = format!("{layout:?} {endian:?} ptr {ptr}");
            assert_eq!(tab.layout(), layout, "{what}");
            assert_eq!(tab.endianness(), endian, "{what}");
            assert_eq!(usize::from(tab.ptr_size()), ptr, "{what}");
            assert_eq!(tab.min_lc(), 1, "{what}");
            assert_eq!(tab.nfunc(), NAMES.len(), "{what}");
            assert_eq!(tab.version_range(), layout.version_range(), "{what}");
            let expected: Vec<Vec<u8>> = NAMES.iter().map(|n| n.to_vec()).collect();
            assert_eq!(names(&tab).unwrap(), expected, "{what}");
            for name in NAMES {
                assert!(tab.contains(name), "{what}: {name:?}");
            }
            for absent in [&b"main.mai"[..], b"main.main2", b"", b"main.main\0", b"go"] {
                assert_eq!(tab.try_contains(absent), Ok(false), "{what}: {absent:?}");
            }
        });
    }

    #[test]
    fn empty_table_has_no_functions() {
        each_shape(|layout, endian, ptr| {
            let built = build(layout, endian, ptr, &[]);
            let tab = parse_header(&built.bytes).unwrap();
            assert_eq!(tab.nfunc(), 0);
            assert_eq!(tab.funcs().count(), 0);
            assert!(!tab.contains(b"main.main"));
        });
    }

    #[test]
    fn version_ranges_follow_the_magic() {
        let shown: Vec<String> = Layout::ALL
            .iter()
            .map(|l| l.version_range().to_string())
            .collect();
        assert_eq!(
            shown,
            [">=1.2, <1.16", ">=1.16, <1.18", ">=1.18, <1.20", ">=1.20"]
        );
        let r118 = Layout::Go118.version_range();
        assert!(r118.contains(1, 18) && r118.contains(1, 19));
        assert!(!r118.contains(1, 17) && !r118.contains(1, 20) && !r118.contains(2, 18));
        let r120 = Layout::Go120.version_range();
        assert!(r120.contains(1, 20) && r120.contains(1, 27) && r120.contains(2, 0));
        assert!(!r120.contains(1, 19) && !r120.contains(0, 99));
        let r12 = Layout::Go12.version_range();
        assert!(r12.contains(1, 2) && r12.contains(1, 15));
        assert!(!r12.contains(1, 1) && !r12.contains(1, 16));
    }

    /// Truncating anywhere either fails cleanly or yields a prefix of the
    /// right names; it never panics or invents a name.
    #[test]
    fn truncation_at_every_length() {
        each_shape(|layout, endian, ptr| {
            let built = build(layout, endian, ptr, &NAMES);
            let full = &built.bytes;
            let mut parsed_then_failed = 0;
            for len in 0..full.len() {
                let Ok(tab) = parse_header(&full[..len]) else {
                    continue;
                };
                let mut got = 0;
                let mut failed = false;
                for item in tab.funcs() {
                    match item {
                        Ok(name) => {
                            assert_eq!(name, NAMES[got], "{layout:?} len {len}");
                            got += 1;
                        }
                        Err(_) => failed = true,
                    }
                }
                assert!(failed || got == NAMES.len(), "{layout:?} len {len}");
                parsed_then_failed += usize::from(failed);
                let _ = tab.try_contains(b"odd.\xff");
            }
            // Some cuts pass the header checks and must be caught per function.
            assert!(parsed_then_failed > 0, "{layout:?} {endian:?} {ptr}");
        });
    }

    #[test]
    fn short_header_is_truncated() {
        assert_eq!(
            parse_header(&[]).unwrap_err(),
            PclnError::HeaderTruncated { need: 8, len: 0 }
        );
        let built = build(Layout::Go120, Endianness::Little, 8, &NAMES);
        assert_eq!(
            parse_header(&built.bytes[..40]).unwrap_err(),
            PclnError::HeaderTruncated { need: 72, len: 40 }
        );
    }

    #[test]
    fn rejects_bad_fixed_fields() {
        let built = build(Layout::Go120, Endianness::Little, 8, &NAMES);
        let with = |at: usize, v: u8| {
            let mut b = built.bytes.clone();
            b[at] = v;
            parse_header(&b).map(|_| ()).unwrap_err()
        };
        // 0xfffffffe was Go 1.1's magic-less table and is not accepted.
        assert_eq!(
            with(0, 0xfe),
            PclnError::UnknownMagic { magic: 0xffff_fffe }
        );
        assert_eq!(with(4, 1), PclnError::BadPadding { pad: [1, 0] });
        assert_eq!(with(5, 7), PclnError::BadPadding { pad: [0, 7] });
        assert_eq!(with(6, 3), PclnError::BadMinLc(3));
        assert_eq!(with(6, 0), PclnError::BadMinLc(0));
        assert_eq!(with(7, 2), PclnError::BadPtrSize(2));
        assert_eq!(with(7, 16), PclnError::BadPtrSize(16));
        for min_lc in [2, 4] {
            let mut b = built.bytes.clone();
            b[6] = min_lc;
            assert_eq!(parse_header(&b).unwrap().min_lc(), min_lc);
        }
    }

    #[test]
    fn header_offsets_past_the_end_are_rejected() {
        for layout in [Layout::Go116, Layout::Go118, Layout::Go120] {
            let mut built = build(layout, Endianness::Big, 8, &NAMES);
            let len = built.bytes.len();
            // pclnOffset is the last header word.
            let at = 8 + (layout.header_words() - 1) * 8;
            built.set(at, len as u64 + 1, 8);
            assert_eq!(
                parse_header(&built.bytes).unwrap_err(),
                PclnError::OffsetPastEnd {
                    field: "pclnOffset",
                    at,
                    value: len as u64 + 1,
                    len
                }
            );
            built.set(at, u64::MAX, 8);
            assert!(matches!(
                parse_header(&built.bytes),
                Err(PclnError::OffsetPastEnd { .. })
            ));
        }
    }

    /// `check_header` sees only the header's bytes and the table length,
    /// and finds what `parse_header` would find in the header: offsets past
    /// the end or out of order, a functab that does not fit.
    #[test]
    fn check_header_from_the_header_alone() {
        each_shape(|layout, endian, ptr| {
            let what = format!("{layout:?} {endian:?} {ptr}");
            let built = build(layout, endian, ptr, &NAMES);
            let len = built.bytes.len() as u64;
            let head = &built.bytes[..MAX_HEADER_LEN.min(built.bytes.len())];
            let p = check_header(head, len).unwrap();
            assert_eq!(p.nfunc, NAMES.len() as u64, "{what}");
            assert_eq!(p, peek(&built.bytes).unwrap(), "{what}");
            // The same table claimed too short for its tables.
            let short = p.header_len as u64 + 4;
            assert!(
                matches!(
                    check_header(head, short),
                    Err(PclnError::FunctabPastEnd { .. } | PclnError::OffsetPastEnd { .. })
                ),
                "{what}"
            );
            assert!(
                matches!(
                    check_header(head, 8),
                    Err(PclnError::HeaderTruncated { .. })
                ),
                "{what}"
            );
            // A count that would need more than the table has.
            let mut lying = built.bytes.clone();
            put_at(&mut lying, 8, u64::from(u32::MAX), ptr, endian);
            let head = &lying[..MAX_HEADER_LEN.min(lying.len())];
            assert!(
                matches!(
                    check_header(head, len),
                    Err(PclnError::FunctabPastEnd { nfunc, .. }) if nfunc == u64::from(u32::MAX)
                ),
                "{what}"
            );
        });
    }

    /// The linker writes funcnametab, cutab, filetab, pctab and functab in
    /// header order: an offset before the one preceding it (or inside the
    /// header) is rejected, naming both fields.
    #[test]
    fn header_offsets_out_of_order_are_rejected() {
        for layout in [Layout::Go116, Layout::Go118, Layout::Go120] {
            let mut built = build(layout, Endianness::Little, 8, &NAMES);
            let len = built.bytes.len();
            let first = 8 + layout.funcname_word().unwrap() * 8;
            // funcnameOffset at the table's last byte: in range, but after cuOffset.
            built.set(first, len as u64 - 1, 8);
            let err = parse_header(&built.bytes).unwrap_err();
            assert!(
                matches!(
                    err,
                    PclnError::OffsetOutOfOrder {
                        field: "cuOffset",
                        before: "funcnameOffset",
                        ..
                    }
                ),
                "{layout:?} {err}"
            );
            assert!(
                err.to_string().contains("is before funcnameOffset"),
                "{err}"
            );
            assert_eq!(
                check_header(&built.bytes[..MAX_HEADER_LEN], len as u64).unwrap_err(),
                err
            );
            // funcnameOffset inside the header.
            built.set(first, 8, 8);
            assert!(
                matches!(
                    parse_header(&built.bytes),
                    Err(PclnError::OffsetOutOfOrder {
                        field: "funcnameOffset",
                        before: "the header end",
                        ..
                    })
                ),
                "{layout:?}"
            );
        }
    }

    /// nfunc is never trusted for allocation or iteration: a lying count
    /// fails at the header, a short count just yields fewer names.
    #[test]
    fn lying_nfunc() {
        each_shape(|layout, endian, ptr| {
            let mut built = build(layout, endian, ptr, &NAMES);
            let at = built.nfunc_at();
            let max = if ptr == 4 {
                u64::from(u32::MAX)
            } else {
                u64::MAX
            };
            let lies = [max, max / 2, 1 << 40, NAMES.len() as u64 * 1000];
            for lie in lies.into_iter().filter(|&l| l <= max) {
                built.set(at, lie, ptr);
                assert!(
                    matches!(
                        parse_header(&built.bytes),
                        Err(PclnError::FunctabPastEnd { nfunc, .. }) if nfunc == lie
                    ),
                    "{layout:?} {endian:?} {ptr} {lie}"
                );
            }
            built.set(at, 2, ptr);
            let tab = parse_header(&built.bytes).unwrap();
            assert_eq!(names(&tab).unwrap(), [NAMES[0], NAMES[1]]);
            assert!(!tab.contains(b"main.main"));
        });
    }

    #[test]
    fn bad_function_records_stop_the_iteration() {
        each_shape(|layout, endian, ptr| {
            let what = format!("{layout:?} {endian:?} {ptr}");
            let base = build(layout, endian, ptr, &NAMES);
            let bad = 2;

            // funcoff past the end.
            let mut built = build(layout, endian, ptr, &NAMES);
            let field = match layout {
                Layout::Go118 | Layout::Go120 => 4,
                _ => ptr,
            };
            let functab = match layout {
                Layout::Go12 => 8 + ptr,
                _ => parse_header(&base.bytes).unwrap().functab,
            };
            built.set(functab + (2 * bad + 1) * field, 0xffff_fff0, field);
            let tab = parse_header(&built.bytes).unwrap();
            let mut it = tab.funcs();
            assert_eq!(it.next(), Some(Ok(NAMES[0])), "{what}");
            assert_eq!(it.next(), Some(Ok(NAMES[1])), "{what}");
            assert!(
                matches!(
                    it.next(),
                    Some(Err(PclnError::FuncPastEnd { index: 2, .. }))
                ),
                "{what}"
            );
            assert_eq!(it.next(), None, "fused: {what}");
            assert_eq!(it.next(), None, "fused: {what}");
            assert!(tab.try_contains(b"odd.\xff").is_err(), "{what}");
            assert!(!tab.contains(b"odd.\xff"), "{what}");
            assert!(tab.contains(b"runtime.main"), "found before the bad one");

            // Negative nameOff.
            let mut built = build(layout, endian, ptr, &NAMES);
            let at = built.name_off_at(bad);
            built.set(at, 0x8000_0000, 4);
            let tab = parse_header(&built.bytes).unwrap();
            assert_eq!(
                tab.funcs().nth(bad),
                Some(Err(PclnError::NegativeNameOff {
                    index: bad,
                    func_offset: built.funcs[bad],
                    name_off: i32::MIN
                })),
                "{what}"
            );

            // nameOff past the end.
            let mut built = build(layout, endian, ptr, &NAMES);
            let at = built.name_off_at(bad);
            let len = built.bytes.len();
            built.set(at, (len - built.funcnametab) as u64, 4);
            let tab = parse_header(&built.bytes).unwrap();
            assert_eq!(
                tab.funcs().nth(bad),
                Some(Err(PclnError::NamePastEnd {
                    index: bad,
                    offset: len as u64
                })),
                "{what}"
            );

            // A name running into the end of the table without a NUL.
            let mut built = build(layout, endian, ptr, &NAMES);
            let at = built.name_off_at(bad);
            built.bytes.extend_from_slice(b"main.tail");
            let start = built.bytes.len() - 4;
            built.set(at, (start - built.funcnametab) as u64, 4);
            let tab = parse_header(&built.bytes).unwrap();
            assert_eq!(
                tab.funcs().nth(bad),
                Some(Err(PclnError::NameUnterminated {
                    index: bad,
                    offset: start
                })),
                "{what}"
            );
            assert!(!tab.contains(b"tail"), "{what}");
        });
    }

    /// Every function pointing at one long name would make a naive reader
    /// scan `nfunc * len` bytes; the budget stops it, and `contains`, which
    /// compares in place, still works.
    #[test]
    fn name_scan_budget_stops_quadratic_tables() {
        let long = vec![b'a'; 1000];
        let names: Vec<&[u8]> = vec![&long; 1000];
        let built = build(Layout::Go120, Endianness::Little, 8, &names);
        let tab = parse_header(&built.bytes).unwrap();
        let budget = built.bytes.len() * NAME_SCAN_BUDGET_FACTOR;
        let oks = tab.funcs().take_while(|r| r.is_ok()).count();
        assert_eq!(oks, budget / 1001);
        assert!(matches!(
            tab.funcs().last(),
            Some(Err(PclnError::NameBudgetExhausted { index, .. })) if index == oks
        ));
        assert!(tab.contains(&long));
        assert!(!tab.contains(&long[1..]));
    }

    /// Reads the pclntab of a Go binary on this machine, when there is one:
    /// `ELFGATE_TEST_GO_BINARY` (which must be a Go ELF), else
    /// `/usr/bin/kubectl` if it is one; a no-op otherwise.
    #[test]
    fn reads_a_real_go_binary_when_present() {
        use object::{Object, ObjectSection};

        let chosen = std::env::var_os("ELFGATE_TEST_GO_BINARY").filter(|v| !v.is_empty());
        let required = chosen.is_some();
        let path = chosen
            .map(std::path::PathBuf::from)
            .unwrap_or_else(|| "/usr/bin/kubectl".into());
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(e) if !required => {
                eprintln!("{}: {e}; skipped", path.display());
                return;
            }
            Err(e) => panic!("{}: {e}", path.display()),
        };
        let section = object::File::parse(&*bytes).ok().and_then(|file| {
            let section = file
                .section_by_name(".gopclntab")
                .or_else(|| file.section_by_name(".data.rel.ro.gopclntab"))?;
            Some((file.is_little_endian(), file.is_64(), section.data().ok()?))
        });
        let Some((little, is_64, data)) = section else {
            assert!(!required, "{}: no Go pclntab section", path.display());
            eprintln!("{}: not a Go ELF; skipped", path.display());
            return;
        };
        let tab = parse_header(data).unwrap();
        assert_eq!(tab.endianness() == Endianness::Little, little);
        assert_eq!(tab.ptr_size() == 8, is_64);
        let mut count = 0;
        for name in tab.funcs() {
            let name = name.unwrap();
            assert!(!name.is_empty());
            count += 1;
        }
        assert_eq!(count, tab.nfunc());
        assert!(count > 100);
        assert!(tab.contains(b"runtime.main"));
        assert!(tab.contains(b"main.main"));
        assert!(!tab.contains(b"runtime.mai"));
    }
}
