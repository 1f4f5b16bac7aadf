//! The room: who is here, under which nickname, and the order of events. One thread owns it.
//!
//! The room never touches a socket and never waits for a shard. It takes the shards' reports
//! (see `report.rs`) as they come, decides (admit or refuse a nickname, number a message, route a
//! private message to the recipient's shard), and hands its turn's events to the [`Fanout`], which
//! renders each broadcast once per dialect and sends the same bytes to every shard when the turn
//! ends. Its work per event is O(shards), never O(members): a shard appends the turn to its log
//! and each of its members' cursors catches up from there. Sequence numbers come from here
//! alone, so every member on every shard sees one and the same order; in a room shared across
//! hosts (`--redis`) they come from the room's Redis stream instead, and the room fans out public
//! events as the stream hands them back (see `shared.rs`).

mod across_hosts;
mod moderation;
mod state_changes;

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, select};

use super::activity::{Activity, Recorder};
use super::addresses::AddressKey;
use super::asked::{Claiming, Renaming};
use super::away::Away;
use super::bans::Bans;
use super::budget::QueueBudget;
use super::conn::ConnRef;
use super::console::{ConsoleLink, ConsoleRequest};
use super::dedupe::{Dedupe, Seen};
use super::durable::Durable;
use super::fanout::{Fanout, OrderKind, Rendered};
use super::gaps::{Gaps, Held};
use super::gate::{Denied, Door, Gate, Key};
use super::history::{History, Older};
use super::mutes::Mutes;
use super::names::Names;
use super::operators::Operators;
use super::outage::{self, Turned};
use super::report::{Newcomer, ShardReport};
use super::room_state_file::{RoomState, StateFile};
use super::searches::{self, Asker};
use super::session::{self, Step};
use super::shared::{AckTo, Back, ClaimAnswer, Pending, Shared};
use super::shutdown::Stopper;
use crate::bridge::append::Appended;
use crate::bridge::heartbeat::Pulse;
use crate::bridge::nicks::Claim;
use crate::bridge::reader::Arrival;
use crate::bridge::roster::Roster;
use crate::nick::fold;
use crate::password::Digest;
use crate::protocol::parse::{Refusal, Replay, Request};
use crate::protocol::wire::{LeaveReason, Limits, MessageKey, MessageKind, TopicInfo, VERSION};
use crate::protocol::{ErrorCode, Event, Id, Mode, Timestamp, plain};
use crate::store::{Commit, Found, GapFilled, Job};

/// Whom the room's messages typed at the host's console are from: a reserved nickname (see
/// `nick.rs`), so no member can pass for the host.
const CONSOLE_NICK: &str = "host";

/// Report batches the room takes in one turn before it sends the turn out: enough to gather a
/// busy moment into few dispatches, few enough that nobody waits long for the first of them.
const BATCHES_PER_TURN: usize = 64;

/// What the room is, as told to everyone who joins, and its limits.
pub(crate) struct RoomProfile {
    pub(crate) name: String,
    pub(crate) motd: Option<String>,
    pub(crate) limits: Limits,
    /// Above this many members, joins and leaves are summed up (see `Presence`).
    pub(crate) quiet_above: usize,
    /// The password's digest, for a room that has one.
    pub(crate) password: Option<Digest>,
    /// The operator password's digest (`--op-password-file`), for a room that has one.
    pub(crate) op_password: Option<Digest>,
    /// Anyone may set the topic, not only operators (`--open-topic`).
    pub(crate) open_topic: bool,
}

/// How often a big room hears the sum of its joins and leaves.
const PRESENCE_EVERY: Duration = Duration::from_secs(2);

/// Joins and leaves not yet announced in a big room.
///
/// Announcing every join to everyone makes a room of N people cost N^2 messages to fill, so a
/// connect storm would take the host quadratic time. Above `quiet_above` members the room keeps
/// count instead, and announces the sum at most every [`PRESENCE_EVERY`]: filling a room becomes
/// linear, and nobody's screen scrolls away under a thousand join lines.
struct Presence {
    due: Instant,
    joined: u64,
    left: u64,
}

/// Joins and leaves announced one by one within [`CHURN_WINDOW`] beyond which the room sums
/// them up like a big room's: a client connecting, joining and leaving in a loop would otherwise
/// put two lines a turn on every screen and in every transcript.
const CHURN_LIMIT: usize = 20;
const CHURN_WINDOW: Duration = Duration::from_secs(10);

/// When the joins and leaves lately announced one by one were.
#[derive(Default)]
struct Churn {
    recent: std::collections::VecDeque<Instant>,
}

impl Churn {
    /// True when so many were announced lately that the next ones are summed up.
    fn is_high(&mut self, now: Instant) -> bool {
        while self
            .recent
            .front()
            .is_some_and(|&at| now.saturating_duration_since(at) > CHURN_WINDOW)
        {
            self.recent.pop_front();
        }
        self.recent.len() >= CHURN_LIMIT
    }

    fn announced(&mut self, now: Instant) {
        self.recent.push_back(now);
    }
}

/// Someone in the room.
struct Member {
    conn: ConnRef,
    /// Where it connected from (a nickname it gives up is held for that address).
    address: AddressKey,
    /// Its very address (an IPv4 address carried in IPv6 as the IPv4 address): what bans cover.
    ip: IpAddr,
    nick: String,
    mode: Mode,
    /// False for a member that asked not to be announced (a sender that only posts): the room
    /// says nothing when it joins or leaves. It still holds its nickname and a place in the room,
    /// and `/list` shows it, so a taken nickname is never a mystery.
    announced: bool,
    /// Set by its shard while it is not reading (see [`Room::private`]).
    stalled: Arc<AtomicBool>,
}

/// A stored room's links to its store (`host --store`).
pub(crate) struct RoomStore {
    /// The turns held until committed.
    pub(crate) durable: Durable,
    /// Searches for the search thread, and its answers.
    pub(crate) jobs: Sender<Job<Asker>>,
    pub(crate) found: Receiver<Found<Asker>>,
    /// Newcomers held while the store reads what they missed, and the reads' answers.
    pub(crate) gaps: Gaps,
    pub(crate) filled: Receiver<GapFilled<Held>>,
    /// Pressed when the store fails, so the whole host stops (the acceptor too).
    pub(crate) stopper: Stopper,
    /// The last number the room handed out before this start: it goes on after it.
    pub(crate) last_seq: u64,
    /// The stored messages' resend keys with their seq, oldest first: the dedupe window a
    /// restarted room starts with (emptied into it when the room is made).
    pub(crate) taken: Vec<(MessageKey, u64)>,
}

