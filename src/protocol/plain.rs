//! The plain-mode dialect: what a person on `nc` or telnet reads.
//!
//! One line per event, timestamped in the host's local time (a plain client has no way to
//! convert a UTC stamp itself). Notices start with `***` so they never look like chat, errors
//! start with `error:` as the protocol promises, and the shutdown line is exactly `<quit>`.

use std::cell::RefCell;

use chrono::{Local, NaiveDate};

use super::moderation_lines;
use super::wire::{Event, MessageKind, StoredMessage, Timestamp, TopicInfo};

/// Above this many people, welcomes and join notices stop listing names (`/list` still does).
const MAX_NAMES_IN_WELCOME: usize = 30;

/// The line a new connection gets before it has said anything: what to do, and how long it has
/// (`--handshake-timeout`), so that someone on `nc` is not cut off by surprise.
pub fn greeting(room: &str, seconds_to_answer: u64) -> String {
    format!(
        "chatroom: welcome to {room}. Type a nickname and press Enter (within {seconds_to_answer} s).\n"
    )
}

/// The greeting of a room with a password: the password comes first, on a line of its own.
/// (Clients tell it from the others with [`asks_for_password`].)
pub fn greeting_with_password(room: &str, seconds_to_answer: u64) -> String {
    format!(
        "chatroom: welcome to {room}. {PASSWORD_PLEASE}: type it and press Enter (within \
         {seconds_to_answer} s).\n"
    )
}

/// What a password greeting says, and what clients look for in it.
const PASSWORD_PLEASE: &str = "This room has a password";

/// Whether a greeting asks for the room's password before the nickname.
pub fn asks_for_password(greeting: &str) -> bool {
    greeting.starts_with("chatroom: welcome to ") && greeting.contains(PASSWORD_PLEASE)
}

/// The line after a right password, in plain mode: now the nickname.
pub fn password_accepted() -> &'static str {
    "chatroom: password accepted. Type a nickname and press Enter.\n"
}

/// The greeting a new connection gets instead when the room is full: it may still say hello (a
/// place may free up), but it knows before choosing a nickname that it will likely be refused.
pub fn greeting_when_full(room: &str, here: usize, max: usize) -> String {
    format!("chatroom: {room} is full ({here}/{max}); try again later.\n")
}

/// What a greeting says about a full room (`room is full (100/100)`), if it says the room is
/// full: how a client learns it before asking for a nickname.
pub fn full_room_in_greeting(greeting: &str) -> Option<String> {
    let rest = greeting.strip_prefix("chatroom: ")?;
    let (_, counts) = rest.rsplit_once(" is full (")?;
    let counts = counts.strip_suffix("); try again later.")?;
    Some(format!("room is full ({counts})"))
}

/// The commands, as `/help` lists them.
pub fn help() -> String {
    [
        "*** commands:",
        "***   /list (/who, /names)     who is here",
        "***   /msg NICK TEXT (/pm)     private message",
        "***   /me ACTION               action message",
        "***   /nick NEW                change your nickname",
        "***   /quit (/exit)            leave the room",
        "***   /ping                    check that the host answers",
        "***   /search WORDS            search the stored room (word* for prefixes)",
        "***   /topic [TEXT]            show the room's topic, or set it (/topic - clears)",
        "***   /away [MESSAGE]          mark yourself away; /back (or speaking) undoes it",
        "***   //text                   send a line that starts with /",
        "*** operators:",
        "***   /op PASSWORD             become an operator (host --op-password-file)",
        "***   /op NICK, /deop NICK     make someone an operator, or no longer one",
        "***   /kick NICK [REASON]      put someone out of the room",
        "***   /ban NICK|ADDRESS|RANGE [DURATION] [REASON]",
        "***                            refuse an address (10.0.0.7, 10.0.0.0/24); DURATION",
        "***                            is 30s, 10m, 2h, 1d or 1w (none: until lifted)",
        "***   /unban TARGET, /bans     lift a ban; list the bans",
        "***   /mute NICK [DURATION]    let someone read but not speak; /unmute NICK",
    ]
    .iter()
    .map(|line| format!("{line}\n"))
    .collect()
}

