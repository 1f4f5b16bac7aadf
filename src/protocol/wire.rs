//! The JSON-lines wire types, shared by the host and the clients.
//!
//! One definition serves both sides: the host serializes [`Event`]s and the clients deserialize
//! them, and the clients serialize [`ClientRequest`]s that the host parses (leniently, see
//! `parse.rs`). Unknown fields are ignored everywhere, so either side can grow new fields without
//! breaking the other.

use std::fmt;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::de::{self, Visitor};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::value::RawValue;

/// The protocol version a `hello` announces and a `welcome` confirms.
pub const VERSION: u32 = 1;

/// A request id chosen by the client and echoed by the host: a string or a number.
///
/// A number is kept as the JSON text the client wrote (`18446744073709551616`, `-0`, `1e3`), so
/// the host echoes it exactly as sent, whatever its size or form; it never becomes a float on the
/// way. Anything else (arrays, objects, booleans, null) is refused without being walked, so an
/// `id` cannot be used to make the host recurse or allocate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Id {
    /// A JSON number, as its text.
    Number(String),
    Text(String),
}

impl Serialize for Id {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            // The text is a JSON number (from `from_raw`, `From<u64>` or a parsed number), so it
            // goes out as it is.
            Id::Number(text) => RawValue::from_string(text.clone())
                .map_err(serde::ser::Error::custom)?
                .serialize(s),
            Id::Text(t) => s.serialize_str(t),
        }
    }
}

/// Reads an id from an already parsed value (a client reading its replies): numbers arrive
/// parsed, which is exact for the integer ids clients send. The host reads ids with
/// [`Id::from_raw`] instead, which keeps any number's text.
impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct IdVisitor;
        impl Visitor<'_> for IdVisitor {
            type Value = Id;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Id, E> {
                Ok(Id::from(v))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Id, E> {
                Ok(Id::Number(v.to_string()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Id, E> {
                serde_json::Number::from_f64(v)
                    .map(|n| Id::Number(n.to_string()))
                    .ok_or_else(|| E::custom("id must be a finite number"))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Id, E> {
                Ok(Id::Text(v.to_string()))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Id, E> {
                Ok(Id::Text(v))
            }
        }
        d.deserialize_any(IdVisitor)
    }
}

impl From<u64> for Id {
    fn from(n: u64) -> Self {
        Id::Number(n.to_string())
    }
}

impl Id {
    /// The id in `raw`, a JSON value exactly as a client wrote it: a number keeps its text, a
    /// string is unescaped. `None` for anything else.
    pub fn from_raw(raw: &RawValue) -> Option<Id> {
        let text = raw.get();
        match text.as_bytes().first()? {
            b'"' => serde_json::from_str(text).ok().map(Id::Text),
            b'-' | b'0'..=b'9' => Some(Id::Number(text.to_string())),
            _ => None,
        }
    }

    /// The id as a number, when it is a non-negative integer that fits a `u64` (as `chatroom
    /// send` uses).
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Id::Number(text) => text.parse().ok(),
            Id::Text(_) => None,
        }
    }
}

/// A point in time on the wire: RFC 3339, UTC, milliseconds (`2026-11-22T14:03:21.042Z`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp(pub DateTime<Utc>);

impl Timestamp {
    pub fn now() -> Self {
        Timestamp(Utc::now())
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.to_rfc3339_opts(SecondsFormat::Millis, true))
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Timestamp {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| Timestamp(t.with_timezone(&Utc)))
            .map_err(de::Error::custom)
    }
}

/// How a message was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageKind {
    /// To the whole room.
    Say,
    /// An action to the whole room (`/me`).
    Me,
    /// A private message to one person.
    Pm,
}

/// Why somebody left the room.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LeaveReason {
    /// They left on purpose.
    Quit,
    /// Their connection dropped.
    Disconnected,
    /// They fell too far behind reading and the host let them go.
    SendqExceeded,
    /// They answered nothing, not even the host's `ping`, for two `--keepalive` intervals.
    PingTimeout,
}

impl LeaveReason {
    /// Every reason, in the order the README's protocol section lists them.
    pub const ALL: [LeaveReason; 4] = [
        LeaveReason::Quit,
        LeaveReason::Disconnected,
        LeaveReason::SendqExceeded,
        LeaveReason::PingTimeout,
    ];

