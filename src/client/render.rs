//! What `chatroom join` prints: events turned into lines, nicknames into colors.
//!
//! Everything here is a pure function of its inputs (the event, who we are, the style, the time
//! zone), so each rendering rule is unit-tested without a terminal. All peer text goes through
//! [`sanitize::clean`] first: the host already strips control characters, and a client that
//! trusted it would be one bug away from letting a peer repaint our screen.
//!
//! Colors come from `colored`, whose global override `color::init` sets once at start-up; when
//! a [`Style`] says no colors, `colored` is not called at all, so the plain rendering does not
//! depend on that global.

use chrono::{Local, TimeZone};
use colored::{Color, ColoredString, Colorize};

use super::connection::Welcome;
use crate::protocol::plain;
use crate::protocol::wire::{Event, MessageKind, Timestamp};
use crate::sanitize;

/// How lines look, fixed at start-up from the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub color: bool,
    pub timestamps: bool,
}

/// Colors that read well on both dark and light backgrounds: no black, white, plain blue (too
/// dark on black) or plain yellow (too pale on white).
const PALETTE: [Color; 10] = [
    Color::Red,
    Color::Green,
    Color::Magenta,
    Color::Cyan,
    Color::BrightRed,
    Color::BrightGreen,
    Color::BrightBlue,
    Color::BrightMagenta,
    Color::BrightCyan,
    Color::BrightYellow,
];

/// The color of a nickname: the same for everyone, in every run, on every machine.
///
/// A fixed hash (FNV-1a) rather than std's `DefaultHasher`, whose keys are random per process,
/// so that alice is the same color on every screen. Nicknames are unique ignoring case, so the
/// case is ignored here too.
pub fn nick_color(nick: &str) -> Color {
    let mut hash: u32 = 0x811c_9dc5;
    for byte in nick.bytes().map(|b| b.to_ascii_lowercase()) {
        hash ^= u32::from(byte);
        hash = hash.wrapping_mul(0x0100_0193);
    }
    PALETTE[hash as usize % PALETTE.len()]
}

/// Whether `text` mentions `nick`: as a whole word, ignoring case ("Ana:", "@ana", "ana." but
/// not "banana" or "ana_b").
pub fn mentions(text: &str, nick: &str) -> bool {
    if nick.is_empty() {
        return false;
    }
    // Nicknames are ASCII, so ASCII lowercasing keeps byte offsets aligned with `text`.
    let haystack = text.to_ascii_lowercase();
    let needle = nick.to_ascii_lowercase();
    let is_word = |c: char| c.is_alphanumeric() || c == '_' || c == '-';
    haystack.match_indices(&needle).any(|(at, _)| {
        let before = haystack[..at].chars().next_back();
        let mut after = haystack[at + needle.len()..].chars();
        let starts_word = !before.is_some_and(|c| is_word(c) || c == '.');
        let ends_word = match after.next() {
            None => true,
            // A dot ends a sentence ("thanks ana.") unless a nickname goes on ("ana.b").
            Some('.') => !after.next().is_some_and(is_word),
            Some(c) => !is_word(c),
        };
        starts_word && ends_word
    })
}

/// A line to print, and whether it mentions us (the caller rings the bell).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedLine {
    pub text: String,
    pub mention: bool,
}

impl RenderedLine {
    fn plain(text: String) -> Self {
        RenderedLine {
            text,
            mention: false,
        }
    }
}

/// Renders events for one reader: their style, their time zone.
pub struct Renderer<Tz: TimeZone = Local>
where
    Tz::Offset: std::fmt::Display,
{
    style: Style,
    zone: Tz,
}

impl Renderer<Local> {
    /// Times shown in the reader's local time zone.
    pub fn new(style: Style) -> Self {
        Renderer { style, zone: Local }
    }
}

