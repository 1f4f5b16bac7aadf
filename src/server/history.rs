//! The room's history: the last `--history` public messages, replayed to each newcomer right
//! after its welcome, or, to a client coming back with `since`, just the ones it missed.
//!
//! The room thread owns it (no locks): it [`remember`](History::remember)s every public message
//! and action as it numbers it (never a private message, a join, a leave or a rename), and asks
//! for a newcomer's [`replay`](History::replay) when it admits it. Memory is bounded: at most
//! `--history` messages, each at most `--max-line` bytes of text, in a ring that forgets the
//! oldest.
//!
//! A replay is rendered per newcomer, so its cost is bounded too: at most [`MAX_REPLAY_BYTES`]
//! (the newest messages that fit; the rest are counted as missed), and the usual case, the latest
//! history, is rendered once per dialect and shared (one `Arc`) by every newcomer until the next
//! message: a connect storm of thousands costs one rendering, not thousands, and since the shared
//! bytes cost nothing more per newcomer, a newcomer's outbox does not charge them to its own
//! limits or the host's `--max-queued` budget (`Owed::Shared` in `outbox.rs`). A `since` gap is
//! rendered for its newcomer alone, and charged as its own.
//!
//! # For a durable store
//! A store that keeps the room on disk (`host --store`) fills the history on start: first
//! [`History::forget_before`] with the older stored messages it does not load (how many, and the
//! newest one's seq), so a `since` among them is told how many it missed, then
//! [`History::remember`] with its newest stored messages, oldest first. A `since` reaching
//! further back than the history holds is then filled from the store: the room asks the store
//! for [`History::gap_to_read`], holds the newcomer until the messages are read (on the store's
//! own thread), and replays them with the history's with [`History::replay_filled`]. The room goes on
//! numbering after the last seq it ever gave, not just the last message's: joins and leaves take
//! seq numbers too (the store keeps that number as well).

use std::collections::VecDeque;
use std::sync::Arc;

use chrono::NaiveDate;

use super::fanout::dialect;
use super::log::Frame;
use crate::protocol::parse::Replay;
use crate::protocol::wire::MessageKind;
use crate::protocol::{Event, Mode, plain};

/// The most history bytes one newcomer is sent (a quarter of what a client may leave unread,
/// `outbox::MAX_OWN_BYTES`, so a replay never gets a newcomer let go).
pub(crate) const MAX_REPLAY_BYTES: usize = 1024 * 1024;

/// A message the room remembers, as it is replayed (a `message` event marked `history`).
struct Said {
    seq: u64,
    event: Event,
}

impl Said {
    /// `event` as replayed, if it is a public message or action.
    fn of(event: &Event) -> Option<Said> {
        let Event::Message {
            seq,
            kind: MessageKind::Say | MessageKind::Me,
            ..
        } = event
        else {
            return None;
        };
        let mut event = event.clone();
        if let Event::Message { history, .. } = &mut event {
            *history = true;
        }
        Some(Said { seq: *seq, event })
    }
}

/// The latest history, rendered for one dialect.
struct Rendered {
    /// The UTC day it was rendered on (plain lines show the date of other days).
    today: NaiveDate,
    body: Frame,
    count: usize,
    /// Messages held but left out to keep within [`MAX_REPLAY_BYTES`].
    cut: u64,
}

/// What a replay holds, before it is rendered.
#[derive(Debug, PartialEq, Eq)]
struct Selection {
    /// Index of the first message replayed.
    from: usize,
    /// Messages after `since` the history no longer holds.
    missed: u64,
    /// `since` was beyond the room's last seq: the latest history is replayed instead.
    reset: bool,
}

/// The older part of a `since` gap, read from the store: the messages numbered in
/// `(since, through]`, oldest first, but for `left_out` older ones not read.
#[derive(Debug)]
pub(crate) struct Older {
    pub(crate) events: Vec<Event>,
    pub(crate) left_out: u64,
    /// The newest message the history had forgotten when the read was asked for.
    pub(crate) through: u64,
}

