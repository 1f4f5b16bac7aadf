//! `chatroom send`: post into a room from scripts and pipes, and lose nothing.
//!
//! Messages are pipelined (written without waiting for each answer) with numbered ids, while a
//! reader thread collects the host's acks. The command exits 0 only once every message has been
//! acknowledged, so `producer | chatroom send` never drops the tail of its input when it exits.
//! The reader thread also keeps draining whatever else the room says: a sender that stopped
//! reading would eventually be disconnected as a slow reader.
//!
//! A sender posts only its lines: it joins with `"announce": false`, so the room shows neither a
//! join nor a leave around them. Stdin is read up to its first line with something to send
//! before connecting, so empty input never touches the room.

use std::io::{self, IsTerminal, Stdin, Write};
use std::time::{Duration, Instant};

use std::collections::VecDeque;

use crossbeam_channel::{Receiver, Sender, select};

use super::acks::{AckOutcome, AckTally};
use super::connection::{self, EventStream, Requests, Welcome};
use super::held::Held;
use super::stream::Security;
use super::target;
use crate::cli::{LONGEST_MAX_LINE, SendArgs};
use crate::error::{Error, ExitStatus, Result, describe_io, to_stderr};
use crate::line::{Line, LineReader};
use crate::protocol::Id;
use crate::protocol::wire::{ClientRequest, MessageKey};

/// How each message goes out.
enum Kind<'a> {
    Say,
    Me,
    Private(&'a str),
}

/// What a terminal user without MESSAGE words is told before `send` waits for their lines.
const TERMINAL_HINT: &str =
    "chatroom: type a message and press Enter (one message per line); Ctrl-D sends and ends";

/// Where the messages come from.
enum Input {
    /// The MESSAGE words, as one message.
    Words(String),
    /// Stdin, of which the first line with something to send has been read already.
    Stdin {
        lines: LineReader<Stdin>,
        first: Line,
    },
}

impl Input {
    /// The input of a run, or `None` when there is nothing to send. Stdin is read up to its first
    /// line with something to send before any connection is made, so empty input never touches
    /// the room.
    fn open(args: &SendArgs) -> Result<Option<Input>> {
        if !args.message.is_empty() {
            return Ok(Some(Input::Words(args.message.join(" "))));
        }
        let stdin = io::stdin();
        if stdin.is_terminal() {
            let _ = writeln!(io::stderr().lock(), "{TERMINAL_HINT}");
        }
        // The room's limit is not known before the welcome; no room takes more than this.
        let mut lines = LineReader::new(stdin, LONGEST_MAX_LINE as usize, 64 * 1024);
        loop {
            match read_stdin(&mut lines)? {
                None => return Ok(None),
                Some(Line::Text(text)) if text.trim().is_empty() => {}
                Some(first) => return Ok(Some(Input::Stdin { lines, first })),
            }
        }
    }
}

fn read_stdin(lines: &mut LineReader<Stdin>) -> Result<Option<Line>> {
    lines
        .next_line()
        .map_err(|e| Error::failure(format!("cannot read stdin: {}", describe_io(&e))))
}

pub fn run(args: &SendArgs) -> Result<()> {
    let target = target::parse(&args.server.server, args.server.port)
        .map_err(|e| Error::new(ExitStatus::Usage, e))?;
    let nick = super::resolve_nick(args.server.nick.as_deref())?;
    let password = super::password::given(&args.server)?;
    let timeout = Duration::from_secs(args.server.timeout);
    let Some(input) = Input::open(args)? else {
        return Ok(());
    };
    let kind = match (&args.to, args.me) {
        (Some(to), _) => Kind::Private(to),
        (None, true) => Kind::Me,
        (None, false) => Kind::Say,
    };
    let dialer = Dialer {
        target: target.clone(),
        security: Security::of(&args.server, false),
        nick,
        password,
        timeout,
        retry: Duration::from_secs(args.retry),
    };
    let (welcome, link) = dialer.dial(None)?;
    if let Kind::Private(to) = kind
        && !welcome.users.iter().any(|u| u.eq_ignore_ascii_case(to))
    {
        return Err(Error::failure(format!(
            "no one called '{to}' is in {} ({} here)",
            welcome.room,
            welcome.users.len()
        )));
    }
    let mut sender = Poster {
        link,
        dialer,
        max_line: welcome.limits.max_line,
        kind,
        client: super::retry::client_id(),
        unacked: VecDeque::new(),
        held: Held::default(),
        tally: SendTally::default(),
        target: target.to_string(),
    };
    match input {
        Input::Words(text) => {
            sender.tally.read = Read::ALL_OF_ONE;
            sender.send_one(&text)?;
        }
        Input::Stdin { lines, first } => sender.send_stdin(lines, first, timeout)?,
    }
    sender.wait_for_acks(timeout)?;
    let _ = sender.link.requests.send(&ClientRequest::Quit { id: None });
    sender.link.requests.finish();
    sender.tally.verdict()
}

