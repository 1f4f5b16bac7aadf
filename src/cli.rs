//! The command line, as one clap definition.
//!
//! Everything a user can type is declared here and nowhere else: `--help`, the shell completions
//! and the man pages are all generated from these types, so a flag documented here is documented
//! everywhere. The structs are the raw ("low level") arguments; each subcommand turns them into a
//! validated configuration before any socket is opened, so the rest of the code trusts its types.

use std::net::IpAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum, ValueHint};

/// The port a room listens on when nobody says otherwise.
pub const DEFAULT_PORT: u16 = 55555;

/// The largest `--max-line` a host accepts: no room takes a longer line.
pub const LONGEST_MAX_LINE: u32 = 1_048_576;

/// Group chat in a terminal: host a room, join it, or post into it from a script.
#[derive(Debug, Parser)]
#[command(
    name = "chatroom",
    // `0.1.0 (rev abc1234)` from a git checkout, `0.1.0` otherwise (see build.rs).
    version = env!("CHATROOM_VERSION"),
    about,
    long_about = "Group chat in a terminal.\n\n\
        `chatroom host` starts a room that anyone on the network can reach, even with plain `nc`; \
        `chatroom join` is the interactive client (and, with --json, a bot's view of the room); \
        `chatroom send` posts into a room from scripts and pipes, and exits 0 only once the host \
        has acknowledged every message.",
    after_help = "Run `chatroom COMMAND --help` for the options of each command.\n\n\
        Each setting comes from the first of: the command line, its environment variable \
        (CHATROOM_*), the config file (chatroom.toml in your config directory, or --config), \
        the built-in default.",
    propagate_version = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,

    /// Read default settings from this TOML file instead of chatroom.toml in the user's config
    /// directory (host, join and send read it; see the README's Configuration section).
    #[arg(long, global = true, value_name = "PATH", env = "CHATROOM_CONFIG")]
    pub config: Option<PathBuf>,

    /// Read no config file, not even --config's.
    #[arg(long, global = true)]
    pub no_config: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a room and print its activity until Ctrl-C.
    #[command(long_about = "Start a room and print its activity until Ctrl-C.\n\n\
            On start it prints `listening on IP:PORT` with the address it really bound, then one \
            line per join, leave, rename and public message. Private messages are never shown or \
            logged. Ctrl-C (or SIGTERM) tells every client the room is closing, flushes what they \
            are owed and exits 0; a second Ctrl-C exits at once.",
        // Each example is also in the README's Usage, and tests/help_examples.rs holds them to it.
        after_help = "Examples:\n  \
            chatroom host                      # 0.0.0.0:55555, up to 100 people\n  \
            chatroom host --port 0             # let the OS pick a free port\n  \
            chatroom host --name ops --motd \"be kind\" --log-file ops.log\n  \
            chatroom host --bind 127.0.0.1 --max-clients 20 --rate-limit 5\n  \
            chatroom host --tls                # every connection encrypted (TLS)")]
    Host(HostArgs),
    /// Post messages into a room: the words given, or one message per line of stdin.
    #[command(
        long_about = "Post messages into a room: the words given, or one message per line of \
            stdin.\n\n\
            With MESSAGE words, they are joined by spaces and sent as one message; the room is \
            named with --server, never by a word. Without MESSAGE, every non-blank line of stdin \
            is one message, until end of input; stdin is read before connecting, so input with \
            nothing to send exits 0 without touching the room, and on a terminal send first says \
            how to type. The room shows only the messages: send joins unannounced, so no join or \
            leave notice surrounds them. chatroom send exits 0 only after the host has \
            acknowledged every message, so nothing piped into it is lost when it ends.",
        after_help = "Examples:\n  \
            chatroom send \"hello\"                            # one message from the words\n  \
            make test 2>&1 | chatroom send --nick ci         # one message per stdin line\n  \
            chatroom send --to alice \"lunch?\"                # private message\n  \
            chatroom send -s localhost --nick ci \"build 41 is green\"",
        // The same server options as `join`, but the room is named with --server: a positional
        // SERVER before MESSAGE words would take the message's first word for the host.
        mut_arg("server", |server| server
            .long("server")
            .short('s')
            .display_order(0)
            .help("The room's host, as HOST, HOST:PORT or [IPv6]:PORT"))
    )]
    Send(SendArgs),
    /// Join a room and chat: a line editor on a terminal, plain lines or JSON in a pipe.
    #[command(
        long_about = "Join a room and chat: a line editor on a terminal, plain lines or \
            JSON in a pipe.\n\n\
            On a terminal, type to talk; /help lists the commands (/msg, /me, /nick, /list, \
            /clear, /quit). Tab completes commands and the nicknames in the room, Up and Down \
            recall earlier lines (kept between sessions), and messages arriving while you type \
            appear above your line without disturbing it, long ones word-wrapped. join connects \
            before anything else, so a missing host is reported at once. Without --nick or \
            CHATROOM_NICK, join asks for a nickname, suggesting the OS user name (or guest when \
            that is root or unusable; Enter takes the suggestion), and asks again if the room \
            refuses it. /quit, Ctrl-D or Ctrl-C twice on an empty line leave; when the host \
            shuts the room down, join says so and exits 0.\n\n\
            When stdin is not a terminal, every line of it is sent (commands too), the room's \
            events are printed as plain lines (raw JSON events with --json), and join exits 0 at \
            the end of stdin once the host has acknowledged everything sent.\n\n\
            With --tls the connection is encrypted. A certificate no authority this system trusts \
            vouches for (the one `chatroom host --tls` makes) must match --fingerprint or the \
            known_hosts file; on a terminal join shows a new host's fingerprint and asks before \
            trusting it, elsewhere it refuses unless --trust-on-first-use is given. A host whose \
            certificate changed is refused with exit status 6.",
        after_help = "Examples:\n  \
            chatroom join                      # 127.0.0.1:55555; asks for a nickname\n  \
            chatroom join 192.168.1.20 --nick ana\n  \
            chatroom join chat.example.org:6000 --color never --no-timestamps\n  \
            chatroom join --tls chat.example.org     # over TLS; asks before trusting a new host\n  \
            chatroom join 10.0.0.5 --nick logger --json | jq .  # a bot reading the room"
    )]
    Join(JoinArgs),
    /// Measure a room: fan-out throughput, latency, loss and the host's CPU and memory.
    #[command(
        long_about = "Measure a room: fan-out throughput, latency, loss and the host's CPU \
            and memory.\n\n\
            Connects --clients clients (one event loop, no thread per connection), waits until the \
            room has welcomed them all, then has --senders of them each send --messages messages \
            of --size bytes, as fast as possible or at a total --rate. Every client reads every \
            message but its own, checks that it arrived intact and in order, and records its \
            latency. The report gives deliveries per second, loss, reordering, corrupt lines, \
            latency percentiles, whether every client saw one order of all the messages, and \
            the connect time; with --spawn-host or --host-pid (Linux) also the host's CPU time \
            and memory. --servers spreads the clients over several hosts of one room (host \
            --redis) and measures across them.\n\n\
            A host started by hand must run with --rate-limit 0, or it paces the senders; the \
            bench counts and reports the host's `slow down` errors. It exits 1, after the \
            report, when a message was lost, reordered, duplicated or corrupt or the clients \
            saw different orders; 0 otherwise.",
        after_help = "Examples:\n  \
            chatroom bench --spawn-host --clients 100 --senders 1 --messages 200000\n  \
            chatroom bench --spawn-host --clients 100 --messages 5000 --rate 1000\n  \
            chatroom bench 127.0.0.1:55555 --clients 5000 --messages 100 --rate 20 --json\n  \
            chatroom bench --servers 10.0.0.1:55555,10.0.0.2:55555,10.0.0.3:55555 --rate 1000"
    )]
    Bench(BenchArgs),
    /// Print a shell completion script to stdout.
    #[command(long_about = "Print a shell completion script to stdout.\n\n\
            The script completes chatroom's commands and options; see the README's Installation \
            section for where each shell looks for it. Release archives ship the same scripts in \
            their completions/ folder.")]
    Completions(CompletionsArgs),
    /// Print a man page (roff) to stdout: chatroom(1), or one command's page.
    #[command(
        long_about = "Print a man page (roff) to stdout: chatroom(1), or one command's page.\n\n\
            Read it with `chatroom man | man -l -`, or install the pages from the release archive's \
            man/ folder into a man directory such as /usr/local/share/man/man1."
    )]
    Man(ManArgs),
}

