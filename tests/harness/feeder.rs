//! `chatroom send --retry` fed line by line by the test (`line 1`, `line 2`, ...), and reading
//! back which of those lines an observer received: how the tests check that a broken
//! connection, a restarted host or a lost Redis loses no line and doubles none.

use std::io::Write;
use std::process::{Child, ChildStdin, Stdio};

use serde_json::Value;

use super::{JsonClient, chatroom};

/// `chatroom send --retry SECS` to `server` as `feeder`, reading the lines the test writes to
/// its stdin.
pub fn piped_send(server: &str, retry: &str) -> (Child, ChildStdin) {
    let mut child = chatroom()
        .args([
            "send", "--server", server, "--nick", "feeder", "--retry", retry,
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn chatroom send");
    let stdin = child.stdin.take().unwrap();
    (child, stdin)
}

/// Writes `line N` for each number to the feeder's stdin.
pub fn write_lines(stdin: &mut ChildStdin, numbers: std::ops::RangeInclusive<u32>) {
    let text: String = numbers.map(|n| format!("line {n}\n")).collect();
    stdin.write_all(text.as_bytes()).unwrap();
    stdin.flush().unwrap();
}

/// The numbers of the feeder's lines `observer` received, in order, until it has seen `last`.
pub fn lines_until(observer: &mut JsonClient, last: u32) -> Vec<u32> {
    let mut seen = Vec::new();
    while seen.last() != Some(&last) {
        let event: Value = observer.expect_event_where("message", |e| e["from"] == "feeder");
        let text = event["text"].as_str().unwrap();
        seen.push(text.trim_start_matches("line ").parse().unwrap());
    }
    seen
}
