//! Whether a JSON member is still there: the host's side of `ping` and `pong`.
//!
//! TCP keepalive (`--keepalive`) finds machines that vanished, but not a client that is wedged,
//! or one behind a proxy that answers for it. So a JSON member the host has heard nothing from
//! for the keepalive interval is sent a `ping` event, and one that then sends nothing at all for
//! a further interval is let go (`ping_timeout`). Any bytes count as a sign of life, a `pong`
//! among them, so a client that talks is never pinged. Plain-mode clients (nc) cannot answer and
//! are left to TCP keepalive.
//!
//! The shard notes when it last heard from a connection once per read turn (no clock read per
//! line), and keeps one timer entry per member, set again only when it comes due: once per
//! interval per member, never per message.

use std::time::{Duration, Instant};

/// A member's liveness bookkeeping.
#[derive(Debug)]
pub(crate) struct Liveness {
    /// When the last bytes arrived.
    heard: Instant,
    /// When the unanswered ping went out, if one did.
    pinged: Option<Instant>,
    /// When the member's one timer entry comes due; `None`: not watched.
    due: Option<Instant>,
}

/// What a timer coming due means for a member.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Verdict {
    /// The entry was for something else (a pause): nothing to do.
    NotDue,
    /// Heard from lately: look again at this time.
    Later(Instant),
    /// Silent for an interval: send a ping, and look again at this time.
    Ping(Instant),
    /// Silent through a ping and a further interval: let it go.
    Lost,
}

impl Liveness {
    pub(crate) fn new(now: Instant) -> Self {
        Liveness {
            heard: now,
            pinged: None,
            due: None,
        }
    }

    /// Bytes arrived in the turn that began at `now`.
    pub(crate) fn hear(&mut self, now: Instant) {
        self.heard = now;
    }

    /// Starts watching at `now`; returns when the timer entry is due.
    pub(crate) fn watch(&mut self, now: Instant, every: Duration) -> Instant {
        self.heard = now;
        let due = now + every;
        self.due = Some(due);
        due
    }

    /// A timer came due at `now`: what to do, given the interval `every`. After `Later` or
    /// `Ping`, the caller adds a timer entry for the time they carry.
    pub(crate) fn check(&mut self, now: Instant, every: Duration) -> Verdict {
        if self.due.is_none_or(|due| due > now) {
            return Verdict::NotDue;
        }
        if self.pinged.is_some_and(|pinged| self.heard >= pinged) {
            self.pinged = None; // Answered (or it spoke): the ping is settled.
        }
        let (verdict, due) = match self.pinged {
            None if now >= self.heard + every => {
                self.pinged = Some(now);
                (Verdict::Ping(now + every), now + every)
            }
            None => (Verdict::Later(self.heard + every), self.heard + every),
            Some(pinged) if now >= pinged + every => {
                self.due = None;
                return Verdict::Lost;
            }
            Some(pinged) => (Verdict::Later(pinged + every), pinged + every),
        };
        self.due = Some(due);
        verdict
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EVERY: Duration = Duration::from_secs(10);

    fn at(start: Instant, secs: u64) -> Instant {
        start + Duration::from_secs(secs)
    }

    #[test]
    fn a_silent_member_is_pinged_then_let_go() {
        let t0 = Instant::now();
        let mut live = Liveness::new(t0);
        assert_eq!(live.watch(t0, EVERY), at(t0, 10));
        assert_eq!(live.check(at(t0, 10), EVERY), Verdict::Ping(at(t0, 20)));
        assert_eq!(live.check(at(t0, 20), EVERY), Verdict::Lost);
        assert_eq!(
            live.check(at(t0, 30), EVERY),
            Verdict::NotDue,
            "no longer watched"
        );
    }

    #[test]
    fn an_answer_keeps_it() {
        let t0 = Instant::now();
        let mut live = Liveness::new(t0);
        live.watch(t0, EVERY);
        assert_eq!(live.check(at(t0, 10), EVERY), Verdict::Ping(at(t0, 20)));
        live.hear(at(t0, 11));
        assert_eq!(live.check(at(t0, 20), EVERY), Verdict::Later(at(t0, 21)));
        assert_eq!(live.check(at(t0, 21), EVERY), Verdict::Ping(at(t0, 31)));
    }

    #[test]
    fn a_member_that_talks_is_never_pinged() {
        let t0 = Instant::now();
        let mut live = Liveness::new(t0);
        live.watch(t0, EVERY);
        live.hear(at(t0, 4));
        assert_eq!(live.check(at(t0, 10), EVERY), Verdict::Later(at(t0, 14)));
        live.hear(at(t0, 13));
        assert_eq!(live.check(at(t0, 14), EVERY), Verdict::Later(at(t0, 23)));
    }

    #[test]
    fn other_timers_are_not_liveness_checks() {
        let t0 = Instant::now();
        let mut live = Liveness::new(t0);
        assert_eq!(
            live.check(at(t0, 100), EVERY),
            Verdict::NotDue,
            "not watched"
        );
        live.watch(t0, EVERY);
        assert_eq!(live.check(at(t0, 5), EVERY), Verdict::NotDue, "not yet");
    }
}
