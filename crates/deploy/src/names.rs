//! Newtypes for the AWS identifiers the engine passes around, so a stack name cannot be handed
//! where a logical id or an export name is expected, and invalid stack names are refused early.

use std::fmt;

use serde::Serialize;

macro_rules! identifier {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
        #[serde(transparent)]
        pub struct $name(String);

        impl $name {
            /// The identifier as CloudFormation spells it.
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
    };
}

identifier!(
    /// A CloudFormation stack name, e.g. `dev-network`: a letter, then letters, digits and hyphens, at most 128.
    StackName
);
identifier!(
    /// A resource's logical id inside a template, e.g. `Database`.
    LogicalId
);
identifier!(
    /// The name of a stack export, read by other stacks through `Fn::ImportValue`.
    ExportName
);
identifier!(
    /// The name or ARN of a change set.
    ChangeSetId
);
identifier!(
    /// A `ClientRequestToken`: ties a stack operation to the events it causes.
    RequestToken
);

/// An identifier that breaks AWS's rules, refused before any API call.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} {value:?}: must be {rule}")]
pub struct InvalidName {
    /// What kind of identifier.
    pub kind: &'static str,
    /// The value given.
    pub value: String,
    /// The rule it breaks.
    pub rule: &'static str,
}

impl StackName {
    /// Checks the name against CloudFormation's rule so a typo fails before any API call.
    pub fn new(name: impl Into<String>) -> Result<Self, InvalidName> {
        let name = name.into();
        let mut chars = name.chars();
        let valid = matches!(chars.next(), Some(c) if c.is_ascii_alphabetic())
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '-')
            && name.len() <= 128;
        if valid {
            Ok(Self(name))
        } else {
            Err(InvalidName {
                kind: "stack name",
                value: name,
                rule: "a letter, then letters, digits and hyphens, at most 128 characters",
            })
        }
    }
}

impl LogicalId {
    /// Wraps a logical id; CloudFormation accepts only alphanumerics, checked when the template is.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }
}

impl ExportName {
    /// Wraps an export name.
    pub fn new(name: impl Into<String>) -> Self {
        Self(name.into())
    }
}

impl ChangeSetId {
    /// Wraps a change set name or ARN.
    pub fn new(id: impl Into<String>) -> Self {
        Self(id.into())
    }
}

impl RequestToken {
    /// Wraps a request token (letters, digits and hyphens, at most 128 characters).
    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stack_names_follow_cloudformation_rules() {
        assert!(StackName::new("dev-network").is_ok());
        assert!(StackName::new("1abc").is_err());
        assert!(StackName::new("dev_network").is_err());
        assert!(StackName::new("").is_err());
        assert!(StackName::new("a".repeat(129)).is_err());
    }
}
