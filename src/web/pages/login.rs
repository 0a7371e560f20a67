//! Logging in and out, changing a password, and the one-time setup of the
//! first admin. The JSON routes (`/api/login`, `/api/logout`,
//! `/api/password`) and the pages share `attempt_login`.
//!
//! Every password check runs on `auth::pool` (a few threads, a short queue:
//! 503 beyond it) after the attempt limits of `LoginGuard`, which cost no
//! hashing: per client address, per account and address (persisted in the
//! catalog), per device cookie, and per account for `/api/password`.
//!
//! Device cookies (OWASP's "device cookie" lockout scheme): a successful
//! login gives the browser a random secret bound to the username. Attempts
//! for that username presenting it are limited on their own (per cookie), not
//! by the address's or the account-and-address's failures, so an attacker
//! guessing a colleague's password from the shared office address cannot
//! lock the colleague out of the browser they used before; a browser without
//! one (new, or after its cookies were cleared) is locked as before.

use std::net::SocketAddr;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{ConnectInfo, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use maud::html;
use serde::Deserialize;

use super::{bare, layout, page};
use crate::auth::limit::{Limiter, Slot};
use crate::auth::{check_new_password, hash_pool, secret_hash, Lane, Need, Viewer};
use crate::web::access::{
    client_addr, cookie_value, device_cookie, expired_cookie, session_cookie, session_limits,
    session_secret, Routes, DEVICE_COOKIE,
};
use crate::web::error::{blocking, json_body, ApiError};
use crate::web::AppState;

/// After this many failures within `THROTTLE_WINDOW`, a username from one
/// address waits until the window has passed since the last failure; so
/// does a device cookie, and an account's `/api/password`.
const MAX_FAILURES: u32 = 5;
const THROTTLE_WINDOW: Duration = Duration::from_secs(15 * 60);
/// How long a browser stays known as one its owner logged in from.
const DEVICE_LIFETIME: Duration = Duration::from_secs(180 * 86_400);
/// Longer input than this is not a username or password anyone has; it is
/// refused before it reaches a throttle key, the catalog or a hash.
const MAX_USERNAME_BYTES: usize = 256;
const MAX_PASSWORD_BYTES: usize = 4096;
/// "login failed" / "login throttled" rows the audit log takes per
/// `AUDIT_WINDOW`; the rest are written as one "×N" row per action.
const AUDIT_ROWS_PER_WINDOW: u32 = 60;
const AUDIT_WINDOW: Duration = Duration::from_secs(60);
/// What a busy pool tells the client to wait, in seconds.
const BUSY_RETRY_S: u64 = 2;
const BUSY_MESSAGE: &str = "Server sedang sibuk memeriksa kata sandi; coba lagi sebentar.";

pub fn routes(r: Routes) -> Routes {
    r.get("/masuk", Need::Public, login_page)
        .post("/masuk", Need::Public, login_form)
        .post("/api/login", Need::Public, login_json)
        .post("/api/logout", Need::Login, logout)
        .get("/sandi", Need::Login, password_page)
        .post("/api/password", Need::Login, change_password)
        .get("/setup", Need::Public, setup_page)
        .post("/setup", Need::Public, setup_form)
}

/// The in-memory half of the login throttle, one per process.
struct LoginGuard {
    per_address: Limiter,
    per_device: Limiter,
    password_change: Limiter,
    audit: Mutex<AuditBudget>,
}

fn guard(state: &AppState) -> &'static LoginGuard {
    static GUARD: OnceLock<LoginGuard> = OnceLock::new();
    GUARD.get_or_init(|| LoginGuard {
        per_address: Limiter::new(
            state.config.login_attempts_per_minute,
            Duration::from_secs(60),
        ),
        per_device: Limiter::new(MAX_FAILURES, THROTTLE_WINDOW),
        password_change: Limiter::new(MAX_FAILURES, THROTTLE_WINDOW),
        audit: Mutex::new(AuditBudget::new(Instant::now())),
    })
}

