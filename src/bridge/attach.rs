//! Attaching a host to its shared room at start (`host --redis`), and detaching it at the end.
//!
//! Attaching connects (a Redis that cannot be reached is the caller's one-line error: the host
//! does not start), registers the host (a heartbeat key and its id in the room's `hosts` set),
//! reads the stream's newest entries (the history newcomers are shown, and the last `seq`: the
//! reader goes on after it, so nothing read at start comes again), and starts the bridge's
//! threads: the heartbeat, the reader, the appender and the bridge-calls thread (whose answers
//! carry back the room's tags, `T`). What comes out is the room's side of
//! them: channels only, so the room never waits on Redis.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};

use super::append::{Appended, Appender, Batch};
use super::calls::{self, Answer, CALLS_BACKLOG, Call, Setup, Tags};
use super::entry::{BadEntry, Entry};
use super::gaps;
use super::heartbeat::{self, Pulse};
use super::history;
use super::host_id::HostId;
use super::keys::Keys;
use super::link::Target;
use super::reader::{Arrival, Reader};
use super::state;
use crate::store::{GAP_BACKLOG, GapFilled, GapRead};

/// How long a host's heartbeat key lives: a host dead this long has its members announced as
/// gone (within a few seconds, as the room promises), and a host stalled this long is reaped.
pub(crate) const HEARTBEAT_TTL: Duration = Duration::from_secs(3);

/// Events the stream keeps per message of `--history` (and at least [`MIN_CAP`]): the stream
/// also holds joins, leaves and renames, and a client coming back after a short outage asks
/// for what it missed from there.
const CAP_PER_HISTORY: u64 = 10;
const MIN_CAP: u64 = 1_000;

/// Batches the reader may hand over before it waits for the room (each up to the reader's
/// count of entries): what the host holds for a slow room stays bounded.
const ARRIVALS_BACKLOG: usize = 16;

/// The room's side of its bridge to Redis; `T` says what the room gets back with each answer
/// of the bridge-calls thread, `G` with a gap read.
pub(crate) struct Attached<T: Tags, G> {
    pub(crate) host: HostId,
    pub(crate) target: Target,
    /// The stream's newest events at start (enough for the history), oldest first
    /// (unreadable ones in their place).
    pub(crate) recent: Vec<Result<Entry, BadEntry>>,
    /// The last `seq` in the stream at start: the reader hands over what comes after it.
    pub(crate) last_seq: u64,
    /// The room's bans and topic as the hosts keep them in Redis (JSON), if any host has.
    pub(crate) state: Option<Vec<u8>>,
    /// Batches for the appender (one in flight: it takes the next after reporting the last).
    pub(crate) batches: Sender<Batch>,
    pub(crate) appended: Receiver<Appended>,
    pub(crate) arrivals: Receiver<Arrival>,
    pub(crate) pulses: Receiver<Pulse>,
    /// Calls for the bridge-calls thread (claims, releases, lists, letters), and its answers.
    pub(crate) calls: Sender<Call<T>>,
    pub(crate) claimed: Receiver<Answer<T>>,
    /// `since` gaps for the bridge-gaps thread to read from the stream, and what it read.
    pub(crate) gap_reads: Sender<GapRead<G>>,
    pub(crate) gaps_filled: Receiver<GapFilled<G>>,
    keys: Keys,
    /// About how many events the stream keeps (see [`stream_cap`]).
    cap: u64,
    /// Stops the reader and the heartbeat (the appender stops when `batches` is dropped).
    stop: Arc<AtomicBool>,
    threads: Vec<JoinHandle<()>>,
}

/// The oldest Redis a shared room works with: 6.2 added `XADD ... MINID`, which trims the
/// room's stream to the events it keeps.
const OLDEST_REDIS: (u32, u32) = (6, 2);

/// Why the Redis whose `INFO server` answer is `info` cannot hold a room, if it cannot. A
/// version it does not state (a compatible server that says nothing) is given the benefit of
/// the doubt.
fn too_old(info: &str) -> Option<String> {
    let version = info
        .lines()
        .find_map(|line| line.strip_prefix("redis_version:"))?
        .trim();
    let mut numbers = version.split('.').map(|part| part.parse::<u32>().ok());
    let (Some(Some(major)), Some(Some(minor))) = (numbers.next(), numbers.next()) else {
        return None;
    };
    let (oldest_major, oldest_minor) = OLDEST_REDIS;
    ((major, minor) < OLDEST_REDIS).then(|| {
        format!(
            "it is Redis {version}, and a shared room needs {oldest_major}.{oldest_minor} or \
             later (its stream is trimmed with XADD MINID): upgrade it"
        )
    })
}

