//! The host's console: whoever runs `chatroom host` in a terminal runs the room from it.
//!
//! When the host's standard input is a terminal, a console thread reads the lines typed there
//! (bounded like a client's, by `--max-line`), turns them into [`ConsoleRequest`]s and hands
//! them to the room over a crossbeam channel; the room carries each out as the console, an
//! operator that is not a member (see `room/moderation.rs`), and answers it on a channel of its
//! own: one answer per request (`None` when the room's own announcement, shown on the console
//! like any activity, says it all). The console thread prints the answer before it reads the
//! next line. Without a terminal (a service, a pipe, a test) there is no console thread: nothing
//! reads standard input, and nothing typed could act on the room.
//!
//! The room never waits for the console: answers go out with `try_send` on a bounded channel.

use std::io::{IsTerminal, Write};
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use crate::line::{Line, LineReader};
use crate::protocol::parse::{self, Request};

/// How long the console waits for the room's answer before it reads the next line anyway.
const ANSWER_WAIT: Duration = Duration::from_secs(5);

/// What the console asks of the room.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ConsoleRequest {
    /// A moderation request (`/kick`, `/ban`, `/op NICK`, `/topic`, ...).
    Moderate(Request),
    /// Say this to the room, as `host` (a reserved nickname: no member can pass for it).
    Say(String),
    /// Who is here.
    List,
}

/// What a typed line means.
#[derive(Debug, PartialEq, Eq)]
enum Typed {
    Room(ConsoleRequest),
    Help,
}

/// The room's end of the console.
pub(crate) struct ConsoleLink {
    pub(crate) requests: Receiver<ConsoleRequest>,
    pub(crate) answers: Sender<Option<String>>,
}

/// The commands, as `/help` at the console lists them (and chatroom-host(1)'s CONSOLE COMMANDS).
pub(crate) const HELP: &str = "\
console commands (you act as the host, an operator no one can kick or ban):
  /say TEXT                     say TEXT to the room, as host
  /list                         who is here (@ operators, (away) the away)
  /kick NICK [REASON]           put someone out of the room
  /ban NICK|ADDRESS|RANGE [DURATION] [REASON]
                                refuse an address (10.0.0.7, 10.0.0.0/24); DURATION is 30s, 10m,
                                2h, 1d or 1w (none: until lifted)
  /unban TARGET, /bans          lift a ban; list the bans
  /mute NICK [DURATION]         let someone read but not speak; /unmute NICK
  /topic [TEXT]                 show the topic, or set it (/topic - clears it)
  /op NICK, /deop NICK          make someone an operator, or no longer one
  /help                         this list (Ctrl-C closes the room)";

/// Reads a line typed at the console. `Ok(None)` for a blank line.
fn parse(line: &str) -> Result<Option<Typed>, String> {
    let trimmed = line.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    let (command, rest) = trimmed
        .split_once(char::is_whitespace)
        .unwrap_or((trimmed, ""));
    let command = command.to_ascii_lowercase();
    if command == "/help" {
        return Ok(Some(Typed::Help));
    }
    if command == "/say" {
        let rest = rest.trim_start();
        // As a member's plain line: `/say /etc` says "/etc", like `//etc` does.
        let said = match rest.starts_with('/') {
            true => format!("/{rest}"),
            false => rest.to_string(),
        };
        return match parse::parse_plain(&said) {
            Ok(Some(Request::Say(text))) => Ok(Some(Typed::Room(ConsoleRequest::Say(text)))),
            _ => Err("usage: /say TEXT".into()),
        };
    }
    if !trimmed.starts_with('/') {
        return Err(
            "to speak to the room type /say TEXT; /help lists the console's commands".into(),
        );
    }
    let request = parse::parse_plain(trimmed).map_err(|refusal| refusal.message)?;
    match request {
        Some(Request::List) => Ok(Some(Typed::Room(ConsoleRequest::List))),
        // `/away` and `/back` too: the room tells the console it is never away.
        Some(request) if request.is_moderation() => {
            Ok(Some(Typed::Room(ConsoleRequest::Moderate(request))))
        }
        _ => Err(format!(
            "{command} is not a console command; /help lists them"
        )),
    }
}

/// Starts the console thread when standard input is a terminal; `None` otherwise (or when the
/// thread cannot start, which the returned warning says).
pub(crate) fn start(max_line: usize) -> (Option<ConsoleLink>, Option<String>) {
    if !takes_commands() {
        return (None, None);
    }
    let (request_tx, request_rx) = crossbeam_channel::bounded(1);
    let (answer_tx, answer_rx) = crossbeam_channel::bounded(16);
    let started = std::thread::Builder::new()
        .name("console".into())
        .spawn(move || read_loop(max_line, &request_tx, &answer_rx));
    match started {
        Ok(_) => (
            Some(ConsoleLink {
                requests: request_rx,
                answers: answer_tx,
            }),
            None,
        ),
        Err(e) => (None, Some(format!("the console cannot take commands: {e}"))),
    }
}

