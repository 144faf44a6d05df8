//! The release binaries the system tests run, as they ship: `scripts/test` builds them (`cargo
//! build --release --bins`) before the tests. A test run by hand after a source change would
//! test an old build, so a binary older than any source it is built from fails the test,
//! saying how to rebuild.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The workspace root.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The workspace's `target/release/` (or `CARGO_TARGET_DIR`'s).
fn release_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => PathBuf::from(dir).join("release"),
        _ => workspace().join("target/release"),
    }
}

/// The application's release build: `TECHCHALLENGE_APP_BINARY`, else
/// `target/release/TechChallengeApp`; `None` (see [`crate::services::unavailable`]) when absent.
pub fn app_binary() -> Option<PathBuf> {
    match std::env::var_os("TECHCHALLENGE_APP_BINARY") {
        Some(p) if !p.is_empty() => existing(PathBuf::from(p), "techchallenge-app"),
        _ => fresh(
            release_dir().join("TechChallengeApp"),
            "techchallenge-app",
            &["app"],
        ),
    }
}

/// The deployer's release build, `target/release/techchallenge`.
pub fn deployer_binary() -> Option<PathBuf> {
    fresh(
        release_dir().join("techchallenge"),
        "techchallenge-cli",
        &["cli", "deploy", "artifact", "stacks", "cfn-template"],
    )
}

/// `path` if it exists, else `None` after [`crate::services::unavailable`].
fn existing(path: PathBuf, package: &str) -> Option<PathBuf> {
    if path.is_file() {
        return Some(path);
    }
    crate::services::unavailable(&format!(
        "{} is not built (cargo build --release -p {package})",
        path.display()
    ));
    None
}

/// [`existing`], and not older than the sources of the `crates` it is built from (panics if it is).
fn fresh(path: PathBuf, package: &str, crates: &[&str]) -> Option<PathBuf> {
    let path = existing(path, package)?;
    let built = modified(&path);
    let newer = crates
        .iter()
        .find_map(|c| newest_source(&workspace().join("crates").join(c), built));
    if let Some(newer) = newer {
        panic!(
            "{} is older than {}: rebuild it with `cargo build --release -p {package}` (scripts/test does)",
            path.display(),
            newer.display()
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
            if name == "tests" || name == "target" {
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
