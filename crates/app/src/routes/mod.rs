//! The HTTP surface: [`app`] builds the whole router from an [`AppState`], so tests drive it
//! without a socket and `serve` puts the same router on one.

mod assets;
mod health;
mod tasks;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware;
use axum::response::IntoResponse;
use axum::routing::get;

use crate::config::DbSettings;
use crate::error::AppError;
use crate::metrics::Metrics;
use crate::store::Store;

/// Largest request body accepted, in bytes.
pub const BODY_LIMIT: usize = 64 * 1024;

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    /// Where tasks live.
    pub store: Arc<dyn Store>,
    /// Request and pool metrics.
    pub metrics: Arc<Metrics>,
    /// The settings `/debug` shows (secrets masked).
    pub db: Arc<DbSettings>,
    /// This machine's host name, read once at start-up.
    pub hostname: Arc<str>,
}

impl AppState {
    /// State for `store`, with fresh metrics (counting the store's secret reads, if any).
    pub fn new(store: Arc<dyn Store>, db: DbSettings) -> AppState {
        let metrics = match store.secret_reads() {
            Some(reads) => Metrics::with_secret_reads(reads),
            None => Metrics::new(),
        };
        AppState {
            store,
            metrics: Arc::new(metrics),
            db: Arc::new(db),
            hostname: hostname().into(),
        }
    }
}

fn hostname() -> String {
    std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|s| s.trim().to_owned())
        .unwrap_or_default()
}

/// The whole application router.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(tasks::router())
        .merge(health::router())
        .merge(assets::router())
        .route("/metrics", get(metrics))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(
            state.metrics.clone(),
            crate::metrics::track,
        ))
        .with_state(state)
}

async fn metrics(axum::extract::State(state): axum::extract::State<AppState>) -> impl IntoResponse {
    (
        [(
            axum::http::header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(state.store.pool_state()),
    )
}

async fn not_found() -> AppError {
    AppError::NotFound
}

/// A known path with the wrong method (axum adds the `Allow` header).
async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}
