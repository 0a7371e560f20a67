//! A tiny Chrome DevTools Protocol client for browser tests of the web panel.
//!
//! It drives Debian's headless Chromium over `--remote-debugging-pipe`: the
//! browser reads JSON commands on its fd 3 and writes replies and events on
//! its fd 4, every message terminated by a NUL byte. No websocket, no extra
//! crates: std, serde_json, libc and tempfile only.
//!
//! ```ignore
//! let Some(browser) = Browser::launch() else { return }; // no chromium, not CI
//! let page = browser.new_page();
//! page.goto("http://127.0.0.1:1234/");
//! page.fill("#user", "ana");
//! page.click("button[type=submit]");
//! page.wait_for("location.pathname == '/home'", Duration::from_secs(10));
//! assert_eq!(page.errors(), Vec::<String>::new());
//! ```
//!
//! One reader thread owns the browser's output pipe: replies are routed by
//! `id` to the caller waiting on them, events update shared per-session
//! state (finished loads, collected errors) that waiters watch via a condvar.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::fd::{FromRawFd, RawFd};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{channel, RecvTimeoutError, Sender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

/// How long one protocol command may take before we give up on the browser.
const COMMAND_TIMEOUT: Duration = Duration::from_secs(30);
/// How long `goto` waits for the load event.
const LOAD_TIMEOUT: Duration = Duration::from_secs(30);
/// How long `click`, `fill` and `set_files` wait for their element to appear.
const ELEMENT_TIMEOUT: Duration = Duration::from_secs(10);
const POLL_INTERVAL: Duration = Duration::from_millis(50);
const WINDOW: (u32, u32) = (1280, 900);

// ---------------------------------------------------------------------------
// Connection: the pipe pair, reply routing and event state.

/// What the reader thread learned from events, keyed by session id.
#[derive(Default)]
struct Events {
    /// Loader ids whose document fired `load`, per session.
    loads: HashMap<String, HashSet<String>>,
    /// Console errors and uncaught exceptions, per session.
    errors: HashMap<String, Vec<String>>,
    /// Set once the browser closed its end of the pipe.
    closed: bool,
}

struct Conn {
    to_browser: Mutex<File>,
    next_id: AtomicU64,
    pending: Mutex<HashMap<u64, Sender<Value>>>,
    events: Mutex<Events>,
    changed: Condvar,
    /// Chromium's stderr, quoted in panics when it stops answering.
    log: PathBuf,
}

impl Conn {
    /// Sends a command (to a page when `session` is given) and waits for its reply.
    /// `Err` carries the protocol error message or a transport failure.
    fn call(
        &self,
        session: Option<&str>,
        method: &str,
        params: Value,
        timeout: Duration,
    ) -> Result<Value, String> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let mut msg = json!({ "id": id, "method": method, "params": params });
        if let Some(s) = session {
            msg["sessionId"] = json!(s);
        }
        let (tx, rx) = channel();
        self.pending.lock().unwrap().insert(id, tx);
        let mut bytes = serde_json::to_vec(&msg).expect("serialize command");
        bytes.push(0);
        if let Err(e) = self.to_browser.lock().unwrap().write_all(&bytes) {
            self.pending.lock().unwrap().remove(&id);
            return Err(format!(
                "{method}: cannot write to chromium: {e}{}",
                self.log_tail()
            ));
        }
        match rx.recv_timeout(timeout) {
            Ok(reply) => match reply.get("error") {
                Some(err) => Err(format!(
                    "{method}: {}",
                    err["message"].as_str().unwrap_or("unknown error")
                )),
                None => Ok(reply.get("result").cloned().unwrap_or(Value::Null)),
            },
            Err(RecvTimeoutError::Timeout) => {
                self.pending.lock().unwrap().remove(&id);
                Err(format!(
                    "{method}: no reply within {timeout:?}{}",
                    self.log_tail()
                ))
            }
            Err(RecvTimeoutError::Disconnected) => Err(format!(
                "{method}: chromium closed the pipe{}",
                self.log_tail()
            )),
        }
    }

    /// Like `call` with the default timeout, panicking on failure: for commands
    /// whose failure means the test cannot go on.
    fn must(&self, session: Option<&str>, method: &str, params: Value) -> Value {
        self.call(session, method, params, COMMAND_TIMEOUT)
            .unwrap_or_else(|e| panic!("cdp {e}"))
    }

    /// Waits until `done` holds for the event state, or the timeout / browser exit.
    fn wait_events(&self, timeout: Duration, done: impl Fn(&Events) -> bool) -> Result<(), String> {
        let deadline = Instant::now() + timeout;
        let mut ev = self.events.lock().unwrap();
        loop {
            if done(&ev) {
                return Ok(());
            }
            if ev.closed {
                return Err(format!("chromium closed the pipe{}", self.log_tail()));
            }
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                return Err(format!("timed out after {timeout:?}"));
            }
            ev = self.changed.wait_timeout(ev, left).unwrap().0;
        }
    }

    /// The end of chromium's stderr, to explain why it stopped answering.
    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let tail: Vec<&str> = text.lines().rev().take(15).collect();
        if tail.is_empty() {
            return String::new();
        }
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!("\n--- chromium stderr (tail) ---\n{}", tail.join("\n"))
    }
}

