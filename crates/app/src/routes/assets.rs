//! The page and its static files, compiled into the binary so an instance needs no files beside
//! it and the browser needs nothing from outside this server.

use axum::Router;
use axum::extract::Path;
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
        .route(
            "/js/{*path}",
            get(|Path(p): Path<String>| async move { file(&format!("js/{p}")) }),
        )
        .route(
            "/css/{*path}",
            get(|Path(p): Path<String>| async move { file(&format!("css/{p}")) }),
        )
        .route(
            "/images/{*path}",
            get(|Path(p): Path<String>| async move { file(&format!("images/{p}")) }),
        )
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
