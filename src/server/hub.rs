//! The hub: the one thread that owns the room.
//!
//! Members, nicknames and the event sequence number live here and nowhere else; sessions talk to
//! the hub only by message ([`ToHub`]), so there is no lock on the room and nothing to keep
//! consistent across threads. The hub never does socket I/O: it renders each event once per
//! dialect and drops the same bytes into every recipient's queue with `try_send`. A recipient
//! whose queue is full is disconnected (`sendq_exceeded`) instead of being waited for, which is
//! what keeps one stalled reader from stalling the room.

use std::collections::HashMap;
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;

use crossbeam_channel::{Receiver, Sender, TrySendError};

use super::activity::{Activity, Recorder};
use super::outbox::Frame;
use crate::nick::fold;
use crate::protocol::parse::{Refusal, Request};
use crate::protocol::wire::{LeaveReason, Limits, MessageKind, VERSION};
use crate::protocol::{ErrorCode, Event, Id, Mode, Timestamp, plain};

/// Identifies a connection for its whole life, whatever its nickname.
pub type ConnId = u64;

/// What the room is, as told to everyone who joins.
pub struct Settings {
    pub room: String,
    pub motd: Option<String>,
    pub limits: Limits,
}

/// A session asking to join under a nickname it has already checked.
pub struct JoinRequest {
    pub conn: ConnId,
    pub nick: String,
    pub mode: Mode,
    /// Kept to cut the connection if the member stops reading.
    pub stream: TcpStream,
    pub outbox: Sender<Frame>,
    /// The answer: on success, the token its writer must hold until it has flushed.
    pub reply: Sender<Result<Sender<()>, Refusal>>,
}

/// Everything sessions (and the host) tell the hub.
pub enum ToHub {
    Join(JoinRequest),
    Request {
        conn: ConnId,
        id: Option<Id>,
        request: Request,
    },
    /// A line the session could not accept; the error goes back to its sender.
    Refused {
        conn: ConnId,
        refusal: Refusal,
    },
    /// The connection ended without a quit.
    Gone {
        conn: ConnId,
    },
    /// Tell everyone the room is closing, then stop.
    Shutdown,
}

struct Member {
    nick: String,
    mode: Mode,
    outbox: Sender<Frame>,
    stream: TcpStream,
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

/// The room's state, owned by the hub thread.
struct Hub {
    settings: Settings,
    members: HashMap<ConnId, Member>,
    /// Folded nickname -> member, for uniqueness and private messages.
    nicks: HashMap<String, ConnId>,
    seq: u64,
    recorder: Recorder,
    /// Handed to each writer; dropped at shutdown so the host can wait for the writers.
    flushed: Option<Sender<()>>,
    /// Members found unreachable during the current operation (queue full, or writer gone),
    /// let go once it is done so the member table is not changed while it is walked.
    unreachable: Vec<(ConnId, LeaveReason)>,
}

/// Runs the hub until shutdown (or until every sender is gone).
pub fn run(rx: Receiver<ToHub>, settings: Settings, recorder: Recorder, flushed: Sender<()>) {
    let mut hub = Hub {
        settings,
        members: HashMap::new(),
        nicks: HashMap::new(),
        seq: 0,
        recorder,
        flushed: Some(flushed),
        unreachable: Vec::new(),
    };
    while let Ok(msg) = rx.recv() {
        match msg {
            ToHub::Join(join) => hub.join(join),
            ToHub::Request { conn, id, request } => hub.request(conn, id, request),
            ToHub::Refused { conn, refusal } => hub.refuse(conn, refusal),
            ToHub::Gone { conn } => hub.remove(conn, LeaveReason::Disconnected),
            ToHub::Shutdown => {
                hub.shutdown();
                return;
            }
        }
        hub.settle();
    }
}

impl Hub {
    fn next_seq(&mut self) -> u64 {
        self.seq += 1;
        self.seq
    }

    /// Everyone's nickname, sorted ignoring case.
    fn users(&self) -> Vec<String> {
        let mut users: Vec<String> = self.members.values().map(|m| m.nick.clone()).collect();
        users.sort_by_cached_key(|nick| fold(nick));
        users
    }

    fn join(&mut self, join: JoinRequest) {
        let max = self.settings.limits.max_clients;
        let refusal = if self.members.len() >= max {
            Some(Refusal::new(
                ErrorCode::RoomFull,
                format!("room is full ({}/{max})", self.members.len()),
            ))
        } else if self.nicks.contains_key(&fold(&join.nick)) {
            Some(Refusal::new(
                ErrorCode::NickTaken,
                format!("nickname '{}' is taken", join.nick),
            ))
        } else {
            None
        };
        let Some(flushed) = self.flushed.clone() else {
            return;
        };
        if let Some(refusal) = refusal {
            let _ = join.reply.send(Err(refusal));
            return;
        }
        self.nicks.insert(fold(&join.nick), join.conn);
        self.members.insert(
            join.conn,
            Member {
                nick: join.nick.clone(),
                mode: join.mode,
                outbox: join.outbox,
                stream: join.stream,
            },
        );
        let welcome = Event::Welcome {
            v: VERSION,
            nick: join.nick.clone(),
            room: self.settings.room.clone(),
            motd: self.settings.motd.clone(),
            users: self.users(),
            limits: self.settings.limits,
        };
        self.send(join.conn, &welcome);
        let event = Event::Join {
            seq: self.next_seq(),
            ts: Timestamp::now(),
            nick: join.nick,
            count: self.members.len(),
        };
        self.broadcast(&event, Some(join.conn));
        self.recorder.record(Activity::Room(event));
        let _ = join.reply.send(Ok(flushed));
    }

