//! The host: a room server built around one event loop.
//!
//! # Threads and who owns what
//! - the **event loop** (`event_loop.rs`) owns every socket and the room (`room.rs`): it
//!   accepts, reads lines (`conn.rs`), paces flooders (`ratelimit.rs`, `timers.rs`), runs the
//!   room's logic, appends every broadcast once to the room's log (`log.rs`), and flushes each
//!   client's share: its place in the log plus its own frames (`outbox.rs`);
//! - the **activity** thread (`activity.rs`) prints the console and writes the transcript, fed
//!   through a channel the loop never waits on;
//! - Ctrl-C (handled on ctrlc's own thread) presses the [`shutdown::Stopper`], which wakes the
//!   loop; the loop then closes the room and returns to `run`.
//!
//! The room state has exactly one owner, so there are no locks, and no thread per client: an
//! idle client costs a few kilobytes. Why one loop rather than threads per connection is
//! explained at the top of `event_loop.rs`.

pub mod activity;
pub mod conn;
pub mod event_loop;
pub mod listener;
pub mod log;
pub mod outbox;
pub mod ratelimit;
pub mod room;
pub mod shutdown;
pub mod timers;

use std::fs::{File, OpenOptions};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use crate::cli::HostArgs;
use crate::error::{Error, Result, describe_io};
use crate::protocol::wire::Limits;

/// Connections allowed in handshake on top of `--max-clients`, so the one-too-many client
/// still hears "room is full" in its own dialect.
const HANDSHAKE_HEADROOM: usize = 256;

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
    /// Above this many members, joins and leaves are announced as periodic sums.
    pub quiet_above: usize,
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
            quiet_above: args.quiet_above as usize,
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
    let bound = listener.local_addr().map_err(|e| {
        Error::failure(format!(
            "cannot read the bound address: {}",
            describe_io(&e)
        ))
    })?;
    run(listener, config, |stopper| {
        install_interrupt_handler(stopper);
        announce(bound, &config_summary(args));
    })
}

/// What the start-up lines say about the room.
struct Summary {
    room: String,
    max_clients: u32,
}

fn config_summary(args: &HostArgs) -> Summary {
    Summary {
        room: crate::sanitize::clean(&args.name).trim().to_string(),
        max_clients: args.max_clients,
    }
}

fn announce(bound: SocketAddr, config: &Summary) {
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
fn install_interrupt_handler(stopper: shutdown::Stopper) {
    let presses = AtomicUsize::new(0);
    let result = ctrlc::set_handler(move || {
        if presses.fetch_add(1, Ordering::SeqCst) == 0 {
            eprintln!("chatroom: closing the room (press Ctrl-C again to exit at once)");
            stopper.stop();
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

/// Serves the room on `listener` until its [`shutdown::Stopper`] is pressed, then shuts down
/// cleanly. `ready` gets the stopper once the room is ready to accept (tests and `host` use it to
/// wire up Ctrl-C and to announce the address).
pub fn run(
    listener: TcpListener,
    config: Config,
    ready: impl FnOnce(shutdown::Stopper),
) -> Result<()> {
    let bound = listener.local_addr().map_err(|e| {
        Error::failure(format!(
            "cannot read the bound address: {}",
            describe_io(&e)
        ))
    })?;
    let file = config.log_file.as_ref().map(open_log).transpose()?;
    let (mut recorder, activity_thread) = activity::start(config.console, file)
        .map_err(|e| Error::failure(format!("cannot start the activity thread: {e}")))?;
    recorder.record(activity::Activity::Note {
        text: format!("*** room {} opened on {bound}", config.room),
        console: false,
    });
    let settings = room::Settings {
        room: config.room.clone(),
        motd: config.motd.clone(),
        limits: Limits {
            max_line: config.max_line,
            rate: config.rate,
            burst: config.burst,
            max_clients: config.max_clients,
        },
        outbox: config.outbox,
        quiet_above: config.quiet_above,
    };
    let loop_config = event_loop::LoopConfig {
        max_line: config.max_line,
        handshake_timeout: config.handshake_timeout,
        max_connections: config.max_clients.saturating_add(HANDSHAKE_HEADROOM),
    };
    let (event_loop, stopper) =
        event_loop::EventLoop::new(listener, loop_config, room::Room::new(settings, recorder))
            .map_err(|e| {
                Error::failure(format!("cannot start the event loop: {}", describe_io(&e)))
            })?;
    ready(stopper);
    // The loop owns the recorder; when it returns, the activity thread drains and ends.
    event_loop.run();
    if let Some(thread) = activity_thread {
        let _ = thread.join();
    }
    say("room closed");
    Ok(())
}