/// How many messages may wait for their acks at once: the most we keep for sending again after
/// a broken connection, and so the most a host that stopped answering can make us hold.
const MAX_UNACKED: usize = 1024;

/// First wait between attempts to reach the host; it doubles up to [`MOST_BETWEEN_ATTEMPTS`].
const FIRST_RETRY: Duration = Duration::from_millis(250);
const MOST_BETWEEN_ATTEMPTS: Duration = Duration::from_secs(2);

/// How to reach the room, again if need be.
struct Dialer {
    target: target::Target,
    security: Security,
    nick: String,
    password: Option<crate::password::Password>,
    timeout: Duration,
    /// How long to keep trying to reach the host (`--retry`).
    retry: Duration,
}

/// One connection to the room: its writing half, and the outcomes its reader thread reports.
struct Link {
    requests: Requests,
    outcomes: Receiver<AckOutcome>,
}

impl Dialer {
    /// Joins the room, trying for up to `--retry` when the host cannot be reached; `lost`
    /// holds why the previous connection ended, when coming back.
    fn dial(&self, lost: Option<&str>) -> Result<(Welcome, Link)> {
        let deadline = Instant::now() + self.retry;
        let mut backoff = super::retry::Backoff::new(FIRST_RETRY, MOST_BETWEEN_ATTEMPTS);
        let mut told = false;
        loop {
            // A sender that only posts joins unannounced: the room sees its lines and nothing
            // else.
            let attempt = connection::join_announced(
                &self.target,
                &self.security,
                &self.nick,
                self.password.as_ref(),
                self.timeout,
                false,
            );
            let error = match attempt {
                Ok((welcome, events, requests)) => {
                    let (tx, outcomes) = crossbeam_channel::unbounded();
                    std::thread::Builder::new()
                        .name("acks".into())
                        .spawn(move || read_outcomes(events, &tx))
                        .map_err(|e| {
                            Error::failure(format!("cannot start the reader thread: {e}"))
                        })?;
                    return Ok((welcome, Link { requests, outcomes }));
                }
                Err(error) => error,
            };
            let wait = backoff.next_wait();
            if !super::retry::worth_retrying(&error, lost.is_some())
                || Instant::now() + wait > deadline
            {
                return Err(error);
            }
            if !told {
                told = true;
                let why = lost.map_or_else(|| error.to_string(), str::to_string);
                to_stderr(format_args!(
                    "chatroom: {why}; trying again for up to {} s",
                    self.retry.as_secs()
                ));
            }
            std::thread::sleep(wait);
        }
    }
}

/// How much of the input has been read: what a lost connection's message counts against.
#[derive(Debug, Clone, Copy, Default)]
struct Read {
    /// Messages taken from the input so far (sent or not).
    messages: u64,
    /// Whether the input has been read to its end.
    all: bool,
}

impl Read {
    const ALL_OF_ONE: Read = Read {
        messages: 1,
        all: true,
    };
}

/// Counts what happened to our messages.
#[derive(Default)]
struct SendTally {
    replies: AckTally,
    read: Read,
    /// Not sent at all (too long for the room).
    skipped: u64,
    told_about_pacing: bool,
}

impl SendTally {
    fn verdict(&self) -> Result<()> {
        let failed = self.replies.refused + self.skipped;
        if failed == 0 {
            return Ok(());
        }
        Err(Error::failure(format!(
            "{failed} of {} messages were not delivered",
            self.read.messages
        )))
    }
}

/// Tells the user about an outcome already counted in `replies`. `Err` for the connection's
/// end: a loss, which the caller may come back from; `Ok` for everything else.
fn report(told_about_pacing: &mut bool, outcome: AckOutcome) -> std::result::Result<(), String> {
    match outcome {
        AckOutcome::Done { .. } => {}
        AckOutcome::Refused { id, message } | AckOutcome::Unavailable { id, message } => match id {
            Some(id) => to_stderr(format_args!(
                "chatroom: message {id} not delivered: {message}"
            )),
            None => to_stderr(format_args!("chatroom: the room says: {message}")),
        },
        AckOutcome::Paced(message) => {
            if !*told_about_pacing {
                *told_about_pacing = true;
                to_stderr(format_args!(
                    "chatroom: the room is pacing us ({message}); sending at its rate"
                ));
            }
        }
        AckOutcome::RoomClosed(reason) => return Err(room_closed(&reason)),
        AckOutcome::Lost(why) => return Err(why),
        AckOutcome::Pinged => {} // Answered by `answer_ping`, which sees every outcome first.
        AckOutcome::RoomBack => {} // Sends what is held at once: see `Send::take`.
    }
    Ok(())
}

