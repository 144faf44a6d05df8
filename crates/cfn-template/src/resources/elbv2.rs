//! Elastic Load Balancing v2: the internet-facing application load balancer, its listeners, the
//! rules that answer some paths before the listener's default action, and the target group the
//! instances register in.

use serde::Serialize;
use serde_with::skip_serializing_none;

use super::Tag;
use crate::expr::Expr;
use crate::template::{Handle, Resource};

/// A `Key`/`Value` attribute of a load balancer or target group.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Attribute {
    /// Attribute name, e.g. `routing.http.drop_invalid_header_fields.enabled`.
    pub key: String,
    /// Its value, always a string.
    pub value: Expr,
}

impl Attribute {
    /// An attribute from a key and a value.
    pub fn new(key: &str, value: impl Into<Expr>) -> Self {
        Self {
            key: key.into(),
            value: value.into(),
        }
    }
}

/// `AWS::ElasticLoadBalancingV2::LoadBalancer`. `Ref` returns its ARN.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LoadBalancer {
    /// Name (32 characters at most), unique in the region.
    pub name: Option<Expr>,
    /// `application`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// `internet-facing` or `internal`.
    pub scheme: String,
    /// One subnet per AZ.
    pub subnets: Vec<Expr>,
    /// Security groups.
    pub security_groups: Vec<Expr>,
    /// Attributes (access logs, header handling, ...).
    pub load_balancer_attributes: Vec<Attribute>,
    /// Tags.
    pub tags: Vec<Tag>,
}

impl Resource for LoadBalancer {
    const TYPE: &'static str = "AWS::ElasticLoadBalancingV2::LoadBalancer";
}

impl Handle<LoadBalancer> {
    /// The DNS name users browse to.
    pub fn dns_name(&self) -> Expr {
        self.get_att("DNSName")
    }

    /// The name CloudWatch metrics use (`app/NAME/ID`).
    pub fn full_name(&self) -> Expr {
        self.get_att("LoadBalancerFullName")
    }
}

/// A target group's health check.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct HealthCheck {
    /// Path requested.
    #[serde(rename = "HealthCheckPath")]
    pub path: String,
    /// Protocol.
    #[serde(rename = "HealthCheckProtocol")]
    pub protocol: String,
    /// Seconds between checks.
    #[serde(rename = "HealthCheckIntervalSeconds")]
    pub interval_seconds: u32,
    /// Seconds before a check fails.
    #[serde(rename = "HealthCheckTimeoutSeconds")]
    pub timeout_seconds: u32,
    /// Successes before healthy.
    pub healthy_threshold_count: u32,
    /// Failures before unhealthy.
    pub unhealthy_threshold_count: u32,
}

/// `AWS::ElasticLoadBalancingV2::TargetGroup`. `Ref` returns its ARN.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TargetGroup {
    /// Name (32 characters at most).
    pub name: Option<Expr>,
    /// The port targets listen on.
    pub port: u32,
    /// `HTTP`.
    pub protocol: String,
    /// `instance`.
    pub target_type: String,
    /// The VPC.
    pub vpc_id: Expr,
    /// Health check settings.
    #[serde(flatten)]
    pub health_check: HealthCheck,
    /// Status codes counted as healthy.
    pub matcher: Option<Matcher>,
    /// Attributes (deregistration delay, ...).
    pub target_group_attributes: Vec<Attribute>,
    /// Tags.
    pub tags: Vec<Tag>,
}

impl Resource for TargetGroup {
    const TYPE: &'static str = "AWS::ElasticLoadBalancingV2::TargetGroup";
}

impl Handle<TargetGroup> {
    /// The name CloudWatch metrics use (`targetgroup/NAME/ID`).
    pub fn full_name(&self) -> Expr {
        self.get_att("TargetGroupFullName")
    }
}

/// Healthy HTTP status codes, e.g. `200`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Matcher {
    /// Codes, e.g. `200` or `200-299`.
    pub http_code: String,
}

/// `AWS::ElasticLoadBalancingV2::Listener`.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Listener {
    /// The load balancer.
    pub load_balancer_arn: Expr,
    /// Port.
    pub port: u32,
    /// `HTTP` or `HTTPS`.
    pub protocol: String,
    /// TLS policy for HTTPS.
    pub ssl_policy: Option<String>,
    /// Certificates for HTTPS.
    pub certificates: Option<Vec<Certificate>>,
    /// What to do with requests.
    pub default_actions: Vec<Action>,
}

