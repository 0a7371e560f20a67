//! Wiring: opens the catalog, the search index and the archive, recovers what
//! a crash left, starts the ingest pipeline, the derived-data workers and the
//! web server, and drains them on shutdown. The CLI commands and the tests start
//! things through here, the same way.

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::Context as _;

use crate::browse::{self, AssetQuery, Found};
use crate::catalog::Catalog;
use crate::config::Config;
use crate::derived::{self, ImageStore, Wake, Workers};
use crate::ingest::oneshot::{self, Summary};
use crate::ingest::pipeline::{self, Status};
use crate::ingest::{refile, Ingestor};
use crate::schedule::tagger::Tagger;
use crate::search::SearchIndex;
use crate::web;

/// Everything a running liputan holds open.
#[derive(Clone)]
pub struct Services {
    pub config: Arc<Config>,
    pub catalog: Arc<Catalog>,
    pub ingestor: Arc<Ingestor>,
    pub index: SearchIndex,
    pub images: Arc<ImageStore>,
    pub wake: Arc<Wake>,
    pub tagger: Arc<Tagger>,
}

impl Services {
    /// Opens the catalog, index and archive and recovers an interrupted run.
    /// Takes the ingest lock (one writer per archive). Blocking.
    pub fn open(
        config: &Arc<Config>,
        wait_for_space: bool,
        stop: Arc<AtomicBool>,
    ) -> anyhow::Result<Services> {
        for dir in config.inbox.iter().chain([&config.archive, &config.data]) {
            std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        }
        private_data(&config.data);
        let catalog_path = config.catalog_path();
        let catalog = Arc::new(
            Catalog::open(&catalog_path)
                .with_context(|| format!("opening the catalog at {}", catalog_path.display()))?,
        );
        let wake = Arc::new(Wake::default());
        let tagger = Arc::new(Tagger::new(catalog.clone(), config));
        let ingestor = Ingestor::new(
            config.clone(),
            catalog.clone(),
            wait_for_space,
            stop,
            wake.clone(),
            tagger.clone(),
        )
        .with_context(|| format!("preparing the archive at {}", config.archive.display()))?;
        ingestor
            .recover()
            .context("recovering an interrupted run")?;
        refile::recover(&catalog, &config.archive).context("recovering interrupted re-filings")?;
        let index_dir = config.index_path();
        let index = SearchIndex::open(&index_dir)
            .with_context(|| format!("opening the search index at {}", index_dir.display()))?;
        if index.needs_rebuild() {
            match index.outcome() {
                crate::search::OpenOutcome::Created => {
                    tracing::info!("new search index: filling it from the catalog")
                }
                other => {
                    tracing::warn!(outcome = ?other, "the search index is stale or was unreadable; rebuilding it from the catalog")
                }
            }
            catalog.mark_all_unindexed()?;
        }
        let images = Arc::new(ImageStore::new(&config.data, &config.archive));
        if !crate::media::thumbs::ffmpeg_available() {
            tracing::warn!(
                "ffmpeg is not installed: videos get a placeholder instead of a poster frame"
            );
        }
        Ok(Services {
            config: config.clone(),
            catalog,
            ingestor: Arc::new(ingestor),
            index,
            images,
            wake,
            tagger,
        })
    }

    /// Starts the workers that make thumbnails and keep the index caught up.
    pub fn derived_workers(&self) -> Workers {
        Workers::start(
            derived::Context {
                catalog: self.catalog.clone(),
                images: self.images.clone(),
                index: self.index.clone(),
                zone_seconds: self.config.zone.seconds(),
                wake: self.wake.clone(),
            },
            self.config.thumb_workers,
        )
    }
}

/// Closes the data folder (catalog with password hashes, thumbnails,
/// previews) to other users, in case an earlier run made it with a looser
/// umask. Best effort: a folder owned by someone else is left as it is.
fn private_data(data: &std::path::Path) {
    use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
    let Ok(meta) = std::fs::metadata(data) else {
        return;
    };
    // SAFETY: geteuid has no preconditions and touches no memory.
    let me = unsafe { libc::geteuid() };
    if meta.uid() == me && meta.mode() & 0o077 != 0 {
        let mode = meta.mode() & 0o700;
        match std::fs::set_permissions(data, std::fs::Permissions::from_mode(mode)) {
            Ok(()) => tracing::warn!(
                data = %data.display(),
                "the data folder was readable by other users; closed it (mode {mode:o})"
            ),
            Err(e) => {
                tracing::warn!(data = %data.display(), "could not close the data folder to other users: {e}")
            }
        }
    }
}