/// What one newcomer is sent after its welcome.
pub(crate) struct Replayed {
    /// The messages (empty when there are none).
    pub(crate) body: Frame,
    /// `body` is the latest history every newcomer shares (one `Arc`), rather than one
    /// rendered for this newcomer alone.
    pub(crate) shared: bool,
    /// The end marker (empty for a plain reader when there was nothing to replay).
    pub(crate) end: Frame,
}

impl Replayed {
    /// The frames in order, for tests.
    #[cfg(test)]
    fn frames(&self) -> [&Frame; 2] {
        [&self.body, &self.end]
    }
}

/// The last public messages, oldest first.
pub(crate) struct History {
    capacity: usize,
    said: VecDeque<Said>,
    /// The seq of the newest message forgotten (0: none yet).
    forgotten_through: u64,
    /// How many messages were forgotten, ever.
    forgotten: u64,
    /// The latest history per dialect (see [`dialect`]), until the next message.
    latest: [Option<Rendered>; 2],
}

impl History {
    /// A history keeping the last `capacity` messages (0: none; a `since` is still told how
    /// many it missed).
    pub(crate) fn new(capacity: usize) -> Self {
        History {
            capacity,
            said: VecDeque::with_capacity(capacity.min(1024)),
            forgotten_through: 0,
            forgotten: 0,
            latest: [None, None],
        }
    }

    /// Counts `count` messages, the newest numbered `through`, as forgotten before any is
    /// remembered: a stored room's older messages, beyond what it loaded into its history on
    /// start, so that a `since` among them is told how many it missed.
    pub(crate) fn forget_before(&mut self, through: u64, count: u64) {
        self.forgotten_through = through;
        self.forgotten = count;
    }

    /// Remembers `event` if it is a public message or action, forgetting the oldest beyond the
    /// capacity. Messages come in seq order.
    pub(crate) fn remember(&mut self, event: &Event) {
        let Some(said) = Said::of(event) else {
            return;
        };
        self.said.push_back(said);
        while self.said.len() > self.capacity {
            if let Some(old) = self.said.pop_front() {
                self.forgotten_through = old.seq;
                self.forgotten += 1;
            }
        }
        self.latest = [None, None];
    }

    /// The stored messages a `replay` needs that the history has forgotten, as `(after,
    /// through)` for the store to read: `Some` only for a `since` older than the history.
    pub(crate) fn gap_to_read(&self, replay: Replay, room_seq: u64) -> Option<(u64, u64)> {
        match replay {
            Replay::Since(since) if since <= room_seq && self.forgotten_through > since => {
                Some((since, self.forgotten_through))
            }
            _ => None,
        }
    }

    /// The newest message the history has forgotten (0: none).
    pub(crate) fn forgotten_through(&self) -> u64 {
        self.forgotten_through
    }

    /// What a newcomer speaking `mode` that asked for the messages after `since` gets, the ones
    /// the history forgot having been read from the store (`older`, from [`gap_to_read`]): those,
    /// then the history's. Messages the history forgot after the read was asked for, or left
    /// out of it, are counted as missed.
    ///
    /// [`gap_to_read`]: History::gap_to_read
    pub(crate) fn replay_filled(
        &self,
        since: u64,
        older: Older,
        mode: Mode,
        today: NaiveDate,
    ) -> Replayed {
        let older_said: Vec<Said> = older.events.iter().filter_map(Said::of).collect();
        let from = self
            .said
            .partition_point(|said| said.seq <= since.max(older.through));
        let said: Vec<&Said> = older_said.iter().chain(self.said.range(from..)).collect();
        let (body, count, cut) = render(said.iter().copied(), mode, today);
        let forgotten_since = self.forgotten_through.saturating_sub(older.through);
        let missed = older.left_out + forgotten_since + cut;
        Replayed {
            body,
            shared: false,
            end: end_marker(mode, count, missed, false),
        }
    }

