//! TLS from the clients' side: `send` and `join` with `--tls`, `--fingerprint` and
//! `--trust-on-first-use` against a real `host --tls`, the `known_hosts` file, a certificate
//! signed by an authority made at test time, the mistakes (TLS to a plain host, plain to a TLS
//! host), and what an observer on the wire sees.

mod harness;

use std::fs;

use predicates::prelude::*;
use predicates::str::contains;

use harness::tls::{Tap, known_hosts, printed_fingerprint, send_from, tls_host, tls_host_on_port};
use harness::{Host, PipedClient, temp_dir};

/// A fingerprint no host in these tests has (the SHA-256 of nothing).
const NOBODYS: &str = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";

#[test]
fn send_and_join_with_the_printed_fingerprint_deliver() {
    let data = temp_dir();
    let host = tls_host(data.path(), &[]);
    let print = printed_fingerprint(&host).to_string();
    let bob = PipedClient::start(
        &host.server(),
        &["--nick", "bob", "--fingerprint", &print],
        &[],
    );
    bob.expect("welcome to lobby, bob");
    let home = temp_dir();
    send_from(
        home.path(),
        &host.server(),
        &["--nick", "ana", "--fingerprint", &print, "hello over tls"],
    )
    .assert()
    .success();
    bob.expect("<ana> hello over tls");
    assert!(
        !known_hosts(home.path()).exists(),
        "a host trusted by --fingerprint is not written to known_hosts"
    );
    let (code, stderr) = bob.finish();
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn many_lines_both_ways_at_once_over_one_tls_connection_arrive_whole_and_in_order() {
    // `join` reads on one thread and writes on another through one TLS session: here it sends
    // while the room echoes every line back to it, and a second member reads them all.
    let data = temp_dir();
    let host = tls_host(data.path(), &["--rate-limit", "0"]);
    let print = printed_fingerprint(&host).to_string();
    let secure = ["--fingerprint", print.as_str()];
    let bob = PipedClient::start(
        &host.server(),
        &[&["--nick", "bob"][..], &secure].concat(),
        &[],
    );
    bob.expect("welcome to lobby, bob");
    let mut ana = PipedClient::start(
        &host.server(),
        &[&["--nick", "ana"][..], &secure].concat(),
        &[],
    );
    ana.expect("welcome to lobby, ana");
    const LINES: usize = 500;
    let filler = "x".repeat(200);
    for n in 0..LINES {
        ana.write(&format!("line {n:04} {filler}"));
    }
    for n in 0..LINES {
        bob.expect(&format!("<ana> line {n:04} {filler}"));
    }
    let (code, stderr) = ana.finish();
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn a_wrong_fingerprint_is_refused_loudly_with_exit_6() {
    let data = temp_dir();
    let host = tls_host(data.path(), &[]);
    let print = printed_fingerprint(&host).to_string();
    let home = temp_dir();
    send_from(
        home.path(),
        &host.server(),
        &["--fingerprint", NOBODYS, "not for them"],
    )
    .assert()
    .code(6)
    .stderr(
        contains("NOT the one given with --fingerprint")
            .and(contains(format!("expected:  {NOBODYS}")))
            .and(contains(format!("presented: {print}")))
            .and(contains("intercepting")),
    );
}

#[test]
fn trust_on_first_use_remembers_the_host_and_a_new_certificate_is_refused() {
    let home = temp_dir();
    let first_data = temp_dir();
    let host = tls_host(first_data.path(), &[]);
    let (server, port) = (host.server(), host.port());
    let first = printed_fingerprint(&host).to_string();
    send_from(
        home.path(),
        &server,
        &["--trust-on-first-use", "first contact"],
    )
    .assert()
    .success()
    .stderr(contains("remembered in"));
    let file = known_hosts(home.path());
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        format!("{server} {first}\n")
    );
    // Known now: --tls alone will do.
    send_from(home.path(), &server, &["--tls", "again"])
        .assert()
        .success();

    // The host comes back on the same port with another certificate.
    host.stop();
    let second_data = temp_dir();
    let host = tls_host_on_port(second_data.path(), port);
    let second = printed_fingerprint(&host).to_string();
    assert_ne!(first, second);
    let changed = contains("has CHANGED")
        .and(contains(format!("remembered: {first}")))
        .and(contains(format!("{}:1", file.display())))
        .and(contains(format!("presented:  {second}")))
        .and(contains("remove line 1"))
        .and(contains(format!("--fingerprint {second}")));
    send_from(home.path(), &server, &["--tls", "third"])
        .assert()
        .code(6)
        .stderr(changed);
    // Trusting on first use is not trusting a changed host.
    send_from(home.path(), &server, &["--trust-on-first-use", "fourth"])
        .assert()
        .code(6);
    // What the refusal suggests does work, and the file is left as it was.
    send_from(home.path(), &server, &["--fingerprint", &second, "fifth"])
        .assert()
        .success();
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        format!("{server} {first}\n")
    );
    drop(host);
}

