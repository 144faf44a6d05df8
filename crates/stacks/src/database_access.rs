//! The database-access stack: what the database is created into and what its clients need at
//! once: the client and database security groups (5432 only from members of the client group,
//! which the application's instances carry), the subnet group of the private subnets, the
//! generated master secret and the enhanced-monitoring role. It completes in seconds, so the
//! application stack, which imports only from here, runs while RDS creates the instance in the
//! database stack.

use cfn_template::resources::Tag;
use cfn_template::resources::ec2::{
    SecurityGroup, SecurityGroupEgress, SecurityGroupIngress, SecurityGroupRule,
};
use cfn_template::resources::iam::{Role, Statement, policy_document};
use cfn_template::resources::rds::DbSubnetGroup;
use cfn_template::resources::secretsmanager::{GenerateSecretString, Secret};
use cfn_template::{DeletionPolicy, Expr, Template, TemplateError};

use crate::database::{DATABASE_NAME, DATABASE_PORT};
use crate::naming::{Export, Naming, StackRole};

/// Logical id of the secret holding the master password (protected by the data-loss guard).
pub const SECRET_ID: &str = "DatabaseSecret";
/// Logical id of the subnet group (replacing it moves the database: protected too).
pub const SUBNET_GROUP_ID: &str = "DatabaseSubnetGroup";

/// Builds the database-access template.
pub fn template(naming: &Naming) -> Result<Template, TemplateError> {
    let env = naming.environment();
    let stack = naming.stack_name(StackRole::DatabaseAccess);
    let tag = |what: &str| vec![Tag::name(format!("{stack}-{what}"))];
    let mut t = Template::new(format!(
        "TechChallenge {env} database access: the database's security groups, subnet group, secret and monitoring role"
    ));

    let client_group = t.add(
        "DatabaseClientSecurityGroup",
        SecurityGroup {
            group_description: format!(
                "{stack}: members may connect to the database on {DATABASE_PORT}"
            ),
            vpc_id: naming.import(Export::VpcId),
            security_group_ingress: vec![],
            // Its one destination is the separate rule ClientEgressToDatabase (the groups refer
            // to each other); this inline rule removes EC2's default allow-all egress.
            security_group_egress: vec![SecurityGroupRule::no_egress(
                "No other outbound traffic: members reach the database on 5432 through rule ClientEgressToDatabase",
            )],
            tags: tag("client"),
        },
    )?;
    let database_group = t.add(
        "DatabaseSecurityGroup",
        SecurityGroup {
            group_description: format!(
                "{stack}: the database accepts {DATABASE_PORT} from its clients only"
            ),
            vpc_id: naming.import(Export::VpcId),
            security_group_ingress: vec![],
            // A stated rule replaces the default allow-all egress; the database starts no
            // connections (replies to clients need no rule: groups are stateful).
            security_group_egress: vec![SecurityGroupRule::no_egress(
                "No outbound traffic: the database starts no connections",
            )],
            tags: tag("database"),
        },
    )?;
    // Separate rule resources: the two groups refer to each other.
    t.add(
        "DatabaseIngressFromClients",
        SecurityGroupIngress {
            group_id: database_group.group_id(),
            rule: SecurityGroupRule::tcp_from_group(
                DATABASE_PORT,
                client_group.group_id(),
                "PostgreSQL from the application instances (database client group)",
            ),
        },
    )?;
    t.add(
        "ClientEgressToDatabase",
        SecurityGroupEgress {
            group_id: client_group.group_id(),
            rule: SecurityGroupRule::tcp_to_group(
                DATABASE_PORT,
                database_group.group_id(),
                "PostgreSQL to the database",
            ),
        },
    )?;

    let secret = t.add(
        SECRET_ID,
        Secret {
            // No fixed name: Secrets Manager keeps a deleted secret's name for its recovery
            // window, which would block re-creating the environment after `destroy`.
            name: None,
            description: format!(
                "{stack}: master user name and generated password of the database"
            ),
            generate_secret_string: GenerateSecretString {
                secret_string_template: r#"{"username":"postgres"}"#.into(),
                generate_string_key: "password".into(),
                password_length: 32,
                exclude_punctuation: true,
            },
            kms_key_id: None,
            tags: tag("secret"),
        },
    )?;
    // Explicit: the secret goes with the stack (recoverable for 30 days in Secrets Manager).
    let options = t.options(&secret)?;
    options.deletion_policy = Some(DeletionPolicy::Delete);
    options.update_replace_policy = Some(DeletionPolicy::Delete);
    let subnet_group = t.add(
        SUBNET_GROUP_ID,
        DbSubnetGroup {
            description: format!("{stack}: the two private subnets"),
            name: Some(naming.physical("database").into()),
            subnet_ids: vec![
                naming.import(Export::PrivateSubnetA),
                naming.import(Export::PrivateSubnetB),
            ],
            tags: tag("subnets"),
        },
    )?;
    let monitoring_role = t.add(
        "DatabaseMonitoringRole",
        Role {
            assume_role_policy_document: policy_document(&[Statement::trust_service("monitoring.rds.amazonaws.com")]),
            description: format!("{stack}: lets RDS publish enhanced monitoring metrics"),
            managed_policy_arns: vec![Expr::sub(
                "arn:${AWS::Partition}:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole",
            )],
            policies: vec![],
            tags: tag("monitoring"),
        },
    )?;

    for (export, value, description) in [
        (
            Export::DatabaseName,
            Expr::from(DATABASE_NAME),
            "Name of the application's database",
        ),
        (
            Export::DatabaseSecretArn,
            secret.r#ref(),
            "Secret with the master user name and password (and, once the database exists, its host and port)",
        ),
        (
            Export::DatabaseClientSecurityGroup,
            client_group.group_id(),
            "Security group whose members may connect to the database",
        ),
        (
            Export::DatabaseSecurityGroup,
            database_group.group_id(),
            "Security group of the database: accepts its clients only",
        ),
        (
            Export::DatabaseSubnetGroup,
            subnet_group.r#ref(),
            "RDS subnet group of the two private subnets",
        ),
        (
            Export::DatabaseMonitoringRoleArn,
            monitoring_role.arn(),
            "Role RDS publishes enhanced monitoring metrics with",
        ),
    ] {
        let (id, output) = naming.export_output(export, value, description);
        t.output(&id, output)?;
    }
    Ok(t)
}
