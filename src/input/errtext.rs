//! The words glibc and musl print for an `errno`, whichever C library
//! elfgate itself is linked with.
//!
//! elfgate's messages repeat what a loader or `execve`'s caller would
//! print (`exec /app/x: Input/output error`, musl's `Error loading shared
//! library …: Symbolic link loop`), and the static binary the image ships
//! is linked with musl while the glibc build is what tests run: taking
//! the words from the C library at hand made the two builds print
//! different messages for the same file (`I/O error`, `Filename too long`
//! from the shipped one). The table holds the errnos that opening, reading
//! and executing files give, as each library's `strerror` words them
//! (glibc 2.36, musl 1.2.3; a test compares the column of the library it
//! is linked with); any other errno takes the words of the library at hand.
//! elfgate's own file errors ([`io`]) use glibc's words too, so that a
//! script matching a message sees the same text from either build.

/// `(errno, glibc, musl)`.
const WORDS: &[(i32, &str, &str)] = &[
    (
        libc::EPERM,
        "Operation not permitted",
        "Operation not permitted",
    ),
    (
        libc::ENOENT,
        "No such file or directory",
        "No such file or directory",
    ),
    (
        libc::EINTR,
        "Interrupted system call",
        "Interrupted system call",
    ),
    (libc::EIO, "Input/output error", "I/O error"),
    (
        libc::ENXIO,
        "No such device or address",
        "No such device or address",
    ),
    (libc::ENOEXEC, "Exec format error", "Exec format error"),
    (libc::EBADF, "Bad file descriptor", "Bad file descriptor"),
    (
        libc::EAGAIN,
        "Resource temporarily unavailable",
        "Resource temporarily unavailable",
    ),
    (libc::ENOMEM, "Cannot allocate memory", "Out of memory"),
    (libc::EACCES, "Permission denied", "Permission denied"),
    (libc::EFAULT, "Bad address", "Bad address"),
    (libc::EBUSY, "Device or resource busy", "Resource busy"),
    (
        libc::EXDEV,
        "Invalid cross-device link",
        "Cross-device link",
    ),
    (libc::ENODEV, "No such device", "No such device"),
    (libc::ENOTDIR, "Not a directory", "Not a directory"),
    (libc::EISDIR, "Is a directory", "Is a directory"),
    (libc::EINVAL, "Invalid argument", "Invalid argument"),
    (
        libc::ENFILE,
        "Too many open files in system",
        "Too many open files in system",
    ),
    (
        libc::EMFILE,
        "Too many open files",
        "No file descriptors available",
    ),
    (libc::ETXTBSY, "Text file busy", "Text file busy"),
    (libc::EFBIG, "File too large", "File too large"),
    (
        libc::ENOSPC,
        "No space left on device",
        "No space left on device",
    ),
    (
        libc::EROFS,
        "Read-only file system",
        "Read-only file system",
    ),
    (
        libc::ENAMETOOLONG,
        "File name too long",
        "Filename too long",
    ),
    (
        libc::ENOSYS,
        "Function not implemented",
        "Function not implemented",
    ),
    (
        libc::ELOOP,
        "Too many levels of symbolic links",
        "Symbolic link loop",
    ),
    (
        libc::EOVERFLOW,
        "Value too large for defined data type",
        "Value too large for data type",
    ),
    (
        libc::ELIBBAD,
        "Accessing a corrupted shared library",
        "No error information",
    ),
    (libc::EOPNOTSUPP, "Operation not supported", "Not supported"),
    (libc::ESTALE, "Stale file handle", "Stale file handle"),
];

/// glibc's words for `errno`.
pub fn glibc(errno: i32) -> String {
    words(errno, |w| w.1)
}

/// musl's words for `errno`.
pub fn musl(errno: i32) -> String {
    words(errno, |w| w.2)
}

/// An I/O error as Rust shows it (`words (os error N)`), with glibc's
/// words for an OS error whichever library elfgate is linked with.
pub fn io(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(errno) => format!("{} (os error {errno})", glibc(errno)),
        None => e.to_string(),
    }
}

/// [`io`] as a `Display`, for `thiserror` messages.
pub struct Io<'e>(pub &'e std::io::Error);

impl std::fmt::Display for Io<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&io(self.0))
    }
}

/// One library's column of the table for `errno`, else the words at hand.
fn words(errno: i32, column: fn(&(i32, &'static str, &'static str)) -> &'static str) -> String {
    match WORDS.iter().find(|w| w.0 == errno) {
        Some(w) => column(w).to_string(),
        None => at_hand(errno),
    }
}

/// The words of the C library elfgate is linked with, without Rust's
/// `(os error N)` suffix.
fn at_hand(errno: i32) -> String {
    let s = std::io::Error::from_raw_os_error(errno).to_string();
    match s.rfind(" (os error ") {
        Some(cut) => s.get(..cut).unwrap_or(&s).to_string(),
        None => s,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The column of the C library the tests are linked with is its own
    /// `strerror`'s words, errno by errno.
    #[test]
    fn the_linked_library_agrees_with_its_column() {
        for &(errno, glibc_words, musl_words) in WORDS {
            let want = if cfg!(target_env = "musl") {
                musl_words
            } else {
                glibc_words
            };
            assert_eq!(at_hand(errno), want, "errno {errno}");
        }
        assert_eq!(glibc(libc::EIO), "Input/output error");
        assert_eq!(musl(libc::ELOOP), "Symbolic link loop");
    }

    /// Whichever library is linked, an OS error reads as glibc words it,
    /// in Rust's shape; any other error keeps its own message.
    #[test]
    fn io_errors_take_glibc_words() {
        let e = std::io::Error::from_raw_os_error(libc::ENAMETOOLONG);
        assert_eq!(io(&e), "File name too long (os error 36)");
        assert_eq!(Io(&e).to_string(), io(&e));
        assert_eq!(io(&std::io::Error::other("budget spent")), "budget spent");
    }
}
