//! The application stack's two security groups: the load balancer's, open to the world on its
//! listener ports only, and the instances', which admit the application port from the load
//! balancer's group and nothing else. The rules between the two groups are resources of their
//! own, because each group refers to the other.

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
            security_group_egress: vec![],
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
            security_group_egress: vec![SecurityGroupRule::tcp_to_cidr(
                443,
                "0.0.0.0/0",
                "HTTPS to AWS APIs (Secrets Manager, CloudFormation, SSM) and the application download",
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
