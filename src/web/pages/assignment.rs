//! Liputan: one assignment (SOP step 5) — the event, its crew and status,
//! counts by kind, and its files as a thumbnail grid with the preview viewer.
//! Those who may (KASI, KABID, KADIS always; STAF only on assignments they are
//! crew of, the same rule the API's guard applies) write captions and pick
//! files for the report here, through `POST /api/assets/{id}/caption` and
//! `POST /api/assets/{id}/pick`.

use std::collections::HashMap;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use maud::{html, Markup};

use super::agenda::{event_when, name_of_user, names};
use super::archive::{
    assets_head, caption_text, captured, info, kind_label, number, preview_dialog, thumb_link,
    Context,
};
use super::{layout, page, refusal};
use crate::auth::{Need, Target, Viewer};
use crate::browse::AssetView;
use crate::dates::{date_in, long_date, plain_date, time_with_zone};
use crate::media::Kind;
use crate::schedule::{name_of, Assignment, CrewMember, Event};
use crate::web::access::Routes;
use crate::web::captions::MAX_CAPTION_CHARS;
use crate::web::error::{blocking, ApiError};
use crate::web::AppState;

pub fn routes(r: Routes) -> Routes {
    r.get("/liputan/{id}", Need::Login, assignment_page)
}

/// Whether `viewer` may caption and pick the files of an assignment with
/// this crew: the rule of `Need::Crew(Target::Asset)`, decided here so the
/// page renders the forms only for those the API will accept.
pub fn may_edit(viewer: &Viewer, crew: &[CrewMember]) -> bool {
    Need::Crew(Target::Asset).allows_on(viewer, crew.iter().map(|m| m.username.as_str()))
}

/// Counts for every kind, in the contract's order, zeros included.
pub fn all_counts(counts: &[(String, u64)]) -> Vec<(Kind, u64)> {
    Kind::ALL
        .iter()
        .map(|k| {
            let n = counts
                .iter()
                .filter(|(kind, _)| kind == k.as_str())
                .map(|(_, n)| *n)
                .sum();
            (*k, n)
        })
        .collect()
}

struct Loaded {
    assignment: Assignment,
    event: Option<Event>,
    counts: Vec<(String, u64)>,
    assets: Vec<AssetView>,
    names: HashMap<String, String>,
}

async fn assignment_page(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(raw): Path<String>,
) -> Result<Response, ApiError> {
    let Some(id) = raw.parse::<i64>().ok().filter(|id| *id > 0) else {
        return Ok(refusal(StatusCode::NOT_FOUND, "Penugasan itu tidak ada."));
    };
    let zone = state.zone;
    let loaded = blocking(move || {
        let catalog = &state.catalog;
        let Some(assignment) = catalog.assignment(id)? else {
            return Ok(None);
        };
        let event = catalog.event(assignment.event_id)?;
        Ok(Some(Loaded {
            counts: catalog.counts_by_kind(id)?,
            assets: catalog
                .assets_of_assignment(id)?
                .iter()
                .map(AssetView::new)
                .collect(),
            names: names(&catalog.people()?),
            assignment,
            event,
        }))
    })
    .await?;
    let Some(d) = loaded else {
        return Ok(refusal(
            StatusCode::NOT_FOUND,
            &format!("Penugasan #{id} tidak ditemukan."),
        ));
    };
    let editable = may_edit(&viewer, &d.assignment.crew);
    let title = d
        .event
        .as_ref()
        .map_or_else(|| format!("Penugasan #{id}"), |e| e.title.clone());
    let titles = HashMap::from([(id, title.clone())]);
    let ctx = Context {
        zone,
        names: &d.names,
        titles: &titles,
    };
    let day = d.event.as_ref().map(|e| date_in(e.starts_at, zone));
    let picked = d.assets.iter().filter(|a| a.picked).count();
    let counts = all_counts(&d.counts);
    let total: u64 = counts.iter().map(|(_, n)| n).sum();
    let status = &d.assignment.status;
    let body = html! {
        (assets_head())
        p.muted.crumbs {
            a href=(day.map_or("/penugasan".to_owned(), |day| format!("/penugasan?tanggal={day}"))) { "← Penugasan" }
            " · Penugasan #" (id)
        }
        h1 { (title) }
        section.card.assignment-head {
            p {
                span class=(format!("badge {}", name_of(status))) { (status.label()) }
                " · " a href=(format!("/surat/{id}")) { "Surat Tugas" }
                " · " a href=(format!("/laporan/{id}")) { "Laporan liputan" }
            }
            dl.meta {
                @if let (Some(e), Some(day)) = (&d.event, day) {
                    dt { "Pimpinan" } dd { (e.leader.label()) }
                    dt { "Tempat" } dd { (e.location) @if e.out_of_town { " · " span.badge { "luar kota" } } }
                    dt { "Waktu" } dd { (long_date(day)) br; (event_when(e, zone, day)) }
                } @else {
                    dt { "Kegiatan" } dd.muted { "Data kegiatan tidak ditemukan." }
                }
                dt { "Kru" }
                dd {
                    @if d.assignment.crew.is_empty() { span.muted { "Belum ada kru." } }
                    @for (n, m) in d.assignment.crew.iter().enumerate() {
                        @if n > 0 { ", " }
                        (name_of_user(&d.names, &m.username)) " (" (m.role.label()) ")"
                    }
                }
                dt { "Berkas" }
                dd {
                    ul.counts {
                        @for (kind, n) in &counts {
                            li class=[(*n == 0).then_some("muted")] { (kind_label(kind.as_str())) " " strong { (number(*n)) } }
                        }
                    }
                    (number(total)) " berkas"
                    @if picked > 0 { " · " (number(picked as u64)) " dipilih untuk laporan" }
                }
            }
        }
        h2 { "Berkas" }
        @if d.assets.is_empty() {
            div.card.empty {
                p { "Belum ada berkas untuk penugasan ini." }
                p.muted { "Berkas masuk otomatis setelah fotografer menyalin isi kartu ke foldernya di inbox; berkas yang tidak cocok menunggu di Triage." }
            }
        } @else {
            @if editable {
                p.muted.hint { "Ketuk gambar untuk melihat pratinjau. Centang «Pilih untuk laporan» pada berkas terbaik." }
            }
            ul.thumbs.gallery.files data-gallery {
                @for a in &d.assets { (tile(a, &ctx, editable, day)) }
            }
        }
        (preview_dialog())
    };
    Ok(page(layout(&viewer, &title, "/penugasan", body)))
}

