//! Files: a fresh directory for each test, waiting for a line that the host writes to a file,
//! and the repository's own checked-in files (the README, generated man pages).

use std::path::Path;
use std::thread;
use std::time::{Duration, Instant};

use super::TIMEOUT;

/// A fresh directory under the system temp dir, removed when dropped.
pub fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("chatroom-test-")
        .tempdir()
        .expect("a temporary directory")
}

/// Writes `password` and a newline to a file named `name` in `dir`, as `echo` would, and returns
/// its path as a string, for `--password-file`.
pub fn password_file(dir: &Path, name: &str, password: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, format!("{password}\n")).expect("write the password file");
    path.to_str().expect("a UTF-8 path").to_string()
}

/// Waits until the file at `path` has a line satisfying `pred` (the host writes it from its own
/// thread, so there is no event to wait on but the file itself) and returns the whole file.
pub fn wait_for_file_line(path: &Path, what: &str, pred: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.lines().any(&pred) {
            return text;
        }
        if Instant::now() >= deadline {
            panic!("{} never got {what}; it holds:\n{text}", path.display());
        }
        thread::sleep(Duration::from_millis(20));
    }
}

/// The repository's root, where `Cargo.toml`, the README and the generated folders are.
pub fn repo_root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The text of a checked-in file, by its path from the repository root.
pub fn repo_file(path: &str) -> String {
    let full = repo_root().join(path);
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("cannot read {}: {e}", full.display()))
}
