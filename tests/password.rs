//! A room with a password, over real sockets: nc users type it before their nickname, JSON
//! hellos carry it, `send` and `join` take it from a file or CHATROOM_PASSWORD (and `join` on a
//! terminal asks without echo), wrong passwords close the connection and lock an address out
//! after five, and the password never shows in the host's console or transcript.

mod harness;

use predicates::prelude::*;
use serde_json::json;

use harness::{
    Conn, Host, JsonClient, PASSWORD_ACCEPTED, password_file, send, temp_dir, wait_for_file_line,
};

const PASSWORD: &str = "correct-horse-7731";
const WRONG: &str = "battery-staple-0042";

/// A host whose password is [`PASSWORD`], from a file in `dir`, with `more` arguments.
fn locked_host(dir: &std::path::Path, more: &[&str]) -> Host {
    let file = password_file(dir, "room-password", PASSWORD);
    let mut args = vec!["--password-file", file.as_str()];
    args.extend_from_slice(more);
    Host::start(&args)
}

/// A raw connection from `from` that has read the greeting (which asks for the password).
fn greeted(host: &Host, from: &str) -> Conn {
    let mut conn = Conn::connect_from(host, from);
    conn.expect_greeting(host);
    conn
}

/// Sends a JSON hello (with `password` unless `None`) and returns the host's answer.
fn json_hello(conn: &mut Conn, nick: &str, password: Option<&str>) -> serde_json::Value {
    let mut hello = json!({"type": "hello", "v": 1, "nick": nick});
    if let Some(password) = password {
        hello["password"] = json!(password);
    }
    conn.send_line(&hello.to_string());
    let line = conn.expect_line("a JSON answer", |l| l.starts_with('{'));
    serde_json::from_str(&line).unwrap()
}

#[cfg(unix)]
#[test]
fn nc_users_give_the_password_then_a_nickname_then_chat() {
    let dir = temp_dir();
    let host = locked_host(dir.path(), &[]);
    let mut bob = JsonClient::join_with_password(&host, "bob", PASSWORD);
    let mut nc = harness::Nc::connect(&host);
    nc.expect("the password greeting", |l| {
        l.contains("This room has a password")
    });
    nc.type_line(PASSWORD);
    nc.expect("the password accepted", |l| l == PASSWORD_ACCEPTED);
    nc.type_line("ana");
    nc.expect("the welcome", |l| l.contains("welcome to lobby, ana"));
    nc.type_line("hello from nc");
    bob.expect_message("ana", "say", "hello from nc");
}

#[cfg(unix)]
#[test]
fn a_wrong_password_gets_one_line_and_nc_ends() {
    let dir = temp_dir();
    let host = locked_host(dir.path(), &[]);
    let mut nc = harness::Nc::connect(&host);
    nc.expect("the password greeting", |l| {
        l.contains("This room has a password")
    });
    nc.type_line(WRONG);
    nc.expect("the refusal", |l| l == "error: wrong password");
    nc.ends_by_itself();

    // On a raw socket: exactly that one line, then the end.
    let mut conn = greeted(&host, "127.0.0.1");
    conn.send_line(WRONG);
    assert_eq!(conn.expect_closed(), ["error: wrong password"]);
}

