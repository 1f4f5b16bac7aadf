//! One host per store: a lock file beside the database, held for as long as the host runs.
//!
//! SQLite would let two hosts open the same file, and their two rooms would then number
//! messages over each other. The operating system's lock on `room.lock` (released by the
//! system when the process ends, however it ends) makes the second host stop at start with a
//! clear error instead.

use std::fs::{File, OpenOptions, TryLockError};
use std::path::Path;

/// Why the store's lock could not be taken.
#[derive(Debug)]
pub(crate) enum LockError {
    /// Another process holds it.
    Held,
    Io(std::io::Error),
}

/// Takes the lock at `path`, creating the file if need be; held until the `File` is dropped.
pub(crate) fn take(path: &Path) -> Result<File, LockError> {
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(LockError::Io)?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(TryLockError::WouldBlock) => Err(LockError::Held),
        Err(TryLockError::Error(e)) => Err(LockError::Io(e)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("room.lock");
        let first = take(&path).unwrap();
        assert!(matches!(take(&path), Err(LockError::Held)));
        drop(first);
        take(&path).unwrap();
    }
}