    fn request(&mut self, conn: ConnId, id: Option<Id>, request: Request) {
        let Some(member) = self.members.get(&conn) else {
            return; // Already gone: a late line from a member who was let go.
        };
        let (from, mode) = (member.nick.clone(), member.mode);
        match request {
            Request::Say(text) => self.message(conn, id, from, MessageKind::Say, text),
            Request::Me(text) => self.message(conn, id, from, MessageKind::Me, text),
            Request::Pm { to, text } => self.private(conn, id, from, mode, &to, text),
            Request::Nick(new) => self.rename(conn, id, from, new),
            Request::List => {
                let users = Event::Users {
                    users: self.users(),
                    id,
                };
                self.send(conn, &users);
            }
            Request::Help => {
                if mode == Mode::Plain {
                    self.send_raw(conn, Arc::from(plain::help().into_bytes()));
                }
            }
            Request::Quit => self.remove(conn, LeaveReason::Quit),
        }
    }

    fn ack(&mut self, conn: ConnId, id: Option<Id>, seq: Option<u64>) {
        if self
            .members
            .get(&conn)
            .is_some_and(|m| m.mode == Mode::Json)
        {
            self.send(conn, &Event::Ack { id, seq });
        }
    }

    fn message(
        &mut self,
        conn: ConnId,
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
        self.broadcast(&event, Some(conn));
        self.ack(conn, id, Some(seq));
        self.recorder.record(Activity::Room(event));
    }

    fn private(
        &mut self,
        conn: ConnId,
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
            self.refuse(conn, Refusal { id, ..refusal });
            return;
        };
        let to = self.members[&target].nick.clone();
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
            Mode::Json => self.ack(conn, id, Some(seq)),
            Mode::Plain => self.send_raw(conn, Arc::from(confirmation.into_bytes())),
        }
    }

    fn rename(&mut self, conn: ConnId, id: Option<Id>, old: String, new: String) {
        let folded = fold(&new);
        if self.nicks.get(&folded).is_some_and(|&owner| owner != conn) {
            let refusal = Refusal::new(ErrorCode::NickTaken, format!("nickname '{new}' is taken"));
            self.refuse(conn, Refusal { id, ..refusal });
            return;
        }
        if new == old {
            self.ack(conn, id, None);
            return;
        }
        self.nicks.remove(&fold(&old));
        self.nicks.insert(folded, conn);
        if let Some(member) = self.members.get_mut(&conn) {
            member.nick = new.clone();
        }
        let seq = self.next_seq();
        let event = Event::Nick {
            seq,
            ts: Timestamp::now(),
            old,
            new,
        };
        self.broadcast(&event, None);
        self.ack(conn, id, Some(seq));
        self.recorder.record(Activity::Room(event));
    }

    fn refuse(&mut self, conn: ConnId, refusal: Refusal) {
        let error = Event::Error {
            code: refusal.code,
            message: refusal.message,
            id: refusal.id,
        };
        self.send(conn, &error);
    }

    /// Sends one event to one member.
    fn send(&mut self, conn: ConnId, event: &Event) {
        let Some(member) = self.members.get(&conn) else {
            return;
        };
        let frame = Frames::new(event).get(member.mode).clone();
        self.send_raw(conn, frame);
    }

    fn send_raw(&mut self, conn: ConnId, frame: Frame) {
        if let Some(member) = self.members.get(&conn)
            && let Err(reason) = deliver(member, frame)
        {
            self.unreachable.push((conn, reason));
        }
    }

    /// Sends one event to every member but `except`.
    fn broadcast(&mut self, event: &Event, except: Option<ConnId>) {
        let mut frames = Frames::new(event);
        for (&conn, member) in &self.members {
            if Some(conn) != except
                && let Err(reason) = deliver(member, frames.get(member.mode).clone())
            {
                self.unreachable.push((conn, reason));
            }
        }
    }

    /// Lets go of the members found unreachable; their leave notices may overflow others.
    fn settle(&mut self) {
        while let Some((conn, reason)) = self.unreachable.pop() {
            self.remove(conn, reason);
        }
    }

    fn remove(&mut self, conn: ConnId, reason: LeaveReason) {
        let Some(member) = self.members.remove(&conn) else {
            return;
        };
        self.nicks.remove(&fold(&member.nick));
        if reason == LeaveReason::SendqExceeded {
            // Its writer may be blocked on a full socket: cutting the connection frees it.
            let _ = member.stream.shutdown(Shutdown::Both);
        }
        drop(member.outbox);
        let event = Event::Leave {
            seq: self.next_seq(),
            ts: Timestamp::now(),
            nick: member.nick,
            reason,
        };
        self.broadcast(&event, None);
        self.recorder.record(Activity::Room(event));
    }

    fn shutdown(&mut self) {
        let quit = Event::Quit {
            reason: "the host is shutting down".into(),
        };
        let mut frames = Frames::new(&quit);
        for member in self.members.values() {
            // Someone too far behind to take even this is cut off by the flush deadline.
            let _ = deliver(member, frames.get(member.mode).clone());
        }
        self.recorder.record(Activity::Note {
            text: format!(
                "*** room {} closed ({} were here)",
                self.settings.room,
                self.members.len()
            ),
            console: false,
        });
        // Dropping the queues is what tells each writer to flush and close.
        self.members.clear();
        self.nicks.clear();
        self.flushed = None;
    }
}

/// Queues a frame for a member without waiting; says why when the member must be let go.
fn deliver(member: &Member, frame: Frame) -> Result<(), LeaveReason> {
    if frame.is_empty() {
        return Ok(());
    }
    member.outbox.try_send(frame).map_err(|e| match e {
        TrySendError::Full(_) => LeaveReason::SendqExceeded,
        // The writer gave up: the socket failed under it.
        TrySendError::Disconnected(_) => LeaveReason::Disconnected,
    })
}
