//! Agenda Pimpinan (SOP step 2, due H-1): the leaders' events of one day, as
//! received from aides, protocol or an OPD; KASI, KABID and KADIS enter and
//! correct them here through `POST /api/events` and `PATCH /api/events/{id}`.
//! Also the day helpers the other day pages share: the `tanggal` query, the
//! date navigation, event times in words and `datetime-local` values.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use jiff::civil::Date;
use jiff::tz::Offset;
use jiff::Timestamp;
use maud::{html, Markup};
use serde::Deserialize;

use super::home::{day, Day};
use super::{layout, page, refusal};
use crate::auth::{Need, Viewer};
use crate::dates::{date_in, long_date, plain_date, time_of_day, zone_label};
use crate::schedule::{name_of, Event, Leader, Person};
use crate::web::access::Routes;
use crate::web::error::{blocking, ApiError};
use crate::web::AppState;

pub fn routes(r: Routes) -> Routes {
    r.get("/agenda", Need::Login, agenda)
}

/// Every leader, in the order the select offers them.
pub const LEADERS: [Leader; 5] = [
    Leader::Gubernur,
    Leader::WakilGubernur,
    Leader::Sekda,
    Leader::Kadis,
    Leader::Lainnya,
];

/// Where agenda information usually comes from (SOP step 2), offered as
/// suggestions; any text is accepted.
const SOURCES: [&str; 5] = [
    "Ajudan Gubernur",
    "Ajudan Wakil Gubernur",
    "Protokol Setda",
    "Undangan OPD",
    "Kepala Dinas",
];

/// `?tanggal=YYYY-MM-DD` of the day pages; `ubah` names an event to edit.
#[derive(Deserialize)]
pub struct DayQuery {
    pub tanggal: Option<String>,
    pub ubah: Option<String>,
}

/// The day a page shows: `value` as `YYYY-MM-DD`, or `default` when absent
/// or empty; the error is the sentence the refusal page shows.
pub fn parse_day(value: Option<&str>, default: Date) -> Result<Date, String> {
    match value.map(str::trim) {
        None | Some("") => Ok(default),
        Some(v) => v
            .parse::<Date>()
            .ok()
            .filter(|_| v.len() == 10)
            .ok_or_else(|| {
                format!("Tanggal {v:?} tidak valid; tulis TTTT-BB-HH, misalnya 2026-11-26.")
            }),
    }
}

/// The refusal page for a bad `tanggal`.
pub fn bad_day(why: &str) -> Response {
    refusal(StatusCode::BAD_REQUEST, why)
}

/// Today in the configured zone.
pub fn today(zone: Offset) -> Date {
    date_in(Timestamp::now(), zone)
}

/// "Hari ini", "Besok (H-1)", "Kemarin" or nothing, for the day under the title.
pub fn relative_day(date: Date, today: Date) -> Option<&'static str> {
    let days = (date - today).get_days();
    match days {
        0 => Some("hari ini"),
        1 => Some("besok"),
        -1 => Some("kemarin"),
        _ => None,
    }
}

/// Previous day, today, tomorrow, next day and a date picker, for `path`.
pub fn day_nav(path: &str, date: Date, today: Date) -> Markup {
    let link = |d: Date| format!("{path}?tanggal={d}");
    let prev = date.yesterday().unwrap_or(date);
    let next = date.tomorrow().unwrap_or(date);
    let tomorrow = today.tomorrow().unwrap_or(today);
    html! {
        nav.daynav aria-label="Pilih tanggal" {
            a.button.secondary href=(link(prev)) rel="prev" { "← Sebelumnya" }
            a.button.secondary.current[date == today] href=(link(today)) { "Hari ini" }
            a.button.secondary.current[date == tomorrow] href=(link(tomorrow)) { "Besok" }
            a.button.secondary href=(link(next)) rel="next" { "Berikutnya →" }
            form method="get" action=(path) {
                label { span.visually-hidden { "Tanggal" } input type="date" name="tanggal" value=(date.to_string()) required; }
                button.secondary type="submit" { "Tampilkan" }
            }
        }
    }
}

/// "09.00–11.30 WITA"; a start or end on another day than `day` carries its date.
pub fn event_when(event: &Event, zone: Offset, day: Date) -> String {
    let part = |t: Timestamp| {
        let d = date_in(t, zone);
        if d == day {
            time_of_day(t, zone)
        } else {
            format!("{} {}", plain_date(d), time_of_day(t, zone))
        }
    };
    format!(
        "{}–{} {}",
        part(event.starts_at),
        part(event.ends_at),
        zone_label(zone)
    )
}

/// The value of an `<input type=datetime-local>`: "2026-11-27T09:00" in `zone`.
pub fn local_input(at: Timestamp, zone: Offset) -> String {
    let t = zone.to_datetime(at);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}",
        t.year(),
        t.month(),
        t.day(),
        t.hour(),
        t.minute()
    )
}

