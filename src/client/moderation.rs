//! Running a room, as `join` speaks it on the wire: the moderation requests it sends (`op`,
//! `kick`, `ban`, `mute`, `topic`, `away`, ...) and the events it reads back, as the moderation
//! spec of issue 14 defines them.
//!
//! They are the client's own types, not `protocol::wire`'s: the wire module is the host's, and
//! it knows these events only as `unknown` on a host that does not speak them yet. The event
//! thread parses the raw line of such an event here ([`ModEvent::parse`]), and reads the fields
//! the moderation spec added to `welcome` and `users` ([`Marks`], [`RoomTopic`]) the same way,
//! so a host with or without them is read alike.

use serde::{Deserialize, Serialize};

use crate::password::Password;
use crate::protocol::{Id, Timestamp};

/// A moderation request, as typed (see `input.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModRequest {
    /// `/op WORD`: a member's nickname, or the room's operator password. Which, is decided when
    /// it is sent, from who is here ([`ModRequest::to_json_line`]); held as a [`Password`] until
    /// then so that it is never printed by mistake.
    Op(Password),
    Deop {
        nick: String,
    },
    Kick {
        nick: String,
        reason: Option<String>,
    },
    Ban {
        target: String,
        /// Whole seconds; `None`: until lifted.
        duration: Option<u64>,
        reason: Option<String>,
    },
    Unban {
        target: String,
    },
    Bans,
    Mute {
        nick: String,
        duration: Option<u64>,
    },
    Unmute {
        nick: String,
    },
    /// `None` asks for the topic; `Some("")` clears it.
    Topic {
        text: Option<String>,
    },
    Away {
        message: Option<String>,
    },
    Back,
}

/// A request as it goes on the wire, borrowed from a [`ModRequest`].
#[derive(Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Wire<'a> {
    Op {
        #[serde(skip_serializing_if = "Option::is_none")]
        nick: Option<&'a str>,
        #[serde(skip_serializing_if = "Option::is_none")]
        password: Option<&'a Password>,
        id: &'a Id,
    },
    Deop {
        nick: &'a str,
        id: &'a Id,
    },
    Kick {
        nick: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<&'a str>,
        id: &'a Id,
    },
    Ban {
        target: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        duration: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        reason: Option<&'a str>,
        id: &'a Id,
    },
    Unban {
        target: &'a str,
        id: &'a Id,
    },
    Bans {
        id: &'a Id,
    },
    Mute {
        nick: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        duration: Option<u64>,
        id: &'a Id,
    },
    Unmute {
        nick: &'a str,
        id: &'a Id,
    },
    Topic {
        #[serde(skip_serializing_if = "Option::is_none")]
        text: Option<&'a str>,
        id: &'a Id,
    },
    Away {
        #[serde(skip_serializing_if = "Option::is_none")]
        message: Option<&'a str>,
        id: &'a Id,
    },
    Back {
        id: &'a Id,
    },
}

impl ModRequest {
    /// The request as one JSON line (newline included) carrying `id`. `/op WORD` is sent as
    /// `nick` when `is_member(WORD)`, otherwise as `password`.
    pub fn to_json_line(&self, id: &Id, is_member: impl Fn(&str) -> bool) -> String {
        let wire = match self {
            ModRequest::Op(word) if is_member(word.expose()) => Wire::Op {
                nick: Some(word.expose()),
                password: None,
                id,
            },
            ModRequest::Op(word) => Wire::Op {
                nick: None,
                password: Some(word),
                id,
            },
            ModRequest::Deop { nick } => Wire::Deop { nick, id },
            ModRequest::Kick { nick, reason } => Wire::Kick {
                nick,
                reason: reason.as_deref(),
                id,
            },
            ModRequest::Ban {
                target,
                duration,
                reason,
            } => Wire::Ban {
                target,
                duration: *duration,
                reason: reason.as_deref(),
                id,
            },
            ModRequest::Unban { target } => Wire::Unban { target, id },
            ModRequest::Bans => Wire::Bans { id },
            ModRequest::Mute { nick, duration } => Wire::Mute {
                nick,
                duration: *duration,
                id,
            },
            ModRequest::Unmute { nick } => Wire::Unmute { nick, id },
            ModRequest::Topic { text } => Wire::Topic {
                text: text.as_deref(),
                id,
            },
            ModRequest::Away { message } => Wire::Away {
                message: message.as_deref(),
                id,
            },
            ModRequest::Back => Wire::Back { id },
        };
        let mut line = serde_json::to_string(&wire).expect("requests always serialize");
        line.push('\n');
        line
    }

