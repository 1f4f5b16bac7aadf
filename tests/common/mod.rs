//! The integration-test harness: a real `chatroom host` on 127.0.0.1 port 0, and test clients
//! that talk to it over real sockets in both wire modes.
//!
//! - [`Host`] spawns the binary, learns its address from the `listening on ADDR` line, keeps
//!   draining its stdout/stderr into a buffer the tests can search (the console), and kills it on
//!   drop.
//! - [`Conn`] is a raw line-oriented connection. Every read has a deadline ([`TIMEOUT`]); when an
//!   expectation is not met, the panic shows everything the connection did receive.
//! - [`PlainClient`] (the `nc` way) and [`JsonClient`] (the bot way) join a room and wrap the
//!   protocol in a few readable verbs.
//!
//! Nothing here sleeps and hopes: tests wait for the events they need (a notice, a marker
//! message, a console line), each with a deadline.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::ops::{Deref, DerefMut};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// How long any single expectation may wait before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// The greeting every connection receives first (README, "Wire protocol"), for room `name`.
pub fn greeting(name: &str) -> String {
    format!("chatroom: welcome to {name}. Type a nickname and press Enter.")
}

/// `chatroom` with an environment that cannot influence the test: no color variables and no
/// `CHATROOM_*` defaults.
pub fn chatroom() -> Command {
    let mut cmd = Command::new(assert_cmd::cargo::cargo_bin!("chatroom"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("CHATROOM_") {
            cmd.env_remove(key);
        }
    }
    cmd.env_remove("NO_COLOR").env_remove("CLICOLOR_FORCE");
    cmd
}

/// [`chatroom`] as an assert_cmd command that fails the test instead of hanging after `timeout`.
pub fn chatroom_cmd(timeout: Duration) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::from_std(chatroom());
    cmd.timeout(timeout);
    cmd
}

/// `chatroom send SERVER ARGS...` as an assert_cmd command with a generous timeout, so a hung
/// `send` fails the test instead of hanging the suite.
pub fn send(server: &str, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = chatroom_cmd(Duration::from_secs(30));
    cmd.arg("send").arg(server).args(args);
    cmd
}

// ---------------------------------------------------------------------------------------------
// The host process
// ---------------------------------------------------------------------------------------------

/// Everything the host printed (stdout and stderr, line by line), with a condition variable so
/// tests can wait for a line instead of polling.
#[derive(Default)]
struct Console {
    text: Mutex<String>,
    changed: Condvar,
    /// How many of the two pipes reached end of file (2: the host is gone, nothing more comes).
    pipes_closed: AtomicUsize,
}

impl Console {
    fn append(&self, line: &str) {
        let mut text = self.text.lock().unwrap();
        text.push_str(line);
        text.push('\n');
        self.changed.notify_all();
    }

    fn pipe_closed(&self) {
        let _text = self.text.lock().unwrap();
        self.pipes_closed.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_all();
    }
}

/// A running `chatroom host --bind 127.0.0.1 --port 0 ...`, killed when dropped.
pub struct Host {
    child: Child,
    /// The address from the `listening on ADDR` line.
    pub addr: SocketAddr,
    /// The room name, for greeting checks.
    pub name: String,
    console: Arc<Console>,
    drains: Vec<JoinHandle<()>>,
    status: Option<ExitStatus>,
}

impl Host {
    /// Starts a host with `args` after `host --bind 127.0.0.1 --port 0` and waits for its
    /// `listening on ADDR` line.
    pub fn start(args: &[&str]) -> Host {
        let mut child = chatroom()
            .args(["host", "--bind", "127.0.0.1", "--port", "0"])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn chatroom host");
        let console = Arc::new(Console::default());
        let drains = vec![
            drain(child.stdout.take().unwrap(), console.clone()),
            drain(child.stderr.take().unwrap(), console.clone()),
        ];
        let name = match args.iter().position(|a| *a == "--name") {
            Some(i) => args[i + 1].to_string(),
            None => "lobby".to_string(),
        };
        let mut host = Host {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            name,
            console,
            drains,
            status: None,
        };
        let line = host.wait_for_console("a `listening on ADDR` line", |l| {
            l.contains("listening on ")
        });
        host.addr = parse_listening_line(&line)
            .unwrap_or_else(|| panic!("cannot read an address from {line:?}"));
        host
    }

