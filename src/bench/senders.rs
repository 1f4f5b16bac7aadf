//! What the senders put on the wire, and when.
//!
//! Each of the first S clients sends M messages with sequence numbers 1..=M. Without `--rate`
//! they blast: each sender writes as much as its socket takes, held back only by the send window.
//! With `--rate R` the run follows one global schedule, message `k` (from 0) being due `k / R`
//! seconds after the start and going to sender `k % S`, so the total rate is R however many
//! senders share it. Latency is measured from the moment a message is written, and the report
//! says how far sends fell behind the schedule, so a bench that could not keep its pace is seen.
//!
//! The send window keeps the bench's own reading speed out of the results: the senders together
//! may be at most `window` messages ahead of the slowest client still reading (each sender gets an
//! equal share), so a host is never pushed past its per-client queue limit by a bench that reads
//! slower than the host writes. The default (512) stays well under the host's default queue
//! (1,024), leaving room for the join and leave notices and, in JSON mode, the senders' acks,
//! which share the same queue.

use std::time::Duration;

use super::payload::{Payload, Stamp};
use crate::cli::BenchMode;
use crate::protocol::wire::{ClientRequest, VERSION};

/// The run's sending plan.
#[derive(Debug, Clone, Copy)]
pub struct Schedule {
    senders: u64,
    messages: u64,
    /// Messages per second in total; `None` blasts.
    rate: Option<f64>,
}

impl Schedule {
    pub fn new(senders: usize, messages: u64, rate: Option<f64>) -> Self {
        Schedule {
            senders: senders as u64,
            messages,
            rate,
        }
    }

    /// Messages in the whole run.
    pub fn total(&self) -> u64 {
        self.senders * self.messages
    }

    pub fn rate(&self) -> Option<f64> {
        self.rate
    }

    /// Who sends message `k` of a paced run: the sender (0-based) and its sequence number.
    pub fn owner(&self, k: u64) -> (usize, u64) {
        ((k % self.senders) as usize, k / self.senders + 1)
    }

    /// How many messages of a paced run are due `elapsed` after the start (the first is due at
    /// once).
    pub fn due(&self, elapsed: Duration) -> u64 {
        match self.rate {
            None => self.total(),
            Some(rate) => {
                let due = (elapsed.as_secs_f64() * rate).floor() as u64 + 1;
                due.min(self.total())
            }
        }
    }

    /// When message `k` of a paced run is due, after the start.
    pub fn due_at(&self, k: u64) -> Duration {
        match self.rate {
            None => Duration::ZERO,
            Some(rate) => Duration::from_secs_f64(k as f64 / rate),
        }
    }
}

/// May a sender send `seq` when the slowest reader has its messages up to `floor`?
pub fn window_allows(seq: u64, floor: u64, window: u64) -> bool {
    window == 0 || seq <= floor.saturating_add(window)
}

/// The first line a client sends: its nickname, or a JSON hello.
pub fn hello(mode: BenchMode, nick: &str) -> Vec<u8> {
    match mode {
        BenchMode::Plain => format!("{nick}\n").into_bytes(),
        BenchMode::Json => ClientRequest::Hello {
            v: VERSION,
            nick: nick.to_string(),
            announce: None,
            password: None,
            // The room's history is never this run's: not asked for (plain clients get it, and
            // the readers skip it).
            history: Some(false),
            since: None,
        }
        .to_json_line()
        .into_bytes(),
    }
}

/// Appends one message line to `out`: the text alone in plain mode, a `say` request in JSON.
///
/// The JSON frame is written directly rather than through serde: payload text never needs
/// escaping, and this runs once per message sent. A unit test holds it to what
/// [`ClientRequest::Say`] serializes to.
pub fn frame(mode: BenchMode, payload: &Payload, stamp: Stamp, out: &mut Vec<u8>) {
    match mode {
        BenchMode::Plain => payload.encode(out, stamp),
        BenchMode::Json => {
            out.extend_from_slice(br#"{"type":"say","text":""#);
            payload.encode(out, stamp);
            out.extend_from_slice(br#""}"#);
        }
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paced_run_spreads_messages_over_senders_and_time() {
        let schedule = Schedule::new(4, 10, Some(1000.0));
        assert_eq!(schedule.total(), 40);
        assert_eq!(schedule.owner(0), (0, 1));
        assert_eq!(schedule.owner(3), (3, 1));
        assert_eq!(schedule.owner(4), (0, 2));
        assert_eq!(schedule.owner(39), (3, 10));
        assert_eq!(schedule.due(Duration::ZERO), 1);
        assert_eq!(schedule.due(Duration::from_micros(2_500)), 3);
        assert_eq!(schedule.due(Duration::from_secs(60)), 40);
        assert_eq!(schedule.due_at(3), Duration::from_millis(3));
    }

    #[test]
    fn a_blast_has_everything_due_at_once() {
        let schedule = Schedule::new(2, 5, None);
        assert_eq!(schedule.due(Duration::ZERO), 10);
        assert_eq!(schedule.due_at(9), Duration::ZERO);
    }

    #[test]
    fn the_window_holds_a_sender_near_its_slowest_reader() {
        assert!(window_allows(10, 0, 10));
        assert!(!window_allows(11, 0, 10));
        assert!(window_allows(11, 1, 10));
        assert!(window_allows(1_000_000, 0, 0));
    }

    #[test]
    fn frames_are_what_the_protocol_types_serialize() {
        let payload = Payload::new(32, 1, 2);
        let stamp = Stamp {
            sender: 1,
            seq: 2,
            sent_ns: 3,
        };
        let mut text = Vec::new();
        payload.encode(&mut text, stamp);
        let mut json = Vec::new();
        frame(BenchMode::Json, &payload, stamp, &mut json);
        let expected = ClientRequest::Say {
            text: String::from_utf8(text.clone()).unwrap(),
            id: None,
            key: None,
        };
        assert_eq!(json, expected.to_json_line().into_bytes());
        let mut plain = Vec::new();
        frame(BenchMode::Plain, &payload, stamp, &mut plain);
        text.push(b'\n');
        assert_eq!(plain, text);
        assert_eq!(hello(BenchMode::Plain, "b00001"), b"b00001\n");
        assert_eq!(
            hello(BenchMode::Json, "b00001"),
            b"{\"type\":\"hello\",\"v\":1,\"nick\":\"b00001\",\"history\":false}\n"
        );
    }
}
