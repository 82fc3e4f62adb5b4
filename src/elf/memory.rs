//! The loaded image as the Go readers see it ([`AddressSpace`]): bytes at
//! virtual addresses through `PT_LOAD`, addends of relative relocations,
//! and where `.go.buildinfo` lives.
//!
//! Relocation layouts (gABI "Relocation"; `DT_RELA`/`DT_RELASZ`,
//! `DT_REL`/`DT_RELSZ`, read through `PT_LOAD` so no section headers are
//! needed):
//!
//! ```text
//! Elf32_Rel   r_offset u32 | r_info u32 (sym << 8 | type)          addend in place
//! Elf32_Rela  r_offset u32 | r_info u32 | r_addend i32
//! Elf64_Rel   r_offset u64 | r_info u64 (sym << 32 | type)         addend in place
//! Elf64_Rela  r_offset u64 | r_info u64 | r_addend i64             (mips64el: r_info byte-swizzled)
//! ```
//!
//! `DT_RELR` relocations keep the addend in place, so the stored pointer is
//! already right and [`AddressSpace::relocation_addend`] has nothing to add.

use object::Endianness;
use object::elf;
use object::read::ReadRef;
use object::read::elf::{FileHeader, Rel, Rela};

use super::{Class, ElfError, ElfView, push_error, u32_at, u64_at};
use crate::go::AddressSpace;

/// Where `.go.buildinfo` was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LocationSource {
    /// The section named `.go.buildinfo`.
    Section,
    /// No such section: the first `PT_LOAD` that is writable and not
    /// executable, as Go ≤ 1.26 `elfExe.DataStart` falls back to.
    Segment,
}

/// The region to search for the `.go.buildinfo` header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BuildinfoLocation {
    pub vaddr: u64,
    pub offset: u64,
    /// File-backed bytes (`sh_size`, or `p_filesz`).
    pub filesz: u64,
    /// Size in memory (`sh_size`, or `p_memsz`; Go 1.22–1.23 read this much).
    pub memsz: u64,
    pub source: LocationSource,
}

/// The relocation tables, read once on first use.
#[derive(Debug, Default)]
pub(crate) struct Relocations<'data> {
    pub(super) rela: &'data [u8],
    pub(super) rel: &'data [u8],
    errors: Vec<ElfError>,
}

/// `R_*_RELATIVE` for each machine; MIPS has `R_MIPS_REL32` with symbol 0.
fn relative_type(e_machine: u16) -> Option<u32> {
    Some(match e_machine {
        62 => 8,           // R_X86_64_RELATIVE
        3 => 8,            // R_386_RELATIVE
        183 => 1027,       // R_AARCH64_RELATIVE
        40 => 23,          // R_ARM_RELATIVE
        20 | 21 => 22,     // R_PPC_RELATIVE, R_PPC64_RELATIVE
        22 => 12,          // R_390_RELATIVE
        243 => 3,          // R_RISCV_RELATIVE
        258 => 3,          // R_LARCH_RELATIVE
        2 | 18 | 43 => 22, // R_SPARC_RELATIVE
        8 => 3,            // R_MIPS_REL32
        _ => return None,
    })
}

fn find_rela<Elf: FileHeader<Endian = Endianness>>(
    bytes: &[u8],
    endian: Endianness,
    mips64el: bool,
    slot: u64,
    is_relative: impl Fn(u32, u32) -> bool,
) -> Option<i64> {
    let count = bytes.len() / size_of::<Elf::Rela>();
    let relas: &[Elf::Rela] = object::pod::slice_from_bytes(bytes, count).ok()?.0;
    relas
        .iter()
        .find(|r| {
            r.r_offset(endian).into() == slot
                && is_relative(r.r_type(endian, mips64el).0, r.r_sym(endian, mips64el))
        })
        .map(|r| r.r_addend(endian).into())
}

