//! The sanitizer on any text: its output is clean (no control character or escape), and cleaning
//! it again changes nothing.
#![no_main]

use chatroom::sanitize::clean;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let once = clean(&text);
    assert!(
        !once.chars().any(char::is_control),
        "a control character survived"
    );
    assert_eq!(clean(&once), once, "cleaning twice changed the text");
});
