//! Renders the engine's events while it works: JSON lines (`--json`), plain timestamped lines when
//! stdout is not a terminal (CI logs), or indicatif spinners per stack with resource lines above
//! them on a terminal. Also carries the CLI's own notes (artifact upload, bucket emptying) so they
//! interleave correctly with the engine's progress.

use std::collections::HashMap;
use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use techchallenge_deploy::{Event, EventSink, Outcome, StackAction};

use crate::json::Line;

type Out = Arc<Mutex<Box<dyn Write + Send>>>;

/// How progress is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// One JSON object per line.
    Json,
    /// Plain lines.
    Plain,
    /// Spinners on a terminal.
    Bars,
}

/// The event sink the CLI gives the engine.
pub struct Progress {
    mode: Mode,
    out: Out,
    started: Instant,
    multi: Option<MultiProgress>,
    bars: Mutex<HashMap<String, ProgressBar>>,
}

impl Progress {
    /// Progress on `out` in `mode`.
    pub fn new(mode: Mode, out: Out) -> Self {
        let multi = (mode == Mode::Bars)
            .then(|| MultiProgress::with_draw_target(ProgressDrawTarget::stdout()));
        Self {
            mode,
            out,
            started: Instant::now(),
            multi,
            bars: Mutex::new(HashMap::new()),
        }
    }

    fn write_line(&self, line: &str) {
        if let Some(multi) = &self.multi {
            let _ = multi.println(line);
            return;
        }
        if let Ok(mut out) = self.out.lock() {
            let _ = writeln!(out, "{line}");
            let _ = out.flush();
        }
    }

    /// A note for people (ignored in JSON mode, where `json` carries the same fact).
    pub fn note(&self, line: &str) {
        if self.mode != Mode::Json {
            self.write_line(line);
        }
    }

    /// One of the CLI's own JSON lines (JSON mode only).
    pub fn json(&self, line: &Line<'_>) {
        if self.mode == Mode::Json {
            match serde_json::to_string(line) {
                Ok(text) => self.write_line(&text),
                Err(e) => tracing::warn!("cannot serialise a JSON line: {e}"),
            }
        }
    }

    /// Stops every spinner (before the summary is printed).
    pub fn finish(&self) {
        if let Ok(mut bars) = self.bars.lock() {
            for (_, bar) in bars.drain() {
                bar.finish_and_clear();
            }
        }
    }

    fn elapsed(&self) -> String {
        format!("[{:>6.1}s]", self.started.elapsed().as_secs_f64())
    }

    fn bar(&self, stack: &str) -> Option<ProgressBar> {
        let multi = self.multi.as_ref()?;
        let mut bars = self.bars.lock().ok()?;
        Some(
            bars.entry(stack.to_owned())
                .or_insert_with(|| {
                    let bar = multi.add(ProgressBar::new_spinner());
                    bar.set_style(
                        ProgressStyle::with_template(
                            "{spinner} {prefix:.bold} {wide_msg} {elapsed}",
                        )
                        .unwrap_or_else(|_| ProgressStyle::default_spinner()),
                    );
                    bar.set_prefix(stack.to_owned());
                    bar.enable_steady_tick(Duration::from_millis(120));
                    bar
                })
                .clone(),
        )
    }

    fn end_bar(&self, stack: &str) {
        if let Some(bar) = self.bars.lock().ok().and_then(|mut b| b.remove(stack)) {
            bar.finish_and_clear();
        }
    }

