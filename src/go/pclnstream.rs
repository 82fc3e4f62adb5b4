//! The pclntab's function names, read through a buffer instead of whole.
//!
//! A large Go binary's pclntab is tens of MiB, but a name search needs only
//! two of its parts (Go 1.16 and later): `funcnametab`, every name once,
//! NUL-terminated; and the `nameOff` of each `_func`, which says which of
//! those strings name a function (the rest name functions that were only
//! inlined). Both are streamed here through small buffers (one grows to
//! the longest name); pctab, filetab and the rest are never read.
//!
//! ```text
//! table + funcnameOffset   funcnametab: name\0 name\0 ...   (up to cuOffset)
//! table + pclnOffset       functab: nfunc x { entry, funcoff }, end entry
//! table + pclnOffset + funcoff   _func: { entry, nameOff i32, ... }
//! ```
//!
//! The linker (`cmd/link/internal/ld/pcln.go`, Go 1.16 to 1.27) writes the
//! `_func` records in functab order, so one forward pass reads each byte
//! once. A table whose records go backwards is not streamed: the caller
//! reads the whole table instead ([`NameOffsets::Unordered`]). Go 1.2-1.15
//! tables keep names among other data and are never streamed.
//!
//! It also lays names out in function order (each function's name, then
//! the names of the callees it inlined that were not named yet), so a
//! name's offset says roughly where its function's record is: a
//! [`FuncLookup`] reads a few records around there instead of all of them.

use std::sync::atomic::{AtomicBool, Ordering};

use object::Endianness;
use rayon::prelude::*;

use super::ReadAt;
use super::pclntab::{NameLayout, PclnError};
use crate::pick::{self, Pick};

/// Bytes read per call: large enough that system calls do not dominate,
/// small enough to stay in cache.
const CHUNK: usize = 64 << 10;

/// The first read of a walk over records: most searches stop early.
const FIRST_READ: usize = 4 << 10;

/// What [`name_offsets`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameOffsets {
    /// Every function's `nameOff`, sorted (duplicates kept: one per function).
    Sorted(Vec<u32>),
    /// The `_func` records are not in functab order.
    Unordered,
}

/// A forward-only window over `[start, end)` of the file.
struct Window<'s, S: ReadAt + ?Sized> {
    src: &'s S,
    end: u64,
    buf: Vec<u8>,
    /// File offset of `buf[0]`, and how much of `buf` is valid.
    at: u64,
    len: usize,
    /// Bytes to read at the next refill: small first, for a walk that may
    /// stop early, doubling up to [`CHUNK`].
    want: usize,
}

impl<'s, S: ReadAt + ?Sized> Window<'s, S> {
    fn new(src: &'s S, end: u64) -> Self {
        Window {
            src,
            end,
            buf: Vec::new(),
            at: 0,
            len: 0,
            want: FIRST_READ,
        }
    }

    /// `n` bytes at `pos`: `Ok(None)` when `pos` is behind the window
    /// (the caller's order broke), `Err` when the bytes are not in the file.
    #[inline]
    fn get(&mut self, pos: u64, n: usize) -> Result<Option<&[u8]>, ()> {
        if let Some(from) = pos
            .checked_sub(self.at)
            .and_then(|f| usize::try_from(f).ok())
            && from.saturating_add(n) <= self.len
        {
            return Ok(self.buf.get(from..from + n));
        }
        let want_end = pos.checked_add(n as u64).ok_or(())?;
        if want_end > self.end {
            return Err(());
        }
        let have_end = self.at.saturating_add(self.len as u64);
        if pos < self.at {
            return Ok(None);
        }
        if want_end > have_end {
            // Refill at `pos`: windows only move forward, so no byte is read
            // twice except the few of a value split at a window's end.
            let want = self.want;
            self.want = want.saturating_mul(2).min(CHUNK);
            let len = usize::try_from(self.end - pos).map_or(want, |r| r.min(want).max(n));
            if self.buf.len() < len {
                self.buf.resize(len, 0);
            }
            let buf = self.buf.get_mut(..len).ok_or(())?;
            let len = if self.src.read_exact_at(pos, buf) {
                len
            } else {
                // The file may end early (truncated, or a lying length):
                // the bytes asked for may still be there.
                let buf = self.buf.get_mut(..n).ok_or(())?;
                if !self.src.read_exact_at(pos, buf) {
                    return Err(());
                }
                n
            };
            self.at = pos;
            self.len = len;
        }
        let from = usize::try_from(pos - self.at).map_err(|_| ())?;
        Ok(self.buf.get(from..from.checked_add(n).ok_or(())?))
    }
}

#[inline]
fn uint(b: &[u8], endian: Endianness) -> u64 {
    match (b.len(), endian) {
        (4, Endianness::Little) => u64::from(u32::from_le_bytes(b.try_into().unwrap_or_default())),
        (4, Endianness::Big) => u64::from(u32::from_be_bytes(b.try_into().unwrap_or_default())),
        (8, Endianness::Little) => u64::from_le_bytes(b.try_into().unwrap_or_default()),
        (8, Endianness::Big) => u64::from_be_bytes(b.try_into().unwrap_or_default()),
        _ => 0,
    }
}

