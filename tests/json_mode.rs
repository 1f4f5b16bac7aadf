//! JSON-lines mode, the way bots talk to the room: hello/welcome, every request of the README's
//! table and its reply, the event fields (`seq`, `ts`, `kind`), and the errors that keep the
//! connection open.

mod harness;

use chatroom::protocol::wire::LeaveReason;
use harness::{Host, JsonClient, assert_rfc3339_utc_millis, repo_file};
use serde_json::{Value, json};

/// The `users` of a welcome or `users` event, sorted (the README does not fix an order).
fn sorted_users(event: &Value) -> Vec<String> {
    let mut users: Vec<String> = event["users"]
        .as_array()
        .unwrap_or_else(|| panic!("no users array in {event}"))
        .iter()
        .map(|u| u.as_str().unwrap().to_string())
        .collect();
    users.sort();
    users
}

#[test]
fn welcome_describes_the_room_and_its_limits() {
    let host = Host::start(&[
        "--name",
        "ops",
        "--motd",
        "be kind",
        "--max-line",
        "1000",
        "--rate-limit",
        "7",
        "--burst",
        "9",
        "--max-clients",
        "30",
    ]);
    let _alice = JsonClient::join(&host, "alice");
    let bob = JsonClient::join(&host, "bob");
    let welcome = &bob.welcome;
    assert_eq!(welcome["v"], 1);
    assert_eq!(welcome["nick"], "bob");
    assert_eq!(welcome["room"], "ops");
    assert_eq!(welcome["motd"], "be kind");
    assert_eq!(sorted_users(welcome), ["alice", "bob"]);
    assert_eq!(
        welcome["limits"],
        json!({"max_line": 1000, "rate": 7, "burst": 9, "max_clients": 30})
    );
}

#[test]
fn say_is_acked_with_its_id_and_seq_and_relayed_to_others() {
    let host = Host::start(&[]);
    let mut alice = JsonClient::join(&host, "alice");
    let mut bob = JsonClient::join(&host, "bob");
    alice.send(json!({"type": "say", "text": "hello", "id": 1}));
    let ack = alice.expect_event("ack");
    assert_eq!(ack["id"], 1);
    let seq = ack["seq"].as_u64().expect("ack carries a numeric seq");

    let message = bob.expect_event("message");
    assert_eq!(message["seq"], seq, "the ack's seq is the message's seq");
    assert_eq!(message["from"], "alice");
    assert_eq!(message["kind"], "say");
    assert_eq!(message["text"], "hello");
    assert_rfc3339_utc_millis(&message["ts"]);
}

#[test]
fn string_ids_are_echoed_too() {
    let host = Host::start(&[]);
    let mut alice = JsonClient::join(&host, "alice");
    alice.send(json!({"type": "say", "text": "hi", "id": "req-7"}));
    assert_eq!(alice.expect_event("ack")["id"], "req-7");
    alice.send(json!({"type": "list", "id": "who?"}));
    assert_eq!(alice.expect_event("users")["id"], "who?");
}

#[test]
fn the_sender_gets_an_ack_not_its_own_message() {
    let host = Host::start(&[]);
    let mut alice = JsonClient::join(&host, "alice");
    let mut bob = JsonClient::join(&host, "bob");
    alice.send(json!({"type": "say", "text": "mine", "id": 1}));
    alice.expect_event("ack");
    bob.expect_event("message");
    bob.send(json!({"type": "say", "text": "theirs"}));
    let next = alice.expect_event("message");
    assert_eq!(
        next["text"], "theirs",
        "alice's first message event: {next}"
    );
}

#[test]
fn seq_numbers_every_room_event_in_increasing_order() {
    let host = Host::start(&[]);
    let mut watcher = JsonClient::join(&host, "watcher");
    let mut alice = JsonClient::join(&host, "alice");
    alice.send(json!({"type": "say", "text": "one"}));
    alice.send(json!({"type": "me", "text": "two"}));
    alice.send(json!({"type": "nick", "nick": "alicia"}));
    alice.send(json!({"type": "say", "text": "three"}));
    alice.send(json!({"type": "quit"}));
    watcher.expect_event("leave");

    let events: Vec<Value> = watcher
        .events()
        .into_iter()
        .filter(|e| e.get("seq").is_some() && e["nick"] != "watcher")
        .collect();
    let kinds: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        ["join", "message", "message", "nick", "message", "leave"]
    );
    let seqs: Vec<u64> = events.iter().map(|e| e["seq"].as_u64().unwrap()).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "seq must increase: {seqs:?}"
    );
    for event in &events {
        assert_rfc3339_utc_millis(&event["ts"]);
    }
}