/// `HH:MM:SS` in the host's local time.
///
/// Every plain line carries one, and converting to local time and formatting cost more than the
/// rest of a message's rendering; a busy room renders thousands of lines within the same second,
/// so the text of the last second rendered is kept (per thread: the room's and the console's).
pub fn clock(ts: &Timestamp) -> String {
    thread_local! {
        static LAST: RefCell<(i64, String)> = const { RefCell::new((i64::MIN, String::new())) };
    }
    let second = ts.0.timestamp();
    LAST.with_borrow_mut(|(at, text)| {
        if *at != second {
            *text = ts.0.with_timezone(&Local).format("%H:%M:%S").to_string();
            *at = second;
        }
        text.clone()
    })
}

/// The confirmation a plain-mode sender gets for a private message.
pub fn pm_sent(ts: &Timestamp, to: &str, text: &str) -> String {
    format!("[{}] [pm to {to}] {text}\n", clock(ts))
}

/// "3 here: @alice, bob (away), carol", or just the count in a big room.
fn here(users: &[String], count: usize, operators: &[String], away: &[String]) -> String {
    if users.len() > MAX_NAMES_IN_WELCOME || users.len() < count {
        format!("{count} here; /list shows everyone")
    } else {
        here_all(users, operators, away)
    }
}

/// Who acted, as a plain line names them: the nickname, or the host's console.
fn actor(by: &Option<String>) -> &str {
    by.as_deref().unwrap_or("the host")
}

/// ` (why)`, or nothing.
fn because(reason: &Option<String>) -> String {
    reason
        .as_ref()
        .map(|reason| format!(" ({reason})"))
        .unwrap_or_default()
}

/// ` until 15:00 UTC` (with the date when it is not the day of `from`), or nothing.
fn until_text(until: &Option<Timestamp>, from: &Timestamp) -> String {
    match until {
        None => String::new(),
        Some(until) if until.0.date_naive() == from.0.date_naive() => {
            format!(" until {}", until.0.format("%H:%M UTC"))
        }
        Some(until) => format!(" until {}", until.0.format("%Y-%m-%d %H:%M UTC")),
    }
}

/// The answer to `/topic` without text.
fn topic_answer(text: &str, by: &Option<String>, ts: &Option<Timestamp>) -> String {
    match ts {
        Some(ts) if !text.is_empty() => {
            let topic = TopicInfo {
                text: text.to_string(),
                by: by.clone(),
                ts: *ts,
            };
            format!("{}\n", topic_line(&topic))
        }
        _ => "*** no topic\n".to_string(),
    }
}

/// `*** topic: release day (set by ana, 14:02 UTC)`: the welcome's and `/topic`'s line.
pub fn topic_line(topic: &TopicInfo) -> String {
    format!(
        "*** topic: {} (set by {}, {})",
        topic.text,
        actor(&topic.by),
        topic.ts.0.format("%H:%M UTC")
    )
}

/// What someone who marked themselves away reads.
pub fn you_are_away(message: Option<&str>) -> String {
    match message {
        Some(message) => format!("*** you are away: {message}\n"),
        None => "*** you are away\n".to_string(),
    }
}

