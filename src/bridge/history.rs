//! Reading the room's past from its stream: the newest events (the history a newcomer is shown)
//! and the events after a `since` (the gap a returning client missed). An entry's id being
//! `<last seq>-<count>` (see `entry.rs`), "the entries holding events after `since`" is a range
//! query on ids, with no lookup table.
//!
//! Both read from the newest entry back, a few entries at a time, until they have the events
//! they want: an entry holds up to [`MAX_ENTRY_EVENTS`], so that reads at most that many more.
//! How far back this reaches is how much the stream keeps: appends trim it to about their cap.

use redis::{Connection, RedisResult};

use super::entry::{self, BadEntry, Entry, MAX_ENTRY_EVENTS};
use super::keys::Keys;
use crate::protocol::Event;
use crate::protocol::wire::MessageKind;

/// One range query's answer: entries, each its id and fields.
type RangeReply = Vec<(String, Vec<Vec<u8>>)>;

/// How many entries one `XREVRANGE` of [`read_back`] asks for.
const ENTRIES_PER_READ: usize = 64;

/// The newest `count` events, oldest first (an unreadable entry is an `Err` in its place).
pub(crate) fn newest(
    conn: &mut Connection,
    keys: &Keys,
    count: usize,
) -> RedisResult<Vec<Result<Entry, BadEntry>>> {
    let mut events = read_back(conn, keys, "+", "-", count, |_| true)?;
    let good = events.iter().filter(|event| event.is_ok()).count();
    // The oldest entry read may hold older events than were asked for.
    let mut extra = good.saturating_sub(count);
    events.retain(|event| {
        let drop = extra > 0 && event.is_ok();
        extra -= usize::from(drop);
        !drop
    });
    Ok(events)
}

/// The messages (`say` and `me`) of a `since` gap: those numbered in `(after, through]`, oldest
/// first, of at most the `limit` newest events of the gap, and how many seq numbers of the gap
/// were not read (beyond `limit`, or trimmed from the stream already): what the newcomer is told
/// it missed. Unreadable entries are skipped.
pub(crate) fn gap(
    conn: &mut Connection,
    keys: &Keys,
    after: u64,
    through: u64,
    limit: usize,
) -> RedisResult<(Vec<Event>, u64)> {
    if through <= after {
        return Ok((Vec::new(), 0));
    }
    // The entries holding any of the gap: those ending after `after`, up to the one holding
    // `through` (which ends at most an entry's worth later).
    let newest = through.saturating_add(MAX_ENTRY_EVENTS - 1).to_string();
    let oldest = format!("({after}-{MAX_ENTRY_EVENTS}");
    let in_gap = |entry: &Entry| entry.seq > after && entry.seq <= through;
    let read = read_back(conn, keys, &newest, &oldest, limit, in_gap)?;
    let mut entries: Vec<Entry> = read
        .into_iter()
        .flatten()
        .filter(|entry| in_gap(entry))
        .collect();
    entries.drain(..entries.len().saturating_sub(limit));
    let oldest = entries.first().map_or(through + 1, |entry| entry.seq);
    let messages = entries
        .into_iter()
        .map(|entry| entry.event)
        .filter(|event| {
            matches!(
                event,
                Event::Message {
                    kind: MessageKind::Say | MessageKind::Me,
                    ..
                }
            )
        })
        .collect();
    Ok((messages, oldest.saturating_sub(after + 1)))
}

