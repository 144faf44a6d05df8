//! `Engine::destroy`: deletes stacks in reverse dependency order, one at a time, waiting for each;
//! refuses while another stack still imports an export (naming the importer) or uses a stack at
//! run time (`StackSpec::uses`); applies the
//! spec's pre-deletion parameters (e.g. lifting deletion protection) with the previous template.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use super::Engine;
use crate::cloudformation::{ApiError, StackDescription};
use crate::error::Error;
use crate::events::{Event, Outcome, StackAction};
use crate::hook::{NoHook, StackHook};
use crate::names::StackName;
use crate::order::dependency_order;
use crate::spec::StackSpec;

/// The result of a destroy, stacks in the order they were deleted.
#[derive(Debug, Clone, Serialize)]
pub struct DestroyReport {
    /// `(stack, Deleted | AlreadyGone, duration)` per stack.
    pub stacks: Vec<DestroyedStack>,
}

/// One deleted stack.
#[derive(Debug, Clone, Serialize)]
pub struct DestroyedStack {
    /// The stack.
    pub stack: StackName,
    /// `Deleted` or `AlreadyGone`.
    pub outcome: Outcome,
    /// How long it took.
    #[serde(serialize_with = "crate::events::millis")]
    pub duration: Duration,
}

impl Engine {
    /// Deletes every stack of `specs` (dependents first). The caller has confirmed: this also
    /// applies each spec's `parameters_before_delete` (e.g. switches off deletion protection) first.
    pub async fn destroy(&self, specs: &[StackSpec]) -> Result<DestroyReport, Error> {
        let names: Vec<StackName> = specs.iter().map(|s| s.name.clone()).collect();
        self.destroy_selected(specs, &names).await
    }

    /// Deletes the `selected` stacks among `known` (every stack the caller knows of, so that a
    /// known stack that depends on a selected one and still exists blocks its deletion even where
    /// `ListImports` is unavailable, as on moto).
    pub async fn destroy_selected(
        &self,
        known: &[StackSpec],
        selected: &[StackName],
    ) -> Result<DestroyReport, Error> {
        self.destroy_selected_with(known, selected, Arc::new(NoHook))
            .await
    }

    /// [`Engine::destroy_selected`], running `hook.before_delete` right before each stack is
    /// deleted (its importers gone, deletion protection lifted): e.g. emptying a bucket.
    pub async fn destroy_selected_with(
        &self,
        known: &[StackSpec],
        selected: &[StackName],
        hook: Arc<dyn StackHook>,
    ) -> Result<DestroyReport, Error> {
        let specs: Vec<StackSpec> = selected
            .iter()
            .map(|name| {
                known
                    .iter()
                    .find(|s| &s.name == name)
                    .cloned()
                    .unwrap_or_else(|| StackSpec::new(name.clone(), "{}"))
            })
            .collect();
        // A stack's run-time users go first, as its importers do: for the order, a user
        // depends on what it uses.
        let ordering: Vec<StackSpec> = specs
            .iter()
            .map(|s| {
                let mut s = s.clone();
                s.depends_on.extend(s.uses.clone());
                s
            })
            .collect();
        let mut order = dependency_order(&ordering)?;
        order.reverse();
        let doomed: HashSet<&StackName> = selected.iter().collect();
        // Refuse before deleting anything if a stack outside the set still imports an export,
        // or uses one of these stacks at run time.
        for &i in &order {
            if let Some(d) = self.describe(&specs[i].name).await? {
                self.check_imports(&d, &doomed, known).await?;
                self.check_users(&specs[i].name, &doomed, known).await?;
            }
        }
        let mut stacks = Vec::new();
        for i in order {
            let spec = &specs[i];
            let started = Instant::now();
            let outcome = self.destroy_one(spec, known, hook.as_ref()).await;
            let duration = started.elapsed();
            match outcome {
                Ok(outcome) => {
                    self.emit(Event::StackFinished {
                        stack: spec.name.clone(),
                        outcome,
                        duration,
                        outputs: Vec::new(),
                    });
                    stacks.push(DestroyedStack {
                        stack: spec.name.clone(),
                        outcome,
                        duration,
                    });
                }
                Err(e) => {
                    let status = match &e {
                        Error::StackFailed { status, .. } => Some(status.clone()),
                        _ => None,
                    };
                    self.emit(Event::StackFailed {
                        stack: spec.name.clone(),
                        status,
                        duration,
                    });
                    return Err(e);
                }
            }
        }
        Ok(DestroyReport { stacks })
    }

