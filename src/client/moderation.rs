//! Being put out of the room: which events end a `join` session for good (a kick naming us, a
//! ban that closed us, a `banned` refusal), and why, for the message it ends with.
//!
//! The events themselves are the protocol's ([`Event`]); this is the one decision about them
//! that only a client makes: whether to come back.

use crate::protocol::wire::Change;
use crate::protocol::{ErrorCode, Event, Timestamp};

/// Why the room put us out: `join` does not come back after any of these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Removal {
    Kicked {
        by: Option<String>,
        reason: Option<String>,
    },
    Banned {
        by: Option<String>,
        until: Option<Timestamp>,
        reason: Option<String>,
    },
    /// The host refused us with a `banned` error; its message says until when and why.
    Refused(String),
}

/// Whether `event` puts `me` out of the room: a kick naming us, a ban that closed us, or a
/// `banned` error.
pub fn removal(event: &Event, me: &str) -> Option<Removal> {
    match event {
        Event::Kick {
            change: Change { nick, by, .. },
            reason,
        } if nick.eq_ignore_ascii_case(me) => Some(Removal::Kicked {
            by: by.clone(),
            reason: reason.clone(),
        }),
        Event::Ban {
            nicks,
            by,
            until,
            reason,
            ..
        } if nicks.iter().any(|n| n.eq_ignore_ascii_case(me)) => Some(Removal::Banned {
            by: by.clone(),
            until: *until,
            reason: reason.clone(),
        }),
        Event::Error {
            code: ErrorCode::Banned,
            message,
            ..
        } => Some(Removal::Refused(message.clone())),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(line: &str) -> Event {
        serde_json::from_str(line).unwrap()
    }

    #[test]
    fn a_kick_or_a_ban_naming_us_puts_us_out() {
        let ban = event(
            r#"{"type":"ban","seq":23,"ts":"2026-12-07T14:00:00.000Z","target":"10.0.0.7",
            "nicks":["eve"],"by":"ana","until":"2026-12-07T15:00:00.000Z","reason":"spam"}"#,
        );
        assert!(matches!(removal(&ban, "EVE"), Some(Removal::Banned { .. })));
        assert_eq!(removal(&ban, "bob"), None);
        let kick = event(r#"{"type":"kick","seq":2,"ts":"2026-12-07T14:00:00.000Z","nick":"eve"}"#);
        assert_eq!(
            removal(&kick, "eve"),
            Some(Removal::Kicked {
                by: None,
                reason: None
            })
        );
        assert_eq!(removal(&kick, "ana"), None);
    }

    #[test]
    fn a_banned_error_puts_us_out_and_other_errors_do_not() {
        let banned =
            event(r#"{"type":"error","code":"banned","message":"banned until 15:00 UTC"}"#);
        assert_eq!(
            removal(&banned, "ana"),
            Some(Removal::Refused("banned until 15:00 UTC".into()))
        );
        let muted = event(r#"{"type":"error","code":"muted","message":"you are muted"}"#);
        assert_eq!(removal(&muted, "ana"), None);
    }
}
