//! `chatroom send`: MESSAGE words, one message per piped line (1,000 of them, all delivered in
//! order), `--to`, `--me`, the SERVER forms, and the documented exit codes with a clear stderr
//! when it cannot connect (3) or the room turns it away (4).

mod harness;

use std::net::TcpListener;
use std::thread;

use harness::{Host, JsonClient, PlainClient, assert_not_delivered, send};
use predicates::prelude::*;

#[test]
fn message_words_are_joined_into_one_message() {
    let host = Host::start(&[]);
    let mut bob = PlainClient::join(&host, "bob");
    send(
        &host.server(),
        &["--nick", "ci", "build", "41", "is", "green"],
    )
    .assert()
    .success();
    bob.expect("*** ci joined (2 here)");
    bob.expect("<ci> build 41 is green");
    bob.expect("*** ci left (quit)");
}

#[test]
fn a_thousand_piped_lines_arrive_in_order() {
    let host = Host::start(&["--rate-limit", "0"]);
    let mut watcher = JsonClient::join(&host, "watcher");
    let mut input: String = (1..=1000).map(|i| format!("line {i:04}\n")).collect();
    input.insert_str(input.len() / 2, "\n   \n"); // blank lines are not messages
    let server = host.server();
    let sending = thread::spawn(move || {
        send(&server, &["--nick", "ci"])
            .write_stdin(input)
            .assert()
            .success();
    });
    for i in 1..=1000 {
        let message = watcher.expect_event("message");
        assert_eq!(message["from"], "ci");
        assert_eq!(message["text"], format!("line {i:04}"));
    }
    sending.join().expect("chatroom send succeeded");
    let leave = watcher.expect_event("leave");
    assert_eq!(
        (&leave["nick"], &leave["reason"]),
        (&"ci".into(), &"quit".into())
    );
}

#[test]
fn to_sends_privately() {
    let host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    send(
        &host.server(),
        &[
            "--nick", "ci", "--to", "alice", "your", "build", "is", "green",
        ],
    )
    .assert()
    .success();
    alice.expect("[pm from ci] your build is green");
    assert_not_delivered(&mut alice, &mut bob, "build is green");
}

#[test]
fn me_sends_an_action() {
    let host = Host::start(&[]);
    let mut bob = PlainClient::join(&host, "bob");
    send(&host.server(), &["--nick", "ci", "--me", "deploys", "v2"])
        .assert()
        .success();
    bob.expect("* ci deploys v2");
}

#[test]
fn server_as_host_with_port_flag() {
    let host = Host::start(&[]);
    let mut bob = PlainClient::join(&host, "bob");
    let port = host.port().to_string();
    send("127.0.0.1", &["--port", &port, "--nick", "ci", "via", "-p"])
        .assert()
        .success();
    bob.expect("<ci> via -p");
}

#[test]
fn server_as_localhost_with_port() {
    let host = Host::start(&[]);
    let mut bob = PlainClient::join(&host, "bob");
    send(
        &format!("localhost:{}", host.port()),
        &["--nick", "ci", "by", "name"],
    )
    .assert()
    .success();
    bob.expect("<ci> by name");
}

#[test]
fn the_nick_can_come_from_chatroom_nick() {
    let host = Host::start(&[]);
    let mut bob = PlainClient::join(&host, "bob");
    send(&host.server(), &["from", "env"])
        .env("CHATROOM_NICK", "envbot")
        .assert()
        .success();
    bob.expect("<envbot> from env");
}

#[test]
fn a_closed_port_exits_3_naming_the_address() {
    let server = format!("127.0.0.1:{}", harness::closed_port());
    send(&server, &["--nick", "ci", "hello?"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(server.as_str()))
        .stderr(predicate::str::contains("connection refused"));
}

#[test]
fn a_host_that_never_answers_exits_3_after_the_timeout() {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = silent.local_addr().unwrap().to_string();
    send(&server, &["--nick", "ci", "--timeout", "1", "anyone?"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(server.as_str()));
}

#[test]
fn a_taken_nick_exits_4_saying_so() {
    let host = Host::start(&[]);
    let _alice = PlainClient::join(&host, "alice");
    send(&host.server(), &["--nick", "Alice", "hi"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("Alice").or(predicate::str::contains("alice")))
        .stderr(predicate::str::contains("taken"));
}

#[test]
fn an_invalid_nick_exits_4() {
    let host = Host::start(&[]);
    send(&host.server(), &["--nick", "not valid", "hi"])
        .assert()
        .code(4)
        .stderr(predicate::str::is_empty().not());
}

#[test]
fn a_full_room_exits_4() {
    let host = Host::start(&["--max-clients", "1"]);
    let _alice = PlainClient::join(&host, "alice");
    send(&host.server(), &["--nick", "ci", "hi"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("full"));
}

#[test]
fn a_pm_to_nobody_is_refused_with_exit_1() {
    let host = Host::start(&[]);
    send(&host.server(), &["--nick", "ci", "--to", "eve", "hi"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("eve"));
}

#[test]
fn a_paced_sender_just_takes_longer() {
    let host = Host::start(&["--rate-limit", "50", "--burst", "5"]);
    let mut watcher = JsonClient::join(&host, "watcher");
    let input: String = (1..=30).map(|i| format!("paced {i}\n")).collect();
    send(&host.server(), &["--nick", "ci"])
        .write_stdin(input)
        .assert()
        .success();
    for i in 1..=30 {
        assert_eq!(
            watcher.expect_event("message")["text"],
            format!("paced {i}")
        );
    }
}

#[test]
fn a_message_over_max_line_is_refused_with_exit_1() {
    let host = Host::start(&["--max-line", "64"]);
    send(&host.server(), &["--nick", "ci", &"x".repeat(100)])
        .assert()
        .code(1)
        .stderr(predicate::str::is_empty().not());
}
