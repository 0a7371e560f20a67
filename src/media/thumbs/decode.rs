//! The JPEG fast path: one decode at a reduced DCT scale (1/1, 1/2, 1/4 or 1/8) through
//! jpeg-decoder's scaled IDCT, so a 6000 px photo costs a 1500 px decode.
//!
//! Before jpeg-decoder sees a byte, our own walk of the marker segments reads the frame
//! header and refuses what it cannot handle safely: declared sizes over [`Limits`],
//! coding processes other than Huffman DCT, and component counts other than 1, 3 or 4
//! (jpeg-decoder 0.3 panics on those in `info()`).

use std::io::{self, BufRead, Read, Seek, SeekFrom};
use std::panic::{self, AssertUnwindSafe};

use jpeg_decoder::{Decoder, PixelFormat};

use super::render::Source;
use super::{check_size, Limits, ThumbError, PREVIEW_EDGE, THUMB_EDGE};

/// Appended to every input: jpeg-decoder fails at a bare end of file, but after a marker
/// it decodes the rest as flat grey, so a truncated file (a card pulled too early) still
/// gets a thumbnail of what it holds, as other viewers show it. A complete file ends at
/// its own EOI and never reaches this one.
const EOI: &[u8] = &[0xff, 0xd9];
/// Most scans accepted in a progressive JPEG (see [`check_scans`]).
const MAX_SCANS: usize = 256;
/// Bytes read looking for the frame header: EXIF, maker notes and ICC profiles sit in
/// the first few hundred KiB of real files.
const FRAME_SCAN_LIMIT: u64 = 16 << 20;
/// Marker segments walked before the frame header; real files have a few dozen.
const MAX_SEGMENTS: usize = 1024;

/// What the frame header (SOF0/1/2) declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Frame {
    pub(super) width: u32,
    pub(super) height: u32,
    pub(super) components: u8,
    pub(super) progressive: bool,
}

impl Frame {
    pub(super) fn area(&self) -> u64 {
        u64::from(self.width) * u64::from(self.height)
    }
}

/// Decodes the JPEG held in `data` once (see [`decode`]). jpeg-decoder reads byte by
/// byte, which is about 25% faster from a slice than through a `BufReader`.
pub(super) fn jpeg_bytes(
    mut data: Vec<u8>,
    limits: &Limits,
    viewable: bool,
) -> Result<Source, ThumbError> {
    let frame = read_frame(&mut &data[..])?;
    if frame.progressive {
        check_scans(&data[..])?;
    }
    data.extend_from_slice(EOI);
    decode(&data[..], frame, data.len() as u64, limits, viewable)
}

/// Decodes the JPEG in `r` once, streaming (for files too large to hold in memory).
pub(super) fn jpeg_stream<R: BufRead + Seek>(
    mut r: R,
    limits: &Limits,
    viewable: bool,
) -> Result<Source, ThumbError> {
    let frame = read_frame(&mut r)?;
    if frame.progressive {
        // One extra pass over a rare, very large file.
        r.seek(SeekFrom::Start(0)).map_err(read_error)?;
        check_scans(&mut r)?;
    }
    r.seek(SeekFrom::Start(0)).map_err(read_error)?;
    decode(r.chain(EOI), frame, 0, limits, viewable)
}

