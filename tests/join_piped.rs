//! `chatroom join` without a terminal: stdin lines in, the room's events out, as scripts and
//! bots use it (`producer | chatroom join`, `chatroom join --json | jq`).
#![cfg(unix)] // The tests signal the host (SIGINT) the way Unix does.

mod harness;

use std::io::Write;
use std::process::Stdio;

use nix::sys::signal::Signal;
use predicates::prelude::*;
use serde_json::Value;

use harness::{
    Host, JsonClient, PROCESS_TIMEOUT, PipedClient, chatroom_cmd, join_command, temp_dir,
    wait_for_exit,
};

#[test]
fn stdin_lines_are_sent_and_acknowledged_before_exit() {
    let host = Host::start(&["--name", "testroom"]);
    let mut bob = JsonClient::join(&host, "bob");
    let home = temp_dir();
    let command = join_command(home.path(), &[&host.server(), "--nick", "pipe"]);
    let assert = assert_cmd::Command::from_std(command)
        .write_stdin("one\n\n/me waves\n/msg bob psst\n")
        .timeout(PROCESS_TIMEOUT)
        .assert()
        .success();
    let stdout = String::from_utf8_lossy(&assert.get_output().stdout).to_string();
    assert!(stdout.contains("*** welcome to testroom, pipe"), "{stdout}");
    assert!(stdout.contains("[pm to bob] psst"), "{stdout}");
    assert!(!stdout.contains('\u{1b}'), "colors in a pipe: {stdout:?}");
    bob.expect_message("pipe", "say", "one");
    bob.expect_message("pipe", "me", "waves");
    bob.expect_message("pipe", "pm", "psst");
    let left = bob.expect_event("leave");
    assert_eq!(left["reason"], "quit");
}

#[test]
fn json_prints_the_rooms_events_raw() {
    let host = Host::start(&["--name", "testroom"]);
    let client = PipedClient::start(&host.server(), &["--nick", "bot", "--json"], &[]);
    let welcome: Value = serde_json::from_str(&client.expect("welcome")).unwrap();
    assert_eq!(welcome["room"], "testroom");
    assert_eq!(welcome["nick"], "bot");
    let mut bob = JsonClient::join(&host, "bob");
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
    let host = Host::start(&[]);
    let plain = PipedClient::start(&host.server(), &["--nick", "plain"], &[("NO_COLOR", "")]);
    plain.expect("welcome");
    let forced = PipedClient::start(
        &host.server(),
        &["--nick", "forced"],
        &[("CLICOLOR_FORCE", "1")],
    );
    forced.expect("welcome");
    let mut bob = JsonClient::join(&host, "bob");
    bob.say("colors?");
    let line = plain.expect("colors?");
    assert!(!line.contains('\u{1b}'), "{line:?}");
    assert!(line.contains("<bob> colors?"), "{line:?}");
    let line = forced.expect("colors?");
    assert!(line.contains("\u{1b}["), "{line:?}");
}

/// `--color` beats every variable, and in a pipe only `CLICOLOR_FORCE` brings colors, unless
/// `NO_COLOR` is set too (see `src/color.rs` for every case).
#[test]
fn the_color_flag_and_variables_in_a_pipe() {
    let host = Host::start(&[]);
    // nickname, arguments, environment, whether the lines have colors
    type Case<'a> = (&'a str, &'a [&'a str], &'a [(&'a str, &'a str)], bool);
    let cases: [Case; 5] = [
        ("forced", &[], &[("CLICOLOR_FORCE", "1")], true),
        (
            "nocolor",
            &[],
            &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")],
            false,
        ),
        ("clicolor", &[], &[("CLICOLOR", "1")], false),
        ("always", &["--color", "always"], &[("NO_COLOR", "1")], true),
        (
            "never",
            &["--color", "never"],
            &[("CLICOLOR_FORCE", "1")],
            false,
        ),
    ];
    let clients: Vec<PipedClient> = cases
        .iter()
        .map(|(nick, args, env, _)| {
            let mut all = vec!["--nick", nick];
            all.extend_from_slice(args);
            let client = PipedClient::start(&host.server(), &all, env);
            client.expect("welcome");
            client
        })
        .collect();
    let mut bob = JsonClient::join(&host, "bob");
    bob.say("colors?");
    for ((nick, _, _, colors), client) in cases.iter().zip(&clients) {
        let line = client.expect("colors?");
        assert_eq!(line.contains("\u{1b}["), *colors, "{nick}: {line:?}");
    }
}

