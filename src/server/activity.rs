//! The host's record of the room: its console and the optional transcript file.
//!
//! The room (and the acceptor, for its warnings) hands activity to this thread with `try_send` and
//! never waits for it, so a console nobody reads (a full pipe) or a slow disk cannot stall the
//! room. If this thread falls far behind, lines are dropped and the next line that gets through
//! says how many. Warnings go to stderr, written so that a closed or hung-up stderr is no error.

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::thread::JoinHandle;

use crossbeam_channel::{Receiver, Sender, TrySendError};

use crate::protocol::plain::{clock, room_line};
use crate::protocol::{Event, Timestamp};

/// How many lines may wait for the console and transcript before new ones are dropped.
const BACKLOG: usize = 64 * 1024;

/// Something worth recording.
pub enum Activity {
    /// A public room event: message, join, leave or rename. Never a private message.
    Room(Event),
    /// A note about the host itself (room opened or closed, lines dropped). The console prints
    /// its own start-up and shutdown lines, so those notes are for the transcript only.
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
        if self.dropped > 0 {
            let note = format!(
                "({} activity lines dropped: the console fell behind)",
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

/// Starts the recording thread. With no console and no file, room events are not even sent to
/// it (it is there for warnings).
pub fn start(console: bool, file: Option<File>) -> io::Result<(Recorder, JoinHandle<()>)> {
    let wants_room = console || file.is_some();
    let (tx, rx) = crossbeam_channel::bounded(BACKLOG);
    let handle = std::thread::Builder::new()
        .name("activity".into())
        .spawn(move || write_loop(&rx, console, file))?;
    Ok((
        Recorder {
            tx: Some(tx),
            dropped: 0,
            wants_room,
        },
        handle,
    ))
}

fn write_loop(rx: &Receiver<Activity>, console: bool, file: Option<File>) {
    // Lines are gathered per batch and stdout is locked only to write them: holding the lock
    // for good would block anyone else printing (the start-up lines, the shutdown notice).
    let mut out: Option<Vec<u8>> = console.then(Vec::new);
    let mut file = file.map(BufWriter::new);
    while let Ok(first) = rx.recv() {
        // Write everything that is waiting, then flush once: one syscall per batch, not per line.
        for activity in std::iter::once(first).chain(rx.try_iter()) {
            match activity {
                Activity::Room(event) => {
                    let Some((ts, line)) = room_line(&event) else {
                        continue;
                    };
                    if let Some(out) = &mut out {
                        let _ = writeln!(out, "[{}] {line}", clock(ts));
                    }
                    if let Some(file) = &mut file {
                        let _ = writeln!(file, "{ts} {line}");
                    }
                }
                Activity::Warning { text } => {
                    crate::error::to_stderr(format_args!("chatroom: warning: {text}"));
                    if let Some(file) = &mut file {
                        let _ = writeln!(file, "{} warning: {text}", Timestamp::now());
                    }
                }
                Activity::Note { text, console } => {
                    let now = Timestamp::now();
                    if let (Some(out), true) = (&mut out, console) {
                        let _ = writeln!(out, "[{}] {text}", clock(&now));
                    }
                    if let Some(file) = &mut file {
                        let _ = writeln!(file, "{now} {text}");
                    }
                }
            }
        }
        if let Some(out) = &mut out {
            let mut stdout = io::stdout().lock();
            let _ = stdout.write_all(out).and_then(|()| stdout.flush());
            out.clear();
        }
        if let Some(file) = &mut file {
            let _ = file.flush();
        }
    }
}
