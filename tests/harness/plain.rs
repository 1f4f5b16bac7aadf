//! Plain mode, the way `nc` talks to the room: [`PlainClient`], reading lines without their
//! timestamps, and proving that a line was *not* delivered without sleeping.

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::conn::Conn;
use super::host::Host;

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
        conn.expect_greeting(host);
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

    /// [`PlainClient::join`] over a connection made elsewhere (inside TLS, say).
    pub fn join_over(host: &Host, conn: Conn, nick: &str) -> PlainClient {
        let mut client = PlainClient::greeted(host, conn);
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
        let start = self.received().len();
        let line = self.expect_line("the welcome or an error", |l| {
            l.starts_with("error:") || l == "*** type /help for commands"
        });
        if line.starts_with("error:") {
            return Err(line);
        }
        self.nick = nick.to_string();
        Ok(self.received()[start..].to_vec())
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
        self.received().iter().map(|l| untimestamped(l)).collect()
    }

    /// Closes the connection abruptly, without `/quit`.
    pub fn disconnect(self) {
        self.conn.drop_connection();
    }

    /// Has any received line so far contained `needle`?
    pub fn has_seen(&self, needle: &str) -> bool {
        self.received().iter().any(|l| l.contains(needle))
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
