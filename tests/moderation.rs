//! Running a room, over real sockets: operators (the operator password, its lockout, `/op NICK`,
//! `/deop`), kicks, mutes, the topic and away, each from JSON and from plain (`nc`-style)
//! connections. Bans, which are by address, are in `moderation_bans.rs`.

mod harness;

use serde_json::json;

#[cfg(target_os = "linux")]
use harness::Nc;
use harness::moderation::{
    OP_PASSWORD, assert_heard_last, become_plain_operator, expect_timed, json_operator,
    moderated_host,
};
use harness::{Host, JsonClient, PlainClient, password_file, temp_dir, wait_for_file_line};

#[test]
fn the_op_password_makes_an_operator_whom_everyone_sees_marked() {
    let dir = temp_dir();
    let host = moderated_host(dir.path(), &[]);
    let mut bob = PlainClient::join(&host, "bob");
    let mut ana = JsonClient::join(&host, "ana");
    ana.send(json!({"type": "op", "password": OP_PASSWORD, "id": 1}));
    let op = ana.expect_event("op");
    assert_eq!((&op["nick"], &op["by"]), (&json!("ana"), &json!("ana")));
    assert!(op["seq"].is_u64(), "{op}");
    ana.expect_event_where("ack", |e| e["id"] == 1);
    bob.expect("*** ana is now an operator");
    // Marked in the JSON users event, plain /list, and a newcomer's welcome.
    ana.send(json!({"type": "list", "id": 2}));
    let users = ana.expect_event("users");
    assert_eq!(users["operators"], json!(["ana"]), "{users}");
    bob.say("/list");
    bob.expect("*** 2 here: @ana, bob");
    let carol = JsonClient::join(&host, "carol");
    assert_eq!(carol.welcome["operators"], json!(["ana"]));
    // From plain mode too: the word is no member's nickname, so it is the password.
    become_plain_operator(&mut bob);
    // The password shows nowhere on the host's side.
    let console = host.stop();
    assert!(!console.contains(OP_PASSWORD), "{console}");
    assert!(
        console
            .lines()
            .any(|l| l.ends_with("*** ana is now an operator")),
        "{console}"
    );
}

#[test]
fn wrong_op_passwords_are_refused_and_five_lock_the_address_out_of_op() {
    let dir = temp_dir();
    let log = dir.path().join("transcript.log");
    let host = moderated_host(dir.path(), &["--log-file", log.to_str().unwrap()]);
    let mut eve = JsonClient::join(&host, "eve");
    for attempt in 1..=5 {
        eve.send(json!({"type": "op", "password": "guess-123", "id": attempt}));
        let error = eve.expect_event("error");
        assert_eq!(error["code"], "bad_op_password", "{error}");
        assert_eq!(error["id"], attempt);
        assert!(!error["message"].as_str().unwrap().contains("guess-123"));
    }
    // Locked out: even the right password waits, and the message says for how long.
    eve.send(json!({"type": "op", "password": OP_PASSWORD, "id": 6}));
    let error = eve.expect_event("error");
    assert_eq!(error["code"], "bad_op_password");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("try /op again in"),
        "{error}"
    );
    host.wait_for_console("the lockout note", |l| {
        l.contains("wrong operator passwords within 60 s")
    });
    // Plain mode is locked out as well (the same address), and is told in one line.
    let mut pat = PlainClient::join(&host, "pat");
    pat.say(&format!("/op {OP_PASSWORD}"));
    assert!(
        pat.expect_error()
            .contains("too many wrong operator passwords")
    );
    // Nobody became an operator, and the room never heard of the attempts.
    eve.send(json!({"type": "list", "id": 7}));
    assert_eq!(eve.expect_event("users").get("operators"), None);
    let transcript = wait_for_file_line(&log, "the lockout", |l| l.contains("/op attempts"));
    for secret in [OP_PASSWORD, "guess-123"] {
        assert!(!transcript.contains(secret), "{transcript}");
    }
}

