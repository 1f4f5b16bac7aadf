//! A `join` session on a terminal: the line editor reads what the user types, and events are
//! printed above the prompt.
//!
//! Used when stdin and stdout are both terminals (and not `--json`). The nickname can be asked
//! for, and asked again while the room refuses it. Events are printed with rustyline's external
//! printer, which repaints a half-typed line intact. The session can end while the main thread
//! waits in `readline` (the room closes, a signal comes): the [`PromptWaker`] gets it out.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use crossbeam_channel::Receiver;
use rustyline::error::ReadlineError;

use super::Session;
use super::end::{End, lost};
use super::outgoing::{Outgoing, Problem};
use super::output::{Output, Screen};
use super::prompt_waker::PromptWaker;
use super::reader::Hooks;
use crate::client::acks::{self, AckOutcome, AckTally};
use crate::client::connection::{self, Hello, Joined, Open};
use crate::client::editor::{self, LineEditor};
use crate::client::input::{self, UserInput};
use crate::client::render;
use crate::client::resolve_nick;
use crate::client::roster::Roster;
use crate::error::{Error, ExitStatus, Result};
use crate::nick;
use crate::password::Password;
use crate::protocol::Timestamp;
use crate::protocol::parse::{OpArg, Request};
use crate::protocol::wire::MessageKind;

/// What the first Ctrl-C on an empty line says (the second one leaves).
const LEAVE_HINT: &str = "(press Ctrl-C again or type /quit to leave)";

/// The interactive side: the line editor, and a printer for the main thread's own lines.
pub(super) struct Terminal {
    editor: LineEditor,
    /// Shared with the line editor (Tab completes nicknames) and, once joined, the event thread;
    /// the prompt shows our nickname from it.
    roster: Arc<Mutex<Roster>>,
    /// For the main thread's own lines (the welcome, notices, mistakes), printed above the
    /// prompt like the room's.
    printer: Box<dyn Output>,
}

impl Terminal {
    pub(super) fn open(session: &Session, history: Option<PathBuf>) -> Option<Terminal> {
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

    /// Replaces the last `rows` rows on screen (what `readline` left of a line, the cursor
    /// just below them) with `lines`. Where the terminal cannot be told to move the cursor
    /// (outside Unix), the old rows stay and `lines` follow them.
    fn replace_last_rows(&mut self, rows: usize, lines: &[String]) {
        let erase = if cfg!(unix) && rows > 0 {
            format!("\x1b[{rows}A\r\x1b[J")
        } else {
            String::new()
        };
        let text = lines.join("\n");
        let _ = self.printer.line(&format!("{erase}{text}"));
    }
}

impl Session {
    /// The terminal client: ask for a nickname if need be, then chat until someone leaves.
    pub(super) fn interactive(
        &self,
        mut terminal: Terminal,
        given_nick: Option<&str>,
    ) -> Result<()> {
        let Some(((welcome, events, requests), password)) =
            self.join_asking(&mut terminal, given_nick)?
        else {
            return Ok(());
        };
        *terminal.roster.lock().expect("roster lock") = Roster::of_welcome(&welcome);
        for line in self.renderer.welcome(&welcome, true) {
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
            password,
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
            End::Left => sender.leave(&outcomes, (self.timeout, false), &self.target),
            End::Interrupted => {
                sender.leave(&outcomes, (self.timeout, false), &self.target)?;
                Err(Error::new(ExitStatus::Interrupted, "interrupted"))
            }
            End::Lost(why) => Err(sender.lost(&self.target, &why)),
            End::Failed(why) => Err(Error::failure(why)),
        }
    }

