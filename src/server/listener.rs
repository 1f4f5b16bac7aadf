//! Binding the room's socket and accepting connections.
//!
//! std's `TcpListener::bind` listens with a backlog of 128, so a burst of people (or a class
//! told "join now") overflows the kernel's queue and their connects stall for seconds. We bind
//! through socket2 to ask for a large backlog; accepting happens in the acceptor (`acceptor.rs`).

use std::io;
use std::net::{Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener};

use socket2::{Domain, Protocol, Socket, Type};

/// Pending connections the kernel may queue for us (it caps this at `somaxconn`).
const BACKLOG: i32 = 8192;

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
