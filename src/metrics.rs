//! Metrics and readiness: a process-wide registry of the few things only the
//! running process can count (bytes ingested, latencies), rendered with the
//! counters of [`Status`] and catalog queries made at scrape time as
//! Prometheus text (exposition format 0.0.4, written by hand); and the
//! readiness checks that `GET /readyz` and `liputan status` share.
//!
//! Everything here that touches SQLite or the file system is blocking.

use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::OnceLock;
use std::time::Duration;

use serde::Serialize;

use crate::catalog::{Catalog, Counts};
use crate::config::Config;
use crate::ingest::pipeline::StatusSnapshot;
use crate::search::SearchIndex;

/// A cumulative histogram with fixed upper bounds (seconds). Lock-free.
#[derive(Debug)]
pub struct Histogram {
    bounds: &'static [f64],
    /// One per bound plus `+Inf`; each counts only its own interval.
    buckets: Vec<AtomicU64>,
    count: AtomicU64,
    /// `f64` bits of the sum of observations.
    sum: AtomicU64,
}

impl Histogram {
    pub fn new(bounds: &'static [f64]) -> Histogram {
        Histogram {
            bounds,
            buckets: (0..=bounds.len()).map(|_| AtomicU64::new(0)).collect(),
            count: AtomicU64::new(0),
            sum: AtomicU64::new(0f64.to_bits()),
        }
    }

    /// Records one observation (negative and NaN values count as 0).
    pub fn observe(&self, seconds: f64) {
        let v = if seconds.is_finite() && seconds > 0.0 {
            seconds
        } else {
            0.0
        };
        let i = self
            .bounds
            .iter()
            .position(|&b| v <= b)
            .unwrap_or(self.bounds.len());
        self.buckets[i].fetch_add(1, Ordering::Relaxed);
        let _ = self
            .sum
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |bits| {
                Some((f64::from_bits(bits) + v).to_bits())
            });
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    pub fn observe_duration(&self, d: Duration) {
        self.observe(d.as_secs_f64());
    }

    pub fn count(&self) -> u64 {
        self.count.load(Ordering::Relaxed)
    }

    fn render(&self, out: &mut String, name: &str, help: &str) {
        header(out, name, help, "histogram");
        // Read the buckets first: `_count` is their total, so the sample is
        // consistent even while observations come in.
        let mut cumulative = 0u64;
        for (i, bucket) in self.buckets.iter().enumerate() {
            cumulative += bucket.load(Ordering::Relaxed);
            let le = match self.bounds.get(i) {
                Some(b) => format_float(*b),
                None => "+Inf".to_owned(),
            };
            let _ = writeln!(out, "{name}_bucket{{le=\"{le}\"}} {cumulative}");
        }
        let sum = f64::from_bits(self.sum.load(Ordering::Relaxed));
        let _ = writeln!(out, "{name}_sum {}", format_float(sum));
        let _ = writeln!(out, "{name}_count {cumulative}");
    }
}

/// What the process counts itself, for its whole life.
#[derive(Debug)]
pub struct Registry {
    /// Files archived (committed to the catalog), and their bytes.
    pub ingested_files: AtomicU64,
    pub ingested_bytes: AtomicU64,
    /// From the file's modification time (when it was dropped) to its commit.
    pub ingest_latency: Histogram,
    /// Making one asset's thumbnail and preview.
    pub thumbnail_seconds: Histogram,
    /// One search (index query plus catalog fetch).
    pub search_seconds: Histogram,
}

const INGEST_BOUNDS: &[f64] = &[
    0.5, 1.0, 2.0, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0, 3600.0,
];
const THUMB_BOUNDS: &[f64] = &[0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0];
const SEARCH_BOUNDS: &[f64] = &[
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
];

/// The process-wide registry.
pub fn registry() -> &'static Registry {
    static REGISTRY: OnceLock<Registry> = OnceLock::new();
    REGISTRY.get_or_init(|| Registry {
        ingested_files: AtomicU64::new(0),
        ingested_bytes: AtomicU64::new(0),
        ingest_latency: Histogram::new(INGEST_BOUNDS),
        thumbnail_seconds: Histogram::new(THUMB_BOUNDS),
        search_seconds: Histogram::new(SEARCH_BOUNDS),
    })
}