/// Answers the host's ping: a sender whose input is quiet says nothing else for a long time,
/// and the host lets go of a JSON client that answers nothing. A failed write is the connection
/// ending, which the reader thread reports.
fn answer_ping(requests: &mut Requests, outcome: &AckOutcome) {
    if *outcome == AckOutcome::Pinged {
        let _ = requests.send(&ClientRequest::Pong);
    }
}

fn room_closed(reason: &str) -> String {
    format!("room closed: {reason}")
}

/// The error for a connection lost with messages unacknowledged, counted against what was read
/// (not what was sent so far, which says little about what was piped in).
fn lost(target: &str, replies: &AckTally, read: Read, why: String) -> Error {
    let rest = if read.all {
        ""
    } else {
        "; the rest of the input was not read"
    };
    Error::new(
        ExitStatus::ConnectionLost,
        format!(
            "{target}: {why}; {} of the {} messages read were acknowledged{rest}",
            replies.done, read.messages
        ),
    )
}

/// One `send` run: the connection, and what we know of our messages.
struct Poster<'a> {
    link: Link,
    dialer: Dialer,
    /// The room's line limit, from its welcome.
    max_line: usize,
    kind: Kind<'a>,
    /// This run's id, which with each message's number makes its resend key.
    client: String,
    /// Messages sent and not acknowledged yet, oldest first: their number (also the request
    /// id) and their line, to send again after a broken connection.
    unacked: VecDeque<(u64, String)>,
    /// With `--retry`: the messages refused as `unavailable`, to send again.
    held: Held,
    tally: SendTally,
    target: String,
}