/// Options of `chatroom host`.
#[derive(Debug, Args)]
pub struct HostArgs {
    /// Address to listen on (0.0.0.0 for every IPv4 interface, :: for IPv6 too).
    // Completed with nothing rather than file names (an address, not a host name).
    #[arg(long, value_name = "IP", default_value = "0.0.0.0", value_hint = ValueHint::Other)]
    pub bind: IpAddr,

    /// Port to listen on; 0 lets the operating system choose a free one.
    #[arg(long, short, value_name = "N", env = "CHATROOM_PORT", default_value_t = DEFAULT_PORT)]
    pub port: u16,

    /// How many people may be in the room at once; one more is told the room is full.
    #[arg(long, value_name = "N", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_clients: u32,

    /// The room's name, shown to everyone who joins.
    #[arg(long, value_name = "TEXT", default_value = "lobby")]
    pub name: String,

    /// A message of the day, shown to everyone who joins.
    #[arg(long, value_name = "TEXT")]
    pub motd: Option<String>,

    /// Append the room's activity to this file, one line per event with a full UTC timestamp.
    #[arg(long, value_name = "PATH")]
    pub log_file: Option<PathBuf>,

    /// How the console and --log-file are written: text for people, or json, one JSON object per
    /// line for log shippers (room events exactly as JSON clients receive them; the first line on
    /// stdout stays `listening on IP:PORT`).
    #[arg(long, value_name = "FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,

