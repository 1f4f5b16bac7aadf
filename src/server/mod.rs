//! The host: a threaded room server, shards joined to one room by a crossbeam fan-out.
//!
//! # Threads and the channels between them
//! ```text
//!               new connections (round robin)
//!  acceptor ---------------------------------------+
//!  (listener)                                      v
//!                      +--------------------> shard 0 .. shard N-1   each a thread with its own
//!                      |   fan-out: one          |                   mio Poll: owns its sockets,
//!                      |   channel + Waker       | reports           reads, paces, parses,
//!                      |   per shard, the        | (one bounded      writes members their share
//!                      |   turn's broadcast      |  MPSC channel)    of the log
//!                      |   as one shared Arc     v
//!                      +----------------------- room                 one thread: members,
//!                                                 |                  nicknames, seq, routing
//!                                                 v
//!                                              activity              console and transcript
//! ```
//! - the **acceptor** (`acceptor.rs`, on the thread that called `run`) hands each new
//!   connection to a shard;
//! - each **shard** (`shard.rs`) owns its connections (`conn.rs`, each over a `transport.rs`:
//!   the bare socket, or TLS with `--tls`, the first byte deciding): it reads lines, paces flooders
//!   (`ratelimit.rs`, `timers.rs`), turns lines into requests by the session rules
//!   (`session.rs`), sends them to the room as reports (`report.rs`), and writes each member its place in
//!   the shard's broadcast log (`log.rs`) plus its own frames (`outbox.rs`);
//! - the **room** (`room.rs`) alone keeps the room: it admits (checking a room's password and
//!   locking out addresses that guess, `gate.rs` and `lockout.rs`; replaying the room's last
//!   public messages to each newcomer, `history.rs`, or, to one coming back to a stored room from
//!   further back, what the store holds, `gaps.rs`), numbers (taking a resent message once,
//!   `dedupe.rs`), routes, and hands each
//!   turn to the fan-out (`fanout.rs`), which renders every broadcast once per dialect and sends
//!   the same bytes to every shard: its work per event is O(shards), never O(members);
//!   it also keeps order: operators, kicks, bans, mutes, the topic and who is away
//!   (`room/moderation.rs`, over the state in `operators.rs`, `bans.rs`, `mutes.rs`, `away.rs`;
//!   bans and the topic change when their events are carried out, `room/state_changes.rs`, and
//!   are kept across restarts by `room_state_file.rs`);
//! - with `--redis`, the room is **shared** with other hosts (`shared.rs`): it proposes its
//!   public events to the bridge's appender thread instead of numbering them, and fans out every
//!   event, its own and other hosts', when the bridge's reader hands it back from the room's
//!   Redis stream (see `bridge/`; the bridge is attached in `host`, before the room starts),
//!   claims nicknames room-wide before it gives them (`claims.rs`), asks the bridge for the
//!   room-wide member list and to post private messages to other hosts' members (`asked.rs`),
//!   and while Redis is lost tells its members so and refuses messages (`outage.rs`);
//! - the **console** thread (`console.rs`), when the host runs in a terminal, hands the commands
//!   typed there to the room, which carries them out as the host's console;
//! - the **activity** thread (`activity.rs`) prints the console and writes the transcript, fed
//!   through a channel nobody waits on;
//! - Ctrl-C (on ctrlc's own thread) presses the [`shutdown::Stopper`]: the acceptor stops, the
//!   room broadcasts the quit and closes, the shards flush and close (see `shutdown.rs`).
//!
//! Each piece of state has one owner, so there are no locks; the only shared counters are atomics:
//! the number of open connections, which the acceptor adds to and the shards take from, and the
//! bytes queued for clients that do not read (`budget.rs`), which the shards charge and the room
//! consults before it routes a private message to such a client. A JSON member that falls silent
//! is pinged by its shard (`liveness.rs`).

mod acceptor;
pub mod activity;
mod addresses;
mod asked;
mod away;
mod bans;
pub mod budget;
mod claims;
mod conn;
mod console;
pub(crate) use console::HELP as CONSOLE_HELP;
mod dedupe;
mod durable;
mod fanout;
mod gaps;
mod gate;
mod history;
pub mod listener;
mod lists;
mod liveness;
mod lockout;
mod log;
mod mutes;
mod names;
mod operators;
mod outage;
mod outbox;
mod ratelimit;
mod report;
mod room;
mod room_password;
mod room_state_file;
mod searches;
mod session;
mod shard;
mod shared;
pub mod shutdown;
mod timers;
mod transport;

