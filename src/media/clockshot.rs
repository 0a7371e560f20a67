//! Clock shots: photos of the `/clock` page, whose QR code says what the true time was
//! when the camera took the picture, so a camera's clock offset is measured instead of
//! guessed.
//!
//! Owns the QR payload (`LIPUTAN-CLOCK:<unix seconds>`, written by the page and read
//! here), finding and reading that code in a JPEG, and the offset arithmetic. It does
//! not read the photo's capture time (that is [`super::metadata`]), decide which photos
//! are worth looking at, store offsets or re-match files.
//!
//! Blocking and CPU-bound: call it from a worker thread. Input is untrusted: the file
//! size and declared frame size are checked before any pixel is decoded, the JPEG is
//! decoded once at a reduced DCT scale (a 6000 px photo costs a 1500 px decode, straight
//! to luma), and every failure, including a panic inside a third-party decoder, is
//! `None`.

use std::fs::File;
use std::io::Read;
use std::panic::{self, AssertUnwindSafe};
use std::path::Path;

use jiff::Timestamp;
use jpeg_decoder::{ColorTransform, Decoder};

/// What the QR code on the clock page starts with. Upper case, digits, `-` and `:` are
/// all in QR's alphanumeric set, so the whole payload packs into a 25x25 code (version
/// 2) even at error-correction level Q: large modules that survive a hand-held photo.
pub const PAYLOAD_PREFIX: &str = "LIPUTAN-CLOCK:";

/// Files larger than this are not looked at: a clock shot is an ordinary camera JPEG,
/// a few MB to a few tens of MB, read whole into memory.
const MAX_FILE_BYTES: u64 = 64 << 20;
/// Frames declaring more pixels than this are not decoded (JPEG allows 65535 x 65535).
const MAX_PIXELS: u64 = 120_000_000;
/// Progressive JPEGs keep every DCT coefficient of the full-size image until the last
/// scan (2 bytes each per component); above this size that costs too much for a guess.
/// Cameras write baseline JPEGs, so this refuses little that matters.
const MAX_PROGRESSIVE_PIXELS: u64 = 8_000_000;
/// What jpeg-decoder may allocate for one clock-shot decode.
const MAX_DECODE_BYTES: usize = 96 << 20;
/// The long edge the reduced decode aims at (the nearest of 1/1, 1/2, 1/4, 1/8 scale).
/// The clock page shows a 25-module code filling most of a phone screen; photographed
/// to fill a third of the frame, it still has ~10 px per module at this size, which
/// the detector reads reliably. It is also the preview scale of `thumbs`, so a caller
/// holding that decode can pass it to [`find_in_luma`] instead.
pub const TARGET_EDGE: u32 = 1600;
/// Marker segments walked before the frame header; real files have a few dozen.
const MAX_SEGMENTS: usize = 1024;
/// Candidate codes decoded per photo; a clock shot has one.
const MAX_GRIDS: usize = 8;

/// The text the clock page encodes for `at`: [`PAYLOAD_PREFIX`] and whole Unix seconds.
pub fn payload(at: Timestamp) -> String {
    format!("{PAYLOAD_PREFIX}{}", at.as_second())
}

/// The instant in a clock-page payload; `None` for any other text (wrong prefix, a
/// sign, anything but 1 to 12 digits, or out of jiff's range).
pub fn parse_payload(text: &str) -> Option<Timestamp> {
    let digits = text.strip_prefix(PAYLOAD_PREFIX)?;
    if digits.is_empty() || digits.len() > 12 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Timestamp::from_second(digits.parse().ok()?).ok()
}

/// How far the camera's clock is ahead of true time, to the nearest whole second
/// (halves away from zero): `captured` (the photo's capture time, read as the camera
/// wrote it) minus `shown` (the instant in the photographed QR code). A camera ahead of
/// true time has a positive offset; subtract it from capture times to correct them.
pub fn offset_seconds(shown: Timestamp, captured: Timestamp) -> i64 {
    let millis = captured.duration_since(shown).as_millis();
    let rounded = (millis.abs() + 500) / 1000 * millis.signum();
    i64::try_from(rounded).unwrap_or(if rounded < 0 { i64::MIN } else { i64::MAX })
}

/// The instant shown by the clock-page QR code photographed in the JPEG at `path`, or
/// `None` when there is none (or the file is not a JPEG this reads: see the module
/// docs). Never panics. Blocking: reads the file and decodes it once at reduced size;
/// about 50-100 ms for a 24-megapixel photo, with or without a code in it.
pub fn read_clock_shot(path: &Path) -> Option<Timestamp> {
    let data = read_bounded(path)?;
    read_clock_shot_from(&data)
}

