//! The room's broadcast log: every event sent to everyone, rendered once per dialect and stored
//! once, in order.
//!
//! Fan-out through per-client queues costs work per recipient for every message (a pointer
//! pushed, a reference count bumped and dropped). With a log, broadcasting is one append, whoever
//! is listening: each member keeps only a cursor into the log of its dialect, and catching up is
//! writing the bytes between its cursor and the end, usually one contiguous slice and one
//! syscall. The log keeps what the slowest member has not yet taken; a member allowed to fall
//! more than `--outbox` messages behind is let go, so the log stays bounded.

use std::collections::VecDeque;

/// Bytes per chunk. A message never straddles chunks: one that does not fit starts a new one.
const CHUNK: usize = 64 * 1024;

/// An append-only byte log addressed by absolute positions, trimmed from the front.
#[derive(Default)]
pub struct Log {
    /// The retained bytes; `chunks[0]` starts at `first`, each chunk follows the previous one.
    chunks: VecDeque<Vec<u8>>,
    first: u64,
    end: u64,
    /// Where each retained message starts, to count how many messages a cursor is behind.
    starts: VecDeque<u64>,
}

impl Log {
    /// The position just past the last byte appended.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// Appends one message; returns where it starts.
    pub fn append(&mut self, bytes: &[u8]) -> u64 {
        let at = self.end;
        match self.chunks.back_mut() {
            Some(last) if last.capacity() - last.len() >= bytes.len() => {
                last.extend_from_slice(bytes);
            }
            _ => {
                let mut chunk = Vec::with_capacity(CHUNK.max(bytes.len()));
                chunk.extend_from_slice(bytes);
                if self.chunks.is_empty() {
                    self.first = at;
                }
                self.chunks.push_back(chunk);
            }
        }
        self.end += bytes.len() as u64;
        self.starts.push_back(at);
        at
    }

    /// The bytes from `pos` up to `upto` (exclusive), or as many of them as are contiguous.
    pub fn slice(&self, pos: u64, upto: u64) -> &[u8] {
        debug_assert!(self.first <= pos && pos <= upto && upto <= self.end);
        let mut start = self.first;
        for chunk in &self.chunks {
            let chunk_end = start + chunk.len() as u64;
            if pos < chunk_end {
                let from = (pos - start) as usize;
                let to = (upto.min(chunk_end) - start) as usize;
                return &chunk[from..to];
            }
            start = chunk_end;
        }
        &[]
    }

    /// How many messages start at or after `pos`.
    pub fn messages_since(&self, pos: u64) -> usize {
        self.starts.len() - self.starts.partition_point(|&start| start < pos)
    }

    /// Forgets everything before `pos` that no longer matters: whole chunks and message starts.
    pub fn trim(&mut self, pos: u64) {
        while let Some(chunk) = self.chunks.front() {
            let chunk_end = self.first + chunk.len() as u64;
            // Keep the last chunk: it is where the next appends go.
            if chunk_end > pos || self.chunks.len() == 1 {
                break;
            }
            self.first = chunk_end;
            self.chunks.pop_front();
        }
        if self.chunks.len() == 1 && pos == self.end {
            // Everybody has everything: reuse the chunk from its start.
            self.chunks[0].clear();
            self.first = self.end;
        }
        while self.starts.front().is_some_and(|&start| start < pos) {
            self.starts.pop_front();
        }
    }

    /// Bytes held.
    #[cfg(test)]
    pub fn retained(&self) -> usize {
        self.chunks.iter().map(Vec::len).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appends_are_addressed_by_position() {
        let mut log = Log::default();
        assert_eq!(log.append(b"one\n"), 0);
        assert_eq!(log.append(b"two\n"), 4);
        assert_eq!(log.end(), 8);
        assert_eq!(log.slice(0, 8), b"one\ntwo\n");
        assert_eq!(log.slice(4, 6), b"tw");
        assert_eq!(log.messages_since(0), 2);
        assert_eq!(log.messages_since(1), 1);
        assert_eq!(log.messages_since(8), 0);
    }

    #[test]
    fn a_message_never_straddles_chunks() {
        let mut log = Log::default();
        let big = vec![b'x'; CHUNK - 10];
        log.append(&big);
        let at = log.append(b"0123456789abcdef\n");
        assert_eq!(
            log.slice(0, log.end()).len(),
            big.len(),
            "slices stop at a chunk's end"
        );
        assert_eq!(log.slice(at, log.end()), b"0123456789abcdef\n");
    }

    #[test]
    fn trimming_keeps_what_is_still_wanted() {
        let mut log = Log::default();
        let big = vec![b'y'; CHUNK];
        log.append(&big);
        let at = log.append(b"tail\n");
        log.trim(at);
        assert_eq!(log.retained(), 5);
        assert_eq!(log.slice(at, log.end()), b"tail\n");
        assert_eq!(log.messages_since(at), 1);
        log.trim(log.end());
        assert_eq!(log.retained(), 0);
        let next = log.append(b"again\n");
        assert_eq!(log.slice(next, log.end()), b"again\n");
    }
}
