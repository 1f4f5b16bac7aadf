//! Reading back a gap: the stored messages a client coming back (`since` in its hello) missed,
//! when they are older than what the room holds in memory (its `--history`).
//!
//! Like searches, reads run on a thread of their own with their own read-only connection, so the
//! room never waits on the disk: it hands the read over a short bounded channel, holds the
//! newcomer meanwhile, and admits it when the messages come back. A gap may end in messages the
//! room numbered moments ago and has not committed yet (a room with little or no history forgets
//! them as it numbers them): a read first waits, briefly, for the store to hold its last one.

use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use rusqlite::Connection;

use super::record::{COLUMNS, Record, seq_column};
use crate::protocol::Event;

/// Reads that may wait for the thread; one more is replayed from memory alone (its older
/// messages counted as missed).
pub(crate) const GAP_BACKLOG: usize = 16;

/// The most messages one read returns: the newest of the gap (a replay takes at most 1 MiB, so
/// more could not be sent anyway). The rest are counted as missed.
pub(crate) const MAX_GAP_MESSAGES: usize = 10_000;

/// How long a read waits for the store to commit the gap's last message; after that it reads
/// what is there.
const COMMIT_WAIT: Duration = Duration::from_secs(2);

/// How often a waiting read looks at how far the store got.
const COMMIT_POLL: Duration = Duration::from_millis(2);

/// A gap to read: the stored messages numbered after `after`, up to and including `through`,
/// with `tag` saying who it is for (the room's business, carried back untouched).
pub(crate) struct GapRead<T> {
    pub(crate) tag: T,
    pub(crate) after: u64,
    pub(crate) through: u64,
}

/// A read gap: its messages (as the events they were), oldest first, and how many of the gap's
/// messages were left out ([`MAX_GAP_MESSAGES`], or no longer kept), or what went wrong, in
/// words. (A room shared through Redis reads its gaps from the room's stream in the same shape:
/// `bridge/gap.rs`.)
pub(crate) struct GapFilled<T> {
    pub(crate) tag: T,
    pub(crate) through: u64,
    pub(crate) read: Result<(Vec<Event>, u64), String>,
}

/// The gap thread's loop: reads gaps until the room lets go of the channel.
pub(crate) fn serve<T>(
    conn: &Connection,
    reads: &Receiver<GapRead<T>>,
    filled: &Sender<GapFilled<T>>,
) {
    answer_reads(reads, filled, |after, through| {
        wait_for_commit(conn, through)
            .and_then(|()| read_gap(conn, after, through, MAX_GAP_MESSAGES))
            .map(|(records, left_out)| (records.iter().map(Record::to_event).collect(), left_out))
            .map_err(|e| e.to_string())
    });
}

/// Answers each read with what `read` finds in `(after, through]`, until the room lets go of
/// the channel (or of the answers'): the loop of every thread that reads gaps, the store's and
/// a shared room's (`bridge/gaps.rs`).
pub(crate) fn answer_reads<T>(
    reads: &Receiver<GapRead<T>>,
    filled: &Sender<GapFilled<T>>,
    mut read: impl FnMut(u64, u64) -> Result<(Vec<Event>, u64), String>,
) {
    for asked in reads {
        let answer = GapFilled {
            read: read(asked.after, asked.through),
            tag: asked.tag,
            through: asked.through,
        };
        if filled.send(answer).is_err() {
            return;
        }
    }
}

/// The stored messages numbered in `(after, through]`, oldest first: the newest `limit` of them,
/// and how many older ones were left out.
pub(crate) fn read_gap(
    conn: &Connection,
    after: u64,
    through: u64,
    limit: usize,
) -> rusqlite::Result<(Vec<Record>, u64)> {
    let range = [seq_column(after), seq_column(through)];
    let mut stmt = conn.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM messages WHERE seq > ?1 AND seq <= ?2 ORDER BY seq DESC LIMIT ?3"
    ))?;
    let limit_column = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut records: Vec<Record> = stmt
        .query_map(
            rusqlite::params![range[0], range[1], limit_column],
            Record::from_row,
        )?
        .collect::<rusqlite::Result<_>>()?;
    records.reverse();
    let left_out = if records.len() < limit {
        0
    } else {
        let total: i64 = conn.query_row(
            "SELECT count(*) FROM messages WHERE seq > ?1 AND seq <= ?2",
            range,
            |row| row.get(0),
        )?;
        u64::try_from(total)
            .unwrap_or(0)
            .saturating_sub(records.len() as u64)
    };
    Ok((records, left_out))
}

/// Waits (at most [`COMMIT_WAIT`]) until the store has committed the room's numbers through
/// `seq`.
fn wait_for_commit(conn: &Connection, seq: u64) -> rusqlite::Result<()> {
    let deadline = Instant::now() + COMMIT_WAIT;
    loop {
        let last: i64 = conn.query_row("SELECT last_seq FROM room WHERE id = 1", [], |row| {
            row.get(0)
        })?;
        if last >= seq_column(seq) || Instant::now() >= deadline {
            return Ok(());
        }
        std::thread::sleep(COMMIT_POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Batch, Commit, Options, Retention, open};

    /// A store holding messages 1..=10 but 4 (a join took it).
    fn stored() -> (tempfile::TempDir, Connection) {
        let dir = tempfile::tempdir().unwrap();
        let store = open::<(), ()>(&Options {
            dir: dir.path().to_path_buf(),
            retention: Retention::default(),
            recent: 0,
            keys: 0,
        })
        .unwrap();
        let records = (1..=10).filter(|&s| s != 4).map(Record::sample).collect();
        store
            .links
            .batches
            .send(Batch {
                records,
                last_seq: 10,
            })
            .unwrap();
        assert_eq!(store.links.commits.recv().unwrap(), Commit::Durable(10));
        drop(store.links);
        for thread in store.threads {
            thread.join().unwrap();
        }
        let conn = Connection::open(dir.path().join(crate::store::FILE_NAME)).unwrap();
        (dir, conn)
    }

    fn seqs(records: &[Record]) -> Vec<u64> {
        records.iter().map(|r| r.seq).collect()
    }

    #[test]
    fn a_gap_is_read_oldest_first_within_its_bounds() {
        let (_dir, conn) = stored();
        let (records, left_out) = read_gap(&conn, 2, 7, 100).unwrap();
        assert_eq!(seqs(&records), [3, 5, 6, 7]);
        assert_eq!(left_out, 0);
        assert_eq!(records[0].text, "line 3");
    }

    #[test]
    fn a_long_gap_keeps_its_newest_and_counts_the_rest() {
        let (_dir, conn) = stored();
        let (records, left_out) = read_gap(&conn, 0, 10, 3).unwrap();
        assert_eq!(seqs(&records), [8, 9, 10]);
        // 1, 2, 3, 5, 6, 7: six stored messages left out.
        assert_eq!(left_out, 6);
    }

    #[test]
    fn an_empty_gap_is_no_error() {
        let (_dir, conn) = stored();
        let (records, left_out) = read_gap(&conn, 10, 10, 3).unwrap();
        assert!(records.is_empty());
        assert_eq!(left_out, 0);
    }
}
