//! Where the event thread prints: above the prompt on a terminal, or plain stdout.
//!
//! The event thread writes the same way in both modes through [`Output`]; only where the lines
//! land differs. A write error tells the thread that nobody is reading any more.

use std::io::{self, Write};

use rustyline::ExternalPrinter;

use crate::client::render;

/// Where the event thread writes, and how it tells the main thread it cannot any more.
pub(super) trait Output: Send {
    /// A line of the room's conversation.
    fn line(&mut self, text: &str) -> io::Result<()>;
    /// A diagnostic: an error the host reported about something we sent.
    fn diagnostic(&mut self, text: &str) -> io::Result<()>;
    /// A line a terminal word-wraps, continuation lines indented to `indent` columns.
    fn wrapped(&mut self, text: &str, _indent: usize) -> io::Result<()> {
        self.line(text)
    }
}

/// The terminal, above the prompt.
pub(super) struct Screen<P>(pub(super) P);

impl<P: ExternalPrinter + Send> Output for Screen<P> {
    fn line(&mut self, text: &str) -> io::Result<()> {
        self.0.print(format!("{text}\n")).map_err(io::Error::other)
    }

    fn diagnostic(&mut self, text: &str) -> io::Result<()> {
        self.line(text)
    }

    fn wrapped(&mut self, text: &str, indent: usize) -> io::Result<()> {
        match columns() {
            Some(columns) => self.line(&render::wrap(text, indent, columns)),
            None => self.line(text),
        }
    }
}

/// The terminal's width now (it may have been resized since the last line), if it says.
pub(super) fn columns() -> Option<usize> {
    terminal_size::terminal_size_of(io::stdout()).map(|(width, _)| usize::from(width.0))
}

/// Plain stdout (a pipe or a file); diagnostics to stderr, so a transcript stays clean.
pub(super) struct Stdout;

impl Output for Stdout {
    fn line(&mut self, text: &str) -> io::Result<()> {
        let mut out = io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")?;
        out.flush()
    }

    fn diagnostic(&mut self, text: &str) -> io::Result<()> {
        crate::error::to_stderr(format_args!("chatroom: {text}"));
        Ok(())
    }
}

/// Calls `closed` as soon as nobody can read our stdout any more (`join --json | head -1`,
/// once head has its line), rather than at the next write, which may be a long time coming
/// in a quiet room. A pipe whose reader has gone reports an error (a socket or terminal, a
/// hang-up) to `poll` without anything being written; files never do. Unix only: elsewhere
/// the next write notices.
pub(super) fn when_stdout_closes(closed: fn()) {
    #[cfg(unix)]
    {
        let _ = std::thread::Builder::new()
            .name("stdout-watch".into())
            .spawn(move || {
                if stdout_hung_up() {
                    closed();
                }
            });
    }
    #[cfg(not(unix))]
    let _ = closed;
}

/// Blocks until stdout reports an error or a hang-up (`true`), or `poll` fails (`false`).
#[cfg(unix)]
fn stdout_hung_up() -> bool {
    loop {
        // Asking for no events: only errors and hang-ups, which poll always reports, wake it.
        let mut watched = libc::pollfd {
            fd: libc::STDOUT_FILENO,
            events: 0,
            revents: 0,
        };
        // SAFETY: one valid pollfd, and its count; -1 waits without a time limit.
        let ready = unsafe { libc::poll(&mut watched, 1, -1) };
        if ready > 0 {
            return watched.revents & (libc::POLLERR | libc::POLLHUP) != 0;
        }
        if ready < 0 && io::Error::last_os_error().kind() != io::ErrorKind::Interrupted {
            return false;
        }
    }
}
