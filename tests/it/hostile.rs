//! Hostile names and links (reliability plan E1-E5): files swapped for symbolic
//! links while they are being ingested, folders swapped for links out of the inbox,
//! hard links, awkward names, very long paths and link loops. Each test checks what
//! a user would notice: every legitimate file archived once with its own bytes, no
//! byte from outside the inbox in the archive, a reason for what was refused, no
//! staging leftovers, and an archive that matches the catalog.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::corrupt::XorShift;
use crate::harness::{get, hash_of, photo, served_addr, served_addr_anonymous, wait_until, Env};

const MINUTE: Duration = Duration::from_secs(60);

fn blake(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex().to_string()
}

/// `/healthz` (public).
fn health(addr: &str) -> serde_json::Value {
    get(addr, "/healthz", &[]).json()
}

/// Nothing waiting to settle, nothing being copied.
fn idle(addr: &str) -> bool {
    let h = health(addr);
    h["ingest"]["pending"] == 0 && h["ingest"]["in_flight"] == 0
}

/// Every rejection: path bytes and reason. Empty while the catalog does not exist yet.
fn rejections(env: &Env) -> Vec<(Vec<u8>, String)> {
    query_pairs(env, "SELECT path, reason FROM rejections")
}

/// Every source: path bytes and asset id.
fn sources(env: &Env) -> Vec<(Vec<u8>, String)> {
    query_pairs(env, "SELECT path, asset_id FROM sources")
}

fn query_pairs(env: &Env, sql: &str) -> Vec<(Vec<u8>, String)> {
    let path = env.data.join("catalog.sqlite");
    let Ok(conn) =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
    else {
        return Vec::new();
    };
    let Ok(mut stmt) = conn.prepare(sql) else {
        return Vec::new();
    };
    stmt.query_map([], |r| {
        Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
    })
    .map(|rows| rows.filter_map(Result::ok).collect())
    .unwrap_or_default()
}

fn reason_for(env: &Env, path: &Path) -> Option<String> {
    rejections(env)
        .into_iter()
        .find(|(p, _)| p == path.as_os_str().as_bytes())
        .map(|(_, r)| r)
}

/// Runs `liputan ingest --json DIR`; returns the summary and stderr (checked for panics).
fn ingest_checked(env: &Env, dir: &Path) -> serde_json::Value {
    let out = env
        .liputan()
        .args(["ingest", "--json"])
        .arg(dir)
        .output()
        .expect("run liputan ingest");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("panicked"),
        "liputan ingest panicked: {stderr}"
    );
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\nstderr: {stderr}",
            String::from_utf8_lossy(&out.stdout)
        )
    })
}

fn symlink(target: &Path, link: &Path) {
    std::os::unix::fs::symlink(target, link)
        .unwrap_or_else(|e| panic!("symlink {}: {e}", link.display()));
}

/// Atomically swaps two directory entries (renameat2 RENAME_EXCHANGE): a file or
/// folder and a symbolic link trade places with no moment where either is missing.
fn exchange(a: &Path, b: &Path) -> bool {
    let ca = std::ffi::CString::new(a.as_os_str().as_bytes()).unwrap();
    let cb = std::ffi::CString::new(b.as_os_str().as_bytes()).unwrap();
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            ca.as_ptr(),
            libc::AT_FDCWD,
            cb.as_ptr(),
            libc::RENAME_EXCHANGE,
        )
    };
    rc == 0
}

fn assert_clean(env: &Env) {
    env.assert_archive_matches_catalog();
    assert_eq!(env.staging_files(), 0, "staging leftovers");
}

