//! The clock page (`GET /clock`, no login): the server's time in WITA as large digits
//! and as a QR code that changes every second, for photographers to photograph with
//! each camera at the start of the day (a "clock shot").
//!
//! Owns the page, the QR code as SVG (`/clock/qr.svg`), the time as JSON
//! (`/clock/now`) and the module matrix both the SVG and tests use. The QR payload
//! format and reading clock shots back belong to [`crate::media::clockshot`]; storing
//! a camera's offset belongs to the schedule.
//!
//! The handlers take no state and read only the server's clock: the phone showing the
//! page may be set wrong, so its script shows what each fetch of the SVG says, never
//! its own time.

use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::Json;
use jiff::civil::DateTime;
use jiff::tz::Offset;
use jiff::Timestamp;
use qrcode::{Color, EcLevel, QrCode};

use crate::media::clockshot;

/// The page shows WITA whatever zone the catalog uses: the coverage team reads WITA,
/// and the QR code carries zone-free Unix seconds, so the offset learned from a clock
/// shot does not depend on it.
const WITA: Offset = Offset::constant(8);
/// Light modules around the code, as the QR standard asks; detectors need the margin.
const QUIET_ZONE: usize = 4;
/// Response headers carrying the instant the SVG encodes, read by the page's script.
pub const HEADER_EPOCH_MS: &str = "x-clock-epoch-ms";
pub const HEADER_TEXT: &str = "x-clock-text";
pub const HEADER_DATE: &str = "x-clock-date";

/// The clock routes (`/clock`, `/clock/qr.svg`, `/clock/now`), for any router state:
/// merge them into the app's router. None of them needs a login.
/// No login: photographers open it on a phone at the venue.
pub fn routes(r: crate::web::access::Routes) -> crate::web::access::Routes {
    use crate::auth::Need::Public;
    r.get("/clock", Public, page)
        .get("/clock/qr.svg", Public, qr_svg)
        .get("/clock/now", Public, now)
}

