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
