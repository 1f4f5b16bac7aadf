//! `/search` and the JSON `search` request, from the room's side: a search goes to the store's
//! search thread (never run on the room's thread), and its results come back to the asker alone.

use crossbeam_channel::{Sender, TrySendError};

use super::conn::ConnRef;
use crate::protocol::parse::Refusal;
use crate::protocol::wire::StoredMessage;
use crate::protocol::{ErrorCode, Event, Id, Mode};
use crate::store::{self, Found, Job, Record};

/// Who asked, and what: carried through the search thread and back.
#[derive(Debug)]
pub(crate) struct Asker {
    pub(crate) conn: ConnRef,
    pub(crate) mode: Mode,
    pub(crate) id: Option<Id>,
    /// The words as typed (echoed in the results).
    pub(crate) typed: String,
}

/// The refusal of a search in a room without a store.
pub(crate) fn no_store() -> Refusal {
    Refusal::new(
        ErrorCode::NoStore,
        "this room keeps no store, so there is nothing to search; start the host with --store \
         to keep and search its messages",
    )
}

/// Hands a search to the search thread, to search the messages through `as_of` (the room's last),
/// or says why not (nothing to search for, too many searches waiting).
pub(crate) fn ask(jobs: &Sender<Job<Asker>>, asker: Asker, as_of: u64) -> Result<(), Refusal> {
    let query =
        store::fts_query(&asker.typed).map_err(|why| Refusal::new(ErrorCode::BadRequest, why))?;
    match jobs.try_send(Job {
        tag: asker,
        query,
        as_of,
    }) {
        Ok(()) => Ok(()),
        Err(TrySendError::Full(_)) => Err(Refusal::new(
            ErrorCode::Busy,
            "the host is busy with other searches; try again in a moment",
        )),
        Err(TrySendError::Disconnected(_)) => Err(Refusal::new(
            ErrorCode::Busy,
            "the host cannot search its store now",
        )),
    }
}

/// The answer for the asker of a finished search: who, in which dialect, and what.
pub(crate) fn answer(found: Found<Asker>) -> (ConnRef, Mode, Event) {
    let Asker {
        conn,
        mode,
        id,
        typed,
    } = found.tag;
    let event = match found.hits {
        Ok(hits) => Event::SearchResults {
            query: typed,
            results: hits.iter().map(stored_message).collect(),
            id,
        },
        Err(why) => Event::Error {
            code: ErrorCode::BadRequest,
            message: format!("the search failed: {why}"),
            id,
        },
    };
    (conn, mode, event)
}

fn stored_message(record: &Record) -> StoredMessage {
    StoredMessage {
        seq: record.seq,
        ts: record.ts,
        from: record.from.clone(),
        kind: record.kind,
        text: record.text.clone(),
    }
}
