//! One client connection, as the shard that owns its socket sees it: the socket, what the client
//! sent that has not been handled, what it is owed, its pace, and where it is in its life.
//!
//! Only its shard touches a `Conn`; everyone else names it with a [`ConnRef`].

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use mio::net::TcpStream;

use super::addresses::AddressKey;
use super::budget::QueueBudget;
use super::liveness::{Liveness, Verdict};
use super::log::Frame;
use super::log::Log;
use super::outbox::Outbox;
use super::ratelimit::TokenBucket;
use super::transport::{Sniffed, Transport};
use crate::line::{Line, LineReader};
use crate::protocol::Mode;
use crate::protocol::wire::Limits;

/// Bytes read from a socket at a time. Small, because every idle client holds one buffer.
const READ_SIZE: usize = 2048;

/// Reads one attempt at a line may make before the connection has to wait for its next turn.
const READS_PER_LINE: usize = 16;

/// How long a finished plain-mode connection may wait for its client to acknowledge the last
/// bytes before it is closed anyway (see [`Conn::may_close`]).
const LINGER: std::time::Duration = std::time::Duration::from_secs(2);

/// How long a plain-mode client is given to read its last bytes before the reset that ends
/// `nc` (see [`Conn::may_close`]).
const READ_GRACE: std::time::Duration = std::time::Duration::from_millis(200);

/// A connection as the room and the timers name it: its shard, its slot there, and its serial
/// number, unique for the host's lifetime (slots are reused, serials are not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct ConnRef {
    shard: u32,
    slot: u32,
    serial: u64,
}

impl ConnRef {
    pub(crate) fn new(shard: usize, slot: usize, serial: u64) -> Self {
        ConnRef {
            shard: shard as u32,
            slot: slot as u32,
            serial,
        }
    }

    pub(crate) fn shard(self) -> usize {
        self.shard as usize
    }

    pub(crate) fn slot(self) -> usize {
        self.slot as usize
    }

    pub(crate) fn serial(self) -> u64 {
        self.serial
    }
}

/// Where a connection is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Connected without a nickname; it has until `deadline` to send one.
    Greeting { deadline: Instant },
    /// Asked the room to join. Its next lines wait until the room answers.
    Joining { deadline: Instant },
    /// In the room.
    Member,
    /// To be closed once everything owed is written; nothing more is read.
    Closing,
}

/// What reading one line produced.
pub(crate) enum ReadOutcome {
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

/// Whether a member may send its next line now.
pub(crate) enum Pace {
    Go,
    /// Not before `until`; `warn` the first time in a flood.
    Wait {
        until: Instant,
        warn: bool,
    },
}

/// A connection's flood control: its bucket, and whether it was told to slow down in this flood.
struct Pacing {
    bucket: TokenBucket,
    warned: bool,
    paused_until: Option<Instant>,
}

pub(crate) struct Conn {
    serial: u64,
    /// Where it comes from.
    peer: SocketAddr,
    /// It joined the room at some point (it is no longer counted as choosing a nickname).
    joined: bool,
    /// The room has a password this connection has not given yet: its plain lines are attempts
    /// at it (see `session::password_line`).
    locked: bool,
    lines: LineReader<Transport>,
    outbox: Outbox,
    /// The dialect answers go out in: fixed once joined, a best guess before.
    mode: Mode,
    phase: Phase,
    /// `None` before joining, or when the room has no rate limit.
    pacing: Option<Pacing>,
    /// Queued in the shard's list of connections to flush.
    owed: bool,
    /// Registered for writability: the socket was full with output still queued.
    waits_for_space: bool,
    /// The same, shared with the room, which refuses private messages to a member that is not
    /// reading once the host's queue budget is spent.
    stalled: Arc<AtomicBool>,
    /// When it was last heard from, and whether a ping waits for an answer (JSON members).
    liveness: Liveness,
    /// Everything is written and it is closing: when that was.
    lingers_since: Option<Instant>,
}

impl Conn {
    /// A new connection, paced by `limits` from its first line: nickname attempts count like
    /// chat, so retries cannot be sprayed at the host.
    pub(crate) fn new(
        serial: u64,
        peer: SocketAddr,
        transport: Transport,
        limits: &Limits,
        deadline: Instant,
        locked: bool,
        budget: QueueBudget,
    ) -> Self {
        let now = Instant::now();
        Conn {
            serial,
            peer,
            joined: false,
            locked,
            lines: LineReader::new(transport, limits.max_line, READ_SIZE)
                .with_read_budget(READS_PER_LINE),
            outbox: Outbox::new(budget),
            mode: Mode::Plain,
            phase: Phase::Greeting { deadline },
            pacing: (limits.rate > 0).then(|| Pacing {
                bucket: TokenBucket::new(limits.rate, limits.burst, now),
                warned: false,
                paused_until: None,
            }),
            owed: false,
            waits_for_space: false,
            stalled: Arc::new(AtomicBool::new(false)),
            liveness: Liveness::new(now),
            lingers_since: None,
        }
    }

