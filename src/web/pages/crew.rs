//! Penugasan (SOP step 4, due H-1): each event of a day with its assignments
//! and crews, and what needs attention before the letters go out (someone
//! off duty, someone booked twice, an out-of-town letter, an event nobody
//! covers). KASI, KABID and KADIS create assignments and change crews here
//! through `POST /api/assignments` and `PUT /api/assignments/{id}/crew`.
//! The checks are [`flags`] and [`busy_elsewhere`], pure and tested below;
//! the API computes its own warnings when a crew is saved.

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use axum::Extension;
use jiff::civil::Date;
use jiff::tz::Offset;
use maud::{html, Markup};

use super::agenda::{
    bad_day, day_nav, event_when, name_of_user, names, parse_day, relative_day, today, DayQuery,
};
use super::home::day;
use super::{layout, page};
use crate::auth::{Need, Viewer};
use crate::catalog::Catalog;
use crate::dates::{date_in, long_date, time_of_day};
use crate::schedule::{name_of, Assignment, CrewMember, CrewRole, Event, Person};
use crate::web::access::Routes;
use crate::web::error::{blocking, ApiError};
use crate::web::AppState;

pub fn routes(r: Routes) -> Routes {
    r.get("/penugasan", Need::Login, assignments_page)
}

/// Crew roles in the order the picker shows them.
pub const CREW_ROLES: [CrewRole; 3] = [
    CrewRole::Fotografer,
    CrewRole::Kameraman,
    CrewRole::Reporter,
];

/// Something about an event a KASI should see before issuing letters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flag {
    /// The event has no assignment yet.
    Unassigned,
    /// Out of town: the Surat Tugas must be signed by the KADIS.
    OutOfTown,
    /// An assignment without anyone on its crew.
    NoCrew { assignment: i64 },
    /// A crew member not on the roster on the day the event starts.
    OffDuty { assignment: i64, username: String },
    /// A crew member also on another assignment whose event overlaps this one.
    Clash {
        assignment: i64,
        username: String,
        other: Booking,
    },
}

/// Another assignment someone is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Booking {
    pub assignment: i64,
    pub title: String,
    pub starts_at: jiff::Timestamp,
    /// The other assignment covers the same event (two crews, one person).
    pub same_event: bool,
}

impl Booking {
    /// The booking as the crew picker notes it.
    pub fn note(&self, zone: Offset) -> String {
        if self.same_event {
            format!("sudah di penugasan #{} kegiatan ini", self.assignment)
        } else {
            format!(
                "bentrok: «{}» {} (#{})",
                self.title,
                time_of_day(self.starts_at, zone),
                self.assignment
            )
        }
    }
}

impl Flag {
    /// The assignment a flag is about (`None`: the event itself).
    pub fn assignment(&self) -> Option<i64> {
        match self {
            Flag::Unassigned | Flag::OutOfTown => None,
            Flag::NoCrew { assignment }
            | Flag::OffDuty { assignment, .. }
            | Flag::Clash { assignment, .. } => Some(*assignment),
        }
    }

    /// The crew member a flag is about.
    pub fn username(&self) -> Option<&str> {
        match self {
            Flag::OffDuty { username, .. } | Flag::Clash { username, .. } => Some(username),
            _ => None,
        }
    }

    /// The flag as the page says it.
    pub fn text(&self, names: &HashMap<String, String>, day: Date, zone: Offset) -> String {
        match self {
            Flag::Unassigned => "Belum ada penugasan untuk kegiatan ini.".into(),
            Flag::OutOfTown => "Luar kota: surat tugas harus ditandatangani Kepala Dinas.".into(),
            Flag::NoCrew { assignment } => format!("Penugasan #{assignment} belum punya kru."),
            Flag::OffDuty { username, .. } => format!(
                "{} tidak piket pada {} (jadwal tim).",
                name_of_user(names, username),
                long_date(day)
            ),
            Flag::Clash {
                username, other, ..
            } if other.same_event => format!(
                "{} juga ada di penugasan #{} untuk kegiatan ini.",
                name_of_user(names, username),
                other.assignment
            ),
            Flag::Clash {
                username, other, ..
            } => format!(
                "{} bentrok dengan «{}» ({} {}, penugasan #{}).",
                name_of_user(names, username),
                other.title,
                time_of_day(other.starts_at, zone),
                crate::dates::zone_label(zone),
                other.assignment
            ),
        }
    }
}

