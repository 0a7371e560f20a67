//! Serving connections: owns the accept loop and each connection's life, so
//! that no client can hold the daemon by holding sockets. `axum::serve` has no
//! header, body or idle timeout and no cap; here hyper's HTTP/1 connection is
//! driven by hand with a timer and:
//!
//! - a cap on open connections (`[server] max_connections`, never more than a
//!   quarter of `RLIMIT_NOFILE`: the rest is the archive's, SQLite's and
//!   tantivy's) and per client address; beyond it the socket gets a one-line
//!   503/429 and is closed at once, so refusing costs no descriptor for long;
//! - a header-read timeout (hyper's, which also ends an idle keep-alive
//!   connection waiting for its next request);
//! - an idle timeout: no byte either way while no handler is running (a client
//!   that stopped reading a response);
//! - a deadline on bodies read whole (forms, JSON); upload chunks stream and
//!   end after a stall instead (`upload.rs`), so a slow phone is never cut;
//! - the `Host` allow-list (DNS rebinding).
//!
//! The systemd watchdog's `/healthz` probe comes in by a private way: the
//! probe thread makes a socket pair and hands one end over a channel. It is not
//! counted against the cap and nobody else can reach it (no port, no path), so
//! a socket flood cannot starve the probe into a restart loop, while the probe
//! still goes through this runtime, hyper and the router like any request.

use std::collections::HashMap;
use std::convert::Infallible;
use std::future::Future;
use std::io;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{header, HeaderMap, Method, Request, Response, StatusCode};
use axum::response::IntoResponse;
use axum::{Json, Router};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, watch, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tower_service::Service as _;

use crate::config::HttpSettings;

/// One end of a socket pair carrying the watchdog's probe.
pub type ProbeConnection = std::os::unix::net::UnixStream;

/// The cap on open connections: the configured one, and at most a quarter of
/// the descriptor limit (`nofile`), at least 1.
pub fn connection_cap(configured: usize, nofile: Option<u64>) -> usize {
    let by_fds = nofile.map_or(usize::MAX, |n| usize::try_from(n / 4).unwrap_or(usize::MAX));
    configured.min(by_fds).max(1)
}

/// The soft `RLIMIT_NOFILE` of this process; `None` when unlimited or unknown.
pub fn nofile_limit() -> Option<u64> {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit writes into the struct we own and reads nothing else.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
    (ok && limit.rlim_cur != libc::RLIM_INFINITY).then_some(limit.rlim_cur)
}

/// Host names a request may name in `Host`.
#[derive(Debug, Clone)]
pub struct Hosts {
    names: Vec<String>,
    /// Listening on a wildcard address: the machine's LAN addresses are not
    /// known here, and an IP literal cannot be a rebinding attack (that needs
    /// a name whose address the attacker controls), so any is accepted.
    any_ip: bool,
}

impl Hosts {
    pub fn new(extra: &[String], listen: SocketAddr) -> Hosts {
        let mut names: Vec<String> = ["localhost", "127.0.0.1", "::1"]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        if !listen.ip().is_unspecified() {
            names.push(listen.ip().to_string());
        }
        if let Some(name) = hostname() {
            names.push(name.to_ascii_lowercase());
        }
        names.extend(extra.iter().map(|h| normalise(h)));
        Hosts {
            names,
            any_ip: listen.ip().is_unspecified(),
        }
    }

    /// Whether the `Host` header value names this server. No header: not a
    /// browser (HTTP/1.0 tools), which rebinding cannot use.
    pub fn allows(&self, host: Option<&str>) -> bool {
        let Some(host) = host else { return true };
        let name = normalise(strip_port(host));
        if self.any_ip && name.parse::<IpAddr>().is_ok() {
            return true;
        }
        self.names.contains(&name)
    }
}

/// `host:port`, `[v6]:port`, `[v6]` or `host` -> the host part.
fn strip_port(host: &str) -> &str {
    if let Some(rest) = host.strip_prefix('[') {
        return rest.split(']').next().unwrap_or(rest);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.bytes().all(|b| b.is_ascii_digit()) => name,
        _ => host,
    }
}

fn normalise(host: &str) -> String {
    host.trim()
        .trim_start_matches('[')
        .trim_end_matches(']')
        .trim_end_matches('.')
        .to_ascii_lowercase()
}

fn hostname() -> Option<String> {
    let mut buf = [0u8; 256];
    // SAFETY: gethostname writes at most buf.len() bytes into buf.
    let ok = unsafe { libc::gethostname(buf.as_mut_ptr().cast(), buf.len()) } == 0;
    let end = buf.iter().position(|&b| b == 0)?;
    let name = std::str::from_utf8(&buf[..end]).ok()?;
    (ok && !name.is_empty()).then(|| name.to_owned())
}

