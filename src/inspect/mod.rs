//! Turns one file into one [`Report`]: the ELF views and Go decoders are
//! asked for exactly the parts the report needs, each read once.
//!
//! A structure that cannot be read becomes an entry in `errors` and the rest
//! of the report is still filled in; only a file that is not ELF at all, or
//! whose headers cannot be read, is a [`FileError`]. The ELF views sort what
//! they meet into errors (damage: bytes a header promises are missing or
//! unreadable) and warnings (oddities real toolchains produce, read anyway);
//! this module keeps that split: `errors` make `inspect` exit 3 and fail
//! `file.readable`, `warnings` are reported only.

mod gofacts;

use object::read::ReadRef;

use crate::elf::{self, ByteOrder, Class, ElfError, ElfView, FileType, Linkage};
use crate::facts::{ElfFacts, NeededVersions, Report, SymbolQuery};
use crate::input::{self, InputError};

pub use gofacts::pclntab_region;

/// What to compute beyond the always-cheap facts.
#[derive(Debug, Clone, Copy, Default)]
pub struct Options<'q> {
    /// SHA-256 of the whole file (reads every byte).
    pub digest: bool,
    /// Symbol patterns to answer from symtab, dynsym and the pclntab
    /// (`Report::symbol_search`).
    pub symbols: Option<&'q dyn SymbolQuery>,
}

/// Why no report could be made for a file.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error(transparent)]
    Input(#[from] InputError),
    #[error("{path}: not an ELF file ({reason})")]
    NotElf { path: String, reason: String },
    #[error("{path}: {source}")]
    Elf { path: String, source: ElfError },
}

/// Reads and reports on one opened file, shown as `display`. The file is
/// read with bounded positional reads; only the digest (when asked) reads
/// all of it.
pub fn inspect_file(
    display: &str,
    opened: input::Opened,
    opts: &Options,
) -> Result<Report, FileError> {
    inspect_file_also(display, opened, opts, |_| ()).0
}