/// The reader thread: routes replies to their callers and folds events into
/// `Conn::events`. Ends when chromium closes its end of the pipe.
fn read_loop(conn: Arc<Conn>, from_browser: File) {
    let mut reader = BufReader::new(from_browser);
    let mut buf = Vec::new();
    loop {
        buf.clear();
        match reader.read_until(0, &mut buf) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
        if buf.last() == Some(&0) {
            buf.pop();
        }
        let Ok(msg) = serde_json::from_slice::<Value>(&buf) else {
            continue;
        };
        if let Some(id) = msg.get("id").and_then(Value::as_u64) {
            // The caller may have timed out and gone; a lost reply is fine then.
            if let Some(tx) = conn.pending.lock().unwrap().remove(&id) {
                let _ = tx.send(msg);
            }
        } else {
            record_event(&conn, &msg);
        }
    }
    conn.events.lock().unwrap().closed = true;
    // Dropping the senders wakes every caller still waiting for a reply.
    conn.pending.lock().unwrap().clear();
    conn.changed.notify_all();
}

fn record_event(conn: &Conn, msg: &Value) {
    let Some(session) = msg["sessionId"].as_str() else {
        return;
    };
    let params = &msg["params"];
    let mut ev = conn.events.lock().unwrap();
    match msg["method"].as_str().unwrap_or("") {
        "Page.lifecycleEvent" if params["name"] == "load" => {
            let loader = params["loaderId"].as_str().unwrap_or("").to_owned();
            ev.loads
                .entry(session.to_owned())
                .or_default()
                .insert(loader);
        }
        "Runtime.exceptionThrown" => {
            let d = &params["exceptionDetails"];
            let text = d["exception"]["description"]
                .as_str()
                .or(d["text"].as_str())
                .unwrap_or("exception");
            ev.errors
                .entry(session.to_owned())
                .or_default()
                .push(format!("uncaught: {text}"));
        }
        "Runtime.consoleAPICalled" if params["type"] == "error" => {
            let args: Vec<String> = params["args"]
                .as_array()
                .map_or(vec![], |a| a.iter().map(remote_to_string).collect());
            ev.errors
                .entry(session.to_owned())
                .or_default()
                .push(format!("console.error: {}", args.join(" ")));
        }
        // Network failures and Content-Security-Policy violations arrive here.
        // Except the 404 of the favicon the browser requests on its own: not
        // the page's fault, and it would make every `errors()` check fail.
        "Log.entryAdded"
            if params["entry"]["level"] == "error"
                && !params["entry"]["url"]
                    .as_str()
                    .is_some_and(|u| u.ends_with("/favicon.ico")) =>
        {
            let e = &params["entry"];
            let text = format!(
                "{}: {} ({})",
                e["source"].as_str().unwrap_or("log"),
                e["text"].as_str().unwrap_or(""),
                e["url"].as_str().unwrap_or("")
            );
            ev.errors.entry(session.to_owned()).or_default().push(text);
        }
        _ => return,
    }
    drop(ev);
    conn.changed.notify_all();
}

