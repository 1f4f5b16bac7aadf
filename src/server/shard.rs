//! A shard: one thread, its own mio `Poll`, and the connections the acceptor gave it.
//!
//! A shard owns its sockets and does everything per connection: it reads lines, paces flooders,
//! turns lines into requests (by the session rules, `session.rs`), reports them to the room, and
//! writes each member its share of the room's broadcasts plus its own frames. It never decides
//! anything about the room: the room's answers come back as [`Dispatch`]es, which the shard
//! applies to its log and its connections' outboxes.
//!
//! # Why shards
//! Fan-out is bound by syscalls: every message is one write to every member. One thread that sees
//! a set of sockets can gather a turn's messages into one vectored write per member, needs no
//! locks, and never context-switches on the hot path; several such threads split the members
//! between them, so a broadcast to 10,000 people is written by every core at once. A client
//! cannot stall its shard: sockets are non-blocking, a client too far behind is let go, and each
//! connection gets at most `LINES_PER_TURN` lines (and a bounded number of reads towards one line)
//! per pass before the others get theirs.
//!
//! # One turn
//! 1. wait for readiness, a deadline, or the [`Waker`] (the room or the acceptor posted mail);
//! 2. read and interpret lines from readable connections (pacing flooders), in passes over
//!    whoever has more, until the turn has `LINES_PER_FLUSH` lines or runs dry (on a `--tls`
//!    host a new connection's first byte says first whether it speaks TLS: `transport.rs`);
//! 3. fire due deadlines (handshake timeouts, the end of a flooder's pause, pinging a silent JSON
//!    member or letting it go: see `liveness.rs`);
//! 4. send the turn's reports to the room in one batch;
//! 5. take the mail: new connections, and the room's dispatches (append the broadcast to the log,
//!    carry out the orders);
//! 6. flush every connection owed something (after a broadcast, every member: see `log.rs`), let
//!    go of whoever is too far behind, trim the log, and close what was marked to close; report
//!    the connections lost meanwhile.

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TryRecvError};
use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token, Waker};
use slab::Slab;

use super::addresses::{AddressKey, AddressNews};
use super::budget::QueueBudget;
use super::conn::{Conn, ConnRef, Pace, ReadOutcome};
use super::fanout::{Dispatch, Order, OrderKind, Rendered, ShardMail, dialect};
use super::gate::Key;
use super::liveness::Verdict;
use super::log::Frame;
use super::log::Log;
use super::report::{Newcomer, ShardReport};
use super::session::{self, Step};
use super::shutdown::FLUSH_GRACE;
use super::timers::{Due, Timers};
use super::transport::{Sniffed, Transport};
use crate::line::Line;
use crate::protocol::wire::{LeaveReason, Limits};
use crate::protocol::{Mode, plain};

/// The token of a shard's [`Waker`].
const WAKER: Token = Token(usize::MAX - 1);

/// Lines handled per connection per pass, so one busy client cannot starve the rest.
const LINES_PER_TURN: usize = 64;

/// Lines a turn handles, over every connection, before it flushes (when there are that many to
/// read): connections with more input get further passes of `LINES_PER_TURN` each. A flush costs
/// about one write per member whatever it carries, so with one busy sender, 64 lines a flush
/// meant a write per member per 64 messages; 256 cut the host's CPU per delivery in a blast by
/// about a fifth, and a turn still handles them in tens of microseconds.
const LINES_PER_FLUSH: usize = 256;

/// How often a closing connection that waits for its client's acknowledgement looks again.
const LINGER_CHECK: Duration = Duration::from_millis(10);

/// How long a connection to a TLS host may stay silent before it is told how to connect (and
/// closed). A TLS client sends its first bytes (its ClientHello) the moment it has connected;
/// silence means a plain client waiting for a greeting that cannot come: `nc`, or `chatroom join`
/// without `--tls`. Seconds, not the whole handshake timeout, so they hear it while they wait.
const SNIFF_GRACE: Duration = Duration::from_secs(3);

