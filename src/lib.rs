//! chatroom: group chat in a terminal.
//!
//! # Layout
//! - [`cli`]: the one clap definition (flags, help, completions and man pages come from it).
//! - [`config`]: the config file, `chatroom.toml`, whose values become the options' defaults.
//! - `digest`: SHA-256 and constant-time comparison (fingerprints, the room password).
//! - [`error`]: user-facing errors and the documented exit codes.
//! - [`protocol`]: the wire protocol (JSON-lines types, parsing, plain-mode rendering).
//! - [`line`](mod@line): bounded line reading, so no peer can make us buffer without limit.
//! - `atomic_file`: writing a file whole or not at all (certificates, the room's state, ignore
//!   lists).
//! - [`sanitize`]: removing control characters and escape sequences from peer text.
//! - [`nick`]: nickname rules.
//! - [`password`]: a room's password, held so that it is never printed, and compared in
//!   constant time.
//! - [`client`]: the commands that connect to a room (`send`, `join`).
//! - [`color`]: resolving `--color`, `NO_COLOR` and `CLICOLOR_FORCE` once, at start-up.
//! - [`bench`](mod@bench): `chatroom bench`, the load generator that measures a room.
//! - `bridge`: the Redis side of a room shared by several hosts (its stream, nicknames,
//!   heartbeats), to be wired into the room next.
//! - [`server`]: the host (I/O shards owning the sockets, one thread owning the room, crossbeam
//!   channels between them; clean shutdown).
//! - [`tls`]: TLS for the host and the clients (the crypto provider, fingerprints, a rustls
//!   session over a non-blocking socket, the host's certificate, telling TLS from plain text).
//! - [`docs`]: shell completions and man pages generated from [`cli`] (`chatroom completions`,
//!   `chatroom man`, and the checked-in `completions/` and `man/` folders).
mod atomic_file;
pub mod bench;
mod bridge;
pub mod cli;
pub mod client;
pub mod color;
pub mod config;
mod digest;
pub mod docs;
pub mod error;
pub mod line;
pub mod nick;
pub mod password;
pub mod protocol;
pub mod sanitize;
pub mod server;
pub mod store;
pub mod tls;
