//! Captions and picks (SOP step 5, the crew's work on their files): a person's
//! caption for an asset, and whether it is picked for the assignment's report.
//! Both routes are `Need::Crew(Target::Asset)`: KASI and up on any asset, STAF
//! only on assets of assignments they are crew of (the guard checks `{id}`).
//!
//! A caption change bumps the asset's catalog `version`
//! (`Catalog::set_caption`), which puts it in the index workers' queue
//! (`indexed_version < version`), the same way a re-tag does, and wakes them.
//! Picks are not indexed.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::{Extension, Json};
use serde::Deserialize;

use super::error::{blocking, json_body, ApiError};
use super::AppState;
use crate::auth::Viewer;
use crate::browse::AssetView;

/// The longest caption accepted, in characters.
pub const MAX_CAPTION_CHARS: usize = 2000;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CaptionBody {
    /// The new caption; empty (or null) clears it. Required: a body that
    /// forgot the field must not clear a caption.
    #[serde(deserialize_with = "Option::deserialize")]
    caption: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PickBody {
    picked: bool,
}

/// Checks a caption: at most [`MAX_CAPTION_CHARS`] characters, no control
/// characters other than line breaks and tabs. Returns it trimmed.
pub fn check_caption(caption: &str) -> Result<String, String> {
    let caption = caption.trim();
    // The shared rules (`crate::text`), in Indonesian, bidi overrides refused.
    crate::text::multi_line("caption", caption, MAX_CAPTION_CHARS).map_err(|e| e.to_string())?;
    Ok(caption.replace("\r\n", "\n"))
}

/// `POST /api/assets/{id}/caption {caption}`: sets (or, with an empty text,
/// clears) the caption, recorded as the viewer's. Returns the asset.
pub async fn set_caption(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<AssetView>, ApiError> {
    let input: CaptionBody = json_body(&bytes)?;
    let caption =
        check_caption(input.caption.as_deref().unwrap_or("")).map_err(ApiError::BadRequest)?;
    let asset = blocking(move || {
        state.catalog.set_caption(&id, &caption, &viewer.username)?;
        state.wake.ring();
        Ok(state.catalog.asset(&id)?)
    })
    .await?;
    asset
        .map(|a| Json(AssetView::new(&a)))
        .ok_or_else(|| ApiError::NotFound("no such asset".into()))
}

/// `POST /api/assets/{id}/pick {picked}`: picks the asset for (or drops it
/// from) its assignment's report. Returns the asset.
pub async fn set_pick(
    State(state): State<AppState>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<AssetView>, ApiError> {
    let input: PickBody = json_body(&bytes)?;
    let asset = blocking(move || {
        state.catalog.set_picked(&id, input.picked)?;
        Ok(state.catalog.asset(&id)?)
    })
    .await?;
    asset
        .map(|a| Json(AssetView::new(&a)))
        .ok_or_else(|| ApiError::NotFound("no such asset".into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn captions_are_trimmed_and_bounded() {
        assert_eq!(
            check_caption("  Gubernur meninjau banjir \n").unwrap(),
            "Gubernur meninjau banjir"
        );
        assert_eq!(check_caption("a\r\nb").unwrap(), "a\nb");
        assert_eq!(check_caption("").unwrap(), "");
        let long = "é".repeat(MAX_CAPTION_CHARS);
        assert_eq!(
            check_caption(&long).unwrap().chars().count(),
            MAX_CAPTION_CHARS
        );
        let err = check_caption(&format!("{long}x")).unwrap_err();
        assert!(err.starts_with("caption:"), "{err}");
        assert!(check_caption("a\u{0}b")
            .unwrap_err()
            .starts_with("caption:"));
    }

    #[test]
    fn bodies_name_the_bad_field() {
        let err = |json: &str| match json_body::<CaptionBody>(&Bytes::from(json.to_owned())) {
            Err(ApiError::BadRequest(m)) => m,
            _ => panic!("accepted {json}"),
        };
        assert!(err(r#"{"caption": 5}"#).starts_with("caption:"));
        assert!(err(r#"{"caption": "x", "other": 1}"#).contains("other"));
        assert!(err("{}").contains("caption"));
        assert!(json_body::<CaptionBody>(&Bytes::from_static(br#"{"caption": null}"#)).is_ok());
        let pick = json_body::<PickBody>(&Bytes::from_static(br#"{"picked": "ya"}"#));
        assert!(matches!(pick, Err(ApiError::BadRequest(m)) if m.starts_with("picked:")));
    }
}
