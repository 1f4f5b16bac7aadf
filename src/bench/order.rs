//! Whether every receiver saw the room's messages in one and the same order.
//!
//! A room promises more than each sender's messages in send order (which [`super::tally`]
//! checks): every member sees the same interleaving of all senders, on every host of a room
//! shared through Redis too. Comparing whole sequences would mean keeping every receiver's, so
//! the check ranks instead: a message's rank is the order in which the bench first read it from
//! a receiver that gets every message (one that does not send: the room does not echo a
//! sender's own messages), and each receiver must then see ranks rise.
//!
//! That is exact. If the room has one order, such a receiver reads m1 before m2 whenever m1
//! comes first, so the first reading of m1 precedes the first reading of m2, and ranks follow
//! the room's order: every receiver sees them rise. If two receivers disagree on m1 and m2,
//! whichever of the two ranks is lower, one of them sees it second, after the higher one, and
//! the disagreement is counted. (A receiver that lost a message can rank it late for the others;
//! a loss fails the run anyway.) A sender may read a message before any receiver that gets
//! everything has: that delivery waits in the sender's queue, in order, until the message has its
//! rank.
//!
//! Memory is bounded whatever the run's length: each sender's most recent ranks live in a ring
//! (a slot per sequence number modulo its size), and a sender's waiting deliveries in a queue of
//! at most the ring's size. A delivery whose slot has been taken by a later message of the same
//! sender, or that would overflow the queue, or that no receiver reading everything ever got
//! (every client sends), cannot be compared; those are counted apart, never as agreement or
//! disagreement. With the send window on (the default) the ring is larger than any receiver's
//! lag, so that does not happen.

use std::collections::VecDeque;

/// The most slots of all rings together (16 bytes each: 32 MB).
const MAX_SLOTS: usize = 1 << 21;

/// The order check of one run.
pub struct RoomOrder {
    /// Slots per sender (a power of two), and that minus one to pick a slot.
    ring: usize,
    mask: u64,
    /// Per slot (`sender * ring + seq % ring`): the sequence number it holds (0: none yet)
    /// and that message's rank.
    seqs: Vec<u64>,
    ranks: Vec<u64>,
    /// Ranks handed out so far.
    ranked: u64,
    /// Receivers below this number send, and so miss their own messages.
    senders: usize,
    /// Per sending receiver: its deliveries, as (sender, seq), that had no rank yet.
    waiting: Vec<VecDeque<(usize, u64)>>,
    /// Per receiver: the highest rank it has seen, and how many of its deliveries came after a
    /// higher one.
    last_rank: Vec<u64>,
    out_of_order: Vec<u64>,
    /// Deliveries that came after their slot was taken by a later message.
    pub unchecked: u64,
}

impl RoomOrder {
    /// A check for `receivers` clients and `senders` senders sending `messages` each.
    pub fn new(receivers: usize, senders: usize, messages: u64) -> Self {
        let needed = usize::try_from(messages)
            .unwrap_or(usize::MAX)
            .checked_next_power_of_two()
            .unwrap_or(MAX_SLOTS);
        let affordable = prev_power_of_two((MAX_SLOTS / senders.max(1)).max(1));
        let ring = needed.min(affordable);
        RoomOrder {
            ring,
            mask: ring as u64 - 1,
            seqs: vec![0; senders * ring],
            ranks: vec![0; senders * ring],
            ranked: 0,
            senders,
            waiting: vec![VecDeque::new(); senders.min(receivers)],
            last_rank: vec![0; receivers],
            out_of_order: vec![0; receivers],
            unchecked: 0,
        }
    }

