//! Clock help for one drop (one folder, one day, cameras mixed): finds cameras
//! whose files sit outside every event of their people but would fit one event
//! if the camera's clock were off by a consistent amount, and proposes that
//! offset. Proposals only: applying one (and re-matching) is the caller's.

use serde::Serialize;

use super::evidence::{CameraId, Evidence};
use super::slots::same_user;
use super::{text, triage, FileEvidence, Slot, World};
use crate::schedule::{serial_key, Camera};

/// Offsets (camera minus true time) of the usual zone mistakes, likeliest
/// first: set to WIB (an hour behind WITA), to WIT (an hour ahead), left on UTC.
pub(super) const ZONE_MISTAKES: [i64; 4] = [-3600, 3600, -28800, 28800];
const HOUR: i64 = 3600;
/// Offsets beyond half a day are not tried: the schedule is loaded for the
/// files' day ± 1, and a clock that wrong is better fixed by hand.
const MAX_OFFSET: i64 = 12 * HOUR;
/// A proposal needs at least this many of the camera's files in one event…
const MIN_FILES: usize = 3;
/// …and at least this share of them, in percent (a few shots before the
/// doors open or of the road home are normal).
const MIN_SHARE_PERCENT: usize = 80;

/// A clock offset that would put a camera's files into one assignment.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OffsetProposal {
    /// As registered, or as read from the files when the camera is not registered.
    pub camera_serial: String,
    /// The new value for the camera's offset (camera clock minus true time),
    /// not a change to the current one.
    pub clock_offset_seconds: i64,
    pub assignment_id: i64,
    /// Every file of this camera in the drop that has a capture time: the
    /// offset applies to all of them, not only those that land in the event.
    pub asset_ids: Vec<String>,
    pub why: String,
}

/// Proposes at most one offset per camera among `files` (one drop). Files
/// without a capture time, and cameras known neither by serial nor by a unique
/// registered model, are left out; so are cameras whose files already fit.
pub fn propose_clock_offsets(files: &[FileEvidence], world: &World) -> Vec<OffsetProposal> {
    group_by_camera(files, world)
        .iter()
        .filter_map(|camera| propose(camera, world))
        .collect()
}

