//! IAM: the instances' role and instance profile, with least-privilege inline policies.

use serde::Serialize;
use serde_with::skip_serializing_none;

use super::Tag;
use crate::expr::Expr;
use crate::template::{Handle, Resource};

/// `AWS::IAM::Role`.
#[skip_serializing_none]
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct Role {
    /// Who may assume the role.
    pub assume_role_policy_document: Expr,
    /// What the role is for.
    pub description: String,
    /// AWS managed policies, by ARN.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub managed_policy_arns: Vec<Expr>,
    /// Inline policies.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub policies: Vec<InlinePolicy>,
    /// Tags.
    pub tags: Vec<Tag>,
}

impl Resource for Role {
    const TYPE: &'static str = "AWS::IAM::Role";
}

impl Handle<Role> {
    /// The role's ARN.
    pub fn arn(&self) -> Expr {
        self.get_att("Arn")
    }
}

/// An inline policy of a role.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InlinePolicy {
    /// Name, unique within the role.
    pub policy_name: String,
    /// The policy document.
    pub policy_document: Expr,
}

/// `AWS::IAM::InstanceProfile`: hands a role to EC2 instances.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct InstanceProfile {
    /// The role (one).
    pub roles: Vec<Expr>,
}

impl Resource for InstanceProfile {
    const TYPE: &'static str = "AWS::IAM::InstanceProfile";
}

impl Handle<InstanceProfile> {
    /// The profile's ARN.
    pub fn arn(&self) -> Expr {
        self.get_att("Arn")
    }
}

/// A policy statement, for building documents without hand-written JSON.
#[derive(Debug, Clone)]
pub struct Statement {
    /// `Allow` or `Deny`.
    pub effect: &'static str,
    /// Actions.
    pub actions: Vec<&'static str>,
    /// Resources.
    pub resources: Vec<Expr>,
    /// Principal (trust policies), e.g. `{"Service": "ec2.amazonaws.com"}`.
    pub principal: Option<Expr>,
    /// Condition block.
    pub condition: Option<Expr>,
}

impl Statement {
    /// Allows `actions` on `resources`.
    pub fn allow(actions: &[&'static str], resources: Vec<Expr>) -> Self {
        Self {
            effect: "Allow",
            actions: actions.to_vec(),
            resources,
            principal: None,
            condition: None,
        }
    }

    /// Lets an AWS service assume the role.
    pub fn trust_service(service: &str) -> Self {
        Self {
            effect: "Allow",
            actions: vec!["sts:AssumeRole"],
            resources: Vec::new(),
            principal: Some(Expr::map([("Service", Expr::from(service))])),
            condition: None,
        }
    }

    fn to_expr(&self) -> Expr {
        let mut entries = vec![
            ("Effect", Expr::from(self.effect)),
            ("Action", Expr::strings(self.actions.iter().copied())),
        ];
        if !self.resources.is_empty() {
            entries.push(("Resource", Expr::List(self.resources.clone())));
        }
        if let Some(p) = &self.principal {
            entries.push(("Principal", p.clone()));
        }
        if let Some(c) = &self.condition {
            entries.push(("Condition", c.clone()));
        }
        Expr::map(entries)
    }
}

/// A policy document (`Version` 2012-10-17) from statements.
pub fn policy_document(statements: &[Statement]) -> Expr {
    Expr::map([
        ("Version", Expr::from("2012-10-17")),
        (
            "Statement",
            Expr::List(statements.iter().map(Statement::to_expr).collect()),
        ),
    ])
}
