//! The durable room (`host --store`): the room's public messages in an SQLite database in the
//! data directory, so that they and the room's sequence survive a restart, and can be searched.
//!
//! # Layout
//! - `schema`: the tables and their numbered migrations (a version table from the first day).
//! - `record`: one stored message, and its row.
//! - `writer`: the thread that alone writes: group commits, reporting what is on disk.
//! - `index`: the full-text index, kept in step by the writer after each commit.
//! - `retention`: `--retain-messages` and `--retain-days`, pruned by the writer in small batches.
//! - `search`: full-text search with FTS5, on a thread and connection of its own.
//! - `gap`: reading back what a client coming back missed, on a thread and connection of its own.
//! - `lock`: one host per store.
//!
//! # Durability
//! The database runs in WAL mode with `synchronous=FULL`: a commit returns only once the
//! write-ahead log is synced to the disk, so what the writer reports as durable survives a
//! `kill -9` of the host *and* a power cut or kernel crash. (`NORMAL` would survive the first
//! only: in WAL mode it syncs at checkpoints, not at commits.) The price is one sync per commit,
//! which group commits share among every message that arrived meanwhile.
//!
//! # Threads
//! ```text
//!  room --Batch (bounded)--> writer --Commit::Durable(seq)--> room   (acks, broadcasts go out)
//!  room --Job (bounded)----> search --Found-----------------> room   (results to the asker)
//!  room --GapRead (bounded)-> gaps ---GapFilled-------------> room   (a newcomer's missed messages)
//! ```
//! Neither thread ever waits for the room, and the room never waits for them: it selects on
//! their reports with the shards'.

mod gap;
mod index;
mod lock;
mod record;
mod retention;
mod schema;
mod search;
mod writer;

use std::path::{Path, PathBuf};
use std::thread::JoinHandle;
use std::time::Duration;

use crossbeam_channel::{Receiver, Sender};
use rusqlite::{Connection, OpenFlags};

use crate::error::{Error, Result};
use crate::protocol::wire::MessageKey;
use record::{from_mid_column, seq_column};

pub(crate) use gap::{GAP_BACKLOG, GapFilled, GapRead, MAX_GAP_MESSAGES, answer_reads};
pub(crate) use record::Record;
pub use retention::Retention;
pub use search::MAX_RESULTS;
pub(crate) use search::{Found, Job, SEARCH_BACKLOG, fts_query};
pub(crate) use writer::{Batch, Commit};

/// The database's name in the data directory.
pub const FILE_NAME: &str = "room.sqlite3";

/// The lock file's name in the data directory (see `lock.rs`).
const LOCK_NAME: &str = "room.lock";

/// How long opening waits for another program (say, `sqlite3` holding a write) to let go of the
/// database before saying it is locked.
const BUSY_TIMEOUT: Duration = Duration::from_secs(2);

/// What to open: where, what to keep, and how many of the newest messages to load.
#[derive(Debug, Clone)]
pub struct Options {
    /// The data directory; the database is [`FILE_NAME`] in it.
    pub dir: PathBuf,
    pub retention: Retention,
    /// How many of the newest messages to hand the room on opening (its history).
    pub recent: usize,
    /// How many of the newest resend keys to hand the room on opening (its dedupe window).
    pub keys: usize,
}

/// An open store: what the room starts from, and its links to the writer, search and gap
/// threads (`T` tags a search, `G` a gap read).
pub(crate) struct Store<T, G> {
    pub(crate) path: PathBuf,
    /// The last sequence number the room handed out before: it goes on from the next one.
    pub(crate) last_seq: u64,
    /// The newest messages (up to [`Options::recent`]), oldest first.
    pub(crate) recent: Vec<Record>,
    /// How many messages the store holds.
    pub(crate) stored: u64,
    /// The stored messages older than `recent`: how many, and the newest one's seq (0: none).
    pub(crate) older: (u64, u64),
    /// The newest stored message (0: none).
    pub(crate) newest: u64,
    /// The newest messages' resend keys (up to [`Options::keys`]) with their seq, oldest first.
    pub(crate) taken: Vec<(MessageKey, u64)>,
    pub(crate) links: Links<T, G>,
    pub(crate) threads: Vec<JoinHandle<()>>,
}

