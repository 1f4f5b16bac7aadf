//! The host: a threaded room server.
//!
//! # Threads and who owns what
//! - the **acceptor** (`listener.rs`) takes connections and starts a session thread for each;
//! - a **session** per connection (`session.rs`) reads, paces, parses and forwards requests;
//! - the **hub** (`hub.rs`) alone owns the room state and fans events out;
//! - a **writer** per member (`outbox.rs`) drains that member's bounded queue to its socket;
//! - the **activity** thread (`activity.rs`) prints the console and writes the transcript.
//!
//! Channels point one way (sessions -> hub -> writers), so nothing can wait in a circle, and
//! closing a channel is how a thread is told to finish. [`run`] is handed its listener and its
//! stop signal, which is what lets tests start a host on port 0 and stop it at will.

pub mod activity;
pub mod hub;
pub mod listener;
pub mod outbox;
pub mod ratelimit;
pub mod session;
pub mod shutdown;

use std::fs::{File, OpenOptions};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::cli::HostArgs;
use crate::error::{Error, Result, describe_io};
use crate::protocol::wire::Limits;

/// Requests that may wait for the hub before sessions feel backpressure.
const HUB_BACKLOG: usize = 16 * 1024;

/// Connections allowed in handshake on top of `--max-clients`, so the one-too-many client
/// still hears "room is full" in its own dialect.
const HANDSHAKE_HEADROOM: usize = 256;

/// How long a stopping host waits for clients to take what they are owed.
const FLUSH_GRACE: Duration = Duration::from_secs(3);

/// A validated host configuration.
pub struct Config {
    pub room: String,
    pub motd: Option<String>,
    pub max_clients: usize,
    pub max_line: usize,
    pub rate: u32,
    pub burst: u32,
    pub handshake_timeout: Duration,
    pub outbox: usize,
    /// Print room activity on stdout.
    pub console: bool,
    pub log_file: Option<PathBuf>,
}

impl Config {
    pub fn from_args(args: &HostArgs) -> Result<Self> {
        let room = crate::sanitize::clean(&args.name).trim().to_string();
        if room.is_empty() {
            return Err(Error::failure("--name must contain printable text"));
        }
        Ok(Config {
            room,
            motd: args
                .motd
                .as_deref()
                .map(crate::sanitize::clean)
                .filter(|m| !m.trim().is_empty()),
            max_clients: args.max_clients as usize,
            max_line: args.max_line as usize,
            rate: args.rate_limit,
            burst: args.burst,
            handshake_timeout: Duration::from_secs(args.handshake_timeout),
            outbox: args.outbox as usize,
            console: !args.quiet,
            log_file: args.log_file.clone(),
        })
    }
}

/// `chatroom host`: bind, announce, serve until Ctrl-C or SIGTERM.
pub fn host(args: &HostArgs) -> Result<()> {
    let config = Config::from_args(args)?;
    let addr = SocketAddr::new(args.bind, args.port);
    let listener = listener::bind(addr).map_err(|e| {
        let hint = match e.kind() {
            std::io::ErrorKind::AddrInUse => " (is another chatroom host running? try --port)",
            std::io::ErrorKind::PermissionDenied => {
                " (ports below 1024 need privileges; try --port)"
            }
            std::io::ErrorKind::AddrNotAvailable => " (--bind must be an address of this machine)",
            _ => "",
        };
        Error::failure(format!(
            "cannot listen on {addr}: {}{hint}",
            describe_io(&e)
        ))
    })?;
    let (trigger, signal) = shutdown::channel();
    install_interrupt_handler(trigger);
    let bound = listener.local_addr().map_err(|e| {
        Error::failure(format!(
            "cannot read the bound address: {}",
            describe_io(&e)
        ))
    })?;
    announce(bound, &config);
    run(listener, config, &signal)
}

fn announce(bound: SocketAddr, config: &Config) {
    say(&format!("listening on {bound}"));
    let port = bound.port();
    let hosts = join_hosts(bound);
    say(&format!(
        "room {} is open for up to {} people; others can join with:",
        config.room, config.max_clients
    ));
    for host in &hosts {
        let nc_host = host.trim_start_matches('[').trim_end_matches(']');
        say(&format!(
            "    chatroom join {host}:{port}    (or: nc {nc_host} {port})"
        ));
    }
    say("press Ctrl-C to close the room");
}

