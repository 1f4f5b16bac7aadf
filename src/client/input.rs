//! What the user typed, turned into something to do.
//!
//! The room's commands (`/msg`, `/me`, `/nick`, `/list`, `/quit`, `//text`) are parsed by the
//! same code the host uses for plain-mode clients ([`parse::parse_plain`]), so `join` and `nc`
//! users type exactly the same things and a mistake is explained in the same words. This module
//! adds what only an interactive client can do (`/help` with its own keys, `/clear`) and turns
//! the rest into JSON requests. Nothing that fails to parse is ever sent as chat.
//!
//! Running a room (`/op`, `/kick`, `/ban`, `/mute`, `/topic`, `/away`, ...) is parsed here into
//! the client's own [`ModRequest`]s (see `moderation.rs`), with the words nc users type; so is
//! `/ignore`, which never leaves this client. A usage mistake is one line, and nothing is sent.

use super::duration;
use super::moderation::ModRequest;
use crate::nick;
use crate::password::Password;
use crate::protocol::Id;
use crate::protocol::parse::{self, Request};
use crate::protocol::wire::{ClientRequest, MessageKey};

/// What a line of input asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserInput {
    /// Something for the room: a message, an action, a private message, a rename, a list.
    Request(Request),
    /// Running the room, or our own standing in it (`/away`, `/back`).
    Moderation(ModRequest),
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

/// The commands `/help` lists and Tab completes.
pub const COMMANDS: &[&str] = &[
    "/help",
    "/list",
    "/who",
    "/msg",
    "/nick",
    "/me",
    "/search",
    "/topic",
    "/away",
    "/back",
    "/ignore",
    "/unignore",
    "/op",
    "/deop",
    "/kick",
    "/ban",
    "/unban",
    "/bans",
    "/mute",
    "/unmute",
    "/quit",
    "/exit",
    "/clear",
];

/// The commands whose first argument is a nickname: Tab completes it followed by a space.
pub const NICK_COMMANDS: &[&str] = &[
    "/msg",
    "/ignore",
    "/unignore",
    "/op",
    "/deop",
    "/kick",
    "/ban",
    "/mute",
    "/unmute",
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
    "  /ban NICK|ADDRESS|CIDR [DURATION] [REASON]",
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
    match command.to_ascii_lowercase().as_str() {
        "/help" => return UserInput::Help,
        "/clear" => return UserInput::Clear,
        _ => {}
    }
    let rest = trimmed[command.len()..].trim();
    if let Some(input) = room_command(&command.to_ascii_lowercase(), rest) {
        return input.unwrap_or_else(UserInput::Mistake);
    }
    match parse::parse_plain(line) {
        Ok(None) => UserInput::Blank,
        Ok(Some(Request::Quit)) => UserInput::Quit,
        Ok(Some(Request::Help)) => UserInput::Help,
        Ok(Some(request)) => UserInput::Request(request),
        Err(refusal) => UserInput::Mistake(refusal.message),
    }
}

