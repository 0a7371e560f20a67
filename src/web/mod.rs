//! The HTTP side: `/healthz` and the JSON API. The panel joins it here.
//! Handlers stay short: blocking work goes through `error::blocking`, errors
//! through `ApiError`.

pub mod access;
mod assets;
mod captions;
pub mod clock;
mod collages;
mod error;
mod health;
mod letters;
pub mod live;
pub mod pages;
mod people;
pub mod reports;
mod schedule;
pub mod serve;
mod upload;

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::{Json, Router};

use crate::auth::Need;
use crate::catalog::Catalog;
use crate::config::Config;
use crate::derived::ImageStore;
use crate::ingest::pipeline::Status;
use crate::ingest::Ingestor;
use crate::search::SearchIndex;
use access::{RouteRule, Routes};

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
    /// Rings the derived workers (index, thumbnails) after an edit.
    pub wake: Arc<crate::derived::Wake>,
    /// The one-time secret of the setup link while no admin exists.
    pub setup: Arc<std::sync::Mutex<Option<String>>>,
    /// The live list's shared feed (`/api/live`).
    pub live: Arc<live::Live>,
}

/// Largest request body any handler reads whole (forms and JSON); uploads
/// stream and have their own limit.
const BODY_LIMIT: usize = 1024 * 1024;

pub fn router(state: AppState) -> Router {
    let (router, _) = routes(state.clone()).finish();
    router
        .layer(axum::extract::DefaultBodyLimit::max(BODY_LIMIT))
        .layer(axum::middleware::from_fn(error::plain_rejections))
        .layer(axum::middleware::from_fn(access::security_headers))
        .with_state(state)
}

/// Every route with the permission it needs (`design.md`'s table). Tests walk
/// this table, so a route added here without a row there fails them.
pub fn routes(state: AppState) -> Routes {
    let r = Routes::new(state)
        .get("/healthz", Need::Public, healthz)
        .get("/readyz", Need::Public, health::readyz)
        .get("/metrics", Need::Public, health::metrics)
        .get("/api/assets", Need::Login, assets::list)
        .get("/api/assets/{id}", Need::Login, assets::get)
        .get("/api/assets/{id}/thumb", Need::Login, assets::thumb)
        .get("/api/assets/{id}/preview", Need::Login, assets::preview)
        .get("/api/assets/{id}/original", Need::Login, assets::original)
        .post(
            "/api/assets/{id}/assignment",
            Need::Schedule,
            schedule::tag_asset,
        )
        .post(
            "/api/assets/assignment",
            Need::Schedule,
            schedule::tag_assets,
        )
        .post(
            "/api/assets/{id}/caption",
            Need::Crew(crate::auth::Target::Asset),
            captions::set_caption,
        )
        .post(
            "/api/assets/{id}/pick",
            Need::Crew(crate::auth::Target::Asset),
            captions::set_pick,
        )
        .get("/api/people", Need::Login, schedule::people)
        .post("/api/people", Need::Admin, schedule::add_person)
        .patch("/api/people/{username}", Need::Admin, people::patch_person)
        .get("/api/audit", Need::Audit, people::audit)
        .get("/api/cameras", Need::Login, schedule::cameras)
        .post("/api/cameras", Need::Schedule, schedule::add_camera)
        .patch(
            "/api/cameras/{serial}",
            Need::Schedule,
            schedule::patch_camera,
        )
        .get("/api/roster/{month}", Need::Login, schedule::get_roster)
        .put("/api/roster/{month}", Need::Schedule, schedule::put_roster)
        .get("/api/events", Need::Login, schedule::events)
        .post("/api/events", Need::Schedule, schedule::add_event)
        .patch("/api/events/{id}", Need::Schedule, schedule::update_event)
        .post("/api/assignments", Need::Schedule, schedule::add_assignment)
        .get(
            "/api/assignments/{id}",
            Need::Login,
            schedule::get_assignment,
        )
        .put(
            "/api/assignments/{id}/crew",
            Need::Schedule,
            schedule::put_crew,
        )
        .get("/api/triage", Need::Schedule, schedule::triage)
        .get("/api/verify/last", Need::Login, crate::care::last_verify)
        .get("/api/routes", Need::Admin, route_list);
    let r = clock::routes(r);
    let r = upload::routes(r);
    let r = collages::routes(r);
    let r = reports::routes(r);
    let r = letters::routes(r);
    pages::routes(r)
}

/// `GET /api/routes`: every route with the permission it needs, so an
/// admin (and the permission tests) can see the whole table.
async fn route_list(State(state): State<AppState>) -> Json<Vec<RouteRule>> {
    Json(routes(state).finish().1)
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