/// The daemon has a cut (still "being written") file pending when the folder holding
/// it is swapped for a link to a folder outside the inbox that holds a complete file of
/// the same name. A path-based open follows the folder link and archives the outside
/// file; the confined open refuses it. Deterministic: the daemon holds the cut file
/// for `incomplete_grace_seconds`, and the swap happens inside that time.
#[test]
fn a_folder_swapped_for_a_link_out_of_the_inbox_is_never_followed() {
    let env = Env::new("incomplete_grace_seconds = 12");
    let outside = env.dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let secret = photo(9001, "2026:11:26 09:00:00");
    std::fs::write(outside.join("IMG_0001.JPG"), &secret).unwrap();

    let card = env.inbox.join("budi/card");
    std::fs::create_dir_all(&card).unwrap();
    let whole = photo(9002, "2026:11:26 09:00:00");
    let cut = &whole[..whole.len() / 2];
    std::fs::write(card.join("IMG_0001.JPG"), cut).unwrap();
    let written = Instant::now();

    let daemon = env.serve();
    let addr = served_addr_anonymous(&env);
    wait_until(MINUTE, "the start-up scan found the cut file", || {
        health(&addr)["ingest"]["pending"] == 1
    });
    assert!(
        env.catalogued().is_empty() && written.elapsed() < Duration::from_secs(10),
        "too slow to swap inside the grace period ({:?}); the test proves nothing",
        written.elapsed()
    );
    let moved = env.inbox.join("budi/card.old");
    std::fs::rename(&card, &moved).unwrap();
    symlink(&outside, &card);

    // The cut file, now under card.old, is archived (as damaged) once its grace is over.
    wait_until(
        MINUTE,
        "the cut file is archived from its new folder",
        || env.catalogued().len() == 1,
    );
    wait_until(MINUTE, "the daemon is idle", || idle(&addr));
    let archive = env.archive_files();
    assert!(
        !archive.values().any(|h| *h == blake(&secret)),
        "a file outside the inbox was archived through a folder link: {archive:?}"
    );
    assert_eq!(
        archive.values().cloned().collect::<Vec<_>>(),
        vec![blake(cut)],
        "only the cut file, with its own bytes"
    );
    let link_reason = reason_for(&env, &card).expect("the folder link is refused");
    assert!(link_reason.contains("outside the inbox"), "{link_reason}");
    if let Some(reason) = reason_for(&env, &card.join("IMG_0001.JPG")) {
        assert!(reason.contains("symbolic link"), "{reason}");
    }
    assert_clean(&env);
    daemon.stop();
    let log = env.log();
    assert!(!log.contains("panicked"), "{log}");
}