/// The room's ends of the store's channels.
pub(crate) struct Links<T, G> {
    pub(crate) batches: Sender<Batch>,
    pub(crate) commits: Receiver<Commit>,
    pub(crate) jobs: Sender<Job<T>>,
    pub(crate) found: Receiver<Found<T>>,
    pub(crate) gaps: Sender<GapRead<G>>,
    pub(crate) filled: Receiver<GapFilled<G>>,
}

/// Opens (creating if need be) the store in `options.dir`, brings it up to date, reads what the
/// room starts from and starts the writer, search and gap threads. Every failure is one line
/// saying what to do.
pub(crate) fn open<T: Send + 'static, G: Send + 'static>(options: &Options) -> Result<Store<T, G>> {
    let dir = &options.dir;
    crate::tls::self_signed::create_private_dir(dir).map_err(|e| {
        Error::failure(format!(
            "cannot create the data directory {}: {}",
            dir.display(),
            crate::error::describe_io(&e)
        ))
    })?;
    let path = dir.join(FILE_NAME);
    let lock = lock::take(&dir.join(LOCK_NAME)).map_err(|e| match e {
        lock::LockError::Held => Error::failure(format!(
            "another chatroom host is using the store {} (its lock, {}, is held); stop that host, \
             or give this one another --data-dir",
            path.display(),
            dir.join(LOCK_NAME).display()
        )),
        lock::LockError::Io(e) => Error::failure(format!(
            "cannot lock the store {}: {}",
            path.display(),
            crate::error::describe_io(&e)
        )),
    })?;
    let unusable = |e: &rusqlite::Error| Error::failure(unusable_store(&path, e));
    let mut writing = connect(&path, false).map_err(|e| unusable(&e))?;
    schema::migrate(&mut writing).map_err(|e| match e {
        schema::MigrationError::Newer { found } => Error::failure(format!(
            "the store {} was written by a newer chatroom (schema version {found}; this one \
             knows up to {}): upgrade chatroom, or give another --data-dir",
            path.display(),
            schema::CURRENT
        )),
        schema::MigrationError::Sqlite(e) => unusable(&e),
    })?;
    let start = starting_point(&writing, options.recent).map_err(|e| unusable(&e))?;
    let taken = taken_keys(&writing, options.keys).map_err(|e| unusable(&e))?;
    let reading = connect(&path, true).map_err(|e| unusable(&e))?;
    let reading_gaps = connect(&path, true).map_err(|e| unusable(&e))?;

    let (batch_tx, batch_rx) = crossbeam_channel::bounded(writer::BATCH_BACKLOG);
    // One report per commit, and a commit takes at least one batch: bounded by the batches.
    let (commit_tx, commit_rx) = crossbeam_channel::unbounded();
    let (job_tx, job_rx) = crossbeam_channel::bounded(SEARCH_BACKLOG);
    // One answer per job, and jobs are bounded.
    let (found_tx, found_rx) = crossbeam_channel::unbounded();
    let (gap_tx, gap_rx) = crossbeam_channel::bounded(GAP_BACKLOG);
    // One answer per read, and reads are bounded.
    let (filled_tx, filled_rx) = crossbeam_channel::unbounded();
    let indexed = index::indexed_through(&writing).map_err(|e| unusable(&e))?;
    let newest = start.recent.last().map_or(start.older.1, |r| r.seq);
    let writer = writer::Writer::new(writing, options.retention, start.stored, indexed, newest);
    let threads = vec![
        spawn("store-writer", move || {
            writer.run(&batch_rx, &commit_tx);
            // Only now may another host open the store.
            drop(lock);
        })?,
        spawn("store-search", move || {
            let mut reading = reading;
            search::serve(&mut reading, search::Cap::STANDARD, &job_rx, &found_tx)
        })?,
        spawn("store-gaps", move || {
            gap::serve(&reading_gaps, &gap_rx, &filled_tx)
        })?,
    ];
    Ok(Store {
        path,
        last_seq: start.last_seq,
        recent: start.recent,
        stored: start.stored,
        older: start.older,
        newest,
        taken,
        links: Links {
            batches: batch_tx,
            commits: commit_rx,
            jobs: job_tx,
            found: found_rx,
            gaps: gap_tx,
            filled: filled_rx,
        },
        threads,
    })
}