/// What every connection shares.
struct Shared {
    router: Router,
    hosts: Hosts,
    settings: HttpSettings,
    slots: Arc<Semaphore>,
    per_address: Mutex<HashMap<IpAddr, usize>>,
    refused: AtomicU64,
    /// Refused sockets kept a moment so the client reads its answer (below).
    lingering: Arc<Semaphore>,
}

/// Serves `router` on `listener` (and probe connections arriving on `probes`)
/// until `stop` turns true; then stops accepting, asks every connection to
/// finish its request and close, and returns when all have.
pub async fn run(
    listener: TcpListener,
    router: Router,
    settings: HttpSettings,
    listen: SocketAddr,
    mut probes: mpsc::Receiver<ProbeConnection>,
    mut stop: watch::Receiver<bool>,
) -> io::Result<()> {
    let nofile = nofile_limit();
    let cap = connection_cap(settings.max_connections, nofile);
    tracing::info!(
        cap,
        nofile = ?nofile,
        per_address = settings.max_connections_per_address,
        "accepting connections"
    );
    let shared = Arc::new(Shared {
        router,
        hosts: Hosts::new(&settings.allowed_hosts, listen),
        settings,
        slots: Arc::new(Semaphore::new(cap)),
        per_address: Mutex::new(HashMap::new()),
        refused: AtomicU64::new(0),
        lingering: Arc::new(Semaphore::new((cap / 4).max(4))),
    });
    let mut connections = JoinSet::new();
    // What each connection watches to finish its request and close.
    let closing = stop.clone();
    loop {
        // Finished connections leave the set here, so it stays as small as
        // what is open.
        while connections.try_join_next().is_some() {}
        tokio::select! {
            // The watch guard is not Send: drop it inside.
            () = async { let _ = stop.wait_for(|s| *s).await; } => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, peer)) => match Slot::take(&shared, peer.ip()) {
                    Ok(slot) => {
                        let _ = stream.set_nodelay(true);
                        connections.spawn(connection(stream, peer, shared.clone(), Some(slot), closing.clone()));
                    }
                    Err(why) => refuse(&shared, stream, peer, why),
                },
                Err(e) => {
                    // Out of descriptors (EMFILE) and the like: the pending
                    // connection stays in the backlog; retrying at once would spin.
                    tracing::warn!("accepting a connection failed: {e}");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            },
            Some(probe) = probes.recv() => {
                let peer = SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 0);
                let opened = probe
                    .set_nonblocking(true)
                    .and_then(|()| tokio::net::UnixStream::from_std(probe));
                match opened {
                    Ok(stream) => {
                        connections.spawn(connection(stream, peer, shared.clone(), None, closing.clone()));
                    }
                    Err(e) => tracing::warn!("the watchdog probe's socket failed: {e}"),
                }
            }
        }
    }
    drop(listener);
    // Each connection saw `stop` too and is finishing its request.
    while connections.join_next().await.is_some() {}
    Ok(())
}

/// Why a connection was refused at the door.
enum Full {
    Server,
    Address,
}

/// A connection's place under the caps; given back when dropped.
struct Slot {
    shared: Arc<Shared>,
    /// The address counted against the per-address cap; `None` for a proxy.
    ip: Option<IpAddr>,
    _permit: OwnedSemaphorePermit,
}

impl Slot {
    fn take(shared: &Arc<Shared>, ip: IpAddr) -> Result<Slot, Full> {
        let permit = shared
            .slots
            .clone()
            .try_acquire_owned()
            .map_err(|_| Full::Server)?;
        let max = shared.settings.max_connections_per_address;
        if shared.settings.proxies.contains(&ip) {
            // Everyone behind the office proxy arrives from its address: only
            // the overall cap applies to it.
            return Ok(Slot {
                shared: shared.clone(),
                ip: None,
                _permit: permit,
            });
        }
        let mut counts = shared.per_address.lock().unwrap_or_else(|e| e.into_inner());
        let count = counts.entry(ip).or_insert(0);
        if max > 0 && *count >= max {
            return Err(Full::Address);
        }
        *count += 1;
        Ok(Slot {
            shared: shared.clone(),
            ip: Some(ip),
            _permit: permit,
        })
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let Some(ip) = self.ip else {
            return;
        };
        let mut counts = self
            .shared
            .per_address
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(count) = counts.get_mut(&ip) {
            *count = count.saturating_sub(1);
            if *count == 0 {
                counts.remove(&ip);
            }
        }
    }
}

