//! The room's moderation requests: `/op`, `/kick`, `/ban`, `/mute`, `/topic`, `/away` and the
//! rest, from a member or from the host's console.
//!
//! Whoever acts is an [`Actor`]: a member, held to the rules (operators only, within the limits
//! of `bans.rs`), or the host's console, which is always an operator and is not a member (no
//! one can kick or ban it). The state lives in files of its own (`operators.rs`, `bans.rs`,
//! `mutes.rs`, `away.rs`, `room_state_file.rs`); this module decides, and announces each change
//! to the room (and so to the console and the transcript) with who made it.

use std::net::IpAddr;
use std::sync::Arc;
use std::time::Instant;

use ipnet::IpNet;

use super::Room;
use crate::password::Password;
use crate::protocol::moderation::{BanTarget, ends, net_text};
use crate::protocol::parse::{OpArg, Refusal, Request};
use crate::protocol::wire::Change;
use crate::protocol::{ErrorCode, Event, Id, Mode, Timestamp, plain};
use crate::server::activity::Activity;
use crate::server::addresses::AddressKey;
use crate::server::bans::{self, Ban};
use crate::server::conn::ConnRef;
use crate::server::fanout::OrderKind;
use crate::server::operators::Attempt;

/// Who asks.
#[derive(Debug, Clone)]
pub(crate) enum Actor {
    /// A member of the room, on this connection.
    Member(ConnRef),
    /// The host's own console: always an operator, never a member.
    Console,
}

/// What the console hears if it asks to be away: it is not a member.
fn console_is_never_away() -> Refusal {
    Refusal::new(
        ErrorCode::NotAllowed,
        "the host's console is not a member: it is never away",
    )
}

/// Who asks, with what the room knows about them, and the request's id to echo.
struct Acting {
    actor: Actor,
    id: Option<Id>,
    /// The member's dialect (the console reads text, like plain mode).
    mode: Mode,
    /// The member's nickname; `None` for the console (events leave `by` out).
    by: Option<String>,
    /// The member's address and serial; `None` for the console.
    ip: Option<IpAddr>,
    serial: Option<u64>,
    address: Option<AddressKey>,
}

/// A member someone acts on.
struct Target {
    serial: u64,
    conn: ConnRef,
    nick: String,
    ip: IpAddr,
    address: AddressKey,
}

impl Room {
    /// Carries out a moderation request from `actor` (a member who is still here, or the
    /// console).
    pub(super) fn moderate(&mut self, actor: Actor, id: Option<Id>, request: Request) {
        let Some(acting) = self.acting(actor, id) else {
            return;
        };
        match request {
            Request::Op(arg) => self.op(acting, arg),
            Request::Deop(nick) => self.deop(acting, &nick),
            Request::Kick { nick, reason } => self.kick(acting, &nick, reason),
            Request::Ban {
                target,
                duration,
                reason,
            } => self.ban(acting, target, duration, reason),
            Request::Unban(target) => self.unban(acting, target),
            Request::Bans => self.list_bans(acting),
            Request::Mute { nick, duration } => self.mute(acting, &nick, duration),
            Request::Unmute(nick) => self.unmute(acting, &nick),
            Request::Topic(text) => self.topic(acting, text),
            Request::Away(message) => self.away(acting, message),
            Request::Back => self.back(acting),
            _ => {}
        }
    }

    fn acting(&self, actor: Actor, id: Option<Id>) -> Option<Acting> {
        let acting = match &actor {
            Actor::Console => Acting {
                actor,
                id,
                mode: Mode::Plain,
                by: None,
                ip: None,
                serial: None,
                address: None,
            },
            Actor::Member(conn) => {
                let member = self.member(*conn)?;
                Acting {
                    id,
                    mode: member.mode,
                    by: Some(member.nick.clone()),
                    ip: Some(member.ip),
                    serial: Some(conn.serial()),
                    address: Some(member.address),
                    actor,
                }
            }
        };
        Some(acting)
    }

    /// True for the console and for operators.
    fn is_operator(&self, acting: &Acting) -> bool {
        acting
            .serial
            .is_none_or(|serial| self.operators.is_operator(serial))
    }

    /// Whether `acting` may do `what`; if not, it is told so.
    fn allowed(&mut self, acting: &Acting, what: &str) -> bool {
        if self.is_operator(acting) {
            return true;
        }
        let refusal = Refusal::new(
            ErrorCode::NotOperator,
            format!("only operators can {what} (an operator password makes you one: /op PASSWORD)"),
        );
        self.deny(acting, refusal);
        false
    }

    /// Tells `acting` why not, echoing its id.
    fn deny(&mut self, acting: &Acting, refusal: Refusal) {
        match &acting.actor {
            Actor::Member(conn) => {
                let refusal = Refusal {
                    id: acting.id.clone(),
                    ..refusal
                };
                self.refuse(*conn, acting.mode, refusal);
            }
            Actor::Console => self.console_answer(Some(format!("error: {}", refusal.message))),
        }
    }

