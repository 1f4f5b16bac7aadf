//! Slow readers: a client that stops reading never holds up the room. Everyone else keeps
//! receiving everything, in order, and once the staller's `--outbox` is full it is disconnected
//! with the leave reason `sendq_exceeded`.
//!
//! The kernel buffers megabytes between the host and a stalled socket before the host's own
//! queue starts to fill, so these tests push 4 KB messages until the observer sees the staller
//! leave (the staller's receive buffer is shrunk to make that quicker). The writer stays at most
//! [`WINDOW`] messages ahead of the observer: a reader that keeps up must never be the one
//! dropped, and with no rate limit an unpaced writer could outrun any reader.

mod harness;

use std::time::Duration;

use harness::{Host, JsonClient, PlainClient};

const ROOM: &[&str] = &["--outbox", "16", "--rate-limit", "0"];
/// How far the writer may run ahead of the observer, well under the outbox of 16.
const WINDOW: usize = 4;
/// Give up (and fail) if the staller is still in the room after this many messages (~40 MB).
const MAX_MESSAGES: usize = 10_000;

/// One relevant thing an observer received.
enum Seen {
    /// A public message from the writer, by its text.
    Message(String),
    /// The staller's leave notice, with its reason.
    StallerLeft(String),
    Other,
}

/// Joins a writer, `alice`, who posts numbered 4 KB messages until `observe` reports the staller
/// left, then `done`. Asserts the observer received every message in order and returns the leave
/// reason it saw; finally checks the staller's connection really was closed.
fn flood_past_a_staller(
    host: &Host,
    mut staller: PlainClient,
    mut observe: impl FnMut() -> Seen,
) -> String {
    let mut alice = PlainClient::join(host, "alice");
    let payload = "p".repeat(4000);
    let (mut sent, mut received) = (0, 0);
    let mut reason = None;
    let mut writing = true;
    loop {
        while writing && sent < received + WINDOW {
            alice.say(&format!("{sent:06} {payload}"));
            sent += 1;
            if sent == MAX_MESSAGES {
                alice.say("done");
                writing = false;
            }
        }
        match observe() {
            Seen::Message(text) if text == "done" => break,
            Seen::Message(text) => {
                assert_eq!(
                    text[..6],
                    format!("{received:06}"),
                    "messages arrive in order"
                );
                received += 1;
            }
            Seen::StallerLeft(why) => {
                reason = Some(why);
                if writing {
                    alice.say("done");
                    writing = false;
                }
            }
            Seen::Other => {}
        }
    }
    assert_eq!(received, sent, "the observer received every message");
    let reason =
        reason.unwrap_or_else(|| panic!("the staller was never disconnected ({sent} messages)"));
    // What the kernel still held for the staller drains, then the connection ends.
    staller.expect_closed_within(Duration::from_secs(20));
    reason
}

/// What a plain-mode observer's next line is.
fn plain_observer(observer: &mut PlainClient) -> Seen {
    let line = observer.next_line();
    let body = harness::untimestamped(&line);
    if let Some(text) = body.strip_prefix("<alice> ") {
        Seen::Message(text.to_string())
    } else if let Some(why) = body.strip_prefix("*** staller left (") {
        Seen::StallerLeft(why.trim_end_matches(')').to_string())
    } else {
        Seen::Other
    }
}

/// The plain wording of the reason is free; JSON carries the `sendq_exceeded` code.
fn assert_plain_sendq_reason(reason: &str) {
    assert!(
        ["sendq_exceeded", "send queue"]
            .iter()
            .any(|w| reason.contains(w)),
        "{reason}"
    );
}

#[test]
fn a_stalled_plain_reader_is_dropped_while_the_room_receives_everything() {
    let host = Host::start(ROOM);
    let staller = PlainClient::join_with_small_receive_buffer(&host, "staller");
    let mut bob = PlainClient::join(&host, "bob");
    let reason = flood_past_a_staller(&host, staller, || plain_observer(&mut bob));
    assert_plain_sendq_reason(&reason);
}

#[test]
fn a_staller_does_not_slow_the_members_of_its_own_shard() {
    let mut args = ROOM.to_vec();
    args.extend(["--threads", "4"]);
    let host = Host::start(&args);
    // Connections go to the four shards in turn: the staller is on the first, and so is the
    // fifth connection, bob; alice, the writer, is the sixth, on the second shard.
    let staller = PlainClient::join_with_small_receive_buffer(&host, "staller");
    let _others: Vec<PlainClient> = (1..4)
        .map(|i| PlainClient::join(&host, &format!("other{i}")))
        .collect();
    let mut bob = PlainClient::join(&host, "bob");
    let reason = flood_past_a_staller(&host, staller, || plain_observer(&mut bob));
    assert_plain_sendq_reason(&reason);
}

#[test]
fn a_json_observer_sees_the_staller_leave_with_sendq_exceeded() {
    let host = Host::start(ROOM);
    let staller = PlainClient::join_with_small_receive_buffer(&host, "staller");
    let mut bot = JsonClient::join(&host, "bot");
    let reason = flood_past_a_staller(&host, staller, || {
        let event = bot.next_event();
        match event["type"].as_str() {
            Some("message") if event["from"] == "alice" => {
                Seen::Message(event["text"].as_str().unwrap().to_string())
            }
            Some("leave") if event["nick"] == "staller" => {
                Seen::StallerLeft(event["reason"].as_str().unwrap_or_default().to_string())
            }
            _ => Seen::Other,
        }
    });
    assert_eq!(reason, "sendq_exceeded");
}
