//! The event loop: one thread that accepts, reads, runs the room and writes, for every client.
//!
//! # Why one thread
//! Fan-out is the host's whole job, and it is bound by syscalls, not by computation: every
//! message has to be written to every member. One thread that sees all sockets can gather a whole
//! turn's messages into one vectored write per client, needs no locks and no thread per client
//! (an idle client costs a few kilobytes, not two stacks), and never context-switches on the hot
//! path. A client cannot stall it: sockets are non-blocking, a client too far behind is let go,
//! and each connection gets at most `LINES_PER_TURN` lines (and a bounded number of reads towards
//! one line) per pass before the others get theirs.
//!
//! # One turn
//! 1. wait for readiness, a deadline, or the stop [`Waker`];
//! 2. accept new connections; read and handle lines from readable ones (pacing flooders), in
//!    passes over whoever has more, until the turn has `LINES_PER_FLUSH` lines or runs dry;
//! 3. fire due deadlines (handshake timeouts, the end of a flooder's pause);
//! 4. flush every client that is owed something (after a broadcast, every member: see `log.rs`),
//!    let go of whoever is too far behind, trim the log, and close what was marked to close.

use std::io::{self, Write};
use std::net::TcpListener as StdListener;
use std::sync::Arc;
use std::time::{Duration, Instant};

use mio::net::TcpListener;
use mio::{Events, Interest, Poll, Token, Waker};

use super::conn::{Conn, Input};
use super::room::{Room, dialect};
use super::shutdown::{FLUSH_GRACE, Stopper};
use super::timers::{Due, Timers};
use crate::line::Line;
use crate::protocol::parse::{self, Handshake, Refusal};
use crate::protocol::wire::LeaveReason;
use crate::protocol::{ErrorCode, Event, Mode, plain};

const LISTENER: Token = Token(usize::MAX - 1);
const WAKER: Token = Token(usize::MAX - 2);

/// Lines handled per connection per pass, so one busy client cannot starve the rest.
const LINES_PER_TURN: usize = 64;

/// Lines a turn handles, over every connection, before it flushes (when there are that many to
/// read): connections with more input get further passes of `LINES_PER_TURN` each. A flush costs
/// about one write per member whatever it carries, so with one busy sender, 64 lines a flush
/// meant a write per member per 64 messages; 256 cut the host's CPU per delivery in a blast by
/// about a fifth, and a turn still handles them in tens of microseconds.
const LINES_PER_FLUSH: usize = 256;

/// How long to wait before accepting again after the OS refused (out of file descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// The timer entry that retries accepting (no connection has this slot).
const ACCEPT_RETRY: Due = Due {
    slot: usize::MAX,
    id: 0,
};

/// Everything the loop needs besides the room.
pub struct LoopConfig {
    pub max_line: usize,
    pub handshake_timeout: Duration,
    /// Open connections (members and handshakes together) beyond which new ones are turned away,
    /// so sockets that never join cannot pile up without bound.
    pub max_connections: usize,
}

/// The loop's own state besides the room.
pub struct EventLoop {
    poll: Poll,
    listener: Option<TcpListener>,
    config: LoopConfig,
    room: Room,
    timers: Timers,
    stopper: Stopper,
    next_id: u64,
    /// Connections that still had lines to handle when their turn's budget ran out.
    again: Vec<usize>,
    /// Set once stopping: the time by which the last flushes must be done.
    closing_by: Option<Instant>,
}

impl EventLoop {
    pub fn new(
        listener: StdListener,
        config: LoopConfig,
        room: Room,
    ) -> io::Result<(Self, Stopper)> {
        listener.set_nonblocking(true)?;
        let mut listener = TcpListener::from_std(listener);
        let poll = Poll::new()?;
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        let stopper = Stopper::new(Waker::new(poll.registry(), WAKER)?);
        let event_loop = EventLoop {
            poll,
            listener: Some(listener),
            config,
            room,
            timers: Timers::default(),
            stopper: stopper.clone(),
            next_id: 0,
            again: Vec::new(),
            closing_by: None,
        };
        Ok((event_loop, stopper))
    }

