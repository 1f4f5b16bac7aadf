//! `chatroom host --tls`: every connection encrypted, with the host's own certificate (made once,
//! kept in --data-dir, its fingerprint printed) or one given with --tls-cert and --tls-key.
//! Real clients: `openssl s_client` as a person's plain-mode terminal, a rustls client pinned to
//! the printed fingerprint for JSON and plain lines, and `nc` and raw sockets for what a TLS
//! host must refuse in words.

mod harness;

use std::io::Write;
use std::net::TcpStream;
use std::path::Path;
use std::process::Command;

use base64::Engine as _;
use harness::{Conn, Host, JsonClient, PlainClient, temp_dir, tls};
use rustls::pki_types::pem::PemObject as _;
use serde_json::json;

/// `host --tls --data-dir DIR` and the rest of `args`.
fn tls_host(dir: &Path, args: &[&str]) -> Host {
    let dir = dir.to_str().unwrap();
    let mut all = vec!["--tls", "--data-dir", dir];
    all.extend_from_slice(args);
    Host::start(&all)
}

#[cfg(unix)]
#[test]
fn openssl_s_client_is_a_whole_plain_mode_client() {
    let dir = temp_dir();
    let host = tls_host(dir.path(), &[]);
    let mut person = harness::Nc::openssl(&host);
    person.expect("the greeting, inside TLS", |l| {
        l == harness::greeting(&host.name, host.handshake_timeout)
    });
    person.type_line("ana");
    person.expect("the welcome", |l| l.starts_with("*** type /help"));

    let mut bot = JsonClient::join_over(&host, tls::connect(&host), "bot");
    person.expect("the bot joining", |l| l.contains("bot joined"));
    person.type_line("hello from openssl");
    bot.expect_message("ana", "say", "hello from openssl");
    bot.say("hello from rustls");
    person.expect("the bot's message", |l| {
        l.ends_with("<bot> hello from rustls")
    });

    person.type_line("/msg bot psst");
    let pm = bot.expect_event("message");
    assert_eq!(
        (&pm["kind"], &pm["from"], &pm["to"], &pm["text"]),
        (&json!("pm"), &json!("ana"), &json!("bot"), &json!("psst"))
    );
    bot.send(json!({"type": "pm", "to": "ana", "text": "psst back"}));
    person.expect("the private answer", |l| {
        l.ends_with("[pm from bot] psst back")
    });

    person.type_line("/quit");
    bot.expect_event_where("leave", |e| e["nick"] == "ana");
    assert_eq!(
        person.ends_by_itself(),
        Some(0),
        "s_client ends on close_notify"
    );
}

#[cfg(unix)]
#[test]
fn openssl_s_client_hears_the_room_close_and_ends() {
    let dir = temp_dir();
    let host = tls_host(dir.path(), &[]);
    let mut person = harness::Nc::openssl(&host);
    person.type_line("ana");
    person.expect("the welcome", |l| l.starts_with("*** type /help"));
    host.stop();
    person.expect("the room closing", |l| l == "<quit>");
    assert_eq!(person.ends_by_itself(), Some(0));
}

#[test]
fn both_dialects_work_inside_tls() {
    let dir = temp_dir();
    let host = tls_host(dir.path(), &[]);
    let mut alice = PlainClient::join_over(&host, tls::connect(&host), "alice");
    let mut bot = JsonClient::join_over(&host, tls::connect(&host), "bot");
    alice.expect("*** bot joined (2 here)");
    alice.say("hi bot");
    bot.expect_message("alice", "say", "hi bot");
    bot.send(json!({"type": "say", "text": "hi alice", "id": 7}));
    let ack = bot.expect_event("ack");
    assert_eq!(ack["id"], 7);
    alice.expect("<bot> hi alice");
    bot.send(json!({"type": "quit"}));
    alice.expect("*** bot left (quit)");
}

#[test]
fn a_reader_that_falls_behind_inside_tls_still_gets_everything_in_order() {
    // Enough to fill the reader's small kernel buffers and rustls's many times over, so the
    // host's writes block, resume on writability, and must not lose or reorder a byte across the
    // TLS layer. (Whether a flush may say it is done while rustls holds bytes is a unit test in
    // src/server/conn.rs: here the reader drains too soon to catch it.)
    let dir = temp_dir();
    let host = tls_host(
        dir.path(),
        &[
            "--rate-limit",
            "0",
            "--outbox",
            "100000",
            "--max-line",
            "8192",
        ],
    );
    let small = tls::connect_with_small_receive_buffer(&host);
    let mut reader = JsonClient::join_over(&host, small, "reader");
    let mut writer = JsonClient::join_over(&host, tls::connect(&host), "writer");
    reader.expect_join("writer");
    let filler = "x".repeat(2000);
    let count = 1000;
    for i in 0..count {
        writer.send(json!({"type": "say", "text": format!("{i} {filler}"), "id": i}));
    }
    // Everything is in the room's hands before the reader reads a byte.
    writer.expect_event_where("ack", |ack| ack["id"] == count - 1);
    for i in 0..count {
        let message = reader.expect_event("message");
        let text = message["text"].as_str().unwrap();
        assert!(
            text.starts_with(&format!("{i} ")),
            "message {i} was {:.20}",
            text
        );
    }
}

