//! `abi.property` and `abi.max_isa`: `.note.gnu.property` markers and the
//! x86-64 ISA level (shared/reference/elf-go-formats.md §8).
//!
//! FEATURE_1_AND properties are ANDed by the linker over every input object:
//! an absent note means some object was not marked, so the feature is off
//! (a definite failure, not an unknown). Go's linker never writes the note,
//! and the host linker's note ignores GOAMD64, so the Go level comes from
//! the build settings.

use std::fmt;

use semver::Version;
use serde::Deserialize;

use super::Outcome;
use crate::facts::Report;

const EM_386: u16 = 3;
const EM_X86_64: u16 = 62;
const EM_AARCH64: u16 = 183;

/// A CPU hardening property.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub enum Property {
    /// x86 indirect branch tracking (CET).
    Ibt,
    /// x86 shadow stack (CET).
    Shstk,
    /// AArch64 branch target identification.
    Bti,
    /// AArch64 pointer authentication.
    Pac,
    /// AArch64 guarded control stack.
    Gcs,
}

impl Property {
    pub fn parse(s: &str) -> Result<Self, String> {
        Ok(match s.trim().to_ascii_lowercase().as_str() {
            "ibt" => Property::Ibt,
            "shstk" => Property::Shstk,
            "bti" => Property::Bti,
            "pac" => Property::Pac,
            "gcs" => Property::Gcs,
            _ => {
                return Err(format!(
                    "unknown property `{s}`: expected ibt, shstk (x86), bti, pac, gcs (aarch64)"
                ));
            }
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Property::Ibt => "ibt",
            Property::Shstk => "shstk",
            Property::Bti => "bti",
            Property::Pac => "pac",
            Property::Gcs => "gcs",
        }
    }

    fn x86(self) -> bool {
        matches!(self, Property::Ibt | Property::Shstk)
    }
}

impl TryFrom<String> for Property {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        Property::parse(&s)
    }
}

pub(crate) fn check_property(p: Property, report: &Report) -> Outcome {
    let Some(elf) = &report.elf else {
        return Outcome::Unknown(format!(
            "cannot read the properties of {}: not ELF",
            report.path
        ));
    };
    let name = p.as_str();
    let (list, note) = match elf.machine_code {
        EM_386 | EM_X86_64 if p.x86() => (
            &report.properties.x86_feature_1_and,
            "GNU_PROPERTY_X86_FEATURE_1_AND",
        ),
        EM_AARCH64 if !p.x86() => (
            &report.properties.aarch64_feature_1_and,
            "GNU_PROPERTY_AARCH64_FEATURE_1_AND",
        ),
        _ => {
            return Outcome::Pass(format!(
                "{name} does not apply to {} (not checked)",
                elf.machine
            ));
        }
    };
    match list {
        Some(l) if l.iter().any(|x| x == name) => Outcome::Pass(format!("{note} has {name}")),
        Some(l) => Outcome::Fail(format!(
            "{note} lacks {name} (has: {})",
            if l.is_empty() {
                "nothing".to_owned()
            } else {
                l.join(", ")
            }
        )),
        None => Outcome::Fail(format!(
            "no {note} in .note.gnu.property: not every object was built with {name} \
             (Go's linker never writes this note)"
        )),
    }
}

/// An x86-64 micro-architecture level (psABI): baseline = GOAMD64 v1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Deserialize)]
#[serde(try_from = "String")]
pub enum IsaLevel {
    Baseline,
    V2,
    V3,
    V4,
}

impl IsaLevel {
    /// Accepts `x86-64-baseline`, `x86-64-v2`…`v4`, and the GOAMD64 spellings `v1`…`v4`.
    pub fn parse(s: &str) -> Result<Self, String> {
        let t = s.trim().to_ascii_lowercase();
        let t = t.strip_prefix("x86-64-").unwrap_or(&t);
        Ok(match t {
            "baseline" | "v1" => IsaLevel::Baseline,
            "v2" => IsaLevel::V2,
            "v3" => IsaLevel::V3,
            "v4" => IsaLevel::V4,
            _ => {
                return Err(format!(
                    "unknown ISA level `{s}`: expected x86-64-baseline, x86-64-v2, x86-64-v3 or x86-64-v4"
                ));
            }
        })
    }
}

