//! The command line: every flag, its environment variable, and the exit codes.
//!
//! Flag names, environment variable names and exit codes are a contract that
//! scripts and pod specs rely on; `docs/cli.md` documents each one.

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The exit codes, shown in `--help`. `check`'s is decided by
/// `policy::exit_code` over the verdicts; usage errors are decided here.
pub const EXIT_CODES: &str = "\
Exit status:
  0  every file was read and (check) every rule was evaluated and passed
  1  check: a rule failed
  2  usage error, a policy file that cannot be loaded, or (check) no rule applied to any file
  3  a target could not be read or parsed, or (check) no ELF file was found";

/// `--version`: the crate version and, when built from git (or given
/// ELFGATE_REVISION at build time), the commit; see build.rs.
pub const VERSION: &str = env!("BUILD_VERSION_LINE");

#[derive(Debug, Parser)]
#[command(
    name = "elfgate",
    version = VERSION,
    about = "Static gate for Go binaries and ELF shared libraries: facts and a pass/fail verdict",
    after_help = EXIT_CODES,
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print the facts of each ELF file: the Go part as `go version -m` does, then ELF facts.
    #[command(after_help = EXIT_CODES)]
    Inspect(InspectArgs),
    /// Evaluate rules over each target and exit 0 only if every rule passed.
    #[command(after_help = EXIT_CODES)]
    Check(Box<CheckArgs>),
    /// Copy this elfgate executable to DEST (for a copy-in init container in an image with no shell).
    #[command(name = "self-copy")]
    SelfCopy(SelfCopyArgs),
    /// Write the canonical contract snapshot of the targets (elfgate.contract/v1).
    #[command(after_help = SNAPSHOT_EXIT_CODES)]
    Snapshot(SnapshotArgs),
    /// Compare two builds (ELF files, trees or snapshots) and classify every change.
    #[command(after_help = DIFF_EXIT_CODES)]
    Diff(DiffArgs),
    /// Print a shell completion script for SHELL, generated from these flags.
    Completions(CompletionsArgs),
}

/// `snapshot`'s exit codes, shown in its `--help`.
pub const SNAPSHOT_EXIT_CODES: &str = "\
Exit status:
  0  the snapshot was written
  2  usage error (two files would get the same path)
  3  a target could not be read or parsed, or no ELF file was found (nothing is written)";

/// `diff`'s exit codes, shown in its `--help`.
pub const DIFF_EXIT_CODES: &str = "\
Exit status:
  0  no change at or above --fail-on (default: no breaking change)
  1  a change at or above --fail-on
  2  usage error, or an accept file that cannot be loaded
  3  a side could not be read: an unreadable file, a bad snapshot, no ELF file";

#[derive(Debug, Args)]
pub struct SnapshotArgs {
    /// Files or directories (walked recursively; non-ELF files found while walking are skipped).
    #[arg(required = true, value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Treat DIR as the root of an image: paths resolve inside it and are recorded relative to it.
    #[arg(long, value_name = "DIR", env = "ELFGATE_ROOT")]
    pub root: Option<String>,
    /// Write the snapshot to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<String>,
    /// Say which files were skipped and why.
    #[arg(short, long)]
    pub verbose: bool,
    #[command(flatten)]
    pub image: ImageArgs,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    Text,
    Json,
    Markdown,
}

