//! Arsip: the archivist's search (`q` is the index's Indonesian search, the
//! same as `GET /api/assets` through `browse::find`), with facets as selects
//! (year, month, leader, photographer, kind, and a date range), 48 results a
//! page, everything in the URL so a search can be bookmarked and works
//! without JS. Also the pieces the other file pages share: the thumbnail
//! link, the metadata list and the preview viewer (`static/assets.js` opens a
//! thumbnail in a dialog; without JS the link opens the preview image).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Extension;
use jiff::civil::Date;
use jiff::tz::Offset;
use jiff::Timestamp;
use maud::{html, Markup};
use serde::Deserialize;

use super::agenda::{name_of_user, names, LEADERS};
use super::{layout, page, url_encode};
use crate::auth::{Need, Viewer};
use crate::browse::{self, AssetQuery, AssetView};
use crate::dates::{date_in, date_time, month_name, plain_date, time_with_zone, MONTHS};
use crate::media::Kind;
use crate::schedule::name_of;
use crate::search::SearchQuery;
use crate::web::access::Routes;
use crate::web::error::{blocking, ApiError};
use crate::web::AppState;

pub fn routes(r: Routes) -> Routes {
    r.get("/arsip", Need::Login, archive_page)
}

/// Results per page.
pub const PER_PAGE: usize = 48;
/// The size the thumbnail `<img>` reserves (thumbnails are at most 320 px on
/// the long edge; the stylesheet crops them to 4:3).
pub const THUMB_W: u32 = 320;
pub const THUMB_H: u32 = 240;
/// The highest page number accepted (48 × 100,000 is far beyond any archive).
const MAX_PAGE: usize = 100_000;

// ---------------------------------------------------------------------------
// Shared by the file pages (Liputan, Triage, Arsip).

/// The file pages' stylesheet and script, at the top of a page's body.
pub fn assets_head() -> Markup {
    html! {
        link rel="stylesheet" href="/static/assets.css";
        script src="/static/assets.js" defer {}
    }
}

/// What the metadata list needs besides the asset: display names of people
/// and the titles of assignments.
pub struct Context<'a> {
    pub zone: Offset,
    pub names: &'a HashMap<String, String>,
    pub titles: &'a HashMap<i64, String>,
}

/// How the panel names a kind.
pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "photo" => "Foto",
        "raw" => "RAW",
        "video" => "Video",
        "audio" => "Audio",
        "document" => "Dokumen",
        _ => "Lainnya",
    }
}

/// "1.234.567" (Indonesian thousands separator).
pub fn number(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// "4,2 MB", "850 KB", "12 byte" (decimal units, Indonesian decimal comma).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1000 {
        return format!("{bytes} byte");
    }
    let mut value = bytes as f64 / 1000.0;
    let mut unit = 0;
    while value >= 999.95 && unit < UNITS.len() - 1 {
        value /= 1000.0;
        unit += 1;
    }
    let text = if value < 10.0 {
        format!("{value:.1}").replace('.', ",")
    } else {
        format!("{value:.0}")
    };
    format!("{text} {}", UNITS[unit])
}

/// "1 jam 2 menit 5 detik", "45 detik".
pub fn duration_words(ms: u64) -> String {
    let s = ms / 1000;
    let (h, m, s) = (s / 3600, s % 3600 / 60, s % 60);
    let mut parts = Vec::new();
    if h > 0 {
        parts.push(format!("{h} jam"));
    }
    if m > 0 {
        parts.push(format!("{m} menit"));
    }
    if s > 0 || parts.is_empty() {
        parts.push(format!("{s} detik"));
    }
    parts.join(" ")
}

/// When the asset was captured.
pub fn captured(a: &AssetView) -> Option<Timestamp> {
    a.captured_at.as_deref().and_then(|t| t.parse().ok())
}

/// The thumbnail as a link to the preview image (the viewer takes it over).
pub fn thumb_link(a: &AssetView) -> Markup {
    html! {
        a.view href=(a.preview_url) data-id=(a.id) data-kind=(a.kind) data-name=(a.file_name) data-original=(a.original_url)
            title=(format!("Lihat {}", a.file_name)) {
            img src=(a.thumb_url) loading="lazy" decoding="async" width=(THUMB_W) height=(THUMB_H) alt=(a.file_name);
            @if a.kind == "video" { span.play aria-hidden="true" { "▶" } }
            @if a.kind != "photo" && a.kind != "video" { span.kind { (kind_label(&a.kind)) } }
        }
    }
}

