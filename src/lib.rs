//! elfgate: static facts about ELF files built by Go toolchains, and gates over them.
//!
//! Data flows one way: `input` (the only I/O) → `elf`/`go` (pure parsers) →
//! `inspect` → `facts` (one serializable report per file) → `policy` (pure
//! evaluation) → `render` (bytes) → `cli`/`run`.

pub mod check;
pub mod cli;
pub mod completions;
pub mod contract;
pub mod contract_cmd;
pub mod elf;
pub mod facts;
pub mod go;
pub mod image_scan;
pub mod input;
pub mod inspect;
pub mod load;
pub mod pick;
pub mod policy;
pub mod pool;
pub mod readat;
pub mod render;
pub mod run;
pub mod term;
