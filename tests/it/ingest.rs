//! `liputan ingest --json`: the one-shot pipeline on real files.

use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::harness::{hash_of, photo, write_card, Env};

#[test]
fn a_card_is_archived_verified_and_a_second_run_finds_only_duplicates() {
    let env = Env::new("");
    let card = env.dir.path().join("card");
    let photos = write_card(&card, 12, 1);
    let clip =
        liputan::media::synth::mp4("2026-11-26T01:30:00Z".parse().unwrap(), 12_000, 1920, 1080);
    std::fs::create_dir_all(card.join("PRIVATE/M4ROOT/CLIP")).unwrap();
    std::fs::write(card.join("PRIVATE/M4ROOT/CLIP/C0001.MP4"), &clip).unwrap();
    std::fs::write(card.join("DCIM/100CANON/IMG_0001.XMP"), "<x:xmpmeta/>").unwrap();
    std::fs::write(card.join(".DS_Store"), "junk").unwrap();
    std::fs::write(card.join("DCIM/._IMG_0001.JPG"), "junk").unwrap();

    let first = env.ingest(&[&card]);
    assert_eq!(first["archived"], 14, "{first}");
    assert_eq!(first["duplicates"], 0, "{first}");
    assert_eq!(first["rejected"], 0, "{first}");
    assert_eq!(first["triage"], 14, "nothing is matched yet: {first}");
    assert_eq!(first["ignored"], 2, "{first}");
    assert_eq!(first["errors"].as_array().unwrap().len(), 0, "{first}");

    // Byte-identical copies, at the contract's paths (capture day in WITA).
    let archive = env.archive_files();
    for source in &photos {
        let name = source.file_name().unwrap();
        let rel = Path::new("2026/11/2026-11-26_untagged/photo").join(name);
        assert_eq!(
            archive.get(&rel),
            Some(&hash_of(source)),
            "{}",
            rel.display()
        );
    }
    let clip_rel = PathBuf::from("2026/11/2026-11-26_untagged/video/C0001.MP4");
    assert_eq!(
        archive.get(&clip_rel),
        Some(&blake3::hash(&clip).to_hex().to_string())
    );
    // A sidecar has no capture time: it is filed by its modification day, as `other`.
    assert!(
        archive.keys().any(|k| k.ends_with("other/IMG_0001.XMP")),
        "{archive:?}"
    );
    env.assert_archive_matches_catalog();
    assert_eq!(env.staging_files(), 0);

    let second = env.ingest(&[&card]);
    assert_eq!(second["archived"], 0, "{second}");
    assert_eq!(second["duplicates"], 14, "{second}");
    assert_eq!(
        env.archive_files(),
        archive,
        "the second run changed the archive"
    );
}

