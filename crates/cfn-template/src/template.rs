//! The template itself: parameters, mappings, conditions, resources with their attributes, and
//! outputs, kept in `BTreeMap`s so that the same template always renders to the same bytes.

use std::collections::BTreeMap;
use std::marker::PhantomData;

use serde::Serialize;

use crate::conditions::Mapping;
use crate::error::TemplateError;
use crate::expr::Expr;
use crate::names::LogicalId;
use crate::policy::{DeletionPolicy, ResourceOptions};

/// A typed CloudFormation resource: its properties serialise to the `Properties` block.
pub trait Resource: Serialize {
    /// The CloudFormation type name, e.g. `AWS::EC2::VPC`.
    const TYPE: &'static str;
}

/// A resource added to a template. Only a handle can make a `Ref` or `Fn::GetAtt` to its
/// resource; typed attribute accessors live beside each resource type.
#[derive(Debug)]
pub struct Handle<R> {
    id: LogicalId,
    kind: PhantomData<fn() -> R>,
}

impl<R> Clone for Handle<R> {
    fn clone(&self) -> Self {
        Self {
            id: self.id.clone(),
            kind: PhantomData,
        }
    }
}

impl ResourceOptions {
    /// Adds a `DependsOn` on another resource of the same template (only a handle can name one).
    pub fn depends_on<R>(&mut self, other: &Handle<R>) -> &mut Self {
        self.depends_on.insert(other.id().clone());
        self
    }
}

impl<R> Handle<R> {
    /// The resource's logical id.
    pub fn id(&self) -> &LogicalId {
        &self.id
    }

    /// `Ref` to the resource (what it returns depends on the type: usually its id or name).
    pub fn r#ref(&self) -> Expr {
        Expr::Ref(self.id.to_string())
    }

    /// `Fn::GetAtt` of the resource. Used by the typed accessors of each resource type.
    pub(crate) fn get_att(&self, attribute: &str) -> Expr {
        Expr::GetAtt(self.id.to_string(), attribute.to_owned())
    }
}

/// The type of a template parameter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ParameterType {
    /// `String`
    String,
    /// `Number`
    Number,
    /// An SSM parameter holding an AMI id, resolved by CloudFormation at deploy time: the
    /// way to pick the current Amazon Linux image in every region without hard-coded ids.
    SsmImageId,
    /// An AMI id (`ami-...`), which CloudFormation checks exists in the region.
    ImageId,
}

impl ParameterType {
    fn name(&self) -> &'static str {
        match self {
            ParameterType::String => "String",
            ParameterType::Number => "Number",
            ParameterType::SsmImageId => "AWS::SSM::Parameter::Value<AWS::EC2::Image::Id>",
            ParameterType::ImageId => "AWS::EC2::Image::Id",
        }
    }
}

/// A template parameter.
#[derive(Debug, Clone)]
pub struct Parameter {
    /// Its type.
    pub kind: ParameterType,
    /// What it is for, shown in the console.
    pub description: String,
    /// The value used when the stack gives none.
    pub default: Option<String>,
    /// The only values accepted, if limited.
    pub allowed_values: Vec<String>,
}

impl Parameter {
    /// A parameter of `kind` with a description and no default.
    pub fn new(kind: ParameterType, description: impl Into<String>) -> Self {
        Self {
            kind,
            description: description.into(),
            default: None,
            allowed_values: Vec::new(),
        }
    }

    /// Sets the default value.
    pub fn default_value(mut self, value: impl Into<String>) -> Self {
        self.default = Some(value.into());
        self
    }

    /// Limits the accepted values.
    pub fn allowed<S: Into<String>>(mut self, values: impl IntoIterator<Item = S>) -> Self {
        self.allowed_values = values.into_iter().map(Into::into).collect();
        self
    }
}

/// A parameter added to a template; the only way to `Ref` it.
#[derive(Debug, Clone)]
pub struct ParameterHandle {
    id: LogicalId,
}

impl ParameterHandle {
    /// The parameter's logical id.
    pub fn id(&self) -> &LogicalId {
        &self.id
    }

    /// `Ref` to the parameter's value.
    pub fn r#ref(&self) -> Expr {
        Expr::Ref(self.id.to_string())
    }
}

/// A stack output, optionally exported for other stacks to import.
#[derive(Debug, Clone)]
pub struct Output {
    /// The value.
    pub value: Expr,
    /// What it is.
    pub description: String,
    /// The export name, when other stacks import it.
    pub export: Option<String>,
}