#[test]
fn plain_text_to_a_tls_port_hears_how_to_connect_and_is_closed() {
    let dir = temp_dir();
    // The silence a plain client is given is the handshake timeout when that is shorter.
    let host = tls_host(dir.path(), &["--handshake-timeout", "1"]);
    let port = host.port();

    let mut typed = Conn::connect(&host);
    typed.send_line("ana");
    let heard = typed.expect_closed();
    assert_eq!(heard.len(), 1, "one line: {heard:?}");
    let line = &heard[0];
    for way in [
        format!("chatroom join --tls 127.0.0.1:{port}"),
        format!("openssl s_client -quiet -connect 127.0.0.1:{port}"),
        format!("ncat --ssl 127.0.0.1 {port}"),
    ] {
        assert!(line.contains(&way), "{way:?} missing from {line:?}");
    }

    let mut json = Conn::connect(&host);
    json.send_line(r#"{"type":"hello","v":1,"nick":"bot"}"#);
    assert_eq!(json.expect_closed(), heard, "a JSON hello hears the same");

    // Someone who waits for a greeting that cannot come hears it after a few seconds of silence.
    let mut silent = Conn::connect(&host);
    assert_eq!(silent.expect_closed(), heard);
}

#[cfg(target_os = "linux")]
#[test]
fn nc_to_a_tls_port_is_told_how_and_ends_by_itself() {
    let dir = temp_dir();
    let host = tls_host(dir.path(), &[]);
    let mut nc = harness::Nc::connect(&host);
    nc.type_line("ana");
    nc.expect("how to connect", |l| l.contains("chatroom join --tls"));
    assert_eq!(nc.ends_by_itself(), Some(0));
}

#[test]
fn the_certificate_is_made_once_and_the_fingerprint_survives_restarts() {
    let dir = temp_dir();
    let first = tls_host(dir.path(), &[]);
    let cert = dir.path().join("tls").join("cert.pem");
    first.wait_for_console("that it made a certificate", |l| {
        l == format!("made a TLS certificate for this host: {}", cert.display())
    });
    let print = tls::printed_fingerprint(&first);
    let port = first.port();
    let join = format!("    chatroom join --tls 127.0.0.1:{port} --fingerprint {print}");
    first.wait_for_console("the join command with the fingerprint", |l| {
        l.starts_with(&join)
    });
    first.stop();

    let again = tls_host(dir.path(), &[]);
    again.wait_for_console("the certificate it reuses", |l| {
        l == format!("TLS certificate: {}", cert.display())
    });
    assert_eq!(tls::printed_fingerprint(&again), print);
    // And it is the certificate actually served: the pinned client gets in.
    JsonClient::join_over(&again, tls::connect(&again), "bot");

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let key = dir.path().join("tls").join("key.pem");
        let mode = std::fs::metadata(key).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "the key is readable by its owner only");
    }
}

#[cfg(target_os = "linux")]
#[test]
fn without_data_dir_the_certificate_lives_in_the_users_data_directory() {
    let data = temp_dir();
    let mut cmd = Host::command(&["--tls"]);
    cmd.env("XDG_DATA_HOME", data.path());
    let host = Host::launch(cmd, &["--tls"]);
    let cert = data.path().join("chatroom").join("tls").join("cert.pem");
    host.wait_for_console("the certificate made in the data directory", |l| {
        l == format!("made a TLS certificate for this host: {}", cert.display())
    });
    assert!(cert.exists());
}

#[test]
fn the_json_console_names_the_fingerprint_in_its_opening_note() {
    let dir = temp_dir();
    let host = tls_host(dir.path(), &["--log-format", "json"]);
    let note = host.wait_for_console("the opening note", |l| l.contains("opened on"));
    let note: serde_json::Value = serde_json::from_str(&note).unwrap();
    let text = note["text"].as_str().unwrap();
    let (_, print) = text
        .split_once("with TLS, certificate fingerprint ")
        .unwrap_or_else(|| panic!("{text}"));
    let print: chatroom::tls::Fingerprint = print.parse().unwrap();
    // The certificate the host serves is the one the note names.
    let pem = std::fs::read(dir.path().join("tls").join("cert.pem")).unwrap();
    let der = rustls::pki_types::CertificateDer::from_pem_slice(&pem).unwrap();
    assert_eq!(print, chatroom::tls::Fingerprint::of_der(&der));
}

/// A certificate and key made by `openssl req`, as an operator would (or as a CA would hand
/// them over), in `dir`.
fn openssl_certificate(dir: &Path) -> (String, String) {
    let cert = dir.join("cert.pem").to_str().unwrap().to_string();
    let key = dir.join("key.pem").to_str().unwrap().to_string();
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
        ])
        .args(["-nodes", "-days", "2", "-subj", "/CN=chat.example.org"])
        .args(["-keyout", &key, "-out", &cert])
        .output()
        .expect("openssl runs (CI installs it; install it to run these tests)");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    (cert, key)
}

