//! Derived images: the grid thumbnail and the viewer preview of a photo, RAW file or
//! video, and the static placeholders shown when there is none.
//!
//! Owns the choice of source (the JPEG itself, the largest JPEG a RAW file embeds, a
//! video's poster frame from `ffmpeg`), the one decode each file gets, EXIF orientation,
//! resizing and JPEG encoding. It does not read metadata (the caller passes the
//! orientation it already has), write files, name thumbnails or touch the catalog.
//!
//! Everything here is blocking and CPU-heavy: call it from a worker thread. Input is
//! untrusted: declared sizes are checked against [`Limits`] before any pixel buffer is
//! allocated, and every failure is a [`ThumbError`], never a panic.

use std::fs::File;
use std::io::{self, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::format::{self, Bmff, Format};
use super::Kind;

mod decode;
mod embedded;
mod placeholder;
mod poster;
mod render;
mod still;

pub use placeholder::{damaged_placeholder, placeholder, PLACEHOLDER_CONTENT_TYPE};
pub use poster::ffmpeg_available;

/// Long edge of the grid thumbnail, in pixels.
pub const THUMB_EDGE: u32 = 320;
/// Long edge the viewer preview aims at. JPEGs take the reduced-DCT scale nearest to it
/// (1500 px for a 6000 px photo) instead of decoding larger and shrinking.
pub const PREVIEW_EDGE: u32 = 1600;
/// JPEG quality of thumbnails.
pub const THUMB_QUALITY: u8 = 80;
/// JPEG quality of previews.
pub const PREVIEW_QUALITY: u8 = 85;
/// JPEG files up to this size are read whole before decoding (faster than streaming);
/// larger ones, rare and possibly hostile, are streamed.
const IN_MEMORY_MAX: u64 = 64 << 20;
/// The content type of everything [`derive`] returns.
pub const CONTENT_TYPE: &str = "image/jpeg";

/// What [`derive`] makes: JPEG bytes and the size of the source as shown.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Derived {
    /// JPEG, long edge at most [`THUMB_EDGE`].
    pub thumb: Vec<u8>,
    /// JPEG of about [`PREVIEW_EDGE`] (1067..=2133 px for JPEGs, at most 1600 for the
    /// rest); `None` when the original is a JPEG or PNG whose long edge is at most
    /// [`PREVIEW_EDGE`]: the viewer should then show the original itself.
    pub preview: Option<Vec<u8>>,
    /// Width and height of the source after orientation: the photo, the RAW file's
    /// embedded preview, or the video frame.
    pub width: u32,
    pub height: u32,
}

/// Why no derived image could be made. Each message is readable by a person in the panel.
#[derive(Debug, thiserror::Error)]
pub enum ThumbError {
    /// `width` and `height` are 0 when the decoder refused before telling them.
    #[error("image is too large{}: {reason}", dimensions(*width, *height))]
    TooLarge {
        width: u64,
        height: u64,
        reason: String,
    },
    #[error("image cannot be decoded: {0}")]
    Undecodable(String),
    #[error("RAW file has no usable embedded preview: {0}")]
    NoPreview(String),
    #[error("no thumbnail is made for {0}")]
    Unsupported(String),
    #[error("ffmpeg is not installed, so videos get no poster frame")]
    FfmpegMissing,
    #[error("ffmpeg could not extract a poster frame: {0}")]
    Ffmpeg(String),
    #[error("JPEG encoding failed: {0}")]
    Encode(String),
    #[error("reading {}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
}

fn dimensions(width: u64, height: u64) -> String {
    if width == 0 || height == 0 {
        String::new()
    } else {
        format!(" ({width}x{height} pixels)")
    }
}

impl ThumbError {
    /// Whether the file itself is at fault (broken, hostile or unsupported), as opposed
    /// to this machine (I/O, ffmpeg missing): the caller shows the "damaged" placeholder
    /// for the first and retries the second later.
    pub fn is_content_error(&self) -> bool {
        matches!(
            self,
            ThumbError::TooLarge { .. }
                | ThumbError::Undecodable(_)
                | ThumbError::NoPreview(_)
                | ThumbError::Unsupported(_)
                | ThumbError::Ffmpeg(_)
        )
    }
}

/// Bounds on what one [`derive`] call may allocate or wait for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Largest declared image (width x height) accepted at all, checked from the header
    /// before any pixel buffer exists.
    pub max_pixels: u64,
    /// Largest decode buffer (bytes) and largest embedded preview or poster frame read.
    pub max_alloc: u64,
    /// How long `ffmpeg` may take for a poster frame before it is killed.
    pub video_timeout: Duration,
}

impl Default for Limits {
    /// 200 megapixels (a 100 Mpx medium-format JPEG passes and is decoded at 1/8
    /// scale), 512 MiB of buffers, 30 s for ffmpeg.
    fn default() -> Limits {
        Limits {
            max_pixels: 200_000_000,
            max_alloc: 512 << 20,
            video_timeout: Duration::from_secs(30),
        }
    }
}

