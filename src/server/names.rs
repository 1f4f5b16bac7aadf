//! The room's nicknames: who holds which, which are too alike to share a room, and which were
//! just given up.
//!
//! A nickname is unique ignoring case, and may not look like a present member's (`a1ice` next
//! to `alice`: see [`nick::likeness`](crate::nick::likeness)). A nickname given up (a rename or
//! a leave) stays out of others' reach for [`HOLD`]: otherwise `alice` renaming to `alice_afk`
//! lets `mallory` take `alice` and read the private messages meant for her. The address it was
//! given up from may take it back at once (a reconnect, or a rename back), and a private message
//! to it meanwhile is refused saying where its holder went.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use super::addresses::AddressKey;
use crate::nick::{fold, likeness};
use crate::protocol::ErrorCode;
use crate::protocol::parse::Refusal;

/// How long a nickname given up stays out of others' reach.
pub(crate) const HOLD: Duration = Duration::from_secs(30);

/// A nickname given up a moment ago.
struct Hold {
    until: Instant,
    /// Where its holder connected from: that address may take it back.
    address: AddressKey,
    /// Its holder's new nickname, after a rename; `None` after a leave.
    now_known_as: Option<String>,
}

/// The nicknames in use and held, by folded form; the room owns it.
#[derive(Default)]
pub(crate) struct Names {
    /// Folded nickname -> the holder's connection serial.
    owners: HashMap<String, u64>,
    /// Each form of each nickname in use ([`likeness`]) -> the holder's serial.
    likenesses: HashMap<String, u64>,
    held: HashMap<String, Hold>,
}

impl Names {
    /// Whose a nickname is (by folded form), if anyone's.
    pub(crate) fn owner(&self, nick: &str) -> Option<u64> {
        self.owners.get(&fold(nick)).copied()
    }

    /// May `serial`, connected from `address`, call itself `nick`? Says why not.
    pub(crate) fn check(
        &self,
        nick: &str,
        serial: u64,
        address: AddressKey,
        now: Instant,
    ) -> Result<(), Refusal> {
        let taken = |message: String| Err(Refusal::new(ErrorCode::NickTaken, message));
        if self.owner(nick).is_some_and(|owner| owner != serial) {
            return taken(format!("nickname '{nick}' is taken"));
        }
        let alike = likeness(nick)
            .iter()
            .find_map(|form| self.likenesses.get(form).filter(|&&owner| owner != serial));
        if let Some(owner) = alike {
            let holder = self
                .owners
                .iter()
                .find(|(_, serial)| *serial == owner)
                .map(|(nick, _)| nick.clone())
                .unwrap_or_default();
            return taken(format!(
                "nickname '{nick}' looks too much like '{holder}', who is here"
            ));
        }
        if let Some(hold) = self.held.get(&fold(nick))
            && now < hold.until
            && hold.address != address
        {
            let left = hold.until.saturating_duration_since(now).as_secs() + 1;
            return taken(format!(
                "nickname '{nick}' was given up a moment ago; it is free again in {left} s"
            ));
        }
        Ok(())
    }

    /// `serial` now holds `nick` (checked with [`Names::check`]).
    pub(crate) fn claim(&mut self, nick: &str, serial: u64) {
        self.owners.insert(fold(nick), serial);
        for form in likeness(nick) {
            self.likenesses.insert(form, serial);
        }
        self.held.remove(&fold(nick));
    }

    /// `serial` gives up `nick`, renamed to `now_known_as` or gone: it is held for [`HOLD`].
    pub(crate) fn release(
        &mut self,
        nick: &str,
        address: AddressKey,
        now_known_as: Option<String>,
        now: Instant,
    ) {
        let Some(serial) = self.owners.remove(&fold(nick)) else {
            return;
        };
        for form in likeness(nick) {
            if self.likenesses.get(&form) == Some(&serial) {
                self.likenesses.remove(&form);
            }
        }
        // Held names are few (one per leave or rename within HOLD): forgetting the expired ones
        // as new ones come keeps them so.
        self.held.retain(|_, hold| hold.until > now);
        self.held.insert(
            fold(nick),
            Hold {
                until: now + HOLD,
                address,
                now_known_as,
            },
        );
    }

    /// Why a private message to `nick`, whom nobody holds, cannot be delivered.
    pub(crate) fn whereabouts(&self, nick: &str, now: Instant) -> String {
        match self.held.get(&fold(nick)).filter(|hold| now < hold.until) {
            Some(Hold {
                now_known_as: Some(new),
                ..
            }) => format!("no one called '{nick}' is here: they are now '{new}'"),
            Some(_) => format!("no one called '{nick}' is here: they left a moment ago"),
            None => format!("no one called '{nick}' is here"),
        }
    }

    /// Forgets everyone (the room is closing).
    pub(crate) fn clear(&mut self) {
        *self = Names::default();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn address(ip: &str) -> AddressKey {
        AddressKey::of(ip.parse().unwrap())
    }

    fn code(result: Result<(), Refusal>) -> Option<ErrorCode> {
        result.err().map(|refusal| refusal.code)
    }

    #[test]
    fn names_are_unique_ignoring_case_and_lookalikes_are_refused() {
        let mut names = Names::default();
        let (home, now) = (address("192.0.2.1"), Instant::now());
        names.claim("alice", 1);
        assert_eq!(
            code(names.check("ALICE", 2, home, now)),
            Some(ErrorCode::NickTaken)
        );
        let alike = names.check("a1ice", 2, home, now).unwrap_err();
        assert_eq!(
            alike.message,
            "nickname 'a1ice' looks too much like 'alice', who is here"
        );
        assert_eq!(names.check("alice", 1, home, now), Ok(()), "her own name");
        assert_eq!(names.check("bob", 2, home, now), Ok(()));
    }

    #[test]
    fn a_name_given_up_is_held_from_others_but_not_from_its_address() {
        let mut names = Names::default();
        let (alice_at, mallory_at) = (address("192.0.2.1"), address("198.51.100.9"));
        let now = Instant::now();
        names.claim("alice", 1);
        names.release("alice", alice_at, Some("alice_afk".into()), now);
        names.claim("alice_afk", 1);
        let refused = names.check("alice", 2, mallory_at, now).unwrap_err();
        assert!(
            refused.message.contains("given up a moment ago"),
            "{refused:?}"
        );
        assert_eq!(
            names.whereabouts("alice", now),
            "no one called 'alice' is here: they are now 'alice_afk'"
        );
        assert_eq!(
            names.check("alice", 1, alice_at, now),
            Ok(()),
            "renaming back"
        );
        assert_eq!(
            names.check("alice", 3, alice_at, now),
            Ok(()),
            "reconnecting"
        );
        let later = now + HOLD;
        assert_eq!(names.check("alice", 2, mallory_at, later), Ok(()));
        assert_eq!(
            names.whereabouts("alice", later),
            "no one called 'alice' is here"
        );
    }
}
