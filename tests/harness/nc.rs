//! The real `nc` (OpenBSD's, Debian's `netcat-openbsd`), the client the classic tutorials use:
//! [`Nc`] runs it with its input kept open, as a person's terminal is. `openssl s_client` is run
//! the same way, for a host with `--tls`.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, Stdio};

use super::host::Host;

/// `nc 127.0.0.1 PORT` with its input kept open, and its output read line by line.
pub struct Nc {
    child: Child,
    input: ChildStdin,
    output: crossbeam_channel::Receiver<String>,
}

impl Nc {
    /// `nc 127.0.0.1 PORT`.
    pub fn connect(host: &Host) -> Nc {
        Nc::start(&["127.0.0.1", &host.port().to_string()])
    }

    /// `nc ARGS...`, as a README line runs it.
    pub fn start(args: &[&str]) -> Nc {
        let mut nc = Command::new("nc");
        nc.args(args);
        Nc::spawn(
            nc,
            "nc runs (CI installs netcat-openbsd; install it to run these tests)",
        )
    }

    /// `openssl s_client -quiet -connect 127.0.0.1:PORT`, the TLS client people already have,
    /// as the host's start-up lines and the README suggest it for a `--tls` host.
    pub fn openssl(host: &Host) -> Nc {
        let mut openssl = Command::new("openssl");
        openssl.args(["s_client", "-quiet", "-connect", &host.server()]);
        Nc::spawn(
            openssl,
            "openssl runs (CI installs it; install it to run these tests)",
        )
    }

    /// Runs `cmd` with its input kept open and its output read line by line (`missing` is the
    /// panic message should it not start).
    fn spawn(mut cmd: Command, missing: &str) -> Nc {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect(missing);
        let input = child.stdin.take().unwrap();
        let stdout = child.stdout.take().unwrap();
        let (tx, output) = crossbeam_channel::unbounded();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Nc {
            child,
            input,
            output,
        }
    }

    /// Types `line` and Enter.
    pub fn type_line(&mut self, line: &str) {
        writeln!(self.input, "{line}").expect("nc takes input");
    }

    /// Waits for a line of output satisfying `pred`.
    pub fn expect(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        loop {
            match self.output.recv_timeout(super::TIMEOUT) {
                Ok(line) if pred(&line) => return line,
                Ok(_) => continue,
                Err(_) => panic!("nc did not show {what}"),
            }
        }
    }

    /// `nc` must end by itself, its input still open; returns its exit code.
    pub fn ends_by_itself(mut self) -> Option<i32> {
        let status = super::process::wait_within(&mut self.child, super::PROCESS_TIMEOUT)
            .unwrap_or_else(|| {
                let _ = self.child.kill();
                panic!("nc did not end by itself once the connection was closed")
            });
        drop(self.input);
        status.code()
    }
}
