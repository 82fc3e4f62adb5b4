//! Picking strings out of blocks of NUL-separated strings (a string table,
//! the pclntab's name table) without keeping one entry per string: the
//! streamed readers and the symbol query agree on this one contract.
//!
//! A pick appends `(start, end)` ranges of the block. A range holds one or
//! more whole strings; `end` is the NUL of its last string (or the block
//! end when that string has none). Adjacent picks are merged, so memory
//! stays at most the block's size however many strings are picked; a
//! reader finds each name's end at the first NUL after its start.
//!
//! [`string_blocks`] reads a table in such blocks through one reused buffer,
//! and [`Candidates`] keeps what a pick picked, with its table offsets.

use std::cell::Cell;

use aho_corasick::{AhoCorasick, BuildError, Input, MatchKind};

use crate::readat::ReadAt;

/// Picks strings from a block; see the module doc.
pub type Pick<'p> = &'p (dyn Fn(&[u8], &mut Vec<(usize, usize)>) + Sync);

/// Appends `start..end`, merged into the last range when that ends at the
/// NUL just before `start`.
pub fn push_range(out: &mut Vec<(usize, usize)>, start: usize, end: usize) {
    if let Some(last) = out.last_mut()
        && last.1.checked_add(1) == Some(start)
    {
        last.1 = end;
        return;
    }
    out.push((start, end));
}

/// Picks every string of the block.
pub fn every_string(block: &[u8], out: &mut Vec<(usize, usize)>) {
    match block.split_last() {
        None => {}
        Some((0, _)) => push_range(out, 0, block.len() - 1),
        Some(_) => push_range(out, 0, block.len()),
    }
}

/// Literals to look for in blocks of names, for [`strings_holding`].
///
/// Up to [`EACH_UP_TO`] literals, one `memchr::memmem` search each: it
/// looks for the literal's two rarest bytes, and on a Go name table
/// (73 MB, in 64 KiB blocks) one literal took a third of Teddy's time and
/// three took as long as Teddy. More literals: Teddy (SIMD,
/// `aho_corasick::packed`) when the CPU has it: the general automaton
/// picks its prefilter from the literals' first bytes, and with two or
/// three literals it searches for those bytes alone; in Go names
/// (`runtime.…`, `main.…`) they are everywhere, and a table searched that
/// way took ten times as long.
#[derive(Debug, Clone)]
pub enum Literals {
    Each(Vec<memchr::memmem::Finder<'static>>),
    Teddy(aho_corasick::packed::Searcher),
    Automaton(AhoCorasick),
}

/// The most literals searched for one at a time (see [`Literals`]).
const EACH_UP_TO: usize = 3;

/// How common each byte is in symbol names, as `memchr`'s rank (255 the
/// most common), so that a literal is looked for by its two rarest bytes
/// in names rather than in prose: memchr's own table ranks `.` and the
/// lower-case letters of `main.main` as rare enough, and on a Go name
/// table that search took 70% longer. Counted in the pclntab name tables
/// of three large Go binaries (93 MB, each weighted alike).
struct NameBytes;

impl memchr::arch::all::packedpair::HeuristicFrequencyRank for NameBytes {
    fn rank(&self, byte: u8) -> u8 {
        NAME_BYTE_RANK[usize::from(byte)]
    }
}

#[rustfmt::skip]
const NAME_BYTE_RANK: [u8; 256] = [
    232, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14,
    15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
    203, 31, 194, 32, 173, 182, 33, 34, 224, 225, 228, 35, 188, 235, 246, 248,
    191, 229, 219, 193, 190, 184, 185, 178, 223, 181, 192, 183, 36, 174, 168, 37,
    38, 218, 198, 227, 220, 206, 204, 212, 195, 214, 187, 186, 213, 215, 207, 216,
    222, 177, 221, 226, 217, 200, 209, 201, 202, 175, 176, 196, 189, 197, 39, 208,
    40, 251, 236, 245, 239, 255, 234, 243, 237, 253, 210, 233, 244, 240, 247, 254,
    242, 199, 250, 249, 252, 241, 238, 231, 205, 230, 211, 179, 41, 180, 42, 43,
    44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59,
    60, 61, 62, 63, 64, 65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75,
    76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88, 89, 90, 91,
    169, 92, 93, 94, 95, 96, 97, 171, 98, 99, 100, 101, 102, 103, 104, 105,
    106, 107, 172, 108, 109, 110, 111, 112, 113, 114, 115, 116, 117, 118, 119, 120,
    121, 122, 123, 124, 125, 126, 127, 128, 129, 130, 131, 170, 132, 133, 134, 135,
    136, 137, 138, 139, 140, 141, 142, 143, 144, 145, 146, 147, 148, 149, 150, 151,
    152, 153, 154, 155, 156, 157, 158, 159, 160, 161, 162, 163, 164, 165, 166, 167,
];

/// A forward searcher for `literal` among names.
fn name_finder(literal: &[u8]) -> memchr::memmem::Finder<'static> {
    memchr::memmem::FinderBuilder::new()
        .build_forward_with_ranker(NameBytes, literal)
        .into_owned()
}

