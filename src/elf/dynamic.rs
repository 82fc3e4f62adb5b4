//! The dynamic section, read through `PT_DYNAMIC` so that it works without
//! section headers, as the loader reads it.
//!
//! Layout (gABI "Dynamic Section"; glibc `elf.h` for the GNU tags):
//!
//! ```text
//! PT_DYNAMIC   Elf{32,64}_Dyn { d_tag: Sword/Sxword, d_val: Word/Xword }[] ... DT_NULL
//! DT_STRTAB    vaddr of the dynamic string table, DT_STRSZ bytes long;
//!              DT_NEEDED/DT_SONAME/DT_RPATH/DT_RUNPATH are offsets into it
//! ```
//!
//! Addresses (`d_ptr`) are link-time virtual addresses, mapped to file
//! offsets through `PT_LOAD` (`ElfView::vaddr_to_offset`).

use object::Endianness;
use object::elf;
use object::read::ReadRef;
use object::read::elf::{Dyn, FileHeader};

use super::{Class, ElfError, ElfView, push_error, push_warning};

/// Addresses and sizes from the dynamic section that other parsers need.
/// Each is the first entry with that tag; `None` when absent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct DynamicAddresses {
    pub dt_strtab: Option<u64>,
    pub dt_strsz: Option<u64>,
    pub dt_symtab: Option<u64>,
    pub dt_syment: Option<u64>,
    pub dt_hash: Option<u64>,
    pub dt_gnu_hash: Option<u64>,
    pub dt_versym: Option<u64>,
    pub dt_verneed: Option<u64>,
    pub dt_verneednum: Option<u64>,
    pub dt_verdef: Option<u64>,
    pub dt_verdefnum: Option<u64>,
    pub dt_rela: Option<u64>,
    pub dt_relasz: Option<u64>,
    pub dt_relaent: Option<u64>,
    pub dt_rel: Option<u64>,
    pub dt_relsz: Option<u64>,
    pub dt_relent: Option<u64>,
    pub dt_relr: Option<u64>,
    pub dt_relrsz: Option<u64>,
    pub dt_jmprel: Option<u64>,
    pub dt_pltrelsz: Option<u64>,
}

/// The decoded dynamic section.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Dynamic<'data> {
    /// Number of entries before `DT_NULL` (or the end of `PT_DYNAMIC`).
    pub entries: usize,
    /// `DT_NEEDED`, in order.
    pub needed: Vec<&'data [u8]>,
    /// The first `DT_SONAME`.
    pub soname: Option<&'data [u8]>,
    /// All `DT_RPATH` entries, split on ':' (empty components kept: the
    /// loader reads them as the current directory).
    pub rpath: Vec<&'data [u8]>,
    /// All `DT_RUNPATH` entries, split on ':'.
    pub runpath: Vec<&'data [u8]>,
    /// Each `DT_RPATH` entry whole, in order: loaders differ in which one
    /// they read (glibc the last, musl the first) and in how they split it.
    pub rpath_entries: Vec<&'data [u8]>,
    /// Each `DT_RUNPATH` entry whole, in order.
    pub runpath_entries: Vec<&'data [u8]>,
    /// A `DT_BIND_NOW` entry is present (the old way to ask for it; glibc
    /// also reads `DF_BIND_NOW` in `DT_FLAGS` and `DF_1_NOW` in `DT_FLAGS_1`).
    pub bind_now: bool,
    /// `DT_FLAGS` (`DF_*`).
    pub flags: Option<u64>,
    /// `DT_FLAGS_1` (`DF_1_*`).
    pub flags_1: Option<u64>,
    /// Table addresses for the other parsers.
    pub addresses: DynamicAddresses,
    /// Strings that could not be read (the rest of the section still was).
    pub errors: Vec<ElfError>,
    /// Oddities read anyway: a `DT_STRSZ` past the end of its `PT_LOAD`.
    pub warnings: Vec<ElfError>,
}

