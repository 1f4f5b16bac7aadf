//! `chatroom join` running a room: the moderation commands go out as the JSON requests of the
//! README's "Wire protocol", the moderation events are shown, `/ignore` hides someone and is
//! kept across runs, and once the room puts us out (a kick, a ban) `join` stops with exit
//! status 7 instead of coming back.
//!
//! A scripted stand-in ([`FakeHost`]) plays the host's side of the protocol, word for word, and
//! records what `join` sent: these tests hold `join` to the protocol on cue (a kick naming us, a
//! topic changed while we were away), not to one host's implementation of it. The real host's
//! side is held to it by `tests/moderation*.rs`.

mod harness;

use serde_json::json;

use harness::fake_host::{FakeConn, FakeHost};
use harness::{PipedClient, temp_dir};

/// A welcome's moderation fields: a topic, an operator, someone away.
const MARKS: &str = r#""topic":{"text":"release day","by":"bob","ts":"2026-12-07T14:02:00.000Z"},"operators":["bob"],"away":["eve"]"#;

/// When the scripted events happened.
const TS: &str = "2026-12-07T14:00:00.000Z";

/// The exit status for a session the room ended on purpose (README, "Exit codes").
const REMOVED: i32 = 7;

/// A piped `join` as ana, welcomed into a room with bob (operator) and eve (away).
fn ana_joined(host: &FakeHost, args: &[&str]) -> (PipedClient, FakeConn) {
    let mut all = vec!["--nick", "ana", "--color", "never"];
    all.extend_from_slice(args);
    let client = PipedClient::start(&host.server(), &all, &[]);
    let mut conn = host.accept();
    conn.welcome("ana", &["ana", "bob", "eve"], MARKS);
    client.expect("welcome to lobby, ana");
    (client, conn)
}

/// Leaves with `/quit`, closing the connection once the goodbye came; returns the exit code
/// and stderr.
fn quit(mut client: PipedClient, mut conn: FakeConn) -> (Option<i32>, String) {
    client.write("/quit");
    assert_eq!(conn.next_json()["type"], "quit");
    conn.close();
    client.finish()
}

#[test]
fn the_welcome_shows_the_topic_under_the_room_and_marks_operators_and_away_members() {
    let host = FakeHost::bind();
    let client = PipedClient::start(&host.server(), &["--nick", "ana"], &[]);
    let mut conn = host.accept();
    conn.welcome("ana", &["ana", "bob", "eve"], MARKS);
    let lines = client.lines_until("here:");
    assert_eq!(lines[0], "*** welcome to lobby, ana");
    assert!(
        lines[1].starts_with("*** topic: release day (set by bob, "),
        "{lines:?}"
    );
    assert_eq!(lines[2], "*** 3 here: ana, @bob, eve (away)");
    quit(client, conn);
}