/// Called once per archived file, at commit: counts it and observes the time
/// since the file was last written (its mtime) as the drop-to-catalogued latency.
pub fn record_ingested(size: u64, mtime_ns: i64) {
    let r = registry();
    r.ingested_files.fetch_add(1, Ordering::Relaxed);
    r.ingested_bytes.fetch_add(size, Ordering::Relaxed);
    let now_ns = jiff::Timestamp::now().as_nanosecond();
    let latency = (now_ns - mtime_ns as i128).max(0) as f64 / 1e9;
    r.ingest_latency.observe(latency);
}

/// What the catalog and the disks say at scrape time (gathered on a blocking thread).
#[derive(Debug, Default)]
pub struct Scrape {
    pub counts: Counts,
    pub thumbnails_waiting: u64,
    pub index_waiting: u64,
    pub triage: u64,
    /// (ok, finished at, Unix seconds) of the newest verify run.
    pub last_verify: Option<(bool, f64)>,
    pub archive_free_bytes: Option<u64>,
    /// (replica root, files not copied there yet).
    pub replicas: Vec<(String, u64)>,
}

impl Scrape {
    pub fn gather(config: &Config, catalog: &Catalog) -> crate::Result<Scrape> {
        let counts = catalog.counts()?;
        let (thumbnails_waiting, index_waiting) = catalog.backlog()?;
        let triage = catalog.untagged_count()?.max(0) as u64;
        let last_verify = catalog
            .last_verify_run()?
            .map(|run| (run.ok, run.finished_at_ms as f64 / 1000.0));
        let mut replicas = Vec::new();
        for root in &config.replicas {
            replicas.push((root.display().to_string(), catalog.replica_pending(root)?));
        }
        Ok(Scrape {
            counts,
            thumbnails_waiting,
            index_waiting,
            triage,
            last_verify,
            archive_free_bytes: crate::ingest::store::free_bytes(&config.archive).ok(),
            replicas,
        })
    }
}

/// Live process state that is not in the catalog.
#[derive(Debug)]
pub struct Live {
    pub status: StatusSnapshot,
    pub ingest_paused: bool,
    pub index_documents: u64,
}

