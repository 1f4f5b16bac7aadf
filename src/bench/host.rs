//! The host under test, when it runs on this machine: starting one, and reading what it costs.
//!
//! With `--spawn-host` the bench starts this same binary as `chatroom host` on 127.0.0.1 and a
//! free port, learns the port from the `listening on` line, and stops it with SIGTERM when the
//! run is over. With `--host-pid` it only observes a host someone started by hand. Either way the
//! bench samples the host's CPU time and memory from `/proc` (Linux) before the clients connect,
//! once they are in, and after the messages: the report turns the differences into CPU per
//! delivery and memory per client. On other systems there is no `/proc` and those figures are
//! simply absent. Also here: raising the open-file limit, which 10,000 connections need.

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::error::{Error, Result};

/// How long a started host may take to print its address.
const START_TIMEOUT: Duration = Duration::from_secs(10);

/// How long a host may take to close cleanly before it is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(5);

/// A host this run started; stopped when dropped.
pub struct SpawnedHost {
    child: Child,
    pub addr: SocketAddr,
}

impl SpawnedHost {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// How the host ended, if it already has: a host that crashes under load is a result.
    pub fn exited(&mut self) -> Option<String> {
        match self.child.try_wait() {
            Ok(Some(status)) => Some(status.to_string()),
            _ => None,
        }
    }
}

/// The arguments the bench starts a host with: quiet, unpaced, with room for every client, and
/// deaf to the user's config file (a room configured for people, or its log file, is not what
/// a measurement should get; --host-arg passes anything it needs).
pub fn host_args(clients: usize, extra: &[String]) -> Vec<String> {
    let mut args: Vec<String> = [
        "host",
        "--no-config",
        "--bind",
        "127.0.0.1",
        "--port",
        "0",
        "--quiet",
        "--rate-limit",
        "0",
        "--max-per-ip",
        "0",
        "--max-clients",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    args.push((clients + 16).to_string());
    args.extend(extra.iter().cloned());
    args
}

/// Starts `chatroom host` (this executable), pinned to `cpu` if given, and waits for its address.
pub fn spawn(clients: usize, cpu: Option<usize>, extra: &[String]) -> Result<SpawnedHost> {
    let exe = std::env::current_exe()
        .map_err(|e| Error::failure(format!("cannot find the chatroom executable: {e}")))?;
    let mut command = Command::new(exe);
    command
        .args(host_args(clients, extra))
        .env_remove("CHATROOM_PORT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(cpu) = cpu {
        pin(&mut command, cpu)?;
    }
    let mut child = command
        .spawn()
        .map_err(|e| Error::failure(format!("cannot start a host: {e}")))?;
    let stdout = child.stdout.take().expect("stdout is piped");
    let stderr = child.stderr.take().expect("stderr is piped");
    // The host's warnings (say, "cannot accept a connection: too many open files") matter to
    // whoever reads the report, so they are passed on, marked as the host's. Its note that it is
    // closing is not: the bench closes it on purpose.
    std::thread::Builder::new()
        .name("host-stderr".into())
        .spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if !line.starts_with("chatroom: closing the room") {
                    crate::error::to_stderr(format_args!("host: {line}"));
                }
            }
        })
        .map_err(|e| Error::failure(format!("cannot start a thread: {e}")))?;
    // A thread reads the host's stdout for as long as it runs (so it never blocks on a full
    // pipe) and hands over the first `listening on` address.
    let (tx, rx) = crossbeam_channel::bounded(1);
    std::thread::Builder::new()
        .name("host-stdout".into())
        .spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(addr) = line.strip_prefix("listening on ")
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(addr.trim().to_string());
                }
            }
        })
        .map_err(|e| Error::failure(format!("cannot start a thread: {e}")))?;
    // Until the address is known the host is dropped (and so stopped) on any error.
    let mut host = SpawnedHost {
        child,
        addr: SocketAddr::from(([127, 0, 0, 1], 0)),
    };
    match rx.recv_timeout(START_TIMEOUT) {
        Ok(addr) => {
            host.addr = addr.parse().map_err(|_| {
                Error::failure(format!(
                    "the host printed an address that is not one: {addr}"
                ))
            })?;
            Ok(host)
        }
        Err(_) => {
            let why = match host.child.try_wait() {
                Ok(Some(status)) => format!("it exited ({status})"),
                _ => format!(
                    "it did not say where it listens within {} s",
                    START_TIMEOUT.as_secs()
                ),
            };
            Err(Error::failure(format!("cannot start a host: {why}")))
        }
    }
}

