//! Scans of read-only data for Go facts that have no structure to parse:
//! the sentinel-framed module info gccgo binaries carry, and version
//! strings as a last resort. Both are linear in the input, whatever it holds.
//!
//! Primary sources: `src/cmd/go/internal/modload/build.go` (`infoStart`,
//! `infoEnd`, `ModInfoData`; gccgo receives that literal through
//! `ModInfoProg` and `runtime.setmodinfo`), `src/debug/buildinfo/buildinfo.go`
//! (the reader's `\n` check), and `src/internal/gover/gover.go, Parse` for
//! the version grammar. See `shared/reference/elf-go-formats.md` §1 and §4.
//!
//! ```text
//! modinfo literal: infoStart (16 bytes) | BuildInfo.String() text, ends "\n" | infoEnd (16 bytes)
//! version string:  go1.<minor>[.<patch> | (alpha|beta|rc)<n>]  then a byte that cannot continue it
//! ```

use std::ops::Range;

use memchr::memmem;

use super::pclntab::VersionRange;
use super::window::{Steps, Window};

/// `infoStart` from `cmd/go/internal/modload/build.go`.
pub const INFO_START: [u8; 16] = [
    0x30, 0x77, 0xaf, 0x0c, 0x92, 0x74, 0x08, 0x02, 0x41, 0xe1, 0xc1, 0x07, 0xe6, 0xd6, 0x18, 0xe6,
];

/// `infoEnd` from `cmd/go/internal/modload/build.go`.
pub const INFO_END: [u8; 16] = [
    0xf9, 0x32, 0x43, 0x31, 0x86, 0x18, 0x20, 0x72, 0x00, 0x82, 0x42, 0x10, 0x41, 0x16, 0xd8, 0xf2,
];

/// Most modinfo text accepted between the sentinels. `BuildInfo.String()`
/// spends one line of ~100-200 bytes per dependency plus ~30 `build`
/// lines; the largest modules (Kubernetes, ~600 dependencies) stay under
/// 100 KiB, so 1 MiB is ten times that. Larger gaps are a chance pairing of
/// sentinel bytes, and would hand the modinfo parser megabytes of noise.
pub const MAX_MODINFO_LEN: usize = 1 << 20;

/// The module info text framed by `infoStart`/`infoEnd`, without them.
///
/// Pairs each end with the nearest start before it (the text cannot hold
/// the sentinels: they are not UTF-8), and keeps the first pair whose text
/// is 1..=[`MAX_MODINFO_LEN`] bytes and ends in `\n`, as Go's buildinfo
/// reader requires. Starts without an end, or ends without a start, are
/// skipped. Each sentinel is searched for once: linear time.
pub fn find_sentinel_modinfo(data: &[u8]) -> Option<&[u8]> {
    let mut search = ModinfoSearch::default();
    let text = search.feed(Window::whole(data))?;
    let start = usize::try_from(text.start).ok()?;
    let end = usize::try_from(text.end).ok()?;
    data.get(start..end)
}

/// [`find_sentinel_modinfo`] over a range offered in windows
/// (`window::scan`), so that megabytes of read-only data need not be held
/// at once. Neither sentinel can overlap itself or the other, so each is
/// found exactly once, in the window where it starts.
///
/// Sentinels are taken in the order of the offset where a text would start
/// (just after a start sentinel) or end (at an end sentinel), starts first
/// on a tie: an end closes the latest start before it, if any, and that
/// start is then spent, whether its text qualified or not. This is the
/// pairing of [`find_sentinel_modinfo`], one window at a time.
#[derive(Debug, Default)]
pub struct ModinfoSearch {
    /// Where the text of the latest start not yet closed would begin.
    open: Option<u64>,
    /// Text starts past the step of the last window: they are ordered
    /// among the next window's ends.
    deferred: Vec<u64>,
}

