//! The fake's timed mode, for the deploy-time model (`scripts/bench-deploy-model`): each call
//! takes an API round trip, a change set takes time to compute, and an operation's resources
//! run as CloudFormation runs them, each starting once the resources it references are done and
//! lasting what the caller's [`Timing`] says. Run under tokio's paused clock, a 40-minute deploy
//! is modelled in milliseconds, by the real engine polling as it does on AWS.

use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};
use std::fmt;
use std::time::Duration;

use serde_json::Value;
use tokio::time::Instant;

use super::ticks::ev;
use super::{STACK_TYPE, Tick};

/// One resource CloudFormation is about to create or update, as the duration function sees it.
#[derive(Debug)]
pub struct ResourceWork<'a> {
    /// The stack it belongs to.
    pub stack: &'a str,
    /// Its logical id.
    pub logical_id: &'a str,
    /// Its type, e.g. `AWS::RDS::DBInstance`.
    pub resource_type: &'a str,
    /// The whole resource as the template declares it (properties and policies).
    pub resource: &'a Value,
    /// Created (true) or updated (false).
    pub creating: bool,
    /// When it starts: once everything it references in its stack is done.
    pub starts: Instant,
    /// When each resource type last completes (or will), across every stack operated so far:
    /// lets a resource wait for one in another stack, as instances wait for the database.
    pub completions: &'a HashMap<String, Instant>,
}

/// How long things take in timed mode.
pub struct Timing {
    /// How long one resource takes once it starts.
    pub resource: Box<dyn Fn(&ResourceWork<'_>) -> Duration + Send + Sync>,
    /// One API call's round trip.
    pub api_call: Duration,
    /// From CreateChangeSet until the change set is computed.
    pub change_set: Duration,
    /// CloudFormation's own time per stack operation, beyond its resources.
    pub operation_overhead: Duration,
}

impl fmt::Debug for Timing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Timing")
            .field("api_call", &self.api_call)
            .field("change_set", &self.change_set)
            .field("operation_overhead", &self.operation_overhead)
            .finish_non_exhaustive()
    }
}

