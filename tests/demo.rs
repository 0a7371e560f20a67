//! `liputan demo`'s library side on real files: a fresh folder gets a config, people
//! whose demo passwords work, today's and tomorrow's agenda with crews on the roster,
//! and card dumps whose EXIF names the registered cameras and times inside the
//! events; the real one-shot ingest then files every card onto its assignment
//! (nothing in triage). A second run reuses the demo; folders that are not a demo
//! are refused.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use jiff::civil::Date;
use jiff::tz::Offset;
use jiff::Timestamp;
use liputan::auth::verify_password;
use liputan::catalog::Catalog;
use liputan::demo::{self, Demo};
use liputan::media::{read_metadata, Kind, TimeSource};
use liputan::schedule::{check_nip, Assignment, CrewRole, Event, Leader, Role};

/// The stored password hash of an account, read straight from the catalog file.
fn password_hash(demo: &Demo, username: &str) -> Option<String> {
    let conn = rusqlite::Connection::open(demo.config.catalog_path()).expect("catalog file");
    conn.query_row(
        "SELECT password_hash FROM people WHERE username = ?1 AND disabled = 0",
        [username],
        |row| row.get(0),
    )
    .expect("an enabled account")
}

fn catalog(demo: &Demo) -> Catalog {
    Catalog::open(&demo.config.catalog_path()).expect("the demo's catalog")
}

fn day_start(zone: Offset, day: Date) -> Timestamp {
    zone.to_timestamp(day.at(0, 0, 0, 0)).expect("midnight")
}

/// The events of one day in the zone, with their assignments.
fn agenda(catalog: &Catalog, zone: Offset, day: Date) -> Vec<(Event, Vec<Assignment>)> {
    let from = day_start(zone, day).as_millisecond();
    catalog
        .events_between(from, from + 24 * 3600 * 1000 - 1)
        .expect("events")
        .into_iter()
        .filter(|e| zone.to_datetime(e.starts_at).date() == day)
        .map(|e| {
            let assignments = catalog.assignments_of_event(e.id).expect("assignments");
            (e, assignments)
        })
        .collect()
}

fn all_events(catalog: &Catalog) -> Vec<Event> {
    catalog
        .events_between(i64::MIN / 2, i64::MAX / 2)
        .expect("events")
}

fn files_under(root: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_owned()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("readable folder") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// The username a card file was dropped under (the first folder in the inbox).
fn dropper(inbox: &Path, file: &Path) -> String {
    file.strip_prefix(inbox)
        .expect("under the inbox")
        .components()
        .next()
        .expect("a drop folder")
        .as_os_str()
        .to_string_lossy()
        .into_owned()
}

/// The one event (and its assignment) of `agenda` whose crew includes `username`.
fn covering<'a>(
    agenda: &'a [(Event, Vec<Assignment>)],
    username: &str,
) -> (&'a Event, &'a Assignment) {
    let found: Vec<(&Event, &Assignment)> = agenda
        .iter()
        .flat_map(|(e, a)| a.iter().map(move |a| (e, a)))
        .filter(|(_, a)| a.crew.iter().any(|m| m.username == username))
        .collect();
    assert_eq!(found.len(), 1, "{username} covers one event that day");
    found[0]
}

