//! The load itself: one event loop that holds every client connection.
//!
//! A thread per connection cannot reach 10,000 clients in one process, and would spend the
//! bench's CPU on context switches instead of on reading. So one thread drives every socket
//! through `mio` (epoll/kqueue, non-blocking sockets): it opens connections in batches, does each
//! client's handshake, reads and checks every line, and also writes for the senders, which keeps
//! the bench on one core (pin it away from the host with `taskset`).
//!
//! A run has three phases. **Connect**: at most `connect_batch` connections are opening or
//! waiting for their welcome at a time; the phase ends when the room has welcomed every client.
//! **Settle**: the bench reads until the room has been quiet for a moment, so the join notices of
//! a big room are not counted against the messages (nor is the history the room replays to each
//! newcomer: see `inbound.rs`). **Messages**: the senders send (see `senders.rs`) and every
//! reading client records what arrives in the [`DeliveryTally`] and the [`RoomOrder`]; the phase
//! ends when every expected delivery has arrived, or when nothing has moved for `idle_timeout`,
//! in which case what is missing is reported as lost. The clients may be spread over several
//! hosts of one room (`--servers`): each connects to its [`Endpoint`].

use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mio::net::TcpStream;
use mio::{Events, Interest, Poll, Token};

use super::accepted::AcceptedLines;
use super::inbound::{self, Inbound};
use super::newlines::newlines;
use super::order::RoomOrder;
use super::payload::{Payload, Stamp};
use super::senders::{self, Schedule};
use super::servers::host_of;
use super::tally::{Delivery, DeliveryTally};
use super::wire::{TlsClients, Wire};
use crate::cli::BenchMode;
use crate::error::{Error, ExitStatus, Result, describe_io};
use crate::protocol::wire::ClientRequest;

/// Bytes asked of the kernel per `read`.
const READ_CHUNK: usize = 64 * 1024;

/// Bytes read from one connection before the loop moves on to the others (and comes back).
const READ_BUDGET: usize = 1024 * 1024;

/// Bytes of messages a blasting sender prepares per write.
const SEND_CHUNK: usize = 64 * 1024;

/// Writes a blasting sender makes per turn of the loop before the readers get theirs.
const SEND_CHUNKS_PER_TURN: usize = 4;

/// The longest the loop sleeps, so Ctrl-C and deadlines are noticed.
const TICK: Duration = Duration::from_millis(100);

/// The settle phase ends after this long without a byte arriving...
const SETTLE_QUIET: Duration = Duration::from_millis(200);

/// ... or after this long in any case.
const SETTLE_MAX: Duration = Duration::from_secs(30);

/// One host the clients connect to.
#[derive(Debug, Clone)]
pub struct Endpoint {
    pub addr: SocketAddr,
    /// `--tls`: every client speaks TLS, checking this host's certificate as this says.
    pub tls: Option<TlsClients>,
}

/// Everything a run needs to know, validated.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The hosts of the room (one, or several sharing it through Redis): client `i` connects to
    /// `hosts[i % hosts.len()]` (see `servers.rs`).
    pub hosts: Vec<Endpoint>,
    pub mode: BenchMode,
    pub clients: usize,
    /// The first `senders` clients send.
    pub senders: usize,
    /// The last `stalled` clients stop reading once they have joined.
    pub stalled: usize,
    pub messages: u64,
    pub payload: Payload,
    pub rate: Option<f64>,
    /// Messages all senders together may be ahead of the slowest reader; 0: no window.
    pub window: u64,
    pub connect_batch: usize,
    pub connect_timeout: Duration,
    pub idle_timeout: Duration,
}

impl Plan {
    /// How far one sender may be ahead of the slowest reader: its share of the window.
    fn sender_window(&self) -> u64 {
        match self.window {
            0 => 0,
            w => (w / self.senders as u64).max(1),
        }
    }

