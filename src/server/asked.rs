//! What a room shared across hosts asks the bridge-calls thread (`bridge/calls.rs`), and what
//! it keeps with each call to act on the answer: the newcomer or rename a claim is for
//! (`claims.rs`), who asked for the room-wide member list, and the letter posted to another
//! host's member.

use crate::bridge::calls::Tags;
use crate::protocol::wire::MessageKey;
use crate::protocol::{Event, Id, Mode};

use super::conn::ConnRef;
use super::history::Older;
use super::report::Newcomer;

/// The room's tags for the bridge-calls thread.
#[derive(Debug)]
pub(crate) struct RoomTags;

impl Tags for RoomTags {
    type Claim = Claiming;
    type List = Vec<Listing>;
    type Letter = Posting;
}

/// What waits for a claim's answer.
#[derive(Debug)]
pub(crate) enum Claiming {
    /// A newcomer, to be admitted under its nickname (with its gap, if one was read).
    Hello(Newcomer, Option<Older>),
    /// A member asking to be called something else.
    Rename(Renaming),
}

/// A member's request (`id`, in `mode`) to be called `new` instead of `old`.
#[derive(Debug, Clone)]
pub(crate) struct Renaming {
    pub(crate) conn: ConnRef,
    pub(crate) mode: Mode,
    pub(crate) id: Option<Id>,
    pub(crate) old: String,
    pub(crate) new: String,
}

/// Who asked for the room-wide member list (a read answers a batch of them: see `lists.rs`).
#[derive(Debug)]
pub(crate) enum Listing {
    /// A member (`/list`, JSON `list`), answered with its request's id.
    Member {
        conn: ConnRef,
        mode: Mode,
        id: Option<Id>,
    },
    /// The host's console.
    Console,
    /// The summary of joins and leaves, which counts everybody (the headcount only).
    Presence { joined: u64, left: u64 },
}

/// A letter posted to a member of another host, and who waits for its answer.
#[derive(Debug)]
pub(crate) enum Posting {
    /// A member's private message.
    Pm {
        conn: ConnRef,
        mode: Mode,
        id: Option<Id>,
        /// The request's resend key, recorded once the letter is posted (see `dedupe.rs`).
        key: Option<MessageKey>,
        /// The letter as sent (its `to` as the sender typed it), for the sender's confirmation
        /// (boxed: the answer the variant below waits for is small).
        event: Box<Event>,
    },
    /// An away member's answer to the sender of a private message from another host: nobody
    /// waits for it (a sender gone meanwhile misses it).
    AwayAnswer,
}