    /// The reason as people read it (plain mode, the host's console and transcript). The
    /// README's table of leave reasons must say the same (`tests/json_mode.rs` checks it).
    pub fn describe(self) -> &'static str {
        match self {
            LeaveReason::Quit => "quit",
            LeaveReason::Disconnected => "connection lost",
            LeaveReason::SendqExceeded => "too far behind: send queue exceeded",
            LeaveReason::PingTimeout => "ping timeout: no answer",
        }
    }

    /// The reason as the JSON `leave` event spells it.
    pub fn wire_name(self) -> &'static str {
        match self {
            LeaveReason::Quit => "quit",
            LeaveReason::Disconnected => "disconnected",
            LeaveReason::SendqExceeded => "sendq_exceeded",
            LeaveReason::PingTimeout => "ping_timeout",
        }
    }
}

/// The stable error codes; bots branch on these, people read the message beside them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    RoomFull,
    NickTaken,
    NickInvalid,
    BadHello,
    UnsupportedVersion,
    BadJson,
    BadRequest,
    UnknownType,
    UnknownCommand,
    LineTooLong,
    EmptyMessage,
    NoSuchNick,
    SlowDown,
    HandshakeTimeout,
    /// The room has a password and the hello carried none (see `--password-file`).
    PasswordRequired,
    /// The password was wrong; the connection is closed.
    BadPassword,
    /// Too many wrong passwords came from this address lately: it is refused for a while.
    TooManyBadPasswords,
    /// A private message to someone who is not reading, refused because the host's queues for
    /// such clients are full (`--max-queued`).
    NotDelivered,
    /// A `search` in a room that keeps no store (the host runs without `--store`).
    NoStore,
    /// The host cannot take this request now (too many searches waiting); try again shortly.
    Busy,
    /// A moderation request from someone who is not an operator (see `/op`).
    NotOperator,
    /// `/op` with a wrong operator password (or from an address locked out for guessing).
    BadOpPassword,
    /// A muted member spoke: it can still read, and the message says until when.
    Muted,
    /// The address is banned from the room; the message says until when and why. The
    /// connection is closed.
    Banned,
    /// The ban list is full (at most 1,024 bans): lift some with `unban` first.
    TooManyBans,
    /// Not allowed even to an operator: what the host's console alone may do, a ban covering
    /// one's own address or too wide a range, `op` in a room without an operator password.
    NotAllowed,
    /// The room cannot take messages now: its host is reconnecting to the room's Redis
    /// (`host --redis`). Send the message again after `room_back` (`send --retry` does).
    Unavailable,
    /// A code this client does not know yet (a newer host).
    #[serde(other)]
    Other,
}

impl ErrorCode {
    /// Errors that end the handshake for good; for the others a client may try another nick.
    pub fn is_nick_problem(self) -> bool {
        matches!(self, ErrorCode::NickTaken | ErrorCode::NickInvalid)
    }
}

/// The room's limits, announced in `welcome` so clients can check before sending.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Longest line accepted, in bytes.
    pub max_line: usize,
    /// Messages per second per client; 0 means unlimited.
    pub rate: u32,
    /// Messages a client may send at once before pacing starts.
    pub burst: u32,
    /// People allowed in the room at once.
    pub max_clients: usize,
}

#[cfg(test)]
impl Limits {
    /// A room with the host's default limits, for tests.
    pub const EXAMPLE: Limits = Limits {
        max_line: 4096,
        rate: 20,
        burst: 50,
        max_clients: 100,
    };
}

/// The room's topic, as the welcome carries it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TopicInfo {
    pub text: String,
    /// Who set it; absent when the host's console did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// When it was set.
    pub ts: Timestamp,
}

/// One ban, as the `bans` event lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BanEntry {
    /// The address (`10.0.0.7`) or range (`10.0.0.0/24`, `2001:db8::/64`) banned: what `unban`
    /// takes.
    pub target: String,
    /// When the ban was made.
    pub ts: Timestamp,
    /// The operator who made it; absent when the host's console did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
    /// When it ends; absent: until lifted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// A message as the room's store keeps it: the fields of its `message` event (a search result).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredMessage {
    pub seq: u64,
    pub ts: Timestamp,
    pub from: String,
    /// `say` or `me`: the store keeps no private messages.
    pub kind: MessageKind,
    pub text: String,
}

