//! One EC2 instance, as far as its boot can tell: a `systemd-nspawn` container with a real
//! systemd (252, the version Amazon Linux 2023 ships) as PID 1, booted from the root file system
//! `scripts/lib/boot-rootfs.sh` builds, through an overlay so that every instance starts fresh,
//! keeps its disk across a reboot, and leaves the base untouched.
//!
//! What stands in for EC2, and why:
//! - cloud-init: `cloud-final.service` runs the UserData script once per instance as root, after
//!   the network is up, logging to `/var/log/cloud-init-output.log` (cloud-init's scripts_user
//!   semaphore does the same; cloud-init itself cannot run outside EC2 without its datasource);
//! - the instance profile: moto's test credentials and endpoint in every unit's environment
//!   (`DefaultEnvironment`), as the SDKs would otherwise fetch credentials from IMDS;
//! - IMDS and the RDS CA bundle: the test's metadata server on loopback, named by the boot
//!   script's test hooks, and the database's name in `/etc/hosts`.
//!
//! The container shares the host's network, so loopback services (PostgreSQL, moto, the
//! metadata server) are reachable, and the app's port is the host's: instances running side by
//! side each get a port of their own through the boot script's test hook.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Once;
use std::time::{Duration, Instant};

use super::helpers::unique_tag;

/// How an instance is set up before its first boot.
pub struct InstanceConfig {
    /// The UserData script, placeholders filled.
    pub user_data: String,
    /// moto's endpoint: every AWS call goes there.
    pub moto_url: String,
    /// The metadata server's base URL (IMDSv2 and the CA bundle at `/rds-ca.pem`).
    pub imds_url: String,
    /// Names that resolve to loopback (the database's certificate name).
    pub hosts: Vec<String>,
    /// The boot deadline in seconds, when the test shortens it.
    pub boot_deadline: Option<u32>,
    /// The app's port, when not 3000 (instances share the host's network).
    pub app_port: Option<u16>,
    /// The database wait in seconds, when the test shortens it.
    pub database_wait: Option<u32>,
}

/// A unit's state, as `systemctl show` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitState {
    pub active: String,
    pub sub: String,
    pub result: String,
    pub restarts: u32,
    pub main_pid: u32,
}

/// One container. Stopped (and its overlay unmounted) when dropped.
pub struct Instance {
    _dir: tempfile::TempDir,
    /// The instance's root, as the host sees it.
    pub root: PathBuf,
    /// The overlay's upper layer: every file the instance wrote (`None` after a copy fallback).
    upper: Option<PathBuf>,
    name: String,
    console: PathBuf,
    nspawn: Option<Child>,
    leader: u32,
}

/// The base root file system.
fn base_rootfs() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/boot-rootfs")
}

/// What `systemd-nspawn` needs from the host, set up once: a tmpfs at /run/systemd/nspawn (it
/// refuses to work without one) and a system D-Bus.
fn prepare_host() {
    static PREPARED: Once = Once::new();
    PREPARED.call_once(|| {
        let mountpoint = "/run/systemd/nspawn";
        let _ = std::fs::create_dir_all(mountpoint);
        if !run(Command::new("mountpoint").args(["-q", mountpoint]))
            .status
            .success()
        {
            let out = run(Command::new("mount").args(["-t", "tmpfs", "tmpfs", mountpoint]));
            assert!(
                out.status.success(),
                "mount tmpfs on {mountpoint}: {}",
                text(&out)
            );
        }
        if !Path::new("/run/dbus/system_bus_socket").exists() {
            let _ = std::fs::create_dir_all("/run/dbus");
            let out = run(Command::new("dbus-daemon").args(["--system", "--fork"]));
            assert!(out.status.success(), "start the system bus: {}", text(&out));
        }
    });
}

fn run(command: &mut Command) -> Output {
    command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"))
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn write(path: &Path, content: &str, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("mkdir {}: {e}", dir.display()));
    }
    std::fs::write(path, content).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .unwrap_or_else(|e| panic!("chmod {}: {e}", path.display()));
}

impl Instance {
    /// A new instance of the base root file system, configured but not started. Fails with
    /// the reason when the host cannot run one.
    pub fn create(config: &InstanceConfig) -> Instance {
        let base = base_rootfs();
        assert!(
            base.join(".techchallenge-rootfs").exists(),
            "{} is missing: scripts/setup builds it (scripts/lib/boot-rootfs.sh)",
            base.display()
        );
        let nspawn = run(Command::new("systemd-nspawn").arg("--version"));
        assert!(
            nspawn.status.success(),
            "systemd-nspawn cannot run here (scripts/setup installs systemd-container): {}",
            text(&nspawn)
        );
        prepare_host();
        let dir = tempfile::Builder::new()
            .prefix("tc-instance-")
            .tempdir_in("/var/tmp")
            .unwrap_or_else(|e| panic!("tempdir: {e}"));
        let root = dir.path().join("root");
        let upper = dir.path().join("upper");
        let work = dir.path().join("work");
        for d in [&root, &upper, &work] {
            std::fs::create_dir_all(d).unwrap_or_else(|e| panic!("mkdir {}: {e}", d.display()));
        }
        let options = format!(
            "lowerdir={},upperdir={},workdir={}",
            base.display(),
            upper.display(),
            work.display()
        );
        let mounted = run(Command::new("mount")
            .args(["-t", "overlay", "overlay", "-o", &options])
            .arg(&root));
        let upper = if mounted.status.success() {
            Some(upper)
        } else {
            // No overlayfs here: a full copy is slower but boots the same.
            eprintln!(
                "note: overlay mount failed ({}); copying the root",
                text(&mounted)
            );
            let copied = run(Command::new("cp")
                .args(["-a", "--reflink=auto"])
                .arg(format!("{}/.", base.display()))
                .arg(&root));
            assert!(copied.status.success(), "copy the root: {}", text(&copied));
            None
        };
        let instance = Instance {
            console: dir.path().join("console.log"),
            _dir: dir,
            root,
            upper,
            name: format!("tc-{}", unique_tag()),
            nspawn: None,
            leader: 0,
        };
        instance.configure(config);
        instance
    }

