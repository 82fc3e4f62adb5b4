//! Picking strings out of blocks of NUL-separated strings (a string table,
//! the pclntab's name table) without keeping one entry per string: the
//! streamed readers and the symbol query agree on this one contract.
//!
//! A pick appends `(start, end)` ranges of the block. A range holds one or
//! more whole strings; `end` is the NUL of its last string (or the block
//! end when that string has none). Adjacent picks are merged, so memory
//! stays at most the block's size however many strings are picked; a
//! reader finds each name's end at the first NUL after its start.

use aho_corasick::{AhoCorasick, BuildError, Input, MatchKind};

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
/// Teddy (SIMD, `aho_corasick::packed`) when the CPU has it: the general
/// automaton picks its prefilter from the literals' first bytes, and with
/// two or three literals it searches for those bytes alone; in Go names
/// (`runtime.…`, `main.…`) they are everywhere, and a table searched that
/// way took ten times as long.
#[derive(Debug, Clone)]
pub enum Literals {
    Teddy(aho_corasick::packed::Searcher),
    Automaton(AhoCorasick),
}

impl Literals {
    /// The first match at or after `from`: its start.
    pub fn find(&self, hay: &[u8], from: usize) -> Option<usize> {
        let end = hay.len();
        if from > end {
            return None;
        }
        match self {
            Literals::Teddy(t) => t.find_in(hay, aho_corasick::Span::from(from..end)),
            Literals::Automaton(ac) => ac.find(Input::new(hay).span(from..end)),
        }
        .map(|m| m.start())
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
}
