//! `chatroom join` coming back after a broken connection: on a terminal (the line being typed
//! survives, lines typed meanwhile are sent once after), piped with `--json` (the missed events
//! are printed), and what does not reconnect: `/quit`, the host closing the room, and
//! `--no-reconnect` (exit 5 as before). A host that goes silent without closing the connection
//! (here: stopped with SIGSTOP) is given up after `--keepalive` seconds like a broken connection.
#![cfg(unix)]

mod harness;

use nix::sys::signal::Signal;

use harness::pty::{EDITING, PtyClient, READY};
use harness::relay::Relay;
use harness::{Host, JsonClient, PipedClient, chatroom, closed_port, store_args, temp_dir};

/// A host on `port` (a restarted one, where its clients know it).
fn host_on(port: u16) -> Host {
    let port = port.to_string();
    let mut cmd = chatroom();
    cmd.args(["host", "--bind", "127.0.0.1", "--port", &port]);
    Host::launch(cmd, &[])
}

/// How many console lines of `host` show `text` said by `nick`.
fn said(host: &Host, nick: &str, text: &str) -> usize {
    let line = format!("<{nick}> {text}");
    host.console()
        .lines()
        .filter(|l| l.ends_with(&line))
        .count()
}

#[test]
fn a_restarted_host_is_rejoined_and_what_was_typed_meanwhile_is_sent_once() {
    let port = closed_port();
    let mut host = host_on(port);
    let home = temp_dir();
    let mut ana = PtyClient::start(&host, home.path(), &["--nick", "ana", "--color", "never"]);
    ana.expect(READY);
    let mut bob = JsonClient::join(&host, "bob");
    bob.say("before the crash");
    ana.expect("<bob> before the crash");
    host.kill();
    ana.expect("*** connection lost (");
    ana.expect("reconnecting in ");
    // Typed while the host is away: sent once it is back.
    ana.type_line("typed while down");
    ana.expect("<ana> typed while down");
    ana.type_keys("half");
    ana.expect("half");
    let host = host_on(port);
    ana.expect("*** reconnected (");
    host.wait_for_console("ana's line", |l| l.ends_with("<ana> typed while down"));
    // The half-typed line is still the one being edited.
    ana.type_line(" done");
    host.wait_for_console("the rest", |l| l.ends_with("<ana> half done"));
    assert_eq!(
        said(&host, "ana", "typed while down"),
        1,
        "{}",
        host.console()
    );
    // The nickname came back with us.
    let mut carol = JsonClient::join(&host, "carol");
    carol.send(serde_json::json!({"type": "list", "id": 1}));
    let users = carol.expect_event("users");
    assert!(
        users["users"]
            .as_array()
            .unwrap()
            .iter()
            .any(|u| u == "ana"),
        "{users}"
    );
    // `/quit` leaves at once, and for good.
    ana.type_line("/quit");
    assert_eq!(ana.exit_code(), 0);
}

#[test]
fn a_line_whose_ack_was_lost_is_not_doubled() {
    let host = Host::start(&[]);
    let relay = Relay::start(host.addr);
    let mut bob = JsonClient::join(&host, "bob");
    let home = temp_dir();
    let mut ana = ana_through(&relay, home.path(), &[]);
    bob.expect_join("ana");
    // The room takes the line, but its ack never reaches ana; then the network breaks.
    relay.mute_replies(true);
    ana.type_line("only once");
    bob.expect_message("ana", "say", "only once");
    relay.mute_replies(false);
    relay.cut();
    ana.expect("*** reconnected (");
    ana.type_line("and then this");
    bob.expect_message("ana", "say", "and then this");
    let times = bob
        .events()
        .iter()
        .filter(|e| e["type"] == "message" && e["text"] == "only once")
        .count();
    assert_eq!(times, 1, "{:?}", bob.events());
}

#[test]
fn a_nickname_still_held_by_the_old_connection_is_waited_for() {
    // The host lets a silent connection go after a couple of seconds.
    let host = Host::start(&["--keepalive", "1"]);
    let relay = Relay::start(host.addr);
    let home = temp_dir();
    let mut ana = ana_through(&relay, home.path(), &[]);
    // Our side of the connection breaks; the host's stays open and silent.
    relay.abandon();
    ana.expect("*** connection lost (");
    ana.expect("the room still holds the nickname 'ana'");
    ana.expect("*** reconnected (");
    ana.type_line("back as ana");
    host.wait_for_console("ana's line", |l| l.ends_with("<ana> back as ana"));
}

