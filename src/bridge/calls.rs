//! The bridge-calls thread: the blocking Redis calls the room needs made (claiming and
//! releasing nicknames, keeping the room's bans and topic), made on a connection of its own and answered over a channel, so that
//! the room never waits on Redis. Calls are made in the order the room asked them (a release
//! before a later claim of the same name by this host, say).
//!
//! The room hands calls over with `try_send` on a bounded channel: when it is full the room
//! refuses the newcomer as busy rather than wait. Answers go back on a bounded channel too,
//! which the room drains in its loop; the thread waits when the room is slow.

use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};
use redis::Connection;

use super::host_id::HostId;
use super::keys::Keys;
use super::link::{Target, with_conn};
use super::nicks::{self, Claim};

/// Calls the room may have waiting for the thread before it refuses newcomers as busy.
pub(crate) const CALLS_BACKLOG: usize = 1_024;

/// A call for the thread; `T` is what the room needs back with the answer.
#[derive(Debug)]
pub(crate) enum Call<T> {
    /// Claim `nick` for a member of this host in a room of at most `most` members (0: any).
    Claim { nick: String, most: u32, tag: T },
    /// Give `nick` up (nothing is answered: a failed release is freed when the host is reaped).
    Release { nick: String },
    /// Keep the room's bans and topic (`json`) for hosts starting later (nothing is answered:
    /// the next change writes them again).
    SaveState { json: String },
}

/// The answer to a claim: the claim's outcome, or why Redis could not be asked.
#[derive(Debug)]
pub(crate) struct Claimed<T> {
    pub(crate) tag: T,
    pub(crate) nick: String,
    pub(crate) outcome: Result<Claim, String>,
}

/// Starts the thread, which ends when the room drops the sending end of `calls`.
pub(crate) fn spawn<T: Send + 'static>(
    target: Target,
    keys: Keys,
    host: HostId,
    calls: Receiver<Call<T>>,
    answers: Sender<Claimed<T>>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("bridge-calls".into())
        .spawn(move || {
            let mut conn: Option<Connection> = None;
            for call in calls {
                match call {
                    Call::Claim { nick, most, tag } => {
                        let outcome = with_conn(&target, &mut conn, |open| {
                            nicks::claim(open, &keys, &host, &nick, most)
                        });
                        let answer = Claimed { tag, nick, outcome };
                        if answers.send(answer).is_err() {
                            return;
                        }
                    }
                    Call::Release { nick } => {
                        let _ = with_conn(&target, &mut conn, |open| {
                            nicks::release(open, &keys, &host, &nick)
                        });
                    }
                    Call::SaveState { json } => {
                        let _ = with_conn(&target, &mut conn, |open| {
                            redis::cmd("SET").arg(keys.state()).arg(&json).exec(open)
                        });
                    }
                }
            }
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::test_redis::TestRedis;

    #[test]
    fn claims_are_answered_in_order_and_a_release_frees_the_name() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let keys = Keys::new("calls").expect("a room name");
        let (call_tx, calls) = crossbeam_channel::bounded(CALLS_BACKLOG);
        let (answer_tx, answers) = crossbeam_channel::bounded(CALLS_BACKLOG);
        let host = HostId::random();
        let thread = spawn(redis.target(), keys, host, calls, answer_tx).expect("spawned");
        let claim = |nick: &str, tag: u32| Call::Claim {
            nick: nick.into(),
            most: 2,
            tag,
        };
        for call in [
            claim("ann", 1),
            claim("ANN", 2),
            claim("bob", 3),
            claim("cid", 4),
            Call::Release { nick: "bob".into() },
            claim("cid", 5),
        ] {
            call_tx.send(call).expect("thread running");
        }
        drop(call_tx);
        let got: Vec<(u32, String, Result<Claim, String>)> = answers
            .iter()
            .map(|answer| (answer.tag, answer.nick, answer.outcome))
            .collect();
        thread.join().expect("the thread ends with its channel");
        let outcomes: Vec<_> = got
            .iter()
            .map(|(tag, _, outcome)| (*tag, outcome))
            .collect();
        assert!(matches!(outcomes[0], (1, Ok(Claim::Claimed))), "{got:?}");
        assert!(
            matches!(outcomes[1], (2, Ok(Claim::Taken { .. }))),
            "{got:?}"
        );
        assert!(matches!(outcomes[2], (3, Ok(Claim::Claimed))), "{got:?}");
        assert!(matches!(outcomes[3], (4, Ok(Claim::Full))), "{got:?}");
        assert!(matches!(outcomes[4], (5, Ok(Claim::Claimed))), "{got:?}");
    }
}
