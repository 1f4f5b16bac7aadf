//! Printing into a pipe whose reader has gone away (`chatroom man | head`) exits 0, quietly.
//!
//! These tests live alone in their own test binary on purpose: a child process that a parallel
//! test spawns at the same moment can inherit the read end of our pipe and keep it open, and then
//! the write never fails and the test proves nothing.

mod harness;

use std::process::Stdio;

use harness::{chatroom, wait_for_exit};

/// Runs chatroom with a stdout pipe whose reading end is closed straight away, as
/// `chatroom ... | head -c 10` does once it has its bytes, and returns the exit code and stderr.
fn run_into_closed_pipe(args: &[&str]) -> (Option<i32>, String) {
    let mut child = chatroom()
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chatroom starts");
    // Closing the reader before the child has written anything makes every write fail with a
    // broken pipe, however large the pipe buffer is.
    drop(child.stdout.take());
    wait_for_exit(child)
}

#[test]
fn a_closed_pipe_is_a_quiet_success() {
    for args in [&["completions", "bash"][..], &["man"], &["man", "send"]] {
        let (code, stderr) = run_into_closed_pipe(args);
        assert_eq!(code, Some(0), "chatroom {args:?} failed: {stderr}");
        assert_eq!(stderr, "", "chatroom {args:?} complained");
    }
}
