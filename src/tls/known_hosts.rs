//! The hosts a client has decided to trust by their certificate's fingerprint, as ssh keeps
//! them: `known_hosts` in chatroom's data directory (`--data-dir`, by default `chatroom` in the
//! user's data directory), one `HOST:PORT SHA256:...` a line.
//!
//! Only hosts whose certificate no certificate authority vouches for are written here (a
//! self-signed `host --tls`, trusted on first use); a certificate an authority signed is checked
//! against the system's roots every time and never pinned, because such certificates are renewed
//! every few months. Comments (`#`) and blank lines are kept as they are; a line that cannot be
//! read is reported with its number and otherwise ignored, so one bad edit does not lock a user
//! out of every room.

use std::fs::{self, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::Fingerprint;

/// The file's name, under `chatroom/` in the data directory.
const FILE_NAME: &str = "known_hosts";

/// What the file says about one host.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    /// The file has no line for this host.
    Unknown,
    /// A line for this host holds the fingerprint presented.
    Matches,
    /// The file's line `line` holds another fingerprint for this host: the host's certificate
    /// changed, or someone is standing in for it.
    Changed { stored: Fingerprint, line: usize },
}

/// One line of the file, read.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Entry {
    /// A comment or a blank line.
    Nothing,
    Host {
        host: String,
        fingerprint: Fingerprint,
    },
}

/// A line that could not be read: its number (from 1) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Malformed {
    pub line: usize,
    pub why: String,
}

/// Reads one line: `HOST:PORT SHA256:...`, spaces or tabs between, `#` starting a comment.
fn parse_line(text: &str) -> Result<Entry, String> {
    let text = text.split('#').next().unwrap_or("").trim();
    if text.is_empty() {
        return Ok(Entry::Nothing);
    }
    let mut words = text.split_whitespace();
    let (Some(host), Some(print), None) = (words.next(), words.next(), words.next()) else {
        return Err("expected HOST:PORT and a SHA256: fingerprint, separated by a space".into());
    };
    if !host.contains(':') {
        return Err(format!("'{host}' names no port (expected HOST:PORT)"));
    }
    let fingerprint = print.parse::<Fingerprint>().map_err(|e| e.to_string())?;
    Ok(Entry::Host {
        host: host.to_string(),
        fingerprint,
    })
}

/// The line that records `host` (as `HOST:PORT`, the way [`crate::client::target::Target`]
/// displays it) with `fingerprint`, newline included.
pub fn format_line(host: &str, fingerprint: &Fingerprint) -> String {
    format!("{host} {fingerprint}\n")
}

/// Looks `host` up in the file's `text` with `presented`; lines that cannot be read come back
/// too, for the caller to report. A host may have several lines (an old certificate and a new
/// one kept on purpose): any of them matching is a match; otherwise the first one is the
/// "changed" evidence.
pub fn lookup(text: &str, host: &str, presented: &Fingerprint) -> (Lookup, Vec<Malformed>) {
    let mut found = Lookup::Unknown;
    let mut malformed = Vec::new();
    for (index, line) in text.lines().enumerate() {
        match parse_line(line) {
            Err(why) => malformed.push(Malformed {
                line: index + 1,
                why,
            }),
            Ok(Entry::Nothing) => {}
            Ok(Entry::Host {
                host: named,
                fingerprint,
            }) => {
                if !named.eq_ignore_ascii_case(host) {
                    continue;
                }
                if fingerprint.matches(presented) {
                    found = Lookup::Matches;
                } else if found == Lookup::Unknown {
                    found = Lookup::Changed {
                        stored: fingerprint,
                        line: index + 1,
                    };
                }
            }
        }
    }
    (found, malformed)
}

/// The file at a path: reading it for a lookup, appending a trusted host to it.
#[derive(Debug, Clone)]
pub struct KnownHosts {
    path: PathBuf,
}

impl KnownHosts {
    pub fn at(path: PathBuf) -> Self {
        KnownHosts { path }
    }