/// A race, many times over: while `liputan ingest` runs again and again, a thread
/// swaps files for links to a secret (and back) and card folders for links to a
/// folder outside the inbox (and back), with atomic RENAME_EXCHANGE. Whatever the
/// interleaving, the secret's bytes never reach the archive and the legitimate files
/// are archived once each with their own bytes.
#[test]
fn files_and_folders_swapped_for_links_during_ingest_never_leak_outside_bytes() {
    const SITES: usize = 4;
    const RUNS: usize = 10;
    const MIN_SWAPS: u64 = 200;
    let env = Env::new("");
    let outside = env.dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let secret = photo(7000, "2026:11:26 08:00:00");
    std::fs::write(outside.join("secret.jpg"), &secret).unwrap();
    for i in 0..SITES {
        // What a path through a swapped folder link would reach.
        std::fs::write(outside.join(format!("race{i}.jpg")), &secret).unwrap();
    }

    let mut legit = BTreeMap::new();
    let mut pairs = Vec::new();
    for i in 0..SITES {
        let site = env.inbox.join(format!("budi/site{i}"));
        let card = site.join("card");
        std::fs::create_dir_all(&card).unwrap();
        let bytes = photo(7100 + i as u64, "2026:11:26 08:00:00");
        std::fs::write(card.join(format!("race{i}.jpg")), &bytes).unwrap();
        legit.insert(blake(&bytes), format!("race{i}.jpg"));
        symlink(
            &outside.join("secret.jpg"),
            &card.join(format!("zlink{i}.jpg")),
        );
        symlink(&outside, &site.join("zcard"));
        pairs.push((
            card.join(format!("race{i}.jpg")),
            card.join(format!("zlink{i}.jpg")),
        ));
        pairs.push((card.clone(), site.join("zcard")));
    }

    let stop = Arc::new(AtomicBool::new(false));
    let swaps = Arc::new(AtomicU64::new(0));
    let swapper = {
        let (stop, swaps, pairs) = (stop.clone(), swaps.clone(), pairs.clone());
        std::thread::spawn(move || {
            let mut rng = XorShift::new(0x5eed_0001);
            let mut flipped = vec![false; pairs.len()];
            while !stop.load(Ordering::Relaxed) {
                let i = rng.below(pairs.len() as u64) as usize;
                // A file pair inside a card folder that is swapped out right now
                // names nothing (the link's folder has no such pair): skipped.
                if exchange(&pairs[i].0, &pairs[i].1) {
                    flipped[i] = !flipped[i];
                    swaps.fetch_add(1, Ordering::Relaxed);
                }
                // Mostly back to back, sometimes a pause long enough for a whole copy.
                let pause = match rng.below(10) {
                    0 => 3_000,
                    _ => rng.below(400),
                };
                std::thread::sleep(Duration::from_micros(pause));
            }
            // Put everything back: folders first (odd indices), then the files in them.
            for i in (1..pairs.len())
                .step_by(2)
                .chain((0..pairs.len()).step_by(2))
            {
                if flipped[i] {
                    assert!(exchange(&pairs[i].0, &pairs[i].1), "restoring {i}");
                }
            }
        })
    };
    let started = Instant::now();
    let mut runs = 0;
    let mut link_refusals = 0;
    while runs < RUNS || swaps.load(Ordering::Relaxed) < MIN_SWAPS {
        let summary = ingest_checked(&env, &env.inbox);
        runs += 1;
        link_refusals += summary["errors"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["reason"].as_str().unwrap_or("").contains("symbolic link"))
            .count();
        let archive = env.archive_files();
        assert!(
            !archive.values().any(|h| *h == blake(&secret)),
            "run {runs}: the secret reached the archive: {summary}"
        );
        assert!(
            runs < 400,
            "the swapper is stuck ({} swaps)",
            swaps.load(Ordering::Relaxed)
        );
    }
    stop.store(true, Ordering::Relaxed);
    swapper.join().expect("swapper");
    let swapped = swaps.load(Ordering::Relaxed);

    // Quiet now: a last run takes whatever the race left behind.
    let last = ingest_checked(&env, &env.inbox);
    let archive = env.archive_files();
    assert!(!archive.values().any(|h| *h == blake(&secret)), "{last}");
    let archived: BTreeSet<&String> = archive.values().collect();
    let expected: BTreeSet<&String> = legit.keys().collect();
    assert_eq!(
        archived, expected,
        "every legitimate file archived exactly once, nothing else"
    );
    assert_eq!(
        archive.len(),
        SITES,
        "one archive file per content: {archive:?}"
    );
    assert_eq!(std::fs::read(outside.join("secret.jpg")).unwrap(), secret);
    assert_clean(&env);
    println!(
        "symlink race: {swapped} swaps, {runs} ingest runs in {:.1} s, {link_refusals} link refusals, 0 secret bytes archived",
        started.elapsed().as_secs_f64()
    );
}

