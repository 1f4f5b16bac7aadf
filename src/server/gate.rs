//! The room's door for a room with a password: is the newcomer's password right, and may its
//! address still try?
//!
//! The room owns the one [`Gate`] and asks it about every attempt: a plain-mode user's password
//! line, or a JSON hello. Shards send only the attempt's [`Digest`], so the password itself
//! never leaves the shard that read it, and nothing that records or prints reports could show
//! it. The wording of each refusal lives here; none of them repeats the attempt.

use std::time::{Duration, Instant};

use super::addresses::AddressKey;
use super::lockout::{LOCKED_FOR, Lockout, MAX_FAILURES, WINDOW};
use crate::password::Digest;
use crate::protocol::ErrorCode;
use crate::protocol::parse::Refusal;

/// What a newcomer brings to the door.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Key {
    /// Its connection already gave the right password (a plain-mode user, on its own line).
    Proven,
    /// A hello without a password.
    Missing,
    /// An attempt, as its digest.
    Given(Digest),
}

/// Why the door stays shut.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Denied {
    /// No password was given.
    Required,
    /// The password was wrong; `locked_out` when this attempt locked the address out (the room
    /// then tells the operator, once).
    Wrong { locked_out: bool },
    /// The address is locked out for this much longer; the attempt was not checked.
    LockedOut(Duration),
}

/// The room's password and the lockout that guards it.
pub(crate) struct Gate {
    digest: Digest,
    lockout: Lockout,
}

impl Gate {
    pub(crate) fn new(digest: Digest) -> Self {
        Gate {
            digest,
            lockout: Lockout::default(),
        }
    }

    /// Lets a newcomer from `address` with `key` in, or says why not.
    pub(crate) fn check(
        &mut self,
        address: AddressKey,
        key: Key,
        now: Instant,
    ) -> Result<(), Denied> {
        let attempt = match key {
            Key::Proven => return Ok(()),
            Key::Missing => return Err(Denied::Required),
            Key::Given(attempt) => attempt,
        };
        self.lockout
            .check(address, now)
            .map_err(Denied::LockedOut)?;
        if attempt.matches(&self.digest) {
            return Ok(());
        }
        let locked_out = self.lockout.fail(address, now).is_some();
        Err(Denied::Wrong { locked_out })
    }
}

impl Denied {
    /// What the newcomer is told (in its dialect, by the caller).
    pub(crate) fn refusal(self) -> Refusal {
        match self {
            Denied::Required => Refusal::new(
                ErrorCode::PasswordRequired,
                "this room needs a password (the hello's \"password\")",
            ),
            Denied::Wrong { locked_out: false } => {
                Refusal::new(ErrorCode::BadPassword, "wrong password")
            }
            Denied::Wrong { locked_out: true } => Refusal::new(
                ErrorCode::BadPassword,
                format!(
                    "wrong password; too many wrong passwords from your address; try again in {} s",
                    LOCKED_FOR.as_secs()
                ),
            ),
            Denied::LockedOut(left) => Refusal::new(
                ErrorCode::TooManyBadPasswords,
                format!(
                    "too many wrong passwords from your address; try again in {} s",
                    // Rounded up: "0 s" would be a lie while it is still locked.
                    left.as_secs() + u64::from(left.subsec_nanos() > 0)
                ),
            ),
        }
    }
}

/// What the operator reads (console and transcript) when an address is locked out.
pub(crate) fn lockout_note(address: AddressKey) -> String {
    format!(
        "{address}: {MAX_FAILURES} wrong passwords within {} s; its attempts are refused for \
         the next {} s",
        WINDOW.as_secs(),
        LOCKED_FOR.as_secs()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::password::Password;

    fn digest(text: &str) -> Digest {
        Password::attempt(text.into()).digest()
    }

    #[test]
    fn the_right_password_opens_and_a_wrong_one_counts_towards_a_lockout() {
        let mut gate = Gate::new(digest("right"));
        let (now, a) = (Instant::now(), AddressKey::of("192.0.2.1".parse().unwrap()));
        assert_eq!(gate.check(a, Key::Given(digest("right")), now), Ok(()));
        assert_eq!(gate.check(a, Key::Proven, now), Ok(()));
        assert_eq!(gate.check(a, Key::Missing, now), Err(Denied::Required));
        for _ in 1..MAX_FAILURES {
            assert_eq!(
                gate.check(a, Key::Given(digest("wrong")), now),
                Err(Denied::Wrong { locked_out: false })
            );
        }
        assert_eq!(
            gate.check(a, Key::Given(digest("wrong")), now),
            Err(Denied::Wrong { locked_out: true })
        );
        // Locked out: even the right password waits.
        assert_eq!(
            gate.check(a, Key::Given(digest("right")), now),
            Err(Denied::LockedOut(LOCKED_FOR))
        );
        let b = AddressKey::of("127.0.0.2".parse().unwrap());
        assert_eq!(gate.check(b, Key::Given(digest("right")), now), Ok(()));
    }

    #[test]
    fn refusals_say_what_to_do_and_never_what_was_tried() {
        let locked = Denied::LockedOut(Duration::from_millis(59_001)).refusal();
        assert_eq!(locked.code, ErrorCode::TooManyBadPasswords);
        assert_eq!(
            locked.message,
            "too many wrong passwords from your address; try again in 60 s"
        );
        assert_eq!(
            Denied::Wrong { locked_out: false }.refusal().code,
            ErrorCode::BadPassword
        );
        assert_eq!(Denied::Required.refusal().code, ErrorCode::PasswordRequired);
    }
}