    /// Receiver `receiver` read message `seq` (from 1) of sender `sender` (both from 0).
    pub fn record(&mut self, receiver: usize, sender: usize, seq: u64) {
        if receiver >= self.senders {
            let slot = self.slot(sender, seq);
            if self.seqs[slot] < seq {
                // No receiver of everything has read it yet: it ranks after all read so far.
                self.ranked += 1;
                self.seqs[slot] = seq;
                self.ranks[slot] = self.ranked;
            }
            self.compare(receiver, sender, seq);
            return;
        }
        self.settle(receiver);
        if self.waiting[receiver].is_empty() && self.rank(sender, seq) != Rank::NotYet {
            self.compare(receiver, sender, seq);
        } else if self.waiting[receiver].len() < self.ring {
            self.waiting[receiver].push_back((sender, seq));
        } else {
            self.unchecked += 1;
        }
    }

    /// The run is over: what still waits is compared if it can be.
    pub fn finish(&mut self) {
        for receiver in 0..self.waiting.len() {
            self.settle(receiver);
            self.unchecked += self.waiting[receiver].len() as u64;
            self.waiting[receiver].clear();
        }
    }

    /// Compares the deliveries sending receiver `receiver` has waiting, oldest first, as far as
    /// they have ranks now.
    fn settle(&mut self, receiver: usize) {
        while let Some(&(sender, seq)) = self.waiting[receiver].front() {
            if self.rank(sender, seq) == Rank::NotYet {
                break;
            }
            self.waiting[receiver].pop_front();
            self.compare(receiver, sender, seq);
        }
    }

    /// Holds a delivery with its rank against the receiver's last.
    fn compare(&mut self, receiver: usize, sender: usize, seq: u64) {
        let Rank::Is(rank) = self.rank(sender, seq) else {
            self.unchecked += 1;
            return;
        };
        let last = &mut self.last_rank[receiver];
        if rank > *last {
            *last = rank;
        } else {
            self.out_of_order[receiver] += 1;
        }
    }

    fn slot(&self, sender: usize, seq: u64) -> usize {
        sender * self.ring + (seq & self.mask) as usize
    }

    fn rank(&self, sender: usize, seq: u64) -> Rank {
        let slot = self.slot(sender, seq);
        match self.seqs[slot] {
            held if held < seq => Rank::NotYet,
            held if held == seq => Rank::Is(self.ranks[slot]),
            _ => Rank::Gone,
        }
    }

    /// Deliveries that came after one the room ordered later, over all receivers.
    pub fn disagreements(&self) -> u64 {
        self.out_of_order.iter().sum()
    }

    /// Receivers with at least one such delivery.
    pub fn disagreeing_receivers(&self) -> usize {
        self.out_of_order.iter().filter(|&&n| n > 0).count()
    }
}

/// What the ring knows of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rank {
    /// No receiver of everything has read it yet.
    NotYet,
    Is(u64),
    /// Its slot holds a later message now.
    Gone,
}

