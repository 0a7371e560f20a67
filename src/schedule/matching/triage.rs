//! Triage decisions: for each way matching can fail to decide, the reason
//! Kasi reads and the suggestions offered (assignments nearest first, a clock
//! offset, registering a camera). Indonesian wording; no matching rules here.

use super::clock::ZONE_MISTAKES;
use super::evidence::{CameraId, Evidence};
use super::slots::day_of;
use super::{text, Decision, Slot, Suggestion, World};

/// A file with no time at all: only whose assignments exist can be offered.
pub(super) fn without_time(world: &World, evidence: &Evidence) -> Decision {
    let people = evidence.people();
    let mut theirs: Vec<&Slot> = world
        .slots
        .iter()
        .filter(|s| s.includes_any(&people))
        .collect();
    theirs.sort_by_key(|s| s.start());
    let suggestions = theirs.iter().map(|s| suggest(world, s, None)).collect();
    let reason =
        "tidak ada waktu di berkas (waktu pengambilan maupun waktu berkas diubah)".to_owned();
    decision(evidence, reason, suggestions)
}

/// Neither the folder nor the camera names anyone.
pub(super) fn nobody_known(world: &World, evidence: &Evidence, at: i64) -> Decision {
    let mut reason = format!("pemotret tidak diketahui: {}", folder_note(evidence));
    if let CameraId::Unknown { label } = &evidence.camera {
        match label {
            Some(label) => {
                reason.push_str(&format!("; kamera {label} tanpa nomor seri tidak dikenali"))
            }
            None => reason.push_str("; tanpa data kamera"),
        }
    }
    let fitting = world
        .slots
        .iter()
        .filter(|s| s.widened_contains(at, &world.margins))
        .collect();
    let suggestions = nearest_first(fitting, at)
        .iter()
        .map(|s| suggest(world, s, Some(at)))
        .collect();
    decision(evidence, reason, suggestions)
}

/// People known, but none of their assignments is near the time.
pub(super) fn no_assignment(
    world: &World,
    evidence: &Evidence,
    people: &[&str],
    at: i64,
    read_at: i64,
) -> Decision {
    let correction = match evidence.clock_offset() {
        0 => String::new(),
        offset => format!(" (jam kamera dikoreksi {})", text::signed_duration(-offset)),
    };
    let reason = format!(
        "{} tidak punya penugasan sekitar pukul {}{correction}",
        text::names(people),
        text::clock(at, world.zone)
    );
    let mut suggestions: Vec<Suggestion> = clock_hint(world, evidence, people, read_at)
        .into_iter()
        .collect();
    let that_day = same_day(world, people, at);
    suggestions.extend(
        nearest_first(that_day, at)
            .iter()
            .map(|s| suggest(world, s, Some(at))),
    );
    decision(evidence, reason, suggestions)
}

/// Several assignments fit and nothing tells them apart.
/// "dua penugasan pukul 09.00–11.00 sama-sama mencakup budi: «A», «B»".
pub(super) fn several(
    world: &World,
    evidence: &Evidence,
    people: &[&str],
    pool: &[&Slot],
    at: i64,
) -> Decision {
    let zone = world.zone;
    let involved: Vec<&str> = people
        .iter()
        .copied()
        .filter(|p| pool.iter().any(|s| s.includes(p)))
        .collect();
    let first = pool[0];
    let same_times = pool
        .iter()
        .all(|s| s.start() == first.start() && s.end() == first.end());
    let (when, titles) = if same_times {
        let titles: Vec<String> = pool.iter().map(|s| title(s)).collect();
        (format!("pukul {}", span(world, first, at)), titles)
    } else {
        let titles: Vec<String> = pool
            .iter()
            .map(|s| format!("{} {}", title(s), span(world, s, at)))
            .collect();
        (format!("sekitar pukul {}", text::clock(at, zone)), titles)
    };
    let reason = format!(
        "{} penugasan {when} sama-sama mencakup {}: {}",
        text::count(pool.len()),
        text::names(&involved),
        titles.join(", ")
    );
    let suggestions = nearest_first(pool.to_vec(), at)
        .iter()
        .map(|s| suggest(world, s, Some(at)))
        .collect();
    decision(evidence, reason, suggestions)
}

/// Time points to one assignment and the GPS fix to another.
pub(super) fn conflict(
    world: &World,
    evidence: &Evidence,
    by_time: &Slot,
    by_gps: &Slot,
    km: f64,
    at: i64,
) -> Decision {
    let reason = format!(
        "waktu pukul {} menunjuk {} {}, tetapi GPS {} dari lokasi {}",
        text::clock(at, world.zone),
        title(by_time),
        span(world, by_time, at),
        text::km(km),
        title(by_gps)
    );
    let suggestions = [by_time, by_gps]
        .iter()
        .map(|s| suggest(world, s, Some(at)))
        .collect();
    decision(evidence, reason, suggestions)
}

/// The only assignment that fits in time is far from where the file was made.
pub(super) fn far_away(
    world: &World,
    evidence: &Evidence,
    slot: &Slot,
    at: i64,
    km: f64,
) -> Decision {
    let place = match slot.event.location.trim() {
        "" => "lokasinya".to_owned(),
        location => location.to_owned(),
    };
    let reason = format!(
        "pukul {} cocok dengan {} {}, tetapi GPS berkas {} dari {place}",
        text::clock(at, world.zone),
        title(slot),
        span(world, slot, at),
        text::km(km)
    );
    decision(evidence, reason, vec![suggest(world, slot, Some(at))])
}

