//! History on join (`host --history N`): a newcomer gets the room's last public messages right
//! after its welcome, with their original seq, time and sender, then an end marker; `nc` users
//! as UTC-stamped lines, JSON clients as marked `message` events and a `history_end`; a hello
//! with `since` gets just the gap and hears what the room no longer holds. Private messages,
//! joins and leaves are never replayed, and `chatroom send` asks for none.

mod harness;

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;

use harness::{Host, JsonClient, PlainClient, send};
use serde_json::{Value, json};

/// `ana` says each of `lines` (a line starting with `/me ` as an action) and waits for its ack,
/// so the room has numbered them; returns the acks' seq numbers.
fn say_all(ana: &mut JsonClient, lines: &[&str]) -> Vec<u64> {
    lines
        .iter()
        .enumerate()
        .map(|(id, line)| {
            let request = match line.strip_prefix("/me ") {
                Some(action) => json!({"type": "me", "text": action, "id": id}),
                None => json!({"type": "say", "text": line, "id": id}),
            };
            ana.send(request);
            let ack = ana.expect_event_where("ack", |e| e["id"] == id);
            ack["seq"].as_u64().expect("an ack of a message has a seq")
        })
        .collect()
}

/// Joins with `hello` (extra fields merged into a hello as `nick`) and returns the events after
/// the welcome up to and including `history_end`.
fn join_for_history(host: &Host, nick: &str, extra: Value) -> (JsonClient, Vec<Value>) {
    let mut client = JsonClient::connect(host);
    let mut hello = json!({"type": "hello", "v": 1, "nick": nick});
    if let (Some(hello), Some(extra)) = (hello.as_object_mut(), extra.as_object()) {
        hello.extend(extra.clone());
    }
    client.send(hello);
    assert_eq!(client.next_event()["type"], "welcome");
    let mut replayed = Vec::new();
    loop {
        let event = client.next_event();
        let end = event["type"] == "history_end";
        replayed.push(event);
        if end {
            return (client, replayed);
        }
    }
}

/// The texts of the replayed messages, every one marked `history`.
fn texts(replayed: &[Value]) -> Vec<String> {
    replayed
        .iter()
        .filter(|e| e["type"] == "message")
        .map(|e| {
            assert_eq!(e["history"], true, "a replayed message is marked: {e}");
            e["text"].as_str().unwrap().to_string()
        })
        .collect()
}

/// The `history_end` closing a replay.
fn end(replayed: &[Value]) -> &Value {
    let end = replayed.last().unwrap();
    assert_eq!(end["type"], "history_end", "{replayed:?}");
    end
}

/// No message and no `history_end` before the answer to a ping sent after the welcome (the
/// room's joins and leaves may come): proves no history was sent.
fn assert_nothing_replayed(client: &mut JsonClient) {
    client.send(json!({"type": "ping", "id": "after-welcome"}));
    loop {
        let next = client.next_event();
        match next["type"].as_str() {
            Some("pong") => return,
            Some("join" | "leave") => continue,
            _ => panic!("expected no history before the pong: {next}"),
        }
    }
}

#[test]
fn json_newcomers_get_public_messages_as_they_were_sent_then_the_end() {
    let host = Host::start(&[]);
    let mut ana = JsonClient::join(&host, "ana");
    let mut bob = JsonClient::join(&host, "bob");
    let _ = say_all(&mut ana, &["morning", "/me waves"]);
    let live: Vec<Value> = ["morning", "waves"]
        .iter()
        .map(|text| bob.expect_event_where("message", |e| e["text"] == *text))
        .collect();
    // Neither a private message nor a join or a leave is kept.
    ana.send(json!({"type": "pm", "to": "bob", "text": "psst", "id": "pm"}));
    ana.expect_event_where("ack", |e| e["id"] == "pm");
    let carol = JsonClient::join(&host, "carol");
    carol.disconnect();
    ana.expect_event_where("leave", |e| e["nick"] == "carol");

    let (_dan, replayed) = join_for_history(&host, "dan", json!({}));
    assert_eq!(texts(&replayed), ["morning", "waves"]);
    for (replay, live) in replayed.iter().zip(&live) {
        for field in ["seq", "ts", "from", "kind", "text"] {
            assert_eq!(replay[field], live[field], "{field} of {replay}");
        }
        assert_eq!(
            live.get("history"),
            None,
            "live messages carry no mark: {live}"
        );
    }
    assert_eq!(replayed[1]["kind"], "me");
    assert_eq!(
        end(&replayed),
        &json!({"type": "history_end", "count": 2, "missed": 0})
    );
}

