//! Deadlines for a shard: handshake timeouts and the end of a flooder's pause.
//!
//! A min-heap of (when, connection). Entries are never removed early: when one comes due the
//! shard asks the connection (if it still exists, and is still the same connection: slots are
//! reused) whether anything is really due, so cancelling a deadline costs nothing.

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

/// A connection, as timers name it: its slot and its unique id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Due {
    pub slot: usize,
    pub id: u64,
}

#[derive(Default)]
pub struct Timers {
    heap: BinaryHeap<Reverse<(Instant, Due)>>,
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
}
