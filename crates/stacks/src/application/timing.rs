//! How long an instance may take to come up, and the group's timeouts derived from it, in one
//! place so they cannot drift apart:
//!
//! ```text
//! launch ──(instance start, cloud-init)──▶ boot script ──(database wait)──▶ ──(≤ BOOT_DEADLINE)──▶ signal
//!        └──── INSTANCE_START_ALLOWANCE ──┘             └ ≤ DATABASE_WAIT ┘
//! creation signal timeout ≥ allowance + database wait + boot deadline + signal retries
//! update pause time       ≥ allowance + boot deadline + signal retries (the database exists)
//! health-check grace      ≥ allowance + database wait + boot deadline
//! ```
//!
//! The application stack does not wait for the database stack: on the first create its
//! instances boot while RDS is still creating the instance (15–20 minutes, Multi-AZ). The boot
//! script waits for it (as long as [`DATABASE_WAIT_SECONDS`]) before its own deadline starts;
//! once the database exists that wait ends at once. The boot script gets both through
//! `Fn::Sub` and signals FAILURE when the app has not answered by then, so CloudFormation hears
//! the reason before its own timeout.

/// The boot script's deadline for the app to answer `/healthcheck/`, from the end of the
/// database wait.
pub const BOOT_DEADLINE_SECONDS: u32 = 660;
/// The longest the boot script waits for the database instance to be created: RDS Multi-AZ
/// takes 15–20 minutes, "or more".
pub const DATABASE_WAIT_SECONDS: u32 = 2700;
/// From launch to the boot script's start on Amazon Linux 2023 (instance start, cloud-init),
/// with a wide margin: typically under a minute.
pub const INSTANCE_START_ALLOWANCE_SECONDS: u32 = 180;
/// The longest the boot script spends signalling (five attempts, 2 + 4 + 6 + 8 s apart, each
/// call a few seconds).
pub const SIGNAL_RETRY_SECONDS: u32 = 45;
/// How long CloudFormation waits for each instance's signal when it creates the group: long
/// enough for instances that wait for the database's creation.
pub const CREATION_SIGNAL_TIMEOUT_SECONDS: u32 = 3600;
/// How long a rolling update waits for each batch's signals (the database exists by then).
pub const SIGNAL_TIMEOUT_SECONDS: u32 = 900;
/// How long the group ignores ELB health checks after a launch: an instance waiting for the
/// database answers nothing yet, and must not be replaced for it. The price: an instance whose
/// boot hangs later (scale-out) is replaced only after this; the load balancer sends it no
/// traffic meanwhile.
pub const HEALTH_CHECK_GRACE_SECONDS: u32 = 3600;
/// How long the load balancer lets a leaving instance finish its requests before the group
/// terminates it: at most the app's own drain (`ShutdownTimeoutSecs`, 20 s by default, which the
/// boot script's configuration keeps), so no request the balancer still sends is cut off by the
/// app, and no longer, since each rolling-update batch waits for it.
pub const DEREGISTRATION_DELAY_SECONDS: u32 = 20;
/// The app's default drain on SIGTERM (`ShutdownTimeoutSecs`); systemd's `TimeoutStopSec` in
/// the boot script's unit leaves it room.
pub const APP_DRAIN_SECONDS: u32 = 20;
const _: () = assert!(DEREGISTRATION_DELAY_SECONDS <= APP_DRAIN_SECONDS);

/// [`CREATION_SIGNAL_TIMEOUT_SECONDS`] as the ISO 8601 duration CloudFormation takes (`PT1H`).
pub fn creation_signal_timeout() -> String {
    iso_duration(CREATION_SIGNAL_TIMEOUT_SECONDS)
}

/// [`SIGNAL_TIMEOUT_SECONDS`] as the ISO 8601 duration CloudFormation takes (`PT15M`).
pub fn signal_timeout() -> String {
    iso_duration(SIGNAL_TIMEOUT_SECONDS)
}

fn iso_duration(seconds: u32) -> String {
    match (seconds / 60, seconds % 60) {
        (minutes, 0) if minutes % 60 == 0 => format!("PT{}H", minutes / 60),
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
        let waiting = slowest + DATABASE_WAIT_SECONDS;
        assert!(CREATION_SIGNAL_TIMEOUT_SECONDS >= waiting + SIGNAL_RETRY_SECONDS);
        assert!(HEALTH_CHECK_GRACE_SECONDS >= waiting);
        assert_eq!(signal_timeout(), "PT15M");
        assert_eq!(creation_signal_timeout(), "PT1H");
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
