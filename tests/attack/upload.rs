//! Issue #12, items 2, 5 and 14 against the real daemon: a browser upload
//! finished through a symlink planted in the uploader's inbox folder writes
//! nothing outside that folder; uploads reserve the space they declared and
//! have a per-person quota; concurrent downloads of one report's package
//! share one bounded build.

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{json, Value};

use crate::harness::{
    request, send_json, served_addr, upload_patch as patch, wait_until, Env, Reply,
};

fn create(addr: &str, token: &str, name: &str, size: u64) -> Reply {
    crate::harness::upload_create(addr, token, &json!({"name": name, "size": size}))
}

fn text(reply: &Reply) -> String {
    String::from_utf8_lossy(&reply.body).into_owned()
}

/// Every regular file under `dir` (links not followed), as paths.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for entry in entries.map(Result::unwrap) {
        let ft = entry.file_type().unwrap();
        if ft.is_dir() {
            out.extend(files_under(&entry.path()));
        } else if ft.is_file() {
            out.push(entry.path());
        }
    }
    out
}

/// Free bytes for this user on the filesystem holding `path`.
fn free_bytes(path: &Path) -> u64 {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).unwrap();
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { libc::statvfs(c.as_ptr(), &mut stat) }, 0);
    stat.f_bavail as u64 * stat.f_frsize as u64
}

/// Replaces `[server]`'s first line with itself plus `extra` (the harness
/// only appends to `[ingest]`).
fn with_server_keys(env: &Env, extra: &str) {
    let config = std::fs::read_to_string(&env.config).unwrap();
    let config = config.replacen("[server]\n", &format!("[server]\n{extra}\n"), 1);
    std::fs::write(&env.config, config).unwrap();
}

#[test]
fn an_upload_finished_through_a_planted_symlink_writes_nothing_outside_the_folder() {
    let env = Env::new("");
    let daemon = env.serve();
    let addr = served_addr(&env);
    let budi = env.account("budi", "staf", false);
    let outside = env.dir.path().join("outside");
    std::fs::create_dir_all(&outside).unwrap();
    let payload = b"bytes of budi's upload, not a photo".to_vec();

    // Two attempts: the day folder a link to another photographer's folder,
    // then to a folder outside the inbox. The link is planted after the
    // upload was created (the folder name carries the server's date).
    let sari_dir = env.inbox.join("sari");
    for (n, planted_to) in [(1, None), (2, Some(outside.clone()))] {
        let made = create(&addr, &budi, &format!("FOTO_{n}.JPG"), payload.len() as u64);
        assert_eq!(made.status, 201, "{}", text(&made));
        let made = made.json();
        let id = made["id"].as_str().unwrap().to_owned();
        let folder = made["folder"].as_str().unwrap().to_owned();
        let target = planted_to.unwrap_or_else(|| sari_dir.join(&folder));
        std::fs::create_dir_all(&target).unwrap();
        std::fs::create_dir_all(env.inbox.join("budi")).unwrap();
        let link = env.inbox.join("budi").join(&folder);
        let _ = std::fs::remove_file(&link);
        std::os::unix::fs::symlink(&target, &link).unwrap();

        let last = patch(&addr, &budi, &id, 0, &payload);
        eprintln!(
            "finish through a link to {}: {} {}",
            target.display(),
            last.status,
            text(&last)
        );
        if last.status == 200 && last.json()["done"] == true {
            // Landed: only acceptable in a real folder of budi's.
            let name = last.json()["file_name"].as_str().unwrap().to_owned();
            let landed = env.inbox.join("budi").join(&folder).join(&name);
            let meta = std::fs::symlink_metadata(landed.parent().unwrap()).unwrap();
            assert!(meta.is_dir(), "landed in a real folder");
        } else {
            assert!(
                (400..600).contains(&last.status),
                "{} {}",
                last.status,
                text(&last)
            );
            assert!(text(&last).contains("folder:"), "{}", text(&last));
        }
        assert!(
            files_under(&target).is_empty(),
            "nothing written through the link into {}: {:?}",
            target.display(),
            files_under(&target)
        );
        std::fs::remove_file(&link).unwrap();
    }
    // Nothing anywhere in the test folder outside budi's folder and the
    // staging area, and the archive has nothing of sari's.
    let stray: Vec<PathBuf> = files_under(env.dir.path())
        .into_iter()
        .filter(|p| std::fs::read(p).is_ok_and(|b| b == payload))
        .filter(|p| !p.starts_with(env.inbox.join(".liputan-uploads")))
        .filter(|p| !p.starts_with(env.inbox.join("budi")))
        .collect();
    assert!(
        stray.is_empty(),
        "the upload's bytes outside budi's folder: {stray:?}"
    );
    assert!(files_under(&sari_dir).is_empty());
    daemon.stop();
}