#[test]
fn a_message_said_after_the_welcome_arrives_live_not_twice() {
    let host = Host::start(&[]);
    let mut ana = JsonClient::join(&host, "ana");
    say_all(&mut ana, &["before"]);
    let (mut bob, replayed) = join_for_history(&host, "bob", json!({}));
    assert_eq!(texts(&replayed), ["before"]);
    say_all(&mut ana, &["after"]);
    let live = bob.expect_event("message");
    assert_eq!(live["text"], "after");
    assert_eq!(live.get("history"), None);
}

#[test]
fn an_empty_room_history_is_just_the_end() {
    let host = Host::start(&[]);
    let (_ana, replayed) = join_for_history(&host, "ana", json!({}));
    assert_eq!(
        replayed,
        [json!({"type": "history_end", "count": 0, "missed": 0})]
    );
}

#[test]
fn the_room_keeps_only_the_last_n() {
    let host = Host::start(&["--history", "3"]);
    let mut ana = JsonClient::join(&host, "ana");
    say_all(&mut ana, &["1", "2", "3", "4", "5"]);
    let (_bob, replayed) = join_for_history(&host, "bob", json!({}));
    assert_eq!(texts(&replayed), ["3", "4", "5"]);
    assert_eq!(end(&replayed)["count"], 3);
}

#[test]
fn history_0_replays_nothing_and_sends_no_end() {
    let host = Host::start(&["--history", "0"]);
    let mut ana = JsonClient::join(&host, "ana");
    say_all(&mut ana, &["unheard"]);
    let mut bob = JsonClient::join(&host, "bob");
    assert_nothing_replayed(&mut bob);
    let mut nc_user = PlainClient::join(&host, "carol");
    nc_user.say("/ping");
    nc_user.expect("*** pong");
    assert!(!nc_user.has_seen("unheard") && !nc_user.has_seen("end of history"));
}

#[test]
fn since_replays_exactly_the_gap_and_counts_what_was_forgotten() {
    let host = Host::start(&["--history", "3"]);
    let mut ana = JsonClient::join(&host, "ana");
    let seqs = say_all(&mut ana, &["1", "2", "3", "4", "5"]);

    // Seen up to "3": "4" and "5" are missing, and the room still holds them.
    let (_b, replayed) = join_for_history(&host, "b", json!({"since": seqs[2]}));
    assert_eq!(texts(&replayed), ["4", "5"]);
    assert_eq!(
        end(&replayed),
        &json!({"type": "history_end", "count": 2, "missed": 0})
    );
    // Coming back is announced like any join.
    ana.expect_join("b");

    // Seen up to "1": "2" is no longer held (the ring holds 3, 4, 5).
    let (_c, replayed) = join_for_history(&host, "c", json!({"since": seqs[0]}));
    assert_eq!(texts(&replayed), ["3", "4", "5"]);
    assert_eq!(end(&replayed)["missed"], 1);

    // Seen everything: nothing to replay.
    let (_d, replayed) = join_for_history(&host, "d", json!({"since": seqs[4] + 2}));
    assert_eq!(
        end(&replayed),
        &json!({"type": "history_end", "count": 0, "missed": 0})
    );

    // A seq this room never reached (it restarted and numbers from 1 again): the latest history,
    // and the client is told its `since` meant nothing here.
    let (_e, replayed) = join_for_history(&host, "e", json!({"since": 1_000_000}));
    assert_eq!(texts(&replayed), ["3", "4", "5"]);
    assert_eq!(end(&replayed)["reset"], true);
}

