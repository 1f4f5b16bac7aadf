//! Bans over real sockets: by nickname (its address), by address and by range; a banned
//! address refused after its hello or its plain nickname; the limits operators are held to; the
//! bounded list; and bans (with the topic) kept across a restart in DATA_DIR/room-state.json.
//!
//! Bans are by address, and every test client is on loopback: the banned connect from
//! 127.0.0.2 and up (a socket bound there before connecting), which Linux routes to loopback
//! like 127.0.0.1, while the operators stay on 127.0.0.1.
#![cfg(target_os = "linux")]

mod harness;

use serde_json::json;

use harness::moderation::{
    OP_PASSWORD, assert_heard_last, become_plain_operator, data_dir, expect_timed, json_from,
    json_operator, moderated_host, plain_from,
};
use harness::{Conn, Host, Nc, PlainClient, parse_event, password_file, temp_dir};

/// Says hello as `nick` from `from` and returns every line until the host closes the
/// connection (a banned address's refusal).
fn refused_json(host: &Host, from: &str, nick: &str) -> Vec<serde_json::Value> {
    let mut conn = Conn::connect_from(host, from);
    conn.expect_greeting(host);
    conn.send_line(&json!({"type": "hello", "v": 1, "nick": nick}).to_string());
    conn.expect_closed()
        .iter()
        .map(|l| parse_event(l))
        .collect()
}

#[test]
fn a_banned_member_is_closed_and_its_address_refused_until_unbanned() {
    let dir = temp_dir();
    let host = moderated_host(dir.path(), &[]);
    let mut ana = json_operator(&host, "ana");
    let mut bob = PlainClient::join(&host, "bob");
    let mut eve = json_from(&host, "127.0.0.2", "eve");
    let mut eve2 = json_from(&host, "127.0.0.2", "eve2");
    ana.send(json!({"type": "ban", "target": "eve", "duration": 3600, "reason": "spam", "id": 1}));
    let ban = ana.expect_event("ban");
    assert_eq!(ban["target"], "127.0.0.2", "{ban}");
    assert_eq!(ban["nicks"], json!(["eve", "eve2"]), "{ban}");
    assert_eq!(
        (&ban["by"], &ban["reason"]),
        (&json!("ana"), &json!("spam"))
    );
    assert!(ban["until"].is_string() && ban["seq"].is_u64(), "{ban}");
    ana.expect_event_where("ack", |e| e["id"] == 1);
    expect_timed(
        &mut bob,
        "*** ana banned 127.0.0.2 (eve, eve2) until ",
        " UTC (spam)",
    );
    // Everyone from the address hears it, then is closed.
    for banned in [&mut eve, &mut eve2] {
        assert_heard_last(&banned.expect_closed(), "\"type\":\"ban\"");
    }
    // Coming back: refused after the hello, in JSON, saying until when and why.
    let refused = refused_json(&host, "127.0.0.2", "steve");
    assert_eq!(refused.len(), 1, "{refused:?}");
    assert_eq!(refused[0]["code"], "banned");
    let message = refused[0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("your address is banned from this room until ")
            && message.ends_with(" UTC (spam)"),
        "{message}"
    );
    // And after a plain nickname.
    let mut conn = Conn::connect_from(&host, "127.0.0.2");
    conn.expect_greeting(&host);
    conn.send_line("steve");
    let last = conn.expect_closed();
    assert_eq!(last.len(), 1, "{last:?}");
    assert!(
        last[0].starts_with("error: your address is banned from this room until "),
        "{last:?}"
    );
    // Another address is welcome.
    let _carol = json_from(&host, "127.0.0.3", "carol");
    // The list, to operators alone.
    ana.send(json!({"type": "bans", "id": 2}));
    let bans = ana.expect_event("bans");
    assert_eq!(bans["id"], 2);
    let list = bans["bans"].as_array().unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (&list[0]["target"], &list[0]["by"], &list[0]["reason"]),
        (&json!("127.0.0.2"), &json!("ana"), &json!("spam"))
    );
    bob.say("/bans");
    assert!(
        bob.expect_error()
            .starts_with("error: only operators can list the bans")
    );
    // Lifted from plain mode: the address may come back.
    become_plain_operator(&mut bob);
    bob.say("/bans");
    expect_timed(&mut bob, "*** ban 127.0.0.2 by ana at ", " (spam)");
    bob.expect("*** end of bans (1 ban)");
    bob.say("/unban 127.0.0.2");
    bob.expect("*** bob lifted the ban on 127.0.0.2");
    let unban = ana.expect_event("unban");
    assert_eq!(
        (&unban["target"], &unban["by"]),
        (&json!("127.0.0.2"), &json!("bob"))
    );
    let _eve = json_from(&host, "127.0.0.2", "eve");
    bob.say("/unban 127.0.0.2");
    assert!(bob.expect_error().starts_with("error: no ban on 127.0.0.2"));
    bob.say("/bans");
    bob.expect("*** no bans");
}

