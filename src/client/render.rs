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

use chrono::{Local, NaiveDate, TimeZone, Utc};
use colored::{Color, ColoredString, Colorize};

use super::connection::Welcome;
use super::roster::Roster;
use crate::protocol::plain;
use crate::protocol::wire::{Event, MessageKind, StoredMessage, Timestamp};
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
    /// Where the message text starts (in columns): a line wrapped on screen continues there
    /// (see [`wrap`]).
    pub indent: usize,
}

impl RenderedLine {
    pub(super) fn plain(text: String) -> Self {
        RenderedLine {
            text,
            mention: false,
            indent: 0,
        }
    }

    pub(super) fn indented(self, indent: usize) -> Self {
        RenderedLine { indent, ..self }
    }
}

/// Below this many columns for the text, indenting wrapped lines would leave too little room:
/// the terminal wraps them instead.
const MIN_WRAPPED_TEXT: usize = 12;

/// The columns `text` takes on a terminal.
pub fn width(text: &str) -> usize {
    text.chars()
        .map(|c| unicode_width::UnicodeWidthChar::width(c).unwrap_or(0))
        .sum()
}

/// Word-wraps a rendered line at `columns`, continuation lines indented by `indent` columns (to
/// where the message text starts), as irssi does.
///
/// Breaks fall on the last space that fits (the space itself goes), or inside a word longer
/// than a whole line. Escape sequences (our colors) take no room, and the styles in force at a
/// break are ended before it and taken up again after the indent. Indenting every continuation
/// line also means peer text can never start a row of its own: 150 spaces followed by
/// `[12:00] <bob> ...` stays visibly inside the sender's message.
pub fn wrap(line: &str, indent: usize, columns: usize) -> String {
    if columns < indent + MIN_WRAPPED_TEXT {
        return line.to_string();
    }
    let mut out = String::with_capacity(line.len() + 16);
    // The row being filled, its width, and the styles in force.
    let mut row = String::new();
    let mut col = 0;
    let mut styles = String::new();
    // The last space a break may fall on: where it is in `row`, its column, the styles then.
    let mut space: Option<(usize, usize, String)> = None;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            let sequence = escape_sequence(c, &mut chars);
            if sequence == "\u{1b}[0m" {
                styles.clear();
            } else {
                styles.push_str(&sequence);
            }
            row.push_str(&sequence);
            continue;
        }
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        if col + w > columns {
            let (tail, tail_styles) = match space.take() {
                // Break at the last space, and carry the word after it over.
                Some((at, space_col, then)) if c != ' ' => {
                    let tail = row.split_off(at);
                    col = indent + (col - space_col - 1);
                    (tail[1..].to_string(), then)
                }
                _ => {
                    col = indent;
                    (String::new(), styles.clone())
                }
            };
            if !tail_styles.is_empty() {
                row.push_str("\u{1b}[0m");
            }
            out.push_str(&row);
            out.push('\n');
            row = format!("{:indent$}{tail_styles}{tail}", "");
            if c == ' ' {
                continue;
            }
        }
        if c == ' ' && col >= indent {
            space = Some((row.len(), col, styles.clone()));
        }
        row.push(c);
        col += w;
    }
    out.push_str(&row);
    out
}

