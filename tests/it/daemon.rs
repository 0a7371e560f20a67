//! `liputan serve`: the real watcher, settling and workers, driven by files
//! written into the inbox while it runs (and while it is stopped).

use std::io::Write;
use std::time::Duration;

use crate::harness::{hash_of, photo, wait_until, write_card, Env};

const MINUTE: Duration = Duration::from_secs(60);

fn archived_count(env: &Env) -> usize {
    env.catalogued().len()
}

#[test]
fn a_slowly_written_file_is_taken_only_when_complete() {
    let env = Env::new("incomplete_grace_seconds = 30");
    let daemon = env.serve();
    let folder = env.inbox.join("budi/DCIM/100CANON");
    std::fs::create_dir_all(&folder).unwrap();
    let data = photo(42, "2026:11:26 09:00:00");
    let explorer = photo(43, "2026:11:26 09:01:00");

    // A slow writer: appends a chunk every 250 ms for 10 s.
    let slow_path = folder.join("IMG_0001.JPG");
    // Explorer over SMB: the full size first, the data after.
    let presized_path = folder.join("IMG_0002.JPG");
    let mut slow = std::fs::File::create(&slow_path).unwrap();
    let presized = std::fs::File::create(&presized_path).unwrap();
    presized.set_len(explorer.len() as u64).unwrap();
    let chunks = 40;
    for i in 0..chunks {
        let (a, b) = (data.len() * i / chunks, data.len() * (i + 1) / chunks);
        slow.write_all(&data[a..b]).unwrap();
        slow.flush().unwrap();
        let (c, d) = (
            explorer.len() * i / chunks,
            explorer.len() * (i + 1) / chunks,
        );
        std::os::unix::fs::FileExt::write_all_at(&presized, &explorer[c..d], c as u64).unwrap();
        std::thread::sleep(Duration::from_millis(250));
        assert_eq!(
            archived_count(&env),
            0,
            "a file was archived while still being written (chunk {i})"
        );
    }
    drop((slow, presized));

    wait_until(MINUTE, "both files archived", || archived_count(&env) == 2);
    let archive = env.archive_files();
    assert!(archive.values().any(|h| *h == hash_of(&slow_path)));
    assert!(archive.values().any(|h| *h == hash_of(&presized_path)));
    assert_eq!(
        archive.len(),
        2,
        "no half-copied version was archived: {archive:?}"
    );
    env.assert_archive_matches_catalog();
    daemon.stop();
}

#[test]
fn files_dropped_while_stopped_are_taken_at_start_and_cards_dropped_twice_are_stored_once() {
    let env = Env::new("incomplete_grace_seconds = 2");
    // Dropped before the daemon ever runs.
    let before = write_card(&env.inbox.join("budi/pagi"), 5, 1000);
    let daemon = env.serve();
    wait_until(MINUTE, "the backlog is archived", || {
        archived_count(&env) == 5
    });

    // The same card again, into another folder, while it runs: no new archive files.
    write_card(&env.inbox.join("sari/kartu-sama"), 5, 1000);
    wait_until(MINUTE, "duplicates recorded", || {
        env.catalog()
            .query_row("SELECT count(*) FROM sources", [], |r| r.get::<_, i64>(0))
            .unwrap_or(0)
            == 10
    });
    assert_eq!(archived_count(&env), 5);
    daemon.stop();

    // Dropped while it is stopped, with bad input among them.
    let later = write_card(&env.inbox.join("budi/sore"), 3, 2000);
    std::fs::write(env.inbox.join("budi/sore/empty.jpg"), b"").unwrap();
    let whole = photo(3000, "2026:11:26 16:00:00");
    std::fs::write(
        env.inbox.join("budi/sore/truncated.jpg"),
        &whole[..whole.len() / 2],
    )
    .unwrap();
    let secret = env.dir.path().join("secret.jpg");
    std::fs::write(&secret, photo(3001, "2026:11:26 16:00:00")).unwrap();
    std::os::unix::fs::symlink(&secret, env.inbox.join("budi/sore/link.jpg")).unwrap();
    let daemon = env.serve();
    // 5 + 3 photos + the truncated one (archived, flagged damaged).
    wait_until(
        MINUTE,
        "the files dropped while stopped are archived",
        || archived_count(&env) == 9,
    );
    wait_until(MINUTE, "the rejections are recorded", || {
        env.catalog()
            .query_row("SELECT count(*) FROM rejections", [], |r| {
                r.get::<_, i64>(0)
            })
            .unwrap_or(0)
            == 2
    });
    let archive = env.archive_files();
    for p in before.iter().chain(&later) {
        assert!(
            archive.values().any(|h| *h == hash_of(p)),
            "{} missing",
            p.display()
        );
    }
    assert!(
        !archive.values().any(|h| *h == hash_of(&secret)),
        "a symlink out of the inbox was followed"
    );
    let reasons: Vec<String> = env
        .catalog()
        .prepare("SELECT reason FROM rejections ORDER BY reason")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(reasons[0].contains("empty"), "{reasons:?}");
    assert!(reasons[1].contains("outside the inbox"), "{reasons:?}");
    let damaged: i64 = env
        .catalog()
        .query_row(
            "SELECT count(*) FROM assets WHERE damaged IS NOT NULL AND file_name = 'truncated.jpg'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(damaged, 1);
    env.assert_archive_matches_catalog();
    daemon.stop();
    assert!(env.log().contains("liputan is running"), "{}", env.log());
}