/// The least severe class of change that fails a diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Breaking,
    Compatible,
    Info,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old build: an ELF file, a directory, a snapshot, or an image
    /// (oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG|:@N]).
    #[arg(value_name = "OLD")]
    pub old: String,
    /// The new build: an ELF file, a directory, a snapshot, or an image.
    #[arg(value_name = "NEW")]
    pub new: String,
    /// For a side that is an image: the platform to pick from an index, os/arch[/variant]
    /// (default: this machine's).
    #[arg(long, value_name = "OS/ARCH", env = "ELFGATE_PLATFORM")]
    pub platform: Option<String>,
    /// For a side that is an image: the largest ELF file read; bytes, or with a K, M or G
    /// suffix. Larger ones are unreadable.
    #[arg(long, value_name = "SIZE", env = "ELFGATE_MAX_FILE_SIZE", value_parser = parse_size)]
    pub max_file_size: Option<u64>,
    /// Report format.
    #[arg(long, value_enum, default_value = "text")]
    pub format: DiffFormat,
    /// Accepted changes (YAML): listed apart, never fail the diff.
    #[arg(long, value_name = "FILE")]
    pub accept: Option<String>,
    /// Fail on breaking changes (default), on compatible ones too (a frozen interface), or on any.
    #[arg(long, value_enum, default_value = "breaking")]
    pub fail_on: FailOn,
    /// Write the report to FILE instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub output: Option<String>,
    /// Say which files were skipped and why.
    #[arg(short, long)]
    pub verbose: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum InspectFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// Files or directories (walked recursively; non-ELF files found while walking are skipped).
    /// With --image, paths inside the image; none means the program the image runs.
    #[arg(required_unless_present = "image", value_name = "PATH")]
    pub paths: Vec<String>,
    /// Output format. (No environment variable: ELFGATE_FORMAT is check's.)
    #[arg(long, value_enum, default_value = "text")]
    pub format: InspectFormat,
    /// Treat DIR as the root of an image: paths and symlinks resolve inside it.
    #[arg(long, value_name = "DIR", env = "ELFGATE_ROOT")]
    pub root: Option<String>,
    #[command(flatten)]
    pub image: ImageArgs,
    /// Also compute each file's SHA-256 (reads every byte of every file).
    #[arg(long)]
    pub digest: bool,
    /// Say which files were skipped and why.
    #[arg(short, long)]
    pub verbose: bool,
    /// Also simulate the dynamic loader in the root: the closure, versions, symbols, the node's CPU.
    #[arg(long)]
    pub load: bool,
    /// The container's LD_LIBRARY_PATH, for --load.
    #[arg(long, value_name = "LIST", env = "ELFGATE_LIBRARY_PATH")]
    pub library_path: Option<String>,
    /// The node's CPU for --load: host, x86-64, x86-64-v2, x86-64-v3 or x86-64-v4.
    #[arg(long, value_name = "LEVEL", env = "ELFGATE_CPU")]
    pub cpu: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CheckFormat {
    Text,
    Json,
    Sarif,
    Junit,
}

