//! A client's connection to a room: connecting, the JSON handshake, then events and requests.
//!
//! `send` and `join` both speak JSON-lines mode through this one type, so connect errors,
//! handshake errors and their exit codes are worded in one place.

use std::io;
use std::time::Duration;

use super::dial::{host_said, is_timeout};
use super::stream::{Incoming, Outgoing, Security};
use super::target::Target;
use crate::error::{Error, ExitStatus, Result, describe_io};
use crate::line::{Line, LineReader};
use crate::password::Password;
use crate::protocol::wire::{ClientRequest, Limits, TopicInfo, VERSION};
use crate::protocol::{ErrorCode, Event, plain};
use crate::sanitize;

/// Events can be long (a welcome in a room of thousands lists them all); this bounds them.
const MAX_EVENT_LINE: usize = 8 * 1024 * 1024;

/// What the room told us when we joined.
#[derive(Debug, Clone)]
pub struct Welcome {
    pub nick: String,
    pub room: String,
    pub motd: Option<String>,
    /// Everyone here; empty in rooms too big to list on joining (see `count`).
    pub users: Vec<String>,
    /// How many people are here, us included.
    pub count: usize,
    pub limits: Limits,
    /// The room's topic, when it has one.
    pub topic: Option<TopicInfo>,
    /// The operators among `users`.
    pub operators: Vec<String>,
    /// Who among `users` is away.
    pub away: Vec<String>,
    /// The welcome line exactly as the host sent it, for `join --json` to pass on untouched.
    pub line: String,
}

/// The reading half of a joined connection.
pub struct EventStream {
    lines: LineReader<Incoming>,
    /// The last plain-text `error: ...` line skipped: what a host says before closing on a
    /// client it will not serve (a TLS host to a client without --tls), for the error message.
    plain_error: Option<String>,
}

/// The writing half of a joined connection.
pub struct Requests {
    stream: Outgoing,
}

/// A joined connection: what the room said, and its two halves.
pub type Joined = (Welcome, EventStream, Requests);

/// Connects, says hello as `nick`, and waits for the welcome. Without a password the hello goes
/// out at once (the greeting is skipped as it arrives); with one, it waits for the greeting and
/// sends the password only if the greeting asks for it (see [`join_announced`]).
pub fn join(
    target: &Target,
    security: &Security,
    nick: &str,
    password: Option<&Password>,
    timeout: Duration,
) -> Result<Joined> {
    join_announced(target, security, nick, password, timeout, true)
}

/// Like [`join`], but with `announce: false` the room announces neither our join nor our leave,
/// and replays us no history (`chatroom send`, which only posts).
pub fn join_announced(
    target: &Target,
    security: &Security,
    nick: &str,
    password: Option<&Password>,
    timeout: Duration,
    announce: bool,
) -> Result<Joined> {
    join_since(target, security, (nick, password), timeout, announce, None)
}

/// Joins again after a broken connection, asking for the messages after `since`, the last
/// public seq we saw (`None` before we saw any): the room replays them after the welcome, then
/// says how many it no longer has (`history_end`).
pub fn rejoin(
    target: &Target,
    security: &Security,
    (nick, password): (&str, Option<&Password>),
    timeout: Duration,
    since: Option<u64>,
) -> Result<Joined> {
    join_since(
        target,
        security,
        (nick, password),
        timeout,
        true,
        Some(since.unwrap_or(0)),
    )
}

fn join_since(
    target: &Target,
    security: &Security,
    (nick, password): (&str, Option<&Password>),
    timeout: Duration,
    announce: bool,
    since: Option<u64>,
) -> Result<Joined> {
    // A password goes out only to a host whose greeting asked for it: never to a room without
    // one, and never before we know what answered (a `--tls` host reached without --tls says so
    // instead of greeting, and must not be sent the password in clear).
    let mut open = match password {
        None => open(target, security, timeout)?,
        Some(_) => greet(target, security, timeout)?,
    };
    let password = password.filter(|_| open.needs_password);
    open.since = since;
    match open.hello_announced(nick, password, announce)? {
        Hello::Joined(joined) => Ok(*joined),
        Hello::NickRefused(message, _) => Err(refused(target, ErrorCode::NickTaken, &message)),
        Hello::Closed => Err(open_lost(
            target,
            "the host closed the connection before welcoming us",
        )),
    }
}

/// A connection on which we have not said hello yet.
pub struct Open {
    target: Target,
    timeout: Duration,
    /// The greeting asked for the room's password (see [`Open::needs_password`]).
    needs_password: bool,
    /// The last public seq we saw, when coming back: the hello asks for what came after.
    since: Option<u64>,
    events: EventStream,
    requests: Requests,
}

