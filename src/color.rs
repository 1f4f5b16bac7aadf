//! Deciding once, at start-up, whether output has colors.
//!
//! `--color`, `NO_COLOR`, `CLICOLOR_FORCE`, `CLICOLOR` and `TERM` all have a say, and so does
//! whether stdout is a terminal. They are resolved here into one answer, which is handed to
//! `colored` as an override so that no later code consults the environment again (colored's own
//! reading of it differs in small ways, and a half-colored screen is worse than either choice).
//! Every command that prints colors calls [`init`] and nothing else.
//!
//! Under `--color auto` the variables are read the way clap reads them for chatroom's own
//! `--help` and usage errors (its `anstream` crate), so the help and the session never disagree:
//! no-color.org's `NO_COLOR`, then bixense.com/clicolors' `CLICOLOR_FORCE` and `CLICOLOR`, then
//! the terminal. The one difference: `CLICOLOR_FORCE=0` does not force colors here, as the
//! clicolors convention says (anstream takes any non-empty value).

use std::ffi::OsString;
use std::io::IsTerminal;

use crate::cli::ColorChoice;

/// The environment variables [`resolve`] reads under `--color auto`, for the man pages.
pub const VARIABLES: [&str; 4] = ["NO_COLOR", "CLICOLOR_FORCE", "CLICOLOR", "TERM"];

/// Whether to use colors, given the flag, an environment lookup and whether stdout is a
/// terminal.
///
/// The flag wins when it is `always` or `never`. Under `auto`, in this order:
/// - `NO_COLOR` set to anything but the empty string turns colors off;
/// - `CLICOLOR_FORCE` set to anything but the empty string or `0` turns them on, even into a
///   pipe;
/// - `CLICOLOR=0` turns them off;
/// - otherwise colors are on only when stdout is a terminal that can show them: `TERM=dumb`
///   cannot, and on Unix neither can a terminal without `TERM` (unless `CLICOLOR` is set, which
///   says it can).
pub fn resolve(
    choice: ColorChoice,
    env: impl Fn(&str) -> Option<OsString>,
    stdout_is_terminal: bool,
) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => auto(env, stdout_is_terminal),
    }
}

/// `--color auto`: see [`resolve`].
fn auto(env: impl Fn(&str) -> Option<OsString>, stdout_is_terminal: bool) -> bool {
    let non_empty = |name: &str| env(name).filter(|value| !value.is_empty());
    if non_empty("NO_COLOR").is_some() {
        return false;
    }
    if non_empty("CLICOLOR_FORCE").is_some_and(|value| value != "0") {
        return true;
    }
    let clicolor = env("CLICOLOR");
    if clicolor.as_ref().is_some_and(|value| value == "0") {
        return false;
    }
    let term_has_colors = match env("TERM") {
        Some(term) => term != "dumb",
        // Windows consoles set no TERM and show colors; a Unix terminal without one is unusual
        // enough to assume the worst.
        None => cfg!(windows),
    };
    stdout_is_terminal && (term_has_colors || clicolor.is_some())
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

    /// An environment with only `vars` set; a later setting of a variable replaces an earlier.
    fn with(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<OsString> {
        let vars: Vec<(String, String)> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| {
            vars.iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.into())
        }
    }

    /// `--color auto` on a terminal (`true`) or into a pipe, in a color terminal's environment
    /// with `vars` added.
    fn auto_on(terminal: bool, vars: &[(&str, &str)]) -> bool {
        let mut all = vec![("TERM", "xterm-256color")];
        all.extend_from_slice(vars);
        resolve(ColorChoice::Auto, with(&all), terminal)
    }

    const TERMINAL: bool = true;
    const PIPE: bool = false;

    #[test]
    fn always_and_never_beat_every_variable() {
        let everything = [("NO_COLOR", "1"), ("CLICOLOR", "0"), ("TERM", "dumb")];
        assert!(resolve(ColorChoice::Always, with(&everything), PIPE));
        assert!(!resolve(
            ColorChoice::Never,
            with(&[("CLICOLOR_FORCE", "1"), ("CLICOLOR", "1")]),
            TERMINAL
        ));
    }

    #[test]
    fn auto_follows_the_terminal() {
        assert!(auto_on(TERMINAL, &[]));
        assert!(!auto_on(PIPE, &[]));
    }

    #[test]
    fn no_color_turns_colors_off_unless_empty() {
        assert!(!auto_on(TERMINAL, &[("NO_COLOR", "1")]));
        assert!(!auto_on(TERMINAL, &[("NO_COLOR", "0")]));
        // no-color.org: "when present and not an empty string".
        assert!(auto_on(TERMINAL, &[("NO_COLOR", "")]));
    }

    #[test]
    fn clicolor_force_forces_colors_into_a_pipe_but_not_past_no_color() {
        assert!(auto_on(PIPE, &[("CLICOLOR_FORCE", "1")]));
        assert!(auto_on(PIPE, &[("CLICOLOR_FORCE", "1"), ("TERM", "dumb")]));
        assert!(auto_on(PIPE, &[("CLICOLOR_FORCE", "1"), ("CLICOLOR", "0")]));
        assert!(!auto_on(PIPE, &[("CLICOLOR_FORCE", "0")]));
        assert!(!auto_on(PIPE, &[("CLICOLOR_FORCE", "")]));
        assert!(!auto_on(
            PIPE,
            &[("CLICOLOR_FORCE", "1"), ("NO_COLOR", "1")]
        ));
    }

    #[test]
    fn clicolor_0_turns_colors_off_and_other_values_only_vouch_for_the_terminal() {
        assert!(!auto_on(TERMINAL, &[("CLICOLOR", "0")]));
        assert!(auto_on(TERMINAL, &[("CLICOLOR", "1")]));
        assert!(!auto_on(PIPE, &[("CLICOLOR", "1")]));
        assert!(resolve(
            ColorChoice::Auto,
            with(&[("CLICOLOR", "1")]),
            TERMINAL
        ));
    }

    #[test]
    fn a_dumb_terminal_gets_no_colors() {
        assert!(!auto_on(TERMINAL, &[("TERM", "dumb")]));
        assert!(auto_on(
            TERMINAL,
            &[("TERM", "dumb"), ("CLICOLOR_FORCE", "1")]
        ));
    }

    #[test]
    fn a_terminal_without_term_gets_colors_only_on_windows() {
        assert_eq!(
            resolve(ColorChoice::Auto, with(&[]), TERMINAL),
            cfg!(windows)
        );
    }
}