/// What every shard needs to know about the room's rules.
pub(crate) struct ShardRules {
    /// The room's name.
    pub(crate) name: String,
    /// How many members the room has (the room updates it): a new connection is told when the
    /// room is full.
    pub(crate) headcount: Arc<AtomicUsize>,
    /// The plain-mode greeting every new connection gets while the room has space.
    pub(crate) greeting: Frame,
    /// The room has a password: new connections owe it before their nickname.
    pub(crate) locked: bool,
    /// What a plain-mode user reads once its password is accepted.
    pub(crate) unlocked: Frame,
    pub(crate) limits: Limits,
    pub(crate) handshake_timeout: Duration,
    /// Messages a member may fall behind before it is let go.
    pub(crate) outbox: usize,
    /// Silence after which a client's machine is checked (`--keepalive`), and a JSON member
    /// is pinged (see `liveness.rs`).
    pub(crate) keepalive: Option<Duration>,
    /// The `ping` event a silent JSON member is sent, rendered once.
    pub(crate) ping: Frame,
    /// The host-wide budget for bytes queued for single clients (`--max-queued`).
    pub(crate) budget: QueueBudget,
    /// With `--tls`: the configuration every connection's TLS shares. Connections are then
    /// undecided until their first byte says whether they speak TLS.
    pub(crate) tls: Option<Arc<rustls::ServerConfig>>,
}

/// A shard's channels: its mailbox, where it reports to the room, and what it tells the acceptor
/// about the connections it closes (the count of open connections, shared, and each address's).
pub(crate) struct ShardWiring {
    pub(crate) mail: Receiver<ShardMail>,
    pub(crate) reports: Sender<Vec<ShardReport>>,
    pub(crate) open: Arc<AtomicUsize>,
    /// To the acceptor: when a connection from an address joins or closes.
    pub(crate) addresses: Sender<AddressNews>,
}

pub(crate) struct Shard {
    index: usize,
    poll: Poll,
    /// The shard's own hold on its waker. Those who post mail hold it too, but may let go right
    /// after their last wake (the room does as it closes): were that the last hold, the waker's
    /// file would close, and epoll forgets the events of a closed file, the wake-up among them.
    _waker: Arc<Waker>,
    rules: Arc<ShardRules>,
    wiring: ShardWiring,
    conns: Slab<Conn>,
    /// The broadcast logs, one per dialect (see [`dialect`]).
    logs: [Log; 2],
    timers: Timers,
    /// This turn's reports for the room.
    reports: Vec<ShardReport>,
    /// Slots owed a flush at the end of this turn.
    owed: Vec<usize>,
    /// Connections that still had lines to handle when their turn's budget ran out.
    again: Vec<usize>,
    /// Something was appended to the logs since the last flush: every member may be owed output.
    log_advanced: bool,
    /// The logs may hold what nobody needs any more (they grew, or a cursor moved or went away).
    trim_due: bool,
    /// Set once the room is closing: the time by which the last flushes must be done.
    closing_by: Option<Instant>,
    /// When this turn began (its poll returned): when its readable connections were heard from.
    now: Instant,
}

impl Shard {
    /// A shard with its poll and the waker others use to get its attention.
    pub(crate) fn new(
        index: usize,
        rules: Arc<ShardRules>,
        wiring: ShardWiring,
    ) -> io::Result<(Self, Arc<Waker>)> {
        let poll = Poll::new()?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let shard = Shard {
            index,
            poll,
            _waker: Arc::clone(&waker),
            rules,
            wiring,
            conns: Slab::new(),
            logs: [Log::default(), Log::default()],
            timers: Timers::default(),
            reports: Vec::new(),
            owed: Vec::new(),
            again: Vec::new(),
            log_advanced: false,
            trim_due: false,
            closing_by: None,
            now: Instant::now(),
        };
        Ok((shard, waker))
    }