/// Whether two events overlap in time (touching ends do not).
pub fn overlaps(a: &Event, b: &Event) -> bool {
    a.starts_at < b.ends_at && b.starts_at < a.ends_at
}

/// The assignments other than `except` that have `username` on their crew
/// and whose events overlap `event`. `slots` may hold anything; only
/// overlapping events count.
pub fn busy_elsewhere(
    username: &str,
    event: &Event,
    slots: &[(Assignment, Event)],
    except: Option<i64>,
) -> Vec<Booking> {
    slots
        .iter()
        .filter(|(a, e)| Some(a.id) != except && overlaps(e, event))
        .filter(|(a, _)| a.crew.iter().any(|m| m.username == username))
        .map(|(a, e)| Booking {
            assignment: a.id,
            title: e.title.clone(),
            starts_at: e.starts_at,
            same_event: e.id == event.id,
        })
        .collect()
}

/// What needs attention about `event` and its `assignments`, given who is on
/// the roster the day it starts (`on_duty`) and the assignments of events
/// around it (`slots`, which may include this event's own).
pub fn flags(
    event: &Event,
    assignments: &[Assignment],
    on_duty: &[String],
    slots: &[(Assignment, Event)],
) -> Vec<Flag> {
    let mut out = Vec::new();
    if assignments.is_empty() {
        out.push(Flag::Unassigned);
    }
    if event.out_of_town {
        out.push(Flag::OutOfTown);
    }
    for a in assignments {
        if a.crew.is_empty() {
            out.push(Flag::NoCrew { assignment: a.id });
        }
        for member in &a.crew {
            if !on_duty.contains(&member.username) {
                out.push(Flag::OffDuty {
                    assignment: a.id,
                    username: member.username.clone(),
                });
            }
            for other in busy_elsewhere(&member.username, event, slots, Some(a.id)) {
                out.push(Flag::Clash {
                    assignment: a.id,
                    username: member.username.clone(),
                    other,
                });
            }
        }
    }
    out
}

/// People who can be put on a crew: those with a crew role whose account is
/// not disabled, by name.
pub fn crew_people(catalog: &Catalog) -> crate::Result<Vec<Person>> {
    let mut people = Vec::new();
    for p in catalog.people()? {
        if !p.crew_roles.is_empty() && catalog.is_disabled(&p.username)? != Some(true) {
            people.push(p);
        }
    }
    people.sort_by_key(|p| p.name.to_lowercase());
    Ok(people)
}

/// One event as the page shows it.
struct EventView {
    event: Event,
    assignments: Vec<Assignment>,
    /// The roster of the day the event starts.
    on_duty: Vec<String>,
    slots: Vec<(Assignment, Event)>,
    flags: Vec<Flag>,
}

struct Data {
    events: Vec<EventView>,
    on_duty: Vec<String>,
    people: Vec<Person>,
    names: HashMap<String, String>,
}

fn load(catalog: &Catalog, zone: Offset, date: Date) -> crate::Result<Data> {
    let d = day(catalog, zone, date)?;
    let mut rosters: HashMap<Date, Vec<String>> = HashMap::new();
    rosters.insert(date, d.on_duty.clone());
    let mut events = Vec::new();
    for (event, assignments) in d.events {
        let start_day = date_in(event.starts_at, zone);
        let on_duty = match rosters.entry(start_day) {
            std::collections::hash_map::Entry::Occupied(e) => e.get().clone(),
            std::collections::hash_map::Entry::Vacant(e) => {
                let list: Vec<String> = catalog
                    .roster(&start_day.to_string())?
                    .into_iter()
                    .map(|(_, u)| u)
                    .collect();
                e.insert(list).clone()
            }
        };
        let slots = catalog.slots_between(
            event.starts_at.as_millisecond(),
            event.ends_at.as_millisecond(),
        )?;
        let flags = flags(&event, &assignments, &on_duty, &slots);
        events.push(EventView {
            event,
            assignments,
            on_duty,
            slots,
            flags,
        });
    }
    let all = catalog.people()?;
    Ok(Data {
        events,
        on_duty: d.on_duty,
        people: crew_people(catalog)?,
        names: names(&all),
    })
}

