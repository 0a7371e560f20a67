//! What liputan creates is for its own user only, however it was started:
//! `serve` run by hand from a shell whose umask is 022 makes no file or
//! folder that another local user can read (the catalog holds password
//! hashes; thumbnails and previews show every photo).

use std::os::unix::fs::PermissionsExt as _;
use std::os::unix::process::CommandExt as _;
use std::path::Path;
use std::process::Stdio;
use std::time::Duration;

use crate::harness::{wait_until, write_card, Env};

/// Every path under `root` whose mode lets group or others in.
fn open_to_others(root: &Path, out: &mut Vec<String>) {
    let Ok(meta) = std::fs::symlink_metadata(root) else {
        return;
    };
    let mode = meta.permissions().mode();
    if mode & 0o077 != 0 && !meta.file_type().is_symlink() {
        out.push(format!("{} {:o}", root.display(), mode & 0o777));
    }
    if meta.is_dir() {
        for entry in std::fs::read_dir(root).into_iter().flatten().flatten() {
            open_to_others(&entry.path(), out);
        }
    }
}

fn count_files(root: &Path) -> usize {
    std::fs::read_dir(root)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| {
            let p = e.path();
            if p.is_dir() {
                count_files(&p)
            } else {
                1
            }
        })
        .sum()
}

#[test]
fn serve_started_by_hand_with_umask_022_makes_nothing_readable_by_others() {
    let env = Env::new("");
    // A data folder left 0755 by an older run is closed too.
    std::fs::create_dir_all(&env.data).unwrap();
    std::fs::set_permissions(&env.data, std::fs::Permissions::from_mode(0o755)).unwrap();
    write_card(&env.inbox.join("budi/kartu"), 3, 700);

    let mut cmd = env.liputan();
    cmd.arg("serve").stdout(Stdio::null()).stderr(Stdio::from(
        std::fs::File::create(env.dir.path().join("serve.log")).unwrap(),
    ));
    // SAFETY: umask is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        cmd.pre_exec(|| {
            libc::umask(0o022);
            Ok(())
        });
    }
    let mut child = cmd.spawn().expect("spawn liputan serve");

    // Archived, then both derived images of each photo made.
    let images = |folder: &str| count_files(&env.data.join(folder));
    wait_until(
        Duration::from_secs(60),
        "3 thumbnails and 3 previews",
        || images("thumbs") >= 3 && images("previews") >= 3,
    );
    let _ = child.kill();
    let _ = child.wait();

    assert_eq!(env.archive_files().len(), 3);
    let mut open = Vec::new();
    open_to_others(&env.data, &mut open);
    open_to_others(&env.archive, &mut open);
    assert!(
        open.is_empty(),
        "readable by other users:\n{}",
        open.join("\n")
    );
    assert!(env.data.join("catalog.sqlite").exists());
}
