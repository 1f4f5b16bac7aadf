//! Each host's sign of life, and the reaping of hosts that died.
//!
//! A host registers its id in the room's `hosts` set and keeps a key of its own,
//! `host:<id>`, alive by setting it with a time to live every third of it. When a host dies
//! (`kill -9`, a lost machine) its key expires; any other host that then finds its id in `hosts`
//! without a live key reaps it with the [`REAP`] script: the host's
//! members' nicknames are freed and one `leave` (reason `disconnected`) per member goes into the
//! room's stream, numbered like every other event, so every host announces them in the same
//! place. The script takes the id out of `hosts` first and does nothing when it was already gone,
//! so when several hosts reap at once, one does the work and the others nothing.
//!
//! A host that was only slow (paused longer than its time to live) finds on its next beat that
//! it was reaped: its members were announced as gone, so it must not carry on as if nothing
//! happened ([`Beat::Reaped`]).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crossbeam_channel::Sender;
use redis::{Connection, RedisResult};

use super::host_id::HostId;
use super::keys::Keys;
use super::link::Target;
use super::scripts::{BEAT, REAP};
use crate::protocol::wire::LeaveReason;
use crate::protocol::{Event, Timestamp};

/// Stands for the nickname in the leave event the reap script completes.
const NICK_MARK: &str = "@nick@";

/// The answer to a beat.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Beat {
    Alive,
    /// Another host found this one dead and reaped it.
    Reaped,
}

/// What one reaping did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Reaped {
    /// The dead host.
    pub(crate) host: String,
    /// The leaves appended for its members: seq and nickname.
    pub(crate) leaves: Vec<(u64, String)>,
}

impl Reaped {
    /// What the console says of it: the host, and how many of its members were announced as
    /// gone.
    pub(crate) fn console_text(&self) -> String {
        format!(
            "host {} of the room stopped beating; its {} member(s) were announced as gone",
            self.host,
            self.leaves.len()
        )
    }
}

/// What the heartbeat thread tells the room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Pulse {
    /// This host reaped dead ones (their leaves come through the stream like any event).
    Reaped(Vec<Reaped>),
    /// This host was reaped by another (it stalled longer than its heartbeat, or Redis lost the
    /// room's keys): its members were announced as gone and their nicknames freed. The thread
    /// has registered it again; the room is to let its members go, so they come back.
    WasReaped,
    /// A beat or a reaping failed (Redis is unreachable, say); it is tried again.
    Failed(String),
}

/// Puts `host` in the room, alive for `ttl`.
pub(crate) fn register(
    conn: &mut Connection,
    keys: &Keys,
    host: &HostId,
    ttl: Duration,
) -> RedisResult<()> {
    redis::pipe()
        .atomic()
        .cmd("SADD")
        .arg(keys.hosts())
        .arg(host.as_str())
        .ignore()
        .cmd("SET")
        .arg(keys.beat(host))
        .arg(now_ms())
        .arg("PX")
        .arg(ttl_ms(ttl))
        .ignore()
        .exec(conn)
}

/// Keeps `host` alive for another `ttl`, unless it was reaped.
pub(crate) fn beat(
    conn: &mut Connection,
    keys: &Keys,
    host: &HostId,
    ttl: Duration,
) -> RedisResult<Beat> {
    let alive: i64 = BEAT
        .key(keys.hosts())
        .key(keys.beat(host))
        .arg(host.as_str())
        .arg(ttl_ms(ttl))
        .arg(now_ms())
        .invoke(conn)?;
    Ok(if alive == 1 {
        Beat::Alive
    } else {
        Beat::Reaped
    })
}

/// Reaps every host of the room, but `me`, whose heartbeat has expired; `cap` bounds the stream
/// as appending does. Returns what this host reaped (not what others reaped meanwhile).
pub(crate) fn reap(
    conn: &mut Connection,
    keys: &Keys,
    me: &HostId,
    cap: u64,
) -> RedisResult<Vec<Reaped>> {
    let ids: Vec<String> = redis::cmd("SMEMBERS").arg(keys.hosts()).query(conn)?;
    // An id that is not one (somebody wrote it by hand) has no keys of ours to free.
    let others: Vec<HostId> = ids
        .iter()
        .filter_map(|id| id.parse::<HostId>().ok())
        .filter(|id| id != me)
        .collect();
    if others.is_empty() {
        return Ok(Vec::new());
    }
    let mut pipe = redis::pipe();
    for id in &others {
        pipe.cmd("EXISTS").arg(keys.beat(id));
    }
    let alive: Vec<bool> = pipe.query(conn)?;
    let mut reaped = Vec::new();
    for (id, _) in others.iter().zip(alive).filter(|(_, alive)| !alive) {
        reaped.extend(reap_one(conn, keys, id, cap)?);
    }
    Ok(reaped)
}

