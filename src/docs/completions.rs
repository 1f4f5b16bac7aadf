//! Shell completion scripts (bash, zsh, fish, PowerShell, elvish), rendered by clap_complete.
//!
//! They are static scripts: they know every command and option at generation time and need no
//! help from the binary while completing, so they also work from a package that installs them
//! without running chatroom.

use clap::{ValueEnum, ValueHint};
use clap_complete::{Generator, Shell};

use super::BIN_NAME;

/// The repository folder holding the scripts.
pub const DIR: &str = "completions";

/// The completion script for `shell`.
pub fn render(shell: Shell) -> Vec<u8> {
    let mut cmd = command_for(shell);
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut cmd, BIN_NAME, &mut script);
    if shell == Shell::Fish {
        script.extend_from_slice(fish_positionals(&cmd).as_bytes());
    }
    script
}

/// What clap_complete's fish script leaves out: the commands' positional arguments, which fish
/// would otherwise complete with file names. `chatroom man <TAB>` offers the page names, a
/// SERVER the host names fish knows, and an argument that is neither nothing (`-f`); MESSAGE
/// words keep fish's default.
fn fish_positionals(cmd: &clap::Command) -> String {
    let mut lines = String::new();
    for sub in cmd.get_subcommands() {
        let condition = format!(
            "complete -c {BIN_NAME} -n \"__fish_{BIN_NAME}_using_subcommand {}\"",
            sub.get_name()
        );
        for arg in sub.get_positionals().filter(|arg| !arg.is_hide_set()) {
            let values: Vec<String> = arg
                .get_possible_values()
                .iter()
                .filter(|value| !value.is_hide_set())
                .map(|value| {
                    // As clap_complete writes an option's values: NAME\t'HELP', one a line.
                    let help = value
                        .get_help()
                        .map(ToString::to_string)
                        .unwrap_or_default();
                    let help = help.replace('\\', "\\\\").replace('\'', "\\'");
                    format!("{}\\t'{help}'", value.get_name())
                })
                .collect();
            if !values.is_empty() {
                lines += &format!("{condition} -f -a \"{}\"\n", values.join("\n"));
                continue;
            }
            match arg.get_value_hint() {
                ValueHint::Hostname => {
                    lines += &format!("{condition} -f -a \"(__fish_print_hostnames)\"\n");
                }
                ValueHint::Other => lines += &format!("{condition} -f\n"),
                _ => {}
            }
        }
    }
    lines
}

/// The definition as `shell` should see it. clap_complete's bash script completes a host name
/// hint with file names (bash has no host name completion there), so for bash the host names
/// become "nothing to offer": a file name is never a room's address.
fn command_for(shell: Shell) -> clap::Command {
    let mut cmd = super::command();
    if shell == Shell::Bash {
        cmd.build();
        cmd = cmd.mut_subcommands(|sub| {
            let hosts: Vec<clap::Id> = sub
                .get_arguments()
                .filter(|arg| arg.get_value_hint() == ValueHint::Hostname)
                .map(|arg| arg.get_id().clone())
                .collect();
            hosts.into_iter().fold(sub, |sub, id| {
                sub.mut_arg(id, |arg| arg.value_hint(ValueHint::Other))
            })
        });
    }
    cmd
}

/// Every shell's script, with the file name that shell's conventions expect
/// (`chatroom.bash`, `_chatroom`, `chatroom.fish`, `_chatroom.ps1`, `chatroom.elv`).
pub fn all() -> Vec<(String, Vec<u8>)> {
    Shell::value_variants()
        .iter()
        .map(|&shell| (shell.file_name(BIN_NAME), render(shell)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn script(shell: Shell) -> String {
        String::from_utf8(render(shell)).expect("completion scripts are UTF-8")
    }

    #[test]
    fn every_shell_gets_its_conventional_file_name() {
        let mut names: Vec<String> = all().into_iter().map(|(name, _)| name).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "_chatroom",
                "_chatroom.ps1",
                "chatroom.bash",
                "chatroom.elv",
                "chatroom.fish"
            ]
        );
    }

    #[test]
    fn scripts_know_every_command_and_long_option() {
        let cli = super::super::command();
        for shell in Shell::value_variants() {
            let text = script(*shell);
            for sub in cli.get_subcommands() {
                assert!(
                    text.contains(sub.get_name()),
                    "{shell} lacks {}",
                    sub.get_name()
                );
                for long in sub.get_arguments().filter_map(|arg| arg.get_long()) {
                    assert!(text.contains(long), "{shell} lacks --{long}");
                }
            }
        }
    }

    /// The lines of `shell`'s script that mention `needle`; there must be some.
    fn lines_with(shell: Shell, needle: &str) -> Vec<String> {
        let lines: Vec<String> = script(shell)
            .lines()
            .filter(|line| line.contains(needle))
            .map(str::to_string)
            .collect();
        assert!(!lines.is_empty(), "{shell} has no {needle:?}");
        lines
    }

    #[test]
    fn man_completes_the_page_names() {
        let pages = "host send join bench completions man";
        assert!(
            lines_with(Shell::Bash, "opts=")
                .iter()
                .any(|l| l.ends_with(&format!("{pages}\"")))
        );
        assert!(script(Shell::Zsh).contains(r#"((host\:"Start a room"#));
        let fish = script(Shell::Fish);
        let (_, man) = fish
            .split_once("using_subcommand man\" -f -a \"")
            .expect("fish completes man's COMMAND");
        for page in pages.split(' ') {
            assert!(man.contains(&format!("{page}\\t'")), "{page}");
        }
    }

    #[test]
    fn servers_complete_host_names_in_zsh_and_fish() {
        for line in lines_with(Shell::Zsh, "SERVER:")
            .into_iter()
            .chain(lines_with(Shell::Zsh, "::server"))
        {
            assert!(line.ends_with(":_hosts' \\"), "{line}");
        }
        for line in lines_with(Shell::Fish, "-l server") {
            assert!(
                line.ends_with("-r -f -a \"(__fish_print_hostnames)\""),
                "{line}"
            );
        }
        for sub in ["join", "bench"] {
            let condition = format!("using_subcommand {sub}\" -f -a \"(__fish_print_hostnames)\"");
            lines_with(Shell::Fish, &condition);
        }
    }

    #[test]
    fn bind_and_to_complete_nothing() {
        for option in ["--bind=", "--to="] {
            for line in lines_with(Shell::Zsh, option) {
                assert!(line.ends_with(":' \\"), "{line}");
            }
        }
        for option in ["-l bind ", "-l to "] {
            for line in lines_with(Shell::Fish, option) {
                assert!(line.ends_with(" -r -f"), "{line}");
            }
        }
    }

    #[test]
    fn bash_completes_no_file_names_for_servers_bind_and_to() {
        let bash = script(Shell::Bash);
        for option in ["--server)", "--bind)", "--to)"] {
            let after = bash
                .split(option)
                .nth(1)
                .unwrap_or_else(|| panic!("no {option}"));
            let reply = after.lines().nth(1).unwrap().trim();
            assert_eq!(reply, r#"COMPREPLY=("${cur}")"#, "{option}");
        }
    }

    #[test]
    fn the_shell_argument_is_completed_with_shell_names() {
        assert!(script(Shell::Bash).contains("bash elvish fish powershell zsh"));
    }
}
