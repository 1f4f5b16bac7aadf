//! `chatroom join` on a terminal: the real binary in a pseudo-terminal, against a real host,
//! with a second participant on a raw JSON socket.
//!
//! Each test waits for what the client draws (its prompt, an incoming line) before typing on,
//! as a person would (see `harness::pty`).
#![cfg(unix)]

mod harness;

use std::io::Write;
use std::net::TcpListener;
use std::time::Duration;

use nix::sys::signal::Signal;
use nix::sys::wait::WaitStatus;
use rexpect::session::{PtySession, spawn_command};

use harness::pty::{EDITING, PtyClient, READY, UP};
use harness::{Host, JsonClient, PROCESS_TIMEOUT, closed_port, join_command, temp_dir};

/// What the first Ctrl-C on an empty line says.
const LEAVE_HINT: &str = "(press Ctrl-C again or type /quit to leave)";

#[test]
fn typing_a_line_sends_it() {
    let (_host, mut bob, _home, mut ana) = ana_with_bob();
    ana.type_line("hello bob");
    bob.expect_message("ana", "say", "hello bob");
}

#[test]
fn incoming_messages_show_time_and_nick() {
    let (_host, mut bob, _home, mut ana) = ana_with_bob();
    bob.say("hello there");
    ana.expect_regex(r"\[\d\d:\d\d\] <bob> hello there");
}

#[test]
fn color_always_colors_nicks() {
    let host = Host::start(&[]);
    let mut bob = JsonClient::join(&host, "bob");
    let home = temp_dir();
    let mut ana = PtyClient::start(&host, home.path(), &["--nick", "ana", "--color", "always"]);
    ana.expect(READY);
    bob.say("in color");
    ana.expect_regex(r"<\x1b\[[0-9;]+mbob\x1b\[0m> in color");
}

#[test]
fn a_message_arriving_mid_line_leaves_the_line_intact() {
    let (_host, mut bob, _home, mut ana) = ana_with_bob();
    ana.type_keys("half typ");
    ana.expect("half typ");
    bob.say("interrupting you");
    ana.expect("<bob> interrupting you");
    // The editor redraws the prompt and the half-typed text below the message...
    ana.expect("<ana> half typ");
    // ...and it is still the line being edited.
    ana.type_line("ed");
    bob.expect_message("ana", "say", "half typed");
}

#[test]
fn history_is_recalled_with_up_after_a_restart() {
    let host = Host::start(&[]);
    let mut bob = JsonClient::join(&host, "bob");
    let home = temp_dir();
    let mut first = PtyClient::joined(&host, home.path(), "ana", &[]);
    first.enter_line("remember me");
    bob.expect_message("ana", "say", "remember me");
    first.enter_line(" not me");
    bob.expect_message("ana", "say", " not me");
    first.control('d');
    assert_eq!(first.exit_code(), 0);
    let saved = std::fs::read_to_string(home.path().join("data/chatroom/history")).unwrap();
    assert!(saved.contains("remember me"), "{saved:?}");
    assert!(
        !saved.contains("not me"),
        "a line starting with a space was saved"
    );

    bob.expect_event_where("leave", |e| e["nick"] == "ana");
    let mut second = PtyClient::joined(&host, home.path(), "ana", &[]);
    second.type_keys(UP);
    second.expect("remember me");
    second.type_keys("\r");
    bob.expect_message("ana", "say", "remember me");
}

#[test]
fn list_shows_who_is_here() {
    let host = Host::start(&[]);
    let _bob = JsonClient::join(&host, "bob");
    let (_home, mut ana) = ana_joins(&host);
    ana.type_line("/list");
    ana.expect_regex(r"\*\*\* 2 here: (ana, bob|bob, ana)");
}

#[test]
fn tab_completes_a_nick() {
    let host = Host::start(&[]);
    let mut carol = JsonClient::join(&host, "carol");
    let (_home, mut ana) = ana_joins(&host);
    ana.type_keys("ca\t");
    ana.expect("carol: ");
    ana.type_line("hi");
    carol.expect_message("ana", "say", "carol: hi");
}