fn find_rel<Elf: FileHeader<Endian = Endianness>>(
    bytes: &[u8],
    endian: Endianness,
    mips64el: bool,
    slot: u64,
    is_relative: impl Fn(u32, u32) -> bool,
) -> bool {
    let count = bytes.len() / size_of::<Elf::Rel>();
    let rels: &[Elf::Rel] = match object::pod::slice_from_bytes(bytes, count) {
        Ok((r, _)) => r,
        Err(()) => return false,
    };
    rels.iter().any(|r| {
        if r.r_offset(endian).into() != slot {
            return false;
        }
        // Through Rela for mips64el's r_info layout.
        let rela = Elf::Rela::from(*r);
        is_relative(
            rela.r_type(endian, mips64el).0,
            rela.r_sym(endian, mips64el),
        )
    })
}

impl<'data, R: ReadRef<'data>> ElfView<'data, R> {
    /// Where to look for `.go.buildinfo`: the section by that name, else
    /// the first `PT_LOAD` with `(p_flags & (PF_X|PF_W)) == PF_W`
    /// (reference §1; Go ≤ 1.26 behaviour, kept deliberately: 1.27 gives
    /// up without section headers). `None` if neither exists.
    pub fn go_buildinfo_location(&self) -> Option<BuildinfoLocation> {
        if let Some(s) = self.section_by_name(b".go.buildinfo") {
            let filesz = if s.sh_type == elf::SHT_NOBITS.0 {
                0
            } else {
                s.sh_size
            };
            return Some(BuildinfoLocation {
                vaddr: s.sh_addr,
                offset: s.sh_offset,
                filesz,
                memsz: s.sh_size,
                source: LocationSource::Section,
            });
        }
        let (pf_x, pf_w) = (elf::PF_X.0, elf::PF_W.0);
        self.segments
            .iter()
            .find(|p| p.p_type == elf::PT_LOAD.0 && p.p_flags & (pf_x | pf_w) == pf_w)
            .map(|p| BuildinfoLocation {
                vaddr: p.p_vaddr,
                offset: p.p_offset,
                filesz: p.p_filesz,
                memsz: p.p_memsz,
                source: LocationSource::Segment,
            })
    }

    pub(super) fn relocations(&self) -> &Relocations<'data> {
        self.relocations.get_or_init(|| {
            let mut out = Relocations::default();
            let addrs = match self.dynamic() {
                Ok(Some(d)) => d.addresses,
                Ok(None) => return out,
                Err(e) => {
                    push_error(&mut out.errors, e);
                    return out;
                }
            };
            let mut table = |what: &str, addr: Option<u64>, size: Option<u64>| -> &'data [u8] {
                let (Some(addr), Some(size)) = (addr, size) else {
                    return &[];
                };
                match self.read_vaddr_exact(|| what.to_string(), addr, size) {
                    Ok(bytes) => bytes,
                    Err(e) => {
                        push_error(&mut out.errors, e);
                        &[]
                    }
                }
            };
            let rela = table("DT_RELA", addrs.dt_rela, addrs.dt_relasz);
            let rel = table("DT_REL", addrs.dt_rel, addrs.dt_relsz);
            out.rela = rela;
            out.rel = rel;
            out
        })
    }

    /// Why `DT_RELA`/`DT_REL` could not be read (reads them if not yet read).
    pub fn relocation_errors(&self) -> &[ElfError] {
        &self.relocations().errors
    }

    /// The same, only if a lookup has already read the tables: the report
    /// names damage in what it read, without reading more for it.
    pub fn relocation_errors_if_read(&self) -> &[ElfError] {
        self.relocations.get().map_or(&[], |r| &r.errors)
    }

    fn read_word(&self, vaddr: u64) -> Option<u64> {
        match self.header.class {
            Class::Elf32 => u32_at(self.read(vaddr, 4)?, 0, self.endian).map(u64::from),
            Class::Elf64 => u64_at(self.read(vaddr, 8)?, 0, self.endian),
        }
    }
}

