//! Structured input into matching: one file's evidence (and a drop of files for the
//! clock proposals) against a small world of people, cameras, events and
//! assignments, built the way the catalog would hold them (usernames of a small
//! pool, events that end after they start, clock offsets within the panel's two
//! days), with arbitrary text wherever people type.
//!
//! Invariants, from `schedule::matching`'s docs:
//! - `decide` never panics and is deterministic;
//! - every assignment a decision names (the tag, each suggestion) is in the world;
//! - time alone never files anything: a tag needs a time and a known person (the
//!   dropper or the camera's owner), and that person is on the tagged crew;
//! - a tag's time, corrected by some camera offset of the world (or none), lies in
//!   the tagged event's widened window; a tag by mtime lies there uncorrected;
//! - confidence is in hundredths, at most 0.97;
//! - clock proposals: at most one per camera, for an assignment of the world, with an
//!   offset of at most 12 hours that differs from the camera's current one, naming
//!   only files of the drop that have a capture time.

#![no_main]

use std::collections::HashSet;

use jiff::tz::Offset;
use jiff::{SignedDuration, Timestamp};
use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use liputan::schedule::matching::{
    decide, propose_clock_offsets, Decision, FileEvidence, Margins, Slot, World,
};
use liputan::schedule::{
    serial_key, Assignment, AssignmentStatus, Camera, CrewMember, CrewRole, Event, Leader, Person,
    Role,
};

/// Usernames people and folders are drawn from, in the forms a hand-typed drop
/// folder takes.
const NAMES: [&str; 6] = ["budi", "siti", "andi", " Budi ", "SITI", "kiriman"];
const SERIALS: [&str; 5] = ["0330103043", "330103043", "B9U505495", "0000", ""];
const MAKES: [&str; 4] = ["Canon", "SONY", " canon\0", "Apple"];
const MODELS: [&str; 4] = ["Canon EOS 90D", "ILCE-7M3", "iPhone 13", "canon eos 90d "];
/// 12 March 2025 00:00 WITA: times are drawn around it.
const BASE: i64 = 1_741_708_800;
const MAX_CAMERA_OFFSET: i64 = 2 * 86_400;
const HOUR: i64 = 3600;

#[derive(Arbitrary, Debug)]
enum Text {
    Pool(u8),
    Free(String),
}

impl Text {
    fn get(&self, pool: &[&str]) -> String {
        match self {
            Text::Pool(i) => pool[usize::from(*i) % pool.len()].to_owned(),
            Text::Free(s) => s.clone(),
        }
    }
}

#[derive(Arbitrary, Debug)]
enum When {
    /// Seconds from `BASE`, a few days either way.
    Near(i32),
    /// Anywhere jiff can hold.
    Anywhere(i64),
}

impl When {
    fn get(&self) -> Timestamp {
        let second = match *self {
            When::Near(s) => BASE + i64::from(s) % (4 * 86_400),
            When::Anywhere(s) => {
                let (min, max) = (Timestamp::MIN.as_second(), Timestamp::MAX.as_second());
                min + s.rem_euclid(max - min)
            }
        };
        Timestamp::from_second(second).unwrap_or(Timestamp::UNIX_EPOCH)
    }
}

#[derive(Arbitrary, Debug)]
struct FileIn {
    asset: u8,
    folder: Option<Text>,
    serial: Option<Text>,
    make: Option<Text>,
    model: Option<Text>,
    at: Option<When>,
    mtime: bool,
    gps: Option<(f64, f64)>,
}

#[derive(Arbitrary, Debug)]
struct CameraIn {
    serial: Text,
    make: Option<Text>,
    model: Option<Text>,
    owner: u8,
    offset: i32,
}

#[derive(Arbitrary, Debug)]
struct EventIn {
    start: When,
    /// Seconds after the start (at least one).
    length: u32,
    title: String,
    location: String,
    place: Option<(f64, f64)>,
}

#[derive(Arbitrary, Debug)]
struct AssignmentIn {
    id: i64,
    event: u8,
    crew: Vec<Text>,
}

#[derive(Arbitrary, Debug)]
struct Input {
    file: FileIn,
    drop: Vec<FileIn>,
    people: u8,
    cameras: Vec<CameraIn>,
    events: Vec<EventIn>,
    assignments: Vec<AssignmentIn>,
    margins: (u16, u16),
    zone: i8,
}

fn file(f: &FileIn) -> FileEvidence {
    FileEvidence {
        asset_id: format!("asset-{}", f.asset),
        drop_folder: f.folder.as_ref().map(|t| t.get(&NAMES)),
        serial: f.serial.as_ref().map(|t| t.get(&SERIALS)),
        make: f.make.as_ref().map(|t| t.get(&MAKES)),
        model: f.model.as_ref().map(|t| t.get(&MODELS)),
        captured_at: f.at.as_ref().map(When::get),
        time_from_file_mtime: f.mtime,
        gps: f.gps,
    }
}

