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
//!   SIGINT, which rustyline turns into `Interrupted` (see `prompt_waker.rs`).
//! - **Otherwise** there is no line editor: each stdin line is sent, events go to stdout as
//!   plain lines (or raw JSON with `--json`), and the command exits 0 at the end of stdin, once
//!   the host has acknowledged everything sent, like `chatroom send`.
//!
//! # Layout
//! - this file: [`run`], which picks the mode, and the session both modes share.
//! - `interactive.rs`: the terminal session (asking for a nickname, the chat loop).
//! - `piped.rs`: the session without a terminal (stdin lines in, events out).
//! - `reader.rs`: the event thread, and the hooks by which the two modes tell it apart.
//! - `output.rs`: where the event thread prints (above the prompt, or plain stdout).
//! - `outgoing.rs`: the main thread's sending half (numbered requests, leaving without loss).
//! - `comeback.rs`: joining again after the connection drops, asking for what was missed.
//! - `prompt_waker.rs`: getting the main thread out of `readline` when the session ends
//!   elsewhere, and stopping on signals.
//! - `end.rs`: how a session ended, and what the main thread makes of it.

mod comeback;
mod end;
mod interactive;
mod outgoing;
mod output;
mod piped;
mod prompt_waker;
mod reader;

use std::io::{self, IsTerminal};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crossbeam_channel::Receiver;

use self::comeback::Comeback;
use self::interactive::Terminal;
use self::outgoing::{LinkState, Outgoing};
use self::reader::Hooks;
use crate::cli::JoinArgs;
use crate::client::acks::AckOutcome;
use crate::client::connection::{EventStream, Requests, Welcome};
use crate::client::editor;
use crate::client::ignore::{self, IgnoreList};
use crate::client::input::UserInput;
use crate::client::render::{Renderer, Style};
use crate::client::roster::Roster;
use crate::client::stream::Security;
use crate::client::target::{self, Target};
use crate::color;
use crate::error::{Error, ExitStatus, Result};
use crate::password::Password;

/// Runs `chatroom join`: on a terminal the interactive session, otherwise the piped one.
pub fn run(args: &JoinArgs) -> Result<()> {
    let target = target::parse(&args.server.server, args.server.port)
        .map_err(|e| Error::new(ExitStatus::Usage, e))?;
    let timeout = Duration::from_secs(args.server.timeout);
    let on_terminal = io::stdin().is_terminal() && io::stdout().is_terminal();
    let colors = !args.json && color::init(args.color);
    let renderer = Arc::new(Renderer::new(Style {
        color: colors,
        timestamps: args.shows_timestamps(),
    }));
    let history = args
        .history_file
        .clone()
        .or_else(editor::default_history_path);
    // The ignore list lives beside the history, one file per room.
    let ignore_path = history
        .as_deref()
        .and_then(std::path::Path::parent)
        .map(|dir| ignore::path_for(dir, &target));
    let (ignored, warning) = IgnoreList::load(ignore_path);
    if let Some(warning) = warning {
        crate::error::to_stderr(format_args!("chatroom: warning: {warning}"));
    }
    let session = Session {
        ignored: Arc::new(Mutex::new(ignored)),
        target,
        security: Security::of(&args.server, on_terminal && !args.json),
        timeout,
        renderer,
        password: crate::client::password::given(&args.server)?,
        reconnect: !args.no_reconnect,
        keepalive: (args.keepalive > 0).then(|| Duration::from_secs(args.keepalive)),
    };
    if on_terminal && !args.json {
        // A terminal rustyline cannot drive (TERM=dumb, say) gets the plain client instead.
        if let Some(terminal) = Terminal::open(&session, history) {
            return session.interactive(terminal, args.server.nick.as_deref());
        }
    }
    session.piped(args)
}

