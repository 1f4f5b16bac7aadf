//! Man pages: chatroom(1) and one page per visible command (chatroom-host(1), ...).
//!
//! clap_mangen renders what the clap definition knows (synopsis, description, options, the
//! command list). What it cannot know is written here as roff: examples, exit status, the
//! environment, files and a protocol summary, because a man page is where people look for them.
//! Every command that is not hidden gets its own page automatically, so a new command needs no
//! change here.

use std::io::{self, Write};

use clap::{Arg, ArgAction};
use clap_mangen::Man;
use clap_mangen::roff::{Inline, Roff, bold, italic, roman};

use crate::error::{Error, ExitStatus, Result};

/// The repository folder holding the pages.
pub const DIR: &str = "man";

/// The man section: user commands.
const SECTION: &str = "1";

/// Every page, with its file name: `chatroom.1`, then `chatroom-COMMAND.1` per visible command.
pub fn all() -> Vec<(String, Vec<u8>)> {
    let root = root_command();
    let main = (file_name(&root), render_main(&root));
    let commands = visible_commands(&root).map(|cmd| (file_name(cmd), render_command(cmd)));
    std::iter::once(main).chain(commands).collect()
}

/// The page `chatroom man [COMMAND]` prints: chatroom(1) without a command.
pub fn render(command: Option<&str>) -> Result<Vec<u8>> {
    let root = root_command();
    let Some(name) = command else {
        return Ok(render_main(&root));
    };
    match visible_commands(&root).find(|cmd| cmd.get_name() == name) {
        Some(cmd) => Ok(render_command(cmd)),
        None => {
            let names: Vec<&str> = visible_commands(&root).map(|cmd| cmd.get_name()).collect();
            Err(Error::new(
                ExitStatus::Usage,
                format!(
                    "there is no man page for '{name}'; pages: {}",
                    names.join(", ")
                ),
            ))
        }
    }
}

/// The clap definition, built so that subcommands know their full names ("chatroom host" and
/// "chatroom-host"), without clap's implicit `help` command, which needs no page.
fn root_command() -> clap::Command {
    let mut root = super::command().disable_help_subcommand(true);
    root.build();
    root
}

fn visible_commands(root: &clap::Command) -> impl Iterator<Item = &clap::Command> {
    root.get_subcommands().filter(|cmd| !cmd.is_hide_set())
}

/// `chatroom.1`, `chatroom-host.1`: the name `man` finds the page by.
fn file_name(cmd: &clap::Command) -> String {
    Man::new(cmd.clone()).section(SECTION).get_filename()
}

/// chatroom(1): the generated sections, then the ones a user of the whole program needs.
fn render_main(root: &clap::Command) -> Vec<u8> {
    let extra = [
        examples(),
        exit_status(),
        environment(),
        files(),
        protocol(),
    ];
    render_page(root, &extra)
}

/// chatroom-COMMAND(1): the generated sections, the environment variables the command reads,
/// and a pointer to chatroom(1).
fn render_command(cmd: &clap::Command) -> Vec<u8> {
    let mut see_also = Roff::new();
    see_also.control("SH", ["SEE ALSO"]);
    see_also.text([
        bold(super::BIN_NAME),
        roman("(1), for examples, exit status, environment, files and the wire protocol."),
    ]);
    let extra: Vec<Roff> = command_examples(cmd)
        .into_iter()
        .chain(typed_commands(cmd))
        .chain(command_environment(cmd))
        .chain([see_also])
        .collect();
    render_page(cmd, &extra)
}

