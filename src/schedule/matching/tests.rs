//! Matching scenarios on hand-built worlds (one day, 12 March 2025, WITA), and
//! the fixtures `clock`'s tests share.

use jiff::tz::Offset;
use jiff::Timestamp;

use super::*;
use crate::schedule::{AssignmentStatus, CrewMember, CrewRole, Leader, Role};

/// budi's Canon, registered the way exiftool prints it (zero-padded).
pub(super) const BUDI_90D: &str = "0330103043";
pub(super) const SITI_A7: &str = "B9U505495";
pub(super) const ANDI_DRONE: &str = "1581F4XFC22";

pub(super) type Place = (&'static str, f64, f64);
pub(super) const TARAKAN: Place = ("Kantor Wali Kota Tarakan", 3.300, 117.633);
pub(super) const TANJUNG_SELOR: Place = ("Gedung Gadis, Tanjung Selor", 2.837, 117.366);
pub(super) const NUNUKAN: Place = ("Pelabuhan Tunon Taka, Nunukan", 4.139, 117.664);

/// 12 March 2025 at `hm` ("09:30"), WITA; "13 08:00" for the next day.
pub(super) fn wita(hm: &str) -> Timestamp {
    let (day, hm) = hm.split_once(' ').unwrap_or(("12", hm));
    format!("2025-03-{day}T{hm}:00+08:00").parse().unwrap()
}

/// A photo as ingest describes it, with a capture time read at `hm`.
pub(super) fn shot(
    asset: &str,
    folder: Option<&str>,
    serial: Option<&str>,
    hm: &str,
) -> FileEvidence {
    FileEvidence {
        asset_id: asset.to_owned(),
        drop_folder: folder.map(str::to_owned),
        serial: serial.map(str::to_owned),
        captured_at: Some(wita(hm)),
        ..FileEvidence::default()
    }
}

pub(super) struct Fixture {
    people: Vec<Person>,
    cameras: Vec<Camera>,
    events: Vec<Event>,
    assignments: Vec<Assignment>,
    margins: Margins,
}

impl Fixture {
    /// budi, siti and andi (photographers) with their registered cameras; no events.
    pub(super) fn new() -> Fixture {
        let person = |username: &str, name: &str| Person {
            username: username.to_owned(),
            name: name.to_owned(),
            nip: None,
            role: Role::Staf,
            crew_roles: vec![CrewRole::Fotografer],
            is_admin: false,
        };
        let camera = |serial: &str, make: &str, model: &str, owner: &str| Camera {
            serial: serial.to_owned(),
            make: Some(make.to_owned()),
            model: Some(model.to_owned()),
            owner: owner.to_owned(),
            clock_offset_seconds: 0,
            offset_source: None,
        };
        Fixture {
            people: vec![
                person("budi", "Budi Santoso"),
                person("siti", "Siti Rahmawati"),
                person("andi", "Andi Pratama"),
            ],
            cameras: vec![
                camera(BUDI_90D, "Canon", "Canon EOS 90D", "budi"),
                camera(SITI_A7, "SONY", "ILCE-7M3", "siti"),
                camera(ANDI_DRONE, "DJI", "FC3582", "andi"),
            ],
            events: Vec::new(),
            assignments: Vec::new(),
            margins: Margins::default(),
        }
    }

    /// Adds event `id` (times as for [`wita`]) with assignment `100 + id` for `crew`.
    pub(super) fn event(
        mut self,
        id: i64,
        title: &str,
        from: &str,
        to: &str,
        place: Place,
        crew: &[&str],
    ) -> Fixture {
        self.events.push(Event {
            id,
            title: title.to_owned(),
            leader: Leader::Gubernur,
            location: place.0.to_owned(),
            starts_at: wita(from),
            ends_at: wita(to),
            zone_seconds: 8 * 3600,
            out_of_town: false,
            source: None,
            lat: Some(place.1),
            lon: Some(place.2),
        });
        self.assignments.push(Assignment {
            id: 100 + id,
            event_id: id,
            status: AssignmentStatus::Assigned,
            folder: format!("liputan-{id}"),
            crew: crew
                .iter()
                .map(|u| CrewMember {
                    username: (*u).to_owned(),
                    role: CrewRole::Fotografer,
                })
                .collect(),
        });
        self
    }

    pub(super) fn offset(mut self, serial: &str, seconds: i64) -> Fixture {
        self.cameras
            .iter_mut()
            .filter(|c| c.serial == serial)
            .for_each(|c| c.clock_offset_seconds = seconds);
        self
    }

    pub(super) fn camera(mut self, serial: &str, make: &str, model: &str, owner: &str) -> Fixture {
        self.cameras.push(Camera {
            serial: serial.to_owned(),
            make: Some(make.to_owned()),
            model: Some(model.to_owned()),
            owner: owner.to_owned(),
            clock_offset_seconds: 0,
            offset_source: None,
        });
        self
    }

    pub(super) fn world(&self) -> World<'_> {
        let slots = self
            .assignments
            .iter()
            .filter_map(|a| {
                self.events
                    .iter()
                    .find(|e| e.id == a.event_id)
                    .map(|event| Slot {
                        assignment: a,
                        event,
                    })
            })
            .collect();
        World {
            people: &self.people,
            cameras: &self.cameras,
            slots,
            margins: self.margins,
            zone: Offset::constant(8),
        }
    }
}

