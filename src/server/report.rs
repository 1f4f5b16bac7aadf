//! What shards tell the room: their clients' requests, and the connections they lost.
//!
//! Every shard sends its turn's reports as one batch over a single bounded crossbeam channel that
//! the room alone reads. The channel keeps each shard's batches in order, which is what keeps
//! each sender's messages in the order it sent them. It is bounded so a room that falls behind
//! slows the shards' reading (and, through TCP, the clients) instead of letting requests pile up;
//! the room never waits for a shard, so the two cannot wait for each other.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::AtomicBool;

use super::conn::ConnRef;
use super::gate::Key;
use crate::password::Digest;
use crate::protocol::Id;
use crate::protocol::Mode;
use crate::protocol::parse::{Refusal, Replay, Request};
use crate::protocol::wire::{LeaveReason, MessageKey};

/// Report batches that may wait for the room before a shard's next send waits for it.
pub(crate) const REPORT_BACKLOG: usize = 1024;

/// A client asking to join: as `nick`, speaking `mode`, unannounced when `announce` is false,
/// from `peer`, with `key` for a room with a password, asking for `replay` of the history.
#[derive(Debug)]
pub(crate) struct Newcomer {
    pub(crate) conn: ConnRef,
    pub(crate) mode: Mode,
    pub(crate) nick: String,
    pub(crate) announce: bool,
    pub(crate) peer: SocketAddr,
    pub(crate) key: Key,
    /// Set by its shard while it is not reading (its socket full, output waiting).
    pub(crate) stalled: Arc<AtomicBool>,
    /// Which of the room's history it gets after the welcome.
    pub(crate) replay: Replay,
}

/// One thing a shard tells the room.
#[derive(Debug)]
pub(crate) enum ShardReport {
    /// A client asks to join.
    Hello(Newcomer),
    /// A plain-mode client gave a password (only its digest comes here), before its nickname;
    /// a refusal is in `mode` (plain, unless a broken JSON hello came first).
    Unlock {
        conn: ConnRef,
        mode: Mode,
        attempt: Digest,
        peer: SocketAddr,
    },
    /// A member's request.
    Asked {
        conn: ConnRef,
        id: Option<Id>,
        request: Request,
        /// A message's resend key: the room takes each once (see `dedupe.rs`).
        key: Option<MessageKey>,
    },
    /// A member's line was refused: the room passes the error on, in order with its replies.
    Refused { conn: ConnRef, refusal: Refusal },
    /// A connection is gone (it closed, broke, or fell too far behind).
    Gone { conn: ConnRef, reason: LeaveReason },
}
