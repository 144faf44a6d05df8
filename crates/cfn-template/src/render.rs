//! Rendering a template to JSON or YAML, after checking that every reference in it resolves.
//!
//! Checks run on the rendered value, so they see every `Ref`, `Fn::GetAtt`, `Fn::Sub` variable
//! and `DependsOn` exactly as CloudFormation will, wherever it was written.

use std::collections::BTreeSet;

use serde_json::{Map, Value, json};

use crate::error::TemplateError;
use crate::expr::Pseudo;
use crate::template::Template;

impl Template {
    /// Renders the template to a JSON value after checking its references.
    pub fn to_value(&self) -> Result<Value, TemplateError> {
        if self.resources.is_empty() {
            return Err(TemplateError::NoResources);
        }
        let mut root = Map::new();
        root.insert("AWSTemplateFormatVersion".into(), json!("2010-09-09"));
        root.insert("Description".into(), json!(self.description));
        if !self.parameters.is_empty() {
            let mut parameters = Map::new();
            for (id, p) in &self.parameters {
                let mut entry = Map::new();
                entry.insert("Type".into(), json!(p.kind_name()));
                entry.insert("Description".into(), json!(p.description));
                if let Some(default) = &p.default {
                    entry.insert("Default".into(), json!(default));
                }
                if !p.allowed_values.is_empty() {
                    entry.insert("AllowedValues".into(), json!(p.allowed_values));
                }
                parameters.insert(id.to_string(), Value::Object(entry));
            }
            root.insert("Parameters".into(), Value::Object(parameters));
        }
        if !self.mappings.is_empty() {
            let mappings: Map<String, Value> = self
                .mappings
                .iter()
                .map(|(id, m)| (id.to_string(), json!(m)))
                .collect();
            root.insert("Mappings".into(), Value::Object(mappings));
        }
        if !self.conditions.is_empty() {
            let mut conditions = Map::new();
            for (id, c) in &self.conditions {
                let value = serde_json::to_value(c)
                    .map_err(|e| TemplateError::Serialise(format!("condition {id}: {e}")))?;
                conditions.insert(id.to_string(), value);
            }
            root.insert("Conditions".into(), Value::Object(conditions));
        }
        let mut resources = Map::new();
        for (id, r) in &self.resources {
            let mut entry = Map::new();
            entry.insert("Type".into(), json!(r.kind));
            let o = &r.options;
            if let Some(condition) = &o.condition {
                entry.insert("Condition".into(), json!(condition.as_str()));
            }
            if !o.depends_on.is_empty() {
                let ids: Vec<&str> = o.depends_on.iter().map(|d| d.as_str()).collect();
                entry.insert("DependsOn".into(), json!(ids));
            }
            if let Some(p) = o.deletion_policy {
                entry.insert("DeletionPolicy".into(), json!(p));
            }
            if let Some(p) = o.update_replace_policy {
                entry.insert("UpdateReplacePolicy".into(), json!(p));
            }
            if let Some(signal) = &o.resource_signal {
                entry.insert("CreationPolicy".into(), json!({ "ResourceSignal": signal }));
            }
            if let Some(rolling) = &o.rolling_update {
                entry.insert(
                    "UpdatePolicy".into(),
                    json!({ "AutoScalingRollingUpdate": rolling }),
                );
            }
            if !o.cfn_lint_ignore.is_empty() {
                entry.insert(
                    "Metadata".into(),
                    json!({ "cfn-lint": { "config": { "ignore_checks": o.cfn_lint_ignore } } }),
                );
            }
            if !is_empty_properties(&r.properties) {
                entry.insert("Properties".into(), r.properties.clone());
            }
            resources.insert(id.to_string(), Value::Object(entry));
        }
        root.insert("Resources".into(), Value::Object(resources));
        if !self.outputs.is_empty() {
            let mut outputs = Map::new();
            for (id, o) in &self.outputs {
                let mut entry = Map::new();
                entry.insert("Description".into(), json!(o.description));
                let value = serde_json::to_value(&o.value)
                    .map_err(|e| TemplateError::Serialise(format!("output {id}: {e}")))?;
                entry.insert("Value".into(), value);
                if let Some(export) = &o.export {
                    entry.insert("Export".into(), json!({ "Name": export }));
                }
                outputs.insert(id.to_string(), Value::Object(entry));
            }
            root.insert("Outputs".into(), Value::Object(outputs));
        }
        let root = Value::Object(root);
        check_references(&root)?;
        Ok(root)
    }

