//! Deterministic generators of media files: real, decodable JPEGs and TIFF "RAW-like"
//! files with the EXIF a camera would write, and minimal valid MP4s.
//!
//! Library code (not test-only) because tests, the ingest benchmark and `liputan demo`
//! all need the same files. The same spec and seed always give the same bytes. Pixel
//! content is a colour gradient with noise, so files differ by seed and do not compress
//! to nothing.

use std::io::Cursor;

use exif::experimental::Writer;
use exif::{Field, In, Rational, Tag, Value};
use image::codecs::jpeg::JpegEncoder;
use image::ExtendedColorType;
use jiff::Timestamp;

/// What a generated photo claims about itself. Text fields are written verbatim into
/// EXIF (`captured` as `"2026:11:26 09:15:00"`, `offset` as `"+07:00"`).
#[derive(Debug, Clone, PartialEq)]
pub struct SynthPhoto {
    pub width: u32,
    pub height: u32,
    pub captured: Option<String>,
    pub subsec: Option<String>,
    pub offset: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    /// Latitude and longitude in decimal degrees (south and west negative).
    pub gps: Option<(f64, f64)>,
    pub orientation: Option<u16>,
    /// Varies the pixel content.
    pub seed: u64,
}

impl Default for SynthPhoto {
    /// A small landscape frame from a Canon body at 09:15 with no zone, serial or GPS.
    fn default() -> SynthPhoto {
        SynthPhoto {
            width: 320,
            height: 240,
            captured: Some("2026:11:26 09:15:00".into()),
            subsec: None,
            offset: None,
            make: Some("Canon".into()),
            model: Some("Canon EOS R6".into()),
            serial: None,
            gps: None,
            orientation: Some(1),
            seed: 0,
        }
    }
}

/// Largest side we generate: JPEG's limit, and a guard against typos allocating
/// gigabytes.
const MAX_SIDE: u32 = 16_384;

/// A baseline JPEG of `spec.width` x `spec.height` (clamped to 1..=16384) with an EXIF
/// APP1 directly after SOI.
pub fn jpeg(spec: &SynthPhoto) -> Vec<u8> {
    let (w, h) = dimensions(spec);
    let pixels = pixels(w, h, spec.seed);
    with_exif(spec, &pixels, w, h)
}

/// A photo of the `/clock` page showing `shown`: its QR code (the payload of
/// `clockshot::payload`) large on a white screen over a noisy background, with
/// `spec`'s EXIF. Set `spec.captured` to the camera's (possibly wrong) clock.
pub fn clock_photo(shown: Timestamp, spec: &SynthPhoto) -> Vec<u8> {
    let (w, h) = dimensions(spec);
    let mut pixels = pixels(w, h, spec.seed);
    let payload = crate::media::clockshot::payload(shown);
    let Ok(code) =
        qrcode::QrCode::with_error_correction_level(payload.as_bytes(), qrcode::EcLevel::Q)
    else {
        return with_exif(spec, &pixels, w, h);
    };
    let modules = code.width() as u32;
    let colors = code.into_colors();
    // The code fills about 60 % of the short side, with a 4-module white border.
    let scale = (w.min(h) * 6 / 10 / (modules + 8)).max(1);
    let side = (modules + 8) * scale;
    let (x0, y0) = ((w.saturating_sub(side)) / 2, (h.saturating_sub(side)) / 2);
    for y in 0..side.min(h) {
        for x in 0..side.min(w) {
            let (mx, my) = ((x / scale) as i64 - 4, (y / scale) as i64 - 4);
            let inside = (0..modules as i64).contains(&mx) && (0..modules as i64).contains(&my);
            let dark =
                inside && colors[(my as u32 * modules + mx as u32) as usize] == qrcode::Color::Dark;
            let value = if dark { 20 } else { 240 };
            let at = (((y0 + y) * w + x0 + x) * 3) as usize;
            if let Some(px) = pixels.get_mut(at..at + 3) {
                px.fill(value);
            }
        }
    }
    with_exif(spec, &pixels, w, h)
}

