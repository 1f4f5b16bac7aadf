//! Requests sent ahead of their replies, and the replies that settle them.
//!
//! `send` and `join` both pipeline: each request goes out with a numbered id without waiting for
//! the previous reply, and the thread reading the connection reports what the host said. Before
//! either command exits it waits until every request it sent has been answered, so nothing
//! written into it is lost. This module is that bookkeeping, shared so that both commands read
//! replies, count them and give up on a silent host in the same way.

use std::io;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError};

use crate::error::{Result, describe_io};
use crate::protocol::{ErrorCode, Event, Id};

/// What the host said that matters to a client waiting on its requests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AckOutcome {
    /// One of our requests was carried out: an `ack`, or the `users` answering a `list`.
    Done { id: Option<u64> },
    /// The host refused a request (`id` says which of ours, when it can tell).
    Refused { id: Option<u64>, message: String },
    /// The room is pacing us; said once per flood.
    Paced(String),
    /// The room could not take a request now (`id`, when it can tell): its host is reconnecting
    /// to the room's Redis. Sending it again later may work.
    Unavailable { id: Option<u64>, message: String },
    /// The room takes messages again (its host is back with its Redis): what it refused as
    /// unavailable can go out now.
    RoomBack,
    /// The host is shutting the room down; its reason.
    RoomClosed(String),
    /// The connection ended without the room closing; why, in words.
    Lost(String),
    /// The host heard nothing from us for a while and asks whether we are there: whoever writes
    /// to the connection answers with a `pong`, or the host lets us go.
    Pinged,
}

impl AckOutcome {
    /// What `event` means for our requests; `None` for room events (messages, joins, ...).
    pub fn of_event(event: &Event) -> Option<AckOutcome> {
        let id = |id: &Option<Id>| id.as_ref().and_then(Id::as_u64);
        Some(match event {
            Event::Ack { id: reply_to, .. } => AckOutcome::Done { id: id(reply_to) },
            // The replies that stand for an ack: answers to `list`, `search`, `bans`, and
            // `topic` without text.
            Event::Users {
                id: Some(reply_to), ..
            }
            | Event::SearchResults {
                id: Some(reply_to), ..
            }
            | Event::Bans {
                id: Some(reply_to), ..
            }
            | Event::Topic {
                id: Some(reply_to), ..
            } => AckOutcome::Done {
                id: reply_to.as_u64(),
            },
            Event::Error {
                code: ErrorCode::SlowDown,
                message,
                ..
            } => AckOutcome::Paced(message.clone()),
            Event::Error {
                code: ErrorCode::Unavailable,
                message,
                id: reply_to,
            } => AckOutcome::Unavailable {
                id: id(reply_to),
                message: message.clone(),
            },
            Event::Error {
                message,
                id: reply_to,
                ..
            } => AckOutcome::Refused {
                id: id(reply_to),
                message: message.clone(),
            },
            Event::RoomBack => AckOutcome::RoomBack,
            Event::Quit { reason } => AckOutcome::RoomClosed(reason.clone()),
            Event::Ping => AckOutcome::Pinged,
            // A `/ping` the user typed; the session's own liveness pings are not ours to count.
            Event::Pong { id: reply_to } => AckOutcome::Done {
                id: Some(id(reply_to)?),
            },
            _ => return None,
        })
    }

    /// The outcome of a read that returned no event: end of stream, or an error.
    pub fn of_read_end(error: Option<&io::Error>) -> AckOutcome {
        AckOutcome::Lost(match error {
            None => "the host closed the connection".to_string(),
            Some(e) => describe_io(e),
        })
    }

    /// Whether nothing more will come from the connection after this.
    pub fn is_final(&self) -> bool {
        matches!(self, AckOutcome::RoomClosed(_) | AckOutcome::Lost(_))
    }
}

/// How many requests went out and how many the host has answered.
#[derive(Debug, Default)]
pub struct AckTally {
    pub sent: u64,
    pub done: u64,
    pub refused: u64,
}

impl AckTally {
    /// The id the next request carries: ids count up from 1, so a refusal names the request.
    pub fn next_id(&self) -> Id {
        Id::from(self.sent + 1)
    }

    /// Counts the request carrying [`AckTally::next_id`] as sent.
    pub fn mark_sent(&mut self) {
        self.sent += 1;
    }

    /// Counts a reply. Refusals without one of our ids (a flood warning, say) answer nothing.
    pub fn record(&mut self, outcome: &AckOutcome) {
        match outcome {
            AckOutcome::Done { .. } => self.done += 1,
            AckOutcome::Refused { id: Some(_), .. } => self.refused += 1,
            _ => {}
        }
    }