    /// An answer for `acting` alone.
    fn reply(&mut self, acting: &Acting, event: &Event) {
        match &acting.actor {
            Actor::Member(conn) => self.fanout.send(*conn, acting.mode, event),
            Actor::Console => self.console_answer(Some(plain::render(event))),
        }
    }

    /// The acknowledgement of a request that was carried out (JSON members with an id; the
    /// console, which waits for an answer to each request).
    fn done(&mut self, acting: &Acting) {
        match acting.actor {
            Actor::Member(conn) => self.ack(conn, acting.mode, acting.id.clone(), None),
            Actor::Console => self.console_answer(None),
        }
    }

    /// The member called `nick`, or a refusal saying where they went.
    fn target(&self, nick: &str) -> Result<Target, Refusal> {
        self.names
            .owner(nick)
            .and_then(|serial| self.members.get(&serial).map(|m| (serial, m)))
            .map(|(serial, member)| Target {
                serial,
                conn: member.conn,
                nick: member.nick.clone(),
                ip: member.ip,
                address: member.address,
            })
            .ok_or_else(|| {
                Refusal::new(
                    ErrorCode::NoSuchNick,
                    self.names.whereabouts(nick, Instant::now()),
                )
            })
    }

    /// The member called `nick`, when `acting` may `what` to them (an operator's business);
    /// otherwise `acting` is told why not.
    fn operator_on(&mut self, acting: &Acting, what: &str, nick: &str) -> Option<Target> {
        if !self.allowed(acting, what) {
            return None;
        }
        self.target(nick)
            .map_err(|refusal| self.deny(acting, refusal))
            .ok()
    }

    /// What `acting` did to `nick`, at `ts`, next in the room's order.
    fn change(&mut self, acting: &Acting, nick: String, ts: Timestamp) -> Change {
        Change {
            seq: self.next_seq(),
            ts,
            nick,
            by: acting.by.clone(),
        }
    }

    /// Tells the room what `acting` did (and so the console and the transcript), then `acting`
    /// that it is done.
    fn announce(&mut self, acting: &Acting, event: Event) {
        self.publish(event, None);
        self.done(acting);
    }

    fn op(&mut self, acting: Acting, arg: OpArg) {
        let arg = match arg {
            OpArg::Word(word) => {
                let names_member = self.names.owner(word.expose()).is_some();
                op_word(word, names_member, acting.serial.is_none())
            }
            arg => arg,
        };
        let (password, nick) = match arg {
            OpArg::Password(password) | OpArg::Word(password) => (Some(password), None),
            OpArg::Nick(nick) => (None, Some(nick)),
        };
        if let Some(nick) = nick {
            return self.op_nick(acting, &nick);
        }
        let (Some(password), Some(serial), Some(address)) =
            (password, acting.serial, acting.address)
        else {
            let refusal = Refusal::new(
                ErrorCode::NotAllowed,
                "the host's console is an operator already",
            );
            return self.deny(&acting, refusal);
        };
        if self.operators.is_operator(serial) {
            return self.done(&acting);
        }
        match self
            .operators
            .attempt(serial, address, password.digest(), Instant::now())
        {
            Attempt::Granted => {
                let nick = acting.by.clone().unwrap_or_default();
                let event = Event::Op(self.change(&acting, nick, Timestamp::now()));
                self.announce(&acting, event);
            }
            Attempt::Refused { refusal, lockout } => {
                if let Some(text) = lockout {
                    let console = true;
                    self.recorder.record(Activity::Note { text, console });
                }
                self.deny(&acting, refusal);
            }
        }
    }

    fn op_nick(&mut self, acting: Acting, nick: &str) {
        let Some(target) = self.operator_on(&acting, "make operators", nick) else {
            return;
        };
        if !self.operators.grant(target.serial) {
            return self.done(&acting);
        }
        let event = Event::Op(self.change(&acting, target.nick, Timestamp::now()));
        self.announce(&acting, event);
    }

    fn deop(&mut self, acting: Acting, nick: &str) {
        let Some(target) = self.operator_on(&acting, "take operator rights away", nick) else {
            return;
        };
        if !self.operators.revoke(target.serial) {
            let refusal = Refusal::new(
                ErrorCode::BadRequest,
                format!("{} is not an operator", target.nick),
            );
            return self.deny(&acting, refusal);
        }
        let event = Event::Deop(self.change(&acting, target.nick, Timestamp::now()));
        self.announce(&acting, event);
    }

