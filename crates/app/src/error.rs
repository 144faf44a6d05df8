//! The one error type handlers return, and how each kind becomes an HTTP response.
//!
//! Client mistakes are 4xx with a JSON `{"error": "..."}` that says what to fix. Store failures
//! are 503 (database unreachable) or 500 with a generic message; their detail goes to the log
//! only, so nothing about the database leaks to clients.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::store::StoreError;
use crate::task::TaskInputError;

/// Everything a handler can fail with.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// No such route or task.
    #[error("not found")]
    NotFound,
    /// The route exists but not for this method.
    #[error("method not allowed")]
    MethodNotAllowed,
    /// The body is not an acceptable task.
    #[error(transparent)]
    BadInput(#[from] TaskInputError),
    /// The body could not be read (cut short, or similar).
    #[error("could not read the request body: {0}")]
    BadBody(String),
    /// The body is larger than the limit.
    #[error("request body larger than {0} bytes")]
    TooLarge(usize),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AppError {
    /// The status this error is reported with.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::BadInput(_) | AppError::BadBody(_) => StatusCode::BAD_REQUEST,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::Store(StoreError::Unavailable(_)) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Store(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let status = self.status();
        let message = match &self {
            AppError::Store(e) => {
                tracing::error!(error = %e, "store error");
                if status == StatusCode::SERVICE_UNAVAILABLE {
                    "database unavailable, try again shortly".to_owned()
                } else {
                    "internal error".to_owned()
                }
            }
            other => other.to_string(),
        };
        (status, Json(json!({ "error": message }))).into_response()
    }
}
