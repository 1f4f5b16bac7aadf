//! What this machine's kernel alone costs to fan a message out over loopback TCP: the floor under
//! `chatroom host`'s latency and CPU figures.
//!
//! A relay with no protocol at all runs in one thread pinned to CPU 0: it reads each 64-byte
//! message from one sender and writes it to every receiver with one `write()` each, nothing
//! else. Another thread pinned to CPU 1 sends at a fixed rate, stamping each message with its
//! send time, and reads every receiver, like `chatroom bench` does. Whatever the relay and its
//! reader cannot beat, no room server on this machine can: so when a paced `chatroom bench` run
//! sits close to these numbers, the time goes to the kernel's TCP path, not to the host.
//!
//! `cargo bench --bench loopback_floor [-- RUNS [hop|paced|storm5k]...]` prints the median of
//! RUNS (default 3) runs of each scenario named (default: all), the paced ones matching
//! `bench/scenarios.sh`. Linux only: it pins threads and reads per-thread CPU time.

#[cfg(target_os = "linux")]
fn main() {
    // Cargo passes `--bench`; the rest is ours.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|arg| !arg.starts_with('-'))
        .collect();
    let runs = args
        .first()
        .map_or(3, |arg| arg.parse().expect("RUNS is a number of runs"));
    floor::main(runs, args.get(1..).unwrap_or_default());
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("loopback_floor: Linux only (it pins threads and reads per-thread CPU time)");
}

#[cfg(target_os = "linux")]
mod floor {
    use std::io::{self, Read, Write};
    use std::net::{SocketAddr, TcpListener, TcpStream};
    use std::thread;
    use std::time::{Duration, Instant};

    use chatroom::bench::host::raise_open_files;
    use hdrhistogram::Histogram;
    use mio::net::TcpStream as MioStream;
    use mio::{Events, Interest, Poll, Token};

    /// A message: the send time in 16 decimal digits, padding, and a newline.
    const MESSAGE: usize = 65;
    const SENDER: Token = Token(usize::MAX);

    struct Scenario {
        key: &'static str,
        name: &'static str,
        receivers: usize,
        rate: u64,
        messages: u64,
    }

    const SCENARIOS: [Scenario; 3] = [
        Scenario {
            key: "hop",
            name: "one hop, 1,000 msg/s to 1",
            receivers: 1,
            rate: 1_000,
            messages: 3_000,
        },
        Scenario {
            key: "paced",
            name: "paced, 1,000 msg/s to 100",
            receivers: 100,
            rate: 1_000,
            messages: 3_000,
        },
        Scenario {
            key: "storm5k",
            name: "storm5k, 20 msg/s to 5,000",
            receivers: 5_000,
            rate: 20,
            messages: 60,
        },
    ];

    struct Run {
        p50_us: f64,
        p99_us: f64,
        relay_us_per_delivery: f64,
    }

    pub fn main(runs: usize, only: &[String]) {
        if let Some(unknown) = only
            .iter()
            .find(|name| !SCENARIOS.iter().any(|s| s.key == name.as_str()))
        {
            eprintln!("loopback_floor: no scenario {unknown:?} (hop, paced, storm5k)");
            std::process::exit(2);
        }
        // Both ends of 5,000 connections live in this process.
        let wanted = 2 * 5_000 + 64;
        if let Some(limit) = raise_open_files(wanted)
            && limit < wanted
        {
            eprintln!("loopback_floor: only {limit} open files allowed; storm5k needs {wanted}");
        }
        println!("loopback floor: a bare relay on CPU 0, sender and readers on CPU 1, 64 B");
        println!("(median of {runs} runs; compare with bench/scenarios.sh paced and storm5k)\n");
        println!(
            "{:28} {:>10} {:>10} {:>22}",
            "scenario", "p50 us", "p99 us", "relay CPU us/delivery"
        );
        for scenario in SCENARIOS
            .iter()
            .filter(|s| only.is_empty() || only.iter().any(|name| name == s.key))
        {
            let results: Vec<Run> = (0..runs).map(|_| run(scenario)).collect();
            let median = |f: fn(&Run) -> f64| {
                let mut values: Vec<f64> = results.iter().map(f).collect();
                values.sort_by(f64::total_cmp);
                values[values.len() / 2]
            };
            println!(
                "{:28} {:>10.0} {:>10.0} {:>22.2}",
                scenario.name,
                median(|r| r.p50_us),
                median(|r| r.p99_us),
                median(|r| r.relay_us_per_delivery),
            );
        }
    }

    fn run(scenario: &Scenario) -> Run {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("listener address");
        let receivers = scenario.receivers;
        let relay = thread::spawn(move || relay(&listener, receivers));
        pin(1);
        let latency = send_and_read(addr, scenario);
        let relay_cpu = relay.join().expect("the relay thread");
        let deliveries = scenario.receivers as f64 * scenario.messages as f64;
        Run {
            p50_us: latency.value_at_quantile(0.5) as f64 / 1e3,
            p99_us: latency.value_at_quantile(0.99) as f64 / 1e3,
            relay_us_per_delivery: relay_cpu.as_secs_f64() * 1e6 / deliveries,
        }
    }