    /// Print only start-up, shutdown and errors, not the room's activity.
    #[arg(long, short)]
    pub quiet: bool,

    /// Longest line a client may send, in bytes (newline excluded); longer lines are refused.
    #[arg(long, value_name = "BYTES", default_value_t = 4096,
          value_parser = clap::value_parser!(u32).range(64..=i64::from(LONGEST_MAX_LINE)))]
    pub max_line: u32,

    /// Messages per second each client may send before the host paces it; 0 disables the limit.
    #[arg(long, value_name = "N", default_value_t = 20)]
    pub rate_limit: u32,

    /// How many messages a client may send in a burst before --rate-limit applies.
    #[arg(long, value_name = "N", default_value_t = 50,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub burst: u32,

    /// Seconds a new connection has to send its nickname before it is closed.
    #[arg(long, value_name = "SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub handshake_timeout: u64,

    /// In rooms bigger than this, joins and leaves are announced as one sum every 2 seconds
    /// ("37 joined and 2 left"), and the welcome does not list everyone.
    #[arg(long, value_name = "N", default_value_t = 200)]
    pub quiet_above: u32,

    /// Public messages (and /me actions) the room keeps and replays to each newcomer right after
    /// its welcome, with their original time and sender; never private messages, joins or
    /// leaves. 0 keeps none. Kept in memory: at most N x --max-line bytes.
    #[arg(long, value_name = "N", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(0..=10_000))]
    pub history: u32,

    /// How many undelivered messages a client may fall behind before it is disconnected.
    #[arg(long, value_name = "N", default_value_t = 1024,
          value_parser = clap::value_parser!(u32).range(16..=1_048_576))]
    pub outbox: u32,

    /// Mebibytes the host may hold, for all clients together, of replies and private messages
    /// waiting for clients that are not reading. Once they are spent, a private message to
    /// someone not reading is refused to its sender, and a client whose replies would have to
    /// wait is disconnected like one too far behind (--outbox).
    #[arg(long, value_name = "MiB",
          default_value_t = crate::server::budget::DEFAULT_MAX_QUEUED_MIB,
          value_parser = clap::value_parser!(u32).range(1..=1_048_576))]
    pub max_queued: u32,

    /// Connections one address (an IPv4 address, or an IPv6 /64 network) may hold at once; a
    /// quarter of them may be choosing a nickname, and it may open N/2 a second after a burst of
    /// N. Loopback counts like any address. 0: no per-address limits.
    #[arg(long, value_name = "N", default_value_t = 32)]
    pub max_per_ip: u32,

    /// Seconds a connection may be silent before the host checks that the client's machine is
    /// still there (TCP keepalive); one that misses 3 checks, SECS/3 apart, is let go and its
    /// nickname freed. A JSON client is also sent a ping, and let go if nothing arrives from it
    /// within another SECS. 0 turns the checks off.
    #[arg(long, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub keepalive: u64,

    /// Give the room a password, read from the first line of this file: whoever joins must give
    /// it (nc users type it before their nickname; clients take --password-file or
    /// CHATROOM_PASSWORD, or ask). Without TLS it crosses the network in clear text.
    #[arg(long, value_name = "PATH")]
    pub password_file: Option<PathBuf>,

    /// Give the room this password (instead of --password-file). On the command line it is
    /// visible to other users in `ps` and kept in shell history: prefer --password-file, or the
    /// environment variable.
    // The variable's value never shows in --help (hide_env_values).
    #[arg(
        long,
        value_name = "TEXT",
        env = "CHATROOM_PASSWORD",
        hide_env_values = true
    )]
    pub password: Option<String>,

    /// Let members become operators with `/op PASSWORD`, the operator password read from the
    /// first line of this file (or from CHATROOM_OP_PASSWORD). Operators kick, ban, mute and set
    /// the topic; whoever runs the host in a terminal always can, from its console.
    #[arg(long, value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub op_password_file: Option<PathBuf>,

    /// Let everyone in the room set its topic with /topic, not only operators.
    #[arg(long, overrides_with = "no_open_topic")]
    pub open_topic: bool,

    /// Only operators set the topic, even if the config file says `open-topic = true`.
    #[arg(long)]
    pub no_open_topic: bool,

    /// Threads that serve connections (I/O shards), besides the room's own thread
    /// [default: one per CPU].
    #[arg(long, value_name = "N", env = "CHATROOM_THREADS",
          value_parser = clap::value_parser!(u16).range(1..=1024))]
    pub threads: Option<u16>,

    /// Encrypt every connection with TLS. Without --tls-cert the host uses a certificate of its
    /// own, made on first use and kept in --data-dir, and prints its fingerprint for clients to
    /// check. Clients join with `chatroom join --tls`; plain-text clients are told how.
    #[arg(long, overrides_with = "no_tls")]
    pub tls: bool,

    /// Serve in the clear even if the config file says `tls = true` or names a certificate.
    #[arg(long)]
    pub no_tls: bool,

    /// The certificate to serve TLS with (PEM; the host's own first, then any intermediates),
    /// e.g. one issued by a certificate authority; implies --tls. Needs --tls-key.
    // "Needs" is checked when the host starts, not by clap: either may come from the config file
    // and the other from the command line.
    #[arg(long, value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub tls_cert: Option<PathBuf>,

    /// The private key of --tls-cert (PEM: PKCS#8, PKCS#1 or SEC1). Needs --tls-cert.
    #[arg(long, value_name = "PATH", value_hint = ValueHint::FilePath)]
    pub tls_key: Option<PathBuf>,

    /// Where the host keeps its state: its TLS certificate (DIR/tls/cert.pem and key.pem, made
    /// on the first start with --tls), the room's bans and topic (DIR/room-state.json; in the
    /// default directory, which all the user's rooms share, room-state-PORT.json) and, with
    /// --store, the room's messages (DIR/room.sqlite3) [default: chatroom in the user's data
    /// directory].
    #[arg(long, value_name = "DIR", env = "CHATROOM_DATA_DIR", value_hint = ValueHint::DirPath)]
    pub data_dir: Option<PathBuf>,

    /// Keep the room's messages on disk, in DIR/room.sqlite3 under --data-dir: they survive a
    /// restart (the numbering goes on where it stopped), /search finds them, and a message is
    /// acknowledged (`send` exits 0) only once it is on disk. Without it the room lives in
    /// memory.
    #[arg(long)]
    pub store: bool,

    /// Keep nothing on disk even if the config file says `store = true`.
    #[arg(long)]
    pub no_store: bool,

    /// With --store: keep only the newest N messages; older ones are deleted in the background.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub retain_messages: Option<u64>,

    /// With --store: delete messages older than D days, in the background.
    #[arg(long, value_name = "D", value_parser = clap::value_parser!(u32).range(1..=36_500))]
    pub retain_days: Option<u32>,

    /// Share the room with every host that names the same Redis and --name:
    /// `redis://[USER:PASSWORD@]HOST[:PORT][/DB]` (rediss:// for TLS). Not with --store (yet).
    // The env value may hold a password: never shown in --help.
    #[arg(
        long,
        value_name = "URL",
        env = "CHATROOM_REDIS",
        hide_env_values = true
    )]
    pub redis: Option<String>,
}

