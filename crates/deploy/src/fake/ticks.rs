//! The steps (ticks) of the fake's create, update and delete operations: which resource events
//! and stack statuses each poll reveals, worded as real CloudFormation words them, including the
//! rollback sequence after a scripted resource failure.

use std::collections::VecDeque;

use super::{STACK_TYPE, Script, Tick, template};

type Ev = (String, String, String, Option<String>);

pub(super) fn ev(id: &str, ty: &str, status: &str, reason: Option<&str>) -> Ev {
    (
        id.to_owned(),
        ty.to_owned(),
        status.to_owned(),
        reason.map(str::to_owned),
    )
}

fn status_tick(stack: &str, status: &str, reason: Option<&str>) -> Tick {
    Tick {
        events: vec![ev(stack, STACK_TYPE, status, reason)],
        status: Some((status.to_owned(), reason.map(str::to_owned))),
        ..Tick::default()
    }
}

/// Steps of a create (verb "CREATE") or update ("UPDATE") of `resources`. A failed create rolls
/// back by deleting what it made; the ids in `protected` (deletion-protected databases) refuse
/// that, leaving `ROLLBACK_FAILED` as on AWS.
pub(super) fn change_ticks(
    stack: &str,
    verb: &str,
    resources: &[(String, String)],
    protected: &[String],
    script: Script,
) -> VecDeque<Tick> {
    let mut ticks = VecDeque::new();
    let mut done: Vec<&(String, String)> = Vec::new();
    for r in resources {
        let (id, ty) = r;
        if let Script::FailResource { logical_id, reason } = &script
            && logical_id == id
        {
            ticks.push_back(Tick {
                events: vec![
                    ev(id, ty, &format!("{verb}_IN_PROGRESS"), None),
                    ev(id, ty, &format!("{verb}_FAILED"), Some(reason)),
                ],
                ..Tick::default()
            });
            let (rollback, word) = if verb == "CREATE" {
                ("ROLLBACK", "create")
            } else {
                ("UPDATE_ROLLBACK", "update")
            };
            let why = format!(
                "The following resource(s) failed to {word}: [{id}]. Rollback requested by user."
            );
            ticks.push_back(status_tick(
                stack,
                &format!("{rollback}_IN_PROGRESS"),
                Some(&why),
            ));
            let mut undo = Tick::default();
            let mut stuck = Vec::new();
            for (id, ty) in done
                .iter()
                .rev()
                .map(|r| (&r.0, &r.1))
                .chain(std::iter::once((id, ty)))
            {
                if verb != "CREATE" {
                    undo.events.push(ev(id, ty, "UPDATE_IN_PROGRESS", None));
                    undo.events.push(ev(id, ty, "UPDATE_COMPLETE", None));
                } else if protected.contains(id) && done.iter().any(|d| &d.0 == id) {
                    undo.events.push(ev(id, ty, "DELETE_IN_PROGRESS", None));
                    undo.events.push(ev(
                        id,
                        ty,
                        "DELETE_FAILED",
                        Some(template::PROTECTED_DELETE_REASON),
                    ));
                    stuck.push(id.clone());
                } else {
                    undo.events.push(ev(id, ty, "DELETE_IN_PROGRESS", None));
                    undo.events.push(ev(id, ty, "DELETE_COMPLETE", None));
                }
            }
            ticks.push_back(undo);
            if stuck.is_empty() {
                ticks.push_back(status_tick(stack, &format!("{rollback}_COMPLETE"), None));
            } else {
                let why = format!(
                    "The following resource(s) failed to delete: [{}]. ",
                    stuck.join(", ")
                );
                ticks.push_back(status_tick(stack, "ROLLBACK_FAILED", Some(&why)));
            }
            return ticks;
        }
        ticks.push_back(Tick {
            events: vec![
                ev(id, ty, &format!("{verb}_IN_PROGRESS"), None),
                ev(id, ty, &format!("{verb}_COMPLETE"), None),
            ],
            ..Tick::default()
        });
        done.push(r);
    }
    if let Script::Slow { polls } = script {
        ticks.extend(std::iter::repeat_n(Tick::default(), polls));
    }
    if verb == "UPDATE" {
        ticks.push_back(status_tick(
            stack,
            "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
            None,
        ));
    }
    let mut last = status_tick(stack, &format!("{verb}_COMPLETE"), None);
    last.commit = true;
    ticks.push_back(last);
    ticks
}

