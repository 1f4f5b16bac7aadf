//! Binding the room's socket and accepting connections.
//!
//! std's `TcpListener::bind` listens with a backlog of 128, so a burst of people (or a class
//! told "join now") overflows the kernel's queue and their connects stall for seconds. We bind
//! through socket2 to ask for a large backlog. The accept loop itself does as little as possible:
//! it numbers the connection and hands it to a fresh session thread.

use std::io::{self, Write};
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use crossbeam_channel::Sender;
use socket2::{Domain, Protocol, Socket, Type};

use super::hub::{ConnId, ToHub};
use super::session::{self, SessionConfig};

/// Pending connections the kernel may queue for us (it caps this at `somaxconn`).
const BACKLOG: i32 = 8192;

/// Stack for session threads: enough for JSON parsing with margin, small enough for thousands.
const SESSION_STACK: usize = 128 * 1024;

/// Binds a listening socket with a large accept backlog.
pub fn bind(addr: SocketAddr) -> io::Result<TcpListener> {
    let socket = Socket::new(Domain::for_address(addr), Type::STREAM, Some(Protocol::TCP))?;
    // On Unix this lets a restarted host rebind while old connections linger in TIME_WAIT.
    // On Windows SO_REUSEADDR would let another process steal the port, so it stays off there.
    #[cfg(unix)]
    socket.set_reuse_address(true)?;
    if addr.is_ipv6() && addr.ip().is_unspecified() {
        // `--bind ::` means every interface, IPv4 included, wherever the OS allows it.
        let _ = socket.set_only_v6(false);
    }
    socket.bind(&addr.into())?;
    socket.listen(BACKLOG)?;
    Ok(socket.into())
}

/// The address to connect to in order to reach `bound` from this machine.
pub fn local_address(bound: SocketAddr) -> SocketAddr {
    let ip = match bound.ip() {
        ip if !ip.is_unspecified() => ip,
        std::net::IpAddr::V4(_) => Ipv4Addr::LOCALHOST.into(),
        std::net::IpAddr::V6(_) => Ipv6Addr::LOCALHOST.into(),
    };
    SocketAddr::new(ip, bound.port())
}

/// What the accept loop needs besides the listener.
pub struct Acceptor {
    pub hub: Sender<ToHub>,
    pub config: Arc<SessionConfig>,
    /// Set when the host is stopping; checked after every accept.
    pub stopping: Arc<AtomicBool>,
    /// Connections beyond this many (members and handshakes together) are turned away at once,
    /// so sockets that never join cannot pile up without bound.
    pub max_connections: usize,
}

/// Accepts until `stopping` is set (the host then connects to itself to wake this loop up).
pub fn accept_loop(listener: &TcpListener, acceptor: &Acceptor) {
    let live = Arc::new(AtomicUsize::new(0));
    let mut next_id: ConnId = 0;
    loop {
        let stream = match listener.accept() {
            Ok((stream, _)) => stream,
            Err(e) => {
                if acceptor.stopping.load(Ordering::SeqCst) {
                    return;
                }
                // Out of file descriptors or similar: back off instead of spinning.
                eprintln!(
                    "chatroom: cannot accept a connection: {}",
                    crate::error::describe_io(&e)
                );
                std::thread::sleep(Duration::from_millis(50));
                continue;
            }
        };
        if acceptor.stopping.load(Ordering::SeqCst) {
            return;
        }
        if live.load(Ordering::SeqCst) >= acceptor.max_connections {
            turn_away(stream);
            continue;
        }
        next_id += 1;
        let conn = next_id;
        let guard = LiveGuard::new(&live);
        let hub = acceptor.hub.clone();
        let config = Arc::clone(&acceptor.config);
        let spawned = std::thread::Builder::new()
            .name("session".into())
            .stack_size(SESSION_STACK)
            .spawn(move || {
                let _guard = guard;
                session::run(conn, stream, &config, &hub);
            });
        if let Err(e) = spawned {
            eprintln!("chatroom: cannot start a session thread: {e}");
        }
    }
}

fn turn_away(mut stream: TcpStream) {
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let _ = stream.write_all(b"error: too many connections; try again later\n");
}

/// Counts a connection as live for as long as its session thread holds this.
struct LiveGuard(Arc<AtomicUsize>);

impl LiveGuard {
    fn new(live: &Arc<AtomicUsize>) -> Self {
        live.fetch_add(1, Ordering::SeqCst);
        LiveGuard(Arc::clone(live))
    }
}

impl Drop for LiveGuard {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}
