//! The session rules: what a line from a client means at the point of its life it has reached.
//!
//! A shard reads a line and asks [`interpret`] what to do with it, the way mini-redis turns a
//! frame into a command before applying it: before joining, a line is a nickname (which also
//! decides the dialect), or first the room's password when it has one; after it a request for
//! the room. The refusals and their wording, which
//! refusals end the connection, and the hint a plain-mode user gets live here too, so the
//! transport loop only moves bytes and the room only keeps the room. Everything is pure.

use crate::line::Line;
use crate::password::Password;
use crate::protocol::parse::{self, Handshake, Refusal, Replay, Request};
use crate::protocol::wire::MessageKey;
use crate::protocol::{ErrorCode, Event, Id, Mode};

/// What a line asks for.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Step {
    /// Nothing (a blank line).
    Nothing,
    /// Join the room as `nick`, speaking `mode`; unannounced when `announce` is false; with
    /// the room's password when the hello carried one.
    Hello {
        mode: Mode,
        nick: String,
        announce: bool,
        password: Option<Password>,
        /// Which history it gets after the welcome.
        replay: Replay,
    },
    /// A plain-mode line that is an attempt at the room's password, for the room to check.
    Unlock(Password),
    /// Leave before having joined.
    Leave,
    /// A member's request, for the room.
    Ask {
        id: Option<Id>,
        request: Request,
        /// A message's resend key (JSON only): the room takes each key once.
        key: Option<MessageKey>,
    },
    /// Tell the sender what was wrong; `close` when it cannot go on.
    Refuse { refusal: Refusal, close: bool },
}

/// What a line from a client who has not joined yet means, and the dialect to answer it in:
/// `mode` until a line looks like JSON, which is answered in JSON from then on even when it is
/// not a valid hello.
pub(crate) fn first_line(line: Line, mode: Mode, max_line: usize) -> (Mode, Step) {
    before_joining(line, mode, max_line, parse::parse_handshake)
}

/// Like [`first_line`], for a connection to a room with a password that has not given it yet:
/// a plain line is the password (a JSON hello carries its own).
pub(crate) fn password_line(line: Line, mode: Mode, max_line: usize) -> (Mode, Step) {
    before_joining(line, mode, max_line, parse::parse_password)
}

fn before_joining(
    line: Line,
    mode: Mode,
    max_line: usize,
    parse: fn(&str) -> Result<Handshake, Refusal>,
) -> (Mode, Step) {
    let text = match line {
        Line::Text(text) => text,
        Line::TooLong => return (mode, refuse_nick(mode, too_long(max_line))),
    };
    let mode = if text.trim_start().starts_with('{') {
        Mode::Json
    } else {
        mode
    };
    let step = match parse(&text) {
        Ok(Handshake::Blank) => Step::Nothing,
        Ok(Handshake::Quit) => Step::Leave,
        Ok(Handshake::Password(attempt)) => Step::Unlock(attempt),
        Ok(Handshake::Hello {
            mode,
            nick,
            announce,
            password,
            replay,
        }) => Step::Hello {
            mode,
            nick,
            announce,
            password,
            replay,
        },
        Err(refusal) => refuse_nick(mode, refusal),
    };
    (mode, step)
}

/// What a member's line asks of the room.
pub(crate) fn member_line(line: Line, mode: Mode, max_line: usize) -> Step {
    let parsed = match line {
        Line::TooLong => Err(too_long(max_line)),
        Line::Text(text) => match mode {
            Mode::Plain => parse::parse_plain(&text).map(|request| (None, request, None)),
            Mode::Json => parse::parse_json(&text).map(|i| (i.id, Some(i.request), i.key)),
        },
    };
    match parsed {
        // A pong is a sign of life, which the shard noted when it read it: nothing to ask.
        Ok((_, None | Some(Request::Pong), _)) => Step::Nothing,
        Ok((id, Some(request), key)) => Step::Ask { id, request, key },
        Err(refusal) => Step::Refuse {
            refusal,
            close: false,
        },
    }
}

/// A refused nickname or hello: the last try for a full room or an unknown protocol version, and
/// in plain mode a nudge to type another nickname when the nickname was the problem.
pub(crate) fn refuse_nick(mode: Mode, refusal: Refusal) -> Step {
    let close = matches!(
        refusal.code,
        ErrorCode::RoomFull
            | ErrorCode::UnsupportedVersion
            | ErrorCode::PasswordRequired
            | ErrorCode::BadPassword
            | ErrorCode::TooManyBadPasswords
            | ErrorCode::Banned
    );
    let refusal = if mode == Mode::Plain && refusal.code.is_nick_problem() {
        Refusal {
            message: format!("{}; type another nickname", refusal.message),
            ..refusal
        }
    } else {
        refusal
    };
    Step::Refuse { refusal, close }
}

/// The error a line over `--max-line` gets.
pub(crate) fn too_long(max_line: usize) -> Refusal {
    Refusal::new(
        ErrorCode::LineTooLong,
        format!("line is longer than {max_line} bytes; it was discarded"),
    )
}

/// The warning a member gets the first time it is paced in a flood.
pub(crate) fn slow_down(rate: u32) -> Refusal {
    Refusal::new(
        ErrorCode::SlowDown,
        format!("slow down (limit {rate} msg/s)"),
    )
}

