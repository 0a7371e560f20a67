//! Surat Tugas and the daily schedule report over HTTP (SOP steps 5 and 3).
//! Rules and layout are `crate::letters`', numbers and records
//! `catalog::letters`'. The panel's `/surat/{id}` and `/laporan-harian` pages
//! read through [`letter_view`] and [`daily_report`].
//!
//! | route | need |
//! |---|---|
//! | `GET /api/assignments/{id}/letter` (current letter + history) | Login |
//! | `POST /api/assignments/{id}/letter {signer?}` -> `{number, pdf_url, ...}` | Schedule (+ out of town: signer must be a kadis) |
//! | `POST /api/assignments/{id}/letter/cancel {reason}` | Schedule |
//! | `GET /api/assignments/{id}/letter.pdf` | Login |
//! | `GET /api/daily-report.pdf?date=YYYY-MM-DD` (default tomorrow) | Login |
//! | `PUT /api/people/{username}/letter-details {pangkat?, jabatan?}` | Admin |
//!
//! Who may issue: KADIS, KABID and KASI prepare any letter (`Need::Schedule`);
//! an out-of-town letter must name a KADIS as signer, else 400 on `signer`.

use std::collections::{HashMap, HashSet};

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Value};

use super::access::Routes;
use super::error::{blocking, json_body, ApiError};
use super::AppState;
use crate::auth::{Need, Viewer};
use crate::catalog::{Catalog, LetterRecord};
use crate::dates::date_in;
use crate::error::{Error, Result};
use crate::letters::{self, Assignee, DailyAssignment, DailyEvent, DailyReport, Letter, Official};
use crate::schedule::{check_nip, Assignment, Event, Role};

pub fn routes(r: Routes) -> Routes {
    r.get("/api/assignments/{id}/letter", Need::Login, get_letter)
        .post("/api/assignments/{id}/letter", Need::Schedule, issue)
        .post(
            "/api/assignments/{id}/letter/cancel",
            Need::Schedule,
            cancel,
        )
        .get("/api/assignments/{id}/letter.pdf", Need::Login, letter_pdf)
        .get("/api/daily-report.pdf", Need::Login, daily_pdf)
        .put(
            "/api/people/{username}/letter-details",
            Need::Admin,
            put_details,
        )
}

/// Where a letter's PDF is served.
pub fn pdf_url(assignment_id: i64) -> String {
    format!("/api/assignments/{assignment_id}/letter.pdf")
}

fn assignment_id(raw: &str) -> std::result::Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| ApiError::NotFound(format!("assignment {raw:?} does not exist")))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct IssueBody {
    signer: Option<String>,
}

/// `POST /api/assignments/{id}/letter`.
async fn issue(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(raw): Path<String>,
    bytes: Bytes,
) -> std::result::Result<Json<Value>, ApiError> {
    let id = assignment_id(&raw)?;
    let body: IssueBody = if bytes.iter().all(u8::is_ascii_whitespace) {
        IssueBody::default()
    } else {
        json_body(&bytes)?
    };
    let out = blocking(move || {
        let signer = body
            .signer
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty());
        Ok(issue_letter(&state, id, signer, &viewer.username)?)
    })
    .await?;
    Ok(Json(out))
}

/// The signer a request gets: the one named, else `[letter] signer`, else the
/// first active KADIS.
fn choose_signer(
    catalog: &Catalog,
    settings: &letters::LetterSettings,
    named: Option<&str>,
) -> Result<Official> {
    let wanted = named.map(str::to_owned).or_else(|| settings.signer.clone());
    match wanted {
        Some(username) => catalog
            .official(&username)?
            .ok_or_else(|| Error::Invalid(format!("signer: no person {username:?}"))),
        None => catalog
            .officials()?
            .into_iter()
            .find(|p| p.role == Role::Kadis && !p.disabled)
            .ok_or_else(|| {
                Error::Invalid(
                    "signer: nobody has the role kadis; name a signer or set letter.signer".into(),
                )
            }),
    }
}

