//! Turns the architecture's stack definitions into the engine's `StackSpec`s: rendered template,
//! dependencies, protected resources, pre-delete parameters, tags, the alarms watching updates
//! (rollback triggers), and for the application stack the build's key and hash. The one place the stacks crate meets the engine.

use anyhow::{Context, Result};
use techchallenge_artifact::Artifact;
use techchallenge_deploy::{Parameter, StackName, StackSpec};
use techchallenge_stacks::application::{ARTIFACT_KEY_PARAMETER, ARTIFACT_SHA256_PARAMETER};
use techchallenge_stacks::{Architecture, StackDefinition, StackRole, tags};

/// The stack name of a definition, as the engine's newtype.
pub fn name(def: &StackDefinition) -> Result<StackName> {
    StackName::new(def.name.clone()).with_context(|| format!("stack name {}", def.name))
}

/// The spec of one stack; `app` fills the application's build and image parameters.
pub fn spec(
    architecture: &Architecture,
    def: &StackDefinition,
    app: &AppInputs<'_>,
) -> Result<StackSpec> {
    let body = def
        .template
        .to_json()
        .with_context(|| format!("rendering {}", def.name))?;
    let mut spec = StackSpec::new(name(def)?, body);
    for (key, value) in tags::common(&architecture.settings) {
        spec = spec.tag(key, value);
    }
    spec = spec.tag(tags::STACK_ROLE_KEY, def.role.as_str());
    for dep in &def.depends_on {
        spec = spec.depends_on(StackName::new(dep.clone())?);
    }
    for used in &def.uses {
        spec = spec.uses(StackName::new(used.clone())?);
    }
    for p in &def.protected {
        spec = spec.protect(p.logical_id, p.reason);
    }
    if def.termination_protection {
        spec = spec.termination_protected();
    }
    // Alarms that roll a bad update back: read by the engine from the deployed stack's outputs.
    spec.rollback_alarm_outputs = def
        .rollback_alarm_outputs
        .iter()
        .map(|key| (*key).to_owned())
        .collect();
    spec.rollback_monitoring_minutes = architecture.settings.monitoring.rollback_window_minutes;
    for (key, value) in &def.parameters {
        spec = spec.parameter(Parameter::new(*key, *value));
    }
    for (key, value) in &def.before_delete_parameters {
        spec = spec.before_delete(Parameter::new(*key, *value));
    }
    for (key, value) in &def.first_create_parameters {
        spec = spec.on_first_create(Parameter::new(*key, *value));
    }
    if def.role == StackRole::Application {
        if let Some(a) = app.artifact {
            spec = spec
                .parameter(Parameter::new(ARTIFACT_KEY_PARAMETER, a.key.clone()))
                .parameter(Parameter::new(ARTIFACT_SHA256_PARAMETER, a.sha256.clone()));
        }
        if let Some(image) = &app.image {
            spec = spec.parameter(image.clone());
        }
    }
    Ok(spec)
}

/// What the deployer decides for the application stack at deploy time: the build and the
/// image (both absent for commands that deploy nothing, such as destroy).
#[derive(Debug, Default)]
pub struct AppInputs<'a> {
    /// The build, hashed and keyed.
    pub artifact: Option<&'a Artifact>,
    /// The `ImageId` parameter.
    pub image: Option<Parameter>,
}

/// Specs of the given roles, in deployment order.
pub fn specs(
    architecture: &Architecture,
    roles: &[StackRole],
    app: &AppInputs<'_>,
) -> Result<Vec<StackSpec>> {
    architecture
        .stacks
        .iter()
        .filter(|d| roles.contains(&d.role))
        .map(|d| spec(architecture, d, app))
        .collect()
}

/// The stack name for a role.
pub fn role_name(architecture: &Architecture, role: StackRole) -> Result<StackName> {
    let def = architecture
        .stack(role)
        .with_context(|| format!("no {role} stack in the architecture"))?;
    name(def)
}
