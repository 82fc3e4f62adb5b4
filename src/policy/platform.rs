//! `elf.arch` and `elf.glibc`: will the file load on this node?

use std::cmp::Ordering;
use std::fmt;

use serde::Deserialize;

use super::Outcome;
use crate::facts::Report;

/// GOARCH values Go knows (`go/build/syslist.go, knownArch`), gccgo's included.
pub const KNOWN_GOARCH: [&str; 24] = [
    "386",
    "amd64",
    "amd64p32",
    "arm",
    "armbe",
    "arm64",
    "arm64be",
    "loong64",
    "mips",
    "mipsle",
    "mips64",
    "mips64le",
    "mips64p32",
    "mips64p32le",
    "ppc",
    "ppc64",
    "ppc64le",
    "riscv",
    "riscv64",
    "s390",
    "s390x",
    "sparc",
    "sparc64",
    "wasm",
];

/// An allowed architecture: a GOARCH name, or the machine elfgate runs on.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum ArchSpec {
    Host,
    Goarch(String),
}

impl ArchSpec {
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        if t == "host" {
            return Ok(ArchSpec::Host);
        }
        if KNOWN_GOARCH.contains(&t) {
            return Ok(ArchSpec::Goarch(t.to_owned()));
        }
        let hint = match t {
            "x86_64" | "x86-64" | "x64" => " (did you mean amd64?)",
            "aarch64" => " (did you mean arm64?)",
            "i386" | "i686" | "x86" => " (did you mean 386?)",
            _ => "",
        };
        Err(format!(
            "unknown architecture `{s}`{hint}: use GOARCH names (amd64, arm64, ...) or host"
        ))
    }
}

impl TryFrom<String> for ArchSpec {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        ArchSpec::parse(&s)
    }
}

impl fmt::Display for ArchSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ArchSpec::Host => f.write_str("host"),
            ArchSpec::Goarch(a) => f.write_str(a),
        }
    }
}

pub(crate) fn check_arch(allowed: &[ArchSpec], report: &Report, host: Option<&str>) -> Outcome {
    let path = &report.path;
    let Some(elf) = &report.elf else {
        return Outcome::Unknown(format!("cannot read the architecture of {path}: not ELF"));
    };
    let Some(goarch) = &elf.goarch else {
        return Outcome::Unknown(format!(
            "cannot map {} ({} {}-endian) of {path} to a GOARCH",
            elf.machine, elf.class, elf.endian
        ));
    };
    let mut host_missing = false;
    let names: Vec<String> = allowed
        .iter()
        .map(|a| match (a, host) {
            (ArchSpec::Host, Some(h)) => format!("host ({h})"),
            _ => a.to_string(),
        })
        .collect();
    for a in allowed {
        let ok = match a {
            ArchSpec::Goarch(n) => n == goarch,
            ArchSpec::Host => match host {
                Some(h) => h == goarch,
                None => {
                    host_missing = true;
                    false
                }
            },
        };
        if ok {
            return Outcome::Pass(format!("{goarch} ({})", elf.machine));
        }
    }
    if host_missing {
        return Outcome::Unknown(format!(
            "{path} is {goarch}, not one of {}, and the host architecture is unknown",
            names.join(", ")
        ));
    }
    Outcome::Fail(format!(
        "{goarch} ({}) is not one of {}",
        elf.machine,
        names.join(", ")
    ))
}

/// A glibc release such as `2.34`: dotted numbers, compared numerically
/// with missing parts as zero (`2.34 == 2.34.0`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct GlibcVersion {
    parts: Vec<u64>,
    text: String,
}

impl GlibcVersion {
    /// Accepts `2.34` and `GLIBC_2.34`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim();
        let bare = t.strip_prefix("GLIBC_").unwrap_or(t);
        let parts: Option<Vec<u64>> = bare
            .split('.')
            .map(|p| {
                if p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()) {
                    None
                } else {
                    p.parse().ok()
                }
            })
            .collect();
        match parts {
            Some(parts) if (1..=4).contains(&parts.len()) => Ok(GlibcVersion {
                parts,
                text: bare.to_owned(),
            }),
            _ => Err(format!("bad glibc version `{s}`: expected e.g. 2.34")),
        }
    }

    fn cmp(&self, other: &GlibcVersion) -> Ordering {
        let n = self.parts.len().max(other.parts.len());
        (0..n)
            .map(|i| {
                let a = self.parts.get(i).copied().unwrap_or(0);
                let b = other.parts.get(i).copied().unwrap_or(0);
                a.cmp(&b)
            })
            .find(|o| o.is_ne())
            .unwrap_or(Ordering::Equal)
    }
}

