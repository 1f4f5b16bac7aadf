//! `chatroom join` on a terminal: the real binary in a pseudo-terminal, against a real host,
//! with a second participant on a raw JSON socket.
//!
//! Each test waits for what the client draws (its prompt, an incoming line) before typing on,
//! as a person would; rexpect fails an expectation after a timeout with what it saw instead.
#![cfg(unix)]

mod join_support;

use std::path::Path;

use nix::sys::wait::WaitStatus;
use rexpect::session::{PtySession, spawn_command};
use tempfile::TempDir;

use join_support::{Host, Peer, TIMEOUT, join_command};

/// The welcome's last line: the client is joined and about to show its prompt.
const READY: &str = "Tab completes nicknames";

/// Up arrow, as a terminal sends it.
const UP: &str = "\x1b[A";

/// What the line editor writes when it starts reading keys (it turns bracketed paste on as it
/// enters raw mode). Control keys typed before then would reach the terminal's own line
/// discipline instead (Ctrl-C as SIGINT), as they would for a person typing in that instant.
const EDITING: &str = "\x1b[?2004h";

/// A client in a terminal, joined to a room.
struct Client {
    session: PtySession,
}

impl Client {
    /// Starts `chatroom join` in a pseudo-terminal; `args` follow the server address.
    fn start(host: &Host, home: &Path, args: &[&str]) -> Client {
        let mut all = vec![host.addr.as_str()];
        all.extend_from_slice(args);
        let command = join_command(home, &all);
        let session = spawn_command(command, Some(TIMEOUT.as_millis() as u64))
            .expect("the client starts in a pty");
        Client { session }
    }

    /// Starts a client as `nick`, without colors, and waits until it is in the room.
    fn joined(host: &Host, home: &Path, nick: &str, more: &[&str]) -> Client {
        let mut args = vec!["--nick", nick, "--color", "never"];
        args.extend_from_slice(more);
        let mut client = Client::start(host, home, &args);
        client.expect(READY);
        client.expect(EDITING);
        client
    }

    fn expect(&mut self, text: &str) -> String {
        self.session
            .exp_string(text)
            .unwrap_or_else(|e| panic!("the client never showed {text:?}: {e}"))
    }

    fn expect_regex(&mut self, pattern: &str) -> String {
        self.session
            .exp_regex(pattern)
            .unwrap_or_else(|e| panic!("the client never showed /{pattern}/: {e}"))
            .1
    }

    /// Types keys without pressing Enter.
    fn type_keys(&mut self, keys: &str) {
        self.session.send(keys).unwrap();
        self.session.flush().unwrap();
    }

    /// Types a line and presses Enter.
    fn type_line(&mut self, line: &str) {
        self.type_keys(&format!("{line}\r"));
    }

    /// Types a line, presses Enter, and waits for the editor to read keys again.
    fn enter_line(&mut self, line: &str) {
        self.type_line(line);
        self.expect(EDITING);
    }

    fn control(&mut self, key: char) {
        self.session.send_control(key).unwrap();
    }

    /// Waits for the client to exit and returns its exit code.
    fn exit_code(mut self) -> i32 {
        self.session
            .exp_eof()
            .unwrap_or_else(|e| panic!("the client did not exit: {e}"));
        match self.session.process().wait().unwrap() {
            WaitStatus::Exited(_, code) => code,
            other => panic!("the client ended with {other:?}"),
        }
    }
}

fn home() -> TempDir {
    tempfile::tempdir().unwrap()
}

#[test]
fn typing_a_line_sends_it() {
    let host = Host::start();
    let mut bob = Peer::join(&host.addr, "bob");
    let home = home();
    let mut ana = Client::joined(&host, home.path(), "ana", &[]);
    ana.type_line("hello bob");
    bob.expect_message("ana", "say", "hello bob");
}

#[test]
fn incoming_messages_show_time_and_nick() {
    let host = Host::start();
    let mut bob = Peer::join(&host.addr, "bob");
    let home = home();
    let mut ana = Client::joined(&host, home.path(), "ana", &[]);
    bob.say("hello there");
    ana.expect_regex(r"\[\d\d:\d\d\] <bob> hello there");
}

#[test]
fn color_always_colors_nicks() {
    let host = Host::start();
    let mut bob = Peer::join(&host.addr, "bob");
    let home = home();
    let mut ana = Client::start(&host, home.path(), &["--nick", "ana", "--color", "always"]);
    ana.expect(READY);
    bob.say("in color");
    ana.expect_regex(r"<\x1b\[[0-9;]+mbob\x1b\[0m> in color");
}

#[test]
fn a_message_arriving_mid_line_leaves_the_line_intact() {
    let host = Host::start();
    let mut bob = Peer::join(&host.addr, "bob");
    let home = home();
    let mut ana = Client::joined(&host, home.path(), "ana", &[]);
    ana.type_keys("half typ");
    ana.expect("half typ");
    bob.say("interrupting you");
    ana.expect("<bob> interrupting you");
    // The editor redraws the prompt and the half-typed text below the message...
    ana.expect("<ana> half typ");
    // ...and it is still the line being edited.
    ana.type_line("ed");
    bob.expect_message("ana", "say", "half typed");
}