impl ModinfoSearch {
    /// Windows of `step` bytes with the context this search needs: a
    /// sentinel that starts in a window's step ends in its `ahead` bytes,
    /// and the byte before an end (the text's last) is in the window.
    pub fn steps(step: usize) -> Steps {
        Steps {
            step,
            behind: 1,
            ahead: INFO_START.len() - 1,
        }
    }

    /// Looks through one window; the range of the first qualifying text
    /// (offsets from the start of the scanned range), once found.
    pub fn feed(&mut self, w: Window<'_>) -> Option<Range<u64>> {
        let hay = w.bytes.get(w.starts.start..)?;
        let step_end = w.at.checked_add(w.starts.end as u64)?;
        let at = |p: usize| w.at.checked_add((w.starts.start + p) as u64);
        let in_step = |&p: &usize| w.starts.start + p < w.starts.end;
        let new_starts = memmem::find_iter(hay, &INFO_START)
            .take_while(in_step)
            .filter_map(|p| at(p)?.checked_add(INFO_START.len() as u64));
        let mut starts = std::mem::take(&mut self.deferred)
            .into_iter()
            .chain(new_starts)
            .peekable();
        let mut ends = memmem::find_iter(hay, &INFO_END)
            .take_while(in_step)
            .filter_map(at)
            .peekable();
        loop {
            match (starts.peek().copied(), ends.peek().copied()) {
                // A start whose text begins at or before the next end.
                (Some(s), e) if s < step_end && e.is_none_or(|e| s <= e) => {
                    self.open = Some(s);
                    starts.next();
                }
                (_, Some(e)) => {
                    ends.next();
                    if let Some(s) = self.open.take() {
                        // The latest start is at or before `e`.
                        let len = e.checked_sub(s)?;
                        let rel = usize::try_from(e.checked_sub(w.at)?).ok()?;
                        let last = rel.checked_sub(1).and_then(|i| w.bytes.get(i));
                        if len > 0 && len <= MAX_MODINFO_LEN as u64 && last == Some(&b'\n') {
                            return Some(s..e);
                        }
                    }
                }
                // Starts whose text begins past this step: ordered among
                // the next window's ends.
                (Some(_), None) => {
                    self.deferred.extend(starts);
                    return None;
                }
                (None, None) => return None,
            }
        }
    }
}

/// Digits accepted per number: minors, patches and prerelease numbers have
/// one or two; the cap keeps a run of digits from becoming a candidate.
const MAX_DIGITS: usize = 4;

/// Distinct candidates tracked. Real binaries hold one to three (build
/// version, toolchain paths, a message quoting an older release); past the
/// cap new spellings are ignored while known ones keep counting.
const MAX_DISTINCT: usize = 64;

/// A Go version string found in read-only data, e.g. `go1.21.13`.
///
/// This is an inference, to be reported as such. It finds every
/// `go1.<minor>[.<patch>|(alpha|beta|rc)<n>]` followed by a byte that
/// cannot continue it, and keeps those whose major.minor falls in `range`
/// (from the pclntab magic, when known). Among them it prefers the one seen
/// most often right after a NUL (or at offset 0), then the most frequent,
/// then the earliest. The linker stores `runtime.buildVersion`'s text as its
/// own symbol, so it usually follows alignment padding, while quotes in
/// messages sit inside Go's separator-free string data.
///
/// Weaknesses: no preceding byte is required (string data is packed), so
/// `cargo1.5` yields `go1.5`; a message quoting a release (`requires
/// go1.21`) competes with the build version, which appears only once or
/// twice; a version directly followed by digit-leading data reads as a
/// longer patch; `go1.25-devel_...` and ` X:...` suffixes are cut off. The
/// range filter removes only what the pclntab layout rules out.
pub fn scan_go_version(data: &[u8], range: Option<VersionRange>) -> Option<String> {
    let mut search = VersionSearch::new(range);
    search.feed(Window::whole(data));
    search.finish()
}