/// A link to a folder outside the inbox, link loops, and a link to `/`: the scan ends,
/// the daemon starts and keeps working, and nothing outside the inbox is archived,
/// also when a file appears in the outside folder while the daemon runs (the file
/// watcher may follow the link and report it as if it were in the inbox).
#[test]
fn folder_links_out_and_link_loops_end_the_scan_and_read_nothing_outside() {
    let env = Env::new("");
    let outside = env.dir.path().join("outside");
    std::fs::create_dir_all(outside.join("sub")).unwrap();
    let old_secret = photo(8001, "2026:11:26 07:00:00");
    std::fs::write(outside.join("sub/old.jpg"), &old_secret).unwrap();
    let budi = env.inbox.join("budi");
    let deep = budi.join("a/b/c");
    std::fs::create_dir_all(&deep).unwrap();
    let ok = photo(8002, "2026:11:26 07:00:00");
    std::fs::write(deep.join("ok.jpg"), &ok).unwrap();
    symlink(&outside, &budi.join("luar"));
    symlink(Path::new("."), &budi.join("loop"));
    symlink(Path::new(".."), &deep.join("up"));
    symlink(Path::new("../../.."), &deep.join("top"));
    symlink(Path::new("cycle-b"), &budi.join("cycle-a"));
    symlink(Path::new("cycle-a"), &budi.join("cycle-b"));

    // One-shot first, with a link to the filesystem root as well: it ends.
    let fsroot = budi.join("fsroot");
    symlink(Path::new("/"), &fsroot);
    let started = Instant::now();
    let summary = ingest_checked(&env, &env.inbox);
    assert_eq!(summary["archived"], 1, "{summary}");
    assert!(started.elapsed() < Duration::from_secs(20), "{summary}");
    std::fs::remove_file(&fsroot).unwrap();
    for name in ["luar", "cycle-a", "cycle-b"] {
        let reason = reason_for(&env, &budi.join(name))
            .unwrap_or_else(|| panic!("{name} not refused: {summary}"));
        assert!(reason.contains("symbolic link"), "{name}: {reason}");
    }
    for name in ["loop", "a/b/c/up", "a/b/c/top"] {
        assert!(
            reason_for(&env, &budi.join(name)).is_none(),
            "a link that stays inside is neither followed nor refused: {name}"
        );
    }

    let daemon = env.serve();
    let addr = served_addr_anonymous(&env);
    wait_until(MINUTE, "the start-up scan is done", || {
        health(&addr)["ingest"]["scans"].as_u64() >= Some(1) && idle(&addr)
    });
    // Files appear outside while the daemon runs, then a marker inside.
    let new_secret = photo(8003, "2026:11:26 07:00:00");
    std::fs::write(outside.join("new.jpg"), &new_secret).unwrap();
    std::fs::write(
        outside.join("sub/new2.jpg"),
        photo(8004, "2026:11:26 07:00:00"),
    )
    .unwrap();
    let marker = photo(8005, "2026:11:26 07:00:00");
    std::fs::write(deep.join("marker.jpg"), &marker).unwrap();
    wait_until(MINUTE, "the marker is archived", || {
        env.archive_files().values().any(|h| *h == blake(&marker))
    });
    wait_until(MINUTE, "the daemon is idle", || idle(&addr));
    let archive = env.archive_files();
    let hashes: BTreeSet<String> = archive.values().cloned().collect();
    assert_eq!(
        hashes,
        BTreeSet::from([blake(&ok), blake(&marker)]),
        "only the two files inside the inbox"
    );
    for (path, reason) in rejections(&env) {
        let shown = String::from_utf8_lossy(&path);
        if path.starts_with(budi.join("luar").as_os_str().as_bytes())
            && path.len() > budi.join("luar").as_os_str().len()
        {
            assert!(reason.contains("symbolic link"), "{shown}: {reason}");
        }
    }
    assert_eq!(health(&addr)["status"], "ok");
    assert_clean(&env);
    daemon.stop();
    let log = env.log();
    assert!(!log.contains("panicked"), "{log}");
}

