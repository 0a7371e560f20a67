//! Care of the archive once files are in it (SOP step 10, "store the files as
//! documents"): fixity (`verify`: re-hash the archive and every replica against
//! the catalog, on demand and on a schedule), replicas (`replica`: verified
//! copies on other disks, caught up when they come back) and BagIt export
//! (`bagit`, RFC 8493) for handing a set of files to someone else.
//!
//! Owns the daemon's two care threads (scheduled verify, replica worker), the
//! read-rate throttle and the streaming hash. Does not own the SQL (that is
//! `catalog::care`) and never writes into the archive itself: ingest is the
//! only writer there. Everything here is blocking and runs on its own threads.

pub mod bagit;
pub mod replica;
pub mod verify;

use std::fs::File;
use std::io::{self, Read};
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;
use std::sync::mpsc;
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;

use crate::catalog::Catalog;
use crate::config::Config;

const BUF: usize = 1 << 20;

/// A stop request the care threads wait on (and check between files).
#[derive(Default)]
pub struct Stop {
    // A sync mutex on purpose: only the care threads and the stopper touch it.
    stopped: Mutex<bool>,
    ring: Condvar,
}

impl Stop {
    pub fn stopped(&self) -> bool {
        *self.stopped.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn stop(&self) {
        *self.stopped.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.ring.notify_all();
    }

    /// Sleeps up to `d`; true when stopped (at once or while waiting).
    pub fn wait(&self, d: Duration) -> bool {
        let guard = self.stopped.lock().unwrap_or_else(|e| e.into_inner());
        let (guard, _) = self
            .ring
            .wait_timeout_while(guard, d, |stopped| !*stopped)
            .unwrap_or_else(|e| e.into_inner());
        *guard
    }
}

/// Limits reading to a rate (bytes per second), shared by hashing threads.
pub struct Throttle {
    rate: u64,
    // (start, bytes read since): a sync mutex held only for the arithmetic.
    state: Mutex<(Instant, u64)>,
}

impl Throttle {
    /// `rate` 0: no limit.
    pub fn new(rate: u64) -> Throttle {
        Throttle {
            rate,
            state: Mutex::new((Instant::now(), 0)),
        }
    }

    /// Accounts `n` bytes read and sleeps as long as reading is ahead of the rate.
    pub fn consume(&self, n: u64, stop: &Stop) {
        if self.rate == 0 {
            return;
        }
        let ahead = {
            let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
            state.1 += n;
            let due = Duration::from_secs_f64(state.1 as f64 / self.rate as f64);
            due.checked_sub(state.0.elapsed())
        };
        if let Some(ahead) = ahead {
            stop.wait(ahead);
        }
    }
}

/// Opens a file to check it: never through a symlink, never blocking on a FIFO.
pub(crate) fn open_nofollow(path: &Path) -> io::Result<File> {
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
}

/// Asks the kernel to forget cached pages of `file`, so what is read next
/// comes from the disk (fixity is about the bytes on disk, not in memory).
pub(crate) fn drop_cache(file: &File) {
    use std::os::fd::AsRawFd;
    // Advisory: if it fails the check still reads the right bytes, maybe from cache.
    unsafe {
        libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED);
    }
}

/// Streams the file at `path` through blake3 (1 MiB at a time, bounded memory),
/// from disk, at most at the throttle's rate. `Ok(None)`: stopped midway.
pub fn hash_path(
    path: &Path,
    throttle: &Throttle,
    stop: &Stop,
) -> io::Result<Option<(blake3::Hash, u64)>> {
    let mut file = open_nofollow(path)?;
    if !file.metadata()?.is_file() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "not a regular file",
        ));
    }
    drop_cache(&file);
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; BUF];
    let mut size = 0u64;
    loop {
        let n = match file.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        size += n as u64;
        throttle.consume(n as u64, stop);
        if stop.stopped() {
            return Ok(None);
        }
    }
    // Leave the cache as we found it: a weekly pass must not evict the panel's working set.
    drop_cache(&file);
    Ok(Some((hasher.finalize(), size)))
}

/// The daemon's care threads: the scheduled verify and the replica worker.
/// Dedicated OS threads (never on the async runtime), two at most.
pub struct Care {
    stop: Arc<Stop>,
    done: mpsc::Receiver<()>,
    threads: usize,
}

