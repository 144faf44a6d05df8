//! The task model and the JSON rules for reading it.
//!
//! 0.11.0 decoded request bodies with Go's `encoding/json`, and clients (including the page 0.11.0
//! shipped) rely on its quirks: field names match case-insensitively, the last duplicate wins,
//! unknown fields and the client's `id` are ignored, `null` leaves a field unchanged and bytes after
//! the first JSON value are ignored. [`TaskFields::from_json`] reproduces exactly that; serde's
//! derive cannot (it is case-sensitive and rejects duplicates), hence the hand-written visitor.

use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde::{Deserialize, Serialize};

/// Largest accepted title, in bytes (the body limit is larger, so this is the clearer error).
pub const MAX_TITLE_BYTES: usize = 4096;

/// One to-do item, serialised with the field names and order 0.11.0 used.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Task {
    /// Identifier chosen by the store.
    pub id: i64,
    /// Where the task fits in the list (stored as a 32-bit integer, as in 0.11.0's table).
    pub priority: i32,
    /// What to do.
    pub title: String,
    /// Whether it is done.
    pub complete: bool,
}

/// A task to create: everything but the id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    /// Where the task fits in the list.
    pub priority: i32,
    /// What to do.
    pub title: String,
    /// Whether it is done.
    pub complete: bool,
}

/// Changes to an existing task; `None` keeps the stored value (Go decoded over the old value).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TaskChanges {
    /// New priority, if given.
    pub priority: Option<i32>,
    /// New title, if given.
    pub title: Option<String>,
    /// New completion state, if given.
    pub complete: Option<bool>,
}

impl TaskChanges {
    /// The task to create from these fields, with 0.11.0's zero values for missing ones.
    pub fn into_new_task(self) -> NewTask {
        NewTask {
            priority: self.priority.unwrap_or(0),
            title: self.title.unwrap_or_default(),
            complete: self.complete.unwrap_or(false),
        }
    }

    /// Applies the changes to `task`.
    pub fn apply_to(self, task: &mut Task) {
        if let Some(p) = self.priority {
            task.priority = p;
        }
        if let Some(t) = self.title {
            task.title = t;
        }
        if let Some(c) = self.complete {
            task.complete = c;
        }
    }
}

/// Why a request body is not an acceptable task.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TaskInputError {
    /// The body is not a JSON object of the right field types.
    #[error("invalid JSON body: {0}")]
    Json(String),
    /// `priority` does not fit the database column.
    #[error("priority must be an integer between {} and {}", i32::MIN, i32::MAX)]
    PriorityOutOfRange,
    /// PostgreSQL text cannot hold NUL characters.
    #[error("title must not contain NUL characters")]
    TitleHasNul,
    /// The title is longer than [`MAX_TITLE_BYTES`].
    #[error("title must be at most {MAX_TITLE_BYTES} bytes")]
    TitleTooLong,
}

/// The recognised fields of a task body, as decoded (before range checks).
#[derive(Debug, Default)]
pub struct TaskFields {
    priority: Option<i64>,
    title: Option<String>,
    complete: Option<bool>,
}

impl TaskFields {
    /// Decodes a request body with 0.11.0's rules and checks the values fit the store.
    pub fn from_json(body: &[u8]) -> Result<TaskChanges, TaskInputError> {
        let mut de = serde_json::Deserializer::from_slice(body);
        // Deliberately no `de.end()`: Go's Decoder ignored whatever followed the first value.
        let fields =
            TaskFields::deserialize(&mut de).map_err(|e| TaskInputError::Json(e.to_string()))?;
        fields.validate()
    }

    fn validate(self) -> Result<TaskChanges, TaskInputError> {
        let priority = match self.priority {
            None => None,
            Some(p) => Some(i32::try_from(p).map_err(|_| TaskInputError::PriorityOutOfRange)?),
        };
        if let Some(t) = &self.title {
            if t.contains('\0') {
                return Err(TaskInputError::TitleHasNul);
            }
            if t.len() > MAX_TITLE_BYTES {
                return Err(TaskInputError::TitleTooLong);
            }
        }
        Ok(TaskChanges {
            priority,
            title: self.title,
            complete: self.complete,
        })
    }
}