/// The largest power of two not above `n` (which is at least 1).
fn prev_power_of_two(n: usize) -> usize {
    1 << (usize::BITS - 1 - n.leading_zeros())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds each receiver's deliveries, as (sender, seq), receivers taking turns one delivery at
    /// a time (as the bench's loop interleaves its sockets).
    fn check(senders: usize, messages: u64, seen: &[&[(usize, u64)]]) -> RoomOrder {
        let mut order = RoomOrder::new(seen.len(), senders, messages);
        let longest = seen.iter().map(|s| s.len()).max().unwrap_or(0);
        for step in 0..longest {
            for (receiver, deliveries) in seen.iter().enumerate() {
                if let Some(&(sender, seq)) = deliveries.get(step) {
                    order.record(receiver, sender, seq);
                }
            }
        }
        order.finish();
        order
    }

    #[test]
    fn one_order_for_everyone_passes_even_without_own_messages() {
        // Senders 0 and 1 are receivers 0 and 1 too: neither gets its own messages.
        let room = [(0, 1), (1, 1), (0, 2), (1, 2), (0, 3)];
        let without = |me: usize| -> Vec<(usize, u64)> {
            room.iter().copied().filter(|&(s, _)| s != me).collect()
        };
        let (r0, r1) = (without(0), without(1));
        let order = check(2, 3, &[&r0, &r1, &room, &room]);
        assert_eq!(order.disagreements(), 0);
        assert_eq!(order.unchecked, 0);
    }

    #[test]
    fn a_receiver_seeing_another_interleaving_is_caught() {
        let a: &[(usize, u64)] = &[(0, 1), (1, 1), (0, 2), (1, 2)];
        let b: &[(usize, u64)] = &[(1, 1), (0, 1), (0, 2), (1, 2)];
        // Receivers 0 and 1 send (here they read the other's messages only).
        let a0: &[(usize, u64)] = &[(1, 1), (1, 2)];
        let a1: &[(usize, u64)] = &[(0, 1), (0, 2)];
        let order = check(2, 2, &[a0, a1, a, b]);
        assert_eq!(order.disagreements(), 1);
        assert_eq!(order.disagreeing_receivers(), 1);
        // Whoever reads first sets the ranks: the other side is caught all the same.
        let order = check(2, 2, &[a0, a1, b, a]);
        assert_eq!(
            (order.disagreements(), order.disagreeing_receivers()),
            (1, 1)
        );
        // A sender that saw another order is caught too.
        let b0: &[(usize, u64)] = &[(1, 2), (1, 1)];
        let order = check(2, 2, &[b0, a1, a, a]);
        assert_eq!(
            (order.disagreements(), order.disagreeing_receivers()),
            (1, 1)
        );
    }

    #[test]
    fn gaps_after_the_ranks_are_set_are_not_disagreements() {
        let mut order = RoomOrder::new(4, 2, 2);
        for (sender, seq) in [(0, 1), (1, 1), (0, 2), (1, 2)] {
            order.record(2, sender, seq);
        }
        // Sender 0 lost sender 1's first message, receiver 3 two in the middle.
        order.record(0, 1, 2);
        order.record(1, 0, 1);
        order.record(1, 0, 2);
        order.record(3, 0, 1);
        order.record(3, 1, 2);
        order.finish();
        assert_eq!((order.disagreements(), order.unchecked), (0, 0));
    }

    #[test]
    fn a_receiver_behind_the_ring_is_counted_apart() {
        // 1 << 21 slots over 1 << 20 senders: a ring of 2 per sender.
        let senders = 1 << 20;
        let mut order = RoomOrder::new(senders + 2, senders, 100);
        assert_eq!(order.ring, 2);
        let (first, late) = (senders, senders + 1);
        for seq in 1..=5 {
            order.record(first, 7, seq);
        }
        order.record(late, 7, 1); // slot 1 now holds seq 5
        order.record(late, 7, 4);
        order.record(late, 7, 5);
        assert_eq!(order.unchecked, 1);
        assert_eq!(order.disagreements(), 0);
    }

    #[test]
    fn a_sender_waits_for_ranks_and_what_never_gets_one_is_unchecked() {
        // Receivers 0 and 1 send; receiver 2 reads everything but never gets sender 1's message 2.
        let mut order = RoomOrder::new(3, 2, 10);
        order.record(0, 1, 1);
        order.record(0, 1, 2);
        assert_eq!(order.waiting[0].len(), 2);
        order.record(2, 1, 1);
        order.record(2, 0, 1);
        order.record(0, 1, 3); // message 1 has its rank: settled; 2 still waits, 3 behind it
        assert_eq!(order.waiting[0].len(), 2);
        order.finish();
        assert_eq!((order.unchecked, order.disagreements()), (2, 0));
    }

    #[test]
    fn rings_fit_the_run_and_the_budget() {
        assert_eq!(RoomOrder::new(2, 1, 10_000).ring, 16_384);
        assert_eq!(RoomOrder::new(2, 4, 1_000_000_000).ring, 1 << 19);
        assert_eq!(RoomOrder::new(2, 3, 1_000_000_000).ring, 1 << 19);
        assert_eq!(RoomOrder::new(2, 100_000, 10).ring, 16);
        assert_eq!(RoomOrder::new(2, 1, 1).ring, 1);
        assert_eq!(prev_power_of_two(1), 1);
        assert_eq!(prev_power_of_two(699_050), 1 << 19);
    }
}
