//! The lockout policy for wrong passwords: after [`MAX_FAILURES`] wrong passwords from one
//! address within [`WINDOW`], that address's attempts are refused for [`LOCKED_FOR`].
//!
//! It is a plain data structure with the time passed in, so its rules are unit-tested without
//! waiting. The room owns the one [`Lockout`] (every hello reaches the room, whichever shard its
//! connection is on), so counting needs no lock and no message of its own.
//!
//! Why these numbers: 5 wrong tries a minute is more than anyone mistyping makes, and with a
//! minute's lockout after each 5, guessing runs at 5 passwords a minute per address (IPv6 counts
//! by /64, see `addresses.rs`), about 7,000 a day: a password of a few random words is out of
//! reach. Successes reset nothing: on a shared address (a NAT, an office), someone who knows the
//! password must not wipe the count of someone guessing.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use super::addresses::AddressKey;

/// Wrong passwords an address may send within [`WINDOW`] before it is locked out.
pub(crate) const MAX_FAILURES: usize = 5;

/// How far back wrong passwords count.
pub(crate) const WINDOW: Duration = Duration::from_secs(60);

/// How long a locked out address is refused.
pub(crate) const LOCKED_FOR: Duration = Duration::from_secs(60);

/// Addresses tracked before stale ones are swept out (and the next sweep's threshold, which
/// doubles with what is left, so sweeping stays cheap however many addresses there are).
const FIRST_SWEEP_AT: usize = 1024;

/// One address's recent wrong passwords, and its lockout if it has one.
#[derive(Default)]
struct Record {
    /// When its last wrong passwords came (at most [`MAX_FAILURES`]).
    failures: VecDeque<Instant>,
    locked_until: Option<Instant>,
}

impl Record {
    /// Forgets failures that have left the window.
    fn slide(&mut self, now: Instant) {
        while self
            .failures
            .front()
            .is_some_and(|&at| now.saturating_duration_since(at) >= WINDOW)
        {
            self.failures.pop_front();
        }
        if self.locked_until.is_some_and(|until| now >= until) {
            self.locked_until = None;
        }
    }

    fn is_stale(&mut self, now: Instant) -> bool {
        self.slide(now);
        self.failures.is_empty() && self.locked_until.is_none()
    }
}

/// Every address that sent a wrong password lately.
pub(crate) struct Lockout {
    records: HashMap<AddressKey, Record>,
    sweep_at: usize,
}

impl Default for Lockout {
    fn default() -> Self {
        Lockout {
            records: HashMap::new(),
            sweep_at: FIRST_SWEEP_AT,
        }
    }
}

impl Lockout {
    /// `Err(time left)` while `key` is locked out: its attempt is not even checked.
    pub(crate) fn check(&mut self, key: AddressKey, now: Instant) -> Result<(), Duration> {
        let Some(record) = self.records.get_mut(&key) else {
            return Ok(());
        };
        record.slide(now);
        match record.locked_until {
            Some(until) => Err(until.saturating_duration_since(now)),
            None => Ok(()),
        }
    }

    /// Counts a wrong password from `key`; `Some(until)` when this one locks the address out
    /// (once per lockout: the operator hears of each lockout once, not of every attempt).
    pub(crate) fn fail(&mut self, key: AddressKey, now: Instant) -> Option<Instant> {
        self.sweep(now);
        let record = self.records.entry(key).or_default();
        record.slide(now);
        if record.locked_until.is_some() {
            return None;
        }
        record.failures.push_back(now);
        if record.failures.len() < MAX_FAILURES {
            return None;
        }
        // The lockout is a fresh start: the failures that caused it are spent.
        record.failures.clear();
        let until = now + LOCKED_FOR;
        record.locked_until = Some(until);
        Some(until)
    }