    pub(crate) fn serial(&self) -> u64 {
        self.serial
    }

    pub(crate) fn peer(&self) -> SocketAddr {
        self.peer
    }

    /// Where it comes from, as the per-address limits count it.
    pub(crate) fn address(&self) -> AddressKey {
        AddressKey::of(self.peer.ip())
    }

    /// Whether it ever joined the room.
    pub(crate) fn has_joined(&self) -> bool {
        self.joined
    }

    pub(crate) fn mode(&self) -> Mode {
        self.mode
    }

    /// The dialect a client speaks is a guess until it joins: its first line decides.
    pub(crate) fn guess_mode(&mut self, mode: Mode) {
        self.mode = mode;
    }

    pub(crate) fn stream_mut(&mut self) -> &mut TcpStream {
        self.lines.get_mut().socket_mut()
    }

    /// A TLS host's connection whose first byte has not come yet.
    pub(crate) fn is_undecided(&self) -> bool {
        self.lines.get_ref().is_undecided()
    }

    /// Lets the first byte decide between TLS and a plain client (see `transport.rs`).
    pub(crate) fn sniff(&mut self, config: &std::sync::Arc<rustls::ServerConfig>) -> Sniffed {
        self.lines.get_mut().sniff(config)
    }

    /// An undecided connection is spoken to in plain text (to say how to connect).
    pub(crate) fn refuse_tls(&mut self) {
        self.lines.get_mut().refuse_tls();
    }

    /// True when reading left TLS output to write (see `Transport::wants_flush`).
    pub(crate) fn wants_flush(&mut self) -> bool {
        self.lines.get_mut().wants_flush()
    }

    /// The address the client connected to, as it would type it.
    pub(crate) fn local_addr(&self) -> Option<SocketAddr> {
        self.lines.get_ref().socket().local_addr().ok()
    }

    pub(crate) fn is_member(&self) -> bool {
        self.phase == Phase::Member
    }

    pub(crate) fn is_closing(&self) -> bool {
        self.phase == Phase::Closing
    }

    /// Waiting for the room's answer to its nickname: nothing is read meanwhile.
    pub(crate) fn is_joining(&self) -> bool {
        matches!(self.phase, Phase::Joining { .. })
    }

    /// Its handshake deadline, while it has one.
    pub(crate) fn deadline(&self) -> Option<Instant> {
        match self.phase {
            Phase::Greeting { deadline } | Phase::Joining { deadline } => Some(deadline),
            Phase::Member | Phase::Closing => None,
        }
    }

    /// Whether it still owes the room's password.
    pub(crate) fn is_locked(&self) -> bool {
        self.locked
    }

    /// It gave a password: nothing more is read until the room has checked it.
    pub(crate) fn begin_unlock(&mut self) {
        if let Phase::Greeting { deadline } = self.phase {
            self.phase = Phase::Joining { deadline };
        }
    }

    /// The room took its password: its next line is a nickname, within the same deadline.
    pub(crate) fn unlock(&mut self) {
        self.locked = false;
        self.turn_back();
    }

    /// It asked the room to join as `mode`.
    pub(crate) fn begin_join(&mut self, mode: Mode) {
        if let Phase::Greeting { deadline } = self.phase {
            self.mode = mode;
            self.phase = Phase::Joining { deadline };
        }
    }

    /// The room admitted it at `at` in its dialect's log; false if it is already on its way out.
    /// (Its pace goes on as it was: the lines it spent on nicknames count.)
    pub(crate) fn admit(&mut self, at: u64, welcome: Frame) -> bool {
        if self.phase == Phase::Closing {
            return false;
        }
        self.phase = Phase::Member;
        self.joined = true;
        self.outbox.follow(at);
        self.outbox.push(at, welcome);
        true
    }

