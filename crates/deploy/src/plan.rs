//! The plan: what a deploy would do to each stack, as plain data the CLI renders (or prints with
//! `Display`), built from change sets with property values or, for stacks that cannot have a
//! change set yet, from the template's resource list.

use std::fmt;

use serde::Serialize;

use crate::cloudformation::{ChangeAction, PropertyChange, Replacement, StackOutput};
use crate::drift::LastDrift;
use crate::guards::GuardChange;
use crate::names::{ChangeSetId, LogicalId, StackName};
use crate::rollback::RollbackWatch;
use crate::spec::StackSpec;
use crate::status::StackStatus;

/// How stacks are changed: through a change set (the default) or CreateStack/UpdateStack directly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Create a change set, show it, execute it.
    #[default]
    ChangeSet,
    /// `CreateStack` / `UpdateStack` (as CDK's `--method direct`); the plan still previews updates
    /// with a change set, deleted again before the update.
    Direct,
}

/// What deploying a stack will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PlanAction {
    /// The stack does not exist: create it.
    Create,
    /// The stack exists and changes.
    Update,
    /// Nothing to do.
    NoChanges,
    /// The stack is in ROLLBACK_COMPLETE after a failed first create: delete it, then create it.
    /// Needs the caller's confirmation (`DeployOptions::confirm_recreate`).
    Recreate,
}

/// A security-relevant widening: a new ingress/egress rule or new IAM permissions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Widening {
    /// `security-group` or `iam`.
    pub kind: WideningKind,
    /// What is granted, e.g. `ingress tcp 80-80 from 0.0.0.0/0 (open to the world)`.
    pub detail: String,
}

/// The kind of permission that widens.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum WideningKind {
    /// Network access through a security group.
    SecurityGroup,
    /// IAM permissions or trust.
    Iam,
}

/// One resource's planned change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PlannedChange {
    /// Added, modified or removed.
    pub action: ChangeAction,
    /// The resource's logical id.
    pub logical_id: LogicalId,
    /// Its type.
    pub resource_type: String,
    /// For modifications: whether the resource is replaced.
    pub replacement: Option<Replacement>,
    /// Properties before → after (for an added resource: its properties, `before` empty).
    pub properties: Vec<PropertyChange>,
    /// Permissions this change widens.
    pub widening: Vec<Widening>,
}

/// The plan for one stack.
#[derive(Debug, Clone, Serialize)]
pub struct StackPlan {
    /// The stack.
    pub stack: StackName,
    /// What deploying it does.
    pub action: PlanAction,
    /// Its status when planned (`None`: it does not exist).
    pub current_status: Option<StackStatus>,
    /// The resource changes.
    pub changes: Vec<PlannedChange>,
    /// The change set created for it, executed by `deploy` (method change-set only).
    pub change_set: Option<ChangeSetId>,
    /// True when the changes come from the template because a change set could not be made yet
    /// (a stack it depends on does not exist, or method direct): property values are the template's.
    pub from_template: bool,
    /// Protected resources this plan replaces or deletes.
    pub risks: Vec<DataLossRisk>,
    /// Guards the deploy switches on: all the spec's for a stack being created, what a
    /// deployed one lacks otherwise.
    pub guards: Vec<GuardChange>,
    /// The stack's outputs when planned: what a deploy with no changes reports without asking
    /// CloudFormation again.
    #[serde(skip)]
    pub outputs: Vec<StackOutput>,
    /// For a stack that declares alarm outputs and changes: the alarms CloudFormation watches
    /// during its update (rollback triggers), or why it is not watched (`None`: the stack
    /// declares none, or nothing changes).
    pub watch: Option<RollbackWatch>,
    /// The stack's last drift result, from `DescribeStacks` (no call of its own): a stack last
    /// found `DRIFTED` has edits made outside CloudFormation that an update may undo.
    pub last_drift: Option<LastDrift>,
}

impl StackPlan {
    /// Every security-relevant widening in this stack's plan.
    pub fn widenings(&self) -> impl Iterator<Item = (&PlannedChange, &Widening)> {
        self.changes
            .iter()
            .flat_map(|c| c.widening.iter().map(move |w| (c, w)))
    }
}

/// What would happen to a protected resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Loss {
    /// Replaced: a new resource, the old one deleted.
    Replaced,
    /// May be replaced (CloudFormation decides at execution).
    MaybeReplaced,
    /// Deleted.
    Deleted,
}

