//! A generated coverage day, end to end through the daemon and the API: the
//! schedule is entered, photographers drop their cards, and every file must end
//! where a careful Kasi would put it, or in triage with a reason. Then the
//! schedule changes (a clock corrected, an event entered late, an event moved)
//! and files follow, except those a person tagged by hand.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Duration;

use liputan::media::synth::{self, SynthPhoto};
use serde_json::json;

use crate::harness::{get, send_json, served_addr, wait_until, Env};

/// Expected home of each file (by content hash): an event key, or None for triage.
type Expected = BTreeMap<String, Option<&'static str>>;

struct Card<'a> {
    folder: &'a str,
    serial: Option<&'a str>,
    make: &'a str,
    model: &'a str,
    /// The camera clock minus true time, in seconds.
    clock_error: i64,
}

/// Writes `count` photos taken at true WITA times from `from` (HH:MM) one
/// minute apart, as the camera's (possibly wrong) clock records them.
fn shoot(
    env: &Env,
    card: &Card,
    from: (i8, i8),
    count: u64,
    home: Option<&'static str>,
    gps: Option<(f64, f64)>,
    expected: &mut Expected,
) {
    let dir = env.dir.path().join("cards").join(card.folder);
    std::fs::create_dir_all(&dir).unwrap();
    let start = jiff::civil::date(2026, 11, 26).at(from.0, from.1, 0, 0);
    for i in 0..count {
        let shown = start
            + jiff::Span::new()
                .minutes(i as i64)
                .seconds(card.clock_error);
        let seed = expected.len() as u64 * 7919 + 13;
        let bytes = synth::jpeg(&SynthPhoto {
            width: 320,
            height: 240,
            captured: Some(shown.strftime("%Y:%m:%d %H:%M:%S").to_string()),
            make: Some(card.make.into()),
            model: Some(card.model.into()),
            serial: card.serial.map(Into::into),
            gps,
            seed,
            ..Default::default()
        });
        let name = format!(
            "{}_{:02}{:02}_{i:03}.JPG",
            card.serial.unwrap_or("HP"),
            from.0,
            from.1
        );
        std::fs::write(dir.join(&name), &bytes).unwrap();
        expected.insert(blake3::hash(&bytes).to_hex().to_string(), home);
    }
}

/// Moves every written card into the inbox at once, as a drop.
fn drop_cards(env: &Env) {
    let cards = env.dir.path().join("cards");
    for entry in std::fs::read_dir(&cards).unwrap() {
        let entry = entry.unwrap();
        let target = env.inbox.join(entry.file_name());
        std::fs::create_dir_all(&target).unwrap();
        let dest = target.join(format!("DCIM-{}", expected_suffix()));
        std::fs::rename(entry.path(), dest).unwrap();
    }
}

