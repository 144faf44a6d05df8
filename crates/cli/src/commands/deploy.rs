//! `techchallenge deploy`: plan, show, ask (no default answer; `--yes` for CI), then execute in
//! dependency order with live progress. The application build goes up between the artifacts stack
//! and the application stack (a hook the engine runs once the bucket exists), only when the
//! bucket lacks its content-hash key. Ends with the outputs (URL first) and each stack's time.

use std::sync::{Arc, Mutex};
use std::time::Instant;

use anyhow::{Context, Result};
use async_trait::async_trait;
use techchallenge_artifact::{self as artifact, Artifact, ArtifactStore, Upload};
use techchallenge_deploy::{
    DeployOptions, Engine, HookError, Plan, PlanAction, StackHook, StackName, StackOutput,
};
use techchallenge_stacks::{Export, StackRole};

use super::{Prepared, Session, engine_error, method, prepare, session, until_interrupted};
use crate::cli::{DeployArgs, GlobalArgs};
use crate::console::Console;
use crate::image::ImageChoice;
use crate::json::{Line, Outputs};
use crate::progress::Progress;
use crate::{Backend, specs, view};

/// The artifacts stack's bucket, from its outputs.
fn bucket_of(outputs: &[StackOutput]) -> Option<String> {
    outputs
        .iter()
        .find(|o| o.key == Export::ArtifactBucket.key())
        .map(|o| o.value.clone())
}

/// Uploads the build once the artifacts stack is deployed, before the application starts.
pub struct UploadHook {
    artifacts_stack: StackName,
    artifact: Option<Artifact>,
    store: Arc<dyn ArtifactStore>,
    progress: Arc<Progress>,
    /// What happened, for the summary.
    pub done: Mutex<Option<(String, Upload)>>,
}

impl UploadHook {
    /// Makes sure `bucket` holds the build, and says what was done.
    pub async fn upload(&self, bucket: &str) -> Result<(), artifact::ArtifactError> {
        let Some(a) = &self.artifact else {
            return Ok(());
        };
        let outcome = artifact::ensure_uploaded(self.store.as_ref(), bucket, a).await?;
        let said = match outcome {
            Upload::Uploaded => format!(
                "application build uploaded to s3://{bucket}/{} ({} bytes)",
                a.key, a.size
            ),
            Upload::Unchanged => format!(
                "application build unchanged: s3://{bucket}/{} is already there, nothing uploaded",
                a.key
            ),
        };
        self.progress.note(&said);
        self.progress.json(&Line::Artifact {
            outcome,
            bucket,
            key: &a.key,
            sha256: &a.sha256,
            bytes: a.size,
        });
        if let Ok(mut done) = self.done.lock() {
            *done = Some((bucket.to_owned(), outcome));
        }
        Ok(())
    }
}

#[async_trait]
impl StackHook for UploadHook {
    async fn after_deploy(
        &self,
        stack: &StackName,
        outputs: &[StackOutput],
    ) -> Result<(), HookError> {
        if stack != &self.artifacts_stack || self.artifact.is_none() {
            return Ok(());
        }
        let bucket = bucket_of(outputs)
            .ok_or_else(|| format!("{stack} has no {} output", Export::ArtifactBucket.key()))?;
        Ok(self.upload(&bucket).await?)
    }
}

/// Uploads to the bucket of an artifacts stack deployed earlier (not deployed by this run), whose
/// outputs the plan may already know.
async fn upload_to_existing(engine: &Engine, hook: &UploadHook, plan: &Plan) -> Result<()> {
    let planned = plan
        .stacks
        .iter()
        .find(|p| p.stack == hook.artifacts_stack && !p.outputs.is_empty());
    let outputs = match planned {
        Some(p) => p.outputs.clone(),
        None => engine
            .outputs(std::slice::from_ref(&hook.artifacts_stack))
            .await
            .map_err(engine_error)?
            .into_iter()
            .next()
            .map(|(_, o)| o)
            .unwrap_or_default(),
    };
    let bucket = bucket_of(&outputs)
        .with_context(|| {
            format!(
                "the artifacts stack {} is not deployed, so there is nowhere to upload the application build: run `techchallenge deploy artifacts` (or `deploy all`) first",
                hook.artifacts_stack
            )
        })?;
    Ok(hook.upload(&bucket).await?)
}

/// Plans, asks and deploys.
pub async fn run(
    global: &GlobalArgs,
    args: &DeployArgs,
    console: &Console,
    backend: Backend,
) -> Result<u8> {
    let s = session(global, console, backend, args.json).await?;
    let Prepared {
        artifact,
        image,
        specs,
    } = prepare(
        &s,
        args.stack,
        args.update_image,
        args.express,
        args.no_rollback_watch,
    )
    .await?;
    let hook = Arc::new(UploadHook {
        artifacts_stack: specs::role_name(&s.architecture, StackRole::Artifacts)?,
        artifact,
        store: s.services.store.clone(),
        progress: s.progress.clone(),
        done: Mutex::new(None),
    });
    let result = until_interrupted(
        console,
        deploy(&s, args, console, &specs, image.as_ref(), hook),
    )
    .await;
    s.progress.finish();
    if let Err(e) = &result
        && args.json
    {
        s.progress.json(&Line::Error {
            message: format!("{e:#}"),
        });
    }
    result
}

