//! Ingest: one settled file becomes a verified, catalogued archive file, a
//! recorded duplicate, or a rejection with a reason. The only writer of archive
//! files. The daemon (`pipeline`) and the one-shot command (`oneshot`) both run
//! every file through [`Ingestor::ingest`].
//!
//! Order of work for one file: open (regular files only, no symlinks) -> metadata
//! -> dedup (hash first only when an asset of the same size exists) -> staged copy
//! with hash, fsync and read-back -> source re-checked -> claim in the catalog ->
//! rename into place -> commit -> optionally delete the source.

pub mod layout;
pub mod oneshot;
pub mod pipeline;
pub mod refile;
pub mod scan;
pub mod settle;
pub mod store;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::catalog::{Catalog, Claim, Known, NewAsset, SourceSeen};
use crate::config::Config;
use crate::error::{Error, IoContext, Result};
use crate::media::{self, CaptureTime, Kind, Metadata, TimeSource};

pub use layout::Placement;
pub use scan::Candidate;
use store::{FileStat, OpenError, StageError};

/// How many times a copy is redone after a failed fsync or read-back.
const COPY_ATTEMPTS: usize = 3;

/// The result of ingesting one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new archive file. `damaged` carries the decoder's reason.
    Archived {
        id: String,
        size: u64,
        damaged: Option<String>,
        tagged: bool,
    },
    /// Same content as an archived asset; this source location was recorded.
    Duplicate { id: String },
    /// Not archived, with a reason a person can read.
    Rejected { reason: String },
    /// Try again later (the file changed while it was copied, or vanished).
    Retry { reason: String },
    /// Something failed; nothing was archived and the source is untouched.
    Failed { reason: String },
}

/// Waits out a full archive disk: ingest pauses instead of failing files, and
/// resumes on its own when space returns.
pub struct DiskGate {
    archive: PathBuf,
    min_free: u64,
    /// Daemon: wait for space. One-shot: report and move on.
    wait: bool,
    paused: Mutex<Option<String>>,
    stop: Arc<AtomicBool>,
}

impl DiskGate {
    pub fn new(archive: PathBuf, min_free: u64, wait: bool, stop: Arc<AtomicBool>) -> DiskGate {
        DiskGate {
            archive,
            min_free,
            wait,
            paused: Mutex::new(None),
            stop,
        }
    }

    /// Why ingest is paused, if it is.
    pub fn paused(&self) -> Option<String> {
        self.paused
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn set_paused(&self, why: Option<String>) {
        let mut slot = self.paused.lock().unwrap_or_else(|e| e.into_inner());
        match (&*slot, &why) {
            (None, Some(msg)) => tracing::warn!("ingest paused: {msg}"),
            (Some(_), None) => tracing::info!("ingest resumed: the archive disk has space again"),
            _ => {}
        }
        *slot = why;
    }

    /// Returns once `need` bytes plus the reserve fit on the archive disk.
    /// Errors when not waiting (one-shot) or when the daemon is stopping.
    fn wait_for_space(&self, need: u64) -> Result<()> {
        loop {
            let free =
                store::free_bytes(&self.archive).at("checking free space on", &self.archive)?;
            if free >= need.saturating_add(self.min_free) {
                self.set_paused(None);
                return Ok(());
            }
            let msg = format!(
                "the archive disk at {} is full: {} MB free, {} MB needed (with a reserve of {} MB)",
                self.archive.display(),
                free / 1_048_576,
                need / 1_048_576 + 1,
                self.min_free / 1_048_576
            );
            if !self.wait || self.stop.load(Ordering::Relaxed) {
                return Err(Error::Invalid(msg));
            }
            self.set_paused(Some(msg));
            std::thread::sleep(Duration::from_secs(2));
        }
    }
}

/// Ingests files into the archive. Shared by worker threads; blocking.
pub struct Ingestor {
    config: Arc<Config>,
    catalog: Arc<Catalog>,
    staging: PathBuf,
    pub gate: DiskGate,
    /// Decides each new file's assignment (or triage).
    tagger: Arc<crate::schedule::tagger::Tagger>,
    /// Rung after each commit, so derived data follows at once.
    wake: Arc<crate::derived::Wake>,
    /// Held for the Ingestor's life: recovery must never run while another
    /// process is mid-copy in the same archive.
    _lock: std::fs::File,
}

impl Ingestor {
    /// Prepares the archive (and its staging folder) for writing.
    pub fn new(
        config: Arc<Config>,
        catalog: Arc<Catalog>,
        wait_for_space: bool,
        stop: Arc<AtomicBool>,
        wake: Arc<crate::derived::Wake>,
        tagger: Arc<crate::schedule::tagger::Tagger>,
    ) -> Result<Ingestor> {
        let lock = store::lock_exclusive(&config.data.join("ingest.lock"))?;
        let staging = config.archive.join(".staging");
        store::create_dir_durable(&staging).at("creating the staging folder", &staging)?;
        let gate = DiskGate::new(
            config.archive.clone(),
            config.min_free_bytes,
            wait_for_space,
            stop,
        );
        Ok(Ingestor {
            config,
            catalog,
            staging,
            gate,
            wake,
            tagger,
            _lock: lock,
        })
    }