impl HostArgs {
    /// Whether the host serves TLS: --tls or a certificate, unless --no-tls.
    pub fn uses_tls(&self) -> bool {
        !self.no_tls && (self.tls || self.tls_cert.is_some())
    }

    /// Whether anyone may set the topic: --open-topic, unless --no-open-topic.
    pub fn opens_topic(&self) -> bool {
        self.open_topic && !self.no_open_topic
    }

    /// Whether the room keeps its messages on disk: --store, unless --no-store.
    pub fn uses_store(&self) -> bool {
        self.store && !self.no_store
    }
}

/// Where the host keeps its state without --data-dir: chatroom in the user's data directory
/// (`$XDG_DATA_HOME` or `~/.local/share` on Linux, `~/Library/Application Support` on macOS,
/// `%LOCALAPPDATA%` on Windows); `None` where the system has none.
pub fn default_data_dir() -> Option<PathBuf> {
    dirs::data_local_dir().map(|dir| dir.join("chatroom"))
}

/// Where to find a room: shared by every command that connects to one.
#[derive(Debug, Args)]
pub struct ServerArgs {
    /// The room's host, as `HOST`, `HOST:PORT` or `[IPv6]:PORT`.
    // The help text is spelled out because rustdoc reads `[IPv6]` in a doc comment as a link
    // (and `cargo doc` runs with -D warnings), while clap would print the backticks.
    #[arg(
        value_name = "SERVER",
        value_hint = ValueHint::Hostname,
        env = "CHATROOM_SERVER",
        default_value = "127.0.0.1",
        help = "The room's host, as HOST, HOST:PORT or [IPv6]:PORT"
    )]
    pub server: String,

    /// Port to connect to, when SERVER does not name one.
    #[arg(long, short, value_name = "N", env = "CHATROOM_PORT")]
    pub port: Option<u16>,

    /// Your nickname [default: the OS user name; join on a terminal asks, suggesting it].
    #[arg(long, short, value_name = "NAME", env = "CHATROOM_NICK")]
    pub nick: Option<String>,

    /// Seconds to wait for the host to connect or answer before giving up.
    #[arg(long, value_name = "SECS", default_value_t = 10,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub timeout: u64,

    /// Read the room's password from the first line of this file, for a room that has one
    /// (CHATROOM_PASSWORD may hold the password itself; without either, join on a terminal asks).
    #[arg(long, value_name = "PATH")]
    pub password_file: Option<PathBuf>,
    /// Connect over TLS (to a `chatroom host --tls`). A certificate signed by an authority this
    /// system trusts is accepted; any other must match --fingerprint or the known_hosts file,
    /// or be trusted on first use.
    // Falsey: CHATROOM_TLS=1 (or yes, on, true) turns it on; empty, 0, no, off, false do not.
    #[arg(long, env = "CHATROOM_TLS", value_parser = clap::builder::FalseyValueParser::new())]
    pub tls: bool,

    /// Connect in the clear even if --tls, the environment or the config file says `tls` or
    /// names a fingerprint.
    // Not `overrides_with`: clap applies overrides before it reads the environment, and would
    // then call --no-tls with CHATROOM_TLS=1 a conflict. --no-tls simply wins (`uses_tls`).
    #[arg(long)]
    pub no_tls: bool,

    /// Trust the host's certificate only if it has this fingerprint, as `chatroom host --tls`
    /// prints it (SHA256:...), whoever signed it; implies --tls.
    #[arg(long, value_name = "SHA256:...", env = "CHATROOM_FINGERPRINT",
          value_hint = ValueHint::Other)]
    pub fingerprint: Option<crate::tls::Fingerprint>,

    /// Trust a host that is not in known_hosts yet without asking, and remember its
    /// certificate's fingerprint there (a changed one is still refused); implies --tls.
    #[arg(long)]
    pub trust_on_first_use: bool,

    /// Where the known_hosts file is kept, as DIR/known_hosts (the hosts trusted by their
    /// certificate's fingerprint) [default: chatroom in the user's data directory].
    #[arg(long, value_name = "DIR", env = "CHATROOM_DATA_DIR", value_hint = ValueHint::DirPath)]
    pub data_dir: Option<PathBuf>,
}