#[test]
fn a_room_without_an_op_password_refuses_op_and_moderation() {
    let host = Host::start(&["--max-per-ip", "0"]);
    let mut ana = JsonClient::join(&host, "ana");
    let _eve = JsonClient::join(&host, "eve");
    ana.send(json!({"type": "op", "password": "anything", "id": 1}));
    let error = ana.expect_event("error");
    assert_eq!(error["code"], "not_allowed", "{error}");
    assert!(
        error["message"]
            .as_str()
            .unwrap()
            .contains("--op-password-file")
    );
    for request in [
        json!({"type": "kick", "nick": "eve", "id": 2}),
        json!({"type": "ban", "target": "eve", "id": 2}),
        json!({"type": "unban", "target": "10.0.0.7", "id": 2}),
        json!({"type": "bans", "id": 2}),
        json!({"type": "mute", "nick": "eve", "id": 2}),
        json!({"type": "unmute", "nick": "eve", "id": 2}),
        json!({"type": "op", "nick": "eve", "id": 2}),
        json!({"type": "deop", "nick": "eve", "id": 2}),
        json!({"type": "topic", "text": "mine now", "id": 2}),
    ] {
        ana.send(request.clone());
        let error = ana.expect_event("error");
        assert_eq!(error["code"], "not_operator", "{request}: {error}");
        assert_eq!(error["id"], 2);
    }
    let mut pat = PlainClient::join(&host, "pat");
    pat.say("/kick eve being eve");
    assert_eq!(
        pat.expect_error(),
        "error: only operators can kick (an operator password makes you one: /op PASSWORD)"
    );
}

#[test]
fn operators_make_and_unmake_operators() {
    let dir = temp_dir();
    let host = moderated_host(dir.path(), &[]);
    let mut ana = json_operator(&host, "ana");
    let mut bob = PlainClient::join(&host, "bob");
    ana.send(json!({"type": "op", "nick": "bob", "id": 1}));
    let op = ana.expect_event_where("op", |e| e["nick"] == "bob");
    assert_eq!(op["by"], "ana");
    bob.expect("*** bob is now an operator (by ana)");
    // `/op NICK` from plain mode: the word names a member, so it makes them an operator.
    let mut carol = JsonClient::join(&host, "carol");
    bob.say("/op carol");
    let op = carol.expect_event_where("op", |e| e["nick"] == "carol");
    assert_eq!(op["by"], "bob");
    bob.say("/deop ana");
    bob.expect("*** ana is no longer an operator (by bob)");
    let deop = ana.expect_event("deop");
    assert_eq!((&deop["nick"], &deop["by"]), (&json!("ana"), &json!("bob")));
    // No longer an operator: refused.
    ana.send(json!({"type": "kick", "nick": "bob", "id": 2}));
    assert_eq!(ana.expect_event("error")["code"], "not_operator");
    // An operator may deop themselves.
    carol.send(json!({"type": "deop", "nick": "carol", "id": 3}));
    carol.expect_event_where("deop", |e| e["nick"] == "carol");
    carol.send(json!({"type": "deop", "nick": "carol", "id": 4}));
    assert_eq!(carol.expect_event("error")["code"], "not_operator");
}

