//! Deterministic generators of media files: real, decodable JPEGs and TIFF "RAW-like"
//! files with the EXIF a camera would write, and minimal valid MP4s.
//!
//! Library code (not test-only) because tests, the ingest benchmark and `liputan demo`
//! all need the same files. The same spec and seed always give the same bytes. Pixel
//! content is a colour gradient with noise, so files differ by seed and do not compress
//! to nothing; [`scene_jpeg`] draws a picture instead (a ceremony, a meeting) for
//! files people look at.

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
    with_fields(&exif_fields(spec, w, h), pixels, w, h)
}

/// Encodes RGB `pixels` as a baseline JPEG with `fields` as EXIF APP1 after SOI.
fn with_fields(fields: &[Field], pixels: &[u8], w: u32, h: u32) -> Vec<u8> {
    let mut encoded = Vec::new();
    JpegEncoder::new_with_quality(&mut encoded, 85)
        .encode(pixels, w, h, ExtendedColorType::Rgb8)
        .expect("encoding RGB8 of valid dimensions into memory cannot fail");
    let tiff = write_tiff(fields, None);
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

// ---- drawn scenes ---------------------------------------------------------------------

/// What a drawn photo shows. The framing, the people and the colours vary with
/// [`SynthPhoto::seed`]; nothing in the picture is text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scene {
    /// An opening ceremony: a backdrop, a stage with a podium and a speaker, guests
    /// at a dressed table, the red-and-white flag, flowers, the audience from behind.
    Ceremony,
    /// A meeting: a long table in perspective with people around it, microphones and
    /// name plates, framed portraits, the flag, a chart projected on a screen.
    Meeting,
}

/// EXIF text beyond [`SynthPhoto`]: what a camera writes once its owner set it up
/// (artist, copyright), its lens, and a description.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SynthText {
    pub artist: Option<String>,
    pub copyright: Option<String>,
    pub description: Option<String>,
    pub lens: Option<String>,
}

/// A JPEG of `scene` drawn at `spec.width` x `spec.height` (clamped like [`jpeg`]),
/// with `spec`'s EXIF plus `text`. Deterministic in its inputs; a few milliseconds
/// at 640 x 427.
pub fn scene_jpeg(spec: &SynthPhoto, scene: Scene, text: &SynthText) -> Vec<u8> {
    let (w, h) = dimensions(spec);
    let mut canvas = Canvas::new(w, h);
    let mut rng = SplitMix64(spec.seed ^ 0x5ce7_e5ee_d000_0001);
    match scene {
        Scene::Ceremony => draw_ceremony(&mut canvas, &mut rng),
        Scene::Meeting => draw_meeting(&mut canvas, &mut rng),
    }
    let pixels = canvas.finish(&mut rng);
    let mut fields = exif_fields(spec, w, h);
    fields.extend(
        [
            (Tag::Artist, &text.artist),
            (Tag::Copyright, &text.copyright),
            (Tag::ImageDescription, &text.description),
            (Tag::LensModel, &text.lens),
        ]
        .into_iter()
        .filter_map(|(tag, value)| value.as_deref().map(|s| field(tag, ascii(s)))),
    );
    with_fields(&fields, &pixels, w, h)
}

impl SplitMix64 {
    /// Uniform in [0, 1).
    fn unit(&mut self) -> f32 {
        (self.next() >> 40) as f32 / (1u64 << 24) as f32
    }

    fn range(&mut self, lo: f32, hi: f32) -> f32 {
        lo + (hi - lo) * self.unit()
    }

    fn pick<T: Copy>(&mut self, from: &[T]) -> T {
        from[(self.next() % from.len() as u64) as usize]
    }
}

type Rgb = [f32; 3];

const fn rgb(r: u8, g: u8, b: u8) -> Rgb {
    [r as f32, g as f32, b as f32]
}

fn mix(a: Rgb, b: Rgb, t: f32) -> Rgb {
    [
        a[0] + (b[0] - a[0]) * t,
        a[1] + (b[1] - a[1]) * t,
        a[2] + (b[2] - a[2]) * t,
    ]
}

fn shade(c: Rgb, f: f32) -> Rgb {
    [c[0] * f, c[1] * f, c[2] * f]
}