#[test]
fn tab_completes_a_nick_who_joined_later() {
    let host = Host::start(&[]);
    let (_home, mut ana) = ana_joins(&host);
    let mut dave = JsonClient::join(&host, "dave");
    ana.expect("dave joined");
    ana.type_keys("/msg da\t");
    ana.expect("/msg dave ");
    ana.type_line("psst");
    dave.expect_message("ana", "pm", "psst");
    ana.expect("[pm to dave] psst");
}

#[test]
fn host_shutdown_ends_the_client_with_a_friendly_line() {
    let host = Host::start(&[]);
    let (_home, mut ana) = ana_joins(&host);
    ana.type_keys("unfinished");
    ana.expect("unfinished");
    host.signal(Signal::SIGINT);
    ana.expect("room closed by host");
    assert_eq!(ana.exit_code(), 0);
}

#[test]
fn ctrl_d_leaves_cleanly() {
    let (_host, mut bob, _home, mut ana) = ana_with_bob();
    ana.control('d');
    assert_eq!(ana.exit_code(), 0);
    let left = bob.expect_event_where("leave", |e| e["nick"] == "ana");
    assert_eq!(left["reason"], "quit");
}

#[test]
fn ctrl_c_clears_a_line_then_twice_on_an_empty_one_leaves() {
    let (_host, mut bob, _home, mut ana) = ana_with_bob();
    ana.type_keys("oops");
    ana.expect("oops");
    ana.control('c');
    ana.enter_line("fine");
    bob.expect_message("ana", "say", "fine");
    // The first Ctrl-C on an empty line only says how to leave...
    first_ctrl_c(&mut ana);
    // ...the second one in a row leaves.
    ana.control('c');
    assert_eq!(ana.exit_code(), 0);
    let left = bob.expect_event_where("leave", |e| e["nick"] == "ana");
    assert_eq!(left["reason"], "quit");
}

/// ana, joined on a terminal (no colors) and reading keys, with a home of her own.
fn ana_joins(host: &Host) -> (tempfile::TempDir, PtyClient) {
    let home = temp_dir();
    let ana = PtyClient::joined(host, home.path(), "ana", &[]);
    (home, ana)
}

/// A room with bob in it (on a JSON socket), then ana on a terminal, as [`ana_joins`].
fn ana_with_bob() -> (Host, JsonClient, tempfile::TempDir, PtyClient) {
    let host = Host::start(&[]);
    let bob = JsonClient::join(&host, "bob");
    let (home, ana) = ana_joins(&host);
    (host, bob, home, ana)
}

/// Presses Ctrl-C on an empty line, and waits for the hint and the editor reading keys again.
fn first_ctrl_c(ana: &mut PtyClient) {
    ana.control('c');
    ana.expect(LEAVE_HINT);
    ana.expect(EDITING);
}

#[test]
fn ctrl_c_on_an_empty_line_does_not_leave_unless_pressed_twice_in_a_row() {
    let (_host, mut bob, _home, mut ana) = ana_with_bob();
    first_ctrl_c(&mut ana);
    // Another key in between: the next Ctrl-C on an empty line is a first one again.
    ana.type_keys("x");
    ana.expect("<ana> x");
    ana.type_keys("\x7f");
    ana.expect("<ana> \r");
    first_ctrl_c(&mut ana);
    ana.enter_line("still here");
    bob.expect_message("ana", "say", "still here");
}

#[test]
fn quit_leaves_and_unknown_commands_are_explained_not_sent() {
    let (_host, mut bob, _home, mut ana) = ana_with_bob();
    ana.type_line("/dance");
    ana.expect("error: unknown command /dance");
    ana.type_line("/me waves");
    // The first thing bob hears is the action: /dance never left the client.
    let first = bob.expect_event("message");
    assert_eq!(
        (&first["kind"], &first["text"]),
        (&"me".into(), &"waves".into())
    );
    ana.type_line("/quit");
    assert_eq!(ana.exit_code(), 0);
}

#[test]
fn a_mention_rings_the_bell() {
    let (_host, mut bob, _home, mut ana) = ana_with_bob();
    bob.say("ana: lunch?");
    ana.expect("<bob> ana: lunch?\x07");
}

