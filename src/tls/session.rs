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

#[cfg(test)]
mod tests {
    use std::cell::RefCell;
    use std::collections::VecDeque;
    use std::rc::Rc;

    use rustls::{ClientConnection, ServerConnection};

    use super::*;

    /// One direction of a loopback connection: bytes in flight, at most `capacity` of them.
    #[derive(Default)]
    struct Lane {
        bytes: VecDeque<u8>,
        capacity: usize,
        closed: bool,
        /// At most this many bytes per read, when set (a peer that trickles).
        per_read: Option<usize>,
    }

    /// One end of an in-memory non-blocking socket pair.
    struct End {
        incoming: Rc<RefCell<Lane>>,
        outgoing: Rc<RefCell<Lane>>,
    }

    fn socket_pair(capacity: usize) -> (End, End) {
        let lane = || {
            Rc::new(RefCell::new(Lane {
                capacity,
                ..Lane::default()
            }))
        };
        let (a, b) = (lane(), lane());
        (
            End {
                incoming: Rc::clone(&a),
                outgoing: Rc::clone(&b),
            },
            End {
                incoming: b,
                outgoing: a,
            },
        )
    }

    impl Read for End {
        fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
            let mut lane = self.incoming.borrow_mut();
            if lane.bytes.is_empty() {
                return if lane.closed {
                    Ok(0)
                } else {
                    Err(io::ErrorKind::WouldBlock.into())
                };
            }
            let n = buf
                .len()
                .min(lane.bytes.len())
                .min(lane.per_read.unwrap_or(usize::MAX));
            for (slot, byte) in buf.iter_mut().zip(lane.bytes.drain(..n)) {
                *slot = byte;
            }
            Ok(n)
        }
    }

    impl Write for End {
        fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
            let mut lane = self.outgoing.borrow_mut();
            let room = lane.capacity - lane.bytes.len();
            if room == 0 {
                return Err(io::ErrorKind::WouldBlock.into());
            }
            let n = buf.len().min(room);
            lane.bytes.extend(&buf[..n]);
            Ok(n)
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// A server session and a client session that trusts it.
    fn sessions() -> (Session<ServerConnection>, Session<ClientConnection>) {
        let (server, client) = crate::tls::testing::configs();
        (
            Session::new(ServerConnection::new(server).unwrap()),
            Session::new(crate::tls::testing::client(client)),
        )
    }

    /// Reads everything `session` can read now.
    fn read_all<C, D>(session: &mut Session<C>, socket: &mut End) -> io::Result<Vec<u8>>
    where
        C: DerefMut<Target = ConnectionCommon<D>>,
        D: SideData,
    {
        let mut got = Vec::new();
        let mut buf = [0u8; 4096];
        loop {
            match session.read(socket, &mut buf) {
                Ok(0) => return Ok(got),
                Ok(n) => got.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(got),
                Err(e) if crate::line::is_budget_spent(&e) => {}
                Err(e) => return Err(e),
            }
        }
    }

    /// Runs both sides until neither has anything to do; the handshake's records are written
    /// by the reads that receive the records they answer.
    fn settle(
        server: &mut Session<ServerConnection>,
        server_end: &mut End,
        client: &mut Session<ClientConnection>,
        client_end: &mut End,
    ) -> (Vec<u8>, Vec<u8>) {
        let (mut to_server, mut to_client) = (Vec::new(), Vec::new());
        for _ in 0..100 {
            client.push(client_end).unwrap();
            to_server.extend(read_all(server, server_end).unwrap());
            to_client.extend(read_all(client, client_end).unwrap());
            server.push(server_end).unwrap();
            if !client.is_handshaking()
                && !server.is_handshaking()
                && !client.wants_write()
                && !server.wants_write()
                && server_end.incoming.borrow().bytes.is_empty()
                && client_end.incoming.borrow().bytes.is_empty()
            {
                break;
            }
        }
        (to_server, to_client)
    }

    #[test]
    fn plaintext_written_before_the_handshake_arrives_after_it_both_ways() {
        let (mut server, mut client) = sessions();
        let (mut server_end, mut client_end) = socket_pair(64 * 1024);
        let greeting = b"welcome\n";
        assert_eq!(
            server
                .write_vectored(&mut server_end, &[IoSlice::new(greeting)])
                .unwrap(),
            greeting.len(),
            "taken while handshaking, held by rustls"
        );
        client
            .write_vectored(&mut client_end, &[IoSlice::new(b"ana\n")])
            .unwrap();
        let (to_server, to_client) =
            settle(&mut server, &mut server_end, &mut client, &mut client_end);
        assert!(server.take_established(), "the handshake ended in a read");
        assert!(!server.take_established(), "said once");
        assert_eq!(to_server, b"ana\n");
        assert_eq!(to_client, greeting);
    }

    #[test]
    fn a_full_socket_and_a_full_buffer_say_would_block_and_nothing_is_lost() {
        let (mut server, mut client) = sessions();
        let (mut server_end, mut client_end) = socket_pair(4096);
        settle(&mut server, &mut server_end, &mut client, &mut client_end);
        let sent: Vec<u8> = (0..400_000u32).map(|i| (i % 251) as u8).collect();
        let mut offset = 0;
        let mut blocked = 0;
        let mut received = Vec::new();
        while offset < sent.len() || server.wants_write() {
            if offset < sent.len() {
                match server.write_vectored(&mut server_end, &[IoSlice::new(&sent[offset..])]) {
                    Ok(n) => {
                        assert!(n > 0);
                        offset += n;
                        // rustls never holds more than its limit (and a record's overhead).
                        assert!(n <= BUFFER_LIMIT + 4096, "took {n}");
                        continue;
                    }
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => blocked += 1,
                    Err(e) => panic!("{e}"),
                }
            } else if !server.push(&mut server_end).unwrap() {
                blocked += 1;
            }
            // The socket is full: the reader drains it, as a client that reads would.
            assert!(!server_end.outgoing.borrow().bytes.is_empty());
            received.extend(read_all(&mut client, &mut client_end).unwrap());
        }
        received.extend(read_all(&mut client, &mut client_end).unwrap());
        assert!(blocked > 10, "the writer had to wait ({blocked} times)");
        assert_eq!(received.len(), sent.len());
        assert!(received == sent, "the bytes arrived changed");
    }

    #[test]
    fn close_notify_is_the_end_of_the_stream() {
        let (mut server, mut client) = sessions();
        let (mut server_end, mut client_end) = socket_pair(64 * 1024);
        settle(&mut server, &mut server_end, &mut client, &mut client_end);
        client.close(&mut client_end);
        let mut buf = [0u8; 64];
        assert_eq!(server.read(&mut server_end, &mut buf).unwrap(), 0);
        server.close(&mut server_end);
        assert_eq!(client.read(&mut client_end, &mut buf).unwrap(), 0);
    }

    #[test]
    fn a_socket_closed_without_close_notify_is_an_unexpected_end() {
        let (mut server, mut client) = sessions();
        let (mut server_end, mut client_end) = socket_pair(64 * 1024);
        settle(&mut server, &mut server_end, &mut client, &mut client_end);
        client_end.outgoing.borrow_mut().closed = true;
        let mut buf = [0u8; 64];
        let err = server.read(&mut server_end, &mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof);
    }

    #[test]
    fn garbage_is_an_error_after_an_alert_says_so() {
        let (mut server, _) = sessions();
        let (mut server_end, client_end) = socket_pair(64 * 1024);
        client_end
            .outgoing
            .borrow_mut()
            .bytes
            // A handshake record holding a ClientHello of four bytes of nonsense.
            .extend(b"\x16\x03\x01\x00\x08\x01\x00\x00\x04nope");
        let mut buf = [0u8; 64];
        let err = server.read(&mut server_end, &mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidData, "{err}");
        let alert = client_end.incoming.borrow().bytes.front().copied();
        assert_eq!(alert, Some(0x15), "an alert record went out");
    }

    #[test]
    fn a_trickle_without_plaintext_gives_way_and_loses_nothing() {
        let (mut server, mut client) = sessions();
        let (mut server_end, mut client_end) = socket_pair(64 * 1024);
        settle(&mut server, &mut server_end, &mut client, &mut client_end);
        client
            .write_vectored(&mut client_end, &[IoSlice::new(b"hello\n")])
            .unwrap();
        // The record arrives a byte per read: no plaintext for many reads, more always waiting.
        server_end.incoming.borrow_mut().per_read = Some(1);
        let mut buf = [0u8; 64];
        let mut gave_way = 0;
        let n = loop {
            match server.read(&mut server_end, &mut buf) {
                Ok(n) => break n,
                Err(e) if crate::line::is_budget_spent(&e) => gave_way += 1,
                Err(e) => panic!("{e}"),
            }
        };
        assert_eq!(&buf[..n], b"hello\n");
        assert!(
            gave_way >= 2,
            "a record of 20-odd bytes is more than {READS_PER_CALL} reads"
        );
    }
}
