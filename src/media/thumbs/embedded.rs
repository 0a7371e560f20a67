//! The JPEG previews that cameras embed in RAW files, found without developing the RAW.
//!
//! Candidates, by family: every IFD of a TIFF-based RAW (CR2, NEF, ARW, DNG, PEF, ...)
//! with `JPEGInterchangeFormat`/`Length` or a single JPEG-compressed strip; RW2's
//! `JpgFromRaw` (tag 0x2E); ORF's preview in the Olympus CameraSettings maker note;
//! RAF's header pointer; CR3's `PRVW` box. Each candidate's own frame header decides its
//! size, and the largest that decodes wins. Directories are read from a capped prefix
//! (as `raw` does); the chosen JPEG alone is read from further in.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::path::Path;

use super::super::bytes::{self, be_u32, be_u64};
use super::super::format::{self, Bmff, Format};
use super::super::ifd::Tiff;
use super::super::raw::{raf_layout, walk_ifds};
use super::{decode, render, Derived, Limits, ThumbError};

/// Where RAW directories are looked for: real files keep them in the first MiB.
const PREFIX: u64 = 1 << 20;
/// Candidates whose frame header is read; real files have two to four.
const MAX_CANDIDATES: usize = 16;

const COMPRESSION: u16 = 0x0103;
const STRIP_OFFSETS: u16 = 0x0111;
const STRIP_BYTE_COUNTS: u16 = 0x0117;
const JPEG_OFFSET: u16 = 0x0201;
const JPEG_LENGTH: u16 = 0x0202;
const RW2_JPG_FROM_RAW: u16 = 0x002e;
const EXIF_IFD: u16 = 0x8769;
const MAKER_NOTE: u16 = 0x927c;

/// Canon's CR3 preview box: a top-level `uuid` with this user type holds `PRVW`.
const CR3_PREVIEW_UUID: [u8; 16] = [
    0xea, 0xf4, 0x2b, 0x5e, 0x1c, 0x98, 0x4b, 0x88, 0xb9, 0xfb, 0xb7, 0xdc, 0x40, 0x6e, 0x4d, 0x16,
];

/// A JPEG stream inside the file: `len` bytes at `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Extent {
    offset: u64,
    len: u64,
}

/// Thumbnail and preview from the largest embedded JPEG that decodes. The RAW's
/// `orientation` applies (embedded previews are stored unrotated).
pub(super) fn derive(
    path: &Path,
    file: &mut File,
    orientation: u16,
    limits: &Limits,
) -> Result<Derived, ThumbError> {
    let io_err = |source| ThumbError::Io {
        path: path.to_owned(),
        source,
    };
    let file_len = file.metadata().map_err(io_err)?.len();
    let extents = candidates(file).map_err(io_err)?;
    let mut ranked = Vec::new();
    for extent in extents.into_iter().take(MAX_CANDIDATES) {
        if extent.len < 4 || extent.offset.saturating_add(extent.len) > file_len {
            continue;
        }
        file.seek(SeekFrom::Start(extent.offset)).map_err(io_err)?;
        let mut r = BufReader::with_capacity(8 << 10, file.take(extent.len));
        if let Ok(frame) = decode::read_frame(&mut r) {
            ranked.push((frame, extent));
        }
    }
    ranked.sort_by_key(|(frame, _)| std::cmp::Reverse(frame.area()));
    let mut last = ThumbError::NoPreview("no embedded JPEG preview was found".into());
    for (_, extent) in ranked {
        match preview_from(path, file, extent, orientation, limits) {
            Ok(derived) => return Ok(derived),
            Err(e @ ThumbError::Io { .. }) => return Err(e),
            Err(e) => last = e,
        }
    }
    Err(match last {
        ThumbError::Undecodable(why) => ThumbError::NoPreview(why),
        other => other,
    })
}

