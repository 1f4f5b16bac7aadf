//! Per-address limits: no single address (one machine, or one IPv6 /64 network) may keep
//! everyone else out by holding the room's connections, its handshakes, or the accept queue.
//!
//! The acceptor owns the [`AddressBook`] and asks it about every new connection; the shards tell
//! it (over a channel, as [`AddressNews`]) when a connection from an address joined the room or
//! closed. The limits derive from one setting, `--max-per-ip N` (0: none): at most N open
//! connections per address, at most a quarter of them (and at least 1) still choosing a
//! nickname, and new connections at N/2 a second after a burst of N.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv6Addr};
use std::time::Instant;

use super::ratelimit::TokenBucket;

/// How an address is counted: an IPv4 address as it is, an IPv6 address by its /64 network
/// (one machine usually has a whole /64 to pick addresses from), a v4-mapped IPv6 address as
/// the IPv4 address it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct AddressKey(IpAddr);

impl AddressKey {
    pub(crate) fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => AddressKey(IpAddr::V4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => AddressKey(IpAddr::V4(v4)),
                None => {
                    let network = u128::from(v6) & !((1u128 << 64) - 1);
                    AddressKey(IpAddr::V6(Ipv6Addr::from(network)))
                }
            },
        }
    }
}

/// As the operator reads it: an IPv4 address, or an IPv6 network (`2001:db8::/64`).
impl std::fmt::Display for AddressKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            IpAddr::V4(v4) => write!(f, "{v4}"),
            IpAddr::V6(v6) => write!(f, "{v6}/64"),
        }
    }
}

/// How often, at most, idle addresses are forgotten when few connections come.
const SWEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(10);

/// What a shard tells the acceptor about a connection from `key`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddressNews {
    /// It joined the room: no longer in its handshake.
    Joined(AddressKey),
    /// It closed; `handshaking` if it never joined.
    Closed { key: AddressKey, handshaking: bool },
}

/// Why a new connection is turned away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TooMany {
    Open,
    Handshaking,
    TooFast,
}

impl TooMany {
    /// The line the connection hears (plain text: it has not picked a dialect yet).
    pub(crate) fn line(self, limits: &AddressLimits) -> String {
        let why = match self {
            TooMany::Open => format!(
                "too many connections from your address ({} at most)",
                limits.open
            ),
            TooMany::Handshaking => format!(
                "too many connections from your address still choosing a nickname ({} at most)",
                limits.handshaking
            ),
            TooMany::TooFast => format!(
                "your address connects too fast ({} a second at most)",
                limits.per_second
            ),
        };
        format!("error: {why}; try again later\n")
    }
}

/// The limits `--max-per-ip N` stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct AddressLimits {
    pub(crate) open: usize,
    pub(crate) handshaking: usize,
    pub(crate) per_second: u32,
    pub(crate) burst: u32,
}

impl AddressLimits {
    /// The limits for `--max-per-ip max`; `None` for 0 (no per-address limits).
    pub(crate) fn from_max(max: usize) -> Option<Self> {
        (max > 0).then(|| AddressLimits {
            open: max,
            handshaking: (max / 4).max(1),
            per_second: u32::try_from(max / 2).unwrap_or(u32::MAX).max(1),
            burst: u32::try_from(max).unwrap_or(u32::MAX),
        })
    }
}

/// One address's connections.
struct Entry {
    open: usize,
    handshaking: usize,
    connects: TokenBucket,
}

/// Every address with a connection open, or one made recently.
pub(crate) struct AddressBook {
    limits: AddressLimits,
    entries: HashMap<AddressKey, Entry>,
    /// Admissions since the book last forgot idle addresses, and when that was.
    since_sweep: usize,
    swept_at: Instant,
}

impl AddressBook {
    pub(crate) fn new(limits: AddressLimits) -> Self {
        AddressBook {
            limits,
            entries: HashMap::new(),
            since_sweep: 0,
            swept_at: Instant::now(),
        }
    }

    pub(crate) fn limits(&self) -> &AddressLimits {
        &self.limits
    }

    /// Counts a new connection from `key`, or says why it may not be made.
    pub(crate) fn admit(&mut self, key: AddressKey, now: Instant) -> Result<(), TooMany> {
        self.sweep(now);
        let limits = self.limits;
        let entry = self.entries.entry(key).or_insert_with(|| Entry {
            open: 0,
            handshaking: 0,
            connects: TokenBucket::new(limits.per_second, limits.burst, now),
        });
        if entry.open >= limits.open {
            return Err(TooMany::Open);
        }
        if entry.handshaking >= limits.handshaking {
            return Err(TooMany::Handshaking);
        }
        if entry.connects.try_take(now).is_err() {
            return Err(TooMany::TooFast);
        }
        entry.open += 1;
        entry.handshaking += 1;
        Ok(())
    }

