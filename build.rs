//! Stamps the commit a binary was built from into `chatroom --version`, as ripgrep does:
//! `chatroom 0.1.0 (rev abc1234)` from a git checkout, plain `chatroom 0.1.0` from a crate
//! tarball or where git is missing. It sets `CHATROOM_VERSION` for `src/cli.rs`.
//!
//! The man pages and completions are generated with the plain version (`src/docs/`), so the
//! checked-in copies do not change with every commit.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let version = env!("CARGO_PKG_VERSION");
    let full = match git_revision() {
        Some(rev) => format!("{version} (rev {rev})"),
        None => version.to_string(),
    };
    println!("cargo:rustc-env=CHATROOM_VERSION={full}");
}

/// The short hash of HEAD, or `None` outside a git checkout or without a working git.
///
/// Only a checkout has `.git` (a directory, or a file in a worktree); a crate tarball unpacked
/// inside some other repository must not take that repository's commit.
fn git_revision() -> Option<String> {
    if !Path::new(".git").exists() {
        return None;
    }
    let rev = git(&["rev-parse", "--short", "HEAD"])?;
    // Build again when HEAD moves: a new commit changes the ref HEAD points to, a checkout of
    // another branch or commit changes HEAD itself. Cargo rebuilds every time for a path that
    // does not exist, so only existing files are named (a packed ref lives in packed-refs).
    let mut watched = vec![git(&["rev-parse", "--git-path", "HEAD"])?];
    if let Some(reference) = git(&["symbolic-ref", "--quiet", "HEAD"]) {
        watched.push(git(&["rev-parse", "--git-path", &reference])?);
        watched.push(git(&["rev-parse", "--git-path", "packed-refs"])?);
    }
    for path in watched.iter().filter(|path| Path::new(path).exists()) {
        println!("cargo:rerun-if-changed={path}");
    }
    Some(rev)
}

/// The trimmed output of a successful `git ARGS`, or `None`.
fn git(args: &[&str]) -> Option<String> {
    let output = Command::new("git").args(args).output().ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}
