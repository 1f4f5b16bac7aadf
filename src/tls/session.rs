//! A TLS session over a non-blocking socket: moving bytes between a rustls connection and the
//! socket the way an event loop needs it, for either side (the host's `ServerConnection`, a
//! client's `ClientConnection`).
//!
//! It follows the pattern of rustls's own mio examples: reading is `read_tls` (socket -> rustls),
//! `process_new_packets`, then `reader()` (plaintext out); writing is `writer()` (plaintext in),
//! then `write_tls` (rustls -> socket) for as long as the socket takes it. The socket is not kept
//! here but passed to each call, so the owner keeps it for registration and shutdown, and a plain
//! connection and a TLS one hold the socket the same way (see the host's `server/transport.rs`).
//!
//! What an event loop must be able to rely on:
//! - `read` never blocks and never loops unboundedly: records that decrypt to nothing (handshake
//!   messages, empty records) are read at most [`READS_PER_CALL`] times per call, then the call
//!   gives way with [`crate::line::BudgetSpent`], as a line reader out of budget does;
//! - records rustls produces while reading (the handshake's answers, alerts, key updates) are
//!   written at once, and [`Session::wants_write`] says if the socket was too full for them;
//! - `write` takes plaintext only while rustls has room (its buffer is capped at
//!   [`BUFFER_LIMIT`]) and says `WouldBlock` when both rustls and the socket are full, so what
//!   does not fit stays with the caller (the host's outbox keeps log positions, not copies);
//! - the peer's `close_notify` is the end of the stream (`Ok(0)`), a TCP close without it is
//!   `UnexpectedEof`, and a TLS error is `InvalidData` after its alert was sent.

use std::io::{self, IoSlice, Read, Write};
use std::ops::DerefMut;

use rustls::{ConnectionCommon, SideData};

/// Socket reads one `read` may make without producing plaintext before it gives way.
pub const READS_PER_CALL: usize = 8;

/// Bytes of TLS records (or, during the handshake, plaintext) rustls may hold that the socket
/// has not taken yet. rustls's default is 64 KiB per connection; two full records are enough to
/// keep a socket busy, and everything beyond stays with the caller, where it costs nothing per
/// member.
pub const BUFFER_LIMIT: usize = 32 * 1024;

/// A rustls connection `C` (a `ServerConnection` or a `ClientConnection`) driven over a
/// non-blocking socket.
pub struct Session<C> {
    conn: C,
    /// The handshake completed during a read and nobody has asked since (see
    /// [`Session::take_established`]).
    established: bool,
}

impl<C, D> Session<C>
where
    C: DerefMut<Target = ConnectionCommon<D>>,
    D: SideData,
{
    pub fn new(mut conn: C) -> Self {
        conn.set_buffer_limit(Some(BUFFER_LIMIT));
        Session {
            conn,
            established: false,
        }
    }

    /// The rustls connection (its peer certificates, its protocol version, ...).
    pub fn connection(&self) -> &C {
        &self.conn
    }

    /// True once, after the read that completed the handshake: plaintext written before it may
    /// have been waiting in rustls, and can now go out.
    pub fn take_established(&mut self) -> bool {
        std::mem::take(&mut self.established)
    }

    /// True while rustls holds TLS bytes the socket has not taken.
    pub fn wants_write(&self) -> bool {
        self.conn.wants_write()
    }

    /// True while the handshake is not complete.
    pub fn is_handshaking(&self) -> bool {
        self.conn.is_handshaking()
    }

    /// Reads plaintext into `buf`: `Ok(0)` once the peer sent `close_notify`, `WouldBlock` when
    /// the socket has nothing more.
    pub fn read(&mut self, socket: &mut (impl Read + Write), buf: &mut [u8]) -> io::Result<usize> {
        let mut reads = 0;
        loop {
            match self.conn.reader().read(buf) {
                Ok(n) => return Ok(n),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                // UnexpectedEof: the socket closed without a close_notify.
                Err(e) => return Err(e),
            }
            if reads == READS_PER_CALL {
                return Err(io::Error::other(crate::line::BudgetSpent));
            }
            reads += 1;
            match self.conn.read_tls(socket) {
                // The end of the socket: processing makes the reader say how it ended.
                Ok(_) => self.process(socket)?,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Processes what `read_tls` brought, and sends what rustls has to say in return.
    fn process(&mut self, socket: &mut impl Write) -> io::Result<()> {
        let was_handshaking = self.conn.is_handshaking();
        let processed = self.conn.process_new_packets();
        if was_handshaking && !self.conn.is_handshaking() {
            self.established = true;
        }
        // The handshake's answer, or the alert that explains an error: out now, as far as the
        // socket takes it (the owner asks for writability when `wants_write` stays true).
        let pushed = self.push(socket);
        match processed {
            Ok(_) => pushed.map(|_| ()),
            Err(e) => Err(io::Error::new(io::ErrorKind::InvalidData, e)),
        }
    }

    /// Takes plaintext as far as rustls has room, and writes what it can to the socket;
    /// `WouldBlock` when neither rustls nor the socket can take anything.
    pub fn write_vectored(
        &mut self,
        socket: &mut impl Write,
        bufs: &[IoSlice<'_>],
    ) -> io::Result<usize> {
        // Room in rustls first: what it holds goes to the socket before more is taken.
        self.push(socket)?;
        let taken = self.conn.writer().write_vectored(bufs)?;
        self.push(socket)?;
        if taken == 0 && bufs.iter().any(|b| !b.is_empty()) {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        Ok(taken)
    }

    /// Writes the TLS bytes rustls holds; `Ok(true)` when it holds none any more, `Ok(false)`
    /// when the socket is full.
    pub fn push(&mut self, socket: &mut impl Write) -> io::Result<bool> {
        while self.conn.wants_write() {
            match self.conn.write_tls(socket) {
                Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
                Ok(_) => {}
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(false),
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(true)
    }

    /// Says goodbye (`close_notify`) and writes it if the socket takes it; the caller closes the
    /// socket afterwards.
    pub fn close(&mut self, socket: &mut impl Write) {
        self.conn.send_close_notify();
        let _ = self.push(socket);
    }

    /// This session and `socket` as one `Read + Write` stream, for code that wants one.
    pub fn stream<'a, S: Read + Write>(&'a mut self, socket: &'a mut S) -> Stream<'a, C, S> {
        Stream {
            session: self,
            socket,
        }
    }
}

/// A [`Session`] and its socket borrowed together as a `Read + Write` stream.
pub struct Stream<'a, C, S> {
    session: &'a mut Session<C>,
    socket: &'a mut S,
}

impl<C, D, S> Read for Stream<'_, C, S>
where
    C: DerefMut<Target = ConnectionCommon<D>>,
    D: SideData,
    S: Read + Write,
{
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.session.read(self.socket, buf)
    }
}

impl<C, D, S> Write for Stream<'_, C, S>
where
    C: DerefMut<Target = ConnectionCommon<D>>,
    D: SideData,
    S: Read + Write,
{
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.session
            .write_vectored(self.socket, &[IoSlice::new(buf)])
    }

    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        self.session.write_vectored(self.socket, bufs)
    }

    /// Pushes what rustls holds; `WouldBlock` while the socket cannot take all of it.
    fn flush(&mut self) -> io::Result<()> {
        if self.session.push(self.socket)? {
            self.socket.flush()
        } else {
            Err(io::ErrorKind::WouldBlock.into())
        }
    }
}