impl<'data, R: ReadRef<'data>> ElfView<'data, R> {
    /// The dynamic section from `PT_DYNAMIC`; `Ok(None)` without one.
    /// Read once and kept.
    pub fn dynamic(&self) -> Result<Option<&Dynamic<'data>>, ElfError> {
        match self.dynamic.get_or_init(|| parse(self)) {
            Ok(d) => Ok(d.as_ref()),
            Err(e) => Err(e.clone()),
        }
    }

    /// Where the dynamic string table (`DT_STRTAB`, `DT_STRSZ`) is in the
    /// file: `(offset, size)`. Without `DT_STRSZ`, or if it runs past its
    /// `PT_LOAD`, the table ends with the segment's file bytes.
    ///
    /// A `DT_STRSZ` past the `PT_LOAD` but inside the file is a warning
    /// (post-link tools that move `.dynstr` have left such files, and the
    /// names still end in the segment); past the end of the file it is an
    /// error, pushed to `errors`: the header promises bytes that are not there.
    pub(crate) fn dynamic_strtab_range(
        &self,
        addrs: &DynamicAddresses,
        errors: &mut Vec<ElfError>,
        warnings: &mut Vec<ElfError>,
    ) -> Result<Option<(u64, u64)>, ElfError> {
        let Some(vaddr) = addrs.dt_strtab else {
            return Ok(None);
        };
        let (offset, avail) = self.vaddr_to_offset(vaddr).ok_or_else(|| {
            ElfError::invalid(
                "DT_STRTAB",
                format!("address {vaddr:#x} is not in any PT_LOAD"),
            )
        })?;
        let size = match addrs.dt_strsz {
            Some(size) if size <= avail => size,
            Some(size) if self.in_file(offset, size) => {
                push_warning(
                    warnings,
                    ElfError::at(
                        "DT_STRSZ",
                        offset,
                        format!("{size} bytes run past the end of the PT_LOAD; using {avail}"),
                    ),
                );
                avail
            }
            Some(size) => {
                push_error(
                    errors,
                    ElfError::at(
                        "DT_STRSZ",
                        offset,
                        format!("{size} bytes run past the end of the file; using {avail}"),
                    ),
                );
                avail
            }
            None => avail,
        };
        Ok(Some((offset, size)))
    }

    /// The whole dynamic string table, read once (for symbol names).
    pub(crate) fn dynamic_strings(
        &self,
        addrs: &DynamicAddresses,
        errors: &mut Vec<ElfError>,
        warnings: &mut Vec<ElfError>,
    ) -> Result<Option<&'data [u8]>, ElfError> {
        let Some((offset, size)) = self.dynamic_strtab_range(addrs, errors, warnings)? else {
            return Ok(None);
        };
        self.read_range(|| "dynamic string table (DT_STRTAB)".into(), offset, size)
            .map(Some)
    }

    /// One NUL-terminated string of the dynamic string table, read alone:
    /// a C++ library's table can be megabytes, and DT_NEEDED needs a few names.
    pub(crate) fn dynamic_string(
        &self,
        (offset, size): (u64, u64),
        at: u64,
    ) -> Option<&'data [u8]> {
        if at >= size {
            return None;
        }
        let start = offset.checked_add(at)?;
        let end = offset.checked_add(size)?;
        self.data.read_bytes_at_until(start..end, 0).ok()
    }
}

/// Decode `PT_DYNAMIC` entries up to `DT_NULL`.
fn entries<Elf: FileHeader<Endian = Endianness>>(
    bytes: &[u8],
    endian: Endianness,
) -> Vec<(i64, u64)> {
    let count = bytes.len() / size_of::<Elf::Dyn>();
    let dyns: &[Elf::Dyn] = object::pod::slice_from_bytes(bytes, count)
        .map(|(d, _)| d)
        .unwrap_or(&[]);
    dyns.iter()
        .map(|d| (d.d_tag(endian).0, d.val(endian)))
        .take_while(|&(tag, _)| tag != elf::DT_NULL.0)
        .collect()
}

