//! What a bench client reads: each line the host sends, sorted into the few kinds the bench
//! cares about.
//!
//! Only chat messages are measured; everything else (the greeting, welcomes, join and leave
//! notices, acks) is recognized and skipped. A line that fits no shape of the protocol is
//! reported as [`Inbound::Unreadable`], which the bench counts as corrupt: a host that splices or
//! truncates lines produces exactly those. Plain lines are picked apart by position, without
//! allocating, because a blast delivers millions of them a second; JSON lines go through serde
//! into borrowed fields, reusing the protocol's [`ErrorCode`].

use std::borrow::Cow;

use serde::Deserialize;

use crate::cli::BenchMode;
use crate::protocol::ErrorCode;

/// One line from the host, as the bench sees it.
#[derive(Debug, PartialEq, Eq)]
pub enum Inbound<'a> {
    /// A chat message (`say`) from `from`.
    Message { from: &'a [u8], text: Cow<'a, [u8]> },
    /// A message said before this client joined, replayed from the room's history after the
    /// welcome: never this run's (a room shared through Redis keeps an earlier run's).
    Replayed,
    /// The room let us in.
    Welcome,
    /// The host paced a sender (`--rate-limit` is on).
    SlowDown,
    /// Any other error, with the host's words (during the handshake: why we were turned away).
    Error(String),
    /// The host is shutting down.
    Quit,
    /// The host heard nothing from us for its keepalive interval: answer, or be let go.
    Ping,
    /// A line of the protocol the bench does not measure.
    Other,
    /// A line that fits no shape of the protocol.
    Unreadable,
}

/// Sorts one line (without its newline).
pub fn classify(mode: BenchMode, line: &[u8]) -> Inbound<'_> {
    match mode {
        BenchMode::Plain => classify_plain(line),
        BenchMode::Json => classify_json(line),
    }
}

/// Plain lines: `[HH:MM:SS] <nick> text`, `[HH:MM:SS] *** notice`, `error: ...`, `*** ...`.
fn classify_plain(line: &[u8]) -> Inbound<'_> {
    if line.first() == Some(&b'[') {
        // `[HH:MM:SS]` puts the bracket at 9: check there before searching (this runs once per
        // delivery, and a search call costs more than the whole check).
        let close = if line.get(9) == Some(&b']') {
            9
        } else {
            let Some(close) = memchr::memchr(b']', line) else {
                return Inbound::Unreadable;
            };
            close
        };
        let Some(rest) = line[close + 1..].strip_prefix(b" ") else {
            return Inbound::Unreadable;
        };
        // Live lines carry the time to the second (`[14:03:21]`); replayed ones to the minute,
        // with the date when not today (`[14:02]`, `[2026-12-05 14:02]`).
        if close != 9 && rest.starts_with(b"<") {
            return Inbound::Replayed;
        }
        if let Some(rest) = rest.strip_prefix(b"<") {
            // Nicknames never hold `>`, so the first `> ` ends it. (A plain memchr: building a
            // memmem searcher per line costs more than the whole search.)
            // Bench nicknames are `b` and five digits: try that before searching.
            let end = if rest.get(6) == Some(&b'>') {
                Some(6)
            } else {
                memchr::memchr(b'>', rest)
            };
            return match end {
                Some(end) if rest.get(end + 1) == Some(&b' ') => Inbound::Message {
                    from: &rest[..end],
                    text: Cow::Borrowed(&rest[end + 2..]),
                },
                _ => Inbound::Unreadable,
            };
        }
        // Notices, actions (`* nick ...`) and private messages.
        return if rest.starts_with(b"*") || rest.starts_with(b"[pm ") {
            Inbound::Other
        } else {
            Inbound::Unreadable
        };
    }
    if let Some(message) = line.strip_prefix(b"error: ") {
        return if message.starts_with(b"slow down") {
            Inbound::SlowDown
        } else {
            Inbound::Error(String::from_utf8_lossy(message).into_owned())
        };
    }
    if line.starts_with(b"*** welcome to ") {
        return Inbound::Welcome;
    }
    if line == b"<quit>" {
        return Inbound::Quit;
    }
    if line.starts_with(b"*** ") || line.starts_with(b"chatroom: ") {
        return Inbound::Other;
    }
    Inbound::Unreadable
}