#[test]
fn a_taken_nick_is_asked_for_again() {
    let host = Host::start(&["--name", "testroom"]);
    let _tester = JsonClient::join(&host, "tester");
    let _bob = JsonClient::join(&host, "bob");
    let home = temp_dir();
    // No --nick: the client asks, suggesting the OS user name (USER=tester).
    let mut client = asked_for_a_nick(&host, home.path());
    // Typing replaces the suggestion rather than adding to it...
    client.type_line("bob");
    // ...and after a refusal the line starts empty again, the suggestion still offered...
    asked_again(
        &mut client,
        "nickname 'bob' is taken",
        "nickname [tester]: ",
    );
    client.type_keys("\r");
    // ...until the room refuses the suggestion itself.
    asked_again(&mut client, "nickname 'tester' is taken", "nickname: ");
    client.type_line("ana");
    client.expect("welcome to testroom, ana");
}

#[test]
fn enter_takes_the_suggested_nick() {
    let host = Host::start(&["--name", "testroom"]);
    let home = temp_dir();
    let mut client = asked_for_a_nick(&host, home.path());
    client.type_keys("\r");
    client.expect("welcome to testroom, tester");
}

/// A client started without --nick, once it asks for one, suggesting the OS user name
/// (USER=tester), its editor reading keys.
fn asked_for_a_nick(host: &Host, home: &std::path::Path) -> PtyClient {
    let mut client = PtyClient::start(host, home, &["--color", "never"]);
    client.expect(EDITING);
    client.expect("nickname [tester]: ");
    client
}

/// Waits until the client has explained the refusal (`why`) and asks again with `prompt`.
fn asked_again(client: &mut PtyClient, why: &str, prompt: &str) {
    client.expect(&format!("{why}; try another"));
    client.expect(EDITING);
    client.expect(prompt);
}

/// `chatroom join SERVER ARGS...` in a pseudo-terminal, for servers that are not a [`Host`].
fn spawn_join(server: &str, home: &std::path::Path, args: &[&str]) -> PtySession {
    let mut all = vec![server];
    all.extend_from_slice(args);
    spawn_command(
        join_command(home, &all),
        Some(PROCESS_TIMEOUT.as_millis() as u64),
    )
    .expect("the client starts in a pty")
}

/// Waits for a client's exit and returns its exit code.
fn exit_code_of(mut session: PtySession) -> i32 {
    session.exp_eof().expect("the client exits");
    match session.process().wait().unwrap() {
        WaitStatus::Exited(_, code) => code,
        other => panic!("the client ended with {other:?}"),
    }
}

#[test]
fn no_host_is_reported_before_asking_for_a_nick() {
    let home = temp_dir();
    let server = format!("127.0.0.1:{}", closed_port());
    let mut client = spawn_join(&server, home.path(), &["--color", "never"]);
    let before = client
        .exp_string("connection refused")
        .expect("the refusal is shown");
    assert!(!before.contains("nickname"), "asked first: {before:?}");
    assert_eq!(exit_code_of(client), 3);
}

#[test]
fn a_host_turning_everyone_away_is_reported_before_asking_for_a_nick() {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let server = listener.local_addr().unwrap().to_string();
    let busy = std::thread::spawn(move || {
        let (mut stream, _) = listener.accept().unwrap();
        stream
            .write_all(b"error: too many connections; try again later\n")
            .unwrap();
    });
    let home = temp_dir();
    let mut client = spawn_join(&server, home.path(), &["--color", "never"]);
    let before = client
        .exp_string("too many connections")
        .expect("the refusal is shown");
    assert!(!before.contains("nickname"), "asked first: {before:?}");
    busy.join().unwrap();
    assert_eq!(exit_code_of(client), 4);
}

#[test]
fn a_host_that_stops_answering_is_said_on_screen_and_so_is_its_return() {
    let host = Host::start(&[]);
    let home = temp_dir();
    let mut ana = PtyClient::joined(&host, home.path(), "ana", &["--timeout", "1"]);
    // Stopped: still connected, answering nothing (a hung machine looks the same).
    host.signal(nix::sys::signal::Signal::SIGSTOP);
    ana.type_line("anyone there?");
    ana.expect("the host has not answered for");
    host.signal(nix::sys::signal::Signal::SIGCONT);
    ana.expect("the host is answering again");
}