async fn assignments_page(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<DayQuery>,
) -> Result<Response, ApiError> {
    let zone = state.zone;
    let today = today(zone);
    let date = match parse_day(q.tanggal.as_deref(), today) {
        Ok(d) => d,
        Err(why) => return Ok(bad_day(&why)),
    };
    let catalog = state.catalog.clone();
    let data = blocking(move || Ok(load(&catalog, zone, date)?)).await?;
    let may_edit = Need::Schedule.allows(&viewer);
    let open_count = data
        .events
        .iter()
        .filter(|v| v.flags.iter().any(|f| !matches!(f, Flag::OutOfTown)))
        .count();
    let body = html! {
        (super::agenda::assets())
        h1 { "Penugasan" }
        p.lead {
            (long_date(date))
            @if let Some(rel) = relative_day(date, today) { " · " (rel) }
        }
        (day_nav("/penugasan", date, today))
        p.muted {
            "Piket: "
            @if data.on_duty.is_empty() { "belum ada jadwal tim untuk tanggal ini" }
            @for (n, u) in data.on_duty.iter().enumerate() {
                @if n > 0 { ", " } (name_of_user(&data.names, u))
            }
            " · " a href=(format!("/jadwal?bulan={:04}-{:02}", date.year(), date.month())) { "Jadwal tim" }
            " · " a href=(format!("/agenda?tanggal={date}")) { "Agenda tanggal ini" }
        }
        @if data.events.is_empty() {
            section.card {
                p.muted { "Belum ada agenda pimpinan pada tanggal ini." }
                @if may_edit { p { a href=(format!("/agenda?tanggal={date}#tambah")) { "Isi agenda pimpinan" } } }
            }
        } @else if open_count > 0 {
            p.warn { (open_count) " dari " (data.events.len()) " kegiatan perlu diperhatikan." }
        }
        @for view in &data.events {
            (event_card(view, &data, date, zone, may_edit))
        }
    };
    Ok(page(layout(&viewer, "Penugasan", "/penugasan", body)))
}

fn event_card(view: &EventView, data: &Data, date: Date, zone: Offset, may_edit: bool) -> Markup {
    let event = &view.event;
    let start_day = date_in(event.starts_at, zone);
    let text = |f: &Flag| f.text(&data.names, start_day, zone);
    html! {
        section.card id=(format!("kegiatan-{}", event.id)) {
            h2 { (event_when(event, zone, date)) " · " (event.title) }
            p.muted {
                (event.leader.label()) " · " (event.location)
                @if let Some(s) = &event.source { " · sumber: " (s) }
                @if event.out_of_town { " " span.badge.out { "Luar kota" } }
            }
            @let event_flags: Vec<&Flag> = view.flags.iter().filter(|f| f.assignment().is_none()).collect();
            @if !event_flags.is_empty() {
                ul.flags { @for f in event_flags { li.warn { (text(f)) } } }
            }
            @for a in &view.assignments {
                div.assignment {
                    h3 {
                        a href=(format!("/liputan/{}", a.id)) { "Penugasan #" (a.id) }
                        " " span class=(format!("badge {}", name_of(&a.status))) { (a.status.label()) }
                    }
                    @if !a.crew.is_empty() {
                        ul.plain {
                            @for m in &a.crew {
                                li {
                                    (name_of_user(&data.names, &m.username)) " "
                                    span.muted { "(" (m.role.label()) ")" }
                                    @for f in view.flags.iter().filter(|f| f.assignment() == Some(a.id) && f.username() == Some(m.username.as_str())) {
                                        br; span.warn { "⚠ " (text(f)) }
                                    }
                                }
                            }
                        }
                    }
                    @for f in view.flags.iter().filter(|f| f.assignment() == Some(a.id) && f.username().is_none()) {
                        p.warn { (text(f)) }
                    }
                    @if may_edit {
                        details.more {
                            summary { "Ubah kru" }
                            form.stack data-api=(format!("/api/assignments/{}/crew", a.id)) data-method="PUT" {
                                (picker(view, data, &a.crew, Some(a.id), zone))
                                p.form-error role="alert" {}
                                button type="submit" { "Simpan kru" }
                            }
                        }
                    }
                }
            }
            @if may_edit {
                details.more open[view.assignments.is_empty()] {
                    summary { @if view.assignments.is_empty() { "Buat penugasan" } @else { "Tambah penugasan lain" } }
                    form.stack data-api="/api/assignments" {
                        input type="hidden" name="event_id" data-type="number" value=(event.id);
                        (picker(view, data, &[], None, zone))
                        p.form-error role="alert" {}
                        button type="submit" { "Buat penugasan" }
                    }
                }
            }
        }
    }
}

