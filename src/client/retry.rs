//! Coming back after a broken connection: who we are to the host's dedupe window, how long to
//! wait between attempts, and which failures are worth another attempt.
//!
//! `send --retry` and a reconnecting `join` both resend what the host had not acknowledged.
//! Each message carries a [`MessageKey`](crate::protocol::wire::MessageKey): this run's
//! [`client_id`] and the message's number, so the host takes a message it already took only once
//! (`server/dedupe.rs`).

use std::time::Duration;

use ring::rand::{SecureRandom, SystemRandom};

use crate::error::{Error, ExitStatus};

/// A random client id for this run: 128 bits in hex. Random, so that no one else's messages
/// share it (a host restart or another machine cannot make two runs collide), and so that
/// nobody can guess it to have our messages dropped as resends.
pub fn client_id() -> String {
    let mut bytes = [0u8; 16];
    // The OS random source failing is not worth failing a run for: the key then only has to
    // be unique, which the time and the process id make it in practice.
    if SystemRandom::new().fill(&mut bytes).is_err() {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos();
        bytes.copy_from_slice(&(now ^ u128::from(std::process::id()) << 96).to_be_bytes());
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Growing waits between attempts to reach the host: doubling from `first` up to `most`, each
/// with up to a quarter of jitter, so that many clients of a restarted host do not all come
/// back in the same instant.
pub struct Backoff {
    next: Duration,
    most: Duration,
    /// The state of a tiny xorshift generator: jitter needs spread, not secrecy.
    seed: u64,
}

impl Backoff {
    pub fn new(first: Duration, most: Duration) -> Self {
        let mut seed = [0u8; 8];
        let _ = SystemRandom::new().fill(&mut seed);
        Backoff {
            next: first,
            most,
            seed: u64::from_le_bytes(seed) | 1,
        }
    }

    /// How long to wait before the next attempt.
    pub fn next_wait(&mut self) -> Duration {
        let base = self.next;
        self.next = (self.next * 2).min(self.most);
        self.seed ^= self.seed << 13;
        self.seed ^= self.seed >> 7;
        self.seed ^= self.seed << 17;
        let quarter = base.as_millis() as u64 / 4;
        let jitter = if quarter == 0 {
            0
        } else {
            self.seed % (2 * quarter + 1)
        };
        // base - quarter + [0, 2 * quarter]: within a quarter of `base` either way.
        (base - Duration::from_millis(quarter)) + Duration::from_millis(jitter)
    }
}

/// Whether a failed attempt to reach the host is worth another: the host was unreachable or the
/// connection broke (a host restarting), or, for a client coming back, the room still held its
/// nickname (the host has not noticed the old connection is gone yet) or was full. A refusal
/// that will not change (a certificate, a password, a bad nickname) is not tried again.
pub fn worth_retrying(error: &Error, coming_back: bool) -> bool {
    error.is_transient() && (coming_back || error.status() != ExitStatus::Rejected)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn client_ids_are_128_random_bits_in_hex() {
        let (a, b) = (client_id(), client_id());
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn backoff_grows_to_its_cap_with_jitter_within_a_quarter() {
        let mut backoff = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
        let bases = [1, 2, 4, 8, 16, 30, 30, 30];
        for base in bases {
            let wait = backoff.next_wait().as_millis() as u64;
            let base = base * 1000;
            assert!(
                (base - base / 4..=base + base / 4).contains(&wait),
                "{wait} ms is not within a quarter of {base} ms"
            );
        }
    }

    #[test]
    fn only_reachability_problems_are_retried() {
        let transient = |status| Error::transient(status, "x");
        assert!(worth_retrying(&transient(ExitStatus::CannotConnect), false));
        assert!(worth_retrying(
            &transient(ExitStatus::ConnectionLost),
            false
        ));
        // A nickname taken at the start is the user's to change; coming back, it may be ours.
        assert!(!worth_retrying(&transient(ExitStatus::Rejected), false));
        assert!(worth_retrying(&transient(ExitStatus::Rejected), true));
        // A certificate or a password does not fix itself.
        let lasting = Error::new(ExitStatus::CannotConnect, "unknown certificate");
        assert!(!worth_retrying(&lasting, true));
    }
}