#[test]
fn plain_operators_ban_addresses_and_ranges_within_their_limits() {
    let dir = temp_dir();
    let host = moderated_host(dir.path(), &[]);
    let mut ana = PlainClient::join(&host, "ana");
    become_plain_operator(&mut ana);
    let mut eve = plain_from(&host, "127.0.0.4", "eve");
    let mut mallory = plain_from(&host, "127.0.0.5", "mallory");
    let _bob = PlainClient::join(&host, "bob");
    // Never a range that covers oneself (127.0.0.1), nor one wider than a /16.
    ana.say("/ban 127.0.0.0/24 everyone");
    assert_eq!(
        ana.expect_error(),
        "error: 127.0.0.0/24 covers your own address"
    );
    ana.say("/ban bob");
    assert_eq!(
        ana.expect_error(),
        "error: 127.0.0.1 covers your own address"
    );
    ana.say("/ban 10.0.0.0/8");
    assert!(ana.expect_error().contains("too wide a range"));
    ana.say("/ban 300.1.2.3");
    assert!(
        ana.expect_error()
            .contains("is not a nickname, an address or a range")
    );
    ana.say("/ban 127.0.0.4/31 10m flooding");
    expect_timed(
        &mut ana,
        "*** ana banned 127.0.0.4/31 (eve, mallory) until ",
        " UTC (flooding)",
    );
    for banned in [&mut eve, &mut mallory] {
        assert_heard_last(&banned.expect_closed(), "*** ana banned 127.0.0.4/31");
    }
    let refused = refused_json(&host, "127.0.0.5", "mallory2");
    assert_eq!(refused[0]["code"], "banned");
    // A ban without members to close, for good, without a reason.
    ana.say("/ban 192.0.2.7");
    ana.expect("*** ana banned 192.0.2.7");
}

#[test]
fn bans_and_the_topic_survive_a_restart() {
    let dir = temp_dir();
    let host = moderated_host(dir.path(), &[]);
    let mut ana = json_operator(&host, "ana");
    let _eve = json_from(&host, "127.0.0.6", "eve");
    ana.send(json!({"type": "ban", "target": "eve", "reason": "spam", "id": 1}));
    ana.expect_event_where("ack", |e| e["id"] == 1);
    ana.send(json!({"type": "ban", "target": "127.0.0.7", "duration": 86400, "id": 2}));
    ana.expect_event_where("ack", |e| e["id"] == 2);
    ana.send(json!({"type": "topic", "text": "release day", "id": 3}));
    ana.expect_event_where("ack", |e| e["id"] == 3);
    drop(ana);
    host.stop();
    let file = data_dir(dir.path()).join("room-state.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600, "{}", file.display());
    }
    let host = moderated_host(dir.path(), &[]);
    for from in ["127.0.0.6", "127.0.0.7"] {
        let refused = refused_json(&host, from, "eve");
        assert_eq!(refused[0]["code"], "banned", "{from}: {refused:?}");
    }
    let mut ana = json_operator(&host, "ana");
    assert_eq!(ana.welcome["topic"]["text"], "release day");
    assert_eq!(ana.welcome["topic"]["by"], "ana");
    ana.send(json!({"type": "bans", "id": 4}));
    let bans = ana.expect_event("bans");
    let targets: Vec<&str> = bans["bans"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["target"].as_str().unwrap())
        .collect();
    assert_eq!(targets, ["127.0.0.6", "127.0.0.7"]);
    assert!(bans["bans"][1]["until"].is_string());
    // Lifted, and still lifted after another restart.
    ana.send(json!({"type": "unban", "target": "127.0.0.6", "id": 5}));
    ana.expect_event_where("ack", |e| e["id"] == 5);
    drop(ana);
    host.stop();
    let host = moderated_host(dir.path(), &[]);
    let _eve = json_from(&host, "127.0.0.6", "eve");
    assert_eq!(
        refused_json(&host, "127.0.0.7", "eve2")[0]["code"],
        "banned"
    );
}

#[test]
fn the_ban_list_is_bounded_and_a_host_that_cannot_keep_it_says_so_once() {
    let dir = temp_dir();
    // A data directory that is a file: the state cannot be written.
    std::fs::write(dir.path().join("not-a-dir"), "").unwrap();
    let blocked = dir.path().join("not-a-dir");
    let op_file = password_file(dir.path(), "op-password", OP_PASSWORD);
    let host = Host::start(&[
        "--op-password-file",
        &op_file,
        "--data-dir",
        blocked.to_str().unwrap(),
        "--rate-limit",
        "0",
    ]);
    let mut ana = json_operator(&host, "ana");
    for i in 0..1024u32 {
        let target = std::net::Ipv4Addr::from(0x0a00_0000 + i).to_string();
        ana.send(json!({"type": "ban", "target": target, "id": i}));
    }
    ana.expect_event_where("ack", |e| e["id"] == 1023);
    ana.send(json!({"type": "ban", "target": "192.0.2.1", "id": "one too many"}));
    let error = ana.expect_event("error");
    assert_eq!(error["code"], "too_many_bans", "{error}");
    assert_eq!(error["id"], "one too many");
    assert!(
        ana.events()
            .iter()
            .all(|e| e["type"] != "error" || e["id"] == "one too many")
    );
    let console = host.stop();
    assert_eq!(
        console.matches("cannot write the room's state").count(),
        1,
        "{console}"
    );
    assert!(console.contains("kept in memory only"), "{console}");
}

