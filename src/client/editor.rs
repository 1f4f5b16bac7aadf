//! The line editor of `chatroom join`: rustyline, set up for chatting.
//!
//! - **Tab** completes commands at the start of a line and the nicknames in the room anywhere
//!   (from the shared [`Roster`], so it offers exactly who is here now). A nickname completed at
//!   the start of a line gets `: ` appended, the usual way to address someone; one completed as
//!   a command's argument (`/msg`, `/kick`, `/ignore`, ...) gets a space.
//! - **`/op PASSWORD`** is masked as it is typed, and never kept in the history.
//! - **The prompt** is the start of our own chat line, `[HH:MM] <me> `, redrawn with the current
//!   time on every key: after Enter the typed line stays on screen reading like everyone else's
//!   messages, so it is never echoed twice.
//! - **Ctrl-C** clears a line that has text. On an empty line it ends `readline`, and the
//!   session says how to leave; a second Ctrl-C in a row leaves (as node's REPL does). Ctrl-D
//!   on an empty line leaves at once.
//! - **History** persists in a file (see [`default_history_path`]): bounded, no consecutive
//!   duplicates, and lines typed with a leading space are not kept, as in shells.
//!
//! Incoming events are printed with rustyline's external printer, which repaints a half-typed
//! line intact below them; see `join/output.rs`.

use std::borrow::Cow;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use rustyline::completion::{Completer, Pair};
use rustyline::config::{ColorMode, CompletionType, Config, EditMode};
use rustyline::error::ReadlineError;
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::history::{FileHistory, History};
use rustyline::validate::Validator;
use rustyline::{
    Cmd, ConditionalEventHandler, Context, Editor, Event, EventContext, EventHandler, Helper,
    KeyEvent, Movement, RepeatCount,
};

use super::input::{self, COMMANDS};
use super::render::Renderer;
use super::roster::Roster;
use crate::protocol::Timestamp;

/// Lines of history kept: enough for weeks of chatting, small enough to load instantly.
pub const HISTORY_SIZE: usize = 1000;

/// Where history lives when `--history-file` does not say: the platform's per-user data
/// directory (`$XDG_DATA_HOME`, else `~/.local/share`, on Linux; `~/Library/Application
/// Support` on macOS; `%LOCALAPPDATA%` on Windows), in a `chatroom` folder.
pub fn default_history_path() -> Option<PathBuf> {
    dirs::data_local_dir().map(|dir| dir.join("chatroom").join("history"))
}

/// What Tab offers at `pos` in `line`: where the completed word starts, and its replacements.
pub fn candidates(line: &str, pos: usize, roster: &Roster) -> (usize, Vec<String>) {
    let before = &line[..pos];
    let start = before.rfind(char::is_whitespace).map_or(0, |at| {
        at + before[at..].chars().next().map_or(1, char::len_utf8)
    });
    let word = &before[start..];
    let lower = word.to_ascii_lowercase();
    if start == 0 && word.starts_with('/') {
        let commands = COMMANDS
            .iter()
            .filter(|command| command.name.starts_with(&lower))
            .map(|command| format!("{} ", command.name))
            .collect();
        return (start, commands);
    }
    // `@bo` completes to `@bob`: the `@` stays, the nickname after it is completed.
    if let Some(nick) = word.strip_prefix('@') {
        let suffix = if start == 0 { " " } else { "" };
        return (start + 1, nicks_starting(roster, nick, suffix));
    }
    // A nickname that is a command's argument (`/kick bo`) is followed by what comes next.
    let command = before[..start].trim_end();
    let suffix = if start == 0 {
        ": "
    } else if COMMANDS
        .iter()
        .any(|c| c.takes_nick && c.name.eq_ignore_ascii_case(command))
    {
        " "
    } else {
        ""
    };
    (start, nicks_starting(roster, word, suffix))
}

/// The others' nicknames that start with `prefix` (ignoring case), each followed by `suffix`.
fn nicks_starting(roster: &Roster, prefix: &str, suffix: &str) -> Vec<String> {
    let prefix = prefix.to_ascii_lowercase();
    roster
        .others()
        .filter(|nick| nick.to_ascii_lowercase().starts_with(&prefix))
        .map(|nick| format!("{nick}{suffix}"))
        .collect()
}