impl fmt::Display for IsaLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            IsaLevel::Baseline => "x86-64-baseline",
            IsaLevel::V2 => "x86-64-v2",
            IsaLevel::V3 => "x86-64-v3",
            IsaLevel::V4 => "x86-64-v4",
        })
    }
}

impl TryFrom<String> for IsaLevel {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        IsaLevel::parse(&s)
    }
}

/// The GOAMD64 level of a gc-built amd64 file: `Ok(None)` when the file
/// has no Go code level to speak of (not Go, or gccgo), `Err` when unknown.
fn go_level(report: &Report) -> Result<Option<(IsaLevel, String)>, String> {
    let Some(go) = &report.go else {
        return Ok(None);
    };
    if go.compiler.as_deref() == Some("gccgo") {
        return Ok(None);
    }
    let recorded = go
        .arch_level
        .iter()
        .chain(go.settings.iter())
        .find(|s| s.key == "GOAMD64");
    if let Some(s) = recorded {
        return IsaLevel::parse(&s.value)
            .map(|l| Some((l, format!("GOAMD64={}", s.value))))
            .map_err(|_| format!("GOAMD64={} is not a level elfgate knows", s.value));
    }
    if !go.settings.is_empty() {
        // Every Go 1.18+ amd64 build records GOAMD64; absent means the default.
        return Ok(Some((IsaLevel::Baseline, "GOAMD64 default v1".to_owned())));
    }
    let before_118 = go.exact
        && go
            .semver
            .as_deref()
            .and_then(|s| Version::parse(s).ok())
            .is_some_and(|v| v.major == 1 && v.minor < 18);
    if before_118 {
        return Ok(Some((
            IsaLevel::Baseline,
            "Go before 1.18 (no GOAMD64)".to_owned(),
        )));
    }
    Err("no build settings record GOAMD64".to_owned())
}

