//! `chatroom --version` names the commit a binary was built from when it was built from a git
//! checkout (`chatroom 0.1.0 (rev abc1234)`, as ripgrep does); see build.rs.

mod harness;

use std::process::Command;
use std::time::Duration;

use harness::repo_root;

/// The full hash of the checkout's HEAD, when this is a git checkout and git runs.
fn head() -> Option<String> {
    if !repo_root().join(".git").exists() {
        return None;
    }
    let output = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(repo_root())
        .output()
        .ok()?;
    let rev = String::from_utf8(output.stdout).ok()?.trim().to_string();
    (output.status.success() && !rev.is_empty()).then_some(rev)
}

#[test]
fn version_names_the_commit_built_from() {
    let version = env!("CARGO_PKG_VERSION");
    for args in [&["--version"][..], &["-V"], &["host", "--version"]] {
        let output = harness::chatroom_cmd(Duration::from_secs(20))
            .args(args)
            .output()
            .unwrap();
        assert!(output.status.success(), "{args:?}");
        let stdout = String::from_utf8(output.stdout).unwrap();
        let shown = stdout
            .trim_end()
            .split_once(' ')
            .map(|(_, shown)| shown)
            .unwrap_or_else(|| panic!("{args:?}: {stdout:?}"));
        let Some(head) = head() else {
            // A crate tarball, or no git: the plain version.
            assert_eq!(shown, version, "{args:?}");
            continue;
        };
        // The abbreviation git chooses may grow with the repository, so the shown hash need
        // only be a prefix of HEAD's.
        let rev = shown
            .strip_prefix(&format!("{version} (rev "))
            .and_then(|rest| rest.strip_suffix(')'))
            .unwrap_or_else(|| panic!("{args:?}: {stdout:?} names no commit"));
        assert!(
            rev.len() >= 7 && head.starts_with(rev),
            "{args:?}: {stdout:?}, HEAD is {head}"
        );
    }
}
