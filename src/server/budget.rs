//! The host-wide budget for bytes waiting for single clients: replies, errors and private
//! messages queued in their outboxes (see `outbox.rs`) because their sockets are full.
//!
//! Each client may hold `MAX_OWN_BYTES` of its own, but a thousand clients that stop reading
//! would then make the host hold gigabytes. So every shard charges to one shared count the bytes
//! a flush leaves waiting, and releases them as they are written or when the connection closes
//! (`--max-queued`). Once the budget is spent, the room refuses a private message to a member
//! that is not reading (its sender is told it was not delivered), and a client whose own replies
//! would have to wait beyond the budget is let go like any reader too far behind. Frames for a
//! client that reads are written within the turn they were queued in and never charged, so a
//! spent budget costs clients that keep up nothing, and their acks no atomic operation.
//!
//! One atomic shared by all shards and the room: a compare-and-swap per charge, no lock. The
//! room only reads it (what it routes this turn to members not reading is counted as well), and
//! the shards charge what waits after a flush, so a private message routed just as another shard
//! charged the last of the budget is still queued: its recipient is then let go as too far
//! behind rather than its sender refused. The budget is exceeded by at most the frames of one
//! turn, and only until they are written or let go.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The default `--max-queued`, in MiB: sixteen clients holding their whole `MAX_OWN_BYTES` each
/// (far more than a room's worth of people who are merely slow), and small beside any machine
/// that runs a room of the default `--max-clients`.
pub const DEFAULT_MAX_QUEUED_MIB: u32 = 64;

/// One mebibyte, the unit of `--max-queued`.
pub const MIB: usize = 1024 * 1024;

/// The shared count of queued bytes, and its limit. Clones share the count.
#[derive(Debug, Clone)]
pub(crate) struct QueueBudget {
    limit: usize,
    used: Arc<AtomicUsize>,
}

impl QueueBudget {
    pub(crate) fn new(limit: usize) -> Self {
        QueueBudget {
            limit,
            used: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// A budget that never runs out (for tests of other things).
    #[cfg(test)]
    pub(crate) fn unlimited() -> Self {
        QueueBudget::new(usize::MAX)
    }

    /// True when `bytes` more would fit now.
    pub(crate) fn fits(&self, bytes: usize) -> bool {
        self.used
            .load(Ordering::Relaxed)
            .checked_add(bytes)
            .is_some_and(|total| total <= self.limit)
    }

    /// Charges `bytes` if they fit; false (and nothing charged) if they do not.
    pub(crate) fn try_charge(&self, bytes: usize) -> bool {
        self.used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                used.checked_add(bytes).filter(|&total| total <= self.limit)
            })
            .is_ok()
    }

    /// Charges `bytes` whether they fit or not: for bytes already queued that did not fit, held
    /// only until their client is let go.
    pub(crate) fn force_charge(&self, bytes: usize) {
        let _ = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                Some(used.saturating_add(bytes))
            });
    }

    /// Gives back `bytes` charged before. Never goes below zero, whatever a caller gets wrong.
    pub(crate) fn release(&self, bytes: usize) {
        let _ = self
            .used
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |used| {
                Some(used.saturating_sub(bytes))
            });
    }

    /// Bytes charged now.
    #[cfg(test)]
    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_up_to_the_limit_and_refuses_past_it() {
        let budget = QueueBudget::new(100);
        assert!(budget.try_charge(60));
        assert!(budget.fits(40));
        assert!(!budget.fits(41));
        assert!(!budget.try_charge(41));
        assert_eq!(budget.used(), 60, "a refused charge takes nothing");
        assert!(budget.try_charge(40));
        assert!(!budget.try_charge(1));
        budget.release(30);
        assert!(budget.try_charge(30));
        assert_eq!(budget.used(), 100);
    }

    #[test]
    fn clones_share_one_count() {
        let budget = QueueBudget::new(10);
        let other = budget.clone();
        assert!(budget.try_charge(7));
        assert!(!other.try_charge(4));
        other.release(7);
        assert!(budget.try_charge(10));
    }

    #[test]
    fn a_forced_charge_counts_and_blocks_others_until_released() {
        let budget = QueueBudget::new(10);
        budget.force_charge(25);
        assert_eq!(budget.used(), 25);
        assert!(!budget.try_charge(1));
        budget.release(25);
        assert!(budget.try_charge(10));
    }

    #[test]
    fn never_underflows_or_overflows() {
        let budget = QueueBudget::new(10);
        assert!(budget.try_charge(5));
        budget.release(50);
        assert_eq!(budget.used(), 0);
        assert!(budget.try_charge(10));
        let unlimited = QueueBudget::unlimited();
        unlimited.force_charge(usize::MAX);
        unlimited.force_charge(1);
        assert_eq!(unlimited.used(), usize::MAX);
        assert!(!unlimited.try_charge(1));
        assert!(!unlimited.fits(1));
    }

    #[test]
    fn concurrent_charges_never_exceed_the_limit() {
        let budget = QueueBudget::new(1000);
        let threads: Vec<_> = (0..4)
            .map(|_| {
                let budget = budget.clone();
                std::thread::spawn(move || (0..1000).filter(|_| budget.try_charge(3)).count())
            })
            .collect();
        let charged: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
        assert_eq!(charged, 333);
        assert_eq!(budget.used(), 999);
    }
}