/// One file: thumbnail, name, time, photographer, caption, and (for those who
/// may) the pick toggle and the caption form.
fn tile(a: &AssetView, ctx: &Context, editable: bool, day: Option<jiff::civil::Date>) -> Markup {
    let at = captured(a);
    let caption_url = format!("/api/assets/{}/caption", a.id);
    let has_caption = a.caption.as_deref().is_some_and(|c| !c.is_empty());
    html! {
        li.asset.picked[a.picked] data-asset=(a.id) {
            (thumb_link(a))
            div.cap {
                span.name title=(a.file_name) { (a.file_name) }
                span.muted.when {
                    @match at {
                        Some(t) => {
                            @if Some(date_in(t, ctx.zone)) != day { (plain_date(date_in(t, ctx.zone))) " " }
                            (time_with_zone(t, ctx.zone))
                        }
                        None => "Waktu tidak diketahui",
                    }
                }
                @match &a.photographer {
                    Some(p) => span.who { (name_of_user(ctx.names, p)) },
                    None => span.who.muted { "Fotografer tidak diketahui" },
                }
                (caption_text(a))
            }
            @if editable {
                form.pick data-api=(format!("/api/assets/{}/pick", a.id)) data-then="none" data-pick {
                    label {
                        input type="checkbox" name="picked" checked[a.picked];
                        " Pilih untuk laporan"
                    }
                    button.secondary.pick-save type="submit" { "Simpan" }
                    p.form-error {}
                }
                details.edit-caption {
                    summary { "Ubah keterangan" }
                    form data-api=(caption_url) data-then="none" data-caption-form {
                        label {
                            span.visually-hidden { "Keterangan" }
                            textarea name="caption" rows="3" maxlength=(MAX_CAPTION_CHARS) required
                                placeholder=(a.description.as_deref().unwrap_or("Tulis keterangan foto…")) {
                                (a.caption.as_deref().unwrap_or(""))
                            }
                        }
                        p.form-error {}
                        button type="submit" { "Simpan keterangan" }
                    }
                    form data-api=(caption_url) data-then="none" data-caption-form data-caption-clear
                        data-confirm="Hapus keterangan berkas ini?" hidden[!has_caption] {
                        input type="hidden" name="caption" value="" required;
                        button.link type="submit" { "Hapus keterangan" }
                        p.form-error {}
                    }
                }
            } @else if a.picked {
                p.picked-note { span.badge.picked { "Dipilih untuk laporan" } }
            }
            (info(a, ctx))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{CrewRole, Role};

    fn viewer(username: &str, role: Role) -> Viewer {
        Viewer {
            username: username.into(),
            name: username.into(),
            role,
            is_admin: false,
        }
    }

    #[test]
    fn only_the_crew_among_staff_may_edit() {
        let crew = vec![CrewMember {
            username: "budi".into(),
            role: CrewRole::Fotografer,
        }];
        assert!(may_edit(&viewer("budi", Role::Staf), &crew));
        assert!(!may_edit(&viewer("sari", Role::Staf), &crew));
        for role in [Role::Kasi, Role::Kabid, Role::Kadis] {
            assert!(may_edit(&viewer("kepala", role), &crew), "{role:?}");
            assert!(may_edit(&viewer("kepala", role), &[]), "{role:?}");
        }
        assert!(!may_edit(&viewer("ahli", Role::TenagaAhli), &crew));
        let mut admin = viewer("admin", Role::TenagaAhli);
        admin.is_admin = true;
        assert!(!may_edit(&admin, &crew));
    }

    #[test]
    fn counts_cover_every_kind_in_order() {
        let counts = all_counts(&[("video".into(), 2), ("photo".into(), 10)]);
        let as_text: Vec<(&str, u64)> = counts.iter().map(|(k, n)| (k.as_str(), *n)).collect();
        assert_eq!(
            as_text,
            vec![
                ("photo", 10),
                ("raw", 0),
                ("video", 2),
                ("audio", 0),
                ("document", 0),
                ("other", 0)
            ]
        );
    }
}