    /// What a newcomer speaking `mode` gets after its welcome for `replay` (nothing when it
    /// asked for none, or the room keeps none and it asked for no `since`). `room_seq` is the
    /// room's last public seq; `today` the UTC day.
    pub(crate) fn replay(
        &mut self,
        replay: Replay,
        mode: Mode,
        room_seq: u64,
        today: NaiveDate,
    ) -> Option<Replayed> {
        let selection = self.select(replay, room_seq)?;
        let shared = selection.from == 0;
        let (body, count, cut) = if shared {
            let latest = self.latest(mode, today);
            (latest.body.clone(), latest.count, latest.cut)
        } else {
            render(self.said.range(selection.from..), mode, today)
        };
        let missed = selection.missed + cut;
        Some(Replayed {
            body,
            shared,
            end: end_marker(mode, count, missed, selection.reset),
        })
    }

    /// Which messages a replay holds, and what it says about the rest.
    fn select(&self, replay: Replay, room_seq: u64) -> Option<Selection> {
        let latest = Selection {
            from: 0,
            missed: 0,
            reset: false,
        };
        match replay {
            Replay::Off => None,
            Replay::Recent => (self.capacity > 0).then_some(latest),
            Replay::Since(since) if since > room_seq => Some(Selection {
                reset: true,
                ..latest
            }),
            Replay::Since(since) => {
                // Joins, leaves and renames use seq numbers too: the gap in seq numbers is an
                // upper bound on the messages in it, and so is the count of those forgotten.
                let missed = match self.forgotten_through > since {
                    true => (self.forgotten_through - since).min(self.forgotten),
                    false => 0,
                };
                Some(Selection {
                    from: self.said.partition_point(|said| said.seq <= since),
                    missed,
                    reset: false,
                })
            }
        }
    }

    /// The whole history rendered for `mode`, rendered again only after a message or, for plain
    /// readers, at midnight UTC.
    fn latest(&mut self, mode: Mode, today: NaiveDate) -> &Rendered {
        let slot = &mut self.latest[dialect(mode)];
        if slot.as_ref().is_none_or(|r| r.today != today) {
            let (body, count, cut) = render(self.said.iter(), mode, today);
            *slot = Some(Rendered {
                today,
                body,
                count,
                cut,
            });
        }
        slot.as_ref().expect("just rendered")
    }
}

/// The marker that ends a replay of `count` messages: for a plain reader, nothing when there was
/// nothing to replay.
fn end_marker(mode: Mode, count: usize, missed: u64, reset: bool) -> Frame {
    let end = match mode {
        Mode::Json => Event::HistoryEnd {
            count,
            missed,
            reset,
        }
        .to_json_line(),
        Mode::Plain if count > 0 => plain::history_end(count),
        Mode::Plain => String::new(),
    };
    Arc::from(end.into_bytes())
}