/// A console argument (a Runtime.RemoteObject) as text.
fn remote_to_string(obj: &Value) -> String {
    match obj.get("value") {
        Some(Value::String(s)) => s.clone(),
        Some(v) => v.to_string(),
        None => obj["description"].as_str().unwrap_or("?").to_owned(),
    }
}

// ---------------------------------------------------------------------------
// Browser

/// A headless Chromium process. Dropping it closes the browser (killing its
/// process group if it does not exit) and removes its throw-away profile.
/// Launch one per test: that keeps tests independent, and launch plus close
/// cost only about a second.
pub struct Browser {
    conn: Arc<Conn>,
    child: Child,
    _profile: tempfile::TempDir,
}

impl Browser {
    /// Starts headless Chromium. `None` when no `chromium` is on PATH and CI is
    /// not "true" (the caller should skip its test); panics when CI=true and it
    /// is missing, so browser tests cannot silently stop running in CI.
    pub fn launch() -> Option<Browser> {
        let Some(exe) = find_chromium() else {
            if std::env::var("CI").as_deref() == Ok("true") {
                panic!("CI=true but `chromium` is not on PATH; install it (apt-get install -y chromium)");
            }
            return None;
        };
        Some(Browser::launch_exe(&exe))
    }

    fn launch_exe(exe: &Path) -> Browser {
        let profile = tempfile::tempdir().expect("chromium profile dir");
        let log = profile.path().join("chromium-stderr.log");
        let (cmd_read, cmd_write) = cloexec_pipe();
        let (ev_read, ev_write) = cloexec_pipe();
        let mut cmd = Command::new(exe);
        cmd.args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-dev-shm-usage",
            "--remote-debugging-pipe",
        ])
        .arg(format!("--window-size={},{}", WINDOW.0, WINDOW.1))
        .arg(format!(
            "--user-data-dir={}",
            profile.path().join("profile").display()
        ))
        .arg("about:blank")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(File::create(&log).expect("chromium log file"))
        // Its own process group, so Drop can also kill renderers and helpers.
        .process_group(0);
        // SAFETY: only async-signal-safe calls (fcntl, dup2) between fork and exec.
        unsafe {
            cmd.pre_exec(move || map_fd(cmd_read, 3, ev_write, 4));
        }
        let child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", exe.display()));
        // Close the child's ends here so we see EOF when chromium exits.
        // SAFETY: these fds are ours and not used elsewhere.
        unsafe {
            libc::close(cmd_read);
            libc::close(ev_write);
        }
        let conn = Arc::new(Conn {
            // SAFETY: fresh fds from pipe2, owned from now on by these Files.
            to_browser: Mutex::new(unsafe { File::from_raw_fd(cmd_write) }),
            next_id: AtomicU64::new(1),
            pending: Mutex::new(HashMap::new()),
            events: Mutex::new(Events::default()),
            changed: Condvar::new(),
            log,
        });
        let from_browser = unsafe { File::from_raw_fd(ev_read) };
        let reader_conn = conn.clone();
        thread::Builder::new()
            .name("cdp-reader".into())
            .spawn(move || read_loop(reader_conn, from_browser))
            .expect("spawn cdp reader thread");
        let browser = Browser {
            conn,
            child,
            _profile: profile,
        };
        // A first round trip proves the pipe works before any test relies on it.
        browser.conn.must(None, "Browser.getVersion", json!({}));
        browser
    }

    /// A new tab in its own browser context (own cookies, storage and cache),
    /// so several users can be logged in at once.
    pub fn new_page(&self) -> Page {
        let conn = &self.conn;
        let context = conn.must(
            None,
            "Target.createBrowserContext",
            json!({ "disposeOnDetach": true }),
        );
        let context = str_field(&context, "browserContextId");
        let target = conn.must(
            None,
            "Target.createTarget",
            json!({ "url": "about:blank", "browserContextId": context, "width": WINDOW.0, "height": WINDOW.1 }),
        );
        let target = str_field(&target, "targetId");
        let attached = conn.must(
            None,
            "Target.attachToTarget",
            json!({ "targetId": target, "flatten": true }),
        );
        let session = str_field(&attached, "sessionId");
        for (method, params) in [
            ("Page.enable", json!({})),
            // Lifecycle events carry the loader id, so `goto` can wait for the
            // load of *its* navigation rather than an earlier one.
            ("Page.setLifecycleEventsEnabled", json!({ "enabled": true })),
            ("Runtime.enable", json!({})),
            ("Log.enable", json!({})),
            // The window size minus headless "browser chrome" would leave an
            // odd 1280x813 viewport; pin it so layouts and screenshots are stable.
            (
                "Emulation.setDeviceMetricsOverride",
                json!({ "width": WINDOW.0, "height": WINDOW.1, "deviceScaleFactor": 1, "mobile": false }),
            ),
        ] {
            conn.must(Some(&session), method, params);
        }
        Page {
            conn: conn.clone(),
            session,
            context,
        }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // Ask politely so chromium flushes and exits; then make sure.
        let _ = self
            .conn
            .call(None, "Browser.close", json!({}), Duration::from_secs(2));
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            thread::sleep(POLL_INTERVAL);
        }
        // Kill what is left of the group (helpers may outlive the main process).
        // SAFETY: plain kill(2) on the process group we created for chromium.
        unsafe {
            libc::kill(-(self.child.id() as libc::pid_t), libc::SIGKILL);
        }
        let _ = self.child.wait();
    }
}

