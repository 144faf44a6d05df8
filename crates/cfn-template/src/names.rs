//! Newtype names for the parts of a template, so a logical id cannot be mixed up with a
//! parameter name or an arbitrary string, and an invalid one is refused where it is made.

use std::fmt;

use crate::error::TemplateError;

/// The logical id of a resource, parameter or output: 1 to 255 ASCII letters and digits,
/// as CloudFormation requires.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct LogicalId(String);

impl LogicalId {
    /// Checks `id` against CloudFormation's rule for logical ids.
    pub fn new(id: impl Into<String>) -> Result<Self, TemplateError> {
        let id = id.into();
        let valid =
            !id.is_empty() && id.len() <= 255 && id.chars().all(|c| c.is_ascii_alphanumeric());
        if valid {
            Ok(Self(id))
        } else {
            Err(TemplateError::InvalidLogicalId(id))
        }
    }

    /// The id as written in the template.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for LogicalId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_alphanumeric_ids() {
        assert_eq!(
            LogicalId::new("Vpc1").map(|id| id.to_string()).ok(),
            Some("Vpc1".into())
        );
    }

    #[test]
    fn refuses_punctuation_and_empty_ids() {
        for bad in ["", "my-vpc", "a b", "Vpc_1"] {
            assert!(LogicalId::new(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
