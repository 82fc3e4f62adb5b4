//! The change registry: every kind a diff reports, its class and one line
//! on what breaks for whom. Kind ids are a contract (JSON `kind`, accept
//! files, scripts): never rename one. `docs/contract.md` has a section per
//! kind; a test checks that it covers every one.

use std::fmt;

use serde::{Serialize, Serializer};

/// How a change affects what is already deployed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// Something that works with OLD fails with NEW.
    Breaking,
    /// Nothing that works with OLD fails with NEW; the interface grew or
    /// needs less.
    Compatible,
    /// Recorded for review; no consumer is affected by itself.
    Info,
}

impl Class {
    pub fn as_str(self) -> &'static str {
        match self {
            Class::Breaking => "breaking",
            Class::Compatible => "compatible",
            Class::Info => "info",
        }
    }

    /// Parses `breaking`, `compatible` or `info`.
    pub fn parse(s: &str) -> Option<Class> {
        [Class::Breaking, Class::Compatible, Class::Info]
            .into_iter()
            .find(|c| c.as_str() == s)
    }
}

impl Serialize for Class {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

macro_rules! kinds {
    ($( $variant:ident => $id:literal, $class:ident, $meaning:literal; )*) => {
        /// A change kind; [`Kind::as_str`] is its stable id.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Kind { $( $variant, )* }

        impl Kind {
            /// Every kind, in registry order.
            pub const ALL: &'static [Kind] = &[ $( Kind::$variant, )* ];

            /// The stable id.
            pub fn as_str(self) -> &'static str {
                match self { $( Kind::$variant => $id, )* }
            }

            pub fn class(self) -> Class {
                match self { $( Kind::$variant => Class::$class, )* }
            }

            /// What breaks for whom (or why nothing does), in one line.
            pub fn meaning(self) -> &'static str {
                match self { $( Kind::$variant => $meaning, )* }
            }
        }
    };
}

