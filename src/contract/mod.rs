//! Contracts between builds: what a set of files promises its environment
//! and its consumers, snapshotted, compared and checked.
//!
//! Cross-file work beside the per-file path: it reads files through the
//! same ELF views and Go decoders as `inspect` (whose report it starts
//! from) and keeps its own facts.
//!
//! - [`extract`]: one file → its contract ([`model::FileContract`]) and
//!   the Go hash tables plugin and shared-library checks need.
//! - [`snapshot`]: contracts ↔ the canonical `elfgate.contract/v1` document.
//! - [`diff`]: two contracts → classified changes ([`kinds`]).
//! - [`accept`]: the accept file, decisions recorded as data.
//! - [`plugin`]: would `plugin.Open` (or a `-linkshared` start) succeed?
//! - [`render`]: a diff as text, JSON or Markdown.

pub mod accept;
pub mod diff;
pub mod extract;
pub mod kinds;
pub mod model;
pub mod plugin;
pub mod render;
pub mod snapshot;

pub use diff::Change;
pub use kinds::{Class, Kind};
pub use model::{FileContract, SCHEMA, Snapshot};