pub(crate) struct Room {
    profile: RoomProfile,
    /// How many members there are, for the shards to read (a greeting says when the room is
    /// full). Only the room writes it.
    headcount: Arc<AtomicUsize>,
    /// By connection serial number.
    members: HashMap<u64, Member>,
    /// The nicknames in use and just given up, for uniqueness and private messages.
    names: Names,
    /// The room's public sequence: every member sees every number.
    seq: u64,
    /// Private messages' own sequence, so they leave no gaps in the public one (which would
    /// tell everyone how many were sent, and when).
    private_seq: u64,
    recorder: Recorder,
    fanout: Fanout,
    presence: Option<Presence>,
    churn: Churn,
    /// For a room with a password: checks it, and locks out addresses that keep guessing.
    gate: Option<Gate>,
    /// The host-wide budget for bytes queued for single clients (see `budget.rs`).
    budget: QueueBudget,
    /// Bytes of private messages routed this turn to members not reading, which their shards
    /// have not charged to the budget yet: counted so one turn cannot route past the budget.
    routed_to_stalled: usize,
    /// The messages taken with a resend key, so a resend is taken once (see `dedupe.rs`).
    dedupe: Dedupe,
    /// The last public messages, replayed to newcomers (`--history`).
    history: History,
    /// With `--store`: where messages are kept, and what holds turns until they are.
    store: Option<RoomStore>,
    /// The members who are operators, and the operator password (see `room/moderation.rs`).
    operators: Operators,
    /// The addresses refused entry.
    bans: Bans,
    /// Who may read but not speak.
    mutes: Mutes,
    /// Who is away.
    away: Away,
    /// The room's topic.
    topic: Option<TopicInfo>,
    /// Where the bans and the topic are kept across restarts, when the host has a data
    /// directory.
    state_file: Option<StateFile>,
    /// The host's console, when it runs in a terminal (see `console.rs`).
    console: Option<ConsoleLink>,
    /// With `--redis`: the room's events go through the shared stream (see `shared.rs`).
    shared: Option<Shared>,
    /// In a shared room, the resend key of the request being carried out: it is recorded when
    /// the request's event comes back from the stream with its seq.
    asking_key: Option<MessageKey>,
    /// In a shared room, the room on every host as the claim of the newcomer being admitted
    /// read it: for its welcome and its join's count.
    arriving_roster: Option<Roster>,
}

impl Room {
    pub(crate) fn new(
        profile: RoomProfile,
        headcount: Arc<AtomicUsize>,
        recorder: Recorder,
        fanout: Fanout,
        budget: QueueBudget,
        history: History,
        mut store: Option<RoomStore>,
    ) -> Self {
        let mut dedupe = Dedupe::default();
        if let Some(store) = &mut store {
            for (key, seq) in std::mem::take(&mut store.taken) {
                dedupe.record(key, Some(seq));
            }
        }
        Room {
            gate: profile.password.map(|digest| Gate::new(Door::Room, digest)),
            operators: Operators::new(profile.op_password),
            bans: Bans::default(),
            mutes: Mutes::default(),
            away: Away::default(),
            topic: None,
            state_file: None,
            console: None,
            shared: None,
            asking_key: None,
            arriving_roster: None,
            profile,
            headcount,
            members: HashMap::new(),
            names: Names::default(),
            seq: store.as_ref().map_or(0, |store| store.last_seq),
            private_seq: 0,
            recorder,
            fanout,
            presence: None,
            churn: Churn::default(),
            budget,
            routed_to_stalled: 0,
            dedupe,
            history,
            store,
        }
    }

    /// The room's bans and topic as `saved` (in `file`, where changes are written).
    pub(crate) fn with_state(mut self, file: Option<StateFile>, saved: RoomState) -> Self {
        self.bans = Bans::from_saved(saved.bans, Timestamp::now());
        self.topic = saved.topic;
        self.state_file = file;
        self
    }

    /// The room is shared through Redis: its events go through the stream, whose last `seq`
    /// at start was `last_seq`.
    pub(crate) fn with_shared(mut self, shared: Option<Shared>, last_seq: u64) -> Self {
        self.seq = self.seq.max(last_seq);
        self.shared = shared;
        self
    }

    /// The room takes commands from the host's console over `link`.
    pub(crate) fn with_console(mut self, link: Option<ConsoleLink>) -> Self {
        self.console = link;
        self
    }

    /// Runs the room until `stop` is pressed (or every shard has gone), then closes it. Returns
    /// why the room closed early, when its store failed.
    pub(crate) fn run(
        mut self,
        reports: &Receiver<Vec<ShardReport>>,
        stop: &Receiver<()>,
    ) -> Option<String> {
        let (commits, found, mut filled) = match &self.store {
            Some(store) => (
                store.durable.commits().clone(),
                store.found.clone(),
                store.filled.clone(),
            ),
            None => (
                crossbeam_channel::never(),
                crossbeam_channel::never(),
                crossbeam_channel::never(),
            ),
        };
        // A shared room reads its gaps from the stream (it has no store: they exclude each other).
        if let Some(shared) = &self.shared {
            filled = shared.gaps_filled();
        }
        let (arrivals, appended, pulses, claimed) = match &self.shared {
            Some(shared) => shared.channels(),
            None => (
                crossbeam_channel::never(),
                crossbeam_channel::never(),
                crossbeam_channel::never(),
                crossbeam_channel::never(),
            ),
        };
        let paused = crossbeam_channel::never();
        let console = match &self.console {
            Some(link) => link.requests.clone(),
            None => crossbeam_channel::never(),
        };
        loop {
            // The next presence summary, or the next write of the bans and topic.
            let due = [
                self.presence.as_ref().map(|presence| presence.due),
                self.state_file.as_ref().and_then(StateFile::due),
            ];
            let timer = match due.into_iter().flatten().min() {
                Some(due) => crossbeam_channel::at(due),
                None => crossbeam_channel::never(),
            };
            // A store far behind: requests wait in the shards (and TCP) until it catches up.
            let backed_up = self
                .store
                .as_ref()
                .is_some_and(|store| store.durable.is_backed_up(self.seq))
                || self.shared.as_ref().is_some_and(Shared::is_backed_up);
            let requests = if backed_up { &paused } else { reports };
            let mut commit = None;
            let stopping = select! {
                recv(requests) -> batch => match batch {
                    Ok(batch) => {
                        self.take(batch);
                        false
                    }
                    Err(_) => return self.close_stored(None),
                },
                recv(stop) -> _ => true,
                recv(timer) -> _ => false,
                recv(commits) -> report => {
                    commit = Some(report.unwrap_or_else(|_| {
                        Commit::Failed("the store's writer has stopped".into())
                    }));
                    false
                },
                recv(found) -> answer => {
                    if let Ok(answer) = answer {
                        self.answer(answer);
                    }
                    false
                },
                recv(filled) -> read => {
                    if let Ok(read) = read {
                        self.gap_filled(read);
                    }
                    false
                },
                recv(console) -> request => {
                    if let Ok(request) = request {
                        self.console_request(request);
                    }
                    false
                },
                recv(arrivals) -> arrival => {
                    if let Ok(arrival) = arrival {
                        self.arrival(arrival);
                    }
                    false
                },
                recv(appended) -> report => {
                    if let Ok(report) = report {
                        self.appended(report);
                    }
                    false
                },
                recv(pulses) -> pulse => {
                    if let Ok(pulse) = pulse {
                        self.pulse(pulse);
                    }
                    false
                },
                recv(claimed) -> answer => {
                    if let Ok(answer) = answer {
                        self.called(answer);
                    }
                    false
                },
            };
            if !backed_up {
                for batch in reports.try_iter().take(BATCHES_PER_TURN) {
                    self.take(batch);
                }
            }
            if self
                .presence
                .as_ref()
                .is_some_and(|p| p.due <= Instant::now())
            {
                self.announce_presence();
            }
            self.write_state_if_due(false);
            // Whatever the turn did (reports, a held newcomer admitted, the console), the shards
            // read the headcount once it is over.
            self.headcount.store(self.members.len(), Ordering::Relaxed);
            if stopping {
                return self.close_stored(None);
            }
            if let Err(why) = self.end_turn(commit) {
                return self.close_stored(Some(why));
            }
        }
    }

