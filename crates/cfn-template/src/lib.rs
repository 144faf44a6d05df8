//! A typed CloudFormation template model: names, expressions, resources and deterministic
//! rendering to JSON and YAML. It knows nothing of AWS API calls.
//!
//! A template is built by adding typed resources; each `add` returns a [`Handle`], and only a
//! handle can make a `Ref` or `Fn::GetAtt` to its resource:
//!
//! ```
//! use cfn_template::{Expr, Template, resources::{ec2::Vpc, Tag}};
//!
//! let mut t = Template::new("one VPC");
//! let vpc = t.add("Vpc", Vpc {
//!     cidr_block: "10.0.0.0/16".into(),
//!     enable_dns_hostnames: Some(true),
//!     enable_dns_support: Some(true),
//!     tags: vec![Tag::name("demo")],
//! })?;
//! t.output("VpcId", cfn_template::Output {
//!     value: vpc.r#ref(),
//!     description: "The VPC".into(),
//!     export: Some("demo-VpcId".into()),
//! })?;
//! let yaml = t.to_yaml()?;
//! assert!(yaml.contains("Ref: Vpc"));
//! # Ok::<(), cfn_template::TemplateError>(())
//! ```
//!
//! Rendering checks every reference again (a handle from another template, a `${Name}` in an
//! `Fn::Sub` string, a `DependsOn`) and refuses the template naming what dangles.

mod conditions;
mod error;
mod expr;
mod names;
mod policy;
mod render;
pub mod resources;
mod template;

pub use conditions::{ConditionHandle, Mapping, MappingHandle};
pub use error::TemplateError;
pub use expr::{Expr, Pseudo};
pub use names::LogicalId;
pub use policy::{DeletionPolicy, ResourceOptions, ResourceSignal, RollingUpdate};
pub use render::check_references;
pub use template::{Handle, Output, Parameter, ParameterHandle, ParameterType, Resource, Template};
