//! Reading the room's past from its stream: the newest events (the history a newcomer is shown)
//! and the events after a `since` (the gap a returning client missed). The stream id being
//! `<seq>-1`, "after `since`" is a range query, `XRANGE (<since>-1 +`, with no lookup table.
//!
//! How far back this reaches is how much the stream keeps: appends trim it to about their cap
//! (`MAXLEN ~`).

use redis::{Connection, RedisResult};

use super::entry::{self, BadEntry, Entry};
use super::keys::Keys;
use crate::protocol::Event;
use crate::protocol::wire::MessageKind;

/// One range query's answer: entries, each its id and fields.
type RangeReply = Vec<(String, Vec<Vec<u8>>)>;

/// The newest `count` events, oldest first.
pub(crate) fn newest(
    conn: &mut Connection,
    keys: &Keys,
    count: usize,
) -> RedisResult<Vec<Result<Entry, BadEntry>>> {
    let mut entries: RangeReply = redis::cmd("XREVRANGE")
        .arg(keys.events())
        .arg("+")
        .arg("-")
        .arg("COUNT")
        .arg(count)
        .query(conn)?;
    entries.reverse();
    Ok(decode(&entries))
}

/// The messages (`say` and `me`) of a `since` gap: those numbered in `(after, through]`, oldest
/// first, read from the newest back through at most `limit` entries, and how many seq numbers
/// of the gap were not read (beyond `limit`, or trimmed from the stream already): what the
/// newcomer is told it missed. Unreadable entries are skipped.
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
    let mut entries: RangeReply = redis::cmd("XREVRANGE")
        .arg(keys.events())
        .arg(format!("{through}-1"))
        .arg(format!("({after}-1"))
        .arg("COUNT")
        .arg(limit)
        .query(conn)?;
    entries.reverse();
    let entries: Vec<Entry> = decode(&entries).into_iter().flatten().collect();
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

fn decode(entries: &RangeReply) -> Vec<Result<Entry, BadEntry>> {
    entries
        .iter()
        .map(|(id, fields)| entry::decode(id, fields))
        .collect()
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
        Appender::new(keys.clone(), HostId::random(), 1000)
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
        assert!(
            newest(&mut conn, &Keys::new("empty").unwrap(), 5)
                .unwrap()
                .is_empty()
        );
    }
}
