//! What the user typed, turned into something to do.
//!
//! The room's commands (`/msg`, `/me`, `/nick`, `/list`, `/quit`, `//text`, and running a room:
//! `/op`, `/kick`, `/ban`, `/mute`, `/topic`, `/away`, ...) are parsed by the same code the host
//! uses for plain-mode clients ([`parse::parse_plain`]), so `join` and `nc` users type exactly
//! the same things and a mistake is explained in the same words; they go out through one path,
//! [`to_wire`]. This module adds what only an interactive client can do (`/help` with its own
//! keys, `/clear`, `/op` asking for the password without echo, `/ignore`, which never leaves
//! this client), and a few checks where `join` explains a slip that the room would read another
//! way (`slip`). A mistake is one line, and nothing is sent. Nothing that fails to parse is
//! ever sent as chat.

use crate::nick;
use crate::protocol::Id;
use crate::protocol::moderation::{self, MAX_TOPIC};
use crate::protocol::parse::{self, OpArg, Request};
use crate::protocol::wire::{ClientRequest, MessageKey};

/// What a line of input asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserInput {
    /// Something for the room: a message, an action, a private message, a rename, a list, or
    /// running the room.
    Request(Request),
    /// `/op` alone: ask for the operator password without echo, then send it.
    AskOpPassword,
    /// `/ignore NICK`: hide their messages on this screen.
    Ignore(String),
    /// `/unignore NICK`.
    Unignore(String),
    /// `/ignore` alone: who is ignored.
    IgnoreList,
    /// Show the commands.
    Help,
    /// Clear the screen.
    Clear,
    /// Leave the room.
    Quit,
    /// A blank line: nothing to do.
    Blank,
    /// A mistake, explained (an unknown command, a missing argument, an invalid nickname).
    Mistake(String),
}

/// A command `/help` lists and Tab completes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Command {
    pub name: &'static str,
    /// Its first argument is a nickname: Tab completes it followed by a space.
    pub takes_nick: bool,
}

/// A command whose arguments are not a nickname.
const fn command(name: &'static str) -> Command {
    Command {
        name,
        takes_nick: false,
    }
}

/// A command whose first argument is a nickname.
const fn nick_command(name: &'static str) -> Command {
    Command {
        name,
        takes_nick: true,
    }
}

/// The commands `/help` lists and Tab completes.
pub const COMMANDS: &[Command] = &[
    command("/help"),
    command("/list"),
    command("/who"),
    nick_command("/msg"),
    command("/nick"),
    command("/me"),
    command("/search"),
    command("/topic"),
    command("/away"),
    command("/back"),
    nick_command("/ignore"),
    nick_command("/unignore"),
    nick_command("/op"),
    nick_command("/deop"),
    nick_command("/kick"),
    nick_command("/ban"),
    command("/unban"),
    command("/bans"),
    nick_command("/mute"),
    nick_command("/unmute"),
    command("/quit"),
    command("/exit"),
    command("/clear"),
];

/// The `/help` text, one line per entry.
pub const HELP: &[&str] = &[
    "commands:",
    "  /list (/who)         who is here",
    "  /msg NICK TEXT       private message",
    "  /me ACTION           action message, shown as * you ACTION",
    "  /nick NEW            change your nickname",
    "  /search WORDS        search the room's stored messages (a host with --store)",
    "  /topic [TEXT]        show the room's topic, or set it (/topic - clears it)",
    "  /away [MESSAGE]      mark yourself away; /back (or speaking) clears it",
    "  /ignore [NICK]       hide NICK's messages on your screen; alone: who is ignored",
    "  /unignore NICK       show NICK's messages again",
    "operators:",
    "  /op [PASSWORD]       become an operator (alone: asks without echo)",
    "  /op NICK, /deop NICK make a member an operator, or no longer one",
    "  /kick NICK [REASON]  put NICK out of the room (they may come back)",
    "  /ban NICK|ADDRESS|RANGE [DURATION] [REASON]",
    "                       keep an address out (DURATION: 30s, 10m, 2h, 1d, 1w)",
    "  /unban TARGET, /bans lift a ban; list the bans",
    "  /mute NICK [DURATION], /unmute NICK",
    "                       let NICK read but not speak, or speak again",
    "  /clear               clear the screen",
    "  /quit (/exit)        leave (Ctrl-D, or Ctrl-C twice on an empty line, too)",
    "  //text               send a line that starts with /",
    "  /help                this list",
    "keys: Tab completes commands and nicknames (@bo too), Up/Down recall what you typed,",
    "      Ctrl-C clears the line; lines starting with a space stay out of history",
];