/// What every part of one session needs to know.
struct Session {
    /// Where to connect; errors name it.
    target: Target,
    /// In clear or over TLS, and whom to trust.
    security: Security,
    /// How long to wait for the host when an answer is owed (connecting, the welcome, acks).
    timeout: Duration,
    /// Shared by both threads and the line editor, which draws the prompt with it.
    renderer: Arc<Renderer>,
    /// The room's password, when given up front (the terminal session may ask for it).
    password: Option<Password>,
    /// Join again when the connection drops (not `--no-reconnect`).
    reconnect: bool,
    /// Whose messages not to show (`/ignore`): edited by the main thread, read (and renamed)
    /// by the event thread. Shared behind a lock held for one lookup or edit, not owned by one
    /// thread and edited over a channel: the event thread spends its time blocked in a socket
    /// read and the main thread in `readline`, so neither could take the other's message at
    /// once, and the answer to `/ignore` would wait for the room's next line (or the next
    /// liveness tick, seconds away; longer while reconnecting).
    ignored: Arc<Mutex<IgnoreList>>,
    /// A silence of the host's this long counts as a lost connection (`--keepalive`); `None`:
    /// never.
    keepalive: Option<Duration>,
}

impl Session {
    /// Starts the event thread on a joined connection; returns the main thread's sending half
    /// and the channel the event thread reports on.
    /// `password` is the one the room took, for joining again.
    fn start_reader(
        &self,
        (welcome, events, requests): (&Welcome, EventStream, Requests),
        password: Option<Password>,
        roster: Arc<Mutex<Roster>>,
        hooks: Hooks,
    ) -> Result<(Outgoing, Receiver<AckOutcome>)> {
        let (lines, writer) = outgoing::spawn_writer(requests)?;
        let link = Arc::new(LinkState::default());
        let comeback = self.reconnect.then(|| {
            let to = (self.target.clone(), self.security.clone());
            Comeback::new(to, password, self.timeout, link.clone())
        });
        let liveness = reader::Liveness::new(lines.clone(), self.timeout, self.keepalive);
        let shared = reader::Shared {
            ignored: self.ignored.clone(),
            link: link.clone(),
            room: self.target.to_string(),
            topic: welcome.topic.as_ref().map(|topic| topic.text.clone()),
        };
        let (outcomes, pms_tx) = reader::spawn(
            (events, writer),
            comeback,
            roster,
            self.renderer.clone(),
            hooks,
            liveness,
            shared,
        )?;
        // Messages carry a resend key only when they may be sent again.
        let client = self.reconnect.then(crate::client::retry::client_id);
        let outgoing = Outgoing::new((lines, link), client, welcome.limits.max_line, pms_tx);
        Ok((outgoing, outcomes))
    }
}

impl Session {
    /// `/ignore NICK`, `/unignore NICK`, `/ignore`: edits or shows the ignore list. `Ok` is
    /// what happened, to show as a notice; `Err` a mistake or a list that could not be saved.
    /// `None` for any other input.
    fn ignore_command(&self, input: &UserInput, me: &str) -> Option<Result<String, String>> {
        let mut ignored = self.ignored.lock().expect("ignore lock");
        Some(match input {
            UserInput::IgnoreList => Ok(self.renderer.ignore_list(ignored.nicks())),
            UserInput::Ignore(nick) if nick.eq_ignore_ascii_case(me) => {
                Err("you cannot ignore yourself".to_string())
            }
            UserInput::Ignore(nick) => ignored.add(nick).map(|added| match added {
                true => self.renderer.notice(&format!(
                    "ignoring {nick}: their messages are hidden on this screen (/unignore {nick} \
                     shows them again)"
                )),
                false => self.renderer.notice(&format!("{nick} is already ignored")),
            }),
            UserInput::Unignore(nick) => ignored.remove(nick).map(|removed| match removed {
                true => self.renderer.notice(&format!("no longer ignoring {nick}")),
                false => self
                    .renderer
                    .notice(&format!("{nick} is not ignored (/ignore lists who is)")),
            }),
            _ => return None,
        })
    }
}