impl Literals {
    /// The first match at or after `from`: its start.
    pub fn find(&self, hay: &[u8], from: usize) -> Option<usize> {
        let end = hay.len();
        if from > end {
            return None;
        }
        let rest = hay.get(from..).unwrap_or_default();
        match self {
            Literals::Each(finders) => finders
                .iter()
                .filter_map(|f| f.find(rest))
                .min()
                .map(|i| from + i),
            Literals::Teddy(t) => t
                .find_in(hay, aho_corasick::Span::from(from..end))
                .map(|m| m.start()),
            Literals::Automaton(ac) => ac.find(Input::new(hay).span(from..end)).map(|m| m.start()),
        }
    }

    pub fn is_match(&self, hay: &[u8]) -> bool {
        self.find(hay, 0).is_some()
    }
}

/// A searcher for [`strings_holding`]. A literal that contains another is
/// dropped: every string holding it holds the other. Leftmost-first lets
/// the automaton use its prefilters (which literal is reported does not
/// matter: the whole string is kept).
pub fn searcher<P: AsRef<[u8]>>(literals: &[P]) -> Result<Literals, BuildError> {
    let all: Vec<&[u8]> = literals.iter().map(AsRef::as_ref).collect();
    let kept: Vec<&[u8]> = all
        .iter()
        .enumerate()
        .filter(|&(i, l)| {
            !all.iter().enumerate().any(|(j, o)| {
                j != i
                    && o.len() <= l.len()
                    && memchr::memmem::find(l, o).is_some()
                    && (o.len() < l.len() || j < i)
            })
        })
        .map(|(_, l)| *l)
        .collect();
    if kept.len() <= EACH_UP_TO && kept.iter().all(|l| !l.is_empty()) {
        let finders = kept.iter().map(|l| name_finder(l)).collect();
        return Ok(Literals::Each(finders));
    }
    let teddy = aho_corasick::packed::Config::new()
        .match_kind(aho_corasick::packed::MatchKind::LeftmostFirst)
        .builder()
        .extend(&kept)
        .build();
    if let Some(t) = teddy {
        return Ok(Literals::Teddy(t));
    }
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .build(&kept)
        .map(Literals::Automaton)
}

/// Picks the strings that hold a match of `lits` (one search of the
/// block: after a match, the search goes on past the end of its string).
pub fn strings_holding(lits: &Literals, block: &[u8], out: &mut Vec<(usize, usize)>) {
    if let Literals::Each(finders) = lits {
        return strings_holding_each(finders, block, out);
    }
    let mut pos = 0;
    while pos < block.len() {
        let Some(at) = lits.find(block, pos) else {
            break;
        };
        let start = memchr::memrchr(0, block.get(..at).unwrap_or_default()).map_or(0, |i| i + 1);
        let end =
            memchr::memchr(0, block.get(at..).unwrap_or_default()).map_or(block.len(), |i| at + i);
        push_range(out, start, end);
        pos = end.saturating_add(1);
    }
}

