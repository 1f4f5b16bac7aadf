//! The writer thread: the only one that writes to the store.
//!
//! The room sends it a [`Batch`] (everything it numbered since the last one) over a bounded
//! crossbeam channel and goes on with its work; the writer takes whatever batches are waiting,
//! writes them in one transaction (a group commit: one sync to disk however many messages) and
//! reports back the last sequence number now on disk ([`Commit::Durable`]), which is when the
//! room lets those messages out and acknowledges them. Between commits it adds the committed
//! messages to the full-text index (`index.rs`) and deletes what retention no longer keeps, a
//! small batch at a time, in transactions of their own that sync lazily (`synchronous=NORMAL`:
//! the next commit's sync carries them to the disk; one lost to a power cut is simply done
//! again), so this work never costs the room a disk sync of its own.

use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};
use rusqlite::Connection;

use super::index;
use super::record::{Record, mid_column, millis, seq_column};
use super::retention::{self, Retention};

/// Batches that may wait for the writer. The room sends its next batch only once the last one
/// is committed, so one would do; the rest is slack.
pub(crate) const BATCH_BACKLOG: usize = 4;

/// What the room hands the writer: the messages it numbered since its last batch, and the last
/// sequence number it handed out (to a message or not: joins and renames are numbered too).
#[derive(Debug, Default)]
pub(crate) struct Batch {
    pub(crate) records: Vec<Record>,
    pub(crate) last_seq: u64,
}

/// What the writer tells the room.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Commit {
    /// Everything numbered up to here is on disk.
    Durable(u64),
    /// The store cannot be written (why, in words); the writer has stopped.
    Failed(String),
}

/// The writer's state: its connection, and what retention needs to know.
pub(crate) struct Writer {
    conn: Connection,
    retention: Retention,
    /// Messages in the store, kept count of so the count limit costs no query.
    stored: u64,
    /// Retention may have something to delete: pruning goes on between commits until a batch
    /// comes up short.
    pruning: bool,
    /// When to look for messages grown too old next (with `--retain-days`).
    next_age_check: Option<Instant>,
    /// The last message in the full-text index.
    indexed: u64,
    /// The last message committed (at start: the last one stored).
    committed: u64,
}

impl Writer {
    pub(crate) fn new(
        conn: Connection,
        retention: Retention,
        stored: u64,
        indexed: u64,
        committed: u64,
    ) -> Self {
        Writer {
            conn,
            retention,
            stored,
            // Opening with a new limit may leave a backlog.
            pruning: !retention.keeps_all(),
            next_age_check: retention
                .days
                .map(|_| Instant::now() + retention::AGE_CHECK_EVERY),
            indexed,
            committed,
        }
    }

    /// Commits batches from `batches` until the room lets go of the channel, reporting each
    /// commit on `commits`.
    pub(crate) fn run(mut self, batches: &Receiver<Batch>, commits: &Sender<Commit>) {
        loop {
            let wait = self.idle_wait();
            let first = match batches.recv_timeout(wait) {
                Ok(batch) => batch,
                Err(RecvTimeoutError::Timeout) => {
                    if let Err(e) = self.background_step() {
                        let _ = commits.send(Commit::Failed(describe(&self.conn, &e)));
                        return;
                    }
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return,
            };
            let mut batch = first;
            for more in batches.try_iter() {
                batch.records.extend(more.records);
                batch.last_seq = batch.last_seq.max(more.last_seq);
            }
            let report = match self.commit(&batch) {
                Ok(()) => Commit::Durable(batch.last_seq),
                Err(e) => Commit::Failed(describe(&self.conn, &e)),
            };
            let failed = matches!(report, Commit::Failed(_));
            if commits.send(report).is_err() || failed {
                return;
            }
        }
    }

    /// How long to wait for a batch before doing the index's or retention's work instead.
    fn idle_wait(&self) -> Duration {
        if self.pruning || self.indexed < self.committed {
            return Duration::ZERO;
        }
        match self.next_age_check {
            Some(at) => at.saturating_duration_since(Instant::now()),
            // Nothing to do but wait; woken by a batch or by the room letting go.
            None => Duration::from_secs(3600),
        }
    }

    /// Writes a batch in one transaction.
    fn commit(&mut self, batch: &Batch) -> rusqlite::Result<()> {
        let tx = self.conn.transaction()?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO messages (seq, time, sender, kind, text, cid, mid)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )?;
            for record in &batch.records {
                insert.execute(rusqlite::params![
                    seq_column(record.seq),
                    millis(&record.ts),
                    record.from,
                    record.kind_column(),
                    record.text,
                    record.key.as_ref().map(|key| &key.cid),
                    record.key.as_ref().map(|key| mid_column(key.mid)),
                ])?;
            }
            tx.prepare_cached("UPDATE room SET last_seq = max(last_seq, ?1) WHERE id = 1")?
                .execute([seq_column(batch.last_seq)])?;
        }
        tx.commit()?;
        self.stored += batch.records.len() as u64;
        if let Some(last) = batch.records.last() {
            self.committed = self.committed.max(last.seq);
        }
        if self.retention.excess(self.stored) > 0 {
            self.pruning = true;
        }
        Ok(())
    }

    /// One batch of the work done between commits: indexing first (a message should be
    /// searchable soon), then retention. Lazily synced (see the module docs).
    fn background_step(&mut self) -> rusqlite::Result<()> {
        self.conn.pragma_update(None, "synchronous", "NORMAL")?;
        let done = if self.indexed < self.committed {
            index::index_next(&mut self.conn, self.indexed).map(|through| {
                // Nothing left after it (say, a message since deleted): caught up.
                self.indexed = if through == self.indexed {
                    self.committed
                } else {
                    through
                };
            })
        } else {
            self.prune_step()
        };
        self.conn.pragma_update(None, "synchronous", "FULL")?;
        done
    }

    /// One batch of retention's deletions, when any are due.
    fn prune_step(&mut self) -> rusqlite::Result<()> {
        if self.next_age_check.is_some_and(|at| at <= Instant::now()) {
            self.pruning = true;
            self.next_age_check = Some(Instant::now() + retention::AGE_CHECK_EVERY);
        }
        if !self.pruning {
            return Ok(());
        }
        let now = chrono::Utc::now().timestamp_millis();
        let deleted = retention::prune(
            &mut self.conn,
            &self.retention,
            self.stored,
            now,
            self.indexed,
        )?;
        self.stored = self.stored.saturating_sub(deleted);
        self.pruning = deleted == retention::BATCH;
        Ok(())
    }
}

