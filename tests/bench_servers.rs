//! `chatroom bench --servers A,B,C`: the clients spread round-robin over the hosts of one room
//! shared through a real `redis-server` (`host --redis`), with every host's share of the
//! deliveries, the latency between hosts, and one order for every reader checked; a room that
//! is not one room (hosts on their own, stand-in hosts that order differently) fails the run.
//!
//! The Redis tests skip loudly when `redis-server` is not installed, unless
//! `CHATROOM_REQUIRE_REDIS` is set (CI sets it): see `harness/redis.rs`. No timing is asserted.
mod harness;

use std::sync::mpsc;
use std::time::Duration;

use harness::bench::{assert_clean, bench_report, number};
use harness::fake_host::{FakeConn, FakeHost};
use harness::redis::{TestRedis, shared_host_with, start_redis};
use harness::{Host, closed_port};
use serde_json::{Value, json};

const TIMEOUT: Duration = Duration::from_secs(60);

fn chatroom() -> assert_cmd::Command {
    harness::chatroom_cmd(TIMEOUT)
}

/// One host of the room `name` shared through `redis`, not pacing the senders.
fn shared_host(redis: &TestRedis, name: &str) -> Host {
    shared_host_with(redis, name, &["--rate-limit", "0"])
}

/// `a,b,c` for `--servers`.
fn servers(hosts: &[Host]) -> String {
    let servers: Vec<String> = hosts.iter().map(Host::server).collect();
    servers.join(",")
}

/// Exit 0; everything arrived once, intact, in each sender's order and in one order for all;
/// each host had its round-robin share of the clients and got all of its deliveries.
fn assert_one_room(code: Option<i32>, report: &Value, hosts: &[Host], clients: u64) {
    assert_eq!(code, Some(0), "{report}");
    assert_clean(report);
    let order = &report["order"];
    assert_eq!(order["receivers"], clients, "{report}");
    assert_eq!(order["disagreements"], 0, "{report}");
    assert_eq!(order["unchecked"], 0, "{report}");
    let shares = report["hosts"].as_array().expect("a list of hosts");
    assert_eq!(shares.len(), hosts.len(), "{report}");
    let per_host = clients / hosts.len() as u64;
    for (share, host) in shares.iter().zip(hosts) {
        assert_eq!(share["server"], host.server(), "{report}");
        let on_host = share["clients"].as_u64().unwrap();
        assert!(on_host == per_host || on_host == per_host + 1, "{share}");
        assert_eq!(share["delivered"], share["expected"], "{share}");
        assert!(share["delivered"].as_u64().unwrap() > 0, "{share}");
    }
    assert!(
        report["cross_host_latency_us"]["p99"].is_number(),
        "{report}"
    );
}

#[test]
fn a_blast_and_a_paced_run_over_three_hosts_see_one_room() {
    let Some(redis) = start_redis() else {
        return;
    };
    let hosts: Vec<Host> = (0..3).map(|_| shared_host(&redis, "bench")).collect();
    let list = servers(&hosts);
    let (code, report) = bench_report(&[
        "--servers",
        &list,
        "--clients",
        "30",
        "--senders",
        "3",
        "--messages",
        "200",
    ]);
    assert_one_room(code, &report, &hosts, 30);
    assert_eq!(number(&report, "expected"), f64::from(3 * 200 * 29));

    // The room's history now holds the blast's messages: the next run is not misled by them.
    let (code, report) = bench_report(&[
        "--servers",
        &list,
        "--mode",
        "json",
        "--clients",
        "12",
        "--senders",
        "3",
        "--messages",
        "40",
        "--rate",
        "400",
    ]);
    assert_one_room(code, &report, &hosts, 12);
    assert_eq!(number(&report, "expected"), f64::from(3 * 40 * 11));
}

#[test]
fn one_address_in_servers_is_the_one_host_bench_and_history_is_not_counted() {
    let host = Host::start(&["--rate-limit", "0"]);
    // Something said before the bench came: every plain bench client gets it replayed.
    let mut visitor = harness::PlainClient::join(&host, "visitor");
    visitor.say("said before the bench");
    drop(visitor);
    // Twice: the second run's clients also get the first run's messages replayed.
    for _ in 0..2 {
        let (code, report) = bench_report(&[
            "--servers",
            &host.server(),
            "--clients",
            "5",
            "--messages",
            "50",
        ]);
        assert_eq!(code, Some(0), "{report}");
        assert_eq!(report["server"], host.server());
        assert_eq!(
            report["hosts"].as_array().map(Vec::len),
            Some(1),
            "{report}"
        );
        assert_eq!(report["cross_host_latency_us"], Value::Null, "{report}");
        assert_eq!(report["order"]["disagreements"], 0, "{report}");
        for field in ["lost", "corrupt", "foreign"] {
            assert_eq!(number(&report, field), 0.0, "{field} in {report}");
        }
    }
}