/// Renders `said` for `mode`: the newest messages within [`MAX_REPLAY_BYTES`], oldest first.
/// Returns the bytes, how many messages they hold and how many were left out.
fn render<'a>(
    said: impl DoubleEndedIterator<Item = &'a Said> + ExactSizeIterator,
    mode: Mode,
    today: NaiveDate,
) -> (Frame, usize, u64) {
    let total = said.len();
    let mut lines = Vec::new();
    let mut bytes = 0;
    for said in said.rev() {
        let line = match mode {
            Mode::Json => said.event.to_json_line(),
            Mode::Plain => plain::history_line(&said.event, today).unwrap_or_default(),
        };
        if bytes + line.len() > MAX_REPLAY_BYTES {
            break;
        }
        bytes += line.len();
        lines.push(line);
    }
    let count = lines.len();
    let mut body = Vec::with_capacity(bytes);
    for line in lines.iter().rev() {
        body.extend_from_slice(line.as_bytes());
    }
    (Arc::from(body), count, (total - count) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Timestamp;

    fn message(seq: u64, kind: MessageKind, text: &str) -> Event {
        Event::Message {
            seq,
            ts: Timestamp::now(),
            from: "bob".into(),
            kind,
            to: None,
            text: text.into(),
            history: false,
        }
    }

    fn say(seq: u64) -> Event {
        message(seq, MessageKind::Say, &format!("line {seq}"))
    }

    fn today() -> NaiveDate {
        Timestamp::now().0.date_naive()
    }

    /// The JSON events a replay sends, parsed.
    fn events(history: &mut History, replay: Replay, room_seq: u64) -> Vec<Event> {
        history
            .replay(replay, Mode::Json, room_seq, today())
            .map_or_else(Vec::new, |replayed| parsed(&replayed))
    }

    /// The events in a JSON replay's frames.
    fn parsed(replayed: &Replayed) -> Vec<Event> {
        let text: String = replayed
            .frames()
            .iter()
            .map(|f| String::from_utf8(f.to_vec()).unwrap())
            .collect();
        text.lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect()
    }

    fn seqs(events: &[Event]) -> Vec<u64> {
        events
            .iter()
            .filter_map(|e| match e {
                Event::Message { seq, history, .. } => {
                    assert!(history, "replayed messages are marked");
                    Some(*seq)
                }
                _ => None,
            })
            .collect()
    }

    fn end(events: &[Event]) -> (usize, u64, bool) {
        match events.last() {
            Some(Event::HistoryEnd {
                count,
                missed,
                reset,
            }) => (*count, *missed, *reset),
            other => panic!("no end marker: {other:?}"),
        }
    }

    #[test]
    fn it_keeps_the_last_n_public_messages() {
        let mut history = History::new(3);
        for seq in 1..=5 {
            history.remember(&say(seq));
        }
        history.remember(&message(6, MessageKind::Pm, "psst"));
        history.remember(&Event::Join {
            seq: 7,
            ts: Timestamp::now(),
            nick: "x".into(),
            count: 2,
        });
        history.remember(&message(8, MessageKind::Me, "waves"));
        let replayed = events(&mut history, Replay::Recent, 8);
        assert_eq!(seqs(&replayed), [4, 5, 8]);
        assert_eq!(end(&replayed), (3, 0, false));
    }

    #[test]
    fn since_replays_the_gap_and_counts_what_was_forgotten() {
        let mut history = History::new(3);
        for seq in 1..=6 {
            history.remember(&say(seq));
        }
        let replayed = events(&mut history, Replay::Since(4), 6);
        assert_eq!(seqs(&replayed), [5, 6]);
        assert_eq!(end(&replayed), (2, 0, false));
        // Held: 4, 5, 6; forgotten: 1, 2, 3.
        let replayed = events(&mut history, Replay::Since(1), 6);
        assert_eq!(seqs(&replayed), [4, 5, 6]);
        assert_eq!(end(&replayed), (3, 2, false));
        let replayed = events(&mut history, Replay::Since(6), 6);
        assert_eq!(end(&replayed), (0, 0, false));
        // A seq the room never reached: the host started over; the latest history instead.
        let replayed = events(&mut history, Replay::Since(99), 6);
        assert_eq!(seqs(&replayed), [4, 5, 6]);
        assert_eq!(end(&replayed), (3, 0, true));
    }

    #[test]
    fn seq_numbers_of_other_events_do_not_count_beyond_the_forgotten() {
        // Messages 10 and 20 (seq 11..19 were joins) are forgotten: at most 2 missed.
        let mut history = History::new(1);
        for seq in [10, 20, 30] {
            history.remember(&say(seq));
        }
        let replayed = events(&mut history, Replay::Since(5), 30);
        assert_eq!(end(&replayed), (1, 2, false));
    }

    /// The JSON events of a replay filled from the store, parsed.
    fn filled_events(history: &History, since: u64, older: Older) -> Vec<Event> {
        parsed(&history.replay_filled(since, older, Mode::Json, today()))
    }

    #[test]
    fn a_gap_older_than_the_history_is_read_from_the_store_and_joined_to_it() {
        let mut history = History::new(2);
        for seq in 1..=6 {
            history.remember(&say(seq));
        }
        // Held: 5, 6. A client that saw 1 needs 2..=4 from the store.
        assert_eq!(history.gap_to_read(Replay::Since(1), 6), Some((1, 4)));
        assert_eq!(history.gap_to_read(Replay::Since(4), 6), None);
        assert_eq!(history.gap_to_read(Replay::Since(99), 6), None);
        assert_eq!(history.gap_to_read(Replay::Recent, 6), None);
        let older = Older {
            events: (2..=4).map(say).collect(),
            left_out: 0,
            through: 4,
        };
        let replayed = filled_events(&history, 1, older);
        assert_eq!(seqs(&replayed), [2, 3, 4, 5, 6]);
        assert_eq!(end(&replayed), (5, 0, false));
    }

    #[test]
    fn what_the_history_forgot_during_the_read_or_the_read_left_out_is_missed() {
        let mut history = History::new(2);
        for seq in 1..=6 {
            history.remember(&say(seq));
        }
        let (after, through) = history.gap_to_read(Replay::Since(1), 6).unwrap();
        // While the store read 2..=4 (leaving out 2), messages 7 and 8 pushed 5 and 6 out.
        history.remember(&say(7));
        history.remember(&say(8));
        let older = Older {
            events: vec![say(3), say(4)],
            left_out: 1,
            through,
        };
        let replayed = filled_events(&history, after, older);
        assert_eq!(seqs(&replayed), [3, 4, 7, 8]);
        assert_eq!(end(&replayed), (4, 3, false));
    }

    #[test]
    fn no_history_means_no_replay_but_since_still_hears_what_it_missed() {
        let mut history = History::new(0);
        for seq in 1..=4 {
            history.remember(&say(seq));
        }
        assert!(
            history
                .replay(Replay::Recent, Mode::Json, 4, today())
                .is_none()
        );
        let replayed = events(&mut history, Replay::Since(2), 4);
        assert_eq!(end(&replayed), (0, 2, false));
        let mut history = History::new(5);
        history.remember(&say(1));
        assert!(
            history
                .replay(Replay::Off, Mode::Json, 1, today())
                .is_none()
        );
    }

    #[test]
    fn plain_readers_get_lines_and_an_end_only_after_some() {
        let mut history = History::new(5);
        let empty = history
            .replay(Replay::Recent, Mode::Plain, 0, today())
            .unwrap();
        assert!(empty.body.is_empty() && empty.end.is_empty());
        history.remember(&say(1));
        history.remember(&message(2, MessageKind::Me, "waves"));
        let text: String = history
            .replay(Replay::Recent, Mode::Plain, 2, today())
            .unwrap()
            .frames()
            .iter()
            .map(|f| String::from_utf8(f.to_vec()).unwrap())
            .collect();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 3, "{text}");
        assert!(lines[0].ends_with("] <bob> line 1"), "{text}");
        assert!(lines[1].ends_with("] * bob waves"), "{text}");
        assert_eq!(lines[2], plain::history_end(2).trim_end());
    }

    #[test]
    fn the_latest_history_is_rendered_once_until_the_next_message() {
        let mut history = History::new(5);
        history.remember(&say(1));
        let first = history
            .replay(Replay::Recent, Mode::Json, 1, today())
            .unwrap();
        let second = history
            .replay(Replay::Recent, Mode::Json, 1, today())
            .unwrap();
        assert!(first.shared && Arc::ptr_eq(&first.body, &second.body));
        history.remember(&say(2));
        let third = history
            .replay(Replay::Recent, Mode::Json, 2, today())
            .unwrap();
        assert!(!Arc::ptr_eq(&first.body, &third.body));
        // A gap is rendered for its newcomer alone.
        let gap = history
            .replay(Replay::Since(1), Mode::Json, 2, today())
            .unwrap();
        assert!(!gap.shared);
    }

    #[test]
    fn a_replay_stays_within_its_byte_limit_and_counts_the_rest_missed() {
        let long = "x".repeat(100_000);
        let mut history = History::new(20);
        for seq in 1..=20 {
            history.remember(&message(seq, MessageKind::Say, &long));
        }
        let replayed = history
            .replay(Replay::Recent, Mode::Json, 20, today())
            .unwrap();
        assert!(replayed.body.len() <= MAX_REPLAY_BYTES);
        let replayed = events(&mut history, Replay::Recent, 20);
        let (count, missed, _) = end(&replayed);
        assert!((1..20).contains(&count));
        assert_eq!(count as u64 + missed, 20);
        assert_eq!(seqs(&replayed).last(), Some(&20), "the newest are kept");
    }
}
