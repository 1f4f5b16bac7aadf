//! The byte stream under a client's connection: plain TCP, or TLS over it. `send` and `join`
//! read and write through [`Incoming`] and [`Outgoing`] and never know which.
//!
//! Both commands read on one thread and write on another. A TCP socket is simply cloned; a
//! rustls `ClientConnection` cannot be, so both halves share it behind a mutex that is held
//! only to move bytes in and out of it, never across socket I/O (a reader blocked in `read`
//! must not stop the writer). Record order is kept by a second lock, on the sending socket,
//! which a writer holds from asking rustls for the encrypted bytes until they are on the wire:
//! whoever encrypts also sends, in the order encrypted. Lock order is always sending socket,
//! then TLS state. Read timeouts are the socket's own, so `set_timeout` and `join`'s liveness
//! pings work as they do in clear.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use rustls::ClientConnection;

use super::dial;
use super::handshake;
use super::target::Target;
use super::trust::Trust;
use crate::cli::ServerArgs;
use crate::error::{Error, ExitStatus, Result, describe_io};
use crate::tls::known_hosts::KnownHosts;

/// A connected stream, before it is split for the reading and the writing thread.
pub enum Stream {
    Plain(TcpStream),
    Tls(TcpStream, Box<ClientConnection>),
}

impl Stream {
    /// The socket underneath, for timeouts.
    fn socket(&self) -> &TcpStream {
        match self {
            Stream::Plain(socket) | Stream::Tls(socket, _) => socket,
        }
    }

    /// Sets both the read and the write timeout of the socket.
    pub fn set_timeouts(&self, timeout: Option<Duration>) -> io::Result<()> {
        let socket = self.socket();
        socket.set_read_timeout(timeout)?;
        socket.set_write_timeout(timeout)
    }

    /// The reading and the writing half.
    pub fn split(self) -> io::Result<(Incoming, Outgoing)> {
        match self {
            Stream::Plain(socket) => {
                let reading = socket.try_clone()?;
                Ok((
                    Incoming::Plain(reading),
                    Outgoing {
                        shared: None,
                        socket: Arc::new(Mutex::new(socket)),
                    },
                ))
            }
            Stream::Tls(socket, tls) => {
                let reading = socket.try_clone()?;
                let tls = Arc::new(Mutex::new(*tls));
                let sending = Arc::new(Mutex::new(socket));
                let incoming = Incoming::Tls(Box::new(TlsReader {
                    socket: reading,
                    tls: tls.clone(),
                    sending: sending.clone(),
                    pending: Pending {
                        buf: vec![0; CIPHERTEXT_CHUNK].into_boxed_slice(),
                        start: 0,
                        end: 0,
                    },
                }));
                Ok((
                    incoming,
                    Outgoing {
                        shared: Some(tls),
                        socket: sending,
                    },
                ))
            }
        }
    }
}

/// How many encrypted bytes are read from the socket at a time (a TLS record's worth).
const CIPHERTEXT_CHUNK: usize = 16 * 1024 + 256;

/// How much plaintext is handed to rustls at a time when sending: under its default limit on
/// buffered plaintext (64 KiB), so a long line never makes it refuse bytes.
const PLAINTEXT_CHUNK: usize = 16 * 1024;

/// The reading half.
pub enum Incoming {
    Plain(TcpStream),
    Tls(Box<TlsReader>),
}

/// The reading half of a TLS stream.
pub struct TlsReader {
    socket: TcpStream,
    tls: Arc<Mutex<ClientConnection>>,
    /// The writing half's socket: rustls may owe the host an answer (a key update) after
    /// reading, which goes out under the writers' lock like any record.
    sending: Arc<Mutex<TcpStream>>,
    pending: Pending,
}

/// Encrypted bytes read but not yet taken by rustls (it takes no more while the plaintext it
/// holds is unread): `buf[start..end]`.
struct Pending {
    buf: Box<[u8]>,
    start: usize,
    end: usize,
}

impl Incoming {
    /// How long a read waits (`None`: forever); a read that waits longer fails with
    /// `WouldBlock` or `TimedOut` and may be retried.
    pub fn set_read_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        match self {
            Incoming::Plain(socket) => socket.set_read_timeout(timeout),
            Incoming::Tls(reader) => reader.socket.set_read_timeout(timeout),
        }
    }

    /// Shuts the socket down both ways: a read or write blocked on it returns, and the host,
    /// once it looks again, sees the connection end.
    pub fn shutdown(&self) {
        let socket = match self {
            Incoming::Plain(socket) => socket,
            Incoming::Tls(reader) => &reader.socket,
        };
        let _ = socket.shutdown(Shutdown::Both);
    }
}

impl Read for Incoming {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        match self {
            Incoming::Plain(socket) => socket.read(out),
            Incoming::Tls(reader) => reader.read(out),
        }
    }
}

