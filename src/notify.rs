//! systemd's readiness and watchdog protocol (`sd_notify(3)`), by hand: one
//! datagram per message to the unix socket named in `NOTIFY_SOCKET` (a path, or
//! an abstract name written with a leading `@`). Without `NOTIFY_SOCKET` (not
//! started by systemd with `Type=notify`) every call does nothing.
//!
//! [`Supervisor`] is what `serve` runs: on its own thread (off the async
//! runtime) it waits until the panel answers `GET /healthz`, says `READY=1`,
//! then sends `WATCHDOG=1` every half `WatchdogSec` only while the ingest
//! pipeline's loop keeps turning and `/healthz` answers in time. A hung daemon
//! stops pinging and systemd restarts it. `serve` probes by a private socket
//! pair handed to its server ([`Probe::Private`]), never counted against the
//! connection cap, so a socket flood cannot stop the pings.

use std::ffi::{OsStr, OsString};
use std::io::{self, Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::os::unix::ffi::OsStrExt as _;
use std::os::unix::net::{UnixDatagram, UnixStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::ingest::pipeline::Status;

/// Where notifications go: the socket from `NOTIFY_SOCKET`, or nowhere.
#[derive(Debug, Clone, Default)]
pub struct Notifier {
    socket: Option<OsString>,
}

impl Notifier {
    /// The socket systemd named in `NOTIFY_SOCKET`, if any.
    pub fn from_env() -> Notifier {
        Notifier {
            socket: std::env::var_os("NOTIFY_SOCKET").filter(|s| !s.is_empty()),
        }
    }

    /// An explicit socket: a path, or `@name` for an abstract socket.
    pub fn to(socket: impl Into<OsString>) -> Notifier {
        Notifier {
            socket: Some(socket.into()),
        }
    }

    /// Whether messages go anywhere.
    pub fn enabled(&self) -> bool {
        self.socket.is_some()
    }

    /// Sends `state` (newline-separated `KEY=VALUE` lines). `Ok(false)` when
    /// there is no socket.
    pub fn send(&self, state: &str) -> io::Result<bool> {
        let Some(socket) = &self.socket else {
            return Ok(false);
        };
        send_to(socket, state)?;
        Ok(true)
    }

    pub fn ready(&self) -> io::Result<bool> {
        self.send("READY=1")
    }

    pub fn stopping(&self) -> io::Result<bool> {
        self.send("STOPPING=1")
    }

    pub fn watchdog(&self) -> io::Result<bool> {
        self.send("WATCHDOG=1")
    }

    /// A one-line status for `systemctl status` (newlines become spaces).
    pub fn status(&self, text: &str) -> io::Result<bool> {
        self.send(&format!("STATUS={}", text.replace('\n', " ")))
    }
}

/// One datagram to `socket` (a path, or `@name` for the abstract namespace).
fn send_to(socket: &OsStr, state: &str) -> io::Result<()> {
    let bytes = socket.as_bytes();
    let sock = UnixDatagram::unbound()?;
    let sent = if let Some(name) = bytes.strip_prefix(b"@") {
        use std::os::linux::net::SocketAddrExt as _;
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name)?;
        sock.send_to_addr(state.as_bytes(), &addr)?
    } else {
        sock.send_to(state.as_bytes(), socket)?
    };
    if sent != state.len() {
        return Err(io::Error::other("short write to NOTIFY_SOCKET"));
    }
    Ok(())
}

/// `READY=1` to `NOTIFY_SOCKET`.
pub fn ready() -> io::Result<bool> {
    Notifier::from_env().ready()
}

/// `STOPPING=1` to `NOTIFY_SOCKET`.
pub fn stopping() -> io::Result<bool> {
    Notifier::from_env().stopping()
}

/// `WATCHDOG=1` to `NOTIFY_SOCKET`.
pub fn watchdog() -> io::Result<bool> {
    Notifier::from_env().watchdog()
}

/// `STATUS=text` to `NOTIFY_SOCKET`.
pub fn status(text: &str) -> io::Result<bool> {
    Notifier::from_env().status(text)
}

/// systemd's `WatchdogSec` for this process, from `WATCHDOG_USEC` (and
/// `WATCHDOG_PID`, when set, must be this process).
pub fn watchdog_interval() -> Option<Duration> {
    let usec = std::env::var("WATCHDOG_USEC").ok();
    let pid = std::env::var("WATCHDOG_PID").ok();
    watchdog_interval_from(usec.as_deref(), pid.as_deref(), std::process::id())
}

/// [`watchdog_interval`] on given values (testable without touching the environment).
pub fn watchdog_interval_from(
    usec: Option<&str>,
    pid: Option<&str>,
    my_pid: u32,
) -> Option<Duration> {
    if let Some(pid) = pid {
        if pid.trim().parse::<u32>().ok()? != my_pid {
            return None;
        }
    }
    let usec: u64 = usec?.trim().parse().ok()?;
    (usec > 0).then(|| Duration::from_micros(usec))
}

/// How the watchdog reaches `/healthz`.
#[derive(Debug, Clone)]
pub enum Probe {
    /// A TCP connection to the panel's address.
    Tcp(SocketAddr),
    /// One end of a fresh socket pair per probe, the other end handed to the
    /// server (`web::serve::run`), which serves it like any connection but
    /// outside the connection cap.
    Private(tokio::sync::mpsc::Sender<UnixStream>),
}

impl Probe {
    /// `GET /healthz` answers 200 within `timeout`. Blocking.
    pub fn healthz_ok(&self, timeout: Duration) -> bool {
        match self {
            Probe::Tcp(addr) => healthz_ok(*addr, timeout),
            Probe::Private(server) => {
                let attempt = || -> io::Result<bool> {
                    let deadline = Instant::now() + timeout;
                    let (mut ours, theirs) = UnixStream::pair()?;
                    server
                        .try_send(theirs)
                        .map_err(|_| io::Error::other("the web server takes no probe"))?;
                    exchange(&mut ours, "localhost", deadline, |s, d| {
                        s.set_read_timeout(Some(d))?;
                        s.set_write_timeout(Some(d))
                    })
                };
                attempt().unwrap_or(false)
            }
        }
    }
}

/// `serve`'s readiness and watchdog thread.
pub struct Supervisor {
    notifier: Notifier,
    stop: Arc<AtomicBool>,
}

impl Supervisor {
    /// Starts the thread when `NOTIFY_SOCKET` is set: `READY=1` once `addr`
    /// answers `/healthz`, then watchdog pings while the pipeline (its
    /// `heartbeat`) and the panel make progress.
    pub fn start(probe: Probe, status: Arc<Status>) -> Supervisor {
        Supervisor::start_with(Notifier::from_env(), watchdog_interval(), probe, status)
    }

    pub fn start_with(
        notifier: Notifier,
        interval: Option<Duration>,
        probe: Probe,
        status: Arc<Status>,
    ) -> Supervisor {
        let stop = Arc::new(AtomicBool::new(false));
        if notifier.enabled() {
            let (n, s) = (notifier.clone(), stop.clone());
            let spawned = std::thread::Builder::new()
                .name("sd-notify".into())
                .spawn(move || {
                    let probe = match probe {
                        Probe::Tcp(addr) => Probe::Tcp(loopback(addr)),
                        private => private,
                    };
                    supervise(n, interval, probe, status, s)
                });
            if let Err(e) = spawned {
                tracing::error!("cannot start the systemd notify thread: {e}");
            }
        }
        Supervisor { notifier, stop }
    }

    /// Shutdown begins: `STOPPING=1`, and no more watchdog pings.
    pub fn stopping(&self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Err(e) = self.notifier.stopping() {
            tracing::warn!("STOPPING=1 to systemd failed: {e}");
        }
    }
}

impl Drop for Supervisor {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The address to probe: a wildcard listen address means loopback.
fn loopback(addr: SocketAddr) -> SocketAddr {
    let ip = match addr.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, addr.port())
}

/// Sleeps `d` in short steps; false when asked to stop meanwhile.
fn nap(d: Duration, stop: &AtomicBool) -> bool {
    let until = Instant::now() + d;
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        if now >= until {
            return true;
        }
        std::thread::sleep((until - now).min(Duration::from_millis(100)));
    }
    false
}