/// Keeps a login flood from writing one synced audit row per attempt: per
/// window, the first `AUDIT_ROWS_PER_WINDOW` events are written one by one
/// (a repeated "throttled" for the same username and address only once),
/// the rest are counted and written as one "<action> ×N" row per action when
/// the next window starts.
struct AuditBudget {
    window_start: Instant,
    written: u32,
    seen: std::collections::HashSet<(String, String)>,
    held: std::collections::BTreeMap<(&'static str, u16), Held>,
}

#[derive(Default)]
struct Held {
    count: u64,
    usernames: std::collections::BTreeSet<String>,
}

/// One audit row to write: action, target, status.
type AuditRow = (String, String, u16);

impl AuditBudget {
    fn new(now: Instant) -> AuditBudget {
        AuditBudget {
            window_start: now,
            written: 0,
            seen: Default::default(),
            held: Default::default(),
        }
    }

    fn note(
        &mut self,
        now: Instant,
        action: &'static str,
        username: &str,
        addr: &str,
        status: u16,
        once_per_key: bool,
    ) -> Vec<AuditRow> {
        const MAX_SEEN: usize = 10_000;
        const NAMES_SHOWN: usize = 5;
        let mut rows = Vec::new();
        if now.duration_since(self.window_start) >= AUDIT_WINDOW {
            for ((action, status), held) in std::mem::take(&mut self.held) {
                let mut names: Vec<String> = held.usernames.into_iter().collect();
                if held.count as usize > names.len() {
                    names.push("…".into());
                }
                rows.push((
                    format!("{action} ×{}", held.count),
                    names.join(", "),
                    status,
                ));
            }
            *self = AuditBudget::new(now);
        }
        let first = !once_per_key
            || (self.seen.len() < MAX_SEEN
                && self.seen.insert((username.to_owned(), addr.to_owned())));
        if first && self.written < AUDIT_ROWS_PER_WINDOW {
            self.written += 1;
            rows.push((action.to_owned(), username.to_owned(), status));
        } else {
            let held = self.held.entry((action, status)).or_default();
            held.count += 1;
            if held.usernames.len() < NAMES_SHOWN {
                held.usernames.insert(username.to_owned());
            }
        }
        rows
    }
}

/// Writes what the audit budget lets through.
async fn audit_login(
    state: &AppState,
    action: &'static str,
    username: &str,
    addr: &str,
    status: u16,
    once_per_key: bool,
) {
    let rows = guard(state)
        .audit
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .note(Instant::now(), action, username, addr, status, once_per_key);
    if rows.is_empty() {
        return;
    }
    let catalog = state.catalog.clone();
    let written = blocking(move || {
        for (action, target, status) in rows {
            catalog.audit(None, &action, &target, status)?;
        }
        Ok(())
    })
    .await;
    if written.is_err() {
        tracing::error!("could not write the audit log ({action})");
    }
}

#[derive(Deserialize)]
pub struct Credentials {
    username: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
}

/// Why a login did not happen.
enum Refused {
    Wrong,
    Throttled(u64),
    Busy,
    Failed(ApiError),
}

impl From<ApiError> for Refused {
    fn from(e: ApiError) -> Refused {
        Refused::Failed(e)
    }
}

/// What a login attempt brings besides the credentials.
struct From_ {
    addr: String,
    old_session: Option<String>,
    device: Option<String>,
}

/// A login that happened: who, the session secret, and a device secret when
/// the browser had no valid one for this username.
struct LoggedIn {
    viewer: Viewer,
    session: String,
    device: Option<String>,
}

/// Checks the limits and the password; on success starts a new session
/// (a fresh id at every login: no session fixation).
async fn attempt_login(
    state: &AppState,
    from: From_,
    username: String,
    password: String,
) -> Result<LoggedIn, Refused> {
    let g = guard(state);
    let username = username.trim().to_lowercase();
    if username.len() > MAX_USERNAME_BYTES || password.len() > MAX_PASSWORD_BYTES {
        return Err(Refused::Wrong);
    }
    let now = jiff::Timestamp::now().as_millisecond();
    let window = THROTTLE_WINDOW.as_millis() as i64;
    let device_since = now - DEVICE_LIFETIME.as_millis() as i64;
    let catalog = state.catalog.clone();

    // A valid device cookie for this username: counted per cookie, not
    // per address (nor locked by the address's failures).
    let trusted_device = match from.device.clone() {
        Some(secret) => {
            let (catalog, username) = (catalog.clone(), username.clone());
            let known =
                blocking(move || Ok(catalog.is_device_of(&secret, &username, device_since)?))
                    .await?;
            known.then(|| from.device.as_deref().map(secret_hash))
        }
        None => None,
    }
    .flatten();
    let (limiter, key) = match &trusted_device {
        Some(device) => (&g.per_device, device.clone()),
        None => (&g.per_address, from.addr.clone()),
    };
    let slot = match limiter.take(&key) {
        Ok(slot) => slot,
        Err(wait) => {
            audit_login(state, "login throttled", &username, &from.addr, 429, true).await;
            return Err(Refused::Throttled(wait.as_secs().max(1)));
        }
    };
    let give_back = |slot: Slot| limiter.give_back(&key, slot);

    let candidate = {
        let (catalog, username, addr) = (catalog.clone(), username.clone(), from.addr.clone());
        let untrusted = trusted_device.is_none();
        blocking(move || {
            if untrusted {
                let (failures, latest) = catalog.login_failures(&username, &addr, now - window)?;
                if failures >= MAX_FAILURES {
                    let wait_ms = latest.unwrap_or(now) + window - now;
                    return Ok(Err((wait_ms / 1000).max(1) as u64));
                }
            }
            Ok(Ok(catalog.login_candidate(&username)?))
        })
        .await
    };
    let candidate = match candidate {
        Ok(Ok(candidate)) => candidate,
        Ok(Err(wait_s)) => {
            // Nothing was hashed: the address's slot is not spent.
            give_back(slot);
            audit_login(state, "login throttled", &username, &from.addr, 429, true).await;
            return Err(Refused::Throttled(wait_s));
        }
        Err(e) => {
            give_back(slot);
            return Err(e.into());
        }
    };
    let hash = candidate.as_ref().and_then(|(_, h)| h.clone());
    let pool = hash_pool().map_err(ApiError::from)?;
    // Browsers their owner logged in from before go first: a flood of
    // anonymous attempts fills only the open queue.
    let lane = match trusted_device {
        Some(_) => Lane::Known,
        None => Lane::Open,
    };
    let matches = match pool.try_verify(lane, hash, password).await {
        Ok(matches) => matches,
        Err(_busy) => {
            give_back(slot);
            return Err(Refused::Busy);
        }
    };
    let Some((viewer, _)) = candidate.filter(|_| matches) else {
        // The slot stays taken: this failure counts.
        if trusted_device.is_none() {
            let (catalog, username, addr) = (catalog.clone(), username.clone(), from.addr.clone());
            blocking(move || Ok(catalog.record_login_failure(&username, &addr, now - window)?))
                .await?;
        }
        audit_login(state, "login failed", &username, &from.addr, 401, false).await;
        return Err(Refused::Wrong);
    };
    give_back(slot);
    let limits = session_limits(state);
    let addr = from.addr;
    let old_session = from.old_session;
    let new_device = trusted_device.is_none();
    let (viewer, session, device) = blocking(move || {
        // A login through a device cookie leaves the address's failures
        // standing: whoever made them is still limited there.
        if new_device {
            catalog.clear_login_failures(&viewer.username, &addr)?;
        }
        if let Some(old) = old_session {
            catalog.end_session(&old)?;
        }
        let session = catalog.start_session(&viewer.username, limits)?;
        let device = if new_device {
            Some(catalog.remember_device(&viewer.username, device_since)?)
        } else {
            None
        };
        catalog.audit(Some(&viewer.username), "login", &viewer.username, 200)?;
        Ok((viewer, session, device))
    })
    .await?;
    Ok(LoggedIn {
        viewer,
        session,
        device,
    })
}
fn from_of(state: &AppState, parts: &Parts) -> From_ {
    From_ {
        addr: client_addr(
            &parts.headers,
            parts.extensions.get::<ConnectInfo<SocketAddr>>(),
            &state.config.trusted_proxies,
        ),
        old_session: session_secret(&parts.headers),
        device: cookie_value(&parts.headers, DEVICE_COOKIE),
    }
}

/// The session cookie, and the device cookie when one was made.
fn login_cookies(
    logged_in: &LoggedIn,
    headers: &HeaderMap,
) -> AppendHeaders<Vec<(header::HeaderName, axum::http::HeaderValue)>> {
    let mut cookies = vec![(
        header::SET_COOKIE,
        session_cookie(&logged_in.session, headers),
    )];
    if let Some(device) = &logged_in.device {
        cookies.push((
            header::SET_COOKIE,
            device_cookie(device, DEVICE_LIFETIME.as_secs(), headers),
        ));
    }
    AppendHeaders(cookies)
}

async fn login_json(
    State(state): State<AppState>,
    parts: Parts,
    body: axum::body::Bytes,
) -> Response {
    let credentials: Credentials = match json_body(&body) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let from = from_of(&state, &parts);
    match attempt_login(&state, from, credentials.username, credentials.password).await {
        Ok(logged_in) => (
            login_cookies(&logged_in, &parts.headers),
            Json(logged_in.viewer),
        )
            .into_response(),
        Err(refused) => refused_json(refused),
    }
}

fn refused_json(refused: Refused) -> Response {
    match refused {
        Refused::Wrong => (
            StatusCode::UNAUTHORIZED,
            Json(serde_json::json!({"error": "username or password is wrong"})),
        )
            .into_response(),
        Refused::Throttled(secs) => ApiError::TooMany(
            format!(
                "password: terlalu banyak percobaan; coba lagi dalam {}",
                wait_words(secs)
            ),
            secs,
        )
        .into_response(),
        Refused::Busy => {
            ApiError::Busy(format!("password: {BUSY_MESSAGE}"), BUSY_RETRY_S).into_response()
        }
        Refused::Failed(e) => e.into_response(),
    }
}

/// "15 menit", "40 detik".
fn wait_words(secs: u64) -> String {
    if secs >= 60 {
        format!("{} menit", secs.div_ceil(60))
    } else {
        format!("{} detik", secs.max(1))
    }
}

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

/// Only a path on this site: the login page must not bounce people to
/// other hosts. Browsers drop tabs and newlines inside URLs and read `\` as
/// `/`, so `/\t/evil.example` or `/\evil.example` mean `//evil.example`:
/// anything with a control character, whitespace or backslash, or a second
/// character `/`, is replaced by `/`. Checked before the session is made,
/// so the `Location` header can always be written.
fn local_next(next: Option<&str>) -> &str {
    match next {
        Some(n)
            if n.starts_with('/')
                && !n[1..].starts_with('/')
                && !n
                    .chars()
                    .any(|c| c.is_control() || c.is_whitespace() || c == '\\') =>
        {
            n
        }
        _ => "/",
    }
}

async fn login_page(Query(q): Query<Next>) -> Response {
    page(login_markup(local_next(q.next.as_deref()), None))
}

fn login_markup(next: &str, error: Option<&str>) -> maud::Markup {
    bare(
        "Masuk",
        html! {
            h1 { "liputan" }
            p.muted { "Arsip liputan Dinas Kominfo Kalimantan Utara" }
            form.card method="post" action="/masuk" {
                @if let Some(error) = error { p.error role="alert" { (error) } }
                input type="hidden" name="next" value=(next);
                label { "Nama pengguna" input name="username" autocomplete="username" autocapitalize="none" required autofocus; }
                label { "Kata sandi" input name="password" type="password" autocomplete="current-password" required; }
                button type="submit" { "Masuk" }
            }
        },
    )
}

async fn login_form(
    State(state): State<AppState>,
    parts: Parts,
    Form(credentials): Form<Credentials>,
) -> Response {
    let next = local_next(credentials.next.as_deref()).to_owned();
    let from = from_of(&state, &parts);
    let again =
        |status: StatusCode, message: &str| (status, page(login_markup(&next, Some(message))));
    match attempt_login(&state, from, credentials.username, credentials.password).await {
        Ok(logged_in) => (
            login_cookies(&logged_in, &parts.headers),
            Redirect::to(&next),
        )
            .into_response(),
        Err(Refused::Wrong) => again(
            StatusCode::UNAUTHORIZED,
            "Nama pengguna atau kata sandi salah.",
        )
        .into_response(),
        Err(Refused::Throttled(secs)) => (
            [(header::RETRY_AFTER, secs.to_string())],
            again(
                StatusCode::TOO_MANY_REQUESTS,
                &format!(
                    "Terlalu banyak percobaan gagal. Coba lagi dalam {}.",
                    wait_words(secs)
                ),
            ),
        )
            .into_response(),
        Err(Refused::Busy) => (
            [(header::RETRY_AFTER, BUSY_RETRY_S.to_string())],
            again(StatusCode::SERVICE_UNAVAILABLE, BUSY_MESSAGE),
        )
            .into_response(),
        Err(Refused::Failed(e)) => e.into_response(),
    }
}

/// Ends the session on the server (the cookie alone would not be enough);
/// called with a bearer token, revokes that token.
async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let token = crate::web::access::bearer(&headers);
    let secret = session_secret(&headers);
    let catalog = state.catalog.clone();
    let ended = blocking(move || {
        if let Some(token) = token {
            catalog.revoke_token_secret(&token, "logout")?;
        } else if let Some(secret) = secret {
            catalog.end_session(&secret)?;
        }
        Ok(())
    })
    .await;
    if let Err(e) = ended {
        return e.into_response();
    }
    let wants_page = headers
        .get(header::ACCEPT)
        .and_then(|a| a.to_str().ok())
        .is_some_and(|a| a.contains("text/html"));
    let cookie = [(header::SET_COOKIE, expired_cookie())];
    if wants_page {
        (cookie, Redirect::to("/masuk")).into_response()
    } else {
        (cookie, Json(serde_json::json!({"ok": true}))).into_response()
    }
}

