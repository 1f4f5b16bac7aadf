//! The room's state that outlives the host: its bans and its topic, in
//! `DATA_DIR/room-state.json`, or `room-state-PORT.json` in the default data directory.
//!
//! A data directory given with `--data-dir` is the room's own, so its file has one name. The
//! default directory is the user's, shared by every room they host on the machine: there the
//! file is keyed by the room's port, so that two rooms (which cannot share a port) never read or
//! overwrite each other's bans and topic, and a room restarted on its port finds its own.
//!
//! Read once at start (bans that have ended are dropped by `bans.rs`), written whole after a
//! change, through a temporary file renamed into place (mode 0600 on Unix, like the host's TLS
//! key), so a crash leaves the old file or the new one, never half of one. The file is small (at
//! most 1,024 bans) and written from the room's thread, at most once per [`WRITE_GAP`]: a change
//! after a quiet moment is written at once, and changes that follow it closely are written
//! together when the gap is over (or when the room closes). So no flood of changes (a room whose
//! topic anyone may set, `--open-topic`, gets one from any member) makes the room's thread write
//! and sync a file for each. A host that cannot write it warns once and keeps the state in
//! memory.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use super::bans::Ban;
use crate::protocol::wire::TopicInfo;

/// The file's name in a data directory of the room's own.
pub(crate) const FILE_NAME: &str = "room-state.json";

/// The file's name: [`FILE_NAME`], or keyed by `port` in a data directory other rooms share.
fn file_name(port: Option<u16>) -> String {
    match port {
        None => FILE_NAME.to_string(),
        Some(port) => format!("room-state-{port}.json"),
    }
}

/// The longest file read: far more than 1,024 bans and a topic take.
const MAX_BYTES: u64 = 4 * 1024 * 1024;

/// The least time between two writes.
pub(crate) const WRITE_GAP: Duration = Duration::from_secs(1);

/// What the file holds.
#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct RoomState {
    #[serde(default)]
    pub(crate) bans: Vec<Ban>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) topic: Option<TopicInfo>,
}

impl RoomState {
    /// The state read from JSON (a file, or a shared room's copy in Redis), its texts cleaned;
    /// `Err` says what is wrong with it.
    pub(crate) fn from_json(bytes: &[u8]) -> Result<RoomState, String> {
        if bytes.len() as u64 > MAX_BYTES {
            return Err(format!("larger than {MAX_BYTES} bytes"));
        }
        serde_json::from_slice(bytes)
            .map(RoomState::cleaned)
            .map_err(|e| e.to_string())
    }

    /// The state with its texts (topic, reasons, who set them) cleaned as a member's are: a file
    /// edited by hand reaches every newcomer's screen, so it passes the same filter.
    fn cleaned(mut self) -> Self {
        let clean = |text: &mut String| *text = crate::sanitize::clean(text);
        let clean_some = |text: &mut Option<String>| text.iter_mut().for_each(clean);
        if let Some(topic) = &mut self.topic {
            clean(&mut topic.text);
            clean_some(&mut topic.by);
        }
        // Nothing left to show is no topic.
        self.topic.take_if(|topic| topic.text.trim().is_empty());
        for ban in &mut self.bans {
            clean_some(&mut ban.by);
            clean_some(&mut ban.reason);
        }
        self
    }
}

/// The state file of a data directory, whether writing it has failed yet, and when it is to be
/// written next.
pub(crate) struct StateFile {
    /// Its name in `dir` (see [`file_name`]).
    name: String,
    dir: PathBuf,
    warned: bool,
    /// When it was last written.
    last_write: Option<Instant>,
    /// A change waits to be written then.
    due: Option<Instant>,
}

impl StateFile {
    /// The state file in `dir`; keyed by `port` when other rooms share `dir`.
    pub(crate) fn keyed(dir: &Path, port: Option<u16>) -> Self {
        StateFile {
            name: file_name(port),
            dir: dir.to_path_buf(),
            warned: false,
            last_write: None,
            due: None,
        }
    }

    /// The state changed: true when it is to be written now; otherwise it is written at
    /// [`StateFile::due`].
    pub(crate) fn changed(&mut self, now: Instant) -> bool {
        match self.last_write {
            Some(last) if now < last + WRITE_GAP => {
                self.due.get_or_insert(last + WRITE_GAP);
                false
            }
            _ => true,
        }
    }

    /// When a change waits to be written, if one does.
    pub(crate) fn due(&self) -> Option<Instant> {
        self.due
    }

    pub(crate) fn path(&self) -> PathBuf {
        self.dir.join(&self.name)
    }

