//! systemd's notify protocol end to end: `liputan serve` with `NOTIFY_SOCKET`
//! pointing at a datagram socket this test binds says READY=1 only once
//! /healthz answers, pings WATCHDOG=1 at half `WATCHDOG_USEC`, and STOPPING=1
//! on SIGTERM.

use std::os::unix::net::UnixDatagram;
use std::process::Stdio;
use std::time::{Duration, Instant};

use crate::harness::{get, served_addr_anonymous, Daemon, Env};

/// `liputan serve` as systemd would start it with `Type=notify`, `WatchdogSec=2`.
fn serve_notified(env: &Env, socket: &std::path::Path) -> Daemon {
    let child = env
        .liputan()
        .arg("serve")
        .env("LIPUTAN_LOG", "info")
        .env("NOTIFY_SOCKET", socket)
        .env("WATCHDOG_USEC", "2000000")
        .env_remove("WATCHDOG_PID")
        .stdout(Stdio::null())
        .stderr(Stdio::from(
            std::fs::File::create(env.dir.path().join("serve.log")).expect("log"),
        ))
        .spawn()
        .expect("spawn liputan serve");
    Daemon { child }
}

/// The next message within `timeout`, split into its lines.
fn next(sock: &UnixDatagram, timeout: Duration) -> Option<Vec<String>> {
    sock.set_read_timeout(Some(timeout)).expect("timeout");
    let mut buf = [0u8; 4096];
    let n = sock.recv(&mut buf).ok()?;
    Some(
        String::from_utf8_lossy(&buf[..n])
            .lines()
            .map(str::to_owned)
            .collect(),
    )
}

/// Waits for a message holding `line`; returns when it came.
fn wait_for(sock: &UnixDatagram, line: &str, timeout: Duration, env: &Env) -> Instant {
    let deadline = Instant::now() + timeout;
    while let Some(left) = deadline.checked_duration_since(Instant::now()) {
        if let Some(msg) = next(sock, left.max(Duration::from_millis(1))) {
            if msg.iter().any(|l| l == line) {
                return Instant::now();
            }
        }
    }
    panic!("no {line} within {timeout:?}; log:\n{}", env.log());
}

#[test]
fn ready_watchdog_and_stopping_reach_systemd() {
    let env = Env::new("");
    let socket = env.dir.path().join("notify.sock");
    let sock = UnixDatagram::bind(&socket).expect("bind the notify socket");
    let daemon = serve_notified(&env, &socket);

    wait_for(&sock, "READY=1", Duration::from_secs(60), &env);
    // READY=1 means the panel answers: right now, no retries.
    let addr = served_addr_anonymous(&env);
    let health = get(&addr, "/healthz", &[]);
    assert_eq!(health.status, 200, "/healthz right after READY=1");

    // WATCHDOG_USEC=2 s: a ping about every second while ingest and HTTP move.
    let first = wait_for(&sock, "WATCHDOG=1", Duration::from_secs(10), &env);
    let second = wait_for(&sock, "WATCHDOG=1", Duration::from_secs(10), &env);
    assert!(
        second - first < Duration::from_millis(1900),
        "pings must come within the watchdog interval: {:?}",
        second - first
    );

    unsafe { libc::kill(daemon.child.id() as i32, libc::SIGTERM) };
    wait_for(&sock, "STOPPING=1", Duration::from_secs(30), &env);
    daemon.stop();
}