/// Parses one line the user typed.
pub fn parse(line: &str) -> UserInput {
    let trimmed = line.trim();
    let command = trimmed.split_whitespace().next().unwrap_or("");
    let command = command.to_ascii_lowercase();
    let rest = trimmed[command.len()..].trim();
    match (command.as_str(), rest) {
        ("/help", _) => return UserInput::Help,
        ("/clear", _) => return UserInput::Clear,
        ("/op", "") => return UserInput::AskOpPassword,
        ("/ignore", "") => return UserInput::IgnoreList,
        ("/ignore", nick) => {
            return nick_arg(nick, "/ignore [NICK]")
                .map_or_else(UserInput::Mistake, UserInput::Ignore);
        }
        ("/unignore", nick) => {
            return nick_arg(nick, "/unignore NICK")
                .map_or_else(UserInput::Mistake, UserInput::Unignore);
        }
        _ => {}
    }
    if let Some(why) = slip(&command, rest) {
        return UserInput::Mistake(why);
    }
    // A command typed after a space (to keep it out of history) is still a command: `/op
    // PASSWORD` must never go out as chat.
    let line = if trimmed.starts_with('/') {
        line.trim_start()
    } else {
        line
    };
    match parse::parse_plain(line) {
        Ok(None) => UserInput::Blank,
        Ok(Some(Request::Quit)) => UserInput::Quit,
        Ok(Some(Request::Help)) => UserInput::Help,
        Ok(Some(request)) => UserInput::Request(request),
        Err(refusal) => UserInput::Mistake(refusal.message),
    }
}

/// Where `join` explains a slip that the room would read another way (see the README's `join`
/// commands): a word after a ban's target that looks like a duration must be one (`/ban eve
/// 10min spam` is not a ban until lifted with the reason `10min spam`), a mute's wrong duration
/// is named, and `/bans`, `/back` and `/topic` take nothing they would ignore (`/topic` with
/// nothing printable would ask for the topic, not set it). `None`: no slip.
fn slip(command: &str, rest: &str) -> Option<String> {
    let duration = |word: &str| moderation::duration_word(word).err().map(|r| r.message);
    match command {
        "/ban" => {
            let (word, _) = first_word(first_word(rest).1);
            if moderation::looks_like_duration(word) {
                duration(word)
            } else {
                None
            }
        }
        "/mute" => match first_word(first_word(rest).1) {
            (word, "") if !word.is_empty() => duration(word),
            _ => None,
        },
        "/bans" | "/back" if !rest.is_empty() => Some(format!("usage: {command}")),
        "/topic" if rest != "-" && !rest.is_empty() => {
            matches!(moderation::free_text(rest, "topic", MAX_TOPIC), Ok(None))
                .then(|| "usage: /topic [TEXT] (/topic - clears it)".to_string())
        }
        _ => None,
    }
}

impl UserInput {
    /// Whether the line it came from is a `/op` line, which may hold a secret (`/op PASSWORD`):
    /// kept out of the line editor's history and masked on screen. (`/op` alone holds none, and
    /// `/op NICK` none either, but one simple rule is one that cannot be misread.)
    pub fn is_secret(&self) -> bool {
        matches!(
            self,
            UserInput::Request(Request::Op(_)) | UserInput::AskOpPassword
        )
    }
}

