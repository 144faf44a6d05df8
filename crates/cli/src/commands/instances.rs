//! `techchallenge instances`: each instance of the application's group, with its zone, the
//! group's lifecycle and health states, its launch time and the build it runs (its tag); and
//! how to open a shell on one with Session Manager (there is no SSH). `--shell ID` opens it
//! when the AWS CLI and its session-manager-plugin are installed, and says how otherwise.

use anyhow::{Context, Result};
use techchallenge_stacks::Naming;
use techchallenge_stacks::application::BUILD_TAG;

use super::session;
use crate::cli::{GlobalArgs, InstancesArgs};
use crate::console::Console;
use crate::error::UsageError;
use crate::{Backend, view};

/// Lists the instances, or opens a shell on one.
pub async fn run(
    global: &GlobalArgs,
    args: &InstancesArgs,
    console: &Console,
    backend: Backend,
) -> Result<u8> {
    let s = session(global, console, backend, args.json).await?;
    let naming = Naming::new(&s.architecture.settings.environment);
    let group = naming.auto_scaling_group();
    let instances = s
        .services
        .instances
        .instances(&group, BUILD_TAG)
        .await
        .with_context(|| format!("listing the instances of {group}"))?;
    let command = |id: &str| {
        let mut c = vec![
            "aws".to_owned(),
            "ssm".to_owned(),
            "start-session".to_owned(),
            "--target".to_owned(),
            id.to_owned(),
        ];
        if let Some(region) = &s.services.region {
            c.extend(["--region".to_owned(), region.clone()]);
        }
        if let Some(profile) = &s.config.aws.profile {
            c.extend(["--profile".to_owned(), profile.clone()]);
        }
        c
    };
    if let Some(id) = &args.shell {
        if !instances.iter().any(|i| &i.instance_id == id) {
            return Err(UsageError(format!(
                "{id} is not an instance of {group}: `techchallenge instances` lists them"
            ))
            .into());
        }
        return shell(console, &command(id));
    }
    if args.json {
        console.println(&serde_json::to_string_pretty(&instances)?);
        return Ok(0);
    }
    if instances.is_empty() {
        console.println(&format!(
            "{group} has no instances (is the application deployed?)."
        ));
        return Ok(0);
    }
    for line in view::instances(&instances) {
        console.println(&line);
    }
    console.println(&format!(
        "Open a shell (Session Manager, no SSH): {}",
        command(&instances[0].instance_id).join(" ")
    ));
    Ok(0)
}

/// Runs the Session Manager command when its tools are installed; otherwise prints it.
fn shell(console: &Console, command: &[String]) -> Result<u8> {
    let installed = |tool: &str| {
        std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join(tool).is_file()))
    };
    if !(installed("aws") && installed("session-manager-plugin")) {
        console.println(&format!("Run: {}", command.join(" ")));
        console.eprintln("It needs the AWS CLI and its Session Manager plugin: https://docs.aws.amazon.com/systems-manager/latest/userguide/session-manager-working-with-install-plugin.html");
        return Ok(1);
    }
    let status = std::process::Command::new(&command[0])
        .args(&command[1..])
        .status()
        .with_context(|| format!("running {}", command.join(" ")))?;
    Ok(if status.success() { 0 } else { 1 })
}