impl TlsReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        loop {
            let owes_bytes = {
                let mut tls = lock(&self.tls)?;
                // Plaintext already decrypted first, then whatever the bytes read so far hold.
                for feed in [false, true] {
                    if feed {
                        self.pending.feed(&mut tls)?;
                    }
                    match tls.reader().read(out) {
                        Ok(n) => return Ok(n),
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
                        // Closed without TLS's close_notify: treated as the plain close it is
                        // in clear. Every event is a whole JSON line and the room's end is an
                        // event of its own, so a cut cannot pass for a complete session.
                        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return Ok(0),
                        Err(e) => return Err(e),
                    }
                }
                tls.wants_write()
            };
            if owes_bytes {
                send_owed(&self.sending, &self.tls)?;
            }
            let pending = &mut self.pending;
            if pending.start < pending.end {
                // rustls took none of the bytes and gave nothing back: never spin on them.
                return Err(io::Error::other("the host's TLS records could not be read"));
            }
            let n = self.socket.read(&mut pending.buf)?;
            (pending.start, pending.end) = (0, n);
            if n == 0 {
                // Tell rustls the stream ended; the next turn returns the end (or an error).
                let mut tls = lock(&self.tls)?;
                tls.read_tls(&mut io::empty())?;
                tls.process_new_packets().map_err(io::Error::other)?;
            }
        }
    }
}

impl Pending {
    /// Hands rustls the encrypted bytes read so far, until they yield plaintext (rustls takes
    /// no more while it holds 16 KiB unread; the rest waits here for the next read).
    fn feed(&mut self, tls: &mut ClientConnection) -> io::Result<()> {
        while self.start < self.end {
            let mut pending = &self.buf[self.start..self.end];
            let taken = tls.read_tls(&mut pending)?;
            self.start += taken;
            let state = tls.process_new_packets().map_err(io::Error::other)?;
            if state.plaintext_bytes_to_read() > 0 || taken == 0 {
                break;
            }
        }
        Ok(())
    }
}

/// The writing half.
pub struct Outgoing {
    /// The TLS state, shared with the reading half; `None` in clear.
    shared: Option<Arc<Mutex<ClientConnection>>>,
    /// The socket; its lock is held from encrypting to sending (see the module docs).
    socket: Arc<Mutex<TcpStream>>,
}

impl Outgoing {
    /// Sends all of `bytes`.
    pub fn write_all(&self, bytes: &[u8]) -> io::Result<()> {
        let mut socket = lock(&self.socket)?;
        let Some(tls) = &self.shared else {
            return socket.write_all(bytes);
        };
        let mut records = Vec::new();
        for chunk in bytes.chunks(PLAINTEXT_CHUNK) {
            {
                let mut tls = lock(tls)?;
                tls.writer().write_all(chunk)?;
                drain(&mut tls, &mut records)?;
            }
            socket.write_all(&records)?;
            records.clear();
        }
        Ok(())
    }

    /// Ends our sending side: the host reads the end of input after everything we sent (over
    /// TLS, after a close_notify, so it knows nothing was cut).
    pub fn finish(&self) {
        let Ok(mut socket) = lock(&self.socket) else {
            return;
        };
        if let Some(tls) = &self.shared {
            let mut records = Vec::new();
            if let Ok(mut tls) = lock(tls) {
                tls.send_close_notify();
                let _ = drain(&mut tls, &mut records);
            }
            let _ = socket.write_all(&records);
        }
        let _ = socket.shutdown(Shutdown::Write);
    }
}

/// Sends whatever rustls has encrypted and not sent yet (from the reading thread).
fn send_owed(sending: &Mutex<TcpStream>, tls: &Mutex<ClientConnection>) -> io::Result<()> {
    let mut socket = lock(sending)?;
    let mut records = Vec::new();
    drain(&mut *lock(tls)?, &mut records)?;
    socket.write_all(&records)
}

/// Takes every encrypted byte rustls has ready into `records`.
fn drain(tls: &mut ClientConnection, records: &mut Vec<u8>) -> io::Result<()> {
    while tls.wants_write() {
        tls.write_tls(records)?;
    }
    Ok(())
}

/// A lock whose holder panicked leaves the TLS state unknowable: the connection is over.
fn lock<T>(mutex: &Mutex<T>) -> io::Result<MutexGuard<'_, T>> {
    mutex
        .lock()
        .map_err(|_| io::Error::other("the connection's TLS state was lost"))
}

/// How a client connects: in clear, or over TLS trusting the host's certificate as the user
/// said (`--tls`, `--fingerprint`, `--trust-on-first-use`).
#[derive(Debug, Clone)]
pub enum Security {
    Plain,
    Tls(Trust),
}

