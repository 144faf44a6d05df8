//! How long an instance may take to come up, and the group's timeouts derived from it, in one
//! place so they cannot drift apart:
//!
//! ```text
//! launch ──(instance start, cloud-init)──▶ boot script ──(≤ BOOT_DEADLINE)──▶ signal
//!        └──────────── INSTANCE_START_ALLOWANCE ──┘
//! creation/update signal timeout ≥ allowance + boot deadline + signal retries
//! health-check grace period      ≥ allowance + boot deadline
//! ```
//!
//! The boot script gets [`BOOT_DEADLINE_SECONDS`] through `Fn::Sub` and signals FAILURE when the
//! app has not answered by then, so CloudFormation hears the reason before its own timeout.

/// The boot script's deadline for the app to answer `/healthcheck/`, from the script's start.
pub const BOOT_DEADLINE_SECONDS: u32 = 660;
/// From launch to the boot script's start on Amazon Linux 2023 (instance start, cloud-init),
/// with a wide margin: typically under a minute.
pub const INSTANCE_START_ALLOWANCE_SECONDS: u32 = 180;
/// The longest the boot script spends signalling (five attempts, 2 + 4 + 6 + 8 s apart, each
/// call a few seconds).
pub const SIGNAL_RETRY_SECONDS: u32 = 45;
/// How long CloudFormation waits for each instance's signal on create and on a rolling update.
pub const SIGNAL_TIMEOUT_SECONDS: u32 = 900;
/// How long the group ignores ELB health checks after a launch (scale-out and replacements:
/// rolling updates suspend health checks anyway).
pub const HEALTH_CHECK_GRACE_SECONDS: u32 = 900;

/// How long the load balancer lets a leaving instance finish its requests before the group
/// terminates it: at most the app's own drain (`ShutdownTimeoutSecs`, 20 s by default, which the
/// boot script's configuration keeps), so no request the balancer still sends is cut off by the
/// app, and no longer, since each rolling-update batch waits for it.
pub const DEREGISTRATION_DELAY_SECONDS: u32 = 20;
/// The app's default drain on SIGTERM (`ShutdownTimeoutSecs`); systemd's `TimeoutStopSec` in
/// the boot script's unit leaves it room.
pub const APP_DRAIN_SECONDS: u32 = 20;
const _: () = assert!(DEREGISTRATION_DELAY_SECONDS <= APP_DRAIN_SECONDS);

/// [`SIGNAL_TIMEOUT_SECONDS`] as the ISO 8601 duration CloudFormation takes (`PT15M`).
pub fn signal_timeout() -> String {
    iso_duration(SIGNAL_TIMEOUT_SECONDS)
}

fn iso_duration(seconds: u32) -> String {
    match (seconds / 60, seconds % 60) {
        (minutes, 0) => format!("PT{minutes}M"),
        (0, s) => format!("PT{s}S"),
        (minutes, s) => format!("PT{minutes}M{s}S"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_timeouts_cover_an_instance_that_uses_its_whole_boot_deadline() {
        let slowest = INSTANCE_START_ALLOWANCE_SECONDS + BOOT_DEADLINE_SECONDS;
        assert!(SIGNAL_TIMEOUT_SECONDS >= slowest + SIGNAL_RETRY_SECONDS);
        assert!(HEALTH_CHECK_GRACE_SECONDS >= slowest);
        assert_eq!(signal_timeout(), "PT15M");
        assert_eq!(iso_duration(90), "PT1M30S");
        assert_eq!(iso_duration(45), "PT45S");
    }

    #[test]
    fn a_leaving_instance_drains_within_the_apps_timeout_and_systemds() {
        let unit_stop: u32 = include_str!("../../assets/boot.sh")
            .lines()
            .find_map(|l| l.strip_prefix("TimeoutStopSec="))
            .and_then(|v| v.trim().parse().ok())
            .expect("the unit sets TimeoutStopSec");
        assert!(
            unit_stop > APP_DRAIN_SECONDS,
            "systemd would kill a draining app"
        );
        assert!(
            !include_str!("../../assets/boot.sh").contains("ShutdownTimeoutSecs"),
            "the boot script keeps the app's default drain"
        );
    }
}
