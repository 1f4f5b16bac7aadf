//! `chatroom send --retry`: a broken connection or a host that is down and comes back loses no
//! line and doubles none. The network is a [`Relay`] the test breaks at will; messages carry a
//! client id and a message id, and the host takes a resent one once.

mod harness;

use std::collections::HashSet;
use std::path::Path;
use std::time::{Duration, Instant};

use harness::fake_host::FakeHost;
use harness::feeder::{lines_until, piped_send, write_lines};
use harness::process::{lines_of, wait_within};
use harness::relay::Relay;
use harness::{
    Conn, Host, JsonClient, PROCESS_TIMEOUT, StoredRow, chatroom, closed_port, store_args,
    stored_rows, temp_dir, wait_for_exit,
};
use serde_json::{Value, json};

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

/// A stored host (its store in `dir`) on `port` (0: any free one), so that a host killed with
/// SIGKILL can be started again where clients knock, on the same store.
fn stored_host(dir: &Path, port: u16) -> Host {
    let mut args = store_args(dir);
    args.extend(["--rate-limit", "0", "--max-per-ip", "0"].map(String::from));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut cmd = chatroom();
    cmd.args(["host", "--bind", "127.0.0.1", "--port", &port.to_string()])
        .args(&args);
    Host::launch(cmd, &args)
}

/// Waits until the store in `dir` holds a message `text` (committed: on disk), and returns the
/// store's messages.
fn wait_until_stored(dir: &Path, text: &str) -> Vec<StoredRow> {
    let deadline = Instant::now() + PROCESS_TIMEOUT;
    loop {
        let rows = stored_rows(dir);
        if rows.iter().any(|row| row.text == text) {
            return rows;
        }
        assert!(Instant::now() < deadline, "{text:?} never stored: {rows:?}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The texts of the store's messages, by seq.
fn stored_texts(dir: &Path) -> Vec<String> {
    stored_rows(dir).into_iter().map(|row| row.text).collect()
}

/// A message the host committed, whose ack the relay dropped and whose host then died with
/// SIGKILL, is sent again to the restarted host: the room answers with the ack of the stored
/// message, its original seq, and stores no second copy.
#[test]
fn with_a_store_a_resend_whose_ack_died_with_the_host_is_acked_with_its_seq() {
    let dir = temp_dir();
    let mut host = stored_host(dir.path(), 0);
    let port = host.port();
    let relay = Relay::start(host.addr);
    let say = |id: u64, mid: u64| json!({"type": "say", "text": format!("line {mid}"), "id": id, "cid": "c0ffee", "mid": mid});
    let mut ana = JsonClient::join_over(&host, Conn::connect_to(relay.addr), "ana");
    ana.send(say(1, 1));
    ana.expect_event_where("ack", |e| e["id"] == 1);
    relay.mute_replies(true);
    ana.send(say(2, 2));
    let rows = wait_until_stored(dir.path(), "line 2");
    let seq = rows.last().unwrap().seq;
    host.kill();
    relay.mute_replies(false);
    host = stored_host(dir.path(), port);

    let mut ana = JsonClient::join_over(&host, Conn::connect_to(relay.addr), "ana");
    ana.send(say(3, 2));
    let ack = ana.expect_event_where("ack", |e| e["id"] == 3);
    assert_eq!(ack["seq"].as_u64(), Some(seq), "{ack}");
    ana.send(say(4, 3));
    let next = ana.expect_event_where("ack", |e| e["id"] == 4)["seq"]
        .as_u64()
        .unwrap();
    assert!(next > seq);
    host.stop();
    assert_eq!(stored_texts(dir.path()), ["line 1", "line 2", "line 3"]);
}

/// The issue's test: 1,000 lines piped into `send --retry 20` while the stored host is killed
/// with SIGKILL and started again (same port, same store) twice. Each kill lands mid-stream:
/// the relay drops the host's replies first, and the host is killed once it has committed 33
/// lines whose acks `send` never got; 10 more lines are written while it is down. The store
/// holds each line exactly once, in order, and `send` exits 0.
#[test]
fn with_a_store_a_thousand_lines_through_two_kill_9s_are_stored_once_in_order() {
    let dir = temp_dir();
    let mut host = stored_host(dir.path(), 0);
    let port = host.port();
    let relay = Relay::start(host.addr);
    let (child, mut stdin) = piped_send(&relay.server(), "20");
    let mut written = 0;
    for kill_at in [333, 666] {
        write_lines(&mut stdin, written + 1..=kill_at - 33);
        wait_until_stored(dir.path(), &format!("line {}", kill_at - 33));
        relay.mute_replies(true);
        write_lines(&mut stdin, kill_at - 32..=kill_at);
        wait_until_stored(dir.path(), &format!("line {kill_at}"));
        host.kill();
        relay.mute_replies(false);
        write_lines(&mut stdin, kill_at + 1..=kill_at + 10);
        host = stored_host(dir.path(), port);
        written = kill_at + 10;
    }
    write_lines(&mut stdin, written + 1..=1000);
    drop(stdin);
    let (code, stderr) = wait_for_exit(child);
    assert_eq!(code, Some(0), "{stderr}");
    assert!(stderr.contains("reconnected"), "{stderr}");
    host.stop();
    let stored = stored_texts(dir.path());
    let mut once = HashSet::new();
    let twice: Vec<&String> = stored.iter().filter(|t| !once.insert(*t)).collect();
    assert!(twice.is_empty(), "stored twice: {twice:?}");
    let expected: Vec<String> = (1..=1000).map(|n| format!("line {n}")).collect();
    assert_eq!(stored, expected);
}

/// A room shared through Redis that has lost its Redis refuses messages as `unavailable`:
/// `send --retry` holds the refused line, says so once, and sends it again (the same resend
/// key) until the room takes it; the next line goes out only after it.
#[test]
fn a_line_refused_as_unavailable_is_held_and_sent_again_until_taken() {
    let host = FakeHost::bind();
    let (feeder, mut stdin) = piped_send(&host.server(), "30");
    write_lines(&mut stdin, 1..=2);
    drop(stdin);
    let mut conn = host.accept();
    conn.welcome("feeder", &["feeder"], "");
    // Both lines were on their way before the first refusal came back: both are refused.
    let sent: Vec<Value> = (0..2).map(|_| conn.next_json()).collect();
    for say in &sent {
        conn.send(
            &json!({"type": "error", "id": say["id"], "code": "unavailable",
                    "message": "the room is reconnecting to its Redis"})
            .to_string(),
        );
    }
    conn.send(r#"{"type":"room_back"}"#);
    // Sent again in their order, as the same messages (client id and message id): the room can tell
    // a resend from a repeat. Taken this time.
    for (seq, first) in (1..).zip(&sent) {
        let again = conn.next_json();
        assert_eq!(again["type"], "say", "{again}");
        assert_eq!(again["text"], first["text"], "in order: {again}");
        assert!(
            first["cid"].is_string() && first["mid"].is_u64(),
            "a resend key: {first}"
        );
        assert_eq!(
            (&again["cid"], &again["mid"]),
            (&first["cid"], &first["mid"]),
            "{first} {again}"
        );
        conn.send(&json!({"type": "ack", "id": again["id"], "seq": seq}).to_string());
    }
    let (code, stderr) = wait_for_exit(feeder);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(
        stderr.matches("the room cannot take messages now").count(),
        1,
        "told once: {stderr}"
    );
}
