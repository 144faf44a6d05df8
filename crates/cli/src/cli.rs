//! Command-line arguments (clap derive). Only this binary sees them: `settings.rs` turns them
//! into the stacks crate's `Settings` in one place.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Defines, renders, validates and deploys the TechChallenge architecture on AWS.
#[derive(Debug, Parser)]
#[command(name = "techchallenge", version, about, long_about = None)]
pub struct Cli {
    /// Options shared by every command.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Settings and logging options, accepted before or after the command.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Settings file (TOML). Default: ./techchallenge.toml when it exists, else built-in defaults.
    #[arg(long, global = true, value_name = "FILE", env = "TECHCHALLENGE_CONFIG")]
    pub config: Option<PathBuf>,
    /// Environment name: part of every stack, export and resource name.
    #[arg(
        long = "env",
        global = true,
        value_name = "NAME",
        env = "TECHCHALLENGE_ENV"
    )]
    pub environment: Option<String>,
    /// AWS region (default: from the AWS configuration).
    #[arg(long, global = true, value_name = "REGION")]
    pub region: Option<String>,
    /// EC2 instance type of the application instances.
    #[arg(long, global = true, value_name = "TYPE")]
    pub instance_type: Option<String>,
    /// Fewest application instances (at least 2).
    #[arg(long, global = true, value_name = "N")]
    pub min_instances: Option<u32>,
    /// Most application instances.
    #[arg(long, global = true, value_name = "N")]
    pub max_instances: Option<u32>,
    /// Application instances at start.
    #[arg(long, global = true, value_name = "N")]
    pub desired_instances: Option<u32>,
    /// RDS instance class of the database.
    #[arg(long, global = true, value_name = "CLASS")]
    pub db_instance_class: Option<String>,
    /// Database storage in GiB.
    #[arg(long, global = true, value_name = "GIB")]
    pub db_storage_gib: Option<u32>,
    /// ACM certificate ARN: serve HTTPS on 443 and redirect 80 to it.
    #[arg(long, global = true, value_name = "ARN")]
    pub certificate_arn: Option<String>,
    /// The TechChallengeApp executable to deploy (default: target/release/TechChallengeApp).
    #[arg(
        long,
        global = true,
        value_name = "PATH",
        conflicts_with = "app_release_url"
    )]
    pub app_binary: Option<PathBuf>,
    /// Deploy an upstream release zip instead, e.g. the 0.11.0 release the seed used.
    #[arg(long, global = true, value_name = "URL")]
    pub app_release_url: Option<String>,
    /// More log output on stderr (-v info, -vv debug).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Print or write the CloudFormation templates.
    Render(RenderArgs),
    /// Check the templates against the architecture's security and wiring rules.
    Validate(ValidateArgs),
}

/// Which stacks a command applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StackSelection {
    /// The VPC and subnets.
    Network,
    /// The bucket the application is deployed from.
    Artifacts,
    /// PostgreSQL on RDS.
    Database,
    /// Load balancer and instances.
    Application,
    /// All of them.
    All,
}

/// Output format of rendered templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// YAML, intrinsic functions in long form.
    Yaml,
    /// Pretty-printed JSON.
    Json,
}

/// `render` arguments.
#[derive(Debug, Args)]
pub struct RenderArgs {
    /// Which stack to render.
    #[arg(value_enum, default_value = "all")]
    pub stack: StackSelection,
    /// Output format.
    #[arg(long, value_enum, default_value = "yaml")]
    pub format: Format,
    /// Write one file per stack into this directory instead of printing.
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

/// `validate` arguments.
#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// Check the templates in this directory (*.json, *.yaml, *.yml) instead of rendering them.
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
    /// More AWS Guard rules: a *.guard file, or a directory of them, evaluated beside the built-in ones.
    #[arg(long, value_name = "PATH")]
    pub guard_rules: Option<PathBuf>,
}
