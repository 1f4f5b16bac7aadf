//! `chatroom send --retry`: a broken connection or a host that is down and comes back loses no
//! line and doubles none. The network is a [`Relay`] the test breaks at will; messages carry a
//! client id and a message id, and the host takes a resent one once.

mod harness;

use std::collections::HashSet;
use std::io::Write;
use std::process::{ChildStdin, Stdio};

use harness::process::{lines_of, wait_within};
use harness::relay::Relay;
use harness::{Host, JsonClient, PROCESS_TIMEOUT, chatroom, closed_port, wait_for_exit};
use serde_json::Value;

/// `chatroom send --retry SECS` to `server`, reading the lines the test writes to its stdin.
fn piped_send(server: &str, retry: &str) -> (std::process::Child, ChildStdin) {
    let mut child = chatroom()
        .args([
            "send", "--server", server, "--nick", "feeder", "--retry", retry,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn chatroom send");
    let stdin = child.stdin.take().unwrap();
    (child, stdin)
}

fn write_lines(stdin: &mut ChildStdin, numbers: std::ops::RangeInclusive<u32>) {
    let text: String = numbers.map(|n| format!("line {n}\n")).collect();
    stdin.write_all(text.as_bytes()).unwrap();
    stdin.flush().unwrap();
}

/// The numbers of the feeder's lines `observer` received, in order, until it has seen `last`.
fn lines_until(observer: &mut JsonClient, last: u32) -> Vec<u32> {
    let mut seen = Vec::new();
    while seen.last() != Some(&last) {
        let event: Value = observer.expect_event_where("message", |e| e["from"] == "feeder");
        let text = event["text"].as_str().unwrap();
        seen.push(text.trim_start_matches("line ").parse().unwrap());
    }
    seen
}

/// A host without limits that would slow a thousand lines down.
fn host() -> Host {
    Host::start(&["--rate-limit", "0", "--max-per-ip", "0"])
}

#[test]
fn a_resend_after_lost_acks_is_taken_once() {
    let host = host();
    let relay = Relay::start(host.addr);
    let mut observer = JsonClient::join(&host, "watcher");
    let (child, mut stdin) = piped_send(&relay.server(), "20");
    write_lines(&mut stdin, 1..=5);
    assert_eq!(lines_until(&mut observer, 5), (1..=5).collect::<Vec<_>>());
    // The host takes lines 6 to 10, but their acks never reach `send`.
    relay.mute_replies(true);
    write_lines(&mut stdin, 6..=10);
    assert_eq!(lines_until(&mut observer, 10), (6..=10).collect::<Vec<_>>());
    relay.mute_replies(false);
    relay.cut();
    // `send` reconnects and sends 6 to 10 again: the room acknowledges them without
    // publishing them twice, and the next lines follow.
    write_lines(&mut stdin, 11..=12);
    assert_eq!(lines_until(&mut observer, 12), vec![11, 12]);
    drop(stdin);
    let (code, stderr) = wait_for_exit(child);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("reconnected"), "{stderr}");
    // Nothing more came: a ping answered in order proves the room said nothing in between.
    observer.send(serde_json::json!({"type": "ping", "id": "end"}));
    let pong = observer.expect_event("pong");
    assert_eq!(pong["id"], "end");
    let doubled = observer
        .events()
        .iter()
        .filter(|e| e["type"] == "message" && e["from"] == "feeder")
        .count();
    assert_eq!(doubled, 12, "each line once: {:?}", observer.events());
}

/// 1,000 lines through two host restarts. Each host is read by an observer that joins before
/// `send` can come back to it; a host is killed (SIGKILL) only once its observer has seen every
/// line written so far, so whatever it took was seen, and 10 lines are written while it is down.
/// Without a durable store a new host cannot know what the old one took: a line the old host
/// took whose ack died with it is sent again, and the next host takes it too. Within each
/// host's life every line arrives once and in order, and all 1,000 arrive.
#[cfg(unix)]
#[test]
fn a_thousand_lines_through_two_host_restarts_each_arrive() {
    let mut host = host();
    let relay = Relay::start(host.addr);
    let mut observer = JsonClient::join(&host, "watcher");
    let (child, mut stdin) = piped_send(&relay.server(), "20");
    write_lines(&mut stdin, 1..=333);
    let mut seen = vec![lines_until(&mut observer, 333)];
    for next in [334..=666, 667..=1000] {
        // Down: the host dies, and while it is away new connections are turned away.
        relay.point_to(None);
        host.kill();
        relay.cut();
        let early = *next.start()..=*next.start() + 9;
        write_lines(&mut stdin, early.clone());
        host = self::host();
        observer = JsonClient::join(&host, "watcher");
        relay.point_to(Some(host.addr));
        let mut lines = lines_until(&mut observer, *early.end());
        write_lines(&mut stdin, *early.end() + 1..=*next.end());
        lines.extend(lines_until(&mut observer, *next.end()));
        seen.push(lines);
    }
    drop(stdin);
    let (code, stderr) = wait_for_exit(child);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stderr.matches("reconnected").count(), 2, "{stderr}");
    let mut everything = HashSet::new();
    for (lifetime, lines) in seen.iter().enumerate() {
        assert!(
            lines.windows(2).all(|w| w[0] < w[1]),
            "host {lifetime} saw lines out of order or twice: {lines:?}"
        );
        everything.extend(lines.iter().copied());
    }
    assert_eq!(everything.len(), 1000, "every line arrived");
    assert_eq!(everything.iter().max(), Some(&1000));
}

#[test]
fn send_waits_for_a_host_that_is_not_up_yet() {
    let port = closed_port();
    let server = format!("127.0.0.1:{port}");
    let (mut child, mut stdin) = piped_send(&server, "20");
    write_lines(&mut stdin, 1..=3);
    drop(stdin);
    let stderr = lines_of(child.stderr.take().unwrap());
    let first = stderr
        .recv_timeout(PROCESS_TIMEOUT)
        .expect("a word on stderr");
    assert!(first.contains("trying again for up to 20 s"), "{first}");
    // Started only now, where `send` keeps knocking.
    let mut cmd = chatroom();
    let port = port.to_string();
    cmd.args(["host", "--bind", "127.0.0.1", "--port", &port]);
    let _host = Host::launch(cmd, &[]);
    let status = wait_within(&mut child, PROCESS_TIMEOUT).expect("send exits");
    let rest: Vec<String> = stderr.iter().collect();
    assert_eq!(status.code(), Some(0), "{rest:?}");
}

#[test]
fn without_retry_a_missing_host_fails_at_once() {
    let server = format!("127.0.0.1:{}", closed_port());
    let started = std::time::Instant::now();
    let (child, mut stdin) = piped_send(&server, "0");
    write_lines(&mut stdin, 1..=1);
    drop(stdin);
    let (code, stderr) = wait_for_exit(child);
    assert_eq!(code, Some(3), "{stderr}");
    assert!(!stderr.contains("trying again"), "{stderr}");
    assert!(started.elapsed() < PROCESS_TIMEOUT);
}
