//! The reader: one thread, on a connection of its own, that reads the room's stream and this
//! host's inbox in one `XREAD BLOCK` call after another and hands what it read to the room over
//! a bounded crossbeam channel, in the stream's order.
//!
//! It remembers the last id of each stream that it *handed over* and reads on from there, on the
//! same connection or, after the connection broke, on a new one (reconnecting with a growing
//! wait): so the room gets every entry once, never skipping one and never getting one twice,
//! however often Redis goes away. When the room is slow to take a batch, the reader waits (the
//! channel is bounded: what it holds for the room stays bounded), and Redis keeps the rest.
//!
//! It stops when its stop flag is set (seen within one block time) or the room has dropped the
//! receiving end (seen at its next hand-over).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{SendTimeoutError, Sender};
use redis::{Connection, RedisResult};

use super::entry::{self, BadEntry, Entry, Letter};
use super::host_id::HostId;
use super::keys::Keys;
use super::link::{ANSWER_TIMEOUT, Target};
use crate::client::retry::Backoff;

/// The first wait before reconnecting, and the longest.
const FIRST_WAIT: Duration = Duration::from_millis(100);
const LONGEST_WAIT: Duration = Duration::from_secs(5);

/// How often a waiting reader looks at its stop flag.
const STOP_CHECK: Duration = Duration::from_millis(100);

/// What the reader hands the room.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Arrival {
    /// Room events, in the room's order (an unreadable entry is an `Err` in its place).
    Events(Vec<Result<Entry, BadEntry>>),
    /// Private messages for this host's members.
    Letters(Vec<Result<Letter, BadEntry>>),
    /// The connection to Redis is lost; the reader is reconnecting. Said once per outage.
    Lost(String),
    /// Reconnected: reading goes on from where it stopped.
    Back,
}

/// One XREAD's answer: for each stream with news, its key and its entries (id, fields).
type StreamsReply = Option<Vec<(String, Vec<(String, Vec<Vec<u8>>)>)>>;

pub(crate) struct Reader {
    keys: Keys,
    host: HostId,
    /// How long one XREAD waits for news.
    block: Duration,
    /// The most entries of each stream one XREAD returns.
    count: usize,
    /// The id of the last room event handed over.
    after_event: String,
    /// The id of the last letter handed over.
    after_letter: String,
}

impl Reader {
    /// A reader of the room's events after `after_seq` (0: from the start) and of every letter
    /// in the host's inbox. (The entry holding `after_seq` is not read again: the reader starts
    /// after the highest id an entry ending there can have, `<after_seq>-1024`; an entry holding
    /// it and later events too is read from the start, and the room skips what it has seen.)
    pub(crate) fn new(keys: Keys, host: HostId, after_seq: u64) -> Reader {
        Reader {
            keys,
            host,
            block: Duration::from_millis(500),
            // Entries of the room's stream are batches (up to 1,024 events and 1 MiB each).
            count: 32,
            after_event: format!("{after_seq}-{}", entry::MAX_ENTRY_EVENTS),
            after_letter: "0-0".into(),
        }
    }

    /// Sets how long one XREAD waits, and how many entries of each stream it takes at most.
    #[cfg(test)]
    pub(crate) fn with_batches(mut self, block: Duration, count: usize) -> Reader {
        self.block = block.max(Duration::from_millis(1));
        self.count = count.max(1);
        self
    }

    /// Starts the thread.
    pub(crate) fn spawn(
        mut self,
        target: Target,
        arrivals: Sender<Arrival>,
        stop: Arc<AtomicBool>,
    ) -> std::io::Result<JoinHandle<()>> {
        std::thread::Builder::new()
            .name("bridge-read".into())
            .spawn(move || self.run(&target, &arrivals, &stop))
    }

