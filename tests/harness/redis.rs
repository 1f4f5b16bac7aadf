//! A real `redis-server` for shared rooms (`host --redis`): the same [`TestRedis`] the bridge's
//! unit tests start (one file, `src/bridge/test_redis_server.rs`, included here by path), probed
//! with a bare `PING` over TCP since this side has no bridge to connect with.

use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;

use super::Host;

#[path = "../../src/bridge/test_redis_server.rs"]
mod server;

pub(crate) use server::TestRedis;

/// A plain (non-TLS) server keeping nothing on disk; `None` (after a loud message) when there
/// is no `redis-server` and `CHATROOM_REQUIRE_REDIS` is unset.
pub(crate) fn start_redis() -> Option<TestRedis> {
    TestRedis::launch(false, false, pong)
}

/// A plain server that writes every change to its append-only file before answering, so that
/// it comes back from a kill (see [`TestRedis::restart`]) with everything it acknowledged.
pub(crate) fn start_persistent_redis() -> Option<TestRedis> {
    TestRedis::launch(true, false, pong)
}

/// A host of the room `name` shared through `redis`.
pub(crate) fn shared_host(redis: &TestRedis, name: &str) -> Host {
    shared_host_with(redis, name, &[])
}

/// A host of the room `name` shared through `redis`, with `extra` arguments.
pub(crate) fn shared_host_with(redis: &TestRedis, name: &str, extra: &[&str]) -> Host {
    let mut args = redis_args(redis, name);
    args.extend(extra.iter().map(|arg| arg.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Host::start(&args)
}

/// Ready when a `PING` is answered `+PONG` (not `-LOADING`).
fn pong(redis: &TestRedis) -> Result<(), String> {
    let address = redis.url().trim_start_matches("redis://").to_string();
    let mut stream = TcpStream::connect(&address).map_err(|e| e.to_string())?;
    stream
        .set_read_timeout(Some(Duration::from_secs(1)))
        .map_err(|e| e.to_string())?;
    stream.write_all(b"PING\r\n").map_err(|e| e.to_string())?;
    let mut answer = [0u8; 64];
    let read = stream.read(&mut answer).map_err(|e| e.to_string())?;
    let answer = String::from_utf8_lossy(&answer[..read]).to_string();
    match answer.starts_with("+PONG") {
        true => Ok(()),
        false => Err(answer),
    }
}

/// `host` arguments for one host of the room `name` shared through `redis`.
pub(crate) fn redis_args(redis: &TestRedis, name: &str) -> Vec<String> {
    vec![
        "--redis".into(),
        redis.url(),
        "--name".into(),
        name.into(),
        "--max-per-ip".into(),
        "0".into(),
    ]
}
