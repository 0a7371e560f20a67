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
/// The detector reads the clock page's 25-module code from about 2.5 px per module,
/// so at this size the code need only span a twentieth of the frame's long edge. It is
/// also the preview size of `thumbs`: a preview reads as well as the original.
pub const TARGET_EDGE: u32 = 1600;
/// Marker segments walked before the frame header; real files have a few dozen.
const MAX_SEGMENTS: usize = 1024;
/// Candidate codes decoded per photo; a clock shot has one.
const MAX_GRIDS: usize = 8;
/// Photos showing more finder-pattern candidates than this are not searched. rqrr's
/// grouping step is quadratic in the finder patterns it finds and copies the whole
/// image for each plausible group, so a photo of a sheet of QR codes (or a crafted
/// one) would hold a worker for minutes; at this count it costs about 0.1 s. A clock
/// shot has 3; ordinary photos show 0 to 3.
const MAX_FINDER_CANDIDATES: usize = 40;

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
/// docs). Never panics. Blocking: reads the file and decodes it once at reduced size.
/// The decode dominates and grows with the file: about 90 ms for a 24-megapixel JPEG of
/// 4 MB, 135 ms at 8 MB; a 1500 px preview of it takes about 20 ms.
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
    let dark = binarise(luma, width);
    if finder_candidates(&dark, width, MAX_FINDER_CANDIDATES) > MAX_FINDER_CANDIDATES {
        tracing::debug!("too many finder-pattern candidates to look for a clock code");
        return None;
    }
    // rqrr has panicked on malformed grids in past releases; the pixels here come from
    // an untrusted file, and a bad photo must cost a `None`, not the worker. It gets
    // the bitmap the guard saw rather than thresholding the image a second time.
    panic::catch_unwind(AssertUnwindSafe(|| {
        let mut prepared =
            rqrr::PreparedImage::prepare_from_bitmap(width, height, |x, y| dark[y * width + x]);
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

/// Dark pixels by rqrr's own adaptive threshold (from quirc): darker than 95% of a
/// running mean over an eighth of the width, taken both ways along alternate rows. The
/// guard in [`find_in_luma`] and the detector both work on this one bitmap.
fn binarise(luma: &[u8], width: usize) -> Vec<bool> {
    let span = (width / 8).max(1);
    let mut dark = vec![false; luma.len()];
    let mut row_average = vec![0usize; width];
    let (mut avg_v, mut avg_u) = (0usize, 0usize);
    for (y, (row, out)) in luma
        .chunks_exact(width)
        .zip(dark.chunks_exact_mut(width))
        .enumerate()
    {
        row_average.fill(0);
        for x in 0..width {
            let (v, u) = if y % 2 == 0 {
                (width - 1 - x, x)
            } else {
                (x, width - 1 - x)
            };
            avg_v = avg_v * (span - 1) / span + usize::from(row[v]);
            avg_u = avg_u * (span - 1) / span + usize::from(row[u]);
            row_average[v] += avg_v;
            row_average[u] += avg_u;
        }
        for ((px, avg), d) in row.iter().zip(&row_average).zip(out.iter_mut()) {
            *d = usize::from(*px) < avg * 95 / (200 * span);
        }
    }
    dark
}

/// A finder-pattern candidate being followed down the rows.
struct Candidate {
    column: usize,
    last_row: usize,
    unit: usize,
    rows: usize,
}

/// Counts finder-pattern candidates, stopping past `limit`: a dark-light-dark-light-dark
/// run of 1:1:3:1:1 along a row whose centre column shows the same, seen on at least
/// two nearby rows at nearby columns (a pattern's centre is three modules tall, while
/// noise rarely lines up twice).
fn finder_candidates(dark: &[bool], width: usize, limit: usize) -> usize {
    let mut active: Vec<Candidate> = Vec::new();
    let mut confirmed = 0;
    for (y, row) in dark.chunks_exact(width).enumerate() {
        for (column, unit) in row_finders(row) {
            if !column_is_finder(dark, width, column, y, unit) {
                continue;
            }
            match active
                .iter_mut()
                .find(|c| c.column.abs_diff(column) <= 2 * c.unit + 1)
            {
                Some(c) => {
                    (c.column, c.last_row, c.rows) = (column, y, c.rows + 1);
                    confirmed += usize::from(c.rows == 2);
                }
                None => active.push(Candidate {
                    column,
                    last_row: y,
                    unit,
                    rows: 1,
                }),
            }
        }
        active.retain(|c| y - c.last_row <= 2 * c.unit + 1);
        // So many at once is no clock shot, and would make this search quadratic.
        if confirmed > limit || active.len() > 8 * limit {
            return limit + 1;
        }
    }
    confirmed
}

/// Centre column and module size of each 1:1:3:1:1 dark-light pattern along `row`.
fn row_finders(row: &[bool]) -> Vec<(usize, usize)> {
    let mut hits = Vec::new();
    let mut runs = [0usize; 5];
    let mut run = 0;
    for (x, &d) in row.iter().enumerate() {
        run += 1;
        let ends = row.get(x + 1).is_none_or(|&next| next != d);
        if !ends {
            continue;
        }
        runs.rotate_left(1);
        runs[4] = run;
        run = 0;
        if d {
            if let Some(unit) = finder_ratio(&runs) {
                hits.push((x + 1 - runs[4] - runs[3] - runs[2] / 2 - 1, unit));
            }
        }
    }
    hits
}

/// Whether the column through (`x`, `y`), inside a dark run, shows 1:1:3:1:1 too.
fn column_is_finder(dark: &[bool], width: usize, x: usize, y: usize, unit: usize) -> bool {
    let height = dark.len() / width;
    let reach = 8 * unit + 2;
    let at = |row: usize| dark.get(row * width + x).copied().unwrap_or(false);
    // The three runs met going up from `y` (dark, light, dark), then going down.
    let runs = |rows: &mut dyn Iterator<Item = usize>| {
        let mut out = [0usize; 3];
        let mut k = 0;
        for row in rows.take(reach) {
            while k < 3 && at(row) != (k % 2 == 0) {
                k += 1;
            }
            if k == 3 {
                break;
            }
            out[k] += 1;
        }
        out
    };
    let up = runs(&mut (0..=y).rev());
    let down = runs(&mut (y + 1..height));
    finder_ratio(&[up[2], up[1], up[0] + down[0], down[1], down[2]]).is_some()
}

/// The module size if five runs are in the finder ratio 1:1:3:1:1, with rqrr's
/// tolerance (each run within three quarters of a module of its share).
fn finder_ratio(runs: &[usize; 5]) -> Option<usize> {
    let unit = (runs[0] + runs[1] + runs[3] + runs[4]) / 4;
    let slack = unit * 3 / 4;
    let fits = runs
        .iter()
        .zip([1, 1, 3, 1, 1])
        .all(|(&run, share)| run + slack >= share * unit && run <= share * unit + slack);
    (unit > 0 && fits).then_some(unit)
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
        raw.chunks_exact(channels)
            .take(w * h)
            .map(|p| p[0])
            .collect()
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
        assert_eq!(
            (frame.width, frame.height, frame.progressive),
            (32, 16, false)
        );
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

    /// A module grid drawn `scale` px per module inside a 4-module light margin.
    fn draw(matrix: &[Vec<bool>], scale: usize) -> (Vec<u8>, usize) {
        let side = (matrix.len() + 8) * scale;
        let mut luma = vec![255u8; side * side];
        for (y, row) in matrix.iter().enumerate() {
            for (x, _) in row.iter().enumerate().filter(|(_, &dark)| dark) {
                for py in (y + 4) * scale..(y + 5) * scale {
                    luma[py * side + (x + 4) * scale..py * side + (x + 5) * scale].fill(0);
                }
            }
        }
        (luma, side)
    }

    #[test]
    fn the_guard_sees_a_codes_three_finder_patterns_and_a_wall_of_them() {
        let t = Timestamp::from_second(1_795_660_800).expect("in range");
        let matrix = crate::web::clock::qr_matrix(&payload(t)).expect("fits");
        let (luma, side) = draw(&matrix, 6);
        assert_eq!(finder_candidates(&binarise(&luma, side), side, 100), 3);
        assert_eq!(find_in_luma(&luma, side, side), Some(t));

        // Finder patterns only, 3 px modules, 2 modules apart: hundreds of them.
        let finder: Vec<Vec<bool>> = (0..7)
            .map(|y: usize| {
                (0..9)
                    .map(|x: usize| x < 7 && y.min(x).min(6 - y).min(6 - x) != 1)
                    .collect()
            })
            .collect();
        let tiled: Vec<Vec<bool>> = (0..90)
            .map(|y| {
                (0..90)
                    .map(|x| finder.get(y % 9).is_some_and(|r| r[x % 9]))
                    .collect()
            })
            .collect();
        let (luma, side) = draw(&tiled, 3);
        let seen = finder_candidates(&binarise(&luma, side), side, MAX_FINDER_CANDIDATES);
        assert!(seen > MAX_FINDER_CANDIDATES, "{seen}");
        assert_eq!(find_in_luma(&luma, side, side), None);
    }

    #[test]
    fn luma_of_the_wrong_size_is_refused() {
        assert_eq!(find_in_luma(&[0; 10], 4, 4), None);
        assert_eq!(find_in_luma(&[], 0, 0), None);
    }
}
