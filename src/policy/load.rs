//! The policy model and its two sources: a YAML (or JSON) file and the
//! quick rule flags of `elfgate check`. `docs/policy-schema.md` is the
//! reference for the file format.
//!
//! Every value is validated while it is deserialized (each value type has a
//! `TryFrom<String>`), so a bad glob or version requirement is reported
//! with the line and column of the value, like an unknown key.

use std::collections::HashSet;

use globset::{Candidate, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use serde_saphyr::Spanned;

use super::PolicyError;
use super::abi::{IsaLevel, Property};
use super::build::{ModulePattern, SettingPattern, parse_buildmode, parse_experiment};
use super::digest::Sha256;
use super::go_version::{MinVersion, VersionRule};
use super::platform::{ArchSpec, GlibcVersion};
use super::rules::RuleId;
use super::symbols::{SymbolMatcher, SymbolPattern};

/// Policy files larger than this are refused before parsing.
pub const MAX_POLICY_BYTES: usize = 1 << 20;

/// The name of the ruleset built from command-line flags.
pub const FLAGS_RULESET: &str = "command-line";

/// Globs over target paths: `*` stays within a path component, `**` crosses.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "Vec<String>")]
pub struct PathGlobs {
    pub patterns: Vec<String>,
    set: GlobSet,
}

impl PathGlobs {
    pub fn new(patterns: Vec<String>) -> Result<Self, String> {
        if patterns.is_empty() {
            return Err("paths is empty: omit it to match every target".into());
        }
        let mut b = GlobSetBuilder::new();
        for p in &patterns {
            let g = GlobBuilder::new(p)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .map_err(|e| format!("bad path glob `{p}`: {}", e.kind()))?;
            b.add(g);
        }
        let set = b
            .build()
            .map_err(|e| format!("cannot compile path globs: {e}"))?;
        Ok(PathGlobs { patterns, set })
    }

    /// Matches the path as given, and without a leading `./`.
    pub fn matches(&self, path: &str) -> bool {
        let trimmed = path.strip_prefix("./").unwrap_or(path);
        self.set
            .is_match_candidate(&Candidate::from_bytes(path.as_bytes()))
            || self
                .set
                .is_match_candidate(&Candidate::from_bytes(trimmed.as_bytes()))
    }
}

impl TryFrom<Vec<String>> for PathGlobs {
    type Error = String;
    fn try_from(v: Vec<String>) -> Result<Self, String> {
        PathGlobs::new(v)
    }
}

/// One named set of rules and the targets it applies to.
#[derive(Debug, Clone, Default)]
pub struct Ruleset {
    pub name: String,
    /// `None`: every target.
    pub paths: Option<PathGlobs>,
    pub trust_inferred_version: bool,
    pub allow_unknown: Vec<RuleId>,
    /// `min_version` (first) and `go_version`; each is one `go.version` finding.
    pub go_version: Vec<VersionRule>,
    pub require_symbols: Vec<SymbolPattern>,
    pub forbid_symbols: Vec<SymbolPattern>,
    pub require_settings: Vec<SettingPattern>,
    pub forbid_settings: Vec<SettingPattern>,
    pub buildmode: Option<Vec<String>>,
    pub require_experiments: Vec<String>,
    pub forbid_experiments: Vec<String>,
    pub require_fips: bool,
    pub require_modules: Vec<ModulePattern>,
    pub forbid_modules: Vec<ModulePattern>,
    pub require_properties: Vec<Property>,
    pub max_isa: Option<IsaLevel>,
    pub arch: Option<Vec<ArchSpec>>,
    pub max_glibc: Option<GlibcVersion>,
    pub sha256: Vec<Sha256>,
    /// The load rules (`load.*`, `node.cpu`).
    pub loadable: bool,
    /// The node's CPU for the load rules (`cpu`); `None`: the host's.
    pub cpu: Option<crate::load::CpuSpec>,
    /// The container's `LD_LIBRARY_PATH` for the load rules (`library_path`).
    pub library_path: Option<String>,
    /// `contract.baseline`: a snapshot (`elfgate.contract/v1`) to compare with.
    pub baseline: Option<String>,
    /// `go.plugin`: the program that opens these files as Go plugins.
    pub plugin_host: Option<String>,
}

impl Ruleset {
    /// Whether this ruleset applies to a target path.
    pub fn applies_to(&self, path: &str) -> bool {
        self.paths.as_ref().is_none_or(|p| p.matches(path))
    }

    /// How many rule entries the ruleset has (0 means it checks nothing).
    pub fn rule_count(&self) -> usize {
        self.go_version.len()
            + self.require_symbols.len()
            + self.forbid_symbols.len()
            + self.require_settings.len()
            + self.forbid_settings.len()
            + usize::from(self.buildmode.is_some())
            + self.require_experiments.len()
            + self.forbid_experiments.len()
            + usize::from(self.require_fips)
            + self.require_modules.len()
            + self.forbid_modules.len()
            + self.require_properties.len()
            + usize::from(self.max_isa.is_some())
            + usize::from(self.arch.is_some())
            + usize::from(self.max_glibc.is_some())
            + usize::from(!self.sha256.is_empty())
            + usize::from(self.loadable)
            + usize::from(self.baseline.is_some())
            + usize::from(self.plugin_host.is_some())
    }
}

/// A validated policy, its symbol patterns compiled for one pass per file.
#[derive(Debug, Clone)]
pub struct Policy {
    pub rulesets: Vec<Ruleset>,
    pub(crate) symbols: SymbolMatcher,
    /// Per ruleset, the index of its first symbol pattern in `symbols`
    /// (require patterns, then forbid patterns).
    pub(crate) symbol_base: Vec<usize>,
    /// What the load rules simulate, when a ruleset has them: one run
    /// simulates one node, so every ruleset that sets `cpu` or
    /// `library_path` must agree.
    pub load: Option<crate::load::Options>,
}

impl Policy {
    fn new(rulesets: Vec<Ruleset>) -> Result<Self, PolicyError> {
        let mut patterns = Vec::new();
        let mut symbol_base = Vec::new();
        for rs in &rulesets {
            symbol_base.push(patterns.len());
            patterns.extend(rs.require_symbols.iter().cloned());
            patterns.extend(rs.forbid_symbols.iter().cloned());
        }
        let symbols = SymbolMatcher::new(patterns).map_err(|message| PolicyError::Invalid {
            file: "policy".into(),
            message,
        })?;
        let load = load_options(&rulesets)?;
        Ok(Policy {
            rulesets,
            symbols,
            symbol_base,
            load,
        })
    }

    /// Reads a policy document. `file` names it in errors.
    pub fn from_yaml(file: &str, text: &str) -> Result<Policy, PolicyError> {
        let (rulesets, _) = parse_document(file, text)?;
        Policy::new(rulesets)
    }

    /// The quick flags as a one-ruleset policy applied to every target.
    pub fn from_flags(flags: &FlagRules) -> Result<Policy, PolicyError> {
        match flags.ruleset(false)? {
            Some(rs) => Policy::new(vec![rs]),
            None => Err(PolicyError::NoRules),
        }
    }

    /// A policy file (name, text) if given, plus the flags as one more
    /// ruleset named [`FLAGS_RULESET`] that applies to every target. The
    /// file's top-level `trust_inferred_version` also applies to the flags.
    pub fn build(file: Option<(&str, &str)>, flags: &FlagRules) -> Result<Policy, PolicyError> {
        let (mut rulesets, trust) = match file {
            Some((name, text)) => parse_document(name, text)?,
            None => (Vec::new(), false),
        };
        if let Some(rs) = flags.ruleset(trust)? {
            if rulesets.iter().any(|r| r.name == rs.name) {
                return Err(PolicyError::Invalid {
                    file: file.map(|f| f.0).unwrap_or("policy").to_owned(),
                    message: format!(
                        "ruleset name `{FLAGS_RULESET}` is reserved for the command-line flags"
                    ),
                });
            }
            rulesets.push(rs);
        }
        if rulesets.is_empty() {
            return Err(PolicyError::NoRules);
        }
        let mut policy = Policy::new(rulesets)?;
        flags.apply_load_settings(&mut policy)?;
        Ok(policy)
    }

    /// The symbol patterns of every ruleset, for inspect to answer while
    /// it reads a file (`Report::symbol_search`); `None` when there are none.
    pub fn symbol_query(&self) -> Option<&dyn crate::facts::SymbolQuery> {
        (!self.symbols.is_empty()).then_some(&self.symbols as &dyn crate::facts::SymbolQuery)
    }

    /// Whether any ruleset needs the file digest (`Report::sha256`).
    pub fn needs_digest(&self) -> bool {
        self.rulesets.iter().any(|r| !r.sha256.is_empty())
    }

    /// Whether any ruleset uses the `host` architecture.
    pub fn needs_host_arch(&self) -> bool {
        self.rulesets
            .iter()
            .filter_map(|r| r.arch.as_ref())
            .flatten()
            .any(|a| *a == ArchSpec::Host)
    }
}

/// The load simulation's options from the rulesets with load rules; an
/// error when two of them set `cpu` or `library_path` differently.
fn load_options(rulesets: &[Ruleset]) -> Result<Option<crate::load::Options>, PolicyError> {
    let on: Vec<&Ruleset> = rulesets.iter().filter(|r| r.loadable).collect();
    if on.is_empty() {
        if let Some(r) = rulesets
            .iter()
            .find(|r| r.cpu.is_some() || r.library_path.is_some())
        {
            return Err(PolicyError::Invalid {
                file: "policy".into(),
                message: format!(
                    "ruleset `{}` sets cpu or library_path, which only the load rules use: \
                     add loadable: true (or --loadable)",
                    r.name
                ),
            });
        }
        return Ok(None);
    }
    fn agree<'a, T: PartialEq + std::fmt::Debug>(
        rulesets: &[&'a Ruleset],
        key: &str,
        get: impl Fn(&'a Ruleset) -> Option<T>,
    ) -> Result<Option<T>, PolicyError> {
        let mut seen: Option<(T, &str)> = None;
        for r in rulesets {
            let Some(v) = get(r) else { continue };
            match &seen {
                Some((w, name)) if *w != v => {
                    return Err(PolicyError::Invalid {
                        file: "policy".into(),
                        message: format!(
                            "{key} differs between rulesets `{name}` ({w:?}) and `{}` ({v:?}): \
                             one run simulates one node and one container",
                            r.name
                        ),
                    });
                }
                Some(_) => {}
                None => seen = Some((v, r.name.as_str())),
            }
        }
        Ok(seen.map(|(v, _)| v))
    }
    let cpu = agree(&on, "cpu", |r| r.cpu)?;
    let library_path = agree(&on, "library_path", |r| r.library_path.clone())?;
    Ok(Some(crate::load::Options {
        cpu: cpu.unwrap_or(crate::load::CpuSpec::Host),
        library_path: library_path.map(String::into_bytes),
    }))
}

#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "String")]
struct Cpu(crate::load::CpuSpec);

impl TryFrom<String> for Cpu {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        crate::load::CpuSpec::parse(&s).map(Cpu)
    }
}

/// `allow_unknown` entry: a registered id other than `file.readable`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(try_from = "String")]
struct AllowId(RuleId);

fn parse_allow(s: &str) -> Result<RuleId, String> {
    match RuleId::parse(s.trim()) {
        Some(RuleId::FileReadable) => {
            Err("file.readable cannot be allowed unknown: an unreadable target always fails".into())
        }
        Some(id) => Ok(id),
        None => Err(format!(
            "unknown rule id `{s}` in allow_unknown: expected one of {}",
            RuleId::ALL
                .iter()
                .filter(|r| **r != RuleId::FileReadable)
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
}

impl TryFrom<String> for AllowId {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        parse_allow(&s).map(AllowId)
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
struct Buildmode(String);

impl TryFrom<String> for Buildmode {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        parse_buildmode(&s).map(Buildmode)
    }
}

/// A path value (`baseline`, `plugin_host`): trimmed, not empty.
#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
struct PathValue(String);

impl TryFrom<String> for PathValue {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        match s.trim() {
            "" => Err("empty path".into()),
            t => Ok(PathValue(t.to_string())),
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(try_from = "String")]
struct Experiment(String);

impl TryFrom<String> for Experiment {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        parse_experiment(&s).map(Experiment)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct PolicyDoc {
    version: Spanned<u32>,
    #[serde(default)]
    trust_inferred_version: bool,
    rulesets: Spanned<Vec<RulesetDoc>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RulesetDoc {
    name: Spanned<String>,
    #[serde(default)]
    paths: Option<PathGlobs>,
    #[serde(default)]
    min_version: Option<MinVersion>,
    #[serde(default)]
    go_version: Option<VersionRule>,
    #[serde(default)]
    require_symbols: Vec<SymbolPattern>,
    #[serde(default)]
    forbid_symbols: Vec<SymbolPattern>,
    #[serde(default)]
    require_settings: Vec<SettingPattern>,
    #[serde(default)]
    forbid_settings: Vec<SettingPattern>,
    #[serde(default)]
    buildmode: Option<Spanned<Vec<Buildmode>>>,
    #[serde(default)]
    require_experiments: Vec<Experiment>,
    #[serde(default)]
    forbid_experiments: Vec<Experiment>,
    #[serde(default)]
    require_fips: bool,
    #[serde(default)]
    require_modules: Vec<ModulePattern>,
    #[serde(default)]
    forbid_modules: Vec<ModulePattern>,
    #[serde(default)]
    require_properties: Vec<Property>,
    #[serde(default)]
    max_isa: Option<IsaLevel>,
    #[serde(default)]
    arch: Option<Spanned<Vec<ArchSpec>>>,
    #[serde(default)]
    max_glibc: Option<GlibcVersion>,
    #[serde(default)]
    sha256: Vec<Sha256>,
    #[serde(default)]
    allow_unknown: Vec<AllowId>,
    #[serde(default)]
    trust_inferred_version: Option<bool>,
    #[serde(default)]
    loadable: bool,
    #[serde(default)]
    cpu: Option<Cpu>,
    #[serde(default)]
    library_path: Option<String>,
    baseline: Option<PathValue>,
    #[serde(default)]
    plugin_host: Option<PathValue>,
}

fn at(file: &str, loc: serde_saphyr::Location, message: String) -> PolicyError {
    PolicyError::Syntax {
        file: file.to_owned(),
        line: loc.line(),
        column: loc.column(),
        message,
    }
}

/// The document's rulesets and its top-level `trust_inferred_version`.
fn parse_document(file: &str, text: &str) -> Result<(Vec<Ruleset>, bool), PolicyError> {
    if text.len() > MAX_POLICY_BYTES {
        return Err(PolicyError::TooLarge {
            file: file.to_owned(),
            size: text.len(),
            limit: MAX_POLICY_BYTES,
        });
    }
    let doc: PolicyDoc = serde_saphyr::from_str(text).map_err(|e| yaml_error(file, &e))?;
    if doc.version.value != 1 {
        return Err(at(
            file,
            doc.version.referenced,
            format!(
                "unsupported policy version {}: this elfgate reads version 1",
                doc.version.value
            ),
        ));
    }
    if doc.rulesets.value.is_empty() {
        return Err(at(
            file,
            doc.rulesets.referenced,
            "rulesets is empty: a policy needs at least one ruleset".into(),
        ));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    for d in doc.rulesets.value {
        let name_loc = d.name.referenced;
        let name = d.name.value.trim().to_owned();
        if name.is_empty() {
            return Err(at(file, name_loc, "ruleset name is empty".into()));
        }
        if name == FLAGS_RULESET {
            return Err(at(
                file,
                name_loc,
                format!("ruleset name `{FLAGS_RULESET}` is reserved for the command-line flags"),
            ));
        }
        if !seen.insert(name.clone()) {
            return Err(at(
                file,
                name_loc,
                format!("duplicate ruleset name `{name}`"),
            ));
        }
        if let Some(b) = &d.buildmode
            && b.value.is_empty()
        {
            return Err(at(
                file,
                b.referenced,
                "buildmode is empty: it would allow nothing".into(),
            ));
        }
        if let Some(a) = &d.arch
            && a.value.is_empty()
        {
            return Err(at(
                file,
                a.referenced,
                "arch is empty: it would allow nothing".into(),
            ));
        }
        let rs = Ruleset {
            name,
            paths: d.paths,
            trust_inferred_version: d
                .trust_inferred_version
                .unwrap_or(doc.trust_inferred_version),
            allow_unknown: dedup(d.allow_unknown.into_iter().map(|a| a.0).collect()),
            go_version: d
                .min_version
                .map(|m| m.0)
                .into_iter()
                .chain(d.go_version)
                .collect(),
            require_symbols: d.require_symbols,
            forbid_symbols: d.forbid_symbols,
            require_settings: d.require_settings,
            forbid_settings: d.forbid_settings,
            buildmode: d
                .buildmode
                .map(|b| dedup(b.value.into_iter().map(|m| m.0).collect())),
            require_experiments: dedup(d.require_experiments.into_iter().map(|e| e.0).collect()),
            forbid_experiments: dedup(d.forbid_experiments.into_iter().map(|e| e.0).collect()),
            require_fips: d.require_fips,
            require_modules: d.require_modules,
            forbid_modules: d.forbid_modules,
            require_properties: dedup(d.require_properties),
            max_isa: d.max_isa,
            arch: d.arch.map(|a| dedup(a.value)),
            max_glibc: d.max_glibc,
            sha256: dedup(d.sha256),
            loadable: d.loadable,
            cpu: d.cpu.map(|c| c.0),
            library_path: d.library_path,
            baseline: d.baseline.map(|p| p.0),
            plugin_host: d.plugin_host.map(|p| p.0),
        };
        if rs.rule_count() == 0 {
            return Err(at(
                file,
                name_loc,
                format!("ruleset `{}` has no rules", rs.name),
            ));
        }
        out.push(rs);
    }
    Ok((out, doc.trust_inferred_version))
}

fn dedup<T: PartialEq>(v: Vec<T>) -> Vec<T> {
    let mut out: Vec<T> = Vec::new();
    for x in v {
        if !out.contains(&x) {
            out.push(x);
        }
    }
    out
}

/// The parser's message without its source snippet, at its location.
fn yaml_error(file: &str, e: &serde_saphyr::Error) -> PolicyError {
    match yaml_message(e) {
        (Some(loc), message) => at(file, loc, message),
        (None, message) => PolicyError::Invalid {
            file: file.to_owned(),
            message,
        },
    }
}

/// A YAML parser's error as elfgate reports it (policies and accept files
/// alike): the message's first line without its source snippet or a
/// trailing position, and the position when the parser knows one.
pub(crate) fn yaml_message(e: &serde_saphyr::Error) -> (Option<serde_saphyr::Location>, String) {
    let message = e.without_snippet().to_string();
    // The message may repeat the position; keep the first line only.
    let mut message = message.lines().next().unwrap_or("").trim().to_owned();
    // ... and may end with " at line L, column C", which the position says.
    if let Some(cut) = message.rfind(" at line ")
        && message
            .get(cut..)
            .is_some_and(|tail| tail.contains(", column "))
    {
        message.truncate(cut);
    }
    (e.location().filter(|loc| loc.line() > 0), message)
}

/// The quick rule flags of `elfgate check`, as the CLI parsed them.
///
/// List flags (`require_properties`, `arch`, experiments, `sha256`,
/// `allow_unknown`) also accept comma-separated entries. Symbol and setting
/// patterns are taken whole: Go symbol names and setting values may contain
/// commas.
#[derive(Debug, Clone, Default)]
pub struct FlagRules {
    pub min_version: Option<String>,
    pub go_version: Option<String>,
    pub require_symbols: Vec<String>,
    pub forbid_symbols: Vec<String>,
    pub require_settings: Vec<String>,
    pub forbid_settings: Vec<String>,
    pub require_experiments: Vec<String>,
    pub forbid_experiments: Vec<String>,
    pub require_fips: bool,
    pub require_properties: Vec<String>,
    pub max_isa: Option<String>,
    pub arch: Vec<String>,
    pub max_glibc: Option<String>,
    pub sha256: Vec<String>,
    pub allow_unknown: Vec<String>,
    pub trust_inferred_version: bool,
    /// `--loadable`.
    pub loadable: bool,
    /// `--cpu`.
    pub cpu: Option<String>,
    /// `--library-path`.
    pub library_path: Option<String>,
    pub baseline: Option<String>,
    pub plugin_host: Option<String>,
}

fn flag_err(flag: &str, value: &str, message: String) -> PolicyError {
    PolicyError::Flag {
        flag: flag.to_owned(),
        value: value.to_owned(),
        message,
    }
}

fn each<T>(
    flag: &str,
    values: &[String],
    split: bool,
    parse: impl Fn(&str) -> Result<T, String>,
) -> Result<Vec<T>, PolicyError> {
    let mut out = Vec::new();
    for v in values {
        let parts: Vec<&str> = if split {
            v.split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .collect()
        } else {
            vec![v.as_str()]
        };
        for p in parts {
            out.push(parse(p).map_err(|m| flag_err(flag, v, m))?);
        }
    }
    Ok(out)
}

/// A path flag, trimmed; empty is an error.
fn path_flag(flag: &str, v: &Option<String>) -> Result<Option<String>, PolicyError> {
    match v {
        None => Ok(None),
        Some(p) => PathValue::try_from(p.clone())
            .map(|p| Some(p.0))
            .map_err(|m| flag_err(flag, p, m)),
    }
}

impl FlagRules {
    /// The flags as one ruleset, `None` when no rule flag was given.
    fn ruleset(&self, trust_default: bool) -> Result<Option<Ruleset>, PolicyError> {
        let mut go_version = Vec::new();
        if let Some(v) = &self.min_version {
            go_version.push(VersionRule::minimum(v).map_err(|m| flag_err("--min-version", v, m))?);
        }
        if let Some(v) = &self.go_version {
            go_version
                .push(VersionRule::requirement(v).map_err(|m| flag_err("--go-version", v, m))?);
        }
        let arch = each("--arch", &self.arch, true, ArchSpec::parse)?;
        let rs = Ruleset {
            name: FLAGS_RULESET.to_owned(),
            paths: None,
            trust_inferred_version: self.trust_inferred_version || trust_default,
            allow_unknown: dedup(each(
                "--allow-unknown",
                &self.allow_unknown,
                true,
                parse_allow,
            )?),
            go_version,
            require_symbols: each(
                "--require-symbol",
                &self.require_symbols,
                false,
                SymbolPattern::parse,
            )?,
            forbid_symbols: each(
                "--forbid-symbol",
                &self.forbid_symbols,
                false,
                SymbolPattern::parse,
            )?,
            require_settings: each(
                "--require-setting",
                &self.require_settings,
                false,
                SettingPattern::parse,
            )?,
            forbid_settings: each(
                "--forbid-setting",
                &self.forbid_settings,
                false,
                SettingPattern::parse,
            )?,
            buildmode: None,
            require_experiments: dedup(each(
                "--require-experiment",
                &self.require_experiments,
                true,
                parse_experiment,
            )?),
            forbid_experiments: dedup(each(
                "--forbid-experiment",
                &self.forbid_experiments,
                true,
                parse_experiment,
            )?),
            require_fips: self.require_fips,
            require_modules: Vec::new(),
            forbid_modules: Vec::new(),
            require_properties: dedup(each(
                "--require-property",
                &self.require_properties,
                true,
                Property::parse,
            )?),
            max_isa: match &self.max_isa {
                Some(v) => Some(IsaLevel::parse(v).map_err(|m| flag_err("--max-isa", v, m))?),
                None => None,
            },
            arch: (!arch.is_empty()).then(|| dedup(arch)),
            max_glibc: match &self.max_glibc {
                Some(v) => Some(GlibcVersion::parse(v).map_err(|m| flag_err("--max-glibc", v, m))?),
                None => None,
            },
            sha256: dedup(each("--sha256", &self.sha256, true, Sha256::parse)?),
            loadable: self.loadable,
            cpu: self.cpu_spec()?,
            library_path: self.library_path.clone(),
            baseline: path_flag("--baseline", &self.baseline)?,
            plugin_host: path_flag("--plugin-host", &self.plugin_host)?,
        };
        Ok((rs.rule_count() > 0).then_some(rs))
    }

    fn cpu_spec(&self) -> Result<Option<crate::load::CpuSpec>, PolicyError> {
        match &self.cpu {
            Some(v) => crate::load::CpuSpec::parse(v)
                .map(Some)
                .map_err(|m| flag_err("--cpu", v, m)),
            None => Ok(None),
        }
    }

    /// `--cpu` and `--library-path` without `--loadable`: settings for the
    /// load rules of the policy file's rulesets, which must agree with them.
    fn apply_load_settings(&self, policy: &mut Policy) -> Result<(), PolicyError> {
        if self.loadable || (self.cpu.is_none() && self.library_path.is_none()) {
            return Ok(());
        }
        let flag = if self.cpu.is_some() {
            "--cpu"
        } else {
            "--library-path"
        };
        let value = self
            .cpu
            .clone()
            .or(self.library_path.clone())
            .unwrap_or_default();
        let Some(load) = &mut policy.load else {
            return Err(flag_err(
                flag,
                &value,
                "applies to the load rules: add --loadable (or loadable: true to a ruleset)".into(),
            ));
        };
        let named: Vec<&Ruleset> = policy.rulesets.iter().filter(|r| r.loadable).collect();
        if let Some(cpu) = self.cpu_spec()? {
            if named.iter().any(|r| r.cpu.is_some_and(|c| c != cpu)) {
                return Err(flag_err(
                    "--cpu",
                    &value,
                    "differs from the policy's cpu".into(),
                ));
            }
            load.cpu = cpu;
        }
        if let Some(l) = &self.library_path {
            if named
                .iter()
                .any(|r| r.library_path.as_ref().is_some_and(|p| p != l))
            {
                return Err(flag_err(
                    "--library-path",
                    l,
                    "differs from the policy's library_path".into(),
                ));
            }
            load.library_path = Some(l.clone().into_bytes());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const FULL: &str = r#"
version: 1
trust_inferred_version: false
rulesets:
  - name: go-services
    paths: ["/app/**"]
    min_version: go1.22.0
    go_version: ">=1.21.0, <1.26"
    require_symbols: ["runtime.mallocgc", "memcpy@GLIBC_2.14", {name: "demo_fn@@LIBDEMO_2.0", table: dynsym, type: func, binding: global, defined: true}]
    forbid_symbols: ["*boring*"]
    require_settings: ["CGO_ENABLED=0", "-trimpath=true", "vcs.modified=false"]
    forbid_settings: ["-race=true"]
    buildmode: [exe, pie]
    require_experiments: [boringcrypto]
    forbid_experiments: [fieldtrack]
    require_fips: true
    require_modules: ["golang.org/x/net>=v0.17.0"]
    forbid_modules: ["github.com/bad/*"]
    require_properties: [ibt, shstk]
    max_isa: x86-64-v2
    arch: [amd64, arm64, host]
    max_glibc: 2.34
    sha256: ["9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"]
    allow_unknown: [go.version]
    trust_inferred_version: true
  - name: everything-else
    forbid_settings: ["-race=true"]
"#;

    #[test]
    fn full_schema_loads() {
        let p = Policy::from_yaml("policy.yaml", FULL).unwrap();
        assert_eq!(p.rulesets.len(), 2);
        let rs = &p.rulesets[0];
        assert_eq!(rs.name, "go-services");
        assert_eq!(rs.go_version.len(), 2);
        assert_eq!(rs.go_version[0].text, ">=go1.22.0");
        assert_eq!(rs.require_symbols.len(), 3);
        assert_eq!(
            rs.buildmode.as_deref(),
            Some(&["exe".to_owned(), "pie".to_owned()][..])
        );
        assert!(rs.require_fips && rs.trust_inferred_version);
        assert_eq!(rs.max_isa, Some(IsaLevel::V2));
        assert_eq!(
            rs.max_glibc.as_ref().map(|g| g.to_string()).as_deref(),
            Some("2.34")
        );
        assert_eq!(rs.allow_unknown, vec![RuleId::GoVersion]);
        assert!(rs.applies_to("/app/bin/server"));
        assert!(!rs.applies_to("/usr/bin/server"));
        assert!(p.rulesets[1].applies_to("/anything"));
        assert!(!p.rulesets[1].trust_inferred_version);
        assert!(p.symbol_query().is_some() && p.needs_digest() && p.needs_host_arch());
    }

    #[test]
    fn json_is_accepted() {
        let p = Policy::from_yaml(
            "p.json",
            r#"{"version": 1, "rulesets": [{"name": "a", "min_version": "go1.21", "arch": ["amd64"]}]}"#,
        )
        .unwrap();
        assert_eq!(p.rulesets[0].go_version[0].text, ">=go1.21");
    }

    fn err(text: &str) -> String {
        Policy::from_yaml("policy.yaml", text)
            .unwrap_err()
            .to_string()
    }

    #[test]
    fn unknown_key_names_its_line() {
        let e = err(
            "version: 1\nrulesets:\n  - name: a\n    min_version: go1.21\n    min_verison: go1.22\n",
        );
        assert!(e.starts_with("policy.yaml:5:"), "{e}");
        assert!(e.contains("min_verison"), "{e}");
        assert!(!e.contains(" at line "), "position is said once: {e}");
        let e = err("version: 1\nrulesetz: []\n");
        assert!(e.starts_with("policy.yaml:2:"), "{e}");
    }

    #[test]
    fn bad_values_name_their_line() {
        for (text, line, needle) in [
            (
                "version: 1\nrulesets:\n  - name: a\n    go_version: \">=banana\"\n",
                4,
                "banana",
            ),
            (
                "version: 1\nrulesets:\n  - name: a\n    paths: [\"/app/[\"]\n",
                4,
                "glob",
            ),
            (
                "version: 1\nrulesets:\n  - name: a\n    require_properties: [ibt, cet]\n",
                4,
                "cet",
            ),
            (
                "version: 1\nrulesets:\n  - name: a\n    arch: [x86_64]\n",
                4,
                "amd64",
            ),
            (
                "version: 1\nrulesets:\n  - name: a\n    allow_unknown: [go.versoin]\n",
                4,
                "go.versoin",
            ),
            (
                "version: 1\nrulesets:\n  - name: a\n    allow_unknown: [file.readable]\n    arch: [amd64]\n",
                4,
                "file.readable",
            ),
            (
                "version: 1\nrulesets:\n  - name: a\n    sha256: [abc]\n",
                4,
                "64 hex",
            ),
            (
                "version: 1\nrulesets:\n  - name: a\n\n    forbid_symbols: [{name: x, type: tls}]\n",
                5,
                "tls",
            ),
            ("version: 2\nrulesets: []\n", 1, "version 2"),
            (
                "version: 1\nrulesets:\n  - name: a\n    arch: [amd64]\n  - name: a\n    arch: [amd64]\n",
                5,
                "duplicate",
            ),
            (
                "version: 1\nrulesets:\n  - name: a\n    paths: [\"/x\"]\n",
                3,
                "no rules",
            ),
            (
                "version: 1\nrulesets:\n  - name: a\n    buildmode: []\n",
                4,
                "allow nothing",
            ),
        ] {
            let e = err(text);
            assert!(
                e.starts_with(&format!("policy.yaml:{line}:")),
                "{e}\n--- for ---\n{text}"
            );
            assert!(e.contains(needle), "{e} lacks {needle}");
        }
    }

    #[test]
    fn structural_errors() {
        assert!(err("").contains("policy.yaml"));
        assert!(err("version: 1\n").contains("rulesets"));
        assert!(err("version: 1\nrulesets: []\n").contains("at least one"));
        assert!(err("version: 1\nrulesets: {a: 1}\n").contains("policy.yaml:2"));
        assert!(err("[unclosed").contains("policy.yaml:"));
        let big = "#".repeat(MAX_POLICY_BYTES + 1);
        assert!(matches!(
            Policy::from_yaml("p", &big),
            Err(PolicyError::TooLarge { .. })
        ));
        // Duplicate keys are an error, not last-wins.
        assert!(err("version: 1\nversion: 1\nrulesets: []\n").contains("policy.yaml:2"));
    }

    /// The schema has no nested lists, so an alias bomb cannot type-check:
    /// it is rejected at its first node instead of being expanded.
    #[test]
    fn alias_bombs_are_rejected_unexpanded() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        text.push_str("version: 1\nrulesets: []\n");
        assert!(Policy::from_yaml("p", &text).is_err());
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_stack_overflow() {
        for text in [
            format!("version: 1\nrulesets: {}", "[".repeat(400_000)),
            format!(
                "version: 1\nrulesets:\n  - name: a\n    require_symbols: {}x{}\n",
                "[".repeat(100_000),
                "]".repeat(100_000)
            ),
            format!(
                "version: 1\nrulesets:\n  - name: a\n    require_symbols: [{}]\n",
                "{name: x, table: ".repeat(50_000)
            ),
        ] {
            let e = Policy::from_yaml("p", &text).unwrap_err().to_string();
            assert!(e.starts_with("p:"), "{e}");
        }
    }

    #[test]
    fn flags_make_one_ruleset_for_every_target() {
        let flags = FlagRules {
            min_version: Some("go1.22".into()),
            require_symbols: vec!["main.Map[go.shape.int,go.shape.string]".into()],
            require_properties: vec!["ibt,shstk".into()],
            arch: vec!["amd64,host".into()],
            max_glibc: Some("2.31".into()),
            ..FlagRules::default()
        };
        let p = Policy::from_flags(&flags).unwrap();
        let rs = &p.rulesets[0];
        assert_eq!(rs.name, FLAGS_RULESET);
        assert!(rs.applies_to("whatever"));
        assert_eq!(rs.require_properties, vec![Property::Ibt, Property::Shstk]);
        assert_eq!(
            rs.require_symbols.len(),
            1,
            "symbols are not split on commas"
        );
        assert_eq!(rs.arch.as_ref().map(Vec::len), Some(2));
        assert!(matches!(
            Policy::from_flags(&FlagRules::default()),
            Err(PolicyError::NoRules)
        ));
    }

    #[test]
    fn flag_errors_name_the_flag() {
        let flags = FlagRules {
            require_properties: vec!["ibt,nx".into()],
            ..FlagRules::default()
        };
        let e = Policy::from_flags(&flags).unwrap_err().to_string();
        assert!(e.starts_with("--require-property"), "{e}");
        assert!(e.contains("nx"), "{e}");
        let flags = FlagRules {
            go_version: Some(">=banana".into()),
            ..FlagRules::default()
        };
        assert!(
            Policy::from_flags(&flags)
                .unwrap_err()
                .to_string()
                .starts_with("--go-version")
        );
    }

    #[test]
    fn file_and_flags_merge() {
        let flags = FlagRules {
            forbid_symbols: vec!["*boring*".into()],
            ..FlagRules::default()
        };
        let p = Policy::build(Some(("policy.yaml", FULL)), &flags).unwrap();
        assert_eq!(p.rulesets.len(), 3);
        assert_eq!(p.rulesets[2].name, FLAGS_RULESET);
        // go-services has 3 require + 1 forbid pattern, everything-else none.
        assert_eq!(p.symbol_base, vec![0, 4, 4]);
        let p = Policy::build(
            Some((
                "p",
                "version: 1\ntrust_inferred_version: true\nrulesets: [{name: a, arch: [amd64]}]\n",
            )),
            &FlagRules {
                min_version: Some("1.21".into()),
                ..FlagRules::default()
            },
        )
        .unwrap();
        assert!(
            p.rulesets[1].trust_inferred_version,
            "file default applies to flags"
        );
        assert!(matches!(
            Policy::build(None, &FlagRules::default()),
            Err(PolicyError::NoRules)
        ));
        let reserved =
            format!("version: 1\nrulesets: [{{name: {FLAGS_RULESET}, arch: [amd64]}}]\n");
        assert!(err(&reserved).contains("reserved"));
    }
}
