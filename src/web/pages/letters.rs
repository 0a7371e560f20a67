//! Surat Tugas page `/surat/{id}` (SOP step 5) and the daily schedule report
//! `/laporan-harian?tanggal=YYYY-MM-DD` (SOP step 3, default tomorrow).
//! Everyone logged in sees them; the issue and cancel forms show only to
//! those the API accepts (`Need::Schedule`), and post to
//! `POST /api/assignments/{id}/letter` and `.../letter/cancel` through app.js.

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use maud::html;
use serde::Deserialize;

use super::{layout, page, refusal};
use crate::auth::{Need, Viewer};
use crate::dates::{date_in, date_time, long_date};
use crate::letters::event_time;
use crate::schedule::{name_of, Role};
use crate::web::access::Routes;
use crate::web::error::{blocking, ApiError};
use crate::web::letters::{daily_report, day_or_tomorrow, letter_view, pdf_url};
use crate::web::AppState;

pub fn routes(r: Routes) -> Routes {
    r.get("/surat/{id}", Need::Login, letter_page)
        .get("/laporan-harian", Need::Login, daily_page)
}

fn at(ms: i64, zone: jiff::tz::Offset) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| date_time(t, zone))
        .unwrap_or_default()
}

async fn letter_page(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let Some(id) = raw.parse::<i64>().ok().filter(|id| *id > 0) else {
        return Ok(refusal(StatusCode::NOT_FOUND, "Penugasan itu tidak ada."));
    };
    let zone = state.zone;
    let default_signer = state.config.letter.signer.clone();
    let catalog = state.catalog.clone();
    let Some(view) = blocking(move || Ok(letter_view(&catalog, id)?)).await? else {
        return Ok(refusal(StatusCode::NOT_FOUND, "Penugasan itu tidak ada."));
    };
    let may_edit = Need::Schedule.allows(&viewer);
    let event = &view.event;
    let name = |u: &str| {
        view.people
            .get(u)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| u.to_owned())
    };
    // Signers the API accepts for this event: kadis only when out of town.
    let mut signers: Vec<_> = view
        .people
        .values()
        .filter(|p| !p.disabled)
        .filter(|p| match p.role {
            Role::Kadis => true,
            Role::Kabid | Role::Kasi => !event.out_of_town,
            _ => false,
        })
        .collect();
    signers.sort_by_key(|p| (p.role != Role::Kadis, p.name.clone()));
    let preselected = view
        .current
        .as_ref()
        .map(|c| c.signer.clone())
        .or(default_signer)
        .or_else(|| {
            signers
                .iter()
                .find(|p| p.role == Role::Kadis)
                .map(|p| p.username.clone())
        });
    let title = format!("Surat Tugas · Penugasan #{id}");
    let body = html! {
        h1 { "Surat Tugas" }
        section.card {
            h2 { (event.title) }
            p.muted {
                (long_date(date_in(event.starts_at, zone))) " · " (event_time(event, zone)) " · "
                (event.leader.label()) " · " (event.location)
                @if event.out_of_town { " " span.badge.out { "Luar kota" } }
            }
            p {
                a href=(format!("/liputan/{id}")) { "Penugasan #" (id) }
                " " span class=(format!("badge {}", name_of(&view.assignment.status))) { (view.assignment.status.label()) }
            }
            @if view.assignment.crew.is_empty() {
                p.warn { "Belum ada kru: tetapkan kru di halaman Penugasan sebelum menerbitkan surat tugas." }
            } @else {
                ul.plain {
                    @for m in &view.assignment.crew {
                        li { (name(&m.username)) " " span.muted { "(" (m.role.label()) ")" } }
                    }
                }
            }
        }
        section.card {
            h2 { "Surat saat ini" }
            @match &view.current {
                Some(c) => {
                    p {
                        "Nomor " strong data-letter-number { (c.number) } br;
                        "Penanda tangan: " (name(&c.signer)) br;
                        "Diterbitkan " (at(c.issued_at_ms, zone)) " oleh " (name(&c.issued_by))
                    }
                    p { a href=(pdf_url(id)) { "Buka PDF surat tugas" } }
                }
                None => { p.muted { "Belum ada surat tugas yang berlaku." } }
            }
            @if may_edit && !view.assignment.crew.is_empty() {
                form.stack data-api=(format!("/api/assignments/{id}/letter")) {
                    label {
                        "Penanda tangan"
                        @if event.out_of_town { " (luar kota: harus Kepala Dinas)" }
                        select name="signer" {
                            @for p in &signers {
                                option value=(p.username) selected[preselected.as_deref() == Some(p.username.as_str())] {
                                    (p.name) " · " (p.role.label())
                                }
                            }
                        }
                    }
                    p.form-error role="alert" hidden {}
                    button type="submit" {
                        @if view.current.is_some() { "Terbitkan ulang (nomor tetap)" } @else { "Terbitkan surat tugas" }
                    }
                }
            }
            @if may_edit && view.current.is_some() {
                details.more {
                    summary { "Batalkan surat ini" }
                    form.stack data-api=(format!("/api/assignments/{id}/letter/cancel"))
                        data-confirm="Batalkan surat tugas ini? Nomornya tetap tercatat dan tidak dipakai lagi." {
                        label { "Alasan pembatalan" textarea name="reason" required maxlength="500" {} }
                        p.form-error role="alert" hidden {}
                        button type="submit" { "Batalkan surat" }
                    }
                }
            }
        }
        @if !view.history.is_empty() {
            section.card {
                h2 { "Riwayat" }
                div.scroll {
                    table {
                        thead { tr { th { "Nomor" } th { "Diterbitkan" } th { "Penanda tangan" } th { "Status" } } }
                        tbody {
                            @for l in &view.history {
                                tr {
                                    td { (l.number) }
                                    td { (at(l.issued_at_ms, zone)) br; span.muted { (name(&l.issued_by)) } }
                                    td { (name(&l.signer)) }
                                    td {
                                        @match l.cancelled_at_ms {
                                            Some(ms) => {
                                                span.warn { "Dibatalkan" } " " (at(ms, zone))
                                                @if let Some(by) = &l.cancelled_by { " oleh " (name(by)) }
                                                @if let Some(r) = &l.cancel_reason { br; span.muted { "Alasan: " (r) } }
                                            }
                                            None => { span.ok { "Berlaku" } }
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(layout(&viewer, &title, "/penugasan", body)))
}

#[derive(Deserialize)]
struct DailyQuery {
    tanggal: Option<String>,
}

async fn daily_page(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<DailyQuery>,
) -> Result<Response, ApiError> {
    let date = match day_or_tomorrow(q.tanggal.as_deref(), "tanggal", state.zone) {
        Ok(d) => d,
        Err(_) => {
            return Ok(refusal(
                StatusCode::BAD_REQUEST,
                "Tanggal harus berbentuk TTTT-BB-HH, misalnya 2026-11-27.",
            ))
        }
    };
    let st = state.clone();
    let report = blocking(move || Ok(daily_report(&st, date)?)).await?;
    let flags = report.flags();
    let prev = date.yesterday().map(|d| d.to_string()).unwrap_or_default();
    let next = date.tomorrow().map(|d| d.to_string()).unwrap_or_default();
    let body = html! {
        h1 { "Jadwal Peliputan Harian" }
        form.facets method="get" action="/laporan-harian" {
            label { "Tanggal" input type="date" name="tanggal" value=(date.to_string()); }
            button type="submit" { "Tampilkan" }
        }
        p {
            a href=(format!("/laporan-harian?tanggal={prev}")) { "← Sebelumnya" } " · "
            a href=(format!("/laporan-harian?tanggal={next}")) { "Berikutnya →" } " · "
            a href=(format!("/api/daily-report.pdf?date={date}")) { "Unduh PDF untuk dicetak" }
        }
        section.card {
            h2 { (long_date(date)) }
            p {
                "Petugas piket: "
                @if report.on_duty.is_empty() { span.warn { "belum ada jadwal tim" } }
                @else { (report.on_duty.join(", ")) }
            }
            @if !flags.is_empty() {
                ul.flags { @for f in &flags { li.warn { (f) } } }
            }
        }
        @if report.events.is_empty() { p.muted { "Belum ada agenda pada tanggal ini." } }
        @for e in &report.events {
            section.card id=(format!("kegiatan-{}", e.id)) {
                h2 { (e.time) " · " (e.title) }
                p.muted {
                    (e.leader) " · " (e.location)
                    @if let Some(s) = &e.source { " · sumber: " (s) }
                    @if e.out_of_town { " " span.badge.out { "Luar kota" } }
                }
                @if e.without_crew() { p.warn data-flag="no-crew" { "Belum ada kru." } }
                @for a in &e.assignments {
                    div.assignment {
                        h3 {
                            a href=(format!("/liputan/{}", a.id)) { "Penugasan #" (a.id) }
                            " " span.badge { (a.status) }
                        }
                        @if !a.crew.is_empty() {
                            ul.plain {
                                @for (n, role, on_duty) in &a.crew {
                                    li { (n) " " span.muted { "(" (role) ")" } @if !on_duty { " " span.warn { "tidak piket" } } }
                                }
                            }
                        }
                        p {
                            @match &a.letter {
                                Some(n) => { "Surat tugas: " a href=(format!("/surat/{}", a.id)) { (n) } }
                                None => @if !a.crew.is_empty() {
                                    span.warn data-flag="no-letter" { "Belum ada surat tugas. " }
                                    a href=(format!("/surat/{}", a.id)) { "Terbitkan" }
                                },
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(page(layout(
        &viewer,
        "Jadwal Harian",
        "/laporan-harian",
        body,
    )))
}
