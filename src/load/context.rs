//! What a loader brings to every program it starts, worked out once per
//! interpreter: which loader it is, where it searches by default, its
//! `$LIB` and release (glibc), its path file (musl), and the image's
//! `/etc/ld.so.cache`.

use std::sync::Arc;

use super::cpu::{Cpu, EM_X86_64};
use super::ldcache::{self, Cache};
use super::{Found, Lookup, MAX_READ, Session, ldso};

/// Which loader.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flavor {
    Glibc,
    Musl,
    Unknown,
}

impl Flavor {
    pub fn name(self) -> &'static str {
        match self {
            Flavor::Glibc => "glibc",
            Flavor::Musl => "musl",
            Flavor::Unknown => "unknown",
        }
    }
}

/// The loader of the interpreter a program names.
#[derive(Debug)]
pub struct Context {
    pub flavor: Flavor,
    /// `PT_INTERP` as written: the loader's own `l_name` (glibc) or
    /// `ldso.name` (musl).
    pub interp: Vec<u8>,
    /// The interpreter file, when it was found.
    pub file: Option<Arc<Found>>,
    /// The in-tree path it resolves to, when it was found.
    pub found_at: Option<Vec<u8>>,
    /// glibc: its system directories, each ending in `/`.
    pub system_dirs: Vec<Vec<u8>>,
    /// glibc: `$LIB`.
    pub dst_lib: Option<Vec<u8>>,
    /// glibc: the release, when `ld.so` says it.
    pub version: Option<(u32, u32)>,
    /// glibc: the subdirectories tried in every directory, in order
    /// (`glibc-hwcaps/x86-64-v3/`, legacy ones, and last `""`).
    pub capstr: Vec<Vec<u8>>,
    /// glibc: the hwcaps subdirectories active (for the cache).
    pub hwcaps: Vec<&'static str>,
    /// musl: the system search path.
    pub sys_path: Vec<Vec<u8>>,
    /// What was assumed, for the facts' warnings.
    pub warnings: Vec<String>,
}

/// The image's `/etc/ld.so.cache`: parsed, absent, or unusable (why).
#[derive(Debug)]
pub enum LdCache {
    Usable(Cache),
    Absent,
    Unusable(String),
}

impl Context {
    /// Works out the loader `interp` names, whose lookup in the tree gave `found`.
    pub fn new(session: &Session, interp: &[u8], found: &Lookup) -> Context {
        let file = match found {
            Lookup::Found(f) if f.is_file() => Some(Arc::clone(f)),
            _ => None,
        };
        let found_at = file
            .as_ref()
            .and_then(|_| session.tree.canonical(interp).ok());
        let mut ctx = Context {
            flavor: flavor(interp, file.as_deref()),
            interp: interp.to_vec(),
            file,
            found_at,
            system_dirs: Vec::new(),
            dst_lib: None,
            version: None,
            capstr: vec![Vec::new()],
            hwcaps: Vec::new(),
            sys_path: Vec::new(),
            warnings: Vec::new(),
        };
        match ctx.flavor {
            Flavor::Glibc => ctx.glibc(session),
            Flavor::Musl => ctx.musl(session),
            Flavor::Unknown => {}
        }
        ctx
    }

