//! A library's own `DT_GNU_HASH` table, as both loaders look symbols up
//! through it (glibc `elf/dl-lookup.c` `do_lookup_x`, musl `ldso/dynlink.c`
//! `gnu_lookup_filtered`): the Bloom filter, then the chain of the name's
//! bucket. Only the names looked up are hashed, not every export of every
//! library, and a name a library does not define is usually turned away by
//! one Bloom word.
//!
//! ```text
//! nbuckets u32 | symoffset u32 | bloom_size u32 | bloom_shift u32
//! bloom[bloom_size] (address-sized) | buckets u32[nbuckets] | chain u32[nsyms - symoffset]
//! ```
//!
//! The table is checked whole when it is read, so that every walk stays in
//! it and ends: at least one bucket and one Bloom word, a shift below 32,
//! every bucket 0 or a symbol in `symoffset..nsyms`, the chain wholly in
//! the file and its last word ending a chain. A table that fails is not
//! used (the caller falls back to its own index of the names); both loaders
//! would read out of bounds, divide by zero or shift by more than the word
//! on it. A table that passes is followed as the loaders follow it, lies
//! included: a symbol it does not reach is not found, by them or here.

use object::Endianness;
use object::read::ReadRef;

use crate::elf::{self, Class};

/// The GNU hash of a name (`dl_new_hash`: `h * 33 + c` from 5381).
pub fn gnu_hash(name: &[u8]) -> u32 {
    name.iter().fold(5381u32, |h, &c| {
        h.wrapping_mul(33).wrapping_add(u32::from(c))
    })
}

/// An owned, checked copy of a `DT_GNU_HASH` table.
#[derive(Debug, Default)]
pub struct GnuHash {
    /// Bloom words, widened to 64 bits (32-bit objects use 32-bit words).
    bloom: Box<[u64]>,
    /// Bits per Bloom word: 32 or 64.
    word_bits: u32,
    shift: u32,
    buckets: Box<[u32]>,
    symoffset: u32,
    /// Hash values of symbols `symoffset..`, bit 0 ending a chain.
    chain: Box<[u32]>,
}

impl GnuHash {
    /// Reads the table at `vaddr` for a symbol table of `nsyms` entries
    /// (the null symbol included); `None` when it is unusable (see the
    /// module comment).
    pub fn read<'d, R: ReadRef<'d>>(
        view: &elf::ElfView<'d, R>,
        vaddr: u64,
        nsyms: usize,
    ) -> Option<GnuHash> {
        let e = view.endian();
        let what = || "DT_GNU_HASH".to_string();
        let header = view.read_vaddr_exact(what, vaddr, 16).ok()?;
        let field = |i: usize| elf::u32_at(header, i * 4, e);
        let (nbuckets, symoffset, bloom_size, shift) = (field(0)?, field(1)?, field(2)?, field(3)?);
        let nsyms = u32::try_from(nsyms).ok()?;
        if nbuckets == 0 || bloom_size == 0 || shift >= 32 || symoffset > nsyms {
            return None;
        }
        let word: u64 = match view.header().class {
            Class::Elf32 => 4,
            Class::Elf64 => 8,
        };
        let bloom_len = u64::from(bloom_size).checked_mul(word)?;
        let bloom_at = vaddr.checked_add(16)?;
        let buckets_at = bloom_at.checked_add(bloom_len)?;
        let buckets_len = u64::from(nbuckets).checked_mul(4)?;
        let chain_at = buckets_at.checked_add(buckets_len)?;
        let chain_len = u64::from(nsyms - symoffset).checked_mul(4)?;
        // Each part is read exactly (the file holds it, or the table is
        // not used) before anything is allocated for it.
        let bloom_bytes = view.read_vaddr_exact(what, bloom_at, bloom_len).ok()?;
        let bucket_bytes = view.read_vaddr_exact(what, buckets_at, buckets_len).ok()?;
        let chain_bytes = if chain_len == 0 {
            &[][..]
        } else {
            view.read_vaddr_exact(what, chain_at, chain_len).ok()?
        };
        let bloom: Box<[u64]> = match word {
            8 => words64(bloom_bytes, e),
            _ => words32(bloom_bytes, e)
                .iter()
                .map(|&w| u64::from(w))
                .collect(),
        };
        let buckets = words32(bucket_bytes, e);
        let chain = words32(chain_bytes, e);
        let in_table = |b: u32| b == 0 || (b >= symoffset && b < nsyms);
        if !buckets.iter().all(|&b| in_table(b)) {
            return None;
        }
        // Every walk starts in the chain and stops at the latest on its
        // last word.
        if chain.last().is_some_and(|&w| w & 1 == 0) {
            return None;
        }
        Some(GnuHash {
            bloom,
            word_bits: if word == 8 { 64 } else { 32 },
            shift,
            buckets,
            symoffset,
            chain,
        })
    }

