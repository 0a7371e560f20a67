//! Every route passes here first: one table of (method, path, `Need`) built
//! with the router itself, so a route cannot exist without a permission, and
//! tests can walk the table. The guard finds who is asking (session cookie or
//! bearer token), refuses cross-site writes, checks the table row (and crew
//! membership for STAF), and writes state changes to the audit log.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, RawPathParams, Request, State};
use axum::handler::Handler;
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::{from_fn_with_state, Next};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{on, MethodFilter};
use axum::{Json, RequestExt, Router};
use serde::Serialize;

use super::AppState;
use crate::auth::{Need, Target, Viewer};
use crate::catalog::SessionLimits;

/// The session cookie. `HttpOnly`, `SameSite=Lax`, and `Secure` when the
/// request came through a TLS proxy.
pub const SESSION_COOKIE: &str = "liputan_session";

/// One row of the route table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RouteRule {
    pub method: String,
    pub path: &'static str,
    pub need: Need,
}

/// Builds the router and its permission table together.
pub struct Routes {
    state: AppState,
    router: Router<AppState>,
    rules: Vec<RouteRule>,
}

#[derive(Clone)]
struct Guard {
    state: AppState,
    need: Need,
    action: String,
}

impl Routes {
    pub fn new(state: AppState) -> Routes {
        Routes {
            state,
            router: Router::new(),
            rules: Vec::new(),
        }
    }

    /// Adds `handler` for `method` on `path`, allowed to those `need` admits.
    pub fn add<H, T>(mut self, method: Method, path: &'static str, need: Need, handler: H) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = MethodFilter::try_from(method.clone()).unwrap_or(MethodFilter::GET);
        let guard = Guard {
            state: self.state.clone(),
            need,
            action: format!("{method} {path}"),
        };
        let endpoint = on(filter, handler).route_layer(from_fn_with_state(guard, check));
        self.router = self.router.route(path, endpoint);
        self.rules.push(RouteRule {
            method: method.to_string(),
            path,
            need,
        });
        self
    }

    pub fn get<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        need: Need,
        h: H,
    ) -> Self {
        self.add(Method::GET, path, need, h)
    }

    pub fn post<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        need: Need,
        h: H,
    ) -> Self {
        self.add(Method::POST, path, need, h)
    }

    pub fn put<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        need: Need,
        h: H,
    ) -> Self {
        self.add(Method::PUT, path, need, h)
    }

    pub fn patch<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        need: Need,
        h: H,
    ) -> Self {
        self.add(Method::PATCH, path, need, h)
    }

    pub fn delete<H: Handler<T, AppState>, T: 'static>(
        self,
        path: &'static str,
        need: Need,
        h: H,
    ) -> Self {
        self.add(Method::DELETE, path, need, h)
    }

    pub fn finish(self) -> (Router<AppState>, Vec<RouteRule>) {
        (self.router, self.rules)
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Requests to `/api/` get JSON errors; pages get pages and redirects.
fn is_api(path: &str) -> bool {
    path.starts_with("/api/")
}

async fn check(State(guard): State<Guard>, mut request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_owned();
    if !is_safe(&method) {
        if let Err(why) = same_origin(request.headers()) {
            tracing::warn!(%method, %path, "refused a cross-site request: {why}");
            return refuse(&path, StatusCode::FORBIDDEN, why);
        }
    }
    let viewer = match viewer_of(&guard.state, request.headers()).await {
        Ok(viewer) => viewer,
        Err(response) => return response,
    };
    if guard.need != Need::Public {
        let Some(viewer) = &viewer else {
            return unauthenticated(&request);
        };
        if !guard.need.allows(viewer) {
            return refuse(&path, StatusCode::FORBIDDEN, "your role may not do this");
        }
        if guard.need.only_own(viewer) {
            let params = request.extract_parts::<RawPathParams>().await.ok();
            let id = params.and_then(|p| {
                p.iter()
                    .find(|(name, _)| *name == "id")
                    .map(|(_, v)| v.to_owned())
            });
            match is_own(&guard.state, guard.need, id, &viewer.username).await {
                Ok(true) => {}
                Ok(false) => {
                    return refuse(
                        &path,
                        StatusCode::FORBIDDEN,
                        "only the crew of this assignment may do this",
                    )
                }
                Err(response) => return response,
            }
        }
    }
    if let Some(viewer) = viewer.clone() {
        request.extensions_mut().insert(viewer);
    }
    let response = next.run(request).await;
    if !is_safe(&method) && guard.need != Need::Public {
        audit(&guard, viewer.as_ref(), &path, response.status()).await;
    }
    response
}

/// Go 1.25's CrossOriginProtection rule: a browser says where a request comes
/// from in `Sec-Fetch-Site` (or at least `Origin`); anything but this site is
/// refused. Requests with neither header do not come from a browser (curl,
/// scripts with a bearer token) and cannot be forged by a web page. The
/// `Origin` must match scheme and host: `https` only behind the TLS proxy,
/// else `http` (an https page is another origin than the plain-http panel).
pub fn same_origin(headers: &HeaderMap) -> Result<(), &'static str> {
    if let Some(site) = headers.get("sec-fetch-site") {
        return match site.as_bytes() {
            b"same-origin" | b"none" => Ok(()),
            _ => Err("cross-site request (Sec-Fetch-Site)"),
        };
    }
    let Some(origin) = headers.get(header::ORIGIN) else {
        return Ok(());
    };
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let origin = origin.to_str().unwrap_or("");
    let scheme = if behind_tls(headers) {
        "https://"
    } else {
        "http://"
    };
    let origin_host = match origin.get(..scheme.len()) {
        Some(p) if p.eq_ignore_ascii_case(scheme) => &origin[scheme.len()..],
        _ => "",
    };
    if !host.is_empty() && origin_host.eq_ignore_ascii_case(host) {
        Ok(())
    } else {
        Err("cross-site request (Origin does not match Host)")
    }
}

