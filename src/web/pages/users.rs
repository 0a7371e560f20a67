//! Pengguna (admins only): the accounts, adding one (`POST /api/people`),
//! and per account its role, admin flag, disabled state and a new password
//! (`PATCH /api/people/{username}`, in `web::people`). And Log Audit
//! (KADIS, KABID): every change made through the panel or the API, newest
//! first, paged by id.

use axum::extract::{Query, State};
use axum::response::Response;
use axum::Extension;
use maud::{html, Markup};
use serde::Deserialize;

use super::{layout, page, refusal, url_encode};
use crate::auth::{Need, Viewer, MIN_PASSWORD_CHARS};
use crate::catalog::AuditEntry;
use crate::dates::{date_in, long_date, time_with_zone};
use crate::schedule::{name_of, Person, Role};
use crate::web::access::Routes;
use crate::web::error::{blocking, ApiError};
use crate::web::people::{audit_paging, AUDIT_PAGE};
use crate::web::AppState;

use super::crew::CREW_ROLES;

pub fn routes(r: Routes) -> Routes {
    r.get("/pengguna", Need::Admin, users_page)
        .get("/audit", Need::Audit, audit_page)
}

#[derive(Deserialize)]
struct UsersQuery {
    ubah: Option<String>,
}

async fn users_page(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<UsersQuery>,
) -> Result<Response, ApiError> {
    let catalog = state.catalog.clone();
    let accounts = blocking(move || {
        let mut out = Vec::new();
        for p in catalog.people()? {
            let disabled = catalog.is_disabled(&p.username)?.unwrap_or(false);
            out.push((p, disabled));
        }
        Ok(out)
    })
    .await?;
    let editing = q
        .ubah
        .as_deref()
        .and_then(|u| accounts.iter().find(|(p, _)| p.username == u));
    let body = html! {
        (super::agenda::assets())
        h1 { "Pengguna" }
        @if let Some((person, disabled)) = editing {
            (edit_card(person, *disabled, &viewer))
        }
        section.card {
            h2 { "Akun" }
            div.scroll {
                table {
                    thead { tr {
                        th { "Nama pengguna" } th { "Nama" } th { "Peran" } th { "Peran kru" }
                        th { "NIP" } th { "Admin" } th { "Status" } th { span.visually-hidden { "Tindakan" } }
                    } }
                    tbody {
                        @for (p, disabled) in &accounts {
                            tr.off[*disabled] {
                                td { a href=(format!("/pengguna?ubah={}#ubah", url_encode(&p.username))) title="Ubah akun" { code { (p.username) } } }
                                td { (p.name) }
                                td { (p.role.label()) }
                                td {
                                    @if p.crew_roles.is_empty() { span.muted { "—" } }
                                    @for (i, r) in p.crew_roles.iter().enumerate() { @if i > 0 { ", " } (r.label()) }
                                }
                                td.nowrap { @if let Some(nip) = &p.nip { (nip) } @else { span.muted { "—" } } }
                                td { @if p.is_admin { span.badge { "Admin" } } @else { span.muted { "—" } } }
                                td { @if *disabled { span.warn { "Nonaktif" } } @else { "Aktif" } }
                                td { a href=(format!("/pengguna?ubah={}#ubah", url_encode(&p.username))) { "Ubah" } }
                            }
                        }
                    }
                }
            }
        }
        section.card #tambah {
            h2 { "Tambah pengguna" }
            form.stack data-api="/api/people" {
                div.grid2.tight {
                    label { "Nama pengguna (huruf kecil, juga nama folder unggahan)"
                        input name="username" required autocapitalize="none"; }
                    label { "Nama lengkap" input name="name" required; }
                    (role_select(Role::Staf))
                    label { "NIP (opsional, 18 digit)" input name="nip" inputmode="numeric"; }
                }
                fieldset {
                    legend { "Peran kru" }
                    @for r in CREW_ROLES {
                        label.check { input type="checkbox" name="crew_roles" data-list="crew_roles" value=(name_of(&r)); " " (r.label()) }
                    }
                }
                label.check { input type="checkbox" name="is_admin"; " Admin (boleh mengelola pengguna)" }
                label { "Kata sandi awal (opsional, minimal " (MIN_PASSWORD_CHARS) " karakter; tanpa kata sandi akun tidak dapat masuk)"
                    input name="password" type="password" autocomplete="new-password" minlength=(MIN_PASSWORD_CHARS); }
                p.form-error role="alert" {}
                button type="submit" { "Tambah" }
            }
        }
    };
    Ok(page(layout(&viewer, "Pengguna", "/pengguna", body)))
}

