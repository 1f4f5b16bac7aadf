//! How a `join` session ends, whichever mode it ran in.
//!
//! The event thread, the signal handler and the user can each end a session, but only the main
//! thread acts on it: it turns an [`End`] into leaving politely, a notice, or an error and its
//! exit code.

use crate::client::acks::AckOutcome;
use crate::client::target::Target;
use crate::error::{Error, ExitStatus};

/// How a session ended.
#[derive(Debug)]
pub(super) enum End {
    /// The user left: `/quit`, Ctrl-D, Ctrl-C on an empty line, or the end of stdin.
    Left,
    /// A signal (SIGTERM, SIGHUP, or Ctrl-C outside the line editor) asked us to stop.
    Interrupted,
    /// The host shut the room down.
    RoomClosed,
    /// The connection broke; why.
    Lost(String),
    /// Reading the terminal failed.
    Failed(String),
}

impl End {
    /// The end an outcome means, if it means one.
    pub(super) fn of(outcome: &AckOutcome) -> Option<End> {
        match outcome {
            AckOutcome::RoomClosed(_) => Some(End::RoomClosed),
            AckOutcome::Lost(why) => Some(End::Lost(why.clone())),
            _ => None,
        }
    }
}

/// The error for a connection that broke before the session was over.
pub(super) fn lost(target: &Target, why: &str) -> Error {
    Error::new(
        ExitStatus::ConnectionLost,
        format!("{target}: connection lost: {why}"),
    )
}