/// The session secret in the request's cookie, if any.
pub fn session_secret(headers: &HeaderMap) -> Option<String> {
    cookie_value(headers, SESSION_COOKIE)
}

/// The bearer token of an `Authorization` header, if any.
pub fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ")?.trim();
    (!token.is_empty()).then(|| token.to_owned())
}

/// Who is asking: a bearer token wins over a cookie. Lookups are SQLite work.
async fn viewer_of(state: &AppState, headers: &HeaderMap) -> Result<Option<Viewer>, Response> {
    let token = bearer(headers);
    let secret = if token.is_none() {
        session_secret(headers)
    } else {
        None
    };
    if token.is_none() && secret.is_none() {
        return Ok(None);
    }
    let catalog = state.catalog.clone();
    let limits = session_limits(state);
    let found = tokio::task::spawn_blocking(move || match (token, secret) {
        (Some(token), _) => catalog.token_viewer(&token),
        (None, Some(secret)) => catalog.session_viewer(&secret, limits),
        (None, None) => Ok(None),
    })
    .await;
    match found {
        Ok(Ok(viewer)) => Ok(viewer),
        Ok(Err(e)) => Err(internal(e.to_string())),
        Err(e) => Err(internal(e.to_string())),
    }
}

pub fn session_limits(state: &AppState) -> SessionLimits {
    let ms = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
    SessionLimits {
        idle_ms: ms(state.config.session_idle),
        absolute_ms: ms(state.config.session_max),
    }
}

/// Whether the `{id}` of a crew route belongs to the viewer's assignments.
async fn is_own(
    state: &AppState,
    need: Need,
    id: Option<String>,
    username: &str,
) -> Result<bool, Response> {
    let Need::Crew(target) = need else {
        return Ok(true);
    };
    if target == Target::Own {
        return Ok(true);
    }
    let Some(id) = id else {
        return Ok(false);
    };
    let catalog = state.catalog.clone();
    let username = username.to_owned();
    let found = tokio::task::spawn_blocking(move || {
        let assignment = match target {
            Target::Assignment => id.parse::<i64>().ok(),
            Target::Asset => catalog.assignment_of_asset(&id)?,
            Target::Own => None,
        };
        match assignment {
            Some(a) => catalog.is_crew(a, &username),
            None => Ok(false),
        }
    })
    .await;
    match found {
        Ok(Ok(own)) => Ok(own),
        Ok(Err(e)) => Err(internal(e.to_string())),
        Err(e) => Err(internal(e.to_string())),
    }
}

async fn audit(guard: &Guard, viewer: Option<&Viewer>, path: &str, status: StatusCode) {
    let catalog = guard.state.catalog.clone();
    let username = viewer.map(|v| v.username.clone());
    let action = guard.action.clone();
    let target = path.to_owned();
    let written = tokio::task::spawn_blocking(move || {
        catalog.audit(username.as_deref(), &action, &target, status.as_u16())
    })
    .await;
    if !matches!(written, Ok(Ok(()))) {
        tracing::error!(action = %guard.action, %path, "could not write the audit log");
    }
}

/// 401 for the API; a redirect to the login page for pages.
fn unauthenticated(request: &Request) -> Response {
    let path = request.uri().path();
    if is_api(path) || !is_safe(request.method()) {
        return refuse(path, StatusCode::UNAUTHORIZED, "login required");
    }
    let next = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    Redirect::to(&format!("/masuk?next={}", super::pages::url_encode(next))).into_response()
}

fn refuse(path: &str, status: StatusCode, why: &str) -> Response {
    if is_api(path) {
        (status, Json(serde_json::json!({ "error": why }))).into_response()
    } else {
        super::pages::refusal(status, why)
    }
}