/// [`inspect_file`], handing the same bytes to `also` after the report is
/// made (the load simulation parses the program from them), so that what
/// both need is read once. `also` runs whenever the digest could be taken.
pub fn inspect_file_also<T>(
    display: &str,
    opened: input::Opened,
    opts: &Options,
    also: impl FnOnce(&input::FileBytes<'_>) -> T,
) -> (Result<Report, FileError>, Option<T>) {
    let size = opened.len;
    let sha256 = if opts.digest {
        match input::sha256(&opened.file, display) {
            Ok(d) => Some(d),
            Err(e) => return (Err(e.into()), None),
        }
    } else {
        None
    };
    // The file starts with the ELF magic (`input::Source::open` checked).
    let (report, extra) = input::read_with(opened, |data| {
        let report = inspect_data(display, data, opts);
        (report, also(data))
    });
    let report = report.map_err(identification_damage);
    let report = report.map(|mut report| {
        report.size = size;
        report.sha256 = sha256;
        report
    });
    (report, Some(extra))
}

/// Reads and reports on a file held in memory (one read from an image):
/// the same report [`inspect_file`] makes of the same bytes on disk.
pub fn inspect_bytes(display: &str, bytes: &[u8], opts: &Options) -> Result<Report, FileError> {
    use sha2::Digest;
    let sha256 = opts
        .digest
        .then(|| input::hex(&sha2::Sha256::digest(bytes)));
    let mut report = inspect_data(display, bytes, opts).map_err(identification_damage)?;
    report.size = bytes.len() as u64;
    report.sha256 = sha256;
    Ok(report)
}

/// A file known to start with the ELF magic whose identification is bad:
/// damage to report, not a file to skip.
fn identification_damage(e: FileError) -> FileError {
    match e {
        FileError::NotElf { path, reason } => FileError::Elf {
            path,
            source: ElfError::Invalid {
                structure: "ELF identification (e_ident)".into(),
                reason,
            },
        },
        e => e,
    }
}

/// The pure part: a report from any byte source (a `&[u8]` in tests and
/// fuzzing, an [`input::FileBytes`] over a file in the product).
pub fn inspect_data<'d, R: ReadRef<'d> + crate::go::Positional>(
    path: &str,
    data: R,
    opts: &Options,
) -> Result<Report, FileError> {
    let view = elf::open(data).map_err(|e| match e {
        ElfError::NotElf { reason } => FileError::NotElf {
            path: path.to_string(),
            reason,
        },
        source => FileError::Elf {
            path: path.to_string(),
            source,
        },
    })?;
    let mut r = Report {
        path: path.to_string(),
        size: data.len().unwrap_or(0),
        ..Report::default()
    };
    route(&mut r, view.errors(), view.warnings());
    r.elf = Some(elf_facts(&view, &mut r));

    let notes = view.notes();
    route(&mut r, &notes.errors, &notes.warnings);
    r.gnu_build_id = notes.gnu_build_id_hex();
    if let Some(p) = notes.properties() {
        route(&mut r, &p.errors, &p.warnings);
        r.properties = p;
    }

    match view.versions() {
        Ok(Some(v)) => {
            route(&mut r, &v.errors, &v.warnings);
            r.needed_versions = v
                .needed_versions()
                .iter()
                .map(|need| {
                    let mut nv = NeededVersions {
                        file: text(need.file),
                        ..NeededVersions::default()
                    };
                    for ver in &need.versions {
                        let name = text(ver.name);
                        if ver.is_weak() {
                            nv.weak.push(name.clone());
                        }
                        nv.versions.push(name);
                    }
                    nv
                })
                .collect();
            r.max_glibc = v.max_glibc().map(|g| g.to_string());
        }
        Ok(None) => {}
        Err(e) => r.errors.push(e.to_string()),
    }

    match view.symbol_counts() {
        Ok(c) => {
            r.symbols.symtab = c.symtab.unwrap_or(0);
            r.symbols.dynsym = c.dynsym.unwrap_or(0);
        }
        Err(e) => r.errors.push(e.to_string()),
    }
    route(&mut r, &view.symbol_table_errors(), &[]);

    gofacts::collect(&view, &notes, &mut r, opts);
    // Relocations are read only when a Go fact needed a pointer resolved.
    route(&mut r, view.relocation_errors_if_read(), &[]);
    dedup(&mut r.errors);
    dedup(&mut r.warnings);
    Ok(r)
}

/// Appends a view's errors and warnings to the report's.
fn route(r: &mut Report, errors: &[ElfError], warnings: &[ElfError]) {
    r.errors.extend(errors.iter().map(ElfError::to_string));
    r.warnings.extend(warnings.iter().map(ElfError::to_string));
}

/// Drops repeats, keeping the first of each: two views that read the same
/// damaged bytes (the open-time range check and a later read of the same
/// section, say) describe it in the same words.
fn dedup(list: &mut Vec<String>) {
    let mut seen = std::collections::HashSet::new();
    list.retain(|e| seen.insert(e.clone()));
}

fn elf_facts<'d, R: ReadRef<'d>>(view: &ElfView<'d, R>, r: &mut Report) -> ElfFacts {
    let h = view.header();
    let mut f = ElfFacts {
        class: match h.class {
            Class::Elf32 => "ELF32",
            Class::Elf64 => "ELF64",
        }
        .to_string(),
        endian: match h.byte_order {
            ByteOrder::Little => "little",
            ByteOrder::Big => "big",
        }
        .to_string(),
        machine: h
            .machine_name()
            .map(str::to_string)
            .unwrap_or_else(|| format!("EM_{}", h.e_machine)),
        machine_code: h.e_machine,
        goarch: h.goarch().map(str::to_string),
        elf_type: match h.file_type() {
            FileType::Rel => "REL".to_string(),
            FileType::Exec => "EXEC".to_string(),
            FileType::Dyn => "DYN".to_string(),
            FileType::Core => "CORE".to_string(),
            FileType::Other(t) => format!("{t:#06x}"),
        },
        section_headers: !view.sections().is_empty(),
        ..ElfFacts::default()
    };
    let errors = &mut r.errors;
    let mut note = |e: ElfError| errors.push(e.to_string());
    match view.interpreter() {
        Ok(i) => f.interpreter = i.map(text),
        Err(e) => note(e),
    }
    match view.is_pie() {
        Ok(p) => f.pie = p,
        Err(e) => note(e),
    }
    match view.linkage() {
        Ok(l) => {
            f.linking = match l {
                Linkage::Static => "static",
                Linkage::StaticPie => "static-pie",
                Linkage::Dynamic => "dynamic",
            }
            .to_string()
        }
        Err(e) => note(e),
    }
    match view.dynamic() {
        Ok(Some(d)) => {
            f.needed = d.needed.iter().map(|b| text(b)).collect();
            f.soname = d.soname.map(text);
            f.rpath = d.rpath.iter().map(|b| text(b)).collect();
            f.runpath = d.runpath.iter().map(|b| text(b)).collect();
            route(r, &d.errors, &d.warnings);
        }
        Ok(None) => {}
        Err(e) => r.errors.push(e.to_string()),
    }
    f
}

/// Bytes from the file as text (see [`input::escape_bytes`]).
pub fn text(b: &[u8]) -> String {
    input::escape_bytes(b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn not_elf_is_its_own_error() {
        let err =
            inspect_data("x.txt", &b"hello, this is text\n"[..], &Options::default()).unwrap_err();
        assert!(matches!(err, FileError::NotElf { .. }), "{err}");
    }
}