use std::fs::{File, OpenOptions};
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::cli::{HostArgs, LogFormat};
use crate::error::{Error, ExitStatus, Result, describe_io};
use crate::protocol::plain;
use crate::protocol::wire::Limits;
use crate::store::{self, Store};
use crate::tls::{self, host::HostTls};

use acceptor::Acceptor;
use fanout::{Fanout, ShardLink};
use room::{Room, RoomProfile, RoomStore};
use shard::{Shard, ShardRules, ShardWiring};

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
    /// How the console and the log file are written.
    pub log_format: LogFormat,
    /// I/O shards (threads that own connections).
    pub threads: usize,
    /// Silence after which a client's machine is checked (TCP keepalive); `None`: never.
    pub keepalive: Option<Duration>,
    /// Connections one address may hold (`--max-per-ip`); 0: no per-address limits.
    pub max_per_ip: usize,
    /// The room's password (`--password-file`, `CHATROOM_PASSWORD`, `--password`).
    pub password: Option<crate::password::Password>,
    /// What the operator is warned about on start (how the password was given).
    pub warnings: Vec<String>,
    /// Bytes the host may hold for all clients together of replies and private messages
    /// waiting to be read (`--max-queued`, see `budget.rs`).
    pub max_queued: usize,
    /// With `--tls`: the certificate and the configuration every connection shares.
    pub tls: Option<HostTls>,
    /// Public messages the room keeps to replay to newcomers (`--history`); 0: none.
    pub history: usize,
    /// With `--store`: where the room's messages are kept, and for how long.
    pub store: Option<store::Options>,
    /// The operator password (`--op-password-file`, `CHATROOM_OP_PASSWORD`): `/op PASSWORD`
    /// makes a member an operator.
    pub op_password: Option<crate::password::Password>,
    /// Anyone may set the topic (`--open-topic`).
    pub open_topic: bool,
    /// Where the room's bans and topic are kept (see `room_state_file.rs`); `None` on a system
    /// without a data directory.
    pub data_dir: Option<PathBuf>,
    /// The data directory is the default one, shared with the user's other rooms: the room's
    /// state file is keyed by its port.
    pub shared_data_dir: bool,
    /// With `--redis`: the Redis the room is shared through (see `bridge/`).
    pub(crate) redis: Option<crate::bridge::link::Target>,
}

/// The number of shards when `--threads` is not given: one per CPU the host may use.
pub fn default_threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

impl Config {
    pub fn from_args(args: &HostArgs) -> Result<Self> {
        let room = crate::sanitize::clean(&args.name).trim().to_string();
        if room.is_empty() {
            return Err(Error::failure("--name must contain printable text"));
        }
        let (password, mut warnings) =
            room_password::resolve(args, args.max_line as usize).map_err(Error::failure)?;
        if password.is_some() {
            warnings.extend(room_password::cleartext_warning(
                "the room's password",
                args.uses_tls(),
            ));
        }
        let op_password =
            room_password::resolve_op(args, args.max_line as usize).map_err(Error::failure)?;
        if op_password.is_some() {
            warnings.extend(room_password::cleartext_warning(
                "the operator password",
                args.uses_tls(),
            ));
        }
        let redis = redis_target(args, &room)?;
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
            log_format: args.log_format,
            threads: args.threads.map_or_else(default_threads, |n| n as usize),
            keepalive: (args.keepalive > 0).then(|| Duration::from_secs(args.keepalive)),
            max_per_ip: args.max_per_ip as usize,
            password,
            warnings,
            max_queued: (args.max_queued as usize).saturating_mul(budget::MIB),
            tls: host_tls(args)?,
            history: args.history as usize,
            store: store_options(args)?,
            op_password,
            open_topic: args.opens_topic(),
            data_dir: args.data_dir.clone().or_else(crate::cli::default_data_dir),
            shared_data_dir: args.data_dir.is_none(),
            redis,
        })
    }
}

/// The Redis a shared room lives in, with `--redis`.
fn redis_target(args: &HostArgs, room: &str) -> Result<Option<crate::bridge::link::Target>> {
    let Some(url) = &args.redis else {
        return Ok(None);
    };
    if args.uses_store() {
        return Err(Error::new(
            ExitStatus::Usage,
            "--redis and --store cannot be used together yet (a shared room's messages are kept \
             in Redis): drop one of them",
        ));
    }
    crate::bridge::keys::Keys::new(room).map_err(|why| Error::new(ExitStatus::Usage, why))?;
    crate::bridge::link::Target::parse(url)
        .map(Some)
        .map_err(|why| Error::new(ExitStatus::Usage, why))
}