#[test]
fn with_history_0_since_still_hears_how_many_it_missed() {
    let host = Host::start(&["--history", "0"]);
    let mut ana = JsonClient::join(&host, "ana");
    let seqs = say_all(&mut ana, &["1", "2", "3"]);
    let (_b, replayed) = join_for_history(&host, "b", json!({"since": seqs[0]}));
    assert_eq!(
        replayed,
        [json!({"type": "history_end", "count": 0, "missed": 2})]
    );
}

#[test]
fn a_hello_can_ask_for_none_and_a_quiet_sender_gets_none() {
    let host = Host::start(&[]);
    let mut ana = JsonClient::join(&host, "ana");
    say_all(&mut ana, &["something"]);
    for hello in [
        json!({"type": "hello", "v": 1, "nick": "bot", "history": false}),
        json!({"type": "hello", "v": 1, "nick": "ci", "announce": false}),
    ] {
        let mut client = JsonClient::connect(&host);
        client.send(hello);
        assert_eq!(client.next_event()["type"], "welcome");
        assert_nothing_replayed(&mut client);
    }
    // A quiet member that wants it asks.
    let (_reader, replayed) =
        join_for_history(&host, "reader", json!({"announce": false, "history": true}));
    assert_eq!(texts(&replayed), ["something"]);
}

#[test]
fn plain_users_get_utc_lines_then_the_end_line() {
    let host = Host::start(&[]);
    let mut ana = JsonClient::join(&host, "ana");
    let mut bob = PlainClient::join(&host, "bob");
    say_all(&mut ana, &["is the build green?", "/me checks"]);
    ana.send(json!({"type": "pm", "to": "bob", "text": "secret", "id": "pm"}));
    ana.expect_event_where("ack", |e| e["id"] == "pm");
    bob.expect("[pm from ana] secret");

    let mut carol = PlainClient::join(&host, "carol");
    let end = carol.expect_line("the end of history", |l| {
        l.starts_with("*** end of history")
    });
    assert_eq!(end, "*** end of history (2 messages, times in UTC)");
    let welcome_end = carol
        .received()
        .iter()
        .position(|l| l == "*** type /help for commands")
        .unwrap();
    let lines = &carol.received()[welcome_end + 1..];
    assert_eq!(lines.len(), 3, "{lines:?}");
    let hh_mm = |line: &str| {
        let stamp = line.strip_prefix('[').and_then(|l| l.split_once("] "));
        let (time, _) = stamp.unwrap_or_else(|| panic!("no [HH:MM] in {line:?}"));
        assert!(
            time.len() == 5 && time.as_bytes()[2] == b':',
            "{line:?} is not stamped [HH:MM]"
        );
    };
    hh_mm(&lines[0]);
    hh_mm(&lines[1]);
    assert!(
        lines[0].ends_with("] <ana> is the build green?"),
        "{lines:?}"
    );
    assert!(lines[1].ends_with("] * ana checks"), "{lines:?}");
    assert!(!carol.has_seen("secret") && !carol.has_seen("joined"));
}

/// The real `nc`, as a person on the classic tutorial client joins.
#[cfg(target_os = "linux")]
#[test]
fn nc_shows_the_history_then_the_end_line() {
    let host = Host::start(&[]);
    let mut ana = JsonClient::join(&host, "ana");
    say_all(&mut ana, &["hello nc"]);
    let mut nc = harness::Nc::connect(&host);
    nc.type_line("carol");
    let line = nc.expect("the history", |l| l.contains("<ana>"));
    assert!(line.ends_with("] <ana> hello nc"), "{line}");
    nc.expect("the end of history", |l| {
        l == "*** end of history (1 message, times in UTC)"
    });
}

