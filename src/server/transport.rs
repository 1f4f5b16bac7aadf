//! How a connection's bytes travel: in the clear, or inside TLS. A shard reads and writes every
//! connection through its [`Transport`], whichever it is.
//!
//! A plain connection costs what a bare socket does: one branch on the kind, no allocation, no
//! dynamic dispatch. On a host started with `--tls`, a connection is *undecided* until its first
//! byte arrives (`tls::sniff`): a TLS handshake makes it TLS, anything else makes it plain for
//! the one line that says how to connect, after which it is closed.

use std::io::{self, IoSlice, Read, Write};
use std::sync::Arc;

use mio::net::TcpStream;
use rustls::ServerConnection;

use crate::tls::Session;
use crate::tls::sniff::{Verdict, sniff};

/// What carries the connection's bytes.
enum Kind {
    Plain,
    /// A TLS host's connection whose first byte has not arrived.
    Undecided,
    /// Boxed: a rustls connection is a few hundred bytes that plain connections need not carry.
    Tls(Box<Session<ServerConnection>>),
}

/// A connection's socket and what carries bytes over it.
pub(crate) struct Transport {
    socket: TcpStream,
    kind: Kind,
}

/// What the first byte said, once it came.
pub(crate) enum Sniffed {
    /// Nothing yet.
    Waiting,
    /// It is TLS: the connection now speaks it.
    Tls,
    /// A plain-text client at a TLS port.
    Plain,
    /// It closed, or failed, before saying anything.
    Gone,
}

impl Transport {
    pub(crate) fn plain(socket: TcpStream) -> Self {
        Transport {
            socket,
            kind: Kind::Plain,
        }
    }

    /// A connection to a TLS host: its first byte decides (see [`Transport::sniff`]).
    pub(crate) fn undecided(socket: TcpStream) -> Self {
        Transport {
            socket,
            kind: Kind::Undecided,
        }
    }

    pub(crate) fn socket(&self) -> &TcpStream {
        &self.socket
    }

    pub(crate) fn socket_mut(&mut self) -> &mut TcpStream {
        &mut self.socket
    }

    pub(crate) fn is_undecided(&self) -> bool {
        matches!(self.kind, Kind::Undecided)
    }

    pub(crate) fn is_tls(&self) -> bool {
        matches!(self.kind, Kind::Tls(_))
    }

    /// Looks at the first byte, without taking it, and becomes what it says.
    pub(crate) fn sniff(&mut self, config: &Arc<rustls::ServerConfig>) -> Sniffed {
        let mut first = [0u8; 1];
        let verdict = loop {
            match self.socket.peek(&mut first) {
                Ok(0) => return Sniffed::Gone,
                Ok(n) => break sniff(&first[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Sniffed::Waiting,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(_) => return Sniffed::Gone,
            }
        };
        match verdict {
            Verdict::Undecided => Sniffed::Waiting,
            Verdict::Tls => match ServerConnection::new(Arc::clone(config)) {
                Ok(conn) => {
                    self.kind = Kind::Tls(Box::new(Session::new(conn)));
                    Sniffed::Tls
                }
                Err(_) => Sniffed::Gone,
            },
            Verdict::Plain => {
                self.refuse_tls();
                Sniffed::Plain
            }
        }
    }

    /// An undecided connection becomes plain, to be told how to connect and closed.
    pub(crate) fn refuse_tls(&mut self) {
        if self.is_undecided() {
            self.kind = Kind::Plain;
        }
    }

    /// True when something happened while reading that calls for a flush: the handshake ended
    /// (plaintext waiting in rustls can go), or rustls holds records the socket did not take.
    pub(crate) fn wants_flush(&mut self) -> bool {
        match &mut self.kind {
            Kind::Tls(session) => session.take_established() | session.wants_write(),
            Kind::Plain | Kind::Undecided => false,
        }
    }

    /// Writes what TLS still holds; `Ok(true)` when nothing is left (always, for plain).
    pub(crate) fn drain(&mut self) -> io::Result<bool> {
        match &mut self.kind {
            Kind::Tls(session) => session.push(&mut self.socket),
            Kind::Plain | Kind::Undecided => Ok(true),
        }
    }

    /// Ends TLS with a `close_notify` (written if the socket takes it); nothing for plain.
    pub(crate) fn say_goodbye(&mut self) {
        if let Kind::Tls(session) = &mut self.kind {
            session.close(&mut self.socket);
        }
    }
}

impl Read for Transport {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match &mut self.kind {
            Kind::Plain => self.socket.read(buf),
            Kind::Tls(session) => session.read(&mut self.socket, buf),
            // Nothing is read before the first byte decides (the shard sniffs first).
            Kind::Undecided => Err(io::ErrorKind::WouldBlock.into()),
        }
    }
}

impl Write for Transport {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match &mut self.kind {
            Kind::Plain | Kind::Undecided => self.socket.write(buf),
            Kind::Tls(session) => session.write_vectored(&mut self.socket, &[IoSlice::new(buf)]),
        }
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        match &mut self.kind {
            Kind::Plain | Kind::Undecided => self.socket.write_vectored(bufs),
            Kind::Tls(session) => session.write_vectored(&mut self.socket, bufs),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        if self.drain()? {
            Ok(())
        } else {
            Err(io::ErrorKind::WouldBlock.into())
        }
    }
}