/// Every function's `nameOff`, from the functab and `_func` records of the
/// table at file offset `table`. Each must point inside `funcnametab`:
/// a name elsewhere would be missed by a search of that table, so it is an
/// error, like a record past the table end.
pub fn name_offsets<S: ReadAt + ?Sized>(
    src: &S,
    table: u64,
    l: &NameLayout,
) -> Result<NameOffsets, PclnError> {
    match name_offsets_until(src, table, l, &mut |_| false)? {
        Walk::Read(offsets) => Ok(offsets),
        // Not reached (nothing asks to stop); if it were, the caller would
        // read the whole table instead.
        Walk::Stopped => Ok(NameOffsets::Unordered),
    }
}

/// How far [`name_offsets_until`] went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Walk {
    /// `f` returned true: not every record was read.
    Stopped,
    /// Every record was read.
    Read(NameOffsets),
}

/// [`name_offsets`], calling `f` with each `nameOff` in functab order and
/// stopping as soon as it returns true: a search that only needs to find
/// one function per pattern reads as few records as that takes.
pub fn name_offsets_until<S: ReadAt + ?Sized>(
    src: &S,
    table: u64,
    l: &NameLayout,
    f: &mut dyn FnMut(u32) -> bool,
) -> Result<Walk, PclnError> {
    let end = table.saturating_add(l.table_len);
    let entry = 2 * l.field_size;
    let names_len = l.names.1.saturating_sub(l.names.0);
    let ftab_at = table.saturating_add(l.functab);
    let funcdata_at = table.saturating_add(l.funcdata);
    let name_field = l.name_field as u64;
    let mut funcs = Window::new(src, end);
    // The functab is read in runs of whole entries, apart from the records.
    let per_read = (CHUNK / entry).max(1);
    let mut ftab = vec![0u8; per_read.saturating_mul(entry)];
    let mut out: Vec<u32> = Vec::new();
    let mut rest: Vec<u32> = Vec::new();
    let mut last_func = 0u64;
    let mut index = 0u64;
    let mut per_batch = (FIRST_READ / entry).max(1);
    while index < l.nfunc {
        let batch = usize::try_from(l.nfunc - index).map_or(per_batch, |r| r.min(per_batch));
        per_batch = per_batch.saturating_mul(2).min(per_read);
        let at = index
            .checked_mul(entry as u64)
            .and_then(|o| o.checked_add(ftab_at));
        let buf = ftab.get_mut(..batch * entry).unwrap_or_default();
        // `check_header` made sure all nfunc entries fit in the table; the
        // file may still end early.
        if at.is_none_or(|at| !src.read_exact_at(at, buf)) {
            return Err(PclnError::FuncPastEnd {
                index: usize::try_from(index).unwrap_or(usize::MAX),
                offset: u64::MAX,
            });
        }
        for e in buf.chunks_exact(entry) {
            let index_usize = usize::try_from(index).unwrap_or(usize::MAX);
            let funcoff = uint(e.get(l.field_size..).unwrap_or_default(), l.endian);
            if funcoff < last_func {
                return Ok(Walk::Read(NameOffsets::Unordered));
            }
            last_func = funcoff;
            let func_at = l.funcdata.saturating_add(funcoff);
            let past = PclnError::FuncPastEnd {
                index: index_usize,
                offset: func_at,
            };
            let Some(pos) = funcdata_at
                .checked_add(funcoff)
                .and_then(|o| o.checked_add(name_field))
            else {
                return Err(past);
            };
            let raw = match funcs.get(pos, 4) {
                Ok(Some(b)) => uint(b, l.endian),
                Ok(None) => return Ok(Walk::Read(NameOffsets::Unordered)),
                Err(()) => return Err(past),
            };
            // The runtime declares nameOff int32.
            let name_off = (raw as u32).cast_signed();
            let Ok(name_off) = u32::try_from(name_off) else {
                return Err(PclnError::NegativeNameOff {
                    index: index_usize,
                    func_offset: usize::try_from(func_at).unwrap_or(usize::MAX),
                    name_off,
                });
            };
            if u64::from(name_off) >= names_len {
                return Err(PclnError::NamePastEnd {
                    index: index_usize,
                    offset: l.names.0.saturating_add(u64::from(name_off)),
                });
            }
            // The linker writes names in function order, except for a
            // function first named as another's inlined callee: keep the
            // ascending run apart from those few, sort them, and merge.
            if out.last().is_none_or(|&l| name_off >= l) {
                out.push(name_off);
            } else {
                rest.push(name_off);
            }
            index += 1;
            if f(name_off) {
                return Ok(Walk::Stopped);
            }
        }
    }
    if rest.is_empty() {
        return Ok(Walk::Read(NameOffsets::Sorted(out)));
    }
    rest.sort_unstable();
    Ok(Walk::Read(NameOffsets::Sorted(merge(&out, &rest))))
}

/// Merges two ascending lists.
fn merge(a: &[u32], b: &[u32]) -> Vec<u32> {
    let mut out = Vec::with_capacity(a.len().saturating_add(b.len()));
    let (mut i, mut j) = (0, 0);
    while let (Some(&x), Some(&y)) = (a.get(i), b.get(j)) {
        if x <= y {
            out.push(x);
            i += 1;
        } else {
            out.push(y);
            j += 1;
        }
    }
    out.extend_from_slice(a.get(i..).unwrap_or_default());
    out.extend_from_slice(b.get(j..).unwrap_or_default());
    out
}