#[test]
fn a_fresh_demo_is_a_seeded_day_whose_cards_ingest_onto_their_assignments() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("liputan-demo");
    let started = Instant::now();
    let demo = demo::prepare(&dir, None).expect("prepare");
    let prepare_took = started.elapsed();
    eprintln!(
        "prepare: {prepare_took:?} for {} card files",
        demo.cards.len()
    );
    assert!(demo.seeded);
    assert!(prepare_took.as_secs_f64() < 20.0, "{prepare_took:?}");

    // The config: beside the data, paths inside DIR, the default address.
    assert_eq!(demo.config_path, dir.join("liputan.toml"));
    let text = std::fs::read_to_string(&demo.config_path).expect("config written");
    assert!(text.contains("DEMO ONLY"), "{text}");
    let config = &demo.config;
    assert_eq!(config.inbox, vec![dir.join("inbox")]);
    assert_eq!(config.archive, dir.join("archive"));
    assert_eq!(config.data, dir.join("data"));
    assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
    assert_eq!(demo.url(), "http://127.0.0.1:8080");
    let zone = config.zone;
    let today = zone.to_datetime(Timestamp::now()).date();
    assert!(
        demo.day == today || demo.day.tomorrow().ok() == Some(today),
        "seeded for {} on {today}",
        demo.day
    );
    let day = demo.day;
    let tomorrow = day.tomorrow().expect("tomorrow");

    // People: every SOP role, working demo passwords, NIPs for ASN only.
    let catalog = catalog(&demo);
    let people = catalog.people().expect("people");
    assert_eq!(people.len(), demo.logins.len());
    let count = |role: Role| people.iter().filter(|p| p.role == role).count();
    assert_eq!(
        [
            Role::Kadis,
            Role::Kabid,
            Role::Kasi,
            Role::Staf,
            Role::TenagaAhli
        ]
        .map(count),
        [1, 1, 1, 4, 1]
    );
    let with_crew_role = |r: CrewRole| {
        people
            .iter()
            .filter(|p| p.role == Role::Staf && p.crew_roles.contains(&r))
            .count()
    };
    assert_eq!(with_crew_role(CrewRole::Fotografer), 2);
    assert_eq!(with_crew_role(CrewRole::Kameraman), 1);
    assert_eq!(with_crew_role(CrewRole::Reporter), 1);
    for p in &people {
        match p.role {
            Role::Kadis | Role::Kasi => assert!(p.is_admin, "{}", p.username),
            _ => assert!(!p.is_admin, "{}", p.username),
        }
        match (&p.nip, p.role) {
            (None, Role::TenagaAhli) => {}
            (Some(nip), role) if role != Role::TenagaAhli => {
                check_nip(nip).unwrap_or_else(|e| panic!("{}: {e}", p.username))
            }
            (nip, _) => panic!("{}: nip {nip:?}", p.username),
        }
        assert!(p.name.split_whitespace().count() >= 2, "{}", p.name);
    }
    for login in &demo.logins {
        let person = people
            .iter()
            .find(|p| p.username == login.username)
            .expect("a login is a person");
        assert_eq!((person.role, &person.name), (login.role, &login.name));
        assert!(login.password.chars().count() >= 8);
        let hash = password_hash(&demo, &login.username);
        assert!(
            verify_password(hash.as_deref(), &login.password),
            "{}",
            login.username
        );
        assert!(!verify_password(hash.as_deref(), "wrong password"));
    }
    let banner = demo.banner();
    for login in &demo.logins {
        assert!(banner.contains(&login.username) && banner.contains(&login.password));
    }
    assert!(banner.contains("http://127.0.0.1:8080") && banner.contains("DEMO ONLY"));

    // Cameras: one per photographer and videographer, three makes.
    let cameras = catalog.cameras().expect("cameras");
    let mut makes: Vec<String> = cameras.iter().filter_map(|c| c.make.clone()).collect();
    makes.sort();
    assert_eq!(makes, ["Canon", "NIKON CORPORATION", "SONY"]);
    for c in &cameras {
        let owner = people
            .iter()
            .find(|p| p.username == c.owner)
            .expect("owner");
        assert!(
            owner.crew_roles.contains(&CrewRole::Fotografer)
                || owner.crew_roles.contains(&CrewRole::Kameraman),
            "{}",
            c.owner
        );
    }

    // Today's and tomorrow's agenda, with crews on duty.
    let todays = agenda(&catalog, zone, day);
    let tomorrows = agenda(&catalog, zone, tomorrow);
    assert!(todays.len() >= 2 && tomorrows.len() >= 2);
    let leaders: Vec<Leader> = todays.iter().map(|(e, _)| e.leader).collect();
    assert!(leaders.contains(&Leader::Gubernur) && leaders.contains(&Leader::Sekda));
    assert!(tomorrows.iter().any(|(e, _)| e.out_of_town));
    assert!(todays.iter().all(|(e, _)| !e.out_of_town));
    for (when, list) in [(day, &todays), (tomorrow, &tomorrows)] {
        let on_duty: Vec<String> = catalog
            .roster(&when.to_string())
            .expect("roster")
            .into_iter()
            .map(|(_, u)| u)
            .collect();
        for (event, assignments) in list.iter() {
            assert!(event.ends_at > event.starts_at);
            assert!(event.source.is_some() && event.lat.is_some(), "{event:?}");
            assert_eq!(event.zone_seconds, zone.seconds());
            assert_eq!(assignments.len(), 1, "{}", event.title);
            let crew = &assignments[0].crew;
            assert!(!crew.is_empty(), "{}", event.title);
            for member in crew {
                let person = people
                    .iter()
                    .find(|p| p.username == member.username)
                    .expect("crew are people");
                assert!(person.crew_roles.contains(&member.role), "{member:?}");
                assert!(on_duty.contains(&member.username), "{member:?} on {when}");
            }
        }
    }
    let month = format!("{:04}-{:02}", day.year(), day.month());
    let rostered_days: std::collections::BTreeSet<String> = catalog
        .roster(&month)
        .expect("roster")
        .into_iter()
        .map(|(d, _)| d)
        .collect();
    assert_eq!(rostered_days.len(), day.days_in_month() as usize);

    // The cards: EXIF names the registered camera and a time inside the event.
    let inbox = &config.inbox[0];
    let on_disk = files_under(inbox);
    let mut cards = demo.cards.clone();
    cards.sort();
    assert_eq!(on_disk, cards, "only complete card files in the inbox");
    assert!(!dir.join(".demo-staging").exists());
    let mut photos_by_user: BTreeMap<String, usize> = BTreeMap::new();
    for card in &cards {
        let username = dropper(inbox, card);
        let (event, _) = covering(&todays, &username);
        let name = card.file_name().unwrap().to_string_lossy().to_string();
        if name.ends_with(".MP4") {
            let md = read_metadata(card, Kind::Video, zone);
            let t = md.captured_at.expect("container time");
            assert_eq!(t.source, TimeSource::Container);
            continue;
        }
        assert!(name.ends_with(".JPG"), "{name}");
        assert!(card
            .to_string_lossy()
            .contains(&format!("{username}/DCIM/")));
        *photos_by_user.entry(username.clone()).or_default() += 1;
        let md = read_metadata(card, Kind::Photo, zone);
        let camera = cameras
            .iter()
            .find(|c| c.owner == username)
            .expect("the dropper's camera");
        assert_eq!(md.serial.as_deref(), Some(camera.serial.as_str()), "{name}");
        assert_eq!(md.make, camera.make, "{name}");
        assert_eq!(md.model, camera.model, "{name}");
        assert_eq!((md.width, md.height), (Some(640), Some(427)));
        assert!(md.lens.is_some(), "{name}");
        assert!(md.damaged.is_none(), "{name}: {:?}", md.damaged);
        let t = md.captured_at.expect("capture time");
        assert_eq!(t.source, TimeSource::ExifWithOffset, "{name}");
        assert_eq!(t.offset_seconds, zone.seconds(), "{name}");
        let corrected = t.utc.as_second() - camera.clock_offset_seconds;
        assert!(
            (event.starts_at.as_second()..=event.ends_at.as_second()).contains(&corrected),
            "{name} at {} (camera clock) is outside «{}»",
            t.utc,
            event.title
        );
    }
    assert!(photos_by_user.len() >= 3, "{photos_by_user:?}");
    assert!(
        photos_by_user.values().filter(|n| **n >= 4).count() >= 2,
        "{photos_by_user:?}"
    );
    drop(catalog);

    // The real one-shot ingest on the demo's own config files every card.
    let started = Instant::now();
    let output = Command::new(env!("CARGO_BIN_EXE_liputan"))
        .arg("--config")
        .arg(&demo.config_path)
        .args(["ingest", "--json"])
        .arg(inbox)
        .env("LIPUTAN_LOG", "warn")
        .output()
        .expect("liputan ingest runs");
    let ingest_took = started.elapsed();
    eprintln!("ingest: {ingest_took:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let summary: serde_json::Value = serde_json::from_str(&stdout).expect("JSON summary");
    assert_eq!(summary["archived"], cards.len() as u64, "{summary}");
    for key in ["triage", "rejected", "failed", "damaged", "duplicates"] {
        assert_eq!(summary[key], 0, "{key}: {summary}");
    }

    let catalog = Catalog::open(&demo.config.catalog_path()).expect("catalog");
    let mut assets = Vec::new();
    catalog
        .each_asset(100, &mut |page| {
            assets.extend(page);
            Ok(())
        })
        .expect("assets");
    assert_eq!(assets.len(), cards.len());
    for asset in &assets {
        let username = asset.drop_folder.clone().expect("drop folder");
        let (event, assignment) = covering(&todays, &username);
        assert_eq!(
            asset.assignment_id,
            Some(assignment.id),
            "{} ({username}) should be filed under «{}»: {:?} / {:?}",
            asset.file_name,
            event.title,
            asset.match_reason,
            asset.triage_reason
        );
        assert!(asset.triage_reason.is_none(), "{:?}", asset.triage_reason);
        assert_eq!(asset.photographer.as_deref(), Some(username.as_str()));
        let reason = asset.match_reason.clone().unwrap_or_default();
        assert!(reason.contains(&username), "{reason}");
        if asset.kind == "photo" && username == "andi" {
            // The Sony's clock runs five minutes fast, and is known to.
            assert!(reason.contains("dikoreksi"), "{reason}");
        }
        let path = asset.archive_path.to_string_lossy();
        assert!(
            path.starts_with(&format!(
                "{:04}/{:02}/{day}_{}/",
                day.year(),
                day.month(),
                assignment.folder
            )),
            "{path}"
        );
        assert!(demo.config.archive.join(&asset.archive_path).is_file());
    }
    let kinds: std::collections::BTreeSet<&str> = assets.iter().map(|a| a.kind.as_str()).collect();
    assert!(
        kinds.contains("photo") && kinds.contains("video"),
        "{kinds:?}"
    );
}

