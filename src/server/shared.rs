//! A room shared with other hosts through Redis (`host --redis`): the counterpart of
//! `durable.rs`.
//!
//! A shared room does not number its public events: it *proposes* them. Each gets a host-local
//! `mid` and goes into the batch being gathered; one batch is in flight to the appender at a
//! time (the next gathers meanwhile: the store's group commit, in Redis). Nothing proposed is
//! shown to anyone yet. Every public event, ours or another host's, is fanned out when the
//! reader hands it back from the stream, in the stream's order, with the stream's `seq`: so
//! every client on every host sees one sequence, and a sender's `ack` (sent when its own entry
//! comes back, with that entry's `seq`) never runs ahead of the events before it.
//!
//! What the room keeps here per proposal ([`Pending`]) is what it must do when the entry comes
//! back: skip the sender in the broadcast, acknowledge the request, record its resend key.

use std::collections::HashMap;
use std::net::IpAddr;

use crossbeam_channel::Receiver;

use super::asked::Claiming;
use super::asked::{Listing, Posting, RoomTags};
use super::claims::Claims;
use super::conn::ConnRef;
use super::gaps::{Gaps, Held};
use super::lists::{self, Lists};
use super::outage::{Outage, Turned};
use crate::bridge::append::{Appended, Batch, Outgoing};
use crate::bridge::attach::Attached;
use crate::bridge::calls::{Answer, Call, Claimed};
use crate::bridge::entry::{self, Entry};
use crate::bridge::heartbeat::Pulse;
use crate::bridge::reader::Arrival;
use crate::protocol::parse::Refusal;
use crate::protocol::wire::MessageKey;
use crate::protocol::{ErrorCode, Event, Id, Mode};
use crate::store::GapFilled;

/// Proposals not yet back from the stream beyond which the room stops taking requests until
/// Redis catches up (the shards then stop reading, and TCP slows the clients): what the host
/// holds for a stalled Redis stays bounded.
const MAX_PENDING: usize = 65_536;

/// The most events one batch carries to the appender (one call of the append script, one entry
/// of the stream); more wait for the next.
const MAX_BATCH: usize = crate::bridge::entry::MAX_ENTRY_EVENTS as usize;

/// The most bytes of event JSON one batch carries (but always at least one event): an entry of
/// the stream is one Redis value, read whole by every host.
const MAX_BATCH_BYTES: usize = 1024 * 1024;

/// Whom to acknowledge when a proposal comes back.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct AckTo {
    pub(crate) conn: ConnRef,
    pub(crate) mode: Mode,
    pub(crate) id: Option<Id>,
    /// The request's resend key, recorded with the entry's seq (see `dedupe.rs`).
    pub(crate) key: Option<MessageKey>,
}

/// What the room does when one of its proposals comes back from the stream.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Pending {
    /// The member the broadcast skips (a sender sees its message through its ack).
    pub(crate) skip: Option<ConnRef>,
    pub(crate) ack: Option<AckTo>,
    /// For a local join: the newcomer's address, for the console.
    pub(crate) peer: Option<IpAddr>,
    /// For a kick or a ban: the members it puts out once they have heard it.
    pub(crate) put_out: Vec<ConnRef>,
}

/// An event back from the stream, with what the room must do for it.
#[derive(Debug)]
pub(crate) struct Back {
    pub(crate) seq: u64,
    /// The event, its `seq` the stream's.
    pub(crate) event: Event,
    /// `Some` for one of ours still pending: what to do with it.
    pub(crate) pending: Option<Pending>,
}

/// The room's side of the bridge-calls thread's answers to claims.
pub(crate) type ClaimAnswer = Claimed<Claiming>;

/// The room's side of all the bridge-calls thread's answers.
pub(crate) type CallAnswer = Answer<RoomTags>;

/// The room's side of its bridge: calls answered with the room's tags, gap reads with a
/// [`Held`] newcomer.
pub(crate) type Attachment = Attached<RoomTags, Held>;

pub(crate) struct Shared {
    attached: Attachment,
    /// Who waits for the room-wide member list.
    lists: Lists,
    /// Newcomers held while their `since` gap is read from the stream.
    gaps: Gaps,
    /// Nicknames claimed across hosts, and the newcomers held for them.
    claims: Claims,
    /// The last mid handed out.
    last_mid: u64,
    /// The batch being gathered.
    gathering: Vec<Outgoing>,
    /// Whether a batch is with the appender.
    in_flight: bool,
    /// By mid: what to do when each proposal comes back.
    pending: HashMap<u64, Pending>,
    /// The mids of the pending proposals that carry a resend key: a resend of one of them
    /// (its sender lost the connection before the ack) waits for the same entry.
    keyed: HashMap<MessageKey, u64>,
    /// Whether Redis is lost to the reader or the appender.
    outage: Outage,
}