    /// The relay: accepts the sender, then the receivers; writes each message to every receiver
    /// until the sender hangs up. Returns its CPU time from the first message on.
    fn relay(listener: &TcpListener, receivers: usize) -> Duration {
        pin(0);
        let (sender, _) = listener.accept().expect("accept the sender");
        let mut outs: Vec<TcpStream> = (0..receivers)
            .map(|_| {
                let (stream, _) = listener.accept().expect("accept a receiver");
                stream.set_nodelay(true).expect("TCP_NODELAY");
                stream.set_nonblocking(true).expect("non-blocking");
                stream
            })
            .collect();
        sender.set_nonblocking(true).expect("non-blocking");
        let mut sender = MioStream::from_std(sender);
        let mut poll = Poll::new().expect("poll");
        poll.registry()
            .register(&mut sender, SENDER, Interest::READABLE)
            .expect("register the sender");
        let mut events = Events::with_capacity(16);
        let mut pending = Vec::with_capacity(64 * MESSAGE);
        let mut buf = [0u8; 64 * MESSAGE];
        let mut started = None;
        loop {
            poll.poll(&mut events, None).expect("poll");
            started.get_or_insert_with(thread_cpu);
            loop {
                match sender.read(&mut buf) {
                    Ok(0) => return thread_cpu() - started.unwrap_or_default(),
                    Ok(n) => pending.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                    Err(e) => panic!("relay read: {e}"),
                }
            }
            let whole = pending.len() / MESSAGE * MESSAGE;
            for message in pending[..whole].chunks_exact(MESSAGE) {
                for out in &mut outs {
                    // At these rates a receiver's socket buffer never fills; if it did, the
                    // floor would not be a floor.
                    assert_eq!(out.write(message).expect("relay write"), MESSAGE);
                }
            }
            pending.drain(..whole);
        }
    }

    /// The sender and every receiver, in one thread like `chatroom bench`: sends on schedule,
    /// reads whatever arrives, and returns the send-to-read latencies.
    fn send_and_read(addr: SocketAddr, scenario: &Scenario) -> Histogram<u64> {
        let mut sender = TcpStream::connect(addr).expect("connect the sender");
        sender.set_nodelay(true).expect("TCP_NODELAY");
        let mut poll = Poll::new().expect("poll");
        let mut receivers: Vec<(MioStream, Vec<u8>)> = (0..scenario.receivers)
            .map(|i| {
                let stream = TcpStream::connect(addr).expect("connect a receiver");
                stream.set_nonblocking(true).expect("non-blocking");
                let mut stream = MioStream::from_std(stream);
                poll.registry()
                    .register(&mut stream, Token(i), Interest::READABLE)
                    .expect("register a receiver");
                (stream, Vec::with_capacity(MESSAGE))
            })
            .collect();
        // Let the relay finish accepting before the clock starts.
        thread::sleep(Duration::from_millis(200));
        let epoch = Instant::now();
        let period = Duration::from_nanos(1_000_000_000 / scenario.rate);
        let expected = scenario.receivers as u64 * scenario.messages;
        let mut latency = Histogram::<u64>::new_with_bounds(1, 60_000_000_000, 3).expect("bounds");
        let mut events = Events::with_capacity(1024);
        let mut buf = vec![0u8; 64 * 1024];
        let mut sent = 0;
        let mut next_send = epoch + period;
        while latency.len() < expected {
            let now = Instant::now();
            if sent < scenario.messages && now >= next_send {
                let mut message = format!("{:016}", epoch.elapsed().as_nanos()).into_bytes();
                message.resize(MESSAGE - 1, b'x');
                message.push(b'\n');
                sender.write_all(&message).expect("send");
                sent += 1;
                next_send += period;
                continue;
            }
            let timeout =
                (sent < scenario.messages).then(|| next_send.saturating_duration_since(now));
            poll.poll(&mut events, timeout).expect("poll");
            for event in &events {
                let (stream, carry) = &mut receivers[event.token().0];
                loop {
                    let n = match stream.read(&mut buf) {
                        Ok(0) => panic!("the relay hung up on a receiver"),
                        Ok(n) => n,
                        Err(e) if e.kind() == io::ErrorKind::WouldBlock => break,
                        Err(e) => panic!("receiver read: {e}"),
                    };
                    let read_ns = epoch.elapsed().as_nanos() as u64;
                    carry.extend_from_slice(&buf[..n]);
                    let whole = carry.len() / MESSAGE * MESSAGE;
                    for message in carry[..whole].chunks_exact(MESSAGE) {
                        let sent_ns: u64 = std::str::from_utf8(&message[..16])
                            .ok()
                            .and_then(|digits| digits.parse().ok())
                            .expect("a relayed message starts with its send time");
                        latency.saturating_record(read_ns.saturating_sub(sent_ns).max(1));
                    }
                    carry.drain(..whole);
                    if n < buf.len() {
                        break;
                    }
                }
            }
        }
        latency
    }

    fn pin(cpu: usize) {
        // SAFETY: a zeroed cpu_set_t is a valid empty set; CPU_SET and sched_setaffinity only
        // read and write that set, and pid 0 is the calling thread.
        unsafe {
            let mut set: libc::cpu_set_t = std::mem::zeroed();
            libc::CPU_SET(cpu, &mut set);
            // Best effort: a machine with one CPU still runs, only less like the scenarios.
            libc::sched_setaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &set);
        }
    }

    fn thread_cpu() -> Duration {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime writes one timespec, which `ts` is.
        let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
        assert_eq!(rc, 0, "CLOCK_THREAD_CPUTIME_ID");
        Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
    }
}