/// How long a refused socket is kept to let its client read the answer.
const LINGER: Duration = Duration::from_secs(1);

/// Answers a connection over the cap with one short response and closes it.
/// One non-blocking write: a fresh socket's send buffer takes it whole, and a
/// client that does not read it costs nothing. Closing a socket whose request
/// was not read sends a reset, and a reset makes the client drop the answer
/// unread; so, while few are waiting (a small pool of its own, bounded in count
/// and time), the socket is half-closed and read to its end for up to `LINGER`.
fn refuse(shared: &Shared, stream: tokio::net::TcpStream, peer: SocketAddr, why: Full) {
    let (status, body) = match why {
        Full::Server => (
            "503 Service Unavailable",
            r#"{"error":"koneksi: server sedang menerima terlalu banyak koneksi; coba lagi sebentar lagi"}"#,
        ),
        Full::Address => (
            "429 Too Many Requests",
            r#"{"error":"koneksi: terlalu banyak koneksi terbuka dari alamat ini; tutup sebagian lalu coba lagi"}"#,
        ),
    };
    let reply = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\nretry-after: 5\r\n\
         connection: close\r\ncontent-length: {}\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.try_write(reply.as_bytes());
    if let Ok(permit) = shared.lingering.clone().try_acquire_owned() {
        tokio::spawn(async move {
            let _permit = permit;
            let mut stream = stream;
            let _ = tokio::time::timeout(LINGER, async {
                use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
                stream.shutdown().await?;
                let mut buf = [0u8; 4096];
                while stream.read(&mut buf).await? > 0 {}
                Ok::<_, io::Error>(())
            })
            .await;
        });
    }
    // Logged once per thousand: a flood must not flood the journal as well.
    let n = shared.refused.fetch_add(1, Ordering::Relaxed);
    if n.is_multiple_of(1000) {
        tracing::warn!(%peer, refused = n + 1, "connection refused: {status}");
    }
}

/// When a connection last moved a byte, and whether a handler is at work.
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
    busy: AtomicUsize,
}

impl Activity {
    fn touch(&self) {
        let ms = u64::try_from(self.start.elapsed().as_millis()).unwrap_or(u64::MAX);
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    /// How long until the connection counts as idle (zero: it is).
    fn idle_in(&self, idle: Duration) -> Duration {
        let last = self.start + Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        (last + idle).saturating_duration_since(Instant::now())
    }
}

/// Marks a handler at work until dropped.
struct Busy(Arc<Activity>);

impl Busy {
    fn new(activity: &Arc<Activity>) -> Busy {
        activity.busy.fetch_add(1, Ordering::Relaxed);
        Busy(activity.clone())
    }
}

impl Drop for Busy {
    fn drop(&mut self) {
        self.0.busy.fetch_sub(1, Ordering::Relaxed);
        self.0.touch();
    }
}

/// The socket, noting each read or write that moved bytes.
struct Tracked<I> {
    inner: I,
    activity: Arc<Activity>,
}

impl<I: AsyncRead + Unpin> AsyncRead for Tracked<I> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.touch();
        }
        polled
    }
}

impl<I: AsyncWrite + Unpin> AsyncWrite for Tracked<I> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(polled, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.touch();
        }
        polled
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// One connection, from accept to close. `slot` is `None` for the probe.
async fn connection<I>(
    io: I,
    peer: SocketAddr,
    shared: Arc<Shared>,
    slot: Option<Slot>,
    mut stop: watch::Receiver<bool>,
) where
    I: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let _slot = slot;
    let activity = Arc::new(Activity {
        start: Instant::now(),
        last_ms: AtomicU64::new(0),
        busy: AtomicUsize::new(0),
    });
    let io = TokioIo::new(Tracked {
        inner: io,
        activity: activity.clone(),
    });
    let idle = shared.settings.idle_timeout;
    let header_timeout = shared.settings.header_timeout;
    let service = {
        let activity = activity.clone();
        hyper::service::service_fn(move |request| {
            handle(request, peer, shared.clone(), Busy::new(&activity))
        })
    };
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(Some(header_timeout))
        .keep_alive(true);
    let conn = builder.serve_connection(io, service);
    tokio::pin!(conn);
    let mut stopping = false;
    loop {
        // While a handler works (a report being built) silence is not idleness.
        let wait = if activity.busy.load(Ordering::Relaxed) > 0 {
            idle
        } else {
            activity.idle_in(idle)
        };
        tokio::select! {
            result = conn.as_mut() => {
                if let Err(e) = result {
                    tracing::debug!(%peer, "connection ended: {e}");
                }
                return;
            }
            _ = stop.wait_for(|s| *s), if !stopping => {
                // Finish the request in progress, then close.
                conn.as_mut().graceful_shutdown();
                stopping = true;
            }
            () = tokio::time::sleep(wait.max(Duration::from_millis(50))) => {
                if activity.busy.load(Ordering::Relaxed) == 0 && activity.idle_in(idle).is_zero() {
                    tracing::debug!(%peer, "closing a connection idle for {idle:?}");
                    return;
                }
            }
        }
    }
}

