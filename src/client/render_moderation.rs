//! What `join` prints for running a room: operators, kicks, bans, mutes, the topic, away and
//! back, and the `/ignore` list.
//!
//! The room's moderation lines are worded once, in `protocol::moderation_lines`, for plain mode
//! and `join` alike (the `***` lines of the README's "Running a room"); `join` reads them as its
//! user ("you" where the line is about us) with times in the reader's zone. What only `join`
//! shows (the topic, the ban list, away and back, why the session ended, the ignore list) is
//! here. Like every other line, these are pure functions of the event, who we are and the
//! style, and all peer text is cleaned before printing.

use chrono::TimeZone;

use super::moderation::Removal;
use super::render::{RenderedLine, Renderer};
use crate::protocol::moderation_lines::{self, Reader, actor, aside, subject};
use crate::protocol::wire::{BanEntry, Event, Timestamp};
use crate::sanitize;

/// `join`'s user reading a line: `me` is "you", times are in the renderer's zone.
struct Seen<'a, Tz: TimeZone>
where
    Tz::Offset: std::fmt::Display,
{
    renderer: &'a Renderer<Tz>,
    me: &'a str,
}

impl<Tz: TimeZone> Reader for Seen<'_, Tz>
where
    Tz::Offset: std::fmt::Display,
{
    fn is_me(&self, nick: &str) -> bool {
        nick.eq_ignore_ascii_case(self.me)
    }

    fn until(&self, until: Option<&Timestamp>, _: &Timestamp) -> String {
        self.renderer.until(until)
    }
}

