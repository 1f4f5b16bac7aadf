//! Appending the room's events to its stream: a batch in one round trip (one call of the
//! [`APPEND`] script for all its events, which become one entry), and the thread that does it for the room so that the
//! room never waits on Redis. (Private messages to other hosts' members go through the
//! bridge-calls thread instead, [`super::letters`]: only Redis knows which host holds a name,
//! and the sender waits for the answer.)
//!
//! The room sends a [`Batch`] and goes on; the thread answers each batch with an [`Appended`].
//! The events reach the room's members only when the reader hands them back from the stream, in
//! the room's order. A batch that fails (Redis gone, restarting, out of memory) is reported
//! once as `Failed`, for the room to say so, and tried again, with a growing wait, until it gets
//! through (then `Done`) or the room stops: nothing the room proposed is dropped. Trying again is
//! safe because the append script skips a `mid` it appended before (the answer to a batch that
//! went through can be lost with the connection), so every event is appended once.

use std::collections::VecDeque;
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use redis::{Connection, ErrorKind, RedisResult, ServerErrorKind};

use super::host_id::HostId;
use super::keys::Keys;
use super::link::{Target, with_conn};
use super::scripts::{self, APPEND};
use crate::client::retry::Backoff;

/// After a failed attempt, how long the thread waits before trying the batch again; the wait
/// doubles (give or take a quarter, so hosts back at once do not retry in step) up to
/// [`LONGEST_RETRY`].
const FIRST_RETRY: Duration = Duration::from_millis(100);
const LONGEST_RETRY: Duration = Duration::from_secs(1);

/// An event for the room's stream.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Outgoing {
    /// The host's number for it, which comes back with it from the stream.
    pub(crate) mid: u64,
    /// The event's JSON ([`super::entry::event_json`]).
    pub(crate) event: String,
}

/// What the room hands the appender in one go.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct Batch {
    /// Room events, in the order the room made them.
    pub(crate) events: Vec<Outgoing>,
    /// The last seq the room has seen: its events get higher ones (see the append script).
    pub(crate) floor: u64,
}

/// How a batch went. (The seqs the batch's events got are the room's when they come back from
/// the stream, with what to do for each.)
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Appended {
    /// Every event of the batch is in the stream.
    Done,
    /// Not appended yet: the batch is being tried again (said once per batch; `Done`
    /// follows when it gets through), and why it failed.
    Failed { why: String },
}

/// The room's stream, as one host appends to it.
pub(crate) struct Appender {
    keys: Keys,
    host: HostId,
    /// About how many events the stream keeps: `XADD MINID ~ <last seq - cap>`.
    cap: u64,
}

impl Appender {
    pub(crate) fn new(keys: Keys, host: HostId, cap: u64) -> Appender {
        Appender { keys, host, cap }
    }

    /// Appends `events` in order, in one round trip; returns each one's seq.
    #[cfg(test)]
    pub(crate) fn append(
        &self,
        conn: &mut Connection,
        events: &[Outgoing],
    ) -> RedisResult<Vec<u64>> {
        self.send(conn, events, 0)
    }

    /// Appends `events` in order, each above `floor` and once (an event appended before is
    /// skipped, its seq 0), in one round trip; returns each event's seq.
    pub(crate) fn send(
        &self,
        conn: &mut Connection,
        events: &[Outgoing],
        floor: u64,
    ) -> RedisResult<Vec<u64>> {
        if events.is_empty() {
            return Ok(Vec::new());
        }
        let mut call = redis::cmd("EVALSHA");
        call.arg(APPEND.get_hash())
            .arg(3)
            .arg(self.keys.seq())
            .arg(self.keys.events())
            .arg(self.keys.appended())
            .arg(self.cap)
            .arg(self.host.as_str())
            .arg(floor);
        for outgoing in events {
            call.arg(outgoing.mid).arg(&outgoing.event);
        }
        match call.query::<Vec<u64>>(conn) {
            // Somebody flushed Redis's script cache (or a failover lost it): load the scripts
            // and send the batch once more, as `Script::invoke` does, rather than failing it
            // and telling the room that Redis is gone.
            Err(error) if error.kind() == ErrorKind::Server(ServerErrorKind::NoScript) => {
                scripts::load_all(conn)?;
                call.query(conn)
            }
            answer => answer,
        }
    }

