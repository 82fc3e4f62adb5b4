//! What the image's own loader says about itself, read from its bytes:
//! glibc's default directories, its `$LIB` and its release; musl's path
//! file. Pure parsers over `&[u8]`.
//!
//! glibc compiles its system directories into `ld.so` (`elf/dl-load.c`):
//!
//! ```text
//! static const char system_dirs[] = "/lib/x86_64-linux-gnu/\0/usr/lib/x86_64-linux-gnu/\0/lib/\0/usr/lib/";
//! static const size_t system_dirs_len[] = { 22, 26, 5, 9 };
//! ```
//!
//! (`gen-trusted-dirs.awk`): NUL-separated absolute directories, each
//! ending in `/`, beside an array of their lengths. The list is found by
//! looking for such a run of strings whose lengths array sits right before
//! or right after it, so an unrelated string never passes for it.

use memchr::memmem;

/// At most this many system directories (glibc builds have 2 to 4).
const MAX_DIRS: usize = 64;

/// The longest system directory considered.
const MAX_DIR_LEN: usize = 1024;

/// glibc's system directories in `ld.so`'s bytes, each ending in `/`;
/// `None` when no list with a matching lengths array is found.
pub fn system_dirs(bytes: &[u8], is_64: bool, big_endian: bool) -> Option<Vec<Vec<u8>>> {
    let word = if is_64 { 8 } else { 4 };
    // A candidate starts at a '/' that does not continue a string (the
    // byte before it, if any, is a NUL or the last byte of a length).
    let mut from = 0usize;
    while let Some(found) = memchr::memchr(b'/', bytes.get(from..)?) {
        let start = from + found;
        from = start + 1;
        if start > 0 && bytes.get(start - 1).is_some_and(|b| b.is_ascii_graphic()) {
            continue;
        }
        let Some((dirs, end)) = dir_run(bytes, start) else {
            continue;
        };
        let lens: Vec<u64> = dirs.iter().map(|d| d.len() as u64).collect();
        let table = lens.len().checked_mul(word)?;
        let before = start.checked_sub(table).and_then(|s| bytes.get(s..start));
        // After the list (its final NUL included), aligned to the word.
        let after_at = (end + 1).div_ceil(word) * word;
        let after = bytes.get(after_at..after_at.checked_add(table)?);
        let matches = |t: Option<&[u8]>| {
            t.is_some_and(|t| {
                t.chunks_exact(word)
                    .map(|w| read_word(w, big_endian))
                    .eq(lens.iter().copied())
            })
        };
        if matches(before) || matches(after) {
            return Some(dirs);
        }
    }
    None
}

fn read_word(w: &[u8], big: bool) -> u64 {
    let mut v = 0u64;
    let mut push = |b: u8| v = (v << 8) | u64::from(b);
    if big {
        w.iter().copied().for_each(&mut push);
    } else {
        w.iter().rev().copied().for_each(&mut push);
    }
    v
}

/// The run of `/…/` strings starting at `start`: the directories and the
/// offset of the final NUL. Each must be a printable absolute path ending
/// in `/`; the run ends at the first string that does not start with `/`.
fn dir_run(bytes: &[u8], start: usize) -> Option<(Vec<Vec<u8>>, usize)> {
    let mut dirs = Vec::new();
    let mut at = start;
    loop {
        let rest = bytes.get(at..)?;
        // Only as far as the longest directory: a file of '/' with no NUL
        // must not make every candidate scan to its end.
        let window = rest.get(..=MAX_DIR_LEN).unwrap_or(rest);
        let len = memchr::memchr(0, window)?;
        let s = rest.get(..len)?;
        let ok = (1..=MAX_DIR_LEN).contains(&len)
            && s.first() == Some(&b'/')
            && s.last() == Some(&b'/')
            && s.iter().all(|&b| b.is_ascii_graphic());
        if !ok {
            return None;
        }
        dirs.push(s.to_vec());
        if dirs.len() > MAX_DIRS {
            return None;
        }
        let end = at + len;
        if bytes.get(end + 1) != Some(&b'/') {
            return Some((dirs, end));
        }
        at = end + 1;
    }
}

