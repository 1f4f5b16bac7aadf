//! `chatroom bench`: a load generator that measures a room, in the spirit of `nats bench` and
//! `redis-benchmark`.
//!
//! Operators use it to size a room and developers to optimize the host, so it must be cheaper
//! than what it measures and must never hide a problem: it checks every byte of every message,
//! counts what is lost rather than waiting for it forever, and reports the host's own CPU and
//! memory next to the throughput.
//!
//! # Layout
//! - this file: the validated configuration and the run (limits, host, load, report).
//! - [`load`]: the event loop holding every connection (connect, settle, messages).
//! - [`senders`]: what senders write and when (pacing, send window, framing).
//! - [`inbound`]: sorting the lines clients receive.
//! - `newlines`: finding a received block's line ends 64 bytes at a time.
//! - [`payload`]: the text of a message and its integrity check.
//! - [`tally`]: per-sender order, loss and the latency histograms.
//! - [`order`]: whether every reader saw one order of all the messages.
//! - [`servers`]: the hosts of the room (`--servers`) and which client goes to which.
//! - `accepted`: message lines already accepted, which the other readers' copies are compared
//!   with.
//! - [`host`]: starting a host, and its CPU and memory from `/proc`.
//! - [`report`]: the table and the JSON.
//! - `wire`: a client's bytes over the bare socket or inside TLS; `tls`: how `--tls` clients
//!   check the host's certificate.

mod accepted;
pub mod host;
pub mod inbound;
pub mod load;
mod newlines;
pub mod order;
pub mod payload;
pub mod report;
pub mod senders;
pub mod servers;
pub mod tally;
mod tls;
mod wire;

use std::io::Write;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use crate::cli::{BenchArgs, BenchMode};
use crate::client::target;
use crate::error::{Error, ExitStatus, Result, describe_io};
use hdrhistogram::Histogram;
use load::{Ended, Endpoint, LoadOutcome, Milestone, Plan};
use payload::Payload;
use report::{HostReport, HostShare, Latency, Order, Report, ThreadCost};

/// Set by Ctrl-C; the event loop checks it every turn.
static INTERRUPTED: AtomicBool = AtomicBool::new(false);

/// File descriptors the bench needs besides one per client.
const SPARE_FDS: u64 = 64;

/// The least host CPU time worth dividing by the deliveries.
const MIN_CPU_SECS: f64 = 0.1;

/// What `chatroom bench` was asked to do, checked.
struct BenchConfig {
    plan_without_addr: PlanParts,
    /// The hosts to connect to (one unless `--servers` names several); none with --spawn-host.
    servers: Vec<target::Target>,
    spawn_host: bool,
    host_cpu: Option<usize>,
    host_args: Vec<String>,
    host_pid: Option<u32>,
    json: bool,
    tls: bool,
    fingerprint: Option<crate::tls::Fingerprint>,
}

/// The plan, before the address is known.
struct PlanParts {
    mode: BenchMode,
    clients: usize,
    senders: usize,
    stalled: usize,
    messages: u64,
    size: usize,
    rate: Option<f64>,
    window: u64,
    connect_batch: usize,
    connect_timeout: Duration,
    idle_timeout: Duration,
}

impl BenchConfig {
    fn from_args(args: &BenchArgs) -> Result<Self> {
        let usage = |message: String| Error::new(ExitStatus::Usage, message);
        let clients = args.clients as usize;
        let senders = args.senders as usize;
        let stalled = args.stalled as usize;
        if stalled >= clients || clients - stalled < 2 {
            return Err(usage(format!(
                "--stalled {stalled} leaves fewer than 2 of the {clients} clients reading"
            )));
        }
        if senders > clients - stalled {
            return Err(usage(format!(
                "--senders {senders} is more than the {} clients that read (senders are the \
                 first clients, stalled ones the last)",
                clients - stalled
            )));
        }
        let min_size = Payload::min_size(args.senders, args.messages);
        if (args.size as usize) < min_size {
            return Err(usage(format!(
                "--size {} cannot hold a message's sender, sequence number and send time; use \
                 at least {min_size}",
                args.size
            )));
        }
        if let Some(rate) = args.rate
            && !(rate.is_finite() && rate > 0.0)
        {
            return Err(usage(format!("--rate {rate} must be a positive number")));
        }
        if !(args.idle_timeout.is_finite() && args.idle_timeout > 0.0) {
            return Err(usage(format!(
                "--idle-timeout {} must be a positive number of seconds",
                args.idle_timeout
            )));
        }
        let servers = if args.spawn_host {
            Vec::new()
        } else if !args.servers.is_empty() {
            servers::parse(&args.servers, args.port).map_err(usage)?
        } else {
            let server = args.server.as_deref().unwrap_or("127.0.0.1");
            vec![target::parse(server, args.port).map_err(usage)?]
        };
        Ok(BenchConfig {
            plan_without_addr: PlanParts {
                mode: args.mode,
                clients,
                senders,
                stalled,
                messages: args.messages,
                size: args.size as usize,
                rate: args.rate,
                window: args.window,
                connect_batch: args.connect_batch as usize,
                connect_timeout: Duration::from_secs(args.connect_timeout),
                idle_timeout: Duration::from_secs_f64(args.idle_timeout),
            },
            servers,
            spawn_host: args.spawn_host,
            host_cpu: args.host_cpu,
            host_args: args.host_arg.clone(),
            host_pid: args.host_pid,
            json: args.json,
            tls: args.uses_tls(),
            fingerprint: args.fingerprint,
        })
    }
}

