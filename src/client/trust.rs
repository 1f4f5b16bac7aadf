//! Whom a client trusts over TLS, as the user said it (`--fingerprint`, `--trust-on-first-use`,
//! or a question on the terminal), and what the user is told when a host is not trusted.
//!
//! The decision itself is [`crate::tls::verify::decide`]; this is the user's side of it: the
//! question `join` asks about a host never seen, and the refusals, worded to say what happened
//! and which flag or file line to change.

use std::io::{self, BufRead, Write};

use super::target::Target;
use crate::error::{Error, ExitStatus, Result};
use crate::tls::Fingerprint;
use crate::tls::known_hosts::KnownHosts;
use crate::tls::verify::{NewHosts, Refusal};

/// What the user allows a TLS connection to trust.
#[derive(Debug, Clone)]
pub struct Trust {
    /// `--fingerprint`: this certificate and no other.
    pub pin: Option<Fingerprint>,
    /// What to do with a host that is neither vouched for nor known.
    pub new_hosts: NewHosts,
    /// Where known hosts are looked up and remembered; `None` where the system has no data
    /// directory (then nothing is remembered).
    pub known_hosts: Option<KnownHosts>,
}

impl Trust {
    /// From the options: `--trust-on-first-use` trusts new hosts; otherwise only an
    /// `interactive` client (`join` on a terminal) may ask, and everything else refuses.
    pub fn new(
        pin: Option<Fingerprint>,
        trust_on_first_use: bool,
        interactive: bool,
        known_hosts: Option<KnownHosts>,
    ) -> Self {
        let new_hosts = match (trust_on_first_use, interactive) {
            (true, _) => NewHosts::Trust,
            (false, true) => NewHosts::Ask,
            (false, false) => NewHosts::Never,
        };
        Trust {
            pin,
            new_hosts,
            known_hosts,
        }
    }
}

/// What a certificate other than the expected one may mean, for both refusals.
const INTERCEPTING: &str = "Someone may be intercepting the connection (an attacker in the middle),\n\
     or the host has a new certificate. Nothing was sent.";

/// The file hosts are remembered in, as the user is told about it.
fn where_known(file: Option<&KnownHosts>) -> String {
    match file {
        Some(file) => file.path().display().to_string(),
        None => "known_hosts (this system names no data directory to keep it in)".into(),
    }
}

/// Shows the fingerprint of a host never seen and asks whether to trust it; `true` for yes.
/// Asked on stderr and answered on stdin (the line editor is not running yet), so stdout keeps
/// only the room's lines.
pub fn ask(target: &Target, presented: &Fingerprint, why: &str) -> Result<bool> {
    let question = question(target, presented, why);
    let mut stderr = io::stderr().lock();
    let _ = stderr.write_all(question.as_bytes());
    let _ = stderr.flush();
    drop(stderr);
    let mut answer = String::new();
    io::stdin()
        .lock()
        .read_line(&mut answer)
        .map_err(|e| Error::failure(format!("cannot read the answer: {e}")))?;
    Ok(is_yes(&answer))
}

/// The question, as shown (no newline after it: the answer is typed on its line).
fn question(target: &Target, presented: &Fingerprint, why: &str) -> String {
    format!(
        "The certificate of {target} is not vouched for: {why}.\n\
         Its fingerprint is {presented}\n\
         Compare it with the fingerprint `chatroom host --tls` printed when it started.\n\
         Trust this host and remember it? [y/N] "
    )
}

/// `y` or `yes`, in any case; everything else (an empty line included) is no.
fn is_yes(answer: &str) -> bool {
    matches!(answer.trim().to_ascii_lowercase().as_str(), "y" | "yes")
}

/// The user said no.
pub fn declined(target: &Target) -> Error {
    Error::new(
        ExitStatus::CannotConnect,
        format!("not connecting to {target}: its certificate was not trusted"),
    )
}

