//! Reports and publication (SOP steps 7 and 8): the crew's news text with its
//! picked photos and clips, the leaders' approval, and the package the
//! tenaga ahli takes to the website.
//!
//! This module is the domain: texts prefilled from the event's facts, input
//! checks, which status allows which step, the end-of-day completeness rule,
//! and the publication package (web-sized photo copies carrying an XMP packet,
//! `berita.html`, `berita.txt`, clips as they are) written as a ZIP of stored
//! entries. SQL lives in `catalog::reports`, HTTP in `web::reports`, pages in
//! `web::pages::reports`.
//!
//! Archived originals are only ever read here: web copies are new files made
//! from decoded pixels, and clips are copied byte for byte into the ZIP.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom, Write};
use std::path::Path;

use jiff::tz::Offset;
use serde::Serialize;

use crate::dates::{date_in, day_name, long_date};
use crate::media::thumbs::Limits;
use crate::schedule::{Assignment, AssignmentStatus, CrewRole, Event, Leader};

/// Longest report title, in characters.
pub const MAX_TITLE_CHARS: usize = 300;
/// Longest report body, in characters.
pub const MAX_BODY_CHARS: usize = 50_000;
/// Longest approval or return note, in characters.
pub const MAX_NOTE_CHARS: usize = 2_000;
/// Longest published URL.
pub const MAX_URL_CHARS: usize = 2_000;
/// Most files one report may carry.
pub const MAX_ITEMS: usize = 200;
/// JPEG quality of the web copies.
pub const WEB_QUALITY: u8 = 85;

/// What the package and the prefilled texts need from `[publish]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublishSettings {
    /// Long edge of the web copies, in pixels.
    pub web_long_edge: u32,
    /// `photoshop:Credit` of the web copies.
    pub credit: String,
    /// `dc:rights` of the web copies.
    pub copyright: String,
    /// The province named after the leaders' titles ("Gubernur Kalimantan Utara").
    pub region: String,
    /// Hour (0..=23, in the configured zone) by which a day's coverage should be in.
    pub complete_by_hour: u8,
}

impl Default for PublishSettings {
    fn default() -> PublishSettings {
        PublishSettings {
            web_long_edge: 2048,
            credit:
                "Dinas Komunikasi, Informatika, Statistik dan Persandian Provinsi Kalimantan Utara"
                    .into(),
            copyright: "Pemerintah Provinsi Kalimantan Utara".into(),
            region: "Kalimantan Utara".into(),
            complete_by_hour: 20,
        }
    }
}

// ---------------------------------------------------------------------------
// Prefilled texts

/// The leader as the news writes them: "Gubernur Kalimantan Utara"; `None`
/// for `lainnya` (the activity title stands alone).
pub fn leader_phrase(leader: Leader, region: &str) -> Option<String> {
    let with_region = |title: &str| {
        if region.trim().is_empty() {
            title.to_owned()
        } else {
            format!("{title} {}", region.trim())
        }
    };
    match leader {
        Leader::Gubernur => Some(with_region("Gubernur")),
        Leader::WakilGubernur => Some(with_region("Wakil Gubernur")),
        Leader::Sekda => Some(with_region("Sekretaris Daerah Provinsi")),
        Leader::Kadis => Some("Kepala Dinas".into()),
        Leader::Lainnya => None,
    }
}

/// "Kamis (26/11/2026)", the way captions date a photo.
pub fn caption_day(date: jiff::civil::Date) -> String {
    format!(
        "{} ({:02}/{:02}/{})",
        day_name(date),
        date.day(),
        date.month(),
        date.year()
    )
}

/// The activity, with the leader when there is one: "Gubernur Kalimantan
/// Utara saat Rapat Koordinasi Banjir".
fn who_and_what(event: &Event, region: &str) -> String {
    let title = event.title.trim();
    match leader_phrase(event.leader, region) {
        Some(leader) if title.to_lowercase().starts_with(&leader.to_lowercase()) => {
            title.to_owned()
        }
        Some(leader) => format!("{leader} saat {title}"),
        None => title.to_owned(),
    }
}

/// A pick's caption when its asset has none: "Gubernur Kalimantan Utara saat
/// Rapat Koordinasi di Tanjung Selor, Kamis (26/11/2026)."
pub fn prefill_caption(event: &Event, zone: Offset, region: &str) -> String {
    let day = date_in(event.starts_at, zone);
    let mut text = who_and_what(event, region);
    let place = event.location.trim();
    if !place.is_empty() && !text.to_lowercase().contains(&place.to_lowercase()) {
        text.push_str(&format!(" di {place}"));
    }
    format!("{text}, {}.", caption_day(day))
}

/// A new report's title: the leader and the activity.
pub fn prefill_title(event: &Event, region: &str) -> String {
    let title = event.title.trim();
    match leader_phrase(event.leader, region) {
        Some(leader) if !title.to_lowercase().starts_with(&leader.to_lowercase()) => {
            truncate(&format!("{leader}: {title}"), MAX_TITLE_CHARS)
        }
        _ => truncate(title, MAX_TITLE_CHARS),
    }
}

/// A new report's body: the dateline lead, to be written on by the reporter.
/// "TANJUNG SELOR – Gubernur Kalimantan Utara saat Rapat Koordinasi di Tanjung
/// Selor, Kamis, 26 November 2026."
pub fn prefill_body(event: &Event, zone: Offset, region: &str) -> String {
    let day = date_in(event.starts_at, zone);
    let place = event.location.trim();
    let dateline = place
        .split(',')
        .next()
        .unwrap_or(place)
        .trim()
        .to_uppercase();
    let mut lead = who_and_what(event, region);
    if !place.is_empty() && !lead.to_lowercase().contains(&place.to_lowercase()) {
        lead.push_str(&format!(" di {place}"));
    }
    let lead = format!("{lead}, {}.", long_date(day));
    if dateline.is_empty() {
        format!("{lead}\n\n")
    } else {
        format!("{dateline} – {lead}\n\n")
    }
}

