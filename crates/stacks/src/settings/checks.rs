//! [`Settings::validate`]: one check per key, each saying what is accepted.

use super::{Settings, SettingsError};

/// The retention periods CloudWatch Logs accepts.
const LOG_RETENTION_DAYS: [u32; 22] = [
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922,
    3288, 3653,
];

fn invalid(key: &'static str, value: impl ToString, reason: impl Into<String>) -> SettingsError {
    SettingsError {
        key,
        value: value.to_string(),
        reason: reason.into(),
    }
}

impl Settings {
    /// Checks every value against what the architecture and AWS accept; the first problem is
    /// returned, naming its key.
    pub fn validate(&self) -> Result<(), SettingsError> {
        validate(self)
    }
}

fn validate(s: &Settings) -> Result<(), SettingsError> {
    let env = &s.environment;
    let env_ok = (1..=20).contains(&env.len())
        && env.starts_with(|c: char| c.is_ascii_lowercase())
        && env
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !env.ends_with('-')
        && !env.contains("--");
    if !env_ok {
        return Err(invalid(
            "environment",
            format!("{env:?}"),
            "use 1 to 20 lower-case letters, digits and single hyphens, starting with a letter \
             (it becomes part of stack, load balancer and database names)",
        ));
    }
    check_cidr(&s.network.vpc_cidr)?;
    crate::tags::check(&s.tags)?;

    let db = &s.database;
    if !db.instance_class.starts_with("db.") || db.instance_class.split('.').count() != 3 {
        return Err(invalid(
            "database.instance_class",
            format!("{:?}", db.instance_class),
            "use an RDS instance class such as db.t4g.micro or db.m7g.large",
        ));
    }
    if !(20..=65536).contains(&db.allocated_storage_gib) {
        return Err(invalid(
            "database.allocated_storage_gib",
            db.allocated_storage_gib,
            "use 20 to 65536 (GiB, gp3 storage)",
        ));
    }
    let (major, minor) = match db.engine_version.split_once('.') {
        Some((major, minor)) => (major, Some(minor)),
        None => (db.engine_version.as_str(), None),
    };
    let version_ok = matches!(major, "14" | "15" | "16" | "17" | "18")
        && minor.is_none_or(|m| !m.is_empty() && m.chars().all(|c| c.is_ascii_digit()));
    if !version_ok {
        return Err(invalid(
            "database.engine_version",
            format!("{:?}", db.engine_version),
            "use a PostgreSQL major version RDS offers for new instances, 14 to 18 (e.g. 17: RDS \
             picks its current minor and upgrades minors automatically), or MAJOR.MINOR to pin one \
             (RDS stops creating old minors after about a year)",
        ));
    }
    if !(1..=35).contains(&db.backup_retention_days) {
        return Err(invalid(
            "database.backup_retention_days",
            db.backup_retention_days,
            "use 1 to 35 days",
        ));
    }

    let app = &s.application;
    check_instance_type(&app.instance_type)?;
    if app.min_instances < 2 {
        return Err(invalid(
            "application.min_instances",
            app.min_instances,
            "use at least 2, so that each availability zone keeps an instance",
        ));
    }
    if app.max_instances <= app.min_instances || app.max_instances > 100 {
        return Err(invalid(
            "application.max_instances",
            app.max_instances,
            format!(
                "use {} to 100: more than application.min_instances ({}), because a rolling \
                 update keeps min_instances in service while it adds new ones (CloudFormation \
                 requires MinInstancesInService below MaxSize)",
                app.min_instances + 1,
                app.min_instances
            ),
        ));
    }
    if !(app.min_instances..=app.max_instances).contains(&app.desired_instances) {
        return Err(invalid(
            "application.desired_instances",
            app.desired_instances,
            format!(
                "use a value between min_instances ({}) and max_instances ({})",
                app.min_instances, app.max_instances
            ),
        ));
    }
    if !(10..=90).contains(&app.target_cpu_percent) {
        return Err(invalid(
            "application.target_cpu_percent",
            app.target_cpu_percent,
            "use 10 to 90",
        ));
    }
    if !(10..=100_000).contains(&app.target_requests_per_instance) {
        return Err(invalid(
            "application.target_requests_per_instance",
            app.target_requests_per_instance,
            "use 10 to 100000 (requests per instance per minute the group scales to keep)",
        ));
    }
    if !LOG_RETENTION_DAYS.contains(&app.log_retention_days) {
        return Err(invalid(
            "application.log_retention_days",
            app.log_retention_days,
            "use one of the periods CloudWatch Logs offers: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, \
             180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288 or 3653 days",
        ));
    }
    check_monitoring(s)?;
    if let Some(arn) = &app.certificate_arn {
        if !(arn.starts_with("arn:") && arn.contains(":acm:") && arn.contains(":certificate/")) {
            return Err(invalid(
                "application.certificate_arn",
                format!("{arn:?}"),
                "use the ARN of an ACM certificate in the deployment's region (arn:aws:acm:REGION:ACCOUNT:certificate/ID)",
            ));
        }
    }
    Ok(())
}

