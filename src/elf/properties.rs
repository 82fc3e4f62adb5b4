//! GNU property note (`NT_GNU_PROPERTY_TYPE_0`) decoding.
//!
//! Layout (`shared/reference/elf-go-formats.md` §8; binutils
//! `include/elf/common.h`; x86-64 psABI, AArch64 ELF ABI):
//!
//! ```text
//! desc = { pr_type u32 | pr_datasz u32 | pr_data[pr_datasz] | pad to 8 (ELF64) or 4 (ELF32) }*
//! ```
//!
//! The processor-specific range (0xc0000000..) means different things per
//! `e_machine`: 0xc0000000 is x86 `COMPAT_ISA_1_USED` but AArch64
//! `FEATURE_1_AND`. Go's linker never writes this note; external links get
//! the host linker's merged note.

use object::Endianness;
use serde::Serialize;

use super::{Class, ElfError, align_up, push_error, slice_at, u32_at};

const X86_FEATURE_1_AND: u32 = 0xc000_0002;
const X86_ISA_1_NEEDED: u32 = 0xc000_8002;
const X86_ISA_1_USED: u32 = 0xc001_0002;
const AARCH64_FEATURE_1_AND: u32 = 0xc000_0000;

const EM_386: u16 = 3;
const EM_X86_64: u16 = 62;
const EM_AARCH64: u16 = 183;

/// Decoded GNU properties. Each list holds the names of the set bits;
/// bits without a name appear as `bitN`. `None` means the property is absent
/// (which for an AND property means "not every input had it").
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Properties {
    /// x86 `GNU_PROPERTY_X86_FEATURE_1_AND`: `ibt`, `shstk`.
    pub x86_feature_1_and: Option<Vec<String>>,
    /// x86 `GNU_PROPERTY_X86_ISA_1_NEEDED`: `baseline`, `v2`, `v3`, `v4`.
    pub x86_isa_needed: Option<Vec<String>>,
    /// x86 `GNU_PROPERTY_X86_ISA_1_USED`: `baseline`, `v2`, `v3`, `v4`.
    pub x86_isa_used: Option<Vec<String>>,
    /// AArch64 `GNU_PROPERTY_AARCH64_FEATURE_1_AND`: `bti`, `pac`, `gcs`.
    pub aarch64_feature_1_and: Option<Vec<String>>,
    /// `pr_type` values not decoded above, in note order.
    pub unknown: Vec<u32>,
    /// Entries that could not be decoded: a size past the end of the note,
    /// or the wrong size for a property decoded here (whose value is then
    /// unknown, so a rule on it cannot be trusted).
    #[serde(skip)]
    pub errors: Vec<ElfError>,
    /// Oddities read anyway (two property notes; the first was decoded).
    #[serde(skip)]
    pub warnings: Vec<ElfError>,
}

fn bit_names(value: u32, names: &[&str]) -> Vec<String> {
    (0..32u32)
        .filter(|bit| value & (1u32 << bit) != 0)
        .map(
            |bit| match usize::try_from(bit).ok().and_then(|b| names.get(b)) {
                Some(name) => (*name).to_string(),
                None => format!("bit{bit}"),
            },
        )
        .collect()
}

