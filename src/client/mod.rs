//! The clients: everything that connects to a room rather than hosting one.
//!
//! - [`target`]: parsing `SERVER` and `--port`.
//! - [`dial`]: reaching a host over TCP, and the wording of what failed before a room answered.
//! - [`connection`]: the JSON handshake with the room, shared by every client command.
//! - [`password`]: the room's password, from `--password-file`, `CHATROOM_PASSWORD` or the
//!   terminal.
//! - [`stream`]: the bytes under a connection, plain TCP or TLS, split for a reading and a
//!   writing thread.
//! - [`handshake`]: opening a TLS session (asking about a host never seen, remembering it).
//! - [`trust`]: whom a TLS client trusts, as the user said it, and the refusals' wording.
//! - [`acks`]: pipelined requests and the replies that settle them, shared by `send` and `join`.
//! - [`retry`]: coming back after a broken connection (client id, backoff), for `send` and `join`.
//! - [`send`]: `chatroom send`, for scripts and pipes.
//! - [`join`]: `chatroom join`, the interactive client, built from:
//!   - [`input`]: what the user typed, turned into the protocol's requests or local commands;
//!   - [`moderation`]: which moderation events put us out of the room for good, and why;
//!   - [`ignore`]: `/ignore`, the nicknames whose messages we do not want to see, per room;
//!   - [`render`]: events turned into lines, nicknames into colors, mentions detected;
//!   - [`render_moderation`]: the lines for moderation events and the ignore list;
//!   - [`roster`]: who is in the room (operators and away members marked), kept current from
//!     the event stream;
//!   - [`editor`]: the rustyline line editor (completion, prompt, keys, history file).

pub mod acks;
pub mod connection;
pub mod dial;
pub mod editor;
pub mod handshake;
mod held;
pub mod ignore;
pub mod input;
pub mod join;
pub mod moderation;
pub mod password;
pub mod render;
pub mod render_moderation;
pub mod retry;
pub mod roster;
pub mod send;
pub mod stream;
pub mod target;
pub mod trust;

use crate::error::{Error, ExitStatus, Result};
use crate::nick;

/// The nickname to use: the one given (checked now, before any connection), else one derived
/// from the OS user name.
pub fn resolve_nick(given: Option<&str>) -> Result<String> {
    match given {
        Some(given) => {
            nick::validate(given).map_err(|e| {
                Error::new(
                    ExitStatus::Rejected,
                    format!("cannot use '{given}' as a nickname: {e}"),
                )
            })?;
            Ok(given.to_string())
        }
        None => Ok(nick_from_user_name(&os_user_name())),
    }
}

fn os_user_name() -> String {
    ["USER", "USERNAME", "LOGNAME"]
        .iter()
        .find_map(|var| std::env::var(var).ok().filter(|v| !v.is_empty()))
        .unwrap_or_default()
}

/// Turns an OS user name into a valid nickname ("Jane Doe" -> "Jane_Doe"); "guest" if nothing
/// usable is left (or the name is reserved, as `root` is).
pub fn nick_from_user_name(user: &str) -> String {
    let candidate: String = user
        .chars()
        .map(|c| match c {
            c if c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.') => c,
            _ => '_',
        })
        .skip_while(|c| !c.is_ascii_alphanumeric())
        .take(nick::MAX_LEN)
        .collect();
    if nick::validate(&candidate).is_ok() {
        candidate
    } else {
        "guest".to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_names_become_valid_nicknames() {
        assert_eq!(nick_from_user_name("ana"), "ana");
        assert_eq!(nick_from_user_name("Jane Doe"), "Jane_Doe");
        assert_eq!(nick_from_user_name("_svc"), "svc");
        assert_eq!(nick_from_user_name("root"), "guest");
        assert_eq!(nick_from_user_name(""), "guest");
        assert_eq!(nick_from_user_name(&"x".repeat(40)).len(), nick::MAX_LEN);
    }

    #[test]
    fn a_given_nickname_is_checked_before_connecting() {
        let err = resolve_nick(Some("bad nick")).unwrap_err();
        assert_eq!(err.status(), ExitStatus::Rejected);
        assert!(err.to_string().contains("a space"), "{err}");
    }
}