/// Makes the JPEG thumbnail and preview of the file at `path` from ONE decode, with EXIF
/// `orientation` (1..=8; others are treated as 1) applied to both.
///
/// - photo: JPEG is decoded at the reduced DCT scale (1/1, 1/2, 1/4, 1/8) nearest to
///   [`PREVIEW_EDGE`], which is the preview; the thumbnail is resized from it. PNG and
///   TIFF go through `image` under `limits`. HEIC/HEIF and WebP are [`ThumbError::Unsupported`].
/// - raw: the largest embedded JPEG preview (TIFF-based RAWs, RW2, ORF maker notes,
///   RAF, CR3); the RAW data is never developed.
/// - video: a poster frame from `ffmpeg` (about 1 s in), killed after
///   `limits.video_timeout`.
/// - audio, document, other: [`ThumbError::Unsupported`]; use [`placeholder`].
///
/// The parser is picked by content; `kind` says whether a TIFF is a photo or a RAW.
/// Blocking and CPU-heavy. Memory is bounded by `limits`, whatever the bytes.
pub fn derive(
    path: &Path,
    kind: Kind,
    orientation: Option<u16>,
    limits: &Limits,
) -> Result<Derived, ThumbError> {
    let io_err = |source| ThumbError::Io {
        path: path.to_owned(),
        source,
    };
    if !matches!(kind, Kind::Photo | Kind::Raw | Kind::Video) {
        return Err(ThumbError::Unsupported(format!("{kind} files")));
    }
    if kind == Kind::Video {
        return poster::derive(path, limits);
    }
    let mut file = File::open(path).map_err(io_err)?;
    let head = read_head(&mut file).map_err(io_err)?;
    let orientation = orientation.unwrap_or(1);
    match (format::sniff(&head), kind) {
        (Format::Jpeg, _) => render::derive(jpeg_file(path, file, limits)?, orientation),
        (Format::Tiff, Kind::Raw)
        | (Format::Orf | Format::Rw2 | Format::Raf | Format::Bmff(Bmff::Cr3), _) => {
            embedded::derive(path, &mut file, orientation, limits)
        }
        (format @ (Format::Png | Format::Tiff), _) => {
            // Browsers show PNG but not TIFF: a small TIFF still gets a preview.
            let source = still::decode(BufReader::new(file), limits, format == Format::Png)?;
            render::derive(source, orientation)
        }
        (Format::Bmff(Bmff::Heif), _) => Err(ThumbError::Unsupported(
            "HEIC/HEIF photos (no HEVC decoder is built in)".into(),
        )),
        (Format::WebP, _) => Err(ThumbError::Unsupported("WebP photos".into())),
        _ => Err(ThumbError::Undecodable(
            "the content is not a JPEG, PNG, TIFF or known RAW file".into(),
        )),
    }
}

/// Decodes a JPEG file: read whole when it is of a camera's size, streamed when larger.
fn jpeg_file(path: &Path, file: File, limits: &Limits) -> Result<render::Source, ThumbError> {
    let io_err = |source| ThumbError::Io {
        path: path.to_owned(),
        source,
    };
    let len = file.metadata().map_err(io_err)?.len();
    if len > IN_MEMORY_MAX {
        return decode::jpeg_stream(BufReader::new(file), limits, true);
    }
    let mut data = Vec::with_capacity(len as usize + 2);
    // Capped again: the file may have grown since `metadata`.
    file.take(IN_MEMORY_MAX)
        .read_to_end(&mut data)
        .map_err(io_err)?;
    decode::jpeg_bytes(data, limits, true)
}

/// Refuses a declared `width` x `height` over `limits.max_pixels`, or a decode that
/// needs more than `limits.max_alloc` bytes, before any pixel buffer is allocated.
fn check_size(width: u32, height: u32, bytes: u64, limits: &Limits) -> Result<(), ThumbError> {
    let pixels = u64::from(width) * u64::from(height);
    let reason = if pixels > limits.max_pixels {
        format!(
            "more than the {} megapixel limit",
            limits.max_pixels / 1_000_000
        )
    } else if bytes > limits.max_alloc {
        format!(
            "decoding it needs about {} MiB, more than the {} MiB limit",
            bytes >> 20,
            limits.max_alloc >> 20
        )
    } else {
        return Ok(());
    };
    Err(ThumbError::TooLarge {
        width: width.into(),
        height: height.into(),
        reason,
    })
}

/// The first bytes of the file, for [`format::sniff`]; leaves the position at 0.
fn read_head(file: &mut File) -> io::Result<Vec<u8>> {
    use std::io::{Seek, SeekFrom};
    let mut head = Vec::with_capacity(format::SNIFF_LEN);
    file.by_ref()
        .take(format::SNIFF_LEN as u64)
        .read_to_end(&mut head)?;
    file.seek(SeekFrom::Start(0))?;
    Ok(head)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::synth::{self, SynthPhoto};

    #[test]
    fn a_6000_px_jpeg_is_decoded_once_for_both_sizes() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("big.jpg");
        let spec = SynthPhoto {
            width: 6000,
            height: 4000,
            ..SynthPhoto::default()
        };
        std::fs::write(&path, synth::jpeg(&spec)).expect("write");
        let before = decode::decodes_on_this_thread();
        let d = derive(&path, Kind::Photo, Some(1), &Limits::default()).expect("derive");
        assert_eq!(decode::decodes_on_this_thread() - before, 1);
        let preview = image::load_from_memory(d.preview.as_deref().expect("preview"))
            .expect("preview decodes");
        assert_eq!((preview.width(), preview.height()), (1500, 1000));
        assert_eq!((d.width, d.height), (6000, 4000));
    }

    #[test]
    fn content_errors_are_told_apart_from_machine_errors() {
        assert!(ThumbError::Undecodable("x".into()).is_content_error());
        assert!(!ThumbError::FfmpegMissing.is_content_error());
    }
}
