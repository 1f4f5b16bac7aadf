//! The integration-test harness, the one every test binary includes with `mod harness;`.
//!
//! It runs the real `chatroom` binary and talks to it the way people, scripts and bots do: a
//! host on 127.0.0.1 and a port the OS chose, clients over real sockets in both wire modes,
//! `send` and `join` as child processes, `join` in a pseudo-terminal. Nothing here sleeps and
//! hopes: every wait is for an event (a line, a JSON event, a console line, an exit) with a
//! deadline, and a failed expectation panics showing everything that did arrive.
//!
//! Layout, one concept per file:
//! - `process`: the binary in an environment that cannot influence a test ([`chatroom`]: no
//!   `CHATROOM_*` or color variables, a home of its own so no developer's config file is read),
//!   `chatroom send` ([`send`]), reading a child's output and waiting for its exit.
//! - `host`: [`Host`], a running `chatroom host` started with any extra arguments
//!   (`Host::start(&["--max-clients", "1"])`), its console, stopping and signalling it.
//! - `conn`: [`Conn`], a raw line connection that keeps every line it received.
//! - `plain`: [`PlainClient`], plain mode as `nc` speaks it.
//! - `json`: [`JsonClient`], JSON-lines mode as bots speak it.
//! - `join`: `chatroom join` with piped stdin and stdout ([`PipedClient`]).
//! - `pty` (Unix only): `chatroom join` in a pseudo-terminal ([`pty::PtyClient`]).
//! - `nc` (Unix only): the real `nc`, as people on the classic tutorial client run it, and
//!   `openssl s_client`, the same way, for a host with `--tls`.
//! - `tls`: TLS from the client's side: a rustls client pinned to the fingerprint the host
//!   printed (for [`Conn`] and the clients built on it); a `host --tls` in a data directory,
//!   clients with their own `known_hosts`, certificates from a certificate authority made at
//!   test time, and [`tls::Tap`], a relay recording what crosses the wire.
//! - `fake_host`: [`fake_host::FakeHost`], a scripted stand-in host: the test writes the host's
//!   lines and reads what the client sent (a client built against a contract the host does not
//!   speak yet).
//! - `feeder`: `chatroom send --retry` fed numbered lines by the test, and which of them an
//!   observer received.
//! - `relay`: [`relay::Relay`], a network between client and host that a test can break: cut
//!   connections, hold back replies, point at a restarted host.
//! - `moderation`: a room with operators and a data directory of the test's own, members who
//!   become operators, and members connecting from other loopback addresses.
//! - `store`: a stored room (`host --store`) in a test's own directory, and its SQLite file
//!   read directly.
//! - `bench`: `chatroom bench --json` run for its exit code and report, and what a clean run is.
//! - `redis`: a real `redis-server` for rooms shared across hosts (`host --redis`), the same
//!   one the bridge's unit tests start.
//! - `files`: temporary directories, waiting for a line the host writes to a file, and the
//!   repository's checked-in files.

// Each test binary compiles the whole harness but uses only its own part of it; without this,
// every binary would report the rest as dead code. (The re-exports below carry their own allow,
// so an import a harness file really does not use is still reported.)
#![allow(dead_code)]

pub mod bench;
pub mod conn;
pub mod fake_host;
pub mod feeder;
pub mod files;
pub mod host;
pub mod join;
pub mod json;
pub mod moderation;
#[cfg(unix)]
pub mod nc;
pub mod plain;
pub mod process;
#[cfg(unix)]
pub mod pty;
pub mod redis;
pub mod relay;
pub mod store;
pub mod tls;

use std::time::Duration;

// The names tests use, from the files above.
#[allow(unused_imports)]
pub use conn::{Conn, PASSWORD_ACCEPTED, greeting, password_greeting};
#[allow(unused_imports)]
pub use files::{password_file, repo_file, repo_root, temp_dir, wait_for_file_line};
#[allow(unused_imports)]
pub use host::{Host, closed_port};
#[cfg(unix)]
#[allow(unused_imports)]
pub use host::{Keyboard, LostOutputs, with_file_size_limit, with_open_file_limit};
#[allow(unused_imports)]
pub use join::{PipedClient, join_command};
#[allow(unused_imports)]
pub use json::{JsonClient, assert_rfc3339_utc_millis, parse_event};
#[cfg(unix)]
#[allow(unused_imports)]
pub use nc::Nc;
#[allow(unused_imports)]
pub use plain::{PlainClient, assert_not_delivered, untimestamped};
#[allow(unused_imports)]
pub use process::{chatroom, chatroom_cmd, send, wait_for_exit};
#[allow(unused_imports)]
pub use store::{StoredRow, integrity, store_args, store_file, stored_rows};

/// How long one expectation on a socket, the host's console or a file may wait.
pub const TIMEOUT: Duration = Duration::from_secs(5);

/// How long a process a test started may take to show something or to exit: a host asked to
/// stop, a `join` client (which starts from scratch and, in a terminal, draws through a line
/// editor).
pub const PROCESS_TIMEOUT: Duration = Duration::from_secs(10);