#[test]
fn history_is_recalled_with_up_after_a_restart() {
    let host = Host::start();
    let mut bob = Peer::join(&host.addr, "bob");
    let home = home();
    let mut first = Client::joined(&host, home.path(), "ana", &[]);
    first.enter_line("remember me");
    bob.expect_message("ana", "say", "remember me");
    first.enter_line(" not me");
    bob.expect_message("ana", "say", " not me");
    first.control('d');
    assert_eq!(first.exit_code(), 0);
    let saved = std::fs::read_to_string(home.path().join("data/chatroom/history")).unwrap();
    assert!(saved.contains("remember me"), "{saved:?}");
    assert!(
        !saved.contains("not me"),
        "a line starting with a space was saved"
    );

    bob.expect("ana leaving", |e| {
        e["type"] == "leave" && e["nick"] == "ana"
    });
    let mut second = Client::joined(&host, home.path(), "ana", &[]);
    second.type_keys(UP);
    second.expect("remember me");
    second.type_keys("\r");
    bob.expect_message("ana", "say", "remember me");
}

#[test]
fn list_shows_who_is_here() {
    let host = Host::start();
    let _bob = Peer::join(&host.addr, "bob");
    let home = home();
    let mut ana = Client::joined(&host, home.path(), "ana", &[]);
    ana.type_line("/list");
    ana.expect_regex(r"\*\*\* 2 here: (ana, bob|bob, ana)");
}

#[test]
fn tab_completes_a_nick() {
    let host = Host::start();
    let mut carol = Peer::join(&host.addr, "carol");
    let home = home();
    let mut ana = Client::joined(&host, home.path(), "ana", &[]);
    ana.type_keys("ca\t");
    ana.expect("carol: ");
    ana.type_line("hi");
    carol.expect_message("ana", "say", "carol: hi");
}

#[test]
fn tab_completes_a_nick_who_joined_later() {
    let host = Host::start();
    let home = home();
    let mut ana = Client::joined(&host, home.path(), "ana", &[]);
    let mut dave = Peer::join(&host.addr, "dave");
    ana.expect("dave joined");
    ana.type_keys("/msg da\t");
    ana.expect("/msg dave ");
    ana.type_line("psst");
    dave.expect_message("ana", "pm", "psst");
    ana.expect("[pm to dave] psst");
}

#[test]
fn host_shutdown_ends_the_client_with_a_friendly_line() {
    let host = Host::start();
    let home = home();
    let mut ana = Client::joined(&host, home.path(), "ana", &[]);
    ana.type_keys("unfinished");
    ana.expect("unfinished");
    host.interrupt();
    ana.expect("room closed by host");
    assert_eq!(ana.exit_code(), 0);
}

#[test]
fn ctrl_d_leaves_cleanly() {
    let host = Host::start();
    let mut bob = Peer::join(&host.addr, "bob");
    let home = home();
    let mut ana = Client::joined(&host, home.path(), "ana", &[]);
    ana.control('d');
    assert_eq!(ana.exit_code(), 0);
    let left = bob.expect("ana leaving", |e| {
        e["type"] == "leave" && e["nick"] == "ana"
    });
    assert_eq!(left["reason"], "quit");
}

#[test]
fn ctrl_c_clears_a_line_then_leaves_on_an_empty_one() {
    let host = Host::start();
    let mut bob = Peer::join(&host.addr, "bob");
    let home = home();
    let mut ana = Client::joined(&host, home.path(), "ana", &[]);
    ana.type_keys("oops");
    ana.expect("oops");
    ana.control('c');
    ana.enter_line("fine");
    bob.expect_message("ana", "say", "fine");
    ana.control('c');
    assert_eq!(ana.exit_code(), 0);
}

#[test]
fn quit_leaves_and_unknown_commands_are_explained_not_sent() {
    let host = Host::start();
    let mut bob = Peer::join(&host.addr, "bob");
    let home = home();
    let mut ana = Client::joined(&host, home.path(), "ana", &[]);
    ana.type_line("/dance");
    ana.expect("error: unknown command /dance");
    ana.type_line("/me waves");
    // The first thing bob hears is the action: /dance never left the client.
    let first = bob.expect("a message", |e| e["type"] == "message");
    assert_eq!(
        (&first["kind"], &first["text"]),
        (&"me".into(), &"waves".into())
    );
    ana.type_line("/quit");
    assert_eq!(ana.exit_code(), 0);
}

#[test]
fn a_mention_rings_the_bell() {
    let host = Host::start();
    let mut bob = Peer::join(&host.addr, "bob");
    let home = home();
    let mut ana = Client::joined(&host, home.path(), "ana", &[]);
    bob.say("ana: lunch?");
    ana.expect("<bob> ana: lunch?\x07");
}

#[test]
fn a_taken_nick_is_asked_for_again() {
    let host = Host::start();
    let _bob = Peer::join(&host.addr, "tester");
    let home = home();
    // No --nick: the client asks, suggesting the OS user name (USER=tester), which is taken.
    let mut client = Client::start(&host, home.path(), &["--color", "never"]);
    client.expect("nickname: tester");
    client.type_keys("\r");
    client.expect("nickname 'tester' is taken; try another");
    client.expect(EDITING);
    client.expect("nickname: tester");
    client.control('u');
    client.type_line("ana");
    client.expect("welcome to testroom, ana");
}

#[test]
fn nick_changes_the_prompt() {
    let host = Host::start();
    let mut bob = Peer::join(&host.addr, "bob");
    let home = home();
    let mut ana = Client::joined(&host, home.path(), "ana", &[]);
    ana.type_line("/nick anna");
    ana.expect("ana is now anna");
    ana.expect("<anna> ");
    ana.type_line("renamed");
    bob.expect_message("anna", "say", "renamed");
}