    /// The room refused its nickname: it may try another.
    pub(crate) fn turn_back(&mut self) {
        if let Phase::Joining { deadline } = self.phase {
            self.phase = Phase::Greeting { deadline };
        }
    }

    /// It left the room at `at`: it still gets what came before, then it is closed.
    pub(crate) fn release(&mut self, at: u64) {
        self.outbox.stop_at(at);
        self.close_after_flush();
    }

    pub(crate) fn close_after_flush(&mut self) {
        self.phase = Phase::Closing;
    }

    /// Queues a frame for this connection after everything logged before `at`.
    pub(crate) fn push(&mut self, at: u64, frame: Frame) {
        self.outbox.push(at, frame);
    }

    /// Queues a frame other connections share (see `Outbox::push_shared`).
    pub(crate) fn push_shared(&mut self, at: u64, frame: Frame) {
        self.outbox.push_shared(at, frame);
    }

    /// Its own message is the log bytes `[at, at + len)`: not sent back to it.
    pub(crate) fn skip(&mut self, at: u64, len: u64) {
        self.outbox.skip(at, len);
    }

    /// Where it is in its dialect's log, if it follows it.
    pub(crate) fn cursor(&self) -> Option<u64> {
        self.outbox.cursor()
    }

    /// Marks it as owed a flush; true when it was not already.
    pub(crate) fn owe(&mut self) -> bool {
        !std::mem::replace(&mut self.owed, true)
    }

    /// Takes it off the list of connections owed a flush (its flush is starting).
    pub(crate) fn settle(&mut self) {
        self.owed = false;
    }

    /// When its reading is paused for flood control, until when.
    pub(crate) fn paused_until(&mut self, now: Instant) -> Option<Instant> {
        let pacing = self.pacing.as_mut()?;
        match pacing.paused_until {
            Some(until) if now < until => Some(until),
            _ => {
                pacing.paused_until = None;
                None
            }
        }
    }

    /// Takes a token for the member's next line, or pauses its reading until one is due.
    pub(crate) fn pace(&mut self, now: Instant) -> Pace {
        let Some(pacing) = &mut self.pacing else {
            return Pace::Go;
        };
        if pacing.warned && pacing.bucket.is_full(now) {
            pacing.warned = false; // The flood is over; warn again if another one starts.
        }
        match pacing.bucket.try_take(now) {
            Ok(()) => Pace::Go,
            Err(wait) => {
                let until = now + wait;
                pacing.paused_until = Some(until);
                Pace::Wait {
                    until,
                    warn: !std::mem::replace(&mut pacing.warned, true),
                }
            }
        }
    }

    pub(crate) fn read_line(&mut self) -> ReadOutcome {
        loop {
            return match self.lines.next_line() {
                Ok(Some(line)) => ReadOutcome::Line(line),
                Ok(None) => ReadOutcome::Eof,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => ReadOutcome::Drained,
                Err(e) if crate::line::is_budget_spent(&e) => ReadOutcome::Yield,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => ReadOutcome::Broken,
            };
        }
    }

    /// Hands a line back, to be read again when its pause is over.
    pub(crate) fn unread(&mut self, line: Line) {
        self.lines.unread(line);
    }

    /// Writes what it can of what it is owed; `Ok(true)` when nothing is left, TLS records
    /// still held by rustls included.
    pub(crate) fn flush(&mut self, log: &Log) -> io::Result<bool> {
        let transport = self.lines.get_mut();
        let done = self.outbox.flush(log, transport)?;
        Ok(done && transport.drain()?)
    }

    /// True when it has fallen more than `limit` messages behind in `log`, or holds more of its
    /// own replies than it may: it is let go rather than waited for.
    pub(crate) fn is_too_far_behind(&self, log: &Log, limit: usize) -> bool {
        self.outbox.backlog(log) > limit || self.outbox.holds_too_much()
    }

    /// Records whether the socket was left full with output queued; true when that changed,
    /// and the socket's registration must say so.
    pub(crate) fn set_waiting_for_space(&mut self, waiting: bool) -> bool {
        let changed = std::mem::replace(&mut self.waits_for_space, waiting) != waiting;
        if changed {
            self.stalled.store(waiting, Ordering::Relaxed);
        }
        changed
    }