#[test]
fn an_unknown_host_is_refused_without_a_terminal_with_the_flag_to_add() {
    let data = temp_dir();
    let host = tls_host(data.path(), &[]);
    let print = printed_fingerprint(&host).to_string();
    let home = temp_dir();
    let hint = contains(format!("add --fingerprint {print}")).and(contains("--trust-on-first-use"));
    send_from(home.path(), &host.server(), &["--tls", "hello?"])
        .assert()
        .code(3)
        .stderr(hint);
    assert!(!known_hosts(home.path()).exists());
    for json in [false, true] {
        let mut args = vec!["--tls", "--nick", "bot"];
        if json {
            args.push("--json");
        }
        let client = PipedClient::start(&host.server(), &args, &[]);
        let (code, stderr) = client.exit_by_itself();
        assert_eq!(code, Some(3), "{stderr}");
        assert!(
            stderr.contains(&format!("add --fingerprint {print}")),
            "{stderr}"
        );
    }
}

#[test]
fn known_hosts_is_kept_in_the_data_directory() {
    let data = temp_dir();
    let host = tls_host(data.path(), &[]);
    let print = printed_fingerprint(&host).to_string();
    let line = format!("{} {print}\n", host.server());
    let home = temp_dir();
    // --data-dir DIR (or CHATROOM_DATA_DIR): DIR/known_hosts.
    let dir = home.path().join("elsewhere");
    let dir_arg = dir.to_str().unwrap();
    send_from(
        home.path(),
        &host.server(),
        &["--trust-on-first-use", "--data-dir", dir_arg, "hi"],
    )
    .assert()
    .success();
    assert_eq!(fs::read_to_string(dir.join("known_hosts")).unwrap(), line);
    assert!(!known_hosts(home.path()).exists());
    // By default, chatroom in the user's data directory (XDG_DATA_HOME on Linux).
    #[cfg(target_os = "linux")]
    {
        send_from(home.path(), &host.server(), &["--trust-on-first-use", "hi"])
            .env_remove("CHATROOM_DATA_DIR")
            .assert()
            .success();
        assert_eq!(fs::read_to_string(known_hosts(home.path())).unwrap(), line);
    }
}

#[test]
fn a_malformed_known_hosts_line_is_named_and_skipped() {
    let data = temp_dir();
    let host = tls_host(data.path(), &[]);
    let print = printed_fingerprint(&host).to_string();
    let home = temp_dir();
    let file = known_hosts(home.path());
    fs::create_dir_all(file.parent().unwrap()).unwrap();
    fs::write(
        &file,
        format!("# mine\nnonsense here\n{} {print}\n", host.server()),
    )
    .unwrap();
    send_from(home.path(), &host.server(), &["--tls", "still known"])
        .assert()
        .success()
        .stderr(contains(format!("{} line 2 ignored", file.display())));
}

// Where the system's roots come from rustls-native-certs, which SSL_CERT_FILE replaces: Linux and
// the BSDs. macOS and Windows ask the OS's own verifier, whose trust store a test cannot point
// elsewhere without changing the machine's.
#[cfg(all(unix, not(target_vendor = "apple")))]
#[test]
fn a_certificate_from_a_trusted_authority_needs_no_fingerprint_and_is_not_remembered() {
    let dir = temp_dir();
    let signed = harness::tls::CaSigned::make(dir.path());
    let (cert, key) = (signed.cert.to_str().unwrap(), signed.key.to_str().unwrap());
    let host = Host::start(&["--tls-cert", cert, "--tls-key", key]);
    let home = temp_dir();
    // rustls-platform-verifier reads the system's roots with rustls-native-certs on Linux and
    // the BSDs, which takes SSL_CERT_FILE instead of the system's bundle when it is set.
    let localhost = format!("localhost:{}", host.port());
    send_from(home.path(), &localhost, &["--tls", "signed and sealed"])
        .env("SSL_CERT_FILE", &signed.ca)
        .assert()
        .success()
        .stderr("");
    assert!(!known_hosts(home.path()).exists());
    // The same certificate at a name it is not made out to is not vouched for.
    send_from(home.path(), &host.server(), &["--tls", "wrong name"])
        .env("SSL_CERT_FILE", &signed.ca)
        .assert()
        .code(3)
        .stderr(contains("not made out to 127.0.0.1"));
    // Nor by a system that does not know the authority.
    send_from(home.path(), &localhost, &["--tls", "unknown authority"])
        .env_remove("SSL_CERT_FILE")
        .assert()
        .code(3)
        .stderr(contains("not vouched for"));
}

