//! ELF header facts: class, byte order, file type, machine and its GOARCH,
//! and how the file is linked (static, static-pie, dynamic; PIE).
//!
//! Sources: gABI "ELF Header" (`e_ident`, `e_type`, `e_machine`); glibc
//! `elf.h` for `EM_*`, `DF_1_PIE`; Go's `internal/syslist` for the GOARCH
//! names, `cmd/link/internal/ld/elf.go` for the machine each GOARCH writes.

use object::elf;
use object::read::ReadRef;
use serde::Serialize;

use super::{ElfError, ElfView};

/// `EI_CLASS`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    Elf32,
    Elf64,
}

/// `EI_DATA`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ByteOrder {
    Little,
    Big,
}

/// `e_type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FileType {
    /// `ET_REL`: an object file.
    Rel,
    /// `ET_EXEC`: a fixed-address executable.
    Exec,
    /// `ET_DYN`: a shared object or a position-independent executable.
    Dyn,
    /// `ET_CORE`.
    Core,
    /// Any other value, kept raw.
    Other(u16),
}

/// How a file finds its code at run time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Linkage {
    /// No `PT_INTERP` and no `DT_NEEDED`: the kernel runs it as is.
    Static,
    /// `ET_DYN` with `DF_1_PIE`, no `PT_INTERP` and no `DT_NEEDED`: it
    /// relocates itself (glibc `-static-pie`, Go `-buildmode=pie` with
    /// `-linkmode=internal` and no cgo on some ports).
    StaticPie,
    /// A `PT_INTERP` or at least one `DT_NEEDED`: needs the dynamic loader
    /// (or, for a library without `PT_INTERP`, a process that has one).
    Dynamic,
}

/// The ELF header, widened to 64 bits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub class: Class,
    pub byte_order: ByteOrder,
    /// `e_ident[EI_OSABI]`.
    pub os_abi: u8,
    /// `e_ident[EI_ABIVERSION]`.
    pub abi_version: u8,
    pub e_type: u16,
    pub e_machine: u16,
    pub e_flags: u32,
    pub e_entry: u64,
    pub e_phoff: u64,
    pub e_shoff: u64,
}

impl Header {
    /// `e_type` as an enum.
    pub fn file_type(&self) -> FileType {
        match self.e_type {
            1 => FileType::Rel,
            2 => FileType::Exec,
            3 => FileType::Dyn,
            4 => FileType::Core,
            other => FileType::Other(other),
        }
    }

    /// A short lowercase name for `e_machine` ("x86_64", "aarch64"), or
    /// `None` for values this table does not know (show the number).
    pub fn machine_name(&self) -> Option<&'static str> {
        machine_name(self.e_machine)
    }

    /// The Go `GOARCH` this machine, class and byte order correspond to,
    /// among Go's known architectures (`internal/syslist`), including those
    /// only gccgo targets. `None` when there is none (e.g. x32).
    pub fn goarch(&self) -> Option<&'static str> {
        let is_64 = self.class == Class::Elf64;
        let big = self.byte_order == ByteOrder::Big;
        let arch = match (self.e_machine, is_64, big) {
            (62, true, false) => "amd64",
            (3, false, false) => "386",
            (183, true, false) => "arm64",
            (183, true, true) => "arm64be",
            (40, false, false) => "arm",
            (40, false, true) => "armbe",
            (21, true, true) => "ppc64",
            (21, true, false) => "ppc64le",
            (20, false, true) => "ppc",
            (22, true, true) => "s390x",
            (22, false, true) => "s390",
            (243, true, false) => "riscv64",
            (243, false, false) => "riscv",
            (8, false, true) => "mips",
            (8, false, false) => "mipsle",
            (8, true, true) => "mips64",
            (8, true, false) => "mips64le",
            (258, true, false) => "loong64",
            (2, false, true) => "sparc",
            (43, true, true) => "sparc64",
            _ => return None,
        };
        Some(arch)
    }
}

