//! What a person at a terminal gets that a log does not: colour on stdout
//! and a progress line on stderr. Each is on only when its stream is a
//! terminal, so `kubectl logs`, CI logs, pipes and files get plain text.
//! Colour is also off with `NO_COLOR` set (https://no-color.org) or
//! `TERM=dumb`; progress is also off in a Kubernetes pod, even one given a
//! TTY, and for scans shorter than [`PROGRESS_AFTER`].

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

/// A scan shorter than this shows nothing.
pub const PROGRESS_AFTER: Duration = Duration::from_secs(1);

/// How often the progress line is redrawn.
const PROGRESS_EVERY: Duration = Duration::from_millis(200);

/// Erases the line the cursor is on and goes back to its start.
const CLEAR_LINE: &str = "\r\x1b[2K";

/// Whether text on stdout gets colour.
pub fn color_stdout() -> bool {
    std::io::stdout().is_terminal()
        && color_allowed(std::env::var_os("NO_COLOR"), std::env::var_os("TERM"))
}

/// `NO_COLOR` set to anything but the empty string turns colour off, as
/// does a terminal that says it cannot show it.
fn color_allowed(no_color: Option<OsString>, term: Option<OsString>) -> bool {
    no_color.is_none_or(|v| v.is_empty()) && term.is_none_or(|t| t != "dumb")
}

/// Whether this process runs in a Kubernetes pod: the kubelet gives every
/// container `KUBERNETES_SERVICE_HOST`.
fn in_pod() -> bool {
    std::env::var_os("KUBERNETES_SERVICE_HOST").is_some()
}

/// A count of files examined, shown on stderr as one line redrawn in place
/// once a scan has run for [`PROGRESS_AFTER`], and erased when it ends
/// (when the `Progress` is dropped). Disabled, it is a counter nobody reads.
pub struct Progress {
    shared: Arc<Shared>,
    drawer: Option<JoinHandle<()>>,
}

struct Shared {
    files: AtomicU64,
    done: Mutex<bool>,
    wake: Condvar,
}

impl Progress {
    /// A progress line on stderr for `what` ("inspect", "check"), if
    /// stderr is a terminal and this is not a pod.
    pub fn stderr(what: &'static str) -> Self {
        if std::io::stderr().is_terminal() && !in_pod() {
            Self::drawing(what, PROGRESS_AFTER, std::io::stderr())
        } else {
            Self::disabled()
        }
    }

    /// One that never draws.
    pub fn disabled() -> Self {
        Progress {
            shared: Arc::new(Shared::new()),
            drawer: None,
        }
    }

    /// One drawing to `out` after `after`. A thread waits, so the scan
    /// itself never writes to the terminal.
    fn drawing(what: &'static str, after: Duration, out: impl Write + Send + 'static) -> Self {
        let shared = Arc::new(Shared::new());
        let theirs = Arc::clone(&shared);
        let drawer = std::thread::Builder::new()
            .name("elfgate-progress".into())
            .spawn(move || theirs.draw(what, after, out))
            .ok();
        Progress { shared, drawer }
    }

    /// Whether it may draw: output must then wait until it is dropped.
    pub fn draws(&self) -> bool {
        self.drawer.is_some()
    }

    /// One more file examined.
    pub fn tick(&self) {
        self.shared.files.fetch_add(1, Ordering::Relaxed);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        *self.shared.done() = true;
        self.shared.wake.notify_all();
        if let Some(drawer) = self.drawer.take() {
            let _ = drawer.join();
        }
    }
}

impl Shared {
    fn new() -> Self {
        Shared {
            files: AtomicU64::new(0),
            done: Mutex::new(false),
            wake: Condvar::new(),
        }
    }

    fn done(&self) -> std::sync::MutexGuard<'_, bool> {
        // Nothing panics while holding the lock; a poisoned flag is still whole.
        self.done.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Waits up to `wait` for the end; true if the scan has ended.
    fn ended_within(&self, wait: Duration) -> bool {
        let done = self.done();
        let (done, _) = self
            .wake
            .wait_timeout_while(done, wait, |done| !*done)
            .unwrap_or_else(PoisonError::into_inner);
        *done
    }

    fn draw(&self, what: &str, after: Duration, mut out: impl Write) {
        if self.ended_within(after) {
            return;
        }
        loop {
            let n = self.files.load(Ordering::Relaxed);
            let _ = write!(out, "{CLEAR_LINE}elfgate {what}: {n} files examined");
            let _ = out.flush();
            if self.ended_within(PROGRESS_EVERY) {
                break;
            }
        }
        let _ = write!(out, "{CLEAR_LINE}");
        let _ = out.flush();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer the test can read after the drawer is gone.
    #[derive(Clone, Default)]
    struct Sink(Arc<Mutex<Vec<u8>>>);

    impl Write for Sink {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_short_scan_draws_nothing() {
        let sink = Sink::default();
        let p = Progress::drawing("check", Duration::from_secs(60), sink.clone());
        p.tick();
        drop(p);
        assert!(sink.0.lock().unwrap().is_empty());
    }

    #[test]
    fn a_long_scan_draws_a_line_and_erases_it() {
        let sink = Sink::default();
        let p = Progress::drawing("inspect", Duration::ZERO, sink.clone());
        for _ in 0..3 {
            p.tick();
        }
        // The first line is drawn at once; wait for one with all three.
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !String::from_utf8_lossy(&sink.0.lock().unwrap()).contains("3 files")
            && std::time::Instant::now() < deadline
        {
            std::thread::sleep(Duration::from_millis(10));
        }
        drop(p);
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        assert!(text.starts_with(CLEAR_LINE), "{text:?}");
        assert!(
            text.contains("elfgate inspect: 3 files examined"),
            "{text:?}"
        );
        assert!(text.ends_with(CLEAR_LINE), "{text:?}");
        assert!(!text.contains('\n'), "one line, redrawn in place: {text:?}");
    }

    #[test]
    fn no_color_and_dumb_terminals_turn_colour_off() {
        assert!(color_allowed(None, Some("xterm-256color".into())));
        assert!(color_allowed(Some("".into()), None));
        assert!(!color_allowed(Some("1".into()), None));
        assert!(!color_allowed(None, Some("dumb".into())));
    }
}
