//! The event thread of a `join` session: reads the room, keeps the roster current, prints every
//! event, and reports replies and the connection's end to the main thread.
//!
//! It never ends the session itself: when the connection ends it reports the [`AckOutcome`] and
//! wakes the main thread ([`Hooks::wake`]), which decides what happens next.
//!
//! It also watches that the host still answers ([`Liveness`]): after a while without a word it
//! pings, and once `--timeout` has passed in silence it says so on screen, then says so again
//! when the host is back. A stopped or hung host would otherwise look like a quiet room, with
//! every line typed into it seemingly sent. A silence of `--keepalive` seconds, which no host
//! that is there lets pass (it answers the pings), counts as a lost connection: a host whose
//! machine vanished without closing it (a pulled cable, a frozen machine, a NAT that forgot us)
//! never says so, so the event thread gives the connection up and comes back as after any
//! other drop.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};

use super::comeback::{Comeback, Rejoined};
use super::outgoing::{Link, LinkState, Outbound, SentPm};
use super::output::Output;
use crate::client::acks::AckOutcome;
use crate::client::connection::EventStream;
use crate::client::connection::Welcome;
use crate::client::dial::is_timeout;
use crate::client::ignore::IgnoreList;
use crate::client::moderation::{self, Removal};
use crate::client::render::Renderer;
use crate::client::roster::Roster;
use crate::error::{Error, ExitStatus, Result, describe_io};
use crate::protocol::wire::{ClientRequest, MessageKind};
use crate::protocol::{ErrorCode, Event, Id, Timestamp};

/// What a line the room could not take now (its host reconnecting to its Redis) is answered
/// with: it is held and sent again when the room says it is back.
const HELD: &str = "not sent yet: the room is reconnecting; it goes out when the room is back";

/// The id of the session's own pings: a text id, so it never collides with a numbered request.
const LIVENESS_ID: &str = "liveness";

/// Whether the host still answers: when it was last heard, whether the user has been told it
/// went silent, and how to ping it.
pub(super) struct Liveness {
    pings: Sender<Outbound>,
    /// How long a silence may last before the user is told (`--timeout`).
    timeout: Duration,
    /// How long a silence may last before the connection counts as lost (`--keepalive`);
    /// `None`: never (the user is only told).
    lost_after: Option<Duration>,
    last_heard: Instant,
    warned: bool,
}

/// What a silence of the host's comes to, so far.
#[derive(Debug, PartialEq, Eq)]
enum Silence {
    /// Nothing to say yet.
    Quiet,
    /// Tell the user the host is not answering.
    Warn(String),
    /// Give the connection up: the host has not answered for this long (in words).
    Lost(String),
}

impl Liveness {
    pub(super) fn new(
        pings: Sender<Outbound>,
        timeout: Duration,
        lost_after: Option<Duration>,
    ) -> Self {
        Liveness {
            pings,
            timeout,
            lost_after,
            last_heard: Instant::now(),
            warned: false,
        }
    }

    /// How long a read may wait before the host is pinged: twice per `timeout` (or per
    /// `lost_after`, if shorter), so that a host that is there has answered a ping well before
    /// the user would be told it is not, or the connection given up.
    fn tick(&self) -> Duration {
        let shortest = self
            .lost_after
            .map_or(self.timeout, |l| l.min(self.timeout));
        (shortest / 2).max(Duration::from_millis(500))
    }

    /// A read waited a whole tick: ping, and say what the silence has come to.
    fn silence(&mut self) -> Silence {
        let ping = ClientRequest::Ping {
            id: Some(Id::Text(LIVENESS_ID.into())),
        };
        // A full writer means the host stopped reading: one more ping would not help.
        let _ = self.pings.try_send(Outbound::Line(ping.to_json_line()));
        judge(
            self.last_heard.elapsed(),
            (self.timeout, self.lost_after),
            &mut self.warned,
        )
    }

