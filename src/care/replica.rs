//! Replicas: full copies of the archive on other disks, same relative paths.
//!
//! A replica root is recognised by its `.liputan-replica` marker, written (with
//! an id the catalog keeps) when the daemon first finds the configured folder
//! empty. A known replica whose folder or marker is missing is offline (a disk
//! not mounted): it is skipped and never written to, so an empty mount point
//! is not filled by mistake; it is caught up when it returns. A folder that is
//! not empty and has no marker is refused.
//!
//! Each file is copied like ingest copies (`ingest::store`): streamed into
//! `<replica>/.liputan-tmp` while hashed, fsynced, dropped from the cache and
//! hashed again from disk, compared with the asset id, renamed into place
//! without replacing anything, folder fsynced; only then does the catalog say
//! the replica holds it. A re-filed asset is copied to its new path first and
//! the old copy removed after. The catalog is the work queue: a restart, or a
//! replica away for a month, just means more rows to do.

use std::io;
use std::path::{Path, PathBuf};

use super::{hash_path, Stop, Throttle};
use crate::catalog::{Catalog, ReplicaTodo};
use crate::config::Config;
use crate::error::{IoContext, Result};
use crate::ingest::store;

/// The marker file at the root of every replica.
pub const MARKER: &str = ".liputan-replica";
/// Copies being verified, inside the replica (same filesystem: atomic rename).
pub const TMP: &str = ".liputan-tmp";

/// Whether a replica can be used now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Probe {
    Online,
    Offline(String),
}

/// Finds out whether the replica at `root` is there. With `initialise`, an
/// empty folder never seen before becomes a replica (its marker is written),
/// and a replica disk with another marker is adopted (what it holds is
/// checked again file by file).
pub fn probe(catalog: &Catalog, root: &Path, initialise: bool) -> Result<Probe> {
    match std::fs::metadata(root) {
        Ok(meta) if meta.is_dir() => {}
        Ok(_) => return Ok(Probe::Offline("not a folder".into())),
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Ok(Probe::Offline(
                "the folder is missing (disk not mounted?)".into(),
            ))
        }
        Err(e) => return Ok(Probe::Offline(format!("cannot open the folder: {e}"))),
    }
    let known = catalog.replica(root)?;
    match std::fs::read_to_string(root.join(MARKER)) {
        Ok(text) => {
            let id = marker_id(&text);
            match known {
                Some(r) if r.marker == id => Ok(Probe::Online),
                _ if id.is_empty() => Ok(Probe::Offline(format!(
                    "{MARKER} is not a liputan marker; refusing to write"
                ))),
                _ if !initialise => Ok(Probe::Offline(
                    "a replica disk this catalog does not know yet; the daemon adopts it".into(),
                )),
                Some(r) => {
                    tracing::warn!(replica = %root.display(), old = %r.marker, new = %id,
                        "another replica disk is mounted here; adopting it (its files are checked again)");
                    catalog.set_replica_marker(root, &id)?;
                    Ok(Probe::Online)
                }
                None => {
                    catalog.set_replica_marker(root, &id)?;
                    Ok(Probe::Online)
                }
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            if known.is_some() {
                return Ok(Probe::Offline(format!(
                    "its {MARKER} marker is missing (disk not mounted?)"
                )));
            }
            let empty = std::fs::read_dir(root)
                .at("reading", root)?
                .next()
                .is_none();
            if !empty {
                return Ok(Probe::Offline(format!(
                    "the folder is not empty and has no {MARKER} marker; refusing to write there"
                )));
            }
            if !initialise {
                return Ok(Probe::Offline(
                    "not initialised yet (the daemon initialises an empty folder)".into(),
                ));
            }
            let id = crate::auth::new_secret()?[..16].to_owned();
            write_marker(root, &id)?;
            catalog.set_replica_marker(root, &id)?;
            tracing::info!(replica = %root.display(), "initialised a new replica");
            Ok(Probe::Online)
        }
        Err(e) => Ok(Probe::Offline(format!("cannot read its {MARKER}: {e}"))),
    }
}

fn marker_id(text: &str) -> String {
    text.lines()
        .next()
        .and_then(|l| l.strip_prefix("liputan-replica "))
        .map(|id| id.trim().to_owned())
        .unwrap_or_default()
}

fn write_marker(root: &Path, id: &str) -> Result<()> {
    use std::io::Write;
    let tmp = root.join(format!("{MARKER}.tmp"));
    let text = format!(
        "liputan-replica {id}\nThis folder is a replica of a liputan archive, kept and verified by liputan.\n\
         Do not edit or delete files here. Without this file liputan treats the disk as not mounted.\n"
    );
    let mut f = std::fs::File::create(&tmp).at("creating", &tmp)?;
    f.write_all(text.as_bytes()).at("writing", &tmp)?;
    f.sync_all().at("syncing", &tmp)?;
    let marker = root.join(MARKER);
    store::rename_noreplace(&tmp, &marker).at("placing", &marker)?;
    store::fsync_dir(root).at("syncing", root)
}