/// [`strings_holding`] with a few literals searched one at a time: each
/// literal's next match is kept until the search passes it, so a rare
/// literal is not searched for again from every match of a frequent one.
fn strings_holding_each(
    finders: &[memchr::memmem::Finder<'static>],
    block: &[u8],
    out: &mut Vec<(usize, usize)>,
) {
    let find = |f: &memchr::memmem::Finder<'_>, pos: usize| {
        block
            .get(pos..)
            .and_then(|rest| f.find(rest))
            .map(|i| pos + i)
    };
    let mut next: Vec<Option<usize>> = finders.iter().map(|f| find(f, 0)).collect();
    while let Some(at) = next.iter().flatten().copied().min() {
        let start = memchr::memrchr(0, block.get(..at).unwrap_or_default()).map_or(0, |i| i + 1);
        let end =
            memchr::memchr(0, block.get(at..).unwrap_or_default()).map_or(block.len(), |i| at + i);
        push_range(out, start, end);
        let pos = end.saturating_add(1);
        for (n, f) in next.iter_mut().zip(finders) {
            if n.is_some_and(|n| n < pos) {
                *n = find(f, pos);
            }
        }
    }
}

/// Picks the strings that hold one of `needles`, searching for each with
/// `memchr::memmem` (faster than an automaton for a few long needles).
pub fn strings_holding_any(needles: &[&[u8]], block: &[u8], out: &mut Vec<(usize, usize)>) {
    let mut found = Vec::new();
    for needle in needles.iter().filter(|n| !n.is_empty()) {
        let mut pos = 0;
        while let Some(at) = block
            .get(pos..)
            .and_then(|rest| memchr::memmem::find(rest, needle))
            .map(|i| pos + i)
        {
            let start =
                memchr::memrchr(0, block.get(..at).unwrap_or_default()).map_or(0, |i| i + 1);
            let end = memchr::memchr(0, block.get(at..).unwrap_or_default())
                .map_or(block.len(), |i| at + i);
            found.push((start, end));
            pos = end.saturating_add(1);
        }
    }
    found.sort_unstable();
    found.dedup();
    for (start, end) in found {
        push_range(out, start, end);
    }
}

/// The name starting at `at` in `bytes`: up to its NUL, or the end.
pub fn name_at(bytes: &[u8], at: usize) -> &[u8] {
    let rest = bytes.get(at..).unwrap_or_default();
    rest.get(..memchr::memchr(0, rest).unwrap_or(rest.len()))
        .unwrap_or_default()
}

/// [`Candidates::try_each_function`] stopped: the names given passed the budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OverBudget;

/// Bytes read per block of a string table: large enough that system calls
/// do not dominate, small enough to stay in cache.
const BLOCK: usize = 64 << 10;

/// The first read looking for where a part's first string starts.
const FIRST_BLOCK: usize = 4 << 10;

thread_local! {
    /// A thread's buffer for a string table, kept from one part of a table
    /// to the next: a new one per part costs page faults.
    static NAME_BUF: Cell<Vec<u8>> = const { Cell::new(Vec::new()) };
}

/// Gives the buffer back to its thread, unless a long name grew it.
struct Reused(Vec<u8>);

impl Drop for Reused {
    fn drop(&mut self) {
        if self.0.capacity() <= 2 * BLOCK {
            NAME_BUF.set(std::mem::take(&mut self.0));
        }
    }
}

/// Why a string table could not be streamed to its end; offsets are the
/// table's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableError {
    /// The bytes from here are not in the file.
    PastEnd(u64),
    /// The string that starts here has no NUL before the table ends.
    Unterminated(u64),
}

