//! The room's side of what spans its hosts beyond the stream (`--redis`): the room-wide member
//! list (`/list`, JSON `list`, the console's `/list`, a newcomer's welcome and the `count` of
//! its join or of a presence summary) and private messages to and from members of other hosts.
//!
//! The room never waits on Redis: it hands the call to the bridge-calls thread (see
//! `server/asked.rs`) and acts when the answer comes back (`Room::called`). What it knows only
//! about its own members, it says only about them: the operators and those away in a list are
//! this host's (other hosts' roles are not in Redis). An away member's answer to the sender of
//! a private message from another host goes back as a letter, once per absence, as it would to
//! a sender on its own host.

use std::hash::{DefaultHasher, Hash, Hasher};
use std::sync::Arc;
use std::time::Instant;

use super::Room;
use crate::bridge::calls::Answer;
use crate::bridge::entry::{BadEntry, Letter};
use crate::bridge::host_id::HostId;
use crate::bridge::letters::Posted;
use crate::bridge::roster::Roster;
use crate::nick::fold;
use crate::protocol::parse::Refusal;
use crate::protocol::wire::{MessageKey, MessageKind};
use crate::protocol::{ErrorCode, Event, Id, Mode, Timestamp, plain};
use crate::server::activity::Activity;
use crate::server::asked::{Listing, Posting};
use crate::server::conn::ConnRef;
use crate::server::fanout::OrderKind;
use crate::server::outage;
use crate::server::shared::CallAnswer;

/// The names of every host (`remote`, read from Redis) and this host's own (`local`), each once,
/// sorted ignoring case: this host's members are listed even when Redis has not caught up with
/// them (a name claimed a moment ago, a host reaped while it stalled).
fn merge_names(remote: Vec<String>, local: Vec<String>) -> Vec<String> {
    let mut keyed: Vec<(String, String)> = remote
        .into_iter()
        .chain(local)
        .map(|name| (fold(&name), name))
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    keyed.dedup_by(|a, b| a.0 == b.0);
    keyed.into_iter().map(|(_, name)| name).collect()
}

/// The refusal when Redis could not be asked for the member list.
fn list_failed(why: &str) -> Refusal {
    Refusal::new(
        ErrorCode::Busy,
        format!(
            "the room cannot read its member list from Redis now ({why}); try again in a moment"
        ),
    )
}

impl Room {
    /// An answer of the bridge-calls thread.
    pub(super) fn called(&mut self, answer: CallAnswer) {
        match answer {
            Answer::Claimed(claimed) => self.claimed(claimed),
            Answer::Listed { tag, outcome } => self.listed(tag, outcome),
            Answer::Posted { tag, outcome } => self.posted(tag, outcome),
        }
    }

    /// A member's `/list`: this host's members at once, or in a shared room everybody's once
    /// the bridge has read them.
    pub(super) fn list(&mut self, conn: ConnRef, mode: Mode, id: Option<Id>) {
        let asked = match &mut self.shared {
            None => {
                let users = self.users_event(id);
                return self.fanout.send(conn, mode, &users);
            }
            Some(shared) => shared.list(Listing::Member {
                conn,
                mode,
                id: id.clone(),
            }),
        };
        if let Err(refusal) = asked {
            self.refuse(conn, mode, Refusal { id, ..refusal });
        }
    }

    /// The console's `/list`, like a member's.
    pub(super) fn console_list(&mut self) {
        let asked = match &mut self.shared {
            None => {
                let users = plain::render(&self.users_event(None));
                return self.console_answer(Some(users));
            }
            Some(shared) => shared.list(Listing::Console),
        };
        if let Err(refusal) = asked {
            self.console_answer(Some(refusal.message));
        }
    }

    /// In a shared room, asks for the room-wide headcount to announce `joined` and `left` with
    /// when it comes; false when the room is not shared or the bridge is too busy (the summary
    /// then counts this host's members, rather than wait).
    pub(super) fn count_then_announce(&mut self, joined: u64, left: u64) -> bool {
        self.shared
            .as_mut()
            .is_some_and(|shared| shared.list(Listing::Presence { joined, left }).is_ok())
    }

    /// The room's members on every host, for everyone who asked (merged with this host's once,
    /// however many asked); then those who asked since are asked for (or told the bridge is too
    /// busy).
    fn listed(&mut self, batch: Vec<Listing>, outcome: Result<Roster, String>) {
        let everyone = outcome.map(|roster| {
            let users = merge_names(roster.names.unwrap_or_default(), self.users());
            (users, roster.count)
        });
        for listing in batch {
            self.answer_listing(listing, everyone.as_ref());
        }
        let refused = match &mut self.shared {
            Some(shared) => shared.lists_answered(),
            None => Vec::new(),
        };
        let why = "too many calls wait for Redis".to_string();
        for listing in refused {
            self.answer_listing(listing, Err(&why));
        }
    }

