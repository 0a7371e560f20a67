//! `/metrics` and `/readyz` on a real daemon, and `liputan status` beside it.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use crate::harness::{get, request_anonymous, served_addr_anonymous, wait_until, write_card, Env};

const MINUTE: Duration = Duration::from_secs(60);

/// Checks the Prometheus text format line by line and returns the samples
/// (`name{labels}` -> value). Panics naming the first bad line.
fn parse_prometheus(text: &str) -> BTreeMap<String, f64> {
    let mut types: BTreeMap<String, String> = BTreeMap::new();
    let mut sampled: BTreeSet<String> = BTreeSet::new();
    let mut samples = BTreeMap::new();
    for line in text.lines() {
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("# TYPE ") {
            let (name, kind) = rest.split_once(' ').expect("TYPE name kind");
            assert!(
                ["counter", "gauge", "histogram", "summary", "untyped"].contains(&kind),
                "bad type: {line}"
            );
            assert!(!sampled.contains(name), "TYPE after samples: {line}");
            assert!(
                types.insert(name.to_owned(), kind.to_owned()).is_none(),
                "TYPE twice: {line}"
            );
            continue;
        }
        if let Some(rest) = line.strip_prefix("# HELP ") {
            assert!(rest.split_once(' ').is_some(), "HELP name text: {line}");
            continue;
        }
        assert!(!line.starts_with('#'), "unknown comment: {line}");
        let (series, value) = line.rsplit_once(' ').expect("sample: name value");
        let value: f64 = match value {
            "+Inf" => f64::INFINITY,
            "-Inf" => f64::NEG_INFINITY,
            "NaN" => f64::NAN,
            v => v.parse().unwrap_or_else(|_| panic!("bad value in {line}")),
        };
        let name = match series.split_once('{') {
            Some((name, labels)) => {
                let labels = labels.strip_suffix('}').expect("labels end with }");
                for pair in labels.split(',').filter(|p| !p.is_empty()) {
                    let (k, v) = pair.split_once('=').expect("label=value");
                    assert!(
                        k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
                        "label name in {line}"
                    );
                    assert!(
                        v.starts_with('"') && v.ends_with('"') && v.len() >= 2,
                        "quoted label value in {line}"
                    );
                }
                name
            }
            None => series,
        };
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':'),
            "metric name in {line}"
        );
        let family = ["_bucket", "_sum", "_count"]
            .iter()
            .find_map(|suffix| {
                name.strip_suffix(suffix)
                    .filter(|base| types.get(*base).map(String::as_str) == Some("histogram"))
            })
            .unwrap_or(name);
        assert!(
            types.contains_key(family),
            "sample without a TYPE before it: {line}"
        );
        sampled.insert(family.to_owned());
        samples.insert(series.to_owned(), value);
    }
    samples
}

#[test]
fn metrics_count_an_ingested_card_in_prometheus_text() {
    let env = Env::new("");
    let files = write_card(&env.inbox.join("budi/kartu"), 4, 7100);
    let bytes: u64 = files
        .iter()
        .map(|p| std::fs::metadata(p).unwrap().len())
        .sum();
    let daemon = env.serve();
    let addr = served_addr_anonymous(&env);
    let scrape = || {
        let reply = request_anonymous("GET", &addr, "/metrics", &[], None);
        assert_eq!(reply.status, 200, "/metrics without a login");
        let ct = reply.header("content-type").unwrap_or_default().to_owned();
        assert!(ct.starts_with("text/plain; version=0.0.4"), "{ct}");
        String::from_utf8(reply.body).expect("UTF-8")
    };
    wait_until(MINUTE, "the card is archived and derived", || {
        let m = parse_prometheus(&scrape());
        m.get("liputan_ingested_files_total") == Some(&4.0)
            && m.get("liputan_thumbnails_waiting") == Some(&0.0)
    });
    let text = scrape();
    let m = parse_prometheus(&text);
    let at = |k: &str| *m.get(k).unwrap_or_else(|| panic!("no {k} in\n{text}"));
    assert_eq!(at("liputan_ingested_files_total"), 4.0);
    assert_eq!(at("liputan_ingested_bytes_total"), bytes as f64);
    assert_eq!(at("liputan_archive_files"), 4.0);
    assert_eq!(at("liputan_ingest_duplicates_total"), 0.0);
    assert_eq!(at("liputan_ingest_rejected_total"), 0.0);
    assert_eq!(at("liputan_archive_damaged_files"), 0.0);
    assert_eq!(
        at("liputan_triage_files"),
        4.0,
        "no assignments: all in triage"
    );
    assert_eq!(at("liputan_ingest_paused"), 0.0);
    assert!(at("liputan_archive_free_bytes") > 0.0);
    // The latency histogram: one observation per archived file, cumulative buckets.
    assert_eq!(at("liputan_ingest_latency_seconds_count"), 4.0);
    assert_eq!(
        at("liputan_ingest_latency_seconds_bucket{le=\"+Inf\"}"),
        4.0
    );
    assert!(at("liputan_ingest_latency_seconds_sum") > 0.0);
    let buckets: Vec<f64> = m
        .iter()
        .filter(|(k, _)| k.starts_with("liputan_ingest_latency_seconds_bucket"))
        .map(|(_, v)| *v)
        .collect();
    assert!(buckets.len() > 2, "{text}");
    assert_eq!(at("liputan_thumbnail_seconds_count"), 4.0);
    assert!(text.contains("# TYPE liputan_search_seconds histogram"));
    assert!(text.contains("# TYPE liputan_ingested_files_total counter"));

    // A search is timed.
    let before = at("liputan_search_seconds_count");
    let token = env.admin_token();
    let auth = format!("Bearer {token}");
    let found = get(&addr, "/api/assets?q=*", &[("Authorization", &auth)]);
    assert_eq!(found.status, 200);
    let after = parse_prometheus(&scrape())["liputan_search_seconds_count"];
    assert_eq!(after, before + 1.0);
    daemon.stop();
}