fn find_chromium() -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join("chromium"))
        .find(|p| p.is_file())
}

/// A pipe whose ends are close-on-exec, so processes spawned concurrently by
/// other tests do not inherit them (which would keep the pipe open forever).
fn cloexec_pipe() -> (RawFd, RawFd) {
    let mut fds = [0; 2];
    // SAFETY: pipe2 writes two fds into the array.
    let rc = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) };
    assert_eq!(rc, 0, "pipe2: {}", std::io::Error::last_os_error());
    (fds[0], fds[1])
}

/// In the child: puts `a` on fd `a_to` and `b` on fd `b_to` (without close-on-exec).
/// Copies both above 9 first, so a source that already is fd 3 or 4 cannot be
/// clobbered by the other dup2, and dup2 never becomes a no-op that would
/// leave close-on-exec set.
fn map_fd(a: RawFd, a_to: RawFd, b: RawFd, b_to: RawFd) -> std::io::Result<()> {
    // SAFETY: fcntl/dup2 are async-signal-safe and act on fds we own.
    unsafe {
        let a_hi = libc::fcntl(a, libc::F_DUPFD_CLOEXEC, 10);
        let b_hi = libc::fcntl(b, libc::F_DUPFD_CLOEXEC, 10);
        if a_hi < 0 || b_hi < 0 || libc::dup2(a_hi, a_to) < 0 || libc::dup2(b_hi, b_to) < 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

fn str_field(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("cdp reply without `{key}`: {v}"))
        .to_owned()
}

// ---------------------------------------------------------------------------
// Page

/// A tab in its own browser context. Dropping it disposes the context.
pub struct Page {
    conn: Arc<Conn>,
    session: String,
    context: String,
}

impl Page {
    /// Navigates and waits (30 s) for the load event of that navigation.
    /// Panics with the url on a network error or timeout.
    pub fn goto(&self, url: &str) {
        let nav = self
            .conn
            .must(Some(&self.session), "Page.navigate", json!({ "url": url }));
        if let Some(err) = nav["errorText"].as_str() {
            panic!("goto {url}: {err}");
        }
        // Same-document navigations (only the #fragment changes) have no loader.
        let Some(loader) = nav["loaderId"].as_str() else {
            return;
        };
        let session = &self.session;
        self.conn
            .wait_events(LOAD_TIMEOUT, |ev| {
                ev.loads.get(session).is_some_and(|l| l.contains(loader))
            })
            .unwrap_or_else(|e| panic!("goto {url}: waiting for load: {e}"));
    }

    /// Evaluates `js` (awaiting a returned promise) and returns its JSON value
    /// (`Null` for undefined). Panics with the JS exception text.
    pub fn eval(&self, js: &str) -> Value {
        self.try_eval(js)
            .unwrap_or_else(|e| panic!("eval failed: {e}\n--- script ---\n{js}"))
    }

    fn try_eval(&self, js: &str) -> Result<Value, String> {
        let params = json!({ "expression": js, "awaitPromise": true, "returnByValue": true });
        let r = self.conn.call(
            Some(&self.session),
            "Runtime.evaluate",
            params,
            COMMAND_TIMEOUT,
        )?;
        if let Some(d) = r.get("exceptionDetails") {
            let text = d["exception"]["description"]
                .as_str()
                .or(d["text"].as_str())
                .unwrap_or("exception");
            return Err(text.to_owned());
        }
        Ok(r["result"].get("value").cloned().unwrap_or(Value::Null))
    }

    /// Polls until the JS expression is truthy. Errors while polling (e.g. the
    /// page is mid-navigation) count as "not yet". On timeout it saves a
    /// screenshot named `timeout-<test thread name>` and panics with the url,
    /// the last error and the page's collected errors.
    pub fn wait_for(&self, js_condition: &str, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        let probe = format!("!!({js_condition})");
        let last_err = loop {
            let outcome = self.try_eval(&probe);
            if outcome == Ok(Value::Bool(true)) {
                return;
            }
            if Instant::now() >= deadline {
                break outcome.err();
            }
            thread::sleep(POLL_INTERVAL);
        };
        let name = format!("timeout-{}", thread::current().name().unwrap_or("main"))
            .replace([':', '/'], "_");
        let shot = self.try_screenshot(&name).map_or_else(
            |e| format!("(no screenshot: {e})"),
            |p| p.display().to_string(),
        );
        panic!(
            "wait_for timed out after {timeout:?}: {js_condition}\n  url: {}\n  last error: {}\n  page errors: {:?}\n  screenshot: {shot}",
            self.try_eval("location.href").map(|v| v.to_string()).unwrap_or_else(|e| e),
            last_err.as_deref().unwrap_or("none"),
            self.errors(),
        );
    }

    /// Waits (10 s) for the element, scrolls it into view and clicks its centre
    /// with real mouse events. Panics if another element covers that point, as
    /// a user could not click it either.
    pub fn click(&self, css: &str) {
        self.wait_element(css);
        let js = format!(
            "(() => {{ const e = document.querySelector({sel}); e.scrollIntoView({{block: 'center', inline: 'center'}});
               const r = e.getBoundingClientRect(); const x = r.left + r.width / 2, y = r.top + r.height / 2;
               const hit = document.elementFromPoint(x, y);
               return {{ x, y, ok: !!hit && (e === hit || e.contains(hit)), hit: hit ? hit.outerHTML.slice(0, 120) : null }}; }})()",
            sel = js_str(css)
        );
        let at = self.eval(&js);
        if at["ok"] != true {
            panic!(
                "click {css}: element is covered or has no size; the point hits {}",
                at["hit"]
            );
        }
        let (x, y) = (
            at["x"].as_f64().unwrap_or(0.0),
            at["y"].as_f64().unwrap_or(0.0),
        );
        for kind in ["mouseMoved", "mousePressed", "mouseReleased"] {
            let params = json!({ "type": kind, "x": x, "y": y, "button": "left", "clickCount": 1 });
            self.conn
                .must(Some(&self.session), "Input.dispatchMouseEvent", params);
        }
    }

    /// Waits (10 s) for the field, focuses it, clears it and types `text` via
    /// `Input.insertText` (as an IME would: `input` events fire), then fires
    /// `change`.
    pub fn fill(&self, css: &str, text: &str) {
        self.wait_element(css);
        let sel = js_str(css);
        self.eval(&format!(
            "(() => {{ const e = document.querySelector({sel}); e.focus(); e.value = '';
               e.dispatchEvent(new Event('input', {{bubbles: true}})); }})()"
        ));
        if !text.is_empty() {
            self.conn.must(
                Some(&self.session),
                "Input.insertText",
                json!({ "text": text }),
            );
        }
        self.eval(&format!(
            "document.querySelector({sel}).dispatchEvent(new Event('change', {{bubbles: true}}))"
        ));
    }

    /// Waits (10 s) for the `<input type=file>` and sets its files (made
    /// absolute here); chromium fires `input` and `change`.
    pub fn set_files(&self, css: &str, paths: &[&Path]) {
        self.wait_element(css);
        let files: Vec<String> = paths
            .iter()
            .map(|p| {
                std::fs::canonicalize(p)
                    .unwrap_or_else(|e| panic!("set_files {}: {e}", p.display()))
                    .display()
                    .to_string()
            })
            .collect();
        // The element as a remote object: setFileInputFiles needs a DOM handle.
        let params = json!({ "expression": format!("document.querySelector({})", js_str(css)) });
        let obj = self
            .conn
            .must(Some(&self.session), "Runtime.evaluate", params);
        let object_id = obj["result"]["objectId"]
            .as_str()
            .unwrap_or_else(|| panic!("set_files {css}: no element handle: {obj}"));
        let params = json!({ "files": files, "objectId": object_id });
        self.conn
            .must(Some(&self.session), "DOM.setFileInputFiles", params);
    }

    /// Saves a PNG of the viewport to `<CARGO_TARGET_TMPDIR>/screenshots/<name>.png`.
    pub fn screenshot(&self, name: &str) -> PathBuf {
        self.try_screenshot(name)
            .unwrap_or_else(|e| panic!("screenshot {name}: {e}"))
    }

    fn try_screenshot(&self, name: &str) -> Result<PathBuf, String> {
        let shot = self.conn.call(
            Some(&self.session),
            "Page.captureScreenshot",
            json!({ "format": "png" }),
            COMMAND_TIMEOUT,
        )?;
        let png = base64_decode(shot["data"].as_str().ok_or("reply without data")?)?;
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("screenshots");
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(path)
    }

    pub fn url(&self) -> String {
        self.eval("location.href")
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// Emulates a screen `width` x `height` CSS pixels wide (`mobile`: a
    /// phone's viewport rules), for checking a layout at a given width.
    /// (Used by the attack campaigns' binary, which shares this file.)
    #[allow(dead_code)]
    pub fn set_viewport(&self, width: u32, height: u32, mobile: bool) {
        self.conn.must(
            Some(&self.session),
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile }),
        );
    }

    /// `innerText` of the first match; panics (at once, no waiting) if none.
    pub fn text(&self, css: &str) -> String {
        let v = self.eval(&format!(
            "document.querySelector({})?.innerText ?? null",
            js_str(css)
        ));
        match v {
            Value::String(s) => s,
            _ => panic!("text {css}: no such element on {}", self.url()),
        }
    }

    /// Console errors, uncaught exceptions and error log entries (failed
    /// requests, CSP violations) seen on this page so far, oldest first.
    pub fn errors(&self) -> Vec<String> {
        self.conn
            .events
            .lock()
            .unwrap()
            .errors
            .get(&self.session)
            .cloned()
            .unwrap_or_default()
    }

    fn wait_element(&self, css: &str) {
        self.wait_for(
            &format!("document.querySelector({})", js_str(css)),
            ELEMENT_TIMEOUT,
        );
    }
}

