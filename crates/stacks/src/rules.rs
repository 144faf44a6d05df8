//! The architecture's own rules, checked on rendered templates (JSON values) so they apply to
//! whatever will really be deployed, including templates read back from disk:
//!
//! | rule | what must hold |
//! |---|---|
//! | `world-ingress` | only the load balancer's group admits the world, and only on 80/443 |
//! | `app-port-from-alb` | the instances' groups admit 3000 from the load balancer's group, nothing else |
//! | `db-port-from-instances` | the database's groups admit 5432 from groups the instances carry, nothing else |
//! | `rule-description` | every security-group rule says why it exists |
//! | `database-private` | the database is not public, is encrypted, Multi-AZ, backed up, protected, snapshotted |
//! | `imdsv2` | launch templates require IMDSv2 session tokens |
//! | `imports-exported` | every `Fn::ImportValue` names an export of another stack |
//! | `unique-exports` | no export name is used twice |
//! | `no-plaintext-secret` | passwords are dynamic references, never literal text or parameters |
//! | `explicit-egress` | every security group states its egress inline; none allows all traffic to the world |
//! | `no-managed-ssm-policy` | no role has `AmazonSSMManagedInstanceCore` (or another policy with `ssm:GetParameter*` on `*`) |
//! | `stack-protection` | stacks holding state are termination-protected; the database instance, its secret and subnet group are protected (stack policy) |
//! | `debug-routes-not-routed` | listeners that forward answer `/debug` and `/metrics` with a 404 before any forward |
//! | `alarms` | every load balancer has alarms on its 5xx, its targets' 5xx, unhealthy targets and response time; every database on CPU, free storage and connections; every alarm has an action |
//! | `rollback-triggers` | every alarm on the load balancer's metrics is a rollback trigger (its ARN an output listed in `rollback_alarm_outputs`), at most 5 |
//! | `access-logs` | every load balancer writes access logs to a bucket |

mod access_logs;
mod alarms;
mod egress;
mod groups;
mod iam;
mod listeners;
mod pattern;
mod protection;
mod rollback;

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use serde_json::Value;

pub use protection::StackGuards;

use groups::{Direction, GroupKey, GroupRule, group_key};

/// A rendered template and the stack it belongs to.
#[derive(Debug, Clone)]
pub struct RenderedStack {
    /// Stack name.
    pub name: String,
    /// The template as JSON.
    pub template: Value,
    /// How the deployer deploys it (termination protection, protected resources, rollback
    /// triggers); `None` for templates read back from a directory, which carry no stack settings.
    pub guards: Option<StackGuards>,
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Violation {
    /// The rule's name (see the module table).
    pub rule: &'static str,
    /// The stack.
    pub stack: String,
    /// The logical id of the resource (or output) at fault.
    pub resource: String,
    /// What is wrong and what to do.
    pub message: String,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "[{}] {}/{}: {}",
            self.rule, self.stack, self.resource, self.message
        )
    }
}