/// The caption, or else the file's own description (muted: the camera wrote
/// it, nobody checked it). `data-caption-of` lets the script update it after
/// an edit.
pub fn caption_text(a: &AssetView) -> Markup {
    let description = a.description.as_deref().unwrap_or("");
    html! {
        @if let Some(caption) = a.caption.as_deref().filter(|c| !c.is_empty()) {
            span.caption data-caption-of=(a.id) data-description=(description) { (caption) }
        } @else if !description.is_empty() {
            span.caption.muted data-caption-of=(a.id) data-description=(description)
                title="Deskripsi dari berkas (EXIF), belum diperiksa" { (description) }
        } @else {
            span.caption.muted data-caption-of=(a.id) data-description="" { "Belum ada keterangan" }
        }
    }
}

/// The metadata list the viewer shows next to the preview, with the download
/// link. Rendered hidden in each tile.
pub fn info(a: &AssetView, ctx: &Context) -> Markup {
    let at = captured(a);
    html! {
        div.info hidden {
            h2.viewer-title { (a.file_name) }
            dl.meta {
                dt { "Waktu" }
                dd {
                    @match at {
                        Some(t) => {
                            (date_time(t, ctx.zone))
                            @if a.time_source.as_deref() == Some("file_mtime") {
                                br; span.muted { "(dari waktu berkas; kamera tidak mencatat waktu)" }
                            }
                        }
                        None => span.muted { "Tidak diketahui" },
                    }
                }
                dt { "Kamera" }
                dd {
                    (a.camera.as_deref().unwrap_or("Tidak diketahui"))
                    @if let Some(serial) = &a.serial { span.muted { " · SN " (serial) } }
                    @if let Some(lens) = &a.lens { br; span.muted { (lens) } }
                }
                dt { "Fotografer" }
                dd {
                    @match (&a.photographer, &a.drop_folder) {
                        (Some(p), _) => (name_of_user(ctx.names, p)),
                        (None, Some(f)) => span.muted { "folder " (f) },
                        (None, None) => span.muted { "Tidak diketahui" },
                    }
                }
                dt { "Penugasan" }
                dd {
                    @match a.assignment_id {
                        Some(id) => a href=(format!("/liputan/{id}")) {
                            "#" (id)
                            @if let Some(title) = ctx.titles.get(&id) { " · " (title) }
                        },
                        None => span.muted { "Belum ditandai (triage)" },
                    }
                }
                dt { "Keterangan" }
                dd { (caption_text(a)) }
                dt { "Jenis" }
                dd { (kind_label(&a.kind)) }
                dt { "Ukuran" }
                dd { (human_size(a.size)) }
                @if let (Some(w), Some(h)) = (a.width, a.height) {
                    dt { "Dimensi" }
                    dd { (w) " × " (h) " piksel" }
                }
                @if let Some(ms) = a.duration_ms {
                    dt { "Durasi" }
                    dd { (duration_words(ms)) }
                }
                @if let Some(reason) = &a.match_reason {
                    dt { "Dicocokkan" }
                    dd.muted { (reason) }
                }
                @if let Some(damaged) = &a.damaged {
                    dt { "Kondisi" }
                    dd.warn { "Berkas rusak: " (damaged) }
                }
            }
            p.viewer-actions {
                a.button href=(format!("{}?download=1", a.original_url)) download=(a.file_name) { "Unduh berkas asli" }
                " "
                a.button.secondary href=(a.preview_url) target="_blank" rel="noopener" { "Buka pratinjau" }
            }
        }
    }
}

/// The dialog the script fills with a preview, its metadata and prev/next.
pub fn preview_dialog() -> Markup {
    html! {
        dialog.viewer data-viewer aria-label="Pratinjau berkas" {
            div.viewer-bar {
                button.secondary type="button" data-viewer-prev title="Sebelumnya (←)" aria-label="Sebelumnya" { "‹" span.label { " Sebelumnya" } }
                span.viewer-pos data-viewer-pos {}
                button.secondary type="button" data-viewer-next title="Berikutnya (→)" aria-label="Berikutnya" { span.label { "Berikutnya " } "›" }
                button type="button" data-viewer-close title="Tutup (Esc)" aria-label="Tutup" { span.label { "Tutup " } "✕" }
            }
            div.viewer-body {
                div.viewer-media data-viewer-media {}
                div.viewer-info data-viewer-info {}
            }
        }
    }
}