    fn glibc(&mut self, session: &Session) {
        let cpu = session.cpu();
        let obj = self.file.as_ref().and_then(|f| f.object());
        let (is_64, big, machine) = obj
            .map(|o| (o.is_64, o.big_endian, o.e_machine))
            .unwrap_or((true, false, EM_X86_64));
        let bytes = session
            .tree
            .read_small(&self.interp, MAX_READ)
            .unwrap_or_default();
        self.system_dirs = match ldso::system_dirs(&bytes, is_64, big) {
            Some(d) => d,
            None => {
                let d = default_system_dirs(machine, is_64);
                if self.file.is_some() {
                    self.warnings.push(format!(
                        "{}: no system directory list found in the interpreter; assumed {}",
                        crate::input::escape_bytes(&self.interp),
                        d.iter()
                            .map(|d| crate::input::escape_bytes(d))
                            .collect::<Vec<_>>()
                            .join(":")
                    ));
                }
                d
            }
        };
        self.dst_lib = ldso::dst_lib(&bytes, &self.system_dirs);
        self.version = ldso::glibc_version(&bytes);
        if self.version.is_none() && self.file.is_some() {
            self.warnings.push(format!(
                "{}: no glibc release found in the interpreter; assumed 2.37 or later \
                 (glibc-hwcaps subdirectories, no legacy ones)",
                crate::input::escape_bytes(&self.interp)
            ));
        }
        let (hwcaps_on, legacy_on) = match self.version {
            Some(v) => (v >= (2, 33), v <= (2, 36)),
            None => (true, false),
        };
        if hwcaps_on {
            self.hwcaps = cpu.hwcaps_subdirs();
        }
        let mut capstr: Vec<Vec<u8>> = self
            .hwcaps
            .iter()
            .map(|s| format!("glibc-hwcaps/{s}/").into_bytes())
            .collect();
        if legacy_on {
            capstr.extend(legacy_subdirs(cpu));
        } else {
            capstr.push(Vec::new());
        }
        self.capstr = capstr;
    }

    fn musl(&mut self, session: &Session) {
        let Some(file) = ldso::musl_path_file(&self.interp) else {
            self.sys_path = musl_default();
            return;
        };
        self.sys_path = match session.tree.read_small(&file, MAX_READ) {
            Ok(bytes) => ldso::musl_path(&bytes),
            Err(e) if e.is_not_found() => musl_default(),
            // musl: any other open error leaves no system path at all.
            Err(e) => {
                self.warnings.push(format!(
                    "{e}: musl searches no system directory when its path file cannot be read"
                ));
                Vec::new()
            }
        };
    }

    /// The glibc release as text.
    pub fn version_text(&self) -> Option<String> {
        self.version.map(|(a, b)| format!("{a}.{b}"))
    }

    /// The environment a cache lookup needs, for this loader and CPU.
    pub fn cache_env<'a>(&'a self, cpu: &Cpu, flags: &'a [i32], default: i32) -> ldcache::Env<'a> {
        let skip_legacy = self.version.is_none_or(|v| v >= (2, 37));
        ldcache::Env {
            accepted_flags: flags,
            default_flags: default,
            isa_1: cpu.isa_1(),
            hwcaps_subdirs: &self.hwcaps,
            skip_legacy_hwcaps: skip_legacy,
            legacy_hwcap_bits: cpu.legacy_hwcap_bits(),
            platform_bit: match cpu.platform() {
                "haswell" => 1 << 48,
                "xeon_phi" => 1 << 49,
                _ => 0,
            },
        }
    }
}

/// The image's `/etc/ld.so.cache`, read once per session.
pub fn ld_cache(session: &Session) -> &LdCache {
    session.cache.get_or_init(
        || match session.tree.read_small(b"/etc/ld.so.cache", MAX_READ) {
            Ok(bytes) => match Cache::parse(bytes) {
                Ok(c) => LdCache::Usable(c),
                Err(e) => LdCache::Unusable(e.to_string()),
            },
            Err(e) if e.is_not_found() => LdCache::Absent,
            Err(e) => LdCache::Unusable(e.to_string()),
        },
    )
}

/// Which loader an interpreter is: by what the file says of itself when
/// it is there (glibc's `ld.so` defines `GLIBC_*` versions; musl's is
/// `libc.so` or defines musl's start-up stages), else by its name.
fn flavor(interp: &[u8], file: Option<&Found>) -> Flavor {
    let base = interp.rsplit(|&b| b == b'/').next().unwrap_or(interp);
    if base.starts_with(b"ld-musl-") {
        return Flavor::Musl;
    }
    if let Some(o) = file.and_then(Found::object) {
        if o.verdefs.iter().any(|v| v.name.starts_with(b"GLIBC_")) {
            return Flavor::Glibc;
        }
        if o.soname.as_deref() == Some(b"libc.so".as_slice()) {
            return Flavor::Musl;
        }
        // Debian's musl has no SONAME; its loader-and-libc exports the
        // stages of its own start-up (`__dls2b`, `__dls3`), which no glibc
        // object defines. A glibc-named path linked to it runs musl.
        let defines = |n: &[u8]| {
            let h = super::gnuhash::gnu_hash(n);
            o.symbols.find(n, h).next().is_some()
        };
        if o.verdefs.is_empty() && defines(b"__dls3") && defines(b"__libc_start_main") {
            return Flavor::Musl;
        }
    }
    let glibc_names: [&[u8]; 4] = [b"ld-linux", b"ld64.so.", b"ld.so.", b"ld-2."];
    if glibc_names.iter().any(|p| base.starts_with(p)) {
        return Flavor::Glibc;
    }
    Flavor::Unknown
}

