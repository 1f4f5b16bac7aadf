//! What can go wrong for a user, and the exit code each failure maps to.
//!
//! Scripts branch on exit codes, so every failure a user can hit belongs to one documented
//! [`ExitStatus`]. Errors are built where the failure is understood (with the address, the nick,
//! the rule that was broken) and printed once, by `main`, as a single `chatroom: ...` line.

use std::fmt;
use std::process::ExitCode;

/// The documented exit codes (see the README's "Exit codes" section).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// 0: everything worked.
    Success = 0,
    /// 1: any other failure: a bad argument value, an unwritable log file, a message the room
    /// refused (unknown recipient, too long).
    Failure = 1,
    /// 2: the command line could not be parsed (clap reports these itself).
    Usage = 2,
    /// 3: the host could not be reached: refused, unresolvable or timed out.
    CannotConnect = 3,
    /// 4: the room turned us away: full, nickname taken or invalid.
    Rejected = 4,
    /// 5: the connection broke (or the host stopped answering) before the work was done.
    ConnectionLost = 5,
    /// 130: interrupted by Ctrl-C.
    Interrupted = 130,
}

impl ExitStatus {
    /// Every status, in the order the docs list them.
    pub const ALL: [ExitStatus; 7] = [
        ExitStatus::Success,
        ExitStatus::Failure,
        ExitStatus::Usage,
        ExitStatus::CannotConnect,
        ExitStatus::Rejected,
        ExitStatus::ConnectionLost,
        ExitStatus::Interrupted,
    ];
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status as u8)
    }
}

/// A failure to report to the user: one line of text and the exit code that goes with it.
#[derive(Debug)]
pub struct Error {
    status: ExitStatus,
    message: String,
}

impl Error {
    pub fn new(status: ExitStatus, message: impl Into<String>) -> Self {
        Error {
            status,
            message: message.into(),
        }
    }

    /// A generic failure (exit code 1).
    pub fn failure(message: impl Into<String>) -> Self {
        Self::new(ExitStatus::Failure, message)
    }

    pub fn status(&self) -> ExitStatus {
        self.status
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Describes an I/O error the way a person would say it: "connection refused", not
/// "Connection refused (os error 111)".
pub fn describe_io(err: &std::io::Error) -> String {
    use std::io::ErrorKind::*;
    let text = match err.kind() {
        ConnectionRefused => "connection refused",
        ConnectionReset => "connection reset by the host",
        ConnectionAborted => "connection aborted",
        NotConnected => "not connected",
        AddrInUse => "address already in use",
        AddrNotAvailable => "address not available on this machine",
        BrokenPipe => "connection closed by the host",
        TimedOut | WouldBlock => "timed out",
        PermissionDenied => "permission denied",
        NotFound => "not found",
        UnexpectedEof => "connection closed by the host",
        HostUnreachable => "host unreachable",
        NetworkUnreachable => "network unreachable",
        _ => return strip_os_error(&err.to_string()),
    };
    text.to_string()
}

/// std appends " (os error N)" to OS errors; users do not need the number.
fn strip_os_error(text: &str) -> String {
    let trimmed = match text.rfind(" (os error ") {
        Some(at) if text.ends_with(')') => &text[..at],
        _ => text,
    };
    let mut chars = trimmed.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;

    #[test]
    fn io_errors_read_like_sentences() {
        let refused = io::Error::from(io::ErrorKind::ConnectionRefused);
        assert_eq!(describe_io(&refused), "connection refused");
        let other = io::Error::other("Something odd (os error 99)");
        assert_eq!(describe_io(&other), "something odd");
    }

    #[test]
    fn exit_codes_are_distinct() {
        let codes = ExitStatus::ALL;
        let mut seen: Vec<u8> = codes.iter().map(|c| *c as u8).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), codes.len());
    }
}
