//! Kamera: the camera registry matching relies on (body serial → owner, and
//! how far its clock is off). KASI, KABID and KADIS register cameras
//! (`POST /api/cameras`), change owners and correct clock offsets
//! (`PATCH /api/cameras/{serial}`, which re-matches the camera's files).

use std::collections::HashMap;

use axum::extract::{Query, State};
use axum::response::Response;
use axum::Extension;
use maud::{html, Markup};
use serde::Deserialize;

use super::agenda::{name_of_user, names};
use super::{layout, page, url_encode};
use crate::auth::{Need, Viewer};
use crate::schedule::{Camera, Person};
use crate::web::access::Routes;
use crate::web::error::{blocking, ApiError};
use crate::web::AppState;

pub fn routes(r: Routes) -> Routes {
    r.get("/kamera", Need::Login, cameras_page)
}

#[derive(Deserialize)]
struct CameraQuery {
    ubah: Option<String>,
}

/// A clock offset in words: "+2 menit 5 detik", "-1 jam 30 menit", "0 detik".
/// Positive: the camera's clock is ahead of true time.
pub fn offset_words(seconds: i64) -> String {
    if seconds == 0 {
        return "0 detik".into();
    }
    let sign = if seconds < 0 { '-' } else { '+' };
    let s = seconds.unsigned_abs();
    let parts: Vec<String> = [
        (s / 3600, "jam"),
        (s % 3600 / 60, "menit"),
        (s % 60, "detik"),
    ]
    .iter()
    .filter(|(n, _)| *n > 0)
    .map(|(n, unit)| format!("{n} {unit}"))
    .collect();
    format!("{sign}{}", parts.join(" "))
}

/// What an offset means for the photographer.
pub fn offset_meaning(seconds: i64) -> &'static str {
    match seconds.signum() {
        0 => "jam kamera tepat",
        1 => "jam kamera lebih cepat",
        _ => "jam kamera lebih lambat",
    }
}

/// How the offset was learned, as the page says it.
pub fn source_label(source: Option<&str>) -> &str {
    match source {
        None => "—",
        Some("manual") => "diisi manual",
        Some("proposal") => "usulan sistem",
        Some("clock_shot") => "foto jam (/clock)",
        Some(other) => other,
    }
}

/// A serial as one path segment of the API (`/` too is encoded).
fn serial_path(serial: &str) -> String {
    url_encode(serial).replace('/', "%2F")
}

async fn cameras_page(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<CameraQuery>,
) -> Result<Response, ApiError> {
    let catalog = state.catalog.clone();
    let (cameras, mut people) =
        blocking(move || Ok((catalog.cameras()?, catalog.people()?))).await?;
    people.sort_by_key(|p| p.name.to_lowercase());
    let names = names(&people);
    let may_edit = Need::Schedule.allows(&viewer);
    let editing = q
        .ubah
        .as_deref()
        .filter(|_| may_edit)
        .and_then(|s| cameras.iter().find(|c| c.serial == s));
    let body = html! {
        (super::agenda::assets())
        h1 { "Kamera" }
        p.muted { "Nomor seri bodi kamera menunjukkan pemiliknya; selisih jam kamera dipakai untuk mengoreksi waktu pemotretan sebelum dicocokkan dengan agenda." }
        @if let Some(camera) = editing {
            (edit_card(camera, &people, &names))
        }
        section.card {
            h2 { "Daftar kamera" }
            (table(&cameras, &names, may_edit))
        }
        div.grid2 {
            @if may_edit {
                section.card #daftar {
                    h2 { "Daftarkan kamera" }
                    form.stack data-api="/api/cameras" {
                        label { "Nomor seri bodi" input name="serial" required autocapitalize="characters"; }
                        div.grid2.tight {
                            label { "Merek (opsional)" input name="make" placeholder="Canon"; }
                            label { "Model (opsional)" input name="model" placeholder="EOS R6"; }
                        }
                        (owner_select(&people, None))
                        (offset_input(None))
                        p.form-error role="alert" {}
                        button type="submit" { "Daftarkan" }
                    }
                }
            }
            section.card {
                h2 { "Mengukur selisih jam (foto jam)" }
                p { "Buka " a href="/clock" { "halaman jam" } " (" code { "/clock" } ") di ponsel atau layar kantor, lalu potret layarnya dengan setiap kamera pada awal hari liputan." }
                p { "Sistem membaca kode QR pada foto itu, membandingkannya dengan waktu pemotretan kamera, dan mencatat selisihnya (sumber: foto jam). Berkas kamera itu lalu dicocokkan ulang." }
                p.muted { "Selisih positif berarti jam kamera lebih cepat dari waktu sebenarnya." }
            }
        }
    };
    Ok(page(layout(&viewer, "Kamera", "/kamera", body)))
}

