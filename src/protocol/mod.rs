//! The wire protocol: one line per message over TCP, in one of two dialects.
//!
//! - [`wire`]: the JSON-lines types both sides share (events, requests, ids, timestamps).
//! - [`parse`]: the host's side of reading a line: first-line mode detection, plain commands,
//!   lenient JSON parsing into sanitized [`parse::Request`]s.
//! - [`moderation`]: the parts of moderation requests that need reading (durations, ban targets,
//!   reasons and topics); [`parse::client_request`] turns a typed one into its JSON request.
//! - [`refusal`]: why a line was refused, the one answer every parser and check gives.
//! - [`plain`]: how events read in plain mode, for people on `nc`.
//! - [`moderation_lines`]: how moderation events read, in plain mode and in `join` alike.
//!
//! The README's "Wire protocol" section is the contract these modules implement.

pub mod moderation;
pub mod moderation_lines;
pub mod parse;
pub mod plain;
pub mod refusal;
pub mod wire;

pub use parse::Mode;
pub use wire::{ErrorCode, Event, Id, Timestamp};