/// Decode a property note descriptor. An entry whose size is wrong for its
/// type is skipped with an error; an entry running past the end stops the
/// walk with an error. Unknown types are listed, not errors: new ones appear
/// with new toolchains. Never fails.
pub fn parse_properties(
    desc: &[u8],
    class: Class,
    endian: Endianness,
    e_machine: u16,
) -> Properties {
    let align = match class {
        Class::Elf64 => 8,
        Class::Elf32 => 4,
    };
    let x86 = matches!(e_machine, EM_386 | EM_X86_64);
    let aarch64 = e_machine == EM_AARCH64;
    let mut props = Properties::default();
    let mut pos = 0usize;
    // Each entry is at least 8 bytes, so at most desc.len() / 8 iterations.
    while pos < desc.len() {
        let (Some(pr_type), Some(datasz)) = (
            u32_at(desc, pos, endian),
            u32_at(desc, pos.saturating_add(4), endian),
        ) else {
            // Zero bytes short of an entry are padding.
            if desc
                .get(pos..)
                .is_some_and(|rest| rest.iter().any(|&b| b != 0))
            {
                props.errors.push(ElfError::invalid(
                    format!("GNU property at desc offset {pos}"),
                    "fewer than 8 bytes left for pr_type/pr_datasz",
                ));
            }
            break;
        };
        let data_start = pos.saturating_add(8);
        let Some(data) = slice_at(desc, data_start, datasz) else {
            props.errors.push(ElfError::invalid(
                format!("GNU property {pr_type:#x} at desc offset {pos}"),
                format!("pr_datasz {datasz} runs past the end of the note"),
            ));
            break;
        };
        let slot = match pr_type {
            X86_FEATURE_1_AND if x86 => Some((&mut props.x86_feature_1_and, &["ibt", "shstk"][..])),
            X86_ISA_1_NEEDED if x86 => Some((
                &mut props.x86_isa_needed,
                &["baseline", "v2", "v3", "v4"][..],
            )),
            X86_ISA_1_USED if x86 => {
                Some((&mut props.x86_isa_used, &["baseline", "v2", "v3", "v4"][..]))
            }
            AARCH64_FEATURE_1_AND if aarch64 => {
                Some((&mut props.aarch64_feature_1_and, &["bti", "pac", "gcs"][..]))
            }
            _ => None,
        };
        match slot {
            Some((slot, names)) => match u32_at(data, 0, endian) {
                Some(value) if data.len() == 4 => *slot = Some(bit_names(value, names)),
                _ => push_error(
                    &mut props.errors,
                    ElfError::invalid(
                        format!("GNU property {pr_type:#x} at desc offset {pos}"),
                        format!("pr_datasz is {datasz}, expected 4; skipped"),
                    ),
                ),
            },
            None => props.unknown.push(pr_type),
        }
        match align_up(data_start.saturating_add(data.len()), align) {
            Some(next) if next > pos => pos = next,
            _ => break,
        }
    }
    props
}

#[cfg(test)]
mod tests {
    use super::super::testutil::{Builder, Enc};
    use super::*;
    use crate::elf::open;

    fn prop(e: Enc, out: &mut Vec<u8>, pr_type: u32, data: &[u8], align: usize) {
        e.u32(out, pr_type);
        e.u32(out, data.len() as u32);
        out.extend_from_slice(data);
        while !out.len().is_multiple_of(align) {
            out.push(0);
        }
    }

    /// The observed x86-64 note from the reference (§8) decodes to baseline.
    #[test]
    fn observed_x86_note() {
        let desc = [0x02, 0x80, 0x00, 0xc0, 4, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0];
        let p = parse_properties(&desc, Class::Elf64, Endianness::Little, EM_X86_64);
        assert_eq!(p.x86_isa_needed, Some(vec!["baseline".to_string()]));
        assert_eq!(p.x86_feature_1_and, None);
        assert!(p.unknown.is_empty() && p.warnings.is_empty() && p.errors.is_empty());
    }

    /// 0xc0000000 is AArch64 FEATURE_1_AND but x86 COMPAT_ISA_1_USED.
    #[test]
    fn type_meaning_depends_on_machine() {
        let e = Enc {
            is_64: true,
            big: false,
        };
        let mut desc = Vec::new();
        prop(e, &mut desc, 0xc000_0000, &7u32.to_le_bytes(), 8);
        let arm = parse_properties(&desc, Class::Elf64, Endianness::Little, EM_AARCH64);
        assert_eq!(
            arm.aarch64_feature_1_and,
            Some(vec!["bti".into(), "pac".into(), "gcs".into()])
        );
        let x86 = parse_properties(&desc, Class::Elf64, Endianness::Little, EM_X86_64);
        assert_eq!(x86.aarch64_feature_1_and, None);
        assert_eq!(x86.unknown, vec![0xc000_0000]);
    }

