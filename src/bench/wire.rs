//! How a bench client's bytes travel: over the bare socket, or inside TLS (`bench --tls`).
//!
//! The load loop reads and writes every client through a [`Wire`], so the plain path stays a
//! bare socket call and a TLS run measures what a TLS room costs: the host's encryption per
//! member, and the bench's decryption, which runs on the bench's own core.

use std::io::{self, IoSlice, Read, Write};
use std::sync::Arc;

use mio::net::TcpStream;
use rustls::pki_types::ServerName;
use rustls::{ClientConfig, ClientConnection};

use crate::tls::Session;

/// What every TLS client of a run shares: its configuration (with the verifier that checks the
/// host's certificate) and the name it connects to.
#[derive(Clone)]
pub struct TlsClients {
    config: Arc<ClientConfig>,
    name: ServerName<'static>,
}

impl std::fmt::Debug for TlsClients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TlsClients")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl TlsClients {
    pub fn new(config: Arc<ClientConfig>, name: ServerName<'static>) -> Self {
        TlsClients { config, name }
    }

    fn session(&self) -> io::Result<Session<ClientConnection>> {
        ClientConnection::new(self.config.clone(), self.name.clone())
            .map(Session::new)
            .map_err(io::Error::other)
    }
}

/// One client's connection.
pub struct Wire {
    socket: TcpStream,
    /// Boxed: a rustls session is large, and plain runs should not carry its space.
    tls: Option<Box<Session<ClientConnection>>>,
}

impl Wire {
    /// A connection over `socket`, inside TLS when `tls` is given (the handshake starts with the
    /// first write or read).
    pub fn new(socket: TcpStream, tls: Option<&TlsClients>) -> io::Result<Self> {
        let tls = match tls {
            Some(clients) => Some(Box::new(clients.session()?)),
            None => None,
        };
        Ok(Wire { socket, tls })
    }

    /// The socket, for registration and connection checks.
    pub fn socket(&self) -> &TcpStream {
        &self.socket
    }

    pub fn socket_mut(&mut self) -> &mut TcpStream {
        &mut self.socket
    }

    /// Whether a short read means the socket is drained. Inside TLS it does not: rustls reads a
    /// record at a time and may leave the rest of what arrived in the socket, which an
    /// edge-triggered poll would not report again.
    pub fn short_read_drains(&self) -> bool {
        self.tls.is_none()
    }

    /// Reads what arrived (decrypted, inside TLS). Besides the usual errors, a TLS read may give
    /// way with `line::BudgetSpent` after records that held no data: read again next turn.
    pub fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.tls {
            None => self.socket.read(buf),
            Some(session) => session.read(&mut self.socket, buf),
        }
    }

    /// Writes what the socket (and rustls, inside TLS) takes; `WouldBlock` when neither takes
    /// anything.
    pub fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.tls {
            None => self.socket.write(buf),
            Some(session) => session.write_vectored(&mut self.socket, &[IoSlice::new(buf)]),
        }
    }

    /// Writes the TLS records rustls still holds; `Ok(true)` when none are left (always, for a
    /// plain connection).
    pub fn push(&mut self) -> io::Result<bool> {
        match &mut self.tls {
            None => Ok(true),
            Some(session) => session.push(&mut self.socket),
        }
    }
}
