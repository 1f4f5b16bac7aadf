//! Moderation in a room shared across hosts (`host --redis`): a ban made on one host puts out
//! and keeps out its addresses on every host, an unban on another lifts it everywhere, a topic
//! set on one host greets newcomers on all of them, and a host started later begins with the
//! room's bans and topic (kept in Redis).
//!
//! Each test skips loudly when `redis-server` is not installed, unless `CHATROOM_REQUIRE_REDIS`
//! is set (CI sets it): see `harness/redis.rs`.

mod harness;

use std::path::Path;

use harness::moderation::{json_from, json_operator, moderated_host};
use harness::redis::{TestRedis, start_redis};
use harness::{Conn, Host, JsonClient, temp_dir};
use serde_json::json;

/// A host of the shared room `ops` with operators, keeping its own state in `dir`.
fn shared_moderated_host(redis: &TestRedis, dir: &Path) -> Host {
    std::fs::create_dir_all(dir).expect("the host's directory");
    // A moderated host already takes any number of members per address.
    let url = redis.url();
    moderated_host(dir, &["--redis", &url, "--name", "ops"])
}

/// Two hosts of the shared room, each with a directory of its own in `dir`.
fn two_hosts(redis: &TestRedis, dir: &Path) -> (Host, Host) {
    (
        shared_moderated_host(redis, &dir.join("a")),
        shared_moderated_host(redis, &dir.join("b")),
    )
}

/// An operator on each of two hosts (`opa` on `a`, `opb` on `b`).
fn operators_on(a: &Host, b: &Host) -> (JsonClient, JsonClient) {
    (json_operator(a, "opa"), json_operator(b, "opb"))
}

/// The answer to a hello as `nick` from the loopback address `from`.
fn hello_from(host: &Host, from: &str, nick: &str) -> serde_json::Value {
    JsonClient::greeted(host, Conn::connect_from(host, from)).hello(nick)
}

/// Sends `request` (which carries an `id`) and waits for its ack.
fn carried_out(client: &mut JsonClient, request: serde_json::Value) {
    let id = request["id"].clone();
    client.send(request);
    client.expect_event_where("ack", |e| e["id"] == id);
}

/// Waits until what `host` asked Redis for before now is done: a newcomer's nickname is claimed
/// on the same thread, after the room's state was handed to it.
fn settle(host: &Host, nick: &str) {
    JsonClient::join(host, nick);
}

#[test]
fn a_ban_on_one_host_puts_out_and_keeps_out_its_address_on_every_host() {
    let Some(redis) = start_redis() else {
        return;
    };
    let dir = temp_dir();
    let (a, b) = two_hosts(&redis, dir.path());
    let mut op = json_operator(&a, "op");
    let mut eve = json_from(&b, "127.0.0.2", "eve");
    carried_out(
        &mut op,
        json!({"type": "ban", "target": "127.0.0.2", "reason": "spam", "id": 1}),
    );
    let ban = eve.expect_event("ban");
    assert_eq!(ban["target"], "127.0.0.2", "{ban}");
    eve.expect_closed();
    let refused = hello_from(&b, "127.0.0.2", "eve2");
    assert_eq!(refused["code"], "banned", "{refused}");
    // A host started later begins with the room's bans.
    settle(&a, "sync");
    let c = shared_moderated_host(&redis, &dir.path().join("c"));
    let refused = hello_from(&c, "127.0.0.2", "eve3");
    assert_eq!(refused["code"], "banned", "{refused}");
    // Other addresses are welcome everywhere.
    let welcome = hello_from(&c, "127.0.0.3", "zed");
    assert_eq!(welcome["type"], "welcome", "{welcome}");
}

#[test]
fn an_unban_on_another_host_lifts_the_ban_everywhere() {
    let Some(redis) = start_redis() else {
        return;
    };
    let dir = temp_dir();
    let (a, b) = two_hosts(&redis, dir.path());
    let (mut op_a, mut op_b) = operators_on(&a, &b);
    carried_out(
        &mut op_a,
        json!({"type": "ban", "target": "127.0.0.2", "id": 1}),
    );
    op_b.expect_event("ban");
    carried_out(
        &mut op_b,
        json!({"type": "unban", "target": "127.0.0.2", "id": 2}),
    );
    op_a.expect_event("unban");
    let welcome = hello_from(&a, "127.0.0.2", "eve");
    assert_eq!(welcome["type"], "welcome", "{welcome}");
}

#[test]
fn a_topic_set_on_one_host_greets_newcomers_on_every_host() {
    let Some(redis) = start_redis() else {
        return;
    };
    let dir = temp_dir();
    let (a, b) = two_hosts(&redis, dir.path());
    let mut op = json_operator(&a, "op");
    let mut bob = JsonClient::join(&b, "bob");
    carried_out(
        &mut op,
        json!({"type": "topic", "text": "release day", "id": 1}),
    );
    let topic = bob.expect_event("topic");
    assert_eq!(topic["text"], "release day", "{topic}");
    let welcome = JsonClient::connect(&b).hello("cid");
    assert_eq!(welcome["topic"]["text"], "release day", "{welcome}");
    assert_eq!(welcome["topic"]["by"], "op", "{welcome}");
    settle(&a, "sync");
    let c = shared_moderated_host(&redis, &dir.path().join("c"));
    let welcome = JsonClient::connect(&c).hello("dan");
    assert_eq!(welcome["topic"]["text"], "release day", "{welcome}");
}