#[test]
fn me_is_relayed_as_an_action() {
    let host = Host::start(&[]);
    let mut alice = JsonClient::join(&host, "alice");
    let mut bob = JsonClient::join(&host, "bob");
    alice.send(json!({"type": "me", "text": "waves", "id": 2}));
    assert_eq!(alice.expect_event("ack")["id"], 2);
    let message = bob.expect_event("message");
    assert_eq!(
        (&message["kind"], &message["text"]),
        (&json!("me"), &json!("waves"))
    );
}

#[test]
fn pm_reaches_only_its_target() {
    let host = Host::start(&[]);
    let mut alice = JsonClient::join(&host, "alice");
    let mut bob = JsonClient::join(&host, "bob");
    let mut carol = JsonClient::join(&host, "carol");
    alice.send(json!({"type": "pm", "to": "bob", "text": "psst", "id": 3}));
    let ack = alice.expect_event("ack");
    assert_eq!(ack["id"], 3);
    let pm = bob.expect_event("message");
    assert_eq!(pm["kind"], "pm");
    assert_eq!(pm["from"], "alice");
    assert_eq!(pm["to"], "bob");
    assert_eq!(pm["text"], "psst");
    assert_eq!(pm["seq"], ack["seq"]);

    alice.send(json!({"type": "say", "text": "public"}));
    let first = carol.expect_event("message");
    assert_eq!(first["text"], "public", "carol saw the pm: {first}");
}

#[test]
fn pm_to_an_unknown_nick_is_an_error() {
    let host = Host::start(&[]);
    let mut alice = JsonClient::join(&host, "alice");
    alice.send(json!({"type": "pm", "to": "eve", "text": "hi", "id": 4}));
    let error = alice.expect_event("error");
    assert_eq!(error["code"], "no_such_nick");
    assert_eq!(error["message"], "no one called 'eve' is here");
    assert_eq!(error["id"], 4);
}

#[test]
fn nick_is_announced_to_everyone_then_acked() {
    let host = Host::start(&[]);
    let mut dave = JsonClient::join(&host, "dave");
    let mut bob = JsonClient::join(&host, "bob");
    dave.send(json!({"type": "nick", "nick": "dan", "id": 5}));
    let renamed = bob.expect_event("nick");
    assert_eq!(
        (&renamed["old"], &renamed["new"]),
        (&json!("dave"), &json!("dan"))
    );
    assert_rfc3339_utc_millis(&renamed["ts"]);

    let own = dave.expect_event("nick");
    assert_eq!(own["new"], "dan");
    assert_eq!(
        dave.next_event()["type"],
        "ack",
        "the ack follows the nick event"
    );

    bob.send(json!({"type": "list", "id": 6}));
    let users = bob.expect_event("users");
    assert_eq!(users["id"], 6);
    assert_eq!(sorted_users(&users), ["bob", "dan"]);
}

#[test]
fn list_returns_everyone_here() {
    let host = Host::start(&[]);
    let mut alice = JsonClient::join(&host, "alice");
    let _bob = JsonClient::join(&host, "bob");
    alice.expect_event("join");
    alice.send(json!({"type": "list", "id": 3}));
    let users = alice.expect_event("users");
    assert_eq!(users["id"], 3);
    assert_eq!(sorted_users(&users), ["alice", "bob"]);
}

#[test]
fn join_and_leave_events_name_the_nick_count_and_reason() {
    let host = Host::start(&[]);
    let mut alice = JsonClient::join(&host, "alice");
    let mut carol = JsonClient::join(&host, "carol");
    let join = alice.expect_event("join");
    assert_eq!(
        (&join["nick"], &join["count"]),
        (&json!("carol"), &json!(2))
    );

    carol.send(json!({"type": "quit"}));
    carol.expect_closed();
    let leave = alice.expect_event("leave");
    assert_eq!(
        (&leave["nick"], &leave["reason"]),
        (&json!("carol"), &json!("quit"))
    );

    let dropper = JsonClient::join(&host, "dropper");
    alice.expect_event_where("join", |e| e["nick"] == "dropper");
    dropper.disconnect();
    let leave = alice.expect_event_where("leave", |e| e["nick"] == "dropper");
    assert_eq!(leave["reason"], "disconnected");
}