/// `chatroom bench`.
pub fn run(args: &BenchArgs) -> Result<()> {
    let config = BenchConfig::from_args(args)?;
    let parts = &config.plan_without_addr;
    let mut warnings = Vec::new();

    // Every client is a socket here, and a started host (our child, which inherits the limit)
    // holds a few descriptors per client too.
    let clients = parts.clients as u64;
    let own_need = clients + SPARE_FDS;
    let wanted = if config.spawn_host {
        own_need + 4 * clients + SPARE_FDS
    } else {
        own_need
    };
    match host::raise_open_files(wanted) {
        Some(limit) if limit < own_need => {
            return Err(Error::failure(format!(
                "{} clients need about {own_need} open files but the limit is {limit} and \
                 cannot be raised here; raise it (ulimit -n) or use fewer --clients",
                parts.clients
            )));
        }
        Some(limit) if limit < wanted => warnings.push(format!(
            "the open-file limit is {limit}; the started host may need up to {wanted}"
        )),
        _ => {}
    }

    install_interrupt_handler();

    // A started TLS host gets a certificate made here, in a directory of the run's own, so the
    // clients can pin exactly that one.
    let own_certificate = match (config.tls, config.spawn_host) {
        (true, true) => Some(tls::OwnCertificate::make()?),
        _ => None,
    };
    let mut spawned = if config.spawn_host {
        let mut host_args = config.host_args.clone();
        if let Some(own) = &own_certificate {
            host_args.extend(own.host_args());
        }
        Some(host::spawn(parts.clients, config.host_cpu, &host_args)?)
    } else {
        None
    };
    // Each host's clients check that host's certificate (a --fingerprint pins every one).
    let pin = own_certificate
        .as_ref()
        .map(tls::OwnCertificate::fingerprint)
        .or(config.fingerprint);
    let endpoint = |target: &target::Target, addr: SocketAddr| -> Result<Endpoint> {
        let tls = match config.tls {
            true => Some(tls::clients(target, pin)?),
            false => None,
        };
        Ok(Endpoint { addr, tls })
    };
    let (targets, hosts) = match &spawned {
        Some(host) => {
            let target = target::Target {
                host: host.addr.ip().to_string(),
                port: host.addr.port(),
            };
            let endpoint = endpoint(&target, host.addr)?;
            (vec![target], vec![endpoint])
        }
        None => {
            let mut hosts = Vec::with_capacity(config.servers.len());
            for target in &config.servers {
                hosts.push(endpoint(target, resolve(target)?)?);
            }
            (config.servers.clone(), hosts)
        }
    };
    let server_names: Vec<String> = targets.iter().map(target::Target::to_string).collect();
    let pid = spawned.as_ref().map(|h| h.pid()).or(config.host_pid);
    if let Some(pid) = config.host_pid
        && cfg!(target_os = "linux")
        && host::sample(pid).is_none()
    {
        warnings.push(format!("cannot read /proc/{pid}: no host figures"));
    }

    let plan = Plan {
        hosts,
        mode: parts.mode,
        clients: parts.clients,
        senders: parts.senders,
        stalled: parts.stalled,
        messages: parts.messages,
        payload: Payload::new(parts.size, parts.senders, parts.messages),
        rate: parts.rate,
        window: parts.window,
        connect_batch: parts.connect_batch,
        connect_timeout: parts.connect_timeout,
        idle_timeout: parts.idle_timeout,
    };

    let sample = || pid.and_then(host::sample);
    let idle = sample();
    let (mut joined, mut done) = (None, None);
    let epoch = Instant::now();
    let outcome = load::run(
        &plan,
        epoch,
        &INTERRUPTED,
        &mut |milestone| match milestone {
            Milestone::Joined => joined = sample(),
            Milestone::Done => done = sample(),
        },
    )?;
    let host = match (pid, idle, joined, done) {
        (Some(pid), Some(idle), Some(joined), Some(done)) => {
            Some(host_report(pid, &plan, &outcome, idle, joined, done))
        }
        (Some(pid), ..) if cfg!(target_os = "linux") => {
            warnings.push(format!(
                "could not read /proc/{pid} at every step: no host figures"
            ));
            None
        }
        _ => None,
    };
    if let Some(status) = spawned.as_mut().and_then(|h| h.exited()) {
        warnings.push(format!("the host exited during the run ({status})"));
    }
    let report = build_report(
        &plan,
        &outcome,
        &server_names,
        config.spawn_host,
        host,
        warnings,
    );
    print(&report, config.json)?;
    // The clients are gone once `load::run` returns; stopping the host is what is left.
    drop(spawned);
    if outcome.ended == Ended::Interrupted {
        return Err(Error::new(ExitStatus::Interrupted, "interrupted"));
    }
    match report.trouble() {
        Some(trouble) => Err(Error::failure(trouble)),
        None => Ok(()),
    }
}