/// Takes `me` out of the room as it stops cleanly: its heartbeat goes, and it reaps itself at
/// once (its members leave in the stream and their nicknames are freed), rather than leaving
/// that to the other hosts a heartbeat's time to live later.
pub(crate) fn leave(conn: &mut Connection, keys: &Keys, me: &HostId, cap: u64) -> RedisResult<()> {
    redis::cmd("DEL").arg(keys.beat(me)).exec(conn)?;
    reap_one(conn, keys, me, cap).map(drop)
}

/// Reaps `id`, whose heartbeat is gone, unless another host did first.
fn reap_one(
    conn: &mut Connection,
    keys: &Keys,
    id: &HostId,
    cap: u64,
) -> RedisResult<Option<Reaped>> {
    let (before, after) = leave_template();
    let done: Vec<redis::Value> = REAP
        .key(keys.hosts())
        .key(keys.beat(id))
        .key(keys.members(id))
        .key(keys.nicks())
        .key(keys.seq())
        .key(keys.events())
        .key(keys.inbox(id))
        .key(keys.appended())
        .arg(id.as_str())
        .arg(cap)
        .arg(&before)
        .arg(&after)
        .invoke(conn)?;
    Ok(leaves_of(&done).map(|leaves| Reaped {
        host: id.to_string(),
        leaves,
    }))
}

/// The reap script's answer: `None` when it did not reap, else the leaves it appended.
fn leaves_of(done: &[redis::Value]) -> Option<Vec<(u64, String)>> {
    let (first, rest) = done.split_first()?;
    if redis::from_redis_value_ref::<i64>(first).ok()? != 1 {
        return None;
    }
    Some(
        rest.chunks_exact(2)
            .filter_map(|pair| {
                let seq = redis::from_redis_value_ref::<u64>(&pair[0]).ok()?;
                let nick = redis::from_redis_value_ref::<String>(&pair[1]).ok()?;
                Some((seq, nick))
            })
            .collect(),
    )
}

/// A dead host's member's `leave`, as JSON, before and after the nickname (which the script,
/// knowing it, writes between them as a JSON string): rendered by the one `Event` type, so the
/// script writes no JSON of its own.
fn leave_template() -> (String, String) {
    let json = super::entry::event_json(&Event::Leave {
        seq: 0,
        ts: Timestamp::now(),
        nick: NICK_MARK.into(),
        reason: LeaveReason::Disconnected,
    });
    let mark = format!("\"{NICK_MARK}\"");
    match json.split_once(&mark) {
        Some((before, after)) => (before.to_string(), after.to_string()),
        // The mark is in the JSON: serde writes a plain string as it is.
        None => (json, String::new()),
    }
}

fn ttl_ms(ttl: Duration) -> u64 {
    (ttl.as_millis() as u64).max(1)
}

fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| since.as_millis() as u64)
        .unwrap_or_default()
}

/// The thread that beats for `host` every third of `ttl` and reaps dead hosts as often, until
/// `stop` is set or the room drops `pulses`. The host must have been [`register`]ed.
pub(crate) fn spawn(
    target: Target,
    keys: Keys,
    host: HostId,
    ttl: Duration,
    cap: u64,
    pulses: Sender<Pulse>,
    stop: Arc<AtomicBool>,
) -> std::io::Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name("bridge-beat".into())
        .spawn(move || {
            let period = ttl / 3;
            let mut conn: Option<Connection> = None;
            let mut next = Instant::now();
            let mut failing = false;
            // After (re)connecting, the other hosts get a time to live to beat again before any
            // is reaped: a Redis that was away longer than that let every heartbeat expire, and
            // the hosts that lived through it must not reap each other's members.
            let mut reap_after = Instant::now();
            while !stop.load(Ordering::Relaxed) {
                let wait = next.saturating_duration_since(Instant::now());
                if !wait.is_zero() {
                    std::thread::sleep(wait.min(Duration::from_millis(100)));
                    continue;
                }
                next += period;
                let pulse = match conn.as_mut() {
                    Some(open) => {
                        let beat_and_reap = beat(open, &keys, &host, ttl).and_then(|beat| {
                            Ok(match beat {
                                // Back in the room, with no members: the room lets its go,
                                // and they come back as newcomers.
                                Beat::Reaped => {
                                    register(open, &keys, &host, ttl)?;
                                    Some(Pulse::WasReaped)
                                }
                                Beat::Alive if Instant::now() < reap_after => None,
                                Beat::Alive => Some(reap(open, &keys, &host, cap)?)
                                    .filter(|reaped| !reaped.is_empty())
                                    .map(Pulse::Reaped),
                            })
                        });
                        beat_and_reap.unwrap_or_else(|error| {
                            // A connection whose command failed is never reused.
                            conn = None;
                            Some(Pulse::Failed(target.explain(&error)))
                        })
                    }
                    None => match target.connect() {
                        Ok(open) => {
                            conn = Some(open);
                            next = Instant::now();
                            reap_after = next + ttl;
                            None
                        }
                        Err(why) => Some(Pulse::Failed(why)),
                    },
                };
                // A failure is said once, until a beat goes through again.
                let failed = matches!(pulse, Some(Pulse::Failed(_)));
                let pulse = pulse.filter(|_| !(failed && failing));
                failing = failed || (failing && conn.is_none());
                if let Some(pulse) = pulse
                    && pulses.send(pulse).is_err()
                {
                    return;
                }
            }
        })
}