/// The text of a room event (message, join, leave, rename) without its time, and its time.
///
/// Shared with the host's console and transcript, which stamp the same text differently.
pub fn room_line(event: &Event) -> Option<(&Timestamp, String)> {
    let line = match event {
        Event::Message {
            ts,
            from,
            kind,
            text,
            ..
        } => match kind {
            MessageKind::Say => (ts, format!("<{from}> {text}")),
            MessageKind::Me => (ts, format!("* {from} {text}")),
            MessageKind::Pm => (ts, format!("[pm from {from}] {text}")),
        },
        Event::Join {
            ts, nick, count, ..
        } => (ts, format!("*** {nick} joined ({count} here)")),
        Event::Leave {
            ts, nick, reason, ..
        } => (ts, format!("*** {nick} left ({})", reason.describe())),
        Event::Nick { ts, old, new, .. } => (ts, format!("*** {old} is now {new}")),
        Event::Presence {
            ts,
            joined,
            left,
            count,
            ..
        } => {
            let moves = match (joined, left) {
                (j, 0) => format!("{j} joined"),
                (0, l) => format!("{l} left"),
                (j, l) => format!("{j} joined and {l} left"),
            };
            (ts, format!("*** {moves} ({count} here)"))
        }
        // Deop, kick, ban, unban, mute, unmute, a topic change: as `join` words them too.
        _ => {
            let (ts, text) = moderation_lines::room_text(event, &Everyone)?;
            (ts, format!("*** {text}"))
        }
    };
    Some(line)
}

/// A plain line's reader: everyone alike (the same bytes go to every plain member), never
/// "you"; times in UTC.
struct Everyone;

impl moderation_lines::Reader for Everyone {
    fn is_me(&self, _: &str) -> bool {
        false
    }

    fn until(&self, until: Option<&Timestamp>, from: &Timestamp) -> String {
        until_text(&until.copied(), from)
    }
}

/// A message replayed from the room's history, as a plain reader sees it: `[14:02] <bob> hi`,
/// with the date (`[2026-12-05 14:02]`) when it was not said `today`. In UTC, unlike live lines:
/// the host cannot know the reader's zone, and the end-of-history line says so (see
/// [`history_end`]). `None` for anything but a public message.
pub fn history_line(event: &Event, today: NaiveDate) -> Option<String> {
    let Event::Message {
        kind: MessageKind::Say | MessageKind::Me,
        ..
    } = event
    else {
        return None;
    };
    let (ts, line) = room_line(event)?;
    let when = if ts.0.date_naive() == today {
        ts.0.format("%H:%M")
    } else {
        ts.0.format("%Y-%m-%d %H:%M")
    };
    Some(format!("[{when}] {line}\n"))
}

/// The line after a replayed history (sent only when there was some).
pub fn history_end(count: usize) -> String {
    let s = if count == 1 { "" } else { "s" };
    format!("*** end of history ({count} message{s}, times in UTC)\n")
}

/// The line saying a shared room's host lost its Redis or has it again (`room_reconnecting`,
/// `room_back`), for plain readers and `join` alike; `None` for other events.
pub fn outage_line(event: &Event) -> Option<String> {
    match event {
        Event::RoomReconnecting { reason } => Some(format!(
            "*** the room is reconnecting ({reason}); messages are refused until it is back"
        )),
        Event::RoomBack => Some("*** the room is back; messages are taken again".to_string()),
        _ => None,
    }
}

/// Renders an event for a plain-mode reader. Events plain readers never get (acks) render empty.
pub fn render(event: &Event) -> String {
    if let Some((ts, line)) = room_line(event) {
        return format!("[{}] {line}\n", clock(ts));
    }
    if let Some(line) = outage_line(event) {
        return format!("{line}\n");
    }
    match event {
        Event::Welcome {
            nick,
            room,
            motd,
            users,
            count,
            topic,
            operators,
            away,
            ..
        } => {
            let here = here(users, *count, operators, away);
            let mut out = format!("*** welcome to {room}, {nick} ({here})\n");
            if let Some(topic) = topic {
                out.push_str(&format!("{}\n", topic_line(topic)));
            }
            if let Some(motd) = motd {
                out.push_str(&format!("*** motd: {motd}\n"));
            }
            out.push_str("*** type /help for commands\n");
            out
        }
        Event::Users {
            users,
            operators,
            away,
            ..
        } => format!("*** {}\n", here_all(users, operators, away)),
        Event::Topic { text, by, ts, .. } => topic_answer(text, by, ts),
        Event::Bans { bans, .. } => bans_list(bans),
        Event::Away { nick, message, .. } => match message {
            Some(message) => format!("*** {nick} is away: {message}\n"),
            None => format!("*** {nick} is away\n"),
        },
        Event::Back { .. } => "*** you are back\n".to_string(),
        Event::Error { message, .. } => format!("error: {message}\n"),
        // Why, for people; then `<quit>`, the line the classic clients stop on.
        Event::Quit { reason } => format!("*** room closed: {reason}\n<quit>\n"),
        Event::Pong { .. } => "*** pong\n".to_string(),
        Event::SearchResults { query, results, .. } => {
            search_results(query, results, chrono::Utc::now().date_naive())
        }
        _ => String::new(),
    }
}

