//! Clean shutdown on Ctrl-C (SIGINT) and SIGTERM: every plain client receives `<quit>`, every
//! JSON client a `quit` event, what was already queued is still delivered, the sockets close and
//! the host exits 0. A second Ctrl-C does not wait for anyone: the host exits 130 at once.
#![cfg(unix)]

mod harness;

use harness::{Host, JsonClient, PlainClient};
use nix::sys::signal::Signal;

fn shuts_down_cleanly_on(signal: Signal) {
    let mut host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = JsonClient::join(&host, "bob");
    let mut carol = PlainClient::join(&host, "carol");
    alice.say("before the end");
    carol.expect("<alice> before the end");
    bob.expect_event("message");

    host.signal(signal);

    for plain in [&mut alice, &mut carol] {
        plain.expect_line("the line `<quit>`", |l| l == "<quit>");
        plain.expect_closed();
    }
    let quit = bob.expect_event("quit");
    assert!(
        quit["reason"].is_string(),
        "the quit event gives a reason: {quit}"
    );
    bob.expect_closed();
    let status = host.wait_for_exit();
    assert_eq!(status.code(), Some(0), "console:\n{}", host.console());
}

#[test]
fn ctrl_c_tells_every_client_and_exits_0() {
    shuts_down_cleanly_on(Signal::SIGINT);
}

#[test]
fn sigterm_tells_every_client_and_exits_0() {
    shuts_down_cleanly_on(Signal::SIGTERM);
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
    let mut host = Host::start(&["--outbox", "100000", "--rate-limit", "0"]);
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