/// `check`'s flags. Repeatable flags read their environment variable as one
/// value per line, so a pod spec can list several with a YAML block scalar.
#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Files, directories (recursive) or globs. Also from ELFGATE_TARGETS (whitespace-separated).
    #[arg(value_name = "TARGET")]
    pub targets: Vec<String>,
    /// Policy file (YAML or JSON) with named rule sets applied by path globs.
    #[arg(long, value_name = "FILE", env = "ELFGATE_POLICY")]
    pub policy: Option<String>,
    /// Shorthand for --go-version '>=GOVER' (e.g. go1.21.0).
    #[arg(long, value_name = "GOVER", env = "ELFGATE_MIN_VERSION")]
    pub min_version: Option<String>,
    /// Semver requirement on the Go version, e.g. '>=1.21.0, <1.24' (Go spellings accepted).
    #[arg(long, value_name = "REQ", env = "ELFGATE_GO_VERSION")]
    pub go_version: Option<String>,
    /// Symbol that must exist: NAME, glob, NAME@VER or NAME@@VER (repeatable).
    #[arg(
        long,
        value_name = "PAT",
        env = "ELFGATE_REQUIRE_SYMBOL",
        value_delimiter = '\n'
    )]
    pub require_symbol: Vec<String>,
    /// Symbol that must not exist (repeatable).
    #[arg(
        long,
        value_name = "PAT",
        env = "ELFGATE_FORBID_SYMBOL",
        value_delimiter = '\n'
    )]
    pub forbid_symbol: Vec<String>,
    /// Build setting that must be present, KEY=VALUE or KEY=GLOB (repeatable).
    #[arg(
        long,
        value_name = "K=V",
        env = "ELFGATE_REQUIRE_SETTING",
        value_delimiter = '\n',
        allow_hyphen_values = true
    )]
    pub require_setting: Vec<String>,
    /// Build setting that must not be present (repeatable).
    #[arg(
        long,
        value_name = "K=V",
        env = "ELFGATE_FORBID_SETTING",
        value_delimiter = '\n',
        allow_hyphen_values = true
    )]
    pub forbid_setting: Vec<String>,
    /// GOEXPERIMENT that must be on (repeatable).
    #[arg(
        long,
        value_name = "NAME",
        env = "ELFGATE_REQUIRE_EXPERIMENT",
        value_delimiter = '\n'
    )]
    pub require_experiment: Vec<String>,
    /// GOEXPERIMENT that must be off (repeatable).
    #[arg(
        long,
        value_name = "NAME",
        env = "ELFGATE_FORBID_EXPERIMENT",
        value_delimiter = '\n'
    )]
    pub forbid_experiment: Vec<String>,
    /// Require FIPS 140 mode (GOFIPS140, fips140=on, or BoringCrypto actually linked).
    #[arg(long, env = "ELFGATE_REQUIRE_FIPS", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::SetTrue)]
    pub require_fips: bool,
    /// ABI properties that must be marked, comma-separated: ibt, shstk, bti, pac, gcs.
    #[arg(
        long,
        value_name = "LIST",
        env = "ELFGATE_REQUIRE_PROPERTY",
        value_delimiter = '\n'
    )]
    pub require_property: Vec<String>,
    /// Highest x86-64 ISA level allowed: x86-64-baseline, x86-64-v2, x86-64-v3, x86-64-v4.
    #[arg(long, value_name = "LEVEL", env = "ELFGATE_MAX_ISA")]
    pub max_isa: Option<String>,
    /// Allowed GOARCH names, comma-separated, or `host`.
    #[arg(
        long,
        value_name = "LIST",
        env = "ELFGATE_ARCH",
        value_delimiter = '\n'
    )]
    pub arch: Vec<String>,
    /// Highest GLIBC_x.y a file may require.
    #[arg(long, value_name = "X.Y", env = "ELFGATE_MAX_GLIBC")]
    pub max_glibc: Option<String>,
    /// SHA-256 pin; a file passes if its digest is one of these (repeatable).
    #[arg(
        long,
        value_name = "HEX",
        env = "ELFGATE_SHA256",
        value_delimiter = '\n'
    )]
    pub sha256: Vec<String>,
    /// Rule id that passes when its fact cannot be established (repeatable).
    #[arg(
        long,
        value_name = "RULE",
        env = "ELFGATE_ALLOW_UNKNOWN",
        value_delimiter = '\n'
    )]
    pub allow_unknown: Vec<String>,
    /// Let a version inferred from a string scan or a release map satisfy version rules.
    #[arg(long, env = "ELFGATE_TRUST_INFERRED_VERSION", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::SetTrue)]
    pub trust_inferred_version: bool,
    /// Treat DIR as the root of a mounted image: `/app/server` means DIR/app/server.
    #[arg(long, value_name = "DIR", env = "ELFGATE_ROOT")]
    pub root: Option<String>,
    /// Check that each program would load and start here (rules load.* and node.cpu).
    #[arg(long, env = "ELFGATE_LOADABLE", value_parser = clap::builder::BoolishValueParser::new(), action = clap::ArgAction::SetTrue)]
    pub loadable: bool,
    /// The container's LD_LIBRARY_PATH, for the load rules.
    #[arg(long, value_name = "LIST", env = "ELFGATE_LIBRARY_PATH")]
    pub library_path: Option<String>,
    /// The node's CPU for the load rules: host, x86-64, x86-64-v2, x86-64-v3 or x86-64-v4.
    #[arg(long, value_name = "LEVEL", env = "ELFGATE_CPU")]
    pub cpu: Option<String>,
    #[command(flatten)]
    pub image: ImageArgs,
    /// Report format.
    #[arg(long, value_enum, default_value = "text", env = "ELFGATE_FORMAT")]
    pub format: CheckFormat,
    /// Write the report to FILE; a summary line still goes to stdout.
    #[arg(long, value_name = "FILE", env = "ELFGATE_OUTPUT")]
    pub output: Option<String>,
    /// Write a verdict of at most 4096 bytes here (e.g. /dev/termination-log).
    #[arg(long, value_name = "PATH", env = "ELFGATE_TERMINATION_LOG")]
    pub termination_log: Option<String>,
    /// Write this file (atomically) only when every rule passed.
    #[arg(long, value_name = "PATH", env = "ELFGATE_SUCCESS_FILE")]
    pub success_file: Option<String>,
    /// Contract snapshot (elfgate snapshot) the targets must not break (rule contract.baseline).
    #[arg(long, value_name = "SNAPSHOT", env = "ELFGATE_BASELINE")]
    pub baseline: Option<String>,
    /// Go program that opens the targets as plugins (or -linkshared executable of Go shared libraries).
    #[arg(long, value_name = "HOST", env = "ELFGATE_PLUGIN_HOST")]
    pub plugin_host: Option<String>,
    /// Say which files were skipped and why.
    #[arg(short, long)]
    pub verbose: bool,
}