    /// Runs until the room has closed and every connection is closed (or the grace runs out).
    pub(crate) fn run(mut self) {
        let mut events = Events::with_capacity(1024);
        loop {
            if let Err(e) = self.poll.poll(&mut events, self.sleep_for())
                && e.kind() != io::ErrorKind::Interrupted
            {
                // Nothing can be served without a poll; close what can be closed.
                self.begin_closing();
                self.closing_by = Some(Instant::now());
            }
            self.now = Instant::now();
            let mut handled = 0;
            for event in &events {
                let Token(slot) = event.token();
                if event.token() == WAKER {
                    continue;
                }
                if event.is_writable() {
                    self.owe(slot);
                }
                if event.is_readable()
                    && let Some(conn) = self.conns.get_mut(slot)
                {
                    conn.hear(self.now);
                }
                if event.is_readable() || event.is_read_closed() || event.is_error() {
                    handled += self.handle_input(slot);
                }
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
            self.send_reports();
            self.take_mail();
            self.flush_owed();
            // Connections lost while flushing are news for the room too.
            self.send_reports();
            if let Some(by) = self.closing_by
                && (self.conns.is_empty() || Instant::now() >= by)
            {
                return;
            }
        }
    }

    /// How long the next poll may wait.
    fn sleep_for(&self) -> Option<Duration> {
        let now = Instant::now();
        let mut sleep = self.timers.sleep_for(now);
        if !self.again.is_empty() {
            sleep = Some(Duration::ZERO);
        }
        if let Some(by) = self.closing_by {
            let left = by.saturating_duration_since(now);
            sleep = Some(sleep.map_or(left, |s| s.min(left)));
        }
        sleep
    }

    /// The connection `conn` names, if it is still open (slots are reused; serials are not).
    fn conn_mut(&mut self, conn: ConnRef) -> Option<&mut Conn> {
        self.conns
            .get_mut(conn.slot())
            .filter(|c| c.serial() == conn.serial())
    }

    fn conn_ref(&self, slot: usize) -> ConnRef {
        ConnRef::new(self.index, slot, self.conns[slot].serial())
    }

    /// Queues a connection for a flush at the end of this turn (once, however often it is owed).
    fn owe(&mut self, slot: usize) {
        if let Some(conn) = self.conns.get_mut(slot)
            && conn.owe()
        {
            self.owed.push(slot);
        }
    }

    /// Queues a frame for one connection, after everything already in its log.
    fn push_frame(&mut self, slot: usize, frame: Frame) {
        let conn = &mut self.conns[slot];
        conn.push(self.logs[dialect(conn.mode())].end(), frame);
        self.owe(slot);
    }

    /// Reads and handles the lines a connection has sent, within its budget and its pace, and
    /// returns how many it handled.
    fn handle_input(&mut self, slot: usize) -> usize {
        if self.conns.get(slot).is_some_and(Conn::is_undecided) && !self.decide(slot) {
            return 0;
        }
        let handled = self.read_lines(slot);
        // Reading TLS can leave output behind: the handshake's last records, when the socket
        // was full, or plaintext that waited for the handshake to end.
        if let Some(conn) = self.conns.get_mut(slot)
            && conn.wants_flush()
        {
            self.owe(slot);
        }
        handled
    }

    /// A TLS host's new connection: its first byte decides whether it speaks TLS (then it is
    /// greeted, inside TLS) or is a plain client (then it hears how to connect, and is closed).
    /// True when it may be read now.
    fn decide(&mut self, slot: usize) -> bool {
        let Some(tls) = &self.rules.tls else {
            return true;
        };
        match self.conns[slot].sniff(tls) {
            Sniffed::Waiting => false,
            Sniffed::Tls => {
                self.greet(slot);
                true
            }
            Sniffed::Plain => {
                self.tell_how_to_connect(slot);
                false
            }
            Sniffed::Gone => {
                self.drop_conn(slot, LeaveReason::Disconnected);
                false
            }
        }
    }

    /// Tells a client that spoke (or said nothing) in plain text to a TLS host how to connect,
    /// in one line, and closes it.
    fn tell_how_to_connect(&mut self, slot: usize) {
        let conn = &mut self.conns[slot];
        conn.refuse_tls();
        conn.close_after_flush();
        let (host, port) = match conn.local_addr() {
            Some(SocketAddr::V6(v6)) => (format!("[{}]", v6.ip()), v6.port()),
            Some(SocketAddr::V4(v4)) => (v4.ip().to_string(), v4.port()),
            None => ("HOST".to_string(), 0),
        };
        let line = crate::tls::sniff::plain_client_line(&host, port);
        self.push_frame(slot, Arc::from(line.into_bytes()));
    }

    /// The lines of [`Shard::handle_input`].
    fn read_lines(&mut self, slot: usize) -> usize {
        for handled in 0..LINES_PER_TURN {
            let Some(conn) = self.conns.get_mut(slot) else {
                return handled;
            };
            if conn.is_closing() || conn.is_joining() {
                return handled; // The room's answer to a join resumes reading.
            }
            if conn.paused_until(Instant::now()).is_some() {
                return handled; // The timer set with the pause comes back for the rest.
            }
            match conn.read_line() {
                ReadOutcome::Line(line) => self.handle_line(slot, line),
                ReadOutcome::Drained => return handled,
                ReadOutcome::Yield => {
                    self.again.push(slot);
                    return handled;
                }
                ReadOutcome::Eof | ReadOutcome::Broken => {
                    self.drop_conn(slot, LeaveReason::Disconnected);
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
        let max_line = self.rules.limits.max_line;
        let conn = &mut self.conns[slot];
        // Every line is paced, nickname attempts included.
        if let Pace::Wait { until, warn } = conn.pace(Instant::now()) {
            // No token: hand the line back and read it again when the pause ends.
            conn.unread(line);
            let due = Due {
                slot,
                id: conn.serial(),
            };
            self.timers.add(until, due);
            if warn {
                self.warn_slow_down(slot);
            }
            return;
        }
        if !conn.is_member() {
            let interpret = if conn.is_locked() {
                session::password_line
            } else {
                session::first_line
            };
            let (mode, step) = interpret(line, conn.mode(), max_line);
            conn.guess_mode(mode);
            return self.take_first_step(slot, step);
        }
        let step = session::member_line(line, conn.mode(), max_line);
        let conn_ref = self.conn_ref(slot);
        match step {
            Step::Ask { id, request, key } => self.reports.push(ShardReport::Asked {
                conn: conn_ref,
                id,
                request,
                key,
            }),
            Step::Refuse { refusal, .. } => self.reports.push(ShardReport::Refused {
                conn: conn_ref,
                refusal,
            }),
            Step::Nothing | Step::Hello { .. } | Step::Unlock(_) | Step::Leave => {}
        }
    }

    /// Tells a client it is being paced: a member through the room, in order with its replies;
    /// anyone else directly (the room does not know it yet).
    fn warn_slow_down(&mut self, slot: usize) {
        let refusal = session::slow_down(self.rules.limits.rate);
        if self.conns[slot].is_member() {
            let conn = self.conn_ref(slot);
            self.reports.push(ShardReport::Refused { conn, refusal });
        } else {
            let mode = self.conns[slot].mode();
            let frame = Rendered::new(&session::error_event(refusal))
                .get(mode)
                .clone();
            self.push_frame(slot, frame);
        }
    }

    /// Carries out what a line from a connection that has not joined asks for.
    fn take_first_step(&mut self, slot: usize, step: Step) {
        match step {
            Step::Nothing | Step::Ask { .. } => {}
            Step::Leave => {
                self.conns[slot].close_after_flush();
                self.owe(slot);
            }
            Step::Hello {
                mode,
                nick,
                announce,
                password,
                replay,
            } => {
                // Only the digest goes on to the room: the password stays here, and is dropped.
                let key = match (self.conns[slot].is_locked(), password) {
                    (false, _) => Key::Proven,
                    (true, None) => Key::Missing,
                    (true, Some(password)) => Key::Given(password.digest()),
                };
                self.conns[slot].begin_join(mode);
                let conn = self.conn_ref(slot);
                let peer = self.conns[slot].peer();
                let stalled = self.conns[slot].stalled_flag();
                self.reports.push(ShardReport::Hello(Newcomer {
                    conn,
                    mode,
                    nick,
                    announce,
                    peer,
                    key,
                    stalled,
                    replay,
                }));
            }
            Step::Unlock(attempt) => {
                self.conns[slot].begin_unlock();
                let conn = self.conn_ref(slot);
                let peer = self.conns[slot].peer();
                let attempt = attempt.digest();
                let mode = self.conns[slot].mode();
                self.reports.push(ShardReport::Unlock {
                    conn,
                    mode,
                    attempt,
                    peer,
                });
            }
            Step::Refuse { refusal, close } => {
                let mode = self.conns[slot].mode();
                let frame = Rendered::new(&session::error_event(refusal))
                    .get(mode)
                    .clone();
                self.push_frame(slot, frame);
                if close {
                    self.conns[slot].close_after_flush();
                }
            }
        }
    }

    fn fire_timers(&mut self) {
        let now = Instant::now();
        while let Some(due) = self.timers.pop_due(now) {
            let Some(conn) = self.conns.get_mut(due.slot) else {
                continue;
            };
            if conn.serial() != due.id {
                continue; // The slot has been reused.
            }
            if conn.is_closing() {
                if conn.is_lingering() {
                    self.finish(due.slot);
                }
                continue;
            }
            if conn.is_joining() {
                continue; // Its deadline is set again if the room refuses the nickname.
            }
            if conn.is_undecided() {
                // Its deadline is the handshake timeout after it connected.
                let timeout = self.rules.handshake_timeout;
                let connected = conn.deadline().map_or(now, |d| d - timeout);
                if now >= connected + SNIFF_GRACE.min(timeout) {
                    self.tell_how_to_connect(due.slot);
                }
                continue;
            }
            if let Some(every) = self.rules.keepalive {
                match conn.check_liveness(now, every) {
                    Verdict::NotDue => {}
                    Verdict::Later(when) => {
                        self.timers.add(when, due);
                        continue;
                    }
                    Verdict::Ping(when) => {
                        self.timers.add(when, due);
                        let ping = self.rules.ping.clone();
                        self.push_frame(due.slot, ping);
                        continue;
                    }
                    Verdict::Lost => {
                        self.drop_conn(due.slot, LeaveReason::PingTimeout);
                        continue;
                    }
                }
            }
            if conn.deadline().is_some_and(|d| d <= now) {
                let seconds = self.rules.handshake_timeout.as_secs();
                let error = session::handshake_timeout(seconds, conn.is_locked());
                let frame = Rendered::new(&error).get(conn.mode()).clone();
                conn.close_after_flush();
                self.push_frame(due.slot, frame);
            } else if conn.paused_until(now).is_none() {
                self.handle_input(due.slot);
            }
        }
    }

    fn send_reports(&mut self) {
        if !self.reports.is_empty() {
            // Waits only when the room is far behind; fails only when it has closed.
            let _ = self.wiring.reports.send(std::mem::take(&mut self.reports));
        }
    }

    fn take_mail(&mut self) {
        loop {
            match self.wiring.mail.try_recv() {
                Ok(ShardMail::Accepted {
                    stream,
                    serial,
                    peer,
                }) => self.adopt(stream, serial, peer),
                Ok(ShardMail::Dispatch(dispatch)) => self.apply(dispatch),
                Err(TryRecvError::Empty) => return,
                Err(TryRecvError::Disconnected) => {
                    // The room and the acceptor are gone without a word: close up.
                    if self.closing_by.is_none() {
                        self.begin_closing();
                    }
                    return;
                }
            }
        }
    }

    /// Takes a new connection from the acceptor and greets it.
    fn adopt(&mut self, stream: TcpStream, serial: u64, peer: SocketAddr) {
        let address = AddressKey::of(peer.ip());
        if self.closing_by.is_some() {
            self.forget(address, false);
            return;
        }
        let _ = stream.set_nodelay(true);
        if let Some(idle) = self.rules.keepalive {
            keep_alive(&stream, idle);
        }
        let deadline = Instant::now() + self.rules.handshake_timeout;
        let entry = self.conns.vacant_entry();
        let slot = entry.key();
        let locked = self.rules.locked;
        let budget = self.rules.budget.clone();
        let transport = match self.rules.tls {
            Some(_) => Transport::undecided(stream),
            None => Transport::plain(stream),
        };
        let mut conn = Conn::new(
            serial,
            peer,
            transport,
            &self.rules.limits,
            deadline,
            locked,
            budget,
        );
        let registered =
            self.poll
                .registry()
                .register(conn.stream_mut(), Token(slot), Interest::READABLE);
        if registered.is_err() {
            self.forget(address, false);
            return;
        }
        entry.insert(conn);
        self.timers.add(deadline, Due { slot, id: serial });
        // A TLS connection is greeted once its handshake has begun (see `decide`), or told how to
        // connect if it stays silent.
        if self.rules.tls.is_none() {
            self.greet(slot);
        } else {
            let silence = Instant::now() + SNIFF_GRACE;
            self.timers
                .add(silence.min(deadline), Due { slot, id: serial });
        }
    }

    /// A connection the room sent back to choosing (a refused nickname, an accepted password)
    /// has its handshake deadline again; what it sent meanwhile is read now. Its deadline's
    /// entry is still in the timers unless it came due while the room was deciding (and was
    /// dropped then): only that needs a new one, or every answer would add an entry.
    fn rearm_deadline(&mut self, slot: usize, now: Instant) {
        let Some(conn) = self.conns.get(slot) else {
            return;
        };
        let deadline = conn.deadline().unwrap_or(now);
        if deadline <= now {
            let id = conn.serial();
            self.timers.add(deadline, Due { slot, id });
        }
        self.again.push(slot);
    }

    /// Queues the greeting: the room's, or the news that it is full.
    fn greet(&mut self, slot: usize) {
        let (here, max) = (
            self.rules.headcount.load(Ordering::Relaxed),
            self.rules.limits.max_clients,
        );
        let greeting = if here >= max {
            Arc::from(plain::greeting_when_full(&self.rules.name, here, max).into_bytes())
        } else {
            self.rules.greeting.clone()
        };
        self.push_frame(slot, greeting);
    }

    /// Applies a room turn: its broadcast goes into the logs, its orders to their connections,
    /// each at its place among the broadcast's messages.
    fn apply(&mut self, dispatch: Dispatch) {
        let now = Instant::now();
        let mut at = [self.logs[0].end(), self.logs[1].end()];
        let mut orders = dispatch.orders.into_iter().peekable();
        if let Some(broadcast) = &dispatch.broadcast {
            for (d, log) in self.logs.iter_mut().enumerate() {
                if !broadcast.bytes[d].is_empty() {
                    log.append(
                        &broadcast.bytes[d],
                        broadcast.items.iter().map(|item| item.lengths[d]),
                    );
                }
            }
            self.log_advanced = true;
            self.trim_due = true;
            for (i, item) in broadcast.items.iter().enumerate() {
                while let Some(order) = orders.next_if(|o| o.after <= i) {
                    self.carry_out(order, at, now);
                }
                // Senders are not echoed: the sender's own copy is stepped over.
                if let Some(sender) = item.sender.filter(|s| s.shard() == self.index)
                    && let Some(conn) = self.conn_mut(sender)
                {
                    let d = dialect(conn.mode());
                    if item.lengths[d] > 0 {
                        conn.skip(at[d], item.lengths[d]);
                    }
                }
                at[0] += item.lengths[0];
                at[1] += item.lengths[1];
            }
        }
        for order in orders {
            self.carry_out(order, at, now);
        }
        if dispatch.closing {
            self.begin_closing();
        }
    }

    /// Carries out one order; `at` is the end of each log at the order's place in the turn.
    fn carry_out(&mut self, order: Order, at: [u64; 2], now: Instant) {
        let slot = order.conn.slot();
        let Some(conn) = self
            .conns
            .get_mut(slot)
            .filter(|c| c.serial() == order.conn.serial())
        else {
            return; // Gone while the room was deciding.
        };
        let at = at[dialect(conn.mode())];
        match order.kind {
            OrderKind::Frame(frame) => conn.push(at, frame),
            OrderKind::Shared(frame) => conn.push_shared(at, frame),
            OrderKind::Admit { welcome } => {
                if conn.admit(at, welcome) {
                    let _ = self
                        .wiring
                        .addresses
                        .send(AddressNews::Joined(conn.address()));
                    // JSON members can answer a ping; nc users cannot (TCP keepalive covers them).
                    if let Some(every) = self.rules.keepalive
                        && conn.mode() == Mode::Json
                    {
                        let when = conn.watch_liveness(now, every);
                        let id = conn.serial();
                        self.timers.add(when, Due { slot, id });
                    }
                }
                self.again.push(slot); // What it sent meanwhile is waiting.
            }
            OrderKind::Turned { frame, close } => {
                conn.push(at, frame);
                if close {
                    conn.close_after_flush();
                } else {
                    conn.turn_back();
                    self.rearm_deadline(slot, now);
                }
            }
            OrderKind::Unlocked => {
                conn.unlock();
                conn.push(at, self.rules.unlocked.clone());
                self.rearm_deadline(slot, now);
            }
            OrderKind::Release => {
                conn.release(at);
                self.trim_due = true;
            }
        }
        self.owe(slot);
    }

    /// The room is closing: every connection closes once it has what it is owed (the room's last
    /// broadcast, `<quit>` or `quit`), within [`FLUSH_GRACE`].
    fn begin_closing(&mut self) {
        self.closing_by = Some(Instant::now() + FLUSH_GRACE);
        let slots: Vec<usize> = self.conns.iter().map(|(slot, _)| slot).collect();
        for slot in slots {
            self.conns[slot].close_after_flush();
            self.owe(slot);
        }
    }

    /// Writes every connection owed something; closes what is done.
    fn flush_owed(&mut self) {
        if std::mem::take(&mut self.log_advanced) {
            // A broadcast owes every member output (marked in place: no list built per turn).
            for (slot, conn) in self.conns.iter_mut() {
                if conn.cursor().is_some() && conn.owe() {
                    self.owed.push(slot);
                }
            }
        }
        while let Some(slot) = self.owed.pop() {
            let Some(conn) = self.conns.get_mut(slot) else {
                continue;
            };
            conn.settle();
            let log = &self.logs[dialect(conn.mode())];
            let flushed = conn.flush(log);
            if let Ok(done) = flushed
                && conn.set_waiting_for_space(!done)
            {
                // Ask to hear about free buffer space only while something is waiting for it:
                // with the interest always on, every ACK from every client would wake the shard.
                let interest = if done {
                    // A client that was behind has caught up: the log may forget what it held.
                    self.trim_due = true;
                    Interest::READABLE
                } else {
                    Interest::READABLE | Interest::WRITABLE
                };
                let _ = self
                    .poll
                    .registry()
                    .reregister(conn.stream_mut(), Token(slot), interest);
            }
            match flushed {
                Ok(true) if conn.is_closing() => self.finish(slot),
                Ok(true) => {}
                Ok(false) => {
                    if conn.is_too_far_behind(log, self.rules.outbox) {
                        conn.shutdown(std::net::Shutdown::Both);
                        self.drop_conn(slot, LeaveReason::SendqExceeded);
                    }
                }
                // The peer is gone; its outbox cannot be delivered.
                Err(_) => self.drop_conn(slot, LeaveReason::Disconnected),
            }
        }
        self.trim_logs();
    }

    /// Members (and leavers still being flushed) have taken everything before their cursors: the
    /// logs can forget it. Walking every connection is only worth it when something changed.
    fn trim_logs(&mut self) {
        if !std::mem::take(&mut self.trim_due) {
            return;
        }
        let mut oldest = [self.logs[0].end(), self.logs[1].end()];
        for (_, conn) in &self.conns {
            if let Some(cursor) = conn.cursor() {
                let d = dialect(conn.mode());
                oldest[d] = oldest[d].min(cursor);
            }
        }
        for (log, oldest) in self.logs.iter_mut().zip(oldest) {
            log.trim(oldest);
        }
    }

    /// Closes a connection the shard lost, telling the room if it was in it or asking to be.
    fn drop_conn(&mut self, slot: usize, reason: LeaveReason) {
        let Some(conn) = self.conns.get(slot) else {
            return;
        };
        if conn.is_member() || conn.is_joining() {
            let conn = self.conn_ref(slot);
            self.reports.push(ShardReport::Gone { conn, reason });
        }
        self.close(slot);
    }

    /// Closes a connection that has been written everything it was owed, once it may be (a
    /// plain-mode client is given a moment to acknowledge the last bytes: see `Conn::may_close`).
    fn finish(&mut self, slot: usize) {
        let now = Instant::now();
        let conn = &mut self.conns[slot];
        if conn.may_close(now) {
            self.close(slot);
        } else {
            let due = Due {
                slot,
                id: conn.serial(),
            };
            self.timers.add(now + LINGER_CHECK, due);
        }
    }

    fn close(&mut self, slot: usize) {
        if !self.conns.contains(slot) {
            return;
        }
        let mut conn = self.conns.remove(slot);
        self.trim_due = true;
        let _ = self.poll.registry().deregister(conn.stream_mut());
        self.forget(conn.address(), conn.has_joined());
        conn.end();
        // Its deadlines are stale now; a storm of short connections must not pile them up.
        let conns = &self.conns;
        self.timers.forget_stale(|due| {
            conns
                .get(due.slot)
                .is_some_and(|conn| conn.serial() == due.id)
        });
    }

    /// Takes a closed connection off the counts the acceptor keeps: the host's, and its
    /// address's.
    fn forget(&self, address: AddressKey, joined: bool) {
        self.wiring.open.fetch_sub(1, Ordering::Relaxed);
        let _ = self.wiring.addresses.send(AddressNews::Closed {
            key: address,
            handshaking: !joined,
        });
    }
}

/// Has the kernel check that the client's machine is still there after `idle` of silence, then
/// every third of that, letting the connection go after 3 unanswered checks: a client whose
/// machine vanished (a laptop closed, a network gone) leaves a half-open connection that would
/// otherwise hold its nickname forever.
fn keep_alive(stream: &TcpStream, idle: Duration) {
    let checks = socket2::TcpKeepalive::new()
        .with_time(idle)
        .with_interval((idle / 3).max(Duration::from_secs(1)));
    #[cfg(not(any(windows, target_os = "openbsd", target_os = "haiku")))]
    let checks = checks.with_retries(3);
    let _ = socket2::SockRef::from(stream).set_tcp_keepalive(&checks);
}
