//! Shell completions and man pages, generated from the one clap definition in [`crate::cli`].
//!
//! The same bytes reach users three ways: `chatroom completions SHELL` and `chatroom man` print
//! them, the repository checks them in under `completions/` and `man/` for packagers and the
//! release archives, and `tests/generated_files.rs` fails when the checked-in copies drift from
//! what this code renders (`CHATROOM_BLESS=1 cargo test --test generated_files` rewrites them).
//!
//! Everything is rendered into memory before it is written: a generator writing straight to
//! stdout panics when the reader goes away (`chatroom completions bash | head -1`), and a closed
//! pipe is the reader's choice, not our failure.

pub mod completions;
pub mod man;

use std::io::{self, Write};
use std::path::PathBuf;

use clap::CommandFactory;
use clap::builder::{PossibleValue, PossibleValuesParser};

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::error::{Error, Result, describe_io};

/// The program name that completion scripts complete and man pages are titled with.
pub const BIN_NAME: &str = "chatroom";

/// The clap definition as the generated files describe it.
///
/// - The plain version (`0.1.0`), never the commit the binary was built from (`0.1.0 (rev
///   abc1234)`, see build.rs), so the checked-in man pages do not change with every commit.
/// - `chatroom man`'s COMMAND takes the page names, so shells complete them. Parsing does not
///   need them: `chatroom man` explains an unknown name itself.
pub fn command() -> clap::Command {
    let cli = Cli::command().version(env!("CARGO_PKG_VERSION"));
    let pages: Vec<PossibleValue> = cli
        .get_subcommands()
        .filter(|cmd| !cmd.is_hide_set())
        .map(|cmd| {
            let page = PossibleValue::new(cmd.get_name().to_string());
            match cmd.get_about() {
                Some(about) => page.help(about.clone()),
                None => page,
            }
        })
        .collect();
    cli.mut_subcommand("man", |man| {
        man.mut_arg("command", |arg| {
            arg.value_parser(PossibleValuesParser::new(pages))
        })
    })
}

/// The folders, relative to the repository root, that hold nothing but generated files.
pub const GENERATED_DIRS: [&str; 2] = [completions::DIR, man::DIR];

/// One file that the repository checks in under [`GENERATED_DIRS`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Where the file lives, relative to the repository root.
    pub path: PathBuf,
    pub contents: Vec<u8>,
}

/// Every completion script and man page, as they should be checked in.
pub fn generated_files() -> Vec<GeneratedFile> {
    let scripts = completions::all()
        .into_iter()
        .map(|(name, contents)| GeneratedFile {
            path: PathBuf::from(completions::DIR).join(name),
            contents,
        });
    let pages = man::all()
        .into_iter()
        .map(|(name, contents)| GeneratedFile {
            path: PathBuf::from(man::DIR).join(name),
            contents,
        });
    scripts.chain(pages).collect()
}

/// `chatroom completions SHELL`: print the completion script for one shell.
pub fn run_completions(args: &CompletionsArgs) -> Result<()> {
    write_stdout(&completions::render(args.shell))
}

/// `chatroom man [COMMAND]`: print chatroom(1) or one command's page.
pub fn run_man(args: &ManArgs) -> Result<()> {
    write_stdout(&man::render(args.command.as_deref())?)
}

/// Writes `bytes` to stdout; a reader that has gone away is not an error.
pub fn write_stdout(bytes: &[u8]) -> Result<()> {
    write_all_tolerating_closed_pipe(&mut io::stdout().lock(), bytes)
        .map_err(|err| Error::failure(format!("cannot write to stdout: {}", describe_io(&err))))
}

/// `write_all` and `flush`, treating a broken pipe as success: `chatroom man | head` is a
/// reader that has read enough, and must leave the exit status 0.
fn write_all_tolerating_closed_pipe(out: &mut impl Write, bytes: &[u8]) -> io::Result<()> {
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(err) if err.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer whose reader has gone away, or that fails some other way.
    struct Failing(io::ErrorKind);

    impl Write for Failing {
        fn write(&mut self, _: &[u8]) -> io::Result<usize> {
            Err(self.0.into())
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_closed_pipe_is_success() {
        let result =
            write_all_tolerating_closed_pipe(&mut Failing(io::ErrorKind::BrokenPipe), b"x");
        assert!(result.is_ok());
    }

    #[test]
    fn other_write_errors_are_reported() {
        let result =
            write_all_tolerating_closed_pipe(&mut Failing(io::ErrorKind::PermissionDenied), b"x");
        assert_eq!(result.unwrap_err().kind(), io::ErrorKind::PermissionDenied);
    }

    #[test]
    fn the_bin_name_is_the_commands_name() {
        assert_eq!(Cli::command().get_name(), BIN_NAME);
    }

    #[test]
    fn generated_files_name_the_plain_version_never_a_commit() {
        for file in generated_files() {
            let text = String::from_utf8_lossy(&file.contents);
            assert!(!text.contains("(rev "), "{}", file.path.display());
        }
        let page = String::from_utf8(man::render(None).unwrap()).unwrap();
        assert!(page.contains(&format!("\"chatroom {}\"", env!("CARGO_PKG_VERSION"))));
        assert!(page.contains(&format!("v{}\n", env!("CARGO_PKG_VERSION"))));
    }

    #[test]
    fn generated_files_live_in_the_generated_dirs_and_are_unique() {
        let files = generated_files();
        let mut paths: Vec<_> = files.iter().map(|f| f.path.clone()).collect();
        paths.sort();
        paths.dedup();
        assert_eq!(paths.len(), files.len());
        for path in paths {
            let dir = path.parent().and_then(|p| p.to_str()).unwrap();
            assert!(
                GENERATED_DIRS.contains(&dir),
                "{} is outside them",
                path.display()
            );
        }
    }
}