#[test]
fn json_hellos_without_with_a_wrong_and_with_the_right_password() {
    let dir = temp_dir();
    let host = locked_host(dir.path(), &[]);

    let mut conn = greeted(&host, "127.0.0.1");
    let answer = json_hello(&mut conn, "bot", None);
    assert_eq!(answer["code"], "password_required", "{answer}");
    conn.expect_closed();

    let mut conn = greeted(&host, "127.0.0.1");
    let answer = json_hello(&mut conn, "bot", Some(WRONG));
    assert_eq!(answer["code"], "bad_password", "{answer}");
    assert!(!answer.to_string().contains(WRONG));
    conn.expect_closed();

    let mut conn = greeted(&host, "127.0.0.1");
    let answer = json_hello(&mut conn, "bot", Some(PASSWORD));
    assert_eq!(answer["type"], "welcome", "{answer}");

    // A password of the wrong type is refused without being quoted back.
    let mut conn = greeted(&host, "127.0.0.1");
    conn.send_line(r#"{"type":"hello","v":1,"nick":"bot2","password":987654321}"#);
    let line = conn.expect_line("a JSON answer", |l| l.starts_with('{'));
    assert!(
        line.contains("bad_hello") && !line.contains("987654321"),
        "{line}"
    );
}

#[test]
fn a_room_without_a_password_ignores_one_in_a_hello() {
    let host = Host::start(&[]);
    let mut conn = greeted(&host, "127.0.0.1");
    let answer = json_hello(&mut conn, "bot", Some(PASSWORD));
    assert_eq!(answer["type"], "welcome", "{answer}");
}

#[test]
fn send_takes_the_password_from_the_variable_or_a_file_and_explains_without() {
    let dir = temp_dir();
    let host = locked_host(dir.path(), &[]);
    let mut bob = JsonClient::join_with_password(&host, "bob", PASSWORD);
    let server = host.server();

    send(&server, &["--nick", "ci", "from the variable"])
        .env("CHATROOM_PASSWORD", PASSWORD)
        .assert()
        .success();
    bob.expect_message("ci", "say", "from the variable");

    let file = password_file(dir.path(), "client-password", PASSWORD);
    send(
        &server,
        &["--nick", "ci", "--password-file", &file, "from a file"],
    )
    .assert()
    .success();
    bob.expect_message("ci", "say", "from a file");

    send(&server, &["--nick", "ci", "nothing"])
        .assert()
        .code(4)
        .stderr(predicate::str::contains(
            "the room needs a password: give --password-file or CHATROOM_PASSWORD",
        ));

    send(&server, &["--nick", "ci", "wrong"])
        .env("CHATROOM_PASSWORD", WRONG)
        .assert()
        .code(4)
        .stderr(
            predicate::str::contains("wrong password")
                .and(predicate::str::contains(WRONG).not())
                .and(predicate::function(|s: &str| s.lines().count() == 1)),
        );
}

#[test]
fn piped_join_behaves_like_send() {
    let dir = temp_dir();
    let host = locked_host(dir.path(), &[]);
    let mut bob = JsonClient::join_with_password(&host, "bob", PASSWORD);

    let mut client = harness::PipedClient::start(
        &host.server(),
        &["--nick", "ana"],
        &[("CHATROOM_PASSWORD", PASSWORD)],
    );
    client.expect("welcome to lobby");
    client.write("piped in");
    bob.expect_message("ana", "say", "piped in");
    let (code, _) = client.finish();
    assert_eq!(code, Some(0));

    let client = harness::PipedClient::start(&host.server(), &["--nick", "ana", "--json"], &[]);
    let (code, stderr) = client.finish();
    assert_eq!(code, Some(4), "{stderr}");
    assert!(
        stderr.contains("give --password-file or CHATROOM_PASSWORD"),
        "{stderr}"
    );
}

/// The whole flow against a real host (rexpect's terminal does not echo to begin with: the
/// stand-in host test below is the one that shows echo is turned off).
#[cfg(unix)]
#[test]
fn join_on_a_terminal_asks_for_the_password_and_joins() {
    use harness::pty::{PtyClient, READY};

    let dir = temp_dir();
    let host = locked_host(dir.path(), &[]);
    let mut bob = JsonClient::join_with_password(&host, "bob", PASSWORD);
    let home = temp_dir();
    let mut ana = PtyClient::start(&host, home.path(), &["--nick", "ana", "--color", "never"]);
    ana.expect("(typing is not shown): ");
    ana.wait_for_no_echo();
    ana.type_line(PASSWORD);
    let screen = ana.expect(READY);
    assert!(
        !screen.contains(PASSWORD),
        "the password was echoed: {screen:?}"
    );
    ana.expect(harness::pty::EDITING);
    ana.enter_line("typed on a terminal");
    bob.expect_message("ana", "say", "typed on a terminal");
}

/// With a stand-in host, so that the terminal's echo is on (as a person's is) before the client
/// asks: the password must still not show, and it must arrive in the hello.
#[cfg(unix)]
#[test]
fn the_typed_password_does_not_show_on_a_terminal_that_echoes() {
    use std::io::{BufRead, BufReader, Write};

    use harness::pty::{EDITING, PtyClient, READY};

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let server = listener.local_addr().unwrap().to_string();
    let home = temp_dir();
    let args = ["--nick", "ana", "--color", "never"];
    let mut ana = PtyClient::start_at(&server, home.path(), &args);
    let (mut stream, _) = listener.accept().unwrap();
    // The client waits for the greeting: echo goes on before anything is asked.
    ana.turn_echo_on();
    writeln!(stream, "{}", harness::password_greeting("lobby", 10)).unwrap();
    ana.expect("(typing is not shown): ");
    ana.wait_for_no_echo();
    ana.type_line(PASSWORD);
    // A plain `join` opens with a blank line (it makes a TLS host explain itself at once), which
    // every host ignores before a hello.
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut hello = String::new();
    while hello.trim().is_empty() {
        hello.clear();
        reader.read_line(&mut hello).unwrap();
    }
    let hello: serde_json::Value = serde_json::from_str(&hello).unwrap();
    assert_eq!(hello["password"], PASSWORD, "{hello}");
    let welcome = json!({"type": "welcome", "v": 1, "nick": "ana", "room": "lobby",
        "motd": null, "users": ["ana"], "count": 1,
        "limits": {"max_line": 4096, "rate": 20, "burst": 50, "max_clients": 100}});
    writeln!(stream, "{welcome}").unwrap();
    let screen = ana.expect(READY);
    assert!(
        !screen.contains(PASSWORD),
        "the password was shown: {screen:?}"
    );
    ana.expect(EDITING);
}

#[cfg(unix)]
#[test]
fn join_on_a_terminal_with_a_wrong_password_says_so_and_exits_4() {
    use harness::pty::PtyClient;

    let dir = temp_dir();
    let host = locked_host(dir.path(), &[]);
    let home = temp_dir();
    let mut ana = PtyClient::start(&host, home.path(), &["--nick", "ana", "--color", "never"]);
    ana.expect("(typing is not shown): ");
    ana.wait_for_no_echo();
    ana.type_line(WRONG);
    ana.expect("refused us: wrong password");
    assert_eq!(ana.exit_code(), 4);
}

// Another address on one machine: 127.0.0.2 is a loopback address on Linux only.
#[cfg(target_os = "linux")]
#[test]
fn five_wrong_passwords_lock_an_address_out_and_only_that_address() {
    let dir = temp_dir();
    let log = dir.path().join("room.log");
    let log_arg = log.to_str().unwrap();
    let host = locked_host(dir.path(), &["--max-per-ip", "0", "--log-file", log_arg]);
    for attempt in 1..=5 {
        let mut conn = greeted(&host, "127.0.0.1");
        conn.send_line(&format!("{WRONG}-{attempt}"));
        let said = conn.expect_closed();
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(said[0].starts_with("error: wrong password"), "{said:?}");
    }
    // Locked out: even the right password is refused now, with the reason, in each dialect.
    let mut conn = greeted(&host, "127.0.0.1");
    conn.send_line(PASSWORD);
    let said = conn.expect_closed();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(
        said[0].starts_with("error: too many wrong passwords from your address; try again in "),
        "{said:?}"
    );
    let mut conn = greeted(&host, "127.0.0.1");
    let answer = json_hello(&mut conn, "bot", Some(PASSWORD));
    assert_eq!(answer["code"], "too_many_bad_passwords", "{answer}");

    // Another machine (address) gets in.
    let mut other = greeted(&host, "127.0.0.2");
    other.send_line(PASSWORD);
    other.expect_line("the password accepted", |l| l == PASSWORD_ACCEPTED);
    other.send_line("carol");
    other.expect_line("the welcome", |l| l.contains("welcome to lobby, carol"));

    // The operator hears of the lockout once (the join after it is recorded after it).
    host.wait_for_console("carol's join", |l| l.contains("carol joined"));
    let console = host.console();
    let notes = console
        .lines()
        .filter(|l| l.contains("127.0.0.1: 5 wrong passwords"))
        .count();
    assert_eq!(notes, 1, "{console}");
    let transcript = wait_for_file_line(&log, "carol's join", |l| l.contains("carol joined"));
    let noted = transcript
        .lines()
        .filter(|l| l.contains("127.0.0.1: 5 wrong passwords"))
        .count();
    assert_eq!(noted, 1, "{transcript}");
}

#[test]
fn the_password_never_shows_in_the_console_or_the_transcript() {
    let dir = temp_dir();
    let log = dir.path().join("room.log");
    let log_arg = log.to_str().unwrap();
    let host = locked_host(dir.path(), &["--log-file", log_arg]);
    let mut plain = greeted(&host, "127.0.0.1");
    plain.send_line(PASSWORD);
    plain.expect_line("the password accepted", |l| l == PASSWORD_ACCEPTED);
    plain.send_line("ana");
    plain.expect_line("the welcome", |l| l.contains("welcome to lobby, ana"));
    plain.send_line("a line after the password");
    let mut wrong = greeted(&host, "127.0.0.1");
    wrong.send_line(WRONG);
    wrong.expect_closed();
    let _bot = JsonClient::join_with_password(&host, "bot", PASSWORD);
    host.wait_for_console("bot's join", |l| l.contains("bot joined"));
    let console = host.stop();
    let transcript = std::fs::read_to_string(&log).unwrap();
    for (what, text) in [("console", &console), ("transcript", &transcript)] {
        assert!(
            text.contains("<ana> a line after the password"),
            "{what}: {text}"
        );
        assert!(
            !text.contains(PASSWORD),
            "the password is in the {what}: {text}"
        );
        assert!(
            !text.contains(WRONG),
            "a wrong password is in the {what}: {text}"
        );
    }
    // The password line is nobody's chat line: ana's only message is the one she said.
    assert_eq!(transcript.matches("<ana>").count(), 1, "{transcript}");
}

#[test]
fn the_host_warns_about_clear_text_and_about_passwords_on_the_command_line() {
    let host = Host::start(&["--password", PASSWORD]);
    let console = host.wait_for_console("the ps warning", |l| l.contains("`ps`"));
    assert!(
        console.contains("--password-file PATH or CHATROOM_PASSWORD"),
        "{console}"
    );
    host.wait_for_console("the clear text warning", |l| l.contains("clear text"));
    let console = host.stop();
    assert!(!console.contains(PASSWORD), "{console}");

    // From the variable: no `ps` warning, the clear text one still.
    let mut cmd = Host::command(&[]);
    cmd.env("CHATROOM_PASSWORD", PASSWORD);
    let host = Host::launch(cmd, &[]);
    host.wait_for_console("the clear text warning", |l| l.contains("clear text"));
    let mut conn = Conn::connect(&host);
    let greeting = conn.next_line();
    assert!(greeting.contains("This room has a password"), "{greeting}");
    let console = host.stop();
    assert!(!console.contains("`ps`"), "{console}");
}

#[test]
fn the_config_file_names_the_password_file() {
    let dir = temp_dir();
    let file = password_file(dir.path(), "pw", PASSWORD);
    let config = dir.path().join("chatroom.toml");
    let toml = format!("[host]\npassword-file = {:?}\n", file);
    std::fs::write(&config, toml).unwrap();
    let config = config.to_str().unwrap();
    let mut host = Host::start(&["--config", config]);
    host.locked = true; // The harness cannot see the file's key.
    let mut conn = greeted(&host, "127.0.0.1");
    conn.send_line(PASSWORD);
    conn.expect_line("the password accepted", |l| l == PASSWORD_ACCEPTED);

    // And for clients, at the top level.
    let client_config = dir.path().join("client.toml");
    std::fs::write(&client_config, format!("password-file = {:?}\n", file)).unwrap();
    let mut bob = JsonClient::join_with_password(&host, "bob", PASSWORD);
    let client_config = client_config.to_str().unwrap();
    send(
        &host.server(),
        &["--config", client_config, "--nick", "ci", "configured"],
    )
    .assert()
    .success();
    bob.expect_message("ci", "say", "configured");
}

#[test]
fn the_host_refuses_an_empty_or_doubly_given_password() {
    let dir = temp_dir();
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "\n").unwrap();
    let output = Host::command(&["--password-file", empty.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("is empty"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    let file = password_file(dir.path(), "pw", PASSWORD);
    let output = Host::command(&["--password-file", &file])
        .env("CHATROOM_PASSWORD", PASSWORD)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("given twice"), "{stderr}");
    assert!(!stderr.contains(PASSWORD), "{stderr}");
}