/// The rustyline helper: completion and the prompt's clock.
pub struct ChatHelper {
    roster: Arc<Mutex<Roster>>,
    renderer: Arc<Renderer>,
    /// Whether the prompt being read is the chat prompt (the nickname question is not).
    chatting: bool,
}

impl Completer for ChatHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let roster = self.roster.lock().expect("roster lock");
        let (start, words) = candidates(line, pos, &roster);
        let pairs = words
            .into_iter()
            .map(|word| Pair {
                display: word.trim_end_matches([':', ' ']).to_string(),
                replacement: word,
            })
            .collect();
        Ok((start, pairs))
    }
}

impl Highlighter for ChatHelper {
    /// `/op PASSWORD` is masked as it is typed (a member's nickname is not): a password must
    /// not stay on screen, nor reach a screen share.
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        let roster = self.roster.lock().expect("roster lock");
        match input::masked(line, |word| roster.is_member(word)) {
            Some(masked) => Cow::Owned(masked),
            None => Cow::Borrowed(line),
        }
    }

    fn highlight_prompt<'b, 's: 'b, 'p: 'b>(
        &'s self,
        prompt: &'p str,
        _default: bool,
    ) -> Cow<'b, str> {
        if !self.chatting {
            return Cow::Borrowed(prompt);
        }
        let me = self.roster.lock().expect("roster lock").me.clone();
        Cow::Owned(self.renderer.prompt(&me, &Timestamp::now()))
    }

    /// Redraw on every key, so the prompt's clock is the time the line is sent.
    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        self.chatting
    }
}

impl Hinter for ChatHelper {
    type Hint = String;
}

impl Validator for ChatHelper {}

impl Helper for ChatHelper {}

/// Ctrl-C: clear the line when it has text (it stays in the kill ring, Ctrl-Y brings it back);
/// on an empty line, end `readline` as interrupted, for the session to decide.
struct ClearOrInterrupt {
    /// Set when the last key was a Ctrl-C on an empty line (see [`LineEditor::interrupted`]).
    last_was_interrupt: Arc<AtomicBool>,
}

impl ConditionalEventHandler for ClearOrInterrupt {
    fn handle(&self, _: &Event, _: RepeatCount, _: bool, ctx: &EventContext) -> Option<Cmd> {
        if ctx.line().is_empty() {
            Some(Cmd::Interrupt)
        } else {
            self.last_was_interrupt.store(false, Ordering::SeqCst);
            Some(Cmd::Kill(Movement::WholeLine))
        }
    }
}

/// Every other key: whatever it does, the next Ctrl-C is no longer "in a row".
struct AnyOtherKey {
    last_was_interrupt: Arc<AtomicBool>,
}

impl ConditionalEventHandler for AnyOtherKey {
    fn handle(&self, _: &Event, _: RepeatCount, _: bool, _: &EventContext) -> Option<Cmd> {
        self.last_was_interrupt.store(false, Ordering::SeqCst);
        None
    }
}

/// The editor and where its history is kept.
pub struct LineEditor {
    editor: Editor<ChatHelper, FileHistory>,
    history_path: Option<PathBuf>,
    /// Whether the last key was a Ctrl-C on an empty line; the key handlers keep it.
    last_was_interrupt: Arc<AtomicBool>,
}

