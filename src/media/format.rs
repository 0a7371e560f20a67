//! Recognises a container format from a file's first bytes.
//!
//! Content, not the extension, decides which parser runs: cards hold HEIC files named
//! `.jpg`, and RAW extensions hide several container families.

/// How many leading bytes [`sniff`] wants to see.
pub(crate) const SNIFF_LEN: usize = 256;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Jpeg,
    Png,
    /// TIFF and TIFF-based RAW (CR2, NEF, ARW, DNG, PEF, SRW, ...).
    Tiff,
    /// Olympus ORF: TIFF structure with magic `RO`/`SR` instead of 42.
    Orf,
    /// Panasonic RW2: TIFF structure with magic 0x55.
    Rw2,
    /// Fujifilm RAF.
    Raf,
    /// ISO base media file (MP4, MOV, 3GP, M4A, HEIF, CR3).
    Bmff(Bmff),
    WebP,
    Wav,
    Avi,
    Flac,
    Unknown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Bmff {
    /// HEIF/HEIC/AVIF still images: metadata in the `meta` box.
    Heif,
    /// Canon CR3: EXIF in `moov/uuid/CMT*` boxes.
    Cr3,
    /// Movies and audio: metadata in `moov`.
    Movie,
}

const HEIF_BRANDS: [&[u8; 4]; 10] = [
    b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif", b"avis",
];

/// Top-level QuickTime atoms that may open a `.mov` written without `ftyp`.
const QUICKTIME_FIRST_ATOMS: [&[u8; 4]; 6] = [b"moov", b"mdat", b"wide", b"free", b"skip", b"pnot"];

/// Extensions of containers we have no parser for (MPEG-TS, MXF, MP3, AAC): their
/// content is never judged.
pub(crate) fn has_no_parser(path: &std::path::Path) -> bool {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or_default();
    ["mts", "m2ts", "mxf", "mp3", "aac"]
        .iter()
        .any(|e| ext.eq_ignore_ascii_case(e))
}

pub(crate) fn sniff(head: &[u8]) -> Format {
    let at = |range: std::ops::Range<usize>| head.get(range).unwrap_or_default();
    if super::jpeg::is_jpeg(head) {
        Format::Jpeg
    } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
        Format::Png
    } else if matches!(at(0..4), b"II*\0" | b"MM\0*") {
        Format::Tiff
    } else if matches!(at(0..4), b"IIRO" | b"IIRS" | b"MMOR") {
        Format::Orf
    } else if at(0..4) == b"IIU\0" {
        Format::Rw2
    } else if head.starts_with(b"FUJIFILMCCD-RAW") {
        Format::Raf
    } else if at(4..8) == b"ftyp" {
        Format::Bmff(bmff_family(head))
    } else if QUICKTIME_FIRST_ATOMS.iter().any(|a| at(4..8) == *a) {
        Format::Bmff(Bmff::Movie)
    } else if at(0..4) == b"RIFF" {
        match at(8..12) {
            b"WEBP" => Format::WebP,
            b"WAVE" => Format::Wav,
            b"AVI " => Format::Avi,
            _ => Format::Unknown,
        }
    } else if head.starts_with(b"fLaC") {
        Format::Flac
    } else {
        Format::Unknown
    }
}

/// Reads the major and compatible brands of the `ftyp` box at the start of `head`.
fn bmff_family(head: &[u8]) -> Bmff {
    let size = super::bytes::be_u32(head, 0).map_or(0, |s| s as usize);
    let end = size.clamp(16, head.len().max(16)).min(head.len());
    let major = head.get(8..12);
    if major == Some(b"crx ") {
        return Bmff::Cr3;
    }
    let mut brands = std::iter::once(major)
        .chain((16..end).step_by(4).map(|i| head.get(i..i + 4)))
        .flatten();
    if brands.any(|b| HEIF_BRANDS.iter().any(|h| b == *h)) {
        Bmff::Heif
    } else {
        Bmff::Movie
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recognises_common_starts() {
        assert_eq!(sniff(b"\xff\xd8\xff\xe1"), Format::Jpeg);
        assert_eq!(sniff(b"II*\0\x08\0\0\0"), Format::Tiff);
        assert_eq!(sniff(b"IIU\0\x08\0\0\0"), Format::Rw2);
        assert_eq!(
            sniff(b"\0\0\0\x18ftypheic\0\0\0\0mif1heic"),
            Format::Bmff(Bmff::Heif)
        );
        assert_eq!(
            sniff(b"\0\0\0\x18ftypcrx \0\0\0\x01crx isom"),
            Format::Bmff(Bmff::Cr3)
        );
        assert_eq!(
            sniff(b"\0\0\0\x14ftypqt  \0\0\0\0qt  "),
            Format::Bmff(Bmff::Movie)
        );
        assert_eq!(sniff(b"\0\0\0\x08wide"), Format::Bmff(Bmff::Movie));
        assert_eq!(sniff(b"RIFF\0\0\0\0WAVEfmt "), Format::Wav);
        assert_eq!(sniff(b""), Format::Unknown);
        assert_eq!(sniff(b"\0\0\0\x05ftyp"), Format::Bmff(Bmff::Movie));
    }
}
