//! `techchallenge plan`: what a deploy would change, as a readable diff, changing nothing (the
//! change sets made to compute it are deleted again). The build is hashed to compute the
//! application's parameters exactly as deploy would, but not uploaded.

use anyhow::Result;
use techchallenge_stacks::StackRole;

use super::{engine_error, method, roles, session, until_interrupted};
use crate::cli::{GlobalArgs, PlanArgs};
use crate::console::Console;
use crate::json::PlanReport;
use crate::{Backend, app_build, specs, view};

/// Plans the selected stacks and prints the plan.
pub async fn run(
    global: &GlobalArgs,
    args: &PlanArgs,
    console: &Console,
    backend: Backend,
) -> Result<u8> {
    let s = session(global, console, backend, args.json).await?;
    let roles = roles(args.stack);
    let build = if roles.contains(&StackRole::Application) {
        Some(app_build::resolve(s.config.app_binary.as_deref()).await?)
    } else {
        None
    };
    let artifact = build.as_ref().map(|b| &b.artifact);
    let specs = specs::specs(&s.architecture, &roles, artifact)?;
    let plan = until_interrupted(console, async {
        s.engine
            .plan(&specs, method(args.method))
            .await
            .map_err(engine_error)
    })
    .await?;
    // A plan changes nothing: its change sets go again.
    s.engine.discard(&plan).await.map_err(engine_error)?;
    s.progress.finish();
    if args.json {
        console.println(&serde_json::to_string_pretty(&PlanReport {
            plan: &plan,
            artifact,
        })?);
        return Ok(0);
    }
    for line in view::plan(&plan) {
        console.println(&line);
    }
    if let Some(a) = artifact {
        console.println(&format!(
            "Application build: {} ({} bytes, sha256 {}); deploy uploads it only if the bucket lacks that key.",
            a.key, a.size, a.sha256
        ));
    }
    Ok(0)
}