impl LineEditor {
    /// Sets up the editor and loads the history from `history_path` (a missing file is a
    /// fresh start; an unreadable one is reported and ignored).
    pub fn new(
        roster: Arc<Mutex<Roster>>,
        renderer: Arc<Renderer>,
        history_path: Option<PathBuf>,
    ) -> rustyline::Result<Self> {
        let config = Config::builder()
            .edit_mode(EditMode::Emacs)
            .max_history_size(HISTORY_SIZE)?
            .history_ignore_dups(true)?
            .history_ignore_space(true)
            .auto_add_history(false)
            .completion_type(CompletionType::List)
            // The helper decides about colors itself (the prompt's clock must be redrawn even
            // without them), so rustyline always goes through it.
            .color_mode(ColorMode::Forced)
            .build();
        let mut editor = Editor::with_config(config)?;
        editor.set_helper(Some(ChatHelper {
            roster,
            renderer,
            chatting: false,
        }));
        let last_was_interrupt = Arc::new(AtomicBool::new(false));
        editor.bind_sequence(
            KeyEvent::ctrl('C'),
            EventHandler::Conditional(Box::new(ClearOrInterrupt {
                last_was_interrupt: last_was_interrupt.clone(),
            })),
        );
        editor.bind_sequence(
            Event::Any,
            EventHandler::Conditional(Box::new(AnyOtherKey {
                last_was_interrupt: last_was_interrupt.clone(),
            })),
        );
        if let Some(path) = &history_path
            && path.exists()
            && let Err(e) = editor.load_history(path)
        {
            crate::error::to_stderr(format_args!(
                "chatroom: warning: cannot read the history in {}: {e}",
                path.display()
            ));
        }
        Ok(LineEditor {
            editor,
            history_path,
            last_was_interrupt,
        })
    }

    /// A printer that writes above the prompt, keeping a half-typed line intact.
    pub fn printer(&mut self) -> rustyline::Result<impl rustyline::ExternalPrinter + Send + use<>> {
        self.editor.create_external_printer()
    }

    /// Asks for a nickname on an empty line, showing `default` as `nickname [default]: `;
    /// Enter on an empty line takes the default (or asks again when there is none).
    pub fn read_nick(&mut self, default: Option<&str>) -> Result<String, ReadlineError> {
        self.set_chatting(false);
        let prompt = nick_prompt(default);
        loop {
            let typed = self.editor.readline(&prompt)?;
            match (typed.trim(), default) {
                ("", Some(default)) => return Ok(default.to_string()),
                ("", None) => continue,
                (typed, _) => return Ok(typed.to_string()),
            }
        }
    }

    /// Reads one chat line; the prompt is `raw_prompt` as rustyline measures it, drawn by the
    /// helper with our color and the current time.
    pub fn read_line(&mut self, raw_prompt: &str) -> Result<String, ReadlineError> {
        self.set_chatting(true);
        self.editor.readline(raw_prompt)
    }

    /// After `readline` ended with Ctrl-C on an empty line: whether it was the second in a
    /// row (no other key in between), which means leave. The first one only arms it.
    pub fn interrupted(&mut self) -> bool {
        self.last_was_interrupt.swap(true, Ordering::SeqCst)
    }

    fn set_chatting(&mut self, chatting: bool) {
        if let Some(helper) = self.editor.helper_mut() {
            helper.chatting = chatting;
        }
    }

    /// The terminal's width as the editor sees it.
    pub fn columns(&mut self) -> Option<usize> {
        self.editor
            .dimensions()
            .map(|(columns, _)| usize::from(columns))
    }

    /// Adds a line to the history (rustyline drops duplicates and space-led lines).
    pub fn remember(&mut self, line: &str) {
        let _ = self.editor.add_history_entry(line);
    }

    pub fn clear_screen(&mut self) {
        let _ = self.editor.clear_screen();
    }

    /// Writes the history file, creating its folder. Failing to is worth a warning, not a
    /// failed session.
    pub fn save_history(&mut self) {
        let Some(path) = self.history_path.clone() else {
            return;
        };
        if self.editor.history().is_empty() {
            return;
        }
        if let Err(why) = save(&mut self.editor, &path) {
            crate::error::to_stderr(format_args!(
                "chatroom: warning: cannot save the history to {}: {why}",
                path.display()
            ));
        }
    }
}

/// How many terminal rows `readline` used for `prompt` and `line` at `columns` wide, laid out
/// as rustyline lays them out (a character that does not fit goes to the next row whole; a
/// row filled exactly moves the cursor to the next one): after Enter, the cursor is that many
/// rows below where the prompt started.
pub fn rows(prompt: &str, line: &str, columns: usize) -> usize {
    let columns = columns.max(1);
    let (mut row, mut col) = (0, 0);
    for c in prompt.chars().chain(line.chars()) {
        if c == '\n' {
            (row, col) = (row + 1, 0);
            continue;
        }
        let w = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
        col += w;
        if col > columns {
            (row, col) = (row + 1, w);
        }
    }
    if col == columns {
        row += 1;
    }
    row + 1
}