/// The stream's length bound for a room that replays `history` messages to newcomers.
pub(crate) fn stream_cap(history: usize) -> u64 {
    (history as u64)
        .saturating_mul(CAP_PER_HISTORY)
        .max(MIN_CAP)
}

/// Attaches this host to the room `room` in the Redis at `target`, reading up to `history` of
/// the newest entries. `Err` is one line naming the Redis (never its password) and what to do.
pub(crate) fn attach<T: Tags, G: Send + 'static>(
    target: Target,
    room: &str,
    history: usize,
) -> Result<Attached<T, G>, String> {
    let keys = Keys::new(room)?;
    let host = HostId::random();
    let mut conn = target.connect()?;
    let info: String = redis::cmd("INFO")
        .arg("server")
        .query(&mut conn)
        .map_err(|error| target.explain(&error))?;
    if let Some(why) = too_old(&info) {
        return Err(format!("Redis at {}: {why}", target.shown()));
    }
    heartbeat::register(&mut conn, &keys, &host, HEARTBEAT_TTL)
        .map_err(|error| target.explain(&error))?;
    // Enough events for `history` messages among joins and leaves (as many as the stream
    // keeps for them), and at least one, for the last seq, even with `--history 0`.
    let events = history.saturating_mul(CAP_PER_HISTORY as usize).max(1);
    let recent =
        history::newest(&mut conn, &keys, events).map_err(|error| target.explain(&error))?;
    let last_seq = last_seq(&recent);
    let state = state::read(&mut conn, &keys).map_err(|error| target.explain(&error))?;
    let cap = stream_cap(history);
    let stop = Arc::new(AtomicBool::new(false));
    let spawned = |error: std::io::Error| format!("cannot start a thread of the bridge: {error}");
    let (pulse_tx, pulses) = crossbeam_channel::bounded(4);
    let beat = heartbeat::spawn(
        target.clone(),
        keys.clone(),
        host.clone(),
        HEARTBEAT_TTL,
        cap,
        pulse_tx,
        Arc::clone(&stop),
    )
    .map_err(spawned)?;
    let (arrival_tx, arrivals) = crossbeam_channel::bounded(ARRIVALS_BACKLOG);
    let read = Reader::new(keys.clone(), host.clone(), last_seq)
        .spawn(target.clone(), arrival_tx, Arc::clone(&stop))
        .map_err(spawned)?;
    let (batches, batch_rx) = crossbeam_channel::bounded(1);
    let (appended_tx, appended) = crossbeam_channel::bounded(1);
    let append = Appender::new(keys.clone(), host.clone(), cap)
        .spawn(target.clone(), batch_rx, appended_tx)
        .map_err(spawned)?;
    let (calls, call_rx) = crossbeam_channel::bounded(CALLS_BACKLOG);
    // Each answer is to a call the room made: at most the calls' backlog and the one at hand.
    let (claimed_tx, claimed) = crossbeam_channel::bounded(CALLS_BACKLOG + 1);
    let keys_kept = keys.clone();
    let setup = Setup {
        target: target.clone(),
        keys: keys.clone(),
        host: host.clone(),
        cap,
    };
    let call = calls::spawn(setup, call_rx, claimed_tx).map_err(spawned)?;
    let (gap_reads, gap_rx) = crossbeam_channel::bounded(GAP_BACKLOG);
    // Each answer is to a read the room asked for: at most the backlog and the one at hand.
    let (filled_tx, gaps_filled) = crossbeam_channel::bounded(GAP_BACKLOG + 1);
    let gap = gaps::spawn(target.clone(), keys, gap_rx, filled_tx).map_err(spawned)?;
    Ok(Attached {
        host,
        target,
        recent,
        last_seq,
        state,
        batches,
        appended,
        arrivals,
        pulses,
        calls,
        claimed,
        gap_reads,
        gaps_filled,
        keys: keys_kept,
        cap,
        stop,
        threads: vec![beat, read, append, call, gap],
    })
}

/// The highest seq among `entries` (0 for none): where reading goes on.
fn last_seq(entries: &[Result<Entry, BadEntry>]) -> u64 {
    entries
        .iter()
        .filter_map(|entry| entry.as_ref().ok().map(|entry| entry.seq))
        .max()
        .unwrap_or(0)
}