    /// Clients that read every message (everyone but the stalled ones).
    pub fn readers(&self) -> usize {
        self.clients - self.stalled
    }

    /// Deliveries a complete run makes: each message reaches every reader but its sender.
    pub fn expected(&self) -> u64 {
        self.senders as u64 * self.messages * (self.readers() as u64 - 1)
    }

    /// The host client `client` connects to.
    pub fn endpoint(&self, client: usize) -> &Endpoint {
        &self.hosts[host_of(client, self.hosts.len())]
    }

    /// Deliveries reader `client` should get.
    pub fn expected_by(&self, client: usize) -> u64 {
        let from = self.senders - usize::from(client < self.senders);
        from as u64 * self.messages
    }
}

/// Points in a run where the caller may look at the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Milestone {
    /// Everyone is in and the room is quiet; the messages start next.
    Joined,
    /// The messages are over; the connections are still open.
    Done,
}

/// Why the message phase ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// Every expected delivery arrived.
    Complete,
    /// Nothing moved for `idle_timeout`.
    Idle,
    /// Everything the clients still connected could get arrived, but some were disconnected.
    Disconnected,
    /// Ctrl-C.
    Interrupted,
}

/// What a run measured.
pub struct LoadOutcome {
    /// From the first connect to the last welcome.
    pub connect: Duration,
    /// Waiting for the room to go quiet after the joins.
    pub settle: Duration,
    pub tally: DeliveryTally,
    /// Whether every reader saw one order of all the messages.
    pub order: RoomOrder,
    /// Deliveries each client got.
    pub delivered_by: Vec<u64>,
    /// Messages written.
    pub sent: u64,
    /// Since the run's epoch, in ns: first and last message written, last delivery.
    pub first_send_ns: Option<u64>,
    pub last_send_ns: Option<u64>,
    pub last_delivery_ns: Option<u64>,
    pub ended: Ended,
    /// Lines that fit no shape of the protocol, and messages whose text was damaged.
    pub corrupt: u64,
    /// Messages from nicknames that are not the bench's (someone else is in the room).
    pub foreign: u64,
    /// `slow down` errors: the host paced the senders.
    pub slow_down: u64,
    /// Other errors the host sent after the handshake, and the first of them.
    pub host_errors: u64,
    pub first_host_error: Option<String>,
    /// Reading clients whose connection ended during the messages.
    pub closed: u64,
    /// The host announced it is shutting down.
    pub host_quit: bool,
    /// How far the paced sends fell behind their schedule at worst.
    pub pacing_lag: Duration,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Not opened yet.
    Waiting,
    /// TCP connect in progress.
    Connecting,
    /// Hello sent, no welcome yet.
    Joining,
    /// In the room and reading.
    Reading,
    /// In the room, never read from again.
    Stalled,
    /// Gone.
    Closed,
}

struct Client {
    stream: Option<Wire>,
    state: State,
    /// The start of a line whose end has not arrived yet.
    carry: Vec<u8>,
    /// Bytes to write (the hello, then a sender's messages); `out[written..]` are still unsent.
    out: Vec<u8>,
    written: usize,
}

/// A sending client's progress.
struct SendingClient {
    /// Its next sequence number.
    next_seq: u64,
    /// The highest sequence number every reader had at the last look (for the window).
    floor: u64,
}

