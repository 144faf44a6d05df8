//! The `techchallenge` command: renders, validates, plans, deploys, reports and destroys the
//! TechChallenge architecture. [`main`] parses the arguments, sets up logging, the runtime and
//! Ctrl-C, runs the command and maps the outcome to an exit code: 0 success, 1 the operation
//! failed, 2 bad usage or settings, 130 interrupted. [`run`] is the same without the process
//! around it, for tests: they hand it a [`Console`] with scripted input and a [`Backend`] with a
//! fake CloudFormation and artifact store.

mod app_build;
mod aws;
mod cli;
mod commands;
mod config;
mod console;
mod error;
mod guard_rules;
mod image;
mod json;
mod progress;
mod specs;
mod view;

use std::process::ExitCode;

use clap::Parser;

pub use aws::{Backend, Services};
pub use console::{Captured, Console};

use crate::cli::Cli;

/// Exit code: the operation failed.
pub const EXIT_FAILED: u8 = 1;
/// Exit code: bad usage or settings.
pub const EXIT_USAGE: u8 = 2;
/// Exit code: interrupted by Ctrl-C (CloudFormation carries on).
pub const EXIT_INTERRUPTED: u8 = 130;

/// The process: arguments from the command line, real terminal, real AWS.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging(cli.global.verbose);
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(EXIT_FAILED);
        }
    };
    let code = runtime.block_on(async {
        let console = Console::stdio();
        let interrupt = console.interrupt.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                interrupt.notify_one();
            }
        });
        run_cli(cli, &console, Backend::Aws).await
    });
    // Don't wait for abandoned polls: CloudFormation carries on without us.
    runtime.shutdown_background();
    ExitCode::from(code)
}

/// Runs one command line (`args[0]` is the program name) against `console` and `backend`;
/// returns the exit code.
pub async fn run<I, T>(args: I, console: &Console, backend: Backend) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    match Cli::try_parse_from(args) {
        Ok(cli) => run_cli(cli, console, backend).await,
        Err(e) => {
            console.eprint(&e.render().to_string());
            if e.use_stderr() { EXIT_USAGE } else { 0 }
        }
    }
}

async fn run_cli(cli: Cli, console: &Console, backend: Backend) -> u8 {
    match commands::run(cli, console, backend).await {
        Ok(code) => code,
        Err(err) => {
            if err.downcast_ref::<console::Interrupted>().is_some() {
                console.eprintln(&format!("{err}"));
                return EXIT_INTERRUPTED;
            }
            console.eprintln(&format!("error: {err:#}"));
            if err.downcast_ref::<error::UsageError>().is_some() {
                EXIT_USAGE
            } else {
                EXIT_FAILED
            }
        }
    }
}

/// Logs go to stderr so rendered templates on stdout stay clean; `-v` and `RUST_LOG` raise them.
fn init_logging(verbose: u8) {
    // The SDK's own warnings (credential providers, region look-ups) carry debug dumps of
    // nested errors; the commands say what went wrong in words, so those show only with -v.
    let default = match verbose {
        0 => {
            "warn,aws_config=error,aws_smithy_runtime=error,aws_smithy_http_client=error,aws_runtime=error,aws_sdk_sso=error,aws_sdk_ssooidc=error,aws_sdk_sts=error"
        }
        1 => "info",
        _ => "debug",
    };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    // Colour codes only for a terminal, and never with NO_COLOR (https://no-color.org).
    let colour = std::io::IsTerminal::is_terminal(&std::io::stderr())
        && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(colour)
        .init();
}