#[test]
fn hosts_that_do_not_share_a_room_are_a_failed_run() {
    // Three hosts on their own: each client hears only the senders on its host.
    let hosts: Vec<Host> = (0..3)
        .map(|_| Host::start(&["--rate-limit", "0"]))
        .collect();
    let output = chatroom()
        .args([
            "bench",
            "--servers",
            &servers(&hosts),
            "--clients",
            "6",
            "--senders",
            "3",
        ])
        .args(["--messages", "20", "--idle-timeout", "0.5"])
        .output()
        .expect("chatroom bench runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    // Each reader misses the 2 senders on the other hosts: 6 x 2 x 20 of 3 x 20 x 5.
    assert!(stdout.contains("delivered    60 of 300"), "{stdout}");
    assert_eq!(
        stderr,
        "chatroom: the room did not deliver every message intact and in order: 240 lost (see \
         the report)\n"
    );
}

/// A stand-in host's side of the disagreement test: welcomes its two bench clients, takes its
/// sender's message, trades it for the other host's, and delivers both to its reader, its own
/// sender's first (and the other's to its sender): two such hosts order the room differently.
fn fake_room_host(
    host: &FakeHost,
    give: mpsc::Sender<String>,
    take: mpsc::Receiver<String>,
) -> Vec<FakeConn> {
    let mut conns: Vec<(String, FakeConn)> = (0..2)
        .map(|_| {
            let mut conn = host.accept();
            let hello = conn.next_json();
            let nick = hello["nick"].as_str().expect("a nickname").to_string();
            conn.send(
                &json!({"type": "welcome", "v": 1, "nick": nick, "room": "lobby", "motd": null,
                        "users": [nick], "count": 1})
                .to_string(),
            );
            (nick, conn)
        })
        .collect();
    // Senders are the first clients: b00001 on host A, b00002 on host B.
    conns.sort_by(|a, b| a.0.cmp(&b.0));
    let said = conns[0].1.next_json();
    let ours = (
        conns[0].0.clone(),
        said["text"].as_str().unwrap().to_string(),
    );
    give.send(ours.1.clone()).unwrap();
    let theirs_text = take
        .recv_timeout(TIMEOUT)
        .expect("the other host's message");
    let theirs_from = if ours.0 == "b00001" {
        "b00002"
    } else {
        "b00001"
    };
    let theirs = (theirs_from.to_string(), theirs_text);
    let line = |seq: u64, (from, text): &(String, String)| {
        json!({"type": "message", "seq": seq, "ts": "2026-12-07T05:00:00.000Z", "from": from,
               "kind": "say", "text": text})
        .to_string()
    };
    conns[0].1.send(&line(2, &theirs));
    conns[1].1.send(&line(1, &ours));
    conns[1].1.send(&line(2, &theirs));
    conns.into_iter().map(|(_, conn)| conn).collect()
}

#[test]
fn readers_that_see_different_orders_are_caught() {
    // Two stand-in hosts that each deliver both senders' messages, in opposite orders.
    let (a, b) = (FakeHost::bind(), FakeHost::bind());
    let list = format!("{},{}", a.server(), b.server());
    let bench = std::thread::spawn(move || {
        bench_report(&[
            "--servers",
            &list,
            "--mode",
            "json",
            "--clients",
            "4",
            "--senders",
            "2",
            "--messages",
            "1",
        ])
    });
    let (to_b, from_a) = mpsc::channel();
    let (to_a, from_b) = mpsc::channel();
    let host_b = std::thread::spawn(move || fake_room_host(&b, to_a, from_a));
    let conns_a = fake_room_host(&a, to_b, from_b);
    let (code, report) = bench.join().expect("the bench thread");
    drop((conns_a, host_b.join().expect("host B's thread")));
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(number(&report, "lost"), 0.0, "{report}");
    assert_eq!(number(&report, "reordered"), 0.0, "{report}");
    assert_eq!(report["order"]["disagreements"], 1, "{report}");
    assert_eq!(report["order"]["disagreeing_receivers"], 1, "{report}");
}

#[test]
fn bad_server_lists_are_usage_errors_in_one_line() {
    let port = closed_port();
    for (list, says) in [
        ("", "address 1 of 1 is empty"),
        (
            &*format!("127.0.0.1:{port},,127.0.0.1:1"),
            "address 2 of 3 is empty",
        ),
        (&*format!("127.0.0.1:{port},127.0.0.1:{port}"), "twice"),
        ("127.0.0.1:notaport", "invalid port"),
    ] {
        let output = chatroom()
            .args(["bench", "--servers", list])
            .output()
            .expect("chatroom bench runs");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{list}: {stderr}");
        assert!(output.stdout.is_empty(), "{list}");
        assert_eq!(stderr.lines().count(), 1, "{list}: {stderr}");
        assert!(
            stderr.starts_with("chatroom: --servers"),
            "{list}: {stderr}"
        );
        assert!(stderr.contains(says), "{list}: {stderr}");
    }
    // Another way to name the room alongside it is clap's usage error.
    for other in [&["127.0.0.1"][..], &["--spawn-host"], &["--host-pid", "1"]] {
        chatroom()
            .args(["bench", "--servers", "127.0.0.1:1,127.0.0.1:2"])
            .args(other)
            .assert()
            .code(2)
            .stdout("");
    }
}

#[test]
fn a_host_in_the_list_that_is_down_is_a_connect_error() {
    let host = Host::start(&["--rate-limit", "0"]);
    let list = format!("{},127.0.0.1:{}", host.server(), closed_port());
    let output = chatroom()
        .args(["bench", "--servers", &list, "--clients", "4"])
        .output()
        .expect("chatroom bench runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("2 of 4 clients could not join"), "{stderr}");
    assert!(stderr.contains("cannot connect to 127.0.0.1:"), "{stderr}");
}
