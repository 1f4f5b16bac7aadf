//! A stream entry, both ways: the fields the scripts write, and the decoding of what a reader
//! gets back.
//!
//! An entry of the room's stream holds one host's batch of events (at most
//! [`MAX_ENTRY_EVENTS`]): the field `host` is the appending host's id, and the field `events`
//! has a line for each event, `<mid> <json>`: the host's number for it (so the host knows its
//! own appends when they come back) and the event's JSON as the wire carries it, its `seq` left
//! at 0. The entry's id says which numbers the events have: `<last>-<count>`, the seq of its last
//! event and how many it holds, so its events are `last - count + 1 ..= last` in line order. The
//! id is the one source of the numbers (decoding writes them in), and "the events after seq
//! `S`" is a range query on ids, with no lookup table.
//!
//! Why batches rather than an entry per event: every host reads every entry, and both Redis
//! (about 3 us of its CPU for each `XADD`) and the reader (the redis crate's reply parser costs
//! about 0.2 us for each value in a reply) pay per entry, so a busy room's events cost a
//! fraction of that each when they travel a batch at a time.
//!
//! An entry of a host's inbox (a letter) has the same two fields with one line, under an id
//! Redis chose, and `to`, the recipient: a private message (a `message` of kind `pm`, whose own
//! `to` names the recipient when the field is missing), or an away member's answer to the
//! sender of one (an `away` event).
//!
//! Anyone who can write to the Redis can write any entry, so decoding trusts nothing: a missing
//! or repeated field, bytes that are not UTF-8, a number that is not one, a count that does not
//! match the lines, JSON that is not a room event are each a [`BadEntry`] naming the entry (and
//! the event) and what is wrong with it.

use std::fmt;

use super::host_id::HostId;
use serde::Deserialize;

use crate::protocol::wire::{Change, MessageKind};
use crate::protocol::{Event, Timestamp};

/// The field with the id of the host that appended the entry.
pub(crate) const HOST: &str = "host";
/// The field with the entry's events, a line `<mid> <json>` each.
pub(crate) const EVENTS: &str = "events";
/// The field of an inbox entry with its recipient's folded nickname.
pub(crate) const TO: &str = "to";

/// The most events one entry of the room's stream holds (a host's batch, or a dead host's
/// leaves, are split into entries of at most this many).
pub(crate) const MAX_ENTRY_EVENTS: u64 = 1_024;

/// The longest event JSON taken from the stream: a message of the longest line a host takes
/// (`--max-line`), with room for JSON escapes and the other fields.
const MAX_EVENT: usize = 4 * crate::cli::LONGEST_MAX_LINE as usize;

/// An event of the room, in the room's order.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    /// The event's place in the room (from its stream entry's id).
    pub(crate) seq: u64,
    /// The host that appended it.
    pub(crate) host: HostId,
    /// That host's number for it (0 for the leaves a reaper appends for a dead host).
    pub(crate) mid: u64,
    /// The event, its `seq` set to [`Entry::seq`].
    pub(crate) event: Event,
}

/// A letter in a host's inbox, for one of its members.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Letter {
    /// Its stream id, where the inbox's reader goes on from.
    pub(crate) id: String,
    /// The host that sent it.
    pub(crate) host: HostId,
    pub(crate) mid: u64,
    /// The recipient's nickname (any case).
    pub(crate) to: String,
    /// A `message` event of kind `pm`, or an `away` event.
    pub(crate) event: Event,
}

/// An entry (or one event of it) that cannot be read, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct BadEntry {
    pub(crate) id: String,
    pub(crate) why: String,
}

impl fmt::Display for BadEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unreadable stream entry {}: {}",
            self.id.escape_debug(),
            self.why
        )
    }
}

/// The event's JSON as an entry stores it.
pub(crate) fn event_json(event: &Event) -> String {
    // Events always serialize (see `Event::to_json_line`); an empty object would be refused
    // by every reader rather than pass for an event.
    serde_json::to_string(event).unwrap_or_else(|_| "{}".into())
}

