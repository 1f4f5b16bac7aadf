use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let _cli = chatroom::cli::Cli::parse();
    ExitCode::SUCCESS
}