/// The longest candidate [`candidate_len`] can accept: `go1.`, a minor of
/// [`MAX_DIGITS`], `alpha` (the longest suffix) and [`MAX_DIGITS`] more.
const MAX_CANDIDATE: usize = 4 + MAX_DIGITS + 5 + MAX_DIGITS;

/// [`scan_go_version`] over a range offered in windows (`window::scan`).
/// A candidate is judged from the byte before it to the two after its
/// longest spelling, all inside the window where it starts.
#[derive(Debug)]
pub struct VersionSearch {
    range: Option<VersionRange>,
    seen: Vec<Candidate>,
}

impl VersionSearch {
    pub fn new(range: Option<VersionRange>) -> Self {
        VersionSearch {
            range,
            seen: Vec::new(),
        }
    }

    /// Windows of `step` bytes with the context a candidate is judged by.
    pub fn steps(step: usize) -> Steps {
        Steps {
            step,
            behind: 1,
            ahead: MAX_CANDIDATE + 2,
        }
    }

    /// Counts the candidates that start in one window's step.
    pub fn feed(&mut self, w: Window<'_>) {
        let Some(hay) = w.bytes.get(w.starts.start..) else {
            return;
        };
        for p in memmem::find_iter(hay, b"go1.") {
            let i = w.starts.start + p;
            if i >= w.starts.end {
                break;
            }
            let Some(rest) = w.bytes.get(i..) else {
                continue;
            };
            let Some((len, minor)) = candidate_len(rest) else {
                continue;
            };
            if self.range.is_some_and(|r| !r.contains(1, minor)) {
                continue;
            }
            let Some(text) = rest.get(..len) else {
                continue;
            };
            let at = w.at.saturating_add(i as u64);
            // The range's first byte follows nothing, as if after a NUL.
            let after_nul = at == 0 || i.checked_sub(1).and_then(|b| w.bytes.get(b)) == Some(&0);
            let entry = match self.seen.iter().position(|c| c.text == text) {
                Some(i) => self.seen.get_mut(i),
                None if self.seen.len() < MAX_DISTINCT => {
                    self.seen.push(Candidate {
                        text: text.to_vec(),
                        after_nul: 0,
                        count: 0,
                        first: at,
                    });
                    self.seen.last_mut()
                }
                None => None,
            };
            if let Some(c) = entry {
                c.count = c.count.saturating_add(1);
                c.after_nul = c.after_nul.saturating_add(usize::from(after_nul));
            }
        }
    }

    /// The best candidate seen.
    pub fn finish(self) -> Option<String> {
        let best = self.seen.iter().max_by(|a, b| {
            (a.after_nul, a.count)
                .cmp(&(b.after_nul, b.count))
                .then(b.first.cmp(&a.first))
        })?;
        std::str::from_utf8(&best.text).ok().map(str::to_owned)
    }
}

/// One distinct version spelling seen by [`scan_go_version`].
#[derive(Debug)]
struct Candidate {
    text: Vec<u8>,
    /// Occurrences right after a NUL byte or at offset 0.
    after_nul: usize,
    count: usize,
    /// Offset of the first occurrence.
    first: u64,
}

