//! Files a test hands to chatroom: a fresh directory for each test, and waiting for a line that
//! the host writes to a file.

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
