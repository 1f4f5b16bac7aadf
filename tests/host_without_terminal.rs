//! A host keeps working, and stops cleanly, when nobody reads what it prints: under `nohup` after
//! its terminal closed, in an ssh session that dropped, piped into `head -1`. SIGHUP, SIGTERM and
//! SIGINT each close the room (every member hears the end) and the host exits 0, whether its
//! stdout and stderr are closed pipes or a terminal that hung up. Out of file descriptors, it
//! says so once (and sums up further failures once a minute), keeps serving, and accepts again
//! when descriptors free up.
#![cfg(unix)]

mod harness;

use std::net::TcpStream;
use std::time::Duration;

use harness::{Host, JsonClient, LostOutputs, PlainClient};
use nix::sys::signal::Signal;

/// Each signal a dropped terminal, a service manager or a person sends.
const STOP_SIGNALS: [Signal; 3] = [Signal::SIGHUP, Signal::SIGTERM, Signal::SIGINT];

fn stops_cleanly_without_a_console(outputs: LostOutputs) {
    for signal in STOP_SIGNALS {
        let mut host = Host::start_without_console(&[], outputs);
        let mut ana = PlainClient::join(&host, "ana");
        let mut bot = JsonClient::join(&host, "bot");
        // The console line for this message is written to the lost outputs.
        ana.say("anyone reading the console?");
        bot.expect_message("ana", "say", "anyone reading the console?");

        host.signal(signal);
        ana.expect_line("the line `<quit>`", |l| l == "<quit>");
        bot.expect_event("quit");
        let status = host.wait_for_exit();
        assert_eq!(status.code(), Some(0), "{signal} with {outputs:?}");
    }
}

#[test]
fn every_stop_signal_closes_the_room_when_stdout_and_stderr_are_closed_pipes() {
    stops_cleanly_without_a_console(LostOutputs::ClosedPipes);
}

#[test]
fn every_stop_signal_closes_the_room_when_the_terminal_hung_up() {
    stops_cleanly_without_a_console(LostOutputs::HungUpTerminal);
}

/// Host arguments for the descriptor tests: room for everyone who will try, all from 127.0.0.1.
const ROOMY: &[&str] = &["--max-clients", "500", "--max-per-ip", "0"];

/// Holds 100 connections to `host`, more than its 64 open files allow it to accept (the kernel
/// completes them all the same), and checks it stays up while it cannot accept them.
fn flood_with_connections(host: &mut Host) -> Vec<TcpStream> {
    let held: Vec<TcpStream> = (0..100)
        .map(|_| TcpStream::connect(host.addr).expect("connect"))
        .collect();
    // Long enough for several of the host's accept retries (every 50 ms).
    std::thread::sleep(Duration::from_millis(300));
    assert!(host.is_running(), "the host exited");
    held
}

/// Once the held connections close, the host accepts and serves again; SIGTERM ends it with 0.
fn recovers_and_stops(mut host: Host, held: Vec<TcpStream>) -> Host {
    drop(held);
    let mut ana = PlainClient::join(&host, "ana");
    let mut ben = PlainClient::join(&host, "ben");
    ana.say("back in business");
    ben.expect("<ana> back in business");
    host.signal(Signal::SIGTERM);
    assert_eq!(host.wait_for_exit().code(), Some(0));
    host
}

#[test]
fn out_of_file_descriptors_with_stderr_closed_the_host_stays_up() {
    let cmd = harness::with_open_file_limit(64, &Host::command(ROOMY));
    let mut host = Host::launch_without_console(cmd, ROOMY, LostOutputs::ClosedPipes);
    let held = flood_with_connections(&mut host);
    recovers_and_stops(host, held);
}

#[test]
fn out_of_file_descriptors_the_host_says_so_once_then_counts() {
    let cmd = harness::with_open_file_limit(64, &Host::command(ROOMY));
    let mut host = Host::launch(cmd, ROOMY);
    let held = flood_with_connections(&mut host);
    let console = recovers_and_stops(host, held).console();
    let failures = console
        .lines()
        .filter(|l| l.contains("cannot accept a connection"))
        .count();
    assert_eq!(failures, 1, "console:\n{console}");
}