fn truncate(text: &str, chars: usize) -> String {
    text.chars().take(chars).collect()
}

// ---------------------------------------------------------------------------
// Input checks

/// Checks a bounded free text: trimmed, not over `max` characters, no control
/// characters but line breaks and tabs (`multiline`) ; `required` refuses empty.
pub fn check_text(
    field: &str,
    text: &str,
    max: usize,
    multiline: bool,
    required: bool,
) -> Result<String, String> {
    let text = text.trim().replace("\r\n", "\n");
    if required && text.is_empty() {
        return Err(format!("{field}: must not be empty"));
    }
    // The shared rules (`crate::text`): length, control characters, bidi.
    let checked = if multiline {
        crate::text::multi_line(field, &text, max)
    } else {
        crate::text::single_line(field, &text, max)
    };
    checked.map_err(|e| e.to_string())?;
    Ok(text)
}

/// A published address: an absolute `http` or `https` URL with a host, no
/// spaces or control characters.
pub fn check_url(url: &str) -> Result<String, String> {
    let url = url.trim();
    if url.is_empty() {
        return Err("url: must not be empty".into());
    }
    if url.chars().count() > MAX_URL_CHARS {
        return Err(format!("url: at most {MAX_URL_CHARS} characters"));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("url: must not contain spaces or control characters".into());
    }
    let lower = url.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"))
        .ok_or_else(|| "url: must start with http:// or https://".to_owned())?;
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit('@').next().unwrap_or("");
    let host = host.split(':').next().unwrap_or("");
    if host.is_empty() || host.starts_with('.') || host.ends_with('.') || host.contains("..") {
        return Err("url: has no host name".into());
    }
    Ok(url.to_owned())
}

// ---------------------------------------------------------------------------
// The report's life

/// A submitted version of a report. Versions are never changed or deleted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportVersion {
    pub assignment_id: i64,
    /// 1 for the first submission, then counting up.
    pub version: i64,
    pub title: String,
    pub body: String,
    /// The files in the order chosen, each with the caption it is published with.
    pub items: Vec<ReportItem>,
    pub submitted_by: String,
    pub submitted_at_ms: i64,
    /// The assignment's status before the first submission (restored by a
    /// return when the assignment has no files yet).
    pub status_before: AssignmentStatus,
}

/// One file of a report and its caption.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ReportItem {
    pub asset_id: String,
    pub caption: String,
}

/// What a leader or a publisher did to a report version.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Approved,
    Returned,
    Published,
}

impl Action {
    pub fn label(self) -> &'static str {
        match self {
            Action::Approved => "Disetujui",
            Action::Returned => "Dikembalikan",
            Action::Published => "Dipublikasikan",
        }
    }
}

/// An approval, return or publication, with who, when and why. Never deleted.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReportAction {
    pub assignment_id: i64,
    pub version: i64,
    pub action: Action,
    pub note: Option<String>,
    pub url: Option<String>,
    pub by: String,
    pub at_ms: i64,
}

/// Whether a report may be (re)submitted at this status: any time before
/// approval. An approved report is returned first.
pub fn may_submit(status: AssignmentStatus) -> Result<(), String> {
    match status {
        AssignmentStatus::Approved | AssignmentStatus::Published => Err(
            "status: the report is already approved; it must be returned before it can be changed"
                .into(),
        ),
        _ => Ok(()),
    }
}

/// Whether `action` may follow at this status.
pub fn may(action: Action, status: AssignmentStatus, has_report: bool) -> Result<(), String> {
    if !has_report {
        return Err("report: no report has been submitted for this assignment".into());
    }
    let ok = match action {
        Action::Approved => status == AssignmentStatus::Reported,
        Action::Returned => matches!(
            status,
            AssignmentStatus::Reported | AssignmentStatus::Approved
        ),
        // A second URL (the agency's site after the province's) is welcome.
        Action::Published => matches!(
            status,
            AssignmentStatus::Approved | AssignmentStatus::Published
        ),
    };
    if ok {
        return Ok(());
    }
    let why = match action {
        Action::Approved => "only a submitted report waiting for approval can be approved",
        Action::Returned => "only a report waiting for approval or approved can be returned",
        Action::Published => "only an approved report can be published",
    };
    Err(format!(
        "status: {why} (it is {})",
        crate::schedule::name_of(&status)
    ))
}

/// The status after `action`; for a return, `covered` when the assignment has
/// files, else what it was before the report.
pub fn status_after(action: Action, has_files: bool, before: AssignmentStatus) -> AssignmentStatus {
    match action {
        Action::Approved => AssignmentStatus::Approved,
        Action::Published => AssignmentStatus::Published,
        Action::Returned if has_files => AssignmentStatus::Covered,
        Action::Returned => match before {
            AssignmentStatus::Reported
            | AssignmentStatus::Approved
            | AssignmentStatus::Published
            | AssignmentStatus::Covered => AssignmentStatus::Assigned,
            other => other,
        },
    }
}