#[test]
fn a_second_run_reuses_the_demo_without_seeding_twice() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let dir = tmp.path().join("demo");
    let first = demo::prepare(&dir, None).expect("first prepare");
    assert!(first.seeded);
    let snapshot = |demo: &Demo| {
        let catalog = catalog(demo);
        let events = all_events(&catalog);
        let assignments: usize = events
            .iter()
            .map(|e| {
                catalog
                    .assignments_of_event(e.id)
                    .expect("assignments")
                    .len()
            })
            .sum();
        (
            catalog.people().expect("people").len(),
            catalog.cameras().expect("cameras").len(),
            events.len(),
            assignments,
            catalog.roster("").expect("roster").len(),
            files_under(&demo.config.inbox[0]),
        )
    };
    let before = snapshot(&first);

    let started = Instant::now();
    let second = demo::prepare(&dir, Some("127.0.0.1:0")).expect("second prepare");
    eprintln!("second prepare: {:?}", started.elapsed());
    assert!(!second.seeded);
    assert!(second.cards.is_empty());
    assert_eq!(second.logins, first.logins);
    assert_eq!(second.day, first.day);
    assert_eq!(second.config_path, first.config_path);
    assert_eq!(second.config.listen.to_string(), "127.0.0.1:0");
    let text = std::fs::read_to_string(&second.config_path).expect("config");
    assert!(
        text.contains("127.0.0.1:8080"),
        "the file is left as it was"
    );
    assert_eq!(snapshot(&second), before);
    assert!(second.banner().contains("reused"));

    for login in &second.logins {
        let hash = password_hash(&second, &login.username);
        assert!(verify_password(hash.as_deref(), &login.password));
    }
}