/// Display names of people and titles of the assignments `assets` belong to.
pub fn context_data(
    catalog: &crate::catalog::Catalog,
    assignments: impl IntoIterator<Item = i64>,
) -> crate::Result<(HashMap<String, String>, HashMap<i64, String>)> {
    let names = names(&catalog.people()?);
    let mut titles = HashMap::new();
    for id in assignments {
        if titles.contains_key(&id) {
            continue;
        }
        if let Some(a) = catalog.assignment(id)? {
            if let Some(e) = catalog.event(a.event_id)? {
                titles.insert(id, e.title);
            }
        }
    }
    Ok((names, titles))
}

// ---------------------------------------------------------------------------
// The search page.

/// The query string as typed: everything is text so a bad value gets a
/// sentence in Indonesian instead of a bare 400.
#[derive(Debug, Default, Clone, Deserialize)]
pub struct ArchiveParams {
    pub q: Option<String>,
    pub year: Option<String>,
    pub month: Option<String>,
    pub leader: Option<String>,
    pub photographer: Option<String>,
    pub kind: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub page: Option<String>,
}

/// A checked search.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Search {
    pub q: String,
    pub year: Option<i16>,
    pub month: Option<i8>,
    pub leader: Option<String>,
    pub photographer: Option<String>,
    pub kind: Option<String>,
    pub from: Option<Date>,
    pub to: Option<Date>,
    pub page: usize,
}

fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

/// A date as `TTTT-BB-HH`, or the sentence saying what is wrong.
pub fn parse_date(label: &str, value: &str) -> Result<Date, String> {
    value
        .parse::<Date>()
        .ok()
        .filter(|_| value.len() == 10)
        .ok_or_else(|| {
            format!("Tanggal {label} «{value}» tidak valid; tulis TTTT-BB-HH, misalnya 2026-11-26.")
        })
}

impl ArchiveParams {
    /// Checks every parameter; the error is a sentence for the page.
    pub fn check(&self) -> Result<Search, String> {
        let year = match given(&self.year) {
            None => None,
            Some(v) => Some(
                v.parse::<i16>()
                    .ok()
                    .filter(|y| (1900..=2100).contains(y))
                    .ok_or_else(|| format!("Tahun «{v}» tidak valid; pilih tahun 1900–2100."))?,
            ),
        };
        let month = match given(&self.month) {
            None => None,
            Some(v) => Some(
                v.parse::<i8>()
                    .ok()
                    .filter(|m| (1..=12).contains(m))
                    .ok_or_else(|| format!("Bulan «{v}» tidak valid; pilih Januari–Desember."))?,
            ),
        };
        let leader = match given(&self.leader) {
            None => None,
            Some(v) if LEADERS.iter().any(|l| name_of(l) == v) => Some(v.to_owned()),
            Some(v) => return Err(format!("Pimpinan «{v}» tidak dikenal.")),
        };
        let kind = match given(&self.kind) {
            None => None,
            Some(v) if Kind::ALL.iter().any(|k| k.as_str() == v) => Some(v.to_owned()),
            Some(v) => return Err(format!("Jenis berkas «{v}» tidak dikenal.")),
        };
        let from = given(&self.from)
            .map(|v| parse_date("dari", v))
            .transpose()?;
        let to = given(&self.to)
            .map(|v| parse_date("sampai", v))
            .transpose()?;
        if let (Some(f), Some(t)) = (from, to) {
            if f > t {
                return Err("Tanggal «dari» tidak boleh sesudah tanggal «sampai».".into());
            }
        }
        let page = match given(&self.page) {
            None => 1,
            Some(v) => v
                .parse::<usize>()
                .ok()
                .filter(|p| (1..=MAX_PAGE).contains(p))
                .ok_or_else(|| format!("Halaman «{v}» tidak valid."))?,
        };
        let q: String = given(&self.q).unwrap_or("").chars().take(500).collect();
        Ok(Search {
            q,
            year,
            month,
            leader,
            photographer: given(&self.photographer).map(str::to_owned),
            kind,
            from,
            to,
            page,
        })
    }
}