impl ServerArgs {
    /// Whether to connect over TLS: --tls, or an option that only makes sense with it, unless
    /// --no-tls.
    pub fn uses_tls(&self) -> bool {
        !self.no_tls && (self.tls || self.fingerprint.is_some() || self.trust_on_first_use)
    }
}

/// Options of `chatroom send`.
#[derive(Debug, Args)]
pub struct SendArgs {
    #[command(flatten)]
    pub server: ServerArgs,

    /// Send privately to this nickname instead of to the whole room.
    #[arg(long, value_name = "NICK", value_hint = ValueHint::Other)]
    pub to: Option<String>,

    /// Send as an action, shown as `* nick MESSAGE`.
    #[arg(long)]
    pub me: bool,

    /// Keep trying to reach the host for up to SECS seconds: at the start, and after a broken
    /// connection (a host restarting), then send again what it had not acknowledged; and send
    /// again what a room reconnecting to its Redis refused as unavailable. Each message carries
    /// an id, so the room takes a resent one only once. 0 gives up at once.
    #[arg(long, value_name = "SECS", default_value_t = 10)]
    pub retry: u64,

    /// The message; without it, every line of stdin is sent as its own message.
    #[arg(value_name = "MESSAGE", trailing_var_arg = true)]
    pub message: Vec<String>,
}

