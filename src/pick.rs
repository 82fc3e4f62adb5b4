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
pub type Pick<'p> = &'p dyn Fn(&[u8], &mut Vec<(usize, usize)>);

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

/// A searcher for [`strings_holding`]. Leftmost-first lets the automaton
/// use its SIMD prefilters (which literal is reported does not matter: the
/// whole string is kept); standard matching would scan byte by byte.
pub fn searcher<P: AsRef<[u8]>>(literals: &[P]) -> Result<AhoCorasick, BuildError> {
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostFirst)
        .build(literals)
}

/// Picks the strings that hold a match of `ac` (one search of the block:
/// after a match, the search goes on past the end of its string).
pub fn strings_holding(ac: &AhoCorasick, block: &[u8], out: &mut Vec<(usize, usize)>) {
    let mut pos = 0;
    while pos < block.len() {
        let Some(m) = ac.find(Input::new(block).span(pos..block.len())) else {
            break;
        };
        let at = m.start();
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
}