impl<'data, R: ReadRef<'data>> AddressSpace for ElfView<'data, R> {
    /// Through the first `PT_LOAD` mapping `vaddr` within `p_filesz`
    /// (Go's `elfExe.DataReader` takes the first program header of any type;
    /// other types lie inside a `PT_LOAD` in linked files). Each call is one
    /// read of at most `len` bytes; through `input::FileBytes` the bytes
    /// stay in memory as long as the file is read.
    fn read(&self, vaddr: u64, len: u64) -> Option<&[u8]> {
        let (offset, avail) = self.vaddr_to_offset(vaddr)?;
        self.data.read_bytes_at(offset, len.min(avail)).ok()
    }

    fn relocation_addend(&self, slot_vaddr: u64) -> Option<u64> {
        let machine = self.header.e_machine;
        let want = relative_type(machine)?;
        let is_relative = |r_type: u32, sym: u32| {
            if machine == elf::EM_MIPS.0 {
                r_type & 0xff == want && sym == 0
            } else {
                r_type == want
            }
        };
        let relocs = self.relocations();
        let mips64el = self.is_mips64el();
        let e = self.endian;
        let addend = match self.header.class {
            Class::Elf32 => find_rela::<elf::FileHeader32<Endianness>>(
                relocs.rela,
                e,
                mips64el,
                slot_vaddr,
                is_relative,
            )
            .and_then(|a| i32::try_from(a).ok())
            .map(|a| u64::from(a.cast_unsigned())),
            Class::Elf64 => find_rela::<elf::FileHeader64<Endianness>>(
                relocs.rela,
                e,
                mips64el,
                slot_vaddr,
                is_relative,
            )
            .map(i64::cast_unsigned),
        };
        if addend.is_some() {
            return addend;
        }
        let in_rel = match self.header.class {
            Class::Elf32 => find_rel::<elf::FileHeader32<Endianness>>(
                relocs.rel,
                e,
                mips64el,
                slot_vaddr,
                is_relative,
            ),
            Class::Elf64 => find_rel::<elf::FileHeader64<Endianness>>(
                relocs.rel,
                e,
                mips64el,
                slot_vaddr,
                is_relative,
            ),
        };
        // REL keeps the addend in the slot itself.
        if in_rel {
            self.read_word(slot_vaddr)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{BASE, Builder};
    use super::*;
    use crate::elf::open;

    #[test]
    fn read_through_pt_load() {
        let mut b = Builder::new(true, false, 62, 2);
        b.no_load();
        let data = b.blob(b"0123456789", 16);
        // Two loads map the same vaddr: the first wins. p_memsz > p_filesz.
        b.segment_raw(1, 6, data, 0x9000, 4, 0x100, 0x1000);
        b.segment_raw(1, 6, data + 4, 0x9000, 6, 6, 0x1000);
        let bytes = b.build();
        let view = open(&bytes[..]).unwrap();
        assert_eq!(view.read(0x9000, 100), Some(&b"0123"[..]));
        assert_eq!(view.read(0x9002, 1), Some(&b"2"[..]));
        // Past the first one's p_filesz, the second maps it.
        assert_eq!(view.read(0x9004, 100), Some(&b"89"[..]));
        // Past every p_filesz (bss) is not file-backed.
        assert_eq!(view.read(0x9006, 1), None);
        assert_eq!(view.read(0x8fff, 1), None);
        assert_eq!(view.read(u64::MAX, 1), None);
    }

    #[test]
    fn buildinfo_location() {
        let mut b = Builder::new(true, false, 62, 2);
        let off = b.blob(&[0xff; 32], 16);
        b.segment(1, 5, 0, 0x400, 0x1000);
        b.segment(1, 6, off, 32, 0x1000);
        let located = |bytes: Vec<u8>| {
            let loc = open(&bytes[..]).unwrap().go_buildinfo_location().unwrap();
            (loc.source, loc.vaddr, loc.offset, loc.filesz)
        };
        // Builder's whole-file load is R+X; the RW one is chosen.
        assert_eq!(
            located(b.build()),
            (LocationSource::Segment, BASE + off, off, 32)
        );
        b.section_at(".go.buildinfo", 1, 3, off, 32, 0, 0, 16, 0);
        assert_eq!(
            located(b.build()),
            (LocationSource::Section, BASE + off, off, 32)
        );

        let none = Builder::new(true, false, 62, 2).build();
        assert_eq!(open(&none[..]).unwrap().go_buildinfo_location(), None);
    }

    fn pie_with_relocs(
        is_64: bool,
        big: bool,
        machine: u16,
        rel: bool,
        r_type: u32,
    ) -> (Vec<u8>, u64) {
        let mut b = Builder::new(is_64, big, machine, 3);
        let e = b.enc;
        let mut slot_bytes = Vec::new();
        e.word(&mut slot_bytes, if rel { 0x1234 } else { 0 });
        let slot_off = b.blob(&slot_bytes, 8);
        let slot = BASE + slot_off;
        let mut relocs = Vec::new();
        if rel {
            // Rel: r_offset, r_info (sym 0).
            for (off, t) in [(slot - 8, r_type), (slot, r_type)] {
                e.word(&mut relocs, off);
                e.word(&mut relocs, u64::from(t));
            }
        } else {
            relocs.extend(e.rela(slot - 8, 0, r_type, 0x55));
            relocs.extend(e.rela(slot, 7, 1, 0x77)); // not relative
            relocs.extend(e.rela(slot, 0, r_type, 0x4_0000));
        }
        let rel_off = b.blob(&relocs, 8);
        let (tag, sz) = if rel { (17, 18) } else { (7, 8) };
        let dynamic = e.dynamic(&[(tag, BASE + rel_off), (sz, relocs.len() as u64)]);
        let dyn_off = b.blob(&dynamic, 8);
        b.segment(2, 6, dyn_off, dynamic.len() as u64, 8);
        (b.build(), slot)
    }

    #[test]
    fn relative_addends() {
        for (is_64, big, machine, rel, r_type, want) in [
            (true, false, 62, false, 8, Some(0x4_0000)),
            (true, false, 183, false, 1027, Some(0x4_0000)),
            (true, true, 22, false, 12, Some(0x4_0000)),
            (true, true, 21, false, 22, Some(0x4_0000)),
            (false, false, 40, true, 23, Some(0x1234)),
            (false, false, 3, true, 8, Some(0x1234)),
            (false, true, 8, true, 3, Some(0x1234)),
            (true, false, 62, false, 9, None),
        ] {
            let (bytes, slot) = pie_with_relocs(is_64, big, machine, rel, r_type);
            let view = open(&bytes[..]).unwrap();
            assert_eq!(view.relocation_addend(slot), want, "machine {machine}");
            assert_eq!(view.relocation_addend(slot + 1), None);
            assert!(view.relocation_errors().is_empty());
        }
    }

    #[test]
    fn bad_relocation_table_is_an_error() {
        let mut b = Builder::new(true, false, 62, 3);
        let dynamic = b.enc.dynamic(&[(7, BASE + 0x400), (8, 1 << 40)]);
        let dyn_off = b.blob(&dynamic, 8);
        b.segment(2, 6, dyn_off, dynamic.len() as u64, 8);
        let bytes = b.build();
        let view = open(&bytes[..]).unwrap();
        assert!(view.relocation_errors_if_read().is_empty(), "not read yet");
        assert_eq!(view.relocation_addend(BASE), None);
        assert_eq!(view.relocation_errors_if_read().len(), 1);
        assert!(
            view.relocation_errors()[0]
                .to_string()
                .starts_with("DT_RELA at")
        );
    }
}
