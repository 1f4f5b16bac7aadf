//! Plain and JSON clients in one room: each sees the other's messages, actions, private
//! messages, joins, leaves and renames, rendered in its own mode.

mod harness;

use harness::{Host, JsonClient, PlainClient};
use serde_json::json;

#[test]
fn plain_and_json_clients_chat_in_one_room() {
    let host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bot = JsonClient::join(&host, "bot");
    alice.expect("*** bot joined (2 here)");

    alice.say("hi bot");
    let message = bot.expect_event("message");
    assert_eq!(
        (&message["from"], &message["kind"], &message["text"]),
        (&json!("alice"), &json!("say"), &json!("hi bot"))
    );

    bot.send(json!({"type": "say", "text": "hi alice", "id": 1}));
    bot.expect_event("ack");
    alice.expect("<bot> hi alice");
}

#[test]
fn actions_cross_modes() {
    let host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bot = JsonClient::join(&host, "bot");
    alice.say("/me waves");
    let action = bot.expect_event("message");
    assert_eq!(
        (&action["kind"], &action["text"]),
        (&json!("me"), &json!("waves"))
    );
    bot.send(json!({"type": "me", "text": "beeps"}));
    alice.expect("* bot beeps");
}

#[test]
fn private_messages_cross_modes() {
    let host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bot = JsonClient::join(&host, "bot");
    alice.say("/msg bot psst");
    let pm = bot.expect_event("message");
    assert_eq!(
        (&pm["kind"], &pm["from"], &pm["to"], &pm["text"]),
        (&json!("pm"), &json!("alice"), &json!("bot"), &json!("psst"))
    );
    bot.send(json!({"type": "pm", "to": "alice", "text": "psst back", "id": 1}));
    alice.expect("[pm from bot] psst back");
}

#[test]
fn notices_cross_modes() {
    let host = Host::start(&[]);
    let mut bot = JsonClient::join(&host, "bot");
    let mut alice = PlainClient::join(&host, "alice");
    let join = bot.expect_event("join");
    assert_eq!(
        (&join["nick"], &join["count"]),
        (&json!("alice"), &json!(2))
    );

    alice.say("/nick alicia");
    let renamed = bot.expect_event("nick");
    assert_eq!(
        (&renamed["old"], &renamed["new"]),
        (&json!("alice"), &json!("alicia"))
    );
    bot.send(json!({"type": "nick", "nick": "robot"}));
    alice.expect("*** bot is now robot");

    alice.say("/quit");
    let leave = bot.expect_event("leave");
    assert_eq!(
        (&leave["nick"], &leave["reason"]),
        (&json!("alicia"), &json!("quit"))
    );
}
