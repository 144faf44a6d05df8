//! The binaries the system tests run. The app is run as it ships, from its release build
//! (`scripts/test` builds it before the tests). The deployer is run as built in the profile of
//! the tests themselves (`target/debug/` under `cargo test`): `cargo test --workspace` builds it
//! for the CLI's own tests, and its release build would cost a full optimised build of every AWS
//! SDK for no difference in behaviour. A test run by hand after a source change could run an
//! old build, so a binary older than any source it is built from fails the test, saying how to
//! rebuild.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The workspace root.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The workspace's `target/PROFILE/` (or `CARGO_TARGET_DIR`'s).
fn profile_dir(profile: &str) -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir).join(profile),
        _ => workspace().join("target").join(profile),
    }
}

/// The profile these tests were built in: `debug` under `cargo test`, `release` under
/// `cargo test --release`.
const TEST_PROFILE: &str = if cfg!(debug_assertions) {
    "debug"
} else {
    "release"
};

/// The application's release build: `TECHCHALLENGE_APP_BINARY`, else
/// `target/release/TechChallengeApp`; `None` (see [`crate::services::unavailable`]) when absent.
pub fn app_binary() -> Option<PathBuf> {
    match std::env::var_os("TECHCHALLENGE_APP_BINARY") {
        Some(p) if !p.is_empty() => existing(PathBuf::from(p), "techchallenge-app", "release"),
        _ => fresh(
            profile_dir("release").join("TechChallengeApp"),
            "techchallenge-app",
            "release",
            &["app"],
        ),
    }
}

/// The deployer built in the tests' own profile: `target/debug/techchallenge` under `cargo test`.
pub fn deployer_binary() -> Option<PathBuf> {
    fresh(
        profile_dir(TEST_PROFILE).join("techchallenge"),
        "techchallenge-cli",
        TEST_PROFILE,
        &[
            "cli",
            "deploy",
            "artifact",
            "fleet",
            "stacks",
            "cfn-template",
        ],
    )
}

/// `path` if it exists, else `None` after [`crate::services::unavailable`].
fn existing(path: PathBuf, package: &str, profile: &str) -> Option<PathBuf> {
    if path.is_file() {
        return Some(path);
    }
    crate::services::unavailable(&format!(
        "{} is not built ({})",
        path.display(),
        build_command(package, profile)
    ));
    None
}

/// The command that builds `package` in `profile` (`debug` or `release`).
fn build_command(package: &str, profile: &str) -> String {
    let flag = if profile == "release" {
        " --release"
    } else {
        ""
    };
    format!("cargo build{flag} -p {package}")
}

/// [`existing`], and not older than the sources of the `crates` it is built from (panics if it is).
fn fresh(path: PathBuf, package: &str, profile: &str, crates: &[&str]) -> Option<PathBuf> {
    let path = existing(path, package, profile)?;
    let built = modified(&path);
    let newer = crates
        .iter()
        .find_map(|c| newest_source(&workspace().join("crates").join(c), built));
    if let Some(newer) = newer {
        panic!(
            "{} is older than {}: rebuild it with `{}` (scripts/test does)",
            path.display(),
            newer.display(),
            build_command(package, profile)
        );
    }
    Some(path)
}

fn modified(path: &Path) -> SystemTime {
    std::fs::metadata(path)
        .and_then(|m| m.modified())
        .unwrap_or(SystemTime::UNIX_EPOCH)
}

/// A source file (`src/`, `assets/`, `Cargo.toml`) under `dir` modified after `than`, if any.
fn newest_source(dir: &Path, than: SystemTime) -> Option<PathBuf> {
    let entries = std::fs::read_dir(dir).ok()?;
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            // Tests, examples and benchmarks are not part of the binary.
            if ["tests", "examples", "benches", "target"].contains(&name.to_str().unwrap_or("")) {
                continue;
            }
            if let Some(found) = newest_source(&path, than) {
                return Some(found);
            }
        } else if (name == "Cargo.toml" || path.extension().is_some_and(|e| e != "md"))
            && modified(&path) > than
        {
            return Some(path);
        }
    }
    None
}
