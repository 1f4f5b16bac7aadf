//! `chatroom join` without a terminal: stdin lines in, the room's events out, as scripts and
//! bots use it (`producer | chatroom join`, `chatroom join --json | jq`).
#![cfg(unix)] // The harness signals the host (SIGINT, SIGKILL) the way Unix does.

mod join_support;

use std::io::Write;
use std::process::{Child, ChildStdin, Stdio};

use assert_cmd::cargo::cargo_bin_cmd;
use predicates::prelude::*;
use serde_json::Value;

use join_support::{Host, Peer, TIMEOUT, join_command, lines_of, wait_for_exit};

/// A client running with piped stdin and stdout, read line by line.
struct Piped {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: crossbeam_channel::Receiver<String>,
    _home: tempfile::TempDir,
}

impl Piped {
    fn start(addr: &str, args: &[&str], env: &[(&str, &str)]) -> Piped {
        let home = tempfile::tempdir().unwrap();
        let mut all = vec![addr];
        all.extend_from_slice(args);
        let mut command = join_command(home.path(), &all);
        command.envs(env.iter().copied());
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the client starts");
        let lines = lines_of(child.stdout.take().unwrap());
        Piped {
            stdin: child.stdin.take(),
            child,
            lines,
            _home: home,
        }
    }

    /// The next stdout line that contains `text`.
    fn expect(&self, text: &str) -> String {
        loop {
            match self.lines.recv_timeout(TIMEOUT) {
                Ok(line) if line.contains(text) => return line,
                Ok(_) => {}
                Err(e) => panic!("the client never printed {text:?} ({e})"),
            }
        }
    }

    fn write(&mut self, line: &str) {
        writeln!(self.stdin.as_mut().unwrap(), "{line}").unwrap();
    }

    /// Closes stdin, waits for the client to finish, and returns its exit code and stderr.
    fn finish(mut self) -> (Option<i32>, String) {
        drop(self.stdin.take());
        wait_for_exit(self.child)
    }

    /// Waits for the client to finish on its own, stdin still open (the end of stdin would be
    /// a reason to leave, racing with whatever the test is about).
    fn exit_by_itself(self) -> (Option<i32>, String) {
        let _stdin = self.stdin;
        wait_for_exit(self.child)
    }
}

#[test]
fn stdin_lines_are_sent_and_acknowledged_before_exit() {
    let host = Host::start();
    let mut bob = Peer::join(&host.addr, "bob");
    let home = tempfile::tempdir().unwrap();
    let command = join_command(home.path(), &[&host.addr, "--nick", "pipe"]);
    let assert = assert_cmd::Command::from_std(command)
        .write_stdin("one\n\n/me waves\n/msg bob psst\n")
        .timeout(TIMEOUT)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(stdout.contains("*** welcome to testroom, pipe"), "{stdout}");
    assert!(stdout.contains("[pm to bob] psst"), "{stdout}");
    assert!(!stdout.contains('\u{1b}'), "colors in a pipe: {stdout:?}");
    bob.expect_message("pipe", "say", "one");
    bob.expect_message("pipe", "me", "waves");
    bob.expect_message("pipe", "pm", "psst");
    let left = bob.expect("pipe leaving", |e| e["type"] == "leave");
    assert_eq!(left["reason"], "quit");
}