    /// Forgets addresses with nothing recent once there are many, so a stream of wrong passwords
    /// from ever new addresses cannot grow the table without bound.
    fn sweep(&mut self, now: Instant) {
        if self.records.len() < self.sweep_at {
            return;
        }
        self.records.retain(|_, record| !record.is_stale(now));
        self.sweep_at = (self.records.len() * 2).max(FIRST_SWEEP_AT);
    }

    #[cfg(test)]
    fn len(&self) -> usize {
        self.records.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(ip: &str) -> AddressKey {
        AddressKey::of(ip.parse().unwrap())
    }

    fn seconds(s: u64) -> Duration {
        Duration::from_secs(s)
    }

    #[test]
    fn five_failures_within_the_window_lock_the_address_out_until_a_time() {
        let mut lockout = Lockout::default();
        let (t0, a) = (Instant::now(), key("192.0.2.1"));
        for i in 0..4 {
            assert_eq!(lockout.fail(a, t0 + seconds(i)), None);
            assert_eq!(lockout.check(a, t0 + seconds(i)), Ok(()));
        }
        let until = lockout.fail(a, t0 + seconds(4)).expect("the fifth locks");
        assert_eq!(until, t0 + seconds(4) + LOCKED_FOR);
        assert_eq!(lockout.check(a, t0 + seconds(14)), Err(seconds(50)));
        // Attempts while locked are neither counted nor announced again.
        assert_eq!(lockout.fail(a, t0 + seconds(20)), None);
        assert_eq!(lockout.check(a, until), Ok(()), "free again at `until`");
        assert_eq!(lockout.fail(a, until), None, "and starting afresh");
    }

    #[test]
    fn the_window_slides() {
        let mut lockout = Lockout::default();
        let (t0, a) = (Instant::now(), key("192.0.2.1"));
        // One failure every 15 s: never 5 within a minute.
        for i in 0..20 {
            assert_eq!(lockout.fail(a, t0 + seconds(15 * i)), None);
        }
        assert_eq!(lockout.check(a, t0 + seconds(300)), Ok(()));
        // Four old ones and one new one do not add up once the old ones are a minute old.
        let t1 = t0 + seconds(1000);
        for i in 0..4 {
            lockout.fail(a, t1 + seconds(i));
        }
        assert_eq!(lockout.fail(a, t1 + seconds(63)), None);
        assert!(lockout.fail(a, t1 + seconds(63)).is_none());
    }

    #[test]
    fn addresses_are_counted_apart_and_ipv6_by_network() {
        let mut lockout = Lockout::default();
        let t0 = Instant::now();
        for _ in 0..MAX_FAILURES {
            lockout.fail(key("2001:db8::1"), t0);
        }
        assert!(
            lockout.check(key("2001:db8::ffff"), t0).is_err(),
            "same /64"
        );
        assert_eq!(lockout.check(key("2001:db8:0:1::1"), t0), Ok(()));
        assert_eq!(lockout.check(key("192.0.2.1"), t0), Ok(()));
    }

    #[test]
    fn successes_elsewhere_reset_nobodys_count() {
        // The room reports only failures; a success is simply not one: another address's right
        // password (or this one's) leaves the count where it was.
        let mut lockout = Lockout::default();
        let (t0, a, b) = (Instant::now(), key("192.0.2.1"), key("192.0.2.2"));
        for _ in 0..4 {
            lockout.fail(a, t0);
        }
        assert_eq!(lockout.check(b, t0), Ok(()));
        assert_eq!(lockout.check(a, t0), Ok(()));
        assert!(lockout.fail(a, t0).is_some());
    }

    #[test]
    fn stale_addresses_are_forgotten() {
        // A thousand new addresses a minute, each wrong once: only the last minute's are kept.
        let mut lockout = Lockout::default();
        let t0 = Instant::now();
        for i in 0..20_000u32 {
            let ip = std::net::Ipv4Addr::from(0x0a00_0000 + i);
            let at = t0 + WINDOW * (i / 1000);
            lockout.fail(AddressKey::of(ip.into()), at);
            assert!(lockout.len() <= 2048, "{} kept", lockout.len());
        }
    }
}