fn expected_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// asset id -> assignment id (None: untagged), from the catalog.
fn tags(env: &Env) -> BTreeMap<String, Option<i64>> {
    let conn = env.catalog();
    let mut stmt = conn
        .prepare("SELECT id, assignment_id FROM assets WHERE status = 'archived'")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

fn post(addr: &str, path: &str, body: serde_json::Value) -> serde_json::Value {
    let reply = send_json("POST", addr, path, &body);
    assert!(
        matches!(reply.status, 200 | 201),
        "POST {path}: {} {}",
        reply.status,
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}

/// Compares where files are with where they should be; returns (right, triage, wrong).
fn score(
    env: &Env,
    expected: &Expected,
    assignment_of: &BTreeMap<&str, i64>,
) -> (usize, usize, Vec<String>) {
    let actual = tags(env);
    let (mut right, mut triage, mut wrong) = (0, 0, Vec::new());
    for (id, home) in expected {
        let want = home.map(|key| assignment_of[key]);
        match (actual.get(id).copied().flatten(), want) {
            (None, _) if actual.contains_key(id) => triage += 1,
            (Some(got), Some(want)) if got == want => right += 1,
            (got, want) => wrong.push(format!("{id}: in {got:?}, belongs in {want:?}")),
        }
    }
    (right, triage, wrong)
}

#[test]
fn a_generated_day_lands_where_a_careful_kasi_would_put_it() {
    let env = Env::new("incomplete_grace_seconds = 2");
    let daemon = env.serve();
    let addr = served_addr(&env);

    // People, cameras (sari's second body is still on UTC: 8 hours behind WITA).
    for (username, name, crew) in [
        ("budi", "Budi Santoso", "fotografer"),
        ("sari", "Sari Dewi", "fotografer"),
        ("andi", "Andi Pratama", "kameraman"),
        ("rina", "Rina Wati", "reporter"),
    ] {
        post(
            &addr,
            "/api/people",
            json!({"username": username, "name": name, "role": "staf", "crew_roles": [crew]}),
        );
    }
    for (serial, owner, make, model) in [
        ("B001", "budi", "Canon", "Canon EOS 90D"),
        ("S002", "sari", "NIKON CORPORATION", "NIKON Z 6"),
        ("A003", "andi", "SONY", "ILCE-7M3"),
        ("S004", "sari", "FUJIFILM", "X-T4"),
    ] {
        post(
            &addr,
            "/api/cameras",
            json!({"serial": serial, "owner": owner, "make": make, "model": model}),
        );
    }
    let put = send_json(
        "PUT",
        &addr,
        "/api/roster/2026-11",
        &json!({"days": {"2026-11-26": ["budi", "sari", "andi", "rina"]}}),
    );
    assert_eq!(put.status, 200, "{}", String::from_utf8_lossy(&put.body));

    // The leaders' agenda: two events at the same hour with different crews, one after lunch.
    let tarakan = (3.3274, 117.5785);
    let selor = (2.8375, 117.3650);
    let mut assignment_of: BTreeMap<&str, i64> = BTreeMap::new();
    let mut event_of: BTreeMap<&str, i64> = BTreeMap::new();
    for (key, title, leader, place, at, from, to, crew) in [
        (
            "kunker",
            "Kunjungan Kerja Gubernur ke Tarakan",
            "gubernur",
            "Tarakan",
            tarakan,
            "08:00",
            "10:00",
            vec![("budi", "fotografer"), ("andi", "kameraman")],
        ),
        (
            "rakor",
            "Rapat Koordinasi Penanganan Banjir",
            "sekda",
            "Tanjung Selor",
            selor,
            "08:30",
            "10:30",
            vec![("sari", "fotografer"), ("rina", "reporter")],
        ),
        (
            "jembatan",
            "Peresmian Jembatan Sesayap",
            "wakil_gubernur",
            "Tanjung Selor",
            selor,
            "13:00",
            "15:00",
            vec![("budi", "fotografer"), ("sari", "fotografer")],
        ),
    ] {
        let event = post(
            &addr,
            "/api/events",
            json!({
                "title": title, "leader": leader, "location": place, "lat": at.0, "lon": at.1,
                "starts_at": format!("2026-11-26T{from}:00+08:00"), "ends_at": format!("2026-11-26T{to}:00+08:00"),
                "out_of_town": key == "kunker", "source": "ajudan"
            }),
        );
        let event_id = event["id"].as_i64().unwrap();
        let crew: Vec<_> = crew
            .iter()
            .map(|(u, r)| json!({"username": u, "role": r}))
            .collect();
        let assignment = post(
            &addr,
            "/api/assignments",
            json!({"event_id": event_id, "crew": crew}),
        );
        assignment_of.insert(key, assignment["id"].as_i64().unwrap());
        event_of.insert(key, event_id);
    }

    // The cards.
    let mut expected = Expected::new();
    let budi = Card {
        folder: "budi",
        serial: Some("B001"),
        make: "Canon",
        model: "Canon EOS 90D",
        clock_error: 0,
    };
    let sari = Card {
        folder: "sari",
        serial: Some("S002"),
        make: "NIKON CORPORATION",
        model: "NIKON Z 6",
        clock_error: 0,
    };
    let sari_utc = Card {
        folder: "sari",
        serial: Some("S004"),
        make: "FUJIFILM",
        model: "X-T4",
        clock_error: -8 * 3600,
    };
    let rina_phone = Card {
        folder: "rina",
        serial: None,
        make: "samsung",
        model: "SM-A546E",
        clock_error: 0,
    };
    let stranger = Card {
        folder: "scan",
        serial: Some("Z999"),
        make: "OLYMPUS",
        model: "E-M10",
        clock_error: 0,
    };
    shoot(
        &env,
        &budi,
        (8, 5),
        40,
        Some("kunker"),
        Some(tarakan),
        &mut expected,
    );
    shoot(
        &env,
        &budi,
        (13, 10),
        30,
        Some("jembatan"),
        None,
        &mut expected,
    );
    // After every window (jembatan's margin ends at 18.00): an event not entered yet.
    shoot(&env, &budi, (18, 30), 12, None, None, &mut expected);
    shoot(&env, &sari, (8, 35), 40, Some("rakor"), None, &mut expected);
    shoot(
        &env,
        &sari,
        (13, 5),
        30,
        Some("jembatan"),
        None,
        &mut expected,
    );
    shoot(&env, &sari_utc, (9, 0), 20, None, None, &mut expected); // wrong clock: triage first
    shoot(
        &env,
        &rina_phone,
        (9, 0),
        15,
        Some("rakor"),
        None,
        &mut expected,
    ); // phone, no serial
    shoot(&env, &stranger, (9, 10), 5, None, None, &mut expected); // unknown folder and camera
    let total = expected.len();
    drop_cards(&env);
    wait_until(Duration::from_secs(120), "every file archived", || {
        tags(&env).len() == total
    });

    let (right, triage, wrong) = score(&env, &expected, &assignment_of);
    eprintln!("after the drop: {right} tagged correctly, {triage} in triage, {} wrongly tagged (of {total})", wrong.len());
    assert!(wrong.is_empty(), "wrongly tagged: {wrong:#?}");
    assert_eq!(triage, 12 + 20 + 5);

    // Triage says why, and proposes sari's UTC camera's offset.
    let items = get(&addr, "/api/triage", &[]).json()["items"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(items.len(), 37);
    assert!(items
        .iter()
        .all(|i| !i["reason"].as_str().unwrap().is_empty()));
    let proposal = items
        .iter()
        .flat_map(|i| i["suggestions"].as_array().unwrap().iter())
        .find(|s| s["camera_serial"] == "S004")
        .expect("a clock offset proposal for S004");
    assert_eq!(proposal["clock_offset_seconds"], -8 * 3600);
    assert_eq!(proposal["assignment_id"], assignment_of["rakor"]);
    assert!(
        items
            .iter()
            .any(|i| i["reason"].as_str().unwrap().contains("Z999")),
        "the unregistered camera is named"
    );

    // Accepting it re-matches and re-files sari's UTC photos.
    let patched = send_json(
        "PATCH",
        &addr,
        "/api/cameras/S004",
        &json!({"clock_offset_seconds": -8 * 3600}),
    );
    assert_eq!(
        patched.status,
        200,
        "{}",
        String::from_utf8_lossy(&patched.body)
    );
    let s004: Vec<String> = env
        .catalog()
        .prepare("SELECT id FROM assets WHERE serial = 'S004'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for id in &s004 {
        expected.insert(id.clone(), Some("rakor"));
    }

    // An event entered after the card was dropped: budi's afternoon files move in.
    let late = post(
        &addr,
        "/api/events",
        json!({
            "title": "Pelantikan Pejabat Eselon III", "leader": "sekda", "location": "Tanjung Selor",
            "starts_at": "2026-11-26T18:15:00+08:00", "ends_at": "2026-11-26T19:30:00+08:00", "out_of_town": false
        }),
    );
    let late_assignment = post(
        &addr,
        "/api/assignments",
        json!({"event_id": late["id"], "crew": [{"username": "budi", "role": "fotografer"}]}),
    );
    assignment_of.insert("pelantikan", late_assignment["id"].as_i64().unwrap());
    for (_, home) in expected.iter_mut().filter(|(_, h)| h.is_none()) {
        *home = Some("pelantikan");
    }
    // ... except the stranger's five, which stay in triage.
    let strangers: Vec<String> = env
        .catalog()
        .prepare("SELECT id FROM assets WHERE serial = 'Z999'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    for id in &strangers {
        expected.insert(id.clone(), None);
    }
    let (right, triage, wrong) = score(&env, &expected, &assignment_of);
    eprintln!("after the schedule changes: {right} tagged correctly, {triage} in triage, {} wrongly tagged", wrong.len());
    assert!(wrong.is_empty(), "wrongly tagged: {wrong:#?}");
    assert_eq!(triage, 5);

    // A person tags one stranger file by hand; moving that event later does not undo it.
    let by_hand = &strangers[0];
    let tagged = send_json(
        "POST",
        &addr,
        &format!("/api/assets/{by_hand}/assignment"),
        &json!({"assignment_id": assignment_of["jembatan"]}),
    );
    assert_eq!(
        tagged.status,
        200,
        "{}",
        String::from_utf8_lossy(&tagged.body)
    );
    let moved = send_json(
        "PATCH",
        &addr,
        &format!("/api/events/{}", event_of["jembatan"]),
        &json!({
            "title": "Peresmian Jembatan Sesayap", "leader": "wakil_gubernur", "location": "Tanjung Selor",
            "starts_at": "2026-11-26T13:30:00+08:00", "ends_at": "2026-11-26T15:30:00+08:00", "out_of_town": false
        }),
    );
    assert_eq!(
        moved.status,
        200,
        "{}",
        String::from_utf8_lossy(&moved.body)
    );
    assert_eq!(
        tags(&env)[by_hand],
        Some(assignment_of["jembatan"]),
        "a manual tag survives re-matching"
    );
    // Handing it back to matching: the stranger's file returns to triage, no longer "by hand".
    let untagged = send_json(
        "POST",
        &addr,
        &format!("/api/assets/{by_hand}/assignment"),
        &json!({"assignment_id": null}),
    );
    assert_eq!(untagged.status, 200);
    assert_eq!(tags(&env)[by_hand], None);
    let by: Option<String> = env
        .catalog()
        .query_row(
            "SELECT tagged_by FROM assets WHERE id = ?1",
            [by_hand],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(by, None);
    let tagged = send_json(
        "POST",
        &addr,
        "/api/assets/assignment",
        &json!({"asset_ids": [by_hand], "assignment_id": assignment_of["jembatan"]}),
    );
    assert_eq!(tagged.status, 200, "the bulk form");
    assert_eq!(tags(&env)[by_hand], Some(assignment_of["jembatan"]));

    // Every file is where the catalog says, in its assignment's folder, intact.
    env.assert_archive_matches_catalog();
    let assignment = get(
        &addr,
        &format!("/api/assignments/{}", assignment_of["rakor"]),
        &[],
    )
    .json();
    assert_eq!(assignment["counts"]["photo"], 40 + 20 + 15, "{assignment}");
    let folder = assignment["folder"].as_str().unwrap();
    let in_folder = env
        .archive_files()
        .keys()
        .filter(|p| p.to_string_lossy().contains(folder))
        .count();
    assert_eq!(
        in_folder, 75,
        "re-filed into 2026/11/2026-11-26_{folder}/photo"
    );
    assert!(Path::new(&env.archive)
        .join("2026/11")
        .join(format!("2026-11-26_{folder}"))
        .join("photo")
        .is_dir());

    // The index follows: the event's words and its leader find its files.
    let total = |query: &str| {
        get(&addr, &format!("/api/assets?{query}&per_page=1"), &[]).json()["total"]
            .as_u64()
            .unwrap()
    };
    let kunker = format!("assignment={}", assignment_of["kunker"]);
    for (query, expected) in [
        ("q=banjir", 75),
        ("q=meresmikan+jembatan&leader=wakil_gubernur", 61),
        (kunker.as_str(), 40),
        ("photographer=rina", 15),
    ] {
        wait_until(Duration::from_secs(30), query, || total(query) == expected);
    }
    daemon.stop();
}

#[test]
fn schedule_input_is_checked_field_by_field() {
    let env = Env::new("");
    let daemon = env.serve();
    let addr = served_addr(&env);
    post(
        &addr,
        "/api/people",
        json!({"username": "budi", "name": "Budi", "role": "staf", "crew_roles": ["fotografer"]}),
    );
    let cases = [
        (
            "/api/people",
            json!({"username": "Budi!", "name": "B", "role": "staf"}),
            "username",
        ),
        (
            "/api/people",
            json!({"username": "x", "name": "X", "role": "bos"}),
            "role",
        ),
        (
            "/api/people",
            json!({"username": "y", "name": "Y", "role": "staf", "nip": "123"}),
            "nip",
        ),
        (
            "/api/cameras",
            json!({"serial": "C1", "owner": "nobody"}),
            "owner",
        ),
        (
            "/api/events",
            json!({"title": "T", "leader": "gubernur", "location": "L", "starts_at": "2026-11-26T10:00:00+08:00", "ends_at": "2026-11-26T09:00:00+08:00", "out_of_town": false}),
            "ends_at",
        ),
        (
            "/api/events",
            json!({"title": "T", "leader": "gubernur", "location": "L", "starts_at": "2026-11-26T09:00:00", "ends_at": "2026-11-26T10:00:00+08:00", "out_of_town": false}),
            "starts_at",
        ),
        (
            "/api/events",
            json!({"title": "T", "leader": "raja", "location": "L", "starts_at": "2026-11-26T09:00:00+08:00", "ends_at": "2026-11-26T10:00:00+08:00", "out_of_town": false}),
            "leader",
        ),
        (
            "/api/events",
            json!({"title": "T", "leader": "gubernur", "location": "L", "starts_at": "2026-11-26T09:00:00+08:00", "ends_at": "2026-11-26T10:00:00+08:00", "out_of_town": false, "lat": 95.0, "lon": 117.0}),
            "lat",
        ),
        (
            "/api/assignments",
            json!({"event_id": 999, "crew": []}),
            "event_id",
        ),
    ];
    for (path, body, field) in cases {
        let reply = send_json("POST", &addr, path, &body);
        assert!(
            matches!(reply.status, 400 | 422),
            "{path} {body}: {}",
            reply.status
        );
        let error = reply.json()["error"].as_str().unwrap().to_owned();
        assert!(
            error.starts_with(field),
            "{path} {body}: error {error:?} should name {field}"
        );
    }
    // A crew member off the roster is a warning, not a refusal.
    let event = post(
        &addr,
        "/api/events",
        json!({"title": "Rapat", "leader": "kadis", "location": "Kantor", "starts_at": "2026-11-27T09:00:00+08:00", "ends_at": "2026-11-27T10:00:00+08:00", "out_of_town": false}),
    );
    let assignment = post(
        &addr,
        "/api/assignments",
        json!({"event_id": event["id"], "crew": [{"username": "budi", "role": "fotografer"}]}),
    );
    assert_eq!(assignment["status"], "assigned");
    assert!(
        assignment["warnings"][0].as_str().unwrap().contains("budi"),
        "{assignment}"
    );
    let unknown = send_json(
        "POST",
        &addr,
        "/api/assignments",
        &json!({"event_id": event["id"], "crew": [{"username": "ghost", "role": "fotografer"}]}),
    );
    assert_eq!(unknown.status, 400);
    daemon.stop();
}

#[test]
fn a_kill_during_re_filing_is_recovered_at_start_up() {
    use liputan::catalog::{Catalog, Refile, Tag};
    let env = Env::new("");
    let card = env.dir.path().join("card");
    crate::harness::write_card(&card, 2, 77);
    env.ingest(&[&card]);
    let before = env.catalogued();
    let (a_path, a_id) = before
        .iter()
        .next()
        .map(|(p, id)| (p.clone(), id.clone()))
        .unwrap();
    let (b_path, b_id) = before
        .iter()
        .nth(1)
        .map(|(p, id)| (p.clone(), id.clone()))
        .unwrap();
    let folder = Path::new("2026/11/2026-11-26_rapat-1/photo");
    std::fs::create_dir_all(env.archive.join(folder)).unwrap();
    {
        let catalog = Catalog::open(&env.data.join("catalog.sqlite")).unwrap();
        let tag = Tag {
            assignment_id: Some(1),
            match_reason: Some("test".into()),
            ..Tag::default()
        };
        // Killed after the rename, before the commit.
        let a_to = folder.join(a_path.file_name().unwrap());
        catalog
            .begin_refile(&Refile {
                asset_id: a_id.clone(),
                from: a_path.clone(),
                to: a_to.clone(),
                tag: tag.clone(),
            })
            .unwrap();
        std::fs::rename(env.archive.join(&a_path), env.archive.join(&a_to)).unwrap();
        // Killed after the intent, before the rename.
        let b_to = folder.join(b_path.file_name().unwrap());
        catalog
            .begin_refile(&Refile {
                asset_id: b_id.clone(),
                from: b_path.clone(),
                to: b_to,
                tag,
            })
            .unwrap();
    }
    // Any start (here a one-shot ingest of nothing) recovers first.
    let empty = env.dir.path().join("empty");
    std::fs::create_dir_all(&empty).unwrap();
    env.ingest(&[&empty]);
    let after = env.catalogued();
    assert_eq!(
        after.get(&folder.join(a_path.file_name().unwrap())),
        Some(&a_id),
        "the finished move is recorded"
    );
    assert_eq!(
        after.get(&b_path),
        Some(&b_id),
        "the unstarted move is forgotten"
    );
    let left: i64 = env
        .catalog()
        .query_row("SELECT count(*) FROM refiles", [], |r| r.get(0))
        .unwrap();
    assert_eq!(left, 0);
    let tagged: Option<i64> = env
        .catalog()
        .query_row(
            "SELECT assignment_id FROM assets WHERE id = ?1",
            [&a_id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(tagged, Some(1));
    env.assert_archive_matches_catalog();
}

#[test]
fn a_photographed_clock_page_sets_the_camera_offset_and_re_matches() {
    let env = Env::new("incomplete_grace_seconds = 2");
    let daemon = env.serve();
    let addr = served_addr(&env);
    post(
        &addr,
        "/api/people",
        json!({"username": "budi", "name": "Budi", "role": "staf", "crew_roles": ["fotografer"]}),
    );
    post(
        &addr,
        "/api/cameras",
        json!({"serial": "B001", "owner": "budi", "make": "Canon", "model": "Canon EOS 90D"}),
    );
    let event = post(
        &addr,
        "/api/events",
        json!({"title": "Rapat Paripurna DPRD", "leader": "gubernur", "location": "Tanjung Selor",
        "starts_at": "2026-11-26T09:00:00+08:00", "ends_at": "2026-11-26T11:00:00+08:00", "out_of_town": false}),
    );
    let assignment = post(
        &addr,
        "/api/assignments",
        json!({"event_id": event["id"], "crew": [{"username": "budi", "role": "fotografer"}]}),
    );

    // The camera is still on UTC: 8 hours behind WITA. First the clock page, then the event.
    let card = env.dir.path().join("card");
    std::fs::create_dir_all(&card).unwrap();
    let shown: jiff::Timestamp = "2026-11-26T07:55:00+08:00".parse().unwrap();
    let spec = |captured: &str, seed: u64| SynthPhoto {
        width: 1600,
        height: 1200,
        captured: Some(captured.into()),
        make: Some("Canon".into()),
        model: Some("Canon EOS 90D".into()),
        serial: Some("B001".into()),
        seed,
        ..Default::default()
    };
    std::fs::write(
        card.join("IMG_0001.JPG"),
        synth::clock_photo(shown, &spec("2026:11:25 23:55:07", 1)),
    )
    .unwrap();
    for i in 0..10 {
        let bytes = synth::jpeg(&SynthPhoto {
            width: 320,
            height: 240,
            ..spec(&format!("2026:11:26 01:{:02}:00", 30 + i), 10 + i as u64)
        });
        std::fs::write(card.join(format!("IMG_{:04}.JPG", i + 2)), bytes).unwrap();
    }
    std::fs::rename(&card, env.inbox.join("budi")).unwrap();
    wait_until(Duration::from_secs(60), "all archived", || {
        tags(&env).len() == 11
    });

    let assignment_id = assignment["id"].as_i64().unwrap();
    wait_until(
        Duration::from_secs(30),
        "the event's photos tagged after the clock shot",
        || {
            tags(&env)
                .values()
                .filter(|t| **t == Some(assignment_id))
                .count()
                == 10
        },
    );
    let cameras = get(&addr, "/api/cameras", &[]).json();
    let camera = &cameras["items"][0];
    assert_eq!(camera["clock_offset_seconds"], -8 * 3600 + 7, "{camera}");
    assert_eq!(camera["offset_source"], "clock_shot");
    env.assert_archive_matches_catalog();
    daemon.stop();
}