/// The zone as the API's times end: "+08:00" (for a form's `data-zone`).
pub fn offset_text(zone: Offset) -> String {
    let s = zone.seconds();
    let sign = if s < 0 { '-' } else { '+' };
    let s = s.unsigned_abs();
    format!("{sign}{:02}:{:02}", s / 3600, s % 3600 / 60)
}

/// The schedule pages' stylesheet and script, at the top of a page's body
/// (the layout's head is shared by every page).
pub fn assets() -> Markup {
    html! {
        link rel="stylesheet" href="/static/schedule.css";
        script src="/static/schedule.js" defer {}
    }
}

/// Display names by username.
pub fn names(people: &[Person]) -> HashMap<String, String> {
    people
        .iter()
        .map(|p| (p.username.clone(), p.name.clone()))
        .collect()
}

/// The name of `username`, or the username when the person is unknown.
pub fn name_of_user<'a>(names: &'a HashMap<String, String>, username: &'a str) -> &'a str {
    names.get(username).map_or(username, String::as_str)
}

async fn agenda(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<DayQuery>,
) -> Result<Response, ApiError> {
    let zone = state.zone;
    let today = today(zone);
    let date = match parse_day(q.tanggal.as_deref(), today.tomorrow().unwrap_or(today)) {
        Ok(d) => d,
        Err(why) => return Ok(bad_day(&why)),
    };
    let editing: Option<i64> = q.ubah.as_deref().and_then(|v| v.trim().parse().ok());
    let catalog = state.catalog.clone();
    let (d, people) = blocking(move || Ok((day(&catalog, zone, date)?, catalog.people()?))).await?;
    let names = names(&people);
    let may_edit = Need::Schedule.allows(&viewer);
    let editing = editing
        .filter(|_| may_edit)
        .and_then(|id| d.events.iter().map(|(e, _)| e).find(|e| e.id == id));
    let body = html! {
        (super::agenda::assets())
        h1 { "Agenda Pimpinan" }
        p.lead {
            (long_date(date))
            @if let Some(rel) = relative_day(date, today) { " · " (rel) }
            @if date == today.tomorrow().unwrap_or(today) { span.muted { " (H-1: batas agenda, penugasan dan surat tugas)" } }
        }
        (day_nav("/agenda", date, today))
        @if let Some(event) = editing {
            section.card #ubah {
                h2 { "Ubah kegiatan" }
                (event_form(Some(event), date, zone))
            }
        }
        section.card {
            h2 { "Kegiatan" }
            (events_table(&d, zone, may_edit))
            p.muted {
                "Piket: "
                @if d.on_duty.is_empty() { "belum ada jadwal tim untuk tanggal ini" }
                @for (n, u) in d.on_duty.iter().enumerate() {
                    @if n > 0 { ", " } (name_of_user(&names, u))
                }
                " · " a href=(format!("/penugasan?tanggal={date}")) { "Penugasan tanggal ini" }
            }
        }
        @if may_edit && editing.is_none() {
            section.card #tambah {
                h2 { "Tambah kegiatan" }
                p.muted { "Waktu dalam " (zone_label(zone)) ". Sumber: ajudan, protokol atau OPD penyelenggara." }
                (event_form(None, date, zone))
            }
        }
    };
    Ok(page(layout(&viewer, "Agenda Pimpinan", "/agenda", body)))
}