/// Checks the stored NIP of someone printed on a letter.
fn checked_nip(p: &Official) -> Result<()> {
    match p
        .nip
        .as_deref()
        .map(|n| n.replace(' ', ""))
        .filter(|n| !n.is_empty())
    {
        Some(nip) => check_nip(&nip).map_err(|e| {
            Error::Invalid(format!(
                "{e} (the NIP of {}; fix it on the Pengguna page)",
                p.username
            ))
        }),
        None => Ok(()),
    }
}

/// Issues (or re-issues) the Surat Tugas of assignment `id`; the JSON reply.
pub fn issue_letter(state: &AppState, id: i64, signer: Option<&str>, by: &str) -> Result<Value> {
    let catalog = &state.catalog;
    let settings = &state.config.letter;
    let zone = state.zone;
    let assignment = catalog
        .assignment(id)?
        .ok_or_else(|| Error::NotFound(format!("assignment {id} does not exist")))?;
    let event = catalog
        .event(assignment.event_id)?
        .ok_or_else(|| Error::NotFound(format!("event {} does not exist", assignment.event_id)))?;
    if assignment.crew.is_empty() {
        return Err(Error::Invalid(format!(
            "crew: assignment {id} has nobody on its crew yet; assign the crew first"
        )));
    }
    let signer = choose_signer(catalog, settings, signer)?;
    letters::check_signer(event.out_of_town, &signer)?;
    checked_nip(&signer)?;
    let mut crew = Vec::new();
    for m in &assignment.crew {
        let person = catalog
            .official(&m.username)?
            .ok_or_else(|| Error::Invalid(format!("crew: no person {:?}", m.username)))?;
        checked_nip(&person)?;
        crew.push(Assignee {
            person,
            crew_role: m.role.label().to_owned(),
        });
    }
    let logo = letters::load_logo(settings)?;
    let now = jiff::Timestamp::now();
    let today = date_in(now, zone);
    let req = crate::catalog::IssueLetter {
        assignment_id: id,
        year: today.year() as i64,
        signer: &signer.username,
        out_of_town: event.out_of_town,
        by,
        now_ms: now.as_millisecond(),
    };
    let region = state.config.publish.region.clone();
    let (record, reissued) = catalog.issue_letter(
        &req,
        |seq| letters::number(settings, seq, today.year(), today.month()),
        |number, issued_ms| {
            let issued = jiff::Timestamp::from_millisecond(issued_ms).unwrap_or(now);
            let letter = Letter {
                number: number.to_owned(),
                issued_on: date_in(issued, zone),
                event: event.clone(),
                crew: crew.clone(),
                signer: signer.clone(),
                zone,
                region: region.clone(),
            };
            Ok(letters::render_letter(settings, &letter, logo.as_deref()))
        },
    )?;
    let status = catalog
        .assignment(id)?
        .map(|a| crate::schedule::name_of(&a.status))
        .unwrap_or_default();
    Ok(json!({
        "assignment_id": id,
        "number": record.number,
        "pdf_url": pdf_url(id),
        "reissued": reissued,
        "signer": record.signer,
        "out_of_town": record.out_of_town,
        "issued_at": iso(record.issued_at_ms),
        "status": status,
    }))
}

fn iso(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|t| t.to_string())
        .unwrap_or_default()
}

