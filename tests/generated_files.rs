//! The checked-in `completions/` and `man/` folders must hold exactly what chatroom generates.
//!
//! Packagers and the release archives take those files as they are, so a flag added to the CLI
//! without regenerating them would ship stale completions and man pages. This test compares them
//! byte for byte (after turning CRLF into LF, which a Windows checkout may introduce) and also
//! fails on a file that chatroom no longer generates.
//!
//! To regenerate both folders after changing the CLI:
//!
//! ```text
//! CHATROOM_BLESS=1 cargo test --test generated_files
//! ```

mod harness;

use std::fs;
use std::path::{Path, PathBuf};

use chatroom::docs::{GENERATED_DIRS, generated_files};

use harness::repo_root;

/// Set to anything but `0` to rewrite the folders instead of comparing them.
const BLESS_VAR: &str = "CHATROOM_BLESS";

fn blessing() -> bool {
    std::env::var_os(BLESS_VAR).is_some_and(|value| !value.is_empty() && value != "0")
}

/// Git on Windows may check text files out with CRLF; the content is the same.
fn normalize_newlines(bytes: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len());
    for (i, &byte) in bytes.iter().enumerate() {
        if !(byte == b'\r' && bytes.get(i + 1) == Some(&b'\n')) {
            out.push(byte);
        }
    }
    out
}

/// The first line where `actual` and `expected` differ, for a failure message a person can act
/// on without a diff tool.
fn first_difference(actual: &[u8], expected: &[u8]) -> String {
    let actual = String::from_utf8_lossy(actual);
    let expected = String::from_utf8_lossy(expected);
    let mut actual_lines = actual.lines();
    let mut expected_lines = expected.lines();
    for number in 1.. {
        match (actual_lines.next(), expected_lines.next()) {
            (None, None) => break,
            (a, e) if a == e => continue,
            (a, e) => {
                return format!(
                    "line {number}: checked in {:?}, generated {:?}",
                    a.unwrap_or("<end of file>"),
                    e.unwrap_or("<end of file>")
                );
            }
        }
    }
    "they differ only in line endings at the end".to_string()
}

/// Files in the generated folders, relative to the repository root.
fn checked_in_files() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in GENERATED_DIRS {
        let Ok(entries) = fs::read_dir(repo_root().join(dir)) else {
            continue;
        };
        for entry in entries {
            let entry = entry.expect("a readable directory entry");
            files.push(Path::new(dir).join(entry.file_name()));
        }
    }
    files
}

#[test]
fn checked_in_completions_and_man_pages_are_up_to_date() {
    let generated = generated_files();
    let bless = blessing();
    let mut problems = Vec::new();

    for file in &generated {
        let path = repo_root().join(&file.path);
        if bless {
            fs::create_dir_all(path.parent().unwrap()).unwrap();
            fs::write(&path, &file.contents).unwrap();
            continue;
        }
        match fs::read(&path) {
            Ok(actual) if normalize_newlines(&actual) == file.contents => {}
            Ok(actual) => problems.push(format!(
                "{} is stale: {}",
                file.path.display(),
                first_difference(&normalize_newlines(&actual), &file.contents)
            )),
            Err(err) => problems.push(format!("{} is missing: {err}", file.path.display())),
        }
    }

    for path in checked_in_files() {
        if generated.iter().any(|file| file.path == path) {
            continue;
        }
        if bless {
            fs::remove_file(repo_root().join(&path)).unwrap();
        } else {
            problems.push(format!("{} is not generated any more", path.display()));
        }
    }

    assert!(
        problems.is_empty(),
        "{}\n\nRegenerate with: {BLESS_VAR}=1 cargo test --test generated_files",
        problems.join("\n")
    );
}

#[test]
fn crlf_becomes_lf_and_nothing_else_changes() {
    assert_eq!(normalize_newlines(b"a\r\nb\rc\n\r\n"), b"a\nb\rc\n\n");
}

#[test]
fn the_first_difference_names_the_line() {
    assert_eq!(
        first_difference(b"same\nold\n", b"same\nnew\n"),
        r#"line 2: checked in "old", generated "new""#
    );
    assert_eq!(
        first_difference(b"same\n", b"same\nmore\n"),
        r#"line 2: checked in "<end of file>", generated "more""#
    );
}
