//! What one client is owed: its place in the room's broadcast log, plus the frames meant for it
//! alone (its welcome, acks, errors, private messages).
//!
//! Broadcasts cost nothing per recipient (see `log.rs`); a client's own frames are queued here
//! with the log position they were sent at, so they reach the client in the order things
//! happened. A member's own message is in the log too, and a `Skip` entry makes its writer step
//! over it (senders are not echoed). Flushing gathers log bytes and own frames into one vectored
//! write. The backlog is counted in messages: a client that stops reading until it is more than
//! `--outbox` behind is let go (`sendq_exceeded`) rather than allowed to hold the log.
//!
//! Own frames are bytes the host holds for this client alone, so besides its own limit
//! ([`MAX_OWN_BYTES`]) those a flush leaves waiting are charged to the host-wide [`QueueBudget`],
//! and given back as later flushes write them or when the outbox is dropped with its connection.
//! A client that keeps up is written everything in the turn it was queued in, and never touches
//! the shared count: an ack costs no atomic operation.

use std::collections::VecDeque;
use std::io::{self, IoSlice, Write};

use super::budget::QueueBudget;
use super::log::Log;

pub(crate) use super::log::Frame;

/// Bytes of a client's own frames it may leave unread before it is let go, whatever their
/// number: a few replies can be large (`/list` in a room of thousands), and a client that asks
/// for them without reading must not make the host hold megabytes on its behalf.
pub const MAX_OWN_BYTES: usize = 4 * 1024 * 1024;

/// At most this many pieces go into one vectored write (Linux's IOV_MAX is 1024). The slices
/// live on the stack: a flush allocates nothing.
const MAX_SLICES: usize = 64;

/// Something owed at a position in the log.
enum Owed {
    /// A frame for this client alone.
    Frame(Frame),
    /// A frame many clients hold at once (the room's latest history, one `Arc` for every
    /// newcomer): it costs the host nothing more for this client, so it is neither counted in
    /// [`MAX_OWN_BYTES`] nor charged to the budget.
    Shared(Frame),
    /// This many log bytes are the client's own message: not sent back to it.
    Skip(u64),
}

/// One client's place in the log and its own frames, in order.
pub struct Outbox {
    /// Where the client is in the log of its dialect; `None` before it joins, when it receives
    /// only its own frames.
    cursor: Option<u64>,
    /// Where its share of the log ends, once it has left (it still gets what came before).
    until: Option<u64>,
    own: VecDeque<(u64, Owed)>,
    /// Bytes of the first own frame already written.
    offset: usize,
    /// Bytes of own frames not yet written.
    own_bytes: usize,
    /// The host-wide budget for own frames that wait.
    budget: QueueBudget,
    /// What is charged to `budget`: `own_bytes` as the last flush left them.
    charged: usize,
    /// Some of what waits did not fit in the budget (see [`Outbox::holds_too_much`]).
    overdrawn: bool,
}

impl Drop for Outbox {
    /// Whatever way the connection ends, what it still held goes back to the budget.
    fn drop(&mut self) {
        self.budget.release(self.charged);
    }
}

impl Outbox {
    /// An empty outbox charging its own frames to `budget`.
    pub fn new(budget: QueueBudget) -> Self {
        Outbox {
            cursor: None,
            until: None,
            own: VecDeque::new(),
            offset: 0,
            own_bytes: 0,
            budget,
            charged: 0,
            overdrawn: false,
        }
    }

    /// Starts reading the log at `at` (its end, when the client joins). Frames queued before
    /// (a greeting, nickname errors) come first.
    pub fn follow(&mut self, at: u64) {
        for (pos, _) in &mut self.own {
            *pos = at;
        }
        self.cursor = Some(at);
    }

    /// Takes nothing from the log past `at` (the client has left the room).
    pub fn stop_at(&mut self, at: u64) {
        if self.cursor.is_some() {
            self.until = Some(at);
        }
    }

    /// The end of this client's share of `log`.
    fn end(&self, log: &Log) -> u64 {
        self.until.unwrap_or(log.end()).min(log.end())
    }

