//! A client's outgoing queue: shared frames waiting for its socket.
//!
//! Every recipient of an event holds the same bytes (an `Arc`), so a message to ten thousand
//! people is one allocation and ten thousand pointers. Flushing gathers everything queued into
//! one vectored write, so a busy room costs one syscall per client per loop turn rather than one
//! per message. The queue is bounded in messages: a client that stops reading until it is full is
//! let go (`sendq_exceeded`) rather than allowed to grow the host's memory.

use std::collections::VecDeque;
use std::io::{self, IoSlice, Write};
use std::sync::Arc;

/// Bytes ready for the wire, shared by every recipient of the same event.
pub type Frame = Arc<[u8]>;

/// At most this many frames go into one vectored write (Linux's IOV_MAX is 1024). The slices
/// live on the stack: a flush allocates nothing.
const MAX_SLICES: usize = 256;

/// Queues above this many slots give their memory back once drained. Below it the ring is kept:
/// a busy room refills it every turn, and reallocating it each time showed up in profiles.
const KEEP_SLOTS: usize = 1024;

/// The frames owed to one client, and how far into the first one the socket has taken.
#[derive(Default)]
pub struct Outbox {
    frames: VecDeque<Frame>,
    /// Bytes of `frames[0]` already written.
    offset: usize,
}

/// Why a push was refused.
#[derive(Debug, PartialEq, Eq)]
pub struct Full;

impl Outbox {
    /// Queues a frame unless `limit` frames are already waiting.
    pub fn push(&mut self, frame: Frame, limit: usize) -> Result<(), Full> {
        if frame.is_empty() {
            return Ok(());
        }
        if self.frames.len() >= limit {
            return Err(Full);
        }
        self.frames.push_back(frame);
        Ok(())
    }

    pub fn is_empty(&self) -> bool {
        self.frames.is_empty()
    }

    /// Writes as much as `out` takes without blocking. `Ok(true)` when everything went out,
    /// `Ok(false)` when the socket is full and the rest must wait for it to drain.
    pub fn flush(&mut self, out: &mut impl Write) -> io::Result<bool> {
        while !self.frames.is_empty() {
            let mut slices = [IoSlice::new(&[]); MAX_SLICES];
            let mut count = 0;
            for (slot, frame) in slices.iter_mut().zip(self.frames.iter()) {
                let skip = if count == 0 { self.offset } else { 0 };
                *slot = IoSlice::new(&frame[skip..]);
                count += 1;
            }
            let written = match out.write_vectored(&slices[..count]) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.advance(written);
        }
        if self.frames.capacity() > KEEP_SLOTS {
            self.frames = VecDeque::new();
        }
        Ok(true)
    }

    /// Drops `written` bytes from the front of the queue.
    fn advance(&mut self, mut written: usize) {
        while let Some(front) = self.frames.front() {
            let left = front.len() - self.offset;
            if written < left {
                self.offset += written;
                return;
            }
            written -= left;
            self.offset = 0;
            self.frames.pop_front();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(text: &str) -> Frame {
        Arc::from(text.as_bytes())
    }

    /// A socket that takes at most `room` bytes, then would block.
    struct Socket {
        taken: Vec<u8>,
        room: usize,
        calls: usize,
    }

    impl Write for Socket {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            self.write_vectored(&[IoSlice::new(buf)])
        }

        fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
            self.calls += 1;
            if self.room == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let mut n = 0;
            for buf in bufs {
                let take = buf.len().min(self.room);
                self.taken.extend_from_slice(&buf[..take]);
                self.room -= take;
                n += take;
            }
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn everything_queued_goes_out_in_one_write() {
        let mut outbox = Outbox::default();
        for text in ["a\n", "bb\n", "ccc\n"] {
            outbox.push(frame(text), 10).unwrap();
        }
        let mut socket = Socket {
            taken: Vec::new(),
            room: 100,
            calls: 0,
        };
        assert!(outbox.flush(&mut socket).unwrap());
        assert_eq!(socket.taken, b"a\nbb\nccc\n");
        assert_eq!(socket.calls, 1);
        assert!(outbox.is_empty());
    }

    #[test]
    fn a_partial_write_resumes_mid_frame() {
        let mut outbox = Outbox::default();
        outbox.push(frame("hello\n"), 10).unwrap();
        outbox.push(frame("world\n"), 10).unwrap();
        let mut socket = Socket {
            taken: Vec::new(),
            room: 8,
            calls: 0,
        };
        assert!(!outbox.flush(&mut socket).unwrap());
        assert_eq!(socket.taken, b"hello\nwo");
        socket.room = 100;
        assert!(outbox.flush(&mut socket).unwrap());
        assert_eq!(socket.taken, b"hello\nworld\n");
    }

    #[test]
    fn the_limit_is_in_messages() {
        let mut outbox = Outbox::default();
        outbox.push(frame("1"), 2).unwrap();
        outbox.push(frame("2"), 2).unwrap();
        assert_eq!(outbox.push(frame("3"), 2), Err(Full));
        assert_eq!(
            outbox.push(frame(""), 2),
            Ok(()),
            "empty frames are never queued"
        );
    }
}
