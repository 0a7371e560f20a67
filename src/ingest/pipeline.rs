//! The daemon's ingest pipeline: watcher events and periodic rescans feed the
//! settler; settled files go through a bounded queue to worker threads that run
//! [`Ingestor::ingest`]; results come back to the settler (retries) and to the
//! status that `/healthz` reports.
//!
//! The async task only routes and keeps time. Every stat, scan, format check,
//! hash, copy and SQLite call runs on a blocking thread.

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{mpsc as std_mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use serde::Serialize;
use tokio::sync::mpsc;

use crate::catalog::SourceSeen;
use crate::config::Config;
use crate::ingest::scan::{self, Candidate, Entry};
use crate::ingest::settle::{Settler, Verdict};
use crate::ingest::store::{self, FileStat};
use crate::ingest::{Ingestor, Outcome};
use crate::media::{self, Completeness, Kind};
use crate::watch::{self as watcher, WatchEvent};

/// How often pending files are looked at.
const TICK: Duration = Duration::from_millis(500);
/// Format checks (whole-file reads) per settle round.
const CHECKS_PER_ROUND: usize = 64;
/// Back-off before a file that changed while copied is looked at again.
const RETRY_AFTER: Duration = Duration::from_secs(5);

/// Live counters, shared with the web server.
#[derive(Debug, Default)]
pub struct Status {
    pub pending: AtomicU64,
    pub in_flight: AtomicU64,
    pub archived: AtomicU64,
    pub duplicates: AtomicU64,
    pub rejected: AtomicU64,
    pub failed: AtomicU64,
    pub scans: AtomicU64,
    /// Bumped by every turn of the pipeline loop's tick (the systemd watchdog checks it moves).
    pub heartbeat: AtomicU64,
}

/// A snapshot of [`Status`] for JSON.
#[derive(Debug, Serialize)]
pub struct StatusSnapshot {
    pub pending: u64,
    pub in_flight: u64,
    pub archived: u64,
    pub duplicates: u64,
    pub rejected: u64,
    pub failed: u64,
    pub scans: u64,
}

impl Status {
    pub fn snapshot(&self) -> StatusSnapshot {
        let get = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatusSnapshot {
            pending: get(&self.pending),
            in_flight: get(&self.in_flight),
            archived: get(&self.archived),
            duplicates: get(&self.duplicates),
            rejected: get(&self.rejected),
            failed: get(&self.failed),
            scans: get(&self.scans),
        }
    }

    fn count(&self, outcome: &Outcome) {
        let counter = match outcome {
            Outcome::Archived { .. } => &self.archived,
            Outcome::Duplicate { .. } => &self.duplicates,
            Outcome::Rejected { .. } => &self.rejected,
            Outcome::Failed { .. } => &self.failed,
            Outcome::Retry { .. } => return,
        };
        counter.fetch_add(1, Ordering::Relaxed);
    }
}

/// What a look at a pending path found (made on a blocking thread).
enum Look {
    Gone,
    Folder,
    Refused(Entry),
    File {
        stat: FileStat,
        completeness: Option<Completeness>,
    },
}

/// Runs until `shutdown` turns true, then lets the workers finish their
/// current file and returns.
pub async fn run(
    ingestor: Arc<Ingestor>,
    config: Arc<Config>,
    status: Arc<Status>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) -> anyhow::Result<()> {
    let lost = Arc::new(AtomicBool::new(false));
    let (event_tx, mut events) = mpsc::channel::<WatchEvent>(4096);
    // Watches first, then the initial scan: nothing created in between is missed.
    let _watch = watcher::start(&config.inbox, event_tx, lost.clone())?;

    let (work_tx, work_rx) = std_mpsc::sync_channel::<Candidate>(config.workers * 2);
    let (done_tx, mut done) = mpsc::unbounded_channel::<(Candidate, Outcome)>();
    let workers = spawn_workers(&ingestor, config.workers, work_rx, done_tx);

    let (found_tx, mut found) = mpsc::channel::<Candidate>(1024);
    let mut scanning: Option<tokio::task::JoinHandle<()>> = None;
    let mut settler = Settler::new(config.settle);
    let mut ready: VecDeque<Candidate> = VecDeque::new();
    let mut rescan = tokio::time::interval(config.rescan);
    let mut tick = tokio::time::interval(TICK);
    let mut batch = BatchLog::default();

    loop {
        tokio::select! {
            _ = shutdown.changed() => break,
            Some(WatchEvent::Paths(paths)) = events.recv() => {
                let now = Instant::now();
                for path in paths {
                    if let Some(candidate) = candidate_for(&config.inbox, path) {
                        settler.offer(candidate, now);
                    }
                }
            }
            Some(candidate) = found.recv() => settler.offer(candidate, Instant::now()),
            Some((candidate, outcome)) = done.recv() => {
                status.count(&outcome);
                batch.add(&candidate, &outcome);
                let retry = matches!(outcome, Outcome::Retry { .. }).then_some(RETRY_AFTER);
                settler.done(candidate, retry, Instant::now());
                // A worker is free: hand it the next settled file now, not at the next tick.
                dispatch(&mut ready, &work_tx)?;
            }
            _ = rescan.tick() => start_scan(&mut scanning, &ingestor, &config.inbox, found_tx.clone(), &status),
            _ = tick.tick() => {
                status.heartbeat.fetch_add(1, Ordering::Relaxed);
                if lost.swap(false, Ordering::Relaxed) {
                    tracing::info!("file events were lost; rescanning the inbox");
                    start_scan(&mut scanning, &ingestor, &config.inbox, found_tx.clone(), &status);
                }
                settle_round(&mut settler, &mut ready, &config, &ingestor, &found_tx, &mut scanning, &status).await;
                dispatch(&mut ready, &work_tx)?;
                status.pending.store((settler.pending_len() + ready.len()) as u64, Ordering::Relaxed);
                status.in_flight.store(settler.in_flight_len() as u64, Ordering::Relaxed);
                if settler.pending_len() == 0 && settler.in_flight_len() == 0 && ready.is_empty() {
                    batch.flush();
                }
            }
        }
    }
    tracing::info!("stopping ingest: finishing the files in progress");
    drop(work_tx);
    ingestor.gate_stop();
    let joined =
        tokio::task::spawn_blocking(move || workers.into_iter().for_each(|w| drop(w.join()))).await;
    joined?;
    while let Ok((candidate, outcome)) = done.try_recv() {
        batch.add(&candidate, &outcome);
    }
    batch.flush();
    Ok(())
}

/// Moves settled files to the bounded worker queue until it is full.
fn dispatch(
    ready: &mut VecDeque<Candidate>,
    work_tx: &std_mpsc::SyncSender<Candidate>,
) -> anyhow::Result<()> {
    while let Some(candidate) = ready.pop_front() {
        match work_tx.try_send(candidate) {
            Ok(()) => {}
            Err(std_mpsc::TrySendError::Full(candidate)) => {
                ready.push_front(candidate);
                break;
            }
            Err(std_mpsc::TrySendError::Disconnected(_)) => {
                anyhow::bail!("every ingest worker stopped")
            }
        }
    }
    Ok(())
}

fn spawn_workers(
    ingestor: &Arc<Ingestor>,
    count: usize,
    work_rx: std_mpsc::Receiver<Candidate>,
    done_tx: mpsc::UnboundedSender<(Candidate, Outcome)>,
) -> Vec<std::thread::JoinHandle<()>> {
    let work_rx = Arc::new(Mutex::new(work_rx));
    (0..count)
        .map(|i| {
            let (rx, tx, ingestor) = (work_rx.clone(), done_tx.clone(), ingestor.clone());
            std::thread::Builder::new()
                .name(format!("ingest-{i}"))
                .spawn(move || loop {
                    let next = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                    let Ok(candidate) = next else { return };
                    let outcome = ingestor.ingest(&candidate);
                    if tx.send((candidate, outcome)).is_err() {
                        return;
                    }
                })
                .expect("spawning an ingest worker thread")
        })
        .collect()
}

/// The candidate for an event path: under which root, and not junk by name.
fn candidate_for(roots: &[PathBuf], path: PathBuf) -> Option<Candidate> {
    if scan::is_junk(path.file_name()?) {
        return None;
    }
    let root = roots
        .iter()
        .filter(|r| path.starts_with(r))
        .max_by_key(|r| r.as_os_str().len())?;
    Some(Candidate {
        root: root.clone(),
        path,
    })
}

/// Starts a full scan of `dirs` unless one is running. Unknown files go to
/// `found`; refused ones are recorded.
fn start_scan(
    scanning: &mut Option<tokio::task::JoinHandle<()>>,
    ingestor: &Arc<Ingestor>,
    dirs: &[PathBuf],
    found: mpsc::Sender<Candidate>,
    status: &Arc<Status>,
) {
    start_scan_under(
        scanning,
        ingestor,
        dirs.iter().map(|d| (d.clone(), d.clone())).collect(),
        found,
    );
    status.scans.fetch_add(1, Ordering::Relaxed);
}

/// Scans each `(root, dir)` pair: `dir` is the folder to walk inside `root`.
fn start_scan_under(
    scanning: &mut Option<tokio::task::JoinHandle<()>>,
    ingestor: &Arc<Ingestor>,
    pairs: Vec<(PathBuf, PathBuf)>,
    found: mpsc::Sender<Candidate>,
) {
    if scanning.as_ref().is_some_and(|h| !h.is_finished()) && pairs.iter().all(|(r, d)| r == d) {
        return;
    }
    let ingestor = ingestor.clone();
    let previous = scanning.take();
    *scanning = Some(tokio::task::spawn_blocking(move || {
        // A running subtree scan is left to finish on its own.
        drop(previous);
        let started = Instant::now();
        let (mut offered, mut known) = (0u64, 0u64);
        for (root, dir) in pairs {
            let mut visit = |entry: Entry| match entry {
                Entry::File(candidate, stat) => {
                    let seen = SourceSeen {
                        path: candidate.path.clone(),
                        size: stat.size,
                        mtime_ns: stat.mtime_ns,
                    };
                    match ingestor.catalog().known(&seen) {
                        Ok(Some(_)) => known += 1,
                        _ => {
                            offered += 1;
                            let _ = found.blocking_send(candidate);
                        }
                    }
                }
                Entry::Refused { path, stat, reason } => {
                    record_refusal(&ingestor, &path, stat, &reason)
                }
                Entry::Ignored => {}
            };
            scan::walk(
                &root,
                &dir,
                &mut visit,
                &mut |path, e| tracing::warn!(path = %path.display(), "cannot scan: {e}"),
            );
        }
        tracing::debug!(offered, known, elapsed = ?started.elapsed(), "scan done");
    }));
}

fn record_refusal(ingestor: &Ingestor, path: &std::path::Path, stat: FileStat, reason: &str) {
    let seen = SourceSeen {
        path: path.to_owned(),
        size: stat.size,
        mtime_ns: stat.mtime_ns,
    };
    if matches!(ingestor.catalog().known(&seen), Ok(Some(_))) {
        return;
    }
    tracing::warn!(path = %path.display(), "{reason}");
    if let Err(e) = ingestor.refuse(path, stat, reason) {
        tracing::error!(path = %path.display(), "recording a rejection: {e}");
    }
}

/// Looks at every due pending file (on a blocking thread) and moves the settled
/// ones to `ready`.
async fn settle_round(
    settler: &mut Settler,
    ready: &mut VecDeque<Candidate>,
    config: &Config,
    ingestor: &Arc<Ingestor>,
    found: &mpsc::Sender<Candidate>,
    scanning: &mut Option<tokio::task::JoinHandle<()>>,
    status: &Arc<Status>,
) {
    let now = Instant::now();
    let due = settler.due(now);
    if due.is_empty() {
        return;
    }
    let settle = config.settle;
    let roots = config.inbox.clone();
    // Format checks read whole files: a bounded number per round keeps the
    // loop (and the dispatch to workers) moving while a big card settles.
    let mut checks_left = CHECKS_PER_ROUND;
    let progress = status.clone();
    let looked = tokio::task::spawn_blocking(move || {
        due.into_iter()
            .map(|(path, previous, since)| {
                let may_check = checks_left > 0 && now.duration_since(since) >= settle;
                let look = look_at(&roots, &path, previous, may_check);
                // Each file looked at is progress for the watchdog: a round of
                // whole-file checks on a slow card reader can outlast its
                // minute, while one read that hangs must still stop the beat.
                progress.heartbeat.fetch_add(1, Ordering::Relaxed);
                if matches!(
                    look,
                    Look::File {
                        completeness: Some(_),
                        ..
                    }
                ) {
                    checks_left -= 1;
                }
                (path, look)
            })
            .collect::<Vec<_>>()
    })
    .await;
    let Ok(looked) = looked else { return };
    let now = Instant::now();
    let mut new_folders = Vec::new();
    for (path, look) in looked {
        match look {
            Look::Gone => {
                settler.observe(&path, None, now);
            }
            Look::Folder => {
                // A folder created or moved in: scan it, since its files may predate its watch.
                if let Some(c) = settler.take(&path) {
                    new_folders.push((c.root.clone(), c.path.clone()));
                    settler.done(c, None, now);
                }
            }
            Look::Refused(entry) => {
                if let Some(c) = settler.take(&path) {
                    if let Entry::Refused { path, stat, reason } = entry {
                        let ingestor = ingestor.clone();
                        let _ = tokio::task::spawn_blocking(move || {
                            record_refusal(&ingestor, &path, stat, &reason)
                        })
                        .await;
                        status.rejected.fetch_add(1, Ordering::Relaxed);
                    }
                    settler.done(c, None, now);
                }
            }
            Look::File { stat, completeness } => {
                match (settler.observe(&path, Some(stat), now), completeness) {
                    (Verdict::Check, Some(Completeness::Incomplete(reason)))
                        if is_young(&stat, config.incomplete_grace) =>
                    {
                        tracing::debug!(path = %path.display(), "{reason}; waiting for the rest");
                        settler.hold(&path, now);
                    }
                    (Verdict::Check, Some(_)) => ready.extend(settler.take(&path)),
                    // Settled, but not checked yet this round.
                    _ => {}
                }
            }
        }
    }
    if !new_folders.is_empty() {
        start_scan_under(scanning, ingestor, new_folders, found.clone());
    }
}

/// `lstat`s a pending path; for a regular file that held still for the settle
/// time, also checks that its format looks complete.
fn look_at(
    roots: &[PathBuf],
    path: &PathBuf,
    previous: Option<FileStat>,
    long_enough: bool,
) -> Look {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(_) => return Look::Gone,
    };
    if meta.is_dir() {
        return Look::Folder;
    }
    let root = roots
        .iter()
        .find(|r| path.starts_with(r))
        .cloned()
        .unwrap_or_default();
    let entry = scan::classify(&root, path, &meta);
    let stat = match entry {
        Entry::File(_, stat) => stat,
        other => return Look::Refused(other),
    };
    let completeness =
        (previous == Some(stat) && long_enough).then(|| check_confined(&root, path, stat));
    Look::File { stat, completeness }
}

