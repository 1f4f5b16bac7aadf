//! Reading lines from a socket without ever buffering more than a limit.
//!
//! `BufRead::read_line` grows its buffer until it sees a newline, so a peer that never sends one
//! could make us allocate without bound. [`LineReader`] stops at `max` bytes: it reports the line
//! as too long at once, then throws bytes away up to the next line end, and carries on with the
//! line after it. Bytes that are not UTF-8 become U+FFFD instead of failing the connection.
//!
//! A line ends at `\n`, `\r\n` or a lone `\r`. A lone `\r` ends its line at once (a client
//! that sends only CR, as some terminals in raw mode do, is not left waiting for a `\n` that never
//! comes); a `\n` right after it, even in a later read, belongs to the same line end.

use std::io::{self, Read};

/// What one call to [`LineReader::next_line`] produced.
#[derive(Debug, PartialEq, Eq)]
pub enum Line {
    /// A complete line, without its `\n`, `\r\n` or `\r`.
    Text(String),
    /// A line longer than the limit. Reported once, as soon as the limit is passed; the rest of
    /// it is discarded silently.
    TooLong,
}

/// The error [`LineReader::next_line`] returns when its read budget ran out before a line was
/// complete: nothing is lost, call again later.
#[derive(Debug)]
pub struct BudgetSpent;

impl std::fmt::Display for BudgetSpent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("read budget spent before a line was complete")
    }
}

impl std::error::Error for BudgetSpent {}

/// True when `e` is [`BudgetSpent`].
pub fn is_budget_spent(e: &io::Error) -> bool {
    e.get_ref().is_some_and(|inner| inner.is::<BudgetSpent>())
}

/// A line reader with a hard per-line limit.
pub struct LineReader<R> {
    inner: R,
    buf: Box<[u8]>,
    /// Unconsumed bytes are `buf[start..end]`.
    start: usize,
    end: usize,
    /// The line being assembled when it spans several reads.
    line: Vec<u8>,
    max: usize,
    /// Set after a `TooLong`: bytes are dropped until the next line end.
    discarding: bool,
    /// The last line ended with `\r`: a `\n` coming next is part of that line end.
    after_cr: bool,
    /// A line handed back with [`LineReader::unread`], returned before anything else.
    held: Option<Line>,
    /// Reads one call may make before giving up with [`BudgetSpent`] (`usize::MAX`: no limit).
    read_budget: usize,
}

impl<R: Read> LineReader<R> {
    /// Reads lines of at most `max` bytes (terminator excluded), `read_size` bytes at a time.
    pub fn new(inner: R, max: usize, read_size: usize) -> Self {
        LineReader {
            inner,
            buf: vec![0; read_size.max(64)].into_boxed_slice(),
            start: 0,
            end: 0,
            line: Vec::new(),
            max,
            discarding: false,
            after_cr: false,
            held: None,
            read_budget: usize::MAX,
        }
    }

    /// Limits how many reads one [`LineReader::next_line`] call may make. An event loop needs
    /// this: a peer streaming an endless line faster than we read would otherwise keep one call
    /// reading forever, and nobody else would be served.
    pub fn with_read_budget(mut self, reads: usize) -> Self {
        self.read_budget = reads.max(1);
        self
    }

    /// The next line, or `None` at end of input. A last line without a newline is returned too.
    ///
    /// I/O errors (including read timeouts) are returned as they are; the reader stays usable
    /// and no bytes are lost, so a timed-out read can be retried.
    pub fn next_line(&mut self) -> io::Result<Option<Line>> {
        if let Some(line) = self.held.take() {
            return Ok(Some(line));
        }
        let mut reads = 0;
        loop {
            if let Some(line) = self.take_buffered() {
                return Ok(Some(line));
            }
            if reads == self.read_budget {
                return Err(io::Error::other(BudgetSpent));
            }
            reads += 1;
            let n = match self.inner.read(&mut self.buf) {
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            };
            self.start = 0;
            self.end = n;
            if n == 0 {
                let was_discarding = std::mem::take(&mut self.discarding);
                if was_discarding || self.line.is_empty() {
                    return Ok(None);
                }
                // A last line without a line end is held to the limit like any other.
                if self.line.len() > self.max {
                    self.line.clear();
                    return Ok(Some(Line::TooLong));
                }
                return Ok(Some(self.finish_line()));
            }
        }
    }

