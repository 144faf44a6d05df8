//! The application stack's two security groups: the load balancer's, open to the world on its
//! listener ports only, and the instances', which admit the application port from the load
//! balancer's group and nothing else. The rules between the two groups are resources of their
//! own, because each group refers to the other.
//!
//! Egress is stated on both groups (`explicit-egress`): the load balancer reaches the instances
//! on 3000 and nothing else; the instances reach HTTPS and, through the database client group
//! they also carry (database-access stack), PostgreSQL on the database. Security groups do not
//! filter the Amazon DNS resolver, the instance metadata service or the Amazon Time Sync
//! Service, so the boot needs no rule for those.

use cfn_template::resources::ec2::{
    SecurityGroup, SecurityGroupEgress, SecurityGroupIngress, SecurityGroupRule,
};
use cfn_template::{Handle, Template, TemplateError};

use super::{APP_PORT, name_tag};
use crate::naming::{Export, Naming, StackRole};
use crate::settings::ApplicationSettings;

/// The two groups, for the parts that attach them.
pub struct Groups {
    /// The load balancer's group.
    pub load_balancer: Handle<SecurityGroup>,
    /// The instances' group.
    pub instances: Handle<SecurityGroup>,
}

/// Adds both groups and the rules between them.
pub fn add(
    t: &mut Template,
    naming: &Naming,
    app: &ApplicationSettings,
) -> Result<Groups, TemplateError> {
    let stack = naming.stack_name(StackRole::Application);
    let mut alb_ingress = vec![SecurityGroupRule::tcp_from_cidr(
        80,
        "0.0.0.0/0",
        "HTTP from anywhere: the application's public entry point",
    )];
    if app.certificate_arn.is_some() {
        alb_ingress.push(SecurityGroupRule::tcp_from_cidr(
            443,
            "0.0.0.0/0",
            "HTTPS from anywhere: the application's public entry point",
        ));
    }
    let load_balancer = t.add(
        "LoadBalancerSecurityGroup",
        SecurityGroup {
            group_description: format!(
                "{stack}: load balancer, open to the world on its listener ports only"
            ),
            vpc_id: naming.import(Export::VpcId),
            security_group_ingress: alb_ingress,
            // Its one destination, the instances, is the separate rule below; this inline rule
            // is what removes EC2's default allow-all egress. (The separate rule stays
            // separate: moved inline, CloudFormation would add to deployed groups a rule they
            // already hold, then revoke it when it deletes the old resource.)
            security_group_egress: vec![SecurityGroupRule::no_egress(
                "No other outbound traffic: the load balancer reaches only the instances on 3000 (rule LoadBalancerEgressToInstances)",
            )],
            tags: name_tag(naming, "alb"),
        },
    )?;
    let instances = t.add(
        "InstanceSecurityGroup",
        SecurityGroup {
            group_description: format!(
                "{stack}: application instances, reachable from the load balancer only"
            ),
            vpc_id: naming.import(Export::VpcId),
            security_group_ingress: vec![],
            // Everything the boot script, the app and the agents call is HTTPS on public
            // endpoints (no VPC endpoints, no NAT): S3 (the build, dnf's repositories), the RDS
            // CA bundle, Secrets Manager, CloudFormation, RDS, CloudWatch Logs and Session
            // Manager. PostgreSQL to the database is the database client group's rule.
            security_group_egress: vec![SecurityGroupRule::tcp_to_cidr(
                443,
                "0.0.0.0/0",
                "HTTPS to AWS APIs (S3, Secrets Manager, CloudFormation, RDS, CloudWatch Logs, Session Manager), the RDS CA bundle and package repositories",
            )],
            tags: name_tag(naming, "instances"),
        },
    )?;
    t.add(
        "InstanceIngressFromLoadBalancer",
        SecurityGroupIngress {
            group_id: instances.group_id(),
            rule: SecurityGroupRule::tcp_from_group(
                APP_PORT,
                load_balancer.group_id(),
                "Application port from the load balancer only",
            ),
        },
    )?;
    t.add(
        "LoadBalancerEgressToInstances",
        SecurityGroupEgress {
            group_id: load_balancer.group_id(),
            rule: SecurityGroupRule::tcp_to_group(
                APP_PORT,
                instances.group_id(),
                "Requests and health checks to the instances",
            ),
        },
    )?;
    Ok(Groups {
        load_balancer,
        instances,
    })
}
