//! Collages over HTTP (SOP step 9): `POST /api/collages` makes one
//! (`Need::Publish`), `GET /api/collages` lists the last ones and
//! `GET /api/collages/{id}.jpg` / `.pdf` serve them (`Need::Login`).
//!
//! Which photos: the ones given in `asset_ids`, else the picked photos of
//! assignments `approved` or `published` whose event starts in the period
//! (optionally of one leader); when the period has none of those, the picked
//! photos of assignments of any status, and the reply says so in `fallback`.
//! Rendering is CPU work on a blocking thread, one collage at a time.
//! Files live at `<data>/collages/<id>.jpg|.pdf`, the id a catalog row's:
//! nothing from the client ever becomes a path.

use std::path::{Path as FsPath, PathBuf};
use std::time::Instant;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::access::Routes;
use super::error::{blocking, json_body, ApiError};
use super::AppState;
use crate::auth::{Need, Viewer};
use crate::catalog::{CollageRecord, NewCollage};
use crate::collage::{self, Spec};
use crate::error::IoContext;
use crate::schedule::{name_of, Leader};

/// One collage renders at a time (each holds a page-sized canvas, up to
/// 300 MB at the largest size); others wait their turn.
static RENDERING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);

/// Collages `GET /api/collages` lists by default, and at most.
const LIST_DEFAULT: usize = 20;
const LIST_MAX: usize = 100;

pub fn routes(r: Routes) -> Routes {
    r.post("/api/collages", Need::Publish, create)
        .get("/api/collages", Need::Login, list)
        .get("/api/collages/{file}", Need::Login, file)
}

#[derive(Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct CollageBody {
    /// First day, YYYY-MM-DD in the configured zone.
    from: String,
    /// Last day, inclusive.
    to: String,
    #[serde(default)]
    leader: Option<Leader>,
    #[serde(default)]
    asset_ids: Option<Vec<String>>,
    #[serde(default)]
    width_px: Option<u32>,
    #[serde(default)]
    height_px: Option<u32>,
}

/// A checked request.
#[derive(Debug, Clone, PartialEq)]
struct Ask {
    from: Date,
    to: Date,
    from_ms: i64,
    to_ms: i64,
    leader: Option<Leader>,
    asset_ids: Option<Vec<String>>,
    width: u32,
    height: u32,
}

fn day(field: &str, value: &str) -> Result<Date, ApiError> {
    let bad = || ApiError::BadRequest(format!("{field}: expected a day as YYYY-MM-DD"));
    if value.len() != 10 {
        return Err(bad());
    }
    value.parse::<Date>().map_err(|_| bad())
}

fn midnight_ms(date: Date, zone: jiff::tz::Offset) -> Result<i64, ApiError> {
    zone.to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
        .map(|t| t.as_millisecond())
        .map_err(|e| ApiError::BadRequest(format!("from/to: {e}")))
}

fn check(body: CollageBody, zone: jiff::tz::Offset) -> Result<Ask, ApiError> {
    let from = day("from", &body.from)?;
    let to = day("to", &body.to)?;
    if to < from {
        return Err(ApiError::BadRequest(
            "to: must not be before from".to_owned(),
        ));
    }
    let (dw, dh) = collage::A3_PORTRAIT_300DPI;
    let (width, height) = (body.width_px.unwrap_or(dw), body.height_px.unwrap_or(dh));
    collage::check_size(width, height).map_err(ApiError::BadRequest)?;
    let asset_ids = match body.asset_ids {
        None => None,
        Some(ids) => {
            if ids.is_empty() {
                return Err(ApiError::BadRequest(
                    "asset_ids: give at least one asset, or leave the field out".into(),
                ));
            }
            if ids.len() > collage::MAX_PHOTOS {
                return Err(ApiError::BadRequest(format!(
                    "asset_ids: at most {} photos ({} given)",
                    collage::MAX_PHOTOS,
                    ids.len()
                )));
            }
            let mut seen = Vec::with_capacity(ids.len());
            for (i, id) in ids.into_iter().enumerate() {
                let ok = id.len() == 64
                    && id
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b));
                if !ok {
                    return Err(ApiError::BadRequest(format!(
                        "asset_ids[{i}]: not an asset id"
                    )));
                }
                if !seen.contains(&id) {
                    seen.push(id);
                }
            }
            Some(seen)
        }
    };
    let next = to
        .tomorrow()
        .map_err(|_| ApiError::BadRequest("to: out of range".into()))?;
    Ok(Ask {
        from,
        to,
        from_ms: midnight_ms(from, zone)?,
        to_ms: midnight_ms(next, zone)?,
        leader: body.leader,
        asset_ids,
        width,
        height,
    })
}

