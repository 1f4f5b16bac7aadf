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
//!
//! Each number is zero-padded to a width fixed for the run (enough digits for the largest client
//! number and sequence number, and 16 for the time), so every field sits at a known offset. A
//! reader runs this check once per delivery, millions of times a second in a blast, and with
//! fixed offsets it is straight-line code: no search for the colons, no branch per digit, and
//! the time read eight digits at a time.

use std::fmt;

/// The digits of a send time: two groups of eight, and 10^16 ns is 115 days into a run.
const NANOS_DIGITS: usize = 16;

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
    /// Not `SENDER:SEQ:NANOS:` with decimal numbers of the run's widths.
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

/// Encodes and checks the messages of one run: one size, one width per header field.
#[derive(Debug, Clone)]
pub struct Payload {
    size: usize,
    sender: Field,
    seq: Field,
    /// Where the send time starts, and the padding after it.
    nanos_at: usize,
    padding_at: usize,
    /// The alphabet repeated to `size + 26` bytes, so any padding is one slice of it.
    pattern: Vec<u8>,
}

impl Payload {
    /// Messages of `size` bytes from client numbers up to `max_sender`, each sending up to
    /// `max_seq` messages. `size` must be at least [`Payload::min_size`] of the same two.
    pub fn new(size: usize, max_sender: usize, max_seq: u64) -> Self {
        let pattern = ALPHABET.iter().copied().cycle().take(size + 26).collect();
        let sender = Field {
            at: 0,
            digits: digits(max_sender as u64),
        };
        let seq = Field {
            at: sender.digits + 1,
            digits: digits(max_seq),
        };
        let nanos_at = seq.at + seq.digits + 1;
        Payload {
            size,
            sender,
            seq,
            nanos_at,
            padding_at: nanos_at + NANOS_DIGITS + 1,
            pattern,
        }
    }

    /// Where the sequence number ends in a message's text.
    pub fn seq_end(&self) -> usize {
        self.seq.at + self.seq.digits
    }

    /// The text size every message has.
    pub fn size(&self) -> usize {
        self.size
    }

    /// The smallest size that fits the header of any message in a run where client numbers go up
    /// to `max_sender` and sequence numbers up to `max_seq`.
    pub fn min_size(max_sender: u32, max_seq: u64) -> usize {
        digits(u64::from(max_sender)) + digits(max_seq) + NANOS_DIGITS + 3
    }

    /// Appends the text of one message (no newline) to `out`.
    pub fn encode(&self, out: &mut Vec<u8>, stamp: Stamp) {
        push_padded(out, u64::from(stamp.sender), self.sender.digits);
        out.push(b':');
        push_padded(out, stamp.seq, self.seq.digits);
        out.push(b':');
        push_padded(out, stamp.sent_ns, NANOS_DIGITS);
        out.push(b':');
        let pad = self.size.saturating_sub(self.padding_at);
        let offset = (stamp.seq % 26) as usize;
        out.extend_from_slice(&self.pattern[offset..offset + pad]);
    }

    /// Checks that `text` is exactly a message this payload encodes, and returns its stamp.
    pub fn check(&self, text: &[u8]) -> Result<Stamp, Corrupt> {
        if text.len() != self.size {
            return Err(Corrupt::Length);
        }
        if text.len() < self.padding_at {
            return Err(Corrupt::Header);
        }
        let (nanos_at, padding_at) = (self.nanos_at, self.padding_at);
        let colons = [
            text[self.seq.at - 1],
            text[nanos_at - 1],
            text[padding_at - 1],
        ];
        let nanos = &text[nanos_at..padding_at - 1];
        let (Some(sender), Some(seq), Some(sent_ns), [b':', b':', b':']) = (
            self.sender.read(text),
            self.seq.read(text),
            decimal_16(nanos.try_into().expect("NANOS_DIGITS long")),
            colons,
        ) else {
            return Err(Corrupt::Header);
        };
        let sender = u32::try_from(sender).map_err(|_| Corrupt::Header)?;
        let padding = &text[padding_at..];
        let offset = (seq % 26) as usize;
        if padding != &self.pattern[offset..offset + padding.len()] {
            return Err(Corrupt::Padding);
        }
        Ok(Stamp {
            sender,
            seq,
            sent_ns,
        })
    }
}

