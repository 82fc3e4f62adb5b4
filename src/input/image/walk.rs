//! Walking an image's tree: targets expanded into files in exactly the
//! order and with exactly the paths, skips and errors that `input::walk`
//! gives under `--root` over the unpacked image (a directory's files,
//! links and special files by name, then its subdirectories by name, each
//! whole; symlinks followed to regular files only; dangling ones skipped).

use std::sync::Arc;

use super::load::{ImageFile, Loaded};
use super::tree::{Entry, Found, LookupError, NodeId};
use crate::input::{InputError, escape_bytes, in_root_display};

/// A regular file the walk reached.
#[derive(Debug, Clone)]
pub struct Visit {
    /// The path shown: inside the image, through the symlink that led here.
    pub display: String,
    /// Named as a target rather than found by walking.
    pub named: bool,
    pub file: ImageFile,
}

/// One thing the walk found, in order.
#[derive(Debug)]
pub enum Item {
    File(Visit),
    Error(InputError),
    Skipped(String, &'static str),
}

/// A failed lookup as the host resolver reports it for `path`.
pub fn lookup_error(path: &str, e: LookupError) -> InputError {
    match e {
        LookupError::NotFound(detail) => InputError::NotFound {
            path: path.to_string(),
            detail,
        },
        LookupError::Loop => InputError::SymlinkLoop {
            path: path.to_string(),
        },
        LookupError::NotDir => InputError::Io {
            path: path.to_string(),
            op: "lstat",
            source: std::io::Error::from_raw_os_error(libc::ENOTDIR),
        },
        LookupError::Budget => InputError::Io {
            path: path.to_string(),
            op: "resolve",
            source: std::io::Error::other("path resolution budget spent (a symlink maze?)"),
        },
    }
}

/// Expands `targets` (paths inside the image) into the files they hold.
pub fn walk(image: &Arc<Loaded>, targets: &[String]) -> Vec<Item> {
    let tree = image.tree();
    let mut out = Vec::new();
    for t in targets {
        let shown = in_root_display(t);
        match tree
            .lookup_node(t.as_bytes())
            .map(|id| (id, tree.entry(id)))
        {
            Ok((id, Entry::Dir)) => dir(image, id, shown.trim_end_matches('/'), &mut out),
            Ok((id, Entry::File { inode, layer })) => out.push(Item::File(Visit {
                display: shown,
                named: true,
                file: image.file(id, inode, layer),
            })),
            Ok((_, Entry::Other(kind))) => {
                out.push(Item::Error(InputError::NotRegular { path: shown, kind }))
            }
            // A lookup follows every symlink.
            Ok((_, Entry::Symlink(_))) => out.push(Item::Error(InputError::NotRegular {
                path: shown,
                kind: "symbolic link",
            })),
            Err(e) => out.push(Item::Error(lookup_error(&shown, e))),
        }
    }
    out
}

/// Walks a directory depth first, with an explicit stack.
fn dir(image: &Arc<Loaded>, top: NodeId, display: &str, out: &mut Vec<Item>) {
    let tree = image.tree();
    let mut stack: Vec<(NodeId, String)> = vec![(top, display.to_string())];
    while let Some((id, shown)) = stack.pop() {
        let mut subdirs = Vec::new();
        for (name, child) in tree.list(id) {
            let display = format!("{shown}/{}", escape_bytes(name));
            match tree.entry(child) {
                Entry::Dir => subdirs.push((child, display)),
                Entry::File { inode, layer } => out.push(Item::File(Visit {
                    display,
                    named: false,
                    file: image.file(child, inode, layer),
                })),
                Entry::Other(kind) => out.push(Item::Skipped(display, kind)),
                Entry::Symlink(_) => {
                    // Resolved from its real place in the tree.
                    match tree.lookup(&tree.path_of(child)) {
                        Ok(Found::File { inode, layer }) => out.push(Item::File(Visit {
                            display,
                            named: false,
                            file: image.file(child, inode, layer),
                        })),
                        Ok(Found::Dir(_)) => out.push(Item::Skipped(display, "directory")),
                        Ok(Found::Other(kind)) => out.push(Item::Skipped(display, kind)),
                        Err(LookupError::NotFound(_)) => {
                            out.push(Item::Skipped(display, "dangling symlink"))
                        }
                        Err(e) => out.push(Item::Error(lookup_error(&display, e))),
                    }
                }
            }
        }
        stack.extend(subdirs.into_iter().rev());
    }
}
