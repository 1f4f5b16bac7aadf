//! Coming back after a broken connection: the event thread's part of `join` reconnecting.
//!
//! When the connection drops (not when we leave, not when the host closes the room), the event
//! thread tells the writer the link is down (what is typed meanwhile waits there), says so on
//! screen, and tries to join again with growing waits (1 s doubling up to 30 s, with jitter),
//! one line per failed attempt. It rejoins under the nickname we had, asking for the messages
//! after the last public `seq` it saw (the hello's `since`); the room replays them and ends the
//! replay with `history_end`, which says how many it no longer has. Then the writer sends again,
//! in order, every request the old connection left unanswered; messages carry their resend key,
//! so the room takes each once.
//!
//! The user leaves as ever meanwhile: Ctrl-C, `/quit` or the end of stdin end the session
//! without waiting for the host (see `Outgoing::leave`).

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crossbeam_channel::Sender;

use super::outgoing::{Link, LinkState};
use super::output::Output;
use crate::client::connection::{self, EventStream, Welcome};
use crate::client::render::Renderer;
use crate::client::retry::{self, Backoff};
use crate::client::stream::Security;
use crate::client::target::Target;
use crate::error::{Error, ExitStatus};
use crate::password::Password;
use crate::protocol::Event;
use crate::protocol::wire::{Change, MessageKind};

/// The first wait before trying to join again; it doubles up to [`MOST_BETWEEN_ATTEMPTS`].
const FIRST_WAIT: Duration = Duration::from_secs(1);
const MOST_BETWEEN_ATTEMPTS: Duration = Duration::from_secs(30);

/// How to join again, and what we saw of the room.
pub(super) struct Comeback {
    pub(super) target: Target,
    pub(super) security: Security,
    pub(super) password: Option<Password>,
    pub(super) timeout: Duration,
    /// Shared with the main thread: whether the link is down, whether we are leaving.
    pub(super) link: Arc<LinkState>,
    /// The last public seq we saw: what we ask the room for what came after.
    last_seq: Option<u64>,
    /// Joined again and waiting for the end of the replay, to say how it went.
    replaying: bool,
}

/// What a reconnect came to.
pub(super) enum Rejoined {
    /// Joined again: the welcome and the new connection's reading half (the writer has the
    /// sending half).
    Joined(Box<Welcome>, EventStream),
    /// We are leaving, or the room turned us away for good: the session ends with this error
    /// (`None` when leaving).
    Gave(Option<Error>),
}

impl Comeback {
    pub(super) fn new(
        (target, security): (Target, Security),
        password: Option<Password>,
        timeout: Duration,
        link: Arc<LinkState>,
    ) -> Self {
        Comeback {
            target,
            security,
            password,
            timeout,
            link,
            last_seq: None,
            replaying: false,
        }
    }

    /// Notes the seq of a public event we were shown.
    pub(super) fn saw(&mut self, event: &Event) {
        if let Some(seq) = public_seq(event) {
            self.saw_seq(seq);
        }
    }

    /// Notes a public seq: one we were shown, or that of our own message (the room does not
    /// echo it to us; its ack carries the seq), so that it is not replayed to us as missed.
    pub(super) fn saw_seq(&mut self, seq: u64) {
        self.last_seq = Some(self.last_seq.map_or(seq, |last| last.max(seq)));
    }

    /// After a rejoin, what to say once the replay of what we missed is over (`history_end`),
    /// or `None` for any other event.
    pub(super) fn replay_over(&mut self, event: &Event) -> Option<Vec<String>> {
        let Event::HistoryEnd {
            count,
            missed,
            reset,
        } = event
        else {
            return None;
        };
        if !std::mem::take(&mut self.replaying) {
            return None;
        }
        Some(replay_summary(*count, *missed, *reset))
    }

