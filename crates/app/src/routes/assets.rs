//! The page and its static files, compiled into the binary so an instance needs no files beside
//! it and the browser needs nothing from outside this server.

use axum::Router;
use axum::extract::Path;
use axum::extract::rejection::PathRejection;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use rust_embed::RustEmbed;

use super::AppState;
use crate::error::AppError;

#[derive(RustEmbed)]
#[folder = "assets/"]
struct Assets;

/// `/`, `/js/*`, `/css/*`, `/images/*`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { file("index.html") }))
        .route("/js/{*path}", get(js))
        .route("/css/{*path}", get(css))
        .route("/images/{*path}", get(images))
}

async fn js(path: Result<Path<String>, PathRejection>) -> Response {
    under("js", path)
}

async fn css(path: Result<Path<String>, PathRejection>) -> Response {
    under("css", path)
}

async fn images(path: Result<Path<String>, PathRejection>) -> Response {
    under("images", path)
}

/// A file below `dir`; a path that does not decode is just another missing file.
fn under(dir: &str, path: Result<Path<String>, PathRejection>) -> Response {
    match path {
        Ok(Path(p)) => file(&format!("{dir}/{p}")),
        Err(_) => AppError::NotFound.into_response(),
    }
}

fn file(path: &str) -> Response {
    match Assets::get(path) {
        Some(f) => (
            [
                (header::CONTENT_TYPE, f.metadata.mimetype().to_owned()),
                (header::CACHE_CONTROL, "no-cache".to_owned()),
            ],
            f.data,
        )
            .into_response(),
        None => AppError::NotFound.into_response(),
    }
}