/// The pixel indices that `[a, b)` (in pixels) touches, clipped to `0..n`.
fn span(a: f32, b: f32, n: usize) -> std::ops::Range<usize> {
    let lo = (a.floor().max(0.0) as usize).min(n);
    let hi = (b.ceil().max(0.0) as usize).min(n);
    lo..hi.max(lo)
}

/// How much of pixel `i` lies inside `[a, b)`.
fn cover(i: usize, a: f32, b: f32) -> f32 {
    let p = i as f32;
    ((p + 1.0).min(b) - p.max(a)).clamp(0.0, 1.0)
}

/// An RGB8 drawing surface with anti-aliased rectangles, ellipses and convex polygons.
struct Canvas {
    w: usize,
    h: usize,
    px: Vec<u8>,
    /// Drawing lands only inside `(x0, y0, x1, y1)`.
    clip: (usize, usize, usize, usize),
}

impl Canvas {
    fn new(w: u32, h: u32) -> Canvas {
        let (w, h) = (w as usize, h as usize);
        Canvas {
            w,
            h,
            px: vec![0; w * h * 3],
            clip: (0, 0, w, h),
        }
    }

    /// Limits drawing to a rectangle (in pixels); `None` lifts the limit.
    fn clip_to(&mut self, area: Option<((f32, f32), (f32, f32))>) {
        self.clip = match area {
            None => (0, 0, self.w, self.h),
            Some(((x0, y0), (x1, y1))) => {
                let (xs, ys) = (span(x0, x1, self.w), span(y0, y1, self.h));
                (xs.start, ys.start, xs.end, ys.end)
            }
        };
    }

    fn blend(&mut self, x: usize, y: usize, c: Rgb, a: f32) {
        let (x0, y0, x1, y1) = self.clip;
        if x < x0 || x >= x1 || y < y0 || y >= y1 {
            return;
        }
        let i = (y * self.w + x) * 3;
        if let Some(px) = self.px.get_mut(i..i + 3) {
            for (old, new) in px.iter_mut().zip(c) {
                let o = f32::from(*old);
                *old = (o + (new - o) * a).round().clamp(0.0, 255.0) as u8;
            }
        }
    }

    /// Every row between `y0` and `y1`, top colour to bottom colour.
    fn gradient(&mut self, y0: f32, y1: f32, top: Rgb, bottom: Rgb) {
        for y in span(y0, y1, self.h) {
            let t = ((y as f32 + 0.5 - y0) / (y1 - y0).max(1.0)).clamp(0.0, 1.0);
            let c = mix(top, bottom, t);
            let a = cover(y, y0, y1);
            for x in 0..self.w {
                self.blend(x, y, c, a);
            }
        }
    }

    fn rect(&mut self, (x0, y0): (f32, f32), (x1, y1): (f32, f32), c: Rgb, a: f32) {
        for y in span(y0, y1, self.h) {
            let cy = cover(y, y0, y1);
            for x in span(x0, x1, self.w) {
                self.blend(x, y, c, a * cy * cover(x, x0, x1));
            }
        }
    }

    fn ellipse(&mut self, (cx, cy): (f32, f32), rx: f32, ry: f32, c: Rgb, a: f32) {
        if rx <= 0.0 || ry <= 0.0 {
            return;
        }
        let edge = rx.min(ry);
        for y in span(cy - ry, cy + ry, self.h) {
            let dy = (y as f32 + 0.5 - cy) / ry;
            for x in span(cx - rx, cx + rx, self.w) {
                let dx = (x as f32 + 0.5 - cx) / rx;
                let d = (dx * dx + dy * dy).sqrt();
                let coverage = ((1.0 - d) * edge + 0.5).clamp(0.0, 1.0);
                if coverage > 0.0 {
                    self.blend(x, y, c, a * coverage);
                }
            }
        }
    }

    /// A convex polygon (corners in order, either direction).
    fn polygon(&mut self, corners: &[(f32, f32)], c: Rgb, a: f32) {
        let top = corners.iter().map(|p| p.1).fold(f32::INFINITY, f32::min);
        let bottom = corners
            .iter()
            .map(|p| p.1)
            .fold(f32::NEG_INFINITY, f32::max);
        for y in span(top, bottom, self.h) {
            let yc = y as f32 + 0.5;
            let (mut lo, mut hi) = (f32::INFINITY, f32::NEG_INFINITY);
            for (i, p) in corners.iter().enumerate() {
                let q = corners[(i + 1) % corners.len()];
                if (p.1 <= yc && q.1 > yc) || (q.1 <= yc && p.1 > yc) {
                    let x = p.0 + (yc - p.1) / (q.1 - p.1) * (q.0 - p.0);
                    lo = lo.min(x);
                    hi = hi.max(x);
                }
            }
            if lo < hi {
                for x in span(lo, hi, self.w) {
                    self.blend(x, y, c, a * cover(x, lo, hi));
                }
            }
        }
    }

