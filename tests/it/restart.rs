//! Stopping and starting the daemon: SIGTERM in the middle of a batch, and a
//! search index deleted or garbled while it was down. The next start must
//! neither lose nor repeat work, and the index is derived: rebuilt, not needed.

use std::time::{Duration, Instant};

use crate::harness::{get, metric, served_addr, wait_until, write_card, Env};

const MINUTE: Duration = Duration::from_secs(60);

/// The number of archived assets the daemon's search finds for `query`.
fn found(addr: &str, query: &str) -> u64 {
    let reply = get(addr, &format!("/api/assets?q={query}&per_page=1"), &[]);
    assert_eq!(reply.status, 200);
    reply.json()["total"].as_u64().unwrap_or(0)
}

fn sources_per_path(env: &Env) -> Vec<i64> {
    let db = env.catalog();
    let mut stmt = db
        .prepare("SELECT count(*) FROM sources GROUP BY path")
        .unwrap();
    let counts = stmt
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(|r| r.unwrap())
        .collect();
    counts
}

#[test]
fn sigterm_mid_batch_stops_within_10_s_and_the_next_start_neither_loses_nor_repeats() {
    const FILES: u64 = 400;
    let env = Env::new("");
    // Written before the start: the first scan finds the whole batch at once.
    let written = write_card(&env.inbox.join("budi/kartu"), FILES, 9000);
    let daemon = env.serve();
    let addr = served_addr(&env);
    wait_until(MINUTE, "the batch under way", || {
        env.catalogued().len() >= 20
    });
    let pid = daemon.child.id() as i32;
    let asked = Instant::now();
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let mut daemon = daemon;
    let status = loop {
        if let Some(status) = daemon.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            asked.elapsed() < Duration::from_secs(10),
            "still running 10 s after SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let took = asked.elapsed();
    assert!(status.success(), "a clean exit: {status:?}\n{}", env.log());
    let done_first = env.catalogued().len() as u64;
    eprintln!("SIGTERM mid-batch: stopped in {took:?} with {done_first}/{FILES} archived");
    assert!(
        done_first < FILES,
        "the stop came mid-batch (all {FILES} were done already; make the batch bigger)"
    );
    env.assert_archive_matches_catalog();

    // The next start finishes the batch, hashing and copying only what the
    // first run had not archived, and counts no duplicates.
    let first_log = env.log();
    let daemon = env.serve();
    let addr2 = served_addr(&env);
    assert_ne!(addr, addr2, "a new daemon");
    wait_until(MINUTE, "the whole batch archived", || {
        env.catalogued().len() as u64 == FILES
    });
    wait_until(MINUTE, "the counters settle", || {
        metric(&addr2, "liputan_ingest_in_flight_files") == 0.0
            && metric(&addr2, "liputan_ingest_pending_files") == 0.0
    });
    let ingested_second = metric(&addr2, "liputan_ingested_files_total") as u64;
    let duplicates_second = metric(&addr2, "liputan_ingest_duplicates_total") as u64;
    daemon.stop();
    assert_eq!(
        ingested_second,
        FILES - done_first,
        "the second run ingested exactly what the first left\nfirst run:\n{first_log}"
    );
    assert_eq!(duplicates_second, 0, "nothing re-hashed as a duplicate");
    assert_eq!(env.archive_files().len() as u64, FILES, "each file once");
    env.assert_archive_matches_catalog();
    assert_eq!(env.staging_files(), 0, "no staging leftovers");
    let per_path = sources_per_path(&env);
    assert_eq!(per_path.len(), written.len());
    assert!(per_path.iter().all(|&n| n == 1), "one source row per file");
}

#[test]
fn a_deleted_or_garbled_index_is_rebuilt_when_the_daemon_starts() {
    let env = Env::new("");
    write_card(&env.inbox.join("budi/kartu"), 30, 9500);
    let index = env.data.join("index");

    let daemon = env.serve();
    let addr = served_addr(&env);
    wait_until(MINUTE, "30 files searchable", || {
        found(&addr, "canon") == 30
    });
    daemon.stop();

    // Deleted while the daemon was down.
    std::fs::remove_dir_all(&index).unwrap();
    let daemon = env.serve();
    let addr = served_addr(&env);
    let started = Instant::now();
    wait_until(MINUTE, "the index rebuilt after deletion", || {
        found(&addr, "canon") == 30
    });
    eprintln!("deleted index rebuilt in {:?}", started.elapsed());
    daemon.stop();

    // Garbled: every file in the folder overwritten with junk of its own length.
    let mut garbled = 0;
    for entry in std::fs::read_dir(&index).unwrap() {
        let path = entry.unwrap().path();
        if path.is_file() {
            let len = std::fs::metadata(&path).unwrap().len() as usize;
            std::fs::write(&path, vec![0x5a; len.max(16)]).unwrap();
            garbled += 1;
        }
    }
    assert!(garbled > 1, "the index had files to garble");
    let daemon = env.serve();
    let addr = served_addr(&env);
    let started = Instant::now();
    wait_until(MINUTE, "the index rebuilt after garbling", || {
        found(&addr, "canon") == 30
    });
    eprintln!("garbled index rebuilt in {:?}", started.elapsed());
    daemon.stop();
    let moved_aside = std::fs::read_dir(&env.data)
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().starts_with("index.broken-"))
        .count();
    assert_eq!(
        moved_aside, 1,
        "the garbled index kept aside for a post-mortem"
    );
    assert!(
        env.log().contains("rebuilding it from the catalog"),
        "the log says why: {}",
        env.log()
    );

    // Half-written segments (truncated files, meta.json intact) are caught too.
    let mut truncated = 0;
    for entry in std::fs::read_dir(&index).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if path.is_file() && !name.ends_with(".json") && !name.starts_with('.') {
            let len = std::fs::metadata(&path).unwrap().len();
            if len > 0 {
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(&path)
                    .unwrap()
                    .set_len(len / 2)
                    .unwrap();
                truncated += 1;
            }
        }
    }
    assert!(truncated > 0, "segment files to truncate");
    let daemon = env.serve();
    let addr = served_addr(&env);
    wait_until(MINUTE, "the index rebuilt after truncation", || {
        found(&addr, "canon") == 30
    });
    daemon.stop();
}

#[test]
fn sigterm_while_the_daemon_is_still_starting_is_a_graceful_stop() {
    let env = Env::new("");
    write_card(&env.inbox.join("budi/kartu"), 20, 9700);
    for _ in 0..3 {
        let mut daemon = env.serve();
        // The first line of the log comes before the catalog is opened and
        // the archive recovered: stop right there.
        let started = Instant::now();
        while !env.log().contains("panel on http://") {
            assert!(started.elapsed() < MINUTE, "the daemon never started");
            std::thread::sleep(Duration::from_millis(2));
        }
        unsafe { libc::kill(daemon.child.id() as i32, libc::SIGTERM) };
        let status = daemon.child.wait().unwrap();
        assert!(
            status.success(),
            "a stop while starting exits cleanly (not killed by the signal): {status:?}\n{}",
            env.log()
        );
        assert!(env.log().contains("stopped"), "{}", env.log());
    }
    env.assert_archive_matches_catalog();
    assert_eq!(env.staging_files(), 0);
}
