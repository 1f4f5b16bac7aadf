//! The host-wide budget for what waits for clients that do not read (`--max-queued`, README
//! "Slow readers"): once it is spent, a private message to someone who is not reading is refused
//! to its sender, the stalled clients are not what the host's memory goes to, and everyone who
//! reads goes on as before.
//!
//! The kernel buffers a good deal between the host and a stalled socket before anything waits in
//! the host (the host's send buffer, grown by autotuning up to `net.ipv4.tcp_wmem`'s maximum, and
//! the receiver's buffer), so the stalled receivers shrink their receive buffers, the budget is
//! the smallest the option allows (1 MiB), and the sender posts large private messages until it
//! is refused, failing if it was not refused after what the kernel and the budget could possibly
//! hold. One shard (`--threads 1`) applies each reply and each private message in the order the
//! room decided them, so what the sender hears back is exactly what the host did.

mod harness;

use harness::{Host, JsonClient, parse_event};
use serde_json::{Value, json};

/// The budget, in MiB.
const BUDGET_MIB: usize = 1;
const MIB: usize = 1024 * 1024;
/// Bytes of text in each private message (under the room's `--max-line`).
const TEXT: usize = 60_000;
/// `list` requests a staller sends at a time, until it is let go: their replies are about 80
/// bytes each, and `--outbox` and the 4 MiB each client may hold are far beyond what they come
/// to, so only the budget can be why it is let go.
const LISTS: usize = 500;
/// The most a `list` reply in this room takes, in bytes.
const REPLY: usize = 80;
/// More than a stalled receiver's kernel buffer can hold with the receive buffer it asked for.
const RECEIVE_BUFFER: usize = 64 * 1024;

fn host() -> Host {
    Host::start(&[
        "--max-queued",
        &BUDGET_MIB.to_string(),
        "--max-line",
        "65536",
        "--rate-limit",
        "0",
        "--threads",
        "1",
        "--outbox",
        "1048576",
    ])
}

/// The most the kernel may hold in a connection's send buffer (`tcp_wmem`'s maximum), where the
/// system says; 4 MiB (Linux's default) otherwise.
fn send_buffer_max() -> usize {
    std::fs::read_to_string("/proc/sys/net/ipv4/tcp_wmem")
        .ok()
        .and_then(|text| text.split_whitespace().nth(2)?.parse().ok())
        .unwrap_or(4 * MIB)
}

/// The host process's resident memory in bytes (Linux).
#[cfg(target_os = "linux")]
fn resident(host: &Host) -> usize {
    let status = std::fs::read_to_string(format!("/proc/{}/status", host.pid())).unwrap();
    let kb: usize = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .expect("VmRSS in /proc/PID/status");
    kb * 1024
}

/// Sends a private message numbered `id` and returns the host's answer to it (`ack` or `error`).
fn pm(sender: &mut JsonClient, id: usize, to: &str, text: &str) -> Value {
    sender.send(json!({"type": "pm", "to": to, "text": text, "id": id}));
    let line = sender.expect_line(&format!("the answer to pm {id}"), |l| {
        let event = parse_event(l);
        event["id"] == id && (event["type"] == "ack" || event["type"] == "error")
    });
    parse_event(&line)
}

/// The number a private message's text starts with.
fn number_of(text: &str) -> usize {
    text[..6].parse().expect("a numbered private message")
}

/// Posts private messages to `receivers` in turn until one is refused; returns the refusal and
/// the numbers accepted for each receiver. Fails if none was refused after `limit` bytes.
fn until_refused(
    sender: &mut JsonClient,
    receivers: &[&str],
    next_id: &mut usize,
    limit: usize,
) -> (Value, Vec<Vec<usize>>) {
    let filler = "q".repeat(TEXT - 7);
    let mut accepted = vec![Vec::new(); receivers.len()];
    loop {
        let total = accepted.iter().map(Vec::len).sum::<usize>() * TEXT;
        assert!(
            total <= limit,
            "no private message was refused after {total} bytes to receivers that do not read"
        );
        let (id, i) = (*next_id, *next_id % receivers.len());
        *next_id += 1;
        let answer = pm(sender, id, receivers[i], &format!("{id:06} {filler}"));
        if answer["type"] == "error" {
            return (answer, accepted);
        }
        accepted[i].push(id);
    }
}

fn assert_not_delivered(refusal: &Value, to: &str) {
    assert_eq!(refusal["type"], "error", "{refusal}");
    assert_eq!(refusal["code"], "not_delivered", "{refusal}");
    assert_eq!(
        refusal["message"],
        format!("{to} is not reading; your message was not delivered"),
    );
}