impl Drop for Page {
    fn drop(&mut self) {
        // Closes the tab too; failures only mean the browser is already gone.
        let params = json!({ "browserContextId": self.context });
        let _ = self.conn.call(
            None,
            "Target.disposeBrowserContext",
            params,
            Duration::from_secs(5),
        );
    }
}

/// A Rust string as a JS string literal (JSON strings are valid JS).
fn js_str(s: &str) -> String {
    Value::from(s).to_string()
}

/// Decodes standard base64 (padding optional, whitespace ignored).
fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' | b'\n' | b'\r' | b' ' => continue,
            _ => return Err(format!("invalid base64 byte {c:#x}")),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------
// Tests of the client itself.

/// Launches the browser or explains why the test is skipped.
fn browser_or_skip() -> Option<Browser> {
    let b = Browser::launch();
    if b.is_none() {
        eprintln!("skipping: chromium not found (set CI=true to make this a failure)");
    }
    b
}

fn data_url(html: &str) -> String {
    // '#' and '%' would end or corrupt a data: URL; nothing else needs escaping here.
    format!(
        "data:text/html,{}",
        html.replace('%', "%25").replace('#', "%23")
    )
}

#[test]
fn cdp_form_click_and_screenshot() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let page = browser.new_page();
    page.goto(&data_url(
        "<form onsubmit='return false'><input id=name value=old>\
         <button id=go type=button onclick=\"document.getElementById('out').textContent = 'hello ' + document.getElementById('name').value\">Go</button></form>\
         <p id=out>nothing</p><p id=changed></p>\
         <script>document.getElementById('name').addEventListener('change', e => document.getElementById('changed').textContent = 'changed')</script>",
    ));
    page.fill("#name", "Ana María");
    assert_eq!(page.text("#changed"), "changed", "fill fires change");
    page.click("#go");
    page.wait_for(
        "document.getElementById('out').textContent != 'nothing'",
        Duration::from_secs(5),
    );
    assert_eq!(page.text("#out"), "hello Ana María");
    assert_eq!(page.eval("1 + 2"), json!(3));
    assert_eq!(
        page.eval("Promise.resolve('later')"),
        json!("later"),
        "eval awaits promises"
    );
    assert!(
        page.url().starts_with("data:text/html,"),
        "url: {}",
        page.url()
    );

    let path = page.screenshot("cdp_form");
    let png = std::fs::read(&path).expect("read screenshot");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "not a PNG: {}",
        path.display()
    );
    assert_eq!(page.errors(), Vec::<String>::new());
}

