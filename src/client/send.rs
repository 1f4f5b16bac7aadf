//! `chatroom send`: post into a room from scripts and pipes, and lose nothing.
//!
//! Messages are pipelined (written without waiting for each answer) with numbered ids, while a
//! reader thread collects the host's acks. The command exits 0 only once every message has been
//! acknowledged, so `producer | chatroom send` never drops the tail of its input when it exits.
//! The reader thread also keeps draining whatever else the room says: a sender that stopped
//! reading would eventually be disconnected as a slow reader.

use std::io;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

use super::acks::{self, AckOutcome, AckTally};
use super::connection::{self, EventStream, Requests, Welcome};
use super::target;
use crate::cli::SendArgs;
use crate::error::{Error, ExitStatus, Result, describe_io};
use crate::line::{Line, LineReader};
use crate::protocol::wire::ClientRequest;

/// How each message goes out.
enum Kind<'a> {
    Say,
    Me,
    Private(&'a str),
}

pub fn run(args: &SendArgs) -> Result<()> {
    let target = target::parse(&args.server.server, args.server.port)
        .map_err(|e| Error::new(ExitStatus::Usage, e))?;
    let nick = super::resolve_nick(args.server.nick.as_deref())?;
    let timeout = Duration::from_secs(args.server.timeout);
    let (welcome, events, requests) = connection::join(&target, &nick, timeout)?;
    let kind = match (&args.to, args.me) {
        (Some(to), _) => Kind::Private(to),
        (None, true) => Kind::Me,
        (None, false) => Kind::Say,
    };
    if let Kind::Private(to) = kind
        && !welcome.users.iter().any(|u| u.eq_ignore_ascii_case(to))
    {
        return Err(Error::failure(format!(
            "no one called '{to}' is in {} ({} here)",
            welcome.room,
            welcome.users.len()
        )));
    }
    let (tx, rx) = crossbeam_channel::unbounded();
    std::thread::Builder::new()
        .name("acks".into())
        .spawn(move || read_outcomes(events, &tx))
        .map_err(|e| Error::failure(format!("cannot start the reader thread: {e}")))?;

    let mut sender = Poster {
        requests,
        welcome: &welcome,
        kind,
        outcomes: rx,
        tally: SendTally::default(),
        target: target.to_string(),
    };
    if args.message.is_empty() {
        sender.send_stdin()?;
    } else {
        sender.send_one(&args.message.join(" "))?;
    }
    sender.wait_for_acks(timeout)?;
    let _ = sender.requests.send(&ClientRequest::Quit { id: None });
    sender.requests.finish();
    sender.tally.verdict()
}

/// Counts what happened to our messages.
#[derive(Default)]
struct SendTally {
    replies: AckTally,
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
            self.replies.sent + self.skipped
        )))
    }
}

/// Tells the user about an outcome already counted in `replies`.
fn report(
    target: &str,
    replies: &AckTally,
    told_about_pacing: &mut bool,
    outcome: AckOutcome,
) -> Result<()> {
    let closed = |why: String| {
        // The connection ending is fine once everything is acknowledged, a loss otherwise.
        if replies.settled() {
            Ok(())
        } else {
            Err(lost(target, replies, why))
        }
    };
    match outcome {
        AckOutcome::Done { .. } => {}
        AckOutcome::Refused { id, message } => match id {
            Some(id) => eprintln!("chatroom: message {id} not delivered: {message}"),
            None => eprintln!("chatroom: the room says: {message}"),
        },
        AckOutcome::Paced(message) => {
            if !*told_about_pacing {
                *told_about_pacing = true;
                eprintln!("chatroom: the room is pacing us ({message}); sending at its rate");
            }
        }
        AckOutcome::RoomClosed(reason) => return closed(room_closed(&reason)),
        AckOutcome::Lost(why) => return closed(why),
    }
    Ok(())
}

fn room_closed(reason: &str) -> String {
    format!("room closed: {reason}")
}

fn lost(target: &str, replies: &AckTally, why: String) -> Error {
    Error::new(
        ExitStatus::ConnectionLost,
        format!(
            "{target}: {why}; {} of {} messages were acknowledged",
            replies.done, replies.sent
        ),
    )
}

/// One `send` run: the connection's writing half and what we know of our messages.
struct Poster<'a> {
    requests: Requests,
    welcome: &'a Welcome,
    kind: Kind<'a>,
    outcomes: Receiver<AckOutcome>,
    tally: SendTally,
    target: String,
}

impl Poster<'_> {
    fn send_stdin(&mut self) -> Result<()> {
        let stdin = io::stdin();
        let mut lines = LineReader::new(stdin.lock(), self.welcome.limits.max_line, 64 * 1024);
        let mut number = 0u64;
        loop {
            let line = lines
                .next_line()
                .map_err(|e| Error::failure(format!("cannot read stdin: {}", describe_io(&e))))?;
            number += 1;
            match line {
                None => return Ok(()),
                Some(Line::TooLong) => self.skip(number, "longer than the room allows"),
                Some(Line::Text(text)) if text.trim().is_empty() => {}
                Some(Line::Text(text)) => self.send_one(&text)?,
            }
        }
    }

    fn skip(&mut self, number: u64, why: &str) {
        eprintln!(
            "chatroom: line {number} not sent: {why} ({} bytes at most)",
            self.welcome.limits.max_line
        );
        self.tally.skipped += 1;
    }

    fn send_one(&mut self, text: &str) -> Result<()> {
        let number = self.tally.replies.sent + self.tally.skipped + 1;
        let id = Some(self.tally.replies.next_id());
        let text = text.to_string();
        let request = match self.kind {
            Kind::Say => ClientRequest::Say { text, id },
            Kind::Me => ClientRequest::Me { text, id },
            Kind::Private(to) => ClientRequest::Pm {
                to: to.to_string(),
                text,
                id,
            },
        };
        let line = request.to_json_line();
        if line.len() - 1 > self.welcome.limits.max_line {
            self.skip(number, "too long once encoded");
            return Ok(());
        }
        self.requests.send_line(&line).map_err(|e| {
            let why = self.closed_reason().unwrap_or_else(|| describe_io(&e));
            lost(&self.target, &self.tally.replies, why)
        })?;
        self.tally.replies.mark_sent();
        // Keep the outcome queue short on endless input.
        while let Ok(outcome) = self.outcomes.try_recv() {
            self.take(outcome)?;
        }
        Ok(())
    }

    /// If the reader already knows why the connection ended, that beats a bare write error.
    fn closed_reason(&mut self) -> Option<String> {
        while let Ok(outcome) = self.outcomes.try_recv() {
            match outcome {
                AckOutcome::RoomClosed(reason) => return Some(room_closed(&reason)),
                AckOutcome::Lost(why) => return Some(why),
                outcome => {
                    let _ = self.take(outcome);
                }
            }
        }
        None
    }

    fn take(&mut self, outcome: AckOutcome) -> Result<()> {
        let tally = &mut self.tally;
        tally.replies.record(&outcome);
        report(
            &self.target,
            &tally.replies,
            &mut tally.told_about_pacing,
            outcome,
        )
    }

    fn wait_for_acks(&mut self, timeout: Duration) -> Result<()> {
        let SendTally {
            replies,
            told_about_pacing,
            ..
        } = &mut self.tally;
        let target = &self.target;
        acks::settle(
            replies,
            &self.outcomes,
            timeout,
            |replies, outcome| report(target, replies, told_about_pacing, outcome),
            |replies, why| lost(target, replies, why),
        )
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
