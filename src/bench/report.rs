//! The report: what a run measured, as a table for people or one JSON object for scripts.
//!
//! Pure formatting, so the wording and the JSON field names are pinned by unit tests; the numbers
//! are computed in `mod.rs`. Field names carry their unit (`_secs`, `_us`, `_kb`, `_per_sec`)
//! so a script never has to guess.

use serde::Serialize;

/// Everything a run measured.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    /// Where the room was, and whether the bench started it.
    pub server: String,
    pub spawned_host: bool,
    pub mode: &'static str,
    /// Every client spoke TLS (`--tls`).
    pub tls: bool,
    pub clients: usize,
    pub senders: usize,
    pub stalled: usize,
    pub messages_per_sender: u64,
    /// Bytes of text per message.
    pub size: usize,
    /// Total messages per second asked for; `null` for a blast.
    pub rate: Option<f64>,
    /// Send window in messages; 0 for none.
    pub window: u64,
    /// From the first connect to the last welcome.
    pub connect_secs: f64,
    /// Waiting for the room to go quiet after the joins.
    pub settle_secs: f64,
    /// Messages the run meant to send, and sent.
    pub planned: u64,
    pub sent: u64,
    /// From the first message written to the last.
    pub send_secs: f64,
    pub sent_per_sec: f64,
    /// Deliveries a complete run makes: every message to every reading client but its sender.
    pub expected: u64,
    /// Distinct messages received (duplicates and unexpected ones excluded).
    pub delivered: u64,
    pub lost: u64,
    /// Arrived after a later message from the same sender.
    pub reordered: u64,
    pub duplicates: u64,
    /// Whether every reading client saw the same order of all the messages.
    pub order: Order,
    /// Lines that fit no shape of the protocol, and messages whose text was not what was sent.
    pub corrupt: u64,
    /// Messages from people who are not bench clients (ignored).
    pub foreign: u64,
    /// `slow down` errors: the host paced the senders (run it with --rate-limit 0).
    pub slow_down: u64,
    pub host_errors: u64,
    /// Reading clients whose connection ended during the run.
    pub disconnected: u64,
    /// From the first message written to the last delivery.
    pub run_secs: f64,
    pub deliveries_per_sec: f64,
    pub latency_us: Option<Latency>,
    /// The hosts the clients were spread over (`--servers`; one entry otherwise), in order.
    pub hosts: Vec<HostShare>,
    /// The latency of deliveries from a sender on another host than the receiver's; `null`
    /// with one host.
    pub cross_host_latency_us: Option<Latency>,
    /// How late the paced sends were at worst (paced runs only).
    pub pacing_lag_max_ms: Option<f64>,
    /// `complete`, `idle` (nothing arrived for the idle timeout), `disconnected` or
    /// `interrupted`.
    pub ended: &'static str,
    /// The host's CPU and memory, when it runs on this machine (Linux).
    pub host: Option<HostReport>,
    pub warnings: Vec<String>,
}

/// Whether the readers agreed on one order of all the messages (see `order.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Order {
    /// Clients that read (all but the stalled ones).
    pub receivers: usize,
    /// Deliveries that came after a message the room ordered later, over all readers.
    pub disagreements: u64,
    /// Readers with at least one such delivery.
    pub disagreeing_receivers: usize,
    /// Deliveries that came too far behind the first reader's copy to be compared.
    pub unchecked: u64,
}

/// One host's share of the clients and of the deliveries.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostShare {
    pub server: String,
    pub clients: usize,
    /// Deliveries to this host's reading clients, and how many a complete run makes.
    pub delivered: u64,
    pub expected: u64,
}

/// Send-to-receive latency percentiles, in microseconds.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Latency {
    pub p50: f64,
    pub p90: f64,
    pub p99: f64,
    pub p99_9: f64,
    pub max: f64,
    pub mean: f64,
}

/// What one host thread cost while the messages ran.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ThreadCost {
    pub name: String,
    pub cpu_secs_run: f64,
}