#[test]
fn cdp_contexts_do_not_share_cookies() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let base = serve_cookie_echo();
    let (a, b) = (browser.new_page(), browser.new_page());
    a.goto(&format!("{base}/set?who=a"));
    b.goto(&format!("{base}/set?who=b"));
    a.goto(&format!("{base}/echo"));
    b.goto(&format!("{base}/echo"));
    assert_eq!(a.text("body"), "cookie: who=a");
    assert_eq!(b.text("body"), "cookie: who=b");
    let c = browser.new_page();
    c.goto(&format!("{base}/echo"));
    assert_eq!(c.text("body"), "cookie: ", "a fresh context has no cookies");
    assert_eq!(a.errors(), Vec::<String>::new());
}

#[test]
fn cdp_collects_errors_and_sets_files() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let page = browser.new_page();
    // A CSP that forbids inline scripts: the violation must show up in errors().
    page.goto(&data_url(
        "<meta http-equiv=Content-Security-Policy content=\"script-src 'none'\">\
         <input type=file id=f multiple><script>window.ran = true</script>",
    ));
    assert_eq!(page.eval("window.ran ?? false"), json!(false));
    let errors = page.errors();
    assert!(
        errors.iter().any(|e| e.contains("Content Security Policy")),
        "no CSP violation in {errors:?}"
    );

    page.eval("setTimeout(() => { throw new Error('boom') }, 0); console.error('bad', 42)");
    let deadline = Instant::now() + Duration::from_secs(5);
    while page.errors().len() < errors.len() + 2 && Instant::now() < deadline {
        thread::sleep(POLL_INTERVAL);
    }
    let errors = page.errors();
    assert!(
        errors.iter().any(|e| e.contains("Error: boom")),
        "no exception in {errors:?}"
    );
    assert!(
        errors.iter().any(|e| e == "console.error: bad 42"),
        "no console.error in {errors:?}"
    );

    let dir = tempfile::tempdir().expect("temp dir");
    let (one, two) = (dir.path().join("one.jpg"), dir.path().join("two.jpg"));
    std::fs::write(&one, b"1").expect("write");
    std::fs::write(&two, b"22").expect("write");
    page.set_files("#f", &[&one, &two]);
    let names =
        page.eval("[...document.getElementById('f').files].map(f => f.name + ':' + f.size)");
    assert_eq!(names, json!(["one.jpg:1", "two.jpg:2"]));
}

