//! One boot of one instance, set up the way a deploy leaves the world: the release build in the
//! artifacts bucket under its checksum, a database and a secret of the test's own, a stack in
//! moto whose `AppGroup` waits for the signals the scenario says, and the UserData filled in as
//! CloudFormation would. Each scenario gets a stack and an instance id of its own, so scenarios
//! can run side by side without reading each other's signals.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use techchallenge_system_tests::builds;

use super::database::TestDatabase;
use super::helpers::{sha256_of, unique_tag};
use super::instance::{Instance, InstanceConfig};
use super::metadata::serve_metadata;
use super::services::{Services, Signals};
use super::template::{fill_user_data, user_data_sub};

/// A loopback port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_else(|e| panic!("free port: {e}"))
}

/// The log groups the application stack would create (here: the test's, in moto).
pub const BOOT_LOG_GROUP: &str = "/techchallenge/boottest/boot";
pub const APP_LOG_GROUP: &str = "/techchallenge/boottest/app";

/// The artifacts bucket the build is uploaded to.
pub const BUCKET: &str = "techchallenge-dev-artifacts-boottest";

/// What differs between scenarios.
pub struct Options {
    /// The stack names another checksum than the build's.
    pub wrong_checksum: bool,
    /// The secret the instance is told to read does not exist.
    pub missing_secret: bool,
    /// The database port the instance is told (a proxy's, say); `None`: the real one.
    pub db_port: Option<u16>,
    /// How many signals the stack waits for (0: the instance was launched by scale-out).
    pub awaited_signals: u32,
    /// A shorter boot deadline, in seconds.
    pub boot_deadline: Option<u32>,
    /// A shorter database wait, in seconds.
    pub database_wait: Option<u32>,
    /// Serve on the real port 3000 (one scenario at a time) rather than a free one of its own.
    pub port_3000: bool,
    /// The database does not exist yet when the instance boots (the environment's first
    /// create): the test creates it, and attaches it to the secret, with [`Boot::create_database`].
    pub database_later: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            wrong_checksum: false,
            missing_secret: false,
            db_port: None,
            awaited_signals: 1,
            boot_deadline: None,
            database_wait: None,
            port_3000: false,
            database_later: false,
        }
    }
}

/// Everything one boot needs and leaves behind.
pub struct Boot<'s> {
    services: &'s Services,
    pub db: TestDatabase,
    /// The application stack this instance belongs to (its own, in moto).
    pub stack: String,
    /// The instance id the metadata server gives.
    pub instance_id: String,
    /// The release build's bytes, as the bucket holds them.
    pub build_bytes: Vec<u8>,
    /// The checksum the stack names.
    pub sha256: String,
    /// The build's key in the bucket.
    pub key: String,
    /// The port the app listens on.
    pub port: u16,
    /// The application stack's parameter values, as the deployer passes them.
    pub parameters: BTreeMap<String, String>,
    /// UserData as rendered, placeholders and all.
    pub user_data_template: String,
    /// UserData as the instance gets it.
    pub script: String,
    pub instance: Instance,
    /// The RDS instance the boot script waits for (the test's own, in moto).
    pub db_instance: String,
    db_port: u16,
    started: Option<Instant>,
}

