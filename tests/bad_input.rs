//! Hostile bytes: invalid UTF-8 is replaced (never a disconnect), control characters and
//! escape sequences are stripped from every message before it is relayed, in both modes, so
//! nobody can paint on anyone else's terminal; lines end at `\n`, `\r\n` or a lone `\r`, the
//! last line of a connection is held to `--max-line` like any other, and a JSON text holding a
//! line break is refused rather than glued.

mod harness;

use std::net::Shutdown;

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
    ("de\x7fl", "del"),
    ("c1\u{80}\u{85}\u{99}x", "c1x"),
    ("nul\0byte", "nulbyte"),
    ("\u{202e}evil\u{202c} bidi", "evil bidi"),
    ("tab\there", "tab here"),
    ("charset\x1b(0 switch", "charset switch"),
    ("arabic\u{61c} mark", "arabic mark"),
    ("line\u{2028}para\u{2029}graph", "line para graph"),
    (
        "ze\u{200b}ro\u{200c}wi\u{200d}dth\u{2060}\u{feff}",
        "zerowidth",
    ),
    ("tags\u{e0001}\u{e0068}\u{e0069}\u{e007f}", "tags"),
    ("anno\u{fff9}ta\u{fffa}ti\u{fffb}on", "annotation"),
    ("fill\u{3164}\u{2800}er", "filler"),
    (
        "zalgo Z\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}\u{301}",
        "zalgo Z\u{301}\u{301}\u{301}\u{301}",
    ),
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

#[test]
fn a_last_line_over_max_line_before_a_half_close_is_refused() {
    let host = Host::start(&["--max-line", "64"]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    alice.say("fits");
    bob.expect("<alice> fits");
    let too_long = "y".repeat(65);
    alice.send_raw(too_long.as_bytes());
    alice.stream().shutdown(Shutdown::Write).unwrap();
    bob.expect("*** alice left (connection lost)");
    assert!(!bob.has_seen(&too_long), "relayed: {:?}", bob.received());
}

#[test]
fn a_line_ending_in_a_lone_cr_is_a_line() {
    let host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    alice.send_raw(b"hello\r");
    bob.expect("<alice> hello");
    // The `\n` of a `\r\n` split between two writes is the same line end, not a blank line.
    alice.send_raw(b"world\r");
    bob.expect("<alice> world");
    alice.send_raw(b"\nagain\r\n");
    bob.expect("<alice> again");
    let mut json = JsonClient::join(&host, "bot");
    json.send_raw(b"{\"type\":\"say\",\"text\":\"cr only\",\"id\":1}\r");
    assert_eq!(json.expect_event("ack")["id"], 1);
    bob.expect("<bot> cr only");
}

#[test]
fn a_json_text_holding_a_line_break_is_refused_with_its_id() {
    let host = Host::start(&[]);
    let mut bot = JsonClient::join(&host, "bot");
    let mut bob = PlainClient::join(&host, "bob");
    bot.send(json!({"type": "say", "text": "a\nb", "id": 1}));
    let error = bot.expect_event("error");
    assert_eq!(
        (&error["code"], &error["id"]),
        (&"bad_request".into(), &1.into())
    );
    assert!(
        error["message"].as_str().unwrap().contains("line break"),
        "{error}"
    );
    bot.say("after");
    bob.expect("<bot> after");
    assert!(!bob.has_seen("<bot> ab"), "glued: {:?}", bob.received());
}