/// `(from, to, month_of_any_year)`: see [`bounds`].
pub type Bounds = (Option<Date>, Option<Date>, Option<i8>);

/// The capture-time bounds of a year and month, intersected with an explicit
/// range: `(from, to, month_of_any_year)`. A month without a year is every
/// year's month (the index filters on it); a year with or without a month
/// becomes whole days. `Err` when the two do not overlap.
pub fn bounds(
    year: Option<i16>,
    month: Option<i8>,
    from: Option<Date>,
    to: Option<Date>,
) -> Result<Bounds, String> {
    let (period, any_year_month) = match (year, month) {
        (Some(y), Some(m)) => {
            let first = Date::new(y, m, 1).map_err(|e| e.to_string())?;
            (Some((first, first.last_of_month())), None)
        }
        (Some(y), None) => {
            let first = Date::new(y, 1, 1).map_err(|e| e.to_string())?;
            (
                Some((first, Date::new(y, 12, 31).map_err(|e| e.to_string())?)),
                None,
            )
        }
        (None, m) => (None, m),
    };
    let (from, to) = match period {
        None => (from, to),
        Some((first, last)) => (
            Some(from.map_or(first, |f| f.max(first))),
            Some(to.map_or(last, |t| t.min(last))),
        ),
    };
    if let (Some(f), Some(t)) = (from, to) {
        if f > t {
            return Err("Rentang tanggal tidak bertemu dengan tahun/bulan yang dipilih.".into());
        }
    }
    Ok((from, to, any_year_month))
}

impl Search {
    /// The same query `GET /api/assets` would run.
    pub fn to_query(&self) -> Result<AssetQuery, String> {
        let (from, to, month) = bounds(self.year, self.month, self.from, self.to)?;
        Ok(AssetQuery {
            q: (!self.q.is_empty()).then(|| self.q.clone()),
            from: from.map(|d| d.to_string()),
            to: to.map(|d| d.to_string()),
            month: month.map(|m| m as u8),
            kind: self.kind.clone(),
            leader: self.leader.clone(),
            photographer: self.photographer.clone(),
            page: Some(self.page),
            per_page: Some(PER_PAGE),
            ..AssetQuery::default()
        })
    }

    /// Whether any filter or text is set.
    pub fn is_filtered(&self) -> bool {
        *self
            != Search {
                page: self.page,
                ..Search::default()
            }
    }

    /// `/arsip?...` for this search at `page` (empty values left out).
    pub fn href(&self, page: usize) -> String {
        let mut pairs: Vec<(&str, String)> = Vec::new();
        if !self.q.is_empty() {
            pairs.push(("q", self.q.clone()));
        }
        if let Some(y) = self.year {
            pairs.push(("year", y.to_string()));
        }
        if let Some(m) = self.month {
            pairs.push(("month", m.to_string()));
        }
        if let Some(l) = &self.leader {
            pairs.push(("leader", l.clone()));
        }
        if let Some(p) = &self.photographer {
            pairs.push(("photographer", p.clone()));
        }
        if let Some(k) = &self.kind {
            pairs.push(("kind", k.clone()));
        }
        if let Some(f) = self.from {
            pairs.push(("from", f.to_string()));
        }
        if let Some(t) = self.to {
            pairs.push(("to", t.to_string()));
        }
        if page > 1 {
            pairs.push(("page", page.to_string()));
        }
        let query: Vec<String> = pairs
            .iter()
            .map(|(k, v)| format!("{k}={}", url_encode(v)))
            .collect();
        if query.is_empty() {
            "/arsip".into()
        } else {
            format!("/arsip?{}", query.join("&"))
        }
    }
}

/// What the page shows under the form.
enum Outcome {
    Bad(String),
    Found {
        total: usize,
        items: Vec<AssetView>,
        titles: HashMap<i64, String>,
    },
}

