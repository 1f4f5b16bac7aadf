//! A room with operators (`host --op-password-file`) whose bans and topic are kept in a test's
//! own data directory, and members who become operators or connect from other addresses.

use std::path::{Path, PathBuf};

use serde_json::json;

use super::conn::Conn;
use super::files::password_file;
use super::host::Host;
use super::json::JsonClient;
use super::plain::{PlainClient, untimestamped};

/// The operator password of a [`moderated_host`].
pub const OP_PASSWORD: &str = "ops-only-2291";

/// The data directory a [`moderated_host`] in `dir` keeps its state in.
pub fn data_dir(dir: &Path) -> PathBuf {
    dir.join("data")
}

/// A host whose operator password is [`OP_PASSWORD`] (from a file in `dir`), keeping its state
/// in [`data_dir`], without per-address limits (every client is on loopback), with `more`
/// arguments.
pub fn moderated_host(dir: &Path, more: &[&str]) -> Host {
    let file = password_file(dir, "op-password", OP_PASSWORD);
    let data = data_dir(dir);
    let data = data.to_str().expect("a UTF-8 path");
    let mut args = vec![
        "--op-password-file",
        file.as_str(),
        "--data-dir",
        data,
        "--max-per-ip",
        "0",
    ];
    args.extend_from_slice(more);
    Host::start(&args)
}

/// A JSON member who has become an operator with [`OP_PASSWORD`] (its `op` event read).
pub fn json_operator(host: &Host, nick: &str) -> JsonClient {
    let mut client = JsonClient::join(host, nick);
    become_operator(&mut client);
    client
}

/// Sends `op` with [`OP_PASSWORD`] and waits for the acknowledgement.
pub fn become_operator(client: &mut JsonClient) {
    client.send(json!({"type": "op", "password": OP_PASSWORD, "id": "op"}));
    client.expect_event_where("ack", |e| e["id"] == "op");
}

/// A JSON member connected from the loopback address `from` (127.0.0.2, ...).
pub fn json_from(host: &Host, from: &str, nick: &str) -> JsonClient {
    JsonClient::join_over(host, Conn::connect_from(host, from), nick)
}

/// A plain-mode member connected from the loopback address `from`.
pub fn plain_from(host: &Host, from: &str, nick: &str) -> PlainClient {
    PlainClient::join_over(host, Conn::connect_from(host, from), nick)
}

/// Makes a plain-mode member an operator with [`OP_PASSWORD`] and waits for the room to say so.
pub fn become_plain_operator(client: &mut PlainClient) {
    client.say(&format!("/op {OP_PASSWORD}"));
    let made = format!("*** {} is now an operator", client.nick);
    client.expect(&made);
}

/// Asserts that a line a client read before the host closed its connection (what
/// `expect_closed` returns) holds `needle`: the kick or ban that put it out.
pub fn assert_heard_last(last: &[String], needle: &str) {
    assert!(
        last.iter().any(|l| l.contains(needle)),
        "{needle:?} is not among the last lines {last:?}"
    );
}

/// Waits for a plain line that reads `before`, then a time the test cannot know (when a ban or
/// mute ends, when the topic was set), then `after`; returns it.
pub fn expect_timed(client: &mut PlainClient, before: &str, after: &str) -> String {
    client.expect_line(&format!("{before:?} ... {after:?}"), |l| {
        let body = untimestamped(l);
        body.starts_with(before) && body.ends_with(after)
    })
}