    /// The thread that appends the room's batches until the room drops its sender, connecting
    /// (again) when it needs to.
    pub(crate) fn spawn(
        self,
        target: Target,
        batches: Receiver<Batch>,
        reports: Sender<Appended>,
    ) -> std::io::Result<JoinHandle<()>> {
        std::thread::Builder::new()
            .name("bridge-append".into())
            .spawn(move || self.run(&target, &batches, &reports))
    }

    fn run(&self, target: &Target, batches: &Receiver<Batch>, reports: &Sender<Appended>) {
        let mut conn: Option<Connection> = None;
        // Batches the room sent while one was being tried again (it should wait for the report,
        // but none is dropped if it does not).
        let mut queued: VecDeque<Batch> = VecDeque::new();
        loop {
            let batch = match queued.pop_front() {
                Some(batch) => batch,
                None => match batches.recv() {
                    Ok(batch) => batch,
                    Err(_) => return,
                },
            };
            let mut backoff = Backoff::new(FIRST_RETRY, LONGEST_RETRY);
            let mut told = false;
            loop {
                // Tried on a connection of the thread's own (a new one when it has none, or
                // when the one kept from before was dropped unnoticed: appends are idempotent).
                let attempt = with_conn(target, &mut conn, |open| {
                    self.send(open, &batch.events, batch.floor)
                });
                match attempt {
                    Ok(_seqs) => break,
                    Err(why) => {
                        if !told {
                            told = true;
                            if reports.send(Appended::Failed { why }).is_err() {
                                return;
                            }
                        }
                        // Waiting on the channel notices a room that has gone.
                        match batches.recv_timeout(backoff.next_wait()) {
                            Ok(next) => queued.push_back(next),
                            Err(RecvTimeoutError::Timeout) => {}
                            Err(RecvTimeoutError::Disconnected) => return,
                        }
                    }
                }
            }
            if reports.send(Appended::Done).is_err() {
                return;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_redis::{TestRedis, entry_ids};
    use super::*;

    fn appender(host: &HostId) -> Appender {
        Appender::new(Keys::new("test").unwrap(), host.clone(), 10_000)
    }

    fn batch(mids: std::ops::Range<u64>) -> Vec<Outgoing> {
        mids.map(|mid| Outgoing {
            mid,
            event: format!("{{\"n\":{mid}}}"),
        })
        .collect()
    }

    #[test]
    fn a_batch_gets_consecutive_seqs_in_order() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let mut conn = redis.conn();
        let host = HostId::random();
        let appender = appender(&host);
        assert_eq!(appender.append(&mut conn, &batch(1..4)).unwrap(), [1, 2, 3]);
        assert_eq!(appender.append(&mut conn, &batch(4..5)).unwrap(), [4]);
        // One entry a batch, its id the last seq and how many events it holds.
        assert_eq!(
            entry_ids(&mut conn, &Keys::new("test").unwrap()),
            ["3-3", "4-1"]
        );
    }

    #[test]
    fn the_stream_keeps_about_its_cap_in_events_whatever_the_batches() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let mut conn = redis.conn();
        let keys = Keys::new("test").unwrap();
        let appender = Appender::new(keys.clone(), HostId::random(), 100);
        // 1,000 events in batches of 1 to 49: far more than the cap of 100.
        let mut mid = 1;
        for size in (1..50).cycle() {
            if mid > 1_000 {
                break;
            }
            appender.append(&mut conn, &batch(mid..mid + size)).unwrap();
            mid += size;
        }
        let ids = entry_ids(&mut conn, &keys);
        let numbers = |id: &str| -> (u64, u64) {
            let (last, count) = id.split_once('-').unwrap();
            (last.parse().unwrap(), count.parse().unwrap())
        };
        let (oldest_last, oldest_count) = numbers(&ids[0]);
        let (newest_last, _) = numbers(ids.last().unwrap());
        assert_eq!(newest_last, mid - 1);
        // `MINID ~` trims whole nodes of the stream: at least the cap is kept, and not much more.
        let kept = newest_last - (oldest_last - oldest_count);
        assert!(
            (100..=400).contains(&kept),
            "kept {kept} events' worth: {ids:?}"
        );
    }

    #[test]
    fn a_flushed_script_cache_costs_a_batch_nothing() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let mut conn = redis.conn();
        let appender = appender(&HostId::random());
        assert_eq!(appender.append(&mut conn, &batch(1..3)).unwrap(), [1, 2]);
        let _: () = redis::cmd("SCRIPT").arg("FLUSH").query(&mut conn).unwrap();
        assert_eq!(appender.append(&mut conn, &batch(3..5)).unwrap(), [3, 4]);
    }

