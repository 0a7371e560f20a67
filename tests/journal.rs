//! Logging to the journal: `liputan serve` with stderr redirected to a file
//! that `JOURNAL_STREAM` names (so, as far as liputan can tell, stderr is the
//! journal stream) and `LIPUTAN_JOURNAL_SOCKET` pointing at a datagram
//! socket of the test's own, standing in for journald. The daemon starts on
//! a data folder whose search index holds a junk file, which it warns about
//! with structured fields (`index`, `moved_to`, `reason`).

use std::collections::BTreeMap;
use std::os::unix::fs::MetadataExt as _;
use std::os::unix::net::UnixDatagram;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const WARNING: &str = "search index unusable; moved aside, starting empty";
/// Logged once the index is open and the panel serves.
const STARTED: &str = "liputan is running";

type Entry = BTreeMap<String, Vec<String>>;

struct Setup {
    dir: tempfile::TempDir,
    config: PathBuf,
    stderr: PathBuf,
}

impl Setup {
    fn new() -> Setup {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path();
        std::fs::create_dir_all(root.join("inbox")).expect("inbox");
        std::fs::create_dir_all(root.join("data/index")).expect("index dir");
        std::fs::write(root.join("data/index/junk"), b"not an index").expect("junk");
        let config = root.join("liputan.toml");
        std::fs::write(
            &config,
            "[paths]\ninbox = [\"inbox\"]\narchive = \"archive\"\ndata = \"data\"\n\
             [server]\nlisten = \"127.0.0.1:0\"\n",
        )
        .expect("config");
        Setup {
            stderr: root.join("stderr.log"),
            config,
            dir,
        }
    }

    fn index(&self) -> PathBuf {
        self.dir.path().join("data/index")
    }

    /// `device:inode` of the stderr file (created empty here).
    fn stderr_stream(&self) -> String {
        let file = std::fs::File::create(&self.stderr).expect("stderr file");
        let meta = file.metadata().expect("stat");
        format!("{}:{}", meta.dev(), meta.ino())
    }

    fn stderr_text(&self) -> String {
        std::fs::read_to_string(&self.stderr).unwrap_or_default()
    }

    /// `liputan serve`, stderr appended to the stderr file.
    fn serve(&self, journal_stream: &str, socket: &Path) -> Daemon {
        let stderr = std::fs::OpenOptions::new()
            .append(true)
            .open(&self.stderr)
            .expect("open stderr file");
        let child = Command::new(env!("CARGO_BIN_EXE_liputan"))
            .arg("--config")
            .arg(&self.config)
            .arg("serve")
            .current_dir(self.dir.path())
            .env("LIPUTAN_LOG", "info")
            .env("JOURNAL_STREAM", journal_stream)
            .env("LIPUTAN_JOURNAL_SOCKET", socket)
            .env_remove("NOTIFY_SOCKET")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::from(stderr))
            .spawn()
            .expect("spawn liputan serve");
        Daemon { child: Some(child) }
    }

    /// Waits until the stderr file says the panel is up.
    fn wait_for_stderr(&self, what: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.stderr_text().contains(what) {
            assert!(
                Instant::now() < deadline,
                "no {what:?} on stderr:\n{}",
                self.stderr_text()
            );
            std::thread::sleep(Duration::from_millis(25));
        }
    }
}

struct Daemon {
    child: Option<Child>,
}