    /// Light falling off from `(cx, cy)` over radius `r`.
    fn glow(&mut self, (cx, cy): (f32, f32), r: f32, c: Rgb, strength: f32) {
        for y in span(cy - r, cy + r, self.h) {
            let dy = y as f32 + 0.5 - cy;
            for x in span(cx - r, cx + r, self.w) {
                let dx = x as f32 + 0.5 - cx;
                let t = 1.0 - (dx * dx + dy * dy).sqrt() / r;
                if t > 0.0 {
                    self.blend(x, y, c, strength * t * t);
                }
            }
        }
    }

    /// The lens's vignette and the sensor's noise, as RGB8.
    fn finish(mut self, rng: &mut SplitMix64) -> Vec<u8> {
        let (hw, hh) = (self.w as f32 / 2.0, self.h as f32 / 2.0);
        for y in 0..self.h {
            let dy = (y as f32 + 0.5 - hh) / hh;
            for x in 0..self.w {
                let dx = (x as f32 + 0.5 - hw) / hw;
                let light = 1.0 - 0.22 * (dx * dx + dy * dy);
                let noise = rng.next();
                let grain = (noise % 11) as f32 - 5.0;
                let i = (y * self.w + x) * 3;
                for (k, v) in self.px[i..i + 3].iter_mut().enumerate() {
                    let chroma = ((noise >> (8 + 8 * k)) % 5) as f32 - 2.0;
                    *v = (f32::from(*v) * light + grain + chroma)
                        .round()
                        .clamp(0.0, 255.0) as u8;
                }
            }
        }
        self.px
    }
}

/// Scene coordinates (fractions of the frame at zoom 1) to pixels, for a camera
/// zoomed by `zoom` and pointed at `(cu, ct)`.
struct View {
    w: f32,
    h: f32,
    zoom: f32,
    cu: f32,
    ct: f32,
}

impl View {
    fn x(&self, u: f32) -> f32 {
        (u - self.cu) * self.zoom * self.w + self.w / 2.0
    }

    fn y(&self, t: f32) -> f32 {
        (t - self.ct) * self.zoom * self.h + self.h / 2.0
    }

    fn at(&self, u: f32, t: f32) -> (f32, f32) {
        (self.x(u), self.y(t))
    }

    /// A length in fractions of the frame's height.
    fn len(&self, l: f32) -> f32 {
        l * self.zoom * self.h
    }

    fn framed(c: &Canvas, rng: &mut SplitMix64, zoom: (f32, f32), centre: (f32, f32)) -> View {
        let zoom = rng.range(zoom.0, zoom.1);
        let slack = 0.5 - 0.5 / zoom;
        View {
            w: c.w as f32,
            h: c.h as f32,
            zoom,
            cu: centre.0 + rng.range(-0.06 - slack, 0.06 + slack),
            ct: centre.1 + rng.range(-0.03 - slack / 2.0, 0.03 + slack / 2.0),
        }
    }
}

#[derive(Debug, Clone, Copy)]
enum Headwear {
    Hair,
    /// The black cap men wear at official occasions.
    Peci,
    Hijab(Rgb),
}

#[derive(Debug, Clone, Copy)]
enum Dress {
    Plain(Rgb),
    Batik(Rgb, Rgb),
    Suit(Rgb),
}

#[derive(Debug, Clone, Copy)]
struct Look {
    skin: Rgb,
    hair: Rgb,
    head: Headwear,
    dress: Dress,
}

const SKINS: [Rgb; 4] = [
    rgb(198, 150, 115),
    rgb(176, 128, 94),
    rgb(158, 110, 78),
    rgb(214, 172, 138),
];
const HIJABS: [Rgb; 6] = [
    rgb(30, 60, 120),
    rgb(150, 40, 70),
    rgb(235, 225, 210),
    rgb(60, 110, 90),
    rgb(110, 80, 140),
    rgb(40, 40, 45),
];
const BATIK: [(Rgb, Rgb); 5] = [
    (rgb(120, 50, 30), rgb(230, 180, 90)),
    (rgb(30, 60, 110), rgb(220, 200, 140)),
    (rgb(20, 90, 80), rgb(240, 220, 160)),
    (rgb(90, 30, 60), rgb(235, 170, 120)),
    (rgb(60, 40, 30), rgb(200, 150, 80)),
];
/// Khaki civil-service uniform (PDH), white shirt.
const PLAIN: [Rgb; 2] = [rgb(190, 165, 118), rgb(232, 232, 228)];

