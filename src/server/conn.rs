//! One client connection as the event loop sees it: its socket, what it has sent us that we
//! have not handled yet, what we owe it, and where it is in its life.

use std::io;
use std::time::Instant;

use mio::net::TcpStream;

use super::log::Log;
use super::outbox::Outbox;
use super::ratelimit::TokenBucket;
use super::timers::Due;
use crate::line::{Line, LineReader};
use crate::protocol::Mode;

/// Bytes read from a socket at a time. Small, because every idle client holds one buffer.
const READ_SIZE: usize = 2048;

/// Reads one attempt at a line may make before the connection has to wait for its next turn.
const READS_PER_LINE: usize = 16;

pub struct Conn {
    /// Unique for the host's lifetime (slots are reused; ids are not).
    pub id: u64,
    pub lines: LineReader<TcpStream>,
    pub outbox: Outbox,
    /// The dialect answers go out in: fixed once joined, a best guess before.
    pub mode: Mode,
    /// Set once the client has joined the room.
    pub nick: Option<String>,
    /// Until when the client has to join (`None` once joined).
    pub deadline: Option<Instant>,
    /// Flood control; `None` when the room has no rate limit.
    pub bucket: Option<TokenBucket>,
    /// The client was told to slow down during the current flood.
    pub warned: bool,
    /// Reading is suspended until then (flood control).
    pub paused_until: Option<Instant>,
    /// Position in the room's member list, for constant-time removal.
    pub member_index: usize,
    /// Queued in the loop's list of connections with output to flush.
    pub dirty: bool,
    /// Close once everything owed has been written.
    pub closing: bool,
    /// Registered for writability: the socket was full with output still queued.
    pub waits_for_space: bool,
}

/// What reading one line produced.
pub enum Input {
    Line(Line),
    /// Nothing more to read until the socket is readable again.
    Drained,
    /// More may be waiting, but this connection has had its share of this turn.
    Yield,
    /// The client closed its side.
    Eof,
    /// The connection failed.
    Broken,
}

impl Conn {
    pub fn new(id: u64, stream: TcpStream, max_line: usize, deadline: Instant) -> Self {
        Conn {
            id,
            lines: LineReader::new(stream, max_line, READ_SIZE).with_read_budget(READS_PER_LINE),
            outbox: Outbox::default(),
            mode: Mode::Plain,
            nick: None,
            deadline: Some(deadline),
            bucket: None,
            warned: false,
            paused_until: None,
            member_index: 0,
            dirty: false,
            closing: false,
            waits_for_space: false,
        }
    }

    pub fn due(&self, slot: usize) -> Due {
        Due { slot, id: self.id }
    }

    pub fn stream(&self) -> &TcpStream {
        self.lines.get_ref()
    }

    pub fn read_line(&mut self) -> Input {
        loop {
            return match self.lines.next_line() {
                Ok(Some(line)) => Input::Line(line),
                Ok(None) => Input::Eof,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => Input::Drained,
                Err(e) if crate::line::is_budget_spent(&e) => Input::Yield,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => Input::Broken,
            };
        }
    }

    /// Writes what it can of what it is owed; `Ok(true)` when nothing is left.
    pub fn flush(&mut self, log: &Log) -> io::Result<bool> {
        let mut stream = self.lines.get_ref();
        self.outbox.flush(log, &mut stream)
    }
}
