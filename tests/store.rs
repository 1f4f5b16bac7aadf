//! The durable room (`host --store`), over real sockets and a real SQLite store: messages and
//! their numbering survive a restart (history on join, `seq` going on), a message is
//! acknowledged only once it is on disk (so `kill -9` loses nothing acknowledged, checked in a
//! loop of twenty kills under load), retention deletes old messages, `/search` and the JSON
//! `search` answer the asker alone, and a store that cannot be used is a one-line error.

mod harness;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpStream;
use std::path::Path;
use std::thread;

use harness::{
    Host, JsonClient, PlainClient, StoredRow, integrity, send, store_args, store_file, stored_rows,
    temp_dir,
};
use serde_json::{Value, json};

/// A host whose store is in `dir`, with `extra` options.
fn stored_host(dir: &Path, extra: &[&str]) -> Host {
    let mut args = store_args(dir);
    args.extend(extra.iter().map(|a| a.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    Host::start(&args)
}

/// Says `text` with request id `id` and returns the ack's seq.
fn say_acked(client: &mut JsonClient, id: u64, text: &str) -> u64 {
    client.send(json!({"type": "say", "text": text, "id": id}));
    let ack = client.expect_event_where("ack", |e| e["id"] == id);
    ack["seq"].as_u64().expect("an ack with a seq")
}

/// Joins as `nick`, asking for the room's history, and returns the replayed messages (up to
/// `history_end`).
fn join_with_history(host: &Host, nick: &str) -> (JsonClient, Vec<Value>) {
    let mut client = JsonClient::connect(host);
    client.send(json!({"type": "hello", "v": 1, "nick": nick, "history": true}));
    assert_eq!(client.next_event()["type"], "welcome");
    let mut replayed = Vec::new();
    loop {
        let event = client.next_event();
        if event["type"] == "history_end" {
            return (client, replayed);
        }
        replayed.push(event);
    }
}

fn texts(rows: &[StoredRow]) -> Vec<&str> {
    rows.iter().map(|r| r.text.as_str()).collect()
}

#[test]
fn messages_their_numbers_and_history_survive_a_restart() {
    let dir = temp_dir();
    let host = stored_host(dir.path(), &[]);
    let stored_line = format!(
        "keeping the room's messages in {} (0 messages stored)",
        store_file(dir.path()).display()
    );
    host.wait_for_console("the store's start-up line", |l| l == stored_line);
    let mut ana = JsonClient::join(&host, "ana");
    let first = say_acked(&mut ana, 1, "before the restart");
    ana.send(json!({"type": "me", "text": "waves", "id": 2}));
    let action_seq = ana.expect_event_where("ack", |e| e["id"] == 2)["seq"]
        .as_u64()
        .unwrap();
    // A join takes a number too, which is not stored with the messages.
    let bob = JsonClient::join(&host, "bob");
    let join_seq = ana.expect_join("bob")["seq"].as_u64().unwrap();
    assert!(first < action_seq && action_seq < join_seq);
    drop(bob);
    host.stop();

    let host = stored_host(dir.path(), &[]);
    host.wait_for_console("the stored count", |l| l.ends_with("(2 messages stored)"));
    let (mut carol, replayed) = join_with_history(&host, "carol");
    let said: Vec<(u64, &str, &str, &str)> = replayed
        .iter()
        .map(|e| {
            (
                e["seq"].as_u64().unwrap(),
                e["from"].as_str().unwrap(),
                e["kind"].as_str().unwrap(),
                e["text"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        said,
        [
            (first, "ana", "say", "before the restart"),
            (action_seq, "ana", "me", "waves")
        ]
    );
    let after = say_acked(&mut carol, 1, "after the restart");
    assert!(
        after > join_seq,
        "seq {after} after a restart must follow every number handed out before ({join_seq})"
    );

    // An nc user gets the stored history too.
    let mut dan = PlainClient::connect(&host);
    dan.send_line("dan");
    dan.expect_line("the stored message", |l| {
        l.ends_with("] <ana> before the restart")
    });
    dan.expect_line("the end of history", |l| {
        l.starts_with("*** end of history (3")
    });
}

/// The replayed messages up to `history_end`, and that end.
fn replay_after_welcome(client: &mut JsonClient) -> (Vec<Value>, Value) {
    assert_eq!(client.next_event()["type"], "welcome");
    let mut replayed = Vec::new();
    loop {
        let event = client.next_event();
        if event["type"] == "history_end" {
            return (replayed, event);
        }
        assert_eq!(event["history"], true, "{event}");
        replayed.push(event);
    }
}

fn replayed_texts(replayed: &[Value]) -> Vec<&str> {
    replayed
        .iter()
        .map(|e| e["text"].as_str().unwrap())
        .collect()
}

#[test]
fn since_across_a_restart_gets_what_only_the_store_holds() {
    let dir = temp_dir();
    let host = stored_host(dir.path(), &["--history", "2"]);
    let mut ana = JsonClient::join(&host, "ana");
    let seqs: Vec<u64> = (1..=5)
        .map(|n| say_acked(&mut ana, n, &format!("line {n}")))
        .collect();
    drop(ana);
    host.stop();

    // The restarted room loads the newest 2; lines 2 and 3 are only on disk, and are read back.
    let host = stored_host(dir.path(), &["--history", "2"]);
    let mut bob = JsonClient::connect(&host);
    bob.send(json!({"type": "hello", "v": 1, "nick": "bob", "since": seqs[0]}));
    let (replayed, end) = replay_after_welcome(&mut bob);
    assert_eq!(
        replayed_texts(&replayed),
        ["line 2", "line 3", "line 4", "line 5"]
    );
    let replayed_seqs: Vec<u64> = replayed
        .iter()
        .map(|e| e["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(replayed_seqs, seqs[1..]);
    assert_eq!(
        (end["count"].as_u64(), end["missed"].as_u64()),
        (Some(4), Some(0))
    );
}

#[test]
fn a_bot_coming_back_to_a_room_without_history_gets_its_gap_from_the_store_then_live() {
    let dir = temp_dir();
    let host = stored_host(dir.path(), &["--history", "0"]);
    let mut ana = JsonClient::join(&host, "ana");
    let seen = say_acked(&mut ana, 1, "before the bot left");
    for n in 2..=40 {
        say_acked(&mut ana, n, &format!("while away {n}"));
    }
    // Newcomers get no history in this room...
    let mut carol = JsonClient::connect(&host);
    carol.send(json!({"type": "hello", "v": 1, "nick": "carol"}));
    assert_eq!(carol.next_event()["type"], "welcome");

    // ...but a client coming back gets exactly what it missed, then the room goes on live.
    let mut bot = JsonClient::connect(&host);
    bot.send(json!({"type": "hello", "v": 1, "nick": "bot", "since": seen}));
    let (replayed, end) = replay_after_welcome(&mut bot);
    let expected: Vec<String> = (2..=40).map(|n| format!("while away {n}")).collect();
    assert_eq!(replayed_texts(&replayed), expected);
    assert_eq!(
        (end["count"].as_u64(), end["missed"].as_u64()),
        (Some(39), Some(0))
    );
    say_acked(&mut ana, 41, "after the bot came back");
    let live = bot.expect_event("message");
    assert_eq!(live["text"], "after the bot came back");
    assert!(live.get("history").is_none(), "{live}");
}

#[test]
fn an_acknowledged_send_is_on_disk_even_when_the_host_is_killed_at_once() {
    let dir = temp_dir();
    let mut host = stored_host(dir.path(), &[]);
    send(&host.server(), &["--nick", "ci", "deploy 42 finished"])
        .assert()
        .success();
    host.kill();
    let rows = stored_rows(dir.path());
    assert_eq!(texts(&rows), ["deploy 42 finished"]);
    assert_eq!(
        (rows[0].sender.as_str(), rows[0].kind.as_str()),
        ("ci", "message")
    );

    let host = stored_host(dir.path(), &[]);
    let (_, replayed) = join_with_history(&host, "ana");
    assert_eq!(replayed.len(), 1);
    assert_eq!(replayed[0]["text"], "deploy 42 finished");
}

/// What one round of the kill loop saw: the messages acknowledged, as (text, seq), in the order
/// they were sent.
fn send_until_killed(host: &mut Host, round: usize, kill_after: usize) -> Vec<(String, u64)> {
    let stream = TcpStream::connect(host.addr).expect("connect");
    stream.set_nodelay(true).unwrap();
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let mut greeting = String::new();
    reader.read_line(&mut greeting).unwrap();
    writeln!(
        writer,
        "{}",
        json!({"type": "hello", "v": 1, "nick": format!("load{round}"), "announce": false, "history": false})
    )
    .unwrap();
    let mut welcome = String::new();
    reader.read_line(&mut welcome).unwrap();
    assert!(welcome.contains("\"welcome\""), "{welcome}");
    // The load: as many messages as the host takes, written without waiting for acks.
    let load = thread::spawn(move || {
        for n in 0..1_000_000u64 {
            let line = json!({"type": "say", "text": format!("r{round}-m{n}"), "id": n});
            if writeln!(writer, "{line}").is_err() {
                return;
            }
        }
    });
    let mut acked = Vec::new();
    let mut line = String::new();
    loop {
        line.clear();
        match reader.read_line(&mut line) {
            Ok(0) | Err(_) => break,
            // The kill came in the middle of a line (a write the host had only half done):
            // no event, and the end of the connection.
            Ok(_) if !line.ends_with('\n') => break,
            Ok(_) => {}
        }
        let event: Value = serde_json::from_str(line.trim_end()).expect("a JSON event");
        if event["type"] != "ack" {
            continue;
        }
        let n = event["id"].as_u64().unwrap();
        acked.push((format!("r{round}-m{n}"), event["seq"].as_u64().unwrap()));
        if acked.len() == kill_after {
            // The host dies mid-stream: messages on the wire, in the room, in a commit.
            host.kill();
        }
    }
    load.join().unwrap();
    acked
}

#[test]
fn twenty_kill_9s_under_load_lose_nothing_acknowledged_and_double_nothing() {
    let dir = temp_dir();
    let mut all_acked: Vec<(String, u64)> = Vec::new();
    for round in 0..20 {
        let mut host = stored_host(
            dir.path(),
            &["--rate-limit", "0", "--history", "0", "--max-per-ip", "0"],
        );
        // A different moment each round: a few acks in, or hundreds.
        let kill_after = 1 + (round * 53) % 400;
        let acked = send_until_killed(&mut host, round, kill_after);
        assert!(
            acked.len() >= kill_after,
            "round {round}: {} acks before the kill",
            acked.len()
        );
        if let Some((_, last)) = all_acked.last() {
            assert!(
                acked[0].1 > *last,
                "round {round}: seq {} after a restart repeats a number (last was {last})",
                acked[0].1
            );
        }
        all_acked.extend(acked);
    }
    assert_eq!(integrity(dir.path()), "ok");
    let rows = stored_rows(dir.path());
    let stored: std::collections::HashMap<&str, u64> =
        rows.iter().map(|r| (r.text.as_str(), r.seq)).collect();
    assert_eq!(stored.len(), rows.len(), "a message is stored twice");
    for (text, seq) in &all_acked {
        assert_eq!(
            stored.get(text.as_str()),
            Some(seq),
            "{text}, acknowledged as seq {seq}, is not in the store as such"
        );
    }
    // In order: the store's order is the order they were sent, round after round, and each
    // round's stored messages are the first ones it sent, without a hole.
    let sent_order = |text: &str| -> (usize, u64) {
        let (round, n) = text[1..].split_once("-m").unwrap();
        (round.parse().unwrap(), n.parse().unwrap())
    };
    let order: Vec<(usize, u64)> = rows.iter().map(|r| sent_order(&r.text)).collect();
    assert!(order.windows(2).all(|w| w[0] < w[1]), "stored out of order");
    for round in 0..20 {
        let ns: Vec<u64> = order
            .iter()
            .filter(|(r, _)| *r == round)
            .map(|(_, n)| *n)
            .collect();
        assert!(
            ns.iter().copied().eq(0..ns.len() as u64),
            "round {round}: a hole in what was stored"
        );
    }
    // What the kills left unindexed is indexed after the restart: the last round's first
    // message is found.
    let host = stored_host(dir.path(), &[]);
    let mut ana = JsonClient::join(&host, "ana");
    ana.send(json!({"type": "search", "text": "r19-m0", "id": 1}));
    let found = ana.expect_event("search_results");
    let results = found["results"].as_array().unwrap();
    assert_eq!(results.len(), 1, "{found}");
    assert_eq!(results[0]["text"], "r19-m0");
}

#[test]
fn retention_keeps_the_newest_messages() {
    let dir = temp_dir();
    let host = stored_host(dir.path(), &["--retain-messages", "5"]);
    let mut ana = JsonClient::join(&host, "ana");
    for n in 0..20 {
        say_acked(&mut ana, n, &format!("line {n}"));
    }
    // Deleted in the background: wait for it.
    let deadline = std::time::Instant::now() + harness::TIMEOUT;
    while stored_rows(dir.path()).len() > 5 {
        assert!(
            std::time::Instant::now() < deadline,
            "retention left {:?}",
            texts(&stored_rows(dir.path()))
        );
        thread::sleep(std::time::Duration::from_millis(20));
    }
    let rows = stored_rows(dir.path());
    assert_eq!(
        texts(&rows),
        ["line 15", "line 16", "line 17", "line 18", "line 19"]
    );
}

#[test]
fn retention_by_age_deletes_old_messages_at_start() {
    let dir = temp_dir();
    // A store with one message, made by a host...
    let host = stored_host(dir.path(), &[]);
    send(&host.server(), &["--nick", "ci", "today's news"])
        .assert()
        .success();
    host.stop();
    // ...and two from long ago.
    let conn = rusqlite::Connection::open(store_file(dir.path())).unwrap();
    let long_ago = chrono::Utc::now().timestamp_millis() - 10 * 24 * 3600 * 1000;
    for (seq, text) in [(100, "old news"), (101, "older news")] {
        conn.execute(
            "INSERT INTO messages (seq, time, sender, kind, text) VALUES (?1, ?2, 'bo', 'message', ?3)",
            rusqlite::params![seq, long_ago, text],
        )
        .unwrap();
    }
    drop(conn);
    let _host = stored_host(dir.path(), &["--retain-days", "7"]);
    let deadline = std::time::Instant::now() + harness::TIMEOUT;
    while stored_rows(dir.path()).len() > 1 {
        assert!(
            std::time::Instant::now() < deadline,
            "old messages are still there"
        );
        thread::sleep(std::time::Duration::from_millis(20));
    }
    assert_eq!(texts(&stored_rows(dir.path())), ["today's news"]);
}

#[test]
fn search_answers_the_asker_alone_newest_first() {
    let dir = temp_dir();
    let host = stored_host(dir.path(), &[]);
    let mut ana = JsonClient::join(&host, "ana");
    let old = say_acked(&mut ana, 1, "deploy started");
    say_acked(&mut ana, 2, "lunch?");
    let new = say_acked(&mut ana, 3, "Deploy finished, \"all green\"");
    let mut bob = JsonClient::join(&host, "bob");

    ana.send(json!({"type": "search", "text": "deploy", "id": "s1"}));
    let found = ana.expect_event("search_results");
    assert_eq!(found["id"], "s1");
    assert_eq!(found["query"], "deploy");
    let seqs: Vec<u64> = found["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["seq"].as_u64().unwrap())
        .collect();
    assert_eq!(seqs, [new, old]);
    assert_eq!(found["results"][0]["from"], "ana");
    assert_eq!(found["results"][0]["kind"], "say");

    // FTS5's syntax typed as words is searched for, never a syntax error.
    ana.send(json!({"type": "search", "text": "\"all green\" AND NEAR(", "id": "s2"}));
    let found = ana.expect_event_where("search_results", |e| e["id"] == "s2");
    assert_eq!(found["results"].as_array().unwrap().len(), 0);
    ana.send(json!({"type": "search", "text": "\"all green\"", "id": "s3"}));
    let found = ana.expect_event_where("search_results", |e| e["id"] == "s3");
    assert_eq!(found["results"][0]["seq"], new);
    ana.send(json!({"type": "search", "text": "* ^ :", "id": "s4"}));
    let refused = ana.expect_event_where("error", |e| e["id"] == "s4");
    assert_eq!(refused["code"], "bad_request");
    assert!(
        refused["message"]
            .as_str()
            .unwrap()
            .starts_with("nothing to search for")
    );

    // bob saw none of it: his ping comes back with nothing before it but the room's events.
    bob.send(json!({"type": "ping", "id": "p"}));
    bob.expect_event("pong");
    assert!(
        bob.events().iter().all(|e| e["type"] != "search_results"),
        "{:?}",
        bob.events()
    );

    // nc users search with /search, and read results like history.
    let mut dan = PlainClient::join(&host, "dan");
    dan.send_line("/search deploy*");
    dan.expect_line("the heading", |l| {
        l == "*** search for \"deploy*\": 2 messages, newest first (times in UTC)"
    });
    let first = dan.next_line();
    assert!(
        first.ends_with("] <ana> Deploy finished, \"all green\""),
        "{first}"
    );
    let second = dan.next_line();
    assert!(second.ends_with("] <ana> deploy started"), "{second}");
    assert_eq!(dan.next_line(), "*** end of search results");
    dan.send_line("/search nothing-like-it");
    dan.expect_line("no results", |l| {
        l == "*** search for \"nothing-like-it\": nothing found"
    });
}

#[test]
fn a_room_without_a_store_says_how_to_get_one() {
    let host = Host::start(&[]);
    let mut ana = JsonClient::join(&host, "ana");
    ana.send(json!({"type": "search", "text": "deploy", "id": 1}));
    let refused = ana.expect_event("error");
    assert_eq!(refused["code"], "no_store");
    assert_eq!(refused["id"], 1);
    assert!(refused["message"].as_str().unwrap().contains("--store"));
    let mut bob = PlainClient::join(&host, "bob");
    bob.send_line("/search deploy");
    bob.expect_line("the error", |l| {
        l.starts_with("error: this room keeps no store") && l.contains("--store")
    });
}

/// Starts a host expected to refuse, and returns its stderr; it must exit 1 with one line.
fn refused_start(args: &[String]) -> String {
    let output = Host::command(&args.iter().map(String::as_str).collect::<Vec<_>>())
        .output()
        .expect("run the host");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    stderr
}

#[test]
fn a_store_that_is_not_a_database_is_a_one_line_error() {
    let dir = temp_dir();
    std::fs::write(
        store_file(dir.path()),
        b"this is not a database, not at all".repeat(200),
    )
    .unwrap();
    let stderr = refused_start(&store_args(dir.path()));
    assert!(stderr.contains("file is not a database"), "{stderr}");
    assert!(stderr.contains("room.sqlite3"), "{stderr}");
}

#[test]
fn a_store_another_program_holds_locked_is_a_one_line_error() {
    let dir = temp_dir();
    stored_host(dir.path(), &[]).stop();
    let conn = rusqlite::Connection::open(store_file(dir.path())).unwrap();
    conn.execute_batch("PRAGMA locking_mode = EXCLUSIVE; BEGIN EXCLUSIVE;")
        .unwrap();
    let stderr = refused_start(&store_args(dir.path()));
    assert!(stderr.contains("database is locked"), "{stderr}");
    assert!(stderr.contains("another program holds it"), "{stderr}");
    drop(conn);
}

#[test]
fn two_hosts_cannot_share_a_store() {
    let dir = temp_dir();
    let _first = stored_host(dir.path(), &[]);
    let stderr = refused_start(&store_args(dir.path()));
    assert!(
        stderr.contains("another chatroom host is using the store"),
        "{stderr}"
    );
}

#[test]
fn retention_without_a_store_is_a_usage_error() {
    let output = Host::command(&["--retain-days", "3"])
        .output()
        .expect("run the host");
    assert_eq!(output.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&output.stderr).contains("add --store"));
}