#[test]
fn the_same_card_dropped_into_two_folders_is_stored_once_with_both_sources() {
    let env = Env::new("");
    let budi = env.inbox.join("budi/2026-11-26 kunjungan");
    let sari = env.inbox.join("sari/kartu");
    let photos = write_card(&budi, 6, 100);
    write_card(&sari, 6, 100);

    let summary = env.ingest(&[&env.inbox]);
    assert_eq!(summary["archived"], 6, "{summary}");
    assert_eq!(summary["duplicates"], 6, "{summary}");
    assert_eq!(env.archive_files().len(), 6);
    let id = hash_of(&photos[0]);
    let sources: i64 = env
        .catalog()
        .query_row(
            "SELECT count(*) FROM sources WHERE asset_id = ?1",
            [&id],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(sources, 2, "both drop locations are recorded");
}

#[test]
fn bad_input_gets_a_clear_reason_and_nothing_is_lost() {
    let env = Env::new("");
    let drop = env.dir.path().join("drop");
    std::fs::create_dir_all(&drop).unwrap();
    let outside = env.dir.path().join("secret.jpg");
    std::fs::write(&outside, photo(7, "2026:11:26 10:00:00")).unwrap();
    std::os::unix::fs::symlink(&outside, drop.join("link.jpg")).unwrap();
    std::fs::write(drop.join("empty.jpg"), b"").unwrap();
    let whole = photo(8, "2026:11:26 10:00:00");
    std::fs::write(drop.join("truncated.jpg"), &whole[..whole.len() * 6 / 10]).unwrap();
    let fifo = std::ffi::CString::new(drop.join("pipe.jpg").as_os_str().as_bytes()).unwrap();
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
    let odd_name = std::ffi::OsStr::from_bytes(b"foto \xff\n-rf.jpg");
    std::fs::write(drop.join(odd_name), photo(9, "2026:11:26 10:00:00")).unwrap();

    let summary = env.ingest(&[&drop]);
    let errors: Vec<(String, String)> = summary["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_owned(),
                e["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let reason_for = |name: &str| {
        errors
            .iter()
            .find(|(p, _)| p.ends_with(name))
            .map(|(_, r)| r.clone())
            .unwrap_or_else(|| panic!("no error for {name}: {errors:?}"))
    };
    assert!(
        reason_for("link.jpg").contains("outside the inbox"),
        "{errors:?}"
    );
    assert!(reason_for("empty.jpg").contains("empty"), "{errors:?}");
    assert!(
        reason_for("pipe.jpg").contains("not a regular file"),
        "{errors:?}"
    );
    assert!(
        reason_for("truncated.jpg").contains("damaged"),
        "{errors:?}"
    );
    assert_eq!(summary["rejected"], 3, "{summary}");
    assert_eq!(
        summary["archived"], 2,
        "the truncated file and the odd name: {summary}"
    );
    assert_eq!(summary["damaged"], 1, "{summary}");

    let archive = env.archive_files();
    assert!(
        !archive.values().any(|h| *h == hash_of(&outside)),
        "the symlink target must not be read"
    );
    let truncated: Vec<_> = archive
        .keys()
        .filter(|p| p.ends_with("truncated.jpg"))
        .collect();
    assert_eq!(
        truncated.len(),
        1,
        "a damaged file is still archived: its bytes are the record"
    );
    assert!(
        archive
            .keys()
            .any(|p| p.file_name().unwrap().as_bytes() == odd_name.as_bytes()),
        "odd names survive byte for byte"
    );
    let damaged: String = env
        .catalog()
        .query_row(
            "SELECT damaged FROM assets WHERE file_name = 'truncated.jpg'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!damaged.is_empty());
    let rejections: i64 = env
        .catalog()
        .query_row("SELECT count(*) FROM rejections", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rejections, 3);
    env.assert_archive_matches_catalog();
}

#[test]
fn a_name_taken_by_different_content_gets_the_hash_before_its_extension() {
    let env = Env::new("");
    let (a, b) = (env.dir.path().join("a"), env.dir.path().join("b"));
    let first = write_card(&a, 1, 200);
    let second = write_card(&b, 1, 300);
    env.ingest(&[&a]);
    let summary = env.ingest(&[&b]);
    assert_eq!(summary["archived"], 1, "{summary}");
    let archive = env.archive_files();
    let folder = Path::new("2026/11/2026-11-26_untagged/photo");
    assert_eq!(
        archive.get(&folder.join("IMG_0001.JPG")),
        Some(&hash_of(&first[0]))
    );
    let id = hash_of(&second[0]);
    assert_eq!(
        archive.get(&folder.join(format!("IMG_0001_{}.JPG", &id[..8]))),
        Some(&id)
    );
}

#[test]
fn sources_are_deleted_only_when_configured_and_only_after_archiving() {
    let env = Env::new("delete_source_after_verify = true");
    let card = env.dir.path().join("card");
    let photos = write_card(&card, 3, 400);
    let hashes: Vec<String> = photos.iter().map(|p| hash_of(p)).collect();
    std::fs::write(card.join("empty.jpg"), b"").unwrap();
    let summary = env.ingest(&[&card]);
    assert_eq!(summary["archived"], 3, "{summary}");
    for p in &photos {
        assert!(
            !p.exists(),
            "{} should be removed after verify",
            p.display()
        );
    }
    assert!(
        card.join("empty.jpg").exists(),
        "a rejected file is never removed"
    );
    let archived: Vec<String> = env.archive_files().into_values().collect();
    for h in &hashes {
        assert!(
            archived.contains(h),
            "a deleted source must be in the archive"
        );
    }

    let keep = Env::new("");
    let card = keep.dir.path().join("card");
    let photos = write_card(&card, 2, 500);
    keep.ingest(&[&card]);
    assert!(
        photos.iter().all(|p| p.exists()),
        "sources are untouched by default"
    );
}

#[test]
fn a_bad_config_exits_2_naming_the_key() {
    let env = Env::new("");
    std::fs::write(&env.config, "[ingest]\nsettle_secs = 3\n").unwrap();
    let out = env
        .liputan()
        .args(["ingest", "--json", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("ingest.settle_secs"));
    std::fs::write(&env.config, "[time]\nzone = \"WITA\"\n").unwrap();
    let out = env
        .liputan()
        .args(["ingest", "--json", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("time.zone"));
    let out = env.liputan().args(["frobnicate"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "usage errors exit 2");
}
