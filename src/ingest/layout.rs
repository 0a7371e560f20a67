//! The archive layout of the contract:
//! `<YYYY>/<MM>/<YYYY-MM-DD>_<assignment-slug|untagged>/<kind>/<original file name>`,
//! with `_<first 8 hex of blake3>` before the extension when the name is taken.
//! Pure path arithmetic; no I/O.

use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::PathBuf;

use crate::media::Kind;

/// Where matching put a file: an assignment's folder or the untagged one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Placement {
    Untagged,
    /// The assignment's folder label (made safe by [`slug`]) and its event's
    /// day: every file of an assignment sits in one folder.
    Assignment {
        slug: String,
        date: jiff::civil::Date,
    },
}

/// The folder, relative to the archive root, for a file of `kind` captured on
/// `date` (a calendar day in the configured zone).
pub fn folder(date: jiff::civil::Date, placement: &Placement, kind: Kind) -> PathBuf {
    let (date, label) = match placement {
        Placement::Untagged => (date, "untagged"),
        Placement::Assignment { slug, date } => (*date, slug.as_str()),
    };
    PathBuf::from(format!("{:04}", date.year()))
        .join(format!("{:02}", date.month()))
        .join(format!("{date}_{label}"))
        .join(kind.as_str())
}

/// The calendar day of a capture in the configured zone (folders follow WITA
/// days); today for a file with no time at all.
pub fn day_of(captured: Option<jiff::Timestamp>, zone: jiff::tz::Offset) -> jiff::civil::Date {
    zone.to_datetime(captured.unwrap_or_else(jiff::Timestamp::now))
        .date()
}

/// The longest file name Linux file systems take, in bytes.
const NAME_MAX: usize = 255;

/// `IMG_0001.JPG` -> `IMG_0001_0123abcd.JPG`: the name used when the plain one is
/// taken by different content. Works on raw bytes, so odd names survive. The result
/// never exceeds 255 bytes: a long stem is cut (never inside a UTF-8 character) so
/// the hash and the extension still fit.
pub fn with_hash_suffix(name: &OsStr, id: &str) -> OsString {
    let bytes = name.as_bytes();
    let short = &id.as_bytes()[..id.len().min(8)];
    // A leading dot is part of the stem (".hidden" has no extension).
    let mut split = bytes
        .iter()
        .rposition(|&b| b == b'.')
        .filter(|&i| i > 0)
        .unwrap_or(bytes.len());
    if bytes.len() - split + 1 + short.len() >= NAME_MAX {
        // An "extension" too long to keep is part of the stem.
        split = bytes.len();
    }
    let ext = &bytes[split..];
    let room = NAME_MAX - 1 - short.len() - ext.len();
    let mut cut = split.min(room);
    while cut > 0 && cut < split && bytes[cut] & 0xc0 == 0x80 {
        cut -= 1;
    }
    let mut out = bytes[..cut].to_vec();
    out.push(b'_');
    out.extend_from_slice(short);
    out.extend_from_slice(ext);
    OsString::from_vec(out)
}

/// A folder-safe slug: lowercase ASCII letters, digits and dashes.
pub fn slug(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars().flat_map(char::to_lowercase) {
        if c.is_ascii_alphanumeric() {
            out.push(c);
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    let trimmed = out.trim_end_matches('-');
    let mut s: String = trimmed.chars().take(60).collect();
    if s.is_empty() {
        s.push_str("liputan");
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folders_follow_the_contract() {
        let d = jiff::civil::date(2026, 11, 26);
        assert_eq!(
            folder(d, &Placement::Untagged, Kind::Photo),
            PathBuf::from("2026/11/2026-11-26_untagged/photo")
        );
        let p = Placement::Assignment {
            slug: slug("Kunjungan Gubernur ke Tarakan!"),
            date: d,
        };
        assert_eq!(
            folder(d, &p, Kind::Video),
            PathBuf::from("2026/11/2026-11-26_kunjungan-gubernur-ke-tarakan/video")
        );
    }

    #[test]
    fn the_hash_goes_before_the_extension() {
        let id = "0123abcd99";
        assert_eq!(
            with_hash_suffix(OsStr::new("IMG_0001.JPG"), id),
            "IMG_0001_0123abcd.JPG"
        );
        assert_eq!(
            with_hash_suffix(OsStr::new("README"), id),
            "README_0123abcd"
        );
        assert_eq!(
            with_hash_suffix(OsStr::new(".hidden"), id),
            ".hidden_0123abcd"
        );
        assert_eq!(
            with_hash_suffix(OsStr::new("a.tar.gz"), id),
            "a.tar_0123abcd.gz"
        );
        let long = format!("{}.jpg", "a".repeat(251));
        let suffixed = with_hash_suffix(OsStr::new(&long), id);
        assert_eq!(suffixed.len(), 255);
        assert!(suffixed.to_str().unwrap().ends_with("a_0123abcd.jpg"));
        let wide = format!("x{}.jpg", "\u{e9}".repeat(125));
        let suffixed = with_hash_suffix(OsStr::new(&wide), id);
        assert!(suffixed.len() <= 255);
        assert!(suffixed
            .to_str()
            .expect("cut at a character boundary")
            .ends_with("_0123abcd.jpg"));
        let no_ext = "b".repeat(255);
        let suffixed = with_hash_suffix(OsStr::new(&no_ext), id);
        assert_eq!(suffixed.len(), 255);
        let long_ext = format!("c.{}", "d".repeat(253));
        assert_eq!(with_hash_suffix(OsStr::new(&long_ext), id).len(), 255);
        let odd = OsStr::from_bytes(b"caf\xe9.jpg");
        assert_eq!(
            with_hash_suffix(odd, id).as_bytes(),
            b"caf\xe9_0123abcd.jpg"
        );
    }
}
