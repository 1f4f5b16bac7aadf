//! `chatroom join` on a terminal: the real binary in a pseudo-terminal, driven key by key.
//!
//! Tests wait for what the client draws (its prompt, an incoming line) before typing on, as a
//! person would; rexpect fails an expectation after [`PROCESS_TIMEOUT`] with what it saw instead.

use std::path::Path;

use nix::sys::wait::WaitStatus;
use rexpect::session::{PtySession, spawn_command};

use super::PROCESS_TIMEOUT;
use super::host::Host;
use super::join::join_command;

/// The welcome's last line: the client is joined and about to show its prompt.
pub const READY: &str = "Tab completes nicknames";

/// Up arrow, as a terminal sends it.
pub const UP: &str = "\x1b[A";

/// What the line editor writes when it starts reading keys (it turns bracketed paste on as it
/// enters raw mode). Control keys typed before then would reach the terminal's own line
/// discipline instead (Ctrl-C as SIGINT), as they would for a person typing in that instant.
pub const EDITING: &str = "\x1b[?2004h";

/// A `chatroom join` client in a pseudo-terminal.
pub struct PtyClient {
    session: PtySession,
}

impl PtyClient {
    /// Starts `chatroom join` against `host` in a pseudo-terminal, with HOME in `home`; `args`
    /// follow the server address.
    pub fn start(host: &Host, home: &Path, args: &[&str]) -> PtyClient {
        PtyClient::start_at(&host.server(), home, args)
    }

    /// [`PtyClient::start`] against whatever listens at `server` (a test's own stand-in host).
    pub fn start_at(server: &str, home: &Path, args: &[&str]) -> PtyClient {
        let mut all = vec![server];
        all.extend_from_slice(args);
        let command = join_command(home, &all);
        let session = spawn_command(command, Some(PROCESS_TIMEOUT.as_millis() as u64))
            .expect("the client starts in a pty");
        PtyClient { session }
    }

    /// Starts a client as `nick`, without colors, and waits until it is in the room and its
    /// editor reads keys; `more` arguments follow.
    pub fn joined(host: &Host, home: &Path, nick: &str, more: &[&str]) -> PtyClient {
        let mut args = vec!["--nick", nick, "--color", "never"];
        args.extend_from_slice(more);
        let mut client = PtyClient::start(host, home, &args);
        client.expect(READY);
        client.expect(EDITING);
        client
    }

    /// Waits until the client has drawn `text`; returns what it drew before it.
    pub fn expect(&mut self, text: &str) -> String {
        self.session
            .exp_string(text)
            .unwrap_or_else(|e| panic!("the client never showed {text:?}: {e}"))
    }

    /// Waits until the client has drawn a match for `pattern`, and returns the match.
    pub fn expect_regex(&mut self, pattern: &str) -> String {
        self.session
            .exp_regex(pattern)
            .unwrap_or_else(|e| panic!("the client never showed /{pattern}/: {e}"))
            .1
    }

    /// Turns the terminal's echo on, as a person's terminal has it (rexpect starts the client on
    /// a terminal that does not echo, which would hide an echoed password from a test).
    pub fn turn_echo_on(&mut self) {
        use nix::sys::termios::{LocalFlags, SetArg, tcgetattr, tcsetattr};
        let master = self.session.process().get_file_handle().unwrap();
        let mut settings = tcgetattr(&master).unwrap();
        settings.local_flags.insert(LocalFlags::ECHO);
        tcsetattr(&master, SetArg::TCSANOW, &settings).unwrap();
    }

    /// Waits until the terminal no longer echoes what is typed (a password prompt turns echo
    /// off just after drawing itself): keys typed before then would be shown, as they would be
    /// for a person typing in that instant. The terminal's settings are read from our side of
    /// the pseudo-terminal, so this waits for the change itself, not for time to pass.
    pub fn wait_for_no_echo(&mut self) {
        use nix::sys::termios::{LocalFlags, tcgetattr};
        let master = self.session.process().get_file_handle().unwrap();
        let deadline = std::time::Instant::now() + PROCESS_TIMEOUT;
        while tcgetattr(&master)
            .unwrap()
            .local_flags
            .contains(LocalFlags::ECHO)
        {
            assert!(
                std::time::Instant::now() < deadline,
                "the terminal still echoes after {PROCESS_TIMEOUT:?}"
            );
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    }

    /// Types keys without pressing Enter.
    pub fn type_keys(&mut self, keys: &str) {
        self.session.send(keys).unwrap();
        self.session.flush().unwrap();
    }

    /// Types a line and presses Enter.
    pub fn type_line(&mut self, line: &str) {
        self.type_keys(&format!("{line}\r"));
    }

    /// Types a line, presses Enter, and waits for the editor to read keys again.
    pub fn enter_line(&mut self, line: &str) {
        self.type_line(line);
        self.expect(EDITING);
    }

    /// Presses Ctrl and `key`.
    pub fn control(&mut self, key: char) {
        self.session.send_control(key).unwrap();
    }

    /// Waits for the client to exit and returns its exit code.
    pub fn exit_code(mut self) -> i32 {
        self.session
            .exp_eof()
            .unwrap_or_else(|e| panic!("the client did not exit: {e}"));
        match self.session.process().wait().unwrap() {
            WaitStatus::Exited(_, code) => code,
            other => panic!("the client ended with {other:?}"),
        }
    }
}