/// Why the store at `path` cannot be used, and what to do: wait for the program holding it, or
/// set the file aside.
fn unusable_store(path: &Path, e: &rusqlite::Error) -> String {
    let busy = matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    );
    let what_to_do = if busy {
        "another program holds it; close that program and start again"
    } else {
        "move the file aside to start an empty store, or give another --data-dir"
    };
    format!(
        "cannot use the store {}: {e} ({what_to_do})",
        path.display()
    )
}

/// A connection to the store at `path`: the writer's, or a reader's (`read_only`).
fn connect(path: &Path, read_only: bool) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let conn = Connection::open_with_flags(path, flags)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    // The first statement that reads the file: a file that is not a database fails here.
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(rusqlite::Error::InvalidParameterName(format!(
            "the database cannot use write-ahead logging (journal mode {mode})"
        )));
    }
    conn.pragma_update(None, "synchronous", "FULL")?;
    if read_only {
        conn.pragma_update(None, "query_only", true)?;
    }
    Ok(conn)
}

/// What a room starts from (see [`Store`]).
struct Start {
    last_seq: u64,
    stored: u64,
    recent: Vec<Record>,
    older: (u64, u64),
}

/// The last sequence number handed out, the messages stored, and the newest `recent` of them.
fn starting_point(conn: &Connection, recent: usize) -> rusqlite::Result<Start> {
    let (last_seq, stored): (i64, i64) = conn.query_row(
        "SELECT max(last_seq, coalesce((SELECT max(seq) FROM messages), 0)),
                (SELECT count(*) FROM messages)
         FROM room WHERE id = 1",
        [],
        |row| Ok((row.get(0)?, row.get(1)?)),
    )?;
    let mut stmt = conn.prepare(&format!(
        "SELECT {} FROM messages ORDER BY seq DESC LIMIT ?1",
        record::COLUMNS
    ))?;
    let limit = i64::try_from(recent).unwrap_or(i64::MAX);
    let mut newest: Vec<Record> = stmt
        .query_map([limit], Record::from_row)?
        .collect::<rusqlite::Result<_>>()?;
    newest.reverse();
    let first = newest.first().map_or(i64::MAX, |r| seq_column(r.seq));
    let older_through: Option<i64> = conn.query_row(
        "SELECT max(seq) FROM messages WHERE seq < ?1",
        [first],
        |row| row.get(0),
    )?;
    let stored = u64::try_from(stored).unwrap_or(0);
    Ok(Start {
        last_seq: u64::try_from(last_seq).unwrap_or(0),
        stored,
        older: (
            stored.saturating_sub(newest.len() as u64),
            older_through
                .and_then(|s| u64::try_from(s).ok())
                .unwrap_or(0),
        ),
        recent: newest,
    })
}