async fn archive_page(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Query(params): Query<ArchiveParams>,
) -> Result<Response, ApiError> {
    let zone = state.zone;
    let checked = params.check();
    let search = checked.clone().unwrap_or_default();
    let query = checked.and_then(|s| s.to_query());
    let (names, years, photographers, outcome) = blocking(move || {
        let (names, _) = context_data(&state.catalog, [])?;
        // The select options come from the whole archive, so choosing one
        // value does not hide the others.
        let all = state
            .index
            .search(&SearchQuery {
                limit: 0,
                facets: true,
                ..SearchQuery::default()
            })
            .map_err(crate::Error::from)?;
        let years: Vec<i32> = all.facets.years.iter().map(|(y, _)| *y).collect();
        let photographers: Vec<String> = all
            .facets
            .photographers
            .iter()
            .map(|(p, _)| p.clone())
            .collect();
        let outcome = match query {
            Err(why) => Outcome::Bad(why),
            Ok(query) => match browse::find(&state.catalog, &state.index, zone, &query) {
                Err(crate::Error::Invalid(why)) => {
                    Outcome::Bad(format!("Pencarian tidak dapat dijalankan ({why})."))
                }
                Err(e) => return Err(e.into()),
                Ok(found) => {
                    let (_, titles) = context_data(
                        &state.catalog,
                        found.items.iter().filter_map(|a| a.assignment_id),
                    )?;
                    Outcome::Found {
                        total: found.total,
                        items: found.items.iter().map(AssetView::new).collect(),
                        titles,
                    }
                }
            },
        };
        Ok((names, years, photographers, outcome))
    })
    .await?;
    let status = if matches!(outcome, Outcome::Bad(_)) {
        StatusCode::BAD_REQUEST
    } else {
        StatusCode::OK
    };
    let body = html! {
        (assets_head())
        h1 { "Arsip" }
        (form(&params, &search, &years, &photographers, &names))
        @match &outcome {
            Outcome::Bad(why) => p.error role="alert" { (why) },
            Outcome::Found { total, items, titles } => {
                (results(&search, *total, items, &Context { zone, names: &names, titles }))
            }
        }
        (preview_dialog())
    };
    Ok((status, page(layout(&viewer, "Arsip", "/arsip", body))).into_response())
}

/// The GET form: search box, facets as selects, a date range.
fn form(
    params: &ArchiveParams,
    search: &Search,
    years: &[i32],
    photographers: &[String],
    names: &HashMap<String, String>,
) -> Markup {
    // Echo what was typed, even when it was invalid, so it can be corrected.
    let typed = |v: &Option<String>| v.as_deref().unwrap_or("").trim().to_owned();
    let year = typed(&params.year);
    let month = typed(&params.month);
    let leader = typed(&params.leader);
    let photographer = typed(&params.photographer);
    let kind = typed(&params.kind);
    let mut years: Vec<String> = years.iter().map(|y| y.to_string()).collect();
    if !year.is_empty() && !years.contains(&year) {
        years.insert(0, year.clone());
    }
    let mut photographers: Vec<String> = photographers.to_vec();
    if !photographer.is_empty() && !photographers.contains(&photographer) {
        photographers.push(photographer.clone());
    }
    photographers.sort_by_key(|p| name_of_user(names, p).to_lowercase());
    let has_range = given(&params.from).is_some() || given(&params.to).is_some();
    html! {
        form.card.search method="get" action="/arsip" role="search" {
            label.q {
                span.visually-hidden { "Cari" }
                input type="search" name="q" value=(typed(&params.q)) maxlength="500"
                    placeholder="mis. gubernur banjir tanjung selor 2025" autocomplete="off" enterkeyhint="search";
            }
            div.facets {
                label { "Tahun"
                    select name="year" {
                        option value="" { "Semua" }
                        @for y in &years { option value=(y) selected[*y == year] { (y) } }
                    }
                }
                label { "Bulan"
                    select name="month" {
                        option value="" { "Semua" }
                        @for (i, m) in MONTHS.iter().enumerate() {
                            @let v = (i + 1).to_string();
                            option value=(v) selected[v == month] { (m) }
                        }
                    }
                }
                label { "Pimpinan"
                    select name="leader" {
                        option value="" { "Semua" }
                        @for l in LEADERS {
                            @let v = name_of(&l);
                            option value=(v) selected[v == leader] { (l.label()) }
                        }
                    }
                }
                label { "Fotografer"
                    select name="photographer" {
                        option value="" { "Semua" }
                        @for p in &photographers {
                            option value=(p) selected[*p == photographer] { (name_of_user(names, p)) }
                        }
                    }
                }
                label { "Jenis"
                    select name="kind" {
                        option value="" { "Semua" }
                        @for k in Kind::ALL {
                            option value=(k.as_str()) selected[k.as_str() == kind] { (kind_label(k.as_str())) }
                        }
                    }
                }
            }
            details.range open[has_range] {
                summary { "Rentang tanggal" }
                div.facets {
                    label { "Dari" input type="date" name="from" value=(typed(&params.from)); }
                    label { "Sampai" input type="date" name="to" value=(typed(&params.to)); }
                }
            }
            p.actions {
                button type="submit" { "Cari" }
                @if search.is_filtered() || params.page.is_some() {
                    " " a.button.secondary href="/arsip" { "Hapus filter" }
                }
            }
        }
    }
}

