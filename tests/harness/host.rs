//! A real `chatroom host` on 127.0.0.1 and a port the OS chose, started with whatever extra
//! arguments a test needs, with its console (stdout and stderr) kept for the test to search.

use std::net::{SocketAddr, TcpListener};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::{self, JoinHandle};
use std::time::Instant;

use super::process::{chatroom, for_each_line, wait_within};
use super::{PROCESS_TIMEOUT, TIMEOUT};

/// Everything the host printed (stdout and stderr, line by line), with a condition variable so
/// tests can wait for a line instead of polling.
#[derive(Default)]
struct Console {
    text: Mutex<String>,
    changed: Condvar,
    /// How many of the two pipes reached end of file (2: the host is gone, nothing more comes).
    pipes_closed: AtomicUsize,
}

impl Console {
    fn append(&self, line: &str) {
        let mut text = self.text.lock().unwrap();
        text.push_str(line);
        text.push('\n');
        self.changed.notify_all();
    }

    fn pipe_closed(&self) {
        let _text = self.text.lock().unwrap();
        self.pipes_closed.fetch_add(1, Ordering::SeqCst);
        self.changed.notify_all();
    }
}

/// A running `chatroom host --bind 127.0.0.1 --port 0 ARGS...`, killed when dropped.
pub struct Host {
    child: Child,
    /// The address from the `listening on ADDR` line.
    pub addr: SocketAddr,
    /// The room name (`--name`, or the default), for greeting checks.
    pub name: String,
    /// Seconds a new connection has to send its nickname (`--handshake-timeout`, or the
    /// default), for greeting checks.
    pub handshake_timeout: u64,
    /// The room has a password (`--password-file` or `--password`): its greeting asks for it.
    pub locked: bool,
    console: Arc<Console>,
    drains: Vec<JoinHandle<()>>,
    status: Option<ExitStatus>,
}

impl Host {
    /// The command [`Host::start`] runs: `chatroom host --bind 127.0.0.1 --port 0` followed by
    /// `args`. For a test that expects the host to refuse to start.
    pub fn command(args: &[&str]) -> Command {
        let mut cmd = chatroom();
        cmd.args(["host", "--bind", "127.0.0.1", "--port", "0"])
            .args(args);
        cmd
    }

    /// Starts a host with `args` after `host --bind 127.0.0.1 --port 0` and waits for its
    /// `listening on ADDR` line. Any host option can be passed, e.g.
    /// `Host::start(&["--max-clients", "1"])`.
    pub fn start(args: &[&str]) -> Host {
        Host::launch(Host::command(args), args)
    }

    /// Starts `cmd` (a [`Host::command`], perhaps wrapped) and waits for its `listening on ADDR`
    /// line; `args` are the host arguments it was made with.
    pub fn launch(mut cmd: Command, args: &[&str]) -> Host {
        cmd.stdin(Stdio::null());
        Host::spawn(cmd, args)
    }

    /// Starts a host whose standard input is a terminal, as when someone runs `chatroom host`
    /// in one: its console takes commands, typed with the returned [`Keyboard`]. Its stdout and
    /// stderr are piped and kept as [`Host::start`]'s are.
    #[cfg(unix)]
    pub fn start_in_terminal(args: &[&str]) -> (Host, Keyboard) {
        let pty = nix::pty::openpty(None, None).expect("a pseudo-terminal");
        let mut cmd = Host::command(args);
        cmd.stdin(std::fs::File::from(pty.slave));
        let host = Host::spawn(cmd, args);
        let master = std::fs::File::from(pty.master);
        // The terminal echoes what is typed: read it away, so the echo never fills up.
        let mut echo = master.try_clone().expect("the terminal's other end");
        thread::spawn(move || std::io::copy(&mut echo, &mut std::io::sink()));
        (host, Keyboard { master })
    }

    /// Spawns `cmd`, whose standard input is set, with stdout and stderr kept as the console,
    /// and waits for its `listening on ADDR` line.
    fn spawn(mut cmd: Command, args: &[&str]) -> Host {
        let mut child = cmd
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn chatroom host");
        let console = Arc::new(Console::default());
        let drains = vec![
            drain(child.stdout.take().unwrap(), console.clone()),
            drain(child.stderr.take().unwrap(), console.clone()),
        ];
        let mut host = Host {
            child,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            name: room_name(args),
            handshake_timeout: handshake_timeout(args),
            locked: has_password(args),
            console,
            drains,
            status: None,
        };
        let line = host.wait_for_console("a `listening on ADDR` line", |l| {
            l.contains("listening on ")
        });
        host.addr = parse_listening_line(&line)
            .unwrap_or_else(|| panic!("cannot read an address from {line:?}"));
        host
    }