    fn run(&mut self, target: &Target, arrivals: &Sender<Arrival>, stop: &AtomicBool) {
        let mut conn: Option<Connection> = None;
        // Whether the room was told the connection is lost, and not yet that it is back.
        let mut lost = false;
        let mut backoff = Backoff::new(FIRST_WAIT, LONGEST_WAIT);
        while !stop.load(Ordering::Relaxed) {
            let read = match conn.as_mut() {
                Some(open) => self.read(open).map_err(|error| target.explain(&error)),
                None => match target.connect() {
                    // Each XREAD waits up to its block time for an answer, and then some: set
                    // once per connection, not a system call per read.
                    Ok(new) => match new.set_read_timeout(Some(self.block + ANSWER_TIMEOUT)) {
                        Ok(()) => {
                            conn = Some(new);
                            continue;
                        }
                        Err(error) => Err(target.explain(&error)),
                    },
                    Err(why) => Err(why),
                },
            };
            let handed = match read {
                // Back only once a read has worked: a Redis that takes connections but fails
                // every read is still lost.
                Ok((events, letters)) => {
                    let mut told = true;
                    if std::mem::take(&mut lost) {
                        backoff = Backoff::new(FIRST_WAIT, LONGEST_WAIT);
                        told = hand_over(arrivals, Arrival::Back, stop);
                    }
                    let events = Read {
                        entries: events,
                        cursor: &mut self.after_event,
                    };
                    let letters = Read {
                        entries: letters,
                        cursor: &mut self.after_letter,
                    };
                    let letter =
                        |id: &str, fields: &[Vec<u8>]| vec![entry::decode_letter(id, fields)];
                    told && events.hand_over(entry::decode, Arrival::Events, arrivals, stop)
                        && letters.hand_over(letter, Arrival::Letters, arrivals, stop)
                }
                Err(why) => {
                    // A connection whose command failed may still deliver the late answer:
                    // never reused.
                    conn = None;
                    let told = std::mem::replace(&mut lost, true)
                        || hand_over(arrivals, Arrival::Lost(why), stop);
                    nap(backoff.next_wait(), stop);
                    told
                }
            };
            if !handed {
                return;
            }
        }
    }

    /// One XREAD of both streams: the entries after the last ones handed over.
    #[allow(clippy::type_complexity)]
    fn read(
        &self,
        conn: &mut Connection,
    ) -> RedisResult<(Vec<(String, Vec<Vec<u8>>)>, Vec<(String, Vec<Vec<u8>>)>)> {
        let (events_key, inbox_key) = (self.keys.events(), self.keys.inbox(&self.host));
        let reply: StreamsReply = redis::cmd("XREAD")
            .arg("COUNT")
            .arg(self.count)
            .arg("BLOCK")
            .arg(self.block.as_millis() as u64)
            .arg("STREAMS")
            .arg(&events_key)
            .arg(&inbox_key)
            .arg(&self.after_event)
            .arg(&self.after_letter)
            .query(conn)?;
        let (mut events, mut letters) = (Vec::new(), Vec::new());
        for (key, entries) in reply.unwrap_or_default() {
            if key == events_key {
                events = entries;
            } else if key == inbox_key {
                letters = entries;
            }
        }
        Ok((events, letters))
    }
}

/// Entries read from one stream, and the id the reader goes on after in that stream.
struct Read<'a> {
    entries: Vec<(String, Vec<Vec<u8>>)>,
    cursor: &'a mut String,
}

impl Read<'_> {
    /// Decodes the entries and hands them to the room as one arrival; the cursor moves past them
    /// only once the room has them. False when the reader must stop.
    fn hand_over<T>(
        self,
        decode: impl Fn(&str, &[Vec<u8>]) -> Vec<Result<T, BadEntry>>,
        arrival: impl FnOnce(Vec<Result<T, BadEntry>>) -> Arrival,
        arrivals: &Sender<Arrival>,
        stop: &AtomicBool,
    ) -> bool {
        let Some(last) = self.entries.last().map(|(id, _)| id.clone()) else {
            return true;
        };
        let decoded = self
            .entries
            .iter()
            .flat_map(|(id, fields)| decode(id, fields))
            .collect();
        let handed = hand_over(arrivals, arrival(decoded), stop);
        if handed {
            *self.cursor = last;
        }
        handed
    }
}