    /// Connects, then joins under the given nickname or one the user types, asking again
    /// (with the reason) while the room refuses it; for a room with a password, with the one
    /// given up front or typed (without echo) after the greeting asked for it. `None` when the
    /// user gives up (Ctrl-C or Ctrl-D, or an empty password).
    ///
    /// The connection comes first, so that a missing host (or one turning everyone away) is
    /// reported before anyone types a name. The first default is the OS user name (or
    /// `guest`); a default the room refused is not offered again.
    /// Returns the password the room took, too, for joining again.
    fn join_asking(
        &self,
        terminal: &mut Terminal,
        given: Option<&str>,
    ) -> Result<Option<(Joined, Option<Password>)>> {
        let mut open = Some(connection::greet(
            &self.target,
            &self.security,
            self.timeout,
        )?);
        // A room with a password says so in its greeting: the password comes before the
        // nickname, as it does for nc users. A room without one is not sent one.
        let asks = open.as_ref().is_some_and(Open::needs_password);
        let password = match &self.password {
            _ if !asks => None,
            Some(given) => Some(given.clone()),
            None => match crate::client::password::ask(&self.target)? {
                Some(typed) => Some(typed),
                None => return Ok(None),
            },
        };
        let mut default = Some(resolve_nick(None)?);
        let mut next = given.map(str::to_string);
        loop {
            let nick = match next.take() {
                Some(nick) => nick,
                None => match terminal.editor.read_nick(default.as_deref()) {
                    Ok(nick) => nick,
                    Err(ReadlineError::Interrupted | ReadlineError::Eof) => return Ok(None),
                    Err(e) => return Err(Error::failure(format!("cannot read the terminal: {e}"))),
                },
            };
            let refusal = match nick::validate(&nick) {
                Err(why) => format!("cannot use '{nick}' as a nickname: {why}"),
                Ok(()) => match self.hello(&mut open, &nick, password.as_ref())? {
                    Ok(joined) => return Ok(Some((joined, password))),
                    Err(why) => why,
                },
            };
            terminal.say(&self.renderer.error(&format!("{refusal}; try another")));
            if default.as_deref() == Some(nick.as_str()) {
                default = None;
            }
        }
    }

    /// Says hello as `nick` on the connection kept `open` (or a fresh one, when the host gave
    /// up waiting while the user was typing). `Err` holds why the room refused the nickname;
    /// the connection stays open for another.
    fn hello(
        &self,
        open: &mut Option<Open>,
        nick: &str,
        password: Option<&Password>,
    ) -> Result<Result<Joined, String>> {
        for fresh in [false, true] {
            let connection = match open.take() {
                Some(connection) if !fresh => connection,
                _ => connection::greet(&self.target, &self.security, self.timeout)?,
            };
            match connection.hello(nick, password)? {
                Hello::Joined(joined) => return Ok(Ok(*joined)),
                Hello::NickRefused(why, connection) => {
                    *open = Some(*connection);
                    return Ok(Err(why));
                }
                Hello::Closed => {}
            }
        }
        Err(lost(
            &self.target,
            "the host closed the connection before welcoming us",
        ))
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
            let prompt = self.renderer.raw_prompt(&me);
            let line = match terminal.editor.read_line(&prompt) {
                Ok(line) => line,
                Err(ReadlineError::Interrupted) => {
                    // The session ending elsewhere interrupts `readline` too (see PromptWaker).
                    if let Some(end) = take_outcomes(&mut sender.tally, outcomes, waker) {
                        return end;
                    }
                    if terminal.editor.interrupted() {
                        return End::Left;
                    }
                    terminal.replace_last_rows(1, &[self.renderer.notice(LEAVE_HINT)]);
                    continue;
                }
                Err(ReadlineError::Eof) => return End::Left,
                Err(e) => return End::Failed(format!("cannot read the terminal: {e}")),
            };
            // A paste of several lines (the editor keeps their breaks) is as many messages,
            // in order.
            let typed: Vec<&str> = line.split('\n').collect();
            let inputs: Vec<UserInput> = typed.iter().map(|line| input::parse(line)).collect();
            // A line that may hold a password stays out of the history file.
            for (line, input) in typed.iter().zip(&inputs) {
                if !input.is_secret() {
                    terminal.editor.remember(line);
                }
            }
            self.echo(terminal, (&prompt, &line), &me, &typed, &inputs);
            for input in inputs {
                if let Some(end) = self.act(terminal, sender, outcomes, input) {
                    return end;
                }
            }
        }
    }