fn table(cameras: &[Camera], names: &HashMap<String, String>, may_edit: bool) -> Markup {
    html! {
        @if cameras.is_empty() {
            p.muted { "Belum ada kamera terdaftar." }
        } @else {
            div.scroll {
                table {
                    thead { tr {
                        th { "Nomor seri" } th { "Merek / model" } th { "Pemilik" }
                        th { "Selisih jam" } th { "Sumber selisih" }
                        @if may_edit { th { span.visually-hidden { "Tindakan" } } }
                    } }
                    tbody {
                        @for c in cameras {
                            tr {
                                td {
                                    @if may_edit {
                                        a href=(format!("/kamera?ubah={}#ubah", url_encode(&c.serial))) title="Ubah kamera" { code { (c.serial) } }
                                    } @else { code { (c.serial) } }
                                }
                                td { (make_model(c)) }
                                td { (name_of_user(names, &c.owner)) }
                                td.nowrap {
                                    (offset_words(c.clock_offset_seconds))
                                    @if c.clock_offset_seconds != 0 { br; span.muted.small { (offset_meaning(c.clock_offset_seconds)) } }
                                }
                                td { (source_label(c.offset_source.as_deref())) }
                                @if may_edit {
                                    td { a href=(format!("/kamera?ubah={}#ubah", url_encode(&c.serial))) { "Ubah" } }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

fn make_model(c: &Camera) -> String {
    let text = [c.make.as_deref(), c.model.as_deref()]
        .into_iter()
        .flatten()
        .filter(|s| !s.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ");
    if text.is_empty() {
        "—".into()
    } else {
        text
    }
}

fn edit_card(camera: &Camera, people: &[Person], names: &HashMap<String, String>) -> Markup {
    let api = format!("/api/cameras/{}", serial_path(&camera.serial));
    html! {
        section.card #ubah {
            h2 { "Ubah kamera " code { (camera.serial) } }
            p.muted {
                (make_model(camera)) " · pemilik " (name_of_user(names, &camera.owner))
                " · selisih " (offset_words(camera.clock_offset_seconds)) " (" (source_label(camera.offset_source.as_deref())) ")"
            }
            div.grid2 {
                form.stack data-api=(api) data-method="PATCH" data-then="/kamera" {
                    h3 { "Ganti pemilik" }
                    (owner_select(people, Some(&camera.owner)))
                    p.form-error role="alert" {}
                    button type="submit" { "Simpan pemilik" }
                }
                form.stack data-api=(api) data-method="PATCH" data-then="/kamera" {
                    h3 { "Koreksi selisih jam" }
                    (offset_input(Some(camera.clock_offset_seconds)))
                    p.muted.small { "Berkas kamera ini akan dicocokkan ulang dengan agenda." }
                    p.form-error role="alert" {}
                    button type="submit" { "Simpan selisih" }
                }
            }
            p { a href="/kamera" { "Batal" } }
        }
    }
}

fn owner_select(people: &[Person], current: Option<&str>) -> Markup {
    html! {
        label { "Pemilik"
            select name="owner" required {
                @if current.is_none() { option value="" { "— pilih —" } }
                @for p in people {
                    option value=(p.username) selected[current == Some(p.username.as_str())] { (p.name) " (" (p.username) ")" }
                }
            }
        }
    }
}

fn offset_input(current: Option<i64>) -> Markup {
    let value = current.unwrap_or(0);
    html! {
        label {
            "Selisih jam kamera (detik; positif bila lebih cepat)"
            input name="clock_offset_seconds" type="number" step="1" min="-172800" max="172800"
                data-type="number" data-offset-preview value=(value) required[current.is_some()];
        }
        p.muted.small { "Terbaca: " output data-offset-words { (offset_words(value)) } }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_are_said_in_hours_minutes_and_seconds() {
        assert_eq!(offset_words(0), "0 detik");
        assert_eq!(offset_words(125), "+2 menit 5 detik");
        assert_eq!(offset_words(-3600), "-1 jam");
        assert_eq!(offset_words(5400), "+1 jam 30 menit");
        assert_eq!(offset_words(-(8 * 3600 + 1)), "-8 jam 1 detik");
        assert_eq!(offset_words(26 * 3600), "+26 jam");
        assert_eq!(offset_meaning(125), "jam kamera lebih cepat");
        assert_eq!(offset_meaning(-1), "jam kamera lebih lambat");
        assert_eq!(source_label(Some("clock_shot")), "foto jam (/clock)");
        assert_eq!(source_label(None), "—");
    }

    #[test]
    fn serials_stay_one_path_segment() {
        assert_eq!(serial_path("AB 12/3"), "AB%2012%2F3");
    }
}