/// The rest of an escape sequence whose ESC was `esc`: a CSI sequence up to its final byte, or
/// ESC and one more character.
fn escape_sequence(esc: char, chars: &mut std::iter::Peekable<std::str::Chars<'_>>) -> String {
    let mut sequence = String::from(esc);
    if let Some(next) = chars.next() {
        sequence.push(next);
        if next == '[' {
            for c in chars.by_ref() {
                sequence.push(c);
                if ('\u{40}'..='\u{7e}').contains(&c) {
                    break;
                }
            }
        }
    }
    sequence
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

    /// The reader's time zone.
    pub(super) fn zone(&self) -> &Tz {
        &self.zone
    }

    /// `text` styled by `paint` when colors are on, as it is otherwise.
    pub(super) fn paint(
        &self,
        text: &str,
        paint: impl FnOnce(ColoredString) -> ColoredString,
    ) -> String {
        if self.style.color {
            paint(text.normal()).to_string()
        } else {
            text.to_string()
        }
    }

    /// `[HH:MM] ` in the reader's zone, or nothing with `--no-timestamps`.
    pub(super) fn stamp(&self, ts: &Timestamp) -> String {
        if !self.style.timestamps {
            return String::new();
        }
        let clock = ts.0.with_timezone(&self.zone).format("%H:%M").to_string();
        format!("{} ", self.paint(&format!("[{clock}]"), |s| s.dimmed()))
    }

    /// The columns [`Renderer::stamp`] takes.
    pub(super) fn stamp_width(&self) -> usize {
        if self.style.timestamps { 8 } else { 0 }
    }

    /// A nickname in its color; ours in bold, so our own lines stand out.
    pub(super) fn nick(&self, nick: &str, me: &str) -> String {
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

    /// `*** 3 here: @alice, bob (away), carol`, each name in its color, operators marked with
    /// `@` and away members with `(away)`, as the room's `/list` marks them for nc users.
    pub fn users(&self, users: &[String], me: &str, roster: &Roster) -> String {
        let names: Vec<String> = users
            .iter()
            .map(|u| {
                let at = if roster.is_operator(u) { "@" } else { "" };
                let away = if roster.is_away(u) { " (away)" } else { "" };
                format!("{at}{}{away}", self.nick(u, me))
            })
            .collect();
        let head = self.paint(&format!("*** {} here:", users.len()), |s| s.dimmed());
        format!("{head} {}", names.join(", "))
    }

    /// What we see on joining: the room and its topic, who is here, the message of the day, and
    /// what to type next (Tab only where there is a line editor to press it in).
    pub fn welcome(&self, welcome: &Welcome, line_editor: bool) -> Vec<String> {
        let me = &welcome.nick;
        let mut lines = vec![self.notice(&format!(
            "welcome to {}, {}",
            sanitize::clean(&welcome.room),
            sanitize::clean(me)
        ))];
        if let Some(topic) = &welcome.topic {
            let topic_by = (topic.text.as_str(), topic.by.as_deref(), Some(&topic.ts));
            lines.push(self.topic_line(topic_by, me));
        }
        lines.push(if welcome.users.len() < welcome.count {
            self.notice(&format!("{} here; /list shows everyone", welcome.count))
        } else {
            self.users(&welcome.users, me, &Roster::of_welcome(welcome))
        });
        if let Some(motd) = &welcome.motd {
            lines.push(self.notice(&format!("motd: {}", sanitize::clean(motd))));
        }
        lines.push(self.notice(if line_editor {
            "type /help for commands; Tab completes nicknames"
        } else {
            "type /help for commands"
        }));
        lines
    }

    /// The confirmation of a private message we sent.
    pub fn pm_sent(&self, ts: &Timestamp, to: &str, text: &str) -> RenderedLine {
        let marker = format!("[pm to {}]", sanitize::clean(to));
        RenderedLine {
            indent: self.stamp_width() + width(&marker) + 1,
            text: format!(
                "{}{} {}",
                self.stamp(ts),
                self.paint(&marker, |s| s.magenta().bold()),
                sanitize::clean(text)
            ),
            mention: false,
        }
    }

    /// The answer to a `/search`: a heading, each result as a message line (the date in front
    /// of one from another day than today's, in our time zone), and a closing line.
    pub fn search_results(
        &self,
        query: &str,
        results: &[StoredMessage],
        me: &str,
        now: &Timestamp,
    ) -> Vec<RenderedLine> {
        let query = sanitize::clean(query);
        if results.is_empty() {
            let heading = self.notice(&format!("search for \"{query}\": nothing found"));
            return vec![RenderedLine::plain(heading)];
        }
        let count = match results.len() {
            1 => "1 message".to_string(),
            n => format!("{n} messages"),
        };
        let heading = self.notice(&format!("search for \"{query}\": {count}, newest first"));
        let today = now.0.with_timezone(&self.zone).date_naive();
        let mut lines = vec![RenderedLine::plain(heading)];
        for found in results {
            // Stamped like history: an old line must not pass for today's.
            let stamp = self.dated_stamp(&found.ts, today);
            let from = sanitize::clean(&found.from);
            let (head, plain_head) = match found.kind {
                MessageKind::Me => (format!("* {}", self.nick(&from, me)), format!("* {from}")),
                _ => (format!("<{}>", self.nick(&from, me)), format!("<{from}>")),
            };
            lines.push(RenderedLine {
                text: format!(
                    "{}{head} {}",
                    self.paint(&stamp, |s| s.dimmed()),
                    sanitize::clean(&found.text)
                ),
                mention: false,
                indent: width(&stamp) + width(&plain_head) + 1,
            });
        }
        lines.push(RenderedLine::plain(self.notice("end of search results")));
        lines
    }

    /// `[HH:MM] `, or `[2026-12-05 14:02] ` for a time not on `today`, in the reader's zone
    /// (for history: an old line must not pass for today's); nothing with `--no-timestamps`.
    pub(super) fn dated_stamp(&self, ts: &Timestamp, today: NaiveDate) -> String {
        if !self.style.timestamps {
            return String::new();
        }
        let local = ts.0.with_timezone(&self.zone);
        let format = match local.date_naive() == today {
            true => "[%H:%M] ",
            false => "[%Y-%m-%d %H:%M] ",
        };
        local.format(format).to_string()
    }

    /// Today in the reader's zone.
    pub(super) fn today(&self) -> NaiveDate {
        Utc::now().with_timezone(&self.zone).date_naive()
    }

    /// A message said before we joined, replayed from the room's history: the whole line dimmed,
    /// dated when not said `today`, and never a mention (it rings no bell and is not
    /// highlighted: it was news before we came).
    pub fn replayed(
        &self,
        ts: &Timestamp,
        from: &str,
        kind: MessageKind,
        text: &str,
        today: NaiveDate,
    ) -> RenderedLine {
        let stamp = self.dated_stamp(ts, today);
        let from = sanitize::clean(from);
        let head = match kind {
            MessageKind::Me => format!("* {from}"),
            _ => format!("<{from}>"),
        };
        let line = format!("{stamp}{head} {}", sanitize::clean(text));
        RenderedLine {
            text: self.paint(&line, |s| s.dimmed()),
            mention: false,
            indent: width(&stamp) + width(&head) + 1,
        }
    }

    /// The line above a replayed history.
    pub fn history_heading(&self) -> String {
        self.paint("── history ──", |s| s.dimmed())
    }

    /// The line below a replayed history of `count` messages, saying how many of those said
    /// after our `since` the host no longer had (`missed`, an upper bound); `None` when there
    /// is nothing to say.
    pub fn history_end(&self, count: usize, missed: u64) -> Option<String> {
        let text = match (count, missed) {
            (0, 0) => return None,
            (_, 0) => "── now ──".to_string(),
            (_, missed) => {
                format!("── now ── (up to {missed} messages said meanwhile are no longer kept)")
            }
        };
        Some(self.paint(&text, |s| s.dimmed()))
    }

    /// The line for a room event, or `None` for events that are not shown as such (acks,
    /// welcomes, quits: the caller handles those).
    pub fn event(&self, event: &Event, me: &str) -> Option<RenderedLine> {
        let line = match event {
            Event::Message {
                ts,
                from,
                kind,
                text,
                history: true,
                ..
            } => self.replayed(ts, from, *kind, text, self.today()),
            Event::HistoryEnd { count, missed, .. } => {
                RenderedLine::plain(self.history_end(*count, *missed)?)
            }
            Event::Message {
                ts,
                from,
                kind,
                to,
                text,
                ..
            } => {
                if *kind == MessageKind::Pm && from.eq_ignore_ascii_case(me) {
                    return Some(self.pm_sent(ts, to.as_deref().unwrap_or("?"), text));
                }
                let text = sanitize::clean(text);
                let mention = *kind != MessageKind::Pm && mentions(&text, me);
                let shown = if mention {
                    self.paint(&text, |s| s.bold().reversed())
                } else {
                    text.clone()
                };
                let line = self.message(ts, from, *kind, &shown, me);
                RenderedLine {
                    // A private message is for us by definition: it rings too.
                    mention: mention || *kind == MessageKind::Pm,
                    ..line
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
                .indented(self.stamp_width() + "*** ".len())
            }
            // Without the roster, no marks: the event thread shows `users` with its own.
            Event::Users { users, .. } => {
                RenderedLine::plain(self.users(users, me, &Roster::default()))
                    .indented("*** ".len())
            }
            Event::Error { message, .. } => {
                RenderedLine::plain(self.error(message)).indented("error: ".len())
            }
            // The answer to a `/ping` typed here (the session's own pings are not shown).
            Event::Pong { .. } => RenderedLine::plain(self.paint("*** pong", |s| s.dimmed())),
            Event::RoomReconnecting { .. } | Event::RoomBack => {
                let text = sanitize::clean(&plain::outage_line(event)?);
                RenderedLine::plain(self.paint(&text, |s| s.bold())).indented("*** ".len())
            }
            _ => return None,
        };
        Some(line)
    }

    /// A message line: `<from> text`, `* from text` or `[pm from from] text`, after the time.
    fn message(
        &self,
        ts: &Timestamp,
        from: &str,
        kind: MessageKind,
        shown: &str,
        me: &str,
    ) -> RenderedLine {
        let (head, plain_head) = match kind {
            MessageKind::Say => (format!("<{}>", self.nick(from, me)), format!("<{from}>")),
            MessageKind::Me => (format!("* {}", self.nick(from, me)), format!("* {from}")),
            MessageKind::Pm => {
                let marker = format!("[pm from {}]", sanitize::clean(from));
                (self.paint(&marker, |s| s.magenta().bold()), marker)
            }
        };
        RenderedLine {
            text: format!("{}{head} {shown}", self.stamp(ts)),
            mention: false,
            indent: self.stamp_width() + width(&sanitize::clean(&plain_head)) + 1,
        }
    }

    /// What we sent, as the room shows it to others: our `/me waves` as `* ana waves`, our
    /// `//etc` as `<ana> /etc`.
    pub fn own(&self, kind: MessageKind, me: &str, text: &str, now: &Timestamp) -> RenderedLine {
        self.message(now, me, kind, &sanitize::clean(text), me)
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
            history: false,
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
    fn search_results_are_message_lines_dated_when_not_today() {
        let found = |ts: &str, kind, text: &str| StoredMessage {
            seq: 1,
            ts: serde_json::from_str(&format!("\"{ts}\"")).unwrap(),
            from: "bob".into(),
            kind,
            text: text.into(),
        };
        let results = [
            found("2026-11-22T14:03:21.042Z", MessageKind::Say, "deploy done"),
            found("2026-11-20T09:00:00.000Z", MessageKind::Me, "deploys"),
        ];
        let lines: Vec<String> = renderer(PLAIN)
            .search_results("deploy*", &results, "ana", &ts())
            .into_iter()
            .map(|l| l.text)
            .collect();
        assert_eq!(
            lines,
            [
                "*** search for \"deploy*\": 2 messages, newest first",
                "[16:03] <bob> deploy done",
                "[2026-11-20 11:00] * bob deploys",
                "*** end of search results",
            ]
        );
        let none = renderer(PLAIN).search_results("x", &[], "ana", &ts());
        assert_eq!(none[0].text, "*** search for \"x\": nothing found");
    }

    #[test]
    fn history_is_dimmed_dated_when_not_today_and_never_a_mention() {
        let r = renderer(PLAIN);
        // 14:03 UTC is 16:03 in the test zone, on 2026-11-22.
        let that_day = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        let later = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let line = r.replayed(&ts(), "bob", MessageKind::Say, "ana: look", that_day);
        assert_eq!(line.text, "[16:03] <bob> ana: look");
        assert!(!line.mention, "history never rings");
        assert_eq!(line.indent, "[16:03] <bob> ".len());
        let line = r.replayed(&ts(), "bob", MessageKind::Me, "waves", later);
        assert_eq!(line.text, "[2026-11-22 16:03] * bob waves");
        colors_on();
        let colored = renderer(COLOR).replayed(&ts(), "bob", MessageKind::Say, "ana", that_day);
        assert!(colored.text.starts_with("\u{1b}[2m"), "{:?}", colored.text);
        assert!(!colored.text.contains("\u{1b}[7m"), "not highlighted");
        // An event marked as history takes this path, whatever it mentions.
        let mut replayed = say("bob", "ana!");
        if let Event::Message { history, .. } = &mut replayed {
            *history = true;
        }
        let line = r.event(&replayed, "ana").unwrap();
        assert!(
            !line.mention && line.text.ends_with("<bob> ana!"),
            "{line:?}"
        );
        assert!(
            r.event(&say("bob", "ana!"), "ana").unwrap().mention,
            "a live one does"
        );
    }

    #[test]
    fn the_history_ends_with_a_now_line_saying_what_was_lost() {
        let r = renderer(PLAIN);
        assert_eq!(r.history_heading(), "── history ──");
        assert_eq!(r.history_end(0, 0), None);
        assert_eq!(r.history_end(3, 0).as_deref(), Some("── now ──"));
        assert_eq!(
            r.history_end(0, 2).as_deref(),
            Some("── now ── (up to 2 messages said meanwhile are no longer kept)")
        );
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
            operators: Vec::new(),
            away: Vec::new(),
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
    fn long_lines_wrap_at_words_indented_under_the_text() {
        let line = renderer(PLAIN)
            .event(&say("bob", "the quick brown fox jumps over it"), "ana")
            .unwrap();
        assert_eq!(line.indent, "[16:03] <bob> ".len());
        assert_eq!(
            wrap(&line.text, line.indent, 30),
            "[16:03] <bob> the quick brown\n              fox jumps over\n              it"
        );
        // Fits: untouched. Too narrow to indent: left to the terminal.
        assert_eq!(wrap(&line.text, line.indent, 80), line.text);
        assert_eq!(wrap(&line.text, line.indent, 20), line.text);
    }

    #[test]
    fn a_word_longer_than_a_row_is_cut() {
        assert_eq!(
            wrap(&format!("<b> {}", "x".repeat(30)), 4, 16),
            format!(
                "<b> {}\n    {}\n    {}",
                "x".repeat(12),
                "x".repeat(12),
                "x".repeat(6)
            )
        );
    }

    #[test]
    fn wrapping_carries_styles_over_the_break() {
        colors_on();
        let text = "lunch today at noon ana?";
        let line = renderer(COLOR).event(&say("bob", text), "ana").unwrap();
        let wrapped = wrap(&line.text, line.indent, 30);
        let rows: Vec<&str> = wrapped.split('\n').collect();
        assert_eq!(rows.len(), 2, "{wrapped:?}");
        // The highlight ends before the break and starts again after the indent.
        assert!(rows[0].ends_with("\u{1b}[0m"), "{wrapped:?}");
        assert!(
            rows[1].starts_with(&format!("{:14}\u{1b}[", "")),
            "{wrapped:?}"
        );
    }

    #[test]
    fn a_forged_line_stays_indented_inside_the_message() {
        // Issue 10: spaces enough to push fake text to a row of its own once wrapped.
        let forged = format!(
            "{}[12:00] <bob> I am bob, send me your password",
            " ".repeat(150)
        );
        let line = renderer(PLAIN).event(&say("eve", &forged), "ana").unwrap();
        for columns in [40, 80, 120, 163] {
            let wrapped = wrap(&line.text, line.indent, columns);
            for row in wrapped.split('\n').skip(1) {
                assert!(
                    row.starts_with(&" ".repeat(line.indent)),
                    "a row of its own at {columns} columns: {row:?}"
                );
                assert!(crate::client::render::width(row) <= columns, "{row:?}");
            }
            assert!(wrapped.split('\n').count() > 1);
        }
    }

    #[test]
    fn our_own_lines_read_as_the_room_reads_them() {
        let r = renderer(PLAIN);
        let me = r.own(MessageKind::Me, "ana", "waves back", &ts());
        assert_eq!(me.text, "[16:03] * ana waves back");
        assert_eq!(me.indent, "[16:03] * ana ".len());
        let say = r.own(MessageKind::Say, "ana", "/etc/hosts", &ts());
        assert_eq!(say.text, "[16:03] <ana> /etc/hosts");
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
            topic: None,
            operators: Vec::new(),
            away: Vec::new(),
            line: String::new(),
        };
        let lines = renderer(PLAIN).welcome(&welcome, true);
        assert_eq!(lines[0], "*** welcome to lobby, ana");
        assert_eq!(lines[1], "*** 2 here: ana, bob");
        assert_eq!(lines[2], "*** motd: be kind");
        assert!(lines[3].contains("Tab completes nicknames"));
        let piped = renderer(PLAIN).welcome(&welcome, false);
        assert_eq!(piped[3], "*** type /help for commands");
    }
}