/// `GET /clock`: the page, in Bahasa Indonesia, rendered with the current time and QR
/// code so it is right before its script runs (and, without script, refreshes itself
/// every second). Never cached: a stale code photographed would teach a wrong offset.
pub async fn page() -> Response {
    let reading = Reading::at(Timestamp::now());
    let svg = reading.svg().unwrap_or_default();
    let html = PAGE
        .replace("{{TEXT}}", &reading.text)
        .replace("{{DATE}}", &reading.date)
        .replace("{{SVG}}", &svg);
    ([(CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

/// `GET /clock/qr.svg` (any query, e.g. `?t=` against caches): the QR code of
/// [`clockshot::payload`] for this second as `image/svg+xml`, `Cache-Control:
/// no-store`, with the same instant in the `x-clock-*` headers.
pub async fn qr_svg() -> Response {
    let reading = Reading::at(Timestamp::now());
    let Some(svg) = reading.svg() else {
        // Unreachable with the fixed-length payload; answered rather than panicking.
        tracing::error!(payload = %reading.payload, "clock payload does not fit a QR code");
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let mut response = (
        [(CONTENT_TYPE, "image/svg+xml"), (CACHE_CONTROL, "no-store")],
        svg,
    )
        .into_response();
    reading.add_headers(response.headers_mut());
    response
}

/// `GET /clock/now`: `{"epoch_ms", "text", "date", "payload"}`, never cached.
pub async fn now() -> Response {
    let reading = Reading::at(Timestamp::now());
    let body = Json(serde_json::json!({
        "epoch_ms": reading.epoch_ms,
        "text": reading.text,
        "date": reading.date,
        "payload": reading.payload,
    }));
    ([(CACHE_CONTROL, "no-store")], body).into_response()
}

/// The modules of the QR code for `text` at error-correction level Q, row by row
/// (`true` is dark), without the quiet zone; `None` if `text` is too long for any QR
/// code. The clock payload gives 25 x 25.
pub fn qr_matrix(text: &str) -> Option<Vec<Vec<bool>>> {
    let code = QrCode::with_error_correction_level(text, EcLevel::Q).ok()?;
    let width = code.width();
    let colors = code.into_colors();
    Some(
        colors
            .chunks(width)
            .map(|row| row.iter().map(|&c| c == Color::Dark).collect())
            .collect(),
    )
}

/// A QR matrix as a square SVG, one unit per module, quiet zone included: a white
/// background and one path of dark runs, `M{x} {y}h{n}v1h-{n}z` each, drawn with
/// `crispEdges` so modules stay sharp at any size.
pub fn matrix_svg(matrix: &[Vec<bool>]) -> String {
    let side = matrix.len() + 2 * QUIET_ZONE;
    let mut path = String::new();
    for (y, row) in matrix.iter().enumerate() {
        for (x, n) in dark_runs(row) {
            let (x, y) = (x + QUIET_ZONE, y + QUIET_ZONE);
            path.push_str(&format!("M{x} {y}h{n}v1h-{n}z"));
        }
    }
    format!(
        concat!(
            r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {s} {s}" "#,
            r#"shape-rendering="crispEdges" role="img" aria-label="Kode QR jam server">"#,
            r##"<rect width="{s}" height="{s}" fill="#fff"/><path fill="#000" d="{p}"/></svg>"##
        ),
        s = side,
        p = path
    )
}

/// Start and length of each run of dark modules in a row.
fn dark_runs(row: &[bool]) -> Vec<(usize, usize)> {
    let mut runs = Vec::new();
    let mut start = None;
    for (x, &dark) in row.iter().chain([&false]).enumerate() {
        match (dark, start) {
            (true, None) => start = Some(x),
            (false, Some(s)) => {
                runs.push((s, x - s));
                start = None;
            }
            _ => {}
        }
    }
    runs
}

/// One reading of the server clock, in every form the page needs.
struct Reading {
    epoch_ms: i64,
    /// `HH.MM.SS` in WITA, as Indonesian writes times.
    text: String,
    /// `Kamis, 26 November 2026`.
    date: String,
    payload: String,
}

impl Reading {
    fn at(now: Timestamp) -> Reading {
        let local = WITA.to_datetime(now);
        Reading {
            epoch_ms: now.as_millisecond(),
            text: format!(
                "{:02}.{:02}.{:02}",
                local.hour(),
                local.minute(),
                local.second()
            ),
            date: tanggal(local),
            payload: clockshot::payload(now),
        }
    }

    fn svg(&self) -> Option<String> {
        qr_matrix(&self.payload).map(|m| matrix_svg(&m))
    }

    fn add_headers(&self, headers: &mut axum::http::HeaderMap) {
        for (name, value) in [
            (HEADER_EPOCH_MS, self.epoch_ms.to_string()),
            (HEADER_TEXT, self.text.clone()),
            (HEADER_DATE, self.date.clone()),
        ] {
            // All ASCII digits, letters, dots, commas and spaces: always valid.
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
    }
}

/// The date as Indonesian writes it: `Kamis, 26 November 2026`.
fn tanggal(local: DateTime) -> String {
    crate::dates::long_date(local.date())
}

/// The page. The script fetches `clock/qr.svg` just after each server second begins and
/// shows the time from its headers; if no fresh answer came for 2.5 s it fades the code
/// and says not to shoot, so nobody photographs a stale one.
const PAGE: &str = r##"<!doctype html>
<html lang="id">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Jam Server · Liputan</title>
<noscript><meta http-equiv="refresh" content="1"></noscript>
<link rel="stylesheet" href="/static/clock.css">
</head>
<body>
<main>
<div id="jam">{{TEXT}}</div>
<div id="zona">WITA</div>
<div id="tanggal">{{DATE}}</div>
<div id="qr">{{SVG}}</div>
<p id="status" role="status"></p>
<p class="petunjuk">Potret layar ini dengan setiap kamera di awal hari, dari dekat sehingga
kode QR tampak besar dan tajam. Selisih jam kamera dihitung otomatis saat foto masuk ke
arsip.</p>
</main>
<script src="/static/clock.js"></script>
</body>
</html>
"##;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn readings_are_in_wita_and_indonesian() {
        // 2026-11-26T01:15:07Z is 09.15.07 WITA on a Thursday.
        let t: Timestamp = "2026-11-26T01:15:07Z".parse().expect("valid");
        let r = Reading::at(t);
        assert_eq!(r.text, "09.15.07");
        assert_eq!(r.date, "Kamis, 26 November 2026");
        assert_eq!(r.payload, format!("LIPUTAN-CLOCK:{}", t.as_second()));
        let late: Timestamp = "2026-12-31T16:30:00Z".parse().expect("valid");
        assert_eq!(Reading::at(late).date, "Jumat, 1 Januari 2027");
    }

    #[test]
    fn runs_cover_every_dark_module() {
        let row = [true, true, false, true, false, false, true];
        assert_eq!(dark_runs(&row), vec![(0, 2), (3, 1), (6, 1)]);
        assert!(dark_runs(&[false; 4]).is_empty());
    }

    #[test]
    fn the_clock_payload_is_a_small_code() {
        let m = qr_matrix("LIPUTAN-CLOCK:1795660800").expect("fits");
        assert_eq!(m.len(), 25, "version 2");
        assert!(m.iter().all(|row| row.len() == 25));
        assert!(qr_matrix(&"x".repeat(5000)).is_none());
    }
}