/// The collage's JSON, as listed and as returned after making it.
fn view(c: &CollageRecord, zone: jiff::tz::Offset) -> Value {
    let n = &c.collage;
    let created = jiff::Timestamp::from_millisecond(c.created_at_ms)
        .map(|t| zone.to_datetime(t).to_string())
        .unwrap_or_default();
    json!({
        "id": c.id,
        "image_url": format!("/api/collages/{}.jpg", c.id),
        "pdf_url": n.pdf_bytes.map(|_| format!("/api/collages/{}.pdf", c.id)),
        "created_at": created,
        "created_by": n.created_by,
        "from": n.from_day,
        "to": n.to_day,
        "leader": n.leader,
        "title": n.title,
        "subtitle": n.subtitle,
        "width_px": n.width_px,
        "height_px": n.height_px,
        "photos": n.asset_ids.len(),
        "asset_ids": n.asset_ids,
        "fallback": n.fallback,
        "jpeg_bytes": n.jpeg_bytes,
        "pdf_bytes": n.pdf_bytes,
        "render_ms": n.render_ms,
    })
}

/// `POST /api/collages {from, to, leader?, asset_ids?, width_px?, height_px?}`
/// -> `{id, image_url, pdf_url, cells, fallback?, skipped, ...}`.
async fn create(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body: CollageBody = json_body(&bytes)?;
    let params = serde_json::to_string(&body).unwrap_or_default();
    let ask = check(body, state.zone)?;
    let _turn = RENDERING
        .acquire()
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let zone = state.zone;
    blocking(move || make(&state, &viewer, &ask, params))
        .await
        .map(|mut reply| {
            if let Some(obj) = reply.as_object_mut() {
                obj.entry("zone")
                    .or_insert(json!(crate::dates::zone_label(zone)));
            }
            Json(reply)
        })
}

