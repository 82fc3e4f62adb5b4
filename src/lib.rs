//! elfgate: static facts about ELF files built by Go toolchains, and gates over them.
//!
//! Data flows one way: `input` (the only I/O) → `elf`/`go` (pure parsers) →
//! `inspect` → `facts` (one serializable report per file) → `policy` (pure
//! evaluation) → `render` (bytes) → `cli`/`run`.

pub mod check;
pub mod cli;
pub mod elf;
pub mod facts;
pub mod go;
pub mod input;
pub mod inspect;
pub mod policy;
pub mod render;
pub mod run;

/// Picks strings worth keeping from a block of NUL-separated strings (a
/// string table, the pclntab's name table): appends the `(start, end)` of
/// each, `end` at its NUL. Readers stream large tables through one.
pub type Pick<'p> = &'p dyn Fn(&[u8], &mut Vec<(usize, usize)>);
