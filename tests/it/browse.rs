//! Finding and fetching what was ingested: `liputan search`, `liputan reindex`
//! and `GET /api/assets...` on a real index, real thumbnails and real files.

use std::path::Path;

use liputan::media::synth::{self, SynthPhoto};

use crate::harness::{get, served_addr, Env};

/// 30 photos over three days (10 a day, one day's named after the event) and a clip.
fn write_coverage(dir: &Path) {
    let folder = dir.join("budi/DCIM/100CANON");
    std::fs::create_dir_all(&folder).unwrap();
    for day in 0..3u64 {
        for i in 0..10u64 {
            let name = if day == 1 {
                format!("peresmian_jembatan_{i:02}.JPG")
            } else {
                format!("IMG_{day}{i:03}.JPG")
            };
            let captured = format!("2026:11:{:02} {:02}:{:02}:00", 24 + day, 8 + i, 10 + day);
            let bytes = synth::jpeg(&SynthPhoto {
                width: 800,
                height: 600,
                captured: Some(captured),
                seed: day * 100 + i,
                ..Default::default()
            });
            std::fs::write(folder.join(name), bytes).unwrap();
        }
    }
    let clip = synth::mp4("2026-11-26T06:00:00Z".parse().unwrap(), 5_000, 640, 360);
    std::fs::write(folder.join("C0001.MP4"), clip).unwrap();
}

fn search(env: &Env, args: &[&str]) -> serde_json::Value {
    let out = env
        .liputan()
        .args(["search", "--json"])
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn ids(value: &serde_json::Value, key: &str) -> Vec<String> {
    value[key]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["id"].as_str().unwrap().to_owned())
        .collect()
}

#[test]
fn an_ingested_card_is_found_by_word_form_date_and_kind_and_survives_a_reindex() {
    let env = Env::new("");
    write_coverage(&env.inbox);
    let summary = env.ingest(&[&env.inbox]);
    assert_eq!(summary["archived"], 31, "{summary}");

    let all = search(&env, &["*"]);
    assert_eq!(all["total"], 31, "{all}");
    let times: Vec<&str> = all["hits"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["captured_at"].as_str().unwrap())
        .collect();
    let mut sorted = times.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(times, sorted, "newest capture first");
    assert!(times[0].ends_with("+08:00"), "times in WITA: {}", times[0]);

    assert_eq!(
        search(&env, &["--limit", "5", "*"])["hits"]
            .as_array()
            .unwrap()
            .len(),
        5
    );
    // Another form of the word in the file names finds them.
    let found = search(&env, &["meresmikan"]);
    assert_eq!(found["total"], 10, "{found}");
    assert!(found["hits"]
        .as_array()
        .unwrap()
        .iter()
        .all(|h| h["file_name"].as_str().unwrap().starts_with("peresmian")));
    let day = search(&env, &["--from", "2026-11-25", "--to", "2026-11-25", "*"]);
    assert_eq!(day["total"], 10, "{day}");
    let videos = search(&env, &["--kind", "video", "*"]);
    assert_eq!(videos["total"], 1, "{videos}");

    // The index is derived: delete it and rebuild it from the catalog.
    let before = ids(&search(&env, &["--limit", "100", "*"]), "hits");
    std::fs::remove_dir_all(env.data.join("index")).unwrap();
    let out = env.liputan().arg("reindex").output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(ids(&search(&env, &["--limit", "100", "*"]), "hits"), before);
    assert_eq!(search(&env, &["meresmikan"])["total"], 10);
}

#[test]
fn the_api_pages_filters_and_serves_thumbnails_and_ranges_of_originals() {
    let env = Env::new("");
    write_coverage(&env.inbox);
    env.ingest(&[&env.inbox]);
    let daemon = env.serve();
    let addr = served_addr(&env);

    // Pages are disjoint, newest first, and add up to the total.
    let mut seen = Vec::new();
    for page in 1..=4 {
        let reply = get(&addr, &format!("/api/assets?per_page=10&page={page}"), &[]);
        assert_eq!(reply.status, 200);
        let body = reply.json();
        assert_eq!(body["total"], 31);
        seen.extend(ids(&body, "items"));
    }
    let unique: std::collections::BTreeSet<_> = seen.iter().collect();
    assert_eq!((seen.len(), unique.len()), (31, 31));

    let day = get(
        &addr,
        "/api/assets?from=2026-11-24&to=2026-11-24&kind=photo",
        &[],
    )
    .json();
    assert_eq!(day["total"], 10, "{day}");
    let bad = get(&addr, "/api/assets?from=24-11-2026", &[]);
    assert_eq!(bad.status, 400);
    assert!(
        bad.json()["error"].as_str().unwrap().starts_with("from"),
        "the error names the field"
    );
    assert_eq!(get(&addr, "/api/assets?per_page=501", &[]).status, 400);

    // One asset, its thumbnail (cached by content hash) and its original with Range.
    let first = &get(&addr, "/api/assets?q=peresmian&per_page=1", &[]).json()["items"][0];
    let id = first["id"].as_str().unwrap();
    let asset = get(&addr, &format!("/api/assets/{id}"), &[]).json();
    assert_eq!(asset["file_name"], first["file_name"]);
    assert_eq!(asset["thumb_url"], format!("/api/assets/{id}/thumb"));
    let thumb = get(&addr, &format!("/api/assets/{id}/thumb"), &[]);
    assert_eq!(thumb.status, 200);
    assert_eq!(thumb.header("content-type"), Some("image/jpeg"));
    assert_eq!(thumb.header("etag"), Some(format!("\"{id}\"").as_str()));
    let img = image::load_from_memory(&thumb.body).expect("a real JPEG thumbnail");
    assert_eq!(img.width().max(img.height()), 320);
    let etag = format!("\"{id}\"");
    assert_eq!(
        get(
            &addr,
            &format!("/api/assets/{id}/thumb"),
            &[("If-None-Match", &etag)]
        )
        .status,
        304
    );
    assert_eq!(
        get(&addr, &format!("/api/assets/{id}/preview"), &[]).status,
        200
    );

    let source = std::fs::read(env.archive.join(asset["archive_path"].as_str().unwrap())).unwrap();
    let whole = get(&addr, &format!("/api/assets/{id}/original"), &[]);
    assert_eq!(whole.status, 200);
    assert_eq!(whole.body, source);
    let part = get(
        &addr,
        &format!("/api/assets/{id}/original"),
        &[("Range", "bytes=10-19")],
    );
    assert_eq!(part.status, 206);
    assert_eq!(part.body, source[10..20]);
    assert_eq!(
        part.header("content-range"),
        Some(format!("bytes 10-19/{}", source.len()).as_str())
    );
    let past = get(
        &addr,
        &format!("/api/assets/{id}/original"),
        &[("Range", "bytes=999999999-")],
    );
    assert_eq!(past.status, 416);
    let download = get(&addr, &format!("/api/assets/{id}/original?download=1"), &[]);
    assert!(download
        .header("content-disposition")
        .unwrap()
        .starts_with("attachment"));
    assert_eq!(get(&addr, "/api/assets/0000/thumb", &[]).status, 404);
    daemon.stop();
}