    /// The host pinged us (it heard nothing from us for a while): answer, or be let go.
    fn answer(&self) {
        // A full writer is already on its way to the host, and counts as an answer.
        let _ = self
            .pings
            .try_send(Outbound::Line(ClientRequest::Pong.to_json_line()));
    }

    /// Something arrived; returns what to say if the host had gone quiet.
    fn heard(&mut self) -> Option<&'static str> {
        self.last_heard = Instant::now();
        std::mem::take(&mut self.warned).then_some("the host is answering again")
    }
}

/// What a silence of `silent` means, given how long one may last before the user is told
/// (`timeout`) and before the connection is given up (`lost_after`); `warned` says whether the
/// user was told already, and is set when this tells them.
fn judge(
    silent: Duration,
    (timeout, lost_after): (Duration, Option<Duration>),
    warned: &mut bool,
) -> Silence {
    if let Some(limit) = lost_after
        && silent >= limit
    {
        return Silence::Lost(format!("no answer from the host for {} s", limit.as_secs()));
    }
    if silent < timeout || *warned {
        return Silence::Quiet;
    }
    *warned = true;
    Silence::Warn(format!(
        "the host has not answered for {} s: it may be stopped or overloaded; what you send \
         waits for it (/quit leaves)",
        silent.as_secs()
    ))
}

/// True for the answer to one of the session's own pings: no one else's business.
fn answers_liveness(event: &Event) -> bool {
    matches!(event, Event::Pong { id: Some(Id::Text(id)) } if id == LIVENESS_ID)
}

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
    /// Tells the writer thread which requests were answered, and of the connection's state.
    writer: Sender<Link>,
    /// How to join again when the connection drops; `None` with `--no-reconnect`.
    comeback: Option<Comeback>,
    /// Kept current from the events: the prompt shows our nickname, Tab completes the others.
    roster: Arc<Mutex<Roster>>,
    renderer: Arc<Renderer>,
    hooks: Hooks,
    /// Replies and the connection's end, for the main thread to count and act on.
    outcomes: Sender<AckOutcome>,
    /// Private messages we sent, by id, so their acks can be shown as `[pm to NICK] text`.
    sent_pms: Receiver<SentPm>,
    liveness: Liveness,
    /// Replayed history is being shown: its heading is printed, its end line not yet.
    in_history: bool,
    /// Whose messages not to show (`/ignore`), shared with the main thread that edits it.
    ignored: Arc<Mutex<IgnoreList>>,
    /// Shared with the main thread: where the reason the room put us out is left for it.
    link: Arc<LinkState>,
    /// The room's address, for the message when it puts us out.
    room: String,
    /// The room's topic as last shown, to show it again after a reconnect if it changed
    /// meanwhile.
    topic: Option<String>,
}

/// What the event thread shares with the main thread besides the roster: the ignore list, the
/// connection's state, and the room's address (for messages).
pub(super) struct Shared {
    pub(super) ignored: Arc<Mutex<IgnoreList>>,
    pub(super) link: Arc<LinkState>,
    pub(super) room: String,
    /// The topic the welcome showed.
    pub(super) topic: Option<String>,
}

