//! The config file, run as users run it: `chatroom.toml` in the config directory, `--config PATH`,
//! `CHATROOM_CONFIG`, `--no-config`; flag > environment > file > default; and a bad file as one
//! line naming the file and line, with exit status 2.
//!
//! Every command here gets a home of its own (`HOME` and `XDG_CONFIG_HOME` in a temp dir), so the
//! file a test writes is the only one its command can find.

mod harness;

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use harness::{Host, JsonClient, chatroom, repo_file, temp_dir};
use predicates::prelude::*;

/// A home holding `text` as its default config file (`$XDG_CONFIG_HOME/chatroom/chatroom.toml`).
struct Home {
    dir: tempfile::TempDir,
}

impl Home {
    fn with_config(text: &str) -> Home {
        let dir = temp_dir();
        let config = dir.path().join(".config/chatroom");
        std::fs::create_dir_all(&config).unwrap();
        std::fs::write(config.join("chatroom.toml"), text).unwrap();
        Home { dir }
    }

    /// A file elsewhere in the home, for --config and CHATROOM_CONFIG.
    fn file(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// `cmd`, living in this home.
    fn wrap(&self, mut cmd: Command) -> Command {
        let home = self.dir.path();
        cmd.env("HOME", home)
            .env("XDG_CONFIG_HOME", home.join(".config"));
        cmd
    }

    /// `chatroom ARGS...` in this home, as an assert_cmd command with a timeout.
    fn chatroom(&self, args: &[&str]) -> assert_cmd::Command {
        let mut cmd = chatroom();
        cmd.args(args);
        let mut cmd = assert_cmd::Command::from_std(self.wrap(cmd));
        cmd.timeout(Duration::from_secs(20));
        cmd
    }
}

/// Who the room, as `bot` sees it, says sent a message posted by `chatroom send` with `args`
/// from `home`, with `env`.
fn sender_of(bot: &mut JsonClient, home: &Home, args: &[&str], env: &[(&str, &str)]) -> String {
    let mut send = home.chatroom(&["send"]);
    send.args(args).arg("who am i");
    for (key, value) in env {
        send.env(key, value);
    }
    send.assert().success();
    let message = bot.expect_event_where("message", |m| m["text"] == "who am i");
    message["from"].as_str().unwrap().to_string()
}

#[test]
fn the_default_file_sets_the_hosts_options() {
    let home = Home::with_config("[host]\nmotd = \"from the file\"\nmax-clients = 7\n");
    let host = Host::launch(home.wrap(Host::command(&[])), &[]);
    let bot = JsonClient::join(&host, "bot");
    assert_eq!(bot.welcome["motd"], "from the file", "{}", bot.welcome);
    assert_eq!(bot.welcome["limits"]["max_clients"], 7, "{}", bot.welcome);
}

#[test]
fn flag_beats_environment_beats_file_beats_default() {
    let host = Host::start(&[]);
    let mut bot = JsonClient::join(&host, "bot");
    let server = host.server();
    let home = Home::with_config(&format!("server = \"{server}\"\nnick = \"from-file\"\n"));
    let env = [("CHATROOM_NICK", "from-env")];
    assert_eq!(sender_of(&mut bot, &home, &[], &[]), "from-file");
    assert_eq!(sender_of(&mut bot, &home, &[], &env), "from-env");
    assert_eq!(
        sender_of(&mut bot, &home, &["--nick", "from-flag"], &env),
        "from-flag"
    );
}

#[test]
fn config_and_chatroom_config_name_another_file_and_no_config_reads_none() {
    let host = Host::start(&[]);
    let mut bot = JsonClient::join(&host, "bot");
    let home = Home::with_config("nick = \"from-default-file\"\n");
    // Each file its own nickname: a `send` that just left may still hold the last one.
    let file = |name: &str| {
        let text = format!("server = \"{}\"\nnick = \"{name}\"\n", host.server());
        home.file(&format!("{name}.toml"), &text)
    };
    let (flag, env, both) = (
        file("from-flag-file"),
        file("from-env-file"),
        file("flag-wins"),
    );
    let (flag, both) = (flag.to_str().unwrap(), both.to_str().unwrap());
    let env = [("CHATROOM_CONFIG", env.to_str().unwrap())];
    assert_eq!(
        sender_of(&mut bot, &home, &["--config", flag], &[]),
        "from-flag-file"
    );
    assert_eq!(sender_of(&mut bot, &home, &[], &env), "from-env-file");
    assert_eq!(
        sender_of(&mut bot, &home, &["--config", both], &env),
        "flag-wins"
    );
    let server = host.server();
    let ignored = [
        "--no-config",
        "--config",
        "/no/such/file.toml",
        "-s",
        &server,
    ];
    let nick = sender_of(&mut bot, &home, &ignored, &env);
    assert!(!nick.starts_with("from-"), "a file was read: {nick}");
}

#[test]
fn a_missing_config_file_is_a_usage_error_but_a_missing_default_file_is_fine() {
    let home = Home::with_config("");
    std::fs::remove_file(home.dir.path().join(".config/chatroom/chatroom.toml")).unwrap();
    let missing = home.dir.path().join("nope.toml");
    home.chatroom(&["send", "--config", missing.to_str().unwrap(), "hi"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("nope.toml").and(predicate::str::contains("not found")));
    // No file anywhere: send gets as far as connecting (to a port where nobody listens).
    let port = harness::closed_port().to_string();
    home.chatroom(&["send", "--port", &port, "--retry", "0", "hi"])
        .assert()
        .code(3);
}

#[test]
fn a_bad_file_is_one_line_naming_the_file_and_line_and_exits_2() {
    let home = Home::with_config("nick = \"ana\"\n\n[host]\nmax-clients = 0\n");
    let path = home.dir.path().join(".config/chatroom/chatroom.toml");
    let output = home.chatroom(&["host", "--port", "0"]).assert().code(2);
    let stderr = String::from_utf8_lossy(&output.get_output().stderr).into_owned();
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with(&format!("chatroom: {}:4: max-clients: ", path.display())),
        "{stderr}"
    );

    let unknown = home.file("unknown.toml", "nick = \"ana\"\ncolour = \"never\"\n");
    home.chatroom(&["join", "--config", unknown.to_str().unwrap()])
        .assert()
        .code(2)
        .stderr(predicate::str::contains(
            "unknown.toml:2: unknown key `colour`",
        ));

    let broken = home.file("broken.toml", "[host\n");
    home.chatroom(&["send", "--config", broken.to_str().unwrap(), "hi"])
        .assert()
        .code(2)
        .stderr(predicate::str::contains("broken.toml:1: "));

    // Commands the file does not configure do not read it; --no-config ignores it.
    home.chatroom(&["man", "host"]).assert().success();
    let port = harness::closed_port().to_string();
    home.chatroom(&["send", "--no-config", "--port", &port, "--retry", "0", "hi"])
        .assert()
        .code(3);
}

#[test]
fn the_readme_and_the_man_page_document_every_key_and_the_precedence() {
    let readme = repo_file("README.md");
    let section = &readme[readme
        .find("## Configuration")
        .expect("a Configuration section")..];
    let section = &section[..section[3..]
        .find("\n## ")
        .map_or(section.len(), |end| end + 3)];
    let keys = chatroom::config::CLIENT_KEYS
        .iter()
        .chain(chatroom::config::HOST_KEYS);
    for key in keys {
        assert!(
            section.contains(&format!("`{key}`")),
            "README: {key} undocumented"
        );
    }
    let page = String::from_utf8(chatroom::docs::man::render(None).unwrap()).unwrap();
    for needle in [
        "chatroom.toml",
        "CHATROOM_CONFIG",
        "the command line, its environment variable",
    ] {
        assert!(
            page.replace("\\-", "-").contains(needle),
            "man page: no {needle}"
        );
    }
}
