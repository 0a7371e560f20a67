//! Wiring: opens the catalog, recovers what a crash left, starts the ingest
//! pipeline and the web server, and drains both on shutdown. Also the one-shot
//! ingest entry point, so the CLI and tests start things the same way.

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

use anyhow::Context;

use crate::catalog::Catalog;
use crate::config::Config;
use crate::ingest::oneshot::{self, Summary};
use crate::ingest::pipeline::{self, Status};
use crate::ingest::Ingestor;
use crate::web;

/// Opens the catalog and the archive and recovers an interrupted run.
/// Blocking.
pub fn open(
    config: &Arc<Config>,
    wait_for_space: bool,
    stop: Arc<AtomicBool>,
) -> anyhow::Result<Arc<Ingestor>> {
    for dir in config.inbox.iter().chain([&config.archive, &config.data]) {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let catalog_path = config.catalog_path();
    let catalog = Catalog::open(&catalog_path)
        .with_context(|| format!("opening the catalog at {}", catalog_path.display()))?;
    let ingestor = Ingestor::new(config.clone(), Arc::new(catalog), wait_for_space, stop)
        .with_context(|| format!("preparing the archive at {}", config.archive.display()))?;
    ingestor
        .recover()
        .context("recovering an interrupted run")?;
    Ok(Arc::new(ingestor))
}

/// `liputan ingest`: one pass over `dirs`. Blocking.
pub fn ingest_once(config: Arc<Config>, dirs: &[PathBuf]) -> anyhow::Result<Summary> {
    let ingestor = open(&config, false, Arc::new(AtomicBool::new(false)))?;
    Ok(oneshot::run(ingestor, dirs, config.workers))
}

/// `liputan serve`: runs until `shutdown` completes, on an already bound listener
/// (tests pass port 0).
pub async fn serve(
    config: Arc<Config>,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let stop = Arc::new(AtomicBool::new(false));
    let opened = {
        let config = config.clone();
        tokio::task::spawn_blocking(move || open(&config, true, stop)).await?
    };
    let ingestor = opened?;
    let status = Arc::new(Status::default());
    let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);

    let mut ingest = tokio::spawn(pipeline::run(
        ingestor.clone(),
        config.clone(),
        status.clone(),
        stop_rx.clone(),
    ));
    let state = web::AppState {
        catalog: ingestor.catalog().clone(),
        ingestor: ingestor.clone(),
        status,
    };
    let mut http_stop = stop_rx.clone();
    let mut http = tokio::spawn(async move {
        axum::serve(listener, web::router(state))
            .with_graceful_shutdown(async move {
                let _ = http_stop.wait_for(|stop| *stop).await;
            })
            .await
    });
    tracing::info!(listen = %config.listen, inbox = ?config.inbox, archive = %config.archive.display(), "liputan is running");

    // Whichever ends first: the shutdown signal, or a task that should never end.
    let early = tokio::select! {
        () = shutdown => None,
        r = &mut ingest => Some(format!("the ingest pipeline stopped: {}", describe(r.map(|r| r.map_err(|e| format!("{e:#}")))))),
        r = &mut http => Some(format!("the web server stopped: {}", describe(r.map(|r| r.map_err(|e| e.to_string()))))),
    };
    let _ = stop_tx.send(true);
    if !ingest.is_finished() {
        let _ = ingest.await;
    }
    if !http.is_finished() {
        let _ = http.await;
    }
    match early {
        None => {
            tracing::info!("stopped");
            Ok(())
        }
        Some(why) => anyhow::bail!(why),
    }
}

fn describe(result: Result<Result<(), String>, tokio::task::JoinError>) -> String {
    match result {
        Ok(Ok(())) => "ended".into(),
        Ok(Err(e)) => e,
        Err(e) => e.to_string(),
    }
}