impl Daemon {
    /// SIGTERM, then waits for the exit.
    fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let pid = child.id() as libc::pid_t;
        assert_eq!(unsafe { libc::kill(pid, libc::SIGTERM) }, 0, "kill");
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            if child.try_wait().expect("wait").is_some() {
                return;
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("liputan did not stop on SIGTERM");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A bound datagram socket standing in for journald.
fn journal_socket(dir: &Path) -> (PathBuf, UnixDatagram) {
    let path = dir.join("journal.socket");
    let socket = UnixDatagram::bind(&path).expect("bind journal socket");
    (path, socket)
}

/// One native-protocol datagram as name -> values.
fn parse(mut data: &[u8]) -> Entry {
    let mut out = Entry::new();
    while !data.is_empty() {
        let nl = data
            .iter()
            .position(|&b| b == b'\n')
            .unwrap_or_else(|| panic!("no newline in {:?}", String::from_utf8_lossy(data)));
        let line = &data[..nl];
        let (name, value, rest) = match line.iter().position(|&b| b == b'=') {
            Some(eq) => (&line[..eq], &line[eq + 1..], &data[nl + 1..]),
            None => {
                let after = &data[nl + 1..];
                let len = u64::from_le_bytes(after[..8].try_into().expect("length")) as usize;
                assert_eq!(after[8 + len], b'\n', "binary field ends with a newline");
                (line, &after[8..8 + len], &after[8 + len + 1..])
            }
        };
        let name = String::from_utf8(name.to_vec()).expect("ASCII field name");
        assert!(
            !name.is_empty()
                && name.len() <= 64
                && name
                    .bytes()
                    .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
                && name.as_bytes()[0].is_ascii_uppercase(),
            "invalid journal field name {name:?}"
        );
        out.entry(name)
            .or_default()
            .push(String::from_utf8_lossy(value).into_owned());
        data = rest;
    }
    out
}

fn one<'a>(entry: &'a Entry, name: &str) -> &'a str {
    match entry.get(name).map(Vec::as_slice) {
        Some([value]) => value,
        other => panic!("{name}: {other:?} in {entry:?}"),
    }
}

fn message(entry: &Entry) -> &str {
    one(entry, "MESSAGE")
}

/// Datagrams received until one's MESSAGE contains `until`, or the timeout.
fn receive_until(socket: &UnixDatagram, until: &str) -> Vec<Entry> {
    socket
        .set_read_timeout(Some(Duration::from_millis(100)))
        .expect("timeout");
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut entries = Vec::new();
    let mut buf = vec![0; 256 * 1024];
    while Instant::now() < deadline {
        match socket.recv(&mut buf) {
            Ok(n) => {
                let entry = parse(&buf[..n]);
                let done = message(&entry).contains(until);
                entries.push(entry);
                if done {
                    return entries;
                }
            }
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) => {}
            Err(e) => panic!("recv: {e}"),
        }
    }
    panic!("no {until:?} in the journal; got {entries:#?}");
}

fn nothing_waiting(socket: &UnixDatagram) -> Option<String> {
    socket.set_nonblocking(true).expect("nonblocking");
    let mut buf = vec![0; 256 * 1024];
    match socket.recv(&mut buf) {
        Ok(n) => Some(String::from_utf8_lossy(&buf[..n]).into_owned()),
        Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => None,
        Err(e) => panic!("recv: {e}"),
    }
}

#[test]
fn under_systemd_events_go_to_the_journal_with_their_fields() {
    let setup = Setup::new();
    let (socket_path, socket) = journal_socket(setup.dir.path());
    let stream = setup.stderr_stream();
    let mut daemon = setup.serve(&stream, &socket_path);
    let entries = receive_until(&socket, STARTED);
    daemon.stop();

    let warning = entries
        .iter()
        .find(|e| message(e).starts_with(WARNING))
        .unwrap_or_else(|| panic!("no index warning in {entries:#?}"));
    let index = setup.index();
    assert_eq!(one(warning, "PRIORITY"), "4");
    assert_eq!(one(warning, "SYSLOG_IDENTIFIER"), "liputan");
    assert_eq!(one(warning, "TARGET"), "liputan::search::index");
    assert_eq!(one(warning, "CODE_FILE"), "src/search/index.rs");
    assert!(one(warning, "CODE_LINE").parse::<u32>().is_ok());
    assert_eq!(one(warning, "INDEX"), index.display().to_string());
    let moved_to = one(warning, "MOVED_TO");
    assert!(
        moved_to.starts_with(&format!("{}.broken-", index.display())),
        "{moved_to}"
    );
    assert!(Path::new(moved_to).join("junk").exists(), "{moved_to}");
    assert_eq!(one(warning, "REASON"), "files but no meta.json");
    // MESSAGE also carries the fields, as stderr showed them.
    assert!(
        message(warning).contains(&format!("moved_to={moved_to}")),
        "{warning:?}"
    );

    let panel = entries
        .iter()
        .find(|e| message(e).starts_with("panel on http://"))
        .expect("panel");
    assert_eq!(one(panel, "PRIORITY"), "6");
    assert_eq!(one(panel, "TARGET"), "liputan");
    assert_eq!(one(panel, "CODE_FILE"), "src/main.rs");
    // `listen = %config.listen`, `inbox = ?config.inbox`.
    let running = entries.last().expect("running");
    assert_eq!(one(running, "TARGET"), "liputan::app");
    assert_eq!(one(running, "LISTEN"), "127.0.0.1:0");
    assert!(one(running, "INBOX").contains("inbox"));

    let stderr = setup.stderr_text();
    assert!(
        !stderr.contains(WARNING),
        "the warning also went to stderr:\n{stderr}"
    );
    assert!(!stderr.contains(STARTED), "{stderr}");
}

