//! Knowing the other side is still there. A client can ask the host whether it answers (`ping`,
//! answered in order with everything else by `pong`); the host has the kernel check, after
//! `--keepalive` seconds of silence, that a client's machine is still there, so a half-open
//! connection does not hold a nickname forever.

mod harness;

use harness::{Host, JsonClient, PlainClient};
use serde_json::json;

#[test]
fn a_json_ping_is_answered_with_a_pong_carrying_its_id() {
    let host = Host::start(&[]);
    let mut bot = JsonClient::join(&host, "bot");
    bot.send(json!({"type": "ping", "id": "are-you-there"}));
    let pong = bot.expect_event("pong");
    assert_eq!(pong["id"], "are-you-there", "{pong}");
}

#[test]
fn a_pong_comes_after_the_replies_to_what_was_sent_before() {
    let host = Host::start(&[]);
    let mut bot = JsonClient::join(&host, "bot");
    bot.send(json!({"type": "say", "id": 1, "text": "first"}));
    bot.send(json!({"type": "ping", "id": 2}));
    let ack = bot.next_event();
    assert_eq!(
        (ack["type"].as_str(), ack["id"].as_i64()),
        (Some("ack"), Some(1))
    );
    let pong = bot.next_event();
    assert_eq!(
        (pong["type"].as_str(), pong["id"].as_i64()),
        (Some("pong"), Some(2))
    );
}

#[test]
fn a_plain_ping_is_answered_on_its_own_line() {
    let host = Host::start(&[]);
    let mut ana = PlainClient::join(&host, "ana");
    ana.say("/ping");
    ana.expect("*** pong");
}

/// The kernel's timers on the host's side of its connections to `host` (`ss`'s `timer:(...)`).
#[cfg(target_os = "linux")]
fn host_side_timers(host: &Host) -> String {
    let output = std::process::Command::new("ss")
        .args(["-tnoH", "state", "established"])
        .arg(format!("( sport = :{} )", host.port()))
        .output()
        .expect("ss (iproute2) runs");
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[cfg(target_os = "linux")]
#[test]
fn the_host_checks_that_silent_clients_are_still_there() {
    let host = Host::start(&["--keepalive", "9"]);
    let _ana = PlainClient::join(&host, "ana");
    // Until the welcome is acknowledged, the timer shown is the retransmission timer.
    let deadline = std::time::Instant::now() + harness::TIMEOUT;
    let mut timers = host_side_timers(&host);
    while !timers.contains("keepalive") && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(20));
        timers = host_side_timers(&host);
    }
    // (The time left is not checked: ss prints it in units that vary between versions.)
    assert!(
        timers.contains("timer:(keepalive,"),
        "no keepalive timer on the host's side: {timers:?}"
    );
}

#[cfg(target_os = "linux")]
#[test]
fn keepalive_0_turns_the_checks_off() {
    let host = Host::start(&["--keepalive", "0"]);
    let _ana = PlainClient::join(&host, "ana");
    let timers = host_side_timers(&host);
    assert!(!timers.is_empty(), "ss shows the connection");
    assert!(!timers.contains("keepalive"), "{timers}");
}

// The host's own pings (README, "Pings"): a JSON member silent for `--keepalive` seconds is sent
// `{"type":"ping"}`, and let go if nothing arrives within another `--keepalive`. These tests use
// `--keepalive 1` and wait for events (a ping, a leave, the end of the connection), never for time.

/// How many pings a test lets pass while someone stays quiet: two are enough to be let go.
const PINGS: usize = 3;

#[test]
fn a_json_client_that_never_answers_is_pinged_then_let_go() {
    let host = Host::start(&["--keepalive", "1"]);
    let mut watcher = PlainClient::join(&host, "watcher");
    let mut mute = JsonClient::join(&host, "mute");
    watcher.expect("*** mute joined (2 here)");
    mute.expect_event("ping");
    let rest = mute.expect_closed();
    assert!(
        rest.iter().all(|line| !line.contains("\"ping\"")),
        "one ping, then the end: {rest:?}"
    );
    watcher.expect("*** mute left (ping timeout: no answer)");
    host.wait_for_console("the leave on the console", |l| {
        l.contains("mute left (ping timeout: no answer)")
    });
}

#[test]
fn a_json_client_that_answers_stays_and_plain_clients_are_never_pinged() {
    let host = Host::start(&["--keepalive", "1"]);
    let mut watcher = PlainClient::join(&host, "watcher");
    let mut bot = JsonClient::join(&host, "bot");
    for _ in 0..PINGS {
        bot.expect_event("ping");
        bot.send(json!({"type": "pong"}));
    }
    bot.say("still here");
    // The watcher said nothing all along, and is still served: nc users are left to TCP
    // keepalive, since they could not answer a ping.
    watcher.expect("<bot> still here");
    assert!(!watcher.has_seen("left"), "{:?}", watcher.received());
    assert!(!watcher.has_seen("ping"), "{:?}", watcher.received());
    // A pong asks for nothing: no reply, no error.
    bot.send(json!({"type": "ping", "id": "last"}));
    let reply = bot.expect_event_where("pong", |e| e["id"] == "last");
    assert_eq!(reply["id"], "last");
    assert!(
        bot.events().iter().all(|e| e["type"] != "error"),
        "{:?}",
        bot.events()
    );
}

/// A raw JSON member that answers the host's pings, and so marks the time for a test: after it
/// has answered [`PINGS`] of them, anyone else who joined before it and said nothing since would
/// have been let go, had it not answered too.
fn pass_pings(clock: &mut JsonClient) {
    for _ in 0..PINGS {
        clock.expect_event("ping");
        clock.send(json!({"type": "pong"}));
    }
}

#[test]
fn send_answers_pings_over_a_long_quiet_input() {
    use std::io::Write;
    let host = Host::start(&["--keepalive", "1"]);
    let mut watcher = PlainClient::join(&host, "watcher");
    let mut send = harness::chatroom()
        .args(["send", "--server", &host.server(), "--nick", "cron"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("send starts");
    let mut stdin = send.stdin.take().unwrap();
    writeln!(stdin, "first").unwrap();
    watcher.expect("<cron> first");
    let mut clock = JsonClient::join(&host, "clock");
    pass_pings(&mut clock);
    writeln!(stdin, "second, after a quiet while").unwrap();
    watcher.expect("<cron> second, after a quiet while");
    drop(stdin);
    let output = send.wait_with_output().expect("send ends");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn join_answers_pings_over_a_long_quiet_session() {
    let host = Host::start(&["--keepalive", "1"]);
    let mut watcher = PlainClient::join(&host, "watcher");
    // Its own pings to the host (every --timeout/2 of silence) would also keep it alive: with
    // --timeout 600 there are none within the test, so only its answers to the host's do.
    let mut ana = harness::PipedClient::start(
        &host.server(),
        &["--nick", "ana", "--json", "--timeout", "600"],
        &[],
    );
    ana.expect("\"welcome\"");
    watcher.expect("*** ana joined (2 here)");
    let mut clock = JsonClient::join(&host, "clock");
    pass_pings(&mut clock);
    ana.write("still here");
    watcher.expect("<ana> still here");
    assert!(!watcher.has_seen("ana left"), "{:?}", watcher.received());
    let (code, stderr) = ana.finish();
    assert_eq!(code, Some(0), "{stderr}");
}
