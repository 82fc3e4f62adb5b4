//! `elfgate check` (pending the policy layer).

use crate::cli::CheckArgs;

pub fn run(_args: &CheckArgs) -> u8 {
    eprintln!("elfgate: check is not available in this build");
    crate::run::EXIT_USAGE
}
