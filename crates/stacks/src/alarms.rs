//! What every alarm of the architecture has in common: a name that carries the environment
//! (`techchallenge-ENV-WHAT`), so several environments' alarms live side by side; and actions on
//! both transitions (`ALARM` and back to `OK`) that notify the artifacts stack's alarm topic, so
//! whoever is subscribed hears that something broke and that it recovered. The stacks that
//! define alarms import the topic, which makes them depend on the artifacts stack.

use cfn_template::Expr;
use cfn_template::resources::cloudwatch::{
    Alarm, ComparisonOperator, Dimension, MetricDataQuery, Statistic, TreatMissingData,
};

use crate::naming::{Export, Naming};

/// What an alarm measures: one metric's statistic, or a metric-math expression.
pub(crate) enum Measure {
    /// A metric and its statistic over `period` seconds.
    Metric {
        /// e.g. `AWS/RDS`.
        namespace: &'static str,
        /// e.g. `CPUUtilization`.
        name: &'static str,
        /// Which resource's metric.
        dimensions: Vec<Dimension>,
        /// How the period's samples are summed up.
        statistic: Stat,
        /// Seconds per period (a multiple of 60).
        period: u32,
    },
    /// Metric math: the query with `ReturnData` is the value compared.
    Math(Vec<MetricDataQuery>),
}

/// A basic statistic or a percentile.
pub(crate) enum Stat {
    /// `Average`, `Maximum`, ...
    Basic(Statistic),
    /// `p99`, ...
    Percentile(&'static str),
}

/// When an alarm fires.
pub(crate) struct Rule {
    /// How the value compares with the threshold.
    pub comparison: ComparisonOperator,
    /// The threshold.
    pub threshold: f64,
    /// Periods evaluated.
    pub evaluation_periods: u32,
    /// Of those, how many must breach.
    pub datapoints_to_alarm: u32,
    /// What a period without data counts as.
    pub missing_data: TreatMissingData,
}

/// An alarm named `techchallenge-ENV-SUFFIX` that notifies the alarm topic when it fires and
/// when it recovers.
pub(crate) fn alarm(
    naming: &Naming,
    suffix: &str,
    description: String,
    measure: Measure,
    rule: Rule,
) -> Alarm {
    let topic = naming.import(Export::AlarmTopic);
    let mut alarm = Alarm {
        alarm_name: Some(Expr::from(naming.physical(suffix))),
        alarm_description: Some(description),
        alarm_actions: vec![topic.clone()],
        ok_actions: vec![topic],
        comparison_operator: rule.comparison,
        evaluation_periods: rule.evaluation_periods,
        datapoints_to_alarm: Some(rule.datapoints_to_alarm),
        threshold: rule.threshold,
        treat_missing_data: Some(rule.missing_data),
        namespace: None,
        metric_name: None,
        dimensions: None,
        statistic: None,
        extended_statistic: None,
        period: None,
        metrics: None,
    };
    match measure {
        Measure::Metric {
            namespace,
            name,
            dimensions,
            statistic,
            period,
        } => {
            alarm.namespace = Some(namespace.into());
            alarm.metric_name = Some(name.into());
            alarm.dimensions = Some(dimensions);
            alarm.period = Some(period);
            match statistic {
                Stat::Basic(s) => alarm.statistic = Some(s),
                Stat::Percentile(p) => alarm.extended_statistic = Some(p.into()),
            }
        }
        Measure::Math(queries) => alarm.metrics = Some(queries),
    }
    alarm
}
