//! Bans and the topic change when their events are carried out (see [`Room::carry_out`]).
//!
//! A moderation command only checks and announces (see `moderation.rs`); the room's state
//! changes here, from the event: a ban is added (and the members from the banned addresses are
//! put out), an unban lifted, a topic set, and the state file written. A room of its own
//! carries an event out at once. A shared room (`--redis`) carries it out when it comes back
//! from the room's stream, on every host, the one it was made on included: so every host
//! applies the changes in the room's one order (a ban and an unban crossing end the same on all
//! hosts), a member banned on one host cannot come back through another, and a newcomer on any
//! host is welcomed with the same topic; every host then writes the state to the room's copy in
//! Redis too, which a host starting later reads.
//!
//! What is not room-wide: mutes are held for an address on the host where they were made,
//! operators are operators on their own host, and a kick or mute names a member of the host
//! it was typed on.

use std::time::Instant;

use super::Room;
use crate::protocol::moderation::BanTarget;
use crate::protocol::wire::TopicInfo;
use crate::protocol::{Event, Timestamp};
use crate::server::activity::Activity;
use crate::server::bans::Ban;
use crate::server::room_state_file::RoomState;

impl Room {
    /// Applies `event` to the room's state if it is a ban, an unban or a topic; whether it changed
    /// the state.
    pub(super) fn apply_change(&mut self, event: &Event) -> bool {
        match event {
            Event::Ban {
                ts,
                target,
                by,
                until,
                reason,
                ..
            } => {
                let Ok(BanTarget::Net(net)) = BanTarget::parse(target) else {
                    self.unreadable(target);
                    return false;
                };
                let ban = Ban {
                    net,
                    ts: *ts,
                    by: by.clone(),
                    until: *until,
                    reason: reason.clone(),
                };
                if let Err(refusal) = self.bans.add(ban, Timestamp::now()) {
                    self.recorder.record(Activity::Warning {
                        text: format!("a ban was not kept: {}", refusal.message),
                    });
                }
                for (conn, _) in self.members_in(&net) {
                    self.put_out(conn);
                }
            }
            Event::Unban { target, .. } => {
                let Ok(BanTarget::Net(net)) = BanTarget::parse(target) else {
                    self.unreadable(target);
                    return false;
                };
                self.bans.remove(&net, Timestamp::now());
            }
            Event::Topic {
                seq: Some(_),
                ts,
                text,
                by,
                ..
            } => {
                self.topic = (!text.is_empty()).then(|| TopicInfo {
                    text: text.clone(),
                    by: by.clone(),
                    ts: ts.unwrap_or_else(Timestamp::now),
                });
            }
            _ => return false,
        }
        self.save_state();
        true
    }

    fn unreadable(&mut self, target: &str) {
        self.recorder.record(Activity::Warning {
            text: format!(
                "a ban or unban from the room's stream names no address or range: {target:?}"
            ),
        });
    }

    /// The bans or the topic changed: writes them to the state file, if the room has one, now or
    /// once the gap between writes is over (see `room_state_file.rs`). (A shared room's copy in
    /// Redis is written when the change is carried out: [`Room::share_state`].)
    pub(super) fn save_state(&mut self) {
        let now = Instant::now();
        if self
            .state_file
            .as_mut()
            .is_some_and(|file| file.changed(now))
        {
            self.write_state(now);
        }
    }

    /// A ban, an unban or a topic numbered `seq` was carried out: a shared room's copy of the
    /// state in Redis is brought up to it (every host writes it; Redis keeps the newest by seq,
    /// so a late write of an older state loses).
    pub(super) fn share_state(&mut self, seq: u64) {
        if self.shared.is_none() {
            return;
        }
        let state = self.current_state();
        if let (Some(shared), Ok(json)) = (&mut self.shared, serde_json::to_string(&state)) {
            shared.save_state(seq, json);
        }
    }

    /// The bans (those expired dropped) and the topic, as they are kept.
    fn current_state(&mut self) -> RoomState {
        RoomState {
            bans: self.bans.current(Timestamp::now()).to_vec(),
            topic: self.topic.clone(),
        }
    }

    /// Writes a change that waited for the gap between writes, once it is over (or at once,
    /// when the room is `closing`).
    pub(super) fn write_state_if_due(&mut self, closing: bool) {
        let now = Instant::now();
        let due = self.state_file.as_ref().and_then(|file| file.due());
        if due.is_some_and(|due| closing || due <= now) {
            self.write_state(now);
        }
    }

    /// Writes the bans and the topic to the state file; the first failure is a warning.
    fn write_state(&mut self, now: Instant) {
        let state = self.current_state();
        let Some(file) = &mut self.state_file else {
            return;
        };
        if let Err(Some(warning)) = file.save(&state, now) {
            self.recorder.record(Activity::Warning { text: warning });
        }
    }
}