/// A page in the usual order: NAME, SYNOPSIS, DESCRIPTION, OPTIONS, the command list, then
/// `extra`, then VERSION last.
fn render_page(cmd: &clap::Command, extra: &[Roff]) -> Vec<u8> {
    type Section = fn(&Man, &mut dyn Write) -> io::Result<()>;
    // The footer names the program and its version on every page; clap_mangen would put the
    // subcommand's own name there ("host 0.1.0").
    let source = format!("{} {}", super::BIN_NAME, env!("CARGO_PKG_VERSION"));
    let man = Man::new(cmd.clone()).section(SECTION).source(source);
    // SYNOPSIS comes after NAME and is our own (see `synopsis`).
    let mut generated: Vec<Section> = vec![Man::render_description_section];
    if cmd.get_arguments().any(|arg| !arg.is_hide_set()) {
        generated.push(Man::render_options_section);
    }
    if visible_commands(cmd).next().is_some() {
        generated.push(Man::render_subcommands_section);
    }
    // `after_help` is not rendered as it is: chatroom(1)'s points terminal users at `--help`,
    // which a man page reader does not need, and a command's examples get their own EXAMPLES
    // section (`command_examples`). `after_long_help` is meant for full documentation, so it stays.
    if cmd.get_after_long_help().is_some() {
        generated.push(Man::render_extra_section);
    }

    let mut page = PageBuilder::default();
    page.push(|out| man.render_title(out));
    // No hyphenation: a reader who copies `--history-file` or `CLICOLOR_FORCE` from a page must
    // not get a hyphen the program has never heard of.
    page.push(|out| Roff::new().control("nh", []).to_writer(out));
    page.push(|out| man.render_name_section(out));
    page.push(|out| out.write_all(synopsis(cmd).as_bytes()));
    for section in generated {
        page.push(|out| section(&man, out));
    }
    for roff in extra {
        page.push(|out| roff.to_writer(out));
    }
    page.push(|out| man.render_version_section(out));
    page.out
}

/// What stands for roff's unpaddable space (`\ `) until the roff crate, which escapes every
/// backslash, has rendered the text: an option and its value never break across lines.
const UNBREAKABLE: char = '\u{a0}';

/// SYNOPSIS, as clap_mangen writes it but with each option's value (`[-p|--port N]`, where
/// clap_mangen writes `[-p|--port]`), and `...` after what may be repeated.
fn synopsis(cmd: &clap::Command) -> String {
    let name = cmd.get_bin_name().unwrap_or_else(|| cmd.get_name());
    let mut line = vec![bold(name)];
    let mut options: Vec<&Arg> = cmd
        .get_arguments()
        .filter(|arg| !arg.is_hide_set() && !arg.is_positional())
        .collect();
    // clap_mangen's order: as displayed in --help, then by name.
    options.sort_by_key(|arg| (arg.get_display_order(), arg.get_long()));
    let positionals = cmd.get_positionals().filter(|arg| !arg.is_hide_set());
    for arg in options.into_iter().chain(positionals) {
        line.push(roman(" "));
        line.extend(synopsis_arg(arg));
    }
    if cmd.has_subcommands() {
        line.extend([roman(" "), italic("COMMAND")]);
    }
    let mut roff = section("SYNOPSIS");
    roff.text(line);
    roff.render().replace(UNBREAKABLE, "\\ ")
}

/// One argument in SYNOPSIS: `[-p|--port N]`, `[--json]`, `[MESSAGE]...`, `SHELL`.
fn synopsis_arg(arg: &Arg) -> Vec<Inline> {
    let mut inline = Vec::new();
    let optional = !arg.is_required_set();
    if optional {
        inline.push(roman("["));
    }
    let names: Vec<String> = arg
        .get_short()
        .map(|short| format!("-{short}"))
        .into_iter()
        .chain(arg.get_long().map(|long| format!("--{long}")))
        .collect();
    for (i, name) in names.into_iter().enumerate() {
        if i > 0 {
            inline.push(roman("|"));
        }
        inline.push(bold(name));
    }
    if arg.get_num_args().is_some_and(|n| n.takes_values()) {
        let value = match arg.get_value_names() {
            Some(names) => names
                .iter()
                .map(|n| n.as_str())
                .collect::<Vec<_>>()
                .join(" "),
            None => arg.get_id().as_str().to_uppercase(),
        };
        if !arg.is_positional() {
            inline.push(roman(UNBREAKABLE));
        }
        inline.push(italic(value));
    }
    if optional {
        inline.push(roman("]"));
    }
    let repeated = matches!(arg.get_action(), ArgAction::Append | ArgAction::Count)
        || arg.get_num_args().is_some_and(|n| n.max_values() > 1);
    if repeated {
        inline.push(roman("..."));
    }
    inline
}

