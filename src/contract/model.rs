//! The contract snapshot, `elfgate.contract/v1`: what one build promises
//! the environment and its consumers, one record per file. Serde types and
//! nothing else; `docs/contract.md` describes every field.
//!
//! Field names are a contract (committed snapshots are read back by later
//! releases): snake_case, never renamed. A reader ignores fields it does
//! not know, so a field may be added without a new schema; removing or
//! changing one needs `elfgate.contract/v2`.

use std::borrow::Cow;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

/// The schema id every snapshot carries.
pub const SCHEMA: &str = "elfgate.contract/v1";

/// `{"schema": "elfgate.contract/v1", "files": [...]}`, files sorted by path.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    pub schema: String,
    pub files: Vec<FileContract>,
}

/// One file's contract.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileContract {
    /// Relative to the target directory (or its name, for a file target),
    /// or to `--root`; never absolute, never a host path.
    pub path: String,
    /// Hex SHA-256 of the whole file.
    pub sha256: String,
    pub elf: ElfIdentity,
    pub soname: Option<String>,
    pub interpreter: Option<String>,
    /// `DT_NEEDED`, in the file's order (the loader's search order).
    pub needed: Vec<String>,
    pub rpath: Vec<String>,
    pub runpath: Vec<String>,
    /// Versions required per needed file, sorted by file, each list sorted.
    pub needed_versions: Vec<NeededVersions>,
    /// Highest `GLIBC_x.y[.z]` required of a glibc-family library.
    pub max_glibc: Option<String>,
    pub properties: Properties,
    pub gnu_build_id: Option<String>,
    /// The exported interface: defined global, weak and unique dynamic
    /// symbols, sorted by name then version. Go files leave out cgo glue
    /// (in `cgo_glue`) and Go-internal symbols (see `docs/contract.md`).
    pub symbols: Vec<Export>,
    /// cgo glue a Go file exports (`_cgo_*`, `_cgoexp_<hash>_*`,
    /// `crosscall2`, ...), sorted: no C consumer binds to these.
    pub cgo_glue: Vec<String>,
    pub go: Option<GoContract>,
}

/// ELF class, byte order, machine and type.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ElfIdentity {
    /// `ELF32` or `ELF64`.
    pub class: String,
    /// `little` or `big`.
    pub endian: String,
    /// e.g. `x86_64`, `aarch64`.
    pub machine: String,
    /// `EXEC`, `DYN`, ...
    #[serde(rename = "type")]
    pub elf_type: String,
}

/// The versions required of one needed file.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NeededVersions {
    pub file: String,
    pub versions: Vec<String>,
    /// The subset marked weak (`VER_FLG_WEAK`): their absence does not stop loading.
    pub weak: Vec<String>,
}

/// ABI marks from `.note.gnu.property` (`null`: no such property).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Properties {
    /// x86 `FEATURE_1_AND`: `ibt`, `shstk`.
    pub x86_feature_1_and: Option<Vec<String>>,
    /// x86 `ISA_1_NEEDED`: `baseline`, `v2`, `v3`, `v4`.
    pub x86_isa_needed: Option<Vec<String>>,
    /// AArch64 `FEATURE_1_AND`: `bti`, `pac`, `gcs`.
    pub aarch64_feature_1_and: Option<Vec<String>>,
}

/// One exported symbol.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Export {
    pub name: String,
    /// The version node it is defined in, `null` when unversioned. Shared:
    /// a library's tens of thousands of exports name a few versions.
    pub version: Option<Arc<str>>,
    /// Whether an unversioned reference binds here: `name@@VER`, or no
    /// version at all; `false` for a hidden `name@VER`.
    pub default: bool,
    /// `func`, `object`, `tls`, `ifunc`, `common`, `notype`, ... (borrowed
    /// when extracted: tens of thousands of exports share a few words).
    #[serde(rename = "type")]
    pub kind: Cow<'static, str>,
    /// `global`, `weak` or `unique`.
    pub binding: Cow<'static, str>,
    /// `st_size` of data symbols (`object`, `tls`, `common`); `null` for code.
    pub size: Option<u64>,
}

/// An export's fields, borrowed: from an [`Export`], or from a file's
/// symbol index without making one.
#[derive(Debug, Clone, Copy)]
pub struct ExportFields<'a> {
    pub name: &'a str,
    pub version: Option<&'a str>,
    pub default: bool,
    pub kind: &'a str,
    pub binding: &'a str,
    pub size: Option<u64>,
}

impl Export {
    pub fn fields(&self) -> ExportFields<'_> {
        ExportFields {
            name: &self.name,
            version: self.version.as_deref(),
            default: self.default,
            kind: &self.kind,
            binding: &self.binding,
            size: self.size,
        }
    }

    /// `name`, `name@VER` or `name@@VER`, as binutils prints it.
    pub fn id(&self) -> String {
        match &self.version {
            None => self.name.clone(),
            Some(v) if self.default => format!("{}@@{v}", self.name),
            Some(v) => format!("{}@{v}", self.name),
        }
    }
}

/// Go toolchain and module facts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GoContract {
    /// As the toolchain wrote it, e.g. `go1.25.5 X:boringcrypto`.
    pub version: Option<String>,
    pub compiler: Option<String>,
    pub buildmode: Option<String>,
    /// Main package path.
    pub path: Option<String>,
    pub main: Option<Module>,
    /// Sorted by path.
    pub deps: Vec<Module>,
    /// As written (Go writes them in a fixed order).
    pub settings: Vec<Setting>,
    /// Sorted.
    pub experiments: Vec<String>,
    pub fips: Option<bool>,
    pub cgo: Option<bool>,
    /// e.g. `{key: GOAMD64, value: v3}`.
    pub arch_level: Option<Setting>,
    pub build_id: Option<String>,
    /// Package fingerprints `plugin.Open` compares (plugins and hosts that
    /// can open plugins), sorted by package.
    pub pkghashes: Vec<PackageHash>,
    /// This file's ABI hash, as a `-buildmode=shared` library.
    pub abihash: Option<LibraryHash>,
    /// The ABI hash each Go shared library had when this file was linked
    /// against it (`-linkshared`), sorted by library.
    pub linkshared: Vec<LibraryHash>,
}

/// `runtime/debug.Module`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Module {
    pub path: String,
    pub version: String,
    pub sum: String,
    pub replace: Option<Box<Module>>,
}

/// A build setting.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setting {
    pub key: String,
    pub value: String,
}

/// A package's fingerprint (`go:link.pkghashbytes.<package>`), hex.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PackageHash {
    pub package: String,
    pub hash: String,
}

/// A Go shared library's ABI hash (`.note.go.abihash`), hex.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct LibraryHash {
    /// The name the library is bound by (`go:link.abihash.<library>`).
    pub library: String,
    pub hash: String,
}