    /// The saved state; empty when there is no file yet. An error names the file and says what
    /// to do.
    pub(crate) fn load(&self) -> Result<RoomState, String> {
        let path = self.path();
        let file = match std::fs::File::open(&path) {
            Ok(file) => file,
            // No file, or a data directory that cannot hold one (the first write says so).
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
                ) =>
            {
                return Ok(RoomState::default());
            }
            Err(e) => {
                return Err(format!(
                    "cannot read the room's state {}: {}",
                    path.display(),
                    crate::error::describe_io(&e)
                ));
            }
        };
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::Read::take(file, MAX_BYTES + 1), &mut bytes)
            .map_err(|e| {
                format!(
                    "cannot read the room's state {}: {}",
                    path.display(),
                    crate::error::describe_io(&e)
                )
            })?;
        if bytes.len() as u64 > MAX_BYTES {
            return Err(format!(
                "the room's state {} is larger than {MAX_BYTES} bytes: it is not one this host \
                 wrote; move it away",
                path.display()
            ));
        }
        RoomState::from_json(&bytes).map_err(|e| {
            format!(
                "the room's state {} cannot be read ({e}); fix it or move it away (its bans \
                 and topic are then forgotten)",
                path.display()
            )
        })
    }

    /// Writes `state` (at `now`); `Err(warning)` the first time it fails (later failures are
    /// quiet: the operator has been told the state lives in memory only).
    pub(crate) fn save(&mut self, state: &RoomState, now: Instant) -> Result<(), Option<String>> {
        self.last_write = Some(now);
        self.due = None;
        let bytes = serde_json::to_vec_pretty(state).map_err(|e| Some(e.to_string()))?;
        let written = crate::tls::self_signed::create_private_dir(&self.dir)
            .and_then(|()| crate::atomic_file::write(&self.path(), &bytes, 0o600));
        match written {
            Ok(()) => Ok(()),
            Err(_) if self.warned => Err(None),
            Err(e) => {
                self.warned = true;
                Err(Some(format!(
                    "cannot write the room's state {} ({}); bans and the topic are kept in memory \
                     only and will be lost when the host stops",
                    self.path().display(),
                    crate::error::describe_io(&e)
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Timestamp;

    fn state() -> RoomState {
        RoomState {
            bans: vec![Ban {
                net: "10.0.0.0/24".parse().unwrap(),
                ts: Timestamp("2026-12-07T10:00:00Z".parse().unwrap()),
                by: None,
                until: None,
                reason: Some("spam".into()),
            }],
            topic: Some(TopicInfo {
                text: "release day".into(),
                by: Some("ana".into()),
                ts: Timestamp("2026-12-07T10:00:00Z".parse().unwrap()),
            }),
        }
    }

    #[test]
    fn escape_sequences_in_a_file_edited_by_hand_are_cleaned_on_load() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::keyed(dir.path(), None);
        let text = r#"{"bans":[{"net":"10.0.0.7/32","ts":"2026-12-07T10:00:00Z","by":"a\u001b[2Jna","reason":"sp\u001b]0;x\u0007am"}],
            "topic":{"text":"\u001b[2Jrelease day","by":"b\u001b[31mob","ts":"2026-12-07T10:00:00Z"}}"#;
        std::fs::write(file.path(), text).unwrap();
        let state = file.load().unwrap();
        let topic = state.topic.unwrap();
        assert_eq!(
            (topic.text.as_str(), topic.by.as_deref()),
            ("release day", Some("bob"))
        );
        assert_eq!(state.bans[0].by.as_deref(), Some("ana"));
        assert_eq!(state.bans[0].reason.as_deref(), Some("spam"));
    }

    #[test]
    fn a_shared_data_directory_keys_the_file_by_port() {
        assert_eq!(file_name(None), "room-state.json");
        assert_eq!(file_name(Some(7000)), "room-state-7000.json");
        let dir = tempfile::tempdir().unwrap();
        let mut one = StateFile::keyed(dir.path(), Some(7000));
        one.save(&state(), Instant::now()).unwrap();
        assert_eq!(
            StateFile::keyed(dir.path(), Some(7000)).load().unwrap(),
            state()
        );
        let other = StateFile::keyed(dir.path(), Some(7001)).load().unwrap();
        assert_eq!(
            other,
            RoomState::default(),
            "another room's file is not read"
        );
    }

    #[test]
    fn what_is_saved_is_loaded() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = StateFile::keyed(&dir.path().join("data"), None);
        assert_eq!(file.load().unwrap(), RoomState::default(), "no file yet");
        file.save(&state(), Instant::now()).unwrap();
        assert_eq!(file.load().unwrap(), state());
        let text = std::fs::read_to_string(file.path()).unwrap();
        assert!(text.contains("\"10.0.0.0/24\""), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(file.path()).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn writes_are_a_gap_apart_and_changes_in_between_wait_for_it() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = StateFile::keyed(dir.path(), None);
        let t0 = Instant::now();
        assert!(file.changed(t0), "the first change is written at once");
        file.save(&state(), t0).unwrap();
        assert_eq!(file.due(), None);
        let soon = t0 + WRITE_GAP / 4;
        assert!(!file.changed(soon));
        assert!(!file.changed(soon + WRITE_GAP / 4));
        assert_eq!(file.due(), Some(t0 + WRITE_GAP), "one write for both");
        file.save(&state(), t0 + WRITE_GAP).unwrap();
        assert_eq!(file.due(), None);
        assert!(
            file.changed(t0 + WRITE_GAP * 3),
            "after a quiet moment, at once"
        );
    }

    #[test]
    fn a_damaged_file_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let file = StateFile::keyed(dir.path(), None);
        std::fs::write(file.path(), "{\"bans\": [").unwrap();
        let error = file.load().unwrap_err();
        assert!(
            error.contains(FILE_NAME) && error.contains("move it away"),
            "{error}"
        );
    }

    #[test]
    fn a_failed_write_warns_once() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("not-a-dir");
        std::fs::write(&blocker, "").unwrap();
        let mut file = StateFile::keyed(&blocker, None);
        assert_eq!(file.load().unwrap(), RoomState::default());
        let first = file.save(&state(), Instant::now()).unwrap_err();
        assert!(first.unwrap().contains("kept in memory only"));
        assert_eq!(file.save(&state(), Instant::now()), Err(None));
    }
}
