//! The feed behind Beranda's live list (`/api/live`): ONE background task asks
//! the catalog for newly archived files every two seconds, only while someone
//! listens, and fans each batch out to every open list through a broadcast
//! channel. Before, every open list polled the catalog itself, so a hundred
//! tabs were a hundred queries every two seconds. Also owns the per-user cap
//! on open lists.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::stream::{self, Stream};
use tokio::sync::{broadcast, watch, Notify};

use crate::catalog::{AssetRecord, Catalog};
use crate::web::error::ApiError;

/// How often the feed asks the catalog for new files.
const POLL: Duration = Duration::from_secs(2);
/// Most files one poll reports.
const BATCH: usize = 50;
/// Batches a slow listener may fall behind by before it skips some.
const BACKLOG: usize = 16;

/// Newly archived files with their arrival time (ms), newest first.
pub type Batch = Arc<Vec<(AssetRecord, i64)>>;

pub struct Live {
    sender: broadcast::Sender<Batch>,
    /// Rung when a listener arrives, so an idle feed starts polling.
    wake: Notify,
    open: Mutex<HashMap<String, usize>>,
    per_user: usize,
    stop: watch::Receiver<bool>,
}

impl Live {
    /// Starts the feed task (idle until someone listens); it ends when `stop`
    /// turns true. Needs the tokio runtime.
    pub fn start(catalog: Arc<Catalog>, per_user: usize, stop: watch::Receiver<bool>) -> Arc<Live> {
        let (sender, _) = broadcast::channel(BACKLOG);
        let live = Arc::new(Live {
            sender,
            wake: Notify::new(),
            open: Mutex::new(HashMap::new()),
            per_user,
            stop,
        });
        tokio::spawn(feed(live.clone(), catalog));
        live
    }

    /// A new listener for `username`, or 429 past the per-user cap.
    pub fn subscribe(self: &Arc<Self>, username: &str) -> Result<Subscription, ApiError> {
        {
            let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
            let count = open.entry(username.to_owned()).or_insert(0);
            if *count >= self.per_user {
                return Err(ApiError::TooMany(
                    format!(
                        "live: sudah ada {} daftar langsung terbuka untuk akun ini; tutup tab Beranda yang lain lalu muat ulang",
                        self.per_user
                    ),
                    30,
                ));
            }
            *count += 1;
        }
        let receiver = self.sender.subscribe();
        // A permit is stored if the feed is not waiting yet: no lost wake-up.
        self.wake.notify_one();
        Ok(Subscription {
            receiver,
            _slot: UserSlot {
                live: self.clone(),
                username: username.to_owned(),
            },
            stop: self.stop.clone(),
        })
    }

    /// Open lists of `username` (tests, metrics).
    pub fn open_for(&self, username: &str) -> usize {
        let open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        open.get(username).copied().unwrap_or(0)
    }
}

/// One open list's place under the per-user cap.
struct UserSlot {
    live: Arc<Live>,
    username: String,
}

impl Drop for UserSlot {
    fn drop(&mut self) {
        let mut open = self.live.open.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(count) = open.get_mut(&self.username) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                open.remove(&self.username);
            }
        }
    }
}

/// One listener: the batches from its subscription on.
pub struct Subscription {
    receiver: broadcast::Receiver<Batch>,
    _slot: UserSlot,
    stop: watch::Receiver<bool>,
}

impl Subscription {
    /// The batches as a stream that ends when the daemon stops (so open lists
    /// do not hold shutdown) and gives its slot back when dropped.
    pub fn into_stream(self) -> impl Stream<Item = Batch> + Send {
        stream::unfold(self, |mut sub| async move {
            loop {
                let got = tokio::select! {
                    _ = sub.stop.wait_for(|s| *s) => return None,
                    got = sub.receiver.recv() => got,
                };
                match got {
                    Ok(batch) => return Some((batch, sub)),
                    // A listener too slow to keep up misses some lines; the
                    // page still has the full list on reload.
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return None,
                }
            }
        })
    }
}

/// The feed: waits for a listener, then polls until the last one leaves.
async fn feed(live: Arc<Live>, catalog: Arc<Catalog>) {
    let mut stop = live.stop.clone();
    loop {
        while live.sender.receiver_count() == 0 {
            tokio::select! {
                _ = stop.wait_for(|s| *s) => return,
                () = live.wake.notified() => {}
            }
        }
        let mut since = jiff::Timestamp::now().as_millisecond();
        while live.sender.receiver_count() > 0 {
            tokio::select! {
                _ = stop.wait_for(|s| *s) => return,
                () = tokio::time::sleep(POLL) => {}
            }
            let catalog = catalog.clone();
            let found =
                tokio::task::spawn_blocking(move || catalog.arrived_since(since, BATCH)).await;
            match found {
                Ok(Ok(arrivals)) if !arrivals.is_empty() => {
                    since = arrivals.iter().map(|(_, at)| *at).max().unwrap_or(since);
                    // No receiver left between the check and now: nothing to do.
                    let _ = live.sender.send(Arc::new(arrivals));
                }
                Ok(Ok(_)) => {}
                Ok(Err(e)) => tracing::warn!("the live list could not read the catalog: {e}"),
                Err(e) => tracing::warn!("the live list's catalog read failed: {e}"),
            }
        }
    }
}