/// The note a reporter should see: that of the latest return, when the
/// report has not been resubmitted since.
pub fn open_return<'a>(
    versions: &[ReportVersion],
    actions: &'a [ReportAction],
) -> Option<&'a ReportAction> {
    let latest = versions.iter().map(|v| v.version).max()?;
    let last = actions.iter().rfind(|a| a.version == latest)?;
    (last.action == Action::Returned).then_some(last)
}

/// Prefilled captions for the files of a report: the caption given in the
/// request, else the asset's own caption, else the event's facts.
pub fn resolve_captions(
    ids: &[String],
    given: &BTreeMap<String, String>,
    asset_captions: &BTreeMap<String, Option<String>>,
    fallback: &str,
) -> Vec<ReportItem> {
    ids.iter()
        .map(|id| {
            let own = asset_captions
                .get(id)
                .and_then(|c| c.as_deref())
                .map(str::trim)
                .filter(|c| !c.is_empty());
            let caption = given
                .get(id)
                .map(|c| c.trim())
                .filter(|c| !c.is_empty())
                .or(own)
                .unwrap_or(fallback);
            ReportItem {
                asset_id: id.clone(),
                caption: caption.to_owned(),
            }
        })
        .collect()
}

// ---------------------------------------------------------------------------
// End-of-day completeness

/// What a crew role is expected to bring back.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Expected {
    /// A fotografer: photo (or RAW) files.
    Photo,
    /// A kameraman: video files.
    Video,
    /// A reporter: a submitted report (or a text document).
    Text,
}

impl Expected {
    pub fn label(self) -> &'static str {
        match self {
            Expected::Photo => "foto",
            Expected::Video => "video",
            Expected::Text => "berita",
        }
    }

    fn of(role: CrewRole) -> Expected {
        match role {
            CrewRole::Fotografer => Expected::Photo,
            CrewRole::Kameraman => Expected::Video,
            CrewRole::Reporter => Expected::Text,
        }
    }
}

/// One assignment of the day, as the completeness rule sees it.
#[derive(Debug, Clone)]
pub struct DayCoverage {
    pub assignment: Assignment,
    pub event: Event,
    /// Archived files by kind (`photo`, `raw`, `video`, `document`, ...).
    pub counts: Vec<(String, u64)>,
    /// Whether a report version was ever submitted.
    pub reported: bool,
}

/// Something expected and not there, and who was to bring it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Missing {
    pub what: Expected,
    pub crew: Vec<String>,
}

/// An assignment of the day that is not complete.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Gap {
    pub assignment_id: i64,
    pub event_id: i64,
    pub title: String,
    pub leader: Leader,
    pub location: String,
    pub status: AssignmentStatus,
    pub missing: Vec<Missing>,
}

/// The assignments whose crew expected photo (fotografer), video (kameraman)
/// or text (reporter) and have no such file or report, in the order given.
/// Pure: the caller decides the day and whether its hour has passed.
pub fn completeness(day: &[DayCoverage]) -> Vec<Gap> {
    let mut gaps = Vec::new();
    for c in day {
        let count = |kinds: &[&str]| -> u64 {
            c.counts
                .iter()
                .filter(|(k, _)| kinds.contains(&k.as_str()))
                .map(|(_, n)| n)
                .sum()
        };
        let mut missing: Vec<Missing> = Vec::new();
        for member in &c.assignment.crew {
            let what = Expected::of(member.role);
            let there = match what {
                Expected::Photo => count(&["photo", "raw"]) > 0,
                Expected::Video => count(&["video"]) > 0,
                Expected::Text => c.reported || count(&["document"]) > 0,
            };
            if there {
                continue;
            }
            match missing.iter_mut().find(|m| m.what == what) {
                Some(m) => m.crew.push(member.username.clone()),
                None => missing.push(Missing {
                    what,
                    crew: vec![member.username.clone()],
                }),
            }
        }
        if !missing.is_empty() {
            missing.sort_by_key(|m| m.what as u8);
            gaps.push(Gap {
                assignment_id: c.assignment.id,
                event_id: c.event.id,
                title: c.event.title.clone(),
                leader: c.event.leader,
                location: c.event.location.clone(),
                status: c.assignment.status,
                missing,
            });
        }
    }
    gaps
}

/// The instant a day's coverage should be in: `hour`:00 of `date` in `zone`.
pub fn deadline(date: jiff::civil::Date, hour: u8, zone: Offset) -> jiff::Timestamp {
    let at = date.at(hour.min(23) as i8, 0, 0, 0);
    zone.to_timestamp(at).unwrap_or(jiff::Timestamp::UNIX_EPOCH)
}

// ---------------------------------------------------------------------------
// The publication package

/// Escapes text for XML and HTML (element content and attribute values).
pub fn escape_xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // XML 1.0 forbids most control characters even escaped.
            c if c.is_control() && !matches!(c, '\n' | '\t') => {}
            c => out.push(c),
        }
    }
    out
}