/// Streams the strings of `funcnametab` that start in `[from, to)` in
/// blocks of whole names ([`pick::string_blocks`]). A table whose last
/// byte is not NUL is damaged (the linker ends every name with one) and an
/// error. `f` returns true to stop the stream there.
fn name_blocks_in<S: ReadAt + ?Sized>(
    src: &S,
    table: u64,
    l: &NameLayout,
    range: (u64, u64),
    f: &mut dyn FnMut(u64, &[u8]) -> bool,
) -> Result<(), PclnError> {
    let names_len = l.names.1.saturating_sub(l.names.0);
    let start = table.saturating_add(l.names.0);
    pick::string_blocks(src, start, names_len, range, f).map_err(|e| match e {
        pick::TableError::PastEnd(at) => PclnError::NameTablePastEnd {
            offset: l.names.0.saturating_add(at),
        },
        pick::TableError::Unterminated(at) => PclnError::NameTableUnterminated {
            offset: l.names.0.saturating_add(at),
        },
    })
}

pub use crate::pick::Candidates;

/// Finds the function that a name-table offset names, reading a few
/// records instead of all of them: whether some `_func`'s `nameOff` equals
/// the offset. Names are laid out in function order, so a name's offset
/// says roughly where its function is; the search reads windows of
/// consecutive records, guessing by that proportion and halving in turn.
/// A function first named as another's inlined callee points back at that
/// earlier name, so a window's values can mislead the search: it is a
/// guess that only answers "found" (a record was read that points there)
/// or "not found within the budget", never "no such function".
pub struct FuncLookup<'s, S: ReadAt + ?Sized> {
    src: &'s S,
    table: u64,
    l: &'s NameLayout,
    /// Windows left to read, for every lookup of this table together.
    budget: u32,
    ftab: Vec<u8>,
    recs: Vec<u8>,
    vals: Vec<u32>,
}

/// Records per window: one read of functab entries, one of records.
const WINDOW: u64 = 32;
/// Windows placed by guessing before a lookup falls back to halving.
const GUESSES: u32 = 6;
/// A window's records further apart than this are read one by one.
const WINDOW_SPAN: u64 = 16 << 10;

impl<'s, S: ReadAt + ?Sized> FuncLookup<'s, S> {
    /// A lookup that reads at most `budget` windows in all.
    pub fn new(src: &'s S, table: u64, l: &'s NameLayout, budget: u32) -> Self {
        FuncLookup {
            src,
            table,
            l,
            budget,
            ftab: Vec::new(),
            recs: Vec::new(),
            vals: Vec::new(),
        }
    }

    /// Whether the search found a function whose `nameOff` is `name_off`.
    /// False means not found: the caller must read every record to know.
    pub fn names_function(&mut self, name_off: u32) -> bool {
        let target = u64::from(name_off);
        let names_len = self.l.names.1.saturating_sub(self.l.names.0);
        let (mut lo, mut hi) = (0u64, self.l.nfunc);
        // The largest name offset seen below `lo` and at or above `hi`.
        let (mut v_lo, mut v_hi) = (0u64, names_len.max(target + 1));
        // Where the last window's own spacing of names says to look next.
        let mut next: Option<u64> = None;
        let mut probes = 0;
        while lo < hi && self.budget > 0 {
            self.budget -= 1;
            probes += 1;
            let span = hi - lo;
            // Guesses first (the names' spacing varies along the table);
            // halving after a few, so that a lookup ends in any case.
            let guess = match next.take() {
                Some(g) if probes <= GUESSES => g.clamp(lo, hi - 1),
                _ if probes <= GUESSES && v_hi > v_lo && target >= v_lo => {
                    let frac =
                        u128::from(target - v_lo) * u128::from(span) / u128::from(v_hi - v_lo);
                    lo + u64::try_from(frac).unwrap_or(span).min(span - 1)
                }
                _ => lo + span / 2,
            };
            let start = guess
                .saturating_sub(WINDOW / 2)
                .min(hi.saturating_sub(WINDOW))
                .max(lo);
            let end = start.saturating_add(WINDOW).min(hi);
            if !self.read_window(start, end) {
                return false;
            }
            if self.vals.contains(&name_off) {
                return true;
            }
            let (Some(&min), Some(&max)) = (self.vals.iter().min(), self.vals.iter().max()) else {
                return false;
            };
            let (min, max) = (u64::from(min), u64::from(max));
            let gaps = (end - start).saturating_sub(1);
            let step = |bytes: u64| -> Option<u64> {
                let n =
                    u128::from(bytes) * u128::from(gaps) / u128::from(max.checked_sub(min)?.max(1));
                u64::try_from(n).ok()
            };
            if max < target {
                (lo, v_lo) = (end, max);
                next = step(target - max).map(|n| end.saturating_add(n));
            } else {
                (hi, v_hi) = (start, max);
                next = (target < min)
                    .then(|| step(min - target))
                    .flatten()
                    .map(|n| start.saturating_sub(n.max(1)));
            }
        }
        false
    }

