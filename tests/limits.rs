//! The room's explicit limits: room size (`--max-clients`), the handshake timeout
//! (`--handshake-timeout`) and the longest line (`--max-line`). Each limit answers with a one-line
//! error; only the room-full and handshake cases close the connection.

mod harness;

use harness::{Conn, Host, JsonClient, PlainClient, assert_not_delivered};
use serde_json::json;
use std::time::Duration;

/// Connects one plain client too many: reads the greeting (which says the room is full),
/// offers `nick` all the same, and returns every line received until the host closed the
/// connection.
fn turned_away_plain(host: &Host, nick: &str) -> Vec<String> {
    let mut conn = Conn::connect(host);
    let greeting = conn.next_line();
    assert!(
        greeting.ends_with("is full (2/2); try again later."),
        "{greeting}"
    );
    conn.send_line(nick);
    conn.expect_closed();
    conn.received().to_vec()
}

#[test]
fn a_client_over_max_clients_is_told_the_room_is_full_and_closed() {
    let host = Host::start(&["--max-clients", "2"]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    let lines = turned_away_plain(&host, "carol");
    assert!(
        lines.iter().any(|l| l == "error: room is full (2/2)"),
        "carol got: {lines:#?}"
    );
    assert!(
        !lines.iter().any(|l| l.starts_with("*** welcome")),
        "{lines:#?}"
    );
    assert_not_delivered(&mut bob, &mut alice, "carol");
}

#[test]
fn a_json_client_over_max_clients_gets_room_full_and_is_closed() {
    let host = Host::start(&["--max-clients", "1"]);
    let _alice = JsonClient::join(&host, "alice");
    let mut bot = Conn::connect(&host);
    bot.next_line(); // The greeting, which says the room is full.
    bot.send_line(&json!({"type": "hello", "v": 1, "nick": "bot"}).to_string());
    let reply = harness::parse_event(&bot.next_line());
    assert_eq!(
        (&reply["type"], &reply["code"]),
        (&json!("error"), &json!("room_full"))
    );
    bot.expect_closed();
}

#[test]
fn a_slot_freed_by_quit_is_reusable_at_once() {
    let host = Host::start(&["--max-clients", "2"]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    alice.say("/quit");
    bob.expect("*** alice left (quit)");
    let _carol = PlainClient::join(&host, "carol");
    bob.expect("*** carol joined (2 here)");
}

#[test]
fn a_slot_freed_by_a_dropped_connection_is_reusable_at_once() {
    let host = Host::start(&["--max-clients", "2"]);
    let alice = JsonClient::join(&host, "alice");
    let mut bob = JsonClient::join(&host, "bob");
    alice.disconnect();
    bob.expect_event("leave");
    let _carol = JsonClient::join(&host, "carol");
}

#[test]
fn a_connection_that_never_sends_a_nick_is_told_and_closed() {
    let host = Host::start(&["--handshake-timeout", "1"]);
    let mut idle = Conn::connect(&host);
    let lines = idle.expect_closed();
    let error = lines.iter().find(|l| l.starts_with("error:"));
    assert!(
        error.is_some_and(|e| e.contains("1 s") || e.to_lowercase().contains("time")),
        "expected an error naming the time limit before closing, got {lines:#?}"
    );
}

#[test]
fn a_json_client_stuck_in_its_handshake_gets_handshake_timeout() {
    let host = Host::start(&["--handshake-timeout", "1"]);
    let mut bot = JsonClient::connect(&host);
    assert_eq!(bot.hello("not valid!")["code"], "nick_invalid");
    assert_eq!(bot.next_event()["code"], "handshake_timeout");
    bot.expect_closed();
}

#[test]
fn joined_clients_are_not_subject_to_the_handshake_timeout() {
    let host = Host::start(&["--handshake-timeout", "1"]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut carol = PlainClient::join(&host, "carol");
    // Outlive the timeout by watching someone else hit it.
    Conn::connect(&host).expect_closed_within(Duration::from_secs(5));
    alice.say("still here");
    carol.expect("<alice> still here");
}

#[test]
fn a_line_over_max_line_is_refused_and_the_connection_still_works() {
    let host = Host::start(&["--max-line", "64"]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    alice.say(&"x".repeat(65));
    let error = alice.expect_error();
    assert!(
        error.contains("long"),
        "error should say the line is too long: {error}"
    );
    let longest = "y".repeat(64);
    alice.say(&longest);
    bob.expect(&format!("<alice> {longest}"));
    assert_not_delivered(&mut alice, &mut bob, "xxx");
}

#[test]
fn a_long_line_is_discarded_up_to_the_next_newline() {
    let host = Host::start(&["--max-line", "64"]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    alice.send_raw("a".repeat(100).as_bytes());
    alice.send_raw(b"TAIL-FRAGMENT\nafter\n");
    let next = bob.expect_line("alice's next message", |l| l.contains("<alice>"));
    assert_eq!(harness::untimestamped(&next), "<alice> after");
    assert_not_delivered(&mut bob, &mut alice, "TAIL");
    let errors = alice
        .received()
        .iter()
        .filter(|l| l.starts_with("error:"))
        .count();
    assert_eq!(errors, 1, "one error for one long line:\n{:?}", *alice);
}

#[test]
fn a_megabyte_line_does_not_break_the_connection() {
    let host = Host::start(&["--max-line", "64"]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    let mut huge = "z".repeat(1 << 20);
    huge.push_str("\nafter the flood\n");
    alice.send_raw(huge.as_bytes());
    alice.expect_error();
    bob.expect("<alice> after the flood");
}

#[test]
fn a_json_line_over_max_line_is_line_too_long_and_the_connection_stays() {
    let host = Host::start(&["--max-line", "64"]);
    let mut bot = JsonClient::join(&host, "bot");
    bot.send(json!({"type": "say", "text": "q".repeat(100), "id": 1}));
    assert_eq!(bot.expect_event("error")["code"], "line_too_long");
    bot.send(json!({"type": "say", "text": "short", "id": 2}));
    assert_eq!(bot.expect_event("ack")["id"], 2);
}

#[test]
fn a_client_streaming_an_endless_line_does_not_starve_the_room() {
    use std::io::Write;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    let host = Host::start(&["--rate-limit", "0"]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    let flooder = PlainClient::join(&host, "flood");
    let stop = Arc::new(AtomicBool::new(false));
    let mut stream = flooder.stream().try_clone().unwrap();
    let flooding = {
        let stop = Arc::clone(&stop);
        std::thread::spawn(move || {
            // No newline, ever: bounded by the stop flag and by 4 GiB, whichever comes first.
            let chunk = vec![b'x'; 64 * 1024];
            for _ in 0..65_536 {
                if stop.load(Ordering::SeqCst) || stream.write_all(&chunk).is_err() {
                    break;
                }
            }
        })
    };
    for round in 0..3 {
        alice.say(&format!("still here {round}"));
        bob.expect(&format!("<alice> still here {round}"));
    }
    stop.store(true, Ordering::SeqCst);
    flooding.join().unwrap();
}