kinds! {
    FileRemoved => "file.removed", Breaking,
        "A file of OLD is missing from NEW: whatever ran or loaded it fails.";
    ElfMachineChanged => "elf.machine_changed", Breaking,
        "Machine, class or byte order changed: the file no longer runs or loads where it did.";
    SonameChanged => "soname.changed", Breaking,
        "DT_SONAME changed or was dropped: consumers look for the old name, which NEW no longer provides.";
    InterpreterChanged => "interpreter.changed", Breaking,
        "PT_INTERP changed (or a static file became dynamic): nodes must provide the new loader.";
    NeededAdded => "needed.added", Breaking,
        "A new DT_NEEDED library: every node must now provide it.";
    NeededVersionAdded => "needed.version_added", Breaking,
        "A version node newly required of a needed (non-glibc) library: an older copy of it fails to load NEW.";
    GlibcRaised => "glibc.raised", Breaking,
        "The highest GLIBC_x.y required rose: nodes with an older glibc fail to load NEW.";
    IsaRaised => "isa.raised", Breaking,
        "The x86-64 ISA level needed (GNU property or GOAMD64) rose: older CPUs cannot run NEW.";
    PropertyLost => "property.lost", Breaking,
        "A CET/BTI/PAC mark is gone: a hardened loader or policy refuses NEW, or runs it unprotected.";
    SymbolRemoved => "symbol.removed", Breaking,
        "An exported symbol is gone in every version: consumers bound to it fail to load or to call it.";
    SymbolVersionRemoved => "symbol.version_removed", Breaking,
        "A symbol lost a version node others were linked against (name@VER): those consumers fail to load.";
    SymbolSizeChanged => "symbol.size_changed", Breaking,
        "An exported object changed size: executables with a copy relocation read or write past it.";
    SymbolTypeChanged => "symbol.type_changed", Breaking,
        "An exported symbol changed type (function, object, TLS): consumers use it the old way and crash.";
    GoVersionLowered => "go.version_lowered", Breaking,
        "Built by an older Go than OLD: fixes (often security) are lost.";
    GoModuleDowngraded => "go.module_downgraded", Breaking,
        "A dependency rolled back to an older version: fixes are lost.";
    GoModuleChanged => "go.module_changed", Breaking,
        "A dependency's version changed to one that cannot be ordered against the old: treated as a downgrade.";
    GoMajorVersions => "go.major_versions", Breaking,
        "Two major versions of one module are now linked together: two copies of its state and types.";
    GoFipsLost => "go.fips_lost", Breaking,
        "FIPS 140 mode (GOFIPS140, fips140=on, BoringCrypto) is gone.";
    GoPkghashChanged => "go.pkghash_changed", Breaking,
        "A package hash changed: plugins built against OLD (or hosts, for a plugin) refuse to load.";
    GoAbihashChanged => "go.abihash_changed", Breaking,
        "A Go shared library's ABI hash changed (or the one an executable was linked against): the executable dies with `abi mismatch`.";
    FileAdded => "file.added", Compatible,
        "A new file in NEW.";
    SymbolAdded => "symbol.added", Compatible,
        "A new exported symbol or version (including a new default version beside the old one).";
    NeededRemoved => "needed.removed", Compatible,
        "A DT_NEEDED library is no longer needed.";
    NeededVersionRemoved => "needed.version_removed", Compatible,
        "A version node is no longer required of a needed library.";
    GlibcLowered => "glibc.lowered", Compatible,
        "The highest GLIBC_x.y required fell: NEW loads on more nodes.";
    IsaLowered => "isa.lowered", Compatible,
        "The x86-64 ISA level needed fell: NEW runs on more CPUs.";
    PropertyGained => "property.gained", Compatible,
        "A CET/BTI/PAC mark was added.";
    SonameAdded => "soname.added", Compatible,
        "A DT_SONAME where OLD had none: consumers linked against OLD name the file, as before.";
    GoVersionRaised => "go.version_raised", Compatible,
        "Built by a newer Go.";
    GoModuleUpgraded => "go.module_upgraded", Compatible,
        "A dependency moved to a newer version.";
    GoModuleAdded => "go.module_added", Compatible,
        "A new dependency is linked.";
    GoModuleRemoved => "go.module_removed", Compatible,
        "A dependency is no longer linked.";
    GoFipsGained => "go.fips_gained", Compatible,
        "FIPS 140 mode is now on.";
    GoModuleReplaced => "go.module_replaced", Info,
        "A dependency's replacement was added, removed or changed: its code comes from elsewhere.";
    GoCgoChanged => "go.cgo_changed", Info,
        "cgo was turned on or off; its consequences (needed libraries, glibc, interpreter) have their own kinds.";
    GoExperimentChanged => "go.experiment_changed", Info,
        "A GOEXPERIMENT was turned on or off; its consequences have their own kinds.";
    GoSettingChanged => "go.setting_changed", Info,
        "A recorded build setting was added, removed or changed.";
    BuildIdChanged => "build_id.changed", Info,
        "The Go or GNU build ID changed: a different build.";
    FileChanged => "file.changed", Info,
        "The file's bytes changed (SHA-256).";
    CgoGlueChanged => "cgo_glue.changed", Info,
        "cgo glue appeared or disappeared (its names carry a hash of the package's files): no C consumer binds to it.";
    ElfTypeChanged => "elf.type_changed", Info,
        "The ELF type changed (e.g. EXEC to DYN for a position-independent executable).";
    RpathChanged => "rpath.changed", Info,
        "DT_RPATH or DT_RUNPATH changed: where libraries are looked for.";
}

impl Kind {
    /// The kind for an id, as written in accept files.
    pub fn parse(s: &str) -> Option<Kind> {
        Kind::ALL.iter().copied().find(|k| k.as_str() == s)
    }
}

impl Serialize for Kind {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn ids_are_unique_and_parse_back() {
        let ids: HashSet<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(ids.len(), Kind::ALL.len());
        for k in Kind::ALL {
            assert_eq!(Kind::parse(k.as_str()), Some(*k));
            assert!(!k.meaning().is_empty());
        }
    }

    /// The kinds the issue of record lists keep their class.
    #[test]
    fn documented_classes() {
        use Class::*;
        for (id, class) in [
            ("symbol.removed", Breaking),
            ("symbol.size_changed", Breaking),
            ("needed.added", Breaking),
            ("go.major_versions", Breaking),
            ("file.removed", Breaking),
            ("symbol.added", Compatible),
            ("needed.removed", Compatible),
            ("file.added", Compatible),
            ("go.module_replaced", Info),
            ("go.cgo_changed", Info),
            ("go.experiment_changed", Info),
            ("build_id.changed", Info),
        ] {
            assert_eq!(Kind::parse(id).map(Kind::class), Some(class), "{id}");
        }
    }

    /// `docs/contract.md` has one `### <kind>` section per kind, and no other.
    #[test]
    fn docs_cover_every_kind() {
        let doc = include_str!("../../docs/contract.md");
        let section = doc
            .split("\n## Change kinds\n")
            .nth(1)
            .and_then(|s| s.split("\n## ").next())
            .expect("a `## Change kinds` section");
        let documented: HashSet<&str> = section
            .lines()
            .filter_map(|l| l.strip_prefix("### "))
            .collect();
        let registered: HashSet<&str> = Kind::ALL.iter().map(|k| k.as_str()).collect();
        assert_eq!(documented, registered);
    }
}
