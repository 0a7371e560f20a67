//! Beranda: today and tomorrow at a glance — events with their assignments
//! and status, who is on duty, the triage count, and files arriving now
//! (live, by server-sent events from `/api/live`).

use std::collections::HashMap;
use std::convert::Infallible;
use std::time::Duration;

use axum::extract::State;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::Response;
use axum::Extension;
use futures_util::stream::{self, Stream, StreamExt};
use maud::{html, Markup};

use super::{layout, page};
use crate::auth::{Need, Viewer};
use crate::catalog::AssetRecord;
use crate::dates::{long_date, time_of_day, zone_label};
use crate::schedule::{Assignment, Event, Person};
use crate::web::access::Routes;
use crate::web::error::{blocking, ApiError};
use crate::web::AppState;

/// Longest pause between keep-alive comments on an open live list.
const LIVE_KEEP_ALIVE: Duration = Duration::from_secs(15);

pub fn routes(r: Routes) -> Routes {
    r.get("/", Need::Login, home)
        .get("/api/live", Need::Login, live)
}

/// One day's events with their assignments.
pub struct Day {
    pub date: jiff::civil::Date,
    pub events: Vec<(Event, Vec<Assignment>)>,
    pub on_duty: Vec<String>,
}

/// Events of a civil day in `zone`, with assignments, and the roster.
pub fn day(
    catalog: &crate::catalog::Catalog,
    zone: jiff::tz::Offset,
    date: jiff::civil::Date,
) -> crate::Result<Day> {
    let start = zone
        .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
        .map_err(|e| crate::Error::Invalid(format!("date: {e}")))?;
    let end = start.as_millisecond() + 24 * 3600 * 1000;
    let mut events = Vec::new();
    for event in catalog.events_between(start.as_millisecond(), end)? {
        let assignments = catalog.assignments_of_event(event.id)?;
        events.push((event, assignments));
    }
    events.sort_by_key(|(e, _)| e.starts_at);
    let on_duty = catalog
        .roster(&date.to_string())?
        .into_iter()
        .map(|(_, username)| username)
        .collect();
    Ok(Day {
        date,
        events,
        on_duty,
    })
}

async fn home(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
) -> Result<Response, ApiError> {
    let zone = state.zone;
    let catalog = state.catalog.clone();
    let care_state = state.clone();
    let (days, people, triage, arrived, (coverage, last_verify)) = blocking(move || {
        let today = crate::dates::date_in(jiff::Timestamp::now(), zone);
        let tomorrow = today
            .tomorrow()
            .map_err(|e| crate::Error::Invalid(e.to_string()))?;
        let days = vec![day(&catalog, zone, today)?, day(&catalog, zone, tomorrow)?];
        let people: HashMap<String, Person> = catalog
            .people()?
            .into_iter()
            .map(|p| (p.username.clone(), p))
            .collect();
        let since = jiff::Timestamp::now().as_millisecond() - 24 * 3600 * 1000;
        let today = crate::dates::date_in(jiff::Timestamp::now(), zone);
        let care = (
            crate::web::reports::day_report(&care_state, today)?,
            catalog.last_verify_run()?,
        );
        Ok((
            days,
            people,
            catalog.untagged_count()?,
            catalog.arrived_since(since, 20)?,
            care,
        ))
    })
    .await?;
    let name = |u: &str| {
        people
            .get(u)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| u.to_owned())
    };
    let body = html! {
        h1 { "Beranda" }
        div.grid2 {
            @for (i, d) in days.iter().enumerate() {
                section.card {
                    h2 { (if i == 0 { "Hari ini" } else { "Besok" }) ": " (long_date(d.date)) }
                    (events_list(d, zone, &name))
                    p.muted {
                        "Piket: "
                        @if d.on_duty.is_empty() { "belum ada jadwal tim" }
                        @for (n, u) in d.on_duty.iter().enumerate() {
                            @if n > 0 { ", " } (name(u))
                        }
                    }
                }
            }
        }
        div.grid2 {
            section.card {
                h2 { "Kelengkapan hari ini" }
                @if coverage.gaps.is_empty() {
                    p.ok { "Semua penugasan hari ini sudah lengkap." }
                } @else {
                    p class=(if coverage.due { "warn" } else { "muted" }) {
                        (coverage.gaps.len()) " penugasan belum lengkap"
                        @if coverage.due { " (batas pukul " (time_of_day(coverage.deadline, zone)) " sudah lewat)" }
                        @else { " (batas pukul " (time_of_day(coverage.deadline, zone)) ")" }
                        ". " a href="/laporan" { "Lihat laporan" }
                    }
                }
                h2 { "Pemeriksaan arsip" }
                @match &last_verify {
                    None => p.muted { "Belum pernah diperiksa." },
                    Some(run) => p class=(if run.ok { "ok" } else { "warn" }) {
                        @let at = jiff::Timestamp::from_millisecond(run.finished_at_ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
                        (crate::dates::date_time(at, zone)) ": " (run.checked) " berkas diperiksa, "
                        @if run.ok { "semuanya utuh." } @else { (run.problems) " masalah (hilang " (run.missing) ", berubah " (run.changed) ", tak terdaftar " (run.unexpected) ")." }
                    },
                }
            }
            section.card {
                h2 { "Triage" }
                p { a href="/triage" { strong { (triage) } " berkas" } " menunggu penandaan." }
            }
            section.card {
                h2 { "Berkas masuk " span.muted { "(" span data-live-count { (arrived.len()) } " dalam 24 jam terakhir)" } }
                @if arrived.is_empty() { p.muted data-live-empty { "Belum ada berkas masuk." } }
                ul.plain data-live="/api/live" {
                    @for (asset, at) in &arrived { li { a href=(asset_href(asset)) { (arrival_text(asset, *at, zone)) } } }
                }
            }
        }
    };
    Ok(page(layout(&viewer, "Beranda", "/", body)))
}

