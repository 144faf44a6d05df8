//! `/api/task/` routes: list, create, and per task read, edit, delete.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, PathRejection};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;

use super::{AppState, BODY_LIMIT};
use crate::error::AppError;
use crate::task::{Task, TaskFields};

/// The task routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/task/", get(list).post(create))
        .route("/api/task/{id}/", get(read).put(update).delete(remove))
}

/// The id in the path; a segment that is not valid percent-encoded UTF-8 is no task either.
fn path_id(path: Result<Path<String>, PathRejection>) -> Result<i64, AppError> {
    let Path(raw) = path.map_err(|_| AppError::NotFound)?;
    task_id(&raw)
}

/// 0.11.0 only matched `[0-9]+`; anything else is an unknown path, hence 404 rather than 400.
fn task_id(raw: &str) -> Result<i64, AppError> {
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::NotFound);
    }
    // All digits but too large for any stored id: no such task.
    raw.parse().map_err(|_| AppError::NotFound)
}

fn body(body: Result<Bytes, BytesRejection>) -> Result<Bytes, AppError> {
    body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge(BODY_LIMIT)
        } else {
            AppError::BadBody(e.body_text())
        }
    })
}

async fn list(State(state): State<AppState>) -> Result<Json<Vec<Task>>, AppError> {
    Ok(Json(state.store.list().await?))
}

async fn create(
    State(state): State<AppState>,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<Task>, AppError> {
    let changes = TaskFields::from_json(&body(raw)?)?;
    Ok(Json(state.store.create(changes.into_new_task()).await?))
}

async fn read(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<Json<Task>, AppError> {
    let id = path_id(id)?;
    state
        .store
        .get(id)
        .await?
        .map(Json)
        .ok_or(AppError::NotFound)
}

async fn update(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
    raw: Result<Bytes, BytesRejection>,
) -> Result<Json<Task>, AppError> {
    let id = path_id(id)?;
    let changes = TaskFields::from_json(&body(raw)?)?;
    state
        .store
        .update(id, changes)
        .await?
        .map(Json)
        .ok_or(AppError::NotFound)
}

async fn remove(
    State(state): State<AppState>,
    id: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, AppError> {
    let id = path_id(id)?;
    if state.store.delete(id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(AppError::NotFound)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_digits_only() {
        assert_eq!(task_id("12").ok(), Some(12));
        for bad in [
            "",
            "abc",
            "-1",
            "1.0",
            " 1",
            "+1",
            "99999999999999999999999",
        ] {
            assert!(matches!(task_id(bad), Err(AppError::NotFound)), "{bad:?}");
        }
    }
}
