//! The README's Quick start, run as written: its four lines, one terminal each, make a room in
//! which `join`, `nc` and `send` all hear each other. Only `cargo run --release --` is replaced
//! by the binary under test, and the port by a free one (through `CHATROOM_PORT`, which the
//! host, `join` and `send` all read, and in the `nc` line).
#![cfg(target_os = "linux")]

mod harness;

use std::process::Stdio;

use harness::process::lines_of;
use harness::{Host, Nc, chatroom, join_command, repo_file, temp_dir};

/// The Quick start's command lines, comments removed.
fn quick_start_commands() -> Vec<String> {
    let readme = repo_file("README.md");
    let section = readme
        .split("\n## Quick start\n")
        .nth(1)
        .expect("the README has a Quick start");
    let block = section
        .split("```")
        .nth(1)
        .expect("the Quick start has a code block");
    block
        .lines()
        .map(|line| line.split("  #").next().unwrap().trim().to_string())
        .filter(|line| !line.is_empty())
        .collect()
}

/// The words of a `cargo run --release -- ARGS` command after the `--`.
fn chatroom_args(command: &str) -> Vec<&str> {
    let (_, args) = command
        .split_once("cargo run --release -- ")
        .unwrap_or_else(|| panic!("not a `cargo run` line: {command}"));
    args.split_whitespace().collect()
}

#[test]
fn the_quick_start_makes_a_room_where_everyone_hears_everyone() {
    let commands = quick_start_commands();
    assert_eq!(commands.len(), 4, "{commands:?}");
    let port = harness::closed_port().to_string();

    let host_args = chatroom_args(&commands[0]);
    assert_eq!(host_args, ["host"]);
    let mut host_cmd = chatroom();
    host_cmd.args(&host_args).env("CHATROOM_PORT", &port);
    let host = Host::launch(host_cmd, &[]);

    let home = temp_dir();
    let mut join = join_command(home.path(), &chatroom_args(&commands[1])[1..])
        .env("CHATROOM_PORT", &port)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("join starts");
    let ana = lines_of(join.stdout.take().unwrap());
    let expect = |what: &str| loop {
        match ana.recv_timeout(harness::PROCESS_TIMEOUT) {
            Ok(line) if line.contains(what) => return line,
            Ok(_) => {}
            Err(e) => panic!("join never printed {what:?} ({e})"),
        }
    };
    expect("welcome to");

    let nc_line = commands[2].replace("55555", &port);
    let nc_args: Vec<&str> = nc_line.split_whitespace().skip(1).collect();
    assert_eq!(nc_line.split_whitespace().next(), Some("nc"));
    let mut friend = Nc::start(&nc_args);
    friend.type_line("bob");
    expect("bob joined");
    friend.type_line("hello from nc");
    expect("<bob> hello from nc");

    let script = commands[3].replace(
        "cargo run --release --",
        harness::process::bin().to_str().unwrap(),
    );
    let status = chatroom_shell(&script, &port);
    assert!(status.success(), "`{script}` failed: {status}");
    expect("<ci> build is green");
    friend.expect("ci's message", |l| l.ends_with("<ci> build is green"));

    drop(host);
    let _ = join.kill();
    let _ = join.wait();
}

/// Runs a README shell line in the clean environment the tests use, with `CHATROOM_PORT`.
fn chatroom_shell(line: &str, port: &str) -> std::process::ExitStatus {
    let mut shell = std::process::Command::new("sh");
    shell.args(["-c", line]);
    for (key, value) in chatroom().get_envs() {
        match value {
            Some(value) => shell.env(key, value),
            None => shell.env_remove(key),
        };
    }
    shell
        .env("CHATROOM_PORT", port)
        .stdin(Stdio::null())
        .status()
        .expect("sh runs")
}