    /// `IP:PORT`, the SERVER argument of `chatroom send`.
    pub fn server(&self) -> String {
        self.addr.to_string()
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the host printed so far.
    pub fn console(&self) -> String {
        self.console.text.lock().unwrap().clone()
    }

    /// Waits until a console line satisfies `pred` and returns it; panics with the whole console
    /// after [`TIMEOUT`].
    pub fn wait_for_console(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + TIMEOUT;
        let mut text = self.console.text.lock().unwrap();
        loop {
            if let Some(line) = text.lines().find(|l| pred(l)) {
                return line.to_string();
            }
            if self.console.pipes_closed.load(Ordering::SeqCst) == 2 {
                panic!("the host exited without showing {what}; it printed:\n{text}");
            }
            let now = Instant::now();
            if now >= deadline {
                panic!("host console never showed {what}; it printed:\n{text}");
            }
            text = self
                .console
                .changed
                .wait_timeout(text, deadline - now)
                .unwrap()
                .0;
        }
    }

    /// Sends a signal to the host process.
    #[cfg(unix)]
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, signal).expect("send signal to host");
    }

    /// Waits (up to 10 s) for the host to exit, then for its output to be fully drained, and
    /// returns its exit status.
    pub fn wait_for_exit(&mut self) -> ExitStatus {
        if let Some(status) = self.status {
            return status;
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() >= deadline {
                panic!(
                    "host did not exit within 10 s; console:\n{}",
                    self.console()
                );
            }
            thread::sleep(Duration::from_millis(10));
        };
        for drain in self.drains.drain(..) {
            drain.join().unwrap();
        }
        self.status = Some(status);
        status
    }

    /// Stops the host the graceful way (SIGTERM on unix, a kill elsewhere), waits for it to
    /// exit and returns the complete console: nothing the host printed is still in flight.
    pub fn stop(mut self) -> String {
        #[cfg(unix)]
        self.signal(nix::sys::signal::Signal::SIGTERM);
        #[cfg(not(unix))]
        let _ = self.child.kill();
        self.wait_for_exit();
        self.console()
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        if self.status.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn drain<R: Read + Send + 'static>(pipe: R, console: Arc<Console>) -> JoinHandle<()> {
    thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut line = Vec::new();
        while let Ok(n) = reader.read_until(b'\n', &mut line) {
            if n == 0 {
                break;
            }
            console.append(String::from_utf8_lossy(&line).trim_end_matches(['\r', '\n']));
            line.clear();
        }
        console.pipe_closed();
    })
}

