//! A room's password, as the host and the clients hold it: a secret that is never printed.
//!
//! [`Password`] keeps the text private: its `Debug` says `Password(<hidden>)`, nothing formats
//! it, and only [`Password::expose`] (to put it in a hello) and [`Password::digest`] read it.
//! The host compares [`Digest`]s, SHA-256 of both sides, in constant time: comparing digests
//! rather than the texts means neither the time taken nor an early exit says how long the
//! password is or how much of it was right.
//!
//! Both read a password from a file the same way ([`Password::from_file`]): its first line,
//! without the line end, so `echo secret > file` and an editor's trailing newline both work.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;

/// The longest password taken, in bytes: far more than anyone types or a password manager makes,
/// and short enough that the hello carrying it fits a room's default `--max-line` many times over.
pub const MAX_LEN: usize = 512;

/// The variable the password itself may come from (`host`, `join`, `send`).
pub const ENV_VAR: &str = "CHATROOM_PASSWORD";

/// A room's password (or an attempt at it).
#[derive(Clone)]
pub struct Password(String);

/// SHA-256 of a password: what the host keeps and compares.
#[derive(Clone, Copy)]
pub struct Digest([u8; 32]);

impl Password {
    /// A password from `text`, which came from `source` (named in the error); refused when empty,
    /// blank, or too long.
    pub fn new(text: &str, source: &str) -> Result<Password, String> {
        if text.trim().is_empty() {
            return Err(format!("the password from {source} is empty"));
        }
        if text.len() > MAX_LEN {
            return Err(format!(
                "the password from {source} is longer than {MAX_LEN} bytes"
            ));
        }
        if text.chars().any(char::is_control) {
            return Err(format!(
                "the password from {source} has control characters (only its first line is read)"
            ));
        }
        Ok(Password(text.to_string()))
    }

    /// What a client typed or sent as the password, as it is: an attempt is compared, never
    /// checked against the rules (a wrong one is simply wrong).
    pub fn attempt(text: String) -> Password {
        Password(text)
    }

    /// The first line of the file at `path`, without its `\n` or `\r\n`.
    pub fn from_file(path: &Path) -> Result<Password, String> {
        let shown = path.display();
        let file = std::fs::File::open(path).map_err(|e| {
            format!(
                "cannot read the password file {shown}: {}",
                crate::error::describe_io(&e)
            )
        })?;
        // Bounded: a wrong path (a log, a device) must not be read to its end.
        let mut first = Vec::new();
        BufReader::new(file.take(MAX_LEN as u64 + 2))
            .read_until(b'\n', &mut first)
            .map_err(|e| {
                format!(
                    "cannot read the password file {shown}: {}",
                    crate::error::describe_io(&e)
                )
            })?;
        if first.last() == Some(&b'\n') {
            first.pop();
        }
        if first.last() == Some(&b'\r') {
            first.pop();
        }
        let text = String::from_utf8(first)
            .map_err(|_| format!("the password file {shown} is not UTF-8 text"))?;
        Password::new(&text, &format!("the file {shown}"))
    }

    /// Whether a hello carrying this password fits in a line of `max_line` bytes (the password
    /// twice over, for escapes, and the hello's other fields), so the host can refuse at start a
    /// password its own `--max-line` would refuse.
    pub fn fits_in_line(&self, max_line: usize) -> bool {
        2 * self.0.len() + 128 <= max_line
    }

    /// The text, for the one place it goes: the hello a client sends.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn digest(&self) -> Digest {
        Digest(crate::digest::sha256(self.0.as_bytes()))
    }
}

impl Digest {
    /// Whether two digests are equal, in time that does not depend on where they differ.
    pub fn matches(&self, other: &Digest) -> bool {
        crate::digest::same(&self.0, &other.0)
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(<hidden>)")
    }
}

impl std::fmt::Debug for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Digest(<hidden>)")
    }
}

/// Equal when the digests match (constant time): for tests of parsed hellos.
impl PartialEq for Password {
    fn eq(&self, other: &Password) -> bool {
        self.digest().matches(&other.digest())
    }
}

impl Eq for Password {}

impl serde::Serialize for Password {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Password {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Password)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_match_only_for_the_same_text() {
        let right = Password::attempt("open sesame".into()).digest();
        assert!(right.matches(&Password::attempt("open sesame".into()).digest()));
        assert!(!right.matches(&Password::attempt("open sesame ".into()).digest()));
        assert!(!right.matches(&Password::attempt(String::new()).digest()));
    }

    #[test]
    fn the_text_never_shows_in_debug_output() {
        let password = Password::new("hunter2", "test").unwrap();
        assert!(!format!("{password:?} {:?}", password.digest()).contains("hunter2"));
    }

    #[test]
    fn empty_blank_long_or_multi_line_passwords_are_refused() {
        assert!(
            Password::new("", "--password")
                .unwrap_err()
                .contains("empty")
        );
        assert!(Password::new("  ", "--password").is_err());
        assert!(Password::new(&"x".repeat(MAX_LEN + 1), "x").is_err());
        assert!(Password::new("a\nb", "x").is_err());
        assert!(Password::new(&"x".repeat(MAX_LEN), "x").is_ok());
    }

    #[test]
    fn a_file_gives_its_first_line_without_the_line_end() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("pw");
        for (contents, expected) in [
            ("secret\n", "secret"),
            ("secret\r\nsecond line\n", "secret"),
            ("secret", "secret"),
            (" spaced out \n", " spaced out "),
        ] {
            std::fs::write(&path, contents).unwrap();
            assert_eq!(Password::from_file(&path).unwrap().expose(), expected);
        }
        std::fs::write(&path, "\nsecret\n").unwrap();
        let empty = Password::from_file(&path).unwrap_err();
        assert!(
            empty.contains("empty") && !empty.contains("secret"),
            "{empty}"
        );
        let missing = Password::from_file(&dir.path().join("nope")).unwrap_err();
        assert!(
            missing.starts_with("cannot read the password file"),
            "{missing}"
        );
    }
}
