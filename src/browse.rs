//! Finding assets: the contract's query parameters (`q`, `from`, `to`, `kind`,
//! `leader`, `photographer`, `assignment`, `page`, `per_page`) become an index
//! query; the hits become catalog records in one round-trip, and those become
//! the contract's asset JSON. Shared by `liputan search` and `GET /api/assets`.
//! Blocking.

use serde::{Deserialize, Serialize};

use crate::catalog::{AssetRecord, Catalog};
use crate::error::{Error, Result};
use crate::search::{SearchIndex, SearchQuery};

pub const DEFAULT_PER_PAGE: usize = 50;
pub const MAX_PER_PAGE: usize = 500;

/// The query parameters of `GET /api/assets` (all optional).
#[derive(Debug, Default, Clone, Deserialize)]
pub struct AssetQuery {
    pub q: Option<String>,
    pub assignment: Option<i64>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub kind: Option<String>,
    pub leader: Option<String>,
    pub photographer: Option<String>,
    pub camera: Option<String>,
    pub status: Option<String>,
    pub year: Option<i32>,
    pub month: Option<u8>,
    pub page: Option<usize>,
    pub per_page: Option<usize>,
}

/// A page of results.
#[derive(Debug)]
pub struct Found {
    pub total: usize,
    pub items: Vec<AssetRecord>,
}

/// Runs `query` against the index, then fetches the records from the catalog.
pub fn find(
    catalog: &Catalog,
    index: &SearchIndex,
    zone: jiff::tz::Offset,
    query: &AssetQuery,
) -> Result<Found> {
    let search = to_search(query, zone)?;
    let started = std::time::Instant::now();
    let hits = index.search(&search)?;
    let items = catalog.assets(&hits.ids)?;
    crate::metrics::registry()
        .search_seconds
        .observe_duration(started.elapsed());
    Ok(Found {
        total: hits.total,
        items,
    })
}

/// Checks and converts the parameters; errors name the parameter.
pub fn to_search(query: &AssetQuery, zone: jiff::tz::Offset) -> Result<SearchQuery> {
    let per_page = query.per_page.unwrap_or(DEFAULT_PER_PAGE);
    if per_page == 0 || per_page > MAX_PER_PAGE {
        return Err(Error::Invalid(format!(
            "per_page: must be between 1 and {MAX_PER_PAGE}"
        )));
    }
    let page = query.page.unwrap_or(1);
    if page == 0 {
        return Err(Error::Invalid("page: pages count from 1".into()));
    }
    let from_ms = query
        .from
        .as_deref()
        .map(|v| bound(v, zone, Edge::Start, "from"))
        .transpose()?;
    let to_ms = query
        .to
        .as_deref()
        .map(|v| bound(v, zone, Edge::End, "to"))
        .transpose()?;
    if let (Some(from), Some(to)) = (from_ms, to_ms) {
        if from > to {
            return Err(Error::Invalid("to: must not be before from".into()));
        }
    }
    if let Some(kind) = query.kind.as_deref() {
        if kind.parse::<crate::media::Kind>().is_err() {
            return Err(Error::Invalid(format!(
                "kind: {kind:?} is not one of photo, raw, video, audio, document, other"
            )));
        }
    }
    if let Some(month) = query.month {
        if !(1..=12).contains(&month) {
            return Err(Error::Invalid("month: must be 1 to 12".into()));
        }
    }
    Ok(SearchQuery {
        text: query.q.clone().unwrap_or_default(),
        from_ms,
        to_ms,
        year: query.year,
        month: query.month,
        kind: query.kind.clone(),
        leader: query.leader.clone(),
        photographer: query.photographer.clone(),
        camera: query.camera.clone(),
        assignment_id: query.assignment,
        status: query.status.clone(),
        offset: (page - 1).saturating_mul(per_page),
        limit: per_page,
        ..SearchQuery::default()
    })
}

#[derive(Clone, Copy, PartialEq)]
enum Edge {
    Start,
    End,
}

/// `YYYY-MM-DD` (a whole day in `zone`, inclusive) or an RFC 3339 instant, as unix ms.
fn bound(value: &str, zone: jiff::tz::Offset, edge: Edge, name: &str) -> Result<i64> {
    // jiff would also read the date part of a full timestamp: only a bare date is a day.
    let bare_date = value.len() == 10;
    if let Some(date) = value
        .parse::<jiff::civil::Date>()
        .ok()
        .filter(|_| bare_date)
    {
        let day = if edge == Edge::Start {
            date
        } else {
            date.tomorrow()
                .map_err(|e| Error::Invalid(format!("{name}: {e}")))?
        };
        let start = zone
            .to_timestamp(day.to_datetime(jiff::civil::Time::midnight()))
            .map_err(|e| Error::Invalid(format!("{name}: {e}")))?;
        let ms = start.as_millisecond();
        return Ok(if edge == Edge::End { ms - 1 } else { ms });
    }
    value
        .parse::<jiff::Timestamp>()
        .map(|t| t.as_millisecond())
        .map_err(|_| {
            Error::Invalid(format!(
                "{name}: {value:?} is neither a date (YYYY-MM-DD) nor an RFC 3339 time"
            ))
        })
}