fn record_json(r: &LetterRecord) -> Value {
    json!({
        "number": r.number,
        "year": r.year,
        "seq": r.seq,
        "signer": r.signer,
        "out_of_town": r.out_of_town,
        "issued_by": r.issued_by,
        "issued_at": iso(r.issued_at_ms),
        "rendered_at": iso(r.rendered_at_ms),
        "cancelled": r.cancelled_at_ms.is_some(),
        "cancelled_at": r.cancelled_at_ms.map(iso),
        "cancelled_by": r.cancelled_by,
        "cancel_reason": r.cancel_reason,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CancelBody {
    reason: String,
}

/// `POST /api/assignments/{id}/letter/cancel {reason}`.
async fn cancel(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(raw): Path<String>,
    bytes: Bytes,
) -> std::result::Result<Json<Value>, ApiError> {
    let id = assignment_id(&raw)?;
    let body: CancelBody = json_body(&bytes)?;
    let reason = body.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(ApiError::BadRequest(
            "reason: say why the letter is cancelled (1-500 characters)".into(),
        ));
    }
    let record = blocking(move || {
        let now = jiff::Timestamp::now().as_millisecond();
        Ok(state
            .catalog
            .cancel_letter(id, &viewer.username, &reason, now)?)
    })
    .await?;
    Ok(Json(record_json(&record)))
}

/// A letter's state for the API and the page.
pub struct LetterView {
    pub assignment: Assignment,
    pub event: Event,
    pub current: Option<LetterRecord>,
    pub history: Vec<LetterRecord>,
    /// Everyone, with letter details, by username.
    pub people: HashMap<String, Official>,
}

/// Loads the assignment, its event and its letters; `None` when it does not exist.
pub fn letter_view(catalog: &Catalog, id: i64) -> Result<Option<LetterView>> {
    let Some(assignment) = catalog.assignment(id)? else {
        return Ok(None);
    };
    let Some(event) = catalog.event(assignment.event_id)? else {
        return Ok(None);
    };
    let history = catalog.letters_of(id)?;
    let current = history
        .iter()
        .find(|l| l.cancelled_at_ms.is_none())
        .cloned();
    let people = catalog
        .officials()?
        .into_iter()
        .map(|p| (p.username.clone(), p))
        .collect();
    Ok(Some(LetterView {
        assignment,
        event,
        current,
        history,
        people,
    }))
}

/// `GET /api/assignments/{id}/letter`: the live letter (or null) and every
/// letter ever issued for the assignment, cancelled ones included.
async fn get_letter(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> std::result::Result<Json<Value>, ApiError> {
    let id = assignment_id(&raw)?;
    let view = blocking(move || Ok(letter_view(&state.catalog, id)?))
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("assignment {id} does not exist")))?;
    let current = view.current.as_ref().map(|r| {
        let mut v = record_json(r);
        v["pdf_url"] = json!(pdf_url(id));
        v
    });
    Ok(Json(json!({
        "assignment_id": id,
        "status": crate::schedule::name_of(&view.assignment.status),
        "out_of_town": view.event.out_of_town,
        "current": current,
        "history": view.history.iter().map(record_json).collect::<Vec<_>>(),
    })))
}

fn pdf_response(bytes: Vec<u8>, file_name: String) -> Response {
    (
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{file_name}\""),
            ),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        bytes,
    )
        .into_response()
}

/// `GET /api/assignments/{id}/letter.pdf`: the live letter as issued.
async fn letter_pdf(
    State(state): State<AppState>,
    Path(raw): Path<String>,
) -> std::result::Result<Response, ApiError> {
    let id = assignment_id(&raw)?;
    let found = blocking(move || Ok(state.catalog.letter_pdf(id)?)).await?;
    let (_, pdf) = found.ok_or_else(|| {
        ApiError::NotFound(format!(
            "assignment {id} has no letter (or it was cancelled)"
        ))
    })?;
    // The file name holds only the numeric id: nothing a person typed.
    Ok(pdf_response(pdf, format!("surat-tugas-{id}.pdf")))
}

#[derive(Deserialize)]
pub struct DateQuery {
    date: Option<String>,
}

/// A `YYYY-MM-DD` from a query, or tomorrow in `zone`.
pub fn day_or_tomorrow(
    raw: Option<&str>,
    field: &str,
    zone: jiff::tz::Offset,
) -> std::result::Result<jiff::civil::Date, ApiError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => text.parse::<jiff::civil::Date>().map_err(|_| {
            ApiError::BadRequest(format!("{field}: {text:?} is not a date YYYY-MM-DD"))
        }),
        None => date_in(jiff::Timestamp::now(), zone)
            .tomorrow()
            .map_err(|e| ApiError::BadRequest(format!("{field}: {e}"))),
    }
}