fn internal(message: String) -> Response {
    tracing::error!("access check failed: {message}");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        Json(serde_json::json!({"error": "internal error; see the server log"})),
    )
        .into_response()
}

/// The cookie that starts a session.
pub fn session_cookie(secret: &str, headers: &HeaderMap) -> HeaderValue {
    let secure = if behind_tls(headers) { "; Secure" } else { "" };
    let value = format!("{SESSION_COOKIE}={secret}; Path=/; HttpOnly; SameSite=Lax{secure}");
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static(""))
}

/// The device cookie (see `pages::login`): long-lived, bound to one
/// username, sent only with requests to this site.
pub const DEVICE_COOKIE: &str = "liputan_device";

/// A cookie's value by name.
pub fn cookie_value(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(n, _)| *n == name)
        .map(|(_, value)| value.to_owned())
}

/// The cookie that marks this browser as one `username` logged in from.
pub fn device_cookie(secret: &str, max_age_s: u64, headers: &HeaderMap) -> HeaderValue {
    let secure = if behind_tls(headers) { "; Secure" } else { "" };
    let value = format!(
        "{DEVICE_COOKIE}={secret}; Path=/; Max-Age={max_age_s}; HttpOnly; SameSite=Lax{secure}"
    );
    HeaderValue::from_str(&value).unwrap_or(HeaderValue::from_static(""))
}

/// The cookie that ends one.
pub fn expired_cookie() -> HeaderValue {
    HeaderValue::from_static("liputan_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0")
}

/// The office proxy terminates TLS and says so.
fn behind_tls(headers: &HeaderMap) -> bool {
    headers
        .get("x-forwarded-proto")
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"https"))
}

/// Where a request comes from, for login throttling: the peer, unless the
/// peer is one of `trusted` proxies; then the right-most `X-Forwarded-For`
/// entry that is not itself a trusted proxy (entries further left were
/// written by the client and prove nothing). Any other peer's header is
/// ignored: a client could name whatever address it likes, to escape its
/// own limit or to aim it at someone else.
pub fn client_addr(
    request_headers: &HeaderMap,
    peer: Option<&ConnectInfo<SocketAddr>>,
    trusted: &[std::net::IpAddr],
) -> String {
    let Some(peer) = peer.map(|c| canonical(c.0.ip())) else {
        return "unknown".into();
    };
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let chain: Vec<&str> = request_headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .collect();
    let mut client = peer.to_string();
    for entry in chain.iter().rev() {
        match entry.parse::<std::net::IpAddr>() {
            Ok(ip) if trusted.contains(&canonical(ip)) => client = ip.to_string(),
            Ok(ip) => return canonical(ip).to_string(),
            // Not an address: written by the client or garbled; the last
            // trusted hop stands for it.
            Err(_) => return client,
        }
    }
    client
}

/// IPv4 peers of a dual-stack socket arrive as `::ffff:a.b.c.d`.
fn canonical(ip: std::net::IpAddr) -> std::net::IpAddr {
    match ip {
        std::net::IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, std::net::IpAddr::V4),
        v4 => v4,
    }
}

/// Headers on every response: no inline script may run, nothing may frame
/// the panel, and browsers must not guess content types.
pub async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; \
             media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
             form-action 'self'; frame-ancestors 'none'",
        ),
    );
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_for_counts_only_from_trusted_proxies() {
        let peer = |ip: &str| ConnectInfo(SocketAddr::new(ip.parse().unwrap(), 40000));
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            HeaderValue::from_static("1.1.1.1, 2.2.2.2"),
        );
        let proxy: Vec<std::net::IpAddr> = vec!["127.0.0.1".parse().unwrap()];
        // Untrusted peer (even on loopback): the header is ignored.
        assert_eq!(
            client_addr(&headers, Some(&peer("127.0.0.1")), &[]),
            "127.0.0.1"
        );
        assert_eq!(
            client_addr(&headers, Some(&peer("127.0.0.2")), &proxy),
            "127.0.0.2"
        );
        // Trusted: the right-most entry the proxy appended.
        assert_eq!(
            client_addr(&headers, Some(&peer("127.0.0.1")), &proxy),
            "2.2.2.2"
        );
        // A chain of trusted proxies is skipped.
        let two: Vec<std::net::IpAddr> =
            vec!["127.0.0.1".parse().unwrap(), "2.2.2.2".parse().unwrap()];
        assert_eq!(
            client_addr(&headers, Some(&peer("127.0.0.1")), &two),
            "1.1.1.1"
        );
        // Without the header, the proxy itself; v4-mapped peers are v4.
        assert_eq!(
            client_addr(&HeaderMap::new(), Some(&peer("::ffff:127.0.0.1")), &proxy),
            "127.0.0.1"
        );
        assert_eq!(client_addr(&HeaderMap::new(), None, &proxy), "unknown");
    }
}
