//! A store that fails while the room runs (`host --store`): here a disk that fills up, made real
//! by limiting the size of the files the host may write (`RLIMIT_FSIZE`, with SIGXFSZ ignored so
//! a write past it fails with EFBIG, as on a full disk, rather than killing the host). The room
//! must close telling everyone why, acknowledge nothing it did not commit, and the host exit 1
//! with one line saying which store failed and what to do.
#![cfg(unix)]

mod harness;

use harness::{
    Host, JsonClient, PlainClient, integrity, store_args, store_file, stored_rows, temp_dir,
    with_file_size_limit,
};
use serde_json::json;

/// Room enough for the store to be created and to take some messages, not many.
const FILE_LIMIT: u64 = 256 * 1024;

/// Messages are `FILLER` said `FILLER_TIMES` times (3 KB), to reach the limit in a few of them.
const FILLER: &str = "filler ";
const FILLER_TIMES: usize = 430;

#[test]
fn a_store_that_cannot_be_written_closes_the_room_and_acks_nothing_it_lacks() {
    let dir = temp_dir();
    let args = store_args(dir.path());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let mut host = Host::launch(
        with_file_size_limit(FILE_LIMIT, Host::command(&args)),
        &args,
    );
    let mut watcher = PlainClient::join(&host, "watcher");
    let mut ana = JsonClient::join(&host, "ana");
    watcher.expect("*** ana joined (2 here)");
    // Long messages fill the files fast; each is sent once the last one is acknowledged, until
    // one never is.
    let mut acked = Vec::new();
    let quit = 'sending: loop {
        let id = acked.len() as u64 + 1;
        assert!(
            id < 1000,
            "the store never failed: {} messages stored",
            id - 1
        );
        let text = format!("{id} {}", FILLER.repeat(FILLER_TIMES));
        ana.send(json!({"type": "say", "text": text, "id": id}));
        loop {
            let event = ana.next_event();
            match event["type"].as_str() {
                Some("ack") if event["id"] == id => break,
                Some("quit") => break 'sending event,
                _ => {}
            }
        }
        acked.push(text);
    };
    assert_eq!(quit["reason"], "the host cannot write its store", "{quit}");
    assert!(
        !acked.is_empty(),
        "the store failed at once: the limit is too small"
    );
    // Told once, then the connection closes.
    let rest = ana.expect_closed();
    assert!(rest.iter().all(|l| !l.contains("quit")), "{rest:?}");
    watcher.expect("*** room closed: the host cannot write its store");
    watcher.expect_line("the line `<quit>`", |l| l == "<quit>");
    let rest = watcher.expect_closed();
    assert!(rest.iter().all(|l| !l.contains("room closed")), "{rest:?}");

    let status = host.wait_for_exit();
    assert_eq!(
        status.code(),
        Some(1),
        "{}",
        console_without_messages(&host)
    );
    let console = console_without_messages(&host);
    assert!(!console.contains("panicked"), "{console}");
    let errors: Vec<&str> = console
        .lines()
        .filter(|l| l.starts_with("chatroom:"))
        .collect();
    assert_eq!(errors.len(), 1, "{console}");
    let file = store_file(dir.path());
    let expected = format!("chatroom: the room's store {} failed (", file.display());
    assert!(errors[0].starts_with(&expected), "{}", errors[0]);
    // The system's reason, not only SQLite's `disk I/O error`.
    assert!(
        errors[0].contains("disk I/O error: file too large"),
        "{}",
        errors[0]
    );
    assert!(errors[0].contains("start the host again"), "{}", errors[0]);

    // What was acknowledged is on disk, and only that; the store is whole, and a host started
    // on it without the limit opens with it.
    let stored: Vec<String> = stored_rows(dir.path())
        .into_iter()
        .map(|r| r.text)
        .collect();
    assert_eq!(stored, acked);
    assert_eq!(integrity(dir.path()), "ok");
    let again = Host::start(&args);
    let count = format!("({} messages stored)", acked.len());
    again.wait_for_console("the stored count", |l| l.ends_with(&count));
}

/// The host's console without the long messages it logged.
fn console_without_messages(host: &Host) -> String {
    let lines: Vec<String> = host
        .console()
        .lines()
        .filter(|l| !l.contains(FILLER))
        .map(String::from)
        .collect();
    lines.join("\n")
}
