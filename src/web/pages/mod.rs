//! The panel: server-rendered pages in Bahasa Indonesia (maud escapes every
//! interpolated value; `PreEscaped` is not used with anything a person or a
//! file wrote). Forms post to the same JSON API the contract names, through
//! `static/app.js`, so one set of handlers and one permission table serve both.

pub mod agenda;
pub mod archive;
pub mod assignment;
pub mod cameras;
pub mod collages;
pub mod crew;
pub mod home;
pub mod letters;
pub mod login;
pub mod reports;
pub mod roster;
pub mod triage;
pub mod upload;
pub mod users;

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{html, Markup, DOCTYPE};

use super::access::Routes;
use crate::auth::{Need, Viewer};

/// The panel's pages in menu order: path, label, who sees the link.
const MENU: &[(&str, &str, Need)] = &[
    ("/", "Beranda", Need::Login),
    ("/jadwal", "Jadwal Tim", Need::Login),
    ("/agenda", "Agenda Pimpinan", Need::Login),
    ("/penugasan", "Penugasan", Need::Login),
    ("/laporan-harian", "Jadwal Harian", Need::Login),
    ("/laporan", "Laporan", Need::Login),
    ("/triage", "Triage", Need::Schedule),
    ("/arsip", "Arsip", Need::Login),
    ("/kolase", "Kolase", Need::Publish),
    ("/unggah", "Unggah", Need::Crew(crate::auth::Target::Own)),
    ("/kamera", "Kamera", Need::Login),
    ("/pengguna", "Pengguna", Need::Admin),
    ("/audit", "Log Audit", Need::Audit),
];

/// A whole page: header with the menu for this viewer, then `body`.
pub fn layout(viewer: &Viewer, title: &str, active: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="id" {
            (head(title))
            body {
                header.top {
                    a.brand href="/" { "liputan" }
                    nav.menu {
                        @for (path, label, need) in MENU {
                            @if need.allows(viewer) {
                                a href=(path) class=[(*path == active).then_some("active")] { (label) }
                            }
                        }
                    }
                    div.who {
                        a href="/sandi" title="Ganti kata sandi" { (viewer.name) " · " (viewer.role.label()) }
                        form method="post" action="/api/logout" data-api="/api/logout" data-then="/masuk" {
                            button.link type="submit" { "Keluar" }
                        }
                    }
                }
                main { (body) }
            }
        }
    }
}

/// A page without the menu (login, setup, errors).
pub fn bare(title: &str, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang="id" {
            (head(title))
            body.bare { main.narrow { (body) } }
        }
    }
}

fn head(title: &str) -> Markup {
    html! {
        head {
            meta charset="utf-8";
            meta name="viewport" content="width=device-width, initial-scale=1";
            // No favicon request (and no 404 in every console).
            link rel="icon" href="data:,";
            title { (title) " · liputan" }
            link rel="stylesheet" href="/static/app.css";
            script src="/static/app.js" defer {}
        }
    }
}

/// An HTML page as a response.
pub fn page(markup: Markup) -> Response {
    (
        [(header::CACHE_CONTROL, "no-store")],
        axum::response::Html(markup.into_string()),
    )
        .into_response()
}

/// The page for a refused request (403 and friends).
pub fn refusal(status: StatusCode, why: &str) -> Response {
    let title = match status {
        StatusCode::FORBIDDEN => "Akses ditolak",
        StatusCode::UNAUTHORIZED => "Perlu masuk",
        StatusCode::NOT_FOUND => "Tidak ditemukan",
        _ => "Permintaan ditolak",
    };
    let body = bare(
        title,
        html! {
            h1 { (title) }
            p { (explain(why)) }
            p { a href="/" { "Kembali ke Beranda" } }
        },
    );
    (status, page(body)).into_response()
}

/// The English reasons from the access layer, as the panel says them.
fn explain(why: &str) -> &str {
    match why {
        "your role may not do this" => "Peran Anda tidak diizinkan melakukan ini.",
        "only the crew of this assignment may do this" => {
            "Hanya kru penugasan ini yang boleh melakukan ini."
        }
        "login required" => "Silakan masuk terlebih dahulu.",
        w if w.starts_with("cross-site") => "Permintaan dari situs lain ditolak.",
        w => w,
    }
}

/// Percent-encodes a query value.
pub fn url_encode(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Files under `/static/`, compiled in.
const STATIC: &[(&str, &str, &str)] = &[
    (
        "app.css",
        "text/css; charset=utf-8",
        include_str!("../static/app.css"),
    ),
    (
        "app.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/app.js"),
    ),
    (
        "clock.css",
        "text/css; charset=utf-8",
        include_str!("../static/clock.css"),
    ),
    (
        "clock.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/clock.js"),
    ),
    (
        "schedule.css",
        "text/css; charset=utf-8",
        include_str!("../static/schedule.css"),
    ),
    (
        "schedule.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/schedule.js"),
    ),
    (
        "assets.css",
        "text/css; charset=utf-8",
        include_str!("../static/assets.css"),
    ),
    (
        "assets.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/assets.js"),
    ),
    (
        "upload.js",
        "text/javascript; charset=utf-8",
        include_str!("../static/upload.js"),
    ),
];

async fn static_file(axum::extract::Path(name): axum::extract::Path<String>) -> Response {
    match STATIC.iter().find(|(n, _, _)| *n == name) {
        Some((_, kind, body)) => (
            [
                (header::CONTENT_TYPE, *kind),
                (header::CACHE_CONTROL, "public, max-age=300"),
            ],
            *body,
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The panel's routes.
pub fn routes(r: Routes) -> Routes {
    let r = r.get("/static/{name}", Need::Public, static_file);
    let r = login::routes(r);
    let r = home::routes(r);
    let r = roster::routes(r);
    let r = agenda::routes(r);
    let r = crew::routes(r);
    let r = cameras::routes(r);
    let r = assignment::routes(r);
    let r = letters::routes(r);
    let r = reports::routes(r);
    let r = triage::routes(r);
    let r = archive::routes(r);
    let r = collages::routes(r);
    let r = upload::routes(r);
    users::routes(r)
}