    /// The file in chatroom's data directory: `dir` (`--data-dir`), or by default `chatroom` in
    /// the user's data directory, if the system has one.
    pub fn in_data_dir(dir: Option<&Path>) -> Option<Self> {
        let dir = dir
            .map(Path::to_path_buf)
            .or_else(crate::cli::default_data_dir)?;
        Some(Self::at(dir.join(FILE_NAME)))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// What the file says about `host` presenting `presented`. A missing file knows no host; an
    /// unreadable one is an error (trusting anew would silently bypass what it holds).
    pub fn lookup(
        &self,
        host: &str,
        presented: &Fingerprint,
    ) -> io::Result<(Lookup, Vec<Malformed>)> {
        match fs::read_to_string(&self.path) {
            Ok(text) => Ok(lookup(&text, host, presented)),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok((Lookup::Unknown, Vec::new())),
            Err(e) => Err(e),
        }
    }

    /// Appends `host`'s line, creating the file and its directory if need be. The line is
    /// written with one `write` on a file opened for appending, so two clients trusting hosts
    /// at once do not interleave their lines; a file whose last line lacks its newline gets
    /// one first.
    pub fn add(&self, host: &str, fingerprint: &Fingerprint) -> io::Result<()> {
        if let Some(dir) = self.path.parent() {
            fs::create_dir_all(dir)?;
        }
        let needs_newline = match fs::read(&self.path) {
            Ok(bytes) => bytes.last().is_some_and(|&last| last != b'\n'),
            Err(e) if e.kind() == io::ErrorKind::NotFound => false,
            Err(e) => return Err(e),
        };
        let mut options = OpenOptions::new();
        options.append(true).create(true);
        // Not a secret, but nobody else's to change: the usual mode of a user's own file.
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o644);
        let mut file = options.open(&self.path)?;
        let mut line = String::new();
        if needs_newline {
            line.push('\n');
        }
        line.push_str(&format_line(host, fingerprint));
        file.write_all(line.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn print(seed: &[u8]) -> Fingerprint {
        Fingerprint::of_der(seed)
    }

    #[test]
    fn a_line_is_what_format_line_writes() {
        let line = format_line("chat.example.org:6000", &print(b"a"));
        assert_eq!(
            parse_line(&line),
            Ok(Entry::Host {
                host: "chat.example.org:6000".into(),
                fingerprint: print(b"a"),
            })
        );
        assert_eq!(
            parse_line(&format_line("[::1]:55555", &print(b"b"))),
            Ok(Entry::Host {
                host: "[::1]:55555".into(),
                fingerprint: print(b"b"),
            })
        );
    }

    #[test]
    fn comments_and_blank_lines_are_nothing() {
        for text in ["", "   ", "# a comment", "\t# indented"] {
            assert_eq!(parse_line(text), Ok(Entry::Nothing), "{text:?}");
        }
        let with_comment = format!("h:1 {}  # the lab", print(b"a"));
        assert!(matches!(parse_line(&with_comment), Ok(Entry::Host { .. })));
    }

    #[test]
    fn bad_lines_say_why() {
        let fp = print(b"a").to_string();
        for (text, why) in [
            ("h:1", "expected HOST:PORT"),
            (&format!("h {fp}") as &str, "names no port"),
            ("h:1 MD5:abc", "starts with SHA256:"),
            (&format!("h:1 {fp} extra"), "expected HOST:PORT"),
        ] {
            let err = parse_line(text).unwrap_err();
            assert!(err.contains(why), "{text:?}: {err}");
        }
    }

    #[test]
    fn lookup_tells_unknown_matching_and_changed_hosts_apart() {
        let (old, new) = (print(b"old"), print(b"new"));
        let text =
            format!("# chatroom known hosts\n\nother:1 {new}\nbroken line\nhost:55555 {old}\n");
        let (found, malformed) = lookup(&text, "host:55555", &old);
        assert_eq!(found, Lookup::Matches);
        assert_eq!(malformed.len(), 1);
        assert_eq!(malformed[0].line, 4);
        assert_eq!(lookup(&text, "HOST:55555", &old).0, Lookup::Matches);
        assert_eq!(
            lookup(&text, "host:55555", &new).0,
            Lookup::Changed {
                stored: old,
                line: 5
            }
        );
        assert_eq!(lookup(&text, "host:4", &old).0, Lookup::Unknown);
        assert_eq!(lookup("", "host:55555", &old).0, Lookup::Unknown);
    }

    #[test]
    fn any_of_several_lines_for_a_host_may_match() {
        let (a, b) = (print(b"a"), print(b"b"));
        let text = format!("h:1 {a}\nh:1 {b}\n");
        assert_eq!(lookup(&text, "h:1", &b).0, Lookup::Matches);
        assert_eq!(
            lookup(&text, "h:1", &print(b"c")).0,
            Lookup::Changed { stored: a, line: 1 }
        );
    }

    #[test]
    fn adding_creates_the_file_and_keeps_what_was_there() {
        let dir = std::env::temp_dir().join(format!("chatroom-kh-{}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        let file = KnownHosts::at(dir.join("sub").join(FILE_NAME));
        let (a, b) = (print(b"a"), print(b"b"));
        assert_eq!(file.lookup("h:1", &a).unwrap().0, Lookup::Unknown);
        file.add("h:1", &a).unwrap();
        assert_eq!(file.lookup("h:1", &a).unwrap().0, Lookup::Matches);
        // A hand-edited last line without its newline.
        let mut text = fs::read_to_string(file.path()).unwrap();
        text.push_str("# edited");
        fs::write(file.path(), &text).unwrap();
        file.add("g:2", &b).unwrap();
        let text = fs::read_to_string(file.path()).unwrap();
        assert_eq!(text, format!("h:1 {a}\n# edited\ng:2 {b}\n"));
        let _ = fs::remove_dir_all(&dir);
    }
}