    fn kick(&mut self, acting: Acting, nick: &str, reason: Option<String>) {
        let Some(target) = self.operator_on(&acting, "kick", nick) else {
            return;
        };
        let event = Event::Kick {
            change: self.change(&acting, target.nick, Timestamp::now()),
            reason,
        };
        // Everyone hears it, the kicked member too, before its connection closes.
        self.publish_putting_out(event, vec![target.conn]);
        self.done(&acting);
    }

    /// Closes a member's connection once the last event has reached it, and takes it out of
    /// the room without a `leave` (the kick or ban that put it out said it).
    pub(super) fn put_out(&mut self, conn: ConnRef) {
        self.fanout.order(conn, OrderKind::Release);
        self.take_out(conn);
    }

    fn ban(
        &mut self,
        acting: Acting,
        target: BanTarget,
        duration: Option<std::time::Duration>,
        reason: Option<String>,
    ) {
        if !self.allowed(&acting, "ban") {
            return;
        }
        let net = match target {
            BanTarget::Net(net) => net,
            BanTarget::Nick(nick) => match self.target(&nick) {
                Ok(target) => bans::member_net(target.ip),
                Err(refusal) => return self.deny(&acting, refusal),
            },
        };
        if let Some(own) = acting.ip
            && let Err(refusal) = bans::check_scope(&net, own)
        {
            return self.deny(&acting, refusal);
        }
        let now = Timestamp::now();
        // The ban is taken when its event is carried out (see `state_changes.rs`): here the
        // room only checks that it would be.
        if let Err(refusal) = self.bans.would_take(&net, now) {
            return self.deny(&acting, refusal);
        }
        let covered = self.members_in(&net);
        let mut nicks: Vec<String> = covered.iter().map(|(_, nick)| nick.clone()).collect();
        nicks.sort_by_cached_key(|nick| crate::nick::fold(nick));
        let event = Event::Ban {
            seq: self.next_seq(),
            ts: now,
            target: net_text(&net),
            nicks,
            by: acting.by.clone(),
            until: ends(now, duration),
            reason,
        };
        self.publish_putting_out(event, covered.into_iter().map(|(conn, _)| conn).collect());
        self.done(&acting);
    }

    /// The members connected from an address in `net`.
    pub(super) fn members_in(&self, net: &IpNet) -> Vec<(ConnRef, String)> {
        self.members
            .values()
            .filter(|member| net.contains(&member.ip))
            .map(|member| (member.conn, member.nick.clone()))
            .collect()
    }

    fn unban(&mut self, acting: Acting, target: BanTarget) {
        if !self.allowed(&acting, "lift bans") {
            return;
        }
        let now = Timestamp::now();
        // Lifted when the unban is carried out (see `ban`).
        let lifted = match &target {
            BanTarget::Net(net) => self.bans.on(net, now).cloned(),
            BanTarget::Nick(_) => None,
        };
        let Some(lifted) = lifted else {
            let refusal = Refusal::new(
                ErrorCode::BadRequest,
                format!("no ban on {target}; bans are by address (/bans lists them)"),
            );
            return self.deny(&acting, refusal);
        };
        let event = Event::Unban {
            seq: self.next_seq(),
            ts: now,
            target: net_text(&lifted.net),
            by: acting.by.clone(),
        };
        self.announce(&acting, event);
    }

    fn list_bans(&mut self, acting: Acting) {
        if !self.allowed(&acting, "list the bans") {
            return;
        }
        let bans = self
            .bans
            .current(Timestamp::now())
            .iter()
            .map(Ban::entry)
            .collect();
        let event = Event::Bans {
            bans,
            id: acting.id.clone(),
        };
        self.reply(&acting, &event);
    }

    fn mute(&mut self, acting: Acting, nick: &str, duration: Option<std::time::Duration>) {
        let Some(target) = self.operator_on(&acting, "mute", nick) else {
            return;
        };
        let now = Timestamp::now();
        let until = ends(now, duration);
        self.mutes.mute(target.serial, target.address, until, now);
        let event = Event::Mute {
            change: self.change(&acting, target.nick, now),
            until,
        };
        self.announce(&acting, event);
    }

    fn unmute(&mut self, acting: Acting, nick: &str) {
        let Some(target) = self.operator_on(&acting, "unmute", nick) else {
            return;
        };
        let now = Timestamp::now();
        if !self.mutes.unmute(target.serial, now) {
            let refusal = Refusal::new(
                ErrorCode::BadRequest,
                format!("{} is not muted", target.nick),
            );
            return self.deny(&acting, refusal);
        }
        let event = Event::Unmute(self.change(&acting, target.nick, now));
        self.announce(&acting, event);
    }

