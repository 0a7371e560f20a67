//! Fixity: every archived file is read back from disk and hashed (blake3) and
//! compared with its catalog id; files the catalog expects but the disk lacks
//! are `missing`, files whose hash differs are `changed`, files on disk that
//! no asset owns are `unexpected` (`archive/.staging` excluded). The same for
//! each replica, against what the catalog records the replica holds.
//!
//! The catalog itself is checked first by SQLite (`integrity_check`,
//! `foreign_key_check`): a damaged catalog is a problem like a changed file.
//!
//! A run works alongside a live daemon: before reporting a problem it asks
//! the catalog again (a file may have been re-filed, or just ingested), so
//! only real problems are named. Memory: the set of expected paths (about a
//! hundred bytes per file) plus one 1 MiB buffer per hashing thread.

use std::collections::HashSet;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::mpsc::sync_channel;
use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;

use super::replica::{self, Probe};
use super::{hash_path, Stop, Throttle};
use crate::catalog::{Catalog, VerifyRun};
use crate::config::Config;
use crate::error::Result;

/// How a run is made.
pub struct Options {
    /// Hashing threads (the scheduled run uses one).
    pub threads: usize,
    /// Read rate limit, bytes per second; 0: none.
    pub bytes_per_second: u64,
    /// `cli` or `schedule`, recorded with the run.
    pub origin: &'static str,
}

/// A file that could not be read (permissions, I/O error).
#[derive(Debug, Clone, Serialize)]
pub struct Unreadable {
    pub path: String,
    pub reason: String,
}

/// One tree's findings (the archive, or one replica).
#[derive(Debug, Default, Serialize)]
pub struct Findings {
    pub checked: u64,
    pub bytes: u64,
    pub missing: Vec<String>,
    pub changed: Vec<String>,
    pub unexpected: Vec<String>,
    pub unreadable: Vec<Unreadable>,
}

impl Findings {
    fn problems(&self) -> u64 {
        (self.missing.len() + self.changed.len() + self.unexpected.len() + self.unreadable.len())
            as u64
    }
}

/// One replica's part of the report.
#[derive(Debug, Serialize)]
pub struct ReplicaReport {
    pub path: String,
    pub online: bool,
    /// Why it is offline.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Archived files not on this replica yet (the worker is catching up).
    pub pending: u64,
    /// Empty while offline.
    #[serde(flatten)]
    pub found: Findings,
}

/// The report of a verify run (what `verify --json` prints).
#[derive(Debug, Serialize)]
pub struct Report {
    pub ok: bool,
    pub started_at: String,
    pub checked: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub missing: Vec<String>,
    pub changed: Vec<String>,
    pub unexpected: Vec<String>,
    pub unreadable: Vec<Unreadable>,
    /// What SQLite's consistency checks found in the catalog file.
    pub catalog: Vec<String>,
    pub replicas: Vec<ReplicaReport>,
    #[serde(skip)]
    started_ms: i64,
}

impl Report {
    /// Every problem: archive and replicas, offline replicas included.
    pub fn problems(&self) -> u64 {
        let archive = (self.missing.len()
            + self.changed.len()
            + self.unexpected.len()
            + self.unreadable.len()
            + self.catalog.len()) as u64;
        archive
            + self
                .replicas
                .iter()
                .map(|r| r.found.problems() + u64::from(!r.online))
                .sum::<u64>()
    }

    fn totals(&self) -> (u64, u64, u64) {
        let mut t = (
            self.missing.len() as u64,
            self.changed.len() as u64,
            self.unexpected.len() as u64,
        );
        for r in &self.replicas {
            t.0 += r.found.missing.len() as u64;
            t.1 += r.found.changed.len() as u64;
            t.2 += r.found.unexpected.len() as u64;
        }
        t
    }

    /// MB/s over the whole run.
    pub fn rate(&self) -> f64 {
        self.bytes as f64 / 1e6 / self.seconds.max(1e-9)
    }