impl<'s> Boot<'s> {
    /// Sets the world up for one boot and creates the instance (not started yet).
    pub fn prepare(services: &'s Services, options: Options) -> Boot<'s> {
        let binary: PathBuf = builds::app_binary().expect("the app's release build");
        let build_bytes = std::fs::read(&binary)
            .unwrap_or_else(|e| panic!("the release binary {}: {e}", binary.display()));
        let real_sha = sha256_of(&binary);
        let key = format!("app/{real_sha}/TechChallengeApp");
        // Once per test binary: the key is the same for every scenario (and moto answers 500 to
        // two uploads of one key at the same moment).
        static UPLOADED: std::sync::Once = std::sync::Once::new();
        UPLOADED.call_once(|| services.s3_put(BUCKET, &key, &build_bytes));
        let sha256 = if options.wrong_checksum {
            "0".repeat(64)
        } else {
            real_sha
        };
        let tag = unique_tag();
        let stack = format!("techchallenge-boot-{tag}");
        services.create_stack(&stack);
        if options.awaited_signals > 0 {
            services.await_signals(&stack, options.awaited_signals);
        }
        let instance_id = format!("i-{tag}");
        let mut db = TestDatabase::create(services);
        if options.missing_secret {
            db.secret_arn = format!(
                "arn:aws:secretsmanager:us-east-1:123456789012:secret:techchallenge-missing-{tag}-AbCdEf"
            );
        }
        let parameters: BTreeMap<String, String> = [
            ("AppArtifactKey", key.clone()),
            ("AppArtifactSha256", sha256.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let db_port = options.db_port.unwrap_or(services.db_port);
        let db_instance = format!("tc-boot-{tag}");
        if !options.database_later {
            services.create_db_instance(&db_instance);
            if !options.missing_secret {
                db.attach(services, &services.cert_name, db_port, &db_instance);
            }
        }
        let literals: BTreeMap<&str, String> = [("DbInstance", db_instance.clone())].into();
        let imports: BTreeMap<&str, String> = [
            ("ArtifactBucket", BUCKET.to_owned()),
            ("DatabaseName", db.name.clone()),
            ("DatabaseSecretArn", db.secret_arn.clone()),
        ]
        .into_iter()
        .collect();
        let refs: BTreeMap<&str, String> = [
            ("BootLogGroup", BOOT_LOG_GROUP.to_owned()),
            ("AppLogGroup", APP_LOG_GROUP.to_owned()),
        ]
        .into_iter()
        .collect();
        static LOG_GROUPS: std::sync::Once = std::sync::Once::new();
        LOG_GROUPS.call_once(|| {
            for group in [BOOT_LOG_GROUP, APP_LOG_GROUP] {
                services.create_log_group(group);
            }
        });
        let (user_data_template, variables) = user_data_sub();
        let script = fill_user_data(
            &user_data_template,
            &variables,
            &imports,
            &refs,
            &literals,
            &parameters,
            &stack,
        );
        let ca = std::fs::read(&services.server_cert).unwrap_or_default();
        let imds_url = serve_metadata(ca, instance_id.clone());
        let port = if options.port_3000 { 3000 } else { free_port() };
        let instance = Instance::create(&InstanceConfig {
            user_data: script.clone(),
            moto_url: services.moto_url.clone(),
            imds_url,
            hosts: vec![services.cert_name.clone()],
            boot_deadline: options.boot_deadline,
            database_wait: options.database_wait,
            app_port: (!options.port_3000).then_some(port),
        });
        Boot {
            services,
            db,
            stack,
            instance_id,
            build_bytes,
            sha256,
            key,
            port,
            parameters,
            user_data_template,
            script,
            instance,
            db_instance,
            db_port,
            started: None,
        }
    }

    /// Starts the instance and waits up to `limit` for its boot script to end; whether the
    /// script succeeded.
    pub fn boot(&mut self, limit: Duration) -> bool {
        self.started = Some(Instant::now());
        self.instance.start();
        self.wait(limit)
    }

    /// Starts the instance without waiting for its boot to end.
    pub fn start(&mut self) {
        self.started = Some(Instant::now());
        self.instance.launch();
    }

    /// What RDS and CloudFormation do when the database stack's instance is created: the
    /// instance exists, and the secret attachment writes its host and port into the secret.
    pub fn create_database(&self) {
        self.services.create_db_instance(&self.db_instance);
        self.db.attach(
            self.services,
            &self.services.cert_name,
            self.db_port,
            &self.db_instance,
        );
    }

    /// Waits up to `limit` for the boot script (started with [`Boot::start`]) to end; whether it
    /// succeeded.
    pub fn wait(&mut self, limit: Duration) -> bool {
        let ok = self.instance.wait_for_boot_script(limit);
        eprintln!(
            "{}: boot script {} after {:?}",
            self.instance_id,
            if ok { "succeeded" } else { "failed" },
            self.elapsed()
        );
        ok
    }

    /// Time since the boot started.
    pub fn elapsed(&self) -> Duration {
        self.started.map(|s| s.elapsed()).unwrap_or_default()
    }

    /// The boot script's log.
    pub fn boot_log(&self) -> String {
        self.instance.file("/var/log/techchallenge-boot.log")
    }

    /// The boot log as CloudWatch Logs (moto) received it from the instance.
    pub fn shipped_boot_log(&self) -> Vec<String> {
        self.services.log_events(BOOT_LOG_GROUP, &self.instance_id)
    }

    /// What CloudFormation (moto) heard from this scenario's stack.
    pub fn signals(&self) -> Signals {
        self.services.signals(&self.stack)
    }

    /// The signal statuses CloudFormation took from this instance, in order.
    pub fn received(&self) -> Vec<String> {
        self.signals()
            .received
            .into_iter()
            .inspect(|(_, id)| assert_eq!(id, &self.instance_id, "signals carry the instance id"))
            .map(|(status, _)| status)
            .collect()
    }

    /// A diagnosis for assertion messages: the boot log, the app's journal, the console.
    pub fn story(&self) -> String {
        format!(
            "--- boot log\n{}\n--- techchallenge.service\n{}\n--- app.log\n{}\n--- cloud-init output\n{}",
            self.boot_log(),
            self.instance.journal("techchallenge.service"),
            self.instance.file("/var/log/techchallenge/app.log"),
            self.instance.file("/var/log/cloud-init-output.log"),
        )
    }
}