/// The room's answer to a hello on an [`Open`] connection.
pub enum Hello {
    Joined(Box<Joined>),
    /// The room refused the nickname, saying why; the connection waits for another.
    NickRefused(String, Box<Open>),
    /// The host closed the connection without answering: it gave up waiting for a nickname
    /// (`--handshake-timeout`), or went away. A fresh connection may do.
    Closed,
}

/// Connects and waits for the host's greeting, before any nickname is chosen: an interactive
/// client learns that there is no host, or that it turns everyone away, before asking for one.
///
/// A host too busy to serve us says so in its first line (`error: ...`) and closes; a full room
/// says so in its greeting (see `plain::greeting_when_full`). A room that fills up between the
/// greeting and the hello refuses the hello.
pub fn greet(target: &Target, security: &Security, timeout: Duration) -> Result<Open> {
    let mut open = open(target, security, timeout)?;
    if let Security::Plain = security {
        // A TLS host says nothing before our first byte (it tells TLS from plain by it); a
        // blank line, which every host ignores before a hello, makes it explain at once.
        let _ = open.requests.send_line("\n");
    }
    match open.events.lines.next_line() {
        Ok(Some(Line::Text(first))) => {
            if let Some(why) = first.strip_prefix("error:") {
                return Err(host_said(target, why));
            }
            if let Some(full) = plain::full_room_in_greeting(&first) {
                return Err(refused(
                    target,
                    ErrorCode::RoomFull,
                    &sanitize::clean(&full),
                ));
            }
            open.needs_password = plain::asks_for_password(&first);
            Ok(open)
        }
        Ok(Some(Line::TooLong)) => Ok(open),
        Ok(None) => Err(open_lost(target, "the host closed the connection at once")),
        Err(e) if is_timeout(&e) => Err(no_answer(target, "greeting", timeout)),
        Err(e) => Err(open_lost(target, &describe_io(&e))),
    }
}

/// Connects (in clear or over TLS), with the handshake's time limits on the socket.
fn open(target: &Target, security: &Security, timeout: Duration) -> Result<Open> {
    let (reader, writer) = security
        .connect(target, timeout)?
        .split()
        .map_err(|e| open_lost(target, &describe_io(&e)))?;
    Ok(Open {
        target: target.clone(),
        timeout,
        needs_password: false,
        since: None,
        requests: Requests { stream: writer },
        events: EventStream {
            lines: LineReader::new(reader, MAX_EVENT_LINE, 16 * 1024),
            plain_error: None,
        },
    })
}

impl Open {
    /// Whether the host's greeting asked for a password (known after [`greet`] only).
    pub fn needs_password(&self) -> bool {
        self.needs_password
    }

    /// The host closed the connection before welcoming us: why, if it said so in plain text.
    fn closed(&mut self) -> Result<Hello> {
        match self.events.plain_error.take() {
            Some(why) => Err(host_said(&self.target, &why)),
            None => Ok(Hello::Closed),
        }
    }

    /// Says hello as `nick` (with the room's `password`, if given) and waits for the room's
    /// answer.
    pub fn hello(self, nick: &str, password: Option<&Password>) -> Result<Hello> {
        self.hello_announced(nick, password, true)
    }

    /// Like [`Open::hello`]; with `announce: false` the room announces neither our join nor
    /// our leave.
    fn hello_announced(
        mut self,
        nick: &str,
        password: Option<&Password>,
        announce: bool,
    ) -> Result<Hello> {
        let hello = ClientRequest::Hello {
            v: VERSION,
            nick: nick.to_string(),
            // Only a quiet hello says so: older hosts know no such field, and need none.
            announce: (!announce).then_some(false),
            password: password.cloned(),
            // An unannounced client (a sender that only posts) gets no history unless it asks:
            // the host renders none for it, and it reads none.
            history: None,
            since: self.since,
        };
        if self.requests.send(&hello).is_err() {
            return Ok(Hello::Closed);
        }
        loop {
            let (line, event) = match self.events.next_raw_event() {
                Ok(Some(received)) => received,
                Ok(None) => return self.closed(),
                Err(e) if e.kind() == io::ErrorKind::ConnectionReset => return self.closed(),
                // Connected but never answered: as unreachable as a host that refused us.
                Err(e) if is_timeout(&e) => {
                    return Err(no_answer(&self.target, "welcome", self.timeout));
                }
                Err(e) => return Err(open_lost(&self.target, &describe_io(&e))),
            };
            match event {
                Event::Welcome {
                    nick,
                    room,
                    motd,
                    users,
                    count,
                    limits,
                    topic,
                    operators,
                    away,
                    ..
                } => {
                    let welcome = Welcome {
                        nick,
                        room,
                        motd,
                        // Hosts from before `count` existed always listed everyone.
                        count: count.max(users.len()),
                        users,
                        limits,
                        // A topic of nothing is no topic.
                        topic: topic.filter(|topic| !topic.text.is_empty()),
                        operators,
                        away,
                        line,
                    };
                    let joined = (welcome, self.events, self.requests);
                    return Ok(Hello::Joined(Box::new(joined)));
                }
                Event::Error { code, message, .. } if code.is_nick_problem() => {
                    return Ok(Hello::NickRefused(message, Box::new(self)));
                }
                // A banned address: the room will not have us back, whatever we try.
                Event::Error {
                    code: ErrorCode::Banned,
                    message,
                    ..
                } => {
                    return Err(Error::new(
                        ExitStatus::Removed,
                        format!("{} refused us: {}", self.target, sanitize::clean(&message)),
                    ));
                }
                Event::Error { code, message, .. } => {
                    return Err(refused(&self.target, code, &message));
                }
                _ => {}
            }
        }
    }
}

