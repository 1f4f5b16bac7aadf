//! `rust-version` in Cargo.toml is what CI's MSRV job tests with and what the README asks for,
//! so the promise is checked by the job that runs the whole suite on that toolchain.

mod harness;

use harness::{repo_file, repo_root};

/// The `rust-version` Cargo.toml declares.
fn declared() -> String {
    let manifest = repo_file("Cargo.toml");
    let line = manifest
        .lines()
        .find(|line| line.starts_with("rust-version = "))
        .expect("Cargo.toml declares a rust-version");
    line.split('"').nth(1).unwrap().to_string()
}

#[test]
fn the_msrv_job_tests_the_declared_rust_version() {
    assert_eq!(env!("CARGO_PKG_RUST_VERSION"), declared());
    // The workflows are not in the crate tarball.
    if !repo_root().join(".github/workflows/ci.yml").exists() {
        return;
    }
    let ci = repo_file(".github/workflows/ci.yml");
    let job = ci
        .split_once("\n  msrv:\n")
        .expect("ci.yml has an msrv job")
        .1;
    // Up to the next job: the next line indented by exactly two spaces.
    let job: String = job
        .lines()
        .take_while(|line| !line.starts_with("  ") || line.starts_with("   "))
        .collect::<Vec<_>>()
        .join("\n");
    let rust = declared();
    assert!(
        job.contains(&format!("toolchain: \"{rust}\"")),
        "the msrv job does not install Rust {rust}:\n{job}"
    );
    assert!(job.contains("cargo test --locked"), "{job}");
}

#[test]
fn the_readme_asks_for_the_declared_rust_version() {
    let readme = repo_file("README.md");
    let wanted = format!("Rust {} or newer", declared());
    let mentions: Vec<&str> = readme.lines().filter(|l| l.contains("Rust 1.")).collect();
    assert!(!mentions.is_empty(), "the README names no Rust version");
    for line in mentions {
        assert!(line.contains(&wanted), "README: {line}");
    }
}
