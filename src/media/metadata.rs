//! The metadata we keep for a media file, and [`read_metadata`], which picks a parser
//! by the file's content and never fails.
//!
//! This module owns the result types and the dispatch; the parsing itself lives in the
//! format modules beside it (`jpeg`, `raw`, `bmff`, `small`) and in `tags`, which turns
//! EXIF fields into [`Metadata`]. It does not fall back to the file's mtime: the caller
//! does that with [`TimeSource::FileMtime`].

use std::fs::File;
use std::io::{self, BufReader, Seek, SeekFrom};
use std::path::Path;

use jiff::civil::DateTime;
use jiff::tz::Offset;
use jiff::Timestamp;

use super::format::{self, Bmff, Format};
use super::{bmff, bytes, jpeg, raw, small, tags, xmp, Kind};

/// What a media file says about itself. Every field is optional: a file gives what it
/// has.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Metadata {
    pub captured_at: Option<CaptureTime>,
    /// Trimmed of spaces and NULs, otherwise as the camera wrote it.
    pub make: Option<String>,
    pub model: Option<String>,
    /// Body serial number, trimmed; `None` when absent, empty or all zeros.
    pub serial: Option<String>,
    pub lens: Option<String>,
    pub gps: Option<Gps>,
    /// EXIF orientation, 1..=8, when the file has the tag.
    pub orientation: Option<u16>,
    /// Pixel size of the main image as stored (before orientation is applied).
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub duration_ms: Option<u64>,
    /// EXIF ImageDescription, unless it is a camera's placeholder ("OLYMPUS
    /// DIGITAL CAMERA"). Untrusted text: the panel escapes it.
    #[serde(default)]
    pub description: Option<String>,
    /// Set when the file is structurally broken (for example cut short): the reason.
    pub damaged: Option<String>,
}

/// When a file was captured.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct CaptureTime {
    /// The instant.
    pub utc: Timestamp,
    /// The UTC offset of the local wall time the camera showed (for zone-less times,
    /// the configured zone they were read in).
    pub offset_seconds: i32,
    pub source: TimeSource,
}

/// Where a [`CaptureTime`] came from, from most to least trustworthy.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeSource {
    /// An EXIF date-time with its EXIF 2.31 offset tag.
    ExifWithOffset,
    /// An EXIF date-time without offset, read in the configured zone.
    ExifZoneless,
    /// A video/audio container's own time (QuickTime keys or `mvhd`).
    Container,
    /// The file's modification time (set by the caller, never by this module).
    FileMtime,
}

/// A position in decimal degrees (south and west negative), altitude in metres.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct Gps {
    pub lat: f64,
    pub lon: f64,
    pub alt: Option<f64>,
}

impl CaptureTime {
    /// The time in a fixed offset; `None` if `local` does not exist there (out of
    /// range).
    pub fn from_local(local: DateTime, offset: Offset, source: TimeSource) -> Option<CaptureTime> {
        Some(CaptureTime {
            utc: offset.to_timestamp(local).ok()?,
            offset_seconds: offset.seconds(),
            source,
        })
    }

    /// The UTC offset as a jiff value (UTC if the stored seconds are out of range).
    pub fn offset(&self) -> Offset {
        Offset::from_seconds(self.offset_seconds).unwrap_or(Offset::UTC)
    }

    /// The wall-clock time the camera showed.
    pub fn local(&self) -> DateTime {
        self.offset().to_datetime(self.utc)
    }
}

/// Reads what it can from the file at `path`. Never panics and never fails:
/// unreadable parts stay `None`, and structural breakage is described in `damaged`.
///
/// The parser is chosen by content (so a HEIC named `.jpg` still reads); `kind` only
/// rules out documents and other files, which are not opened. Memory is bounded: EXIF
/// comes from a capped prefix and containers are walked box by box, so a 4 GB video is
/// never loaded. Blocking: does file I/O. `zone` is the offset for zone-less times.
pub fn read_metadata(path: &Path, kind: Kind, zone: Offset) -> Metadata {
    let mut md = Metadata::default();
    if matches!(kind, Kind::Document | Kind::Other) {
        return md;
    }
    let result = File::open(path).and_then(|file| read_into(file, Some(path), zone, &mut md));
    if let Err(error) = result {
        // What was read before the error is kept; the caller sees missing fields.
        tracing::debug!(path = %path.display(), %error, "metadata read stopped early");
    }
    md
}

/// [`read_metadata`] on a file the caller already has open (so the bytes read are
/// those of the object that was opened and checked, whatever `name` points at by
/// now). `name` is the file's name, used only for its extension. Reads from the
/// start of the file whatever its position, and moves the position.
pub fn read_metadata_from(file: &File, name: &Path, kind: Kind, zone: Offset) -> Metadata {
    let mut md = Metadata::default();
    if matches!(kind, Kind::Document | Kind::Other) {
        return md;
    }
    // A clone shares the descriptor (and position) but can be owned by the readers.
    let result = file
        .try_clone()
        .and_then(|file| read_into(file, Some(name), zone, &mut md));
    if let Err(error) = result {
        tracing::debug!(%error, "metadata read stopped early");
    }
    md
}