    /// Whether the typed line carries a secret (an operator password, perhaps): kept out of
    /// the line editor's history, and masked on screen.
    pub fn is_secret(&self) -> bool {
        matches!(self, ModRequest::Op(_))
    }
}

/// A change of someone's standing: `op`, `deop`, `unmute`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct Change {
    #[serde(default)]
    pub seq: Option<u64>,
    pub ts: Option<Timestamp>,
    pub nick: String,
    /// The operator who did it; absent when the host's console did.
    pub by: Option<String>,
}

/// One entry of the ban list (the `bans` event).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct BanEntry {
    pub target: String,
    pub ts: Option<Timestamp>,
    pub by: Option<String>,
    pub until: Option<Timestamp>,
    pub reason: Option<String>,
}

/// The moderation events, as the host sends them.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ModEvent {
    Op(Change),
    Deop(Change),
    Kick {
        seq: Option<u64>,
        ts: Option<Timestamp>,
        nick: String,
        by: Option<String>,
        reason: Option<String>,
    },
    Ban {
        seq: Option<u64>,
        ts: Option<Timestamp>,
        /// The address or range banned (a nickname is resolved to its member's address).
        target: String,
        /// Who was closed by it.
        #[serde(default)]
        nicks: Vec<String>,
        by: Option<String>,
        until: Option<Timestamp>,
        reason: Option<String>,
    },
    Unban {
        seq: Option<u64>,
        ts: Option<Timestamp>,
        target: String,
        by: Option<String>,
    },
    /// The ban list, to the asker alone.
    Bans {
        #[serde(default)]
        bans: Vec<BanEntry>,
        id: Option<Id>,
    },
    Mute {
        seq: Option<u64>,
        ts: Option<Timestamp>,
        nick: String,
        by: Option<String>,
        until: Option<Timestamp>,
    },
    Unmute(Change),
    /// With `seq`: the topic changed (`""`: cleared). Without: the answer to `/topic`.
    Topic {
        seq: Option<u64>,
        ts: Option<Timestamp>,
        #[serde(default)]
        text: String,
        by: Option<String>,
        id: Option<Id>,
    },
    /// `nick` is away: ourselves (the answer to `/away`), or someone we sent a private message.
    Away {
        nick: String,
        message: Option<String>,
        id: Option<Id>,
    },
    Back {
        nick: String,
        id: Option<Id>,
    },
}

impl ModEvent {
    /// The moderation event in a raw event line; `None` for anything else (or a line that
    /// does not hold the fields the spec promises).
    pub fn parse(line: &str) -> Option<ModEvent> {
        serde_json::from_str(line).ok()
    }

    /// The room seq the event carries, if it is one every member sees.
    pub fn seq(&self) -> Option<u64> {
        match self {
            ModEvent::Op(change) | ModEvent::Deop(change) | ModEvent::Unmute(change) => change.seq,
            ModEvent::Kick { seq, .. }
            | ModEvent::Ban { seq, .. }
            | ModEvent::Unban { seq, .. }
            | ModEvent::Mute { seq, .. }
            | ModEvent::Topic { seq, .. } => *seq,
            ModEvent::Bans { .. } | ModEvent::Away { .. } | ModEvent::Back { .. } => None,
        }
    }

