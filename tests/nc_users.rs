//! People on `nc`, the classic tutorial client, with the real `nc` (OpenBSD's, Debian's
//! `netcat-openbsd`): they are told how long they have to type a nickname, and `nc` ends by itself
//! when they leave (`/quit`, or `<quit>` before joining) and when the host closes the room, even
//! though its input is still open, as a person's terminal is.
#![cfg(target_os = "linux")]

mod harness;

use harness::{Host, JsonClient, Nc, greeting};
use nix::sys::signal::Signal;

#[test]
fn the_greeting_says_how_long_there_is_to_type_a_nickname() {
    let host = Host::start(&["--handshake-timeout", "30"]);
    let nc = Nc::connect(&host);
    let line = nc.expect("the greeting", |_| true);
    assert_eq!(line, greeting(&host.name, 30));
    assert!(line.contains("(within 30 s)"), "{line}");
}

#[test]
fn nc_ends_by_itself_after_quit() {
    let host = Host::start(&[]);
    let mut nc = Nc::connect(&host);
    nc.type_line("carol");
    nc.expect("the welcome", |l| l.starts_with("*** welcome to"));
    nc.type_line("/quit");
    assert_eq!(nc.ends_by_itself(), Some(0));
}

#[test]
fn nc_ends_by_itself_after_the_tutorial_quit_before_joining() {
    let host = Host::start(&[]);
    let mut nc = Nc::connect(&host);
    nc.expect("the greeting", |_| true);
    nc.type_line("<quit>");
    assert_eq!(nc.ends_by_itself(), Some(0));
}

#[test]
fn nc_shows_quit_and_ends_by_itself_when_the_host_closes_the_room() {
    let mut host = Host::start(&[]);
    let mut nc = Nc::connect(&host);
    nc.type_line("dave");
    nc.expect("the welcome", |l| l.starts_with("*** welcome to"));
    // A JSON member on the same host still sees the end of the stream, not a reset.
    let mut bot = JsonClient::join(&host, "bot");
    nc.expect("bot's join", |l| l.contains("bot joined"));
    host.signal(Signal::SIGTERM);
    nc.expect("the line `<quit>`", |l| l == "<quit>");
    assert_eq!(nc.ends_by_itself(), Some(0));
    bot.expect_event("quit");
    bot.expect_closed();
    assert_eq!(host.wait_for_exit().code(), Some(0));
}