    /// Renders the template as pretty-printed JSON (same template, same bytes).
    pub fn to_json(&self) -> Result<String, TemplateError> {
        let value = self.to_value()?;
        let mut text = serde_json::to_string_pretty(&value)
            .map_err(|e| TemplateError::Serialise(e.to_string()))?;
        text.push('\n');
        Ok(text)
    }

    /// Renders the template as YAML, with intrinsic functions in their long form.
    pub fn to_yaml(&self) -> Result<String, TemplateError> {
        let value = self.to_value()?;
        serde_norway::to_string(&value).map_err(|e| TemplateError::Serialise(e.to_string()))
    }
}

fn is_empty_properties(v: &Value) -> bool {
    matches!(v, Value::Null) || v.as_object().is_some_and(Map::is_empty)
}

/// Checks a rendered template: every `Ref`, `Fn::GetAtt`, `Fn::Sub` variable, `DependsOn`,
/// `Fn::FindInMap` and condition (`Fn::If`, a `Condition` attribute, a condition inside
/// another) names something the template defines, and no export name is used twice. Public so that
/// templates from elsewhere (a file on disk) can be checked the same way.
pub fn check_references(template: &Value) -> Result<(), TemplateError> {
    let names = |key: &str| -> BTreeSet<String> {
        template
            .get(key)
            .and_then(Value::as_object)
            .map(|m| m.keys().cloned().collect())
            .unwrap_or_default()
    };
    let parameters = names("Parameters");
    let resources = names("Resources");
    let mappings = names("Mappings");
    let conditions = names("Conditions");
    let scope = Scope {
        parameters: &parameters,
        resources: &resources,
        mappings: &mappings,
        conditions: &conditions,
        in_conditions: false,
    };
    if let Some(all) = template.get("Conditions").and_then(Value::as_object) {
        let in_conditions = Scope {
            in_conditions: true,
            ..scope
        };
        for (id, condition) in all {
            in_conditions.walk(condition, &format!("condition {id}"), &BTreeSet::new())?;
        }
    }

    if let Some(all) = template.get("Resources").and_then(Value::as_object) {
        for (id, resource) in all {
            let from = format!("resource {id}");
            scope.check_condition_attribute(resource, &from)?;
            for key in ["Properties", "Metadata"] {
                if let Some(v) = resource.get(key) {
                    scope.walk(v, &from, &BTreeSet::new())?;
                }
            }
            let depends: Vec<&str> = match resource.get("DependsOn") {
                Some(Value::String(s)) => vec![s.as_str()],
                Some(Value::Array(items)) => items.iter().filter_map(Value::as_str).collect(),
                _ => Vec::new(),
            };
            for target in depends {
                if !resources.contains(target) {
                    return Err(TemplateError::DanglingDependsOn {
                        from,
                        target: target.into(),
                    });
                }
            }
        }
    }
    let mut exports = BTreeSet::new();
    if let Some(all) = template.get("Outputs").and_then(Value::as_object) {
        for (id, output) in all {
            let from = format!("output {id}");
            scope.check_condition_attribute(output, &from)?;
            scope.walk(output, &from, &BTreeSet::new())?;
            if let Some(name) = output.pointer("/Export/Name") {
                let key = serde_json::to_string(name).unwrap_or_default();
                if !exports.insert(key.clone()) {
                    return Err(TemplateError::DuplicateExport(
                        key.trim_matches('"').to_owned(),
                    ));
                }
            }
        }
    }
    Ok(())
}

#[derive(Clone, Copy)]
struct Scope<'a> {
    parameters: &'a BTreeSet<String>,
    resources: &'a BTreeSet<String>,
    mappings: &'a BTreeSet<String>,
    conditions: &'a BTreeSet<String>,
    /// Inside the `Conditions` section, where `{"Condition": NAME}` refers to another condition
    /// (elsewhere a one-key `Condition` map can be an IAM statement's condition block).
    in_conditions: bool,
}