/// The nickname question, with the default Enter takes.
fn nick_prompt(default: Option<&str>) -> String {
    match default {
        Some(default) => format!("nickname [{default}]: "),
        None => "nickname: ".to_string(),
    }
}

fn save(editor: &mut Editor<ChatHelper, FileHistory>, path: &Path) -> Result<(), String> {
    if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| crate::error::describe_io(&e))?;
    }
    editor.save_history(path).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roster() -> Roster {
        Roster::new(
            "ana",
            &["ana".into(), "bob".into(), "Bobby".into(), "carol".into()],
        )
    }

    fn complete(line: &str) -> (usize, Vec<String>) {
        candidates(line, line.len(), &roster())
    }

    #[test]
    fn a_nick_at_the_start_of_a_line_is_addressed() {
        assert_eq!(complete("car"), (0, vec!["carol: ".to_string()]));
        assert_eq!(
            complete("bo"),
            (0, vec!["bob: ".to_string(), "Bobby: ".to_string()])
        );
    }

    #[test]
    fn a_nick_later_in_a_line_is_just_the_nick() {
        assert_eq!(complete("hi CAR"), (3, vec!["carol".to_string()]));
        assert_eq!(complete("/msg car"), (5, vec!["carol ".to_string()]));
        assert_eq!(complete("/kick car"), (6, vec!["carol ".to_string()]));
        assert_eq!(
            complete("/IGNORE b"),
            (8, vec!["bob ".to_string(), "Bobby ".to_string()])
        );
        assert_eq!(complete("/ban eve car"), (9, vec!["carol".to_string()]));
        assert_eq!(complete("héllo car"), (7, vec!["carol".to_string()]));
    }

    #[test]
    fn an_at_sign_stays_and_the_nick_after_it_completes() {
        assert_eq!(
            complete("@b"),
            (1, vec!["bob ".to_string(), "Bobby ".to_string()])
        );
        assert_eq!(complete("thanks @CA"), (8, vec!["carol".to_string()]));
        assert_eq!(complete("@an"), (1, vec![]));
    }

    #[test]
    fn we_are_not_offered_to_ourselves() {
        assert_eq!(complete("an"), (0, vec![]));
    }

    #[test]
    fn commands_complete_at_the_start_only() {
        assert_eq!(complete("/ms"), (0, vec!["/msg ".to_string()]));
        assert_eq!(complete("/e"), (0, vec!["/exit ".to_string()]));
        assert_eq!(complete("see /ms"), (4, vec![]));
    }

    #[test]
    fn rows_are_counted_as_rustyline_lays_them_out() {
        assert_eq!(rows("<a> ", "", 80), 1);
        assert_eq!(rows("<a> ", "h", 6), 1);
        // A row filled exactly: the cursor is already on the next one.
        assert_eq!(rows("<a> ", "hi", 6), 2);
        assert_eq!(rows("<a> ", "hi!", 6), 2);
        assert_eq!(rows("<a> ", &"x".repeat(19), 6), 4);
        assert_eq!(rows("<a> ", &"x".repeat(20), 6), 5);
        // Pasted lines, and a wide character that does not fit at the end of a row.
        assert_eq!(rows("<a> ", "one\ntwo\nthree", 80), 3);
        assert_eq!(rows("<a> ", "x日", 6), 2);
    }

    #[test]
    fn the_nickname_question_shows_its_default() {
        assert_eq!(nick_prompt(Some("guest")), "nickname [guest]: ");
        assert_eq!(nick_prompt(None), "nickname: ");
    }

    #[test]
    fn the_history_file_is_in_a_chatroom_folder() {
        if let Some(path) = default_history_path() {
            assert!(path.ends_with("chatroom/history"), "{}", path.display());
        }
    }
}
