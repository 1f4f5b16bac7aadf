//! Message lines already accepted, so the other readers' copies are compared, not read again.
//!
//! Every reader gets the same line for the same message (clock, nickname, JSON and all), and in
//! a blast the bench reads each message once per reader: 99 times in a room of 100. The first
//! copy is sorted, parsed and checked byte for byte ([`Payload::check`]); the line and its stamp
//! are kept, and a later copy that is byte for byte the same line is accepted with that stamp
//! after one comparison. That is as strict as reading it again (it equals a line that passed),
//! and several times cheaper: in JSON mode, where parsing is most of a reader's work, five times.
//! The send window bounds the lines in flight, so a message's line is nearly always still kept
//! when the last reader gets to it; a miss (a slot taken by a later line, a damaged copy) only
//! means reading the line in full.

use super::payload::{Payload, Stamp};
use crate::cli::BenchMode;

/// The most bytes kept.
const MAX_BYTES: usize = 64 * 1024 * 1024;

/// The start of every JSON message line, up to the room's own event number.
const JSON_MESSAGE_SEQ: &[u8] = br#"{"type":"message","seq":"#;

/// Where the text starts in a plain message line from a bench client: `[HH:MM:SS] <b00001> `.
const PLAIN_TEXT_AT: usize = 20;

/// Message lines already accepted as deliveries.
///
/// A line's place comes from eight of its bytes that differ from one message to the next: in
/// JSON, the room's event number (which counts every event) and what follows it; in plain lines,
/// the end of the sequence number the text claims. They are hashed, not parsed: the key only has
/// to spread the lines in flight, because a line is only ever compared whole. Each hash picks a
/// set of two slots and a new line replaces the older of the two, so a line is lost early only
/// when two later lines in flight pick its set too.
pub struct AcceptedLines {
    /// Where the eight key bytes start.
    key_at: usize,
    /// Bytes a slot holds: longer lines are not kept.
    max_len: usize,
    /// 64 minus log2 of the number of sets (a power of two: 2,048, fewer for big messages): a
    /// line's set is the top bits of its key's hash.
    shift: u32,
    /// Per slot: its line's key, which is compared before the line so that a lookup touches
    /// only the line that can match; the line's length (0: empty); when it was kept (in lines
    /// accepted); its stamp; and, `max_len` bytes a slot, the line itself.
    keys: Vec<u64>,
    lens: Vec<usize>,
    kept_at: Vec<u64>,
    stamps: Vec<Stamp>,
    lines: Vec<u8>,
    accepted: u64,
}

impl AcceptedLines {
    /// Room for the lines of `payload`'s messages in `mode`: the host's framing adds under 200
    /// bytes. The lines in flight are bounded by the send window (and the join notices around
    /// them), so 4,096 slots, fewer when that would pass `MAX_BYTES`.
    pub fn new(mode: BenchMode, payload: &Payload) -> Self {
        let key_at = match mode {
            BenchMode::Json => JSON_MESSAGE_SEQ.len(),
            BenchMode::Plain => (PLAIN_TEXT_AT + payload.seq_end()).saturating_sub(8),
        };
        let max_len = payload.size() + 256;
        let mut sets: usize = 2048;
        while sets > 1 && 2 * sets * max_len > MAX_BYTES {
            sets /= 2;
        }
        let empty = Stamp {
            sender: 0,
            seq: 0,
            sent_ns: 0,
        };
        AcceptedLines {
            key_at,
            max_len,
            shift: 64 - sets.trailing_zeros(),
            keys: vec![0; 2 * sets],
            lens: vec![0; 2 * sets],
            kept_at: vec![0; 2 * sets],
            stamps: vec![empty; 2 * sets],
            lines: vec![0; 2 * sets * max_len],
            accepted: 0,
        }
    }

