//! `chatroom send`: MESSAGE words, one message per piped line (1,000 of them, all delivered in
//! order), `--to`, `--me`, the README's examples verbatim, `--server` and `CHATROOM_SERVER` in
//! their forms, and the documented exit codes with a clear stderr when it cannot connect (3) or
//! the room turns it away (4).

mod harness;

use std::io::Write;
use std::net::TcpListener;
use std::thread;

use std::time::Duration;

use harness::{Host, JsonClient, PlainClient, assert_not_delivered, chatroom_cmd, repo_file, send};
use predicates::prelude::*;

/// The commands in the code block of the README's `chatroom send` section, comments removed.
fn readme_send_examples() -> Vec<String> {
    let readme = repo_file("README.md");
    let section = readme
        .split_once("\n### `chatroom send`\n")
        .expect("the README has a `chatroom send` section")
        .1;
    let block = section
        .split("```")
        .nth(1)
        .expect("the section opens with a code block");
    block
        .lines()
        .map(|line| line.split(" # ").next().unwrap_or("").trim().to_string())
        .filter(|line| !line.is_empty())
        .collect()
}

/// The text between the first pair of double quotes in `example`, if any.
fn quoted(example: &str) -> Option<&str> {
    example.split('"').nth(1)
}

#[test]
fn every_readme_send_example_works_verbatim() {
    let host = Host::start(&[]);
    let mut alice = JsonClient::join(&host, "alice");
    let examples = readme_send_examples();
    assert!(examples.len() >= 4, "too few examples: {examples:?}");
    let bin_dir = harness::process::bin().parent().unwrap().to_path_buf();
    let path = std::env::join_paths(
        std::iter::once(bin_dir).chain(std::env::split_paths(&std::env::var_os("PATH").unwrap())),
    )
    .unwrap();
    for example in &examples {
        assert!(
            example.contains("chatroom send"),
            "not a send example: {example}"
        );
        // The examples run as written, in a shell, with `chatroom` on the PATH and the room on a
        // port of its own; `make test` stands for any command that prints something.
        let mut shell = assert_cmd::Command::new("sh");
        for (key, _) in std::env::vars_os() {
            if key.to_string_lossy().starts_with("CHATROOM_") {
                shell.env_remove(key);
            }
        }
        shell
            .arg("-c")
            .arg(format!("make() {{ echo 'test result: ok'; }}; {example}"))
            .env("PATH", &path)
            .env("CHATROOM_PORT", host.port().to_string())
            .env("CHATROOM_NICK", "ci")
            .timeout(Duration::from_secs(30))
            .assert()
            .success();
        let text = quoted(example).unwrap_or("test result: ok");
        let kind = if example.contains("--to alice") {
            "pm"
        } else if example.contains("--me") {
            "me"
        } else {
            "say"
        };
        alice.expect_message("ci", kind, text);
    }
}

#[test]
fn chatroom_server_names_the_room_and_server_beats_it() {
    let host = Host::start(&[]);
    let mut bob = PlainClient::join(&host, "bob");
    let send_words = |words: &[&str]| {
        let mut cmd = chatroom_cmd(Duration::from_secs(30));
        cmd.arg("send").args(words);
        cmd
    };
    send_words(&["--nick", "ci", "from", "the", "environment"])
        .env("CHATROOM_SERVER", host.server())
        .assert()
        .success();
    bob.expect("<ci> from the environment");
    send_words(&["--nick", "ci", "named", "by", "host", "and", "port"])
        .env("CHATROOM_SERVER", "localhost")
        .env("CHATROOM_PORT", host.port().to_string())
        .assert()
        .success();
    bob.expect("<ci> named by host and port");
    let closed = format!("127.0.0.1:{}", harness::closed_port());
    send_words(&["-s", &host.server(), "--nick", "ci", "flag", "wins"])
        .env("CHATROOM_SERVER", &closed)
        .assert()
        .success();
    bob.expect("<ci> flag wins");
}

#[test]
fn message_words_are_joined_into_one_message_and_nothing_else_is_shown() {
    let host = Host::start(&[]);
    let mut bob = PlainClient::join(&host, "bob");
    let mut carol = PlainClient::join(&host, "carol");
    send(
        &host.server(),
        &["--nick", "ci", "build", "41", "is", "green"],
    )
    .assert()
    .success();
    bob.expect("<ci> build 41 is green");
    // No `ci joined` before the line and no `ci left` after it: carol's marker comes next.
    assert_not_delivered(&mut carol, &mut bob, "*** ci");
    assert_eq!(
        bob.bodies().iter().filter(|b| b.contains("ci")).count(),
        1,
        "{:?}",
        bob.bodies()
    );
}

