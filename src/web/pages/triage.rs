//! Triage (SOP step 4, KASI's queue): the files matching could not place,
//! grouped by drop folder and camera, each with its reason and matching's
//! suggestions (the same items as `GET /api/triage`, from `Tagger::triage`).
//! Per group: check files and tag them to an assignment of those days (or
//! any id typed) with `POST /api/assets/assignment`; apply a proposed clock
//! offset to a registered camera with `PATCH /api/cameras/{serial}` (which
//! re-matches that camera's files).

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap, HashSet};

use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use jiff::civil::Date;
use jiff::tz::Offset;
use maud::{html, Markup};

use super::agenda::{names, today};
use super::archive::{
    assets_head, caption_text, captured, info, number, preview_dialog, thumb_link, tile_head,
    Context,
};
use super::cameras::offset_words;
use super::{layout, page};
use crate::auth::{Need, Viewer};
use crate::dates::{date_in, plain_date, time_of_day};
use crate::schedule::matching::Suggestion;
use crate::schedule::serial_key;
use crate::schedule::tagger::TriageItem;
use crate::web::access::Routes;
use crate::web::error::{blocking, ApiError};
use crate::web::AppState;

pub fn routes(r: Routes) -> Routes {
    r.get("/triage", Need::Schedule, triage_page)
}

/// How many waiting files the page lists (the API's limit too).
const LIMIT: usize = 2000;

/// A group's key: drop folder, and the camera's serial as matching compares
/// it (`serial_key`), `None` when the file names no serial.
pub type GroupKey = (Option<String>, Option<String>);

/// Groups items by key in the order keys first appear; each group lists the
/// positions of its items in `items`.
pub fn group_by<T>(items: &[T], key: impl Fn(&T) -> GroupKey) -> Vec<(GroupKey, Vec<usize>)> {
    let mut groups: Vec<(GroupKey, Vec<usize>)> = Vec::new();
    let mut slot: HashMap<GroupKey, usize> = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        let k = key(item);
        match slot.get(&k) {
            Some(&g) => groups[g].1.push(i),
            None => {
                slot.insert(k.clone(), groups.len());
                groups.push((k, vec![i]));
            }
        }
    }
    groups
}

/// A clock offset proposed for a camera, with how many files of the group
/// carry it.
#[derive(Debug, Clone, PartialEq)]
pub struct Proposal {
    pub serial: String,
    pub offset: i64,
    pub assignment_id: Option<i64>,
    pub why: String,
    pub files: usize,
}

/// The distinct clock-offset proposals among the suggestions of a group's
/// files (one per camera and offset), most files first.
pub fn proposals<'a>(suggestions: impl IntoIterator<Item = &'a [Suggestion]>) -> Vec<Proposal> {
    let mut out: Vec<Proposal> = Vec::new();
    for file in suggestions {
        let mut seen: HashSet<(String, i64)> = HashSet::new();
        for s in file {
            let (Some(serial), Some(offset)) = (&s.camera_serial, s.clock_offset_seconds) else {
                continue;
            };
            if !seen.insert((serial_key(serial), offset)) {
                continue;
            }
            match out
                .iter_mut()
                .find(|p| serial_key(&p.serial) == serial_key(serial) && p.offset == offset)
            {
                Some(p) => p.files += 1,
                None => out.push(Proposal {
                    serial: serial.clone(),
                    offset,
                    assignment_id: s.assignment_id,
                    why: s.why.clone(),
                    files: 1,
                }),
            }
        }
    }
    out.sort_by_key(|p| std::cmp::Reverse(p.files));
    out
}

/// The assignment suggested for the most files of a group (ties: the lowest id).
pub fn likeliest<'a>(suggestions: impl IntoIterator<Item = &'a [Suggestion]>) -> Option<i64> {
    let mut votes: BTreeMap<i64, usize> = BTreeMap::new();
    for file in suggestions {
        let ids: HashSet<i64> = file.iter().filter_map(|s| s.assignment_id).collect();
        for id in ids {
            *votes.entry(id).or_default() += 1;
        }
    }
    votes
        .into_iter()
        .max_by(|(a, x), (b, y)| x.cmp(y).then(b.cmp(a)))
        .map(|(id, _)| id)
}

/// At most this many separate day ranges are searched for a group's tag form.
const MAX_RANGES: usize = 10;