impl Drop for SpawnedHost {
    fn drop(&mut self) {
        #[cfg(unix)]
        if let Ok(pid) = libc::pid_t::try_from(self.child.id()) {
            // SAFETY: kill(2) on our own child's pid; it has not been reaped yet, so the pid
            // cannot belong to another process.
            unsafe {
                libc::kill(pid, libc::SIGTERM);
            }
            let deadline = std::time::Instant::now() + STOP_TIMEOUT;
            while std::time::Instant::now() < deadline {
                if let Ok(Some(_)) = self.child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[cfg(target_os = "linux")]
fn pin(command: &mut Command, cpu: usize) -> Result<()> {
    use std::os::unix::process::CommandExt;
    if cpu >= libc::CPU_SETSIZE as usize {
        return Err(Error::failure(format!("--host-cpu {cpu} is out of range")));
    }
    // SAFETY: the closure runs in the child between fork and exec, and only makes the
    // sched_setaffinity system call on a set built on its own stack: async-signal-safe.
    unsafe {
        command.pre_exec(move || {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut set);
            if libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn pin(_command: &mut Command, _cpu: usize) -> Result<()> {
    Err(Error::failure(
        "--host-cpu works on Linux only; pin the host yourself and use --host-pid",
    ))
}

/// What one of the host's threads has cost so far.
#[derive(Debug, Clone, PartialEq)]
pub struct ThreadSample {
    pub tid: u32,
    /// The thread's name (`room`, `shard-0`, ...; the process name for the main thread).
    pub name: String,
    /// CPU time so far, in seconds: from `schedstat` (nanoseconds) where the kernel keeps it,
    /// else from `stat` (clock ticks).
    pub cpu_secs: f64,
}

/// What a host process costs at one moment.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// User plus system CPU time so far, in seconds (resolution: one clock tick, usually 10 ms).
    pub cpu_secs: f64,
    /// Resident memory now, in kB.
    pub rss_kb: u64,
    /// The most resident memory so far, in kB.
    pub hwm_kb: u64,
    /// Threads now.
    pub threads: u64,
    /// Each thread's CPU time, where `/proc/PID/task` can be read.
    pub per_thread: Vec<ThreadSample>,
}

/// Reads `/proc/PID/stat` and `/proc/PID/status`; `None` where there is no such process or no
/// `/proc`.
#[cfg(target_os = "linux")]
pub fn sample(pid: u32) -> Option<Sample> {
    // A read of /proc can fail transiently on a loaded machine; a missing figure would cost the
    // whole host report, so try again briefly.
    (0..3).find_map(|attempt| {
        if attempt > 0 {
            std::thread::sleep(Duration::from_millis(10));
        }
        sample_once(pid)
    })
}

#[cfg(target_os = "linux")]
fn sample_once(pid: u32) -> Option<Sample> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    // SAFETY: sysconf has no preconditions.
    let ticks = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
    let ticks = if ticks > 0 { ticks as f64 } else { 100.0 };
    let mut sample = parse(&stat, &status, ticks)?;
    sample.per_thread = threads(pid, ticks);
    Some(sample)
}

/// Every thread of `pid` with its CPU time so far (threads that end while being read are left
/// out).
#[cfg(target_os = "linux")]
fn threads(pid: u32, ticks: f64) -> Vec<ThreadSample> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    let mut threads: Vec<ThreadSample> = tasks
        .filter_map(|task| {
            let tid: u32 = task.ok()?.file_name().to_str()?.parse().ok()?;
            let dir = format!("/proc/{pid}/task/{tid}");
            let stat = std::fs::read_to_string(format!("{dir}/stat")).ok()?;
            let schedstat = std::fs::read_to_string(format!("{dir}/schedstat")).ok();
            parse_thread(tid, &stat, schedstat.as_deref(), ticks)
        })
        .collect();
    threads.sort_by_key(|t| t.tid);
    threads
}

/// One thread's name and CPU time from its `stat` and, if there is one, its `schedstat` (whose
/// first field is the nanoseconds it has run: far finer than `stat`'s ticks, which matters for a
/// thread that works a few microseconds per message).
pub fn parse_thread(
    tid: u32,
    stat: &str,
    schedstat: Option<&str>,
    ticks: f64,
) -> Option<ThreadSample> {
    let name = stat.get(stat.find('(')? + 1..stat.rfind(')')?)?.to_string();
    let precise = schedstat
        .and_then(|s| s.split_whitespace().next()?.parse::<u64>().ok())
        .map(|ns| ns as f64 / 1e9);
    let cpu_secs = match precise {
        Some(secs) => secs,
        None => {
            let (utime, stime) = parse_stat(stat)?;
            (utime + stime) as f64 / ticks
        }
    };
    Some(ThreadSample {
        tid,
        name,
        cpu_secs,
    })
}

#[cfg(not(target_os = "linux"))]
pub fn sample(_pid: u32) -> Option<Sample> {
    None
}

/// Combines the two `/proc` files into a sample; `ticks` is clock ticks per second.
pub fn parse(stat: &str, status: &str, ticks: f64) -> Option<Sample> {
    let (utime, stime) = parse_stat(stat)?;
    let field = |name: &str| {
        status.lines().find_map(|line| {
            let value = line.strip_prefix(name)?.strip_prefix(':')?;
            value.split_whitespace().next()?.parse::<u64>().ok()
        })
    };
    Some(Sample {
        cpu_secs: (utime + stime) as f64 / ticks,
        rss_kb: field("VmRSS")?,
        hwm_kb: field("VmHWM")?,
        threads: field("Threads").unwrap_or(0),
        per_thread: Vec::new(),
    })
}

/// `utime` and `stime` (fields 14 and 15) from `/proc/PID/stat`. The command name (field 2) is in
/// parentheses and may itself hold spaces and parentheses, so fields are counted from the last `)`.
fn parse_stat(stat: &str) -> Option<(u64, u64)> {
    let after_name = &stat[stat.rfind(')')? + 1..];
    let mut fields = after_name.split_whitespace();
    // After the name come state (field 3) ... so utime, field 14, is the 12th from here.
    let utime = fields.nth(11)?.parse().ok()?;
    let stime = fields.next()?.parse().ok()?;
    Some((utime, stime))
}

/// Raises the soft open-file limit to at least `wanted` where the system allows (as root the hard
/// limit too). Returns the limit now in force; `None` where there is no such limit to read.
#[cfg(unix)]
// rlim_t is u64 on Linux and macOS but not on every Unix.
#[allow(clippy::unnecessary_cast)]
pub fn raise_open_files(wanted: u64) -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit write to and read from a valid rlimit struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) != 0 {
            return None;
        }
        let wanted = wanted as libc::rlim_t;
        if limit.rlim_cur >= wanted {
            return Some(limit.rlim_cur as u64);
        }
        let raised = libc::rlimit {
            rlim_cur: wanted,
            rlim_max: limit.rlim_max.max(wanted),
        };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &raised) == 0 {
            return Some(wanted as u64);
        }
        // Not privileged: as far as the hard limit goes.
        let capped = libc::rlimit {
            rlim_cur: limit.rlim_max.min(wanted),
            rlim_max: limit.rlim_max,
        };
        if libc::setrlimit(libc::RLIMIT_NOFILE, &capped) == 0 {
            return Some(capped.rlim_cur as u64);
        }
        Some(limit.rlim_cur as u64)
    }
}