fn role_select(current: Role) -> Markup {
    html! {
        label { "Peran"
            select name="role" {
                @for role in Role::ALL {
                    option value=(name_of(&role)) selected[role == current] { (role.label()) }
                }
            }
        }
    }
}

fn edit_card(person: &Person, disabled: bool, viewer: &Viewer) -> Markup {
    let api = format!("/api/people/{}", url_encode(&person.username));
    let me = person.username == viewer.username;
    html! {
        section.card #ubah {
            h2 { "Ubah akun " code { (person.username) } " · " (person.name) }
            div.grid2 {
                form.stack data-api=(api) data-method="PATCH" data-then="/pengguna" {
                    h3 { "Peran dan akses" }
                    (role_select(person.role))
                    label.check { input type="checkbox" name="is_admin" checked[person.is_admin] disabled[me]; " Admin (boleh mengelola pengguna)" }
                    label.check { input type="checkbox" name="disabled" checked[disabled] disabled[me]; " Nonaktifkan akun (tidak dapat masuk)" }
                    @if me { p.muted.small { "Anda tidak dapat mencabut status admin atau menonaktifkan akun Anda sendiri." } }
                    p.muted.small { "Perubahan mengakhiri semua sesi masuk akun ini." }
                    p.form-error role="alert" {}
                    button type="submit" { "Simpan" }
                }
                form.stack data-api=(api) data-method="PATCH" data-then="/pengguna" {
                    h3 { "Atur ulang kata sandi" }
                    label { "Kata sandi baru (minimal " (MIN_PASSWORD_CHARS) " karakter)"
                        input name="password" type="password" autocomplete="new-password" minlength=(MIN_PASSWORD_CHARS) required; }
                    p.muted.small { "Sesi masuk lain akun ini diakhiri; sampaikan kata sandi baru secara langsung." }
                    p.form-error role="alert" {}
                    button type="submit" { "Ganti kata sandi" }
                }
            }
            p { a href="/pengguna" { "Tutup" } }
        }
    }
}

#[derive(Deserialize)]
struct AuditPageQuery {
    sebelum: Option<String>,
}

async fn audit_page(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<AuditPageQuery>,
) -> Result<Response, ApiError> {
    let before = match audit_paging(q.sebelum.as_deref(), None) {
        Ok((before, _)) => before,
        Err(_) => {
            return Ok(refusal(
                axum::http::StatusCode::BAD_REQUEST,
                "Parameter sebelum harus nomor baris log (bilangan bulat positif).",
            ))
        }
    };
    let zone = state.zone;
    let catalog = state.catalog.clone();
    let entries = blocking(move || Ok(catalog.audit_log(AUDIT_PAGE, before)?)).await?;
    let older = (entries.len() == AUDIT_PAGE as usize)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    let body = html! {
        (super::agenda::assets())
        h1 { "Log Audit" }
        p.muted { "Setiap perubahan lewat panel atau API, masuk dan keluar, terbaru di atas." }
        section.card {
            @if entries.is_empty() {
                p.muted { "Tidak ada catatan." }
            } @else {
                div.scroll {
                    table {
                        thead { tr {
                            th { "No." } th { "Waktu" } th { "Pengguna" } th { "Tindakan" } th { "Sasaran" } th { "Status" }
                        } }
                        tbody {
                            @for e in &entries { (audit_row(e, zone)) }
                        }
                    }
                }
            }
            nav.pager {
                @if before.is_some() { a href="/audit" { "← Terbaru" } }
                @if let Some(id) = older { a href=(format!("/audit?sebelum={id}")) { "Lebih lama →" } }
            }
        }
    };
    Ok(page(layout(&viewer, "Log Audit", "/audit", body)))
}

fn audit_row(e: &AuditEntry, zone: jiff::tz::Offset) -> Markup {
    let at = jiff::Timestamp::from_millisecond(e.at_ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let class = match e.status {
        0..=399 => "ok",
        400..=499 => "warn",
        _ => "error",
    };
    html! {
        tr {
            td.muted { (e.id) }
            td.nowrap { (long_date(date_in(at, zone))) br; (time_with_zone(at, zone)) }
            td { @if let Some(u) = &e.username { (u) } @else { span.muted { "—" } } }
            td { code { (e.action) } }
            td.wrap { (e.target) }
            td { span class=(class) { (e.status) } }
        }
    }
}