/// The XMP packet of a web copy: `dc:description` (the caption), `dc:creator`
/// (the photographer, as the byline), `photoshop:Credit` and `dc:rights`.
pub fn xmp_packet(caption: &str, creator: Option<&str>, credit: &str, rights: &str) -> String {
    let alt = |text: &str| {
        format!(
            "<rdf:Alt><rdf:li xml:lang=\"x-default\">{}</rdf:li></rdf:Alt>",
            escape_xml(text)
        )
    };
    let mut props = String::new();
    props.push_str(&format!(
        "<dc:description>{}</dc:description>",
        alt(caption)
    ));
    if let Some(creator) = creator.filter(|c| !c.trim().is_empty()) {
        props.push_str(&format!(
            "<dc:creator><rdf:Seq><rdf:li>{}</rdf:li></rdf:Seq></dc:creator>",
            escape_xml(creator.trim())
        ));
    }
    if !rights.trim().is_empty() {
        props.push_str(&format!("<dc:rights>{}</dc:rights>", alt(rights.trim())));
    }
    if !credit.trim().is_empty() {
        props.push_str(&format!(
            "<photoshop:Credit>{}</photoshop:Credit>",
            escape_xml(credit.trim())
        ));
    }
    format!(
        "<?xpacket begin=\"\u{feff}\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>\
<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">\
<rdf:Description rdf:about=\"\" xmlns:dc=\"http://purl.org/dc/elements/1.1/\" \
xmlns:photoshop=\"http://ns.adobe.com/photoshop/1.0/\">{props}</rdf:Description></rdf:RDF></x:xmpmeta>\
<?xpacket end=\"w\"?>"
    )
}

/// The namespace that opens an XMP APP1 segment.
pub const XMP_APP1_HEADER: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";

/// Why a web copy could not be made.
#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("reading {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("the image is too large ({width}x{height} pixels): {reason}")]
    TooLarge {
        width: u32,
        height: u32,
        reason: String,
    },
    #[error("the image cannot be decoded: {0}")]
    Undecodable(String),
    #[error("the web copy cannot be written: {0}")]
    Encode(String),
}

/// A web copy of the photo at `path`: decoded under `limits` (the bounds the
/// thumbnail workers use: the declared size is checked against
/// `max_pixels` and the decode buffers against `max_alloc` before any pixel
/// buffer exists, as `media::thumbs` does), EXIF `orientation` applied,
/// scaled so the long edge is at most `edge` (never enlarged), encoded as a
/// new JPEG with `xmp` in an APP1 segment. The original is only read.
pub fn web_copy(
    path: &Path,
    orientation: Option<u16>,
    edge: u32,
    limits: &Limits,
    xmp: &str,
) -> Result<Vec<u8>, CopyError> {
    use fast_image_resize::images::{Image, ImageRef};
    use fast_image_resize::{PixelType, ResizeOptions, Resizer};
    use image::{DynamicImage, ImageDecoder, ImageReader, RgbImage};

    let io_err = |source| CopyError::Io {
        path: path.display().to_string(),
        source,
    };
    let file = File::open(path).map_err(io_err)?;
    let mut reader = ImageReader::new(BufReader::new(file))
        .with_guessed_format()
        .map_err(io_err)?;
    let mut image_limits = image::Limits::default();
    image_limits.max_alloc = Some(limits.max_alloc);
    reader.limits(image_limits);
    let decoder = reader.into_decoder().map_err(|e| decode_error(e, 0, 0))?;
    let (w, h) = decoder.dimensions();
    let pixels = u64::from(w) * u64::from(h);
    let needed = decoder.total_bytes().saturating_add(pixels * 3 * 2);
    if pixels > limits.max_pixels {
        return Err(CopyError::TooLarge {
            width: w,
            height: h,
            reason: format!(
                "more than the {} megapixel limit",
                limits.max_pixels / 1_000_000
            ),
        });
    }
    if needed > limits.max_alloc {
        return Err(CopyError::TooLarge {
            width: w,
            height: h,
            reason: format!(
                "decoding it needs about {} MiB, more than the {} MiB limit",
                needed >> 20,
                limits.max_alloc >> 20
            ),
        });
    }
    let decoded = DynamicImage::from_decoder(decoder).map_err(|e| decode_error(e, w, h))?;
    let rgb = if decoded.color().has_alpha() {
        let rgba = decoded.into_rgba8();
        let flat: Vec<u8> = rgba
            .pixels()
            .flat_map(|p| {
                let [r, g, b, a] = p.0;
                let a = u16::from(a);
                [r, g, b].map(|c| ((u16::from(c) * a + 255 * (255 - a)) / 255) as u8)
            })
            .collect();
        flat
    } else {
        decoded.into_rgb8().into_raw()
    };
    let (tw, th) = fit(w, h, edge.max(1));
    let (rgb, w, h) = if (tw, th) == (w, h) {
        (rgb, w, h)
    } else {
        let src = ImageRef::new(w, h, &rgb, PixelType::U8x3)
            .map_err(|e| CopyError::Undecodable(format!("resizing: {e}")))?;
        let mut dst = Image::new(tw, th, PixelType::U8x3);
        Resizer::new()
            .resize(&src, &mut dst, &ResizeOptions::new())
            .map_err(|e| CopyError::Undecodable(format!("resizing: {e}")))?;
        (dst.into_vec(), tw, th)
    };
    let orientation = orientation
        .and_then(|o| u8::try_from(o).ok())
        .and_then(image::metadata::Orientation::from_exif)
        .unwrap_or(image::metadata::Orientation::NoTransforms);
    let short = || CopyError::Undecodable("decoded pixels are fewer than the image size".into());
    let mut image = DynamicImage::ImageRgb8(RgbImage::from_raw(w, h, rgb).ok_or_else(short)?);
    image.apply_orientation(orientation);
    let (w, h) = (image.width(), image.height());
    let too_wide = || CopyError::Encode(format!("{w}x{h} is too large for JPEG"));
    let (w16, h16) = (
        u16::try_from(w).map_err(|_| too_wide())?,
        u16::try_from(h).map_err(|_| too_wide())?,
    );
    let mut segment = XMP_APP1_HEADER.to_vec();
    segment.extend_from_slice(xmp.as_bytes());
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, WEB_QUALITY);
    encoder
        .add_app_segment(1, segment)
        .map_err(|e| CopyError::Encode(format!("XMP: {e}")))?;
    encoder
        .encode(image.as_bytes(), w16, h16, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| CopyError::Encode(e.to_string()))?;
    Ok(out)
}