/// glibc's `$LIB` (`DL_DST_LIB`) in `ld.so`'s bytes. Upstream it is the
/// last component of the first system directory (`lib64`); Debian's is the
/// directory without its leading `/` (`lib/x86_64-linux-gnu`). The string
/// follows the DST names `ORIGIN`, `PLATFORM`, `LIB` in `dl-load.c`'s
/// strings when the compiler kept them together; otherwise whichever of the
/// two spellings `ld.so` holds as a string of its own is taken.
pub fn dst_lib(bytes: &[u8], system_dirs: &[Vec<u8>]) -> Option<Vec<u8>> {
    if let Some(at) = memmem::find(bytes, b"\0ORIGIN\0PLATFORM\0LIB\0") {
        let rest = bytes.get(at + 21..)?;
        let s = rest.get(..memchr::memchr(0, rest)?)?;
        if !s.is_empty() && s.len() <= MAX_DIR_LEN && s.iter().all(|b| b.is_ascii_graphic()) {
            return Some(s.to_vec());
        }
    }
    let first = system_dirs.first()?;
    let trimmed = first.strip_prefix(b"/")?.strip_suffix(b"/")?;
    let last = trimmed.rsplit(|&b| b == b'/').next()?;
    for candidate in [trimmed, last] {
        let mut needle = vec![0u8];
        needle.extend_from_slice(candidate);
        needle.push(0);
        if memmem::find(bytes, &needle).is_some() {
            return Some(candidate.to_vec());
        }
    }
    Some(last.to_vec())
}

/// The glibc release `ld.so` reports (`ld.so --version`: "… release version
/// 2.36."), as (major, minor).
pub fn glibc_version(bytes: &[u8]) -> Option<(u32, u32)> {
    let needle = b"release version ";
    let mut from = 0usize;
    while let Some(found) = memmem::find(bytes.get(from..)?, needle) {
        let at = from + found + needle.len();
        from = at;
        let rest = bytes.get(at..)?;
        let digits = |s: &[u8]| s.iter().take_while(|b| b.is_ascii_digit()).count();
        let n1 = digits(rest);
        if n1 == 0 || n1 > 4 || rest.get(n1) != Some(&b'.') {
            continue;
        }
        let rest2 = rest.get(n1 + 1..)?;
        let n2 = digits(rest2);
        if n2 == 0 || n2 > 4 {
            continue;
        }
        let major = std::str::from_utf8(rest.get(..n1)?).ok()?.parse().ok()?;
        let minor = std::str::from_utf8(rest2.get(..n2)?).ok()?.parse().ok()?;
        return Some((major, minor));
    }
    None
}

/// musl's search path from `etc/ld-musl-$ARCH.path` (`ldso/dynlink.c`):
/// the file is read as a C string (it ends at a NUL), and `path_open`
/// splits it at `:` and newlines, skipping empty elements.
pub fn musl_path(bytes: &[u8]) -> Vec<Vec<u8>> {
    let text = bytes
        .get(..memchr::memchr(0, bytes).unwrap_or(bytes.len()))
        .unwrap_or(bytes);
    split_musl(text)
}

