//! The schedule's JSON API (SOP steps 1, 2 and 4): people, cameras, roster,
//! events, assignments; and tagging: manual tags and the triage queue. Every
//! change that can move files re-matches them before answering.

use std::collections::BTreeMap;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::error::{blocking, json_body, ApiError};
use super::AppState;
use crate::auth::hash_password;
use crate::error::Error;
use crate::schedule::{
    new_person, parse_name, AssignmentStatus, Camera, CrewMember, CrewRole, Event, Leader, Person,
};

fn invalid(message: String) -> ApiError {
    ApiError::BadRequest(message)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewPerson {
    username: String,
    name: String,
    role: String,
    #[serde(default)]
    crew_roles: Vec<String>,
    nip: Option<String>,
    #[serde(default)]
    is_admin: bool,
    password: Option<String>,
}

pub async fn add_person(
    State(state): State<AppState>,
    bytes: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let input: NewPerson = json_body(&bytes)?;
    let person = new_person(
        &input.username,
        &input.name,
        &input.role,
        &input.crew_roles,
        input.nip.as_deref(),
        input.is_admin,
    )?;
    let stored = person.clone();
    blocking(move || {
        let hash = input.password.as_deref().map(hash_password).transpose()?;
        state.catalog.add_person(&stored)?;
        if let Some(hash) = hash {
            state.catalog.set_password(&stored.username, &hash)?;
        }
        Ok(())
    })
    .await?;
    Ok((StatusCode::CREATED, Json(person)))
}

pub async fn people(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let people = blocking(move || Ok(state.catalog.people()?)).await?;
    Ok(Json(json!({ "items": people })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewCamera {
    serial: String,
    make: Option<String>,
    model: Option<String>,
    owner: String,
    #[serde(default)]
    clock_offset_seconds: i64,
}

pub async fn add_camera(
    State(state): State<AppState>,
    bytes: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let input: NewCamera = json_body(&bytes)?;
    if input.serial.trim().is_empty() {
        return Err(invalid("serial: must not be empty".into()));
    }
    check_offset(input.clock_offset_seconds)?;
    let camera = Camera {
        serial: input.serial.trim().to_owned(),
        make: input.make,
        model: input.model,
        owner: input.owner,
        clock_offset_seconds: input.clock_offset_seconds,
        offset_source: (input.clock_offset_seconds != 0).then(|| "manual".to_owned()),
    };
    let stored = camera.clone();
    let report = blocking(move || {
        known_person(&state, "owner", &stored.owner)?;
        state.catalog.add_camera(&stored)?;
        Ok(state.tagger.rematch_camera(&stored.serial)?)
    })
    .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "camera": camera, "rematch": report })),
    ))
}