fn decode_error(e: image::ImageError, width: u32, height: u32) -> CopyError {
    match e {
        image::ImageError::Limits(l) => CopyError::TooLarge {
            width,
            height,
            reason: l.to_string(),
        },
        other => CopyError::Undecodable(other.to_string()),
    }
}

/// `w` x `h` scaled so the long edge is at most `edge`, aspect kept, never enlarged.
pub fn fit(w: u32, h: u32, edge: u32) -> (u32, u32) {
    let long = w.max(h);
    if long <= edge || long == 0 {
        return (w, h);
    }
    let short = |s: u32| {
        let v = (u64::from(s) * u64::from(edge) + u64::from(long) / 2) / u64::from(long);
        u32::try_from(v).unwrap_or(edge).max(1)
    };
    if w >= h {
        (edge, short(h))
    } else {
        (short(w), edge)
    }
}

/// A file of the package as the texts list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PackageFile {
    /// Name inside the ZIP (`foto/01_IMG_0001.jpg`).
    pub name: String,
    pub caption: String,
    pub byline: Option<String>,
    pub kind: String,
}

/// What the texts of the package say besides the report.
#[derive(Debug, Clone)]
pub struct PackageFacts {
    pub title: String,
    pub body: String,
    pub dateline: String,
    pub version: i64,
    pub approved: Option<String>,
    pub credit: String,
    pub copyright: String,
}

/// `berita.html`: the report as a small standalone page; every text escaped.
pub fn package_html(f: &PackageFacts, files: &[PackageFile]) -> String {
    let mut out = String::new();
    out.push_str("<!DOCTYPE html>\n<html lang=\"id\">\n<head>\n<meta charset=\"utf-8\">\n");
    out.push_str(&format!(
        "<title>{}</title>\n</head>\n<body>\n",
        escape_xml(&f.title)
    ));
    out.push_str(&format!("<h1>{}</h1>\n", escape_xml(&f.title)));
    out.push_str(&format!(
        "<p><small>{}</small></p>\n",
        escape_xml(&f.dateline)
    ));
    for para in f
        .body
        .split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        let lines: Vec<String> = para.lines().map(escape_xml).collect();
        out.push_str(&format!("<p>{}</p>\n", lines.join("<br>\n")));
    }
    for file in files.iter().filter(|f| f.kind == "photo") {
        out.push_str(&format!(
            "<figure>\n<img src=\"{}\" alt=\"{}\">\n<figcaption>{}{}</figcaption>\n</figure>\n",
            escape_xml(&url_path(&file.name)),
            escape_xml(&file.caption),
            escape_xml(&file.caption),
            file.byline
                .as_deref()
                .map(|b| format!(" (Foto: {})", escape_xml(b)))
                .unwrap_or_default()
        ));
    }
    let clips: Vec<&PackageFile> = files.iter().filter(|f| f.kind == "video").collect();
    if !clips.is_empty() {
        out.push_str("<h2>Video</h2>\n<ul>\n");
        for clip in clips {
            out.push_str(&format!(
                "<li><a href=\"{}\">{}</a>: {}</li>\n",
                escape_xml(&url_path(&clip.name)),
                escape_xml(&clip.name),
                escape_xml(&clip.caption)
            ));
        }
        out.push_str("</ul>\n");
    }
    out.push_str(&format!(
        "<p><small>{} · {}</small></p>\n</body>\n</html>\n",
        escape_xml(&f.credit),
        escape_xml(&f.copyright)
    ));
    out
}

/// `berita.txt`: the same, as plain text.
pub fn package_text(f: &PackageFacts, files: &[PackageFile]) -> String {
    let mut out = format!("{}\n\n{}\n\n{}\n", f.title, f.dateline, f.body.trim_end());
    if !files.is_empty() {
        out.push_str("\nBerkas:\n");
        for file in files {
            out.push_str(&format!("- {}: {}", file.name, file.caption));
            if let Some(byline) = &file.byline {
                out.push_str(&format!(
                    " ({} {byline})",
                    if file.kind == "video" {
                        "Video:"
                    } else {
                        "Foto:"
                    }
                ));
            }
            out.push('\n');
        }
    }
    out.push_str(&format!("\n{} · {}\n", f.credit, f.copyright));
    out
}

/// Percent-encodes a relative path for an HTML link (keeps `/`).
fn url_path(name: &str) -> String {
    name.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A file name safe inside a ZIP and on any desktop: the name's letters,
/// digits, `.`, `-` and `_`; anything else becomes `_`.
pub fn safe_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let cleaned = cleaned.trim_start_matches('.').to_owned();
    if cleaned.is_empty() {
        "berkas".into()
    } else {
        cleaned
    }
}

// ---------------------------------------------------------------------------
// ZIP

/// The largest offset or size a ZIP without ZIP64 records can hold. Packages
/// stay below it: ZIP64 is not needed for a day's photos and clips under
/// 4 GiB, and clips that would push past it are left out (and listed).
pub const ZIP_LIMIT: u64 = u32::MAX as u64 - (64 << 20);

/// CRC-32 (IEEE, as ZIP uses), table-driven.
pub struct Crc32 {
    value: u32,
}

