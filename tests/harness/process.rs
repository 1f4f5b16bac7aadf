//! Running the `chatroom` binary the way the tests need it: with an environment that cannot
//! influence the result, as `chatroom send`, and as a child whose output lines and exit are
//! waited for with a deadline.

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use super::PROCESS_TIMEOUT;

/// The binary under test.
pub fn bin() -> &'static Path {
    assert_cmd::cargo::cargo_bin!("chatroom")
}

/// `chatroom` with an environment that cannot influence the test: no color variables, no
/// `CHATROOM_*` defaults from the developer's shell, and a home of its own ([`test_home`]), so
/// the developer's config file and history are never read.
pub fn chatroom() -> Command {
    let mut cmd = Command::new(bin());
    let home = test_home();
    cmd.env("HOME", home)
        .env("XDG_CONFIG_HOME", home.join(".config"))
        .env("XDG_DATA_HOME", home.join(".local/share"));
    for (key, _) in std::env::vars_os() {
        if key.to_string_lossy().starts_with("CHATROOM_") {
            cmd.env_remove(key);
        }
    }
    for var in ["NO_COLOR", "CLICOLOR_FORCE", "CLICOLOR"] {
        cmd.env_remove(var);
    }
    cmd
}

/// The home every [`chatroom`] command gets: an empty directory under cargo's temporary folder
/// for tests. No test writes a config file into it; a test of the default config location gives
/// its command a home of its own. (On Windows `dirs` asks the system for the config folder
/// rather than reading the environment, so there a developer's own file could still be read.)
pub fn test_home() -> &'static Path {
    static HOME: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();
    HOME.get_or_init(|| {
        let home = Path::new(env!("CARGO_TARGET_TMPDIR")).join("home");
        std::fs::create_dir_all(&home).expect("the tests' home directory");
        home
    })
}

/// [`chatroom`] as an assert_cmd command that fails the test instead of hanging after `timeout`.
pub fn chatroom_cmd(timeout: Duration) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::from_std(chatroom());
    cmd.timeout(timeout);
    cmd
}

/// `chatroom send --server SERVER ARGS...` as an assert_cmd command with a generous timeout, so a
/// hung `send` fails the test instead of hanging the suite.
pub fn send(server: &str, args: &[&str]) -> assert_cmd::Command {
    let mut cmd = chatroom_cmd(Duration::from_secs(30));
    cmd.arg("send").arg("--server").arg(server).args(args);
    cmd
}

/// Calls `each` with every line `reader` yields (newline and a trailing `\r` removed, invalid
/// UTF-8 replaced), until the end of input or a read error.
pub fn for_each_line(reader: impl Read, mut each: impl FnMut(&str)) {
    let mut reader = BufReader::new(reader);
    let mut line = Vec::new();
    while let Ok(n) = reader.read_until(b'\n', &mut line) {
        if n == 0 {
            break;
        }
        each(String::from_utf8_lossy(&line).trim_end_matches(['\r', '\n']));
        line.clear();
    }
}

/// The lines `reader` yields, read on a thread to the end (so a child never blocks on a full
/// pipe, even once nobody listens), as a channel that closes at the end of input.
pub fn lines_of(reader: impl Read + Send + 'static) -> crossbeam_channel::Receiver<String> {
    let (tx, rx) = crossbeam_channel::unbounded();
    thread::spawn(move || {
        for_each_line(reader, |line| {
            let _ = tx.send(line.to_string());
        })
    });
    rx
}

/// Waits up to `timeout` for `child` to exit; `None` if it is still running.
pub fn wait_within(child: &mut Child, timeout: Duration) -> Option<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(status) = child.try_wait().expect("try_wait on a child") {
            return Some(status);
        }
        if Instant::now() >= deadline {
            return None;
        }
        thread::sleep(Duration::from_millis(10));
    }
}

/// Waits (up to [`PROCESS_TIMEOUT`]) for `child`, whose stderr is piped, to exit; returns its
/// exit code and everything it wrote to stderr. A child that does not exit in time is killed and
/// the test fails.
pub fn wait_for_exit(mut child: Child) -> (Option<i32>, String) {
    let stderr = read_to_end(child.stderr.take().expect("stderr is piped"));
    let Some(status) = wait_within(&mut child, PROCESS_TIMEOUT) else {
        let _ = child.kill();
        let _ = child.wait();
        panic!(
            "the child did not exit within {PROCESS_TIMEOUT:?}; its stderr:\n{}",
            stderr.join().unwrap()
        );
    };
    (status.code(), stderr.join().unwrap())
}

/// Reads `pipe` to its end on a thread, so the child never blocks writing to it.
fn read_to_end(mut pipe: impl Read + Send + 'static) -> JoinHandle<String> {
    thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}
