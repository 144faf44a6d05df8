//! The rule for a test whose prerequisite is missing (a service, root, a build, a browser): it
//! skips with a note when run by hand, and fails when `TESTS_REQUIRE_SERVICES=1`, which
//! `scripts/test` sets so that nothing skips silently in CI.

/// The variable that turns a skip into a failure.
pub const REQUIRE_SERVICES: &str = "TESTS_REQUIRE_SERVICES";

/// Whether missing prerequisites fail the test instead of skipping it.
pub fn required() -> bool {
    std::env::var(REQUIRE_SERVICES).as_deref() == Ok("1")
}

/// Reports that `what` is missing: panics when services are [`required`], else prints a note
/// that the test skips. The caller returns right after.
pub fn unavailable(what: &str) {
    if required() {
        panic!("{what}, and {REQUIRE_SERVICES}=1 forbids skipping");
    }
    eprintln!("note: {what}; skipping");
}

/// The value of `var`, or `None` after [`unavailable`] when it is unset or empty; `how` says
/// how to provide it.
pub fn env(var: &str, how: &str) -> Option<String> {
    match std::env::var(var) {
        Ok(value) if !value.is_empty() => Some(value),
        _ => {
            unavailable(&format!("{var} is not set ({how})"));
            None
        }
    }
}

/// Whether this process runs as root (real uid 0).
pub fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("Uid:"))
                .map(|ids| ids.split_whitespace().next() == Some("0"))
        })
        .unwrap_or(false)
}

/// `true` when root, else `false` after [`unavailable`]; `why` says what needs it.
pub fn require_root(why: &str) -> bool {
    if is_root() {
        return true;
    }
    unavailable(&format!("{why} runs as root (as scripts/test does)"));
    false
}
