//! How many connections the database accepts, estimated from its instance class: RDS for
//! PostgreSQL's default `max_connections` is `LEAST({DBInstanceClassMemory/9531392}, 5000)`,
//! and `DBInstanceClassMemory` is the class's memory less what RDS keeps for the operating
//! system and its own processes (not published; roughly a quarter on the 1 GiB classes, a smaller
//! share on bigger ones). The connections alarm fires at [`ALARM_PERCENT`] of the estimate.

/// Bytes of instance memory per connection in RDS's default.
const BYTES_PER_CONNECTION: u64 = 9_531_392;
/// RDS's cap on the default.
const MAX_CONNECTIONS_CAP: u64 = 5000;
/// The share of the class's memory counted as `DBInstanceClassMemory`: the low end of what the
/// smallest classes leave, so the estimate errs below the real limit and the alarm early.
const USABLE_MEMORY_PERCENT: u64 = 75;
/// The alarm's threshold, in percent of the estimated limit: room to act (scale the class up,
/// find the leak) before new connections are refused.
pub const ALARM_PERCENT: u64 = 80;
/// The memory assumed for a class not in the table: the smallest there is (1 GiB), so an
/// unknown class gets an early alarm rather than none.
const UNKNOWN_CLASS_GIB: u64 = 1;

const GIB: u64 = 1024 * 1024 * 1024;

/// The memory of an RDS instance class in GiB, for the classes whose memory follows from their
/// name: burstable `db.t3`/`db.t4g` (micro 1 to 2xlarge 32), general purpose `db.m5`-`db.m8*`
/// (4 GiB per vCPU: large 8, xlarge 16, Nxlarge 16·N) and memory-optimised `db.r5`-`db.r8*`
/// (8 GiB per vCPU: large 16, xlarge 32, Nxlarge 32·N). `None` for any other.
pub fn memory_gib(instance_class: &str) -> Option<u64> {
    let mut parts = instance_class.split('.');
    let (Some("db"), Some(family), Some(size), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    if family == "t3" || family == "t4g" {
        return match size {
            "micro" => Some(1),
            "small" => Some(2),
            "medium" => Some(4),
            "large" => Some(8),
            "xlarge" => Some(16),
            "2xlarge" => Some(32),
            _ => None,
        };
    }
    let per_large: u64 = match generation(family) {
        Some(('m', 5..=8)) => 8,
        Some(('r', 5..=8)) => 16,
        _ => return None,
    };
    // large = 2 vCPUs, xlarge = 4, Nxlarge = 4·N.
    let larges = match size {
        "large" => 1,
        "xlarge" => 2,
        _ => size
            .strip_suffix("xlarge")?
            .parse::<u64>()
            .ok()
            .filter(|n| *n > 0)?
            .checked_mul(2)?,
    };
    per_large.checked_mul(larges)
}

/// `m6g` → `('m', 6)`: the family letter and generation; the letters after it (`g`, `i`,
/// `gd`, ...) change the processor or add local storage, not the memory per vCPU.
fn generation(family: &str) -> Option<(char, u32)> {
    let mut chars = family.chars();
    let letter = chars.next()?;
    let digit = chars.next()?.to_digit(10)?;
    let rest = chars.as_str();
    rest.chars()
        .all(|c| c.is_ascii_lowercase())
        .then_some((letter, digit))
}

/// The estimated `max_connections` of an instance class.
pub fn estimated_max_connections(instance_class: &str) -> u64 {
    let gib = memory_gib(instance_class).unwrap_or(UNKNOWN_CLASS_GIB);
    let usable = gib
        .saturating_mul(GIB)
        .saturating_mul(USABLE_MEMORY_PERCENT)
        / 100;
    (usable / BYTES_PER_CONNECTION).min(MAX_CONNECTIONS_CAP)
}

/// The connections alarm's threshold: [`ALARM_PERCENT`] of the estimated limit.
pub fn alarm_threshold(instance_class: &str) -> u64 {
    estimated_max_connections(instance_class) * ALARM_PERCENT / 100
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn memory_follows_from_the_class_name() {
        for (class, gib) in [
            ("db.t4g.micro", 1),
            ("db.t3.2xlarge", 32),
            ("db.m5.large", 8),
            ("db.m6g.4xlarge", 64),
            ("db.m7g.xlarge", 16),
            ("db.m6gd.large", 8),
            ("db.r6g.large", 16),
            ("db.r5.12xlarge", 384),
            ("db.r7i.2xlarge", 64),
        ] {
            assert_eq!(memory_gib(class), Some(gib), "{class}");
        }
        for unknown in [
            "db.t2.micro",
            "db.x2g.large",
            "db.m4.large",
            "db.m6g.metal",
            "db.t4g.nano",
            "m5.large",
            "db.m5",
            "db.m5.0xlarge",
        ] {
            assert_eq!(memory_gib(unknown), None, "{unknown}");
        }
    }

    #[test]
    fn the_threshold_is_below_the_real_limit_and_capped() {
        // 1 GiB: RDS's formula on the whole memory gives 112; the estimate is lower.
        assert_eq!(estimated_max_connections("db.t4g.micro"), 84);
        assert_eq!(alarm_threshold("db.t4g.micro"), 67);
        assert_eq!(alarm_threshold("db.m6g.large"), 540);
        // 64 GiB and more: the 5000 cap.
        assert_eq!(estimated_max_connections("db.r6g.4xlarge"), 5000);
        assert_eq!(alarm_threshold("db.r6g.4xlarge"), 4000);
        // Absurd sizes saturate at the cap rather than overflow.
        assert_eq!(alarm_threshold("db.m5.99999999999999999xlarge"), 4000);
        // Unknown: as the smallest class.
        assert_eq!(
            alarm_threshold("db.x2g.large"),
            alarm_threshold("db.t3.micro")
        );
    }
}
