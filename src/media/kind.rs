//! What sort of media a file is, decided from its name alone.
//!
//! Owns the extension table and the folder names of the archive (`Kind::as_str`).
//! It does not look inside files: content sniffing lives with the parsers.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

/// The coarse class of a file, which picks the parser and the archive folder.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    Photo,
    Raw,
    Video,
    Audio,
    Document,
    Other,
}

/// A string that names no [`Kind`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown media kind {0:?}")]
pub struct UnknownKind(pub String);

impl Kind {
    pub const ALL: [Kind; 6] = [
        Kind::Photo,
        Kind::Raw,
        Kind::Video,
        Kind::Audio,
        Kind::Document,
        Kind::Other,
    ];

    /// Classifies by extension, case-insensitively. Sidecars (`.xmp`, `.thm`) and
    /// files without an extension are `Other`.
    pub fn from_path(path: &Path) -> Kind {
        path.extension()
            .and_then(|ext| ext.to_str())
            .map_or(Kind::Other, Kind::from_extension)
    }

    /// Classifies an extension given without the dot, case-insensitively.
    pub fn from_extension(ext: &str) -> Kind {
        match ext.to_ascii_lowercase().as_str() {
            "jpg" | "jpeg" | "jpe" | "heic" | "heif" | "hif" | "png" | "tif" | "tiff" | "webp" => {
                Kind::Photo
            }
            "cr2" | "cr3" | "nef" | "nrw" | "arw" | "dng" | "raf" | "orf" | "rw2" | "pef"
            | "srw" => Kind::Raw,
            "mp4" | "mov" | "m4v" | "mts" | "m2ts" | "mxf" | "avi" | "3gp" => Kind::Video,
            "wav" | "mp3" | "m4a" | "aac" | "flac" => Kind::Audio,
            "txt" | "docx" | "doc" | "pdf" | "xlsx" | "pptx" | "odt" => Kind::Document,
            _ => Kind::Other,
        }
    }

    /// The lower-case name, also used as the archive folder name.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Photo => "photo",
            Kind::Raw => "raw",
            Kind::Video => "video",
            Kind::Audio => "audio",
            Kind::Document => "document",
            Kind::Other => "other",
        }
    }
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Kind {
    type Err = UnknownKind;

    /// Parses the names that [`Kind::as_str`] produces (exactly, lower case).
    fn from_str(s: &str) -> Result<Kind, UnknownKind> {
        Kind::ALL
            .into_iter()
            .find(|kind| kind.as_str() == s)
            .ok_or_else(|| UnknownKind(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_are_case_insensitive() {
        assert_eq!(
            Kind::from_path(Path::new("/card/DCIM/IMG_0001.JPG")),
            Kind::Photo
        );
        assert_eq!(Kind::from_path(Path::new("a.Cr3")), Kind::Raw);
        assert_eq!(Kind::from_path(Path::new("clip.MOV")), Kind::Video);
        assert_eq!(Kind::from_path(Path::new("memo.m4a")), Kind::Audio);
        assert_eq!(Kind::from_path(Path::new("surat.PDF")), Kind::Document);
    }

    #[test]
    fn sidecars_and_bare_names_are_other() {
        assert_eq!(Kind::from_path(Path::new("IMG_0001.xmp")), Kind::Other);
        assert_eq!(Kind::from_path(Path::new("MVI_0001.THM")), Kind::Other);
        assert_eq!(Kind::from_path(Path::new("README")), Kind::Other);
        assert_eq!(Kind::from_path(Path::new(".jpg")), Kind::Other);
    }

    #[test]
    fn names_round_trip() {
        for kind in Kind::ALL {
            assert_eq!(kind.as_str().parse::<Kind>(), Ok(kind));
            assert_eq!(
                serde_json::to_string(&kind).ok(),
                Some(format!("\"{}\"", kind.as_str()))
            );
        }
        assert!("Photo".parse::<Kind>().is_err());
    }
}
