//! One module per command; `run` dispatches.

mod render;
mod validate;

use std::process::ExitCode;

use anyhow::Result;
use techchallenge_stacks::{Architecture, StackRole};

use crate::cli::{Cli, Command, StackSelection};

/// Runs the parsed command.
pub fn run(cli: Cli) -> Result<ExitCode> {
    match cli.command {
        Command::Render(args) => render::run(&cli.global, &args),
        Command::Validate(args) => validate::run(&cli.global, &args),
    }
}

/// Builds the architecture from the flags and settings file.
fn architecture(global: &crate::cli::GlobalArgs) -> Result<Architecture> {
    let settings = crate::settings::load(global)?;
    Ok(Architecture::new(&settings)?)
}

/// The roles a selection names, in deployment order.
fn roles(selection: StackSelection) -> Vec<StackRole> {
    match selection {
        StackSelection::Network => vec![StackRole::Network],
        StackSelection::Artifacts => vec![StackRole::Artifacts],
        StackSelection::Database => vec![StackRole::Database],
        StackSelection::Application => vec![StackRole::Application],
        StackSelection::All => StackRole::ALL.to_vec(),
    }
}
