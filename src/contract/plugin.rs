//! Would `plugin.Open` in this host succeed, and would this `-linkshared`
//! executable start with this Go shared library? Decided from hash bytes,
//! never from versions or settings, in the order the runtime checks.
//!
//! `plugin.Open` (plugin/plugin_dlopen.go, runtime/plugin.go
//! `plugin_lastmoduleinit`), in order:
//!
//! 1. The host must link package `plugin` and use cgo: without cgo the
//!    package's stub returns `plugin: not implemented`.
//! 2. `dlopen`, then the host runtime reads the plugin's `moduledata` with
//!    its own layout. A plugin from a release with another layout is not
//!    found (`fatal error: runtime: no plugin module data`: the process
//!    dies); see [`modulehash::moduledata_layout`].
//! 3. For each entry of the plugin's `pkghashes`, in table order, the hash
//!    it was linked with must equal the one its `runtimehash` was bound
//!    to: the host's `go:link.pkghash.<pkg>` when the host exports one,
//!    else the plugin's own. The first that differs is named: `plugin was
//!    built with a different version of package <pkg>`.
//!
//! A `-linkshared` executable checks each Go shared library's ABI hash at
//! start (runtime/symtab.go `moduledataverify1`): `abi mismatch detected
//! between the executable and <lib>`, `fatal error: abi mismatch`.

use super::extract::GoLink;
use crate::go::modulehash;
use crate::input::hex;

/// What the check needs of one Go file.
#[derive(Debug, Clone, Default)]
pub struct GoSide {
    /// As shown to the user.
    pub path: String,
    /// Whether anything says a Go toolchain built it.
    pub is_go: bool,
    /// As the toolchain wrote it.
    pub version: Option<String>,
    pub buildmode: Option<String>,
    /// runtime/cgo linked.
    pub cgo: Option<bool>,
    /// Package `plugin` linked (hosts only; `None` when not looked for or
    /// not knowable).
    pub links_plugin: Option<bool>,
    pub link: GoLink,
}

/// The outcome, with what the runtime would say.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    Loads(String),
    Fails(String),
    /// A fact the decision needs could not be established.
    Unknown(String),
}

/// `plugin.Open`'s argument as its errors show it: `.so` dropped.
fn open_name(path: &str) -> &str {
    path.strip_suffix(".so").unwrap_or(path)
}

fn release(v: Option<&str>) -> Option<(u64, u64)> {
    let r = crate::go::version::parse(v?).release?;
    Some((r.major, r.minor))
}

/// Judges `module` (a plugin or a Go shared library) against `host`.
pub fn judge(host: &GoSide, module: &GoSide) -> Verdict {
    if let Some((lib, hash)) = &module.link.abihash
        && module.link.plugin_table.is_empty()
    {
        return judge_shared(host, module, lib, hash);
    }
    if module.link.plugin_table.is_empty() {
        return Verdict::Unknown(format!(
            "{} is neither a Go plugin (no package hash table) nor a Go shared library \
             (no .note.go.abihash)",
            module.path
        ));
    }
    judge_plugin(host, module)
}