fn look(rng: &mut SplitMix64, formal: bool) -> Look {
    let woman = rng.unit() < 0.4;
    let head = if woman {
        if rng.unit() < 0.75 {
            Headwear::Hijab(rng.pick(&HIJABS))
        } else {
            Headwear::Hair
        }
    } else if rng.unit() < if formal { 0.7 } else { 0.3 } {
        Headwear::Peci
    } else {
        Headwear::Hair
    };
    let dress = match (formal, rng.next() % 4) {
        (true, 0 | 1) | (false, 0) => Dress::Suit(rgb(34, 37, 48)),
        (_, 2) => {
            let (base, accent) = rng.pick(&BATIK);
            Dress::Batik(base, accent)
        }
        _ => Dress::Plain(rng.pick(&PLAIN)),
    };
    Look {
        skin: rng.pick(&SKINS),
        hair: rgb(26, 22, 20),
        head,
        dress,
    }
}

/// A person from the chest up: centred on `cx`, the top of the head at `top`, `s`
/// the head's height in pixels.
fn person(c: &mut Canvas, (cx, top): (f32, f32), s: f32, look: &Look, facing_away: bool) {
    let (head_cy, hrx, hry) = (top + s * 0.5, s * 0.4, s * 0.5);
    let shoulders = top + s * 1.1;
    let half = s * 1.0;
    let cloth = match look.dress {
        Dress::Plain(c) | Dress::Batik(c, _) | Dress::Suit(c) => c,
    };
    c.ellipse((cx, shoulders + s * 0.3), half, s * 0.4, cloth, 1.0);
    c.rect(
        (cx - half, shoulders + s * 0.3),
        (cx + half, shoulders + s * 2.8),
        cloth,
        1.0,
    );
    match look.dress {
        Dress::Batik(_, accent) => {
            let step = (s * 0.3).max(2.0);
            let mut y = shoulders + s * 0.45;
            let mut row = 0;
            while y < shoulders + s * 2.7 {
                let mut x = cx - half + step * if row % 2 == 0 { 0.5 } else { 1.0 };
                while x < cx + half - step * 0.3 {
                    c.ellipse((x, y), step * 0.2, step * 0.2, accent, 0.9);
                    x += step;
                }
                y += step;
                row += 1;
            }
        }
        Dress::Suit(_) if !facing_away => {
            c.polygon(
                &[
                    (cx - s * 0.3, shoulders + s * 0.05),
                    (cx + s * 0.3, shoulders + s * 0.05),
                    (cx, shoulders + s * 1.0),
                ],
                rgb(240, 240, 238),
                1.0,
            );
            c.polygon(
                &[
                    (cx - s * 0.06, shoulders + s * 0.12),
                    (cx + s * 0.06, shoulders + s * 0.12),
                    (cx + s * 0.09, shoulders + s * 0.8),
                    (cx, shoulders + s * 0.95),
                    (cx - s * 0.09, shoulders + s * 0.8),
                ],
                rgb(140, 28, 34),
                1.0,
            );
        }
        _ => {}
    }
    match look.head {
        Headwear::Hijab(color) => {
            c.polygon(
                &[
                    (cx - s * 0.45, head_cy),
                    (cx + s * 0.45, head_cy),
                    (cx + s * 0.8, shoulders + s * 0.7),
                    (cx - s * 0.8, shoulders + s * 0.7),
                ],
                color,
                1.0,
            );
            c.ellipse((cx, head_cy), hrx * 1.2, hry * 1.12, color, 1.0);
            if !facing_away {
                c.ellipse(
                    (cx, head_cy + s * 0.06),
                    hrx * 0.8,
                    hry * 0.76,
                    look.skin,
                    1.0,
                );
            }
        }
        Headwear::Hair | Headwear::Peci => {
            c.rect(
                (cx - s * 0.15, top + s * 0.8),
                (cx + s * 0.15, shoulders + s * 0.2),
                shade(look.skin, 0.85),
                1.0,
            );
            if facing_away {
                c.ellipse((cx, head_cy), hrx * 1.04, hry, look.hair, 1.0);
            } else {
                c.ellipse((cx, head_cy), hrx, hry, look.skin, 1.0);
                c.ellipse(
                    (cx, head_cy - hry * 0.5),
                    hrx * 1.03,
                    hry * 0.55,
                    look.hair,
                    1.0,
                );
            }
            if matches!(look.head, Headwear::Peci) {
                c.rect(
                    (cx - hrx * 1.02, top - s * 0.1),
                    (cx + hrx * 1.02, top + s * 0.27),
                    rgb(16, 16, 18),
                    1.0,
                );
            }
        }
    }
    if !facing_away && s >= 14.0 {
        let eye = rgb(30, 24, 22);
        for side in [-1.0, 1.0] {
            c.ellipse(
                (cx + side * hrx * 0.38, head_cy + s * 0.02),
                s * 0.05,
                s * 0.035,
                eye,
                0.9,
            );
        }
        c.rect(
            (cx - s * 0.1, head_cy + s * 0.24),
            (cx + s * 0.1, head_cy + s * 0.27),
            shade(look.skin, 0.7),
            0.8,
        );
    }
}

