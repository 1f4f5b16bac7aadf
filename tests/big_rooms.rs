//! Rooms bigger than `--quiet-above`: joins and leaves are summed up in one `presence` event
//! every couple of seconds instead of being announced one by one, and the welcome gives the
//! head count rather than every name. This is what keeps filling a big room linear.

mod harness;

use harness::{Host, JsonClient, PlainClient, untimestamped};

#[test]
fn joins_above_the_threshold_are_summed_up_not_announced() {
    let host = Host::start(&["--quiet-above", "2"]);
    let mut alice = JsonClient::join(&host, "alice");
    let mut watcher = PlainClient::join(&host, "bob");
    alice.expect_event_where("join", |e| e["nick"] == "bob");

    let carol = JsonClient::join(&host, "carol");
    let dave = JsonClient::join(&host, "dave");
    let presence = alice.expect_event("presence");
    assert_eq!(presence["joined"], 2, "{presence}");
    assert_eq!(presence["left"], 0, "{presence}");
    assert_eq!(presence["count"], 4, "{presence}");
    assert!(presence["seq"].as_u64().is_some(), "{presence}");
    assert!(
        !alice
            .events()
            .iter()
            .any(|e| e["type"] == "join" && e["nick"] == "carol"),
        "carol's join was announced one by one: {:#?}",
        alice.events()
    );
    let line = watcher.expect_line("a presence summary", |l| l.contains("joined"));
    assert_eq!(untimestamped(&line), "*** 2 joined (4 here)");

    carol.disconnect();
    dave.disconnect();
    let presence = alice.expect_event("presence");
    assert_eq!(
        (presence["joined"].clone(), presence["left"].clone()),
        (0.into(), 2.into())
    );
}

#[test]
fn the_welcome_of_a_big_room_gives_the_count_not_every_name() {
    let host = Host::start(&["--quiet-above", "1"]);
    let _alice = JsonClient::join(&host, "alice");
    let _bob = JsonClient::join(&host, "bob");
    let mut carol = JsonClient::connect(&host);
    let welcome = carol.hello("carol");
    assert_eq!(welcome["count"], 3, "{welcome}");
    assert_eq!(welcome["users"], serde_json::json!(["carol"]), "{welcome}");

    let mut dave = PlainClient::connect(&host);
    let lines = dave.choose_nick("dave");
    assert!(
        lines
            .iter()
            .any(|l| l == "*** welcome to lobby, dave (4 here; /list shows everyone)"),
        "{lines:#?}"
    );
    dave.send_line("/list");
    dave.expect_line("the full list", |l| {
        l == "*** 4 here: alice, bob, carol, dave"
    });
}

#[test]
fn small_rooms_announce_every_join_with_the_count_in_the_welcome() {
    let host = Host::start(&[]);
    let mut alice = JsonClient::connect(&host);
    let welcome = alice.hello("alice");
    assert_eq!(welcome["count"], 1, "{welcome}");
    assert_eq!(welcome["users"], serde_json::json!(["alice"]), "{welcome}");
    let _bob = JsonClient::join(&host, "bob");
    alice.expect_event_where("join", |e| e["nick"] == "bob" && e["count"] == 2);
}

#[test]
fn a_join_and_leave_loop_is_summed_up_even_in_a_small_room() {
    let host = Host::start(&["--max-per-ip", "0"]);
    let mut watcher = JsonClient::join(&host, "watcher");
    for i in 0..15 {
        let mut churner = PlainClient::join(&host, &format!("churner{i}"));
        churner.say("/quit");
        churner.expect_closed();
    }
    // 31 joins and leaves, the watcher's own join first: 20 are announced one by one (the
    // watcher sees 19 of them), the other 11 in a sum.
    let presence = watcher.expect_event("presence");
    let one_by_one = watcher
        .events()
        .iter()
        .filter(|e| e["type"] == "join" || e["type"] == "leave")
        .count();
    assert_eq!(one_by_one, 19, "{:#?}", watcher.events());
    assert_eq!(
        presence["joined"].as_u64().unwrap() + presence["left"].as_u64().unwrap(),
        11,
        "{presence}"
    );
}