/// Where and how the room keeps its messages, with `--store`.
fn store_options(args: &HostArgs) -> Result<Option<store::Options>> {
    let retention = store::Retention {
        messages: args.retain_messages,
        days: args.retain_days,
    };
    if !args.uses_store() {
        if !retention.keeps_all() {
            return Err(Error::new(
                ExitStatus::Usage,
                "--retain-messages and --retain-days limit what a stored room keeps: add --store",
            ));
        }
        return Ok(None);
    }
    let Some(dir) = args.data_dir.clone().or_else(crate::cli::default_data_dir) else {
        return Err(Error::failure(
            "this system has no data directory to keep the room's messages in; choose one with \
             --data-dir",
        ));
    };
    Ok(Some(store::Options {
        dir,
        retention,
        // The room's history starts from the newest stored messages.
        recent: args.history as usize,
        // A restarted room's dedupe window: as many keys as it can hold.
        keys: dedupe::CAPACITY,
    }))
}

/// The host's TLS, when it serves TLS: from --tls-cert and --tls-key, or its own certificate in
/// the data directory.
fn host_tls(args: &HostArgs) -> Result<Option<HostTls>> {
    if !args.uses_tls() {
        return Ok(None);
    }
    let data_dir = args.data_dir.clone().or_else(crate::cli::default_data_dir);
    let source = match (&args.tls_cert, &args.tls_key, &data_dir) {
        (Some(cert), Some(key), _) => tls::host::Source::Files { cert, key },
        (None, None, Some(dir)) => tls::host::Source::DataDir(dir),
        (None, None, None) => {
            return Err(Error::failure(
                "this system has no data directory to keep the host's certificate in; choose \
                 one with --data-dir",
            ));
        }
        _ => {
            return Err(Error::new(
                ExitStatus::Usage,
                "--tls-cert and --tls-key go together: give both (or neither, for the host's own \
                 certificate)",
            ));
        }
    };
    HostTls::set_up(source).map(Some)
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
    let format = config.log_format;
    for warning in &config.warnings {
        host_stderr(format, "warning", warning);
    }
    let store = config.store.as_ref().map(store::open).transpose()?;
    let attached = match &config.redis {
        Some(target) => Some(
            crate::bridge::attach::attach(target.clone(), &config.room, config.history)
                .map_err(|why| Error::new(ExitStatus::CannotConnect, why))?,
        ),
        None => None,
    };
    let mut summary = config_summary(args, config.tls.as_ref(), store.as_ref());
    summary.redis = attached.as_ref().map(redis_line);
    run(listener, config, store, attached, |stopper| {
        install_interrupt_handler(stopper, format);
        match format {
            LogFormat::Text => announce(bound, &summary),
            // Only the line scripts (and `chatroom bench`) read stays text: the room's opening
            // is on the console as a JSON note, like everything after it.
            LogFormat::Json => say(&format!("listening on {bound}")),
        }
    })
}

/// What the start-up lines say about the room.
struct Summary {
    room: String,
    max_clients: u32,
    /// The room has a password (those who join are asked for it).
    password: bool,
    tls: Option<TlsSummary>,
    /// With `--store`: the start-up line about it.
    store: Option<String>,
    /// With `--redis`: the start-up line about it.
    redis: Option<String>,
}

/// What the start-up lines say about the host's certificate.
struct TlsSummary {
    fingerprint: tls::Fingerprint,
    cert_path: PathBuf,
    made: bool,
}

fn config_summary<T, G>(
    args: &HostArgs,
    tls: Option<&HostTls>,
    store: Option<&Store<T, G>>,
) -> Summary {
    Summary {
        room: crate::sanitize::clean(&args.name).trim().to_string(),
        max_clients: args.max_clients,
        password: args.password.is_some() || args.password_file.is_some(),
        tls: tls.map(|tls| TlsSummary {
            fingerprint: tls.fingerprint(),
            cert_path: tls.cert_path().to_path_buf(),
            made: tls.was_made(),
        }),
        store: store.map(store_line),
        redis: None,
    }
}

/// The start-up line about the Redis the room is shared through.
fn redis_line<T: crate::bridge::calls::Tags, G>(
    attached: &crate::bridge::attach::Attached<T, G>,
) -> String {
    format!(
        "sharing the room through Redis at {} (this host: {}; the room's last seq: {})",
        attached.target.shown(),
        attached.host,
        attached.last_seq
    )
}

