//! Messages already checked once, so the other readers' copies are compared, not checked again.
//!
//! Every reader gets the same text for the same (sender, sequence number), and in a blast the
//! bench checks each message once per reader: 99 times in a room of 100. The first copy goes
//! through the full check ([`Payload::check`]); the text and its stamp are kept, and a later copy
//! that is byte for byte the same passes with that stamp after one comparison. That is as strict
//! as checking it again (it equals a text that passed), and several times cheaper.
//!
//! The texts live in a ring per sender, indexed by the last few decimal digits of the sequence
//! number (read straight off the text, which is cheaper than reading the whole number): the send
//! window keeps a sender from running further ahead of the slowest reader than the ring is
//! long, so a message's slot is still there when the last reader gets to it. A miss (an
//! overwritten slot, no window, a damaged copy) only means a full check.
//!
//! Whole lines go one step further ([`AcceptedLines`]): a message's line is the same for every
//! reader too, clock, nickname, JSON and all, so a line equal to one already accepted as a
//! delivery is accepted again with its stamp, without being sorted, parsed or checked. That
//! matters most in JSON mode, where parsing is most of a reader's work.

use super::payload::{Corrupt, Payload, Stamp};
use crate::cli::BenchMode;

/// The most decimal digits of a sequence number a slot is chosen by (10,000 slots per sender),
/// and the most bytes kept in all.
const MAX_DIGITS: u32 = 4;
const MAX_BYTES: usize = 64 * 1024 * 1024;

pub struct Verified {
    size: usize,
    senders: usize,
    /// A sequence number's slot is its last `digits` decimal digits: 10^digits slots per sender
    /// (`digits` 0: messages too big to keep any).
    digits: u32,
    slots: usize,
    /// The stamp in each slot (`seq` 0: empty), sender by sender.
    stamps: Vec<Stamp>,
    /// The text in each slot, `size` bytes each, in the same order.
    texts: Vec<u8>,
    /// Texts that went through the full check.
    pub full_checks: u64,
}

impl Verified {
    /// A cache for `senders` senders of `size`-byte messages, each allowed `window` messages
    /// ahead of the slowest reader (0: no limit).
    pub fn new(size: usize, senders: usize, window: u64) -> Self {
        let mut digits = if window == 0 {
            MAX_DIGITS
        } else {
            // Enough slots for the window: 10^digits >= window.
            (1..=MAX_DIGITS)
                .find(|&d| 10u64.pow(d) >= window)
                .unwrap_or(MAX_DIGITS)
        };
        while digits > 0 && 10usize.pow(digits) * senders * size > MAX_BYTES {
            digits -= 1;
        }
        let slots = if digits == 0 { 0 } else { 10usize.pow(digits) };
        let empty = Stamp {
            sender: 0,
            seq: 0,
            sent_ns: 0,
        };
        Verified {
            size,
            senders,
            digits,
            slots,
            stamps: vec![empty; slots * senders],
            texts: vec![0; slots * senders * size],
            full_checks: 0,
        }
    }

    /// What [`Payload::check`] says about `text`, from the kept copy when there is one.
    pub fn check(&mut self, payload: &Payload, text: &[u8]) -> Result<Stamp, Corrupt> {
        let Some(slot) = payload
            .claims(text, self.digits as usize)
            .and_then(|(sender, seq_low)| self.slot(sender, seq_low))
        else {
            self.full_checks += 1;
            return payload.check(text);
        };
        let kept = &mut self.texts[slot * self.size..(slot + 1) * self.size];
        // An empty slot (sequence number 0) holds no text any message can equal.
        if self.stamps[slot].seq != 0 && *kept == *text {
            return Ok(self.stamps[slot]);
        }
        self.full_checks += 1;
        let stamp = payload.check(text)?;
        kept.copy_from_slice(text);
        self.stamps[slot] = stamp;
        Ok(stamp)
    }

    fn slot(&self, sender: u32, seq_low: u64) -> Option<usize> {
        let sender = (sender as usize)
            .checked_sub(1)
            .filter(|&s| s < self.senders)?;
        (self.slots > 0).then(|| sender * self.slots + seq_low as usize)
    }
}

