//! The rule registry: every rule id, with the text SARIF and `docs/rules.md`
//! show for it, in one table. Ids are a contract (SARIF `ruleId`, JUnit
//! testcase name, `allow_unknown` entries): never rename one.

use std::fmt;

use serde::{Serialize, Serializer};

/// A rule id. The string form is [`RuleId::as_str`]; [`RULES`] holds its text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RuleId {
    FileReadable,
    GoVersion,
    SymbolsRequired,
    SymbolsForbidden,
    BuildSettingRequired,
    BuildSettingForbidden,
    BuildBuildmode,
    GoExperimentRequired,
    GoExperimentForbidden,
    GoFips,
    GoModuleRequired,
    GoModuleForbidden,
    AbiProperty,
    AbiMaxIsa,
    ElfArch,
    ElfGlibc,
    FileSha256,
    LoadInterpreter,
    LoadLibrary,
    LoadVersion,
    LoadSymbol,
    NodeCpu,
    ContractBaseline,
    GoPlugin,
}

/// One registry row.
#[derive(Debug, Clone, Copy)]
pub struct RuleInfo {
    pub id: RuleId,
    /// The policy key (or keys) that switch the rule on; empty for `file.readable`.
    pub policy_keys: &'static [&'static str],
    /// One line: what passes.
    pub short: &'static str,
    /// What the rule reads and decides.
    pub full: &'static str,
    /// What to do when it fails, and how an unknown fact is treated.
    pub help: &'static str,
}

