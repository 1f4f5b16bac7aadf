//! `chatroom join` as scripts and bots run it, with stdin and stdout piped ([`PipedClient`]),
//! and [`join_command`], the command every `join` test runs (the pseudo-terminal client in
//! `pty` too).

use std::io::Write;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};

use super::PROCESS_TIMEOUT;
use super::files::temp_dir;
use super::process::{chatroom, lines_of, wait_for_exit};

/// `chatroom join SERVER ARGS...` (`args` start with the server) in a clean environment (see
/// [`chatroom`]) whose HOME and XDG_DATA_HOME are in `home`, so the line editor's history stays
/// there, and so does `known_hosts` (`CHATROOM_DATA_DIR` too: Windows does not read the XDG
/// variables), and whose terminal, user and locale are fixed.
pub fn join_command(home: &Path, args: &[&str]) -> Command {
    let mut command = chatroom();
    command
        .arg("join")
        .args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("CHATROOM_DATA_DIR", home.join("data").join("chatroom"))
        .env_remove("XDG_CONFIG_HOME")
        .env("TERM", "xterm-256color")
        .env("USER", "tester")
        .env("LANG", "C.UTF-8");
    command
}

/// A `chatroom join` client with piped stdin and stdout, its output read line by line.
pub struct PipedClient {
    child: Child,
    stdin: Option<ChildStdin>,
    lines: crossbeam_channel::Receiver<String>,
    _home: tempfile::TempDir,
}

impl PipedClient {
    /// Starts `chatroom join SERVER ARGS...` in a home of its own, with `env` added to its
    /// environment.
    pub fn start(server: &str, args: &[&str], env: &[(&str, &str)]) -> PipedClient {
        let home = temp_dir();
        let mut all = vec![server];
        all.extend_from_slice(args);
        let mut command = join_command(home.path(), &all);
        command.envs(env.iter().copied());
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the client starts");
        let lines = lines_of(child.stdout.take().unwrap());
        PipedClient {
            stdin: child.stdin.take(),
            child,
            lines,
            _home: home,
        }
    }

    /// The next stdout line that contains `text`; fails after [`PROCESS_TIMEOUT`].
    pub fn expect(&self, text: &str) -> String {
        loop {
            match self.lines.recv_timeout(PROCESS_TIMEOUT) {
                Ok(line) if line.contains(text) => return line,
                Ok(_) => {}
                Err(e) => panic!("the client never printed {text:?} ({e})"),
            }
        }
    }

    /// Every stdout line up to and including the next one that contains `text` (to check what
    /// was not printed before it); fails after [`PROCESS_TIMEOUT`].
    pub fn lines_until(&self, text: &str) -> Vec<String> {
        let mut lines = Vec::new();
        loop {
            match self.lines.recv_timeout(PROCESS_TIMEOUT) {
                Ok(line) => {
                    let done = line.contains(text);
                    lines.push(line);
                    if done {
                        return lines;
                    }
                }
                Err(e) => panic!("the client never printed {text:?} ({e}); it printed {lines:?}"),
            }
        }
    }

    /// Writes `line` and a newline to the client's stdin.
    pub fn write(&mut self, line: &str) {
        writeln!(self.stdin.as_mut().unwrap(), "{line}").unwrap();
    }

    /// Closes stdin, waits for the client to finish, and returns its exit code and stderr.
    pub fn finish(mut self) -> (Option<i32>, String) {
        drop(self.stdin.take());
        wait_for_exit(self.child)
    }

    /// Waits for the client to finish on its own, stdin still open (the end of stdin would be
    /// a reason to leave, racing with whatever the test is about).
    pub fn exit_by_itself(self) -> (Option<i32>, String) {
        let _stdin = self.stdin;
        wait_for_exit(self.child)
    }
}