    /// The connection ended (`why`): joins again as `nick`, telling the user how it goes on
    /// `out`, until it works, we leave, or the room turns us away for good.
    pub(super) fn reconnect(
        &mut self,
        why: &str,
        nick: &str,
        writer: &Sender<Link>,
        (out, renderer): (&mut (dyn Output + 'static), &Renderer),
    ) -> Rejoined {
        self.link.down.store(true, Ordering::SeqCst);
        let _ = writer.send(Link::Down);
        let mut backoff = Backoff::new(FIRST_WAIT, MOST_BETWEEN_ATTEMPTS);
        let mut wait = backoff.next_wait();
        let _ = out.diagnostic(&renderer.notice(&format!(
            "connection lost ({why}); reconnecting in {}",
            seconds(wait)
        )));
        loop {
            if self.leaving_within(wait) {
                return Rejoined::Gave(None);
            }
            let attempt = connection::rejoin(
                &self.target,
                &self.security,
                (nick, self.password.as_ref()),
                self.timeout,
                self.last_seq,
            );
            let error = match attempt {
                Ok((welcome, events, requests)) => {
                    self.link.down.store(false, Ordering::SeqCst);
                    self.replaying = true;
                    let _ = writer.send(Link::Up(requests));
                    return Rejoined::Joined(Box::new(welcome), events);
                }
                Err(error) => error,
            };
            if !retry::worth_retrying(&error, true) {
                return Rejoined::Gave(Some(error));
            }
            wait = backoff.next_wait();
            let _ = out.diagnostic(&renderer.notice(&attempt_failed(&error, nick, wait)));
        }
    }

    /// Waits `wait`, a little at a time, and says whether we are leaving meanwhile.
    fn leaving_within(&self, wait: Duration) -> bool {
        let step = Duration::from_millis(100);
        let deadline = std::time::Instant::now() + wait;
        loop {
            if self.link.leaving.load(Ordering::SeqCst) {
                return true;
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return false;
            }
            std::thread::sleep(left.min(step));
        }
    }
}

/// The seq of an event every member sees (not a private message's, which counts apart).
fn public_seq(event: &Event) -> Option<u64> {
    match event {
        Event::Message { kind, .. } if *kind == MessageKind::Pm => None,
        Event::Message { seq, .. }
        | Event::Join { seq, .. }
        | Event::Leave { seq, .. }
        | Event::Nick { seq, .. }
        | Event::Presence { seq, .. }
        | Event::Op(Change { seq, .. })
        | Event::Deop(Change { seq, .. })
        | Event::Kick {
            change: Change { seq, .. },
            ..
        }
        | Event::Ban { seq, .. }
        | Event::Unban { seq, .. }
        | Event::Mute {
            change: Change { seq, .. },
            ..
        }
        | Event::Unmute(Change { seq, .. }) => Some(*seq),
        // A topic change; without a seq it is the answer to `/topic`.
        Event::Topic { seq, .. } => *seq,
        _ => None,
    }
}

/// `2 s`, `1.5 s`: a wait as people read it.
fn seconds(wait: Duration) -> String {
    let tenths = (wait.as_millis() + 50) / 100;
    match tenths % 10 {
        0 => format!("{} s", tenths / 10),
        rest => format!("{}.{rest} s", tenths / 10),
    }
}

/// One line for a failed attempt: why, and when the next one comes.
fn attempt_failed(error: &Error, nick: &str, wait: Duration) -> String {
    let text = error.to_string();
    let why = match error.status() {
        // Our old connection may still hold the nickname: the host lets it go once it notices
        // the connection is gone (at its next ping), or gives it back at once to our address.
        // (A full room is refused the same way, in other words.)
        ExitStatus::Rejected if text.contains(&format!("'{nick}'")) => format!(
            "the room still holds the nickname '{nick}' (our old connection, until the host \
             notices it is gone)"
        ),
        _ => text,
    };
    format!("reconnect failed: {why}; trying again in {}", seconds(wait))
}

/// What to say once the replay after a rejoin is over.
fn replay_summary(count: usize, missed: u64, reset: bool) -> Vec<String> {
    let plural = if count == 1 { "" } else { "s" };
    let mut lines = vec![format!(
        "reconnected ({count} missed message{plural} shown)"
    )];
    if reset {
        lines.push(
            "the host restarted and kept no messages from before: what was said there while we \
             were away is lost"
                .to_string(),
        );
    } else if missed > 0 {
        lines.push(format!(
            "up to {missed} earlier messages were lost: the host no longer has them"
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_held_nickname_is_explained_and_other_refusals_quoted() {
        let wait = Duration::from_secs(2);
        let taken = Error::transient(
            ExitStatus::Rejected,
            "h refused us: nickname 'ana' is taken",
        );
        let line = attempt_failed(&taken, "ana", wait);
        assert!(line.contains("still holds the nickname 'ana'"), "{line}");
        assert!(line.ends_with("trying again in 2 s"), "{line}");
        let full = Error::transient(ExitStatus::Rejected, "h refused us: the room is full");
        assert!(attempt_failed(&full, "ana", wait).contains("the room is full"));
    }

    #[test]
    fn waits_read_as_seconds() {
        assert_eq!(seconds(Duration::from_millis(1000)), "1 s");
        assert_eq!(seconds(Duration::from_millis(1480)), "1.5 s");
        assert_eq!(seconds(Duration::from_millis(30_000)), "30 s");
    }

    #[test]
    fn the_summary_says_what_was_shown_and_lost() {
        assert_eq!(
            replay_summary(1, 0, false),
            ["reconnected (1 missed message shown)"]
        );
        let lost = replay_summary(3, 7, false);
        assert_eq!(lost[0], "reconnected (3 missed messages shown)");
        assert!(lost[1].contains("up to 7 earlier messages were lost"));
        assert!(replay_summary(0, 0, true)[1].contains("host restarted"));
    }

    #[test]
    fn only_public_events_move_the_seq() {
        let event = |json: &str| serde_json::from_str::<Event>(json).unwrap();
        let ts = "2026-11-22T14:04:00.120Z";
        let say = format!(
            r#"{{"type":"message","seq":4,"ts":"{ts}","from":"a","kind":"say","text":"x"}}"#
        );
        let pm = format!(
            r#"{{"type":"message","seq":9,"ts":"{ts}","from":"a","kind":"pm","to":"b","text":"x"}}"#
        );
        assert_eq!(public_seq(&event(&say)), Some(4));
        assert_eq!(public_seq(&event(&pm)), None);
        assert_eq!(public_seq(&event(r#"{"type":"ping"}"#)), None);
    }
}
