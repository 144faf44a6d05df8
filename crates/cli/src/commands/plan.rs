//! `techchallenge plan`: what a deploy would change, as a readable diff, changing nothing (the
//! change sets made to compute it are deleted again). The build is hashed and the image chosen
//! to compute the application's parameters exactly as deploy would, but nothing is uploaded;
//! when the instances keep an image older than the newest, the plan says so.

use anyhow::Result;

use super::{Prepared, engine_error, method, prepare, session, until_interrupted};
use crate::cli::{GlobalArgs, PlanArgs};
use crate::console::Console;
use crate::image;
use crate::json::PlanReport;
use crate::{Backend, view};

/// Plans the selected stacks and prints the plan.
pub async fn run(
    global: &GlobalArgs,
    args: &PlanArgs,
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
    let artifact = artifact.as_ref();
    let plan = until_interrupted(console, async {
        s.engine
            .plan(&specs, method(args.method))
            .await
            .map_err(engine_error)
    })
    .await?;
    // A plan changes nothing: its change sets go again.
    s.engine.discard(&plan).await.map_err(engine_error)?;
    let newer_image = match &image {
        Some(choice) => image::newer_than_kept(choice, s.services.images.as_ref()).await?,
        None => None,
    };
    s.progress.finish();
    if args.json {
        console.println(&serde_json::to_string_pretty(&PlanReport {
            plan: &plan,
            artifact,
            image: image.as_ref(),
            newer_image: newer_image.as_deref(),
        })?);
        return Ok(0);
    }
    for line in view::plan(&plan) {
        console.println(&line);
    }
    if let Some(line) = view::express(&specs) {
        console.println(&line);
    }
    if let Some(a) = artifact {
        console.println(&format!(
            "Application build: {} ({} bytes, sha256 {}); deploy uploads it only if the bucket lacks that key.",
            a.key, a.size, a.sha256
        ));
    }
    if let Some(choice) = &image {
        console.println(&choice.describe());
    }
    if let Some(newer) = newer_image {
        console.println(&format!(
            "A newer Amazon Linux 2023 image is available: {newer}. `techchallenge deploy --update-image` rolls it out (replacing every instance)."
        ));
    }
    Ok(0)
}
