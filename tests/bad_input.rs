//! Hostile bytes: invalid UTF-8 is replaced (never a disconnect), and control characters and
//! escape sequences are stripped from every message before it is relayed, in both modes, so
//! nobody can paint on anyone else's terminal.

mod harness;

use harness::{Host, JsonClient, PlainClient};
use serde_json::json;

/// What a sender types, and what everyone else must receive.
const STRIPPED: &[(&str, &str)] = &[
    ("lone escape\x1b", "lone escape"),
    ("\x1b[1;31mred\x1b[0m text", "red text"),
    ("\x1b[2J\x1b[Hcleared?", "cleared?"),
    ("\x1b]0;pwned title\x07after osc", "after osc"),
    ("\x1b]8;;http://evil\x1b\\link\x1b]8;;\x1b\\", "link"),
    ("ding\x07dong", "dingdong"),
    ("abc\x08\x08\x08xyz", "abcxyz"),
    ("fake\rreal", "fakereal"),
    ("de\x7fl", "del"),
    ("c1\u{80}\u{85}\u{99}x", "c1x"),
    ("nul\0byte", "nulbyte"),
    ("\u{202e}evil\u{202c} bidi", "evil bidi"),
    ("tab\there", "tab here"),
    ("unicode stays: ünï 世界 🎉", "unicode stays: ünï 世界 🎉"),
];

#[test]
fn control_characters_and_escape_sequences_are_stripped_before_relay() {
    let host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    for (typed, relayed) in STRIPPED {
        alice.say(typed);
        let line = bob.expect_line("alice's next message", |l| l.contains("<alice>"));
        assert_eq!(
            harness::untimestamped(&line),
            format!("<alice> {relayed}"),
            "alice typed {typed:?}"
        );
    }
}

#[test]
fn json_text_is_stripped_the_same_way() {
    let host = Host::start(&[]);
    let mut alice = JsonClient::join(&host, "alice");
    let mut bob = JsonClient::join(&host, "bob");
    let mut carol = PlainClient::join(&host, "carol");
    for (typed, relayed) in STRIPPED {
        alice.send(json!({"type": "say", "text": typed}));
        assert_eq!(
            bob.expect_event("message")["text"],
            *relayed,
            "alice sent {typed:?}"
        );
        carol.expect(&format!("<alice> {relayed}"));
    }
}

#[test]
fn escape_sequences_in_actions_and_private_messages_are_stripped_too() {
    let host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    alice.say("/me \x1b[5mblinks\x07");
    bob.expect("* alice blinks");
    alice.say("/msg bob \x1b]0;owned\x07hi");
    bob.expect("[pm from alice] hi");
}

#[test]
fn invalid_utf8_is_replaced_and_the_connection_stays() {
    let host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    alice.send_raw(b"caf\xc3 and \xff\xfe ok\n");
    let line = bob.expect_line("alice's message", |l| l.contains("<alice>"));
    let text = harness::untimestamped(&line);
    assert!(
        text.starts_with("<alice> caf\u{FFFD}") && text.ends_with(" ok"),
        "invalid bytes should become U+FFFD: {text:?}"
    );
    assert!(
        !text.contains("\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}"),
        "{text:?}"
    );
    alice.say("still connected");
    bob.expect("<alice> still connected");
}

#[test]
fn invalid_utf8_in_json_mode_does_not_close_the_connection() {
    let host = Host::start(&[]);
    let mut bot = JsonClient::join(&host, "bot");
    bot.send_raw(b"{\"type\":\"say\",\"text\":\"bad \xff byte\",\"id\":1}\n");
    let reply = bot.next_event();
    assert!(
        reply["type"] == "ack" || reply["type"] == "error",
        "the host answers the line: {reply}"
    );
    bot.send(json!({"type": "say", "text": "fine", "id": 2}));
    assert_eq!(bot.expect_event("ack")["id"], 2);
}

#[test]
fn a_nick_line_of_invalid_utf8_is_refused_not_fatal() {
    let host = Host::start(&[]);
    let mut client = PlainClient::connect(&host);
    client.send_raw(b"\xff\xfe\n");
    client.expect_error();
    client.choose_nick("alice");
}

#[test]
fn a_message_that_is_only_control_characters_is_not_relayed() {
    let host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    alice.say("\x1b[2J\x07\x08");
    alice.say("visible");
    let next = bob.expect_line("alice's next message", |l| l.contains("<alice>"));
    assert_eq!(harness::untimestamped(&next), "<alice> visible");
}
