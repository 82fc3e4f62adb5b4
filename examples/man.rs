//! Writes elfgate's man pages, generated from the clap definitions in
//! `elfgate::cli` so that they cannot drift from `--help`: `elfgate.1`, and
//! `elfgate-<subcommand>.1` for every subcommand there (nested ones too).
//!
//! `make man` runs it: `cargo run --example man -- DIR` (default `dist`).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::CommandFactory;

/// Writes every page into `dir` (created if missing); returns their paths,
/// the top page first.
pub fn write_pages(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    let mut command = elfgate::cli::Cli::command().disable_help_subcommand(true);
    command.build();
    let mut pages = Vec::new();
    let mut pending = vec![command];
    while let Some(command) = pending.pop() {
        pending.extend(
            command
                .get_subcommands()
                .filter(|s| !s.is_hide_set())
                .cloned(),
        );
        pages.push(clap_mangen::Man::new(command).generate_to(dir)?);
    }
    Ok(pages)
}

fn main() -> ExitCode {
    let dir = std::env::args_os()
        .nth(1)
        .map_or_else(|| PathBuf::from("dist"), PathBuf::from);
    match write_pages(&dir) {
        Ok(pages) => {
            for p in pages {
                println!("{}", p.display());
            }
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("man: writing pages into {}: {e}", dir.display());
            ExitCode::FAILURE
        }
    }
}
