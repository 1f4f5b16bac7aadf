//! Full-text search of the stored room (`/search`, the JSON `search` request).
//!
//! What a user types is never handed to FTS5's query language: each word becomes a quoted
//! string (a trailing `*` keeps its meaning, a prefix), so `AND`, `NEAR(`, quotes, colons and
//! the like are words to look for, never syntax, and no input can make a query SQLite refuses
//! to parse. Every word must occur; the newest [`MAX_RESULTS`] matches come back.
//!
//! Queries run on a thread of their own with its own read-only connection (WAL lets it read
//! while the writer commits), so a slow search stalls neither the room nor the commits; the
//! room hands it jobs over a short bounded channel and gets the results back on another.
//! Messages are indexed moments after their commit (`index.rs`): a search first waits, briefly,
//! for the index to hold every message the room had numbered when it was asked, so what was just
//! said is found.
//!
//! A search may run for at most [`Cap::STANDARD`] (2 s): SQLite's progress handler looks at the
//! clock every thousand steps of the query and stops it past that, and the asker is told to
//! use more specific words. Many `word*` prefixes over a big store could otherwise keep the one
//! search thread busy indefinitely, and everyone's searches behind it.

use std::os::raw::c_int;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender};
use rusqlite::Connection;

use super::index;
use super::record::{COLUMNS, Record};

/// At most this many results, newest first.
pub const MAX_RESULTS: usize = 20;

/// Words a query may have.
pub(crate) const MAX_WORDS: usize = 16;

/// Searches that may wait for the search thread; one more is told to try again shortly.
pub(crate) const SEARCH_BACKLOG: usize = 16;

/// How long a search waits for the index to catch up with the room (a busy room's indexing
/// waits for its commits); after that it searches what is indexed.
const INDEX_WAIT: Duration = Duration::from_secs(2);

/// How often a waiting search looks at how far the index got.
const INDEX_POLL: Duration = Duration::from_millis(2);

/// The FTS5 query for what a user typed: every word that has a letter or digit in it, quoted,
/// all of them required; a trailing `*` searches for words that start with it. `Err` says, in
/// words for the user, why there is nothing to search for.
pub(crate) fn fts_query(text: &str) -> Result<String, String> {
    // Control characters never reach here from a client (requests are sanitized), but a NUL
    // would end the query inside SQLite: they are no part of any word.
    let text: String = text.chars().filter(|c| !c.is_control()).collect();
    let words: Vec<&str> = text.split_whitespace().collect();
    if words.len() > MAX_WORDS {
        return Err(format!(
            "a search takes at most {MAX_WORDS} words; this one has {}",
            words.len()
        ));
    }
    let terms: Vec<String> = words
        .into_iter()
        .filter_map(|word| {
            let (stem, prefix) = match word.strip_suffix('*') {
                Some(stem) => (stem.trim_end_matches('*'), true),
                None => (word, false),
            };
            stem.chars().any(char::is_alphanumeric).then(|| {
                let quoted = format!("\"{}\"", stem.replace('"', "\"\""));
                if prefix { quoted + "*" } else { quoted }
            })
        })
        .collect();
    if terms.is_empty() {
        return Err(
            "nothing to search for: give a word or more (a word* finds words that \
                    start with it)"
                .into(),
        );
    }
    Ok(terms.join(" "))
}

/// The newest [`MAX_RESULTS`] messages that match `query` (made by [`fts_query`]), newest first.
pub(crate) fn run_query(conn: &Connection, query: &str) -> rusqlite::Result<Vec<Record>> {
    // FTS5 walks its index by rowid, newest first, and stops at the limit: a word in every
    // message costs no more than a rare one.
    let sql = format!(
        "SELECT {COLUMNS} FROM messages WHERE seq IN
             (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?1
              ORDER BY rowid DESC LIMIT {MAX_RESULTS})
         ORDER BY seq DESC"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let rows = stmt.query_map([query], Record::from_row)?;
    rows.collect()
}

/// A search to run, with `tag` saying who asked (the room's business, carried back untouched).
pub(crate) struct Job<T> {
    pub(crate) tag: T,
    /// The FTS5 query ([`fts_query`]).
    pub(crate) query: String,
    /// The last message the room had numbered when asked: the index should hold it.
    pub(crate) as_of: u64,
}

/// A search's outcome: the hits, newest first, or what went wrong, in words.
pub(crate) struct Found<T> {
    pub(crate) tag: T,
    pub(crate) hits: Result<Vec<Record>, String>,
}

/// How long one search may run, and how often SQLite looks at the clock while it does.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cap {
    /// The longest a query may run before it is stopped.
    time: Duration,
    /// SQLite virtual-machine steps between looks at the clock: a look costs a clock read, and
    /// a thousand steps take well under a millisecond.
    steps: c_int,
}