/// musl's split of a path list (its path file, `LD_LIBRARY_PATH`,
/// `DT_RUNPATH`): at `:` and newlines, empty elements skipped.
pub fn split_musl(text: &[u8]) -> Vec<Vec<u8>> {
    text.split(|&b| b == b':' || b == b'\n')
        .filter(|d| !d.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

/// The musl path file of an interpreter named `interp` (`PT_INTERP`):
/// `<dirname of its directory>/etc/ld-musl-<arch>.path`, computed on the
/// name as musl does, without resolving symlinks.
pub fn musl_path_file(interp: &[u8]) -> Option<Vec<u8>> {
    let base = interp.rsplit(|&b| b == b'/').next()?;
    let arch = base.strip_prefix(b"ld-musl-")?.strip_suffix(b".so.1")?;
    // The prefix ends at the second-to-last '/'.
    let prefix = if interp.first() == Some(&b'/') {
        let slashes: Vec<usize> = interp
            .iter()
            .enumerate()
            .filter(|&(_, &b)| b == b'/')
            .map(|(i, _)| i)
            .collect();
        match slashes.len() {
            0 | 1 => &interp[..0],
            n => interp.get(..*slashes.get(n - 2)?)?,
        }
    } else {
        &interp[..0]
    };
    let mut out = prefix.to_vec();
    out.extend_from_slice(b"/etc/ld-musl-");
    out.extend_from_slice(arch);
    out.extend_from_slice(b".path");
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every '/' after a newline starts a candidate; with no NUL anywhere
    /// each candidate looks no further than a directory's longest length
    /// (scanning to the end made this quadratic: minutes, not a moment).
    #[test]
    fn slashes_without_nul_are_not_quadratic() {
        let bytes = b"\n/".repeat(256 * 1024);
        assert_eq!(system_dirs(&bytes, true, false), None);
        let mut bytes = b"/a/".repeat(200_000);
        bytes.push(0);
        assert_eq!(system_dirs(&bytes, true, false), None);
    }

    /// `system_dirs` and `system_dirs_len` as glibc lays them out.
    fn image(dirs: &[&str], lens_before: bool, word: usize, big: bool) -> Vec<u8> {
        let mut strings = Vec::new();
        for (i, d) in dirs.iter().enumerate() {
            if i > 0 {
                strings.push(0);
            }
            strings.extend_from_slice(d.as_bytes());
        }
        strings.push(0);
        let mut lens = Vec::new();
        for d in dirs {
            let v = d.len() as u64;
            let b = if big {
                v.to_be_bytes()[8 - word..].to_vec()
            } else {
                v.to_le_bytes()[..word].to_vec()
            };
            lens.extend_from_slice(&b);
        }
        let mut out = b"\0junk /not/a/list\0/usr/share/\0".to_vec();
        while !out.len().is_multiple_of(word) {
            out.push(0);
        }
        if lens_before {
            out.extend_from_slice(&lens);
            out.extend_from_slice(&strings);
        } else {
            out.push(0);
            out.extend_from_slice(&strings);
            while !out.len().is_multiple_of(word) {
                out.push(0);
            }
            out.extend_from_slice(&lens);
        }
        out.extend_from_slice(b"\0tail");
        out
    }

    #[test]
    fn system_dirs_are_found_by_their_lengths() {
        let debian = [
            "/lib/x86_64-linux-gnu/",
            "/usr/lib/x86_64-linux-gnu/",
            "/lib/",
            "/usr/lib/",
        ];
        for before in [true, false] {
            for (word, big) in [(8, false), (4, false), (8, true), (4, true)] {
                let bytes = image(&debian, before, word, big);
                let got = system_dirs(&bytes, word == 8, big).unwrap();
                let want: Vec<Vec<u8>> = debian.iter().map(|d| d.as_bytes().to_vec()).collect();
                assert_eq!(got, want, "before={before} word={word} big={big}");
            }
        }
        let upstream = image(&["/lib64/", "/usr/lib64/"], true, 8, false);
        assert_eq!(
            system_dirs(&upstream, true, false).unwrap(),
            vec![b"/lib64/".to_vec(), b"/usr/lib64/".to_vec()]
        );
        // Lengths that do not match are not a list.
        let mut bad = image(&debian, true, 8, false);
        let at = memmem::find(&bad, b"/lib/x86").unwrap();
        bad[at - 32] = 23;
        assert_eq!(system_dirs(&bad, true, false), None);
        assert_eq!(system_dirs(b"", true, false), None);
        assert_eq!(system_dirs(b"\0/", true, false), None);
    }

    /// The real `ld.so` of this machine, against what it prints about
    /// itself (`--list-diagnostics`, glibc ≥ 2.33), when it runs here.
    #[test]
    fn the_hosts_ld_so_agrees_with_its_own_diagnostics() {
        let path = "/lib64/ld-linux-x86-64.so.2";
        let Ok(bytes) = std::fs::read(path) else {
            return;
        };
        let Ok(out) = std::process::Command::new(path)
            .arg("--list-diagnostics")
            .output()
        else {
            return;
        };
        let text = String::from_utf8_lossy(&out.stdout);
        let want: Vec<Vec<u8>> = text
            .lines()
            .filter_map(|l| l.strip_prefix("path.system_dirs["))
            .filter_map(|l| l.split_once("]=\""))
            .map(|(_, v)| v.trim_end_matches('"').as_bytes().to_vec())
            .collect();
        if want.is_empty() {
            return;
        }
        let dirs = system_dirs(&bytes, true, false).unwrap();
        assert_eq!(dirs, want);
        let lib = text
            .lines()
            .find_map(|l| l.strip_prefix("dl_dst_lib=\""))
            .map(|v| v.trim_end_matches('"').as_bytes().to_vec());
        assert_eq!(dst_lib(&bytes, &dirs), lib);
        let version = text
            .lines()
            .find_map(|l| l.strip_prefix("version.version=\""))
            .map(|v| v.trim_end_matches('"').to_string());
        let (major, minor) = glibc_version(&bytes).unwrap();
        assert_eq!(Some(format!("{major}.{minor}")), version);
    }

    #[test]
    fn dst_lib_spellings() {
        let dirs = vec![b"/lib64/".to_vec(), b"/usr/lib64/".to_vec()];
        assert_eq!(dst_lib(b"x\0lib64\0y", &dirs).unwrap(), b"lib64");
        let deb = vec![b"/lib/x86_64-linux-gnu/".to_vec()];
        assert_eq!(
            dst_lib(b"\0lib/x86_64-linux-gnu\0", &deb).unwrap(),
            b"lib/x86_64-linux-gnu"
        );
        assert_eq!(
            dst_lib(b"o\0ORIGIN\0PLATFORM\0LIB\0lib/odd\0", &deb).unwrap(),
            b"lib/odd"
        );
        assert_eq!(dst_lib(b"", &deb).unwrap(), b"x86_64-linux-gnu");
        assert_eq!(dst_lib(b"", &[]), None);
    }

    #[test]
    fn glibc_versions() {
        assert_eq!(
            glibc_version(b"ld.so (Debian GLIBC 2.36-9+deb12u4) stable release version 2.36.\n"),
            Some((2, 36))
        );
        assert_eq!(
            glibc_version(b"release version x; development release version 2.41.9000."),
            Some((2, 41))
        );
        assert_eq!(glibc_version(b"release version "), None);
        assert_eq!(glibc_version(b""), None);
    }

    #[test]
    fn musl_paths() {
        assert_eq!(
            musl_path(b"/lib\n/usr/lib::/opt/x\n\0/ignored"),
            vec![b"/lib".to_vec(), b"/usr/lib".to_vec(), b"/opt/x".to_vec()]
        );
        assert!(musl_path(b"").is_empty());
        assert_eq!(
            musl_path_file(b"/lib/ld-musl-x86_64.so.1").unwrap(),
            b"/etc/ld-musl-x86_64.path"
        );
        assert_eq!(
            musl_path_file(b"/usr/local/musl/lib/ld-musl-aarch64.so.1").unwrap(),
            b"/usr/local/musl/etc/ld-musl-aarch64.path"
        );
        assert_eq!(
            musl_path_file(b"/ld-musl-x86_64.so.1").unwrap(),
            b"/etc/ld-musl-x86_64.path"
        );
        assert_eq!(musl_path_file(b"/lib64/ld-linux-x86-64.so.2"), None);
    }
}