/// What the host cost.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostReport {
    pub pid: u32,
    /// CPU time (user + system) while the clients connected, and while the messages ran.
    pub cpu_secs_connect: f64,
    pub cpu_secs_run: f64,
    /// `null` when the messages took under 0.1 s of host CPU (CPU time is counted in 10 ms
    /// ticks, so a shorter run cannot tell).
    pub cpu_us_per_delivery: Option<f64>,
    /// Resident memory before the clients connected, once they were in, and after the messages.
    pub rss_kb_idle: u64,
    pub rss_kb_joined: u64,
    pub rss_kb_end: u64,
    /// The most resident memory the host ever had.
    pub hwm_kb: u64,
    /// (joined - idle) / clients.
    pub rss_per_client_kb: f64,
    pub threads_joined: u64,
    /// Each host thread's CPU while the messages ran, in thread order (empty where the threads
    /// cannot be read).
    pub per_thread: Vec<ThreadCost>,
    /// The CPU the room thread (the one named `room`) spent per message sent: what one message
    /// costs the room whatever the number of members. `null` without such a thread.
    pub room_cpu_us_per_message: Option<f64>,
}

/// "room 0.04 s (2.1 us per message), shard-0 0.61 s, shard-1 0.58 s, ...": the threads that
/// worked during the messages (idle ones are left out).
fn thread_costs(host: &HostReport) -> String {
    let busy: Vec<String> = host
        .per_thread
        .iter()
        .filter(|t| t.cpu_secs_run >= 0.0005)
        .map(|t| match host.room_cpu_us_per_message {
            Some(us) if t.name == "room" => {
                format!(
                    "{} {:.3} s ({us:.2} us per message)",
                    t.name, t.cpu_secs_run
                )
            }
            _ => format!("{} {:.3} s", t.name, t.cpu_secs_run),
        })
        .collect();
    if busy.is_empty() {
        "none busy during the messages".to_string()
    } else {
        busy.join(", ")
    }
}

impl Report {
    /// The report as one line of JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("reports always serialize")
    }

    /// The report as a table for people.
    pub fn to_table(&self) -> String {
        let mut rows: Vec<(&str, String)> = Vec::new();
        let pace = match self.rate {
            Some(rate) => format!("paced at {} msg/s in total", count_f(rate)),
            None => "blast".to_string(),
        };
        let window = match self.window {
            0 => "no window".to_string(),
            w => format!("window {}", count(w)),
        };
        let origin = match (self.spawned_host, &self.host) {
            (true, Some(host)) => format!(" (started by the bench, pid {})", host.pid),
            (true, None) => " (started by the bench)".to_string(),
            (false, Some(host)) => format!(" (pid {})", host.pid),
            (false, None) => String::new(),
        };
        rows.push(("server", format!("{}{origin}", self.server)));
        rows.push((
            "load",
            format!(
                "{} mode{}, {} clients ({} sending, {} stalled), {} messages of {} B per sender, \
                 {pace}, {window}",
                self.mode,
                if self.tls { " over TLS" } else { "" },
                count(self.clients as u64),
                count(self.senders as u64),
                count(self.stalled as u64),
                count(self.messages_per_sender),
                self.size
            ),
        ));
        rows.push((
            "connect",
            format!(
                "{} clients in {} (then {} until the room was quiet)",
                count(self.clients as u64),
                secs(self.connect_secs),
                secs(self.settle_secs)
            ),
        ));
        let sent_of = if self.sent == self.planned {
            count(self.sent)
        } else {
            format!("{} of {}", count(self.sent), count(self.planned))
        };
        rows.push((
            "sent",
            format!(
                "{sent_of} messages in {} ({} msg/s)",
                secs(self.send_secs),
                rate(self.sent_per_sec)
            ),
        ));
        rows.push((
            "delivered",
            format!(
                "{} of {} in {}: {} deliveries/s",
                count(self.delivered),
                count(self.expected),
                secs(self.run_secs),
                rate(self.deliveries_per_sec)
            ),
        ));
        rows.push((
            "integrity",
            format!(
                "{} lost, {} reordered, {} duplicated, {} corrupt",
                count(self.lost),
                count(self.reordered),
                count(self.duplicates),
                count(self.corrupt)
            ),
        ));
        rows.push(("order", self.order.to_string()));
        if let Some(l) = &self.latency_us {
            rows.push(("latency", l.to_string()));
        }
        if self.hosts.len() > 1 {
            for share in &self.hosts {
                rows.push((
                    "host",
                    format!(
                        "{}: {} clients, {} of {} deliveries",
                        share.server,
                        count(share.clients as u64),
                        count(share.delivered),
                        count(share.expected)
                    ),
                ));
            }
            if let Some(l) = &self.cross_host_latency_us {
                rows.push(("cross-host", format!("latency {l}")));
            }
        }
        if let Some(lag) = self.pacing_lag_max_ms {
            rows.push((
                "pacing",
                format!("sends were at most {} late", micros(lag * 1e3)),
            ));
        }
        if let Some(h) = &self.host {
            let per_delivery = match h.cpu_us_per_delivery {
                Some(us) => format!(" ({us:.3} us per delivery)"),
                None => " (too little to divide per delivery)".to_string(),
            };
            rows.push((
                "host CPU",
                format!(
                    "{:.2} s during the messages{per_delivery}, {:.2} s during the connect",
                    h.cpu_secs_run, h.cpu_secs_connect
                ),
            ));
            rows.push((
                "host memory",
                format!(
                    "RSS {} idle, {} with everyone in ({:.1} kB per client), {} at the end, \
                     peak {}; {} threads",
                    kb(h.rss_kb_idle),
                    kb(h.rss_kb_joined),
                    h.rss_per_client_kb,
                    kb(h.rss_kb_end),
                    kb(h.hwm_kb),
                    count(h.threads_joined)
                ),
            ));
            if !h.per_thread.is_empty() {
                rows.push(("host threads", thread_costs(h)));
            }
        }
        let mut other = Vec::new();
        if self.disconnected > 0 {
            other.push(format!("{} clients disconnected", count(self.disconnected)));
        }
        if self.slow_down > 0 {
            other.push(format!("{} slow-down errors", count(self.slow_down)));
        }
        if self.host_errors > 0 {
            other.push(format!("{} other host errors", count(self.host_errors)));
        }
        if self.foreign > 0 {
            other.push(format!(
                "{} messages from non-bench clients",
                count(self.foreign)
            ));
        }
        if !other.is_empty() {
            rows.push(("also", other.join(", ")));
        }
        rows.push(("ended", self.ended.to_string()));
        let mut out = String::new();
        for (name, value) in rows {
            out.push_str(&format!("{name:<12} {value}\n"));
        }
        for warning in &self.warnings {
            out.push_str(&format!("warning: {warning}\n"));
        }
        out
    }
}