/// Joins separately rendered sections into one page.
///
/// Every rendered chunk of roff starts with the same preamble (it defines the apostrophe
/// string); a page needs it once.
#[derive(Default)]
struct PageBuilder {
    out: Vec<u8>,
}

impl PageBuilder {
    fn push(&mut self, render: impl FnOnce(&mut dyn Write) -> io::Result<()>) {
        let mut chunk = Vec::new();
        render(&mut chunk).expect("writing to a Vec cannot fail");
        let preamble = Roff::new().render();
        let body = match chunk.strip_prefix(preamble.as_bytes()) {
            Some(body) if !self.out.is_empty() => body,
            _ => &chunk,
        };
        self.out.extend_from_slice(body);
    }
}

/// A section heading.
fn section(title: &str) -> Roff {
    let mut roff = Roff::new();
    roff.control("SH", [title]);
    roff
}

/// A paragraph of plain text.
fn paragraph(roff: &mut Roff, text: &str) {
    roff.control("PP", []).text([roman(text)]);
}

/// A term followed by its indented explanation (`.TP`), whose Markdown code spans are bold.
fn tagged(roff: &mut Roff, term: impl Into<Vec<Inline>>, text: &str) {
    roff.control("TP", []).text(term).text(code_spans(text));
}

/// `` `host` closes the room `` -> **host** closes the room: text written once for Markdown (the
/// README) and for a man page, which has no code font and sets commands in bold.
fn code_spans(text: &str) -> Vec<Inline> {
    text.split('`')
        .enumerate()
        .filter(|(_, piece)| !piece.is_empty())
        .map(|(i, piece)| {
            if i % 2 == 1 {
                bold(piece)
            } else {
                roman(piece)
            }
        })
        .collect()
}

/// Lines shown verbatim and indented, as a terminal would show them.
fn literal(roff: &mut Roff, lines: &[&str]) {
    roff.control("RS", ["4"]).control("nf", []);
    for line in lines {
        roff.text([roman(*line)]);
    }
    roff.control("fi", []).control("RE", []);
}

