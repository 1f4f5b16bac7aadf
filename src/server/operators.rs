//! Who runs the room: the members who are operators, and the operator password that makes one.
//!
//! Being an operator belongs to a connection: it ends when the member leaves (a nickname is
//! free for anyone to take, so it cannot carry rights). The host's console is an operator
//! without being a member, and is not counted here. The password is guarded by the same
//! mechanism as the room's (`gate.rs`, `lockout.rs`): a digest compared in constant time, and an
//! address that guesses wrong too often within a minute is locked out of `/op` for a minute. The
//! room owns the one [`Operators`]; everything here is plain data with the time passed in.

use std::collections::HashSet;
use std::time::Instant;

use super::addresses::AddressKey;
use super::gate::{Denied, Door, Gate, Key};
use crate::password::Digest;
use crate::protocol::ErrorCode;
use crate::protocol::parse::Refusal;

/// The room's operators (by connection serial) and the password's gate.
pub(crate) struct Operators {
    members: HashSet<u64>,
    /// `None` in a room without an operator password: only the console makes operators.
    gate: Option<Gate>,
}

/// How an `/op PASSWORD` went.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Attempt {
    /// Right: the member is an operator now.
    Granted,
    /// Refused; with a `lockout` note when this attempt locked the address out (the console
    /// and the transcript hear of it once).
    Refused {
        refusal: Refusal,
        lockout: Option<String>,
    },
}

impl Operators {
    pub(crate) fn new(password: Option<Digest>) -> Self {
        Operators {
            members: HashSet::new(),
            gate: password.map(|digest| Gate::new(Door::Operator, digest)),
        }
    }

    pub(crate) fn is_operator(&self, serial: u64) -> bool {
        self.members.contains(&serial)
    }

    /// Makes `serial` an operator; false when it was one already.
    pub(crate) fn grant(&mut self, serial: u64) -> bool {
        self.members.insert(serial)
    }

    /// Takes the rights away (also when the member leaves); false when it had none.
    pub(crate) fn revoke(&mut self, serial: u64) -> bool {
        self.members.remove(&serial)
    }

    /// Checks an `/op PASSWORD` from `address`; a right one makes `serial` an operator.
    pub(crate) fn attempt(
        &mut self,
        serial: u64,
        address: AddressKey,
        attempt: Digest,
        now: Instant,
    ) -> Attempt {
        let Some(gate) = &mut self.gate else {
            return Attempt::Refused {
                refusal: Refusal::new(
                    ErrorCode::NotAllowed,
                    "this room has no operator password (the host sets one with \
                     --op-password-file); ask the host to /op you",
                ),
                lockout: None,
            };
        };
        match gate.check(address, Key::Given(attempt), now) {
            Ok(()) => {
                self.members.insert(serial);
                Attempt::Granted
            }
            Err(denied) => Attempt::Refused {
                refusal: gate.refusal(denied),
                lockout: (denied == Denied::Wrong { locked_out: true })
                    .then(|| gate.lockout_note(address)),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::password::Password;
    use crate::server::lockout::MAX_FAILURES;

    fn digest(text: &str) -> Digest {
        Password::attempt(text.into()).digest()
    }

    fn address() -> AddressKey {
        AddressKey::of("192.0.2.1".parse().unwrap())
    }

    #[test]
    fn the_right_password_makes_an_operator_and_leaving_ends_it() {
        let mut ops = Operators::new(Some(digest("hunter2")));
        let now = Instant::now();
        assert!(!ops.is_operator(7));
        assert_eq!(
            ops.attempt(7, address(), digest("hunter2"), now),
            Attempt::Granted
        );
        assert!(ops.is_operator(7));
        assert!(!ops.grant(7), "already one");
        assert!(ops.revoke(7));
        assert!(!ops.revoke(7));
        assert!(ops.grant(8));
    }

    #[test]
    fn wrong_passwords_lock_the_address_out_of_op() {
        let mut ops = Operators::new(Some(digest("hunter2")));
        let now = Instant::now();
        for _ in 1..MAX_FAILURES {
            let Attempt::Refused { refusal, lockout } =
                ops.attempt(7, address(), digest("nope"), now)
            else {
                panic!("a wrong password was taken");
            };
            assert_eq!(refusal.code, ErrorCode::BadOpPassword);
            assert_eq!(refusal.message, "wrong operator password");
            assert_eq!(lockout, None);
        }
        let Attempt::Refused { lockout, .. } = ops.attempt(7, address(), digest("nope"), now)
        else {
            panic!("a wrong password was taken");
        };
        assert!(lockout.unwrap().contains("its /op attempts are refused"));
        // Locked out: even the right one waits, and the message says how long.
        let Attempt::Refused { refusal, .. } = ops.attempt(7, address(), digest("hunter2"), now)
        else {
            panic!("a locked out address was let in");
        };
        assert_eq!(
            refusal.message,
            "too many wrong operator passwords from your address; try /op again in 60 s"
        );
        assert!(!ops.is_operator(7));
    }

    #[test]
    fn without_a_password_op_is_not_allowed() {
        let mut ops = Operators::new(None);
        let Attempt::Refused { refusal, .. } =
            ops.attempt(7, address(), digest("x"), Instant::now())
        else {
            panic!("no password, yet granted");
        };
        assert_eq!(refusal.code, ErrorCode::NotAllowed);
        assert!(refusal.message.contains("--op-password-file"));
    }
}