#[test]
fn a_typed_ping_is_answered() {
    let host = Host::start(&[]);
    let home = temp_dir();
    let mut ana = PtyClient::joined(&host, home.path(), "ana", &[]);
    ana.type_line("/ping");
    ana.expect("*** pong");
    ana.type_line("/quit");
    assert_eq!(ana.exit_code(), 0, "the ping was counted as answered");
}

#[test]
fn a_full_room_is_reported_before_asking_for_a_nick() {
    let host = Host::start(&["--max-clients", "1"]);
    let _only = harness::PlainClient::join(&host, "only");
    let home = temp_dir();
    let mut client = spawn_join(&host.server(), home.path(), &["--color", "never"]);
    let before = client
        .exp_string("room is full (1/1)")
        .expect("the full room is shown");
    assert!(!before.contains("nickname"), "asked first: {before:?}");
    assert_eq!(exit_code_of(client), 4);
}

#[test]
fn a_host_that_stopped_waiting_for_the_nick_is_reconnected_to() {
    let host = Host::start(&["--name", "testroom", "--handshake-timeout", "1"]);
    let home = temp_dir();
    let mut client = asked_for_a_nick(&host, home.path());
    // A slow typist: the host closes the connection it opened for the greeting meanwhile.
    std::thread::sleep(Duration::from_millis(2500));
    client.type_line("ana");
    client.expect("welcome to testroom, ana");
}

#[test]
fn nick_changes_the_prompt() {
    let (_host, mut bob, _home, mut ana) = ana_with_bob();
    ana.type_line("/nick anna");
    ana.expect("ana is now anna");
    ana.expect("<anna> ");
    ana.type_line("renamed");
    bob.expect_message("anna", "say", "renamed");
}

#[test]
fn a_pasted_block_is_one_message_per_line_in_order() {
    let (_host, mut bob, _home, mut ana) = ana_with_bob();
    // A bracketed paste of three lines, then Enter.
    ana.type_keys("\x1b[200~one\rtwo\r/me three\x1b[201~");
    ana.expect("three");
    ana.type_keys("\r");
    bob.expect_message("ana", "say", "one");
    bob.expect_message("ana", "say", "two");
    bob.expect_message("ana", "me", "three");
    // On screen too, each reads as its own line.
    ana.expect_regex(r"<ana> one\r?\n\[\d\d:\d\d\] <ana> two\r?\n\[\d\d:\d\d\] \* ana three");
}

#[test]
fn our_own_actions_and_literal_slashes_echo_as_the_room_reads_them() {
    let (_host, mut bob, _home, mut ana) = ana_with_bob();
    ana.type_line("/me waves back");
    ana.expect_regex(r"\[\d\d:\d\d\] \* ana waves back");
    ana.expect(EDITING);
    bob.expect_message("ana", "me", "waves back");
    ana.type_line("//etc/hosts");
    ana.expect_regex(r"\[\d\d:\d\d\] <ana> /etc/hosts");
    bob.expect_message("ana", "say", "/etc/hosts");
}

#[test]
fn a_private_message_to_ourselves_is_confirmed_once() {
    let (_host, _bob, _home, mut ana) = ana_with_bob();
    ana.type_line("/msg ana note");
    let mut shown = ana.expect(EDITING);
    // /list is answered after both the message and its ack: everything about the note is
    // on screen by then.
    ana.type_line("/list");
    shown += &ana.expect("2 here: ana, bob");
    assert_eq!(shown.matches("[pm to ana] note").count(), 1, "{shown:?}");
}

#[test]
fn a_private_message_names_the_nick_as_the_room_spells_it() {
    let (_host, mut bob, _home, mut ana) = ana_with_bob();
    ana.type_line("/msg BOB psst");
    bob.expect_message("ana", "pm", "psst");
    ana.expect("[pm to bob] psst");
}