impl Shared {
    /// The room shared through `attached`, of at most `most` members on all hosts together.
    pub(crate) fn new(attached: Attachment, most: usize) -> Shared {
        Shared {
            claims: Claims::new(attached.calls.clone(), most),
            lists: Lists::default(),
            gaps: Gaps::new(attached.gap_reads.clone()),
            attached,
            last_mid: 0,
            gathering: Vec::new(),
            in_flight: false,
            pending: HashMap::new(),
            keyed: HashMap::new(),
            outage: Outage::default(),
        }
    }

    /// The reader's hand-overs, the appender's reports, the heartbeat's pulses and the answers
    /// to claims, for the room to select on.
    pub(crate) fn channels(
        &self,
    ) -> (
        Receiver<Arrival>,
        Receiver<Appended>,
        Receiver<Pulse>,
        Receiver<CallAnswer>,
    ) {
        (
            self.attached.arrivals.clone(),
            self.attached.appended.clone(),
            self.attached.pulses.clone(),
            self.attached.claimed.clone(),
        )
    }

    /// The room's nickname claims.
    pub(crate) fn claims(&mut self) -> &mut Claims {
        &mut self.claims
    }

    /// Keeps the room's bans and topic (`json`, as of the event numbered `seq`) in Redis for
    /// hosts starting later, unless newer ones are kept there. Dropped when the bridge-calls
    /// thread is busy: the other hosts write them too, and the next change writes them whole.
    pub(crate) fn save_state(&mut self, seq: u64, json: String) {
        let _ = self.attached.calls.try_send(Call::SaveState { seq, json });
    }

    /// The newcomers held for a gap read.
    pub(crate) fn gaps(&mut self) -> &mut Gaps {
        &mut self.gaps
    }

    /// The gaps read from the stream, for the room to select on.
    pub(crate) fn gaps_filled(&self) -> Receiver<GapFilled<Held>> {
        self.attached.gaps_filled.clone()
    }

    /// Asks for the room's members on every host; the answer comes with `listing`. `Err` when
    /// the bridge-calls thread cannot take another call now.
    pub(crate) fn list(&mut self, listing: Listing) -> Result<(), Refusal> {
        let refused = || busy("read the member list");
        match self.lists.add(listing) {
            Ok(None) => Ok(()),
            Ok(Some(batch)) => self.ask_lists(batch).map_err(|_| refused()),
            Err(_) => Err(refused()),
        }
    }

    /// A read of the member list was answered: the listings that waited meanwhile are asked
    /// for. Returns those that could not be (to be told so).
    pub(crate) fn lists_answered(&mut self) -> Vec<Listing> {
        match self.lists.answered() {
            Some(batch) => self.ask_lists(batch).err().unwrap_or_default(),
            None => Vec::new(),
        }
    }

    /// Asks the bridge-calls thread to read the member list for `batch`; `Err(batch)` when it
    /// cannot take another call now.
    fn ask_lists(&mut self, batch: Vec<Listing>) -> Result<(), Vec<Listing>> {
        let call = Call::List {
            names_up_to: lists::names_up_to(&batch),
            tag: batch,
        };
        self.attached.calls.try_send(call).map_err(|refused| {
            self.lists.not_asked();
            match refused.into_inner() {
                Call::List { tag, .. } => tag,
                _ => Vec::new(),
            }
        })
    }

    /// Posts the letter `event` to the member of another host called `to`; the answer comes
    /// with `posting`. `Err` when the bridge-calls thread cannot take another call now.
    pub(crate) fn post(
        &mut self,
        to: &str,
        event: &Event,
        posting: Posting,
    ) -> Result<(), Refusal> {
        self.last_mid += 1;
        let call = Call::Letter {
            to: to.to_string(),
            mid: self.last_mid,
            event: entry::event_json(event),
            tag: posting,
        };
        self.attached
            .calls
            .try_send(call)
            .map_err(|_| busy("deliver private messages to other hosts"))
    }

    /// True when so much waits for Redis that the room should take no more requests.
    pub(crate) fn is_backed_up(&self) -> bool {
        self.pending.len() >= MAX_PENDING
    }

    /// True while Redis is lost: new messages are refused.
    pub(crate) fn is_down(&self) -> bool {
        self.outage.is_down()
    }

    /// Proposes a public event (its `seq` is ignored: the stream gives it one).
    pub(crate) fn propose(&mut self, event: &Event, pending: Pending) {
        self.last_mid += 1;
        self.gathering.push(Outgoing {
            mid: self.last_mid,
            event: entry::event_json(event),
        });
        if let Some(key) = pending.ack.as_ref().and_then(|ack| ack.key.clone()) {
            self.keyed.insert(key, self.last_mid);
        }
        self.pending.insert(self.last_mid, pending);
    }

