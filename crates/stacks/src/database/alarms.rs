//! The database's alarms, which notify the alarm topic: CPU held high, storage running out, and
//! connections nearing the limit. RDS reports these every minute while the instance runs, so a
//! period without data (the instance stopped or rebooting) keeps the alarm's state rather than
//! guessing.

use cfn_template::resources::cloudwatch::{
    ComparisonOperator, Dimension, Statistic, TreatMissingData,
};
use cfn_template::resources::rds::DbInstance;
use cfn_template::{Handle, Template, TemplateError};

use super::connections;
use crate::alarms::{Measure, Rule, Stat, alarm};
use crate::naming::Naming;
use crate::settings::DatabaseSettings;

/// Average CPU, in percent, held for [`CPU_MINUTES`]: a burstable class spends its credits
/// there, and queries queue; short peaks (a backup, a vacuum) do not last that long.
pub const CPU_PERCENT: f64 = 80.0;
/// How long the CPU must stay at [`CPU_PERCENT`].
pub const CPU_MINUTES: u32 = 15;
/// Free storage, in percent of the allocated storage, below which the alarm fires. Storage
/// autoscaling (up to five times the allocation) grows the volume at this level too, at most
/// every six hours; the alarm says it is happening, or that it cannot.
pub const FREE_STORAGE_PERCENT: u64 = 10;

const NAMESPACE: &str = "AWS/RDS";
const FIVE_MINUTES: u32 = 300;
const GIB: u64 = 1024 * 1024 * 1024;

/// Adds the three alarms on `database`.
pub fn add(
    t: &mut Template,
    naming: &Naming,
    db: &DatabaseSettings,
    database: &Handle<DbInstance>,
) -> Result<(), TemplateError> {
    let metric = |name, statistic, period| Measure::Metric {
        namespace: NAMESPACE,
        name,
        dimensions: vec![Dimension::new("DBInstanceIdentifier", database.r#ref())],
        statistic: Stat::Basic(statistic),
        period,
    };
    let held = |comparison, threshold, periods| Rule {
        comparison,
        threshold,
        evaluation_periods: periods,
        datapoints_to_alarm: periods,
        missing_data: TreatMissingData::Missing,
    };
    let free_storage_bytes = u64::from(db.allocated_storage_gib) * GIB * FREE_STORAGE_PERCENT / 100;
    let connections = connections::alarm_threshold(&db.instance_class);
    let alarms = [
        (
            "DatabaseCpuAlarm",
            alarm(
                naming,
                "database-cpu",
                format!(
                    "The database's CPU averaged {CPU_PERCENT}% or more for {CPU_MINUTES} minutes: queries queue (see the database log in CloudWatch Logs and Enhanced Monitoring; consider a larger database.instance_class)."
                ),
                metric("CPUUtilization", Statistic::Average, FIVE_MINUTES),
                held(
                    ComparisonOperator::GreaterThanOrEqualToThreshold,
                    CPU_PERCENT,
                    CPU_MINUTES * 60 / FIVE_MINUTES,
                ),
            ),
        ),
        (
            "DatabaseStorageAlarm",
            alarm(
                naming,
                "database-storage",
                format!(
                    "Less than {FREE_STORAGE_PERCENT}% of the database's {} GiB of storage is free, for 10 minutes: storage autoscaling grows it at most every six hours and up to five times the allocation (raise database.allocated_storage_gib if it keeps firing).",
                    db.allocated_storage_gib
                ),
                metric("FreeStorageSpace", Statistic::Minimum, FIVE_MINUTES),
                held(
                    ComparisonOperator::LessThanThreshold,
                    free_storage_bytes as f64,
                    2,
                ),
            ),
        ),
        (
            "DatabaseConnectionsAlarm",
            alarm(
                naming,
                "database-connections",
                format!(
                    "{connections} or more connections to the database for 5 minutes, about {}% of what {} accepts: new connections will soon be refused (check the instances' pool sizes against their number).",
                    connections::ALARM_PERCENT,
                    db.instance_class
                ),
                metric("DatabaseConnections", Statistic::Maximum, 60),
                held(
                    ComparisonOperator::GreaterThanOrEqualToThreshold,
                    connections as f64,
                    5,
                ),
            ),
        ),
    ];
    for (id, alarm) in alarms {
        t.add(id, alarm)?;
    }
    Ok(())
}