fn supervise(
    notifier: Notifier,
    interval: Option<Duration>,
    probe: Probe,
    status: Arc<Status>,
    stop: Arc<AtomicBool>,
) {
    let probe_timeout = interval
        .map(|i| (i / 2).clamp(Duration::from_millis(500), Duration::from_secs(10)))
        .unwrap_or(Duration::from_secs(10));
    // READY=1 only once the panel answers.
    loop {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        if probe.healthz_ok(probe_timeout) {
            break;
        }
        if !nap(Duration::from_millis(100), &stop) {
            return;
        }
    }
    let _ = notifier.status("running");
    if let Err(e) = notifier.ready() {
        tracing::error!("READY=1 to systemd failed: {e}");
    }
    tracing::info!(watchdog = ?interval, "told systemd the service is ready");
    let Some(interval) = interval else { return };
    let every = interval / 2;
    let mut last_beat = status.heartbeat.load(Ordering::Relaxed);
    while nap(every, &stop) {
        let beat = status.heartbeat.load(Ordering::Relaxed);
        let pipeline_moves = beat != last_beat;
        last_beat = beat;
        let panel_answers = probe.healthz_ok(probe_timeout);
        if stop.load(Ordering::Relaxed) {
            return;
        }
        if pipeline_moves && panel_answers {
            let s = status.snapshot();
            let _ = notifier.send(&format!(
                "WATCHDOG=1\nSTATUS=archived {}, duplicates {}, rejected {}, failed {}, pending {}",
                s.archived, s.duplicates, s.rejected, s.failed, s.pending
            ));
        } else {
            tracing::warn!(
                pipeline_moves,
                panel_answers,
                "not pinging the systemd watchdog: the daemon is not making progress"
            );
            let _ = notifier.status(&format!(
                "stalled: ingest loop {}, /healthz {}",
                if pipeline_moves { "ok" } else { "stuck" },
                if panel_answers { "ok" } else { "not answering" }
            ));
        }
    }
}