    fn topic(&mut self, acting: Acting, text: Option<String>) {
        let Some(text) = text else {
            let event = Event::Topic {
                seq: None,
                ts: self.topic.as_ref().map(|topic| topic.ts),
                text: self
                    .topic
                    .as_ref()
                    .map(|topic| topic.text.clone())
                    .unwrap_or_default(),
                by: self.topic.as_ref().and_then(|topic| topic.by.clone()),
                id: acting.id.clone(),
            };
            return self.reply(&acting, &event);
        };
        if !self.profile.open_topic && !self.allowed(&acting, "set the topic") {
            return;
        }
        // A muted member says nothing to the room, a topic included.
        if let Some(serial) = acting.serial
            && let Err(refusal) = self.mutes.check(serial, Timestamp::now())
        {
            return self.deny(&acting, refusal);
        }
        let now = Timestamp::now();
        // Set when the event is carried out (see `ban`).
        let event = Event::Topic {
            seq: Some(self.next_seq()),
            ts: Some(now),
            text,
            by: acting.by.clone(),
            id: None,
        };
        self.announce(&acting, event);
    }

    fn away(&mut self, acting: Acting, message: Option<String>) {
        let (Actor::Member(conn), Some(serial), Some(nick)) =
            (&acting.actor, acting.serial, acting.by.clone())
        else {
            return self.deny(&acting, console_is_never_away());
        };
        let conn = *conn;
        self.away.set(serial, message.clone());
        match acting.mode {
            Mode::Plain => {
                let line = plain::you_are_away(message.as_deref());
                self.fanout
                    .order(conn, OrderKind::Frame(Arc::from(line.into_bytes())));
            }
            Mode::Json => {
                let event = Event::Away { nick, message };
                self.fanout.send(conn, acting.mode, &event);
            }
        }
        self.done(&acting);
    }

    fn back(&mut self, acting: Acting) {
        let (Actor::Member(conn), Some(serial), Some(nick)) =
            (&acting.actor, acting.serial, acting.by.clone())
        else {
            return self.deny(&acting, console_is_never_away());
        };
        let conn = *conn;
        self.away.clear(serial);
        self.fanout.send(conn, acting.mode, &Event::Back { nick });
        self.done(&acting);
    }

    /// A member spoke: it is no longer away (and is told so).
    pub(super) fn spoke(&mut self, conn: ConnRef, mode: Mode) {
        if !self.away.clear(conn.serial()) {
            return;
        }
        if let Some(member) = self.member(conn) {
            let nick = member.nick.clone();
            self.fanout.send(conn, mode, &Event::Back { nick });
        }
    }

    /// `Err(muted)` when the member on `conn` may not speak now.
    pub(super) fn may_speak(&mut self, conn: ConnRef) -> Result<(), Refusal> {
        self.mutes.check(conn.serial(), Timestamp::now())
    }

    /// A private message from `sender` reached `target`: if `target` is away, `sender` hears so
    /// once.
    pub(super) fn away_reply(&mut self, sender: ConnRef, mode: Mode, target: u64, nick: &str) {
        if let Some(message) = self.away.reply(target, sender.serial()) {
            let event = Event::Away {
                nick: nick.to_string(),
                message,
            };
            self.fanout.send(sender, mode, &event);
        }
    }

    /// What `welcome` and `users` say about roles: the operators and those away, by nickname,
    /// sorted like the users.
    pub(super) fn roles(&self) -> (Vec<String>, Vec<String>) {
        let mut operators = Vec::new();
        let mut away = Vec::new();
        for (serial, member) in &self.members {
            if self.operators.is_operator(*serial) {
                operators.push(member.nick.clone());
            }
            if self.away.is_away(*serial) {
                away.push(member.nick.clone());
            }
        }
        operators.sort_by_cached_key(|nick| crate::nick::fold(nick));
        away.sort_by_cached_key(|nick| crate::nick::fold(nick));
        (operators, away)
    }

    /// Forgets a leaving member's roles (an operator's rights, being away, and whom its away
    /// message was given to); a mute stays held for its address.
    pub(super) fn forget_roles(&mut self, serial: u64) {
        self.operators.revoke(serial);
        self.away.left(serial);
        self.mutes.left(serial);
    }
}

/// What a plain `/op WORD` means: a present member's nickname (`names_member`) names the
/// member; anything else is the operator password, except from the console, which needs none
/// and so always names a member.
fn op_word(word: Password, names_member: bool, from_console: bool) -> OpArg {
    match names_member || from_console {
        true => OpArg::Nick(word.expose().to_string()),
        false => OpArg::Password(word),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_word_names_a_member_or_is_the_password() {
        let word = || Password::attempt("bob".into());
        assert_eq!(op_word(word(), true, false), OpArg::Nick("bob".into()));
        assert_eq!(op_word(word(), false, false), OpArg::Password(word()));
        // The console has no password to give: an absent nickname is still a nickname (and
        // the room then says no one is called that).
        assert_eq!(op_word(word(), false, true), OpArg::Nick("bob".into()));
        assert_eq!(op_word(word(), true, true), OpArg::Nick("bob".into()));
    }
}