#[test]
fn a_kicked_member_hears_why_is_closed_and_may_come_back() {
    let dir = temp_dir();
    let host = moderated_host(dir.path(), &[]);
    let mut ana = json_operator(&host, "ana");
    let mut bob = PlainClient::join(&host, "bob");
    let mut eve = JsonClient::join(&host, "eve");
    ana.send(json!({"type": "kick", "nick": "eve", "reason": "spam", "id": 1}));
    let kick = ana.expect_event("kick");
    assert_eq!(
        (&kick["nick"], &kick["by"], &kick["reason"]),
        (&json!("eve"), &json!("ana"), &json!("spam"))
    );
    ana.expect_event_where("ack", |e| e["id"] == 1);
    bob.expect("*** eve was kicked by ana (spam)");
    let last = eve.expect_closed();
    let kick = last
        .iter()
        .map(|l| harness::parse_event(l))
        .find(|e| e["type"] == "kick")
        .expect("eve hears her kick before the connection closes");
    assert_eq!(kick["nick"], "eve");
    // The kick was her leave: no `leave` event follows it.
    ana.send(json!({"type": "list", "id": 2}));
    let users = ana.expect_event("users");
    assert_eq!(users["users"], json!(["ana", "bob"]));
    assert!(!ana.events().iter().any(|e| e["type"] == "leave"));
    // Kicked is not banned.
    let mut eve = JsonClient::join(&host, "eve");
    // From plain mode, without a reason; a plain member kicked reads it too.
    become_plain_operator(&mut bob);
    let mut dan = PlainClient::join(&host, "dan");
    bob.say("/kick dan");
    bob.expect("*** dan was kicked by bob");
    assert_heard_last(&dan.expect_closed(), "*** dan was kicked by bob");
    eve.expect_event_where("kick", |e| e["nick"] == "dan" && e.get("reason").is_none());
    // Nobody to kick.
    bob.say("/kick zed");
    assert_eq!(bob.expect_error(), "error: no one called 'zed' is here");
}

#[test]
fn a_muted_member_can_read_but_not_speak_until_unmuted() {
    let dir = temp_dir();
    let host = moderated_host(dir.path(), &[]);
    let mut ana = json_operator(&host, "ana");
    let mut bob = PlainClient::join(&host, "bob");
    let mut eve = JsonClient::join(&host, "eve");
    ana.send(json!({"type": "mute", "nick": "eve", "duration": 600, "id": 1}));
    let mute = ana.expect_event("mute");
    assert_eq!((&mute["nick"], &mute["by"]), (&json!("eve"), &json!("ana")));
    assert!(mute["until"].is_string(), "{mute}");
    expect_timed(&mut bob, "*** eve was muted by ana until ", " UTC");
    eve.send(json!({"type": "say", "text": "let me speak", "id": 2}));
    let error = eve.expect_event("error");
    assert_eq!(error["code"], "muted", "{error}");
    assert_eq!(error["id"], 2);
    let message = error["message"].as_str().unwrap();
    assert!(
        message.contains("until") && message.contains("you can still read"),
        "{message}"
    );
    for request in [
        json!({"type": "me", "text": "waves", "id": 3}),
        json!({"type": "pm", "to": "bob", "text": "psst", "id": 3}),
    ] {
        eve.send(request);
        assert_eq!(eve.expect_event("error")["code"], "muted");
    }
    // Still reading.
    bob.say("can eve read this?");
    eve.expect_message("bob", "say", "can eve read this?");
    ana.send(json!({"type": "unmute", "nick": "eve", "id": 4}));
    ana.expect_event("unmute");
    bob.expect("*** eve can speak again (by ana)");
    eve.say("thanks");
    bob.expect("<eve> thanks");
    // From plain mode: a plain member muted gets the error as a line.
    become_plain_operator(&mut bob);
    let mut pat = PlainClient::join(&host, "pat");
    bob.say("/mute pat");
    bob.expect("*** pat was muted by bob");
    pat.say("hello?");
    assert_eq!(
        pat.expect_error(),
        "error: you are muted until an operator unmutes you; you can still read"
    );
    bob.say("/unmute eve");
    assert_eq!(bob.expect_error(), "error: eve is not muted");
    bob.say("/mute pat 10x");
    assert_eq!(bob.expect_error(), "error: usage: /mute NICK [DURATION]");
}