    /// Runs until stopped and every connection is closed (or the flush grace runs out).
    pub fn run(mut self) {
        let mut events = Events::with_capacity(1024);
        loop {
            let now = Instant::now();
            let mut sleep = self.timers.sleep_for(now);
            if let Some(due) = self.room.presence_due() {
                let left = due.saturating_duration_since(now);
                sleep = Some(sleep.map_or(left, |s| s.min(left)));
            }
            if !self.again.is_empty() {
                sleep = Some(Duration::ZERO);
            }
            if let Some(by) = self.closing_by {
                let left = by.saturating_duration_since(now);
                sleep = Some(sleep.map_or(left, |s| s.min(left)));
            }
            if let Err(e) = self.poll.poll(&mut events, sleep)
                && e.kind() != io::ErrorKind::Interrupted
            {
                eprintln!("chatroom: the event loop failed: {e}");
                return;
            }
            let mut handled = 0;
            for event in &events {
                match event.token() {
                    LISTENER => self.accept(),
                    WAKER => {}
                    Token(slot) => {
                        if event.is_writable() {
                            self.mark_dirty(slot);
                        }
                        if event.is_readable() || event.is_read_closed() || event.is_error() {
                            handled += self.handle_input(slot);
                        }
                    }
                }
            }
            if self.stopper.is_stopped() && self.closing_by.is_none() {
                self.begin_shutdown();
            }
            // Further passes over whoever has more to say, until the turn has enough to flush or
            // a pass handles no line (reads towards an endless line count as none). The first
            // pass always runs: it is also how input left over from the last turn gets its turn.
            while !self.again.is_empty() {
                let before = handled;
                for slot in std::mem::take(&mut self.again) {
                    handled += self.handle_input(slot);
                }
                if handled == before || handled >= LINES_PER_FLUSH {
                    break;
                }
            }
            self.fire_timers();
            if self
                .room
                .presence_due()
                .is_some_and(|due| due <= Instant::now())
            {
                self.room.announce_presence();
            }
            self.flush_dirty();
            if let Some(by) = self.closing_by
                && (self.room.conns.is_empty() || Instant::now() >= by)
            {
                return;
            }
        }
    }

    fn mark_dirty(&mut self, slot: usize) {
        if let Some(conn) = self.room.conns.get_mut(slot)
            && !conn.dirty
        {
            conn.dirty = true;
            self.room.dirty.push(slot);
        }
    }