/// `listening on 127.0.0.1:41234` (possibly followed by more words) -> the address.
pub fn parse_listening_line(line: &str) -> Option<SocketAddr> {
    let rest = &line[line.find("listening on ")? + "listening on ".len()..];
    let word = rest.split_whitespace().next()?;
    word.trim_end_matches([',', '.', ';', ')']).parse().ok()
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

// ---------------------------------------------------------------------------------------------
// Raw connections
// ---------------------------------------------------------------------------------------------

/// What a read ended with, when it did not produce a line.
enum ReadEnd {
    Closed,
    TimedOut,
}

/// A line-oriented TCP connection to the host that remembers every line it received.
pub struct Conn {
    reader: BufReader<TcpStream>,
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
        Conn {
            reader: BufReader::new(stream),
            partial: Vec::new(),
            received: Vec::new(),
            closed: false,
        }
    }

    pub fn stream(&self) -> &TcpStream {
        self.reader.get_ref()
    }

    /// Every complete line received so far.
    pub fn received(&self) -> &[String] {
        &self.received
    }

    /// Writes raw bytes; panics if the host closed the connection.
    pub fn send_raw(&mut self, bytes: &[u8]) {
        let mut stream = self.reader.get_ref();
        stream
            .write_all(bytes)
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
            self.reader
                .get_ref()
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

    /// The next line; panics on timeout or when the connection closes.
    pub fn next_line(&mut self) -> String {
        self.expect_line("any line", |_| true)
    }

    /// Reads until a line satisfies `pred` and returns it (earlier lines stay in
    /// [`Conn::received`]); panics with everything received if the connection closes or
    /// [`TIMEOUT`] passes first.
    pub fn expect_line(&mut self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + TIMEOUT;
        loop {
            match self.read_line_by(deadline) {
                Ok(line) if pred(&line) => return line,
                Ok(_) => continue,
                Err(ReadEnd::Closed) => {
                    panic!("connection closed before {what} arrived; received:\n{self:?}")
                }
                Err(ReadEnd::TimedOut) => {
                    panic!("{what} did not arrive within {TIMEOUT:?}; received:\n{self:?}")
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
        let _ = self.reader.get_ref().shutdown(Shutdown::Both);
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

// ---------------------------------------------------------------------------------------------
// Plain mode
// ---------------------------------------------------------------------------------------------

/// `[14:03:21] <bob> hello` -> `<bob> hello`. Lines without a timestamp are returned as they are.
pub fn untimestamped(line: &str) -> &str {
    match line.as_bytes() {
        [b'[', h1, h2, b':', m1, m2, b':', s1, s2, b']', b' ', ..]
            if [h1, h2, m1, m2, s1, s2].iter().all(|b| b.is_ascii_digit()) =>
        {
            &line[11..]
        }
        _ => line,
    }
}

/// A client in plain mode, the way `nc` talks to the room.
pub struct PlainClient {
    conn: Conn,
    pub nick: String,
}

impl PlainClient {
    /// Connects and reads the greeting, which must be the plain-text line of the README.
    pub fn connect(host: &Host) -> PlainClient {
        PlainClient::greeted(host, Conn::connect(host))
    }

    fn greeted(host: &Host, mut conn: Conn) -> PlainClient {
        let greeting_line = conn.next_line();
        assert_eq!(greeting_line, greeting(&host.name), "the greeting line");
        PlainClient {
            conn,
            nick: String::new(),
        }
    }

    /// Connects, picks `nick` and waits for the end of the welcome (`*** type /help ...`).
    pub fn join(host: &Host, nick: &str) -> PlainClient {
        let mut client = PlainClient::connect(host);
        client.choose_nick(nick);
        client
    }

    /// Like [`PlainClient::join`], with a tiny kernel receive buffer (see
    /// [`Conn::connect_with_small_receive_buffer`]).
    pub fn join_with_small_receive_buffer(host: &Host, nick: &str) -> PlainClient {
        let mut client = PlainClient::greeted(host, Conn::connect_with_small_receive_buffer(host));
        client.choose_nick(nick);
        client
    }

    /// Sends `nick` as the handshake line and returns the welcome lines; panics if refused.
    pub fn choose_nick(&mut self, nick: &str) -> Vec<String> {
        match self.try_nick(nick) {
            Ok(welcome) => welcome,
            Err(error) => panic!("nick {nick:?} was refused: {error}"),
        }
    }

    /// Sends `nick` as the handshake line. `Ok(welcome lines)` once the welcome ends with
    /// `*** type /help for commands`, `Err(error line)` if the host answers `error: ...`.
    pub fn try_nick(&mut self, nick: &str) -> Result<Vec<String>, String> {
        self.send_line(nick);
        let start = self.received.len();
        let line = self.expect_line("the welcome or an error", |l| {
            l.starts_with("error:") || l == "*** type /help for commands"
        });
        if line.starts_with("error:") {
            return Err(line);
        }
        self.nick = nick.to_string();
        Ok(self.received[start..].to_vec())
    }

    /// Sends one chat line (a message or a command).
    pub fn say(&mut self, text: &str) {
        self.send_line(text);
    }

    /// Waits for a line whose text, after its `[HH:MM:SS] ` timestamp, is exactly `body`.
    pub fn expect(&mut self, body: &str) -> String {
        self.expect_line(&format!("{body:?}"), |l| untimestamped(l) == body)
    }

    /// Waits for the next `error: ...` line and returns it.
    pub fn expect_error(&mut self) -> String {
        self.expect_line("an `error:` line", |l| l.starts_with("error:"))
    }

    /// The untimestamped text of every line received so far.
    pub fn bodies(&self) -> Vec<&str> {
        self.received.iter().map(|l| untimestamped(l)).collect()
    }

    /// Closes the connection abruptly, without `/quit`.
    pub fn disconnect(self) {
        self.conn.drop_connection();
    }

    /// Has any received line so far contained `needle`?
    pub fn has_seen(&self, needle: &str) -> bool {
        self.received.iter().any(|l| l.contains(needle))
    }
}

impl Deref for PlainClient {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        &self.conn
    }
}

impl DerefMut for PlainClient {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.conn
    }
}

/// Proves a negative without sleeping: `from` posts a unique marker, and `to` must receive it
/// with nothing containing `unwanted` before it. Messages from one sender arrive in order, so
/// anything `to` was going to get from earlier lines has arrived by then.
pub fn assert_not_delivered(from: &mut PlainClient, to: &mut PlainClient, unwanted: &str) {
    static MARKERS: AtomicUsize = AtomicUsize::new(0);
    let marker = format!("marker-{}", MARKERS.fetch_add(1, Ordering::Relaxed));
    from.say(&marker);
    to.expect_line(&format!("the marker {marker:?}"), |l| l.ends_with(&marker));
    assert!(
        !to.has_seen(unwanted),
        "{} received {unwanted:?}:\n{:?}",
        to.nick,
        **to
    );
}

// ---------------------------------------------------------------------------------------------
// JSON-lines mode
// ---------------------------------------------------------------------------------------------

/// A client in JSON-lines mode, the way bots and `chatroom send` talk to the room.
pub struct JsonClient {
    conn: Conn,
    /// The `welcome` event, once joined.
    pub welcome: Value,
}

impl JsonClient {
    /// Connects and reads the plain-text greeting.
    pub fn connect(host: &Host) -> JsonClient {
        let mut conn = Conn::connect(host);
        let greeting_line = conn.next_line();
        assert_eq!(greeting_line, greeting(&host.name), "the greeting line");
        JsonClient {
            conn,
            welcome: Value::Null,
        }
    }

    /// Connects, says hello as `nick` and returns the client with its `welcome` event; panics if
    /// the host answers anything else.
    pub fn join(host: &Host, nick: &str) -> JsonClient {
        let mut client = JsonClient::connect(host);
        let reply = client.hello(nick);
        assert_eq!(
            reply["type"], "welcome",
            "reply to hello as {nick}: {reply}"
        );
        client.welcome = reply;
        client
    }

    /// Sends `{"type":"hello","v":1,"nick":NICK}` and returns the host's reply.
    pub fn hello(&mut self, nick: &str) -> Value {
        self.send(json!({"type": "hello", "v": 1, "nick": nick}));
        self.next_event()
    }

    /// Sends one JSON object as a line.
    pub fn send(&mut self, request: Value) {
        self.send_line(&request.to_string());
    }

    /// The next line, which must be a JSON object.
    pub fn next_event(&mut self) -> Value {
        let line = self.next_line();
        parse_event(&line)
    }

    /// Reads events until one has `"type": kind` and returns it.
    pub fn expect_event(&mut self, kind: &str) -> Value {
        self.expect_event_where(kind, |_| true)
    }

    /// Reads events until one has `"type": kind` and satisfies `pred`.
    pub fn expect_event_where(&mut self, kind: &str, pred: impl Fn(&Value) -> bool) -> Value {
        let line = self.expect_line(&format!("a {kind:?} event"), |l| {
            let event = parse_event(l);
            event["type"] == kind && pred(&event)
        });
        parse_event(&line)
    }

    /// Closes the connection abruptly, without a `quit` request.
    pub fn disconnect(self) {
        self.conn.drop_connection();
    }

    /// Every event received so far (the plain-text greeting excluded).
    pub fn events(&self) -> Vec<Value> {
        self.received[1..].iter().map(|l| parse_event(l)).collect()
    }
}

impl Deref for JsonClient {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        &self.conn
    }
}

impl DerefMut for JsonClient {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.conn
    }
}

/// Parses one line from the host as a JSON object, or panics saying what it was.
pub fn parse_event(line: &str) -> Value {
    match serde_json::from_str::<Value>(line) {
        Ok(value) if value.is_object() => value,
        _ => panic!("expected a JSON object from the host, got {line:?}"),
    }
}

/// Asserts `ts` is RFC 3339 in UTC with exactly three fractional digits, like
/// `2026-11-22T14:03:21.042Z`.
pub fn assert_rfc3339_utc_millis(ts: &Value) {
    let text = ts
        .as_str()
        .unwrap_or_else(|| panic!("ts is not a string: {ts}"));
    let parsed = chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("ts {text:?} is not RFC 3339: {e}"));
    assert_eq!(
        parsed.offset().local_minus_utc(),
        0,
        "ts {text:?} is not UTC"
    );
    assert!(text.ends_with('Z'), "ts {text:?} does not end with Z");
    let fraction = text
        .rsplit_once('.')
        .map(|(_, f)| f.trim_end_matches('Z'))
        .unwrap_or("");
    assert!(
        fraction.len() == 3 && fraction.bytes().all(|b| b.is_ascii_digit()),
        "ts {text:?} does not have millisecond precision"
    );
}

// ---------------------------------------------------------------------------------------------
// Files
// ---------------------------------------------------------------------------------------------

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static COUNT: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "chatroom-test-{}-{label}-{}",
            std::process::id(),
            COUNT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).unwrap();
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Waits until the file at `path` has a line satisfying `pred` (the host writes it from its own
/// thread, so there is no event to wait on but the file itself) and returns the whole file.
pub fn wait_for_file_line(path: &Path, what: &str, pred: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + TIMEOUT;
    loop {
        let text = std::fs::read_to_string(path).unwrap_or_default();
        if text.lines().any(&pred) {
            return text;
        }
        if Instant::now() >= deadline {
            panic!("{} never got {what}; it holds:\n{text}", path.display());
        }
        thread::sleep(Duration::from_millis(20));
    }
}
