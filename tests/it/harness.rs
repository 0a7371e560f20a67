//! Test harness: a temp folder with inbox, archive and data, a config file
//! pointing at them, the `liputan` binary, and independent checks of the
//! result (the tests read the archive and the catalog themselves).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use liputan::media::synth::{self, SynthPhoto};

pub struct Env {
    pub dir: tempfile::TempDir,
    pub inbox: PathBuf,
    pub archive: PathBuf,
    pub data: PathBuf,
    pub config: PathBuf,
}

impl Env {
    /// A fresh environment; `ingest_extra` is appended to the `[ingest]` section.
    pub fn new(ingest_extra: &str) -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().to_owned();
        let config = root.join("liputan.toml");
        let text = format!(
            "[paths]\ninbox = [\"inbox\"]\narchive = \"archive\"\ndata = \"data\"\n\
             [server]\nlisten = \"127.0.0.1:0\"\n\
             [ingest]\nsettle_seconds = 1\nmin_free_mb = 1\n{ingest_extra}\n"
        );
        std::fs::write(&config, text).expect("config");
        std::fs::create_dir_all(root.join("inbox")).expect("inbox");
        Env {
            inbox: root.join("inbox"),
            archive: root.join("archive"),
            data: root.join("data"),
            config,
            dir,
        }
    }

    pub fn liputan(&self) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_liputan"));
        cmd.arg("--config")
            .arg(&self.config)
            .env("LIPUTAN_LOG", "warn");
        cmd
    }

    /// Runs `liputan ingest --json DIR...` and returns the summary.
    pub fn ingest(&self, dirs: &[&Path]) -> serde_json::Value {
        let out = self
            .liputan()
            .arg("ingest")
            .arg("--json")
            .args(dirs)
            .output()
            .expect("run liputan");
        let stdout = String::from_utf8_lossy(&out.stdout);
        serde_json::from_str(&stdout).unwrap_or_else(|e| {
            panic!(
                "not JSON ({e}): {stdout}\nstderr: {}",
                String::from_utf8_lossy(&out.stderr)
            )
        })
    }

    /// Starts `liputan serve`; the child is killed when the handle drops.
    pub fn serve(&self) -> Daemon {
        let child = self
            .liputan()
            .arg("serve")
            .env("LIPUTAN_LOG", "info")
            .stdout(Stdio::null())
            .stderr(Stdio::from(
                std::fs::File::create(self.dir.path().join("serve.log")).expect("log"),
            ))
            .spawn()
            .expect("spawn liputan serve");
        Daemon { child }
    }

    /// Creates an account with the CLI (password `sandi-<username>`) and
    /// returns a bearer token for it.
    pub fn account(&self, username: &str, role: &str, admin: bool) -> String {
        use std::io::Write;
        let mut cmd = self.liputan();
        cmd.args(["user", "add", username, "--role", role, "--name"])
            .arg(format!("Pengguna {username}"));
        if admin {
            cmd.arg("--admin");
        }
        let mut child = cmd
            .stdin(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run user add");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(format!("sandi-{username}\n").as_bytes())
            .expect("password");
        let out = child.wait_with_output().expect("user add");
        assert!(
            out.status.success(),
            "user add {username}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let out = self
            .liputan()
            .args(["token", "create", username])
            .output()
            .expect("token create");
        assert!(out.status.success(), "token create {username}");
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// The token of the admin (a KADIS) that requests use unless they carry
    /// their own credentials; created on first use.
    pub fn admin_token(&self) -> String {
        let path = self.dir.path().join("admin.token");
        if let Ok(token) = std::fs::read_to_string(&path) {
            return token;
        }
        let token = self.account("admin", "kadis", true);
        std::fs::write(&path, &token).expect("keep the admin token");
        token
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("serve.log")).unwrap_or_default()
    }

    /// Every file in the archive (not staging), relative path -> content hash.
    pub fn archive_files(&self) -> BTreeMap<PathBuf, String> {
        let mut out = BTreeMap::new();
        if self.archive.exists() {
            collect(&self.archive, &self.archive, &mut out);
        }
        out.retain(|p, _| !p.starts_with(".staging"));
        out
    }

    pub fn staging_files(&self) -> usize {
        std::fs::read_dir(self.archive.join(".staging"))
            .map(|d| d.count())
            .unwrap_or(0)
    }

    /// The catalog, opened read-only by the test itself.
    pub fn catalog(&self) -> rusqlite::Connection {
        rusqlite::Connection::open_with_flags(
            self.data.join("catalog.sqlite"),
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )
        .expect("open catalog")
    }

    /// Archived assets in the catalog: archive path -> id.
    pub fn catalogued(&self) -> BTreeMap<PathBuf, String> {
        use std::os::unix::ffi::OsStringExt;
        let Ok(conn) = std::panic::catch_unwind(|| self.catalog()) else {
            return BTreeMap::new();
        };
        let mut stmt =
            match conn.prepare("SELECT archive_path, id FROM assets WHERE status = 'archived'") {
                Ok(stmt) => stmt,
                Err(_) => return BTreeMap::new(),
            };
        stmt.query_map([], |r| {
            Ok((
                PathBuf::from(std::ffi::OsString::from_vec(r.get::<_, Vec<u8>>(0)?)),
                r.get::<_, String>(1)?,
            ))
        })
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
    }

    /// Asserts the archive and the catalog agree file for file and hash for hash,
    /// and no staging leftovers remain.
    pub fn assert_archive_matches_catalog(&self) {
        let on_disk = self.archive_files();
        let catalogued = self.catalogued();
        assert_eq!(on_disk, catalogued, "archive files vs catalog rows");
    }
}

fn collect(root: &Path, dir: &Path, out: &mut BTreeMap<PathBuf, String>) {
    for entry in std::fs::read_dir(dir).expect("read archive dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            collect(root, &path, out);
        } else {
            let bytes = std::fs::read(&path).expect("read archive file");
            out.insert(
                path.strip_prefix(root).unwrap().to_owned(),
                blake3::hash(&bytes).to_hex().to_string(),
            );
        }
    }
}