/// The Prometheus text exposition of everything.
pub fn render(live: &Live, scrape: &Scrape) -> String {
    let r = registry();
    let mut out = String::with_capacity(8192);
    let load = |a: &AtomicU64| a.load(Ordering::Relaxed);
    let s = &live.status;

    counter(
        &mut out,
        "liputan_ingested_files_total",
        "Files archived and committed to the catalog by this process.",
        load(&r.ingested_files),
    );
    counter(
        &mut out,
        "liputan_ingested_bytes_total",
        "Bytes of the files archived by this process.",
        load(&r.ingested_bytes),
    );
    counter(
        &mut out,
        "liputan_ingest_duplicates_total",
        "Files whose content was already archived (source recorded, nothing copied).",
        s.duplicates,
    );
    counter(
        &mut out,
        "liputan_ingest_rejected_total",
        "Files not archived, with a reason (empty, unreadable, not a regular file).",
        s.rejected,
    );
    counter(
        &mut out,
        "liputan_ingest_failed_total",
        "Files whose ingest failed; their source is untouched and they are retried.",
        s.failed,
    );
    counter(
        &mut out,
        "liputan_inbox_scans_total",
        "Full rescans of the inboxes.",
        s.scans,
    );
    gauge(
        &mut out,
        "liputan_archive_files",
        "Archived assets in the catalog.",
        scrape.counts.assets,
    );
    gauge(
        &mut out,
        "liputan_archive_damaged_files",
        "Archived assets flagged as damaged (truncated or corrupt).",
        scrape.counts.damaged,
    );
    gauge(
        &mut out,
        "liputan_rejections",
        "Rejected source files recorded in the catalog.",
        scrape.counts.rejections,
    );
    gauge(
        &mut out,
        "liputan_triage_files",
        "Archived files without an assignment (waiting in triage).",
        scrape.triage,
    );
    gauge(
        &mut out,
        "liputan_ingest_pending_files",
        "Files seen in the inboxes and waiting to settle or for a worker.",
        s.pending,
    );
    gauge(
        &mut out,
        "liputan_ingest_in_flight_files",
        "Files being ingested right now.",
        s.in_flight,
    );
    gauge(
        &mut out,
        "liputan_thumbnails_waiting",
        "Archived assets without thumbnails yet.",
        scrape.thumbnails_waiting,
    );
    gauge(
        &mut out,
        "liputan_index_waiting",
        "Archived assets not yet (re)indexed for search.",
        scrape.index_waiting,
    );
    gauge(
        &mut out,
        "liputan_index_documents",
        "Documents in the search index.",
        live.index_documents,
    );
    gauge(
        &mut out,
        "liputan_ingest_paused",
        "1 while ingest waits for space on the archive disk.",
        u64::from(live.ingest_paused),
    );
    if let Some(free) = scrape.archive_free_bytes {
        gauge(
            &mut out,
            "liputan_archive_free_bytes",
            "Bytes available to liputan on the archive disk.",
            free,
        );
    }
    if let Some((ok, at)) = scrape.last_verify {
        gauge(
            &mut out,
            "liputan_verify_last_ok",
            "1 when the newest fixity check found nothing wrong.",
            u64::from(ok),
        );
        header(
            &mut out,
            "liputan_verify_last_timestamp_seconds",
            "When the newest fixity check finished (Unix time).",
            "gauge",
        );
        let _ = writeln!(
            out,
            "liputan_verify_last_timestamp_seconds {}",
            format_float(at)
        );
    }
    if !scrape.replicas.is_empty() {
        header(
            &mut out,
            "liputan_replica_behind_files",
            "Archived files a replica does not hold at their current path yet.",
            "gauge",
        );
        for (root, pending) in &scrape.replicas {
            let _ = writeln!(
                out,
                "liputan_replica_behind_files{{replica=\"{}\"}} {pending}",
                escape_label(root)
            );
        }
    }
    r.ingest_latency.render(
        &mut out,
        "liputan_ingest_latency_seconds",
        "From a file's last write (mtime) to its commit in the catalog.",
    );
    r.thumbnail_seconds.render(
        &mut out,
        "liputan_thumbnail_seconds",
        "Time to make one asset's thumbnail and preview.",
    );
    r.search_seconds.render(
        &mut out,
        "liputan_search_seconds",
        "Time to answer one search (index and catalog).",
    );
    out
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn counter(out: &mut String, name: &str, help: &str, value: u64) {
    header(out, name, help, "counter");
    let _ = writeln!(out, "{name} {value}");
}

fn gauge(out: &mut String, name: &str, help: &str, value: u64) {
    header(out, name, help, "gauge");
    let _ = writeln!(out, "{name} {value}");
}

fn format_float(v: f64) -> String {
    if v.is_nan() {
        "NaN".into()
    } else if v.is_infinite() {
        if v > 0.0 { "+Inf" } else { "-Inf" }.into()
    } else {
        format!("{v}")
    }
}

fn escape_label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// The readiness checks of `GET /readyz` and `liputan status`.
#[derive(Debug, Clone, Serialize)]
pub struct Readiness {
    pub ready: bool,
    pub checks: Checks,
}

/// Each check is `"ok"` or the reason it failed; ffmpeg is `"present"` or
/// `"missing ..."` and does not make liputan unready.
#[derive(Debug, Clone, Serialize)]
pub struct Checks {
    pub catalog: String,
    pub index: String,
    pub archive_writable: String,
    pub free_space: String,
    pub ffmpeg: String,
}

const OK: &str = "ok";

impl Readiness {
    /// Runs every check. `catalog` / `index` are what could be opened (or why
    /// not). Blocking.
    pub fn check(
        config: &Config,
        catalog: Result<&Catalog, String>,
        index: Result<&SearchIndex, String>,
    ) -> Readiness {
        let catalog = match catalog {
            Ok(catalog) => match catalog.ping().and_then(|_| catalog.counts()) {
                Ok(_) => OK.to_owned(),
                Err(e) => format!("error: {e}"),
            },
            Err(reason) => reason,
        };
        let index = match index {
            Ok(index) => check_index(config, index),
            Err(reason) => reason,
        };
        let checks = Checks {
            catalog,
            index,
            archive_writable: check_archive_writable(&config.archive),
            free_space: check_free_space(&config.archive, config.min_free_bytes),
            ffmpeg: if crate::media::thumbs::ffmpeg_available() {
                "present".into()
            } else {
                "missing: videos get a placeholder instead of a poster frame".into()
            },
        };
        let ready = [
            &checks.catalog,
            &checks.index,
            &checks.archive_writable,
            &checks.free_space,
        ]
        .iter()
        .all(|c| c.as_str() == OK);
        Readiness { ready, checks }
    }

    /// One line per check, for people.
    pub fn human(&self) -> String {
        let c = &self.checks;
        format!(
            "{}\n  catalog:          {}\n  index:            {}\n  archive_writable: {}\n  free_space:       {}\n  ffmpeg:           {}\n",
            if self.ready { "ready" } else { "NOT ready" },
            c.catalog,
            c.index,
            c.archive_writable,
            c.free_space,
            c.ffmpeg
        )
    }
}

/// A one-hit search proves the index answers.
fn check_index(config: &Config, index: &SearchIndex) -> String {
    let query = crate::browse::AssetQuery {
        q: Some("*".into()),
        per_page: Some(1),
        ..Default::default()
    };
    match crate::browse::to_search(&query, config.zone) {
        Ok(q) => match index.search(&q) {
            Ok(_) => OK.to_owned(),
            Err(e) => format!("error: {e}"),
        },
        Err(e) => format!("error: {e}"),
    }
}

/// Creates and removes a file in the archive's staging folder, where every
/// archived file is first written.
pub fn check_archive_writable(archive: &Path) -> String {
    let staging = archive.join(".staging");
    let nanos = jiff::Timestamp::now().as_nanosecond();
    let probe = staging.join(format!(".ready-{}-{nanos}", std::process::id()));
    let result = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&probe)
        .and_then(|mut f| std::io::Write::write_all(&mut f, b"ready\n"));
    let removed = std::fs::remove_file(&probe);
    match (result, removed) {
        (Ok(()), Ok(())) => OK.to_owned(),
        (Err(e), _) => format!("cannot write in {}: {e}", staging.display()),
        (Ok(()), Err(e)) => format!("cannot remove a file in {}: {e}", staging.display()),
    }
}

