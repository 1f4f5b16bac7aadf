//! JSON-lines mode, the way bots, `chatroom send` and `chatroom join` talk to the room:
//! [`JsonClient`], and checks on the events it receives.

use std::ops::{Deref, DerefMut};

use serde_json::{Value, json};

use super::conn::Conn;
use super::host::Host;

/// A client in JSON-lines mode, the way bots and `chatroom send` talk to the room; also the
/// other person in the room when a test drives `chatroom join`.
pub struct JsonClient {
    conn: Conn,
    /// The `welcome` event, once joined.
    pub welcome: Value,
}

impl JsonClient {
    /// Connects and reads the plain-text greeting.
    pub fn connect(host: &Host) -> JsonClient {
        JsonClient::greeted(host, Conn::connect(host))
    }

    /// Reads the greeting on a connection made elsewhere (inside TLS, say).
    pub fn greeted(host: &Host, mut conn: Conn) -> JsonClient {
        conn.expect_greeting(host);
        JsonClient {
            conn,
            welcome: Value::Null,
        }
    }

    /// Connects, says hello as `nick` and returns the client with its `welcome` event; panics if
    /// the host answers anything else.
    pub fn join(host: &Host, nick: &str) -> JsonClient {
        JsonClient::join_over(host, Conn::connect(host), nick)
    }

    /// [`JsonClient::join`] over a connection made elsewhere (inside TLS, say).
    pub fn join_over(host: &Host, conn: Conn, nick: &str) -> JsonClient {
        let mut client = JsonClient::greeted(host, conn);
        let reply = client.hello(nick);
        assert_eq!(
            reply["type"], "welcome",
            "reply to hello as {nick}: {reply}"
        );
        client.welcome = reply;
        client
    }

    /// Connects to a room with a password and says hello as `nick` with `password`; panics
    /// unless welcomed.
    pub fn join_with_password(host: &Host, nick: &str, password: &str) -> JsonClient {
        let mut client = JsonClient::connect(host);
        client.send(
            json!({"type": "hello", "v": 1, "nick": nick, "password": password, "history": false}),
        );
        let reply = client.next_event();
        assert_eq!(
            reply["type"], "welcome",
            "reply to hello as {nick}: {reply}"
        );
        client.welcome = reply;
        client
    }

    /// Like [`JsonClient::join`], with a tiny kernel receive buffer (see
    /// [`Conn::connect_with_small_receive_buffer`]): a client that stops reading fills up soon.
    pub fn join_with_small_receive_buffer(host: &Host, nick: &str) -> JsonClient {
        let mut conn = Conn::connect_with_small_receive_buffer(host);
        conn.expect_greeting(host);
        let mut client = JsonClient {
            conn,
            welcome: Value::Null,
        };
        let reply = client.hello(nick);
        assert_eq!(
            reply["type"], "welcome",
            "reply to hello as {nick}: {reply}"
        );
        client.welcome = reply;
        client
    }

    /// Sends `{"type":"hello","v":1,"nick":NICK,"history":false}` and returns the host's reply.
    ///
    /// It asks for none of the room's history, so that what follows the welcome is what the
    /// test makes happen (`tests/history.rs` says its own hellos).
    pub fn hello(&mut self, nick: &str) -> Value {
        self.send(json!({"type": "hello", "v": 1, "nick": nick, "history": false}));
        self.next_event()
    }

    /// Sends one JSON object as a line.
    pub fn send(&mut self, request: Value) {
        self.send_line(&request.to_string());
    }

    /// Says `text` to the room (a `say` request without an id).
    pub fn say(&mut self, text: &str) {
        self.send(json!({"type": "say", "text": text}));
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

    /// Waits for a message of `kind` (`say`, `me`, `pm`) from `from` saying exactly `text`.
    pub fn expect_message(&mut self, from: &str, kind: &str, text: &str) -> Value {
        self.expect_event_where("message", |e| {
            e["from"] == from && e["kind"] == kind && e["text"] == text
        })
    }

    /// Waits until `nick` has joined the room.
    pub fn expect_join(&mut self, nick: &str) -> Value {
        self.expect_event_where("join", |e| e["nick"] == nick)
    }

    /// Closes the connection abruptly, without a `quit` request.
    pub fn disconnect(self) {
        self.conn.drop_connection();
    }

    /// Every event received so far (the plain-text greeting excluded).
    pub fn events(&self) -> Vec<Value> {
        self.received()[1..]
            .iter()
            .map(|l| parse_event(l))
            .collect()
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