    /// Sends the turn out: at once, or with a store once it is committed (see `durable.rs`).
    fn end_turn(&mut self, commit: Option<Commit>) -> Result<(), String> {
        if let Some(shared) = &mut self.shared
            && let Err(why) = shared.end_turn(self.seq)
        {
            self.recorder.record(Activity::Warning { text: why });
        }
        let posted = match &mut self.store {
            None => {
                self.fanout.dispatch(false);
                true
            }
            Some(store) => match commit {
                Some(commit) => store
                    .durable
                    .committed(commit, &mut self.fanout, self.seq)?,
                None => store.durable.end_turn(&mut self.fanout, self.seq)?,
            },
        };
        if posted {
            self.routed_to_stalled = 0;
        }
        Ok(())
    }

    /// Closes the room: with a store, once what was numbered is committed and sent, or, when the
    /// store `failed` (now or on this last commit), without what it could not commit, telling
    /// everyone why. Returns the failure.
    fn close_stored(mut self, failed: Option<String>) -> Option<String> {
        let failed = match (failed, &mut self.store) {
            (Some(why), _) => Some(why),
            (None, Some(store)) => store.durable.finish(&mut self.fanout, self.seq).err(),
            (None, None) => None,
        };
        let reason = match &failed {
            Some(why) => {
                // What was not committed is never sent: no ack promises what the disk lacks.
                drop(self.fanout.seal(false));
                self.recorder.record(Activity::Note {
                    text: format!("the room's store failed ({why}); closing the room"),
                    console: true,
                });
                if let Some(store) = &self.store {
                    store.stopper.stop();
                }
                "the host cannot write its store"
            }
            None => "the host is shutting down",
        };
        self.close(reason);
        self.fanout.dispatch(true);
        if let Some(shared) = self.shared.take() {
            shared.detach();
        }
        failed
    }

    /// What the bridge's reader hands over: events of the room (ours and other hosts'), in
    /// the stream's order, fanned out now.
    fn arrival(&mut self, arrival: Arrival) {
        let entries = match arrival {
            Arrival::Events(entries) => entries,
            Arrival::Letters(letters) => return self.letters(letters),
            Arrival::Lost(why) => {
                self.recorder.record(Activity::Warning {
                    text: format!("lost Redis, reconnecting: {why}"),
                });
                let turned = self.shared.as_mut().and_then(|s| s.reader(Some(why)));
                return self.outage(turned);
            }
            Arrival::Back => {
                self.recorder.record(Activity::Note {
                    text: "Redis is back; the room goes on where it stopped".into(),
                    console: true,
                });
                let turned = self.shared.as_mut().and_then(|s| s.reader(None));
                return self.outage(turned);
            }
        };
        let mut good = Vec::with_capacity(entries.len());
        for entry in entries {
            match entry {
                Ok(entry) => good.push(entry),
                Err(bad) => self.recorder.record(Activity::Warning {
                    text: bad.to_string(),
                }),
            }
        }
        let Some(shared) = &mut self.shared else {
            return;
        };
        for back in shared.arrived(good, self.seq) {
            self.shown(back);
        }
    }

    /// An event back from the stream, numbered there: carried out like any room event.
    fn shown(&mut self, back: Back) {
        let Back {
            seq,
            event,
            pending,
        } = back;
        self.seq = seq;
        self.carry_out(event, pending.unwrap_or_default());
    }

    /// Sends a room event: a shared room proposes it to the stream and carries it out when it
    /// comes back, numbered there (see `shared.rs`); otherwise it is kept (with a store) and
    /// carried out at once.
    fn emit(&mut self, event: Event, pending: Pending) {
        if let Some(shared) = &mut self.shared {
            return shared.propose(&event, pending);
        }
        if let Some(store) = &mut self.store {
            store.durable.keep(&event);
        }
        self.carry_out(event, pending);
    }

    /// What a room event, numbered the last seq, does: it is remembered (a public message),
    /// broadcast (but to the member whose request it carries out, who gets an ack with its seq
    /// instead), the members it puts out are put out once they have heard it, and it is
    /// recorded. A ban, an unban or a topic changes the room's state here (in a shared room on
    /// every host, in the stream's order: see `state_changes.rs`).
    fn carry_out(&mut self, event: Event, pending: Pending) {
        let seq = self.seq;
        let Pending {
            skip,
            ack,
            peer,
            put_out,
        } = pending;
        self.history.remember(&event);
        self.fanout.broadcast(&event, skip);
        for conn in put_out {
            if self.member(conn).is_some() {
                self.put_out(conn);
            }
        }
        // After the broadcast: a member a ban puts out hears it first.
        if self.apply_change(&event) {
            self.share_state(seq);
        }
        match peer {
            Some(peer) => self.recorder.record(Activity::Arrival { event, peer }),
            None => self.recorder.record(Activity::Room(event)),
        }
        if let Some(AckTo {
            conn,
            mode,
            id,
            key,
        }) = ack
        {
            if self.member(conn).is_some() {
                self.ack(conn, mode, id, Some(seq));
            }
            if let Some(key) = key {
                self.dedupe.record(key, Some(seq));
            }
        }
    }

