//! How the room's moderation events read: one wording (`ana was kicked by bob (spam)`) for plain
//! mode, the host's console and `chatroom join`, so that nc users and `join` users read the same
//! sentences (the README's "Running a room" shows them).
//!
//! What differs is who reads: a plain line goes to everyone alike and tells times in UTC, while
//! `join` says "you" where the line is about its user and tells times in the reader's zone. The
//! [`Reader`] says which. Peer text is cleaned here (a client does not trust the host's lines).

use super::wire::{Change, Event, Timestamp};
use crate::sanitize;

/// Who reads a line, and so how it names people and times.
pub trait Reader {
    /// Whether `nick` is the reader (then the line says "you").
    fn is_me(&self, nick: &str) -> bool;
    /// ` until 15:00 UTC` for a ban or mute made at `from`, or nothing for "until lifted".
    fn until(&self, until: Option<&Timestamp>, from: &Timestamp) -> String;
}

/// `nick`, or `you` when it is the reader.
pub fn name(nick: &str, reader: &impl Reader) -> String {
    if reader.is_me(nick) {
        "you".to_string()
    } else {
        sanitize::clean(nick)
    }
}

/// Who did it: the operator's nickname (`you` when it is the reader), or the host's console.
pub fn actor(by: Option<&str>, reader: &impl Reader) -> String {
    by.map_or_else(|| "the host".to_string(), |by| name(by, reader))
}

/// ` (text)`, or nothing for no text.
pub fn aside(text: Option<&str>) -> String {
    match text.map(sanitize::clean) {
        Some(text) if !text.is_empty() => format!(" ({text})"),
        _ => String::new(),
    }
}

/// `nick` and its verb, agreeing: `ana is`, `you are` (`was`, `were` in the past).
pub fn subject(nick: &str, past: bool, reader: &impl Reader) -> String {
    let verb = match (reader.is_me(nick), past) {
        (true, false) => "are",
        (true, true) => "were",
        (false, false) => "is",
        (false, true) => "was",
    };
    format!("{} {verb}", name(nick, reader))
}

/// `ana is now an operator (by bob)`; no `(by ...)` when `nick` made itself one (with the
/// operator password): "by itself" would say nothing.
fn standing(nick: &str, by: Option<&str>, what: &str, reader: &impl Reader) -> String {
    let by = match by {
        Some(by) if by.eq_ignore_ascii_case(nick) => String::new(),
        by => format!(" (by {})", actor(by, reader)),
    };
    format!("{} {what}{by}", subject(nick, false, reader))
}

