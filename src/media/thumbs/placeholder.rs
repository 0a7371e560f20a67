//! Static placeholder images (SVG, 320 x 240, labels in Bahasa Indonesia) for files with
//! no thumbnail yet or none at all, and for damaged files.

use crate::media::Kind;

/// The content type of every placeholder.
pub const PLACEHOLDER_CONTENT_TYPE: &str = "image/svg+xml";

/// One SVG: a grey card, a glyph and a label. Built at compile time from the pieces.
macro_rules! card {
    ($fill:literal, $glyph:literal, $label:literal) => {
        concat!(
            r##"<svg xmlns="http://www.w3.org/2000/svg" width="320" height="240" viewBox="0 0 320 240">"##,
            r##"<rect width="320" height="240" fill=""##,
            $fill,
            r##""/>"##,
            r##"<g fill="none" stroke="#ffffff" stroke-width="6" stroke-linejoin="round" stroke-linecap="round" opacity="0.9">"##,
            $glyph,
            r##"</g><text x="160" y="206" text-anchor="middle" font-family="sans-serif" font-size="22" font-weight="bold" fill="#ffffff">"##,
            $label,
            r##"</text></svg>"##
        )
    };
}

const PHOTO: &str = card!(
    "#5b6b7a",
    r##"<rect x="110" y="70" width="100" height="76" rx="8"/><circle cx="160" cy="108" r="20"/><path d="M135 70l8-12h34l8 12"/>"##,
    "FOTO"
);
const RAW: &str = card!(
    "#6a5b7a",
    r##"<rect x="110" y="70" width="100" height="76" rx="8"/><circle cx="160" cy="108" r="20"/><path d="M135 70l8-12h34l8 12"/>"##,
    "RAW"
);
const VIDEO: &str = card!(
    "#7a5b5b",
    r##"<rect x="100" y="72" width="84" height="68" rx="8"/><path d="M184 96l36-20v60l-36-20z"/>"##,
    "VIDEO"
);
const AUDIO: &str = card!(
    "#5b7a6a",
    r##"<path d="M130 140v-60l60-12v60"/><circle cx="120" cy="140" r="12"/><circle cx="180" cy="128" r="12"/>"##,
    "AUDIO"
);
const DOCUMENT: &str = card!(
    "#7a735b",
    r##"<path d="M124 56h52l24 24v80h-76z"/><path d="M176 56v24h24M140 110h40M140 130h40"/>"##,
    "DOKUMEN"
);
const OTHER: &str = card!(
    "#6b6b6b",
    r##"<path d="M124 56h52l24 24v80h-76z"/><path d="M176 56v24h24"/>"##,
    "BERKAS"
);
const DAMAGED: &str = card!(
    "#8a3b3b",
    r##"<path d="M160 56l56 100h-112z"/><path d="M160 92v30M160 138v2"/>"##,
    "RUSAK"
);

/// The placeholder for `kind` ([`PLACEHOLDER_CONTENT_TYPE`]).
pub fn placeholder(kind: Kind) -> &'static [u8] {
    match kind {
        Kind::Photo => PHOTO,
        Kind::Raw => RAW,
        Kind::Video => VIDEO,
        Kind::Audio => AUDIO,
        Kind::Document => DOCUMENT,
        Kind::Other => OTHER,
    }
    .as_bytes()
}

/// The placeholder for a file whose thumbnail failed because the file itself is at
/// fault ([`super::ThumbError::is_content_error`]).
pub fn damaged_placeholder() -> &'static [u8] {
    DAMAGED.as_bytes()
}
