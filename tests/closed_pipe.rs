//! Printing into a pipe whose reader has gone away (`chatroom man | head`) exits 0, quietly.
//!
//! These tests live alone in their own test binary on purpose: a child process that a parallel
//! test spawns at the same moment can inherit the read end of our pipe and keep it open, and then
//! the write never fails and the test proves nothing.

use std::io::Read;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use assert_cmd::cargo::cargo_bin;

const TIMEOUT: Duration = Duration::from_secs(20);

/// Runs chatroom with a stdout pipe whose reading end is closed straight away, as
/// `chatroom ... | head -c 10` does once it has its bytes, and returns the exit code and stderr.
fn run_into_closed_pipe(args: &[&str]) -> (Option<i32>, String) {
    let mut child = Command::new(cargo_bin!("chatroom"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("chatroom starts");
    // Closing the reader before the child has written anything makes every write fail with a
    // broken pipe, however large the pipe buffer is.
    drop(child.stdout.take());
    let deadline = Instant::now() + TIMEOUT;
    let status = loop {
        if let Some(status) = child.try_wait().expect("waiting works") {
            break status;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("chatroom {args:?} did not exit within {TIMEOUT:?}");
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status.code(), stderr)
}

#[test]
fn a_closed_pipe_is_a_quiet_success() {
    for args in [&["completions", "bash"][..], &["man"], &["man", "send"]] {
        let (code, stderr) = run_into_closed_pipe(args);
        assert_eq!(code, Some(0), "chatroom {args:?} failed: {stderr}");
        assert_eq!(stderr, "", "chatroom {args:?} complained");
    }
}
