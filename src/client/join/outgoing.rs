//! The main thread's sending half of a `join` session: numbered requests, and leaving without
//! losing any.
//!
//! Requests are pipelined with ids from the shared [`AckTally`], as `chatroom send` does, and
//! leaving waits until the host has answered every one, so nothing typed is lost.
//!
//! One writer thread owns the connection's sending half and writes whole lines in the order it
//! is given them: the main thread's requests, and the event thread's liveness pings, so a ping
//! can never land in the middle of a line.

use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

use super::end::{End, lost};
use crate::client::acks::{self, AckOutcome, AckTally};
use crate::client::connection::Requests;
use crate::client::input;
use crate::client::target::Target;
use crate::error::{Error, Result};
use crate::protocol::parse::Request;
use crate::protocol::wire::ClientRequest;

/// How long to wait, after saying goodbye, for the host to close the connection: long enough
/// for it to read our `quit`, short enough that leaving feels instant.
const GOODBYE_WAIT: Duration = Duration::from_secs(2);

/// A private message we sent, for the event thread to show when its ack comes: the request's
/// id, to whom, and the text.
pub(super) type SentPm = (u64, String, String);

/// Lines the writer thread may hold before a sender waits: more than anyone types, few enough
/// to bound what a host that stopped reading can make us keep.
const WRITER_BACKLOG: usize = 1024;

/// What the writer thread is given.
pub(super) enum Outbound {
    /// A whole line, newline included.
    Line(String),
    /// Close the sending side: the host sees the end of our input after every line before it.
    Finish,
}

/// Starts the writer thread on the sending half of a connection. It ends once every sender
/// is gone, after [`Outbound::Finish`], or when a write fails (the event thread sees the
/// connection end then, and reports it).
pub(super) fn spawn_writer(mut requests: Requests) -> Result<Sender<Outbound>> {
    let (tx, rx) = crossbeam_channel::bounded(WRITER_BACKLOG);
    std::thread::Builder::new()
        .name("writer".into())
        .spawn(move || {
            for outbound in rx {
                match outbound {
                    Outbound::Line(line) => {
                        if requests.send_line(&line).is_err() {
                            return;
                        }
                    }
                    Outbound::Finish => return requests.finish(),
                }
            }
        })
        .map_err(|e| Error::failure(format!("cannot start the writer thread: {e}")))?;
    Ok(tx)
}

/// The main thread's side of the connection: sending, and counting what was answered.
pub(super) struct Outgoing {
    /// To the writer thread.
    lines: Sender<Outbound>,
    /// What was sent and answered; the main thread also counts the replies that come in while
    /// it waits for the user.
    pub(super) tally: AckTally,
    /// The room's line limit, checked before sending so a long line is explained, not refused.
    max_line: usize,
    /// To the event thread, which shows our private messages once the room has taken them.
    sent_pms: Sender<SentPm>,
}

impl Outgoing {
    pub(super) fn new(lines: Sender<Outbound>, max_line: usize, sent_pms: Sender<SentPm>) -> Self {
        Outgoing {
            lines,
            tally: AckTally::default(),
            max_line,
            sent_pms,
        }
    }

    /// Sends a request with the next id. `Err` holds a mistake to explain (the line is too
    /// long) or, as `End`, the connection's failure.
    pub(super) fn send(&mut self, request: Request) -> Result<(), Problem> {
        let id = self.tally.next_id();
        let pm = match &request {
            Request::Pm { to, text } => Some((to.clone(), text.clone())),
            _ => None,
        };
        let Some(wire) = input::to_wire(request, id.clone(), None) else {
            return Ok(());
        };
        let line = wire.to_json_line();
        if line.len() - 1 > self.max_line {
            return Err(Problem::Mistake(format!(
                "that line is too long for this room ({} bytes at most, once encoded)",
                self.max_line
            )));
        }
        if let (Some((to, text)), Some(number)) = (pm, id.as_u64()) {
            let _ = self.sent_pms.send((number, to, text));
        }
        self.lines
            .send(Outbound::Line(line))
            .map_err(|_| Problem::End(End::Lost("the connection closed".into())))?;
        self.tally.mark_sent();
        Ok(())
    }

    /// Waits for every answer still owed (so nothing typed is lost), then says goodbye and
    /// waits briefly for the host to close the connection.
    pub(super) fn leave(
        &mut self,
        outcomes: &Receiver<AckOutcome>,
        timeout: Duration,
        target: &Target,
    ) -> Result<()> {
        let mut closed = false;
        acks::settle(
            &mut self.tally,
            outcomes,
            timeout,
            |tally, outcome| {
                closed |= outcome.is_final();
                if closed && !tally.settled() {
                    let owed = tally.sent - tally.done - tally.refused;
                    let why = format!(
                        "the connection ended before the host acknowledged {owed} of our messages"
                    );
                    return Err(lost(target, &why));
                }
                Ok(())
            },
            |_, why| lost(target, &why),
        )?;
        if closed {
            return Ok(());
        }
        let quit = ClientRequest::Quit { id: None }.to_json_line();
        let _ = self.lines.send(Outbound::Line(quit));
        let _ = self.lines.send(Outbound::Finish);
        let deadline = std::time::Instant::now() + GOODBYE_WAIT;
        while let Ok(outcome) = outcomes.recv_deadline(deadline) {
            if outcome.is_final() {
                break;
            }
        }
        Ok(())
    }
}

/// Something that stops a line from being sent.
pub(super) enum Problem {
    /// A mistake to explain; the session goes on.
    Mistake(String),
    /// The connection failed: the session is over.
    End(End),
}