    /// Consumes buffered bytes; returns a line if one is complete or has just become too long.
    fn take_buffered(&mut self) -> Option<Line> {
        if self.after_cr && self.start < self.end {
            self.after_cr = false;
            if self.buf[self.start] == b'\n' {
                self.start += 1;
            }
        }
        let pending = &self.buf[self.start..self.end];
        match memchr::memchr2(b'\n', b'\r', pending) {
            Some(at) => {
                self.after_cr = pending[at] == b'\r';
                let was_discarding = std::mem::take(&mut self.discarding);
                if !was_discarding {
                    self.line.extend_from_slice(&pending[..at]);
                }
                self.start += at + 1;
                if was_discarding {
                    // The tail of a line already reported as too long: move on to the next one.
                    return self.take_buffered();
                }
                if self.line.len() > self.max {
                    self.line.clear();
                    return Some(Line::TooLong);
                }
                Some(self.finish_line())
            }
            None => {
                if !self.discarding {
                    self.line.extend_from_slice(pending);
                }
                self.start = self.end;
                if !self.discarding && self.line.len() > self.max {
                    self.line.clear();
                    self.line.shrink_to(self.max.min(4096));
                    self.discarding = true;
                    return Some(Line::TooLong);
                }
                None
            }
        }
    }

    fn finish_line(&mut self) -> Line {
        let text = match String::from_utf8(std::mem::take(&mut self.line)) {
            Ok(text) => text,
            Err(invalid) => String::from_utf8_lossy(invalid.as_bytes()).into_owned(),
        };
        Line::Text(text)
    }

    /// Changes the longest line accepted from now on (`chatroom send` reads its first line
    /// before it knows the room's limit).
    pub fn set_max(&mut self, max: usize) {
        self.max = max;
    }

    /// Hands a line back: the next call returns it again. For a caller that read a line it
    /// may not act on yet (a flooder's, before its next token).
    pub fn unread(&mut self, line: Line) {
        self.held = Some(line);
    }

    /// The reader this wraps.
    pub fn get_ref(&self) -> &R {
        &self.inner
    }