fn judge_plugin(host: &GoSide, plugin: &GoSide) -> Verdict {
    let h = &host.path;
    if !host.is_go {
        return Verdict::Fails(format!("{h} is not a Go program: it cannot plugin.Open"));
    }
    match host.links_plugin {
        Some(false) => {
            return Verdict::Fails(format!(
                "{h} does not link package plugin: it cannot open plugins at all"
            ));
        }
        None if host.link.exported.is_empty() => {
            return Verdict::Unknown(format!(
                "cannot tell whether {h} links package plugin (no Go function names)"
            ));
        }
        _ => {}
    }
    match host.cgo {
        Some(false) => {
            return Verdict::Fails(format!(
                "{h} was built without cgo: plugin.Open returns \"plugin: not implemented\""
            ));
        }
        None => {
            return Verdict::Unknown(format!("cannot tell whether {h} uses cgo"));
        }
        Some(true) => {}
    }
    if host.link.exported.is_empty() {
        return Verdict::Unknown(format!(
            "{h} links package plugin and cgo but exports no package hashes \
             (go:link.pkghashbytes.*): its dynamic symbols are missing or unreadable"
        ));
    }
    // The hashes, in the plugin's table order: (package, host's, plugin's).
    let mut differ: Vec<(&str, &[u8], &[u8])> = Vec::new();
    let mut shared = 0usize;
    for (pkg, linktime) in &plugin.link.plugin_table {
        if let Some(bound) = host.link.exported.get(pkg) {
            shared += 1;
            if bound != linktime {
                differ.push((pkg, bound, linktime));
            }
        }
    }
    let only_plugin = plugin.link.plugin_table.len().saturating_sub(shared);
    let name = open_name(&plugin.path);
    let others = |rest: &[(&str, &[u8], &[u8])]| {
        if rest.is_empty() {
            String::new()
        } else {
            let names: Vec<&str> = rest.iter().map(|d| d.0).collect();
            format!("; other packages whose hashes differ: {}", names.join(", "))
        }
    };
    let (hr, pr) = (
        release(host.version.as_deref()),
        release(plugin.version.as_deref()),
    );
    if let (Some(a), Some(b)) = (hr, pr)
        && a != b
    {
        let layouts = (
            modulehash::moduledata_layout(a.0, a.1),
            modulehash::moduledata_layout(b.0, b.1),
        );
        let versions = format!(
            "{h} is {}, {} is {}",
            host.version.as_deref().unwrap_or("?"),
            plugin.path,
            plugin.version.as_deref().unwrap_or("?")
        );
        match layouts {
            (Some(x), Some(y)) if x != y => {
                return Verdict::Fails(format!(
                    "{h} dies opening {}: fatal error: runtime: no plugin module data ({versions}; \
                     the two releases lay out runtime.moduledata differently){}",
                    plugin.path,
                    others(&differ)
                ));
            }
            (Some(_), Some(_)) => {}
            _ => {
                let first = differ.first().map_or("?", |d| d.0);
                return Verdict::Fails(format!(
                    "{h} cannot open {} ({versions}): it dies with \"fatal error: runtime: no \
                     plugin module data\" if the two releases lay out runtime.moduledata \
                     differently, else plugin.Open fails with \"plugin was built with a different \
                     version of package {first}\"{}",
                    plugin.path,
                    others(differ.get(1..).unwrap_or_default())
                ));
            }
        }
    }
    match differ.split_first() {
        Some(((pkg, bound, linktime), rest)) => Verdict::Fails(format!(
            "plugin.Open(\"{name}\"): plugin was built with a different version of package {pkg} \
             (hash {} in {h}, {} in the plugin){}",
            hex(bound),
            hex(linktime),
            others(rest)
        )),
        None => Verdict::Loads(format!(
            "plugin.Open(\"{name}\") in {h} gets past the package hashes: the {shared} packages \
             both link have equal hashes ({only_plugin} only in the plugin)"
        )),
    }
}

