//! Crash safety: `liputan ingest` killed with SIGKILL part-way, then run again.
//! Every file must end archived exactly once, and the catalog must match the archive.

use std::collections::BTreeSet;
use std::time::Duration;

use crate::harness::{hash_of, photo, Env};

#[test]
fn a_killed_ingest_resumes_with_every_file_archived_exactly_once() {
    let env = Env::new("");
    let card = env.dir.path().join("card/DCIM/100CANON");
    std::fs::create_dir_all(&card).unwrap();
    let mut expected = BTreeSet::new();
    for i in 0..300u64 {
        let path = card.join(format!("IMG_{i:04}.JPG"));
        std::fs::write(&path, photo(10_000 + i, "2026:11:26 08:00:00")).unwrap();
        expected.insert(hash_of(&path));
    }
    let card_root = env.dir.path().join("card");

    // Kill at later and later moments (mid-copy, mid-rename, mid-commit) until a
    // run gets through on its own; each run resumes what the last one left.
    let mut killed_mid_run = 0;
    for round in 0..60u64 {
        let mut child = env
            .liputan()
            .args(["ingest", "--json"])
            .arg(&card_root)
            .stdout(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(100 + round * 60));
        if child.try_wait().unwrap().is_some() {
            break;
        }
        child.kill().unwrap();
        child.wait().unwrap();
        let archived = env.catalogued().len();
        if archived > 0 && archived < 300 {
            killed_mid_run += 1;
        }
    }
    assert!(
        killed_mid_run >= 3,
        "only {killed_mid_run} runs were killed part-way through the card"
    );
    let summary = env.ingest(&[&card_root]);
    assert_eq!(summary["errors"].as_array().unwrap().len(), 0, "{summary}");
    let total = summary["archived"].as_u64().unwrap() + summary["duplicates"].as_u64().unwrap();
    assert_eq!(total, 300, "{summary}");

    let archive = env.archive_files();
    let stored: BTreeSet<String> = archive.values().cloned().collect();
    assert_eq!(stored, expected, "every file archived");
    assert_eq!(archive.len(), 300, "and exactly once");
    env.assert_archive_matches_catalog();
    assert_eq!(env.staging_files(), 0, "no staging leftovers");
    let placing: i64 = env
        .catalog()
        .query_row(
            "SELECT count(*) FROM assets WHERE status != 'archived'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(placing, 0);
}