/// Free space on the archive disk against `ingest.min_free_mb`.
pub fn check_free_space(archive: &Path, min_free: u64) -> String {
    match crate::ingest::store::free_bytes(archive) {
        Ok(free) if free >= min_free => OK.to_owned(),
        Ok(free) => format!(
            "low: {} MB free on {}, below the reserve of {} MB (ingest.min_free_mb)",
            free / 1_048_576,
            archive.display(),
            min_free / 1_048_576
        ),
        Err(e) => format!("cannot check free space on {}: {e}", archive.display()),
    }
}

/// `liputan status`: the readiness checks without the daemon, opening the
/// catalog and the index (read-only) directly. Blocking.
pub fn status_offline(config: &Config) -> Readiness {
    let catalog_path = config.catalog_path();
    let catalog = if catalog_path.is_file() {
        Catalog::open(&catalog_path).map_err(|e| format!("error: {e}"))
    } else {
        Err(format!("missing: no catalog at {}", catalog_path.display()))
    };
    let index =
        SearchIndex::open_read_only(&config.index_path()).map_err(|e| format!("error: {e}"));
    Readiness::check(
        config,
        catalog.as_ref().map_err(Clone::clone),
        index.as_ref().map_err(Clone::clone),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative_and_count_matches() {
        let h = Histogram::new(&[1.0, 10.0]);
        h.observe(0.5);
        h.observe(5.0);
        h.observe(50.0);
        h.observe(-1.0);
        let mut out = String::new();
        h.render(&mut out, "x_seconds", "help");
        assert!(out.contains("# TYPE x_seconds histogram\n"));
        assert!(out.contains("x_seconds_bucket{le=\"1\"} 2\n"), "{out}");
        assert!(out.contains("x_seconds_bucket{le=\"10\"} 3\n"), "{out}");
        assert!(out.contains("x_seconds_bucket{le=\"+Inf\"} 4\n"), "{out}");
        assert!(out.contains("x_seconds_sum 55.5\n"), "{out}");
        assert!(out.contains("x_seconds_count 4\n"), "{out}");
        assert_eq!(h.count(), 4);
    }

    #[test]
    fn labels_are_escaped() {
        assert_eq!(escape_label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }
}