/// Every name (resource or parameter) each resource of `template` references through `Ref`,
/// `Fn::GetAtt`, `Fn::Sub` or `DependsOn`.
fn references(template: &Value) -> BTreeMap<String, HashSet<String>> {
    fn walk(v: &Value, out: &mut HashSet<String>) {
        match v {
            Value::Object(o) => {
                for (k, inner) in o {
                    match (k.as_str(), inner) {
                        ("Ref", Value::String(name)) => {
                            out.insert(name.clone());
                        }
                        ("Fn::GetAtt", Value::Array(a)) => {
                            if let Some(Value::String(name)) = a.first() {
                                out.insert(name.clone());
                            }
                        }
                        ("Fn::Sub", sub) => {
                            let text = match sub {
                                Value::Array(a) => a.first().and_then(Value::as_str),
                                other => other.as_str(),
                            };
                            for piece in text.unwrap_or_default().split("${").skip(1) {
                                if let Some(name) = piece.split('}').next() {
                                    let name = name.split('.').next().unwrap_or(name);
                                    out.insert(name.to_owned());
                                }
                            }
                            walk(sub, out);
                        }
                        _ => walk(inner, out),
                    }
                }
            }
            Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let mut map = BTreeMap::new();
    for (id, resource) in template["Resources"].as_object().into_iter().flatten() {
        let mut refs = HashSet::new();
        walk(&resource["Properties"], &mut refs);
        match &resource["DependsOn"] {
            Value::String(s) => {
                refs.insert(s.clone());
            }
            Value::Array(a) => refs.extend(a.iter().filter_map(|x| x.as_str().map(str::to_owned))),
            _ => {}
        }
        map.insert(id.clone(), refs);
    }
    map
}

/// The resources an update touches: those whose declaration changed or that are new, plus every
/// resource referencing a changed parameter or a touched resource, transitively (a new launch
/// template version rolls the group that follows it).
pub(super) fn touched_by_update(
    old_body: &str,
    new_body: &str,
    old_params: &[(String, String)],
    new_params: &[(String, String)],
) -> HashSet<String> {
    let old: Value = serde_json::from_str(old_body).unwrap_or(Value::Null);
    let new: Value = serde_json::from_str(new_body).unwrap_or(Value::Null);
    let mut touched: HashSet<String> = new["Resources"]
        .as_object()
        .into_iter()
        .flatten()
        .filter(|(id, r)| old["Resources"].get(id.as_str()) != Some(*r))
        .map(|(id, _)| id.clone())
        .collect();
    touched.extend(
        new_params
            .iter()
            .filter(|p| !old_params.contains(p))
            .map(|(k, _)| k.clone()),
    );
    let refs = references(&new);
    loop {
        let more: Vec<String> = refs
            .iter()
            .filter(|(id, r)| !touched.contains(*id) && r.iter().any(|x| touched.contains(x)))
            .map(|(id, _)| id.clone())
            .collect();
        if more.is_empty() {
            break;
        }
        touched.extend(more);
    }
    touched.retain(|id| refs.contains_key(id));
    touched
}

/// The ticks of a timed create or update of the resources in `work` (all of the template's for
/// a create), each due at its offset from the operation's start. Records each resource type's
/// completion in `completions`.
pub(super) fn timed_change_ticks(
    stack: &str,
    verb: &str,
    body: &str,
    work: &HashSet<String>,
    timing: &Timing,
    completions: &mut HashMap<String, Instant>,
) -> VecDeque<Tick> {
    let template: Value = serde_json::from_str(body).unwrap_or(Value::Null);
    let refs = references(&template);
    let started = Instant::now();
    let mut ends: HashMap<String, Duration> = HashMap::new();
    let mut events: BTreeMap<Duration, Vec<(String, String, String)>> = BTreeMap::new();
    // Resources in dependency order: each pass schedules those whose references are scheduled.
    let mut left: Vec<&String> = refs.keys().filter(|id| work.contains(*id)).collect();
    while !left.is_empty() {
        let ready: Vec<&String> = left
            .iter()
            .copied()
            .filter(|id| {
                refs[*id]
                    .iter()
                    .all(|r| !work.contains(r) || ends.contains_key(r))
            })
            .collect();
        // A cycle cannot deploy on CloudFormation either; schedule the rest at once.
        let ready = if ready.is_empty() {
            left.clone()
        } else {
            ready
        };
        for id in &ready {
            let start = refs[*id]
                .iter()
                .filter_map(|r| ends.get(r))
                .max()
                .copied()
                .unwrap_or_default();
            let resource = &template["Resources"][id.as_str()];
            let ty = resource["Type"].as_str().unwrap_or_default();
            let took = (timing.resource)(&ResourceWork {
                stack,
                logical_id: id,
                resource_type: ty,
                resource,
                creating: verb == "CREATE",
                starts: started + start,
                completions,
            });
            let end = start + took;
            ends.insert((*id).clone(), end);
            let at_end = started + end;
            completions
                .entry(ty.to_owned())
                .and_modify(|t| *t = (*t).max(at_end))
                .or_insert(at_end);
            for (at, status) in [(start, "IN_PROGRESS"), (end, "COMPLETE")] {
                events.entry(at).or_default().push((
                    (*id).clone(),
                    ty.to_owned(),
                    format!("{verb}_{status}"),
                ));
            }
        }
        left.retain(|id| !ready.contains(id));
    }
    let mut ticks: VecDeque<Tick> = events
        .into_iter()
        .map(|(at, evs)| Tick {
            events: evs
                .iter()
                .map(|(id, ty, status)| ev(id, ty, status, None))
                .collect(),
            at: Some(at),
            ..Tick::default()
        })
        .collect();
    let last = ends.values().max().copied().unwrap_or_default() + timing.operation_overhead;
    let done = format!("{verb}_COMPLETE");
    ticks.push_back(Tick {
        events: vec![ev(stack, STACK_TYPE, &done, None)],
        status: Some((done, None)),
        commit: true,
        at: Some(last),
        ..Tick::default()
    });
    ticks
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEMPLATE: &str = r#"{"Parameters":{"Key":{"Type":"String"}},"Resources":{
        "Vpc":{"Type":"AWS::EC2::VPC","Properties":{}},
        "Subnet":{"Type":"AWS::EC2::Subnet","Properties":{"VpcId":{"Ref":"Vpc"}}},
        "Db":{"Type":"AWS::RDS::DBInstance","Properties":{"X":{"Fn::GetAtt":["Subnet","Id"]}}},
        "Lt":{"Type":"AWS::EC2::LaunchTemplate","Properties":{"U":{"Fn::Sub":"k=${Key}"}}},
        "Group":{"Type":"AWS::AutoScaling::AutoScalingGroup","Properties":{"V":{"Fn::GetAtt":["Lt","LatestVersionNumber"]}},"DependsOn":"Subnet"}}}"#;

    #[test]
    fn references_follow_ref_getatt_sub_and_depends_on() {
        let refs = references(&serde_json::from_str(TEMPLATE).expect("json"));
        assert_eq!(refs["Subnet"], HashSet::from(["Vpc".to_owned()]));
        assert_eq!(refs["Lt"], HashSet::from(["Key".to_owned()]));
        assert_eq!(
            refs["Group"],
            HashSet::from(["Lt".to_owned(), "Subnet".to_owned()])
        );
    }

    #[test]
    fn a_changed_parameter_touches_what_references_it_transitively() {
        let old = [("Key".to_owned(), "a".to_owned())];
        let new = [("Key".to_owned(), "b".to_owned())];
        let touched = touched_by_update(TEMPLATE, TEMPLATE, &old, &new);
        assert_eq!(
            touched,
            HashSet::from(["Lt".to_owned(), "Group".to_owned()])
        );
        assert!(touched_by_update(TEMPLATE, TEMPLATE, &old, &old).is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn resources_start_when_what_they_reference_is_done() {
        let timing = Timing {
            resource: Box::new(|w| match w.resource_type {
                "AWS::RDS::DBInstance" => Duration::from_secs(600),
                _ => Duration::from_secs(10),
            }),
            api_call: Duration::ZERO,
            change_set: Duration::ZERO,
            operation_overhead: Duration::from_secs(5),
        };
        let all: HashSet<String> = ["Vpc", "Subnet", "Db", "Lt", "Group"]
            .map(str::to_owned)
            .into();
        let mut completions = HashMap::new();
        let ticks = timed_change_ticks("s", "CREATE", TEMPLATE, &all, &timing, &mut completions);
        let last = ticks.back().and_then(|t| t.at);
        // Vpc 10 → Subnet 20 → Db 620 (Group: Lt 10, Subnet 20 → 30), then the overhead.
        assert_eq!(last, Some(Duration::from_secs(625)));
        let group_done = ticks
            .iter()
            .find(|t| {
                t.events
                    .iter()
                    .any(|e| e.0 == "Group" && e.2 == "CREATE_COMPLETE")
            })
            .and_then(|t| t.at);
        assert_eq!(group_done, Some(Duration::from_secs(30)));
        assert_eq!(
            completions["AWS::RDS::DBInstance"],
            Instant::now() + Duration::from_secs(620)
        );
    }
}