#[test]
fn empty_input_exits_0_without_connecting() {
    // A closed port: connecting at all would fail with exit 3.
    let server = format!("127.0.0.1:{}", harness::closed_port());
    for input in ["", "\n   \n\t\n"] {
        send(&server, &["--nick", "ci"])
            .write_stdin(input)
            .assert()
            .success()
            .stderr(predicate::str::is_empty());
    }
}

#[cfg(unix)]
#[test]
fn a_terminal_without_message_gets_a_hint_before_anything_else() {
    let server = format!("127.0.0.1:{}", harness::closed_port());
    let mut command = harness::chatroom();
    command.args(["send", "--server", &server, "--nick", "ci"]);
    let mut session = rexpect::session::spawn_command(command, Some(10_000)).unwrap();
    session
        .exp_string("type a message and press Enter")
        .expect("the hint is shown");
    session
        .exp_string("Ctrl-D")
        .expect("the hint says how to end");
    // Ctrl-D on an empty line: nothing to send, so no connection (the port is closed) and exit 0.
    session.send_control('d').unwrap();
    session.exp_eof().expect("send ends at Ctrl-D");
    assert!(matches!(
        session.process().wait().unwrap(),
        nix::sys::wait::WaitStatus::Exited(_, 0)
    ));
}

#[test]
fn a_lost_connection_counts_what_was_read() {
    let mut host = Host::start(&["--rate-limit", "0"]);
    let mut watcher = JsonClient::join(&host, "watcher");
    let mut child = harness::chatroom()
        .args([
            "send",
            "--server",
            &host.server(),
            "--nick",
            "ci",
            "--retry",
            "0",
        ])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "line 1").unwrap();
    watcher.expect_message("ci", "say", "line 1");
    host.kill();
    // Keep feeding lines until send gives up; whatever it read by then is what it counts.
    for i in 2..=1000 {
        if writeln!(stdin, "line {i}").is_err() {
            break;
        }
    }
    drop(stdin);
    let (code, stderr) = harness::wait_for_exit(child);
    assert_eq!(code, Some(5), "{stderr}");
    // The loss is noticed as it happens, however many lines are still coming.
    let counted = regex_lite_read_count(&stderr);
    assert!(counted >= 1, "{stderr}");
    assert_eq!(
        counted < 1000,
        stderr.contains("the rest of the input was not read"),
        "{stderr}"
    );
}

