//! One run of the boot script, set up as on an instance but inside a temporary directory: the
//! release build in a stub S3 bucket, the stubbed commands first on PATH (tests/boot/stubs/),
//! a fake root the script writes into, the metadata server, a database of the test's own, and
//! UserData filled as CloudFormation would. Afterwards it tells what the stubs recorded: the
//! commands called, the CloudFormation signals sent, the files written.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use super::database::TestDatabase;
use super::helpers::{files_under, sha256_of, write_executable};
use super::metadata::serve_metadata;
use super::services::Services;
use super::template::{fill_user_data, user_data_sub};
use super::{BUCKET, INSTANCE_ID, REGION, STACK};

/// The stubbed commands, by name; each records its calls under `state/` (see its header).
pub const STUBS: [(&str, &str); 5] = [
    ("aws", include_str!("stubs/aws")),
    ("id", include_str!("stubs/id")),
    ("useradd", include_str!("stubs/useradd")),
    ("dnf", include_str!("stubs/dnf")),
    ("systemctl", include_str!("stubs/systemctl")),
];

/// The longest a boot may take before it counts as failed.
const BOOT_TIMEOUT: Duration = Duration::from_secs(180);

/// Which build the stack names.
#[derive(Clone, Copy, PartialEq)]
pub enum Build {
    /// The release binary, with its own checksum.
    Real,
    /// The release binary, but the stack names another checksum.
    WrongChecksum,
}

/// Everything one run of the boot script needs, in one temporary directory:
/// `root/` (the fake root), `bin/` (stubs), `buckets/`, `state/` (what the stubs record).
pub struct Boot {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    bin: PathBuf,
    buckets: PathBuf,
    pub state: PathBuf,
    hosts: PathBuf,
    imds_url: String,
    moto_url: String,
    /// The release binary's bytes, which the bucket holds.
    pub build_bytes: Vec<u8>,
    /// The checksum the stack names (not the build's own for [`Build::WrongChecksum`]).
    pub sha256: String,
    /// The build's key in the bucket.
    pub key: String,
    /// The application stack's parameter values, as the deployer passes them.
    pub parameters: BTreeMap<String, String>,
    /// UserData as rendered, placeholders and all.
    pub user_data_template: String,
    /// UserData as the instance gets it.
    pub script: String,
    pub db: TestDatabase,
}

/// How a boot ended.
pub struct RunResult {
    pub success: bool,
    /// The script's stdout and stderr, as cloud-init would log them.
    pub output: String,
}