#[test]
fn a_folder_that_holds_no_demo_is_refused() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let busy = tmp.path().join("busy");
    std::fs::create_dir_all(&busy).unwrap();
    std::fs::write(busy.join("notes.txt"), "keep me").unwrap();
    let err = demo::prepare(&busy, None).expect_err("a non-empty folder");
    assert!(matches!(err, liputan::Error::Conflict(_)), "{err}");
    assert_eq!(
        std::fs::read_dir(&busy).unwrap().count(),
        1,
        "nothing written"
    );

    let real = tmp.path().join("real");
    std::fs::create_dir_all(&real).unwrap();
    std::fs::write(real.join("liputan.toml"), "[ingest]\nsettle_seconds = 2\n").unwrap();
    let err = demo::prepare(&real, None).expect_err("someone else's config");
    assert!(err.to_string().contains("liputan.toml"), "{err}");

    let err = demo::prepare(&tmp.path().join("fresh"), Some("localhost")).expect_err("bad address");
    assert!(matches!(err, liputan::Error::Invalid(_)), "{err}");
    assert!(err.to_string().starts_with("listen:"), "{err}");
}

#[test]
fn at_the_end_of_a_month_tomorrow_is_rostered_too() {
    let tmp = tempfile::tempdir().expect("temp dir");
    let day = Date::new(2026, 11, 30).unwrap();
    let demo = demo::prepare_on(&tmp.path().join("demo"), None, day).expect("prepare");
    assert_eq!(demo.day, day);
    let catalog = catalog(&demo);
    let zone = demo.config.zone;
    let tomorrow = Date::new(2026, 12, 1).unwrap();
    let tomorrows = agenda(&catalog, zone, tomorrow);
    assert!(tomorrows.len() >= 2);
    let on_duty: Vec<String> = catalog
        .roster("2026-12-01")
        .unwrap()
        .into_iter()
        .map(|(_, u)| u)
        .collect();
    for (_, assignments) in &tomorrows {
        for member in assignments.iter().flat_map(|a| &a.crew) {
            assert!(on_duty.contains(&member.username), "{member:?}");
        }
    }
    assert!(!catalog.roster("2026-11").unwrap().is_empty());
    // The cards carry the given day, not the clock's.
    let md = read_metadata(&demo.cards[0], Kind::Photo, zone);
    let captured = md.captured_at.expect("capture time");
    assert_eq!(zone.to_datetime(captured.utc).date(), day);
}
