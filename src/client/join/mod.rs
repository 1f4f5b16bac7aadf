//! `chatroom join`: the interactive client, and its pipe-friendly twin.
//!
//! Two threads share the connection. The **event thread** reads the room, keeps the [`Roster`]
//! current, prints every event, and reports replies and the connection's end to the main thread
//! as [`AckOutcome`]s. The **main thread** reads what the user types, sends it, and decides when
//! and how the session ends. It alone exits, so the terminal is always restored and history
//! always saved.
//!
//! - **On a terminal** (stdin and stdout both, no `--json`) input goes through the line editor
//!   (`editor.rs`), and events are printed above the prompt with rustyline's external printer,
//!   which repaints a half-typed line intact. When the room closes while the user is typing, the
//!   event thread has to get the main thread out of `readline`: on Unix it sends the process
//!   SIGINT, which rustyline turns into `Interrupted` (see `PromptWaker`).
//! - **Otherwise** there is no line editor: each stdin line is sent, events go to stdout as
//!   plain lines (or raw JSON with `--json`), and the command exits 0 at the end of stdin, once
//!   the host has acknowledged everything sent, like `chatroom send`.

mod end;
mod outgoing;
mod output;
mod piped;
mod prompt_waker;
mod reader;

use std::io::{self, IsTerminal};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::Receiver;
use rustyline::error::ReadlineError;

use self::end::{End, lost};
use self::outgoing::{Outgoing, Problem};
use self::output::{Output, Screen};
use self::prompt_waker::PromptWaker;
use self::reader::Hooks;
use super::acks::{self, AckOutcome, AckTally};
use super::connection::{self, EventStream, JoinReply, Joined, Requests, Welcome};
use super::editor::{self, LineEditor};
use super::input::{self, UserInput};
use super::render::{Renderer, Style};
use super::roster::Roster;
use super::target::{self, Target};
use crate::cli::JoinArgs;
use crate::color;
use crate::error::{Error, ExitStatus, Result};
use crate::nick;
use crate::protocol::parse::Request;

pub fn run(args: &JoinArgs) -> Result<()> {
    let target = target::parse(&args.server.server, args.server.port)
        .map_err(|e| Error::new(ExitStatus::Usage, e))?;
    let timeout = Duration::from_secs(args.server.timeout);
    let on_terminal = io::stdin().is_terminal() && io::stdout().is_terminal();
    let colors = !args.json && color::init(args.color);
    let renderer = Arc::new(Renderer::new(Style {
        color: colors,
        timestamps: !args.no_timestamps,
    }));
    let session = Session {
        target,
        timeout,
        renderer,
    };
    if on_terminal && !args.json {
        let history = args
            .history_file
            .clone()
            .or_else(editor::default_history_path);
        // A terminal rustyline cannot drive (TERM=dumb, say) gets the plain client instead.
        if let Some(terminal) = Terminal::open(&session, history) {
            return session.interactive(terminal, args.server.nick.as_deref());
        }
    }
    session.piped(args)
}

/// What every part of one session needs to know.
struct Session {
    target: Target,
    timeout: Duration,
    renderer: Arc<Renderer>,
}

/// The interactive side: the line editor, and a printer for the main thread's own lines.
struct Terminal {
    editor: LineEditor,
    roster: Arc<Mutex<Roster>>,
    printer: Box<dyn Output>,
}

impl Terminal {
    fn open(session: &Session, history: Option<PathBuf>) -> Option<Terminal> {
        let roster = Arc::new(Mutex::new(Roster::default()));
        let mut editor = LineEditor::new(roster.clone(), session.renderer.clone(), history).ok()?;
        let printer = Box::new(Screen(editor.printer().ok()?));
        Some(Terminal {
            editor,
            roster,
            printer,
        })
    }

    fn say(&mut self, text: &str) {
        let _ = self.printer.line(text);
    }
}

impl Session {
    /// Starts the event thread on a joined connection; returns the main thread's sending half
    /// and the channel the event thread reports on.
    fn start_reader(
        &self,
        (welcome, events, requests): (&Welcome, EventStream, Requests),
        roster: Arc<Mutex<Roster>>,
        hooks: Hooks,
    ) -> Result<(Outgoing, Receiver<AckOutcome>)> {
        let (outcomes, pms_tx) = reader::spawn(events, roster, self.renderer.clone(), hooks)?;
        let outgoing = Outgoing::new(requests, welcome.limits.max_line, pms_tx);
        Ok((outgoing, outcomes))
    }

