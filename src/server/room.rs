//! The room: who is here, under which nickname, and the order of events, owned by the one
//! event-loop thread.
//!
//! Nothing here blocks or touches a socket. Broadcasting an event renders it once per dialect and
//! appends it to that dialect's [`Log`], whoever is listening; an event for one client goes to its
//! [`Outbox`](super::outbox::Outbox). The loop flushes at the end of its turn, so one turn's
//! messages reach each client in one write. A client more than `--outbox` messages behind is let
//! go (`sendq_exceeded`) instead of being waited for, which is what keeps one stalled reader from
//! stalling the room, and the log from growing.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use slab::Slab;

use super::activity::{Activity, Recorder};
use super::conn::Conn;
use super::log::Log;
use super::outbox::Frame;
use super::ratelimit::TokenBucket;
use crate::nick::fold;
use crate::protocol::parse::{Refusal, Request};
use crate::protocol::wire::{LeaveReason, Limits, MessageKind, VERSION};
use crate::protocol::{ErrorCode, Event, Id, Mode, Timestamp, plain};

/// What the room is, as told to everyone who joins, and its limits.
pub struct Settings {
    pub room: String,
    pub motd: Option<String>,
    pub limits: Limits,
    /// Messages a member may fall behind before it is let go.
    pub outbox: usize,
    /// Above this many members, joins and leaves are summed up (see `Presence`).
    pub quiet_above: usize,
}

/// How often a big room hears the sum of its joins and leaves.
pub const PRESENCE_EVERY: Duration = Duration::from_secs(2);

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

/// An event rendered at most once per dialect, however many people receive it.
struct Frames<'e> {
    event: &'e Event,
    plain: Option<Frame>,
    json: Option<Frame>,
}

impl<'e> Frames<'e> {
    fn new(event: &'e Event) -> Self {
        Frames {
            event,
            plain: None,
            json: None,
        }
    }

    fn get(&mut self, mode: Mode) -> &Frame {
        let event = self.event;
        match mode {
            Mode::Plain => self
                .plain
                .get_or_insert_with(|| Arc::from(plain::render(event).into_bytes())),
            Mode::Json => self
                .json
                .get_or_insert_with(|| Arc::from(event.to_json_line().into_bytes())),
        }
    }
}

/// Which of [`Room::logs`] a dialect reads.
pub fn dialect(mode: Mode) -> usize {
    match mode {
        Mode::Plain => 0,
        Mode::Json => 1,
    }
}

/// Every connection and the room they share.
pub struct Room {
    pub settings: Settings,
    /// Every open connection, joined or not, by slot (the slot is its poll token).
    pub conns: Slab<Conn>,
    /// Slots of the joined members, in no particular order.
    members: Vec<usize>,
    /// Folded nickname -> slot, for uniqueness and private messages.
    nicks: HashMap<String, usize>,
    seq: u64,
    recorder: Recorder,
    /// Slots with output to flush at the end of this turn.
    pub dirty: Vec<usize>,
    /// The broadcast logs, one per dialect (see [`dialect`]).
    pub logs: [Log; 2],
    /// Members per dialect: a dialect nobody speaks is not rendered at all.
    speakers: [usize; 2],
    /// Something was broadcast since the last flush: every member may be owed output.
    log_advanced: bool,
    /// Something was broadcast since the logs were last trimmed.
    trim_due: bool,
    /// Joins and leaves waiting to be announced as a sum (big rooms only).
    presence: Option<Presence>,
    /// Members found unreachable during the current operation, let go once it is done so the
    /// member list is not changed while it is walked.
    unreachable: Vec<(usize, LeaveReason)>,
}

impl Room {
    pub fn new(settings: Settings, recorder: Recorder) -> Self {
        Room {
            settings,
            conns: Slab::new(),
            members: Vec::new(),
            nicks: HashMap::new(),
            seq: 0,
            recorder,
            dirty: Vec::new(),
            logs: [Log::default(), Log::default()],
            speakers: [0, 0],
            log_advanced: false,
            trim_due: false,
            presence: None,
            unreachable: Vec::new(),
        }
    }