/// Sends `arrival` to the room, waiting while its channel is full; false when the room is gone
/// or the stop flag was set meanwhile.
fn hand_over(arrivals: &Sender<Arrival>, mut arrival: Arrival, stop: &AtomicBool) -> bool {
    loop {
        match arrivals.send_timeout(arrival, STOP_CHECK) {
            Ok(()) => return true,
            Err(SendTimeoutError::Disconnected(_)) => return false,
            Err(SendTimeoutError::Timeout(again)) => {
                if stop.load(Ordering::Relaxed) {
                    return false;
                }
                arrival = again;
            }
        }
    }
}

/// Sleeps for `wait`, waking early when the stop flag is set.
fn nap(wait: Duration, stop: &AtomicBool) {
    let until = std::time::Instant::now() + wait;
    while !stop.load(Ordering::Relaxed) {
        let left = until.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return;
        }
        std::thread::sleep(left.min(STOP_CHECK));
    }
}

#[cfg(test)]
mod tests {
    use super::super::append::{Appender, Outgoing};
    use super::super::test_redis::TestRedis;
    use super::*;
    use crate::protocol::wire::LeaveReason;
    use crate::protocol::{Event, Timestamp};

    fn keys() -> Keys {
        Keys::new("test").unwrap()
    }

    fn leave(nick: &str) -> String {
        entry::event_json(&Event::Leave {
            seq: 0,
            ts: Timestamp::now(),
            nick: nick.into(),
            reason: LeaveReason::Quit,
        })
    }

    fn outgoing(mids: std::ops::Range<u64>) -> Vec<Outgoing> {
        mids.map(|mid| Outgoing {
            mid,
            event: leave(&format!("n{mid}")),
        })
        .collect()
    }

    /// Takes arrivals until `want` events were handed over; returns their seqs and mids, and
    /// whether the reader said it lost Redis and came back.
    fn collect(
        arrivals: &crossbeam_channel::Receiver<Arrival>,
        want: usize,
    ) -> (Vec<u64>, Vec<u64>, bool, bool) {
        let (mut seqs, mut mids, mut lost, mut back) = (Vec::new(), Vec::new(), false, false);
        while seqs.len() < want {
            match arrivals.recv_timeout(Duration::from_secs(30)).unwrap() {
                Arrival::Events(events) => {
                    for entry in events {
                        let entry = entry.unwrap();
                        seqs.push(entry.seq);
                        mids.push(entry.mid);
                    }
                }
                Arrival::Letters(_) => {}
                Arrival::Lost(_) => lost = true,
                Arrival::Back => back = true,
            }
        }
        (seqs, mids, lost, back)
    }