fn results(search: &Search, total: usize, items: &[AssetView], ctx: &Context) -> Markup {
    let pages = total.div_ceil(PER_PAGE).max(1);
    let first = (search.page - 1) * PER_PAGE + 1;
    html! {
        p.count aria-live="polite" {
            strong { (number(total as u64)) " hasil" }
            @if search.q.is_empty() && !search.is_filtered() { span.muted { " · seluruh arsip" } }
            @if !items.is_empty() {
                span.muted { " · menampilkan " (number(first as u64)) "–" (number((first + items.len() - 1) as u64)) }
            }
        }
        @if items.is_empty() {
            div.card.empty {
                @if total == 0 && !search.is_filtered() {
                    p { "Arsip masih kosong. Berkas muncul di sini setelah disalin ke folder inbox." }
                } @else if total == 0 {
                    p { "Tidak ada berkas yang cocok." }
                    p.muted { "Coba kata lain, periksa ejaannya, atau kurangi filter." }
                } @else {
                    p { "Halaman ini kosong: hasilnya hanya " (pages) " halaman." }
                    p { a href=(search.href(1)) { "Ke halaman pertama" } }
                }
            }
        } @else {
            ul.thumbs.gallery data-gallery {
                @for a in items { (tile(a, ctx)) }
            }
        }
        @if pages > 1 && search.page <= pages {
            nav.pager aria-label="Halaman" {
                @if search.page > 1 {
                    a.button.secondary href=(search.href(search.page - 1)) rel="prev" { "← Sebelumnya" }
                }
                span.muted { "Halaman " (number(search.page as u64)) " dari " (number(pages as u64)) }
                @if search.page < pages {
                    a.button.secondary href=(search.href(search.page + 1)) rel="next" { "Berikutnya →" }
                }
            }
        }
    }
}

/// A tile's first lines: file name, capture time, photographer.
pub fn tile_head(a: &AssetView, ctx: &Context) -> Markup {
    let at = captured(a);
    html! {
        span.name title=(a.file_name) { (a.file_name) }
        span.muted.when {
            @match at {
                Some(t) => { (plain_date(date_in(t, ctx.zone))) " " (time_with_zone(t, ctx.zone)) }
                None => "Waktu tidak diketahui",
            }
        }
        @if let Some(p) = &a.photographer { span.who { (name_of_user(ctx.names, p)) } }
    }
}

fn tile(a: &AssetView, ctx: &Context) -> Markup {
    html! {
        li.asset {
            (thumb_link(a))
            div.cap {
                (tile_head(a, ctx))
                (caption_text(a))
            }
            (info(a, ctx))
        }
    }
}

