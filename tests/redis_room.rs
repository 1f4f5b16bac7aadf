//! One room across hosts (`host --redis`): three hosts on one real `redis-server`, clients in
//! both dialects on different hosts, every client seeing one sequence; history on join across
//! hosts; acks carrying the seq everyone sees; the start-up errors.
//!
//! Each test skips loudly when `redis-server` is not installed, unless `CHATROOM_REQUIRE_REDIS`
//! is set (CI sets it): see `harness/redis.rs`.

mod harness;

use harness::redis::{shared_host, shared_host_with, start_redis};
use harness::{Host, JsonClient, PlainClient, closed_port, parse_event, temp_dir};
use serde_json::{Value, json};
use std::time::Duration;

/// (seq, from, text) of a message event.
fn said(event: &Value) -> (u64, String, String) {
    (
        event["seq"].as_u64().expect("a message has a seq"),
        event["from"].as_str().unwrap_or_default().to_string(),
        event["text"].as_str().unwrap_or_default().to_string(),
    )
}

/// The next `count` messages a client sees, as (seq, from, text).
fn next_messages(client: &mut JsonClient, count: usize) -> Vec<(u64, String, String)> {
    (0..count)
        .map(|_| said(&client.expect_event("message")))
        .collect()
}

#[test]
fn every_client_on_every_host_sees_one_sequence_and_acks_carry_its_seq() {
    let Some(redis) = start_redis() else {
        return;
    };
    let hosts: Vec<Host> = (0..3).map(|_| shared_host(&redis, "ops")).collect();
    // An observer on each host, and senders on different hosts in both dialects.
    let mut watchers: Vec<JsonClient> = hosts
        .iter()
        .enumerate()
        .map(|(i, host)| JsonClient::join(host, &format!("watch{i}")))
        .collect();
    let mut ann = JsonClient::join(&hosts[0], "ann");
    let mut bob = PlainClient::join(&hosts[1], "bob");
    let mut cid = JsonClient::join(&hosts[2], "cid");
    const EACH: usize = 10;
    for n in 0..EACH {
        ann.send(json!({"type": "say", "text": format!("a{n}"), "id": format!("a{n}")}));
        bob.say(&format!("b{n}"));
        cid.send(json!({"type": "say", "text": format!("c{n}"), "id": format!("c{n}")}));
    }
    let seen: Vec<Vec<(u64, String, String)>> = watchers
        .iter_mut()
        .map(|watcher| next_messages(watcher, 3 * EACH))
        .collect();
    assert_eq!(seen[0], seen[1], "host 0 and host 1 disagree");
    assert_eq!(seen[0], seen[2], "host 0 and host 2 disagree");
    let seqs: Vec<u64> = seen[0].iter().map(|(seq, _, _)| *seq).collect();
    assert!(
        seqs.windows(2).all(|pair| pair[0] < pair[1]),
        "seqs rise: {seqs:?}"
    );
    // Each sender's messages in the order it sent them.
    for (from, prefix) in [("ann", "a"), ("bob", "b"), ("cid", "c")] {
        let texts: Vec<&str> = seen[0]
            .iter()
            .filter(|(_, who, _)| who == from)
            .map(|(_, _, text)| text.as_str())
            .collect();
        let sent: Vec<String> = (0..EACH).map(|n| format!("{prefix}{n}")).collect();
        assert_eq!(texts, sent, "{from}'s messages");
    }
    // An ack carries the seq everyone saw the message under.
    for (sender, prefix, from) in [(&mut ann, "a", "ann"), (&mut cid, "c", "cid")] {
        for n in 0..EACH {
            let id = format!("{prefix}{n}");
            let ack = sender.expect_event_where("ack", |e| e["id"] == id.as_str());
            let everyone = seen[0]
                .iter()
                .find(|(_, who, text)| who == from && *text == id)
                .map(|(seq, _, _)| *seq);
            assert_eq!(ack["seq"].as_u64(), everyone, "ack of {id}: {ack}");
        }
    }
    // The plain sender, on its own host, sees the others' messages in the same order.
    let others: Vec<String> = seen[0]
        .iter()
        .filter(|(_, who, _)| who != "bob")
        .map(|(_, who, text)| format!("<{who}> {text}"))
        .collect();
    let last = others.last().expect("messages").clone();
    bob.expect(&last);
    let bodies: Vec<String> = bob
        .bodies()
        .into_iter()
        .filter(|body| body.starts_with("<ann>") || body.starts_with("<cid>"))
        .map(str::to_string)
        .collect();
    assert_eq!(bodies, others, "what bob saw");
}