    pub fn get_mut(&mut self) -> &mut R {
        &mut self.inner
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lines(input: &[u8], max: usize, read_size: usize) -> Vec<Line> {
        let mut reader = LineReader::new(input, max, read_size);
        let mut out = Vec::new();
        while let Some(line) = reader.next_line().unwrap() {
            out.push(line);
        }
        out
    }

    fn text(s: &str) -> Line {
        Line::Text(s.to_string())
    }

    #[test]
    fn splits_on_newlines_and_strips_crlf() {
        assert_eq!(
            lines(b"one\ntwo\r\nthree", 100, 64),
            vec![text("one"), text("two"), text("three")]
        );
    }

    #[test]
    fn lines_spanning_many_reads_are_joined() {
        let input = format!("{}\nshort\n", "x".repeat(300));
        assert_eq!(
            lines(input.as_bytes(), 1000, 64),
            vec![text(&"x".repeat(300)), text("short")]
        );
    }

    #[test]
    fn too_long_lines_are_reported_once_and_skipped() {
        let input = format!("ok\n{}\nafter\n", "y".repeat(5000));
        assert_eq!(
            lines(input.as_bytes(), 100, 64),
            vec![text("ok"), Line::TooLong, text("after")]
        );
    }

    #[test]
    fn too_long_within_one_read_is_detected_at_the_newline() {
        let input = format!("{}\nnext\n", "z".repeat(101));
        assert_eq!(
            lines(input.as_bytes(), 100, 4096),
            vec![Line::TooLong, text("next")]
        );
    }

    #[test]
    fn exactly_max_bytes_is_allowed_with_either_terminator() {
        let line = "a".repeat(100);
        let input = format!("{line}\r\n{line}\n");
        assert_eq!(
            lines(input.as_bytes(), 100, 64),
            vec![text(&line), text(&line)]
        );
    }

    #[test]
    fn a_never_ending_line_does_not_grow_the_buffer() {
        let input = vec![b'q'; 1 << 20];
        let mut reader = LineReader::new(&input[..], 100, 64);
        assert_eq!(reader.next_line().unwrap(), Some(Line::TooLong));
        assert_eq!(reader.next_line().unwrap(), None);
        assert!(reader.line.capacity() <= 4096);
    }

    #[test]
    fn invalid_utf8_is_replaced() {
        assert_eq!(
            lines(b"caf\xc3\xa9 \xff\xfe ok\n", 100, 64),
            vec![text("café \u{fffd}\u{fffd} ok")]
        );
    }

    #[test]
    fn a_read_budget_stops_an_endless_line_and_loses_nothing() {
        let input = format!("{}\nnext\n", "e".repeat(1000));
        let mut reader = LineReader::new(input.as_bytes(), 100, 64).with_read_budget(4);
        let mut spent = 0;
        let mut lines = Vec::new();
        while lines.len() < 2 {
            match reader.next_line() {
                Err(e) if is_budget_spent(&e) => spent += 1,
                other => lines.push(other.unwrap().unwrap()),
            }
        }
        assert_eq!(lines, vec![Line::TooLong, text("next")]);
        // 1,000 bytes in reads of 64 need 16 reads: with 4 per call, several calls give way.
        assert!(spent >= 3, "the budget ran out {spent} times");
    }

    #[test]
    fn an_unread_line_comes_back_first() {
        let mut reader = LineReader::new(&b"one\ntwo\n"[..], 10, 64);
        let first = reader.next_line().unwrap().unwrap();
        reader.unread(first);
        assert_eq!(reader.next_line().unwrap(), Some(text("one")));
        assert_eq!(reader.next_line().unwrap(), Some(text("two")));
    }

    #[test]
    fn a_lone_cr_ends_a_line_and_crlf_split_between_reads_is_one_line_end() {
        assert_eq!(
            lines(b"one\rtwo\r\nthree\r\rfour", 100, 64),
            vec![
                text("one"),
                text("two"),
                text("three"),
                text(""),
                text("four")
            ]
        );
        // `\r` last in one read and `\n` first in the next: one line end, not two.
        let mut input = vec![b'a'; 63];
        input.extend_from_slice(b"\r\nb\n");
        assert_eq!(
            lines(&input, 100, 64),
            vec![text(&"a".repeat(63)), text("b")]
        );
    }

    #[test]
    fn a_line_ending_in_a_lone_cr_is_returned_without_waiting_for_more() {
        // A reader that would block after `hello\r`: the line must come out before that.
        struct ThenBlock<'a>(&'a [u8]);
        impl Read for ThenBlock<'_> {
            fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
                if self.0.is_empty() {
                    return Err(io::ErrorKind::WouldBlock.into());
                }
                let n = self.0.len().min(buf.len());
                buf[..n].copy_from_slice(&self.0[..n]);
                self.0 = &self.0[n..];
                Ok(n)
            }
        }
        let mut reader = LineReader::new(ThenBlock(b"hello\r"), 100, 64);
        assert_eq!(reader.next_line().unwrap(), Some(text("hello")));
        assert!(reader.next_line().is_err());
    }

    #[test]
    fn a_last_line_without_a_line_end_is_held_to_the_limit() {
        let input = "x".repeat(65);
        assert_eq!(lines(input.as_bytes(), 64, 4096), vec![Line::TooLong]);
        assert_eq!(lines(input.as_bytes(), 64, 16), vec![Line::TooLong]);
        assert_eq!(
            lines(&input.as_bytes()[1..], 64, 4096),
            vec![text(&input[1..])]
        );
    }

    #[test]
    fn empty_lines_are_lines() {
        assert_eq!(
            lines(b"\n\r\nx\n", 10, 64),
            vec![text(""), text(""), text("x")]
        );
    }
}