impl Poster<'_> {
    /// Sends `first`, then every other line of `lines` with something to send.
    ///
    /// Stdin is read on a thread of its own, so that while it is quiet (a pipe that posts a line
    /// now and then) the replies still come in, and a host that stops answering is noticed within
    /// `timeout` of the oldest message it has not acknowledged, not at the next line.
    fn send_stdin(
        &mut self,
        mut lines: LineReader<Stdin>,
        first: Line,
        timeout: Duration,
    ) -> Result<()> {
        lines.set_max(self.max_line);
        // Few lines wait here: reading stops while they do, as it would without the thread.
        let (tx, input) = crossbeam_channel::bounded::<Result<Option<Line>>>(64);
        std::thread::Builder::new()
            .name("stdin".into())
            .spawn(move || {
                loop {
                    let line = read_stdin(&mut lines);
                    let last = !matches!(line, Ok(Some(_)));
                    if tx.send(line).is_err() || last {
                        return;
                    }
                }
            })
            .map_err(|e| Error::failure(format!("cannot start the stdin thread: {e}")))?;
        // `first` may be longer than this room takes: the line's handling skips it, saying so.
        self.take_line(first)?;
        // Since when the oldest unacknowledged message has waited for a word from the host.
        let mut waiting_since = Instant::now();
        loop {
            let silence = timeout.saturating_sub(waiting_since.elapsed());
            let deadline = if self.tally.replies.settled() {
                crossbeam_channel::never()
            } else {
                crossbeam_channel::after(silence)
            };
            // With as many messages unacknowledged as we keep, wait for acks before reading on;
            // with messages held for the room to take again, send them first (in their order).
            let input = if self.unacked.len() >= MAX_UNACKED || self.held.due().is_some() {
                crossbeam_channel::never()
            } else {
                input.clone()
            };
            let outcomes = self.link.outcomes.clone();
            let resend = timer(self.held.due());
            select! {
                recv(resend) -> _ => self.resend_held()?,
                recv(input) -> line => match line {
                    Ok(Ok(Some(line))) => {
                        if self.tally.replies.settled() {
                            waiting_since = Instant::now();
                        }
                        self.take_line(line)?;
                    }
                    Ok(Ok(None)) | Err(_) => {
                        self.tally.read.all = true;
                        return Ok(());
                    }
                    Ok(Err(e)) => return Err(e),
                },
                recv(outcomes) -> outcome => {
                    waiting_since = Instant::now();
                    match outcome {
                        Ok(outcome) => self.take(outcome)?,
                        Err(_) => self.come_back("the connection closed".into())?,
                    }
                }
                recv(deadline) -> _ => {
                    let why = format!("the host has not answered for {} s", timeout.as_secs());
                    self.come_back(why)?;
                    waiting_since = Instant::now();
                }
            }
        }
    }

    /// Sends one line read from stdin, or says why it cannot be sent.
    fn take_line(&mut self, line: Line) -> Result<()> {
        match line {
            Line::Text(text) if text.trim().is_empty() => Ok(()),
            Line::TooLong => {
                self.tally.read.messages += 1;
                self.skip("longer than the room allows");
                Ok(())
            }
            Line::Text(text) => {
                self.tally.read.messages += 1;
                self.send_one(&text)
            }
        }
    }

    /// The error for a connection lost now, counted against what was read.
    fn lost(&self, why: String) -> Error {
        lost(&self.target, &self.tally.replies, self.tally.read, why)
    }

    /// Counts the message just read as not sent, saying why.
    fn skip(&mut self, why: &str) {
        to_stderr(format_args!(
            "chatroom: message {} not sent: {why} ({} bytes at most)",
            self.tally.read.messages, self.max_line
        ));
        self.tally.skipped += 1;
    }

    /// Sends the message just read; its number is how many messages were read so far.
    fn send_one(&mut self, text: &str) -> Result<()> {
        let number = self.tally.read.messages;
        let id = Some(Id::from(number));
        // Without retrying nothing is sent twice, and older hosts need no key.
        let key = (!self.dialer.retry.is_zero()).then(|| MessageKey {
            cid: self.client.clone(),
            mid: number,
        });
        let text = text.to_string();
        let request = match self.kind {
            Kind::Say => ClientRequest::Say { text, id, key },
            Kind::Me => ClientRequest::Me { text, id, key },
            Kind::Private(to) => ClientRequest::Pm {
                to: to.to_string(),
                text,
                id,
                key,
            },
        };
        let line = request.to_json_line();
        if line.len() - 1 > self.max_line {
            self.skip("too long once encoded");
            return Ok(());
        }
        self.tally.replies.mark_sent();
        self.unacked.push_back((number, line));
        let line = &self.unacked.back().expect("just pushed").1;
        if let Err(e) = self.link.requests.send_line(line) {
            let why = self.closed_reason().unwrap_or_else(|| describe_io(&e));
            return self.come_back(why);
        }
        // Keep the outcome queue short on endless input.
        while let Ok(outcome) = self.link.outcomes.try_recv() {
            self.take(outcome)?;
        }
        Ok(())
    }

    /// If the reader already knows why the connection ended, that beats a bare write error.
    fn closed_reason(&mut self) -> Option<String> {
        while let Ok(outcome) = self.link.outcomes.try_recv() {
            match outcome {
                AckOutcome::RoomClosed(reason) => return Some(room_closed(&reason)),
                AckOutcome::Lost(why) => return Some(why),
                outcome => {
                    let _ = self.count(&outcome);
                }
            }
        }
        None
    }

    /// Counts an outcome against the message it answers: an answer to a message no longer
    /// waiting (none should come) counts for nothing.
    fn count(&mut self, outcome: &AckOutcome) -> bool {
        let id = match outcome {
            AckOutcome::Done { id } | AckOutcome::Refused { id, .. } => *id,
            _ => return false,
        };
        let Some(at) = id.and_then(|id| self.unacked.iter().position(|(n, _)| *n == id)) else {
            return false;
        };
        self.unacked.remove(at);
        self.tally.replies.record(outcome);
        true
    }

    fn take(&mut self, outcome: AckOutcome) -> Result<()> {
        answer_ping(&mut self.link.requests, &outcome);
        let outcome = match outcome {
            AckOutcome::Unavailable {
                id: Some(id),
                message,
            } if !self.dialer.retry.is_zero() => return self.hold(id, &message),
            // Without retrying, a message the room could not take is not delivered.
            AckOutcome::Unavailable { id, message } => AckOutcome::Refused { id, message },
            // The room says it takes messages again: what is held goes now, not at its timer.
            AckOutcome::RoomBack => {
                self.held.back(Instant::now());
                return Ok(());
            }
            outcome => outcome,
        };
        if matches!(outcome, AckOutcome::Done { .. }) {
            self.held.progressed();
        }
        let answers = matches!(
            outcome,
            AckOutcome::Done { .. } | AckOutcome::Refused { id: Some(_), .. }
        );
        if answers && !self.count(&outcome) {
            return Ok(());
        }
        match report(&mut self.tally.told_about_pacing, outcome) {
            Ok(()) => Ok(()),
            Err(why) => self.come_back(why),
        }
    }

    /// The connection ended (`why`). Everything acknowledged and nothing more to send: fine.
    /// Otherwise, with `--retry`, reconnect and send again what was not acknowledged; without,
    /// or when the host stays away, the loss is the run's error.
    fn come_back(&mut self, why: String) -> Result<()> {
        if self.tally.replies.settled() && self.tally.read.all {
            return Ok(());
        }
        if self.dialer.retry.is_zero() {
            return Err(self.lost(why));
        }
        let mut why = why;
        loop {
            // Whatever the old connection still says is not waited for.
            self.link.requests.finish();
            let (welcome, link) = self.dialer.dial(Some(&why)).map_err(|e| {
                // A refusal for good keeps its own exit status (a changed certificate is 6).
                if !e.is_transient() {
                    return e;
                }
                let secs = self.dialer.retry.as_secs();
                self.lost(format!("{why}; could not reconnect within {secs} s ({e})"))
            })?;
            self.link = link;
            self.max_line = welcome.limits.max_line;
            to_stderr(format_args!(
                "chatroom: reconnected; sending the {} unacknowledged messages again",
                self.unacked.len()
            ));
            let resent = self
                .unacked
                .iter()
                .try_for_each(|(_, line)| self.link.requests.send_line(line));
            match resent {
                Ok(()) => {
                    self.held.sent_again();
                    return Ok(());
                }
                Err(e) => why = describe_io(&e),
            }
        }
    }

    fn wait_for_acks(&mut self, timeout: Duration) -> Result<()> {
        while !self.tally.replies.settled() {
            let outcomes = self.link.outcomes.clone();
            let resend = timer(self.held.due());
            select! {
                recv(resend) -> _ => self.resend_held()?,
                recv(outcomes) -> outcome => match outcome {
                    Ok(outcome) => self.take(outcome)?,
                    Err(_) => self.come_back("the connection closed".into())?,
                },
                default(timeout) => {
                    self.come_back(format!("no answer for {} s", timeout.as_secs()))?;
                }
            }
        }
        Ok(())
    }

    /// Holds message `id`, which the room could not take now (`why`), to send it again; an
    /// error once the room has taken nothing for longer than `--retry`.
    fn hold(&mut self, id: u64, why: &str) -> Result<()> {
        if !self.unacked.iter().any(|(number, _)| *number == id) {
            return Ok(());
        }
        let now = Instant::now();
        if self.held.hold(id, now) {
            to_stderr(format_args!(
                "chatroom: the room cannot take messages now ({why}); sending them again for up \
                 to {} s",
                self.dialer.retry.as_secs()
            ));
        }
        let refusing = self.held.refusing_for(now).unwrap_or_default();
        if refusing > self.dialer.retry {
            return Err(self.lost(format!(
                "the room took no messages for {} s ({why})",
                refusing.as_secs()
            )));
        }
        Ok(())
    }

    /// Sends the held messages again, in their order (those acknowledged meanwhile are not).
    fn resend_held(&mut self) -> Result<()> {
        for number in self.held.take_due(Instant::now()) {
            let Some((_, line)) = self.unacked.iter().find(|(n, _)| *n == number) else {
                continue;
            };
            if let Err(e) = self.link.requests.send_line(line) {
                let why = self.closed_reason().unwrap_or_else(|| describe_io(&e));
                return self.come_back(why);
            }
        }
        Ok(())
    }
}

/// A channel that fires at `due`, or never.
fn timer(due: Option<Instant>) -> Receiver<Instant> {
    match due {
        Some(due) => crossbeam_channel::at(due),
        None => crossbeam_channel::never(),
    }
}

/// The reader thread: turns the room's events into outcomes for our messages.
fn read_outcomes(mut events: EventStream, tx: &Sender<AckOutcome>) {
    // Inactivity is judged by the main thread; here we just wait for whatever comes.
    let _ = events.set_timeout(None);
    loop {
        let outcome = match events.next_event() {
            Ok(Some(event)) => match AckOutcome::of_event(&event) {
                Some(outcome) => outcome,
                None => continue,
            },
            Ok(None) => AckOutcome::of_read_end(None),
            Err(e) => AckOutcome::of_read_end(Some(&e)),
        };
        let last = outcome.is_final();
        if tx.send(outcome).is_err() || last {
            return;
        }
    }
}