/// What `openssl x509 -fingerprint -sha256` says of `cert`, written the host's way.
fn openssl_fingerprint(cert: &str) -> String {
    let out = Command::new("openssl")
        .args(["x509", "-in", cert, "-noout", "-fingerprint", "-sha256"])
        .output()
        .expect("openssl runs");
    let text = String::from_utf8(out.stdout).unwrap();
    // sha256 Fingerprint=AB:CD:...
    let hex = text.trim().rsplit('=').next().unwrap();
    let bytes: Vec<u8> = hex
        .split(':')
        .map(|pair| u8::from_str_radix(pair, 16).unwrap())
        .collect();
    assert_eq!(bytes.len(), 32, "{text}");
    format!(
        "SHA256:{}",
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
    )
}

#[test]
fn a_given_certificate_is_served_and_its_fingerprint_is_openssls() {
    let dir = temp_dir();
    let (cert, key) = openssl_certificate(dir.path());
    let host = Host::start(&["--tls-cert", &cert, "--tls-key", &key]);
    host.wait_for_console("the certificate's path", |l| {
        l == format!("TLS certificate: {cert}")
    });
    let print = tls::printed_fingerprint(&host);
    assert_eq!(print.to_string(), openssl_fingerprint(&cert));
    let mut bot = JsonClient::join_over(&host, tls::connect(&host), "bot");
    bot.send(json!({"type": "say", "text": "served with the operator's certificate", "id": 1}));
    assert_eq!(bot.expect_event("ack")["id"], 1);
}

#[test]
fn bad_certificate_files_are_one_line_errors() {
    let dir = temp_dir();
    let (cert, key) = openssl_certificate(dir.path());
    let other = temp_dir();
    let (_, other_key) = openssl_certificate(other.path());
    let missing = dir.path().join("missing.pem");
    let missing = missing.to_str().unwrap();

    let fails = |args: &[&str], code: i32, needle: &str| {
        let out = Host::command(args).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "{args:?}: {stderr}");
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
        if code == 1 {
            assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
            assert!(stderr.starts_with("chatroom: "), "{stderr}");
        }
    };
    fails(
        &["--tls-cert", missing, "--tls-key", &key],
        1,
        &format!("cannot read {missing}: not found"),
    );
    fails(
        &["--tls-cert", &key, "--tls-key", &key],
        1,
        "has no certificate",
    );
    fails(
        &["--tls-cert", &cert, "--tls-key", &cert],
        1,
        "has no private key",
    );
    fails(
        &["--tls-cert", &cert, "--tls-key", &other_key],
        1,
        "does not belong to the certificate",
    );
    fails(&["--tls-cert", &cert], 2, "--tls-key");
    // A data directory that cannot be one (a file stands where it would be).
    fails(
        &["--tls", "--data-dir", &cert],
        1,
        "(choose another place with --data-dir)",
    );
}

#[test]
fn a_stalled_handshake_holds_up_nobody() {
    // One shard, so the stalled connections and the newcomers share a thread.
    let dir = temp_dir();
    let host = tls_host(dir.path(), &["--threads", "1", "--max-per-ip", "0"]);
    let hello = tls::client_hello();
    let mut others: Vec<TcpStream> = (0..50)
        .map(|_| {
            let mut stalled = TcpStream::connect(host.addr).unwrap();
            stalled.write_all(&hello[..10]).unwrap();
            stalled
        })
        .collect();
    let mut stalled = others.pop().unwrap();

    let mut alice = PlainClient::join_over(&host, tls::connect(&host), "alice");
    // A byte at a time, as a slow-loris handshake would send it, between everyone else's turns
    // (a few times: after 20 joins and leaves in 10 s the room sums them up instead).
    for byte in &hello[10..15] {
        stalled.write_all(std::slice::from_ref(byte)).unwrap();
        let mut bot = JsonClient::join_over(&host, tls::connect(&host), "bot");
        alice.expect("*** bot joined (2 here)");
        bot.say("still here");
        alice.expect("<bot> still here");
        bot.send(json!({"type": "quit"}));
        alice.expect("*** bot left (quit)");
    }
    drop(others);
}

#[test]
fn a_hundred_handshakes_at_once_all_get_in() {
    let dir = temp_dir();
    let args = [
        "--max-per-ip",
        "0",
        "--max-clients",
        "200",
        "--threads",
        "2",
    ];
    let host = tls_host(dir.path(), &args);
    std::thread::scope(|scope| {
        let host = &host;
        let joiners: Vec<_> = (0..100)
            .map(|i| {
                // Each is welcomed (join_over checks), its handshake in flight with the others'.
                scope.spawn(move || {
                    JsonClient::join_over(host, tls::connect(host), &format!("u{i}"))
                })
            })
            .collect();
        let clients: Vec<JsonClient> = joiners.into_iter().map(|j| j.join().unwrap()).collect();
        assert_eq!(clients.len(), 100);
    });
}