    /// A summary for people, one problem per line.
    pub fn human(&self) -> String {
        let mut out = format!(
            "verify: {} files, {:.1} MB in {:.1} s ({:.0} MB/s): {}\n",
            self.checked,
            self.bytes as f64 / 1e6,
            self.seconds,
            self.rate(),
            if self.ok { "OK" } else { "PROBLEMS FOUND" }
        );
        let section = |out: &mut String,
                       name: &str,
                       missing: &[String],
                       changed: &[String],
                       unexpected: &[String],
                       unreadable: &[Unreadable]| {
            out.push_str(&format!(
                "{name}: missing {}, changed {}, unexpected {}{}\n",
                missing.len(),
                changed.len(),
                unexpected.len(),
                if unreadable.is_empty() {
                    String::new()
                } else {
                    format!(", unreadable {}", unreadable.len())
                }
            ));
            for p in missing {
                out.push_str(&format!("  missing     {p}\n"));
            }
            for p in changed {
                out.push_str(&format!("  changed     {p}\n"));
            }
            for p in unexpected {
                out.push_str(&format!("  unexpected  {p}\n"));
            }
            for u in unreadable {
                out.push_str(&format!("  unreadable  {}: {}\n", u.path, u.reason));
            }
        };
        if self.catalog.is_empty() {
            out.push_str("catalog: SQLite integrity check ok\n");
        } else {
            out.push_str(&format!(
                "catalog: SQLite integrity check found {} problem(s)\n",
                self.catalog.len()
            ));
            for line in &self.catalog {
                out.push_str(&format!("  catalog     {line}\n"));
            }
        }
        section(
            &mut out,
            "archive",
            &self.missing,
            &self.changed,
            &self.unexpected,
            &self.unreadable,
        );
        for r in &self.replicas {
            if r.online {
                section(
                    &mut out,
                    &format!(
                        "replica {} ({} files, {} still to copy)",
                        r.path, r.found.checked, r.pending
                    ),
                    &r.found.missing,
                    &r.found.changed,
                    &r.found.unexpected,
                    &r.found.unreadable,
                );
            } else {
                out.push_str(&format!(
                    "replica {}: OFFLINE: {}\n",
                    r.path,
                    r.reason.as_deref().unwrap_or("unavailable")
                ));
            }
        }
        out
    }

    /// One log line (a warning when something is wrong).
    pub fn log(&self) {
        let (missing, changed, unexpected) = self.totals();
        if self.ok {
            tracing::info!(
                checked = self.checked,
                mb = self.bytes / 1_000_000,
                seconds = self.seconds,
                "verify: archive and replicas match the catalog"
            );
        } else {
            tracing::warn!(
                checked = self.checked,
                missing,
                changed,
                unexpected,
                problems = self.problems(),
                "verify found problems; `liputan verify` lists them"
            );
        }
    }
}

/// Verifies the archive and every configured replica. `Ok(None)`: stopped.
pub fn run(
    catalog: &Catalog,
    config: &Config,
    options: &Options,
    stop: &Stop,
) -> Result<Option<Report>> {
    let started = Instant::now();
    let started_ms = jiff::Timestamp::now().as_millisecond();
    let throttle = Throttle::new(options.bytes_per_second);
    let threads = options.threads.max(1);

    let catalog_problems = catalog.integrity_problems()?;
    if !catalog_problems.is_empty() {
        tracing::error!(
            problems = catalog_problems.len(),
            first = %catalog_problems[0],
            "the catalog failed SQLite's integrity check"
        );
    }

    // The archive, against the catalog.
    let mut expected = Expected::default();
    let archive = &config.archive;
    let archive_findings = check_tree(
        archive,
        &mut |visit| {
            catalog.each_archived_path(500, &mut |page| {
                visit(
                    page.into_iter()
                        .map(|item| (item.id, item.archive_path))
                        .collect(),
                )
            })
        },
        &|id| Ok(catalog.archived(id)?.map(|a| a.archive_path)),
        &|rel| catalog.archive_path_known(rel),
        &|_, _| Ok(()),
        &[".staging"],
        &mut expected,
        threads,
        &throttle,
        stop,
    )?;
    let Some(archive_findings) = archive_findings else {
        return Ok(None);
    };

    // Each replica, against what the catalog says it holds.
    let mut replicas = Vec::new();
    for root in &config.replicas {
        let path = root.display().to_string();
        match replica::probe(catalog, root, false)? {
            Probe::Offline(reason) => replicas.push(ReplicaReport {
                path,
                online: false,
                reason: Some(reason),
                pending: 0,
                found: Findings::default(),
            }),
            Probe::Online => {
                let mut expected = Expected::default();
                let found = check_tree(
                    root,
                    &mut |visit| catalog.each_replica_copy(root, 500, &mut |page| visit(page)),
                    &|id| catalog.replica_copy_path(root, id),
                    &|rel| catalog.replica_path_known(root, rel),
                    // A copy that went missing is forgotten: the replica worker
                    // copies it again from the (verified) archive file.
                    &|id, _| catalog.replica_forget(root, id),
                    &[replica::MARKER, replica::TMP],
                    &mut expected,
                    threads,
                    &throttle,
                    stop,
                )?;
                let Some(found) = found else {
                    return Ok(None);
                };
                replicas.push(ReplicaReport {
                    path,
                    online: true,
                    reason: None,
                    pending: catalog.replica_pending(root)?,
                    found,
                });
            }
        }
    }
    let checked = archive_findings.checked + replicas.iter().map(|r| r.found.checked).sum::<u64>();
    let bytes = archive_findings.bytes + replicas.iter().map(|r| r.found.bytes).sum::<u64>();
    let mut report = Report {
        ok: false,
        started_at: super::rfc3339(started_ms, config.zone),
        checked,
        bytes,
        seconds: started.elapsed().as_secs_f64(),
        missing: archive_findings.missing,
        changed: archive_findings.changed,
        unexpected: archive_findings.unexpected,
        unreadable: archive_findings.unreadable,
        catalog: catalog_problems,
        replicas,
        started_ms,
    };
    report.ok = report.problems() == 0;
    Ok(Some(report))
}

