//! What the host itself prints and writes: the `listening on IP:PORT` line, the console's
//! timestamped activity (public only: private messages are never shown), `--quiet`, and the
//! `--log-file` transcript with full UTC timestamps (appended, never truncated), and both in JSON
//! lines with `--log-format json`.

mod harness;

use std::time::Duration;

use harness::{
    Host, JsonClient, PlainClient, assert_rfc3339_utc_millis, parse_event, temp_dir,
    wait_for_file_line,
};
use predicates::prelude::*;
use serde_json::json;

/// Does `line` contain a clock time `HH:MM:SS`?
fn has_clock_time(line: &str) -> bool {
    line.as_bytes().windows(8).any(|w| {
        w[2] == b':' && w[5] == b':' && [0, 1, 3, 4, 6, 7].iter().all(|&i| w[i].is_ascii_digit())
    })
}

/// Does `line` carry a full UTC timestamp: today's UTC date, a clock time, and a UTC marker?
fn has_full_utc_timestamp(line: &str) -> bool {
    let today = chrono::Utc::now().format("%Y-%m-%d").to_string();
    // An hour ago, in case the test straddles midnight UTC.
    let earlier = (chrono::Utc::now() - chrono::Duration::hours(1))
        .format("%Y-%m-%d")
        .to_string();
    (line.contains(&today) || line.contains(&earlier))
        && has_clock_time(line)
        && ["Z ", "Z]", "UTC", "+00:00"]
            .iter()
            .any(|m| line.contains(m))
}

#[test]
fn the_host_prints_the_address_it_really_bound() {
    let host = Host::start(&[]);
    let line = host.wait_for_console("the listening line", |l| l.contains("listening on"));
    assert!(
        line.contains(&format!("listening on 127.0.0.1:{}", host.port())),
        "{line}"
    );
    assert_ne!(host.port(), 0);
    PlainClient::join(&host, "alice");
}

#[test]
fn the_console_shows_public_activity_with_local_times() {
    let host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    alice.say("hello console");
    alice.say("/nick alicia");
    bob.expect("*** alice is now alicia");
    bob.say("/quit");
    for (what, needle) in [
        ("the join", "bob"),
        ("the message", "hello console"),
        ("the rename", "alicia"),
        ("the leave", "left"),
    ] {
        let line = host.wait_for_console(what, |l| l.contains(needle));
        assert!(has_clock_time(&line), "{what} has no time stamp: {line}");
    }
}

#[test]
fn the_console_never_shows_private_messages() {
    let host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    let _bob = PlainClient::join(&host, "bob");
    let mut bot = JsonClient::join(&host, "bot");
    alice.say("/msg bob secret-plain");
    bot.send(json!({"type": "pm", "to": "bob", "text": "secret-json", "id": 1}));
    bot.expect_event("ack");
    alice.say("after the secrets");
    host.wait_for_console("the public message", |l| l.contains("after the secrets"));
    let console = host.console();
    assert!(
        !console.contains("secret-"),
        "private text on the console:\n{console}"
    );
}

