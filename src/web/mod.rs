//! The HTTP side: `/healthz` and the JSON API. The panel joins it here.
//! Handlers stay short: blocking work goes through `error::blocking`, errors
//! through `ApiError`.

mod assets;
pub mod clock;
mod error;
mod schedule;

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post, put};
use axum::{Json, Router};

use crate::catalog::Catalog;
use crate::config::Config;
use crate::derived::ImageStore;
use crate::ingest::pipeline::Status;
use crate::ingest::Ingestor;
use crate::search::SearchIndex;

/// What handlers share.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub zone: jiff::tz::Offset,
    pub catalog: Arc<Catalog>,
    pub ingestor: Arc<Ingestor>,
    pub status: Arc<Status>,
    pub index: SearchIndex,
    pub images: Arc<ImageStore>,
    pub tagger: Arc<crate::schedule::tagger::Tagger>,
}

pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/api/assets", get(assets::list))
        .route("/api/assets/{id}", get(assets::get))
        .route("/api/assets/{id}/thumb", get(assets::thumb))
        .route("/api/assets/{id}/preview", get(assets::preview))
        .route("/api/assets/{id}/original", get(assets::original))
        .route("/api/assets/{id}/assignment", post(schedule::tag_asset))
        .route("/api/assets/assignment", post(schedule::tag_assets))
        .route(
            "/api/people",
            get(schedule::people).post(schedule::add_person),
        )
        .route(
            "/api/cameras",
            get(schedule::cameras).post(schedule::add_camera),
        )
        .route("/api/cameras/{serial}", patch(schedule::patch_camera))
        .route(
            "/api/roster/{month}",
            get(schedule::get_roster).put(schedule::put_roster),
        )
        .route(
            "/api/events",
            get(schedule::events).post(schedule::add_event),
        )
        .route("/api/events/{id}", patch(schedule::update_event))
        .route("/api/assignments", post(schedule::add_assignment))
        .route("/api/assignments/{id}", get(schedule::get_assignment))
        .route("/api/assignments/{id}/crew", put(schedule::put_crew))
        .route("/api/triage", get(schedule::triage))
        .merge(clock::router())
        .with_state(state)
}

/// 200 when the catalog answers; the body says what ingest and the derived
/// data are doing, and whether ffmpeg is there for video posters.
async fn healthz(State(state): State<AppState>) -> Response {
    let catalog = state.catalog.clone();
    let counts = tokio::task::spawn_blocking(move || {
        catalog.ping()?;
        Ok::<_, crate::Error>((catalog.counts()?, catalog.backlog()?))
    })
    .await;
    let ingest = state.status.snapshot();
    let paused = state.ingestor.gate.paused();
    let ffmpeg = crate::media::thumbs::ffmpeg_available();
    match counts {
        Ok(Ok((counts, (thumbs_waiting, index_waiting)))) => Json(serde_json::json!({
            "status": if paused.is_some() { "degraded" } else { "ok" },
            "catalog": "ok",
            "index": { "documents": state.index.doc_count(), "waiting": index_waiting },
            "thumbnails": { "waiting": thumbs_waiting },
            "ffmpeg": if ffmpeg { "present" } else { "missing: videos get a placeholder instead of a poster frame" },
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
    let body = Json(serde_json::json!({"status": "error", "catalog": reason}));
    (StatusCode::SERVICE_UNAVAILABLE, body).into_response()
}