/// How many entries of each list the catalog keeps for the panel.
const KEEP: usize = 1000;

/// Records a run in the catalog (lists capped at a thousand entries each).
pub fn record(catalog: &Catalog, report: &Report, origin: &str) -> Result<()> {
    let (missing, changed, unexpected) = report.totals();
    let mut json = serde_json::to_value(report).unwrap_or_default();
    cap_lists(&mut json);
    catalog.record_verify_run(&VerifyRun {
        started_at_ms: report.started_ms,
        finished_at_ms: jiff::Timestamp::now().as_millisecond(),
        origin: origin.to_owned(),
        checked: report.checked,
        bytes: report.bytes,
        seconds: report.seconds,
        missing,
        changed,
        unexpected,
        problems: report.problems(),
        ok: report.ok,
        report: json.to_string(),
    })
}

fn cap_lists(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Array(items) => {
            items.truncate(KEEP);
            items.iter_mut().for_each(cap_lists);
        }
        serde_json::Value::Object(map) => map.values_mut().for_each(cap_lists),
        _ => {}
    }
}

/// The relative paths a tree should hold.
#[derive(Default)]
struct Expected {
    paths: HashSet<PathBuf>,
}

/// One file to check: (id, relative path).
type Item = (String, PathBuf);
/// Feeds pages of items to a visitor (the catalog's paged queries).
type Pages<'a> = dyn FnMut(&mut dyn FnMut(Vec<Item>) -> Result<()>) -> Result<()> + 'a;

/// What one hashing pass found about one file.
enum Seen {
    Same(u64),
    Differs(u64),
    Missing,
    Unreadable(String),
}

