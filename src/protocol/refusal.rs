//! A refusal: why a line or request was refused, in words for its author and with the error code
//! the protocol gives it. Every parser and every check of the host returns one; only its author
//! hears it, and nothing else happens.

use super::wire::{ErrorCode, Id};

/// Why a line was refused: sent back to its author, and nothing else happens.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: ErrorCode,
    pub message: String,
    pub id: Option<Id>,
}

impl Refusal {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Refusal {
            code,
            message: message.into(),
            id: None,
        }
    }

    /// The refusal of a request that carried `id`, which the answer echoes.
    pub(crate) fn with_id(mut self, id: Option<Id>) -> Self {
        self.id = id;
        self
    }
}