impl std::fmt::Display for Latency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "p50 {}  p90 {}  p99 {}  p99.9 {}  max {}  (mean {})",
            micros(self.p50),
            micros(self.p90),
            micros(self.p99),
            micros(self.p99_9),
            micros(self.max),
            micros(self.mean)
        )
    }
}

impl std::fmt::Display for Order {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.disagreements == 0 {
            write!(
                f,
                "one sequence for all {} receivers",
                count(self.receivers as u64)
            )?;
        } else {
            write!(
                f,
                "{} deliveries out of the room's order at {} of {} receivers",
                count(self.disagreements),
                count(self.disagreeing_receivers as u64),
                count(self.receivers as u64)
            )?;
        }
        if self.unchecked > 0 {
            write!(
                f,
                " ({} deliveries too far behind to compare)",
                count(self.unchecked)
            )?;
        }
        Ok(())
    }
}

impl Report {
    /// What went wrong with the messages themselves, in one line, or `None` when every one
    /// arrived once, intact, in order and in the room's one order: the bench then exits 0.
    pub fn trouble(&self) -> Option<String> {
        let mut found = Vec::new();
        for (n, what) in [
            (self.lost, "lost"),
            (self.reordered, "reordered"),
            (self.duplicates, "duplicated"),
            (self.corrupt, "corrupt"),
            (self.order.disagreements, "out of the room's one order"),
        ] {
            if n > 0 {
                found.push(format!("{} {what}", count(n)));
            }
        }
        (!found.is_empty()).then(|| {
            format!(
                "the room did not deliver every message intact and in order: {} (see the \
                 report)",
                found.join(", ")
            )
        })
    }
}