/// The sentence for a moderation event the whole room sees (op, deop, kick, ban, unban, mute,
/// unmute, a topic change), without the `*** ` and the time, and its time; `None` for any other
/// event.
pub fn room_text<'e>(event: &'e Event, reader: &impl Reader) -> Option<(&'e Timestamp, String)> {
    let by = |by: &Option<String>| actor(by.as_deref(), reader);
    Some(match event {
        Event::Op(Change { ts, nick, by, .. }) => {
            (ts, standing(nick, by.as_deref(), "now an operator", reader))
        }
        Event::Deop(Change { ts, nick, by, .. }) => (
            ts,
            standing(nick, by.as_deref(), "no longer an operator", reader),
        ),
        Event::Kick {
            change: Change {
                ts, nick, by: who, ..
            },
            reason,
        } => (
            ts,
            format!(
                "{} kicked by {}{}",
                subject(nick, true, reader),
                by(who),
                aside(reason.as_deref())
            ),
        ),
        Event::Ban {
            ts,
            target,
            nicks,
            by: who,
            until,
            reason,
            ..
        } => {
            let closed: Vec<String> = nicks.iter().map(|nick| name(nick, reader)).collect();
            let closed = (!closed.is_empty()).then(|| closed.join(", "));
            let text = format!(
                "{} banned {}{}{}{}",
                by(who),
                sanitize::clean(target),
                aside(closed.as_deref()),
                reader.until(until.as_ref(), ts),
                aside(reason.as_deref())
            );
            (ts, text)
        }
        Event::Unban {
            ts,
            target,
            by: who,
            ..
        } => (
            ts,
            format!("{} lifted the ban on {}", by(who), sanitize::clean(target)),
        ),
        Event::Mute {
            change: Change {
                ts, nick, by: who, ..
            },
            until,
        } => {
            let read_on = match reader.is_me(nick) {
                true => " (you can still read)",
                false => "",
            };
            let text = format!(
                "{} muted by {}{}{read_on}",
                subject(nick, true, reader),
                by(who),
                reader.until(until.as_ref(), ts),
            );
            (ts, text)
        }
        Event::Unmute(Change {
            ts, nick, by: who, ..
        }) => (
            ts,
            format!("{} can speak again (by {})", name(nick, reader), by(who)),
        ),
        // A change; without a seq it is the answer to `/topic`, which reads otherwise.
        Event::Topic {
            seq: Some(_),
            ts: Some(ts),
            text,
            by: who,
            ..
        } => match sanitize::clean(text) {
            text if text.is_empty() => (ts, format!("{} cleared the topic", by(who))),
            text => (ts, format!("topic: {text} (set by {})", by(who))),
        },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads as `me`, times as the hour in UTC.
    struct As(&'static str);

    impl Reader for As {
        fn is_me(&self, nick: &str) -> bool {
            nick.eq_ignore_ascii_case(self.0)
        }
        fn until(&self, until: Option<&Timestamp>, _: &Timestamp) -> String {
            until.map_or_else(String::new, |t| format!(" until {}", t.0.format("%H:%M")))
        }
    }

    fn text(json: &str, me: &'static str) -> Option<String> {
        let event: Event = serde_json::from_str(json).unwrap();
        room_text(&event, &As(me)).map(|(_, text)| text)
    }

    const TS: &str = r#""seq":1,"ts":"2026-12-07T12:00:00.000Z""#;

    #[test]
    fn the_reader_is_you_and_agrees_with_its_verb() {
        let kick = format!(r#"{{"type":"kick",{TS},"nick":"eve","by":"ana","reason":"spam"}}"#);
        assert_eq!(text(&kick, "bob").unwrap(), "eve was kicked by ana (spam)");
        assert_eq!(text(&kick, "EVE").unwrap(), "you were kicked by ana (spam)");
        assert_eq!(text(&kick, "ana").unwrap(), "eve was kicked by you (spam)");
        let mute =
            format!(r#"{{"type":"mute",{TS},"nick":"eve","until":"2026-12-07T12:10:00.000Z"}}"#);
        assert_eq!(
            text(&mute, "bob").unwrap(),
            "eve was muted by the host until 12:10"
        );
        assert_eq!(
            text(&mute, "eve").unwrap(),
            "you were muted by the host until 12:10 (you can still read)"
        );
    }

    #[test]
    fn an_operator_by_its_own_password_is_not_made_one_by_itself() {
        let op = format!(r#"{{"type":"op",{TS},"nick":"ana","by":"ana"}}"#);
        assert_eq!(text(&op, "bob").unwrap(), "ana is now an operator");
        assert_eq!(text(&op, "ana").unwrap(), "you are now an operator");
        let op = format!(r#"{{"type":"op",{TS},"nick":"ana","by":"bob"}}"#);
        assert_eq!(
            text(&op, "carol").unwrap(),
            "ana is now an operator (by bob)"
        );
        let deop = format!(r#"{{"type":"deop",{TS},"nick":"ana"}}"#);
        assert_eq!(
            text(&deop, "ana").unwrap(),
            "you are no longer an operator (by the host)"
        );
    }

    #[test]
    fn a_ban_names_who_it_closed_and_peer_text_is_cleaned() {
        let ban = format!(
            r#"{{"type":"ban",{TS},"target":"10.0.0.7","nicks":["eve","bob"],"by":"ana",
            "reason":"x\u001b[2Jy"}}"#
        );
        assert_eq!(
            text(&ban, "bob").unwrap(),
            "ana banned 10.0.0.7 (eve, you) (xy)"
        );
        let topic = format!(r#"{{"type":"topic",{TS},"text":""}}"#);
        assert_eq!(text(&topic, "bob").unwrap(), "the host cleared the topic");
    }

    #[test]
    fn other_events_and_the_topic_answer_are_not_room_lines() {
        assert_eq!(text(r#"{"type":"topic","text":"x","id":3}"#, "bob"), None);
        assert_eq!(text(r#"{"type":"back","nick":"bob"}"#, "bob"), None);
        assert_eq!(text(r#"{"type":"bans","bans":[]}"#, "bob"), None);
    }
}