/// One decode at the DCT scale that serves both sizes: nearest to [`PREVIEW_EDGE`] when
/// a preview is wanted (always, unless `viewable` and the photo is no larger than a
/// preview), else the smallest scale still at least [`THUMB_EDGE`]. `held` is what the
/// caller already holds in memory for this image, counted against `max_alloc`.
fn decode<R: Read>(
    r: R,
    frame: Frame,
    held: u64,
    limits: &Limits,
    viewable: bool,
) -> Result<Source, ThumbError> {
    let long = frame.width.max(frame.height);
    let preview = !viewable || long > PREVIEW_EDGE;
    let eighths = if preview {
        nearest_scale(long, PREVIEW_EDGE)
    } else {
        smallest_scale_covering(long, THUMB_EDGE)
    };
    let (w, h) = (scaled(frame.width, eighths), scaled(frame.height, eighths));
    let needed = decode_bytes(&frame, w, h).saturating_add(held);
    check_size(frame.width, frame.height, needed, limits)?;

    let mut decoder = Decoder::new(r);
    decoder.set_max_decoding_buffer_size(usize::try_from(limits.max_alloc).unwrap_or(usize::MAX));
    // A panic inside the third-party decoder on hostile bytes must not take down the
    // worker; the frame check above rules out the panics we know of.
    let decoded = panic::catch_unwind(AssertUnwindSafe(|| {
        decoder.read_info()?;
        let (w, h) = decoder.scale(to_u16(w), to_u16(h))?;
        let pixels = decoder.decode()?;
        Ok::<_, jpeg_decoder::Error>((w, h, pixels, decoder.info()))
    }))
    .map_err(|_| ThumbError::Undecodable("the JPEG decoder failed on this file".into()))?
    .map_err(|e| ThumbError::Undecodable(e.to_string()))?;
    count_decode();
    let (w, h, pixels, info) = decoded;
    let format = info.map_or(PixelFormat::RGB24, |i| i.pixel_format);
    let (w, h) = (u32::from(w), u32::from(h));
    Ok(Source {
        rgb: to_rgb(pixels, format, w, h)?,
        width: w,
        height: h,
        full_width: frame.width,
        full_height: frame.height,
        reduced: eighths < 8,
        preview,
    })
}

/// The side length jpeg-decoder produces at `eighths`/8 scale (it rounds up).
fn scaled(len: u32, eighths: u32) -> u32 {
    (len * eighths).div_ceil(8)
}

/// The scale (in eighths) whose long edge is nearest `target`; ties go to the larger.
fn nearest_scale(long: u32, target: u32) -> u32 {
    [8, 4, 2, 1]
        .into_iter()
        .min_by_key(|&e| scaled(long, e).abs_diff(target))
        .unwrap_or(8)
}

/// The smallest scale (in eighths) whose long edge is still at least `target`.
fn smallest_scale_covering(long: u32, target: u32) -> u32 {
    [1, 2, 4, 8]
        .into_iter()
        .find(|&e| scaled(long, e) >= target)
        .unwrap_or(8)
}

fn to_u16(v: u32) -> u16 {
    u16::try_from(v).unwrap_or(u16::MAX)
}

/// An upper bound on what jpeg-decoder allocates: component planes and the output at
/// the decoded size, twice over for conversion, plus, for progressive files, every
/// coefficient of the full-size image (2 bytes each, kept until the last scan).
fn decode_bytes(frame: &Frame, w: u32, h: u32) -> u64 {
    let comps = u64::from(frame.components);
    let out = u64::from(w) * u64::from(h) * comps.max(3);
    let coefficients = if frame.progressive {
        // Whole 8x8 blocks, including the padding of the last row and column.
        let blocks = u64::from(frame.width.div_ceil(8)) * u64::from(frame.height.div_ceil(8));
        blocks * 64 * 2 * comps
    } else {
        0
    };
    out * 3 + coefficients
}

/// Refuses progressive files with more than [`MAX_SCANS`] scans: each scan walks every
/// block of the image again, so thousands of tiny scans would keep a worker busy for
/// hours (the "progressive JPEG bomb"). Real files have about 10. Start-of-scan markers
/// cannot occur inside entropy-coded data (an `FF` there is followed by `00` or a
/// restart code), so counting `FF DA` pairs is enough; an embedded EXIF thumbnail
/// adds one.
fn check_scans<R: Read>(mut r: R) -> Result<(), ThumbError> {
    let mut buf = [0u8; 64 << 10];
    let (mut scans, mut after_ff) = (0usize, false);
    loop {
        let n = r.read(&mut buf).map_err(read_error)?;
        if n == 0 {
            return Ok(());
        }
        for &b in &buf[..n] {
            scans += usize::from(after_ff && b == 0xda);
            after_ff = b == 0xff;
        }
        if scans > MAX_SCANS {
            return Err(ThumbError::Undecodable(format!(
                "progressive JPEG has more than {MAX_SCANS} scans (a decompression bomb?)"
            )));
        }
    }
}