/// Upstream glibc's `$(slibdir):$(libdir)` per architecture, when the
/// interpreter's own list cannot be read.
fn default_system_dirs(machine: u16, is_64: bool) -> Vec<Vec<u8>> {
    let lib64 = matches!(machine, 62 | 183 | 21 | 43 | 2) && is_64;
    if lib64 {
        vec![b"/lib64/".to_vec(), b"/usr/lib64/".to_vec()]
    } else {
        vec![b"/lib/".to_vec(), b"/usr/lib/".to_vec()]
    }
}

/// musl's built-in system path, used when the path file is absent.
fn musl_default() -> Vec<Vec<u8>> {
    vec![
        b"/lib".to_vec(),
        b"/usr/local/lib".to_vec(),
        b"/usr/lib".to_vec(),
    ]
}

/// glibc 2.26–2.36's legacy subdirectories (`_dl_important_hwcaps`): every
/// combination of the hwcap names, the platform and `tls`, most first,
/// ending with the directory itself (`""`). With names `[h…, platform,
/// tls]` indexed from 0, combination bits count down from all set, and a
/// combination's components come highest index first.
pub fn legacy_subdirs(cpu: &Cpu) -> Vec<Vec<u8>> {
    let mut names: Vec<&str> = cpu.legacy_hwcaps();
    names.push(cpu.platform());
    names.push("tls");
    let n = names.len();
    let mut out = Vec::new();
    for mask in (0u32..(1 << n)).rev() {
        let mut s = Vec::new();
        for (i, name) in names.iter().enumerate().rev() {
            if mask & (1 << i) != 0 {
                s.extend_from_slice(name.as_bytes());
                s.push(b'/');
            }
        }
        out.push(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::CpuSpec;

    /// The order glibc 2.36 printed for `LD_DEBUG=libs` on an AMD CPU
    /// (platform `x86_64`, hwcap `x86_64`).
    #[test]
    fn legacy_order_matches_glibc_2_36() {
        let cpu = Cpu::new(CpuSpec::Level(3));
        let got: Vec<String> = legacy_subdirs(&cpu)
            .into_iter()
            .map(|s| String::from_utf8(s).unwrap())
            .collect();
        assert_eq!(
            got,
            [
                "tls/x86_64/x86_64/",
                "tls/x86_64/",
                "tls/x86_64/",
                "tls/",
                "x86_64/x86_64/",
                "x86_64/",
                "x86_64/",
                ""
            ]
        );
        let mut haswell = cpu.clone();
        haswell.intel = true;
        haswell.haswell = true;
        haswell.avx512_1 = true;
        let got = legacy_subdirs(&haswell);
        assert_eq!(got.len(), 16);
        assert_eq!(got[0], b"tls/haswell/avx512_1/x86_64/");
        assert_eq!(got[15], b"");
    }

    #[test]
    fn flavors_by_name() {
        assert_eq!(flavor(b"/lib/ld-musl-x86_64.so.1", None), Flavor::Musl);
        assert_eq!(flavor(b"/lib64/ld-linux-x86-64.so.2", None), Flavor::Glibc);
        assert_eq!(flavor(b"/lib64/ld64.so.2", None), Flavor::Glibc);
        assert_eq!(flavor(b"/system/bin/linker64", None), Flavor::Unknown);
    }
}