/// One resource as stored in the template: type, rendered properties and attributes.
#[derive(Debug, Clone)]
pub(crate) struct ResourceEntry {
    pub(crate) kind: &'static str,
    pub(crate) properties: serde_json::Value,
    pub(crate) options: ResourceOptions,
}

/// A CloudFormation template under construction.
#[derive(Debug, Clone, Default)]
pub struct Template {
    pub(crate) description: String,
    pub(crate) parameters: BTreeMap<LogicalId, Parameter>,
    pub(crate) mappings: BTreeMap<LogicalId, Mapping>,
    pub(crate) conditions: BTreeMap<LogicalId, Expr>,
    pub(crate) resources: BTreeMap<LogicalId, ResourceEntry>,
    pub(crate) outputs: BTreeMap<LogicalId, Output>,
}

impl Template {
    /// An empty template with a description.
    pub fn new(description: impl Into<String>) -> Self {
        Self {
            description: description.into(),
            ..Self::default()
        }
    }

    /// The template's description.
    pub fn description(&self) -> &str {
        &self.description
    }

    /// Parameters and resources share one namespace; outputs have their own (an output is
    /// often named after the resource it reports).
    fn check_free(&self, id: &LogicalId) -> Result<(), TemplateError> {
        if self.parameters.contains_key(id) || self.resources.contains_key(id) {
            return Err(TemplateError::DuplicateLogicalId(id.to_string()));
        }
        Ok(())
    }

    /// Adds a parameter and returns the handle that refers to it.
    pub fn parameter(
        &mut self,
        id: &str,
        parameter: Parameter,
    ) -> Result<ParameterHandle, TemplateError> {
        let id = LogicalId::new(id)?;
        self.check_free(&id)?;
        self.parameters.insert(id.clone(), parameter);
        Ok(ParameterHandle { id })
    }

    /// Adds a resource and returns the handle that refers to it.
    pub fn add<R: Resource>(&mut self, id: &str, resource: R) -> Result<Handle<R>, TemplateError> {
        let id = LogicalId::new(id)?;
        self.check_free(&id)?;
        let properties = serde_json::to_value(&resource)
            .map_err(|e| TemplateError::Serialise(format!("{id}: {e}")))?;
        self.resources.insert(
            id.clone(),
            ResourceEntry {
                kind: R::TYPE,
                properties,
                options: ResourceOptions::default(),
            },
        );
        Ok(Handle {
            id,
            kind: PhantomData,
        })
    }

    /// The attributes (DependsOn, policies) of a resource already added. A handle from
    /// another template is refused.
    pub fn options<R>(
        &mut self,
        handle: &Handle<R>,
    ) -> Result<&mut ResourceOptions, TemplateError> {
        match self.resources.get_mut(&handle.id) {
            Some(entry) => Ok(&mut entry.options),
            None => Err(TemplateError::DanglingRef {
                from: "resource options".into(),
                target: handle.id.to_string(),
            }),
        }
    }

    /// Keeps a snapshot of a stateful resource when it is deleted or replaced.
    pub fn retain_snapshot<R>(&mut self, handle: &Handle<R>) -> Result<(), TemplateError> {
        let options = self.options(handle)?;
        options.deletion_policy = Some(DeletionPolicy::Snapshot);
        options.update_replace_policy = Some(DeletionPolicy::Snapshot);
        Ok(())
    }

    /// Adds an output.
    pub fn output(&mut self, id: &str, output: Output) -> Result<(), TemplateError> {
        let id = LogicalId::new(id)?;
        if self.outputs.contains_key(&id) {
            return Err(TemplateError::DuplicateLogicalId(id.to_string()));
        }
        self.outputs.insert(id, output);
        Ok(())
    }

    /// The logical ids and types of the resources, in id order.
    pub fn resource_types(&self) -> impl Iterator<Item = (&LogicalId, &'static str)> {
        self.resources.iter().map(|(id, entry)| (id, entry.kind))
    }

    /// The export names of the outputs, in id order.
    pub fn export_names(&self) -> impl Iterator<Item = &str> {
        self.outputs.values().filter_map(|o| o.export.as_deref())
    }
}

impl Parameter {
    pub(crate) fn kind_name(&self) -> &'static str {
        self.kind.name()
    }
}
