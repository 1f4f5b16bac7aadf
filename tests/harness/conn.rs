//! [`Conn`]: a raw line-oriented TCP connection to the host, in the clear or inside TLS (see
//! `tls.rs`). Every read has a deadline ([`TIMEOUT`]), every line received is kept, and a failed
//! expectation panics showing them.

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::time::{Duration, Instant};

use super::TIMEOUT;
use super::host::Host;
use super::tls::TlsStream;

/// The greeting every connection receives first (README, "Wire protocol"), for room `name` and
/// a handshake timeout of `seconds`.
pub fn greeting(name: &str, seconds: u64) -> String {
    format!("chatroom: welcome to {name}. Type a nickname and press Enter (within {seconds} s).")
}

/// The greeting of a room with a password (README, "Room password").
pub fn password_greeting(name: &str, seconds: u64) -> String {
    format!(
        "chatroom: welcome to {name}. This room has a password: type it and press Enter (within \
         {seconds} s)."
    )
}

/// What a plain-mode user reads once the room took its password.
pub const PASSWORD_ACCEPTED: &str = "chatroom: password accepted. Type a nickname and press Enter.";

/// What a read ended with, when it did not produce a line.
enum ReadEnd {
    Closed,
    TimedOut,
}

/// A line-oriented TCP connection to the host that remembers every line it received.
pub struct Conn {
    reader: BufReader<Wire>,
    /// Bytes of a line not yet terminated when a read timed out.
    partial: Vec<u8>,
    /// Every complete line received so far (newline and trailing `\r` removed).
    received: Vec<String>,
    closed: bool,
}

impl Conn {
    pub fn connect(host: &Host) -> Conn {
        Conn::from_stream(TcpStream::connect(host.addr).expect("connect to host"))
    }

    /// A connection to `addr` rather than to the host itself (a [`super::relay::Relay`] in front
    /// of it, say).
    pub fn connect_to(addr: std::net::SocketAddr) -> Conn {
        Conn::from_stream(TcpStream::connect(addr).expect("connect"))
    }

    /// A connection from the loopback address `from` (127.0.0.2, 127.0.0.3, ...): on one machine,
    /// each stands for another machine, as the host's per-address rules see it.
    pub fn connect_from(host: &Host, from: &str) -> Conn {
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
            .expect("socket");
        let local: std::net::SocketAddr = format!("{from}:0").parse().expect("an IPv4 address");
        socket
            .bind(&local.into())
            .expect("bind to a loopback address");
        socket.connect(&host.addr.into()).expect("connect to host");
        Conn::from_stream(socket.into())
    }

    /// A connection whose kernel receive buffer is tiny, so that a client that stops reading
    /// fills up quickly.
    pub fn connect_with_small_receive_buffer(host: &Host) -> Conn {
        let socket = socket2::Socket::new(socket2::Domain::IPV4, socket2::Type::STREAM, None)
            .expect("socket");
        socket.set_recv_buffer_size(4096).expect("SO_RCVBUF");
        socket.connect(&host.addr.into()).expect("connect to host");
        Conn::from_stream(socket.into())
    }

    fn from_stream(stream: TcpStream) -> Conn {
        stream.set_nodelay(true).unwrap();
        Conn::over(Wire::Plain(stream))
    }

    /// A connection inside TLS (see [`super::tls::connect`]).
    pub fn from_tls(stream: TlsStream) -> Conn {
        Conn::over(Wire::Tls(Box::new(stream)))
    }

    fn over(wire: Wire) -> Conn {
        Conn {
            reader: BufReader::new(wire),
            partial: Vec::new(),
            received: Vec::new(),
            closed: false,
        }
    }

    /// The TCP socket (under TLS, the one TLS runs over).
    pub fn stream(&self) -> &TcpStream {
        self.reader.get_ref().socket()
    }

    /// Every complete line received so far.
    pub fn received(&self) -> &[String] {
        &self.received
    }

