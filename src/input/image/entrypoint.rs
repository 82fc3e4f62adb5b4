//! The program an image runs, as a container runtime finds it: argv[0] of
//! `Entrypoint` + `Cmd` (`Cmd` is the arguments when there is an
//! `Entrypoint`), a name with a `/` taken against `WorkingDir`, a bare name
//! looked up in the config's `PATH` (Docker's default `PATH` when the
//! config sets none) as Go's `exec.LookPath` does inside the container: the
//! first regular file with an execute bit.

use super::spec::RunConfig;
use super::tree::{Found, Tree};

/// Docker's `PATH` for a config that sets none (`oci.DefaultPathEnv`).
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// Shells whose `-c` form (`["/bin/sh", "-c", "..."]`, what a Dockerfile's
/// shell form writes) runs a command line rather than a program.
const SHELLS: &[&str] = &["sh", "bash", "ash", "dash", "zsh", "ksh", "mksh", "busybox"];

/// What the image would run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Program {
    /// argv[0] as the config gives it.
    pub argv0: String,
    /// The command line a shell-form entrypoint runs: the shell is checked,
    /// not the command.
    pub shell_command: Option<String>,
    /// Where argv[0] may be, in the order a lookup tries them (one path
    /// unless it is a bare name).
    pub candidates: Vec<String>,
}

/// A config value from `Env` (`KEY=VALUE`), the last one winning as in a
/// process environment built from it.
pub fn env<'c>(config: &'c RunConfig, key: &str) -> Option<&'c str> {
    config
        .env
        .as_ref()?
        .iter()
        .rev()
        .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
}

/// Joins `dir` (absolute or relative to `/`) and `name` as a clean
/// absolute path inside the image.
fn join(dir: &str, name: &str) -> String {
    crate::input::in_root_display(&format!("{dir}/{name}"))
}

/// The program from the config; `Err` when neither `Entrypoint` nor `Cmd`
/// names one.
pub fn program(config: &RunConfig) -> Result<Program, String> {
    let mut argv: Vec<&str> = Vec::new();
    let entrypoint = config.entrypoint.as_deref().unwrap_or_default();
    argv.extend(entrypoint.iter().map(String::as_str));
    argv.extend(
        config
            .cmd
            .as_deref()
            .unwrap_or_default()
            .iter()
            .map(String::as_str),
    );
    let Some(&argv0) = argv.first() else {
        return Err(
            "the image config has neither Entrypoint nor Cmd: name the files to check".into(),
        );
    };
    if argv0.is_empty() {
        return Err("the image config's Entrypoint/Cmd starts with an empty program name".into());
    }
    let base = argv0.rsplit('/').next().unwrap_or(argv0);
    let shell_command = match argv.get(1) {
        Some(&"-c") if SHELLS.contains(&base) => Some(argv.get(2..).unwrap_or_default().join(" ")),
        _ => None,
    };
    let workdir = config
        .working_dir
        .as_deref()
        .filter(|w| !w.is_empty())
        .unwrap_or("/");
    let candidates = if argv0.contains('/') {
        vec![join(workdir, argv0)]
    } else {
        let path = env(config, "PATH").unwrap_or(DEFAULT_PATH);
        path.split(':')
            .map(|dir| {
                // An empty entry means the working directory, as in exec.LookPath.
                let dir = if dir.is_empty() { "." } else { dir };
                if dir.starts_with('/') {
                    join(dir, argv0)
                } else {
                    join(&format!("{workdir}/{dir}"), argv0)
                }
            })
            .collect()
    };
    Ok(Program {
        argv0: argv0.to_string(),
        shell_command,
        candidates,
    })
}

impl Program {
    /// The path to check: the one candidate of a name with a `/`, else the
    /// first candidate that is a regular file with an execute bit. `None`
    /// when a bare name is found nowhere in `PATH`.
    pub fn resolve(&self, tree: &Tree) -> Option<&str> {
        if self.argv0.contains('/') {
            return self.candidates.first().map(String::as_str);
        }
        self.candidates.iter().map(String::as_str).find(|c| {
            matches!(tree.lookup(c.as_bytes()), Ok(Found::File { inode, .. })
                if tree.inode(inode).is_some_and(|i| i.mode & 0o111 != 0))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(ep: &[&str], cmd: &[&str], env: &[&str], wd: &str) -> RunConfig {
        let v = |x: &[&str]| (!x.is_empty()).then(|| x.iter().map(|s| s.to_string()).collect());
        RunConfig {
            entrypoint: v(ep),
            cmd: v(cmd),
            env: v(env),
            working_dir: (!wd.is_empty()).then(|| wd.to_string()),
        }
    }

    #[test]
    fn argv0_and_its_candidates() {
        let p = program(&cfg(&["/app/server"], &["--help"], &[], "")).unwrap();
        assert_eq!(p.candidates, ["/app/server"]);
        let p = program(&cfg(&[], &["./bin/app", "x"], &[], "/srv")).unwrap();
        assert_eq!(p.candidates, ["/srv/bin/app"]);
        let p = program(&cfg(&[], &["app"], &["PATH=/opt/bin::rel"], "/w")).unwrap();
        assert_eq!(p.candidates, ["/opt/bin/app", "/w/app", "/w/rel/app"]);
        let p = program(&cfg(&["app"], &[], &[], "")).unwrap();
        assert_eq!(p.candidates.len(), 6);
        assert_eq!(p.candidates[0], "/usr/local/sbin/app");
        let p = program(&cfg(
            &["/bin/sh", "-c", "exec /app/server --x"],
            &[],
            &[],
            "",
        ))
        .unwrap();
        assert_eq!(p.shell_command.as_deref(), Some("exec /app/server --x"));
        assert_eq!(p.candidates, ["/bin/sh"]);
        assert!(program(&cfg(&[], &[], &[], "")).is_err());
        assert!(program(&cfg(&[""], &[], &[], "")).is_err());
    }

    #[test]
    fn env_values_last_one_wins() {
        let c = cfg(&[], &[], &["A=1", "LD_LIBRARY_PATH=/x", "A=2"], "");
        assert_eq!(env(&c, "A"), Some("2"));
        assert_eq!(env(&c, "LD_LIBRARY_PATH"), Some("/x"));
        assert_eq!(env(&c, "LD"), None);
    }
}