async fn password_page(Extension(viewer): Extension<Viewer>) -> Response {
    page(layout(
        &viewer,
        "Ganti kata sandi",
        "/sandi",
        html! {
            h1 { "Ganti kata sandi" }
            form.card data-api="/api/password" data-then="/" {
                label { "Kata sandi sekarang" input name="current" type="password" autocomplete="current-password" required; }
                label { "Kata sandi baru (minimal 8 karakter)" input name="new" type="password" autocomplete="new-password" minlength="8" required; }
                p.form-error role="alert" {}
                button type="submit" { "Simpan" }
            }
        },
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PasswordChange {
    current: String,
    new: String,
}

/// Changes the viewer's password and ends their other sessions. Wrong
/// `current` passwords are limited per account like logins (a stolen
/// session must not become an offline-speed guessing oracle).
async fn change_password(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let change: PasswordChange = json_body(&body)?;
    check_new_password(&change.new).map_err(rename_new)?;
    if change.current.len() > MAX_PASSWORD_BYTES {
        return Err(ApiError::BadRequest(
            "current: the password is wrong".into(),
        ));
    }
    let limiter = &guard(&state).password_change;
    let key = viewer.username.clone();
    let slot = limiter.take(&key).map_err(|wait| {
        let secs = wait.as_secs().max(1);
        ApiError::TooMany(
            format!(
                "current: terlalu banyak percobaan; coba lagi dalam {}",
                wait_words(secs)
            ),
            secs,
        )
    })?;
    let busy = || ApiError::Busy(format!("current: {BUSY_MESSAGE}"), BUSY_RETRY_S);
    let catalog = state.catalog.clone();
    let username = viewer.username.clone();
    let stored = match blocking(move || Ok(catalog.login_candidate(&username)?)).await {
        Ok(found) => found.and_then(|(_, hash)| hash),
        Err(e) => {
            limiter.give_back(&key, slot);
            return Err(e);
        }
    };
    let pool = hash_pool()?;
    let Ok(right) = pool.try_verify(Lane::Known, stored, change.current).await else {
        limiter.give_back(&key, slot);
        return Err(busy());
    };
    if !right {
        // The slot stays taken: this wrong guess counts.
        return Err(ApiError::BadRequest(
            "current: the password is wrong".into(),
        ));
    }
    limiter.give_back(&key, slot);
    let hash = pool
        .try_hash(Lane::Known, change.new)
        .await
        .map_err(|_| busy())?
        .map_err(rename_new)?;
    let catalog = state.catalog.clone();
    let keep = session_secret(&headers);
    blocking(move || {
        catalog.set_password(&viewer.username, &hash)?;
        catalog.end_other_sessions(&viewer.username, keep.as_deref())?;
        Ok(Json(serde_json::json!({"ok": true})))
    })
    .await
}

fn rename_new(e: crate::Error) -> ApiError {
    ApiError::BadRequest(e.to_string().replacen("password:", "new:", 1))
}

#[derive(Deserialize)]
struct SetupQuery {
    token: Option<String>,
}

/// The link works once, and only while no admin exists (one may have been
/// made with `liputan user add --admin` after the link was printed).
async fn setup_token_ok(state: &AppState, token: Option<&str>) -> bool {
    let matches = {
        let expected = state.setup.lock().unwrap_or_else(|e| e.into_inner());
        match (expected.as_deref(), token) {
            // Compared as hashes: no early exit on the first differing byte.
            (Some(e), Some(t)) => crate::auth::secret_hash(e) == crate::auth::secret_hash(t),
            _ => false,
        }
    };
    if !matches {
        return false;
    }
    let catalog = state.catalog.clone();
    let no_admin = blocking(move || Ok(!catalog.has_admin()?)).await;
    if !matches!(no_admin, Ok(true)) {
        *state.setup.lock().unwrap_or_else(|e| e.into_inner()) = None;
        return false;
    }
    true
}

async fn setup_page(State(state): State<AppState>, Query(q): Query<SetupQuery>) -> Response {
    if !setup_token_ok(&state, q.token.as_deref()).await {
        return super::refusal(
            StatusCode::NOT_FOUND,
            "Tautan penyiapan tidak berlaku (admin pertama sudah dibuat, atau tautannya salah).",
        );
    }
    page(setup_markup(q.token.as_deref().unwrap_or(""), None))
}

fn setup_markup(token: &str, error: Option<&str>) -> maud::Markup {
    bare(
        "Penyiapan",
        html! {
            h1 { "Buat akun admin pertama" }
            p.muted { "Tautan ini hanya berlaku sekali. Akun ini dapat membuat akun lain di halaman Pengguna." }
            form.card method="post" action="/setup" {
                @if let Some(error) = error { p.error role="alert" { (error) } }
                input type="hidden" name="token" value=(token);
                label { "Nama pengguna (huruf kecil)" input name="username" autocapitalize="none" required; }
                label { "Nama lengkap" input name="name" required; }
                label { "Peran"
                    select name="role" {
                        @for role in crate::schedule::Role::ALL {
                            option value=(crate::schedule::name_of(&role)) selected[role == crate::schedule::Role::Kasi] { (role.label()) }
                        }
                    }
                }
                label { "Kata sandi (minimal 8 karakter)" input name="password" type="password" autocomplete="new-password" minlength="8" required; }
                button type="submit" { "Buat akun" }
            }
        },
    )
}

#[derive(Deserialize)]
struct SetupForm {
    token: String,
    username: String,
    name: String,
    role: String,
    password: String,
}

/// Takes the setup secret out if `token` is it: a concurrent use of the
/// same link then finds none. Compared as hashes: no early exit on the first
/// differing byte.
fn take_setup_secret(state: &AppState, token: &str) -> Option<String> {
    let mut slot = state.setup.lock().unwrap_or_else(|e| e.into_inner());
    let matches = slot
        .as_deref()
        .is_some_and(|e| crate::auth::secret_hash(e) == crate::auth::secret_hash(token));
    if matches {
        slot.take()
    } else {
        None
    }
}

async fn setup_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SetupForm>,
) -> Response {
    let spent = || super::refusal(StatusCode::NOT_FOUND, "Tautan penyiapan tidak berlaku.");
    let Some(secret) = take_setup_secret(&state, &form.token) else {
        return spent();
    };
    // Put back only when this use did not make the admin for a reason the
    // person can fix (a form error, a busy server, a failed write).
    let restore = || *state.setup.lock().unwrap_or_else(|e| e.into_inner()) = Some(secret.clone());
    let token = form.token.clone();
    let unfit = |m: &str| {
        (
            StatusCode::UNPROCESSABLE_ENTITY,
            page(setup_markup(&token, Some(m))),
        )
            .into_response()
    };
    let person = match crate::schedule::new_person(
        &form.username,
        &form.name,
        &form.role,
        &[],
        None,
        true,
    ) {
        Ok(person) => person,
        Err(e) => {
            restore();
            return unfit(&e.to_string());
        }
    };
    if let Err(e) = check_new_password(&form.password) {
        restore();
        return unfit(&e.to_string());
    }
    let hashed = match hash_pool() {
        Ok(pool) => pool.try_hash(Lane::Known, form.password).await,
        Err(e) => Ok(Err(e)),
    };
    let hash = match hashed {
        Ok(Ok(hash)) => hash,
        Ok(Err(e)) => {
            restore();
            return ApiError::from(e).into_response();
        }
        Err(_busy) => {
            restore();
            return (
                StatusCode::SERVICE_UNAVAILABLE,
                [(header::RETRY_AFTER, BUSY_RETRY_S.to_string())],
                page(setup_markup(&token, Some(BUSY_MESSAGE))),
            )
                .into_response();
        }
    };
    let catalog = state.catalog.clone();
    let limits = session_limits(&state);
    let created = blocking(move || {
        catalog.add_first_admin(&person, &hash)?;
        Ok(catalog.start_session(&person.username, limits)?)
    })
    .await;
    match created {
        Ok(secret) => {
            tracing::info!("the first admin account was created; the setup link is spent");
            (
                [(header::SET_COOKIE, session_cookie(&secret, &headers))],
                Redirect::to("/pengguna"),
            )
                .into_response()
        }
        // An admin exists (made by a concurrent use, or the command line):
        // the link stays spent.
        Err(ApiError::Conflict(_)) => spent(),
        Err(ApiError::BadRequest(m)) => {
            restore();
            unfit(&m)
        }
        Err(e) => {
            restore();
            e.into_response()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_is_kept_only_as_a_path_on_this_site() {
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\\evil.example",
            "/\\/evil.example",
            "/ok\r\nSet-Cookie: x=y",
            "/\n/evil.example",
            "/ /evil.example",
            "/\u{a0}/evil.example",
            "https://evil.example/",
            "evil.example",
            "",
        ] {
            assert_eq!(local_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(local_next(None), "/");
        for good in [
            "/",
            "/jadwal?tanggal=2026-01-02",
            "/aset/abc#foto",
            "/cari?q=a%20b",
        ] {
            assert_eq!(local_next(Some(good)), good);
        }
    }

    #[test]
    fn a_flood_writes_a_bounded_number_of_audit_rows() {
        let t0 = Instant::now();
        let mut budget = AuditBudget::new(t0);
        let mut rows = 0;
        // The same throttled key: one row.
        for _ in 0..200 {
            rows += budget
                .note(t0, "login throttled", "sari", "10.0.0.1", 429, true)
                .len();
        }
        assert_eq!(rows, 1);
        // Random usernames: at most the window's budget, one by one.
        for n in 0..10_000 {
            rows += budget
                .note(t0, "login failed", &format!("u{n}"), "10.0.0.2", 401, false)
                .len();
        }
        assert_eq!(rows, AUDIT_ROWS_PER_WINDOW as usize);
        // The next window starts with one row per action for the rest.
        let later = budget.note(t0 + AUDIT_WINDOW, "login failed", "x", "a", 401, false);
        let summaries: Vec<_> = later.iter().map(|r| r.0.as_str()).collect();
        assert_eq!(
            summaries,
            ["login failed ×9941", "login throttled ×199", "login failed"]
        );
    }
}