impl Cap {
    /// The host's: long enough for any reasonable search of a big store, short enough that the
    /// asker and those waiting behind them are not left wondering.
    pub(crate) const STANDARD: Cap = Cap {
        time: Duration::from_secs(2),
        steps: 1000,
    };
}

/// The running query's deadline, shared with the progress handler SQLite calls as it runs.
#[derive(Default)]
struct Watch {
    /// `None` between queries (waiting for the index is bounded apart).
    deadline: Option<Instant>,
    /// The handler stopped the query: the error that follows is the cap's.
    stopped: bool,
}

/// A connection whose queries can be capped in time.
struct Capped<'c> {
    conn: &'c Connection,
    cap: Cap,
    watch: Arc<Mutex<Watch>>,
}

impl<'c> Capped<'c> {
    /// Installs the progress handler on `conn`.
    fn new(conn: &'c mut Connection, cap: Cap) -> rusqlite::Result<Self> {
        let watch = Arc::new(Mutex::new(Watch::default()));
        let seen = watch.clone();
        conn.progress_handler(
            cap.steps,
            Some(move || {
                // A poisoned lock cannot happen (nothing panics holding it); stop if it does.
                let Ok(mut watch) = seen.lock() else {
                    return true;
                };
                let over = watch.deadline.is_some_and(|d| Instant::now() >= d);
                watch.stopped |= over;
                over
            }),
        )?;
        Ok(Capped { conn, cap, watch })
    }

    /// Runs the search for `query`, stopped if it takes longer than the cap; `Err` says what
    /// went wrong in words for the asker.
    fn search(&self, query: &str) -> Result<Vec<Record>, String> {
        self.set(Some(Instant::now() + self.cap.time));
        let hits = run_query(self.conn, query);
        let stopped = self.set(None);
        hits.map_err(|e| {
            if stopped {
                too_long(self.cap.time)
            } else {
                e.to_string()
            }
        })
    }

    /// Sets the deadline (`None`: none) and returns whether the last query was stopped.
    fn set(&self, deadline: Option<Instant>) -> bool {
        let mut watch = self.watch.lock().unwrap_or_else(|e| e.into_inner());
        watch.deadline = deadline;
        std::mem::take(&mut watch.stopped)
    }
}

/// What the asker of a search that ran out of time is told.
fn too_long(cap: Duration) -> String {
    format!(
        "it took longer than {} s and was stopped; use more specific words (fewer, longer \
         word* prefixes)",
        cap.as_secs_f64()
    )
}

/// The search thread's loop: answers jobs until the room lets go of the channel. Each query is
/// stopped past `cap`.
pub(crate) fn serve<T>(
    conn: &mut Connection,
    cap: Cap,
    jobs: &Receiver<Job<T>>,
    found: &Sender<Found<T>>,
) {
    let capped = Capped::new(conn, cap);
    for job in jobs {
        let hits = match &capped {
            Ok(capped) => wait_for_index(capped.conn, job.as_of)
                .map_err(|e| e.to_string())
                .and_then(|()| capped.search(&job.query)),
            Err(e) => Err(e.to_string()),
        };
        if found.send(Found { tag: job.tag, hits }).is_err() {
            return;
        }
    }
}