/// Length of the version at the start of `s` (which starts `go1.`) and
/// its minor number, if it is one and nothing continues it.
fn candidate_len(s: &[u8]) -> Option<(usize, u64)> {
    let mut at = 4; // "go1."
    let minor_len = number_len(s.get(at..)?)?;
    let minor = std::str::from_utf8(s.get(at..at + minor_len)?)
        .ok()?
        .parse()
        .ok()?;
    at += minor_len;
    // `at` stays below 4 + 2 * MAX_DIGITS + 6 (no overflow): every step
    // adds a bounded length.
    match s.get(at) {
        Some(b'.') if s.get(at + 1).is_some_and(u8::is_ascii_digit) => {
            at += 1;
            at += number_len(s.get(at..)?)?;
        }
        Some(b'a'..=b'z') => {
            let kind = [&b"alpha"[..], b"beta", b"rc"]
                .into_iter()
                .find(|k| s.get(at..).is_some_and(|r| r.starts_with(k)))?;
            at += kind.len();
            at += number_len(s.get(at..)?)?;
        }
        _ => {}
    }
    // Whatever follows must end the version: not a letter, digit or `_`,
    // and not a further `.<digit>` component.
    let ends = match s.get(at) {
        None => true,
        Some(b'.') => !s.get(at + 1).is_some_and(u8::is_ascii_digit),
        Some(&b) => !(b.is_ascii_alphanumeric() || b == b'_'),
    };
    ends.then_some((at, minor))
}