/// The error for a certificate the verifier refused.
pub fn refused(target: &Target, refusal: &Refusal, file: Option<&KnownHosts>) -> Error {
    match refusal {
        Refusal::NotPinned {
            expected,
            presented,
        } => Error::new(
            ExitStatus::HostChanged,
            format!(
                "the certificate of {target} is NOT the one given with --fingerprint!\n  \
                   expected:  {expected}\n  \
                   presented: {presented}\n\
                 {INTERCEPTING}\n\
                 If the change is expected, ask for the fingerprint the host printed when it\n\
                 started, and give that one with --fingerprint."
            ),
        ),
        Refusal::Changed {
            stored,
            line,
            presented,
        } => {
            let path = where_known(file);
            Error::new(
                ExitStatus::HostChanged,
                format!(
                    "WARNING: the certificate of {target} has CHANGED since you trusted it!\n  \
                       remembered: {stored}  ({path}:{line})\n  \
                       presented:  {presented}\n\
                     {INTERCEPTING}\n\
                     If the change is expected (the host was set up again), check the new\n\
                     fingerprint with the host's operator, then either\n  \
                       remove line {line} of {path}, or\n  \
                       connect with --fingerprint {presented}"
                ),
            )
        }
        Refusal::Unknown { presented, why, .. } => Error::new(
            ExitStatus::CannotConnect,
            format!(
                "cannot connect to {target}: its certificate is not vouched for ({why}) and \
                 the host is not in {}; its fingerprint is {presented}. If that is the \
                 fingerprint the host printed, add --fingerprint {presented} (or \
                 --trust-on-first-use to trust and remember it)",
                where_known(file)
            ),
        ),
        Refusal::Unreadable(why) => Error::new(
            ExitStatus::CannotConnect,
            format!("cannot check the certificate of {target}: {why}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target() -> Target {
        Target {
            host: "chat.example.org".into(),
            port: 6000,
        }
    }

    #[test]
    fn only_yes_is_yes() {
        for yes in ["y", "Y\n", " yes ", "YES\r\n"] {
            assert!(is_yes(yes), "{yes:?}");
        }
        for no in ["", "\n", "n", "no", "yess", "sure"] {
            assert!(!is_yes(no), "{no:?}");
        }
    }

    #[test]
    fn the_question_shows_the_fingerprint_and_asks_last() {
        let print = Fingerprint::of_der(b"cert");
        let text = question(&target(), &print, "self-signed");
        assert!(text.contains(&print.to_string()), "{text}");
        assert!(
            text.ends_with("Trust this host and remember it? [y/N] "),
            "{text}"
        );
    }

    #[test]
    fn a_changed_host_says_what_where_and_what_to_do() {
        let (old, new) = (Fingerprint::of_der(b"old"), Fingerprint::of_der(b"new"));
        let file = KnownHosts::at("/home/ana/.local/share/chatroom/known_hosts".into());
        let refusal = Refusal::Changed {
            stored: old,
            line: 7,
            presented: new,
        };
        let err = refused(&target(), &refusal, Some(&file));
        assert_eq!(err.status(), ExitStatus::HostChanged);
        let text = err.to_string();
        for part in [
            "chat.example.org:6000",
            &old.to_string(),
            &new.to_string(),
            "/home/ana/.local/share/chatroom/known_hosts:7",
            "intercepting",
            "remove line 7",
            &format!("--fingerprint {new}"),
        ] {
            assert!(text.contains(part), "{part:?} missing from:\n{text}");
        }
    }

    #[test]
    fn an_unknown_host_names_the_flag_to_add() {
        let print = Fingerprint::of_der(b"cert");
        let refusal = Refusal::Unknown {
            presented: print,
            why: "self-signed".into(),
            ask: false,
        };
        let err = refused(&target(), &refusal, None);
        assert_eq!(err.status(), ExitStatus::CannotConnect);
        assert!(!err.to_string().contains('\n'), "{err}");
        assert!(
            err.to_string()
                .contains(&format!("add --fingerprint {print}")),
            "{err}"
        );
    }
}
