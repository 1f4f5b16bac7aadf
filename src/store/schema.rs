//! The store's tables, and the migrations that build them: numbered from the first version on,
//! so a later chatroom can change the layout of a store an older one wrote.
//!
//! `schema_version` holds one row, the number of migrations applied. Opening applies the missing
//! ones in one transaction (all or nothing) and refuses a store written by a newer chatroom
//! rather than guess at its layout.
//!
//! The full-text index is an FTS5 table with **external content**: it indexes `messages.text`
//! without keeping a second copy of it, and it can always be rebuilt from `messages`. A
//! contentless index would save nothing more (the text has to be kept anyway, for history) and
//! could not show what it matched. Indexing costs about ten times what storing a message does, so
//! it is not part of the commit that an ack waits for: the writer indexes committed messages in
//! order between commits, and `room.indexed_through` says how far it got (see `writer.rs`). A
//! trigger takes a deleted message out of the index in the deleting transaction; retention
//! deletes only messages already indexed.
//!
//! Each message keeps the resend key it came with (`cid`, `mid`), so that a restarted room can
//! refill its dedupe window and still take a resend once.

use rusqlite::{Connection, OptionalExtension, Transaction};

/// The migrations, in order: the store's version is how many of them it has had.
const MIGRATIONS: &[&str] = &[
    // 1: messages, the room's sequence, and the full-text index.
    "CREATE TABLE messages (
         seq    INTEGER PRIMARY KEY,
         time   INTEGER NOT NULL,  -- milliseconds since 1970-01-01 UTC
         sender TEXT NOT NULL,
         kind   TEXT NOT NULL CHECK (kind IN ('message', 'action')),
         text   TEXT NOT NULL
     );
     CREATE INDEX messages_by_time ON messages (time);
     -- The last sequence number the room handed out, messages or not (joins, leaves and renames
     -- are numbered too but not kept): a restarted room goes on after it.
     -- indexed_through: the last message in the full-text index (they are indexed in order).
     CREATE TABLE room (
         id              INTEGER PRIMARY KEY CHECK (id = 1),
         last_seq        INTEGER NOT NULL,
         indexed_through INTEGER NOT NULL
     );
     INSERT INTO room (id, last_seq, indexed_through) VALUES (1, 0, 0);
     CREATE VIRTUAL TABLE messages_fts USING fts5 (
         text,
         content = 'messages',
         content_rowid = 'seq',
         tokenize = 'unicode61 remove_diacritics 2'
     );
     CREATE TRIGGER messages_unindexed AFTER DELETE ON messages BEGIN
         INSERT INTO messages_fts (messages_fts, rowid, text) VALUES ('delete', old.seq, old.text);
     END;",
    // 2: each message's resend key (`cid`, `mid`; both NULL for a message sent without one),
    // so a restarted room still knows which resends it took (see `server/dedupe.rs`). `mid` is
    // a u64 kept as the i64 of the same bits.
    "ALTER TABLE messages ADD COLUMN cid TEXT;
     ALTER TABLE messages ADD COLUMN mid INTEGER;",
];

/// The version this chatroom writes.
pub(crate) const CURRENT: u32 = MIGRATIONS.len() as u32;

/// Why a store could not be brought up to date.
#[derive(Debug)]
pub(crate) enum MigrationError {
    /// Written by a newer chatroom, whose layout this one does not know.
    Newer {
        found: u32,
    },
    Sqlite(rusqlite::Error),
}

impl From<rusqlite::Error> for MigrationError {
    fn from(e: rusqlite::Error) -> Self {
        MigrationError::Sqlite(e)
    }
}

/// Brings the store on `conn` to [`CURRENT`], in one transaction.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), MigrationError> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    tx.execute_batch("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")?;
    let found = version(&tx)?;
    if found > CURRENT {
        return Err(MigrationError::Newer { found });
    }
    for migration in &MIGRATIONS[found as usize..] {
        tx.execute_batch(migration)?;
    }
    if found != CURRENT {
        tx.execute("DELETE FROM schema_version", [])?;
        tx.execute(
            "INSERT INTO schema_version (version) VALUES (?1)",
            [CURRENT],
        )?;
    }
    tx.commit()?;
    Ok(())
}

fn version(tx: &Transaction<'_>) -> rusqlite::Result<u32> {
    let found: Option<u32> = tx
        .query_row("SELECT max(version) FROM schema_version", [], |row| {
            row.get(0)
        })
        .optional()?
        .flatten();
    Ok(found.unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_store_gets_every_migration_once() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        migrate(&mut conn).unwrap();
        let version: u32 = conn
            .query_row("SELECT version FROM schema_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, CURRENT);
        let rows: u32 = conn
            .query_row("SELECT count(*) FROM schema_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(rows, 1);
    }

    #[test]
    fn a_first_version_store_keeps_its_messages_without_keys() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(MIGRATIONS[0]).unwrap();
        conn.execute_batch(
            "CREATE TABLE schema_version (version INTEGER NOT NULL);
             INSERT INTO schema_version (version) VALUES (1);
             INSERT INTO messages (seq, time, sender, kind, text) VALUES (1, 0, 'ana', 'message', 'hi');",
        )
        .unwrap();
        migrate(&mut conn).unwrap();
        let (text, cid, mid): (String, Option<String>, Option<i64>) = conn
            .query_row(
                "SELECT text, cid, mid FROM messages WHERE seq = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .unwrap();
        assert_eq!((text.as_str(), cid, mid), ("hi", None, None));
    }

    #[test]
    fn a_store_from_a_newer_chatroom_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        conn.execute("UPDATE schema_version SET version = ?1", [CURRENT + 1])
            .unwrap();
        assert!(matches!(
            migrate(&mut conn),
            Err(MigrationError::Newer { found }) if found == CURRENT + 1
        ));
    }

    #[test]
    fn a_deleted_message_leaves_the_index() {
        let mut conn = Connection::open_in_memory().unwrap();
        migrate(&mut conn).unwrap();
        conn.execute(
            "INSERT INTO messages (seq, time, sender, kind, text) VALUES (1, 0, 'ana', 'message', 'hello world')",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO messages_fts (rowid, text) VALUES (1, 'hello world')",
            [],
        )
        .unwrap();
        let hits = |conn: &Connection| -> i64 {
            conn.query_row(
                "SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'world'",
                [],
                |r| r.get(0),
            )
            .unwrap()
        };
        assert_eq!(hits(&conn), 1);
        conn.execute("DELETE FROM messages WHERE seq = 1", [])
            .unwrap();
        assert_eq!(hits(&conn), 0);
    }
}