/// Options of `chatroom join`.
#[derive(Debug, Args)]
pub struct JoinArgs {
    #[command(flatten)]
    pub server: ServerArgs,

    /// When to color nicknames and notices: auto means on a color terminal, as NO_COLOR,
    /// CLICOLOR_FORCE, CLICOLOR and TERM allow.
    #[arg(long, value_name = "WHEN", value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Do not show the time (HH:MM, local) in front of each line.
    #[arg(long)]
    pub no_timestamps: bool,

    /// Show the time in front of each line (the default; undoes `timestamps = false` in the
    /// config file, or an earlier --no-timestamps).
    #[arg(long, overrides_with = "no_timestamps")]
    pub timestamps: bool,

    /// Leave with exit status 5 when the connection drops, instead of reconnecting (and asking
    /// the host for what was missed meanwhile).
    #[arg(long)]
    pub no_reconnect: bool,

    /// Seconds the host may stay silent before the connection counts as lost, as when it
    /// breaks: join pings a quiet host (twice within SECS), and a host that is there answers,
    /// so this finds a host whose machine vanished without closing the connection (a pulled
    /// cable, a frozen machine, a router that forgot us). 0: never (a silence is only shown).
    #[arg(long, value_name = "SECS", default_value_t = 30,
          value_parser = clap::value_parser!(u64).range(0..=86_400))]
    pub keepalive: u64,

    /// Keep the input history in this file [default: chatroom/history in the user's data
    /// directory]; the `/ignore` lists are kept beside it, in an `ignore` folder.
    #[arg(long, value_name = "PATH")]
    pub history_file: Option<PathBuf>,

    /// Print every event from the room as one raw JSON line, for bots; never a line editor.
    #[arg(long)]
    pub json: bool,
}