    /// True when joins and leaves are summed up rather than announced one by one.
    fn is_big(&self) -> bool {
        self.members.len() > self.settings.quiet_above
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

    /// When the pending summary of joins and leaves is due, if there is one.
    pub fn presence_due(&self) -> Option<Instant> {
        self.presence.as_ref().map(|p| p.due)
    }

    /// Announces the joins and leaves counted since the last summary.
    pub fn announce_presence(&mut self) {
        let Some(presence) = self.presence.take() else {
            return;
        };
        let event = Event::Presence {
            seq: self.next_seq(),
            ts: Timestamp::now(),
            joined: presence.joined,
            left: presence.left,
            count: self.members.len(),
        };
        self.broadcast(&event, None);
        self.settle();
        self.recorder.record(Activity::Room(event));
    }

    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Everyone's nickname, sorted ignoring case.
    fn users(&self) -> Vec<String> {
        let mut users: Vec<String> = self
            .members
            .iter()
            .filter_map(|&slot| self.conns[slot].nick.clone())
            .collect();
        users.sort_by_cached_key(|nick| fold(nick));
        users
    }

    /// Admits the connection in `slot` as `nick`, or says why not.
    pub fn join(&mut self, slot: usize, nick: String, mode: Mode) -> Result<(), Refusal> {
        let max = self.settings.limits.max_clients;
        if self.members.len() >= max {
            return Err(Refusal::new(
                ErrorCode::RoomFull,
                format!("room is full ({}/{max})", self.members.len()),
            ));
        }
        if self.nicks.contains_key(&fold(&nick)) {
            return Err(Refusal::new(
                ErrorCode::NickTaken,
                format!("nickname '{nick}' is taken"),
            ));
        }
        let limits = self.settings.limits;
        let conn = &mut self.conns[slot];
        conn.nick = Some(nick.clone());
        conn.mode = mode;
        conn.deadline = None;
        conn.member_index = self.members.len();
        conn.outbox.follow(self.logs[dialect(mode)].end());
        self.speakers[dialect(mode)] += 1;
        conn.bucket =
            (limits.rate > 0).then(|| TokenBucket::new(limits.rate, limits.burst, Instant::now()));
        self.members.push(slot);
        self.nicks.insert(fold(&nick), slot);
        let welcome = Event::Welcome {
            v: VERSION,
            nick: nick.clone(),
            room: self.settings.room.clone(),
            motd: self.settings.motd.clone(),
            users: if self.is_big() {
                vec![nick.clone()]
            } else {
                self.users()
            },
            count: self.members.len(),
            limits,
        };
        self.send(slot, &welcome);
        if self.is_big() {
            self.tally(1, 0);
            return Ok(());
        }
        let event = Event::Join {
            seq: self.next_seq(),
            ts: Timestamp::now(),
            nick,
            count: self.members.len(),
        };
        self.broadcast(&event, Some(slot));
        self.recorder.record(Activity::Room(event));
        Ok(())
    }

    /// Carries out a member's request.
    pub fn request(&mut self, slot: usize, id: Option<Id>, request: Request) {
        let Some(from) = self.conns.get(slot).and_then(|c| c.nick.clone()) else {
            return;
        };
        let mode = self.conns[slot].mode;
        match request {
            Request::Say(text) => self.message(slot, id, from, MessageKind::Say, text),
            Request::Me(text) => self.message(slot, id, from, MessageKind::Me, text),
            Request::Pm { to, text } => self.private(slot, id, from, mode, &to, text),
            Request::Nick(new) => self.rename(slot, id, from, new),
            Request::List => {
                let users = Event::Users {
                    users: self.users(),
                    id,
                };
                self.send(slot, &users);
            }
            Request::Help => {
                if mode == Mode::Plain {
                    self.send_raw(slot, Arc::from(plain::help().into_bytes()));
                }
            }
            Request::Quit => self.remove(slot, LeaveReason::Quit),
        }
        self.settle();
    }

    fn ack(&mut self, slot: usize, id: Option<Id>, seq: Option<u64>) {
        if self.conns[slot].mode == Mode::Json {
            self.send(slot, &Event::Ack { id, seq });
        }
    }

    fn message(
        &mut self,
        slot: usize,
        id: Option<Id>,
        from: String,
        kind: MessageKind,
        text: String,
    ) {
        let seq = self.next_seq();
        let event = Event::Message {
            seq,
            ts: Timestamp::now(),
            from,
            kind,
            to: None,
            text,
        };
        self.broadcast(&event, Some(slot));
        self.ack(slot, id, Some(seq));
        self.recorder.record(Activity::Room(event));
    }

    fn private(
        &mut self,
        slot: usize,
        id: Option<Id>,
        from: String,
        mode: Mode,
        to: &str,
        text: String,
    ) {
        let Some(&target) = self.nicks.get(&fold(to)) else {
            let refusal = Refusal::new(
                ErrorCode::NoSuchNick,
                format!("no one called '{to}' is here"),
            );
            self.refuse(slot, Refusal { id, ..refusal });
            return;
        };
        let to = self.conns[target].nick.clone().unwrap_or_default();
        let seq = self.next_seq();
        let ts = Timestamp::now();
        let confirmation = plain::pm_sent(&ts, &to, &text);
        let event = Event::Message {
            seq,
            ts,
            from,
            kind: MessageKind::Pm,
            to: Some(to),
            text,
        };
        self.send(target, &event);
        match mode {
            Mode::Json => self.ack(slot, id, Some(seq)),
            Mode::Plain => self.send_raw(slot, Arc::from(confirmation.into_bytes())),
        }
    }

    fn rename(&mut self, slot: usize, id: Option<Id>, old: String, new: String) {
        let folded = fold(&new);
        if self.nicks.get(&folded).is_some_and(|&owner| owner != slot) {
            let refusal = Refusal::new(ErrorCode::NickTaken, format!("nickname '{new}' is taken"));
            self.refuse(slot, Refusal { id, ..refusal });
            return;
        }
        if new == old {
            self.ack(slot, id, None);
            return;
        }
        self.nicks.remove(&fold(&old));
        self.nicks.insert(folded, slot);
        self.conns[slot].nick = Some(new.clone());
        let seq = self.next_seq();
        let event = Event::Nick {
            seq,
            ts: Timestamp::now(),
            old,
            new,
        };
        self.broadcast(&event, None);
        self.ack(slot, id, Some(seq));
        self.recorder.record(Activity::Room(event));
    }

    /// Sends an error to whoever caused it.
    pub fn refuse(&mut self, slot: usize, refusal: Refusal) {
        let error = Event::Error {
            code: refusal.code,
            message: refusal.message,
            id: refusal.id,
        };
        self.send(slot, &error);
    }

    /// Sends one event to one connection.
    pub fn send(&mut self, slot: usize, event: &Event) {
        let Some(conn) = self.conns.get(slot) else {
            return;
        };
        let frame = Frames::new(event).get(conn.mode).clone();
        self.send_raw(slot, frame);
    }

    pub fn send_raw(&mut self, slot: usize, frame: Frame) {
        let Some(conn) = self.conns.get_mut(slot) else {
            return;
        };
        conn.outbox.push(self.logs[dialect(conn.mode)].end(), frame);
        if !conn.dirty {
            conn.dirty = true;
            self.dirty.push(slot);
        }
    }

    /// Sends one event to every member but `except`: one append per dialect spoken.
    fn broadcast(&mut self, event: &Event, except: Option<usize>) {
        let mut frames = Frames::new(event);
        for mode in [Mode::Plain, Mode::Json] {
            let d = dialect(mode);
            if self.speakers[d] == 0 {
                continue;
            }
            let bytes = frames.get(mode);
            if bytes.is_empty() {
                continue;
            }
            let at = self.logs[d].append(bytes);
            if let Some(conn) = except.and_then(|slot| self.conns.get_mut(slot))
                && conn.mode == mode
            {
                conn.outbox.skip(at, bytes.len() as u64);
            }
        }
        self.log_advanced = true;
        self.trim_due = true;
    }

    /// Queues every member for a flush if anything was broadcast since the last one.
    pub fn mark_members_if_log_advanced(&mut self) {
        if !std::mem::take(&mut self.log_advanced) {
            return;
        }
        for &slot in &self.members {
            let conn = &mut self.conns[slot];
            if !conn.dirty {
                conn.dirty = true;
                self.dirty.push(slot);
            }
        }
    }

    /// Asks for the logs to be trimmed at the end of this turn (a cursor moved or went away).
    pub fn request_trim(&mut self) {
        self.trim_due = true;
    }

    /// Members (and leavers still being flushed) have taken everything before their cursors:
    /// the logs can forget it.
    pub fn trim_logs(&mut self) {
        // Walking every connection is only worth it when the logs grew; a connect storm has
        // many turns and nothing to trim.
        if !std::mem::take(&mut self.trim_due) {
            return;
        }
        let mut oldest = [self.logs[0].end(), self.logs[1].end()];
        for (_, conn) in &self.conns {
            if let Some(cursor) = conn.outbox.cursor() {
                let d = dialect(conn.mode);
                oldest[d] = oldest[d].min(cursor);
            }
        }
        for (log, oldest) in self.logs.iter_mut().zip(oldest) {
            log.trim(oldest);
        }
    }

    /// Lets go of a client that fell more than `--outbox` messages behind, or holds more than
    /// [`MAX_OWN_BYTES`](super::outbox::MAX_OWN_BYTES) of replies it has not read.
    pub fn enforce_backlog(&mut self, slot: usize) {
        let Some(conn) = self.conns.get(slot) else {
            return;
        };
        let behind = conn.outbox.backlog(&self.logs[dialect(conn.mode)]) > self.settings.outbox;
        if behind || conn.outbox.holds_too_much() {
            self.unreachable.push((slot, LeaveReason::SendqExceeded));
            self.settle();
        }
    }

    /// Lets go of the members found unreachable; their leave notices may overflow others.
    pub fn settle(&mut self) {
        while let Some((slot, reason)) = self.unreachable.pop() {
            self.remove(slot, reason);
        }
    }

    /// Takes a member out of the room (a no-op for anyone else) and tells the others why. The
    /// connection itself is closed: at once when it cannot keep up, after a last flush otherwise.
    pub fn remove(&mut self, slot: usize, reason: LeaveReason) {
        let Some(conn) = self.conns.get_mut(slot) else {
            return;
        };
        let dead = reason == LeaveReason::SendqExceeded;
        if dead {
            let _ = conn.stream().shutdown(std::net::Shutdown::Both);
        }
        self.close_after_flush(slot);
        let Some(nick) = self.conns[slot].nick.take() else {
            return;
        };
        let (index, mode) = (self.conns[slot].member_index, self.conns[slot].mode);
        let end = self.logs[dialect(mode)].end();
        self.conns[slot].outbox.stop_at(end);
        self.speakers[dialect(mode)] -= 1;
        self.members.swap_remove(index);
        if let Some(&moved) = self.members.get(index) {
            self.conns[moved].member_index = index;
        }
        self.nicks.remove(&fold(&nick));
        if self.members.len() >= self.settings.quiet_above {
            self.tally(0, 1);
            return;
        }
        let event = Event::Leave {
            seq: self.next_seq(),
            ts: Timestamp::now(),
            nick,
            reason,
        };
        self.broadcast(&event, None);
        self.recorder.record(Activity::Room(event));
    }

    /// Marks a connection to be closed once its outbox is empty.
    pub fn close_after_flush(&mut self, slot: usize) {
        if let Some(conn) = self.conns.get_mut(slot) {
            conn.closing = true;
            if !conn.dirty {
                conn.dirty = true;
                self.dirty.push(slot);
            }
        }
    }

    /// Tells every member the room is closing and arranges for every connection to close.
    pub fn shutdown(&mut self) {
        let quit = Event::Quit {
            reason: "the host is shutting down".into(),
        };
        // Someone too far behind to take even this is cut off by the flush deadline.
        self.broadcast(&quit, None);
        self.recorder.record(Activity::Note {
            text: format!(
                "*** room {} closed ({} were here)",
                self.settings.room,
                self.members.len()
            ),
            console: false,
        });
        self.members.clear();
        self.nicks.clear();
        let slots: Vec<usize> = self.conns.iter().map(|(slot, _)| slot).collect();
        for slot in slots {
            self.conns[slot].nick = None;
            self.close_after_flush(slot);
        }
    }
}
