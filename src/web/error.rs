//! The one place library errors become HTTP responses: 4xx with
//! `{"error": "..."}` naming the field, 5xx logged once with a generic body.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

#[derive(Debug)]
pub enum ApiError {
    BadRequest(String),
    Conflict(String),
    NotFound(String),
    /// 429: this client (or account) must wait; `Retry-After` in seconds.
    TooMany(String, u64),
    /// 503: the server is saturated right now (not this client's fault);
    /// `Retry-After` in seconds.
    Busy(String, u64),
    /// 413: a body or a declared size above a limit.
    TooLarge(String),
    /// 507: the disk cannot take it (free space or a quota).
    NoSpace(String),
    Internal(String),
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, message) = match self {
            ApiError::TooMany(m, secs) => return limited(StatusCode::TOO_MANY_REQUESTS, m, secs),
            ApiError::Busy(m, secs) => return limited(StatusCode::SERVICE_UNAVAILABLE, m, secs),
            ApiError::TooLarge(m) => (StatusCode::PAYLOAD_TOO_LARGE, m),
            ApiError::NoSpace(m) => (StatusCode::INSUFFICIENT_STORAGE, m),
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, m),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, m),
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, m),
            ApiError::Internal(m) => {
                tracing::error!("request failed: {m}");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal error; see the server log".to_owned(),
                )
            }
        };
        (status, Json(serde_json::json!({ "error": message }))).into_response()
    }
}

/// A refusal that tells the client when to come back.
fn limited(status: StatusCode, message: String, retry_after_s: u64) -> Response {
    let retry = [(
        axum::http::header::RETRY_AFTER,
        retry_after_s.max(1).to_string(),
    )];
    (status, retry, Json(serde_json::json!({ "error": message }))).into_response()
}

impl From<crate::Error> for ApiError {
    fn from(e: crate::Error) -> ApiError {
        match e {
            crate::Error::Invalid(m) => ApiError::BadRequest(m),
            crate::Error::Conflict(m) => ApiError::Conflict(m),
            crate::Error::NotFound(m) => ApiError::NotFound(m),
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<tokio::task::JoinError> for ApiError {
    fn from(e: tokio::task::JoinError) -> ApiError {
        ApiError::Internal(e.to_string())
    }
}

/// Runs blocking work (SQLite, tantivy, file system) off the async runtime.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(work).await?
}

/// Parses a JSON body, naming the field that is wrong (`"crew[0].role: ..."`).
pub fn json_body<T: for<'de> serde::Deserialize<'de>>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let field = if path == "." {
            String::new()
        } else {
            format!("{path}: ")
        };
        ApiError::BadRequest(format!("{field}{}", e.inner()))
    })
}

/// axum answers a query string, path segment or form it cannot parse with a
/// `text/plain` English sentence, before any handler runs. This layer turns
/// those into what the rest of liputan answers: `{"error": ...}` for the API,
/// the refusal page for pages, in Indonesian with axum's detail kept.
pub async fn plain_rejections(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let api = request.uri().path().starts_with("/api/");
    let response = next.run(request).await;
    let status = response.status();
    let plain = response
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"text/plain"));
    if !status.is_client_error() || !plain {
        return response;
    }
    // Rejection texts are one short sentence; anything longer is cut.
    let body = axum::body::to_bytes(response.into_body(), 16 * 1024)
        .await
        .unwrap_or_default();
    let message = rejection_in_indonesian(String::from_utf8_lossy(&body).trim());
    if api {
        (status, Json(serde_json::json!({ "error": message }))).into_response()
    } else {
        super::pages::refusal(status, &message)
    }
}

/// axum's rejection sentence, said in Indonesian (its detail, which names the
/// field and the value, is kept as it is).
fn rejection_in_indonesian(text: &str) -> String {
    const KNOWN: &[(&str, &str)] = &[
        (
            "Failed to deserialize query string: ",
            "query: parameter alamat tidak valid: ",
        ),
        (
            "Failed to deserialize form body: ",
            "form: isi formulir tidak valid: ",
        ),
        ("Invalid URL: ", "path: alamat tidak valid: "),
        (
            "Failed to buffer the request body: ",
            "body: isi permintaan tidak terbaca: ",
        ),
    ];
    for (english, indonesian) in KNOWN {
        if let Some(detail) = text.strip_prefix(english) {
            return format!("{indonesian}{detail}");
        }
    }
    if text.starts_with("Expected request with `Content-Type") {
        return format!("body: jenis isi (Content-Type) tidak sesuai ({text})");
    }
    format!("permintaan tidak dapat dibaca: {text}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axum_rejections_are_said_in_indonesian_with_their_detail() {
        assert_eq!(
            rejection_in_indonesian("Failed to deserialize query string: tanggal: invalid type"),
            "query: parameter alamat tidak valid: tanggal: invalid type"
        );
        assert_eq!(
            rejection_in_indonesian("Invalid URL: Cannot parse `abc` to a `i64`"),
            "path: alamat tidak valid: Cannot parse `abc` to a `i64`"
        );
        assert!(rejection_in_indonesian("something new").starts_with("permintaan tidak"));
    }
}