    /// The id of our request it answers, if it answers one.
    pub fn reply_to(&self) -> Option<u64> {
        match self {
            ModEvent::Bans { id, .. }
            | ModEvent::Topic { id, .. }
            | ModEvent::Away { id, .. }
            | ModEvent::Back { id, .. } => id.as_ref().and_then(Id::as_u64),
            _ => None,
        }
    }

    /// Why we are out of the room, if this event puts `me` out: a kick naming us, or a ban
    /// that closed us.
    pub fn removes(&self, me: &str) -> Option<Removal> {
        match self {
            ModEvent::Kick {
                nick, by, reason, ..
            } if nick.eq_ignore_ascii_case(me) => Some(Removal::Kicked {
                by: by.clone(),
                reason: reason.clone(),
            }),
            ModEvent::Ban {
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
            _ => None,
        }
    }
}

/// Why the room put us out: `join` does not come back after either.
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

/// Who is an operator and who is away: fields of `welcome` and `users`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct Marks {
    #[serde(default)]
    pub operators: Vec<String>,
    #[serde(default)]
    pub away: Vec<String>,
}

impl Marks {
    /// The marks in a `welcome` or `users` line (none, for a host that sends none).
    pub fn parse(line: &str) -> Marks {
        serde_json::from_str(line).unwrap_or_default()
    }
}

/// The room's topic, as the welcome gives it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct RoomTopic {
    pub text: String,
    pub by: Option<String>,
    pub ts: Option<Timestamp>,
}

impl RoomTopic {
    /// The topic in a `welcome` line, if the room has one.
    pub fn of_welcome(line: &str) -> Option<RoomTopic> {
        #[derive(Deserialize)]
        struct WithTopic {
            topic: Option<RoomTopic>,
        }
        let topic = serde_json::from_str::<WithTopic>(line).ok()?.topic?;
        (!topic.text.is_empty()).then_some(topic)
    }
}

/// The code of an `error` line, as the host spelled it (the moderation codes are unknown to
/// `protocol::ErrorCode`).
pub fn error_code(line: &str) -> Option<String> {
    #[derive(Deserialize)]
    #[serde(tag = "type", rename_all = "snake_case")]
    enum Raw {
        Error { code: String },
    }
    match serde_json::from_str(line).ok()? {
        Raw::Error { code } => Some(code),
    }
}

/// The error code a banned address is refused with.
pub const BANNED: &str = "banned";

#[cfg(test)]
mod tests {
    use super::*;

    fn line(request: &ModRequest, members: &[&str]) -> serde_json::Value {
        let line = request.to_json_line(&Id::from(7), |word| {
            members.iter().any(|m| m.eq_ignore_ascii_case(word))
        });
        assert!(line.ends_with('\n'));
        serde_json::from_str(&line).unwrap()
    }

    #[test]
    fn op_is_a_nick_for_a_member_and_a_password_otherwise() {
        let op = ModRequest::Op(Password::attempt("Bob".into()));
        assert_eq!(
            line(&op, &["ana", "bob"]),
            serde_json::json!({"type": "op", "nick": "Bob", "id": 7})
        );
        let op = ModRequest::Op(Password::attempt("s3cret".into()));
        assert_eq!(
            line(&op, &["ana", "bob"]),
            serde_json::json!({"type": "op", "password": "s3cret", "id": 7})
        );
        assert!(op.is_secret());
        assert!(!format!("{op:?}").contains("s3cret"), "{op:?}");
    }

