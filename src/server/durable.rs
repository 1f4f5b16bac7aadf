//! A stored room's turns, held until the store has committed them (`host --store`).
//!
//! With a store, nothing the room numbers leaves the host before it is on disk: the room's turn
//! (broadcasts, acks, replies, in their order) is sealed and sent to the shards only when the
//! writer reports its last sequence number durable. So an `ack` means "on disk" (`send`'s exit 0
//! too), and nobody ever sees a message, or a sequence number, that a crash could take back:
//! a restarted room goes on from the last number it handed out, and no number is used twice.
//!
//! One commit is in flight at a time. While it is, the room goes on taking requests and
//! gathering their events into its next turn; when the commit is reported, that turn is sealed
//! and sent for commit in one batch. The busier the room, the bigger the batches: a group
//! commit, one disk sync shared by everything that arrived during the last one. The room never
//! waits: it selects on the writer's reports with the shards' ([`Durable::commits`]).

use std::time::Duration;

use crossbeam_channel::{Receiver, RecvTimeoutError, Sender};

use super::fanout::{Fanout, Sealed};
use crate::protocol::Event;
use crate::protocol::wire::MessageKey;
use crate::store::{Batch, Commit, Record};

/// Numbers handed out but not yet sent for commit beyond which the room stops taking requests
/// until the disk catches up (the shards then stop reading, and TCP slows the clients): what the
/// host holds for a stalled disk stays bounded.
const MAX_UNCOMMITTED: u64 = 65_536;

/// How long a closing room waits for its last commit before it gives up on it (a disk that hangs
/// must not keep the host from stopping).
const LAST_COMMIT_WAIT: Duration = Duration::from_secs(10);

pub(crate) struct Durable {
    batches: Sender<Batch>,
    commits: Receiver<Commit>,
    /// The public messages numbered since the last batch.
    records: Vec<Record>,
    /// The turn waiting for its commit, and the last number the commit must cover.
    in_flight: Option<(u64, Sealed)>,
    /// The last number sent for commit (at start: the last one the store had).
    sent: u64,
    /// The last public message numbered (at start: the newest stored).
    last_kept: u64,
}

impl Durable {
    /// The room's durability, its last number being `last_seq` and its newest stored message
    /// `newest`.
    pub(crate) fn new(
        batches: Sender<Batch>,
        commits: Receiver<Commit>,
        last_seq: u64,
        newest: u64,
    ) -> Self {
        Durable {
            batches,
            commits,
            records: Vec::new(),
            in_flight: None,
            sent: last_seq,
            last_kept: newest,
        }
    }

    /// The writer's reports, for the room to select on.
    pub(crate) fn commits(&self) -> &Receiver<Commit> {
        &self.commits
    }

    /// Notes a room event: a public message goes into the next batch.
    pub(crate) fn keep(&mut self, event: &Event) {
        if let Some(record) = Record::of(event) {
            self.last_kept = record.seq;
            self.records.push(record);
        }
    }

    /// Stores `key` with the message numbered `seq`, when that is the last one kept and not yet
    /// sent for commit (it is: the room keys a message in the request that numbered it).
    pub(crate) fn key(&mut self, seq: u64, key: &MessageKey) {
        if let Some(record) = self.records.last_mut().filter(|r| r.seq == seq) {
            record.key = Some(key.clone());
        }
    }

    /// The last public message numbered (or stored before the start): what a search asked now
    /// should find.
    pub(crate) fn last_kept(&self) -> u64 {
        self.last_kept
    }

    /// True when so much waits for the disk that the room should take no more requests.
    pub(crate) fn is_backed_up(&self, seq: u64) -> bool {
        seq.saturating_sub(self.sent) >= MAX_UNCOMMITTED
    }

    /// The end of a room turn, when the room's last number is `seq`: with a commit in flight the
    /// turn's events wait with the rest; otherwise a turn that numbered something is sent for
    /// commit, and one that did not goes out at once. True when something reached the shards.
    pub(crate) fn end_turn(&mut self, fanout: &mut Fanout, seq: u64) -> Result<bool, String> {
        if self.in_flight.is_some() {
            return Ok(false);
        }
        if seq > self.sent {
            let batch = Batch {
                records: std::mem::take(&mut self.records),
                last_seq: seq,
            };
            // The writer takes a batch only after reporting the last one: this never waits.
            self.batches
                .send(batch)
                .map_err(|_| "the store's writer has stopped".to_string())?;
            self.in_flight = Some((seq, fanout.seal(false)));
            self.sent = seq;
            return Ok(false);
        }
        if fanout.is_empty() {
            return Ok(false);
        }
        fanout.dispatch(false);
        Ok(true)
    }

    /// A report from the writer: the turn it covers goes out, and whatever gathered meanwhile
    /// is sent for commit (see [`Durable::end_turn`]). `Err` when the store has failed.
    pub(crate) fn committed(
        &mut self,
        commit: Commit,
        fanout: &mut Fanout,
        seq: u64,
    ) -> Result<bool, String> {
        let durable = match commit {
            Commit::Durable(durable) => durable,
            Commit::Failed(why) => return Err(why),
        };
        let mut posted = false;
        if self
            .in_flight
            .as_ref()
            .is_some_and(|(needed, _)| *needed <= durable)
            && let Some((_, turn)) = self.in_flight.take()
        {
            fanout.post(turn);
            posted = true;
        }
        Ok(self.end_turn(fanout, seq)? || posted)
    }

    /// Commits everything numbered up to `seq` and sends it out, waiting for the writer (the
    /// room is closing: nothing else is left to do). `Err` when the store failed or did not
    /// answer in time; what it had not committed is then never sent.
    pub(crate) fn finish(&mut self, fanout: &mut Fanout, seq: u64) -> Result<(), String> {
        self.end_turn(fanout, seq)?;
        while self.in_flight.is_some() {
            let commit = match self.commits.recv_timeout(LAST_COMMIT_WAIT) {
                Ok(commit) => commit,
                Err(RecvTimeoutError::Timeout) => {
                    return Err(format!(
                        "the store did not commit within {} s",
                        LAST_COMMIT_WAIT.as_secs()
                    ));
                }
                Err(RecvTimeoutError::Disconnected) => {
                    return Err("the store's writer has stopped".into());
                }
            };
            self.committed(commit, fanout, seq)?;
        }
        Ok(())
    }
}