    /// The appender's report on a batch.
    fn appended(&mut self, report: Appended) {
        let Some(shared) = &mut self.shared else {
            return;
        };
        if let Appended::Failed { why } = &report {
            self.recorder.record(Activity::Warning {
                text: format!("could not append to the room's stream, trying again: {why}"),
            });
        }
        let turned = shared.appended(report);
        self.outage(turned);
    }

    /// The shared room went down or came back (`turned`): its members are told.
    fn outage(&mut self, turned: Option<Turned>) {
        if let Some(turned) = turned {
            self.fanout.broadcast(&turned.event(), None);
        }
    }

    /// News from the heartbeat thread, for the console.
    fn pulse(&mut self, pulse: Pulse) {
        let text = match pulse {
            Pulse::Reaped(reaped) => {
                for host in reaped {
                    let text = host.console_text();
                    self.recorder.record(Activity::Warning { text });
                }
                return;
            }
            Pulse::WasReaped => {
                let members = self.members.len();
                self.let_reaped_go();
                format!(
                    "other hosts found this one dead (it stalled longer than its heartbeat, or \
                     Redis lost the room's keys) and announced its members as gone: its {members} \
                     member(s) were let go to come back"
                )
            }
            Pulse::Failed(why) => format!("the heartbeat failed: {why}"),
        };
        self.recorder.record(Activity::Warning { text });
    }

    fn take(&mut self, batch: Vec<ShardReport>) {
        self.take_reports(batch);
    }

    fn take_reports(&mut self, batch: Vec<ShardReport>) {
        for report in batch {
            match report {
                ShardReport::Hello(newcomer) => self.hello(newcomer),
                ShardReport::Unlock {
                    conn,
                    mode,
                    attempt,
                    peer,
                } => self.unlock(conn, mode, attempt, peer),
                ShardReport::Asked {
                    conn,
                    id,
                    request,
                    key,
                } => self.request_once(conn, id, request, key),
                ShardReport::Refused { conn, refusal } => {
                    if let Some(member) = self.member(conn) {
                        let (conn, mode) = (member.conn, member.mode);
                        self.fanout.send(conn, mode, &session::error_event(refusal));
                    }
                }
                ShardReport::Gone { conn, reason } => {
                    if self.member(conn).is_some() {
                        self.remove(conn, reason);
                    } else {
                        if let Some(gaps) = self.gaps() {
                            gaps.forget(conn);
                        }
                        if let Some(shared) = &mut self.shared {
                            shared.claims().forget(conn);
                        }
                    }
                }
            }
        }
    }

    /// The member on `conn`, if it is one (it may have left while its report was on its way).
    fn member(&self, conn: ConnRef) -> Option<&Member> {
        self.members
            .get(&conn.serial())
            .filter(|member| member.conn == conn)
    }

    /// True when joins and leaves are summed up rather than announced one by one.
    fn is_big(&self) -> bool {
        self.members.len() > self.profile.quiet_above
    }

    /// Counts a join or leave towards the next summary.
    fn tally(&mut self, joined: u64, left: u64) {
        let presence = self.presence.get_or_insert_with(|| Presence {
            due: Instant::now() + PRESENCE_EVERY,
            joined: 0,
            left: 0,
        });
        presence.joined += joined;
        presence.left += left;
    }

    /// Announces the joins and leaves counted since the last summary (in a shared room, once
    /// the room-wide headcount is read: see `room/across_hosts.rs`).
    fn announce_presence(&mut self) {
        let Some(presence) = self.presence.take() else {
            return;
        };
        let (joined, left) = (presence.joined, presence.left);
        if self.count_then_announce(joined, left) {
            return;
        }
        self.publish_presence(joined, left, self.members.len());
    }

    /// Announces `joined` and `left` in a room of `count` members.
    fn publish_presence(&mut self, joined: u64, left: u64, count: usize) {
        let event = Event::Presence {
            seq: self.next_seq(),
            ts: Timestamp::now(),
            joined,
            left,
            count,
        };
        self.publish(event, None);
    }

    /// The next public seq; 0 in a shared room, whose stream numbers the event when it is
    /// published (see [`Room::publish`]).
    fn next_seq(&mut self) -> u64 {
        if self.shared.is_some() {
            return 0;
        }
        self.seq += 1;
        self.seq
    }

    /// Sends a room event to every member but `sender` (see [`Room::emit`]).
    fn publish(&mut self, event: Event, sender: Option<ConnRef>) {
        let pending = Pending {
            skip: sender,
            ..Pending::default()
        };
        self.emit(event, pending);
    }

    /// Publishes a kick or a ban, then puts out the members it names (`put_out`): they hear it
    /// before their connections close.
    fn publish_putting_out(&mut self, event: Event, put_out: Vec<ConnRef>) {
        let pending = Pending {
            put_out,
            ..Pending::default()
        };
        self.emit(event, pending);
    }

    /// Publishes `event` (to every member but `sender`), then acknowledges `ack`'s request with
    /// its seq, and records the request's resend key in a shared room (a local room records it
    /// when the request is done: see [`Room::request_once`]).
    fn publish_acking(&mut self, event: Event, sender: Option<ConnRef>, ack: AckTo) {
        let ack = AckTo {
            key: self.asking_key.take(),
            ..ack
        };
        let pending = Pending {
            skip: sender,
            ack: Some(ack),
            ..Pending::default()
        };
        self.emit(event, pending);
    }

    /// Who is here, with the operators and those away among them.
    fn users_event(&self, id: Option<Id>) -> Event {
        self.users_event_of(self.users(), id)
    }

    /// `users` (this host's members and, in a shared room, other hosts'), with the operators
    /// and those away among this host's.
    fn users_event_of(&self, users: Vec<String>, id: Option<Id>) -> Event {
        let (operators, away) = self.roles();
        Event::Users {
            users,
            id,
            operators,
            away,
        }
    }