#[cfg(test)]
mod tests {
    use super::super::history;
    use super::super::nicks::{self, Claim};
    use super::super::test_redis::{TestRedis, entry_ids};
    use super::*;

    const SHORT: Duration = Duration::from_millis(50);
    const LONG: Duration = Duration::from_secs(600);

    #[test]
    fn the_console_names_a_reaped_host_and_counts_its_members() {
        let reaped = Reaped {
            host: "0123abcd".into(),
            leaves: vec![(7, "ana".into()), (8, "bob".into())],
        };
        assert_eq!(
            reaped.console_text(),
            "host 0123abcd of the room stopped beating; its 2 member(s) were announced as gone"
        );
    }

    fn keys() -> Keys {
        Keys::new("test").unwrap()
    }

    /// Two hosts in the room: one whose heartbeat runs out soon, one that stays alive.
    fn dying_and_alive(conn: &mut Connection) -> (HostId, HostId) {
        let (dying, alive) = (HostId::random(), HostId::random());
        register(conn, &keys(), &dying, SHORT).unwrap();
        register(conn, &keys(), &alive, LONG).unwrap();
        (dying, alive)
    }

    /// Waits until the heartbeat of `host` has expired (polled: no timing is assumed).
    fn until_expired(conn: &mut Connection, host: &HostId) {
        while redis::cmd("EXISTS")
            .arg(keys().beat(host))
            .query::<bool>(conn)
            .unwrap()
        {
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    #[test]
    fn the_leave_template_makes_a_leave() {
        let (before, after) = leave_template();
        let json = format!("{before}{}{after}", serde_json::to_string("ana").unwrap());
        let Event::Leave { nick, reason, .. } = serde_json::from_str(&json).unwrap() else {
            panic!("{json}")
        };
        assert_eq!((nick.as_str(), reason), ("ana", LeaveReason::Disconnected));
    }

    #[test]
    fn a_dead_host_is_reaped_its_members_announced_and_freed() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let mut conn = redis.conn();
        let (dead, alive) = dying_and_alive(&mut conn);
        for nick in ["Ana", "bo"] {
            assert_eq!(
                nicks::claim(&mut conn, &keys(), &dead, nick, 0).unwrap(),
                Claim::Claimed
            );
        }
        nicks::claim(&mut conn, &keys(), &alive, "cy", 0).unwrap();
        // Alive: nothing to reap.
        assert_eq!(reap(&mut conn, &keys(), &alive, 1000).unwrap(), []);
        until_expired(&mut conn, &dead);
        let reaped = reap(&mut conn, &keys(), &alive, 1000).unwrap();
        assert_eq!(reaped.len(), 1);
        assert_eq!(reaped[0].host, dead.to_string());
        let mut leaves = reaped[0].leaves.clone();
        leaves.sort_by(|a, b| a.1.cmp(&b.1));
        let nicknames: Vec<&str> = leaves.iter().map(|(_, nick)| nick.as_str()).collect();
        assert_eq!(nicknames, ["Ana", "bo"]);
        // The leaves are in the stream, numbered like any event.
        let newest = history::newest(&mut conn, &keys(), 10).unwrap();
        let from_stream: Vec<(u64, String)> = newest
            .into_iter()
            .map(|entry| {
                let entry = entry.unwrap();
                let Event::Leave { nick, reason, .. } = entry.event else {
                    panic!("{:?}", entry.event)
                };
                assert_eq!(reason, LeaveReason::Disconnected);
                assert_eq!(entry.host, dead);
                (entry.seq, nick)
            })
            .collect();
        let mut sorted = from_stream.clone();
        sorted.sort_by(|a, b| a.1.cmp(&b.1));
        assert_eq!(sorted, leaves);
        // Its names are free, the others' are not; it is reaped once; it learns it was reaped.
        assert_eq!(
            nicks::claim(&mut conn, &keys(), &alive, "ana", 0).unwrap(),
            Claim::Claimed
        );
        assert!(matches!(
            nicks::claim(&mut conn, &keys(), &dead, "cy", 0).unwrap(),
            Claim::Taken { .. }
        ));
        assert_eq!(reap(&mut conn, &keys(), &alive, 1000).unwrap(), []);
        assert_eq!(
            beat(&mut conn, &keys(), &dead, SHORT).unwrap(),
            Beat::Reaped
        );
        assert_eq!(beat(&mut conn, &keys(), &alive, LONG).unwrap(), Beat::Alive);
    }

    #[test]
    fn a_dead_host_with_more_members_than_an_entry_holds_leaves_in_several_entries() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let mut conn = redis.conn();
        let (dead, alive) = dying_and_alive(&mut conn);
        let members = super::super::entry::MAX_ENTRY_EVENTS + 6;
        for n in 0..members {
            nicks::claim(&mut conn, &keys(), &dead, &format!("m{n}"), 0).unwrap();
        }
        until_expired(&mut conn, &dead);
        let reaped = reap(&mut conn, &keys(), &alive, 100_000).unwrap();
        let mut seqs: Vec<u64> = reaped[0].leaves.iter().map(|(seq, _)| *seq).collect();
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=members).collect::<Vec<_>>());
        assert_eq!(entry_ids(&mut conn, &keys()), ["1024-1024", "1030-6"]);
        let read = history::newest(&mut conn, &keys(), members as usize).unwrap();
        assert_eq!(read.len() as u64, members);
        assert!(read.iter().all(Result::is_ok));
    }

    #[test]
    fn when_two_hosts_reap_at_once_one_wins() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let mut conn = redis.conn();
        let dead: Vec<HostId> = (0..20).map(|_| HostId::random()).collect();
        for (n, host) in dead.iter().enumerate() {
            register(&mut conn, &keys(), host, SHORT).unwrap();
            for m in 0..3 {
                nicks::claim(&mut conn, &keys(), host, &format!("n{n}m{m}"), 0).unwrap();
            }
        }
        for host in &dead {
            until_expired(&mut conn, host);
        }
        let start = Arc::new(std::sync::Barrier::new(2));
        let reapers: Vec<_> = (0..2)
            .map(|_| {
                let (mut conn, start) = (redis.conn(), start.clone());
                std::thread::spawn(move || {
                    let me = HostId::random();
                    start.wait();
                    reap(&mut conn, &keys(), &me, 1000).unwrap()
                })
            })
            .collect();
        let mut reaped: Vec<Reaped> = reapers
            .into_iter()
            .flat_map(|r| r.join().unwrap())
            .collect();
        reaped.sort_by(|a, b| a.host.cmp(&b.host));
        let mut expected: Vec<String> = dead.iter().map(|h| h.to_string()).collect();
        expected.sort();
        let hosts: Vec<String> = reaped.iter().map(|r| r.host.clone()).collect();
        assert_eq!(hosts, expected, "each dead host reaped exactly once");
        let mut seqs: Vec<u64> = reaped
            .iter()
            .flat_map(|r| r.leaves.iter().map(|(seq, _)| *seq))
            .collect();
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=60).collect::<Vec<_>>());
        assert_eq!(nicks::headcount(&mut conn, &keys()).unwrap(), 0);
    }

    #[test]
    fn the_thread_reaps_and_reports() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let mut conn = redis.conn();
        let (dead, me) = (HostId::random(), HostId::random());
        register(&mut conn, &keys(), &dead, SHORT).unwrap();
        nicks::claim(&mut conn, &keys(), &dead, "ana", 0).unwrap();
        register(&mut conn, &keys(), &me, Duration::from_millis(300)).unwrap();
        let (tx, pulses) = crossbeam_channel::bounded(4);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = spawn(
            redis.target(),
            keys(),
            me,
            Duration::from_millis(300),
            1000,
            tx,
            stop.clone(),
        )
        .unwrap();
        let pulse = pulses.recv_timeout(Duration::from_secs(30)).unwrap();
        let Pulse::Reaped(reaped) = pulse else {
            panic!("{pulse:?}")
        };
        assert_eq!(reaped[0].leaves, [(1, "ana".to_string())]);
        stop.store(true, Ordering::Relaxed);
        thread.join().unwrap();
    }

    #[test]
    fn a_host_that_was_reaped_is_told_so_by_its_thread() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let mut conn = redis.conn();
        let (slow, other) = (HostId::random(), HostId::random());
        register(&mut conn, &keys(), &slow, SHORT).unwrap();
        until_expired(&mut conn, &slow);
        assert_eq!(reap(&mut conn, &keys(), &other, 1000).unwrap().len(), 1);
        let (tx, pulses) = crossbeam_channel::bounded(4);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = spawn(redis.target(), keys(), slow, LONG, 1000, tx, stop.clone()).unwrap();
        let pulse = pulses.recv_timeout(Duration::from_secs(30)).unwrap();
        assert_eq!(pulse, Pulse::WasReaped);
        stop.store(true, Ordering::Relaxed);
        thread.join().unwrap();
    }
}
