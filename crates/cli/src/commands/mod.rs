//! One module per command; `run` dispatches. Also what the AWS commands share: settings,
//! services, the engine with its progress display, and running a future until Ctrl-C.

mod deploy;
mod destroy;
mod drift;
mod instances;
mod logs;
mod plan;
mod render;
mod status;
mod validate;

use std::future::Future;
use std::sync::Arc;

use anyhow::Result;
use techchallenge_artifact::Artifact;
use techchallenge_deploy::{Engine, StackSpec};
use techchallenge_fleet::{ApplicationResources, DatabaseResources, Watched};
use techchallenge_stacks::{Architecture, Naming, StackRole};

use crate::aws::{Backend, Services};
use crate::cli::{Cli, Command, GlobalArgs, MethodArg, StackSelection};
use crate::config::Config;
use crate::console::{Console, Interrupted};
use crate::image::{self, ImageChoice};
use crate::progress::{Mode, Progress};

/// Runs the parsed command; returns the exit code.
pub async fn run(cli: Cli, console: &Console, backend: Backend) -> Result<u8> {
    match &cli.command {
        Command::Render(args) => render::run(&cli.global, args),
        Command::Validate(args) => validate::run(&cli.global, args),
        Command::Plan(args) => plan::run(&cli.global, args, console, backend).await,
        Command::Deploy(args) => deploy::run(&cli.global, args, console, backend).await,
        Command::Status(args) => {
            status::run(status::Query::Status, &cli.global, args, console, backend).await
        }
        Command::Outputs(args) => {
            status::run(status::Query::Outputs, &cli.global, args, console, backend).await
        }
        Command::Destroy(args) => destroy::run(&cli.global, args, console, backend).await,
        Command::Drift(args) => drift::run(&cli.global, args, console, backend).await,
        Command::Logs(args) => logs::run(&cli.global, args, console, backend).await,
        Command::Instances(args) => instances::run(&cli.global, args, console, backend).await,
    }
}

/// Builds the architecture from the flags and settings file.
fn architecture(global: &GlobalArgs) -> Result<Architecture> {
    let config = crate::config::load(global)?;
    Ok(Architecture::new(&config.settings)?)
}

/// The roles a selection names, in deployment order.
fn roles(selection: StackSelection) -> Vec<StackRole> {
    match selection {
        StackSelection::Network => vec![StackRole::Network],
        StackSelection::Artifacts => vec![StackRole::Artifacts],
        StackSelection::DatabaseAccess => vec![StackRole::DatabaseAccess],
        StackSelection::Database => vec![StackRole::Database],
        StackSelection::Application => vec![StackRole::Application],
        StackSelection::All => StackRole::ALL.to_vec(),
    }
}

fn method(m: MethodArg) -> techchallenge_deploy::Method {
    match m {
        MethodArg::ChangeSet => techchallenge_deploy::Method::ChangeSet,
        MethodArg::Direct => techchallenge_deploy::Method::Direct,
    }
}

/// What an AWS command works with.
struct Session {
    config: Config,
    architecture: Architecture,
    services: Services,
    progress: Arc<Progress>,
    engine: Engine,
}

async fn session(
    global: &GlobalArgs,
    console: &Console,
    backend: Backend,
    json: bool,
) -> Result<Session> {
    let config = crate::config::load(global)?;
    let architecture = Architecture::new(&config.settings)?;
    let services = crate::aws::connect(backend, &config.aws, watched(&architecture)?).await?;
    // Spinners and their styling only on a terminal, and never when NO_COLOR asks for plain
    // output (https://no-color.org) or the terminal cannot show them.
    let plain_wanted = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
        || std::env::var("TERM").as_deref() == Ok("dumb");
    let mode = if json {
        Mode::Json
    } else if console.stdout_is_terminal && !plain_wanted {
        Mode::Bars
    } else {
        Mode::Plain
    };
    let progress = Arc::new(Progress::new(mode, console.out_handle()));
    let engine = Engine::new(
        services.cfn.clone(),
        progress.clone(),
        services.engine_options.clone(),
    )
    .with_diagnostics(services.diagnostics.clone());
    Ok(Session {
        config,
        architecture,
        services,
        progress,
        engine,
    })
}

/// What `plan` and `deploy` both start from: the specs of the selected stacks and, when the
/// application stack is among them, the build (found, checked, hashed) and the image its
/// parameters name.
struct Prepared {
    artifact: Option<Artifact>,
    image: Option<ImageChoice>,
    specs: Vec<StackSpec>,
}

/// Builds the specs of `selection`: the build and image resolved for the application stack,
/// express mode (`--express`, or `ephemeral = true`) on every stack but the database's, whose
/// first create must end with an existing instance (deletion protection is switched on then).
async fn prepare(
    s: &Session,
    selection: StackSelection,
    update_image: bool,
    express: bool,
    no_rollback_watch: bool,
) -> Result<Prepared> {
    let roles = roles(selection);
    let (artifact, image) = if roles.contains(&StackRole::Application) {
        let build = crate::app_build::resolve(s.config.app_binary.as_deref()).await?;
        let stack = crate::specs::role_name(&s.architecture, StackRole::Application)?;
        let deployed = s
            .engine
            .status(std::slice::from_ref(&stack))
            .await
            .map_err(engine_error)?
            .into_iter()
            .filter_map(|state| state.description)
            .find_map(|d| image::deployed_image(&d.parameters));
        let image = image::choose(s.services.images.as_ref(), deployed, update_image).await?;
        (Some(build.artifact), Some(image))
    } else {
        (None, None)
    };
    let inputs = crate::specs::AppInputs {
        artifact: artifact.as_ref(),
        image: image.as_ref().map(ImageChoice::parameter),
    };
    let mut specs = crate::specs::specs(&s.architecture, &roles, &inputs)?;
    if express || s.config.ephemeral {
        let database = crate::specs::role_name(&s.architecture, StackRole::Database)?;
        for spec in specs.iter_mut().filter(|spec| spec.name != database) {
            spec.express = true;
        }
    }
    for spec in &mut specs {
        spec.rollback_watch_off = no_rollback_watch;
    }
    Ok(Prepared {
        artifact,
        image,
        specs,
    })
}

/// Where the evidence of a failed deploy is: the architecture fixes every physical name.
fn watched(architecture: &Architecture) -> Result<Watched> {
    let naming = Naming::new(&architecture.settings.environment);
    Ok(Watched {
        application: Some(ApplicationResources {
            stack: crate::specs::role_name(architecture, StackRole::Application)?,
            group: naming.auto_scaling_group(),
            load_balancer: naming.load_balancer(),
            boot_log_group: naming.log_group("boot"),
        }),
        database: Some(DatabaseResources {
            stack: crate::specs::role_name(architecture, StackRole::Database)?,
            instance: naming.database_instance(),
        }),
    })
}

/// An engine error as an error whose message is the readable failure report.
fn engine_error(e: techchallenge_deploy::Error) -> anyhow::Error {
    anyhow::anyhow!(crate::view::failure(&e).join("\n"))
}

/// Runs `work` until it ends or Ctrl-C arrives ([`Interrupted`]: nothing is cancelled in AWS).
async fn until_interrupted<T>(
    console: &Console,
    work: impl Future<Output = Result<T>>,
) -> Result<T> {
    tokio::select! {
        result = work => result,
        () = console.interrupt.notified() => Err(Interrupted.into()),
    }
}
