//! `--image`: opening the image, choosing what to check in it (the targets
//! given, else the program it runs), and streaming its layers into the
//! inspector, for `inspect` and `check` alike. What comes out is a
//! `Resolver::Image` that the usual walk and inspection run over.

use crate::cli::ImageArgs;
use crate::facts::ImageFacts;
use crate::input::Resolver;
use crate::input::image::{self, DEFAULT_MAX_FILE_SIZE, ImageError};
use crate::run::Inspector;

/// An image ready to walk.
pub struct Scan {
    pub resolver: Resolver,
    /// The paths to walk inside the image.
    pub targets: Vec<String>,
    pub facts: ImageFacts,
    /// A remark about a target, by its path: the image's program is a
    /// shell running a command line.
    pub notes: Vec<(String, String)>,
    /// The image's program when no target names it and its bare name is in
    /// no directory of `PATH`: the name, and why.
    pub missing: Option<(String, String)>,
    /// The config's `LD_LIBRARY_PATH`: the load simulation's default
    /// (`--library-path` and the policy's `library_path` win).
    pub ld_library_path: Option<String>,
}

/// Opens `reference` and reads its layers, handing `inspector` the ELF
/// files under `targets` (or the image's program when there are none).
/// A usage error (exit 2) or a damaged image (exit 3) voids everything.
pub fn prepare(
    args: &ImageArgs,
    reference: &str,
    targets: &[String],
    inspector: &Inspector<'_>,
) -> Result<Scan, ImageError> {
    let host = crate::check::host_goarch().unwrap_or("unknown");
    let img = image::open(reference, args.platform.as_deref(), host)?;
    for n in &img.notes {
        eprintln!("elfgate: {n}");
    }
    let run = img.config.config.clone().unwrap_or_default();
    let program = if targets.is_empty() {
        Some(
            image::entrypoint::program(&run)
                .map_err(|m| ImageError::Usage(format!("{reference}: {m}")))?,
        )
    } else {
        None
    };
    // What the index pass reads as it goes.
    let literal = literal_dirs(targets);
    let wanted: Vec<String> = match &program {
        Some(p) => p.candidates.clone(),
        None => literal.clone(),
    };
    let max = args.max_file_size.unwrap_or(DEFAULT_MAX_FILE_SIZE);
    // With the load simulation, what each shared object needs is recorded
    // as it passes, to fetch the simulation's files in one more pass.
    let for_load = inspector.plans_image_load();
    let loaded = img.load_for(&wanted, max, for_load, &|id, bytes| {
        inspector.prefill(id, bytes)
    })?;
    let mut notes = Vec::new();
    let mut missing = None;
    let targets: Vec<String> = match &program {
        None => targets.to_vec(),
        Some(p) => match p.resolve(loaded.tree()) {
            Some(path) => {
                if let Some(cmd) = &p.shell_command {
                    notes.push((
                        path.to_string(),
                        format!(
                            "the image runs a shell command line ({} -c {cmd:?}): the shell is checked, not the command",
                            p.argv0
                        ),
                    ));
                }
                vec![path.to_string()]
            }
            None => {
                let path =
                    image::entrypoint::env(&run, "PATH").unwrap_or(image::entrypoint::DEFAULT_PATH);
                missing = Some((
                    p.argv0.clone(),
                    format!("not found in the image's PATH ({path})"),
                ));
                Vec::new()
            }
        },
    };
    let fetch = match &program {
        Some(_) => &targets,
        None => &literal,
    };
    loaded.prefetch(fetch, &|id, bytes| inspector.prefill(id, bytes))?;
    if for_load {
        loaded.fetch_for_load(&|id, bytes| inspector.preload(id, bytes))?;
    }
    let (warnings, omitted) = loaded.warnings();
    let mut warnings = warnings.to_vec();
    if omitted > 0 {
        warnings.push(format!("and {omitted} more entries skipped"));
    }
    for w in &warnings {
        eprintln!("elfgate: {reference}: warning: {w}");
    }
    let facts = ImageFacts {
        reference: reference.to_string(),
        digest: loaded.digest.clone(),
        platform: loaded.platform.clone(),
        layers: loaded.layer_count(),
        warnings,
    };
    let ld_library_path =
        image::entrypoint::env(&loaded.config, "LD_LIBRARY_PATH").map(str::to_string);
    Ok(Scan {
        resolver: Resolver::Image(loaded),
        targets,
        facts,
        notes,
        missing,
        ld_library_path,
    })
}

/// The paths a walk of `targets` reads below: a glob stands for its
/// literal directory (as `check` expands it).
pub fn literal_dirs(targets: &[String]) -> Vec<String> {
    targets
        .iter()
        .map(|t| {
            t.split('/')
                .take_while(|c| !c.contains(['*', '?', '[']))
                .collect::<Vec<_>>()
                .join("/")
        })
        .collect()
}

/// A damaged image's message without the reference it starts with (the
/// verdict names the reference already).
pub fn detail<'m>(reference: &str, message: &'m str) -> &'m str {
    message
        .strip_prefix(reference)
        .and_then(|m| m.strip_prefix(": "))
        .unwrap_or(message)
}