    /// Everyone's nickname, sorted ignoring case.
    fn users(&self) -> Vec<String> {
        let mut users: Vec<String> = self.members.values().map(|m| m.nick.clone()).collect();
        users.sort_by_cached_key(|nick| fold(nick));
        users
    }

    /// Checks a plain-mode user's password: it may give its nickname next, or it is told why
    /// not and let go.
    fn unlock(&mut self, conn: ConnRef, mode: Mode, attempt: Digest, peer: SocketAddr) {
        match self.open_door(Key::Given(attempt), peer) {
            Ok(()) => self.fanout.order(conn, OrderKind::Unlocked),
            Err(refusal) => {
                let frame = Rendered::new(&session::error_event(refusal))
                    .get(mode)
                    .clone();
                let close = true;
                self.fanout.order(conn, OrderKind::Turned { frame, close });
            }
        }
    }

    /// Lets a newcomer from `peer` with `key` in, as far as the password and the bans go (the
    /// password first: whether an address is banned is for those who know it).
    fn past_door_and_bans(&mut self, key: Key, peer: SocketAddr) -> Result<(), Refusal> {
        self.open_door(key, peer)?;
        match self.bans.covering(peer.ip(), Timestamp::now()) {
            Some(ban) => Err(ban.refusal()),
            None => Ok(()),
        }
    }

    /// Lets a newcomer from `peer` with `key` past the password, if the room has one; tells the
    /// operator, once, when an address is locked out.
    fn open_door(&mut self, key: Key, peer: SocketAddr) -> Result<(), Refusal> {
        let Some(gate) = &mut self.gate else {
            return Ok(());
        };
        let address = AddressKey::of(peer.ip());
        let denied = match gate.check(address, key, Instant::now()) {
            Ok(()) => return Ok(()),
            Err(denied) => denied,
        };
        if denied == (Denied::Wrong { locked_out: true }) {
            self.recorder.record(Activity::Note {
                text: gate.lockout_note(address),
                console: true,
            });
        }
        Err(gate.refusal(denied))
    }

    /// Admits `conn` as `nick`, or tells it why not; one coming back from further back than
    /// the history reaches is first held while its gap is read (from the store, or from a
    /// shared room's stream).
    fn hello(&mut self, newcomer: Newcomer) {
        if let Some(newcomer) = self.hold_for_gap(newcomer) {
            self.welcome(newcomer, None);
        }
    }

    /// The newcomers held for a gap read: the store's, or the shared room's.
    fn gaps(&mut self) -> Option<&mut Gaps> {
        match (&mut self.store, &mut self.shared) {
            (Some(store), _) => Some(&mut store.gaps),
            (None, Some(shared)) => Some(shared.gaps()),
            (None, None) => None,
        }
    }

    /// In a shared room, holds `newcomer` (with `older`, its gap if one was read) while its
    /// nickname is claimed across hosts, once it passes what this host checks itself (the
    /// password, bans, the name here). Gives it back when it is to be answered now.
    fn hold_for_claim(
        &mut self,
        mut newcomer: Newcomer,
        older: Option<Older>,
    ) -> Option<(Newcomer, Option<Older>)> {
        if self.shared.is_none() {
            return Some((newcomer, older));
        }
        let (conn, mode) = (newcomer.conn, newcomer.mode);
        let address = AddressKey::of(newcomer.peer.ip());
        let checked = self
            .past_door_and_bans(newcomer.key, newcomer.peer)
            .and_then(|()| {
                self.names
                    .check(&newcomer.nick, conn.serial(), address, Instant::now())
            });
        if let Err(refusal) = checked {
            self.turn_away(conn, mode, refusal);
            return None;
        }
        newcomer.key = Key::Proven;
        let held = self.shared.as_mut().map(|shared| {
            shared
                .claims()
                .hold(newcomer, older, self.profile.quiet_above)
        });
        if let Some(Err(refusal)) = held {
            self.turn_away(conn, mode, refusal);
        }
        None
    }

    /// The answer to a claim of a nickname across hosts: the newcomer held for it is admitted
    /// or turned away, the member who asked for it renamed or refused.
    fn claimed(&mut self, answer: ClaimAnswer) {
        let Some(shared) = &mut self.shared else {
            return;
        };
        let roster = answer.roster;
        let got = matches!(answer.outcome, Ok(Claim::Claimed));
        let refusal = claim_refusal(
            &answer.nick,
            answer.outcome,
            self.profile.limits.max_clients,
        );
        match answer.tag {
            Claiming::Hello(newcomer, older) => {
                if !shared.claims().take_held(newcomer.conn) {
                    // It left meanwhile: a name claimed for it is given back.
                    if got {
                        shared.claims().release(&answer.nick);
                    }
                    return;
                }
                let (conn, mode) = (newcomer.conn, newcomer.mode);
                let refused = match refusal {
                    Some(refusal) => Some(refusal),
                    None => {
                        self.arriving_roster = roster;
                        let admitted = self.admit(newcomer, older).err();
                        self.arriving_roster = None;
                        admitted
                    }
                };
                if let Some(refusal) = refused {
                    if got && let Some(shared) = &mut self.shared {
                        shared.claims().release(&answer.nick);
                    }
                    self.turn_away(conn, mode, refusal);
                }
            }
            Claiming::Rename(renaming) => {
                let (conn, mode, id, old) = (
                    renaming.conn,
                    renaming.mode,
                    renaming.id.clone(),
                    renaming.old.clone(),
                );
                let still = self.member(conn).is_some_and(|member| member.nick == old);
                let refused = match (still, refusal) {
                    (false, _) => None,
                    (true, Some(refusal)) => Some(refusal),
                    (true, None) => self.renamed(renaming).err(),
                };
                if let Some(shared) = &mut self.shared {
                    // The name given up: the old one when renamed, else the one just claimed.
                    match (got, still && refused.is_none()) {
                        (true, true) => shared.claims().release(&old),
                        (true, false) => shared.claims().release(&answer.nick),
                        (false, _) => {}
                    }
                }
                if let Some(refusal) = refused {
                    self.refuse(conn, mode, Refusal { id, ..refusal });
                }
            }
        }
    }

