//! Deadlines for a shard: handshake timeouts, the end of a flooder's pause, a lingering close,
//! and when a JSON member's silence is next looked at (see `liveness.rs`).
//!
//! A min-heap of (when, connection). Entries are not removed one by one: when one comes due the
//! shard asks the connection (if it still exists, and is still the same connection: slots are
//! reused) whether anything is really due, so cancelling a deadline costs nothing. What a closed
//! connection leaves behind is swept out in bulk instead ([`Timers::forget_stale`]): a storm of
//! connections that open and close at once would otherwise leave one entry each in the heap until
//! its handshake deadline, which a fast enough storm grows without bound.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

/// A heap this small is never swept: the sweep would cost more than the entries.
const SWEEP_FLOOR: usize = 64;

/// A connection, as timers name it: its slot and its unique id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Due {
    pub slot: usize,
    pub id: u64,
}

#[derive(Default)]
pub struct Timers {
    heap: BinaryHeap<Reverse<(Instant, Due)>>,
    /// The heap is swept once it holds more entries than this: twice what the last sweep kept,
    /// so each sweep is paid for by as many additions and the cost per entry stays constant.
    sweep_above: usize,
}

impl Timers {
    pub fn add(&mut self, when: Instant, due: Due) {
        self.heap.push(Reverse((when, due)));
    }

    /// How long the loop may sleep before the next deadline (`None`: no deadline at all).
    pub fn sleep_for(&self, now: Instant) -> Option<Duration> {
        self.heap
            .peek()
            .map(|Reverse((when, _))| when.saturating_duration_since(now))
    }

    /// Removes and returns one entry that is due at `now`.
    pub fn pop_due(&mut self, now: Instant) -> Option<Due> {
        match self.heap.peek() {
            Some(Reverse((when, _))) if *when <= now => self.heap.pop().map(|Reverse((_, d))| d),
            _ => None,
        }
    }

    /// After a connection closed: when the heap has grown to twice what the last sweep kept,
    /// drops every entry whose connection `is_open` says is gone, and gives back the memory. The
    /// heap thus holds at most about twice the entries of the open connections (each has at most
    /// a few: a deadline, a pause, a liveness check, a lingering close).
    pub fn forget_stale(&mut self, is_open: impl Fn(Due) -> bool) {
        if self.heap.len() <= self.sweep_above.max(SWEEP_FLOOR) {
            return;
        }
        self.heap.retain(|Reverse((_, due))| is_open(*due));
        self.sweep_above = 2 * self.heap.len();
        self.heap.shrink_to(self.sweep_above.max(SWEEP_FLOOR));
    }

    /// Entries held, stale ones included.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.heap.len()
    }

    /// Memory reserved for entries.
    #[cfg(test)]
    fn capacity(&self) -> usize {
        self.heap.capacity()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deadlines_come_due_in_order() {
        let now = Instant::now();
        let mut timers = Timers::default();
        let (a, b) = (Due { slot: 1, id: 10 }, Due { slot: 2, id: 20 });
        timers.add(now + Duration::from_millis(20), b);
        timers.add(now + Duration::from_millis(10), a);
        assert_eq!(timers.sleep_for(now), Some(Duration::from_millis(10)));
        assert_eq!(timers.pop_due(now), None);
        let later = now + Duration::from_millis(25);
        assert_eq!(timers.pop_due(later), Some(a));
        assert_eq!(timers.pop_due(later), Some(b));
        assert_eq!(timers.sleep_for(later), None);
    }

    /// A connect-close storm: 100,000 connections, each with a handshake deadline 10 s out, each
    /// closed right after it opened, while `live` others stay open. The heap stays within a small
    /// multiple of the open connections, and the open ones' deadlines all survive.
    #[test]
    fn closed_connections_deadlines_do_not_pile_up() {
        let now = Instant::now();
        let deadline = now + Duration::from_secs(10);
        let mut timers = Timers::default();
        let live = 500;
        let is_open = |due: Due| due.id < live as u64;
        for id in 0..live as u64 {
            timers.add(
                deadline,
                Due {
                    slot: id as usize,
                    id,
                },
            );
        }
        let mut highest = 0;
        for id in live as u64..100_000 {
            let slot = live + (id % 7) as usize; // Slots are reused; ids are not.
            timers.add(deadline, Due { slot, id });
            timers.forget_stale(is_open);
            highest = highest.max(timers.len());
        }
        assert!(
            highest <= 2 * live + 1,
            "the heap grew to {highest} entries"
        );
        assert!(
            timers.capacity() <= 4 * live,
            "capacity {}",
            timers.capacity()
        );
        let mut fired = 0;
        while let Some(due) = timers.pop_due(deadline) {
            fired += usize::from(is_open(due));
        }
        assert_eq!(fired, live, "every open connection's deadline is kept");
    }

    #[test]
    fn a_small_heap_is_left_alone() {
        let now = Instant::now();
        let mut timers = Timers::default();
        for id in 0..SWEEP_FLOOR as u64 {
            timers.add(now, Due { slot: 0, id });
        }
        timers.forget_stale(|_| false);
        assert_eq!(timers.len(), SWEEP_FLOOR);
        timers.add(now, Due { slot: 0, id: 99 });
        timers.forget_stale(|_| false);
        assert_eq!(timers.len(), 0);
    }
}