/// The events of the entries with ids from `newest` back to `oldest` (`XREVRANGE` bounds),
/// oldest first, read from the newest back until `count` of them are `wanted` (or none are
/// left).
fn read_back(
    conn: &mut Connection,
    keys: &Keys,
    newest: &str,
    oldest: &str,
    count: usize,
    wanted: impl Fn(&Entry) -> bool,
) -> RedisResult<Vec<Result<Entry, BadEntry>>> {
    let mut batches = Vec::new();
    let (mut found, mut end) = (0, newest.to_string());
    while found < count {
        // No more entries than events still wanted (each holds at least one): a host started
        // with `--history 0` reads one entry, not 64 of up to 1,024 events.
        let asked = ENTRIES_PER_READ.min(count - found);
        let entries: RangeReply = redis::cmd("XREVRANGE")
            .arg(keys.events())
            .arg(&end)
            .arg(oldest)
            .arg("COUNT")
            .arg(asked)
            .query(conn)?;
        let Some((last_read, _)) = entries.last() else {
            break;
        };
        end = format!("({last_read}");
        let exhausted = entries.len() < asked;
        for (id, fields) in &entries {
            let events = entry::decode(id, fields);
            found += events
                .iter()
                .filter(|event| event.as_ref().is_ok_and(&wanted))
                .count();
            batches.push(events);
            if found >= count {
                break;
            }
        }
        if exhausted {
            break;
        }
    }
    Ok(batches.into_iter().rev().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::super::append::{Appender, Outgoing};
    use super::super::host_id::HostId;
    use super::super::test_redis::TestRedis;
    use super::*;
    use crate::protocol::wire::LeaveReason;
    use crate::protocol::{Event, Timestamp};

    fn seqs(entries: Vec<Result<Entry, BadEntry>>) -> Vec<u64> {
        entries.into_iter().map(|e| e.unwrap().seq).collect()
    }

    #[test]
    fn newest_and_a_gap_read_the_right_slice() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let keys = Keys::new("test").unwrap();
        let mut conn = redis.conn();
        // Odd seqs are messages, even ones leaves (not part of a gap's replay).
        let batch: Vec<Outgoing> = (1..=10)
            .map(|mid| Outgoing {
                mid,
                event: entry::event_json(&match mid % 2 {
                    1 => Event::Message {
                        seq: 0,
                        ts: Timestamp::now(),
                        from: "ana".into(),
                        kind: MessageKind::Say,
                        to: None,
                        text: format!("m{mid}"),
                        history: false,
                    },
                    _ => Event::Leave {
                        seq: 0,
                        ts: Timestamp::now(),
                        nick: "ana".into(),
                        reason: LeaveReason::Quit,
                    },
                }),
            })
            .collect();
        let host = HostId::random();
        Appender::new(keys.clone(), host.clone(), 1000)
            .append(&mut conn, &batch)
            .unwrap();
        assert_eq!(seqs(newest(&mut conn, &keys, 3).unwrap()), [8, 9, 10]);
        let texts = |(events, left_out): (Vec<Event>, u64)| {
            let texts: Vec<String> = events
                .into_iter()
                .map(|event| match event {
                    Event::Message { text, .. } => text,
                    other => panic!("not a message: {other:?}"),
                })
                .collect();
            (texts, left_out)
        };
        let mut gap =
            |after, through, limit| texts(gap(&mut conn, &keys, after, through, limit).unwrap());
        assert_eq!(
            gap(4, 9, 100),
            (vec!["m5".into(), "m7".into(), "m9".into()], 0)
        );
        // The newest entries of the gap; the older seqs are counted as not read.
        assert_eq!(gap(0, 10, 4), (vec!["m7".into(), "m9".into()], 6));
        assert_eq!(gap(10, 10, 5), (Vec::new(), 0));
        // Entries trimmed from the stream (or never there) are missed.
        assert_eq!(gap(10, 14, 5), (Vec::new(), 4));
        // Another entry: a gap across the two, and one inside the older.
        let more: Vec<Outgoing> = batch[..2]
            .iter()
            .zip(11..)
            .map(|(outgoing, mid)| Outgoing {
                mid,
                event: outgoing.event.replace("\"m1\"", &format!("\"m{mid}\"")),
            })
            .collect();
        Appender::new(keys.clone(), host, 1000)
            .append(&mut conn, &more)
            .unwrap();
        let mut gap = |after, through, limit| {
            texts(super::gap(&mut conn, &keys, after, through, limit).unwrap())
        };
        assert_eq!(gap(8, 12, 100), (vec!["m9".into(), "m11".into()], 0));
        assert_eq!(gap(1, 3, 100), (vec!["m3".into()], 0));
        assert_eq!(seqs(newest(&mut conn, &keys, 3).unwrap()), [10, 11, 12]);
        assert!(
            newest(&mut conn, &Keys::new("empty").unwrap(), 5)
                .unwrap()
                .is_empty()
        );
    }
}