/// `GET /healthz` on `addr` answers 200 within `timeout`. Blocking.
pub fn healthz_ok(addr: SocketAddr, timeout: Duration) -> bool {
    let attempt = || -> io::Result<bool> {
        let deadline = Instant::now() + timeout;
        let mut stream = TcpStream::connect_timeout(&addr, timeout)?;
        exchange(&mut stream, &addr.to_string(), deadline, |s, d| {
            s.set_read_timeout(Some(d))?;
            s.set_write_timeout(Some(d))
        })
    };
    attempt().unwrap_or(false)
}

/// Sends `GET /healthz` on `stream` and reads the status line, each step
/// bounded by what is left until `deadline` (`limit` sets the socket's timeouts).
fn exchange<S: Read + Write>(
    stream: &mut S,
    host: &str,
    deadline: Instant,
    limit: impl Fn(&S, Duration) -> io::Result<()>,
) -> io::Result<bool> {
    let left = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| io::Error::from(io::ErrorKind::TimedOut))
    };
    limit(stream, left()?)?;
    stream.write_all(
        format!("GET /healthz HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n").as_bytes(),
    )?;
    let mut head = Vec::new();
    let mut buf = [0u8; 512];
    while !head.contains(&b'\n') {
        limit(stream, left()?)?;
        let n = stream.read(&mut buf)?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let line = head.split(|&b| b == b'\n').next().unwrap_or_default();
    Ok(line.split(|&b| b == b' ').nth(1) == Some(b"200"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn recv(sock: &UnixDatagram) -> String {
        let mut buf = [0u8; 1024];
        let n = sock.recv(&mut buf).expect("a datagram");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    }

    #[test]
    fn sends_to_a_path_socket() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("notify.sock");
        let sock = UnixDatagram::bind(&path).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let n = Notifier::to(path.as_os_str());
        assert!(n.ready().unwrap());
        assert_eq!(recv(&sock), "READY=1");
        assert!(n.watchdog().unwrap());
        assert_eq!(recv(&sock), "WATCHDOG=1");
        assert!(n.status("two\nlines").unwrap());
        assert_eq!(recv(&sock), "STATUS=two lines");
        assert!(n.stopping().unwrap());
        assert_eq!(recv(&sock), "STOPPING=1");
    }

    #[test]
    fn sends_to_an_abstract_socket() {
        use std::os::linux::net::SocketAddrExt as _;
        let name = format!("liputan-test-{}-{:?}", std::process::id(), Instant::now());
        let addr = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes()).unwrap();
        let sock = UnixDatagram::bind_addr(&addr).unwrap();
        sock.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let n = Notifier::to(format!("@{name}"));
        n.ready().unwrap();
        assert_eq!(recv(&sock), "READY=1");
        n.watchdog().unwrap();
        assert_eq!(recv(&sock), "WATCHDOG=1");
    }

    #[test]
    fn without_a_socket_nothing_is_sent() {
        let n = Notifier::default();
        assert!(!n.enabled());
        assert!(!n.ready().unwrap());
    }

    #[test]
    fn a_missing_socket_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        assert!(Notifier::to(dir.path().join("nope")).ready().is_err());
    }

    #[test]
    fn watchdog_interval_from_the_environment_values() {
        let me = 4242;
        assert_eq!(
            watchdog_interval_from(Some("60000000"), None, me),
            Some(Duration::from_secs(60))
        );
        assert_eq!(
            watchdog_interval_from(Some("2000000"), Some("4242"), me),
            Some(Duration::from_secs(2))
        );
        assert_eq!(watchdog_interval_from(Some("2000000"), Some("1"), me), None);
        assert_eq!(watchdog_interval_from(Some("0"), None, me), None);
        assert_eq!(watchdog_interval_from(Some("x"), None, me), None);
        assert_eq!(watchdog_interval_from(None, None, me), None);
    }

    #[test]
    fn wildcard_listen_addresses_are_probed_on_loopback() {
        assert_eq!(
            loopback("0.0.0.0:8080".parse().unwrap()),
            "127.0.0.1:8080".parse().unwrap()
        );
        assert_eq!(
            loopback("[::]:8080".parse().unwrap()),
            "[::1]:8080".parse().unwrap()
        );
        assert_eq!(
            loopback("10.0.0.5:80".parse().unwrap()),
            "10.0.0.5:80".parse().unwrap()
        );
    }

    #[test]
    fn healthz_probe_reads_the_status_line() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let server = std::thread::spawn(move || {
            for reply in ["HTTP/1.1 200 OK\r\n\r\n", "HTTP/1.1 503 Busy\r\n\r\n"] {
                let (mut s, _) = listener.accept().unwrap();
                let mut buf = [0u8; 256];
                let _ = s.read(&mut buf);
                s.write_all(reply.as_bytes()).unwrap();
            }
        });
        assert!(healthz_ok(addr, Duration::from_secs(5)));
        assert!(!healthz_ok(addr, Duration::from_secs(5)));
        server.join().unwrap();
    }
}