    #[test]
    fn a_lost_counter_catches_up_with_the_stream() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let mut conn = redis.conn();
        let appender = appender(&HostId::random());
        assert_eq!(appender.append(&mut conn, &batch(1..4)).unwrap(), [1, 2, 3]);
        let _: () = redis::cmd("DEL")
            .arg(Keys::new("test").unwrap().seq())
            .query(&mut conn)
            .unwrap();
        assert_eq!(appender.append(&mut conn, &batch(4..6)).unwrap(), [4, 5]);
    }

    #[test]
    fn appends_from_three_connections_share_one_gap_free_order() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        const EACH: u64 = 300;
        let threads: Vec<_> = (0..3)
            .map(|_| {
                let mut conn = redis.conn();
                std::thread::spawn(move || {
                    let host = HostId::random();
                    let appender = appender(&host);
                    let mut seqs = Vec::new();
                    for start in (1..=EACH).step_by(10) {
                        seqs.extend(
                            appender
                                .append(&mut conn, &batch(start..start + 10))
                                .unwrap(),
                        );
                    }
                    (host, seqs)
                })
            })
            .collect();
        let mut all = Vec::new();
        for thread in threads {
            let (_, seqs) = thread.join().unwrap();
            // Each host's own appends are in the order it made them.
            assert!(seqs.windows(2).all(|pair| pair[0] < pair[1]), "{seqs:?}");
            all.extend(seqs);
        }
        all.sort_unstable();
        assert_eq!(all, (1..=3 * EACH).collect::<Vec<_>>());
    }

    #[test]
    fn the_thread_reports_each_batch_and_a_lost_redis() {
        let Some(mut redis) = TestRedis::start() else {
            return;
        };
        let (batches, batches_rx) = crossbeam_channel::bounded(4);
        let (reports_tx, reports) = crossbeam_channel::bounded(4);
        let thread = appender(&HostId::random())
            .spawn(redis.target(), batches_rx, reports_tx)
            .unwrap();
        batches
            .send(Batch {
                events: batch(1..3),
                floor: 0,
            })
            .unwrap();
        assert_eq!(reports.recv().unwrap(), Appended::Done);
        let keys = Keys::new("test").unwrap();
        assert_eq!(entry_ids(&mut redis.conn(), &keys), ["2-2"]);
        redis.kill();
        batches
            .send(Batch {
                events: batch(4..5),
                floor: 2,
            })
            .unwrap();
        let Appended::Failed { why } = reports.recv().unwrap() else {
            panic!("appended to a dead Redis")
        };
        assert!(why.contains(&redis.target().shown().to_string()), "{why}");
        // Tried again until Redis is back (empty: it kept nothing), above the room's last seq.
        redis.restart();
        assert_eq!(reports.recv().unwrap(), Appended::Done);
        assert_eq!(entry_ids(&mut redis.conn(), &keys), ["3-1"]);
        drop(batches);
        thread.join().unwrap();
    }

    #[test]
    fn a_batch_sent_again_is_appended_once() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let mut conn = redis.conn();
        let appender = appender(&HostId::random());
        assert_eq!(appender.append(&mut conn, &batch(1..4)).unwrap(), [1, 2, 3]);
        // The answer was lost: the same batch again, and one more.
        assert_eq!(appender.append(&mut conn, &batch(2..5)).unwrap(), [0, 0, 4]);
        assert_eq!(
            entry_ids(&mut conn, &Keys::new("test").unwrap()),
            ["3-3", "4-1"]
        );
        // Another host's mids are its own.
        assert_eq!(
            self::appender(&HostId::random())
                .append(&mut conn, &batch(1..2))
                .unwrap(),
            [5]
        );
    }

    #[test]
    fn a_room_whose_redis_forgot_everything_goes_on_after_its_last_seq() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let mut conn = redis.conn();
        let appender = appender(&HostId::random());
        assert_eq!(appender.append(&mut conn, &batch(1..3)).unwrap(), [1, 2]);
        let _: () = redis::cmd("FLUSHALL").query(&mut conn).unwrap();
        assert_eq!(appender.send(&mut conn, &batch(3..4), 2).unwrap(), [3]);
        assert_eq!(appender.send(&mut conn, &batch(4..5), 0).unwrap(), [4]);
    }
}