/// A protected resource the plan would replace or delete.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataLossRisk {
    /// The stack.
    pub stack: StackName,
    /// The resource.
    pub logical_id: LogicalId,
    /// What would happen to it.
    pub loss: Loss,
    /// Why it matters (from the stack spec).
    pub reason: String,
}

impl fmt::Display for DataLossRisk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.loss {
            Loss::Replaced => "would be replaced",
            Loss::MaybeReplaced => "may be replaced",
            Loss::Deleted => "would be deleted",
        };
        write!(
            f,
            "{} in {} {what} ({})",
            self.logical_id, self.stack, self.reason
        )
    }
}

/// The plan for a set of stacks, in dependency order. `deploy` executes it.
#[derive(Debug, Clone, Serialize)]
pub struct Plan {
    /// How the plan will be executed.
    pub method: Method,
    /// One entry per stack, dependencies first.
    pub stacks: Vec<StackPlan>,
    #[serde(skip)]
    pub(crate) specs: Vec<StackSpec>,
}

impl Plan {
    /// True when no stack changes, guards included.
    pub fn is_empty(&self) -> bool {
        self.stacks
            .iter()
            .all(|s| s.action == PlanAction::NoChanges && s.guards.is_empty())
    }

    /// Every data-loss risk in the plan.
    pub fn risks(&self) -> Vec<DataLossRisk> {
        self.stacks
            .iter()
            .flat_map(|s| s.risks.iter().cloned())
            .collect()
    }

    /// True when any change widens security groups or IAM (CDK's "broadening"): ask before deploying.
    pub fn widens_permissions(&self) -> bool {
        self.stacks.iter().any(|s| s.widenings().next().is_some())
    }

    /// Stacks that need the caller's confirmation to be deleted and re-created.
    pub fn needs_recreate(&self) -> Vec<&StackName> {
        self.stacks
            .iter()
            .filter(|s| s.action == PlanAction::Recreate)
            .map(|s| &s.stack)
            .collect()
    }

    /// The plan as readable lines (no colours): what `Display` prints.
    pub fn lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        for stack in &self.stacks {
            let head = match stack.action {
                PlanAction::Create => "create",
                PlanAction::Update => "update",
                PlanAction::NoChanges => "no changes",
                PlanAction::Recreate => {
                    "delete and re-create (left in ROLLBACK_COMPLETE by a failed create)"
                }
            };
            let source = if stack.from_template {
                " (from the template; values resolved at deploy)"
            } else {
                ""
            };
            out.push(format!("{}: {head}{source}", stack.stack));
            for change in &stack.changes {
                out.extend(change_lines(change));
            }
            for risk in &stack.risks {
                out.push(format!("  !! data loss: {risk}"));
            }
            for guard in &stack.guards {
                out.push(format!("  guard: {guard}"));
            }
            if let Some(watch) = &stack.watch {
                out.push(format!("  rollback watch: {}", watch.describe()));
            }
        }
        out
    }
}

fn change_lines(change: &PlannedChange) -> Vec<String> {
    let sign = match change.action {
        ChangeAction::Add => "+",
        ChangeAction::Modify => "~",
        ChangeAction::Remove => "-",
        ChangeAction::Import => "<",
        ChangeAction::Dynamic => "?",
    };
    let replacement = match change.replacement {
        Some(Replacement::Always) => " [REPLACEMENT]",
        Some(Replacement::Conditional) => " [MAY BE REPLACED]",
        _ => "",
    };
    let mut out = vec![format!(
        "  {sign} {} ({}){replacement}",
        change.logical_id, change.resource_type
    )];
    for p in &change.properties {
        let recreate = match p.requires_recreation {
            Replacement::Always => " (requires replacement)",
            Replacement::Conditional => " (may require replacement)",
            Replacement::Never => "",
        };
        let line = match (&p.before, &p.after) {
            (Some(b), Some(a)) => format!("      {}: {b} → {a}{recreate}", p.path),
            (None, Some(a)) => format!("      {}: {a}{recreate}", p.path),
            (Some(b), None) => format!("      {}: {b} → (removed){recreate}", p.path),
            (None, None) => format!("      {} changes{recreate}", p.path),
        };
        out.push(line);
    }
    for w in &change.widening {
        let kind = match w.kind {
            WideningKind::SecurityGroup => "security group",
            WideningKind::Iam => "IAM",
        };
        out.push(format!("      ! widens {kind}: {}", w.detail));
    }
    out
}

impl fmt::Display for Plan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for line in self.lines() {
            writeln!(f, "{line}")?;
        }
        Ok(())
    }
}