impl UserInput {
    /// Whether the line it came from is a `/op` line, which may hold a secret (`/op PASSWORD`):
    /// kept out of the line editor's history and masked on screen. (`/op` alone holds none, but
    /// one simple rule is one that cannot be misread.)
    pub fn is_secret(&self) -> bool {
        match self {
            UserInput::Moderation(request) => request.is_secret(),
            UserInput::AskOpPassword => true,
            _ => false,
        }
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

/// Text the user typed for the room (a reason, a topic, an away message): cleaned of control
/// characters; `None` when nothing is left.
fn free_text(text: &str) -> Option<String> {
    let text = crate::sanitize::clean(text).trim().to_string();
    (!text.is_empty()).then_some(text)
}

/// The commands for running a room, and `/ignore`: `None` for any other command; `Err` is a
/// usage mistake, explained.
fn room_command(command: &str, rest: &str) -> Option<Result<UserInput, String>> {
    let moderation = |request| Ok(UserInput::Moderation(request));
    let no_argument = |form: &str, input: UserInput| match rest {
        "" => Ok(input),
        _ => Err(format!("usage: {form}")),
    };
    Some(match command {
        // The whole rest is the word: a password may hold spaces, a nickname never does.
        "/op" if rest.is_empty() => Ok(UserInput::AskOpPassword),
        "/op" => moderation(ModRequest::Op(Password::attempt(rest.to_string()))),
        "/deop" => {
            nick_arg(rest, "/deop NICK").and_then(|nick| moderation(ModRequest::Deop { nick }))
        }
        "/kick" => {
            let (nick, reason) = first_word(rest);
            nick_arg(nick, "/kick NICK [REASON]").and_then(|nick| {
                moderation(ModRequest::Kick {
                    nick,
                    reason: free_text(reason),
                })
            })
        }
        "/ban" => ban(rest),
        "/unban" => match first_word(rest) {
            (target, "") if !target.is_empty() => moderation(ModRequest::Unban {
                target: target.to_string(),
            }),
            _ => Err("usage: /unban TARGET (as /bans lists it)".to_string()),
        },
        "/bans" => no_argument("/bans", UserInput::Moderation(ModRequest::Bans)),
        "/mute" => mute(rest),
        "/unmute" => {
            nick_arg(rest, "/unmute NICK").and_then(|nick| moderation(ModRequest::Unmute { nick }))
        }
        "/topic" => match rest {
            "" => moderation(ModRequest::Topic { text: None }),
            "-" => moderation(ModRequest::Topic {
                text: Some(String::new()),
            }),
            // A topic of nothing printable must not clear the topic by surprise.
            text => free_text(text)
                .ok_or_else(|| "usage: /topic [TEXT] (/topic - clears it)".to_string())
                .and_then(|text| moderation(ModRequest::Topic { text: Some(text) })),
        },
        "/away" => moderation(ModRequest::Away {
            message: free_text(rest),
        }),
        "/back" => no_argument("/back", UserInput::Moderation(ModRequest::Back)),
        "/ignore" if rest.is_empty() => Ok(UserInput::IgnoreList),
        "/ignore" => nick_arg(rest, "/ignore [NICK]").map(UserInput::Ignore),
        "/unignore" => nick_arg(rest, "/unignore NICK").map(UserInput::Unignore),
        _ => return None,
    })
}

/// `/ban NICK|ADDRESS|CIDR [DURATION] [REASON]`.
fn ban(rest: &str) -> Result<UserInput, String> {
    const FORM: &str = "/ban NICK|ADDRESS|CIDR [DURATION] [REASON]";
    let (target, more) = first_word(rest);
    if target.is_empty() {
        return Err(format!("usage: {FORM}"));
    }
    let (word, after) = first_word(more);
    let (duration, reason) = if duration::looks_like(word) {
        (Some(duration::parse(word)?), after)
    } else {
        (None, more)
    };
    Ok(UserInput::Moderation(ModRequest::Ban {
        target: target.to_string(),
        duration,
        reason: free_text(reason),
    }))
}

/// `/mute NICK [DURATION]`.
fn mute(rest: &str) -> Result<UserInput, String> {
    const FORM: &str = "/mute NICK [DURATION]";
    let (nick, more) = first_word(rest);
    let nick = nick_arg(nick, FORM)?;
    let duration = match first_word(more) {
        ("", _) => None,
        (word, "") => Some(duration::parse(word)?),
        _ => return Err(format!("usage: {FORM} (DURATION: {})", duration::FORMS)),
    };
    Ok(UserInput::Moderation(ModRequest::Mute { nick, duration }))
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
        moderation => return crate::protocol::moderation::client_request(moderation, id),
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

    fn moderation(line: &str) -> ModRequest {
        match parse(line) {
            UserInput::Moderation(request) => request,
            other => panic!("{line:?} gave {other:?}"),
        }
    }

    #[test]
    fn moderation_commands_become_requests() {
        assert_eq!(
            moderation("/KICK eve  being rude "),
            ModRequest::Kick {
                nick: "eve".into(),
                reason: Some("being rude".into())
            }
        );
        assert_eq!(
            moderation("/kick eve"),
            ModRequest::Kick {
                nick: "eve".into(),
                reason: None
            }
        );
        assert_eq!(
            moderation("/ban 10.0.0.0/24 1d spam bots"),
            ModRequest::Ban {
                target: "10.0.0.0/24".into(),
                duration: Some(86_400),
                reason: Some("spam bots".into())
            }
        );
        assert_eq!(
            moderation("/ban eve flooding"),
            ModRequest::Ban {
                target: "eve".into(),
                duration: None,
                reason: Some("flooding".into())
            }
        );
        assert_eq!(
            moderation("/mute eve 10m"),
            ModRequest::Mute {
                nick: "eve".into(),
                duration: Some(600)
            }
        );
        assert_eq!(
            moderation("/unban 10.0.0.7"),
            ModRequest::Unban {
                target: "10.0.0.7".into()
            }
        );
        assert_eq!(moderation("/bans"), ModRequest::Bans);
        assert_eq!(
            moderation("/deop bob"),
            ModRequest::Deop { nick: "bob".into() }
        );
        assert_eq!(
            moderation("/unmute bob"),
            ModRequest::Unmute { nick: "bob".into() }
        );
        assert_eq!(moderation("/topic"), ModRequest::Topic { text: None });
        assert_eq!(
            moderation("/topic -"),
            ModRequest::Topic {
                text: Some(String::new())
            }
        );
        assert_eq!(
            moderation("/topic release day"),
            ModRequest::Topic {
                text: Some("release day".into())
            }
        );
        assert_eq!(
            moderation("/away lunch"),
            ModRequest::Away {
                message: Some("lunch".into())
            }
        );
        assert_eq!(moderation("/away"), ModRequest::Away { message: None });
        assert_eq!(moderation("/back"), ModRequest::Back);
        assert_eq!(
            moderation("/op my secret"),
            ModRequest::Op(Password::attempt("my secret".into()))
        );
        assert_eq!(parse("/op"), UserInput::AskOpPassword);
    }

    #[test]
    fn moderation_mistakes_are_one_line_and_nothing_is_sent() {
        assert_eq!(mistake("/kick"), "usage: /kick NICK [REASON]");
        assert!(mistake("/kick bad!nick").contains("not a nickname"));
        assert_eq!(
            mistake("/ban"),
            "usage: /ban NICK|ADDRESS|CIDR [DURATION] [REASON]"
        );
        assert!(mistake("/ban eve 10x spam").contains("'10x' is not a duration"));
        assert!(mistake("/ban eve 400d").contains("a year"));
        assert!(mistake("/mute eve lunch").contains("'lunch' is not a duration"));
        assert!(mistake("/mute eve 10m extra").starts_with("usage: /mute NICK [DURATION]"));
        assert_eq!(
            mistake("/unban"),
            "usage: /unban TARGET (as /bans lists it)"
        );
        assert_eq!(
            mistake("/unban a b"),
            "usage: /unban TARGET (as /bans lists it)"
        );
        assert_eq!(mistake("/bans now"), "usage: /bans");
        assert_eq!(mistake("/back later"), "usage: /back");
        assert_eq!(mistake("/deop"), "usage: /deop NICK");
        assert_eq!(mistake("/unignore"), "usage: /unignore NICK");
        assert_eq!(
            mistake("/topic \u{7}"),
            "usage: /topic [TEXT] (/topic - clears it)"
        );
        for line in ["/kick", "/ban eve 10x", "/mute eve 0s"] {
            assert!(!mistake(line).is_empty());
        }
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
            assert!(help.contains(command), "{command} is not in /help");
        }
    }
}
