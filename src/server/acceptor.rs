//! The acceptor: takes new connections off the listening socket and hands each to a shard.
//!
//! It runs on the thread that called [`run`](super::run), with a mio `Poll` of its own for the
//! listener and the stop button's waker. Shards take connections in turn (round robin), so a
//! connect storm is spread evenly. It counts open connections with the shards (they take off the
//! ones they close) and turns away those beyond `--max-clients` plus a headroom for handshakes,
//! so sockets that never join cannot pile up without bound; whether someone may join the room is
//! the room's decision, not the acceptor's.

use std::io::{self, Write};
use std::net::{SocketAddr, TcpListener as StdListener};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token, Waker};

use super::activity::{Activity, Recorder};
use super::addresses::{AddressBook, AddressKey, AddressNews};
use super::fanout::{ShardLink, ShardMail};
use super::session;
use super::shutdown::Stopper;

const LISTENER: Token = Token(0);
const WAKER: Token = Token(1);

/// How long to wait before accepting again after the OS refused (out of file descriptors).
const ACCEPT_BACKOFF: Duration = Duration::from_millis(50);

/// After saying that accepting failed, how long further failures are only counted; their sum is
/// said once this has passed.
const FAILURE_QUIET: Duration = Duration::from_secs(60);

/// Who may connect: the count of open connections the acceptor shares with the shards and its
/// cap, and the per-address limits with the shards' news about each address's connections.
pub(crate) struct Admission {
    /// Connections open host-wide (members and handshakes).
    pub(crate) open: Arc<AtomicUsize>,
    pub(crate) max_connections: usize,
    /// `None` without per-address limits (`--max-per-ip 0`).
    pub(crate) addresses: Option<AddressBook>,
    pub(crate) news: crossbeam_channel::Receiver<AddressNews>,
}

pub(crate) struct Acceptor {
    poll: Poll,
    /// Its own hold on its waker, so the waker's file lives as long as the poll that watches it
    /// (see the same field of `Shard`).
    _waker: Arc<Waker>,
    listener: TcpListener,
    shards: Vec<ShardLink>,
    next_shard: usize,
    /// The last serial number given to a connection.
    serial: u64,
    admission: Admission,
    recorder: Recorder,
    /// When to try accepting again after the OS refused.
    retry_at: Option<Instant>,
    /// Failures to accept are said once, then counted until `quiet_until` and summed up, so a
    /// host out of file descriptors does not flood its own console (it would retry 20 times a
    /// second).
    quiet_until: Option<Instant>,
    unsaid_failures: u64,
}

impl Acceptor {
    /// An acceptor for `listener`, and the waker that interrupts it (for the stop button).
    pub(crate) fn new(
        listener: StdListener,
        shards: Vec<ShardLink>,
        admission: Admission,
        recorder: Recorder,
    ) -> io::Result<(Self, Arc<Waker>)> {
        listener.set_nonblocking(true)?;
        let mut listener = TcpListener::from_std(listener);
        let poll = Poll::new()?;
        poll.registry()
            .register(&mut listener, LISTENER, Interest::READABLE)?;
        let waker = Arc::new(Waker::new(poll.registry(), WAKER)?);
        let acceptor = Acceptor {
            poll,
            _waker: Arc::clone(&waker),
            listener,
            shards,
            next_shard: 0,
            serial: 0,
            admission,
            recorder,
            retry_at: None,
            quiet_until: None,
            unsaid_failures: 0,
        };
        Ok((acceptor, waker))
    }

    /// Accepts until `stopper` is pressed; the listener closes when this returns.
    pub(crate) fn run(mut self, stopper: &Stopper) {
        let mut events = Events::with_capacity(64);
        while !stopper.is_stopped() {
            let now = Instant::now();
            let wake_at = match (self.retry_at, self.quiet_until) {
                (Some(retry), Some(quiet)) => Some(retry.min(quiet)),
                (retry, quiet) => retry.or(quiet),
            };
            let timeout = wake_at.map(|at| at.saturating_duration_since(now));
            if let Err(e) = self.poll.poll(&mut events, timeout)
                && e.kind() != io::ErrorKind::Interrupted
            {
                self.recorder.record(Activity::Warning {
                    text: format!(
                        "cannot wait for connections: {}; no one else can join",
                        crate::error::describe_io(&e)
                    ),
                });
                return;
            }
            if stopper.is_stopped() {
                return;
            }
            self.sum_up_failures(Instant::now());
            self.accept_all();
        }
    }

    /// Says how many failures were counted silently, once their quiet time is over.
    fn sum_up_failures(&mut self, now: Instant) {
        if self.quiet_until.is_none_or(|until| now < until) {
            return;
        }
        self.quiet_until = None;
        let count = std::mem::take(&mut self.unsaid_failures);
        if count > 0 {
            self.recorder.record(Activity::Warning {
                text: format!(
                    "{count} more attempts to accept a connection failed in the last {} s",
                    FAILURE_QUIET.as_secs()
                ),
            });
        }
    }

    fn accept_failed(&mut self, e: &io::Error) {
        let now = Instant::now();
        // Out of file descriptors or similar: no new edge will come for the connections still
        // queued, so try again shortly.
        self.retry_at = Some(now + ACCEPT_BACKOFF);
        if self.quiet_until.is_some() {
            self.unsaid_failures += 1;
            return;
        }
        self.quiet_until = Some(now + FAILURE_QUIET);
        self.recorder.record(Activity::Warning {
            text: format!(
                "cannot accept a connection: {}; retrying (further failures are counted and \
                 summed up every {} s)",
                crate::error::describe_io(e),
                FAILURE_QUIET.as_secs()
            ),
        });
    }

    fn accept_all(&mut self) {
        self.retry_at = None;
        loop {
            let (stream, peer) = match self.listener.accept() {
                Ok(accepted) => accepted,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return self.accept_failed(&e),
            };
            self.hand_off(stream, peer);
        }
    }

    /// Gives a new connection to the next shard, or turns it away (saying why) when too many are
    /// open, or too many from its address.
    fn hand_off(&mut self, stream: TcpStream, peer: SocketAddr) {
        let key = AddressKey::of(peer.ip());
        let admission = &mut self.admission;
        if admission.open.load(Ordering::Relaxed) >= admission.max_connections {
            let _ = (&stream).write(session::TURNED_AWAY);
            return;
        }
        if let Some(book) = &mut admission.addresses {
            for news in admission.news.try_iter() {
                book.hear(news);
            }
            if let Err(too_many) = book.admit(key, Instant::now()) {
                let _ = (&stream).write(too_many.line(book.limits()).as_bytes());
                return;
            }
        }
        admission.open.fetch_add(1, Ordering::Relaxed);
        self.serial += 1;
        let shard = &self.shards[self.next_shard];
        self.next_shard = (self.next_shard + 1) % self.shards.len();
        let mail = ShardMail::Accepted {
            stream,
            serial: self.serial,
            peer,
        };
        if !shard.post(mail) {
            self.admission.open.fetch_sub(1, Ordering::Relaxed);
        }
    }
}
