//! The host's password options: where the room's password comes from (`--password-file`,
//! `CHATROOM_PASSWORD`, `--password`), where the operator password comes from
//! (`--op-password-file`, `CHATROOM_OP_PASSWORD`), what they may be, and the warnings the host
//! gives on start.

use crate::cli::HostArgs;
use crate::password::{self, Password};

/// The room's password, if the options give one, and the warnings to print on start. An error
/// when the password is given two ways, or is one the room could not take.
pub(crate) fn resolve(
    args: &HostArgs,
    max_line: usize,
) -> Result<(Option<Password>, Vec<String>), String> {
    let from_env = std::env::var(password::ENV_VAR).ok();
    let mut warnings = Vec::new();
    let password = match (&args.password_file, &args.password) {
        (None, None) => return Ok((None, warnings)),
        (Some(path), None) => Password::from_file(path)?,
        (None, Some(text)) => {
            // clap took it from the variable or the command line; only the latter shows.
            let source = if from_env.as_deref() == Some(text.as_str()) {
                password::ENV_VAR
            } else {
                warnings.push(on_command_line_warning());
                "--password"
            };
            Password::new(text, source)?
        }
        (Some(path), Some(_)) => {
            return Err(format!(
                "the password is given twice: --password-file {} and {} (or --password); give \
                 it one way",
                path.display(),
                password::ENV_VAR
            ));
        }
    };
    check_for_room(&password, max_line)?;
    Ok((Some(password), warnings))
}

/// The variable the operator password itself may come from.
pub(crate) const OP_ENV_VAR: &str = "CHATROOM_OP_PASSWORD";

/// The operator password, if the options give one: `--op-password-file`, or the variable. An
/// error when it is given both ways, or is one `/op PASSWORD` could not carry.
pub(crate) fn resolve_op(args: &HostArgs, max_line: usize) -> Result<Option<Password>, String> {
    let from_env = std::env::var(OP_ENV_VAR)
        .ok()
        .filter(|text| !text.is_empty());
    let password = match (&args.op_password_file, from_env) {
        (None, None) => return Ok(None),
        (Some(path), None) => Password::from_file(path)?,
        (None, Some(text)) => Password::new(&text, OP_ENV_VAR)?,
        (Some(path), Some(_)) => {
            return Err(format!(
                "the operator password is given twice: --op-password-file {} and {OP_ENV_VAR}; \
                 give it one way",
                path.display()
            ));
        }
    };
    check_for_op(&password, max_line)?;
    Ok(Some(password))
}

/// Operator passwords `/op PASSWORD` could not carry: the command's words are trimmed, and the
/// line must fit within `--max-line`.
fn check_for_op(password: &Password, max_line: usize) -> Result<(), String> {
    let text = password.expose();
    if text.trim() != text {
        return Err(
            "the operator password must not start or end with a space (/op PASSWORD trims them)"
                .into(),
        );
    }
    if !password.fits_in_line(max_line) {
        return Err(format!(
            "the operator password is too long for --max-line {max_line}: raise --max-line or \
             shorten the password"
        ));
    }
    Ok(())
}

/// Passwords the room could not take although they are fine passwords: someone on `nc` types
/// the password as the first line, and a first line that starts with `{` is a JSON hello; and
/// the hello that carries it must fit within `--max-line`.
fn check_for_room(password: &Password, max_line: usize) -> Result<(), String> {
    if password.expose().trim_start().starts_with('{') {
        return Err(
            "the password must not start with `{` (a first line that does is read as a JSON \
             hello)"
                .into(),
        );
    }
    if !password.fits_in_line(max_line) {
        return Err(format!(
            "the password is too long for --max-line {max_line}: raise --max-line or shorten the \
             password"
        ));
    }
    Ok(())
}

fn on_command_line_warning() -> String {
    format!(
        "--password shows the password to anyone on this machine (`ps`) and keeps it in your \
         shell history; use --password-file PATH or {} instead",
        password::ENV_VAR
    )
}

/// The warning for a room with a password (`which`: "the room's password", "the operator
/// password") served without TLS, where it crosses the network in clear text; `None` with TLS
/// on.
pub(crate) fn cleartext_warning(which: &str, tls: bool) -> Option<String> {
    (!tls).then(|| {
        format!(
            "{which} crosses the network in clear text: anyone who can watch the network can \
             read it (serve the room with TLS to protect it)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_nc_users_could_not_type_are_refused_at_start() {
        let json = Password::new("{secret}", "test").unwrap();
        assert!(check_for_room(&json, 4096).unwrap_err().contains("`{`"));
        let long = Password::new(&"x".repeat(400), "test").unwrap();
        assert!(check_for_room(&long, 4096).is_ok());
        assert!(
            check_for_room(&long, 512)
                .unwrap_err()
                .contains("--max-line 512")
        );
    }

    #[test]
    fn operator_passwords_slash_op_could_not_carry_are_refused_at_start() {
        let spaced = Password::new(" secret", "test").unwrap();
        assert!(check_for_op(&spaced, 4096).unwrap_err().contains("space"));
        let fine = Password::new("correct horse battery", "test").unwrap();
        assert!(check_for_op(&fine, 4096).is_ok());
        let long = Password::new(&"x".repeat(400), "test").unwrap();
        assert!(check_for_op(&long, 512).unwrap_err().contains("--max-line"));
    }

    #[test]
    fn the_cleartext_warning_is_only_for_rooms_without_tls() {
        assert_eq!(
            cleartext_warning("the room's password", false).unwrap(),
            "the room's password crosses the network in clear text: anyone who can watch the \
             network can read it (serve the room with TLS to protect it)"
        );
        assert!(
            cleartext_warning("the operator password", false)
                .unwrap()
                .starts_with("the operator password crosses")
        );
        assert_eq!(cleartext_warning("the room's password", true), None);
    }

    #[test]
    fn the_command_line_warning_points_to_the_safe_ways() {
        let warning = on_command_line_warning();
        assert!(warning.contains("--password-file") && warning.contains(password::ENV_VAR));
    }
}