#[test]
fn a_mute_is_held_for_the_address_across_a_new_nickname() {
    let dir = temp_dir();
    let host = moderated_host(dir.path(), &[]);
    let mut ana = json_operator(&host, "ana");
    let eve = json_from(&host, "127.0.0.8", "eve");
    ana.send(json!({"type": "mute", "nick": "eve", "id": 1}));
    ana.expect_event_where("ack", |e| e["id"] == 1);
    eve.disconnect();
    let mut eve = json_from(&host, "127.0.0.8", "notEve");
    eve.send(json!({"type": "say", "text": "it's someone else", "id": 2}));
    assert_eq!(eve.expect_event("error")["code"], "muted");
    // Members from other addresses speak freely.
    let mut bob = plain_from(&host, "127.0.0.9", "bob");
    bob.say("I can talk");
    ana.expect_message("bob", "say", "I can talk");
    // Unmuted: for the address too.
    ana.send(json!({"type": "unmute", "nick": "notEve", "id": 3}));
    ana.expect_event_where("ack", |e| e["id"] == 3);
    eve.send(json!({"type": "say", "text": "thanks", "id": 4}));
    eve.expect_event_where("ack", |e| e["id"] == 4);
}

#[test]
fn a_banned_nc_user_reads_why_and_nc_ends() {
    let dir = temp_dir();
    let host = moderated_host(dir.path(), &[]);
    let mut ana = json_operator(&host, "ana");
    ana.send(json!({"type": "ban", "target": "127.0.0.10", "reason": "spam", "id": 1}));
    ana.expect_event_where("ack", |e| e["id"] == 1);
    let port = host.port().to_string();
    let mut nc = Nc::start(&["-s", "127.0.0.10", "127.0.0.1", &port]);
    nc.expect("the greeting", |l| {
        l.starts_with("chatroom: welcome to lobby.")
    });
    nc.type_line("eve");
    nc.expect("the refusal", |l| {
        l == "error: your address is banned from this room until an operator lifts the ban (spam)"
    });
    nc.ends_by_itself();
}

/// A host on `port` (0: any) whose default data directory is under `home` (no `--data-dir`),
/// with the operator password.
fn host_in_home(home: &std::path::Path, port: u16) -> Host {
    let op = password_file(home, "op-password", OP_PASSWORD);
    let args = ["--op-password-file", op.as_str(), "--max-per-ip", "0"];
    let mut cmd = harness::chatroom();
    cmd.env("XDG_DATA_HOME", home.join("data"))
        .args(["host", "--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(args);
    Host::launch(cmd, &args)
}

#[test]
fn rooms_sharing_the_default_data_directory_keep_their_own_bans_and_topic() {
    let home = temp_dir();
    let port = harness::closed_port();
    let first = host_in_home(home.path(), port);
    let second = host_in_home(home.path(), 0);
    let mut ana = json_operator(&first, "ana");
    ana.send(json!({"type": "topic", "text": "the first room", "id": 1}));
    ana.expect_event_where("ack", |e| e["id"] == 1);
    ana.send(json!({"type": "ban", "target": "127.0.0.9", "id": 2}));
    ana.expect_event_where("ack", |e| e["id"] == 2);
    drop(ana);
    first.stop();
    let file = home
        .path()
        .join(format!("data/chatroom/room-state-{port}.json"));
    assert!(file.exists(), "{}", file.display());
    // The other room read nothing of it, and writes a file of its own.
    let mut bob = json_operator(&second, "bob");
    assert_eq!(bob.welcome.get("topic"), None, "{}", bob.welcome);
    let _carol = json_from(&second, "127.0.0.9", "carol");
    bob.send(json!({"type": "topic", "text": "the second room", "id": 1}));
    bob.expect_event_where("ack", |e| e["id"] == 1);
    // The first room, back on its port, finds its own.
    let first = host_in_home(home.path(), port);
    let dan = json_from(&first, "127.0.0.8", "dan");
    assert_eq!(dan.welcome["topic"]["text"], "the first room");
    assert_eq!(
        refused_json(&first, "127.0.0.9", "eve")[0]["code"],
        "banned"
    );
}
