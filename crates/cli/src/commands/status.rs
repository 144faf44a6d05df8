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

/// Which read-only command.
#[derive(Debug, Clone, Copy)]
pub enum Query {
    /// Each stack's state, last change and outputs.
    Status,
    /// The outputs, the application's URL first.
    Outputs,
}

/// Prints what `query` asks for, about every stack of the architecture.
pub async fn run(
    query: Query,
    global: &GlobalArgs,
    args: &JsonArgs,
    console: &Console,
    backend: Backend,
) -> Result<u8> {
    let s = session(global, console, backend, args.json).await?;
    let names: Vec<StackName> = StackRole::ALL
        .iter()
        .map(|r| specs::role_name(&s.architecture, *r))
        .collect::<Result<_>>()?;
    let lines = match query {
        Query::Status => {
            let states = s.engine.status(&names).await.map_err(engine_error)?;
            if args.json {
                vec![serde_json::to_string_pretty(&states)?]
            } else {
                view::status(&states)
            }
        }
        Query::Outputs => {
            let outputs = s.engine.outputs(&names).await.map_err(engine_error)?;
            if args.json {
                vec![serde_json::to_string_pretty(&Outputs::new(&outputs))?]
            } else if outputs.is_empty() {
                vec!["No stack is deployed.".to_owned()]
            } else {
                view::outputs(&outputs)
            }
        }
    };
    for line in lines {
        console.println(&line);
    }
    Ok(0)
}