#[test]
fn tls_to_a_plain_host_fails_at_once_saying_so() {
    let host = Host::start(&[]);
    let home = temp_dir();
    // A client waiting for its timeout would be killed by the command's own (30 s) first.
    send_from(
        home.path(),
        &host.server(),
        &["--tls", "--timeout", "86400", "hello"],
    )
    .assert()
    .code(3)
    .stderr(contains("the host does not speak TLS; drop --tls"));
    // CHATROOM_TLS says the same as --tls, as environment variables say yes.
    send_from(home.path(), &host.server(), &["hello"])
        .env("CHATROOM_TLS", "1")
        .assert()
        .code(3)
        .stderr(contains("drop --tls"));
    send_from(home.path(), &host.server(), &["hello"])
        .env("CHATROOM_TLS", "0")
        .assert()
        .success();
    // --no-tls undoes the environment (and the config file) for one run.
    send_from(home.path(), &host.server(), &["--no-tls", "hello"])
        .env("CHATROOM_TLS", "1")
        .env("CHATROOM_FINGERPRINT", NOBODYS)
        .assert()
        .success();
}

#[test]
fn plain_clients_of_a_tls_host_show_its_explanation_and_exit_3() {
    let data = temp_dir();
    let host = tls_host(data.path(), &[]);
    let home = temp_dir();
    let explained = contains("without --tls")
        .and(contains("this room only takes TLS connections"))
        .and(contains(format!("chatroom join --tls {}", host.server())));
    // A long --timeout: only the host's line can end these quickly with exit 3.
    send_from(
        home.path(),
        &host.server(),
        &["--timeout", "86400", "hello"],
    )
    .assert()
    .code(3)
    .stderr(explained);
    let client = PipedClient::start(
        &host.server(),
        &["--nick", "bob", "--timeout", "86400"],
        &[],
    );
    let (code, stderr) = client.exit_by_itself();
    assert_eq!(code, Some(3), "{stderr}");
    assert!(
        stderr.contains("this room only takes TLS connections"),
        "{stderr}"
    );
}

/// Runs a small session through a [`Tap`] (a public message and a private one between two
/// nicknames), over TLS or in clear, and returns the tap with what it saw.
fn session_through_a_tap(tls: bool) -> Tap {
    let data = temp_dir();
    let host = match tls {
        true => tls_host(data.path(), &[]),
        false => Host::start(&[]),
    };
    let tap = Tap::start(host.addr);
    let server = tap.addr.to_string();
    let mut secure = vec![];
    let print;
    if tls {
        print = printed_fingerprint(&host).to_string();
        secure = vec!["--fingerprint", &print];
    }
    let mut args = vec!["--nick", "quixote9"];
    args.extend_from_slice(&secure);
    let reader = PipedClient::start(&server, &args, &[]);
    reader.expect("welcome to lobby, quixote9");
    let home = temp_dir();
    let mut public = vec!["--nick", "zanzibar7"];
    public.extend_from_slice(&secure);
    public.push("public marmalade");
    send_from(home.path(), &server, &public).assert().success();
    let mut private = vec!["--nick", "zanzibar7", "--to", "quixote9"];
    private.extend_from_slice(&secure);
    private.push("private gooseberry");
    send_from(home.path(), &server, &private).assert().success();
    reader.expect("public marmalade");
    reader.expect("private gooseberry");
    let (code, stderr) = reader.finish();
    assert_eq!(code, Some(0), "{stderr}");
    tap
}

#[test]
fn nothing_said_over_tls_crosses_the_wire_in_clear() {
    let secrets = [
        "quixote9",
        "zanzibar7",
        "public marmalade",
        "private gooseberry",
    ];
    // In clear, the tap sees everything: it is an observer that would notice.
    let clear = session_through_a_tap(false);
    for secret in secrets {
        assert!(clear.saw(secret), "the tap missed {secret:?} in clear");
    }
    let tls = session_through_a_tap(true);
    assert!(!tls.seen().is_empty());
    for secret in secrets {
        assert!(!tls.saw(secret), "{secret:?} crossed the wire in clear");
    }
}

/// `join` on a terminal asks about a host it has never seen.
#[cfg(unix)]
mod on_a_terminal {
    use super::*;
    use harness::pty::{EDITING, PtyClient, READY};

    const QUESTION: &str = "Trust this host and remember it? [y/N]";