#[test]
fn history_on_join_includes_what_was_said_on_other_hosts() {
    let Some(redis) = start_redis() else {
        return;
    };
    let a = shared_host(&redis, "ops");
    let b = shared_host(&redis, "ops");
    let mut ann = JsonClient::join(&a, "ann");
    let mut bob = PlainClient::join(&b, "bob");
    ann.send(json!({"type": "say", "text": "from a", "id": 1}));
    ann.expect_event("ack");
    bob.say("from b");
    ann.expect_message("bob", "say", "from b");
    // A host started after both were said reads them from the stream.
    let c = shared_host(&redis, "ops");
    let mut cid = JsonClient::connect(&c);
    cid.send(json!({"type": "hello", "v": 1, "nick": "cid"}));
    cid.expect_event("welcome");
    let end = cid.expect_event("history_end");
    let replayed: Vec<(String, String)> = cid
        .events()
        .iter()
        .filter(|e| e["type"] == "message" && e["history"] == true)
        .map(|e| {
            let (_, from, text) = said(e);
            (from, text)
        })
        .collect();
    assert_eq!(
        replayed,
        [
            ("ann".to_string(), "from a".to_string()),
            ("bob".to_string(), "from b".to_string())
        ],
        "history, up to {end}"
    );
}

#[test]
fn a_client_back_with_since_gets_the_gap_said_on_other_hosts_beyond_the_history() {
    let Some(redis) = start_redis() else {
        return;
    };
    // Two messages of history: the rest of the gap is read from the stream.
    let a = shared_host_with(&redis, "ops", &["--history", "2"]);
    let b = shared_host_with(&redis, "ops", &["--history", "2"]);
    let mut ann = JsonClient::join(&a, "ann");
    let mut seqs = Vec::new();
    for n in 1..=10 {
        ann.send(json!({"type": "say", "text": format!("m{n}"), "id": n}));
        seqs.push(ann.expect_event("ack")["seq"].as_u64().expect("a seq"));
    }
    // Back on the other host, having seen m3 last.
    let mut bob = JsonClient::connect(&b);
    bob.send(json!({"type": "hello", "v": 1, "nick": "bob", "since": seqs[2]}));
    bob.expect_event("welcome");
    let end = bob.expect_event("history_end");
    let replayed: Vec<(u64, String, String)> = bob
        .events()
        .iter()
        .filter(|e| e["type"] == "message" && e["history"] == true)
        .map(said)
        .collect();
    let expected: Vec<(u64, String, String)> = (4..=10)
        .map(|n| (seqs[n - 1], "ann".to_string(), format!("m{n}")))
        .collect();
    assert_eq!(replayed, expected, "the gap, up to {end}");
    assert_eq!(end["missed"], 0, "{end}");
    // Live goes on after the gap.
    ann.say("live");
    bob.expect_message("ann", "say", "live");
    // A host started after all this knows its history starts late, and reads the rest.
    let c = shared_host_with(&redis, "ops", &["--history", "2"]);
    let mut cid = JsonClient::connect(&c);
    cid.send(json!({"type": "hello", "v": 1, "nick": "cid", "since": seqs[6]}));
    cid.expect_event("welcome");
    let end = cid.expect_event("history_end");
    let texts: Vec<String> = cid
        .events()
        .iter()
        .filter(|e| e["type"] == "message" && e["history"] == true)
        .map(|e| said(e).2)
        .collect();
    assert_eq!(texts, ["m8", "m9", "m10", "live"], "up to {end}");
    assert_eq!(end["missed"], 0, "{end}");
}

#[test]
fn a_redis_that_is_not_there_stops_the_host_with_one_line_and_exit_3() {
    let port = closed_port();
    let url = format!("redis://user:s3cret@127.0.0.1:{port}/0");
    let output = Host::command(&["--redis", &url])
        .output()
        .expect("host runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains(&format!("could not reach Redis at 127.0.0.1:{port}")),
        "{stderr}"
    );
    assert!(
        !stderr.contains("s3cret"),
        "the password is not shown: {stderr}"
    );
}

#[test]
fn the_redis_url_comes_from_chatroom_redis_or_the_config_file_too() {
    let check = |output: std::process::Output, port: u16| {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(3), "stderr: {stderr}");
        assert!(
            stderr.contains(&format!("could not reach Redis at 127.0.0.1:{port}")),
            "{stderr}"
        );
    };
    let port = closed_port();
    let from_env = Host::command(&[])
        .env("CHATROOM_REDIS", format!("redis://127.0.0.1:{port}"))
        .output()
        .expect("host runs");
    check(from_env, port);
    let dir = temp_dir();
    let config = dir.path().join("chatroom.toml");
    std::fs::write(
        &config,
        format!("[host]\nredis = \"redis://127.0.0.1:{port}\"\n"),
    )
    .expect("config written");
    let from_file = Host::command(&["--config", config.to_str().expect("a UTF-8 path")])
        .output()
        .expect("host runs");
    check(from_file, port);
}

#[test]
fn redis_and_store_together_are_a_usage_error_for_now() {
    let output = Host::command(&["--redis", "redis://127.0.0.1:1", "--store"])
        .output()
        .expect("host runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains("--redis and --store cannot be used together"),
        "{stderr}"
    );
}

