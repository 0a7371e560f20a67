//! Kolase: the print-ready photo collages of the leaders' activities (SOP
//! step 9, every 3-6 months). Everyone sees the last collages; KADIS, KABID,
//! KASI and the tenaga ahli (`Need::Publish`) make new ones through the form,
//! which posts to `POST /api/collages` like every panel form.

use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use maud::{html, Markup};

use super::{layout, page};
use crate::auth::{Need, Viewer};
use crate::catalog::CollageRecord;
use crate::collage::{A3_PORTRAIT_300DPI, MAX_SIDE, MIN_SIDE};
use crate::schedule::{name_of, Leader};
use crate::web::access::Routes;
use crate::web::error::{blocking, ApiError};
use crate::web::AppState;

/// Collages shown on the page.
const SHOWN: usize = 24;

const LEADERS: [Leader; 5] = [
    Leader::Gubernur,
    Leader::WakilGubernur,
    Leader::Sekda,
    Leader::Kadis,
    Leader::Lainnya,
];

pub fn routes(r: Routes) -> Routes {
    r.get("/kolase", Need::Login, collages_page)
}

/// The first day of the month five months before `today`'s: with `today`,
/// a six-month period, the SOP's longest.
fn default_from(today: jiff::civil::Date) -> jiff::civil::Date {
    today
        .first_of_month()
        .checked_sub(jiff::Span::new().months(5))
        .unwrap_or(today)
}

async fn collages_page(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
) -> Result<Response, ApiError> {
    let catalog = state.catalog.clone();
    let collages = blocking(move || Ok(catalog.collages(SHOWN)?)).await?;
    let today = crate::dates::date_in(jiff::Timestamp::now(), state.zone);
    let may_make = Need::Publish.allows(&viewer);
    let body = html! {
        h1 { "Kolase Foto" }
        p.muted {
            "Kolase foto kegiatan pimpinan yang siap cetak (SOP langkah 9, setiap 3–6 bulan). "
            "Foto diambil dari foto pilihan pada liputan yang sudah disetujui atau dipublikasikan "
            "dalam periode itu; bila belum ada, dari foto pilihan liputan berstatus apa pun."
        }
        @if may_make {
            section.card #buat {
                h2 { "Buat kolase" }
                form.stack data-api="/api/collages" data-then="reload" {
                    div.grid2.tight {
                        label { "Dari tanggal" input type="date" name="from" required value=(default_from(today).to_string()); }
                        label { "Sampai tanggal" input type="date" name="to" required value=(today.to_string()); }
                    }
                    label { "Pimpinan"
                        select name="leader" {
                            option value="" { "Semua pimpinan" }
                            @for leader in LEADERS {
                                option value=(name_of(&leader)) { (leader.label()) }
                            }
                        }
                    }
                    div.grid2.tight {
                        label { "Lebar (piksel)" input type="number" name="width_px" data-type="number" min=(MIN_SIDE) max=(MAX_SIDE) value=(A3_PORTRAIT_300DPI.0); }
                        label { "Tinggi (piksel)" input type="number" name="height_px" data-type="number" min=(MIN_SIDE) max=(MAX_SIDE) value=(A3_PORTRAIT_300DPI.1); }
                    }
                    p.muted { "Bawaan: A3 tegak 300 dpi (3508 × 4961 piksel). Hasilnya JPEG dan PDF; pembuatannya memerlukan beberapa detik." }
                    p.form-error role="alert" hidden {}
                    button type="submit" { "Buat kolase" }
                }
            }
        }
        section.card {
            h2 { "Kolase terakhir" }
            (list(&collages, state.zone))
        }
    };
    Ok(page(layout(&viewer, "Kolase", "/kolase", body)))
}

fn list(collages: &[CollageRecord], zone: jiff::tz::Offset) -> Markup {
    html! {
        @if collages.is_empty() {
            p.muted { "Belum ada kolase." }
        } @else {
            ul.thumbs {
                @for c in collages {
                    @let jpg = format!("/api/collages/{}.jpg", c.id);
                    @let n = &c.collage;
                    li {
                        a href=(jpg) title="Buka JPEG" {
                            img src=(jpg) loading="lazy" alt=(format!("Kolase {}: {}", c.id, n.subtitle));
                        }
                        div.cap title=(n.subtitle) { (n.subtitle) }
                        div.cap.muted {
                            @if let Ok(at) = jiff::Timestamp::from_millisecond(c.created_at_ms) {
                                (crate::dates::plain_date(crate::dates::date_in(at, zone)))
                            }
                            " · " (n.created_by) " · " (n.asset_ids.len()) " foto"
                        }
                        div.cap {
                            a href=(jpg) { "JPEG" }
                            @if n.pdf_bytes.is_some() {
                                " · " a href=(format!("/api/collages/{}.pdf", c.id)) { "PDF" }
                            }
                            " · " (n.width_px) " × " (n.height_px)
                        }
                        @if n.fallback.is_some() {
                            div.cap.muted title="Belum ada liputan yang disetujui dengan foto pilihan pada periode itu" { "dari foto belum disetujui" }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_period_is_six_whole_months() {
        let today = jiff::civil::date(2026, 12, 15);
        assert_eq!(default_from(today), jiff::civil::date(2026, 7, 1));
        let today = jiff::civil::date(2026, 3, 31);
        assert_eq!(default_from(today), jiff::civil::date(2025, 10, 1));
    }
}
