//! The config file, `chatroom.toml`: the defaults people would otherwise retype.
//!
//! Top-level keys are for the commands that connect to a room (`server`, `port`, `nick`,
//! `timeout`, `tls`, `fingerprint` and `data-dir` for `join` and `send`; `color`, `timestamps`,
//! `history-file` and `keepalive` for `join`), and a `[host]` table holds `chatroom host`'s options. Every key is named after the long option it
//! sets (`timestamps = false` is `--no-timestamps`).
//!
//! Precedence is flag > environment > file > built-in default, and clap enforces it itself: a
//! file value becomes its option's *default value* ([`with_file_defaults`]), which clap uses only
//! when neither the command line nor the option's environment variable gave one (its
//! `ArgMatches::value_source` is then `DefaultValue`). Each value is checked up front by its
//! option's own clap parser ([`parse`]), so the file obeys the same ranges and choices as the
//! command line, and a mistake is one line naming the file and the line: `PATH:LINE: ...`.
//!
//! The file is read only by the commands it configures (`host`, `join`, `send`), once their
//! command line has parsed; `--help` never shows the file's values.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use clap::{CommandFactory, FromArgMatches};
use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::cli::Cli;
use crate::error::{Error, ExitStatus, Result};

/// The file's name, in the user's config directory.
pub const FILE_NAME: &str = "chatroom.toml";

/// Top-level keys: for the commands that connect to a room.
pub const CLIENT_KEYS: &[&str] = &[
    "server",
    "port",
    "nick",
    "timeout",
    "tls",
    "fingerprint",
    "data-dir",
    "color",
    "timestamps",
    "history-file",
    "keepalive",
    "password-file",
];

/// Keys of the `[host]` table. `quiet` is left out on purpose: no flag could undo it, and so is
/// `password`: the file holds settings people share and paste, not secrets (`password-file`
/// names a file that can be kept private).
pub const HOST_KEYS: &[&str] = &[
    "bind",
    "port",
    "name",
    "motd",
    "max-clients",
    "max-line",
    "rate-limit",
    "burst",
    "handshake-timeout",
    "outbox",
    "max-queued",
    "quiet-above",
    "history",
    "max-per-ip",
    "keepalive",
    "threads",
    "log-file",
    "log-format",
    "password-file",
    "op-password-file",
    "open-topic",
    "tls",
    "tls-cert",
    "tls-key",
    "data-dir",
    "store",
    "retain-messages",
    "retain-days",
    "redis",
];

/// The commands that read the file.
const READERS: [&str; 3] = ["host", "join", "send"];

/// One setting read from the file: the clap argument it sets and its value as the command line
/// would spell it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    /// The commands it applies to (those of them that have the argument).
    pub commands: &'static [&'static str],
    /// The clap id of the argument (`max_clients`).
    pub arg: String,
    pub value: String,
}

/// `chatroom.toml` in the user's config directory: `$XDG_CONFIG_HOME` or `~/.config` on Linux,
/// `~/Library/Application Support` on macOS, `%APPDATA%` on Windows.
pub fn default_path() -> Option<PathBuf> {
    dirs::config_dir().map(|dir| dir.join("chatroom").join(FILE_NAME))
}

/// Parses the process's command line, with the config file's settings as defaults for the
/// command that runs. Help, `--version` and usage errors exit here, as clap always does.
pub fn parse_command_line() -> Result<Cli> {
    let args: Vec<OsString> = std::env::args_os().collect();
    let matches = Cli::command().get_matches_from(&args);
    let cli = Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit());
    let reads = matches
        .subcommand_name()
        .is_some_and(|name| READERS.contains(&name));
    if !reads || cli.no_config {
        return Ok(cli);
    }
    let settings = match &cli.config {
        Some(path) => parse(path, &read(path)?)?,
        None => match default_path() {
            Some(path) if path.exists() => parse(&path, &read(&path)?)?,
            _ => Vec::new(),
        },
    };
    if settings.is_empty() {
        return Ok(cli);
    }
    let matches = with_file_defaults(Cli::command(), &settings).get_matches_from(&args);
    Ok(Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit()))
}

/// The file's text; a file that cannot be read is a usage error naming it.
fn read(path: &Path) -> Result<String> {
    std::fs::read_to_string(path).map_err(|e| {
        Error::new(
            ExitStatus::Usage,
            format!(
                "cannot read config file {}: {}",
                path.display(),
                crate::error::describe_io(&e)
            ),
        )
    })
}

