//! Matching: for one ingested file, the assignment it belongs to and why, or
//! why Kasi must look at it (triage) with suggestions; and, for one drop, the
//! camera clock offsets that would explain files fitting no assignment.
//!
//! Pure decision logic over a schedule the caller loaded around the files:
//! no I/O, no SQL, no reading of the clock. The caller files the assets, stores
//! the decisions and re-matches when the schedule changes. Reasons and
//! suggestions are Indonesian, for the triage panel, with WITA wall times.

mod clock;
mod evidence;
mod slots;
mod tag;
mod text;
mod triage;

#[cfg(test)]
mod tests;

use serde::{Deserialize, Serialize};

use super::{Assignment, Camera, Event, Person};
pub use clock::{propose_clock_offsets, OffsetProposal};
use evidence::Evidence;
use slots::day_of;
use tag::tag;

/// A GPS fix this close to one candidate's place, while every other candidate
/// is beyond `GPS_ELSEWHERE_KM`, breaks a tie. Venues within a town are a few
/// kilometres apart, so only a clear difference counts.
const GPS_HERE_KM: f64 = 3.0;
const GPS_ELSEWHERE_KM: f64 = 10.0;
/// A fix this far from the only event that fits in time contradicts it
/// (Tarakan to Tanjung Selor is ~60 km); nearer, phones' fixes are too rough.
const GPS_CONTRADICTS_KM: f64 = 50.0;

/// How far around an event's own times its files may fall.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Margins {
    pub before_seconds: i64,
    pub after_seconds: i64,
}

impl Margins {
    pub fn from_minutes(before: u32, after: u32) -> Margins {
        Margins {
            before_seconds: i64::from(before) * 60,
            after_seconds: i64::from(after) * 60,
        }
    }
}

impl Default for Margins {
    /// The configuration's default: 60 minutes before, 180 after.
    fn default() -> Margins {
        Margins::from_minutes(60, 180)
    }
}

/// Everything known about one file that matching may use.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FileEvidence {
    pub asset_id: String,
    /// The first folder under the inbox root, raw: maybe a username.
    pub drop_folder: Option<String>,
    /// EXIF body serial as read.
    pub serial: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    /// Camera wall time read in its zone, not yet corrected by the camera's
    /// clock offset.
    pub captured_at: Option<jiff::Timestamp>,
    /// No capture time in the file: `captured_at` is the file's mtime.
    pub time_from_file_mtime: bool,
    /// (latitude, longitude) in degrees.
    pub gps: Option<(f64, f64)>,
}

/// One assignment with what matching needs of its event.
#[derive(Debug, Clone, Copy)]
pub struct Slot<'a> {
    pub assignment: &'a Assignment,
    pub event: &'a Event,
}

/// The schedule around the files being matched.
#[derive(Debug, Clone)]
pub struct World<'a> {
    pub people: &'a [Person],
    pub cameras: &'a [Camera],
    /// Assignments near the files' times (the files' day ± 1 day).
    pub slots: Vec<Slot<'a>>,
    pub margins: Margins,
    /// For wall times in reasons.
    pub zone: jiff::tz::Offset,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Decision {
    Tag {
        assignment_id: i64,
        reason: String,
        /// 0..1; 0.95 when folder and camera agree inside the event's own times.
        confidence: f32,
        photographer: Option<String>,
    },
    Triage {
        reason: String,
        suggestions: Vec<Suggestion>,
        photographer: Option<String>,
    },
}

/// Something Kasi can do with a triaged file: file it under an assignment, set
/// a camera's clock offset, or register a camera.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Suggestion {
    pub assignment_id: Option<i64>,
    pub clock_offset_seconds: Option<i64>,
    pub camera_serial: Option<String>,
    pub why: String,
}

/// How the one assignment was singled out; it shapes reason and confidence.
#[derive(Debug, Clone, Copy, PartialEq)]
enum How {
    /// The only candidate.
    Only,
    /// The only one of `of` candidates whose own times contain the file's.
    InsideSchedule { of: usize },
    /// Of `of` candidates, less than half as far as the next.
    Nearest { of: usize },
    /// Of `of` candidates, the only one near the file's GPS fix.
    Gps { of: usize },
    /// The dropper's only assignment that day, by the file's mtime.
    OnlyThatDay,
}

/// What the candidates come down to.
enum Choice<'s, 'a> {
    None,
    One(&'s Slot<'a>, How),
    Several(Vec<&'s Slot<'a>>),
    /// Time points to one candidate, GPS to another.
    Conflict {
        by_time: &'s Slot<'a>,
        by_gps: &'s Slot<'a>,
        km: f64,
    },
}

