//! Turning the lines a client sends into requests the room can trust.
//!
//! Everything that leaves this module is already sanitized: texts have no control characters,
//! nicknames follow the rules, so the room's logic never sees raw peer input. What cannot be
//! parsed becomes a [`Refusal`]: an error code and a sentence for the sender, never a disconnect.
//! A flood of junk is bounded before it gets here, by the line limit and the sender's token
//! bucket. The same plain-mode command parser serves `chatroom join`, so the host and the client
//! agree on what `/msg` or `//text` mean.

use serde::Deserialize;
use serde_json::value::RawValue;

use super::wire::{ErrorCode, Id, MessageKey, VERSION};
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
}

/// A JSON request with the id to echo in the reply.
#[derive(Debug, PartialEq, Eq)]
pub struct Incoming {
    pub id: Option<Id>,
    pub request: Request,
    /// For a message sent with `cid` and `mid`: what tells a resend from a new message.
    pub key: Option<MessageKey>,
}

/// Why a line was refused: sent back to its author, and nothing else happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorCode,
    pub message: String,
    pub id: Option<Id>,
}

impl Refusal {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Refusal {
            code,
            message: message.into(),
            id: None,
        }
    }

    fn with_id(mut self, id: Option<Id>) -> Self {
        self.id = id;
        self
    }
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
    check_nick(line)?;
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
    check_nick(&nick)?;
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
            check_nick(rest)?;
            Request::Nick(rest.to_string())
        }
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

/// Parses a JSON-mode line into a request with its id.
pub fn parse_json(line: &str) -> Result<Incoming, Refusal> {
    let raw: RawRequest = serde_json::from_str(line).map_err(|e| {
        let code = if e.is_data() {
            ErrorCode::BadRequest
        } else {
            ErrorCode::BadJson
        };
        Refusal::new(code, format!("cannot read the request: {e}"))
    })?;
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
            Some(nick) => check_nick(nick).map(|()| Request::Nick(nick.clone())),
        },
        Some("list") => Ok(Request::List),
        Some("search") => text_field(&raw, missing)
            .and_then(search_text)
            .map(Request::Search),
        Some("ping") => Ok(Request::Ping),
        Some("pong") => Ok(Request::Pong),
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

#[cfg(test)]
mod tests {
    use super::*;

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