/// [`read_clock_shot`] on JPEG bytes already in memory.
pub fn read_clock_shot_from(jpeg: &[u8]) -> Option<Timestamp> {
    let frame = read_frame(jpeg)?;
    let luma = decode_luma(jpeg, &frame)?;
    find_in_luma(&luma.pixels, luma.width, luma.height)
}

/// The instant of the first clock-page QR code found in a greyscale image (`luma`,
/// row-major, one byte per pixel, `width * height` bytes); `None` when there is none or
/// the sizes do not match. CPU cost grows with the pixel count: pass an image of about
/// [`TARGET_EDGE`] on its long side.
pub fn find_in_luma(luma: &[u8], width: usize, height: usize) -> Option<Timestamp> {
    if width == 0 || height == 0 || width.checked_mul(height)? != luma.len() {
        return None;
    }
    // rqrr has panicked on malformed grids in past releases; the pixels here come from
    // an untrusted file, and a bad photo must cost a `None`, not the worker.
    panic::catch_unwind(AssertUnwindSafe(|| {
        let mut prepared =
            rqrr::PreparedImage::prepare_from_greyscale(width, height, |x, y| luma[y * width + x]);
        prepared
            .detect_grids()
            .iter()
            .take(MAX_GRIDS)
            .filter_map(|grid| grid.decode().ok())
            .find_map(|(_, text)| parse_payload(&text))
    }))
    .ok()
    .flatten()
}

/// The whole file, if it is small enough to be a photo worth looking at.
fn read_bounded(path: &Path) -> Option<Vec<u8>> {
    let file = File::open(path).ok()?;
    let len = file.metadata().ok()?.len();
    if len > MAX_FILE_BYTES {
        return None;
    }
    let mut data = Vec::with_capacity(usize::try_from(len).ok()?);
    // `take` holds the read to the bound even if the file grows meanwhile.
    file.take(MAX_FILE_BYTES).read_to_end(&mut data).ok()?;
    Some(data)
}

/// What the frame header (SOF0/1/2) declares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Frame {
    width: u32,
    height: u32,
    components: u8,
    progressive: bool,
}

/// Walks the marker segments up to the frame header and keeps only frames this module
/// decodes: 8-bit Huffman DCT with 1 or 3 components within the size bounds. Checking
/// before jpeg-decoder sees the file rules out its known panics (it panics on other
/// component counts) and any large allocation.
fn read_frame(data: &[u8]) -> Option<Frame> {
    if data.get(..2)? != [0xff, 0xd8] {
        return None;
    }
    let mut pos = 2;
    for _ in 0..MAX_SEGMENTS {
        let (code, after) = next_marker(data, pos)?;
        pos = after;
        match code {
            0x01 | 0xd0..=0xd7 => continue,
            0xc0..=0xc2 => return parse_frame(data.get(pos + 2..pos + 8)?, code == 0xc2),
            // Other SOFn (lossless, hierarchical, arithmetic), or image data or the end
            // before any frame header.
            0xc3 | 0xc5..=0xc7 | 0xc9..=0xcb | 0xcd..=0xcf | 0xd8..=0xda => return None,
            _ => {
                let len = u16::from_be_bytes([*data.get(pos)?, *data.get(pos + 1)?]);
                pos += usize::from(len);
            }
        }
    }
    None
}

/// The marker code at or after `pos` and the position after it, skipping fill bytes
/// and stray bytes as decoders do.
fn next_marker(data: &[u8], mut pos: usize) -> Option<(u8, usize)> {
    loop {
        pos += data.get(pos..)?.iter().position(|&b| b == 0xff)?;
        pos += data.get(pos..)?.iter().position(|&b| b != 0xff)?;
        let code = *data.get(pos)?;
        pos += 1;
        if code != 0x00 {
            return Some((code, pos));
        }
    }
}

/// SOFn body after its length: precision, height, width, component count.
fn parse_frame(b: &[u8], progressive: bool) -> Option<Frame> {
    let &[precision, h1, h0, w1, w0, components] = b else {
        return None;
    };
    let frame = Frame {
        width: u32::from(u16::from_be_bytes([w1, w0])),
        height: u32::from(u16::from_be_bytes([h1, h0])),
        components,
        progressive,
    };
    let pixels = u64::from(frame.width) * u64::from(frame.height);
    let pixel_limit = if progressive {
        MAX_PROGRESSIVE_PIXELS
    } else {
        MAX_PIXELS
    };
    let usable = precision == 8 && matches!(components, 1 | 3) && pixels > 0;
    (usable && pixels <= pixel_limit).then_some(frame)
}

/// A greyscale image, one byte per pixel.
struct Luma {
    pixels: Vec<u8>,
    width: usize,
    height: usize,
}