/// A connection that broke during the handshake.
fn open_lost(target: &Target, why: &str) -> Error {
    Error::transient(ExitStatus::ConnectionLost, format!("{target}: {why}"))
}

/// Connected, but `what` never came: as unreachable as a host that refused us.
fn no_answer(target: &Target, what: &str, timeout: Duration) -> Error {
    Error::transient(
        ExitStatus::CannotConnect,
        format!(
            "cannot connect to {target}: no {what} within {} s (is this a chatroom host?)",
            timeout.as_secs()
        ),
    )
}

/// What to do about a room that needs a password we did not give (`send`, a piped `join`:
/// they never ask).
pub const PASSWORD_HINT: &str = "the room needs a password: give --password-file or \
                                 CHATROOM_PASSWORD";

/// The error for a handshake the room turned down.
fn refused(target: &Target, code: ErrorCode, message: &str) -> Error {
    let status = match code {
        ErrorCode::RoomFull
        | ErrorCode::NickTaken
        | ErrorCode::NickInvalid
        | ErrorCode::PasswordRequired
        | ErrorCode::BadPassword
        | ErrorCode::TooManyBadPasswords => ExitStatus::Rejected,
        _ => ExitStatus::Failure,
    };
    if code == ErrorCode::PasswordRequired {
        return Error::new(status, format!("{target}: {PASSWORD_HINT}"));
    }
    let message = format!("{target} refused us: {message}");
    // A full room may have room later; a nickname may be held by our own connection that the
    // host has not seen drop yet (see `retry::worth_retrying`).
    match code {
        ErrorCode::RoomFull | ErrorCode::NickTaken => Error::transient(status, message),
        _ => Error::new(status, message),
    }
}

impl EventStream {
    /// The next event, skipping lines that are not JSON (the plain greeting). `None` at EOF.
    pub fn next_event(&mut self) -> io::Result<Option<Event>> {
        Ok(self.next_raw_event()?.map(|(_, event)| event))
    }

    /// The next event with the line it came in (`join --json` passes lines on untouched, fields
    /// this client does not know included). `None` at EOF.
    pub fn next_raw_event(&mut self) -> io::Result<Option<(String, Event)>> {
        loop {
            match self.lines.next_line()? {
                None => return Ok(None),
                Some(Line::TooLong) => continue,
                Some(Line::Text(text)) => {
                    if !text.starts_with('{') {
                        if let Some(why) = text.strip_prefix("error:") {
                            self.plain_error = Some(why.to_string());
                        }
                        continue;
                    }
                    if let Ok(event) = serde_json::from_str(&text) {
                        return Ok(Some((text, event)));
                    }
                }
            }
        }
    }

    /// Changes how long [`EventStream::next_event`] waits (`None`: forever).
    pub fn set_timeout(&self, timeout: Option<Duration>) -> io::Result<()> {
        self.lines.get_ref().set_read_timeout(timeout)
    }

    /// Gives up on the connection (the host stopped answering): shuts it down both ways, so the
    /// writing half fails at once instead of waiting on a host that reads nothing.
    pub fn abandon(&self) {
        self.lines.get_ref().shutdown();
    }
}

impl Requests {
    pub fn send(&mut self, request: &ClientRequest) -> io::Result<()> {
        self.stream.write_all(request.to_json_line().as_bytes())
    }

    /// Sends an already serialized line (newline included).
    pub fn send_line(&mut self, line: &str) -> io::Result<()> {
        self.stream.write_all(line.as_bytes())
    }

    /// Closes our sending side: the host sees end of input after everything we sent.
    pub fn finish(&self) {
        self.stream.finish();
    }
}
