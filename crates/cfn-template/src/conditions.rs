//! The template's `Mappings` and `Conditions`: what lets one template behave differently by
//! region without naming the region anywhere else (a table keyed by region, looked up with
//! `Fn::FindInMap`; a condition that decides whether a resource exists or which value applies).
//!
//! As with resources, only a handle can refer to a mapping or a condition, and rendering refuses
//! a reference that still dangles.

use std::collections::BTreeMap;

use crate::error::TemplateError;
use crate::expr::Expr;
use crate::names::LogicalId;
use crate::policy::ResourceOptions;
use crate::template::Template;

/// A two-level table of literal strings (`TOP-LEVEL KEY → NAME → VALUE`), e.g. region → account.
pub type Mapping = BTreeMap<String, BTreeMap<String, String>>;

/// A mapping added to a template; the only way to look a value up in it.
#[derive(Debug, Clone)]
pub struct MappingHandle {
    id: LogicalId,
}

impl MappingHandle {
    /// The mapping's logical id.
    pub fn id(&self) -> &LogicalId {
        &self.id
    }

    /// `Fn::FindInMap [MAP, top, name]`. CloudFormation fails the stack operation when the key
    /// is missing, so a lookup keyed by something not in the table (a region it does not list)
    /// belongs in a resource whose condition says the key is there.
    pub fn find(&self, top: impl Into<Expr>, name: &str) -> Expr {
        Expr::FindInMap(
            self.id.to_string(),
            Box::new(top.into()),
            Box::new(Expr::from(name)),
        )
    }
}

/// A condition added to a template; the only way to use it.
#[derive(Debug, Clone)]
pub struct ConditionHandle {
    id: LogicalId,
}

impl ConditionHandle {
    /// The condition's logical id.
    pub fn id(&self) -> &LogicalId {
        &self.id
    }

    /// `Fn::If`: `then` where the condition holds, `otherwise` elsewhere.
    pub fn choose(&self, then: impl Into<Expr>, otherwise: impl Into<Expr>) -> Expr {
        Expr::If(
            self.id.to_string(),
            Box::new(then.into()),
            Box::new(otherwise.into()),
        )
    }

    /// `{"Condition": NAME}`: this condition inside another one.
    pub fn as_condition(&self) -> Expr {
        Expr::Condition(self.id.to_string())
    }
}

impl ResourceOptions {
    /// Creates the resource only where `condition` holds (its `Condition` attribute).
    /// CloudFormation ignores a resource whose condition is false entirely, lookups included.
    pub fn only_if(&mut self, condition: &ConditionHandle) -> &mut Self {
        self.condition = Some(condition.id.clone());
        self
    }
}

impl Template {
    /// Adds a mapping and returns the handle that looks values up in it. Mappings have a
    /// namespace of their own.
    pub fn mapping(&mut self, id: &str, mapping: Mapping) -> Result<MappingHandle, TemplateError> {
        let id = LogicalId::new(id)?;
        if self.mappings.contains_key(&id) {
            return Err(TemplateError::DuplicateLogicalId(id.to_string()));
        }
        self.mappings.insert(id.clone(), mapping);
        Ok(MappingHandle { id })
    }

    /// Adds a condition (`Fn::Equals`, `Fn::Not`, `Fn::Or` and other conditions, over
    /// parameters, pseudo parameters and mappings) and returns its handle. Conditions have a
    /// namespace of their own.
    pub fn condition(
        &mut self,
        id: &str,
        condition: Expr,
    ) -> Result<ConditionHandle, TemplateError> {
        let id = LogicalId::new(id)?;
        if self.conditions.contains_key(&id) {
            return Err(TemplateError::DuplicateLogicalId(id.to_string()));
        }
        self.conditions.insert(id.clone(), condition);
        Ok(ConditionHandle { id })
    }
}