/// The days whose assignments the tag form offers: each capture day of the
/// group's files with a day either side, overlapping ranges merged (`[from,
/// to]` inclusive), earliest first and at most [`MAX_RANGES`]; around `today`
/// when no file has a time.
pub fn nearby_ranges(days: impl IntoIterator<Item = Date>, today: Date) -> Vec<(Date, Date)> {
    let mut days: Vec<Date> = days.into_iter().collect();
    if days.is_empty() {
        days.push(today);
    }
    days.sort();
    days.dedup();
    let mut ranges: Vec<(Date, Date)> = Vec::new();
    for d in days {
        let (from, to) = (d.yesterday().unwrap_or(d), d.tomorrow().unwrap_or(d));
        match ranges.last_mut() {
            Some(last) if from <= last.1.tomorrow().unwrap_or(last.1) => last.1 = to,
            _ => {
                if ranges.len() == MAX_RANGES {
                    break;
                }
                ranges.push((from, to));
            }
        }
    }
    ranges
}

/// An assignment the form offers.
#[derive(Clone)]
struct Choice {
    id: i64,
    label: String,
    starts_at: jiff::Timestamp,
}

/// One group as the page shows it.
struct Group {
    drop_folder: Option<String>,
    serial: Option<String>,
    camera: Option<String>,
    items: Vec<usize>,
    proposals: Vec<Proposal>,
    likeliest: Option<i64>,
    choices: Vec<Choice>,
}

fn choice_label(id: i64, title: &str, starts_at: jiff::Timestamp, zone: Offset) -> String {
    let day = date_in(starts_at, zone);
    format!(
        "{} {} · {} (#{id})",
        plain_date(day),
        time_of_day(starts_at, zone),
        title
    )
}

async fn triage_page(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
) -> Result<Response, ApiError> {
    let zone = state.zone;
    let (items, groups, names, titles, registered) = blocking(move || {
        let items = state.tagger.triage(LIMIT)?;
        let catalog = &state.catalog;
        let names = names(&catalog.people()?);
        let registered: HashSet<String> = catalog
            .cameras()?
            .iter()
            .map(|c| serial_key(&c.serial))
            .collect();
        let mut titles: HashMap<i64, String> = HashMap::new();
        let mut groups = Vec::new();
        // Groups of the same days share one schedule lookup.
        let mut slots_of: HashMap<(Date, Date), Vec<Choice>> = HashMap::new();
        let key = |i: &TriageItem| {
            let a = &i.asset;
            let camera = a.serial.as_deref().map(serial_key).or_else(|| {
                let model = a.camera.as_deref()?;
                Some(format!("model:{model}"))
            });
            (a.drop_folder.clone(), camera)
        };
        for ((drop_folder, _), members) in group_by(&items, key) {
            let first = &items[members[0]].asset;
            let suggestions = || members.iter().map(|&i| items[i].suggestions.as_slice());
            let ranges = nearby_ranges(
                members
                    .iter()
                    .filter_map(|&i| captured(&items[i].asset))
                    .map(|t| date_in(t, zone)),
                today(zone),
            );
            let mut choices: Vec<Choice> = Vec::new();
            for (from, to) in ranges {
                if let Entry::Vacant(slot) = slots_of.entry((from, to)) {
                    let start = |d: Date| {
                        zone.to_timestamp(d.to_datetime(jiff::civil::Time::midnight()))
                            .map(|t| t.as_millisecond())
                            .map_err(|e| crate::Error::Invalid(format!("date: {e}")))
                    };
                    let end = to.tomorrow().unwrap_or(to);
                    let mut found = Vec::new();
                    for (a, e) in catalog.slots_between(start(from)?, start(end)?)? {
                        titles.insert(a.id, e.title.clone());
                        found.push(Choice {
                            id: a.id,
                            label: choice_label(a.id, &e.title, e.starts_at, zone),
                            starts_at: e.starts_at,
                        });
                    }
                    slot.insert(found);
                }
                for c in &slots_of[&(from, to)] {
                    if !choices.iter().any(|x| x.id == c.id) {
                        choices.push(c.clone());
                    }
                }
            }
            // Suggested assignments outside those days are offered too.
            let suggested: HashSet<i64> = suggestions()
                .flatten()
                .filter_map(|s| s.assignment_id)
                .collect();
            for id in suggested {
                if choices.iter().any(|c| c.id == id) {
                    continue;
                }
                if let Some(a) = catalog.assignment(id)? {
                    if let Some(e) = catalog.event(a.event_id)? {
                        titles.insert(id, e.title.clone());
                        choices.push(Choice {
                            id,
                            label: choice_label(id, &e.title, e.starts_at, zone),
                            starts_at: e.starts_at,
                        });
                    }
                }
            }
            choices.sort_by_key(|c| (c.starts_at, c.id));
            groups.push(Group {
                drop_folder,
                serial: first.serial.clone(),
                camera: first.camera.clone(),
                proposals: proposals(suggestions()),
                likeliest: likeliest(suggestions()),
                items: members,
                choices,
            });
        }
        Ok((items, groups, names, titles, registered))
    })
    .await?;
    let ctx = Context {
        zone,
        names: &names,
        titles: &titles,
    };
    let body = html! {
        (assets_head())
        h1 { "Triage" }
        @if items.is_empty() {
            div.card.empty {
                p { "Tidak ada berkas yang menunggu. Semua berkas sudah masuk penugasan." }
            }
        } @else {
            p.lead {
                strong { (number(items.len() as u64)) " berkas" }
                @if items.len() >= LIMIT { " (yang pertama; masih ada lagi)" }
                " menunggu penandaan, dalam " (groups.len()) " kelompok (folder dan kamera)."
            }
            p.muted.hint {
                "Centang berkas, pilih penugasannya, lalu «Tandai ke penugasan». "
                "Bila jam kamera salah, terapkan usulan selisih jam: berkas kamera itu dicocokkan ulang."
            }
            @for (n, g) in groups.iter().enumerate() {
                (group(n, g, &items, &ctx, &registered))
            }
        }
        (preview_dialog())
    };
    Ok(page(layout(&viewer, "Triage", "/triage", body)))
}

