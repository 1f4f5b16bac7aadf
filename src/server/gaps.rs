//! Clients coming back to a stored room (`since` in the hello) whose gap reaches further back
//! than the room's history: held while the store reads the older messages, then admitted with
//! them, so a bot or a `join` that was away for a long time still misses nothing the room kept.
//!
//! The room checks the password first (a read costs the store something; strangers get none),
//! hands the read to the store's gap thread (`store/gap.rs`) and goes on; the newcomer waits in
//! its shard as any newcomer whose hello the room has not answered yet. When the read comes back,
//! the history may have forgotten more meanwhile (a busy room, a small `--history`): the read is
//! asked again for the rest, a few times at most, and whatever is still beyond reach is counted as
//! missed. A newcomer that leaves meanwhile is forgotten, and its read's answer dropped.

use std::collections::HashMap;

use crossbeam_channel::{Sender, TrySendError};

use super::conn::ConnRef;
use super::history::Older;
use super::report::Newcomer;
use crate::store::{GapFilled, GapRead};

/// Reads asked for one newcomer at most (the first and the rest after it).
const MAX_READS: u8 = 3;

/// A newcomer waiting for its gap, and what was asked for it.
#[derive(Debug)]
pub(crate) struct Held {
    newcomer: Newcomer,
    /// The `since` it gave.
    after: u64,
    reads: u8,
}

/// The newcomers held for a store read.
pub(crate) struct Gaps {
    reads: Sender<GapRead<Held>>,
    /// By connection serial number.
    held: HashMap<u64, ConnRef>,
}

impl Gaps {
    pub(crate) fn new(reads: Sender<GapRead<Held>>) -> Self {
        Gaps {
            reads,
            held: HashMap::new(),
        }
    }

    /// Holds `newcomer` while the store reads the messages in `(after, through]`; gives it back
    /// (`Some`) when the store cannot take another read now (it is then replayed what the history
    /// holds, and told how many it missed).
    pub(crate) fn hold(
        &mut self,
        newcomer: Newcomer,
        after: u64,
        through: u64,
    ) -> Option<Newcomer> {
        let held = Held {
            newcomer,
            after,
            reads: 0,
        };
        self.ask(held, through).map(|held| held.newcomer)
    }

    /// Asks the store for `held`'s gap through `through`; gives it back when it cannot.
    fn ask(&mut self, mut held: Held, through: u64) -> Option<Held> {
        held.reads += 1;
        let conn = held.newcomer.conn;
        let read = GapRead {
            after: held.after,
            through,
            tag: held,
        };
        match self.reads.try_send(read) {
            Ok(()) => {
                self.held.insert(conn.serial(), conn);
                None
            }
            Err(TrySendError::Full(read) | TrySendError::Disconnected(read)) => Some(read.tag),
        }
    }

    /// Forgets `conn` if it was held (it left).
    pub(crate) fn forget(&mut self, conn: ConnRef) {
        if self.held.get(&conn.serial()) == Some(&conn) {
            self.held.remove(&conn.serial());
        }
    }

    /// A read came back, the history having now forgotten the messages through
    /// `forgotten_through`: the newcomer to admit now, with the messages read (none when the
    /// read failed), or nothing (it left, or the rest was asked for).
    pub(crate) fn filled(
        &mut self,
        filled: GapFilled<Held>,
        forgotten_through: u64,
    ) -> Option<(Newcomer, Option<Older>)> {
        let GapFilled { tag, through, read } = filled;
        let conn = tag.newcomer.conn;
        if self.held.remove(&conn.serial()) != Some(conn) {
            return None;
        }
        let held = match forgotten_through > through && tag.reads < MAX_READS {
            // The history forgot more while this was read: read again, all of it (a gap is
            // one range; the first read was short).
            true => self.ask(tag, forgotten_through)?,
            false => tag,
        };
        let older = read.ok().map(|(events, left_out)| Older {
            events,
            left_out,
            through,
        });
        Some((held.newcomer, older))
    }
}
