//! RDS resources: the PostgreSQL instance and the subnet group that keeps it in private subnets.

use serde::Serialize;
use serde_with::skip_serializing_none;

use super::Tag;
use crate::expr::Expr;
use crate::template::{Handle, Resource};

/// `AWS::RDS::DBSubnetGroup`: the subnets a database may be placed in.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DbSubnetGroup {
    /// What it is for.
    #[serde(rename = "DBSubnetGroupDescription")]
    pub description: String,
    /// Name, unique in the region (lower case).
    #[serde(rename = "DBSubnetGroupName")]
    pub name: Option<Expr>,
    /// The subnets (at least two AZs).
    pub subnet_ids: Vec<Expr>,
    /// Tags.
    pub tags: Vec<Tag>,
}

impl Resource for DbSubnetGroup {
    const TYPE: &'static str = "AWS::RDS::DBSubnetGroup";
}

/// `AWS::RDS::DBInstance`.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DbInstance {
    /// Identifier, unique in the region.
    #[serde(rename = "DBInstanceIdentifier")]
    pub identifier: Option<Expr>,
    /// e.g. `postgres`.
    pub engine: String,
    /// A supported engine version.
    pub engine_version: String,
    /// e.g. `db.t3.micro`.
    #[serde(rename = "DBInstanceClass")]
    pub instance_class: Expr,
    /// Storage in GiB, as a string as CloudFormation documents it.
    pub allocated_storage: Expr,
    /// Upper bound for storage autoscaling.
    pub max_allocated_storage: Option<u32>,
    /// e.g. `gp3`.
    pub storage_type: Option<String>,
    /// Encryption at rest.
    pub storage_encrypted: bool,
    /// The name of the database created inside the instance.
    #[serde(rename = "DBName")]
    pub db_name: Option<String>,
    /// Master user name.
    pub master_username: Expr,
    /// Master password: only ever a dynamic reference.
    pub master_user_password: Expr,
    /// A standby in another AZ.
    #[serde(rename = "MultiAZ")]
    pub multi_az: bool,
    /// Whether it gets a public address.
    pub publicly_accessible: bool,
    /// The subnet group.
    #[serde(rename = "DBSubnetGroupName")]
    pub subnet_group_name: Expr,
    /// Security groups.
    #[serde(rename = "VPCSecurityGroups")]
    pub vpc_security_groups: Vec<Expr>,
    /// Days of automated backups (0 disables them).
    pub backup_retention_period: u32,
    /// Whether deleting the instance is refused.
    pub deletion_protection: Expr,
    /// Minor versions applied in the maintenance window.
    pub auto_minor_version_upgrade: bool,
    /// Tags copied to snapshots.
    pub copy_tags_to_snapshot: bool,
    /// Logs sent to CloudWatch Logs.
    pub enable_cloudwatch_logs_exports: Vec<String>,
    /// IAM database authentication.
    #[serde(rename = "EnableIAMDatabaseAuthentication")]
    pub enable_iam_database_authentication: bool,
    /// Seconds between enhanced monitoring samples (0 = off).
    pub monitoring_interval: Option<u32>,
    /// Role for enhanced monitoring.
    pub monitoring_role_arn: Option<Expr>,
    /// Performance Insights.
    pub enable_performance_insights: Option<bool>,
    /// Port (5432 for PostgreSQL).
    pub port: Option<String>,
    /// Tags.
    pub tags: Vec<Tag>,
}

impl Resource for DbInstance {
    const TYPE: &'static str = "AWS::RDS::DBInstance";
}

impl Handle<DbInstance> {
    /// The DNS name clients connect to.
    pub fn endpoint_address(&self) -> Expr {
        self.get_att("Endpoint.Address")
    }

    /// The port clients connect to.
    pub fn endpoint_port(&self) -> Expr {
        self.get_att("Endpoint.Port")
    }
}