/// The contract's asset object.
#[derive(Debug, Serialize)]
pub struct AssetView {
    pub id: String,
    pub kind: String,
    pub file_name: String,
    pub size: u64,
    pub captured_at: Option<String>,
    /// Where the capture time came from: `exif_with_offset`, `exif_zoneless`,
    /// `container` or `file_mtime` (no usable time in the file).
    pub time_source: Option<String>,
    pub camera: Option<String>,
    pub serial: Option<String>,
    pub lens: Option<String>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub orientation: Option<u16>,
    pub duration_ms: Option<u64>,
    pub gps: Option<[f64; 2]>,
    pub photographer: Option<String>,
    pub drop_folder: Option<String>,
    pub assignment_id: Option<i64>,
    pub match_reason: Option<String>,
    pub status: &'static str,
    pub damaged: Option<String>,
    pub thumbnail: Option<String>,
    /// The file's own description (EXIF), and the caption people wrote.
    pub description: Option<String>,
    pub caption: Option<String>,
    pub picked: bool,
    pub archive_path: String,
    pub thumb_url: String,
    pub preview_url: String,
    pub original_url: String,
}

impl AssetView {
    pub fn new(a: &AssetRecord) -> AssetView {
        let captured_at = a.captured_at_ms.and_then(|ms| {
            let offset = jiff::tz::Offset::from_seconds(a.captured_offset.unwrap_or(0)).ok()?;
            let ts = jiff::Timestamp::from_millisecond(ms).ok()?;
            Some(ts.display_with_offset(offset).to_string())
        });
        let base = format!("/api/assets/{}", a.id);
        AssetView {
            id: a.id.clone(),
            kind: a.kind.clone(),
            file_name: a.file_name.clone(),
            size: a.size,
            captured_at,
            time_source: a.time_source.clone(),
            camera: a.camera(),
            serial: a.serial.clone(),
            lens: a.lens.clone(),
            width: a.width,
            height: a.height,
            orientation: a.orientation,
            duration_ms: a.duration_ms,
            gps: a.lat.zip(a.lon).map(|(lat, lon)| [lat, lon]),
            photographer: a.photographer.clone(),
            drop_folder: a.drop_folder.clone(),
            assignment_id: a.assignment_id,
            match_reason: a.match_reason.clone(),
            status: crate::derived::status_of(a),
            damaged: a.damaged.clone(),
            thumbnail: match a.derived.as_deref() {
                None => Some("pending".into()),
                Some("ok") => None,
                Some(_) => a.derive_error.clone().or(Some("placeholder".into())),
            },
            description: a.description.clone(),
            caption: a.caption.clone(),
            picked: a.picked,
            archive_path: a.archive_path.to_string_lossy().into_owned(),
            thumb_url: format!("{base}/thumb"),
            preview_url: format!("{base}/preview"),
            original_url: format!("{base}/original"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wita() -> jiff::tz::Offset {
        jiff::tz::offset(8)
    }

    #[test]
    fn dates_are_whole_days_in_the_zone_and_instants_pass_through() {
        let from = bound("2026-11-26", wita(), Edge::Start, "from").unwrap();
        let to = bound("2026-11-26", wita(), Edge::End, "to").unwrap();
        assert_eq!(
            from,
            "2026-11-25T16:00:00Z"
                .parse::<jiff::Timestamp>()
                .unwrap()
                .as_millisecond()
        );
        assert_eq!(to - from, 24 * 3600 * 1000 - 1);
        let instant = bound("2026-11-26T09:00:00+08:00", wita(), Edge::Start, "from").unwrap();
        assert_eq!(instant, from + 9 * 3600 * 1000);
    }

    #[test]
    fn bad_parameters_name_themselves() {
        let bad = |q: AssetQuery, name: &str| {
            let err = to_search(&q, wita()).unwrap_err().to_string();
            assert!(err.starts_with(name), "{err}");
        };
        bad(
            AssetQuery {
                per_page: Some(501),
                ..Default::default()
            },
            "per_page",
        );
        bad(
            AssetQuery {
                page: Some(0),
                ..Default::default()
            },
            "page",
        );
        bad(
            AssetQuery {
                from: Some("26/11/2026".into()),
                ..Default::default()
            },
            "from",
        );
        bad(
            AssetQuery {
                from: Some("2026-11-27".into()),
                to: Some("2026-11-26".into()),
                ..Default::default()
            },
            "to",
        );
        bad(
            AssetQuery {
                kind: Some("foto".into()),
                ..Default::default()
            },
            "kind",
        );
        let ok = to_search(
            &AssetQuery {
                page: Some(3),
                per_page: Some(20),
                ..Default::default()
            },
            wita(),
        )
        .unwrap();
        assert_eq!((ok.offset, ok.limit), (40, 20));
    }
}