    /// Writes what EC2 and cloud-init would provide (see the module comment).
    fn configure(&self, config: &InstanceConfig) {
        let r = |p: &str| self.root.join(p.trim_start_matches('/'));
        // PyPI's AWS CLI (v1) sends `rds` commands in us-east-1 to https://rds.amazonaws.com
        // whatever AWS_ENDPOINT_URL says (an SSL common-name override of v1 only); Amazon Linux
        // 2023's CLI v2 has no such override, and an instance needs no endpoint. Here the
        // endpoint is passed explicitly, ahead of the real CLI in PATH.
        write(
            &r("/usr/local/sbin/aws"),
            "#!/bin/sh\nexec /usr/local/bin/aws --endpoint-url \"$AWS_ENDPOINT_URL\" \"$@\"\n",
            0o755,
        );
        write(
            &r("/etc/hosts"),
            &format!(
                "127.0.0.1 localhost {}\n::1 localhost\n",
                config.hosts.join(" ")
            ),
            0o644,
        );
        write(
            &r("/etc/systemd/system.conf.d/10-instance-profile.conf"),
            &format!(
                "# Stands in for the instance profile: moto's endpoint and test credentials.\n\
                 [Manager]\nDefaultEnvironment=\"AWS_ENDPOINT_URL={}\" \"AWS_ACCESS_KEY_ID=test\" \"AWS_SECRET_ACCESS_KEY=test\"\n",
                config.moto_url
            ),
            0o644,
        );
        write(
            &r("/var/lib/cloud/instance/user-data.txt"),
            &config.user_data,
            0o700,
        );
        write(
            &r("/usr/local/libexec/cloud-user-scripts"),
            "#!/bin/sh\n\
             # cloud-init's scripts_user: the UserData script runs once per instance.\n\
             sem=/var/lib/cloud/instance/sem/user-scripts\n\
             [ -e \"$sem\" ] && exit 0\n\
             mkdir -p /var/lib/cloud/instance/sem && touch \"$sem\"\n\
             exec /var/lib/cloud/instance/user-data.txt >>/var/log/cloud-init-output.log 2>&1\n",
            0o755,
        );
        let deadline = config
            .boot_deadline
            .map(|d| format!("Environment=TECHCHALLENGE_BOOT_DEADLINE={d}\n"))
            .unwrap_or_default()
            + &config
                .app_port
                .map(|p| format!("Environment=TECHCHALLENGE_APP_PORT={p}\n"))
                .unwrap_or_default()
            + &config
                .database_wait
                .map(|w| format!("Environment=TECHCHALLENGE_DATABASE_WAIT={w}\n"))
                .unwrap_or_default();
        write(
            &r("/etc/systemd/system/cloud-final.service"),
            &format!(
                "[Unit]\nDescription=cloud-init final stage (test stand-in)\n\
                 After=network-online.target\nWants=network-online.target\n\n\
                 [Service]\nType=oneshot\nRemainAfterExit=yes\nTimeoutSec=0\n\
                 Environment=TECHCHALLENGE_IMDS={imds}\n\
                 Environment=TECHCHALLENGE_RDS_CA_URL={imds}/rds-ca.pem\n{deadline}\
                 ExecStart=/usr/local/libexec/cloud-user-scripts\n\n\
                 [Install]\nWantedBy=multi-user.target\n",
                imds = config.imds_url
            ),
            0o644,
        );
        let wants = r("/etc/systemd/system/multi-user.target.wants");
        std::fs::create_dir_all(&wants).unwrap_or_else(|e| panic!("mkdir: {e}"));
        let link = wants.join("cloud-final.service");
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink("/etc/systemd/system/cloud-final.service", &link)
            .unwrap_or_else(|e| panic!("enable cloud-final: {e}"));
    }

