//! `ldd` as the oracle of `inspect --load` on the machine running the test:
//! for every dynamically linked executable (a regular file with
//! `PT_INTERP`, for this machine) under /usr/bin and /usr/sbin, the files
//! in elfgate's `load.objects` (with the interpreter) are the files `ldd`
//! reports, and the libraries `ldd` cannot find are the ones elfgate finds
//! no path for.
//!
//! `ldd` runs the host's loader in trace mode (`ld.so --list`), which maps
//! the closure and binds nothing; that is fine for a test oracle. Elfgate
//! is run once over all the files, as `--root /` would read them.
//!
//! Principled differences, left out of the comparison:
//! - `linux-vdso.so.1` (and `linux-gate.so.1`): the kernel maps it into
//!   every process; it is no file and nothing searches for it.
//! - Entries of `/etc/ld.so.preload`: a setting of the node that `ldd`
//!   lists among the objects, not part of the executable's closure.
//! - `ldd` takes the executable's `$ORIGIN` from the path it was given
//!   (unresolved), a real exec from `/proc/self/exe` (resolved); the files
//!   here are regular files, never symlinks, so the two agree.
//! - Executables for another machine: `ldd` cannot run their loader.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::Value;

mod common;

/// The machine this test runs on, as `e_machine`.
#[cfg(target_arch = "x86_64")]
const HOST_MACHINE: u16 = 62;
#[cfg(target_arch = "aarch64")]
const HOST_MACHINE: u16 = 183;

/// Whether `p` is a 64-bit little-endian ELF file for this machine with a
/// `PT_INTERP` program header, read from its header and program headers.
fn is_dynamic_executable(p: &Path) -> bool {
    let Ok(mut f) = fs::File::open(p) else {
        return false;
    };
    let mut head = [0u8; 64];
    if f.read_exact(&mut head).is_err() || head[..4] != *b"\x7fELF" || head[4] != 2 || head[5] != 1
    {
        return false;
    }
    let u16_at = |b: &[u8], o: usize| u16::from_le_bytes([b[o], b[o + 1]]);
    let machine = u16_at(&head, 0x12);
    let phoff = u64::from_le_bytes(head[0x20..0x28].try_into().unwrap());
    let phentsize = usize::from(u16_at(&head, 0x36));
    let phnum = usize::from(u16_at(&head, 0x38));
    if machine != HOST_MACHINE || phentsize < 56 {
        return false;
    }
    let mut ph = vec![0u8; phentsize * phnum];
    use std::io::{Seek, SeekFrom};
    if f.seek(SeekFrom::Start(phoff)).is_err() || f.read_exact(&mut ph).is_err() {
        return false;
    }
    ph.chunks(phentsize)
        .any(|e| u32::from_le_bytes(e[..4].try_into().unwrap()) == 3)
}

fn executables() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = ["/usr/bin", "/usr/sbin"]
        .iter()
        .map(PathBuf::from)
        .collect();
    while let Some(d) = stack.pop() {
        let Ok(rd) = fs::read_dir(&d) else { continue };
        for e in rd.flatten() {
            let Ok(m) = fs::symlink_metadata(e.path()) else {
                continue;
            };
            if m.is_dir() {
                stack.push(e.path());
            } else if m.is_file() && is_dynamic_executable(&e.path()) {
                out.push(e.path());
            }
        }
    }
    out.sort();
    out
}

/// What `ldd FILE` reports: the files it names, and the names it did not
/// find (`libx.so.1 => not found`).
#[derive(Debug, Default, PartialEq)]
struct Listing {
    files: BTreeSet<String>,
    missing: BTreeSet<String>,
}

