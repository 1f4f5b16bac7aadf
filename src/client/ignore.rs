//! `/ignore`: nicknames whose messages `join` hides from our screen, and from ours only.
//!
//! The room still delivers them (the host knows nothing of it, as in IRC): what is hidden are
//! the nick's messages, actions and private messages, live or replayed from history (after
//! joining, or as the gap fill after a reconnect). Joins, leaves, renames and moderation events
//! stay visible, so the room's state on screen stays true. `join --json` passes every line on
//! as received: a bot decides for itself what to ignore.
//!
//! The list is kept per room (one file per `host:port`) in an `ignore` folder beside the line
//! editor's history file, one nickname a line, at most [`MAX_IGNORED`], written through a
//! temporary file renamed into place so a crash never leaves half a list. Nicknames are
//! compared ignoring ASCII case, as the room compares them. A rename seen in the room is
//! followed, so `/nick` does not undo an ignore for the rest of the session and after.

use std::path::{Path, PathBuf};

use super::target::Target;
use crate::nick;

/// How many nicknames one room's list may hold: far more than anyone ignores, few enough that
/// the file and every lookup stay small.
pub const MAX_IGNORED: usize = 1000;

/// The ignored nicknames of one room, and where they are kept.
#[derive(Debug, Default)]
pub struct IgnoreList {
    nicks: Vec<String>,
    /// `None`: kept for this session only (no data directory).
    path: Option<PathBuf>,
}

/// The file holding the list for `target`, in `dir` (the history file's folder): the host's
/// name made safe as a file name on every platform, and the port.
pub fn path_for(dir: &Path, target: &Target) -> PathBuf {
    dir.join("ignore").join(file_name(target))
}

/// `example.org-7000`; characters a file name may not hold everywhere (IPv6 colons) become `_`.
fn file_name(target: &Target) -> String {
    let host: String = target
        .host
        .to_ascii_lowercase()
        .chars()
        .map(|c| match c {
            c if c.is_ascii_alphanumeric() || c == '.' || c == '-' => c,
            _ => '_',
        })
        .collect();
    format!("{host}-{}", target.port)
}

/// The nicknames in a list file's text: one a line, invalid ones and those past
/// [`MAX_IGNORED`] dropped (the file is ours, but may have been edited by hand).
fn parse(text: &str) -> Vec<String> {
    let mut nicks: Vec<String> = Vec::new();
    for line in text.lines().map(str::trim) {
        if nicks.len() == MAX_IGNORED {
            break;
        }
        if nick::validate(line).is_ok() && !nicks.iter().any(|n| n.eq_ignore_ascii_case(line)) {
            nicks.push(line.to_string());
        }
    }
    nicks
}

