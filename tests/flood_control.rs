//! Flood control: over `--rate-limit` (after `--burst`) the host paces the flooder and tells it
//! once per flood; nothing is dropped, nothing is reordered and nobody is disconnected. The
//! assertions are on counts and order, never on timing.

mod harness;

use harness::{Host, JsonClient, PlainClient, assert_not_delivered};
use serde_json::json;

const FLOOD: usize = 8;
const PACED_ROOM: &[&str] = &["--rate-limit", "5", "--burst", "2"];

#[test]
fn a_plain_flooder_is_paced_and_told_once_and_nothing_is_lost() {
    let host = Host::start(PACED_ROOM);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    let flood: String = (1..=FLOOD).map(|i| format!("flood {i}\n")).collect();
    alice.send_raw(flood.as_bytes());

    for i in 1..=FLOOD {
        let line = bob.expect_line("alice's next message", |l| l.contains("<alice>"));
        assert_eq!(harness::untimestamped(&line), format!("<alice> flood {i}"));
    }
    assert_not_delivered(&mut bob, &mut alice, "flood");
    let warnings: Vec<&String> = alice
        .received()
        .iter()
        .filter(|l| l.starts_with("error:"))
        .collect();
    assert_eq!(warnings, ["error: slow down (limit 5 msg/s)"]);

    alice.say("still connected");
    bob.expect("<alice> still connected");
}

#[test]
fn a_json_flooder_gets_every_ack_in_order_and_one_slow_down() {
    let host = Host::start(PACED_ROOM);
    let mut bot = JsonClient::join(&host, "bot");
    let mut watcher = JsonClient::join(&host, "watcher");
    for id in 1..=FLOOD {
        bot.send(json!({"type": "say", "text": format!("flood {id}"), "id": id}));
    }
    for id in 1..=FLOOD {
        assert_eq!(bot.expect_event("ack")["id"], id, "acks arrive in order");
        let message = watcher.expect_event("message");
        assert_eq!(
            message["text"],
            format!("flood {id}"),
            "messages arrive in order"
        );
    }
    let slow_downs = bot
        .events()
        .iter()
        .filter(|e| e["type"] == "error")
        .map(|e| e["code"].clone())
        .collect::<Vec<_>>();
    assert_eq!(slow_downs, [json!("slow_down")]);
}

#[test]
fn a_flooder_does_not_slow_anyone_else_down() {
    let host = Host::start(PACED_ROOM);
    let mut flooder = PlainClient::join(&host, "flooder");
    let mut calm = PlainClient::join(&host, "calm");
    let mut reader = PlainClient::join(&host, "reader");
    // 15 messages at 5/s after a burst of 2 take 2.6 s to get through.
    let flood: String = (1..=15).map(|i| format!("flood {i}\n")).collect();
    flooder.send_raw(flood.as_bytes());
    flooder.expect_error();
    // While the flooder is being paced, another client's message goes straight through.
    calm.say("not waiting");
    reader.expect("<calm> not waiting");
    let before: Vec<&str> = reader.bodies();
    assert!(
        !before.contains(&"<flooder> flood 15"),
        "the calm message waited for the whole flood: {before:#?}"
    );
}

#[test]
fn nickname_attempts_are_paced_like_chat() {
    let host = Host::start(PACED_ROOM);
    let mut conn = harness::Conn::connect(&host);
    conn.expect_greeting(&host);
    let attempts: String = (1..=6).map(|i| format!("bad nick {i}\n")).collect();
    conn.send_raw(attempts.as_bytes());
    let replies: Vec<String> = (0..7).map(|_| conn.next_line()).collect();
    // Two from the burst, then the warning, then the rest at the room's pace, none dropped.
    assert_eq!(
        replies[2], "error: slow down (limit 5 msg/s)",
        "{replies:#?}"
    );
    let refused = replies
        .iter()
        .filter(|l| l.starts_with("error:") && l.ends_with("type another nickname"))
        .count();
    assert_eq!(refused, 6, "{replies:#?}");
}