    /// The symbol indexes whose hash matches `hash` (bit 0 aside), in chain
    /// order: every symbol the loaders would compare the name with.
    pub fn candidates(&self, hash: u32) -> impl Iterator<Item = u32> + '_ {
        let bits = self.word_bits;
        let nwords = u32::try_from(self.bloom.len()).unwrap_or(u32::MAX);
        // glibc: `bitmask[(hash / bits) & (nwords - 1)]`, bits `hash % bits`
        // and `(hash >> shift) % bits`.
        let word = (hash / bits) & nwords.wrapping_sub(1);
        let w = self.bloom.get(word as usize).copied().unwrap_or(0);
        let pass = (w >> (hash % bits)) & (w >> ((hash >> self.shift) % bits)) & 1 != 0;
        let nbuckets = u32::try_from(self.buckets.len()).unwrap_or(u32::MAX).max(1);
        let start = if pass {
            self.buckets
                .get((hash % nbuckets) as usize)
                .copied()
                .filter(|&b| b != 0)
        } else {
            None
        };
        // Checked when read: `start` is in the chain, whose last word ends it.
        let mut at = start.and_then(|b| b.checked_sub(self.symoffset));
        std::iter::from_fn(move || {
            loop {
                let i = at?;
                let Some(&v) = self.chain.get(i as usize) else {
                    at = None;
                    return None;
                };
                at = if v & 1 != 0 { None } else { i.checked_add(1) };
                if (v ^ hash) >> 1 == 0 {
                    return i.checked_add(self.symoffset);
                }
            }
        })
    }
}

fn words32(bytes: &[u8], e: Endianness) -> Box<[u32]> {
    bytes
        .chunks_exact(4)
        .map(|c| elf::u32_at(c, 0, e).unwrap_or(0))
        .collect()
}