pub struct Daemon {
    pub child: Child,
}

impl Daemon {
    pub fn stop(mut self) {
        unsafe { libc::kill(self.child.id() as i32, libc::SIGTERM) };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("liputan serve did not stop within 30 s of SIGTERM");
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `condition` until it holds or `timeout` passes.
pub fn wait_until(timeout: Duration, what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        if condition() {
            return;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    panic!("timed out after {timeout:?} waiting for: {what}");
}

/// A camera-like JPEG taken at `captured` ("YYYY:MM:DD HH:MM:SS").
pub fn photo(seed: u64, captured: &'static str) -> Vec<u8> {
    synth::jpeg(&SynthPhoto {
        width: 640,
        height: 480,
        captured: Some(captured.into()),
        make: Some("Canon".into()),
        model: Some("Canon EOS 90D".into()),
        serial: Some("012345678901".into()),
        seed,
        ..Default::default()
    })
}

/// Writes a card dump of `n` distinct photos under `dir/DCIM/100CANON`; returns the paths.
pub fn write_card(dir: &Path, n: u64, seed: u64) -> Vec<PathBuf> {
    let folder = dir.join("DCIM/100CANON");
    std::fs::create_dir_all(&folder).expect("card folder");
    (0..n)
        .map(|i| {
            let path = folder.join(format!("IMG_{:04}.JPG", i + 1));
            std::fs::write(&path, photo(seed + i, "2026:11:26 09:15:00")).expect("write photo");
            path
        })
        .collect()
}

pub fn hash_of(path: &Path) -> String {
    blake3::hash(&std::fs::read(path).expect("read"))
        .to_hex()
        .to_string()
}

/// Tokens requests to an address carry by default (the admin's).
static DEFAULT_TOKENS: std::sync::Mutex<BTreeMap<String, String>> =
    std::sync::Mutex::new(BTreeMap::new());

/// The address `liputan serve` printed in its log ("panel on http://ADDR").
/// From then on, requests to it act as the environment's admin unless they
/// carry their own `Authorization` or `Cookie` (or use `request_anonymous`).
pub fn served_addr(env: &Env) -> String {
    let token = env.admin_token();
    let addr = served_addr_anonymous(env);
    DEFAULT_TOKENS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .insert(addr.clone(), token);
    addr
}

/// The address, without making an admin (requests carry no default token).
pub fn served_addr_anonymous(env: &Env) -> String {
    let mut addr = String::new();
    wait_until(
        Duration::from_secs(30),
        "the panel address in the log",
        || {
            let log = env.log();
            match log.split("panel on http://").nth(1) {
                Some(rest) => {
                    addr = rest
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_owned();
                    true
                }
                None => false,
            }
        },
    );
    addr
}

/// A response read by the minimal HTTP/1.1 client below.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", String::from_utf8_lossy(&self.body)))
    }
}

/// A sample's value from the daemon's `/metrics` (0 when absent).
pub fn metric(addr: &str, name: &str) -> f64 {
    let reply = get(addr, "/metrics", &[]);
    assert_eq!(reply.status, 200);
    let text = String::from_utf8_lossy(&reply.body).into_owned();
    text.lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(' '))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0.0)
}

