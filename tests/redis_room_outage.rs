//! A room shared across hosts when its Redis goes away: members are told once that the room is
//! reconnecting and once that it is back; messages said meanwhile are refused (`unavailable`),
//! never silently lost; `send --retry` sends them again; and once Redis is back nothing that was
//! acknowledged is lost or doubled, on any host. A Redis that comes back empty (restarted
//! without persistence) costs the history but not the room: the hosts let their members go,
//! they come back, and the sequence goes on after the last `seq` anyone saw.
//!
//! Each test skips loudly when `redis-server` is not installed, unless `CHATROOM_REQUIRE_REDIS`
//! is set (CI sets it): see `harness/redis.rs`.

mod harness;

use harness::feeder::{lines_until, piped_send, write_lines};
use harness::join::PipedClient;
use harness::process::wait_for_exit;
use harness::redis::{shared_host, shared_host_with, start_persistent_redis, start_redis};
use harness::{Host, JsonClient, PlainClient, parse_event};
use serde_json::json;
use std::time::Duration;

#[test]
fn a_redis_killed_and_restarted_mid_traffic_loses_and_doubles_nothing() {
    let Some(mut redis) = start_persistent_redis() else {
        return;
    };
    // No pacing: three hundred lines go out as fast as the room takes them.
    let hosts: Vec<Host> = (0..3)
        .map(|_| shared_host_with(&redis, "ops", &["--rate-limit", "0"]))
        .collect();
    let mut near = JsonClient::join(&hosts[0], "near");
    let mut far = JsonClient::join(&hosts[2], "far");
    let mut pat = PlainClient::join(&hosts[1], "pat");
    let (feeder, mut stdin) = piped_send(&hosts[0].server(), "30");
    write_lines(&mut stdin, 1..=100);
    assert_eq!(lines_until(&mut far, 100), (1..=100).collect::<Vec<_>>());
    redis.kill();
    // Written while Redis is gone: refused or held, and sent again when it is back.
    write_lines(&mut stdin, 101..=200);
    far.expect_event("room_reconnecting");
    pat.expect_line("the reconnecting notice", |line| {
        line.starts_with("*** the room is reconnecting (")
    });
    redis.restart();
    far.expect_event("room_back");
    pat.expect("*** the room is back; messages are taken again");
    write_lines(&mut stdin, 201..=300);
    drop(stdin);
    let (code, stderr) = wait_for_exit(feeder);
    assert_eq!(code, Some(0), "send failed: {stderr}");
    let everything: Vec<u32> = (1..=300).collect();
    assert_eq!(lines_until(&mut far, 300), everything[100..]);
    assert_eq!(lines_until(&mut near, 300), everything, "the sender's host");
    let told = pat.bodies();
    let reconnecting = told
        .iter()
        .filter(|body| body.starts_with("*** the room is reconnecting"))
        .count();
    assert_eq!(reconnecting, 1, "told once: {told:?}");
}

#[test]
fn a_message_said_while_redis_is_gone_is_refused_not_lost() {
    let Some(mut redis) = start_persistent_redis() else {
        return;
    };
    let a = shared_host(&redis, "ops");
    let b = shared_host(&redis, "ops");
    let mut ann = JsonClient::join(&a, "ann");
    let mut bob = PlainClient::join(&b, "bob");
    redis.kill();
    ann.expect_event("room_reconnecting");
    ann.send(json!({"type": "say", "text": "anyone?", "id": 1}));
    let refused = ann.expect_event("error");
    assert_eq!(refused["code"], "unavailable", "{refused}");
    assert_eq!(refused["id"], 1, "{refused}");
    bob.expect_line("the reconnecting notice", |line| {
        line.starts_with("*** the room is reconnecting (")
    });
    bob.say("hello?");
    let error = bob.expect_error();
    assert!(error.contains("the room is reconnecting"), "{error}");
    // A private message to another host's member needs Redis too.
    ann.send(json!({"type": "pm", "to": "bob", "text": "psst", "id": 3}));
    let refused = ann.expect_event("error");
    assert_eq!(
        (&refused["code"], &refused["id"]),
        (&json!("unavailable"), &json!(3))
    );
    redis.restart();
    ann.expect_event("room_back");
    ann.send(json!({"type": "say", "text": "back", "id": 2}));
    let ack = ann.expect_event("ack");
    assert_eq!(ack["id"], 2);
    bob.expect("<ann> back");
    assert!(
        !bob.has_seen("anyone?"),
        "a refused message was not published"
    );
}

