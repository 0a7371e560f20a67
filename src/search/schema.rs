//! The tantivy schema of the search index, the mapping from a [`SearchDoc`] to
//! an index document, and the commit payload (schema version, analyzer
//! fingerprint, the caller's watermark).
//!
//! Owns field names and types; bump [`SCHEMA_VERSION`] whenever they or the
//! meaning of a field change, so old indexes are moved aside and rebuilt.

use jiff::tz::Offset;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, FAST, INDEXED, STRING,
};
use tantivy::TantivyDocument;

use super::analyzer::{EXACT, STEM};
use super::SearchDoc;

/// Version of the schema and of what goes into each field.
pub(crate) const SCHEMA_VERSION: u32 = 1;

/// Field handles, resolved once.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fields {
    pub id: Field,
    /// First 64 bits of the id, a deterministic tie-break for equal capture
    /// times (bursts share a second), so pages never overlap or reorder.
    pub id_key: Field,
    pub kind: Field,
    pub leader: Field,
    pub photographer: Field,
    pub camera: Field,
    pub status: Field,
    pub assignment: Field,
    pub captured_at: Field,
    pub year: Field,
    pub month: Field,
    /// `year * 12 + month - 1` in the doc's offset: one column for the
    /// year and month facets.
    pub year_month: Field,
    pub text: Field,
    pub text_exact: Field,
}

pub(crate) const ID: &str = "id";
pub(crate) const ID_KEY: &str = "id_key";
pub(crate) const KIND: &str = "kind";
pub(crate) const LEADER: &str = "leader";
pub(crate) const PHOTOGRAPHER: &str = "photographer";
pub(crate) const CAPTURED_AT: &str = "captured_at";
pub(crate) const YEAR_MONTH: &str = "year_month";

pub(crate) fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    // Keys and filter values: raw tokens. Fast where facets or hits read them,
    // so a search never touches the document store (nothing is stored).
    let keyword_fast = STRING | FAST;
    let id = b.add_text_field(ID, keyword_fast.clone());
    let id_key = b.add_u64_field(ID_KEY, FAST);
    let kind = b.add_text_field(KIND, keyword_fast.clone());
    let leader = b.add_text_field(LEADER, keyword_fast.clone());
    let photographer = b.add_text_field(PHOTOGRAPHER, keyword_fast);
    let camera = b.add_text_field("camera", STRING);
    let status = b.add_text_field("status", STRING);
    let assignment = b.add_i64_field("assignment_id", INDEXED);
    let captured_at = b.add_i64_field(CAPTURED_AT, INDEXED | FAST);
    let year = b.add_u64_field("year", INDEXED);
    let month = b.add_u64_field("month", INDEXED);
    let year_month = b.add_u64_field(YEAR_MONTH, FAST);
    let text = b.add_text_field("text", text_options(STEM));
    let text_exact = b.add_text_field("text_exact", text_options(EXACT));
    let fields = Fields {
        id,
        id_key,
        kind,
        leader,
        photographer,
        camera,
        status,
        assignment,
        captured_at,
        year,
        month,
        year_month,
        text,
        text_exact,
    };
    (b.build(), fields)
}

fn text_options(tokenizer: &str) -> TextOptions {
    // Positions in both fields: phrases ("rapat koordinasi") work stemmed and
    // exact.
    TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(IndexRecordOption::WithFreqsAndPositions),
    )
}

