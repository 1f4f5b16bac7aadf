//! The room's memory of the messages it took with a resend key, so that a message sent again
//! after a broken connection is taken once.
//!
//! `chatroom send --retry` (and a reconnecting `join`) number their messages (`mid`) under a
//! random client id (`cid`), and after a broken connection send again everything the host had
//! not acknowledged: some of it the host took before the connection broke. The room looks each
//! key up here first; a key it took already is acknowledged again (with the `seq` it got, while
//! that is remembered) and not published twice.
//!
//! What is remembered is bounded, whatever clients send:
//! - per client id, every `mid` below a floor counts as taken, and the last [`PER_CLIENT`] taken
//!   above it are kept with their `seq`. A client numbers its messages upwards and resends from
//!   its oldest unacknowledged one, so what it resends is above the floor or was taken;
//! - at most [`CLIENTS`] client ids, the least recently used forgotten first. A hostile client
//!   inventing client ids can only push out others' windows at the rate the room lets it post
//!   (`--rate`), and costs the host at most `CLIENTS` windows of `PER_CLIENT` entries.
//!
//! The window lives in memory. With `--store`, each public message is stored with its `cid` and
//! `mid`, and a restarted room refills the window from the newest [`CAPACITY`] of them (by
//! `record`, oldest first, so the least recently used are still the ones forgotten first): a
//! resend across a restart is taken once too. Without a store a restarted host has forgotten
//! what the old one took. (Private messages are not stored, so their keys do not survive a
//! restart.)

use std::collections::{BTreeMap, HashMap};

use crate::protocol::wire::MessageKey;

/// Taken message ids kept with their `seq`, per client id.
const PER_CLIENT: usize = 16;

/// Client ids remembered host-wide.
const CLIENTS: usize = 4096;

/// The most keys the window holds: what a restarted room refills it with, at most.
pub(crate) const CAPACITY: usize = CLIENTS * PER_CLIENT;

/// What the room remembers of one client id.
#[derive(Default)]
struct Window {
    /// Every `mid` below this was taken (or will never be sent: the client moved past it).
    floor: u64,
    /// Taken `mid`s at or above `floor`, with the `seq` each got (none for a plain-mode ack).
    recent: BTreeMap<u64, Option<u64>>,
    /// When this client id was last used, for forgetting the least recently used.
    used: u64,
}

/// What the room knows of a key.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Seen {
    /// Not taken yet.
    New,
    /// Taken already; the `seq` it got, when still remembered.
    Taken(Option<u64>),
}

/// The room's dedupe window.
#[derive(Default)]
pub(crate) struct Dedupe {
    windows: HashMap<String, Window>,
    /// Client ids by last use, oldest first, to forget the least recently used in O(log n).
    by_use: BTreeMap<u64, String>,
    /// Counts uses: each lookup or record is one.
    clock: u64,
}

impl Dedupe {
    /// Whether the message with `key` was taken already.
    pub(crate) fn seen(&mut self, key: &MessageKey) -> Seen {
        let Some(window) = self.windows.get(&key.cid) else {
            return Seen::New;
        };
        if key.mid < window.floor {
            return Seen::Taken(None);
        }
        match window.recent.get(&key.mid) {
            Some(seq) => Seen::Taken(*seq),
            None => Seen::New,
        }
    }

    /// Remembers that the message with `key` was taken, as `seq`.
    pub(crate) fn record(&mut self, key: MessageKey, seq: Option<u64>) {
        self.clock += 1;
        let now = self.clock;
        if !self.windows.contains_key(&key.cid) && self.windows.len() >= CLIENTS {
            self.forget_oldest();
        }
        let window = self.windows.entry(key.cid.clone()).or_default();
        self.by_use.remove(&window.used);
        window.used = now;
        self.by_use.insert(now, key.cid);
        if key.mid < window.floor {
            return;
        }
        window.recent.insert(key.mid, seq);
        if window.recent.len() > PER_CLIENT
            && let Some((oldest, _)) = window.recent.pop_first()
        {
            window.floor = window.floor.max(oldest.saturating_add(1));
        }
    }

    /// Forgets the least recently used client id.
    fn forget_oldest(&mut self) {
        if let Some((_, cid)) = self.by_use.pop_first() {
            self.windows.remove(&cid);
        }
    }

