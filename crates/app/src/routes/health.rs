//! Health and introspection: `/healthcheck/` (readiness: the database answers), `/livez`
//! (liveness: the process serves HTTP) and `/debug` (settings with secrets masked).
//!
//! Why two: an Auto Scaling group that replaces instances failing `/healthcheck/` would replace
//! the whole fleet during a database outage, which cannot help and makes recovery slower. The
//! README's "Health" section says which check each AWS component uses.

use axum::Json;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::{Value, json};

use super::AppState;

/// The health and debug routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthcheck", get(healthcheck))
        .route("/healthcheck/", get(healthcheck))
        .route("/livez", get(livez))
        .route("/livez/", get(livez))
        .route("/debug", get(debug))
}

/// 200 `OK` when the store answers within its timeout, 503 otherwise (0.11.0 said 200 either way).
async fn healthcheck(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "OK"),
        Err(e) => {
            tracing::warn!(error = %e, "health check failed");
            (StatusCode::SERVICE_UNAVAILABLE, "Error: db connection down")
        }
    }
}

async fn livez() -> &'static str {
    "OK"
}

/// 0.11.0's shape, minus its blocking call to an outside service for the public IP.
async fn debug(State(state): State<AppState>) -> Json<Value> {
    let mut db = serde_json::to_value(&*state.db).unwrap_or_else(|_| json!({}));
    if let Some(map) = db.as_object_mut() {
        map.insert("DbUser".into(), json!("********"));
        map.insert("DbPassword".into(), json!("********"));
        map.insert("DbPort".into(), json!(state.db.db_port.to_string()));
    }
    let timestamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    Json(json!({
        "Assets": {},
        "DB": db,
        "Hostname": &*state.hostname,
        "Publicip": "not looked up",
        "Timestamp": timestamp,
        "Version": env!("CARGO_PKG_VERSION"),
    }))
}