impl Security {
    /// From the server options; `interactive` when someone at a terminal can be asked about a
    /// host never seen (`join` on a terminal, without --json).
    pub fn of(args: &ServerArgs, interactive: bool) -> Self {
        match args.uses_tls() {
            false => Security::Plain,
            true => Security::Tls(Trust::new(
                args.fingerprint,
                args.trust_on_first_use,
                interactive,
                KnownHosts::in_data_dir(args.data_dir.as_deref()),
            )),
        }
    }

    /// Connects to `target`: the TCP connection, then over TLS the handshake (asking the user
    /// about a host never seen where [`Trust`] says it may). Timeouts are set to `timeout`.
    pub fn connect(&self, target: &Target, timeout: Duration) -> Result<Stream> {
        match self {
            Security::Plain => {
                let stream = Stream::Plain(dial::connect(target, timeout)?);
                stream
                    .set_timeouts(Some(timeout))
                    .map_err(|e| cannot(target, &describe_io(&e)))?;
                Ok(stream)
            }
            Security::Tls(trust) => {
                let (socket, tls) = handshake::open(target, timeout, trust)?;
                Ok(Stream::Tls(socket, Box::new(tls)))
            }
        }
    }
}

fn cannot(target: &Target, why: &str) -> Error {
    Error::new(
        ExitStatus::CannotConnect,
        format!("cannot connect to {target}: {why}"),
    )
}

#[cfg(test)]
mod tests {
    use std::net::TcpListener;
    use std::sync::mpsc;
    use std::thread;

    use rustls::{ServerConnection, StreamOwned};

    use super::*;
    use crate::tls::testing;

    /// A TLS server on loopback running `serve` on its one connection, and a client [`Stream`]
    /// connected to it (the unit tests' certificates, from `tls::testing`).
    fn pair(
        serve: impl FnOnce(StreamOwned<ServerConnection, TcpStream>) + Send + 'static,
    ) -> Stream {
        let (server_config, client_config) = testing::configs();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        thread::spawn(move || {
            let (socket, _) = listener.accept().unwrap();
            let conn = ServerConnection::new(server_config).unwrap();
            serve(StreamOwned::new(conn, socket));
        });
        let mut conn = testing::client(client_config);
        let mut socket = TcpStream::connect(addr).unwrap();
        while conn.is_handshaking() {
            conn.complete_io(&mut socket).unwrap();
        }
        Stream::Tls(socket, Box::new(conn))
    }

    /// Reads until `n` bytes have come, or the end.
    fn read_n(incoming: &mut Incoming, n: usize) -> Vec<u8> {
        let mut got = Vec::new();
        let mut buf = [0; 4096];
        while got.len() < n {
            match incoming.read(&mut buf).unwrap() {
                0 => break,
                k => got.extend_from_slice(&buf[..k]),
            }
        }
        got
    }

    #[test]
    fn lines_longer_than_any_record_cross_whole_both_ways_at_once() {
        let stream = pair(|mut server| {
            // An echo: everything read goes straight back.
            let mut buf = [0; 8192];
            loop {
                match server.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => server.write_all(&buf[..n]).unwrap(),
                }
            }
        });
        let (mut incoming, outgoing) = stream.split().unwrap();
        let line: Vec<u8> = (0..200_000u32).map(|i| b'a' + (i % 26) as u8).collect();
        let sent = line.clone();
        // The writer writes while the reader reads: one TLS session, two threads.
        let writer = thread::spawn(move || {
            for _ in 0..3 {
                outgoing.write_all(&sent).unwrap();
            }
            outgoing
        });
        let echoed = read_n(&mut incoming, 3 * line.len());
        assert_eq!(echoed, line.repeat(3));
        let outgoing = writer.join().unwrap();
        outgoing.finish();
        assert_eq!(
            read_n(&mut incoming, 1),
            b"",
            "the echo ends with our close"
        );
    }

    #[test]
    fn a_read_that_timed_out_can_be_retried() {
        let (go, wait) = mpsc::channel::<()>();
        let stream = pair(move |mut server| {
            server.write_all(b"first\n").unwrap();
            wait.recv().unwrap();
            server.write_all(b"second\n").unwrap();
            server.conn.send_close_notify();
            let _ = server.flush();
        });
        let (mut incoming, _outgoing) = stream.split().unwrap();
        assert_eq!(read_n(&mut incoming, 6), b"first\n");
        incoming
            .set_read_timeout(Some(Duration::from_millis(20)))
            .unwrap();
        let mut buf = [0; 64];
        let err = incoming.read(&mut buf).unwrap_err();
        assert!(
            matches!(
                err.kind(),
                io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
            ),
            "{err:?}"
        );
        incoming.set_read_timeout(None).unwrap();
        go.send(()).unwrap();
        assert_eq!(read_n(&mut incoming, 7), b"second\n");
        assert_eq!(read_n(&mut incoming, 1), b"", "close_notify is the end");
    }
}