    /// The room's members on every host (their names, and how many there are), for one who
    /// asked.
    fn answer_listing(&mut self, listing: Listing, everyone: Result<&(Vec<String>, u64), &String>) {
        match listing {
            Listing::Member { conn, mode, id } => {
                if self.member(conn).is_none() {
                    return;
                }
                match everyone {
                    Ok((users, _)) => {
                        let event = self.users_event_of(users.clone(), id);
                        self.fanout.send(conn, mode, &event);
                    }
                    Err(why) => {
                        let refusal = list_failed(why);
                        self.refuse(conn, mode, Refusal { id, ..refusal });
                    }
                }
            }
            Listing::Console => {
                let answer = match everyone {
                    Ok((users, _)) => plain::render(&self.users_event_of(users.clone(), None)),
                    Err(why) => list_failed(why).message,
                };
                self.console_answer(Some(answer));
            }
            // This host's count when Redis cannot say: the summary is not held back for it.
            Listing::Presence { joined, left } => {
                let local = self.members.len();
                let count = everyone.map_or(local, |(_, count)| {
                    usize::try_from(*count).unwrap_or(usize::MAX).max(local)
                });
                self.publish_presence(joined, left, count);
            }
        }
    }

    /// A newcomer's welcome's `users` and `count`: the room on every host in a shared room (as
    /// its claim's answer read it, when it could), this host's otherwise. A big room lists the
    /// newcomer only, and counts everybody.
    pub(super) fn welcome_users(&mut self, nick: &str) -> (Vec<String>, usize) {
        let local = self.members.len();
        match self.arriving_roster.take() {
            Some(Roster { count, names }) => {
                let count = usize::try_from(count).unwrap_or(usize::MAX).max(local);
                let users = match names {
                    Some(names) if count <= self.profile.quiet_above => {
                        merge_names(names, self.users())
                    }
                    _ => vec![nick.to_string()],
                };
                (users, count)
            }
            None if self.is_big() => (vec![nick.to_string()], local),
            None => (self.users(), local),
        }
    }

    /// A private message to `to`, who is no member of this host: in a shared room, posted to
    /// the host that has them (the sender is answered when it is); otherwise, or when no host
    /// has them, refused. `key` is the request's resend key, recorded once posted.
    pub(super) fn private_elsewhere(
        &mut self,
        sender: (ConnRef, Mode, Option<Id>),
        from: String,
        to: &str,
        text: String,
        key: Option<MessageKey>,
    ) {
        let (conn, mode, id) = sender;
        let Some(shared) = &mut self.shared else {
            return self.no_such_nick(conn, mode, id, to);
        };
        if shared.is_down() {
            // Held by `send --retry` and `join`, and sent again when the room is back.
            return self.refuse(conn, mode, outage::refusal(id));
        }
        let event = Event::Message {
            seq: 0,
            ts: Timestamp::now(),
            from,
            kind: MessageKind::Pm,
            to: Some(to.to_string()),
            text,
            history: false,
        };
        let letter = event.clone();
        let posting = Posting::Pm {
            conn,
            mode,
            id: id.clone(),
            key,
            event: Box::new(event),
        };
        if let Err(refusal) = shared.post(to, &letter, posting) {
            self.refuse(conn, mode, Refusal { id, ..refusal });
        }
    }

    /// Tells a sender nobody called `to` is in the room.
    fn no_such_nick(&mut self, conn: ConnRef, mode: Mode, id: Option<Id>, to: &str) {
        let why = self.names.whereabouts(to, Instant::now());
        let refusal = Refusal::new(ErrorCode::NoSuchNick, why);
        self.refuse(conn, mode, Refusal { id, ..refusal });
    }

    /// Where a letter to another host's member went: the sender is answered as for a private
    /// message on this host (an ack with this host's private seq, or the plain confirmation).
    fn posted(&mut self, posting: Posting, outcome: Result<Posted, String>) {
        let Posting::Pm {
            conn,
            mode,
            id,
            key,
            event,
        } = posting
        else {
            // An away answer: its sender is not waiting for it.
            return;
        };
        if self.member(conn).is_none() {
            return;
        }
        let Event::Message { ts, to, text, .. } = *event else {
            return;
        };
        let typed = to.unwrap_or_default();
        match outcome {
            Ok(Posted::To { to }) => {
                self.private_seq += 1;
                let seq = self.private_seq;
                if let Some(key) = key {
                    self.dedupe.record(key, Some(seq));
                }
                match mode {
                    Mode::Json => self.ack(conn, mode, id, Some(seq)),
                    Mode::Plain => {
                        let confirmation = plain::pm_sent(&ts, &to, &text);
                        let frame = Arc::from(confirmation.into_bytes());
                        self.fanout.order(conn, OrderKind::Frame(frame));
                    }
                }
            }
            Ok(Posted::NoSuchNick) => self.no_such_nick(conn, mode, id, &typed),
            Err(why) => {
                let refusal = Refusal::new(
                    ErrorCode::Busy,
                    format!(
                        "your message to {typed} was not delivered: the room cannot reach \
                         Redis now ({why}); try again in a moment"
                    ),
                );
                self.refuse(conn, mode, Refusal { id, ..refusal });
            }
        }
    }

