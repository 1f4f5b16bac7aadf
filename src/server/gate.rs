//! A door with a password: is the attempt right, and may its address still try?
//!
//! One mechanism guards both passwords the host can have: the room's (`--password-file`, asked
//! of every newcomer) and the operator password (`--op-password-file`, asked by `/op`). Each is a
//! [`Gate`], told by its [`Door`] which words and error codes its refusals use. The room owns
//! both gates and asks them about every attempt: a plain-mode user's password line, a JSON hello,
//! an `/op`. Shards send only the attempt's [`Digest`], so the password itself never leaves the
//! shard that read it, and nothing that records or prints reports could show it. None of the
//! refusals repeats the attempt.

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

/// Which password a [`Gate`] guards.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Door {
    /// The room's password, asked of every newcomer.
    Room,
    /// The operator password, asked by `/op PASSWORD`.
    Operator,
}

impl Door {
    /// What the password is called in refusals and notes.
    fn password(self) -> &'static str {
        match self {
            Door::Room => "password",
            Door::Operator => "operator password",
        }
    }

    /// What to do once a lockout is over.
    fn retry(self) -> &'static str {
        match self {
            Door::Room => "try again",
            Door::Operator => "try /op again",
        }
    }

    /// The error codes of a wrong password and of a locked out address.
    fn codes(self) -> (ErrorCode, ErrorCode) {
        match self {
            Door::Room => (ErrorCode::BadPassword, ErrorCode::TooManyBadPasswords),
            Door::Operator => (ErrorCode::BadOpPassword, ErrorCode::BadOpPassword),
        }
    }
}

/// A password and the lockout that guards it.
pub(crate) struct Gate {
    door: Door,
    digest: Digest,
    lockout: Lockout,
}

impl Gate {
    pub(crate) fn new(door: Door, digest: Digest) -> Self {
        Gate {
            door,
            digest,
            lockout: Lockout::default(),
        }
    }

    /// Lets an attempt from `address` with `key` in, or says why not.
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

    /// What the one who tried is told (in its dialect, by the caller).
    pub(crate) fn refusal(&self, denied: Denied) -> Refusal {
        let (password, (wrong, locked)) = (self.door.password(), self.door.codes());
        let too_many = |secs: u64| {
            format!(
                "too many wrong {password}s from your address; {} in {secs} s",
                self.door.retry()
            )
        };
        match denied {
            // Only a hello can come without a password.
            Denied::Required => Refusal::new(
                ErrorCode::PasswordRequired,
                "this room needs a password (the hello's \"password\")",
            ),
            Denied::Wrong { locked_out: false } => Refusal::new(wrong, format!("wrong {password}")),
            Denied::Wrong { locked_out: true } => Refusal::new(
                wrong,
                format!("wrong {password}; {}", too_many(LOCKED_FOR.as_secs())),
            ),
            // Rounded up: "0 s" would be a lie while it is still locked.
            Denied::LockedOut(left) => Refusal::new(
                locked,
                too_many(left.as_secs() + u64::from(left.subsec_nanos() > 0)),
            ),
        }
    }

    /// What the operator reads (console and transcript) when an address is locked out.
    pub(crate) fn lockout_note(&self, address: AddressKey) -> String {
        let retry = match self.door {
            Door::Room => "its attempts",
            Door::Operator => "its /op attempts",
        };
        format!(
            "{address}: {MAX_FAILURES} wrong {}s within {} s; {retry} are refused for the next {} s",
            self.door.password(),
            WINDOW.as_secs(),
            LOCKED_FOR.as_secs()
        )
    }
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
        let mut gate = Gate::new(Door::Room, digest("right"));
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
        let room = Gate::new(Door::Room, digest("right"));
        let locked = room.refusal(Denied::LockedOut(Duration::from_millis(59_001)));
        assert_eq!(locked.code, ErrorCode::TooManyBadPasswords);
        assert_eq!(
            locked.message,
            "too many wrong passwords from your address; try again in 60 s"
        );
        let wrong = room.refusal(Denied::Wrong { locked_out: false });
        assert_eq!(wrong.code, ErrorCode::BadPassword);
        assert_eq!(wrong.message, "wrong password");
        assert_eq!(
            room.refusal(Denied::Required).code,
            ErrorCode::PasswordRequired
        );
        let a = AddressKey::of("192.0.2.1".parse().unwrap());
        assert_eq!(
            room.lockout_note(a),
            "192.0.2.1: 5 wrong passwords within 60 s; its attempts are refused for the next 60 s"
        );
    }

    #[test]
    fn the_operator_password_is_refused_in_its_own_words() {
        let op = Gate::new(Door::Operator, digest("right"));
        let wrong = op.refusal(Denied::Wrong { locked_out: true });
        assert_eq!(wrong.code, ErrorCode::BadOpPassword);
        assert_eq!(
            wrong.message,
            "wrong operator password; too many wrong operator passwords from your address; \
             try /op again in 60 s"
        );
        let locked = op.refusal(Denied::LockedOut(Duration::from_secs(12)));
        assert_eq!(locked.code, ErrorCode::BadOpPassword);
        assert_eq!(
            locked.message,
            "too many wrong operator passwords from your address; try /op again in 12 s"
        );
        let a = AddressKey::of("192.0.2.1".parse().unwrap());
        assert_eq!(
            op.lockout_note(a),
            "192.0.2.1: 5 wrong operator passwords within 60 s; its /op attempts are refused \
             for the next 60 s"
        );
    }
}
