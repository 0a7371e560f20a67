//! Derived data follows the catalog: thumbnails and previews (static JPEG files
//! keyed by blake3 under the data folder) and the search index. The catalog is
//! the work queue (`derived IS NULL`, `indexed_version < version`), so nothing is
//! lost when the daemon stops, crashes or falls behind; these workers only catch up.
//!
//! Blocking: the workers run on their own threads.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use crate::catalog::{AssetRecord, Catalog, Derivation};
use crate::error::{IoContext, Result};
use crate::media::thumbs::{self, Limits};
use crate::media::Kind;
use crate::search::{SearchDoc, SearchIndex};

/// Rows fetched per derive round, and per index commit.
const DERIVE_BATCH: usize = 16;
const INDEX_BATCH: usize = 1000;

/// A doorbell: ingest rings it after a commit so the workers need not poll fast.
/// A ring is a new generation; each waiter remembers the last one it saw, so
/// one worker waking up never swallows the ring meant for the other, and a
/// ring that came while a worker was busy is not missed.
#[derive(Default)]
pub struct Wake {
    generation: Mutex<u64>,
    bell: Condvar,
}

impl Wake {
    pub fn ring(&self) {
        *self.generation.lock().unwrap_or_else(|e| e.into_inner()) += 1;
        self.bell.notify_all();
    }

    /// Waits until a ring newer than `seen`, or `timeout`; updates `seen`.
    fn wait(&self, seen: &mut u64, timeout: Duration) {
        let generation = self.generation.lock().unwrap_or_else(|e| e.into_inner());
        let (generation, _) = self
            .bell
            .wait_timeout_while(generation, timeout, |g| *g == *seen)
            .unwrap_or_else(|e| e.into_inner());
        *seen = *generation;
    }
}

/// Which derived image.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Size {
    Thumb,
    Preview,
}

/// Where derived images live: `<data>/thumbs/ab/<id>.jpg`, `<data>/previews/ab/<id>.jpg`.
#[derive(Debug, Clone)]
pub struct ImageStore {
    data: PathBuf,
    archive: PathBuf,
    limits: Limits,
}

impl ImageStore {
    pub fn new(data: &Path, archive: &Path) -> ImageStore {
        ImageStore {
            data: data.to_owned(),
            archive: archive.to_owned(),
            limits: Limits::default(),
        }
    }

    /// The file for `id` (a blake3 hex string) at `size`; `None` for a malformed id.
    pub fn path(&self, id: &str, size: Size) -> Option<PathBuf> {
        if id.len() != 64 || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let folder = match size {
            Size::Thumb => "thumbs",
            Size::Preview => "previews",
        };
        Some(
            self.data
                .join(folder)
                .join(&id[..2])
                .join(format!("{id}.jpg")),
        )
    }

    /// Makes and stores both images for one asset. A file that cannot be
    /// decoded gets a placeholder and the reason; that is an outcome, not an error.
    pub fn make(&self, asset: &AssetRecord) -> Result<Derivation> {
        let kind: Kind = asset.kind.parse().unwrap_or(Kind::Other);
        if !matches!(kind, Kind::Photo | Kind::Raw | Kind::Video) {
            return Ok(Derivation::Placeholder(format!(
                "no thumbnail for a {kind} file"
            )));
        }
        let source = self.archive.join(&asset.archive_path);
        let derived = match thumbs::derive(&source, kind, asset.orientation, &self.limits) {
            Ok(derived) => derived,
            Err(e) => return Ok(Derivation::Placeholder(e.to_string())),
        };
        let (Some(thumb_path), Some(preview_path)) = (
            self.path(&asset.id, Size::Thumb),
            self.path(&asset.id, Size::Preview),
        ) else {
            return Ok(Derivation::Placeholder("malformed asset id".into()));
        };
        write_atomic(&thumb_path, &derived.thumb)?;
        // No preview: the original is a JPEG or PNG of at most 1600 px, good
        // enough to show as it is.
        match derived.preview.as_deref() {
            Some(preview) => write_atomic(&preview_path, preview)?,
            None => write_atomic(
                &preview_path,
                &std::fs::read(&source).at("reading", &source)?,
            )?,
        }
        Ok(Derivation::Made)
    }