/// Every rule, in the order reports list them.
pub const RULES: &[RuleInfo] = &[
    RuleInfo {
        id: RuleId::FileReadable,
        policy_keys: &[],
        short: "The target could be read and parsed as ELF.",
        full: "A target that cannot be opened, is not ELF, or has structures that could not be \
               read fails this rule; no other rule can vouch for it. It always applies and is \
               never allowed unknown.",
        help: "Check that the path names an ELF file and that elfgate may read it. \
               Structures listed as errors were corrupt or truncated; rebuild or re-fetch the file.",
    },
    RuleInfo {
        id: RuleId::GoVersion,
        policy_keys: &["min_version", "go_version"],
        short: "The Go toolchain version satisfies the requirement.",
        full: "Compares the Go version recorded in the file (build info, runtime.buildVersion or \
               DWARF) with a requirement, in Go's version order (go1.21rc1 < go1.21.0). An \
               inferred version (string scan, gccgo release, pclntab range) counts only with \
               trust_inferred_version; a range passes only if every version in it satisfies \
               the requirement.",
        help: "Rebuild with a Go toolchain inside the required range. If the version cannot be \
               established, the rule fails unless `go.version` is in allow_unknown.",
    },
    RuleInfo {
        id: RuleId::SymbolsRequired,
        policy_keys: &["require_symbols"],
        short: "A required symbol is present.",
        full: "Looks for a symbol matching the pattern (exact name or glob, optional @VER or \
               @@VER, table, type, binding, defined) in symtab, dynsym and the Go pclntab \
               function table.",
        help: "The symbol must exist in a table that is present. If none of the searched tables \
               exists (a stripped non-Go file), the fact is unknown and fails unless \
               `symbols.required` is in allow_unknown.",
    },
    RuleInfo {
        id: RuleId::SymbolsForbidden,
        policy_keys: &["forbid_symbols"],
        short: "No forbidden symbol is present.",
        full: "Fails if any symbol in symtab, dynsym or the Go pclntab function table matches \
               the pattern.",
        help: "Remove the code that defines or imports the symbol. With no symbol table at all \
               the fact is unknown and fails unless `symbols.forbidden` is in allow_unknown.",
    },
    RuleInfo {
        id: RuleId::BuildSettingRequired,
        policy_keys: &["require_settings"],
        short: "A required Go build setting is recorded with a matching value.",
        full: "Looks for KEY=VALUE (VALUE may be a glob) among the build settings Go 1.18+ \
               records in the build info (`go version -m`).",
        help: "Go omits settings at their default value (e.g. -trimpath=false); to exclude a \
               value use forbid_settings. Without build settings the fact is unknown.",
    },
    RuleInfo {
        id: RuleId::BuildSettingForbidden,
        policy_keys: &["forbid_settings"],
        short: "No forbidden Go build setting is recorded.",
        full: "Fails if a build setting matches KEY=VALUE (VALUE may be a glob; KEY alone \
               matches any value).",
        help: "Rebuild without the setting. Without build settings the fact is unknown.",
    },
    RuleInfo {
        id: RuleId::BuildBuildmode,
        policy_keys: &["buildmode"],
        short: "The Go build mode is one of the allowed modes.",
        full: "Compares the recorded -buildmode (or the mode the file's shape implies) with the \
               allowed list.",
        help: "Rebuild with an allowed -buildmode. An unknown build mode fails unless \
               `build.buildmode` is in allow_unknown.",
    },
    RuleInfo {
        id: RuleId::GoExperimentRequired,
        policy_keys: &["require_experiments"],
        short: "A required GOEXPERIMENT is enabled.",
        full: "Looks for the experiment in GOEXPERIMENT and in the X: suffix of the version.",
        help: "Rebuild with GOEXPERIMENT set. Without build info or an exact version string the \
               experiments are unknown.",
    },
    RuleInfo {
        id: RuleId::GoExperimentForbidden,
        policy_keys: &["forbid_experiments"],
        short: "No forbidden GOEXPERIMENT is enabled.",
        full: "Fails if the experiment appears in GOEXPERIMENT or the X: suffix of the version.",
        help: "Rebuild without the experiment. Without build info or an exact version string \
               the experiments are unknown.",
    },
    RuleInfo {
        id: RuleId::GoFips,
        policy_keys: &["require_fips"],
        short: "The file runs Go cryptography in FIPS 140 mode.",
        full: "Passes when GOFIPS140 is set, fips140=on is in DefaultGODEBUG, or BoringCrypto \
               is actually linked. The X:boringcrypto suffix alone is not enough.",
        help: "Build with GOFIPS140 (Go 1.24+) or with GOEXPERIMENT=boringcrypto and cgo.",
    },
    RuleInfo {
        id: RuleId::GoModuleRequired,
        policy_keys: &["require_modules"],
        short: "A required module is linked, at or above a version.",
        full: "Looks for the module path (exact or glob) among the main module, the \
               dependencies and their replacements, and compares its version (the \
               replacement's when replaced) with the requirement by semver precedence.",
        help: "Add or upgrade the dependency. Without module info, or when the version is not a \
               semantic version such as (devel), the fact is unknown.",
    },
    RuleInfo {
        id: RuleId::GoModuleForbidden,
        policy_keys: &["forbid_modules"],
        short: "No forbidden module (or module version) is linked.",
        full: "Fails if the main module, a dependency or a replacement matches the path (exact \
               or glob) and, when a version requirement is given, its version satisfies it.",
        help: "Remove or upgrade the dependency. Without module info the fact is unknown.",
    },
    RuleInfo {
        id: RuleId::AbiProperty,
        policy_keys: &["require_properties"],
        short: "A required CPU hardening property is marked in .note.gnu.property.",
        full: "Checks GNU_PROPERTY_X86_FEATURE_1_AND (ibt, shstk) on x86 and \
               GNU_PROPERTY_AARCH64_FEATURE_1_AND (bti, pac, gcs) on AArch64. A property of \
               another architecture does not apply and passes with a note.",
        help: "Every object linked in must be built with the feature (e.g. -fcf-protection, \
               -mbranch-protection). Go's linker never writes this note.",
    },
    RuleInfo {
        id: RuleId::AbiMaxIsa,
        policy_keys: &["max_isa"],
        short: "The x86-64 ISA level needed is at most the allowed level.",
        full: "Takes the highest of GNU_PROPERTY_X86_ISA_1_NEEDED and the Go GOAMD64 level \
               (v1 = baseline; Go records GOAMD64 in every amd64 build-info). Does not apply \
               to other architectures.",
        help: "Rebuild with a lower GOAMD64 or -march. If neither source exists the level is \
               unknown.",
    },
    RuleInfo {
        id: RuleId::ElfArch,
        policy_keys: &["arch"],
        short: "The file is built for an allowed architecture.",
        full: "Compares the GOARCH that the ELF machine, class and byte order correspond to \
               with the allowed list (`host` is the architecture elfgate runs on).",
        help: "Build for the node's architecture (GOARCH).",
    },
    RuleInfo {
        id: RuleId::ElfGlibc,
        policy_keys: &["max_glibc"],
        short: "The glibc version required is at most the allowed version.",
        full: "Compares the highest GLIBC_x.y version the file needs from glibc-family \
               libraries with the maximum. A file that needs no versioned glibc symbol passes.",
        help: "Build against an older glibc (or statically, or with CGO_ENABLED=0).",
    },
    RuleInfo {
        id: RuleId::FileSha256,
        policy_keys: &["sha256"],
        short: "The file's SHA-256 digest is one of the pinned digests.",
        full: "Compares the hex SHA-256 of the whole file with the list of allowed digests.",
        help: "Pin the digest of the approved build. A digest that was not computed is unknown.",
    },
    RuleInfo {
        id: RuleId::LoadInterpreter,
        policy_keys: &["loadable"],
        short: "The program's interpreter (PT_INTERP) is in the image and the kernel can start it.",
        full: "Resolves PT_INTERP inside the root as the kernel does and checks what execve \
               checks: it exists (else ENOENT), is a regular file with execute permission \
               (else EACCES, even for root), holds at least an ELF header (else EIO) and is an \
               ELF file for the program's machine and class (else ELIBBAD). A static program \
               needs none and passes.",
        help: "Ship the loader the program was linked for (glibc's ld-linux-*.so.*, musl's \
               ld-musl-*.so.1) in the image, or build statically (CGO_ENABLED=0).",
    },
    RuleInfo {
        id: RuleId::LoadLibrary,
        policy_keys: &["loadable"],
        short: "Every library the program needs is found, as the image's loader searches.",
        full: "Follows DT_NEEDED breadth-first as glibc or musl does: RPATH, LD_LIBRARY_PATH \
               (library_path), RUNPATH, the image's /etc/ld.so.cache, the loader's default \
               directories, glibc-hwcaps and legacy subdirectories, $ORIGIN/$LIB/$PLATFORM. A \
               library not found, or a candidate the loader refuses (not ELF, wrong class, \
               too short), fails with the loader's message.",
        help: "Add the library to the image where the loader looks (and run ldconfig if it is \
               found only through the cache), or fix RPATH/RUNPATH or library_path. A closure \
               that could not be simulated is unknown.",
    },
    RuleInfo {
        id: RuleId::LoadVersion,
        policy_keys: &["loadable"],
        short: "Every symbol version the program and its libraries need is defined by the library that provides it.",
        full: "Checks each VERNEED entry against the version definitions of the loaded object \
               of that name, as glibc does at start-up (musl checks none). A provider without \
               version definitions is accepted with glibc's warning `no version information \
               available`.",
        help: "Build against the glibc (or library) version of the image, or ship a newer one. \
               Unknown when a library could not be loaded or read.",
    },
    RuleInfo {
        id: RuleId::LoadSymbol,
        policy_keys: &["loadable"],
        short: "Every strong undefined symbol of the program and its libraries is defined in the loaded objects.",
        full: "Looks each strong (non-weak) undefined dynamic symbol up in the global scope \
               (the program, its libraries breadth-first and the interpreter), honouring \
               symbol versions as glibc binds them (a versioned reference also binds to an \
               unversioned definition). Lazy binding only postpones the failure, so both \
               BIND_NOW and lazy programs fail; the message says which.",
        help: "Ship the library version that defines the symbol, or rebuild against the \
               image's libraries. Unknown when the closure is incomplete.",
    },
    RuleInfo {
        id: RuleId::NodeCpu,
        policy_keys: &["loadable", "cpu"],
        short: "The node's CPU can run the program: machine, x86-64 ISA level, GOAMD64 level.",
        full: "On the CPU elfgate runs on (in an init container, the node) or the one `cpu` \
               names: e_machine must be the node's, every object's \
               GNU_PROPERTY_X86_ISA_1_NEEDED must be supported (glibc 2.33+ refuses to start \
               otherwise), and a Go program's GOAMD64 level must be available (Go's runtime \
               refuses to start otherwise).",
        help: "Build for the node (GOARCH, a lower GOAMD64 or -march), or schedule the pod on \
               nodes with the CPU it needs.",
    },
    RuleInfo {
        id: RuleId::ContractBaseline,
        policy_keys: &["baseline"],
        short: "No breaking change relative to the baseline contract snapshot.",
        full: "Compares the file's contract (exported symbols and versions, needed libraries and \
               versions, glibc, ISA level, ABI marks, Go toolchain, modules, FIPS, package and \
               ABI hashes) with the file of the same path in an `elfgate snapshot` document, \
               as `elfgate diff` does, and fails on any breaking change. A file missing from the \
               targets fails as file.removed; a file not in the baseline passes.",
        help: "Restore what the change removed, or, if the break is intended, commit a new \
               snapshot as the baseline. A contract that cannot be read is unknown.",
    },
    RuleInfo {
        id: RuleId::GoPlugin,
        policy_keys: &["plugin_host"],
        short: "The file loads into the plugin host: plugin.Open (or a -linkshared start) would succeed.",
        full: "For a Go plugin, decides what plugin.Open in the host would do, from the package \
               hash bytes in the plugin's table order: the host must link package plugin and \
               cgo, be from a release with the same moduledata layout, and every package both \
               link must have the same hash. For a Go shared library, compares the ABI hash the \
               -linkshared host was linked against with the library's.",
        help: "Rebuild the plugin with the host's toolchain and the host's versions of every \
               shared package (same flags, e.g. -trimpath on both or neither). Facts that cannot \
               be read are unknown.",
    },
];