/// Decodes an entry of the room's stream into its events, in order: `id` as Redis gave it,
/// `fields` the flat list of names and values. An entry that cannot be read at all is one
/// `Err`; otherwise each event is read on its own (one bad line does not cost the others).
pub(crate) fn decode(id: &str, fields: &[Vec<u8>]) -> Vec<Result<Entry, BadEntry>> {
    let bad = |why: String| BadEntry {
        id: id.to_string(),
        why,
    };
    let (last, count) = match numbers_of(id) {
        Ok(numbers) => numbers,
        Err(why) => return vec![Err(bad(why))],
    };
    let (host, lines) = match batch(fields) {
        Ok(batch) => batch,
        Err(why) => return vec![Err(bad(why))],
    };
    let lines: Vec<&str> = lines.split('\n').collect();
    if lines.len() as u64 != count {
        return vec![Err(bad(format!(
            "its id says {count} events, and it has {} lines",
            lines.len()
        )))];
    }
    let first = last - count + 1;
    lines
        .into_iter()
        .zip(first..)
        .map(|(line, seq)| {
            let (mid, event) = line_of(line)
                .and_then(|(mid, mut event)| stamp(&mut event, seq).map(|()| (mid, event)))
                .map_err(|why| BadEntry {
                    id: format!("{id} (event {seq})"),
                    why,
                })?;
            Ok(Entry {
                seq,
                host: host.clone(),
                mid,
                event,
            })
        })
        .collect()
}

/// Decodes an entry of a host's inbox.
pub(crate) fn decode_letter(id: &str, fields: &[Vec<u8>]) -> Result<Letter, BadEntry> {
    let bad = |why: String| BadEntry {
        id: id.to_string(),
        why,
    };
    let (host, line) = batch(fields).map_err(bad)?;
    if line.contains('\n') {
        return Err(bad("a letter has one event, and it has more".into()));
    }
    let (mid, mut event) = line_of(line).map_err(bad)?;
    let named = field(fields, TO)
        .map(|to| String::from_utf8(to.to_vec()))
        .transpose()
        .map_err(|_| bad(format!("its field '{TO}' is not UTF-8")))?;
    // Shown to a member as from a member: cleaned as the sender's host cleaned it, so a letter
    // written into Redis by hand cannot reach a terminal with escape sequences in it.
    let to = match &mut event {
        Event::Message {
            kind: MessageKind::Pm,
            to: Some(to),
            from,
            text,
            ..
        } => {
            for field in [&mut *to, from, text] {
                *field = crate::sanitize::clean(field);
            }
            named.unwrap_or_else(|| to.clone())
        }
        Event::Away { nick, message } => {
            *nick = crate::sanitize::clean(nick);
            if let Some(message) = message {
                *message = crate::sanitize::clean(message);
            }
            named.ok_or_else(|| bad(format!("its away answer has no field '{TO}'")))?
        }
        _ => {
            return Err(bad(
                "an inbox holds only private messages and away answers".into()
            ));
        }
    };
    Ok(Letter {
        id: id.to_string(),
        host,
        mid,
        to: crate::sanitize::clean(&to),
        event,
    })
}

/// The value of the field `name` (the first, if repeated).
fn field<'a>(fields: &'a [Vec<u8>], name: &str) -> Option<&'a [u8]> {
    fields
        .chunks_exact(2)
        .find(|pair| pair[0] == name.as_bytes())
        .map(|pair| pair[1].as_slice())
}

/// The seq of the last event of a room stream entry and how many it holds, from its id,
/// `<last>-<count>`.
fn numbers_of(id: &str) -> Result<(u64, u64), String> {
    id.split_once('-')
        .and_then(|(last, count)| Some((last.parse::<u64>().ok()?, count.parse::<u64>().ok()?)))
        .filter(|&(last, count)| (1..=MAX_ENTRY_EVENTS).contains(&count) && count <= last)
        .ok_or_else(|| {
            format!(
                "its id is not <last seq>-<count of events> (1 to {MAX_ENTRY_EVENTS}), so it \
                 has no place in the room's order"
            )
        })
}

/// The fields every entry has: the host that appended it, and its lines (not yet read).
fn batch(fields: &[Vec<u8>]) -> Result<(HostId, &str), String> {
    if !fields.len().is_multiple_of(2) {
        return Err("its fields do not come in name-value pairs".into());
    }
    let (mut host, mut events) = (None, None);
    for pair in fields.chunks_exact(2) {
        let slot = match pair[0].as_slice() {
            name if name == HOST.as_bytes() => &mut host,
            name if name == EVENTS.as_bytes() => &mut events,
            // A letter's `to`, or a field a later version adds.
            _ => continue,
        };
        if slot.replace(&pair[1]).is_some() {
            return Err(format!(
                "it has the field '{}' twice",
                String::from_utf8_lossy(&pair[0])
            ));
        }
    }
    fn text<'a>(name: &str, value: Option<&'a Vec<u8>>) -> Result<&'a str, String> {
        let value = value.ok_or_else(|| format!("it has no field '{name}'"))?;
        std::str::from_utf8(value).map_err(|_| format!("its field '{name}' is not UTF-8"))
    }
    let host = text(HOST, host)?
        .parse::<HostId>()
        .map_err(|why| format!("its field '{HOST}': {why}"))?;
    Ok((host, text(EVENTS, events)?))
}

