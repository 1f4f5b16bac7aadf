//! Retention: which stored messages are old enough to go (`--retain-messages`,
//! `--retain-days`), deleted by the writer thread a small batch at a time.
//!
//! Each batch is a transaction of its own between the room's commits, so pruning a big backlog
//! (a store opened with a new, smaller limit) never holds a commit up by more than one batch.

use std::time::Duration;

use rusqlite::Connection;

/// Messages deleted in one transaction: a few milliseconds of work.
pub(crate) const BATCH: u64 = 500;

/// How often the writer looks for messages that have grown too old, when nothing else asks it
/// to (a quiet room's messages age all the same).
pub(crate) const AGE_CHECK_EVERY: Duration = Duration::from_secs(60);

const MILLIS_PER_DAY: i64 = 24 * 60 * 60 * 1000;

/// How much of the room the store keeps; `None` for no limit of that kind.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Retention {
    /// Keep at most this many messages (the newest).
    pub messages: Option<u64>,
    /// Keep messages at most this many days old.
    pub days: Option<u32>,
}

impl Retention {
    /// True when the store keeps everything.
    pub(crate) fn keeps_all(&self) -> bool {
        self.messages.is_none() && self.days.is_none()
    }

    /// Messages sent before this time (milliseconds since 1970, UTC) have grown too old, at
    /// `now` (the same).
    pub(crate) fn oldest_kept(&self, now: i64) -> Option<i64> {
        self.days
            .map(|days| now.saturating_sub(i64::from(days).saturating_mul(MILLIS_PER_DAY)))
    }

    /// How many of `stored` messages are over the count limit.
    pub(crate) fn excess(&self, stored: u64) -> u64 {
        self.messages.map_or(0, |keep| stored.saturating_sub(keep))
    }
}

/// Deletes at most [`BATCH`] messages that `retention` no longer keeps, given that the store
/// holds `stored` messages, at `now` (milliseconds since 1970, UTC); the oldest go first, and
/// only those already in the full-text index (through `indexed`: taking a message out of the
/// index that was never put in would corrupt it). Returns how many were deleted: fewer than
/// [`BATCH`] means nothing more is due for now.
pub(crate) fn prune(
    conn: &mut Connection,
    retention: &Retention,
    stored: u64,
    now: i64,
    indexed: u64,
) -> rusqlite::Result<u64> {
    let indexed = super::record::seq_column(indexed);
    let tx = conn.transaction()?;
    let mut deleted = 0;
    if let Some(oldest) = retention.oldest_kept(now) {
        // By the time index: finding nothing to delete costs one index probe.
        deleted += tx.execute(
            "DELETE FROM messages WHERE seq IN
                 (SELECT seq FROM messages WHERE time < ?1 AND seq <= ?3 LIMIT ?2)",
            rusqlite::params![oldest, BATCH as i64, indexed],
        )? as u64;
    }
    let excess = retention.excess(stored.saturating_sub(deleted));
    let room_left = BATCH - deleted;
    if excess > 0 && room_left > 0 {
        deleted += tx.execute(
            "DELETE FROM messages WHERE seq IN
                 (SELECT seq FROM messages WHERE seq <= ?2 ORDER BY seq LIMIT ?1)",
            rusqlite::params![excess.min(room_left) as i64, indexed],
        )? as u64;
    }
    tx.commit()?;
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_say_what_is_too_much_and_too_old() {
        let none = Retention::default();
        assert!(none.keeps_all());
        assert_eq!(none.excess(10), 0);
        assert_eq!(none.oldest_kept(1_000), None);
        let some = Retention {
            messages: Some(3),
            days: Some(2),
        };
        assert_eq!(some.excess(10), 7);
        assert_eq!(some.excess(2), 0);
        assert_eq!(
            some.oldest_kept(5 * MILLIS_PER_DAY),
            Some(3 * MILLIS_PER_DAY)
        );
    }

    fn store_with(times: &[i64]) -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::schema::migrate(&mut conn).unwrap();
        for (i, time) in times.iter().enumerate() {
            conn.execute(
                "INSERT INTO messages (seq, time, sender, kind, text) VALUES (?1, ?2, 'a', 'message', 'x')",
                rusqlite::params![i as i64 + 1, time],
            )
            .unwrap();
        }
        super::super::index::index_all(&mut conn).unwrap();
        conn
    }

    fn seqs(conn: &Connection) -> Vec<i64> {
        let mut stmt = conn
            .prepare("SELECT seq FROM messages ORDER BY seq")
            .unwrap();
        stmt.query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect()
    }

    #[test]
    fn the_oldest_go_first_a_batch_at_a_time() {
        let mut conn = store_with(&vec![0; 1_200]);
        let keep = Retention {
            messages: Some(100),
            days: None,
        };
        assert_eq!(prune(&mut conn, &keep, 1_200, 0, u64::MAX).unwrap(), BATCH);
        assert_eq!(prune(&mut conn, &keep, 700, 0, u64::MAX).unwrap(), BATCH);
        assert_eq!(prune(&mut conn, &keep, 200, 0, u64::MAX).unwrap(), 100);
        assert_eq!(seqs(&conn), (1_101..=1_200).collect::<Vec<_>>());
    }

    #[test]
    fn messages_older_than_the_days_kept_go() {
        let now = 10 * MILLIS_PER_DAY;
        let mut conn = store_with(&[0, MILLIS_PER_DAY, 9 * MILLIS_PER_DAY, now]);
        let keep = Retention {
            messages: None,
            days: Some(2),
        };
        assert_eq!(prune(&mut conn, &keep, 4, now, u64::MAX).unwrap(), 2);
        assert_eq!(seqs(&conn), vec![3, 4]);
        assert_eq!(prune(&mut conn, &keep, 2, now, u64::MAX).unwrap(), 0);
    }

    #[test]
    fn messages_not_indexed_yet_wait() {
        let mut conn = store_with(&[0, 0, 0]);
        conn.execute(
            "INSERT INTO messages (seq, time, sender, kind, text) VALUES (4, 0, 'a', 'message', 'x')",
            [],
        )
        .unwrap();
        let keep = Retention {
            messages: Some(0),
            days: None,
        };
        assert_eq!(prune(&mut conn, &keep, 4, 0, 3).unwrap(), 3);
        assert_eq!(seqs(&conn), vec![4]);
    }
}
