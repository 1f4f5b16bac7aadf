//! The bridge-calls thread: the blocking Redis calls the room needs made (claiming and
//! releasing nicknames, reading the room-wide member list, posting private messages to other
//! hosts' members, keeping the room's bans and topic), made on a connection of its own and answered over a channel, so that the
//! room never waits on Redis. Calls are made in the order the room asked them (a release
//! before a later claim of the same name by this host, say).
//!
//! The room hands calls over with `try_send` on a bounded channel: when it is full the room
//! refuses the newcomer or the request as busy rather than wait. Answers go back on a bounded
//! channel too, which the room drains in its loop; the thread waits when the room is slow.

use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender};
use redis::Connection;

use super::host_id::HostId;
use super::keys::Keys;
use super::letters::{self, Posted};
use super::link::{Target, with_conn};
use super::nicks::{self, Claim};
use super::roster::{self, Roster};
use super::state;

/// Calls the room may have waiting for the thread before it refuses newcomers as busy.
pub(crate) const CALLS_BACKLOG: usize = 1_024;

/// What the room needs back with each kind of answer (who asked, and what for).
pub(crate) trait Tags: Send + 'static {
    type Claim: Send + std::fmt::Debug;
    type List: Send + std::fmt::Debug;
    type Letter: Send + std::fmt::Debug;
}

/// Tags for tests and tools that need none.
impl Tags for () {
    type Claim = ();
    type List = ();
    type Letter = ();
}

/// A call for the thread.
#[derive(Debug)]
pub(crate) enum Call<T: Tags> {
    /// Claim `nick` for a member of this host in a room of at most `most` members (0: any);
    /// when claimed, read the room's roster too, with its names if it has at most
    /// `names_up_to` members (`None`: no roster, as for a rename).
    Claim {
        nick: String,
        most: u32,
        names_up_to: Option<u64>,
        tag: T::Claim,
    },
    /// Give `nick` up (nothing is answered: a failed release is freed when the host is reaped).
    Release { nick: String },
    /// Keep the room's bans and topic (`json`) as of the event numbered `seq` for hosts
    /// starting later, unless newer ones are kept (nothing is answered: the other hosts write
    /// them too, and the next change writes them again).
    SaveState { seq: u64, json: String },
    /// Read the room's members on every host: the headcount, and the names when there are at
    /// most `names_up_to`.
    List { names_up_to: u64, tag: T::List },
    /// Post a letter to the member of another host called `to`: `event` is its JSON, `mid`
    /// this host's number for it.
    Letter {
        to: String,
        mid: u64,
        event: String,
        tag: T::Letter,
    },
}

/// The answer to a claim: the claim's outcome, or why Redis could not be asked.
#[derive(Debug)]
pub(crate) struct Claimed<T> {
    pub(crate) tag: T,
    pub(crate) nick: String,
    pub(crate) outcome: Result<Claim, String>,
    /// The room after the claim, when it was claimed and a roster asked for (and could be read).
    pub(crate) roster: Option<Roster>,
}

/// An answer of the thread.
#[derive(Debug)]
pub(crate) enum Answer<T: Tags> {
    Claimed(Claimed<T::Claim>),
    Listed {
        tag: T::List,
        outcome: Result<Roster, String>,
    },
    Posted {
        tag: T::Letter,
        outcome: Result<Posted, String>,
    },
}

/// The thread's fixed inputs: where Redis is, the room's keys, this host, and the inboxes'
/// length bound.
pub(crate) struct Setup {
    pub(crate) target: Target,
    pub(crate) keys: Keys,
    pub(crate) host: HostId,
    pub(crate) cap: u64,
}

/// Starts the thread, which ends when the room drops the sending end of `calls`.
pub(crate) fn spawn<T: Tags>(
    setup: Setup,
    calls: Receiver<Call<T>>,
    answers: Sender<Answer<T>>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("bridge-calls".into())
        .spawn(move || {
            let mut conn: Option<Connection> = None;
            for call in calls {
                let answer = match answer(&setup, &mut conn, call) {
                    Some(answer) => answer,
                    None => continue,
                };
                if answers.send(answer).is_err() {
                    return;
                }
            }
        })
}