impl<T: Tags, G> Attached<T, G> {
    /// Stops the bridge's threads and waits for them (the reader and the heartbeat see their
    /// stop flag within a block time; the appender ends with its channel), then takes this
    /// host out of the room: its members leave and their nicknames are freed at once. A Redis
    /// that cannot be reached now leaves that to the other hosts' reaping.
    pub(crate) fn detach(self) {
        let Attached {
            host,
            target,
            keys,
            cap,
            stop,
            threads,
            batches,
            arrivals,
            pulses,
            calls,
            claimed,
            gap_reads,
            gaps_filled,
            ..
        } = self;
        stop.store(true, Ordering::Relaxed);
        drop((batches, arrivals, pulses, calls, claimed));
        drop((gap_reads, gaps_filled));
        for thread in threads {
            let _ = thread.join();
        }
        if let Ok(mut conn) = target.connect() {
            let _ = heartbeat::leave(&mut conn, &keys, &host, cap);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bridge::append::Outgoing;
    use crate::bridge::entry::event_json;
    use crate::bridge::test_redis::TestRedis;
    use crate::protocol::wire::MessageKind;
    use crate::protocol::{Event, Timestamp};

    fn say(text: &str) -> String {
        event_json(&Event::Message {
            seq: 0,
            ts: Timestamp::now(),
            from: "ann".into(),
            kind: MessageKind::Say,
            to: None,
            text: text.into(),
            history: false,
        })
    }

    #[test]
    fn the_cap_grows_with_the_history_and_never_falls_below_the_minimum() {
        assert_eq!(stream_cap(0), MIN_CAP);
        assert_eq!(stream_cap(500), 5_000);
        assert_eq!(stream_cap(usize::MAX), u64::MAX);
    }

    #[test]
    fn a_redis_older_than_6_2_is_refused_with_its_version() {
        let info = |version: &str| format!("# Server\r\nredis_version:{version}\r\nos:Linux\r\n");
        let why = too_old(&info("6.0.16")).unwrap();
        assert!(
            why.contains("Redis 6.0.16") && why.contains("6.2 or later"),
            "{why}"
        );
        assert!(too_old(&info("5.0.7")).is_some());
        for fine in ["6.2.0", "7.0.15", "10.1.2"] {
            assert_eq!(too_old(&info(fine)), None, "{fine}");
        }
        // A server that does not say, or says something else, is tried.
        assert_eq!(too_old("# Server\r\n"), None);
        assert_eq!(too_old(&info("unstable")), None);
    }

    #[test]
    fn attaching_reads_the_newest_entries_and_the_reader_goes_on_after_them() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let before = attach::<(), ()>(redis.target(), "ops", 2).expect("attached");
        assert_eq!((before.last_seq, before.recent.len()), (0, 0));
        let events: Vec<Outgoing> = (1..=3)
            .map(|mid| Outgoing {
                mid,
                event: say(&format!("m{mid}")),
            })
            .collect();
        before
            .batches
            .send(Batch { events, floor: 0 })
            .expect("appender running");
        assert!(matches!(
            before.appended.recv().expect("a report"),
            Appended::Done
        ));
        // Up to ten entries per message of history (joins and leaves are entries too).
        let after = attach::<(), ()>(redis.target(), "ops", 2).expect("attached");
        let seqs: Vec<u64> = after.recent.iter().flatten().map(|e| e.seq).collect();
        assert_eq!((seqs, after.last_seq), (vec![1, 2, 3], 3));
        assert_ne!(before.host, after.host);
        // Without history, the last entry alone: where reading goes on.
        let bare = attach::<(), ()>(redis.target(), "ops", 0).expect("attached");
        let seqs: Vec<u64> = bare.recent.iter().flatten().map(|e| e.seq).collect();
        assert_eq!((seqs, bare.last_seq), (vec![3], 3));
        before.detach();
        after.detach();
        bare.detach();
    }

    #[test]
    fn a_redis_that_is_not_there_is_one_line_naming_it() {
        let Some(mut redis) = TestRedis::start() else {
            return;
        };
        let target = redis.target();
        redis.kill();
        let Err(why) = attach::<(), ()>(target, "ops", 10) else {
            panic!("attached to a dead Redis");
        };
        assert!(why.contains("could not reach Redis at 127.0.0.1:"), "{why}");
        assert!(!why.contains('\n'), "{why}");
    }
}