struct Load<'a> {
    plan: &'a Plan,
    interrupted: &'a AtomicBool,
    epoch: Instant,
    poll: Poll,
    clients: Vec<Client>,
    senders: Vec<SendingClient>,
    schedule: Schedule,
    /// The shared read buffer: connections keep only their unfinished line.
    buf: Vec<u8>,
    tally: DeliveryTally,
    order: RoomOrder,
    /// The senders' nicknames, by client number - 1: a message is checked against the nickname
    /// its text says sent it, which is cheaper than reading the number out of every nickname.
    sender_nicks: Vec<String>,
    /// Message lines already accepted: the other readers' copies are compared, not read again.
    accepted_lines: AcceptedLines,
    /// Connections that stopped reading to let others have a turn: read again without waiting.
    again: Vec<usize>,
    received_bytes: u64,
    // Connect phase.
    in_flight: usize,
    welcomed: usize,
    failed: usize,
    first_failure: Option<String>,
    /// Members that left during the connect phase (the host let them go).
    lost_members: usize,
    // Message phase.
    running: bool,
    /// Deliveries still possible: `expected`, less what closed readers will never get.
    reachable: u64,
    delivered_by: Vec<u64>,
    sent: u64,
    next_paced: u64,
    first_send_ns: Option<u64>,
    last_send_ns: Option<u64>,
    last_delivery_ns: Option<u64>,
    corrupt: u64,
    foreign: u64,
    slow_down: u64,
    host_errors: u64,
    first_host_error: Option<String>,
    closed: u64,
    host_quit: bool,
    pacing_lag: Duration,
    /// A paced sender is waiting for the window, not for the clock.
    window_blocked: bool,
}

/// Whether a short read from `client` means its socket is drained (see [`Wire::short_read_drains`]).
fn stream_drains(client: &Client) -> bool {
    client.stream.as_ref().is_none_or(Wire::short_read_drains)
}

/// Runs the three phases against `plan.hosts`; `milestone` is called between them.
pub fn run(
    plan: &Plan,
    epoch: Instant,
    interrupted: &AtomicBool,
    milestone: &mut dyn FnMut(Milestone),
) -> Result<LoadOutcome> {
    let poll = Poll::new()
        .map_err(|e| Error::failure(format!("cannot start the event loop: {}", describe_io(&e))))?;
    let mut load = Load {
        plan,
        interrupted,
        epoch,
        poll,
        clients: (0..plan.clients)
            .map(|_| Client {
                stream: None,
                state: State::Waiting,
                carry: Vec::new(),
                out: Vec::new(),
                written: 0,
            })
            .collect(),
        senders: (0..plan.senders)
            .map(|_| SendingClient {
                next_seq: 1,
                floor: 0,
            })
            .collect(),
        schedule: Schedule::new(plan.senders, plan.messages, plan.rate),
        buf: vec![0; READ_CHUNK],
        tally: DeliveryTally::new(plan.clients, plan.senders, plan.messages, plan.hosts.len()),
        order: RoomOrder::new(plan.clients, plan.senders, plan.messages),
        sender_nicks: (1..=plan.senders as u32).map(inbound::nick).collect(),
        accepted_lines: AcceptedLines::new(plan.mode, &plan.payload),
        again: Vec::new(),
        received_bytes: 0,
        in_flight: 0,
        welcomed: 0,
        failed: 0,
        first_failure: None,
        lost_members: 0,
        running: false,
        reachable: plan.expected(),
        delivered_by: vec![0; plan.clients],
        sent: 0,
        next_paced: 0,
        first_send_ns: None,
        last_send_ns: None,
        last_delivery_ns: None,
        corrupt: 0,
        foreign: 0,
        slow_down: 0,
        host_errors: 0,
        first_host_error: None,
        closed: 0,
        host_quit: false,
        pacing_lag: Duration::ZERO,
        window_blocked: false,
    };
    let mut events = Events::with_capacity(1024);
    let connect = load.connect_all(&mut events)?;
    let settle = load.settle(&mut events)?;
    milestone(Milestone::Joined);
    let ended = load.send_and_receive(&mut events)?;
    milestone(Milestone::Done);
    load.order.finish();
    Ok(LoadOutcome {
        connect,
        settle,
        sent: load.sent,
        first_send_ns: load.first_send_ns,
        last_send_ns: load.last_send_ns,
        last_delivery_ns: load.last_delivery_ns,
        ended,
        corrupt: load.corrupt,
        foreign: load.foreign,
        slow_down: load.slow_down,
        host_errors: load.host_errors,
        first_host_error: load.first_host_error.take(),
        closed: load.closed,
        host_quit: load.host_quit,
        pacing_lag: load.pacing_lag,
        tally: load.tally,
        order: load.order,
        delivered_by: load.delivered_by,
    })
}