/// Whether the console takes commands: standard input is a terminal, and the host is not a
/// background job of it.
pub(crate) fn takes_commands() -> bool {
    std::io::stdin().is_terminal() && !in_background()
}

/// Whether the host runs as a background job of the terminal on its standard input (`chatroom
/// host &`): reading that terminal would stop the whole host (SIGTTIN), so it has no console.
#[cfg(unix)]
fn in_background() -> bool {
    // SAFETY: both only read this process's state and the terminal's; no memory is involved.
    let (foreground, own) = unsafe { (libc::tcgetpgrp(libc::STDIN_FILENO), libc::getpgrp()) };
    foreground != -1 && foreground != own
}

#[cfg(not(unix))]
fn in_background() -> bool {
    false
}

/// Reads typed lines until standard input ends or the room is gone. The thread is not joined:
/// it may be blocked reading the terminal when the room closes, and ends with the process.
fn read_loop(
    max_line: usize,
    requests: &Sender<ConsoleRequest>,
    answers: &Receiver<Option<String>>,
) {
    let mut lines = LineReader::new(std::io::stdin(), max_line, 1024);
    loop {
        let text = match lines.next_line() {
            Ok(Some(Line::Text(text))) => text,
            Ok(Some(Line::TooLong)) => {
                print(&format!("error: the line is longer than {max_line} bytes"));
                continue;
            }
            // End of input (Ctrl-D) or a terminal gone: the room goes on without a console.
            Ok(None) | Err(_) => return,
        };
        let request = match parse(&text) {
            Ok(None) => continue,
            Ok(Some(Typed::Help)) => {
                print(HELP);
                continue;
            }
            Ok(Some(Typed::Room(request))) => request,
            Err(why) => {
                print(&format!("error: {why}"));
                continue;
            }
        };
        if requests.send(request).is_err() {
            return;
        }
        match answers.recv_timeout(ANSWER_WAIT) {
            Ok(Some(answer)) => print(answer.trim_end()),
            Ok(None) | Err(RecvTimeoutError::Timeout) => {}
            Err(RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Prints on the console; a closed stdout is not an error.
fn print(text: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}

#[cfg(test)]
mod tests {
    use super::*;

    fn room(line: &str) -> ConsoleRequest {
        match parse(line) {
            Ok(Some(Typed::Room(request))) => request,
            other => panic!("{line}: {other:?}"),
        }
    }

    #[test]
    fn the_console_takes_moderation_commands_say_and_list() {
        assert_eq!(
            room("/say hello everyone"),
            ConsoleRequest::Say("hello everyone".into())
        );
        assert_eq!(
            room("/say /etc/hosts"),
            ConsoleRequest::Say("/etc/hosts".into())
        );
        assert_eq!(room("/LIST"), ConsoleRequest::List);
        assert_eq!(room("/who"), ConsoleRequest::List);
        assert!(matches!(
            room("/kick eve spam"),
            ConsoleRequest::Moderate(Request::Kick { .. })
        ));
        assert!(matches!(
            room("/ban 10.0.0.0/8 1d"),
            ConsoleRequest::Moderate(Request::Ban { .. })
        ));
        assert!(matches!(
            room("/op ana"),
            ConsoleRequest::Moderate(Request::Op(_))
        ));
        // The room answers that the console is never away.
        assert_eq!(
            room("/away lunch"),
            ConsoleRequest::Moderate(Request::Away(Some("lunch".into())))
        );
        assert_eq!(parse("/help"), Ok(Some(Typed::Help)));
        assert_eq!(parse("   "), Ok(None));
    }

    #[test]
    fn anything_else_is_explained() {
        assert!(parse("hello").unwrap_err().contains("/say TEXT"));
        assert_eq!(parse("/say").unwrap_err(), "usage: /say TEXT");
        assert_eq!(parse("/say \u{1b}[2J").unwrap_err(), "usage: /say TEXT");
        for other in [
            "/msg bob hi",
            "/nick boss",
            "/quit",
            "/search x",
            "/me waves",
        ] {
            let why = parse(other).unwrap_err();
            assert!(why.contains("is not a console command"), "{other}: {why}");
        }
        assert_eq!(parse("/kick").unwrap_err(), "usage: /kick NICK [REASON]");
        assert!(
            parse("/dance")
                .unwrap_err()
                .contains("unknown command /dance")
        );
    }

    #[test]
    fn help_lists_every_console_command() {
        for command in [
            "/say", "/list", "/kick", "/ban", "/unban", "/bans", "/mute", "/unmute", "/topic",
            "/op", "/deop", "/help",
        ] {
            assert!(HELP.contains(command), "{command}");
        }
    }
}
