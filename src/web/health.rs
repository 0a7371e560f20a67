//! `GET /metrics` (Prometheus text) and `GET /readyz` (can liputan take files
//! now?). Both are public: they expose counts and check results, never file
//! names or people; a failed check's details (which name paths) only to a
//! logged-in admin. The SQLite and file-system work runs off the async runtime.

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

use super::error::{blocking, ApiError};
use super::AppState;
use crate::auth::Viewer;
use crate::metrics::{self, Live, Readiness, Scrape};

/// The content type of the Prometheus text exposition format.
const PROMETHEUS_TEXT: &str = "text/plain; version=0.0.4; charset=utf-8";

pub async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let config = state.config.clone();
    let catalog = state.catalog.clone();
    let scrape = blocking(move || Ok(Scrape::gather(&config, &catalog)?)).await?;
    let live = Live {
        status: state.status.snapshot(),
        ingest_paused: state.ingestor.gate.paused().is_some(),
        index_documents: state.index.doc_count(),
    };
    let body = metrics::render(&live, &scrape);
    Ok(([(header::CONTENT_TYPE, PROMETHEUS_TEXT)], body).into_response())
}

/// 200 with every check `ok` when ready, 503 naming what is not. Anyone sees
/// which check failed; only an admin sees why (the reasons name folders).
pub async fn readyz(
    State(state): State<AppState>,
    viewer: Option<Extension<Viewer>>,
) -> Result<Response, ApiError> {
    let config = state.config.clone();
    let catalog = state.catalog.clone();
    let index = state.index.clone();
    let mut readiness =
        blocking(move || Ok(Readiness::check(&config, Ok(&catalog), Ok(&index)))).await?;
    let status = if readiness.ready {
        StatusCode::OK
    } else {
        tracing::warn!(checks = ?readiness.checks, "not ready");
        StatusCode::SERVICE_UNAVAILABLE
    };
    if !viewer.is_some_and(|Extension(v)| v.is_admin) {
        redact(&mut readiness);
    }
    Ok((status, Json(readiness)).into_response())
}

/// Failed checks reduced to a word: their reasons carry absolute paths.
fn redact(readiness: &mut Readiness) {
    let c = &mut readiness.checks;
    for check in [
        &mut c.catalog,
        &mut c.index,
        &mut c.archive_writable,
        &mut c.free_space,
    ] {
        if check != "ok" {
            *check = "error (details for a logged-in admin, or `liputan status`)".into();
        }
    }
}
