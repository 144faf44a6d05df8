//! Command-line arguments (clap derive). Only this binary sees them: `config.rs` turns them
//! (with the settings file) into the stacks crate's `Settings` and the deploy-time settings, in
//! one place.

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
    /// Named AWS profile (default: AWS_PROFILE, else the default profile; SSO profiles work).
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Send every AWS call to this endpoint, e.g. http://127.0.0.1:5000 for the moto emulator.
    #[arg(long, global = true, value_name = "URL", env = "AWS_ENDPOINT_URL")]
    pub endpoint_url: Option<String>,
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
    #[arg(long, global = true, value_name = "PATH")]
    pub app_binary: Option<PathBuf>,
    /// Removed: kept only to say why (see `config::REMOVED_RELEASE_URL`).
    #[arg(long, global = true, value_name = "URL", hide = true)]
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
    /// Show what a deploy would change, as a readable diff (nothing is changed).
    Plan(PlanArgs),
    /// Create or update the stacks (all by default), after showing the plan and asking.
    Deploy(DeployArgs),
    /// Each stack's state, last change and outputs.
    Status(JsonArgs),
    /// The stacks' outputs, the application's URL first.
    Outputs(JsonArgs),
    /// Delete the stacks (all by default), dependents first, after asking.
    Destroy(DestroyArgs),
    /// Compare the deployed stacks with their templates (CloudFormation drift detection): what
    /// was changed outside the deployer. Exit 0: in sync; 1: drifted, or not checked.
    Drift(DriftArgs),
    /// The application's logs from every instance (CloudWatch Logs), newest last.
    Logs(LogsArgs),
    /// The application's instances: zone, state, health, launch time, build; and how to open a
    /// shell on one (Session Manager).
    Instances(InstancesArgs),
}

/// How stacks are changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MethodArg {
    /// Create a change set, show it, execute it.
    ChangeSet,
    /// CreateStack / UpdateStack directly (the plan still previews updates with a change set).
    Direct,
}

/// `plan` arguments.
#[derive(Debug, Args)]
pub struct PlanArgs {
    /// Which stacks to plan.
    #[arg(value_enum, default_value = "all")]
    pub stack: StackSelection,
    /// How the deploy would run (direct: updates are still previewed with a change set).
    #[arg(long, value_enum, default_value = "change-set")]
    pub method: MethodArg,
    /// Plan moving the instances to the newest Amazon Linux 2023 image (replaces every instance).
    #[arg(long)]
    pub update_image: bool,
    /// CloudFormation's express mode, for a throw-away environment: stacks complete once their
    /// resources are configured, without waiting for them to be ready (the database stack keeps
    /// the standard mode). Also `ephemeral = true` in the settings file. Never the default.
    #[arg(long)]
    pub express: bool,
    /// Update the application without the rollback watch (its traffic alarms as CloudFormation
    /// rollback triggers), e.g. to ship a fix while one of those alarms is already firing, which
    /// would roll every watched update back. The next deploy watches again.
    #[arg(long)]
    pub no_rollback_watch: bool,
    /// Print the plan as one JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `deploy` arguments.
#[derive(Debug, Args)]
pub struct DeployArgs {
    /// Which stacks to deploy (with `all`, in dependency order, independent ones in parallel).
    #[arg(value_enum, default_value = "all")]
    pub stack: StackSelection,
    /// Do not ask: deploy the plan (and re-create stacks left in ROLLBACK_COMPLETE). For CI.
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// Change sets (default) or CreateStack/UpdateStack directly.
    #[arg(long, value_enum, default_value = "change-set")]
    pub method: MethodArg,
    /// Accept a change that replaces or deletes the database, its secret or its subnets.
    #[arg(long)]
    pub allow_data_loss: bool,
    /// Move the instances to the newest Amazon Linux 2023 image (replaces every instance; by
    /// default they keep the image they run).
    #[arg(long)]
    pub update_image: bool,
    /// CloudFormation's express mode, for a throw-away environment: stacks complete once their
    /// resources are configured, without waiting for them to be ready (the database stack keeps
    /// the standard mode). Also `ephemeral = true` in the settings file. Never the default.
    #[arg(long)]
    pub express: bool,
    /// Update the application without the rollback watch (its traffic alarms as CloudFormation
    /// rollback triggers), e.g. to ship a fix while one of those alarms is already firing, which
    /// would roll every watched update back. The next deploy watches again.
    #[arg(long)]
    pub no_rollback_watch: bool,
    /// One JSON event per line on stdout instead of progress for people.
    #[arg(long)]
    pub json: bool,
}

/// `destroy` arguments.
#[derive(Debug, Args)]
pub struct DestroyArgs {
    /// Which stacks to delete.
    #[arg(value_enum, default_value = "all")]
    pub stack: StackSelection,
    /// Do not ask (deletion protection is lifted and the bucket emptied without a question).
    #[arg(long, short = 'y')]
    pub yes: bool,
    /// One JSON event per line on stdout.
    #[arg(long)]
    pub json: bool,
}

/// `drift` arguments.
#[derive(Debug, Args)]
pub struct DriftArgs {
    /// Which stacks to check (those not deployed are skipped).
    #[arg(value_enum, default_value = "all")]
    pub stack: StackSelection,
    /// One JSON object instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of the read-only commands.
#[derive(Debug, Args)]
pub struct JsonArgs {
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `logs` arguments.
#[derive(Debug, Args)]
pub struct LogsArgs {
    /// How far back to start: a number and a unit, s, m, h or d (e.g. 30s, 10m, 2h, 1d).
    #[arg(long, default_value = "10m", value_name = "AGE", value_parser = parse_age)]
    pub since: std::time::Duration,
    /// Keep printing new lines as they arrive (within 2 s), until Ctrl-C.
    #[arg(long, short = 'f')]
    pub follow: bool,
    /// The boot scripts' logs instead of the application's.
    #[arg(long)]
    pub boot: bool,
    /// Only this instance (repeat for several).
    #[arg(long, value_name = "ID")]
    pub instance: Vec<String>,
    /// One JSON object per line.
    #[arg(long)]
    pub json: bool,
}

/// `instances` arguments.
#[derive(Debug, Args)]
pub struct InstancesArgs {
    /// Open a shell on this instance with Session Manager (needs the AWS CLI and its
    /// session-manager-plugin; without them, prints the command to run).
    #[arg(long, value_name = "ID")]
    pub shell: Option<String>,
    /// JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// `10m` → 10 minutes: a whole number and one of `s`, `m`, `h`, `d`.
fn parse_age(text: &str) -> Result<std::time::Duration, String> {
    let unit_at = text.char_indices().last().map_or(0, |(i, _)| i);
    let (number, unit) = text.split_at(unit_at);
    let seconds = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86400,
        _ => 0,
    };
    match number
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(seconds))
    {
        Some(age) if seconds > 0 => Ok(std::time::Duration::from_secs(age)),
        _ => Err(format!(
            "`{text}` is not an age: use a whole number and s, m, h or d, e.g. 30s, 10m, 2h, 1d"
        )),
    }
}

/// Which stacks a command applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum StackSelection {
    /// The VPC and subnets.
    Network,
    /// The bucket the application is deployed from.
    Artifacts,
    /// The database's security groups, subnet group, secret and monitoring role.
    DatabaseAccess,
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