    /// True when both images of a made asset are on disk.
    pub fn has(&self, id: &str) -> bool {
        [Size::Thumb, Size::Preview]
            .iter()
            .all(|s| self.path(id, *s).is_some_and(|p| p.is_file()))
    }
}

/// Writes via a temp file and a rename, so a reader never sees half an image.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).at("creating", dir)?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, bytes).at("writing", &tmp)?;
    std::fs::rename(&tmp, path).at("renaming into place", path)
}

/// The schedule facts an asset's index document carries.
#[derive(Debug, Clone, Default)]
pub struct DocContext {
    pub assignment_title: Option<String>,
    pub event_title: Option<String>,
    pub leader: Option<String>,
    pub place: Option<String>,
}

/// Looks up the assignment and event of each tagged asset (once per assignment).
pub fn doc_contexts(
    catalog: &Catalog,
    assets: &[AssetRecord],
) -> Result<std::collections::HashMap<i64, DocContext>> {
    let mut out = std::collections::HashMap::new();
    for id in assets.iter().filter_map(|a| a.assignment_id) {
        if out.contains_key(&id) {
            continue;
        }
        let event = match catalog.assignment(id)? {
            Some(a) => catalog.event(a.event_id)?,
            None => None,
        };
        let context = event
            .map(|e| DocContext {
                assignment_title: Some(e.title.clone()),
                event_title: Some(e.title.clone()),
                leader: Some(crate::schedule::name_of(&e.leader)),
                place: Some(e.location.clone()),
            })
            .unwrap_or_default();
        out.insert(id, context);
    }
    Ok(out)
}

/// Builds the index document for an asset.
pub fn search_doc(
    asset: &AssetRecord,
    zone_seconds: i32,
    context: Option<&DocContext>,
) -> SearchDoc {
    let context = context.cloned().unwrap_or_default();
    SearchDoc {
        id: asset.id.clone(),
        kind: asset.kind.clone(),
        file_name: asset.file_name.clone(),
        captured_at_ms: asset.captured_at_ms,
        offset_seconds: zone_seconds,
        camera: asset.camera(),
        serial: asset.serial.clone(),
        photographer: asset.photographer.clone(),
        drop_folder: asset.drop_folder.clone(),
        assignment_id: asset.assignment_id,
        assignment_title: context.assignment_title,
        event_title: context.event_title,
        leader: context.leader,
        place: context.place,
        caption: asset.caption.clone().or_else(|| asset.description.clone()),
        keywords: Vec::new(),
        status: status_of(asset).to_owned(),
    }
}

/// The status filter value of an asset.
pub fn status_of(asset: &AssetRecord) -> &'static str {
    if asset.damaged.is_some() {
        "damaged"
    } else if asset.assignment_id.is_some() {
        "tagged"
    } else {
        "untagged"
    }
}

/// The background workers that keep derived data caught up.
pub struct Workers {
    stop: Arc<AtomicBool>,
    /// When set, workers exit as soon as no work is left (one-shot ingest).
    finish: Arc<AtomicBool>,
    wake: Arc<Wake>,
    threads: Vec<std::thread::JoinHandle<()>>,
}

/// What the workers need.
#[derive(Clone)]
pub struct Context {
    pub catalog: Arc<Catalog>,
    pub images: Arc<ImageStore>,
    pub index: SearchIndex,
    pub zone_seconds: i32,
    pub wake: Arc<Wake>,
}

