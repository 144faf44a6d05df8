//! The error that makes the exit code 2: bad usage or settings (a flag, a settings file, a
//! prompt with no terminal), as opposed to an operation that failed (1).

/// A usage or settings problem: exit code 2. The message says what is wrong and what to do.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);