impl Scope<'_> {
    fn walk(&self, v: &Value, from: &str, locals: &BTreeSet<String>) -> Result<(), TemplateError> {
        match v {
            Value::Array(items) => items.iter().try_for_each(|i| self.walk(i, from, locals)),
            Value::Object(map) if map.len() == 1 => {
                let Some((key, arg)) = map.iter().next() else {
                    return Ok(());
                };
                match key.as_str() {
                    "Ref" => self.check_ref(arg, from),
                    "Fn::GetAtt" => self.check_get_att(arg, from),
                    "Fn::Sub" => self.check_sub(arg, from, locals),
                    "Fn::If" => {
                        self.check_named(arg.get(0), self.conditions, from, Dangling::Condition)?;
                        self.walk(arg, from, locals)
                    }
                    "Fn::FindInMap" => {
                        self.check_named(arg.get(0), self.mappings, from, Dangling::Mapping)?;
                        self.walk(arg, from, locals)
                    }
                    "Condition" if self.in_conditions && arg.is_string() => {
                        self.check_named(Some(arg), self.conditions, from, Dangling::Condition)
                    }
                    _ => self.walk(arg, from, locals),
                }
            }
            Value::Object(map) => map.values().try_for_each(|i| self.walk(i, from, locals)),
            _ => Ok(()),
        }
    }

    /// A resource's or output's `Condition` attribute names a condition of the template.
    fn check_condition_attribute(&self, entry: &Value, from: &str) -> Result<(), TemplateError> {
        match entry.get("Condition") {
            Some(name) => self.check_named(Some(name), self.conditions, from, Dangling::Condition),
            None => Ok(()),
        }
    }

    fn check_named(
        &self,
        name: Option<&Value>,
        known: &BTreeSet<String>,
        from: &str,
        kind: Dangling,
    ) -> Result<(), TemplateError> {
        let target = name.and_then(Value::as_str).unwrap_or_default();
        if known.contains(target) {
            return Ok(());
        }
        let (from, target) = (from.to_owned(), target.to_owned());
        Err(match kind {
            Dangling::Condition => TemplateError::DanglingCondition { from, target },
            Dangling::Mapping => TemplateError::DanglingMapping { from, target },
        })
    }

    fn check_ref(&self, arg: &Value, from: &str) -> Result<(), TemplateError> {
        let target = arg.as_str().unwrap_or_default();
        if Pseudo::is_pseudo(target)
            || self.parameters.contains(target)
            || self.resources.contains(target)
        {
            return Ok(());
        }
        Err(TemplateError::DanglingRef {
            from: from.into(),
            target: target.into(),
        })
    }

    fn check_get_att(&self, arg: &Value, from: &str) -> Result<(), TemplateError> {
        let target = arg.get(0).and_then(Value::as_str).unwrap_or_default();
        let attribute = arg.get(1).and_then(Value::as_str).unwrap_or_default();
        if self.resources.contains(target) {
            return Ok(());
        }
        Err(TemplateError::DanglingGetAtt {
            from: from.into(),
            target: target.into(),
            attribute: attribute.into(),
        })
    }

    fn check_sub(
        &self,
        arg: &Value,
        from: &str,
        locals: &BTreeSet<String>,
    ) -> Result<(), TemplateError> {
        let (text, vars) = match arg {
            Value::String(text) => (text.as_str(), None),
            Value::Array(items) => (
                items.first().and_then(Value::as_str).unwrap_or_default(),
                items.get(1),
            ),
            _ => return Ok(()),
        };
        let mut scope_vars = locals.clone();
        if let Some(vars) = vars.and_then(Value::as_object) {
            for (name, value) in vars {
                self.walk(value, from, locals)?;
                scope_vars.insert(name.clone());
            }
        }
        for variable in sub_variables(text).map_err(|()| TemplateError::MalformedSub {
            from: from.into(),
            text: text.into(),
        })? {
            let head = variable.split('.').next().unwrap_or_default();
            let known = Pseudo::is_pseudo(&variable)
                || scope_vars.contains(&variable)
                || self.resources.contains(head)
                || (!variable.contains('.') && self.parameters.contains(&variable));
            if !known {
                return Err(TemplateError::DanglingSubVariable {
                    from: from.into(),
                    variable,
                });
            }
        }
        Ok(())
    }
}

/// What a name given to `check_named` should be.
#[derive(Clone, Copy)]
enum Dangling {
    Condition,
    Mapping,
}

/// The `${Name}` variables of an `Fn::Sub` string, skipping the `${!Literal}` escapes.
fn sub_variables(text: &str) -> Result<Vec<String>, ()> {
    let mut found = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        let after = &rest[start + 2..];
        let end = after.find('}').ok_or(())?;
        let name = &after[..end];
        if !name.starts_with('!') {
            found.push(name.trim().to_owned());
        }
        rest = &after[end + 1..];
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sub_variables_skip_escapes() {
        assert_eq!(
            sub_variables("a ${A} ${!B} ${C.D}").unwrap_or_default(),
            vec!["A".to_owned(), "C.D".to_owned()]
        );
        assert!(sub_variables("broken ${A").is_err());
    }
}
