//! Properties that hold for every input, checked on random ones (proptest): sanitizing is
//! idempotent and leaves nothing a terminal would obey; no parser panics, whatever a peer sends;
//! every event and request survives being encoded and decoded; nicknames the room treats as one
//! are exactly those that fold alike.

use std::io::Cursor;

use chatroom::line::{Line, LineReader};
use chatroom::nick;
use chatroom::protocol::parse::{parse_handshake, parse_json, parse_plain};
use chatroom::protocol::wire::{ClientRequest, Event, Id, LeaveReason, MessageKey, MessageKind};
use chatroom::protocol::{ErrorCode, Timestamp};
use chatroom::sanitize::clean;
use proptest::prelude::*;

/// Text a hostile peer might send: any characters, with escape sequences and controls common.
fn hostile_text() -> impl Strategy<Value = String> {
    let pieces = prop_oneof![
        any::<char>().prop_map(String::from),
        Just("\u{1b}[".to_string()),
        Just("\u{1b}]0;".to_string()),
        Just("\u{1b}(0".to_string()),
        Just("\u{9b}".to_string()),
        Just("\u{7}".to_string()),
        Just("\u{202e}".to_string()),
        Just("\u{301}".to_string()),
        "[ -~]{0,8}",
    ];
    prop::collection::vec(pieces, 0..40).prop_map(|pieces| pieces.concat())
}

