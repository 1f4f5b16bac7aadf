//! Shell completion scripts (bash, zsh, fish, PowerShell, elvish), rendered by clap_complete.
//!
//! They are static scripts: they know every command and option at generation time and need no
//! help from the binary while completing, so they also work from a package that installs them
//! without running chatroom.

use clap::ValueEnum;
use clap_complete::{Generator, Shell};

use super::BIN_NAME;

/// The repository folder holding the scripts.
pub const DIR: &str = "completions";

/// The completion script for `shell`.
pub fn render(shell: Shell) -> Vec<u8> {
    let mut script = Vec::new();
    clap_complete::generate(shell, &mut super::command(), BIN_NAME, &mut script);
    script
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

    #[test]
    fn the_shell_argument_is_completed_with_shell_names() {
        assert!(script(Shell::Bash).contains("bash elvish fish powershell zsh"));
    }
}