/// The addresses others can use to reach a host bound to `bound`, bracketed if IPv6.
///
/// For a wildcard bind these are the machine's own interface addresses, loopback last, so the
/// first line printed is the one to read out to a room full of people.
fn join_hosts(bound: SocketAddr) -> Vec<String> {
    let bracket = |ip: std::net::IpAddr| match ip {
        std::net::IpAddr::V6(v6) => format!("[{v6}]"),
        std::net::IpAddr::V4(v4) => v4.to_string(),
    };
    if !bound.ip().is_unspecified() {
        return vec![bracket(bound.ip())];
    }
    let mut ips: Vec<std::net::IpAddr> = if_addrs::get_if_addrs()
        .unwrap_or_default()
        .into_iter()
        .map(|iface| iface.ip())
        .filter(|ip| bound.is_ipv6() || ip.is_ipv4())
        .filter(|ip| !matches!(ip, std::net::IpAddr::V6(v6) if v6.is_unicast_link_local()))
        .collect();
    ips.sort_by_key(|ip| (ip.is_loopback(), ip.is_ipv6()));
    ips.dedup();
    if ips.is_empty() {
        ips.push(listener::local_address(bound).ip());
    }
    ips.into_iter().map(bracket).collect()
}

/// Prints a console line; a closed stdout (`chatroom host | head -1`) is not an error.
fn say(line: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stdout().lock(), "{line}");
}

/// First Ctrl-C (or SIGTERM): a clean stop. Second: exit at once.
fn install_interrupt_handler(trigger: shutdown::Trigger) {
    let presses = AtomicUsize::new(0);
    let result = ctrlc::set_handler(move || {
        if presses.fetch_add(1, Ordering::SeqCst) == 0 {
            eprintln!("chatroom: closing the room (press Ctrl-C again to exit at once)");
            trigger.pull();
        } else {
            std::process::exit(crate::error::ExitStatus::Interrupted as i32);
        }
    });
    if let Err(e) = result {
        eprintln!("chatroom: warning: Ctrl-C will not close the room cleanly: {e}");
    }
}

fn open_log(path: &PathBuf) -> Result<File> {
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(|e| {
            Error::failure(format!(
                "cannot open log file {}: {}",
                path.display(),
                describe_io(&e)
            ))
        })
}

/// Serves the room on `listener` until `stop` fires, then shuts down cleanly.
pub fn run(listener: TcpListener, config: Config, stop: &shutdown::Signal) -> Result<()> {
    let bound = listener.local_addr().map_err(|e| {
        Error::failure(format!(
            "cannot read the bound address: {}",
            describe_io(&e)
        ))
    })?;
    let file = config.log_file.as_ref().map(open_log).transpose()?;
    let spawn_failed = |what: &str, e: std::io::Error| {
        Error::failure(format!("cannot start the {what} thread: {e}"))
    };

    let (mut recorder, activity_thread) =
        activity::start(config.console, file).map_err(|e| spawn_failed("activity", e))?;
    recorder.record(activity::Activity::Note {
        text: format!("*** room {} opened on {bound}", config.room),
        console: false,
    });

    let (hub_tx, hub_rx) = crossbeam_channel::bounded(HUB_BACKLOG);
    let (flushed_tx, flushed_rx) = crossbeam_channel::bounded::<()>(0);
    let settings = hub::Settings {
        room: config.room.clone(),
        motd: config.motd.clone(),
        limits: Limits {
            max_line: config.max_line,
            rate: config.rate,
            burst: config.burst,
            max_clients: config.max_clients,
        },
    };
    let hub_thread = std::thread::Builder::new()
        .name("hub".into())
        .spawn(move || hub::run(hub_rx, settings, recorder, flushed_tx))
        .map_err(|e| spawn_failed("hub", e))?;

    let stopping = Arc::new(AtomicBool::new(false));
    let acceptor = listener::Acceptor {
        hub: hub_tx.clone(),
        config: Arc::new(session::SessionConfig {
            room: config.room.clone(),
            max_line: config.max_line,
            rate: config.rate,
            burst: config.burst,
            handshake_timeout: config.handshake_timeout,
            outbox: config.outbox,
        }),
        stopping: Arc::clone(&stopping),
        max_connections: config.max_clients.saturating_add(HANDSHAKE_HEADROOM),
    };
    let accept_thread = std::thread::Builder::new()
        .name("acceptor".into())
        .spawn(move || listener::accept_loop(&listener, &acceptor))
        .map_err(|e| spawn_failed("acceptor", e))?;

    stop.wait();

    // 1. Stop accepting: raise the flag, then wake the blocked accept() by connecting to it.
    stopping.store(true, Ordering::SeqCst);
    let _ = TcpStream::connect_timeout(&listener::local_address(bound), Duration::from_secs(1));
    let _ = accept_thread.join();
    // 2. The hub tells everyone the room is closing and drops every queue.
    let _ = hub_tx.send(hub::ToHub::Shutdown);
    let _ = hub_thread.join();
    // 3. Writers flush what they hold; each drops its token when done. Bounded wait.
    let deadline = Instant::now() + FLUSH_GRACE;
    while flushed_rx.recv_deadline(deadline).is_ok() {}
    if let Some(thread) = activity_thread {
        let _ = thread.join();
    }
    say("room closed");
    Ok(())
}
