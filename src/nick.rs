//! Nickname rules, shared by the host (which enforces them) and the clients (which check early
//! so that a user hears about a bad nickname before any connection is made).
//!
//! Nicknames are deliberately ASCII: with letters from every script allowed, `аlice` (Cyrillic
//! `а`) would pass for `alice`, and on a hostile network impersonation is the first attack.

use std::fmt;

/// Longest nickname, in characters.
pub const MAX_LEN: usize = 24;

/// Names that would let a person pass for the room itself or address everybody.
const RESERVED: &[&str] = &[
    "server", "host", "chatroom", "system", "admin", "root", "everyone", "all", "here", "nobody",
];

/// Which nickname rule was broken; the `Display` text says it so a person can fix it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NickError {
    Empty,
    TooLong(usize),
    BadChar(char),
    BadStart(char),
    Reserved(String),
}

impl fmt::Display for NickError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NickError::Empty => write!(f, "nickname is empty"),
            NickError::TooLong(n) => {
                write!(
                    f,
                    "nickname is {n} characters long; at most {MAX_LEN} are allowed"
                )
            }
            NickError::BadChar(c) => write!(
                f,
                "nickname may only contain ASCII letters, digits, '_', '-' and '.' (not {})",
                describe_char(*c)
            ),
            NickError::BadStart(c) => write!(
                f,
                "nickname must start with a letter or digit (not {})",
                describe_char(*c)
            ),
            NickError::Reserved(name) => write!(f, "nickname '{name}' is reserved"),
        }
    }
}

impl std::error::Error for NickError {}

/// Checks `nick` against every rule: length, characters, first character, reserved names.
pub fn validate(nick: &str) -> Result<(), NickError> {
    let len = nick.chars().count();
    if len == 0 {
        return Err(NickError::Empty);
    }
    if let Some(bad) = nick.chars().find(|c| !is_nick_char(*c)) {
        return Err(NickError::BadChar(bad));
    }
    if len > MAX_LEN {
        return Err(NickError::TooLong(len));
    }
    let first = nick.chars().next().unwrap_or_default();
    if !first.is_ascii_alphanumeric() {
        return Err(NickError::BadStart(first));
    }
    if RESERVED.iter().any(|reserved| look_alike(nick, reserved)) {
        return Err(NickError::Reserved(nick.to_string()));
    }
    Ok(())
}

/// What a nickname looks like to a reader, in two forms: its confusable skeleton (Unicode UTS
/// #39: `1`, `I` and `l` are one letter, `rn` is `m`, `0` is `O`) taken before and after
/// ignoring case (capital `I` looks like `l`, small `i` does not), with the separators `.`, `-`
/// and `_` ignored. Nicknames that share a form are too alike to share a room: `a1ice`, `aIice`
/// and `alice.` would pass for `alice`.
pub fn likeness(nick: &str) -> [String; 2] {
    let bare: String = nick
        .chars()
        .filter(|c| !matches!(c, '.' | '-' | '_'))
        .collect();
    let skeleton = |s: &str| -> String { unicode_security::skeleton(s).collect() };
    [
        skeleton(&skeleton(&bare).to_lowercase()),
        skeleton(&bare.to_lowercase()),
    ]
}

/// True when `a` and `b` share a [`likeness`].
pub fn look_alike(a: &str, b: &str) -> bool {
    let (a, b) = (likeness(a), likeness(b));
    a.iter().any(|form| b.contains(form))
}

/// The form under which nicknames are compared: `Alice` and `alice` are the same person.
pub fn fold(nick: &str) -> String {
    nick.to_ascii_lowercase()
}

fn is_nick_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')
}

/// Names a character so that an invisible or confusing one is still readable in an error.
fn describe_char(c: char) -> String {
    match c {
        ' ' => "a space".to_string(),
        c if c.is_control() || c.is_whitespace() => format!("U+{:04X}", c as u32),
        c if c.is_ascii() => format!("'{c}'"),
        c => format!("'{c}' (U+{:04X})", c as u32),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_the_allowed_alphabet() {
        for ok in ["alice", "Bob_2", "a", "x.y-z", "0day", &"a".repeat(MAX_LEN)] {
            assert_eq!(validate(ok), Ok(()), "{ok}");
        }
    }

    #[test]
    fn names_the_broken_rule() {
        assert_eq!(validate(""), Err(NickError::Empty));
        assert_eq!(validate(&"a".repeat(25)), Err(NickError::TooLong(25)));
        assert_eq!(validate("al ice"), Err(NickError::BadChar(' ')));
        assert_eq!(validate("аlice"), Err(NickError::BadChar('а')));
        assert_eq!(validate("-dash"), Err(NickError::BadStart('-')));
        assert_eq!(validate("Admin"), Err(NickError::Reserved("Admin".into())));
    }

    #[test]
    fn messages_are_readable() {
        assert_eq!(
            validate("a b").unwrap_err().to_string(),
            "nickname may only contain ASCII letters, digits, '_', '-' and '.' (not a space)"
        );
        assert!(
            validate("x\u{1b}")
                .unwrap_err()
                .to_string()
                .contains("U+001B")
        );
        assert_eq!(
            validate("root").unwrap_err().to_string(),
            "nickname 'root' is reserved"
        );
    }

    #[test]
    fn lookalikes_share_a_likeness() {
        for lookalike in ["a1ice", "aIice", "alice.", "ALICE", "al-ice", "a_lice"] {
            assert!(look_alike(lookalike, "alice"), "{lookalike}");
        }
        assert!(look_alike("modern", "modem"));
        assert!(!look_alike("alice", "alicia"));
        assert!(!look_alike("bob", "rob"));
        assert!(!look_alike("alice", "ailce"));
    }

    #[test]
    fn reserved_names_cannot_be_dressed_up() {
        for dressed in ["admin.", "ADMIN", "r00t", "h0st", "Server_"] {
            assert_eq!(
                validate(dressed),
                Err(NickError::Reserved(dressed.into())),
                "{dressed}"
            );
        }
    }

    #[test]
    fn folding_ignores_case() {
        assert_eq!(fold("ALice"), fold("alICE"));
    }
}