/// The fields of any event the bench looks at; serde skips the rest.
#[derive(Deserialize)]
struct JsonLine<'a> {
    #[serde(rename = "type", borrow)]
    kind: Text<'a>,
    #[serde(default, borrow)]
    from: Option<Text<'a>>,
    #[serde(rename = "kind", default, borrow)]
    message_kind: Option<Text<'a>>,
    #[serde(default, borrow)]
    text: Option<Text<'a>>,
    #[serde(default)]
    code: Option<ErrorCode>,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    history: bool,
}

/// A JSON string that borrows from the line unless it holds escapes. (serde borrows a bare
/// `Cow<str>` field, but not one inside an `Option`: it would allocate for every message.)
struct Text<'a>(Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for Text<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct TextVisitor;
        impl<'de> serde::de::Visitor<'de> for TextVisitor {
            type Value = Text<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                v: &'de str,
            ) -> Result<Self::Value, E> {
                Ok(Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Text(Cow::Owned(v.to_string())))
            }
        }
        d.deserialize_str(TextVisitor)
    }
}

fn classify_json(line: &[u8]) -> Inbound<'_> {
    if line.first() != Some(&b'{') {
        // The greeting comes in plain text before the hello, in either dialect.
        return if line.starts_with(b"chatroom: ") {
            Inbound::Other
        } else {
            Inbound::Unreadable
        };
    }
    let Ok(parsed) = serde_json::from_slice::<JsonLine>(line) else {
        return Inbound::Unreadable;
    };
    match parsed.kind.0.as_ref() {
        "message" if parsed.history => Inbound::Replayed,
        "message" if parsed.message_kind.as_ref().map(|k| k.0.as_ref()) == Some("say") => {
            match (parsed.from.map(|t| t.0), parsed.text.map(|t| t.0)) {
                // The bench's nicknames never need escaping, so `from` borrows from the line.
                (Some(Cow::Borrowed(from)), Some(text)) => Inbound::Message {
                    from: from.as_bytes(),
                    text: match text {
                        Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
                        Cow::Owned(text) => Cow::Owned(text.into_bytes()),
                    },
                },
                (Some(Cow::Owned(_)), Some(_)) => Inbound::Other,
                _ => Inbound::Unreadable,
            }
        }
        "welcome" => Inbound::Welcome,
        "error" if parsed.code == Some(ErrorCode::SlowDown) => Inbound::SlowDown,
        "error" => Inbound::Error(parsed.message.unwrap_or_default()),
        "quit" => Inbound::Quit,
        "ping" => Inbound::Ping,
        _ => Inbound::Other,
    }
}

/// The client number in a bench nickname (`b00042` is 42); `None` for anyone else's nickname.
pub fn bench_client(nick: &[u8]) -> Option<u32> {
    let digits = nick.strip_prefix(b"b")?;
    if digits.len() < 5 || digits.len() > 9 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    // Nine digits at most, so this cannot overflow a u32: no checked arithmetic on a path that
    // runs once per delivery.
    Some(
        digits
            .iter()
            .fold(0u32, |n, &d| n * 10 + u32::from(d - b'0')),
    )
}

