//! Turning the lines a client sends into requests the room can trust.
//!
//! Everything that leaves this module is already sanitized: texts have no control characters,
//! nicknames follow the rules, so the room's logic never sees raw peer input. What cannot be
//! parsed becomes a [`Refusal`]: an error code and a sentence for the sender, never a disconnect.
//! A flood of junk is bounded before it gets here, by the line limit and the sender's token
//! bucket. The same plain-mode command parser serves `chatroom join`, so the host and the client
//! agree on what `/msg` or `//text` mean.

use std::time::Duration;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::moderation::{self, BanTarget, MAX_AWAY, MAX_REASON, MAX_TOPIC};
pub use super::refusal::Refusal;
use super::wire::{ClientRequest, ErrorCode, Id, MessageKey, VERSION};
use crate::password::Password;
use crate::{nick, sanitize};

/// Which dialect a connection speaks; fixed by its first line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Human-readable lines, for nc/telnet users.
    Plain,
    /// One JSON object per line, for `chatroom send`, `chatroom join` and bots.
    Json,
}

/// What a connection's first line asked for.
#[derive(Debug, PartialEq, Eq)]
pub enum Handshake {
    /// Join the room under this (valid) nickname; `announce: false` asks the room not to
    /// announce the join or the leave, and `password` is the room's password (JSON mode only:
    /// a plain-mode user gives the password on a line of its own, see [`parse_password`]).
    Hello {
        mode: Mode,
        nick: String,
        announce: bool,
        password: Option<Password>,
        replay: Replay,
    },
    /// A plain-mode line that is an attempt at the room's password (see [`parse_password`]).
    Password(Password),
    /// Leave before joining.
    Quit,
    /// A blank line: keep waiting for a nickname.
    Blank,
}

/// Which of the room's history a newcomer asked for (the JSON hello's `history` and `since`;
/// a plain-mode user always gets [`Replay::Recent`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replay {
    /// The latest messages the room holds.
    Recent,
    /// The messages after this public seq, the last one the client saw.
    Since(u64),
    /// None at all (`"history": false`, as `chatroom send` asks).
    Off,
}

impl Replay {
    /// What a hello's `history` and `since` ask for: `history: false` wins over `since`. Without
    /// `history`, an unannounced member (a sender that only posts, like `chatroom send`) gets
    /// none, and the rest get the latest: a sender pays for no history it would throw away,
    /// without a field that would lengthen its hello.
    fn asked(history: Option<bool>, since: Option<u64>, announce: bool) -> Self {
        match (history.unwrap_or(announce), since) {
            (false, _) => Replay::Off,
            (true, Some(seq)) => Replay::Since(seq),
            (true, None) => Replay::Recent,
        }
    }
}

/// A request from a member of the room, sanitized and validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    Say(String),
    Me(String),
    Pm {
        to: String,
        text: String,
    },
    Nick(String),
    List,
    Quit,
    Help,
    /// Are you there? Answered with a `pong`, in order with everything else.
    Ping,
    /// The answer to the host's `ping` (JSON only): a sign of life, nothing more.
    Pong,
    /// Full-text search of the stored room (`/search TEXT`): the words as typed, for the room
    /// to turn into a query (see `store::search`).
    Search(String),
    /// Become an operator, or make someone one (`/op WORD`).
    Op(OpArg),
    /// Take operator rights away (`/deop NICK`).
    Deop(String),
    /// Put a member out of the room (`/kick NICK [REASON]`).
    Kick {
        nick: String,
        reason: Option<String>,
    },
    /// Ban an address or range (`/ban TARGET [DURATION] [REASON]`); without `duration`, until
    /// lifted.
    Ban {
        target: BanTarget,
        duration: Option<std::time::Duration>,
        reason: Option<String>,
    },
    /// Lift a ban (`/unban TARGET`).
    Unban(BanTarget),
    /// List the bans (`/bans`).
    Bans,
    /// Let a member read but not speak (`/mute NICK [DURATION]`).
    Mute {
        nick: String,
        duration: Option<std::time::Duration>,
    },
    /// Let a muted member speak again (`/unmute NICK`).
    Unmute(String),
    /// `None`: what is the topic? `Some("")`: clear it; otherwise set it (`/topic [TEXT]`).
    Topic(Option<String>),
    /// Mark oneself away, with a message or without (`/away [MESSAGE]`).
    Away(Option<String>),
    /// No longer away (`/back`).
    Back,
}

impl Request {
    /// Whether the room carries this out as moderation (`server/room/moderation.rs`): the
    /// requests the host's console may make too.
    pub fn is_moderation(&self) -> bool {
        matches!(
            self,
            Request::Op(_)
                | Request::Deop(_)
                | Request::Kick { .. }
                | Request::Ban { .. }
                | Request::Unban(_)
                | Request::Bans
                | Request::Mute { .. }
                | Request::Unmute(_)
                | Request::Topic(_)
                | Request::Away(_)
                | Request::Back
        )
    }
}

/// What `op` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpArg {
    /// The operator password (JSON `password`).
    Password(Password),
    /// A member to make an operator (JSON `nick`).
    Nick(String),
    /// A plain-mode `/op WORD`: the nickname of a member if one has it, else the password; the
    /// room, which knows who is here, decides. Held as a password so that it never prints.
    Word(Password),
}

/// A JSON request with the id to echo in the reply.
#[derive(Debug, PartialEq, Eq)]
pub struct Incoming {
    pub id: Option<Id>,
    pub request: Request,
    /// For a message sent with `cid` and `mid`: what tells a resend from a new message.
    pub key: Option<MessageKey>,
}