/// A zero-padded decimal field of the header.
#[derive(Debug, Clone, Copy)]
struct Field {
    at: usize,
    digits: usize,
}

impl Field {
    /// Reads the field out of a header. Up to eight digits (every client number, and sequence
    /// numbers below 10^8) are one word: loaded with what follows them (the send time follows
    /// both fields, so the word stays inside the header), shifted to the top, and filled from
    /// below with `'0'`s.
    #[inline(always)]
    fn read(self, header: &[u8]) -> Option<u64> {
        if self.digits > 8 {
            return decimal(&header[self.at..self.at + self.digits]);
        }
        let word = u64::from_le_bytes(*header[self.at..].first_chunk::<8>()?);
        let shift = 8 * (8 - self.digits) as u32;
        let word = (word << shift) | (ZEROS & (1u64 << shift).wrapping_sub(1));
        all_digits(word).then(|| eight_digits(word))
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

/// Appends `n` in decimal, zero-padded to `width` digits, without going through `fmt` (this runs
/// once per message sent). A number wider than `width` keeps all its digits.
fn push_padded(out: &mut Vec<u8>, mut n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.extend_from_slice(&buf[at.min(buf.len() - width)..]);
}

/// Eight ASCII `'0'`s as a word.
const ZEROS: u64 = 0x3030_3030_3030_3030;

/// Reads a field of 1 to 10 decimal digits (client and sequence numbers): no branch per digit,
/// only one check at the end that every byte was one.
fn decimal(bytes: &[u8]) -> Option<u64> {
    let mut value = 0u64;
    let mut bad = bytes.len() > 10;
    for &b in bytes {
        let digit = b.wrapping_sub(b'0');
        bad |= digit > 9;
        value = value.wrapping_mul(10).wrapping_add(u64::from(digit));
    }
    (!bad).then_some(value)
}

/// Reads the 16-digit send time as two words of eight digits each.
fn decimal_16(bytes: &[u8; NANOS_DIGITS]) -> Option<u64> {
    let (high, low) = bytes.split_at(8);
    let high = u64::from_le_bytes(high.try_into().expect("eight bytes"));
    let low = u64::from_le_bytes(low.try_into().expect("eight bytes"));
    (all_digits(high) && all_digits(low))
        .then(|| eight_digits(high) * 100_000_000 + eight_digits(low))
}

/// Whether all eight bytes of a little-endian word are ASCII digits: each byte minus `'0'` must
/// not borrow, and plus `0x46` (which carries into the top bit from `':'` up) must not carry.
fn all_digits(word: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    (word.wrapping_sub(ZEROS) | word.wrapping_add(ONES * 0x46)) & HIGH == 0
}

/// The value of eight ASCII digits read as a little-endian word (the first digit in the lowest
/// byte): first each pair of digits becomes one byte, then two multiplies place the four pairs
/// at their powers of 100 and sum them in the upper half of the word (the lower half overflows
/// by design, hence the wrapping arithmetic).
fn eight_digits(word: u64) -> u64 {
    const MASK: u64 = 0x0000_00ff_0000_00ff;
    let word = word - ZEROS;
    let pairs = word * 10 + (word >> 8);
    let odd = (pairs & MASK).wrapping_mul(100 + (1_000_000 << 32));
    let even = ((pairs >> 16) & MASK).wrapping_mul(1 + (10_000 << 32));
    odd.wrapping_add(even) >> 32
}

/// The text of one message, for tests here and in the modules that read messages.
#[cfg(test)]
pub fn encoded(payload: &Payload, sender: u32, seq: u64, sent_ns: u64) -> Vec<u8> {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodes_the_documented_layout() {
        // Up to 12 senders and 500 messages each: two digits, then three, then sixteen.
        let payload = Payload::new(40, 12, 500);
        assert_eq!(
            encoded(&payload, 3, 27, 1500),
            b"03:027:0000000000001500:bcdefghijklmnopq"
        );
    }

    #[test]
    fn every_message_is_exactly_the_size_and_checks_back() {
        let payload = Payload::new(64, 100, 999_999);
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
        let payload = Payload::new(min, 4, 1_000_000);
        let text = encoded(&payload, 4, 1_000_000, 99_999_999_999_999);
        assert_eq!(text.len(), min);
        assert_eq!(payload.check(&text).unwrap().seq, 1_000_000);
        // The smallest message of all: one sender, one message.
        let one = Payload::new(Payload::min_size(1, 1), 1, 1);
        assert_eq!(one.check(&encoded(&one, 1, 1, 5)).unwrap().sent_ns, 5);
    }

    #[test]
    fn damaged_messages_are_caught() {
        let payload = Payload::new(40, 9, 9);
        let good = encoded(&payload, 2, 5, 1000);
        assert_eq!(good, b"2:5:0000000000001000:fghijklmnopqrstuvwx");
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
        // A bad byte in each header field, and in each separator.
        for at in [0, 1, 2, 3, 4, 10, 19, 20] {
            let mut bad = good.clone();
            bad[at] = if bad[at] == b':' { b'0' } else { b'x' };
            assert_eq!(payload.check(&bad), Err(Corrupt::Header), "byte {at}");
        }
        assert_eq!(payload.check(b""), Err(Corrupt::Length));
    }

    #[test]
    fn a_size_too_small_for_the_header_is_refused_not_a_panic() {
        let payload = Payload::new(12, 9, 9);
        assert_eq!(payload.check(b"1:1:00000000"), Err(Corrupt::Header));
    }

    #[test]
    fn numbers_are_zero_padded_and_never_cut() {
        let mut out = Vec::new();
        push_padded(&mut out, 42, 5);
        push_padded(&mut out, 123_456, 3);
        assert_eq!(out, b"00042123456");
        assert_eq!(decimal(b"0042"), Some(42));
        // Fields of up to eight digits read as one word, whatever follows them.
        let header = b"7:0012345:00000000000000001234567890";
        let field = |at, digits| Field { at, digits }.read(header);
        assert_eq!(field(0, 1), Some(7));
        assert_eq!(field(2, 7), Some(12_345));
        assert_eq!(field(10, 8), Some(0));
        assert_eq!(field(26, 10), Some(1_234_567_890));
        assert_eq!(Field { at: 0, digits: 2 }.read(b"7x:45678"), None);
        assert_eq!(Field { at: 0, digits: 2 }.read(b"x7:45678"), None);
        assert_eq!(decimal(b"4x"), None);
        assert_eq!(decimal(b"12345678901"), None);
        for n in (0..100_000_000u64).step_by(9_973).chain([99_999_999]) {
            let text = format!("{n:08}");
            let word = u64::from_le_bytes(text.as_bytes().try_into().unwrap());
            assert!(all_digits(word));
            assert_eq!(eight_digits(word), n, "{text}");
        }
        assert_eq!(decimal_16(b"0000000000000009"), Some(9));
        assert_eq!(decimal_16(b"1234567890123456"), Some(1_234_567_890_123_456));
        assert_eq!(decimal_16(b"9999999999999999"), Some(9_999_999_999_999_999));
        for bad in [b'/', b':', b'a', b' ', 0x80, 0xff, 0] {
            for at in [0, 7, 8, 15] {
                let mut text = *b"0000000000000000";
                text[at] = bad;
                assert_eq!(decimal_16(&text), None, "byte {bad:#x} at {at}");
            }
        }
    }
}
