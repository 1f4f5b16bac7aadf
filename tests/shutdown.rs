//! Clean shutdown on Ctrl-C (SIGINT) and SIGTERM: every plain client receives `<quit>`, every
//! JSON client a `quit` event, what was already queued is still delivered, the sockets close and
//! the host exits 0. A second Ctrl-C does not wait for anyone: the host exits 130 at once.
#![cfg(unix)]

mod harness;

use harness::{Host, JsonClient, PlainClient};
use nix::sys::signal::Signal;

/// Members in both dialects, `members` of them alternating plain and JSON (connected one after
/// the other, so spread over every shard), hear the end and are closed; the host exits 0.
fn shuts_down_cleanly_on(signal: Signal, host_args: &[&str], members: usize) {
    let mut host = Host::start(host_args);
    let mut plain: Vec<PlainClient> = Vec::new();
    let mut json: Vec<JsonClient> = Vec::new();
    for i in 0..members {
        if i % 2 == 0 {
            plain.push(PlainClient::join(&host, &format!("plain{i}")));
        } else {
            json.push(JsonClient::join(&host, &format!("json{i}")));
        }
    }
    plain[0].say("before the end");
    for listener in &mut plain[1..] {
        listener.expect("<plain0> before the end");
    }
    for listener in &mut json {
        listener.expect_message("plain0", "say", "before the end");
    }

    host.signal(signal);

    for client in &mut plain {
        client.expect_line("the line `<quit>`", |l| l == "<quit>");
        client.expect_closed();
    }
    for client in &mut json {
        let quit = client.expect_event("quit");
        assert!(
            quit["reason"].is_string(),
            "the quit event gives a reason: {quit}"
        );
        client.expect_closed();
    }
    let status = host.wait_for_exit();
    assert_eq!(status.code(), Some(0), "console:\n{}", host.console());
}

#[test]
fn ctrl_c_tells_every_client_and_exits_0() {
    shuts_down_cleanly_on(Signal::SIGINT, &[], 3);
}

#[test]
fn sigterm_tells_every_client_and_exits_0() {
    shuts_down_cleanly_on(Signal::SIGTERM, &[], 3);
}

#[test]
fn ctrl_c_tells_the_clients_of_every_shard() {
    shuts_down_cleanly_on(Signal::SIGINT, &["--threads", "4"], 8);
}

#[test]
fn a_client_still_in_its_handshake_is_closed_too() {
    let mut host = Host::start(&[]);
    let mut waiting = harness::Conn::connect(&host);
    waiting.next_line();
    host.signal(Signal::SIGINT);
    waiting.expect_closed();
    assert_eq!(host.wait_for_exit().code(), Some(0));
}

#[test]
fn a_room_with_nobody_in_it_exits_0_at_once() {
    let mut host = Host::start(&[]);
    host.signal(Signal::SIGTERM);
    assert_eq!(host.wait_for_exit().code(), Some(0));
}

#[test]
fn a_second_ctrl_c_exits_at_once_even_with_a_client_still_owed_data() {
    let mut host = Host::start(&["--outbox", "100000", "--rate-limit", "0", "--threads", "4"]);
    // A client that never reads, with the kernel buffers towards it full: a clean shutdown would
    // now wait out its whole flush grace for it.
    let _staller = PlainClient::join_with_small_receive_buffer(&host, "staller");
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    let payload = "p".repeat(4000);
    for i in 0..2500 {
        alice.say(&format!("{i} {payload}"));
        bob.expect(&format!("<alice> {i} {payload}"));
    }

    host.signal(Signal::SIGINT);
    host.wait_for_console("the first Ctrl-C's notice", |c| {
        c.contains("closing the room")
    });
    host.signal(Signal::SIGINT);
    let status = host.wait_for_exit();
    assert_eq!(status.code(), Some(130), "console:\n{}", host.console());
}