/// Hard links. The same inode under three names in the inbox is stored once, with
/// three sources. A hard link to a file outside the inbox cannot be told from a file
/// by its path: it IS that file (Linux's protected_hardlinks only lets a user link a
/// file they may read and write), so its bytes are what was dropped and it is
/// archived like any other file, once. The outside file is never modified, and
/// deleting an archived source only unlinks the inbox name.
#[test]
fn hard_links_are_one_file_stored_once_and_the_linked_outside_file_is_untouched() {
    for delete_sources in [false, true] {
        let env = Env::new(if delete_sources {
            "delete_source_after_verify = true"
        } else {
            ""
        });
        let a = env.inbox.join("budi/a.jpg");
        let b = env.inbox.join("sari/b.jpg");
        let c = env.inbox.join("budi/sub/c.jpg");
        for p in [&a, &b, &c] {
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        }
        let shot = photo(6001, "2026:11:26 11:00:00");
        std::fs::write(&a, &shot).unwrap();
        std::fs::hard_link(&a, &b).unwrap();
        std::fs::hard_link(&a, &c).unwrap();
        let private = env.dir.path().join("private/dokumen.jpg");
        std::fs::create_dir_all(private.parent().unwrap()).unwrap();
        let private_bytes = photo(6002, "2026:11:26 11:00:00");
        std::fs::write(&private, &private_bytes).unwrap();
        let h = env.inbox.join("budi/h.jpg");
        std::fs::hard_link(&private, &h).unwrap();

        let summary = ingest_checked(&env, &env.inbox);
        assert_eq!(summary["archived"], 2, "{summary}");
        assert_eq!(summary["duplicates"], 2, "{summary}");
        assert_eq!(summary["rejected"], 0, "{summary}");
        assert_eq!(summary["failed"], 0, "{summary}");
        let archive = env.archive_files();
        let hashes: Vec<&String> = archive.values().collect();
        assert_eq!(archive.len(), 2, "{archive:?}");
        assert!(hashes.contains(&&blake(&shot)) && hashes.contains(&&blake(&private_bytes)));
        let shot_sources: Vec<Vec<u8>> = sources(&env)
            .into_iter()
            .filter(|(_, id)| *id == blake(&shot))
            .map(|(p, _)| p)
            .collect();
        assert_eq!(shot_sources.len(), 3, "three names, one asset");
        assert_eq!(std::fs::read(&private).unwrap(), private_bytes);
        if delete_sources {
            assert!(!h.exists(), "an archived source is removed");
            // Unlinking one name of a hard-linked file changes the inode's ctime,
            // so names read before that look changed since and are kept (never a
            // loss); which names go depends on the order the workers took them.
            let left = [&a, &b, &c].iter().filter(|p| p.exists()).count();
            assert!(left < 3, "at least the first of the three names is removed");
            for name in [&a, &b, &c].into_iter().filter(|p| p.exists()) {
                assert_eq!(hash_of(name), blake(&shot), "a kept name is intact");
            }
            assert!(private.exists(), "only the inbox name is unlinked");
        } else {
            assert_eq!(hash_of(&h), blake(&private_bytes));
        }
        assert_clean(&env);
    }
}