/// `/op WORD` names a member when someone here has that nickname (`is_member`), and is the
/// operator password otherwise: decided as it is sent, from who is here then. Other requests
/// are left as they are.
pub fn op_target(request: Request, is_member: impl Fn(&str) -> bool) -> Request {
    match request {
        Request::Op(OpArg::Word(word)) if is_member(word.expose()) => {
            Request::Op(OpArg::Nick(word.expose().to_string()))
        }
        Request::Op(OpArg::Word(word)) => Request::Op(OpArg::Password(word)),
        other => other,
    }
}

/// `line` as the screen shows it while it is typed: `/op WORD` with WORD masked, unless WORD
/// is a member's nickname (`is_member`). `None` when nothing needs hiding.
///
/// Each character becomes as many `*` as the columns it takes, so the line editor's cursor
/// stays where the text is.
pub fn masked(line: &str, is_member: impl Fn(&str) -> bool) -> Option<String> {
    let start = line.len() - line.trim_start().len();
    let (command, rest) = first_word(&line[start..]);
    if !command.eq_ignore_ascii_case("/op") || rest.is_empty() || is_member(rest) {
        return None;
    }
    // Everything after the command word, spaces and all, keeps its width.
    let at = start + command.len();
    let hidden: String = line[at..]
        .chars()
        .map(|c| match c {
            ' ' => " ".to_string(),
            c => "*".repeat(unicode_width::UnicodeWidthChar::width(c).unwrap_or(0)),
        })
        .collect();
    Some(format!("{}{hidden}", &line[..at]))
}

/// `rest` split at its first run of whitespace: the first word and what follows (trimmed).
fn first_word(rest: &str) -> (&str, &str) {
    match rest.split_once(char::is_whitespace) {
        Some((word, more)) => (word, more.trim()),
        None => (rest, ""),
    }
}

/// A nickname argument, checked as the room checks nicknames.
fn nick_arg(word: &str, form: &str) -> Result<String, String> {
    if word.is_empty() {
        return Err(format!("usage: {form}"));
    }
    nick::validate(word).map_err(|e| format!("'{word}' is not a nickname: {e}"))?;
    Ok(word.to_string())
}