fn words64(bytes: &[u8], e: Endianness) -> Box<[u64]> {
    bytes
        .chunks_exact(8)
        .map(|c| elf::u64_at(c, 0, e).unwrap_or(0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::testutil::Builder;
    use crate::load::object::Object;

    const NAMES: [&str; 3] = ["a_fn", "b_fn", "c_fn"];

    /// The fields of a GNU hash table over `NAMES` (symbols 1..=3), which
    /// a case may change before it is laid out.
    struct Table {
        nbuckets: u32,
        symoffset: u32,
        bloom: Vec<u64>,
        shift: u32,
        buckets: Vec<u32>,
        chain: Vec<u32>,
    }

    /// A correct table: one bucket, every Bloom bit set.
    fn good() -> Table {
        let mut chain: Vec<u32> = NAMES.iter().map(|n| gnu_hash(n.as_bytes()) & !1).collect();
        if let Some(last) = chain.last_mut() {
            *last |= 1;
        }
        Table {
            nbuckets: 1,
            symoffset: 1,
            bloom: vec![u64::MAX],
            shift: 6,
            buckets: vec![1],
            chain,
        }
    }

    /// A shared library defining `NAMES`, with section headers (so the
    /// symbol count does not come from the table) and `t` as its
    /// `DT_GNU_HASH`.
    fn library(is_64: bool, t: &Table) -> Object {
        let mut b = Builder::new(is_64, false, 62, 3);
        let e = b.enc;
        let mut h = Vec::new();
        for x in [t.nbuckets, t.symoffset, t.bloom.len() as u32, t.shift] {
            e.u32(&mut h, x);
        }
        for &w in &t.bloom {
            e.word(&mut h, if is_64 { w } else { w & 0xffff_ffff });
        }
        for &x in t.buckets.iter().chain(&t.chain) {
            e.u32(&mut h, x);
        }
        let (str_off, sym_off, str_len) = b.hashed_dynsyms(&NAMES, &h);
        let dynstr = b.section_at(".dynstr", 3, 2, str_off, str_len, 0, 0, 1, 0);
        let (entsize, len) = if is_64 { (24, 24 * 4) } else { (16, 16 * 4) };
        b.section_at(".dynsym", 11, 2, sym_off, len, dynstr, 1, 8, entsize);
        let bytes = b.build();
        Object::read(&bytes[..]).expect("object")
    }

    fn found(o: &Object) -> Vec<&'static str> {
        NAMES
            .iter()
            .copied()
            .filter(|n| {
                let n = n.as_bytes();
                o.symbols.find(n, gnu_hash(n)).next().is_some()
            })
            .collect()
    }

    /// A good table finds every name, and no other.
    #[test]
    fn a_good_table_finds_every_definition() {
        for is_64 in [true, false] {
            let o = library(is_64, &good());
            assert!(o.symbols.has_gnu_hash(), "is_64={is_64}");
            assert_eq!(found(&o), NAMES, "is_64={is_64}");
            assert_eq!(o.symbols.find(b"d_fn", gnu_hash(b"d_fn")).count(), 0);
            assert_eq!(o.symbols.find(b"a_f", gnu_hash(b"a_f")).count(), 0);
        }
    }

    /// A table that reads well is followed as the loaders follow it, lies
    /// included: what it does not reach is not found.
    #[test]
    fn a_lying_table_is_believed() {
        for is_64 in [true, false] {
            let mut t = good();
            t.bloom = vec![0];
            let o = library(is_64, &t);
            assert!(o.symbols.has_gnu_hash());
            assert!(found(&o).is_empty(), "a zero Bloom filter: is_64={is_64}");

            // b_fn's hash value in the chain is wrong.
            let mut t = good();
            if let Some(w) = t.chain.get_mut(1) {
                *w ^= 0x10;
            }
            assert_eq!(found(&library(is_64, &t)), ["a_fn", "c_fn"]);

            // The chain ends after a_fn.
            let mut t = good();
            if let Some(w) = t.chain.first_mut() {
                *w |= 1;
            }
            assert_eq!(found(&library(is_64, &t)), ["a_fn"]);

            // The bucket is empty.
            let mut t = good();
            t.buckets = vec![0];
            assert!(found(&library(is_64, &t)).is_empty());
        }
    }

    /// A table the loaders would read out of bounds on, divide by zero or
    /// shift too far with is not used: every definition is found by name.
    #[test]
    fn an_unusable_table_falls_back_to_every_name() {
        type Change = Box<dyn Fn(&mut Table)>;
        let cases: Vec<(&str, Change)> = vec![
            (
                "no bucket",
                Box::new(|t| {
                    t.nbuckets = 0;
                    t.buckets.clear();
                }),
            ),
            ("no Bloom word", Box::new(|t| t.bloom.clear())),
            ("shift 32", Box::new(|t| t.shift = 32)),
            ("bucket past the symbols", Box::new(|t| t.buckets = vec![4])),
            (
                "bucket below symoffset",
                Box::new(|t| {
                    t.symoffset = 2;
                    t.buckets = vec![1];
                    t.chain.remove(0);
                }),
            ),
            (
                "symoffset past the symbols",
                Box::new(|t| {
                    t.symoffset = 9;
                    t.buckets = vec![0];
                }),
            ),
            (
                "last chain word ends no chain",
                Box::new(|t| {
                    if let Some(w) = t.chain.last_mut() {
                        *w &= !1;
                    }
                }),
            ),
            (
                "a huge Bloom filter",
                Box::new(|t| {
                    t.bloom = vec![u64::MAX];
                    t.nbuckets = u32::MAX;
                }),
            ),
        ];
        for is_64 in [true, false] {
            for (what, change) in &cases {
                let mut t = good();
                change(&mut t);
                let o = library(is_64, &t);
                assert!(!o.symbols.has_gnu_hash(), "{what}: is_64={is_64}");
                assert_eq!(found(&o), NAMES, "{what}: is_64={is_64}");
            }
        }
    }

    #[test]
    fn gnu_hash_matches_the_abi_examples() {
        // Values from the GNU hash description (e.g. `dl_new_hash("")`).
        assert_eq!(gnu_hash(b""), 0x0000_1505);
        assert_eq!(gnu_hash(b"printf"), 0x156b_2bb8);
        assert_eq!(gnu_hash(b"exit"), 0x7c96_7e3f);
        assert_eq!(gnu_hash(b"syscall"), 0xbac2_12a0);
    }
}