/// The nickname of client number `n` (from 1).
pub fn nick(n: u32) -> String {
    format!("b{n:05}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message<'a>(from: &'a str, text: &'a str) -> Inbound<'a> {
        Inbound::Message {
            from: from.as_bytes(),
            text: Cow::Borrowed(text.as_bytes()),
        }
    }

    #[test]
    fn plain_lines_are_sorted() {
        let plain = |line: &'static str| classify(BenchMode::Plain, line.as_bytes());
        assert_eq!(
            plain("[14:03:21] <b00002> 2:1:99:abc"),
            message("b00002", "2:1:99:abc")
        );
        assert_eq!(plain("[14:03:21] <bob> a > b"), message("bob", "a > b"));
        assert_eq!(plain("[14:02] <b00001> 1:1:99:abc"), Inbound::Replayed);
        assert_eq!(plain("[2026-12-05 14:02] <bob> hi"), Inbound::Replayed);
        assert_eq!(plain("[14:02] * bob waves"), Inbound::Other);
        assert_eq!(plain("[14:03:21] <bob>x"), Inbound::Unreadable);
        assert_eq!(plain("[14:03:21] <bob> "), message("bob", ""));
        assert_eq!(
            plain("[14:04:00] *** carol joined (4 here)"),
            Inbound::Other
        );
        assert_eq!(plain("[14:04:00] * bob waves"), Inbound::Other);
        assert_eq!(plain("[14:04:00] [pm from bob] psst"), Inbound::Other);
        assert_eq!(
            plain("chatroom: welcome to lobby. Type a nickname and press Enter (within 10 s)."),
            Inbound::Other
        );
        assert_eq!(
            plain("*** welcome to lobby, b00001 (1 here: b00001)"),
            Inbound::Welcome
        );
        assert_eq!(plain("*** type /help for commands"), Inbound::Other);
        assert_eq!(
            plain("error: slow down (limit 20 msg/s)"),
            Inbound::SlowDown
        );
        assert_eq!(
            plain("error: room is full (100/100)"),
            Inbound::Error("room is full (100/100)".into())
        );
        assert_eq!(plain("<quit>"), Inbound::Quit);
        // What a host that mangles lines would produce.
        assert_eq!(plain("[14:03:21] <b00002 2:1:99:abc"), Inbound::Unreadable);
        assert_eq!(plain("1:99:abc"), Inbound::Unreadable);
        assert_eq!(plain("[14:03:21"), Inbound::Unreadable);
    }

    #[test]
    fn json_lines_are_sorted() {
        let json = |line: &'static str| classify(BenchMode::Json, line.as_bytes());
        assert_eq!(
            json(
                r#"{"type":"message","seq":7,"ts":"2026-11-22T14:03:21.042Z","from":"b00002","kind":"say","text":"2:1:99:abc"}"#
            ),
            message("b00002", "2:1:99:abc")
        );
        assert_eq!(
            json(r#"{"type":"message","seq":8,"from":"bob","kind":"pm","to":"x","text":"t"}"#),
            Inbound::Other
        );
        assert_eq!(
            json(
                r#"{"type":"message","seq":3,"ts":"2026-11-22T14:03:21.042Z","from":"b00002","kind":"say","text":"2:1:99:abc","history":true}"#
            ),
            Inbound::Replayed
        );
        assert_eq!(
            json(
                r#"{"type":"welcome","v":1,"nick":"b00001","room":"lobby","motd":null,"users":["b00001"],"limits":{"max_line":4096,"rate":0,"burst":50,"max_clients":116}}"#
            ),
            Inbound::Welcome
        );
        assert_eq!(json(r#"{"type":"ack","id":1,"seq":7}"#), Inbound::Other);
        assert_eq!(
            json(r#"{"type":"join","seq":9,"nick":"b00003","count":3}"#),
            Inbound::Other
        );
        assert_eq!(
            json(r#"{"type":"error","code":"slow_down","message":"slow down (limit 20 msg/s)"}"#),
            Inbound::SlowDown
        );
        assert_eq!(
            json(r#"{"type":"error","code":"nick_taken","message":"nickname 'b00001' is taken"}"#),
            Inbound::Error("nickname 'b00001' is taken".into())
        );
        assert_eq!(
            json(r#"{"type":"quit","reason":"the host is shutting down"}"#),
            Inbound::Quit
        );
        assert_eq!(json(r#"{"type":"ping"}"#), Inbound::Ping);
        assert_eq!(
            json("chatroom: welcome to lobby. Type a nickname and press Enter (within 10 s)."),
            Inbound::Other
        );
        assert_eq!(
            json(r#"{"type":"message","from":"b00002","kind":"say","te"#),
            Inbound::Unreadable
        );
        assert_eq!(json("[14:03:21] <b00002> x"), Inbound::Unreadable);
    }

    #[test]
    fn bench_nicknames_carry_the_client_number() {
        assert_eq!(nick(42), "b00042");
        assert_eq!(nick(123_456), "b123456");
        assert_eq!(bench_client(b"b00042"), Some(42));
        assert_eq!(bench_client(b"b123456"), Some(123_456));
        assert_eq!(bench_client(b"bob"), None);
        assert_eq!(bench_client(b"b0042"), None);
        assert_eq!(bench_client(b"x00042"), None);
    }
}
