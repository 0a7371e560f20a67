//! `liputan ingest DIR...`: the same ingest as the daemon, once, over folders
//! given on the command line, with a summary. Files are taken as they are (no
//! settle wait): the person running it says they are complete. A file that
//! changes while it is copied is retried a few times, then reported.

use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::Instant;

use serde::Serialize;

use crate::ingest::scan::{self, Candidate, Entry};
use crate::ingest::{Ingestor, Outcome};

const RETRIES: usize = 3;

/// The contract's summary object.
#[derive(Debug, Default, Clone, Serialize, PartialEq)]
pub struct Summary {
    pub archived: u64,
    pub duplicates: u64,
    pub rejected: u64,
    /// Archived but not matched to an assignment: waiting in triage.
    pub triage: u64,
    pub damaged: u64,
    pub failed: u64,
    pub ignored: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub errors: Vec<PathError>,
}

#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PathError {
    pub path: String,
    pub reason: String,
}

impl Summary {
    fn count(&mut self, path: &Path, outcome: Outcome) {
        let error = |reason: String| PathError {
            path: path.to_string_lossy().into_owned(),
            reason,
        };
        match outcome {
            Outcome::Archived {
                size,
                damaged,
                tagged,
                ..
            } => {
                self.archived += 1;
                self.bytes += size;
                if !tagged {
                    self.triage += 1;
                }
                if let Some(reason) = damaged {
                    self.damaged += 1;
                    self.errors
                        .push(error(format!("archived, but damaged: {reason}")));
                }
            }
            Outcome::Duplicate { .. } => self.duplicates += 1,
            Outcome::Rejected { reason } => {
                self.rejected += 1;
                self.errors.push(error(reason));
            }
            Outcome::Retry { reason } | Outcome::Failed { reason } => {
                self.failed += 1;
                self.errors.push(error(reason));
            }
        }
    }

    /// True when every file was archived, a duplicate or ignored.
    pub fn is_clean(&self) -> bool {
        self.errors.is_empty()
    }
}

/// Ingests every file under `dirs` with `workers` threads.
pub fn run(ingestor: Arc<Ingestor>, dirs: &[PathBuf], workers: usize) -> Summary {
    let started = Instant::now();
    let mut summary = Summary::default();
    // Bounded: the walk waits for the workers instead of queueing a whole card.
    let (work_tx, work_rx) = mpsc::sync_channel::<Candidate>(workers * 4);
    let work_rx = Arc::new(Mutex::new(work_rx));
    let (done_tx, done_rx) = mpsc::channel::<(PathBuf, Outcome)>();
    let handles: Vec<_> = (0..workers)
        .map(|_| {
            let (rx, tx, ingestor) = (work_rx.clone(), done_tx.clone(), ingestor.clone());
            std::thread::spawn(move || loop {
                let next = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
                let Ok(candidate) = next else { return };
                let outcome = ingest_with_retries(&ingestor, &candidate);
                if tx.send((candidate.path, outcome)).is_err() {
                    return;
                }
            })
        })
        .collect();
    drop(done_tx);

    for dir in dirs {
        let root = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.clone());
        if !root.is_dir() {
            summary.errors.push(PathError {
                path: dir.to_string_lossy().into_owned(),
                reason: "not a folder".into(),
            });
            summary.failed += 1;
            continue;
        }
        let mut visit = |entry: Entry| match entry {
            Entry::File(candidate, _) => {
                let _ = work_tx.send(candidate);
            }
            Entry::Refused { path, stat, reason } => {
                let outcome =
                    ingestor
                        .refuse(&path, stat, &reason)
                        .unwrap_or_else(|e| Outcome::Failed {
                            reason: e.to_string(),
                        });
                summary.count(&path, outcome);
            }
            Entry::Ignored => summary.ignored += 1,
        };
        let mut walk_errors = Vec::new();
        scan::walk(&root, &root, &mut visit, &mut |path, e| {
            walk_errors.push(PathError {
                path: path.to_string_lossy().into_owned(),
                reason: format!("cannot be read: {e}"),
            })
        });
        summary.failed += walk_errors.len() as u64;
        summary.errors.extend(walk_errors);
    }
    drop(work_tx);
    for (path, outcome) in done_rx {
        summary.count(&path, outcome);
    }
    for handle in handles {
        let _ = handle.join();
    }
    summary.errors.sort_by(|a, b| a.path.cmp(&b.path));
    summary.seconds = started.elapsed().as_secs_f64();
    summary
}

fn ingest_with_retries(ingestor: &Ingestor, candidate: &Candidate) -> Outcome {
    let mut outcome = ingestor.ingest(candidate);
    for _ in 1..RETRIES {
        match outcome {
            Outcome::Retry { .. } => outcome = ingestor.ingest(candidate),
            _ => break,
        }
    }
    outcome
}
