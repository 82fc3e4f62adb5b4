//! `elfgate completions SHELL`: a completion script generated from the clap
//! definitions in `cli`, so every subcommand and flag there is completed
//! without a list kept by hand.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::{Cli, CompletionShell};

/// The script for `shell`, as bytes to print.
pub fn script(shell: CompletionShell) -> Vec<u8> {
    let shell = match shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    let mut command = Cli::command();
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut command, "elfgate", &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every subcommand and long flag appears in each script.
    #[test]
    fn scripts_name_every_subcommand_and_flag() {
        let command = Cli::command();
        for shell in [
            CompletionShell::Bash,
            CompletionShell::Zsh,
            CompletionShell::Fish,
        ] {
            let text = String::from_utf8(script(shell)).unwrap();
            for sub in command.get_subcommands() {
                assert!(
                    text.contains(sub.get_name()),
                    "{shell:?}: {}",
                    sub.get_name()
                );
                for arg in sub.get_arguments() {
                    if let Some(long) = arg.get_long() {
                        assert!(text.contains(long), "{shell:?}: --{long}");
                    }
                }
            }
        }
    }
}