/// Everything the host sends to a JSON client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Event {
    Welcome {
        v: u32,
        nick: String,
        room: String,
        motd: Option<String>,
        /// Everyone here, in rooms up to the host's `--quiet-above` size; empty in bigger rooms
        /// (send `list` for the names).
        users: Vec<String>,
        /// How many people are here, you included.
        #[serde(default)]
        count: usize,
        limits: Limits,
        /// The room's topic, when it has one.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        topic: Option<TopicInfo>,
        /// The operators among `users`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        operators: Vec<String>,
        /// Who among `users` is away.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        away: Vec<String>,
    },
    Message {
        seq: u64,
        ts: Timestamp,
        from: String,
        kind: MessageKind,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        to: Option<String>,
        text: String,
        /// True for a message said before this client joined, replayed from the room's history
        /// (`host --history`) right after the welcome; absent for live messages.
        #[serde(default, skip_serializing_if = "is_false")]
        history: bool,
    },
    Join {
        seq: u64,
        ts: Timestamp,
        nick: String,
        count: usize,
    },
    Leave {
        seq: u64,
        ts: Timestamp,
        nick: String,
        reason: LeaveReason,
    },
    Nick {
        seq: u64,
        ts: Timestamp,
        old: String,
        new: String,
    },
    /// In rooms bigger than the host's `--quiet-above`, joins and leaves are summed up in one
    /// of these every couple of seconds instead of being announced one by one.
    Presence {
        seq: u64,
        ts: Timestamp,
        joined: u64,
        left: u64,
        count: usize,
    },
    Users {
        users: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<Id>,
        /// The operators among `users`.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        operators: Vec<String>,
        /// Who among `users` is away.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        away: Vec<String>,
    },
    Ack {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<Id>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<u64>,
    },
    Error {
        code: ErrorCode,
        message: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<Id>,
    },
    Quit {
        reason: String,
    },
    /// The end of the history replayed after the welcome (see `host --history`): `count`
    /// messages were replayed; `missed` public messages said after the hello's `since` are not
    /// among them because the room no longer holds them (an upper bound: it is counted in seq
    /// numbers, which joins, leaves and nickname changes use too); `reset` when `since` was
    /// beyond the room's last seq (the host restarted and its seq started over), in which case
    /// the latest history was replayed instead.
    HistoryEnd {
        count: usize,
        #[serde(default)]
        missed: u64,
        #[serde(default, skip_serializing_if = "is_false")]
        reset: bool,
    },
    /// The answer to a `ping`.
    Pong {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<Id>,
    },
    /// The answer to a `search`, to the asker alone: the newest stored messages with every word
    /// searched for, newest first, at most 20 (`results` is empty when none match).
    SearchResults {
        query: String,
        results: Vec<StoredMessage>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<Id>,
    },
    /// The host has heard nothing from this client for its `--keepalive` interval: answer with
    /// a `pong` request (any line will do) within another, or be let go (`ping_timeout`).
    Ping,
    /// In a room shared across hosts (`host --redis`): this host lost the room's Redis and is
    /// reconnecting (`reason` says why). Until `room_back`, messages are refused with
    /// `unavailable` (send them again then); what was already taken is not lost.
    RoomReconnecting {
        reason: String,
    },
    /// The host has the room's Redis again: messages are taken again.
    RoomBack,
    /// `nick` became an operator; `by` is absent when the host's console made it one (and when
    /// it gave the operator password itself, `by` is its own nick).
    Op(Change),
    /// `nick` is no longer an operator.
    Deop(Change),
    /// `nick` was put out of the room (it gets this too, then its connection is closed). It is
    /// also its leave: no `leave` event follows.
    Kick {
        #[serde(flatten)]
        change: Change,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// `target` (an address or a range) is banned; `nicks` were in the room from it and are
    /// closed after this (it is their leave too).
    Ban {
        seq: u64,
        ts: Timestamp,
        target: String,
        #[serde(default)]
        nicks: Vec<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<Timestamp>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
    },
    /// The ban on `target` was lifted.
    Unban {
        seq: u64,
        ts: Timestamp,
        target: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
    },
    /// The answer to `bans`, to the asker alone.
    Bans {
        bans: Vec<BanEntry>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<Id>,
    },
    /// `nick` may read but not speak, until `until` (absent: until unmuted).
    Mute {
        #[serde(flatten)]
        change: Change,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        until: Option<Timestamp>,
    },
    /// `nick` may speak again.
    Unmute(Change),
    /// With `seq`: the topic changed (`text` empty: cleared). Without: the answer to a `topic`
    /// request without text, to the asker alone, with when (`ts`) and by whom it was set (`text`
    /// empty and no `ts`: the room has no topic).
    Topic {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        seq: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        ts: Option<Timestamp>,
        text: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        by: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<Id>,
    },
    /// `nick` is away: to itself after `away`, and once to whoever sends it a private message.
    Away {
        nick: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
    },
    /// `nick` is back (to itself, after `back` or on speaking).
    Back {
        nick: String,
    },
    /// An event type this client does not know (a newer host): ignored by clients.
    #[serde(other)]
    Unknown,
}

