//! A shard's broadcast log: every event sent to everyone, in the room's order, held as the very
//! bytes the room rendered.
//!
//! Fan-out through per-client queues costs work per recipient for every message (a pointer
//! pushed, a reference count bumped and dropped). With a log, broadcasting is one append per
//! shard, whoever is listening: each member keeps only a cursor into the log of its dialect, and
//! catching up is writing the bytes between its cursor and the end, usually a few slices and one
//! syscall. The room renders a turn's broadcasts once per dialect into one buffer
//! ([`Broadcast`](super::fanout::Broadcast)); every shard appends that same reference-counted
//! buffer as a chunk, so the bytes exist once in the host however many shards and members read
//! them. The log keeps what the slowest member of its shard has not yet taken; a member allowed to
//! fall more than `--outbox` messages behind is let go, so the log stays bounded.

use std::collections::VecDeque;

/// Bytes ready for the wire, shared by every recipient of the same event: a frame for one
/// client, or a room turn's broadcasts, which every shard's log holds as this same allocation.
pub(crate) type Frame = std::sync::Arc<[u8]>;

/// An append-only byte log addressed by absolute positions, trimmed from the front.
#[derive(Default)]
pub(crate) struct Log {
    /// The retained chunks with the position each starts at, in order and contiguous. A message
    /// never straddles chunks: each chunk is one room turn's messages, whole.
    chunks: VecDeque<(u64, Frame)>,
    end: u64,
    /// Where each retained message starts, to count how many messages a cursor is behind.
    starts: VecDeque<u64>,
}

impl Log {
    /// The position just past the last byte appended.
    pub(crate) fn end(&self) -> u64 {
        self.end
    }

    /// Appends a chunk holding whole messages of the given lengths (in order, summing to the
    /// chunk's length; zero lengths are messages this dialect does not carry).
    pub(crate) fn append(&mut self, chunk: &Frame, lengths: impl IntoIterator<Item = u64>) {
        debug_assert!(!chunk.is_empty());
        let mut at = self.end;
        for len in lengths {
            if len > 0 {
                self.starts.push_back(at);
                at += len;
            }
        }
        debug_assert_eq!(at, self.end + chunk.len() as u64);
        self.chunks.push_back((self.end, chunk.clone()));
        self.end += chunk.len() as u64;
    }

    /// The bytes from `pos` up to `upto` (exclusive), or as many of them as are contiguous.
    pub(crate) fn slice(&self, pos: u64, upto: u64) -> &[u8] {
        debug_assert!(pos <= upto && upto <= self.end);
        // The chunk holding `pos` is the last one starting at or before it.
        let index = self.chunks.partition_point(|(start, _)| *start <= pos);
        let Some((start, chunk)) = index.checked_sub(1).and_then(|i| self.chunks.get(i)) else {
            return &[];
        };
        let chunk_end = start + chunk.len() as u64;
        if pos >= chunk_end {
            return &[];
        }
        let from = (pos - start) as usize;
        let to = (upto.min(chunk_end) - start) as usize;
        &chunk[from..to]
    }

    /// How many messages start at or after `pos`.
    pub(crate) fn messages_since(&self, pos: u64) -> usize {
        self.starts.len() - self.starts.partition_point(|&start| start < pos)
    }

    /// Forgets the chunks and message starts wholly before `pos`: nobody needs them any more.
    pub(crate) fn trim(&mut self, pos: u64) {
        while let Some((start, chunk)) = self.chunks.front() {
            if start + chunk.len() as u64 > pos {
                break;
            }
            self.chunks.pop_front();
        }
        while self.starts.front().is_some_and(|&start| start < pos) {
            self.starts.pop_front();
        }
    }

    /// Appends one message as a chunk of its own; returns where it starts.
    #[cfg(test)]
    pub(crate) fn push_message(&mut self, bytes: &[u8]) -> u64 {
        let at = self.end;
        self.append(&std::sync::Arc::from(bytes), [bytes.len() as u64]);
        at
    }

    /// Bytes held.
    #[cfg(test)]
    pub(crate) fn retained(&self) -> usize {
        self.chunks.iter().map(|(_, chunk)| chunk.len()).sum()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;

    /// Appends `messages` as one chunk, as a shard appends one room turn.
    fn append(log: &mut Log, messages: &[&[u8]]) {
        let chunk: Frame = Arc::from(messages.concat());
        log.append(&chunk, messages.iter().map(|m| m.len() as u64));
    }

    #[test]
    fn appends_are_addressed_by_position() {
        let mut log = Log::default();
        append(&mut log, &[b"one\n", b"two\n"]);
        assert_eq!(log.end(), 8);
        assert_eq!(log.slice(0, 8), b"one\ntwo\n");
        assert_eq!(log.slice(4, 6), b"tw");
        assert_eq!(log.messages_since(0), 2);
        assert_eq!(log.messages_since(1), 1);
        assert_eq!(log.messages_since(8), 0);
    }

    #[test]
    fn slices_stop_at_a_chunk_end() {
        let mut log = Log::default();
        append(&mut log, &[b"first turn\n"]);
        append(&mut log, &[b"second\n", b"turn\n"]);
        assert_eq!(log.slice(0, log.end()), b"first turn\n");
        assert_eq!(log.slice(11, log.end()), b"second\nturn\n");
        assert_eq!(log.slice(13, 20), b"cond\ntu");
        assert_eq!(log.messages_since(11), 2);
    }

    #[test]
    fn messages_a_dialect_does_not_carry_are_not_counted() {
        let mut log = Log::default();
        let chunk: Frame = Arc::from(&b"a\nb\n"[..]);
        log.append(&chunk, [2, 0, 2]);
        assert_eq!(log.messages_since(0), 2);
    }

    #[test]
    fn trimming_keeps_what_is_still_wanted() {
        let mut log = Log::default();
        append(&mut log, &[&[b'y'; 1000]]);
        append(&mut log, &[b"tail\n"]);
        log.trim(1000);
        assert_eq!(log.retained(), 5);
        assert_eq!(log.slice(1000, log.end()), b"tail\n");
        assert_eq!(log.messages_since(1000), 1);
        log.trim(log.end());
        assert_eq!(log.retained(), 0);
        append(&mut log, &[b"again\n"]);
        assert_eq!(log.slice(1005, log.end()), b"again\n");
    }

    #[test]
    fn a_chunk_still_partly_wanted_is_kept_whole() {
        let mut log = Log::default();
        append(&mut log, &[b"one\n", b"two\n"]);
        log.trim(4);
        assert_eq!(log.retained(), 8);
        assert_eq!(log.slice(4, 8), b"two\n");
        assert_eq!(
            log.messages_since(0),
            1,
            "starts before the trim point are forgotten"
        );
    }
}