#[test]
fn quiet_shows_start_up_but_no_activity() {
    let host = Host::start(&["--quiet"]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    alice.say("hush now");
    bob.expect("<alice> hush now");
    alice.say("/quit");
    bob.expect("*** alice left (quit)");
    let console = host.stop();
    assert!(console.contains("listening on"), "{console}");
    for activity in ["alice", "hush now"] {
        assert!(
            !console.contains(activity),
            "--quiet printed {activity:?}:\n{console}"
        );
    }
}

#[test]
fn the_log_file_is_an_appended_utc_transcript_without_private_messages() {
    let dir = temp_dir();
    let log = dir.path().join("room.log");
    std::fs::write(&log, "earlier transcript\n").unwrap();
    let host = Host::start(&["--quiet", "--log-file", log.to_str().unwrap()]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    alice.say("logged hello");
    alice.say("/msg bob private-xyz");
    bob.expect("[pm from alice] private-xyz");
    alice.say("last line");

    let text = wait_for_file_line(&log, "the last message", |l| l.contains("last line"));
    assert!(
        text.starts_with("earlier transcript\n"),
        "the log was truncated:\n{text}"
    );
    assert!(
        !text.contains("private-xyz"),
        "private message logged:\n{text}"
    );
    for needle in ["bob", "logged hello", "last line"] {
        let line = text
            .lines()
            .find(|l| l.contains(needle))
            .unwrap_or_else(|| panic!("{needle:?} is not in the log:\n{text}"));
        assert!(
            has_full_utc_timestamp(line),
            "no full UTC timestamp: {line}"
        );
    }
}

#[test]
fn an_unwritable_log_file_exits_1_naming_it() {
    let dir = temp_dir();
    let log = dir.path().join("no/such/dir/room.log");
    assert_cmd::Command::from_std(Host::command(&["--log-file", log.to_str().unwrap()]))
        .timeout(Duration::from_secs(10))
        .assert()
        .code(1)
        .stderr(predicate::str::contains("room.log"));
}

#[test]
fn json_log_format_writes_room_events_as_clients_receive_them_and_notes_with_a_type() {
    let dir = temp_dir();
    let log = dir.path().join("room.jsonl");
    let host = Host::start(&["--log-format", "json", "--log-file", log.to_str().unwrap()]);
    let mut bot = JsonClient::join(&host, "bot");
    let mut alice = PlainClient::join(&host, "alice");
    let joined = bot.expect_join("alice");
    alice.say("hello shippers");
    let message = bot.expect_message("alice", "say", "hello shippers");
    alice.say("/msg bot secret-in-json");
    bot.expect_message("alice", "pm", "secret-in-json");
    alice.say("the last word");
    let last = bot.expect_message("alice", "say", "the last word");
    let file = wait_for_file_line(&log, "the last message", |l| l.contains("the last word"));
    host.wait_for_console("the last message", |l| l.contains("the last word"));
    let console = host.stop();

    let mut console_lines = console.lines();
    let first = console_lines.next().unwrap_or_default();
    assert!(first.starts_with("listening on 127.0.0.1:"), "{console}");
    for (what, text) in [
        ("console", console_lines.collect::<Vec<_>>().join("\n")),
        ("file", file),
    ] {
        assert!(
            !text.contains("secret"),
            "the {what} has a private message:\n{text}"
        );
        let mut lines: Vec<serde_json::Value> = text.lines().map(parse_event).collect();
        // A join names, for the operator, the address it came from.
        for line in &mut lines {
            if line["type"] == "join" {
                let peer = line.as_object_mut().unwrap().remove("peer");
                assert_eq!(peer, Some("127.0.0.1".into()), "{line}");
            }
        }
        for event in [&joined, &message, &last] {
            assert!(lines.contains(event), "the {what} lacks {event}:\n{text}");
        }
        let opened = lines
            .iter()
            .find(|l| l["type"] == "note")
            .unwrap_or_else(|| panic!("no note in the {what}:\n{text}"));
        assert!(
            opened["text"].as_str().unwrap().contains("opened on"),
            "{opened}"
        );
        assert_rfc3339_utc_millis(&opened["ts"]);
    }
}

#[test]
fn the_console_names_where_each_newcomer_connected_from_and_the_room_never_sees_it() {
    let host = Host::start(&[]);
    let mut bob = PlainClient::join(&host, "bob");
    let _alice = PlainClient::join(&host, "alice");
    let line = host.wait_for_console("alice's join", |l| l.contains("alice joined"));
    assert!(
        line.ends_with("*** alice joined (2 here) from 127.0.0.1"),
        "{line}"
    );
    let seen = bob.expect_line("alice's join", |l| l.contains("alice joined"));
    assert!(!seen.contains("127.0.0.1"), "{seen}");
}
