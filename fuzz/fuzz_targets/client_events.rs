//! What a client reads from a host, hostile or not: any line through the event parser and, when it
//! is an event, through what `send` and `join` make of it; an event that parses encodes again.
#![no_main]

use chatroom::client::acks::AckOutcome;
use chatroom::protocol::Event;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let line = String::from_utf8_lossy(data);
    if let Ok(event) = serde_json::from_str::<Event>(&line) {
        let _ = AckOutcome::of_event(&event);
        let again: Event = serde_json::from_str(&event.to_json_line()).expect("re-encodes");
        let _ = again;
    }
});
