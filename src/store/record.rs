//! One stored message: a public message or action as the room numbered it, and the row it is.

use chrono::{DateTime, Utc};

use crate::protocol::wire::{MessageKey, MessageKind};
use crate::protocol::{Event, Timestamp};

/// A public message or action, as the room numbered it: what the store keeps (never private
/// messages, joins, leaves or renames).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) seq: u64,
    pub(crate) ts: Timestamp,
    pub(crate) from: String,
    /// `Say` or `Me`.
    pub(crate) kind: MessageKind,
    pub(crate) text: String,
    /// The resend key it was sent with, if any: written with it, so a restarted room knows the
    /// resends it took (read back only by [`taken_keys`](super::taken_keys), not into history).
    pub(crate) key: Option<MessageKey>,
}

impl Record {
    /// Message `seq` from ana, `line SEQ`, said now, with no resend key: what the store's
    /// tests write.
    #[cfg(test)]
    pub(crate) fn sample(seq: u64) -> Record {
        Record {
            seq,
            ts: Timestamp::now(),
            from: "ana".into(),
            kind: MessageKind::Say,
            text: format!("line {seq}"),
            key: None,
        }
    }

    /// The record of a room event, when it is one the store keeps (a public message or action).
    pub(crate) fn of(event: &Event) -> Option<Record> {
        match event {
            Event::Message {
                seq,
                ts,
                from,
                kind: kind @ (MessageKind::Say | MessageKind::Me),
                to: None,
                text,
                ..
            } => Some(Record {
                seq: *seq,
                ts: *ts,
                from: from.clone(),
                kind: *kind,
                text: text.clone(),
                key: None,
            }),
            _ => None,
        }
    }

    /// The `message` event it was.
    pub(crate) fn to_event(&self) -> Event {
        Event::Message {
            seq: self.seq,
            ts: self.ts,
            from: self.from.clone(),
            kind: self.kind,
            to: None,
            text: self.text.clone(),
            history: false,
        }
    }

    /// The `kind` column: `message` or `action`.
    pub(crate) fn kind_column(&self) -> &'static str {
        match self.kind {
            MessageKind::Me => "action",
            _ => "message",
        }
    }

    /// The record in a row of `seq, time, sender, kind, text`.
    pub(crate) fn from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Record> {
        let seq: i64 = row.get(0)?;
        let millis: i64 = row.get(1)?;
        let kind: String = row.get(3)?;
        Ok(Record {
            seq: u64::try_from(seq).unwrap_or(0),
            ts: from_millis(millis),
            from: row.get(2)?,
            kind: if kind == "action" {
                MessageKind::Me
            } else {
                MessageKind::Say
            },
            text: row.get(4)?,
            key: None,
        })
    }
}

/// The columns [`Record::from_row`] reads, in its order.
pub(crate) const COLUMNS: &str = "seq, time, sender, kind, text";

/// A sequence number as SQLite keeps it (a signed 64-bit integer).
pub(crate) fn seq_column(seq: u64) -> i64 {
    i64::try_from(seq).unwrap_or(i64::MAX)
}

/// A message id as the `mid` column keeps it: the i64 of the same bits (SQLite has no u64), so
/// every id comes back as it was.
pub(crate) fn mid_column(mid: u64) -> i64 {
    i64::from_ne_bytes(mid.to_ne_bytes())
}

/// A `mid` column's message id.
pub(crate) fn from_mid_column(mid: i64) -> u64 {
    u64::from_ne_bytes(mid.to_ne_bytes())
}

/// A time as the `time` column keeps it: milliseconds since 1970-01-01 UTC.
pub(crate) fn millis(ts: &Timestamp) -> i64 {
    ts.0.timestamp_millis()
}

fn from_millis(millis: i64) -> Timestamp {
    Timestamp(DateTime::<Utc>::from_timestamp_millis(millis).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(kind: MessageKind, to: Option<&str>) -> Event {
        Event::Message {
            seq: 3,
            ts: from_millis(1_700_000_000_123),
            from: "ana".into(),
            kind,
            to: to.map(String::from),
            text: "hi".into(),
            history: false,
        }
    }

    #[test]
    fn public_messages_and_actions_are_kept_private_ones_never() {
        let said = Record::of(&message(MessageKind::Say, None)).unwrap();
        assert_eq!(said.kind_column(), "message");
        assert_eq!(said.to_event(), message(MessageKind::Say, None));
        let action = Record::of(&message(MessageKind::Me, None)).unwrap();
        assert_eq!(action.kind_column(), "action");
        assert_eq!(Record::of(&message(MessageKind::Pm, Some("bo"))), None);
        assert_eq!(Record::of(&Event::Ping), None);
    }

    #[test]
    fn every_message_id_survives_the_column() {
        for mid in [0, 1, i64::MAX as u64, i64::MAX as u64 + 1, u64::MAX] {
            assert_eq!(from_mid_column(mid_column(mid)), mid);
        }
    }

    #[test]
    fn times_keep_their_milliseconds() {
        let ts = from_millis(1_700_000_000_123);
        assert_eq!(millis(&ts), 1_700_000_000_123);
        assert_eq!(ts.to_string(), "2023-11-14T22:13:20.123Z");
    }
}
