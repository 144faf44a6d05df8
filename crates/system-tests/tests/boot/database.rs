//! A database of the test's own: a login and database in the local PostgreSQL and a secret in
//! moto holding that login, the way the database-access stack leaves them for the instances,
//! and, once "attached", the database's host and port, as the database stack's secret
//! attachment writes them when RDS has created the instance. Its password is a canary: finding
//! it anywhere but in the secret means it leaked.

use std::process::Command;

use serde_json::json;

use super::helpers::unique_tag;
use techchallenge_system_tests::postgres::admin_url;

use super::services::Services;

/// A login, database and secret of the test's own, dropped at the end.
pub struct TestDatabase {
    /// The administrator's URL, to drop what was created.
    services_url: String,
    pub name: String,
    pub user: String,
    pub password: String,
    pub secret_arn: String,
}

impl TestDatabase {
    /// Creates the login, its database and the secret naming them (without host and port yet).
    pub fn create(services: &Services) -> TestDatabase {
        let tag = unique_tag();
        let password = canary(&tag);
        let name = format!("tc_boot_{tag}");
        let user = format!("tc_boot_user_{tag}");
        services.psql(
            "postgres",
            &format!("CREATE ROLE {user} LOGIN PASSWORD '{password}'"),
        );
        services.psql("postgres", &format!("CREATE DATABASE {name} OWNER {user}"));
        let created = services.moto(
            "CreateSecret",
            &json!({
                "Name": format!("techchallenge-boot-{tag}"),
                "SecretString": json!({"username": user, "password": password}).to_string(),
            }),
        );
        let secret_arn = created["ARN"].as_str().unwrap_or_default().to_owned();
        assert!(
            secret_arn.starts_with("arn:aws:secretsmanager:"),
            "{created}"
        );
        TestDatabase {
            services_url: services.db_url.clone(),
            name,
            user,
            password,
            secret_arn,
        }
    }
}

/// A password distinctive enough that finding it anywhere can only mean it leaked.
fn canary(tag: &str) -> String {
    format!("BootLeakCanary-{tag}-Zq7")
}

impl TestDatabase {
    /// Adds the connection details to the secret, as CloudFormation's secret attachment does
    /// once the RDS instance exists: engine, host, port (a number) and the instance's id.
    pub fn attach(&self, services: &Services, host: &str, port: u16, instance: &str) {
        services.moto(
            "PutSecretValue",
            &json!({
                "SecretId": self.secret_arn,
                "SecretString": json!({
                    "username": self.user,
                    "password": self.password,
                    "engine": "postgres",
                    "host": host,
                    "port": port,
                    "dbInstanceIdentifier": instance,
                })
                .to_string(),
            }),
        );
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if self.services_url.is_empty() {
            return;
        }
        for sql in [
            format!("DROP DATABASE IF EXISTS {} WITH (FORCE)", self.name),
            format!("DROP ROLE IF EXISTS {}", self.user),
        ] {
            let _ = Command::new("psql")
                .args([
                    &admin_url(&self.services_url, "postgres"),
                    "-qAtX",
                    "-c",
                    &sql,
                ])
                .output();
        }
    }
}