/// A crew role as a narrow column heading.
fn short_label(role: CrewRole) -> &'static str {
    match role {
        CrewRole::Fotografer => "Foto",
        CrewRole::Kameraman => "Video",
        CrewRole::Reporter => "Reporter",
    }
}

/// Checkboxes per person and crew role, valued `{"username", "role"}` for
/// app.js's `data-list="crew"` convention; people on duty first, each with
/// what would make them a poor choice.
fn picker(
    view: &EventView,
    data: &Data,
    current: &[CrewMember],
    except: Option<i64>,
    zone: Offset,
) -> Markup {
    let mut people: Vec<&Person> = data.people.iter().collect();
    // People already on this crew stay choosable even without a crew role now.
    let extra: Vec<Person> = current
        .iter()
        .filter(|m| !people.iter().any(|p| p.username == m.username))
        .map(|m| Person {
            username: m.username.clone(),
            name: name_of_user(&data.names, &m.username).to_owned(),
            nip: None,
            role: crate::schedule::Role::Staf,
            crew_roles: vec![m.role],
            is_admin: false,
        })
        .collect();
    people.extend(extra.iter());
    people.sort_by_key(|p| !view.on_duty.contains(&p.username));
    html! {
        @if people.is_empty() {
            p.muted { "Belum ada orang dengan peran kru (fotografer, kameraman, reporter). Tambahkan di halaman Pengguna." }
        } @else {
            div.scroll {
                table.picker {
                    thead { tr {
                        th { "Nama" }
                        @for r in CREW_ROLES { th.center { abbr title=(r.label()) { (short_label(r)) } } }
                    } }
                    tbody {
                        @for p in &people {
                            @let on_duty = view.on_duty.contains(&p.username);
                            @let busy = busy_elsewhere(&p.username, &view.event, &view.slots, except);
                            tr.off[!on_duty] {
                                td {
                                    (p.name)
                                    br;
                                    span.small {
                                        @if on_duty { span.ok { "piket" } } @else { span.warn { "tidak piket" } }
                                        @for b in &busy { br; span.warn { (b.note(zone)) } }
                                    }
                                }
                                @for r in CREW_ROLES {
                                    td.center {
                                        @if p.crew_roles.contains(&r) || current.iter().any(|m| m.username == p.username && m.role == r) {
                                            input type="checkbox" name="crew" data-list="crew" data-type="json"
                                                value=(serde_json::json!({"username": p.username, "role": name_of(&r)}).to_string())
                                                aria-label=(format!("{} sebagai {}", p.name, r.label()))
                                                checked[current.iter().any(|m| m.username == p.username && m.role == r)];
                                        }
                                    }
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
    use crate::schedule::{AssignmentStatus, Leader};

    fn event(id: i64, title: &str, start: &str, end: &str) -> Event {
        Event {
            id,
            title: title.into(),
            leader: Leader::Gubernur,
            location: "Tanjung Selor".into(),
            starts_at: format!("2026-11-26T{start}:00+08:00").parse().unwrap(),
            ends_at: format!("2026-11-26T{end}:00+08:00").parse().unwrap(),
            zone_seconds: 28_800,
            out_of_town: false,
            source: None,
            lat: None,
            lon: None,
        }
    }

    fn assignment(id: i64, event_id: i64, crew: &[(&str, CrewRole)]) -> Assignment {
        Assignment {
            id,
            event_id,
            status: AssignmentStatus::Assigned,
            folder: format!("x-{id}"),
            crew: crew
                .iter()
                .map(|(u, r)| CrewMember {
                    username: (*u).into(),
                    role: *r,
                })
                .collect(),
        }
    }

    #[test]
    fn an_event_without_assignment_and_out_of_town_is_flagged() {
        let mut e = event(1, "Kunjungan ke Malinau", "09:00", "15:00");
        e.out_of_town = true;
        assert_eq!(
            flags(&e, &[], &[], &[]),
            vec![Flag::Unassigned, Flag::OutOfTown]
        );
        let empty = assignment(7, 1, &[]);
        assert_eq!(
            flags(&e, &[empty], &[], &[]),
            vec![Flag::OutOfTown, Flag::NoCrew { assignment: 7 }]
        );
    }

    #[test]
    fn crew_off_the_roster_and_double_bookings_are_flagged() {
        let e = event(1, "Rapat banjir", "09:00", "11:00");
        let ours = assignment(
            10,
            1,
            &[("budi", CrewRole::Fotografer), ("sari", CrewRole::Reporter)],
        );
        let overlapping = event(2, "Peresmian jembatan", "10:30", "12:00");
        let back_to_back = event(3, "Jamuan", "11:00", "12:00");
        let slots = vec![
            (ours.clone(), e.clone()),
            (
                assignment(20, 2, &[("sari", CrewRole::Reporter)]),
                overlapping.clone(),
            ),
            (
                assignment(30, 3, &[("budi", CrewRole::Fotografer)]),
                back_to_back,
            ),
        ];
        let on_duty = vec!["budi".to_owned()];
        let got = flags(&e, &[ours], &on_duty, &slots);
        assert_eq!(
            got,
            vec![
                Flag::OffDuty {
                    assignment: 10,
                    username: "sari".into()
                },
                Flag::Clash {
                    assignment: 10,
                    username: "sari".into(),
                    other: Booking {
                        assignment: 20,
                        title: "Peresmian jembatan".into(),
                        starts_at: overlapping.starts_at,
                        same_event: false,
                    }
                },
            ]
        );
        let names: HashMap<String, String> = [("sari".to_owned(), "Sari Dewi".to_owned())].into();
        let zone = Offset::constant(8);
        let day = jiff::civil::date(2026, 11, 26);
        assert_eq!(
            got[0].text(&names, day, zone),
            "Sari Dewi tidak piket pada Kamis, 26 November 2026 (jadwal tim)."
        );
        assert_eq!(
            got[1].text(&names, day, zone),
            "Sari Dewi bentrok dengan «Peresmian jembatan» (10.30 WITA, penugasan #20)."
        );
    }

    #[test]
    fn the_picker_does_not_count_the_assignment_being_edited() {
        let e = event(1, "Rapat", "09:00", "11:00");
        let ours = assignment(10, 1, &[("budi", CrewRole::Fotografer)]);
        let slots = vec![(ours, e.clone())];
        assert!(busy_elsewhere("budi", &e, &slots, Some(10)).is_empty());
        // A new assignment for the same event would book budi twice.
        let twice = busy_elsewhere("budi", &e, &slots, None);
        assert_eq!(twice.len(), 1);
        assert!(twice[0].same_event);
        assert_eq!(
            twice[0].note(Offset::constant(8)),
            "sudah di penugasan #10 kegiatan ini"
        );
        assert!(busy_elsewhere("andi", &e, &slots, None).is_empty());
    }
}