#[test]
fn the_room_keeps_the_state_of_its_latest_change_whichever_host_writes_last() {
    let Some(redis) = start_redis() else {
        return;
    };
    let dir = temp_dir();
    let (a, b) = two_hosts(&redis, dir.path());
    let (mut op_a, mut op_b) = operators_on(&a, &b);
    carried_out(&mut op_a, json!({"type": "topic", "text": "one", "id": 1}));
    op_b.expect_event("topic");
    carried_out(&mut op_b, json!({"type": "topic", "text": "two", "id": 2}));
    let two = op_a.expect_event_where("topic", |e| e["text"] == "two");
    // Both hosts wrote what they hold after each topic (four writes in all, racing): what is
    // kept is the state as of the second topic's seq.
    settle(&a, "sync-a");
    settle(&b, "sync-b");
    let mut conn = redis_conn(&redis);
    let (seq, state): (u64, String) = redis::cmd("HMGET")
        .arg("chatroom:{ops}:state")
        .arg("seq")
        .arg("state")
        .query(&mut conn)
        .expect("the room's state is kept");
    assert_eq!(Some(seq), two["seq"].as_u64(), "{two} {state}");
    assert!(state.contains("\"two\""), "{state}");
    let c = shared_moderated_host(&redis, &dir.path().join("c"));
    let welcome = JsonClient::connect(&c).hello("dan");
    assert_eq!(welcome["topic"]["text"], "two", "{welcome}");
}

#[test]
fn changes_crossing_between_hosts_end_the_same_on_every_host_in_the_rooms_order() {
    let Some(redis) = start_redis() else {
        return;
    };
    let dir = temp_dir();
    let (a, b) = two_hosts(&redis, dir.path());
    let (mut op_a, mut op_b) = operators_on(&a, &b);
    // Each host's appender connected (it connects at its first append), so that what Redis
    // holds below is the topics' appends themselves.
    carried_out(&mut op_a, json!({"type": "say", "text": "hi", "id": 10}));
    carried_out(&mut op_b, json!({"type": "say", "text": "hi", "id": 20}));
    let mut conn = redis_conn(&redis);
    // Redis holds every write: a's topic waits in it, then b's, and Redis runs them in that
    // order. Each host has made its change by then, before hearing the other's.
    let (first, second) = ("a".repeat(LONG), "b".repeat(LONG));
    let _: () = redis::cmd("CLIENT")
        .arg("PAUSE")
        .arg(10_000)
        .arg("WRITE")
        .query(&mut conn)
        .expect("writes paused");
    carried_out(&mut op_a, json!({"type": "topic", "text": first, "id": 1}));
    wait_for_held_calls(&mut conn, 1);
    carried_out(&mut op_b, json!({"type": "topic", "text": second, "id": 2}));
    wait_for_held_calls(&mut conn, 2);
    let _: () = redis::cmd("CLIENT")
        .arg("UNPAUSE")
        .query(&mut conn)
        .expect("writes let through");
    for op in [&mut op_a, &mut op_b] {
        op.expect_event_where("topic", |e| e["text"] == first);
        op.expect_event_where("topic", |e| e["text"] == second);
    }
    // The second in the room's order is the topic, on the host that set the first and on the
    // one that set the second (which heard the first after making its own).
    for (host, nick) in [(&a, "ann"), (&b, "ben")] {
        let welcome = JsonClient::connect(host).hello(nick);
        assert_eq!(welcome["topic"]["text"], second, "on {nick}'s host");
    }
}

/// Topic texts as long as a topic may be (300 characters), to tell the append calls carrying
/// them from the other calls Redis may hold (a heartbeat's arguments are under 200 bytes).
const LONG: usize = 300;

/// A connection of the test's own to the room's Redis.
fn redis_conn(redis: &TestRedis) -> redis::Connection {
    redis::Client::open(redis.url())
        .and_then(|client| client.get_connection())
        .expect("the test redis-server answers")
}

/// Waits until Redis holds `calls` paused commands carrying one of the long topics.
fn wait_for_held_calls(conn: &mut redis::Connection, calls: usize) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let clients: String = redis::cmd("CLIENT")
            .arg("LIST")
            .query(conn)
            .expect("CLIENT LIST");
        let held = clients
            .lines()
            .filter(|line| line.split(' ').any(|field| field == "flags=b"))
            .filter(|line| {
                line.split(' ')
                    .find_map(|field| field.strip_prefix("argv-mem="))
                    .and_then(|bytes| bytes.parse::<usize>().ok())
                    .is_some_and(|bytes| bytes >= LONG)
            })
            .count();
        if held >= calls {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "Redis holds {held} of {calls} appends:\n{clients}"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

#[test]
fn a_kicked_member_hears_its_kick_before_it_is_put_out_and_every_host_sees_it() {
    let Some(redis) = start_redis() else {
        return;
    };
    let dir = temp_dir();
    let (a, b) = two_hosts(&redis, dir.path());
    let mut op = json_operator(&a, "op");
    let mut eve = JsonClient::join(&a, "eve");
    let mut bob = JsonClient::join(&b, "bob");
    carried_out(
        &mut op,
        json!({"type": "kick", "nick": "eve", "reason": "spam", "id": 1}),
    );
    let kick = eve.expect_event("kick");
    assert_eq!(
        (&kick["nick"], &kick["reason"]),
        (&json!("eve"), &json!("spam"))
    );
    eve.expect_closed();
    let seen = bob.expect_event("kick");
    assert_eq!(seen["seq"], kick["seq"], "one event, one seq: {seen}");
    // The name is free again, on any host.
    settle(&a, "sync");
    let welcome = JsonClient::connect(&b).hello("eve");
    assert_eq!(welcome["type"], "welcome", "{welcome}");
}