    #[test]
    fn hands_over_the_stream_in_order_from_where_it_was_told() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let host = HostId::random();
        let appender = Appender::new(keys(), host.clone(), 10_000);
        // Entries of 2 and 3 events: the reader told to go on after seq 2 starts at the second.
        appender.append(&mut redis.conn(), &outgoing(1..3)).unwrap();
        appender.append(&mut redis.conn(), &outgoing(3..6)).unwrap();
        let (tx, arrivals) = crossbeam_channel::bounded(2);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = Reader::new(keys(), host, 2)
            .with_batches(Duration::from_millis(50), 2)
            .spawn(redis.target(), tx, stop.clone())
            .unwrap();
        let (seqs, mids, ..) = collect(&arrivals, 3);
        assert_eq!(seqs, [3, 4, 5]);
        assert_eq!(mids, [3, 4, 5]);
        appender.append(&mut redis.conn(), &outgoing(6..7)).unwrap();
        assert_eq!(collect(&arrivals, 1).0, [6]);
        stop.store(true, Ordering::Relaxed);
        thread.join().unwrap();
    }

    #[test]
    fn resumes_after_redis_restarts_without_skipping_or_doubling() {
        let Some(mut redis) = TestRedis::start_persistent() else {
            return;
        };
        let host = HostId::random();
        let appender = Appender::new(keys(), host.clone(), 10_000);
        // An entry for each event.
        let mut conn = redis.conn();
        for mid in 1..101 {
            appender.append(&mut conn, &outgoing(mid..mid + 1)).unwrap();
        }
        // A channel of one batch of ten: most of the stream is still unread when Redis dies.
        let (tx, arrivals) = crossbeam_channel::bounded(1);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = Reader::new(keys(), host, 0)
            .with_batches(Duration::from_millis(50), 10)
            .spawn(redis.target(), tx, stop.clone())
            .unwrap();
        let (mut seqs, ..) = collect(&arrivals, 20);
        redis.restart();
        appender
            .append(&mut redis.conn(), &outgoing(101..151))
            .unwrap();
        let (rest, _, lost, back) = collect(&arrivals, 130);
        seqs.extend(rest);
        assert!(lost && back, "the reader did not notice the restart");
        assert_eq!(seqs, (1..=150).collect::<Vec<_>>());
        stop.store(true, Ordering::Relaxed);
        thread.join().unwrap();
    }

    #[test]
    fn reads_the_inbox_in_the_same_call_and_reports_bad_entries_in_place() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let host = HostId::random();
        let mut conn = redis.conn();
        let pm = entry::event_json(&Event::Message {
            seq: 0,
            ts: Timestamp::now(),
            from: "ana".into(),
            kind: crate::protocol::wire::MessageKind::Pm,
            to: Some("bo".into()),
            text: "psst".into(),
            history: false,
        });
        // Another host's member writes to one of ours.
        super::super::nicks::claim(&mut conn, &keys(), &host, "bo", 0).unwrap();
        let posted = super::super::letters::post(
            &mut conn,
            &keys(),
            &HostId::random(),
            "bo",
            (9, &pm),
            1000,
        )
        .unwrap();
        assert!(
            matches!(posted, super::super::letters::Posted::To { .. }),
            "{posted:?}"
        );
        // A hostile writer's entries, added with redis-cli.
        for hostile in [
            vec!["1-1", "event", "{}"],
            vec!["2-1", entry::HOST, "me", entry::EVENTS, "1 {}"],
        ] {
            let added = std::process::Command::new("redis-cli")
                .args(["-u", &redis.url(), "XADD", &keys().events()])
                .args(hostile)
                .output()
                .expect("redis-cli runs");
            assert!(added.status.success(), "{added:?}");
        }
        let (tx, arrivals) = crossbeam_channel::bounded(4);
        let stop = Arc::new(AtomicBool::new(false));
        let thread = Reader::new(keys(), host, 0)
            .spawn(redis.target(), tx, stop.clone())
            .unwrap();
        let (mut letters, mut bad) = (Vec::new(), Vec::new());
        while letters.is_empty() || bad.len() < 2 {
            match arrivals.recv_timeout(Duration::from_secs(30)).unwrap() {
                Arrival::Letters(got) => letters.extend(got),
                Arrival::Events(got) => bad.extend(got.into_iter().map(|e| e.unwrap_err())),
                other => panic!("{other:?}"),
            }
        }
        assert_eq!(letters[0].as_ref().unwrap().mid, 9);
        assert_eq!(bad[0].id, "1-1");
        assert!(bad[0].why.contains("no field 'host'"), "{}", bad[0]);
        assert!(bad[1].why.contains("not a host id"), "{}", bad[1]);
        stop.store(true, Ordering::Relaxed);
        thread.join().unwrap();
    }
}