/// Chooses the photos, renders, stores; blocking.
fn make(state: &AppState, viewer: &Viewer, ask: &Ask, params: String) -> Result<Value, ApiError> {
    let catalog = &state.catalog;
    let leader_name = ask.leader.map(|l| name_of(&l));
    let mut fallback = None;
    let ids = match &ask.asset_ids {
        Some(ids) => ids.clone(),
        None => {
            let approved =
                catalog.collage_picks(ask.from_ms, ask.to_ms, leader_name.as_deref(), true)?;
            if approved.is_empty() {
                let any =
                    catalog.collage_picks(ask.from_ms, ask.to_ms, leader_name.as_deref(), false)?;
                if !any.is_empty() {
                    fallback = Some(
                        "no approved or published assignment in this period has picked photos; \
                         this collage uses the picked photos of assignments of any status"
                            .to_owned(),
                    );
                }
                any
            } else {
                approved
            }
        }
    };
    if ids.is_empty() {
        let whose = ask
            .leader
            .map(|l| format!(" of {}", l.label()))
            .unwrap_or_default();
        return Err(ApiError::BadRequest(format!(
            "from: no picked photos{whose} between {} and {}; pick photos on the assignments' pages first",
            ask.from, ask.to
        )));
    }
    let available = ids.len();
    let ids = collage::sample_evenly(&ids, collage::MAX_PHOTOS);
    let assets = catalog.assets(&ids)?;
    if let Some(missing) = ids.iter().find(|id| !assets.iter().any(|a| &a.id == *id)) {
        return Err(ApiError::BadRequest(format!(
            "asset_ids: no such asset {missing}"
        )));
    }
    if let Some(other) = assets.iter().find(|a| a.kind != "photo" && a.kind != "raw") {
        return Err(ApiError::BadRequest(format!(
            "asset_ids: {} is a {} file, not a photo",
            other.id, other.kind
        )));
    }
    let period = collage::period_label(ask.from, ask.to);
    let spec = Spec {
        width: ask.width,
        height: ask.height,
        title: collage::TITLE.to_owned(),
        subtitle: collage::subtitle(ask.leader, &period),
        footer: collage::AGENCY.to_owned(),
    };
    let started = Instant::now();
    let rendered = collage::render(&spec, &assets, &state.images, &state.config.archive)?;
    let render_ms = started.elapsed().as_millis() as u64;
    let used: Vec<String> = rendered.cells.iter().map(|c| c.asset_id.clone()).collect();
    let record = NewCollage {
        created_by: viewer.username.clone(),
        from_day: ask.from.to_string(),
        to_day: ask.to.to_string(),
        leader: leader_name,
        title: spec.title.clone(),
        subtitle: spec.subtitle.clone(),
        params,
        asset_ids: used,
        cells: serde_json::to_string(&rendered.cells).unwrap_or_else(|_| "[]".into()),
        fallback: fallback.clone(),
        width_px: spec.width,
        height_px: spec.height,
        jpeg_bytes: rendered.jpeg.len() as u64,
        pdf_bytes: Some(rendered.pdf.len() as u64),
        render_ms,
    };
    let dir = folder(&state.config.data);
    let id = catalog.add_collage(&record, |id| {
        std::fs::create_dir_all(&dir).at("creating", &dir)?;
        write_atomic(&dir.join(format!("{id}.jpg")), &rendered.jpeg)?;
        write_atomic(&dir.join(format!("{id}.pdf")), &rendered.pdf)
    })?;
    let stored = catalog
        .collage(id)?
        .ok_or_else(|| ApiError::Internal(format!("collage {id} vanished")))?;
    let mut reply = view(&stored, state.zone);
    if let Some(obj) = reply.as_object_mut() {
        obj.insert("cells".into(), json!(rendered.cells));
        obj.insert("skipped".into(), json!(rendered.skipped));
        obj.insert("available".into(), json!(available));
        obj.insert("period".into(), json!(period));
    }
    Ok(reply)
}

/// `<data>/collages`.
pub fn folder(data: &FsPath) -> PathBuf {
    data.join("collages")
}

/// Via a temp file, synced, and a rename: a reader never sees half a file.
fn write_atomic(path: &FsPath, bytes: &[u8]) -> crate::Result<()> {
    use std::io::Write;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    let mut file = std::fs::File::create(&tmp).at("creating", &tmp)?;
    file.write_all(bytes).at("writing", &tmp)?;
    file.sync_all().at("syncing", &tmp)?;
    std::fs::rename(&tmp, path).at("renaming into place", path)
}

#[derive(Deserialize)]
struct ListQuery {
    limit: Option<usize>,
}

/// `GET /api/collages?limit=`: the newest collages, newest first.
async fn list(
    State(state): State<AppState>,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let limit = q.limit.unwrap_or(LIST_DEFAULT).clamp(1, LIST_MAX);
    let zone = state.zone;
    let rows = blocking(move || Ok(state.catalog.collages(limit)?)).await?;
    Ok(Json(Value::Array(
        rows.iter().map(|c| view(c, zone)).collect(),
    )))
}

/// `"12.jpg"` -> (12, "jpg"); anything else is not a collage file.
fn parse_file(name: &str) -> Option<(i64, &'static str)> {
    let (number, ext) = name.split_once('.')?;
    if number.is_empty() || number.len() > 15 || !number.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let ext = match ext {
        "jpg" => "jpg",
        "pdf" => "pdf",
        _ => return None,
    };
    Some((number.parse().ok()?, ext))
}