#[test]
fn a_redis_back_empty_lets_members_go_and_the_room_goes_on_after_its_last_seq() {
    let Some(mut redis) = start_redis() else {
        return;
    };
    let a = shared_host(&redis, "ops");
    let b = shared_host(&redis, "ops");
    let mut ann = JsonClient::join(&a, "ann");
    let mut bob = JsonClient::join(&b, "bob");
    ann.send(json!({"type": "say", "text": "before", "id": 1}));
    let before = ann.expect_event("ack")["seq"].as_u64().expect("a seq");
    // Kept nothing: the stream, the nicknames and the hosts are gone.
    redis.restart();
    for member in [&mut ann, &mut bob] {
        let told = member.expect_event("error");
        assert_eq!(told["code"], "unavailable", "{told}");
        assert!(
            told["message"]
                .as_str()
                .is_some_and(|m| m.contains("reconnect")),
            "{told}"
        );
        member.expect_closed();
    }
    // Coming back, under the same nickname, into a room whose seq goes on.
    let mut ann = JsonClient::join(&a, "ann");
    let mut bob = JsonClient::join(&b, "bob");
    // This host's reader may still be reconnecting: a refusal is followed by `room_back`.
    ann.send(json!({"type": "say", "text": "after", "id": 2}));
    let answer = parse_event(&ann.expect_line("an ack or an error", |line| {
        let event = parse_event(line);
        event["type"] == "ack" || event["type"] == "error"
    }));
    let answer = match answer["type"].as_str() {
        Some("ack") => answer,
        _ => {
            assert_eq!(answer["code"], "unavailable", "{answer}");
            ann.expect_event("room_back");
            ann.send(json!({"type": "say", "text": "after", "id": 3}));
            ann.expect_event("ack")
        }
    };
    let after = answer["seq"].as_u64().expect("a seq");
    assert!(after > before, "seq {after} after {before}");
    let seen = bob.expect_message("ann", "say", "after");
    assert_eq!(seen["seq"].as_u64(), Some(after));
}

#[test]
fn a_redis_away_longer_than_a_heartbeat_keeps_every_member() {
    let Some(mut redis) = start_persistent_redis() else {
        return;
    };
    let a = shared_host(&redis, "ops");
    let b = shared_host(&redis, "ops");
    let mut ann = JsonClient::join(&a, "ann");
    let mut bob = JsonClient::join(&b, "bob");
    redis.kill();
    ann.expect_event("room_reconnecting");
    bob.expect_event("room_reconnecting");
    // The outage itself: every heartbeat (kept 3 s) expires meanwhile.
    std::thread::sleep(Duration::from_secs(4));
    redis.restart();
    ann.expect_event("room_back");
    bob.expect_event("room_back");
    // Long enough for a reaping that should not happen (the hosts wait a heartbeat's time to
    // live after reconnecting before they reap, and beat every second).
    std::thread::sleep(Duration::from_secs(5));
    ann.send(json!({"type": "say", "text": "still here", "id": 1}));
    ann.expect_event_where("ack", |e| e["id"] == 1);
    bob.expect_message("ann", "say", "still here");
    for (who, client) in [("ann", &ann), ("bob", &bob)] {
        let gone: Vec<String> = client
            .received()
            .iter()
            .filter(|line| line.contains("\"type\":\"leave\"") || line.contains("\"error\""))
            .cloned()
            .collect();
        assert!(gone.is_empty(), "{who} saw {gone:?}");
    }
}

#[test]
fn a_line_typed_into_join_while_redis_is_gone_goes_out_once_when_it_is_back() {
    let Some(mut redis) = start_persistent_redis() else {
        return;
    };
    let a = shared_host(&redis, "ops");
    let b = shared_host(&redis, "ops");
    let mut bob = JsonClient::join(&b, "bob");
    // Watches ana's host: the first append after the outage must not make it go down again.
    let mut cid = JsonClient::join(&a, "cid");
    let mut ana = PipedClient::start(&a.server(), &["--nick", "ana"], &[]);
    bob.expect_join("ana");
    redis.kill();
    ana.expect("*** the room is reconnecting");
    ana.write("typed while it was gone");
    // The host answers in order: once the pong is shown, the line's refusal has come too.
    ana.write("/ping");
    ana.expect("*** pong");
    redis.restart();
    ana.expect("*** the room is back");
    bob.expect_message("ana", "say", "typed while it was gone");
    ana.write("and after");
    bob.expect_message("ana", "say", "and after");
    let (code, stderr) = ana.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("not sent yet: the room is reconnecting"),
        "{stderr}"
    );
    let copies = bob
        .received()
        .iter()
        .filter(|line| line.contains("typed while it was gone"))
        .count();
    assert_eq!(copies, 1, "taken once");
    cid.expect_message("ana", "say", "and after");
    let outages = cid
        .received()
        .iter()
        .filter(|line| line.contains("room_reconnecting"))
        .count();
    assert_eq!(outages, 1, "told once: {:?}", cid.received());
}
