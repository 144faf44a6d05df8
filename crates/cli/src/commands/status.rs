//! `techchallenge status` (each stack's state, last change and outputs) and
//! `techchallenge outputs` (the outputs, the application's URL first), as text or JSON.

use anyhow::Result;
use techchallenge_deploy::StackName;
use techchallenge_stacks::StackRole;

use super::{engine_error, session};
use crate::cli::{GlobalArgs, JsonArgs};
use crate::console::Console;
use crate::json::Outputs;
use crate::{Backend, specs, view};

fn all_names(s: &super::Session) -> Result<Vec<StackName>> {
    StackRole::ALL
        .iter()
        .map(|r| specs::role_name(&s.architecture, *r))
        .collect()
}

/// Prints every stack's state.
pub async fn status(
    global: &GlobalArgs,
    args: &JsonArgs,
    console: &Console,
    backend: Backend,
) -> Result<u8> {
    let s = session(global, console, backend, args.json).await?;
    let states = s
        .engine
        .status(&all_names(&s)?)
        .await
        .map_err(engine_error)?;
    if args.json {
        console.println(&serde_json::to_string_pretty(&states)?);
    } else {
        for line in view::status(&states) {
            console.println(&line);
        }
    }
    Ok(0)
}

/// Prints the outputs of the deployed stacks.
pub async fn outputs(
    global: &GlobalArgs,
    args: &JsonArgs,
    console: &Console,
    backend: Backend,
) -> Result<u8> {
    let s = session(global, console, backend, args.json).await?;
    let outputs = s
        .engine
        .outputs(&all_names(&s)?)
        .await
        .map_err(engine_error)?;
    if args.json {
        console.println(&serde_json::to_string_pretty(&Outputs::new(&outputs))?);
    } else if outputs.is_empty() {
        console.println("No stack is deployed.");
    } else {
        for line in view::outputs(&outputs) {
            console.println(&line);
        }
    }
    Ok(0)
}