impl RuleId {
    /// Every id, to check the registry against.
    pub const ALL: [RuleId; 24] = [
        RuleId::FileReadable,
        RuleId::GoVersion,
        RuleId::SymbolsRequired,
        RuleId::SymbolsForbidden,
        RuleId::BuildSettingRequired,
        RuleId::BuildSettingForbidden,
        RuleId::BuildBuildmode,
        RuleId::GoExperimentRequired,
        RuleId::GoExperimentForbidden,
        RuleId::GoFips,
        RuleId::GoModuleRequired,
        RuleId::GoModuleForbidden,
        RuleId::AbiProperty,
        RuleId::AbiMaxIsa,
        RuleId::ElfArch,
        RuleId::ElfGlibc,
        RuleId::FileSha256,
        RuleId::LoadInterpreter,
        RuleId::LoadLibrary,
        RuleId::LoadVersion,
        RuleId::LoadSymbol,
        RuleId::NodeCpu,
        RuleId::ContractBaseline,
        RuleId::GoPlugin,
    ];

    /// The stable string id.
    pub fn as_str(self) -> &'static str {
        match self {
            RuleId::FileReadable => "file.readable",
            RuleId::GoVersion => "go.version",
            RuleId::SymbolsRequired => "symbols.required",
            RuleId::SymbolsForbidden => "symbols.forbidden",
            RuleId::BuildSettingRequired => "build.setting.required",
            RuleId::BuildSettingForbidden => "build.setting.forbidden",
            RuleId::BuildBuildmode => "build.buildmode",
            RuleId::GoExperimentRequired => "go.experiment.required",
            RuleId::GoExperimentForbidden => "go.experiment.forbidden",
            RuleId::GoFips => "go.fips",
            RuleId::GoModuleRequired => "go.module.required",
            RuleId::GoModuleForbidden => "go.module.forbidden",
            RuleId::AbiProperty => "abi.property",
            RuleId::AbiMaxIsa => "abi.max_isa",
            RuleId::ElfArch => "elf.arch",
            RuleId::ElfGlibc => "elf.glibc",
            RuleId::FileSha256 => "file.sha256",
            RuleId::LoadInterpreter => "load.interpreter",
            RuleId::LoadLibrary => "load.library",
            RuleId::LoadVersion => "load.version",
            RuleId::LoadSymbol => "load.symbol",
            RuleId::NodeCpu => "node.cpu",
            RuleId::ContractBaseline => "contract.baseline",
            RuleId::GoPlugin => "go.plugin",
        }
    }

    /// The id for a string, as written in `allow_unknown`.
    pub fn parse(s: &str) -> Option<RuleId> {
        RuleId::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// This rule's registry row.
    pub fn info(self) -> &'static RuleInfo {
        // `registry_is_complete` proves every id has a row; the fallback keeps
        // this total without a panic path.
        RULES.iter().find(|r| r.id == self).unwrap_or(&RULES[0])
    }

    /// Position in [`RULES`] (SARIF `ruleIndex`).
    pub fn index(self) -> usize {
        RULES.iter().position(|r| r.id == self).unwrap_or(0)
    }
}