/// Every field any request may carry; which ones matter depends on `type`.
///
/// One flat struct instead of a tagged enum lets us tell "unknown type" from "missing field" and
/// answer each with its own error code, in a single pass over the line.
#[derive(Deserialize)]
struct RawRequest {
    #[serde(rename = "type")]
    kind: Option<String>,
    /// Kept as the client wrote it, so the reply echoes it exactly (see [`Id::from_raw`]).
    id: Option<Box<RawValue>>,
    v: Option<u64>,
    nick: Option<String>,
    to: Option<String>,
    text: Option<String>,
    /// In a hello: `false` for a member whose join and leave are not announced.
    announce: Option<bool>,
    /// In a message: the client's id and the message's number (see [`MessageKey`]).
    cid: Option<String>,
    mid: Option<u64>,
    /// In a hello: the room's password. Taken raw and checked here, so that serde's messages,
    /// which quote what they could not read, never carry it back (see [`hello_password`]).
    password: Option<Box<RawValue>>,
    /// In a hello: `false` for no history after the welcome.
    history: Option<bool>,
    /// In a hello: the last public seq the client saw, to be replayed what came after.
    since: Option<u64>,
    /// In a ban or unban: a nickname, an address or a range.
    target: Option<String>,
    /// In a ban or mute: seconds.
    duration: Option<u64>,
    /// In a kick or ban.
    reason: Option<String>,
    /// In an away.
    message: Option<String>,
}

/// Lines that end a plain-mode session: the commands and the classic tutorial sentinels.
fn is_plain_quit(line: &str) -> bool {
    matches!(line, "/quit" | "/exit" | "<quit>" | "{quit}") || line.starts_with("/quit ")
}

/// Parses a connection's first line (and any retry after a refused nickname).
pub fn parse_handshake(line: &str) -> Result<Handshake, Refusal> {
    let line = line.trim();
    if line.is_empty() {
        return Ok(Handshake::Blank);
    }
    if is_plain_quit(line) {
        return Ok(Handshake::Quit);
    }
    if line.starts_with('{') {
        return parse_json_hello(line);
    }
    check_new_nick(line)?;
    Ok(Handshake::Hello {
        mode: Mode::Plain,
        nick: line.to_string(),
        announce: true,
        password: None,
        replay: Replay::Recent,
    })
}

/// What a plain-mode line means while the room waits for its password: the password, or (as
/// before a nickname) a blank line, a quit, or a JSON hello, which carries its own password.
pub fn parse_password(line: &str) -> Result<Handshake, Refusal> {
    let trimmed = line.trim();
    if trimmed.is_empty() || is_plain_quit(trimmed) || trimmed.starts_with('{') {
        return parse_handshake(line);
    }
    // Compared as typed: spaces around a password are part of it.
    Ok(Handshake::Password(Password::attempt(line.to_string())))
}

fn parse_json_hello(line: &str) -> Result<Handshake, Refusal> {
    let raw: RawRequest = serde_json::from_str(line).map_err(|e| {
        Refusal::new(
            ErrorCode::BadHello,
            format!("the first line must be a nickname or a JSON hello ({e})"),
        )
    })?;
    if raw.kind.as_deref() != Some("hello") {
        return Err(Refusal::new(
            ErrorCode::BadHello,
            "the first message must be {\"type\":\"hello\",\"v\":1,\"nick\":\"...\"}",
        ));
    }
    match raw.v {
        None => {}
        Some(v) if v == u64::from(VERSION) => {}
        Some(v) => {
            return Err(Refusal::new(
                ErrorCode::UnsupportedVersion,
                format!(
                    "protocol version {v} is not supported; this host speaks version {VERSION}"
                ),
            ));
        }
    }
    let nick = raw
        .nick
        .ok_or_else(|| Refusal::new(ErrorCode::BadHello, "the hello has no \"nick\""))?;
    check_new_nick(&nick)?;
    Ok(Handshake::Hello {
        mode: Mode::Json,
        nick,
        announce: raw.announce.unwrap_or(true),
        password: hello_password(raw.password.as_deref())?,
        replay: Replay::asked(raw.history, raw.since, raw.announce.unwrap_or(true)),
    })
}

/// The password a hello carries, if any: it must be a JSON string. The refusal never quotes it.
fn hello_password(raw: Option<&RawValue>) -> Result<Option<Password>, Refusal> {
    raw.map(|raw| {
        serde_json::from_str::<String>(raw.get())
            .map(Password::attempt)
            .map_err(|_| {
                Refusal::new(
                    ErrorCode::BadHello,
                    "the hello's \"password\" must be a string",
                )
            })
    })
    .transpose()
}

fn check_nick(nick: &str) -> Result<(), Refusal> {
    nick::validate(nick).map_err(|e| Refusal::new(ErrorCode::NickInvalid, e.to_string()))
}

/// A nickname someone takes (a hello, a plain nickname line, `/nick`): valid, and not one that
/// `/ban` would read as an address (see [`moderation::reads_as_address`]).
fn check_new_nick(nick: &str) -> Result<(), Refusal> {
    check_nick(nick)?;
    if moderation::reads_as_address(nick) {
        return Err(Refusal::new(
            ErrorCode::NickInvalid,
            format!(
                "nickname '{nick}' is only digits and dots, like an address (/ban could not \
                 tell them apart); add a letter"
            ),
        ));
    }
    Ok(())
}

/// Sanitizes a message text; refuses it when nothing printable is left.
fn message_text(text: &str) -> Result<String, Refusal> {
    let text = sanitize::clean(text);
    if text.trim().is_empty() {
        return Err(Refusal::new(
            ErrorCode::EmptyMessage,
            "the message is empty",
        ));
    }
    Ok(text)
}

/// The words of a search, sanitized; refused when nothing printable is left.
fn search_text(text: &str) -> Result<String, Refusal> {
    let text = sanitize::clean(text);
    if text.trim().is_empty() {
        return Err(Refusal::new(
            ErrorCode::BadRequest,
            "a search needs something to search for",
        ));
    }
    Ok(text.trim().to_string())
}