/// The time is the file's mtime and could not be trusted.
pub(super) fn weak_time(world: &World, evidence: &Evidence, at: i64) -> Decision {
    let head = format!(
        "tidak ada waktu pengambilan di berkas; dipakai waktu berkas diubah ({})",
        text::clock(at, world.zone)
    );
    let Some(dropper) = evidence.dropper_name() else {
        let people = evidence.people();
        let candidates = if people.is_empty() {
            world
                .slots
                .iter()
                .filter(|s| s.widened_contains(at, &world.margins))
                .collect()
        } else {
            same_day(world, &people, at)
        };
        let suggestions = nearest_first(candidates, at)
            .iter()
            .map(|s| suggest(world, s, Some(at)))
            .collect();
        return decision(
            evidence,
            format!("{head}; {}", folder_note(evidence)),
            suggestions,
        );
    };
    let theirs = same_day(world, &[dropper], at);
    let detail = match theirs[..] {
        [] => format!("{dropper} tidak punya penugasan hari itu"),
        [only] => format!(
            "pukul {} di luar {} {}",
            text::clock(at, world.zone),
            title(only),
            span(world, only, at)
        ),
        _ => format!(
            "{dropper} punya {} penugasan hari itu",
            text::count(theirs.len())
        ),
    };
    let suggestions = nearest_first(theirs, at)
        .iter()
        .map(|s| suggest(world, s, Some(at)))
        .collect();
    decision(evidence, format!("{head}; {detail}"), suggestions)
}

/// «Judul Acara».
pub(super) fn title(slot: &Slot) -> String {
    format!("«{}»", slot.event.title.trim())
}

/// Builds the triage decision; a missing camera registration is always named
/// and offered, since registering it lets the next files match by themselves.
fn decision(evidence: &Evidence, reason: String, mut suggestions: Vec<Suggestion>) -> Decision {
    let reason = match evidence.unregistered_note() {
        Some(note) => format!("{reason}; {note}"),
        None => reason,
    };
    if let CameraId::Unregistered { serial, label } = &evidence.camera {
        let owner = evidence
            .dropper_name()
            .map(|d| format!(" atas nama {d}"))
            .unwrap_or_default();
        suggestions.push(Suggestion {
            assignment_id: None,
            clock_offset_seconds: None,
            camera_serial: Some(serial.clone()),
            why: format!("daftarkan {label}{owner}"),
        });
    }
    Decision::Triage {
        reason,
        suggestions,
        photographer: evidence.photographer(),
    }
}

/// When a registered camera's time lands inside exactly one of the people's
/// events once read as a usual zone mistake (WIB, WIT, UTC), offer that offset.
fn clock_hint(
    world: &World,
    evidence: &Evidence,
    people: &[&str],
    read_at: i64,
) -> Option<Suggestion> {
    let CameraId::Serial(camera) = evidence.camera else {
        return None;
    };
    ZONE_MISTAKES
        .iter()
        .filter(|&&offset| offset != camera.clock_offset_seconds)
        .find_map(|&offset| {
            let at = read_at.saturating_sub(offset);
            let fitting: Vec<&Slot> = world
                .slots
                .iter()
                .filter(|s| s.includes_any(people) && s.contains(at))
                .collect();
            let [slot] = fitting[..] else { return None };
            Some(Suggestion {
                assignment_id: Some(slot.assignment.id),
                clock_offset_seconds: Some(offset),
                camera_serial: Some(camera.serial.clone()),
                why: format!(
                    "bila jam kamera {} {}, berkas pukul {} masuk jadwal {} {}",
                    camera.serial,
                    text::offset_meaning(offset),
                    text::clock(at, world.zone),
                    title(slot),
                    span(world, slot, at)
                ),
            })
        })
}

/// The people's assignments on the day of `at`.
fn same_day<'s, 'a>(world: &'s World<'a>, people: &[&str], at: i64) -> Vec<&'s Slot<'a>> {
    let Some(day) = day_of(at, world.zone) else {
        return Vec::new();
    };
    world
        .slots
        .iter()
        .filter(|s| s.includes_any(people) && s.on_day(day, world.zone))
        .collect()
}

fn nearest_first<'s, 'a>(mut slots: Vec<&'s Slot<'a>>, at: i64) -> Vec<&'s Slot<'a>> {
    slots.sort_by_key(|s| (s.distance(at), s.start()));
    slots
}

/// "09.00–11.00", dated when the event is on another day than the file.
fn span(world: &World, slot: &Slot, at: i64) -> String {
    text::span(
        slot.event.starts_at,
        slot.event.ends_at,
        world.zone,
        day_of(at, world.zone),
    )
}

/// Why the folder names nobody.
fn folder_note(evidence: &Evidence) -> String {
    match &evidence.stray_folder {
        Some(folder) => format!("folder «{folder}» bukan nama pengguna"),
        None => "berkas tidak di folder pengguna".to_owned(),
    }
}

/// "«Rapat Koordinasi Banjir» 09.00–11.00 di Tanjung Selor; berkas 45 menit sebelum mulai".
fn suggest(world: &World, slot: &Slot, at: Option<i64>) -> Suggestion {
    let day = at.and_then(|at| day_of(at, world.zone));
    let mut why = format!(
        "{} {}",
        title(slot),
        text::span(slot.event.starts_at, slot.event.ends_at, world.zone, day)
    );
    if !slot.event.location.trim().is_empty() {
        why.push_str(&format!(" di {}", slot.event.location.trim()));
    }
    if let Some(at) = at {
        why.push_str(&match slot.outside_by(at) {
            0 => "; waktu berkas dalam jadwal".to_owned(),
            early if early < 0 => format!("; berkas {} sebelum mulai", text::duration(early)),
            late => format!("; berkas {} sesudah selesai", text::duration(late)),
        });
    }
    Suggestion {
        assignment_id: Some(slot.assignment.id),
        clock_offset_seconds: None,
        camera_serial: None,
        why,
    }
}