    /// Holds `newcomer` while the messages it missed that the history no longer holds are read
    /// (from the store, or a shared room's stream; once past the password: strangers cost
    /// nothing). Gives it back when it is to be answered now.
    fn hold_for_gap(&mut self, mut newcomer: Newcomer) -> Option<Newcomer> {
        let gap = self.history.gap_to_read(newcomer.replay, self.seq);
        let Some((after, through)) = gap.filter(|_| self.store.is_some() || self.shared.is_some())
        else {
            return Some(newcomer);
        };
        if let Err(refusal) = self.open_door(newcomer.key, newcomer.peer) {
            self.turn_away(newcomer.conn, newcomer.mode, refusal);
            return None;
        }
        newcomer.key = Key::Proven;
        match self.gaps() {
            Some(gaps) => gaps.hold(newcomer, after, through),
            None => Some(newcomer),
        }
    }

    /// A held newcomer's gap was read: it is admitted with it.
    fn gap_filled(&mut self, read: GapFilled<Held>) {
        let forgotten_through = self.history.forgotten_through();
        let filled = self
            .gaps()
            .and_then(|gaps| gaps.filled(read, forgotten_through));
        if let Some((newcomer, older)) = filled {
            self.welcome(newcomer, older);
        }
    }

    /// Admits `newcomer` (replaying `older`, its gap read from the store or the stream, if
    /// any), or tells it why not; in a shared room, once its nickname is claimed across hosts.
    fn welcome(&mut self, newcomer: Newcomer, older: Option<Older>) {
        let Some((newcomer, older)) = self.hold_for_claim(newcomer, older) else {
            return;
        };
        let (conn, mode) = (newcomer.conn, newcomer.mode);
        if let Err(refusal) = self.admit(newcomer, older) {
            self.turn_away(conn, mode, refusal);
        }
    }

    /// Tells a newcomer why it was not admitted (and lets it go, unless it may try another
    /// nickname).
    fn turn_away(&mut self, conn: ConnRef, mode: Mode, refusal: Refusal) {
        let Step::Refuse { refusal, close } = session::refuse_nick(mode, refusal) else {
            return;
        };
        let frame = Rendered::new(&session::error_event(refusal))
            .get(mode)
            .clone();
        self.fanout.order(conn, OrderKind::Turned { frame, close });
    }

    fn admit(&mut self, newcomer: Newcomer, older: Option<Older>) -> Result<(), Refusal> {
        let Newcomer {
            conn,
            mode,
            nick,
            announce,
            peer,
            key,
            stalled,
            replay,
        } = newcomer;
        // The password first: whether the room is full or a nickname taken is for those who
        // know it.
        self.past_door_and_bans(key, peer)?;
        let address = AddressKey::of(peer.ip());
        let max = self.profile.limits.max_clients;
        if self.members.len() >= max {
            return Err(Refusal::new(
                ErrorCode::RoomFull,
                format!("room is full ({}/{max})", self.members.len()),
            ));
        }
        self.names
            .check(&nick, conn.serial(), address, Instant::now())?;
        self.names.claim(&nick, conn.serial());
        self.members.insert(
            conn.serial(),
            Member {
                conn,
                address,
                ip: crate::protocol::moderation::canonical(peer.ip()),
                nick: nick.clone(),
                mode,
                announced: announce,
                stalled,
            },
        );
        self.mutes.arrived(conn.serial(), address, Timestamp::now());
        self.fanout.count_speaker(mode, true);
        let (operators, away) = self.roles();
        let (users, count) = self.welcome_users(&nick);
        let welcome = Event::Welcome {
            v: VERSION,
            nick: nick.clone(),
            room: self.profile.name.clone(),
            motd: self.profile.motd.clone(),
            users,
            count,
            limits: self.profile.limits,
            topic: self.topic.clone(),
            operators,
            away,
        };
        let welcome = Rendered::new(&welcome).get(mode).clone();
        self.fanout.order(conn, OrderKind::Admit { welcome });
        let today = Timestamp::now().0.date_naive();
        let replayed = match (older, replay) {
            (Some(older), Replay::Since(since)) => {
                Some(self.history.replay_filled(since, older, mode, today))
            }
            _ => self.history.replay(replay, mode, self.seq, today),
        };
        if let Some(replayed) = replayed {
            let body = match replayed.shared {
                true => OrderKind::Shared(replayed.body),
                false => OrderKind::Frame(replayed.body),
            };
            self.fanout.order(conn, body);
            self.fanout.order(conn, OrderKind::Frame(replayed.end));
        }
        if !announce {
            return Ok(());
        }
        let now = Instant::now();
        if self.is_big() || self.churn.is_high(now) {
            self.tally(1, 0);
            return Ok(());
        }
        self.churn.announced(now);
        let event = Event::Join {
            seq: self.next_seq(),
            ts: Timestamp::now(),
            nick,
            count,
        };
        let pending = Pending {
            skip: Some(conn),
            peer: Some(peer.ip()),
            ..Pending::default()
        };
        self.emit(event, pending);
        Ok(())
    }

    /// Carries out a member's request, unless it is a message with a resend key the room took
    /// already: that one is acknowledged again (with the `seq` it got), not published twice.
    fn request_once(
        &mut self,
        conn: ConnRef,
        id: Option<Id>,
        request: Request,
        key: Option<MessageKey>,
    ) {
        let Some(key) = key else {
            return self.request(conn, id, request);
        };
        let Some(mode) = self.member(conn).map(|member| member.mode) else {
            return;
        };
        if let Seen::Taken(seq) = self.dedupe.seen(&key) {
            return self.ack(conn, mode, id, seq);
        }
        if let Some(shared) = &mut self.shared {
            // A resend of a message still on its way to the stream waits for it.
            let ack = AckTo {
                conn,
                mode,
                id: id.clone(),
                key: Some(key.clone()),
            };
            if shared.ack_resend(&key, ack) {
                if shared.is_down() {
                    self.refuse(conn, mode, outage::refusal(id));
                }
                return;
            }
        }
        // The message took the next number of its sequence, unless it was refused.
        let before = (self.seq, self.private_seq);
        let private = matches!(request, Request::Pm { .. });
        // A public message's key goes with its proposal, a private one's with its letter to
        // another host (one to a member here is numbered at once, below).
        if self.shared.is_some() {
            self.asking_key = Some(key.clone());
        }
        self.request(conn, id, request);
        // Unused when the request was refused: it must not go with the next one.
        self.asking_key = None;
        let taken = match private {
            false if self.seq != before.0 => Some(self.seq),
            true if self.private_seq != before.1 => Some(self.private_seq),
            _ => None,
        };
        if let Some(seq) = taken {
            // A public message is stored with its key, so a restarted room still knows it.
            if !private && let Some(store) = &mut self.store {
                store.durable.key(seq, &key);
            }
            self.dedupe.record(key, taken);
        }
    }