/// The JSON request for a parsed request, carrying `id` so the reply can be matched to it, and
/// for a message `key`, so that a resend is taken once. `None` for `/help`, which has no JSON
/// form (and which [`parse()`] never leaves in a request).
pub fn to_wire(request: Request, id: Id, key: Option<MessageKey>) -> Option<ClientRequest> {
    let id = Some(id);
    Some(match request {
        Request::Say(text) => ClientRequest::Say { text, id, key },
        Request::Me(text) => ClientRequest::Me { text, id, key },
        Request::Pm { to, text } => ClientRequest::Pm { to, text, id, key },
        Request::Nick(nick) => ClientRequest::Nick { nick, id },
        Request::List => ClientRequest::List { id },
        Request::Ping => ClientRequest::Ping { id },
        Request::Search(text) => ClientRequest::Search { text, id },
        Request::Pong => ClientRequest::Pong,
        Request::Quit => ClientRequest::Quit { id },
        Request::Help => return None,
        // Running the room: the protocol's own mapping.
        other => return parse::client_request(other, id),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(line: &str) -> Request {
        match parse(line) {
            UserInput::Request(request) => request,
            other => panic!("{line:?} gave {other:?}"),
        }
    }

    fn mistake(line: &str) -> String {
        match parse(line) {
            UserInput::Mistake(why) => why,
            other => panic!("{line:?} gave {other:?}"),
        }
    }

    #[test]
    fn chat_and_room_commands() {
        assert_eq!(request("hello"), Request::Say("hello".into()));
        assert_eq!(request("/me waves"), Request::Me("waves".into()));
        assert_eq!(
            request("/msg bob lunch?"),
            Request::Pm {
                to: "bob".into(),
                text: "lunch?".into()
            }
        );
        assert_eq!(request("/nick ana2"), Request::Nick("ana2".into()));
        assert_eq!(request("/list"), Request::List);
        assert_eq!(request("/WHO"), Request::List);
    }

    #[test]
    fn a_double_slash_sends_a_literal_slash() {
        assert_eq!(request("//etc/hosts"), Request::Say("/etc/hosts".into()));
    }

    #[test]
    fn local_commands() {
        assert_eq!(parse("/help"), UserInput::Help);
        assert_eq!(parse("/clear"), UserInput::Clear);
        assert_eq!(parse("/quit"), UserInput::Quit);
        assert_eq!(parse("/exit"), UserInput::Quit);
        assert_eq!(parse("   "), UserInput::Blank);
        assert_eq!(parse(""), UserInput::Blank);
    }

    #[test]
    fn mistakes_are_explained_not_sent() {
        assert!(mistake("/dance").contains("unknown command /dance"));
        assert!(mistake("/dance").contains("/help"));
        assert_eq!(mistake("/msg bob"), "usage: /msg NICK TEXT");
        assert_eq!(mistake("/nick"), "usage: /nick NEW");
        assert!(mistake("/nick bad nick").contains("space"));
        assert_eq!(mistake("/me"), "usage: /me ACTION");
    }

    #[test]
    fn requests_carry_their_id() {
        assert_eq!(
            to_wire(Request::Say("hi".into()), Id::from(4), None),
            Some(ClientRequest::Say {
                text: "hi".into(),
                id: Some(Id::from(4)),
                key: None,
            })
        );
        assert_eq!(
            to_wire(Request::List, Id::from(5), None),
            Some(ClientRequest::List {
                id: Some(Id::from(5))
            })
        );
        assert_eq!(to_wire(Request::Help, Id::from(6), None), None);
    }

    #[test]
    fn moderation_commands_become_the_protocols_requests() {
        use crate::password::Password;
        use crate::protocol::moderation::BanTarget;
        use std::time::Duration;
        let net = |text: &str| BanTarget::Net(text.parse().unwrap());
        let cases = [
            (
                "/KICK eve  being rude ",
                Request::Kick {
                    nick: "eve".into(),
                    reason: Some("being rude".into()),
                },
            ),
            (
                "/kick eve",
                Request::Kick {
                    nick: "eve".into(),
                    reason: None,
                },
            ),
            (
                "/ban 10.0.0.0/24 1d spam bots",
                Request::Ban {
                    target: net("10.0.0.0/24"),
                    duration: Some(Duration::from_secs(86_400)),
                    reason: Some("spam bots".into()),
                },
            ),
            (
                "/ban eve flooding",
                Request::Ban {
                    target: BanTarget::Nick("eve".into()),
                    duration: None,
                    reason: Some("flooding".into()),
                },
            ),
            (
                "/mute eve 10m",
                Request::Mute {
                    nick: "eve".into(),
                    duration: Some(Duration::from_secs(600)),
                },
            ),
            ("/unban 10.0.0.7", Request::Unban(net("10.0.0.7/32"))),
            ("/bans", Request::Bans),
            ("/deop bob", Request::Deop("bob".into())),
            ("/unmute bob", Request::Unmute("bob".into())),
            ("/topic", Request::Topic(None)),
            ("/topic -", Request::Topic(Some(String::new()))),
            (
                "/topic release day",
                Request::Topic(Some("release day".into())),
            ),
            ("/away lunch", Request::Away(Some("lunch".into()))),
            ("/away", Request::Away(None)),
            ("/back", Request::Back),
            (
                "/op my secret",
                Request::Op(OpArg::Word(Password::attempt("my secret".into()))),
            ),
            (
                "  /op s3cret",
                Request::Op(OpArg::Word(Password::attempt("s3cret".into()))),
            ),
        ];
        for (typed, expected) in cases {
            assert_eq!(request(typed), expected, "{typed}");
        }
        assert_eq!(parse("/op"), UserInput::AskOpPassword);
    }

    #[test]
    fn moderation_goes_out_through_the_protocols_mapping() {
        let wire = |typed: &str| {
            let request = op_target(request(typed), |word| word.eq_ignore_ascii_case("bob"));
            let line = to_wire(request, Id::from(7), None).unwrap().to_json_line();
            serde_json::from_str::<serde_json::Value>(&line).unwrap()
        };
        assert_eq!(
            wire("/op BOB"),
            serde_json::json!({"type": "op", "nick": "BOB", "id": 7})
        );
        assert_eq!(
            wire("/op s3cret"),
            serde_json::json!({"type": "op", "password": "s3cret", "id": 7})
        );
        assert_eq!(
            wire("/ban 10.0.0.7/24 2h spam"),
            serde_json::json!({"type": "ban", "target": "10.0.0.0/24", "duration": 7200,
                "reason": "spam", "id": 7})
        );
        assert_eq!(
            wire("/topic -"),
            serde_json::json!({"type": "topic", "text": "", "id": 7})
        );
        assert!(!format!("{:?}", request("/op s3cret")).contains("s3cret"));
    }

    #[test]
    fn moderation_mistakes_are_one_line_and_nothing_is_sent() {
        assert_eq!(mistake("/kick"), "usage: /kick NICK [REASON]");
        assert!(mistake("/kick bad!nick").contains("nickname may only contain"));
        assert_eq!(
            mistake("/ban"),
            "usage: /ban NICK|ADDRESS|RANGE [DURATION] [REASON]"
        );
        assert!(mistake("/ban eve 10x spam").contains("'10x' is not a duration"));
        assert!(mistake("/ban eve 10min spam").contains("'10min' is not a duration"));
        assert!(mistake("/ban eve 2nd warning").contains("'2nd' is not a duration"));
        assert!(mistake("/ban eve 400d").contains("a year"));
        assert!(mistake("/ban 300.1.1.1").contains("not a nickname, an address or a range"));
        assert_eq!(
            mistake("/mute eve lunch"),
            "'lunch' is not a duration: write 30s, 10m, 2h, 1d or 1w"
        );
        assert!(mistake("/mute eve 10m extra").starts_with("usage: /mute NICK [DURATION]"));
        assert_eq!(
            mistake("/mute eve 0s"),
            "'0s' is no time at all: give a positive duration"
        );
        assert_eq!(
            mistake("/unban"),
            "usage: /unban ADDRESS|RANGE (as /bans lists it)"
        );
        assert!(mistake("/unban a b").contains("is not a nickname, an address or a range"));
        assert_eq!(mistake("/bans now"), "usage: /bans");
        assert_eq!(mistake("/back later"), "usage: /back");
        assert_eq!(mistake("/deop"), "usage: /deop NICK");
        assert_eq!(mistake("/unignore"), "usage: /unignore NICK");
        assert_eq!(
            mistake("/topic \u{7}"),
            "usage: /topic [TEXT] (/topic - clears it)"
        );
        assert!(mistake(&format!("/topic {}", "x".repeat(MAX_TOPIC + 1))).contains("too long"));
    }

    #[test]
    fn an_op_password_is_masked_and_secret_but_a_nick_is_not() {
        let members = |word: &str| word.eq_ignore_ascii_case("bob");
        assert_eq!(masked("/op s3cret", members).as_deref(), Some("/op ******"));
        assert_eq!(masked("  /OP a b", members).as_deref(), Some("  /OP * *"));
        assert_eq!(masked("/op 日x", members).as_deref(), Some("/op ***"));
        assert_eq!(masked("/op BOB", members), None);
        assert_eq!(masked("/op", members), None);
        assert_eq!(masked("/opx y", members), None);
        assert_eq!(masked("hello", members), None);
        assert!(parse("/op s3cret").is_secret());
        assert!(parse("/op").is_secret());
        assert!(!parse("/deop bob").is_secret());
    }

    #[test]
    fn ignore_is_local() {
        assert_eq!(parse("/ignore"), UserInput::IgnoreList);
        assert_eq!(parse("/ignore Bob"), UserInput::Ignore("Bob".into()));
        assert_eq!(parse("/unignore bob"), UserInput::Unignore("bob".into()));
        assert!(mistake("/ignore two words").contains("not a nickname"));
    }

    #[test]
    fn help_mentions_every_command() {
        let help = HELP.join("\n");
        for command in COMMANDS {
            assert!(help.contains(command.name), "{command:?} is not in /help");
        }
    }
}