fn look(root: &Path, rel: &Path, id: &str, throttle: &Throttle, stop: &Stop) -> Option<Seen> {
    match hash_path(&root.join(rel), throttle, stop) {
        Ok(None) => None,
        Ok(Some((hash, size))) if hash.to_hex().as_str() == id => Some(Seen::Same(size)),
        Ok(Some((_, size))) => Some(Seen::Differs(size)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Some(Seen::Missing),
        Err(e) => Some(Seen::Unreadable(e.to_string())),
    }
}

/// Hashes every expected file of one tree (in parallel, bounded queue), then
/// walks the tree for files nobody expects. `Ok(None)`: stopped.
#[allow(clippy::too_many_arguments)]
fn check_tree(
    root: &Path,
    pages: &mut Pages<'_>,
    current_path: &(dyn Fn(&str) -> Result<Option<PathBuf>> + Sync),
    path_known: &(dyn Fn(&Path) -> Result<bool> + Sync),
    on_missing: &(dyn Fn(&str, &Path) -> Result<()> + Sync),
    skip_top: &[&str],
    expected: &mut Expected,
    threads: usize,
    throttle: &Throttle,
    stop: &Stop,
) -> Result<Option<Findings>> {
    let findings = Mutex::new(Findings::default());
    let first_error: Mutex<Option<crate::Error>> = Mutex::new(None);
    let (tx, rx) = sync_channel::<Item>(threads * 64);
    let rx = Mutex::new(rx);
    let produced = std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| loop {
                let item = {
                    let rx = rx.lock().unwrap_or_else(|e| e.into_inner());
                    rx.recv()
                };
                let Ok((id, rel)) = item else { return };
                if stop.stopped() {
                    continue;
                }
                match check_one(root, &id, &rel, current_path, on_missing, throttle, stop) {
                    Ok(Some(outcome)) => {
                        let mut f = findings.lock().unwrap_or_else(|e| e.into_inner());
                        let shown = rel.to_string_lossy().into_owned();
                        match outcome {
                            Seen::Same(size) => {
                                f.checked += 1;
                                f.bytes += size;
                            }
                            Seen::Differs(size) => {
                                f.checked += 1;
                                f.bytes += size;
                                f.changed.push(shown);
                            }
                            Seen::Missing => f.missing.push(shown),
                            Seen::Unreadable(reason) => f.unreadable.push(Unreadable {
                                path: shown,
                                reason,
                            }),
                        }
                    }
                    Ok(None) => {}
                    Err(e) => {
                        first_error
                            .lock()
                            .unwrap_or_else(|e| e.into_inner())
                            .get_or_insert(e);
                    }
                }
            });
        }
        let result = pages(&mut |page| {
            for (id, rel) in page {
                expected.paths.insert(rel.clone());
                if stop.stopped() {
                    break;
                }
                // The workers hold the receiver until the scope ends.
                let _ = tx.send((id, rel));
            }
            Ok(())
        });
        drop(tx);
        result
    });
    produced?;
    if let Some(e) = first_error.into_inner().unwrap_or_else(|e| e.into_inner()) {
        return Err(e);
    }
    if stop.stopped() {
        return Ok(None);
    }
    let mut findings = findings.into_inner().unwrap_or_else(|e| e.into_inner());
    let mut strays = Vec::new();
    walk(root, root, skip_top, &expected.paths, &mut strays);
    for rel in strays {
        // Ingested, re-filed or copied while this run went on?
        if path_known(&rel)? || std::fs::symlink_metadata(root.join(&rel)).is_err() {
            continue;
        }
        findings.unexpected.push(rel.to_string_lossy().into_owned());
    }
    findings.missing.sort();
    findings.changed.sort();
    findings.unexpected.sort();
    findings.unreadable.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Some(findings))
}

/// Checks one file; on a problem, asks the catalog where the file is now
/// (re-filed meanwhile?) and checks there before reporting.
fn check_one(
    root: &Path,
    id: &str,
    rel: &Path,
    current_path: &(dyn Fn(&str) -> Result<Option<PathBuf>> + Sync),
    on_missing: &(dyn Fn(&str, &Path) -> Result<()> + Sync),
    throttle: &Throttle,
    stop: &Stop,
) -> Result<Option<Seen>> {
    let Some(seen) = look(root, rel, id, throttle, stop) else {
        return Ok(None);
    };
    if matches!(seen, Seen::Same(_)) {
        return Ok(Some(seen));
    }
    let seen = match current_path(id)? {
        None => return Ok(None),
        Some(now) if now != rel => match look(root, &now, id, throttle, stop) {
            Some(again) => again,
            None => return Ok(None),
        },
        Some(_) => seen,
    };
    if matches!(seen, Seen::Missing) {
        on_missing(id, rel)?;
    }
    Ok(Some(seen))
}

/// Every non-folder entry under `dir` whose relative path is not expected.
/// Symlinks are not followed (and are strays: the archive holds none).
fn walk(
    root: &Path,
    dir: &Path,
    skip_top: &[&str],
    expected: &HashSet<PathBuf>,
    out: &mut Vec<PathBuf>,
) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(rel) = path.strip_prefix(root) else {
            continue;
        };
        if dir == root && skip_top.iter().any(|s| entry.file_name() == *s) {
            continue;
        }
        match entry.file_type() {
            Ok(ft) if ft.is_dir() => walk(root, &path, skip_top, expected, out),
            _ => {
                if !expected.contains(rel) {
                    out.push(rel.to_owned());
                }
            }
        }
    }
}
