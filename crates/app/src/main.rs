//! The `TechChallengeApp` binary: parse arguments, read settings, run the command, map the outcome
//! to an exit code (0 success, 1 any failure, as 0.11.0).

use std::process::ExitCode;

use anyhow::Context;
use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use techchallenge_app::cli::{Cli, Command};
use techchallenge_app::commands;
use techchallenge_app::config::Settings;
use techchallenge_app::server::Stopped;
use techchallenge_app::store::migrate::UpdateOptions;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return match e.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => ExitCode::SUCCESS,
                _ => ExitCode::FAILURE,
            };
        }
    };
    let Some(command) = cli.command else {
        let _ = Cli::command().print_long_help();
        return ExitCode::SUCCESS;
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stdout()))
        .init();
    match run(command) {
        Ok(code) => code,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    let settings =
        Settings::load(std::path::Path::new(".")).context("reading the configuration")?;
    for warning in &settings.warnings {
        tracing::warn!("{warning}");
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async move {
        match command {
            Command::Serve => match commands::serve(settings).await.context("serve")? {
                Stopped::Drained => {
                    tracing::info!("all requests finished; exiting");
                    Ok(ExitCode::SUCCESS)
                }
                Stopped::DrainTimedOut => {
                    tracing::warn!("drain timeout passed with requests still running; exiting");
                    Ok(ExitCode::FAILURE)
                }
            },
            Command::Updatedb {
                skip_create_db,
                reset,
            } => {
                let opts = UpdateOptions {
                    create_database: !skip_create_db,
                    reset,
                };
                for line in commands::updatedb(settings, opts)
                    .await
                    .context("updatedb")?
                {
                    println!("{line}");
                }
                Ok(ExitCode::SUCCESS)
            }
        }
    })
}
