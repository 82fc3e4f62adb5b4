//! Rendering: facts and verdicts to bytes. Nothing here reads files or decides.

pub mod inspect;