/// Encodes RGB `pixels` as a baseline JPEG with `spec`'s EXIF APP1 after SOI.
fn with_exif(spec: &SynthPhoto, pixels: &[u8], w: u32, h: u32) -> Vec<u8> {
    let mut encoded = Vec::new();
    JpegEncoder::new_with_quality(&mut encoded, 85)
        .encode(pixels, w, h, ExtendedColorType::Rgb8)
        .expect("encoding RGB8 of valid dimensions into memory cannot fail");
    let fields = exif_fields(spec, w, h);
    let tiff = write_tiff(&fields, None);
    let mut out = Vec::with_capacity(encoded.len() + tiff.len() + 10);
    out.extend_from_slice(&[0xff, 0xd8, 0xff, 0xe1]);
    // EXIF fields are short strings and numbers, far below the 64 KiB segment limit.
    let segment_len = u16::try_from(tiff.len() + 8).unwrap_or(u16::MAX);
    out.extend_from_slice(&segment_len.to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(encoded.get(2..).unwrap_or_default());
    out
}

/// An uncompressed RGB TIFF carrying the same EXIF in IFD0, shaped like a RAW file
/// (use it for `.dng`/`.nef`-named fixtures).
pub fn tiff_raw(spec: &SynthPhoto) -> Vec<u8> {
    let (w, h) = dimensions(spec);
    let pixels = pixels(w, h, spec.seed);
    let mut fields = exif_fields(spec, w, h);
    fields.extend([
        field(Tag::ImageWidth, Value::Long(vec![w])),
        field(Tag::ImageLength, Value::Long(vec![h])),
        field(Tag::BitsPerSample, Value::Short(vec![8, 8, 8])),
        field(Tag::Compression, Value::Short(vec![1])),
        field(Tag::PhotometricInterpretation, Value::Short(vec![2])),
        field(Tag::SamplesPerPixel, Value::Short(vec![3])),
        field(Tag::RowsPerStrip, Value::Long(vec![h])),
        field(Tag::PlanarConfiguration, Value::Short(vec![1])),
    ]);
    write_tiff(&fields, Some(&pixels))
}

/// A minimal valid MP4: `ftyp`, `moov` (`mvhd`, one video `trak` with `tkhd`, `mdhd`,
/// `hdlr` and an empty sample table) and a small `mdat`. Times before 1904 are written
/// as 0 (unset).
pub fn mp4(creation_utc: Timestamp, duration_ms: u64, width: u32, height: u32) -> Vec<u8> {
    let secs = u64::try_from(creation_utc.as_second() + 2_082_844_800).unwrap_or(0);
    let mut ftyp = b"isom\0\0\x02\0".to_vec();
    ftyp.extend_from_slice(b"isomiso2mp41");
    let video = [
        full_box(b"tkhd", 1, 3, &tkhd(secs, duration_ms, width, height)),
        mp4_box(
            b"mdia",
            &[
                full_box(b"mdhd", 1, 0, &mdhd(secs, duration_ms)),
                full_box(
                    b"hdlr",
                    0,
                    0,
                    b"\0\0\0\0vide\0\0\0\0\0\0\0\0\0\0\0\0VideoHandler\0",
                ),
                mp4_box(
                    b"minf",
                    &[full_box(b"vmhd", 0, 1, &[0; 8]), sample_table()].concat(),
                ),
            ]
            .concat(),
        ),
    ]
    .concat();
    let moov = [
        full_box(b"mvhd", 1, 0, &mvhd(secs, duration_ms)),
        mp4_box(b"trak", &video),
    ]
    .concat();
    let mdat: Vec<u8> = (0..1024u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8)
        .collect();
    [
        mp4_box(b"ftyp", &ftyp),
        mp4_box(b"moov", &moov),
        mp4_box(b"mdat", &mdat),
    ]
    .concat()
}

fn dimensions(spec: &SynthPhoto) -> (u32, u32) {
    (
        spec.width.clamp(1, MAX_SIDE),
        spec.height.clamp(1, MAX_SIDE),
    )
}

/// RGB8 pixels: a gradient whose colours come from `seed`, plus per-pixel noise.
fn pixels(w: u32, h: u32, seed: u64) -> Vec<u8> {
    let mut rng = SplitMix64(seed);
    let base = rng.next().to_le_bytes();
    let mut out = Vec::with_capacity(w as usize * h as usize * 3);
    for y in 0..h {
        for x in 0..w {
            let noise = rng.next().to_le_bytes();
            let gx = (x * 255 / w.max(1)) as u8;
            let gy = (y * 255 / h.max(1)) as u8;
            for (c, g) in [gx, gy, gx / 2 + gy / 2].into_iter().enumerate() {
                let v = g.wrapping_add(base[c]).wrapping_add(noise[c] % 48);
                out.push(v);
            }
        }
    }
    out
}

/// The splitmix64 generator: tiny, fast and the same on every platform.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

fn field(tag: Tag, value: Value) -> Field {
    Field {
        tag,
        ifd_num: In::PRIMARY,
        value,
    }
}

fn ascii(s: &str) -> Value {
    // Keep well inside the APP1 segment whatever the caller passes.
    let bytes: Vec<u8> = s.bytes().take(1024).collect();
    Value::Ascii(vec![bytes])
}

/// The IFD0, EXIF and GPS fields a camera would write for `spec`.
fn exif_fields(spec: &SynthPhoto, w: u32, h: u32) -> Vec<Field> {
    let text = |tag, v: &Option<String>| v.as_deref().map(|s| field(tag, ascii(s)));
    let mut fields: Vec<Field> = [
        Some(field(Tag::Software, ascii("liputan synth"))),
        Some(field(
            Tag::ExifVersion,
            Value::Undefined(b"0232".to_vec(), 0),
        )),
        Some(field(Tag::PixelXDimension, Value::Long(vec![w]))),
        Some(field(Tag::PixelYDimension, Value::Long(vec![h]))),
        text(Tag::Make, &spec.make),
        text(Tag::Model, &spec.model),
        text(Tag::BodySerialNumber, &spec.serial),
        text(Tag::DateTime, &spec.captured),
        text(Tag::DateTimeOriginal, &spec.captured),
        text(Tag::DateTimeDigitized, &spec.captured),
        text(Tag::SubSecTimeOriginal, &spec.subsec),
        text(Tag::OffsetTimeOriginal, &spec.offset),
        text(Tag::OffsetTime, &spec.offset),
        spec.orientation
            .map(|o| field(Tag::Orientation, Value::Short(vec![o]))),
    ]
    .into_iter()
    .flatten()
    .collect();
    if let Some((lat, lon)) = spec.gps {
        fields.extend([
            field(Tag::GPSVersionID, Value::Byte(vec![2, 3, 0, 0])),
            field(
                Tag::GPSLatitudeRef,
                ascii(if lat < 0.0 { "S" } else { "N" }),
            ),
            field(Tag::GPSLatitude, dms(lat)),
            field(
                Tag::GPSLongitudeRef,
                ascii(if lon < 0.0 { "W" } else { "E" }),
            ),
            field(Tag::GPSLongitude, dms(lon)),
        ]);
    }
    fields
}

/// Degrees as EXIF degrees/minutes/seconds rationals (seconds to 1/1000).
fn dms(value: f64) -> Value {
    let total_ms = (value.abs().min(180.0) * 3_600_000.0).round() as u64;
    let deg = total_ms / 3_600_000;
    let min = total_ms / 60_000 % 60;
    let sec_ms = total_ms % 60_000;
    let r = |num: u64, denom: u32| Rational {
        num: num as u32,
        denom,
    };
    Value::Rational(vec![r(deg, 1), r(min, 1), r(sec_ms, 1000)])
}

/// Encodes `fields` (and optionally one strip of image data in IFD0) as a
/// little-endian TIFF.
fn write_tiff(fields: &[Field], strip: Option<&[u8]>) -> Vec<u8> {
    let mut writer = Writer::new();
    for f in fields {
        writer.push_field(f);
    }
    let strips: Vec<&[u8]> = strip.into_iter().collect();
    if !strips.is_empty() {
        writer.set_strips(&strips, In::PRIMARY);
    }
    let mut out = Cursor::new(Vec::new());
    writer
        .write(&mut out, true)
        .expect("the fields built here are valid EXIF and the sink is memory");
    out.into_inner()
}

fn mp4_box(typ: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let size = u32::try_from(payload.len() + 8).unwrap_or(u32::MAX);
    [&size.to_be_bytes()[..], typ, payload].concat()
}

fn full_box(typ: &[u8; 4], version: u8, flags: u32, payload: &[u8]) -> Vec<u8> {
    let vf = (u32::from(version) << 24 | (flags & 0x00ff_ffff)).to_be_bytes();
    mp4_box(typ, &[&vf[..], payload].concat())
}

const IDENTITY_MATRIX: [u32; 9] = [0x0001_0000, 0, 0, 0, 0x0001_0000, 0, 0, 0, 0x4000_0000];

fn matrix() -> Vec<u8> {
    IDENTITY_MATRIX
        .iter()
        .flat_map(|v| v.to_be_bytes())
        .collect()
}

/// Version-1 `mvhd` body: times, timescale 1000, duration in ms, rate, volume, matrix.
fn mvhd(secs: u64, duration_ms: u64) -> Vec<u8> {
    [
        &secs.to_be_bytes()[..],
        &secs.to_be_bytes(),
        &1000u32.to_be_bytes(),
        &duration_ms.to_be_bytes(),
        &0x0001_0000u32.to_be_bytes(),
        &0x0100u16.to_be_bytes(),
        &[0; 10],
        &matrix(),
        &[0; 24],
        &2u32.to_be_bytes(),
    ]
    .concat()
}

/// Version-1 `tkhd` body for track 1 with the size in 16.16 fixed point.
fn tkhd(secs: u64, duration_ms: u64, width: u32, height: u32) -> Vec<u8> {
    let fixed = |v: u32| (v.min(0xffff) << 16).to_be_bytes();
    [
        &secs.to_be_bytes()[..],
        &secs.to_be_bytes(),
        &1u32.to_be_bytes(),
        &[0; 4],
        &duration_ms.to_be_bytes(),
        &[0; 8],
        &[0; 8], // layer, alternate group, volume, reserved
        &matrix(),
        &fixed(width),
        &fixed(height),
    ]
    .concat()
}

/// Version-1 `mdhd` body: times, timescale 1000, duration, language "und".
fn mdhd(secs: u64, duration_ms: u64) -> Vec<u8> {
    [
        &secs.to_be_bytes()[..],
        &secs.to_be_bytes(),
        &1000u32.to_be_bytes(),
        &duration_ms.to_be_bytes(),
        &0x55c4u16.to_be_bytes(),
        &[0; 2],
    ]
    .concat()
}

/// `dinf` with a self-reference and an `stbl` with no samples.
fn sample_table() -> Vec<u8> {
    let url = full_box(b"url ", 0, 1, &[]);
    let dref = full_box(b"dref", 0, 0, &[&1u32.to_be_bytes()[..], &url].concat());
    let empty = |t: &[u8; 4]| full_box(t, 0, 0, &0u32.to_be_bytes());
    let stsz = full_box(b"stsz", 0, 0, &[0; 8]);
    let stbl = [
        empty(b"stsd"),
        empty(b"stts"),
        empty(b"stsc"),
        stsz,
        empty(b"stco"),
    ]
    .concat();
    [mp4_box(b"dinf", &dref), mp4_box(b"stbl", &stbl)].concat()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jpeg_decodes_and_is_deterministic() {
        let spec = SynthPhoto {
            width: 64,
            height: 32,
            seed: 7,
            ..SynthPhoto::default()
        };
        let a = jpeg(&spec);
        assert_eq!(a, jpeg(&spec));
        assert_ne!(
            a,
            jpeg(&SynthPhoto {
                seed: 8,
                ..spec.clone()
            })
        );
        let img = image::load_from_memory(&a).expect("decodable JPEG");
        assert_eq!((img.width(), img.height()), (64, 32));
    }

    #[test]
    fn tiff_raw_decodes() {
        let spec = SynthPhoto {
            width: 16,
            height: 8,
            ..SynthPhoto::default()
        };
        let img = image::load_from_memory(&tiff_raw(&spec)).expect("decodable TIFF");
        assert_eq!((img.width(), img.height()), (16, 8));
    }

    #[test]
    fn dms_round_trips_to_a_millisecond_of_arc() {
        let Value::Rational(parts) = dms(-117.123_456) else {
            panic!("rationals");
        };
        let back = parts[0].to_f64() + parts[1].to_f64() / 60.0 + parts[2].to_f64() / 3600.0;
        assert!((back - 117.123_456).abs() < 1e-6);
    }
}
