//! What can go wrong asking AWS about the fleet: the call, and AWS's own words.

/// A failed question to AWS.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{service} {operation} failed: {message}")]
pub struct FleetError {
    /// The service, e.g. `SSM`.
    pub service: &'static str,
    /// The API operation, e.g. `GetParameter`.
    pub operation: &'static str,
    /// The service's or the transport's message.
    pub message: String,
}

impl FleetError {
    /// An error of `service`'s `operation`, with the SDK error's whole chain as the message.
    pub fn from_sdk(
        service: &'static str,
        operation: &'static str,
        err: &(dyn std::error::Error + 'static),
    ) -> Self {
        let mut message = err.to_string();
        let mut source = err.source();
        while let Some(s) = source {
            message = format!("{message}: {s}");
            source = s.source();
        }
        Self {
            service,
            operation,
            message,
        }
    }
}
