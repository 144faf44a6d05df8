//! `techchallenge destroy`: deletes the selected stacks, dependents first, waiting for each. Says
//! up front what goes: the database leaves a final snapshot and its deletion protection is lifted
//! only after the user confirms; the versioned artifacts bucket is emptied (every version and
//! delete marker) right before its stack is deleted. Refuses, before asking, while a stack that
//! stays still imports an export of one that would go, naming it.

use std::sync::Arc;

use anyhow::Result;
use async_trait::async_trait;
use techchallenge_artifact::ArtifactStore;
use techchallenge_deploy::{HookError, StackDescription, StackHook, StackName};
use techchallenge_stacks::{Export, StackRole};

use super::{engine_error, roles, session, until_interrupted};
use crate::cli::{DestroyArgs, GlobalArgs};
use crate::console::Console;
use crate::json::Line;
use crate::progress::Progress;
use crate::{Backend, specs, view};

/// Empties the artifacts bucket right before its stack is deleted.
struct EmptyBucketHook {
    artifacts_stack: StackName,
    store: Arc<dyn ArtifactStore>,
    progress: Arc<Progress>,
}

#[async_trait]
impl StackHook for EmptyBucketHook {
    async fn before_delete(&self, stack: &StackDescription) -> Result<(), HookError> {
        if stack.name != self.artifacts_stack {
            return Ok(());
        }
        // Both buckets are versioned, and CloudFormation cannot delete a bucket that holds
        // anything: the builds, and the load balancer's access logs.
        for export in [Export::ArtifactBucket, Export::AccessLogBucket] {
            let Some(bucket) = stack
                .outputs
                .iter()
                .find(|o| o.key == export.key())
                .map(|o| o.value.clone())
            else {
                continue;
            };
            let deleted = self.store.empty_bucket(&bucket).await?;
            self.progress.note(&format!(
                "emptied s3://{bucket}: {deleted} object versions and delete markers deleted"
            ));
            self.progress.json(&Line::BucketEmptied {
                bucket: &bucket,
                deleted,
            });
        }
        Ok(())
    }
}

/// Asks, then deletes.
pub async fn run(
    global: &GlobalArgs,
    args: &DestroyArgs,
    console: &Console,
    backend: Backend,
) -> Result<u8> {
    let s = session(global, console, backend, args.json).await?;
    let known = specs::specs(
        &s.architecture,
        &StackRole::ALL,
        &specs::AppInputs::default(),
    )?;
    let selected_roles = roles(args.stack);
    let selected: Vec<StackName> = selected_roles
        .iter()
        .map(|r| specs::role_name(&s.architecture, *r))
        .collect::<Result<_>>()?;
    let all: Vec<StackName> = known.iter().map(|k| k.name.clone()).collect();
    let states = s.engine.status(&all).await.map_err(engine_error)?;
    let exists = |n: &StackName| {
        states
            .iter()
            .any(|st| &st.stack == n && st.description.is_some())
    };
    // A stack that stays and imports from, or uses, one that goes blocks the destroy: say so
    // before asking.
    for spec in known
        .iter()
        .filter(|k| !selected.contains(&k.name) && exists(&k.name))
    {
        let goes = |d: &&StackName| selected.contains(d) && exists(d);
        if let Some(dep) = spec.depends_on.iter().find(goes) {
            anyhow::bail!(
                "cannot delete {dep}: {} still imports its exports; destroy {} first (or `destroy all`)",
                spec.name,
                spec.name
            );
        }
        if let Some(used) = spec.uses.iter().find(goes) {
            anyhow::bail!(
                "cannot delete {used}: {} still uses it (it finds the database through its secret); destroy {} first (or `destroy all`)",
                spec.name,
                spec.name
            );
        }
    }
    let doomed: Vec<&StackName> = all
        .iter()
        .rev()
        .filter(|n| selected.contains(n) && exists(n))
        .collect();
    if doomed.is_empty() {
        console.println("Nothing to destroy: none of the selected stacks exists.");
        return Ok(0);
    }
    console.println("Will delete, in this order (dependents first):");
    for n in &doomed {
        console.println(&format!("  {n}"));
    }
    let protected: Vec<String> = doomed
        .iter()
        .filter(|n| {
            states.iter().any(|st| {
                &&st.stack == *n
                    && st
                        .description
                        .as_ref()
                        .is_some_and(|d| d.termination_protection)
            })
        })
        .map(|n| n.to_string())
        .collect();
    if !protected.is_empty() {
        console.println(&format!(
            "  Termination protection is lifted from {} only after you confirm, each right before its deletion.",
            protected.join(", ")
        ));
    }
    let database = specs::role_name(&s.architecture, StackRole::Database)?;
    let artifacts = specs::role_name(&s.architecture, StackRole::Artifacts)?;
    if doomed.contains(&&database) {
        console.println(&format!(
            "  {database}: RDS keeps a final snapshot of the database (DeletionPolicy Snapshot); its deletion protection is switched off only after you confirm."
        ));
    }
    if doomed.contains(&&artifacts) {
        console.println(&format!(
            "  {artifacts}: its buckets are emptied first (every application build, and the load balancer's access logs: all versions and delete markers)."
        ));
    }
    if !console.confirm("Delete these stacks?", args.yes)? {
        console.eprintln("Nothing was deleted.");
        return Ok(1);
    }
    let hook = Arc::new(EmptyBucketHook {
        artifacts_stack: artifacts,
        store: s.services.store.clone(),
        progress: s.progress.clone(),
    });
    let report = until_interrupted(console, async {
        s.engine
            .destroy_selected_with(&known, &selected, hook)
            .await
            .map_err(engine_error)
    })
    .await;
    s.progress.finish();
    let report = report?;
    if args.json {
        s.progress.json(&Line::DestroySummary {
            stacks: &report.stacks,
        });
    } else {
        for st in &report.stacks {
            console.println(&view::stack_result(&st.stack, st.outcome, st.duration));
        }
    }
    Ok(0)
}