/// The start-up line about the room's store.
fn store_line<T, G>(store: &Store<T, G>) -> String {
    let messages = match store.stored {
        1 => "1 message".to_string(),
        n => format!("{n} messages"),
    };
    format!(
        "keeping the room's messages in {} ({messages} stored)",
        store.path.display()
    )
}

fn announce(bound: SocketAddr, config: &Summary) {
    say(&format!("listening on {bound}"));
    let port = bound.port();
    let hosts = join_hosts(bound);
    if let Some(tls) = &config.tls {
        for line in certificate_lines(tls) {
            say(&line);
        }
    }
    if let Some(store) = &config.store {
        say(store);
    }
    if let Some(redis) = &config.redis {
        say(redis);
    }
    say(&open_line(&config.room, config.max_clients));
    for host in &hosts {
        say(&join_line(
            host,
            port,
            config.tls.as_ref().map(|t| t.fingerprint),
        ));
    }
    if config.password {
        say("    (they will be asked for the room's password)");
    }
    say("press Ctrl-C to close the room");
    if console::takes_commands() {
        say("type /help here for the host's commands (/kick, /ban, /mute, /topic, /say, ...)");
    }
}

/// The start-up lines about the certificate: which, and the fingerprint clients check.
fn certificate_lines(tls: &TlsSummary) -> [String; 2] {
    let which = if tls.made {
        format!(
            "made a TLS certificate for this host: {}",
            tls.cert_path.display()
        )
    } else {
        format!("TLS certificate: {}", tls.cert_path.display())
    };
    [which, format!("fingerprint: {}", tls.fingerprint)]
}

/// How to join at `host:port`, with our own client and with a tool people already have.
fn join_line(host: &str, port: u16, tls: Option<tls::Fingerprint>) -> String {
    match tls {
        Some(fingerprint) => format!(
            "    chatroom join --tls {host}:{port} --fingerprint {fingerprint}    \
             (or: openssl s_client -quiet -connect {host}:{port})"
        ),
        None => {
            let nc_host = host.trim_start_matches('[').trim_end_matches(']');
            format!("    chatroom join {host}:{port}    (or: nc {nc_host} {port})")
        }
    }
}

