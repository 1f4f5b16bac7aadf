//! Nickname rules: 1 to 24 ASCII letters, digits, `_`, `-`, `.`, starting with a letter or digit;
//! unique ignoring case; reserved names refused. A refused nick gets an error saying which rule it
//! broke, and the host waits for another one (plain and JSON), also for `/nick` renames.

mod harness;

use harness::{Host, JsonClient, PlainClient, assert_not_delivered};
use serde_json::json;

/// A nick that breaks a rule, and words one of which the error must use to name that rule.
const INVALID: &[(&str, &[&str])] = &[
    ("abcdefghijklmnopqrstuvwxy", &["24", "long"]),
    ("_alice", &["start", "begin", "first"]),
    ("-alice", &["start", "begin", "first"]),
    (".alice", &["start", "begin", "first"]),
    ("al ice", &["letter", "character", "allowed"]),
    ("alice!", &["letter", "character", "allowed"]),
    ("bob@home", &["letter", "character", "allowed"]),
    ("\u{430}lice", &["ascii", "letter", "character"]),
    ("server", &["reserved"]),
    ("Admin", &["reserved"]),
    ("EVERYONE", &["reserved"]),
];

fn names_the_rule(error: &str, words: &[&str]) -> bool {
    let error = error.to_lowercase();
    words.iter().any(|w| error.contains(w))
}

#[test]
fn each_invalid_nick_is_refused_with_its_rule_and_another_is_awaited() {
    let host = Host::start(&[]);
    let mut client = PlainClient::connect(&host);
    for (nick, rule_words) in INVALID {
        let error = client
            .try_nick(nick)
            .expect_err(&format!("nick {nick:?} must be refused"));
        assert!(error.starts_with("error: "), "{error}");
        assert!(
            names_the_rule(&error, rule_words),
            "the error for {nick:?} should name its rule (one of {rule_words:?}): {error}"
        );
    }
    client.choose_nick("alice");
}

#[test]
fn nicks_at_the_edges_of_the_rules_are_accepted() {
    let host = Host::start(&[]);
    for nick in [
        "a",
        "abcdefghijklmnopqrstuvwx",
        "x_y-z.1",
        "9lives",
        "UPPER",
    ] {
        PlainClient::join(&host, nick);
    }
}

#[test]
fn a_taken_nick_is_refused_ignoring_case() {
    let host = Host::start(&[]);
    let _alice = PlainClient::join(&host, "alice");
    let mut other = PlainClient::connect(&host);
    let error = other
        .try_nick("ALICE")
        .expect_err("ALICE is taken by alice");
    assert!(
        names_the_rule(&error, &["taken", "in use", "already"]),
        "the error should say the nick is taken: {error}"
    );
    other.choose_nick("alice2");
}

#[test]
fn json_hello_with_an_invalid_nick_is_nick_invalid_and_another_hello_is_awaited() {
    let host = Host::start(&[]);
    let mut bot = JsonClient::connect(&host);
    let error = bot.hello("bad nick");
    assert_eq!(
        (&error["type"], &error["code"]),
        (&json!("error"), &json!("nick_invalid"))
    );
    assert_eq!(bot.hello("good-nick")["type"], "welcome");
}

#[test]
fn json_hello_with_a_reserved_nick_is_refused() {
    let host = Host::start(&[]);
    let mut bot = JsonClient::connect(&host);
    let error = bot.hello("Root");
    assert_eq!(error["type"], "error");
    assert_eq!(error["code"], "nick_invalid");
    assert!(
        names_the_rule(error["message"].as_str().unwrap(), &["reserved"]),
        "{error}"
    );
}

#[test]
fn json_hello_with_a_taken_nick_is_nick_taken() {
    let host = Host::start(&[]);
    let _alice = PlainClient::join(&host, "alice");
    let mut bot = JsonClient::connect(&host);
    let error = bot.hello("Alice");
    assert_eq!(
        (&error["type"], &error["code"]),
        (&json!("error"), &json!("nick_taken"))
    );
    assert_eq!(bot.hello("bot")["type"], "welcome");
}

#[test]
fn renaming_to_a_taken_or_invalid_nick_is_refused_and_the_nick_is_kept() {
    let host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    for bad in ["BOB", "no spaces", "system"] {
        alice.say(&format!("/nick {bad}"));
        alice.expect_error();
    }
    alice.say("same old me");
    bob.expect("<alice> same old me");
    assert_not_delivered(&mut alice, &mut bob, " is now ");
}

#[test]
fn json_rename_to_an_invalid_nick_is_an_error_with_the_id() {
    let host = Host::start(&[]);
    let mut bot = JsonClient::join(&host, "bot");
    bot.send(json!({"type": "nick", "nick": "-dash", "id": 11}));
    let error = bot.expect_event("error");
    assert_eq!(
        (&error["code"], &error["id"]),
        (&json!("nick_invalid"), &json!(11))
    );
}

#[test]
fn nicknames_that_look_like_a_present_members_are_refused() {
    let host = Host::start(&[]);
    let _alice = PlainClient::join(&host, "alice");
    let mut mallory = PlainClient::connect(&host);
    for lookalike in ["a1ice", "aIice", "alice.", "ALICE"] {
        let refused = mallory
            .try_nick(lookalike)
            .expect_err("a lookalike is refused");
        assert!(
            refused.to_lowercase().contains("alice"),
            "{lookalike}: {refused}"
        );
    }
    assert!(mallory.try_nick("mallory").is_ok());
}

#[test]
fn a_nickname_given_up_cannot_be_taken_from_elsewhere_and_messages_to_it_say_where_it_went() {
    let host = Host::start(&[]);
    // Three machines: alice's, mallory's, and bob's (127.0.0.1).
    let mut alice = harness::Conn::connect_from(&host, "127.0.0.2");
    alice.next_line();
    alice.send_line("alice");
    alice.expect_line("alice's welcome", |l| l.starts_with("*** welcome"));
    let mut bob = PlainClient::join(&host, "bob");
    alice.send_line("/nick alice_afk");
    bob.expect("*** alice is now alice_afk");

    let mut mallory = harness::Conn::connect_from(&host, "127.0.0.3");
    mallory.next_line();
    mallory.send_line("alice");
    let refused = mallory.expect_line("the refusal", |l| l.starts_with("error:"));
    assert!(refused.contains("given up a moment ago"), "{refused}");

    bob.say("/msg alice SECRET");
    let error = bob.expect_error();
    assert_eq!(
        error,
        "error: no one called 'alice' is here: they are now 'alice_afk'"
    );
    // Alice herself may take it back at once.
    alice.send_line("/nick alice");
    bob.expect("*** alice_afk is now alice");
}
