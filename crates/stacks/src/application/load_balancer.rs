//! The internet-facing application load balancer in both public subnets, its target group (the
//! instances' port 3000, health-checked on `/healthcheck/`), and its listeners: HTTP on 80, or
//! with a certificate HTTPS on 443 (TLS 1.2+) and 80 redirecting to it.
//!
//! It writes access logs to the artifacts stack's log bucket, under `alb/`.
//!
//! The app's `/debug` (its settings) and `/metrics` (Prometheus) are for operators on the
//! instance (`curl localhost:3000/metrics` through Session Manager), not for the internet: every
//! listener answers them with a 404 of its own before its default action
//! (`debug-routes-not-routed`).

use cfn_template::resources::elbv2::{
    Action, Attribute, Certificate, HealthCheck, Listener, ListenerRule, LoadBalancer, Matcher,
    RuleCondition, TargetGroup,
};
use cfn_template::{Handle, Template, TemplateError};

use super::security_groups::Groups;
use super::timing;
use super::{APP_PORT, HEALTH_CHECK_PATH, HEALTHY_CODES, TLS_POLICY, name_tag};
use crate::artifacts::access_logs::ACCESS_LOG_PREFIX;
use crate::naming::{Export, Naming};
use crate::settings::ApplicationSettings;

/// The app's paths that the load balancer never forwards: `/debug` and `/metrics`, and anything
/// below them.
pub const INTERNAL_PATHS: [&str; 4] = ["/debug", "/debug/*", "/metrics", "/metrics/*"];

/// What the other parts refer to.
pub struct Balancer {
    /// The load balancer (its DNS name is the stack's URL).
    pub load_balancer: Handle<LoadBalancer>,
    /// The target group the auto scaling group registers its instances in.
    pub target_group: Handle<TargetGroup>,
    /// The listener that attaches the target group to the load balancer (on port 80 it only
    /// redirects when there is an HTTPS listener, which then attaches it).
    pub attaching_listener: Handle<Listener>,
}

/// Adds the load balancer, the target group and the listeners.
pub fn add(
    t: &mut Template,
    naming: &Naming,
    app: &ApplicationSettings,
    groups: &Groups,
) -> Result<Balancer, TemplateError> {
    let load_balancer = t.add(
        "LoadBalancer",
        LoadBalancer {
            name: Some(naming.load_balancer().into()),
            kind: "application".into(),
            scheme: "internet-facing".into(),
            subnets: vec![
                naming.import(Export::PublicSubnetA),
                naming.import(Export::PublicSubnetB),
            ],
            security_groups: vec![groups.load_balancer.group_id()],
            load_balancer_attributes: vec![
                Attribute::new("routing.http.drop_invalid_header_fields.enabled", "true"),
                Attribute::new("routing.http.desync_mitigation_mode", "defensive"),
                // Elastic Load Balancing checks that it may write to the bucket when these are
                // set. The bucket and its policy are in the artifacts stack, which this stack
                // imports from, so they exist before the load balancer does.
                Attribute::new("access_logs.s3.enabled", "true"),
                Attribute::new(
                    "access_logs.s3.bucket",
                    naming.import(Export::AccessLogBucket),
                ),
                Attribute::new("access_logs.s3.prefix", ACCESS_LOG_PREFIX),
            ],
            tags: name_tag(naming, "alb"),
        },
    )?;
    let target_group = t.add("TargetGroup", target_group(naming))?;
    let mut https_listener = None;
    let http_action = match &app.certificate_arn {
        Some(arn) => {
            let https = t.add(
                "HttpsListener",
                Listener {
                    load_balancer_arn: load_balancer.r#ref(),
                    port: 443,
                    protocol: "HTTPS".into(),
                    ssl_policy: Some(TLS_POLICY.into()),
                    certificates: Some(vec![Certificate {
                        certificate_arn: arn.as_str().into(),
                    }]),
                    default_actions: vec![Action::forward(target_group.r#ref())],
                },
            )?;
            hide_internal_paths(t, "HttpsInternalPathsRule", &https)?;
            https_listener = Some(https);
            Action::redirect_to_https()
        }
        None => Action::forward(target_group.r#ref()),
    };
    let http = t.add(
        "HttpListener",
        Listener {
            load_balancer_arn: load_balancer.r#ref(),
            port: 80,
            protocol: "HTTP".into(),
            ssl_policy: None,
            certificates: None,
            default_actions: vec![http_action],
        },
    )?;
    // Also when port 80 only redirects: the 404 comes without a round trip to HTTPS.
    hide_internal_paths(t, "HttpInternalPathsRule", &http)?;
    Ok(Balancer {
        load_balancer,
        target_group,
        attaching_listener: https_listener.unwrap_or(http),
    })
}

/// Answers [`INTERNAL_PATHS`] on `listener` with a 404 of the load balancer's own, first of all
/// its rules (priority 1), so they never reach an instance. Paths are matched as sent, case and
/// all, which is how the app's router matches them too.
fn hide_internal_paths(
    t: &mut Template,
    id: &str,
    listener: &Handle<Listener>,
) -> Result<Handle<ListenerRule>, TemplateError> {
    t.add(
        id,
        ListenerRule {
            listener_arn: listener.r#ref(),
            priority: 1,
            conditions: vec![RuleCondition::path_pattern(&INTERNAL_PATHS)],
            actions: vec![Action::fixed_response("404", "Not Found")],
        },
    )
}

/// The instances' port, checked every 10 s: two answers make a target healthy, three misses
/// unhealthy.
fn target_group(naming: &Naming) -> TargetGroup {
    TargetGroup {
        name: None,
        port: APP_PORT as u32,
        protocol: "HTTP".into(),
        target_type: "instance".into(),
        vpc_id: naming.import(Export::VpcId),
        health_check: HealthCheck {
            path: HEALTH_CHECK_PATH.into(),
            protocol: "HTTP".into(),
            interval_seconds: 10,
            timeout_seconds: 5,
            healthy_threshold_count: 2,
            unhealthy_threshold_count: 3,
        },
        // 200: ready. 503 is the app's "alive, but the database is not answering": every
        // instance shares that database, so replacing instances cannot help and the auto
        // scaling group (ELB health checks) must not churn the whole fleet during an outage
        // or a Multi-AZ failover. No answer, a timeout or any other status is unhealthy.
        matcher: Some(Matcher {
            http_code: HEALTHY_CODES.into(),
        }),
        target_group_attributes: vec![Attribute::new(
            "deregistration_delay.timeout_seconds",
            timing::DEREGISTRATION_DELAY_SECONDS.to_string(),
        )],
        tags: name_tag(naming, "targets"),
    }
}