#[test]
fn uploads_reserve_their_space_and_have_a_quota() {
    let env = Env::new("");
    // Leave 4 GiB between free space and min_free: a 3 GiB upload fits,
    // two do not. The margins (1 GiB, 2 GiB) absorb other writers on the
    // disk between this look and the server's.
    const GIB: u64 = 1 << 30;
    let free = free_bytes(&env.inbox);
    assert!(
        free > 6 * GIB,
        "this test needs 6 GiB free, {free} available"
    );
    let min_free_mb = (free - 4 * GIB) / (1 << 20);
    let config = std::fs::read_to_string(&env.config).unwrap();
    let config = config.replace(
        "min_free_mb = 1\n",
        &format!("min_free_mb = {min_free_mb}\n"),
    );
    std::fs::write(&env.config, config).unwrap();
    with_server_keys(&env, "upload_quota_mb = 7000\nupload_max_open = 3");
    let daemon = env.serve();
    let addr = served_addr(&env);
    let budi = env.account("budi", "staf", false);
    let sari = env.account("sari", "staf", false);

    // More than free space minus min_free: refused at creation.
    let huge = create(&addr, &budi, "BESAR.MP4", 11 * GIB / 2);
    assert_eq!(huge.status, 507, "{}", text(&huge));
    assert!(text(&huge).contains("ruang kosong"), "{}", text(&huge));

    // Each fits alone, not together: the first one's reservation counts.
    let first = create(&addr, &budi, "SATU.MP4", 3 * GIB);
    assert_eq!(first.status, 201, "{}", text(&first));
    let second = create(&addr, &sari, "DUA.MP4", 3 * GIB);
    assert_eq!(second.status, 507, "{}", text(&second));
    let message = second.json()["error"].as_str().unwrap().to_owned();
    assert!(message.starts_with("size: ruang kosong"), "{message}");
    assert!(message.contains("dipesan"), "{message}");

    // Quota per person (7000 MB of open uploads): budi has 3 GiB open.
    let over = create(&addr, &budi, "TIGA.MP4", 9 * GIB / 2);
    assert_eq!(over.status, 507, "{}", text(&over));
    assert!(text(&over).contains("kuota"), "{}", text(&over));
    // ...and at most 3 open uploads each (small ones: space is not the limit).
    for n in 0..2 {
        let small = create(&addr, &budi, &format!("KECIL_{n}.JPG"), 1000);
        assert_eq!(small.status, 201, "{}", text(&small));
    }
    let fourth = create(&addr, &budi, "KECIL_3.JPG", 1000);
    assert_eq!(fourth.status, 429, "{}", text(&fourth));
    assert!(fourth.header("Retry-After").is_some());
    assert!(
        text(&fourth).contains("terlalu banyak"),
        "{}",
        text(&fourth)
    );
    // Someone else is not bound by budi's count.
    let other = create(&addr, &sari, "LAIN.JPG", 1000);
    assert_eq!(other.status, 201, "{}", text(&other));
    daemon.stop();
}

/// Peak resident memory of a process, KiB (`VmHWM`).
fn peak_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

fn ok(reply: &Reply, what: &str) -> Value {
    assert!(
        (200..300).contains(&reply.status),
        "{what}: {} {}",
        reply.status,
        text(reply)
    );
    reply.json()
}