/// One line of an entry's `events`: `<mid> <json>`.
fn line_of(line: &str) -> Result<(u64, Event), String> {
    let (mid, json) = line
        .split_once(' ')
        .ok_or_else(|| "its line is not '<mid> <json>'".to_string())?;
    let mid = mid.parse::<u64>().map_err(|_| {
        // Named as far as it goes in a line of the log.
        let shown: String = mid.chars().take(24).collect();
        format!("its mid is not a number ('{}')", shown.escape_debug())
    })?;
    if json.len() > MAX_EVENT {
        return Err(format!(
            "its event is {} bytes long; at most {MAX_EVENT} are taken",
            json.len()
        ));
    }
    let event = parse_event(json).map_err(|why| format!("it is not an event: {why}"))?;
    Ok((mid, event))
}

/// The fields of a room message (`Event::Message`), read straight into a struct: serde reads an
/// internally tagged enum such as [`Event`] by buffering every field first, and every host
/// decodes every message of the room, so messages (nearly all of a busy room's entries) skip
/// that. Other fields (the `type`) are ignored, as `Event` ignores them.
#[derive(Deserialize)]
struct MessageFields {
    seq: u64,
    ts: Timestamp,
    from: String,
    kind: MessageKind,
    #[serde(default)]
    to: Option<String>,
    text: String,
    #[serde(default)]
    history: bool,
}

/// An event from its JSON; a message (its `type` written first, as [`event_json`] writes it)
/// the quick way.
fn parse_event(json: &str) -> serde_json::Result<Event> {
    if json.starts_with(r#"{"type":"message","#) {
        let MessageFields {
            seq,
            ts,
            from,
            kind,
            to,
            text,
            history,
        } = serde_json::from_str(json)?;
        return Ok(Event::Message {
            seq,
            ts,
            from,
            kind,
            to,
            text,
            history,
        });
    }
    serde_json::from_str(json)
}

/// Writes `seq` into a room event; `Err` for an event that has no place in the room's order
/// (a welcome, an ack, an error, ...: things said to one client, never to the room).
fn stamp(event: &mut Event, seq: u64) -> Result<(), String> {
    match event {
        Event::Message { seq: slot, .. }
        | Event::Join { seq: slot, .. }
        | Event::Leave { seq: slot, .. }
        | Event::Nick { seq: slot, .. }
        | Event::Presence { seq: slot, .. }
        | Event::Ban { seq: slot, .. }
        | Event::Unban { seq: slot, .. }
        | Event::Op(Change { seq: slot, .. })
        | Event::Deop(Change { seq: slot, .. })
        | Event::Unmute(Change { seq: slot, .. })
        | Event::Kick {
            change: Change { seq: slot, .. },
            ..
        }
        | Event::Mute {
            change: Change { seq: slot, .. },
            ..
        } => {
            *slot = seq;
            Ok(())
        }
        // A topic change (an answer to a question about it has no seq, and no place here).
        Event::Topic {
            seq: Some(slot),
            id: None,
            ..
        } => {
            *slot = seq;
            Ok(())
        }
        _ => Err(format!("its event is not a room event: {}", kind_of(event))),
    }
}