/// Walks the marker segments up to the frame header and checks it, reading at most
/// [`FRAME_SCAN_LIMIT`] bytes.
pub(super) fn read_frame<R: Read>(r: &mut R) -> Result<Frame, ThumbError> {
    let r = &mut r.take(FRAME_SCAN_LIMIT);
    let mut soi = [0u8; 2];
    r.read_exact(&mut soi).map_err(read_error)?;
    if soi != [0xff, 0xd8] {
        return Err(ThumbError::Undecodable(
            "not a JPEG (no start-of-image marker)".into(),
        ));
    }
    for _ in 0..MAX_SEGMENTS {
        let code = next_marker(r)?;
        match code {
            0x01 | 0xd0..=0xd7 => continue,
            // SOI, EOI, SOS: image data (or its end) before any frame header.
            0xd8..=0xda => {
                return Err(ThumbError::Undecodable(
                    "JPEG has no frame header before its image data".into(),
                ))
            }
            _ => {}
        }
        let mut len = [0u8; 2];
        r.read_exact(&mut len).map_err(read_error)?;
        let len = u64::from(u16::from_be_bytes(len)).saturating_sub(2);
        match code {
            0xc0..=0xc2 => return parse_frame(r, code == 0xc2),
            0xc3 | 0xc5..=0xc7 | 0xc9..=0xcb | 0xcd..=0xcf => {
                return Err(ThumbError::Undecodable(
                    "JPEG uses lossless, hierarchical or arithmetic coding, which is not supported"
                        .into(),
                ))
            }
            _ => skip(r, len)?,
        }
    }
    Err(ThumbError::Undecodable(
        "JPEG has too many header segments".into(),
    ))
}

/// SOFn body: precision, height, width, component count.
fn parse_frame<R: Read>(r: &mut R, progressive: bool) -> Result<Frame, ThumbError> {
    let mut b = [0u8; 6];
    r.read_exact(&mut b).map_err(read_error)?;
    let [precision, h1, h0, w1, w0, components] = b;
    let frame = Frame {
        width: u32::from(u16::from_be_bytes([w1, w0])),
        height: u32::from(u16::from_be_bytes([h1, h0])),
        components,
        progressive,
    };
    if precision != 8 {
        return Err(ThumbError::Undecodable(format!(
            "{precision}-bit JPEG samples are not supported"
        )));
    }
    if !matches!(components, 1 | 3 | 4) {
        return Err(ThumbError::Undecodable(format!(
            "JPEG with {components} colour components is not supported"
        )));
    }
    if frame.width == 0 || frame.height == 0 {
        return Err(ThumbError::Undecodable(
            "JPEG declares a zero width or height".into(),
        ));
    }
    Ok(frame)
}

/// The next marker code, skipping fill bytes (and any stray bytes before a marker, as
/// decoders do).
fn next_marker<R: Read>(r: &mut R) -> Result<u8, ThumbError> {
    let mut byte = [0u8; 1];
    let mut after_ff = false;
    // A hostile file could be all garbage; the read is bounded by the file and the
    // caller's segment count, and each byte here is a cheap buffered read.
    loop {
        r.read_exact(&mut byte).map_err(read_error)?;
        match (after_ff, byte[0]) {
            (_, 0xff) => after_ff = true,
            (true, 0x00) | (false, _) => after_ff = false,
            (true, code) => return Ok(code),
        }
    }
}

