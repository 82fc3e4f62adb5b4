//! elfgate's entry point: parse the command line, run, turn the outcome into
//! an exit status. Everything else lives in the library.

use std::process::ExitCode;

/// musl's allocator takes one lock for every allocation and returns each
/// large block to the kernel when it is freed: under rayon's threads a tree
/// walk spent its time in futex waits, mmap/munmap and page faults (50%
/// more CPU than the glibc build, see BENCHMARKS.md). mimalloc keeps
/// per-thread heaps and reuses freed memory. glibc builds keep glibc's.
/// scripts/build-static.sh compiles it without transparent huge pages and
/// eager arena commits, which cost RSS, not time.
#[cfg(target_env = "musl")]
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// musl's `memcpy` is slow on small copies; see the module.
#[cfg(all(target_arch = "x86_64", any(test, target_env = "musl")))]
mod memcpy;

fn main() -> ExitCode {
    ExitCode::from(elfgate::run::main())
}
