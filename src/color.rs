//! Deciding once, at start-up, whether output has colors.
//!
//! `--color`, `NO_COLOR` and `CLICOLOR_FORCE` all have a say, and so does whether stdout is a
//! terminal. They are resolved here into one answer, which is handed to `colored` as an override
//! so that no later code consults the environment again (colored's own reading of it differs in
//! small ways, and a half-colored screen is worse than either choice).

use std::ffi::OsString;
use std::io::IsTerminal;

use crate::cli::ColorChoice;

/// Whether to use colors, given the flag, an environment lookup and whether stdout is a
/// terminal.
///
/// The flag wins when it is `always` or `never`. Under `auto`, `CLICOLOR_FORCE` (set to
/// anything but `0`) forces colors even into a pipe and even with `NO_COLOR`; otherwise
/// `NO_COLOR`, set to anything including the empty string, turns them off (see no-color.org);
/// otherwise colors follow the terminal.
pub fn resolve(
    choice: ColorChoice,
    env: impl Fn(&str) -> Option<OsString>,
    stdout_is_terminal: bool,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            if env("CLICOLOR_FORCE").is_some_and(|v| !v.is_empty() && v != "0") {
                true
            } else if env("NO_COLOR").is_some() {
                false
            } else {
                stdout_is_terminal
            }
        }
    }
}

/// Resolves the color choice for this process and makes `colored` follow it.
pub fn init(choice: ColorChoice) -> bool {
    let colors = resolve(
        choice,
        |name| std::env::var_os(name),
        std::io::stdout().is_terminal(),
    );
    colored::control::set_override(colors);
    colors
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| vars.iter().find(|(k, _)| k == name).map(|(_, v)| v.into())
    }

    #[test]
    fn the_flag_wins() {
        assert!(resolve(
            ColorChoice::Always,
            with(&[("NO_COLOR", "1")]),
            false
        ));
        assert!(!resolve(
            ColorChoice::Never,
            with(&[("CLICOLOR_FORCE", "1")]),
            true
        ));
    }

    #[test]
    fn auto_follows_the_terminal() {
        assert!(resolve(ColorChoice::Auto, with(&[]), true));
        assert!(!resolve(ColorChoice::Auto, with(&[]), false));
    }

    #[test]
    fn no_color_even_empty_turns_colors_off() {
        assert!(!resolve(ColorChoice::Auto, with(&[("NO_COLOR", "")]), true));
        assert!(!resolve(
            ColorChoice::Auto,
            with(&[("NO_COLOR", "1")]),
            true
        ));
    }

    #[test]
    fn clicolor_force_beats_no_color_and_pipes() {
        let env = with(&[("NO_COLOR", "1"), ("CLICOLOR_FORCE", "1")]);
        assert!(resolve(ColorChoice::Auto, env, false));
        assert!(!resolve(
            ColorChoice::Auto,
            with(&[("CLICOLOR_FORCE", "0")]),
            false
        ));
    }
}
