//! Logging in and out, changing a password, and the one-time setup of the
//! first admin. The JSON routes (`/api/login`, `/api/logout`,
//! `/api/password`) and the pages share `attempt_login`.

use std::net::SocketAddr;
use std::time::Duration;

use axum::extract::{ConnectInfo, Query, State};
use axum::http::request::Parts;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form, Json};
use maud::html;
use serde::Deserialize;

use super::{bare, layout, page};
use crate::auth::{hash_password, verify_password, Need, Viewer};
use crate::web::access::{
    client_addr, expired_cookie, session_cookie, session_limits, session_secret, Routes,
};
use crate::web::error::{blocking, json_body, ApiError};
use crate::web::AppState;

/// After this many failures within `THROTTLE_WINDOW`, a username from one
/// address waits until the window has passed since the last failure.
const MAX_FAILURES: u32 = 5;
const THROTTLE_WINDOW: Duration = Duration::from_secs(15 * 60);

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
    Failed(ApiError),
}

impl From<ApiError> for Refused {
    fn from(e: ApiError) -> Refused {
        Refused::Failed(e)
    }
}

/// Checks the throttle and the password; on success starts a new session
/// (a fresh id at every login: no session fixation) and returns its secret.
async fn attempt_login(
    state: &AppState,
    addr: String,
    old_session: Option<String>,
    username: String,
    password: String,
) -> Result<(Viewer, String), Refused> {
    let catalog = state.catalog.clone();
    let limits = session_limits(state);
    let username = username.trim().to_lowercase();
    let now = jiff::Timestamp::now().as_millisecond();
    let window = THROTTLE_WINDOW.as_millis() as i64;
    let outcome = blocking(move || {
        let (failures, latest) = catalog.login_failures(&username, &addr, now - window)?;
        if failures >= MAX_FAILURES {
            let wait_ms = latest.unwrap_or(now) + window - now;
            catalog.audit(None, "login throttled", &username, 429)?;
            return Ok(Err(Refused::Throttled((wait_ms / 1000).max(1) as u64)));
        }
        let candidate = catalog.login_candidate(&username)?;
        let hash = candidate.as_ref().and_then(|(_, h)| h.clone());
        let (Some((viewer, _)), true) = (candidate, verify_password(hash.as_deref(), &password))
        else {
            catalog.record_login_failure(&username, &addr)?;
            catalog.audit(None, "login failed", &username, 401)?;
            return Ok(Err(Refused::Wrong));
        };
        catalog.clear_login_failures(&username, &addr)?;
        if let Some(old) = old_session {
            catalog.end_session(&old)?;
        }
        let secret = catalog.start_session(&viewer.username, limits)?;
        catalog.audit(Some(&viewer.username), "login", &viewer.username, 200)?;
        Ok(Ok((viewer, secret)))
    })
    .await?;
    outcome
}

fn addr_of(parts: &Parts) -> String {
    client_addr(
        &parts.headers,
        parts.extensions.get::<ConnectInfo<SocketAddr>>(),
    )
}

async fn login_json(
    State(state): State<AppState>,
    parts: Parts,
    body: axum::body::Bytes,
) -> Response {
    let headers = &parts.headers;
    let credentials: Credentials = match json_body(&body) {
        Ok(c) => c,
        Err(e) => return e.into_response(),
    };
    let addr = addr_of(&parts);
    let old = session_secret(headers);
    match attempt_login(
        &state,
        addr,
        old,
        credentials.username,
        credentials.password,
    )
    .await
    {
        Ok((viewer, secret)) => (
            [(header::SET_COOKIE, session_cookie(&secret, headers))],
            Json(viewer),
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
        Refused::Throttled(secs) => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, secs.to_string())],
            Json(serde_json::json!({"error": format!("too many failed logins; try again in {secs} s")})),
        )
            .into_response(),
        Refused::Failed(e) => e.into_response(),
    }
}

#[derive(Deserialize)]
struct Next {
    next: Option<String>,
}

/// Only local paths: the login page must not bounce people to other sites.
fn local_next(next: Option<&str>) -> &str {
    match next {
        Some(n) if n.starts_with('/') && !n.starts_with("//") && !n.contains('\\') => n,
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
    let addr = addr_of(&parts);
    let old = session_secret(&parts.headers);
    match attempt_login(
        &state,
        addr,
        old,
        credentials.username,
        credentials.password,
    )
    .await
    {
        Ok((_, secret)) => (
            [(header::SET_COOKIE, session_cookie(&secret, &parts.headers))],
            Redirect::to(&next),
        )
            .into_response(),
        Err(Refused::Wrong) => (
            StatusCode::UNAUTHORIZED,
            page(login_markup(
                &next,
                Some("Nama pengguna atau kata sandi salah."),
            )),
        )
            .into_response(),
        Err(Refused::Throttled(secs)) => (
            StatusCode::TOO_MANY_REQUESTS,
            [(header::RETRY_AFTER, secs.to_string())],
            page(login_markup(
                &next,
                Some(&format!(
                    "Terlalu banyak percobaan gagal. Coba lagi dalam {} menit.",
                    secs.div_ceil(60)
                )),
            )),
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

/// Changes the viewer's password and ends their other sessions.
async fn change_password(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    headers: HeaderMap,
    body: axum::body::Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let change: PasswordChange = json_body(&body)?;
    let catalog = state.catalog.clone();
    let keep = session_secret(&headers);
    blocking(move || {
        let stored = catalog
            .login_candidate(&viewer.username)?
            .and_then(|(_, hash)| hash);
        if !verify_password(stored.as_deref(), &change.current) {
            return Err(ApiError::BadRequest(
                "current: the password is wrong".into(),
            ));
        }
        catalog.set_password(
            &viewer.username,
            &hash_password(&change.new).map_err(rename_new)?,
        )?;
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

async fn setup_form(
    State(state): State<AppState>,
    headers: HeaderMap,
    Form(form): Form<SetupForm>,
) -> Response {
    if !setup_token_ok(&state, Some(&form.token)).await {
        return super::refusal(StatusCode::NOT_FOUND, "Tautan penyiapan tidak berlaku.");
    }
    let catalog = state.catalog.clone();
    let limits = session_limits(&state);
    let token = form.token.clone();
    let created = blocking(move || {
        let person =
            crate::schedule::new_person(&form.username, &form.name, &form.role, &[], None, true)?;
        let hash = hash_password(&form.password)?;
        catalog.add_person(&person)?;
        catalog.set_password(&person.username, &hash)?;
        catalog.audit(
            Some(&person.username),
            "setup: first admin",
            &person.username,
            201,
        )?;
        Ok(catalog.start_session(&person.username, limits)?)
    })
    .await;
    match created {
        Ok(secret) => {
            *state.setup.lock().unwrap_or_else(|e| e.into_inner()) = None;
            tracing::info!("the first admin account was created; the setup link is spent");
            (
                [(header::SET_COOKIE, session_cookie(&secret, &headers))],
                Redirect::to("/pengguna"),
            )
                .into_response()
        }
        Err(ApiError::BadRequest(m)) | Err(ApiError::Conflict(m)) => (
            StatusCode::UNPROCESSABLE_ENTITY,
            page(setup_markup(&token, Some(&m))),
        )
            .into_response(),
        Err(e) => e.into_response(),
    }
}
