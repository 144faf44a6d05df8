//! The command line, compatible with 0.11.0: `serve`, `updatedb [-s]`, `-v/--version`,
//! `-h/--help`, and long help when run with no command.

use clap::{ArgAction, Parser, Subcommand};

const LONG_ABOUT: &str = "\
TechChallengeApp: a small to-do web application and its API.

Configuration is read from conf.toml in the current directory (optional) and from VTT_<KEY>
environment variables, which win over the file. See crates/app/README.md for every key.";

/// Command-line arguments.
#[derive(Debug, Parser)]
#[command(
    name = "TechChallengeApp",
    version = concat!("version ", env!("CARGO_PKG_VERSION")),
    about = "A to-do web application (drop-in replacement for TechChallengeApp 0.11.0)",
    long_about = LONG_ABOUT,
    disable_version_flag = true
)]
pub struct Cli {
    /// Print the version and exit.
    #[arg(short = 'v', long = "version", action = ArgAction::Version)]
    pub version: Option<bool>,
    /// What to do; without one, the help is printed.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The commands.
#[derive(Debug, Subcommand, PartialEq, Eq)]
pub enum Command {
    /// Start the web server on ListenHost:ListenPort.
    Serve,
    /// Create the database if missing and bring its schema up to date (safe to run on every boot
    /// and from several instances at once; never drops data unless --reset is given).
    Updatedb {
        /// Do not try to create the database (use when it is managed elsewhere, e.g. RDS).
        #[arg(short = 's', long = "skip-create-db")]
        skip_create_db: bool,
        /// Drop the tasks table first and re-create it with the seed rows. DESTROYS ALL TASKS.
        #[arg(long)]
        reset: bool,
    },
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::error::ErrorKind;

    fn parse(args: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("TechChallengeApp").chain(args.iter().copied()))
    }

    #[test]
    fn commands_and_flags() {
        assert_eq!(
            parse(&["serve"]).expect("serve").command,
            Some(Command::Serve)
        );
        assert_eq!(
            parse(&["updatedb", "-s"]).expect("updatedb -s").command,
            Some(Command::Updatedb {
                skip_create_db: true,
                reset: false
            })
        );
        assert_eq!(
            parse(&["updatedb", "--skip-create-db", "--reset"])
                .expect("long flags")
                .command,
            Some(Command::Updatedb {
                skip_create_db: true,
                reset: true
            })
        );
        assert_eq!(parse(&[]).expect("no command").command, None);
    }

    #[test]
    fn help_version_and_mistakes() {
        assert_eq!(
            parse(&["-v"]).map(|_| ()).expect_err("version").kind(),
            ErrorKind::DisplayVersion
        );
        assert_eq!(
            parse(&["--version"])
                .map(|_| ())
                .expect_err("version")
                .kind(),
            ErrorKind::DisplayVersion
        );
        assert_eq!(
            parse(&["-h"]).map(|_| ()).expect_err("help").kind(),
            ErrorKind::DisplayHelp
        );
        assert_eq!(
            parse(&["bogus"]).map(|_| ()).expect_err("unknown").kind(),
            ErrorKind::InvalidSubcommand
        );
        assert_eq!(
            parse(&["serve", "-x"])
                .map(|_| ())
                .expect_err("flag")
                .kind(),
            ErrorKind::UnknownArgument
        );
        assert_eq!(
            parse(&["updatedb", "extra"])
                .map(|_| ())
                .expect_err("arg")
                .kind(),
            ErrorKind::UnknownArgument
        );
    }
}