fn preview_from(
    path: &Path,
    file: &mut File,
    extent: Extent,
    orientation: u16,
    limits: &Limits,
) -> Result<Derived, ThumbError> {
    if extent.len > limits.max_alloc {
        return Err(ThumbError::NoPreview(format!(
            "the embedded preview is {} MiB, over the {} MiB limit",
            extent.len >> 20,
            limits.max_alloc >> 20
        )));
    }
    let io_err = |source| ThumbError::Io {
        path: path.to_owned(),
        source,
    };
    let bytes = bytes::read_at(file, extent.offset, extent.len)
        .map_err(io_err)?
        .ok_or_else(|| ThumbError::NoPreview("the embedded preview is cut off".into()))?;
    // A RAW's preview is never what the viewer can show instead of the file.
    let source = decode::jpeg_bytes(bytes, limits, false)?;
    render::derive(source, orientation)
}

/// Every embedded JPEG the file's structure points at, by family.
fn candidates(file: &mut File) -> io::Result<Vec<Extent>> {
    file.seek(SeekFrom::Start(0))?;
    let prefix = bytes::read_up_to(file, PREFIX)?;
    Ok(match format::sniff(&prefix) {
        Format::Raf => raf_layout(file)?
            .map(|l| Extent {
                offset: l.jpeg.0,
                len: l.jpeg.1,
            })
            .into_iter()
            .collect(),
        Format::Bmff(Bmff::Cr3) => cr3_preview(file)?.into_iter().collect(),
        Format::Tiff | Format::Orf | Format::Rw2 => tiff_candidates(&prefix),
        _ => Vec::new(),
    })
}

/// Candidates in a TIFF-structured prefix (offsets from the file start).
fn tiff_candidates(prefix: &[u8]) -> Vec<Extent> {
    let Some((tiff, ifd0)) = Tiff::from_header(prefix) else {
        return Vec::new();
    };
    let mut found = Vec::new();
    let uint = |ifd, tag| tiff.find(ifd, tag).and_then(|e| tiff.uint(&e, 0));
    walk_ifds(&tiff, ifd0, |ifd| {
        if let (Some(offset), Some(len)) = (uint(ifd, JPEG_OFFSET), uint(ifd, JPEG_LENGTH)) {
            found.push(extent(offset, len));
        }
        // Old-style JPEG (6) and JPEG (7) in one strip: CR2's full-size preview, DNG
        // previews. Lossless raw strips are dropped later by their frame header.
        if matches!(uint(ifd, COMPRESSION), Some(6 | 7)) {
            let offsets = tiff.find(ifd, STRIP_OFFSETS).map(|e| tiff.uints(&e));
            let counts = tiff.find(ifd, STRIP_BYTE_COUNTS).map(|e| tiff.uints(&e));
            if let (Some([offset]), Some([len])) = (offsets.as_deref(), counts.as_deref()) {
                found.push(extent(*offset, *len));
            }
        }
    });
    if let Some(e) = tiff.find(ifd0, RW2_JPG_FROM_RAW) {
        if let Some(offset) = tiff.offset_field(&e) {
            found.push(extent(offset as u32, e.count));
        }
    }
    found.extend(olympus_preview(&tiff, ifd0));
    found
}

fn extent(offset: u32, len: u32) -> Extent {
    Extent {
        offset: u64::from(offset),
        len: u64::from(len),
    }
}

