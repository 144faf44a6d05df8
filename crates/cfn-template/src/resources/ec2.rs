//! EC2 networking and compute resources: VPC, subnets, routing, security groups, launch template.

use serde::Serialize;
use serde_with::skip_serializing_none;

use super::Tag;
use crate::expr::Expr;
use crate::template::{Handle, Resource};

/// `AWS::EC2::VPC`. `Ref` returns the VPC id.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Vpc {
    /// The IPv4 range, e.g. `10.0.0.0/16`.
    pub cidr_block: Expr,
    /// Whether instances get public DNS names.
    pub enable_dns_hostnames: Option<bool>,
    /// Whether the Amazon DNS server answers in the VPC.
    pub enable_dns_support: Option<bool>,
    /// Tags.
    pub tags: Vec<Tag>,
}

impl Resource for Vpc {
    const TYPE: &'static str = "AWS::EC2::VPC";
}

/// `AWS::EC2::InternetGateway`.
#[derive(Debug, Clone, Default, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InternetGateway {
    /// Tags.
    pub tags: Vec<Tag>,
}

impl Resource for InternetGateway {
    const TYPE: &'static str = "AWS::EC2::InternetGateway";
}

/// `AWS::EC2::VPCGatewayAttachment`: attaches an internet gateway to a VPC.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct VpcGatewayAttachment {
    /// The VPC.
    pub vpc_id: Expr,
    /// The internet gateway.
    pub internet_gateway_id: Expr,
}

impl Resource for VpcGatewayAttachment {
    const TYPE: &'static str = "AWS::EC2::VPCGatewayAttachment";
}

/// `AWS::EC2::Subnet`. `Ref` returns the subnet id.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Subnet {
    /// The VPC.
    pub vpc_id: Expr,
    /// The IPv4 range.
    pub cidr_block: Expr,
    /// The availability zone, from `Fn::GetAZs` so any region works.
    pub availability_zone: Expr,
    /// Whether instances launched here get a public IPv4 address.
    pub map_public_ip_on_launch: Option<bool>,
    /// Tags.
    pub tags: Vec<Tag>,
}

impl Resource for Subnet {
    const TYPE: &'static str = "AWS::EC2::Subnet";
}

/// `AWS::EC2::RouteTable`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct RouteTable {
    /// The VPC.
    pub vpc_id: Expr,
    /// Tags.
    pub tags: Vec<Tag>,
}

impl Resource for RouteTable {
    const TYPE: &'static str = "AWS::EC2::RouteTable";
}

/// `AWS::EC2::Route`.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Route {
    /// The route table.
    pub route_table_id: Expr,
    /// Destination range.
    pub destination_cidr_block: Expr,
    /// Target internet gateway.
    pub gateway_id: Option<Expr>,
}

impl Resource for Route {
    const TYPE: &'static str = "AWS::EC2::Route";
}

/// `AWS::EC2::SubnetRouteTableAssociation`.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SubnetRouteTableAssociation {
    /// The subnet.
    pub subnet_id: Expr,
    /// The route table.
    pub route_table_id: Expr,
}

impl Resource for SubnetRouteTableAssociation {
    const TYPE: &'static str = "AWS::EC2::SubnetRouteTableAssociation";
}

/// One ingress or egress rule of a security group.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroupRule {
    /// `tcp`, `udp`, `icmp` or `-1` (all protocols, all ports).
    pub ip_protocol: String,
    /// First port (none for `-1`).
    pub from_port: Option<i64>,
    /// Last port (none for `-1`).
    pub to_port: Option<i64>,
    /// Source or destination range.
    pub cidr_ip: Option<Expr>,
    /// Source group (ingress).
    pub source_security_group_id: Option<Expr>,
    /// Destination group (egress).
    pub destination_security_group_id: Option<Expr>,
    /// Why the rule exists, shown in the console.
    pub description: String,
}

impl SecurityGroupRule {
    /// TCP `port` from a CIDR range.
    pub fn tcp_from_cidr(port: i64, cidr: &str, description: &str) -> Self {
        Self {
            ip_protocol: "tcp".into(),
            from_port: Some(port),
            to_port: Some(port),
            cidr_ip: Some(cidr.into()),
            source_security_group_id: None,
            destination_security_group_id: None,
            description: description.into(),
        }
    }

    /// TCP `port` to a CIDR range (egress).
    pub fn tcp_to_cidr(port: i64, cidr: &str, description: &str) -> Self {
        Self::tcp_from_cidr(port, cidr, description)
    }

    /// The inline egress rule of a group that may start no connection of its own beyond its
    /// separate `AWS::EC2::SecurityGroupEgress` rules: CloudFormation keeps EC2's default
    /// allow-all egress rule unless the group states at least one egress rule inline (an empty
    /// list counts as none, and separate rules do not remove it). All traffic to 127.0.0.1/32
    /// matches nothing that leaves a network interface, so the group allows nothing more.
    pub fn no_egress(description: &str) -> Self {
        Self {
            ip_protocol: "-1".into(),
            from_port: None,
            to_port: None,
            cidr_ip: Some("127.0.0.1/32".into()),
            source_security_group_id: None,
            destination_security_group_id: None,
            description: description.into(),
        }
    }

    /// TCP `port` from another security group.
    pub fn tcp_from_group(port: i64, group: Expr, description: &str) -> Self {
        Self {
            ip_protocol: "tcp".into(),
            from_port: Some(port),
            to_port: Some(port),
            cidr_ip: None,
            source_security_group_id: Some(group),
            destination_security_group_id: None,
            description: description.into(),
        }
    }