    /// ELF32 pads to 4; big-endian; unnamed bits; one bad entry is skipped.
    #[test]
    fn elf32_big_endian_and_bad_entry() {
        let e = Enc {
            is_64: false,
            big: true,
        };
        let mut desc = Vec::new();
        prop(e, &mut desc, X86_FEATURE_1_AND, &[0, 0, 0, 0x23], 4);
        prop(e, &mut desc, X86_ISA_1_USED, &[0, 0, 0, 0, 0, 0, 0, 1], 4);
        prop(e, &mut desc, X86_ISA_1_NEEDED, &[0, 0, 0, 0x0f], 4);
        prop(e, &mut desc, 2, &[], 4);
        let p = parse_properties(&desc, Class::Elf32, Endianness::Big, EM_386);
        assert_eq!(
            p.x86_feature_1_and,
            Some(vec!["ibt".into(), "shstk".into(), "bit5".into()])
        );
        assert_eq!(p.x86_isa_used, None);
        assert_eq!(
            p.x86_isa_needed,
            Some(vec![
                "baseline".into(),
                "v2".into(),
                "v3".into(),
                "v4".into()
            ])
        );
        assert_eq!(p.unknown, vec![2]);
        assert!(p.warnings.is_empty());
        assert_eq!(p.errors.len(), 1);
        assert!(p.errors[0].to_string().contains("expected 4"));
    }

    #[test]
    fn truncated_entry_stops() {
        let mut desc = Vec::new();
        desc.extend_from_slice(&X86_FEATURE_1_AND.to_le_bytes());
        desc.extend_from_slice(&100u32.to_le_bytes());
        desc.extend_from_slice(&[3, 0, 0, 0]);
        let p = parse_properties(&desc, Class::Elf64, Endianness::Little, EM_X86_64);
        assert_eq!(p.x86_feature_1_and, None);
        assert_eq!(p.errors.len(), 1);
        let p = parse_properties(&desc[..5], Class::Elf64, Endianness::Little, EM_X86_64);
        assert!(p.errors[0].to_string().contains("fewer than 8 bytes"));
        // Trailing zeros short of an entry are padding, not damage.
        let mut padded = desc[..4].to_vec();
        padded.extend_from_slice(&4u32.to_le_bytes());
        padded.extend_from_slice(&[3, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
        let p = parse_properties(&padded, Class::Elf64, Endianness::Little, EM_X86_64);
        assert!(p.errors.is_empty() && p.warnings.is_empty(), "{p:?}");
        assert_eq!(
            p.x86_feature_1_and,
            Some(vec!["ibt".into(), "shstk".into()])
        );
    }

    /// A property note in a section with an odd alignment (2) is read with
    /// 4-byte note padding and 8-byte property padding (ELF64), the way
    /// binutils does; one with alignment 16 gets a warning but is still read.
    #[test]
    fn property_note_with_odd_alignment() {
        for align in [2u64, 16] {
            let mut b = Builder::new(true, false, 62, 2);
            let mut desc = Vec::new();
            prop(b.enc, &mut desc, X86_FEATURE_1_AND, &3u32.to_le_bytes(), 8);
            prop(b.enc, &mut desc, X86_ISA_1_NEEDED, &2u32.to_le_bytes(), 8);
            let note = b.enc.note(b"GNU", 5, &desc, 4);
            let off = b.blob(&note, 4);
            b.section_at(
                ".note.gnu.property",
                7,
                2,
                off,
                note.len() as u64,
                0,
                0,
                align,
                0,
            );
            let bytes = b.build();
            let notes = open(&bytes[..]).unwrap().notes();
            assert_eq!(notes.warnings.len(), usize::from(align == 16));
            assert!(notes.errors.is_empty(), "{:?}", notes.errors);
            let p = notes.properties().expect("property note");
            assert_eq!(
                p.x86_feature_1_and,
                Some(vec!["ibt".into(), "shstk".into()])
            );
            assert_eq!(p.x86_isa_needed, Some(vec!["v2".into()]));
        }
    }

    #[test]
    fn serializes_snake_case() {
        let p = Properties {
            x86_isa_needed: Some(vec!["v3".into()]),
            unknown: vec![5],
            ..Properties::default()
        };
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(
            json,
            r#"{"x86_feature_1_and":null,"x86_isa_needed":["v3"],"x86_isa_used":null,"aarch64_feature_1_and":null,"unknown":[5]}"#
        );
    }
}
