//! Whether a room shared through Redis (`--redis`) can take messages now.
//!
//! Two of the bridge's threads can find Redis gone: the reader (its `XREAD` broke; it
//! reconnects and says when it is back) and the appender (a batch failed; it tries the batch
//! again until it gets through). While either is down the room cannot promise anything about a
//! new message, so it refuses them (`unavailable`, which `send --retry` sends again) and tells
//! its members once; when both are up again it tells them once more. This file only keeps
//! the two flags and says when the room as a whole changed; the room does the telling.

use crate::protocol::parse::Refusal;
use crate::protocol::{ErrorCode, Event, Id};

/// The refusal of request `id` (a message) while the room is down.
pub(crate) fn refusal(id: Option<Id>) -> Refusal {
    Refusal {
        id,
        ..Refusal::new(
            ErrorCode::Unavailable,
            "not sent: the room is reconnecting to its Redis; send it again in a moment",
        )
    }
}

/// A change the members are to hear of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Turned {
    /// The room cannot take messages any more, and why.
    Down(String),
    /// It can again.
    Up,
}

impl Turned {
    /// What the members are told.
    pub(crate) fn event(self) -> Event {
        match self {
            Turned::Down(reason) => Event::RoomReconnecting { reason },
            Turned::Up => Event::RoomBack,
        }
    }
}

/// Which of the bridge's threads has lost Redis.
#[derive(Debug, Default)]
pub(crate) struct Outage {
    reader_lost: bool,
    append_failing: bool,
}

impl Outage {
    /// True while the room should refuse new messages.
    pub(crate) fn is_down(&self) -> bool {
        self.reader_lost || self.append_failing
    }

    /// The reader lost Redis (`why`).
    pub(crate) fn reader_lost(&mut self, why: String) -> Option<Turned> {
        self.set(|outage| outage.reader_lost = true, why)
    }

    /// The reader is reading again.
    pub(crate) fn reader_back(&mut self) -> Option<Turned> {
        self.set(|outage| outage.reader_lost = false, String::new())
    }

    /// A batch failed (`why`); the appender is trying it again.
    pub(crate) fn append_failed(&mut self, why: String) -> Option<Turned> {
        self.set(|outage| outage.append_failing = true, why)
    }

    /// A batch got through.
    pub(crate) fn appended(&mut self) -> Option<Turned> {
        self.set(|outage| outage.append_failing = false, String::new())
    }

    fn set(&mut self, change: impl FnOnce(&mut Outage), why: String) -> Option<Turned> {
        let was = self.is_down();
        change(self);
        match (was, self.is_down()) {
            (false, true) => Some(Turned::Down(why)),
            (true, false) => Some(Turned::Up),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn members_hear_once_when_the_room_goes_down_and_once_when_it_is_back() {
        let mut outage = Outage::default();
        assert_eq!(outage.appended(), None);
        assert_eq!(
            outage.reader_lost("connection refused".into()),
            Some(Turned::Down("connection refused".into()))
        );
        // The appender finding out too changes nothing the members see.
        assert_eq!(outage.append_failed("broken pipe".into()), None);
        assert_eq!(outage.reader_back(), None);
        assert!(outage.is_down(), "the appender is still failing");
        assert_eq!(outage.appended(), Some(Turned::Up));
        assert!(!outage.is_down());
    }

    #[test]
    fn an_append_failing_alone_takes_the_room_down() {
        let mut outage = Outage::default();
        assert_eq!(
            outage.append_failed("OOM command not allowed".into()),
            Some(Turned::Down("OOM command not allowed".into()))
        );
        assert_eq!(outage.reader_back(), None);
        assert_eq!(outage.appended(), Some(Turned::Up));
    }
}