/// The start-up line that says how many people the room takes.
fn open_line(room: &str, max_clients: u32) -> String {
    let people = if max_clients == 1 { "person" } else { "people" };
    format!("room {room} is open for up to {max_clients} {people}; others can join with:")
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
fn install_interrupt_handler(stopper: shutdown::Stopper, format: LogFormat) {
    let presses = AtomicUsize::new(0);
    let result = ctrlc::set_handler(move || {
        if presses.fetch_add(1, Ordering::SeqCst) == 0 {
            // Stop first: the terminal this would print to may be gone.
            stopper.stop();
            host_stderr(
                format,
                "note",
                "closing the room (press Ctrl-C again to exit at once)",
            );
        } else {
            std::process::exit(i32::from(crate::error::ExitStatus::Interrupted.code()));
        }
    });
    if let Err(e) = result {
        host_stderr(
            format,
            "warning",
            &format!("Ctrl-C will not close the room cleanly: {e}"),
        );
    }
}

/// A note or warning on stderr from outside the activity thread, in the host's log format.
fn host_stderr(format: LogFormat, kind: &str, text: &str) {
    match format {
        LogFormat::Text if kind == "note" => {
            crate::error::to_stderr(format_args!("chatroom: {text}"))
        }
        LogFormat::Text => crate::error::to_stderr(format_args!("chatroom: {kind}: {text}")),
        LogFormat::Json => crate::error::to_stderr(
            activity::json_line(kind, &crate::protocol::Timestamp::now(), text).trim_end(),
        ),
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
/// wire up Ctrl-C and to announce the address). The acceptor runs on the calling thread.
pub(crate) fn run(
    listener: TcpListener,
    config: Config,
    store: Option<Store<searches::Asker, gaps::Held>>,
    attached: Option<shared::Attachment>,
    ready: impl FnOnce(shutdown::Stopper),
) -> Result<()> {
    let bound = listener.local_addr().map_err(|e| {
        Error::failure(format!(
            "cannot read the bound address: {}",
            describe_io(&e)
        ))
    })?;
    let file = config.log_file.as_ref().map(open_log).transpose()?;
    let state_file = config.data_dir.as_deref().map(|dir| {
        let port = config.shared_data_dir.then_some(bound.port());
        room_state_file::StateFile::keyed(dir, port)
    });
    let saved = match &state_file {
        Some(state_file) => state_file.load().map_err(Error::failure)?,
        None => room_state_file::RoomState::default(),
    };
    let (recorder, activity_thread) = activity::start(config.console, file, config.log_format)
        .map_err(|e| Error::failure(format!("cannot start the activity thread: {e}")))?;
    let mut opening = recorder.clone();
    // A shared room's bans and topic are the room's, kept in Redis by its hosts.
    let saved = match attached
        .as_ref()
        .and_then(|attached| attached.state.as_deref())
    {
        None => saved,
        Some(json) => room_state_file::RoomState::from_json(json).unwrap_or_else(|why| {
            opening.record(activity::Activity::Warning {
                text: format!(
                    "the room's bans and topic in Redis cannot be read ({why}); starting with \
                     this host's own"
                ),
            });
            saved
        }),
    };
    let limits = Limits {
        max_line: config.max_line,
        rate: config.rate,
        burst: config.burst,
        max_clients: config.max_clients,
    };
    let headcount = Arc::new(AtomicUsize::new(0));
    let budget = budget::QueueBudget::new(config.max_queued);
    let rules = Arc::new(ShardRules {
        name: config.room.clone(),
        headcount: Arc::clone(&headcount),
        greeting: Arc::from(greeting(&config).into_bytes()),
        locked: config.password.is_some(),
        unlocked: Arc::from(plain::password_accepted().as_bytes()),
        limits,
        handshake_timeout: config.handshake_timeout,
        outbox: config.outbox,
        keepalive: config.keepalive,
        ping: Arc::from(crate::protocol::Event::Ping.to_json_line().into_bytes()),
        budget: budget.clone(),
        tls: config.tls.as_ref().map(|tls| Arc::clone(tls.config())),
    });
    let open = Arc::new(AtomicUsize::new(0));
    let (report_tx, report_rx) = crossbeam_channel::bounded(report::REPORT_BACKLOG);
    // At most two pieces of news per connection (joined, closed), so bounded by the connections.
    let (news_tx, news_rx) = crossbeam_channel::unbounded();
    let mut links = Vec::new();
    let mut threads = Vec::new();
    for index in 0..config.threads.max(1) {
        let (mail_tx, mail_rx) = crossbeam_channel::unbounded();
        let wiring = ShardWiring {
            mail: mail_rx,
            reports: report_tx.clone(),
            open: Arc::clone(&open),
            addresses: news_tx.clone(),
        };
        let (shard, waker) = Shard::new(index, Arc::clone(&rules), wiring)
            .map_err(|e| Error::failure(format!("cannot start a shard: {}", describe_io(&e))))?;
        links.push(ShardLink::new(mail_tx, waker));
        threads.push(spawn(format!("shard-{index}"), move || shard.run())?);
    }
    drop(report_tx);
    let profile = RoomProfile {
        name: config.room.clone(),
        motd: config.motd.clone(),
        limits,
        quiet_above: config.quiet_above,
        password: config.password.as_ref().map(|p| p.digest()),
        op_password: config.op_password.as_ref().map(|p| p.digest()),
        open_topic: config.open_topic,
    };
    let (stop_tx, stop_rx) = crossbeam_channel::bounded(1);
    let admission = acceptor::Admission {
        open,
        max_connections: config.max_clients.saturating_add(HANDSHAKE_HEADROOM),
        addresses: addresses::AddressLimits::from_max(config.max_per_ip)
            .map(addresses::AddressBook::new),
        news: news_rx,
    };
    let (acceptor, acceptor_waker) =
        Acceptor::new(listener, links.clone(), admission, recorder.clone())
            .map_err(|e| Error::failure(format!("cannot start accepting: {}", describe_io(&e))))?;
    let stopper = shutdown::Stopper::new(acceptor_waker, stop_tx);
    let mut history = history::History::new(config.history);
    // For the last word, should the store fail while the room runs.
    let store_path = store.as_ref().map(|store| store.path.clone());
    let (room_store, store_threads, store_note) = match store {
        Some(store) => {
            let note = store_line(&store);
            let links = store.links;
            let room_store = RoomStore {
                durable: durable::Durable::new(
                    links.batches,
                    links.commits,
                    store.last_seq,
                    store.newest,
                ),
                jobs: links.jobs,
                found: links.found,
                gaps: gaps::Gaps::new(links.gaps),
                filled: links.filled,
                stopper: stopper.clone(),
                last_seq: store.last_seq,
                taken: store.taken,
            };
            let (older, older_through) = store.older;
            history.forget_before(older_through, older);
            for record in &store.recent {
                history.remember(&record.to_event());
            }
            (Some(room_store), store.threads, Some(note))
        }
        None => (None, Vec::new(), None),
    };
    let last_seq = attached.as_ref().map_or(0, |attached| attached.last_seq);
    if let Some(attached) = &attached {
        // What the stream said before the entries read is beyond this host's history: a
        // `since` among it is read from the stream.
        if let Some(Ok(first)) = attached.recent.first() {
            let before = first.seq.saturating_sub(1);
            history.forget_before(before, before);
        }
        for entry in &attached.recent {
            match entry {
                Ok(entry) => history.remember(&entry.event),
                Err(bad) => opening.record(activity::Activity::Warning {
                    text: bad.to_string(),
                }),
            }
        }
    }
    let shared = attached.map(|attached| shared::Shared::new(attached, config.max_clients));
    let fanout = Fanout::new(links);
    // Commands typed at the host's console, when its standard input is a terminal.
    let (console_link, console_warning) = console::start(config.max_line);
    if let Some(text) = console_warning {
        opening.record(activity::Activity::Warning { text });
    }
    let room = Room::new(
        profile, headcount, recorder, fanout, budget, history, room_store,
    )
    .with_state(state_file, saved)
    .with_shared(shared, last_seq)
    .with_console(console_link);
    let room_thread = std::thread::Builder::new()
        .name("room".into())
        .spawn(move || room.run(&report_rx, &stop_rx))
        .map_err(|e| Error::failure(format!("cannot start the room thread: {e}")))?;
    drop(news_tx);
    ready(stopper.clone());
    // After `ready`, which prints `listening on`: in JSON this note is on the same stdout, and
    // scripts expect the listening line first.
    let text = match &config.tls {
        Some(tls) => format!(
            "room {} opened on {bound} with TLS, certificate fingerprint {}",
            config.room,
            tls.fingerprint()
        ),
        None => format!("room {} opened on {bound}", config.room),
    };
    opening.record(activity::Activity::Note {
        text,
        console: false,
    });
    if let Some(text) = store_note {
        opening.record(activity::Activity::Note {
            text,
            console: false,
        });
    }
    drop(opening);
    acceptor.run(&stopper);
    // The room closes once it hears the stopper; the shards once they have flushed its last
    // dispatch; the activity thread once the room's recorder is gone.
    let failure = room_thread.join().unwrap_or(None);
    for thread in threads {
        let _ = thread.join();
    }
    // The room has let go of the store's channels: the writer finishes and closes the database.
    for thread in store_threads {
        let _ = thread.join();
    }
    let _ = activity_thread.join();
    if let Some(why) = failure {
        return Err(Error::failure(store_failed(store_path.as_deref(), &why)));
    }
    // In JSON the console has already said so, as the room's last note.
    if config.log_format == LogFormat::Text {
        say("room closed");
    }
    Ok(())
}

/// The host's last word when its store (at `path`) failed while the room ran (`why`): what
/// happened, what the clients were told, and what to do.
fn store_failed(path: Option<&std::path::Path>, why: &str) -> String {
    let store = path.map_or_else(String::new, |p| format!(" {}", p.display()));
    format!(
        "the room's store{store} failed ({why}); the room was closed, and nothing the store lacks \
         was acknowledged. Make room on its disk (or fix what failed), then start the host again: \
         it keeps every message it acknowledged"
    )
}

/// The plain-mode greeting: a room with a password asks for it first.
fn greeting(config: &Config) -> String {
    let seconds = config.handshake_timeout.as_secs();
    match config.password {
        Some(_) => plain::greeting_with_password(&config.room, seconds),
        None => plain::greeting(&config.room, seconds),
    }
}

/// Starts a named thread (the name shows in `top -H` and in `/proc`, and `chatroom bench` reads
/// it to report each thread's CPU).
fn spawn(name: String, body: impl FnOnce() + Send + 'static) -> Result<JoinHandle<()>> {
    std::thread::Builder::new()
        .name(name.clone())
        .spawn(body)
        .map_err(|e| Error::failure(format!("cannot start the {name} thread: {e}")))
}

#[cfg(test)]
mod tests {
    use super::open_line;

    #[test]
    fn the_banner_counts_people_in_good_english() {
        assert_eq!(
            open_line("ops", 1),
            "room ops is open for up to 1 person; others can join with:"
        );
        assert!(open_line("ops", 2).contains("up to 2 people;"));
    }
}