/// Parses a plain-mode line: a command or a message. Blank lines give `Ok(None)`.
pub fn parse_plain(line: &str) -> Result<Option<Request>, Refusal> {
    if line.trim().is_empty() {
        return Ok(None);
    }
    if is_plain_quit(line.trim()) {
        return Ok(Some(Request::Quit));
    }
    // `//text` is how a message that starts with a slash is sent.
    if let Some(literal) = line.strip_prefix("//") {
        return message_text(&format!("/{literal}")).map(|t| Some(Request::Say(t)));
    }
    let Some(command_line) = line.strip_prefix('/') else {
        return message_text(line).map(|t| Some(Request::Say(t)));
    };
    let (command, rest) = match command_line.split_once(char::is_whitespace) {
        Some((command, rest)) => (command, rest.trim()),
        None => (command_line, ""),
    };
    let request = match command.to_ascii_lowercase().as_str() {
        "list" | "who" | "names" => Request::List,
        "help" => Request::Help,
        "ping" => Request::Ping,
        "search" => Request::Search(search_text(rest).map_err(|_| usage("/search WORDS"))?),
        "me" => Request::Me(message_text(rest).map_err(|_| usage("/me ACTION"))?),
        "nick" => {
            if rest.is_empty() {
                return Err(usage("/nick NEW"));
            }
            check_new_nick(rest)?;
            Request::Nick(rest.to_string())
        }
        "op" => match rest {
            "" => return Err(usage("/op PASSWORD (or /op NICK)")),
            word => Request::Op(OpArg::Word(Password::attempt(word.to_string()))),
        },
        "deop" => Request::Deop(one_nick(rest, "/deop NICK")?),
        "kick" => {
            let (nick, reason) = split_word(rest);
            Request::Kick {
                nick: one_nick(nick, "/kick NICK [REASON]")?,
                reason: moderation::free_text(reason, "reason", MAX_REASON)?,
            }
        }
        "ban" => plain_ban(rest)?,
        "unban" => match rest {
            "" => return Err(usage("/unban ADDRESS|RANGE (as /bans lists it)")),
            target => Request::Unban(BanTarget::parse(target)?),
        },
        "bans" => Request::Bans,
        "mute" => {
            let form = "/mute NICK [DURATION]";
            let (nick, duration) = split_word(rest);
            let duration = match duration {
                "" => None,
                word => Some(moderation::typed_duration(word).unwrap_or_else(|| Err(usage(form)))?),
            };
            Request::Mute {
                nick: one_nick(nick, form)?,
                duration,
            }
        }
        "unmute" => Request::Unmute(one_nick(rest, "/unmute NICK")?),
        "topic" => Request::Topic(match rest {
            "" => None,
            "-" => Some(String::new()),
            text => moderation::free_text(text, "topic", MAX_TOPIC)?,
        }),
        "away" => Request::Away(moderation::free_text(rest, "away message", MAX_AWAY)?),
        "back" => Request::Back,
        "msg" | "pm" => {
            let (to, text) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            let text = text.trim_start();
            if to.is_empty() {
                return Err(usage("/msg NICK TEXT"));
            }
            let text = message_text(text).map_err(|_| usage("/msg NICK TEXT"))?;
            Request::Pm {
                to: sanitize::clean(to),
                text,
            }
        }
        _ => {
            return Err(Refusal::new(
                ErrorCode::UnknownCommand,
                format!(
                    "unknown command /{}; type /help for the list (//text sends /text)",
                    sanitize::clean(command)
                ),
            ));
        }
    };
    Ok(Some(request))
}

/// The first word of `rest` and what follows it (trimmed).
fn split_word(rest: &str) -> (&str, &str) {
    match rest.split_once(char::is_whitespace) {
        Some((word, more)) => (word, more.trim()),
        None => (rest, ""),
    }
}

/// A command's one nickname: present, alone, and valid.
fn one_nick(rest: &str, form: &str) -> Result<String, Refusal> {
    if rest.is_empty() || rest.contains(char::is_whitespace) {
        return Err(usage(form));
    }
    check_nick(rest)?;
    Ok(rest.to_string())
}

/// `/ban TARGET [DURATION] [REASON]`: the word after the target is a duration when it looks like
/// one, otherwise the reason starts there.
fn plain_ban(rest: &str) -> Result<Request, Refusal> {
    let (target, more) = split_word(rest);
    if target.is_empty() {
        return Err(usage("/ban NICK|ADDRESS|RANGE [DURATION] [REASON]"));
    }
    let (word, after) = split_word(more);
    let (duration, reason) = match moderation::typed_duration(word) {
        Some(duration) => (Some(duration?), after),
        None => (None, more),
    };
    Ok(Request::Ban {
        target: BanTarget::parse(target)?,
        duration,
        reason: moderation::free_text(reason, "reason", MAX_REASON)?,
    })
}

/// A JSON request's optional free text field, refused when too long.
fn json_text(field: Option<&str>, what: &str, max: usize) -> Result<Option<String>, Refusal> {
    field.map_or(Ok(None), |text| moderation::free_text(text, what, max))
}

/// A JSON request's `nick`, present and valid.
fn json_nick(raw: &RawRequest, missing: impl Fn(&str) -> Refusal) -> Result<String, Refusal> {
    let nick = raw.nick.as_ref().ok_or_else(|| missing("nick"))?;
    check_nick(nick)?;
    Ok(nick.clone())
}

/// A JSON `op`: a password, or the nickname of a member to make an operator.
fn json_op(raw: &RawRequest) -> Result<Request, Refusal> {
    match (raw.password.as_deref(), &raw.nick) {
        (Some(password), None) => {
            let password = serde_json::from_str::<String>(password.get()).map_err(|_| {
                Refusal::new(ErrorCode::BadRequest, "the \"password\" must be a string")
            })?;
            Ok(Request::Op(OpArg::Password(Password::attempt(password))))
        }
        (None, Some(nick)) => {
            check_nick(nick)?;
            Ok(Request::Op(OpArg::Nick(nick.clone())))
        }
        _ => Err(Refusal::new(
            ErrorCode::BadRequest,
            "an \"op\" request carries \"password\" or \"nick\" (one of them)",
        )),
    }
}