    /// Where the client is in the log, if it follows it.
    pub fn cursor(&self) -> Option<u64> {
        self.cursor
    }

    /// Queues a frame for this client alone, after everything broadcast before `at`. It is
    /// charged to the host's budget only if the next flush leaves it waiting.
    pub fn push(&mut self, at: u64, frame: Frame) {
        if !frame.is_empty() {
            self.own_bytes += frame.len();
            self.own.push_back((at, Owed::Frame(frame)));
        }
    }

    /// Queues a frame shared with other clients (see [`Owed::Shared`]), after everything
    /// broadcast before `at`.
    pub fn push_shared(&mut self, at: u64, frame: Frame) {
        if !frame.is_empty() {
            self.own.push_back((at, Owed::Shared(frame)));
        }
    }

    /// Marks the log bytes `[at, at + len)` as the client's own message.
    pub fn skip(&mut self, at: u64, len: u64) {
        if self.cursor.is_some() {
            self.own.push_back((at, Owed::Skip(len)));
        }
    }

    /// Messages owed and not yet written.
    pub fn backlog(&self, log: &Log) -> usize {
        let skips = self
            .own
            .iter()
            .filter(|(_, item)| matches!(item, Owed::Skip(_)))
            .count();
        let from_log = self.cursor.map_or(0, |c| {
            log.messages_since(c) - self.until.map_or(0, |u| log.messages_since(u))
        });
        from_log.saturating_sub(skips) + (self.own.len() - skips)
    }

    /// True when the client holds more of its own frames than it may: more than
    /// [`MAX_OWN_BYTES`], or more than the host's budget had room for (asked after a flush that
    /// could not write everything).
    pub fn holds_too_much(&self) -> bool {
        self.own_bytes > MAX_OWN_BYTES || (self.overdrawn && self.own_bytes > 0)
    }

    /// True when nothing is owed.
    #[cfg(test)]
    pub fn is_done(&self, log: &Log) -> bool {
        self.own.is_empty() && self.cursor.is_none_or(|c| c == self.end(log))
    }