/// "November 2026" for a year and month facet (used in titles).
pub fn period_label(year: Option<i16>, month: Option<i8>) -> Option<String> {
    match (year, month) {
        (Some(y), Some(m)) => Some(format!("{} {y}", month_name(m))),
        (Some(y), None) => Some(y.to_string()),
        (None, Some(m)) => Some(month_name(m).to_owned()),
        (None, None) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        s.parse().unwrap()
    }

    #[test]
    fn year_and_month_become_whole_days() {
        assert_eq!(
            bounds(Some(2026), Some(11), None, None).unwrap(),
            (Some(d("2026-11-01")), Some(d("2026-11-30")), None)
        );
        assert_eq!(
            bounds(Some(2024), Some(2), None, None).unwrap(),
            (Some(d("2024-02-01")), Some(d("2024-02-29")), None)
        );
        assert_eq!(
            bounds(Some(2025), None, None, None).unwrap(),
            (Some(d("2025-01-01")), Some(d("2025-12-31")), None)
        );
        // A month alone is that month of every year.
        assert_eq!(
            bounds(None, Some(8), None, None).unwrap(),
            (None, None, Some(8))
        );
        assert_eq!(bounds(None, None, None, None).unwrap(), (None, None, None));
    }

    #[test]
    fn an_explicit_range_narrows_the_period() {
        assert_eq!(
            bounds(
                Some(2026),
                Some(11),
                Some(d("2026-11-20")),
                Some(d("2026-12-05"))
            )
            .unwrap(),
            (Some(d("2026-11-20")), Some(d("2026-11-30")), None)
        );
        assert_eq!(
            bounds(None, None, Some(d("2026-11-20")), None).unwrap(),
            (Some(d("2026-11-20")), None, None)
        );
        assert!(bounds(Some(2025), None, Some(d("2026-01-01")), None).is_err());
    }

    #[test]
    fn parameters_are_checked_with_indonesian_messages() {
        let p = |f: fn(&mut ArchiveParams)| {
            let mut params = ArchiveParams::default();
            f(&mut params);
            params.check()
        };
        assert!(p(|x| x.from = Some("26/11/2026".into()))
            .unwrap_err()
            .starts_with("Tanggal dari"));
        assert!(p(|x| x.to = Some("2026-13-01".into()))
            .unwrap_err()
            .starts_with("Tanggal sampai"));
        assert!(p(|x| {
            x.from = Some("2026-11-27".into());
            x.to = Some("2026-11-26".into());
        })
        .is_err());
        assert!(p(|x| x.year = Some("dua ribu".into()))
            .unwrap_err()
            .starts_with("Tahun"));
        assert!(p(|x| x.month = Some("13".into()))
            .unwrap_err()
            .starts_with("Bulan"));
        assert!(p(|x| x.kind = Some("foto".into()))
            .unwrap_err()
            .starts_with("Jenis"));
        assert!(p(|x| x.leader = Some("presiden".into()))
            .unwrap_err()
            .starts_with("Pimpinan"));
        assert!(p(|x| x.page = Some("0".into()))
            .unwrap_err()
            .starts_with("Halaman"));
        // Empty values are "any".
        let ok = p(|x| {
            x.year = Some(String::new());
            x.month = Some(" ".into());
            x.q = Some("  gubernur banjir ".into());
        })
        .unwrap();
        assert_eq!(ok.q, "gubernur banjir");
        assert_eq!((ok.year, ok.month, ok.page), (None, None, 1));
    }

    #[test]
    fn searches_round_trip_through_the_url() {
        let search = Search {
            q: "gubernur & banjir".into(),
            year: Some(2026),
            month: Some(11),
            leader: Some("wakil_gubernur".into()),
            kind: Some("photo".into()),
            page: 1,
            ..Search::default()
        };
        let href = search.href(2);
        assert_eq!(
            href,
            "/arsip?q=gubernur%20%26%20banjir&year=2026&month=11&leader=wakil_gubernur&kind=photo&page=2"
        );
        assert_eq!(Search::default().href(1), "/arsip");
        let query = search.to_query().unwrap();
        assert_eq!(query.from.as_deref(), Some("2026-11-01"));
        assert_eq!(query.to.as_deref(), Some("2026-11-30"));
        assert_eq!(query.per_page, Some(PER_PAGE));
        assert!(browse::to_search(&query, jiff::tz::offset(8)).is_ok());
        assert!(!Search {
            page: 3,
            ..Search::default()
        }
        .is_filtered());
    }

    #[test]
    fn numbers_sizes_and_durations_read_indonesian() {
        assert_eq!(number(0), "0");
        assert_eq!(number(999), "999");
        assert_eq!(number(1234), "1.234");
        assert_eq!(number(1234567), "1.234.567");
        assert_eq!(human_size(12), "12 byte");
        assert_eq!(human_size(850_000), "850 KB");
        assert_eq!(human_size(4_200_000), "4,2 MB");
        assert_eq!(human_size(999_990), "1,0 MB");
        assert_eq!(human_size(4_000_000_000), "4,0 GB");
        assert_eq!(duration_words(45_000), "45 detik");
        assert_eq!(duration_words(3_725_000), "1 jam 2 menit 5 detik");
        assert_eq!(duration_words(0), "0 detik");
        assert_eq!(kind_label("document"), "Dokumen");
        assert_eq!(
            period_label(Some(2026), Some(11)).as_deref(),
            Some("November 2026")
        );
    }
}