/// What a reader wants to copy: each example says what it does, then shows the commands.
const EXAMPLES: &[(&str, &[&str])] = &[
    (
        "Start a room on port 55555 of every interface, with a name and a message of the day:",
        &[r#"chatroom host --name ops --motd "be kind""#],
    ),
    (
        "Join it from another machine, or with nothing but nc:",
        &[
            "chatroom join 192.168.1.20 --nick alice",
            "nc 192.168.1.20 55555",
        ],
    ),
    (
        "Post a build's output into the room, one message per line; send exits 0 only once the \
         host has acknowledged every line:",
        &["make test 2>&1 | chatroom send -s 192.168.1.20 --nick ci"],
    ),
    (
        "Post one message, or a private one:",
        &[
            r#"chatroom send -s 192.168.1.20 --nick ci "deploy done""#,
            r#"chatroom send -s 192.168.1.20 --nick ci --to alice "your build is green""#,
        ],
    ),
    (
        "A bot that keeps a transcript: chatroom join --json prints one JSON event per line \
         (see PROTOCOL), which jq turns into tab-separated time, sender and text:",
        &[
            "chatroom join 192.168.1.20 --nick logger --json |",
            r#"  jq --unbuffered -r 'select(.type == "message")"#,
            "                      | [.ts, .from, .text] | @tsv' >> transcript.tsv",
        ],
    ),
];

fn examples() -> Roff {
    let mut roff = section("EXAMPLES");
    for (what, commands) in EXAMPLES {
        paragraph(&mut roff, what);
        literal(&mut roff, commands);
    }
    roff
}

/// EXIT STATUS: every [`ExitStatus`], with the meaning the README's table shows too.
fn exit_status() -> Roff {
    let mut roff = section("EXIT STATUS");
    for status in ExitStatus::ALL {
        tagged(
            &mut roff,
            [bold(status.code().to_string())],
            status.meaning(),
        );
    }
    roff
}

/// The environment variables chatroom reads. The ones the clap definition reads are checked
/// against this list by a test, so a new one cannot go undocumented.
const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "CHATROOM_SERVER",
        "The room to connect to when join is given no SERVER, or send no --server.",
    ),
    (
        "CHATROOM_PORT",
        "The default for --port: the port chatroom host listens on, and the port send and join \
         connect to when SERVER names none.",
    ),
    (
        "CHATROOM_NICK",
        "The default for --nick. Without either, the nickname is the operating system's user \
         name.",
    ),
    (
        "CHATROOM_TLS",
        "When set to 1, yes, on or true, send and join connect over TLS, as with --tls.",
    ),
    (
        "CHATROOM_FINGERPRINT",
        "The default for send and join --fingerprint: the only certificate fingerprint \
         (SHA256:...) to trust.",
    ),
    (
        "CHATROOM_CONFIG",
        "The config file to read instead of chatroom.toml in the user's config directory, as \
         --config; --no-config ignores it.",
    ),
    (
        "CHATROOM_PASSWORD",
        "The room's password: chatroom host gives the room this password (as --password, without \
         showing it in ps), and send and join give it to a room that has one (as \
         --password-file). It crosses the network in clear text unless the room uses TLS.",
    ),
    (
        "CHATROOM_OP_PASSWORD",
        "The operator password of chatroom host (as --op-password-file): members who give it with \
         /op PASSWORD become operators of the room.",
    ),
    (
        "CHATROOM_THREADS",
        "The default for chatroom host --threads: how many threads serve connections.",
    ),
    (
        "CHATROOM_DATA_DIR",
        "The default for --data-dir: where chatroom host keeps its state (its TLS certificate, \
         and with --store the room's messages in room.sqlite3), and where join and send keep the \
         known_hosts file.",
    ),
    (
        "CHATROOM_REDIS",
        "The default for chatroom host --redis: the Redis URL through which the host shares its \
         room with every host naming the same Redis and room name. It may hold a password, so \
         --help does not show its value.",
    ),
    (
        "NO_COLOR",
        "When set to anything but the empty string, output has no colors unless --color always \
         asks for them.",
    ),
    (
        "CLICOLOR_FORCE",
        "When set to anything but the empty string or 0, output has colors even when it is not \
         a terminal, unless NO_COLOR is set; --color never still turns them off.",
    ),
    (
        "CLICOLOR",
        "When 0, output has no colors under --color auto. When set to anything else, it says \
         the terminal can show colors even without TERM.",
    ),
    (
        "TERM",
        "Under --color auto, a terminal whose TERM is dumb gets no colors, nor, on Unix, one \
         without TERM.",
    ),
];

/// EXAMPLES of a command's page: the ones its `--help` ends with (its `after_help`, "Examples:"
/// and one indented command line each), shown as they are.
fn command_examples(cmd: &clap::Command) -> Option<Roff> {
    let after_help = cmd.get_after_help()?.to_string();
    let lines = after_help.strip_prefix("Examples:\n")?;
    let lines: Vec<&str> = lines.lines().map(str::trim).collect();
    let mut roff = section("EXAMPLES");
    literal(&mut roff, &lines);
    Some(roff)
}