    /// Carries out a member's request.
    fn request(&mut self, conn: ConnRef, id: Option<Id>, request: Request) {
        let Some(member) = self.member(conn) else {
            return;
        };
        let (from, mode) = (member.nick.clone(), member.mode);
        if matches!(request, Request::Say(_) | Request::Me(_))
            && self.shared.as_ref().is_some_and(Shared::is_down)
        {
            return self.refuse(conn, mode, outage::refusal(id));
        }
        if matches!(
            request,
            Request::Say(_) | Request::Me(_) | Request::Pm { .. }
        ) {
            if let Err(refusal) = self.may_speak(conn) {
                return self.refuse(conn, mode, Refusal { id, ..refusal });
            }
            self.spoke(conn, mode);
        }
        match request {
            Request::Say(text) => self.message(conn, mode, id, from, MessageKind::Say, text),
            Request::Me(text) => self.message(conn, mode, id, from, MessageKind::Me, text),
            Request::Pm { to, text } => self.private(conn, mode, id, from, &to, text),
            Request::Nick(new) => self.rename(conn, mode, id, from, new),
            Request::List => self.list(conn, mode, id),
            Request::Help => {
                if mode == Mode::Plain {
                    let help = Arc::from(plain::help().into_bytes());
                    self.fanout.order(conn, OrderKind::Frame(help));
                }
            }
            Request::Ping => self.fanout.send(conn, mode, &Event::Pong { id }),
            Request::Search(typed) => self.search(conn, mode, id, typed),
            // Answered in the shard (a sign of life); the session never passes it on.
            Request::Pong => {}
            Request::Quit => {
                self.fanout.order(conn, OrderKind::Release);
                self.remove(conn, LeaveReason::Quit);
            }
            // Everything else is moderation (`Request::is_moderation`, the one list of it); a
            // request added without an arm of its own here would be dropped there, which the
            // tests, built with debug assertions, would catch.
            moderation => {
                debug_assert!(moderation.is_moderation(), "{moderation:?}");
                self.moderate(moderation::Actor::Member(conn), id, moderation);
            }
        }
    }

    /// Carries out a request typed at the host's console, and answers it there.
    fn console_request(&mut self, request: ConsoleRequest) {
        match request {
            ConsoleRequest::Moderate(request) => {
                self.moderate(moderation::Actor::Console, None, request);
            }
            ConsoleRequest::List => self.console_list(),
            ConsoleRequest::Say(text) => {
                let event = Event::Message {
                    seq: self.next_seq(),
                    ts: Timestamp::now(),
                    from: CONSOLE_NICK.to_string(),
                    kind: MessageKind::Say,
                    to: None,
                    text,
                    history: false,
                };
                self.publish(event, None);
                self.console_answer(None);
            }
        }
    }

    /// The answer to the console's request (`None`: carried out, as the room's announcement
    /// shows). Never waits: a console that does not read its answers misses them.
    fn console_answer(&mut self, answer: Option<String>) {
        if let Some(console) = &self.console {
            let _ = console.answers.try_send(answer);
        }
    }

    /// Hands a search to the store's search thread; the results come back through
    /// [`Room::answer`].
    fn search(&mut self, conn: ConnRef, mode: Mode, id: Option<Id>, typed: String) {
        let asked = match &self.store {
            None => Err(searches::no_store()),
            Some(store) => {
                let asker = Asker {
                    conn,
                    mode,
                    id: id.clone(),
                    typed,
                };
                searches::ask(&store.jobs, asker, store.durable.last_kept())
            }
        };
        if let Err(refusal) = asked {
            self.refuse(conn, mode, Refusal { id, ..refusal });
        }
    }

    /// Gives a finished search's results to whoever asked, if still here.
    fn answer(&mut self, found: Found<Asker>) {
        let (conn, mode, event) = searches::answer(found);
        if self.member(conn).is_some() {
            self.fanout.send(conn, mode, &event);
        }
    }

    fn ack(&mut self, conn: ConnRef, mode: Mode, id: Option<Id>, seq: Option<u64>) {
        if mode == Mode::Json {
            self.fanout.send(conn, mode, &Event::Ack { id, seq });
        }
    }

    fn refuse(&mut self, conn: ConnRef, mode: Mode, refusal: Refusal) {
        self.fanout.send(conn, mode, &session::error_event(refusal));
    }

    fn message(
        &mut self,
        conn: ConnRef,
        mode: Mode,
        id: Option<Id>,
        from: String,
        kind: MessageKind,
        text: String,
    ) {
        let event = Event::Message {
            seq: self.next_seq(),
            ts: Timestamp::now(),
            from,
            kind,
            to: None,
            text,
            history: false,
        };
        let ack = AckTo {
            conn,
            mode,
            id,
            key: None,
        };
        self.publish_acking(event, Some(conn), ack);
    }

    fn private(
        &mut self,
        conn: ConnRef,
        mode: Mode,
        id: Option<Id>,
        from: String,
        to: &str,
        text: String,
    ) {
        let Some(target) = self
            .names
            .owner(to)
            .and_then(|serial| self.members.get(&serial))
        else {
            let key = self.asking_key.take();
            return self.private_elsewhere((conn, mode, id), from, to, text, key);
        };
        let (target_serial, to) = (target.conn.serial(), target.nick.clone());
        let ts = Timestamp::now();
        let confirmation = plain::pm_sent(&ts, &to, &text);
        let event = Event::Message {
            seq: 0,
            ts,
            from,
            kind: MessageKind::Pm,
            to: Some(to.clone()),
            text,
            history: false,
        };
        let seq = match self.deliver_private(target_serial, event) {
            Ok(seq) => seq,
            Err(refusal) => return self.refuse(conn, mode, Refusal { id, ..refusal }),
        };
        match mode {
            Mode::Json => self.ack(conn, mode, id, Some(seq)),
            Mode::Plain => {
                let frame = Arc::from(confirmation.into_bytes());
                self.fanout.order(conn, OrderKind::Frame(frame));
            }
        }
        self.away_reply(conn, mode, target_serial, &to);
    }

