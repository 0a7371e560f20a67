//! Care of the archive: `liputan verify` (fixity of the archive and replicas),
//! replicas kept by the running daemon (offline and back, re-filed files), and
//! BagIt export, each checked independently of liputan (the test hashes the
//! files and reads the bag itself).

use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;

use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::harness::{self, get, send_json, served_addr, wait_until, write_card, Env};

/// An environment with one replica (`<tmp>/replica`), polled every second,
/// and no scheduled verify unless `every_days` says so.
fn env_with_replica(every_days: u64) -> (Env, PathBuf) {
    let env = Env::new(&format!(
        "\n[verify]\nevery_days = {every_days}\n[replication]\npoll_seconds = 1\n\
         [[replica]]\npath = \"replica\"\n"
    ));
    let replica = env.dir.path().join("replica");
    std::fs::create_dir(&replica).expect("replica folder");
    (env, replica)
}

fn verify(env: &Env) -> (i32, Value, Output) {
    let out = env
        .liputan()
        .args(["verify", "--json"])
        .output()
        .expect("run verify");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let report: Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), report, out)
}

fn list(v: &Value) -> Vec<String> {
    let mut l: Vec<String> = v
        .as_array()
        .unwrap_or_else(|| panic!("not a list: {v}"))
        .iter()
        .map(|s| s.as_str().expect("path").to_owned())
        .collect();
    l.sort();
    l
}

/// True when `root` holds every catalogued file at its archive path, same content.
fn replica_holds_all(env: &Env, root: &Path) -> bool {
    let catalogued = env.catalogued();
    !catalogued.is_empty()
        && catalogued.iter().all(|(path, id)| {
            let p = root.join(path);
            p.is_file() && harness::hash_of(&p) == *id
        })
}

/// Files on the replica besides its marker and temp folder: relative path -> blake3.
fn replica_files(root: &Path) -> Vec<(PathBuf, String)> {
    fn walk(root: &Path, dir: &Path, out: &mut Vec<(PathBuf, String)>) {
        for e in std::fs::read_dir(dir).expect("read replica").flatten() {
            let p = e.path();
            let rel = p.strip_prefix(root).unwrap().to_owned();
            if rel == Path::new(".liputan-replica") || rel.starts_with(".liputan-tmp") {
                continue;
            }
            if p.is_dir() {
                walk(root, &p, out);
            } else {
                out.push((rel, harness::hash_of(&p)));
            }
        }
    }
    let mut out = Vec::new();
    walk(root, root, &mut out);
    out.sort();
    out
}

fn flip_byte(path: &Path, at: usize) {
    let mut bytes = std::fs::read(path).expect("read");
    bytes[at] ^= 0x01;
    std::fs::write(path, bytes).expect("write");
}

