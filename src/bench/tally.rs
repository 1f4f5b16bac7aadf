//! The receivers' bookkeeping: every delivery counted once, in order or not, with its latency.
//!
//! For each (reader, sender) pair the tally keeps only the highest sequence number seen, which is
//! enough to tell an in-order delivery from a late one (reordered) or a repeat of the last one
//! (duplicate), and to know how far the slowest reader is behind a sender (the send window).
//! Latencies go into an HDR histogram in nanoseconds: constant memory, 3 significant digits, and
//! cheap enough to record millions of values a second. When the clients are spread over several
//! hosts of one room (`--servers`), deliveries from a sender on another host than the receiver's
//! also go into a histogram of their own: the latency of the shared room's path.

use hdrhistogram::Histogram;

use super::payload::Stamp;
use super::servers::host_of;

/// The longest latency the histogram tells apart (longer ones are recorded as this): one hour.
const MAX_LATENCY_NS: u64 = 3_600 * 1_000_000_000;

/// What one delivery turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// The next message, or one after a gap.
    InOrder,
    /// Older than one this reader already has from the same sender.
    Reordered,
    /// The same sequence number as the last one from this sender.
    Duplicate,
    /// Not a message this run can have sent (unknown sender, own echo, sequence out of range).
    Unexpected,
}

/// Every reader's deliveries from every sender, each counted once, and their latencies.
pub struct DeliveryTally {
    senders: usize,
    messages: u64,
    /// Highest sequence number from each sender seen by each reader: `reader * senders + sender`.
    last_seq: Vec<u64>,
    /// Unique deliveries (duplicates and unexpected ones excluded).
    pub delivered: u64,
    pub reordered: u64,
    pub duplicates: u64,
    pub unexpected: u64,
    /// Hosts the clients are spread over, round-robin: client `i` is on host `i % hosts`.
    hosts: usize,
    /// Send-to-receive latency of every unique delivery, in nanoseconds.
    pub latency: Histogram<u64>,
    /// The same, of deliveries whose sender is on another host than the receiver.
    pub cross_host_latency: Histogram<u64>,
}

impl DeliveryTally {
    /// A tally for `readers` clients spread over `hosts` hosts, of which the first `senders` send
    /// `messages` each.
    pub fn new(readers: usize, senders: usize, messages: u64, hosts: usize) -> Self {
        let histogram = || {
            Histogram::new_with_bounds(1, MAX_LATENCY_NS, 3)
                .expect("the histogram bounds are valid")
        };
        DeliveryTally {
            senders,
            messages,
            last_seq: vec![0; readers * senders],
            delivered: 0,
            reordered: 0,
            duplicates: 0,
            unexpected: 0,
            hosts: hosts.max(1),
            latency: histogram(),
            cross_host_latency: histogram(),
        }
    }

    /// Records that client `reader` (0-based) received `stamp` at `now_ns` since the start.
    pub fn record(&mut self, reader: usize, stamp: Stamp, now_ns: u64) -> Delivery {
        let sender = (stamp.sender as usize).wrapping_sub(1);
        if sender >= self.senders || sender == reader || stamp.seq == 0 || stamp.seq > self.messages
        {
            self.unexpected += 1;
            return Delivery::Unexpected;
        }
        let last = &mut self.last_seq[reader * self.senders + sender];
        let outcome = if stamp.seq > *last {
            *last = stamp.seq;
            Delivery::InOrder
        } else if stamp.seq == *last {
            self.duplicates += 1;
            return Delivery::Duplicate;
        } else {
            self.reordered += 1;
            Delivery::Reordered
        };
        self.delivered += 1;
        let latency = now_ns.saturating_sub(stamp.sent_ns).max(1);
        self.latency.saturating_record(latency);
        // One host (the usual run): no cross-host deliveries, and no divisions per delivery.
        if self.hosts > 1 && host_of(sender, self.hosts) != host_of(reader, self.hosts) {
            self.cross_host_latency.saturating_record(latency);
        }
        outcome
    }

    /// The highest sequence number `reader` has seen from `sender` (both 0-based).
    pub fn last_seq(&self, reader: usize, sender: usize) -> u64 {
        self.last_seq[reader * self.senders + sender]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stamp(sender: u32, seq: u64, sent_ns: u64) -> Stamp {
        Stamp {
            sender,
            seq,
            sent_ns,
        }
    }

    #[test]
    fn sorts_deliveries_per_reader_and_sender() {
        let mut tally = DeliveryTally::new(3, 2, 10, 1);
        assert_eq!(tally.record(2, stamp(1, 1, 100), 150), Delivery::InOrder);
        assert_eq!(tally.record(2, stamp(1, 3, 100), 150), Delivery::InOrder);
        assert_eq!(tally.record(2, stamp(1, 2, 100), 150), Delivery::Reordered);
        assert_eq!(tally.record(2, stamp(1, 3, 100), 150), Delivery::Duplicate);
        // Another reader, another sender: their own sequences.
        assert_eq!(tally.record(1, stamp(1, 1, 100), 150), Delivery::InOrder);
        assert_eq!(tally.record(2, stamp(2, 1, 100), 150), Delivery::InOrder);
        assert_eq!(tally.delivered, 5);
        assert_eq!((tally.reordered, tally.duplicates), (1, 1));
        assert_eq!(tally.last_seq(2, 0), 3);
        assert_eq!(tally.last_seq(1, 1), 0);
    }

    #[test]
    fn refuses_what_the_run_cannot_have_sent() {
        let mut tally = DeliveryTally::new(3, 2, 10, 1);
        assert_eq!(tally.record(0, stamp(1, 1, 0), 1), Delivery::Unexpected); // own echo
        assert_eq!(tally.record(2, stamp(3, 1, 0), 1), Delivery::Unexpected); // not a sender
        assert_eq!(tally.record(2, stamp(0, 1, 0), 1), Delivery::Unexpected);
        assert_eq!(tally.record(2, stamp(1, 11, 0), 1), Delivery::Unexpected);
        assert_eq!(tally.record(2, stamp(1, 0, 0), 1), Delivery::Unexpected);
        assert_eq!((tally.unexpected, tally.delivered), (5, 0));
    }

    #[test]
    fn records_latency_in_nanoseconds() {
        let mut tally = DeliveryTally::new(2, 1, 10, 1);
        tally.record(1, stamp(1, 1, 1_000), 51_000);
        tally.record(1, stamp(1, 2, 1_000), 1_000); // a clock tie still counts, as 1 ns
        assert_eq!(tally.latency.len(), 2);
        assert_eq!(tally.latency.min(), 1);
        assert!(tally.latency.equivalent(tally.latency.max(), 50_000));
        assert!(tally.cross_host_latency.is_empty());
    }

    #[test]
    fn deliveries_between_hosts_are_measured_apart() {
        // Clients 0, 3 on host 0; 1, 4 on host 1; 2 on host 2. Client 0 sends.
        let mut tally = DeliveryTally::new(5, 1, 10, 3);
        tally.record(3, stamp(1, 1, 0), 10_000); // same host
        tally.record(1, stamp(1, 1, 0), 20_000);
        tally.record(2, stamp(1, 1, 0), 30_000);
        assert_eq!(tally.latency.len(), 3);
        assert_eq!(tally.cross_host_latency.len(), 2);
        assert!(
            tally
                .cross_host_latency
                .equivalent(tally.cross_host_latency.min(), 20_000)
        );
    }
}