    /// Boots the instance and waits until systemd has started everything it will.
    pub fn start(&mut self) {
        let started = Instant::now();
        self.launch();
        // `--wait` returns once the boot is done: "running", or "degraded" if a unit failed.
        let state = loop {
            let out = self.exec(&["systemctl", "is-system-running", "--wait"]);
            let state = String::from_utf8_lossy(&out.stdout).trim().to_owned();
            if matches!(state.as_str(), "running" | "degraded") {
                break state;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "the container's systemd did not finish booting ({state}): {}",
                self.console()
            );
            std::thread::sleep(Duration::from_millis(200));
        };
        eprintln!("{}: booted ({state}) in {:?}", self.name, started.elapsed());
    }

    /// Starts the container and returns once its systemd runs, without waiting for the boot
    /// to end (the boot script may be waiting for something the test provides later).
    pub fn launch(&mut self) {
        let console = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.console)
            .unwrap_or_else(|e| panic!("console log: {e}"));
        let child = Command::new("systemd-nspawn")
            .args([
                "-q",
                "--register=no",
                "--keep-unit",
                "-b",
                "-M",
                &self.name,
                "-D",
            ])
            .arg(&self.root)
            .stdin(Stdio::null())
            .stdout(console.try_clone().unwrap_or_else(|e| panic!("{e}")))
            .stderr(console)
            .spawn()
            .unwrap_or_else(|e| panic!("systemd-nspawn: {e}"));
        let nspawn_pid = child.id();
        self.nspawn = Some(child);
        let started = Instant::now();
        self.leader = loop {
            let children =
                std::fs::read_to_string(format!("/proc/{nspawn_pid}/task/{nspawn_pid}/children"))
                    .unwrap_or_default();
            if let Some(pid) = children
                .split_whitespace()
                .next()
                .and_then(|p| p.parse().ok())
            {
                break pid;
            }
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "the container did not start: {}",
                self.console()
            );
            std::thread::sleep(Duration::from_millis(100));
        };
    }

    /// Shuts the instance down the way `poweroff` does (SIGTERM to nspawn stops the
    /// container's systemd cleanly), killing it if it takes longer than a minute.
    pub fn stop(&mut self) {
        let Some(mut child) = self.nspawn.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let started = Instant::now();
        while started.elapsed() < Duration::from_secs(60) {
            if let Ok(Some(_)) = child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let _ = child.kill();
        let _ = child.wait();
    }

    /// A reboot: a clean shutdown, then a boot from the same disk.
    pub fn reboot(&mut self) {
        self.stop();
        self.start();
    }

    /// Runs a command inside the instance (all its namespaces), as root.
    pub fn exec(&self, args: &[&str]) -> Output {
        run(Command::new("nsenter")
            .args(["-t", &self.leader.to_string(), "-a", "--"])
            .args(args))
    }

    /// Waits up to `limit` for the UserData script to end; whether it succeeded.
    pub fn wait_for_boot_script(&self, limit: Duration) -> bool {
        let started = Instant::now();
        loop {
            let state = self.unit("cloud-final.service");
            match (state.active.as_str(), state.result.as_str()) {
                ("active", _) => return true,
                ("failed", _) => return false,
                _ => {}
            }
            assert!(
                started.elapsed() < limit,
                "the boot script did not end within {limit:?} ({state:?}):\n{}",
                self.file("/var/log/techchallenge-boot.log")
            );
            std::thread::sleep(Duration::from_millis(500));
        }
    }

    /// `systemctl show` of `unit`.
    pub fn unit(&self, unit: &str) -> UnitState {
        let out = self.exec(&[
            "systemctl",
            "show",
            unit,
            "-p",
            "ActiveState,SubState,Result,NRestarts,MainPID",
        ]);
        let shown = String::from_utf8_lossy(&out.stdout).into_owned();
        let get = |key: &str| {
            shown
                .lines()
                .find_map(|l| l.strip_prefix(&format!("{key}=")))
                .unwrap_or_default()
                .to_owned()
        };
        UnitState {
            active: get("ActiveState"),
            sub: get("SubState"),
            result: get("Result"),
            restarts: get("NRestarts").parse().unwrap_or_default(),
            main_pid: get("MainPID").parse().unwrap_or_default(),
        }
    }

    /// The journal of `unit` (every boot), message text only.
    pub fn journal(&self, unit: &str) -> String {
        let out = self.exec(&["journalctl", "-u", unit, "--no-pager", "-o", "cat"]);
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A file of the instance's disk ("" when it does not exist).
    pub fn file(&self, path: &str) -> String {
        std::fs::read_to_string(self.root.join(path.trim_start_matches('/'))).unwrap_or_default()
    }

    /// Whether `path` exists on the instance's disk.
    pub fn exists(&self, path: &str) -> bool {
        self.root
            .join(path.trim_start_matches('/'))
            .symlink_metadata()
            .is_ok()
    }

    /// The directory holding every file the instance wrote to its disk (the overlay's upper
    /// layer; the whole root when it had to be copied).
    pub fn written(&self) -> &Path {
        self.upper.as_deref().unwrap_or(&self.root)
    }

    /// What nspawn and the container's console printed.
    pub fn console(&self) -> String {
        std::fs::read_to_string(&self.console).unwrap_or_default()
    }
}

impl Drop for Instance {
    fn drop(&mut self) {
        self.stop();
        if self.upper.is_some() {
            let _ = Command::new("umount").arg(&self.root).status();
        }
    }
}
