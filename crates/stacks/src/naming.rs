//! Names derived from the environment: stack names, export names and physical names all carry
//! it, so several environments can live in one account and region. The exports between stacks
//! are one typed list, so a producer and its consumers cannot disagree on a name.

use std::fmt;

use cfn_template::{Expr, Output};

/// One of the four stacks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum StackRole {
    /// VPC, subnets, routing.
    Network,
    /// The private bucket instances fetch the application from.
    Artifacts,
    /// PostgreSQL on RDS and its secret.
    Database,
    /// Load balancer and instances.
    Application,
}

impl StackRole {
    /// All stacks in deployment order.
    pub const ALL: [StackRole; 4] = [
        StackRole::Network,
        StackRole::Artifacts,
        StackRole::Database,
        StackRole::Application,
    ];

    /// Lower-case name, as used in stack names and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            StackRole::Network => "network",
            StackRole::Artifacts => "artifacts",
            StackRole::Database => "database",
            StackRole::Application => "application",
        }
    }

    /// The stacks whose exports this one imports.
    pub fn depends_on(self) -> &'static [StackRole] {
        match self {
            StackRole::Network | StackRole::Artifacts => &[],
            StackRole::Database => &[StackRole::Network],
            StackRole::Application => &[
                StackRole::Network,
                StackRole::Artifacts,
                StackRole::Database,
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
    /// The name of the bucket holding the application's artifacts.
    ArtifactBucket,
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
            Export::ArtifactBucket => StackRole::Artifacts,
            _ => StackRole::Database,
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
            Export::ArtifactBucket => "ArtifactBucket",
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
