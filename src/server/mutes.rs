//! Who may read but not speak: muted members, and the addresses their mutes are held for.
//!
//! A mute is on the member (its connection), and held for its address too, so that leaving and
//! coming back under another nickname does not lift it: a newcomer from a muted address is muted
//! on arrival, until the mute ends. Other members already in the room from the same address (a
//! shared office, a NAT) are left alone. A mute ends at its time, checked when the member speaks
//! (no timer needed), or with `/unmute`, which lifts it for the address as well. The room owns the
//! one [`Mutes`]; it is bounded like the ban list.

use std::collections::HashMap;

use super::addresses::AddressKey;
use crate::protocol::parse::Refusal;
use crate::protocol::{ErrorCode, Timestamp};

/// The most addresses mutes are held for at once; the oldest goes when a new one needs room.
const MAX_HELD: usize = 1024;

/// One mute: until when (`None`: until lifted).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Mute {
    until: Option<Timestamp>,
    made: Timestamp,
}

impl Mute {
    fn is_over(&self, now: Timestamp) -> bool {
        self.until.is_some_and(|until| until <= now)
    }
}

/// Muted members and addresses.
#[derive(Debug, Default)]
pub(crate) struct Mutes {
    /// By connection serial, with the member's address.
    members: HashMap<u64, (AddressKey, Mute)>,
    by_address: HashMap<AddressKey, Mute>,
}

impl Mutes {
    /// Mutes member `serial` from `address` until `until` (`None`: until lifted).
    pub(crate) fn mute(
        &mut self,
        serial: u64,
        address: AddressKey,
        until: Option<Timestamp>,
        now: Timestamp,
    ) {
        let mute = Mute { until, made: now };
        self.members.insert(serial, (address, mute));
        if self.by_address.len() >= MAX_HELD && !self.by_address.contains_key(&address) {
            self.by_address.retain(|_, mute| !mute.is_over(now));
            if self.by_address.len() >= MAX_HELD
                && let Some(oldest) = self
                    .by_address
                    .iter()
                    .min_by_key(|(_, mute)| mute.made)
                    .map(|(key, _)| *key)
            {
                self.by_address.remove(&oldest);
            }
        }
        self.by_address.insert(address, mute);
    }

    /// A newcomer `serial` from `address`: muted if its address is. Returns until when.
    pub(crate) fn arrived(
        &mut self,
        serial: u64,
        address: AddressKey,
        now: Timestamp,
    ) -> Option<Option<Timestamp>> {
        let mute = *self.by_address.get(&address)?;
        if mute.is_over(now) {
            self.by_address.remove(&address);
            return None;
        }
        self.members.insert(serial, (address, mute));
        Some(mute.until)
    }

    /// Lifts the mute on member `serial` and on its address (and so on every member muted
    /// for that address). False when it was not muted.
    pub(crate) fn unmute(&mut self, serial: u64, now: Timestamp) -> bool {
        let Some((address, mute)) = self.members.remove(&serial) else {
            return false;
        };
        self.by_address.remove(&address);
        self.members.retain(|_, (held, _)| *held != address);
        !mute.is_over(now)
    }

    /// The member left: its mute stays held for its address only.
    pub(crate) fn left(&mut self, serial: u64) {
        self.members.remove(&serial);
    }

    /// `Err(muted)` when member `serial` may not speak now.
    pub(crate) fn check(&mut self, serial: u64, now: Timestamp) -> Result<(), Refusal> {
        let Some((_, mute)) = self.members.get(&serial) else {
            return Ok(());
        };
        if mute.is_over(now) {
            self.members.remove(&serial);
            return Ok(());
        }
        let until = match mute.until {
            // The date too when it is not today: a mute may last a year.
            Some(until) if until.0.date_naive() == now.0.date_naive() => {
                format!("until {}", until.0.format("%H:%M UTC"))
            }
            Some(until) => format!("until {}", until.0.format("%Y-%m-%d %H:%M UTC")),
            None => "until an operator unmutes you".to_string(),
        };
        Err(Refusal::new(
            ErrorCode::Muted,
            format!("you are muted {until}; you can still read"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        Timestamp(text.parse().unwrap())
    }

    fn key(ip: &str) -> AddressKey {
        AddressKey::of(ip.parse().unwrap())
    }

    #[test]
    fn a_muted_member_is_told_until_when_and_the_mute_ends_by_itself() {
        let now = at("2026-12-07T14:00:00Z");
        let mut mutes = Mutes::default();
        mutes.mute(1, key("10.0.0.7"), Some(at("2026-12-07T14:05:00Z")), now);
        let refusal = mutes.check(1, now).unwrap_err();
        assert_eq!(refusal.code, ErrorCode::Muted);
        assert_eq!(
            refusal.message,
            "you are muted until 14:05 UTC; you can still read"
        );
        assert_eq!(mutes.check(2, now), Ok(()));
        assert_eq!(mutes.check(1, at("2026-12-07T14:05:00Z")), Ok(()));
        // A mute that ends another day says which.
        mutes.mute(3, key("10.0.0.9"), Some(at("2027-12-07T14:00:00Z")), now);
        assert_eq!(
            mutes.check(3, now).unwrap_err().message,
            "you are muted until 2027-12-07 14:00 UTC; you can still read"
        );
    }

    #[test]
    fn coming_back_from_the_same_address_does_not_lift_it() {
        let now = at("2026-12-07T14:00:00Z");
        let mut mutes = Mutes::default();
        mutes.mute(1, key("10.0.0.7"), None, now);
        // Someone already here from the same address is not muted.
        assert_eq!(mutes.check(5, now), Ok(()));
        mutes.left(1);
        assert_eq!(mutes.arrived(2, key("10.0.0.8"), now), None);
        assert_eq!(mutes.arrived(3, key("10.0.0.7"), now), Some(None));
        assert!(
            mutes
                .check(3, now)
                .unwrap_err()
                .message
                .contains("until an operator unmutes you")
        );
        // Unmuting the newcomer lifts it for the address.
        assert!(mutes.unmute(3, now));
        assert!(!mutes.unmute(3, now));
        assert_eq!(mutes.arrived(4, key("10.0.0.7"), now), None);
    }

    #[test]
    fn held_addresses_are_bounded() {
        let now = at("2026-12-07T14:00:00Z");
        let mut mutes = Mutes::default();
        for i in 0..(MAX_HELD as u32 + 10) {
            let ip = std::net::Ipv4Addr::from(0x0a00_0000 + i);
            mutes.mute(u64::from(i), AddressKey::of(ip.into()), None, now);
            mutes.left(u64::from(i));
        }
        assert!(mutes.by_address.len() <= MAX_HELD);
        assert!(mutes.members.is_empty());
    }
}