/// (assignment, confidence, photographer) of a tag; fails the test on triage.
fn tagged(decision: &Decision) -> (i64, f32, Option<&str>) {
    match decision {
        Decision::Tag {
            assignment_id,
            confidence,
            photographer,
            ..
        } => (*assignment_id, *confidence, photographer.as_deref()),
        Decision::Triage { reason, .. } => panic!("expected a tag, got triage: {reason}"),
    }
}

/// (reason, suggestions) of a triage; fails the test on a tag.
fn triaged(decision: Decision) -> (String, Vec<Suggestion>) {
    match decision {
        Decision::Triage {
            reason,
            suggestions,
            ..
        } => (reason, suggestions),
        Decision::Tag { reason, .. } => panic!("expected triage, got a tag: {reason}"),
    }
}

fn reason(decision: &Decision) -> &str {
    match decision {
        Decision::Tag { reason, .. } | Decision::Triage { reason, .. } => reason,
    }
}

fn photographer(decision: &Decision) -> Option<&str> {
    match decision {
        Decision::Tag { photographer, .. } | Decision::Triage { photographer, .. } => {
            photographer.as_deref()
        }
    }
}

fn phone(asset: &str, folder: Option<&str>, hm: &str) -> FileEvidence {
    FileEvidence {
        make: Some("Apple".into()),
        model: Some("iPhone 13".into()),
        ..shot(asset, folder, None, hm)
    }
}

fn with_gps(file: FileEvidence, place: Place) -> FileEvidence {
    // A phone fix a few hundred metres off the venue's pin.
    FileEvidence {
        gps: Some((place.1 + 0.003, place.2 - 0.002)),
        ..file
    }
}

fn mtime(asset: &str, folder: Option<&str>, hm: &str) -> FileEvidence {
    FileEvidence {
        time_from_file_mtime: true,
        ..shot(asset, folder, None, hm)
    }
}