fn skip<R: Read>(r: &mut R, len: u64) -> Result<(), ThumbError> {
    let copied = io::copy(&mut r.take(len), &mut io::sink()).map_err(read_error)?;
    if copied < len {
        return Err(ThumbError::Undecodable(
            "JPEG header segment is cut off".into(),
        ));
    }
    Ok(())
}

fn read_error(e: io::Error) -> ThumbError {
    if e.kind() == io::ErrorKind::UnexpectedEof {
        ThumbError::Undecodable("JPEG ends before its frame header".into())
    } else {
        ThumbError::Undecodable(format!("reading the JPEG failed: {e}"))
    }
}

/// Converts jpeg-decoder's output to packed RGB8.
fn to_rgb(pixels: Vec<u8>, format: PixelFormat, w: u32, h: u32) -> Result<Vec<u8>, ThumbError> {
    let n = w as usize * h as usize;
    let rgb = match format {
        PixelFormat::RGB24 => pixels,
        PixelFormat::L8 => pixels.iter().flat_map(|&l| [l, l, l]).collect(),
        // 16-bit samples are big-endian; the high byte is enough for a thumbnail.
        PixelFormat::L16 => pixels
            .chunks_exact(2)
            .flat_map(|p| [p[0], p[0], p[0]])
            .collect(),
        // jpeg-decoder returns ink amounts (it undoes Adobe's inverted storage); the
        // naive conversion is (1 - ink) * (1 - key), as image 0.24 did.
        PixelFormat::CMYK32 => pixels
            .chunks_exact(4)
            .flat_map(|p| {
                let paper = 255 - u16::from(p[3]);
                [p[0], p[1], p[2]].map(|c| ((255 - u16::from(c)) * paper / 255) as u8)
            })
            .collect(),
    };
    if rgb.len() < n * 3 {
        return Err(ThumbError::Undecodable(
            "the JPEG decoder returned fewer pixels than the frame declares".into(),
        ));
    }
    Ok(rgb)
}

#[cfg(test)]
thread_local! {
    static DECODES: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

fn count_decode() {
    #[cfg(test)]
    DECODES.with(|d| d.set(d.get() + 1));
}

/// How many JPEG decodes this thread has run (tests check "one decode per file").
#[cfg(test)]
pub(super) fn decodes_on_this_thread() -> usize {
    DECODES.with(|d| d.get())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn scales_are_chosen_for_the_preview_and_for_thumbnails_alone() {
        assert_eq!(nearest_scale(6000, PREVIEW_EDGE), 2); // 1500
        assert_eq!(nearest_scale(4000, PREVIEW_EDGE), 4); // 2000 beats 1000
        assert_eq!(nearest_scale(11648, PREVIEW_EDGE), 1); // 1456
        assert_eq!(nearest_scale(1700, PREVIEW_EDGE), 8);
        assert_eq!(smallest_scale_covering(1296, THUMB_EDGE), 2); // 324
        assert_eq!(smallest_scale_covering(300, THUMB_EDGE), 8);
    }

    #[test]
    fn frame_walk_refuses_what_the_decoder_would_panic_on() {
        // SOI, SOF0 with 2 components.
        let jpeg = [
            0xff, 0xd8, 0xff, 0xc0, 0, 14, 8, 0, 16, 0, 16, 2, 1, 0x11, 0, 2, 0x11, 0,
        ];
        let err = read_frame(&mut Cursor::new(&jpeg[..])).expect_err("2 components");
        assert!(err.to_string().contains("2 colour components"));
        let lossless = [
            0xff, 0xd8, 0xff, 0xc3, 0, 11, 2, 0, 16, 0, 16, 1, 1, 0x11, 0,
        ];
        assert!(read_frame(&mut Cursor::new(&lossless[..])).is_err());
        assert!(read_frame(&mut Cursor::new(&[0xff, 0xd8, 0xff][..])).is_err());
    }
}
