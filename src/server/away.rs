//! Who is away, with what message, and whom each has already told so.
//!
//! A private message to someone away answers its sender with the away message once per absence:
//! the second message from the same sender goes through without another reply. Coming back
//! (`/back`, or speaking) starts afresh. The room owns the one [`Away`]; the senders remembered
//! per absence are bounded, so a flood of senders cannot grow it without limit (past the bound,
//! a sender may simply hear the away message again), and a member who leaves is forgotten both
//! as someone away and as a sender already told.

use std::collections::{HashMap, HashSet};

/// Senders remembered per absence.
const MAX_TOLD: usize = 1024;

struct Absence {
    message: Option<String>,
    /// The connection serials of those already told.
    told: HashSet<u64>,
}

/// The members who are away, by connection serial.
#[derive(Default)]
pub(crate) struct Away {
    absent: HashMap<u64, Absence>,
}

impl Away {
    /// Marks `serial` away (again: with the new message, telling everyone anew).
    pub(crate) fn set(&mut self, serial: u64, message: Option<String>) {
        self.absent.insert(
            serial,
            Absence {
                message,
                told: HashSet::new(),
            },
        );
    }

    /// `serial` is back (or left); false when it was not away.
    pub(crate) fn clear(&mut self, serial: u64) -> bool {
        self.absent.remove(&serial).is_some()
    }

    /// `serial` left: it is no longer away, and no absence remembers having told it.
    pub(crate) fn left(&mut self, serial: u64) {
        self.absent.remove(&serial);
        for absence in self.absent.values_mut() {
            absence.told.remove(&serial);
        }
    }

    pub(crate) fn is_away(&self, serial: u64) -> bool {
        self.absent.contains_key(&serial)
    }

    /// A private message from `sender` to `target`: `Some(message)` when `target` is away and
    /// `sender` has not been told yet this absence.
    pub(crate) fn reply(&mut self, target: u64, sender: u64) -> Option<Option<String>> {
        let absence = self.absent.get_mut(&target)?;
        if absence.told.contains(&sender) {
            return None;
        }
        if absence.told.len() < MAX_TOLD {
            absence.told.insert(sender);
        }
        Some(absence.message.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sender_hears_the_away_message_once_per_absence() {
        let mut away = Away::default();
        assert_eq!(away.reply(1, 2), None, "not away");
        away.set(1, Some("lunch".into()));
        assert!(away.is_away(1));
        assert_eq!(away.reply(1, 2), Some(Some("lunch".into())));
        assert_eq!(away.reply(1, 2), None, "told already");
        assert_eq!(away.reply(1, 3), Some(Some("lunch".into())));
        assert!(away.clear(1));
        assert!(!away.clear(1));
        away.set(1, None);
        assert_eq!(away.reply(1, 2), Some(None), "a new absence");
    }

    #[test]
    fn a_member_who_leaves_is_forgotten_as_a_sender_too() {
        let mut away = Away::default();
        away.set(1, None);
        away.set(2, None);
        assert!(away.reply(1, 3).is_some());
        assert!(away.reply(2, 3).is_some());
        away.left(3);
        assert!(away.absent.values().all(|absence| absence.told.is_empty()));
        away.left(1);
        assert!(!away.is_away(1));
        assert!(away.is_away(2));
    }

    #[test]
    fn those_told_are_bounded() {
        let mut away = Away::default();
        away.set(1, None);
        for sender in 0..(MAX_TOLD as u64 + 100) {
            assert!(away.reply(1, 10 + sender).is_some());
        }
        assert_eq!(away.absent[&1].told.len(), MAX_TOLD);
    }
}
