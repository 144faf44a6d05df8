//! Where the instances' logs go: two CloudWatch Logs groups, one for the boot script's log and
//! one for the application's output, each with one stream per instance named by its id, kept
//! for `application.log_retention_days`. The instances may write there and nowhere else in
//! CloudWatch Logs (see `role.rs`). They outlive the instances (a failed boot's story survives
//! the rollback that terminates it), and go with the stack.

use cfn_template::resources::logs::LogGroup;
use cfn_template::{DeletionPolicy, Handle, Template, TemplateError};

use crate::naming::Naming;
use crate::settings::ApplicationSettings;

/// The boot log group's logical id.
pub const BOOT_LOG_GROUP_ID: &str = "BootLogGroup";
/// The application log group's logical id.
pub const APP_LOG_GROUP_ID: &str = "AppLogGroup";

/// The two groups.
pub struct LogGroups {
    /// The boot script's log.
    pub boot: Handle<LogGroup>,
    /// The application's output.
    pub app: Handle<LogGroup>,
}

/// Adds both groups.
pub fn add(
    t: &mut Template,
    naming: &Naming,
    app: &ApplicationSettings,
) -> Result<LogGroups, TemplateError> {
    let group = |kind: &str| LogGroup {
        log_group_name: Some(naming.log_group(kind).into()),
        retention_in_days: app.log_retention_days,
        kms_key_id: None,
    };
    let boot = t.add(BOOT_LOG_GROUP_ID, group("boot"))?;
    let app = t.add(APP_LOG_GROUP_ID, group("app"))?;
    // Explicit: the groups go with the stack. Retaining them would make the next deploy of the
    // same environment fail (their names are fixed), and the deployer reads a failed boot's log
    // while the rollback is still running, before the groups are deleted (they are deleted after
    // the instances: the launch template names them).
    for group in [&boot, &app] {
        let options = t.options(group)?;
        options.deletion_policy = Some(DeletionPolicy::Delete);
        options.update_replace_policy = Some(DeletionPolicy::Delete);
    }
    Ok(LogGroups { boot, app })
}