    /// The `nameOff`s of functions `[start, end)` into `vals`; false when
    /// they cannot be read (the caller's full read reports the damage).
    fn read_window(&mut self, start: u64, end: u64) -> bool {
        let l = self.l;
        let entry = 2 * l.field_size as u64;
        let n = usize::try_from(end - start).unwrap_or(0);
        let Some(at) = start
            .checked_mul(entry)
            .and_then(|o| o.checked_add(self.table.checked_add(l.functab)?))
        else {
            return false;
        };
        self.ftab.resize(n * 2 * l.field_size, 0);
        if !self.src.read_exact_at(at, &mut self.ftab) {
            return false;
        }
        let offs: Vec<u64> = self
            .ftab
            .chunks_exact(2 * l.field_size)
            .map(|e| uint(e.get(l.field_size..).unwrap_or_default(), l.endian))
            .collect();
        let base = self.table.saturating_add(l.funcdata);
        let field = l.name_field as u64;
        self.vals.clear();
        // One read from the lowest record to the highest, when they are
        // close (records out of order, or far apart, are read one by one).
        let (Some(&first), Some(&last)) = (offs.iter().min(), offs.iter().max()) else {
            return true;
        };
        let together = last - first <= WINDOW_SPAN;
        if together {
            let Some(from) = base.checked_add(first).and_then(|o| o.checked_add(field)) else {
                return false;
            };
            if from.saturating_add(last - first + 4) > self.end() {
                return false;
            }
            self.recs
                .resize(usize::try_from(last - first + 4).unwrap_or(0), 0);
            if !self.src.read_exact_at(from, &mut self.recs) {
                // The window may reach past a truncated file: read one by one.
                return self.read_each(&offs);
            }
            for &o in &offs {
                let Some(b) = usize::try_from(o - first)
                    .ok()
                    .and_then(|i| self.recs.get(i..i.checked_add(4)?))
                else {
                    return false;
                };
                self.vals.push(uint(b, l.endian) as u32);
            }
            return true;
        }
        self.read_each(&offs)
    }

    /// Records lie inside the table, as [`name_offsets`] requires.
    fn end(&self) -> u64 {
        self.table.saturating_add(self.l.table_len)
    }

    fn read_each(&mut self, offs: &[u64]) -> bool {
        let l = self.l;
        let base = self.table.saturating_add(l.funcdata);
        let mut b = [0u8; 4];
        self.vals.clear();
        for &o in offs {
            let at = base
                .checked_add(o)
                .and_then(|p| p.checked_add(l.name_field as u64));
            let inside = at.is_some_and(|at| at.saturating_add(4) <= self.end());
            if !inside || !at.is_some_and(|at| self.src.read_exact_at(at, &mut b)) {
                return false;
            }
            self.vals.push(uint(&b, l.endian) as u32);
        }
        true
    }
}

/// Name tables at least this large are read in parts at the same time:
/// copying tens of MiB out of the page cache is most of a search's time.
/// Also the least first round of [`rounds`].
const PARALLEL_FROM: u64 = 1 << 20;

/// The share of the name table in the first round and in the second. It
/// holds the runtime's names: in the Go binaries looked at, with 5.8 to
/// 74 MB of names, `runtime.mallocgc` and the like lie in the first 1.1%.
/// It is small because the first round searches for every rule's literals
/// at once (an automaton, a third as fast as one literal's search, and
/// slower still where many names share a literal's start, `runtime.`).
const HEAD_SHARE: u64 = 64;

/// The least part of a range read in parts: a first round of 1 MiB is
/// then read on every core, not one.
const PART_MIN: u64 = 256 << 10;

/// Parts per thread of a large name table.
const PARTS_PER_THREAD: u64 = 4;

/// Streams the name table through `pick`, which returns the `(start, end)`
/// of the strings of a block worth keeping, and copies those out. A large
/// table is cut into parts, a few per thread, read at the same time.
pub fn candidates<S: ReadAt + Sync + ?Sized>(
    src: &S,
    table: u64,
    l: &NameLayout,
    pick: Pick<'_>,
) -> Result<Candidates, PclnError> {
    let never = Stop::default();
    candidates_until(src, table, l, pick, (0, u64::MAX), &never)
}

/// The rounds a name table is read in when what is looked for may shrink
/// as it is found: `(from, to)` ranges of the table, in the order they are
/// read, together the whole table once. The first is the table's first
/// [`HEAD_SHARE`]th (at least [`PARALLEL_FROM`]) and the second its last as
/// much: Go's linker lays functions out package by package, the runtime
/// first and `main` last, so rules that name the runtime or `main.main`
/// are decided there. Then the middle, in order, each round twice the last
/// and taking the rest when less than two more of its size would be left.
/// A table under 3 MiB is one round.
pub fn rounds(l: &NameLayout) -> Vec<(u64, u64)> {
    let names_len = l.names.1.saturating_sub(l.names.0);
    let size = (names_len / HEAD_SHARE).max(PARALLEL_FROM);
    if names_len < size.saturating_mul(3) {
        return vec![(0, names_len)];
    }
    let last = names_len - size;
    let mut out = vec![(0, size), (last, names_len)];
    let mut from = size;
    let mut size = size.saturating_mul(2);
    while from < last {
        let mut to = from.saturating_add(size).min(last);
        if last.saturating_sub(to) < size.saturating_mul(2) {
            to = last;
        }
        out.push((from, to));
        from = to;
        size = size.saturating_mul(2);
    }
    out
}

/// Tells a stream over the name table that nothing more needs to be read.
/// Any thread may set it; every part stops at its next block.
#[derive(Debug, Default)]
pub struct Stop(AtomicBool);

impl Stop {
    pub fn set(&self) {
        self.0.store(true, Ordering::Relaxed);
    }

    pub fn is_set(&self) -> bool {
        self.0.load(Ordering::Relaxed)
    }
}

/// [`candidates`] for the strings that start in `range` of the name
/// table, stopping once `stop` is set. A stopped stream has not read the
/// rest of the table, so it checks what reading it would have: that the
/// table lies inside the file and ends with a NUL ([`check_end`]); other
/// damage cannot be met in name bytes.
pub fn candidates_until<S: ReadAt + Sync + ?Sized>(
    src: &S,
    table: u64,
    l: &NameLayout,
    pick: Pick<'_>,
    range: (u64, u64),
    stop: &Stop,
) -> Result<Candidates, PclnError> {
    let found = candidates_parts(src, table, l, pick, range, stop)?;
    if stop.is_set() {
        check_end(src, table, l)?;
    }
    Ok(found)
}

