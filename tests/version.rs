//! `chatroom --version` names the commit a binary was built from when it was built from a git
//! checkout (`chatroom 0.1.0 (rev abc1234)`, as ripgrep does); see build.rs.

mod harness;

use std::process::Command;
use std::time::Duration;

use harness::repo_root;

/// The short hash of the checkout's HEAD, when this is a git checkout and git runs.
fn head() -> Option<String> {
    let output = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(repo_root())
        .output()
        .ok()?;
    let rev = String::from_utf8(output.stdout).ok()?.trim().to_string();
    (output.status.success() && !rev.is_empty()).then_some(rev)
}

#[test]
fn version_names_the_commit_built_from() {
    let version = env!("CARGO_PKG_VERSION");
    let expected = match head() {
        Some(rev) if repo_root().join(".git").exists() => format!("{version} (rev {rev})"),
        // A crate tarball, or no git: the plain version.
        _ => version.to_string(),
    };
    for args in [&["--version"][..], &["-V"], &["host", "--version"]] {
        let output = harness::chatroom_cmd(Duration::from_secs(20))
            .args(args)
            .output()
            .unwrap();
        assert!(output.status.success(), "{args:?}");
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert!(
            stdout.ends_with(&format!(" {expected}\n")),
            "{args:?}: {stdout:?}, expected {expected:?}"
        );
    }
}
