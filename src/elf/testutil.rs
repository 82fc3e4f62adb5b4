//! A small ELF builder for unit tests: every byte of a test file is written
//! here, in the test, so that each test states the structure it exercises.
//!
//! Layout of a built file:
//!
//! ```text
//! 0x000  ELF header
//! 0x040  program headers (room for 16)
//! 0x400  blobs added with `blob`, in order, each aligned
//! ...    .shstrtab, then the section header table (if any sections)
//! ```
//!
//! A `PT_LOAD` covering the whole file at `BASE` is added first unless
//! `no_load` is called, so `vaddr = BASE + offset`.

/// Virtual address of file offset 0 in built files.
pub const BASE: u64 = 0x40_0000;

const BLOBS_START: usize = 0x400;

#[derive(Clone, Copy)]
pub struct Enc {
    pub is_64: bool,
    pub big: bool,
}

impl Enc {
    pub fn u16(&self, out: &mut Vec<u8>, v: u16) {
        out.extend_from_slice(&if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        });
    }
    pub fn u32(&self, out: &mut Vec<u8>, v: u32) {
        out.extend_from_slice(&if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        });
    }
    pub fn u64(&self, out: &mut Vec<u8>, v: u64) {
        out.extend_from_slice(&if self.big {
            v.to_be_bytes()
        } else {
            v.to_le_bytes()
        });
    }
    /// An address-sized word.
    pub fn word(&self, out: &mut Vec<u8>, v: u64) {
        if self.is_64 {
            self.u64(out, v)
        } else {
            self.u32(out, u32::try_from(v).expect("test value fits in 32 bits"))
        }
    }

    /// Dynamic entries, then a DT_NULL.
    pub fn dynamic(&self, entries: &[(i64, u64)]) -> Vec<u8> {
        let mut out = Vec::new();
        for &(tag, val) in entries.iter().chain(&[(0, 0)]) {
            if self.is_64 {
                self.u64(&mut out, tag as u64);
            } else {
                self.u32(&mut out, tag as u32);
            }
            self.word(&mut out, val);
        }
        out
    }

    /// One symbol table entry.
    pub fn sym(
        &self,
        name: u32,
        value: u64,
        size: u64,
        info: u8,
        other: u8,
        shndx: u16,
    ) -> Vec<u8> {
        let mut out = Vec::new();
        self.u32(&mut out, name);
        if self.is_64 {
            out.push(info);
            out.push(other);
            self.u16(&mut out, shndx);
            self.u64(&mut out, value);
            self.u64(&mut out, size);
        } else {
            self.u32(&mut out, value as u32);
            self.u32(&mut out, size as u32);
            out.push(info);
            out.push(other);
            self.u16(&mut out, shndx);
        }
        out
    }

    /// One note: header, name (NUL added, padded to `align`), desc padded to `align`.
    pub fn note(&self, name: &[u8], n_type: u32, desc: &[u8], align: usize) -> Vec<u8> {
        let mut out = Vec::new();
        let mut name = name.to_vec();
        if !name.is_empty() {
            name.push(0);
        }
        self.u32(&mut out, name.len() as u32);
        self.u32(&mut out, desc.len() as u32);
        self.u32(&mut out, n_type);
        out.extend_from_slice(&name);
        while out.len() % align != 0 {
            out.push(0);
        }
        out.extend_from_slice(desc);
        while out.len() % align != 0 {
            out.push(0);
        }
        out
    }

    /// Verneed entry (16 bytes).
    pub fn verneed(&self, cnt: u16, file: u32, aux: u32, next: u32) -> Vec<u8> {
        let mut out = Vec::new();
        self.u16(&mut out, 1);
        self.u16(&mut out, cnt);
        self.u32(&mut out, file);
        self.u32(&mut out, aux);
        self.u32(&mut out, next);
        out
    }

    /// Vernaux entry (16 bytes).
    pub fn vernaux(&self, hash: u32, flags: u16, other: u16, name: u32, next: u32) -> Vec<u8> {
        let mut out = Vec::new();
        self.u32(&mut out, hash);
        self.u16(&mut out, flags);
        self.u16(&mut out, other);
        self.u32(&mut out, name);
        self.u32(&mut out, next);
        out
    }

    /// Verdef entry (20 bytes).
    pub fn verdef(&self, flags: u16, ndx: u16, cnt: u16, aux: u32, next: u32) -> Vec<u8> {
        let mut out = Vec::new();
        self.u16(&mut out, 1);
        self.u16(&mut out, flags);
        self.u16(&mut out, ndx);
        self.u16(&mut out, cnt);
        self.u32(&mut out, 0);
        self.u32(&mut out, aux);
        self.u32(&mut out, next);
        out
    }

    /// Verdaux entry (8 bytes).
    pub fn verdaux(&self, name: u32, next: u32) -> Vec<u8> {
        let mut out = Vec::new();
        self.u32(&mut out, name);
        self.u32(&mut out, next);
        out
    }

    /// A RELA entry.
    pub fn rela(&self, offset: u64, sym: u32, r_type: u32, addend: i64) -> Vec<u8> {
        let mut out = Vec::new();
        self.word(&mut out, offset);
        if self.is_64 {
            self.u64(&mut out, (u64::from(sym) << 32) | u64::from(r_type));
            self.u64(&mut out, addend as u64);
        } else {
            self.u32(&mut out, (sym << 8) | (r_type & 0xff));
            self.u32(&mut out, addend as u32);
        }
        out
    }
}