/// The damage a full read of the name table would meet at its end: the
/// table reaching past the file, or its last string without a NUL (the
/// error names that string's start, as the stream would).
pub fn check_end<S: ReadAt + ?Sized>(src: &S, table: u64, l: &NameLayout) -> Result<(), PclnError> {
    let names_len = l.names.1.saturating_sub(l.names.0);
    if names_len == 0 {
        return Ok(());
    }
    let start = table.saturating_add(l.names.0);
    let mut end = names_len;
    let mut buf = Vec::new();
    loop {
        let len = end.min(CHUNK as u64);
        let at = end - len;
        buf.resize(usize::try_from(len).unwrap_or(0), 0);
        if !src.read_exact_at(start.saturating_add(at), &mut buf) {
            return Err(PclnError::NameTablePastEnd {
                offset: l.names.0.saturating_add(at),
            });
        }
        if end == names_len && buf.last() == Some(&0) {
            return Ok(());
        }
        // Unterminated: find where the last string starts.
        if let Some(i) = memchr::memrchr(0, &buf) {
            return Err(PclnError::NameTableUnterminated {
                offset: l.names.0.saturating_add(at + i as u64 + 1),
            });
        }
        if at == 0 {
            return Err(PclnError::NameTableUnterminated { offset: l.names.0 });
        }
        end = at;
    }
}

fn candidates_parts<S: ReadAt + Sync + ?Sized>(
    src: &S,
    table: u64,
    l: &NameLayout,
    pick: Pick<'_>,
    (from, to): (u64, u64),
    stop: &Stop,
) -> Result<Candidates, PclnError> {
    let names_len = l.names.1.saturating_sub(l.names.0);
    let (from, to) = (from.min(names_len), to.min(names_len));
    let len = to.saturating_sub(from);
    // Several parts per thread: a thread that finishes first (the other
    // was preempted, or had other work) takes the next part.
    let parts = if len < PARALLEL_FROM {
        1
    } else {
        (len / PART_MIN)
            .min((rayon::current_num_threads() as u64).saturating_mul(PARTS_PER_THREAD))
            .max(1)
    };
    if parts == 1 {
        return candidates_in(src, table, l, pick, (from, to), stop);
    }
    let per = len / parts;
    let found: Vec<Result<Candidates, PclnError>> = (0..parts)
        .into_par_iter()
        .map(|i| {
            let end = if i + 1 == parts {
                to
            } else {
                from + per * (i + 1)
            };
            candidates_in(src, table, l, pick, (from + per * i, end), stop)
        })
        .collect();
    let mut out = Candidates::default();
    for part in found {
        out.append(part?);
    }
    Ok(out)
}

