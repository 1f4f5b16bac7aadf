//! `chatroom join` against a real host that has operators: an operator typing the moderation
//! commands in `join` runs the room (the others see each action with who did it), and a `join`
//! that is kicked or banned ends with exit 7 instead of coming back.

mod harness;

use serde_json::json;

use harness::moderation::{OP_PASSWORD, json_operator, moderated_host};
use harness::{JsonClient, PipedClient, temp_dir};

/// `join`'s exit status when an operator put it out of the room (see `chatroom --help`).
const REMOVED: i32 = 7;

#[test]
fn an_operator_in_join_opens_sets_the_topic_mutes_and_kicks() {
    let dir = temp_dir();
    let host = moderated_host(dir.path(), &[]);
    let mut bob = JsonClient::join(&host, "bob");
    let mut ana = PipedClient::start(&host.server(), &["--nick", "ana"], &[]);
    ana.expect("welcome to lobby, ana");
    bob.expect_join("ana");

    ana.write(&format!("/op {OP_PASSWORD}"));
    ana.expect("you are now an operator");
    let op = bob.expect_event("op");
    assert_eq!(op["nick"], "ana", "{op}");

    ana.write("/topic release day");
    ana.expect("topic: release day");
    let topic = bob.expect_event("topic");
    assert_eq!(
        (&topic["text"], &topic["by"]),
        (&json!("release day"), &json!("ana"))
    );

    ana.write("/mute bob 10m");
    ana.expect("bob was muted by you");
    let mute = bob.expect_event("mute");
    assert!(mute["until"].is_string(), "{mute}");
    bob.send(json!({"type": "say", "text": "can anyone hear me", "id": 1}));
    let error = bob.expect_event("error");
    assert_eq!(error["code"], "muted", "{error}");
    ana.write("/unmute bob");
    bob.expect_event("unmute");

    ana.write("/kick bob off topic");
    ana.expect("bob was kicked by you (off topic)");
    let kick = bob.expect_event("kick");
    assert_eq!(
        (&kick["by"], &kick["reason"]),
        (&json!("ana"), &json!("off topic"))
    );
    bob.expect_closed();

    let (code, stderr) = ana.finish();
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn a_kicked_join_exits_7_and_does_not_come_back() {
    let dir = temp_dir();
    let host = moderated_host(dir.path(), &[]);
    let mut ana = json_operator(&host, "ana");
    let bob = PipedClient::start(&host.server(), &["--nick", "bob"], &[]);
    bob.expect("welcome to lobby, bob");
    ana.expect_join("bob");
    ana.send(json!({"type": "kick", "nick": "bob", "reason": "spam", "id": 1}));
    let (code, stderr) = bob.exit_by_itself();
    assert_eq!(code, Some(REMOVED), "{stderr}");
    assert!(stderr.contains("kicked"), "{stderr}");
    assert!(stderr.contains("spam"), "{stderr}");
    // It did not come back: the room's next join is carol's.
    let _carol = JsonClient::join(&host, "carol");
    let next = ana.expect_event("join");
    assert_eq!(next["nick"], "carol", "{next}");
}