fn interrupted_error() -> Error {
    Error::new(ExitStatus::Interrupted, "interrupted")
}

impl Load<'_> {
    fn now_ns(&self) -> u64 {
        self.epoch.elapsed().as_nanos() as u64
    }

    /// Connect phase: every client connected and welcomed; how long that took.
    fn connect_all(&mut self, events: &mut Events) -> Result<Duration> {
        let start = Instant::now();
        let deadline = start + self.plan.connect_timeout;
        let mut next = 0;
        let mut last_welcome = start;
        loop {
            while next < self.plan.clients && self.in_flight < self.plan.connect_batch {
                self.open(next);
                next += 1;
            }
            if self.welcomed + self.failed == self.plan.clients {
                break;
            }
            if self.interrupted.load(Ordering::Relaxed) {
                return Err(interrupted_error());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(Error::new(
                    ExitStatus::CannotConnect,
                    format!(
                        "the room welcomed {} of {} clients within {} s ({} refused or failed{}); \
                         try a larger --connect-timeout or a smaller --connect-batch",
                        self.welcomed,
                        self.plan.clients,
                        self.plan.connect_timeout.as_secs(),
                        self.failed,
                        self.failure_detail()
                    ),
                ));
            }
            let welcomed = self.welcomed;
            self.turn(events, Some(TICK.min(deadline - now)))?;
            if self.welcomed > welcomed {
                last_welcome = Instant::now();
            }
        }
        if self.failed > 0 {
            return Err(Error::new(
                ExitStatus::CannotConnect,
                format!(
                    "{} of {} clients could not join{}",
                    self.failed,
                    self.plan.clients,
                    self.failure_detail()
                ),
            ));
        }
        if self.lost_members > 0 {
            return Err(Error::new(
                ExitStatus::ConnectionLost,
                format!(
                    "the host closed {} clients' connections while the others were joining",
                    self.lost_members
                ),
            ));
        }
        Ok(last_welcome - start)
    }

    fn failure_detail(&self) -> String {
        match &self.first_failure {
            Some(why) => format!("; the first: {why}"),
            None => String::new(),
        }
    }

    /// Opens connection `i` (non-blocking) and queues its hello.
    fn open(&mut self, i: usize) {
        let nick = inbound::nick(i as u32 + 1);
        let plan = self.plan;
        let host = plan.endpoint(i);
        let result = TcpStream::connect(host.addr).and_then(|mut socket| {
            self.poll.registry().register(
                &mut socket,
                Token(i),
                Interest::READABLE | Interest::WRITABLE,
            )?;
            Wire::new(socket, host.tls.as_ref())
        });
        let client = &mut self.clients[i];
        match result {
            Ok(stream) => {
                client.stream = Some(stream);
                client.state = State::Connecting;
                client.out = senders::hello(self.plan.mode, &nick);
                self.in_flight += 1;
            }
            Err(e) => {
                client.state = State::Closed;
                self.failed += 1;
                let addr = host.addr;
                self.first_failure.get_or_insert_with(|| {
                    format!("cannot connect to {addr}: {}", describe_io(&e))
                });
            }
        }
    }

    /// Settle phase: reads until no byte has arrived for a moment.
    fn settle(&mut self, events: &mut Events) -> Result<Duration> {
        let start = Instant::now();
        let mut quiet_since = start;
        let mut seen = self.received_bytes;
        while quiet_since.elapsed() < SETTLE_QUIET && start.elapsed() < SETTLE_MAX {
            if self.interrupted.load(Ordering::Relaxed) {
                return Err(interrupted_error());
            }
            self.turn(events, Some(SETTLE_QUIET / 4))?;
            if self.received_bytes != seen {
                seen = self.received_bytes;
                quiet_since = Instant::now();
            }
        }
        Ok(start.elapsed())
    }

    /// Message phase.
    fn send_and_receive(&mut self, events: &mut Events) -> Result<Ended> {
        self.running = true;
        let start = Instant::now();
        let idle = self.plan.idle_timeout;
        let mut progress = (self.tally.delivered, self.sent);
        let mut last_progress = Instant::now();
        loop {
            if self.interrupted.load(Ordering::Relaxed) {
                return Ok(Ended::Interrupted);
            }
            let now = Instant::now();
            self.pump(start, now);
            if self.sent == self.schedule.total() && self.tally.delivered >= self.reachable {
                return Ok(if self.tally.delivered >= self.plan.expected() {
                    Ended::Complete
                } else {
                    Ended::Disconnected
                });
            }
            if self.reachable == 0 {
                return Ok(Ended::Disconnected);
            }
            if (self.tally.delivered, self.sent) != progress {
                progress = (self.tally.delivered, self.sent);
                last_progress = now;
            } else if now - last_progress >= idle {
                return Ok(Ended::Idle);
            }
            let mut wait = TICK.min(idle.saturating_sub(now - last_progress));
            // A sender held back by the window waits for deliveries, which wake the loop anyway.
            if self.schedule.rate().is_some()
                && self.next_paced < self.schedule.total()
                && !self.window_blocked
            {
                let due = start + self.schedule.due_at(self.next_paced);
                wait = wait.min(due.saturating_duration_since(now));
            }
            self.turn(events, Some(wait))?;
        }
    }

    /// One turn of the loop: wait for readiness (or `timeout`), then serve every ready socket.
    fn turn(&mut self, events: &mut Events, timeout: Option<Duration>) -> Result<()> {
        let timeout = if self.again.is_empty() {
            timeout
        } else {
            Some(Duration::ZERO)
        };
        if let Err(e) = self.poll.poll(events, timeout)
            && e.kind() != io::ErrorKind::Interrupted
        {
            return Err(Error::failure(format!(
                "the event loop failed: {}",
                describe_io(&e)
            )));
        }
        let again = std::mem::take(&mut self.again);
        for i in again {
            self.read(i);
        }
        for event in events.iter() {
            let i = event.token().0;
            match self.clients[i].state {
                State::Connecting => self.finish_connect(i),
                State::Joining | State::Reading => {
                    if event.is_writable() {
                        self.flush(i);
                    }
                    if event.is_readable() || event.is_read_closed() || event.is_error() {
                        self.read(i);
                    }
                }
                State::Waiting | State::Stalled | State::Closed => {}
            }
        }
        Ok(())
    }

    /// A connecting socket became ready: find out whether it connected.
    fn finish_connect(&mut self, i: usize) {
        let Some(stream) = self.clients[i].stream.as_ref().map(Wire::socket) else {
            return;
        };
        let outcome = match stream.take_error() {
            Ok(Some(e)) | Err(e) => Err(e),
            Ok(None) => match stream.peer_addr() {
                Ok(_) => Ok(true),
                Err(e) if e.kind() == io::ErrorKind::NotConnected => Ok(false),
                Err(e) => Err(e),
            },
        };
        match outcome {
            Ok(true) => {
                let _ = stream.set_nodelay(true);
                self.clients[i].state = State::Joining;
                self.flush(i);
                // Data may have arrived with the connection (the greeting).
                self.read(i);
            }
            Ok(false) => {}
            Err(e) => {
                let addr = self.plan.endpoint(i).addr;
                self.fail(i, format!("cannot connect to {addr}: {}", describe_io(&e)))
            }
        }
    }

    /// A client that could not join: closed, counted, and the reason kept.
    fn fail(&mut self, i: usize, why: String) {
        self.drop_stream(i);
        self.clients[i].state = State::Closed;
        self.in_flight -= 1;
        self.failed += 1;
        self.first_failure.get_or_insert(why);
    }

    fn drop_stream(&mut self, i: usize) {
        if let Some(mut stream) = self.clients[i].stream.take() {
            let _ = self.poll.registry().deregister(stream.socket_mut());
        }
        self.clients[i].carry = Vec::new();
        self.clients[i].out = Vec::new();
        self.clients[i].written = 0;
    }

    /// The connection of a joined client ended.
    fn lost(&mut self, i: usize) {
        self.drop_stream(i);
        self.clients[i].state = State::Closed;
        if self.running {
            self.closed += 1;
            let missing =
                self.plan.expected_by(i) - self.delivered_by[i].min(self.plan.expected_by(i));
            self.reachable = self.reachable.saturating_sub(missing);
        } else {
            self.lost_members += 1;
        }
    }

    /// Writes what client `i` has queued, as far as the socket takes it.
    fn flush(&mut self, i: usize) {
        let client = &mut self.clients[i];
        let Some(stream) = client.stream.as_mut() else {
            return;
        };
        // Inside TLS, records rustls could not hand the socket last time go first. (An error
        // here, as below, is left to the read side, which sees the connection end.)
        if !matches!(stream.push(), Ok(true)) {
            return;
        }
        while client.written < client.out.len() {
            match stream.write(&client.out[client.written..]) {
                Ok(0) => break,
                Ok(n) => client.written += n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => {
                    // The read side sees the end of the connection and handles it.
                    client.out.clear();
                    client.written = 0;
                    return;
                }
            }
        }
        client.out.clear();
        client.written = 0;
    }

    /// Has client `i` written everything it queued?
    fn flushed(&self, i: usize) -> bool {
        self.clients[i].written >= self.clients[i].out.len()
    }

    /// Reads what client `i` has received, line by line, up to its fair share of the turn.
    fn read(&mut self, i: usize) {
        let mut buf = std::mem::take(&mut self.buf);
        let mut budget = READ_BUDGET;
        loop {
            let client = &mut self.clients[i];
            if !matches!(client.state, State::Joining | State::Reading) {
                break;
            }
            let Some(stream) = client.stream.as_mut() else {
                break;
            };
            let carried = client.carry.len();
            if buf.len() < carried + READ_CHUNK {
                buf.resize(carried + READ_CHUNK, 0);
            }
            buf[..carried].copy_from_slice(&client.carry);
            let n = match stream.read(&mut buf[carried..carried + READ_CHUNK]) {
                Ok(0) => {
                    self.end_of_stream(i);
                    break;
                }
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                // TLS records that held no data used this turn's reads: more may be waiting.
                Err(e) if crate::line::is_budget_spent(&e) => {
                    self.again.push(i);
                    break;
                }
                Err(e) => {
                    self.connection_error(i, &e);
                    break;
                }
            };
            self.received_bytes += n as u64;
            let now_ns = self.now_ns();
            let data = &buf[..carried + n];
            let mut start = 0;
            for end in newlines(data) {
                let mut line = &data[start..end];
                if let Some(stripped) = line.strip_suffix(b"\r") {
                    line = stripped;
                }
                self.line(i, line, now_ns);
                start = end + 1;
            }
            let client = &mut self.clients[i];
            client.carry.clear();
            if matches!(client.state, State::Joining | State::Reading) {
                client.carry.extend_from_slice(&data[start..]);
            }
            if client.state == State::Stalled {
                client.carry = Vec::new();
                if let Some(stream) = client.stream.as_mut() {
                    // Kept open and never read: the host sees a client that stopped reading.
                    let _ = self.poll.registry().deregister(stream.socket_mut());
                }
                break;
            }
            budget = budget.saturating_sub(n);
            if budget == 0 {
                self.again.push(i);
                break;
            }
            // A short read on Linux means the socket was drained: epoll reports the next data
            // as a new edge, so the usual extra read that only returns WouldBlock can be skipped.
            // In a big room, where each join notice arrives on its own, that halves the reads.
            if cfg!(target_os = "linux") && n < READ_CHUNK && stream_drains(&self.clients[i]) {
                break;
            }
        }
        self.buf = buf;
    }

    fn end_of_stream(&mut self, i: usize) {
        match self.clients[i].state {
            State::Joining => self.fail(
                i,
                "the host closed the connection before welcoming it".into(),
            ),
            _ => self.lost(i),
        }
    }

    fn connection_error(&mut self, i: usize, e: &io::Error) {
        match self.clients[i].state {
            State::Joining => self.fail(i, format!("connection failed: {}", describe_io(e))),
            _ => self.lost(i),
        }
    }

    /// One line received by client `i` at `now_ns`.
    fn line(&mut self, i: usize, line: &[u8], now_ns: u64) {
        let mode = self.plan.mode;
        match self.clients[i].state {
            State::Joining => match inbound::classify(mode, line) {
                Inbound::Welcome => {
                    self.in_flight -= 1;
                    self.welcomed += 1;
                    self.clients[i].state = if i >= self.plan.readers() {
                        State::Stalled
                    } else {
                        State::Reading
                    };
                }
                Inbound::Error(why) => self.fail(i, format!("the room said: {why}")),
                Inbound::Quit => self.fail(i, "the host is shutting down".into()),
                _ => {}
            },
            State::Reading => match self.accepted_lines.get(line) {
                Some(stamp) => self.delivery(i, stamp, now_ns),
                None => self.reading_line(i, line, now_ns),
            },
            State::Waiting | State::Connecting | State::Stalled | State::Closed => {}
        }
    }

    /// A line for a client in the room that is not a copy of a line already accepted.
    fn reading_line(&mut self, i: usize, line: &[u8], now_ns: u64) {
        let mode = self.plan.mode;
        match inbound::classify(mode, line) {
            // The room's history, an earlier run's in a room that outlives runs: not this run's.
            Inbound::Replayed => {}
            // Neither is a bench client's message before the senders start, should a host replay
            // history unmarked. Anyone else's still counts as someone else in the room.
            Inbound::Message { from, .. }
                if !self.running && inbound::bench_client(from).is_some() => {}
            Inbound::Message { from, text } => match self.plan.payload.check(&text) {
                Ok(stamp) if self.sent_by(stamp.sender, from) => {
                    self.accepted_lines.accept(line, stamp);
                    self.delivery(i, stamp, now_ns)
                }
                _ if inbound::bench_client(from).is_none() => self.foreign += 1,
                _ => self.corrupt += 1,
            },
            Inbound::SlowDown => self.slow_down += 1,
            Inbound::Error(why) => {
                self.host_errors += 1;
                self.first_host_error.get_or_insert(why);
            }
            Inbound::Quit => self.host_quit = true,
            // Receivers never send: without an answer, a long JSON run would lose them.
            Inbound::Ping => {
                self.clients[i]
                    .out
                    .extend_from_slice(ClientRequest::Pong.to_json_line().as_bytes());
                self.flush(i);
            }
            Inbound::Unreadable => self.corrupt += 1,
            Inbound::Welcome | Inbound::Other => {}
        }
    }

    /// Whether `nick` is the nickname of sending client number `sender`.
    fn sent_by(&self, sender: u32, nick: &[u8]) -> bool {
        (sender as usize)
            .checked_sub(1)
            .and_then(|i| self.sender_nicks.get(i))
            .is_some_and(|expected| expected.as_bytes() == nick)
    }

    fn delivery(&mut self, i: usize, stamp: Stamp, now_ns: u64) {
        match self.tally.record(i, stamp, now_ns) {
            Delivery::InOrder | Delivery::Reordered => {
                self.delivered_by[i] += 1;
                self.last_delivery_ns = Some(now_ns);
                self.order.record(i, stamp.sender as usize - 1, stamp.seq);
            }
            Delivery::Duplicate | Delivery::Unexpected => {}
        }
    }

    /// The highest sequence number from `sender` that every reading client has.
    fn floor(&self, sender: usize) -> u64 {
        (0..self.plan.readers())
            .filter(|&r| r != sender && self.clients[r].state == State::Reading)
            .map(|r| self.tally.last_seq(r, sender))
            .min()
            .unwrap_or(self.plan.messages)
    }

    /// May `sender` send `seq` now? Looks at the readers again only when the last look said no.
    fn window_allows(&mut self, sender: usize, seq: u64) -> bool {
        let window = self.plan.sender_window();
        if senders::window_allows(seq, self.senders[sender].floor, window) {
            return true;
        }
        self.senders[sender].floor = self.floor(sender);
        senders::window_allows(seq, self.senders[sender].floor, window)
    }

    /// Gives the senders their turn.
    fn pump(&mut self, start: Instant, now: Instant) {
        if self.schedule.rate().is_some() {
            self.pump_paced(start, now);
        } else {
            for sender in 0..self.plan.senders {
                self.pump_blast(sender);
            }
        }
    }

    /// Paced: writes every message that is due, in schedule order.
    fn pump_paced(&mut self, start: Instant, now: Instant) {
        self.window_blocked = false;
        let due = self.schedule.due(now - start);
        let mut touched = false;
        while self.next_paced < due {
            let (sender, seq) = self.schedule.owner(self.next_paced);
            if self.clients[sender].state != State::Reading {
                self.next_paced += 1; // A sender that is gone sends nothing more.
                continue;
            }
            if !self.window_allows(sender, seq) {
                self.window_blocked = true;
                break;
            }
            let late = (now - start).saturating_sub(self.schedule.due_at(self.next_paced));
            self.pacing_lag = self.pacing_lag.max(late);
            let sent_ns = self.now_ns();
            let stamp = Stamp {
                sender: sender as u32 + 1,
                seq,
                sent_ns,
            };
            senders::frame(
                self.plan.mode,
                &self.plan.payload,
                stamp,
                &mut self.clients[sender].out,
            );
            self.senders[sender].next_seq = seq + 1;
            self.note_sent(1, sent_ns);
            self.next_paced += 1;
            touched = true;
        }
        if touched {
            for sender in 0..self.plan.senders {
                if !self.flushed(sender) {
                    self.flush(sender);
                }
            }
        }
    }

    /// Blast: writes as much as the socket and the window take, a few chunks per turn.
    fn pump_blast(&mut self, sender: usize) {
        let per_chunk = (SEND_CHUNK / (self.plan.payload.size() + 1)).max(1) as u64;
        for _ in 0..SEND_CHUNKS_PER_TURN {
            if self.clients[sender].state != State::Reading || !self.flushed(sender) {
                return;
            }
            let first = self.senders[sender].next_seq;
            if first > self.plan.messages || !self.window_allows(sender, first) {
                return;
            }
            let mut last = (first + per_chunk - 1).min(self.plan.messages);
            if self.plan.window > 0 {
                last = last.min(self.senders[sender].floor + self.plan.sender_window());
            }
            let sent_ns = self.now_ns();
            let out = &mut self.clients[sender].out;
            for seq in first..=last {
                let stamp = Stamp {
                    sender: sender as u32 + 1,
                    seq,
                    sent_ns,
                };
                senders::frame(self.plan.mode, &self.plan.payload, stamp, out);
            }
            self.senders[sender].next_seq = last + 1;
            self.note_sent(last - first + 1, sent_ns);
            self.flush(sender);
        }
    }

    fn note_sent(&mut self, count: u64, sent_ns: u64) {
        self.sent += count;
        self.first_send_ns.get_or_insert(sent_ns);
        self.last_send_ns = Some(sent_ns);
    }
}