    /// Starts a host whose stdout and stderr are gone once it is up, as under `nohup` with a
    /// closed terminal, an ssh session that dropped, or `chatroom host 2>&1 | head -1`: every
    /// write the host makes after its `listening on` line fails. Its console is not kept.
    #[cfg(unix)]
    pub fn start_without_console(args: &[&str], outputs: LostOutputs) -> Host {
        Host::launch_without_console(Host::command(args), args, outputs)
    }

    /// [`Host::start_without_console`] for a command made with [`Host::command`], perhaps
    /// wrapped.
    #[cfg(unix)]
    pub fn launch_without_console(mut cmd: Command, args: &[&str], outputs: LostOutputs) -> Host {
        cmd.stdin(Stdio::null());
        match outputs {
            LostOutputs::ClosedPipes => {
                cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
                let mut child = cmd.spawn().expect("spawn chatroom host");
                drop(child.stderr.take());
                let stdout = child.stdout.take().unwrap();
                Host::adopt(child, Box::new(stdout), args)
            }
            LostOutputs::HungUpTerminal => {
                let pty = nix::pty::openpty(None, None).expect("a pseudo-terminal");
                let slave = std::fs::File::from(pty.slave);
                cmd.stdout(slave.try_clone().unwrap()).stderr(slave);
                let child = cmd.spawn().expect("spawn chatroom host");
                // The command holds the terminal's other copies: only the host keeps one.
                drop(cmd);
                Host::adopt(child, Box::new(std::fs::File::from(pty.master)), args)
            }
        }
    }

    /// Wraps a started host, reading its address from `output`, which is then closed.
    #[cfg(unix)]
    fn adopt(child: Child, output: Box<dyn std::io::Read>, args: &[&str]) -> Host {
        use std::io::{BufRead, BufReader};
        let mut lines = BufReader::new(output).lines();
        let addr = loop {
            let line = match lines.next() {
                Some(Ok(line)) => line,
                other => panic!("the host ended its output before `listening on`: {other:?}"),
            };
            if let Some(addr) = parse_listening_line(&line) {
                break addr;
            }
        };
        drop(lines);
        let console = Arc::new(Console::default());
        console.pipes_closed.store(2, Ordering::SeqCst);
        Host {
            child,
            addr,
            name: room_name(args),
            handshake_timeout: handshake_timeout(args),
            locked: has_password(args),
            console,
            drains: Vec::new(),
            status: None,
        }
    }

