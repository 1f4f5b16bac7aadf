//! No single address keeps the others out. One address holding 2,000 connections that never say
//! a nickname, and another trickling a nickname one byte at a time, do not stop a client from a
//! third address joining at once and chatting; the connections turned away hear why. Several
//! loopback addresses (127.0.0.2, 127.0.0.3) stand for several machines.
#![cfg(target_os = "linux")]

mod harness;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use harness::{Host, JsonClient, PlainClient};

/// A connection to `host` from the loopback address `from`.
fn connect_from(from: &str, host: &Host) -> TcpStream {
    harness::Conn::connect_from(host, from)
        .stream()
        .try_clone()
        .expect("a socket")
}

/// The test holds thousands of sockets: more than a default soft limit of open files allows.
fn raise_open_files(wanted: u64) {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: both calls read or write one rlimit through a valid pointer.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) == 0 && limit.rlim_cur < wanted {
            limit.rlim_cur = wanted.min(limit.rlim_max);
            libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        }
    }
}

#[test]
fn a_hoarding_address_and_a_trickler_do_not_keep_anyone_else_out() {
    raise_open_files(4096);
    let host = Host::start(&[]);

    // 2,000 connections from one address, none of which ever says a nickname.
    let hoard: Vec<TcpStream> = (0..2000)
        .map(|_| connect_from("127.0.0.2", &host))
        .collect();

    // A nickname, one byte at a time, from another address, for as long as the test runs.
    let trickling = Arc::new(AtomicBool::new(true));
    let trickler = {
        let mut stream = connect_from("127.0.0.3", &host);
        let trickling = Arc::clone(&trickling);
        std::thread::spawn(move || {
            for byte in b"slowpoke".iter().cycle() {
                if !trickling.load(Ordering::Relaxed) || stream.write_all(&[*byte]).is_err() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(100));
            }
        })
    };

    // Two people from a third address (127.0.0.1) get in at once and talk.
    let mut ana = PlainClient::join(&host, "ana");
    let mut bot = JsonClient::join(&host, "bot");
    ana.say("can anyone hear me?");
    bot.expect_message("ana", "say", "can anyone hear me?");

    // The last of the hoard was turned away, and told why.
    let mut last = BufReader::new(hoard.last().unwrap().try_clone().unwrap());
    last.get_ref()
        .set_read_timeout(Some(harness::TIMEOUT))
        .unwrap();
    let mut line = String::new();
    last.read_line(&mut line).expect("a line");
    assert_eq!(
        line,
        "error: too many connections from your address still choosing a nickname (8 at most); \
         try again later\n"
    );

    trickling.store(false, Ordering::Relaxed);
    trickler.join().unwrap();
}

#[test]
fn an_address_connecting_too_fast_hears_why() {
    // 8 connections from one address, of which 2 choosing a nickname; 4 new ones a second
    // after a burst of 8.
    let host = Host::start(&["--max-per-ip", "8"]);
    let mut refused_at = None;
    for attempt in 1..=40 {
        let stream = connect_from("127.0.0.2", &host);
        stream.set_read_timeout(Some(harness::TIMEOUT)).unwrap();
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut first = String::new();
        reader.read_line(&mut first).unwrap();
        if first.starts_with("error:") {
            refused_at = Some((attempt, first));
            break;
        }
        // Leave at once and wait until the host has closed the connection, so that only the
        // rate of new connections counts, never the open ones. (`{quit}` reads as JSON, whose
        // connections close without the pause a plain one gets to read its last line.)
        (&stream).write_all(b"{quit}\n").unwrap();
        let mut rest = Vec::new();
        let _ = std::io::Read::read_to_end(&mut reader, &mut rest);
    }
    let (attempt, line) = refused_at.expect("one connection too many was refused");
    assert!(attempt > 8, "refused within the burst, at {attempt}");
    assert_eq!(
        line,
        "error: your address connects too fast (4 a second at most); try again later\n"
    );
    // Others are not affected.
    let _ana = PlainClient::join(&host, "ana");
}