impl Boot {
    /// Sets up a boot of `build` against `services` (offline ones: no database is created).
    pub fn prepare(services: &Services, build: Build) -> Boot {
        let binary = techchallenge_system_tests::builds::app_binary()
            .expect("the app's release build (the caller checked)");
        let build_bytes = std::fs::read(&binary)
            .unwrap_or_else(|e| panic!("the release binary {}: {e}", binary.display()));
        let real_sha = sha256_of(&binary);
        let sha256 = match build {
            Build::Real => real_sha.clone(),
            Build::WrongChecksum => {
                let wrong = format!("{}1", "0".repeat(63));
                assert_ne!(wrong, real_sha);
                wrong
            }
        };
        // The deployer's key scheme: app/SHA256/FILE (of the build it uploaded).
        let key = format!("app/{real_sha}/TechChallengeApp");

        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
        let at = |p: &str| dir.path().join(p);
        let (root, bin, buckets, state) = (at("root"), at("bin"), at("buckets"), at("state"));
        for d in [
            &root,
            &bin,
            &state,
            &buckets.join(BUCKET).join(format!("app/{real_sha}")),
        ] {
            std::fs::create_dir_all(d).unwrap_or_else(|e| panic!("mkdir {}: {e}", d.display()));
        }
        std::fs::copy(&binary, buckets.join(BUCKET).join(&key))
            .unwrap_or_else(|e| panic!("copy the build into the stub bucket: {e}"));
        for (name, text) in STUBS {
            write_executable(&bin.join(name), text);
        }
        let hosts = at("hosts");
        std::fs::write(
            &hosts,
            format!("127.0.0.1 localhost {}\n", services.cert_name),
        )
        .unwrap_or_else(|e| panic!("write hosts: {e}"));

        let ca = std::fs::read(&services.server_cert).unwrap_or_default();
        let imds_url = serve_metadata(ca);
        let db = if services.db_url.is_empty() {
            TestDatabase::unused()
        } else {
            TestDatabase::create(services)
        };

        let parameters: BTreeMap<String, String> = [
            ("AppArtifactKey", key.clone()),
            ("AppArtifactSha256", sha256.clone()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let imports: BTreeMap<&str, String> = [
            ("ArtifactBucket", BUCKET.to_owned()),
            ("DatabaseEndpoint", services.cert_name.clone()),
            ("DatabasePort", services.db_port.to_string()),
            ("DatabaseName", db.name.clone()),
            ("DatabaseSecretArn", db.secret_arn.clone()),
        ]
        .into_iter()
        .collect();
        let (user_data_template, variables) = user_data_sub();
        let script = fill_user_data(&user_data_template, &variables, &imports, &parameters);
        Boot {
            _dir: dir,
            root,
            bin,
            buckets,
            state,
            hosts,
            imds_url,
            moto_url: services.moto_url.clone(),
            build_bytes,
            sha256,
            key,
            parameters,
            user_data_template,
            script,
            db,
        }
    }

    /// Runs the script as cloud-init would (bash, as root, a minimal environment plus the
    /// test hooks), waiting at most three minutes.
    pub fn run(&self) -> RunResult {
        let script = self.state.join("user-data");
        std::fs::write(&script, &self.script).unwrap_or_else(|e| panic!("write: {e}"));
        let output = self.state.join("user-data.out");
        let out = std::fs::File::create(&output).unwrap_or_else(|e| panic!("create: {e}"));
        let err = out.try_clone().unwrap_or_else(|e| panic!("dup: {e}"));
        let path = format!(
            "{}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
            self.bin.display()
        );
        // On EC2 the instance profile gives credentials and the real endpoints answer; here
        // only the app (through the systemctl stub) talks to moto, so it gets these.
        let app_env = format!(
            "AWS_ENDPOINT_URL={} AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test",
            self.moto_url
        );
        let mut child = Command::new("bash")
            .arg(&script)
            .env_clear()
            .env("PATH", path)
            .env("LANG", "C.UTF-8")
            .env("TECHCHALLENGE_ROOT", &self.root)
            .env("TECHCHALLENGE_IMDS", &self.imds_url)
            .env(
                "TECHCHALLENGE_RDS_CA_URL",
                format!("{}/rds-ca.pem", self.imds_url),
            )
            .env("BOOT_STUB_STATE", &self.state)
            .env("BOOT_STUB_BUCKETS", &self.buckets)
            .env("BOOT_STUB_HOSTS", &self.hosts)
            .env("BOOT_STUB_APP_ENV", app_env)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err)
            .spawn()
            .unwrap_or_else(|e| panic!("run bash: {e}"));
        let started = Instant::now();
        let status = loop {
            match child.try_wait() {
                Ok(Some(status)) => break Some(status),
                Ok(None) if started.elapsed() < BOOT_TIMEOUT => {
                    std::thread::sleep(Duration::from_millis(100));
                }
                _ => {
                    let _ = child.kill();
                    let _ = child.wait();
                    break None;
                }
            }
        };
        let output = std::fs::read_to_string(&output).unwrap_or_default();
        RunResult {
            success: status.is_some_and(|s| s.success()),
            output: match status {
                Some(_) => output,
                None => format!("(timed out after {} s)\n{output}", BOOT_TIMEOUT.as_secs()),
            },
        }
    }

    /// A file the stubs wrote, or "" when there is none.
    pub fn stub_file(&self, name: &str) -> String {
        std::fs::read_to_string(self.state.join(name)).unwrap_or_default()
    }

    /// Every regular file under the fake root, relative to it.
    pub fn written(&self) -> Vec<PathBuf> {
        files_under(&self.root)
            .into_iter()
            .map(|(path, _)| path.strip_prefix(&self.root).unwrap_or(&path).to_path_buf())
            .collect()
    }

    /// The recorded `signal-resource` calls, one argument list each.
    pub fn signals(&self) -> Vec<Vec<String>> {
        self.stub_file("signals")
            .lines()
            .map(|l| l.split_whitespace().map(str::to_owned).collect())
            .collect()
    }
}

/// Asserts that one recorded `signal-resource` call sent `status` to CloudFormation for this
/// instance, the Auto Scaling group's creation policy and the application stack.
pub fn assert_signal(args: &[String], status: &str) {
    let value = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .map(String::as_str)
    };
    assert_eq!(value("--status"), Some(status), "{args:?}");
    assert_eq!(value("--unique-id"), Some(INSTANCE_ID), "{args:?}");
    assert_eq!(value("--logical-resource-id"), Some("AppGroup"), "{args:?}");
    assert_eq!(value("--stack-name"), Some(STACK), "{args:?}");
    assert_eq!(value("--region"), Some(REGION), "{args:?}");
}