    async fn destroy_one(
        &self,
        spec: &StackSpec,
        known: &[StackSpec],
        hook: &dyn StackHook,
    ) -> Result<Outcome, Error> {
        let stack = &spec.name;
        let Some(current) = self.settle_first(stack).await? else {
            return Ok(Outcome::AlreadyGone);
        };
        // Stacks deleted before this one are gone, so any importer left is a real blocker.
        self.check_imports(&current, &HashSet::new(), known).await?;
        if !spec.parameters_before_delete.is_empty() && current.status.is_usable() {
            self.update_parameters(
                spec,
                &current,
                &spec.parameters_before_delete,
                StackAction::PrepareDelete,
            )
            .await?;
        }
        hook.before_delete(&current)
            .await
            .map_err(|source| Error::Hook {
                stack: stack.clone(),
                source,
            })?;
        // Last, right before the deletion: a step above that fails leaves the stack protected.
        self.lift_protection(&current, "destroy confirmed").await?;
        self.emit(Event::StackStarted {
            stack: stack.clone(),
            action: StackAction::Delete,
        });
        self.delete_and_wait(stack).await?;
        Ok(Outcome::Deleted)
    }

    /// Fails with [`Error::ExportInUse`] if a stack not in `ignoring` imports one of the exports.
    /// `ListImports` decides; where the endpoint does not implement it, the known stacks that
    /// declare a dependency on this one and still exist are taken as its importers.
    async fn check_imports(
        &self,
        stack: &StackDescription,
        ignoring: &HashSet<&StackName>,
        known: &[StackSpec],
    ) -> Result<(), Error> {
        for export in stack.outputs.iter().filter_map(|o| o.export_name.as_ref()) {
            let listed = self
                .call(&stack.name, "ListImports", || self.cfn.list_imports(export))
                .await;
            let importers = match listed {
                Ok(importers) => importers,
                Err(Error::Api {
                    source: ApiError::Service { code, .. },
                    ..
                }) if code.starts_with("HTTP ") || code == "InvalidAction" => {
                    tracing::debug!(stack = %stack.name, %code, "ListImports unavailable; using declared dependencies");
                    self.declared_dependents(&stack.name, known).await?
                }
                Err(e) => return Err(e),
            };
            let importers: Vec<StackName> = importers
                .into_iter()
                .filter(|s| !ignoring.contains(s))
                .collect();
            if !importers.is_empty() {
                return Err(Error::ExportInUse {
                    stack: stack.name.clone(),
                    export: export.clone(),
                    importers,
                });
            }
        }
        Ok(())
    }

    /// Fails with [`Error::InUse`] if a known stack that uses `stack` at run time, and is not
    /// being deleted, exists.
    async fn check_users(
        &self,
        stack: &StackName,
        doomed: &HashSet<&StackName>,
        known: &[StackSpec],
    ) -> Result<(), Error> {
        let users = self
            .existing(
                known
                    .iter()
                    .filter(|k| k.uses.contains(stack) && !doomed.contains(&k.name)),
            )
            .await?;
        if users.is_empty() {
            Ok(())
        } else {
            Err(Error::InUse {
                stack: stack.clone(),
                users,
            })
        }
    }

    /// The known stacks that declare a dependency on `stack` and exist.
    async fn declared_dependents(
        &self,
        stack: &StackName,
        known: &[StackSpec],
    ) -> Result<Vec<StackName>, Error> {
        self.existing(known.iter().filter(|s| s.depends_on.contains(stack)))
            .await
    }

    /// The names of `specs` whose stacks exist (a change set's empty review shell does not count).
    async fn existing(
        &self,
        specs: impl Iterator<Item = &StackSpec>,
    ) -> Result<Vec<StackName>, Error> {
        let mut out = Vec::new();
        for spec in specs {
            if self
                .describe(&spec.name)
                .await?
                .is_some_and(|d| !d.status.is_review())
            {
                out.push(spec.name.clone());
            }
        }
        Ok(out)
    }
}