/// How long `Care::stop` waits for a thread in the middle of a large file.
const STOP_GRACE: Duration = Duration::from_secs(10);

impl Care {
    pub fn start(config: Arc<Config>, catalog: Arc<Catalog>) -> Care {
        let stop = Arc::new(Stop::default());
        let (tx, done) = mpsc::channel();
        let mut threads = 0;
        if let Some(every) = config.verify_every {
            let (config, catalog, stop, tx) =
                (config.clone(), catalog.clone(), stop.clone(), tx.clone());
            let spawned = std::thread::Builder::new()
                .name("verify".into())
                .spawn(move || {
                    scheduled_verify(&config, &catalog, every, &stop);
                    let _ = tx.send(());
                });
            match spawned {
                Ok(_) => threads += 1,
                Err(e) => tracing::error!("cannot start the scheduled verify: {e}"),
            }
        }
        if !config.replicas.is_empty() {
            let (config, catalog, stop, tx) =
                (config.clone(), catalog.clone(), stop.clone(), tx.clone());
            let spawned = std::thread::Builder::new()
                .name("replica".into())
                .spawn(move || {
                    replica::worker(&config, &catalog, &stop);
                    let _ = tx.send(());
                });
            match spawned {
                Ok(_) => threads += 1,
                Err(e) => tracing::error!("cannot start the replica worker: {e}"),
            }
        }
        Care {
            stop,
            done,
            threads,
        }
    }

    /// Asks the threads to stop and waits a little for them. A thread in the
    /// middle of one large copy is left behind: its temp file is removed at
    /// the next start, and nothing was recorded for it.
    pub fn stop(self) {
        self.stop.stop();
        let deadline = Instant::now() + STOP_GRACE;
        for _ in 0..self.threads {
            let left = deadline.saturating_duration_since(Instant::now());
            if self.done.recv_timeout(left).is_err() {
                tracing::warn!("a care thread is still busy with a file; not waiting for it");
                return;
            }
        }
    }
}

/// Runs a verify whenever the last one is older than `every` (at once when
/// there never was one), throttled, and records it.
fn scheduled_verify(config: &Config, catalog: &Catalog, every: Duration, stop: &Stop) {
    const RECHECK: Duration = Duration::from_secs(3600);
    loop {
        let wait = match catalog.last_verify_run() {
            Ok(Some(run)) => {
                let age_ms = jiff::Timestamp::now().as_millisecond() - run.finished_at_ms;
                let every_ms = every.as_millis() as i64;
                Duration::from_millis((every_ms - age_ms).max(0) as u64)
            }
            Ok(None) => Duration::ZERO,
            Err(e) => {
                tracing::error!("scheduled verify: cannot read the last run: {e}");
                RECHECK
            }
        };
        if !wait.is_zero() {
            if stop.wait(wait.min(RECHECK)) {
                return;
            }
            continue;
        }
        let options = verify::Options {
            threads: 1,
            bytes_per_second: config.verify_bytes_per_second,
            origin: "schedule",
        };
        match verify::run(catalog, config, &options, stop) {
            Ok(None) => return,
            Ok(Some(report)) => {
                report.log();
                if let Err(e) = verify::record(catalog, &report, options.origin) {
                    tracing::error!("scheduled verify: cannot record the run: {e}");
                }
            }
            Err(e) => {
                tracing::error!("scheduled verify failed: {e}");
                if stop.wait(RECHECK) {
                    return;
                }
            }
        }
    }
}

/// `liputan verify`: checks the archive and every replica now (as fast as the
/// disks go unless `mb_per_second` is given) and records the run. Blocking.
pub fn verify_now(config: &Config, mb_per_second: Option<u64>) -> crate::Result<verify::Report> {
    let catalog = Catalog::open(&config.catalog_path())?;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 4);
    let options = verify::Options {
        threads,
        bytes_per_second: mb_per_second.unwrap_or(0).saturating_mul(1024 * 1024),
        origin: "cli",
    };
    let report = verify::run(&catalog, config, &options, &Stop::default())?
        .ok_or_else(|| crate::Error::Invalid("verify was stopped".into()))?;
    verify::record(&catalog, &report, options.origin)?;
    Ok(report)
}