#[test]
fn a_journal_stream_that_is_not_stderr_means_plain_stderr() {
    let setup = Setup::new();
    let (socket_path, socket) = journal_socket(setup.dir.path());
    // Another file's device and inode: stderr was redirected away from the
    // journal stream the variable names.
    let other = setup.dir.path().join("other");
    std::fs::write(&other, b"").expect("other file");
    let meta = std::fs::metadata(&other).expect("stat");
    setup.stderr_stream();
    let mut daemon = setup.serve(&format!("{}:{}", meta.dev(), meta.ino()), &socket_path);
    setup.wait_for_stderr(STARTED);
    daemon.stop();

    let stderr = setup.stderr_text();
    assert!(stderr.contains(WARNING), "{stderr}");
    assert!(stderr.contains("moved_to"), "{stderr}");
    assert_eq!(
        nothing_waiting(&socket),
        None,
        "something reached the socket"
    );
}

#[test]
fn an_unreachable_journal_socket_falls_back_to_stderr() {
    let setup = Setup::new();
    let missing = setup.dir.path().join("no-such.socket");
    let stream = setup.stderr_stream();
    let mut daemon = setup.serve(&stream, &missing);
    setup.wait_for_stderr(STARTED);
    daemon.stop();

    let stderr = setup.stderr_text();
    let said = stderr
        .lines()
        .filter(|l| l.contains("cannot reach the journal socket"))
        .collect::<Vec<_>>();
    assert_eq!(said.len(), 1, "said once:\n{stderr}");
    assert!(
        said[0].contains(&missing.display().to_string()),
        "{}",
        said[0]
    );
    let warning = stderr
        .lines()
        .find(|l| l.contains(WARNING))
        .unwrap_or_else(|| panic!("no warning on stderr:\n{stderr}"));
    assert!(warning.contains("WARN"), "{warning}");
    assert!(warning.contains("moved_to="), "{warning}");
    // stderr is the journal stream: no colours, journald adds the time.
    assert!(!stderr.contains('\x1b'), "{stderr}");
    assert!(
        warning.starts_with(" WARN") || warning.starts_with("WARN"),
        "{warning}"
    );
}

#[test]
fn events_that_cannot_be_sent_later_go_to_stderr() {
    let setup = Setup::new();
    let (socket_path, socket) = journal_socket(setup.dir.path());
    let stream = setup.stderr_stream();
    let mut daemon = setup.serve(&stream, &socket_path);
    receive_until(&socket, STARTED);
    // journald goes away (restarting, say): sends are refused from now on.
    drop(socket);
    daemon.stop();

    // The shutdown messages, with a priority prefix journald's stream reader
    // understands, after one note saying why.
    let stderr = setup.stderr_text();
    let notes = stderr
        .lines()
        .filter(|l| l.contains("cannot send to the journal"))
        .count();
    assert_eq!(notes, 1, "{stderr}");
    assert!(
        stderr
            .lines()
            .any(|l| l.starts_with("<6>INFO liputan::app: stopped")),
        "{stderr}"
    );
    assert!(!stderr.contains(WARNING), "{stderr}");
}