pub async fn cameras(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let cameras = blocking(move || Ok(state.catalog.cameras()?)).await?;
    Ok(Json(json!({ "items": cameras })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CameraPatch {
    clock_offset_seconds: Option<i64>,
    owner: Option<String>,
}

/// `PATCH /api/cameras/{serial}`: a corrected clock or a new owner; re-matches its files.
pub async fn patch_camera(
    State(state): State<AppState>,
    Path(serial): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let patch: CameraPatch = json_body(&bytes)?;
    if let Some(offset) = patch.clock_offset_seconds {
        check_offset(offset)?;
    }
    let (camera, report) = blocking(move || {
        let camera = state
            .catalog
            .camera(&serial)?
            .ok_or_else(|| Error::NotFound(format!("serial: camera {serial} is not registered")))?;
        if let Some(owner) = &patch.owner {
            known_person(&state, "owner", owner)?;
        }
        let offset = patch.clock_offset_seconds.map(|s| (s, "manual"));
        state
            .catalog
            .update_camera(&camera.serial, patch.owner.as_deref(), offset)?;
        let report = state.tagger.rematch_camera(&camera.serial)?;
        Ok((state.catalog.camera(&camera.serial)?, report))
    })
    .await?;
    Ok(Json(json!({ "camera": camera, "rematch": report })))
}

fn check_offset(seconds: i64) -> Result<(), ApiError> {
    if seconds.abs() > 48 * 3600 {
        return Err(invalid(
            "clock_offset_seconds: more than two days off is not a clock error".into(),
        ));
    }
    Ok(())
}

fn known_person(state: &AppState, field: &str, username: &str) -> crate::Result<Person> {
    state
        .catalog
        .person(username)?
        .ok_or_else(|| Error::Invalid(format!("{field}: unknown username {username:?}")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RosterBody {
    days: BTreeMap<String, Vec<String>>,
}

/// `PUT /api/roster/{YYYY-MM}`: who is on duty each day of the month.
pub async fn put_roster(
    State(state): State<AppState>,
    Path(month): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let input: RosterBody = json_body(&bytes)?;
    let first = month_start(&month)?;
    let mut days = Vec::new();
    for (day, people) in input.days {
        let date: jiff::civil::Date = day
            .parse()
            .map_err(|_| invalid(format!("days.{day}: not a date (YYYY-MM-DD)")))?;
        if (date.year(), date.month()) != (first.year(), first.month()) {
            return Err(invalid(format!("days.{day}: not in {month}")));
        }
        days.push((day, people));
    }
    blocking(move || {
        for (day, people) in &days {
            for username in people {
                known_person(&state, &format!("days.{day}"), username)?;
            }
        }
        state.catalog.set_roster(&days)?;
        roster_json(&state, &month)
    })
    .await
    .map(Json)
}

pub async fn get_roster(
    State(state): State<AppState>,
    Path(month): Path<String>,
) -> Result<Json<Value>, ApiError> {
    month_start(&month)?;
    blocking(move || roster_json(&state, &month))
        .await
        .map(Json)
}

fn roster_json(state: &AppState, month: &str) -> Result<Value, ApiError> {
    let mut days: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (day, username) in state.catalog.roster(month)? {
        days.entry(day).or_default().push(username);
    }
    Ok(json!({ "month": month, "days": days }))
}

fn month_start(month: &str) -> Result<jiff::civil::Date, ApiError> {
    format!("{month}-01")
        .parse::<jiff::civil::Date>()
        .ok()
        .filter(|_| month.len() == 7)
        .ok_or_else(|| invalid(format!("month: {month:?} is not YYYY-MM")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventBody {
    title: String,
    leader: String,
    location: String,
    starts_at: String,
    ends_at: String,
    #[serde(default)]
    out_of_town: bool,
    source: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
}

impl EventBody {
    fn into_event(self, id: i64) -> Result<Event, ApiError> {
        for (field, value) in [("title", &self.title), ("location", &self.location)] {
            if value.trim().is_empty() {
                return Err(invalid(format!("{field}: must not be empty")));
            }
        }
        let leader: Leader = parse_name(
            "leader",
            &self.leader,
            "gubernur, wakil_gubernur, sekda, kadis, lainnya",
        )?;
        let (starts_at, zone) = instant("starts_at", &self.starts_at)?;
        let (ends_at, _) = instant("ends_at", &self.ends_at)?;
        if ends_at <= starts_at {
            return Err(invalid("ends_at: must be after starts_at".into()));
        }
        match (self.lat, self.lon) {
            (None, None) => {}
            (Some(lat), Some(lon))
                if (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon) => {}
            (Some(lat), Some(_)) if !(-90.0..=90.0).contains(&lat) => {
                return Err(invalid("lat: must be between -90 and 90".into()))
            }
            (Some(_), Some(_)) => return Err(invalid("lon: must be between -180 and 180".into())),
            (Some(_), None) => {
                return Err(invalid("lon: give both lat and lon, or neither".into()))
            }
            (None, Some(_)) => {
                return Err(invalid("lat: give both lat and lon, or neither".into()))
            }
        }
        Ok(Event {
            id,
            title: self.title.trim().to_owned(),
            leader,
            location: self.location.trim().to_owned(),
            starts_at,
            ends_at,
            zone_seconds: zone,
            out_of_town: self.out_of_town,
            source: self.source.filter(|s| !s.trim().is_empty()),
            lat: self.lat,
            lon: self.lon,
        })
    }
}

/// An RFC 3339 time that carries its offset (a bare local time is ambiguous).
fn instant(field: &str, value: &str) -> Result<(jiff::Timestamp, i32), ApiError> {
    let instant = value
        .parse::<jiff::Timestamp>()
        .map_err(|_| invalid(format!("{field}: {value:?} is not an RFC 3339 time with an offset, like 2026-11-27T09:00:00+08:00")))?;
    let offset = value
        .rfind(['+', '-', 'Z', 'z'])
        .and_then(|i| crate::config::parse_offset(&value[i..].to_uppercase()))
        .map_or(0, |o| o.seconds());
    Ok((instant, offset))
}

fn event_json(e: &Event) -> Value {
    let offset = jiff::tz::Offset::from_seconds(e.zone_seconds).unwrap_or(jiff::tz::Offset::UTC);
    json!({
        "id": e.id,
        "title": e.title,
        "leader": e.leader,
        "location": e.location,
        "starts_at": e.starts_at.display_with_offset(offset).to_string(),
        "ends_at": e.ends_at.display_with_offset(offset).to_string(),
        "out_of_town": e.out_of_town,
        "source": e.source,
        "lat": e.lat,
        "lon": e.lon,
    })
}

pub async fn add_event(
    State(state): State<AppState>,
    bytes: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let event = json_body::<EventBody>(&bytes)?.into_event(0)?;
    let (event, report) = blocking(move || {
        let id = state.catalog.add_event(&event)?;
        let event = Event { id, ..event };
        let report = state.tagger.rematch_event(&event)?;
        Ok((event, report))
    })
    .await?;
    let mut out = event_json(&event);
    out["rematch"] = json!(report);
    Ok((StatusCode::CREATED, Json(out)))
}

/// `PATCH /api/events/{id}`: the whole event again (times moved, place changed); re-matches.
pub async fn update_event(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let event = json_body::<EventBody>(&bytes)?.into_event(id)?;
    let (event, report) = blocking(move || {
        let old = state
            .catalog
            .event(id)?
            .ok_or_else(|| Error::NotFound(format!("id: no event {id}")))?;
        state.catalog.update_event(&event)?;
        state.catalog.touch_event_assets(id)?;
        // Files near the old time may leave; files near the new time may join.
        let mut report = state.tagger.rematch_event(&old)?;
        let again = state.tagger.rematch_event(&event)?;
        report.moved += again.moved;
        Ok((event, report))
    })
    .await?;
    let mut out = event_json(&event);
    out["rematch"] = json!(report);
    Ok(Json(out))
}

#[derive(Deserialize)]
pub struct EventsQuery {
    date: Option<String>,
}

/// `GET /api/events?date=YYYY-MM-DD`: that day's events (in the configured zone) with their assignments.
pub async fn events(
    State(state): State<AppState>,
    Query(q): Query<EventsQuery>,
) -> Result<Json<Value>, ApiError> {
    let zone = state.zone;
    let date: jiff::civil::Date = match q.date.as_deref() {
        None => zone.to_datetime(jiff::Timestamp::now()).date(),
        Some(d) => d
            .parse()
            .ok()
            .filter(|_| d.len() == 10)
            .ok_or_else(|| invalid(format!("date: {d:?} is not YYYY-MM-DD")))?,
    };
    let start = zone
        .to_timestamp(date.to_datetime(jiff::civil::Time::midnight()))
        .map_err(|e| invalid(format!("date: {e}")))?;
    let from = start.as_millisecond();
    let items = blocking(move || {
        let mut items = Vec::new();
        for event in state
            .catalog
            .events_between(from, from + 24 * 3600 * 1000)?
        {
            let mut value = event_json(&event);
            let assignments: Vec<Value> = state
                .catalog
                .assignments_of_event(event.id)?
                .iter()
                .map(assignment_json)
                .collect();
            value["assignments"] = json!(assignments);
            items.push(value);
        }
        Ok(items)
    })
    .await?;
    Ok(Json(json!({ "date": date.to_string(), "items": items })))
}

/// The assignment as stored now, with the warnings and re-match report of the change.
fn assignment_reply(
    state: &AppState,
    id: i64,
    warnings: &[String],
    report: crate::schedule::tagger::Report,
) -> Result<Value, ApiError> {
    let assignment = state
        .catalog
        .assignment(id)?
        .ok_or_else(|| Error::NotFound(format!("assignment {id}")))?;
    let mut value = assignment_json(&assignment);
    value["warnings"] = json!(warnings);
    value["rematch"] = json!(report);
    Ok(value)
}

fn assignment_json(a: &crate::schedule::Assignment) -> Value {
    json!({ "id": a.id, "event_id": a.event_id, "status": a.status, "folder": a.folder, "crew": a.crew })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewAssignment {
    event_id: i64,
    #[serde(default)]
    crew: Vec<CrewBody>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CrewBody {
    username: String,
    role: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CrewOnly {
    crew: Vec<CrewBody>,
}

fn crew_of(crew: Vec<CrewBody>) -> Result<Vec<CrewMember>, ApiError> {
    let mut out: Vec<CrewMember> = Vec::new();
    for (i, member) in crew.into_iter().enumerate() {
        let role = parse_name::<CrewRole>(
            &format!("crew[{i}].role"),
            &member.role,
            "fotografer, kameraman, reporter",
        )?;
        if out.iter().any(|m| m.username == member.username) {
            return Err(invalid(format!(
                "crew[{i}].username: {} is listed twice",
                member.username
            )));
        }
        out.push(CrewMember {
            username: member.username,
            role,
        });
    }
    Ok(out)
}

/// Warnings that do not refuse: a crew member off the roster that day, or
/// already on an overlapping assignment.
fn crew_warnings(
    state: &AppState,
    event: &Event,
    crew: &[CrewMember],
    except: Option<i64>,
) -> crate::Result<Vec<String>> {
    let day = state.zone.to_datetime(event.starts_at).date().to_string();
    let on_duty: Vec<String> = state
        .catalog
        .roster(&day)?
        .into_iter()
        .map(|(_, u)| u)
        .collect();
    let overlapping = state.catalog.slots_between(
        event.starts_at.as_millisecond(),
        event.ends_at.as_millisecond(),
    )?;
    let mut warnings = Vec::new();
    for (i, member) in crew.iter().enumerate() {
        known_person(state, &format!("crew[{i}].username"), &member.username)?;
        if !on_duty.contains(&member.username) {
            warnings.push(format!(
                "{} tidak terjadwal bertugas pada {day} (jadwal tim)",
                member.username
            ));
        }
        for (other, other_event) in &overlapping {
            if Some(other.id) != except && other.crew.iter().any(|m| m.username == member.username)
            {
                warnings.push(format!(
                    "{} juga ditugaskan pada «{}» di jam yang sama",
                    member.username, other_event.title
                ));
            }
        }
    }
    Ok(warnings)
}

pub async fn add_assignment(
    State(state): State<AppState>,
    bytes: Bytes,
) -> Result<impl IntoResponse, ApiError> {
    let input: NewAssignment = json_body(&bytes)?;
    let crew = crew_of(input.crew)?;
    let event_id = input.event_id;
    let out = blocking(move || {
        let event = state
            .catalog
            .event(event_id)?
            .ok_or_else(|| Error::Invalid(format!("event_id: no event {event_id}")))?;
        let warnings = crew_warnings(&state, &event, &crew, None)?;
        let status = if crew.is_empty() {
            AssignmentStatus::Planned
        } else {
            AssignmentStatus::Assigned
        };
        let slug = crate::ingest::layout::slug(&event.title);
        let id = state
            .catalog
            .add_assignment(event.id, &slug, &crew, status)?;
        let report = state.tagger.rematch_event(&event)?;
        assignment_reply(&state, id, &warnings, report)
    })
    .await?;
    Ok((StatusCode::CREATED, Json(out)))
}

/// `PUT /api/assignments/{id}/crew`: a new crew; re-matches.
pub async fn put_crew(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let crew = crew_of(json_body::<CrewOnly>(&bytes)?.crew)?;
    blocking(move || {
        let assignment = state
            .catalog
            .assignment(id)?
            .ok_or_else(|| Error::NotFound(format!("id: no assignment {id}")))?;
        let event = state
            .catalog
            .event(assignment.event_id)?
            .ok_or_else(|| Error::NotFound(format!("event {}", assignment.event_id)))?;
        let warnings = crew_warnings(&state, &event, &crew, Some(id))?;
        state.catalog.set_crew(id, &crew)?;
        if assignment.status == AssignmentStatus::Planned && !crew.is_empty() {
            state
                .catalog
                .set_assignment_status(id, AssignmentStatus::Assigned)?;
        }
        let report = state.tagger.rematch_event(&event)?;
        assignment_reply(&state, id, &warnings, report).map(Json)
    })
    .await
}

/// `GET /api/assignments/{id}`: status, event, crew and asset counts by kind.
pub async fn get_assignment(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    blocking(move || {
        let assignment = state
            .catalog
            .assignment(id)?
            .ok_or_else(|| Error::NotFound(format!("id: no assignment {id}")))?;
        let event = state.catalog.event(assignment.event_id)?;
        let mut counts: BTreeMap<&str, u64> = crate::media::Kind::ALL
            .iter()
            .map(|k| (k.as_str(), 0))
            .collect();
        for (kind, n) in state.catalog.counts_by_kind(id)? {
            if let Some(slot) = counts.get_mut(kind.as_str()) {
                *slot = n;
            }
        }
        let mut value = assignment_json(&assignment);
        value["event"] = event.as_ref().map(event_json).unwrap_or(Value::Null);
        value["counts"] = json!(counts);
        Ok(Json(value))
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TagBody {
    assignment_id: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct BulkTagBody {
    asset_ids: Vec<String>,
    assignment_id: Option<i64>,
}

/// `POST /api/assets/{id}/assignment`: a manual tag (re-files; re-matching never undoes it).
/// `assignment_id: null` hands the file back to matching.
pub async fn tag_asset(
    state: State<AppState>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let input: TagBody = json_body(&bytes)?;
    tag(state, vec![id], input.assignment_id).await
}

/// `POST /api/assets/assignment {asset_ids, assignment_id}`: the bulk form.
pub async fn tag_assets(state: State<AppState>, bytes: Bytes) -> Result<Json<Value>, ApiError> {
    let input: BulkTagBody = json_body(&bytes)?;
    if input.asset_ids.is_empty() {
        return Err(invalid("asset_ids: must not be empty".into()));
    }
    tag(state, input.asset_ids, input.assignment_id).await
}

async fn tag(
    State(state): State<AppState>,
    ids: Vec<String>,
    assignment_id: Option<i64>,
) -> Result<Json<Value>, ApiError> {
    // Until logins exist (the panel issue), manual tags are attributed to "api".
    let user = "api".to_owned();
    let tagged =
        blocking(move || Ok(state.tagger.tag_by_hand(&ids, assignment_id, &user)?)).await?;
    Ok(Json(
        json!({ "tagged": tagged, "assignment_id": assignment_id }),
    ))
}

/// `GET /api/triage`: files waiting for a person, with reasons and suggestions.
pub async fn triage(State(state): State<AppState>) -> Result<Json<Value>, ApiError> {
    let items = blocking(move || Ok(state.tagger.triage(2000)?)).await?;
    Ok(Json(json!({ "items": items })))
}
