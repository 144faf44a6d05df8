//! The app a boot started and the unit it runs under: the process, found by the pid file the
//! systemctl stub writes and always stopped when the test ends, and systemd's own verdict on
//! the unit file the boot script wrote.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

/// The app the systemctl stub starts, known by the pid file it writes. Set up before the boot
/// runs, so the app is stopped (TERM, then KILL) when the test ends, however far it got.
pub struct AppProcess {
    pidfile: PathBuf,
}

impl AppProcess {
    /// Watches `pidfile`, which need not exist yet.
    pub fn watch(pidfile: PathBuf) -> AppProcess {
        AppProcess { pidfile }
    }

    fn read_pid(&self) -> Option<u32> {
        std::fs::read_to_string(&self.pidfile)
            .ok()
            .and_then(|s| s.trim().parse().ok())
    }

    /// The app's pid, waiting briefly for the stub to write it.
    pub fn pid(&self) -> u32 {
        let started = Instant::now();
        loop {
            match self.read_pid() {
                Some(pid) => return pid,
                None if started.elapsed() < Duration::from_secs(10) => {
                    std::thread::sleep(Duration::from_millis(50));
                }
                None => panic!(
                    "the systemctl stub wrote no pid to {}",
                    self.pidfile.display()
                ),
            }
        }
    }
}

impl Drop for AppProcess {
    fn drop(&mut self) {
        let Some(pid) = self.read_pid() else { return };
        let alive = |pid: u32| Path::new(&format!("/proc/{pid}")).exists() && !is_zombie(pid);
        for signal in ["-TERM", "-KILL"] {
            if !alive(pid) {
                return;
            }
            let _ = Command::new("kill")
                .args([signal, &pid.to_string()])
                .status();
            let started = Instant::now();
            while alive(pid) && started.elapsed() < Duration::from_secs(10) {
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
}

/// Whether `pid` has exited but not been reaped (or is gone): it no longer needs stopping.
fn is_zombie(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map(|s| {
            s.rsplit_once(") ")
                .is_some_and(|(_, rest)| rest.starts_with('Z'))
        })
        .unwrap_or(true)
}

/// systemd's own check of the unit (unknown keys, bad values, unknown system call groups), where
/// `systemd-analyze` exists. Its only allowed complaint: the binary is not at its /opt path on
/// this machine (it is under the fake root, where the systemctl stub ran it).
pub fn verify_unit(unit: &Path) {
    let Ok(out) = Command::new("systemd-analyze")
        .arg("verify")
        .arg(unit)
        .output()
    else {
        eprintln!("note: no systemd-analyze here; the unit's syntax is not checked");
        return;
    };
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let complaints: Vec<&str> = text
        .lines()
        .filter(|l| {
            !l.trim().is_empty()
                && !l.ends_with(
                    "Command /opt/techchallenge/current/TechChallengeApp is not executable: \
                     No such file or directory",
                )
        })
        .collect();
    assert_eq!(complaints, Vec::<&str>::new(), "systemd-analyze verify");
}
