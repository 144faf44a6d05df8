//! CloudWatch alarms: on one metric and statistic, or on a metric-math expression over several
//! metrics, with the actions they take when they change state.

use serde::Serialize;
use serde_with::skip_serializing_none;

use crate::expr::Expr;
use crate::template::{Handle, Resource};

/// How the alarm compares the metric with its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ComparisonOperator {
    /// `>=`
    GreaterThanOrEqualToThreshold,
    /// `>`
    GreaterThanThreshold,
    /// `<`
    LessThanThreshold,
    /// `<=`
    LessThanOrEqualToThreshold,
}

/// What a period without data counts as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum TreatMissingData {
    /// Within the threshold (a count that is absent when nothing happened).
    NotBreaching,
    /// Beyond the threshold.
    Breaching,
    /// Neither: the alarm keeps its state, going to `INSUFFICIENT_DATA` only when every
    /// evaluated period is missing.
    Missing,
    /// Not evaluated at all (the alarm keeps its state).
    Ignore,
}

/// A metric's statistic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Statistic {
    /// Mean of the period's samples.
    Average,
    /// Largest sample.
    Maximum,
    /// Smallest sample.
    Minimum,
    /// Sum of the samples.
    Sum,
    /// Number of samples.
    SampleCount,
}

/// A metric dimension.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Dimension {
    /// e.g. `LoadBalancer`.
    pub name: String,
    /// e.g. the load balancer's full name.
    pub value: Expr,
}

impl Dimension {
    /// A dimension from a name and a value.
    pub fn new(name: &str, value: Expr) -> Self {
        Self {
            name: name.into(),
            value,
        }
    }
}

/// `AWS::CloudWatch::Alarm`. Either the single-metric fields (`namespace`, `metric_name`,
/// `statistic` or `extended_statistic`, `period`) or `metrics` (metric math) are set.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Alarm {
    /// Name, unique in the account and region.
    pub alarm_name: Option<Expr>,
    /// What it means when it fires, and what to look at.
    pub alarm_description: Option<String>,
    /// What to notify or do on entering `ALARM` (topic ARNs, ...).
    pub alarm_actions: Vec<Expr>,
    /// What to notify or do on returning to `OK`.
    #[serde(rename = "OKActions")]
    pub ok_actions: Vec<Expr>,
    /// How the value compares with the threshold.
    pub comparison_operator: ComparisonOperator,
    /// Periods evaluated.
    pub evaluation_periods: u32,
    /// Of those, how many must breach (all when absent).
    pub datapoints_to_alarm: Option<u32>,
    /// The threshold.
    pub threshold: f64,
    /// What periods without data count as.
    pub treat_missing_data: Option<TreatMissingData>,
    /// Single metric: its namespace, e.g. `AWS/ApplicationELB`.
    pub namespace: Option<String>,
    /// Single metric: its name.
    pub metric_name: Option<String>,
    /// Single metric: its dimensions.
    pub dimensions: Option<Vec<Dimension>>,
    /// Single metric: the statistic.
    pub statistic: Option<Statistic>,
    /// Single metric: a percentile instead (`p99`).
    pub extended_statistic: Option<String>,
    /// Single metric: seconds per period (10, 30 or a multiple of 60).
    pub period: Option<u32>,
    /// Metric math: the queries, exactly one of which returns the value compared.
    pub metrics: Option<Vec<MetricDataQuery>>,
}

impl Resource for Alarm {
    const TYPE: &'static str = "AWS::CloudWatch::Alarm";
}

impl Handle<Alarm> {
    /// The alarm's ARN (what rollback triggers name).
    pub fn arn(&self) -> Expr {
        self.get_att("Arn")
    }
}

/// One query of a metric-math alarm: a metric, or an expression over other queries' ids.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricDataQuery {
    /// Id used in expressions (starts with a lower-case letter).
    pub id: String,
    /// Metric math, e.g. `100 * FILL(errors, 0) / requests`.
    pub expression: Option<String>,
    /// Label shown on graphs.
    pub label: Option<String>,
    /// The metric, for a metric query.
    pub metric_stat: Option<MetricStat>,
    /// Whether this query's value is the one the alarm compares (exactly one).
    pub return_data: bool,
}

impl MetricDataQuery {
    /// A metric query whose value only feeds an expression.
    pub fn metric(id: &str, stat: MetricStat) -> Self {
        Self {
            id: id.into(),
            expression: None,
            label: None,
            metric_stat: Some(stat),
            return_data: false,
        }
    }

    /// The expression the alarm compares.
    pub fn expression(id: &str, expression: &str, label: &str) -> Self {
        Self {
            id: id.into(),
            expression: Some(expression.into()),
            label: Some(label.into()),
            metric_stat: None,
            return_data: true,
        }
    }
}

/// A metric, a period and a statistic.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricStat {
    /// The metric.
    pub metric: Metric,
    /// Seconds per period.
    pub period: u32,
    /// The statistic (`Sum`, `Average`, `p99`, ...).
    pub stat: String,
}

/// A metric by namespace, name and dimensions.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Metric {
    /// e.g. `AWS/ApplicationELB`.
    pub namespace: String,
    /// e.g. `RequestCount`.
    pub metric_name: String,
    /// Its dimensions.
    pub dimensions: Vec<Dimension>,
}
