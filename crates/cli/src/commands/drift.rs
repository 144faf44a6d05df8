//! `techchallenge drift`: CloudFormation's drift detection on the deployed stacks, to see what
//! was changed outside the deployer (a console edit, another tool) before a deploy's change set
//! silently sets it back. Read-only. Exit 0 when every deployed stack is in sync; 1 when one
//! drifted or could not be checked (the reason is printed), so a script or CI job can gate on it.

use anyhow::Result;
use techchallenge_deploy::StackDrift;

use super::{engine_error, roles, session, until_interrupted};
use crate::cli::{DriftArgs, GlobalArgs};
use crate::console::Console;
use crate::json::DriftReport;
use crate::specs::{self, AppInputs};
use crate::{Backend, EXIT_FAILED, view};

/// Detects drift on the selected stacks and prints what differs.
pub async fn run(
    global: &GlobalArgs,
    args: &DriftArgs,
    console: &Console,
    backend: Backend,
) -> Result<u8> {
    let s = session(global, console, backend, args.json).await?;
    // Only the names and templates matter here: no build or image is resolved.
    let specs = specs::specs(&s.architecture, &roles(args.stack), &AppInputs::default())?;
    let results = until_interrupted(console, async {
        s.engine.drift(&specs).await.map_err(engine_error)
    })
    .await?;
    s.progress.finish();
    let clean = results.iter().all(|r| {
        matches!(
            r,
            StackDrift::InSync { .. } | StackDrift::NotDeployed { .. }
        )
    });
    if args.json {
        console.println(&serde_json::to_string_pretty(&DriftReport {
            in_sync: clean,
            stacks: &results,
        })?);
    } else {
        for line in view::drift(&results) {
            console.println(&line);
        }
    }
    Ok(if clean { 0 } else { EXIT_FAILED })
}