fn status_json(env: &Env) -> (bool, serde_json::Value) {
    let out = env
        .liputan()
        .args(["status", "--json"])
        .output()
        .expect("run liputan status");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.success(), json)
}

#[test]
fn readyz_names_an_unwritable_archive_and_status_agrees() {
    let env = Env::new("");
    write_card(&env.inbox.join("sari/kartu"), 1, 7200);
    let daemon = env.serve();
    let addr = served_addr_anonymous(&env);
    wait_until(MINUTE, "the card is archived", || {
        env.catalogued().len() == 1
    });

    let ready = request_anonymous("GET", &addr, "/readyz", &[], None);
    assert_eq!(
        ready.status,
        200,
        "{}",
        String::from_utf8_lossy(&ready.body)
    );
    let body = ready.json();
    assert_eq!(body["ready"], true);
    for check in ["catalog", "index", "archive_writable", "free_space"] {
        assert_eq!(body["checks"][check], "ok", "{check}: {body}");
    }
    let ffmpeg = body["checks"]["ffmpeg"].as_str().expect("ffmpeg check");
    assert!(
        ffmpeg == "present" || ffmpeg.starts_with("missing"),
        "{ffmpeg}"
    );
    assert_eq!(env.staging_files(), 0, "the probe file is removed");

    // The CLI, beside the running daemon, says the same.
    let (ok, status) = status_json(&env);
    assert!(ok, "liputan status exits 0 when ready: {status}");
    assert_eq!(status, body, "liputan status --json and /readyz agree");

    // Writes into the archive fail (as root, chmod would not stop them):
    // the staging folder becomes a plain file.
    let staging = env.archive.join(".staging");
    std::fs::remove_dir(&staging).expect("staging is empty");
    std::fs::write(&staging, b"not a folder").unwrap();
    // Why a check failed names folders: only an admin sees it.
    let admin = format!("Bearer {}", env.admin_token());
    let broken = request_anonymous("GET", &addr, "/readyz", &[("Authorization", &admin)], None);
    assert_eq!(broken.status, 503);
    let body = broken.json();
    assert_eq!(body["ready"], false);
    let why = body["checks"]["archive_writable"].as_str().unwrap();
    assert!(why != "ok" && why.contains(".staging"), "{body}");
    assert_eq!(body["checks"]["catalog"], "ok");
    let (ok, status) = status_json(&env);
    assert!(!ok, "liputan status exits 1 when not ready");
    assert_eq!(
        status["checks"]["archive_writable"],
        body["checks"]["archive_writable"]
    );
    // The daemon is still up, and ready again once the folder is back.
    assert_eq!(get(&addr, "/healthz", &[]).status, 200);
    std::fs::remove_file(&staging).unwrap();
    std::fs::create_dir(&staging).unwrap();
    assert_eq!(
        request_anonymous("GET", &addr, "/readyz", &[], None).status,
        200
    );
    daemon.stop();

    // Without the daemon.
    let (ok, status) = status_json(&env);
    assert!(ok, "{status}");
    assert_eq!(status["checks"]["index"], "ok");
    let human = env.liputan().arg("status").output().unwrap();
    assert!(human.status.success());
    assert!(String::from_utf8_lossy(&human.stdout).starts_with("ready"));
}