/// The answer to `/search`: a heading, the results newest first, and a closing line, so the end
/// is never in doubt.
fn search_results(query: &str, results: &[StoredMessage], today: NaiveDate) -> String {
    if results.is_empty() {
        return format!("*** search for \"{query}\": nothing found\n");
    }
    let count = match results.len() {
        1 => "1 message".to_string(),
        n => format!("{n} messages"),
    };
    let mut out = format!("*** search for \"{query}\": {count}, newest first (times in UTC)\n");
    for message in results {
        let event = Event::Message {
            seq: message.seq,
            ts: message.ts,
            from: message.from.clone(),
            kind: message.kind,
            to: None,
            text: message.text.clone(),
            history: false,
        };
        // Read like the history replayed on joining.
        out.push_str(&history_line(&event, today).unwrap_or_default());
    }
    out.push_str("*** end of search results\n");
    out
}

/// `/list` always names everyone, however many: operators marked `@`, those away `(away)`.
fn here_all(users: &[String], operators: &[String], away: &[String]) -> String {
    // Only the host's console, which is no member, can find the room empty.
    if users.is_empty() {
        return "no one is here".to_string();
    }
    let names: Vec<String> = users
        .iter()
        .map(|nick| {
            let op = if operators.contains(nick) { "@" } else { "" };
            let gone = if away.contains(nick) { " (away)" } else { "" };
            format!("{op}{nick}{gone}")
        })
        .collect();
    format!("{} here: {}", users.len(), names.join(", "))
}