/// The red-and-white flag on a pole whose foot is at `(u, foot)`.
fn flag(c: &mut Canvas, v: &View, u: f32, foot: f32, height: f32) {
    let top = foot - height;
    c.rect(
        v.at(u - 0.003, top),
        v.at(u + 0.003, foot),
        rgb(190, 190, 185),
        1.0,
    );
    c.ellipse(
        v.at(u, top),
        v.len(0.008),
        v.len(0.008),
        rgb(210, 170, 60),
        1.0,
    );
    let (w, band) = (height * 0.28, height * 0.1);
    c.rect(
        v.at(u + 0.003, top + 0.01),
        v.at(u + 0.003 + w, top + 0.01 + band),
        rgb(206, 17, 38),
        1.0,
    );
    c.rect(
        v.at(u + 0.003, top + 0.01 + band),
        v.at(u + 0.003 + w, top + 0.01 + 2.0 * band),
        rgb(244, 244, 242),
        1.0,
    );
    c.ellipse(
        v.at(u, foot),
        v.len(0.025),
        v.len(0.008),
        rgb(150, 120, 50),
        1.0,
    );
}

/// Pembukaan: backdrop, stage, podium and speaker, guests, flag, flowers, audience.
fn draw_ceremony(c: &mut Canvas, rng: &mut SplitMix64) {
    let v = View::framed(c, rng, (1.0, 1.45), (0.5, 0.45));
    let (top, bottom, glow) = rng.pick(&[
        (rgb(24, 62, 124), rgb(10, 32, 78), rgb(90, 170, 230)),
        (rgb(126, 26, 38), rgb(70, 12, 22), rgb(240, 150, 120)),
        (rgb(14, 98, 96), rgb(6, 56, 60), rgb(120, 220, 200)),
    ]);
    let gold = rgb(214, 172, 64);
    c.gradient(0.0, c.h as f32, rgb(60, 46, 42), rgb(96, 76, 62));
    // The backdrop banner: an emblem, bars of light, a band of triangles.
    c.gradient(v.y(0.04), v.y(0.54), top, bottom);
    // The hall's wall on either side of the banner.
    c.rect((0.0, 0.0), (v.x(0.06), c.h as f32), rgb(64, 50, 44), 1.0);
    c.rect(
        (v.x(0.94), 0.0),
        (c.w as f32, c.h as f32),
        rgb(64, 50, 44),
        1.0,
    );
    c.glow(v.at(0.5, 0.28), v.len(0.5), glow, 0.25);
    c.ellipse(v.at(0.2, 0.2), v.len(0.08), v.len(0.08), gold, 1.0);
    c.ellipse(v.at(0.2, 0.2), v.len(0.06), v.len(0.06), top, 1.0);
    c.ellipse(v.at(0.2, 0.2), v.len(0.035), v.len(0.035), gold, 0.9);
    let bars = [(0.12, 0.045), (0.21, 0.03), (0.27, 0.022)];
    for (i, (t, height)) in bars.into_iter().enumerate() {
        let end = 0.86 - 0.08 * i as f32 - rng.range(0.0, 0.06);
        c.rect(
            v.at(0.32, t),
            v.at(end, t + height),
            rgb(245, 245, 240),
            0.85,
        );
    }
    let mut u = 0.06;
    while u < 0.94 {
        c.polygon(
            &[v.at(u, 0.52), v.at(u + 0.015, 0.46), v.at(u + 0.03, 0.52)],
            gold,
            0.9,
        );
        u += 0.03;
    }
    // The stage, its red carpet, the guests' table.
    c.polygon(
        &[
            v.at(-0.2, 0.55),
            v.at(1.2, 0.55),
            v.at(1.3, 0.66),
            v.at(-0.3, 0.66),
        ],
        rgb(112, 74, 48),
        1.0,
    );
    c.rect(v.at(-0.3, 0.66), v.at(1.3, 0.72), rgb(66, 42, 28), 1.0);
    c.polygon(
        &[
            v.at(0.36, 0.55),
            v.at(0.64, 0.55),
            v.at(0.68, 0.66),
            v.at(0.32, 0.66),
        ],
        rgb(150, 28, 36),
        1.0,
    );
    for i in 0..3 {
        let guest = look(rng, true);
        person(
            c,
            v.at(0.13 + 0.085 * i as f32, 0.4),
            v.len(0.06),
            &guest,
            false,
        );
    }
    c.rect(v.at(0.07, 0.5), v.at(0.37, 0.62), rgb(236, 236, 230), 1.0);
    for i in 0..10 {
        let x = 0.085 + 0.029 * i as f32;
        c.rect(
            v.at(x, 0.53),
            v.at(x + 0.003, 0.62),
            rgb(206, 206, 200),
            1.0,
        );
    }
    flag(c, &v, 0.86, 0.62, 0.5);
    // The speaker behind the podium, in the light.
    let speaker = look(rng, true);
    let su = 0.5 + rng.range(-0.015, 0.015);
    person(c, v.at(su, 0.33), v.len(0.085), &speaker, false);
    c.glow(v.at(0.5, 0.4), v.len(0.25), rgb(255, 244, 220), 0.16);
    c.polygon(
        &[
            v.at(0.44, 0.47),
            v.at(0.56, 0.47),
            v.at(0.555, 0.66),
            v.at(0.445, 0.66),
        ],
        rgb(124, 82, 52),
        1.0,
    );
    c.rect(
        v.at(0.435, 0.465),
        v.at(0.565, 0.485),
        rgb(150, 104, 68),
        1.0,
    );
    c.ellipse(v.at(0.5, 0.54), v.len(0.02), v.len(0.02), gold, 1.0);
    c.polygon(
        &[
            v.at(0.497, 0.47),
            v.at(0.503, 0.47),
            v.at(su + 0.004, 0.41),
            v.at(su - 0.002, 0.41),
        ],
        rgb(20, 20, 22),
        1.0,
    );
    c.ellipse(
        v.at(su + 0.001, 0.405),
        v.len(0.008),
        v.len(0.011),
        rgb(30, 30, 32),
        1.0,
    );
    // Flowers along the stage's edge.
    for i in 0..9 {
        let u = 0.36 + 0.035 * i as f32;
        c.ellipse(
            v.at(u, 0.665),
            v.len(0.03),
            v.len(0.02),
            rgb(44, 110, 52),
            1.0,
        );
        let bloom = rng.pick(&[
            rgb(220, 40, 60),
            rgb(250, 210, 60),
            rgb(245, 245, 240),
            rgb(230, 120, 160),
        ]);
        c.ellipse(
            v.at(u + rng.range(-0.01, 0.01), 0.655),
            v.len(0.009),
            v.len(0.009),
            bloom,
            1.0,
        );
    }
    // The audience from behind: a far row and a near row.
    for (row_top, size, count) in [(0.63, 0.1, 8), (0.76, 0.15, 6)] {
        let step = 1.2 / count as f32;
        for i in 0..count {
            let u = -0.1 + step * (i as f32 + 0.5) + rng.range(-0.02, 0.02);
            let guest = look(rng, false);
            let t = row_top + rng.range(-0.01, 0.015);
            person(c, v.at(u, t), v.len(size), &guest, true);
        }
    }
}

