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

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crossbeam_channel::{Receiver, Sender};

use super::end::{End, lost};
use crate::client::acks::{self, AckOutcome, AckTally};
use crate::client::connection::Requests;
use crate::client::input;
use crate::client::target::Target;
use crate::error::{Error, Result};
use crate::protocol::parse::Request;
use crate::protocol::wire::{ClientRequest, MessageKey};

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
    /// A whole line, newline included, sent once (pings, pongs, goodbyes).
    Line(String),
    /// A numbered request: kept until the host answers it, and sent again on a new connection
    /// if the old one broke first.
    Request { id: u64, line: String },
    /// Close the sending side: the host sees the end of our input after every line before it.
    Finish,
}

/// What the event thread tells the writer thread about the connection.
pub(super) enum Link {
    /// The host answered the request with this id: it need not be sent again.
    Answered(u64),
    /// The host could not take the request with this id now (`unavailable`): hold it.
    Held(u64),
    /// The host can take requests again (`room_back`): send the held ones again, in order.
    SendHeld,
    /// The connection broke: hold what is sent until the next one.
    Down,
    /// A new connection, on which every request not answered yet is sent again, in order.
    Up(Requests),
}

/// Starts the writer thread on the sending half of a connection. It ends once every sender
/// is gone or after [`Outbound::Finish`]. A failed write marks the connection down: the event
/// thread sees it end, and may bring a new one ([`Link::Up`]).
pub(super) fn spawn_writer(requests: Requests) -> Result<(Sender<Outbound>, Sender<Link>)> {
    let (tx, rx) = crossbeam_channel::bounded(WRITER_BACKLOG);
    let (link_tx, link_rx) = crossbeam_channel::unbounded();
    std::thread::Builder::new()
        .name("writer".into())
        .spawn(move || Writer::new(requests).run(&rx, &link_rx))
        .map_err(|e| Error::failure(format!("cannot start the writer thread: {e}")))?;
    Ok((tx, link_tx))
}

/// The writer thread's state.
struct Writer {
    /// The connection's sending half; `None` while it is down.
    requests: Option<Requests>,
    /// Numbered requests sent and not answered yet, oldest first: sent again on a new
    /// connection. At most [`WRITER_BACKLOG`]: past that, nothing more is taken until answers
    /// come.
    unanswered: std::collections::VecDeque<(u64, String)>,
    /// The ids of unanswered requests the room could not take now, to send again when it can.
    held: Vec<u64>,
}

impl Writer {
    fn new(requests: Requests) -> Self {
        Writer {
            requests: Some(requests),
            unanswered: std::collections::VecDeque::new(),
            held: Vec::new(),
        }
    }

    fn run(mut self, lines: &Receiver<Outbound>, link: &Receiver<Link>) {
        // Once the event thread is gone, no news will come: stop listening for it.
        let mut link = link.clone();
        loop {
            // News of the connection first, so a line is never written to a connection known
            // to be gone, nor an answered request sent again.
            while let Ok(news) = link.try_recv() {
                self.take(news);
            }
            let lines = if self.unanswered.len() < WRITER_BACKLOG {
                lines.clone()
            } else {
                crossbeam_channel::never()
            };
            crossbeam_channel::select! {
                recv(link) -> news => match news {
                    Ok(news) => self.take(news),
                    Err(_) => link = crossbeam_channel::never(),
                },
                recv(lines) -> outbound => match outbound {
                    Ok(Outbound::Line(line)) => self.write(&line),
                    Ok(Outbound::Request { id, line }) => {
                        self.write(&line);
                        self.unanswered.push_back((id, line));
                    }
                    Ok(Outbound::Finish) | Err(_) => {
                        if let Some(requests) = &self.requests {
                            requests.finish();
                        }
                        return;
                    }
                },
            }
        }
    }

    fn take(&mut self, news: Link) {
        match news {
            Link::Answered(id) => {
                if let Some(at) = self.unanswered.iter().position(|(n, _)| *n == id) {
                    self.unanswered.remove(at);
                }
            }
            Link::Held(id) => self.held.push(id),
            Link::SendHeld => {
                let held = std::mem::take(&mut self.held);
                let again: Vec<String> = self
                    .unanswered
                    .iter()
                    .filter(|(n, _)| held.contains(n))
                    .map(|(_, line)| line.clone())
                    .collect();
                for line in again {
                    self.write(&line);
                }
            }
            Link::Down => self.requests = None,
            Link::Up(requests) => {
                // Everything unanswered goes out again, the held requests among it.
                self.held.clear();
                self.requests = Some(requests);
                let again: Vec<String> = self.unanswered.iter().map(|(_, l)| l.clone()).collect();
                for line in again {
                    self.write(&line);
                }
            }
        }
    }

    /// Writes a line if the connection is up; a failed write marks it down.
    fn write(&mut self, line: &str) {
        if let Some(requests) = &mut self.requests
            && requests.send_line(line).is_err()
        {
            self.requests = None;
        }
    }
}