/// Streams the strings of the table of `names_len` bytes at file offset
/// `start` that start in `[from, to)`, in blocks of whole strings:
/// `f(offset, block)`, where `offset` is the block's position in the table
/// and `block` ends with a NUL. A string starts at 0 or after a NUL, so
/// each string is in exactly one part however the table is cut, and parts
/// of one table can be read at the same time. Bytes after the table's
/// last NUL are no string: they end the stream with
/// [`TableError::Unterminated`], once every string before them was given.
/// `f` returns true to stop the stream there. One buffer per thread is
/// reused; it grows only to hold a name longer than a block.
pub fn string_blocks<S: ReadAt + ?Sized>(
    src: &S,
    start: u64,
    names_len: u64,
    (from, to): (u64, u64),
    f: &mut dyn FnMut(u64, &[u8]) -> bool,
) -> Result<(), TableError> {
    let to = to.min(names_len);
    let unterminated = TableError::Unterminated;
    let past_end = TableError::PastEnd;
    let mut reused = Reused(NAME_BUF.take());
    let buf = &mut reused.0;
    // The first string that starts at or after `from`: after the first NUL
    // at or after `from - 1`.
    let mut done = from.min(names_len);
    if done > 0 {
        let mut at = done - 1;
        // Names are short: a small read nearly always holds the NUL.
        let mut want = FIRST_BLOCK;
        loop {
            if at >= names_len {
                return Err(unterminated(done));
            }
            let len = usize::try_from(names_len - at).map_or(want, |r| r.min(want));
            want = want.saturating_mul(2).min(BLOCK);
            buf.resize(len, 0);
            if !src.read_exact_at(start.saturating_add(at), buf) {
                return Err(past_end(at));
            }
            if let Some(i) = memchr::memchr(0, buf) {
                done = at.saturating_add(i as u64 + 1);
                break;
            }
            at = at.saturating_add(len as u64);
        }
    }
    let mut want = BLOCK;
    while done < to {
        let len = usize::try_from(names_len - done).map_or(want, |r| r.min(want));
        if buf.len() < len {
            buf.resize(len, 0);
        }
        let block = buf.get_mut(..len).unwrap_or_default();
        if !src.read_exact_at(start.saturating_add(done), block) {
            return Err(past_end(done));
        }
        // The last string that starts before `to` ends at the first NUL at
        // or after `to - 1`; past it, strings belong to the next part.
        let limit = usize::try_from(to - 1 - done).unwrap_or(usize::MAX);
        let last = block
            .get(limit..)
            .and_then(|tail| memchr::memchr(0, tail))
            .map(|i| i + limit)
            .or_else(|| memchr::memrchr(0, block));
        match last {
            Some(last) => {
                let whole = block.get(..=last).unwrap_or_default();
                if f(done, whole) {
                    return Ok(());
                }
                done = done.saturating_add(last as u64 + 1);
                want = BLOCK;
            }
            // One name longer than the buffer: read more of it at once,
            // never more than the table holds.
            None if (len as u64) < names_len - done => want = want.saturating_mul(2),
            None => return Err(unterminated(done)),
        }
    }
    Ok(())
}

/// Strings of a table that a search picked, copied out of the stream's
/// buffer: each with its offset in the table.
#[derive(Debug, Clone, Default)]
pub struct Candidates {
    bytes: Vec<u8>,
    /// (offset in the name table, start in `bytes`, length).
    items: Vec<(u64, usize, usize)>,
}