/// Checks every rule on a set of stacks that are deployed together.
pub fn check(stacks: &[RenderedStack]) -> Vec<Violation> {
    let mut v = Vec::new();
    let exports = exports(stacks, &mut v);
    let resolve = |stack: &str, value: &Value| group_key(stack, value, &exports);

    let mut alb_groups = BTreeSet::new();
    let mut instance_groups = BTreeSet::new();
    let mut db_groups = BTreeSet::new();
    let mut rules: Vec<GroupRule> = Vec::new();
    let mut egress: Vec<GroupRule> = Vec::new();
    for s in stacks {
        for (id, r) in resources(&s.template) {
            let props = r.get("Properties").unwrap_or(&Value::Null);
            match r.get("Type").and_then(Value::as_str).unwrap_or_default() {
                "AWS::ElasticLoadBalancingV2::LoadBalancer" => {
                    alb_groups.extend(
                        list(props.get("SecurityGroups"))
                            .iter()
                            .filter_map(|g| resolve(&s.name, g)),
                    );
                }
                "AWS::EC2::LaunchTemplate" => {
                    let data = props.get("LaunchTemplateData").unwrap_or(&Value::Null);
                    for nic in list(data.get("NetworkInterfaces")) {
                        instance_groups.extend(
                            list(nic.get("Groups"))
                                .iter()
                                .filter_map(|g| resolve(&s.name, g)),
                        );
                    }
                    instance_groups.extend(
                        list(data.get("SecurityGroupIds"))
                            .iter()
                            .filter_map(|g| resolve(&s.name, g)),
                    );
                    if data
                        .pointer("/MetadataOptions/HttpTokens")
                        .and_then(Value::as_str)
                        != Some("required")
                    {
                        v.push(violation(
                            "imdsv2",
                            s,
                            id,
                            "set MetadataOptions.HttpTokens to `required` (IMDSv2 only)",
                        ));
                    }
                }
                "AWS::RDS::DBInstance" => {
                    db_groups.extend(
                        list(props.get("VPCSecurityGroups"))
                            .iter()
                            .filter_map(|g| resolve(&s.name, g)),
                    );
                    check_database(s, id, r, &mut v);
                }
                _ => {}
            }
        }
        rules.extend(groups::collect(s, &exports, Direction::Ingress));
        egress.extend(groups::collect(s, &exports, Direction::Egress));
        check_secrets(s, &mut v);
        egress::check_inline(s, &mut v);
        iam::check(s, &mut v);
        listeners::check(s, &mut v);
        protection::check(s, &mut v);
        alarms::check(s, &mut v);
        rollback::check(s, &mut v);
        access_logs::check(s, &mut v);
    }
    for rule in &rules {
        check_ingress(rule, &alb_groups, &instance_groups, &db_groups, &mut v);
    }
    egress::check_rules(&egress, &mut v);
    for rule in rules.iter().chain(&egress) {
        if rule.description.trim().is_empty() {
            v.push(rule.violation(
                "rule-description",
                "give the rule a Description saying why it exists",
            ));
        }
    }
    let has = |pred: &dyn Fn(&GroupRule) -> bool| rules.iter().any(pred);
    if !alb_groups.is_empty()
        && !has(&|r| alb_groups.contains(&r.group) && r.is_world() && r.covers(80))
    {
        v.push(missing(
            "world-ingress",
            "the load balancer's security group must accept port 80 from anywhere",
        ));
    }
    if !instance_groups.is_empty()
        && !has(&|r| {
            instance_groups.contains(&r.group)
                && r.peer.as_ref().is_some_and(|s| alb_groups.contains(s))
        })
    {
        v.push(missing(
            "app-port-from-alb",
            "the instances' security group must accept 3000 from the load balancer's group",
        ));
    }
    if !db_groups.is_empty()
        && !has(&|r| {
            db_groups.contains(&r.group)
                && r.peer.as_ref().is_some_and(|s| instance_groups.contains(s))
        })
    {
        v.push(missing(
            "db-port-from-instances",
            "the database's security group must accept 5432 from a group the instances carry",
        ));
    }
    check_imports(stacks, &exports, &mut v);
    v.sort();
    v.dedup();
    v
}

fn check_ingress(
    rule: &GroupRule,
    alb: &BTreeSet<GroupKey>,
    instances: &BTreeSet<GroupKey>,
    db: &BTreeSet<GroupKey>,
    v: &mut Vec<Violation>,
) {
    let listener_port = rule.is_tcp_port(80) || rule.is_tcp_port(443);
    if rule.is_world() && !(alb.contains(&rule.group) && listener_port) {
        v.push(rule.violation(
            "world-ingress",
            &format!(
                "admits {} from anywhere; only the load balancer's group may, on port 80 (or 443)",
                rule.ports()
            ),
        ));
    }
    if instances.contains(&rule.group) {
        let from_alb = rule.peer.as_ref().is_some_and(|s| alb.contains(s));
        if !(from_alb && rule.is_tcp_port(3000)) {
            v.push(rule.violation(
                "app-port-from-alb",
                &format!("admits {} from {}; instances accept only port 3000 from the load balancer's group", rule.ports(), rule.peer_text()),
            ));
        }
    }
    if db.contains(&rule.group) {
        let from_instances = rule.peer.as_ref().is_some_and(|s| instances.contains(s));
        if !(from_instances && rule.is_tcp_port(5432)) {
            v.push(rule.violation(
                "db-port-from-instances",
                &format!(
                    "admits {} from {}; the database accepts only 5432 from the instances' group",
                    rule.ports(),
                    rule.peer_text()
                ),
            ));
        }
    }
}