/// Everything the daily report shows for `date`.
pub fn daily_report(state: &AppState, date: jiff::civil::Date) -> Result<DailyReport> {
    let catalog = &state.catalog;
    let zone = state.zone;
    let day = crate::web::pages::home::day(catalog, zone, date)?;
    let names: HashMap<String, String> = catalog
        .people()?
        .into_iter()
        .map(|p| (p.username, p.name))
        .collect();
    let name = |u: &str| names.get(u).cloned().unwrap_or_else(|| u.to_owned());
    let ids: Vec<i64> = day
        .events
        .iter()
        .flat_map(|(_, a)| a.iter().map(|a| a.id))
        .collect();
    let live = catalog.live_letters(&ids)?;
    let on_duty: HashSet<&str> = day.on_duty.iter().map(String::as_str).collect();
    let events = day
        .events
        .iter()
        .map(|(e, assignments)| DailyEvent {
            id: e.id,
            time: letters::event_time(e, zone),
            title: e.title.clone(),
            leader: e.leader.label().to_owned(),
            location: e.location.clone(),
            out_of_town: e.out_of_town,
            source: e.source.clone().filter(|s| !s.trim().is_empty()),
            assignments: assignments
                .iter()
                .map(|a| DailyAssignment {
                    id: a.id,
                    status: a.status.label().to_owned(),
                    crew: a
                        .crew
                        .iter()
                        .map(|m| {
                            (
                                name(&m.username),
                                m.role.label().to_owned(),
                                on_duty.contains(m.username.as_str()),
                            )
                        })
                        .collect(),
                    letter: live.get(&a.id).map(|l| l.number.clone()),
                })
                .collect(),
        })
        .collect();
    Ok(DailyReport {
        date,
        on_duty: day.on_duty.iter().map(|u| name(u)).collect(),
        events,
    })
}

/// `GET /api/daily-report.pdf?date=YYYY-MM-DD` (default tomorrow, H-1).
async fn daily_pdf(
    State(state): State<AppState>,
    Query(q): Query<DateQuery>,
) -> std::result::Result<Response, ApiError> {
    let date = day_or_tomorrow(q.date.as_deref(), "date", state.zone)?;
    let pdf = blocking(move || {
        let report = daily_report(&state, date)?;
        let printed = format!(
            "Dicetak {}",
            crate::dates::date_time(jiff::Timestamp::now(), state.zone)
        );
        Ok(letters::render_daily(
            &state.config.letter,
            &report,
            &printed,
        ))
    })
    .await?;
    Ok(pdf_response(pdf, format!("laporan-harian-{date}.pdf")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DetailsBody {
    pangkat: Option<String>,
    jabatan: Option<String>,
}

/// `PUT /api/people/{username}/letter-details {pangkat?, jabatan?}`: what a
/// letter prints besides name and NIP ("Penata (III/c)", "Pranata Humas Ahli
/// Muda"). Missing or empty clears the field.
async fn put_details(
    State(state): State<AppState>,
    Path(username): Path<String>,
    bytes: Bytes,
) -> std::result::Result<Json<Value>, ApiError> {
    let body: DetailsBody = json_body(&bytes)?;
    for (field, v) in [("pangkat", &body.pangkat), ("jabatan", &body.jabatan)] {
        if let Some(v) = v {
            if v.chars().count() > 200 || v.chars().any(char::is_control) {
                return Err(ApiError::BadRequest(format!(
                    "{field}: at most 200 characters, no control characters"
                )));
            }
        }
    }
    let out = blocking(move || {
        state.catalog.set_letter_details(
            &username,
            body.pangkat.as_deref(),
            body.jabatan.as_deref(),
        )?;
        let p = state
            .catalog
            .official(&username)?
            .ok_or_else(|| Error::NotFound(format!("username: no person {username}")))?;
        Ok(json!({"username": p.username, "pangkat": p.pangkat, "jabatan": p.jabatan}))
    })
    .await?;
    Ok(Json(out))
}