/// One camera's files in the drop, with the people whose events they may belong to.
struct CameraFiles<'f, 'a> {
    key: String,
    serial: String,
    label: String,
    registered: Option<&'a Camera>,
    people: Vec<&'a str>,
    /// Each file with its time as the camera read it (Unix seconds).
    files: Vec<(&'f FileEvidence, i64)>,
}

fn group_by_camera<'f, 'a>(
    files: &'f [FileEvidence],
    world: &World<'a>,
) -> Vec<CameraFiles<'f, 'a>> {
    let mut groups: Vec<CameraFiles> = Vec::new();
    for file in files {
        let Some(read_at) = file.captured_at.filter(|_| !file.time_from_file_mtime) else {
            continue;
        };
        let evidence = Evidence::identify(file, world);
        let (serial, label, registered) = match &evidence.camera {
            CameraId::Serial(c) | CameraId::Model(c) => (
                c.serial.clone(),
                text::camera(Some(&c.serial), c.make.as_deref(), c.model.as_deref()),
                Some(*c),
            ),
            CameraId::Unregistered { serial, label } => (serial.clone(), label.clone(), None),
            // Nothing an offset could be recorded against.
            CameraId::Unknown { .. } => continue,
        };
        let key = serial_key(&serial);
        let index = match groups.iter().position(|g| g.key == key) {
            Some(index) => index,
            None => {
                groups.push(CameraFiles {
                    key,
                    serial,
                    label,
                    registered,
                    people: Vec::new(),
                    files: Vec::new(),
                });
                groups.len() - 1
            }
        };
        let Some(group) = groups.get_mut(index) else {
            continue;
        };
        for person in evidence.people() {
            if !group.people.iter().any(|p| same_user(p, person)) {
                group.people.push(person);
            }
        }
        group.files.push((file, read_at.as_second()));
    }
    groups
}

/// Tries offsets from likeliest to least likely and stops at the first that
/// puts enough files into one event; an offset fitting two events equally
/// stops the search without a proposal, since it cannot say which.
fn propose(group: &CameraFiles, world: &World) -> Option<OffsetProposal> {
    let total = group.files.len();
    let need = needed(total);
    let slots: Vec<&Slot> = world
        .slots
        .iter()
        .filter(|s| s.includes_any(&group.people))
        .collect();
    let current = group.registered.map_or(0, |c| c.clock_offset_seconds);
    let outside = group
        .files
        .iter()
        .filter(|(_, read)| !slots.iter().any(|s| s.contains(read - current)))
        .count();
    if total < MIN_FILES || slots.is_empty() || outside < need {
        return None;
    }
    for offset in coarse_offsets().filter(|&o| o != current) {
        match fitting(&slots, &group.files, offset, need)[..] {
            [] => continue,
            [(slot, landed)] => return Some(proposal(world, group, slot, offset, landed, false)),
            _ => return None,
        }
    }
    let (slot, offset) = minute_level(group, &slots, current)?;
    Some(proposal(world, group, slot, offset, total, true))
}

/// ceil(80 % of `total`), and never fewer than `MIN_FILES`.
fn needed(total: usize) -> usize {
    (total * MIN_SHARE_PERCENT).div_ceil(100).max(MIN_FILES)
}

/// Keeping the current offset, then the zone mistakes, then the other whole
/// hours, then half hours, nearest first.
fn coarse_offsets() -> impl Iterator<Item = i64> {
    let whole = (2..=12)
        .filter(|&h| h != 8)
        .flat_map(|h| [-h * HOUR, h * HOUR]);
    let half = (0..12).flat_map(|h| [-(h * HOUR + HOUR / 2), h * HOUR + HOUR / 2]);
    std::iter::once(0)
        .chain(ZONE_MISTAKES)
        .chain(whole)
        .chain(half)
}

/// The events (with how many files land in them) that at least `need` files
/// land in once read with `offset`.
fn fitting<'s, 'a>(
    slots: &[&'s Slot<'a>],
    files: &[(&FileEvidence, i64)],
    offset: i64,
    need: usize,
) -> Vec<(&'s Slot<'a>, usize)> {
    slots
        .iter()
        .map(|s| {
            (
                *s,
                files
                    .iter()
                    .filter(|(_, read)| s.contains(read - offset))
                    .count(),
            )
        })
        .filter(|&(_, landed)| landed >= need)
        .collect()
}

/// The whole-minute offset nearest the current one that puts every file in
/// one event's own times, when exactly one event admits one.
fn minute_level<'s, 'a>(
    group: &CameraFiles,
    slots: &[&'s Slot<'a>],
    current: i64,
) -> Option<(&'s Slot<'a>, i64)> {
    let earliest = group.files.iter().map(|&(_, read)| read).min()?;
    let latest = group.files.iter().map(|&(_, read)| read).max()?;
    let admitting: Vec<(&Slot, i64)> = slots
        .iter()
        .filter_map(|s| {
            // read − offset ∈ [start, end] for every file ⇔ offset ∈ [latest − end, earliest − start].
            let (low, high) = (latest - s.end(), earliest - s.start());
            let offset = if current < low {
                ceil_minute(low)
            } else {
                floor_minute(high)
            };
            let usable =
                low <= offset && offset <= high && offset != current && offset.abs() <= MAX_OFFSET;
            usable.then_some((*s, offset))
        })
        .collect();
    match admitting[..] {
        [one] => Some(one),
        _ => None,
    }
}

fn ceil_minute(seconds: i64) -> i64 {
    -(-seconds).div_euclid(60) * 60
}

fn floor_minute(seconds: i64) -> i64 {
    seconds.div_euclid(60) * 60
}

/// "jam kamera 0123 (Canon EOS 90D) tampaknya 1 jam lebih lambat (diatur ke
/// WIB): 5 dari 5 berkas masuk jadwal «…» 10.00–11.30 bila dikoreksi +1 jam".
fn proposal(
    world: &World,
    group: &CameraFiles,
    slot: &Slot,
    offset: i64,
    landed: usize,
    bound: bool,
) -> OffsetProposal {
    let at_least = if bound { "setidaknya " } else { "" };
    let why = format!(
        "jam {} tampaknya {at_least}{}: {landed} dari {} berkas masuk jadwal {} {} bila dikoreksi {}",
        group.label,
        text::offset_meaning(offset),
        group.files.len(),
        triage::title(slot),
        text::span(slot.event.starts_at, slot.event.ends_at, world.zone, None),
        text::signed_duration(-offset),
    );
    OffsetProposal {
        camera_serial: group.serial.clone(),
        clock_offset_seconds: offset,
        assignment_id: slot.assignment.id,
        asset_ids: group
            .files
            .iter()
            .map(|(f, _)| f.asset_id.clone())
            .collect(),
        why,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::matching::tests::{
        shot, Fixture, BUDI_90D, SITI_A7, TANJUNG_SELOR, TARAKAN,
    };

    /// budi's drop: `times` from his 90D (as its clock read them).
    fn drop_of(times: &[&str]) -> Vec<FileEvidence> {
        times
            .iter()
            .enumerate()
            .map(|(i, t)| shot(&format!("budi-{i}"), Some("budi"), Some(BUDI_90D), t))
            .collect()
    }

    #[test]
    fn an_hour_slow_camera_without_an_offset_is_proposed_minus_one_hour() {
        let fixture = Fixture::new()
            .event(
                1,
                "Kunjungan Kerja Gubernur ke Pelabuhan Malundung",
                "10:00",
                "11:30",
                TARAKAN,
                &["budi"],
            )
            .event(
                2,
                "Rapat Koordinasi Penanganan Banjir",
                "09:00",
                "11:00",
                TANJUNG_SELOR,
                &["siti"],
            );
        // True times 10:05–11:20, read an hour early; siti's camera is right;
        // phone shots carry no serial and are left out.
        let mut files = drop_of(&["09:05", "09:20", "09:40", "09:55", "10:20"]);
        files.extend(
            ["09:10", "09:30", "10:40"]
                .iter()
                .map(|t| shot(t, Some("budi"), Some(SITI_A7), t)),
        );
        files.push(FileEvidence {
            make: Some("Apple".into()),
            model: Some("iPhone 13".into()),
            ..shot("hp", Some("budi"), None, "09:15")
        });

        let proposals = propose_clock_offsets(&files, &fixture.world());

        assert_eq!(proposals.len(), 1, "{proposals:?}");
        let p = &proposals[0];
        assert_eq!(
            (
                p.camera_serial.as_str(),
                p.clock_offset_seconds,
                p.assignment_id
            ),
            (BUDI_90D, -3600, 101)
        );
        assert_eq!(p.asset_ids.len(), 5);
        assert!(
            p.why.contains("1 jam lebih lambat (diatur ke WIB)"),
            "{}",
            p.why
        );
        assert!(p.why.contains("5 dari 5 berkas masuk jadwal «Kunjungan Kerja Gubernur ke Pelabuhan Malundung» 10.00–11.30"));
    }

    #[test]
    fn a_camera_left_on_utc_is_proposed_minus_eight_hours() {
        let fixture = Fixture::new().event(
            1,
            "Pelantikan Pejabat Eselon II",
            "09:00",
            "11:00",
            TANJUNG_SELOR,
            &["budi"],
        );
        let files = drop_of(&["01:10", "01:30", "02:00", "02:45"]);
        let proposals = propose_clock_offsets(&files, &fixture.world());
        assert_eq!(proposals.len(), 1);
        assert_eq!(
            (
                proposals[0].clock_offset_seconds,
                proposals[0].assignment_id
            ),
            (-28800, 101)
        );
        assert!(proposals[0].why.contains("(diatur ke UTC)"));
    }

    #[test]
    fn half_hours_come_after_whole_hours_that_do_not_fit() {
        let fixture = Fixture::new().event(
            1,
            "Rapat Paripurna DPRD",
            "09:00",
            "10:00",
            TANJUNG_SELOR,
            &["budi"],
        );
        // An hour and a half slow: one or two hours put only half of them in.
        let files = drop_of(&["07:35", "07:50", "08:10", "08:25"]);
        let proposals = propose_clock_offsets(&files, &fixture.world());
        assert_eq!(proposals.len(), 1, "{proposals:?}");
        assert_eq!(proposals[0].clock_offset_seconds, -5400);
    }

    #[test]
    fn a_clock_set_wrong_by_minutes_is_proposed_when_every_file_fits() {
        let fixture = Fixture::new().event(
            1,
            "Pelantikan Pejabat Eselon II",
            "09:00",
            "11:00",
            TANJUNG_SELOR,
            &["budi"],
        );
        // 2 h 17 min slow: no whole or half hour puts all four in.
        let files = drop_of(&["06:48", "07:23", "08:03", "08:38"]);
        let proposals = propose_clock_offsets(&files, &fixture.world());
        assert_eq!(proposals.len(), 1, "{proposals:?}");
        assert_eq!(proposals[0].clock_offset_seconds, -(2 * 3600 + 12 * 60));
        assert!(
            proposals[0]
                .why
                .contains("setidaknya 2 jam 12 menit lebih lambat"),
            "{}",
            proposals[0].why
        );
    }

    #[test]
    fn files_that_already_fit_or_are_too_few_get_no_proposal() {
        let fixture = Fixture::new().event(
            1,
            "Pelantikan Pejabat Eselon II",
            "09:00",
            "11:00",
            TANJUNG_SELOR,
            &["budi"],
        );
        assert!(
            propose_clock_offsets(&drop_of(&["09:10", "09:40", "10:20"]), &fixture.world())
                .is_empty()
        );
        assert!(propose_clock_offsets(&drop_of(&["08:10", "08:40"]), &fixture.world()).is_empty());
        // Registered as WIB already: the files fit, nothing to propose.
        let slow = fixture.offset(BUDI_90D, -3600);
        assert!(
            propose_clock_offsets(&drop_of(&["08:10", "08:40", "09:20"]), &slow.world()).is_empty()
        );
    }

    #[test]
    fn an_offset_that_fits_two_events_equally_is_not_proposed() {
        let fixture = Fixture::new()
            .event(
                1,
                "Kunjungan Kerja Gubernur ke Pelabuhan Malundung",
                "10:00",
                "11:30",
                TARAKAN,
                &["budi"],
            )
            .event(
                2,
                "Rapat Koordinasi Penanganan Banjir",
                "10:00",
                "11:30",
                TARAKAN,
                &["budi"],
            );
        let files = drop_of(&["09:05", "09:20", "09:40", "09:55"]);
        assert!(propose_clock_offsets(&files, &fixture.world()).is_empty());
    }

    #[test]
    fn a_fitting_share_of_eighty_percent_means_four_of_five() {
        assert_eq!(needed(5), 4);
        assert_eq!(needed(10), 8);
        assert_eq!(needed(2), 3);
    }
}