    /// Does what one typed line asks; `Some` when that ends the session.
    fn act(
        &self,
        terminal: &mut Terminal,
        sender: &mut Outgoing,
        outcomes: &Receiver<AckOutcome>,
        input: UserInput,
    ) -> Option<End> {
        match input {
            UserInput::Blank => {}
            UserInput::Quit => return Some(End::Left),
            UserInput::Help => {
                for line in input::HELP {
                    terminal.say(&self.renderer.notice(line));
                }
            }
            UserInput::Clear => terminal.editor.clear_screen(),
            UserInput::Mistake(why) => terminal.say(&self.renderer.error(&why)),
            UserInput::Ignore(_) | UserInput::Unignore(_) | UserInput::IgnoreList => {
                let me = terminal.roster.lock().expect("roster lock").me.clone();
                match self.ignore_command(&input, &me) {
                    Some(Ok(line)) => terminal.say(&line),
                    Some(Err(why)) => terminal.say(&self.renderer.error(&why)),
                    None => {}
                }
            }
            UserInput::AskOpPassword => match crate::client::password::ask_operator() {
                Ok(Some(password)) => {
                    let request = Request::Op(OpArg::Password(password));
                    return self.act(terminal, sender, outcomes, UserInput::Request(request));
                }
                Ok(None) => terminal.say(&self.renderer.notice("no password given; not sent")),
                Err(why) => terminal.say(&self.renderer.error(&why.to_string())),
            },
            UserInput::Request(request) => {
                let renaming = matches!(request, Request::Nick(_));
                let request = {
                    let roster = terminal.roster.lock().expect("roster lock");
                    input::op_target(request, |word| roster.is_member(word))
                };
                match sender.send(request) {
                    Ok(()) => {}
                    Err(Problem::Mistake(why)) => terminal.say(&self.renderer.error(&why)),
                    Err(Problem::End(end)) => return Some(end),
                }
                // The next prompt shows our nickname: wait until the room has answered.
                if renaming {
                    return self.settle_now(sender, outcomes);
                }
            }
        }
        None
    }

    /// Replaces what `readline` left on screen of what was just typed (`prompt` and `line`)
    /// with how the room reads it, where that differs: `/me waves` as `* ana waves`, `//etc`
    /// as `<ana> /etc`, a pasted block as one message line each, a long line word-wrapped
    /// and indented like incoming ones. Other commands stay as typed.
    fn echo(
        &self,
        terminal: &mut Terminal,
        (prompt, line): (&str, &str),
        me: &str,
        typed: &[&str],
        inputs: &[UserInput],
    ) {
        let Some(columns) = terminal.editor.columns() else {
            return;
        };
        let rows = editor::rows(prompt, line, columns);
        let differs = match inputs {
            [UserInput::Request(Request::Me(_))] => true,
            [UserInput::Request(Request::Say(text))] => text != line,
            // Whatever the editor left on screen, the password is not in it.
            _ if inputs.iter().any(UserInput::is_secret) => true,
            _ => typed.len() > 1,
        };
        // Elsewhere the terminal cannot be told to go back up: the typed rows stay.
        if !cfg!(unix) || !(differs || rows > 1) {
            return;
        }
        let now = Timestamp::now();
        let roster = terminal.roster.lock().expect("roster lock").clone();
        let lines: Vec<String> = typed
            .iter()
            .zip(inputs)
            .filter_map(|(typed, input)| {
                let (kind, text) = match input {
                    UserInput::Blank => return None,
                    UserInput::Request(Request::Say(text)) => (MessageKind::Say, text.as_str()),
                    UserInput::Request(Request::Me(text)) => (MessageKind::Me, text.as_str()),
                    _ => (MessageKind::Say, *typed),
                };
                let hidden = input::masked(text, |word| roster.is_member(word));
                let text = hidden.as_deref().unwrap_or(text);
                let own = self.renderer.own(kind, me, text, &now);
                Some(render::wrap(&own.text, own.indent, columns))
            })
            .collect();
        if !lines.is_empty() {
            terminal.replace_last_rows(rows, &lines);
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