    /// The stamp of an accepted line equal to `line`, if there is one.
    pub fn get(&self, line: &[u8]) -> Option<Stamp> {
        let (key, first) = self.set(line)?;
        (first..first + 2)
            .find(|&slot| {
                self.keys[slot] == key
                    && self.lens[slot] == line.len()
                    && self.lines[slot * self.max_len..][..line.len()] == *line
            })
            .map(|slot| self.stamps[slot])
    }

    /// Keeps `line`, just accepted as a delivery with `stamp`, in place of the older line of its
    /// set.
    pub fn accept(&mut self, line: &[u8], stamp: Stamp) {
        let Some((key, first)) = self.set(line) else {
            return;
        };
        let slot = if self.kept_at[first] <= self.kept_at[first + 1] {
            first
        } else {
            first + 1
        };
        self.accepted += 1;
        self.lines[slot * self.max_len..][..line.len()].copy_from_slice(line);
        self.keys[slot] = key;
        self.lens[slot] = line.len();
        self.kept_at[slot] = self.accepted;
        self.stamps[slot] = stamp;
    }

    /// The key of `line`, and the first slot of the set it belongs in.
    fn set(&self, line: &[u8]) -> Option<(u64, usize)> {
        if line.len() > self.max_len {
            return None;
        }
        let key = u64::from_le_bytes(*line.get(self.key_at..)?.first_chunk::<8>()?);
        // Fibonacci hashing: the top bits of the product depend on every byte of the key.
        // (One set means a shift of 64, which `checked_shr` turns into set 0.)
        let hash = key.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Some((key, 2 * hash.checked_shr(self.shift).unwrap_or(0) as usize))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::payload::encoded as text;

    #[test]
    fn readers_a_window_apart_find_nearly_every_copy() {
        // Two senders; the second reader trails the first by 400 lines (the send window's
        // worth). Nearly all of its copies are still kept (a line is lost only when two later
        // ones pick its set); the rest are only read in full.
        let payload = Payload::new(64, 2, 100_000);
        let mut lines = AcceptedLines::new(BenchMode::Plain, &payload);
        let all: Vec<(Vec<u8>, Stamp)> = (1..=3_000)
            .flat_map(|seq| {
                [1, 2].map(|sender| {
                    let mut line = format!("[04:00:00] <b0000{sender}> ").into_bytes();
                    line.extend(text(&payload, sender, seq, seq * 7));
                    let stamp = payload.check(&line[PLAIN_TEXT_AT..]).unwrap();
                    (line, stamp)
                })
            })
            .collect();
        let mut found = 0;
        for (i, (line, stamp)) in all.iter().enumerate() {
            lines.accept(line, *stamp);
            if let Some((trailing, expected)) = i.checked_sub(400).map(|t| &all[t])
                && let Some(kept) = lines.get(trailing)
            {
                assert_eq!(kept, *expected);
                found += 1;
            }
        }
        assert!(
            found * 100 >= (all.len() - 400) * 99,
            "{found} of {}",
            all.len() - 400
        );
    }

    #[test]
    fn an_accepted_json_line_is_known_again_byte_for_byte() {
        let mut lines = AcceptedLines::new(BenchMode::Json, &Payload::new(64, 9, 9));
        let stamp = Stamp {
            sender: 2,
            seq: 9,
            sent_ns: 77,
        };
        let line = br#"{"type":"message","seq":1234,"ts":"2026-11-22T04:00:00.000Z","from":"b00002","kind":"say","text":"2:9:77:x"}"#;
        assert_eq!(lines.get(line), None);
        lines.accept(line, stamp);
        assert_eq!(lines.get(line), Some(stamp));
        // One byte off or a shorter line: not known.
        let mut other = line.to_vec();
        other[90] ^= 1;
        assert_eq!(lines.get(&other), None);
        assert_eq!(lines.get(&line[..line.len() - 1]), None);
        // The next event is a line of its own, and both stay known.
        let later = br#"{"type":"message","seq":1235,"ts":"2026-11-22T04:00:00.000Z","from":"b00002","kind":"say","text":"2:9:77:x"}"#;
        assert_eq!(lines.get(later), None);
        lines.accept(later, stamp);
        assert_eq!(
            (lines.get(later), lines.get(line)),
            (Some(stamp), Some(stamp))
        );
    }

    #[test]
    fn an_accepted_plain_line_is_known_again_byte_for_byte() {
        let payload = Payload::new(48, 4, 100_000);
        let mut lines = AcceptedLines::new(BenchMode::Plain, &payload);
        let mut line = b"[04:00:00] <b00003> ".to_vec();
        line.extend(text(&payload, 3, 12_345, 99));
        let stamp = payload.check(&line[PLAIN_TEXT_AT..]).unwrap();
        assert_eq!(lines.get(&line), None);
        lines.accept(&line, stamp);
        assert_eq!(lines.get(&line), Some(stamp));
        // The same text under another clock or nickname is another line.
        let mut later = line.clone();
        later[7] = b'1';
        assert_eq!(lines.get(&later), None);
        let mut other_nick = line.clone();
        other_nick[17] = b'4';
        assert_eq!(lines.get(&other_nick), None);
    }

    #[test]
    fn only_accepted_lines_are_known_and_odd_sizes_are_never_kept() {
        let stamp = Stamp {
            sender: 1,
            seq: 1,
            sent_ns: 1,
        };
        let mut lines = AcceptedLines::new(BenchMode::Json, &Payload::new(64, 9, 9));
        let accepted = br#"{"type":"message","seq":77,"ts":"x","from":"b00001","text":"t"}"#;
        lines.accept(accepted, stamp);
        for never in [
            &br#"{"type":"join","seq":77,"nick":"x"}"#[..],
            br#"{"type":"message","seq":78,"ts":"x","from":"b00001","text":"t"}"#,
            br#"[12:00:00] <b00001> 1:1:1:abc"#,
            b"",
        ] {
            assert_eq!(lines.get(never), None);
        }
        // Too short to have a key, or longer than a slot: not kept even when accepted.
        for odd in [&br#"{"type":"message""#[..], &[b'x'; 400]] {
            lines.accept(odd, stamp);
            assert_eq!(lines.get(odd), None);
        }
        assert_eq!(lines.get(accepted), Some(stamp));
    }

    #[test]
    fn a_full_ring_only_ever_answers_with_the_right_stamp() {
        // Thousands of lines through 4,096 slots: whatever is still known carries its own stamp.
        let payload = Payload::new(48, 1, 100_000);
        let mut lines = AcceptedLines::new(BenchMode::Plain, &payload);
        let line = |seq| {
            let mut line = b"[04:00:00] <b00001> ".to_vec();
            line.extend(text(&payload, 1, seq, seq * 2));
            line
        };
        for seq in 1..=10_000 {
            let stamp = payload.check(&line(seq)[PLAIN_TEXT_AT..]).unwrap();
            lines.accept(&line(seq), stamp);
        }
        let known = (1..=10_000)
            .filter_map(|seq| lines.get(&line(seq)).map(|stamp| (seq, stamp)))
            .inspect(|(seq, stamp)| assert_eq!((stamp.seq, stamp.sent_ns), (*seq, seq * 2)))
            .count();
        assert!((1_000..=4_096).contains(&known), "{known}");
        // The most recent lines are the ones kept, most of them.
        let recent = (9_500..=10_000).filter(|&seq| lines.get(&line(seq)).is_some());
        assert!(recent.count() > 400);
    }

    #[test]
    fn memory_stays_bounded_for_big_messages() {
        for size in [64, 64 * 1024, 1 << 20, 16 << 20] {
            let lines = AcceptedLines::new(BenchMode::Json, &Payload::new(size, 9, 9));
            assert!(!lines.lens.is_empty(), "{size}");
            assert!(lines.lines.len() <= MAX_BYTES.max(size + 256), "{size}");
        }
        assert_eq!(
            AcceptedLines::new(BenchMode::Plain, &Payload::new(64, 9, 9))
                .lens
                .len(),
            4096
        );
    }
}
