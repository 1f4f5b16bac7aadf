//! The host's record of the room: its console and the optional transcript file.
//!
//! The room (and the acceptor, for its warnings) hands activity to this thread with `try_send` and
//! never waits for it, so a console nobody reads (a full pipe) or a slow disk cannot stall the
//! room. If this thread falls far behind, lines are dropped and the next line that gets through
//! says how many. Warnings go to stderr, written so that a closed or hung-up stderr is no error.
//!
//! Both outputs are written in the host's `--log-format`: readable text, or JSON lines for log
//! shippers, where a room event is the very JSON its clients receive and a note or warning is
//! `{"type":"note","ts":...,"text":...}` ([`json_line`]). Private messages are never recorded, in
//! either format: [`Recorder::record`] refuses them whoever asks.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::net::IpAddr;
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender, TrySendError};
use serde::Serialize;

use crate::cli::LogFormat;
use crate::protocol::plain::{clock, room_line};
use crate::protocol::wire::MessageKind;
use crate::protocol::{Event, Timestamp};

/// How many lines may wait for the console and transcript before new ones are dropped.
const BACKLOG: usize = 64 * 1024;

/// Something worth recording.
pub enum Activity {
    /// A public room event: message, join, leave or rename. Never a private message.
    Room(Event),
    /// Someone joined from `peer`: the address is for the operator (console and transcript),
    /// never shown to the room, so that there is something to act on (a ban).
    Arrival { event: Event, peer: IpAddr },
    /// A note about the host itself (room opened or closed, lines dropped), without the `*** `
    /// that text lines put in front. In text, the console prints its own start-up and shutdown
    /// lines, so the notes that say the same (`console: false`) are for the transcript only; in
    /// JSON the console prints every note, since its start-up lines are text.
    Note { text: String, console: bool },
    /// Something the operator should know about the host (it cannot accept connections): on
    /// stderr, and in the transcript.
    Warning { text: String },
}

/// The room's end: records activity without ever blocking. Clones record into the same
/// console and transcript (each counts its own dropped lines).
pub struct Recorder {
    tx: Option<Sender<Activity>>,
    dropped: u64,
    /// Room events and notes go somewhere (a console or a transcript); warnings always do.
    wants_room: bool,
}

impl Clone for Recorder {
    fn clone(&self) -> Self {
        Recorder {
            tx: self.tx.clone(),
            dropped: 0,
            wants_room: self.wants_room,
        }
    }
}

impl Recorder {
    /// Records `activity` if anything is listening.
    pub fn record(&mut self, activity: Activity) {
        let Some(tx) = &self.tx else { return };
        if !self.wants_room && !matches!(activity, Activity::Warning { .. }) {
            return;
        }
        if is_private(&activity) {
            return;
        }
        if self.dropped > 0 {
            let note = format!(
                "{} activity lines dropped: the console fell behind",
                self.dropped
            );
            if tx
                .try_send(Activity::Note {
                    text: note,
                    console: true,
                })
                .is_ok()
            {
                self.dropped = 0;
            }
        }
        match tx.try_send(activity) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => self.dropped += 1,
            Err(TrySendError::Disconnected(_)) => self.tx = None,
        }
    }
}

/// A join event as a JSON line, with a `peer` field for the operator.
fn with_peer(event: &Event, peer: IpAddr) -> String {
    let mut value = serde_json::to_value(event).unwrap_or_default();
    if let Some(object) = value.as_object_mut() {
        object.insert("peer".into(), peer.to_string().into());
    }
    let mut line = value.to_string();
    line.push('\n');
    line
}

/// A private message: never shown on the console nor written to the transcript.
fn is_private(activity: &Activity) -> bool {
    matches!(
        activity,
        Activity::Room(Event::Message {
            kind: MessageKind::Pm,
            ..
        })
    )
}

/// A note or warning from the host as one JSON line (newline included), shaped like the
/// protocol's events: `{"type":"note","ts":"2026-11-22T14:03:21.042Z","text":"..."}`.
pub fn json_line(kind: &str, ts: &Timestamp, text: &str) -> String {
    #[derive(Serialize)]
    struct HostLine<'a> {
        #[serde(rename = "type")]
        kind: &'a str,
        ts: &'a Timestamp,
        text: &'a str,
    }
    let mut line = serde_json::to_string(&HostLine { kind, ts, text })
        .expect("a string-only object always serializes");
    line.push('\n');
    line
}

/// Starts the recording thread, writing in `format`. With no console and no file, room events
/// are not even sent to it (it is there for warnings).
pub fn start(
    console: bool,
    file: Option<File>,
    format: LogFormat,
) -> io::Result<(Recorder, JoinHandle<()>)> {
    let wants_room = console || file.is_some();
    let (tx, rx) = crossbeam_channel::bounded(BACKLOG);
    let handle = std::thread::Builder::new()
        .name("activity".into())
        .spawn(move || write_loop(&rx, console, file, format))?;
    Ok((
        Recorder {
            tx: Some(tx),
            dropped: 0,
            wants_room,
        },
        handle,
    ))
}

