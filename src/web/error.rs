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