/// The event's `type`, for an error message.
fn kind_of(event: &Event) -> String {
    serde_json::to_value(event)
        .ok()
        .and_then(|value| value.get("type").and_then(|t| t.as_str()).map(String::from))
        .unwrap_or_else(|| "unknown".into())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Timestamp;
    use crate::protocol::wire::LeaveReason;

    const HOST_ID: &str = "0123456789abcdef0123456789abcdef";

    fn leave(seq: u64) -> Event {
        Event::Leave {
            seq,
            ts: Timestamp::now(),
            nick: "ana".into(),
            reason: LeaveReason::Quit,
        }
    }

    fn fields(pairs: &[(&str, &str)]) -> Vec<Vec<u8>> {
        pairs
            .iter()
            .flat_map(|(k, v)| [k.as_bytes().to_vec(), v.as_bytes().to_vec()])
            .collect()
    }

    /// An entry of one event, numbered 7 by its host.
    fn good(event: &str) -> Vec<Vec<u8>> {
        fields(&[(HOST, HOST_ID), (EVENTS, &format!("7 {event}"))])
    }

    /// The one event of an entry of one.
    fn decode_one(id: &str, fields: &[Vec<u8>]) -> Result<Entry, BadEntry> {
        let mut decoded = decode(id, fields);
        assert_eq!(decoded.len(), 1, "{decoded:?}");
        decoded.remove(0)
    }

    #[test]
    fn an_entry_decodes_with_its_seq_from_the_id() {
        let json = event_json(&leave(0));
        let entry = decode_one("42-1", &good(&json)).unwrap();
        assert_eq!(entry.seq, 42);
        assert_eq!(entry.host.as_str(), HOST_ID);
        assert_eq!(entry.mid, 7);
        let Event::Leave { seq, .. } = entry.event else {
            panic!("{:?}", entry.event)
        };
        assert_eq!(seq, 42);
    }

    #[test]
    fn a_batch_numbers_its_events_up_to_the_last_and_reads_each_on_its_own() {
        let json = event_json(&leave(0));
        let lines = format!("3 {json}\n4 {{not json\n5 {json}");
        let decoded = decode("12-3", &fields(&[(HOST, HOST_ID), (EVENTS, &lines)]));
        let read: Vec<Result<(u64, u64), String>> = decoded
            .into_iter()
            .map(|entry| entry.map(|e| (e.seq, e.mid)).map_err(|bad| bad.to_string()))
            .collect();
        assert_eq!(read[0], Ok((10, 3)));
        assert!(
            read[1]
                .as_ref()
                .unwrap_err()
                .contains("12-3 (event 11): it is not an event"),
            "{read:?}"
        );
        assert_eq!(read[2], Ok((12, 5)));
        // The id's count must match the lines.
        for id in ["12-2", "12-4"] {
            let decoded = decode(id, &fields(&[(HOST, HOST_ID), (EVENTS, &lines)]));
            assert!(
                matches!(&decoded[..], [Err(bad)] if bad.why.contains("3 lines")),
                "{decoded:?}"
            );
        }
    }

    #[test]
    fn unknown_fields_are_ignored() {
        let mut with_extra = good(&event_json(&leave(0)));
        with_extra.extend(fields(&[("later", "x")]));
        assert!(decode_one("1-1", &with_extra).is_ok());
    }

    #[test]
    fn moderation_events_take_the_entrys_seq_and_a_topic_answer_is_refused() {
        let ts = Timestamp::now();
        let change = Change {
            seq: 0,
            ts,
            nick: "eve".into(),
            by: Some("ann".into()),
        };
        let topic = |seq: Option<u64>| Event::Topic {
            seq,
            ts: Some(ts),
            text: "release day".into(),
            by: None,
            id: None,
        };
        for event in [
            Event::Kick {
                change: change.clone(),
                reason: None,
            },
            Event::Op(change.clone()),
            Event::Unban {
                seq: 0,
                ts,
                target: "10.0.0.0/24".into(),
                by: None,
            },
            topic(Some(0)),
        ] {
            let entry = decode_one("9-1", &good(&event_json(&event))).expect("a room event");
            assert_eq!(entry.seq, 9);
            assert!(event_json(&entry.event).contains("\"seq\":9"), "{entry:?}");
        }
        let why = decode_one("9-1", &good(&event_json(&topic(None)))).unwrap_err();
        assert!(why.to_string().contains("not a room event"), "{why}");
    }

    #[test]
    fn a_message_read_the_quick_way_is_the_event_serde_reads() {
        let message = Event::Message {
            seq: 0,
            ts: Timestamp::now(),
            from: "ann".into(),
            kind: MessageKind::Me,
            to: None,
            text: "waves \"hi\" \u{1F44B}".into(),
            history: false,
        };
        let json = event_json(&message);
        assert!(json.starts_with(r#"{"type":"message","#), "{json}");
        let read = parse_event(&json).unwrap();
        assert_eq!(read, serde_json::from_str::<Event>(&json).unwrap());
        assert!(
            matches!(read, Event::Message { ref text, .. } if text == "waves \"hi\" \u{1F44B}")
        );
        // A message missing a field is refused either way.
        let broken = json.replace(r#","text":"#, r#","txt":"#);
        assert!(parse_event(&broken).is_err(), "{broken}");
    }

    #[test]
    fn malformed_entries_say_what_is_wrong() {
        let json = event_json(&leave(0));
        let one = |line: &str| fields(&[(HOST, HOST_ID), (EVENTS, line)]);
        let cases: Vec<(&str, Vec<Vec<u8>>, &str)> = vec![
            ("5-0", good(&json), "not <last seq>-<count"),
            ("0-1", good(&json), "not <last seq>-<count"),
            ("x-1", good(&json), "not <last seq>-<count"),
            ("3-5", good(&json), "not <last seq>-<count"),
            ("5000-2000", good(&json), "not <last seq>-<count"),
            ("5-1", fields(&[(HOST, HOST_ID)]), "no field 'events'"),
            ("5-1", fields(&[(EVENTS, &json)]), "no field 'host'"),
            (
                "5-1",
                fields(&[(HOST, "mallory"), (EVENTS, &format!("1 {json}"))]),
                "not a host id",
            ),
            ("5-1", one(&format!("x {json}")), "not a number"),
            ("5-1", one("nospace"), "not '<mid> <json>'"),
            ("5-1", one(&format!("-1 {json}")), "not a number"),
            (
                "5-1",
                fields(&[(HOST, HOST_ID), (HOST, HOST_ID), (EVENTS, &json)]),
                "twice",
            ),
            ("5-1", good("{not json"), "not an event"),
            ("5-1", good("[]"), "not an event"),
            ("5-1", good(r#"{"type":"ping"}"#), "not a room event: ping"),
            (
                "5-1",
                good(r#"{"type":"from_the_future"}"#),
                "not a room event",
            ),
            ("5-1", vec![b"host".to_vec()], "pairs"),
            (
                "5-1",
                vec![
                    b"host".to_vec(),
                    vec![0xff, 0xfe],
                    b"events".to_vec(),
                    format!("1 {json}").into_bytes(),
                ],
                "not UTF-8",
            ),
        ];
        for (id, fields, expected) in cases {
            let error = decode_one(id, &fields).unwrap_err();
            assert!(error.id.starts_with(id), "{error}");
            assert!(
                error.to_string().contains(expected),
                "{id} {fields:?}: {error}"
            );
        }
    }

    #[test]
    fn an_oversized_event_is_refused() {
        let huge = format!("\"{}\"", "x".repeat(MAX_EVENT));
        let error = decode_one("5-1", &good(&huge)).unwrap_err();
        assert!(error.why.contains("bytes long"), "{error}");
    }

    #[test]
    fn a_letter_is_a_private_message() {
        let pm = Event::Message {
            seq: 0,
            // Milliseconds, as the wire carries them.
            ts: serde_json::from_str("\"2026-11-22T14:03:21.042Z\"").unwrap(),
            from: "ana".into(),
            kind: MessageKind::Pm,
            to: Some("bo".into()),
            text: "hi".into(),
            history: false,
        };
        let letter = decode_letter("1700-0", &good(&event_json(&pm))).unwrap();
        assert_eq!(letter.id, "1700-0");
        assert_eq!(letter.event, pm);
        let error = decode_letter("1700-0", &good(&event_json(&leave(0)))).unwrap_err();
        assert!(error.why.contains("only private messages"), "{error}");
        // An away answer needs its recipient named.
        let away = Event::Away {
            nick: "bo".into(),
            message: Some("lunch".into()),
        };
        let error = decode_letter("1700-0", &good(&event_json(&away))).unwrap_err();
        assert!(error.why.contains("no field 'to'"), "{error}");
        let mut named = good(&event_json(&away));
        named.extend([TO.as_bytes().to_vec(), b"ana".to_vec()]);
        let letter = decode_letter("1700-1", &named).unwrap();
        assert_eq!((letter.to.as_str(), letter.event), ("ana", away));
    }

    #[test]
    fn a_letter_reaches_its_reader_without_escape_sequences() {
        let pm = Event::Message {
            seq: 0,
            ts: Timestamp::now(),
            from: "a\u{1b}]0;owned\u{7}na".into(),
            kind: MessageKind::Pm,
            to: Some("b\u{1b}[2Jo".into()),
            text: "hi\u{1b}[31m there".into(),
            history: false,
        };
        let letter = decode_letter("1700-0", &good(&event_json(&pm))).unwrap();
        let Event::Message { from, to, text, .. } = letter.event else {
            panic!("{:?}", letter.event);
        };
        assert_eq!(
            (from.as_str(), to.as_deref(), text.as_str()),
            ("ana", Some("bo"), "hi there")
        );
    }
}