    /// Whether it is not reading (its socket is full with output waiting), as the room sees it.
    pub(crate) fn stalled_flag(&self) -> Arc<AtomicBool> {
        Arc::clone(&self.stalled)
    }

    /// Bytes arrived from it in the turn that began at `now`.
    pub(crate) fn hear(&mut self, now: Instant) {
        self.liveness.hear(now);
    }

    /// Starts checking that it is there every `every`; returns when to look first.
    pub(crate) fn watch_liveness(&mut self, now: Instant, every: Duration) -> Instant {
        self.liveness.watch(now, every)
    }

    /// A timer came due at `now`: what that means for its liveness (see `liveness.rs`).
    pub(crate) fn check_liveness(&mut self, now: Instant, every: Duration) -> Verdict {
        self.liveness.check(now, every)
    }

    pub(crate) fn shutdown(&self, how: std::net::Shutdown) {
        let _ = self.lines.get_ref().socket().shutdown(how);
    }

    /// True once everything is written and it waits only for the client's acknowledgement.
    pub(crate) fn is_lingering(&self) -> bool {
        self.lingers_since.is_some()
    }

    /// Whether a connection that has been written everything may be closed now.
    ///
    /// `nc` (OpenBSD's, Debian's default) does not end when the host closes the connection: it
    /// keeps waiting for its user's next line, and only a reset tells it the connection is gone.
    /// So a plain-mode client is let go with a reset ([`Conn::end`]). A reset throws away what
    /// the client's kernel has not acknowledged, and `nc` stops reading once it sees one, so the
    /// reset waits until the kernel has nothing unacknowledged left and the client has had
    /// [`READ_GRACE`] to read the last lines (`<quit>`), or at most [`LINGER`]. Where the kernel
    /// does not say what is unacknowledged (not Linux), for JSON clients, which end on the end
    /// of the stream, and for TLS clients, which end on its `close_notify`, it closes at once.
    pub(crate) fn may_close(&mut self, now: Instant) -> bool {
        if self.mode != Mode::Plain || self.lines.get_ref().is_tls() {
            return true;
        }
        let Some(unacknowledged) = unacknowledged(self.lines.get_ref().socket()) else {
            return true;
        };
        let since = *self.lingers_since.get_or_insert(now);
        let waited = now.saturating_duration_since(since);
        waited >= LINGER || (waited >= READ_GRACE && unacknowledged == 0)
    }

    /// Closes the connection: with a reset for a plain-mode client in the clear (see
    /// [`Conn::may_close`]), with the end of the stream for everyone else (after TLS's
    /// `close_notify`).
    pub(crate) fn end(mut self) {
        let transport = self.lines.get_mut();
        transport.say_goodbye();
        let tls = transport.is_tls();
        let stream = transport.socket();
        if self.mode == Mode::Plain && !tls && cfg!(target_os = "linux") {
            let _ = socket2::SockRef::from(stream).set_linger(Some(std::time::Duration::ZERO));
        } else {
            let _ = stream.shutdown(std::net::Shutdown::Write);
        }
    }
}

/// Bytes sent on `stream` that its peer has not acknowledged yet, where the kernel says.
#[cfg(target_os = "linux")]
fn unacknowledged(stream: &TcpStream) -> Option<usize> {
    use std::os::fd::AsRawFd;
    let mut bytes: libc::c_int = 0;
    // SAFETY: TIOCOUTQ (SIOCOUTQ) writes one int through the pointer, which is valid and
    // writable for its duration; the descriptor is open as long as `stream` is.
    let result = unsafe { libc::ioctl(stream.as_raw_fd(), libc::TIOCOUTQ, &mut bytes) };
    (result == 0).then_some(usize::try_from(bytes).unwrap_or(0))
}

#[cfg(not(target_os = "linux"))]
fn unacknowledged(_stream: &TcpStream) -> Option<usize> {
    None
}

#[cfg(test)]
mod tests {
    use std::io::{Read, Write};
    use std::sync::Arc;

    use rustls::ClientConnection;

    use super::*;
    use crate::tls::Session;

