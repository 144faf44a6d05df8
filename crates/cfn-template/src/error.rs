//! Errors raised while building or rendering a template. Each names the offending part so the
//! author can find it without reading the rendered output.

/// What can be wrong with a template.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TemplateError {
    /// A logical id with characters CloudFormation refuses.
    #[error("invalid logical id {0:?}: use 1 to 255 ASCII letters and digits")]
    InvalidLogicalId(String),
    /// Two parameters, resources or outputs with the same logical id.
    #[error(
        "logical id {0} is used twice in the template: parameters and resources share one namespace, outputs another"
    )]
    DuplicateLogicalId(String),
    /// A `Ref` to something the template does not define.
    #[error("{from} refers to {target}, which is not a parameter or resource of this template")]
    DanglingRef {
        /// Where the reference was found (a resource or output id).
        from: String,
        /// The missing name.
        target: String,
    },
    /// A `Fn::GetAtt` on something the template does not define.
    #[error(
        "{from} reads attribute {attribute} of {target}, which is not a resource of this template"
    )]
    DanglingGetAtt {
        /// Where the reference was found.
        from: String,
        /// The missing resource.
        target: String,
        /// The attribute that was read.
        attribute: String,
    },
    /// A `${Name}` in an `Fn::Sub` string that names nothing.
    #[error(
        "{from} substitutes ${{{variable}}}, which is not a parameter, resource, pseudo parameter or Fn::Sub variable"
    )]
    DanglingSubVariable {
        /// Where the substitution was found.
        from: String,
        /// The unknown variable.
        variable: String,
    },
    /// An `Fn::If`, a `Condition` attribute or a `{"Condition": ...}` naming a condition the
    /// template does not define.
    #[error("{from} uses the condition {target}, which is not a condition of this template")]
    DanglingCondition {
        /// Where the use was found.
        from: String,
        /// The missing condition.
        target: String,
    },
    /// An `Fn::FindInMap` in a mapping the template does not define.
    #[error("{from} looks up the mapping {target}, which is not a mapping of this template")]
    DanglingMapping {
        /// Where the lookup was found.
        from: String,
        /// The missing mapping.
        target: String,
    },
    /// A `DependsOn` naming a resource that is not in the template.
    #[error("{from} depends on {target}, which is not a resource of this template")]
    DanglingDependsOn {
        /// The resource with the dependency.
        from: String,
        /// The missing resource.
        target: String,
    },
    /// Two outputs exporting the same name.
    #[error("export name {0} is exported twice: export names must be unique in a region")]
    DuplicateExport(String),
    /// An `Fn::Sub` string that does not parse.
    #[error("{from} has an Fn::Sub string with an unclosed ${{: {text:?}")]
    MalformedSub {
        /// Where the string was found.
        from: String,
        /// The string.
        text: String,
    },
    /// A template with no resources, which CloudFormation refuses.
    #[error("the template has no resources: CloudFormation requires at least one")]
    NoResources,
    /// Serialising the template failed (a bug in a resource's properties).
    #[error("could not serialise the template: {0}")]
    Serialise(String),
}
