//! Raw configuration values and where each came from: defaults, `conf.toml`, `VTT_` variables.
//!
//! Kept apart from the typed settings so the 0.11.0 layering rules (env > file > default,
//! case-insensitive keys, quoted or bare values, empty variables ignored) live in one place.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::path::Path;

use super::ConfigError;

/// Where a value came from, for error messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    /// The built-in default.
    Default,
    /// A key in the configuration file.
    File,
    /// An environment variable (its exact name).
    Env(String),
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Origin::Default => f.write_str("default"),
            Origin::File => f.write_str("conf.toml"),
            Origin::Env(name) => write!(f, "environment variable {name}"),
        }
    }
}

/// Values by lower-case key, each with its origin.
#[derive(Debug, Default)]
pub struct RawValues {
    values: BTreeMap<String, (String, Origin)>,
    /// Things worth telling the operator (unknown `VTT_` variables, conflicting spellings).
    pub warnings: Vec<String>,
}

impl RawValues {
    /// The value and origin of `key` (any case), if set anywhere.
    pub fn get(&self, key: &str) -> Option<&(String, Origin)> {
        self.values.get(&key.to_ascii_lowercase())
    }

    /// Sets a default for `key`.
    pub fn set_default(&mut self, key: &str, value: &str) {
        self.values.insert(
            key.to_ascii_lowercase(),
            (value.to_owned(), Origin::Default),
        );
    }

    /// Layers the TOML file at `path` over the current values; a missing file is not an error.
    pub fn read_file(&mut self, path: &Path, known: &[&str]) -> Result<(), ConfigError> {
        let text = match std::fs::read_to_string(path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(()),
            Err(e) => {
                return Err(ConfigError::File {
                    path: path.to_owned(),
                    reason: e.to_string(),
                });
            }
        };
        let table: toml::Table = toml::from_str(&text).map_err(|e| ConfigError::File {
            path: path.to_owned(),
            reason: e.message().to_owned(),
        })?;
        for (key, value) in table {
            let lower = key.to_ascii_lowercase();
            if !known.contains(&lower.as_str()) {
                continue; // 0.11.0 ignored unknown keys; so do we
            }
            let text = match value {
                toml::Value::String(s) => s,
                toml::Value::Integer(i) => i.to_string(),
                toml::Value::Float(f) => f.to_string(),
                toml::Value::Boolean(b) => b.to_string(),
                other => {
                    return Err(ConfigError::File {
                        path: path.to_owned(),
                        reason: format!(
                            "{key} must be a string or a number, not a {}",
                            other.type_str()
                        ),
                    });
                }
            };
            self.values
                .insert(lower, (text.trim().to_owned(), Origin::File));
        }
        Ok(())
    }

    /// Layers `VTT_*` variables over the current values. The prefix and key match in any case
    /// (0.11.0 silently ignored `VTT_ListenPort`); when several spellings are set, the upper-case
    /// one wins, as in 0.11.0, and a warning says so. Empty values are ignored.
    pub fn read_env(
        &mut self,
        vars: impl IntoIterator<Item = (OsString, OsString)>,
        known: &[&str],
    ) -> Result<(), ConfigError> {
        let mut found: BTreeMap<String, Vec<(String, String)>> = BTreeMap::new();
        for (name, value) in vars {
            let Some(name) = name.to_str() else { continue };
            let Some(prefix) = name.get(..4) else {
                continue;
            };
            if !prefix.eq_ignore_ascii_case("VTT_") {
                continue;
            }
            let key = name[4..].to_ascii_lowercase();
            if !known.contains(&key.as_str()) {
                self.warnings
                    .push(format!("ignoring unknown configuration variable {name}"));
                continue;
            }
            let value = value.into_string().map_err(|_| ConfigError::Invalid {
                key: key.clone(),
                origin: Origin::Env(name.to_owned()),
                reason: "the value is not valid UTF-8".into(),
            })?;
            let value = value.trim().to_owned();
            if value.is_empty() {
                continue;
            }
            found.entry(key).or_default().push((name.to_owned(), value));
        }
        for (key, mut candidates) in found {
            // Upper-case spelling first, then by name, so the choice does not depend on env order.
            candidates.sort_by_key(|(n, _)| (*n != n.to_ascii_uppercase(), n.clone()));
            if candidates.len() > 1 {
                let names: Vec<&str> = candidates.iter().map(|(n, _)| n.as_str()).collect();
                self.warnings.push(format!(
                    "{} are all set; using {}",
                    names.join(", "),
                    names[0]
                ));
            }
            let (name, value) = candidates.swap_remove(0);
            self.values.insert(key, (value, Origin::Env(name)));
        }
        Ok(())
    }
}
