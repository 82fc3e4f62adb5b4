//! elfgate's entry point: parse the command line, run, turn the outcome into
//! an exit status. Everything else lives in the library.

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(elfgate::run::main())
}