impl JoinArgs {
    /// Whether lines show their time: --timestamps, or no --no-timestamps (which the config file
    /// may make the default).
    pub fn shows_timestamps(&self) -> bool {
        self.timestamps || !self.no_timestamps
    }
}

/// Options of `chatroom bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The room to measure, as `HOST`, `HOST:PORT` or `[IPv6]:PORT` (default 127.0.0.1:55555).
    // No CHATROOM_SERVER here: a benchmark names its target explicitly, and an inherited
    // variable would silently conflict with --spawn-host.
    #[arg(
        value_name = "SERVER",
        value_hint = ValueHint::Hostname,
        conflicts_with = "spawn_host",
        help = "The room to measure, as HOST, HOST:PORT or [IPv6]:PORT (default 127.0.0.1:55555)"
    )]
    pub server: Option<String>,

    /// Port to connect to, when SERVER does not name one.
    #[arg(long, short, value_name = "N", conflicts_with = "spawn_host")]
    pub port: Option<u16>,

    /// Hosts of one room shared across hosts (`host --redis`), as HOST:PORT,HOST:PORT,...: the
    /// clients (senders and readers alike) are spread over them round-robin, and the report adds
    /// each host's deliveries and the latency between hosts. One address is the same as SERVER.
    #[arg(
        long,
        value_name = "HOST:PORT,...",
        value_delimiter = ',',
        num_args = 1,
        value_hint = ValueHint::Hostname,
        conflicts_with_all = ["server", "spawn_host", "host_pid"]
    )]
    pub servers: Vec<String>,

    /// Start a host for the run (this same binary, on 127.0.0.1 and a free port, with
    /// --rate-limit 0 --quiet and room for every client), measure its CPU and memory, and stop it
    /// afterwards.
    #[arg(long)]
    pub spawn_host: bool,

    /// Pin the started host to this CPU (Linux); pin the bench itself with `taskset -c`.
    #[arg(long, value_name = "CPU", requires = "spawn_host")]
    pub host_cpu: Option<usize>,

    /// One more argument for the started host, e.g. --host-arg=--outbox=4096 (repeatable).
    #[arg(
        long,
        value_name = "ARG",
        requires = "spawn_host",
        allow_hyphen_values = true
    )]
    pub host_arg: Vec<String>,

    /// Report the CPU time and memory of this already running host process (Linux).
    #[arg(long, value_name = "PID", conflicts_with = "spawn_host")]
    pub host_pid: Option<u32>,

    /// Clients to connect; every one of them reads every message the others send.
    #[arg(long, short, value_name = "N", default_value_t = 100,
          value_parser = clap::value_parser!(u32).range(2..=100_000))]
    pub clients: u32,

    /// How many of the clients also send (the first S).
    #[arg(long, short, value_name = "S", default_value_t = 1,
          value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub senders: u32,

    /// Messages each sender sends (the run sends S times this many).
    #[arg(long, short, value_name = "M", default_value_t = 10_000,
          value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
    pub messages: u64,

    /// Bytes of text per message (newline and the host's framing excluded); it carries the sender,
    /// a sequence number and the send time, padded to this size.
    #[arg(long, short = 'b', value_name = "BYTES", default_value_t = 64,
          value_parser = clap::value_parser!(u32).range(16..=1_048_576))]
    pub size: u32,

    /// Send this many messages per second in total, spread evenly over the senders (for latency);
    /// without it, senders send as fast as the room takes them.
    #[arg(long, short, value_name = "MSGS_PER_SEC")]
    pub rate: Option<f64>,

    /// The dialect the clients speak.
    #[arg(long, value_enum, default_value_t = BenchMode::Plain)]
    pub mode: BenchMode,

    /// How many of the clients join and then never read again (the last K); the report covers
    /// the others.
    #[arg(long, value_name = "K", default_value_t = 0)]
    pub stalled: u32,

    /// Messages the senders together may have sent that a reading client has not received yet
    /// (each sender gets an equal share); they wait beyond that, so neither the bench's reading
    /// speed nor a host that starves its writers can overflow the host's per-client queue
    /// (--outbox, 1024 by default). 0 means no limit.
    #[arg(long, value_name = "MSGS", default_value_t = 512)]
    pub window: u64,

    /// Connections that may be opening or waiting for their welcome at once.
    #[arg(long, value_name = "N", default_value_t = 1000,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub connect_batch: u32,

    /// Give up connecting when the room has not welcomed everyone within this many seconds.
    #[arg(long, value_name = "SECS", default_value_t = 60,
          value_parser = clap::value_parser!(u64).range(1..=86_400))]
    pub connect_timeout: u64,

    /// End the run when nothing has arrived for this many seconds, and count what is missing as
    /// lost.
    #[arg(long, value_name = "SECS", default_value_t = 5.0)]
    pub idle_timeout: f64,

    /// Print the report as one JSON object instead of a table.
    #[arg(long)]
    pub json: bool,

    /// Every client speaks TLS (the host must be started with --tls; a started host is). The
    /// host's certificate is checked: a started host's own certificate is pinned, another host's
    /// must match --fingerprint, be in known_hosts, or be signed by an authority this system
    /// trusts.
    #[arg(long)]
    pub tls: bool,

    /// Trust the host's certificate only if it has this fingerprint (SHA256:..., as `chatroom
    /// host --tls` prints it); implies --tls.
    #[arg(long, value_name = "SHA256:...", conflicts_with = "spawn_host",
          value_hint = ValueHint::Other)]
    pub fingerprint: Option<crate::tls::Fingerprint>,
}

