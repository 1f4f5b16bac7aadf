//! Plain mode, the way `nc` users chat: the greeting, the welcome, messages, actions, private
//! messages, join/leave/rename notices and every command of the README's table.

mod harness;

use harness::{Host, PlainClient, assert_not_delivered, untimestamped};

#[test]
fn the_greeting_is_one_plain_line_naming_the_room() {
    let host = Host::start(&["--name", "ops"]);
    let mut conn = harness::Conn::connect(&host);
    let greeting = conn.next_line();
    assert_eq!(
        greeting,
        "chatroom: welcome to ops. Type a nickname and press Enter (within 10 s)."
    );
    assert!(!greeting.starts_with('{'));
}

#[test]
fn a_full_room_says_so_in_its_greeting_and_still_refuses_a_hello_in_its_dialect() {
    let host = Host::start(&["--name", "ops", "--max-clients", "1"]);
    let only = PlainClient::join(&host, "only");
    let mut late = harness::Conn::connect(&host);
    assert_eq!(
        late.next_line(),
        "chatroom: ops is full (1/1); try again later."
    );
    late.send_line("late");
    late.expect_line("the refusal", |l| l == "error: room is full (1/1)");
    late.expect_closed();
    // Once there is space again, the greeting is the usual one.
    only.disconnect();
    let deadline = std::time::Instant::now() + harness::TIMEOUT;
    loop {
        let mut next = harness::Conn::connect(&host);
        if next.next_line() == harness::greeting("ops", host.handshake_timeout) {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the room never had space again"
        );
    }
}

#[test]
fn the_welcome_names_the_room_everyone_here_and_the_motd() {
    let host = Host::start(&["--name", "ops", "--motd", "be kind"]);
    let _alice = PlainClient::join(&host, "alice");
    let _bob = PlainClient::join(&host, "bob");
    let mut carol = PlainClient::connect(&host);
    let welcome = carol.choose_nick("carol");
    assert_eq!(
        welcome,
        [
            "*** welcome to ops, carol (3 here: alice, bob, carol)",
            "*** motd: be kind",
            "*** type /help for commands",
        ]
    );
}

#[test]
fn messages_reach_everyone_but_the_sender() {
    let host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    let mut carol = PlainClient::join(&host, "carol");
    alice.say("hello room");
    let line = bob.expect("<alice> hello room");
    carol.expect("<alice> hello room");
    assert_ne!(
        untimestamped(&line),
        line,
        "messages carry a [HH:MM:SS] stamp"
    );
    assert_not_delivered(&mut bob, &mut alice, "hello room");
}

#[test]
fn unicode_messages_arrive_intact() {
    let host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    alice.say("héllo 世界 🎉 Ωmega");
    bob.expect("<alice> héllo 世界 🎉 Ωmega");
}

#[test]
fn crlf_line_endings_are_accepted() {
    let host = Host::start(&[]);
    let mut bob = PlainClient::join(&host, "bob");
    let mut alice = PlainClient::connect(&host);
    alice.send_raw(b"alice\r\n");
    alice.expect("*** type /help for commands");
    bob.expect("*** alice joined (2 here)");
    alice.send_raw(b"hi there\r\n");
    bob.expect("<alice> hi there");
}

#[test]
fn me_sends_an_action() {
    let host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    alice.say("/me waves");
    bob.expect("* alice waves");
}

#[test]
fn double_slash_sends_a_literal_slash() {
    let host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    alice.say("//etc/hosts is the file");
    bob.expect("<alice> /etc/hosts is the file");
}

#[test]
fn joins_and_leaves_are_announced_with_the_count() {
    let host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    let _bob = PlainClient::join(&host, "bob");
    alice.expect("*** bob joined (2 here)");
    let mut carol = PlainClient::join(&host, "carol");
    alice.expect("*** carol joined (3 here)");
    carol.say("/quit");
    carol.expect_closed();
    alice.expect("*** carol left (quit)");
}

#[test]
fn a_dropped_connection_is_announced_as_a_leave_not_a_quit() {
    let host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    let bob = PlainClient::join(&host, "bob");
    alice.expect("*** bob joined (2 here)");
    bob.disconnect();
    // The plain wording of the reason is free (JSON has the `disconnected` code); it is not a quit.
    let notice = alice.expect_line("bob's leave", |l| l.contains("*** bob left ("));
    assert!(!notice.ends_with("(quit)"), "{notice}");
}

#[test]
fn every_quit_spelling_leaves_the_room() {
    let host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    for (nick, command) in [
        ("q1", "/quit"),
        ("q2", "/exit"),
        ("q3", "<quit>"),
        ("q4", "{quit}"),
    ] {
        let mut quitter = PlainClient::join(&host, nick);
        quitter.say(command);
        quitter.expect_closed();
        alice.expect(&format!("*** {nick} left (quit)"));
    }
}

#[test]
fn private_messages_reach_only_their_target() {
    let host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    let mut carol = PlainClient::join(&host, "carol");
    alice.say("/msg bob psst secret-one");
    bob.expect("[pm from alice] psst secret-one");
    alice.expect("[pm to bob] psst secret-one");
    alice.say("/pm bob secret-two");
    bob.expect("[pm from alice] secret-two");
    assert_not_delivered(&mut alice, &mut carol, "secret-");
}

#[test]
fn a_private_message_to_nobody_is_an_error() {
    let host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    alice.say("/msg eve hello?");
    assert_eq!(alice.expect_error(), "error: no one called 'eve' is here");
}

#[test]
fn nick_renames_and_everyone_is_told() {
    let host = Host::start(&[]);
    let mut bob = PlainClient::join(&host, "bob");
    let mut dave = PlainClient::join(&host, "dave");
    dave.say("/nick dan");
    bob.expect("*** dave is now dan");
    dave.say("hi as dan");
    bob.expect("<dan> hi as dan");
    bob.say("/list");
    bob.expect("*** 2 here: bob, dan");
}

#[test]
fn list_who_and_names_show_everyone_here() {
    let host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    let _bob = PlainClient::join(&host, "bob");
    let _carol = PlainClient::join(&host, "carol");
    alice.expect("*** carol joined (3 here)");
    for command in ["/list", "/who", "/names"] {
        alice.say(command);
        alice.expect("*** 3 here: alice, bob, carol");
    }
}

#[test]
fn help_lists_the_commands() {
    let host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    alice.say("/help");
    alice.say("/list"); // its answer comes after the whole help
    alice.expect("*** 1 here: alice");
    for command in ["/list", "/msg", "/nick", "/me", "/quit"] {
        assert!(
            alice.has_seen(command),
            "/help omits {command}: {:?}",
            *alice
        );
    }
}

#[test]
fn unknown_commands_are_refused_and_not_sent_to_anyone() {
    let host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    alice.say("/frobnicate the-widget");
    let error = alice.expect_error();
    assert!(
        error.contains("/frobnicate"),
        "error names the command: {error}"
    );
    assert_not_delivered(&mut alice, &mut bob, "frobnicate");
}

#[test]
fn blank_lines_are_ignored() {
    let host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    alice.send_raw(b"\n\r\n");
    alice.say("after the blanks");
    let line = bob.expect_line("the next message", |l| l.contains("<alice>"));
    assert_eq!(untimestamped(&line), "<alice> after the blanks");
    assert_not_delivered(&mut bob, &mut alice, "error:");
}