impl Candidates {
    /// The function names among the candidates: a function whose
    /// `nameOff` falls in a string names that string from there to its
    /// NUL. Go's linker points every function at a string's start; other
    /// linkers may share a string's tail, which this also finds.
    /// Calls `f` with each function name among the candidates until it
    /// returns true (the result); stops with an error once the names given
    /// pass `budget` bytes: hostile offsets can point many functions into
    /// one long string.
    pub fn try_each_function(
        &self,
        offsets: &[u32],
        budget: u64,
        f: &mut dyn FnMut(&[u8]) -> bool,
    ) -> Result<bool, OverBudget> {
        let mut left = budget;
        for name in self.functions(offsets) {
            left = left.checked_sub(name.len() as u64).ok_or(OverBudget)?;
            if f(name) {
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The function names among the candidates: a function whose
    /// `nameOff` falls in a kept range names the string from there to its
    /// NUL. Go's linker points every function at a string's start; other
    /// linkers may share a string's tail, which this also finds, and a
    /// function pointing at a NUL is named by the empty string.
    pub fn functions<'a>(&'a self, offsets: &'a [u32]) -> impl Iterator<Item = &'a [u8]> + 'a {
        self.items.iter().flat_map(move |&(at, start, len)| {
            let bytes = self
                .bytes
                .get(start..start.saturating_add(len))
                .unwrap_or_default();
            // Up to and including the last NUL of the range.
            let end = at.saturating_add(len as u64);
            let first = offsets.partition_point(|&o| u64::from(o) < at);
            let last = offsets.partition_point(|&o| u64::from(o) <= end);
            offsets
                .get(first..last.max(first))
                .unwrap_or_default()
                .iter()
                .filter_map(move |&o| {
                    let from = usize::try_from(u64::from(o) - at).ok()?;
                    Some(name_at(bytes, from))
                })
        })
    }

    /// Every picked string with its offset in the name table.
    pub fn strings(&self) -> impl Iterator<Item = (u64, &[u8])> + '_ {
        self.items.iter().flat_map(move |&(at, start, len)| {
            let bytes = self
                .bytes
                .get(start..start.saturating_add(len))
                .unwrap_or_default();
            let mut from = 0usize;
            bytes.split(|&b| b == 0).map(move |s| {
                let here = at.saturating_add(from as u64);
                from = from.saturating_add(s.len() + 1);
                (here, s)
            })
        })
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// `(offset in the table, length)` of each kept range, in the order kept.
    pub fn ranges(&self) -> impl Iterator<Item = (u64, usize)> + '_ {
        self.items.iter().map(|&(at, _, len)| (at, len))
    }

    /// Copies the `ranges` a pick kept of `block`, which starts at `at` in
    /// the table.
    pub fn keep(&mut self, at: u64, block: &[u8], ranges: &[(usize, usize)]) {
        for &(s, e) in ranges {
            let Some(bytes) = block.get(s..e) else {
                continue;
            };
            let here = at.saturating_add(s as u64);
            self.items.push((here, self.bytes.len(), bytes.len()));
            self.bytes.extend_from_slice(bytes);
        }
    }

    /// The name at table offset `at` when it lies in a kept range (up to
    /// and including the range's last NUL): from there to its NUL. Kept
    /// ranges must be in table order, as one stream keeps them.
    pub fn name_from(&self, at: u64) -> Option<&[u8]> {
        let k = self.items.partition_point(|&(s, _, _)| s <= at);
        let &(s, start, len) = self.items.get(k.checked_sub(1)?)?;
        let from = usize::try_from(at - s).ok()?;
        if from > len {
            return None;
        }
        let bytes = self.bytes.get(start..start.saturating_add(len))?;
        Some(name_at(bytes, from))
    }

    /// Adds the strings of a later part of the table.
    pub fn append(&mut self, later: Candidates) {
        let base = self.bytes.len();
        self.items.extend(
            later
                .items
                .iter()
                .map(|&(at, start, len)| (at, start + base, len)),
        );
        self.bytes.extend_from_slice(&later.bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(
        block: &[u8],
        pick: impl Fn(&[u8], &mut Vec<(usize, usize)>),
    ) -> Vec<(usize, usize)> {
        let mut out = Vec::new();
        pick(block, &mut out);
        out
    }

    /// Adjacent strings share one range: a million empty names cost one entry.
    #[test]
    fn adjacent_picks_merge() {
        let block = vec![0u8; 1 << 20];
        assert_eq!(strings(&block, every_string), [(0, (1 << 20) - 1)]);
        assert_eq!(strings(b"ab\0cd\0ef", every_string), [(0, 8)]);
        assert!(strings(b"", every_string).is_empty());
        let ac = searcher(&["x"]).unwrap();
        let block = b"ax\0xb\0cc\0x\0";
        assert_eq!(
            strings(block, |b, o| strings_holding(&ac, b, o)),
            [(0, 5), (9, 10)]
        );
        assert_eq!(
            strings(block, |b, o| strings_holding_any(&[b"c", b"x"], b, o)),
            [(0, 10)]
        );
        assert_eq!(
            strings(block, |b, o| strings_holding_any(&[b"b"], b, o)),
            [(3, 5)]
        );
        assert_eq!(name_at(block, 3), b"xb");
        assert_eq!(name_at(block, 5), b"");
        assert_eq!(name_at(block, 99), b"");
    }

    /// A literal holding another is dropped, and the picks are those of a
    /// plain search for every literal, Teddy or not.
    #[test]
    fn literals_pick_what_a_plain_search_picks() {
        let lits: [&[u8]; 5] = [b"race", b"x_race_y", b"runtime.main", b"main", b"boring"];
        let block = b"runtime.main\0trace\0x\0q_boring\0x_race_y\0ma\0in\0domain\0";
        let want = strings(block, |b, o| strings_holding_any(&lits, b, o));
        let s = searcher(&lits).unwrap();
        assert_eq!(strings(block, |b, o| strings_holding(&s, b, o)), want);
        let ac = AhoCorasick::builder()
            .match_kind(MatchKind::LeftmostFirst)
            .build(["race", "main", "boring"])
            .map(Literals::Automaton)
            .unwrap();
        assert_eq!(strings(block, |b, o| strings_holding(&ac, b, o)), want);
        assert!(s.is_match(b"a boring name") && !s.is_match(b"rac"));
        assert_eq!(s.find(b"xx", 5), None);
    }

    /// A few literals are searched one at a time, and pick what Teddy (or
    /// the automaton) picks, on every arrangement of matches in a block.
    #[test]
    fn each_literal_picks_what_teddy_picks() {
        let sets: [&[&[u8]]; 4] = [
            &[b"_cgo_"],
            &[b"main.main", b"_cgo_"],
            &[b"ra", b"ce", b"main"],
            &[b"x_cgo_", b"_cgo_", b"boring"],
        ];
        let words: [&[u8]; 9] = [
            b"runtime.main",
            b"trace",
            b"_cgo_init",
            b"x_cgo_y",
            b"main.main",
            b"domain",
            b"",
            b"raceboring",
            b"ra\xFFce",
        ];
        let mut seed = 7u32;
        for lits in sets {
            let each = searcher(lits).unwrap();
            assert!(matches!(each, Literals::Each(_)));
            let ac = AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostFirst)
                .build(lits)
                .map(Literals::Automaton)
                .unwrap();
            for _ in 0..300 {
                let mut block = Vec::new();
                for _ in 0..(seed % 9) {
                    seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12_345);
                    block.extend_from_slice(words[(seed >> 16) as usize % words.len()]);
                    if seed & 1 == 0 {
                        block.push(0);
                    }
                }
                seed = seed.wrapping_add(1);
                let want = strings(&block, |b, o| strings_holding(&ac, b, o));
                assert_eq!(strings(&block, |b, o| strings_holding(&each, b, o)), want);
                // A literal holding another was dropped: the match may
                // start later, never in another string.
                assert_eq!(each.is_match(&block), ac.is_match(&block));
            }
        }
    }
}