/// GET over a plain TCP connection (no client library: the server is the thing under test).
pub fn get(addr: &str, path: &str, headers: &[(&str, &str)]) -> Reply {
    request("GET", addr, path, headers, None)
}

/// A request with a JSON body.
pub fn send_json(method: &str, addr: &str, path: &str, body: &serde_json::Value) -> Reply {
    let text = body.to_string();
    request(
        method,
        addr,
        path,
        &[("Content-Type", "application/json")],
        Some(text.as_bytes()),
    )
}

pub fn request(
    method: &str,
    addr: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Reply {
    let has_credentials = headers
        .iter()
        .any(|(k, _)| k.eq_ignore_ascii_case("authorization") || k.eq_ignore_ascii_case("cookie"));
    let token = DEFAULT_TOKENS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .get(addr)
        .cloned();
    match token {
        Some(token) if !has_credentials => {
            let bearer = format!("Bearer {token}");
            let mut with: Vec<(&str, &str)> = headers.to_vec();
            with.push(("Authorization", &bearer));
            request_anonymous(method, addr, path, &with, body)
        }
        _ => request_anonymous(method, addr, path, headers, body),
    }
}

/// A request exactly as given: no default credentials.
pub fn request_anonymous(
    method: &str,
    addr: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Reply {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(body) = body {
        request.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    request.push_str("\r\n");
    let mut bytes = request.into_bytes();
    bytes.extend_from_slice(body.unwrap_or_default());
    stream.write_all(&bytes).expect("send");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read");
    parse_reply(&raw).expect("an HTTP response")
}

/// A whole HTTP/1.1 response as read from a `Connection: close` socket;
/// `None` when it has no status line or header end.
pub fn parse_reply(raw: &[u8]) -> Option<Reply> {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|s| s.parse().ok())?;
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| {
            l.split_once(':')
                .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        })
        .collect();
    let mut body = raw[split + 4..].to_vec();
    if headers
        .iter()
        .any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.contains("chunked"))
    {
        body = dechunk(&body);
    }
    Some(Reply {
        status,
        headers,
        body,
    })
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    loop {
        let Some(end) = data.windows(2).position(|w| w == b"\r\n") else {
            return out;
        };
        let size =
            usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            return out;
        }
        out.extend_from_slice(&data[end + 2..end + 2 + size]);
        data = &data[end + 2 + size + 2..];
    }
}

/// `POST /api/uploads` with `body` ({name, size, ...}) as the token's owner.
pub fn upload_create(addr: &str, token: &str, body: &serde_json::Value) -> Reply {
    let auth = format!("Bearer {token}");
    request(
        "POST",
        addr,
        "/api/uploads",
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        Some(body.to_string().as_bytes()),
    )
}

/// `PATCH /api/uploads/{id}`: one chunk at `offset`.
pub fn upload_patch(addr: &str, token: &str, id: &str, offset: u64, bytes: &[u8]) -> Reply {
    let auth = format!("Bearer {token}");
    let offset = offset.to_string();
    request(
        "PATCH",
        addr,
        &format!("/api/uploads/{id}"),
        &[
            ("Authorization", &auth),
            ("Upload-Offset", &offset),
            ("Content-Type", "application/offset+octet-stream"),
        ],
        Some(bytes),
    )
}
