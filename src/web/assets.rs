//! `/api/assets`: search and filters, one asset, and its files. Thumbnails and
//! previews are static files keyed by blake3 and never touch SQLite; originals
//! stream from the archive with `Range` support so videos seek in a browser.

use std::io::SeekFrom;

use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use super::error::{blocking, ApiError};
use super::AppState;
use crate::browse::{self, AssetQuery, AssetView};
use crate::derived::Size;

/// `GET /api/assets?q=&from=&to=&kind=&leader=&photographer=&assignment=&page=&per_page=`
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<AssetQuery>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let found = blocking(move || {
        Ok(browse::find(
            &state.catalog,
            &state.index,
            state.zone,
            &query,
        )?)
    })
    .await?;
    let items: Vec<AssetView> = found.items.iter().map(AssetView::new).collect();
    Ok(Json(
        serde_json::json!({ "total": found.total, "items": items }),
    ))
}

/// `GET /api/assets/{id}`
pub async fn get(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<AssetView>, ApiError> {
    let asset = blocking(move || Ok(state.catalog.asset(&id)?)).await?;
    asset
        .map(|a| Json(AssetView::new(&a)))
        .ok_or_else(|| ApiError::NotFound("no such asset".into()))
}

pub async fn thumb(state: State<AppState>, id: Path<String>, headers: HeaderMap) -> Response {
    derived_image(state, id, headers, Size::Thumb).await
}

pub async fn preview(state: State<AppState>, id: Path<String>, headers: HeaderMap) -> Response {
    derived_image(state, id, headers, Size::Preview).await
}

/// Serves a derived JPEG, or a placeholder while it is missing (not cached, so
/// the real one shows once made).
async fn derived_image(
    State(state): State<AppState>,
    Path(id): Path<String>,
    headers: HeaderMap,
    size: Size,
) -> Response {
    let Some(path) = state.images.path(&id, size) else {
        return ApiError::NotFound("no such asset".into()).into_response();
    };
    if not_modified(&headers, &id) {
        return (StatusCode::NOT_MODIFIED, cache_headers(&id)).into_response();
    }
    match tokio::fs::read(&path).await {
        Ok(bytes) => (
            cache_headers(&id),
            [(header::CONTENT_TYPE, "image/jpeg")],
            bytes,
        )
            .into_response(),
        Err(_) => (
            [
                (
                    header::CONTENT_TYPE,
                    crate::media::thumbs::PLACEHOLDER_CONTENT_TYPE,
                ),
                (header::CACHE_CONTROL, "no-store"),
            ],
            crate::media::thumbs::placeholder(crate::media::Kind::Photo),
        )
            .into_response(),
    }
}

/// `GET /api/assets/{id}/original`: the archived bytes, with `Range`.
/// `?download=1` asks the browser to save it under its original name.
pub async fn original(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(params): Query<std::collections::HashMap<String, String>>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let lookup = id.clone();
    let catalog = state.catalog.clone();
    let asset = blocking(move || Ok(catalog.asset(&lookup)?))
        .await?
        .ok_or_else(|| ApiError::NotFound("no such asset".into()))?;
    if not_modified(&headers, &id) {
        return Ok((StatusCode::NOT_MODIFIED, cache_headers(&id)).into_response());
    }
    let path = state.config.archive.join(&asset.archive_path);
    let mut file = tokio::fs::File::open(&path)
        .await
        .map_err(|e| ApiError::Internal(format!("opening {}: {e}", path.display())))?;
    let size = asset.size;
    let range = match headers.get(header::RANGE).and_then(|v| v.to_str().ok()) {
        None => None,
        Some(value) => match parse_range(value, size) {
            Ok(range) => range,
            Err(()) => {
                return Ok((
                    StatusCode::RANGE_NOT_SATISFIABLE,
                    [(header::CONTENT_RANGE, format!("bytes */{size}"))],
                )
                    .into_response())
            }
        },
    };
    let (status, start, len) = match range {
        Some((start, end)) => (StatusCode::PARTIAL_CONTENT, start, end - start + 1),
        None => (StatusCode::OK, 0, size),
    };
    file.seek(SeekFrom::Start(start))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let body = Body::from_stream(tokio_util::io::ReaderStream::new(file.take(len)));
    let (content_type, inline) = content_type(&asset.file_name);
    let download = params.get("download").is_some_and(|v| v != "0") || !inline;
    let mut response = (status, cache_headers(&id), body).into_response();
    let h = response.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(header::ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    if status == StatusCode::PARTIAL_CONTENT {
        if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{}/{size}", start + len - 1)) {
            h.insert(header::CONTENT_RANGE, v);
        }
    }
    if download {
        if let Ok(v) = HeaderValue::from_str(&attachment(&asset.file_name)) {
            h.insert(header::CONTENT_DISPOSITION, v);
        }
    }
    Ok(response)
}

/// `ETag` is the content hash: an archived file never changes.
fn cache_headers(id: &str) -> [(header::HeaderName, HeaderValue); 3] {
    [
        (
            header::ETAG,
            HeaderValue::from_str(&format!("\"{id}\"")).unwrap_or(HeaderValue::from_static("\"\"")),
        ),
        // Private: assets are for logged-in staff, not for shared caches.
        (
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, max-age=31536000, immutable"),
        ),
        (
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ),
    ]
}

fn not_modified(headers: &HeaderMap, id: &str) -> bool {
    headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.split(',')
                .any(|tag| tag.trim().trim_start_matches("W/") == format!("\"{id}\""))
        })
}