/// The answer to `/bans`: one line per ban, and a closing line.
fn bans_list(bans: &[super::wire::BanEntry]) -> String {
    if bans.is_empty() {
        return "*** no bans\n".to_string();
    }
    let mut out = String::new();
    for ban in bans {
        out.push_str(&format!(
            "*** ban {} by {} at {}{}{}\n",
            ban.target,
            actor(&ban.by),
            ban.ts.0.format("%Y-%m-%d %H:%M UTC"),
            until_text(&ban.until, &ban.ts),
            because(&ban.reason)
        ));
    }
    let count = match bans.len() {
        1 => "1 ban".to_string(),
        n => format!("{n} bans"),
    };
    out.push_str(&format!("*** end of bans ({count})\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::wire::{Change, ErrorCode, LeaveReason, Limits};

    fn ts() -> Timestamp {
        Timestamp::now()
    }

    fn message(kind: MessageKind, text: &str) -> Event {
        Event::Message {
            seq: 1,
            ts: ts(),
            from: "bob".into(),
            kind,
            to: None,
            text: text.into(),
            history: false,
        }
    }

    #[test]
    fn clients_tell_a_password_greeting_from_the_others() {
        assert!(asks_for_password(&greeting_with_password("ops", 10)));
        assert!(!asks_for_password(&greeting("ops", 10)));
        assert!(!asks_for_password(&greeting_when_full("ops", 2, 2)));
        assert!(!greeting_with_password("ops", 10).starts_with('{'));
    }

    #[test]
    fn the_clock_is_local_time_and_follows_the_second() {
        use chrono::{TimeZone, Utc};
        let at = |secs, nanos| Timestamp(Utc.timestamp_opt(secs, nanos).unwrap());
        let direct = |ts: &Timestamp| ts.0.with_timezone(&Local).format("%H:%M:%S").to_string();
        for (secs, nanos) in [
            (1_700_000_000, 0),
            (1_700_000_000, 999_999_999),
            (1_700_000_001, 5),
        ] {
            assert_eq!(clock(&at(secs, nanos)), direct(&at(secs, nanos)));
        }
        // Back to an earlier second: the kept text is not reused for it.
        assert_eq!(clock(&at(1_600_000_000, 0)), direct(&at(1_600_000_000, 0)));
    }

    #[test]
    fn chat_lines_name_the_sender() {
        let line = render(&message(MessageKind::Say, "hello"));
        assert!(
            line.starts_with('[') && line.ends_with("] <bob> hello\n"),
            "{line}"
        );
        assert!(render(&message(MessageKind::Me, "waves")).ends_with("] * bob waves\n"));
        let pm = render(&message(MessageKind::Pm, "psst"));
        assert!(pm.ends_with("] [pm from bob] psst\n"), "{pm}");
    }

    #[test]
    fn history_lines_are_utc_with_the_date_when_not_today() {
        use chrono::{TimeZone, Utc};
        let said = |kind, text: &str| {
            let mut event = message(kind, text);
            if let Event::Message { ts, .. } = &mut event {
                *ts = Timestamp(Utc.with_ymd_and_hms(2026, 12, 5, 14, 2, 59).unwrap());
            }
            event
        };
        let that_day = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let next_day = NaiveDate::from_ymd_opt(2026, 12, 6).unwrap();
        assert_eq!(
            history_line(&said(MessageKind::Say, "hi"), that_day).as_deref(),
            Some("[14:02] <bob> hi\n")
        );
        assert_eq!(
            history_line(&said(MessageKind::Me, "waves"), next_day).as_deref(),
            Some("[2026-12-05 14:02] * bob waves\n")
        );
        assert_eq!(history_line(&said(MessageKind::Pm, "psst"), that_day), None);
        let join = Event::Join {
            seq: 2,
            ts: ts(),
            nick: "carol".into(),
            count: 4,
        };
        assert_eq!(history_line(&join, that_day), None);
        assert_eq!(
            history_end(1),
            "*** end of history (1 message, times in UTC)\n"
        );
        assert_eq!(
            history_end(3),
            "*** end of history (3 messages, times in UTC)\n"
        );
    }

    #[test]
    fn notices_are_distinct_from_chat() {
        let join = Event::Join {
            seq: 2,
            ts: ts(),
            nick: "carol".into(),
            count: 4,
        };
        assert!(render(&join).ends_with("] *** carol joined (4 here)\n"));
        let leave = Event::Leave {
            seq: 3,
            ts: ts(),
            nick: "carol".into(),
            reason: LeaveReason::Quit,
        };
        assert!(render(&leave).ends_with("] *** carol left (quit)\n"));
    }

    #[test]
    fn welcome_lists_people_and_motd() {
        let welcome = Event::Welcome {
            v: 1,
            nick: "alice".into(),
            room: "lobby".into(),
            motd: Some("be kind".into()),
            users: vec!["alice".into(), "bob".into()],
            count: 2,
            limits: Limits::EXAMPLE,
            topic: None,
            operators: Vec::new(),
            away: Vec::new(),
        };
        assert_eq!(
            render(&welcome),
            "*** welcome to lobby, alice (2 here: alice, bob)\n*** motd: be kind\n\
             *** type /help for commands\n"
        );
    }

    fn at(text: &str) -> Timestamp {
        Timestamp(text.parse().unwrap())
    }

    #[test]
    fn the_welcome_shows_the_topic_and_marks_operators_and_the_away() {
        let welcome = Event::Welcome {
            v: 1,
            nick: "carol".into(),
            room: "lobby".into(),
            motd: None,
            users: vec!["ana".into(), "bob".into(), "carol".into()],
            count: 3,
            limits: Limits::EXAMPLE,
            topic: Some(TopicInfo {
                text: "release day".into(),
                by: Some("ana".into()),
                ts: at("2026-12-07T14:02:00Z"),
            }),
            operators: vec!["ana".into()],
            away: vec!["bob".into()],
        };
        assert_eq!(
            render(&welcome),
            "*** welcome to lobby, carol (3 here: @ana, bob (away), carol)\n\
             *** topic: release day (set by ana, 14:02 UTC)\n*** type /help for commands\n"
        );
        let users = Event::Users {
            users: vec!["ana".into(), "bob".into(), "carol".into()],
            id: None,
            operators: vec!["ana".into()],
            away: vec!["bob".into()],
        };
        assert_eq!(render(&users), "*** 3 here: @ana, bob (away), carol\n");
        let empty = Event::Users {
            users: Vec::new(),
            id: None,
            operators: Vec::new(),
            away: Vec::new(),
        };
        assert_eq!(render(&empty), "*** no one is here\n");
    }

    #[test]
    fn moderation_lines_say_who_did_what() {
        let ts = at("2026-12-07T14:00:00Z");
        let line = |event: &Event| room_line(event).unwrap().1;
        let ana = Some("ana".to_string());
        // Who was acted on (`nick`) by whom (`by`: `None` is the console).
        let change = |nick: &str, by: Option<&str>| Change {
            seq: 1,
            ts,
            nick: nick.into(),
            by: by.map(String::from),
        };
        assert_eq!(
            line(&Event::Op(change("ana", Some("bob")))),
            "*** ana is now an operator (by bob)"
        );
        assert_eq!(
            line(&Event::Op(change("ana", Some("ana")))),
            "*** ana is now an operator",
            "an operator password: no \"(by ana)\""
        );
        assert_eq!(
            line(&Event::Op(change("ana", None))),
            "*** ana is now an operator (by the host)"
        );
        assert_eq!(
            line(&Event::Deop(change("ana", None))),
            "*** ana is no longer an operator (by the host)"
        );
        assert_eq!(
            line(&Event::Kick {
                change: change("eve", Some("ana")),
                reason: Some("spam".into())
            }),
            "*** eve was kicked by ana (spam)"
        );
        let ban =
            |target: &str, nicks: &[&str], by: Option<&str>, until: &str, reason: Option<&str>| {
                Event::Ban {
                    seq: 1,
                    ts,
                    target: target.into(),
                    nicks: nicks.iter().map(|nick| nick.to_string()).collect(),
                    by: by.map(String::from),
                    until: Some(at(until)),
                    reason: reason.map(String::from),
                }
            };
        assert_eq!(
            line(&ban(
                "10.0.0.7",
                &["eve"],
                Some("ana"),
                "2026-12-07T15:00:00Z",
                Some("spam")
            )),
            "*** ana banned 10.0.0.7 (eve) until 15:00 UTC (spam)"
        );
        assert_eq!(
            line(&ban("10.0.0.0/24", &[], None, "2026-12-09T15:00:00Z", None)),
            "*** the host banned 10.0.0.0/24 until 2026-12-09 15:00 UTC"
        );
        assert_eq!(
            line(&Event::Unban {
                seq: 1,
                ts,
                target: "10.0.0.7".into(),
                by: ana.clone()
            }),
            "*** ana lifted the ban on 10.0.0.7"
        );
        assert_eq!(
            line(&Event::Mute {
                change: change("eve", Some("ana")),
                until: Some(at("2026-12-07T14:05:00Z"))
            }),
            "*** eve was muted by ana until 14:05 UTC"
        );
        assert_eq!(
            line(&Event::Unmute(change("eve", Some("ana")))),
            "*** eve can speak again (by ana)"
        );
        let topic = |text: &str, seq| Event::Topic {
            seq,
            ts: Some(ts),
            text: text.into(),
            by: ana.clone(),
            id: None,
        };
        assert_eq!(
            line(&topic("release day", Some(2))),
            "*** topic: release day (set by ana)"
        );
        assert_eq!(line(&topic("", Some(3))), "*** ana cleared the topic");
        // Without a seq: the answer to /topic, not a change.
        assert_eq!(room_line(&topic("release day", None)), None);
        assert_eq!(
            render(&topic("release day", None)),
            "*** topic: release day (set by ana, 14:00 UTC)\n"
        );
        let none = Event::Topic {
            seq: None,
            ts: None,
            text: String::new(),
            by: None,
            id: None,
        };
        assert_eq!(render(&none), "*** no topic\n");
    }

    #[test]
    fn away_and_back_and_the_ban_list_read_plainly() {
        assert_eq!(you_are_away(Some("lunch")), "*** you are away: lunch\n");
        assert_eq!(you_are_away(None), "*** you are away\n");
        let away = Event::Away {
            nick: "bob".into(),
            message: Some("lunch".into()),
        };
        assert_eq!(render(&away), "*** bob is away: lunch\n");
        assert_eq!(
            render(&Event::Back { nick: "bob".into() }),
            "*** you are back\n"
        );
        let bans = Event::Bans {
            bans: vec![super::super::wire::BanEntry {
                target: "10.0.0.7".into(),
                ts: at("2026-12-07T14:00:00Z"),
                by: Some("ana".into()),
                until: Some(at("2026-12-07T15:00:00Z")),
                reason: Some("spam".into()),
            }],
            id: None,
        };
        assert_eq!(
            render(&bans),
            "*** ban 10.0.0.7 by ana at 2026-12-07 14:00 UTC until 15:00 UTC (spam)\n\
             *** end of bans (1 ban)\n"
        );
        let empty = Event::Bans {
            bans: vec![],
            id: None,
        };
        assert_eq!(render(&empty), "*** no bans\n");
    }

    #[test]
    fn errors_and_quit_follow_the_protocol() {
        let error = Event::Error {
            code: ErrorCode::RoomFull,
            message: "room is full (2/2)".into(),
            id: None,
        };
        assert_eq!(render(&error), "error: room is full (2/2)\n");
        assert_eq!(
            render(&Event::Quit {
                reason: "the host cannot write its store".into()
            }),
            "*** room closed: the host cannot write its store\n<quit>\n"
        );
        assert!(!greeting("lobby", 10).starts_with('{'));
        let full = greeting_when_full("ops team", 3, 3);
        assert!(!full.starts_with('{'));
        assert_eq!(
            full_room_in_greeting(full.trim_end()).as_deref(),
            Some("room is full (3/3)")
        );
        assert_eq!(
            full_room_in_greeting(greeting("lobby", 10).trim_end()),
            None
        );
        assert_eq!(
            greeting("ops", 30),
            "chatroom: welcome to ops. Type a nickname and press Enter (within 30 s).\n"
        );
    }

    #[test]
    fn search_results_read_like_history_in_utc() {
        let at = |text: &str| Timestamp(text.parse().unwrap());
        let today: NaiveDate = "2026-12-07".parse().unwrap();
        let results = vec![
            StoredMessage {
                seq: 9,
                ts: at("2026-12-07T14:03:21.042Z"),
                from: "ana".into(),
                kind: MessageKind::Say,
                text: "deploy done".into(),
            },
            StoredMessage {
                seq: 4,
                ts: at("2026-12-06T23:59:00.000Z"),
                from: "bo".into(),
                kind: MessageKind::Me,
                text: "deploys".into(),
            },
        ];
        assert_eq!(
            search_results("deploy*", &results, today),
            "*** search for \"deploy*\": 2 messages, newest first (times in UTC)\n\
             [14:03] <ana> deploy done\n\
             [2026-12-06 23:59] * bo deploys\n\
             *** end of search results\n"
        );
        assert_eq!(
            search_results("nope", &[], today),
            "*** search for \"nope\": nothing found\n"
        );
    }
}