/// The commands typed inside a running `join` (COMMANDS) or at a host's console (CONSOLE
/// COMMANDS), exactly as their `/help` lists them: one text for both.
fn typed_commands(cmd: &clap::Command) -> Option<Roff> {
    let (title, lines): (&str, Vec<&str>) = match cmd.get_name() {
        "join" => ("COMMANDS", crate::client::input::HELP.to_vec()),
        "host" => (
            "CONSOLE COMMANDS",
            crate::server::CONSOLE_HELP.lines().collect(),
        ),
        _ => return None,
    };
    let mut roff = section(title);
    literal(&mut roff, &lines);
    Some(roff)
}

/// ENVIRONMENT of a command's page: the variables its options read, taken from the clap
/// definition (`env = ...`, and the color variables for a command with `--color`), so a new
/// one appears without anyone editing a list.
fn command_environment(cmd: &clap::Command) -> Option<Roff> {
    let mut roff = section("ENVIRONMENT");
    let mut any = false;
    for arg in cmd.get_arguments().filter(|arg| !arg.is_hide_set()) {
        let Some(var) = arg.get_env() else { continue };
        let name = match arg.get_long() {
            Some(long) => format!("--{long}"),
            None => arg.get_value_names().map_or_else(
                || arg.get_id().to_string(),
                |names| {
                    names
                        .iter()
                        .map(|n| n.as_str())
                        .collect::<Vec<_>>()
                        .join(" ")
                },
            ),
        };
        let help = arg.get_help().map(ToString::to_string).unwrap_or_default();
        let text = format!("Read when `{name}` is not given: {help}.");
        tagged(&mut roff, [bold(var.to_string_lossy())], &text);
        any = true;
    }
    if cmd
        .get_arguments()
        .any(|arg| arg.get_long() == Some("color"))
    {
        for var in crate::color::VARIABLES {
            let (_, meaning) = ENVIRONMENT.iter().find(|(name, _)| *name == var)?;
            tagged(&mut roff, [bold(var)], meaning);
            any = true;
        }
    }
    any.then_some(roff)
}

fn environment() -> Roff {
    let mut roff = section("ENVIRONMENT");
    for (name, meaning) in ENVIRONMENT {
        tagged(&mut roff, [bold(*name)], meaning);
    }
    roff
}

/// Where the history file is on each kind of system, and what it is.
const HISTORY_FILES: &[(&str, &str)] = &[
    (
        "$XDG_DATA_HOME/chatroom/history",
        "The lines typed in chatroom join, kept for recall between sessions, on Linux and other \
         Unix systems (~/.local/share/chatroom/history when XDG_DATA_HOME is not set). \
         --history-file PATH uses another file.",
    ),
    (
        "~/Library/Application Support/chatroom/history",
        "The same file on macOS.",
    ),
    (
        "%LOCALAPPDATA%\\chatroom\\history",
        "The same file on Windows.",
    ),
];

/// Where the known_hosts file is on each kind of system, and what it is.
const KNOWN_HOSTS_FILES: &[(&str, &str)] = &[
    (
        "$XDG_DATA_HOME/chatroom/known_hosts",
        "The TLS hosts join and send trust by their certificate's fingerprint, one HOST:PORT \
         SHA256:... line each (# starts a comment), on Linux and other Unix systems \
         (~/.local/share/chatroom/known_hosts when XDG_DATA_HOME is not set). A line is added \
         when a host is trusted on first use; a host presenting another certificate is refused \
         with exit status 6 until its line is removed. Certificates from an authority the system \
         trusts are never written here. --data-dir DIR (CHATROOM_DATA_DIR) uses DIR/known_hosts.",
    ),
    (
        "~/Library/Application Support/chatroom/known_hosts",
        "The same file on macOS.",
    ),
    (
        "%LOCALAPPDATA%\\chatroom\\known_hosts",
        "The same file on Windows.",
    ),
];

