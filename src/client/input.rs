//! What the user typed, turned into something to do.
//!
//! The room's commands (`/msg`, `/me`, `/nick`, `/list`, `/quit`, `//text`) are parsed by the
//! same code the host uses for plain-mode clients ([`parse::parse_plain`]), so `join` and `nc`
//! users type exactly the same things and a mistake is explained in the same words. This module
//! adds what only an interactive client can do (`/help` with its own keys, `/clear`) and turns
//! the rest into JSON requests. Nothing that fails to parse is ever sent as chat.

use crate::protocol::Id;
use crate::protocol::parse::{self, Request};
use crate::protocol::wire::{ClientRequest, MessageKey};

/// What a line of input asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserInput {
    /// Something for the room: a message, an action, a private message, a rename, a list.
    Request(Request),
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
    "/help", "/list", "/who", "/msg", "/nick", "/me", "/search", "/quit", "/exit", "/clear",
];

/// The `/help` text, one line per entry.
pub const HELP: &[&str] = &[
    "commands:",
    "  /list (/who)         who is here",
    "  /msg NICK TEXT       private message",
    "  /me ACTION           action message, shown as * you ACTION",
    "  /nick NEW            change your nickname",
    "  /search WORDS        search the room's stored messages (a host with --store)",
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
    match parse::parse_plain(line) {
        Ok(None) => UserInput::Blank,
        Ok(Some(Request::Quit)) => UserInput::Quit,
        Ok(Some(Request::Help)) => UserInput::Help,
        Ok(Some(request)) => UserInput::Request(request),
        Err(refusal) => UserInput::Mistake(refusal.message),
    }
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

    #[test]
    fn help_mentions_every_command() {
        let help = HELP.join("\n");
        for command in COMMANDS {
            assert!(help.contains(command), "{command} is not in /help");
        }
    }
}
