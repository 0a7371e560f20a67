//! Laporan (SOP steps 7 and 8). `/laporan?tanggal=` lists a day's
//! assignments with their report status and the end-of-day completeness
//! check (what each crew still owes by `publish.complete_by_hour`);
//! `/laporan/{id}` is one report: the crew's editor (prefilled from the event
//! and the picked files), the leaders' approve / return forms, the
//! publisher's package link and URL form, and the whole history. Every form
//! posts to the JSON API through `static/app.js`; every text is escaped by maud.

use std::collections::HashMap;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use maud::{html, Markup};
use serde::Deserialize;

use super::{layout, page, refusal};
use crate::auth::{Need, Target, Viewer};
use crate::dates::{date_in, date_time, long_date, time_with_zone};
use crate::reports::{self, Action, Expected};
use crate::schedule::{name_of, AssignmentStatus, CrewMember};
use crate::web::access::Routes;
use crate::web::error::{blocking, ApiError};
use crate::web::reports::{day_report, load, parse_date, ReportData};
use crate::web::AppState;

pub fn routes(r: Routes) -> Routes {
    r.get("/laporan", Need::Login, day_page)
        .get("/laporan/{id}", Need::Login, report_page)
}

/// Whether `viewer` may write this assignment's report: the rule of
/// `Need::Crew(Target::Assignment)`, so the page offers the editor exactly
/// to those the API accepts.
pub fn may_write(viewer: &Viewer, crew: &[CrewMember]) -> bool {
    Need::Crew(Target::Assignment).allows_on(viewer, crew.iter().map(|m| m.username.as_str()))
}

#[derive(Deserialize)]
struct DayParams {
    tanggal: Option<String>,
}

fn when(ms: i64, zone: jiff::tz::Offset) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| date_time(t, zone))
        .unwrap_or_default()
}

fn badge(status: AssignmentStatus) -> Markup {
    html! { span class=(format!("badge {}", name_of(&status))) { (status.label()) } }
}

