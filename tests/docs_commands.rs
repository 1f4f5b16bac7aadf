//! `chatroom completions` and `chatroom man`, run as a user runs them.

mod harness;

use std::time::Duration;

use chatroom::docs::{completions, man};
use clap::ValueEnum;
use clap_complete::Shell;
use predicates::prelude::*;

const TIMEOUT: Duration = Duration::from_secs(20);

/// The binary with a clean environment, so a developer's CHATROOM_* settings change nothing.
fn chatroom() -> assert_cmd::Command {
    harness::chatroom_cmd(TIMEOUT)
}

#[test]
fn completions_print_the_generated_script_for_every_shell() {
    for shell in Shell::value_variants() {
        chatroom()
            .args(["completions", &shell.to_string()])
            .assert()
            .success()
            .stdout(completions::render(*shell));
    }
}

#[test]
fn man_prints_the_main_page_and_each_commands_page() {
    chatroom()
        .arg("man")
        .assert()
        .success()
        .stdout(man::render(None).unwrap());
    chatroom()
        .args(["man", "host"])
        .assert()
        .success()
        .stdout(man::render(Some("host")).unwrap());
}

#[test]
fn man_for_an_unknown_command_is_a_usage_error() {
    chatroom()
        .args(["man", "nope"])
        .assert()
        .code(2)
        .stdout("")
        .stderr(
            predicate::str::contains("no man page for 'nope'")
                .and(predicate::str::contains("host")),
        );
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    chatroom().args(["completions", "tcsh"]).assert().code(2);
}

/// The README's own example. It rarely hits a closed pipe (the script fits in the pipe buffer),
/// which `tests/closed_pipe.rs` forces; this checks the whole pipeline a user types.
#[cfg(unix)]
#[test]
fn completions_piped_into_head_exit_zero() {
    let bin = harness::process::bin();
    let script = format!(
        "'{}' completions bash | head -c 10; echo \" ${{PIPESTATUS[0]}}\"",
        bin.display()
    );
    let output = assert_cmd::Command::new("bash")
        .args(["-c", &script])
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.ends_with(" 0\n"), "stdout {stdout:?}");
    assert_eq!(String::from_utf8_lossy(&output.stderr), "");
}