#[test]
fn the_topic_is_shown_set_by_operators_and_part_of_the_welcome() {
    let dir = temp_dir();
    let host = moderated_host(dir.path(), &[]);
    let mut bob = PlainClient::join(&host, "bob");
    bob.say("/topic");
    bob.expect("*** no topic");
    bob.say("/topic bob rules");
    assert_eq!(
        bob.expect_error(),
        "error: only operators can set the topic (an operator password makes you one: /op \
         PASSWORD)"
    );
    let mut ana = json_operator(&host, "ana");
    ana.send(json!({"type": "topic", "text": "release day", "id": 1}));
    let topic = ana.expect_event("topic");
    assert_eq!(
        (&topic["text"], &topic["by"]),
        (&json!("release day"), &json!("ana"))
    );
    assert!(topic["seq"].is_u64(), "{topic}");
    bob.expect("*** topic: release day (set by ana)");
    // Asked without text: the answer, without a seq, to the asker alone.
    ana.send(json!({"type": "topic", "id": 2}));
    let answer = ana.expect_event_where("topic", |e| e["id"] == 2);
    assert_eq!(answer.get("seq"), None);
    assert_eq!(answer["text"], "release day");
    assert!(answer["ts"].is_string());
    bob.say("/topic");
    expect_timed(&mut bob, "*** topic: release day (set by ana, ", " UTC)");
    // Newcomers read it in the welcome.
    let carol = JsonClient::join(&host, "carol");
    assert_eq!(carol.welcome["topic"]["text"], "release day");
    assert_eq!(carol.welcome["topic"]["by"], "ana");
    let mut dan = PlainClient::connect(&host);
    let welcome = dan.choose_nick("dan");
    assert!(
        welcome
            .iter()
            .any(|l| l.starts_with("*** topic: release day (set by ana, ")),
        "{welcome:?}"
    );
    // Cleared with `-` (plain) or "" (JSON).
    become_plain_operator(&mut bob);
    bob.say("/topic -");
    bob.expect("*** bob cleared the topic");
    let cleared = ana.expect_event_where("topic", |e| e["text"] == "");
    assert_eq!(cleared["by"], "bob");
    let eve = JsonClient::join(&host, "eve");
    assert_eq!(eve.welcome.get("topic"), None);
}

#[test]
fn with_open_topic_anyone_sets_it() {
    let dir = temp_dir();
    let host = moderated_host(dir.path(), &["--open-topic"]);
    let mut bob = PlainClient::join(&host, "bob");
    let mut ana = JsonClient::join(&host, "ana");
    bob.say("/topic pizza at noon");
    bob.expect("*** topic: pizza at noon (set by bob)");
    let topic = ana.expect_event("topic");
    assert_eq!(topic["by"], "bob");
}

#[test]
fn away_members_answer_a_private_message_once_and_speaking_brings_them_back() {
    let host = Host::start(&["--max-per-ip", "0"]);
    let mut bob = PlainClient::join(&host, "bob");
    let mut ana = JsonClient::join(&host, "ana");
    bob.say("/away lunch");
    bob.expect("*** you are away: lunch");
    ana.send(json!({"type": "list", "id": 1}));
    assert_eq!(ana.expect_event("users")["away"], json!(["bob"]));
    let carol = JsonClient::join(&host, "carol");
    assert_eq!(carol.welcome["away"], json!(["bob"]));
    bob.say("/list");
    bob.expect("*** 3 here: ana, bob (away), carol");
    // The first private message is answered with the away message, the second is not.
    ana.send(json!({"type": "pm", "to": "bob", "text": "you there?", "id": 2}));
    let away = ana.expect_event("away");
    assert_eq!(
        away,
        json!({"type": "away", "nick": "bob", "message": "lunch"})
    );
    ana.send(json!({"type": "pm", "to": "bob", "text": "ping", "id": 3}));
    ana.expect_event_where("ack", |e| e["id"] == 3);
    ana.send(json!({"type": "ping", "id": 4}));
    ana.expect_event("pong");
    assert_eq!(
        ana.events().iter().filter(|e| e["type"] == "away").count(),
        1
    );
    // Speaking clears it.
    bob.say("back from lunch");
    bob.expect("*** you are back");
    ana.send(json!({"type": "list", "id": 5}));
    assert_eq!(ana.expect_event("users").get("away"), None);
    // JSON away and back, and a plain sender told once.
    ana.send(json!({"type": "away", "message": "meeting", "id": 6}));
    let away = ana.expect_event("away");
    assert_eq!(
        (&away["nick"], &away["message"]),
        (&json!("ana"), &json!("meeting"))
    );
    ana.expect_event_where("ack", |e| e["id"] == 6);
    bob.say("/msg ana are you done?");
    bob.expect("*** ana is away: meeting");
    ana.send(json!({"type": "back", "id": 7}));
    assert_eq!(
        ana.expect_event("back"),
        json!({"type": "back", "nick": "ana"})
    );
    // Away without a message.
    bob.say("/away");
    bob.expect("*** you are away");
    bob.say("/back");
    bob.expect("*** you are back");
}

