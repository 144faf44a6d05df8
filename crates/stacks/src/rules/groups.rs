//! Security groups and their ingress and egress rules as the rules see them: a group is known by
//! the stack and logical id that define it, whether a rule names it directly or through an
//! import.

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

/// Which way a rule lets traffic start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Connections into the group (`SecurityGroupIngress`).
    Ingress,
    /// Connections out of the group (`SecurityGroupEgress`).
    Egress,
}

/// One ingress or egress rule, wherever it was written (inline or as its own resource).
#[derive(Debug, Clone)]
pub(crate) struct GroupRule {
    pub(crate) stack: String,
    /// The resource the rule is written in.
    pub(crate) resource: String,
    pub(crate) group: GroupKey,
    pub(crate) direction: Direction,
    protocol: String,
    from: i64,
    to: i64,
    cidr: Option<String>,
    /// The group on the other side: the source of an ingress rule, the destination of an egress
    /// rule.
    pub(crate) peer: Option<GroupKey>,
    pub(crate) description: String,
}

impl GroupRule {
    pub(crate) fn is_world(&self) -> bool {
        matches!(self.cidr.as_deref(), Some("0.0.0.0/0" | "::/0"))
    }

    pub(crate) fn is_tcp_port(&self, port: i64) -> bool {
        self.protocol == "tcp" && self.from == port && self.to == port
    }

    /// All protocols and ports (`-1`).
    pub(crate) fn is_all_traffic(&self) -> bool {
        self.protocol == "-1"
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

    pub(crate) fn peer_text(&self) -> String {
        match (&self.cidr, &self.peer) {
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

/// Every ingress or egress rule of a stack.
pub(crate) fn collect(
    s: &RenderedStack,
    exports: &Exports,
    direction: Direction,
) -> Vec<GroupRule> {
    let (inline, separate) = match direction {
        Direction::Ingress => ("SecurityGroupIngress", "AWS::EC2::SecurityGroupIngress"),
        Direction::Egress => ("SecurityGroupEgress", "AWS::EC2::SecurityGroupEgress"),
    };
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
                    .get(inline)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                {
                    rules.push(parse(s, id, group.clone(), direction, rule, exports));
                }
            }
            t if t == separate => {
                let Some(group) = props
                    .get("GroupId")
                    .and_then(|g| group_key(&s.name, g, exports))
                else {
                    continue;
                };
                rules.push(parse(s, id, group, direction, props, exports));
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
    direction: Direction,
    rule: &Value,
    exports: &Exports,
) -> GroupRule {
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
    let peer_key = match direction {
        Direction::Ingress => "SourceSecurityGroupId",
        Direction::Egress => "DestinationSecurityGroupId",
    };
    GroupRule {
        stack: s.name.clone(),
        resource: resource.to_owned(),
        group,
        direction,
        protocol,
        from,
        to,
        cidr,
        peer: rule
            .get(peer_key)
            .and_then(|g| group_key(&s.name, g, exports)),
        description: rule
            .get("Description")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned(),
    }
}