    /// Whether every request sent has been answered.
    pub fn settled(&self) -> bool {
        self.done + self.refused >= self.sent
    }
}

/// Waits until every request counted in `tally` has been answered.
///
/// Each outcome is counted, then handed to `take`, which may end the wait with an error (a
/// closed connection while requests are unanswered, typically). When the host says nothing for
/// `timeout`, or the reader has gone, the wait fails with `lost(why)`.
pub fn settle(
    tally: &mut AckTally,
    outcomes: &Receiver<AckOutcome>,
    timeout: Duration,
    mut take: impl FnMut(&AckTally, AckOutcome) -> Result<()>,
    lost: impl Fn(&AckTally, String) -> crate::error::Error,
) -> Result<()> {
    while !tally.settled() {
        match outcomes.recv_timeout(timeout) {
            Ok(outcome) => {
                tally.record(&outcome);
                take(tally, outcome)?;
            }
            Err(RecvTimeoutError::Timeout) => {
                return Err(lost(
                    tally,
                    format!("no answer for {} s", timeout.as_secs()),
                ));
            }
            Err(RecvTimeoutError::Disconnected) => {
                return Err(lost(tally, "the connection closed".into()));
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(json: &str) -> Event {
        serde_json::from_str(json).unwrap()
    }

    #[test]
    fn replies_become_outcomes() {
        assert_eq!(
            AckOutcome::of_event(&event(r#"{"type":"ack","id":3,"seq":9}"#)),
            Some(AckOutcome::Done { id: Some(3) })
        );
        assert_eq!(
            AckOutcome::of_event(&event(r#"{"type":"users","users":["a"],"id":4}"#)),
            Some(AckOutcome::Done { id: Some(4) })
        );
        assert_eq!(
            AckOutcome::of_event(&event(r#"{"type":"users","users":["a"]}"#)),
            None
        );
        // The answers to `bans` and to `topic` without text stand for their acks; a topic
        // change (no id) answers nothing.
        for (line, id) in [
            (r#"{"type":"bans","bans":[],"id":6}"#, Some(6)),
            (r#"{"type":"topic","text":"x","id":7}"#, Some(7)),
        ] {
            assert_eq!(
                AckOutcome::of_event(&event(line)),
                Some(AckOutcome::Done { id }),
                "{line}"
            );
        }
        assert_eq!(
            AckOutcome::of_event(&event(
                r#"{"type":"topic","seq":2,"ts":"2026-11-22T14:04:00.120Z","text":"x"}"#
            )),
            None
        );
        assert_eq!(
            AckOutcome::of_event(&event(
                r#"{"type":"error","code":"no_such_nick","message":"m","id":5}"#
            )),
            Some(AckOutcome::Refused {
                id: Some(5),
                message: "m".into()
            })
        );
        assert!(matches!(
            AckOutcome::of_event(&event(
                r#"{"type":"error","code":"slow_down","message":"m"}"#
            )),
            Some(AckOutcome::Paced(_))
        ));
        assert_eq!(
            AckOutcome::of_event(&event(r#"{"type":"room_back"}"#)),
            Some(AckOutcome::RoomBack)
        );
        assert!(
            AckOutcome::of_event(&event(r#"{"type":"quit","reason":"bye"}"#))
                .unwrap()
                .is_final()
        );
        assert_eq!(
            AckOutcome::of_event(&event(
                r#"{"type":"join","seq":1,"ts":"2026-11-22T14:04:00.120Z","nick":"c","count":2}"#
            )),
            None
        );
    }

    #[test]
    fn the_tally_settles_when_every_request_is_answered() {
        let mut tally = AckTally::default();
        assert_eq!(tally.next_id(), Id::from(1));
        tally.mark_sent();
        assert_eq!(tally.next_id(), Id::from(2));
        tally.mark_sent();
        assert!(!tally.settled());
        tally.record(&AckOutcome::Paced("slow".into()));
        tally.record(&AckOutcome::Refused {
            id: None,
            message: "x".into(),
        });
        assert!(!tally.settled());
        tally.record(&AckOutcome::Done { id: Some(1) });
        tally.record(&AckOutcome::Refused {
            id: Some(2),
            message: "x".into(),
        });
        assert!(tally.settled());
    }

    #[test]
    fn settle_gives_up_on_a_silent_host() {
        let (tx, rx) = crossbeam_channel::unbounded();
        let mut tally = AckTally::default();
        tally.mark_sent();
        tx.send(AckOutcome::Paced("slow".into())).unwrap();
        let err = settle(
            &mut tally,
            &rx,
            Duration::from_millis(10),
            |_, _| Ok(()),
            |_, why| crate::error::Error::failure(why),
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "no answer for 0 s");
    }
}