/// For `skip_serializing_if`: flags that are false are left out.
fn is_false(flag: &bool) -> bool {
    !flag
}

impl Event {
    /// The event as one JSON line, newline included.
    pub fn to_json_line(&self) -> String {
        let mut line = serde_json::to_string(self).expect("events always serialize");
        line.push('\n');
        line
    }
}

/// What makes a message the same message when a client sends it again after a broken
/// connection: `cid`, the client's id (random, one per run of `chatroom send` or `join`), and
/// `mid`, the message's number within that run. The host takes each pair once (see
/// `server/dedupe.rs`) and answers a resend with the ack of the message it already took.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct MessageKey {
    pub cid: String,
    pub mid: u64,
}

impl MessageKey {
    /// Longest client id the host keeps: 128 random bits in hex are 32 characters.
    pub const MAX_CID: usize = 64;
}

/// What the events on a member share (`op`, `deop`, `kick`, `mute`, `unmute`): who was acted on,
/// by whom and when, in the room's order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub seq: u64,
    pub ts: Timestamp,
    /// The member acted on.
    pub nick: String,
    /// Who acted; absent for the host's console.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub by: Option<String>,
}

/// What a JSON client sends (the host parses these leniently in `parse.rs`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientRequest {
    Hello {
        v: u32,
        nick: String,
        /// `Some(false)`: the room announces neither this client's join nor its leave (a sender
        /// that only posts, such as `chatroom send`). Absent means announced.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        announce: Option<bool>,
        /// The room's password, for a room that has one (sent only then: see `Open::hello`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<crate::password::Password>,
        /// `Some(false)`: replay no history after the welcome; `Some(true)`: replay it. Absent:
        /// replayed unless `announce` is false (a sender that only posts reads none).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        history: Option<bool>,
        /// The last public seq this client saw: replay only the messages after it (a client
        /// coming back after a dropped connection), and say how many are no longer held.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        since: Option<u64>,
    },
    Say {
        text: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<Id>,
        /// Which send this is, so that the host takes a resend once (see [`MessageKey`]).
        #[serde(default, flatten, skip_serializing_if = "Option::is_none")]
        key: Option<MessageKey>,
    },
    Me {
        text: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<Id>,
        #[serde(default, flatten, skip_serializing_if = "Option::is_none")]
        key: Option<MessageKey>,
    },
    Pm {
        to: String,
        text: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<Id>,
        #[serde(default, flatten, skip_serializing_if = "Option::is_none")]
        key: Option<MessageKey>,
    },
    Nick {
        nick: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<Id>,
    },
    List {
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<Id>,
    },
    Quit {
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<Id>,
    },
    Ping {
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<Id>,
    },
    /// The answer to the host's `ping` event; nothing is sent back.
    Pong,
    /// Full-text search of a room with a store.
    Search {
        text: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<Id>,
    },
    /// Become an operator with the operator password, or (an operator) make `nick` one.
    Op {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<crate::password::Password>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        nick: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<Id>,
    },
    Deop {
        nick: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<Id>,
    },
    Kick {
        nick: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<Id>,
    },
    /// Ban a nick's address, an address, or a CIDR range, for `duration` seconds (absent: until
    /// lifted).
    Ban {
        target: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration: Option<u64>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        reason: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<Id>,
    },
    Unban {
        target: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<Id>,
    },
    Bans {
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<Id>,
    },
    Mute {
        nick: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        duration: Option<u64>,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<Id>,
    },
    Unmute {
        nick: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<Id>,
    },
    /// Without `text`: what is the topic? With it: set it (`""` clears).
    Topic {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        text: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<Id>,
    },
    Away {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        message: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<Id>,
    },
    Back {
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<Id>,
    },
}