    #[test]
    fn requests_follow_the_spec() {
        let cases = [
            (
                ModRequest::Ban {
                    target: "10.0.0.0/24".into(),
                    duration: Some(600),
                    reason: Some("spam".into()),
                },
                serde_json::json!({"type": "ban", "target": "10.0.0.0/24", "duration": 600,
                    "reason": "spam", "id": 7}),
            ),
            (
                ModRequest::Ban {
                    target: "eve".into(),
                    duration: None,
                    reason: None,
                },
                serde_json::json!({"type": "ban", "target": "eve", "id": 7}),
            ),
            (
                ModRequest::Kick {
                    nick: "eve".into(),
                    reason: None,
                },
                serde_json::json!({"type": "kick", "nick": "eve", "id": 7}),
            ),
            (
                ModRequest::Mute {
                    nick: "eve".into(),
                    duration: Some(30),
                },
                serde_json::json!({"type": "mute", "nick": "eve", "duration": 30, "id": 7}),
            ),
            (
                ModRequest::Topic { text: None },
                serde_json::json!({"type": "topic", "id": 7}),
            ),
            (
                ModRequest::Topic {
                    text: Some(String::new()),
                },
                serde_json::json!({"type": "topic", "text": "", "id": 7}),
            ),
            (
                ModRequest::Away { message: None },
                serde_json::json!({"type": "away", "id": 7}),
            ),
            (
                ModRequest::Bans,
                serde_json::json!({"type": "bans", "id": 7}),
            ),
            (
                ModRequest::Back,
                serde_json::json!({"type": "back", "id": 7}),
            ),
            (
                ModRequest::Unban {
                    target: "10.0.0.7".into(),
                },
                serde_json::json!({"type": "unban", "target": "10.0.0.7", "id": 7}),
            ),
        ];
        for (request, expected) in cases {
            assert_eq!(line(&request, &[]), expected, "{request:?}");
        }
    }

    #[test]
    fn events_of_the_spec_are_read() {
        let ban = ModEvent::parse(
            r#"{"type":"ban","seq":23,"ts":"2026-12-07T14:00:00.000Z","target":"10.0.0.7",
            "nicks":["eve"],"by":"ana","until":"2026-12-07T15:00:00.000Z","reason":"spam"}"#,
        )
        .unwrap();
        assert_eq!(ban.seq(), Some(23));
        assert!(matches!(ban.removes("EVE"), Some(Removal::Banned { .. })));
        assert_eq!(ban.removes("bob"), None);
        let kick = ModEvent::parse(
            r#"{"type":"kick","seq":2,"ts":"2026-12-07T14:00:00.000Z","nick":"eve"}"#,
        )
        .unwrap();
        assert_eq!(
            kick.removes("eve"),
            Some(Removal::Kicked {
                by: None,
                reason: None
            })
        );
        let answer = ModEvent::parse(r#"{"type":"topic","text":"x","id":3}"#).unwrap();
        assert_eq!((answer.seq(), answer.reply_to()), (None, Some(3)));
        let bans = ModEvent::parse(r#"{"type":"bans","bans":[{"target":"10.0.0.7"}],"id":5}"#);
        assert!(matches!(bans, Some(ModEvent::Bans { ref bans, .. }) if bans.len() == 1));
        assert_eq!(ModEvent::parse(r#"{"type":"message"}"#), None);
        assert_eq!(ModEvent::parse(r#"{"type":"kick"}"#), None, "no nick");
    }

    #[test]
    fn welcome_fields_are_read_when_present() {
        let welcome = r#"{"type":"welcome","topic":{"text":"release day","by":"ana",
            "ts":"2026-12-07T14:02:00.000Z"},"operators":["ana"],"away":["bob"]}"#;
        let topic = RoomTopic::of_welcome(welcome).unwrap();
        assert_eq!(
            (topic.text.as_str(), topic.by.as_deref()),
            ("release day", Some("ana"))
        );
        assert_eq!(
            Marks::parse(welcome),
            Marks {
                operators: vec!["ana".into()],
                away: vec!["bob".into()]
            }
        );
        assert_eq!(RoomTopic::of_welcome(r#"{"type":"welcome"}"#), None);
        assert_eq!(Marks::parse(r#"{"type":"welcome"}"#), Marks::default());
    }

    #[test]
    fn error_codes_are_read_as_spelled() {
        let line = r#"{"type":"error","code":"banned","message":"banned until 15:00 UTC"}"#;
        assert_eq!(error_code(line).as_deref(), Some(BANNED));
        assert_eq!(error_code(r#"{"type":"ack"}"#), None);
    }
}
