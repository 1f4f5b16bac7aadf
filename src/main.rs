use std::process::ExitCode;

use chatroom::cli::Command;
use clap::Parser;

fn main() -> ExitCode {
    let cli = chatroom::cli::Cli::parse();
    let result = match &cli.command {
        Command::Completions(args) => chatroom::docs::run_completions(args),
        Command::Man(args) => chatroom::docs::run_man(args),
        Command::Host(_) | Command::Send(_) => Ok(()),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("chatroom: {err}");
            err.status().into()
        }
    }
}
