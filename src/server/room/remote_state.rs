//! The room-wide state of a shared room (`--redis`): bans and the topic.
//!
//! A host checks its own members' and console's moderation (see `moderation.rs`) and sends
//! the event through the room's stream; every host, the one it was made on included, applies it
//! here when it comes back from the stream: a ban is added (and this host's members from the
//! banned addresses are put out), an unban lifted, a topic set. So every host applies the
//! changes in the room's one order (a ban and an unban crossing end the same on all hosts), a
//! member banned on one host cannot come back through another, and a newcomer on any host is
//! welcomed with the same topic. Every host then keeps the state as it keeps its own (its
//! state file, and the room's copy in Redis that a host starting later reads).
//!
//! What is not room-wide: mutes are held for an address on the host where they were made,
//! operators are operators on their own host, and a kick or mute names a member of the host
//! it was typed on.

use super::Room;
use crate::protocol::moderation::BanTarget;
use crate::protocol::wire::TopicInfo;
use crate::protocol::{Event, Timestamp};
use crate::server::activity::Activity;
use crate::server::bans::Ban;

/// Whether `event` changes the room-wide state (a ban, an unban, a topic set), which the hosts
/// keep in Redis for hosts starting later.
pub(super) fn changes_state(event: &Event) -> bool {
    matches!(
        event,
        Event::Ban { .. } | Event::Unban { .. } | Event::Topic { seq: Some(_), .. }
    )
}

impl Room {
    /// Applies `event`, a ban, unban or topic back from the room's stream, to this host's state.
    pub(super) fn apply_change(&mut self, event: &Event) {
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
                    return self.unreadable(target);
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
                        text: format!("a ban was not kept here: {}", refusal.message),
                    });
                }
                for (conn, _) in self.members_in(&net) {
                    self.put_out(conn);
                }
                self.save_state();
            }
            Event::Unban { target, .. } => {
                let Ok(BanTarget::Net(net)) = BanTarget::parse(target) else {
                    return self.unreadable(target);
                };
                self.bans.remove(&net, Timestamp::now());
                self.save_state();
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
                self.save_state();
            }
            _ => {}
        }
    }

    fn unreadable(&mut self, target: &str) {
        self.recorder.record(Activity::Warning {
            text: format!(
                "a ban or unban from the room's stream names no address or range: {target:?}"
            ),
        });
    }
}
