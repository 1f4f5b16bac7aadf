//! Reading the room's past from its stream: the newest events (the history a newcomer is shown)
//! and the events after a `since` (the gap a returning client missed). The stream id being
//! `<seq>-1`, "after `since`" is a range query, `XRANGE (<since>-1 +`, with no lookup table.
//!
//! How far back this reaches is how much the stream keeps: appends trim it to about their cap
//! (`MAXLEN ~`).

use redis::{Connection, RedisResult};

use super::entry::{self, BadEntry, Entry};
use super::keys::Keys;

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

/// At most `count` events after `since`, oldest first.
pub(crate) fn after(
    conn: &mut Connection,
    keys: &Keys,
    since: u64,
    count: usize,
) -> RedisResult<Vec<Result<Entry, BadEntry>>> {
    let entries: RangeReply = redis::cmd("XRANGE")
        .arg(keys.events())
        .arg(format!("({since}-1"))
        .arg("+")
        .arg("COUNT")
        .arg(count)
        .query(conn)?;
    Ok(decode(&entries))
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
    fn newest_and_after_since_read_the_right_slice() {
        let Some(redis) = TestRedis::start() else {
            return;
        };
        let keys = Keys::new("test").unwrap();
        let mut conn = redis.conn();
        let event = entry::event_json(&Event::Leave {
            seq: 0,
            ts: Timestamp::now(),
            nick: "ana".into(),
            reason: LeaveReason::Quit,
        });
        let batch: Vec<Outgoing> = (1..=10)
            .map(|mid| Outgoing {
                mid,
                event: event.clone(),
            })
            .collect();
        Appender::new(keys.clone(), HostId::random(), 1000)
            .append(&mut conn, &batch)
            .unwrap();
        assert_eq!(seqs(newest(&mut conn, &keys, 3).unwrap()), [8, 9, 10]);
        assert_eq!(
            seqs(after(&mut conn, &keys, 6, 100).unwrap()),
            [7, 8, 9, 10]
        );
        assert_eq!(seqs(after(&mut conn, &keys, 0, 2).unwrap()), [1, 2]);
        assert!(after(&mut conn, &keys, 10, 5).unwrap().is_empty());
        assert!(
            newest(&mut conn, &Keys::new("empty").unwrap(), 5)
                .unwrap()
                .is_empty()
        );
    }
}