/// Not a test: the bridge's append figures, printed. Run with
/// `cargo test --release --lib bridge::append::measure -- --ignored --nocapture`.
#[cfg(test)]
mod measure {
    use super::super::test_redis::TestRedis;
    use super::*;
    use std::time::Instant;

    /// Ticks of CPU (user + system) a process has used, from /proc/<pid>/stat.
    fn cpu_ticks(pid: u32) -> Option<u64> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // The fields after the command name, which is in parentheses and may hold spaces.
        let fields: Vec<&str> = stat.rsplit_once(')')?.1.split_whitespace().collect();
        Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
    }

    #[test]
    #[ignore = "a measurement, not a test: run it by hand"]
    fn appends_per_second_by_batch_size() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        // A typical message event: a few dozen bytes of text.
        let event = super::super::entry::event_json(&crate::protocol::Event::Message {
            seq: 0,
            ts: crate::protocol::Timestamp::now(),
            from: "ana".into(),
            kind: crate::protocol::wire::MessageKind::Say,
            to: None,
            text: "the quick brown fox jumps over the lazy dog".into(),
            history: false,
        });
        // Clock ticks per second: 100 on every Linux this runs on (`getconf CLK_TCK`).
        const TICKS: f64 = 100.0;
        for size in [1u64, 16, 256] {
            let mut conn = redis.conn();
            let appender = Appender::new(
                Keys::new(&format!("m{size}")).unwrap(),
                HostId::random(),
                10_000,
            );
            let total = if size == 1 { 20_000 } else { 200_000 };
            let mut batch: Vec<Outgoing> = (1..=size)
                .map(|mid| Outgoing {
                    mid,
                    event: event.clone(),
                })
                .collect();
            let cpu_before = cpu_ticks(redis.pid());
            let started = Instant::now();
            for _ in 0..total / size {
                appender.append(&mut conn, &batch).unwrap();
                // Each event once: a mid appended before would be skipped.
                batch.iter_mut().for_each(|outgoing| outgoing.mid += size);
            }
            let elapsed = started.elapsed().as_secs_f64();
            let cpu = cpu_ticks(redis.pid())
                .zip(cpu_before)
                .map(|(after, before)| (after - before) as f64 / TICKS);
            let per_append = cpu.map_or("?".into(), |cpu| {
                format!("{:.1} µs", cpu * 1e6 / total as f64)
            });
            println!(
                "batch {size:>3}: {total} appends in {elapsed:.2} s = {:>7.0} appends/s; \
                 redis-server CPU {per_append} per append",
                total as f64 / elapsed
            );
        }
        // What the script costs: the same events as bare XADDs (Redis choosing the ids).
        let mut conn = redis.conn();
        let (total, size) = (200_000u64, 256u64);
        let cpu_before = cpu_ticks(redis.pid());
        let started = Instant::now();
        for _ in 0..total / size {
            let mut pipe = redis::pipe();
            for mid in 0..size {
                pipe.cmd("XADD")
                    .arg("bare")
                    .arg("MAXLEN")
                    .arg("~")
                    .arg(10_000)
                    .arg("*")
                    .arg("host")
                    .arg("0123456789abcdef0123456789abcdef")
                    .arg("mid")
                    .arg(mid)
                    .arg("event")
                    .arg(&event)
                    .ignore();
            }
            pipe.exec(&mut conn).unwrap();
        }
        let elapsed = started.elapsed().as_secs_f64();
        let cpu = cpu_ticks(redis.pid())
            .zip(cpu_before)
            .map_or(f64::NAN, |(after, before)| (after - before) as f64 / TICKS);
        println!(
            "bare XADD, batch {size}: {:>7.0} appends/s; redis-server CPU {:.1} µs per append",
            total as f64 / elapsed,
            cpu * 1e6 / total as f64
        );
    }
}