/// A JSON `duration` in seconds, if given.
fn json_duration(raw: &RawRequest) -> Result<Option<std::time::Duration>, Refusal> {
    raw.duration.map(moderation::seconds).transpose()
}

/// The `text` of a JSON request, refused when missing or when it holds a line break: the
/// protocol is one message per line, and a break would otherwise vanish (`"a\nb"` read as `ab`).
fn text_field(raw: &RawRequest, missing: impl Fn(&str) -> Refusal) -> Result<&str, Refusal> {
    let text = raw.text.as_deref().ok_or_else(|| missing("text"))?;
    if text.contains(['\n', '\r']) {
        return Err(Refusal::new(
            ErrorCode::BadRequest,
            "the text holds a line break (\\n or \\r); send each line as its own message",
        ));
    }
    Ok(text)
}

/// The request's id, when it has one of the shapes an id may have.
fn request_id(raw: &RawRequest) -> Result<Option<Id>, Refusal> {
    raw.id
        .as_deref()
        .map(|raw| {
            Id::from_raw(raw).ok_or_else(|| {
                Refusal::new(
                    ErrorCode::BadRequest,
                    "the \"id\" must be a string or a number",
                )
            })
        })
        .transpose()
}

/// The message's resend key, when it carries `cid` and `mid` (both, or neither).
fn message_key(raw: &RawRequest) -> Result<Option<MessageKey>, Refusal> {
    let bad = |why: &str| Err(Refusal::new(ErrorCode::BadRequest, why.to_string()));
    match (&raw.cid, raw.mid) {
        (None, None) => Ok(None),
        (Some(cid), Some(mid)) => {
            let fits = !cid.is_empty()
                && cid.len() <= MessageKey::MAX_CID
                && cid
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !fits {
                return bad(
                    "the \"cid\" must be 1 to 64 letters, digits, '-' or '_' (a random hex \
                     string, say)",
                );
            }
            Ok(Some(MessageKey {
                cid: cid.clone(),
                mid,
            }))
        }
        _ => bad("a message carries both \"cid\" and \"mid\", or neither"),
    }
}

fn usage(form: &str) -> Refusal {
    Refusal::new(ErrorCode::BadRequest, format!("usage: {form}"))
}

/// The refusal of a JSON line serde could not read into a [`RawRequest`]. A well-formed object
/// with a field of the wrong type (`"duration": "10m"`) still has its id echoed, so that a bot
/// knows which request failed; serde's message, which may quote the field, is sanitized.
fn unreadable(line: &str, e: &serde_json::Error) -> Refusal {
    #[derive(Deserialize)]
    struct IdOnly {
        id: Option<Box<RawValue>>,
    }
    if !e.is_data() {
        return Refusal::new(ErrorCode::BadJson, format!("cannot read the request: {e}"));
    }
    let id = serde_json::from_str::<IdOnly>(line)
        .ok()
        .and_then(|raw| raw.id.as_deref().and_then(Id::from_raw));
    let message = format!(
        "cannot read the request: {}",
        sanitize::clean(&e.to_string())
    );
    Refusal::new(ErrorCode::BadRequest, message).with_id(id)
}

/// Parses a JSON-mode line into a request with its id.
pub fn parse_json(line: &str) -> Result<Incoming, Refusal> {
    let raw: RawRequest = serde_json::from_str(line).map_err(|e| unreadable(line, &e))?;
    let id = request_id(&raw)?;
    let key = message_key(&raw).map_err(|refusal| refusal.with_id(id.clone()))?;
    let missing = |field: &str| {
        Refusal::new(
            ErrorCode::BadRequest,
            format!(
                "a \"{}\" request needs \"{field}\"",
                raw.kind.as_deref().unwrap_or("")
            ),
        )
    };
    let request = match raw.kind.as_deref() {
        Some("say") => text_field(&raw, missing)
            .and_then(message_text)
            .map(Request::Say),
        Some("me") => text_field(&raw, missing)
            .and_then(message_text)
            .map(Request::Me),
        Some("pm") => match (&raw.to, text_field(&raw, missing)) {
            (None, _) => Err(missing("to")),
            (_, Err(refusal)) => Err(refusal),
            (Some(to), Ok(text)) => message_text(text).map(|text| Request::Pm {
                to: sanitize::clean(to),
                text,
            }),
        },
        Some("nick") => match &raw.nick {
            None => Err(missing("nick")),
            Some(nick) => check_new_nick(nick).map(|()| Request::Nick(nick.clone())),
        },
        Some("list") => Ok(Request::List),
        Some("search") => text_field(&raw, missing)
            .and_then(search_text)
            .map(Request::Search),
        Some("ping") => Ok(Request::Ping),
        Some("pong") => Ok(Request::Pong),
        Some("op") => json_op(&raw),
        Some("deop") => json_nick(&raw, missing).map(Request::Deop),
        Some("kick") => json_nick(&raw, missing).and_then(|nick| {
            Ok(Request::Kick {
                nick,
                reason: json_text(raw.reason.as_deref(), "reason", MAX_REASON)?,
            })
        }),
        Some("ban") => match &raw.target {
            None => Err(missing("target")),
            Some(target) => BanTarget::parse(target).and_then(|target| {
                Ok(Request::Ban {
                    target,
                    duration: json_duration(&raw)?,
                    reason: json_text(raw.reason.as_deref(), "reason", MAX_REASON)?,
                })
            }),
        },
        Some("unban") => match &raw.target {
            None => Err(missing("target")),
            Some(target) => BanTarget::parse(target).map(Request::Unban),
        },
        Some("bans") => Ok(Request::Bans),
        Some("mute") => json_nick(&raw, missing).and_then(|nick| {
            Ok(Request::Mute {
                nick,
                duration: json_duration(&raw)?,
            })
        }),
        Some("unmute") => json_nick(&raw, missing).map(Request::Unmute),
        Some("topic") => match raw.text.as_deref() {
            None => Ok(Request::Topic(None)),
            Some(text) => moderation::free_text(text, "topic", MAX_TOPIC)
                .map(|text| Request::Topic(Some(text.unwrap_or_default()))),
        },
        Some("away") => {
            json_text(raw.message.as_deref(), "away message", MAX_AWAY).map(Request::Away)
        }
        Some("back") => Ok(Request::Back),
        Some("quit") => Ok(Request::Quit),
        Some("hello") => Err(Refusal::new(
            ErrorCode::BadRequest,
            "already joined; to change nickname send {\"type\":\"nick\",\"nick\":\"...\"}",
        )),
        Some(other) => Err(Refusal::new(
            ErrorCode::UnknownType,
            format!("unknown request type \"{}\"", sanitize::clean(other)),
        )),
        None => Err(Refusal::new(
            ErrorCode::BadRequest,
            "the request has no \"type\"",
        )),
    };
    request
        .map(|request| Incoming {
            id: id.clone(),
            // Only messages are taken once; other requests have nothing to double.
            key: key.filter(|_| {
                matches!(
                    request,
                    Request::Say(_) | Request::Me(_) | Request::Pm { .. }
                )
            }),
            request,
        })
        .map_err(|refusal| refusal.with_id(id))
}