#[test]
fn cdp_wait_for_timeout_explains_itself() {
    let Some(browser) = browser_or_skip() else {
        return;
    };
    let page = browser.new_page();
    page.goto(&data_url("<p>never ready</p>"));
    let started = Instant::now();
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        page.wait_for("window.ready", Duration::from_millis(300));
    }))
    .expect_err("wait_for must panic on timeout");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "took {:?}",
        started.elapsed()
    );
    let msg = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(
        msg.contains("wait_for timed out") && msg.contains("window.ready"),
        "message: {msg}"
    );
    assert!(
        msg.contains("screenshot: /") && msg.contains("timeout-"),
        "message: {msg}"
    );
    let shot = page.screenshot("cdp_viewport");
    let png = std::fs::read(&shot).expect("read screenshot");
    let size = (
        u32::from_be_bytes(png[16..20].try_into().unwrap()),
        u32::from_be_bytes(png[20..24].try_into().unwrap()),
    );
    assert_eq!(size, WINDOW, "viewport pinned to the window size");
}

/// A one-request-per-connection HTTP server: `/set?who=X` sets cookie
/// `who=X`, `/echo` answers `cookie: <Cookie header>`. Returns its base url.
/// The accept thread is detached; it dies with the test process.
fn serve_cookie_echo() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind test server");
    let base = format!("http://{}", listener.local_addr().expect("local addr"));
    thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            thread::spawn(move || answer_cookie_echo(stream));
        }
    });
    base
}

fn answer_cookie_echo(mut stream: TcpStream) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(10)));
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return,
        }
    }
    let head = String::from_utf8_lossy(&head);
    let path = head.split_whitespace().nth(1).unwrap_or("/");
    let cookie = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("Cookie: ")
                .or_else(|| l.strip_prefix("cookie: "))
        })
        .unwrap_or("");
    let (status, extra, body) = if let Some(who) = path.strip_prefix("/set?who=") {
        (
            "200 OK",
            format!("Set-Cookie: who={who}; Path=/\r\n"),
            "set".to_owned(),
        )
    } else if path == "/echo" {
        ("200 OK", String::new(), format!("cookie: {cookie}"))
    } else {
        ("404 Not Found", String::new(), "not found".to_owned())
    };
    let reply = format!(
        "HTTP/1.1 {status}\r\n{extra}Content-Type: text/plain; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let _ = stream.write_all(reply.as_bytes());
}
