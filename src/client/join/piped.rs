//! A `join` session without a terminal: stdin lines in, the room's events out.
//!
//! Used when stdin or stdout is not a terminal, or with `--json`. There is no line editor: each
//! stdin line is sent, events go to stdout as plain lines (or the host's raw JSON with
//! `--json`), diagnostics to stderr, and the command exits 0 at the end of stdin once the host
//! has acknowledged everything sent, like `chatroom send`.

use std::io;
use std::sync::{Arc, Mutex};

use crossbeam_channel::{Receiver, select};

use super::Session;
use super::end::End;
use super::outgoing::Problem;
use super::output::{self, Output, Stdout};
use super::reader::Hooks;
use crate::cli::JoinArgs;
use crate::client::connection::{self, Welcome};
use crate::client::input::{self, UserInput};
use crate::client::render::Renderer;
use crate::client::resolve_nick;
use crate::client::roster::Roster;
use crate::error::{Error, Result, describe_io};
use crate::line::{Line, LineReader};

impl Session {
    /// The client without a terminal: stdin lines in, the room's events out.
    pub(super) fn piped(&self, args: &JoinArgs) -> Result<()> {
        let nick = resolve_nick(args.server.nick.as_deref())?;
        let password = self.password.as_ref();
        let (welcome, events, requests) =
            connection::join(&self.target, &self.security, &nick, password, self.timeout)?;
        let mut out = Stdout;
        if write_welcome(&mut out, &welcome, &self.renderer, args.json).is_err() {
            return Ok(()); // Nobody is reading.
        }
        output::when_stdout_closes(nobody_reads);
        let roster = Arc::new(Mutex::new(Roster::of_welcome(&welcome)));
        let (mut sender, outcomes) = self.start_reader(
            (&welcome, events, requests),
            self.password.clone(),
            roster.clone(),
            Hooks {
                out: Box::new(Stdout),
                raw: args.json,
                bell: false,
                // The main thread waits on the outcome channel itself: nothing to wake.
                wake: Box::new(|| {}),
                output_closed: Box::new(nobody_reads),
            },
        )?;
        let lines = stdin_lines(welcome.limits.max_line)?;
        let end = loop {
            select! {
                recv(lines) -> line => match line {
                    Ok(Line::Text(text)) => match input::parse(&text) {
                        UserInput::Blank | UserInput::Clear => {}
                        UserInput::Quit => break End::Left,
                        UserInput::Help => {
                            for line in input::HELP {
                                let _ = out.line(&self.renderer.notice(line));
                            }
                        }
                        UserInput::Mistake(why) => crate::error::to_stderr(format_args!("chatroom: {why}")),
                        // No terminal to ask on without echo.
                        UserInput::AskOpPassword => crate::error::to_stderr(format_args!(
                            "chatroom: usage: /op PASSWORD or /op NICK"
                        )),
                        input @ (UserInput::Ignore(_) | UserInput::Unignore(_) | UserInput::IgnoreList) => {
                            let me = roster.lock().expect("roster lock").me.clone();
                            match self.ignore_command(&input, &me) {
                                // Stdout holds the room's JSON lines only.
                                Some(Ok(line)) if args.json => crate::error::to_stderr(format_args!("chatroom: {line}")),
                                Some(Ok(line)) => { let _ = out.line(&line); }
                                Some(Err(why)) => crate::error::to_stderr(format_args!("chatroom: {why}")),
                                None => {}
                            }
                        }
                        UserInput::Request(request) => {
                            let request = {
                                let roster = roster.lock().expect("roster lock");
                                input::op_target(request, |word| roster.is_member(word))
                            };
                            match sender.send(request) {
                            Ok(()) => {}
                            Err(Problem::Mistake(why)) => crate::error::to_stderr(format_args!("chatroom: {why}")),
                            Err(Problem::End(end)) => break end,
                            }
                        }
                    },
                    Ok(Line::TooLong) => crate::error::to_stderr(format_args!(
                        "chatroom: a line was not sent: longer than the room allows ({} bytes)",
                        welcome.limits.max_line
                    )),
                    // The end of stdin.
                    Err(_) => break End::Left,
                },
                recv(outcomes) -> outcome => match outcome {
                    Ok(outcome) => {
                        sender.tally.record(&outcome);
                        if let Some(end) = End::of(&outcome) {
                            break end;
                        }
                    }
                    Err(_) => break End::Lost("the connection closed".into()),
                },
            }
        };
        match end {
            End::RoomClosed => {
                if args.json {
                    crate::error::to_stderr(format_args!("chatroom: room closed by host"));
                } else {
                    let _ = out.line(&self.renderer.notice("room closed by host"));
                }
                Ok(())
            }
            End::Lost(why) => Err(sender.lost(&self.target, &why)),
            End::Failed(why) => Err(Error::failure(why)),
            End::Left | End::Interrupted => {
                sender.leave(&outcomes, (self.timeout, true), &self.target)
            }
        }
    }
}

/// `join --json | head -1`: the reader has read enough. With no terminal to restore and no
/// history to save, the quiet way out is the direct one.
fn nobody_reads() {
    std::process::exit(0)
}

/// The welcome, as a JSON event or as rendered lines.
fn write_welcome(
    out: &mut Stdout,
    welcome: &Welcome,
    renderer: &Renderer,
    json: bool,
) -> io::Result<()> {
    if json {
        // The host's own line, fields this client does not know included.
        return out.line(&welcome.line);
    }
    for line in renderer.welcome(welcome, false) {
        out.line(&line)?;
    }
    Ok(())
}

/// Reads stdin on its own thread, so the main thread can watch the room while it waits. The
/// channel closes at the end of stdin (or on a read error, reported here).
fn stdin_lines(max_line: usize) -> Result<Receiver<Line>> {
    let (tx, rx) = crossbeam_channel::bounded(64);
    std::thread::Builder::new()
        .name("stdin".into())
        .spawn(move || {
            let stdin = io::stdin();
            let mut lines = LineReader::new(stdin.lock(), max_line, 64 * 1024);
            loop {
                match lines.next_line() {
                    Ok(Some(line)) => {
                        if tx.send(line).is_err() {
                            return;
                        }
                    }
                    Ok(None) => return,
                    Err(e) => {
                        crate::error::to_stderr(format_args!(
                            "chatroom: cannot read stdin: {}",
                            describe_io(&e)
                        ));
                        return;
                    }
                }
            }
        })
        .map_err(|e| Error::failure(format!("cannot start the stdin thread: {e}")))?;
    Ok(rx)
}