/// Reading a container image instead of a directory (`--image`).
#[derive(Debug, Clone, Args)]
pub struct ImageArgs {
    /// Read the files from an image: oci:DIR[:TAG], oci-archive:FILE[:TAG] or
    /// docker-archive:FILE[:NAME:TAG|:@N]. Targets are paths inside it.
    #[arg(
        id = "image",
        long = "image",
        value_name = "REF",
        env = "ELFGATE_IMAGE",
        conflicts_with = "root"
    )]
    pub reference: Option<String>,
    /// With --image: the platform to pick from an index, os/arch[/variant] (default: this machine's).
    #[arg(
        long,
        value_name = "OS/ARCH",
        env = "ELFGATE_PLATFORM",
        requires = "image"
    )]
    pub platform: Option<String>,
    /// With --image: the largest ELF file read (it is held in memory while inspected);
    /// bytes, or with a K, M or G suffix (KiB, MiB, GiB). Larger ones are unreadable.
    #[arg(long, value_name = "SIZE", env = "ELFGATE_MAX_FILE_SIZE", value_parser = parse_size, requires = "image")]
    pub max_file_size: Option<u64>,
}

/// A size in bytes: digits, then optionally `K`, `M`, `G` (or `KiB`, `MiB`,
/// `GiB`, any case), powers of 1024. Zero is refused.
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    let split = t.find(|c: char| !c.is_ascii_digit()).unwrap_or(t.len());
    let (digits, unit) = t.split_at(split);
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?}: expected a number of bytes, e.g. 512M"))?;
    let shift = match unit.to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kib" => 10,
        "m" | "mib" => 20,
        "g" | "gib" => 30,
        _ => return Err(format!("{s:?}: unknown unit (K, M, G, KiB, MiB or GiB)")),
    };
    match n.checked_mul(1u64 << shift) {
        Some(0) => Err(format!("{s:?}: must be more than 0")),
        Some(v) => Ok(v),
        None => Err(format!("{s:?}: too large")),
    }
}

/// Shells `completions` writes a script for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

#[derive(Debug, Args)]
#[command(after_help = "\
Install, for example:
  bash: elfgate completions bash > /etc/bash_completion.d/elfgate
  zsh:  elfgate completions zsh > \"${fpath[1]}/_elfgate\"
  fish: elfgate completions fish > ~/.config/fish/completions/elfgate.fish")]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum, value_name = "SHELL")]
    pub shell: CompletionShell,
}

#[derive(Debug, Args)]
pub struct SelfCopyArgs {
    /// Destination path (its directory must exist).
    pub dest: String,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn cli_definition_is_consistent() {
        Cli::command().debug_assert();
    }

    #[test]
    fn sizes_parse() {
        assert_eq!(parse_size("1G"), Ok(1 << 30));
        assert_eq!(parse_size("512MiB"), Ok(512 << 20));
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("8k"), Ok(8192));
        for bad in ["", "0", "1T", "-1", "1.5G", "99999999999999999999"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn image_and_root_exclude_each_other() {
        let e = Cli::try_parse_from([
            "elfgate", "check", "--image", "oci:x", "--root", "/r", "/app",
        ]);
        assert!(e.is_err());
        let e = Cli::try_parse_from(["elfgate", "check", "--platform", "linux/arm64", "/app"]);
        assert!(e.is_err(), "--platform needs --image");
        let ok = Cli::try_parse_from(["elfgate", "inspect", "--image", "oci:x"]);
        assert!(ok.is_ok(), "inspect --image needs no path");
        assert!(Cli::try_parse_from(["elfgate", "inspect"]).is_err());
    }

    #[test]
    fn check_flags_parse() {
        let cli = Cli::try_parse_from([
            "elfgate",
            "check",
            "--min-version",
            "go1.21.0",
            "--require-symbol",
            "runtime.mallocgc",
            "--require-symbol",
            "memcpy@GLIBC_2.14",
            "--require-fips",
            "--format",
            "sarif",
            "/app/server",
        ])
        .unwrap();
        let Command::Check(c) = cli.command else {
            panic!("not check")
        };
        assert_eq!(c.require_symbol, ["runtime.mallocgc", "memcpy@GLIBC_2.14"]);
        assert!(c.require_fips);
        assert_eq!(c.format, CheckFormat::Sarif);
        assert_eq!(c.targets, ["/app/server"]);
    }
}