#[test]
fn each_photographer_goes_to_their_own_event_at_the_same_hour() {
    let fixture = Fixture::new()
        .event(
            1,
            "Kunjungan Kerja Gubernur ke Kantor Wali Kota Tarakan",
            "09:00",
            "11:00",
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
    let world = fixture.world();

    let budi = decide(&shot("a", Some("budi"), Some(BUDI_90D), "09:40"), &world);
    let siti = decide(&shot("b", Some("Siti"), Some(SITI_A7), "10:15"), &world);

    assert_eq!(tagged(&budi), (101, 0.95, Some("budi")));
    assert_eq!(tagged(&siti), (102, 0.95, Some("siti")));
    assert_eq!(
        reason(&budi),
        "folder dan kamera 0330103043 milik budi; pukul 09.40 dalam jadwal \
         «Kunjungan Kerja Gubernur ke Kantor Wali Kota Tarakan» 09.00–11.00"
    );
}

#[test]
fn back_to_back_events_sharing_a_photographer_go_by_their_own_times() {
    let fixture = Fixture::new()
        .event(
            1,
            "Upacara Hari Jadi Provinsi Kalimantan Utara",
            "08:00",
            "10:00",
            TANJUNG_SELOR,
            &["budi"],
        )
        .event(
            2,
            "Peresmian Jembatan Sungai Kayan",
            "10:30",
            "12:00",
            TANJUNG_SELOR,
            &["budi"],
        );
    let world = fixture.world();
    let at = |hm: &str| decide(&shot(hm, Some("budi"), Some(BUDI_90D), hm), &world);

    // 10:45 is in the ceremony's after-margin too, but inside the opening.
    assert_eq!(tagged(&at("10:45")).0, 102);
    assert!(
        reason(&at("10:45")).contains("dipilih dari dua penugasan karena waktunya dalam jadwal")
    );
    assert_eq!(tagged(&at("09:30")).0, 101);
    // Five minutes after one, twenty-five before the other: clearly nearer.
    let (id, confidence, _) = tagged(&at("10:05"));
    assert_eq!(id, 101);
    assert!(confidence < 0.85, "{confidence}");
    // Ten and twenty minutes: too close to call.
    let (reason, suggestions) = triaged(at("10:10"));
    assert_eq!(
        reason,
        "dua penugasan sekitar pukul 10.10 sama-sama mencakup budi: \
         «Upacara Hari Jadi Provinsi Kalimantan Utara» 08.00–10.00, «Peresmian Jembatan Sungai Kayan» 10.30–12.00"
    );
    let ids: Vec<Option<i64>> = suggestions.iter().map(|s| s.assignment_id).collect();
    assert_eq!(ids, [Some(101), Some(102)]);
}

#[test]
fn an_event_entered_after_the_files_turns_their_triage_into_a_tag() {
    let file = shot("a", Some("budi"), Some(BUDI_90D), "14:20");
    let before = Fixture::new();
    let (reason, suggestions) = triaged(decide(&file, &before.world()));
    assert_eq!(reason, "budi tidak punya penugasan sekitar pukul 14.20");
    assert!(suggestions.is_empty());

    let after = before.event(
        1,
        "Sosialisasi Pencegahan Stunting",
        "14:00",
        "16:00",
        TANJUNG_SELOR,
        &["budi"],
    );
    assert_eq!(
        tagged(&decide(&file, &after.world())),
        (101, 0.95, Some("budi"))
    );
}

#[test]
fn a_camera_an_hour_slow_is_corrected_by_its_registered_offset() {
    let fixture = Fixture::new()
        .event(
            1,
            "Rapat Pimpinan Daerah",
            "09:00",
            "09:50",
            TANJUNG_SELOR,
            &["budi"],
        )
        .event(
            2,
            "Penyerahan Bantuan Sembako",
            "10:00",
            "11:00",
            TANJUNG_SELOR,
            &["budi"],
        )
        .offset(BUDI_90D, -3600);
    // Read 09:20 on a camera set to WIB: really 10:20.
    let decision = decide(
        &shot("a", Some("budi"), Some(BUDI_90D), "09:20"),
        &fixture.world(),
    );
    // Also in the meeting's after-margin, hence a little below 0.95.
    assert_eq!(tagged(&decision), (102, 0.90, Some("budi")));
    assert!(
        reason(&decision).contains("pukul 10.20 (jam kamera dikoreksi +1 jam) dalam jadwal"),
        "{}",
        reason(&decision)
    );
}

#[test]
fn an_unregistered_camera_in_a_persons_dump_is_tagged_by_the_dropper_and_time() {
    let fixture = Fixture::new().event(
        1,
        "Pelantikan Pejabat Eselon II",
        "09:00",
        "11:00",
        TANJUNG_SELOR,
        &["budi"],
    );
    let file = FileEvidence {
        make: Some("NIKON CORPORATION".into()),
        model: Some("NIKON Z 6_2".into()),
        ..shot("a", Some("budi"), Some("6021442"), "09:30")
    };
    let decision = decide(&file, &fixture.world());
    assert_eq!(tagged(&decision), (101, 0.85, Some("budi")));
    assert_eq!(
        reason(&decision),
        "folder budi; pukul 09.30 dalam jadwal «Pelantikan Pejabat Eselon II» 09.00–11.00"
    );
}

#[test]
fn an_ambiguous_dump_from_an_unregistered_camera_names_the_camera() {
    let fixture = Fixture::new()
        .event(
            1,
            "Kunjungan Gubernur ke Tarakan",
            "09:00",
            "11:00",
            TARAKAN,
            &["budi"],
        )
        .event(
            2,
            "Rapat Koordinasi Banjir",
            "09:00",
            "11:00",
            TARAKAN,
            &["budi", "siti"],
        );
    let file = FileEvidence {
        make: Some("Canon".into()),
        model: Some("Canon EOS 90D".into()),
        ..shot("a", Some("budi"), Some("0123"), "10:00")
    };
    let decision = decide(&file, &fixture.world());
    let (reason, suggestions) = triaged(decision.clone());
    assert_eq!(
        reason,
        "dua penugasan pukul 09.00–11.00 sama-sama mencakup budi: «Kunjungan Gubernur ke Tarakan», \
         «Rapat Koordinasi Banjir»; kamera 0123 (Canon EOS 90D) belum terdaftar"
    );
    let register = suggestions.last().unwrap();
    assert_eq!(register.camera_serial.as_deref(), Some("0123"));
    assert_eq!(
        register.why,
        "daftarkan kamera 0123 (Canon EOS 90D) atas nama budi"
    );
    assert_eq!(photographer(&decision), Some("budi"));
}

#[test]
fn personal_phone_photos_without_serial_are_tagged_by_the_dropper() {
    // siti's registered iPhone of the same model is a lookalike, not budi's phone.
    let fixture = Fixture::new()
        .camera("F2LXK0QJHG7F", "Apple", "iPhone 13", "siti")
        .event(
            1,
            "Kunjungan Gubernur ke Tarakan",
            "09:00",
            "11:00",
            TARAKAN,
            &["budi"],
        )
        .event(
            2,
            "Rapat Koordinasi Banjir",
            "09:00",
            "11:00",
            TANJUNG_SELOR,
            &["siti"],
        );
    let decision = decide(&phone("hp", Some(" Budi "), "10:30"), &fixture.world());
    assert_eq!(tagged(&decision), (101, 0.85, Some("budi")));
}

#[test]
fn a_file_without_serial_takes_the_only_registered_camera_of_its_model() {
    let fixture = Fixture::new().event(
        1,
        "Peninjauan Banjir dari Udara",
        "13:00",
        "15:00",
        NUNUKAN,
        &["andi"],
    );
    let drone = FileEvidence {
        make: Some("dji".into()),
        model: Some(" FC3582 ".into()),
        ..shot("drone", Some("kartu-sd"), None, "13:30")
    };
    let decision = decide(&drone, &fixture.world());
    assert_eq!(tagged(&decision).0, 101);
    assert_eq!(photographer(&decision), Some("andi"));
    assert!(
        reason(&decision).starts_with("kamera DJI FC3582 tanpa nomor seri milik andi"),
        "{}",
        reason(&decision)
    );

    // Two drones of that model: the model says nothing about whose.
    let two = fixture.camera("1581F4XFC99", "DJI", "FC3582", "siti");
    let (reason, _) = triaged(decide(&drone, &two.world()));
    assert!(
        reason.starts_with("pemotret tidak diketahui: folder «kartu-sd» bukan nama pengguna"),
        "{reason}"
    );
}

#[test]
fn gps_breaks_a_tie_between_overlapping_assignments() {
    let fixture = Fixture::new()
        .event(
            1,
            "Kunjungan Gubernur ke Tarakan",
            "09:00",
            "12:00",
            TARAKAN,
            &["budi"],
        )
        .event(
            2,
            "Rapat Koordinasi Banjir",
            "09:00",
            "12:00",
            TANJUNG_SELOR,
            &["budi"],
        );
    let world = fixture.world();
    let file = shot("a", Some("budi"), Some(BUDI_90D), "10:00");

    let decision = decide(&with_gps(file.clone(), TANJUNG_SELOR), &world);
    assert_eq!(tagged(&decision).0, 102);
    assert!(reason(&decision)
        .ends_with("dipilih dari dua penugasan karena lokasi GPS; GPS 0,4 km dari lokasi"));

    let (reason, _) = triaged(decide(&file, &world));
    assert!(
        reason.starts_with("dua penugasan pukul 09.00–12.00 sama-sama mencakup budi"),
        "{reason}"
    );
}

#[test]
fn gps_far_from_the_only_event_that_fits_sends_the_file_to_triage() {
    let fixture = Fixture::new().event(
        1,
        "Rapat Koordinasi Banjir",
        "09:00",
        "12:00",
        TANJUNG_SELOR,
        &["budi"],
    );
    let file = with_gps(shot("a", Some("budi"), Some(BUDI_90D), "10:00"), NUNUKAN);
    let (reason, suggestions) = triaged(decide(&file, &fixture.world()));
    assert!(reason.starts_with(
        "pukul 10.00 cocok dengan «Rapat Koordinasi Banjir» 09.00–12.00, tetapi GPS berkas"
    ));
    assert!(
        reason.ends_with("km dari Gedung Gadis, Tanjung Selor"),
        "{reason}"
    );
    assert_eq!(suggestions[0].assignment_id, Some(101));

    // Near enough (same town): tagged, GPS only confirms.
    let near = with_gps(
        shot("b", Some("budi"), Some(BUDI_90D), "10:00"),
        TANJUNG_SELOR,
    );
    assert_eq!(tagged(&decide(&near, &fixture.world())).1, 0.97);
}

#[test]
fn gps_pointing_elsewhere_than_the_schedule_goes_to_triage() {
    // The morning visit overran: the shot is from Tarakan at 10:45.
    let fixture = Fixture::new()
        .event(
            1,
            "Kunjungan Gubernur ke Tarakan",
            "08:00",
            "10:00",
            TARAKAN,
            &["budi"],
        )
        .event(
            2,
            "Peresmian Jembatan Sungai Kayan",
            "10:30",
            "12:00",
            TANJUNG_SELOR,
            &["budi"],
        );
    let file = with_gps(shot("a", Some("budi"), Some(BUDI_90D), "10:45"), TARAKAN);
    let (reason, suggestions) = triaged(decide(&file, &fixture.world()));
    assert_eq!(
        reason,
        "waktu pukul 10.45 menunjuk «Peresmian Jembatan Sungai Kayan» 10.30–12.00, \
         tetapi GPS 0,4 km dari lokasi «Kunjungan Gubernur ke Tarakan»"
    );
    assert_eq!(suggestions.len(), 2);
}

#[test]
fn a_file_with_only_an_mtime_is_tagged_only_to_the_droppers_single_event_that_day() {
    let one = Fixture::new()
        .event(
            1,
            "Sosialisasi Pencegahan Stunting",
            "14:00",
            "16:00",
            TANJUNG_SELOR,
            &["budi"],
        )
        .event(
            2,
            "Rapat Evaluasi Anggaran",
            "13 09:00",
            "13 11:00",
            TANJUNG_SELOR,
            &["budi"],
        );
    let decision = decide(&mtime("v", Some("budi"), "16:40"), &one.world());
    let (id, confidence, who) = tagged(&decision);
    assert_eq!((id, who), (101, Some("budi")));
    // Only in the margin (0.75), less the weak-time penalty.
    assert_eq!(confidence, 0.70);
    assert!(reason(&decision).contains("waktu berkas diubah 16.40 (tanpa waktu pengambilan)"));
    assert!(reason(&decision).ends_with("satu-satunya penugasan budi hari itu"));

    // Outside the window, or with no dropper, it is Kasi's call.
    let (late, _) = triaged(decide(&mtime("v", Some("budi"), "20:10"), &one.world()));
    assert_eq!(
        late,
        "tidak ada waktu pengambilan di berkas; dipakai waktu berkas diubah (20.10); \
         pukul 20.10 di luar «Sosialisasi Pencegahan Stunting» 14.00–16.00"
    );
    let (anonymous, suggestions) = triaged(decide(&mtime("v", None, "15:00"), &one.world()));
    assert!(
        anonymous.ends_with("; berkas tidak di folder pengguna"),
        "{anonymous}"
    );
    assert_eq!(suggestions[0].assignment_id, Some(101));

    let two = one.event(
        3,
        "Rapat Pimpinan Daerah",
        "08:00",
        "09:00",
        TANJUNG_SELOR,
        &["budi"],
    );
    let (reason, suggestions) = triaged(decide(&mtime("v", Some("budi"), "15:00"), &two.world()));
    assert!(
        reason.ends_with("; budi punya dua penugasan hari itu"),
        "{reason}"
    );
    assert_eq!(
        suggestions
            .iter()
            .map(|s| s.assignment_id)
            .collect::<Vec<_>>(),
        [Some(101), Some(103)]
    );
}

#[test]
fn an_unknown_folder_and_camera_go_to_triage_even_when_one_event_fits() {
    let fixture = Fixture::new()
        .event(
            1,
            "Kunjungan Gubernur ke Tarakan",
            "09:00",
            "11:00",
            TARAKAN,
            &["budi"],
        )
        .event(
            2,
            "Rapat Evaluasi Anggaran",
            "13:00",
            "15:00",
            TANJUNG_SELOR,
            &["siti"],
        );
    let file = FileEvidence {
        make: Some("Canon".into()),
        model: Some("Canon EOS 90D".into()),
        ..shot("a", Some("DCIM_KIRIMAN"), Some("0123"), "09:30")
    };
    let decision = decide(&file, &fixture.world());
    let (reason, suggestions) = triaged(decision.clone());
    assert_eq!(
        reason,
        "pemotret tidak diketahui: folder «DCIM_KIRIMAN» bukan nama pengguna; kamera 0123 (Canon EOS 90D) belum terdaftar"
    );
    assert_eq!(suggestions.len(), 2);
    assert_eq!(suggestions[0].assignment_id, Some(101));
    assert_eq!(
        suggestions[0].why,
        "«Kunjungan Gubernur ke Tarakan» 09.00–11.00 di Kantor Wali Kota Tarakan; waktu berkas dalam jadwal"
    );
    assert_eq!(suggestions[1].camera_serial.as_deref(), Some("0123"));
    assert_eq!(photographer(&decision), None);
}

#[test]
fn serials_match_with_or_without_leading_zeros() {
    let fixture = Fixture::new().event(
        1,
        "Pelantikan Pejabat Eselon II",
        "09:00",
        "11:00",
        TANJUNG_SELOR,
        &["budi"],
    );
    // EXIF wrote it without the zero the registry has; no folder to help.
    let decision = decide(
        &shot("a", None, Some("330103043"), "10:00"),
        &fixture.world(),
    );
    assert_eq!(tagged(&decision), (101, 0.85, Some("budi")));
    assert!(reason(&decision).starts_with("kamera 0330103043 milik budi"));
}

#[test]
fn a_borrowed_camera_counts_for_both_the_dropper_and_its_owner() {
    let alone = Fixture::new().event(
        1,
        "Pelantikan Pejabat Eselon II",
        "09:00",
        "11:00",
        TANJUNG_SELOR,
        &["budi"],
    );
    let file = shot("a", Some("budi"), Some(SITI_A7), "10:00");
    let decision = decide(&file, &alone.world());
    // Only budi is on the crew: the shot is his, taken with siti's camera.
    assert_eq!(tagged(&decision), (101, 0.85, Some("budi")));
    assert!(reason(&decision).starts_with("folder budi, kamera B9U505495 milik siti"));

    let together = Fixture::new().event(
        1,
        "Pelantikan Pejabat Eselon II",
        "09:00",
        "11:00",
        TANJUNG_SELOR,
        &["budi", "siti"],
    );
    assert_eq!(
        tagged(&decide(&file, &together.world())),
        (101, 0.95, Some("siti"))
    );
}

#[test]
fn confidence_drops_in_the_margin_and_with_one_kind_of_evidence() {
    let fixture = Fixture::new().event(
        1,
        "Pelantikan Pejabat Eselon II",
        "09:00",
        "11:00",
        TANJUNG_SELOR,
        &["budi"],
    );
    let world = fixture.world();
    let confidence = |file: FileEvidence| tagged(&decide(&file, &world)).1;
    let own = confidence(shot("a", Some("budi"), Some(BUDI_90D), "10:00"));
    let margin = confidence(shot("b", Some("budi"), Some(BUDI_90D), "11:30"));
    let folder_only = confidence(phone("c", Some("budi"), "10:00"));
    let camera_only = confidence(shot("d", None, Some(BUDI_90D), "10:00"));
    assert_eq!(
        (own, margin, folder_only, camera_only),
        (0.95, 0.85, 0.85, 0.85)
    );
    let decision = decide(&shot("b", Some("budi"), Some(BUDI_90D), "11:30"), &world);
    assert!(reason(&decision)
        .contains("pukul 11.30, 30 menit sesudah «Pelantikan Pejabat Eselon II» 09.00–11.00"));
}

#[test]
fn no_assignment_suggests_the_persons_events_that_day_nearest_first() {
    let fixture = Fixture::new()
        .event(
            1,
            "Apel Pagi Gabungan",
            "07:00",
            "08:00",
            TANJUNG_SELOR,
            &["budi"],
        )
        .event(
            2,
            "Malam Ramah Tamah",
            "16:30",
            "17:00",
            TANJUNG_SELOR,
            &["budi"],
        )
        .event(
            3,
            "Rapat Evaluasi Anggaran",
            "13 09:00",
            "13 11:00",
            TANJUNG_SELOR,
            &["budi"],
        )
        .event(
            4,
            "Rapat Koordinasi Banjir",
            "12:00",
            "13:00",
            TANJUNG_SELOR,
            &["siti"],
        );
    let (reason, suggestions) = triaged(decide(
        &shot("a", Some("budi"), None, "12:30"),
        &fixture.world(),
    ));
    assert_eq!(reason, "budi tidak punya penugasan sekitar pukul 12.30");
    let ids: Vec<Option<i64>> = suggestions.iter().map(|s| s.assignment_id).collect();
    assert_eq!(ids, [Some(102), Some(101)]);
    assert_eq!(suggestions[0].why, "«Malam Ramah Tamah» 16.30–17.00 di Gedung Gadis, Tanjung Selor; berkas 4 jam sebelum mulai");
}

#[test]
fn a_time_that_fits_only_as_a_zone_mistake_suggests_the_offset() {
    let fixture = Fixture::new().event(
        1,
        "Pelantikan Pejabat Eselon II",
        "10:00",
        "11:00",
        TANJUNG_SELOR,
        &["budi"],
    );
    // Read 02:15 on a camera left on UTC.
    let (_, suggestions) = triaged(decide(
        &shot("a", Some("budi"), Some(BUDI_90D), "02:15"),
        &fixture.world(),
    ));
    let hint = &suggestions[0];
    assert_eq!(
        (hint.assignment_id, hint.clock_offset_seconds),
        (Some(101), Some(-28800))
    );
    assert_eq!(hint.camera_serial.as_deref(), Some(BUDI_90D));
    assert!(
        hint.why
            .contains("8 jam lebih lambat (diatur ke UTC), berkas pukul 10.15 masuk jadwal"),
        "{}",
        hint.why
    );
}

#[test]
fn a_file_with_no_time_at_all_goes_to_triage() {
    let fixture = Fixture::new().event(
        1,
        "Pelantikan Pejabat Eselon II",
        "09:00",
        "11:00",
        TANJUNG_SELOR,
        &["budi"],
    );
    let file = FileEvidence {
        captured_at: None,
        ..shot("a", Some("budi"), Some(BUDI_90D), "10:00")
    };
    let decision = decide(&file, &fixture.world());
    let (reason, suggestions) = triaged(decision.clone());
    assert!(reason.starts_with("tidak ada waktu di berkas"));
    assert_eq!(suggestions[0].assignment_id, Some(101));
    assert_eq!(photographer(&decision), Some("budi"));
}