    /// Letters from members of other hosts, for members of this one.
    pub(super) fn letters(&mut self, letters: Vec<Result<Letter, BadEntry>>) {
        for letter in letters {
            match letter {
                Ok(letter) => self.letter(letter),
                Err(bad) => self.recorder.record(Activity::Warning {
                    text: bad.to_string(),
                }),
            }
        }
    }

    /// Hands a letter to its recipient, if still here (one who left meanwhile is gone with its
    /// letters, as its queue would be): a private message under the rules of one from a member
    /// of this host (the budget for members who are not reading, the away answer), an away
    /// answer as one from a member here.
    fn letter(&mut self, letter: Letter) {
        let Letter {
            host,
            to,
            mut event,
            ..
        } = letter;
        let Some((conn, mode, nick)) = self
            .names
            .owner(&to)
            .and_then(|serial| self.members.get(&serial))
            .map(|member| (member.conn, member.mode, member.nick.clone()))
        else {
            let text = format!("a letter from another host to {to}, who left, was dropped");
            return self.recorder.record(Activity::Note {
                text,
                console: false,
            });
        };
        let from = match &mut event {
            Event::Message {
                to: Some(named),
                from,
                history,
                ..
            } => {
                // Named as this host knows them.
                *named = nick.clone();
                *history = false;
                from.clone()
            }
            Event::Away { .. } => return self.fanout.send(conn, mode, &event),
            _ => return,
        };
        if let Err(refusal) = self.deliver_private(conn.serial(), event) {
            return self.recorder.record(Activity::Note {
                text: format!("a private message from another host: {}", refusal.message),
                console: false,
            });
        }
        self.away_answer_elsewhere(conn.serial(), &nick, (&host, &from));
    }

    /// When the member `serial` (called `nick`) is away, answers the sender of a private message
    /// from another host (`from` on `host`) with its away message, once per absence, as a
    /// sender on this host is answered.
    fn away_answer_elsewhere(&mut self, serial: u64, nick: &str, (host, from): (&HostId, &str)) {
        let Some(message) = self.away.reply(serial, remote_sender(host, from)) else {
            return;
        };
        let Some(shared) = &mut self.shared else {
            return;
        };
        let answer = Event::Away {
            nick: nick.to_string(),
            message,
        };
        // A busy bridge drops it: the message itself was delivered.
        let _ = shared.post(from, &answer, Posting::AwayAnswer);
    }
}

/// A number for the sender `from` on another host `host`, among the connection serials an
/// absence remembers as told (see `away.rs`): this host's serials count up from 0 and never
/// reach the top bit, which these always have.
fn remote_sender(host: &HostId, from: &str) -> u64 {
    let mut hasher = DefaultHasher::new();
    (host.as_str(), fold(from)).hash(&mut hasher);
    hasher.finish() | 1 << 63
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|name| name.to_string()).collect()
    }

    #[test]
    fn names_from_redis_and_this_host_are_listed_once_sorted_ignoring_case() {
        let merged = merge_names(names(&["cid", "Ann", "bob"]), names(&["bob", "dee", "ANN"]));
        assert_eq!(merged.len(), 4, "{merged:?}");
        let folded: Vec<String> = merged.iter().map(|name| fold(name)).collect();
        assert_eq!(folded, ["ann", "bob", "cid", "dee"]);
    }

    #[test]
    fn a_sender_on_another_host_is_never_taken_for_a_member_here() {
        let host: HostId = "0123456789abcdef0123456789abcdef".parse().unwrap();
        let other: HostId = "fedcba9876543210fedcba9876543210".parse().unwrap();
        let ann = remote_sender(&host, "Ann");
        assert!(ann >= 1 << 63);
        assert_eq!(
            ann,
            remote_sender(&host, "aNN"),
            "one sender whatever the case"
        );
        assert_ne!(ann, remote_sender(&other, "Ann"));
        assert_ne!(ann, remote_sender(&host, "bob"));
    }

    #[test]
    fn a_list_redis_cannot_give_says_why_and_what_to_do() {
        let refusal = list_failed("could not reach Redis at 127.0.0.1:6379");
        assert_eq!(refusal.code, ErrorCode::Busy);
        assert!(
            refusal.message.contains("127.0.0.1:6379"),
            "{}",
            refusal.message
        );
        assert!(refusal.message.contains("try again"), "{}", refusal.message);
    }
}
