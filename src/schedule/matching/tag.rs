//! Tagging: the decision for a file singled out to one assignment, with the
//! reason the panel shows, the confidence and whom the file is attributed to;
//! unless GPS contradicts it. How the assignment was singled out is `mod`'s.

use super::evidence::{CameraId, Evidence};
use super::slots::{day_of, same_user};
use super::{text, triage, Decision, FileEvidence, How, Slot, World};
use super::{GPS_CONTRADICTS_KM, GPS_ELSEWHERE_KM, GPS_HERE_KM};

/// Tags the file, unless its GPS fix is far from the event's place.
pub(super) fn tag(
    file: &FileEvidence,
    world: &World,
    evidence: &Evidence,
    slot: &Slot,
    at: i64,
    how: How,
) -> Decision {
    let km = slot.km_from(file.gps);
    if let Some(far) = km.filter(|km| *km > GPS_CONTRADICTS_KM) {
        return triage::far_away(world, evidence, slot, at, far);
    }
    Decision::Tag {
        assignment_id: slot.assignment.id,
        reason: tag_reason(world, evidence, slot, at, how, km),
        confidence: confidence(evidence, slot, at, how, km),
        photographer: attribute(evidence, slot),
    }
}

/// 0.95 when folder and camera agree and the time is inside the event's own
/// times; each weaker circumstance takes a little off. Counted in hundredths
/// so equal evidence gives exactly equal confidence.
fn confidence(evidence: &Evidence, slot: &Slot, at: i64, how: How, km: Option<f64>) -> f32 {
    let on_crew = |name: Option<&str>| name.is_some_and(|n| slot.includes(n));
    let agree = on_crew(evidence.dropper_name()) && on_crew(evidence.owner());
    let mut points: u8 = if agree { 95 } else { 85 };
    if !slot.contains(at) {
        points -= 10;
    }
    if matches!(evidence.camera, CameraId::Model(_)) {
        points -= 5;
    }
    if how != How::Only {
        // Chosen among several, or (OnlyThatDay) on a file's mtime.
        points -= 5;
    }
    match km {
        Some(km) if km <= GPS_HERE_KM => points += 2,
        Some(km) if km > GPS_ELSEWHERE_KM => points -= 10,
        _ => {}
    }
    f32::from(points) / 100.0
}

/// The person on this crew the evidence points to; when both or neither are
/// on it, the camera's owner, else the dropper.
fn attribute(evidence: &Evidence, slot: &Slot) -> Option<String> {
    let on_crew: Vec<&str> = evidence
        .people()
        .into_iter()
        .filter(|p| slot.includes(p))
        .collect();
    match on_crew[..] {
        [one] => Some(one.to_owned()),
        _ => evidence.photographer(),
    }
}

/// "folder budi; pukul 10.15 dalam jadwal «…» 09.00–11.00; GPS 0,8 km dari lokasi".
fn tag_reason(
    world: &World,
    evidence: &Evidence,
    slot: &Slot,
    at: i64,
    how: How,
    km: Option<f64>,
) -> String {
    let zone = world.zone;
    let mut parts = vec![who(evidence)];
    let time = if how == How::OnlyThatDay {
        format!(
            "waktu berkas diubah {} (tanpa waktu pengambilan)",
            text::clock(at, zone)
        )
    } else {
        match evidence.clock_offset() {
            0 => format!("pukul {}", text::clock(at, zone)),
            offset => {
                let correction = text::signed_duration(-offset);
                format!(
                    "pukul {} (jam kamera dikoreksi {correction})",
                    text::clock(at, zone)
                )
            }
        }
    };
    let event = format!(
        "{} {}",
        triage::title(slot),
        text::span(
            slot.event.starts_at,
            slot.event.ends_at,
            zone,
            day_of(at, zone)
        )
    );
    parts.push(match slot.outside_by(at) {
        0 => format!("{time} dalam jadwal {event}"),
        early if early < 0 => format!("{time}, {} sebelum {event}", text::duration(early)),
        late => format!("{time}, {} sesudah {event}", text::duration(late)),
    });
    match how {
        How::Only => {}
        How::InsideSchedule { of } => parts.push(format!(
            "dipilih dari {} penugasan karena waktunya dalam jadwal",
            text::count(of)
        )),
        How::Nearest { of } => parts.push(format!(
            "dipilih dari {} penugasan karena jadwalnya terdekat",
            text::count(of)
        )),
        How::Gps { of } => parts.push(format!(
            "dipilih dari {} penugasan karena lokasi GPS",
            text::count(of)
        )),
        How::OnlyThatDay => parts.push(format!(
            "satu-satunya penugasan {} hari itu",
            evidence.dropper_name().unwrap_or("pengunggah")
        )),
    }
    if let Some(km) = km {
        parts.push(format!("GPS {} dari lokasi", text::km(km)));
    }
    parts.join("; ")
}

/// "folder dan kamera 0123 milik budi", "folder budi, kamera 0123 milik siti".
fn who(evidence: &Evidence) -> String {
    let camera = match &evidence.camera {
        CameraId::Serial(c) => format!("kamera {}", c.serial),
        CameraId::Model(c) => format!(
            "{} tanpa nomor seri",
            text::camera(None, c.make.as_deref(), c.model.as_deref())
        ),
        _ => String::new(),
    };
    match (evidence.dropper_name(), evidence.owner()) {
        (Some(dropper), Some(owner)) if same_user(dropper, owner) => {
            format!("folder dan {camera} milik {dropper}")
        }
        (Some(dropper), Some(owner)) => format!("folder {dropper}, {camera} milik {owner}"),
        (Some(dropper), None) => format!("folder {dropper}"),
        (None, Some(owner)) => format!("{camera} milik {owner}"),
        (None, None) => "pemotret tidak diketahui".to_owned(),
    }
}