/// The alarm notifications' address and the rollback watch's window.
fn check_monitoring(s: &Settings) -> Result<(), SettingsError> {
    let m = &s.monitoring;
    if let Some(email) = &m.notification_email
        && !is_email(email)
    {
        return Err(invalid(
            "monitoring.notification_email",
            format!("{email:?}"),
            "use one e-mail address such as ops@example.com (SNS sends it a confirmation first), \
             or leave it out to notify nobody",
        ));
    }
    if m.rollback_window_minutes > 180 {
        return Err(invalid(
            "monitoring.rollback_window_minutes",
            m.rollback_window_minutes,
            "use 0 to 180 (minutes CloudFormation keeps watching the alarms after an update; \
             180 is its limit)",
        ));
    }
    Ok(())
}

/// The shape of one address SNS accepts: `LOCAL@DOMAIN`, 254 characters at most, no spaces,
/// a domain of dot-separated labels with at least one dot. Whether it exists is for the
/// confirmation mail to find out.
fn is_email(email: &str) -> bool {
    let Some((local, domain)) = email.split_once('@') else {
        return false;
    };
    let label_ok = |l: &str| {
        !l.is_empty()
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
    };
    email.len() <= 254
        && !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~.".contains(c))
        && domain.contains('.')
        && domain.split('.').all(label_ok)
}

/// An EC2 instance type (`FAMILY.SIZE`) of the x86_64 architecture the AMI and the build are
/// for. Graviton types (`a1`, and families whose letters after the generation include `g`:
/// `t4g`, `m7g`, `c7gn`, `x2gd`, `im4gn`, ...) are refused by name, before AWS refuses the launch.
fn check_instance_type(instance_type: &str) -> Result<(), SettingsError> {
    let bad = |reason: String| {
        Err(invalid(
            "application.instance_type",
            format!("{instance_type:?}"),
            reason,
        ))
    };
    let Some((family, size)) = instance_type.split_once('.') else {
        return bad("use an x86_64 EC2 instance type such as t3.micro or m7i.large".into());
    };
    let well_formed = !size.is_empty()
        && !size.contains('.')
        && family.starts_with(|c: char| c.is_ascii_lowercase())
        && family
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && family.contains(|c: char| c.is_ascii_digit())
        && family != "db";
    if !well_formed {
        return bad("use an x86_64 EC2 instance type such as t3.micro or m7i.large".into());
    }
    let after_generation = family
        .trim_start_matches(|c: char| c.is_ascii_lowercase())
        .trim_start_matches(|c: char| c.is_ascii_digit());
    if family == "a1" || after_generation.contains('g') {
        return bad(format!(
            "{family} is a Graviton (arm64) family, but the AMI and the application build are \
             x86_64 and an instance of it could not start them: use an x86_64 type such as \
             t3.micro, m7i.large or c7i.large"
        ));
    }
    Ok(())
}

fn check_cidr(cidr: &str) -> Result<(), SettingsError> {
    let bad = || {
        invalid(
            "network.vpc_cidr",
            format!("{cidr:?}"),
            "use a private /16 range such as 10.0.0.0/16 (its first four /24s become the subnets)",
        )
    };
    let (addr, prefix) = cidr.split_once('/').ok_or_else(bad)?;
    let octets: Vec<u8> = addr
        .split('.')
        .map(str::parse)
        .collect::<Result<_, _>>()
        .map_err(|_| bad())?;
    let private = match octets.as_slice() {
        [10, ..] => true,
        [172, b, ..] => (16..=31).contains(b),
        [192, 168, ..] => true,
        _ => false,
    };
    if octets.len() != 4 || prefix != "16" || !private || octets[2] != 0 || octets[3] != 0 {
        return Err(bad());
    }
    Ok(())
}