pub(crate) fn parse<'data, R: ReadRef<'data>>(
    view: &ElfView<'data, R>,
) -> Result<Option<Dynamic<'data>>, ElfError> {
    let Some(seg) = view.segment_by_type(elf::PT_DYNAMIC.0) else {
        return Ok(None);
    };
    let bytes = view.read_range(
        || format!("PT_DYNAMIC (program header {})", seg.index),
        seg.p_offset,
        seg.p_filesz,
    )?;
    let entries = match view.header.class {
        Class::Elf32 => entries::<elf::FileHeader32<Endianness>>(bytes, view.endian),
        Class::Elf64 => entries::<elf::FileHeader64<Endianness>>(bytes, view.endian),
    };

    let mut d = Dynamic {
        entries: entries.len(),
        ..Dynamic::default()
    };
    d.bind_now = entries.iter().any(|&(tag, _)| tag == 24);
    let a = &mut d.addresses;
    for &(tag, val) in &entries {
        let slot = match tag {
            5 => &mut a.dt_strtab,
            10 => &mut a.dt_strsz,
            6 => &mut a.dt_symtab,
            11 => &mut a.dt_syment,
            4 => &mut a.dt_hash,
            0x6fff_fef5 => &mut a.dt_gnu_hash,
            0x6fff_fff0 => &mut a.dt_versym,
            0x6fff_fffe => &mut a.dt_verneed,
            0x6fff_ffff => &mut a.dt_verneednum,
            0x6fff_fffc => &mut a.dt_verdef,
            0x6fff_fffd => &mut a.dt_verdefnum,
            7 => &mut a.dt_rela,
            8 => &mut a.dt_relasz,
            9 => &mut a.dt_relaent,
            17 => &mut a.dt_rel,
            18 => &mut a.dt_relsz,
            19 => &mut a.dt_relent,
            36 => &mut a.dt_relr,
            35 => &mut a.dt_relrsz,
            23 => &mut a.dt_jmprel,
            2 => &mut a.dt_pltrelsz,
            30 => &mut d.flags,
            0x6fff_fffb => &mut d.flags_1,
            _ => continue,
        };
        if slot.is_none() {
            *slot = Some(val);
        }
    }

    let uses_strings = entries.iter().any(|&(t, _)| matches!(t, 1 | 14 | 15 | 29));
    let mut errors = Vec::new();
    let mut warnings = Vec::new();
    let strings = match view.dynamic_strtab_range(&d.addresses, &mut errors, &mut warnings) {
        Ok(s) => s,
        Err(e) => {
            push_error(&mut errors, e);
            None
        }
    };
    match strings {
        None if uses_strings => push_error(
            &mut errors,
            ElfError::at(
                "PT_DYNAMIC",
                seg.p_offset,
                "DT_NEEDED/DT_SONAME/DT_RPATH/DT_RUNPATH without a readable DT_STRTAB",
            ),
        ),
        None => {}
        Some(range) => {
            for (i, &(tag, val)) in entries.iter().enumerate() {
                if !matches!(tag, 1 | 14 | 15 | 29) {
                    continue;
                }
                let Some(s) = view.dynamic_string(range, val) else {
                    push_error(
                        &mut errors,
                        ElfError::at(
                            format!("dynamic entry {i} (tag {tag})"),
                            seg.p_offset,
                            format!("string offset {val:#x} is not in DT_STRTAB"),
                        ),
                    );
                    continue;
                };
                match tag {
                    1 => d.needed.push(s),
                    14 => {
                        if d.soname.is_none() {
                            d.soname = Some(s);
                        }
                    }
                    15 => {
                        d.rpath_entries.push(s);
                        d.rpath.extend(s.split(|&b| b == b':'));
                    }
                    _ => {
                        d.runpath_entries.push(s);
                        d.runpath.extend(s.split(|&b| b == b':'));
                    }
                }
            }
        }
    }
    d.errors = errors;
    d.warnings = warnings;
    Ok(Some(d))
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{BASE, Builder, Strtab};
    use crate::elf::open;

    /// Dynamic section through program headers only, on every class and
    /// byte order, with strings reached via DT_STRTAB.
    #[test]
    fn without_section_headers() {
        for (is_64, big) in [(true, false), (true, true), (false, false), (false, true)] {
            let mut b = Builder::new(is_64, big, 8, 3);
            let mut strs = Strtab::new();
            let libc = strs.add("libc.so.6");
            let libm = strs.add("libm.so.6");
            let soname = strs.add("libfoo.so.1");
            let runpath = strs.add("$ORIGIN/../lib::/opt/lib");
            let str_off = b.blob(&strs.bytes, 1);
            let dynamic = b.enc.dynamic(&[
                (1, u64::from(libc)),
                (14, u64::from(soname)),
                (5, BASE + str_off),
                (10, strs.bytes.len() as u64),
                (1, u64::from(libm)),
                (29, u64::from(runpath)),
                (30, 8),
                (0x6fff_fffb, 0x0800_0001),
                (0x6fff_fffe, 0x1234),
            ]);
            let dyn_off = b.blob(&dynamic, 8);
            b.segment(2, 6, dyn_off, dynamic.len() as u64, 8);
            let bytes = b.build();
            let view = open(&bytes[..]).unwrap();
            assert!(view.sections().is_empty());
            let d = view.dynamic().unwrap().expect("PT_DYNAMIC");
            assert_eq!(d.entries, 9);
            assert_eq!(d.needed, vec![&b"libc.so.6"[..], b"libm.so.6"]);
            assert_eq!(d.soname, Some(&b"libfoo.so.1"[..]));
            assert_eq!(d.runpath, vec![&b"$ORIGIN/../lib"[..], b"", b"/opt/lib"]);
            assert_eq!(d.runpath_entries, vec![&b"$ORIGIN/../lib::/opt/lib"[..]]);
            assert!(d.rpath.is_empty() && d.rpath_entries.is_empty());
            assert!(!d.bind_now);
            assert_eq!(d.flags, Some(8));
            assert_eq!(d.flags_1, Some(0x0800_0001));
            assert_eq!(d.addresses.dt_verneed, Some(0x1234));
            assert!(d.warnings.is_empty(), "{:?}", d.warnings);
            assert!(d.errors.is_empty(), "{:?}", d.errors);
        }
    }

    /// A `DT_STRSZ` past its `PT_LOAD` is a warning while it stays in the
    /// file, an error past its end; a string outside the table is an error.
    #[test]
    fn bad_strings_are_errors() {
        let mut b = Builder::new(true, false, 62, 3);
        let mut strs = Strtab::new();
        let libc = strs.add("libc.so.6");
        let str_off = b.blob(&strs.bytes, 1);
        // DT_STRSZ lies (past the PT_LOAD) and one DT_NEEDED points past the table.
        let dynamic = b.enc.dynamic(&[
            (5, BASE + str_off),
            (10, 1 << 40),
            (1, 1 << 30),
            (1, u64::from(libc)),
        ]);
        let dyn_off = b.blob(&dynamic, 8);
        b.segment(2, 6, dyn_off, dynamic.len() as u64, 8);
        let bytes = b.build();
        let view = open(&bytes[..]).unwrap();
        let d = view.dynamic().unwrap().unwrap();
        assert_eq!(d.needed, vec![&b"libc.so.6"[..]]);
        assert!(d.warnings.is_empty(), "{:?}", d.warnings);
        assert_eq!(d.errors.len(), 2, "{:?}", d.errors);
        assert!(
            d.errors[0]
                .to_string()
                .starts_with("DT_STRSZ at 0x400: 1099511627776 bytes run past the end of the file"),
            "{}",
            d.errors[0]
        );
        assert!(
            d.errors[1]
                .to_string()
                .contains("string offset 0x40000000 is not in DT_STRTAB")
        );
    }

    /// `DT_STRSZ` a little past the `PT_LOAD` but in the file: tolerated.
    #[test]
    fn strsz_past_the_segment_in_the_file_is_a_warning() {
        let mut b = Builder::new(true, false, 62, 3);
        b.no_load();
        let mut strs = Strtab::new();
        let libc = strs.add("libc.so.6");
        let str_off = b.blob(&strs.bytes, 1);
        let dynamic = b.enc.dynamic(&[
            (5, BASE + str_off),
            (10, strs.bytes.len() as u64 + 8),
            (1, u64::from(libc)),
        ]);
        let dyn_off = b.blob(&dynamic, 8);
        b.segment(2, 6, dyn_off, dynamic.len() as u64, 8);
        // The PT_LOAD ends with the string table; the file goes on.
        b.segment(1, 4, 0, str_off + strs.bytes.len() as u64, 0x1000);
        b.blob(&[0; 64], 8);
        let bytes = b.build();
        let view = open(&bytes[..]).unwrap();
        let d = view.dynamic().unwrap().unwrap();
        assert_eq!(d.needed, vec![&b"libc.so.6"[..]]);
        assert!(d.errors.is_empty(), "{:?}", d.errors);
        assert_eq!(d.warnings.len(), 1, "{:?}", d.warnings);
        assert!(
            d.warnings[0]
                .to_string()
                .contains("past the end of the PT_LOAD")
        );
    }

    #[test]
    fn truncated_dynamic_is_an_error() {
        let mut b = Builder::new(true, false, 62, 3);
        let off = b.blob(&[0; 16], 8);
        b.segment(2, 6, off, 1 << 20, 8);
        let bytes = b.build();
        let view = open(&bytes[..]).unwrap();
        let err = view.dynamic().unwrap_err();
        assert!(
            err.to_string()
                .starts_with("PT_DYNAMIC (program header 1) at"),
            "{err}"
        );
        // The error is kept, not recomputed differently.
        assert_eq!(view.dynamic().unwrap_err(), err);
    }

    #[test]
    fn no_dynamic() {
        let bytes = Builder::new(true, false, 62, 2).build();
        assert_eq!(open(&bytes[..]).unwrap().dynamic().unwrap(), None);
    }
}
