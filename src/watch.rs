//! Watching inbox roots: turns the kernel's file events into paths worth a look,
//! and says when events were lost so that a full rescan can make up for them.
//! Owns nothing else: settling, filtering and ingest happen downstream.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use notify::{EventKind, RecursiveMode, Watcher};
use tokio::sync::mpsc;

/// What the watcher reports.
#[derive(Debug)]
pub enum WatchEvent {
    /// Paths that were created, written, closed or moved in.
    Paths(Vec<PathBuf>),
}

/// Keeps the watches alive; dropping it stops watching.
pub struct Watch {
    _watcher: notify::RecommendedWatcher,
}

/// Starts watching `roots` recursively. Events go to `tx` without ever blocking
/// the watcher thread; when `tx` is full, or the kernel queue overflowed, or the
/// watcher errs, `lost` is set and the pipeline rescans.
pub fn start(
    roots: &[PathBuf],
    tx: mpsc::Sender<WatchEvent>,
    lost: Arc<AtomicBool>,
) -> notify::Result<Watch> {
    let handler = move |result: notify::Result<notify::Event>| match result {
        Ok(event) => {
            if event.need_rescan() {
                lost.store(true, Ordering::Relaxed);
            }
            let worth_a_look = matches!(
                event.kind,
                EventKind::Create(_)
                    | EventKind::Modify(_)
                    | EventKind::Access(notify::event::AccessKind::Close(
                        notify::event::AccessMode::Write
                    ))
            );
            if worth_a_look
                && !event.paths.is_empty()
                && tx.try_send(WatchEvent::Paths(event.paths)).is_err()
            {
                lost.store(true, Ordering::Relaxed);
            }
        }
        Err(e) => {
            tracing::warn!("file watcher: {e}; rescanning");
            lost.store(true, Ordering::Relaxed);
        }
    };
    // Links are not followed: a link in the inbox to a folder outside it must
    // not make that folder's files look like inbox files (they are refused at
    // open anyway; this keeps the watches inside the inbox too).
    let mut watcher = notify::RecommendedWatcher::new(
        handler,
        notify::Config::default().with_follow_symlinks(false),
    )?;
    for root in roots {
        watcher.watch(root, RecursiveMode::Recursive)?;
    }
    Ok(Watch { _watcher: watcher })
}
