//! The event thread of a `join` session: reads the room, keeps the roster current, prints every
//! event, and reports replies and the connection's end to the main thread.
//!
//! It never ends the session itself: when the connection ends it reports the [`AckOutcome`] and
//! wakes the main thread ([`Hooks::wake`]), which decides what happens next.

use std::io;
use std::sync::{Arc, Mutex};

use crossbeam_channel::{Receiver, Sender};

use super::outgoing::SentPm;
use super::output::Output;
use crate::client::acks::AckOutcome;
use crate::client::connection::EventStream;
use crate::client::render::Renderer;
use crate::client::roster::Roster;
use crate::error::{Error, Result, describe_io};
use crate::protocol::wire::MessageKind;
use crate::protocol::{Event, Timestamp};

/// How the event thread prints, and how it reaches the main thread: what differs between a
/// terminal and a pipe.
pub(super) struct Hooks {
    /// Where events are printed.
    pub(super) out: Box<dyn Output>,
    /// Print the room's lines as they came, JSON included, instead of rendering them.
    pub(super) raw: bool,
    /// Ring the terminal bell on mentions (only a terminal has one).
    pub(super) bell: bool,
    /// Called once the connection has ended and the main thread has been told, to make sure
    /// it notices.
    pub(super) wake: Box<dyn Fn() + Send>,
    /// Called when our output is gone: nobody is reading any more.
    pub(super) output_closed: Box<dyn Fn() + Send>,
}

/// The event thread.
struct Reader {
    events: EventStream,
    /// Kept current from the events: the prompt shows our nickname, Tab completes the others.
    roster: Arc<Mutex<Roster>>,
    renderer: Arc<Renderer>,
    hooks: Hooks,
    /// Replies and the connection's end, for the main thread to count and act on.
    outcomes: Sender<AckOutcome>,
    /// Private messages we sent, by id, so their acks can be shown as `[pm to NICK] text`.
    sent_pms: Receiver<SentPm>,
}

/// Starts the event thread on the reading half of a joined connection. Returns the channel it
/// reports outcomes on, and the one on which the main thread tells it of private messages sent.
pub(super) fn spawn(
    events: EventStream,
    roster: Arc<Mutex<Roster>>,
    renderer: Arc<Renderer>,
    hooks: Hooks,
) -> Result<(Receiver<AckOutcome>, Sender<SentPm>)> {
    let (outcomes_tx, outcomes) = crossbeam_channel::unbounded();
    let (pms_tx, sent_pms) = crossbeam_channel::unbounded();
    Reader {
        events,
        roster,
        renderer,
        hooks,
        outcomes: outcomes_tx,
        sent_pms,
    }
    .spawn()?;
    Ok((outcomes, pms_tx))
}

impl Reader {
    fn spawn(self) -> Result<()> {
        std::thread::Builder::new()
            .name("events".into())
            .spawn(move || self.run())
            .map(drop)
            .map_err(|e| Error::failure(format!("cannot start the event thread: {e}")))
    }

    fn run(mut self) {
        // Silence is normal in a chat room; only the main thread judges the host's answers.
        let _ = self.events.set_timeout(None);
        let mut pms = std::collections::HashMap::new();
        loop {
            let (raw, event) = match self.events.next_raw_event() {
                Ok(Some(next)) => next,
                Ok(None) => return self.report(AckOutcome::of_read_end(None)),
                Err(e) => return self.report(AckOutcome::of_read_end(Some(&e))),
            };
            let me = {
                let mut roster = self.roster.lock().expect("roster lock");
                roster.apply(&event);
                roster.me.clone()
            };
            pms.extend(
                self.sent_pms
                    .try_iter()
                    .map(|(id, to, text)| (id, (to, text))),
            );
            if let Err(e) = self.show(&raw, &event, &me, &mut pms) {
                if e.kind() != io::ErrorKind::BrokenPipe {
                    eprintln!("chatroom: cannot write to stdout: {}", describe_io(&e));
                }
                return (self.hooks.output_closed)();
            }
            if let Some(outcome) = AckOutcome::of_event(&event) {
                if outcome.is_final() {
                    return self.report(outcome);
                }
                if self.outcomes.send(outcome).is_err() {
                    return;
                }
            }
        }
    }

    fn show(
        &mut self,
        raw: &str,
        event: &Event,
        me: &str,
        pms: &mut std::collections::HashMap<u64, (String, String)>,
    ) -> io::Result<()> {
        let out = &mut self.hooks.out;
        if self.hooks.raw {
            return out.line(raw);
        }
        match event {
            Event::Ack { id, .. } => {
                let pm = id.as_ref().and_then(|id| pms.remove(&id.as_u64()?));
                if let Some((to, text)) = pm {
                    // As the room spells the nickname (`/msg BOB` goes to bob).
                    let to = self.roster.lock().expect("roster lock").spelled(&to);
                    let line = self.renderer.pm_sent(&Timestamp::now(), &to, &text);
                    out.wrapped(&line.text, line.indent)?;
                }
                Ok(())
            }
            // A private message to ourselves: its ack shows it already.
            Event::Message {
                kind: MessageKind::Pm,
                from,
                ..
            } if from.eq_ignore_ascii_case(me) => Ok(()),
            Event::Error { id, .. } => {
                if let Some(id) = id.as_ref().and_then(|id| id.as_u64()) {
                    pms.remove(&id);
                }
                match self.renderer.event(event, me) {
                    Some(line) => out.diagnostic(&line.text),
                    None => Ok(()),
                }
            }
            _ => match self.renderer.event(event, me) {
                Some(line) if line.mention && self.hooks.bell => {
                    out.wrapped(&format!("{}\u{7}", line.text), line.indent)
                }
                Some(line) => out.wrapped(&line.text, line.indent),
                None => Ok(()),
            },
        }
    }

    /// The connection ended: tell the main thread, and get its attention.
    fn report(self, outcome: AckOutcome) {
        let _ = self.outcomes.send(outcome);
        (self.hooks.wake)();
    }
}