/// Makes one call; `None` for one that is not answered.
fn answer<T: Tags>(
    setup: &Setup,
    conn: &mut Option<Connection>,
    call: Call<T>,
) -> Option<Answer<T>> {
    let Setup {
        target,
        keys,
        host,
        cap,
    } = setup;
    Some(match call {
        Call::Claim {
            nick,
            most,
            names_up_to,
            tag,
        } => {
            let outcome = with_conn(target, conn, |open| {
                nicks::claim_with_roster(open, keys, host, &nick, most, names_up_to)
            });
            let (outcome, roster) = match outcome {
                Ok((claim, roster)) => (Ok(claim), roster),
                Err(why) => (Err(why), None),
            };
            Answer::Claimed(Claimed {
                tag,
                nick,
                outcome,
                roster,
            })
        }
        Call::Release { nick } => {
            let _ = with_conn(target, conn, |open| nicks::release(open, keys, host, &nick));
            return None;
        }
        Call::SaveState { seq, json } => {
            let _ = with_conn(target, conn, |open| state::save(open, keys, seq, &json));
            return None;
        }
        Call::List { names_up_to, tag } => Answer::Listed {
            tag,
            outcome: with_conn(target, conn, |open| roster::read(open, keys, names_up_to)),
        },
        Call::Letter {
            to,
            mid,
            event,
            tag,
        } => Answer::Posted {
            tag,
            outcome: with_conn(target, conn, |open| {
                letters::post(open, keys, host, &to, (mid, &event), *cap)
            }),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::test_redis::TestRedis;

    /// Numbers for tags.
    #[derive(Debug)]
    struct Numbered;

    impl Tags for Numbered {
        type Claim = u32;
        type List = u32;
        type Letter = u32;
    }

    /// Starts a thread for a new host of the room `calls`, runs `calls` and returns the
    /// answers once the thread has ended.
    fn run(redis: &TestRedis, host: HostId, calls: Vec<Call<Numbered>>) -> Vec<Answer<Numbered>> {
        let keys = Keys::new("calls").expect("a room name");
        let ttl = std::time::Duration::from_secs(30);
        crate::bridge::heartbeat::register(&mut redis.conn(), &keys, &host, ttl)
            .expect("registered");
        let (call_tx, call_rx) = crossbeam_channel::bounded(CALLS_BACKLOG);
        let (answer_tx, answers) = crossbeam_channel::bounded(CALLS_BACKLOG);
        let setup = Setup {
            target: redis.target(),
            keys,
            host,
            cap: 100,
        };
        let thread = spawn(setup, call_rx, answer_tx).expect("spawned");
        for call in calls {
            call_tx.send(call).expect("thread running");
        }
        drop(call_tx);
        let got = answers.iter().collect();
        thread.join().expect("the thread ends with its channel");
        got
    }

    fn claim(nick: &str, tag: u32) -> Call<Numbered> {
        Call::Claim {
            nick: nick.into(),
            most: 2,
            names_up_to: Some(10),
            tag,
        }
    }

    #[test]
    fn claims_are_answered_in_order_and_a_release_frees_the_name() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let calls = vec![
            claim("ann", 1),
            claim("ANN", 2),
            claim("bob", 3),
            claim("cid", 4),
            Call::Release { nick: "bob".into() },
            claim("cid", 5),
        ];
        let got = run(&redis, HostId::random(), calls);
        let outcomes: Vec<_> = got
            .iter()
            .map(|answer| match answer {
                Answer::Claimed(claimed) => (claimed.tag, &claimed.outcome),
                other => panic!("{other:?}"),
            })
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

    #[test]
    fn a_claim_brings_the_roster_and_a_list_reads_it() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let list = |names_up_to, tag| Call::List { names_up_to, tag };
        let calls = vec![claim("ann", 1), claim("Bob", 2), list(9, 3), list(0, 4)];
        let got = run(&redis, HostId::random(), calls);
        let Answer::Claimed(second) = &got[1] else {
            panic!("{got:?}");
        };
        let roster = second.roster.clone().expect("a roster");
        assert_eq!(roster.count, 2);
        let names = crate::bridge::roster::tests::sorted(roster.names);
        assert_eq!(names, ["ann", "Bob"]);
        let Answer::Listed { tag: 3, outcome } = &got[2] else {
            panic!("{got:?}");
        };
        assert_eq!(outcome.as_ref().unwrap().count, 2, "{got:?}");
        let Answer::Listed { tag: 4, outcome } = &got[3] else {
            panic!("{got:?}");
        };
        let headcount = outcome.as_ref().unwrap();
        assert_eq!((headcount.count, &headcount.names), (2, &None), "{got:?}");
    }

    #[test]
    fn a_letter_is_posted_to_another_hosts_member_only() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let (here, there) = (HostId::random(), HostId::random());
        run(&redis, there, vec![claim("Bob", 1)]);
        let letter = |to: &str, tag| Call::Letter {
            to: to.into(),
            mid: 1,
            event: "{}".into(),
            tag,
        };
        let got = run(&redis, here, vec![letter("bob", 1), letter("zed", 2)]);
        assert!(
            matches!(&got[0], Answer::Posted { tag: 1, outcome: Ok(Posted::To { to }) } if to == "Bob"),
            "{got:?}"
        );
        assert!(
            matches!(
                &got[1],
                Answer::Posted {
                    tag: 2,
                    outcome: Ok(Posted::NoSuchNick)
                }
            ),
            "{got:?}"
        );
    }
}