/// Runs a host that must not start: it exits 1 with one line on stderr, which is returned.
fn refused_start(host: &mut std::process::Command) -> String {
    let output = host.output().unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    stderr
}

#[test]
fn the_op_password_comes_from_the_variable_once_and_the_host_warns_without_tls() {
    // From the variable: it works, and the host warns it crosses the network in clear text.
    let dir = temp_dir();
    let data = dir.path().join("data");
    let args = ["--data-dir", data.to_str().unwrap()];
    let mut cmd = Host::command(&args);
    cmd.env("CHATROOM_OP_PASSWORD", "from the environment");
    let host = Host::launch(cmd, &args);
    host.wait_for_console("the clear text warning", |l| {
        l.contains("the operator password crosses the network in clear text")
    });
    let mut ana = JsonClient::join(&host, "ana");
    ana.send(json!({"type": "op", "password": "from the environment", "id": 1}));
    ana.expect_event_where("ack", |e| e["id"] == 1);
    let console = host.stop();
    assert!(!console.contains("from the environment"), "{console}");

    // Given twice, or with a space /op would trim: the host does not start, and says why.
    let file = password_file(dir.path(), "op", OP_PASSWORD);
    let stderr = refused_start(
        Host::command(&["--op-password-file", &file]).env("CHATROOM_OP_PASSWORD", OP_PASSWORD),
    );
    assert!(stderr.contains("given twice"), "{stderr}");
    assert!(!stderr.contains(OP_PASSWORD), "{stderr}");
    let spaced = password_file(dir.path(), "spaced", " padded");
    let stderr = refused_start(&mut Host::command(&["--op-password-file", &spaced]));
    assert!(
        stderr.contains("must not start or end with a space"),
        "{stderr}"
    );
}

#[test]
fn a_damaged_state_file_stops_the_host_saying_which_and_what_to_do() {
    let dir = temp_dir();
    let data = harness::moderation::data_dir(dir.path());
    std::fs::create_dir_all(&data).unwrap();
    std::fs::write(
        data.join("room-state.json"),
        "{\"bans\": [{\"net\": \"nope\"}]}",
    )
    .unwrap();
    let stderr = refused_start(&mut Host::command(&["--data-dir", data.to_str().unwrap()]));
    assert!(
        stderr.contains("room-state.json") && stderr.contains("fix it or move it away"),
        "{stderr}"
    );
}

#[test]
fn an_operator_who_kicks_or_mutes_themselves_is_served_like_anyone() {
    let dir = temp_dir();
    let host = moderated_host(dir.path(), &[]);
    let mut bob = PlainClient::join(&host, "bob");
    let mut ana = json_operator(&host, "ana");
    ana.send(json!({"type": "mute", "nick": "ana", "id": 1}));
    ana.expect_event_where("ack", |e| e["id"] == 1);
    ana.say("muted myself?");
    assert_eq!(ana.expect_event("error")["code"], "muted");
    ana.send(json!({"type": "kick", "nick": "ana", "reason": "oops", "id": 2}));
    assert_heard_last(&ana.expect_closed(), "\"type\":\"kick\"");
    bob.expect("*** ana was kicked by ana (oops)");
    // The room goes on.
    let mut carol = JsonClient::join(&host, "carol");
    bob.say("still here");
    carol.expect_message("bob", "say", "still here");
}