    /// A resend of a proposal still on its way (`key`): from now on its ack goes to `ack`.
    /// False when no pending proposal has that key.
    pub(crate) fn ack_resend(&mut self, key: &MessageKey, ack: AckTo) -> bool {
        let pending = self
            .keyed
            .get(key)
            .and_then(|mid| self.pending.get_mut(mid));
        match pending {
            Some(pending) => {
                pending.skip = Some(ack.conn);
                pending.ack = Some(ack);
                true
            }
            None => false,
        }
    }

    /// The end of a room turn: with no batch in flight, what gathered goes to the appender,
    /// its events to be numbered after `last_seq`. `Err` when the appender has stopped.
    pub(crate) fn end_turn(&mut self, last_seq: u64) -> Result<(), String> {
        if self.in_flight || self.gathering.is_empty() {
            return Ok(());
        }
        // The oldest first, at most a batch's worth: one script call, of bounded size.
        let take = batch_len(&self.gathering);
        let batch = Batch {
            events: self.gathering.drain(..take).collect(),
            floor: last_seq,
        };
        // The appender takes a batch only after reporting the last one: this never waits.
        self.attached
            .batches
            .send(batch)
            .map_err(|_| "the bridge's appender has stopped".to_string())?;
        self.in_flight = true;
        Ok(())
    }

    /// The appender's report on the batch in flight. A batch that failed stays in flight (the
    /// appender tries it again until it gets through) and its proposals pending. Returns what
    /// the members are to hear, if anything changed.
    pub(crate) fn appended(&mut self, report: Appended) -> Option<Turned> {
        match report {
            Appended::Done => {
                self.in_flight = false;
                self.outage.appended()
            }
            Appended::Failed { why } => self.outage.append_failed(why),
        }
    }

    /// The reader lost Redis (`why`), or (`None`) is reading again.
    pub(crate) fn reader(&mut self, lost: Option<String>) -> Option<Turned> {
        match lost {
            Some(why) => self.outage.reader_lost(why),
            None => self.outage.reader_back(),
        }
    }

    /// Entries back from the stream, after the room's last `seq`: each with what to do for it.
    /// An entry at or before `last_seq` (which the reader never hands over twice) is dropped.
    pub(crate) fn arrived(&mut self, entries: Vec<Entry>, last_seq: u64) -> Vec<Back> {
        let mut back = Vec::with_capacity(entries.len());
        let mut last = last_seq;
        for entry in entries {
            if entry.seq <= last {
                continue;
            }
            last = entry.seq;
            let remote = entry.host != self.attached.host;
            let pending = (!remote).then(|| self.pending.remove(&entry.mid)).flatten();
            if let Some(key) = pending
                .as_ref()
                .and_then(|pending| pending.ack.as_ref()?.key.as_ref())
            {
                self.keyed.remove(key);
            }
            back.push(Back {
                seq: entry.seq,
                event: entry.event,
                pending,
            });
        }
        back
    }

    /// Stops the bridge's threads.
    pub(crate) fn detach(self) {
        // The claims' and gaps' senders too, or their threads would wait for more.
        drop(self.claims);
        drop(self.gaps);
        self.attached.detach();
    }
}

/// How many of the oldest `gathered` events make the next batch: at most [`MAX_BATCH`] of them
/// and [`MAX_BATCH_BYTES`] of their JSON, and at least one.
fn batch_len(gathered: &[Outgoing]) -> usize {
    let mut bytes = 0;
    let fit = gathered
        .iter()
        .take(MAX_BATCH)
        .take_while(|outgoing| {
            bytes += outgoing.event.len();
            bytes <= MAX_BATCH_BYTES
        })
        .count();
    fit.max(1).min(gathered.len())
}

/// The refusal when the bridge-calls thread cannot take another call to `what`.
fn busy(what: &str) -> Refusal {
    Refusal::new(
        ErrorCode::Busy,
        format!("the room is too busy to {what} now; try again in a moment"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gathered(sizes: &[usize]) -> Vec<Outgoing> {
        sizes
            .iter()
            .zip(1..)
            .map(|(&size, mid)| Outgoing {
                mid,
                event: "x".repeat(size),
            })
            .collect()
    }

    #[test]
    fn a_batch_is_bounded_in_events_and_in_bytes_and_never_empty() {
        assert_eq!(batch_len(&gathered(&[10; 3])), 3);
        assert_eq!(batch_len(&gathered(&[10; MAX_BATCH + 5])), MAX_BATCH);
        let half = MAX_BATCH_BYTES / 2;
        assert_eq!(batch_len(&gathered(&[half, half, 1])), 2);
        // An event larger than a batch's bytes goes alone.
        assert_eq!(batch_len(&gathered(&[MAX_BATCH_BYTES + 1, 1])), 1);
        assert_eq!(batch_len(&gathered(&[])), 0);
    }
}