#[test]
fn verify_is_clean_then_names_flipped_deleted_and_stray_files_in_archive_and_replica() {
    let (env, replica) = env_with_replica(0);
    write_card(&env.inbox.join("budi/kartu"), 6, 100);
    let daemon = env.serve();
    wait_until(
        Duration::from_secs(60),
        "six files archived and on the replica",
        || env.catalogued().len() == 6 && replica_holds_all(&env, &replica),
    );
    daemon.stop();
    assert!(replica.join(".liputan-replica").is_file(), "marker written");

    let started = std::time::Instant::now();
    let (code, clean, _) = verify(&env);
    eprintln!("clean verify: {:?}", started.elapsed());
    assert_eq!(code, 0, "{clean:#}");
    assert_eq!(clean["ok"], true);
    assert_eq!(clean["checked"], 12, "6 in the archive + 6 on the replica");
    for key in ["missing", "changed", "unexpected"] {
        assert!(list(&clean[key]).is_empty(), "{key}: {clean:#}");
    }
    assert_eq!(clean["replicas"][0]["online"], true);
    assert!(clean["bytes"].as_u64().unwrap() > 0 && clean["seconds"].is_number());

    // Break things in both places, each a different file.
    let paths: Vec<PathBuf> = env.catalogued().into_keys().collect();
    flip_byte(&env.archive.join(&paths[0]), 5000);
    std::fs::remove_file(env.archive.join(&paths[1])).unwrap();
    std::fs::write(env.archive.join("2026/11/stray.txt"), "who put this here").unwrap();
    flip_byte(&replica.join(&paths[2]), 7000);
    std::fs::remove_file(replica.join(&paths[3])).unwrap();
    std::fs::create_dir_all(replica.join("lain")).unwrap();
    std::fs::write(replica.join("lain/stray.jpg"), "not from the archive").unwrap();
    // What is being staged is not a stray.
    std::fs::write(env.archive.join(".staging/123-0-0.part"), "in flight").unwrap();

    let (code, report, _) = verify(&env);
    assert_eq!(code, 1, "{report:#}");
    assert_eq!(report["ok"], false);
    let shown = |p: &PathBuf| vec![p.to_string_lossy().into_owned()];
    assert_eq!(list(&report["changed"]), shown(&paths[0]));
    assert_eq!(list(&report["missing"]), shown(&paths[1]));
    assert_eq!(list(&report["unexpected"]), vec!["2026/11/stray.txt"]);
    let r = &report["replicas"][0];
    assert_eq!(r["online"], true);
    assert_eq!(list(&r["changed"]), shown(&paths[2]));
    assert_eq!(list(&r["missing"]), shown(&paths[3]));
    assert_eq!(list(&r["unexpected"]), vec!["lain/stray.jpg"]);

    // The human summary says so too, with the same exit code.
    let out = env.liputan().arg("verify").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    assert!(
        text.contains("PROBLEMS") && text.contains("stray.txt"),
        "{text}"
    );

    // Each run is in the catalog for the panel.
    let runs: i64 = env
        .catalog()
        .query_row(
            "SELECT count(*) FROM verify_runs WHERE origin = 'cli'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(runs, 3);

    // An offline replica fails verify, with the reason.
    std::fs::rename(&replica, env.dir.path().join("away")).unwrap();
    let (code, report, _) = verify(&env);
    assert_eq!(code, 1);
    assert_eq!(report["replicas"][0]["online"], false);
    assert!(
        report["replicas"][0]["reason"]
            .as_str()
            .unwrap()
            .contains("missing"),
        "{report:#}"
    );
}

#[test]
fn an_offline_replica_is_caught_up_and_a_refiled_file_follows_it() {
    let (env, replica) = env_with_replica(7);
    write_card(&env.inbox.join("budi/pagi"), 2, 200);
    let daemon = env.serve();
    let addr = served_addr(&env);
    wait_until(
        Duration::from_secs(60),
        "the first two files on the replica",
        || env.catalogued().len() == 2 && replica_holds_all(&env, &replica),
    );

    // The disk goes away while more files arrive.
    let away = env.dir.path().join("replica-away");
    std::fs::rename(&replica, &away).unwrap();
    write_card(&env.inbox.join("budi/siang"), 3, 300);
    wait_until(Duration::from_secs(60), "five files archived", || {
        env.catalogued().len() == 5
    });
    wait_until(
        Duration::from_secs(30),
        "the replica recorded offline",
        || {
            env.catalog()
                .query_row("SELECT online FROM replicas", [], |r| r.get::<_, bool>(0))
                .map(|online| !online)
                .unwrap_or(false)
        },
    );
    assert!(!replica.exists(), "an absent replica is never recreated");

    // An empty folder in its place (a mount point without its disk) is not filled.
    std::fs::create_dir(&replica).unwrap();
    std::thread::sleep(Duration::from_millis(2500));
    assert_eq!(std::fs::read_dir(&replica).unwrap().count(), 0);
    std::fs::remove_dir(&replica).unwrap();

    // It comes back: the daemon catches up.
    std::fs::rename(&away, &replica).unwrap();
    wait_until(
        Duration::from_secs(60),
        "all five files on the returned replica",
        || replica_holds_all(&env, &replica),
    );

    // A file is tagged by hand: it is re-filed in the archive, and on the replica.
    let event = send_json(
        "POST",
        &addr,
        "/api/events",
        &json!({
            "title": "Rapat Koordinasi Banjir", "leader": "gubernur", "location": "Tanjung Selor",
            "starts_at": "2026-11-27T14:00:00+08:00", "ends_at": "2026-11-27T15:00:00+08:00",
            "out_of_town": false
        }),
    );
    assert_eq!(
        event.status,
        201,
        "{}",
        String::from_utf8_lossy(&event.body)
    );
    let assignment = send_json(
        "POST",
        &addr,
        "/api/assignments",
        &json!({"event_id": event.json()["id"], "crew": []}),
    );
    assert_eq!(
        assignment.status,
        201,
        "{}",
        String::from_utf8_lossy(&assignment.body)
    );
    let assignment_id = assignment.json()["id"].as_i64().unwrap();
    let (old_path, id) = env.catalogued().into_iter().next().unwrap();
    let tagged = send_json(
        "POST",
        &addr,
        &format!("/api/assets/{id}/assignment"),
        &json!({"assignment_id": assignment_id}),
    );
    assert_eq!(
        tagged.status,
        200,
        "{}",
        String::from_utf8_lossy(&tagged.body)
    );
    let new_path = env
        .catalogued()
        .into_iter()
        .find(|(_, i)| *i == id)
        .unwrap()
        .0;
    assert_ne!(new_path, old_path, "re-filed in the archive");
    wait_until(
        Duration::from_secs(60),
        "the re-filed file moved on the replica",
        || replica.join(&new_path).is_file() && !replica.join(&old_path).exists(),
    );
    assert_eq!(harness::hash_of(&replica.join(&new_path)), id);
    let expected: Vec<(PathBuf, String)> = env.catalogued().into_iter().collect();
    assert_eq!(replica_files(&replica), expected, "replica = archive");

    // A verify while the daemon runs is clean, and the panel shows it.
    let (code, report, _) = verify(&env);
    assert_eq!(code, 0, "{report:#}");
    assert_eq!(report["replicas"][0]["pending"], 0);
    let last = get(&addr, "/api/verify/last", &[]);
    assert_eq!(last.status, 200);
    let run = &last.json()["run"];
    assert_eq!(run["ok"], true, "{run:#}");
    assert_eq!(run["origin"], "cli");
    assert_eq!(run["checked"], 10);
    let home = String::from_utf8_lossy(&get(&addr, "/", &[]).body).into_owned();
    assert!(
        home.contains("10 berkas diperiksa, semuanya utuh."),
        "Beranda shows the last check"
    );
    // The daemon's own scheduled run happened at start (there was none before).
    let scheduled: i64 = env
        .catalog()
        .query_row(
            "SELECT count(*) FROM verify_runs WHERE origin = 'schedule'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(scheduled, 1);
    // Without a login, nothing.
    let anonymous = harness::request_anonymous("GET", &addr, "/api/verify/last", &[], None);
    assert_eq!(anonymous.status, 401);

    // The assignment exports as a bag holding that one file.
    let bag = env.dir.path().join("bag-assignment");
    let out = env
        .liputan()
        .args(["export", "--assignment", &assignment_id.to_string()])
        .arg(&bag)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let info = std::fs::read_to_string(bag.join("bag-info.txt")).unwrap();
    assert!(
        info.contains(&format!(
            "Payload-Oxum: {}.1",
            std::fs::metadata(bag.join("data").join(&new_path))
                .unwrap()
                .len()
        )),
        "{info}"
    );
    assert!(info.contains("External-Identifier: "), "{info}");
    daemon.stop();
}

/// Checks a bag the way a BagIt validator does: every payload file listed
/// with the right SHA-256, nothing unlisted, the Payload-Oxum right, the tag
/// manifest right. Returns (bytes, files).
fn validate_bag(bag: &Path) -> (u64, u64) {
    let bagit = std::fs::read_to_string(bag.join("bagit.txt")).unwrap();
    assert_eq!(
        bagit,
        "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
    );
    let manifest = std::fs::read_to_string(bag.join("manifest-sha256.txt")).unwrap();
    let mut listed = std::collections::BTreeSet::new();
    for line in manifest.lines() {
        let (sum, encoded) = line.split_once("  ").expect("`sum  path`");
        // RFC 8493 2.1.3: %0D, %0A and %25 are the only encodings.
        let path = encoded
            .replace("%0D", "\r")
            .replace("%0A", "\n")
            .replace("%25", "%");
        let path = path.as_str();
        assert!(path.starts_with("data/"), "{line}");
        let bytes = std::fs::read(bag.join(path)).expect("listed file present");
        assert_eq!(hex(&Sha256::digest(&bytes)), sum, "{path}");
        listed.insert(PathBuf::from(path));
    }
    let mut on_disk = std::collections::BTreeSet::new();
    let (mut bytes, mut files) = (0u64, 0u64);
    let mut stack = vec![bag.join("data")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(dir).unwrap().flatten() {
            if e.file_type().unwrap().is_dir() {
                stack.push(e.path());
            } else {
                bytes += e.metadata().unwrap().len();
                files += 1;
                on_disk.insert(e.path().strip_prefix(bag).unwrap().to_owned());
            }
        }
    }
    assert_eq!(listed, on_disk, "manifest = payload");
    let info = std::fs::read_to_string(bag.join("bag-info.txt")).unwrap();
    assert!(
        info.lines()
            .any(|l| l == format!("Payload-Oxum: {bytes}.{files}")),
        "{info}"
    );
    let tags = std::fs::read_to_string(bag.join("tagmanifest-sha256.txt")).unwrap();
    let mut tagged: Vec<&str> = Vec::new();
    for line in tags.lines() {
        let (sum, name) = line.split_once("  ").unwrap();
        let bytes = std::fs::read(bag.join(name)).unwrap();
        assert_eq!(hex(&Sha256::digest(&bytes)), sum, "{name}");
        tagged.push(name);
    }
    tagged.sort();
    assert_eq!(tagged, ["bag-info.txt", "bagit.txt", "manifest-sha256.txt"]);
    (bytes, files)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_month_exports_as_a_valid_bag() {
    let env = Env::new("");
    let card = env.inbox.join("sari/kartu");
    write_card(&card, 4, 400);
    let note = card.join("catatan 100% final.txt");
    std::fs::write(&note, "naskah berita").unwrap();
    // A text file has no capture time: its modification time dates it. Pin it
    // inside the exported month, so the test does not depend on today's date.
    let in_november = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_795_000_000); // 2026-11-18
    std::fs::File::options()
        .write(true)
        .open(&note)
        .unwrap()
        .set_modified(in_november)
        .unwrap();
    let summary = env.ingest(&[&env.inbox]);
    assert_eq!(summary["archived"], 5, "{summary:#}");

    let bag = env.dir.path().join("ekspor/bag-2026-11");
    let out = env
        .liputan()
        .args(["export", "--json", "--month", "2026-11"])
        .arg(&bag)
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let made: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(made["files"], 5);

    let (bytes, files) = validate_bag(&bag);
    assert_eq!(files, 5);
    let archive = env.archive_files();
    let archive_bytes: u64 = archive
        .keys()
        .map(|p| std::fs::metadata(env.archive.join(p)).unwrap().len())
        .sum();
    assert_eq!(bytes, archive_bytes);
    for (path, id) in &archive {
        assert_eq!(
            harness::hash_of(&bag.join("data").join(path)),
            *id,
            "same layout as the archive"
        );
    }
    let info = std::fs::read_to_string(bag.join("bag-info.txt")).unwrap();
    assert!(
        info.contains("Source-Organization: Dinas Komunikasi"),
        "{info}"
    );
    assert!(
        info.contains("External-Identifier: liputan-2026-11"),
        "{info}"
    );
    assert!(
        info.lines().any(|l| l.starts_with("Bagging-Date: 20")),
        "{info}"
    );
    let manifest = std::fs::read_to_string(bag.join("manifest-sha256.txt")).unwrap();
    assert!(manifest.contains("catatan 100%25 final.txt"), "{manifest}");

    // Usage errors name the argument, exit 2, and leave nothing behind.
    for (args, needle) in [
        (vec!["export", "--month", "2026-13"], "--month"),
        (vec!["export", "--assignment", "999"], "--assignment"),
    ] {
        let out = env
            .liputan()
            .args(&args)
            .arg(env.dir.path().join("nope"))
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains(needle),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let out = env
        .liputan()
        .args(["export", "--month", "2026-11"])
        .arg(&bag)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(2),
        "an existing bag is not overwritten"
    );
    assert!(!env.dir.path().join("nope").exists());
    let leftovers = std::fs::read_dir(env.dir.path().join("ekspor"))
        .unwrap()
        .count();
    assert_eq!(leftovers, 1, "no half-built bag left");
}

#[test]
fn verify_runs_sqlites_integrity_check_and_names_a_damaged_catalog() {
    let env = Env::new("");
    write_card(&env.inbox.join("budi/kartu"), 40, 300);
    let summary = env.ingest(&[&env.inbox]);
    assert_eq!(summary["archived"], 40, "{summary}");
    let (code, clean, out) = verify(&env);
    assert_eq!(code, 0, "{clean:#}");
    assert_eq!(
        clean["catalog"],
        json!([]),
        "a sound catalog has no findings"
    );
    let human = env.liputan().arg("verify").output().expect("run verify");
    assert!(
        String::from_utf8_lossy(&human.stdout).contains("catalog: SQLite integrity check ok"),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );

    // Damage the catalog the way SQLite would see bit rot in an index: the
    // index's entries no longer match its table. And a source row that points
    // at no asset (written with foreign keys off, as a foreign tool might).
    {
        let db = rusqlite::Connection::open(env.data.join("catalog.sqlite")).expect("catalog");
        db.execute_batch(
            "PRAGMA writable_schema = ON;
             UPDATE sqlite_master SET sql = 'CREATE INDEX sources_asset ON sources(size)'
              WHERE name = 'sources_asset';
             PRAGMA writable_schema = OFF;
             PRAGMA foreign_keys = OFF;",
        )
        .expect("damage");
        db.execute(
            "INSERT INTO sources (path, asset_id, size, mtime_ns, first_seen_ms, last_seen_ms)
             VALUES (X'2f6e6f2f73756368', 'no-such-asset', 1, 1, 1, 1)",
            [],
        )
        .expect("orphan source");
    }
    let (code, report, _) = verify(&env);
    assert_eq!(code, 1, "a damaged catalog fails verify: {report:#}");
    assert_eq!(report["ok"], false);
    let findings: Vec<String> = report["catalog"]
        .as_array()
        .expect("catalog findings")
        .iter()
        .map(|v| v.as_str().unwrap_or_default().to_owned())
        .collect();
    assert!(
        findings.iter().any(|f| f.contains("sources_asset")),
        "the damaged index is named: {findings:?}"
    );
    assert!(
        findings
            .iter()
            .any(|f| f.starts_with("sources row") && f.contains("missing assets row")),
        "the orphan source is named: {findings:?}"
    );
    // The files themselves are still fine, and said so.
    assert_eq!(report["checked"], 40);
    assert_eq!(report["missing"], json!([]));
    assert_eq!(report["changed"], json!([]));
}
