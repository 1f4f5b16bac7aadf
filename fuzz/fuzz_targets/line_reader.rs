//! The host's line reader on any bytes, any limit, any read size: it never returns a line longer
//! than its limit, never loses track, and never panics.
#![no_main]

use std::io::Cursor;

use chatroom::line::{Line, LineReader};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Some((&[max, read_size], bytes)) = data.split_first_chunk::<2>() else {
        return;
    };
    let max = usize::from(max).max(1);
    let mut reader = LineReader::new(Cursor::new(bytes), max, usize::from(read_size).max(1));
    while let Ok(Some(line)) = reader.next_line() {
        if let Line::Text(text) = line {
            assert!(text.chars().count() <= max, "a line over the limit");
        }
    }
});
