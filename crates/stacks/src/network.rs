//! The network stack: one new VPC with two public and two private subnets in two different
//! availability zones, an internet gateway for the public ones and none for the private ones.

use cfn_template::resources::Tag;
use cfn_template::resources::ec2::{
    InternetGateway, Route, RouteTable, Subnet, SubnetRouteTableAssociation, Vpc,
    VpcGatewayAttachment,
};
use cfn_template::{Expr, Template, TemplateError};

use crate::naming::{Export, Naming, StackRole};
use crate::settings::Settings;

/// Builds the network template.
pub fn template(settings: &Settings, naming: &Naming) -> Result<Template, TemplateError> {
    let env = naming.environment();
    let name = |what: &str| Tag::name(format!("{}-{what}", naming.stack_name(StackRole::Network)));
    let mut t = Template::new(format!(
        "TechChallenge {env} network: one VPC, two public and two private subnets in two availability zones"
    ));

    let vpc = t.add(
        "Vpc",
        Vpc {
            cidr_block: settings.network.vpc_cidr.as_str().into(),
            enable_dns_hostnames: Some(true),
            enable_dns_support: Some(true),
            tags: vec![name("vpc")],
        },
    )?;
    let gateway = t.add(
        "InternetGateway",
        InternetGateway {
            tags: vec![name("igw")],
        },
    )?;
    let attachment = t.add(
        "InternetGatewayAttachment",
        VpcGatewayAttachment {
            vpc_id: vpc.r#ref(),
            internet_gateway_id: gateway.r#ref(),
        },
    )?;

    let [public_a, public_b, private_a, private_b] = subnet_cidrs(&settings.network.vpc_cidr);
    let subnets = [
        ("PublicSubnetA", public_a, 0, true, Export::PublicSubnetA),
        ("PublicSubnetB", public_b, 1, true, Export::PublicSubnetB),
        (
            "PrivateSubnetA",
            private_a,
            0,
            false,
            Export::PrivateSubnetA,
        ),
        (
            "PrivateSubnetB",
            private_b,
            1,
            false,
            Export::PrivateSubnetB,
        ),
    ];

    let public_routes = t.add(
        "PublicRouteTable",
        RouteTable {
            vpc_id: vpc.r#ref(),
            tags: vec![name("public")],
        },
    )?;
    let default_route = t.add(
        "PublicDefaultRoute",
        Route {
            route_table_id: public_routes.r#ref(),
            destination_cidr_block: "0.0.0.0/0".into(),
            gateway_id: Some(gateway.r#ref()),
        },
    )?;
    // The route needs the gateway attached first, which no property says.
    t.options(&default_route)?.depends_on(&attachment);
    let private_routes = t.add(
        "PrivateRouteTable",
        RouteTable {
            vpc_id: vpc.r#ref(),
            tags: vec![name("private")],
        },
    )?;

    for (id, cidr, az, public, export) in subnets {
        let visibility = if public { "public" } else { "private" };
        let subnet = t.add(
            id,
            Subnet {
                vpc_id: vpc.r#ref(),
                cidr_block: cidr.into(),
                availability_zone: Expr::availability_zone(az),
                // Instances get a public address from the launch template, not from the subnet.
                map_public_ip_on_launch: Some(false),
                tags: vec![name(&format!(
                    "{visibility}-{}",
                    if az == 0 { "a" } else { "b" }
                ))],
            },
        )?;
        let table = if public {
            &public_routes
        } else {
            &private_routes
        };
        t.add(
            &format!("{id}RouteTableAssociation"),
            SubnetRouteTableAssociation {
                subnet_id: subnet.r#ref(),
                route_table_id: table.r#ref(),
            },
        )?;
        let description = format!("The {visibility} subnet in availability zone {}", az + 1);
        let (output_id, output) = naming.export_output(export, subnet.r#ref(), &description);
        t.output(&output_id, output)?;
    }
    let (output_id, output) = naming.export_output(Export::VpcId, vpc.r#ref(), "The VPC");
    t.output(&output_id, output)?;
    Ok(t)
}

/// The subnet ranges carved from the VPC's /16 (already validated): public A, public B, private
/// A, private B.
fn subnet_cidrs(vpc_cidr: &str) -> [String; 4] {
    let prefix: Vec<&str> = vpc_cidr.split('.').take(2).collect();
    let base = prefix.join(".");
    [0, 1, 2, 3].map(|i| format!("{base}.{i}.0/24"))
}