impl<Tz: TimeZone> Renderer<Tz>
where
    Tz::Offset: std::fmt::Display,
{
    /// `me` reading a line.
    fn as_read_by<'a>(&'a self, me: &'a str) -> Seen<'a, Tz> {
        Seen { renderer: self, me }
    }

    /// A time in the reader's zone: `17:00` today, `2026-12-08 17:00` another day.
    fn clock(&self, ts: &Timestamp) -> String {
        let local = ts.0.with_timezone(self.zone());
        if local.date_naive() == self.today() {
            local.format("%H:%M").to_string()
        } else {
            local.format("%Y-%m-%d %H:%M").to_string()
        }
    }

    /// ` until 17:00`, or nothing for "until lifted".
    fn until(&self, until: Option<&Timestamp>) -> String {
        until.map_or_else(String::new, |ts| format!(" until {}", self.clock(ts)))
    }

    /// `*** topic: TEXT (set by ana, 14:02)`, or `*** no topic`, as `me` reads it.
    pub fn topic_line(
        &self,
        (text, by, ts): (&str, Option<&str>, Option<&Timestamp>),
        me: &str,
    ) -> String {
        let text = sanitize::clean(text);
        if text.is_empty() {
            return self.notice("no topic");
        }
        let when = ts.map_or_else(String::new, |ts| format!(", {}", self.clock(ts)));
        let by = actor(by, &self.as_read_by(me));
        self.notice(&format!("topic: {text} (set by {by}{when})"))
    }

    /// The lines for a moderation event, as `me` reads them; `None` for any other event.
    pub fn moderation(&self, event: &Event, me: &str) -> Option<Vec<RenderedLine>> {
        let seen = self.as_read_by(me);
        let (ts, text) = match event {
            Event::Bans { bans, .. } => return Some(self.bans(bans, me)),
            // The answer to `/topic`: the topic as it stands.
            Event::Topic {
                seq: None,
                ts,
                text,
                by,
                ..
            } => {
                let line = self.topic_line((text, by.as_deref(), ts.as_ref()), me);
                return Some(vec![RenderedLine::plain(line).indented("*** ".len())]);
            }
            Event::Away { nick, message } => match message.as_deref().map(sanitize::clean) {
                Some(message) if !message.is_empty() => (
                    None,
                    format!("{} away: {message}", subject(nick, false, &seen)),
                ),
                _ => (None, format!("{} away", subject(nick, false, &seen))),
            },
            Event::Back { nick } => (None, format!("{} back", subject(nick, false, &seen))),
            _ => {
                let (ts, text) = moderation_lines::room_text(event, &seen)?;
                (Some(ts), text)
            }
        };
        // Stamped with its time when it has one, dimmed like joins and leaves.
        let stamp = ts.map_or_else(String::new, |ts| self.stamp(ts));
        let indent = if ts.is_some() { self.stamp_width() } else { 0 } + "*** ".len();
        let line = RenderedLine::plain(format!("{stamp}{}", self.notice(&text)));
        Some(vec![line.indented(indent)])
    }

    /// The ban list: a heading, then one line a ban (`10.0.0.7  by ana, 14:02, until 17:00:
    /// spam`), targets in a column.
    fn bans(&self, bans: &[BanEntry], me: &str) -> Vec<RenderedLine> {
        let heading = match bans.len() {
            0 => "no bans".to_string(),
            1 => "1 ban:".to_string(),
            n => format!("{n} bans:"),
        };
        let mut lines = vec![RenderedLine::plain(self.notice(&heading))];
        let targets: Vec<String> = bans.iter().map(|b| sanitize::clean(&b.target)).collect();
        let column = targets.iter().map(|t| t.chars().count()).max().unwrap_or(0);
        for (ban, target) in bans.iter().zip(targets) {
            let reason = match ban.reason.as_deref().map(sanitize::clean) {
                Some(reason) if !reason.is_empty() => format!(": {reason}"),
                _ => String::new(),
            };
            let text = format!(
                "  {target:column$}  by {}, {}{}{reason}",
                actor(ban.by.as_deref(), &self.as_read_by(me)),
                self.clock(&ban.ts),
                self.until(ban.until.as_ref()),
            );
            lines.push(RenderedLine::plain(self.notice(&text)).indented("*** ".len() + 2));
        }
        lines
    }

    /// Why the session ends when the room put us out (`target` is the room's address), and
    /// that `join` does not come back.
    pub fn removal(&self, removal: &Removal, target: &str) -> String {
        // Nobody is "you" here: the sentence says it already.
        let nobody = self.as_read_by("");
        let actor = |by: &Option<String>| actor(by.as_deref(), &nobody);
        match removal {
            Removal::Kicked { by, reason } => format!(
                "you were kicked from {target} by {}{}; not reconnecting (you may join again)",
                actor(by),
                aside(reason.as_deref())
            ),
            Removal::Banned { by, until, reason } => format!(
                "you were banned from {target} by {}{}{}; not reconnecting",
                actor(by),
                self.until(until.as_ref()),
                aside(reason.as_deref())
            ),
            Removal::Refused(message) => format!(
                "{target} refused us: {}; not reconnecting",
                sanitize::clean(message)
            ),
        }
    }

    /// `/ignore` without a nickname: who is ignored.
    pub fn ignore_list(&self, nicks: &[String]) -> String {
        if nicks.is_empty() {
            return self.notice("you ignore nobody (/ignore NICK hides someone's messages)");
        }
        let names: Vec<String> = nicks.iter().map(|n| sanitize::clean(n)).collect();
        self.notice(&format!(
            "you ignore {}: {}",
            match names.len() {
                1 => "1 nickname".to_string(),
                n => format!("{n} nicknames"),
            },
            names.join(", ")
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::render::Style;
    use chrono::{FixedOffset, Utc};

    const PLAIN: Style = Style {
        color: false,
        timestamps: true,
    };

    /// Two hours east of UTC, so a test shows the conversion happens.
    fn renderer() -> Renderer<FixedOffset> {
        Renderer::in_zone(PLAIN, FixedOffset::east_opt(2 * 3600).unwrap())
    }

    /// `hh:mm` UTC on the test zone's today, as the wire spells it (early enough in the UTC
    /// day to be on the same date two hours east).
    fn today_at(hh_mm: &str) -> String {
        let zone = FixedOffset::east_opt(2 * 3600).unwrap();
        let today = Utc::now().with_timezone(&zone).format("%Y-%m-%d");
        format!("{today}T{hh_mm}:00.000Z")
    }

    fn lines(json: &str, me: &str) -> Vec<String> {
        let event: Event =
            serde_json::from_str(json).unwrap_or_else(|e| panic!("not an event: {json}: {e}"));
        renderer()
            .moderation(&event, me)
            .unwrap_or_else(|| panic!("not a moderation event: {json}"))
            .into_iter()
            .map(|line| line.text)
            .collect()
    }

    fn line(json: &str, me: &str) -> String {
        let mut all = lines(json, me);
        assert_eq!(all.len(), 1, "{all:?}");
        all.remove(0)
    }

    #[test]
    fn operators_come_and_go_by_someone_or_the_host() {
        let ts = "2026-12-07T12:00:00.000Z";
        assert_eq!(
            line(
                &format!(r#"{{"type":"op","seq":1,"ts":"{ts}","nick":"ana","by":"bob"}}"#),
                "carol"
            ),
            "[14:00] *** ana is now an operator (by bob)"
        );
        assert_eq!(
            line(
                &format!(r#"{{"type":"deop","seq":1,"ts":"{ts}","nick":"ana"}}"#),
                "ANA"
            ),
            "[14:00] *** you are no longer an operator (by the host)"
        );
    }

    #[test]
    fn an_operator_by_its_own_password_is_not_said_to_be_made_one_by_itself() {
        let op = r#"{"type":"op","seq":1,"ts":"2026-12-07T12:00:00.000Z","nick":"ana","by":"ana"}"#;
        assert_eq!(line(op, "bob"), "[14:00] *** ana is now an operator");
        assert_eq!(line(op, "ANA"), "[14:00] *** you are now an operator");
    }

    #[test]
    fn other_events_are_not_moderation() {
        let join =
            r#"{"type":"join","seq":1,"ts":"2026-12-07T12:00:00.000Z","nick":"ana","count":2}"#;
        let event: Event = serde_json::from_str(join).unwrap();
        assert_eq!(renderer().moderation(&event, "bob"), None);
    }

    #[test]
    fn kicks_bans_and_mutes_say_who_why_and_until_when() {
        let ts = today_at("12:00");
        let until = today_at("15:00");
        assert_eq!(
            line(
                &format!(
                    r#"{{"type":"kick","seq":2,"ts":"{ts}","nick":"eve","by":"ana","reason":"spam"}}"#
                ),
                "bob"
            ),
            "[14:00] *** eve was kicked by ana (spam)"
        );
        assert_eq!(
            line(
                &format!(r#"{{"type":"kick","seq":2,"ts":"{ts}","nick":"bob"}}"#),
                "bob"
            ),
            "[14:00] *** you were kicked by the host"
        );
        assert_eq!(
            line(
                &format!(
                    r#"{{"type":"ban","seq":3,"ts":"{ts}","target":"10.0.0.7","nicks":["eve"],
                    "by":"ana","until":"{until}","reason":"spam"}}"#
                ),
                "bob"
            ),
            "[14:00] *** ana banned 10.0.0.7 (eve) until 17:00 (spam)"
        );
        assert_eq!(
            line(
                &format!(r#"{{"type":"ban","seq":3,"ts":"{ts}","target":"10.0.0.0/24"}}"#),
                "bob"
            ),
            "[14:00] *** the host banned 10.0.0.0/24"
        );
        assert_eq!(
            line(
                &format!(
                    r#"{{"type":"unban","seq":4,"ts":"{ts}","target":"10.0.0.7","by":"ana"}}"#
                ),
                "bob"
            ),
            "[14:00] *** ana lifted the ban on 10.0.0.7"
        );
        assert_eq!(
            line(
                &format!(
                    r#"{{"type":"mute","seq":5,"ts":"{ts}","nick":"eve","by":"ana","until":"{until}"}}"#
                ),
                "bob"
            ),
            "[14:00] *** eve was muted by ana until 17:00"
        );
        assert_eq!(
            line(
                &format!(r#"{{"type":"mute","seq":5,"ts":"{ts}","nick":"bob","by":"ana"}}"#),
                "bob"
            ),
            "[14:00] *** you were muted by ana (you can still read)"
        );
        assert_eq!(
            line(
                &format!(r#"{{"type":"unmute","seq":6,"ts":"{ts}","nick":"eve","by":"ana"}}"#),
                "bob"
            ),
            "[14:00] *** eve can speak again (by ana)"
        );
        // Another day is dated.
        let ban = r#"{"type":"ban","seq":3,"ts":"2026-01-01T00:00:00.000Z","target":"::1",
            "until":"2026-01-02T10:00:00.000Z"}"#;
        assert!(
            line(ban, "bob").ends_with("until 2026-01-02 12:00"),
            "{}",
            line(ban, "bob")
        );
    }

    #[test]
    fn the_topic_changes_clears_and_answers() {
        let ts = today_at("12:02");
        assert_eq!(
            line(
                &format!(
                    r#"{{"type":"topic","seq":7,"ts":"{ts}","text":"release day","by":"ana"}}"#
                ),
                "bob"
            ),
            "[14:02] *** topic: release day (set by ana)"
        );
        assert_eq!(
            line(
                &format!(r#"{{"type":"topic","seq":8,"ts":"{ts}","text":""}}"#),
                "bob"
            ),
            "[14:02] *** the host cleared the topic"
        );
        assert_eq!(
            line(
                &format!(r#"{{"type":"topic","seq":8,"ts":"{ts}","text":"","by":"Bob"}}"#),
                "bob"
            ),
            "[14:02] *** you cleared the topic"
        );
        assert_eq!(
            line(
                &format!(r#"{{"type":"topic","ts":"{ts}","text":"release day","by":"ana"}}"#),
                "bob"
            ),
            "*** topic: release day (set by ana, 14:02)"
        );
        assert_eq!(line(r#"{"type":"topic","text":""}"#, "bob"), "*** no topic");
    }

    #[test]
    fn away_and_back_say_you_for_us() {
        assert_eq!(
            line(r#"{"type":"away","nick":"bob","message":"lunch"}"#, "BOB"),
            "*** you are away: lunch"
        );
        assert_eq!(
            line(r#"{"type":"away","nick":"bob","message":"lunch"}"#, "ana"),
            "*** bob is away: lunch"
        );
        assert_eq!(
            line(r#"{"type":"away","nick":"ana"}"#, "ana"),
            "*** you are away"
        );
        assert_eq!(
            line(r#"{"type":"back","nick":"ana"}"#, "ana"),
            "*** you are back"
        );
    }

    #[test]
    fn the_ban_list_is_a_column_of_targets() {
        let (ts, until) = (today_at("12:00"), today_at("15:00"));
        let json = format!(
            r#"{{"type":"bans","bans":[{{"target":"10.0.0.7","ts":"{ts}","by":"ana",
            "until":"{until}","reason":"spam"}},{{"target":"192.168.0.0/16",
            "ts":"2026-01-01T00:00:00.000Z"}}],"id":5}}"#
        );
        assert_eq!(
            lines(&json, "bob"),
            [
                "*** 2 bans:",
                "***   10.0.0.7        by ana, 14:00 until 17:00: spam",
                "***   192.168.0.0/16  by the host, 2026-01-01 02:00",
            ]
        );
        assert_eq!(
            lines(r#"{"type":"bans","bans":[]}"#, "bob"),
            ["*** no bans"]
        );
    }

    #[test]
    fn peer_text_is_cleaned() {
        let json = r#"{"type":"kick","seq":2,"ts":"2026-12-07T12:00:00.000Z","nick":"eve",
            "reason":"x\u001b[2Jy"}"#;
        assert!(line(json, "bob").ends_with("(xy)"), "{}", line(json, "bob"));
    }

    #[test]
    fn being_put_out_says_by_whom_and_that_join_stays_out() {
        let r = renderer();
        let kicked = Removal::Kicked {
            by: Some("ana".into()),
            reason: Some("spam".into()),
        };
        assert_eq!(
            r.removal(&kicked, "h:7000"),
            "you were kicked from h:7000 by ana (spam); not reconnecting (you may join again)"
        );
        let banned = Removal::Banned {
            by: None,
            until: None,
            reason: None,
        };
        assert_eq!(
            r.removal(&banned, "h:7000"),
            "you were banned from h:7000 by the host; not reconnecting"
        );
    }

    #[test]
    fn the_ignore_list() {
        let r = renderer();
        assert!(r.ignore_list(&[]).contains("you ignore nobody"));
        assert_eq!(
            r.ignore_list(&["bob".into(), "eve".into()]),
            "*** you ignore 2 nicknames: bob, eve"
        );
    }
}
