//! Unggah: uploads through `/api/uploads` against the real daemon, with a
//! connection dropped in the middle of a chunk, resumed from the offset the
//! server reports, and archived byte for byte; refusals leave nothing behind.

use std::io::Write;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use crate::harness::{
    request, request_anonymous, served_addr, upload_patch as patch, wait_until, Env, Reply,
};

const MINUTE: Duration = Duration::from_secs(60);

/// A real camera JPEG of 3.2 MB: each third is more than the 1 MiB body limit
/// that every other route has.
fn fixture() -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real-cameras/Leica T (Typ 701).jpg");
    std::fs::read(path).expect("fixture")
}

fn bearer(token: &str) -> String {
    format!("Bearer {token}")
}

fn create(addr: &str, token: &str, body: serde_json::Value) -> Reply {
    crate::harness::upload_create(addr, token, &body)
}

fn status(addr: &str, token: &str, id: &str) -> Reply {
    let auth = bearer(token);
    request(
        "GET",
        addr,
        &format!("/api/uploads/{id}"),
        &[("Authorization", &auth)],
        None,
    )
}

/// A PATCH whose connection dies: it promises `declared` bytes, sends `sent`,
/// and closes.
fn dropped_patch(addr: &str, token: &str, id: &str, offset: u64, declared: usize, sent: &[u8]) {
    let mut stream = TcpStream::connect(addr).expect("connect");
    let head = format!(
        "PATCH /api/uploads/{id} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\n\
         Upload-Offset: {offset}\r\nContent-Type: application/offset+octet-stream\r\n\
         Content-Length: {declared}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).expect("send head");
    stream.write_all(sent).expect("send half a chunk");
    stream.flush().expect("flush");
    std::thread::sleep(Duration::from_millis(200));
    stream
        .shutdown(std::net::Shutdown::Both)
        .expect("drop the connection");
}

fn staging(env: &Env, username: &str) -> PathBuf {
    env.inbox.join(".liputan-uploads").join(username)
}

fn files_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// Every path the catalog recorded as a source or a rejection.
fn seen_paths(env: &Env) -> Vec<String> {
    let conn = env.catalog();
    let mut out = Vec::new();
    for sql in ["SELECT path FROM sources", "SELECT path FROM rejections"] {
        let mut stmt = conn.prepare(sql).unwrap();
        let rows = stmt
            .query_map([], |r| r.get::<_, Vec<u8>>(0))
            .unwrap()
            .map(|p| String::from_utf8_lossy(&p.unwrap()).into_owned());
        out.extend(rows);
    }
    out
}

fn asset_ids(env: &Env) -> Vec<String> {
    let conn = env.catalog();
    let mut stmt = conn.prepare("SELECT id FROM assets").unwrap();
    let ids = stmt
        .query_map([], |r| r.get::<_, String>(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    ids
}

#[test]
fn an_upload_survives_a_dropped_connection_and_is_archived_once() {
    let started = Instant::now();
    let env = Env::new("");
    let daemon = env.serve();
    let addr = served_addr(&env);
    let budi = env.account("budi", "staf", false);
    let data = fixture();
    let n = data.len();
    let (c1, c2) = (n / 3, 2 * n / 3);
    assert!(c1 > 1024 * 1024, "each chunk is over the 1 MiB body limit");
    let whole = blake3::hash(&data).to_hex().to_string();

    // The client's name is a path: only its last part is kept.
    let made = create(
        &addr,
        &budi,
        serde_json::json!({"name": "../DCIM/100LEICA/L1000001.JPG", "size": n}),
    );
    assert_eq!(made.status, 201, "{}", String::from_utf8_lossy(&made.body));
    let made = made.json();
    let id = made["id"].as_str().unwrap().to_owned();
    assert_eq!(made["offset"], 0);
    assert_eq!(made["name"], "L1000001.JPG");
    let folder = made["folder"].as_str().unwrap().to_owned();
    assert!(folder.starts_with("unggah-20"), "{folder}");
    let part = staging(&env, "budi").join(format!("{id}.part"));

    let t = Instant::now();
    let first = patch(&addr, &budi, &id, 0, &data[..c1]);
    assert_eq!(
        first.status,
        200,
        "{}",
        String::from_utf8_lossy(&first.body)
    );
    assert_eq!(first.json()["offset"], c1 as u64);
    assert_eq!(first.json()["done"], false);
    eprintln!("first chunk ({c1} bytes): {:?}", t.elapsed());

    // The second chunk: half of it, then the connection drops.
    let half = (c2 - c1) / 2;
    let t = Instant::now();
    dropped_patch(&addr, &budi, &id, c1 as u64, c2 - c1, &data[c1..c1 + half]);
    let mut offset = 0;
    wait_until(
        Duration::from_secs(10),
        "the server keeps the half chunk",
        || {
            offset = status(&addr, &budi, &id).json()["offset"].as_u64().unwrap();
            offset == (c1 + half) as u64
        },
    );
    eprintln!("dropped half chunk kept after {:?}", t.elapsed());
    assert_eq!(std::fs::read(&part).unwrap(), &data[..c1 + half]);

    // Nothing reaches the inbox folder or the catalog while it is partial,
    // however long it sits (settle_seconds = 1).
    std::thread::sleep(Duration::from_secs(3));
    assert!(!env.inbox.join("budi").exists(), "no file in the inbox yet");
    assert!(asset_ids(&env).is_empty(), "nothing ingested yet");

    // A stale offset is refused with the real one.
    let stale = patch(&addr, &budi, &id, c1 as u64, &data[c1..c2]);
    assert_eq!(stale.status, 409);
    assert_eq!(stale.json()["offset"], offset);
    assert_eq!(std::fs::metadata(&part).unwrap().len(), offset);

    // Resume from what the server reported.
    let t = Instant::now();
    let rest = patch(&addr, &budi, &id, offset, &data[offset as usize..c2]);
    assert_eq!(rest.status, 200, "{}", String::from_utf8_lossy(&rest.body));
    assert_eq!(rest.json()["offset"], c2 as u64);
    let last = patch(&addr, &budi, &id, c2 as u64, &data[c2..]);
    assert_eq!(last.status, 200, "{}", String::from_utf8_lossy(&last.body));
    let last = last.json();
    eprintln!("resumed and finished: {:?}", t.elapsed());
    assert_eq!(last["done"], true);
    assert_eq!(last["offset"], n as u64);
    assert_eq!(last["file_name"], "L1000001.JPG");
    let placed = env.inbox.join("budi").join(&folder).join("L1000001.JPG");
    assert_eq!(crate::harness::hash_of(&placed), whole, "byte-identical");
    assert!(!part.exists(), "the partial file was moved, not copied");

    // Asking again (a client whose last answer was lost) says done.
    let again = status(&addr, &budi, &id).json();
    assert_eq!(again["done"], true);
    assert_eq!(again["file_name"], "L1000001.JPG");
    let again = patch(&addr, &budi, &id, n as u64, b"");
    assert_eq!(again.status, 200);
    assert_eq!(again.json()["done"], true);

    let t = Instant::now();
    wait_until(MINUTE, "the upload is archived", || {
        env.catalogued().values().any(|h| *h == whole)
    });
    eprintln!("archived {:?} after the last chunk", t.elapsed());
    let conn = env.catalog();
    let (drop_folder, file_name): (String, String) = conn
        .query_row(
            "SELECT drop_folder, file_name FROM assets WHERE id = ?1",
            [&whole],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    assert_eq!(drop_folder, "budi");
    assert_eq!(file_name, "L1000001.JPG");

    // Only the whole file was ever taken: no asset of partial content, no
    // source or rejection inside the staging folder.
    std::thread::sleep(Duration::from_secs(2));
    assert_eq!(asset_ids(&env), vec![whole.clone()]);
    let seen = seen_paths(&env);
    assert!(
        seen.iter().all(|p| !p.contains(".liputan-uploads")),
        "{seen:?}"
    );
    let tail = format!("budi/{folder}/L1000001.JPG");
    assert!(seen.len() == 1 && seen[0].ends_with(&tail), "{seen:?}");
    assert_eq!(
        files_in(&staging(&env, "budi")),
        vec![format!("{id}.info.part")],
        "only the record of the finished upload is left"
    );
    env.assert_archive_matches_catalog();
    daemon.stop();
    eprintln!("whole test: {:?}", started.elapsed());
}

#[test]
fn oversized_uploads_and_chunks_are_refused_and_leave_nothing() {
    let env = Env::new("");
    let daemon = env.serve();
    let addr = served_addr(&env);
    let budi = env.account("budi", "staf", false);

    // Declared size over server.upload_max_mb (16384 by default).
    let over = 16384u64 * 1024 * 1024 + 1;
    let reply = create(
        &addr,
        &budi,
        serde_json::json!({"name": "besar.mp4", "size": over}),
    );
    assert_eq!(reply.status, 413);
    let error = reply.json()["error"].as_str().unwrap().to_owned();
    assert!(error.starts_with("size:"), "{error}");
    assert!(files_in(&staging(&env, "budi")).is_empty());

    for (body, field) in [
        (serde_json::json!({"name": "", "size": 10}), "name:"),
        (serde_json::json!({"name": "../", "size": 10}), "name:"),
        (serde_json::json!({"size": 10}), "name:"),
        (
            serde_json::json!({"name": "video.mp4.part", "size": 10}),
            "name:",
        ),
        (serde_json::json!({"name": "a.jpg"}), "size:"),
        (serde_json::json!({"name": "a.jpg", "size": 0}), "size:"),
    ] {
        let reply = create(&addr, &budi, body.clone());
        assert_eq!(reply.status, 400, "{body}");
        let error = reply.json()["error"].as_str().unwrap().to_owned();
        assert!(error.starts_with(field), "{body}: {error}");
    }
    assert!(files_in(&staging(&env, "budi")).is_empty());

    // A chunk longer than what is left of the declared size: 413, nothing written.
    let made = create(
        &addr,
        &budi,
        serde_json::json!({"name": "kecil.jpg", "size": 100}),
    )
    .json();
    let id = made["id"].as_str().unwrap().to_owned();
    let part = staging(&env, "budi").join(format!("{id}.part"));
    let reply = patch(&addr, &budi, &id, 0, &[7u8; 150]);
    assert_eq!(reply.status, 413);
    assert_eq!(reply.json()["offset"], 0);
    assert_eq!(std::fs::metadata(&part).unwrap().len(), 0);

    // The same without a Content-Length (chunked): stops at the limit.
    let mut stream = TcpStream::connect(&addr).unwrap();
    let head = format!(
        "PATCH /api/uploads/{id} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {budi}\r\n\
         Upload-Offset: 0\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let mut raw = head.into_bytes();
    for len in [60usize, 90] {
        raw.extend_from_slice(format!("{len:x}\r\n").as_bytes());
        raw.extend(std::iter::repeat_n(9u8, len));
        raw.extend_from_slice(b"\r\n");
    }
    raw.extend_from_slice(b"0\r\n\r\n");
    stream.write_all(&raw).unwrap();
    let mut answer = String::new();
    std::io::Read::read_to_string(&mut stream, &mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
    let size = std::fs::metadata(&part).unwrap().len();
    assert!(size <= 100, "never past the declared size: {size}");
    assert_eq!(status(&addr, &budi, &id).json()["offset"], size);
    assert!(
        !env.inbox.join("budi").exists(),
        "nothing reached the inbox"
    );
    daemon.stop();
}

#[test]
fn only_the_uploader_sees_an_upload_and_tenaga_ahli_may_not_upload() {
    let env = Env::new("");
    let daemon = env.serve();
    let addr = served_addr(&env);
    let budi = env.account("budi", "staf", false);
    let sari = env.account("sari", "staf", false);
    let rina = env.account("rina", "tenaga_ahli", false);

    let made = create(
        &addr,
        &budi,
        serde_json::json!({"name": "IMG_0001.JPG", "size": 10}),
    );
    assert_eq!(made.status, 201);
    let id = made.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(patch(&addr, &budi, &id, 0, b"01234").status, 200);

    // Another person: as if it did not exist.
    assert_eq!(status(&addr, &sari, &id).status, 404);
    assert_eq!(patch(&addr, &sari, &id, 5, b"56789").status, 404);
    assert_eq!(patch(&addr, &budi, "../../etc", 0, b"x").status, 404);
    assert_eq!(status(&addr, &budi, &id).json()["offset"], 5);

    // Tenaga ahli may not upload; nobody may without logging in.
    assert_eq!(
        create(
            &addr,
            &rina,
            serde_json::json!({"name": "a.jpg", "size": 1})
        )
        .status,
        403
    );
    assert_eq!(patch(&addr, &rina, &id, 5, b"56789").status, 403);
    let auth = bearer(&rina);
    assert_eq!(
        request("GET", &addr, "/unggah", &[("Authorization", &auth)], None).status,
        403
    );
    let anonymous = request_anonymous(
        "POST",
        &addr,
        "/api/uploads",
        &[("Content-Type", "application/json")],
        Some(br#"{"name": "a.jpg", "size": 1}"#),
    );
    assert_eq!(anonymous.status, 401);

    // The page and its script, for those who may.
    let auth = bearer(&budi);
    let page = request("GET", &addr, "/unggah", &[("Authorization", &auth)], None);
    assert_eq!(page.status, 200);
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains("/static/upload.js"), "{html}");
    assert!(html.contains("budi/unggah-"), "{html}");
    assert!(html.contains("multiple"), "{html}");
    let script = request("GET", &addr, "/static/upload.js", &[], None);
    assert_eq!(script.status, 200);
    assert!(script
        .header("content-type")
        .unwrap()
        .contains("javascript"));

    // The last byte completes it; budi's own folder receives it.
    let done = patch(&addr, &budi, &id, 5, b"56789").json();
    assert_eq!(done["done"], true);
    let folder = done["folder"].as_str().unwrap();
    let placed = env.inbox.join("budi").join(folder).join("IMG_0001.JPG");
    assert_eq!(std::fs::read(placed).unwrap(), b"0123456789");
    daemon.stop();
}

#[test]
fn a_resumed_upload_takes_over_from_a_connection_that_hangs() {
    let env = Env::new("");
    let daemon = env.serve();
    let addr = served_addr(&env);
    let budi = env.account("budi", "staf", false);
    let data = fixture();
    let n = data.len();
    let made = create(
        &addr,
        &budi,
        serde_json::json!({"name": "L1000002.JPG", "size": n}),
    )
    .json();
    let id = made["id"].as_str().unwrap().to_owned();

    // A phone switches networks: the old connection is neither closed nor
    // sending, so the server cannot tell it is dead.
    let half = n / 2;
    let mut hung = TcpStream::connect(&addr).unwrap();
    let head = format!(
        "PATCH /api/uploads/{id} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {budi}\r\n\
         Upload-Offset: 0\r\nContent-Length: {n}\r\n\r\n"
    );
    hung.write_all(head.as_bytes()).unwrap();
    hung.write_all(&data[..half]).unwrap();
    let mut offset = 0;
    wait_until(Duration::from_secs(10), "the first half is on disk", || {
        offset = status(&addr, &budi, &id).json()["offset"].as_u64().unwrap();
        offset == half as u64
    });

    // The new connection resumes at once instead of waiting for the old one.
    let t = Instant::now();
    let rest = patch(&addr, &budi, &id, offset, &data[half..]);
    assert_eq!(rest.status, 200, "{}", String::from_utf8_lossy(&rest.body));
    assert!(t.elapsed() < Duration::from_secs(5), "{:?}", t.elapsed());
    let rest = rest.json();
    assert_eq!(rest["done"], true);
    let placed = env
        .inbox
        .join("budi")
        .join(rest["folder"].as_str().unwrap())
        .join("L1000002.JPG");
    assert_eq!(std::fs::read(&placed).unwrap(), data);

    // The old connection gets its answer (409: taken over) or is closed.
    hung.set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    let mut answer = String::new();
    let _ = std::io::Read::read_to_string(&mut hung, &mut answer);
    assert!(
        answer.is_empty() || answer.starts_with("HTTP/1.1 409"),
        "{answer}"
    );
    daemon.stop();
}

#[test]
fn the_page_uploads_files_in_chunks_and_retries_after_a_network_error() {
    let Some(browser) = crate::cdp::Browser::launch() else {
        eprintln!("skipping: chromium not found");
        return;
    };
    let env = Env::new("");
    let daemon = env.serve();
    let addr = served_addr(&env);
    env.account("budi", "staf", false);
    let page = browser.new_page();
    page.goto(&format!("http://{addr}/masuk"));
    page.fill("input[name=username]", "budi");
    page.fill("input[name=password]", "sandi-budi");
    page.click("button[type=submit]");
    page.wait_for("location.pathname == '/'", Duration::from_secs(10));
    page.goto(&format!("http://{addr}/unggah"));

    // Chunks of 1 MB, short back-off, and a network that fails the second
    // PATCH, and every PATCH past `window.failAfter`.
    page.eval(
        "var form = document.getElementById('unggah');
         form.dataset.chunk = '1000000';
         form.dataset.backoff = '20';
         window.calls = {};
         window.failAfter = Infinity;
         (function () {
           var real = window.fetch;
           window.fetch = function (url, options) {
             var method = (options && options.method) || 'GET';
             var n = window.calls[method] = (window.calls[method] || 0) + 1;
             if (method === 'PATCH' && (n === 2 || n > window.failAfter)) {
               return Promise.reject(new TypeError('Failed to fetch'));
             }
             return real.apply(this, arguments);
           };
         })(); true",
    );
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real-cameras");
    let files = [
        dir.join("Leica T (Typ 701).jpg"),
        dir.join("Nikon D5000.jpg"),
    ];
    let t = Instant::now();
    page.set_files(
        "#unggah-berkas",
        &files.iter().map(PathBuf::as_path).collect::<Vec<_>>(),
    );
    page.wait_for(
        "document.getElementById('unggah-status').textContent.indexOf('2 dari 2 berkas selesai') === 0",
        MINUTE,
    );
    eprintln!("browser upload of 2 files: {:?}", t.elapsed());
    // 4 chunks of the Leica, 1 of the Nikon, and the one that failed.
    assert_eq!(page.eval("window.calls.PATCH"), 6);
    assert_eq!(page.eval("window.calls.POST"), 2);
    let list = page.text("#unggah-daftar");
    assert!(list.contains("Selesai: unggah-"), "{list}");
    page.screenshot("unggah");
    assert_eq!(page.errors(), Vec::<String>::new());

    let folder = std::fs::read_dir(env.inbox.join("budi"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("unggah-")
        })
        .expect("the upload folder");
    for file in &files {
        let name = file
            .file_name()
            .unwrap()
            .to_string_lossy()
            .replace(['(', ')'], "_");
        assert_eq!(
            crate::harness::hash_of(&folder.join(&name)),
            crate::harness::hash_of(file),
            "{name}"
        );
    }
    // The network goes away after one chunk of the next file: after a few
    // tries the file stops, and "Lanjutkan" goes on from where it was.
    let canon = dir.join("Canon EOS 450D.jpg");
    page.eval("window.failAfter = window.calls.PATCH + 1; true");
    page.set_files("#unggah-berkas", &[canon.as_path()]);
    page.wait_for(
        "document.getElementById('unggah-status').textContent.indexOf('1 terhenti') > 0",
        MINUTE,
    );
    let button = "getComputedStyle(document.getElementById('unggah-lanjut')).display";
    assert_ne!(page.eval(button), "none");
    let list = page.text("#unggah-daftar");
    assert!(list.contains("Terhenti di 35%"), "{list}");
    page.screenshot("unggah-terhenti");
    page.eval("window.failAfter = Infinity; true");
    page.click("#unggah-lanjut");
    page.wait_for(
        "document.getElementById('unggah-status').textContent.indexOf('3 dari 3 berkas selesai') === 0",
        MINUTE,
    );
    assert_eq!(page.eval(button), "none");
    assert_eq!(
        page.eval("window.calls.POST"),
        3,
        "resumed, not started again"
    );
    assert_eq!(
        crate::harness::hash_of(&folder.join("Canon EOS 450D.jpg")),
        crate::harness::hash_of(&canon)
    );
    assert_eq!(page.errors(), Vec::<String>::new());

    // An open browser keeps connections that hold up the daemon's graceful
    // shutdown (any page, not only this one): close it first.
    drop(page);
    drop(browser);
    daemon.stop();
}