#[test]
fn missed_messages_are_shown_once_when_the_host_still_has_them() {
    let host = Host::start(&[]);
    let relay = Relay::start(host.addr);
    let mut bob = JsonClient::join(&host, "bob");
    let home = temp_dir();
    let mut ana = ana_through(&relay, home.path(), &[]);
    bob.say("seen before");
    ana.expect("<bob> seen before");
    // Her own line is not echoed to her: its ack's seq counts as seen (the list's answer comes
    // after the ack).
    ana.type_line("mine too");
    ana.expect(EDITING);
    ana.type_line("/list");
    ana.expect("2 here:");
    // Away: the relay turns ana away while bob talks on.
    relay.point_to(None);
    relay.cut();
    ana.expect("*** connection lost (");
    bob.say("said while ana was away");
    bob.say("and more");
    relay.point_to(Some(host.addr));
    let shown = ana.expect("*** reconnected (2 missed messages shown)");
    assert!(shown.contains("<bob> said while ana was away"), "{shown:?}");
    assert!(shown.contains("<bob> and more"), "{shown:?}");
    assert!(!shown.contains("seen before"), "shown twice: {shown:?}");
    assert!(!shown.contains("mine too"), "shown twice: {shown:?}");
}

#[test]
fn join_json_reconnects_and_prints_the_missed_events() {
    let host = Host::start(&[]);
    let relay = Relay::start(host.addr);
    let mut bob = JsonClient::join(&host, "bob");
    let bot = PipedClient::start(&relay.server(), &["--nick", "bot", "--json"], &[]);
    bot.expect(r#""type":"welcome""#);
    bob.expect_join("bot");
    relay.point_to(None);
    relay.cut();
    bob.expect_event("leave");
    bob.say("while the bot was away");
    relay.point_to(Some(host.addr));
    let missed = bot.expect("while the bot was away");
    assert!(missed.contains(r#""history":true"#), "{missed}");
    bot.expect(r#""type":"history_end""#);
    let (code, stderr) = bot.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("connection lost ("), "{stderr}");
    assert!(
        stderr.contains("reconnected (1 missed message shown)"),
        "{stderr}"
    );
}

#[test]
fn join_json_misses_nothing_across_a_killed_and_restarted_stored_host() {
    // A room keeping only 2 messages in memory: what the bot missed comes from the store.
    let dir = temp_dir();
    let mut args = store_args(dir.path());
    args.extend(["--history".to_string(), "2".to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut host = Host::start(&args);
    let relay = Relay::start(host.addr);
    let bot = PipedClient::start(&relay.server(), &["--nick", "bot", "--json"], &[]);
    bot.expect(r#""type":"welcome""#);
    let mut ana = JsonClient::join(&host, "ana");
    ana.say("before the crash");
    bot.expect("before the crash");

    // The host dies; the bot cannot come back until the new host has heard ten more lines.
    relay.point_to(None);
    host.kill();
    relay.cut();
    let host = Host::start(&args);
    let mut ana = JsonClient::join(&host, "ana");
    for n in 1..=10 {
        ana.say(&format!("while the bot was away {n}"));
    }
    ana.send(serde_json::json!({"type": "ping", "id": "sync"}));
    ana.expect_event("pong");
    relay.point_to(Some(host.addr));
    for n in 1..=10 {
        let missed = bot.expect(&format!("while the bot was away {n}\""));
        assert!(missed.contains(r#""history":true"#), "{missed}");
    }
    let end = bot.expect(r#""type":"history_end""#);
    assert!(
        end.contains(r#""count":10"#) && end.contains(r#""missed":0"#),
        "{end}"
    );
    ana.say("after the bot came back");
    let live = bot.expect("after the bot came back");
    assert!(!live.contains("history"), "{live}");
    let (code, stderr) = bot.finish();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(
        stderr.contains("reconnected (10 missed messages shown)"),
        "{stderr}"
    );
}

// A host that stops answering without closing the connection: SIGSTOP freezes it as a pulled
// cable or a hung machine would (its kernel still holds the connection open). `--keepalive 2`
// makes join give it up after 2 s of silence; the tests wait for what join prints, not for time.

#[test]
fn a_silent_host_is_given_up_and_rejoined_with_the_gap_filled() {
    let host = Host::start(&[]);
    let relay = Relay::start(host.addr);
    let mut bob = JsonClient::join(&host, "bob");
    let home = temp_dir();
    let mut ana = ana_through(&relay, home.path(), &["--keepalive", "2"]);
    ana.expect(EDITING);
    bob.expect_join("ana");
    bob.say("before the freeze");
    ana.expect("<bob> before the freeze");
    // Nobody gets back in until the test says so: what bob says meanwhile is missed by ana.
    relay.point_to(None);
    host.signal(Signal::SIGSTOP);
    // Sent into the frozen connection: the host reads it when it wakes, and must not take the
    // copy join sends again after rejoining.
    ana.type_line("sent into the freeze");
    // Half a line when the connection is given up, finished while away.
    ana.expect(EDITING);
    ana.type_keys("half");
    ana.expect("half");
    ana.expect("*** connection lost (no answer from the host for 2 s); reconnecting in ");
    ana.type_line("way, typed while away");
    bob.send(serde_json::json!({"type": "say", "text": "said while ana was away", "id": 1}));
    host.signal(Signal::SIGCONT);
    bob.expect_event_where("ack", |e| e["id"] == 1);
    relay.point_to(Some(host.addr));
    let shown = ana.expect("*** reconnected (");
    assert!(shown.contains("<bob> said while ana was away"), "{shown:?}");
    assert!(
        !shown.contains("before the freeze"),
        "shown twice: {shown:?}"
    );
    host.wait_for_console("the line typed while away", |l| {
        l.ends_with("<ana> halfway, typed while away")
    });
    for line in ["sent into the freeze", "halfway, typed while away"] {
        assert_eq!(said(&host, "ana", line), 1, "{}", host.console());
    }
    ana.type_line("/quit");
    assert_eq!(ana.exit_code(), 0);
}

#[test]
fn a_silent_host_with_no_reconnect_exits_5() {
    let host = Host::start(&[]);
    let args = [
        "--nick",
        "bot",
        "--json",
        "--keepalive",
        "2",
        "--no-reconnect",
    ];
    let bot = PipedClient::start(&host.server(), &args, &[]);
    bot.expect(r#""type":"welcome""#);
    host.signal(Signal::SIGSTOP);
    let (code, stderr) = bot.exit_by_itself();
    host.signal(Signal::SIGCONT);
    assert_eq!(code, Some(5), "{stderr}");
    assert!(
        stderr.contains("connection lost: no answer from the host for 2 s"),
        "{stderr}"
    );
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn the_host_closing_the_room_is_still_a_friendly_exit_0() {
    let host = Host::start(&[]);
    let home = temp_dir();
    let mut ana = PtyClient::joined(&host, home.path(), "ana", &[]);
    host.signal(Signal::SIGINT);
    ana.expect("room closed by host");
    assert_eq!(ana.exit_code(), 0);
}

#[test]
fn no_reconnect_exits_5_as_before() {
    let mut host = Host::start(&[]);
    let home = temp_dir();
    let mut ana = PtyClient::joined(&host, home.path(), "ana", &["--no-reconnect"]);
    host.kill();
    ana.expect("connection lost");
    assert_eq!(ana.exit_code(), 5);
}

#[test]
fn piped_lines_written_while_away_are_sent_once_back_and_the_end_waits_for_them() {
    let host = Host::start(&[]);
    let relay = Relay::start(host.addr);
    let mut bob = JsonClient::join(&host, "bob");
    let mut bot = PipedClient::start(&relay.server(), &["--nick", "bot", "--json"], &[]);
    bot.expect(r#""type":"welcome""#);
    bob.expect_join("bot");
    relay.point_to(None);
    relay.cut();
    bob.expect_event("leave");
    bot.write("queued while away");
    relay.point_to(Some(host.addr));
    // The end of stdin comes at once: leaving waits for the connection to be back and the
    // line answered.
    let (code, stderr) = bot.finish();
    assert_eq!(code, Some(0), "{stderr}");
    bob.expect_message("bot", "say", "queued while away");
    bob.send(serde_json::json!({"type": "ping", "id": "end"}));
    bob.expect_event("pong");
    let times = bob
        .events()
        .iter()
        .filter(|e| e["type"] == "message" && e["text"] == "queued while away")
        .count();
    assert_eq!(times, 1, "{:?}", bob.events());
}

#[test]
fn a_host_back_with_another_certificate_ends_the_session_with_exit_6() {
    let first = temp_dir();
    let mut host = harness::tls::tls_host(first.path(), &[]);
    let port = host.port();
    let args = ["--nick", "bot", "--json", "--trust-on-first-use"];
    let bot = PipedClient::start(&host.server(), &args, &[]);
    bot.expect(r#""type":"welcome""#);
    host.kill();
    // Back on the same port, with a certificate of its own: maybe not our host at all.
    let other = temp_dir();
    let _impostor = harness::tls::tls_host_on_port(other.path(), port);
    let (code, stderr) = bot.exit_by_itself();
    assert_eq!(code, Some(6), "{stderr}");
    assert!(stderr.contains("connection lost ("), "{stderr}");
}

/// `join` as ana, through `relay`, in a terminal, once its prompt is up; `more` arguments
/// follow.
fn ana_through(relay: &Relay, home: &std::path::Path, more: &[&str]) -> PtyClient {
    let mut args = vec!["--nick", "ana", "--color", "never"];
    args.extend_from_slice(more);
    let mut ana = PtyClient::start_at(&relay.server(), home, &args);
    ana.expect(READY);
    ana
}