/// What the main thread and the event thread both know of the connection.
#[derive(Default)]
pub(super) struct LinkState {
    /// The connection broke and a new one is not there yet: leaving does not wait for answers.
    pub(super) down: AtomicBool,
    /// We are leaving (`/quit`, the end of stdin): the connection's end is no reason to come
    /// back.
    pub(super) leaving: AtomicBool,
    /// Why the session ended for good, with its own exit status: joining again failed (a host
    /// whose certificate changed is exit 6, not a lost connection), or the room put us out (a
    /// kick or a ban, exit 7).
    pub(super) refused: std::sync::Mutex<Option<Error>>,
}

/// The main thread's side of the connection: sending, and counting what was answered.
pub(super) struct Outgoing {
    /// To the writer thread.
    lines: Sender<Outbound>,
    /// Shared with the event thread.
    link: Arc<LinkState>,
    /// This run's client id, which with each message's id makes its resend key (see
    /// `client::retry`); `None` without reconnecting (nothing is ever sent twice then).
    client: Option<String>,
    /// What was sent and answered; the main thread also counts the replies that come in while
    /// it waits for the user.
    pub(super) tally: AckTally,
    /// The room's line limit, checked before sending so a long line is explained, not refused.
    max_line: usize,
    /// To the event thread, which shows our private messages once the room has taken them.
    sent_pms: Sender<SentPm>,
}

impl Outgoing {
    pub(super) fn new(
        (lines, link): (Sender<Outbound>, Arc<LinkState>),
        client: Option<String>,
        max_line: usize,
        sent_pms: Sender<SentPm>,
    ) -> Self {
        Outgoing {
            lines,
            link,
            client,
            tally: AckTally::default(),
            max_line,
            sent_pms,
        }
    }

    /// The error for a session whose connection ended (`why`): the refusal that stopped a
    /// reconnect, if that is what ended it, else a lost connection.
    pub(super) fn lost(&self, target: &Target, why: &str) -> Error {
        let refused = self.link.refused.lock().ok().and_then(|mut r| r.take());
        refused.unwrap_or_else(|| lost(target, why))
    }

    /// Sends a request with the next id. `Err` holds a mistake to explain (the line is too
    /// long) or, as `End`, the connection's failure.
    pub(super) fn send(&mut self, request: Request) -> Result<(), Problem> {
        let id = self.tally.next_id();
        let pm = match &request {
            Request::Pm { to, text } => Some((to.clone(), text.clone())),
            _ => None,
        };
        let key = match (&self.client, id.as_u64()) {
            (Some(cid), Some(mid)) => Some(MessageKey {
                cid: cid.clone(),
                mid,
            }),
            _ => None,
        };
        let Some(wire) = input::to_wire(request, id.clone(), key) else {
            return Ok(());
        };
        let line = wire.to_json_line();
        self.check_length(&line)?;
        let number = id.as_u64().unwrap_or_default();
        if let Some((to, text)) = pm {
            let _ = self.sent_pms.send((number, to, text));
        }
        self.push(number, line)
    }

    /// A line longer than the room takes is explained rather than sent to be refused.
    fn check_length(&self, line: &str) -> Result<(), Problem> {
        if line.len() - 1 > self.max_line {
            return Err(Problem::Mistake(format!(
                "that line is too long for this room ({} bytes at most, once encoded)",
                self.max_line
            )));
        }
        Ok(())
    }

    /// Hands the numbered request to the writer and counts it as sent.
    fn push(&mut self, id: u64, line: String) -> Result<(), Problem> {
        self.lines
            .send(Outbound::Request { id, line })
            .map_err(|_| Problem::End(End::Lost("the connection closed".into())))?;
        self.tally.mark_sent();
        Ok(())
    }

    /// Waits for every answer still owed (so nothing typed is lost), then says goodbye and
    /// waits briefly for the host to close the connection.
    ///
    /// While the connection is down (reconnecting), a `patient` session (piped: the end of
    /// stdin) waits up to `timeout` for it to come back so what it sent is answered; an
    /// impatient one (the user leaving a terminal) leaves at once, saying what may be lost.
    pub(super) fn leave(
        &mut self,
        outcomes: &Receiver<AckOutcome>,
        (timeout, patient): (Duration, bool),
        target: &Target,
    ) -> Result<()> {
        let owed = self.tally.sent - self.tally.done - self.tally.refused;
        if owed > 0 && patient {
            let deadline = std::time::Instant::now() + timeout;
            while self.link.down.load(Ordering::SeqCst) && std::time::Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
        // A patient session still owed answers may need to come back once more: the event
        // thread may not have seen the connection drop yet (it reconnects unless we are
        // leaving), and what it resends is answered on the new connection. It leaves for good
        // only once everything is answered, just before saying goodbye.
        if !patient || owed == 0 {
            self.link.leaving.store(true, Ordering::SeqCst);
        }
        if self.link.down.load(Ordering::SeqCst) {
            if owed == 0 {
                return Ok(());
            }
            let why = format!(
                "left while disconnected; {owed} of our messages may not have reached the room"
            );
            if patient {
                return Err(lost(target, &why));
            }
            crate::error::to_stderr(format_args!("chatroom: {why}"));
            return Ok(());
        }
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
        self.link.leaving.store(true, Ordering::SeqCst);
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