impl TryFrom<String> for GlibcVersion {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        GlibcVersion::parse(&s)
    }
}

impl fmt::Display for GlibcVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

pub(crate) fn check_glibc(max: &GlibcVersion, report: &Report) -> Outcome {
    let path = &report.path;
    let Some(elf) = &report.elf else {
        return Outcome::Unknown(format!("cannot read the glibc needs of {path}: not ELF"));
    };
    match &report.max_glibc {
        Some(raw) => match GlibcVersion::parse(raw) {
            Ok(v) if v.cmp(max) != Ordering::Greater => {
                Outcome::Pass(format!("needs glibc {v}, at most {max}"))
            }
            Ok(v) => Outcome::Fail(format!("needs glibc {v}, above {max}")),
            Err(_) => Outcome::Unknown(format!(
                "cannot compare the glibc version `{raw}` of {path} with {max}"
            )),
        },
        None if elf.needed.is_empty() => {
            Outcome::Pass(format!("needs no glibc ({} linking)", elf.linking))
        }
        None => Outcome::Pass(format!(
            "needs no GLIBC_ symbol version (needed: {})",
            elf.needed.join(", ")
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::ElfFacts;
    use crate::policy::tests::{is_fail, is_pass, is_unknown};

    fn report(goarch: Option<&str>) -> Report {
        Report {
            path: "f".into(),
            elf: Some(ElfFacts {
                machine: "x86_64".into(),
                goarch: goarch.map(str::to_owned),
                linking: "dynamic".into(),
                needed: vec!["libc.so.6".into()],
                ..ElfFacts::default()
            }),
            ..Report::default()
        }
    }

    fn arches(list: &[&str]) -> Vec<ArchSpec> {
        list.iter().map(|a| ArchSpec::parse(a).unwrap()).collect()
    }

    #[test]
    fn arch() {
        let r = report(Some("amd64"));
        assert!(is_pass(&check_arch(&arches(&["amd64", "arm64"]), &r, None)));
        assert!(is_fail(&check_arch(&arches(&["arm64"]), &r, None)));
        assert!(is_pass(&check_arch(&arches(&["host"]), &r, Some("amd64"))));
        let o = check_arch(&arches(&["host"]), &r, Some("arm64"));
        assert!(is_fail(&o) && format!("{o:?}").contains("host (arm64)"));
        assert!(is_unknown(&check_arch(&arches(&["host"]), &r, None)));
        assert!(is_unknown(&check_arch(
            &arches(&["amd64"]),
            &report(None),
            None
        )));
        let e = ArchSpec::parse("x86_64").unwrap_err();
        assert!(e.contains("did you mean amd64"));
    }

    #[test]
    fn glibc() {
        let max = GlibcVersion::parse("2.34").unwrap();
        let mut r = report(Some("amd64"));
        r.max_glibc = Some("GLIBC_2.34".into());
        assert!(is_pass(&check_glibc(&max, &r)));
        r.max_glibc = Some("2.34.1".into());
        assert!(is_fail(&check_glibc(&max, &r)));
        r.max_glibc = Some("2.4".into());
        assert!(is_pass(&check_glibc(&max, &r)), "numeric, not string order");
        r.max_glibc = Some("2.35".into());
        assert!(is_fail(&check_glibc(&max, &r)));
        r.max_glibc = Some("GLIBC_PRIVATE".into());
        assert!(is_unknown(&check_glibc(&max, &r)));
        r.max_glibc = None;
        assert!(is_pass(&check_glibc(&max, &r)));
        assert!(GlibcVersion::parse("2.").is_err());
        assert!(GlibcVersion::parse("two").is_err());
        assert_eq!(
            GlibcVersion::parse("2.34")
                .unwrap()
                .cmp(&GlibcVersion::parse("2.34.0").unwrap()),
            Ordering::Equal
        );
    }
}
