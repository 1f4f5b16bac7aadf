//! chatroom: group chat in a terminal.
//!
//! # Layout
//! - [`cli`]: the one clap definition (flags, help, completions and man pages come from it).
//! - [`error`]: user-facing errors and the documented exit codes.
//! - [`docs`]: shell completions and man pages generated from [`cli`] (`chatroom completions`,
//!   `chatroom man`, and the checked-in `completions/` and `man/` folders).
pub mod cli;
pub mod docs;
pub mod error;