#[test]
fn private_messages_to_stalled_readers_are_refused_once_the_host_budget_is_spent() {
    let host = host();
    let mut sender = JsonClient::join(&host, "sender");
    let mut carol = JsonClient::join(&host, "carol");
    let names = ["stalled0", "stalled1", "stalled2"];
    // They read their welcome, then nothing more.
    let mut stalled: Vec<JsonClient> = names
        .iter()
        .map(|nick| JsonClient::join_with_small_receive_buffer(&host, nick))
        .collect();
    #[cfg(target_os = "linux")]
    let before = resident(&host);
    // Everything the kernel could hold for each (its send buffer, the receiver's small buffer,
    // a message in flight), plus the budget: past that, a refusal is overdue.
    let limit = names.len() * (send_buffer_max() + MIB) + BUDGET_MIB * MIB;
    let mut id = 1;
    let (refusal, accepted) = until_refused(&mut sender, &names, &mut id, limit);
    let refused_to = names[(id - 1) % names.len()];
    assert_not_delivered(&refusal, refused_to);

    // The host holds about the budget, not the 4 MiB each of the three could hold by its own
    // limit: the stalled clients are not what its memory goes to.
    #[cfg(target_os = "linux")]
    {
        let grown = resident(&host).saturating_sub(before);
        assert!(
            grown < BUDGET_MIB * MIB + 4 * MIB,
            "the host grew by {grown} bytes for clients that do not read"
        );
    }
    // Still spent: nothing drained, so the next one as large to a staller is refused too.
    let again = pm(
        &mut sender,
        id,
        "stalled0",
        &format!("{id:06} {}", "q".repeat(TEXT)),
    );
    id += 1;
    assert_not_delivered(&again, "stalled0");

    // Whoever reads goes on as before: a private message to carol is delivered (what reaches a
    // reader is written at once, budget or not), and the room talks.
    let answer = pm(&mut sender, id, "carol", "000000 you still get these");
    id += 1;
    assert_eq!(answer["type"], "ack", "{answer}");
    carol.expect_message("sender", "pm", "000000 you still get these");
    carol.say("and the room goes on");
    sender.expect_message("carol", "say", "and the room goes on");
    // The stallers were refused messages, not let go.
    carol.send(json!({"type": "list", "id": "who"}));
    let users = carol.expect_event_where("users", |e| e["id"] == "who");
    for nick in names {
        assert!(
            users["users"].as_array().unwrap().iter().any(|u| u == nick),
            "{users}"
        );
    }

    // A staller that asks for replies it does not read cannot make them wait past the budget:
    // it is let go like any reader too far behind. What is left of the budget is less than one
    // private message, and what is left of the kernel's buffers for it is what they hold at most
    // less what it was sent already (all but what waited in the host, at most the budget), so
    // it must be gone before its replies come to those plus a round of requests: well before
    // the 4 MiB a client may hold by its own limit.
    let mut asker = stalled.remove(1);
    let list = format!("{}\n", json!({"type": "list"})).repeat(LISTS);
    let kernel_left = (send_buffer_max() + RECEIVE_BUFFER + BUDGET_MIB * MIB)
        .saturating_sub(accepted[1].len() * TEXT);
    let most = kernel_left + 2 * TEXT + LISTS * REPLY;
    let mut asked = 0;
    let leave = loop {
        assert!(
            asked * REPLY <= most,
            "a staller asked for {asked} replies it does not read and is still here"
        );
        asker.send_raw(list.as_bytes());
        asked += LISTS;
        // The room answers carol after it has seen everything the shard read before her ping.
        carol.send(json!({"type": "ping", "id": asked}));
        carol.expect_event_where("pong", |e| e["id"] == asked);
        if let Some(leave) = carol
            .events()
            .into_iter()
            .find(|e| e["type"] == "leave" && e["nick"] == "stalled1")
        {
            break leave;
        }
    };
    assert_eq!(leave["reason"], "sendq_exceeded", "{leave}");

    // Another closes: what the host held for both goes back to the budget, and the third gets
    // private messages again.
    stalled.remove(1).disconnect();
    carol.expect_event_where("leave", |e| e["nick"] == "stalled2");
    let full = format!("{id:06} {}", "q".repeat(TEXT - 7));
    let answer = pm(&mut sender, id, "stalled0", &full);
    assert_eq!(
        answer["type"], "ack",
        "budget given back on close: {answer}"
    );

    // The third reads at last: exactly the messages acknowledged to it arrive, in order, and
    // none of those refused.
    let mut reader = stalled.pop().unwrap();
    reader.expect_message("sender", "pm", &full);
    let delivered: Vec<usize> = reader
        .events()
        .iter()
        .filter(|e| e["type"] == "message" && e["kind"] == "pm")
        .map(|e| number_of(e["text"].as_str().unwrap()))
        .collect();
    let mut expected = accepted[0].clone();
    expected.push(id);
    assert_eq!(delivered, expected);
}