const fn crc_table() -> [u32; 256] {
    let mut table = [0u32; 256];
    let mut n = 0;
    while n < 256 {
        let mut c = n as u32;
        let mut k = 0;
        while k < 8 {
            c = if c & 1 != 0 {
                0xedb8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
            k += 1;
        }
        table[n] = c;
        n += 1;
    }
    table
}

static CRC_TABLE: [u32; 256] = crc_table();

impl Crc32 {
    pub fn new() -> Crc32 {
        Crc32 { value: 0xffff_ffff }
    }

    pub fn update(&mut self, bytes: &[u8]) {
        let mut c = self.value;
        for &b in bytes {
            c = CRC_TABLE[((c ^ u32::from(b)) & 0xff) as usize] ^ (c >> 8);
        }
        self.value = c;
    }

    pub fn finish(&self) -> u32 {
        self.value ^ 0xffff_ffff
    }
}

impl Default for Crc32 {
    fn default() -> Crc32 {
        Crc32::new()
    }
}

/// A ZIP of stored (uncompressed) entries: photos and clips are compressed
/// already. Each entry's local header is written first and patched with its
/// CRC-32 and size once the data is through, so large clips stream from the
/// archive without being held in memory. Names are UTF-8 (flag bit 11).
/// No ZIP64: [`ZipWriter::add_reader`] refuses to pass [`ZIP_LIMIT`].
pub struct ZipWriter<W: Write + Seek> {
    out: W,
    offset: u64,
    central: Vec<u8>,
    entries: u16,
    dos_time: u16,
    dos_date: u16,
}

impl<W: Write + Seek> ZipWriter<W> {
    /// `at` is the modification time written for every entry (local civil time).
    pub fn new(out: W, at: jiff::civil::DateTime) -> ZipWriter<W> {
        let year = at.year().clamp(1980, 2107) as u16;
        ZipWriter {
            out,
            offset: 0,
            central: Vec::new(),
            entries: 0,
            dos_time: ((at.hour() as u16) << 11)
                | ((at.minute() as u16) << 5)
                | (at.second() as u16 / 2),
            dos_date: ((year - 1980) << 9) | ((at.month() as u16) << 5) | at.day() as u16,
        }
    }

    /// Bytes written so far.
    pub fn len(&self) -> u64 {
        self.offset
    }

    pub fn is_empty(&self) -> bool {
        self.offset == 0
    }

    /// Adds an entry from memory.
    pub fn add_bytes(&mut self, name: &str, data: &[u8]) -> io::Result<()> {
        self.add_reader(name, &mut &data[..], data.len() as u64)
    }

    /// Adds an entry of `expected` bytes read from `data` (checked: a file
    /// that changes length on the way is an error).
    pub fn add_reader(&mut self, name: &str, data: &mut dyn Read, expected: u64) -> io::Result<()> {
        let name = name.as_bytes();
        let header_len = 30 + name.len() as u64;
        if self.entries == u16::MAX
            || name.len() > u16::MAX as usize
            || self.offset
                + header_len
                + expected
                + self.central.len() as u64
                + 46
                + name.len() as u64
                + 22
                > ZIP_LIMIT
        {
            return Err(io::Error::other(
                "the package would pass 4 GiB, which needs ZIP64 (not written)",
            ));
        }
        let start = self.offset;
        self.out.write_all(&self.local_header(name, 0, 0))?;
        let mut crc = Crc32::new();
        let mut buf = vec![0u8; 256 << 10];
        let mut size: u64 = 0;
        loop {
            let n = data.read(&mut buf)?;
            if n == 0 {
                break;
            }
            size += n as u64;
            if size > expected {
                return Err(io::Error::other("a file grew while it was packed"));
            }
            crc.update(&buf[..n]);
            self.out.write_all(&buf[..n])?;
        }
        if size != expected {
            return Err(io::Error::other("a file shrank while it was packed"));
        }
        let crc = crc.finish();
        let size32 = size as u32;
        // Patch CRC-32 and sizes in the local header (offset 14).
        self.out.seek(SeekFrom::Start(start + 14))?;
        let mut patch = Vec::with_capacity(12);
        patch.extend_from_slice(&crc.to_le_bytes());
        patch.extend_from_slice(&size32.to_le_bytes());
        patch.extend_from_slice(&size32.to_le_bytes());
        self.out.write_all(&patch)?;
        self.out.seek(SeekFrom::Start(start + header_len + size))?;
        self.offset = start + header_len + size;

        let c = &mut self.central;
        c.extend_from_slice(&0x0201_4b50u32.to_le_bytes());
        c.extend_from_slice(&20u16.to_le_bytes()); // made by: 2.0
        c.extend_from_slice(&20u16.to_le_bytes()); // needed: 2.0
        c.extend_from_slice(&0x0800u16.to_le_bytes()); // UTF-8 names
        c.extend_from_slice(&0u16.to_le_bytes()); // stored
        c.extend_from_slice(&self.dos_time.to_le_bytes());
        c.extend_from_slice(&self.dos_date.to_le_bytes());
        c.extend_from_slice(&crc.to_le_bytes());
        c.extend_from_slice(&size32.to_le_bytes());
        c.extend_from_slice(&size32.to_le_bytes());
        c.extend_from_slice(&(name.len() as u16).to_le_bytes());
        c.extend_from_slice(&[0; 8]); // extra, comment, disk, internal attributes
        c.extend_from_slice(&0u32.to_le_bytes()); // external attributes
        c.extend_from_slice(&(start as u32).to_le_bytes());
        c.extend_from_slice(name);
        self.entries += 1;
        Ok(())
    }

    fn local_header(&self, name: &[u8], crc: u32, size: u32) -> Vec<u8> {
        let mut h = Vec::with_capacity(30 + name.len());
        h.extend_from_slice(&0x0403_4b50u32.to_le_bytes());
        h.extend_from_slice(&20u16.to_le_bytes());
        h.extend_from_slice(&0x0800u16.to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes());
        h.extend_from_slice(&self.dos_time.to_le_bytes());
        h.extend_from_slice(&self.dos_date.to_le_bytes());
        h.extend_from_slice(&crc.to_le_bytes());
        h.extend_from_slice(&size.to_le_bytes());
        h.extend_from_slice(&size.to_le_bytes());
        h.extend_from_slice(&(name.len() as u16).to_le_bytes());
        h.extend_from_slice(&0u16.to_le_bytes());
        h.extend_from_slice(name);
        h
    }

    /// Writes the central directory and its end record; returns the writer.
    pub fn finish(mut self) -> io::Result<W> {
        let at = self.offset as u32;
        self.out.write_all(&self.central)?;
        let mut end = Vec::with_capacity(22);
        end.extend_from_slice(&0x0605_4b50u32.to_le_bytes());
        end.extend_from_slice(&[0; 4]); // disk numbers
        end.extend_from_slice(&self.entries.to_le_bytes());
        end.extend_from_slice(&self.entries.to_le_bytes());
        end.extend_from_slice(&(self.central.len() as u32).to_le_bytes());
        end.extend_from_slice(&at.to_le_bytes());
        end.extend_from_slice(&0u16.to_le_bytes());
        self.out.write_all(&end)?;
        self.out.flush()?;
        Ok(self.out)
    }
}

/// The names of a stored-entry ZIP's files, read back from its central
/// directory (for tests and checks).
pub fn zip_names(zip: &[u8]) -> Vec<String> {
    let mut names = Vec::new();
    let Some(end) = zip.len().checked_sub(22) else {
        return names;
    };
    if zip[end..end + 4] != 0x0605_4b50u32.to_le_bytes() {
        return names;
    }
    let count = u16::from_le_bytes([zip[end + 10], zip[end + 11]]) as usize;
    let mut at =
        u32::from_le_bytes([zip[end + 16], zip[end + 17], zip[end + 18], zip[end + 19]]) as usize;
    for _ in 0..count {
        let Some(h) = zip.get(at..at + 46) else {
            break;
        };
        let len = u16::from_le_bytes([h[28], h[29]]) as usize;
        let extra = u16::from_le_bytes([h[30], h[31]]) as usize;
        let comment = u16::from_le_bytes([h[32], h[33]]) as usize;
        let Some(name) = zip.get(at + 46..at + 46 + len) else {
            break;
        };
        names.push(String::from_utf8_lossy(name).into_owned());
        at += 46 + len + extra + comment;
    }
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::CrewMember;

    fn event(leader: Leader) -> Event {
        Event {
            id: 1,
            title: "Rapat Koordinasi Penanganan Banjir".into(),
            leader,
            location: "Tanjung Selor".into(),
            starts_at: "2026-11-26T01:00:00Z".parse().unwrap(),
            ends_at: "2026-11-26T03:00:00Z".parse().unwrap(),
            zone_seconds: 28_800,
            out_of_town: false,
            source: None,
            lat: None,
            lon: None,
        }
    }

    #[test]
    fn captions_titles_and_bodies_start_from_the_event() {
        let zone = Offset::constant(8);
        let e = event(Leader::Gubernur);
        assert_eq!(
            prefill_caption(&e, zone, "Kalimantan Utara"),
            "Gubernur Kalimantan Utara saat Rapat Koordinasi Penanganan Banjir di Tanjung Selor, Kamis (26/11/2026)."
        );
        assert_eq!(
            prefill_title(&e, "Kalimantan Utara"),
            "Gubernur Kalimantan Utara: Rapat Koordinasi Penanganan Banjir"
        );
        assert!(prefill_body(&e, zone, "Kalimantan Utara")
            .starts_with("TANJUNG SELOR – Gubernur Kalimantan Utara saat Rapat"));
        assert!(prefill_body(&e, zone, "Kalimantan Utara").contains("Kamis, 26 November 2026."));
        let other = event(Leader::Lainnya);
        assert_eq!(
            prefill_caption(&other, zone, "Kalimantan Utara"),
            "Rapat Koordinasi Penanganan Banjir di Tanjung Selor, Kamis (26/11/2026)."
        );
    }

    #[test]
    fn urls_must_be_http_with_a_host() {
        assert!(check_url("https://kaltaraprov.go.id/berita/1").is_ok());
        assert!(check_url(" http://diskominfo.kaltaraprov.go.id ").is_ok());
        for bad in [
            "",
            "javascript:alert(1)",
            "ftp://x.id/a",
            "https://",
            "https:///x",
            "https://a b.id",
            "//x.id",
        ] {
            assert!(check_url(bad).unwrap_err().starts_with("url:"), "{bad}");
        }
    }

    #[test]
    fn the_status_follows_the_report() {
        use AssignmentStatus::*;
        assert!(may_submit(Covered).is_ok());
        assert!(may_submit(Reported).is_ok());
        assert!(may_submit(Approved).is_err());
        assert!(may(Action::Approved, Reported, true).is_ok());
        assert!(may(Action::Approved, Reported, false).is_err());
        assert!(may(Action::Approved, Covered, true).is_err());
        assert!(may(Action::Published, Reported, true).is_err());
        assert!(may(Action::Published, Approved, true).is_ok());
        assert!(may(Action::Returned, Approved, true).is_ok());
        assert_eq!(status_after(Action::Returned, true, Assigned), Covered);
        assert_eq!(
            status_after(Action::Returned, false, LetterIssued),
            LetterIssued
        );
        assert_eq!(status_after(Action::Published, true, Assigned), Published);
    }

    #[test]
    fn captions_prefer_the_request_then_the_asset_then_the_event() {
        let ids = vec!["a".to_owned(), "b".to_owned(), "c".to_owned()];
        let given = BTreeMap::from([("a".to_owned(), "diberi".to_owned())]);
        let own = BTreeMap::from([
            ("a".to_owned(), Some("milik a".to_owned())),
            ("b".to_owned(), Some("milik b".to_owned())),
            ("c".to_owned(), Some("  ".to_owned())),
        ]);
        let items = resolve_captions(&ids, &given, &own, "acara");
        let captions: Vec<&str> = items.iter().map(|i| i.caption.as_str()).collect();
        assert_eq!(captions, ["diberi", "milik b", "acara"]);
    }

    #[test]
    fn completeness_names_what_each_crew_role_still_owes() {
        let crew = |u: &str, role| CrewMember {
            username: u.into(),
            role,
        };
        let assignment = Assignment {
            id: 7,
            event_id: 1,
            status: AssignmentStatus::LetterIssued,
            folder: "x-7".into(),
            crew: vec![
                crew("budi", CrewRole::Fotografer),
                crew("sari", CrewRole::Reporter),
                crew("yosef", CrewRole::Kameraman),
            ],
        };
        let mut day = vec![DayCoverage {
            assignment,
            event: event(Leader::Gubernur),
            counts: vec![("photo".into(), 3)],
            reported: false,
        }];
        let gaps = completeness(&day);
        assert_eq!(gaps.len(), 1);
        let missing: Vec<(Expected, Vec<String>)> = gaps[0]
            .missing
            .iter()
            .map(|m| (m.what, m.crew.clone()))
            .collect();
        assert_eq!(
            missing,
            vec![
                (Expected::Video, vec!["yosef".to_owned()]),
                (Expected::Text, vec!["sari".to_owned()])
            ]
        );
        day[0].counts.push(("video".into(), 1));
        day[0].reported = true;
        assert!(completeness(&day).is_empty());
        let zone = Offset::constant(8);
        let date = jiff::civil::date(2026, 11, 26);
        assert_eq!(deadline(date, 20, zone).to_string(), "2026-11-26T12:00:00Z");
    }

    #[test]
    fn xmp_escapes_and_carries_every_field() {
        let xmp = xmp_packet(
            "Gubernur <b> & \"rakyat\"",
            Some("Budi"),
            "Diskominfo",
            "© Pemprov",
        );
        assert!(xmp.contains("<x:xmpmeta"));
        assert!(xmp.contains("Gubernur &lt;b&gt; &amp; &quot;rakyat&quot;"));
        assert!(xmp.contains("<dc:creator><rdf:Seq><rdf:li>Budi</rdf:li>"));
        assert!(xmp.contains("<photoshop:Credit>Diskominfo</photoshop:Credit>"));
        assert!(xmp.contains("<dc:rights>"));
    }

    #[test]
    fn crc32_matches_the_standard_check_value() {
        let mut crc = Crc32::new();
        crc.update(b"123456789");
        assert_eq!(crc.finish(), 0xcbf4_3926);
    }

    #[test]
    fn a_stored_zip_lists_its_entries_with_their_crcs() {
        let at = jiff::civil::date(2026, 11, 26).at(9, 30, 0, 0);
        let mut zip = ZipWriter::new(io::Cursor::new(Vec::new()), at);
        zip.add_bytes("berita.txt", b"halo").unwrap();
        zip.add_bytes("foto/01_a.jpg", &[1, 2, 3]).unwrap();
        let bytes = zip.finish().unwrap().into_inner();
        assert_eq!(zip_names(&bytes), ["berita.txt", "foto/01_a.jpg"]);
        // Local header of the first entry: signature, then the patched CRC.
        assert_eq!(&bytes[..4], b"PK\x03\x04");
        let mut crc = Crc32::new();
        crc.update(b"halo");
        assert_eq!(&bytes[14..18], &crc.finish().to_le_bytes());
        assert_eq!(&bytes[30..40], b"berita.txt");
        assert_eq!(&bytes[40..44], b"halo");
    }

    #[test]
    fn web_copies_are_smaller_carry_xmp_and_leave_the_original() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("a.jpg");
        let spec = crate::media::SynthPhoto {
            width: 1200,
            height: 800,
            ..Default::default()
        };
        std::fs::write(&path, crate::media::synth::jpeg(&spec)).unwrap();
        let before = std::fs::read(&path).unwrap();
        let xmp = xmp_packet("Keterangan foto", Some("Budi"), "Kredit", "Hak cipta");
        let copy = web_copy(&path, Some(6), 600, &Limits::default(), &xmp).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), before);
        let decoded = image::load_from_memory(&copy).unwrap();
        // Orientation 6 (rotate 90°) swaps the sides.
        assert_eq!((decoded.width(), decoded.height()), (400, 600));
        let text = String::from_utf8_lossy(&copy);
        assert!(text.contains("http://ns.adobe.com/xap/1.0/"));
        assert!(text.contains("Keterangan foto"));
        let tiny = Limits {
            max_pixels: 1000,
            ..Limits::default()
        };
        assert!(matches!(
            web_copy(&path, None, 600, &tiny, &xmp),
            Err(CopyError::TooLarge { .. })
        ));
    }
}