    fn accept(&mut self) {
        let Some(listener) = &self.listener else {
            return;
        };
        loop {
            let stream = match listener.accept() {
                Ok((stream, _)) => stream,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    // Out of file descriptors or similar: no new edge will come for the
                    // connections still queued, so try again shortly.
                    eprintln!(
                        "chatroom: cannot accept a connection: {}",
                        crate::error::describe_io(&e)
                    );
                    self.timers
                        .add(Instant::now() + ACCEPT_BACKOFF, ACCEPT_RETRY);
                    return;
                }
            };
            if self.room.conns.len() >= self.config.max_connections {
                turn_away(&stream);
                continue;
            }
            let _ = stream.set_nodelay(true);
            self.next_id += 1;
            let deadline = Instant::now() + self.config.handshake_timeout;
            let entry = self.room.conns.vacant_entry();
            let slot = entry.key();
            let mut conn = Conn::new(self.next_id, stream, self.config.max_line, deadline);
            let registered = self.poll.registry().register(
                conn.lines.get_mut(),
                Token(slot),
                Interest::READABLE,
            );
            if registered.is_err() {
                continue;
            }
            let due = conn.due(slot);
            entry.insert(conn);
            self.timers.add(deadline, due);
            let greeting = plain::greeting(&self.room.settings.room).into_bytes();
            self.room.send_raw(slot, Arc::from(greeting));
        }
    }

    /// Reads and handles the lines a connection has sent, within its budget and its pace, and
    /// returns how many it handled.
    fn handle_input(&mut self, slot: usize) -> usize {
        for handled in 0..LINES_PER_TURN {
            let Some(conn) = self.room.conns.get_mut(slot) else {
                return handled;
            };
            if conn.closing {
                return handled;
            }
            if let Some(until) = conn.paused_until {
                if Instant::now() < until {
                    return handled; // The timer set with the pause comes back for the rest.
                }
                conn.paused_until = None;
            }
            match conn.read_line() {
                Input::Line(line) => self.handle_line(slot, line),
                Input::Drained => return handled,
                Input::Yield => {
                    self.again.push(slot);
                    return handled;
                }
                Input::Eof | Input::Broken => {
                    self.room.remove(slot, LeaveReason::Disconnected);
                    self.room.settle();
                    return handled;
                }
            }
        }
        self.again.push(slot);
        LINES_PER_TURN
    }

    fn handle_line(&mut self, slot: usize, line: Line) {
        if matches!(&line, Line::Text(text) if text.trim().is_empty()) {
            return;
        }
        if self.room.conns[slot].nick.is_some() {
            if !self.pace(slot) {
                // No token: put the line back by handling it when the pause ends.
                self.room.conns[slot].lines.unread(line);
                return;
            }
            self.handle_request(slot, line);
        } else {
            self.handle_handshake(slot, line);
        }
    }

    /// Takes a token for the member's next line; false (and a pause) when there is none.
    fn pace(&mut self, slot: usize) -> bool {
        let now = Instant::now();
        let rate = self.room.settings.limits.rate;
        let conn = &mut self.room.conns[slot];
        let Some(bucket) = &mut conn.bucket else {
            return true;
        };
        if conn.warned && bucket.is_full(now) {
            conn.warned = false; // The flood is over; warn again if another one starts.
        }
        let Err(wait) = bucket.try_take(now) else {
            return true;
        };
        conn.paused_until = Some(now + wait);
        let due = conn.due(slot);
        let warn = !std::mem::replace(&mut conn.warned, true);
        self.timers.add(now + wait, due);
        if warn {
            let refusal = Refusal::new(
                ErrorCode::SlowDown,
                format!("slow down (limit {rate} msg/s)"),
            );
            self.room.refuse(slot, refusal);
        }
        false
    }

    fn handle_request(&mut self, slot: usize, line: Line) {
        let mode = self.room.conns[slot].mode;
        let parsed = match line {
            Line::TooLong => Err(too_long(self.config.max_line)),
            Line::Text(text) => match mode {
                Mode::Plain => parse::parse_plain(&text).map(|request| (None, request)),
                Mode::Json => parse::parse_json(&text).map(|i| (i.id, Some(i.request))),
            },
        };
        match parsed {
            Ok((_, None)) => {}
            Ok((id, Some(request))) => self.room.request(slot, id, request),
            Err(refusal) => self.room.refuse(slot, refusal),
        }
    }

    fn handle_handshake(&mut self, slot: usize, line: Line) {
        let attempt = match line {
            Line::Text(text) => {
                if text.trim_start().starts_with('{') {
                    self.room.conns[slot].mode = Mode::Json;
                }
                parse::parse_handshake(&text)
            }
            Line::TooLong => Err(too_long(self.config.max_line)),
        };
        let refusal = match attempt {
            Ok(Handshake::Blank) => return,
            Ok(Handshake::Quit) => return self.room.close_after_flush(slot),
            Ok(Handshake::Hello { mode, nick }) => {
                self.room.conns[slot].mode = mode;
                match self.room.join(slot, nick, mode) {
                    Ok(()) => {
                        self.room.settle();
                        return;
                    }
                    Err(refusal) => refusal,
                }
            }
            Err(refusal) => refusal,
        };
        let last_try = matches!(
            refusal.code,
            ErrorCode::RoomFull | ErrorCode::UnsupportedVersion
        );
        let hint = if self.room.conns[slot].mode == Mode::Plain && refusal.code.is_nick_problem() {
            "; type another nickname"
        } else {
            ""
        };
        self.room.refuse(
            slot,
            Refusal::new(refusal.code, format!("{}{hint}", refusal.message)),
        );
        if last_try {
            self.room.close_after_flush(slot);
        }
    }

    fn fire_timers(&mut self) {
        let now = Instant::now();
        while let Some(due) = self.timers.pop_due(now) {
            if due == ACCEPT_RETRY {
                self.accept();
                continue;
            }
            let Some(conn) = self.room.conns.get(due.slot) else {
                continue;
            };
            if conn.id != due.id || conn.closing {
                continue; // The slot has been reused, or the connection is on its way out.
            }
            if conn.deadline.is_some_and(|d| d <= now) {
                let error = Event::Error {
                    code: ErrorCode::HandshakeTimeout,
                    message: format!(
                        "no nickname received within {} s; closing",
                        self.config.handshake_timeout.as_secs()
                    ),
                    id: None,
                };
                self.room.send(due.slot, &error);
                self.room.close_after_flush(due.slot);
            } else if conn.paused_until.is_some_and(|p| p <= now) {
                self.handle_input(due.slot);
            }
        }
    }

    /// Writes every outbox that got something this turn; closes what is done.
    fn flush_dirty(&mut self) {
        loop {
            // A leave announced while flushing (someone let go) owes everyone output again.
            self.room.mark_members_if_log_advanced();
            let Some(slot) = self.room.dirty.pop() else {
                break;
            };
            let Some(conn) = self.room.conns.get_mut(slot) else {
                continue;
            };
            conn.dirty = false;
            let flushed = conn.flush(&self.room.logs[dialect(conn.mode)]);
            // A client that was behind has caught up: the log may now forget what it held for it.
            let caught_up = conn.waits_for_space && matches!(flushed, Ok(true));
            if let Ok(done) = flushed
                && done == conn.waits_for_space
            {
                // Ask to hear about free buffer space only while something is waiting for it:
                // with the interest always on, every ACK from every client would wake the loop.
                conn.waits_for_space = !done;
                let interest = if done {
                    Interest::READABLE
                } else {
                    Interest::READABLE | Interest::WRITABLE
                };
                let _ =
                    self.poll
                        .registry()
                        .reregister(conn.lines.get_mut(), Token(slot), interest);
            }
            if caught_up {
                self.room.request_trim();
            }
            match flushed {
                Ok(true) if self.room.conns[slot].closing => self.close(slot),
                Ok(true) => {}
                Ok(false) => self.room.enforce_backlog(slot),
                Err(_) => {
                    // The peer is gone; its outbox cannot be delivered.
                    self.room.remove(slot, LeaveReason::Disconnected);
                    self.room.settle();
                    self.close(slot);
                }
            }
        }
        self.room.trim_logs();
    }

    fn close(&mut self, slot: usize) {
        if self.room.conns.contains(slot) {
            let mut conn = self.room.conns.remove(slot);
            self.room.request_trim();
            let _ = conn.lines.get_ref().shutdown(std::net::Shutdown::Write);
            let _ = self.poll.registry().deregister(conn.lines.get_mut());
        }
    }

    fn begin_shutdown(&mut self) {
        if let Some(mut listener) = self.listener.take() {
            let _ = self.poll.registry().deregister(&mut listener);
        }
        self.room.shutdown();
        self.closing_by = Some(Instant::now() + FLUSH_GRACE);
    }
}

fn too_long(max_line: usize) -> Refusal {
    Refusal::new(
        ErrorCode::LineTooLong,
        format!("line is longer than {max_line} bytes; it was discarded"),
    )
}

/// One best-effort line to a connection we will not serve, then it is dropped.
fn turn_away(mut stream: &mio::net::TcpStream) {
    let _ = stream.write(b"error: too many connections; try again later\n");
}