fn install_interrupt_handler() {
    let presses = AtomicUsize::new(0);
    // A second handler cannot be installed (tests may run the bench twice in one process):
    // without it Ctrl-C simply ends the process, which is acceptable.
    let _ = ctrlc::set_handler(move || {
        if presses.fetch_add(1, Ordering::SeqCst) == 0 {
            INTERRUPTED.store(true, Ordering::SeqCst);
        } else {
            std::process::exit(ExitStatus::Interrupted as i32);
        }
    });
}

fn resolve(target: &target::Target) -> Result<SocketAddr> {
    target.resolve().map(|addrs| addrs[0])
}

fn host_report(
    pid: u32,
    plan: &Plan,
    outcome: &LoadOutcome,
    idle: host::Sample,
    joined: host::Sample,
    done: host::Sample,
) -> HostReport {
    let cpu_secs_run = (done.cpu_secs - joined.cpu_secs).max(0.0);
    // Threads are matched by id: one that started or ended during the run has no figure.
    let per_thread: Vec<ThreadCost> = done
        .per_thread
        .iter()
        .filter_map(|end| {
            let start = joined.per_thread.iter().find(|t| t.tid == end.tid)?;
            Some(ThreadCost {
                name: end.name.clone(),
                cpu_secs_run: (end.cpu_secs - start.cpu_secs).max(0.0),
            })
        })
        .collect();
    let delivered = outcome.tally.delivered;
    // CPU time comes in clock ticks (10 ms): below 0.1 s a per-delivery figure would be noise.
    let measurable = cpu_secs_run >= MIN_CPU_SECS && delivered > 0;
    HostReport {
        pid,
        cpu_secs_connect: (joined.cpu_secs - idle.cpu_secs).max(0.0),
        cpu_secs_run,
        cpu_us_per_delivery: measurable.then(|| cpu_secs_run * 1e6 / delivered as f64),
        rss_kb_idle: idle.rss_kb,
        rss_kb_joined: joined.rss_kb,
        rss_kb_end: done.rss_kb,
        hwm_kb: done.hwm_kb,
        rss_per_client_kb: joined.rss_kb.saturating_sub(idle.rss_kb) as f64 / plan.clients as f64,
        threads_joined: joined.threads,
        room_cpu_us_per_message: per_thread
            .iter()
            .find(|t| t.name == "room")
            .filter(|_| outcome.sent > 0)
            .map(|room| room.cpu_secs_run * 1e6 / outcome.sent as f64),
        per_thread,
    }
}

