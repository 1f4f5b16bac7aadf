//! Messages `send` holds to send again because the room refused them as `unavailable`: a room
//! shared across hosts (`host --redis`) whose host is reconnecting to its Redis takes no
//! messages until it is back. With `--retry` they are sent again, in their order, when the room
//! says it is back (`room_back`) or else after a growing wait, for as long as `--retry` allows
//! from the first refusal without an ack since;
//! the resend key makes sure each is taken once. (Without `--retry` such a refusal is final.)

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use super::retry::Backoff;

/// The first wait before sending held messages again, and the longest.
const FIRST_WAIT: Duration = Duration::from_millis(250);
const LONGEST_WAIT: Duration = Duration::from_secs(2);

/// The messages held, by number, and since when the room has taken nothing.
pub(crate) struct Held {
    numbers: BTreeSet<u64>,
    /// The first refusal with no ack since: the start of the outage, as `send` sees it.
    since: Option<Instant>,
    /// When the held messages go out again.
    due: Option<Instant>,
    backoff: Backoff,
}

impl Default for Held {
    fn default() -> Self {
        Held {
            numbers: BTreeSet::new(),
            since: None,
            due: None,
            backoff: Backoff::new(FIRST_WAIT, LONGEST_WAIT),
        }
    }
}

impl Held {
    /// Holds message `number`, refused at `now`. True when this refusal starts an outage (the
    /// user is told once).
    pub(crate) fn hold(&mut self, number: u64, now: Instant) -> bool {
        self.numbers.insert(number);
        if self.due.is_none() {
            self.due = Some(now + self.backoff.next_wait());
        }
        let first = self.since.is_none();
        self.since.get_or_insert(now);
        first
    }

    /// A message was acknowledged: the room takes messages again.
    pub(crate) fn progressed(&mut self) {
        self.since = None;
        self.backoff = Backoff::new(FIRST_WAIT, LONGEST_WAIT);
    }

    /// Everything unacknowledged was sent again (after a reconnect): nothing is held any more,
    /// though the room may still be refusing (the outage's clock runs on).
    pub(crate) fn sent_again(&mut self) {
        self.numbers.clear();
        self.due = None;
    }

    /// The room says it takes messages again: whatever is held is due `now`.
    pub(crate) fn back(&mut self, now: Instant) {
        if !self.numbers.is_empty() {
            self.due = Some(now);
        }
    }

    /// When the held messages are to go out again, if any are held.
    pub(crate) fn due(&self) -> Option<Instant> {
        self.due
    }

    /// How long the room has taken nothing, when it is refusing.
    pub(crate) fn refusing_for(&self, now: Instant) -> Option<Duration> {
        self.since.map(|since| now.saturating_duration_since(since))
    }

    /// The held messages, lowest first, when they are due at `now` (they are no longer held).
    pub(crate) fn take_due(&mut self, now: Instant) -> Vec<u64> {
        if self.due.is_none_or(|due| due > now) {
            return Vec::new();
        }
        self.due = None;
        std::mem::take(&mut self.numbers).into_iter().collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn held_messages_go_out_again_in_order_once_due() {
        let mut held = Held::default();
        let start = Instant::now();
        assert!(held.hold(7, start), "the first refusal starts an outage");
        assert!(!held.hold(3, start), "told once");
        assert!(held.take_due(start).is_empty(), "not due yet");
        let due = held.due().expect("due some time");
        assert!(due > start && due <= start + LONGEST_WAIT);
        assert_eq!(held.take_due(due), [3, 7]);
        assert_eq!(held.due(), None);
        // The room says it is back: what is held goes at once.
        held.hold(4, due);
        held.back(due);
        assert_eq!(held.take_due(due), [4]);
        held.back(due);
        assert_eq!(held.due(), None, "nothing held, nothing due");
        // A reconnect sends everything again: nothing stays held, the outage goes on.
        held.hold(9, due);
        held.sent_again();
        assert_eq!(
            (held.due(), held.take_due(due + LONGEST_WAIT)),
            (None, vec![])
        );
        assert!(held.refusing_for(due).is_some());
        assert!(held.take_due(due + LONGEST_WAIT).is_empty(), "taken once");
    }

    #[test]
    fn the_outage_lasts_until_an_ack() {
        let mut held = Held::default();
        let start = Instant::now();
        held.hold(1, start);
        let later = start + Duration::from_secs(3);
        assert_eq!(held.refusing_for(later), Some(Duration::from_secs(3)));
        held.hold(1, later);
        assert_eq!(held.refusing_for(later), Some(Duration::from_secs(3)));
        held.progressed();
        assert_eq!(held.refusing_for(later), None);
        assert!(held.hold(2, later), "a new outage is told again");
    }
}