/// The settings in `text`, the contents of the file at `path`; any mistake (bad TOML, an unknown
/// key, a value the option refuses) is a usage error `PATH:LINE: what is wrong`.
pub fn parse(path: &Path, text: &str) -> Result<Vec<Setting>> {
    let at = |span: std::ops::Range<usize>, message: &str| {
        let line = text[..span.start.min(text.len())].matches('\n').count() + 1;
        // toml's messages can span lines; the error is one line.
        let message = message.trim().replace('\n', "; ");
        Error::new(
            ExitStatus::Usage,
            format!("{}:{line}: {message}", path.display()),
        )
    };
    let document = DeTable::parse(text)
        .map_err(|e| at(e.span().unwrap_or(0..0), e.message()))?
        .into_inner();
    let mut settings = Vec::new();
    for (key, value) in in_file_order(&document) {
        if key.get_ref() == "host" {
            let DeValue::Table(table) = value.get_ref() else {
                return Err(at(value.span(), "`host` must be a table: [host]"));
            };
            for (key, value) in in_file_order(table) {
                settings.push(
                    setting(key, value, HOST_KEYS, &["host"]).map_err(|m| at(key.span(), &m))?,
                );
            }
        } else {
            settings.push(
                setting(key, value, CLIENT_KEYS, &["join", "send"])
                    .map_err(|m| at(key.span(), &m))?,
            );
        }
    }
    Ok(settings)
}

/// The entries of `table` in the order the file has them (the map sorts its keys), so the first
/// mistake reported is the first one in the file.
fn in_file_order<'t, 'i>(
    table: &'t DeTable<'i>,
) -> Vec<(
    &'t Spanned<std::borrow::Cow<'i, str>>,
    &'t Spanned<DeValue<'i>>,
)> {
    let mut entries: Vec<_> = table.iter().collect();
    entries.sort_by_key(|(key, _)| key.span().start);
    entries
}

/// The setting `key = value`, if `key` is one of `known` and the value one its option takes.
fn setting(
    key: &Spanned<std::borrow::Cow<'_, str>>,
    value: &Spanned<DeValue<'_>>,
    known: &[&str],
    commands: &'static [&'static str],
) -> std::result::Result<Setting, String> {
    let name = key.get_ref().as_ref();
    if !known.contains(&name) {
        let section = if commands == ["host"] { "[host] " } else { "" };
        return Err(format!(
            "unknown key `{name}`; {section}keys are: {}",
            known.join(", ")
        ));
    }
    let (arg, value) = match (name, value.get_ref()) {
        // The file says it the positive way; the option is --no-timestamps.
        ("timestamps", DeValue::Boolean(show)) => {
            ("no_timestamps".to_string(), (!show).to_string())
        }
        ("timestamps", _) => return Err("`timestamps` must be true or false".into()),
        ("tls", DeValue::Boolean(on)) => ("tls".to_string(), on.to_string()),
        ("tls", _) => return Err("`tls` must be true or false".into()),
        ("store", DeValue::Boolean(on)) => ("store".to_string(), on.to_string()),
        ("store", _) => return Err("`store` must be true or false".into()),
        ("open-topic", DeValue::Boolean(on)) => ("open_topic".to_string(), on.to_string()),
        ("open-topic", _) => return Err("`open-topic` must be true or false".into()),
        (_, DeValue::String(text)) => (name.replace('-', "_"), text.to_string()),
        (_, DeValue::Integer(int)) => match i128::from_str_radix(int.as_str(), int.radix()) {
            Ok(number) => (name.replace('-', "_"), number.to_string()),
            Err(_) => return Err(format!("`{name}` is too big a number")),
        },
        _ => return Err(format!("`{name}` must be a string or a whole number")),
    };
    check(commands[0], &arg, &value).map_err(|why| format!("{name}: {why}"))?;
    Ok(Setting {
        commands,
        arg,
        value,
    })
}

/// Runs `value` through the option's own parser, as `chatroom COMMAND --option=VALUE` would.
fn check(command: &str, arg: &str, value: &str) -> std::result::Result<(), String> {
    let cli = Cli::command();
    let sub = cli
        .find_subcommand(command)
        .expect("the file's commands exist");
    let option = sub
        .get_arguments()
        .find(|a| a.get_id() == arg)
        .expect("every key names an option of its command");
    if !option.get_action().takes_values() {
        // A flag: its value is a TOML boolean, already checked.
        return Ok(());
    }
    let given = match option.get_long() {
        Some(long) => format!("--{long}={value}"),
        None => value.to_string(),
    };
    match cli.try_get_matches_from(["chatroom", command, &given]) {
        Ok(_) => Ok(()),
        Err(e) => Err(clap_reason(&e)),
    }
}