#[test]
fn a_nickname_cannot_pass_for_an_address_that_ban_would_read() {
    let host = Host::start(&["--max-per-ip", "0"]);
    let mut json = JsonClient::connect(&host);
    let refused = json.hello("10.0.0.7");
    assert_eq!(refused["code"], "nick_invalid", "{refused}");
    let mut plain = PlainClient::connect(&host);
    let why = plain.try_nick("10.0.0.7").unwrap_err();
    assert!(why.contains("add a letter"), "{why}");
    let mut bob = PlainClient::join(&host, "bob");
    bob.say("/nick 127.0.0.1");
    assert!(bob.expect_error().contains("like an address"));
}

// A real `nc` (installed by `.ci/run` on Linux) reads what a plain-mode user's terminal would.
#[cfg(target_os = "linux")]
#[test]
fn escape_sequences_in_a_topic_reason_or_away_message_reach_no_screen() {
    let dir = temp_dir();
    let log = dir.path().join("transcript.log");
    let log_arg = log.to_str().unwrap();
    let host = moderated_host(dir.path(), &["--log-file", log_arg, "--log-format", "json"]);
    let mut nc = Nc::connect(&host);
    nc.type_line("watcher");
    nc.expect("the welcome", |l| l.contains("welcome to"));
    let mut ana = json_operator(&host, "ana");
    let mut eve = JsonClient::join(&host, "eve");
    // Clear the screen, retitle the window, ring the bell: none of it may reach anyone.
    let hostile = "\u{1b}[2Jrelease\u{1b}]0;pwned\u{7} day\u{1b}[31m";
    eve.send(json!({"type": "away", "message": hostile, "id": 1}));
    eve.expect_event_where("ack", |e| e["id"] == 1);
    ana.send(json!({"type": "pm", "to": "eve", "text": "there?", "id": 1}));
    let away = ana.expect_event("away");
    ana.send(json!({"type": "topic", "text": hostile, "id": 2}));
    let topic = ana.expect_event("topic");
    ana.send(json!({"type": "kick", "nick": "eve", "reason": hostile, "id": 3}));
    let kick = ana.expect_event("kick");
    for text in [&away["message"], &topic["text"], &kick["reason"]] {
        assert_eq!(text, "release day", "{text}");
    }
    let lines = [
        nc.expect("the topic", |l| l.contains("*** topic: ")),
        nc.expect("the kick", |l| l.contains("*** eve was kicked by ana")),
    ];
    for line in &lines {
        assert!(
            line.ends_with("(release day)") || line.contains("topic: release day ("),
            "{line:?}"
        );
        assert!(!line.contains(['\u{1b}', '\u{7}']), "{line:?}");
    }
    let console = host.stop();
    assert!(console.contains("release day"), "{console}");
    assert!(!console.contains(['\u{1b}', '\u{7}']), "{console:?}");
    let transcript = wait_for_file_line(&log, "the kick", |l| l.contains("\"type\":\"kick\""));
    assert!(!transcript.contains(['\u{1b}', '\u{7}']), "{transcript:?}");
    assert!(!transcript.contains("\\u001b"), "{transcript}");
}

