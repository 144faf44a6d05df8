//! The whole architecture for one set of settings: the five stacks, in dependency order, each
//! with its name, template, dependencies and the resources the deploy engine must never
//! replace or delete without an explicit data-loss flag.

use cfn_template::{Template, TemplateError};

use crate::naming::{Naming, StackRole};
use crate::rules::{RenderedStack, StackGuards};
use crate::settings::Settings;
use crate::{application, artifacts, database, database_access, network};

/// A resource whose replacement or deletion loses data, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProtectedResource {
    /// Its logical id in the stack.
    pub logical_id: &'static str,
    /// What would be lost.
    pub reason: &'static str,
}

/// One stack of the architecture, ready to render or deploy.
#[derive(Debug, Clone)]
pub struct StackDefinition {
    /// Which stack.
    pub role: StackRole,
    /// Its CloudFormation stack name.
    pub name: String,
    /// Its template.
    pub template: Template,
    /// Names of the stacks it imports from (deployed before it, deleted after it).
    pub depends_on: Vec<String>,
    /// Names of the stacks it uses at run time without importing from them (they must exist
    /// or be deployed with it; they are not deleted while it exists): the application uses the
    /// database, which it finds through the secret.
    pub uses: Vec<String>,
    /// Resources guarded against replacement and deletion: by the deployer's data-loss check,
    /// and by a stack policy CloudFormation enforces on every update.
    pub protected: Vec<ProtectedResource>,
    /// Keys of the stack's outputs whose values are CloudWatch alarm ARNs that CloudFormation
    /// watches during the stack's updates (rollback triggers): an update during which one of
    /// them goes into ALARM is rolled back. Read from the deployed stack, so a first create (the
    /// alarms do not exist yet) is not watched.
    pub rollback_alarm_outputs: Vec<&'static str>,
    /// CloudFormation termination protection: on for every stack that holds state or that a
    /// stack holding state is built on (all but the application's), lifted only by `destroy`.
    pub termination_protection: bool,
    /// Parameter values the deployer passes explicitly on every deploy (the build's key and
    /// hash are added by the deployer; the others keep their template defaults).
    pub parameters: Vec<(&'static str, &'static str)>,
    /// Parameters `destroy` applies before deleting the stack (after the user confirms).
    pub before_delete_parameters: Vec<(&'static str, &'static str)>,
    /// Parameters with other values for the stack's first create, applied as usual right
    /// after it (the database is created unprotected so that a failed create can roll back).
    pub first_create_parameters: Vec<(&'static str, &'static str)>,
}

/// The five stacks for one environment.
#[derive(Debug, Clone)]
pub struct Architecture {
    /// The settings it was built from.
    pub settings: Settings,
    /// The stacks in deployment order: network, artifacts, database access, database,
    /// application.
    pub stacks: Vec<StackDefinition>,
}

impl Architecture {
    /// Builds every stack from validated settings.
    pub fn new(settings: &Settings) -> Result<Self, TemplateError> {
        let naming = Naming::new(&settings.environment);
        let mut stacks = Vec::new();
        for role in StackRole::ALL {
            let template = match role {
                StackRole::Network => network::template(settings, &naming)?,
                StackRole::Artifacts => artifacts::template(settings, &naming)?,
                StackRole::DatabaseAccess => database_access::template(&naming)?,
                StackRole::Database => database::template(settings, &naming)?,
                StackRole::Application => application::template(settings, &naming)?,
            };
            stacks.push(StackDefinition {
                role,
                name: naming.stack_name(role),
                template,
                depends_on: role
                    .depends_on()
                    .iter()
                    .map(|d| naming.stack_name(*d))
                    .collect(),
                uses: match role {
                    StackRole::Application => vec![naming.stack_name(StackRole::Database)],
                    _ => Vec::new(),
                },
                protected: protected_resources(role),
                termination_protection: role != StackRole::Application,
                rollback_alarm_outputs: match role {
                    StackRole::Application => application::alarms::ROLLBACK_ALARM_OUTPUTS.to_vec(),
                    _ => Vec::new(),
                },
                parameters: match role {
                    StackRole::Database => vec![(database::DELETION_PROTECTION_PARAMETER, "true")],
                    _ => Vec::new(),
                },
                before_delete_parameters: match role {
                    StackRole::Database => vec![(database::DELETION_PROTECTION_PARAMETER, "false")],
                    _ => Vec::new(),
                },
                first_create_parameters: match role {
                    StackRole::Database => vec![(database::DELETION_PROTECTION_PARAMETER, "false")],
                    _ => Vec::new(),
                },
            });
        }
        Ok(Self {
            settings: settings.clone(),
            stacks,
        })
    }

    /// Every stack rendered to JSON values, as `rules::check` takes them.
    pub fn rendered(&self) -> Result<Vec<RenderedStack>, TemplateError> {
        self.stacks
            .iter()
            .map(|s| {
                Ok(RenderedStack {
                    name: s.name.clone(),
                    template: s.template.to_value()?,
                    guards: Some(StackGuards {
                        termination_protection: s.termination_protection,
                        protected: s
                            .protected
                            .iter()
                            .map(|p| p.logical_id.to_owned())
                            .collect(),
                        rollback_alarm_outputs: s
                            .rollback_alarm_outputs
                            .iter()
                            .map(|key| (*key).to_owned())
                            .collect(),
                    }),
                })
            })
            .collect()
    }

    /// The stack with this role.
    pub fn stack(&self, role: StackRole) -> Option<&StackDefinition> {
        self.stacks.iter().find(|s| s.role == role)
    }
}

fn protected_resources(role: StackRole) -> Vec<ProtectedResource> {
    match role {
        StackRole::Network => ["PrivateSubnetA", "PrivateSubnetB"]
            .into_iter()
            .map(|logical_id| ProtectedResource {
                logical_id,
                reason: "the database lives in this subnet: replacing it replaces the database",
            })
            .collect(),
        StackRole::Database => vec![ProtectedResource {
            logical_id: database::DATABASE_ID,
            reason: "replacing or deleting the database instance loses every task stored since the last snapshot",
        }],
        StackRole::DatabaseAccess => vec![
            ProtectedResource {
                logical_id: database_access::SECRET_ID,
                reason: "replacing the secret changes the master password and locks the application out",
            },
            ProtectedResource {
                logical_id: database_access::SUBNET_GROUP_ID,
                reason: "replacing the subnet group replaces the database instance",
            },
        ],
        StackRole::Artifacts | StackRole::Application => Vec::new(),
    }
}
