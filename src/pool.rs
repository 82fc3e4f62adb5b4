//! rayon's global pool, joined by the main thread.
//!
//! A thread outside the pool that starts parallel work hands it over and
//! sleeps until a worker has done it, and a worker asleep wakes up late:
//! on a two-CPU VM, a symbol search of one file spent milliseconds with
//! one worker doing every part while the other slept and the main thread
//! waited. When the main thread is a worker, the work it starts runs on
//! it too, and any other worker awake helps.

use std::sync::Once;

/// Makes the calling thread, when it is the main thread, a worker of
/// rayon's global pool beside one worker per CPU (or `RAYON_NUM_THREADS`
/// of them: `1` means the main thread and one worker; rayon's deprecated
/// `RAYON_RS_NUM_CPUS` is not read), unless the pool was already started. Called where one file's work
/// starts on the main thread; a tree walk starts the pool from its own
/// thread, as before.
pub fn join_main() {
    static ONCE: Once = Once::new();
    if rayon::current_thread_index().is_some() || std::thread::current().name() != Some("main") {
        return;
    }
    ONCE.call_once(|| {
        let workers = std::env::var("RAYON_NUM_THREADS")
            .ok()
            .and_then(|v| v.parse::<usize>().ok())
            .filter(|&n| n > 0)
            .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get()));
        // An error means the pool was started already: it is used as it is.
        let _ = rayon::ThreadPoolBuilder::new()
            .num_threads(workers.saturating_add(1))
            .use_current_thread()
            .build_global();
    });
}