/// The resend keys of the newest `limit` messages that have one, with their seq, oldest first:
/// for the room to `record` in its dedupe window in the order it took them.
fn taken_keys(conn: &Connection, limit: usize) -> rusqlite::Result<Vec<(MessageKey, u64)>> {
    let mut stmt = conn.prepare(
        "SELECT cid, mid, seq FROM messages WHERE cid IS NOT NULL AND mid IS NOT NULL
         ORDER BY seq DESC LIMIT ?1",
    )?;
    let limit = i64::try_from(limit).unwrap_or(i64::MAX);
    let mut taken: Vec<(MessageKey, u64)> = stmt
        .query_map([limit], |row| {
            let key = MessageKey {
                cid: row.get(0)?,
                mid: from_mid_column(row.get(1)?),
            };
            Ok((key, u64::try_from(row.get::<_, i64>(2)?).unwrap_or(0)))
        })?
        .collect::<rusqlite::Result<_>>()?;
    taken.reverse();
    Ok(taken)
}

fn spawn(name: &str, body: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(body)
        .map_err(|e| Error::failure(format!("cannot start the {name} thread: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn options(dir: &Path) -> Options {
        Options {
            dir: dir.to_path_buf(),
            retention: Retention::default(),
            recent: 2,
            keys: 2,
        }
    }

    /// Writes `batch` through a store opened in `dir`, waits for it to be durable, closes.
    fn write(dir: &Path, batch: Batch) {
        let store = open::<(), ()>(&options(dir)).unwrap();
        let last = batch.last_seq;
        store.links.batches.send(batch).unwrap();
        assert_eq!(store.links.commits.recv().unwrap(), Commit::Durable(last));
        drop(store.links);
        for thread in store.threads {
            thread.join().unwrap();
        }
    }

    #[test]
    fn the_sequence_and_the_newest_messages_survive_a_reopening() {
        let dir = tempfile::tempdir().unwrap();
        write(
            dir.path(),
            Batch {
                records: vec![Record::sample(1), Record::sample(2), Record::sample(4)],
                // A join took 5.
                last_seq: 5,
            },
        );
        let store = open::<(), ()>(&options(dir.path())).unwrap();
        assert_eq!(store.last_seq, 5);
        assert_eq!(store.stored, 3);
        assert_eq!(store.older, (1, 1));
        let recent: Vec<(u64, &str)> = store
            .recent
            .iter()
            .map(|r| (r.seq, r.text.as_str()))
            .collect();
        assert_eq!(recent, [(2, "line 2"), (4, "line 4")]);
    }

    #[test]
    fn the_newest_resend_keys_come_back_with_their_seq() {
        let dir = tempfile::tempdir().unwrap();
        let keyed = |seq: u64, mid: u64| Record {
            key: Some(MessageKey {
                cid: "c1".into(),
                mid,
            }),
            ..Record::sample(seq)
        };
        write(
            dir.path(),
            Batch {
                records: vec![
                    keyed(1, 1),
                    keyed(2, 2),
                    Record::sample(3),
                    keyed(4, u64::MAX),
                ],
                last_seq: 4,
            },
        );
        let store = open::<(), ()>(&options(dir.path())).unwrap();
        let taken: Vec<(u64, u64)> = store.taken.iter().map(|(k, seq)| (k.mid, *seq)).collect();
        // The newest two keyed messages (`keys: 2`), oldest first; a message without a key is
        // skipped.
        assert_eq!(taken, [(2, 2), (u64::MAX, 4)]);
        assert!(store.taken.iter().all(|(k, _)| k.cid == "c1"));
    }

    #[test]
    fn a_second_opening_is_refused_while_the_first_is_open() {
        let dir = tempfile::tempdir().unwrap();
        let _first = open::<(), ()>(&options(dir.path())).unwrap();
        let second = open::<(), ()>(&options(dir.path()))
            .err()
            .unwrap()
            .to_string();
        assert!(
            second.contains("another chatroom host is using the store"),
            "{second}"
        );
    }

    #[test]
    fn a_file_that_is_not_a_database_is_one_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(FILE_NAME), vec![0x5a; 8192]).unwrap();
        let error = open::<(), ()>(&options(dir.path()))
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("file is not a database"), "{error}");
        assert!(!error.contains('\n'), "{error}");
    }
}