    /// Tells a worker waiting for disk space to give up: the daemon is stopping.
    pub fn gate_stop(&self) {
        self.gate.stop.store(true, Ordering::Relaxed);
    }

    pub fn catalog(&self) -> &Arc<Catalog> {
        &self.catalog
    }

    /// Ingests one file. Never panics on bad input; every failure is an `Outcome`.
    pub fn ingest(&self, candidate: &Candidate) -> Outcome {
        match self.try_ingest(candidate) {
            Ok(outcome) => outcome,
            Err(e) => Outcome::Failed {
                reason: e.to_string(),
            },
        }
    }

    fn try_ingest(&self, candidate: &Candidate) -> Result<Outcome> {
        let path = &candidate.path;
        // Confined to the inbox root: no symbolic link is followed, not even a
        // folder on the way that was swapped for a link after the scan saw it.
        let (mut file, stat) = match store::open_source_beneath(&candidate.root, path) {
            Ok(opened) => opened,
            Err(e @ OpenError::ThroughLink(_)) => {
                // Nothing at the far end is looked at, not even its size.
                let seen = SourceSeen {
                    path: path.clone(),
                    size: 0,
                    mtime_ns: 0,
                };
                let reason = e.to_string();
                self.catalog.record_rejection(&seen, &reason, false)?;
                return Ok(Outcome::Rejected { reason });
            }
            Err(OpenError::NotRegular(what)) => {
                let reason = format!("not a regular file ({what}); not read");
                return self.reject_unopened(path, reason, true);
            }
            Err(OpenError::Io(e)) if e.kind() == std::io::ErrorKind::NotFound => {
                return Ok(Outcome::Retry {
                    reason: "the file disappeared".into(),
                })
            }
            Err(OpenError::Io(e)) => {
                return self.reject_unopened(path, format!("cannot be read: {e}"), false)
            }
        };
        let seen = SourceSeen {
            path: path.clone(),
            size: stat.size,
            mtime_ns: stat.mtime_ns,
        };
        match self.catalog.known(&seen)? {
            Some(Known::Source(id)) => return Ok(Outcome::Duplicate { id }),
            Some(Known::Rejected(reason)) => return Ok(Outcome::Rejected { reason }),
            None => {}
        }
        if stat.size == 0 {
            let reason = "empty file (0 bytes)".to_owned();
            self.catalog.record_rejection(&seen, &reason, true)?;
            return Ok(Outcome::Rejected { reason });
        }
        let kind = Kind::from_path(path);
        let metadata = self.read_metadata(&file, path, kind, &stat);

        // Only a file whose size some asset already has can be a duplicate:
        // hash it first then, and skip the copy when it is one.
        let mut prehash = None;
        if self.catalog.has_size(stat.size)? {
            let hash = store::hash_file(&mut file).at("reading", path)?;
            let id = hash.to_hex().to_string();
            if self.catalog.archived(&id)?.is_some() {
                return self.duplicate(&id, &seen, stat);
            }
            prehash = Some(hash);
        }

        let staged = match self.stage(&mut file, stat.size)? {
            Ok(staged) => staged,
            Err(outcome) => return Ok(outcome),
        };
        if let Some(reason) = source_changed(&file, path, &stat, prehash, &staged) {
            let _ = std::fs::remove_file(&staged.path);
            return Ok(Outcome::Retry { reason });
        }
        let id = staged.hash.to_hex().to_string();
        let asset = NewAsset {
            id: id.clone(),
            size: staged.size,
            kind,
            file_name: path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned(),
            archive_path: PathBuf::new(),
            metadata,
            drop_folder: candidate.drop_folder(),
            tag: Default::default(),
        };
        self.place(asset, &staged.path, path, &seen, stat)
    }