/// A store error in words: SQLite's, and for a read or write that failed, the system's reason
/// (SQLite's `disk I/O error` alone says neither that the disk is full, nor that a file grew
/// past the size allowed, nor that the disk itself failed).
pub(crate) fn describe(conn: &Connection, e: &rusqlite::Error) -> String {
    use rusqlite::ErrorCode::{CannotOpen, DiskFull, SystemIoFailure};
    let system = matches!(
        e.sqlite_error_code(),
        Some(SystemIoFailure | DiskFull | CannotOpen)
    );
    // SAFETY: the handle is `conn`'s own and valid while it lives; sqlite3_system_errno only
    // reads the error number the connection's last failed system call left.
    let errno = if system {
        unsafe { rusqlite::ffi::sqlite3_system_errno(conn.handle()) }
    } else {
        0
    };
    match errno {
        0 => e.to_string(),
        n => format!(
            "{e}: {}",
            crate::error::describe_io(&std::io::Error::from_raw_os_error(n))
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn writer(retention: Retention) -> Writer {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::schema::migrate(&mut conn).unwrap();
        Writer::new(conn, retention, 0, 0, 0)
    }

    fn count(writer: &Writer) -> i64 {
        writer
            .conn
            .query_row("SELECT count(*) FROM messages", [], |r| r.get(0))
            .unwrap()
    }

    #[test]
    fn batches_waiting_together_are_one_commit_reported_once() {
        let (batch_tx, batch_rx) = crossbeam_channel::bounded(BATCH_BACKLOG);
        let (commit_tx, commit_rx) = crossbeam_channel::unbounded();
        batch_tx
            .send(Batch {
                records: vec![Record::sample(1), Record::sample(2)],
                last_seq: 3,
            })
            .unwrap();
        batch_tx
            .send(Batch {
                records: vec![Record::sample(4)],
                last_seq: 5,
            })
            .unwrap();
        drop(batch_tx);
        let w = writer(Retention::default());
        w.run(&batch_rx, &commit_tx);
        assert_eq!(
            commit_rx.try_iter().collect::<Vec<_>>(),
            [Commit::Durable(5)]
        );
    }

    #[test]
    fn a_seq_taken_twice_is_a_failure_not_a_second_row() {
        let mut w = writer(Retention::default());
        let batch = Batch {
            records: vec![Record::sample(1)],
            last_seq: 1,
        };
        w.commit(&batch).unwrap();
        assert!(w.commit(&batch).is_err());
        assert_eq!(count(&w), 1);
    }

    #[test]
    fn the_count_limit_is_kept_between_commits() {
        let mut w = writer(Retention {
            messages: Some(2),
            days: None,
        });
        w.commit(&Batch {
            records: (1..=5).map(Record::sample).collect(),
            last_seq: 5,
        })
        .unwrap();
        assert!(w.pruning);
        assert_eq!(w.idle_wait(), Duration::ZERO);
        // Indexed first: only indexed messages may go.
        w.background_step().unwrap();
        assert_eq!(w.indexed, 5);
        assert_eq!(count(&w), 5);
        w.background_step().unwrap();
        assert_eq!(count(&w), 2);
        assert!(!w.pruning);
        assert_eq!(w.stored, 2);
    }
}