/// A string table and the offset of each string added.
#[derive(Default)]
pub struct Strtab {
    pub bytes: Vec<u8>,
}

impl Strtab {
    pub fn new() -> Self {
        Strtab { bytes: vec![0] }
    }
    pub fn add(&mut self, s: &str) -> u32 {
        let off = self.bytes.len() as u32;
        self.bytes.extend_from_slice(s.as_bytes());
        self.bytes.push(0);
        off
    }
}

struct Phdr {
    p_type: u32,
    p_flags: u32,
    offset: u64,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
    align: u64,
}

#[derive(Clone)]
pub struct Shdr {
    pub name: String,
    pub sh_type: u32,
    pub flags: u64,
    pub offset: u64,
    pub size: u64,
    pub link: u32,
    pub info: u32,
    pub align: u64,
    pub entsize: u64,
}

pub struct Builder {
    pub enc: Enc,
    machine: u16,
    e_type: u16,
    body: Vec<u8>,
    phdrs: Vec<Phdr>,
    shdrs: Vec<Shdr>,
    load_all: bool,
}

impl Builder {
    pub fn new(is_64: bool, big: bool, machine: u16, e_type: u16) -> Self {
        Builder {
            enc: Enc { is_64, big },
            machine,
            e_type,
            body: vec![0; BLOBS_START],
            phdrs: Vec::new(),
            shdrs: Vec::new(),
            load_all: true,
        }
    }

    /// Do not add the whole-file `PT_LOAD`.
    pub fn no_load(&mut self) -> &mut Self {
        self.load_all = false;
        self
    }

    /// Append bytes at the next `align`-aligned offset; returns that offset.
    pub fn blob(&mut self, bytes: &[u8], align: usize) -> u64 {
        while !self.body.len().is_multiple_of(align.max(1)) {
            self.body.push(0);
        }
        let off = self.body.len() as u64;
        self.body.extend_from_slice(bytes);
        off
    }

    /// A program header over `[offset, offset+size)` at `BASE + offset`.
    pub fn segment(&mut self, p_type: u32, p_flags: u32, offset: u64, size: u64, align: u64) {
        self.phdrs.push(Phdr {
            p_type,
            p_flags,
            offset,
            vaddr: BASE + offset,
            filesz: size,
            memsz: size,
            align,
        });
    }

    /// Dynamic symbols `names` (global functions at 0x10 after the null
    /// symbol), the `DT_GNU_HASH` table `hash` (laid out by the caller)
    /// and a `PT_DYNAMIC` naming them; returns the offsets of the string
    /// table and of the symbols, and the string table's length.
    pub fn hashed_dynsyms(&mut self, names: &[&str], hash: &[u8]) -> (u64, u64, u64) {
        let e = self.enc;
        let mut s = Strtab::new();
        let offsets: Vec<u32> = names.iter().map(|n| s.add(n)).collect();
        let str_off = self.blob(&s.bytes, 1);
        let mut syms = e.sym(0, 0, 0, 0, 0, 0);
        for n in offsets {
            syms.extend(e.sym(n, 0x10, 0, 0x12, 0, 1));
        }
        let sym_off = self.blob(&syms, 8);
        let hash_off = self.blob(hash, 8);
        let dynamic = e.dynamic(&[
            (5, BASE + str_off),
            (10, s.bytes.len() as u64),
            (6, BASE + sym_off),
            (0x6fff_fef5, BASE + hash_off),
        ]);
        let dyn_off = self.blob(&dynamic, 8);
        self.segment(2, 6, dyn_off, dynamic.len() as u64, 8);
        (str_off, sym_off, s.bytes.len() as u64)
    }

    /// A program header with every field given.
    #[allow(clippy::too_many_arguments)]
    pub fn segment_raw(
        &mut self,
        p_type: u32,
        p_flags: u32,
        offset: u64,
        vaddr: u64,
        filesz: u64,
        memsz: u64,
        align: u64,
    ) {
        self.phdrs.push(Phdr {
            p_type,
            p_flags,
            offset,
            vaddr,
            filesz,
            memsz,
            align,
        });
    }

    /// A section header; index 0 (null) is added automatically.
    pub fn section(&mut self, shdr: Shdr) -> u32 {
        self.shdrs.push(shdr);
        self.shdrs.len() as u32
    }

    /// Convenience for a section over a blob.
    #[allow(clippy::too_many_arguments)]
    pub fn section_at(
        &mut self,
        name: &str,
        sh_type: u32,
        flags: u64,
        offset: u64,
        size: u64,
        link: u32,
        info: u32,
        align: u64,
        entsize: u64,
    ) -> u32 {
        self.section(Shdr {
            name: name.into(),
            sh_type,
            flags,
            offset,
            size,
            link,
            info,
            align,
            entsize,
        })
    }

