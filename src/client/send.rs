//! `chatroom send`: post into a room from scripts and pipes, and lose nothing.
//!
//! Messages are pipelined (written without waiting for each answer) with numbered ids, while a
//! reader thread collects the host's acks. The command exits 0 only once every message has been
//! acknowledged, so `producer | chatroom send` never drops the tail of its input when it exits.
//! The reader thread also keeps draining whatever else the room says: a sender that stopped
//! reading would eventually be disconnected as a slow reader.

use std::io;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use super::connection::{self, Events, Requests, Welcome};
use super::target;
use crate::cli::SendArgs;
use crate::error::{Error, ExitStatus, Result, describe_io};
use crate::line::{Line, LineReader};
use crate::protocol::wire::ClientRequest;
use crate::protocol::{ErrorCode, Event, Id};

/// What the reader thread reports about our messages.
enum Outcome {
    Acked,
    Refused {
        id: Option<u64>,
        message: String,
    },
    /// The room is pacing us; said once per flood.
    Paced(String),
    /// The connection ended; why, in words.
    Closed(String),
}

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
        tally: Tally::default(),
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
struct Tally {
    sent: u64,
    acked: u64,
    refused: u64,
    /// Not sent at all (too long for the room).
    skipped: u64,
    told_about_pacing: bool,
}

impl Tally {
    fn settled(&self) -> u64 {
        self.acked + self.refused
    }

    fn verdict(&self) -> Result<()> {
        let failed = self.refused + self.skipped;
        if failed == 0 {
            return Ok(());
        }
        Err(Error::failure(format!(
            "{failed} of {} messages were not delivered",
            self.sent + self.skipped
        )))
    }
}

/// One `send` run: the connection's writing half and what we know of our messages.
struct Poster<'a> {
    requests: Requests,
    welcome: &'a Welcome,
    kind: Kind<'a>,
    outcomes: Receiver<Outcome>,
    tally: Tally,
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
        let id = Some(Id::from(self.tally.sent + 1));
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
            self.skip(
                self.tally.sent + self.tally.skipped + 1,
                "too long once encoded",
            );
            return Ok(());
        }
        self.requests.send_line(&line).map_err(|e| {
            let why = self.closed_reason().unwrap_or_else(|| describe_io(&e));
            self.lost(why)
        })?;
        self.tally.sent += 1;
        // Keep the outcome queue short on endless input.
        while let Ok(outcome) = self.outcomes.try_recv() {
            self.take(outcome)?;
        }
        Ok(())
    }

    /// If the reader already knows why the connection ended, that beats a bare write error.
    fn closed_reason(&mut self) -> Option<String> {
        while let Ok(outcome) = self.outcomes.try_recv() {
            if let Outcome::Closed(why) = outcome {
                return Some(why);
            }
            let _ = self.take(outcome);
        }
        None
    }

    fn lost(&self, why: String) -> Error {
        Error::new(
            ExitStatus::ConnectionLost,
            format!(
                "{}: {why}; {} of {} messages were acknowledged",
                self.target, self.tally.acked, self.tally.sent
            ),
        )
    }

    fn take(&mut self, outcome: Outcome) -> Result<()> {
        match outcome {
            Outcome::Acked => self.tally.acked += 1,
            Outcome::Refused { id, message } => {
                match id {
                    Some(id) => eprintln!("chatroom: message {id} not delivered: {message}"),
                    None => eprintln!("chatroom: the room says: {message}"),
                }
                self.tally.refused += u64::from(id.is_some());
            }
            Outcome::Paced(message) => {
                if !self.tally.told_about_pacing {
                    self.tally.told_about_pacing = true;
                    eprintln!("chatroom: the room is pacing us ({message}); sending at its rate");
                }
            }
            Outcome::Closed(why) => {
                if self.tally.settled() < self.tally.sent {
                    return Err(self.lost(why));
                }
            }
        }
        Ok(())
    }

    fn wait_for_acks(&mut self, timeout: Duration) -> Result<()> {
        while self.tally.settled() < self.tally.sent {
            match self.outcomes.recv_timeout(timeout) {
                Ok(outcome) => self.take(outcome)?,
                Err(RecvTimeoutError::Timeout) => {
                    let why = format!("no answer for {} s", timeout.as_secs());
                    return Err(self.lost(why));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err(self.lost("the connection closed".into()));
                }
            }
        }
        Ok(())
    }
}

/// The reader thread: turns the room's events into outcomes for our messages.
fn read_outcomes(mut events: Events, tx: &Sender<Outcome>) {
    // Inactivity is judged by the main thread; here we just wait for whatever comes.
    let _ = events.set_timeout(None);
    loop {
        let outcome = match events.next_event() {
            Ok(Some(Event::Ack { .. })) => Outcome::Acked,
            Ok(Some(Event::Error {
                code: ErrorCode::SlowDown,
                message,
                ..
            })) => Outcome::Paced(message),
            Ok(Some(Event::Error { message, id, .. })) => Outcome::Refused {
                id: id.as_ref().and_then(Id::as_u64),
                message,
            },
            Ok(Some(Event::Quit { reason })) => Outcome::Closed(format!("room closed: {reason}")),
            Ok(Some(_)) => continue,
            Ok(None) => Outcome::Closed("the host closed the connection".into()),
            Err(e) => Outcome::Closed(describe_io(&e)),
        };
        let closed = matches!(outcome, Outcome::Closed(_));
        if tx.send(outcome).is_err() || closed {
            return;
        }
    }
}