/// Steps of a delete: resources in reverse order, then the stack disappears; a database whose
/// deletion protection is on with `params` refuses, leaving `DELETE_FAILED` as on AWS.
pub(super) fn delete_ticks(stack: &str, body: &str, params: &[(String, String)]) -> VecDeque<Tick> {
    let mut ticks = VecDeque::new();
    let protected = template::deletion_protected(body, params);
    for (id, ty, _) in template::resources(body).into_iter().rev() {
        if protected.contains(&id) {
            ticks.push_back(Tick {
                events: vec![
                    ev(&id, &ty, "DELETE_IN_PROGRESS", None),
                    ev(
                        &id,
                        &ty,
                        "DELETE_FAILED",
                        Some(template::PROTECTED_DELETE_REASON),
                    ),
                ],
                ..Tick::default()
            });
            let why = format!("The following resource(s) failed to delete: [{id}]. ");
            ticks.push_back(status_tick(stack, "DELETE_FAILED", Some(&why)));
            return ticks;
        }
        ticks.push_back(Tick {
            events: vec![
                ev(&id, &ty, "DELETE_IN_PROGRESS", None),
                ev(&id, &ty, "DELETE_COMPLETE", None),
            ],
            ..Tick::default()
        });
    }
    let mut last = status_tick(stack, "DELETE_COMPLETE", None);
    last.remove = true;
    ticks.push_back(last);
    ticks
}

/// Steps of an update that CancelUpdateStack stopped: CloudFormation rolls the resources it
/// touched back, and the stack ends where it was.
pub(super) fn cancel_ticks(stack: &str, body: &str) -> VecDeque<Tick> {
    let mut ticks = VecDeque::new();
    ticks.push_back(status_tick(
        stack,
        "UPDATE_ROLLBACK_IN_PROGRESS",
        Some("Stack update cancelled"),
    ));
    let mut undo = Tick::default();
    for (id, ty, _) in template::resources(body).into_iter().rev() {
        undo.events.push(ev(&id, &ty, "UPDATE_IN_PROGRESS", None));
        undo.events.push(ev(&id, &ty, "UPDATE_COMPLETE", None));
    }
    ticks.push_back(undo);
    ticks.push_back(status_tick(stack, "UPDATE_ROLLBACK_COMPLETE", None));
    ticks
}

/// Steps of an update during which `alarm`, one of the stack's rollback triggers, goes into
/// ALARM: the resources update, then CloudFormation rolls them back. The stack's status reason
/// names the alarm's ARN (the fake's wording: CloudFormation's is not documented).
pub(super) fn alarm_ticks(
    stack: &str,
    resources: &[(String, String)],
    alarm: &str,
) -> VecDeque<Tick> {
    let mut ticks = VecDeque::new();
    for (id, ty) in resources {
        ticks.push_back(Tick {
            events: vec![
                ev(id, ty, "UPDATE_IN_PROGRESS", None),
                ev(id, ty, "UPDATE_COMPLETE", None),
            ],
            ..Tick::default()
        });
    }
    let why = format!("Rollback trigger {alarm} went into ALARM state. Rolling back the stack.");
    ticks.push_back(status_tick(
        stack,
        "UPDATE_ROLLBACK_IN_PROGRESS",
        Some(&why),
    ));
    let mut undo = Tick::default();
    for (id, ty) in resources.iter().rev() {
        undo.events.push(ev(id, ty, "UPDATE_IN_PROGRESS", None));
        undo.events.push(ev(id, ty, "UPDATE_COMPLETE", None));
    }
    ticks.push_back(undo);
    ticks.push_back(status_tick(
        stack,
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        None,
    ));
    ticks.push_back(status_tick(stack, "UPDATE_ROLLBACK_COMPLETE", None));
    ticks
}