impl Resource for Listener {
    const TYPE: &'static str = "AWS::ElasticLoadBalancingV2::Listener";
}

/// A certificate of an HTTPS listener.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Certificate {
    /// ACM certificate ARN.
    pub certificate_arn: Expr,
}

/// A listener action: forward to a target group, redirect, or answer with a fixed response.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Action {
    /// `forward`, `redirect` or `fixed-response`.
    #[serde(rename = "Type")]
    pub kind: String,
    /// Target group for `forward`.
    pub target_group_arn: Option<Expr>,
    /// Settings for `redirect`.
    pub redirect_config: Option<RedirectConfig>,
    /// Settings for `fixed-response`.
    pub fixed_response_config: Option<FixedResponseConfig>,
}

impl Action {
    /// Forward every request to a target group.
    pub fn forward(target_group: Expr) -> Self {
        Self {
            kind: "forward".into(),
            target_group_arn: Some(target_group),
            redirect_config: None,
            fixed_response_config: None,
        }
    }

    /// Redirect every request to HTTPS on port 443 (permanent).
    pub fn redirect_to_https() -> Self {
        Self {
            kind: "redirect".into(),
            target_group_arn: None,
            redirect_config: Some(RedirectConfig {
                protocol: "HTTPS".into(),
                port: "443".into(),
                status_code: "HTTP_301".into(),
            }),
            fixed_response_config: None,
        }
    }

    /// Answer with `status_code` (e.g. `404`) and a plain-text `body`, without reaching a target.
    pub fn fixed_response(status_code: &str, body: &str) -> Self {
        Self {
            kind: "fixed-response".into(),
            target_group_arn: None,
            redirect_config: None,
            fixed_response_config: Some(FixedResponseConfig {
                status_code: status_code.into(),
                content_type: Some("text/plain".into()),
                message_body: Some(body.into()),
            }),
        }
    }
}

/// What a `fixed-response` action answers.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct FixedResponseConfig {
    /// HTTP status code, `2XX`, `4XX` or `5XX`, as a string.
    pub status_code: String,
    /// `text/plain`, `text/html`, `application/json`, ...
    pub content_type: Option<String>,
    /// The body (1024 characters at most).
    pub message_body: Option<String>,
}

/// `AWS::ElasticLoadBalancingV2::ListenerRule`: answers the requests its conditions match before
/// the listener's default action does. Lower priorities are evaluated first.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListenerRule {
    /// The listener (`Ref` of an [`Listener`]). Optional in the resource schema, but a rule
    /// without one belongs to nothing.
    pub listener_arn: Expr,
    /// 1 to 50000, unique on the listener; lower is evaluated first.
    pub priority: u32,
    /// What matches.
    pub conditions: Vec<RuleCondition>,
    /// What to do with what matches.
    pub actions: Vec<Action>,
}

impl Resource for ListenerRule {
    const TYPE: &'static str = "AWS::ElasticLoadBalancingV2::ListenerRule";
}

/// A condition of a listener rule. Only path patterns are modelled: that is all the
/// architecture matches on.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RuleCondition {
    /// `path-pattern`.
    pub field: String,
    /// The patterns, for `path-pattern`.
    pub path_pattern_config: PathPatternConfig,
}

impl RuleCondition {
    /// Matches requests whose path matches any of `patterns` (case-sensitive; `*` and `?` are
    /// wildcards; the query string is not part of the path).
    pub fn path_pattern(patterns: &[&str]) -> Self {
        Self {
            field: "path-pattern".into(),
            path_pattern_config: PathPatternConfig {
                values: patterns.iter().map(|p| (*p).to_owned()).collect(),
            },
        }
    }
}

/// The patterns of a `path-pattern` condition.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct PathPatternConfig {
    /// Patterns such as `/debug` or `/debug/*`.
    pub values: Vec<String>,
}

/// Where a redirect goes.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RedirectConfig {
    /// `HTTPS`.
    pub protocol: String,
    /// `443`.
    pub port: String,
    /// `HTTP_301`.
    pub status_code: String,
}