/// Length of a decimal number at the start of `s`: 1..=MAX_DIGITS digits,
/// no leading zero (as `gover.cutInt`).
fn number_len(s: &[u8]) -> Option<usize> {
    let len = s.iter().take_while(|b| b.is_ascii_digit()).count();
    let leading_zero = len > 1 && s.first() == Some(&b'0');
    (1..=MAX_DIGITS)
        .contains(&len)
        .then_some(len)
        .filter(|_| !leading_zero)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::go::pclntab::Layout;
    use crate::go::window;
    use std::ops::ControlFlow;

    const MODINFO: &[u8] =
        b"path\texample.com/hello\nmod\texample.com/hello\t(devel)\t\nbuild\t-compiler=gccgo\n";

    fn framed(text: &[u8]) -> Vec<u8> {
        [&INFO_START[..], text, &INFO_END[..]].concat()
    }

    #[test]
    fn finds_framed_modinfo() {
        let data = [&b"\x00\x01rodata"[..], &framed(MODINFO), b"more\x00"].concat();
        assert_eq!(find_sentinel_modinfo(&data), Some(MODINFO));
        assert_eq!(find_sentinel_modinfo(&framed(MODINFO)), Some(MODINFO));
    }

    #[test]
    fn unpaired_or_malformed_sentinels_give_nothing() {
        assert_eq!(find_sentinel_modinfo(b""), None);
        assert_eq!(find_sentinel_modinfo(&INFO_START), None);
        // Start without end.
        let data = [&INFO_START[..], MODINFO].concat();
        assert_eq!(find_sentinel_modinfo(&data), None);
        // End before start.
        let data = [&INFO_END[..], MODINFO, &INFO_START[..]].concat();
        assert_eq!(find_sentinel_modinfo(&data), None);
        // Empty text, and text not ending in a newline, as Go's reader.
        assert_eq!(find_sentinel_modinfo(&framed(b"")), None);
        assert_eq!(find_sentinel_modinfo(&framed(b"path\tx")), None);
        // The sentinels overlapping each other are not a frame.
        let data = [&INFO_START[..8], &INFO_END[..]].concat();
        assert_eq!(find_sentinel_modinfo(&data), None);
    }

    #[test]
    fn pairs_each_end_with_the_nearest_start() {
        let data = [&INFO_START[..], b"junk\n", &framed(MODINFO)].concat();
        assert_eq!(find_sentinel_modinfo(&data), Some(MODINFO));
        // A bad pair first, then a good one.
        let data = [framed(b"no newline"), framed(MODINFO)].concat();
        assert_eq!(find_sentinel_modinfo(&data), Some(MODINFO));
    }

    #[test]
    fn gap_longer_than_the_limit_is_not_modinfo() {
        let mut text = vec![b'a'; MAX_MODINFO_LEN];
        text.push(b'\n');
        assert_eq!(find_sentinel_modinfo(&framed(&text)), None);
        text.remove(0);
        assert_eq!(
            find_sentinel_modinfo(&framed(&text)).map(<[u8]>::len),
            Some(MAX_MODINFO_LEN)
        );
    }

    /// Many starts, with or without one end far away, cost one pass.
    #[test]
    fn many_starts_stay_linear() {
        let mut data = INFO_START.repeat(200_000);
        assert_eq!(find_sentinel_modinfo(&data), None);
        data.extend_from_slice(&framed(MODINFO));
        let started = std::time::Instant::now();
        assert_eq!(find_sentinel_modinfo(&data), Some(MODINFO));
        // 3 MiB: a quadratic scan would take minutes.
        assert!(started.elapsed().as_secs() < 10);
        let mut data = Vec::new();
        for _ in 0..100_000 {
            data.extend_from_slice(&INFO_START);
            data.extend_from_slice(b"text without newline");
            data.extend_from_slice(&INFO_END);
        }
        assert_eq!(find_sentinel_modinfo(&data), None);
    }

    #[test]
    fn finds_version_strings() {
        let data = b"\x00\x00\x00go1.21.13\x00\x00\x00\x00wins";
        assert_eq!(scan_go_version(data, None).as_deref(), Some("go1.21.13"));
        for (text, want) in [
            (&b"\x08go1.27.3\xcd"[..], Some("go1.27.3")),
            (b"go1.22rc1", Some("go1.22rc1")),
            (b"go1.9beta2 ", Some("go1.9beta2")),
            (b"go1.21alpha1-", Some("go1.21alpha1")),
            (b"go1.20", Some("go1.20")),
            (b"go1.20.5 X:boringcrypto", Some("go1.20.5")),
            (b"go1.27.3-X:boringcrypto", Some("go1.27.3")),
            (b"Ggo1.25-20250209-RC00", Some("go1.25")),
            (b"toolchain@v0.0.1-go1.24.1.linux-amd64", Some("go1.24.1")),
            (b"requires go1.21.", Some("go1.21")),
            (b"go1.21.13.5", None),
            (b"go1.21x", None),
            (b"go1.21rc", None),
            (b"go1.21gamma1", None),
            (b"go1.021", None),
            (b"go1.21.01", None),
            (b"go1.", None),
            (b"go1.x", None),
            (b"go1.12345", None),
            (b"go1.21_", None),
            (b"go1.21.", Some("go1.21")),
        ] {
            assert_eq!(
                scan_go_version(text, None).as_deref(),
                want,
                "{}",
                text.escape_ascii()
            );
        }
    }

    #[test]
    fn range_filters_and_frequency_decides() {
        let r120 = Some(Layout::Go120.version_range());
        let r118 = Some(Layout::Go118.version_range());
        let data = b"\x00go1.19.8\x00go1.23.8\x00";
        assert_eq!(scan_go_version(data, None).as_deref(), Some("go1.19.8"));
        assert_eq!(scan_go_version(data, r120).as_deref(), Some("go1.23.8"));
        assert_eq!(scan_go_version(data, r118).as_deref(), Some("go1.19.8"));
        assert_eq!(
            scan_go_version(b"go1.21.0", Some(Layout::Go116.version_range())),
            None
        );

        let data = b" go1.22.1 go1.21.3 go1.21.3 go1.22.1 go1.21.3";
        assert_eq!(scan_go_version(data, None).as_deref(), Some("go1.21.3"));
        let tie = b" go1.22.1 go1.21.3 go1.21.3 go1.22.1";
        assert_eq!(scan_go_version(tie, None).as_deref(), Some("go1.22.1"));

        // A quote in packed string data loses to the padded build version,
        // even when it comes first (seen in a real go1.25 binary).
        let data = b"dockerfile format go1.23 or localhttps://\x00\x00\x00\x00go1.25-20250209-RC00";
        assert_eq!(scan_go_version(data, r120).as_deref(), Some("go1.25"));
        let data = b"go1.21.3 go1.22.1\x00go1.22.1 go1.21.3 go1.21.3";
        assert_eq!(scan_go_version(data, None).as_deref(), Some("go1.21.3"));
    }

    #[test]
    fn many_false_candidates() {
        // Near-misses everywhere and one real version at the end.
        let mut data = b"go1.go1.x go1.021 go1.99999 ago1.5b ".repeat(100_000);
        data.extend_from_slice(b"\x00go1.24.4\x00");
        let started = std::time::Instant::now();
        assert_eq!(scan_go_version(&data, None).as_deref(), Some("go1.24.4"));
        assert!(started.elapsed().as_secs() < 10);

        // More distinct spellings than are tracked: the early ones win.
        let mut data = Vec::new();
        for minor in 0..1000 {
            data.extend_from_slice(format!("go1.{minor}.1\x00").as_bytes());
        }
        data.extend_from_slice(b"go1.0.1\x00");
        assert_eq!(scan_go_version(&data, None).as_deref(), Some("go1.0.1"));
        // Out-of-range candidates do not use up the slots.
        assert_eq!(
            scan_go_version(&data, Some(Layout::Go120.version_range())).as_deref(),
            Some("go1.20.1")
        );
    }

    // The whole-slice scans as they were before the windowed ones, kept
    // as the oracle the windowed scans must agree with.
    fn reference_modinfo(data: &[u8]) -> Option<&[u8]> {
        let end_finder = memmem::Finder::new(&INFO_END);
        let mut starts = memmem::find_iter(data, &INFO_START).peekable();
        // The first end at or after the current text start: ends are searched
        // for in increasing order, so the whole scan reads `data` once per
        // sentinel.
        let mut end: Option<usize> = None;
        while let Some(start) = starts.next() {
            let text_start = start.checked_add(INFO_START.len())?;
            let e = match end {
                Some(e) if e >= text_start => e,
                _ => {
                    let e = end_finder
                        .find(data.get(text_start..)?)?
                        .checked_add(text_start)?;
                    end = Some(e);
                    e
                }
            };
            // A later start before this end is closer to it.
            if starts
                .peek()
                .and_then(|next| next.checked_add(INFO_START.len()))
                .is_some_and(|next_text| next_text <= e)
            {
                continue;
            }
            let text = data.get(text_start..e)?;
            if text.len() <= MAX_MODINFO_LEN && text.last() == Some(&b'\n') {
                return Some(text);
            }
        }
        None
    }

    fn reference_version(data: &[u8], range: Option<VersionRange>) -> Option<String> {
        let mut seen: Vec<RefCandidate<'_>> = Vec::new();
        for at in memmem::find_iter(data, b"go1.") {
            let Some(rest) = data.get(at..) else {
                continue;
            };
            let Some((len, minor)) = candidate_len(rest) else {
                continue;
            };
            if range.is_some_and(|r| !r.contains(1, minor)) {
                continue;
            }
            let Some(text) = rest.get(..len) else {
                continue;
            };
            let after_nul = at
                .checked_sub(1)
                .is_none_or(|before| data.get(before) == Some(&0));
            let entry = match seen.iter_mut().position(|c| c.text == text) {
                Some(i) => seen.get_mut(i),
                None if seen.len() < MAX_DISTINCT => {
                    seen.push(RefCandidate {
                        text,
                        after_nul: 0,
                        count: 0,
                        first: at,
                    });
                    seen.last_mut()
                }
                None => None,
            };
            if let Some(c) = entry {
                c.count = c.count.saturating_add(1);
                c.after_nul = c.after_nul.saturating_add(usize::from(after_nul));
            }
        }
        let best = seen.iter().max_by(|a, b| {
            (a.after_nul, a.count)
                .cmp(&(b.after_nul, b.count))
                .then(b.first.cmp(&a.first))
        })?;
        std::str::from_utf8(best.text).ok().map(str::to_owned)
    }

    /// The old [`Candidate`], holding a slice.
    struct RefCandidate<'a> {
        text: &'a [u8],
        /// Occurrences right after a NUL byte or at offset 0.
        after_nul: usize,
        count: usize,
        /// Offset of the first occurrence.
        first: usize,
    }

    /// A small deterministic generator (xorshift64*), so that a failure
    /// can be replayed from its seed.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// Data made of the pieces the scans react to, in random order.
    fn noisy(rng: &mut Rng, pieces: usize) -> Vec<u8> {
        let parts: [&[u8]; 14] = [
            &INFO_START,
            &INFO_END,
            b"\n",
            b"\0",
            b"go1.",
            b"21",
            b"12345",
            b".3",
            b"rc1",
            b"alpha",
            b"x",
            b"path\tm\n",
            b"go1.22.1\0",
            b"\0go1.9beta2 ",
        ];
        let mut out = Vec::new();
        for _ in 0..pieces {
            out.extend_from_slice(parts[rng.below(parts.len())]);
        }
        out
    }

    fn windowed_modinfo(data: &[u8], step: usize) -> Option<Range<u64>> {
        let mut search = ModinfoSearch::default();
        let mut found = None;
        let src: &[u8] = data;
        let len = data.len() as u64;
        window::scan(&src, 0, len, ModinfoSearch::steps(step), &mut |w| {
            found = search.feed(w);
            if found.is_some() {
                ControlFlow::Break(())
            } else {
                ControlFlow::Continue(())
            }
        })
        .unwrap();
        found
    }

    fn windowed_version(data: &[u8], range: Option<VersionRange>, step: usize) -> Option<String> {
        let mut search = VersionSearch::new(range);
        let src: &[u8] = data;
        let len = data.len() as u64;
        window::scan(&src, 0, len, VersionSearch::steps(step), &mut |w| {
            search.feed(w);
            ControlFlow::Continue(())
        })
        .unwrap();
        search.finish()
    }

    /// Windows of any step find what one pass over the whole finds, also
    /// for sentinels and versions that straddle a window's edge.
    #[test]
    fn windowed_scans_match_the_whole_scan() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let r120 = Some(Layout::Go120.version_range());
        let (mut texts, mut versions) = (0, 0);
        for round in 0..2000 {
            let pieces = 1 + rng.below(40);
            let data = noisy(&mut rng, pieces);
            let want_text = reference_modinfo(&data);
            let want_version = reference_version(&data, None);
            let want_ranged = reference_version(&data, r120);
            assert_eq!(find_sentinel_modinfo(&data), want_text, "round {round}");
            assert_eq!(scan_go_version(&data, None), want_version, "round {round}");
            texts += usize::from(want_text.is_some());
            versions += usize::from(want_version.is_some());
            let any = 1 + rng.below(data.len() + 1);
            for step in [1, 2, 7, 16, 17, 31, 64, any] {
                let got =
                    windowed_modinfo(&data, step).map(|r| &data[r.start as usize..r.end as usize]);
                assert_eq!(got, want_text, "round {round}, step {step}");
                assert_eq!(
                    windowed_version(&data, None, step),
                    want_version,
                    "round {round}, step {step}"
                );
                assert_eq!(
                    windowed_version(&data, r120, step),
                    want_ranged,
                    "round {round}, step {step}"
                );
            }
        }
        // The data must hold both, often.
        assert!(
            texts > 80 && versions > 800,
            "{texts} texts, {versions} versions"
        );
    }

    #[test]
    fn sentinels_overlap_neither_themselves_nor_each_other() {
        // What lets each be found once, in the window where it starts.
        for k in 1..16 {
            assert_ne!(INFO_START[..k], INFO_START[16 - k..]);
            assert_ne!(INFO_END[..k], INFO_END[16 - k..]);
            assert_ne!(INFO_START[..k], INFO_END[16 - k..]);
            assert_ne!(INFO_END[..k], INFO_START[16 - k..]);
        }
    }
}
