//! Reaching a host: the TCP connection, and the words for what went wrong before a room
//! answered. Below both the plain and the TLS way in (`stream.rs`, `handshake.rs`) and the
//! handshake with the room (`connection.rs`), which all use it.

use std::io;
use std::net::TcpStream;
use std::time::Duration;

use super::target::Target;
use crate::error::{Error, ExitStatus, Result, describe_io};
use crate::sanitize;

/// Opens a TCP connection to `target`, trying each address it resolves to.
pub fn connect(target: &Target, timeout: Duration) -> Result<TcpStream> {
    let cannot = |why: String| {
        Error::transient(
            ExitStatus::CannotConnect,
            format!("cannot connect to {target}: {why}"),
        )
    };
    let addrs = target.resolve()?;
    let mut last = None;
    for addr in &addrs {
        match TcpStream::connect_timeout(addr, timeout) {
            Ok(stream) => {
                // A line typed is a line to send now, not to batch with the next.
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(e) => last = Some(e),
        }
    }
    let why = match last {
        None => format!("'{}' has no address", target.host),
        Some(e) => match e.kind() {
            io::ErrorKind::ConnectionRefused => {
                "connection refused (is `chatroom host` running?)".to_string()
            }
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => format!(
                "no answer within {} s (is the address right and the port open?)",
                timeout.as_secs()
            ),
            _ => describe_io(&e),
        },
    };
    Err(cannot(why))
}

/// The error for a host that turned us away with a plain `error:` line (`why` is what
/// follows it). A TLS host saying that it takes only TLS is a connection that could not be
/// made (the user adds --tls); anything else is a refusal.
pub(crate) fn host_said(target: &Target, why: &str) -> Error {
    let why = sanitize::clean(why.trim());
    if why.starts_with(crate::tls::sniff::TLS_ONLY) {
        return Error::new(
            ExitStatus::CannotConnect,
            format!("cannot connect to {target} without --tls; the host said: {why}"),
        );
    }
    Error::new(ExitStatus::Rejected, format!("{target} refused us: {why}"))
}

/// True for a read or connect that gave up waiting (a timeout, whichever way the OS says it).
pub fn is_timeout(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
    )
}