/// `liputan ingest`: one pass over `dirs`, thumbnails and index included. Blocking.
pub fn ingest_once(config: Arc<Config>, dirs: &[PathBuf]) -> anyhow::Result<Summary> {
    let services = Services::open(&config, false, Arc::new(AtomicBool::new(false)))?;
    let workers = services.derived_workers();
    let mut summary = oneshot::run(services.ingestor.clone(), dirs, config.workers);
    let started = std::time::Instant::now();
    workers.finish();
    summary.seconds += started.elapsed().as_secs_f64();
    Ok(summary)
}

/// `liputan reindex`: rebuilds the search index from the catalog and makes any
/// missing thumbnails. Blocking.
pub fn reindex(config: Arc<Config>) -> anyhow::Result<(u64, usize)> {
    let services = Services::open(&config, false, Arc::new(AtomicBool::new(false)))?;
    let zone = config.zone.seconds();
    let mut docs = Vec::new();
    let mut missing = Vec::new();
    // A video's placeholder may have been for want of ffmpeg, since installed;
    // other placeholders (audio, documents, undecodable files) stay as they are.
    let ffmpeg = crate::media::thumbs::ffmpeg_available();
    services.catalog.each_asset(1000, &mut |page| {
        let contexts = derived::doc_contexts(&services.catalog, &page)?;
        for asset in page {
            let redo = match asset.derived.as_deref() {
                None => true,
                Some("ok") => !services.images.has(&asset.id),
                Some(_) => ffmpeg && asset.kind == "video",
            };
            if redo {
                missing.push(asset.id.clone());
            }
            docs.push(derived::search_doc(
                &asset,
                zone,
                asset.assignment_id.and_then(|id| contexts.get(&id)),
            ));
        }
        Ok(())
    })?;
    let indexed = services
        .index
        .rebuild(docs.into_iter())
        .context("rebuilding the search index")?;
    services.catalog.mark_all_unindexed()?;
    services.catalog.reset_derived(&missing)?;
    // The workers re-mark the index (a cheap pass) and make the missing images.
    services.derived_workers().finish();
    Ok((indexed, missing.len()))
}

/// `liputan search`: the same query as `GET /api/assets`. Blocking.
pub fn search(config: Arc<Config>, query: &AssetQuery) -> anyhow::Result<Found> {
    let catalog = Catalog::open(&config.catalog_path()).context("opening the catalog")?;
    let index =
        SearchIndex::open_read_only(&config.index_path()).context("opening the search index")?;
    Ok(browse::find(&catalog, &index, config.zone, query)?)
}

/// How long `serve` waits for open requests when asked to stop.
const HTTP_GRACE: std::time::Duration = std::time::Duration::from_secs(5);

/// `liputan serve`: runs until `shutdown` completes, on an already bound listener
/// (tests pass port 0).
pub async fn serve(
    config: Arc<Config>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    let services = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || Services::open(&config, true, stop)).await??
    };
    let workers = services.derived_workers();
    // Scheduled verify and replica worker: their own threads, off the runtime.
    let care = crate::care::Care::start(config.clone(), services.catalog.clone());
    let status = Arc::new(Status::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);

    let mut ingest = tokio::spawn(pipeline::run(
        services.ingestor.clone(),
        config.clone(),
        status.clone(),
        stop_rx.clone(),
    ));
    let notify_status = status.clone();
    let state = web::AppState {
        config: config.clone(),
        zone: config.zone,
        catalog: services.catalog.clone(),
        ingestor: services.ingestor.clone(),
        status,
        index: services.index.clone(),
        images: services.images.clone(),
        tagger: services.tagger.clone(),
        wake: services.wake.clone(),
        setup: Arc::new(std::sync::Mutex::new(setup_link(
            &services.catalog,
            listener.local_addr()?,
        )?)),
        live: web::live::Live::start(
            services.catalog.clone(),
            config.http.live_per_user,
            stop_rx.clone(),
        ),
    };
    // The watchdog's probes come in through this channel, not the listener
    // (see `web::serve`): a full connection cap must not look like a hang.
    let (probe_tx, probe_rx) = tokio::sync::mpsc::channel(4);
    let mut http = tokio::spawn(web::serve::run(
        listener,
        web::router(state),
        config.http.clone(),
        config.listen,
        probe_rx,
        stop_rx.clone(),
    ));
    tracing::info!(listen = %config.listen, inbox = ?config.inbox, archive = %config.archive.display(), "liputan is running");
    // systemd: READY=1 once /healthz answers, then WATCHDOG=1 while ingest and HTTP make progress.
    let notify =
        crate::notify::Supervisor::start(crate::notify::Probe::Private(probe_tx), notify_status);

    // Whichever ends first: the shutdown signal, or a task that should never end.
    let early = tokio::select! {
        () = shutdown => None,
        r = &mut ingest => Some(format!("the ingest pipeline stopped: {}", describe(r.map(|r| r.map_err(|e| format!("{e:#}")))))),
        r = &mut http => Some(format!("the web server stopped: {}", describe(r.map(|r| r.map_err(|e| e.to_string()))))),
    };
    notify.stopping();
    let _ = stop_tx.send(true);
    if !ingest.is_finished() {
        let _ = ingest.await;
    }
    if !http.is_finished() {
        // Open live lists end with the stop signal, but a phone may sit on a
        // slow upload: give requests a moment, then close.
        if tokio::time::timeout(HTTP_GRACE, &mut http).await.is_err() {
            tracing::info!("closing connections still open after {HTTP_GRACE:?}");
            http.abort();
        }
    }
    tokio::task::spawn_blocking(move || workers.stop()).await?;
    tokio::task::spawn_blocking(move || care.stop()).await?;
    match early {
        None => {
            tracing::info!("stopped");
            Ok(())
        }
        Some(why) => anyhow::bail!(why),
    }
}