impl BenchArgs {
    /// Whether the clients speak TLS: --tls, or a --fingerprint to check.
    pub fn uses_tls(&self) -> bool {
        self.tls || self.fingerprint.is_some()
    }
}

/// The protocol dialect `chatroom bench` clients speak.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum BenchMode {
    /// Nickname first, then one line per message (what nc users do).
    Plain,
    /// JSON lines: hello, then one say request per message.
    Json,
}

/// How `chatroom host` writes its console and transcript.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum LogFormat {
    /// Readable lines: local times on the console, full UTC timestamps in the file.
    #[default]
    Text,
    /// JSON lines: room events as the protocol has them, notes and warnings as
    /// {"type","ts","text"}.
    Json,
}

/// Options of `chatroom completions`.
#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell to print a completion script for.
    #[arg(value_name = "SHELL", value_enum)]
    pub shell: clap_complete::Shell,
}

/// Options of `chatroom man`.
#[derive(Debug, Args)]
pub struct ManArgs {
    /// The command whose page to print (for example `host`); without it, chatroom(1).
    // A plain string rather than a fixed list of values, so a new command gets its page without
    // anyone editing this definition; `chatroom man` checks the name itself, and the completion
    // scripts offer the page names (src/docs/mod.rs adds them).
    #[arg(value_name = "COMMAND")]
    pub command: Option<String>,
}

/// When to use colors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum ColorChoice {
    /// Colors on a color terminal, unless NO_COLOR or CLICOLOR=0 says no; CLICOLOR_FORCE
    /// forces them.
    #[default]
    Auto,
    /// Always use colors, whatever the environment says.
    Always,
    /// Never use colors, whatever the environment says.
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn the_definition_is_consistent() {
        Cli::command().debug_assert();
    }
}