/// Where the config file is on each kind of system, what it holds, and where it stands.
const CONFIG_FILES: &[(&str, &str)] = &[
    (
        "$XDG_CONFIG_HOME/chatroom/chatroom.toml",
        "The config file (TOML), read by host, join and send on Linux and other Unix systems \
         (~/.config/chatroom/chatroom.toml when XDG_CONFIG_HOME is not set); a missing one is \
         fine. --config PATH or CHATROOM_CONFIG reads another file, which must exist; \
         --no-config reads none. Top-level keys set join's and send's options (server, port, \
         nick, timeout, tls, fingerprint, data-dir, color, timestamps, history-file); a [host] \
         table sets chatroom host's (bind, port, name, motd, max-clients, max-line, rate-limit, \
         burst, handshake-timeout, outbox, quiet-above, max-per-ip, keepalive, threads, \
         log-file, log-format, tls, tls-cert, tls-key, data-dir). Each setting \
         comes from the first of: the command line, its environment variable, the config file, the \
         built-in default. A bad file is a one-line error naming its line, and exit status 2.",
    ),
    (
        "~/Library/Application Support/chatroom/chatroom.toml",
        "The same file on macOS.",
    ),
    (
        "%APPDATA%\\chatroom\\chatroom.toml",
        "The same file on Windows.",
    ),
];

fn files() -> Roff {
    let mut roff = section("FILES");
    let all = CONFIG_FILES
        .iter()
        .chain(HISTORY_FILES)
        .chain(KNOWN_HOSTS_FILES);
    for (path, meaning) in all {
        tagged(&mut roff, [italic(*path)], meaning);
    }
    roff
}

/// A summary of the README's "Wire protocol" section: enough to recognize what a bot sees.
const PROTOCOL: &[&str] = &[
    "TCP, UTF-8, one message per line, ending in LF, CR LF or a lone CR. Bytes that are \
     not valid UTF-8 become U+FFFD; a line longer than the room's maximum (4096 bytes by \
     default) is refused and discarded.",
    "On connecting, the host sends one plain-text greeting line, which says how long the client \
     has to send its nickname (--handshake-timeout) and never starts with {. The client's first \
     line picks the mode: a JSON object starts JSON-lines mode, anything else is \
     a nickname and starts plain mode.",
    "Plain mode is for people using nc or telnet. Every later line is a message or a command: \
     /list, /msg NICK TEXT, /nick NEW, /me ACTION, /quit and /help; //text sends /text \
     literally. The host writes one readable line per event, timestamped in its local time. \
     Errors start with \"error:\", and the line <quit> means the host is shutting down.",
    "JSON-lines mode is for chatroom send, chatroom join --json and bots. Every line is one JSON \
     object with a \"type\"; unknown fields are ignored. The first line is a hello, answered by \
     a welcome or an error. Requests are say, me, pm, nick, list and quit; each may carry an \
     \"id\" that the host echoes in its ack, users or error reply. Events are welcome, message, \
     join, leave, nick, presence (joins and leaves summed up in big rooms), users, ack, error and quit. Room events carry a \"seq\" number and a \
     \"ts\" timestamp (RFC 3339, UTC), both given by the host.",
];

/// A short JSON-lines session: `>` is the client, `<` the host.
const PROTOCOL_SESSION: &[&str] = &[
    r#"> {"type":"hello","v":1,"nick":"bot"}"#,
    r#"< {"type":"welcome","v":1,"nick":"bot","room":"lobby",...}"#,
    r#"> {"type":"say","id":1,"text":"hello"}"#,
    r#"< {"type":"ack","id":1,"seq":7}"#,
    r#"< {"type":"message","seq":8,"from":"alice","kind":"say","text":"hi bot",...}"#,
];