fn events_table(d: &Day, zone: Offset, may_edit: bool) -> Markup {
    html! {
        @if d.events.is_empty() {
            p.muted { "Belum ada agenda pimpinan untuk tanggal ini." }
        } @else {
            div.scroll {
                table {
                    thead { tr {
                        th { "Waktu" } th { "Pimpinan" } th { "Kegiatan" } th { "Tempat" }
                        th { "Sumber" } th { "Luar kota" } th { "Penugasan" }
                        @if may_edit { th { span.visually-hidden { "Tindakan" } } }
                    } }
                    tbody {
                        @for (event, assignments) in &d.events {
                            tr {
                                td.nowrap { (event_when(event, zone, d.date)) }
                                td { (event.leader.label()) }
                                td { strong { (event.title) } }
                                td { (event.location) }
                                td { @if let Some(s) = &event.source { (s) } @else { span.muted { "—" } } }
                                td { @if event.out_of_town { span.badge.out { "Luar kota" } } @else { span.muted { "Tidak" } } }
                                td {
                                    @if assignments.is_empty() {
                                        a href=(format!("/penugasan?tanggal={}#kegiatan-{}", d.date, event.id)) {
                                            span.badge.planned { "Belum ada penugasan" }
                                        }
                                    }
                                    @for a in assignments {
                                        div {
                                            a href=(format!("/liputan/{}", a.id)) { "#" (a.id) }
                                            " " span class=(format!("badge {}", name_of(&a.status))) { (a.status.label()) }
                                        }
                                    }
                                }
                                @if may_edit {
                                    td { a href=(format!("/agenda?tanggal={}&ubah={}#ubah", d.date, event.id)) { "Ubah" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The quick-entry form (`event` none: POST) or the edit form (PATCH, the
/// whole event again, as `update_event` wants it).
fn event_form(event: Option<&Event>, date: Date, zone: Offset) -> Markup {
    let (api, method, then) = match event {
        Some(e) => (
            format!("/api/events/{}", e.id),
            "PATCH",
            format!("/agenda?tanggal={date}"),
        ),
        None => ("/api/events".to_owned(), "POST", "reload".to_owned()),
    };
    let start = event.map_or_else(
        || format!("{date}T08:00"),
        |e| local_input(e.starts_at, zone),
    );
    let end = event.map_or_else(|| format!("{date}T10:00"), |e| local_input(e.ends_at, zone));
    let leader = event.map_or(Leader::Gubernur, |e| e.leader);
    let number = |v: Option<f64>| v.map(|v| v.to_string()).unwrap_or_default();
    html! {
        form.stack.event-form data-api=(api) data-method=(method) data-then=(then) data-zone=(offset_text(zone)) {
            label { "Nama kegiatan" input name="title" required value=[event.map(|e| e.title.as_str())]; }
            div.grid2.tight {
                label { "Pimpinan"
                    select name="leader" {
                        @for l in LEADERS {
                            option value=(name_of(&l)) selected[l == leader] { (l.label()) }
                        }
                    }
                }
                label { "Tempat" input name="location" required value=[event.map(|e| e.location.as_str())]; }
                label { "Mulai (" (zone_label(zone)) ")"
                    input type="datetime-local" name="starts_at" data-type="datetime" data-starts required value=(start);
                }
                label { "Selesai (" (zone_label(zone)) ")"
                    input type="datetime-local" name="ends_at" data-type="datetime" data-ends required value=(end);
                }
                label { "Sumber informasi (opsional)"
                    input name="source" list="sumber-saran" value=[event.and_then(|e| e.source.as_deref())];
                }
                label.check { input type="checkbox" name="out_of_town" checked[event.is_some_and(|e| e.out_of_town)]; " Luar kota (surat tugas ditandatangani Kepala Dinas)" }
            }
            details.more open[event.is_some_and(|e| e.lat.is_some())] {
                summary { "Koordinat lokasi (opsional)" }
                div.grid2.tight {
                    label { "Lintang (lat)" input name="lat" type="number" step="any" min="-90" max="90" data-type="number" value=(number(event.and_then(|e| e.lat))); }
                    label { "Bujur (lon)" input name="lon" type="number" step="any" min="-180" max="180" data-type="number" value=(number(event.and_then(|e| e.lon))); }
                }
            }
            datalist #sumber-saran { @for s in SOURCES { option value=(s) {} } }
            p.form-error role="alert" {}
            button type="submit" { @if event.is_some() { "Simpan perubahan" } @else { "Tambah kegiatan" } }
            @if event.is_some() {
                " " a.button.secondary href=(format!("/agenda?tanggal={date}")) { "Batal" }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(start: &str, end: &str) -> Event {
        Event {
            id: 1,
            title: "Rapat".into(),
            leader: Leader::Gubernur,
            location: "Tanjung Selor".into(),
            starts_at: start.parse().unwrap(),
            ends_at: end.parse().unwrap(),
            zone_seconds: 28_800,
            out_of_town: false,
            source: None,
            lat: None,
            lon: None,
        }
    }

    #[test]
    fn day_queries_default_when_empty_and_refuse_other_shapes() {
        let default = jiff::civil::date(2026, 11, 27);
        assert_eq!(parse_day(None, default), Ok(default));
        assert_eq!(parse_day(Some(""), default), Ok(default));
        assert_eq!(
            parse_day(Some("2026-11-26"), default),
            Ok(jiff::civil::date(2026, 11, 26))
        );
        for bad in ["2026-11-31", "26-11-2026", "2026-1-5", "besok"] {
            assert!(parse_day(Some(bad), default).is_err(), "{bad}");
        }
    }

    #[test]
    fn event_times_read_in_the_zone_with_dates_only_when_another_day() {
        let zone = Offset::constant(8);
        let day = jiff::civil::date(2026, 11, 26);
        let e = event("2026-11-26T01:00:00Z", "2026-11-26T03:30:00Z");
        assert_eq!(event_when(&e, zone, day), "09.00–11.30 WITA");
        let night = event("2026-11-26T12:00:00Z", "2026-11-26T17:00:00Z");
        assert_eq!(
            event_when(&night, zone, day),
            "20.00–27 November 2026 01.00 WITA"
        );
    }

    #[test]
    fn form_values_and_offsets_are_written_for_the_browser_and_the_api() {
        let zone = Offset::constant(8);
        let at: Timestamp = "2026-11-26T23:05:00Z".parse().unwrap();
        assert_eq!(local_input(at, zone), "2026-11-27T07:05");
        assert_eq!(offset_text(zone), "+08:00");
        assert_eq!(
            offset_text(Offset::from_seconds(-(5 * 3600 + 1800)).unwrap()),
            "-05:30"
        );
        let today = jiff::civil::date(2026, 11, 26);
        assert_eq!(
            relative_day(jiff::civil::date(2026, 11, 27), today),
            Some("besok")
        );
        assert_eq!(relative_day(jiff::civil::date(2026, 12, 27), today), None);
    }
}