fn read_into(
    mut file: File,
    path: Option<&Path>,
    zone: Offset,
    md: &mut Metadata,
) -> io::Result<()> {
    let len = file.metadata()?.len();
    if len == 0 {
        md.damaged = Some("empty file".into());
        return Ok(());
    }
    // From the start whatever the position of a file the caller passed: the
    // parsers below seek to 0 too, so the sniff must look at the same bytes.
    file.seek(SeekFrom::Start(0))?;
    let head = bytes::read_up_to(&mut file, format::SNIFF_LEN as u64)?;
    file.seek(SeekFrom::Start(0))?;
    match format::sniff(&head) {
        Format::Jpeg => read_jpeg(file, len, zone, md),
        f @ (Format::Tiff | Format::Orf | Format::Rw2) => {
            raw::read_tiff(&mut file, len, f, zone, md)
        }
        Format::Raf => raw::read_raf(&mut file, len, zone, md),
        Format::Bmff(Bmff::Movie) => bmff::read_movie(&mut file, len, zone, md),
        Format::Bmff(Bmff::Heif) => {
            bmff::read_heif_size(&mut file, len, md)?;
            container_exif(&mut file, zone, md)
        }
        Format::Bmff(Bmff::Cr3) => bmff::read_cr3(&mut file, len, zone, md),
        Format::Png => {
            small::read_png_size(&head, md);
            md.damaged = small::check_png(&mut file, len)?.err();
            container_exif(&mut file, zone, md)
        }
        Format::WebP => {
            small::read_webp_size(&mut file, md)?;
            container_exif(&mut file, zone, md)
        }
        Format::Wav => small::read_wav(&mut file, len, md),
        Format::Avi => small::read_avi(&mut file, md),
        Format::Flac => small::read_flac(&mut file, md),
        Format::Unknown => {
            md.damaged = path.and_then(unrecognised);
            Ok(())
        }
    }
}

/// Content we do not recognise, in a file whose extension names a format we parse,
/// is broken (or not what it claims); MPEG-TS, MXF, MP3 and AAC are simply unread.
fn unrecognised(path: &Path) -> Option<String> {
    let ext = path.extension()?.to_str()?.to_ascii_lowercase();
    (!format::has_no_parser(path)).then(|| format!("content is not a valid .{ext} file"))
}

/// Cap on what kamadak-exif's container readers (PNG, WebP, HEIF) may read.
const CONTAINER_LIMIT: u64 = 64 << 20;

fn container_exif(file: &mut File, zone: Offset, md: &mut Metadata) -> io::Result<()> {
    file.seek(SeekFrom::Start(0))?;
    let mut r = BufReader::new(bytes::Prefix::new(&mut *file, CONTAINER_LIMIT));
    let exif = exif::Reader::new()
        .continue_on_error(true)
        .read_from_container(&mut r);
    if let Some((exif, _)) = tags::lenient(exif) {
        tags::apply(&exif, zone, md);
    }
    Ok(())
}

fn read_jpeg(file: File, len: u64, zone: Offset, md: &mut Metadata) -> io::Result<()> {
    let mut r = BufReader::new(file);
    let header = jpeg::read_header(&mut r)?;
    apply_jpeg_header(header, zone, md);
    if md.damaged.is_some() {
        return Ok(());
    }
    let mut file = r.into_inner();
    // Most files end in EOI; only the others need the full walk to tell a trailer
    // from a truncation.
    let tail = bytes::read_at(&mut file, len.saturating_sub(2), 2.min(len))?;
    if tail.as_deref() != Some(&[0xff, 0xd9][..]) {
        file.seek(SeekFrom::Start(0))?;
        if let Err(reason) = jpeg::check_structure(&mut BufReader::new(file))? {
            md.damaged = Some(reason);
        }
    }
    Ok(())
}

/// Fills `md` from a JPEG header (also used for the JPEG inside RAF files).
pub(crate) fn apply_jpeg_header(header: jpeg::Header, zone: Offset, md: &mut Metadata) {
    if let Some((exif, _)) = header.exif.and_then(tags::parse) {
        tags::apply(&exif, zone, md);
    }
    if md.serial.is_none() {
        md.serial = header
            .xmp
            .as_deref()
            .and_then(xmp::serial)
            .and_then(|s| tags::clean_serial(&s));
    }
    if let Some((w, h)) = header.size {
        md.width = Some(w);
        md.height = Some(h);
    }
    if header.broken.is_some() {
        md.damaged = header.broken;
    }
}