#[test]
fn moderation_commands_go_out_as_the_protocols_json_requests() {
    let host = FakeHost::bind();
    let (mut client, mut conn) = ana_joined(&host, &[]);
    let typed_and_sent = [
        ("/op bob", json!({"type": "op", "nick": "bob"})),
        (
            "/op s3cret words",
            json!({"type": "op", "password": "s3cret words"}),
        ),
        ("/deop bob", json!({"type": "deop", "nick": "bob"})),
        (
            "/kick eve spamming links",
            json!({"type": "kick", "nick": "eve", "reason": "spamming links"}),
        ),
        ("/kick eve", json!({"type": "kick", "nick": "eve"})),
        (
            "/ban 10.0.0.0/24 10m flood",
            json!({"type": "ban", "target": "10.0.0.0/24", "duration": 600, "reason": "flood"}),
        ),
        ("/ban eve", json!({"type": "ban", "target": "eve"})),
        (
            "/unban 10.0.0.7",
            json!({"type": "unban", "target": "10.0.0.7"}),
        ),
        (
            "/mute eve 1h",
            json!({"type": "mute", "nick": "eve", "duration": 3600}),
        ),
        ("/mute eve", json!({"type": "mute", "nick": "eve"})),
        ("/unmute eve", json!({"type": "unmute", "nick": "eve"})),
        (
            "/topic new release",
            json!({"type": "topic", "text": "new release"}),
        ),
        ("/topic -", json!({"type": "topic", "text": ""})),
        ("/topic", json!({"type": "topic"})),
        (
            "/away at lunch",
            json!({"type": "away", "message": "at lunch"}),
        ),
        ("/back", json!({"type": "back"})),
    ];
    for (typed, sent) in typed_and_sent {
        client.write(typed);
        conn.expect_request(sent);
    }
    // Mistakes are explained on the spot and nothing is sent: the next request is the next
    // good line.
    for mistake in ["/mute eve lunch", "/ban eve 400d", "/kick", "/bans please"] {
        client.write(mistake);
    }
    client.write("/bans");
    let id = conn.next_json()["id"].clone();
    assert_eq!(conn.received.last().unwrap()["type"], "bans");
    conn.send(&format!(r#"{{"type":"bans","bans":[],"id":{id}}}"#));
    client.expect("*** no bans");
    let (code, stderr) = quit(client, conn);
    assert_eq!(code, Some(0), "{stderr}");
    for why in [
        "'lunch' is not a duration",
        "'400d' is too long",
        "usage: /kick NICK [REASON]",
        "usage: /bans",
    ] {
        assert!(stderr.contains(why), "{why}: {stderr}");
    }
    assert_eq!(stderr.lines().count(), 4, "one line a mistake: {stderr}");
}

#[test]
fn moderation_events_are_shown_like_the_rooms_other_notices() {
    let host = FakeHost::bind();
    let (client, mut conn) = ana_joined(&host, &["--no-timestamps"]);
    let shown = [
        (
            format!(r#"{{"type":"op","seq":20,"ts":"{TS}","nick":"carol","by":"bob"}}"#),
            "*** carol is now an operator (by bob)",
        ),
        (
            format!(r#"{{"type":"op","seq":20,"ts":"{TS}","nick":"carol","by":"carol"}}"#),
            "*** carol is now an operator",
        ),
        (
            format!(r#"{{"type":"op","seq":20,"ts":"{TS}","nick":"ana","by":"ana"}}"#),
            "*** you are now an operator",
        ),
        (
            format!(r#"{{"type":"deop","seq":21,"ts":"{TS}","nick":"ana"}}"#),
            "*** you are no longer an operator (by the host)",
        ),
        (
            format!(
                r#"{{"type":"kick","seq":22,"ts":"{TS}","nick":"eve","by":"bob","reason":"spam"}}"#
            ),
            "*** eve was kicked by bob (spam)",
        ),
        (
            format!(
                r#"{{"type":"ban","seq":23,"ts":"{TS}","target":"10.0.0.7","nicks":["mallory"],"by":"bob","reason":"spam"}}"#
            ),
            "*** bob banned 10.0.0.7 (mallory) (spam)",
        ),
        (
            format!(r#"{{"type":"unban","seq":24,"ts":"{TS}","target":"10.0.0.7","by":"bob"}}"#),
            "*** bob lifted the ban on 10.0.0.7",
        ),
        (
            format!(
                r#"{{"type":"bans","bans":[{{"target":"10.0.0.7","ts":"{TS}","by":"bob","reason":"spam"}},{{"target":"192.168.0.0/16","ts":"{TS}"}}]}}"#
            ),
            "*** 2 bans:",
        ),
        (String::new(), "***   10.0.0.7        by bob, 14:00: spam"),
        (String::new(), "***   192.168.0.0/16  by the host, 14:00"),
        (
            format!(r#"{{"type":"mute","seq":25,"ts":"{TS}","nick":"carol","by":"bob"}}"#),
            "*** carol was muted by bob",
        ),
        (
            format!(r#"{{"type":"unmute","seq":26,"ts":"{TS}","nick":"carol","by":"bob"}}"#),
            "*** carol can speak again (by bob)",
        ),
        (
            format!(r#"{{"type":"topic","seq":27,"ts":"{TS}","text":"ship it","by":"bob"}}"#),
            "*** topic: ship it (set by bob)",
        ),
        (
            format!(r#"{{"type":"topic","seq":28,"ts":"{TS}","text":""}}"#),
            "*** the host cleared the topic",
        ),
        (r#"{"type":"topic","text":""}"#.to_string(), "*** no topic"),
        (
            r#"{"type":"away","nick":"ana","message":"lunch"}"#.to_string(),
            "*** you are away: lunch",
        ),
        (
            r#"{"type":"away","nick":"bob","message":"in a meeting"}"#.to_string(),
            "*** bob is away: in a meeting",
        ),
        (
            r#"{"type":"back","nick":"ana"}"#.to_string(),
            "*** you are back",
        ),
        (
            r#"{"type":"users","users":["ana","bob","carol"],"operators":["ana"],"away":["bob"]}"#
                .to_string(),
            "*** 3 here: @ana, bob (away), carol",
        ),
    ];
    // Errors go to stderr, as in every piped session.
    conn.send(
        r#"{"type":"error","code":"muted","message":"you are muted until 14:05 UTC; you can still read"}"#,
    );
    for (event, line) in shown {
        if !event.is_empty() {
            conn.send(&event);
        }
        let got = client.lines_until(line.trim_start_matches("*** ").trim_start());
        assert_eq!(got.last().unwrap(), line, "{got:?}");
    }
    // Someone else's kick changes nothing for us: the session goes on.
    conn.send(&format!(
        r#"{{"type":"message","seq":30,"ts":"{TS}","from":"bob","kind":"say","text":"still here"}}"#
    ));
    client.expect("<bob> still here");
    let (code, stderr) = quit(client, conn);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("error: you are muted until 14:05 UTC; you can still read"),
        "{stderr}"
    );
}

#[test]
fn json_mode_prints_moderation_events_as_received() {
    let host = FakeHost::bind();
    let client = PipedClient::start(&host.server(), &["--nick", "ana", "--json"], &[]);
    let mut conn = host.accept();
    conn.welcome("ana", &["ana", "bob", "eve"], MARKS);
    let welcome = client.expect("welcome");
    assert!(welcome.contains(r#""operators":["bob"]"#), "{welcome}");
    let kick = format!(
        r#"{{"type":"kick","seq":22,"ts":"{TS}","nick":"eve","by":"bob","reason":"spam"}}"#
    );
    conn.send(&kick);
    assert_eq!(client.expect("kick"), kick);
    quit(client, conn);
}

#[test]
fn a_kick_naming_us_ends_join_with_exit_7_and_no_reconnect() {
    let host = FakeHost::bind();
    let (client, mut conn) = ana_joined(&host, &[]);
    conn.send(&format!(
        r#"{{"type":"kick","seq":22,"ts":"{TS}","nick":"ANA","by":"bob","reason":"off topic"}}"#
    ));
    conn.close();
    client.expect("*** you were kicked by bob (off topic)");
    let (code, stderr) = client.exit_by_itself();
    assert_eq!(code, Some(REMOVED), "{stderr}");
    assert!(
        stderr.contains("you were kicked from") && stderr.contains("not reconnecting"),
        "{stderr}"
    );
    assert!(!host.has_pending_client(), "join came back after a kick");
}

#[test]
fn a_ban_closing_us_ends_join_with_exit_7_and_no_reconnect() {
    let host = FakeHost::bind();
    let (client, mut conn) = ana_joined(&host, &[]);
    conn.send(&format!(
        r#"{{"type":"ban","seq":23,"ts":"{TS}","target":"127.0.0.1","nicks":["ana"],"by":"bob","reason":"spam"}}"#
    ));
    conn.close();
    client.expect("*** bob banned 127.0.0.1 (you) (spam)");
    let (code, stderr) = client.exit_by_itself();
    assert_eq!(code, Some(REMOVED), "{stderr}");
    assert!(stderr.contains("you were banned from"), "{stderr}");
    assert!(!host.has_pending_client(), "join came back after a ban");
}

#[test]
fn a_banned_address_coming_back_is_not_retried() {
    let host = FakeHost::bind();
    let (client, conn) = ana_joined(&host, &[]);
    // The connection drops (not a kick): join comes back, and finds its address banned.
    conn.close();
    let mut again = host.accept();
    assert_eq!(again.next_json()["type"], "hello");
    again.send(r#"{"type":"error","code":"banned","message":"banned until 15:00 UTC (spam)"}"#);
    again.close();
    let (code, stderr) = client.exit_by_itself();
    assert_eq!(code, Some(REMOVED), "{stderr}");
    assert!(stderr.contains("banned until 15:00 UTC (spam)"), "{stderr}");
    assert!(!host.has_pending_client(), "join tried again against a ban");
}

#[test]
fn a_topic_changed_while_disconnected_is_shown_after_reconnecting() {
    let host = FakeHost::bind();
    let (client, conn) = ana_joined(&host, &[]);
    conn.close();
    let mut again = host.accept();
    again.welcome(
        "ana",
        &["ana", "bob"],
        r#""topic":{"text":"after the break","by":"bob","ts":"2026-12-07T14:02:00.000Z"}"#,
    );
    client.expect("*** topic: after the break (set by bob, 14:02)");
    quit(client, again);
}

#[test]
fn a_banned_address_is_refused_at_once_with_exit_7() {
    let host = FakeHost::bind();
    let client = PipedClient::start(&host.server(), &["--nick", "ana"], &[]);
    let mut conn = host.accept();
    assert_eq!(conn.next_json()["type"], "hello");
    conn.send(r#"{"type":"error","code":"banned","message":"banned (spam)"}"#);
    conn.close();
    let (code, stderr) = client.exit_by_itself();
    assert_eq!(code, Some(REMOVED), "{stderr}");
    assert!(stderr.contains("refused us: banned (spam)"), "{stderr}");
}

/// A message event from `from`, as the host sends it.
fn message(seq: u64, from: &str, kind: &str, text: &str, history: bool) -> String {
    let to = if kind == "pm" { r#","to":"ana""# } else { "" };
    let history = if history { r#","history":true"# } else { "" };
    format!(
        r#"{{"type":"message","seq":{seq},"ts":"{TS}","from":"{from}","kind":"{kind}"{to},"text":"{text}"{history}}}"#
    )
}

#[test]
fn ignore_hides_messages_replayed_or_live_and_is_kept_for_the_room() {
    let host = FakeHost::bind();
    let dir = temp_dir();
    let history = dir.path().join("history");
    let history = history.to_str().unwrap();
    let (mut client, conn) = ana_joined(&host, &["--history-file", history]);
    client.write("/ignore");
    client.expect("you ignore nobody");
    client.write("/ignore Bob");
    client.expect("ignoring Bob");
    client.write("/ignore ana");
    client.write("/ignore");
    client.expect("you ignore 1 nickname: Bob");
    let (code, stderr) = quit(client, conn);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("you cannot ignore yourself"), "{stderr}");
    let kept = std::fs::read_dir(dir.path().join("ignore"))
        .unwrap()
        .count();
    assert_eq!(kept, 1, "one file for the room");

    // A second run in the same room: bob's lines are hidden, replayed or live, whatever the
    // case; his join and the others' lines are not.
    let mut client = PipedClient::start(
        &host.server(),
        &["--nick", "ana", "--history-file", history],
        &[],
    );
    let mut conn = host.accept();
    conn.next_json();
    conn.send(&format!(
        r#"{{"type":"welcome","v":1,"nick":"ana","room":"lobby","motd":null,"users":["ana","bob"],"count":2,"limits":{}}}"#,
        harness::fake_host::LIMITS
    ));
    for event in [
        message(1, "bob", "say", "replayed from bob", true),
        message(2, "carol", "say", "replayed from carol", true),
        r#"{"type":"history_end","count":2,"missed":0}"#.to_string(),
        format!(r#"{{"type":"join","seq":3,"ts":"{TS}","nick":"BOB","count":3}}"#),
        message(4, "BOB", "say", "live from bob", false),
        message(5, "bob", "me", "waves", false),
        message(6, "bob", "pm", "private from bob", false),
        message(7, "carol", "say", "live from carol", false),
    ] {
        conn.send(&event);
    }
    let lines = client.lines_until("live from carol").join("\n");
    assert!(lines.contains("replayed from carol"), "{lines}");
    assert!(lines.contains("BOB joined"), "{lines}");
    assert!(
        !lines.contains("from bob") && !lines.contains("waves"),
        "{lines}"
    );
    client.write("/unignore BOB");
    client.expect("no longer ignoring BOB");
    conn.send(&message(8, "bob", "say", "heard again", false));
    client.expect("<bob> heard again");
    let (code, stderr) = quit(client, conn);
    assert_eq!(code, Some(0), "{stderr}");
}

#[cfg(unix)]
mod on_a_terminal {
    use super::*;
    use harness::pty::{EDITING, PtyClient, READY};

    #[test]
    fn an_op_password_is_sent_as_password_but_never_shown_nor_kept_in_history() {
        let host = FakeHost::bind();
        let home = temp_dir();
        let history = home.path().join("history");
        let args = [
            "--nick",
            "ana",
            "--color",
            "never",
            "--history-file",
            history.to_str().unwrap(),
        ];
        let mut client = PtyClient::start_at(&host.server(), home.path(), &args);
        let mut conn = host.accept();
        conn.welcome("ana", &["ana", "bob"], MARKS);
        client.expect(READY);
        client.expect(EDITING);
        client.type_line("/op s3cret");
        conn.expect_request(json!({"type": "op", "password": "s3cret"}));
        // A member's nickname is not a secret: sent as `nick`, shown and kept.
        client.type_line("/op bob");
        conn.expect_request(json!({"type": "op", "nick": "bob"}));
        client.type_line("hello after op");
        let said = conn.next_json();
        assert_eq!(said["text"], "hello after op");
        conn.send(&format!(r#"{{"type":"ack","id":{}}}"#, said["id"]));
        let drawn = client.expect("hello after op");
        assert!(!drawn.contains("s3c"), "the password was drawn: {drawn:?}");
        assert!(drawn.contains("/op ******"), "{drawn:?}");
        client.type_line("/quit");
        assert_eq!(conn.next_json()["type"], "quit");
        conn.close();
        assert_eq!(client.exit_code(), 0);
        let kept = std::fs::read_to_string(&history).unwrap();
        assert!(!kept.contains("s3cret"), "{kept}");
        // Every `/op` line stays out, a nickname too: the rule is simple, and never wrong.
        assert!(
            kept.contains("hello after op") && !kept.contains("/op"),
            "{kept}"
        );
    }

    #[test]
    fn tab_completes_nicknames_after_moderation_commands() {
        let host = FakeHost::bind();
        let home = temp_dir();
        let mut client = PtyClient::start_at(
            &host.server(),
            home.path(),
            &["--nick", "ana", "--color", "never"],
        );
        let mut conn = host.accept();
        conn.welcome("ana", &["ana", "mallory"], "");
        client.expect(READY);
        client.expect(EDITING);
        client.type_keys("/kick mal\t");
        client.type_line("spam");
        conn.expect_request(json!({"type": "kick", "nick": "mallory", "reason": "spam"}));
        client.type_line("/quit");
        assert_eq!(conn.next_json()["type"], "quit");
        conn.close();
        assert_eq!(client.exit_code(), 0);
    }
}