/// Waits (at most [`INDEX_WAIT`]) until the index holds the messages through `seq`.
fn wait_for_index(conn: &Connection, seq: u64) -> rusqlite::Result<()> {
    let deadline = Instant::now() + INDEX_WAIT;
    while index::indexed_through(conn)? < seq && Instant::now() < deadline {
        std::thread::sleep(INDEX_POLL);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_are_quoted_never_syntax() {
        assert_eq!(fts_query("hello world").unwrap(), r#""hello" "world""#);
        assert_eq!(fts_query("deploy*").unwrap(), r#""deploy"*"#);
        assert_eq!(
            fts_query(r#"say "hi" AND NEAR( col:x"#).unwrap(),
            r#""say" """hi""" "AND" "NEAR(" "col:x""#
        );
        assert!(fts_query("").is_err());
        assert!(fts_query(r#"" * ** - ^"#).is_err());
        assert!(fts_query(&"w ".repeat(MAX_WORDS + 1)).is_err());
        assert!(fts_query(&"w ".repeat(MAX_WORDS)).is_ok());
    }

    fn store(texts: &[&str]) -> Connection {
        let mut conn = Connection::open_in_memory().unwrap();
        super::super::schema::migrate(&mut conn).unwrap();
        for (i, text) in texts.iter().enumerate() {
            conn.execute(
                "INSERT INTO messages (seq, time, sender, kind, text) VALUES (?1, 0, 'ana', 'message', ?2)",
                rusqlite::params![i as i64 + 1, text],
            )
            .unwrap();
        }
        super::super::index::index_all(&mut conn).unwrap();
        conn
    }

    fn found(conn: &Connection, typed: &str) -> Vec<u64> {
        let query = fts_query(typed).unwrap();
        run_query(conn, &query)
            .unwrap_or_else(|e| panic!("{typed:?} as {query:?}: {e}"))
            .iter()
            .map(|r| r.seq)
            .collect()
    }

    #[test]
    fn every_word_must_match_newest_first() {
        let conn = store(&["deploy done", "deploying now", "lunch?", "Déploy café"]);
        assert_eq!(found(&conn, "deploy"), [4, 1]);
        assert_eq!(found(&conn, "deploy*"), [4, 2, 1]);
        assert_eq!(found(&conn, "deploy done"), [1]);
        assert_eq!(found(&conn, "cafe"), [4]);
        assert_eq!(found(&conn, "lunch"), [3]);
    }

    #[test]
    fn whatever_is_typed_is_a_valid_query() {
        let conn = store(&["a \"quoted\" AND word", "NEAR(x) col:y ^z"]);
        for typed in [
            "\"",
            "\"quoted\"",
            "AND",
            "NEAR(",
            "col:y",
            "^z",
            "a OR",
            "x*y*",
            "(",
            "-x",
            "+",
            "{a b}",
            "'",
            "\u{0}x",
            "日本語",
        ] {
            if let Ok(query) = fts_query(typed) {
                run_query(&conn, &query).unwrap_or_else(|e| panic!("{typed:?}: {e}"));
            }
        }
        assert_eq!(found(&conn, "\"quoted\""), [1]);
        assert_eq!(found(&conn, "NEAR("), [2]);
    }

    /// Searches `typed` on the search thread's loop, with `cap`, as the room would ask.
    fn served(conn: &mut Connection, cap: Cap, typed: &[&str]) -> Vec<Result<Vec<u64>, String>> {
        let (jobs_tx, jobs) = crossbeam_channel::unbounded();
        let (found, found_rx) = crossbeam_channel::unbounded();
        for (tag, typed) in typed.iter().enumerate() {
            let query = fts_query(typed).unwrap();
            jobs_tx
                .send(Job {
                    tag,
                    query,
                    as_of: 0,
                })
                .unwrap();
        }
        drop(jobs_tx);
        serve(conn, cap, &jobs, &found);
        found_rx
            .try_iter()
            .map(|f: Found<usize>| f.hits.map(|hits| hits.iter().map(|r| r.seq).collect()))
            .collect()
    }

    #[test]
    fn a_search_past_its_cap_is_stopped_and_the_asker_told_why() {
        let mut conn = store(&["deploy done", "deploying now", "lunch?"]);
        // No time at all, the clock looked at every step: any query runs out at its first step.
        let none = Cap {
            time: Duration::ZERO,
            steps: 1,
        };
        let answers = served(&mut conn, none, &["deploy*", "lunch"]);
        assert_eq!(answers.len(), 2);
        for answer in answers {
            let why = answer.unwrap_err();
            assert!(
                why.starts_with("it took longer than 0 s and was stopped"),
                "{why}"
            );
            assert!(why.contains("more specific words"), "{why}");
        }
    }

    #[test]
    fn searches_within_the_cap_are_answered_and_a_stopped_one_leaves_no_trace() {
        let mut conn = store(&["deploy done", "deploying now", "lunch?"]);
        let answers = served(&mut conn, Cap::STANDARD, &["deploy*", "lunch"]);
        assert_eq!(answers, [Ok(vec![2, 1]), Ok(vec![3])]);
        // The same connection, stopped once, then searching with time to spare.
        let capped = Capped::new(
            &mut conn,
            Cap {
                time: Duration::ZERO,
                steps: 1,
            },
        )
        .unwrap();
        assert!(capped.search(&fts_query("deploy").unwrap()).is_err());
        let roomy = Capped {
            cap: Cap::STANDARD,
            ..capped
        };
        assert_eq!(roomy.search(&fts_query("lunch").unwrap()).unwrap().len(), 1);
    }

    #[test]
    fn at_most_twenty_results() {
        let texts = vec!["same"; 50];
        let conn = store(&texts);
        let hits = found(&conn, "same");
        assert_eq!(hits.len(), MAX_RESULTS);
        assert_eq!(hits[0], 50);
        assert_eq!(hits[MAX_RESULTS - 1], 31);
    }
}