    /// Copies into staging, waiting out a full disk and redoing failed syncs.
    /// The inner `Err` is an outcome to report instead of a staged copy.
    fn stage(&self, file: &mut std::fs::File, size: u64) -> Result<Result<store::Staged, Outcome>> {
        let mut last = String::new();
        for _ in 0..COPY_ATTEMPTS {
            self.gate.wait_for_space(size)?;
            match store::stage_copy(file, &self.staging) {
                Ok(staged) => return Ok(Ok(staged)),
                // Not an attempt: wait for space, then copy again.
                Err(StageError::NoSpace) => {
                    self.gate
                        .wait_for_space(size.saturating_add(self.config.min_free_bytes))?;
                    continue;
                }
                Err(e @ (StageError::Fsync(_) | StageError::ReadBackMismatch)) => {
                    tracing::warn!("{e}");
                    last = e.to_string();
                }
                Err(e) => {
                    return Ok(Err(Outcome::Failed {
                        reason: e.to_string(),
                    }))
                }
            }
        }
        Ok(Err(Outcome::Failed { reason: last }))
    }

    fn read_metadata(
        &self,
        file: &std::fs::File,
        name: &Path,
        kind: Kind,
        stat: &FileStat,
    ) -> Metadata {
        let mut metadata = media::read_metadata_from(file, name, kind, self.config.zone);
        if metadata.captured_at.is_none() {
            // No usable time in the file: its mtime, flagged as such.
            if let Ok(utc) = jiff::Timestamp::from_nanosecond(stat.mtime_ns as i128) {
                metadata.captured_at = Some(CaptureTime {
                    utc,
                    offset_seconds: self.config.zone.seconds(),
                    source: TimeSource::FileMtime,
                });
            }
        }
        metadata
    }

    fn duplicate(&self, id: &str, seen: &SourceSeen, stat: FileStat) -> Result<Outcome> {
        self.catalog.record_source(id, seen)?;
        self.delete_source_if_configured(id, &seen.path, stat)?;
        Ok(Outcome::Duplicate { id: id.to_owned() })
    }

    fn reject_unopened(&self, path: &Path, reason: String, permanent: bool) -> Result<Outcome> {
        let stat = std::fs::symlink_metadata(path)
            .map(|m| FileStat::of(&m))
            .ok();
        let seen = SourceSeen {
            path: path.to_owned(),
            size: stat.map_or(0, |s| s.size),
            mtime_ns: stat.map_or(0, |s| s.mtime_ns),
        };
        self.catalog.record_rejection(&seen, &reason, permanent)?;
        Ok(Outcome::Rejected { reason })
    }

    /// Records a file that the scan refused to read (a symlink out of the root, a FIFO).
    pub fn refuse(&self, path: &Path, stat: FileStat, reason: &str) -> Result<Outcome> {
        let seen = SourceSeen {
            path: path.to_owned(),
            size: stat.size,
            mtime_ns: stat.mtime_ns,
        };
        self.catalog.record_rejection(&seen, reason, true)?;
        Ok(Outcome::Rejected {
            reason: reason.to_owned(),
        })
    }

    /// Claims a name in the archive, renames the staged copy there and commits.
    fn place(
        &self,
        mut asset: NewAsset,
        staged: &Path,
        source: &Path,
        seen: &SourceSeen,
        stat: FileStat,
    ) -> Result<Outcome> {
        let date = layout::day_of(asset.metadata.captured_at.map(|c| c.utc), self.config.zone);
        let (tag, placement) = self.tagger.tag_new(&asset);
        asset.tag = tag;
        let folder = layout::folder(date, &placement, asset.kind);
        let name = source.file_name().unwrap_or_default();
        let names = [name.to_owned(), layout::with_hash_suffix(name, &asset.id)];
        for name in names {
            asset.archive_path = folder.join(&name);
            match self.catalog.claim(&asset, staged)? {
                Claim::AlreadyArchived => {
                    let _ = std::fs::remove_file(staged);
                    return self.duplicate(&asset.id, seen, stat);
                }
                Claim::PathTaken => continue,
                Claim::Claimed => {}
            }
            let dir = self.config.archive.join(&folder);
            let target = dir.join(&name);
            let moved = store::create_dir_durable(&dir)
                .and_then(|()| store::rename_noreplace(staged, &target))
                .and_then(|()| store::fsync_dir(&dir));
            match moved {
                Ok(()) => {}
                // A file nobody catalogued sits there: never replace it.
                Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                    tracing::warn!(path = %target.display(), "an uncatalogued file holds this archive name; using another");
                    self.catalog.abandon_claim(&asset.id)?;
                    continue;
                }
                Err(e) => {
                    self.catalog.abandon_claim(&asset.id)?;
                    let _ = std::fs::remove_file(staged);
                    return Err(Error::Io {
                        action: "moving the verified copy to",
                        path: target,
                        source: e,
                    });
                }
            }
            self.catalog.commit_placed(&asset.id, Some(seen))?;
            crate::metrics::record_ingested(asset.size, stat.mtime_ns);
            self.wake.ring();
            if let Err(e) = self.tagger.learn_clock(&asset) {
                tracing::warn!("looking for a clock shot: {e}");
            }
            self.delete_source_if_configured(&asset.id, source, stat)?;
            return Ok(Outcome::Archived {
                id: asset.id,
                size: asset.size,
                damaged: asset.metadata.damaged,
                tagged: placement != Placement::Untagged,
            });
        }
        let _ = std::fs::remove_file(staged);
        Ok(Outcome::Failed {
            reason: "no free archive name for this file".into(),
        })
    }

