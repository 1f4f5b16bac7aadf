//! What the `chatroom join` tests share: a real host on a free port, a second participant
//! speaking the JSON protocol over a raw socket, and the client's command with a clean
//! environment.
//!
//! Everything waits for an event (a line from the host, a JSON event, the client's exit) with a
//! deadline, never for a fixed time, so the tests are fast when things work and fail with a
//! message when they do not.

#![allow(dead_code)] // Each test binary uses its own part of this.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use assert_cmd::cargo::cargo_bin;
use serde_json::{Value, json};

/// How long any single expectation may take before the test fails.
pub const TIMEOUT: Duration = Duration::from_secs(10);

/// A `chatroom host` on 127.0.0.1 and a port the OS chose.
pub struct Host {
    child: Child,
    /// `127.0.0.1:PORT`, as the host printed it.
    pub addr: String,
    /// The host's stdout after `listening on`, line by line (a thread drains it, so the host
    /// never blocks on a full pipe).
    pub output: crossbeam_channel::Receiver<String>,
}

impl Host {
    pub fn start() -> Host {
        let mut child = Command::new(cargo_bin!("chatroom"))
            .args([
                "host",
                "--bind",
                "127.0.0.1",
                "--port",
                "0",
                "--name",
                "testroom",
            ])
            .env_remove("CHATROOM_PORT")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the host starts");
        let rx = lines_of(child.stdout.take().unwrap());
        let addr = loop {
            let line = rx
                .recv_timeout(TIMEOUT)
                .expect("the host says where it listens");
            if let Some(addr) = line.strip_prefix("listening on ") {
                break addr.split_whitespace().next().unwrap().to_string();
            }
        };
        Host {
            child,
            addr,
            output: rx,
        }
    }

    /// Ctrl-C, as a person at the host's terminal would press it.
    pub fn interrupt(&self) {
        self.signal(nix::sys::signal::Signal::SIGINT);
    }

    /// Kills the host without letting it say goodbye: its clients' connections just drop.
    pub fn kill(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    fn signal(&self, signal: nix::sys::signal::Signal) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, signal).unwrap();
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The lines `reader` yields, read on a thread (so a child never blocks on a full pipe), as a
/// channel that closes at the end of input.
pub fn lines_of(reader: impl Read + Send + 'static) -> crossbeam_channel::Receiver<String> {
    let (tx, rx) = crossbeam_channel::unbounded();
    std::thread::spawn(move || {
        for line in BufReader::new(reader).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    rx
}

/// Another person in the room, speaking JSON over a plain socket.
pub struct Peer {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Peer {
    /// Joins `addr` as `nick` and waits for the welcome.
    pub fn join(addr: &str, nick: &str) -> Peer {
        let stream = TcpStream::connect(addr).expect("the peer connects");
        stream.set_read_timeout(Some(TIMEOUT)).unwrap();
        let mut peer = Peer {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        };
        peer.send(json!({"type": "hello", "v": 1, "nick": nick}));
        peer.expect("the welcome", |e| e["type"] == "welcome");
        peer
    }

    pub fn send(&mut self, request: Value) {
        writeln!(self.writer, "{request}").expect("the peer can write");
    }

    pub fn say(&mut self, text: &str) {
        self.send(json!({"type": "say", "text": text}));
    }

    /// Reads events until one matches `wanted`, and returns it; fails after [`TIMEOUT`].
    pub fn expect(&mut self, what: &str, wanted: impl Fn(&Value) -> bool) -> Value {
        let mut seen = Vec::new();
        loop {
            let mut line = String::new();
            match self.reader.read_line(&mut line) {
                Ok(0) => panic!("connection closed while waiting for {what}; saw {seen:#?}"),
                Ok(_) => {}
                Err(e) => panic!("no {what} ({e}); saw {seen:#?}"),
            }
            if !line.starts_with('{') {
                continue; // the plain greeting
            }
            let event: Value = serde_json::from_str(&line).expect("events are JSON");
            if wanted(&event) {
                return event;
            }
            seen.push(event);
        }
    }

    /// Waits for a message from `from` and returns its text.
    pub fn expect_message(&mut self, from: &str, kind: &str, text: &str) -> Value {
        self.expect(&format!("{kind} {text:?} from {from}"), |e| {
            e["type"] == "message" && e["from"] == from && e["kind"] == kind && e["text"] == text
        })
    }

    /// Waits until `nick` has joined the room.
    pub fn expect_join(&mut self, nick: &str) {
        self.expect(&format!("{nick} joining"), |e| {
            e["type"] == "join" && e["nick"] == nick
        });
    }
}

/// `chatroom join ARGS` with an environment of our choosing: no color or chatroom settings
/// from the developer's shell, and HOME and XDG_DATA_HOME in `home` so history stays there.
pub fn join_command(home: &Path, args: &[&str]) -> Command {
    let mut command = Command::new(cargo_bin!("chatroom"));
    command
        .arg("join")
        .args(args)
        .env("HOME", home)
        .env("XDG_DATA_HOME", home.join("data"))
        .env("TERM", "xterm-256color")
        .env("USER", "tester")
        .env("LANG", "C.UTF-8");
    for var in [
        "NO_COLOR",
        "CLICOLOR_FORCE",
        "CLICOLOR",
        "CHATROOM_NICK",
        "CHATROOM_SERVER",
        "CHATROOM_PORT",
        "XDG_CONFIG_HOME",
    ] {
        command.env_remove(var);
    }
    command
}

/// Waits (up to [`TIMEOUT`]) for `child` to exit; returns its exit code and stderr. A child
/// that does not exit in time is killed and the test fails.
pub fn wait_for_exit(mut child: Child) -> (Option<i32>, String) {
    let mut stderr = child.stderr.take().expect("stderr is piped");
    let pid = child.id();
    let (tx, rx) = crossbeam_channel::bounded(1);
    std::thread::spawn(move || {
        let mut text = String::new();
        let _ = std::io::Read::read_to_string(&mut stderr, &mut text);
        let _ = tx.send((child.wait().map(|status| status.code()), text));
    });
    match rx.recv_timeout(TIMEOUT) {
        Ok((Ok(code), stderr)) => (code, stderr),
        Ok((Err(e), _)) => panic!("cannot wait for the client: {e}"),
        Err(_) => {
            let pid = nix::unistd::Pid::from_raw(pid as i32);
            let _ = nix::sys::signal::kill(pid, nix::sys::signal::Signal::SIGKILL);
            panic!("the client did not exit within {TIMEOUT:?}");
        }
    }
}