/// ORF: IFD0 -> EXIF IFD -> Olympus maker note (`OLYMPUS\0II\3\0`, IFD at 12, offsets
/// relative to the note) -> CameraSettings (0x2020) -> PreviewImageStart/Length.
fn olympus_preview(tiff: &Tiff<'_>, ifd0: usize) -> Option<Extent> {
    let exif = tiff.find(ifd0, EXIF_IFD).and_then(|e| tiff.uint(&e, 0))?;
    let entry = tiff.find(exif as usize, MAKER_NOTE)?;
    let note_at = tiff.offset_field(&entry)?;
    let note = tiff.value(&entry)?;
    let (order_at, first_ifd) = if note.starts_with(b"OLYMPUS\0") {
        (8, 12)
    } else if note.starts_with(b"OM SYSTEM\0") {
        (12, 16)
    } else {
        return None;
    };
    let endian = note
        .get(order_at..)
        .and_then(bytes::Endian::from_tiff_mark)?;
    let note_tiff = Tiff::new(note, endian);
    let settings = note_tiff
        .find(first_ifd, 0x2020)
        .and_then(|e| note_tiff.offset_field(&e))?;
    let value = |tag| {
        note_tiff
            .find(settings, tag)
            .and_then(|e| note_tiff.uint(&e, 0))
    };
    let (start, len) = (value(0x0101)?, value(0x0102)?);
    Some(Extent {
        offset: (note_at as u64).checked_add(u64::from(start))?,
        len: u64::from(len),
    })
}

/// CR3: the top-level `uuid` box with [`CR3_PREVIEW_UUID`] holds, after 8 bytes, a
/// `PRVW` box: 4 unknown bytes, u16 unknown, u16 width, u16 height, u16 unknown, u32
/// JPEG length, then the JPEG (about 1620 x 1080, the camera's own preview size).
fn cr3_preview(file: &mut File) -> io::Result<Option<Extent>> {
    let len = file.metadata()?.len();
    let mut pos = 0u64;
    for _ in 0..64 {
        let Some(head) = bytes::read_at(file, pos, 32.min(len.saturating_sub(pos)))? else {
            return Ok(None);
        };
        let (size, header) = match be_u32(&head, 0) {
            Some(1) => (be_u64(&head, 8).unwrap_or(0), 16),
            Some(0) => (len - pos, 8),
            Some(n) => (u64::from(n), 8),
            None => return Ok(None),
        };
        let Some(end) = pos.checked_add(size).filter(|&e| size >= 8 && e <= len) else {
            return Ok(None);
        };
        let user_type = head.get(header..header + 16);
        if head.get(4..8) == Some(b"uuid") && user_type == Some(&CR3_PREVIEW_UUID[..]) {
            return prvw(file, pos + header as u64 + 16, end);
        }
        pos = end;
    }
    Ok(None)
}

fn prvw(file: &mut File, at: u64, end: u64) -> io::Result<Option<Extent>> {
    // 8 unknown bytes, then the PRVW box header and its 16-byte preamble.
    let Some(b) = bytes::read_at(file, at, 8 + 8 + 16)? else {
        return Ok(None);
    };
    if b.get(12..16) != Some(b"PRVW") {
        return Ok(None);
    }
    let Some(jpeg_len) = be_u32(&b, 8 + 8 + 12) else {
        return Ok(None);
    };
    let offset = at + 8 + 8 + 16;
    let len = u64::from(jpeg_len).min(end.saturating_sub(offset));
    Ok(Some(Extent { offset, len }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hostile_tiff_prefixes_give_no_candidates_and_no_panic() {
        assert!(tiff_candidates(b"II*\0\xff\xff\xff\xff").is_empty());
        assert!(tiff_candidates(b"MM\0*\0\0\0\x08\xff\xff").is_empty());
        assert!(tiff_candidates(b"").is_empty());
    }

    #[test]
    fn a_jpeg_interchange_pair_is_a_candidate() {
        // IFD0 at 8 with JPEGInterchangeFormat = 100, Length = 50.
        let mut t = b"II*\0\x08\0\0\0".to_vec();
        t.extend_from_slice(&2u16.to_le_bytes());
        t.extend_from_slice(&[0x01, 0x02, 4, 0, 1, 0, 0, 0, 100, 0, 0, 0]);
        t.extend_from_slice(&[0x02, 0x02, 4, 0, 1, 0, 0, 0, 50, 0, 0, 0]);
        t.extend_from_slice(&0u32.to_le_bytes());
        assert_eq!(
            tiff_candidates(&t),
            vec![Extent {
                offset: 100,
                len: 50
            }]
        );
    }
}