/// [`candidates`] for the strings that start in `range` of the name table.
fn candidates_in<S: ReadAt + ?Sized>(
    src: &S,
    table: u64,
    l: &NameLayout,
    pick: Pick<'_>,
    range: (u64, u64),
    stop: &Stop,
) -> Result<Candidates, PclnError> {
    let mut out = Candidates::default();
    let mut ranges = Vec::new();
    name_blocks_in(src, table, l, range, &mut |at, block| {
        if stop.is_set() {
            return true;
        }
        ranges.clear();
        pick(block, &mut ranges);
        out.keep(at, block, &ranges);
        stop.is_set()
    })?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::go::pclntab::name_layout;

    /// A Go 1.20 table (ptrSize 8): header, the given raw name table, a
    /// small cutab/filetab/pctab, then functab and one 40-byte `_func` per
    /// name offset, laid out in `order` (functab order is always entry PC).
    fn table(endian: Endianness, blob: &[u8], name_offs: &[u32], order: &[usize]) -> Vec<u8> {
        let put32 = |b: &mut Vec<u8>, v: u32| match endian {
            Endianness::Little => b.extend_from_slice(&v.to_le_bytes()),
            Endianness::Big => b.extend_from_slice(&v.to_be_bytes()),
        };
        let put64 = |b: &mut Vec<u8>, v: u64| match endian {
            Endianness::Little => b.extend_from_slice(&v.to_le_bytes()),
            Endianness::Big => b.extend_from_slice(&v.to_be_bytes()),
        };
        let n = name_offs.len();
        let header = 8 + 8 * 8;
        let cu = header + blob.len();
        let (filetab, pctab) = (cu + 4, cu + 12);
        let pcln = pctab + 4;
        let mut b = Vec::new();
        put32(&mut b, 0xffff_fff1);
        b.extend_from_slice(&[0, 0, 1, 8]);
        for w in [n, 1, 0x1000, header, cu, filetab, pctab, pcln] {
            put64(&mut b, w as u64);
        }
        b.extend_from_slice(blob);
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(b"main.go\0");
        b.extend_from_slice(&[0; 4]);
        assert_eq!(b.len(), pcln);
        let funcs = (2 * n + 1) * 4;
        for (i, slot) in order.iter().enumerate() {
            put32(&mut b, 0x10 * i as u32);
            put32(&mut b, (funcs + slot * 40) as u32);
        }
        put32(&mut b, 0x10 * n as u32);
        let mut recs = vec![0u32; n];
        for (i, &slot) in order.iter().enumerate() {
            recs[slot] = name_offs[i];
        }
        for (slot, off) in recs.iter().enumerate() {
            put32(&mut b, 0x10 * slot as u32);
            put32(&mut b, *off);
            b.extend_from_slice(&[0; 32]);
        }
        b
    }

    fn layout(t: &[u8]) -> NameLayout {
        name_layout(t, t.len() as u64).unwrap().unwrap()
    }

    /// Everything `pick` keeps that a function names, as strings.
    fn found(t: &[u8], pick: Pick<'_>) -> Vec<String> {
        let l = layout(t);
        let NameOffsets::Sorted(offs) = name_offsets(&t, 0, &l).unwrap() else {
            panic!("unordered")
        };
        let c = candidates(&t, 0, &l, pick).unwrap();
        c.functions(&offs)
            .map(|n| String::from_utf8_lossy(n).into_owned())
            .collect()
    }

    fn every(block: &[u8], out: &mut Vec<(usize, usize)>) {
        let mut s = 0;
        for e in memchr::memchr_iter(0, block) {
            out.push((s, e));
            s = e + 1;
        }
    }

    /// Names of functions only inlined are in the name table but no
    /// function points at them: a search must not report them.
    #[test]
    fn inlined_only_names_are_not_functions() {
        let blob = b"main.main\0strings.inlined\0runtime.f\0";
        for endian in [Endianness::Little, Endianness::Big] {
            let t = table(endian, blob, &[0, 26], &[0, 1]);
            assert_eq!(found(&t, &every), ["main.main", "runtime.f"]);
        }
    }

    /// A function pointing at a NUL is named by the empty string, as the
    /// whole-table reader names it.
    #[test]
    fn empty_names_are_found() {
        let blob = b"main.main\0\0";
        let t = table(Endianness::Little, blob, &[0, 9, 10], &[0, 1, 2]);
        assert_eq!(found(&t, &every), ["main.main", "", ""]);
    }

    /// A function pointing into a string's tail names that tail.
    #[test]
    fn shared_tails_are_found() {
        let blob = b"pkg.main\0";
        let t = table(Endianness::Little, blob, &[0, 4], &[0, 1]);
        assert_eq!(found(&t, &every), ["pkg.main", "main"]);
    }

    #[test]
    fn records_out_of_order_are_not_streamed() {
        let blob = b"a\0b\0";
        let t = table(Endianness::Little, blob, &[0, 2], &[1, 0]);
        assert_eq!(
            name_offsets(&&t[..], 0, &layout(&t)),
            Ok(NameOffsets::Unordered)
        );
        let t = table(Endianness::Little, blob, &[0, 2], &[0, 1]);
        assert_eq!(
            name_offsets(&&t[..], 0, &layout(&t)),
            Ok(NameOffsets::Sorted(vec![0, 2]))
        );
        // Records in order whose names are not (a function first named as
        // an inlined callee): sorted all the same, duplicates kept.
        let blob = b"a\0b\0c\0d\0";
        let t = table(
            Endianness::Little,
            blob,
            &[2, 6, 0, 4, 4, 2],
            &[0, 1, 2, 3, 4, 5],
        );
        assert_eq!(
            name_offsets(&&t[..], 0, &layout(&t)),
            Ok(NameOffsets::Sorted(vec![0, 2, 2, 4, 4, 6]))
        );
    }

    #[test]
    fn names_outside_the_name_table_are_errors() {
        let blob = b"a\0b\0";
        let t = table(Endianness::Little, blob, &[0, 4], &[0, 1]);
        let e = name_offsets(&&t[..], 0, &layout(&t)).unwrap_err();
        assert_eq!(
            e,
            PclnError::NamePastEnd {
                index: 1,
                offset: 76
            }
        );
        let t = table(Endianness::Little, blob, &[0, u32::MAX], &[0, 1]);
        assert!(matches!(
            name_offsets(&&t[..], 0, &layout(&t)),
            Err(PclnError::NegativeNameOff { index: 1, .. })
        ));
        // A table cut short: the records are past the end of the bytes read.
        let short = &t[..t.len() - 40];
        assert!(matches!(
            name_offsets(&short, 0, &layout(&t)),
            Err(PclnError::FuncPastEnd { index: 1, .. })
        ));
    }

    /// Names longer than the read buffer are read whole; a table whose
    /// last name has no NUL is an error, not a name cut short.
    #[test]
    fn long_and_unterminated_names() {
        let mut blob = vec![b'x'; 3 * CHUNK];
        blob.push(0);
        blob.extend_from_slice(b"main.main\0");
        let t = table(Endianness::Big, &blob, &[0, 3 * CHUNK as u32 + 1], &[0, 1]);
        let got = found(&t, &every);
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].len(), 3 * CHUNK);
        assert_eq!(got[1], "main.main");

        let t = table(Endianness::Little, b"a\0bc", &[0], &[0]);
        let e = candidates(&&t[..], 0, &layout(&t), &every).unwrap_err();
        assert_eq!(e, PclnError::NameTableUnterminated { offset: 74 });
    }

    /// A stream told to stop reads no further block (in a table of many
    /// blocks, names past the first are not picked), yet reports the
    /// damage a full read would meet at the table's end.
    #[test]
    fn a_stopped_stream_reads_no_more_but_checks_the_end() {
        let mut blob = Vec::new();
        for i in 0..(4 * CHUNK / 16) {
            blob.extend_from_slice(format!("pkg.f{i:09}\0").as_bytes());
        }
        let t = table(Endianness::Little, &blob, &[0], &[0]);
        let l = layout(&t);
        let stop = Stop::default();
        let stop_at_first = |block: &[u8], out: &mut Vec<(usize, usize)>| {
            every(block, out);
            stop.set();
        };
        let c = candidates_until(&&t[..], 0, &l, &stop_at_first, (0, u64::MAX), &stop).unwrap();
        let seen: Vec<_> = c.strings().collect();
        assert_eq!(seen.get(10), Some(&(150, &b"pkg.f000000010"[..])));
        assert!(
            seen.len() < blob.len() / 16,
            "{} of {}",
            seen.len(),
            blob.len() / 16
        );

        // The same table without its final NUL, and cut short of its end:
        // the error a whole read gives, though the stream stopped at once.
        for cut in [1, 0] {
            let mut bad = blob.clone();
            bad.truncate(bad.len() - cut);
            bad.push(b'x');
            let want = if cut == 1 {
                PclnError::NameTableUnterminated {
                    offset: 72 + bad.len() as u64 - 15,
                }
            } else {
                PclnError::NameTablePastEnd {
                    offset: 72 + bad.len() as u64 - CHUNK as u64,
                }
            };
            let mut t = table(Endianness::Little, &bad, &[0], &[0]);
            let l = layout(&t);
            if cut == 0 {
                // The file ends inside the name table.
                t.truncate(72 + bad.len() - 1);
            }
            let whole = candidates(&&t[..], 0, &l, &every);
            let stop = Stop::default();
            stop.set();
            let stopped = candidates_until(&&t[..], 0, &l, &every, (0, u64::MAX), &stop);
            assert_eq!(stopped.unwrap_err(), want);
            assert!(whole.is_err());
        }
    }

    /// Rounds cover the table once, in order, each at least twice the last
    /// but the last; the strings read round by round are the whole table's.
    #[test]
    fn rounds_make_the_whole_table() {
        let l = |len: u64| NameLayout {
            names: (100, 100 + len),
            ..layout(&table(Endianness::Little, b"a\0", &[0], &[0]))
        };
        for len in [
            0,
            1,
            PARALLEL_FROM,
            3 * PARALLEL_FROM,
            16 * PARALLEL_FROM + 7,
            74_000_000,
        ] {
            let r = rounds(&l(len));
            // Every byte once: sorted, the ranges tile the table.
            let mut sorted = r.clone();
            sorted.sort_unstable();
            assert_eq!(sorted.first().map(|r| r.0), Some(0), "{len}");
            assert_eq!(sorted.last().map(|r| r.1), Some(len), "{len}");
            assert!(sorted.windows(2).all(|w| w[0].1 == w[1].0), "{len}: {r:?}");
            assert!(r.iter().all(|r| r.0 < r.1 || len == 0), "{len}: {r:?}");
            if r.len() > 1 {
                // The head, then the tail as large, then the middle in order.
                assert_eq!(r[0].0, 0);
                assert_eq!((r[1].1, r[1].1 - r[1].0), (len, r[0].1), "{len}: {r:?}");
                for w in r[2..].windows(2) {
                    assert_eq!(w[0].1, w[1].0);
                    assert!(w[1].1 - w[1].0 >= 2 * (w[0].1 - w[0].0), "{len}: {r:?}");
                }
            }
            assert!(r.len() <= 8, "{len}: {r:?}");
        }
        assert_eq!(
            rounds(&l(3 * PARALLEL_FROM - 1)),
            [(0, 3 * PARALLEL_FROM - 1)]
        );
        assert_eq!(rounds(&l(74_000_000)).len(), 7);

        // A table of many parts, read round by round.
        let mut blob = Vec::new();
        let mut i = 0u32;
        while blob.len() < 5 * PARALLEL_FROM as usize {
            blob.extend_from_slice(format!("pkg{}.f{i}\0", i % 7).as_bytes());
            i += 1;
        }
        let t = table(Endianness::Little, &blob, &[0], &[0]);
        let l = layout(&t);
        let pick = |block: &[u8], out: &mut Vec<(usize, usize)>| {
            crate::pick::strings_holding_any(&[b"pkg3."], block, out)
        };
        let whole = candidates(&&t[..], 0, &l, &pick).unwrap();
        let never = Stop::default();
        let mut parts: Vec<_> = rounds(&l)
            .into_iter()
            .map(|r| {
                (
                    r,
                    candidates_until(&&t[..], 0, &l, &pick, r, &never).unwrap(),
                )
            })
            .collect();
        parts.sort_unstable_by_key(|(r, _)| *r);
        let mut by_rounds = Candidates::default();
        parts.into_iter().for_each(|(_, c)| by_rounds.append(c));
        let strings = |c: &Candidates| {
            c.strings()
                .map(|(a, s)| (a, s.to_vec()))
                .collect::<Vec<_>>()
        };
        assert_eq!(strings(&by_rounds), strings(&whole));
        assert_eq!(
            whole.strings().count(),
            (0..i).filter(|j| j % 7 == 3).count()
        );
    }

    /// Only the strings `pick` keeps are copied out.
    #[test]
    fn only_picked_strings_are_kept() {
        let blob = b"main.main\0runtime.mallocgc\0";
        let t = table(Endianness::Little, blob, &[0, 10], &[0, 1]);
        let pick = |block: &[u8], out: &mut Vec<(usize, usize)>| {
            if let Some(at) = memchr::memmem::find(block, b"malloc") {
                let s = memchr::memrchr(0, &block[..at]).map_or(0, |i| i + 1);
                let e = at + memchr::memchr(0, &block[at..]).unwrap();
                out.push((s, e));
            }
        };
        assert_eq!(found(&t, &pick), ["runtime.mallocgc"]);
    }

    /// Cutting the name table anywhere gives each string to exactly one
    /// part: the parts together are the whole, whatever the cut points.
    #[test]
    fn parts_of_the_name_table_make_the_whole() {
        let mut blob = Vec::new();
        for (i, len) in [3usize, 0, 1, 2 * CHUNK + 5, 7, 0, 0, CHUNK - 1, 4, 1]
            .iter()
            .enumerate()
        {
            blob.extend(std::iter::repeat_n(b'a' + i as u8, *len));
            blob.push(0);
        }
        let t = table(Endianness::Little, &blob, &[0], &[0]);
        let l = layout(&t);
        let strings = |c: &Candidates| -> Vec<(u64, Vec<u8>)> {
            c.strings().map(|(at, s)| (at, s.to_vec())).collect()
        };
        let never = Stop::default();
        let in_range = |range| candidates_in(&&t[..], 0, &l, &every, range, &never);
        let whole = strings(&in_range((0, u64::MAX)).unwrap());
        assert_eq!(whole.len(), 10);
        let n = blob.len() as u64;
        let cuts = [
            1,
            3,
            4,
            5,
            6,
            CHUNK as u64,
            2 * CHUNK as u64 + 9,
            n - 2,
            n - 1,
            n,
        ];
        for &a in &cuts {
            for &b in cuts.iter().filter(|&&b| b >= a) {
                let mut parts = Vec::new();
                for range in [(0, a), (a, b), (b, u64::MAX)] {
                    let c = in_range(range).unwrap();
                    parts.extend(strings(&c));
                }
                assert_eq!(parts, whole, "cut at {a} and {b}");
            }
        }
    }

    /// A lookup finds functions named where their names are laid out
    /// (the usual case); for a name no function has, or one whose function
    /// points back at an earlier copy, it only ever answers "not found".
    #[test]
    fn lookups_find_functions_and_nothing_else() {
        // 500 functions named in order, every 7th also inlining the name
        // that follows its own (no function has it); function 499 is named
        // by the inlined name of function 7.
        let mut blob = Vec::new();
        let mut offs = Vec::new();
        let mut inlined = Vec::new();
        for i in 0..500u32 {
            offs.push(blob.len() as u32);
            blob.extend_from_slice(format!("pkg.f{i}").as_bytes());
            blob.push(0);
            if i % 7 == 0 {
                inlined.push(blob.len() as u32);
                blob.extend_from_slice(format!("pkg.inl{i}").as_bytes());
                blob.push(0);
            }
        }
        offs[499] = inlined[1];
        let order: Vec<usize> = (0..500).collect();
        for endian in [Endianness::Little, Endianness::Big] {
            let t = table(endian, &blob, &offs, &order);
            let l = layout(&t);
            let src = &t[..];
            let mut look = FuncLookup::new(&src, 0, &l, 10_000);
            let found = offs[..499]
                .iter()
                .filter(|&&o| look.names_function(o))
                .count();
            assert_eq!(found, 499);
            for (k, &o) in inlined.iter().enumerate() {
                // Only the one function 499 points at is found, if at all.
                if look.names_function(o) {
                    assert_eq!(k, 1);
                }
            }
            // Offsets inside names, or past the table, are never functions.
            assert!(!look.names_function(offs[3] + 1));
            assert!(!look.names_function(u32::MAX));
        }
        // The budget bounds the reads of every lookup together.
        let t = table(Endianness::Little, &blob, &offs, &order);
        let l = layout(&t);
        let src = &t[..];
        let mut look = FuncLookup::new(&src, 0, &l, 3);
        let found = offs.iter().filter(|&&o| look.names_function(o)).count();
        assert!(found <= 3, "{found}");
    }

    /// A table cut short: a lookup whose records are not all there finds
    /// nothing (the full read that follows reports the damage).
    #[test]
    fn lookups_in_a_cut_table_find_nothing_past_it() {
        let blob = b"a\0b\0c\0";
        let t = table(Endianness::Little, blob, &[0, 2, 4], &[0, 1, 2]);
        let l = layout(&t);
        let whole = &t[..];
        assert!(FuncLookup::new(&whole, 0, &l, 100).names_function(4));
        let short = &t[..t.len() - 40];
        let mut look = FuncLookup::new(&short, 0, &l, 100);
        for o in [0, 2, 4] {
            assert!(!look.names_function(o));
        }
    }

    /// Many functions pointing into one long name stop at the budget.
    #[test]
    fn overlapping_names_are_bounded() {
        let mut blob = vec![b'x'; 10_000];
        blob.push(0);
        let offs: Vec<u32> = (0..1000).collect();
        let order: Vec<usize> = (0..1000).collect();
        let t = table(Endianness::Little, &blob, &offs, &order);
        let l = layout(&t);
        let NameOffsets::Sorted(o) = name_offsets(&&t[..], 0, &l).unwrap() else {
            panic!("unordered")
        };
        let c = candidates(&&t[..], 0, &l, &every).unwrap();
        let mut seen = 0u64;
        let r = c.try_each_function(&o, 40_000, &mut |n| {
            seen += n.len() as u64;
            false
        });
        assert_eq!(r, Err(pick::OverBudget));
        assert!(seen <= 40_000);
        assert_eq!(c.try_each_function(&o, 1 << 24, &mut |_| false), Ok(false));
    }
}
