//! What can go wrong for a user, and the exit code each failure maps to.
//!
//! Scripts branch on exit codes, so every failure a user can hit belongs to one documented
//! [`ExitStatus`]. Errors are built where the failure is understood (with the address, the nick,
//! the rule that was broken) and printed once, by `main`, as a single `chatroom: ...` line.

use std::fmt;
use std::process::ExitCode;

/// Declares [`ExitStatus`] from one table. Each row's code and meaning become the variant's
/// discriminant and the first line of its doc comment, an arm of [`ExitStatus::code`] and
/// [`ExitStatus::meaning`], and an element of [`ExitStatus::ALL`]: nothing can list a status the
/// others miss.
macro_rules! exit_statuses {
    ($( $(#[$note:meta])* $variant:ident = $code:literal => $meaning:literal, )+) => {
        /// The documented exit codes: the one source of the README's "Exit codes" table and
        /// chatroom(1)'s EXIT STATUS section (`tests/exit_codes.rs` holds both to it).
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum ExitStatus {
            $(
                #[doc = concat!("`", stringify!($code), "`: ", $meaning, ".")]
                #[doc = ""]
                $(#[$note])*
                $variant = $code,
            )+
        }

        impl ExitStatus {
            /// Every status, in the order the docs list them.
            pub const ALL: [ExitStatus; [$(ExitStatus::$variant),+].len()] =
                [$(ExitStatus::$variant),+];

            /// The number the process exits with.
            pub const fn code(self) -> u8 {
                self as u8
            }

            /// What the status tells a script, in one line: the text the README's table and the
            /// man page show (Markdown code spans, like `join`, are bold in the man page).
            pub const fn meaning(self) -> &'static str {
                match self {
                    $(ExitStatus::$variant => $meaning,)+
                }
            }
        }
    };
}

exit_statuses! {
    Success = 0 => "success",
    Failure = 1 => "any other error: a bad option value, a log file that cannot be written, a \
                    message the room refused",
    /// clap reports its own parse errors with it; commands use it for arguments only they can
    /// judge (`chatroom man nope`, an impossible `bench` plan). The config file extends the
    /// command line, so every problem with it (unreadable, bad TOML, an unknown key, a value its
    /// option refuses) is a usage error too, reported before anything runs.
    Usage = 2 => "usage error: the command line or the config file could not be parsed",
    CannotConnect = 3 =>
        "cannot connect: the host refused, could not be resolved, or did not answer in time \
         (`host --redis`: the Redis could not be reached or refused the credentials at start)",
    Rejected = 4 => "rejected by the room: it is full, the nickname is taken or invalid, or the \
                     password is missing or wrong",
    ConnectionLost = 5 =>
        "connection lost: the connection broke or the host stopped answering mid-session",
    /// Like ssh's "REMOTE HOST IDENTIFICATION HAS CHANGED", it gets a code of its own so that
    /// a script can tell a possible interception from a host that is merely down.
    HostChanged = 6 => "host certificate changed: over TLS, the host presented another \
                        certificate than the `--fingerprint` given or the one `known_hosts` \
                        remembers for it (someone may be intercepting the connection)",
    /// A session the room ended on purpose is not a connection that broke: `join` does not
    /// reconnect after it, and a script should not retry in a loop either.
    Removed = 7 => "removed from the room: kicked or banned by an operator, or refused because \
                    the address is banned (`join` does not reconnect then)",
    /// The handlers are `ctrlc`'s, whose `termination` feature adds SIGTERM and SIGHUP. A
    /// command without one (`send`, a piped `join`) simply dies of the signal, which shells
    /// report as 128 + its number: 130 for Ctrl-C, 143 for SIGTERM.
    Interrupted = 130 => "interrupted: Ctrl-C, or SIGTERM or SIGHUP in `host`, `bench` and an \
                          interactive `join` (`host` closes the room and exits 0 on the first \
                          signal, 130 on a second; Ctrl-C on an empty `join` prompt leaves with 0)",
}

impl From<ExitStatus> for ExitCode {
    fn from(status: ExitStatus) -> Self {
        ExitCode::from(status.code())
    }
}

/// A failure to report to the user: one line of text and the exit code that goes with it.
#[derive(Debug)]
pub struct Error {
    status: ExitStatus,
    message: String,
    /// Whether trying again later may succeed: the host was unreachable, the connection broke,
    /// the room was full or still held our nickname. A client that retries (`send --retry`,
    /// `join` reconnecting) tries again only after these.
    transient: bool,
}

impl Error {
    pub fn new(status: ExitStatus, message: impl Into<String>) -> Self {
        Error {
            status,
            message: message.into(),
            transient: false,
        }
    }

    /// An error that trying again later may not repeat (see [`Error::is_transient`]).
    pub fn transient(status: ExitStatus, message: impl Into<String>) -> Self {
        Error {
            transient: true,
            ..Self::new(status, message)
        }
    }

    /// Whether trying again later may succeed.
    pub fn is_transient(&self) -> bool {
        self.transient
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

/// Writes one line to stderr. A closed or hung-up stderr is not an error and never a panic (as it
/// is for `eprintln!`), so this is what every diagnostic goes through, in long-running paths
/// above all: a host whose terminal closed must go on, and stop when told to.
pub fn to_stderr(line: impl std::fmt::Display) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{line}");
}

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
        let mut seen: Vec<u8> = codes.iter().map(|c| c.code()).collect();
        seen.sort_unstable();
        seen.dedup();
        assert_eq!(seen.len(), codes.len());
    }
}