impl ClientRequest {
    /// The request as one JSON line, newline included.
    pub fn to_json_line(&self) -> String {
        let mut line = serde_json::to_string(self).expect("requests always serialize");
        line.push('\n');
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_rfc3339_utc_millis() {
        let ts: Timestamp = serde_json::from_str("\"2026-11-22T14:03:21.042+01:00\"").unwrap();
        assert_eq!(ts.to_string(), "2026-11-22T13:03:21.042Z");
    }

    #[test]
    fn message_events_serialize_as_documented() {
        let ts: Timestamp = serde_json::from_str("\"2026-11-22T14:03:21.042Z\"").unwrap();
        let event = Event::Message {
            seq: 7,
            ts,
            from: "bob".into(),
            kind: MessageKind::Say,
            to: None,
            text: "hello".into(),
            history: false,
        };
        assert_eq!(
            event.to_json_line(),
            "{\"type\":\"message\",\"seq\":7,\"ts\":\"2026-11-22T14:03:21.042Z\",\"from\":\"bob\",\
             \"kind\":\"say\",\"text\":\"hello\"}\n"
        );
        assert_eq!(
            serde_json::from_str::<Event>(&event.to_json_line()).unwrap(),
            event
        );
    }

    #[test]
    fn unknown_events_and_fields_are_tolerated() {
        let event: Event = serde_json::from_str(r#"{"type":"typing","nick":"x"}"#).unwrap();
        assert_eq!(event, Event::Unknown);
        let event: Event =
            serde_json::from_str(r#"{"type":"quit","reason":"bye","extra":[1,2]}"#).unwrap();
        assert_eq!(
            event,
            Event::Quit {
                reason: "bye".into()
            }
        );
        let event: Event =
            serde_json::from_str(r#"{"type":"error","code":"brand_new","message":"m"}"#).unwrap();
        assert!(matches!(
            event,
            Event::Error {
                code: ErrorCode::Other,
                ..
            }
        ));
    }

    #[test]
    fn ids_are_strings_or_numbers_only() {
        assert_eq!(serde_json::from_str::<Id>("7").unwrap(), Id::from(7));
        assert_eq!(
            serde_json::from_str::<Id>("\"a\"").unwrap(),
            Id::Text("a".into())
        );
        assert!(serde_json::from_str::<Id>("[1]").is_err());
        assert!(serde_json::from_str::<Id>("{}").is_err());
        assert!(serde_json::from_str::<Id>("true").is_err());
    }

    #[test]
    fn raw_ids_are_echoed_exactly_as_sent() {
        for sent in [
            "7",
            "-0",
            "18446744073709551616",
            "123456789012345678901234567890",
            "1e3",
            "-1.50",
            r#""k\u00e9y""#,
        ] {
            let raw: Box<RawValue> = serde_json::from_str(sent).unwrap();
            let id = Id::from_raw(&raw).unwrap_or_else(|| panic!("{sent} is an id"));
            let ack = Event::Ack {
                id: Some(id),
                seq: None,
            };
            let echoed = match sent.starts_with('"') {
                true => r#""kéy""#.to_string(),
                false => sent.to_string(),
            };
            assert_eq!(
                ack.to_json_line(),
                format!("{{\"type\":\"ack\",\"id\":{echoed}}}\n")
            );
        }
        for refused in ["[1]", "{}", "true", "null"] {
            let raw: Box<RawValue> = serde_json::from_str(refused).unwrap();
            assert_eq!(Id::from_raw(&raw), None, "{refused}");
        }
        assert_eq!(Id::from(7).as_u64(), Some(7));
        assert_eq!(Id::Number("18446744073709551616".into()).as_u64(), None);
        assert_eq!(Id::Number("-0".into()).as_u64(), None);
    }

    #[test]
    fn leave_reasons_serialize_as_their_wire_names() {
        for reason in LeaveReason::ALL {
            assert_eq!(
                serde_json::to_value(reason).unwrap(),
                reason.wire_name(),
                "{reason:?}"
            );
        }
    }

    #[test]
    fn moderation_events_read_as_the_protocol_documents_them() {
        let ts = "2026-12-07T14:00:00.000Z";
        // Every line as the README's "Wire protocol" spells it: parsed, then written
        // back byte for byte.
        for line in [
            format!(r#"{{"type":"op","seq":20,"ts":"{ts}","nick":"ana","by":"bob"}}"#),
            format!(r#"{{"type":"deop","seq":21,"ts":"{ts}","nick":"ana"}}"#),
            format!(
                r#"{{"type":"kick","seq":22,"ts":"{ts}","nick":"eve","by":"ana","reason":"spam"}}"#
            ),
            format!(
                r#"{{"type":"ban","seq":23,"ts":"{ts}","target":"10.0.0.7","nicks":["eve"],"by":"ana","until":"2026-12-07T15:00:00.000Z","reason":"spam"}}"#
            ),
            format!(r#"{{"type":"unban","seq":24,"ts":"{ts}","target":"10.0.0.7","by":"ana"}}"#),
            format!(
                r#"{{"type":"bans","bans":[{{"target":"10.0.0.7","ts":"{ts}","by":"ana","until":"{ts}","reason":"spam"}}],"id":5}}"#
            ),
            format!(
                r#"{{"type":"mute","seq":25,"ts":"{ts}","nick":"eve","by":"ana","until":"{ts}"}}"#
            ),
            format!(r#"{{"type":"unmute","seq":26,"ts":"{ts}","nick":"eve","by":"ana"}}"#),
            format!(r#"{{"type":"topic","seq":27,"ts":"{ts}","text":"release day","by":"ana"}}"#),
            r#"{"type":"topic","text":"","id":3}"#.to_string(),
            r#"{"type":"away","nick":"bob","message":"lunch"}"#.to_string(),
            r#"{"type":"back","nick":"bob"}"#.to_string(),
            r#"{"type":"users","users":["ana","bob"],"operators":["ana"],"away":["bob"]}"#
                .to_string(),
        ] {
            let event: Event = serde_json::from_str(&line).unwrap();
            assert_ne!(event, Event::Unknown, "{line}");
            assert_eq!(event.to_json_line().trim_end(), line);
        }
        let welcome = format!(
            r#"{{"type":"welcome","v":1,"nick":"ana","room":"lobby","motd":null,"users":["ana"],"count":1,"limits":{{"max_line":4096,"rate":20,"burst":50,"max_clients":100}},"topic":{{"text":"release day","by":"bob","ts":"{ts}"}},"operators":["ana"]}}"#
        );
        let event: Event = serde_json::from_str(&welcome).unwrap();
        assert_eq!(event.to_json_line().trim_end(), welcome);
        // An older welcome, without them, still reads.
        let old = r#"{"type":"welcome","v":1,"nick":"a","room":"r","motd":null,"users":[],"count":1,"limits":{"max_line":1,"rate":1,"burst":1,"max_clients":1}}"#;
        assert!(matches!(
            serde_json::from_str::<Event>(old).unwrap(),
            Event::Welcome { topic: None, .. }
        ));
        for code in [
            "not_operator",
            "bad_op_password",
            "muted",
            "banned",
            "too_many_bans",
            "not_allowed",
        ] {
            let code: ErrorCode = serde_json::from_value(serde_json::json!(code)).unwrap();
            assert_ne!(code, ErrorCode::Other);
        }
    }

    #[test]
    fn requests_omit_absent_ids() {
        let req = ClientRequest::List { id: None };
        assert_eq!(req.to_json_line(), "{\"type\":\"list\"}\n");
    }
}