    /// TCP `port` to another security group (egress).
    pub fn tcp_to_group(port: i64, group: Expr, description: &str) -> Self {
        Self {
            ip_protocol: "tcp".into(),
            from_port: Some(port),
            to_port: Some(port),
            cidr_ip: None,
            source_security_group_id: None,
            destination_security_group_id: Some(group),
            description: description.into(),
        }
    }
}

/// `AWS::EC2::SecurityGroup`. `Ref` returns the group id (for groups in a VPC).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroup {
    /// What the group is for.
    pub group_description: String,
    /// The VPC.
    pub vpc_id: Expr,
    /// Inbound rules.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub security_group_ingress: Vec<SecurityGroupRule>,
    /// Outbound rules. CloudFormation leaves EC2's default allow-all egress when this is empty,
    /// so state at least one (see [`SecurityGroupRule::no_egress`]).
    pub security_group_egress: Vec<SecurityGroupRule>,
    /// Tags.
    pub tags: Vec<Tag>,
}

impl Resource for SecurityGroup {
    const TYPE: &'static str = "AWS::EC2::SecurityGroup";
}

impl Handle<SecurityGroup> {
    /// The group id.
    pub fn group_id(&self) -> Expr {
        self.get_att("GroupId")
    }
}

/// `AWS::EC2::SecurityGroupIngress`: a rule kept outside its group, to break reference cycles.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroupIngress {
    /// The group the rule belongs to.
    pub group_id: Expr,
    /// The rule.
    #[serde(flatten)]
    pub rule: SecurityGroupRule,
}

impl Resource for SecurityGroupIngress {
    const TYPE: &'static str = "AWS::EC2::SecurityGroupIngress";
}

/// `AWS::EC2::SecurityGroupEgress`: an outbound rule kept outside its group.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SecurityGroupEgress {
    /// The group the rule belongs to.
    pub group_id: Expr,
    /// The rule.
    #[serde(flatten)]
    pub rule: SecurityGroupRule,
}

impl Resource for SecurityGroupEgress {
    const TYPE: &'static str = "AWS::EC2::SecurityGroupEgress";
}

/// `AWS::EC2::LaunchTemplate`: how each instance of the auto scaling group is launched.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplate {
    /// Name, unique in the region.
    pub launch_template_name: Option<Expr>,
    /// The launch settings.
    pub launch_template_data: LaunchTemplateData,
}

impl Resource for LaunchTemplate {
    const TYPE: &'static str = "AWS::EC2::LaunchTemplate";
}

impl Handle<LaunchTemplate> {
    /// The newest version number, so the group follows every change.
    pub fn latest_version_number(&self) -> Expr {
        self.get_att("LatestVersionNumber")
    }
}

/// The settings inside a launch template.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct LaunchTemplateData {
    /// The image, usually from an SSM parameter.
    pub image_id: Expr,
    /// e.g. `t3.micro`.
    pub instance_type: Expr,
    /// The instance profile (role) of the instances.
    pub iam_instance_profile: Option<IamInstanceProfileRef>,
    /// Network interfaces (used to give a public IP in a public subnet with its groups).
    pub network_interfaces: Vec<NetworkInterface>,
    /// Metadata service settings (IMDSv2).
    pub metadata_options: MetadataOptions,
    /// Disk settings.
    pub block_device_mappings: Vec<BlockDeviceMapping>,
    /// Boot script, base64-encoded.
    pub user_data: Option<Expr>,
    /// Detailed CloudWatch monitoring.
    pub monitoring: Option<Monitoring>,
    /// Tags applied to what the template launches.
    pub tag_specifications: Vec<TagSpecification>,
}

/// Detailed monitoring switch.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Monitoring {
    /// Whether detailed (1-minute) monitoring is on.
    pub enabled: bool,
}

/// Which instance profile instances get.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct IamInstanceProfileRef {
    /// The profile's ARN.
    pub arn: Expr,
}

/// A network interface of a launched instance.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct NetworkInterface {
    /// 0 for the primary interface.
    pub device_index: u32,
    /// Whether it gets a public IPv4 address.
    pub associate_public_ip_address: bool,
    /// Its security groups.
    pub groups: Vec<Expr>,
    /// Whether it is deleted with the instance.
    pub delete_on_termination: bool,
}

/// Instance metadata service settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetadataOptions {
    /// `required` forces IMDSv2 session tokens.
    pub http_tokens: String,
    /// `enabled`.
    pub http_endpoint: String,
    /// 1 stops containers on the host from reaching the credentials; 2 allows one hop.
    pub http_put_response_hop_limit: u32,
}

/// A disk of a launched instance.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct BlockDeviceMapping {
    /// e.g. `/dev/xvda`.
    pub device_name: String,
    /// The EBS volume.
    pub ebs: Ebs,
}

/// An EBS volume's settings.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Ebs {
    /// Size in GiB.
    pub volume_size: u32,
    /// e.g. `gp3`.
    pub volume_type: String,
    /// Encryption at rest.
    pub encrypted: bool,
    /// Whether it is deleted with the instance.
    pub delete_on_termination: bool,
}

/// Tags for a kind of launched resource.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct TagSpecification {
    /// `instance` or `volume`.
    pub resource_type: String,
    /// Tags.
    pub tags: Vec<Tag>,
}
