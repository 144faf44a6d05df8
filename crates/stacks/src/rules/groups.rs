//! Security groups and their ingress rules as the rules see them: a group is known by the stack
//! and logical id that define it, whether a rule names it directly or through an import.

use serde_json::Value;

use super::{Exports, RenderedStack, Violation};

/// A security group, by defining stack and logical id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct GroupKey {
    stack: String,
    id: String,
}

/// Resolves a group reference (`Ref`, `Fn::GetAtt [X, GroupId]`, `Fn::ImportValue`) in `stack`.
pub(crate) fn group_key(stack: &str, value: &Value, exports: &Exports) -> Option<GroupKey> {
    if let Some(id) = value.get("Ref").and_then(Value::as_str) {
        return Some(GroupKey {
            stack: stack.to_owned(),
            id: id.to_owned(),
        });
    }
    if let Some(id) = value.pointer("/Fn::GetAtt/0").and_then(Value::as_str) {
        return Some(GroupKey {
            stack: stack.to_owned(),
            id: id.to_owned(),
        });
    }
    if let Some(name) = value.get("Fn::ImportValue").and_then(Value::as_str) {
        let (producer, exported) = exports.get(name)?;
        return group_key(producer, exported, exports);
    }
    None
}

/// One ingress rule, wherever it was written (inline or as its own resource).
#[derive(Debug, Clone)]
pub(crate) struct IngressRule {
    pub(crate) stack: String,
    /// The resource the rule is written in.
    pub(crate) resource: String,
    pub(crate) group: GroupKey,
    protocol: String,
    from: i64,
    to: i64,
    cidr: Option<String>,
    pub(crate) source: Option<GroupKey>,
    pub(crate) description: String,
}

impl IngressRule {
    pub(crate) fn is_world(&self) -> bool {
        matches!(self.cidr.as_deref(), Some("0.0.0.0/0" | "::/0"))
    }

    pub(crate) fn is_tcp_port(&self, port: i64) -> bool {
        self.protocol == "tcp" && self.from == port && self.to == port
    }

    pub(crate) fn covers(&self, port: i64) -> bool {
        self.protocol == "-1" || (self.protocol == "tcp" && self.from <= port && port <= self.to)
    }

    pub(crate) fn ports(&self) -> String {
        match self.protocol.as_str() {
            "-1" => "all traffic".into(),
            p if self.from == self.to => format!("{p} port {}", self.from),
            p => format!("{p} ports {}-{}", self.from, self.to),
        }
    }

    pub(crate) fn source_text(&self) -> String {
        match (&self.cidr, &self.source) {
            (Some(cidr), _) => cidr.clone(),
            (None, Some(g)) => format!("group {}/{}", g.stack, g.id),
            (None, None) => "an unknown source".into(),
        }
    }

    pub(crate) fn violation(&self, rule: &'static str, message: &str) -> Violation {
        Violation {
            rule,
            stack: self.stack.clone(),
            resource: self.resource.clone(),
            message: message.to_owned(),
        }
    }
}

/// Every ingress rule of a stack.
pub(crate) fn collect_ingress(s: &RenderedStack, exports: &Exports) -> Vec<IngressRule> {
    let mut rules = Vec::new();
    let all = s
        .template
        .get("Resources")
        .and_then(Value::as_object)
        .into_iter()
        .flatten();
    for (id, r) in all {
        let props = r.get("Properties").unwrap_or(&Value::Null);
        match r.get("Type").and_then(Value::as_str).unwrap_or_default() {
            "AWS::EC2::SecurityGroup" => {
                let group = GroupKey {
                    stack: s.name.clone(),
                    id: id.clone(),
                };
                for rule in props
                    .get("SecurityGroupIngress")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    rules.push(parse(s, id, group.clone(), rule, exports));
                }
            }
            "AWS::EC2::SecurityGroupIngress" => {
                let Some(group) = props
                    .get("GroupId")
                    .and_then(|g| group_key(&s.name, g, exports))
                else {
                    continue;
                };
                rules.push(parse(s, id, group, props, exports));
            }
            _ => {}
        }
    }
    rules
}

fn parse(
    s: &RenderedStack,
    resource: &str,
    group: GroupKey,
    rule: &Value,
    exports: &Exports,
) -> IngressRule {
    let port = |key: &str| {
        rule.get(key)
            .and_then(|p| {
                p.as_i64()
                    .or_else(|| p.as_str().and_then(|t| t.parse().ok()))
            })
            .unwrap_or(-1)
    };
    let protocol = match rule.get("IpProtocol") {
        Some(Value::String(p)) => p.to_ascii_lowercase(),
        Some(Value::Number(n)) => n.to_string(),
        _ => "-1".into(),
    };
    let (from, to) = if protocol == "-1" {
        (0, 65535)
    } else {
        (port("FromPort"), port("ToPort"))
    };
    let cidr = rule
        .get("CidrIp")
        .or_else(|| rule.get("CidrIpv6"))
        .map(|c| {
            c.as_str()
                .map(str::to_owned)
                .unwrap_or_else(|| c.to_string())
        });
    IngressRule {
        stack: s.name.clone(),
        resource: resource.to_owned(),
        group,
        protocol,
        from,
        to,
        cidr,
        source: rule
            .get("SourceSecurityGroupId")
            .and_then(|g| group_key(&s.name, g, exports)),
        description: rule
            .get("Description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    }
}