impl IgnoreList {
    /// The list kept at `path` (empty when there is none yet). An unreadable file gives an
    /// empty list and a warning to show; the session goes on.
    pub fn load(path: Option<PathBuf>) -> (IgnoreList, Option<String>) {
        let mut list = IgnoreList {
            nicks: Vec::new(),
            path,
        };
        let Some(path) = &list.path else {
            return (list, None);
        };
        match std::fs::read_to_string(path) {
            Ok(text) => list.nicks = parse(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => {
                let warning = format!(
                    "cannot read the ignore list {}: {}",
                    path.display(),
                    crate::error::describe_io(&e)
                );
                return (list, Some(warning));
            }
        }
        (list, None)
    }

    /// Whether messages from `nick` are hidden.
    pub fn hides(&self, nick: &str) -> bool {
        self.nicks.iter().any(|n| n.eq_ignore_ascii_case(nick))
    }

    /// The nicknames ignored, in the order they were added.
    pub fn nicks(&self) -> &[String] {
        &self.nicks
    }

    /// Ignores `nick` and saves the list. `Ok(false)` if it was already; `Err` says why not
    /// (a full list, a file that cannot be written: the ignore then lasts for this session).
    pub fn add(&mut self, nick: &str) -> Result<bool, String> {
        if self.hides(nick) {
            return Ok(false);
        }
        if self.nicks.len() >= MAX_IGNORED {
            return Err(format!(
                "the ignore list is full ({MAX_IGNORED} nicknames); /unignore someone first"
            ));
        }
        self.nicks.push(nick.to_string());
        self.save().map(|()| true)
    }

    /// Stops ignoring `nick` and saves the list; `Ok(false)` if it was not ignored.
    pub fn remove(&mut self, nick: &str) -> Result<bool, String> {
        let before = self.nicks.len();
        self.nicks.retain(|n| !n.eq_ignore_ascii_case(nick));
        if self.nicks.len() == before {
            return Ok(false);
        }
        self.save().map(|()| true)
    }

    /// Someone ignored changed nickname: the ignore follows them. `Err` when the list could
    /// not be saved.
    pub fn renamed(&mut self, old: &str, new: &str) -> Result<(), String> {
        let Some(at) = self.nicks.iter().position(|n| n.eq_ignore_ascii_case(old)) else {
            return Ok(());
        };
        if self.hides(new) {
            self.nicks.remove(at);
        } else {
            self.nicks[at] = new.to_string();
        }
        self.save()
    }

    /// Writes the list through a temporary file in the same folder, renamed into place.
    fn save(&self) -> Result<(), String> {
        let Some(path) = &self.path else {
            return Ok(());
        };
        let cannot = |why: String| {
            format!(
                "cannot save the ignore list to {} ({why}); it holds for this session only",
                path.display()
            )
        };
        let dir = path.parent().unwrap_or(Path::new("."));
        std::fs::create_dir_all(dir).map_err(|e| cannot(crate::error::describe_io(&e)))?;
        let mut text = self.nicks.join("\n");
        text.push('\n');
        crate::atomic_file::write(path, text.as_bytes(), 0o600)
            .map_err(|e| cannot(crate::error::describe_io(&e)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(host: &str) -> Target {
        Target {
            host: host.into(),
            port: 7000,
        }
    }

    #[test]
    fn one_file_per_room_with_a_safe_name() {
        let dir = Path::new("data");
        assert_eq!(
            path_for(dir, &target("Chat.Example.org")),
            dir.join("ignore").join("chat.example.org-7000")
        );
        assert_eq!(file_name(&target("::1")), "__1-7000");
        assert_eq!(file_name(&target("../etc")), ".._etc-7000");
    }

    #[test]
    fn the_file_is_read_leniently_and_bounded() {
        assert_eq!(parse("bob\n\n  Eve \nbad nick\nBOB\n"), ["bob", "Eve"]);
        let many: Vec<String> = (0..MAX_IGNORED + 5).map(|i| format!("n{i}")).collect();
        assert_eq!(parse(&many.join("\n")).len(), MAX_IGNORED);
    }

    #[test]
    fn kept_across_loads_ignoring_case() {
        let dir = tempfile::tempdir().unwrap();
        let path = path_for(dir.path(), &target("localhost"));
        let (mut list, warning) = IgnoreList::load(Some(path.clone()));
        assert_eq!(warning, None);
        assert_eq!(list.add("Bob"), Ok(true));
        assert_eq!(list.add("bob"), Ok(false));
        assert_eq!(list.add("eve"), Ok(true));
        assert!(list.hides("BOB"));
        let (mut again, _) = IgnoreList::load(Some(path.clone()));
        assert_eq!(again.nicks(), ["Bob", "eve"]);
        assert_eq!(again.remove("EVE"), Ok(true));
        assert_eq!(again.remove("carol"), Ok(false));
        again.renamed("bob", "rob").unwrap();
        let (last, _) = IgnoreList::load(Some(path));
        assert_eq!(last.nicks(), ["rob"]);
        assert!(!last.hides("bob"));
    }

    #[test]
    fn a_full_list_refuses_more() {
        let mut list = IgnoreList::default();
        for i in 0..MAX_IGNORED {
            assert_eq!(list.add(&format!("n{i}")), Ok(true));
        }
        assert!(list.add("one_more").unwrap_err().contains("full"));
    }
}
