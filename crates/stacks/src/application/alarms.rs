//! The traffic alarms: what users of the load balancer would notice, measured by the load
//! balancer itself. They notify the alarm topic, and they are the application stack's rollback
//! triggers: their ARNs are outputs ([`ROLLBACK_ALARM_OUTPUTS`]) that the deployer reads from the
//! deployed stack and hands to CloudFormation, which rolls an update back when one of them goes
//! into `ALARM` during it or during the monitoring window after it (at most 5 triggers; these
//! are 4).
//!
//! Thresholds are for a small service that mostly answers from one PostgreSQL query: each
//! fires on a sustained problem (3 bad minutes of 5, or longer where a normal event lasts that
//! long), not on one slow request or a single error.

use cfn_template::resources::cloudwatch::{
    ComparisonOperator, Dimension, Metric, MetricDataQuery, MetricStat, Statistic, TreatMissingData,
};
use cfn_template::{Output, Template, TemplateError};

use super::load_balancer::Balancer;
use super::timing;
use crate::alarms::{Measure, Rule, Stat, alarm};
use crate::naming::Naming;

/// Load-balancer-generated 5xx (502/503/504: no healthy target, a target refusing connections
/// or timing out) per minute. A leaving instance can cost a request or two; five a minute for
/// three minutes of five means the balancer is failing to reach the fleet.
pub const ELB_5XX_PER_MINUTE: f64 = 5.0;
/// Percentage of requests the targets answer with a 5xx. The app answers 5xx only for faults
/// (the database unreachable, a bug); one in twenty for three minutes of five is an outage of
/// part of the service, not a stray error.
pub const TARGET_5XX_PERCENT: f64 = 5.0;
/// Minutes a target must stay unhealthy before the alarm fires. A launching instance is
/// unhealthy until its app answers, which may take the instance's start allowance plus the boot
/// deadline (`timing.rs`); scale-outs, replacements and rolling updates must not fire it, so the
/// window is one minute longer than the slowest boot that still succeeds.
pub const UNHEALTHY_MINUTES: u32 =
    (timing::INSTANCE_START_ALLOWANCE_SECONDS + timing::BOOT_DEADLINE_SECONDS).div_ceil(60) + 1;
/// Seconds of the 99th percentile of the targets' response time. A healthy answer takes
/// milliseconds; a p99 above a second for three minutes of five is a saturated fleet or a
/// struggling database.
pub const P99_SECONDS: f64 = 1.0;

/// The outputs holding the traffic alarms' ARNs: the application stack's rollback triggers.
pub const ROLLBACK_ALARM_OUTPUTS: [&str; 4] = [
    "LoadBalancer5xxAlarmArn",
    "Target5xxRateAlarmArn",
    "UnhealthyHostsAlarmArn",
    "ResponseTimeP99AlarmArn",
];

const NAMESPACE: &str = "AWS/ApplicationELB";
const MINUTE: u32 = 60;

/// Adds the four alarms and the outputs of their ARNs.
pub fn add(t: &mut Template, naming: &Naming, balancer: &Balancer) -> Result<(), TemplateError> {
    let on_balancer = || {
        vec![Dimension::new(
            "LoadBalancer",
            balancer.load_balancer.full_name(),
        )]
    };
    let on_targets = || {
        vec![
            Dimension::new("LoadBalancer", balancer.load_balancer.full_name()),
            Dimension::new("TargetGroup", balancer.target_group.full_name()),
        ]
    };
    let metric = |name, dimensions, statistic| Measure::Metric {
        namespace: NAMESPACE,
        name,
        dimensions,
        statistic,
        period: MINUTE,
    };
    let sustained = |threshold, missing_data| Rule {
        comparison: ComparisonOperator::GreaterThanOrEqualToThreshold,
        threshold,
        evaluation_periods: 5,
        datapoints_to_alarm: 3,
        missing_data,
    };
    // The count metrics are absent for a minute without any: that is no error.
    let alarms = [
        (
            "LoadBalancer5xxAlarm",
            alarm(
                naming,
                "alb-5xx",
                format!(
                    "The load balancer answered {ELB_5XX_PER_MINUTE} or more 5xx of its own a minute, for 3 minutes of 5: it cannot reach healthy instances (see UnHealthyHostCount, the instances' boot and app logs)."
                ),
                metric(
                    "HTTPCode_ELB_5XX_Count",
                    on_balancer(),
                    Stat::Basic(Statistic::Sum),
                ),
                sustained(ELB_5XX_PER_MINUTE, TreatMissingData::NotBreaching),
            ),
        ),
        (
            "Target5xxRateAlarm",
            alarm(
                naming,
                "target-5xx-rate",
                format!(
                    "{TARGET_5XX_PERCENT}% or more of the requests got a 5xx from the application, for 3 minutes of 5 (see the app log group)."
                ),
                target_error_rate(on_targets()),
                sustained(TARGET_5XX_PERCENT, TreatMissingData::NotBreaching),
            ),
        ),
        (
            "UnhealthyHostsAlarm",
            alarm(
                naming,
                "unhealthy-hosts",
                format!(
                    "An instance has failed the load balancer's health checks for {UNHEALTHY_MINUTES} minutes, longer than any boot that succeeds (see its boot log; on a first create, instances wait for the database and may fire this)."
                ),
                metric(
                    "UnHealthyHostCount",
                    on_targets(),
                    Stat::Basic(Statistic::Maximum),
                ),
                Rule {
                    comparison: ComparisonOperator::GreaterThanOrEqualToThreshold,
                    threshold: 1.0,
                    evaluation_periods: UNHEALTHY_MINUTES,
                    datapoints_to_alarm: UNHEALTHY_MINUTES,
                    // The load balancer reports the count every minute, traffic or not: a gap
                    // is CloudWatch's, and says nothing either way about the instances.
                    missing_data: TreatMissingData::Missing,
                },
            ),
        ),
        (
            "ResponseTimeP99Alarm",
            alarm(
                naming,
                "p99-latency",
                format!(
                    "The slowest 1% of responses took {P99_SECONDS} s or more, for 3 minutes of 5: instances saturated (see CPU and the scaling activity) or the database slow."
                ),
                metric("TargetResponseTime", on_targets(), Stat::Percentile("p99")),
                // No request, no response time: nothing is slow.
                sustained(P99_SECONDS, TreatMissingData::NotBreaching),
            ),
        ),
    ];
    for ((id, alarm), output) in alarms.into_iter().zip(ROLLBACK_ALARM_OUTPUTS) {
        let handle = t.add(id, alarm)?;
        t.output(
            output,
            Output {
                value: handle.arn(),
                description: format!("ARN of {id}, a rollback trigger of application updates"),
                export: None,
            },
        )?;
    }
    Ok(())
}

/// `100 * 5xx / requests` of the targets, per minute. A minute without a 5xx has no
/// `HTTPCode_Target_5XX_Count` at all, so it counts as 0; a minute without requests has no
/// rate (missing, and not breaching).
fn target_error_rate(dimensions: Vec<Dimension>) -> Measure {
    let sum = |name: &str| MetricStat {
        metric: Metric {
            namespace: NAMESPACE.into(),
            metric_name: name.into(),
            dimensions: dimensions.clone(),
        },
        period: MINUTE,
        stat: "Sum".into(),
    };
    Measure::Math(vec![
        MetricDataQuery::metric("errors", sum("HTTPCode_Target_5XX_Count")),
        MetricDataQuery::metric("requests", sum("RequestCount")),
        MetricDataQuery::expression(
            "rate",
            "100 * FILL(errors, 0) / requests",
            "Targets' 5xx (% of requests)",
        ),
    ])
}