/// One decode at the DCT scale whose long edge is nearest [`TARGET_EDGE`], without
/// colour conversion: for YCbCr files the first channel is already the luma.
fn decode_luma(jpeg: &[u8], frame: &Frame) -> Option<Luma> {
    let eighths = nearest_scale(frame.width.max(frame.height), TARGET_EDGE);
    let requested = |len: u32| u16::try_from((len * eighths).div_ceil(8)).unwrap_or(u16::MAX);
    let mut decoder = Decoder::new(jpeg);
    decoder.set_max_decoding_buffer_size(MAX_DECODE_BYTES);
    // Declaring the components RGB makes jpeg-decoder interleave them as they are,
    // skipping the YCbCr conversion. (`ColorTransform::None` would be the obvious
    // choice, but in 0.3 it writes each row's components one after another, not
    // interleaved.) A file that really is RGB gives its red channel: still light and
    // dark where the code is.
    decoder.set_color_transform(ColorTransform::RGB);
    // The frame check rules out the panics we know of; this catches the rest.
    let (w, h, raw) = panic::catch_unwind(AssertUnwindSafe(|| {
        let (w, h) = decoder.scale(requested(frame.width), requested(frame.height))?;
        Ok::<_, jpeg_decoder::Error>((usize::from(w), usize::from(h), decoder.decode()?))
    }))
    .ok()?
    .ok()?;
    let channels = usize::from(frame.components);
    if w == 0 || h == 0 || raw.len() < w * h * channels {
        return None;
    }
    let pixels = if channels == 1 {
        raw
    } else {
        raw.chunks_exact(channels).take(w * h).map(|p| p[0]).collect()
    };
    Some(Luma {
        pixels,
        width: w,
        height: h,
    })
}

/// The scale (in eighths) whose long edge is nearest `target`; ties go to the larger.
fn nearest_scale(long: u32, target: u32) -> u32 {
    [8, 4, 2, 1]
        .into_iter()
        .min_by_key(|&e| (long * e).div_ceil(8).abs_diff(target))
        .unwrap_or(8)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_round_trips_and_refuses_lookalikes() {
        let t = Timestamp::from_second(1_795_660_800).expect("in range");
        assert_eq!(payload(t), "LIPUTAN-CLOCK:1795660800");
        assert_eq!(parse_payload(&payload(t)), Some(t));
        for text in [
            "LIPUTAN-CLOCK:",
            "LIPUTAN-CLOCK:-5",
            "LIPUTAN-CLOCK:+5",
            "LIPUTAN-CLOCK:12a",
            "LIPUTAN-CLOCK:1795660800 ",
            "LIPUTAN-CLOCK:9999999999999",
            "liputan-clock:1795660800",
            "https://example.org/",
        ] {
            assert_eq!(parse_payload(text), None, "{text}");
        }
    }

    #[test]
    fn offsets_round_to_the_nearest_second_either_way() {
        let shown = Timestamp::from_second(1_795_660_800).expect("in range");
        let at = |ms: i64| {
            shown
                .checked_add(jiff::SignedDuration::from_millis(ms))
                .expect("in range")
        };
        assert_eq!(offset_seconds(shown, at(3_723_000)), 3723);
        assert_eq!(offset_seconds(shown, at(-3_600_000)), -3600);
        assert_eq!(offset_seconds(shown, at(1_499)), 1);
        assert_eq!(offset_seconds(shown, at(1_500)), 2);
        assert_eq!(offset_seconds(shown, at(-1_500)), -2);
        assert_eq!(offset_seconds(shown, at(-400)), 0);
    }

    #[test]
    fn frame_walk_keeps_only_what_it_decodes() {
        let sof = |code: u8, comps: u8| {
            vec![
                0xff, 0xd8, 0xff, 0xe0, 0, 4, 0, 0, 0xff, code, 0, 11, 8, 0, 16, 0, 32, comps,
            ]
        };
        let frame = read_frame(&sof(0xc0, 3)).expect("baseline frame");
        assert_eq!((frame.width, frame.height, frame.progressive), (32, 16, false));
        assert!(read_frame(&sof(0xc0, 2)).is_none());
        assert!(read_frame(&sof(0xc0, 4)).is_none());
        assert!(read_frame(&sof(0xc3, 3)).is_none());
        assert!(read_frame(&[0xff, 0xd8, 0xff]).is_none());
        assert!(read_frame(b"GIF89a").is_none());
    }

    #[test]
    fn scale_nearest_the_target_edge() {
        assert_eq!(nearest_scale(6000, TARGET_EDGE), 2); // 1500
        assert_eq!(nearest_scale(3000, TARGET_EDGE), 4); // 1500
        assert_eq!(nearest_scale(1200, TARGET_EDGE), 8);
    }

    #[test]
    fn luma_of_the_wrong_size_is_refused() {
        assert_eq!(find_in_luma(&[0; 10], 4, 4), None);
        assert_eq!(find_in_luma(&[], 0, 0), None);
    }
}