#[test]
fn an_unknown_type_is_an_error_and_the_connection_stays() {
    let host = Host::start(&[]);
    let mut alice = JsonClient::join(&host, "alice");
    alice.send(json!({"type": "dance", "id": 8}));
    let error = alice.expect_event("error");
    assert_eq!(error["code"], "unknown_type");
    assert_eq!(error["id"], 8);
    alice.send(json!({"type": "say", "text": "still here", "id": 9}));
    assert_eq!(alice.expect_event("ack")["id"], 9);
}

#[test]
fn bad_json_is_an_error_and_the_connection_stays() {
    let host = Host::start(&[]);
    let mut alice = JsonClient::join(&host, "alice");
    let mut bob = JsonClient::join(&host, "bob");
    alice.send_line(r#"{"type": "say", "text": "unterminated"#);
    assert_eq!(alice.expect_event("error")["code"], "bad_json");
    alice.send(json!({"type": "say", "text": "valid again", "id": 1}));
    assert_eq!(alice.expect_event("ack")["id"], 1);
    let message = bob.expect_event("message");
    assert_eq!(
        message["text"], "valid again",
        "the bad line was relayed: {message}"
    );
}

#[test]
fn a_request_missing_its_fields_is_a_bad_request() {
    let host = Host::start(&[]);
    let mut alice = JsonClient::join(&host, "alice");
    alice.send(json!({"type": "pm", "text": "to whom?", "id": 1}));
    let error = alice.expect_event("error");
    assert_eq!(
        (&error["code"], &error["id"]),
        (&json!("bad_request"), &json!(1))
    );
}

#[test]
fn an_empty_message_is_refused() {
    let host = Host::start(&[]);
    let mut alice = JsonClient::join(&host, "alice");
    alice.send(json!({"type": "say", "text": "", "id": 1}));
    let error = alice.expect_event("error");
    assert_eq!(
        (&error["code"], &error["id"]),
        (&json!("empty_message"), &json!(1))
    );
}

#[test]
fn unknown_fields_are_ignored() {
    let host = Host::start(&[]);
    let mut alice = JsonClient::connect(&host);
    alice.send(json!({"type": "hello", "v": 1, "nick": "alice", "client": "bot/1.0"}));
    assert_eq!(alice.next_event()["type"], "welcome");
    alice.send(json!({"type": "say", "text": "hi", "id": 1, "colour": "red"}));
    assert_eq!(alice.expect_event("ack")["id"], 1);
}

#[test]
fn a_first_json_line_that_is_not_a_hello_is_a_bad_hello() {
    let host = Host::start(&[]);
    let mut alice = JsonClient::connect(&host);
    alice.send(json!({"type": "say", "text": "hi"}));
    assert_eq!(alice.next_event()["code"], "bad_hello");
}

#[test]
fn an_unsupported_protocol_version_is_refused() {
    let host = Host::start(&[]);
    let mut alice = JsonClient::connect(&host);
    alice.send(json!({"type": "hello", "v": 99, "nick": "alice"}));
    let reply = alice.next_event();
    assert_eq!(
        (&reply["type"], &reply["code"]),
        (&json!("error"), &json!("unsupported_version"))
    );
}

#[test]
fn quit_closes_the_connection() {
    let host = Host::start(&[]);
    let mut alice = JsonClient::join(&host, "alice");
    alice.send(json!({"type": "quit"}));
    alice.expect_closed();
}

/// The rows of the README's table of leave reasons: `(reason, in plain mode)`, backticks removed.
fn readme_leave_reasons() -> Vec<(String, String)> {
    let readme = repo_file("README.md");
    let table = readme
        .split_once("- `leave` reasons")
        .expect("the protocol section lists the leave reasons")
        .1;
    table
        .lines()
        .map(str::trim)
        .skip_while(|line| !line.starts_with('|'))
        .take_while(|line| line.starts_with('|'))
        .skip(2) // the header row and `| --- | --- | --- |`
        .map(|row| {
            let cells: Vec<&str> = row.trim_matches('|').split('|').map(str::trim).collect();
            let unquote = |cell: &str| cell.trim_matches('`').to_string();
            (unquote(cells[0]), unquote(cells[1]))
        })
        .collect()
}

#[test]
fn the_readme_lists_every_leave_reason_as_the_host_words_it() {
    let documented: Vec<(String, String)> = LeaveReason::ALL
        .iter()
        .map(|r| (r.wire_name().to_string(), r.describe().to_string()))
        .collect();
    assert_eq!(readme_leave_reasons(), documented);
}

#[test]
fn ids_come_back_exactly_as_sent() {
    let host = Host::start(&[]);
    let mut bot = JsonClient::join(&host, "bot");
    for id in [
        "18446744073709551616",
        "-0",
        "1e3",
        "123456789012345678901234567890.5",
    ] {
        bot.send_line(&format!(r#"{{"type":"say","text":"id {id}","id":{id}}}"#));
        let ack = bot.expect_line("the ack", |l| l.contains(r#""type":"ack""#));
        assert!(
            ack.contains(&format!(r#""id":{id},"#)),
            "sent {id}, got {ack}"
        );
        bot.send_line(&format!(r#"{{"type":"list","id":{id}}}"#));
        let users = bot.expect_line("the users", |l| l.contains(r#""type":"users""#));
        assert!(
            users.contains(&format!(r#""id":{id}}}"#)),
            "sent {id}, got {users}"
        );
    }
}

#[test]
fn an_unannounced_member_posts_only_its_lines_and_holds_its_nickname() {
    let host = Host::start(&[]);
    let mut watcher = JsonClient::join(&host, "watcher");
    let mut quiet = JsonClient::connect(&host);
    quiet.send(json!({"type": "hello", "v": 1, "nick": "ci", "announce": false}));
    let welcome = quiet.expect_event("welcome");
    assert_eq!(sorted_users(&welcome), ["ci", "watcher"]);

    // Listed while connected (it holds the nickname), and its nickname is taken.
    watcher.send(json!({"type": "list", "id": 1}));
    assert_eq!(
        sorted_users(&watcher.expect_event("users")),
        ["ci", "watcher"]
    );
    let mut other = JsonClient::connect(&host);
    assert_eq!(other.hello("CI")["code"], "nick_taken");

    quiet.send(json!({"type": "say", "text": "deployed", "id": 2}));
    quiet.expect_event("ack");
    quiet.send(json!({"type": "quit"}));
    quiet.expect_closed();

    // Once it has gone the nickname is free again, and the room announced nothing about it.
    assert_eq!(other.hello("ci")["type"], "welcome");
    watcher.expect_join("ci");
    let seen: Vec<String> = watcher
        .events()
        .iter()
        .map(|e| format!("{} {}", e["type"].as_str().unwrap(), e["nick"]))
        .collect();
    assert_eq!(
        seen,
        [
            r#"welcome "watcher""#.to_string(),
            r#"users null"#.to_string(),
            r#"message null"#.to_string(),
            r#"join "ci""#.to_string()
        ],
        "{:?}",
        watcher.events()
    );
}

#[test]
fn private_messages_leave_no_gaps_in_the_rooms_seq() {
    let host = Host::start(&[]);
    let mut alice = JsonClient::join(&host, "alice");
    let mut bob = JsonClient::join(&host, "bob");
    let mut carol = JsonClient::join(&host, "carol");
    alice.say("one");
    let one = carol.expect_message("alice", "say", "one");
    for i in 0..3 {
        alice.send(json!({"type": "pm", "to": "bob", "text": format!("secret {i}")}));
        bob.expect_message("alice", "pm", &format!("secret {i}"));
    }
    alice.say("two");
    let two = carol.expect_message("alice", "say", "two");
    assert_eq!(
        two["seq"].as_u64(),
        one["seq"].as_u64().map(|seq| seq + 1),
        "carol can tell nothing happened in between: {one} {two}"
    );
}