/// The replica worker: every `replica_poll`, each replica that is online gets
/// what it lacks. Runs until `stop`.
pub fn worker(config: &Config, catalog: &Catalog, stop: &Stop) {
    let mut last: Vec<Option<Probe>> = vec![None; config.replicas.len()];
    loop {
        for (i, root) in config.replicas.iter().enumerate() {
            if stop.stopped() {
                return;
            }
            let state = match probe(catalog, root, true) {
                Ok(state) => state,
                Err(e) => Probe::Offline(e.to_string()),
            };
            if last[i].as_ref() != Some(&state) {
                match &state {
                    Probe::Online => tracing::info!(replica = %root.display(), "replica online"),
                    Probe::Offline(why) => {
                        tracing::warn!(replica = %root.display(), "replica offline: {why}")
                    }
                }
                last[i] = Some(state.clone());
            }
            let note = match &state {
                Probe::Online => match catch_up(catalog, &config.archive, root, stop) {
                    Ok(done) => {
                        if done.copied + done.moved > 0 {
                            tracing::info!(replica = %root.display(), copied = done.copied,
                                moved = done.moved, adopted = done.adopted, failed = done.failed,
                                "replica caught up");
                        }
                        done.last_error
                    }
                    Err(e) => Some(e.to_string()),
                },
                Probe::Offline(why) => Some(why.clone()),
            };
            let online = state == Probe::Online;
            if let Err(e) = catalog.set_replica_state(root, online, note.as_deref()) {
                tracing::error!(replica = %root.display(), "cannot record the replica's state: {e}");
            }
        }
        if stop.wait(config.replica_poll) {
            return;
        }
    }
}

/// What one catch-up round did.
#[derive(Debug, Default)]
pub struct Round {
    pub copied: u64,
    pub moved: u64,
    pub adopted: u64,
    pub failed: u64,
    pub last_error: Option<String>,
}

/// Copies to `root` every archived file it does not hold at its current path.
pub fn catch_up(catalog: &Catalog, archive: &Path, root: &Path, stop: &Stop) -> Result<Round> {
    let tmp = root.join(TMP);
    clear_tmp(&tmp);
    store::create_dir_durable(&tmp).at("creating", &tmp)?;
    let mut round = Round::default();
    let mut failed = std::collections::HashSet::new();
    const BATCH: usize = 64;
    loop {
        let todo: Vec<ReplicaTodo> = catalog
            .replica_todo(root, BATCH + failed.len())?
            .into_iter()
            .filter(|t| !failed.contains(&t.id))
            .collect();
        if todo.is_empty() {
            return Ok(round);
        }
        for t in todo {
            if stop.stopped() {
                return Ok(round);
            }
            // Unmounted midway? Then the folder is the bare mount point: stop writing.
            if !root.join(MARKER).exists() {
                round.last_error = Some(format!("its {MARKER} marker vanished (disk unmounted?)"));
                return Ok(round);
            }
            match copy_one(archive, root, &tmp, &t, stop) {
                Ok(Done::Copied) => round.copied += 1,
                Ok(Done::Adopted) => round.adopted += 1,
                Ok(Done::Stopped) => return Ok(round),
                Err(reason) => {
                    tracing::warn!(replica = %root.display(), path = %t.archive_path.display(),
                        "replica copy failed (retried later): {reason}");
                    round.failed += 1;
                    round.last_error = Some(format!("{}: {reason}", t.archive_path.display()));
                    failed.insert(t.id.clone());
                    continue;
                }
            }
            if let Some(old) = t.old_path.as_deref().filter(|old| *old != t.archive_path) {
                remove_old(root, old, &t.id);
                round.moved += 1;
            }
            catalog.replica_copied(root, &t.id, &t.archive_path)?;
        }
    }
}

enum Done {
    Copied,
    /// The right content was already there (a crash after the rename, a re-seeded disk).
    Adopted,
    Stopped,
}

