//! A smoke benchmark: `chatroom bench` against a host it starts itself, small enough for CI.
//!
//! It fails only on gross regressions: any lost, reordered, duplicated or corrupt message, or a
//! throughput below a floor so low (10,000 deliveries/s, in a debug build) that only something
//! broken misses it. No timing is asserted beyond that; the real numbers come from release
//! builds on a quiet machine (see the README's "Benchmarking" section).
mod harness;

use std::time::Duration;

use harness::bench::{assert_clean, bench_report, number};
use serde_json::Value;

const TIMEOUT: Duration = Duration::from_secs(60);

/// The deliveries per second below which something is badly wrong.
const FLOOR_PER_SEC: f64 = 10_000.0;

/// The binary with a clean environment, so a developer's CHATROOM_* settings change nothing.
fn chatroom() -> assert_cmd::Command {
    harness::chatroom_cmd(TIMEOUT)
}

/// Runs the bench with `args` plus `--spawn-host --json` and returns its report, once it
/// succeeded.
fn bench(args: &[&str]) -> Value {
    let all: Vec<&str> = ["--spawn-host"].iter().chain(args).copied().collect();
    let (code, report) = bench_report(&all);
    assert_eq!(code, Some(0), "chatroom bench {args:?} failed: {report}");
    report
}

#[test]
fn a_plain_blast_delivers_everything_intact() {
    let report = bench(&[
        "--clients",
        "20",
        "--senders",
        "2",
        "--messages",
        "500",
        "--size",
        "64",
    ]);
    assert_clean(&report);
    assert_eq!(number(&report, "expected"), 2.0 * 500.0 * 19.0);
    assert!(
        number(&report, "deliveries_per_sec") >= FLOOR_PER_SEC,
        "{report}"
    );
    assert!(report["latency_us"]["p99"].is_number(), "{report}");
}

#[test]
fn a_paced_json_run_delivers_everything_intact() {
    let report = bench(&[
        "--mode",
        "json",
        "--clients",
        "10",
        "--senders",
        "2",
        "--messages",
        "50",
        "--rate",
        "1000",
    ]);
    assert_clean(&report);
    assert_eq!(report["mode"], "json");
    assert_eq!(number(&report, "expected"), 2.0 * 50.0 * 9.0);
}

/// Receivers never send, so a JSON run longer than two `--keepalive` intervals loses every one
/// of them unless they answer the host's pings.
#[test]
fn a_json_run_longer_than_the_hosts_ping_timeout_answers_its_pings() {
    let report = bench(&[
        "--mode",
        "json",
        "--clients",
        "4",
        "--senders",
        "1",
        "--messages",
        "10",
        "--rate",
        "3",
        "--host-arg=--keepalive=1",
    ]);
    assert_clean(&report);
    assert_eq!(number(&report, "expected"), 10.0 * 3.0);
}

#[test]
fn a_tls_room_delivers_everything_intact_in_both_dialects() {
    for mode in ["plain", "json"] {
        let report = bench(&[
            "--tls",
            "--mode",
            mode,
            "--clients",
            "20",
            "--senders",
            "2",
            "--messages",
            "300",
        ]);
        assert_clean(&report);
        assert_eq!(report["tls"], true, "{report}");
        assert_eq!(number(&report, "expected"), 2.0 * 300.0 * 19.0);
    }
}

#[test]
fn stalled_clients_are_left_out_of_the_expected_deliveries() {
    let report = bench(&["--clients", "10", "--stalled", "2", "--messages", "100"]);
    assert_clean(&report);
    assert_eq!(number(&report, "expected"), 100.0 * 7.0);
}

#[test]
fn impossible_plans_are_usage_errors() {
    for args in [
        &["--clients", "4", "--senders", "5"][..],
        &["--clients", "4", "--stalled", "3"],
        &["--size", "16", "--messages", "1000000"],
        &["--rate", "0"],
    ] {
        chatroom()
            .arg("bench")
            .args(args)
            .assert()
            .code(2)
            .stdout("");
    }
}

#[test]
fn someone_else_talking_in_the_room_is_counted_apart_not_as_corruption() {
    let host = harness::Host::start(&["--rate-limit", "0"]);
    let mut visitor = harness::PlainClient::join(&host, "visitor");
    let server = host.server();
    let bench = std::thread::spawn(move || {
        chatroom()
            .args(["bench", &server, "--json", "--clients", "5"])
            .args(["--messages", "1000", "--rate", "1000"])
            .output()
            .expect("chatroom bench runs")
    });
    // Once the last bench client is in, every one of them reads what the visitor says. Which
    // one is last is not fixed: their nicknames reach the room in whatever order they are read.
    visitor.expect_line("the sixth member's join", |l| {
        l.ends_with(" joined (6 here)")
    });
    visitor.say("hello, benchmark");
    let output = bench.join().expect("the bench thread");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    let report: Value = serde_json::from_str(&stdout).expect("a JSON report");
    assert_clean(&report);
    assert_eq!(number(&report, "foreign"), 5.0, "{report}");
    assert!(
        report["warnings"]
            .to_string()
            .contains("someone else is in the room"),
        "{report}"
    );
}