#[cfg(unix)]
#[test]
fn a_host_that_stops_answering_is_noticed_within_the_timeout_while_stdin_is_quiet() {
    let host = Host::start(&["--rate-limit", "0"]);
    let mut watcher = JsonClient::join(&host, "watcher");
    let mut child = harness::chatroom()
        .args([
            "send",
            "--server",
            &host.server(),
            "--nick",
            "ci",
            "--timeout",
            "1",
            "--retry",
            "0",
        ])
        .stdin(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    writeln!(stdin, "before the freeze").unwrap();
    watcher.expect_message("ci", "say", "before the freeze");
    // A host that is still connected but answers nothing (stopped, or its machine hung).
    host.signal(nix::sys::signal::Signal::SIGSTOP);
    writeln!(stdin, "into the void").unwrap();
    // Stdin stays open and quiet: only the missing acknowledgement can end the run.
    let (code, stderr) = harness::wait_for_exit(child);
    host.signal(nix::sys::signal::Signal::SIGCONT);
    assert_eq!(code, Some(5), "{stderr}");
    assert!(
        stderr.contains("the host has not answered for 1 s"),
        "{stderr}"
    );
    // (The first one's ack may or may not have left the host before it stopped.)
    assert!(
        stderr.contains(" of the 2 messages read were acknowledged"),
        "{stderr}"
    );
    drop(stdin);
}

/// N in `... of the N messages read were acknowledged`.
fn regex_lite_read_count(stderr: &str) -> u64 {
    let (before, _) = stderr
        .split_once(" messages read were acknowledged")
        .unwrap_or_else(|| panic!("no count of messages read: {stderr}"));
    before.rsplit(' ').next().unwrap().parse().unwrap()
}

#[test]
fn a_thousand_piped_lines_arrive_in_order() {
    let host = Host::start(&["--rate-limit", "0"]);
    let mut watcher = JsonClient::join(&host, "watcher");
    let mut input: String = (1..=1000).map(|i| format!("line {i:04}\n")).collect();
    input.insert_str(input.len() / 2, "\n   \n"); // blank lines are not messages
    let server = host.server();
    let sending = thread::spawn(move || {
        send(&server, &["--nick", "ci"])
            .write_stdin(input)
            .assert()
            .success();
    });
    for i in 1..=1000 {
        let message = watcher.expect_event("message");
        assert_eq!(message["from"], "ci");
        assert_eq!(message["text"], format!("line {i:04}"));
    }
    sending.join().expect("chatroom send succeeded");
}

#[test]
fn to_sends_privately() {
    let host = Host::start(&[]);
    let mut alice = PlainClient::join(&host, "alice");
    let mut bob = PlainClient::join(&host, "bob");
    send(
        &host.server(),
        &[
            "--nick", "ci", "--to", "alice", "your", "build", "is", "green",
        ],
    )
    .assert()
    .success();
    alice.expect("[pm from ci] your build is green");
    assert_not_delivered(&mut alice, &mut bob, "build is green");
}

#[test]
fn me_sends_an_action() {
    let host = Host::start(&[]);
    let mut bob = PlainClient::join(&host, "bob");
    send(&host.server(), &["--nick", "ci", "--me", "deploys", "v2"])
        .assert()
        .success();
    bob.expect("* ci deploys v2");
}

#[test]
fn server_as_host_with_port_flag() {
    let host = Host::start(&[]);
    let mut bob = PlainClient::join(&host, "bob");
    let port = host.port().to_string();
    send("127.0.0.1", &["--port", &port, "--nick", "ci", "via", "-p"])
        .assert()
        .success();
    bob.expect("<ci> via -p");
}

#[test]
fn server_as_localhost_with_port() {
    let host = Host::start(&[]);
    let mut bob = PlainClient::join(&host, "bob");
    send(
        &format!("localhost:{}", host.port()),
        &["--nick", "ci", "by", "name"],
    )
    .assert()
    .success();
    bob.expect("<ci> by name");
}

#[test]
fn the_nick_can_come_from_chatroom_nick() {
    let host = Host::start(&[]);
    let mut bob = PlainClient::join(&host, "bob");
    send(&host.server(), &["from", "env"])
        .env("CHATROOM_NICK", "envbot")
        .assert()
        .success();
    bob.expect("<envbot> from env");
}

#[test]
fn a_closed_port_exits_3_naming_the_address() {
    let server = format!("127.0.0.1:{}", harness::closed_port());
    send(&server, &["--nick", "ci", "--retry", "0", "hello?"])
        .assert()
        .code(3)
        .stderr(predicate::str::contains(server.as_str()))
        .stderr(predicate::str::contains("connection refused"));
}

#[test]
fn a_host_that_never_answers_exits_3_after_the_timeout() {
    let silent = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = silent.local_addr().unwrap().to_string();
    send(
        &server,
        &["--nick", "ci", "--timeout", "1", "--retry", "0", "anyone?"],
    )
    .assert()
    .code(3)
    .stderr(predicate::str::contains(server.as_str()));
}

#[test]
fn a_taken_nick_exits_4_saying_so() {
    let host = Host::start(&[]);
    let _alice = PlainClient::join(&host, "alice");
    send(&host.server(), &["--nick", "Alice", "hi"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("Alice").or(predicate::str::contains("alice")))
        .stderr(predicate::str::contains("taken"));
}

#[test]
fn an_invalid_nick_exits_4() {
    let host = Host::start(&[]);
    send(&host.server(), &["--nick", "not valid", "hi"])
        .assert()
        .code(4)
        .stderr(predicate::str::is_empty().not());
}

#[test]
fn a_full_room_exits_4() {
    let host = Host::start(&["--max-clients", "1"]);
    let _alice = PlainClient::join(&host, "alice");
    send(&host.server(), &["--nick", "ci", "hi"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains("full"));
}

#[test]
fn a_pm_to_nobody_is_refused_with_exit_1() {
    let host = Host::start(&[]);
    send(&host.server(), &["--nick", "ci", "--to", "eve", "hi"])
        .assert()
        .code(1)
        .stderr(predicate::str::contains("eve"));
}

#[test]
fn a_paced_sender_just_takes_longer() {
    let host = Host::start(&["--rate-limit", "50", "--burst", "5"]);
    let mut watcher = JsonClient::join(&host, "watcher");
    let input: String = (1..=30).map(|i| format!("paced {i}\n")).collect();
    send(&host.server(), &["--nick", "ci"])
        .write_stdin(input)
        .assert()
        .success();
    for i in 1..=30 {
        assert_eq!(
            watcher.expect_event("message")["text"],
            format!("paced {i}")
        );
    }
}

#[test]
fn a_message_over_max_line_is_refused_with_exit_1() {
    let host = Host::start(&["--max-line", "64"]);
    send(&host.server(), &["--nick", "ci", &"x".repeat(100)])
        .assert()
        .code(1)
        .stderr(predicate::str::is_empty().not());
}

#[test]
fn a_host_turning_the_sender_away_is_quoted_with_exit_4() {
    let host = Host::start(&["--max-per-ip", "1"]);
    // The one connection this address may hold, in the room before `send` connects.
    let _ana = PlainClient::join(&host, "ana");
    send(&host.server(), &["hello"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains(
            "too many connections from your address",
        ));
}