impl Workers {
    /// Starts `derive_threads` thumbnail makers (sharing each batch) and one
    /// index writer (the index has a single writer).
    pub fn start(ctx: Context, derive_threads: usize) -> Workers {
        let stop = Arc::new(AtomicBool::new(false));
        let finish = Arc::new(AtomicBool::new(false));
        let threads = vec![
            spawn("derive", {
                let (ctx, stop, finish) = (ctx.clone(), stop.clone(), finish.clone());
                move || {
                    run_loop(&ctx.wake, &stop, &finish, || {
                        derive_round(&ctx, derive_threads.max(1))
                    })
                }
            }),
            spawn("index", {
                let (ctx, stop, finish) = (ctx.clone(), stop.clone(), finish.clone());
                move || run_loop(&ctx.wake, &stop, &finish, || index_round(&ctx))
            }),
        ];
        Workers {
            stop,
            finish,
            wake: ctx.wake,
            threads,
        }
    }

    /// Lets the workers run out of work, then joins them.
    pub fn finish(self) {
        self.finish.store(true, Ordering::Relaxed);
        self.join();
    }

    /// Stops after the current batch and joins.
    pub fn stop(self) {
        self.stop.store(true, Ordering::Relaxed);
        self.join();
    }

    fn join(self) {
        self.wake.ring();
        for thread in self.threads {
            let _ = thread.join();
        }
    }
}

fn spawn(name: &str, body: impl FnOnce() + Send + 'static) -> std::thread::JoinHandle<()> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(body)
        .expect("spawning a derived-data thread")
}

/// Runs `round` until stopped; sleeps on the doorbell when a round found nothing.
fn run_loop(
    wake: &Wake,
    stop: &AtomicBool,
    finish: &AtomicBool,
    mut round: impl FnMut() -> Result<usize>,
) {
    let mut seen = 0;
    while !stop.load(Ordering::Relaxed) {
        match round() {
            Ok(0) if finish.load(Ordering::Relaxed) => return,
            Ok(0) => wake.wait(&mut seen, Duration::from_secs(2)),
            Ok(_) => {}
            Err(e) => {
                tracing::error!("derived data: {e}; retrying shortly");
                if finish.load(Ordering::Relaxed) {
                    return;
                }
                wake.wait(&mut seen, Duration::from_secs(5));
            }
        }
    }
}

/// Makes thumbnails for one batch, `threads` at a time. Returns how many.
fn derive_round(ctx: &Context, threads: usize) -> Result<usize> {
    let batch = ctx.catalog.to_derive(DERIVE_BATCH)?;
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results: Vec<Result<()>> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads.min(batch.len()))
            .map(|_| {
                scope.spawn(|| -> Result<()> {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(asset) = batch.get(i) else {
                            return Ok(());
                        };
                        // A decoder panic on one hostile file must not stop the others.
                        let made_at = std::time::Instant::now();
                        let outcome =
                            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
                                ctx.images.make(asset)
                            }))
                            .unwrap_or_else(|_| {
                                Ok(Derivation::Placeholder(
                                    "internal error while decoding".into(),
                                ))
                            })?;
                        crate::metrics::registry()
                            .thumbnail_seconds
                            .observe_duration(made_at.elapsed());
                        if let Derivation::Placeholder(reason) = &outcome {
                            tracing::info!(file = %asset.file_name, "no thumbnail: {reason}");
                        }
                        ctx.catalog.set_derived(&asset.id, &outcome)?;
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|_| Ok(())))
            .collect()
    });
    results.into_iter().collect::<Result<Vec<()>>>()?;
    Ok(batch.len())
}

/// Indexes one batch of changed assets with one commit. Returns how many.
fn index_round(ctx: &Context) -> Result<usize> {
    let batch = ctx.catalog.to_index(INDEX_BATCH)?;
    if batch.is_empty() {
        return Ok(0);
    }
    let contexts = doc_contexts(&ctx.catalog, &batch)?;
    let docs = batch
        .iter()
        .map(|a| {
            search_doc(
                a,
                ctx.zone_seconds,
                a.assignment_id.and_then(|id| contexts.get(&id)),
            )
        })
        .collect();
    ctx.index.upsert(docs)?;
    let done: Vec<(String, i64)> = batch.iter().map(|a| (a.id.clone(), a.version)).collect();
    ctx.catalog.mark_indexed(&done)?;
    Ok(batch.len())
}