/// A path segment (a camera serial in `/api/cameras/{serial}`).
fn segment(value: &str) -> String {
    value
        .bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn group(
    n: usize,
    g: &Group,
    items: &[TriageItem],
    ctx: &Context,
    registered: &HashSet<String>,
) -> Markup {
    let form_id = format!("triage-{n}");
    let heading = format!("triage-{n}-title");
    let camera_known = g
        .serial
        .as_deref()
        .is_some_and(|s| registered.contains(&serial_key(s)));
    html! {
        section.card.triage-group aria-labelledby=(heading) {
            h2 id=(heading) {
                "Folder " strong { (g.drop_folder.as_deref().unwrap_or("(tanpa folder)")) }
                " · "
                @match (&g.camera, &g.serial) {
                    (Some(c), Some(s)) => { (c) span.muted { " · SN " (s) } },
                    (Some(c), None) => { (c) span.muted { " · tanpa nomor seri" } },
                    (None, Some(s)) => { "SN " (s) },
                    (None, None) => span.muted { "kamera tidak diketahui" },
                }
                span.muted { " · " (g.items.len()) " berkas" }
            }
            @if let Some(serial) = &g.serial {
                @if !camera_known {
                    p.warn { "Kamera ini belum terdaftar. " a href="/kamera" { "Daftarkan di halaman Kamera" } " agar berkasnya dikenali." }
                }
                @for p in &g.proposals {
                    div.proposal {
                        p {
                            strong { "Usulan selisih jam " (offset_words(p.offset)) } " · " (p.files) " berkas"
                            br;
                            span.muted { (p.why) }
                        }
                        @if camera_known {
                            form data-api=(format!("/api/cameras/{}", segment(&p.serial))) data-method="PATCH"
                                data-confirm=(format!("Terapkan selisih jam {} ke kamera {}? Semua berkas kamera ini akan dicocokkan ulang.", offset_words(p.offset), p.serial)) {
                                input type="hidden" name="clock_offset_seconds" value=(p.offset) data-type="number";
                                button.secondary type="submit" { "Terapkan ke kamera " (serial) }
                                p.form-error {}
                            }
                        }
                    }
                }
            }
            form.tag-form id=(form_id) data-api="/api/assets/assignment" data-triage
                data-confirm="Tandai berkas yang dicentang ke penugasan ini?" {
                p.select-all {
                    label { input type="checkbox" data-select-all; " Pilih semua di kelompok ini" }
                }
                ul.thumbs.gallery.files data-gallery {
                    @for &i in &g.items { (tile(&items[i], ctx)) }
                }
                div.facets.tag-to {
                    label {
                        "Penugasan"
                        select name="assignment_id" data-type="number" {
                            option value="" { "— pilih penugasan —" }
                            @for c in &g.choices {
                                option value=(c.id) selected[g.likeliest == Some(c.id)] {
                                    (c.label) @if g.likeliest == Some(c.id) { " — disarankan" }
                                }
                            }
                        }
                    }
                    label {
                        "atau nomor penugasan"
                        input type="number" name="assignment_id" data-type="number" min="1" inputmode="numeric" placeholder="mis. 12";
                    }
                    div {
                        button type="submit" { "Tandai ke penugasan" }
                    }
                }
                p.form-error role="alert" {}
            }
        }
    }
}

fn tile(item: &TriageItem, ctx: &Context) -> Markup {
    let a = &item.asset;
    html! {
        li.asset {
            label.check {
                input type="checkbox" name="asset_ids" data-list="asset_ids" value=(a.id);
                span.visually-hidden { "Pilih " (a.file_name) }
            }
            (thumb_link(a))
            div.cap {
                (tile_head(a, ctx))
                span.reason { (item.reason) }
                @for s in item.suggestions.iter().filter(|s| s.clock_offset_seconds.is_none()) {
                    span.suggestion {
                        "Saran: "
                        @if let Some(id) = s.assignment_id {
                            a href=(format!("/liputan/{id}")) { "#" (id) } " "
                        }
                        (s.why)
                    }
                }
                (caption_text(a))
            }
            (info(a, ctx))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(assignment: Option<i64>, offset: Option<i64>, serial: Option<&str>) -> Suggestion {
        Suggestion {
            assignment_id: assignment,
            clock_offset_seconds: offset,
            camera_serial: serial.map(str::to_owned),
            why: "karena".into(),
        }
    }

    #[test]
    fn groups_keep_first_seen_order() {
        let items = [
            ("budi", "A1"),
            ("budi", "A1"),
            ("budi", "B2"),
            ("sari", "A1"),
            ("budi", "A1"),
        ];
        let groups = group_by(&items, |(f, s)| (Some(f.to_string()), Some(s.to_string())));
        let shape: Vec<(&str, &str, Vec<usize>)> = groups
            .iter()
            .map(|((f, s), v)| (f.as_deref().unwrap(), s.as_deref().unwrap(), v.clone()))
            .collect();
        assert_eq!(
            shape,
            vec![
                ("budi", "A1", vec![0, 1, 4]),
                ("budi", "B2", vec![2]),
                ("sari", "A1", vec![3])
            ]
        );
        let none: Vec<(Option<String>, Option<String>)> = vec![(None, None), (None, None)];
        assert_eq!(group_by(&none, |k| k.clone()).len(), 1);
    }

    #[test]
    fn offset_proposals_are_merged_per_camera_and_offset() {
        let files = [
            vec![s(Some(3), Some(3600), Some("0123")), s(Some(3), None, None)],
            vec![s(Some(3), Some(3600), Some("123"))],
            vec![
                s(Some(4), Some(-28800), Some("123")),
                s(None, None, Some("123")),
            ],
        ];
        let p = proposals(files.iter().map(Vec::as_slice));
        assert_eq!(p.len(), 2);
        assert_eq!(
            (p[0].offset, p[0].files, p[0].assignment_id),
            (3600, 2, Some(3))
        );
        assert_eq!((p[1].offset, p[1].files), (-28800, 1));
        assert_eq!(likeliest(files.iter().map(Vec::as_slice)), Some(3));
        assert_eq!(likeliest(std::iter::empty()), None);
    }

    #[test]
    fn the_form_offers_the_days_around_the_files() {
        let d = |s: &str| s.parse::<Date>().unwrap();
        assert_eq!(
            nearby_ranges(
                [d("2026-11-26"), d("2026-11-25"), d("2026-11-26")],
                d("2027-01-01")
            ),
            vec![(d("2026-11-24"), d("2026-11-27"))]
        );
        // Days far apart stay apart (a card with years of files does not
        // offer every assignment in between).
        assert_eq!(
            nearby_ranges(
                [d("2017-02-22"), d("2004-10-02"), d("2004-10-05")],
                d("2027-01-01")
            ),
            vec![
                (d("2004-10-01"), d("2004-10-06")),
                (d("2017-02-21"), d("2017-02-23"))
            ]
        );
        assert_eq!(
            nearby_ranges([], d("2026-11-26")),
            vec![(d("2026-11-25"), d("2026-11-27"))]
        );
        let many: Vec<Date> = (0..30)
            .map(|i| {
                d("2026-01-01")
                    .checked_add(jiff::Span::new().days(i * 5))
                    .unwrap()
            })
            .collect();
        assert_eq!(nearby_ranges(many, d("2026-11-26")).len(), MAX_RANGES);
        assert_eq!(segment("AB 12/3"), "AB%2012%2F3");
    }
}