    /// How many client ids are remembered (for tests).
    #[cfg(test)]
    fn clients(&self) -> usize {
        debug_assert_eq!(self.windows.len(), self.by_use.len());
        self.windows.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(cid: &str, mid: u64) -> MessageKey {
        MessageKey {
            cid: cid.into(),
            mid,
        }
    }

    #[test]
    fn a_resend_is_seen_with_its_seq() {
        let mut dedupe = Dedupe::default();
        assert_eq!(dedupe.seen(&key("a", 1)), Seen::New);
        dedupe.record(key("a", 1), Some(10));
        dedupe.record(key("a", 2), Some(11));
        assert_eq!(dedupe.seen(&key("a", 1)), Seen::Taken(Some(10)));
        assert_eq!(dedupe.seen(&key("a", 2)), Seen::Taken(Some(11)));
        assert_eq!(dedupe.seen(&key("a", 3)), Seen::New);
        // Another client's message 1 is another message.
        assert_eq!(dedupe.seen(&key("b", 1)), Seen::New);
    }

    #[test]
    fn old_ids_stay_taken_once_their_seq_is_forgotten() {
        let mut dedupe = Dedupe::default();
        let last = PER_CLIENT as u64 * 3;
        for mid in 1..=last {
            dedupe.record(key("a", mid), Some(mid + 100));
        }
        // The floor remembers the old ones without their seq; the recent keep theirs.
        assert_eq!(dedupe.seen(&key("a", 1)), Seen::Taken(None));
        assert_eq!(dedupe.seen(&key("a", last)), Seen::Taken(Some(last + 100)));
        assert_eq!(dedupe.seen(&key("a", last + 1)), Seen::New);
        let window = &dedupe.windows["a"];
        assert_eq!(window.recent.len(), PER_CLIENT);
    }

    #[test]
    fn the_capacity_holds_every_client_s_full_window() {
        // A restarted room refills CAPACITY keys: all of them fit, none pushed out.
        let mut dedupe = Dedupe::default();
        for n in 0..CAPACITY as u64 {
            let client = n % CLIENTS as u64;
            dedupe.record(key(&format!("c{client}"), n / CLIENTS as u64), Some(n));
        }
        assert_eq!(dedupe.clients(), CLIENTS);
        assert_eq!(dedupe.seen(&key("c0", 0)), Seen::Taken(Some(0)));
        let last = CAPACITY as u64 - 1;
        let newest = key(&format!("c{}", CLIENTS - 1), last / CLIENTS as u64);
        assert_eq!(dedupe.seen(&newest), Seen::Taken(Some(last)));
    }

    #[test]
    fn a_gap_within_the_window_is_still_new() {
        let mut dedupe = Dedupe::default();
        dedupe.record(key("a", 1), Some(1));
        dedupe.record(key("a", 3), Some(2));
        assert_eq!(dedupe.seen(&key("a", 2)), Seen::New);
    }

    #[test]
    fn invented_client_ids_cannot_grow_it_past_its_bound() {
        let mut dedupe = Dedupe::default();
        dedupe.record(key("honest", 1), Some(1));
        for n in 0..CLIENTS * 3 {
            dedupe.record(key(&format!("hostile{n}"), 1), Some(2));
            // The honest client keeps posting: it stays among the recently used.
            if n % (CLIENTS / 2) == 0 {
                dedupe.record(key("honest", 2 + n as u64), None);
            }
        }
        assert_eq!(dedupe.clients(), CLIENTS);
        assert_eq!(dedupe.seen(&key("honest", 1)), Seen::Taken(Some(1)));
        // The least recently used went first.
        assert_eq!(dedupe.seen(&key("hostile0", 1)), Seen::New);
        let per_client = dedupe.windows.values().map(|w| w.recent.len()).max();
        assert!(per_client <= Some(PER_CLIENT));
    }

    #[test]
    fn a_huge_mid_does_not_overflow() {
        let mut dedupe = Dedupe::default();
        for mid in (u64::MAX - PER_CLIENT as u64 - 2)..=u64::MAX {
            dedupe.record(key("a", mid), None);
        }
        assert_eq!(dedupe.seen(&key("a", u64::MAX)), Seen::Taken(None));
        assert_eq!(dedupe.seen(&key("a", 0)), Seen::Taken(None));
    }
}
