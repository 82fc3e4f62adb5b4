//! Dynamic relocations that name a symbol: where the dynamic linker will
//! store the address of a symbol it binds, found without section headers.
//!
//! The tables are the ones [`AddressSpace::relocation_addend`] reads
//! (`DT_RELA`, then `DT_REL`; layouts in `memory.rs`); here the entries
//! with `r_sym != 0` are kept instead of the relative ones. Go's linker
//! reaches the tables it shares across modules this way: a plugin's
//! `moduledata.pkghashes` and a `-linkshared` executable's
//! `moduledata.modulehashes` hold one pointer per entry that the dynamic
//! linker binds to another module's symbol (`go:link.pkghash.<pkg>`,
//! `go:link.abihash.<lib>`), so these relocations find the entries, in
//! table order, even in a stripped file (`go::modulehash`).
//!
//! [`AddressSpace::relocation_addend`]: crate::go::AddressSpace::relocation_addend

use object::Endianness;
use object::elf;
use object::read::ReadRef;
use object::read::elf::{FileHeader, Rela};

use super::{Class, ElfView};

/// One relocation that names dynamic symbol `r_sym`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SymbolRelocation {
    /// The address the dynamic linker writes.
    pub r_offset: u64,
    pub r_type: u32,
    /// Index into `.dynsym`.
    pub r_sym: u32,
}

impl<'data, R: ReadRef<'data>> ElfView<'data, R> {
    /// The relocations of `DT_RELA` and `DT_REL` (in that order, each in
    /// table order) whose symbol index is not 0 and for which `keep`
    /// says yes. Tables that cannot be read are left out and named in
    /// [`ElfView::relocation_errors`].
    pub fn symbol_relocations(&self, keep: &mut dyn FnMut(u32) -> bool) -> Vec<SymbolRelocation> {
        let relocs = self.relocations();
        let mips64el = self.is_mips64el();
        let e = self.endian;
        let mut out = Vec::new();
        match self.header.class {
            Class::Elf32 => {
                collect::<elf::FileHeader32<Endianness>>(
                    relocs.rela,
                    relocs.rel,
                    e,
                    mips64el,
                    keep,
                    &mut out,
                );
            }
            Class::Elf64 => {
                collect::<elf::FileHeader64<Endianness>>(
                    relocs.rela,
                    relocs.rel,
                    e,
                    mips64el,
                    keep,
                    &mut out,
                );
            }
        }
        out
    }
}

fn collect<Elf: FileHeader<Endian = Endianness>>(
    rela: &[u8],
    rel: &[u8],
    endian: Endianness,
    mips64el: bool,
    keep: &mut dyn FnMut(u32) -> bool,
    out: &mut Vec<SymbolRelocation>,
) {
    let n = rela.len() / size_of::<Elf::Rela>();
    if let Ok((relas, _)) = object::pod::slice_from_bytes::<Elf::Rela>(rela, n) {
        for r in relas {
            let r_sym = r.r_sym(endian, mips64el);
            if r_sym != 0 && keep(r_sym) {
                out.push(SymbolRelocation {
                    r_offset: r.r_offset(endian).into(),
                    r_type: r.r_type(endian, mips64el).0,
                    r_sym,
                });
            }
        }
    }
    let n = rel.len() / size_of::<Elf::Rel>();
    if let Ok((rels, _)) = object::pod::slice_from_bytes::<Elf::Rel>(rel, n) {
        for r in rels {
            // Through Rela for mips64el's r_info layout, as `find_rel` does.
            let r = Elf::Rela::from(*r);
            let r_sym = r.r_sym(endian, mips64el);
            if r_sym != 0 && keep(r_sym) {
                out.push(SymbolRelocation {
                    r_offset: r.r_offset(endian).into(),
                    r_type: r.r_type(endian, mips64el).0,
                    r_sym,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{BASE, Builder};
    use crate::elf::open;

    /// Symbol relocations come out in table order, relative ones (symbol
    /// 0) and refused symbols left out; a table past its segment is an
    /// error, not a panic.
    #[test]
    fn symbol_relocations_in_table_order() {
        let mut b = Builder::new(true, false, 62, 3);
        let e = b.enc;
        let mut relocs = Vec::new();
        relocs.extend(e.rela(BASE + 0x30, 5, 1, 0));
        relocs.extend(e.rela(BASE + 0x10, 0, 8, 0x99));
        relocs.extend(e.rela(BASE + 0x20, 3, 1, 0));
        relocs.extend(e.rela(BASE + 0x40, 9, 1, 0));
        let rel_off = b.blob(&relocs, 8);
        let dynamic = e.dynamic(&[(7, BASE + rel_off), (8, relocs.len() as u64)]);
        let dyn_off = b.blob(&dynamic, 8);
        b.segment(2, 6, dyn_off, dynamic.len() as u64, 8);
        let bytes = b.build();
        let view = open(&bytes[..]).unwrap();
        let got: Vec<(u64, u32)> = view
            .symbol_relocations(&mut |s| s != 9)
            .iter()
            .map(|r| (r.r_offset - BASE, r.r_sym))
            .collect();
        assert_eq!(got, [(0x30, 5), (0x20, 3)]);
        assert!(view.relocation_errors().is_empty());

        let mut b = Builder::new(false, true, 8, 3);
        let dynamic = b.enc.dynamic(&[(17, BASE + 0x400), (18, 1 << 30)]);
        let dyn_off = b.blob(&dynamic, 8);
        b.segment(2, 6, dyn_off, dynamic.len() as u64, 8);
        let bytes = b.build();
        let view = open(&bytes[..]).unwrap();
        assert!(view.symbol_relocations(&mut |_| true).is_empty());
        assert_eq!(view.relocation_errors().len(), 1);
    }
}
