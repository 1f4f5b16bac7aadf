//! The threaded host's guarantees, with four shards whatever the machine: one order for everyone,
//! each sender's order kept, acks only once the room has taken a message, nicknames unique and
//! the room's cap exact even when claimed from every shard at once, pacing, and private messages
//! between shards. (A stalled reader among its shard's members is in `slow_readers.rs`, a clean
//! shutdown of every shard in `shutdown.rs`.)
//!
//! The acceptor hands connections to shards in turn, so clients that connect one after the other
//! are spread round robin: with four shards, the k-th connection of a test is on shard k mod 4.

mod harness;

use std::collections::BTreeMap;

use harness::{Host, JsonClient, PlainClient, assert_not_delivered};
use serde_json::{Value, json};

const SHARDS: &str = "4";

/// A host with four shards and `extra` arguments.
fn host(extra: &[&str]) -> Host {
    let mut args = vec!["--threads", SHARDS];
    args.extend_from_slice(extra);
    Host::start(&args)
}

/// Reads `count` message events and returns them as (seq, from, text).
fn messages(client: &mut JsonClient, count: usize) -> Vec<(u64, String, String)> {
    (0..count)
        .map(|_| {
            let event = client.expect_event("message");
            let seq = event["seq"].as_u64().expect("a message has a seq");
            let field = |name: &str| event[name].as_str().unwrap_or_default().to_string();
            (seq, field("from"), field("text"))
        })
        .collect()
}

#[test]
fn every_member_on_every_shard_sees_the_same_order_and_each_senders_order() {
    let host = host(&["--rate-limit", "0"]);
    let mut members: Vec<JsonClient> = (0..8)
        .map(|i| JsonClient::join(&host, &format!("m{i}")))
        .collect();
    // One speaker per shard (m0..m3), talking at the same time; m4..m7 only listen.
    const EACH: usize = 60;
    for round in 0..EACH {
        for (speaker, member) in members.iter_mut().take(4).enumerate() {
            member.say(&format!("{speaker}:{round}"));
        }
    }
    let seen: Vec<Vec<(u64, String, String)>> = members
        .iter_mut()
        .enumerate()
        .map(|(i, member)| {
            // Speakers are not sent their own messages back.
            let expected = if i < 4 { 3 * EACH } else { 4 * EACH };
            messages(member, expected)
        })
        .collect();

    let mut by_seq: BTreeMap<u64, (String, String)> = BTreeMap::new();
    for (i, list) in seen.iter().enumerate() {
        assert!(
            list.windows(2).all(|w| w[0].0 < w[1].0),
            "m{i} saw sequence numbers out of order: {list:?}"
        );
        for (seq, from, text) in list {
            let first = by_seq.entry(*seq).or_insert((from.clone(), text.clone()));
            assert_eq!(
                first,
                &(from.clone(), text.clone()),
                "seq {seq} differs for m{i}"
            );
        }
        for speaker in 0..4 {
            let rounds: Vec<usize> = list
                .iter()
                .filter(|(_, from, _)| *from == format!("m{speaker}"))
                .map(|(_, _, text)| text.split(':').nth(1).unwrap().parse().unwrap())
                .collect();
            if speaker != i {
                assert_eq!(
                    rounds,
                    (0..EACH).collect::<Vec<_>>(),
                    "m{speaker} as m{i} saw it"
                );
            }
        }
    }
    for listener in &seen[5..] {
        assert_eq!(
            listener, &seen[4],
            "every listener sees one and the same sequence"
        );
    }
    assert_eq!(by_seq.len(), 4 * EACH);
}

#[test]
fn a_message_is_acked_with_the_seq_the_room_gave_it() {
    let host = host(&[]);
    let mut sender = JsonClient::join(&host, "sender");
    let mut listener = JsonClient::join(&host, "listener");
    sender.send(json!({"type": "say", "id": 7, "text": "numbered"}));
    let ack = sender.expect_event("ack");
    assert_eq!(ack["id"], 7);
    let heard = listener.expect_message("sender", "say", "numbered");
    assert_eq!(ack["seq"], heard["seq"], "ack {ack} and delivery {heard}");

    // `chatroom send` waits for that ack: once it exits 0, the room has the message.
    harness::send(&host.server(), &["--nick", "script", "deploy done"])
        .assert()
        .success();
    listener.expect_message("script", "say", "deploy done");
}