/// Normalises a filter value the way it is indexed: trimmed, lowercased,
/// inner whitespace collapsed. Used for camera names, which people type.
pub(crate) fn normalize_camera(camera: &str) -> String {
    camera
        .split_whitespace()
        .map(str::to_lowercase)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Trimmed and lowercased: kind, leader and status are enums.
pub(crate) fn normalize_keyword(value: &str) -> String {
    value.trim().to_lowercase()
}

/// The 64-bit tie-break key of an id: its first 16 hex digits, or a hash of
/// it when it is not hex (ids are blake3 hex in production).
pub(crate) fn id_key(id: &str) -> u64 {
    id.get(..16)
        .and_then(|prefix| u64::from_str_radix(prefix, 16).ok())
        .unwrap_or_else(|| {
            let hash = blake3::hash(id.as_bytes());
            let mut bytes = [0u8; 8];
            bytes.copy_from_slice(&hash.as_bytes()[..8]);
            u64::from_be_bytes(bytes)
        })
}

/// Calendar year and month of a UTC instant at a fixed offset, or `None` when
/// either is out of range (a broken camera clock must not fail indexing).
pub(crate) fn local_year_month(ms: i64, offset_seconds: i32) -> Option<(i32, u8)> {
    let timestamp = Timestamp::from_millisecond(ms).ok()?;
    let offset = Offset::from_seconds(offset_seconds).ok()?;
    let local = offset.to_datetime(timestamp);
    let month = u8::try_from(local.month()).ok()?;
    Some((i32::from(local.year()), month))
}

/// `year * 12 + month - 1`, the value of the `year_month` column.
pub(crate) fn year_month_key(year: i32, month: u8) -> Option<u64> {
    let year = u64::try_from(year).ok()?;
    Some(year * 12 + u64::from(month.clamp(1, 12)) - 1)
}

pub(crate) fn split_year_month(key: u64) -> (i32, u8) {
    let year = i32::try_from(key / 12).unwrap_or(i32::MAX);
    // key % 12 is below 12, so the cast cannot truncate.
    (year, (key % 12) as u8 + 1)
}

/// Words a leader value is searchable by. The synonyms table adds the
/// abbreviations (gub, wagub, ...) at query time.
fn leader_words(leader: &str) -> &str {
    match leader {
        "gubernur" => "gubernur",
        "wakil_gubernur" => "wakil gubernur",
        "sekda" => "sekda",
        "kadis" => "kadis",
        _ => "",
    }
}

/// Words a kind is searchable by, in English (the enum) and Indonesian.
fn kind_words(kind: &str) -> &str {
    match kind {
        "photo" => "photo foto",
        "raw" => "raw foto",
        "video" => "video",
        "audio" => "audio",
        "document" => "document dokumen",
        _ => "",
    }
}

pub(crate) fn to_document(fields: &Fields, doc: &SearchDoc) -> TantivyDocument {
    let mut d = TantivyDocument::new();
    d.add_text(fields.id, &doc.id);
    d.add_u64(fields.id_key, id_key(&doc.id));
    // Blank values are left out, so they never show up as a facet "".
    let kind = normalize_keyword(&doc.kind);
    let leader = doc.leader.as_deref().map(normalize_keyword);
    let keywords = [
        (fields.kind, Some(kind.clone())),
        (fields.status, Some(normalize_keyword(&doc.status))),
        (fields.leader, leader.clone()),
        (
            fields.photographer,
            doc.photographer.as_deref().map(|p| p.trim().to_owned()),
        ),
        (fields.camera, doc.camera.as_deref().map(normalize_camera)),
    ];
    for (field, value) in keywords {
        if let Some(value) = value.filter(|v| !v.is_empty()) {
            d.add_text(field, value);
        }
    }
    if let Some(assignment) = doc.assignment_id {
        d.add_i64(fields.assignment, assignment);
    }
    add_capture_time(fields, doc, &mut d);

    let mut add_text = |value: &str| {
        if !value.trim().is_empty() {
            d.add_text(fields.text, value);
            d.add_text(fields.text_exact, value);
        }
    };
    add_text(&doc.file_name);
    add_text(kind_words(&kind));
    add_text(leader.as_deref().map(leader_words).unwrap_or_default());
    for value in [
        &doc.camera,
        &doc.serial,
        &doc.photographer,
        &doc.drop_folder,
        &doc.assignment_title,
        &doc.event_title,
        &doc.place,
        &doc.caption,
    ] {
        add_text(value.as_deref().unwrap_or_default());
    }
    for keyword in &doc.keywords {
        add_text(keyword);
    }
    d
}

fn add_capture_time(fields: &Fields, doc: &SearchDoc, d: &mut TantivyDocument) {
    let Some(ms) = doc.captured_at_ms else {
        return;
    };
    d.add_i64(fields.captured_at, ms);
    if let Some((year, month)) = local_year_month(ms, doc.offset_seconds) {
        if let Some(key) = year_month_key(year, month) {
            d.add_u64(fields.year, key / 12);
            d.add_u64(fields.month, u64::from(month));
            d.add_u64(fields.year_month, key);
        }
    }
}

/// What each commit records besides the documents.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct Payload {
    pub schema: u32,
    /// [`super::analyzer::fingerprint`] of the analyzer the documents were
    /// indexed with; only a full rebuild changes it.
    pub analyzer: String,
    /// The caller's high-water mark (catalog sequence) as of this commit.
    pub watermark: Option<u64>,
}

impl Payload {
    pub fn parse(text: Option<&str>) -> Option<Payload> {
        serde_json::from_str(text?).ok()
    }

    pub fn to_json(&self) -> String {
        // Serializing a struct of plain fields cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn late_evening_utc_on_new_years_eve_is_january_in_wita() {
        // 2025-12-31T20:00:00Z
        let ms = 1_767_211_200_000;
        assert_eq!(local_year_month(ms, 8 * 3600), Some((2026, 1)));
        assert_eq!(local_year_month(ms, 0), Some((2025, 12)));
    }

    #[test]
    fn an_absurd_offset_gives_no_calendar_date() {
        assert_eq!(local_year_month(0, 100 * 3600), None);
    }

    #[test]
    fn year_month_keys_round_trip() {
        for (year, month) in [(1990, 1), (2025, 12), (2026, 1), (2100, 6)] {
            let key = year_month_key(year, month).unwrap();
            assert_eq!(split_year_month(key), (year, month));
        }
        assert_eq!(year_month_key(-5, 1), None);
    }

    #[test]
    fn hex_ids_key_on_their_prefix_and_others_on_a_hash() {
        assert_eq!(id_key("00000000000000ff0000"), 255);
        assert_ne!(id_key("not-hex"), id_key("not-hex2"));
        assert_eq!(id_key("é"), id_key("é"));
    }

    #[test]
    fn camera_names_normalise_case_and_spacing() {
        assert_eq!(normalize_camera("  Canon   EOS R6 "), "canon eos r6");
    }

    #[test]
    fn a_payload_round_trips_and_garbage_is_none() {
        let payload = Payload {
            schema: SCHEMA_VERSION,
            analyzer: "abc".into(),
            watermark: Some(7),
        };
        assert_eq!(Payload::parse(Some(&payload.to_json())), Some(payload));
        assert_eq!(Payload::parse(Some("{")), None);
        assert_eq!(Payload::parse(None), None);
    }
}
