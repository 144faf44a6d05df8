//! `techchallenge logs`: the application's output (or with `--boot` the boot scripts' logs)
//! from every instance, oldest first, from CloudWatch Logs, so terminated instances' lines are
//! there too. `--follow` keeps asking every second and prints what is new until Ctrl-C.

use std::collections::HashMap;
use std::time::Duration;

use anyhow::{Context, Result};
use techchallenge_fleet::LogEvent;
use techchallenge_stacks::Naming;

use super::session;
use crate::cli::{GlobalArgs, LogsArgs};
use crate::console::Console;
use crate::json::Line;
use crate::{Backend, view};

/// How often `--follow` asks for new lines.
const FOLLOW_EVERY: Duration = Duration::from_secs(1);

/// How far behind the newest line `--follow` asks again. A line's timestamp is when it was
/// written, not when it arrived: the agents send in batches every few seconds, so one instance's
/// older line can arrive after another's newer one. Lines already printed are recognised by id.
const ARRIVE_LATE_BY_MS: i64 = 60_000;

/// Prints the logs.
pub async fn run(
    global: &GlobalArgs,
    args: &LogsArgs,
    console: &Console,
    backend: Backend,
) -> Result<u8> {
    let s = session(global, console, backend, args.json).await?;
    let naming = Naming::new(&s.architecture.settings.environment);
    let group = naming.log_group(if args.boot { "boot" } else { "app" });
    let start = epoch_millis() - i64::try_from(args.since.as_millis()).unwrap_or(i64::MAX);
    let mut newest = start;
    // Printed lines by id, with their timestamps (forgotten once older than the window asked).
    let mut seen: HashMap<String, i64> = HashMap::new();
    let mut printed = 0usize;
    loop {
        let from = start.max(newest - ARRIVE_LATE_BY_MS);
        let events = s
            .services
            .logs
            .events(&group, &args.instance, from)
            .await
            .with_context(|| format!("reading {group}"))?;
        let Some(events) = events else {
            console.eprintln(&format!(
                "No logs: the log group {group} does not exist, so the application stack is not deployed (`techchallenge deploy`)."
            ));
            return Ok(1);
        };
        seen.retain(|_, timestamp| *timestamp >= from);
        for event in events {
            if seen.insert(event.id.clone(), event.timestamp).is_some() {
                continue;
            }
            print(console, args.json, &event);
            printed += 1;
            newest = newest.max(event.timestamp);
        }
        if !args.follow {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep(FOLLOW_EVERY) => {}
            () = console.interrupt.notified() => return Ok(0),
        }
    }
    if printed == 0 && !args.json {
        console.eprintln(&format!(
            "No log lines in {group} in the last {}{}.",
            view::age(args.since),
            if args.instance.is_empty() {
                String::new()
            } else {
                format!(" from {}", args.instance.join(", "))
            }
        ));
    }
    Ok(0)
}

fn print(console: &Console, json: bool, event: &LogEvent) {
    if json {
        if let Ok(line) = serde_json::to_string(&Line::Log { event }) {
            console.println(&line);
        }
    } else {
        console.println(&format!(
            "{} {}  {}",
            view::time_of(event.timestamp),
            event.instance_id,
            event.message.trim_end()
        ));
    }
}

fn epoch_millis() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}