fn protocol() -> Roff {
    let mut roff = section("PROTOCOL");
    for text in PROTOCOL {
        paragraph(&mut roff, text);
    }
    paragraph(
        &mut roff,
        "A JSON-lines session (> is the client, < the host):",
    );
    literal(&mut roff, PROTOCOL_SESSION);
    paragraph(
        &mut roff,
        "Nicknames are 1 to 24 ASCII letters, digits, _, - and ., unique ignoring case. Control \
         characters and escape sequences are removed from every message before it is relayed. \
         A client over the rate limit is paced, never dropped; one that stops reading is \
         disconnected once its queue is full. The README has the complete specification.",
    );
    roff
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(page: Vec<u8>) -> String {
        String::from_utf8(page).expect("man pages are UTF-8")
    }

    fn main_page() -> String {
        text(render(None).unwrap())
    }

    /// The body of section `title`: from its `.SH` line to the next one.
    fn section_body<'a>(page: &'a str, title: &str) -> &'a str {
        let heading = if title.contains(' ') {
            format!(".SH \"{title}\"\n")
        } else {
            format!(".SH {title}\n")
        };
        let start = page
            .find(&heading)
            .unwrap_or_else(|| panic!("no {title} section"))
            + heading.len();
        let rest = &page[start..];
        &rest[..rest.find("\n.SH ").unwrap_or(rest.len())]
    }

    #[test]
    fn every_visible_command_has_a_page() {
        let names: Vec<String> = all().into_iter().map(|(name, _)| name).collect();
        let root = root_command();
        assert_eq!(names[0], "chatroom.1");
        for cmd in visible_commands(&root) {
            assert!(names.contains(&format!("chatroom-{}.1", cmd.get_name())));
        }
        assert!(!names.iter().any(|name| name == "chatroom-help.1"));
        assert_eq!(names.len(), visible_commands(&root).count() + 1);
    }

    #[test]
    fn the_main_page_has_the_sections_people_look_for() {
        let page = main_page();
        let titles = [
            "NAME",
            "SYNOPSIS",
            "DESCRIPTION",
            "OPTIONS",
            "SUBCOMMANDS",
            "EXAMPLES",
        ];
        let more = ["EXIT STATUS", "ENVIRONMENT", "FILES", "PROTOCOL", "VERSION"];
        for title in titles.into_iter().chain(more) {
            section_body(&page, title);
        }
        assert!(section_body(&page, "FILES").contains("history"));
    }

    #[test]
    fn the_preamble_appears_once() {
        let preamble = Roff::new().render();
        for (name, page) in all() {
            assert!(page.starts_with(preamble.as_bytes()), "{name}");
            assert_eq!(text(page).matches(&preamble).count(), 1, "{name}");
        }
    }

    #[test]
    fn code_spans_are_bold_and_the_rest_is_roman() {
        assert_eq!(
            code_spans("in `join` or `host`"),
            [roman("in "), bold("join"), roman(" or "), bold("host")]
        );
        assert_eq!(code_spans("plain"), [roman("plain")]);
    }

    #[test]
    fn every_environment_variable_the_cli_reads_is_documented() {
        let page = main_page();
        let body = section_body(&page, "ENVIRONMENT");
        let root = root_command();
        let commands = std::iter::once(&root).chain(visible_commands(&root));
        for arg in commands.flat_map(|cmd| cmd.get_arguments()) {
            if let Some(var) = arg.get_env() {
                let var = var.to_str().unwrap();
                assert!(
                    body.contains(&format!("\\fB{var}\\fR")),
                    "{var} undocumented"
                );
            }
        }
        for (name, _) in ENVIRONMENT {
            assert!(body.contains(name));
        }
    }

    #[test]
    fn every_variable_the_color_choice_reads_is_documented() {
        let page = main_page();
        let body = section_body(&page, "ENVIRONMENT");
        for var in crate::color::VARIABLES {
            assert!(
                body.contains(&format!("\\fB{var}\\fR")),
                "{var} undocumented"
            );
        }
    }

    /// The page of `cmd`, as text.
    fn page_of(cmd: &clap::Command) -> String {
        text(render(Some(cmd.get_name())).unwrap())
    }

    #[test]
    fn synopsis_shows_each_options_value_name() {
        let root = root_command();
        for cmd in visible_commands(&root) {
            let page = page_of(cmd);
            let synopsis = section_body(&page, "SYNOPSIS");
            for arg in cmd.get_arguments().filter(|arg| !arg.is_hide_set()) {
                let Some(long) = arg.get_long() else { continue };
                let long = format!("\\fB\\-\\-{}\\fR", long.replace('-', "\\-"));
                let takes_values = arg.get_num_args().unwrap().takes_values();
                let expected = match arg.get_value_names() {
                    _ if !takes_values => format!("{long}]"),
                    Some(names) => format!("{long}\\ \\fI{}\\fR]", names[0]),
                    None => format!("{long}\\ \\fI{}\\fR]", arg.get_id().as_str().to_uppercase()),
                };
                assert!(
                    synopsis.contains(&expected),
                    "{}: no {expected} in {synopsis}",
                    cmd.get_name()
                );
            }
        }
        let send = page_of(root.find_subcommand("send").unwrap());
        assert!(section_body(&send, "SYNOPSIS").contains("[\\fIMESSAGE\\fR]..."));
    }

    #[test]
    fn each_command_page_lists_the_variables_its_options_read() {
        let root = root_command();
        for cmd in visible_commands(&root) {
            let page = page_of(cmd);
            let mut vars: Vec<String> = cmd
                .get_arguments()
                .filter_map(|arg| arg.get_env())
                .map(|var| var.to_string_lossy().into_owned())
                .collect();
            if cmd
                .get_arguments()
                .any(|arg| arg.get_long() == Some("color"))
            {
                vars.extend(crate::color::VARIABLES.map(String::from));
            }
            if vars.is_empty() {
                assert!(!page.contains(".SH ENVIRONMENT"), "{}", cmd.get_name());
                continue;
            }
            let body = section_body(&page, "ENVIRONMENT");
            let listed: Vec<&str> = body
                .lines()
                .filter_map(|line| line.strip_prefix("\\fB")?.strip_suffix("\\fR"))
                .collect();
            assert_eq!(listed, vars, "{}", cmd.get_name());
        }
        let host = page_of(root.find_subcommand("host").unwrap());
        assert!(section_body(&host, "ENVIRONMENT").contains("CHATROOM_THREADS"));
        let join = page_of(root.find_subcommand("join").unwrap());
        assert!(section_body(&join, "ENVIRONMENT").contains("\\fBTERM\\fR"));
    }

    #[test]
    fn command_pages_show_the_examples_of_their_help() {
        let root = root_command();
        for name in ["host", "join", "send", "bench"] {
            let page = page_of(root.find_subcommand(name).unwrap());
            let body = section_body(&page, "EXAMPLES");
            assert!(body.contains(&format!("chatroom {name}")), "{name}: {body}");
        }
    }

    #[test]
    fn every_page_footer_names_chatroom_and_its_version() {
        let footer = format!("\"chatroom {}\"", env!("CARGO_PKG_VERSION"));
        for (name, page) in all() {
            let title = text(page)
                .lines()
                .find(|line| line.starts_with(".TH "))
                .unwrap()
                .to_string();
            assert!(title.contains(&footer), "{name}: {title}");
        }
    }

    #[test]
    fn command_pages_point_to_the_main_page() {
        let page = text(render(Some("send")).unwrap());
        assert!(page.starts_with(&Roff::new().render()));
        assert!(page.contains(".TH chatroom-send 1"));
        assert!(section_body(&page, "SEE ALSO").contains("chatroom"));
    }

    #[test]
    fn an_unknown_page_is_a_usage_error_that_lists_the_pages() {
        let err = render(Some("nope")).unwrap_err();
        assert_eq!(err.status(), ExitStatus::Usage);
        assert!(err.to_string().contains("host, send"));
    }

    #[test]
    fn examples_cover_host_join_piped_send_and_a_json_bot() {
        let page = main_page();
        let body = section_body(&page, "EXAMPLES");
        for needle in [
            "chatroom host",
            "chatroom join",
            "| chatroom send",
            "\\-\\-json",
        ] {
            assert!(body.contains(needle), "no example with {needle}");
        }
    }
}