/// While no admin account exists, a one-time link to create the first one,
/// printed where the admin who started the daemon looks (stderr, journald).
fn setup_link(catalog: &Catalog, listen: std::net::SocketAddr) -> anyhow::Result<Option<String>> {
    if catalog.has_admin()? {
        return Ok(None);
    }
    let secret = crate::auth::new_secret()?;
    let link = format!("http://{listen}/setup?token={secret}");
    eprintln!(
        "liputan: no admin account yet. Open this link once to create the first one:\n  {link}"
    );
    tracing::warn!("no admin account yet; the one-time setup link was printed on stderr");
    Ok(Some(secret))
}

fn describe(result: Result<Result<(), String>, tokio::task::JoinError>) -> String {
    match result {
        Ok(Ok(())) => "ended".into(),
        Ok(Err(e)) => e,
        Err(e) => e.to_string(),
    }
}

/// `liputan user add`: a new account with a password.
pub fn add_user(
    config: &Config,
    person: &crate::schedule::Person,
    password: &str,
) -> crate::Result<()> {
    let hash = crate::auth::hash_password(password)?;
    let catalog = Catalog::open(&config.catalog_path())?;
    catalog.add_person(person)?;
    catalog.set_password(&person.username, &hash)?;
    catalog.audit(None, "user add (command line)", &person.username, 201)
}

/// `liputan token create`: a bearer token for an existing account, valid for
/// `days` (default `server.token_days`).
pub fn create_token(config: &Config, username: &str, days: Option<u64>) -> crate::Result<String> {
    let days = days.unwrap_or(config.token_valid.as_secs() / 86_400);
    if !(1..=crate::config::MAX_TOKEN_DAYS).contains(&days) {
        return Err(crate::Error::Invalid(format!(
            "days: antara 1 dan {} hari",
            crate::config::MAX_TOKEN_DAYS
        )));
    }
    let catalog = Catalog::open(&config.catalog_path())?;
    let token = catalog.create_token(username, days as i64 * 86_400_000)?;
    catalog.audit(None, "token create (command line)", username, 201)?;
    Ok(token)
}

/// `liputan token list`: every token of `username` (or everyone's).
pub fn list_tokens(
    config: &Config,
    username: Option<&str>,
) -> crate::Result<Vec<crate::catalog::TokenRecord>> {
    Catalog::open(&config.catalog_path())?.tokens(username)
}

/// `liputan token revoke`: one token by id, or every token of a user; returns
/// how many were revoked.
pub fn revoke_tokens(config: &Config, which: TokenChoice<'_>) -> crate::Result<usize> {
    let catalog = Catalog::open(&config.catalog_path())?;
    let why = "dicabut lewat baris perintah";
    let (target, count) = match which {
        TokenChoice::Id(id) => (catalog.revoke_token(id, why)?, 1),
        TokenChoice::User(username) => {
            if catalog.is_disabled(username)?.is_none() {
                return Err(crate::Error::NotFound(format!(
                    "user: tidak ada pengguna {username}"
                )));
            }
            (
                username.to_owned(),
                catalog.revoke_tokens_of(username, why)?,
            )
        }
    };
    catalog.audit(None, "token revoke (command line)", &target, 200)?;
    Ok(count)
}

/// Which tokens `token revoke` ends.
pub enum TokenChoice<'a> {
    Id(&'a str),
    User(&'a str),
}