/// The refusal of a private message to `nick`, who is not reading, once the host holds all it
/// may for such clients (`--max-queued`).
pub(crate) fn not_delivered(nick: &str) -> Refusal {
    Refusal::new(
        ErrorCode::NotDelivered,
        format!("{nick} is not reading; your message was not delivered"),
    )
}

/// The last words to a connection that sent no nickname (or, while `locked`, no password) in
/// time.
pub(crate) fn handshake_timeout(seconds: u64, locked: bool) -> Event {
    let what = if locked { "password" } else { "nickname" };
    Event::Error {
        code: ErrorCode::HandshakeTimeout,
        message: format!("no {what} received within {seconds} s; closing"),
        id: None,
    }
}

/// The error event for a refusal.
pub(crate) fn error_event(refusal: Refusal) -> Event {
    Event::Error {
        code: refusal.code,
        message: refusal.message,
        id: refusal.id,
    }
}

/// One best-effort line to a connection the host will not serve.
pub(crate) const TURNED_AWAY: &[u8] = b"error: too many connections; try again later\n";

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Line {
        Line::Text(s.to_string())
    }

    #[test]
    fn a_first_line_is_a_nickname_and_picks_the_dialect() {
        assert_eq!(
            first_line(text("ana"), Mode::Plain, 100),
            (
                Mode::Plain,
                Step::Hello {
                    mode: Mode::Plain,
                    nick: "ana".into(),
                    announce: true,
                    password: None,
                    replay: Replay::Recent,
                }
            )
        );
        let (mode, step) = first_line(
            text(r#"{"type":"hello","v":1,"nick":"bot"}"#),
            Mode::Plain,
            100,
        );
        assert_eq!(mode, Mode::Json);
        assert!(matches!(
            step,
            Step::Hello {
                mode: Mode::Json,
                ..
            }
        ));
        assert_eq!(
            first_line(text("   "), Mode::Plain, 100),
            (Mode::Plain, Step::Nothing)
        );
        assert_eq!(
            first_line(text("/quit"), Mode::Json, 100),
            (Mode::Json, Step::Leave)
        );
    }

    #[test]
    fn a_broken_json_hello_is_answered_in_json_and_may_be_retried() {
        let (mode, step) = first_line(text("{nope"), Mode::Plain, 100);
        assert_eq!(mode, Mode::Json);
        let Step::Refuse { refusal, close } = step else {
            panic!("expected a refusal, got {step:?}");
        };
        assert_eq!(refusal.code, ErrorCode::BadHello);
        assert!(!close);
        assert!(!refusal.message.contains("type another nickname"));
    }

    #[test]
    fn before_the_password_a_plain_line_is_an_attempt_at_it() {
        assert_eq!(
            password_line(text("ana"), Mode::Plain, 100),
            (Mode::Plain, Step::Unlock(Password::attempt("ana".into())))
        );
        let (mode, step) = password_line(
            text(r#"{"type":"hello","v":1,"nick":"bot","password":"pw"}"#),
            Mode::Plain,
            100,
        );
        assert_eq!(mode, Mode::Json);
        assert!(matches!(
            step,
            Step::Hello {
                password: Some(_),
                ..
            }
        ));
        assert_eq!(
            password_line(text("/quit"), Mode::Plain, 100),
            (Mode::Plain, Step::Leave)
        );
    }

    #[test]
    fn password_refusals_end_the_connection() {
        for code in [
            ErrorCode::PasswordRequired,
            ErrorCode::BadPassword,
            ErrorCode::TooManyBadPasswords,
        ] {
            let refused = refuse_nick(Mode::Json, Refusal::new(code, "no"));
            assert!(matches!(refused, Step::Refuse { close: true, .. }));
        }
    }

    #[test]
    fn plain_users_are_told_to_try_another_nickname() {
        let (_, step) = first_line(text("bad nick!"), Mode::Plain, 100);
        let Step::Refuse { refusal, close } = step else {
            panic!("expected a refusal, got {step:?}");
        };
        assert_eq!(refusal.code, ErrorCode::NickInvalid);
        assert!(refusal.message.ends_with("; type another nickname"));
        assert!(!close);
    }

    #[test]
    fn a_full_room_or_a_newer_protocol_ends_the_connection() {
        let full = Refusal::new(ErrorCode::RoomFull, "room is full (2/2)");
        assert!(matches!(
            refuse_nick(Mode::Plain, full),
            Step::Refuse { close: true, .. }
        ));
        let (_, step) = first_line(
            text(r#"{"type":"hello","v":99,"nick":"bot"}"#),
            Mode::Plain,
            100,
        );
        assert!(matches!(step, Step::Refuse { close: true, .. }));
    }

    #[test]
    fn member_lines_become_requests_or_refusals() {
        assert_eq!(
            member_line(text("hi all"), Mode::Plain, 100),
            Step::Ask {
                id: None,
                request: Request::Say("hi all".into()),
                key: None,
            }
        );
        assert!(matches!(
            member_line(text("/frobnicate"), Mode::Plain, 100),
            Step::Refuse {
                close: false,
                refusal: Refusal {
                    code: ErrorCode::UnknownCommand,
                    ..
                }
            }
        ));
        assert!(matches!(
            member_line(Line::TooLong, Mode::Json, 100),
            Step::Refuse {
                refusal: Refusal {
                    code: ErrorCode::LineTooLong,
                    ..
                },
                ..
            }
        ));
        assert_eq!(member_line(text(""), Mode::Plain, 100), Step::Nothing);
    }
}