    /// Writes raw bytes; panics if the host closed the connection.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let stream = self.reader.get_mut();
        stream
            .write_all(bytes)
            .and_then(|()| stream.flush())
            .unwrap_or_else(|e| panic!("write to host failed ({e}); received so far:\n{self:?}"));
    }

    /// Writes `line` followed by `\n`.
    pub fn send_line(&mut self, line: &str) {
        self.send_raw(format!("{line}\n").as_bytes());
    }

    fn read_line_by(&mut self, deadline: Instant) -> Result<String, ReadEnd> {
        if self.closed {
            return Err(ReadEnd::Closed);
        }
        loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(ReadEnd::TimedOut);
            }
            self.stream()
                .set_read_timeout(Some(deadline - now))
                .unwrap();
            match self.reader.read_until(b'\n', &mut self.partial) {
                Ok(0) => {
                    self.closed = true;
                    return Err(ReadEnd::Closed);
                }
                Ok(_) if self.partial.ends_with(b"\n") => {
                    let bytes = std::mem::take(&mut self.partial);
                    let line = String::from_utf8_lossy(&bytes)
                        .trim_end_matches('\n')
                        .trim_end_matches('\r')
                        .to_string();
                    self.received.push(line.clone());
                    return Ok(line);
                }
                Ok(_) => continue,
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {
                    return Err(ReadEnd::TimedOut);
                }
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => {
                    // A reset is the host closing on us too.
                    self.closed = true;
                    return Err(ReadEnd::Closed);
                }
            }
        }
    }

    /// Reads the first line, which must be the plain-text greeting naming `host`'s room (the one
    /// that asks for the password, for a room with one).
    pub fn expect_greeting(&mut self, host: &Host) {
        let line = self.next_line();
        let expected = if host.locked {
            password_greeting(&host.name, host.handshake_timeout)
        } else {
            greeting(&host.name, host.handshake_timeout)
        };
        assert_eq!(line, expected, "the greeting line");
    }

    /// The next line; panics on timeout or when the connection closes.
    pub fn next_line(&mut self) -> String {
        self.expect_line("any line", |_| true)
    }

    /// Reads until a line satisfies `pred` and returns it (earlier lines stay in
    /// [`Conn::received`]); panics with everything received if the connection closes or
    /// [`TIMEOUT`] passes first.
    pub fn expect_line(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        self.expect_line_within(TIMEOUT, what, pred)
    }

    /// [`Conn::expect_line`] with a deadline of its own, for what the host does only after a
    /// timer of its own has run out (a dead host's heartbeat expiring, say).
    pub fn expect_line_within(
        &mut self,
        timeout: Duration,
        what: &str,
        pred: impl Fn(&str) -> bool,
    ) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            match self.read_line_by(deadline) {
                Ok(line) if pred(&line) => return line,
                Ok(_) => continue,
                Err(ReadEnd::Closed) => {
                    panic!("connection closed before {what} arrived; received:\n{self:?}")
                }
                Err(ReadEnd::TimedOut) => {
                    panic!("{what} did not arrive within {timeout:?}; received:\n{self:?}")
                }
            }
        }
    }

    /// Reads until the host closes the connection and returns the lines that arrived on the
    /// way; panics if it stays open for [`TIMEOUT`].
    pub fn expect_closed(&mut self) -> Vec<String> {
        self.expect_closed_within(TIMEOUT)
    }

    pub fn expect_closed_within(&mut self, timeout: Duration) -> Vec<String> {
        let start = self.received.len();
        let deadline = Instant::now() + timeout;
        loop {
            match self.read_line_by(deadline) {
                Ok(_) => continue,
                Err(ReadEnd::Closed) => return self.received[start..].to_vec(),
                Err(ReadEnd::TimedOut) => panic!(
                    "the host did not close the connection within {timeout:?}; received:\n{self:?}"
                ),
            }
        }
    }

    /// Closes our side abruptly, without saying goodbye.
    pub fn drop_connection(self) {
        let _ = self.stream().shutdown(Shutdown::Both);
    }
}

/// Shows what a connection received, for panic messages: everything, or the last 30 lines of a
/// long stream (the slow-reader tests receive megabytes).
impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        const SHOWN: usize = 30;
        let skipped = self.received.len().saturating_sub(SHOWN);
        if skipped > 0 {
            writeln!(f, "[... {skipped} earlier lines ...]")?;
        }
        for line in &self.received[skipped..] {
            let shown: String = line.chars().take(200).collect();
            writeln!(f, "{shown:?}")?;
        }
        if self.closed {
            writeln!(f, "[connection closed]")?;
        }
        Ok(())
    }
}

/// What a [`Conn`] talks over: the bare socket, or TLS over it.
enum Wire {
    Plain(TcpStream),
    Tls(Box<TlsStream>),
}

impl Wire {
    fn socket(&self) -> &TcpStream {
        match self {
            Wire::Plain(stream) => stream,
            Wire::Tls(tls) => tls.get_ref(),
        }
    }
}

impl Read for Wire {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        match self {
            Wire::Plain(stream) => stream.read(buf),
            Wire::Tls(tls) => tls.read(buf),
        }
    }
}

impl Write for Wire {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Wire::Plain(stream) => stream.write(buf),
            Wire::Tls(tls) => tls.write(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Wire::Plain(stream) => stream.flush(),
            Wire::Tls(tls) => tls.flush(),
        }
    }
}
