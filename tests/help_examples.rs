//! The examples `--help` shows after the options (`chatroom host --help`, ...) stay true: each
//! one is a command line chatroom accepts, and each is also in the README's Usage section for
//! its command, whose examples other tests run (`tests/send.rs` runs every `send` example
//! against a real host).

mod harness;

use std::time::Duration;

use chatroom::cli::Cli;
use clap::Parser;

use harness::repo_file;

/// The commands whose `--help` must end with examples.
const COMMANDS: [&str; 4] = ["host", "join", "send", "bench"];

/// The example lines `chatroom COMMAND --help` prints, comments removed.
fn help_examples(command: &str) -> Vec<String> {
    let output = harness::chatroom_cmd(Duration::from_secs(20))
        .args([command, "--help"])
        .env("COLUMNS", "200")
        .output()
        .unwrap();
    assert!(output.status.success());
    let help = String::from_utf8(output.stdout).unwrap();
    let (_, examples) = help
        .split_once("\nExamples:\n")
        .unwrap_or_else(|| panic!("`chatroom {command} --help` has no examples"));
    examples
        .lines()
        .map(|line| without_comment(line).to_string())
        .filter(|line| !line.is_empty())
        .collect()
}

/// `line` without a trailing `# comment` and surrounding blanks.
fn without_comment(line: &str) -> &str {
    line.split(" # ").next().unwrap().trim()
}

/// The lines of the first code block in the README's section for `chatroom COMMAND`, comments
/// removed.
fn readme_examples(command: &str) -> Vec<String> {
    let readme = repo_file("README.md");
    let heading = format!("\n### `chatroom {command}`\n");
    let section = readme.split_once(&heading).map(|(_, rest)| rest);
    let Some(section) = section else {
        return Vec::new();
    };
    let block = section.split("```").nth(1).unwrap_or("");
    block
        .lines()
        .map(|line| without_comment(line).to_string())
        .collect()
}

/// The words of a shell command line, double quotes removed (the examples use no other
/// quoting), keeping only the part of a pipeline that runs chatroom.
fn chatroom_words(example: &str) -> Vec<String> {
    let mut segments = vec![Vec::new()];
    let (mut word, mut quoted, mut in_word) = (String::new(), false, false);
    for c in example.chars().chain([' ']) {
        match c {
            '"' => (quoted, in_word) = (!quoted, true),
            ' ' if !quoted => {
                if in_word {
                    segments.last_mut().unwrap().push(std::mem::take(&mut word));
                }
                in_word = false;
            }
            '|' if !quoted && !in_word => segments.push(Vec::new()),
            c => (word, in_word) = (word + &c.to_string(), true),
        }
    }
    segments
        .into_iter()
        .find(|words| words.first().is_some_and(|w| w == "chatroom"))
        .unwrap_or_else(|| panic!("no chatroom in {example:?}"))
}

#[test]
fn words_are_split_as_a_shell_splits_them() {
    assert_eq!(
        chatroom_words(r#"make 2>&1 | chatroom send --to al "a b" | jq ."#),
        ["chatroom", "send", "--to", "al", "a b"]
    );
}

#[test]
fn every_help_example_is_a_valid_command_line() {
    for command in COMMANDS {
        let examples = help_examples(command);
        assert!(examples.len() >= 3, "{command}: {examples:?}");
        for example in examples {
            let words = chatroom_words(&example);
            assert_eq!(words[1], command, "{example}");
            if let Err(err) = Cli::try_parse_from(&words) {
                panic!("`{example}` does not parse: {err}");
            }
        }
    }
}

#[test]
fn host_join_and_send_examples_are_the_readmes() {
    for command in ["host", "join", "send"] {
        let readme = readme_examples(command);
        for example in help_examples(command) {
            assert!(
                readme.contains(&example),
                "`{example}` is not in the README's `chatroom {command}` examples: {readme:?}"
            );
        }
    }
}