/// Greeted connections, spread over the shards, that have not said who they are.
fn greeted(host: &Host, count: usize) -> Vec<JsonClient> {
    (0..count).map(|_| JsonClient::connect(host)).collect()
}

/// Sends every connection's hello before reading any answer, so that the room gets them from
/// every shard at once; returns each connection's answer.
fn hello_all(clients: &mut [JsonClient], nick: impl Fn(usize) -> String) -> Vec<Value> {
    for (i, client) in clients.iter_mut().enumerate() {
        client.send(json!({"type": "hello", "v": 1, "nick": nick(i)}));
    }
    clients.iter_mut().map(|c| c.next_event()).collect()
}

fn count_answers(answers: &[Value], kind: &str, code: Option<&str>) -> usize {
    answers
        .iter()
        .filter(|a| a["type"] == kind && code.is_none_or(|code| a["code"] == code))
        .count()
}

#[test]
fn a_nickname_claimed_from_every_shard_at_once_goes_to_exactly_one() {
    // Every connection comes from 127.0.0.1: no per-address limit may get in the way.
    let host = host(&["--max-per-ip", "0"]);
    let mut clients = greeted(&host, 12);
    let answers = hello_all(&mut clients, |_| "same".to_string());
    assert_eq!(count_answers(&answers, "welcome", None), 1, "{answers:?}");
    assert_eq!(
        count_answers(&answers, "error", Some("nick_taken")),
        11,
        "{answers:?}"
    );
}

#[test]
fn a_connect_storm_over_every_shard_never_lets_one_too_many_in() {
    let host = host(&["--max-clients", "10", "--max-per-ip", "0"]);
    let mut clients = greeted(&host, 40);
    let answers = hello_all(&mut clients, |i| format!("c{i}"));
    assert_eq!(count_answers(&answers, "welcome", None), 10, "{answers:?}");
    assert_eq!(
        count_answers(&answers, "error", Some("room_full")),
        30,
        "{answers:?}"
    );
    for (client, answer) in clients.iter_mut().zip(&answers) {
        if answer["type"] == "error" {
            client.expect_closed();
        }
    }
    // Everyone who got in is still in (the others stay connected until the end of the test).
    let inside = answers
        .iter()
        .position(|answer| answer["type"] == "welcome")
        .expect("someone got in");
    clients[inside].send(json!({"type": "list", "id": 1}));
    let users = clients[inside].expect_event("users");
    assert_eq!(users["users"].as_array().map(Vec::len), Some(10), "{users}");
}

#[test]
fn private_messages_reach_members_of_other_shards_and_nobody_else() {
    let host = host(&[]);
    let mut ana = PlainClient::join(&host, "ana");
    let mut ben = PlainClient::join(&host, "ben");
    let mut cy = PlainClient::join(&host, "cy");
    let mut bot = JsonClient::join(&host, "bot");

    ana.say("/msg bot psst");
    bot.expect_message("ana", "pm", "psst");
    bot.send(json!({"type": "pm", "id": 2, "to": "cy", "text": "hi cy"}));
    bot.expect_event_where("ack", |a| a["id"] == 2);
    let pm = cy.expect_line("the pm from bot", |l| l.contains("hi cy"));
    assert!(pm.contains("bot"), "{pm}");
    assert_not_delivered(&mut ana, &mut ben, "psst");
    assert_not_delivered(&mut ana, &mut ben, "hi cy");
}

#[test]
fn a_flooder_is_paced_and_heard_in_order_on_another_shard() {
    let host = host(&["--rate-limit", "10", "--burst", "5"]);
    let mut listener = JsonClient::join(&host, "listener");
    let mut flooder = JsonClient::join(&host, "flooder");
    for i in 0..15 {
        flooder.send(json!({"type": "say", "id": i, "text": format!("flood {i}")}));
    }
    let warning = flooder.expect_event("error");
    assert_eq!(warning["code"], "slow_down", "{warning}");
    let texts: Vec<String> = messages(&mut listener, 15)
        .into_iter()
        .map(|(_, _, text)| text)
        .collect();
    let expected: Vec<String> = (0..15).map(|i| format!("flood {i}")).collect();
    assert_eq!(texts, expected);
}