/// `liputan export`: a BagIt bag of an assignment or a month at `dir`. Blocking.
pub fn export_bag(
    config: &Config,
    selection: bagit::Selection,
    dir: &Path,
) -> crate::Result<bagit::Bag> {
    let catalog = Catalog::open(&config.catalog_path())?;
    bagit::export(&catalog, config, selection, dir)
}

/// `GET /api/verify/last`: the newest verify run, for the panel.
/// `{"run": null}` before the first one.
pub async fn last_verify(State(state): State<crate::web::AppState>) -> Response {
    let catalog = state.catalog.clone();
    let zone = state.zone;
    let found = tokio::task::spawn_blocking(move || catalog.last_verify_run()).await;
    let run = match found {
        Ok(Ok(run)) => run,
        Ok(Err(e)) => return internal(e.to_string()),
        Err(e) => return internal(e.to_string()),
    };
    let Some(run) = run else {
        return Json(serde_json::json!({ "run": null })).into_response();
    };
    let report: serde_json::Value =
        serde_json::from_str(&run.report).unwrap_or(serde_json::Value::Null);
    Json(serde_json::json!({
        "run": {
            "started_at": rfc3339(run.started_at_ms, zone),
            "finished_at": rfc3339(run.finished_at_ms, zone),
            "origin": run.origin,
            "ok": run.ok,
            "checked": run.checked,
            "bytes": run.bytes,
            "seconds": run.seconds,
            "missing": run.missing,
            "changed": run.changed,
            "unexpected": run.unexpected,
            "problems": run.problems,
            "report": report,
        }
    }))
    .into_response()
}

fn internal(reason: String) -> Response {
    tracing::error!("request failed: {reason}");
    let body = Json(serde_json::json!({"error": "internal error; see the server log"}));
    (StatusCode::INTERNAL_SERVER_ERROR, body).into_response()
}

/// Unix milliseconds as RFC 3339 in the configured zone.
pub(crate) fn rfc3339(ms: i64, zone: jiff::tz::Offset) -> String {
    match jiff::Timestamp::from_millisecond(ms) {
        Ok(t) => t.display_with_offset(zone).to_string(),
        Err(_) => ms.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_throttle_holds_the_rate() {
        let stop = Stop::default();
        let throttle = Throttle::new(10 * 1024 * 1024);
        let started = Instant::now();
        for _ in 0..4 {
            throttle.consume(1024 * 1024, &stop);
        }
        let took = started.elapsed();
        assert!(took >= Duration::from_millis(350), "{took:?}");
        assert!(took < Duration::from_secs(2), "{took:?}");
    }

    #[test]
    fn a_stop_ends_a_wait() {
        let stop = Arc::new(Stop::default());
        let s = stop.clone();
        let t = std::thread::spawn(move || s.wait(Duration::from_secs(30)));
        std::thread::sleep(Duration::from_millis(50));
        stop.stop();
        assert!(t.join().unwrap());
    }

    #[test]
    fn replica_config_is_checked_and_named() {
        let base = Path::new("/srv/liputan");
        let ok = Config::parse(
            "[[replica]]\npath = \"/media/a\"\n[[replica]]\npath = \"/media/b\"\n",
            "t",
            base,
        )
        .unwrap();
        assert_eq!(ok.replicas.len(), 2);
        assert_eq!(ok.verify_every, Some(Duration::from_secs(7 * 86_400)));
        let none = Config::load(None).unwrap();
        assert!(none.replicas.is_empty());
        for (text, key) in [
            ("[[replica]]\npathh = \"/x\"\n", "replica[0].pathh"),
            ("[[replica]]\npath = \"/media/a\"\n[[replica]]\npath = \"/srv/liputan/archive/x\"\n", "replica[1].path"),
            ("[verify]\nevery_dayz = 1\n", "verify.every_dayz"),
            ("[replication]\npoll_seconds = 0\n", "replication.poll_seconds"),
        ] {
            let err = Config::parse(text, "t", base).unwrap_err().to_string();
            assert!(err.contains(key), "{text:?}: {err}");
        }
    }
}