/// Which task field a JSON key names, compared the way Go's `encoding/json` does (simple case folding,
/// including the Kelvin sign and the long s that fold onto ASCII letters).
#[derive(Debug, PartialEq, Eq)]
enum Field {
    Id,
    Priority,
    Title,
    Complete,
    Other,
}

fn fold(c: char) -> char {
    match c {
        '\u{212A}' => 'k',
        '\u{017F}' => 's',
        c => c.to_ascii_lowercase(),
    }
}

fn field_of(key: &str) -> Field {
    let eq = |name: &str| key.chars().map(fold).eq(name.chars());
    if eq("id") {
        Field::Id
    } else if eq("priority") {
        Field::Priority
    } else if eq("title") {
        Field::Title
    } else if eq("complete") {
        Field::Complete
    } else {
        Field::Other
    }
}

impl<'de> Deserialize<'de> for TaskFields {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(FieldsVisitor)
    }
}

struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = TaskFields;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object with title, priority and complete fields")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<TaskFields, A::Error> {
        let mut out = TaskFields::default();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match field_of(&key) {
                // The client's id is ignored, but Go still rejected a non-integer one.
                Field::Id => {
                    let _: Option<i64> = map.next_value()?;
                }
                Field::Priority => {
                    if let Some(v) = map.next_value::<Option<i64>>()? {
                        out.priority = Some(v);
                    }
                }
                Field::Title => {
                    if let Some(v) = map.next_value::<Option<String>>()? {
                        out.title = Some(v);
                    }
                }
                Field::Complete => {
                    if let Some(v) = map.next_value::<Option<bool>>()? {
                        out.complete = Some(v);
                    }
                }
                Field::Other => {
                    let _: IgnoredAny = map.next_value()?;
                }
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decode(s: &str) -> Result<TaskChanges, TaskInputError> {
        TaskFields::from_json(s.as_bytes())
    }

    #[test]
    fn original_page_body_takes_the_last_case_insensitive_title() {
        let c =
            decode(r#"{"title":"","priority":1000,"completed":false,"id":0,"Title":"typed text"}"#)
                .expect("valid");
        assert_eq!(c.title.as_deref(), Some("typed text"));
        assert_eq!(c.priority, Some(1000));
        assert_eq!(c.complete, None, "\"completed\" is not the field name");
    }

    #[test]
    fn last_duplicate_wins_across_case_variants() {
        let c = decode(r#"{"Title":"a","title":"b","TITLE":"c"}"#).expect("valid");
        assert_eq!(c.title.as_deref(), Some("c"));
    }

    #[test]
    fn null_keeps_previous_value_and_trailing_bytes_are_ignored() {
        let c = decode(r#"{"title":"x","title":null} trailing garbage {"#).expect("valid");
        assert_eq!(c.title.as_deref(), Some("x"));
    }

    #[test]
    fn unicode_folding_like_go() {
        let c = decode("{\"COMPLETE\":true,\"\u{17F}\u{212A}ip\":1}").expect("valid");
        assert_eq!(c.complete, Some(true));
    }

    #[test]
    fn bad_bodies_are_rejected() {
        for body in [
            "",
            "[]",
            "\"x\"",
            "{",
            r#"{"priority":"1"}"#,
            r#"{"priority":1.5}"#,
            r#"{"complete":1}"#,
            r#"{"id":"x"}"#,
            r#"{"title":5}"#,
        ] {
            assert!(
                matches!(decode(body), Err(TaskInputError::Json(_))),
                "{body:?} should fail"
            );
        }
        assert_eq!(
            decode(r#"{"priority":2147483648}"#).err(),
            Some(TaskInputError::PriorityOutOfRange)
        );
        assert_eq!(
            decode(r#"{"title":"a\u0000b"}"#).err(),
            Some(TaskInputError::TitleHasNul)
        );
        let long = format!(r#"{{"title":"{}"}}"#, "x".repeat(MAX_TITLE_BYTES + 1));
        assert_eq!(decode(&long).err(), Some(TaskInputError::TitleTooLong));
    }

    #[test]
    fn percent_signs_survive_serialisation() {
        let t = Task {
            id: 1,
            priority: 0,
            title: "100% done".into(),
            complete: false,
        };
        let s = serde_json::to_string(&t).expect("serialises");
        assert_eq!(
            s,
            r#"{"id":1,"priority":0,"title":"100% done","complete":false}"#
        );
    }
}