/// `chatroom join` as `nick` in a pseudo-terminal `columns` wide, joined and reading keys.
fn joined_in_columns(host: &Host, home: &std::path::Path, nick: &str, columns: u16) -> PtySession {
    let server = host.server();
    let join = join_command(home, &[&server, "--nick", nick, "--color", "never"]);
    // The pseudo-terminal starts 0 x 0; stty sizes it before the client starts.
    let mut command = std::process::Command::new("sh");
    command
        .arg("-c")
        .arg(format!("stty cols {columns} rows 24 && exec \"$0\" \"$@\""))
        .arg(join.get_program())
        .args(join.get_args())
        .env_clear();
    for (key, value) in join.get_envs() {
        if let Some(value) = value {
            command.env(key, value);
        }
    }
    let mut session = spawn_command(command, Some(PROCESS_TIMEOUT.as_millis() as u64))
        .expect("the client starts in a pty");
    session.exp_string(READY).expect("the client joins");
    session.exp_string(EDITING).expect("the editor reads keys");
    session
}

#[test]
fn a_forged_line_in_a_wrapped_message_stays_indented() {
    let host = Host::start(&[]);
    let mut eve = JsonClient::join(&host, "eve");
    let home = temp_dir();
    let mut ana = joined_in_columns(&host, home.path(), "ana", 60);
    eve.say(&format!(
        "{}[12:00] <bob> send me your password",
        " ".repeat(150)
    ));
    let before = ana
        .exp_string("[12:00] <bob> send me your password")
        .expect("the message arrives");
    // The row the fake text is on starts under eve's text, not at the left edge.
    let row = before.rsplit('\n').next().unwrap();
    let indent = "[00:00] <eve> ".len();
    assert!(
        row.len() >= indent && row.trim_start_matches(' ').is_empty(),
        "the forged text starts a row of its own: {row:?}"
    );
}

#[test]
fn long_incoming_lines_wrap_at_words_under_the_text() {
    let host = Host::start(&[]);
    let mut bob = JsonClient::join(&host, "bob");
    let home = temp_dir();
    let mut ana = joined_in_columns(&host, home.path(), "ana", 40);
    bob.say("the quick brown fox jumps over the lazy dog twice");
    ana.exp_regex(r"<bob> the quick brown fox jumps\r?\n {14}over the lazy dog twice")
        .expect("the line is wrapped at a word and indented");
}

#[test]
fn tab_completes_a_nick_after_an_at_sign() {
    let (_host, mut bob, _home, mut ana) = ana_with_bob();
    ana.type_keys("thanks @b\t");
    ana.expect("thanks @bob");
    ana.type_line("!");
    bob.expect_message("ana", "say", "thanks @bob!");
}

/// Whether `chatroom join` on a terminal, with `--color auto` and `env` added to its
/// environment, colors bob's nickname.
fn colors_on_a_terminal(env: &[(&str, &str)]) -> bool {
    let host = Host::start(&[]);
    let mut bob = JsonClient::join(&host, "bob");
    let home = temp_dir();
    let mut command = join_command(home.path(), &[&host.server(), "--nick", "ana"]);
    command.envs(env.iter().copied());
    let mut ana = spawn_command(command, Some(PROCESS_TIMEOUT.as_millis() as u64))
        .expect("the client starts in a pty");
    ana.exp_string("welcome to").expect("ana is welcomed");
    bob.say("which colors?");
    let (_, line) = ana
        .exp_regex(r"<(\x1b\[[0-9;]*m)*bob(\x1b\[[0-9;]*m)*> which colors\?")
        .expect("bob's message arrives");
    line.contains('\x1b')
}

#[test]
fn auto_colors_a_terminal_unless_clicolor_0_or_term_dumb_says_no() {
    assert!(colors_on_a_terminal(&[]), "a color terminal");
    assert!(!colors_on_a_terminal(&[("CLICOLOR", "0")]), "CLICOLOR=0");
    assert!(!colors_on_a_terminal(&[("TERM", "dumb")]), "TERM=dumb");
    assert!(!colors_on_a_terminal(&[("NO_COLOR", "1")]), "NO_COLOR=1");
}
