//! Scanning a large range (`.rodata`: megabytes in a Go binary) through one
//! buffer of bounded size instead of holding it whole.
//!
//! The range is cut into steps; each window holds its step plus `behind`
//! bytes before it and `ahead` bytes after it, so a scanner that looks at
//! most `behind` bytes back and `ahead` bytes forward from where a match
//! starts sees every match whole, in the one window whose step holds its
//! first byte:
//!
//! ```text
//! range     |----------------------------------------------------|
//! window 1  |=========step=========|+ahead+|
//! window 2               |-behind-|=========step=========|+ahead+|
//! ```
//!
//! A scan over windows thus finds exactly what one scan over the whole range
//! finds: what a scanner keeps between windows is its own business
//! (see `scan`).

use std::ops::{ControlFlow, Range};

use super::ReadAt;

/// One window of a range.
#[derive(Debug, Clone)]
pub struct Window<'b> {
    /// The window's bytes.
    pub bytes: &'b [u8],
    /// Offset of `bytes[0]` from the start of the range.
    pub at: u64,
    /// Indices into `bytes` at which a match may start: each offset of the
    /// range falls in exactly one window's `starts`.
    pub starts: Range<usize>,
}

impl<'b> Window<'b> {
    /// A whole range as one window.
    pub fn whole(bytes: &'b [u8]) -> Self {
        Window {
            bytes,
            at: 0,
            starts: 0..bytes.len(),
        }
    }
}

/// How a range is cut: `step` bytes per window (at least 1), with `behind`
/// and `ahead` bytes of context around them.
#[derive(Debug, Clone, Copy)]
pub struct Steps {
    pub step: usize,
    pub behind: usize,
    pub ahead: usize,
}

/// Why a windowed scan ended early: the bytes of a window could not be read
/// (the file shrank since its length was taken), or too little memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unreadable {
    /// Offset from the start of the range of the window that failed.
    pub at: u64,
}

/// Offers `len` bytes of `src` from `base` to `visit`, window by window,
/// in order, through one reused buffer, until `visit` breaks. An empty
/// range offers nothing.
pub fn scan(
    src: &dyn ReadAt,
    base: u64,
    len: u64,
    steps: Steps,
    visit: &mut dyn FnMut(Window<'_>) -> ControlFlow<()>,
) -> Result<(), Unreadable> {
    let step = steps.step.max(1) as u64;
    let behind = steps.behind as u64;
    let ahead = steps.ahead as u64;
    let mut buf: Vec<u8> = Vec::new();
    let mut from = 0u64;
    while from < len {
        let start = from.saturating_sub(behind);
        let to = from.saturating_add(step).min(len);
        let end = to.saturating_add(ahead).min(len);
        // At most step + behind + ahead bytes: a constant, not input-derived.
        let size = usize::try_from(end - start).map_err(|_| Unreadable { at: start })?;
        if buf.len() < size {
            buf.try_reserve_exact(size - buf.len())
                .map_err(|_| Unreadable { at: start })?;
        }
        buf.resize(size, 0);
        let offset = base.checked_add(start).ok_or(Unreadable { at: start })?;
        if !src.read_exact_at(offset, &mut buf) {
            return Err(Unreadable { at: start });
        }
        // Both fit in `size`, a usize.
        let first = (from - start) as usize;
        let last = (to - start) as usize;
        let window = Window {
            bytes: &buf,
            at: start,
            starts: first..last,
        };
        if visit(window).is_break() {
            break;
        }
        from = to;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every offset is a start of exactly one window, in order, and each
    /// window holds the context asked for where the range has it.
    #[test]
    fn windows_cover_the_range_once_with_context() {
        let data: Vec<u8> = (0..1000u32).map(|i| (i % 251) as u8).collect();
        for (len, step, behind, ahead) in [
            (1000, 100, 1, 20),
            (1000, 1, 3, 3),
            (999, 333, 0, 0),
            (17, 1000, 5, 5),
            (0, 10, 1, 1),
        ] {
            let src: &[u8] = &data;
            let mut next = 0u64;
            let steps = Steps {
                step,
                behind,
                ahead,
            };
            scan(&src, 0, len, steps, &mut |w| {
                assert_eq!(w.at + w.starts.start as u64, next);
                assert_eq!(w.bytes, &data[w.at as usize..w.at as usize + w.bytes.len()]);
                let abs_start = w.at as usize + w.starts.start;
                assert_eq!(w.starts.start, abs_start.min(behind));
                let abs_end = w.at as usize + w.starts.end;
                assert_eq!(
                    w.bytes.len() - w.starts.end,
                    (len as usize - abs_end).min(ahead)
                );
                next = w.at + w.starts.end as u64;
                ControlFlow::Continue(())
            })
            .unwrap();
            assert_eq!(next, len);
        }
    }

    #[test]
    fn a_range_past_the_source_is_unreadable() {
        let data = [1u8; 100];
        let src: &[u8] = &data;
        let steps = Steps {
            step: 30,
            behind: 0,
            ahead: 0,
        };
        let mut seen = 0;
        let r = scan(&src, 50, 100, steps, &mut |_| {
            seen += 1;
            ControlFlow::Continue(())
        });
        assert_eq!(r, Err(Unreadable { at: 30 }));
        assert_eq!(seen, 1);
        // A break stops reading.
        let r = scan(&src, 0, 100, steps, &mut |_| ControlFlow::Break(()));
        assert_eq!(r, Ok(()));
    }
}