/// Rapat: a long table in perspective, people around it, a chart on the screen.
fn draw_meeting(c: &mut Canvas, rng: &mut SplitMix64) {
    let v = View::framed(c, rng, (1.0, 1.3), (0.5, 0.5));
    let (w, h) = (c.w as f32, c.h as f32);
    c.gradient(
        0.0,
        v.y(0.58).max(1.0),
        rgb(216, 206, 186),
        rgb(184, 172, 150),
    );
    c.gradient(v.y(0.58), h, rgb(128, 44, 48), rgb(92, 30, 34));
    c.rect((0.0, v.y(0.42)), (w, v.y(0.58)), rgb(138, 96, 62), 1.0);
    c.rect((0.0, v.y(0.42)), (w, v.y(0.425)), rgb(170, 126, 84), 1.0);
    for i in 0..4 {
        c.glow(
            v.at(0.12 + 0.25 * i as f32, 0.0),
            v.len(0.12),
            rgb(255, 250, 235),
            0.5,
        );
    }
    // Framed portraits and the emblem between them.
    for u in [0.1, 0.3] {
        c.rect(v.at(u, 0.1), v.at(u + 0.08, 0.24), rgb(190, 150, 60), 1.0);
        c.rect(
            v.at(u + 0.008, 0.112),
            v.at(u + 0.072, 0.228),
            rgb(70, 90, 120),
            1.0,
        );
        let portrait = Look {
            skin: SKINS[0],
            hair: rgb(26, 22, 20),
            head: Headwear::Peci,
            dress: Dress::Suit(rgb(34, 37, 48)),
        };
        c.clip_to(Some((v.at(u + 0.008, 0.112), v.at(u + 0.072, 0.228))));
        person(c, v.at(u + 0.04, 0.13), v.len(0.045), &portrait, false);
        c.clip_to(None);
        c.rect(
            v.at(u + 0.008, 0.228),
            v.at(u + 0.072, 0.24),
            rgb(190, 150, 60),
            1.0,
        );
    }
    c.ellipse(
        v.at(0.22, 0.14),
        v.len(0.03),
        v.len(0.035),
        rgb(214, 172, 64),
        1.0,
    );
    // The screen and its chart.
    c.rect(v.at(0.55, 0.07), v.at(0.91, 0.41), rgb(40, 40, 44), 1.0);
    c.rect(v.at(0.56, 0.08), v.at(0.9, 0.4), rgb(240, 242, 246), 1.0);
    c.rect(v.at(0.56, 0.08), v.at(0.9, 0.13), rgb(22, 52, 112), 1.0);
    let colours = [
        rgb(40, 110, 190),
        rgb(230, 140, 40),
        rgb(60, 160, 90),
        rgb(200, 60, 60),
    ];
    for (i, colour) in colours.into_iter().enumerate() {
        let u = 0.59 + 0.045 * i as f32;
        let height = rng.range(0.06, 0.2);
        c.rect(v.at(u, 0.37 - height), v.at(u + 0.03, 0.37), colour, 1.0);
    }
    c.rect(v.at(0.58, 0.37), v.at(0.77, 0.373), rgb(90, 90, 96), 1.0);
    c.ellipse(
        v.at(0.83, 0.27),
        v.len(0.06),
        v.len(0.06),
        rgb(40, 110, 190),
        1.0,
    );
    c.polygon(
        &[v.at(0.83, 0.27), v.at(0.83, 0.21), v.at(0.875, 0.23)],
        rgb(230, 140, 40),
        1.0,
    );
    c.glow(v.at(0.73, 0.24), v.len(0.3), rgb(255, 255, 255), 0.12);
    flag(c, &v, 0.47, 0.5, 0.36);
    // People: the chair at the far end, then down both sides, growing nearer.
    let chair = look(rng, true);
    person(c, v.at(0.5, 0.35), v.len(0.07), &chair, false);
    for side in [-1.0f32, 1.0] {
        for i in 0..3 {
            let p = 0.2 + 0.3 * i as f32;
            let edge_u = 0.5 + side * (0.2 + 0.45 * p);
            let size = 0.07 + 0.1 * p;
            let u = edge_u + side * size * 0.6;
            let t = 0.5 + 0.45 * p - size * 1.6;
            let guest = look(rng, i == 0);
            person(c, v.at(u, t), v.len(size), &guest, rng.unit() < 0.3);
        }
    }
    // The table, its glare, and what is on it.
    c.polygon(
        &[
            v.at(0.3, 0.5),
            v.at(0.7, 0.5),
            v.at(1.15, 0.95),
            v.at(-0.15, 0.95),
        ],
        rgb(96, 62, 40),
        1.0,
    );
    c.polygon(
        &[
            v.at(0.44, 0.5),
            v.at(0.56, 0.5),
            v.at(0.7, 0.95),
            v.at(0.3, 0.95),
        ],
        rgb(250, 245, 235),
        0.18,
    );
    for side in [-1.0f32, 1.0] {
        for i in 0..3 {
            let p = 0.2 + 0.3 * i as f32;
            let s = 0.6 + 1.2 * p;
            let u = 0.5 + side * (0.2 + 0.45 * p - 0.05 * s);
            let t = 0.5 + 0.45 * p;
            c.rect(
                v.at(u - 0.012 * s, t - 0.02 * s),
                v.at(u + 0.012 * s, t),
                rgb(245, 245, 245),
                1.0,
            );
            let mic = u - side * 0.03 * s;
            c.rect(
                v.at(mic - 0.002 * s, t - 0.05 * s),
                v.at(mic + 0.002 * s, t),
                rgb(20, 20, 22),
                1.0,
            );
            c.ellipse(
                v.at(mic, t - 0.05 * s),
                v.len(0.006 * s),
                v.len(0.008 * s),
                rgb(40, 40, 44),
                1.0,
            );
            let bottle = u + side * 0.03 * s;
            c.rect(
                v.at(bottle - 0.005 * s, t - 0.045 * s),
                v.at(bottle + 0.005 * s, t),
                rgb(170, 210, 235),
                0.85,
            );
            c.rect(
                v.at(bottle - 0.003 * s, t - 0.052 * s),
                v.at(bottle + 0.003 * s, t - 0.045 * s),
                rgb(30, 80, 170),
                1.0,
            );
        }
    }
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
    fn scenes_are_deterministic_pictures_with_the_exif_asked_for() {
        let text = SynthText {
            artist: Some("Yosef Ngau Lirung".into()),
            lens: Some("RF24-105mm F4 L IS USM".into()),
            ..SynthText::default()
        };
        for scene in [Scene::Ceremony, Scene::Meeting] {
            let spec = SynthPhoto {
                width: 320,
                height: 213,
                seed: 3,
                ..SynthPhoto::default()
            };
            let a = scene_jpeg(&spec, scene, &text);
            assert_eq!(a, scene_jpeg(&spec, scene, &text));
            assert_ne!(
                a,
                scene_jpeg(
                    &SynthPhoto {
                        seed: 4,
                        ..spec.clone()
                    },
                    scene,
                    &text
                )
            );
            let img = image::load_from_memory(&a).expect("decodable").to_rgb8();
            assert_eq!(img.dimensions(), (320, 213));
            // Shapes, not noise or a flat field: wide contrast between regions.
            let luma: Vec<f32> = img
                .pixels()
                .map(|p| 0.3 * f32::from(p[0]) + 0.6 * f32::from(p[1]) + 0.1 * f32::from(p[2]))
                .collect();
            let mean = luma.iter().sum::<f32>() / luma.len() as f32;
            let var = luma.iter().map(|l| (l - mean).powi(2)).sum::<f32>() / luma.len() as f32;
            assert!(var.sqrt() > 25.0, "{scene:?}: contrast {}", var.sqrt());
            let exif = exif::Reader::new()
                .read_from_container(&mut Cursor::new(&a))
                .expect("EXIF");
            let text_of = |tag| {
                exif.get_field(tag, In::PRIMARY)
                    .map(|f| f.display_value().to_string())
                    .unwrap_or_default()
            };
            assert!(text_of(Tag::Artist).contains("Yosef Ngau Lirung"));
            assert!(text_of(Tag::LensModel).contains("RF24-105mm"));
            assert!(text_of(Tag::Model).contains("Canon EOS R6"));
        }
    }

    #[test]
    fn scenes_of_odd_sizes_do_not_panic() {
        for (width, height) in [(1, 1), (3, 900), (900, 2)] {
            let spec = SynthPhoto {
                width,
                height,
                ..SynthPhoto::default()
            };
            for scene in [Scene::Ceremony, Scene::Meeting] {
                let img = image::load_from_memory(&scene_jpeg(&spec, scene, &SynthText::default()))
                    .expect("decodable");
                assert_eq!((img.width(), img.height()), (width, height));
            }
        }
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