#[test]
fn the_op_password_is_in_no_json_log_line() {
    let dir = temp_dir();
    let log = dir.path().join("transcript.log");
    let log_arg = log.to_str().unwrap();
    let host = moderated_host(dir.path(), &["--log-file", log_arg, "--log-format", "json"]);
    let mut bob = PlainClient::join(&host, "bob");
    bob.say("/op wrong-guess-5512");
    assert!(bob.expect_error().contains("wrong operator password"));
    become_plain_operator(&mut bob);
    let mut ana = JsonClient::join(&host, "ana");
    ana.send(json!({"type": "op", "password": "json-guess-7730", "id": 1}));
    ana.expect_event("error");
    ana.send(json!({"type": "op", "password": OP_PASSWORD, "id": 2}));
    ana.expect_event_where("ack", |e| e["id"] == 2);
    // A malformed op request is refused without quoting what it carried.
    ana.send(json!({"type": "op", "password": OP_PASSWORD, "nick": "bob", "id": 3}));
    let error = ana.expect_event("error");
    assert!(!error.to_string().contains(OP_PASSWORD), "{error}");
    let console = host.stop();
    let transcript = wait_for_file_line(&log, "ana's op", |l| l.contains("\"op\""));
    for secret in [OP_PASSWORD, "wrong-guess-5512", "json-guess-7730"] {
        assert!(!console.contains(secret), "{secret}: {console}");
        assert!(!transcript.contains(secret), "{secret}: {transcript}");
    }
}

#[test]
fn odd_moderation_requests_are_refused_one_by_one_and_the_room_goes_on() {
    let dir = temp_dir();
    let host = moderated_host(dir.path(), &[]);
    let mut ana = json_operator(&host, "ana");
    let mut eve = JsonClient::join(&host, "eve");
    let long = "x".repeat(3000);
    for (request, code) in [
        (json!({"type": "ban", "target": "::/0"}), "not_allowed"),
        (json!({"type": "ban", "target": "0.0.0.0/0"}), "not_allowed"),
        (
            json!({"type": "ban", "target": "::ffff:0.0.0.0/96"}),
            "not_allowed",
        ),
        (
            json!({"type": "ban", "target": "10.0.0.0/99"}),
            "bad_request",
        ),
        (json!({"type": "ban", "target": null}), "bad_request"),
        (json!({"type": "ban", "target": ["eve"]}), "bad_request"),
        (
            json!({"type": "ban", "target": "eve", "duration": -1}),
            "bad_request",
        ),
        (
            json!({"type": "ban", "target": "eve", "duration": 1.5}),
            "bad_request",
        ),
        (
            json!({"type": "ban", "target": "eve", "duration": "10m"}),
            "bad_request",
        ),
        (
            json!({"type": "ban", "target": "eve", "duration": u64::MAX}),
            "bad_request",
        ),
        (
            json!({"type": "mute", "nick": "eve", "duration": 31_536_001}),
            "bad_request",
        ),
        (
            json!({"type": "mute", "nick": "eve", "duration": 0}),
            "bad_request",
        ),
        (json!({"type": "kick", "nick": 42}), "bad_request"),
        (
            json!({"type": "kick", "nick": "eve", "reason": long}),
            "bad_request",
        ),
        (
            json!({"type": "topic", "text": {"nested": true}}),
            "bad_request",
        ),
        (json!({"type": "away", "message": "a\nb"}), "bad_request"),
        (json!({"type": "unban", "target": "eve"}), "bad_request"),
        (json!({"type": "op", "nick": "zed"}), "no_such_nick"),
    ] {
        let mut request = request;
        request["id"] = json!("odd");
        ana.send(request.clone());
        let error = ana.expect_event_where("error", |e| e["id"] == "odd");
        assert_eq!(error["code"], code, "{request}: {error}");
        assert!(!error["message"].as_str().unwrap().contains(&long[..100]));
    }
    // The longest mute there is, then the room goes on.
    ana.send(json!({"type": "mute", "nick": "eve", "duration": 31_536_000, "id": 1}));
    ana.expect_event_where("ack", |e| e["id"] == 1);
    eve.say("muted?");
    assert_eq!(eve.expect_event("error")["code"], "muted");
    ana.say("still here");
    eve.expect_message("ana", "say", "still here");
}
