//! Nicknames in a room shared across hosts (`--redis`): a newcomer's nickname, or a member's new
//! one, is claimed in Redis before it is taken (see `bridge/nicks.rs`), so no two members on any
//! hosts hold one name, and `--max-clients` counts the whole room.
//!
//! The room checks a name by its own rules first (valid, not held here, the password), then
//! hands the claim to the bridge-calls thread (`bridge/calls.rs`) and goes on; the newcomer
//! waits in its shard as any newcomer whose hello the room has not answered yet (as `gaps.rs`
//! holds one for a store read), and a member asking to be renamed waits for its answer. A
//! newcomer that leaves meanwhile is forgotten, and a name claimed for it given back.

use std::collections::HashMap;

use crossbeam_channel::Sender;

use super::asked::{Claiming, Renaming, RoomTags};
use super::conn::ConnRef;
use super::history::Older;
use super::report::Newcomer;
use crate::bridge::calls::Call;
use crate::protocol::ErrorCode;
use crate::protocol::parse::Refusal;

/// The newcomers held for their claim, and where claims go.
pub(crate) struct Claims {
    calls: Sender<Call<RoomTags>>,
    /// The room's most members, on all hosts together (`--max-clients`).
    most: u32,
    /// By connection serial number.
    held: HashMap<u64, ConnRef>,
}

/// The refusal when the bridge-calls thread cannot take another claim.
fn busy() -> Refusal {
    Refusal::new(
        ErrorCode::Busy,
        "the room is busy checking nicknames; try again in a moment",
    )
}

impl Claims {
    pub(crate) fn new(calls: Sender<Call<RoomTags>>, most: usize) -> Claims {
        Claims {
            calls,
            most: u32::try_from(most).unwrap_or(u32::MAX),
            held: HashMap::new(),
        }
    }

    /// Holds `newcomer` while its nickname is claimed; `Err` when the claim cannot be asked now
    /// (the newcomer is to be told so). The answer brings the room-wide roster for its welcome,
    /// with the names when the room has at most `names_up_to` members.
    pub(crate) fn hold(
        &mut self,
        newcomer: Newcomer,
        older: Option<Older>,
        names_up_to: usize,
    ) -> Result<(), Refusal> {
        let conn = newcomer.conn;
        let call = Call::Claim {
            nick: newcomer.nick.clone(),
            most: self.most,
            names_up_to: Some(names_up_to as u64),
            tag: Claiming::Hello(newcomer, older),
        };
        self.calls.try_send(call).map_err(|_| busy())?;
        self.held.insert(conn.serial(), conn);
        Ok(())
    }

    /// Claims the new name of a member being renamed (a rename never makes the room fuller, so
    /// it is not counted against `--max-clients`).
    pub(crate) fn rename(&mut self, renaming: Renaming) -> Result<(), Refusal> {
        let call = Call::Claim {
            nick: renaming.new.clone(),
            most: 0,
            names_up_to: None,
            tag: Claiming::Rename(renaming),
        };
        self.calls.try_send(call).map_err(|_| busy())
    }

    /// Gives `nick` up in Redis (a member left, or a claim was not used). A release that cannot
    /// be asked now is freed when this host is reaped.
    pub(crate) fn release(&mut self, nick: &str) {
        let _ = self.calls.try_send(Call::Release { nick: nick.into() });
    }

    /// Forgets `conn` if it was held (it left).
    pub(crate) fn forget(&mut self, conn: ConnRef) {
        self.take_held(conn);
    }

    /// Whether `conn` was held for its claim, and still is (it did not leave): it is not held
    /// any more.
    pub(crate) fn take_held(&mut self, conn: ConnRef) -> bool {
        if self.held.get(&conn.serial()) == Some(&conn) {
            self.held.remove(&conn.serial());
            return true;
        }
        false
    }
}