/// Awkward names: newline, tab, leading dashes, `..` inside names, shell and HTML
/// metacharacters, invalid UTF-8, Indonesian text with emoji, NFC and NFD spellings,
/// names that differ only in case. Each content is archived once, under its own
/// name as one path component in the right folder (the contract keeps the original
/// name); the catalog keeps the exact path bytes; and the API's JSON stays valid.
#[test]
fn awkward_names_are_archived_once_under_their_own_name_and_the_api_stays_valid_json() {
    let env = Env::new("");
    let folder = env.inbox.join("budi/nama aneh");
    std::fs::create_dir_all(&folder).unwrap();
    let names: Vec<&[u8]> = vec![
        b"baris\nbaru.jpg",
        b"tab\tdi tengah.jpg",
        b"-rf.jpg",
        b"--help.jpg",
        b"..jpg",
        b"....",
        b"..\\..\\x.jpg",
        b"a..b.jpg",
        b"foto \xff\xfe.jpg",
        "Peresmian Jembatan Tanjung Selor 📸🇮🇩 — Bulungan.jpg".as_bytes(),
        "Pelantikan Pejabat Eselon Ⅲ di Gedung Gadis.JPG".as_bytes(),
        b"\xc3\xa9.jpg",  // é, NFC
        b"e\xcc\x81.jpg", // é, NFD
        b"IMG_0001.JPG",
        b"img_0001.jpg",
        b" spasi di depan.jpg",
        b"titik di akhir.jpg.",
        b"$(rm -rf ~).jpg",
        b"`id`;a|b&c>d.jpg",
        b"<img src=x onerror=alert(1)>.jpg",
        b"\x1b[31mmerah.jpg",
    ];
    let mut expected: Vec<(PathBuf, String)> = Vec::new();
    for (i, name) in names.iter().enumerate() {
        let path = folder.join(OsStr::from_bytes(name));
        let bytes = photo(5000 + i as u64, "2026:11:26 10:00:00");
        std::fs::write(&path, &bytes).unwrap();
        expected.push((path, blake(&bytes)));
    }
    // A folder named `...` and the same content under two spellings of one name.
    std::fs::create_dir_all(folder.join("...")).unwrap();
    let same = photo(5100, "2026:11:26 10:00:00");
    for name in ["Sama.JPG", "SAMA.jpg", ".../Sama.JPG"] {
        std::fs::write(folder.join(name), &same).unwrap();
    }

    let summary = ingest_checked(&env, &env.inbox);
    assert_eq!(summary["archived"], names.len() as u64 + 1, "{summary}");
    assert_eq!(summary["duplicates"], 2, "{summary}");
    assert_eq!(summary["failed"], 0, "{summary}");
    assert_eq!(summary["rejected"], 0, "{summary}");

    let archive = env.archive_files();
    let catalog = env.catalog();
    for (source, id) in &expected {
        let name = source.file_name().unwrap();
        let (rel, _) = archive
            .iter()
            .find(|(_, h)| *h == id)
            .unwrap_or_else(|| panic!("{:?} not archived", name));
        assert_eq!(
            rel.file_name(),
            Some(name),
            "the original name, byte for byte"
        );
        assert_safe_archive_path(&env, rel);
        let (file_name, source_paths): (String, Vec<u8>) = catalog
            .query_row(
                "SELECT a.file_name, s.path FROM assets a JOIN sources s ON s.asset_id = a.id WHERE a.id = ?1",
                [id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(file_name, name.to_string_lossy(), "shown name");
        assert_eq!(
            source_paths,
            source.as_os_str().as_bytes(),
            "the exact source path is kept"
        );
    }
    assert_eq!(
        archive.values().filter(|h| **h == blake(&same)).count(),
        1,
        "the same content under three names is stored once"
    );
    assert_clean(&env);

    // The API and the panel with these names.
    let daemon = env.serve();
    let addr = served_addr(&env);
    let mut list = serde_json::Value::Null;
    wait_until(MINUTE, "every asset is in the search index", || {
        let reply = get(&addr, "/api/assets?per_page=500", &[]);
        assert_eq!(reply.status, 200);
        list = reply.json();
        list["total"] == names.len() as u64 + 1
    });
    let shown: BTreeSet<String> = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["file_name"].as_str().expect("a string").to_owned())
        .collect();
    for (source, id) in &expected {
        let name = source.file_name().unwrap().to_string_lossy().into_owned();
        assert!(shown.contains(&name), "{name:?} missing from {shown:?}");
        let one = get(&addr, &format!("/api/assets/{id}"), &[]);
        assert_eq!(one.status, 200, "{name:?}");
        assert_eq!(one.json()["id"], id.as_str());
        let original = get(&addr, &format!("/api/assets/{id}/original"), &[]);
        assert_eq!(original.status, 200, "{name:?}");
        assert_eq!(blake(&original.body), *id, "{name:?}: original bytes");
        if let Some(cd) = original.header("content-disposition") {
            assert!(!cd.contains('\n') && !cd.contains('\r'), "{cd:?}");
        }
    }
    for page in ["/arsip", "/triage"] {
        assert_eq!(get(&addr, page, &[]).status, 200, "{page}");
    }
    daemon.stop();
    let log = env.log();
    assert!(!log.contains("panicked"), "{log}");
}

/// The archive path is `YYYY/MM/<day>_<label>/<kind>/<name>`: five normal components,
/// none of them `.` or `..`, and the file lies under the archive root.
fn assert_safe_archive_path(env: &Env, rel: &Path) {
    use std::path::Component;
    let parts: Vec<Component> = rel.components().collect();
    assert_eq!(parts.len(), 5, "{rel:?}");
    assert!(
        parts.iter().all(|c| matches!(c, Component::Normal(_))),
        "{rel:?}"
    );
    let real = std::fs::canonicalize(env.archive.join(rel)).unwrap();
    assert!(real.starts_with(std::fs::canonicalize(&env.archive).unwrap()));
    assert!(
        ["photo", "raw", "video", "audio", "document", "other"]
            .iter()
            .any(|k| parts[3].as_os_str() == *k),
        "{rel:?}"
    );
}

/// Names of 255 bytes (the most a Linux name may have), ASCII and multi-byte, taken
/// twice by different content so the second needs the hash suffix; and a file at
/// the end of a deeply nested path close to PATH_MAX (4096). All are archived; the
/// suffixed names still fit in 255 bytes and stay valid UTF-8.
#[test]
fn names_of_255_bytes_and_paths_near_path_max_are_archived() {
    let env = Env::new("");
    let ascii = format!("{}.jpg", "a".repeat(251));
    let multi = format!("x{}.jpg", "é".repeat(125));
    assert_eq!((ascii.len(), multi.len()), (255, 255));
    let mut expected = Vec::new();
    for (i, name) in [&ascii, &multi].into_iter().enumerate() {
        for copy in 0..2u64 {
            let dir = env.inbox.join(format!("budi/kartu{copy}"));
            std::fs::create_dir_all(&dir).unwrap();
            let bytes = photo(4000 + i as u64 * 10 + copy, "2026:11:26 12:00:00");
            std::fs::write(dir.join(name), &bytes).unwrap();
            expected.push((name.clone(), blake(&bytes)));
        }
    }
    // A deep path: folders of 200 bytes until a 255-byte name would just fit.
    let mut deep = env.inbox.join("sari");
    while deep.as_os_str().len() + 201 + 1 + 255 < 4095 {
        deep.push(format!(
            "{}{:03}",
            "d".repeat(197),
            deep.components().count()
        ));
    }
    std::fs::create_dir_all(&deep).unwrap();
    let deep_name = format!("{}.JPG", "f".repeat(251));
    let deep_file = deep.join(&deep_name);
    let deep_len = deep_file.as_os_str().len();
    assert!((3800..4096).contains(&deep_len), "{deep_len}");
    let deep_bytes = photo(4100, "2026:11:26 12:00:00");
    std::fs::write(&deep_file, &deep_bytes).unwrap();
    expected.push((deep_name.clone(), blake(&deep_bytes)));

    let summary = ingest_checked(&env, &env.inbox);
    assert_eq!(summary["archived"], expected.len() as u64, "{summary}");
    assert_eq!(summary["failed"], 0, "{summary}");
    let archive = env.archive_files();
    for (name, id) in &expected {
        let (rel, _) = archive
            .iter()
            .find(|(_, h)| *h == id)
            .unwrap_or_else(|| panic!("{name} not archived: {summary}"));
        let archived_name = rel.file_name().unwrap();
        assert!(archived_name.len() <= 255, "{}", archived_name.len());
        let text = archived_name.to_str().expect("still valid UTF-8");
        let stem = name.rsplit_once('.').unwrap().0;
        let ext = name.rsplit_once('.').unwrap().1;
        if text != name {
            // The suffixed twin: the extension and the hash survive, the stem is cut.
            assert!(text.ends_with(&format!("_{}.{ext}", &id[..8])), "{text}");
            assert!(stem.starts_with(text.rsplit_once('_').unwrap().0), "{text}");
        }
        assert_safe_archive_path(&env, rel);
    }
    let deep_source: Vec<Vec<u8>> = sources(&env)
        .into_iter()
        .filter(|(_, id)| *id == blake(&deep_bytes))
        .map(|(p, _)| p)
        .collect();
    assert_eq!(deep_source, vec![deep_file.as_os_str().as_bytes().to_vec()]);
    assert_clean(&env);
    println!("longest source path archived: {deep_len} bytes");
}
