//! Where a client's password for the room comes from: `--password-file`, `CHATROOM_PASSWORD`,
//! or (interactive `join` only, when the host asks for one) the terminal, read without echo.
//!
//! There is no `--password TEXT` for clients: a password on the command line shows in `ps` and
//! stays in shell history.

use crate::cli::ServerArgs;
use crate::client::target::Target;
use crate::error::{Error, Result};
use crate::password::{self, Password};

/// The password given up front, if any: `--password-file`'s, or `CHATROOM_PASSWORD`'s. Both at
/// once is a mistake: which one was meant is anyone's guess.
pub fn given(args: &ServerArgs) -> Result<Option<Password>> {
    let from_env = std::env::var(password::ENV_VAR).ok();
    let bad = Error::failure;
    match (&args.password_file, from_env) {
        (None, None) => Ok(None),
        (Some(path), None) => Password::from_file(path).map(Some).map_err(bad),
        (None, Some(text)) => Password::new(&text, password::ENV_VAR)
            .map(Some)
            .map_err(bad),
        (Some(path), Some(_)) => Err(bad(format!(
            "the password is given twice: --password-file {} and {}; give it one way",
            path.display(),
            password::ENV_VAR
        ))),
    }
}

/// Asks for the room's password on the terminal, without echo. `None` when the user gives
/// none (an empty line, or Ctrl-D). (Ctrl-C ends the process as SIGINT does, after rpassword
/// has given the terminal back its echo.)
pub fn ask(target: &Target) -> Result<Option<Password>> {
    ask_hidden(&format!("password for {target} (typing is not shown): "))
}

/// Asks for the room's operator password (`/op` typed alone), as [`ask`] does.
pub fn ask_operator() -> Result<Option<Password>> {
    ask_hidden("operator password (typing is not shown): ")
}

/// Shows `prompt` and reads a line without echo; `None` for an empty line or Ctrl-D.
fn ask_hidden(prompt: &str) -> Result<Option<Password>> {
    let typed = match rpassword::prompt_password(prompt) {
        Ok(typed) => typed,
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => return Ok(None),
        Err(e) => {
            return Err(Error::failure(format!(
                "cannot read the password from the terminal: {}",
                crate::error::describe_io(&e)
            )));
        }
    };
    if typed.is_empty() {
        return Ok(None);
    }
    // What was typed is tried as it is: a wrong password is the room's to refuse.
    Ok(Some(Password::attempt(typed)))
}