    pub fn build(&self) -> Vec<u8> {
        let e = self.enc;
        let mut out = self.body.clone();
        let mut phdrs: Vec<&Phdr> = Vec::new();
        let load;
        if self.load_all {
            load = Phdr {
                p_type: 1,
                p_flags: 5,
                offset: 0,
                vaddr: BASE,
                filesz: 0,
                memsz: 0,
                align: 0x1000,
            };
            phdrs.push(&load);
        }
        phdrs.extend(self.phdrs.iter());
        assert!(phdrs.len() <= 16, "room for 16 program headers");

        // Section name table and section headers at the end.
        let mut shoff = 0u64;
        let mut shnum = 0u16;
        let mut shstrndx = 0u16;
        if !self.shdrs.is_empty() {
            let mut names = Strtab::new();
            let name_offs: Vec<u32> = self.shdrs.iter().map(|s| names.add(&s.name)).collect();
            let shstrtab_name = names.add(".shstrtab");
            let shstrtab_off = out.len() as u64;
            out.extend_from_slice(&names.bytes);
            while !out.len().is_multiple_of(8) {
                out.push(0);
            }
            shoff = out.len() as u64;
            let mut all: Vec<(u32, Shdr)> = vec![(
                0,
                Shdr {
                    name: String::new(),
                    sh_type: 0,
                    flags: 0,
                    offset: 0,
                    size: 0,
                    link: 0,
                    info: 0,
                    align: 0,
                    entsize: 0,
                },
            )];
            all.extend(name_offs.iter().copied().zip(self.shdrs.iter().cloned()));
            all.push((
                shstrtab_name,
                Shdr {
                    name: ".shstrtab".into(),
                    sh_type: 3,
                    flags: 0,
                    offset: shstrtab_off,
                    size: names.bytes.len() as u64,
                    link: 0,
                    info: 0,
                    align: 1,
                    entsize: 0,
                },
            ));
            shnum = all.len() as u16;
            shstrndx = shnum - 1;
            for (name, s) in &all {
                e.u32(&mut out, *name);
                e.u32(&mut out, s.sh_type);
                e.word(&mut out, s.flags);
                let addr = if s.flags & 2 != 0 { BASE + s.offset } else { 0 };
                e.word(&mut out, addr);
                e.word(&mut out, s.offset);
                e.word(&mut out, s.size);
                e.u32(&mut out, s.link);
                e.u32(&mut out, s.info);
                e.word(&mut out, s.align);
                e.word(&mut out, s.entsize);
            }
        }
        let file_len = out.len() as u64;

        let mut head = Vec::new();
        head.extend_from_slice(&[0x7f, b'E', b'L', b'F']);
        head.push(if e.is_64 { 2 } else { 1 });
        head.push(if e.big { 2 } else { 1 });
        head.push(1);
        head.extend_from_slice(&[0; 9]);
        e.u16(&mut head, self.e_type);
        e.u16(&mut head, self.machine);
        e.u32(&mut head, 1);
        e.word(&mut head, BASE + 0x400);
        let ehsize: u16 = if e.is_64 { 64 } else { 52 };
        let phentsize: u16 = if e.is_64 { 56 } else { 32 };
        let shentsize: u16 = if e.is_64 { 64 } else { 40 };
        e.word(&mut head, if phdrs.is_empty() { 0 } else { 0x40 });
        e.word(&mut head, shoff);
        e.u32(&mut head, 0);
        e.u16(&mut head, ehsize);
        e.u16(&mut head, phentsize);
        e.u16(&mut head, phdrs.len() as u16);
        e.u16(&mut head, shentsize);
        e.u16(&mut head, shnum);
        e.u16(&mut head, shstrndx);
        assert_eq!(head.len(), usize::from(ehsize));
        out[..head.len()].copy_from_slice(&head);

        let mut ph = Vec::new();
        for p in &phdrs {
            let (filesz, memsz) = if p.p_type == 1 && p.offset == 0 && p.filesz == 0 {
                (file_len, file_len)
            } else {
                (p.filesz, p.memsz)
            };
            e.u32(&mut ph, p.p_type);
            if e.is_64 {
                e.u32(&mut ph, p.p_flags);
                e.u64(&mut ph, p.offset);
                e.u64(&mut ph, p.vaddr);
                e.u64(&mut ph, p.vaddr);
                e.u64(&mut ph, filesz);
                e.u64(&mut ph, memsz);
                e.u64(&mut ph, p.align);
            } else {
                e.u32(&mut ph, p.offset as u32);
                e.u32(&mut ph, p.vaddr as u32);
                e.u32(&mut ph, p.vaddr as u32);
                e.u32(&mut ph, filesz as u32);
                e.u32(&mut ph, memsz as u32);
                e.u32(&mut ph, p.p_flags);
                e.u32(&mut ph, p.align as u32);
            }
        }
        out[0x40..0x40 + ph.len()].copy_from_slice(&ph);
        out
    }
}