    /// The terminal client: ask for a nickname if need be, then chat until someone leaves.
    fn interactive(&self, mut terminal: Terminal, given_nick: Option<&str>) -> Result<()> {
        let Some((welcome, events, requests)) = self.join_asking(&mut terminal, given_nick)? else {
            return Ok(());
        };
        *terminal.roster.lock().expect("roster lock") = Roster::new(&welcome.nick, &welcome.users);
        for line in self.renderer.welcome(&welcome) {
            terminal.say(&line);
        }
        let waker = PromptWaker::default();
        waker.handle_signals();
        let (wake, output_closed) = (waker.clone(), waker.clone());
        let printer = terminal
            .editor
            .printer()
            .map_err(|e| Error::failure(format!("cannot use the terminal: {e}")))?;
        let (mut sender, outcomes) = self.start_reader(
            (&welcome, events, requests),
            terminal.roster.clone(),
            Hooks {
                out: Box::new(Screen(printer)),
                raw: false,
                bell: true,
                wake: Box::new(move || wake.wake()),
                // The terminal is gone (hung up): stop as if signalled, which SIGHUP also does.
                output_closed: Box::new(move || output_closed.request_stop()),
            },
        )?;
        let end = self.chat(&mut terminal, &mut sender, &outcomes, &waker);
        waker.mark_awake();
        terminal.editor.save_history();
        match end {
            End::RoomClosed => {
                terminal.say(&self.renderer.notice("room closed by host"));
                Ok(())
            }
            End::Left => sender.leave(&outcomes, self.timeout, &self.target),
            End::Interrupted => {
                sender.leave(&outcomes, self.timeout, &self.target)?;
                Err(Error::new(ExitStatus::Interrupted, "interrupted"))
            }
            End::Lost(why) => Err(lost(&self.target, &why)),
            End::Failed(why) => Err(Error::failure(why)),
        }
    }

    /// Connects under the given nickname or one the user types, asking again (with the reason)
    /// while the room refuses it. `None` when the user gives up (Ctrl-C or Ctrl-D).
    fn join_asking(&self, terminal: &mut Terminal, given: Option<&str>) -> Result<Option<Joined>> {
        let mut suggestion = super::resolve_nick(None)?;
        let mut next = given.map(str::to_string);
        loop {
            let nick = match next.take() {
                Some(nick) => nick,
                None => match terminal.editor.read_nick(&suggestion) {
                    Ok(nick) => nick.trim().to_string(),
                    Err(ReadlineError::Interrupted | ReadlineError::Eof) => return Ok(None),
                    Err(e) => return Err(Error::failure(format!("cannot read the terminal: {e}"))),
                },
            };
            let refusal = match nick::validate(&nick) {
                Err(why) => format!("cannot use '{nick}' as a nickname: {why}"),
                Ok(()) => match connection::handshake(&self.target, &nick, self.timeout)? {
                    JoinReply::Joined(joined) => return Ok(Some(*joined)),
                    JoinReply::NickRefused(why) => why,
                },
            };
            terminal.say(&self.renderer.error(&format!("{refusal}; try another")));
            suggestion = nick;
        }
    }

    /// The chat loop: read a line, act on it, until the session ends.
    fn chat(
        &self,
        terminal: &mut Terminal,
        sender: &mut Outgoing,
        outcomes: &Receiver<AckOutcome>,
        waker: &PromptWaker,
    ) -> End {
        loop {
            if let Some(end) = take_outcomes(&mut sender.tally, outcomes, waker) {
                return end;
            }
            let me = terminal.roster.lock().expect("roster lock").me.clone();
            let line = match terminal.editor.read_line(&self.renderer.raw_prompt(&me)) {
                Ok(line) => line,
                Err(ReadlineError::Interrupted) => {
                    return take_outcomes(&mut sender.tally, outcomes, waker).unwrap_or(End::Left);
                }
                Err(ReadlineError::Eof) => return End::Left,
                Err(e) => return End::Failed(format!("cannot read the terminal: {e}")),
            };
            terminal.editor.remember(&line);
            match input::parse(&line) {
                UserInput::Blank => {}
                UserInput::Quit => return End::Left,
                UserInput::Help => {
                    for line in input::HELP {
                        terminal.say(&self.renderer.notice(line));
                    }
                }
                UserInput::Clear => terminal.editor.clear_screen(),
                UserInput::Mistake(why) => terminal.say(&self.renderer.error(&why)),
                UserInput::Request(request) => {
                    let renaming = matches!(request, Request::Nick(_));
                    match sender.send(request) {
                        Ok(()) => {}
                        Err(Problem::Mistake(why)) => terminal.say(&self.renderer.error(&why)),
                        Err(Problem::End(end)) => return end,
                    }
                    // The next prompt shows our nickname: wait until the room has answered.
                    if renaming && let Some(end) = self.settle_now(sender, outcomes) {
                        return end;
                    }
                }
            }
        }
    }

    /// Waits (up to the timeout) until every request sent has been answered.
    fn settle_now(&self, sender: &mut Outgoing, outcomes: &Receiver<AckOutcome>) -> Option<End> {
        let mut end = None;
        let result = acks::settle(
            &mut sender.tally,
            outcomes,
            self.timeout,
            |_, outcome| {
                end = End::of(&outcome);
                match end {
                    // Stops the wait; `end` says why.
                    Some(_) => Err(Error::failure("the session ended")),
                    None => Ok(()),
                }
            },
            |_, why| Error::failure(why),
        );
        match (end, result) {
            (Some(end), _) => Some(end),
            (None, Err(why)) => Some(End::Lost(why.to_string())),
            (None, Ok(())) => None,
        }
    }
}

/// Counts the replies that came in while the user was typing, and says whether the session
/// has ended meanwhile.
fn take_outcomes(
    tally: &mut AckTally,
    outcomes: &Receiver<AckOutcome>,
    waker: &PromptWaker,
) -> Option<End> {
    for outcome in outcomes.try_iter() {
        tally.record(&outcome);
        if let Some(end) = End::of(&outcome) {
            return Some(end);
        }
    }
    waker.stop_requested().then_some(End::Interrupted)
}
