//! The HTTP side: for now `/healthz`. The panel and the JSON API join it here.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};

use crate::catalog::Catalog;
use crate::ingest::pipeline::Status;
use crate::ingest::Ingestor;

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    pub catalog: Arc<Catalog>,
    pub ingestor: Arc<Ingestor>,
    pub status: Arc<Status>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .with_state(state)
}

/// 200 when the catalog answers; the body says what ingest is doing.
async fn healthz(State(state): State<AppState>) -> Response {
    let catalog = state.catalog.clone();
    let counts =
        tokio::task::spawn_blocking(move || catalog.ping().and_then(|()| catalog.counts())).await;
    let ingest = state.status.snapshot();
    let paused = state.ingestor.gate.paused();
    match counts {
        Ok(Ok(counts)) => Json(serde_json::json!({
            "status": if paused.is_some() { "degraded" } else { "ok" },
            "catalog": "ok",
            "ingest_paused": paused,
            "ingest": ingest,
            "archive": counts,
        }))
        .into_response(),
        Ok(Err(e)) => unhealthy(e.to_string()),
        Err(e) => unhealthy(e.to_string()),
    }
}

fn unhealthy(reason: String) -> Response {
    tracing::error!("health check failed: {reason}");
    (
        StatusCode::SERVICE_UNAVAILABLE,
        Json(serde_json::json!({"status": "error", "catalog": reason})),
    )
        .into_response()
}