impl fmt::Display for RuleId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for RuleId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn registry_is_complete() {
        let registered: Vec<RuleId> = RULES.iter().map(|r| r.id).collect();
        assert_eq!(
            registered,
            RuleId::ALL.to_vec(),
            "RULES and RuleId::ALL differ"
        );
        let ids: HashSet<&str> = RULES.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(ids.len(), RULES.len(), "duplicate rule id");
        for r in RULES {
            assert_eq!(RuleId::parse(r.id.as_str()), Some(r.id));
            assert_eq!(r.id.info().id, r.id);
            assert_eq!(RULES[r.id.index()].id, r.id);
            assert!(!r.short.is_empty() && !r.full.is_empty() && !r.help.is_empty());
        }
    }

    /// `docs/rules.md` has one `### <id>` section per registered rule, and no other.
    #[test]
    fn docs_cover_every_rule() {
        let doc = include_str!("../../docs/rules.md");
        let section = doc
            .split("\n## Rules\n")
            .nth(1)
            .and_then(|s| s.split("\n## ").next())
            .expect("a `## Rules` section");
        let documented: HashSet<&str> = section
            .lines()
            .filter_map(|l| l.strip_prefix("### "))
            .collect();
        let registered: HashSet<&str> = RULES.iter().map(|r| r.id.as_str()).collect();
        assert_eq!(documented, registered);
        let schema = include_str!("../../docs/policy-schema.md");
        for r in RULES {
            for key in r.policy_keys {
                assert!(
                    schema.contains(&format!("`{key}`")),
                    "{key} not in policy-schema.md"
                );
            }
        }
    }

    /// Every policy key named in the registry is a key the loader accepts.
    #[test]
    fn policy_keys_exist() {
        let e = crate::policy::Policy::from_yaml(
            "p",
            "version: 1\nrulesets: [{name: a, no_such_key: 1}]\n",
        )
        .unwrap_err()
        .to_string();
        for r in RULES {
            for key in r.policy_keys {
                assert!(e.contains(key), "{key} not accepted: {e}");
            }
        }
    }

    #[test]
    fn ids_are_lowercase_dotted() {
        for r in RULES {
            let id = r.id.as_str();
            assert!(
                id.bytes().all(|b| b.is_ascii_lowercase()
                    || b == b'.'
                    || b == b'_'
                    || b.is_ascii_digit()),
                "{id}"
            );
            assert!(id.contains('.'), "{id}");
        }
    }
}
