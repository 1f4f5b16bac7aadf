//! The host's console: run in a terminal (a pseudo-terminal the test types into), `chatroom
//! host` takes commands typed there and carries them out as the host, an operator that is not a
//! member, answering on its console.
#![cfg(unix)]

mod harness;

use serde_json::json;

use harness::moderation::{data_dir, expect_timed};
use harness::{Host, JsonClient, PlainClient, temp_dir};

/// A host in a terminal, keeping its state in `dir`.
fn host_in_terminal(dir: &std::path::Path) -> (Host, harness::Keyboard) {
    let data = data_dir(dir);
    Host::start_in_terminal(&["--data-dir", data.to_str().unwrap(), "--max-per-ip", "0"])
}

/// Types `line` at the console and waits for the console to answer exactly `answer`.
fn answered(host: &Host, keys: &mut harness::Keyboard, line: &str, answer: &str) {
    keys.type_line(line);
    host.wait_for_console(line, |l| l == answer);
}

#[test]
fn the_console_runs_the_room_as_the_host() {
    let dir = temp_dir();
    let (host, mut keys) = host_in_terminal(dir.path());
    host.wait_for_console("the console's invitation", |l| {
        l.starts_with("type /help here for the host's commands")
    });
    let mut ana = JsonClient::join(&host, "ana");
    let mut bob = PlainClient::join(&host, "bob");
    answered(&host, &mut keys, "/list", "*** 2 here: ana, bob");
    // An operator made by the host: `by` is absent, plain mode says "the host".
    keys.type_line("/op ana");
    let op = ana.expect_event("op");
    assert_eq!(op["nick"], "ana");
    assert_eq!(op.get("by"), None, "{op}");
    bob.expect("*** ana is now an operator (by the host)");
    // Said to the room as `host`, a nickname no member can take.
    keys.type_line("/say the room closes at six");
    ana.expect_message("host", "say", "the room closes at six");
    bob.expect("<host> the room closes at six");
    keys.type_line("/topic release day");
    bob.expect("*** topic: release day (set by the host)");
    let carol = JsonClient::join(&host, "carol");
    assert_eq!(carol.welcome["topic"]["text"], "release day");
    assert_eq!(carol.welcome["topic"].get("by"), None);
    keys.type_line("/topic");
    host.wait_for_console("the topic", |l| {
        l.starts_with("*** topic: release day (set by the host, ")
    });
    keys.type_line("/mute bob 10m");
    expect_timed(&mut bob, "*** bob was muted by the host until ", " UTC");
    bob.say("hello?");
    assert!(bob.expect_error().contains("you are muted until"));
    keys.type_line("/unmute bob");
    bob.expect("*** bob can speak again (by the host)");
    keys.type_line("/kick carol being carol");
    let kick = ana.expect_event("kick");
    assert_eq!(
        (&kick["nick"], &kick["reason"], kick.get("by")),
        (&json!("carol"), &json!("being carol"), None)
    );
    bob.expect("*** carol was kicked by the host (being carol)");
    answered(&host, &mut keys, "/bans", "*** no bans");
    // Mistakes are explained on the console, and nothing reaches the room.
    answered(
        &host,
        &mut keys,
        "/kick zed",
        "error: no one called 'zed' is here",
    );
    answered(
        &host,
        &mut keys,
        "hello room",
        "error: to speak to the room type /say TEXT; /help lists the console's commands",
    );
    answered(
        &host,
        &mut keys,
        "/msg ana hi",
        "error: /msg is not a console command; /help lists them",
    );
    answered(
        &host,
        &mut keys,
        "/away lunch",
        "error: the host's console is not a member: it is never away",
    );
    keys.type_line("/help");
    host.wait_for_console("the help", |l| l.starts_with("  /ban NICK|ADDRESS|RANGE"));
    // The room's activity shows each action with who did it.
    let console = host.stop();
    for line in [
        "*** ana is now an operator (by the host)",
        "<host> the room closes at six",
        "*** carol was kicked by the host (being carol)",
    ] {
        assert!(console.contains(line), "{line} not in:\n{console}");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn the_console_bans_what_operators_may_not() {
    let dir = temp_dir();
    let (host, mut keys) = host_in_terminal(dir.path());
    let mut ana = JsonClient::join(&host, "ana");
    let conn = harness::Conn::connect_from(&host, "127.0.0.2");
    let mut eve = JsonClient::join_over(&host, conn, "eve");
    // A range wider than an operator's /16, covering eve's address.
    keys.type_line("/ban 126.0.0.0/7 1h");
    let ban = ana.expect_event("ban");
    assert_eq!(ban["target"], "126.0.0.0/7");
    assert_eq!(ban.get("by"), None);
    // Everyone it covers is closed, ana (127.0.0.1) too: the console may ban anyone.
    assert_eq!(ban["nicks"], json!(["ana", "eve"]));
    eve.expect_closed();
    ana.expect_closed();
    keys.type_line("/unban 126.0.0.0/7");
    host.wait_for_console("the lifted ban", |l| {
        l.ends_with("*** the host lifted the ban on 126.0.0.0/7")
    });
    JsonClient::join(&host, "ana");
}