fn write_loop(rx: &Receiver<Activity>, console: bool, file: Option<File>, format: LogFormat) {
    // Lines are gathered per batch and stdout is locked only to write them: holding the lock
    // for good would block anyone else printing (the start-up lines, the shutdown notice).
    let mut out = Outputs {
        console: console.then(Vec::new),
        file: file.map(BufWriter::new),
    };
    while let Ok(first) = rx.recv() {
        // Write everything that is waiting, then flush once: one syscall per batch, not per line.
        for activity in std::iter::once(first).chain(rx.try_iter()) {
            match format {
                LogFormat::Text => out.text(activity),
                LogFormat::Json => out.json(activity),
            }
        }
        if let Some(console) = &mut out.console {
            let mut stdout = io::stdout().lock();
            let _ = stdout.write_all(console).and_then(|()| stdout.flush());
            console.clear();
        }
        if let Some(file) = &mut out.file {
            let _ = file.flush();
        }
    }
}

/// Where activity goes: the console's batch (when the console shows activity) and the file.
struct Outputs {
    console: Option<Vec<u8>>,
    file: Option<BufWriter<File>>,
}

impl Outputs {
    /// Text: `[HH:MM:SS] line` (local time) on the console, `TIMESTAMP line` (UTC) in the file.
    fn text(&mut self, activity: Activity) {
        match activity {
            Activity::Room(event) => self.text_room_line(&event, None),
            Activity::Arrival { event, peer } => self.text_room_line(&event, Some(peer)),
            Activity::Warning { text } => {
                crate::error::to_stderr(format_args!("chatroom: warning: {text}"));
                if let Some(file) = &mut self.file {
                    let _ = writeln!(file, "{} warning: {text}", Timestamp::now());
                }
            }
            Activity::Note { text, console } => {
                let now = Timestamp::now();
                if let (Some(out), true) = (&mut self.console, console) {
                    let _ = writeln!(out, "[{}] *** {text}", clock(&now));
                }
                if let Some(file) = &mut self.file {
                    let _ = writeln!(file, "{now} *** {text}");
                }
            }
        }
    }

    /// A room event's line, with the address it came from when there is one.
    fn text_room_line(&mut self, event: &Event, peer: Option<IpAddr>) {
        let Some((ts, line)) = room_line(event) else {
            return;
        };
        let from = peer.map(|ip| format!(" from {ip}")).unwrap_or_default();
        if let Some(out) = &mut self.console {
            let _ = writeln!(out, "[{}] {line}{from}", clock(ts));
        }
        if let Some(file) = &mut self.file {
            let _ = writeln!(file, "{ts} {line}{from}");
        }
    }

    /// JSON lines, the same in both outputs, but warnings go to stderr rather than stdout.
    fn json(&mut self, activity: Activity) {
        let line = match activity {
            Activity::Room(event) => {
                if room_line(&event).is_none() {
                    return;
                }
                event.to_json_line()
            }
            Activity::Arrival { event, peer } => with_peer(&event, peer),
            Activity::Warning { text } => {
                let line = json_line("warning", &Timestamp::now(), &text);
                crate::error::to_stderr(line.trim_end());
                if let Some(file) = &mut self.file {
                    let _ = file.write_all(line.as_bytes());
                }
                return;
            }
            Activity::Note { text, .. } => json_line("note", &Timestamp::now(), &text),
        };
        if let Some(out) = &mut self.console {
            out.extend_from_slice(line.as_bytes());
        }
        if let Some(file) = &mut self.file {
            let _ = file.write_all(line.as_bytes());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_lines_in_json_have_a_type_a_protocol_timestamp_and_the_text() {
        let ts: Timestamp = serde_json::from_str("\"2026-11-22T14:03:21.042Z\"").unwrap();
        assert_eq!(
            json_line("note", &ts, "room \"ops\" opened"),
            "{\"type\":\"note\",\"ts\":\"2026-11-22T14:03:21.042Z\",\"text\":\"room \\\"ops\\\" opened\"}\n"
        );
    }

    #[test]
    fn private_messages_are_never_recorded() {
        let (tx, rx) = crossbeam_channel::bounded(8);
        let mut recorder = Recorder {
            tx: Some(tx),
            dropped: 0,
            wants_room: true,
        };
        let message = |kind| {
            Activity::Room(Event::Message {
                seq: 1,
                ts: Timestamp::now(),
                from: "ana".into(),
                kind,
                to: Some("bob".into()),
                text: "secret".into(),
                history: false,
            })
        };
        recorder.record(message(MessageKind::Pm));
        assert!(rx.try_recv().is_err(), "a private message was recorded");
        recorder.record(message(MessageKind::Say));
        assert!(rx.try_recv().is_ok(), "a public message was not recorded");
    }
}