/// Starts the event thread on the reading half of a joined connection. Returns the channel it
/// reports outcomes on, and the one on which the main thread tells it of private messages sent.
pub(super) fn spawn(
    (events, writer): (EventStream, Sender<Link>),
    comeback: Option<Comeback>,
    roster: Arc<Mutex<Roster>>,
    renderer: Arc<Renderer>,
    hooks: Hooks,
    liveness: Liveness,
    shared: Shared,
) -> Result<(Receiver<AckOutcome>, Sender<SentPm>)> {
    let (outcomes_tx, outcomes) = crossbeam_channel::unbounded();
    let (pms_tx, sent_pms) = crossbeam_channel::unbounded();
    Reader {
        events,
        writer,
        comeback,
        roster,
        renderer,
        hooks,
        outcomes: outcomes_tx,
        sent_pms,
        liveness,
        in_history: false,
        ignored: shared.ignored,
        link: shared.link,
        room: shared.room,
        topic: shared.topic,
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
        // A read that waits a whole tick is a silence worth a ping (see `Liveness`).
        let _ = self.events.set_timeout(Some(self.liveness.tick()));
        let mut pms = std::collections::HashMap::new();
        loop {
            let (raw, event) = match self.events.next_raw_event() {
                Ok(Some(next)) => next,
                Ok(None) => match self.come_back(AckOutcome::of_read_end(None)) {
                    Some(outcome) => return self.report(outcome),
                    None => continue,
                },
                Err(e) if is_timeout(&e) => match self.liveness.silence() {
                    Silence::Quiet => continue,
                    Silence::Warn(news) => {
                        if self.hooks.out.diagnostic(&news).is_err() {
                            return (self.hooks.output_closed)();
                        }
                        continue;
                    }
                    Silence::Lost(why) => {
                        // Nothing will tell us the connection is gone: end it ourselves, so
                        // the writer stops waiting on it and the host, if it ever looks again,
                        // lets our nickname go.
                        self.events.abandon();
                        match self.come_back(AckOutcome::Lost(why)) {
                            Some(outcome) => return self.report(outcome),
                            None => continue,
                        }
                    }
                },
                Err(e) => match self.come_back(AckOutcome::of_read_end(Some(&e))) {
                    Some(outcome) => return self.report(outcome),
                    None => continue,
                },
            };
            if let Some(news) = self.liveness.heard()
                && self.hooks.out.diagnostic(news).is_err()
            {
                return (self.hooks.output_closed)();
            }
            if answers_liveness(&event) {
                continue;
            }
            if event == Event::Ping {
                self.liveness.answer();
                continue;
            }
            // After a rejoin, the end of the replay is where we say how it went.
            let rejoined = self.comeback.as_mut().and_then(|comeback| {
                comeback.saw(&event);
                comeback.replay_over(&event)
            });
            let me = {
                let mut roster = self.roster.lock().expect("roster lock");
                // Who we were when it happened: a kick names the nickname we had.
                let me = roster.me.clone();
                roster.apply(&event);
                me
            };
            if let Event::Nick { old, new, .. } = &event {
                let saved = self.ignored.lock().expect("ignore lock").renamed(old, new);
                if let Err(why) = saved {
                    let _ = self.hooks.out.diagnostic(&self.renderer.error(&why));
                }
            }
            let removal = moderation::removal(&event, &me);
            if let Event::Topic {
                seq: Some(_), text, ..
            } = &event
            {
                self.topic = (!text.is_empty()).then(|| text.clone());
            }
            pms.extend(
                self.sent_pms
                    .try_iter()
                    .map(|(id, to, text)| (id, (to, text))),
            );
            // Our own public message (or rename): its ack carries its seq. A private message's
            // ack carries the private sequence's, which is no seq of the room's.
            if let (Some(comeback), Event::Ack { id, seq: Some(seq) }) =
                (&mut self.comeback, &event)
                && !id
                    .as_ref()
                    .and_then(Id::as_u64)
                    .is_some_and(|id| pms.contains_key(&id))
            {
                comeback.saw_seq(*seq);
            }
            if let Err(e) = self.show((&raw, &event), &me, &mut pms) {
                if e.kind() != io::ErrorKind::BrokenPipe {
                    crate::error::to_stderr(format_args!(
                        "chatroom: cannot write to stdout: {}",
                        describe_io(&e)
                    ));
                }
                return (self.hooks.output_closed)();
            }
            for line in rejoined.into_iter().flatten() {
                let _ = self.hooks.out.diagnostic(&self.renderer.notice(&line));
            }
            if let Some(removal) = removal {
                return self.removed(&removal);
            }
            if event == Event::RoomBack {
                // What the room refused while it was reconnecting goes out now.
                let _ = self.writer.send(Link::SendHeld);
            }
            if let Some(outcome) = AckOutcome::of_event(&event) {
                match outcome {
                    AckOutcome::Done { id: Some(id) }
                    | AckOutcome::Refused { id: Some(id), .. } => {
                        let _ = self.writer.send(Link::Answered(id));
                    }
                    AckOutcome::Unavailable { id: Some(id), .. } => {
                        let _ = self.writer.send(Link::Held(id));
                    }
                    _ => {}
                }
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
        (raw, event): (&str, &Event),
        me: &str,
        pms: &mut std::collections::HashMap<u64, (String, String)>,
    ) -> io::Result<()> {
        let out = &mut self.hooks.out;
        if self.hooks.raw {
            return out.line(raw);
        }
        if let Some(lines) = self.renderer.moderation(event, me) {
            for line in lines {
                out.wrapped(&line.text, line.indent)?;
            }
            return Ok(());
        }
        match event {
            // Someone ignored: their messages, actions and private messages, live or replayed.
            Event::Message { from, .. }
                if !from.eq_ignore_ascii_case(me)
                    && self.ignored.lock().expect("ignore lock").hides(from) =>
            {
                Ok(())
            }
            Event::Users { users, .. } => {
                let roster = self.roster.lock().expect("roster lock").clone();
                out.wrapped(&self.renderer.users(users, me, &roster), "*** ".len())
            }
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
            // The room's history, above a heading printed before its first line.
            Event::Message { history: true, .. } if !self.in_history => {
                self.in_history = true;
                out.line(&self.renderer.history_heading())?;
                self.show_line(event, me)
            }
            Event::HistoryEnd { .. } => {
                self.in_history = false;
                self.show_line(event, me)
            }
            // Ours, held: it goes out again when the room is back (`room_back`).
            Event::Error {
                code: ErrorCode::Unavailable,
                id: Some(_),
                ..
            } => out.diagnostic(&self.renderer.notice(HELD)),
            Event::Error { id, .. } => {
                if let Some(id) = id.as_ref().and_then(|id| id.as_u64()) {
                    pms.remove(&id);
                }
                match self.renderer.event(event, me) {
                    Some(line) => out.diagnostic(&line.text),
                    None => Ok(()),
                }
            }
            Event::SearchResults { query, results, .. } => {
                let now = Timestamp::now();
                for line in self.renderer.search_results(query, results, me, &now) {
                    out.wrapped(&line.text, line.indent)?;
                }
                Ok(())
            }
            _ => self.show_line(event, me),
        }
    }

    /// Prints the line for `event`, ringing the bell for a mention.
    fn show_line(&mut self, event: &Event, me: &str) -> io::Result<()> {
        let out = &mut self.hooks.out;
        match self.renderer.event(event, me) {
            Some(line) if line.mention && self.hooks.bell => {
                out.wrapped(&format!("{}\u{7}", line.text), line.indent)
            }
            Some(line) => out.wrapped(&line.text, line.indent),
            None => Ok(()),
        }
    }

    /// The connection ended with `outcome` (a loss): joins again if we may, and returns `None`
    /// once joined; otherwise the outcome to report, which ends the session.
    fn come_back(&mut self, outcome: AckOutcome) -> Option<AckOutcome> {
        let Some(comeback) = self.comeback.as_mut() else {
            return Some(outcome);
        };
        let AckOutcome::Lost(why) = &outcome else {
            return Some(outcome);
        };
        if comeback
            .link
            .leaving
            .load(std::sync::atomic::Ordering::SeqCst)
        {
            return Some(outcome);
        }
        let me = self.roster.lock().expect("roster lock").me.clone();
        let shown = (self.hooks.out.as_mut(), self.renderer.as_ref());
        match comeback.reconnect(why, &me, &self.writer, shown) {
            Rejoined::Joined(welcome, events) => {
                self.events = events;
                // A replay cut short by the drop is over; the new one starts afresh.
                self.in_history = false;
                let _ = self.events.set_timeout(Some(self.liveness.tick()));
                self.liveness.heard();
                *self.roster.lock().expect("roster lock") = Roster::of_welcome(&welcome);
                self.topic_after_rejoin(&welcome);
                None
            }
            Rejoined::Gave(None) => Some(outcome),
            Rejoined::Gave(Some(error)) => {
                let outcome = AckOutcome::Lost(format!("{why}; could not join again: {error}"));
                if let Ok(mut refused) = comeback.link.refused.lock() {
                    *refused = Some(error);
                }
                Some(outcome)
            }
        }
    }

    /// Joined again: shows the topic if it changed while we were away (its change was not
    /// replayed: the room replays messages only).
    fn topic_after_rejoin(&mut self, welcome: &Welcome) {
        let topic = welcome.topic.as_ref();
        if topic.map(|t| &t.text) == self.topic.as_ref() {
            return;
        }
        self.topic = topic.map(|t| t.text.clone());
        if self.hooks.raw {
            return;
        }
        let line = match topic {
            Some(topic) => self.renderer.topic_line(
                (&topic.text, topic.by.as_deref(), Some(&topic.ts)),
                &welcome.nick,
            ),
            None => self.renderer.notice("no topic"),
        };
        let _ = self.hooks.out.line(&line);
    }

    /// The room put us out: no coming back. The main thread is told the session is over, and
    /// finds why (with its exit status) where a failed rejoin leaves it.
    fn removed(self, removal: &Removal) {
        self.link
            .leaving
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let why = self.renderer.removal(removal, &self.room);
        if let Ok(mut refused) = self.link.refused.lock() {
            *refused = Some(Error::new(ExitStatus::Removed, why.clone()));
        }
        self.report(AckOutcome::Lost(why));
    }

    /// The connection ended: tell the main thread, and get its attention.
    fn report(self, outcome: AckOutcome) {
        let _ = self.outcomes.send(outcome);
        (self.hooks.wake)();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECOND: Duration = Duration::from_secs(1);

    #[test]
    fn a_silence_is_told_once_then_given_up_at_the_keepalive() {
        let limits = (10 * SECOND, Some(30 * SECOND));
        let mut warned = false;
        assert_eq!(judge(9 * SECOND, limits, &mut warned), Silence::Quiet);
        let Silence::Warn(news) = judge(10 * SECOND, limits, &mut warned) else {
            panic!("told after --timeout");
        };
        assert!(
            news.starts_with("the host has not answered for 10 s"),
            "{news}"
        );
        assert_eq!(judge(20 * SECOND, limits, &mut warned), Silence::Quiet);
        assert_eq!(
            judge(31 * SECOND, limits, &mut warned),
            Silence::Lost("no answer from the host for 30 s".into())
        );
    }

    #[test]
    fn a_keepalive_shorter_than_the_timeout_gives_up_without_warning_first() {
        let mut warned = false;
        let limits = (10 * SECOND, Some(2 * SECOND));
        assert_eq!(judge(SECOND, limits, &mut warned), Silence::Quiet);
        assert!(matches!(
            judge(2 * SECOND, limits, &mut warned),
            Silence::Lost(_)
        ));
        assert!(!warned);
    }

    #[test]
    fn keepalive_0_only_ever_warns() {
        let mut warned = false;
        let limits = (SECOND, None);
        assert!(matches!(
            judge(86_400 * SECOND, limits, &mut warned),
            Silence::Warn(_)
        ));
        assert_eq!(judge(86_400 * SECOND, limits, &mut warned), Silence::Quiet);
    }

    #[test]
    fn pings_come_twice_within_the_shorter_limit() {
        let (pings, _rx) = crossbeam_channel::unbounded();
        let tick = |timeout, lost| Liveness::new(pings.clone(), timeout, lost).tick();
        assert_eq!(tick(10 * SECOND, Some(30 * SECOND)), 5 * SECOND);
        assert_eq!(tick(10 * SECOND, Some(2 * SECOND)), SECOND);
        assert_eq!(tick(10 * SECOND, None), 5 * SECOND);
        assert_eq!(tick(SECOND, Some(SECOND)), SECOND / 2);
    }
}