    /// A host's TLS connection over loopback with small kernel buffers both ways, its client's
    /// session and socket (non-blocking), handshake done.
    fn tls_pair() -> (Conn, Session<ClientConnection>, std::net::TcpStream) {
        let (server_config, client_config) = crate::tls::testing::configs();
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let client =
            socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None).unwrap();
        client.set_recv_buffer_size(4096).unwrap();
        client
            .connect(&listener.local_addr().unwrap().into())
            .unwrap();
        let mut client: std::net::TcpStream = client.into();
        let (accepted, peer) = listener.accept().unwrap();
        socket2::SockRef::from(&accepted)
            .set_send_buffer_size(4096)
            .unwrap();
        accepted.set_nonblocking(true).unwrap();
        client.set_nonblocking(true).unwrap();

        let mut transport = Transport::undecided(TcpStream::from_std(accepted));
        let mut session = Session::new(crate::tls::testing::client(client_config));
        session.push(&mut client).unwrap();
        until("the client hello", || {
            matches!(transport.sniff(&server_config), Sniffed::Tls)
        });
        let limits = Limits {
            max_line: 4096,
            rate: 0,
            burst: 1,
            max_clients: 10,
        };
        let deadline = Instant::now() + std::time::Duration::from_secs(60);
        let mut conn = Conn::new(
            1,
            peer,
            transport,
            &limits,
            deadline,
            false,
            QueueBudget::unlimited(),
        );
        let mut buf = [0u8; 1024];
        until("the client's handshake", || {
            assert!(matches!(conn.read_line(), ReadOutcome::Drained));
            let _ = session.read(&mut client, &mut buf);
            session.push(&mut client).unwrap();
            !session.is_handshaking()
        });
        // The client's last flight (Finished) ends the host's handshake.
        until("the host's handshake", || {
            assert!(matches!(conn.read_line(), ReadOutcome::Drained));
            conn.wants_flush()
        });
        (conn, session, client)
    }

    /// Polls `done` (non-blocking loopback I/O) until it says so; panics if it never does.
    fn until(what: &str, mut done: impl FnMut() -> bool) {
        let deadline = Instant::now() + std::time::Duration::from_secs(5);
        while !done() {
            assert!(Instant::now() < deadline, "{what} never came");
        }
    }

    #[test]
    fn a_tls_flush_is_not_done_while_rustls_holds_bytes_the_socket_refused() {
        let (mut conn, mut session, mut client) = tls_pair();
        let log = Log::default();
        // More than the two small kernel buffers hold, less than rustls takes: the outbox hands
        // it all over at once, and the socket leaves some of it in rustls.
        let frame: Vec<u8> = (0..24 * 1024u32).map(|i| b'a' + (i % 26) as u8).collect();
        conn.push(0, Arc::from(frame.clone().into_boxed_slice()));
        assert!(
            !conn.flush(&log).unwrap(),
            "done while the socket has not taken everything"
        );
        // The client reads; each time the host hears of free space it flushes again.
        let mut received = Vec::new();
        let mut buf = [0u8; 4096];
        let mut done = false;
        while received.len() < frame.len() {
            match session.read(&mut client, &mut buf) {
                Ok(0) => panic!("closed"),
                Ok(n) => received.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                    done = conn.flush(&log).unwrap();
                }
                Err(e) if crate::line::is_budget_spent(&e) => {}
                Err(e) => panic!("{e}"),
            }
        }
        assert!(done || conn.flush(&log).unwrap());
        assert!(received == frame, "the bytes arrived changed");
    }

    #[test]
    fn a_plain_flush_writes_straight_to_the_socket() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let mut client = std::net::TcpStream::connect(listener.local_addr().unwrap()).unwrap();
        let (accepted, peer) = listener.accept().unwrap();
        accepted.set_nonblocking(true).unwrap();
        let transport = Transport::plain(TcpStream::from_std(accepted));
        let limits = Limits {
            max_line: 4096,
            rate: 0,
            burst: 1,
            max_clients: 10,
        };
        let mut conn = Conn::new(
            1,
            peer,
            transport,
            &limits,
            Instant::now(),
            false,
            QueueBudget::unlimited(),
        );
        conn.push(0, Arc::from(&b"hello\n"[..]));
        assert!(conn.flush(&Log::default()).unwrap());
        let mut got = [0u8; 6];
        client.read_exact(&mut got).unwrap();
        assert_eq!(&got, b"hello\n");
        client.write_all(b"ana\n").unwrap();
        loop {
            match conn.read_line() {
                ReadOutcome::Line(line) => {
                    assert_eq!(line, Line::Text("ana".into()));
                    break;
                }
                ReadOutcome::Drained => continue,
                _ => panic!("the line did not come"),
            }
        }
    }
}
