//! Settling: a file is handed to ingest only once it has stopped changing. Size
//! alone is not enough (Windows Explorer over SMB sets the full size first and
//! then fills it in), so size, mtime and ctime must all hold still for the
//! settle time; then a format check (JPEG end marker, MP4 boxes) on a file that
//! changed recently means "still being written", not "damaged".
//!
//! Pure bookkeeping: the caller stats the files (on a blocking thread) and
//! feeds the results in with the current time.

use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::ingest::scan::Candidate;
use crate::ingest::store::FileStat;

struct Pending {
    candidate: Candidate,
    stat: Option<FileStat>,
    stable_since: Instant,
    /// Not looked at again before this (back-off after a retry or a failed check).
    not_before: Instant,
}

/// What to do with a file after a look at it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict {
    /// Still changing, or not settled long enough.
    Wait,
    /// Unchanged for the settle time: run the format check, then `ready` or `hold`.
    Check,
    /// Gone: forget it.
    Gone,
}

/// The files waiting to settle, and those handed to workers.
pub struct Settler {
    settle: Duration,
    pending: HashMap<PathBuf, Pending>,
    in_flight: HashSet<PathBuf>,
    /// Touched again while a worker had it: look again when the worker is done.
    dirty: HashSet<PathBuf>,
}

impl Settler {
    pub fn new(settle: Duration) -> Settler {
        Settler {
            settle,
            pending: HashMap::new(),
            in_flight: HashSet::new(),
            dirty: HashSet::new(),
        }
    }

    /// A file was seen (an event or a scan). Idempotent.
    pub fn offer(&mut self, candidate: Candidate, now: Instant) {
        if self.in_flight.contains(&candidate.path) {
            self.dirty.insert(candidate.path);
            return;
        }
        self.pending
            .entry(candidate.path.clone())
            .or_insert(Pending {
                candidate,
                stat: None,
                stable_since: now,
                not_before: now,
            });
    }

    pub fn pending_len(&self) -> usize {
        self.pending.len()
    }

    pub fn in_flight_len(&self) -> usize {
        self.in_flight.len()
    }

    /// Paths due for a look, each with its previous stat and since when it held still.
    pub fn due(&self, now: Instant) -> Vec<(PathBuf, Option<FileStat>, Instant)> {
        self.pending
            .iter()
            .filter(|(_, p)| p.not_before <= now)
            .map(|(path, p)| (path.clone(), p.stat, p.stable_since))
            .collect()
    }

    /// Records a fresh stat of a pending file.
    pub fn observe(&mut self, path: &PathBuf, stat: Option<FileStat>, now: Instant) -> Verdict {
        let Some(p) = self.pending.get_mut(path) else {
            return Verdict::Gone;
        };
        let Some(stat) = stat else {
            self.pending.remove(path);
            return Verdict::Gone;
        };
        if p.stat != Some(stat) {
            p.stat = Some(stat);
            p.stable_since = now;
            return Verdict::Wait;
        }
        if now.duration_since(p.stable_since) >= self.settle {
            Verdict::Check
        } else {
            Verdict::Wait
        }
    }

    /// The format check says "still being written": look again later.
    pub fn hold(&mut self, path: &PathBuf, now: Instant) {
        let settle = self.settle.max(Duration::from_secs(1));
        if let Some(p) = self.pending.get_mut(path) {
            p.not_before = now + settle;
        }
    }

    /// Settled and checked: hand it to a worker.
    pub fn take(&mut self, path: &PathBuf) -> Option<Candidate> {
        let p = self.pending.remove(path)?;
        self.in_flight.insert(path.clone());
        Some(p.candidate)
    }

    /// A worker is done. `retry_after`: offer it again after that long (the
    /// file changed while copied); a file touched meanwhile is looked at again too.
    pub fn done(&mut self, candidate: Candidate, retry_after: Option<Duration>, now: Instant) {
        self.in_flight.remove(&candidate.path);
        let dirty = self.dirty.remove(&candidate.path);
        if retry_after.is_some() || dirty {
            let at = now + retry_after.unwrap_or_default();
            self.pending.insert(
                candidate.path.clone(),
                Pending {
                    candidate,
                    stat: None,
                    stable_since: at,
                    not_before: at,
                },
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stat(size: u64, mtime_ns: i64, ctime_ns: i64) -> Option<FileStat> {
        Some(FileStat {
            dev: 1,
            ino: 2,
            size,
            mtime_ns,
            ctime_ns,
        })
    }

    fn candidate() -> Candidate {
        Candidate {
            root: "/in".into(),
            path: "/in/a.jpg".into(),
        }
    }

    #[test]
    fn a_file_must_hold_still_for_the_settle_time() {
        let t0 = Instant::now();
        let s5 = Duration::from_secs(5);
        let mut s = Settler::new(s5);
        let path = candidate().path;
        s.offer(candidate(), t0);
        assert_eq!(s.observe(&path, stat(10, 1, 1), t0), Verdict::Wait);
        assert_eq!(
            s.observe(&path, stat(10, 1, 1), t0 + Duration::from_secs(4)),
            Verdict::Wait
        );
        assert_eq!(s.observe(&path, stat(10, 1, 1), t0 + s5), Verdict::Check);
    }

    #[test]
    fn a_full_size_file_whose_mtime_or_ctime_moves_is_not_settled() {
        let t0 = Instant::now();
        let mut s = Settler::new(Duration::from_secs(5));
        let path = candidate().path;
        s.offer(candidate(), t0);
        s.observe(&path, stat(1000, 1, 1), t0);
        // Explorer-style: size already final, data still arriving.
        assert_eq!(
            s.observe(&path, stat(1000, 2, 2), t0 + Duration::from_secs(6)),
            Verdict::Wait
        );
        assert_eq!(
            s.observe(&path, stat(1000, 2, 3), t0 + Duration::from_secs(12)),
            Verdict::Wait
        );
        assert_eq!(
            s.observe(&path, stat(1000, 2, 3), t0 + Duration::from_secs(17)),
            Verdict::Check
        );
    }

    #[test]
    fn a_vanished_file_is_forgotten_and_a_busy_one_is_looked_at_again() {
        let t0 = Instant::now();
        let mut s = Settler::new(Duration::ZERO);
        let path = candidate().path;
        s.offer(candidate(), t0);
        s.observe(&path, stat(1, 1, 1), t0);
        assert_eq!(s.observe(&path, stat(1, 1, 1), t0), Verdict::Check);
        let c = s.take(&path).unwrap();
        s.offer(candidate(), t0);
        assert_eq!(s.pending_len(), 0, "in flight: remembered as dirty");
        s.done(c, None, t0);
        assert_eq!(s.pending_len(), 1);
        assert_eq!(s.observe(&path, None, t0), Verdict::Gone);
        assert_eq!(s.pending_len(), 0);
    }
}