/// The start of every JSON message line, up to the room's own event number.
const JSON_MESSAGE_SEQ: &[u8] = br#"{"type":"message","seq":"#;

/// Where the text starts in a plain message line from a bench client: `[HH:MM:SS] <b00001> `.
const PLAIN_TEXT_AT: usize = 20;

/// Message lines already accepted as deliveries.
///
/// A line's slot comes from eight of its bytes that differ from one message to the next: in
/// JSON, the room's event number (which counts every event) and what follows it; in plain lines,
/// the end of the sequence number the text claims. They are hashed, not parsed: the key only has
/// to spread the lines in flight over the slots, because a line is only ever compared whole.
pub struct AcceptedLines {
    /// Where the eight key bytes start.
    key_at: usize,
    /// Bytes a slot holds: longer lines are not kept.
    max_len: usize,
    /// 64 minus log2 of the number of slots (a power of two: 4,096, fewer for big messages): a
    /// line's slot is the top bits of its key's hash.
    shift: u32,
    /// The length of the line in each slot (0: empty), its bytes, and its stamp.
    lens: Vec<usize>,
    lines: Vec<u8>,
    stamps: Vec<Stamp>,
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
        let mut slots: usize = 4096;
        while slots > 1 && slots * max_len > MAX_BYTES {
            slots /= 2;
        }
        let empty = Stamp {
            sender: 0,
            seq: 0,
            sent_ns: 0,
        };
        AcceptedLines {
            key_at,
            max_len,
            shift: 64 - slots.trailing_zeros(),
            lens: vec![0; slots],
            lines: vec![0; slots * max_len],
            stamps: vec![empty; slots],
        }
    }

    /// The stamp of an accepted line equal to `line`, if there is one.
    pub fn get(&self, line: &[u8]) -> Option<Stamp> {
        let slot = self.slot(line)?;
        let kept = &self.lines[slot * self.max_len..][..self.lens[slot]];
        (self.lens[slot] == line.len() && kept == line).then(|| self.stamps[slot])
    }

    /// Keeps `line`, just accepted as a delivery with `stamp`.
    pub fn accept(&mut self, line: &[u8], stamp: Stamp) {
        if let Some(slot) = self.slot(line) {
            self.lines[slot * self.max_len..][..line.len()].copy_from_slice(line);
            self.lens[slot] = line.len();
            self.stamps[slot] = stamp;
        }
    }

    fn slot(&self, line: &[u8]) -> Option<usize> {
        if line.len() > self.max_len {
            return None;
        }
        let key = u64::from_le_bytes(*line.get(self.key_at..)?.first_chunk::<8>()?);
        // Fibonacci hashing: the top bits of the product depend on every byte of the key.
        // (One slot means a shift of 64, which `checked_shr` turns into slot 0.)
        let hash = key.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        Some(hash.checked_shr(self.shift).unwrap_or(0) as usize)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(payload: &Payload, sender: u32, seq: u64, sent_ns: u64) -> Vec<u8> {
        let mut out = Vec::new();
        payload.encode(
            &mut out,
            Stamp {
                sender,
                seq,
                sent_ns,
            },
        );
        out
    }

    #[test]
    fn a_copy_passes_with_the_stamp_of_the_first() {
        let payload = Payload::new(48, 2, 100);
        let mut verified = Verified::new(48, 2, 16);
        let first = text(&payload, 2, 7, 1234);
        let stamp = verified.check(&payload, &first).unwrap();
        assert_eq!((stamp.sender, stamp.seq, stamp.sent_ns), (2, 7, 1234));
        assert_eq!(verified.check(&payload, &first.clone()), Ok(stamp));
        assert_eq!(verified.full_checks, 1);
    }

    #[test]
    fn readers_a_window_apart_check_each_message_once() {
        // Two senders, a window of 500: 1,000 slots each. The second reader trails the first by
        // 400 messages; every copy it reads is a comparison, none a second full check.
        let payload = Payload::new(64, 2, 100_000);
        let mut verified = Verified::new(64, 2, 500);
        let texts: Vec<(Vec<u8>, u64)> = (1..=3_000)
            .flat_map(|seq| [1, 2].map(|sender| (text(&payload, sender, seq, seq * 7), seq)))
            .collect();
        for (i, (first, seq)) in texts.iter().enumerate() {
            assert_eq!(verified.check(&payload, first).unwrap().seq, *seq);
            if i >= 800 {
                let (trailing, seq) = &texts[i - 800];
                assert_eq!(verified.check(&payload, trailing).unwrap().seq, *seq);
            }
        }
        assert_eq!(verified.full_checks, 6_000);
    }

    #[test]
    fn a_damaged_copy_is_checked_and_refused() {
        let payload = Payload::new(48, 2, 100);
        let mut verified = Verified::new(48, 2, 16);
        let good = text(&payload, 1, 3, 99);
        verified.check(&payload, &good).unwrap();
        let mut padding = good.clone();
        padding[40] = b'!';
        assert_eq!(verified.check(&payload, &padding), Err(Corrupt::Padding));
        let mut time = good.clone();
        time[10] = b'x';
        assert_eq!(verified.check(&payload, &time), Err(Corrupt::Header));
        assert_eq!(verified.check(&payload, &good[..47]), Err(Corrupt::Length));
        // The good copy still passes, and a refused one never replaced it.
        assert_eq!(verified.check(&payload, &good).unwrap().sent_ns, 99);
    }

    #[test]
    fn the_same_claims_with_another_time_are_a_different_text() {
        // A resent message (same sender and number, another time) is checked on its own.
        let payload = Payload::new(48, 1, 100);
        let mut verified = Verified::new(48, 1, 16);
        verified.check(&payload, &text(&payload, 1, 5, 10)).unwrap();
        let other = verified.check(&payload, &text(&payload, 1, 5, 20)).unwrap();
        assert_eq!(other.sent_ns, 20);
    }

    #[test]
    fn a_slot_reused_by_a_later_message_only_costs_a_full_check() {
        let payload = Payload::new(48, 1, 1000);
        let mut verified = Verified::new(48, 1, 4);
        assert_eq!(verified.slots, 10);
        for seq in 1..=20 {
            let stamp = verified
                .check(&payload, &text(&payload, 1, seq, seq * 3))
                .unwrap();
            assert_eq!(stamp.seq, seq);
        }
        // Seq 1's slot now holds seq 11 (10 slots): seq 1 is checked again, and passes.
        let again = verified.check(&payload, &text(&payload, 1, 1, 3)).unwrap();
        assert_eq!(again.sent_ns, 3);
    }

    #[test]
    fn claims_outside_the_run_go_straight_to_the_full_check() {
        let payload = Payload::new(48, 9, 100);
        let mut verified = Verified::new(48, 2, 16);
        // Sender 9 has no ring here (only 2 senders); seq 0 never has a slot.
        assert_eq!(
            verified
                .check(&payload, &text(&payload, 9, 1, 5))
                .unwrap()
                .sender,
            9
        );
        assert!(verified.check(&payload, &text(&payload, 1, 0, 5)).is_ok());
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
        let verified = Verified::new(64, 4, 512);
        assert_eq!(verified.slots, 1000);
        let verified = Verified::new(64 * 1024, 4, 512);
        assert_eq!(verified.slots, 100);
        assert!(verified.texts.len() <= MAX_BYTES);
        // Too big to keep even one each: nothing is kept, everything is checked in full.
        let payload = Payload::new(1 << 20, 100, 10);
        let mut verified = Verified::new(1 << 20, 100, 0);
        assert_eq!((verified.slots, verified.texts.len()), (0, 0));
        let big = AcceptedLines::new(BenchMode::Json, &Payload::new(1 << 20, 9, 9));
        assert!(!big.lens.is_empty() && big.lines.len() <= MAX_BYTES);
        assert_eq!(
            verified
                .check(&payload, &text(&payload, 1, 1, 5))
                .unwrap()
                .seq,
            1
        );
    }
}
