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
        eprintln!("chatroom: {text}");
        Ok(())
    }
}
