//! Go-specific readers. Every function here takes byte slices (or a small
//! address-space seam) and returns values; none does I/O or knows policy.

pub mod buildinfo;
pub mod dwarf;
pub mod modinfo;
pub mod pclntab;
pub mod scan;
pub mod version;