#[test]
fn json_prints_the_rooms_events_raw() {
    let host = Host::start();
    let client = Piped::start(&host.addr, &["--nick", "bot", "--json"], &[]);
    let welcome: Value = serde_json::from_str(&client.expect("welcome")).unwrap();
    assert_eq!(welcome["room"], "testroom");
    assert_eq!(welcome["nick"], "bot");
    let mut bob = Peer::join(&host.addr, "bob");
    bob.say("hi bots");
    let message: Value = serde_json::from_str(&client.expect("hi bots")).unwrap();
    assert_eq!(message["type"], "message");
    assert_eq!(message["from"], "bob");
    assert!(message["ts"].is_string());
    let (code, stderr) = client.finish();
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn plain_lines_have_colors_only_when_forced() {
    let host = Host::start();
    let plain = Piped::start(&host.addr, &["--nick", "plain"], &[("NO_COLOR", "")]);
    plain.expect("welcome");
    let forced = Piped::start(
        &host.addr,
        &["--nick", "forced"],
        &[("CLICOLOR_FORCE", "1")],
    );
    forced.expect("welcome");
    let mut bob = Peer::join(&host.addr, "bob");
    bob.say("colors?");
    let line = plain.expect("colors?");
    assert!(!line.contains('\u{1b}'), "{line:?}");
    assert!(line.contains("<bob> colors?"), "{line:?}");
    let line = forced.expect("colors?");
    assert!(line.contains("\u{1b}["), "{line:?}");
}

#[test]
fn no_timestamps_drops_the_clock() {
    let host = Host::start();
    let client = Piped::start(&host.addr, &["--nick", "ana", "--no-timestamps"], &[]);
    client.expect("welcome");
    let mut bob = Peer::join(&host.addr, "bob");
    bob.say("untimed");
    assert_eq!(client.expect("untimed"), "<bob> untimed");
}

#[test]
fn mistakes_are_explained_on_stderr_and_never_sent() {
    let host = Host::start();
    let mut bob = Peer::join(&host.addr, "bob");
    let mut client = Piped::start(&host.addr, &["--nick", "pipe"], &[]);
    client.expect("welcome");
    client.write("/dance");
    client.write("/msg bob");
    client.write("real");
    let first = bob.expect("a message", |e| e["type"] == "message");
    assert_eq!(first["text"], "real");
    let (code, stderr) = client.finish();
    assert_eq!(code, Some(0));
    assert!(stderr.contains("unknown command /dance"), "{stderr}");
    assert!(stderr.contains("usage: /msg NICK TEXT"), "{stderr}");
}

#[test]
fn a_refused_private_message_is_reported() {
    let host = Host::start();
    let mut client = Piped::start(&host.addr, &["--nick", "pipe"], &[]);
    client.expect("welcome");
    client.write("/msg nobody hi");
    let (code, stderr) = client.finish();
    assert_eq!(code, Some(0));
    assert!(
        stderr.contains("no one called 'nobody' is here"),
        "{stderr}"
    );
}

#[test]
fn the_room_closing_is_a_friendly_exit_0() {
    let host = Host::start();
    let client = Piped::start(&host.addr, &["--nick", "pipe"], &[]);
    client.expect("welcome");
    host.interrupt();
    client.expect("*** room closed by host");
    let (code, stderr) = client.exit_by_itself();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("<quit>"));
}

#[test]
fn a_dropped_connection_exits_5_with_the_reason() {
    let mut host = Host::start();
    let client = Piped::start(&host.addr, &["--nick", "pipe"], &[]);
    client.expect("welcome");
    host.kill();
    let (code, stderr) = client.exit_by_itself();
    assert_eq!(code, Some(5), "{stderr}");
    assert!(stderr.contains("connection lost"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn an_invalid_nick_without_a_terminal_exits_4() {
    let host = Host::start();
    cargo_bin_cmd!("chatroom")
        .args(["join", &host.addr, "--nick", "bad nick"])
        .env_remove("CHATROOM_NICK")
        .write_stdin("")
        .timeout(TIMEOUT)
        .assert()
        .code(4)
        .stderr(predicate::str::contains("cannot use 'bad nick'"));
}

#[test]
fn a_closed_stdout_is_a_quiet_success() {
    let host = Host::start();
    let mut bob = Peer::join(&host.addr, "bob");
    let home = tempfile::tempdir().unwrap();
    let mut child = join_command(home.path(), &[&host.addr, "--nick", "bot", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Nobody reads the client's output (`join --json | head -1`, once head has its line):
    // its first write fails.
    drop(child.stdout.take());
    bob.expect_join("bot");
    let _stdin_stays_open = child.stdin.take();
    let (code, stderr) = wait_for_exit(child);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stderr, "");
}

#[test]
fn json_passes_a_newer_hosts_welcome_on_untouched() {
    // A stand-in for a newer host: its welcome carries a field this client does not know.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap().to_string();
    let host = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        let welcome = r#"{"type":"welcome","v":1,"nick":"bot","room":"next","motd":null,"users":["bot"],"count":1,"limits":{"max_line":4096,"rate":20,"burst":50,"max_clients":100},"theme":"dark"}"#;
        writeln!(
            stream,
            "chatroom: welcome to next. Type a nickname and press Enter."
        )
        .unwrap();
        let mut hello = String::new();
        std::io::BufRead::read_line(&mut std::io::BufReader::new(&stream), &mut hello).unwrap();
        writeln!(stream, "{welcome}").unwrap();
        writeln!(stream, r#"{{"type":"quit","reason":"bye"}}"#).unwrap();
        welcome.to_string()
    });
    let client = Piped::start(&addr, &["--nick", "bot", "--json"], &[]);
    let printed = client.expect("welcome");
    assert_eq!(printed, host.join().unwrap());
    let (code, stderr) = client.exit_by_itself();
    assert_eq!(code, Some(0), "{stderr}");
}