fn events_list(d: &Day, zone: jiff::tz::Offset, name: &dyn Fn(&str) -> String) -> Markup {
    html! {
        @if d.events.is_empty() { p.muted { "Belum ada agenda." } }
        ul.plain {
            @for (event, assignments) in &d.events {
                li {
                    strong { (time_of_day(event.starts_at, zone)) "–" (time_of_day(event.ends_at, zone)) " " (zone_label(zone)) }
                    " · " (event.title)
                    br;
                    span.muted { (event.leader.label()) " · " (event.location) @if event.out_of_town { " · luar kota" } }
                    @if assignments.is_empty() {
                        br; span.badge.planned { "Belum ada penugasan" }
                    }
                    @for a in assignments {
                        br;
                        a href=(format!("/liputan/{}", a.id)) { "Penugasan #" (a.id) }
                        " " span class=(format!("badge {}", crate::schedule::name_of(&a.status))) { (a.status.label()) }
                        " "
                        @for (n, m) in a.crew.iter().enumerate() {
                            @if n > 0 { ", " } (name(&m.username)) " (" (m.role.label()) ")"
                        }
                    }
                }
            }
        }
    }
}

fn asset_href(asset: &AssetRecord) -> String {
    match asset.assignment_id {
        Some(id) => format!("/liputan/{id}"),
        None => "/triage".into(),
    }
}

fn arrival_text(asset: &AssetRecord, at_ms: i64, zone: jiff::tz::Offset) -> String {
    let at = jiff::Timestamp::from_millisecond(at_ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let who = asset
        .photographer
        .as_deref()
        .or(asset.drop_folder.as_deref())
        .unwrap_or("?");
    let place = match asset.assignment_id {
        Some(id) => format!("penugasan #{id}"),
        None => "triage".into(),
    };
    format!(
        "{} · {} · {} → {}",
        time_of_day(at, zone),
        asset.file_name,
        who,
        place
    )
}

/// `GET /api/live`: server-sent events, one `arrival` per newly archived
/// file, as `{"text", "href", "id"}`, fed by the one shared poller
/// (`web::live`); at most `[server] live_per_user` open per user (429).
async fn live(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, ApiError> {
    let subscription = state.live.subscribe(&viewer.username)?;
    let zone = state.zone;
    let events = subscription.into_stream().flat_map(move |batch| {
        let events: Vec<Result<SseEvent, Infallible>> = batch
            .iter()
            .rev()
            .map(|(asset, at)| {
                let data = serde_json::json!({
                    "id": asset.id,
                    "text": arrival_text(asset, *at, zone),
                    "href": asset_href(asset),
                });
                Ok(SseEvent::default().event("arrival").data(data.to_string()))
            })
            .collect();
        stream::iter(events)
    });
    // A comment line well inside the idle timeout, so an open list whose
    // client is reading is never taken for an idle connection.
    let every = (state.config.http.idle_timeout / 2).clamp(Duration::from_secs(1), LIVE_KEEP_ALIVE);
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(every)))
}
