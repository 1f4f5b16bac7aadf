//! Everything a peer can send before and after joining, through the host's parsers (the
//! nickname or JSON hello, a password line, plain commands, JSON requests): refused or accepted, never a panic.
#![no_main]

use chatroom::protocol::parse::{parse_handshake, parse_json, parse_password, parse_plain};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    let _ = parse_handshake(&line);
    let _ = parse_password(&line);
    let _ = parse_plain(&line);
    let _ = parse_json(&line);
});