    /// `IP:PORT`, the SERVER argument of `chatroom send` and `chatroom join`.
    pub fn server(&self) -> String {
        self.addr.to_string()
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Everything the host printed so far.
    pub fn console(&self) -> String {
        self.console.text.lock().unwrap().clone()
    }

    /// Waits until a console line satisfies `pred` and returns it; panics with the whole console
    /// after [`TIMEOUT`].
    pub fn wait_for_console(&self, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + TIMEOUT;
        let mut text = self.console.text.lock().unwrap();
        loop {
            if let Some(line) = text.lines().find(|l| pred(l)) {
                return line.to_string();
            }
            if self.console.pipes_closed.load(Ordering::SeqCst) == 2 {
                panic!("the host exited without showing {what}; it printed:\n{text}");
            }
            let now = Instant::now();
            if now >= deadline {
                panic!("host console never showed {what}; it printed:\n{text}");
            }
            text = self
                .console
                .changed
                .wait_timeout(text, deadline - now)
                .unwrap()
                .0;
        }
    }

    /// True while the host process has not exited.
    pub fn is_running(&mut self) -> bool {
        self.status.is_none() && matches!(self.child.try_wait(), Ok(None))
    }

    /// Sends a signal to the host process: SIGINT is Ctrl-C at the host's terminal.
    #[cfg(unix)]
    pub fn signal(&self, signal: nix::sys::signal::Signal) {
        let pid = nix::unistd::Pid::from_raw(self.child.id() as i32);
        nix::sys::signal::kill(pid, signal).expect("send signal to host");
    }

    /// Kills the host without letting it say goodbye: its clients' connections just drop.
    pub fn kill(&mut self) {
        self.child.kill().expect("kill the host");
        self.wait_for_exit();
    }

    /// Waits (up to [`PROCESS_TIMEOUT`]) for the host to exit, then for its output to be fully
    /// drained, and returns its exit status.
    pub fn wait_for_exit(&mut self) -> ExitStatus {
        if let Some(status) = self.status {
            return status;
        }
        let status = wait_within(&mut self.child, PROCESS_TIMEOUT).unwrap_or_else(|| {
            panic!(
                "host did not exit within {PROCESS_TIMEOUT:?}; console:\n{}",
                self.console()
            )
        });
        for drain in self.drains.drain(..) {
            drain.join().unwrap();
        }
        self.status = Some(status);
        status
    }

    /// Stops the host the graceful way (SIGTERM on unix, a kill elsewhere), waits for it to
    /// exit and returns the complete console: nothing the host printed is still in flight.
    pub fn stop(mut self) -> String {
        #[cfg(unix)]
        self.signal(nix::sys::signal::Signal::SIGTERM);
        #[cfg(not(unix))]
        let _ = self.child.kill();
        self.wait_for_exit();
        self.console()
    }
}

impl Drop for Host {
    fn drop(&mut self) {
        if self.status.is_none() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The keyboard of the terminal a host started by [`Host::start_in_terminal`] runs in.
#[cfg(unix)]
pub struct Keyboard {
    master: std::fs::File,
}

#[cfg(unix)]
impl Keyboard {
    /// Types `line` and presses Enter.
    pub fn type_line(&mut self, line: &str) {
        use std::io::Write;
        self.master
            .write_all(format!("{line}\n").as_bytes())
            .expect("type into the host's terminal");
    }
}

/// How a host started by [`Host::start_without_console`] loses its outputs.
#[cfg(unix)]
#[derive(Debug, Clone, Copy)]
pub enum LostOutputs {
    /// Pipes whose reading ends are closed: every write fails with a broken pipe.
    ClosedPipes,
    /// A terminal that hung up (its other side closed): every write fails with EIO.
    HungUpTerminal,
}

/// `cmd` run by `sh` with its open files limited to `limit` (`ulimit -n`), environment kept.
#[cfg(unix)]
pub fn with_open_file_limit(limit: u32, cmd: &Command) -> Command {
    let mut wrapped = Command::new("sh");
    wrapped
        .arg("-c")
        .arg(format!(r#"ulimit -n {limit} && exec "$0" "$@""#))
        .arg(cmd.get_program())
        .args(cmd.get_args());
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => wrapped.env(key, value),
            None => wrapped.env_remove(key),
        };
    }
    wrapped
}

/// `cmd` with every file it writes limited to `bytes` (`RLIMIT_FSIZE`) and SIGXFSZ ignored, so
/// that a write past the limit fails with EFBIG instead of killing the process: a disk that
/// fills up under a running host, without needing a small filesystem. Both survive `exec` (an
/// ignored signal stays ignored).
#[cfg(unix)]
pub fn with_file_size_limit(bytes: u64, mut cmd: Command) -> Command {
    use std::os::unix::process::CommandExt;
    let limit = libc::rlimit {
        rlim_cur: bytes as libc::rlim_t,
        rlim_max: bytes as libc::rlim_t,
    };
    // SAFETY: between fork and exec only async-signal-safe calls are made (signal, setrlimit),
    // on values copied into the closure; nothing allocates.
    unsafe {
        cmd.pre_exec(move || {
            if libc::signal(libc::SIGXFSZ, libc::SIG_IGN) == libc::SIG_ERR
                || libc::setrlimit(libc::RLIMIT_FSIZE, &limit) != 0
            {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    cmd
}

/// The handshake timeout a host started with `args` has.
fn handshake_timeout(args: &[&str]) -> u64 {
    match args.iter().position(|a| *a == "--handshake-timeout") {
        Some(i) => args[i + 1].parse().expect("a number of seconds"),
        None => 10,
    }
}

/// Whether a host started with `args` has a password (given on its command line; a test that
/// sets CHATROOM_PASSWORD instead checks the greeting itself).
fn has_password(args: &[&str]) -> bool {
    args.iter()
        .any(|a| *a == "--password-file" || *a == "--password")
}

/// The room name a host started with `args` has (`--name`, or the default).
fn room_name(args: &[&str]) -> String {
    match args.iter().position(|a| *a == "--name") {
        Some(i) => args[i + 1].to_string(),
        None => "lobby".to_string(),
    }
}

/// Copies `pipe` into `console` line by line on a thread, then records that the pipe closed.
fn drain(pipe: impl std::io::Read + Send + 'static, console: Arc<Console>) -> JoinHandle<()> {
    thread::spawn(move || {
        for_each_line(pipe, |line| console.append(line));
        console.pipe_closed();
    })
}

/// `listening on 127.0.0.1:41234` (possibly followed by more words) -> the address.
pub fn parse_listening_line(line: &str) -> Option<SocketAddr> {
    let rest = &line[line.find("listening on ")? + "listening on ".len()..];
    let word = rest.split_whitespace().next()?;
    word.trim_end_matches([',', '.', ';', ')']).parse().ok()
}

/// A port on 127.0.0.1 where nothing listens (bound, then released).
pub fn closed_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}