/// Decides where one file goes. Never fails: whatever cannot be decided is a
/// `Triage` with the most useful reason.
pub fn decide(file: &FileEvidence, world: &World) -> Decision {
    let evidence = Evidence::identify(file, world);
    let Some(read_at) = file.captured_at.map(|t| t.as_second()) else {
        return triage::without_time(world, &evidence);
    };
    if file.time_from_file_mtime {
        return decide_by_mtime(file, world, &evidence, read_at);
    }
    let at = read_at.saturating_sub(evidence.clock_offset());
    let people = evidence.people();
    if people.is_empty() {
        // Time alone never files anything: with nobody known, Kasi chooses.
        return triage::nobody_known(world, &evidence, at);
    }
    let candidates: Vec<&Slot> = world
        .slots
        .iter()
        .filter(|s| s.includes_any(&people) && s.widened_contains(at, &world.margins))
        .collect();
    match choose(&candidates, at, file.gps) {
        Choice::None => triage::no_assignment(world, &evidence, &people, at, read_at),
        Choice::One(slot, how) => tag(file, world, &evidence, slot, at, how),
        Choice::Several(pool) => triage::several(world, &evidence, &people, &pool, at),
        Choice::Conflict {
            by_time,
            by_gps,
            km,
        } => triage::conflict(world, &evidence, by_time, by_gps, km, at),
    }
}

/// A file without a capture time: its mtime is usually when it was copied, on
/// the computer's clock, so it is not corrected by the camera's offset and is
/// trusted only when it cannot be confused: the dropper's only assignment that
/// day, with the mtime inside its widened window.
fn decide_by_mtime(file: &FileEvidence, world: &World, evidence: &Evidence, at: i64) -> Decision {
    if let (Some(dropper), Some(day)) = (evidence.dropper_name(), day_of(at, world.zone)) {
        let theirs: Vec<&Slot> = world
            .slots
            .iter()
            .filter(|s| s.includes(dropper) && s.on_day(day, world.zone))
            .collect();
        if let [only] = theirs[..] {
            if only.widened_contains(at, &world.margins) {
                return tag(file, world, evidence, only, at, How::OnlyThatDay);
            }
        }
    }
    triage::weak_time(world, evidence, at)
}

/// Narrows the candidates (crew includes a considered person, widened window
/// contains the time) to one: by the events' own times, then by nearness, then
/// by GPS. GPS that clearly points elsewhere than time does is a conflict.
fn choose<'s, 'a>(candidates: &[&'s Slot<'a>], at: i64, gps: Option<(f64, f64)>) -> Choice<'s, 'a> {
    match candidates {
        [] => return Choice::None,
        [only] => return Choice::One(only, How::Only),
        _ => {}
    }
    let of = candidates.len();
    let by_gps = nearest_by_gps(candidates, gps);
    match (by_schedule(candidates, at), by_gps) {
        (Some((by_time, _)), Some((by_gps, km))) if !std::ptr::eq(by_time, by_gps) => {
            Choice::Conflict {
                by_time,
                by_gps,
                km,
            }
        }
        (Some((slot, how)), _) => Choice::One(slot, how),
        (None, Some((slot, _))) => Choice::One(slot, How::Gps { of }),
        (None, None) => {
            let inside: Vec<&Slot> = candidates
                .iter()
                .copied()
                .filter(|s| s.contains(at))
                .collect();
            Choice::Several(if inside.len() >= 2 {
                inside
            } else {
                candidates.to_vec()
            })
        }
    }
}

/// The one candidate whose own times contain `at`; else the one clearly nearest
/// (less than half as far as the next): back-to-back events share margins.
fn by_schedule<'s, 'a>(candidates: &[&'s Slot<'a>], at: i64) -> Option<(&'s Slot<'a>, How)> {
    let of = candidates.len();
    let inside: Vec<&Slot> = candidates
        .iter()
        .copied()
        .filter(|s| s.contains(at))
        .collect();
    match inside[..] {
        [only] => return Some((only, How::InsideSchedule { of })),
        [_, _, ..] => return None,
        [] => {}
    }
    let mut by_distance = candidates.to_vec();
    by_distance.sort_by_key(|s| s.distance(at));
    let [nearest, next, ..] = by_distance[..] else {
        return None;
    };
    (nearest.distance(at).saturating_mul(2) < next.distance(at))
        .then_some((nearest, How::Nearest { of }))
}

/// The one candidate within `GPS_HERE_KM` of the fix while every other is known
/// to be beyond `GPS_ELSEWHERE_KM`.
fn nearest_by_gps<'s, 'a>(
    candidates: &[&'s Slot<'a>],
    gps: Option<(f64, f64)>,
) -> Option<(&'s Slot<'a>, f64)> {
    let distances: Vec<(&Slot, Option<f64>)> =
        candidates.iter().map(|s| (*s, s.km_from(gps))).collect();
    let here: Vec<(&Slot, f64)> = distances
        .iter()
        .filter_map(|&(s, km)| km.filter(|&km| km <= GPS_HERE_KM).map(|km| (s, km)))
        .collect();
    let [(winner, km)] = here[..] else {
        return None;
    };
    let others_far = distances.iter().all(|&(s, other)| {
        std::ptr::eq(s, winner) || other.is_some_and(|other| other > GPS_ELSEWHERE_KM)
    });
    others_far.then_some((winner, km))
}
