//! [`FakeHost`]: a scripted stand-in for `chatroom host`, for testing a client against a wire
//! contract the real host does not speak yet (or cannot be made to say on cue): the test
//! writes the host's lines itself and reads back exactly what the client sent.
//!
//! It greets like the real host, takes the hello, and welcomes with whatever JSON the test
//! gives; after that every line is the test's to send and to expect. Reads have deadlines
//! ([`TIMEOUT`]); a failed expectation panics with what did arrive.

use std::io::{BufRead, BufReader, ErrorKind, Write};
use std::net::{TcpListener, TcpStream};
use std::time::{Duration, Instant};

use serde_json::Value;

use super::TIMEOUT;

/// The room's limits as the real host announces them by default.
pub const LIMITS: &str = r#"{"max_line":4096,"rate":20,"burst":50,"max_clients":100}"#;

/// A listening stand-in host.
pub struct FakeHost {
    listener: TcpListener,
}

/// One client's connection to the [`FakeHost`].
pub struct FakeConn {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    /// Every JSON line the client sent after its hello, in order.
    pub received: Vec<Value>,
}

impl FakeHost {
    pub fn bind() -> FakeHost {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a loopback port");
        FakeHost { listener }
    }

    /// `127.0.0.1:PORT`, the `SERVER` argument for a client.
    pub fn server(&self) -> String {
        self.listener.local_addr().unwrap().to_string()
    }

    /// Waits (up to [`TIMEOUT`]) for a client to connect, and greets it.
    pub fn accept(&self) -> FakeConn {
        self.listener.set_nonblocking(true).unwrap();
        let deadline = Instant::now() + TIMEOUT;
        let stream = loop {
            match self.listener.accept() {
                Ok((stream, _)) => break stream,
                Err(e) if e.kind() == ErrorKind::WouldBlock && Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Err(e) => panic!("no client connected within {TIMEOUT:?}: {e}"),
            }
        };
        stream.set_nonblocking(false).unwrap();
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        let mut conn = FakeConn {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
            received: Vec::new(),
        };
        conn.send("chatroom: welcome to lobby. Type a nickname and press Enter (within 30 s).");
        conn
    }

    /// Whether a client is waiting to be accepted now (a client that came back).
    pub fn has_pending_client(&self) -> bool {
        self.listener.set_nonblocking(true).unwrap();
        let pending = self.listener.accept().is_ok();
        self.listener.set_nonblocking(false).unwrap();
        pending
    }
}

impl FakeConn {
    /// Sends one line (a newline is added).
    pub fn send(&mut self, line: &str) {
        writeln!(self.writer, "{line}").expect("the client is connected");
    }

    /// The next JSON line from the client, skipping blank lines and the client's own
    /// liveness traffic (`ping` with its text id, `pong`).
    pub fn next_json(&mut self) -> Value {
        loop {
            let mut line = String::new();
            match self.reader.read_line(&mut line) {
                Ok(0) => panic!(
                    "the client closed the connection; it had sent {:?}",
                    self.received
                ),
                Ok(_) => {}
                Err(e) => panic!(
                    "nothing from the client ({e}); it had sent {:?}",
                    self.received
                ),
            }
            let line = line.trim();
            if line.is_empty() {
                continue;
            }
            let value: Value = serde_json::from_str(line).unwrap_or_else(|e| {
                panic!("the client sent a line that is not JSON ({e}): {line}")
            });
            let liveness =
                value["type"] == "pong" || (value["type"] == "ping" && value["id"] == "liveness");
            if liveness {
                continue;
            }
            self.received.push(value.clone());
            return value;
        }
    }

    /// Reads the hello and answers with a welcome as `nick` in a room of `users`, with `extra`
    /// fields (`"topic":{...},"operators":[...]`, or empty); returns the hello.
    pub fn welcome(&mut self, nick: &str, users: &[&str], extra: &str) -> Value {
        let hello = self.next_json();
        assert_eq!(hello["type"], "hello", "{hello}");
        let count = users.len();
        let users = serde_json::to_string(users).unwrap();
        let comma = if extra.is_empty() { "" } else { "," };
        self.send(&format!(
            r#"{{"type":"welcome","v":1,"nick":"{nick}","room":"lobby","motd":null,"users":{users},"count":{count},"limits":{LIMITS}{comma}{extra}}}"#
        ));
        self.send(r#"{"type":"history_end","count":0,"missed":0}"#);
        hello
    }

    /// The next request, checked to be `expected` once its `id` is taken out; acknowledges it
    /// (`ack` with that id) and returns the id.
    pub fn expect_request(&mut self, expected: Value) -> Value {
        let mut request = self.next_json();
        let id = request
            .as_object_mut()
            .and_then(|fields| fields.remove("id"))
            .unwrap_or_else(|| panic!("a request without an id: {request}"));
        assert_eq!(request, expected);
        self.send(&format!(r#"{{"type":"ack","id":{id}}}"#));
        id
    }

    /// Waits for the client to close its side (it left); fails after [`TIMEOUT`].
    pub fn expect_closed(&mut self) {
        let mut line = String::new();
        loop {
            line.clear();
            match self.reader.read_line(&mut line) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) if e.kind() == ErrorKind::ConnectionReset => return,
                Err(e) => panic!("the client did not close the connection: {e}"),
            }
        }
    }

    /// Closes the connection, as the host closes a member it put out.
    pub fn close(self) {
        let _ = self.writer.shutdown(std::net::Shutdown::Both);
    }
}