#[test]
fn a_url_that_is_not_one_is_a_usage_error() {
    let output = Host::command(&["--redis", "http://127.0.0.1:6379"])
        .output()
        .expect("host runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("the Redis URL is not one"), "{stderr}");
}

#[test]
fn a_room_name_redis_cluster_would_misread_is_a_usage_error() {
    let output = Host::command(&["--redis", "redis://127.0.0.1:1", "--name", "a{b}"])
        .output()
        .expect("host runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "stderr: {stderr}");
    assert!(stderr.contains("holds a brace"), "{stderr}");
}

#[test]
fn a_nickname_taken_on_one_host_is_refused_on_another_until_it_is_given_up() {
    let Some(redis) = start_redis() else {
        return;
    };
    let a = shared_host(&redis, "ops");
    let b = shared_host(&redis, "ops");
    let ann = JsonClient::join(&a, "ann");
    // JSON, another spelling of the same name.
    let mut json = JsonClient::connect(&b);
    let refusal = json.hello("ANN");
    assert_eq!(refusal["type"], "error", "{refusal}");
    assert_eq!(refusal["code"], "nick_taken", "{refusal}");
    // Plain: told so, and free to pick another.
    let mut plain = PlainClient::connect(&b);
    plain.say("ann");
    let error = plain.expect_error();
    assert!(error.contains("nickname 'ann' is taken"), "{error}");
    plain.choose_nick("bob");
    // A rename to a name held on the other host is refused too; one that is free is taken.
    let mut cid = JsonClient::join(&b, "cid");
    cid.send(json!({"type": "nick", "nick": "Ann", "id": "n1"}));
    let refused = cid.expect_event_where("error", |e| e["id"] == "n1");
    assert_eq!(refused["code"], "nick_taken", "{refused}");
    cid.send(json!({"type": "nick", "nick": "dee", "id": "n2"}));
    cid.expect_event_where("ack", |e| e["id"] == "n2");
    // Once ann leaves, the name is free on every host. Its host gives it up on another thread
    // than the one appending the leave, so the release may land just after the leave is seen.
    ann.disconnect();
    plain.expect_line("ann's leave", |l| l.contains("*** ann left ("));
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let answer = JsonClient::connect(&b).hello("ann");
        if answer["type"] == "welcome" {
            break;
        }
        assert_eq!(answer["code"], "nick_taken", "{answer}");
        assert!(
            std::time::Instant::now() < deadline,
            "ann's name is still taken 5 s after the leave"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
fn max_clients_counts_the_members_of_every_host() {
    let Some(redis) = start_redis() else {
        return;
    };
    let a = shared_host_with(&redis, "ops", &["--max-clients", "2"]);
    let b = shared_host_with(&redis, "ops", &["--max-clients", "2"]);
    let _ann = JsonClient::join(&a, "ann");
    let _bob = JsonClient::join(&b, "bob");
    let refusal = JsonClient::connect(&a).hello("cid");
    assert_eq!(refusal["code"], "room_full", "{refusal}");
}

#[test]
fn the_members_of_a_host_killed_with_sigkill_leave_on_the_others() {
    let Some(redis) = start_redis() else {
        return;
    };
    let mut a = shared_host(&redis, "ops");
    let b = shared_host(&redis, "ops");
    let _ann = JsonClient::join(&a, "ann");
    let mut bob = JsonClient::join(&b, "bob");
    a.kill();
    // Its heartbeat expires within a few seconds (3 s, beating every second); a surviving host
    // reaps it.
    let line = bob.expect_line_within(Duration::from_secs(15), "ann's leave", |l| {
        let event = parse_event(l);
        event["type"] == "leave" && event["nick"] == "ann"
    });
    let leave = parse_event(&line);
    assert_eq!(leave["reason"], "disconnected", "{leave}");
    // And its name is free again.
    let welcome = JsonClient::connect(&b).hello("ann");
    assert_eq!(welcome["type"], "welcome", "{welcome}");
}

#[test]
fn a_host_stopped_cleanly_frees_its_members_names_before_it_exits() {
    let Some(redis) = start_redis() else {
        return;
    };
    let a = shared_host(&redis, "ops");
    let b = shared_host(&redis, "ops");
    let _ann = JsonClient::join(&a, "ann");
    let mut bob = JsonClient::join(&b, "bob");
    a.stop();
    // No heartbeat has to expire: the name is free the moment the host is gone.
    let welcome = JsonClient::connect(&b).hello("ann");
    assert_eq!(welcome["type"], "welcome", "{welcome}");
    let leave = bob.expect_event_where("leave", |e| e["nick"] == "ann");
    assert_eq!(leave["reason"], "disconnected", "{leave}");
    bob.expect_join("ann");
}