    /// Takes a shard's news into account.
    pub(crate) fn hear(&mut self, news: AddressNews) {
        match news {
            AddressNews::Joined(key) => {
                if let Some(entry) = self.entries.get_mut(&key) {
                    entry.handshaking = entry.handshaking.saturating_sub(1);
                }
            }
            AddressNews::Closed { key, handshaking } => {
                if let Some(entry) = self.entries.get_mut(&key) {
                    entry.open = entry.open.saturating_sub(1);
                    if handshaking {
                        entry.handshaking = entry.handshaking.saturating_sub(1);
                    }
                }
            }
        }
    }

    /// Forgets addresses with nothing open whose connect rate has recovered, now and then (every
    /// so many admissions, or seconds), so the book holds only what matters.
    fn sweep(&mut self, now: Instant) {
        self.since_sweep += 1;
        if self.since_sweep < 1024 && now.saturating_duration_since(self.swept_at) < SWEEP_EVERY {
            return;
        }
        self.since_sweep = 0;
        self.swept_at = now;
        self.entries
            .retain(|_, entry| entry.open > 0 || !entry.connects.is_full(now));
    }

    /// Addresses in the book.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn key(ip: &str) -> AddressKey {
        AddressKey::of(ip.parse().unwrap())
    }

    #[test]
    fn ipv6_counts_by_network_and_mapped_ipv4_as_ipv4() {
        assert_eq!(key("2001:db8::1"), key("2001:db8::ffff:1234"));
        assert_ne!(key("2001:db8::1"), key("2001:db8:0:1::1"));
        assert_eq!(key("::ffff:192.0.2.7"), key("192.0.2.7"));
    }

    #[test]
    fn limits_derive_from_one_number() {
        let limits = AddressLimits::from_max(32).unwrap();
        assert_eq!(
            (
                limits.open,
                limits.handshaking,
                limits.per_second,
                limits.burst
            ),
            (32, 8, 16, 32)
        );
        assert_eq!(AddressLimits::from_max(1).unwrap().handshaking, 1);
        assert_eq!(AddressLimits::from_max(0), None);
    }

    #[test]
    fn handshakes_then_open_connections_are_capped_per_address() {
        let mut book = AddressBook::new(AddressLimits::from_max(8).unwrap());
        let now = Instant::now();
        let (a, b) = (key("192.0.2.1"), key("192.0.2.2"));
        assert_eq!(book.admit(a, now), Ok(()));
        assert_eq!(book.admit(a, now), Ok(()));
        assert_eq!(book.admit(a, now), Err(TooMany::Handshaking));
        assert_eq!(
            book.admit(b, now),
            Ok(()),
            "another address is not affected"
        );
        // Joined members make room for handshakes, up to 8 open in all (time passes between
        // connects, so the connect rate is not what refuses).
        let mut later = now;
        for _ in 0..2 {
            book.hear(AddressNews::Joined(a));
        }
        for _ in 0..6 {
            later += Duration::from_secs(1);
            assert_eq!(book.admit(a, later), Ok(()));
            book.hear(AddressNews::Joined(a));
        }
        later += Duration::from_secs(1);
        assert_eq!(book.admit(a, later), Err(TooMany::Open));
        book.hear(AddressNews::Closed {
            key: a,
            handshaking: false,
        });
        assert_eq!(book.admit(a, later), Ok(()), "a closed one makes room");
    }

    #[test]
    fn connecting_too_fast_is_refused_until_the_rate_allows() {
        let mut book = AddressBook::new(AddressLimits::from_max(4).unwrap());
        let now = Instant::now();
        let a = key("192.0.2.1");
        for _ in 0..4 {
            assert_eq!(book.admit(a, now), Ok(()));
            book.hear(AddressNews::Closed {
                key: a,
                handshaking: true,
            });
        }
        assert_eq!(book.admit(a, now), Err(TooMany::TooFast));
        assert_eq!(book.admit(a, now + Duration::from_secs(1)), Ok(()));
    }

    #[test]
    fn idle_addresses_are_forgotten() {
        let mut book = AddressBook::new(AddressLimits::from_max(4).unwrap());
        let now = Instant::now();
        for i in 0..2000u32 {
            let ip = std::net::Ipv4Addr::from(0x0a00_0000 + i);
            let k = AddressKey::of(IpAddr::V4(ip));
            book.admit(k, now).unwrap();
            book.hear(AddressNews::Closed {
                key: k,
                handshaking: true,
            });
        }
        book.admit(key("192.0.2.1"), now + Duration::from_secs(10))
            .unwrap();
        assert!(book.len() < 1100, "{} addresses kept", book.len());
    }
}
