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

/// What bash offers for the last of `words` (a command line being completed), with the
/// checked-in script loaded, in a directory holding the file `a-file`.
#[cfg(unix)]
fn bash_completes(words: &[&str]) -> Vec<String> {
    let dir = harness::temp_dir();
    std::fs::write(dir.path().join("a-file"), "").unwrap();
    let script = harness::repo_root().join("completions/chatroom.bash");
    let words: Vec<String> = words.iter().map(|w| format!("'{w}'")).collect();
    // clap's function reads COMP_WORDS and COMP_CWORD, and takes the word being completed and
    // the one before it as $2 and $3, as `complete -F` passes them.
    let driver = format!(
        "source '{}'; COMP_WORDS=({}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
         _chatroom chatroom \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\" \
         2> /dev/null; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
        script.display(),
        words.join(" ")
    );
    let output = assert_cmd::Command::new("bash")
        .args(["--norc", "-c", &driver])
        .current_dir(dir.path())
        .timeout(TIMEOUT)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .filter(|line| !line.is_empty())
        .map(str::to_string)
        .collect()
}

#[cfg(unix)]
#[test]
fn bash_completes_the_man_pages_and_no_file_names_for_addresses_and_nicknames() {
    let pages = bash_completes(&["chatroom", "man", ""]);
    for page in ["host", "join", "send", "bench", "completions", "man"] {
        assert!(pages.iter().any(|p| p == page), "{page} missing: {pages:?}");
    }
    for words in [
        &["chatroom", "send", "--to", ""][..],
        &["chatroom", "send", "-s", ""],
        &["chatroom", "send", "--server", "a"],
        &["chatroom", "host", "--bind", ""],
        &["chatroom", "join", "--nick", "x", ""],
    ] {
        let offered = bash_completes(words);
        assert!(
            !offered.iter().any(|w| w == "a-file"),
            "{words:?}: {offered:?}"
        );
    }
    // Where a file is meant, bash still offers files.
    assert_eq!(
        bash_completes(&["chatroom", "join", "--history-file", "a"]),
        ["a-file"]
    );
}

/// What fish offers for `line` with the checked-in script loaded, in a directory holding the
/// file `a-file`; `None` where fish is not installed (the script's text is checked in
/// `src/docs/completions.rs` regardless).
#[cfg(unix)]
fn fish_completes(line: &str) -> Option<Vec<String>> {
    let dir = harness::temp_dir();
    std::fs::write(dir.path().join("a-file"), "").unwrap();
    let script = harness::repo_root().join("completions/chatroom.fish");
    let driver = format!(
        "source '{}'; function chatroom; end; complete -C '{line}'",
        script.display()
    );
    let output = std::process::Command::new("fish")
        .args(["--no-config", "-c", &driver])
        .current_dir(dir.path())
        .output()
        .ok()?;
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8(output.stdout).unwrap();
    Some(
        stdout
            .lines()
            .map(|l| l.split('\t').next().unwrap().to_string())
            .collect(),
    )
}

#[cfg(unix)]
#[test]
fn fish_completes_the_man_pages_and_no_file_names_for_addresses_and_nicknames() {
    let Some(pages) = fish_completes("chatroom man ") else {
        eprintln!("fish is not installed: skipped");
        return;
    };
    assert_eq!(
        pages,
        ["bench", "completions", "host", "join", "man", "send"]
    );
    for line in [
        "chatroom send --to ",
        "chatroom send --server ",
        "chatroom host --bind ",
        "chatroom join ",
    ] {
        let offered = fish_completes(line).unwrap();
        assert!(
            !offered.iter().any(|w| w == "a-file"),
            "{line}: {offered:?}"
        );
    }
    assert_eq!(
        fish_completes("chatroom join --history-file ").unwrap(),
        ["a-file"]
    );
}