#[test]
fn send_asks_for_no_history() {
    // What `send` says in its hello, read by a listener standing in for the host.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = listener.local_addr().unwrap().to_string();
    let reader = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .write_all(
                b"chatroom: welcome to lobby. Type a nickname and press Enter (within 10 s).\n",
            )
            .unwrap();
        let mut hello = String::new();
        BufReader::new(stream).read_line(&mut hello).unwrap();
        hello
    });
    let _ = send(&server, &["--nick", "ci", "hi"]).assert();
    let hello: Value = serde_json::from_str(&reader.join().unwrap()).unwrap();
    assert_eq!(hello["type"], "hello");
    assert_eq!(hello["announce"], false, "{hello}");
    assert!(hello.get("history").is_none() && hello.get("since").is_none());

    // And a real host replays nothing to such a hello (see
    // a_hello_can_ask_for_none_and_a_quiet_sender_gets_none), so a room with history still
    // takes `send`'s line and nothing else.
    let host = Host::start(&[]);
    let mut ana = JsonClient::join(&host, "ana");
    say_all(&mut ana, &["old news"]);
    send(&host.server(), &["--nick", "ci", "fresh"])
        .assert()
        .success()
        .stdout("");
    ana.expect_message("ci", "say", "fresh");
}

/// `chatroom join` on a terminal shows the history dimmed between a heading and a `── now ──`
/// line, and a mention in it neither rings the bell nor is highlighted; a live one does.
#[cfg(unix)]
#[test]
fn join_shows_the_history_dimmed_above_the_now_line_without_a_bell() {
    use harness::pty::{PtyClient, READY};

    let host = Host::start(&[]);
    let home = harness::temp_dir();
    let mut bob = JsonClient::join(&host, "bob");
    say_all(&mut bob, &["ana: remember the milk", "/me leaves a note"]);

    let mut ana = PtyClient::start(&host, home.path(), &["--nick", "ana", "--color", "always"]);
    ana.expect(READY);
    // (rexpect reads the screen byte by byte, so the lines' box-drawing dashes are matched
    // through the words between them.)
    ana.expect(" history ");
    let history = ana.expect(" now ");
    assert!(
        history.contains("<bob> ana: remember the milk"),
        "{history:?}"
    );
    assert!(history.contains("* bob leaves a note"), "{history:?}");
    assert!(
        !history.contains('\x07'),
        "history rang the bell: {history:?}"
    );
    assert!(
        !history.contains("\x1b[7m"),
        "history highlighted a mention: {history:?}"
    );
    let dimmed = history
        .lines()
        .find(|l| l.contains("remember the milk"))
        .unwrap();
    assert!(dimmed.contains("\x1b[2m"), "history is dimmed: {dimmed:?}");

    say_all(&mut bob, &["ana: live now"]);
    let before_bell = ana.expect("\x07");
    assert!(before_bell.contains("ana: live now"), "{before_bell:?}");
}

/// `join --json` passes the history through as the host sent it; a piped `join` prints it
/// between the heading and the `── now ──` line, as on a terminal.
#[test]
fn piped_join_shows_the_history_and_join_json_passes_it_through() {
    use harness::PipedClient;

    let host = Host::start(&[]);
    let mut bob = JsonClient::join(&host, "bob");
    say_all(&mut bob, &["for the record"]);

    let json = PipedClient::start(&host.server(), &["--nick", "bot", "--json"], &[]);
    let replayed: Value = serde_json::from_str(&json.expect("for the record")).unwrap();
    assert_eq!(replayed["history"], true);
    assert_eq!(replayed["from"], "bob");
    let end: Value = serde_json::from_str(&json.expect("history_end")).unwrap();
    assert_eq!(end, json!({"type": "history_end", "count": 1, "missed": 0}));

    let piped = PipedClient::start(&host.server(), &["--nick", "reader"], &[]);
    piped.expect("── history ──");
    let line = piped.expect("for the record");
    assert!(line.ends_with("] <bob> for the record"), "{line:?}");
    piped.expect("── now ──");
}
