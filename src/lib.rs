//! chatroom: group chat in a terminal.
//!
//! # Layout
//! - [`cli`]: the one clap definition (flags, help, completions and man pages come from it).
//! - [`error`]: user-facing errors and the documented exit codes.
pub mod cli;
pub mod error;