fn ldd(p: &Path, preload: &BTreeSet<String>) -> Result<Listing, String> {
    let out = Command::new("ldd")
        .arg(p)
        .env_clear()
        .env("PATH", "/usr/sbin:/usr/bin:/sbin:/bin")
        .output()
        .map_err(|e| format!("run ldd (Debian package libc-bin): {e}"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    if !out.status.success() {
        return Err(format!(
            "ldd {} exited {}: {text}{}",
            p.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let mut l = Listing::default();
    for line in text.lines() {
        let line = line.trim();
        // "name => /path (0x…)", "name => not found", "/path (0x…)"
        let (name, rest) = match line.split_once(" => ") {
            Some((n, r)) => (n, r),
            None => ("", line),
        };
        if rest == "not found" {
            l.missing.insert(name.to_string());
            continue;
        }
        let path = rest.rsplit_once(" (0x").map_or(rest, |(p, _)| p);
        if path.is_empty() || !path.starts_with('/') {
            // linux-vdso.so.1 (0x…) has no path: the kernel's, not a file.
            continue;
        }
        if preload.contains(path) || preload.contains(name) {
            continue;
        }
        l.files.insert(path.to_string());
    }
    Ok(l)
}

/// elfgate's answer for one file: its objects' paths and the interpreter,
/// and the needed names it found no path for.
fn listing_of(load: &Value) -> Listing {
    let mut l = Listing::default();
    let empty = Vec::new();
    for o in load["objects"].as_array().unwrap_or(&empty) {
        match o["path"].as_str() {
            Some(p) => {
                l.files.insert(p.to_string());
            }
            None => {
                l.missing
                    .insert(o["needed"].as_str().unwrap_or("").to_string());
            }
        }
    }
    if !load["interpreter"]["found"].is_null()
        && let Some(p) = load["interpreter"]["path"].as_str()
    {
        l.files.insert(p.to_string());
    }
    l
}

fn preload_entries() -> BTreeSet<String> {
    fs::read_to_string("/etc/ld.so.preload")
        .unwrap_or_default()
        .split(|c: char| c.is_whitespace() || c == ':')
        .filter(|s| !s.is_empty())
        .map(String::from)
        .collect()
}

#[test]
fn load_objects_are_what_ldd_reports() {
    let files = executables();
    assert!(
        !files.is_empty(),
        "no dynamically linked executable under /usr/bin or /usr/sbin"
    );
    let preload = preload_entries();

    // elfgate once over all the files, beside ldd on each, in parallel:
    // ldd is a shell script that runs the loader.
    let mut args = vec![
        "inspect".to_string(),
        "--load".into(),
        "--format".into(),
        "json".into(),
    ];
    args.extend(files.iter().map(|f| f.display().to_string()));
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = Mutex::new(BTreeMap::new());
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let o = std::thread::scope(|sc| {
        let elfgate = sc.spawn(|| common::elfgate_within(&args, Duration::from_secs(300)));
        for _ in 0..threads {
            sc.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(f) = files.get(i) else { break };
                    let r = ldd(f, &preload);
                    results.lock().unwrap().insert(f.clone(), r);
                }
            });
        }
        elfgate.join().expect("elfgate thread")
    });
    let results = results.into_inner().unwrap();

    let doc: Value = serde_json::from_str(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "elfgate inspect --load over {} files: not JSON ({e}); exit {:?}\n{}",
            files.len(),
            o.status,
            o.stderr
        )
    });
    let mut loads = BTreeMap::new();
    for f in doc["files"].as_array().expect("files[]") {
        if let Some(p) = f["path"].as_str() {
            loads.insert(PathBuf::from(p), f["load"].clone());
        }
    }

    let mut wrong = Vec::new();
    let mut ldd_errors = Vec::new();
    for f in &files {
        let want = match &results[f] {
            Ok(l) => l,
            Err(e) => {
                ldd_errors.push(e.clone());
                continue;
            }
        };
        let Some(load) = loads.get(f).filter(|l| l.is_object()) else {
            wrong.push(format!("{}: no load in elfgate's report", f.display()));
            continue;
        };
        let got = listing_of(load);
        if &got != want {
            wrong.push(format!(
                "{}:\n    ldd:     files {:?} missing {:?}\n    elfgate: files {:?} missing {:?}",
                f.display(),
                want.files,
                want.missing,
                got.files,
                got.missing
            ));
        }
    }
    eprintln!(
        "{} dynamic executables; ldd failed on {}; elfgate differs on {}",
        files.len(),
        ldd_errors.len(),
        wrong.len()
    );
    assert!(
        ldd_errors.is_empty(),
        "ldd failed on {} files:\n{}",
        ldd_errors.len(),
        ldd_errors.join("\n")
    );
    assert!(
        wrong.is_empty(),
        "elfgate's load.objects differ from ldd on {} of {} files:\n{}",
        wrong.len(),
        files.len(),
        wrong
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
}