fn judge_shared(host: &GoSide, lib: &GoSide, name: &str, hash: &[u8]) -> Verdict {
    let h = &host.path;
    let entry = host
        .link
        .module_hashes
        .iter()
        .find(|(l, _)| !name.is_empty() && l == name);
    match entry {
        None if host.link.module_hashes.is_empty() => Verdict::Loads(format!(
            "{h} is not linked against Go shared libraries (-linkshared): {} does not concern it",
            lib.path
        )),
        None => Verdict::Loads(format!(
            "{h} is linked against {} but not {name}: {} does not concern it",
            host.link
                .module_hashes
                .iter()
                .map(|(l, _)| l.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            lib.path
        )),
        Some((_, want)) if want.as_slice() == hash => Verdict::Loads(format!(
            "{h} was linked against this build of {name} (ABI hash {})",
            hex(hash)
        )),
        Some((_, want)) => Verdict::Fails(format!(
            "{h} dies at start with {}: abi mismatch detected between the executable and {name} \
             (fatal error: abi mismatch; linked against ABI hash {}, this library has {})",
            lib.path,
            hex(want),
            hex(hash)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn host() -> GoSide {
        let mut link = GoLink::default();
        for (p, h) in [("runtime", [1u8; 8]), ("example.com/shared", [2; 8])] {
            link.exported.insert(p.into(), h.to_vec());
        }
        GoSide {
            path: "host".into(),
            is_go: true,
            version: Some("go1.27.3".into()),
            buildmode: Some("exe".into()),
            cgo: Some(true),
            links_plugin: Some(true),
            link,
        }
    }

    fn plugin(shared: u8, version: &str) -> GoSide {
        let link = GoLink {
            plugin_table: vec![
                ("example.com/shared".into(), vec![shared; 8]),
                ("example.com/plug".into(), vec![9; 8]),
                ("runtime".into(), vec![1; 8]),
            ],
            ..GoLink::default()
        };
        GoSide {
            path: "p.so".into(),
            is_go: true,
            version: Some(version.into()),
            buildmode: Some("plugin".into()),
            cgo: Some(true),
            links_plugin: None,
            link,
        }
    }

    fn fails(v: Verdict) -> String {
        match v {
            Verdict::Fails(m) => m,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn plugin_outcomes() {
        assert!(matches!(
            judge(&host(), &plugin(2, "go1.27.3")),
            Verdict::Loads(_)
        ));
        let m = fails(judge(&host(), &plugin(3, "go1.27.3")));
        assert!(
            m.starts_with(
                "plugin.Open(\"p\"): plugin was built with a different version of package \
                 example.com/shared (hash"
            ),
            "{m}"
        );
        let m = fails(judge(&host(), &plugin(2, "go1.25.5")));
        assert!(
            m.contains("fatal error: runtime: no plugin module data"),
            "{m}"
        );
        // Same layout (1.23 and 1.25): the package error.
        let mut h = host();
        h.version = Some("go1.23.9".into());
        let m = fails(judge(&h, &plugin(3, "go1.25.5")));
        assert!(
            m.contains("different version of package example.com/shared"),
            "{m}"
        );
        let mut h = host();
        h.version = Some("go1.24.1".into());
        let m = fails(judge(&h, &plugin(2, "go1.25.5")));
        assert!(m.contains("no plugin module data\" if"), "{m}");
        let mut h = host();
        h.cgo = Some(false);
        assert!(fails(judge(&h, &plugin(2, "go1.27.3"))).contains("plugin: not implemented"));
        let mut h = host();
        h.links_plugin = Some(false);
        assert!(fails(judge(&h, &plugin(2, "go1.27.3"))).contains("cannot open plugins at all"));
        let mut h = host();
        h.cgo = None;
        assert!(matches!(
            judge(&h, &plugin(2, "go1.27.3")),
            Verdict::Unknown(_)
        ));
        let mut not_plugin = plugin(2, "go1.27.3");
        not_plugin.link.plugin_table.clear();
        assert!(matches!(judge(&host(), &not_plugin), Verdict::Unknown(_)));
    }

    #[test]
    fn shared_library_outcomes() {
        let mut exe = host();
        exe.link.module_hashes = vec![("libstd.so".into(), vec![7; 32])];
        let mut lib = plugin(0, "go1.27.3");
        lib.link.plugin_table.clear();
        lib.link.abihash = Some(("libstd.so".into(), vec![7; 32]));
        assert!(matches!(judge(&exe, &lib), Verdict::Loads(_)));
        lib.link.abihash = Some(("libstd.so".into(), vec![8; 32]));
        let m = fails(judge(&exe, &lib));
        assert!(
            m.contains("abi mismatch detected between the executable and libstd.so"),
            "{m}"
        );
        lib.link.abihash = Some(("libother.so".into(), vec![8; 32]));
        assert!(matches!(judge(&exe, &lib), Verdict::Loads(_)));
    }
}
