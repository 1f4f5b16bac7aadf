//! The first bytes of a connection to a `--tls` host, through the sniffer that tells TLS from
//! plain text: never a panic, a verdict as soon as one byte has come, and later bytes never
//! change it (the host decides on what it has, however the bytes were split).
#![no_main]

use chatroom::tls::sniff::{Verdict, sniff};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let verdict = sniff(data);
    assert_eq!(verdict == Verdict::Undecided, data.is_empty());
    for end in 1..data.len().min(64) {
        assert_eq!(sniff(&data[..end]), verdict, "{end} bytes decided otherwise");
    }
    if verdict == Verdict::Tls {
        assert_eq!(data[0], 0x16, "only a handshake record is TLS");
    }
});