fn copy_one(
    archive: &Path,
    root: &Path,
    tmp: &Path,
    t: &ReplicaTodo,
    stop: &Stop,
) -> std::result::Result<Done, String> {
    let dst = root.join(&t.archive_path);
    if let Some(done) = already_there(&dst, &t.id, stop)? {
        return Ok(done);
    }
    let src = archive.join(&t.archive_path);
    let (mut file, _) = store::open_source(&src).map_err(|e| match e {
        store::OpenError::Io(e) if e.kind() == io::ErrorKind::NotFound => {
            "the archive file moved meanwhile".to_owned()
        }
        other => format!("cannot open {}: {other}", src.display()),
    })?;
    // Streamed, hashed, fsynced, read back from disk and hashed again.
    let staged = store::stage_copy(&mut file, tmp).map_err(|e| e.to_string())?;
    if staged.hash.to_hex().as_str() != t.id {
        let _ = std::fs::remove_file(&staged.path);
        return Err(format!(
            "the archive file {} does not match its catalog hash; not copied (run `liputan verify`)",
            src.display()
        ));
    }
    let parent = dst.parent().unwrap_or(root);
    let placed = store::create_dir_durable(parent)
        .and_then(|()| store::rename_noreplace(&staged.path, &dst));
    match placed {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            let _ = std::fs::remove_file(&staged.path);
            return match already_there(&dst, &t.id, stop)? {
                Some(done) => Ok(done),
                None => Err("the destination appeared and vanished".into()),
            };
        }
        Err(e) => {
            let _ = std::fs::remove_file(&staged.path);
            return Err(format!("placing {}: {e}", dst.display()));
        }
    }
    store::fsync_dir(parent).map_err(|e| format!("syncing {}: {e}", parent.display()))?;
    Ok(Done::Copied)
}

/// `Some` when `dst` already holds the right content (or the check was stopped),
/// an error when something else is in the way.
fn already_there(dst: &Path, id: &str, stop: &Stop) -> std::result::Result<Option<Done>, String> {
    match std::fs::symlink_metadata(dst) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("cannot look at {}: {e}", dst.display())),
        Ok(meta) if !meta.is_file() => Err(format!(
            "{} is in the way (not a regular file)",
            dst.display()
        )),
        Ok(_) => match hash_path(dst, &Throttle::new(0), stop) {
            Ok(None) => Ok(Some(Done::Stopped)),
            Ok(Some((hash, _))) if hash.to_hex().as_str() == id => Ok(Some(Done::Adopted)),
            Ok(Some(_)) => Err(format!(
                "a different file is in the way at {}; left alone",
                dst.display()
            )),
            Err(e) => Err(format!("cannot read {}: {e}", dst.display())),
        },
    }
}

/// Removes the copy an asset left at its old path, if it is that asset's
/// content, and the folders it leaves empty.
fn remove_old(root: &Path, old: &Path, id: &str) {
    let path = root.join(old);
    match hash_path(&path, &Throttle::new(0), &Stop::default()) {
        Ok(Some((hash, _))) if hash.to_hex().as_str() == id => {}
        _ => return,
    }
    if std::fs::remove_file(&path).is_err() {
        return;
    }
    let mut dir: Option<PathBuf> = path.parent().map(Path::to_owned);
    if let Some(d) = &dir {
        let _ = store::fsync_dir(d);
    }
    while let Some(d) = dir {
        if d == root || !d.starts_with(root) || std::fs::remove_dir(&d).is_err() {
            break;
        }
        dir = d.parent().map(Path::to_owned);
        if let Some(parent) = &dir {
            let _ = store::fsync_dir(parent);
        }
    }
}

/// Removes copies a crash or a stop left half-done.
fn clear_tmp(tmp: &Path) {
    if let Ok(entries) = std::fs::read_dir(tmp) {
        for entry in entries.flatten() {
            if entry.file_type().is_ok_and(|t| t.is_file()) {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unknown_full_folder_is_refused_and_an_empty_one_initialised_once() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(&dir.path().join("c.sqlite")).unwrap();
        let full = dir.path().join("full");
        std::fs::create_dir(&full).unwrap();
        std::fs::write(full.join("x"), "x").unwrap();
        assert!(matches!(
            probe(&catalog, &full, true).unwrap(),
            Probe::Offline(_)
        ));
        assert!(!full.join(MARKER).exists());

        let empty = dir.path().join("empty");
        std::fs::create_dir(&empty).unwrap();
        assert!(matches!(
            probe(&catalog, &empty, false).unwrap(),
            Probe::Offline(_)
        ));
        assert_eq!(probe(&catalog, &empty, true).unwrap(), Probe::Online);
        assert!(empty.join(MARKER).exists());
        assert_eq!(probe(&catalog, &empty, false).unwrap(), Probe::Online);
        // Unmounted: the bare mount point is empty again, but known: offline.
        std::fs::remove_file(empty.join(MARKER)).unwrap();
        assert!(matches!(
            probe(&catalog, &empty, true).unwrap(),
            Probe::Offline(_)
        ));
        assert!(!empty.join(MARKER).exists());
        std::fs::remove_dir(&empty).unwrap();
        assert!(matches!(
            probe(&catalog, &empty, true).unwrap(),
            Probe::Offline(_)
        ));
    }
}