/// A clap error as one line: `invalid value 'x' for '--port <N>': invalid digit found in string`,
/// without the usage and the pointer to --help, which are about a command line.
fn clap_reason(err: &clap::Error) -> String {
    let text = err.render().to_string();
    text.lines()
        .map(str::trim)
        .filter(|line| {
            !line.is_empty()
                && !line.starts_with("Usage:")
                && !line.starts_with("For more information")
                && !line.starts_with("tip:")
        })
        .map(|line| line.strip_prefix("error: ").unwrap_or(line))
        .collect::<Vec<_>>()
        .join(" ")
}

/// `cmd` with each setting as the default value of its option in the commands it applies to.
pub fn with_file_defaults(mut cmd: clap::Command, settings: &[Setting]) -> clap::Command {
    for setting in settings {
        for &command in setting.commands {
            cmd = cmd.mut_subcommand(command, |sub| {
                let has = sub
                    .get_arguments()
                    .any(|a| a.get_id() == setting.arg.as_str());
                if !has {
                    return sub;
                }
                sub.mut_arg(setting.arg.as_str(), |a| {
                    a.default_value(setting.value.clone())
                })
            });
        }
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{ColorChoice, Command, LogFormat};

    fn settings(text: &str) -> Vec<Setting> {
        parse(Path::new("chatroom.toml"), text).unwrap()
    }

    fn error(text: &str) -> String {
        let err = parse(Path::new("/etc/chatroom.toml"), text).unwrap_err();
        assert_eq!(err.status(), ExitStatus::Usage);
        let message = err.to_string();
        assert!(!message.contains('\n'), "not one line: {message}");
        message
    }

    /// The error for `text`, which must start with `prefix`.
    fn error_starting(text: &str, prefix: &str) -> String {
        let message = error(text);
        assert!(message.starts_with(prefix), "{message}");
        message
    }

    /// The command line `args` parsed with the settings of `file` as defaults.
    fn parsed(file: &str, args: &[&str]) -> Cli {
        let cmd = with_file_defaults(Cli::command(), &settings(file));
        let matches = cmd
            .try_get_matches_from(std::iter::once("chatroom").chain(args.iter().copied()))
            .unwrap();
        Cli::from_arg_matches(&matches).unwrap()
    }

    const FILE: &str = r#"
server = "chat.example.org:6000"
nick = "ana"
color = "never"
timestamps = false

[host]
port = 6000
name = "ops"
max-clients = 50
log-format = "json"
"#;

    #[test]
    fn file_values_fill_in_what_the_command_line_leaves_out() {
        let Command::Join(join) = parsed(FILE, &["join"]).command else {
            panic!("join");
        };
        assert_eq!(join.server.server, "chat.example.org:6000");
        assert_eq!(join.server.nick.as_deref(), Some("ana"));
        assert_eq!(join.color, ColorChoice::Never);
        assert!(!join.shows_timestamps());
        assert_eq!(
            join.server.timeout, 10,
            "a key the file lacks keeps its default"
        );

        let Command::Host(host) = parsed(FILE, &["host"]).command else {
            panic!("host");
        };
        assert_eq!((host.port, host.name.as_str()), (6000, "ops"));
        assert_eq!(host.max_clients, 50);
        assert_eq!(host.log_format, LogFormat::Json);
        assert_eq!(host.rate_limit, 20);
    }

    #[test]
    fn tls_in_the_file_is_on_until_no_tls_and_its_files_pair_with_the_command_line() {
        let file = "[host]\ntls = true\ndata-dir = \"/srv/chat\"\ntls-key = \"/etc/k.pem\"\n";
        let host = |args: &[&str]| {
            let mut all = vec!["host"];
            all.extend_from_slice(args);
            let Command::Host(host) = parsed(file, &all).command else {
                panic!("host");
            };
            host
        };
        let on = host(&[]);
        assert!(on.uses_tls());
        assert_eq!(on.data_dir.as_deref(), Some(Path::new("/srv/chat")));
        assert!(!host(&["--no-tls"]).uses_tls());
        assert!(host(&["--no-tls", "--tls"]).uses_tls());
        // A certificate on the command line goes with the file's key.
        let given = host(&["--tls-cert", "/etc/c.pem"]);
        assert_eq!(given.tls_key.as_deref(), Some(Path::new("/etc/k.pem")));
        assert!(error_starting("[host]\ntls = 1\n", "/etc/chatroom.toml:2:").contains("tls"));
    }

    #[test]
    fn a_client_s_tls_in_the_file_is_on_until_no_tls() {
        let print = "SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU";
        let file = format!("tls = true\nfingerprint = \"{print}\"\ndata-dir = \"/srv/me\"\n");
        let send = |args: &[&str]| {
            let mut all = vec!["send"];
            all.extend_from_slice(args);
            let Command::Send(send) = parsed(&file, &all).command else {
                panic!("send");
            };
            send
        };
        let on = send(&[]);
        assert!(on.server.uses_tls());
        assert_eq!(
            on.server.fingerprint.map(|f| f.to_string()).as_deref(),
            Some(print)
        );
        assert_eq!(on.server.data_dir.as_deref(), Some(Path::new("/srv/me")));
        assert!(!send(&["--no-tls"]).server.uses_tls());
        assert!(!send(&["--no-tls", "--tls"]).server.uses_tls());
        assert!(error("fingerprint = \"MD5:x\"\n").contains("starts with SHA256:"));
    }

    #[test]
    fn the_command_line_beats_the_file() {
        let args = [
            "join",
            "10.0.0.5",
            "--nick",
            "bob",
            "--color",
            "always",
            "--timestamps",
        ];
        let Command::Join(join) = parsed(FILE, &args).command else {
            panic!("join");
        };
        assert_eq!(join.server.server, "10.0.0.5");
        assert_eq!(join.server.nick.as_deref(), Some("bob"));
        assert_eq!(join.color, ColorChoice::Always);
        assert!(join.shows_timestamps());

        let Command::Host(host) = parsed(FILE, &["host", "--port", "7000"]).command else {
            panic!("host");
        };
        assert_eq!((host.port, host.name.as_str()), (7000, "ops"));
    }

    #[test]
    fn client_keys_serve_send_too_where_it_has_the_option() {
        let Command::Send(send) = parsed(FILE, &["send", "hi"]).command else {
            panic!("send");
        };
        assert_eq!(send.server.server, "chat.example.org:6000");
        assert_eq!(send.server.nick.as_deref(), Some("ana"));
        assert_eq!(send.message, ["hi"]);
    }

    #[test]
    fn bad_toml_names_the_file_and_line() {
        error_starting("nick = \"ana\"\nport = \n", "/etc/chatroom.toml:2: ");
    }

    #[test]
    fn unknown_keys_are_named_with_their_line() {
        error_starting(
            "nick = \"ana\"\n\n[host]\nmax-client = 5\n",
            "/etc/chatroom.toml:4: unknown key `max-client`; [host] keys",
        );
        error_starting(
            "colour = \"never\"\n",
            "/etc/chatroom.toml:1: unknown key `colour`",
        );
        assert!(error("[hots]\nport = 1\n").contains("unknown key `hots`"));
        error_starting(
            "zzz = 1\naaa = 2\n",
            "/etc/chatroom.toml:1: unknown key `zzz`",
        );
    }

    #[test]
    fn values_obey_the_options_own_rules() {
        let message = error_starting(
            "[host]\nname = \"ops\"\nmax-clients = 0\n",
            "/etc/chatroom.toml:3: max-clients: ",
        );
        assert!(message.contains("1..=1000000"), "{message}");
        assert!(error("color = \"sometimes\"\n").contains("auto, always, never"));
        assert!(error("port = 70000\n").contains(":1: port: "));
        assert!(error("timestamps = \"no\"\n").contains("true or false"));
        assert!(error("timeout = 1.5\n").contains("whole number"));
        assert!(error("host = 5\n").contains("[host]"));
    }

    #[test]
    fn every_key_names_an_option_of_its_commands() {
        let keys = CLIENT_KEYS.iter().map(|k| ("join", *k));
        for (command, key) in keys.chain(HOST_KEYS.iter().map(|k| ("host", *k))) {
            let value = match key {
                "timestamps" | "tls" | "store" | "open-topic" => "true",
                "bind" => "\"127.0.0.1\"",
                "color" => "\"auto\"",
                "log-format" => "\"text\"",
                "server" | "name" | "motd" | "nick" | "log-file" | "history-file" | "tls-cert"
                | "tls-key" | "data-dir" => "\"x\"",
                "fingerprint" => "\"SHA256:47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU\"",
                _ => "100",
            };
            let text = if command == "host" {
                format!("[host]\n{key} = {value}\n")
            } else {
                format!("{key} = {value}\n")
            };
            assert_eq!(settings(&text).len(), 1, "{key}");
        }
    }
}