/// The JSON request for a parsed moderation request (what `join` sends for `/kick` and the
/// rest), carrying `id`; `None` for any other request. `/op WORD` becomes a password: a client
/// that knows WORD is a member's nickname sends [`OpArg::Nick`] instead.
pub fn client_request(request: Request, id: Option<Id>) -> Option<ClientRequest> {
    let secs = |d: Option<Duration>| d.map(|d| d.as_secs());
    Some(match request {
        Request::Op(OpArg::Password(password) | OpArg::Word(password)) => ClientRequest::Op {
            password: Some(password),
            nick: None,
            id,
        },
        Request::Op(OpArg::Nick(nick)) => ClientRequest::Op {
            password: None,
            nick: Some(nick),
            id,
        },
        Request::Deop(nick) => ClientRequest::Deop { nick, id },
        Request::Kick { nick, reason } => ClientRequest::Kick { nick, reason, id },
        Request::Ban {
            target,
            duration,
            reason,
        } => ClientRequest::Ban {
            target: target.to_string(),
            duration: secs(duration),
            reason,
            id,
        },
        Request::Unban(target) => ClientRequest::Unban {
            target: target.to_string(),
            id,
        },
        Request::Bans => ClientRequest::Bans { id },
        Request::Mute { nick, duration } => ClientRequest::Mute {
            nick,
            duration: secs(duration),
            id,
        },
        Request::Unmute(nick) => ClientRequest::Unmute { nick, id },
        Request::Topic(text) => ClientRequest::Topic { text, id },
        Request::Away(message) => ClientRequest::Away { message, id },
        Request::Back => ClientRequest::Back { id },
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_commands_become_the_json_requests_the_host_reads_back() {
        for typed in [
            "/op s3cret",
            "/deop ana",
            "/kick eve spamming the room",
            "/kick eve",
            "/ban eve 2h spam",
            "/ban 10.0.0.0/24",
            "/unban 10.0.0.7",
            "/bans",
            "/mute eve 10m",
            "/unmute eve",
            "/topic release day",
            "/topic -",
            "/topic",
            "/away lunch",
            "/away",
            "/back",
        ] {
            let request = parse_plain(typed).unwrap().unwrap();
            let line = client_request(request.clone(), Some(Id::from(3)))
                .unwrap_or_else(|| panic!("{typed}"))
                .to_json_line();
            let read = parse_json(&line).unwrap_or_else(|r| panic!("{typed}: {line}: {r:?}"));
            let expected = match request {
                Request::Op(OpArg::Word(password)) => Request::Op(OpArg::Password(password)),
                other => other,
            };
            assert_eq!(read.request, expected, "{typed}: {line}");
            assert_eq!(read.id, Some(Id::from(3)));
        }
        assert_eq!(client_request(Request::List, None), None);
    }

    #[test]
    fn a_field_of_the_wrong_type_is_refused_with_the_id_and_without_raw_escapes() {
        let refusal =
            parse_json(r#"{"type":"ban","target":"eve","duration":"\u001b[2J10m","id":7}"#)
                .unwrap_err();
        assert_eq!(refusal.code, ErrorCode::BadRequest);
        assert_eq!(refusal.id, Some(Id::from(7)));
        assert!(!refusal.message.contains('\u{1b}'), "{}", refusal.message);
        let refusal = parse_json(r#"{"type":"kick","nick":["x"]}"#).unwrap_err();
        assert_eq!(refusal.id, None);
        assert_eq!(parse_json("{nope").unwrap_err().code, ErrorCode::BadJson);
    }

    #[test]
    fn nicknames_that_read_as_addresses_are_refused_where_they_are_taken() {
        for nick in ["10.0.0.7", "2024", "1.5"] {
            let hello = format!(r#"{{"type":"hello","v":1,"nick":"{nick}"}}"#);
            for refused in [
                parse_handshake(nick),
                parse_handshake(&hello),
                parse_plain(&format!("/nick {nick}")).map(|_| Handshake::Quit),
                parse_json(&format!(r#"{{"type":"nick","nick":"{nick}"}}"#))
                    .map(|_| Handshake::Quit),
            ] {
                let refusal = refused.unwrap_err();
                assert_eq!(refusal.code, ErrorCode::NickInvalid, "{nick}");
                assert!(
                    refusal.message.contains("add a letter"),
                    "{}",
                    refusal.message
                );
            }
        }
        // With a letter it is a nickname, and kicking or messaging one is not refused here.
        assert!(parse_handshake("r2.d2").is_ok());
        assert!(parse_plain("/kick 2024").is_ok());
    }

    fn hello(mode: Mode, nick: &str) -> Handshake {
        Handshake::Hello {
            mode,
            nick: nick.to_string(),
            announce: true,
            password: None,
            replay: Replay::Recent,
        }
    }

    fn code<T: std::fmt::Debug>(result: Result<T, Refusal>) -> ErrorCode {
        result.unwrap_err().code
    }

    #[test]
    fn first_line_picks_the_mode() {
        assert_eq!(
            parse_handshake("alice\r").unwrap(),
            hello(Mode::Plain, "alice")
        );
        assert_eq!(
            parse_handshake(r#"{"type":"hello","v":1,"nick":"bob","x":{}}"#).unwrap(),
            hello(Mode::Json, "bob")
        );
        assert_eq!(
            parse_handshake(r#"{"type":"hello","v":1,"nick":"ci","announce":false}"#).unwrap(),
            Handshake::Hello {
                mode: Mode::Json,
                nick: "ci".into(),
                announce: false,
                password: None,
                replay: Replay::Off,
            }
        );
        assert_eq!(
            code(parse_handshake(
                r#"{"type":"hello","nick":"ci","announce":"no"}"#
            )),
            ErrorCode::BadHello
        );
        assert_eq!(parse_handshake("  ").unwrap(), Handshake::Blank);
        assert_eq!(parse_handshake("{quit}").unwrap(), Handshake::Quit);
    }

    #[test]
    fn a_hello_asks_for_history_since_a_seq_or_for_none() {
        let replay = |line: &str| match parse_handshake(line) {
            Ok(Handshake::Hello { replay, .. }) => Ok(replay),
            Ok(other) => panic!("{other:?}"),
            Err(refusal) => Err(refusal.code),
        };
        assert_eq!(
            replay(r#"{"type":"hello","nick":"a","since":41}"#),
            Ok(Replay::Since(41))
        );
        assert_eq!(
            replay(r#"{"type":"hello","nick":"a","history":false}"#),
            Ok(Replay::Off)
        );
        assert_eq!(
            replay(r#"{"type":"hello","nick":"a","history":false,"since":3}"#),
            Ok(Replay::Off)
        );
        assert_eq!(
            replay(r#"{"type":"hello","nick":"a","history":true}"#),
            Ok(Replay::Recent)
        );
        // A sender that only posts gets none, unless it asks.
        assert_eq!(
            replay(r#"{"type":"hello","nick":"a","announce":false}"#),
            Ok(Replay::Off)
        );
        assert_eq!(
            replay(r#"{"type":"hello","nick":"a","announce":false,"history":true}"#),
            Ok(Replay::Recent)
        );
        for bad in [r#""since":-1"#, r#""since":"7""#, r#""history":"no""#] {
            let line = format!(r#"{{"type":"hello","nick":"a",{bad}}}"#);
            assert_eq!(replay(&line), Err(ErrorCode::BadHello), "{line}");
        }
    }

    #[test]
    fn a_hello_may_carry_a_password_which_no_refusal_quotes() {
        let Handshake::Hello { password, .. } =
            parse_handshake(r#"{"type":"hello","v":1,"nick":"ci","password":"s3cret"}"#).unwrap()
        else {
            panic!("expected a hello");
        };
        assert_eq!(password.unwrap().expose(), "s3cret");
        let refusal =
            parse_handshake(r#"{"type":"hello","nick":"ci","password":12345678}"#).unwrap_err();
        assert_eq!(refusal.code, ErrorCode::BadHello);
        assert!(!refusal.message.contains("12345678"), "{}", refusal.message);
    }

    #[test]
    fn a_plain_line_before_the_password_is_accepted_is_the_password() {
        assert_eq!(
            parse_password(" open sesame\r").unwrap(),
            Handshake::Password(Password::attempt(" open sesame\r".into()))
        );
        assert_eq!(parse_password("/quit").unwrap(), Handshake::Quit);
        assert_eq!(parse_password("").unwrap(), Handshake::Blank);
        assert!(matches!(
            parse_password(r#"{"type":"hello","v":1,"nick":"ci"}"#).unwrap(),
            Handshake::Hello {
                mode: Mode::Json,
                password: None,
                ..
            }
        ));
    }

    #[test]
    fn bad_hellos_say_what_is_wrong() {
        assert_eq!(code(parse_handshake("{nope")), ErrorCode::BadHello);
        assert_eq!(
            code(parse_handshake(r#"{"type":"say"}"#)),
            ErrorCode::BadHello
        );
        assert_eq!(
            code(parse_handshake(r#"{"type":"hello","v":2,"nick":"a"}"#)),
            ErrorCode::UnsupportedVersion
        );
        assert_eq!(code(parse_handshake("al ice")), ErrorCode::NickInvalid);
        assert_eq!(
            code(parse_handshake(r#"{"type":"hello","nick":"root"}"#)),
            ErrorCode::NickInvalid
        );
    }

    #[test]
    fn plain_commands() {
        assert_eq!(parse_plain("/who").unwrap(), Some(Request::List));
        assert_eq!(parse_plain("/NAMES").unwrap(), Some(Request::List));
        assert_eq!(
            parse_plain("/msg bob  hi there").unwrap(),
            Some(Request::Pm {
                to: "bob".into(),
                text: "hi there".into()
            })
        );
        assert_eq!(
            parse_plain("/me waves").unwrap(),
            Some(Request::Me("waves".into()))
        );
        assert_eq!(
            parse_plain("/nick al").unwrap(),
            Some(Request::Nick("al".into()))
        );
        assert_eq!(parse_plain("<quit>").unwrap(), Some(Request::Quit));
        assert_eq!(parse_plain("/exit").unwrap(), Some(Request::Quit));
        assert_eq!(
            parse_plain("//etc/hosts").unwrap(),
            Some(Request::Say("/etc/hosts".into()))
        );
        assert_eq!(parse_plain("").unwrap(), None);
        assert_eq!(
            parse_plain("/search  deploy \"done\" ").unwrap(),
            Some(Request::Search("deploy \"done\"".into()))
        );
    }

    #[test]
    fn moderation_commands_in_plain_mode() {
        use std::time::Duration;
        let net = |text: &str| BanTarget::Net(text.parse().unwrap());
        assert_eq!(
            parse_plain("/ban eve 2h flooding the room").unwrap(),
            Some(Request::Ban {
                target: BanTarget::Nick("eve".into()),
                duration: Some(Duration::from_secs(7200)),
                reason: Some("flooding the room".into()),
            })
        );
        // A word that is not a duration starts the reason.
        assert_eq!(
            parse_plain("/ban 10.0.0.7/24 spam").unwrap(),
            Some(Request::Ban {
                target: net("10.0.0.0/24"),
                duration: None,
                reason: Some("spam".into()),
            })
        );
        assert_eq!(
            parse_plain("/kick eve").unwrap(),
            Some(Request::Kick {
                nick: "eve".into(),
                reason: None
            })
        );
        assert_eq!(
            parse_plain("/mute eve 10m").unwrap(),
            Some(Request::Mute {
                nick: "eve".into(),
                duration: Some(Duration::from_secs(600)),
            })
        );
        assert_eq!(
            parse_plain("/op correct horse").unwrap(),
            Some(Request::Op(OpArg::Word(Password::attempt(
                "correct horse".into()
            ))))
        );
        assert_eq!(parse_plain("/topic").unwrap(), Some(Request::Topic(None)));
        assert_eq!(
            parse_plain("/topic -").unwrap(),
            Some(Request::Topic(Some(String::new())))
        );
        assert_eq!(
            parse_plain("/away  gone fishing ").unwrap(),
            Some(Request::Away(Some("gone fishing".into())))
        );
        assert_eq!(parse_plain("/back").unwrap(), Some(Request::Back));
        assert_eq!(parse_plain("/BANS").unwrap(), Some(Request::Bans));
    }

    #[test]
    fn moderation_mistakes_are_explained() {
        assert_eq!(
            parse_plain("/op").unwrap_err().message,
            "usage: /op PASSWORD (or /op NICK)"
        );
        assert_eq!(
            parse_plain("/mute eve soon").unwrap_err().message,
            "usage: /mute NICK [DURATION]"
        );
        assert_eq!(code(parse_plain("/mute eve 400d")), ErrorCode::BadRequest);
        assert_eq!(code(parse_plain("/ban eve 0s")), ErrorCode::BadRequest);
        assert_eq!(code(parse_plain("/kick")), ErrorCode::BadRequest);
        assert_eq!(code(parse_plain("/kick bad!nick")), ErrorCode::NickInvalid);
        assert_eq!(code(parse_plain("/deop a b")), ErrorCode::BadRequest);
        assert_eq!(code(parse_plain("/ban 300.1.1.1")), ErrorCode::BadRequest);
        let long = format!("/topic {}", "x".repeat(MAX_TOPIC + 1));
        assert_eq!(code(parse_plain(&long)), ErrorCode::BadRequest);
    }

    #[test]
    fn moderation_requests_in_json() {
        let request = |line: &str| parse_json(line).map(|i| i.request).map_err(|r| r.code);
        assert_eq!(
            request(r#"{"type":"op","password":"pw","id":1}"#),
            Ok(Request::Op(OpArg::Password(Password::attempt("pw".into()))))
        );
        assert_eq!(
            request(r#"{"type":"op","nick":"ana"}"#),
            Ok(Request::Op(OpArg::Nick("ana".into())))
        );
        for bad in [
            r#"{"type":"op"}"#,
            r#"{"type":"op","nick":"ana","password":"pw"}"#,
            r#"{"type":"op","password":12345}"#,
            r#"{"type":"ban"}"#,
            r#"{"type":"ban","target":"eve","duration":0}"#,
            r#"{"type":"ban","target":"eve","duration":31536001}"#,
            r#"{"type":"ban","target":"eve","duration":"1h"}"#,
            r#"{"type":"mute"}"#,
            r#"{"type":"kick","nick":"eve","reason":"a\nb"}"#,
        ] {
            assert_eq!(request(bad), Err(ErrorCode::BadRequest), "{bad}");
        }
        let refusal = parse_json(r#"{"type":"op","password":12345678}"#).unwrap_err();
        assert!(!refusal.message.contains("12345678"));
        assert_eq!(
            request(r#"{"type":"ban","target":"10.0.0.7","duration":60,"reason":"spam"}"#),
            Ok(Request::Ban {
                target: BanTarget::Net("10.0.0.7/32".parse().unwrap()),
                duration: Some(std::time::Duration::from_secs(60)),
                reason: Some("spam".into()),
            })
        );
        assert_eq!(request(r#"{"type":"topic"}"#), Ok(Request::Topic(None)));
        assert_eq!(
            request(r#"{"type":"topic","text":""}"#),
            Ok(Request::Topic(Some(String::new())))
        );
        assert_eq!(
            request(r#"{"type":"away","message":"lunch"}"#),
            Ok(Request::Away(Some("lunch".into())))
        );
        assert_eq!(request(r#"{"type":"away"}"#), Ok(Request::Away(None)));
        assert_eq!(
            request(r#"{"type":"unmute","nick":"eve"}"#),
            Ok(Request::Unmute("eve".into()))
        );
    }

    #[test]
    fn plain_mistakes_are_explained() {
        assert_eq!(code(parse_plain("/dance")), ErrorCode::UnknownCommand);
        assert_eq!(
            parse_plain("/msg bob").unwrap_err().message,
            "usage: /msg NICK TEXT"
        );
        assert_eq!(code(parse_plain("/nick bad nick")), ErrorCode::NickInvalid);
        assert_eq!(code(parse_plain("\u{1b}[2J")), ErrorCode::EmptyMessage);
        assert_eq!(
            parse_plain("/search \u{1b}[2J").unwrap_err().message,
            "usage: /search WORDS"
        );
    }

    #[test]
    fn messages_are_sanitized() {
        assert_eq!(
            parse_plain("hi\u{1b}[31m red\u{7}").unwrap(),
            Some(Request::Say("hi red".into()))
        );
        let parsed = parse_json(r#"{"type":"say","text":"a\u001b]0;x\u0007b","id":"k"}"#).unwrap();
        assert_eq!(parsed.request, Request::Say("ab".into()));
        assert_eq!(parsed.id, Some(Id::Text("k".into())));
    }

    #[test]
    fn messages_may_carry_a_resend_key() {
        let keyed = parse_json(r#"{"type":"say","text":"hi","id":1,"cid":"ab12","mid":7}"#);
        let key = MessageKey {
            cid: "ab12".into(),
            mid: 7,
        };
        assert_eq!(keyed.unwrap().key, Some(key));
        // Only messages: a list has nothing to double.
        let list = parse_json(r#"{"type":"list","cid":"ab12","mid":7}"#).unwrap();
        assert_eq!(list.key, None);
        for bad in [
            r#"{"type":"say","text":"hi","cid":"ab12"}"#,
            r#"{"type":"say","text":"hi","mid":1}"#,
            r#"{"type":"say","text":"hi","cid":"","mid":1}"#,
            r#"{"type":"say","text":"hi","cid":"a b","mid":1}"#,
            r#"{"type":"say","text":"hi","cid":"ab","mid":-1}"#,
        ] {
            assert_eq!(
                parse_json(bad).unwrap_err().code,
                ErrorCode::BadRequest,
                "{bad}"
            );
        }
        let long = format!(
            r#"{{"type":"say","text":"hi","cid":"{}","mid":1}}"#,
            "a".repeat(65)
        );
        assert_eq!(parse_json(&long).unwrap_err().code, ErrorCode::BadRequest);
    }

    #[test]
    fn json_requests() {
        assert_eq!(
            parse_json(r#"{"type":"pm","to":"bob","text":"psst","id":3}"#).unwrap(),
            Incoming {
                id: Some(Id::from(3)),
                request: Request::Pm {
                    to: "bob".into(),
                    text: "psst".into()
                },
                key: None,
            }
        );
        assert_eq!(
            parse_json(r#"{"type":"list"}"#).unwrap().request,
            Request::List
        );
        assert_eq!(
            parse_json(r#"{"type":"search","text":"deploy*","id":4}"#).unwrap(),
            Incoming {
                id: Some(Id::from(4)),
                request: Request::Search("deploy*".into()),
                key: None,
            }
        );
        assert_eq!(
            code(parse_json(r#"{"type":"search","text":"  "}"#)),
            ErrorCode::BadRequest
        );
        assert_eq!(
            code(parse_json(r#"{"type":"search"}"#)),
            ErrorCode::BadRequest
        );
    }

    #[test]
    fn json_errors_carry_codes_and_ids() {
        let unknown = parse_json(r#"{"type":"dance","id":9}"#).unwrap_err();
        assert_eq!(
            (unknown.code, unknown.id),
            (ErrorCode::UnknownType, Some(Id::from(9)))
        );
        assert_eq!(code(parse_json("not json")), ErrorCode::BadJson);
        assert_eq!(code(parse_json(r#"{"type":"say"}"#)), ErrorCode::BadRequest);
        assert_eq!(
            code(parse_json(r#"{"type":"say","text":5}"#)),
            ErrorCode::BadRequest
        );
        assert_eq!(
            code(parse_json(r#"{"type":"say","text":"x","id":[1]}"#)),
            ErrorCode::BadRequest
        );
        assert_eq!(
            code(parse_json(r#"{"type":"say","text":" "}"#)),
            ErrorCode::EmptyMessage
        );
    }

    #[test]
    fn a_line_break_in_a_json_text_is_refused_not_glued() {
        for request in [
            r#"{"type":"say","text":"a\nb","id":1}"#,
            r#"{"type":"me","text":"a\r\nb","id":1}"#,
            r#"{"type":"pm","to":"bob","text":"a\rb","id":1}"#,
        ] {
            let refusal = parse_json(request).unwrap_err();
            assert_eq!(refusal.code, ErrorCode::BadRequest, "{request}");
            assert_eq!(refusal.id, Some(Id::from(1)), "{request}");
            assert!(
                refusal.message.contains("line break"),
                "{}",
                refusal.message
            );
        }
    }

    #[test]
    fn ids_keep_their_json_text() {
        let big = parse_json(r#"{"type":"list","id":18446744073709551616}"#).unwrap();
        assert_eq!(big.id, Some(Id::Number("18446744073709551616".into())));
        let zero = parse_json(r#"{"type":"list","id":-0}"#).unwrap();
        assert_eq!(zero.id, Some(Id::Number("-0".into())));
        assert_eq!(
            code(parse_json(r#"{"type":"list","id":true}"#)),
            ErrorCode::BadRequest
        );
        assert_eq!(parse_json(r#"{"type":"list","id":null}"#).unwrap().id, None);
    }

    #[test]
    fn deep_nesting_is_harmless() {
        let (open, close) = ("[".repeat(100_000), "]".repeat(100_000));
        let ignored = format!(r#"{{"type":"say","text":"x","junk":{open}{close}}}"#);
        assert_eq!(
            parse_json(&ignored).unwrap().request,
            Request::Say("x".into())
        );
        let in_id = format!(r#"{{"type":"say","text":"x","id":{open}{close}}}"#);
        assert_eq!(code(parse_json(&in_id)), ErrorCode::BadRequest);
    }
}