/// The format check, on the file opened as ingest opens it (confined to the inbox
/// root, no link followed, never blocking on a FIFO swapped in after the `lstat`).
/// Anything else than the very file just looked at is left to ingest to judge.
fn check_confined(root: &std::path::Path, path: &std::path::Path, stat: FileStat) -> Completeness {
    match store::open_source_beneath(root, path) {
        Ok((file, now)) if now == stat => media::completeness_of(file, path, Kind::from_path(path))
            .unwrap_or(Completeness::NotChecked),
        _ => Completeness::NotChecked,
    }
}

/// Changed within the grace period (ctime cannot be set back by a copy tool).
fn is_young(stat: &FileStat, grace: Duration) -> bool {
    let now_ns = jiff::Timestamp::now().as_nanosecond() as i64;
    let last_change = stat.mtime_ns.max(stat.ctime_ns);
    now_ns.saturating_sub(last_change) < grace.as_nanos() as i64
}

/// One INFO line per burst of work, not one per file.
#[derive(Default)]
struct BatchLog {
    archived: u64,
    duplicates: u64,
    rejected: u64,
    failed: u64,
    bytes: u64,
    started: Option<Instant>,
}

impl BatchLog {
    fn add(&mut self, candidate: &Candidate, outcome: &Outcome) {
        self.started.get_or_insert_with(Instant::now);
        match outcome {
            Outcome::Archived { size, damaged, .. } => {
                self.archived += 1;
                self.bytes += size;
                if let Some(reason) = damaged {
                    tracing::warn!(path = %candidate.path.display(), "archived, but damaged: {reason}");
                }
            }
            Outcome::Duplicate { .. } => self.duplicates += 1,
            Outcome::Rejected { reason } => {
                self.rejected += 1;
                tracing::warn!(path = %candidate.path.display(), "rejected: {reason}");
            }
            Outcome::Failed { reason } => {
                self.failed += 1;
                tracing::error!(path = %candidate.path.display(), "ingest failed: {reason}");
            }
            Outcome::Retry { reason } => {
                tracing::info!(path = %candidate.path.display(), "{reason}")
            }
        }
    }

    fn flush(&mut self) {
        if let Some(started) = self.started.take() {
            tracing::info!(
                archived = self.archived,
                duplicates = self.duplicates,
                rejected = self.rejected,
                failed = self.failed,
                megabytes = self.bytes / 1_000_000,
                seconds = started.elapsed().as_secs_f64(),
                "ingest batch done"
            );
            *self = BatchLog::default();
        }
    }
}