#[test]
fn no_timestamps_drops_the_clock() {
    let host = Host::start(&[]);
    let client = PipedClient::start(&host.server(), &["--nick", "ana", "--no-timestamps"], &[]);
    client.expect("welcome");
    let mut bob = JsonClient::join(&host, "bob");
    bob.say("untimed");
    assert_eq!(client.expect("untimed"), "<bob> untimed");
}

#[test]
fn mistakes_are_explained_on_stderr_and_never_sent() {
    let host = Host::start(&[]);
    let mut bob = JsonClient::join(&host, "bob");
    let mut client = PipedClient::start(&host.server(), &["--nick", "pipe"], &[]);
    client.expect("welcome");
    client.write("/dance");
    client.write("/msg bob");
    client.write("real");
    let first = bob.expect_event("message");
    assert_eq!(first["text"], "real");
    let (code, stderr) = client.finish();
    assert_eq!(code, Some(0));
    assert!(stderr.contains("unknown command /dance"), "{stderr}");
    assert!(stderr.contains("usage: /msg NICK TEXT"), "{stderr}");
}

#[test]
fn a_refused_private_message_is_reported() {
    let host = Host::start(&[]);
    let mut client = PipedClient::start(&host.server(), &["--nick", "pipe"], &[]);
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
    let host = Host::start(&[]);
    let client = PipedClient::start(&host.server(), &["--nick", "pipe"], &[]);
    client.expect("welcome");
    host.signal(Signal::SIGINT);
    client.expect("*** room closed by host");
    let (code, stderr) = client.exit_by_itself();
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("<quit>"));
}

#[test]
fn a_dropped_connection_exits_5_with_the_reason() {
    let mut host = Host::start(&[]);
    let args = ["--nick", "pipe", "--no-reconnect"];
    let client = PipedClient::start(&host.server(), &args, &[]);
    client.expect("welcome");
    host.kill();
    let (code, stderr) = client.exit_by_itself();
    assert_eq!(code, Some(5), "{stderr}");
    assert!(stderr.contains("connection lost"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

#[test]
fn an_invalid_nick_without_a_terminal_exits_4() {
    let host = Host::start(&[]);
    chatroom_cmd(PROCESS_TIMEOUT)
        .args(["join", &host.server(), "--nick", "bad nick"])
        .write_stdin("")
        .assert()
        .code(4)
        .stderr(predicate::str::contains("cannot use 'bad nick'"));
}

#[test]
fn a_closed_stdout_is_a_quiet_success() {
    let host = Host::start(&[]);
    let mut bob = JsonClient::join(&host, "bob");
    let home = temp_dir();
    let mut child = json_bot(&host, home.path());
    // Nobody reads the client's output (`join --json | head -1`, once head has its line):
    // its first write fails.
    drop(child.stdout.take());
    bob.expect_join("bot");
    assert_quiet_success(child);
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
    let client = PipedClient::start(&addr, &["--nick", "bot", "--json"], &[]);
    let printed = client.expect("welcome");
    assert_eq!(printed, host.join().unwrap());
    let (code, stderr) = client.exit_by_itself();
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn a_reader_that_goes_away_ends_the_client_at_once() {
    let host = Host::start(&[]);
    let home = temp_dir();
    let mut child = json_bot(&host, home.path());
    // `join --json | head -1`: one line read, then the pipe is closed, and the room stays
    // quiet: nothing more is written that could fail.
    let mut stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let mut welcome = String::new();
    std::io::BufRead::read_line(&mut stdout, &mut welcome).unwrap();
    assert!(welcome.contains("\"welcome\""), "{welcome}");
    drop(stdout);
    assert_quiet_success(child);
}

#[test]
fn the_banner_mentions_no_tab_without_a_line_editor() {
    let host = Host::start(&[]);
    let client = PipedClient::start(&host.server(), &["--nick", "pipe"], &[]);
    assert_eq!(client.expect("/help"), "*** type /help for commands");
}

/// `chatroom join --json` as `bot`, stdin, stdout and stderr piped.
fn json_bot(host: &Host, home: &std::path::Path) -> std::process::Child {
    join_command(home, &[&host.server(), "--nick", "bot", "--json"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Waits for `child` to exit on its own, stdin still open: it must exit 0, saying nothing.
fn assert_quiet_success(mut child: std::process::Child) {
    let _stdin_stays_open = child.stdin.take();
    let (code, stderr) = wait_for_exit(child);
    assert_eq!(code, Some(0), "{stderr}");
    assert_eq!(stderr, "");
}