#[cfg(not(unix))]
pub fn raise_open_files(_wanted: u64) -> Option<u64> {
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const STAT: &str = "4242 (chatroom (x) y) S 1 4242 4242 0 -1 4194560 1234 0 0 0 \
        250 75 0 0 20 0 17 0 123456 987654321 2048 18446744073709551615 1 1 0 0 0 0 0 4096 0 \
        0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

    const STATUS: &str = "Name:\tchatroom\nUmask:\t0022\nState:\tS (sleeping)\n\
        VmPeak:\t  300000 kB\nVmSize:\t  250000 kB\nVmHWM:\t    9000 kB\nVmRSS:\t    8192 kB\n\
        RssAnon:\t    4000 kB\nThreads:\t17\n";

    #[test]
    fn reads_cpu_memory_and_threads_from_proc_text() {
        let sample = parse(STAT, STATUS, 100.0).unwrap();
        assert_eq!(
            sample,
            Sample {
                cpu_secs: 3.25,
                rss_kb: 8192,
                hwm_kb: 9000,
                threads: 17,
                per_thread: Vec::new(),
            }
        );
    }

    #[test]
    fn a_thread_is_named_and_timed_to_the_nanosecond_where_it_can_be() {
        let stat = STAT.replace("chatroom (x) y", "shard-1");
        let fine = parse_thread(7, &stat, Some("1234567890 55 9\n"), 100.0).unwrap();
        assert_eq!(fine.name, "shard-1");
        assert_eq!(fine.tid, 7);
        assert!((fine.cpu_secs - 1.23456789).abs() < 1e-12);
        let coarse = parse_thread(7, &stat, None, 100.0).unwrap();
        assert_eq!(coarse.cpu_secs, 3.25);
    }

    #[test]
    fn a_command_name_with_spaces_and_parentheses_does_not_shift_fields() {
        assert_eq!(parse_stat(STAT), Some((250, 75)));
        assert_eq!(parse_stat("1 (a) S 1"), None);
        assert!(parse(STAT, "Name:\tx\n", 100.0).is_none());
    }

    #[test]
    fn a_started_host_is_quiet_unpaced_and_roomy() {
        let args = host_args(100, &["--outbox=4096".to_string()]);
        assert_eq!(
            args.join(" "),
            "host --no-config --bind 127.0.0.1 --port 0 --quiet --rate-limit 0 --max-per-ip 0 \
             --max-clients 116 --outbox=4096"
        );
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn samples_this_very_process() {
        let sample = sample(std::process::id()).unwrap();
        assert!(sample.rss_kb > 0 && sample.hwm_kb >= sample.rss_kb && sample.threads >= 1);
        assert!(!sample.per_thread.is_empty());
    }
}