pub(crate) fn check_max_isa(max: IsaLevel, report: &Report) -> Outcome {
    let path = &report.path;
    let Some(elf) = &report.elf else {
        return Outcome::Unknown(format!("cannot read the ISA level of {path}: not ELF"));
    };
    if elf.machine_code != EM_X86_64 {
        return Outcome::Pass(format!(
            "max_isa does not apply to {} (not checked)",
            elf.machine
        ));
    }
    let note = match &report.properties.x86_isa_needed {
        None => None,
        Some(names) => {
            let mut level = IsaLevel::Baseline;
            for n in names {
                match IsaLevel::parse(n) {
                    Ok(l) => level = level.max(l),
                    Err(_) => {
                        return Outcome::Unknown(format!(
                            "cannot determine the ISA level of {path}: ISA_1_NEEDED names `{n}`"
                        ));
                    }
                }
            }
            Some(level)
        }
    };
    let (level, how) = match (go_level(report), note) {
        (Err(why), _) => {
            return Outcome::Unknown(format!(
                "cannot determine the GOAMD64 level of {path}: {why}"
            ));
        }
        (Ok(Some((g, how))), Some(n)) if n > g => (n, format!("ISA_1_NEEDED {n}; {how}")),
        (Ok(Some((g, how))), _) => (g, how),
        (Ok(None), Some(n)) => (n, format!("ISA_1_NEEDED {n}")),
        (Ok(None), None) => {
            return Outcome::Unknown(format!(
                "cannot determine the ISA level of {path}: no GNU_PROPERTY_X86_ISA_1_NEEDED and \
                 no Go build settings"
            ));
        }
    };
    if level <= max {
        Outcome::Pass(format!("needs {level} ({how}), at most {max}"))
    } else {
        Outcome::Fail(format!("needs {level} ({how}), above {max}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::facts::{ElfFacts, GoFacts, Setting, VersionSource};
    use crate::policy::tests::{go_report, is_fail, is_pass, is_unknown};

    fn elf(machine_code: u16, machine: &str) -> ElfFacts {
        ElfFacts {
            machine: machine.into(),
            machine_code,
            ..ElfFacts::default()
        }
    }

    fn x86() -> Report {
        Report {
            path: "f".into(),
            elf: Some(elf(EM_X86_64, "x86_64")),
            ..Report::default()
        }
    }

    #[test]
    fn properties_x86() {
        let mut r = x86();
        assert!(is_fail(&check_property(Property::Ibt, &r)));
        r.properties.x86_feature_1_and = Some(vec!["ibt".into()]);
        assert!(is_pass(&check_property(Property::Ibt, &r)));
        assert!(is_fail(&check_property(Property::Shstk, &r)));
        // An aarch64 property does not apply to x86.
        let o = check_property(Property::Bti, &r);
        assert!(is_pass(&o) && format!("{o:?}").contains("does not apply"));
    }

    #[test]
    fn properties_aarch64() {
        let mut r = Report {
            elf: Some(elf(EM_AARCH64, "aarch64")),
            ..Report::default()
        };
        assert!(is_fail(&check_property(Property::Bti, &r)));
        r.properties.aarch64_feature_1_and = Some(vec!["bti".into(), "pac".into()]);
        assert!(is_pass(&check_property(Property::Bti, &r)));
        assert!(is_pass(&check_property(Property::Pac, &r)));
        assert!(is_fail(&check_property(Property::Gcs, &r)));
        assert!(is_pass(&check_property(Property::Ibt, &r)));
        assert!(Property::parse("cet").is_err());
    }

    #[test]
    fn isa_from_note_only() {
        let mut r = x86();
        assert!(is_unknown(&check_max_isa(IsaLevel::V2, &r)));
        r.properties.x86_isa_needed = Some(vec!["x86-64-baseline".into(), "x86-64-v3".into()]);
        assert!(is_fail(&check_max_isa(IsaLevel::V2, &r)));
        assert!(is_pass(&check_max_isa(IsaLevel::V3, &r)));
        r.properties.x86_isa_needed = Some(vec!["x86-64-v9".into()]);
        assert!(is_unknown(&check_max_isa(IsaLevel::V4, &r)));
    }

    #[test]
    fn isa_from_goamd64() {
        let mut r = go_report("go1.22.3", "1.22.3", true, Some(VersionSource::Buildinfo));
        r.elf = Some(elf(EM_X86_64, "x86_64"));
        // Go binary without settings: unknown even if the host linker wrote a note.
        r.properties.x86_isa_needed = Some(vec!["x86-64-baseline".into()]);
        assert!(is_unknown(&check_max_isa(IsaLevel::V2, &r)));
        let go: &mut GoFacts = r.go.as_mut().unwrap();
        go.settings = vec![Setting {
            key: "GOOS".into(),
            value: "linux".into(),
        }];
        // Settings without GOAMD64: the default, v1.
        assert!(is_pass(&check_max_isa(IsaLevel::Baseline, &r)));
        let go: &mut GoFacts = r.go.as_mut().unwrap();
        go.arch_level = Some(Setting {
            key: "GOAMD64".into(),
            value: "v3".into(),
        });
        let o = check_max_isa(IsaLevel::V2, &r);
        assert!(is_fail(&o), "{o:?}");
        assert!(format!("{o:?}").contains("GOAMD64=v3"));
        // The note raises the level above GOAMD64.
        r.go.as_mut().unwrap().arch_level = None;
        r.properties.x86_isa_needed = Some(vec!["x86-64-v4".into()]);
        assert!(is_fail(&check_max_isa(IsaLevel::V3, &r)));
    }

    #[test]
    fn isa_old_go_and_other_arches() {
        let mut r = go_report("go1.16.5", "1.16.5", true, Some(VersionSource::Symbol));
        r.elf = Some(elf(EM_X86_64, "x86_64"));
        assert!(is_pass(&check_max_isa(IsaLevel::Baseline, &r)));
        r.elf = Some(elf(EM_AARCH64, "aarch64"));
        let o = check_max_isa(IsaLevel::Baseline, &r);
        assert!(is_pass(&o) && format!("{o:?}").contains("does not apply"));
        assert_eq!(IsaLevel::parse("v1").unwrap(), IsaLevel::Baseline);
        assert_eq!(IsaLevel::parse("x86-64-v3").unwrap(), IsaLevel::V3);
        assert!(IsaLevel::parse("v5").is_err());
    }
}