/// 1234567 -> "1,234,567".
pub fn count(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn count_f(n: f64) -> String {
    if n.fract() == 0.0 && (0.0..1e15).contains(&n) {
        count(n as u64)
    } else {
        format!("{n}")
    }
}

/// A per-second rate, short: "950", "12.3k", "14.67M".
pub fn rate(per_sec: f64) -> String {
    if per_sec >= 1e6 {
        format!("{:.2}M", per_sec / 1e6)
    } else if per_sec >= 1e4 {
        format!("{:.1}k", per_sec / 1e3)
    } else {
        format!("{per_sec:.0}")
    }
}

/// Seconds with a sensible unit.
pub fn secs(s: f64) -> String {
    if s < 1.0 {
        micros(s * 1e6)
    } else {
        format!("{s:.2} s")
    }
}

/// Microseconds with a sensible unit: "85 us", "1.25 ms", "2.50 s".
pub fn micros(us: f64) -> String {
    if us < 1_000.0 {
        format!("{us:.0} us")
    } else if us < 1_000_000.0 {
        format!("{:.2} ms", us / 1e3)
    } else {
        format!("{:.2} s", us / 1e6)
    }
}

/// kB with a sensible unit.
fn kb(kb: u64) -> String {
    if kb < 10_000 {
        format!("{kb} kB")
    } else {
        format!("{:.1} MB", kb as f64 / 1e3)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Report {
        Report {
            server: "127.0.0.1:40000".into(),
            spawned_host: true,
            mode: "plain",
            tls: false,
            clients: 100,
            senders: 1,
            stalled: 0,
            messages_per_sender: 200_000,
            size: 64,
            rate: None,
            window: 512,
            connect_secs: 0.0412,
            settle_secs: 0.2,
            planned: 200_000,
            sent: 200_000,
            send_secs: 1.25,
            sent_per_sec: 160_000.0,
            expected: 19_800_000,
            delivered: 19_800_000,
            lost: 0,
            reordered: 0,
            duplicates: 0,
            order: Order {
                receivers: 100,
                disagreements: 0,
                disagreeing_receivers: 0,
                unchecked: 0,
            },
            corrupt: 0,
            foreign: 0,
            slow_down: 0,
            host_errors: 0,
            disconnected: 0,
            run_secs: 1.35,
            deliveries_per_sec: 14_666_666.7,
            latency_us: Some(Latency {
                p50: 120.0,
                p90: 300.0,
                p99: 1_250.0,
                p99_9: 2_300.0,
                max: 4_500.0,
                mean: 150.0,
            }),
            hosts: vec![HostShare {
                server: "127.0.0.1:40000".into(),
                clients: 100,
                delivered: 19_800_000,
                expected: 19_800_000,
            }],
            cross_host_latency_us: None,
            pacing_lag_max_ms: None,
            ended: "complete",
            host: Some(HostReport {
                pid: 4242,
                cpu_secs_connect: 0.05,
                cpu_secs_run: 1.31,
                cpu_us_per_delivery: Some(0.066),
                rss_kb_idle: 2_100,
                rss_kb_joined: 4_350,
                rss_kb_end: 8_000,
                hwm_kb: 9_100,
                rss_per_client_kb: 22.5,
                threads_joined: 5,
                per_thread: vec![
                    ThreadCost {
                        name: "chatroom".into(),
                        cpu_secs_run: 0.0,
                    },
                    ThreadCost {
                        name: "shard-0".into(),
                        cpu_secs_run: 0.65,
                    },
                    ThreadCost {
                        name: "shard-1".into(),
                        cpu_secs_run: 0.6,
                    },
                    ThreadCost {
                        name: "room".into(),
                        cpu_secs_run: 0.06,
                    },
                ],
                room_cpu_us_per_message: Some(0.3),
            }),
            warnings: vec![],
        }
    }

    #[test]
    fn the_table_reads_as_a_sentence_per_row() {
        let table = sample().to_table();
        let expected = "\
server       127.0.0.1:40000 (started by the bench, pid 4242)
load         plain mode, 100 clients (1 sending, 0 stalled), 200,000 messages of 64 B per sender, blast, window 512
connect      100 clients in 41.20 ms (then 200.00 ms until the room was quiet)
sent         200,000 messages in 1.25 s (160.0k msg/s)
delivered    19,800,000 of 19,800,000 in 1.35 s: 14.67M deliveries/s
integrity    0 lost, 0 reordered, 0 duplicated, 0 corrupt
order        one sequence for all 100 receivers
latency      p50 120 us  p90 300 us  p99 1.25 ms  p99.9 2.30 ms  max 4.50 ms  (mean 150 us)
host CPU     1.31 s during the messages (0.066 us per delivery), 0.05 s during the connect
host memory  RSS 2100 kB idle, 4350 kB with everyone in (22.5 kB per client), 8000 kB at the end, peak 9100 kB; 5 threads
host threads shard-0 0.650 s, shard-1 0.600 s, room 0.060 s (0.30 us per message)
ended        complete
";
        assert_eq!(table, expected);
    }

    #[test]
    fn trouble_and_warnings_are_spelled_out() {
        let mut report = sample();
        report.sent = 1_000;
        report.lost = 5;
        report.disconnected = 2;
        report.slow_down = 3;
        report.rate = Some(1000.0);
        report.pacing_lag_max_ms = Some(0.25);
        report.host = None;
        report.ended = "idle";
        report.warnings = vec!["the host paced the senders".into()];
        let table = report.to_table();
        assert!(table.contains("1,000 of 200,000 messages"), "{table}");
        assert!(table.contains("paced at 1,000 msg/s in total"), "{table}");
        assert!(table.contains("5 lost"), "{table}");
        assert!(table.contains("sends were at most 250 us late"), "{table}");
        assert!(table.contains("also         2 clients disconnected, 3 slow-down errors"));
        assert!(table.ends_with("ended        idle\nwarning: the host paced the senders\n"));
        assert!(!table.contains("host CPU"));
    }

    #[test]
    fn several_hosts_get_a_row_each_and_the_latency_between_them() {
        let mut report = sample();
        report.hosts = (1..=3)
            .map(|n| HostShare {
                server: format!("127.0.0.1:600{n}"),
                clients: if n == 1 { 34 } else { 33 },
                delivered: 6_600_000,
                expected: 6_600_000,
            })
            .collect();
        report.cross_host_latency_us = Some(Latency {
            p50: 800.0,
            p90: 1_100.0,
            p99: 1_900.0,
            p99_9: 2_500.0,
            max: 3_000.0,
            mean: 850.0,
        });
        let table = report.to_table();
        assert!(
            table.contains(
                "host         127.0.0.1:6001: 34 clients, 6,600,000 of 6,600,000 deliveries\n\
                 host         127.0.0.1:6002: 33 clients"
            ),
            "{table}"
        );
        assert!(
            table.contains("cross-host   latency p50 800 us  p90 1.10 ms  p99 1.90 ms"),
            "{table}"
        );
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert_eq!(json["hosts"][2]["clients"], 33);
        assert_eq!(json["cross_host_latency_us"]["p99"], 1_900.0);
    }

    #[test]
    fn a_run_with_trouble_says_what_and_one_without_none() {
        assert_eq!(sample().trouble(), None);
        let mut report = sample();
        report.lost = 5;
        report.order.disagreements = 1_200;
        report.order.disagreeing_receivers = 33;
        report.order.unchecked = 4;
        assert_eq!(
            report.trouble().as_deref(),
            Some(
                "the room did not deliver every message intact and in order: 5 lost, 1,200 out \
                 of the room's one order (see the report)"
            )
        );
        assert!(report.to_table().contains(
            "order        1,200 deliveries out of the room's order at 33 of 100 receivers (4 \
             deliveries too far behind to compare)\n"
        ));
    }

    #[test]
    fn the_json_has_one_field_per_figure_with_its_unit() {
        let json: serde_json::Value = serde_json::from_str(&sample().to_json()).unwrap();
        assert_eq!(json["deliveries_per_sec"], 14_666_666.7);
        assert_eq!(json["lost"], 0);
        assert_eq!(json["latency_us"]["p99_9"], 2_300.0);
        assert_eq!(json["host"]["cpu_us_per_delivery"], 0.066);
        assert_eq!(json["host"]["rss_per_client_kb"], 22.5);
        assert_eq!(json["rate"], serde_json::Value::Null);
        assert_eq!(json["order"]["disagreements"], 0);
        assert_eq!(json["hosts"][0]["delivered"], 19_800_000);
        assert_eq!(json["cross_host_latency_us"], serde_json::Value::Null);
        assert_eq!(json["ended"], "complete");
    }

    #[test]
    fn numbers_are_grouped_and_scaled() {
        assert_eq!(count(0), "0");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000), "1,000");
        assert_eq!(count(19_800_000), "19,800,000");
        assert_eq!(rate(950.4), "950");
        assert_eq!(rate(12_345.0), "12.3k");
        assert_eq!(rate(14_666_666.7), "14.67M");
        assert_eq!(micros(85.2), "85 us");
        assert_eq!(micros(1_250.0), "1.25 ms");
        assert_eq!(secs(2.5), "2.50 s");
        assert_eq!(kb(12_345), "12.3 MB");
    }
}