fn check_database(s: &RenderedStack, id: &str, r: &Value, v: &mut Vec<Violation>) {
    let p = r.get("Properties").unwrap_or(&Value::Null);
    let is_true = |key: &str| {
        p.get(key)
            .is_some_and(|x| x == &Value::Bool(true) || x == "true")
    };
    if p.get("PubliclyAccessible") != Some(&Value::Bool(false)) {
        v.push(violation(
            "database-private",
            s,
            id,
            "set PubliclyAccessible to false",
        ));
    }
    for (key, what) in [
        ("StorageEncrypted", "encrypt its storage"),
        ("MultiAZ", "run Multi-AZ"),
    ] {
        if !is_true(key) {
            v.push(violation(
                "database-private",
                s,
                id,
                &format!("set {key} to true ({what})"),
            ));
        }
    }
    if p.get("DeletionProtection")
        .is_none_or(|x| x == &Value::Bool(false) || x == "false")
    {
        v.push(violation(
            "database-private",
            s,
            id,
            "turn DeletionProtection on",
        ));
    }
    if p.get("BackupRetentionPeriod")
        .and_then(Value::as_u64)
        .unwrap_or(0)
        == 0
    {
        v.push(violation(
            "database-private",
            s,
            id,
            "keep automated backups (BackupRetentionPeriod of 1 or more)",
        ));
    }
    for policy in ["DeletionPolicy", "UpdateReplacePolicy"] {
        if r.get(policy).and_then(Value::as_str) != Some("Snapshot") {
            v.push(violation(
                "database-private",
                s,
                id,
                &format!("set {policy} to Snapshot"),
            ));
        }
    }
}

/// Passwords must be dynamic references; a parameter or literal would put them in the template
/// or the stack's parameters.
fn check_secrets(s: &RenderedStack, v: &mut Vec<Violation>) {
    for (id, r) in resources(&s.template) {
        walk_keys(
            r.get("Properties").unwrap_or(&Value::Null),
            &mut |key, value| {
                let lower = key.to_ascii_lowercase();
                if !(lower.ends_with("password") || lower == "secretstring") {
                    return;
                }
                let text = serde_json::to_string(value).unwrap_or_default();
                if !text.contains("{{resolve:secretsmanager:")
                    && !text.contains("{{resolve:ssm-secure:")
                {
                    v.push(violation(
                    "no-plaintext-secret",
                    s,
                    id,
                    &format!("{key} must be a dynamic reference to Secrets Manager, not text or a parameter"),
                ));
                }
            },
        );
    }
}

fn walk_keys(v: &Value, f: &mut dyn FnMut(&str, &Value)) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                f(k, x);
                walk_keys(x, f);
            }
        }
        Value::Array(items) => items.iter().for_each(|x| walk_keys(x, f)),
        _ => {}
    }
}

/// Export name → (stack, output value).
pub(crate) type Exports = BTreeMap<String, (String, Value)>;

fn exports(stacks: &[RenderedStack], v: &mut Vec<Violation>) -> Exports {
    let mut all = Exports::new();
    for s in stacks {
        for (id, o) in s
            .template
            .get("Outputs")
            .and_then(Value::as_object)
            .into_iter()
            .flatten()
        {
            let Some(name) = o.pointer("/Export/Name").and_then(Value::as_str) else {
                continue;
            };
            if let Some((other, _)) = all.get(name) {
                v.push(violation(
                    "unique-exports",
                    s,
                    id,
                    &format!("export {name} is also exported by {other}"),
                ));
            } else {
                all.insert(
                    name.to_owned(),
                    (
                        s.name.clone(),
                        o.get("Value").cloned().unwrap_or(Value::Null),
                    ),
                );
            }
        }
    }
    all
}

fn check_imports(stacks: &[RenderedStack], exports: &Exports, v: &mut Vec<Violation>) {
    for s in stacks {
        for (id, r) in resources(&s.template) {
            walk_keys(r, &mut |key, value| {
                if key != "Fn::ImportValue" {
                    return;
                }
                let name = value.as_str().unwrap_or_default();
                match exports.get(name) {
                    Some((producer, _)) if producer != &s.name => {}
                    Some(_) => v.push(violation(
                        "imports-exported",
                        s,
                        id,
                        &format!("imports {name}, which its own stack exports"),
                    )),
                    None => v.push(violation(
                        "imports-exported",
                        s,
                        id,
                        &format!("imports {name:?}, which no other stack exports"),
                    )),
                }
            });
        }
    }
}

fn resources(template: &Value) -> impl Iterator<Item = (&str, &Value)> {
    template
        .get("Resources")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
        .map(|(k, v)| (k.as_str(), v))
}

fn list(v: Option<&Value>) -> Vec<Value> {
    v.and_then(Value::as_array).cloned().unwrap_or_default()
}

fn violation(rule: &'static str, s: &RenderedStack, resource: &str, message: &str) -> Violation {
    Violation {
        rule,
        stack: s.name.clone(),
        resource: resource.to_owned(),
        message: message.to_owned(),
    }
}

fn missing(rule: &'static str, message: &str) -> Violation {
    Violation {
        rule,
        stack: "(all)".into(),
        resource: "(missing)".into(),
        message: message.to_owned(),
    }
}