/// `GET /api/collages/{id}.jpg` and `/{id}.pdf`.
async fn file(State(state): State<AppState>, Path(name): Path<String>) -> Response {
    let not_found = || ApiError::NotFound("no such collage".into()).into_response();
    let Some((id, ext)) = parse_file(&name) else {
        return not_found();
    };
    let catalog = state.catalog.clone();
    let record = match blocking(move || Ok(catalog.collage(id)?)).await {
        Ok(Some(record)) => record,
        Ok(None) => return not_found(),
        Err(e) => return e.into_response(),
    };
    if ext == "pdf" && record.collage.pdf_bytes.is_none() {
        return not_found();
    }
    let path = folder(&state.config.data).join(format!("{id}.{ext}"));
    match tokio::fs::read(&path).await {
        Ok(bytes) => {
            let kind = if ext == "pdf" {
                "application/pdf"
            } else {
                "image/jpeg"
            };
            (
                [
                    (header::CONTENT_TYPE, kind.to_owned()),
                    // A collage never changes once made.
                    (header::CACHE_CONTROL, "private, max-age=86400".to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("inline; filename=\"kolase-{id}.{ext}\""),
                    ),
                ],
                bytes,
            )
                .into_response()
        }
        Err(e) => {
            tracing::error!("collage {id}: {}: {e}", path.display());
            ApiError::NotFound(format!("collage {id}: its file is missing")).into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(json: &str) -> Result<Ask, ApiError> {
        check(json_body(json.as_bytes())?, jiff::tz::Offset::constant(8))
    }

    fn err(json: &str) -> String {
        match body(json) {
            Err(ApiError::BadRequest(m)) => m,
            other => panic!("accepted {json}: {other:?}"),
        }
    }

    #[test]
    fn requests_are_checked_field_by_field() {
        let ask =
            body(r#"{"from": "2026-07-01", "to": "2026-12-31", "leader": "gubernur"}"#).unwrap();
        assert_eq!((ask.width, ask.height), collage::A3_PORTRAIT_300DPI);
        assert_eq!(ask.leader, Some(Leader::Gubernur));
        // Days in WITA: 2026-07-01 00:00 +08:00 is 2026-06-30 16:00 UTC.
        assert_eq!(
            ask.from_ms,
            "2026-06-30T16:00:00Z"
                .parse::<jiff::Timestamp>()
                .unwrap()
                .as_millisecond()
        );
        assert_eq!(ask.to_ms - ask.from_ms, 184 * 86_400_000);
        assert!(err(r#"{"from": "2026-13-01", "to": "2026-12-31"}"#).starts_with("from:"));
        assert!(err(r#"{"from": "2026-07-01", "to": "31-12-2026"}"#).starts_with("to:"));
        assert!(err(r#"{"from": "2026-07-02", "to": "2026-07-01"}"#).starts_with("to:"));
        assert!(
            err(r#"{"from": "2026-07-01", "to": "2026-07-02", "width_px": 20000}"#)
                .starts_with("width_px:")
        );
        assert!(
            err(r#"{"from": "2026-07-01", "to": "2026-07-02", "height_px": 10}"#)
                .starts_with("height_px:")
        );
        assert!(
            err(r#"{"from": "2026-07-01", "to": "2026-07-02", "leader": "raja"}"#)
                .starts_with("leader:")
        );
        assert!(err(
            r#"{"from": "2026-07-01", "to": "2026-07-02", "asset_ids": ["../../etc/passwd"]}"#
        )
        .starts_with("asset_ids[0]:"));
        assert!(
            err(r#"{"from": "2026-07-01", "to": "2026-07-02", "asset_ids": []}"#)
                .starts_with("asset_ids:")
        );
        assert!(err(r#"{"from": "2026-07-01", "to": "2026-07-02", "size": 1}"#).contains("size"));
        let id = "ab".repeat(32);
        let ask = body(&format!(
            r#"{{"from": "2026-07-01", "to": "2026-07-01", "asset_ids": ["{id}", "{id}"]}}"#
        ))
        .unwrap();
        assert_eq!(ask.asset_ids, Some(vec![id]));
    }

    #[test]
    fn only_numbered_collage_files_are_served() {
        assert_eq!(parse_file("12.jpg"), Some((12, "jpg")));
        assert_eq!(parse_file("7.pdf"), Some((7, "pdf")));
        for bad in [
            "..",
            "../1.jpg",
            "1.png",
            "a.jpg",
            ".jpg",
            "1.jpg.pdf",
            "1",
            "-1.jpg",
            "99999999999999999999.jpg",
        ] {
            assert_eq!(parse_file(bad), None, "{bad}");
        }
    }
}
