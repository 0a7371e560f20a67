//! Is a file plausibly fully written? Used by ingest's settling logic before a file is
//! archived, so a card still being copied is not archived half-way.
//!
//! Each check looks only for the structure a writer produces last: JPEG's end-of-image
//! marker, PNG's IEND, an MP4's `moov` and complete top-level boxes, a TIFF's image data
//! lying inside the file. It does not validate pixel data; `metadata` reports damage it
//! meets on its own.

use std::fs::File;
use std::io::{self, BufReader, Seek, SeekFrom};
use std::path::Path;

use super::bytes::Endian;
use super::format::{self, Format};
use super::{bmff, bytes, jpeg, raw, small, Kind};

/// The verdict on a file's completeness.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Completeness {
    Complete,
    /// The reason in words, e.g. "JPEG has no end-of-image marker".
    Incomplete(String),
    /// No check exists for this kind or format.
    NotChecked,
}

/// TIFF prefix read for the directory checks.
const TIFF_PREFIX: u64 = 1 << 20;

/// Checks whether the file at `path` looks completely written.
///
/// Blocking; bounded memory. A JPEG is read sequentially to its end-of-image marker;
/// other formats need only their headers and box/chunk structure. The format is taken
/// from the content; a file of a checked kind whose content is unrecognised is
/// `Incomplete` (a file being written may still be all zeros). Documents, other files,
/// and formats without a check (FLAC, MPEG-TS, MXF, MP3, AAC) are `NotChecked`.
pub fn completeness(path: &Path, kind: Kind) -> io::Result<Completeness> {
    if matches!(kind, Kind::Document | Kind::Other) {
        return Ok(Completeness::NotChecked);
    }
    completeness_of(File::open(path)?, path, kind)
}

/// [`completeness`] of a file the caller already opened (and checked: ingest opens
/// without following links), so the bytes judged are those of that very file.
/// `name` only tells the extension. Reads from the file's start.
pub fn completeness_of(mut file: File, name: &Path, kind: Kind) -> io::Result<Completeness> {
    if matches!(kind, Kind::Document | Kind::Other) {
        return Ok(Completeness::NotChecked);
    }
    let path = name;
    file.seek(SeekFrom::Start(0))?;
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(Completeness::Incomplete("empty file".into()));
    }
    let head = bytes::read_up_to(&mut file, format::SNIFF_LEN as u64)?;
    file.seek(SeekFrom::Start(0))?;
    let verdict = match format::sniff(&head) {
        Format::Jpeg => jpeg::check_structure(&mut BufReader::new(file))?,
        Format::Png => small::check_png(&mut file, len)?,
        Format::Tiff | Format::Orf | Format::Rw2 => tiff(&mut file, len)?,
        Format::Raf => raf(&mut file, len)?,
        Format::Bmff(family) => bmff::check_top_level(&mut file, len, family)?,
        Format::WebP | Format::Wav | Format::Avi => riff(&head, len),
        Format::Flac => return Ok(Completeness::NotChecked),
        Format::Unknown if format::has_no_parser(path) => return Ok(Completeness::NotChecked),
        Format::Unknown => Err("content is not a recognised image or video format".into()),
    };
    Ok(match verdict {
        Ok(()) => Completeness::Complete,
        Err(reason) => Completeness::Incomplete(reason),
    })
}

/// TIFF/RAW: IFD0 lies inside the file, and so does the image data its directories
/// point at (a RAW's sensor data is written last).
fn tiff(file: &mut File, len: u64) -> io::Result<Result<(), String>> {
    let buf = bytes::read_up_to(file, TIFF_PREFIX)?;
    let ifd0 = match Endian::from_tiff_mark(&buf).and_then(|e| e.u32(&buf, 4)) {
        Some(ifd0) => u64::from(ifd0),
        None => return Ok(Err("TIFF header is cut off".into())),
    };
    if ifd0 < 8 || ifd0 + 2 > len {
        return Ok(Err("TIFF's first directory lies outside the file".into()));
    }
    if raw::data_end(&buf).is_some_and(|end| end > len) {
        return Ok(Err(
            "TIFF image data extends past the end of the file".into()
        ));
    }
    Ok(Ok(()))
}

/// RAF: the embedded JPEG and the CFA data both lie inside the file.
fn raf(file: &mut File, len: u64) -> io::Result<Result<(), String>> {
    let Some(layout) = raw::raf_layout(file)? else {
        return Ok(Err("RAF header is cut off".into()));
    };
    let inside = |(offset, size): (u64, u64)| offset.saturating_add(size) <= len;
    Ok(if inside(layout.jpeg) && inside(layout.cfa) {
        Ok(())
    } else {
        Err("RAF data extends past the end of the file".into())
    })
}

/// RIFF (WebP, WAV, AVI): the declared RIFF size fits in the file.
fn riff(head: &[u8], len: u64) -> Result<(), String> {
    match bytes::le_u32(head, 4) {
        Some(size) if u64::from(size) + 8 <= len => Ok(()),
        _ => Err("RIFF data extends past the end of the file".into()),
    }
}