    /// Removes the source once its content is committed, and only if it is still
    /// the very file that was copied.
    fn delete_source_if_configured(&self, id: &str, source: &Path, stat: FileStat) -> Result<()> {
        if !self.config.delete_source_after_verify {
            return Ok(());
        }
        let now = std::fs::symlink_metadata(source).map(|m| FileStat::of(&m));
        if now.ok() != Some(stat) {
            tracing::warn!(path = %source.display(), "source changed after it was archived; not deleted");
            return Ok(());
        }
        std::fs::remove_file(source).at("removing the archived source", source)?;
        self.catalog.mark_source_deleted(id, source)
    }

    /// Settles what a crash left half-done: claims whose rename may or may not
    /// have happened, and staging copies that were never claimed. Run before
    /// any worker starts.
    pub fn recover(&self) -> Result<RecoveryReport> {
        let mut report = RecoveryReport::default();
        for placing in self.catalog.placing()? {
            let target = self.config.archive.join(&placing.archive_path);
            let staged = placing.staging_path.as_deref();
            if file_has_hash(&target, &placing.id) {
                report.completed += 1;
            } else if !target.exists() && staged.is_some_and(|s| file_has_hash(s, &placing.id)) {
                let staged = staged.unwrap_or(Path::new(""));
                let dir = target.parent().unwrap_or(&self.config.archive);
                store::rename_noreplace(staged, &target)
                    .at("finishing the interrupted move to", &target)?;
                store::fsync_dir(dir).at("syncing", dir)?;
                report.completed += 1;
            } else {
                self.catalog.abandon_claim(&placing.id)?;
                report.abandoned += 1;
                continue;
            }
            // The source is recorded again when the next scan sees it.
            self.catalog.commit_placed(&placing.id, None)?;
        }
        let leftovers = std::fs::read_dir(&self.staging).at("reading", &self.staging)?;
        for entry in leftovers.flatten() {
            // Never claimed: the source is untouched, so this copy is redundant.
            std::fs::remove_file(entry.path())
                .at("removing the staging leftover", &entry.path())?;
            report.staging_removed += 1;
        }
        if report != RecoveryReport::default() {
            tracing::info!(?report, "recovered from an interrupted run");
        }
        Ok(report)
    }
}

/// What start-up recovery did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RecoveryReport {
    pub completed: u64,
    pub abandoned: u64,
    pub staging_removed: u64,
}

fn file_has_hash(path: &Path, id: &str) -> bool {
    match std::fs::File::open(path) {
        Ok(mut f) => store::hash_file(&mut f).is_ok_and(|h| h.to_hex().as_str() == id),
        Err(_) => false,
    }
}

/// Why the copy cannot be trusted to be the file as it now stands, if so.
fn source_changed(
    file: &std::fs::File,
    path: &Path,
    before: &FileStat,
    prehash: Option<blake3::Hash>,
    staged: &store::Staged,
) -> Option<String> {
    let after_fd = file.metadata().map(|m| FileStat::of(&m)).ok();
    let after_path = std::fs::symlink_metadata(path)
        .map(|m| FileStat::of(&m))
        .ok();
    if after_fd.as_ref() != Some(before)
        || after_path.as_ref() != Some(before)
        || staged.size != before.size
    {
        return Some(
            "the file changed while it was copied; it will be taken once it is stable".into(),
        );
    }
    if prehash.is_some_and(|h| h != staged.hash) {
        return Some(
            "the file's content changed while it was read; it will be taken once it is stable"
                .into(),
        );
    }
    None
}
