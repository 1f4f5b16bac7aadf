//! A host's name in a shared room: 128 random bits in hex, new at every start.
//!
//! New at every start, so that a host that restarts is a new host to the others: the members
//! of its last life are reaped with it (see `heartbeat.rs`), and nothing it left behind is
//! mistaken for its own.

use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// Hex digits in a host id.
const LEN: usize = 32;

/// Shared, not copied: every event read from the stream carries its host's id (up to 1,024 of
/// an entry's events the same one), and a clone is a reference count.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct HostId(Arc<str>);

impl HostId {
    /// A new random id.
    pub(crate) fn random() -> HostId {
        // The same 128 random bits a client id is made of.
        HostId(crate::client::retry::client_id().into())
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for HostId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for HostId {
    type Err = String;

    /// Only what [`HostId::random`] makes: 32 lowercase hex digits.
    fn from_str(text: &str) -> Result<HostId, String> {
        let hex = |c: char| c.is_ascii_digit() || ('a'..='f').contains(&c);
        if text.len() == LEN && text.chars().all(hex) {
            Ok(HostId(text.into()))
        } else {
            Err(format!(
                "'{}' is not a host id ({LEN} lowercase hex digits)",
                text.escape_debug()
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_random_id_parses_back() {
        let id = HostId::random();
        assert_eq!(id.as_str().parse::<HostId>(), Ok(id.clone()));
        assert_ne!(id, HostId::random());
    }

    #[test]
    fn anything_else_is_refused() {
        for bad in ["", "abc", &"A".repeat(32), &"0".repeat(33), &"g".repeat(32)] {
            assert!(bad.parse::<HostId>().is_err(), "{bad}");
        }
    }
}