impl<Tz: TimeZone> Renderer<Tz>
where
    Tz::Offset: std::fmt::Display,
{
    /// Times shown in `zone` (tests use a fixed one).
    pub fn in_zone(style: Style, zone: Tz) -> Self {
        Renderer { style, zone }
    }

    /// `text` styled by `paint` when colors are on, as it is otherwise.
    fn paint(&self, text: &str, paint: impl FnOnce(ColoredString) -> ColoredString) -> String {
        if self.style.color {
            paint(text.normal()).to_string()
        } else {
            text.to_string()
        }
    }

    /// `[HH:MM] ` in the reader's zone, or nothing with `--no-timestamps`.
    fn stamp(&self, ts: &Timestamp) -> String {
        if !self.style.timestamps {
            return String::new();
        }
        let clock = ts.0.with_timezone(&self.zone).format("%H:%M").to_string();
        format!("{} ", self.paint(&format!("[{clock}]"), |s| s.dimmed()))
    }

    /// A nickname in its color; ours in bold, so our own lines stand out.
    fn nick(&self, nick: &str, me: &str) -> String {
        let nick = sanitize::clean(nick);
        let ours = nick.eq_ignore_ascii_case(me);
        self.paint(&nick, |s| {
            let s = s.color(nick_color(&nick));
            if ours { s.bold() } else { s }
        })
    }

    /// A notice from the room or from this client: `*** text`, dimmed.
    pub fn notice(&self, text: &str) -> String {
        self.paint(&format!("*** {text}"), |s| s.dimmed())
    }

    /// Something that went wrong: `error: text`, in red.
    pub fn error(&self, text: &str) -> String {
        self.paint(&format!("error: {}", sanitize::clean(text)), |s| s.red())
    }

    /// `*** 3 here: alice, bob, carol`, each name in its color.
    pub fn users(&self, users: &[String], me: &str) -> String {
        let names: Vec<String> = users.iter().map(|u| self.nick(u, me)).collect();
        let head = self.paint(&format!("*** {} here:", users.len()), |s| s.dimmed());
        format!("{head} {}", names.join(", "))
    }

    /// What we see on joining: the room, who is here, the message of the day.
    pub fn welcome(&self, welcome: &Welcome) -> Vec<String> {
        let me = &welcome.nick;
        let mut lines = vec![
            self.notice(&format!(
                "welcome to {}, {}",
                sanitize::clean(&welcome.room),
                sanitize::clean(me)
            )),
            if welcome.users.len() < welcome.count {
                self.notice(&format!("{} here; /list shows everyone", welcome.count))
            } else {
                self.users(&welcome.users, me)
            },
        ];
        if let Some(motd) = &welcome.motd {
            lines.push(self.notice(&format!("motd: {}", sanitize::clean(motd))));
        }
        lines.push(self.notice("type /help for commands; Tab completes nicknames"));
        lines
    }

    /// The confirmation of a private message we sent.
    pub fn pm_sent(&self, ts: &Timestamp, to: &str, text: &str) -> String {
        let marker = self.paint(&format!("[pm to {}]", sanitize::clean(to)), |s| {
            s.magenta().bold()
        });
        format!("{}{marker} {}", self.stamp(ts), sanitize::clean(text))
    }

    /// The line for a room event, or `None` for events that are not shown as such (acks,
    /// welcomes, quits: the caller handles those).
    pub fn event(&self, event: &Event, me: &str) -> Option<RenderedLine> {
        let line = match event {
            Event::Message {
                ts,
                from,
                kind,
                to,
                text,
                ..
            } => {
                let text = sanitize::clean(text);
                let mention = *kind != MessageKind::Pm && mentions(&text, me);
                let shown = if mention {
                    self.paint(&text, |s| s.bold().reversed())
                } else {
                    text.clone()
                };
                let body = match kind {
                    MessageKind::Say => format!("<{}> {shown}", self.nick(from, me)),
                    MessageKind::Me => format!("* {} {shown}", self.nick(from, me)),
                    MessageKind::Pm if from.eq_ignore_ascii_case(me) => {
                        return Some(RenderedLine::plain(self.pm_sent(
                            ts,
                            to.as_deref().unwrap_or("?"),
                            &text,
                        )));
                    }
                    MessageKind::Pm => {
                        let marker = format!("[pm from {}]", sanitize::clean(from));
                        format!("{} {text}", self.paint(&marker, |s| s.magenta().bold()))
                    }
                };
                RenderedLine {
                    text: format!("{}{body}", self.stamp(ts)),
                    // A private message is for us by definition: it rings too.
                    mention: mention || *kind == MessageKind::Pm,
                }
            }
            Event::Join { ts, .. }
            | Event::Leave { ts, .. }
            | Event::Nick { ts, .. }
            | Event::Presence { ts, .. } => {
                // The wording is the plain-mode dialect's, so nc users and we read the same.
                let (_, text) = plain::room_line(event)?;
                let text = sanitize::clean(&text);
                RenderedLine::plain(format!(
                    "{}{}",
                    self.stamp(ts),
                    self.paint(&text, |s| s.dimmed())
                ))
            }
            Event::Users { users, .. } => RenderedLine::plain(self.users(users, me)),
            Event::Error { message, .. } => RenderedLine::plain(self.error(message)),
            _ => return None,
        };
        Some(line)
    }

    /// The prompt as rustyline measures it: the same width as [`Renderer::prompt`], no colors,
    /// a placeholder for the clock.
    pub fn raw_prompt(&self, nick: &str) -> String {
        let clock = if self.style.timestamps {
            "[00:00] "
        } else {
            ""
        };
        format!("{clock}<{nick}> ")
    }

    /// The prompt: the start of our own line as the room will read it, `[HH:MM] <me> `.
    ///
    /// The line the user types stays on screen after Enter, so the prompt makes it read like
    /// every other message instead of echoing it a second time. The clock is the time `now`
    /// (the prompt is redrawn on every key, so it is the time the line was sent).
    pub fn prompt(&self, nick: &str, now: &Timestamp) -> String {
        format!("{}<{}> ", self.stamp(now), self.nick(nick, nick))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::wire::{LeaveReason, Limits};
    use chrono::{FixedOffset, Utc};

    const PLAIN: Style = Style {
        color: false,
        timestamps: true,
    };
    const COLOR: Style = Style {
        color: true,
        timestamps: true,
    };

    fn ts() -> Timestamp {
        serde_json::from_str("\"2026-11-22T14:03:21.042Z\"").unwrap()
    }

    /// Two hours east of UTC, so a test shows the conversion happens.
    fn renderer(style: Style) -> Renderer<FixedOffset> {
        Renderer::in_zone(style, FixedOffset::east_opt(2 * 3600).unwrap())
    }

    fn say(from: &str, text: &str) -> Event {
        message(from, MessageKind::Say, None, text)
    }

    fn message(from: &str, kind: MessageKind, to: Option<&str>, text: &str) -> Event {
        Event::Message {
            seq: 1,
            ts: ts(),
            from: from.into(),
            kind,
            to: to.map(Into::into),
            text: text.into(),
        }
    }

    fn text(event: &Event, style: Style) -> String {
        renderer(style).event(event, "ana").unwrap().text
    }

    /// Colors are global in `colored`; the tests only ever turn them on, never off, so they
    /// cannot disturb each other.
    fn colors_on() {
        colored::control::set_override(true);
    }

    #[test]
    fn messages_show_local_time_and_nick() {
        assert_eq!(text(&say("bob", "hello"), PLAIN), "[16:03] <bob> hello");
        let utc = Renderer::in_zone(PLAIN, Utc);
        assert_eq!(
            utc.event(&say("bob", "hello"), "ana").unwrap().text,
            "[14:03] <bob> hello"
        );
        let untimed = Style {
            color: false,
            timestamps: false,
        };
        assert_eq!(text(&say("bob", "hello"), untimed), "<bob> hello");
    }

    #[test]
    fn actions_private_messages_and_notices() {
        let me = message("bob", MessageKind::Me, None, "waves");
        assert_eq!(text(&me, PLAIN), "[16:03] * bob waves");
        let pm_in = message("bob", MessageKind::Pm, Some("ana"), "psst");
        assert_eq!(text(&pm_in, PLAIN), "[16:03] [pm from bob] psst");
        let pm_out = message("ana", MessageKind::Pm, Some("bob"), "hi");
        assert_eq!(text(&pm_out, PLAIN), "[16:03] [pm to bob] hi");
        let join = Event::Join {
            seq: 2,
            ts: ts(),
            nick: "carol".into(),
            count: 3,
        };
        assert_eq!(text(&join, PLAIN), "[16:03] *** carol joined (3 here)");
        let leave = Event::Leave {
            seq: 3,
            ts: ts(),
            nick: "carol".into(),
            reason: LeaveReason::Quit,
        };
        assert_eq!(text(&leave, PLAIN), "[16:03] *** carol left (quit)");
        let users = Event::Users {
            users: vec!["ana".into(), "bob".into()],
            id: None,
        };
        assert_eq!(text(&users, PLAIN), "*** 2 here: ana, bob");
        assert!(
            renderer(PLAIN)
                .event(
                    &Event::Ack {
                        id: None,
                        seq: None
                    },
                    "ana"
                )
                .is_none()
        );
    }

    #[test]
    fn peer_text_is_cleaned_before_printing() {
        let nasty = say("bob", "hi\u{1b}[2J there\u{7}");
        assert_eq!(text(&nasty, PLAIN), "[16:03] <bob> hi there");
    }

    #[test]
    fn colors_mark_nicks_and_stay_off_when_asked() {
        colors_on();
        let colored = text(&say("bob", "hello"), COLOR);
        assert!(colored.contains('\u{1b}'), "{colored:?}");
        let nick = "bob".color(nick_color("bob")).to_string();
        assert!(colored.contains(&format!("<{nick}>")), "{colored:?}");
        assert!(!text(&say("bob", "hello"), PLAIN).contains('\u{1b}'));
    }

    #[test]
    fn our_own_nick_is_bold() {
        colors_on();
        let ours = renderer(COLOR).prompt("ana", &ts());
        let bold_ana = "ana".color(nick_color("ana")).bold().to_string();
        assert!(ours.contains(&bold_ana), "{ours:?}");
        let theirs = text(&say("ana2", "x"), COLOR);
        assert!(!theirs.contains("\u{1b}[1;"), "{theirs:?}");
    }

    #[test]
    fn prompts_are_as_wide_as_rustyline_thinks() {
        let r = renderer(PLAIN);
        assert_eq!(r.prompt("ana", &ts()), "[16:03] <ana> ");
        assert_eq!(r.raw_prompt("ana").len(), r.prompt("ana", &ts()).len());
    }

    #[test]
    fn nick_colors_are_stable_and_case_blind() {
        // Pinned: a change here would recolor everyone for everyone.
        assert_eq!(nick_color("alice"), nick_color("alice"));
        assert_eq!(nick_color("alice"), nick_color("ALICE"));
        assert_eq!(nick_color("alice"), Color::BrightYellow);
        assert_eq!(nick_color("bob"), Color::BrightRed);
        let spread: std::collections::HashSet<String> = ["a", "b", "c", "d", "e", "f", "g"]
            .iter()
            .map(|n| format!("{:?}", nick_color(n)))
            .collect();
        assert!(spread.len() >= 4, "poor spread: {spread:?}");
    }

    #[test]
    fn mentions_are_whole_words_ignoring_case() {
        for text in [
            "ana",
            "hi ana",
            "Ana: look",
            "@ANA!",
            "thanks ana.",
            "(ana)",
        ] {
            assert!(mentions(text, "ana"), "{text}");
        }
        for text in ["banana", "ana_b", "anabel", "ana.b", "x-ana", "", "an a"] {
            assert!(!mentions(text, "ana"), "{text}");
        }
        assert!(mentions("hey j.doe, hi", "j.doe"));
    }

    #[test]
    fn a_mention_is_flagged_and_highlighted() {
        colors_on();
        let line = renderer(COLOR)
            .event(&say("bob", "ana: lunch?"), "ana")
            .unwrap();
        assert!(line.mention);
        assert!(
            line.text
                .contains(&"ana: lunch?".bold().reversed().to_string())
        );
        assert!(
            !renderer(PLAIN)
                .event(&say("bob", "hi"), "ana")
                .unwrap()
                .mention
        );
    }

    #[test]
    fn the_welcome_names_room_people_and_motd() {
        let welcome = Welcome {
            nick: "ana".into(),
            room: "lobby".into(),
            motd: Some("be kind".into()),
            users: vec!["ana".into(), "bob".into()],
            count: 2,
            limits: Limits::EXAMPLE,
            line: String::new(),
        };
        let lines = renderer(PLAIN).welcome(&welcome);
        assert_eq!(lines[0], "*** welcome to lobby, ana");
        assert_eq!(lines[1], "*** 2 here: ana, bob");
        assert_eq!(lines[2], "*** motd: be kind");
    }
}