async fn day_page(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<DayParams>,
) -> Result<Response, ApiError> {
    let zone = state.zone;
    let date = parse_date("tanggal", q.tanggal.as_deref(), zone)?;
    let (report, names) = blocking(move || {
        let names: HashMap<String, String> = state
            .catalog
            .people()?
            .into_iter()
            .map(|p| (p.username, p.name))
            .collect();
        Ok((day_report(&state, date)?, names))
    })
    .await?;
    let name = |u: &str| names.get(u).cloned().unwrap_or_else(|| u.to_owned());
    let prev = date.yesterday().unwrap_or(date);
    let next = date.tomorrow().unwrap_or(date);
    let body = html! {
        h1 { "Laporan " (long_date(date)) }
        p.muted {
            a href=(format!("/laporan?tanggal={prev}")) { "← Sebelumnya" }
            " · "
            a href="/laporan" { "Hari ini" }
            " · "
            a href=(format!("/laporan?tanggal={next}")) { "Berikutnya →" }
        }
        form.card method="get" action="/laporan" {
            label { "Tanggal " input type="date" name="tanggal" value=(date.to_string()); }
            button.secondary type="submit" { "Tampilkan" }
        }
        h2 { "Penugasan" }
        @if report.day.is_empty() {
            div.card { p.muted { "Tidak ada penugasan pada tanggal ini." } }
        } @else {
            div.scroll {
                table {
                    thead { tr { th { "Waktu" } th { "Kegiatan" } th { "Pimpinan" } th { "Status" } th { "Laporan" } } }
                    tbody {
                        @for d in &report.day {
                            tr {
                                td { (time_with_zone(d.event.starts_at, zone)) }
                                td { a href=(format!("/liputan/{}", d.assignment.id)) { (d.event.title) } br; span.muted { (d.event.location) } }
                                td { (d.event.leader.label()) }
                                td { (badge(d.assignment.status)) }
                                td {
                                    a href=(format!("/laporan/{}", d.assignment.id)) {
                                        @if d.reported { "Buka laporan" } @else { "Tulis laporan" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Kelengkapan akhir hari" }
        section.card.completeness {
            p.muted {
                "Batas: pukul " (time_with_zone(report.deadline, zone)) ". "
                @if report.due { "Batas sudah lewat." } @else { "Batas belum lewat; daftar ini sementara." }
            }
            @if report.gaps.is_empty() {
                p.ok { "Semua penugasan hari ini lengkap: foto, video dan berita sudah masuk." }
            } @else {
                ul.plain {
                    @for g in &report.gaps {
                        li class=[report.due.then_some("warn")] {
                            a href=(format!("/laporan/{}", g.assignment_id)) { (g.title) }
                            " (" (g.location) ") — belum ada "
                            @for (n, m) in g.missing.iter().enumerate() {
                                @if n > 0 { "; " }
                                strong { (m.what.label()) }
                                " dari "
                                (m.crew.iter().map(|u| name(u)).collect::<Vec<_>>().join(", "))
                                (missing_hint(m.what))
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(layout(&viewer, "Laporan", "/laporan", body)))
}

fn missing_hint(what: Expected) -> &'static str {
    match what {
        Expected::Photo => " (fotografer)",
        Expected::Video => " (kameraman)",
        Expected::Text => " (reporter)",
    }
}

async fn report_page(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let Some(id) = raw.parse::<i64>().ok().filter(|id| *id > 0) else {
        return Ok(refusal(StatusCode::NOT_FOUND, "Penugasan itu tidak ada."));
    };
    let zone = state.zone;
    let settings = state.config.publish.clone();
    let loaded = blocking(move || Ok(load(&state, id)?)).await?;
    let Some(d) = loaded else {
        return Ok(refusal(
            StatusCode::NOT_FOUND,
            &format!("Penugasan #{id} tidak ditemukan."),
        ));
    };
    let title = d
        .event
        .as_ref()
        .map_or_else(|| format!("Penugasan #{id}"), |e| e.title.clone());
    let day = d.event.as_ref().map(|e| date_in(e.starts_at, zone));
    let status = d.assignment.status;
    let body = html! {
        p.muted.crumbs {
            a href=(day.map_or("/laporan".to_owned(), |day| format!("/laporan?tanggal={day}"))) { "← Laporan" }
            " · "
            a href=(format!("/liputan/{id}")) { "Liputan #" (id) }
        }
        h1 { "Laporan: " (title) }
        section.card {
            p { (badge(status)) }
            dl.meta {
                @if let (Some(e), Some(day)) = (&d.event, day) {
                    dt { "Pimpinan" } dd { (e.leader.label()) }
                    dt { "Tempat" } dd { (e.location) }
                    dt { "Tanggal" } dd { (long_date(day)) ", " (time_with_zone(e.starts_at, zone)) }
                }
                dt { "Kru" }
                dd {
                    @if d.assignment.crew.is_empty() { span.muted { "Belum ada kru." } }
                    @for (n, m) in d.assignment.crew.iter().enumerate() {
                        @if n > 0 { ", " }
                        (d.name(&m.username)) " (" (m.role.label()) ")"
                    }
                }
            }
        }
        @if let Some(r) = d.open_return() {
            section.card.warn.returned {
                h2 { "Dikembalikan untuk diperbaiki" }
                p { "Oleh " (d.name(&r.by)) ", " (when(r.at_ms, zone)) " (versi " (r.version) "):" }
                blockquote { (r.note.as_deref().unwrap_or("")) }
            }
        }
        (published(&d))
        @if may_write(&viewer, &d.assignment.crew) && reports::may_submit(status).is_ok() {
            (editor(&d, zone, &settings))
        } @else if let Some(v) = d.latest() {
            (read_only(&d, v))
        } @else {
            div.card { p.muted { "Belum ada laporan untuk penugasan ini." } }
        }
        @if Need::Approve.allows(&viewer) && d.latest().is_some() {
            (decisions(&d))
        }
        @if Need::Publish.allows(&viewer)
            && matches!(status, AssignmentStatus::Approved | AssignmentStatus::Published) {
            (publishing(&d))
        }
        (history(&d, zone))
    };
    Ok(page(layout(
        &viewer,
        &format!("Laporan: {title}"),
        "/laporan",
        body,
    )))
}

fn published(d: &ReportData) -> Markup {
    let urls: Vec<&str> = d
        .actions
        .iter()
        .filter(|a| a.action == Action::Published)
        .filter_map(|a| a.url.as_deref())
        .collect();
    html! {
        @if !urls.is_empty() {
            section.card.published {
                h2 { "Sudah dipublikasikan" }
                ul.plain {
                    // Only http(s) URLs are ever recorded (checked by the API).
                    @for u in urls { li { a href=(u) rel="noopener noreferrer" target="_blank" { (u) } } }
                }
            }
        }
    }
}

/// The crew's form: title, body, and the assignment's photos and clips to
/// carry (picked ones ticked on a first report).
fn editor(d: &ReportData, zone: jiff::tz::Offset, settings: &reports::PublishSettings) -> Markup {
    let id = d.assignment.id;
    let draft = d.draft(zone, settings);
    let fallback = d.fallback_caption(zone, settings);
    let chosen: HashMap<&str, &str> = draft
        .items
        .iter()
        .map(|i| (i.asset_id.as_str(), i.caption.as_str()))
        .collect();
    html! {
        section.card.report-editor {
            h2 {
                @if d.latest().is_some() { "Revisi laporan (versi " (d.versions.len() + 1) ")" }
                @else { "Tulis laporan" }
            }
            @if draft.prefilled {
                p.muted { "Judul, isi dan keterangan foto sudah diisi dari data kegiatan; sesuaikan sebelum dikirim." }
            }
            form.stack data-api=(format!("/api/assignments/{id}/report")) {
                label { "Judul"
                    input type="text" name="title" required maxlength=(reports::MAX_TITLE_CHARS) value=(draft.title);
                }
                label { "Isi berita"
                    textarea name="body" rows="14" required maxlength=(reports::MAX_BODY_CHARS) { (draft.body) }
                }
                fieldset {
                    legend { "Foto dan video untuk laporan" }
                    @if d.assets.is_empty() {
                        p.muted { "Belum ada foto atau video di penugasan ini." }
                    } @else {
                        p.muted {
                            "Keterangan diambil dari keterangan berkas (ubah di halaman "
                            a href=(format!("/liputan/{id}")) { "Liputan" }
                            "), atau dari data kegiatan bila kosong."
                        }
                        ul.thumbs.report-files {
                            @for a in &d.assets {
                                @let caption = chosen.get(a.id.as_str()).copied()
                                    .or(a.caption.as_deref().filter(|c| !c.trim().is_empty()))
                                    .unwrap_or(fallback.as_str());
                                li {
                                    img src=(format!("/api/assets/{}/thumb", a.id)) alt=(a.file_name) loading="lazy";
                                    label.cap {
                                        input type="checkbox" data-list="asset_ids" value=(a.id)
                                            checked[chosen.contains_key(a.id.as_str())];
                                        " " (a.file_name)
                                        @if a.kind == "video" { " (video)" }
                                    }
                                    span.muted { (caption) }
                                }
                            }
                        }
                    }
                }
                p.form-error {}
                button type="submit" {
                    @if d.latest().is_some() { "Kirim revisi" } @else { "Kirim laporan" }
                }
            }
        }
    }
}

fn read_only(d: &ReportData, v: &reports::ReportVersion) -> Markup {
    let files: HashMap<&str, &crate::catalog::AssetRecord> =
        d.assets.iter().map(|a| (a.id.as_str(), a)).collect();
    html! {
        section.card.report {
            h2 { (v.title) }
            p.muted { "Versi " (v.version) " oleh " (d.name(&v.submitted_by)) }
            @for para in v.body.split("\n\n").filter(|p| !p.trim().is_empty()) {
                p { @for (n, line) in para.lines().enumerate() { @if n > 0 { br; } (line) } }
            }
            @if !v.items.is_empty() {
                ul.thumbs {
                    @for item in &v.items {
                        li {
                            @if files.contains_key(item.asset_id.as_str()) {
                                img src=(format!("/api/assets/{}/thumb", item.asset_id)) alt=(item.caption) loading="lazy";
                            }
                            span.cap {
                                @if let Some(a) = files.get(item.asset_id.as_str()) { strong { (a.file_name) } br; }
                                (item.caption)
                            }
                        }
                    }
                }
            }
        }
    }
}

/// KADIS and KABID: approve (reported) or return (reported or approved).
fn decisions(d: &ReportData) -> Markup {
    let id = d.assignment.id;
    let status = d.assignment.status;
    let version = d.latest().map_or(0, |v| v.version);
    let can_approve = reports::may(Action::Approved, status, true).is_ok();
    let can_return = reports::may(Action::Returned, status, true).is_ok();
    html! {
        @if can_approve || can_return {
            section.card.decisions {
                h2 { "Persetujuan pimpinan" }
                @if can_approve {
                    form.stack data-api=(format!("/api/assignments/{id}/approve")) {
                        input type="hidden" name="version" value=(version) data-type="number";
                        label { "Catatan (opsional)"
                            textarea name="note" rows="2" maxlength=(reports::MAX_NOTE_CHARS) {}
                        }
                        p.form-error {}
                        button type="submit" { "Setujui versi " (version) }
                    }
                }
                @if can_return {
                    form.stack data-api=(format!("/api/assignments/{id}/return"))
                        data-confirm="Kembalikan laporan ini ke reporter?" {
                        input type="hidden" name="version" value=(version) data-type="number";
                        label { "Catatan untuk reporter"
                            textarea name="note" rows="3" required maxlength=(reports::MAX_NOTE_CHARS) {}
                        }
                        p.form-error {}
                        button.secondary type="submit" { "Kembalikan" }
                    }
                }
            }
        }
    }
}

/// Publishers: the package, and where it was published.
fn publishing(d: &ReportData) -> Markup {
    let id = d.assignment.id;
    html! {
        section.card.publishing {
            h2 { "Publikasi" }
            p {
                a.button href=(format!("/api/assignments/{id}/package.zip")) download {
                    "Unduh paket publikasi (ZIP)"
                }
            }
            p.muted { "Berisi berita.html, berita.txt, foto ukuran web dengan keterangan (XMP) dan video apa adanya." }
            form.stack data-api=(format!("/api/assignments/{id}/publish")) {
                label { "Alamat berita yang sudah terbit"
                    input type="url" name="url" required placeholder="https://…" maxlength=(reports::MAX_URL_CHARS);
                }
                p.form-error {}
                button type="submit" { "Catat publikasi" }
            }
        }
    }
}

fn history(d: &ReportData, zone: jiff::tz::Offset) -> Markup {
    let entries = d.history();
    html! {
        h2 { "Riwayat" }
        @if entries.is_empty() {
            p.muted { "Belum ada riwayat." }
        } @else {
            div.scroll {
                table.history {
                    thead { tr { th { "Waktu" } th { "Siapa" } th { "Apa" } th { "Versi" } th { "Catatan" } } }
                    tbody {
                        @for h in &entries {
                            tr {
                                td { (when(h.at_ms, zone)) }
                                td { (d.name(&h.by)) }
                                td { (match h.kind {
                                    "submitted" => "Dikirim",
                                    "approved" => Action::Approved.label(),
                                    "returned" => Action::Returned.label(),
                                    _ => Action::Published.label(),
                                }) }
                                td { (h.version) }
                                td {
                                    @if let Some(n) = &h.note { (n) }
                                    @if let Some(u) = &h.url { a href=(u) rel="noopener noreferrer" { (u) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{CrewRole, Role};

    fn viewer(username: &str, role: Role) -> Viewer {
        Viewer {
            username: username.into(),
            name: username.into(),
            role,
            is_admin: false,
        }
    }

    #[test]
    fn only_crew_among_staff_and_kasi_and_up_may_write() {
        let crew = vec![CrewMember {
            username: "sari".into(),
            role: CrewRole::Reporter,
        }];
        assert!(may_write(&viewer("sari", Role::Staf), &crew));
        assert!(!may_write(&viewer("budi", Role::Staf), &crew));
        assert!(may_write(&viewer("kasi", Role::Kasi), &crew));
        assert!(!may_write(&viewer("ahli", Role::TenagaAhli), &crew));
    }
}
