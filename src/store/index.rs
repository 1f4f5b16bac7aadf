//! Keeping the full-text index in step with the stored messages, after their commit.
//!
//! FTS5 costs about ten times what storing a message does (tokenizing, and merging its index
//! segments), so it has no place in the commit an ack waits for. The writer indexes the committed
//! messages in order, a small batch at a time between commits, and records how far it got in the
//! same transaction (`room.indexed_through`): a crash loses nothing, the next start simply goes
//! on from there. A message is searchable moments after it is acknowledged; a busy room's
//! indexing waits for its commits and catches up when they slow.

use rusqlite::Connection;

use super::record::seq_column;

/// Messages indexed in one transaction: a few milliseconds of work, so a commit waiting behind
/// it is not held up for long.
pub(crate) const BATCH: u64 = 256;

/// The last message in the index.
pub(crate) fn indexed_through(conn: &Connection) -> rusqlite::Result<u64> {
    let seq: i64 = conn.query_row("SELECT indexed_through FROM room WHERE id = 1", [], |row| {
        row.get(0)
    })?;
    Ok(u64::try_from(seq).unwrap_or(0))
}

/// Indexes up to [`BATCH`] of the messages after `after`, in order, in one transaction; returns
/// the last one indexed (`after` when there were none).
pub(crate) fn index_next(conn: &mut Connection, after: u64) -> rusqlite::Result<u64> {
    let tx = conn.transaction()?;
    let last: Option<i64> = tx.query_row(
        "SELECT max(seq) FROM (SELECT seq FROM messages WHERE seq > ?1 ORDER BY seq LIMIT ?2)",
        rusqlite::params![seq_column(after), BATCH as i64],
        |row| row.get(0),
    )?;
    let Some(last) = last else {
        return Ok(after);
    };
    tx.execute(
        "INSERT INTO messages_fts (rowid, text)
             SELECT seq, text FROM messages WHERE seq > ?1 AND seq <= ?2 ORDER BY seq",
        rusqlite::params![seq_column(after), last],
    )?;
    tx.execute("UPDATE room SET indexed_through = ?1 WHERE id = 1", [last])?;
    tx.commit()?;
    Ok(u64::try_from(last).unwrap_or(after))
}

/// Indexes everything not indexed yet (tests, and stores small enough not to care).
#[cfg(test)]
pub(crate) fn index_all(conn: &mut Connection) -> rusqlite::Result<u64> {
    let mut through = indexed_through(conn)?;
    loop {
        let next = index_next(conn, through)?;
        if next == through {
            return Ok(through);
        }
        through = next;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_are_indexed_in_order_a_batch_at_a_time_and_remembered() {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::schema::migrate(&mut conn).unwrap();
        for seq in 1..=300 {
            conn.execute(
                "INSERT INTO messages (seq, time, sender, kind, text) VALUES (?1, 0, 'a', 'message', 'word')",
                [seq],
            )
            .unwrap();
        }
        assert_eq!(index_next(&mut conn, 0).unwrap(), BATCH);
        assert_eq!(indexed_through(&conn).unwrap(), BATCH);
        assert_eq!(index_next(&mut conn, BATCH).unwrap(), 300);
        assert_eq!(index_next(&mut conn, 300).unwrap(), 300);
        let hits: i64 = conn
            .query_row(
                "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'word'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(hits, 300);
    }
}