#[test]
fn concurrent_package_downloads_share_one_bounded_build() {
    use liputan::media::synth::{self, SynthPhoto};
    let env = Env::new("");
    let daemon = env.serve();
    let addr = served_addr(&env);
    let budi = env.account("budi", "staf", false);
    ok(
        &send_json(
            "POST",
            &addr,
            "/api/cameras",
            &json!({"serial": "CAM45", "owner": "budi", "make": "Nikon", "model": "Z 7II"}),
        ),
        "add camera",
    );
    let event = ok(
        &send_json(
            "POST",
            &addr,
            "/api/events",
            &json!({"title": "Rapat koordinasi", "leader": "gubernur", "location": "Tanjung Selor",
                    "starts_at": "2026-11-26T08:00:00+08:00", "ends_at": "2026-11-26T10:00:00+08:00"}),
        ),
        "add event",
    )["id"]
        .as_i64()
        .unwrap();
    let assignment = ok(
        &send_json(
            "POST",
            &addr,
            "/api/assignments",
            &json!({"event_id": event, "crew": [{"username": "budi", "role": "fotografer"}]}),
        ),
        "add assignment",
    )["id"]
        .as_i64()
        .unwrap();
    // A 45 Mpx photo (8256 x 5504), as the attack used.
    let card = env.inbox.join("budi").join("DCIM");
    std::fs::create_dir_all(&card).unwrap();
    let spec = SynthPhoto {
        width: 8256,
        height: 5504,
        captured: Some("2026:11:26 09:00:00".into()),
        offset: Some("+08:00".into()),
        serial: Some("CAM45".into()),
        make: Some("Nikon".into()),
        model: Some("Z 7II".into()),
        seed: 45,
        ..SynthPhoto::default()
    };
    let tmp = env.dir.path().join("big.jpg");
    std::fs::write(&tmp, synth::jpeg(&spec)).unwrap();
    std::fs::rename(&tmp, card.join("DSC_0001.JPG")).unwrap();
    let mut asset = String::new();
    wait_until(Duration::from_secs(120), "the photo tagged", || {
        let list =
            crate::harness::get(&addr, &format!("/api/assets?assignment={assignment}"), &[]).json();
        match list["items"][0]["id"].as_str() {
            Some(id) => {
                asset = id.to_owned();
                true
            }
            None => false,
        }
    });
    let auth = format!("Bearer {budi}");
    let report = json!({"title": "Rapat", "body": "Isi berita.", "asset_ids": [asset]}).to_string();
    let submitted = request(
        "POST",
        &addr,
        &format!("/api/assignments/{assignment}/report"),
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        Some(report.as_bytes()),
    );
    ok(&submitted, "submit");
    ok(
        &send_json(
            "POST",
            &addr,
            &format!("/api/assignments/{assignment}/approve"),
            &json!({}),
        ),
        "approve",
    );
    // Let the thumbnails of the big photo finish, then forget the peak so
    // far: what is measured is the downloads'.
    wait_until(
        Duration::from_secs(120),
        "the thumbnail and preview made",
        || {
            ["thumb", "preview"].iter().all(|size| {
                let r = crate::harness::get(&addr, &format!("/api/assets/{asset}/{size}"), &[]);
                r.status == 200 && r.header("Content-Type") == Some("image/jpeg")
            })
        },
    );
    let pid = daemon.child.id();
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").unwrap();
    let before = peak_kib(pid);

    let path = format!("/api/assignments/{assignment}/package.zip");
    let replies: Vec<Reply> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..6)
            .map(|_| s.spawn(|| crate::harness::get(&addr, &path, &[])))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let peak = peak_kib(pid);
    eprintln!("package downloads: VmHWM {before} kB before, {peak} kB after");
    let zips: Vec<&Reply> = replies.iter().filter(|r| r.status == 200).collect();
    assert!(!zips.is_empty());
    for r in &replies {
        assert!(
            r.status == 200 || (r.status == 503 && r.header("Retry-After").is_some()),
            "{} {}",
            r.status,
            text(r)
        );
    }
    for zip in &zips {
        assert_eq!(zip.body, zips[0].body, "every download the same ZIP");
        assert_eq!(&zip.body[..4], b"PK\x03\x04");
        assert_eq!(
            zip.header("Content-Length")
                .and_then(|v| v.parse::<usize>().ok()),
            Some(zip.body.len())
        );
    }
    // One build of a 45 Mpx photo is ~200 MB over the idle daemon; six at
    // once were 868 MB. Allow one build and a half.
    assert!(
        peak < before + 350 * 1024,
        "peak RSS {peak} kB, {before} kB before the downloads"
    );
    daemon.stop();
}