/// True for a character a terminal would act on or that would hide text.
fn is_unsafe(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// A timestamp as the wire carries it: milliseconds.
fn ts() -> impl Strategy<Value = Timestamp> {
    (0i64..4_102_444_800_000)
        .prop_map(|ms| Timestamp(chrono::DateTime::from_timestamp_millis(ms).expect("in range")))
}

fn message() -> impl Strategy<Value = Event> {
    (
        any::<u64>(),
        ts(),
        "[a-z][a-z0-9_.-]{0,10}",
        prop_oneof![
            Just(MessageKind::Say),
            Just(MessageKind::Me),
            Just(MessageKind::Pm)
        ],
        proptest::option::of("[a-z]{1,8}"),
        any::<String>(),
        any::<bool>(),
    )
        .prop_map(|(seq, ts, from, kind, to, text, history)| Event::Message {
            seq,
            ts,
            from,
            kind,
            to,
            text,
            history,
        })
}

fn id() -> impl Strategy<Value = Option<Id>> {
    proptest::option::of(prop_oneof![
        any::<u64>().prop_map(Id::from),
        any::<String>().prop_map(Id::Text),
    ])
}

fn event() -> impl Strategy<Value = Event> {
    prop_oneof![
        message(),
        (any::<u64>(), ts(), "[a-z]{1,8}", any::<usize>()).prop_map(|(seq, ts, nick, count)| {
            Event::Join {
                seq,
                ts,
                nick,
                count,
            }
        }),
        (any::<u64>(), ts(), "[a-z]{1,8}").prop_map(|(seq, ts, nick)| Event::Leave {
            seq,
            ts,
            nick,
            reason: LeaveReason::SendqExceeded,
        }),
        (id(), proptest::option::of(any::<u64>())).prop_map(|(id, seq)| Event::Ack { id, seq }),
        (id(), any::<String>()).prop_map(|(id, message)| Event::Error {
            code: ErrorCode::NoSuchNick,
            message,
            id,
        }),
        (id(), prop::collection::vec("[a-z]{1,8}", 0..5)).prop_map(|(id, users)| Event::Users {
            users,
            id,
            operators: Vec::new(),
            away: Vec::new(),
        }),
        id().prop_map(|id| Event::Pong { id }),
        any::<String>().prop_map(|reason| Event::Quit { reason }),
        Just(Event::Ping),
    ]
}

/// A message's resend key, or none.
fn key() -> impl Strategy<Value = Option<MessageKey>> {
    proptest::option::of(
        ("[0-9a-f]{32}", any::<u64>()).prop_map(|(cid, mid)| MessageKey { cid, mid }),
    )
}

fn request() -> impl Strategy<Value = ClientRequest> {
    prop_oneof![
        (any::<String>(), id(), key()).prop_map(|(text, id, key)| ClientRequest::Say {
            text,
            id,
            key
        }),
        (any::<String>(), id(), key()).prop_map(|(text, id, key)| ClientRequest::Me {
            text,
            id,
            key
        }),
        ("[a-z]{1,8}", any::<String>(), id(), key())
            .prop_map(|(to, text, id, key)| { ClientRequest::Pm { to, text, id, key } }),
        ("[a-z]{1,8}", id()).prop_map(|(nick, id)| ClientRequest::Nick { nick, id }),
        id().prop_map(|id| ClientRequest::List { id }),
        id().prop_map(|id| ClientRequest::Ping { id }),
        id().prop_map(|id| ClientRequest::Quit { id }),
        Just(ClientRequest::Pong),
    ]
}

proptest! {
    #[test]
    fn sanitizing_is_idempotent_and_leaves_nothing_a_terminal_obeys(text in hostile_text()) {
        let once = clean(&text);
        prop_assert_eq!(clean(&once), once.clone());
        prop_assert!(!once.chars().any(is_unsafe), "{:?} -> {:?}", text, once);
    }

    #[test]
    fn no_parser_panics_whatever_a_peer_sends(line in hostile_text()) {
        let _ = parse_handshake(&line);
        let _ = parse_plain(&line);
        let _ = parse_json(&line);
        let _ = serde_json::from_str::<Event>(&line);
    }

    #[test]
    fn json_shaped_garbage_is_refused_not_a_panic(
        kind in "[a-z]{0,6}",
        text in any::<String>(),
        extra in "[\\[\\]{}\":,0-9a-z]{0,20}",
    ) {
        let line = format!(r#"{{"type":"{kind}","text":{},"id":{extra}}}"#, serde_json::json!(text));
        let _ = parse_json(&line);
        let _ = parse_handshake(&line);
    }

    #[test]
    fn the_line_reader_never_returns_more_than_its_limit(
        bytes in prop::collection::vec(any::<u8>(), 0..2000),
        max in 1usize..200,
        read_size in 1usize..300,
    ) {
        let mut reader = LineReader::new(Cursor::new(bytes), max, read_size);
        while let Some(line) = reader.next_line().unwrap() {
            // Bytes that are not UTF-8 become one U+FFFD each: count characters, not bytes.
            if let Line::Text(text) = line {
                prop_assert!(text.chars().count() <= max, "{} > {max}", text.chars().count());
            }
        }
    }

    #[test]
    fn every_event_survives_encoding_and_decoding(event in event()) {
        let line = event.to_json_line();
        prop_assert!(line.ends_with('\n') && !line[..line.len() - 1].contains('\n'));
        let decoded: Event = serde_json::from_str(&line).unwrap();
        prop_assert_eq!(decoded, event);
    }

    #[test]
    fn every_request_survives_encoding_and_decoding(request in request()) {
        let line = request.to_json_line();
        prop_assert!(line.ends_with('\n') && !line[..line.len() - 1].contains('\n'));
        let decoded: ClientRequest = serde_json::from_str(&line).unwrap();
        prop_assert_eq!(decoded, request);
    }

    #[test]
    fn nicknames_are_one_exactly_when_they_fold_alike(
        a in "[A-Za-z][A-Za-z0-9_.-]{0,10}",
        b in "[A-Za-z][A-Za-z0-9_.-]{0,10}",
    ) {
        prop_assert_eq!(nick::fold(&a) == nick::fold(&b), a.eq_ignore_ascii_case(&b));
        if nick::fold(&a) == nick::fold(&b) {
            prop_assert!(nick::look_alike(&a, &b), "{a} and {b} fold alike");
        }
    }
}
