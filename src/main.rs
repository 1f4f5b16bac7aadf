//! The `chatroom` binary: parse the command line, run the command, turn the outcome into an
//! exit code. Everything else lives in the library.

use std::process::ExitCode;

use chatroom::cli::{Cli, Command};
use chatroom::error::{ExitStatus, Result};

fn main() -> ExitCode {
    match chatroom::config::parse_command_line().and_then(run) {
        Ok(()) => ExitStatus::Success.into(),
        Err(err) => {
            chatroom::error::to_stderr(format_args!("chatroom: {err}"));
            err.status().into()
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match &cli.command {
        Command::Host(args) => chatroom::server::host(args),
        Command::Send(args) => chatroom::client::send::run(args),
        Command::Join(args) => chatroom::client::join::run(args),
        Command::Bench(args) => chatroom::bench::run(args),
        Command::Completions(args) => chatroom::docs::run_completions(args),
        Command::Man(args) => chatroom::docs::run_man(args),
    }
}
