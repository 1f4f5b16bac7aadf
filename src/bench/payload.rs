//! What a bench message says, and how a reader checks that it arrived intact.
//!
//! A message's text is `SENDER:SEQ:NANOS:` followed by padding up to the requested size:
//! the sending client's number, its own sequence number (from 1), and the send time in
//! nanoseconds since the run's shared start `Instant`, all in decimal. The padding is a slice of
//! the alphabet starting at letter `SEQ % 26`, so the whole text follows from those three
//! numbers: a reader checks every byte without keeping a copy of what was sent, and a line spliced
//! from two messages, cut short or padded out does not pass. Text only (digits, colons, letters)
//! so neither dialect escapes or alters it, and no leading `/` so the host never reads it as a
//! command.

use std::fmt;

/// The most digits a send time can have: 10^14 ns is 27 hours into a run.
const MAX_NANOS_DIGITS: usize = 14;

/// The alphabet the padding is cut from.
const ALPHABET: &[u8; 26] = b"abcdefghijklmnopqrstuvwxyz";

/// What a reader learns from a message that passed the check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stamp {
    /// The sending client's number (`b00003` is 3).
    pub sender: u32,
    /// The sender's sequence number, from 1.
    pub seq: u64,
    /// When it was sent, in nanoseconds since the run's start.
    pub sent_ns: u64,
}

/// Why a text is not a message the bench sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Corrupt {
    /// Not `SENDER:SEQ:NANOS:` with decimal numbers.
    Header,
    /// The text is not exactly the message size.
    Length,
    /// The padding is not the expected slice of the alphabet.
    Padding,
}

impl fmt::Display for Corrupt {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Corrupt::Header => "malformed header",
            Corrupt::Length => "wrong length",
            Corrupt::Padding => "wrong padding",
        })
    }
}

/// Encodes and checks messages of one size.
#[derive(Debug, Clone)]
pub struct Payload {
    size: usize,
    /// The alphabet repeated to `size + 26` bytes, so any padding is one slice of it.
    pattern: Vec<u8>,
}

impl Payload {
    pub fn new(size: usize) -> Self {
        let pattern = ALPHABET.iter().copied().cycle().take(size + 26).collect();
        Payload { size, pattern }
    }

    /// The text size every message has.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The smallest size that fits the header of any message in a run where client numbers go up
    /// to `max_sender` and sequence numbers up to `max_seq`.
    pub fn min_size(max_sender: u32, max_seq: u64) -> usize {
        digits(u64::from(max_sender)) + digits(max_seq) + MAX_NANOS_DIGITS + 3
    }

    /// Appends the text of one message (no newline) to `out`.
    pub fn encode(&self, out: &mut Vec<u8>, stamp: Stamp) {
        let start = out.len();
        push_decimal(out, u64::from(stamp.sender));
        out.push(b':');
        push_decimal(out, stamp.seq);
        out.push(b':');
        push_decimal(out, stamp.sent_ns);
        out.push(b':');
        let header = out.len() - start;
        let pad = self.size.saturating_sub(header);
        let offset = (stamp.seq % 26) as usize;
        out.extend_from_slice(&self.pattern[offset..offset + pad]);
    }

    /// Checks that `text` is exactly a message this payload encodes, and returns its stamp.
    pub fn check(&self, text: &[u8]) -> Result<Stamp, Corrupt> {
        let mut rest = text;
        let sender = take_number(&mut rest).ok_or(Corrupt::Header)?;
        let seq = take_number(&mut rest).ok_or(Corrupt::Header)?;
        let sent_ns = take_number(&mut rest).ok_or(Corrupt::Header)?;
        let sender = u32::try_from(sender).map_err(|_| Corrupt::Header)?;
        if text.len() != self.size {
            return Err(Corrupt::Length);
        }
        let offset = (seq % 26) as usize;
        if rest != &self.pattern[offset..offset + rest.len()] {
            return Err(Corrupt::Padding);
        }
        Ok(Stamp {
            sender,
            seq,
            sent_ns,
        })
    }
}

fn digits(mut n: u64) -> usize {
    let mut count = 1;
    while n >= 10 {
        n /= 10;
        count += 1;
    }
    count
}

/// Appends `n` in decimal without going through `fmt` (this runs once per message sent).
fn push_decimal(out: &mut Vec<u8>, mut n: u64) {
    let mut buf = [0u8; 20];
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[at..]);
}

/// Takes `DIGITS:` off the front of `rest`: 1 to 19 digits, no sign, no leading zeros. (One
/// pass, no iterator adapters: readers run this three times per delivery.)
fn take_number(rest: &mut &[u8]) -> Option<u64> {
    let bytes = *rest;
    let mut value: u64 = 0;
    let mut i = 0;
    loop {
        let b = *bytes.get(i)?;
        if b == b':' {
            break;
        }
        let digit = b.wrapping_sub(b'0');
        if digit > 9 || i == 19 {
            return None;
        }
        value = value * 10 + u64::from(digit);
        i += 1;
    }
    if i == 0 || (i > 1 && bytes[0] == b'0') {
        return None;
    }
    *rest = &bytes[i + 1..];
    Some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(payload: &Payload, sender: u32, seq: u64, sent_ns: u64) -> Vec<u8> {
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
    fn encodes_the_documented_layout() {
        let payload = Payload::new(24);
        assert_eq!(encoded(&payload, 3, 27, 1500), b"3:27:1500:bcdefghijklmno");
    }

    #[test]
    fn every_message_is_exactly_the_size_and_checks_back() {
        let payload = Payload::new(64);
        for (sender, seq, ns) in [(1, 1, 0), (4, 999_999, 12_345_678_901_234), (100, 26, 7)] {
            let text = encoded(&payload, sender, seq, ns);
            assert_eq!(text.len(), 64);
            assert_eq!(
                payload.check(&text),
                Ok(Stamp {
                    sender,
                    seq,
                    sent_ns: ns
                })
            );
        }
    }

    #[test]
    fn min_size_fits_the_longest_header() {
        let min = Payload::min_size(4, 1_000_000);
        let payload = Payload::new(min);
        let text = encoded(&payload, 4, 1_000_000, 99_999_999_999_999);
        assert_eq!(text.len(), min);
        assert_eq!(payload.check(&text).unwrap().seq, 1_000_000);
    }

    #[test]
    fn damaged_messages_are_caught() {
        let payload = Payload::new(40);
        let good = encoded(&payload, 2, 5, 1000);
        let mut flipped = good.clone();
        flipped[30] = b'!';
        assert_eq!(payload.check(&flipped), Err(Corrupt::Padding));
        assert_eq!(payload.check(&good[..39]), Err(Corrupt::Length));
        let mut longer = good.clone();
        longer.push(b'x');
        assert_eq!(payload.check(&longer), Err(Corrupt::Length));
        // The head of one message on the tail of another (the padding starts elsewhere).
        let other = encoded(&payload, 2, 6, 1000);
        let mut spliced = good[..20].to_vec();
        spliced.extend_from_slice(&other[20..]);
        assert_eq!(payload.check(&spliced), Err(Corrupt::Padding));
        assert_eq!(payload.check(b"x:1:2:abc"), Err(Corrupt::Header));
        assert_eq!(payload.check(b"01:1:2:abc"), Err(Corrupt::Header));
        assert_eq!(payload.check(b"1:2"), Err(Corrupt::Header));
        assert_eq!(payload.check(b""), Err(Corrupt::Header));
    }
}