fn build_report(
    plan: &Plan,
    outcome: &LoadOutcome,
    servers: &[String],
    spawned_host: bool,
    host: Option<HostReport>,
    mut warnings: Vec<String>,
) -> Report {
    let tally = &outcome.tally;
    let ns_between = |a: Option<u64>, b: Option<u64>| match (a, b) {
        (Some(a), Some(b)) => b.saturating_sub(a) as f64 / 1e9,
        _ => 0.0,
    };
    let per_sec = |n: u64, secs: f64| if secs > 0.0 { n as f64 / secs } else { 0.0 };
    let send_secs = ns_between(outcome.first_send_ns, outcome.last_send_ns);
    let run_secs = ns_between(outcome.first_send_ns, outcome.last_delivery_ns);
    let hosts = servers
        .iter()
        .enumerate()
        .map(|(host, server)| {
            let on_host = |&client: &usize| servers::host_of(client, servers.len()) == host;
            HostShare {
                server: server.clone(),
                clients: servers::clients_on(host, plan.clients, servers.len()),
                delivered: (0..plan.readers())
                    .filter(on_host)
                    .map(|c| outcome.delivered_by[c])
                    .sum(),
                expected: (0..plan.readers())
                    .filter(on_host)
                    .map(|c| plan.expected_by(c))
                    .sum(),
            }
        })
        .collect();
    if outcome.slow_down > 0 {
        warnings.push(format!(
            "the host paced the senders ({} slow-down errors): run it with --rate-limit 0",
            outcome.slow_down
        ));
    }
    if let Some(error) = &outcome.first_host_error {
        warnings.push(format!("the host sent errors; the first: {error}"));
    }
    if outcome.host_quit {
        warnings.push("the host shut down during the run".into());
    }
    if outcome.foreign > 0 {
        warnings.push("someone else is in the room: their messages were not counted".into());
    }
    Report {
        server: servers.join(","),
        spawned_host,
        mode: match plan.mode {
            BenchMode::Plain => "plain",
            BenchMode::Json => "json",
        },
        tls: plan.hosts.iter().any(|h| h.tls.is_some()),
        clients: plan.clients,
        senders: plan.senders,
        stalled: plan.stalled,
        messages_per_sender: plan.messages,
        size: plan.payload.size(),
        rate: plan.rate,
        window: plan.window,
        connect_secs: outcome.connect.as_secs_f64(),
        settle_secs: outcome.settle.as_secs_f64(),
        planned: plan.senders as u64 * plan.messages,
        sent: outcome.sent,
        send_secs,
        sent_per_sec: per_sec(outcome.sent, send_secs),
        expected: plan.expected(),
        delivered: tally.delivered,
        lost: plan.expected().saturating_sub(tally.delivered),
        reordered: tally.reordered,
        duplicates: tally.duplicates,
        order: Order {
            receivers: plan.readers(),
            disagreements: outcome.order.disagreements(),
            disagreeing_receivers: outcome.order.disagreeing_receivers(),
            unchecked: outcome.order.unchecked,
        },
        corrupt: outcome.corrupt + tally.unexpected,
        foreign: outcome.foreign,
        slow_down: outcome.slow_down,
        host_errors: outcome.host_errors,
        disconnected: outcome.closed,
        run_secs,
        deliveries_per_sec: per_sec(tally.delivered, run_secs),
        latency_us: latency(&tally.latency),
        hosts,
        cross_host_latency_us: latency(&tally.cross_host_latency),
        pacing_lag_max_ms: plan.rate.map(|_| outcome.pacing_lag.as_secs_f64() * 1e3),
        ended: match outcome.ended {
            Ended::Complete => "complete",
            Ended::Idle => "idle",
            Ended::Disconnected => "disconnected",
            Ended::Interrupted => "interrupted",
        },
        host,
        warnings,
    }
}

/// The percentiles of a latency histogram in nanoseconds, in microseconds; `None` when empty.
fn latency(h: &Histogram<u64>) -> Option<Latency> {
    let us = |ns: u64| ns as f64 / 1e3;
    (!h.is_empty()).then(|| Latency {
        p50: us(h.value_at_quantile(0.50)),
        p90: us(h.value_at_quantile(0.90)),
        p99: us(h.value_at_quantile(0.99)),
        p99_9: us(h.value_at_quantile(0.999)),
        max: us(h.max()),
        mean: h.mean() / 1e3,
    })
}

/// Prints the report; a closed stdout (`| head`) is not an error.
fn print(report: &Report, json: bool) -> Result<()> {
    let text = if json {
        format!("{}\n", report.to_json())
    } else {
        report.to_table()
    };
    let mut stdout = std::io::stdout().lock();
    match stdout
        .write_all(text.as_bytes())
        .and_then(|()| stdout.flush())
    {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        Err(e) => Err(Error::new(
            ExitStatus::Failure,
            format!("cannot write the report: {}", describe_io(&e)),
        )),
    }
}