/// One `bytes=` range, inclusive, clamped to the file; `Ok(None)` for forms we
/// answer with the whole file (several ranges).
fn parse_range(value: &str, size: u64) -> Result<Option<(u64, u64)>, ()> {
    let spec = value.strip_prefix("bytes=").ok_or(())?.trim();
    if spec.contains(',') {
        return Ok(None);
    }
    let (a, b) = spec.split_once('-').ok_or(())?;
    let (start, end) = match (a.trim(), b.trim()) {
        ("", suffix) => {
            let n: u64 = suffix.parse().map_err(|_| ())?;
            if n == 0 {
                return Err(());
            }
            (size.saturating_sub(n), size.checked_sub(1).ok_or(())?)
        }
        (start, "") => (
            start.parse().map_err(|_| ())?,
            size.checked_sub(1).ok_or(())?,
        ),
        (start, end) => {
            let end: u64 = end.parse().map_err(|_| ())?;
            (
                start.parse().map_err(|_| ())?,
                end.min(size.saturating_sub(1)),
            )
        }
    };
    if start > end || start >= size {
        return Err(());
    }
    Ok(Some((start, end)))
}

/// The content type for an original, and whether a browser may show it inline.
/// Anything not on this list is a download, so a hostile file named `.html`
/// is never rendered by the panel's origin.
fn content_type(file_name: &str) -> (&'static str, bool) {
    let ext = file_name
        .rsplit_once('.')
        .map(|(_, e)| e.to_ascii_lowercase())
        .unwrap_or_default();
    match ext.as_str() {
        "jpg" | "jpeg" | "jpe" => ("image/jpeg", true),
        "png" => ("image/png", true),
        "webp" => ("image/webp", true),
        "heic" | "heif" | "hif" => ("image/heif", false),
        "tif" | "tiff" => ("image/tiff", false),
        "mp4" | "m4v" => ("video/mp4", true),
        "mov" => ("video/quicktime", true),
        "mp3" => ("audio/mpeg", true),
        "m4a" => ("audio/mp4", true),
        "wav" => ("audio/wav", true),
        "pdf" => ("application/pdf", false),
        _ => ("application/octet-stream", false),
    }
}

/// `attachment; filename="..."; filename*=UTF-8''...` (RFC 6266).
fn attachment(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() && c != '"' && c != '\\' || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded: String = name
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_are_parsed_and_clamped() {
        assert_eq!(parse_range("bytes=0-99", 1000), Ok(Some((0, 99))));
        assert_eq!(parse_range("bytes=900-", 1000), Ok(Some((900, 999))));
        assert_eq!(parse_range("bytes=-100", 1000), Ok(Some((900, 999))));
        assert_eq!(parse_range("bytes=500-5000", 1000), Ok(Some((500, 999))));
        assert_eq!(parse_range("bytes=0-1,5-6", 1000), Ok(None));
        assert_eq!(parse_range("bytes=1000-", 1000), Err(()));
        assert_eq!(parse_range("bytes=5-1", 1000), Err(()));
        assert_eq!(parse_range("items=0-1", 1000), Err(()));
    }

    #[test]
    fn only_known_media_types_are_shown_inline() {
        assert_eq!(content_type("IMG_0001.JPG"), ("image/jpeg", true));
        assert_eq!(content_type("C0001.MP4"), ("video/mp4", true));
        assert_eq!(
            content_type("evil.html"),
            ("application/octet-stream", false)
        );
        assert!(attachment("foto \"1\".jpg").starts_with("attachment; filename=\"foto _1_.jpg\""));
    }
}