fn same_user(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

fuzz_target!(|input: Input| {
    let people: Vec<Person> = NAMES[..3]
        .iter()
        .enumerate()
        .filter(|(i, _)| input.people & (1 << i) != 0)
        .map(|(_, name)| Person {
            username: (*name).to_owned(),
            name: name.to_uppercase(),
            nip: None,
            role: Role::Staf,
            crew_roles: vec![CrewRole::Fotografer],
            is_admin: false,
        })
        .collect();
    // The catalog keeps one camera per serial key and one assignment per id.
    let mut keys = HashSet::new();
    let cameras: Vec<Camera> = input
        .cameras
        .iter()
        .take(4)
        .map(|c| Camera {
            serial: c.serial.get(&SERIALS),
            make: c.make.as_ref().map(|t| t.get(&MAKES)),
            model: c.model.as_ref().map(|t| t.get(&MODELS)),
            owner: NAMES[usize::from(c.owner) % 3].to_owned(),
            clock_offset_seconds: i64::from(c.offset) % (MAX_CAMERA_OFFSET + 1),
            offset_source: None,
        })
        .filter(|c| keys.insert(serial_key(&c.serial)))
        .collect();
    let events: Vec<Event> = input
        .events
        .iter()
        .take(4)
        .enumerate()
        .map(|(i, e)| {
            let starts_at = e.start.get();
            let length = SignedDuration::from_secs(i64::from(e.length.max(1)));
            let ends_at = starts_at.checked_add(length).unwrap_or(Timestamp::MAX);
            Event {
                id: i as i64,
                title: e.title.clone(),
                leader: Leader::Gubernur,
                location: e.location.clone(),
                starts_at,
                ends_at,
                zone_seconds: 8 * 3600,
                out_of_town: false,
                source: None,
                lat: e.place.map(|p| p.0),
                lon: e.place.map(|p| p.1),
            }
        })
        .filter(|e| e.ends_at > e.starts_at)
        .collect();
    if events.is_empty() {
        return;
    }
    let mut assignment_ids = HashSet::new();
    let assignments: Vec<Assignment> = input
        .assignments
        .iter()
        .take(6)
        .filter(|a| assignment_ids.insert(a.id))
        .map(|a| Assignment {
            id: a.id,
            event_id: i64::from(a.event) % events.len() as i64,
            status: AssignmentStatus::Assigned,
            folder: String::new(),
            crew: a
                .crew
                .iter()
                .take(4)
                .map(|m| CrewMember {
                    username: m.get(&NAMES),
                    role: CrewRole::Fotografer,
                })
                .collect(),
        })
        .collect();
    let slots: Vec<Slot> = assignments
        .iter()
        .map(|a| Slot {
            assignment: a,
            event: &events[a.event_id as usize],
        })
        .collect();
    let zone = Offset::from_seconds(i32::from(input.zone) * 900).unwrap_or(Offset::UTC);
    let margins = Margins::from_minutes(input.margins.0.into(), input.margins.1.into());
    let world = World {
        people: &people,
        cameras: &cameras,
        slots,
        margins,
        zone,
    };
    let ids: HashSet<i64> = assignments.iter().map(|a| a.id).collect();

    let f = file(&input.file);
    let decision = decide(&f, &world);
    assert_eq!(decision, decide(&f, &world), "decide is not deterministic");
    match &decision {
        Decision::Tag {
            assignment_id,
            reason,
            confidence,
            photographer,
        } => {
            assert!(
                ids.contains(assignment_id),
                "tag names {assignment_id}, not in the world"
            );
            assert!(!reason.is_empty());
            let hundredths = confidence * 100.0;
            assert!(
                *confidence > 0.0
                    && *confidence <= 0.97
                    && (hundredths - hundredths.round()).abs() < 1e-3,
                "confidence {confidence}"
            );
            let at = f.captured_at.expect("a tag needs a time").as_second();
            let who = photographer.as_deref().expect("a tag needs a known person");
            let tagged: Vec<&Slot> = world
                .slots
                .iter()
                .filter(|s| s.assignment.id == *assignment_id)
                .collect();
            assert!(
                tagged.iter().any(|s| s
                    .assignment
                    .crew
                    .iter()
                    .any(|m| same_user(&m.username, who))),
                "tagged to a crew without {who:?}"
            );
            let offsets: Vec<i64> = if f.time_from_file_mtime {
                vec![0]
            } else {
                std::iter::once(0)
                    .chain(cameras.iter().map(|c| c.clock_offset_seconds))
                    .collect()
            };
            let inside = tagged.iter().any(|s| {
                let from = s.event.starts_at.as_second() - margins.before_seconds;
                let to = s.event.ends_at.as_second() + margins.after_seconds;
                offsets
                    .iter()
                    .any(|o| (from..=to).contains(&at.saturating_sub(*o)))
            });
            assert!(inside, "tagged outside the event's widened window");
        }
        Decision::Triage {
            reason,
            suggestions,
            ..
        } => {
            assert!(!reason.is_empty());
            for s in suggestions {
                if let Some(id) = s.assignment_id {
                    assert!(ids.contains(&id), "suggestion names {id}, not in the world");
                }
                assert!(!s.why.is_empty());
            }
        }
    }

    let drop: Vec<FileEvidence> = std::iter::once(&input.file)
        .chain(input.drop.iter().take(12))
        .map(file)
        .collect();
    let dated: HashSet<&str> = drop
        .iter()
        .filter(|f| f.captured_at.is_some() && !f.time_from_file_mtime)
        .map(|f| f.asset_id.as_str())
        .collect();
    let proposals = propose_clock_offsets(&drop, &world);
    let mut seen = HashSet::new();
    for p in &proposals {
        assert!(
            seen.insert(serial_key(&p.camera_serial)),
            "two proposals for one camera"
        );
        assert!(
            ids.contains(&p.assignment_id),
            "proposal names {}",
            p.assignment_id
        );
        assert!(
            p.clock_offset_seconds.abs() <= 12 * HOUR,
            "offset {}",
            p.clock_offset_seconds
        );
        let current = cameras
            .iter()
            .find(|c| serial_key(&c.serial) == serial_key(&p.camera_serial))
            .map_or(0, |c| c.clock_offset_seconds);
        assert_ne!(p.clock_offset_seconds, current, "proposes no change");
        assert!(!p.asset_ids.is_empty());
        for id in &p.asset_ids {
            assert!(dated.contains(id.as_str()), "proposal names file {id}");
        }
        assert!(!p.why.is_empty());
    }
});