    /// Writes as much as `out` takes without blocking. `Ok(true)` when everything went out,
    /// `Ok(false)` when the socket is full and the rest must wait for it to drain.
    pub fn flush(&mut self, log: &Log, out: &mut impl Write) -> io::Result<bool> {
        loop {
            self.step_over_skips();
            let mut slices = [IoSlice::new(&[]); MAX_SLICES];
            let count = self.gather(log, &mut slices);
            if count == 0 {
                if self.own.capacity() > 64 {
                    self.own = VecDeque::new();
                }
                self.settle_charge();
                return Ok(true);
            }
            let written = match out.write_vectored(&slices[..count]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    self.settle_charge();
                    return Ok(false);
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.consume(log, written);
        }
    }

    /// Brings the charge to the budget in line with what waits now: gives back what was written,
    /// charges what is new. What does not fit is charged all the same (the caller lets the client
    /// go, which gives it back) and marks the outbox overdrawn.
    fn settle_charge(&mut self) {
        // Nothing changed (nearly every flush in a broadcast, where a member's own frames are
        // none): the shared count is not touched, so members who keep up cost no atomic.
        if self.own_bytes > self.charged {
            let more = self.own_bytes - self.charged;
            if !self.budget.try_charge(more) {
                self.budget.force_charge(more);
                self.overdrawn = true;
            }
        } else if self.own_bytes < self.charged {
            self.budget.release(self.charged - self.own_bytes);
        }
        self.charged = self.own_bytes;
        if self.own_bytes == 0 {
            self.overdrawn = false;
        }
    }

    /// Skips at the cursor cost no bytes: apply them before gathering or after consuming.
    fn step_over_skips(&mut self) {
        while let (Some(cursor), Some((at, Owed::Skip(len)))) = (self.cursor, self.own.front()) {
            if *at != cursor {
                break;
            }
            self.cursor = Some(cursor + len);
            self.own.pop_front();
        }
    }

    /// Fills `slices` with what is owed, in order; returns how many were filled.
    fn gather<'a>(&'a self, log: &'a Log, slices: &mut [IoSlice<'a>]) -> usize {
        let mut count = 0;
        let mut pos = self.cursor;
        let mut own = self.own.iter().enumerate().peekable();
        while count < slices.len() {
            let next_at = own.peek().map(|(_, (at, _))| *at);
            // Own items due at the current log position come before later log bytes.
            let due = match (pos, next_at) {
                (None, Some(_)) => true,
                (Some(p), Some(at)) => at <= p,
                (_, None) => false,
            };
            if due {
                let Some((i, (_, item))) = own.next() else {
                    break;
                };
                match item {
                    Owed::Frame(frame) | Owed::Shared(frame) => {
                        let skip = if i == 0 { self.offset } else { 0 };
                        slices[count] = IoSlice::new(&frame[skip..]);
                        count += 1;
                    }
                    Owed::Skip(len) => pos = pos.map(|p| p + len),
                }
                continue;
            }
            let Some(p) = pos else {
                break;
            };
            let upto = next_at.unwrap_or(u64::MAX).min(self.end(log));
            if p >= upto {
                break;
            }
            let bytes = log.slice(p, upto);
            if bytes.is_empty() {
                break;
            }
            slices[count] = IoSlice::new(bytes);
            count += 1;
            pos = Some(p + bytes.len() as u64);
        }
        count
    }

    /// Advances past `written` bytes, in the order `gather` laid them out.
    fn consume(&mut self, log: &Log, mut written: usize) {
        while written > 0 {
            self.step_over_skips();
            let next_at = self.own.front().map(|(at, _)| *at);
            let own_due = match (self.cursor, next_at) {
                (None, Some(_)) => true,
                (Some(c), Some(at)) => at <= c,
                (_, None) => false,
            };
            if own_due {
                let (frame, charged) = match self.own.front() {
                    Some((_, Owed::Frame(frame))) => (frame, true),
                    Some((_, Owed::Shared(frame))) => (frame, false),
                    _ => continue, // A skip: stepped over at the top of the loop.
                };
                let take = (frame.len() - self.offset).min(written);
                self.offset += take;
                if charged {
                    self.own_bytes -= take;
                }
                written -= take;
                if self.offset == frame.len() {
                    self.offset = 0;
                    self.own.pop_front();
                }
                continue;
            }
            let Some(cursor) = self.cursor else {
                return;
            };
            let upto = next_at.unwrap_or(u64::MAX).min(self.end(log));
            let take = upto.saturating_sub(cursor).min(written as u64);
            if take == 0 {
                return;
            }
            self.cursor = Some(cursor + take);
            written -= take as usize;
        }
        self.step_over_skips();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    fn frame(text: &str) -> Frame {
        Arc::from(text.as_bytes())
    }

    /// A socket that takes at most `room` bytes per call, and `budget` bytes in all.
    struct Socket {
        taken: Vec<u8>,
        per_call: usize,
        budget: usize,
        calls: usize,
    }

    impl Socket {
        fn new(per_call: usize) -> Self {
            Socket {
                taken: Vec::new(),
                per_call,
                budget: usize::MAX,
                calls: 0,
            }
        }
    }

    impl Write for Socket {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.write_vectored(&[IoSlice::new(buf)])
        }

        fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
            self.calls += 1;
            let mut room = self.per_call.min(self.budget);
            if room == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let mut n = 0;
            for buf in bufs {
                let take = buf.len().min(room);
                self.taken.extend_from_slice(&buf[..take]);
                room -= take;
                n += take;
            }
            self.budget -= n;
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// A room's worth of traffic: broadcasts, our own message, frames for us alone.
    fn scenario() -> (Log, Outbox, &'static [u8]) {
        let mut log = Log::default();
        log.push_message(b"before we joined\n");
        let mut outbox = Outbox::new(QueueBudget::unlimited());
        outbox.push(0, frame("greeting\n"));
        outbox.follow(log.end());
        outbox.push(log.end(), frame("welcome\n"));
        log.push_message(b"<bob> hi\n");
        let mine = b"<me> hello\n";
        let at = log.push_message(mine);
        outbox.skip(at, mine.len() as u64);
        outbox.push(log.end(), frame("ack\n"));
        log.push_message(b"<bob> bye\n");
        let expected: &[u8] = b"greeting\nwelcome\n<bob> hi\nack\n<bob> bye\n";
        (log, outbox, expected)
    }

    #[test]
    fn everything_owed_goes_out_in_order_in_one_write() {
        let (log, mut outbox, expected) = scenario();
        assert_eq!(outbox.backlog(&log), 5);
        let mut socket = Socket::new(usize::MAX);
        assert!(outbox.flush(&log, &mut socket).unwrap());
        assert_eq!(
            String::from_utf8_lossy(&socket.taken),
            String::from_utf8_lossy(expected)
        );
        assert_eq!(socket.calls, 1);
        assert!(outbox.is_done(&log));
        assert_eq!(outbox.backlog(&log), 0);
    }

    #[test]
    fn any_partial_writes_give_the_same_bytes() {
        for per_call in 1..=12 {
            let (log, mut outbox, expected) = scenario();
            let mut socket = Socket::new(per_call);
            assert!(outbox.flush(&log, &mut socket).unwrap());
            assert_eq!(socket.taken, expected, "{per_call} bytes per write");
        }
    }

    #[test]
    fn a_full_socket_resumes_where_it_stopped() {
        let (log, mut outbox, expected) = scenario();
        let mut socket = Socket::new(usize::MAX);
        socket.budget = 13;
        assert!(!outbox.flush(&log, &mut socket).unwrap());
        assert!(!outbox.is_done(&log));
        socket.budget = usize::MAX;
        assert!(outbox.flush(&log, &mut socket).unwrap());
        assert_eq!(socket.taken, expected);
    }

    #[test]
    fn own_bytes_are_counted_until_written() {
        let log = Log::default();
        let mut outbox = Outbox::new(QueueBudget::unlimited());
        let big: Frame = Arc::from(vec![b'u'; MAX_OWN_BYTES / 2].into_boxed_slice());
        outbox.push(0, big.clone());
        outbox.push(0, big.clone());
        assert!(!outbox.holds_too_much());
        outbox.push(0, frame("one more\n"));
        assert!(outbox.holds_too_much());
        let mut socket = Socket::new(1000);
        socket.budget = MAX_OWN_BYTES / 2 + 10;
        assert!(!outbox.flush(&log, &mut socket).unwrap());
        assert!(!outbox.holds_too_much());
        assert_eq!(outbox.own_bytes, MAX_OWN_BYTES / 2 - 10 + 9);
    }

    #[test]
    fn only_what_waits_is_charged_to_the_budget_until_written() {
        let log = Log::default();
        let budget = QueueBudget::new(100);
        let mut outbox = Outbox::new(budget.clone());
        outbox.push(0, frame("0123456789\n"));
        outbox.push(0, frame("abc\n"));
        assert_eq!(budget.used(), 0, "nothing waits before a flush has tried");
        let mut socket = Socket::new(6);
        socket.budget = 12;
        assert!(!outbox.flush(&log, &mut socket).unwrap());
        assert_eq!(budget.used(), 3, "what the flush left");
        outbox.push(0, frame("more\n"));
        socket.budget = 2;
        assert!(!outbox.flush(&log, &mut socket).unwrap());
        assert_eq!(budget.used(), 6);
        socket.budget = usize::MAX;
        assert!(outbox.flush(&log, &mut socket).unwrap());
        assert_eq!(budget.used(), 0, "written bytes are given back");
    }

    #[test]
    fn a_shared_frame_goes_out_in_order_but_is_never_charged() {
        let log = Log::default();
        let budget = QueueBudget::new(10);
        let mut outbox = Outbox::new(budget.clone());
        outbox.push(0, frame("welcome\n"));
        outbox.push_shared(0, frame("the room's history, longer than the budget\n"));
        outbox.push(0, frame("end\n"));
        let mut socket = Socket::new(5);
        socket.budget = 20;
        assert!(!outbox.flush(&log, &mut socket).unwrap());
        assert!(!outbox.holds_too_much(), "only its own bytes count");
        assert_eq!(budget.used(), 4, "only `end` is charged");
        socket.budget = usize::MAX;
        assert!(outbox.flush(&log, &mut socket).unwrap());
        assert_eq!(
            String::from_utf8_lossy(&socket.taken),
            "welcome\nthe room's history, longer than the budget\nend\n"
        );
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn a_reader_that_keeps_up_never_touches_the_budget() {
        let log = Log::default();
        let budget = QueueBudget::new(10);
        budget.force_charge(10); // Spent by others.
        let mut outbox = Outbox::new(budget.clone());
        outbox.push(0, frame("an ack longer than the whole budget\n"));
        let mut socket = Socket::new(usize::MAX);
        assert!(outbox.flush(&log, &mut socket).unwrap());
        assert!(!outbox.holds_too_much());
        assert_eq!(budget.used(), 10);
    }

    #[test]
    fn a_closed_connection_gives_back_what_it_held() {
        let budget = QueueBudget::new(100);
        let mut outbox = Outbox::new(budget.clone());
        outbox.push(0, frame("never read\n"));
        let mut socket = Socket::new(4);
        socket.budget = 4;
        assert!(!outbox.flush(&Log::default(), &mut socket).unwrap());
        assert_eq!(budget.used(), 7);
        drop(outbox);
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn what_would_wait_past_the_budget_is_too_much() {
        let log = Log::default();
        let budget = QueueBudget::new(10);
        let mut outbox = Outbox::new(budget.clone());
        outbox.push(0, frame("a reply longer than ten bytes\n"));
        let mut socket = Socket::new(usize::MAX);
        socket.budget = 5;
        assert!(!outbox.flush(&log, &mut socket).unwrap());
        assert!(
            outbox.holds_too_much(),
            "25 bytes may not wait in a budget of 10"
        );
        assert_eq!(
            budget.used(),
            25,
            "charged all the same, until it is let go"
        );
        socket.budget = usize::MAX;
        assert!(outbox.flush(&log, &mut socket).unwrap());
        assert!(!outbox.holds_too_much(), "written: nothing waits");
        assert_eq!(budget.used(), 0);
        outbox.push(0, frame("short\n"));
        socket.budget = 2;
        assert!(!outbox.flush(&log, &mut socket).unwrap());
        assert!(!outbox.holds_too_much(), "4 bytes fit");
        drop(outbox);
        assert_eq!(budget.used(), 0);
    }

    #[test]
    fn a_client_that_left_gets_what_came_before_and_nothing_after() {
        let (mut log, mut outbox, expected) = scenario();
        outbox.stop_at(log.end());
        log.push_message(b"<bob> after you left\n");
        assert_eq!(outbox.backlog(&log), 5);
        let mut socket = Socket::new(usize::MAX);
        assert!(outbox.flush(&log, &mut socket).unwrap());
        assert_eq!(socket.taken, expected);
        assert!(outbox.is_done(&log));
    }

    #[test]
    fn frames_queued_before_joining_come_first() {
        let mut log = Log::default();
        log.push_message(b"<bob> old news\n");
        let mut outbox = Outbox::new(QueueBudget::unlimited());
        outbox.push(log.end() + 100, frame("greeting\n"));
        outbox.follow(log.end());
        log.push_message(b"<bob> news\n");
        let mut socket = Socket::new(usize::MAX);
        assert!(outbox.flush(&log, &mut socket).unwrap());
        assert_eq!(socket.taken, b"greeting\n<bob> news\n");
    }

    #[test]
    fn a_client_that_does_not_follow_the_log_gets_only_its_own_frames() {
        let mut log = Log::default();
        let mut outbox = Outbox::new(QueueBudget::unlimited());
        outbox.push(log.end(), frame("error: taken\n"));
        log.push_message(b"<bob> not for you\n");
        outbox.push(log.end(), frame("error: again\n"));
        let mut socket = Socket::new(usize::MAX);
        assert!(outbox.flush(&log, &mut socket).unwrap());
        assert_eq!(socket.taken, b"error: taken\nerror: again\n");
    }
}