    fn human(&self, event: &Event) {
        let t = self.elapsed();
        match event {
            Event::WaitingForInProgress { stack, status } => {
                self.write_line(&format!(
                    "{t} {stack}: {status} already running (started earlier): attaching and waiting"
                ));
                if let Some(b) = self.bar(stack.as_str()) {
                    b.set_message(format!("waiting for {status}"));
                }
            }
            Event::ChangeSetCreating { stack, .. } => {
                if let Some(b) = self.bar(stack.as_str()) {
                    b.set_message("computing change set");
                } else if self.mode == Mode::Plain {
                    self.write_line(&format!("{t} {stack}: computing change set"));
                }
            }
            Event::StackStarted { stack, action } => {
                let what = match action {
                    StackAction::Create => "creating",
                    StackAction::Update => "updating",
                    StackAction::Delete => "deleting",
                    StackAction::Recreate => "deleting to re-create (was ROLLBACK_COMPLETE)",
                    StackAction::PrepareDelete => "lifting deletion protection before delete",
                    StackAction::CompleteCreate => {
                        "switching on deletion protection now that the database exists"
                    }
                };
                self.write_line(&format!("{t} {stack}: {what}"));
                if let Some(b) = self.bar(stack.as_str()) {
                    b.set_message(what);
                }
            }
            Event::Resource { stack, event } => {
                if event.is_stack_event() && self.mode == Mode::Bars {
                    return;
                }
                let reason = event
                    .reason
                    .as_deref()
                    .filter(|r| !r.is_empty())
                    .map(|r| format!(": {r}"))
                    .unwrap_or_default();
                self.write_line(&format!(
                    "{t} {stack}  {} ({})  {}{reason}",
                    event.logical_id, event.resource_type, event.status
                ));
                if let Some(b) = self.bar(stack.as_str()) {
                    b.set_message(format!("{} {}", event.logical_id, event.status));
                }
            }
            Event::Watching {
                stack,
                alarms,
                minutes,
            } => {
                let after = match minutes {
                    0 => String::new(),
                    m => format!(" (and {m} minutes after)"),
                };
                self.write_line(&format!(
                    "{t} {stack}: watching {} alarm{} during the update{after}: {}; one in ALARM rolls it back",
                    alarms.len(),
                    if alarms.len() == 1 { "" } else { "s" },
                    alarms.join(", ")
                ));
            }
            Event::NotWatched { stack, reason } => {
                self.write_line(&format!("{t} {stack}: not watched by alarms: {reason}"));
            }
            Event::Guard { stack, change } => {
                self.write_line(&format!("{t} {stack}: {change}"));
            }
            Event::StackFinished {
                stack,
                outcome,
                duration,
                ..
            } => {
                self.end_bar(stack.as_str());
                let what = match outcome {
                    Outcome::Created => "created",
                    Outcome::Updated => "updated",
                    Outcome::NoChanges => "no changes",
                    Outcome::Deleted => "deleted",
                    Outcome::AlreadyGone => "already gone",
                };
                self.write_line(&format!(
                    "{t} {stack}: {what} in {:.1}s",
                    duration.as_secs_f64()
                ));
            }
            Event::StackFailed {
                stack,
                status,
                duration,
            } => {
                self.end_bar(stack.as_str());
                let status = status
                    .as_ref()
                    .map_or_else(|| "failed".to_owned(), |s| format!("failed, left in {s}"));
                self.write_line(&format!(
                    "{t} {stack}: {status} after {:.1}s",
                    duration.as_secs_f64()
                ));
            }
            Event::StackSkipped { stack, reason } => {
                self.end_bar(stack.as_str());
                self.write_line(&format!("{t} {stack}: not deployed ({reason})"));
            }
            Event::Diagnosis { stack, finding } => {
                for line in finding.to_string().lines() {
                    self.write_line(&format!("{t} {stack}  {line}"));
                }
            }
            Event::LaunchFailed { stack, failure } => {
                let verdict = if failure.hopeless {
                    "waiting cannot fix this"
                } else {
                    "AWS keeps trying"
                };
                self.write_line(&format!(
                    "{t} {stack}: a launch failed ({verdict}): {}",
                    failure.reason
                ));
            }
            Event::Cancelling { stack, reason } => {
                self.write_line(&format!(
                    "{t} {stack}: cancelling the update, which cannot succeed ({reason}); CloudFormation rolls it back"
                ));
            }
            Event::Throttled {
                stack,
                operation,
                retry_in,
            } => {
                self.write_line(&format!(
                    "{t} {stack}: {operation} throttled by AWS, retrying in {:.1}s",
                    retry_in.as_secs_f64()
                ));
            }
        }
    }
}

impl EventSink for Progress {
    fn emit(&self, event: &Event) {
        match self.mode {
            Mode::Json => match serde_json::to_string(event) {
                Ok(line) => self.write_line(&line),
                Err(e) => tracing::warn!(error = %e, "event not serialisable"),
            },
            Mode::Plain | Mode::Bars => self.human(event),
        }
    }
}