async fn deploy(
    s: &Session,
    args: &DeployArgs,
    console: &Console,
    specs: &[techchallenge_deploy::StackSpec],
    image: Option<&ImageChoice>,
    hook: Arc<UploadHook>,
) -> Result<u8> {
    let started = Instant::now();
    let plan = s
        .engine
        .plan(specs, method(args.method))
        .await
        .map_err(engine_error)?;
    if args.json {
        s.progress.json(&Line::Plan { plan: &plan });
        if let Some(choice) = image {
            s.progress.json(&Line::Image { image: choice });
        }
    } else {
        for line in view::plan(&plan) {
            console.println(&line);
        }
        if let Some(line) = view::express(specs) {
            console.println(&line);
        }
        if let Some(choice) = image {
            console.println(&choice.describe());
        }
    }
    if let Err(e) = plan.check_data_loss(args.allow_data_loss) {
        s.engine.discard(&plan).await.map_err(engine_error)?;
        return Err(engine_error(e));
    }
    let artifacts_in_run = plan.stacks.iter().any(|p| p.stack == hook.artifacts_stack);
    if plan.is_empty() {
        // Nothing changes, but the build the application names must still be in the bucket.
        if hook.artifact.is_some() {
            upload_to_existing(&s.engine, &hook, &plan).await?;
        }
        summary(s, console, args.json, &plan, None, started).await?;
        return Ok(0);
    }
    let recreate: Vec<String> = plan
        .needs_recreate()
        .iter()
        .map(|n| n.to_string())
        .collect();
    let mut confirm_recreate = false;
    if !recreate.is_empty() {
        confirm_recreate = console.confirm(
            &format!(
                "{} {} left in ROLLBACK_COMPLETE by a failed first create; delete and re-create?",
                recreate.join(", "),
                if recreate.len() == 1 { "was" } else { "were" }
            ),
            args.yes,
        )?;
        if !confirm_recreate {
            s.engine.discard(&plan).await.map_err(engine_error)?;
            anyhow::bail!(
                "not deployed: {} must be re-created first",
                recreate.join(", ")
            );
        }
    }
    let question = if plan.widens_permissions() {
        "Deploy these changes? They widen security groups or IAM permissions (marked above)."
    } else {
        "Deploy these changes?"
    };
    if !console.confirm(question, args.yes)? {
        s.engine.discard(&plan).await.map_err(engine_error)?;
        console.eprintln("Not deployed: nothing was changed.");
        return Ok(1);
    }
    if hook.artifact.is_some() && !artifacts_in_run {
        upload_to_existing(&s.engine, &hook, &plan).await?;
    }
    let options = DeployOptions {
        allow_data_loss: args.allow_data_loss,
        confirm_recreate,
    };
    let report = s
        .engine
        .deploy_with(&plan, options, hook.clone())
        .await
        .map_err(engine_error)?;
    summary(s, console, args.json, &plan, Some(&report), started).await?;
    Ok(0)
}

/// The outputs that matter (URL first) and how long each stack took. Outputs the report or the
/// plan carry are not asked for again, so a deploy with nothing to do makes no call here.
async fn summary(
    s: &Session,
    console: &Console,
    json: bool,
    plan: &Plan,
    report: Option<&techchallenge_deploy::DeployReport>,
    started: Instant,
) -> Result<()> {
    s.progress.finish();
    let known = |stack: &StackName| -> Option<Vec<StackOutput>> {
        let reported = report
            .and_then(|r| r.stacks.iter().find(|st| &st.stack == stack))
            .map(|st| st.outputs.clone());
        let planned = plan
            .stacks
            .iter()
            .find(|p| &p.stack == stack && p.action == PlanAction::NoChanges)
            .map(|p| p.outputs.clone());
        reported.or(planned)
    };
    let mut outputs = Vec::new();
    for role in StackRole::ALL {
        let stack = specs::role_name(&s.architecture, role)?;
        match known(&stack) {
            Some(o) => outputs.push((stack, o)),
            None => outputs.extend(
                s.engine
                    .outputs(std::slice::from_ref(&stack))
                    .await
                    .map_err(engine_error)?,
            ),
        }
    }
    if json {
        s.progress.json(&Line::DeploySummary {
            changed: report.is_some(),
            stacks: report.map(|r| r.stacks.as_slice()),
            outputs: Outputs::new(&outputs),
            duration: u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX),
        });
        return Ok(());
    }
    match report {
        None => console.println("No changes: nothing to deploy, every stack is up to date."),
        Some(r) => {
            console.println(&format!(
                "Deployed in {:.1}s:",
                started.elapsed().as_secs_f64()
            ));
            for st in &r.stacks {
                console.println(&view::stack_result(&st.stack, st.outcome, st.duration));
            }
        }
    }
    for line in view::outputs(&outputs) {
        console.println(&line);
    }
    Ok(())
}
