//! Names derived from the environment: stack names, export names and physical names all carry
//! it, so several environments can live in one account and region. The exports between stacks
//! are one typed list, so a producer and its consumers cannot disagree on a name.

use std::fmt;

use cfn_template::{Expr, Output};

/// One of the five stacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StackRole {
    /// VPC, subnets, routing.
    Network,
    /// What the environment shares and keeps across application deploys: the bucket instances
    /// fetch the application from, the load balancer's access-log bucket, the alarm topic.
    Artifacts,
    /// What the database's clients need at once and what it is created into: its security
    /// groups, subnet group, secret and monitoring role. Created in seconds, so the
    /// application's instances start while RDS is still creating the database.
    DatabaseAccess,
    /// The PostgreSQL instance on RDS (15–20 minutes to create, Multi-AZ).
    Database,
    /// Load balancer and instances.
    Application,
}

impl StackRole {
    /// All stacks in deployment order.
    pub const ALL: [StackRole; 5] = [
        StackRole::Network,
        StackRole::Artifacts,
        StackRole::DatabaseAccess,
        StackRole::Database,
        StackRole::Application,
    ];

    /// Lower-case name, as used in stack names and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            StackRole::Network => "network",
            StackRole::Artifacts => "artifacts",
            StackRole::DatabaseAccess => "database-access",
            StackRole::Database => "database",
            StackRole::Application => "application",
        }
    }

    /// The stacks whose exports this one imports. The application does not wait for the
    /// database: its instances learn the database's address from the secret once it exists.
    /// The database's alarms notify the artifacts stack's topic.
    pub fn depends_on(self) -> &'static [StackRole] {
        match self {
            StackRole::Network | StackRole::Artifacts => &[],
            StackRole::DatabaseAccess => &[StackRole::Network],
            StackRole::Database => &[StackRole::DatabaseAccess, StackRole::Artifacts],
            StackRole::Application => &[
                StackRole::Network,
                StackRole::Artifacts,
                StackRole::DatabaseAccess,
            ],
        }
    }
}

impl fmt::Display for StackRole {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A value one stack exports and another imports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Export {
    /// The VPC id.
    VpcId,
    /// Public subnet in the first AZ.
    PublicSubnetA,
    /// Public subnet in the second AZ.
    PublicSubnetB,
    /// Private subnet in the first AZ.
    PrivateSubnetA,
    /// Private subnet in the second AZ.
    PrivateSubnetB,
    /// The database's DNS name.
    DatabaseEndpoint,
    /// The database's port.
    DatabasePort,
    /// The database's name inside the instance.
    DatabaseName,
    /// ARN of the secret holding the master user name and password.
    DatabaseSecretArn,
    /// The security group whose members may connect to the database.
    DatabaseClientSecurityGroup,
    /// The database's own security group (accepts its clients only).
    DatabaseSecurityGroup,
    /// The RDS subnet group of the two private subnets.
    DatabaseSubnetGroup,
    /// The role RDS publishes enhanced monitoring metrics with.
    DatabaseMonitoringRoleArn,
    /// The name of the bucket holding the application's artifacts.
    ArtifactBucket,
    /// The name of the bucket the load balancer writes its access logs to.
    AccessLogBucket,
    /// The ARN of the SNS topic every alarm notifies.
    AlarmTopic,
}

impl Export {
    /// The stack that exports it.
    pub fn producer(self) -> StackRole {
        match self {
            Export::VpcId
            | Export::PublicSubnetA
            | Export::PublicSubnetB
            | Export::PrivateSubnetA
            | Export::PrivateSubnetB => StackRole::Network,
            Export::ArtifactBucket | Export::AccessLogBucket | Export::AlarmTopic => {
                StackRole::Artifacts
            }
            Export::DatabaseEndpoint | Export::DatabasePort => StackRole::Database,
            Export::DatabaseName
            | Export::DatabaseSecretArn
            | Export::DatabaseClientSecurityGroup
            | Export::DatabaseSecurityGroup
            | Export::DatabaseSubnetGroup
            | Export::DatabaseMonitoringRoleArn => StackRole::DatabaseAccess,
        }
    }

    /// The output's logical id, also the last part of the export name.
    pub fn key(self) -> &'static str {
        match self {
            Export::VpcId => "VpcId",
            Export::PublicSubnetA => "PublicSubnetA",
            Export::PublicSubnetB => "PublicSubnetB",
            Export::PrivateSubnetA => "PrivateSubnetA",
            Export::PrivateSubnetB => "PrivateSubnetB",
            Export::DatabaseEndpoint => "DatabaseEndpoint",
            Export::DatabasePort => "DatabasePort",
            Export::DatabaseName => "DatabaseName",
            Export::DatabaseSecretArn => "DatabaseSecretArn",
            Export::DatabaseClientSecurityGroup => "DatabaseClientSecurityGroup",
            Export::DatabaseSecurityGroup => "DatabaseSecurityGroup",
            Export::DatabaseSubnetGroup => "DatabaseSubnetGroup",
            Export::DatabaseMonitoringRoleArn => "DatabaseMonitoringRoleArn",
            Export::ArtifactBucket => "ArtifactBucket",
            Export::AccessLogBucket => "AccessLogBucket",
            Export::AlarmTopic => "AlarmTopic",
        }
    }
}

/// Names for one environment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Naming {
    environment: String,
}

impl Naming {
    /// Names for `environment` (already validated by the settings).
    pub fn new(environment: &str) -> Self {
        Self {
            environment: environment.to_owned(),
        }
    }

    /// The environment name.
    pub fn environment(&self) -> &str {
        &self.environment
    }

    /// `techchallenge-ENV-ROLE`.
    pub fn stack_name(&self, role: StackRole) -> String {
        format!("techchallenge-{}-{}", self.environment, role)
    }

    /// `techchallenge-ENV-ROLE-KEY`: export names are global in a region, so they carry both.
    pub fn export_name(&self, export: Export) -> String {
        format!("{}-{}", self.stack_name(export.producer()), export.key())
    }

    /// `Fn::ImportValue` of an export.
    pub fn import(&self, export: Export) -> Expr {
        Expr::import(self.export_name(export))
    }

    /// The output that exports a value under its shared name.
    pub fn export_output(
        &self,
        export: Export,
        value: Expr,
        description: &str,
    ) -> (String, Output) {
        (
            export.key().to_owned(),
            Output {
                value,
                description: description.to_owned(),
                export: Some(self.export_name(export)),
            },
        )
    }

    /// `techchallenge-ENV-SUFFIX`, for physical names with room (up to 63 characters).
    pub fn physical(&self, suffix: &str) -> String {
        format!("techchallenge-{}-{}", self.environment, suffix)
    }

    /// The auto scaling group of the application's instances.
    pub fn auto_scaling_group(&self) -> String {
        self.physical("app")
    }

    /// The application's load balancer.
    pub fn load_balancer(&self) -> String {
        self.short("alb")
    }

    /// The RDS instance's identifier.
    pub fn database_instance(&self) -> String {
        self.physical("database")
    }

    /// `/techchallenge/ENV/KIND`: the CloudWatch Logs group of one kind of log (`app`, `boot`).
    pub fn log_group(&self, kind: &str) -> String {
        format!("/techchallenge/{}/{kind}", self.environment)
    }

    /// `tc-ENV-SUFFIX`, for physical names limited to 32 characters (load balancers).
    pub fn short(&self, suffix: &str) -> String {
        format!("tc-{}-{}", self.environment, suffix)
    }
}