/// Names for the `EM_*` values Go, gccgo and common distributions produce.
fn machine_name(e_machine: u16) -> Option<&'static str> {
    Some(match e_machine {
        0 => "none",
        2 => "sparc",
        3 => "i386",
        4 => "m68k",
        8 => "mips",
        15 => "parisc",
        18 => "sparc32plus",
        20 => "ppc",
        21 => "ppc64",
        22 => "s390",
        40 => "arm",
        42 => "sh",
        43 => "sparcv9",
        50 => "ia64",
        62 => "x86_64",
        183 => "aarch64",
        243 => "riscv",
        247 => "bpf",
        258 => "loongarch",
        0x9026 => "alpha",
        _ => return None,
    })
}

impl<'data, R: ReadRef<'data>> ElfView<'data, R> {
    /// The `PT_INTERP` path, without its terminating NUL; `None` without `PT_INTERP`.
    pub fn interpreter(&self) -> Result<Option<&'data [u8]>, ElfError> {
        let Some(seg) = self.segment_by_type(elf::PT_INTERP.0) else {
            return Ok(None);
        };
        let bytes = self.read_range(
            || format!("PT_INTERP (program header {})", seg.index),
            seg.p_offset,
            seg.p_filesz,
        )?;
        let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
        Ok(bytes.get(..end))
    }

    /// Whether `DT_FLAGS_1` has `DF_1_PIE`.
    fn has_df_1_pie(&self) -> Result<bool, ElfError> {
        Ok(self
            .dynamic()?
            .and_then(|d| d.flags_1)
            .is_some_and(|f| f & elf::DF_1_PIE.0 != 0))
    }

    /// A position-independent executable: `ET_DYN` with `PT_INTERP` (what
    /// `file(1)` and Go's `-buildmode=pie` checks use) or with `DF_1_PIE`
    /// (set by binutils ≥ 2.35, lld and Go's internal linker). A shared
    /// library that can also be run, like glibc's `libc.so.6`, counts too.
    pub fn is_pie(&self) -> Result<bool, ElfError> {
        if self.header.file_type() != FileType::Dyn {
            return Ok(false);
        }
        Ok(self.segment_by_type(elf::PT_INTERP.0).is_some() || self.has_df_1_pie()?)
    }

    /// Static, static-pie or dynamic; see [`Linkage`].
    pub fn linkage(&self) -> Result<Linkage, ElfError> {
        let has_interp = self.segment_by_type(elf::PT_INTERP.0).is_some();
        let has_needed = self.dynamic()?.is_some_and(|d| !d.needed.is_empty());
        if has_interp || has_needed {
            return Ok(Linkage::Dynamic);
        }
        if self.header.file_type() == FileType::Dyn && self.has_df_1_pie()? {
            return Ok(Linkage::StaticPie);
        }
        Ok(Linkage::Static)
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{BASE, Builder, Strtab};
    use super::*;
    use crate::elf::open;

    /// 32/64-bit, little/big-endian headers round-trip through `open`.
    #[test]
    fn classes_and_byte_orders() {
        for (is_64, big, machine, arch) in [
            (true, false, 62, Some("amd64")),
            (false, false, 3, Some("386")),
            (true, true, 21, Some("ppc64")),
            (true, false, 21, Some("ppc64le")),
            (false, true, 8, Some("mips")),
            (false, false, 8, Some("mipsle")),
            (true, true, 8, Some("mips64")),
            (true, false, 8, Some("mips64le")),
            (true, true, 22, Some("s390x")),
            (false, false, 62, None),
        ] {
            let bytes = Builder::new(is_64, big, machine, 2).build();
            let view = open(&bytes[..]).expect("opens");
            let h = view.header();
            assert_eq!(h.class, if is_64 { Class::Elf64 } else { Class::Elf32 });
            assert_eq!(
                h.byte_order,
                if big {
                    ByteOrder::Big
                } else {
                    ByteOrder::Little
                }
            );
            assert_eq!(h.e_machine, machine);
            assert_eq!(h.file_type(), FileType::Exec);
            assert_eq!(h.goarch(), arch, "machine {machine} 64={is_64} big={big}");
            assert_eq!(h.e_entry, BASE + 0x400);
            assert_eq!(view.segments().len(), 1);
            assert!(view.sections().is_empty());
            assert_eq!(view.linkage().unwrap(), Linkage::Static);
        }
    }

    #[test]
    fn not_elf_and_bad_class() {
        assert!(matches!(
            open(&b"\x7fELF"[..]),
            Err(ElfError::NotElf { .. })
        ));
        assert!(matches!(
            open(&b"MZ\0\0\0\0\0\0\0\0\0\0\0\0\0\0"[..]),
            Err(ElfError::NotElf { .. })
        ));
        let mut bytes = Builder::new(true, false, 62, 2).build();
        bytes[4] = 3;
        let err = open(&bytes[..]).unwrap_err();
        assert!(err.to_string().contains("EI_CLASS 3"), "{err}");
        // Truncated program header table is fatal.
        let bytes = Builder::new(true, false, 62, 2).build();
        let err = open(&bytes[..0x50]).unwrap_err();
        assert!(
            err.to_string().starts_with("program header table at 0x40"),
            "{err}"
        );
    }

    #[test]
    fn bad_section_table_is_an_error() {
        let mut b = Builder::new(true, false, 62, 2);
        let off = b.blob(b"hello", 1);
        b.section_at(".data", 1, 3, off, 5, 0, 0, 1, 0);
        let mut bytes = b.build();
        // Point e_shoff past the end of the file.
        bytes[0x28..0x30].copy_from_slice(&0xffff_0000u64.to_le_bytes());
        let view = open(&bytes[..]).expect("still opens");
        assert!(view.sections().is_empty());
        assert!(view.warnings().is_empty());
        assert_eq!(view.errors().len(), 1);
        assert_eq!(
            view.errors()[0].to_string(),
            "section header table at 0xffff0000: 3 entries of 64 bytes run past the end of the file"
        );
    }

    #[test]
    fn machine_names() {
        let mut b = Builder::new(true, false, 183, 3);
        let h = open(&b.build()[..]).unwrap().header().clone();
        assert_eq!(h.machine_name(), Some("aarch64"));
        assert_eq!(h.file_type(), FileType::Dyn);
        b = Builder::new(true, false, 9999, 77);
        let h = open(&b.build()[..]).unwrap().header().clone();
        assert_eq!(h.machine_name(), None);
        assert_eq!(h.file_type(), FileType::Other(77));
    }

    fn dynamic_file(e_type: u16, interp: bool, needed: bool, flags_1: u64) -> Vec<u8> {
        let mut b = Builder::new(true, false, 62, e_type);
        let mut strs = Strtab::new();
        let libc = strs.add("libc.so.6");
        let str_off = b.blob(&strs.bytes, 1);
        let mut entries = vec![(5, BASE + str_off), (10, strs.bytes.len() as u64)];
        if needed {
            entries.push((1, u64::from(libc)));
        }
        if flags_1 != 0 {
            entries.push((0x6fff_fffb, flags_1));
        }
        let dynamic = b.enc.dynamic(&entries);
        let dyn_off = b.blob(&dynamic, 8);
        b.segment(2, 6, dyn_off, dynamic.len() as u64, 8);
        if interp {
            let i = b.blob(b"/lib64/ld-linux-x86-64.so.2\0", 1);
            b.segment(3, 4, i, 28, 1);
        }
        b.build()
    }

    #[test]
    fn pie_and_linkage() {
        let pie = dynamic_file(3, true, true, 0x0800_0000);
        let v = open(&pie[..]).unwrap();
        assert!(v.is_pie().unwrap());
        assert_eq!(v.linkage().unwrap(), Linkage::Dynamic);
        assert_eq!(
            v.interpreter().unwrap(),
            Some(&b"/lib64/ld-linux-x86-64.so.2"[..])
        );

        let static_pie = dynamic_file(3, false, false, 0x0800_0000);
        let v = open(&static_pie[..]).unwrap();
        assert!(v.is_pie().unwrap());
        assert_eq!(v.linkage().unwrap(), Linkage::StaticPie);
        assert_eq!(v.interpreter().unwrap(), None);

        let shared_lib = dynamic_file(3, false, true, 0);
        let v = open(&shared_lib[..]).unwrap();
        assert!(!v.is_pie().unwrap());
        assert_eq!(v.linkage().unwrap(), Linkage::Dynamic);

        let exec = dynamic_file(2, true, true, 0);
        let v = open(&exec[..]).unwrap();
        assert!(!v.is_pie().unwrap());
    }
}