    #[test]
    fn yes_joins_and_remembers_the_host() {
        let data = temp_dir();
        let host = tls_host(data.path(), &[]);
        let print = printed_fingerprint(&host).to_string();
        let home = temp_dir();
        let mut ana = PtyClient::start(
            &host,
            home.path(),
            &["--tls", "--nick", "ana", "--color", "never"],
        );
        let shown = ana.expect(QUESTION);
        assert!(shown.contains(&print), "{shown}");
        ana.type_line("y");
        ana.expect(READY);
        ana.expect(EDITING);
        ana.type_line("/quit");
        assert_eq!(ana.exit_code(), 0);
        assert_eq!(
            fs::read_to_string(known_hosts(home.path())).unwrap(),
            format!("{} {print}\n", host.server())
        );
        // The next time, no question.
        let mut again = PtyClient::start(
            &host,
            home.path(),
            &["--tls", "--nick", "ana", "--color", "never"],
        );
        let before = again.expect(READY);
        assert!(!before.contains("Trust this host"), "{before}");
        again.expect(EDITING);
        again.type_line("/quit");
        assert_eq!(again.exit_code(), 0);
    }

    /// `ana` in a pseudo-terminal, joined over TLS to a host of its own and pinned to its
    /// fingerprint, with `extra` options; the directories both live in come first, so they are
    /// removed after both have stopped.
    fn pinned_ana(extra: &[&str]) -> ([tempfile::TempDir; 2], Host, PtyClient) {
        let data = temp_dir();
        let host = tls_host(data.path(), &[]);
        let print = printed_fingerprint(&host).to_string();
        let home = temp_dir();
        let mut args = vec!["--fingerprint", print.as_str()];
        args.extend_from_slice(extra);
        let ana = PtyClient::joined(&host, home.path(), "ana", &args);
        ([data, home], host, ana)
    }

    #[test]
    fn a_silent_host_is_noticed_and_so_is_its_return_over_tls() {
        // The event thread's read timeouts (liveness pings) work on the TLS stream too.
        let (_dirs, host, mut ana) = pinned_ana(&["--timeout", "1"]);
        host.signal(nix::sys::signal::Signal::SIGSTOP);
        ana.type_line("anyone there?");
        ana.expect("the host has not answered for");
        host.signal(nix::sys::signal::Signal::SIGCONT);
        ana.expect("the host is answering again");
        ana.type_line("/quit");
        assert_eq!(ana.exit_code(), 0);
    }

    #[test]
    fn a_silent_host_is_given_up_and_rejoined_over_tls() {
        // Giving a connection up shuts its socket under the TLS session; the new one makes a
        // new session with the same pinned certificate.
        let (_dirs, host, mut ana) = pinned_ana(&["--keepalive", "2"]);
        host.signal(nix::sys::signal::Signal::SIGSTOP);
        ana.expect("*** connection lost (no answer from the host for 2 s)");
        host.signal(nix::sys::signal::Signal::SIGCONT);
        ana.expect("*** reconnected (");
        ana.type_line("back over TLS");
        host.wait_for_console("ana's line", |l| l.ends_with("<ana> back over TLS"));
        ana.type_line("/quit");
        assert_eq!(ana.exit_code(), 0);
    }

    #[test]
    fn no_leaves_with_exit_3_and_remembers_nothing() {
        let data = temp_dir();
        let host = tls_host(data.path(), &[]);
        let home = temp_dir();
        let mut ana = PtyClient::start(&host, home.path(), &["--tls", "--nick", "ana"]);
        ana.expect(QUESTION);
        ana.type_line("n");
        ana.expect("its certificate was not trusted");
        assert_eq!(ana.exit_code(), 3);
        assert!(!known_hosts(home.path()).exists());
        assert!(!host.console().contains("ana joined"));
    }

    #[test]
    fn a_plain_join_to_a_tls_host_shows_its_line_at_once() {
        let data = temp_dir();
        let host = tls_host(data.path(), &[]);
        let home = temp_dir();
        let mut ana = PtyClient::start(&host, home.path(), &["--timeout", "86400"]);
        ana.expect("this room only takes TLS connections");
        assert_eq!(ana.exit_code(), 3);
    }
}

#[test]
fn a_refusal_before_tls_is_shown_as_the_hosts_words() {
    // One address may have a quarter of --max-per-ip connections choosing a nickname (here 1):
    // a second is turned away at once, in one plain line, before any TLS.
    let data = temp_dir();
    let host = tls_host(data.path(), &["--max-per-ip", "4"]);
    let print = printed_fingerprint(&host).to_string();
    let _holding = std::net::TcpStream::connect(host.server()).expect("a first connection");
    let home = temp_dir();
    let output = send_from(
        home.path(),
        &host.server(),
        &["--nick", "ana", "--fingerprint", &print, "hello"],
    )
    .output()
    .expect("send runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("refused us"), "{stderr}");
    assert!(!stderr.contains("does not speak TLS"), "{stderr}");
}