/// One request: the `Host` check, the peer address for handlers, the body
/// deadline, then the router.
async fn handle(
    request: Request<Incoming>,
    peer: SocketAddr,
    shared: Arc<Shared>,
    _busy: Busy,
) -> Result<Response<Body>, Infallible> {
    let host = request
        .headers()
        .get(header::HOST)
        .map(|h| h.to_str().unwrap_or("\u{0}"));
    if !shared.hosts.allows(host) {
        tracing::warn!(%peer, host = ?host, "refused a request for an unknown host");
        return Ok(misdirected());
    }
    let (mut parts, body) = request.into_parts();
    parts.extensions.insert(ConnectInfo(peer));
    let body = if streams(&parts.method, parts.uri.path(), &parts.headers) {
        Body::new(body)
    } else {
        Body::new(Deadline::new(body, shared.settings.body_timeout))
    };
    let mut router = shared.router.clone();
    router.call(Request::from_parts(parts, body)).await
}

/// Upload chunks stream for as long as bytes keep coming (the handler ends a
/// stalled one); every other body is read whole and gets a deadline.
fn streams(method: &Method, path: &str, _headers: &HeaderMap) -> bool {
    method == Method::PATCH && path.starts_with("/api/uploads/")
}

fn misdirected() -> Response<Body> {
    (
        StatusCode::MISDIRECTED_REQUEST,
        Json(serde_json::json!({
            "error": "host: nama host ini tidak dilayani server ini"
        })),
    )
        .into_response()
}

/// A request body that fails once `limit` has passed since it was first read.
struct Deadline {
    inner: Incoming,
    limit: Duration,
    timer: Option<Pin<Box<tokio::time::Sleep>>>,
}

impl Deadline {
    fn new(inner: Incoming, limit: Duration) -> Deadline {
        Deadline {
            inner,
            limit,
            timer: None,
        }
    }
}

/// The error a late body ends with (handlers answer 400).
#[derive(Debug, thiserror::Error)]
#[error("body: tidak selesai terkirim dalam {0} detik")]
struct TooSlow(u64);

impl http_body::Body for Deadline {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Self::Error>>> {
        let this = self.get_mut();
        if let Poll::Ready(frame) = Pin::new(&mut this.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        let limit = this.limit;
        let timer = this
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match timer.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Some(Err(TooSlow(limit.as_secs()).into()))),
            Poll::Pending => Poll::Pending,
        }
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> http_body::SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cap_leaves_three_quarters_of_the_descriptors() {
        assert_eq!(connection_cap(512, Some(1024)), 256);
        assert_eq!(connection_cap(512, Some(65536)), 512);
        assert_eq!(connection_cap(512, Some(100)), 25);
        assert_eq!(connection_cap(512, None), 512);
        assert_eq!(connection_cap(512, Some(2)), 1);
    }

    #[test]
    fn hosts_are_matched_without_port_or_case() {
        let listen: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        let hosts = Hosts::new(&["Panel.Example.go.id".into()], listen);
        for ok in [
            "127.0.0.1:8080",
            "localhost",
            "LOCALHOST:80",
            "[::1]:8080",
            "panel.example.go.id",
            "panel.example.go.id.:443",
        ] {
            assert!(hosts.allows(Some(ok)), "{ok}");
        }
        for bad in [
            "evil.example",
            "evil.example:8080",
            "10.0.0.5:8080",
            "localhost.evil.example",
            "",
        ] {
            assert!(!hosts.allows(Some(bad)), "{bad}");
        }
        assert!(hosts.allows(None));
        let wildcard = Hosts::new(&[], "0.0.0.0:8080".parse().unwrap());
        assert!(wildcard.allows(Some("10.0.0.5:8080")));
        assert!(wildcard.allows(Some("[fe80::1]:8080")));
        assert!(!wildcard.allows(Some("evil.example:8080")));
    }
}