    /// Queues the private message `event` for the member `serial` under the host's next private
    /// seq, which it returns; `Err` when that member is not reading and the host-wide budget
    /// has no room for it (a reader gets it at once, budget or not).
    fn deliver_private(&mut self, serial: u64, mut event: Event) -> Result<u64, Refusal> {
        let Some(target) = self.members.get(&serial) else {
            return Err(Refusal::new(
                ErrorCode::NoSuchNick,
                "no one by that name is here",
            ));
        };
        let (target_conn, target_mode) = (target.conn, target.mode);
        let stalled = target.stalled.load(Ordering::Relaxed);
        if let Event::Message { seq, .. } = &mut event {
            *seq = self.private_seq + 1;
        }
        let frame = Rendered::new(&event).get(target_mode).clone();
        // Someone who is not reading would have it wait in the host's memory: only while the
        // host-wide budget has room.
        if stalled {
            let routed = self.routed_to_stalled + frame.len();
            if !self.budget.fits(routed) {
                return Err(session::not_delivered(&target.nick));
            }
            self.routed_to_stalled = routed;
        }
        self.private_seq += 1;
        self.fanout.order(target_conn, OrderKind::Frame(frame));
        Ok(self.private_seq)
    }

    fn rename(&mut self, conn: ConnRef, mode: Mode, id: Option<Id>, old: String, new: String) {
        let Some(address) = self.member(conn).map(|member| member.address) else {
            return;
        };
        let now = Instant::now();
        if let Err(refusal) = self.names.check(&new, conn.serial(), address, now) {
            return self.refuse(conn, mode, Refusal { id, ..refusal });
        }
        if new == old {
            return self.ack(conn, mode, id, None);
        }
        let renaming = Renaming {
            conn,
            mode,
            id: id.clone(),
            old,
            new,
        };
        let done = match &mut self.shared {
            Some(shared) => shared.claims().rename(renaming),
            None => self.renamed(renaming),
        };
        if let Err(refusal) = done {
            self.refuse(conn, mode, Refusal { id, ..refusal });
        }
    }

    /// Renames a member (its new name claimed across hosts already, in a shared room), unless
    /// the name became unavailable here meanwhile.
    fn renamed(&mut self, renaming: Renaming) -> Result<(), Refusal> {
        let Renaming {
            conn,
            mode,
            id,
            old,
            new,
        } = renaming;
        let Some(address) = self.member(conn).map(|member| member.address) else {
            return Ok(());
        };
        let now = Instant::now();
        self.names.check(&new, conn.serial(), address, now)?;
        self.names.release(&old, address, Some(new.clone()), now);
        self.names.claim(&new, conn.serial());
        if let Some(member) = self.members.get_mut(&conn.serial()) {
            member.nick = new.clone();
        }
        let event = Event::Nick {
            seq: self.next_seq(),
            ts: Timestamp::now(),
            old,
            new,
        };
        let ack = AckTo {
            conn,
            mode,
            id,
            key: None,
        };
        self.publish_acking(event, None, ack);
        Ok(())
    }

    /// Takes a member out of the room without a word: its nickname is given up, its roles
    /// forgotten.
    fn take_out(&mut self, conn: ConnRef) -> Option<Member> {
        let member = self.take_out_here(conn)?;
        if let Some(shared) = &mut self.shared {
            shared.claims().release(&member.nick);
        }
        Some(member)
    }

    /// [`Room::take_out`] on this host only: the nickname is not given up in Redis.
    fn take_out_here(&mut self, conn: ConnRef) -> Option<Member> {
        let member = self.members.remove(&conn.serial())?;
        self.names
            .release(&member.nick, member.address, None, Instant::now());
        self.fanout.count_speaker(member.mode, false);
        self.forget_roles(conn.serial());
        Some(member)
    }

    /// The room's other hosts announced this one's members as gone and freed their nicknames
    /// (see `Pulse::WasReaped`): each is told why and let go, and its client comes back as a
    /// newcomer (`join` reconnects, `send --retry` sends again what was not acknowledged).
    fn let_reaped_go(&mut self) {
        let refusal = Refusal::new(
            ErrorCode::Unavailable,
            "this host lost its place in the shared room (it stalled, or Redis lost the room's \
             state); reconnect",
        );
        let told = session::error_event(refusal);
        let mut told = Rendered::new(&told);
        let conns: Vec<(ConnRef, Mode)> = self
            .members
            .values()
            .map(|member| (member.conn, member.mode))
            .collect();
        for (conn, mode) in conns {
            self.fanout
                .order(conn, OrderKind::Frame(told.get(mode).clone()));
            self.fanout.order(conn, OrderKind::Release);
            // The reaper freed their nicknames already: a release each would be a round trip
            // to Redis that does nothing (and, with many members, fill the bridge's calls
            // while they come back), or free a name a newcomer here has claimed since.
            self.take_out_here(conn);
        }
    }

    /// Takes a member out of the room and tells the others why.
    fn remove(&mut self, conn: ConnRef, reason: LeaveReason) {
        let Some(member) = self.take_out(conn) else {
            return;
        };
        if !member.announced {
            return;
        }
        let now = Instant::now();
        if self.members.len() >= self.profile.quiet_above || self.churn.is_high(now) {
            self.tally(0, 1);
            return;
        }
        self.churn.announced(now);
        let event = Event::Leave {
            seq: self.next_seq(),
            ts: Timestamp::now(),
            nick: member.nick,
            reason,
        };
        self.publish(event, None);
    }

    /// Tells every member the room is closing (and why); the dispatch that follows closes every
    /// connection.
    fn close(&mut self, reason: &str) {
        self.write_state_if_due(true);
        let quit = Event::Quit {
            reason: reason.into(),
        };
        // Someone too far behind to take even this is cut off by the flush deadline.
        self.fanout.broadcast(&quit, None);
        self.recorder.record(Activity::Note {
            text: format!(
                "room {} closed ({} were here)",
                self.profile.name,
                self.members.len()
            ),
            console: false,
        });
        self.members.clear();
        self.names.clear();
    }
}

/// Why a claim of `nick` across hosts was refused (`None`: it was not), in a room of at most
/// `max` members.
fn claim_refusal(nick: &str, outcome: Result<Claim, String>, max: usize) -> Option<Refusal> {
    match outcome {
        Ok(Claim::Claimed) => None,
        Ok(Claim::Taken { .. }) => Some(Refusal::new(
            ErrorCode::NickTaken,
            format!("nickname '{nick}' is taken"),
        )),
        Ok(Claim::Full) => Some(Refusal::new(
            ErrorCode::RoomFull,
            format!("room is full ({max}/{max}, on all its hosts)"),
        )),
        Err(why) => Some(Refusal::new(
            ErrorCode::Busy,
            format!("the room cannot check nicknames now ({why}); try again in a moment"),
        )),
    }
}
