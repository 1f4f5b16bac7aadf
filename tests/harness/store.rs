//! A stored room (`host --store`): the options that put its store in a test's own directory,
//! and what the store holds, read straight from the SQLite file the way an auditor would.

use std::path::Path;

use rusqlite::{Connection, OpenFlags};

/// `--store --data-dir DIR`: a store in the test's own directory (never the shared test home).
pub fn store_args(dir: &Path) -> Vec<String> {
    vec![
        "--store".into(),
        "--data-dir".into(),
        dir.to_str().expect("a UTF-8 path").into(),
    ]
}

/// The store's file in `dir`.
pub fn store_file(dir: &Path) -> std::path::PathBuf {
    dir.join("room.sqlite3")
}

/// One row of the store's `messages` table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredRow {
    pub seq: u64,
    pub sender: String,
    pub kind: String,
    pub text: String,
}

/// Every message in the store in `dir`, by seq (read-only: a running host may hold it).
pub fn stored_rows(dir: &Path) -> Vec<StoredRow> {
    let conn = Connection::open_with_flags(store_file(dir), OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open the store");
    let mut stmt = conn
        .prepare("SELECT seq, sender, kind, text FROM messages ORDER BY seq")
        .expect("the messages table");
    stmt.query_map([], |row| {
        Ok(StoredRow {
            seq: row.get::<_, i64>(0)? as u64,
            sender: row.get(1)?,
            kind: row.get(2)?,
            text: row.get(3)?,
        })
    })
    .expect("read the messages")
    .map(|row| row.expect("a row"))
    .collect()
}

/// SQLite's own verdict on the file: `ok` for a store that is whole, its full-text index
/// included (checked on its own: messages committed but not yet indexed are not an error). No
/// host may be running on it.
pub fn integrity(dir: &Path) -> String {
    let conn = Connection::open(store_file(dir)).expect("open the store");
    let verdict: String = conn
        .query_row("PRAGMA integrity_check", [], |row| row.get(0))
        .expect("integrity_check");
    if let Err(e) = conn.execute(
        "INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 0)",
        [],
    ) {
        return format!("the full-text index is damaged: {e}");
    }
    verdict
}
