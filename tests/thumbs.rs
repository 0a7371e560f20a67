//! `liputan::media::thumbs` on real files and generated ones: every real camera JPEG
//! gets a small decodable thumbnail; EXIF orientation lands every corner where it
//! belongs; a 6000 px photo yields a 1500 px preview; RAW files give their embedded
//! preview; videos a poster frame (ffmpeg); broken, hostile and oversized files give a
//! `ThumbError`, never a panic or a large allocation.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use exif::experimental::Writer;
use exif::{Field, In, Tag, Value};
use image::codecs::jpeg::JpegEncoder;
use image::{ExtendedColorType, ImageEncoder, RgbImage};
use jiff::tz::Offset;
use liputan::media::synth::{self, SynthPhoto};
use liputan::media::thumbs::{
    damaged_placeholder, derive, ffmpeg_available, placeholder, Derived, Limits, ThumbError,
    PLACEHOLDER_CONTENT_TYPE, PREVIEW_EDGE, THUMB_EDGE,
};
use liputan::media::{read_metadata, Kind};

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real-cameras")
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("writing a test file");
    path
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Orientation as the pipeline gets it: from the metadata reader.
fn orientation_of(path: &Path, kind: Kind) -> Option<u16> {
    read_metadata(path, kind, Offset::UTC).orientation
}

fn decode(jpeg: &[u8]) -> RgbImage {
    image::load_from_memory(jpeg)
        .expect("output is a decodable image")
        .to_rgb8()
}

fn long_edge(img: &RgbImage) -> u32 {
    img.width().max(img.height())
}

// ---- generated images -------------------------------------------------------------

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Colour {
    Red,
    Green,
    Blue,
    White,
}

const PALETTE: [(Colour, [u8; 3]); 4] = [
    (Colour::Red, [220, 30, 30]),
    (Colour::Green, [30, 200, 30]),
    (Colour::Blue, [30, 30, 220]),
    (Colour::White, [240, 240, 240]),
];

/// Stored (unrotated) quadrants: red top-left, green top-right, blue bottom-left, white
/// bottom-right.
fn quadrants(w: u32, h: u32) -> Vec<u8> {
    let rgb = |c: Colour| {
        PALETTE
            .iter()
            .find(|(k, _)| *k == c)
            .map_or([0; 3], |p| p.1)
    };
    let mut out = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for x in 0..w {
            let c = match (x < w / 2, y < h / 2) {
                (true, true) => Colour::Red,
                (false, true) => Colour::Green,
                (true, false) => Colour::Blue,
                (false, false) => Colour::White,
            };
            out.extend_from_slice(&rgb(c));
        }
    }
    out
}

fn encode_jpeg(rgb: &[u8], w: u32, h: u32) -> Vec<u8> {
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 92)
        .encode(rgb, w, h, ExtendedColorType::Rgb8)
        .expect("encoding a test image");
    out
}

/// A TIFF (EXIF) structure with these IFD0 fields, as kamadak-exif writes it.
fn exif_tiff(fields: &[(Tag, Value)]) -> Vec<u8> {
    let fields: Vec<Field> = fields
        .iter()
        .map(|(tag, value)| Field {
            tag: *tag,
            ifd_num: In::PRIMARY,
            value: value.clone(),
        })
        .collect();
    let mut writer = Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut out = Cursor::new(Vec::new());
    writer.write(&mut out, true).expect("writing EXIF");
    out.into_inner()
}

/// `jpeg` with an EXIF APP1 carrying `orientation` right after SOI.
fn with_orientation(jpeg: &[u8], orientation: u16) -> Vec<u8> {
    let tiff = exif_tiff(&[
        (Tag::Make, Value::Ascii(vec![b"Canon".to_vec()])),
        (Tag::Orientation, Value::Short(vec![orientation])),
    ]);
    let mut out = vec![0xff, 0xd8, 0xff, 0xe1];
    out.extend_from_slice(&u16::try_from(tiff.len() + 8).expect("small").to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(&jpeg[2..]);
    out
}

fn classify(px: &image::Rgb<u8>) -> Colour {
    let dist = |c: [u8; 3]| -> u32 {
        (0..3)
            .map(|i| (i32::from(px.0[i]) - i32::from(c[i])).unsigned_abs().pow(2))
            .sum()
    };
    PALETTE
        .iter()
        .min_by_key(|(_, c)| dist(*c))
        .map_or(Colour::White, |p| p.0)
}

/// Colours at the centres of the top-left, top-right, bottom-left, bottom-right quadrants.
fn corners(img: &RgbImage) -> [Colour; 4] {
    let (w, h) = (img.width(), img.height());
    let at = |x: u32, y: u32| classify(img.get_pixel(x, y));
    [
        at(w / 4, h / 4),
        at(3 * w / 4, h / 4),
        at(w / 4, 3 * h / 4),
        at(3 * w / 4, 3 * h / 4),
    ]
}

/// Where red (stored top-left) and green (stored top-right) are shown, per EXIF
/// orientation: TL, TR, BL, BR as 0..4.
fn expected_red_and_green(orientation: u16) -> (usize, usize) {
    match orientation {
        1 => (0, 1), // as stored
        2 => (1, 0), // mirrored left-right
        3 => (3, 2), // rotated 180
        4 => (2, 3), // mirrored top-bottom
        5 => (0, 2), // transposed
        6 => (1, 3), // rotated 90 clockwise
        7 => (3, 1), // transversed
        8 => (2, 0), // rotated 90 counter-clockwise
        _ => unreachable!("orientation 1..=8"),
    }
}

fn assert_layout(img: &RgbImage, orientation: u16, what: &str) {
    let got = corners(img);
    let (red, green) = expected_red_and_green(orientation);
    assert_eq!(
        got[red],
        Colour::Red,
        "{what}, orientation {orientation}: {got:?}"
    );
    assert_eq!(
        got[green],
        Colour::Green,
        "{what}, orientation {orientation}: {got:?}"
    );
    let portrait = orientation >= 5;
    assert_eq!(
        img.height() > img.width(),
        portrait,
        "{what}, orientation {orientation}"
    );
}

/// A flat grey baseline JPEG of any size, hand-built so that even 100 megapixels cost a
/// few hundred KB: one-code Huffman tables, every block "DC unchanged, end of block"
/// (2 bits). With `data: false` only the headers are written.
fn flat_grey_jpeg(width: u16, height: u16, data: bool) -> Vec<u8> {
    let mut j = vec![0xff, 0xd8];
    j.extend_from_slice(&[0xff, 0xdb, 0, 67, 0]);
    j.extend_from_slice(&[1; 64]);
    j.extend_from_slice(&[0xff, 0xc0, 0, 11, 8]);
    j.extend_from_slice(&height.to_be_bytes());
    j.extend_from_slice(&width.to_be_bytes());
    j.extend_from_slice(&[1, 1, 0x11, 0]);
    for class in [0x00, 0x10] {
        j.extend_from_slice(&[0xff, 0xc4, 0, 20, class, 1]);
        j.extend_from_slice(&[0; 15]);
        j.push(0); // the one symbol: DC category 0, or AC end-of-block
    }
    j.extend_from_slice(&[0xff, 0xda, 0, 8, 1, 1, 0x00, 0, 63, 0]);
    if data {
        let blocks = u64::from(width.div_ceil(8)) * u64::from(height.div_ceil(8));
        j.resize(j.len() + (blocks * 2).div_ceil(8) as usize, 0);
        j.extend_from_slice(&[0xff, 0xd9]);
    }
    j
}

// ---- a minimal TIFF writer for RAW-shaped files -----------------------------------

/// One IFD entry whose value fits in the 4-byte field: (tag, type, value).
type Entry = (u16, u16, u32);
const SHORT: u16 = 3;
const LONG: u16 = 4;

fn ifd_len(entries: &[Entry]) -> usize {
    2 + 12 * entries.len() + 4
}

fn push_ifd(out: &mut Vec<u8>, entries: &[Entry], next: u32) {
    let counted: Vec<_> = entries.iter().map(|&(t, ty, v)| (t, ty, 1, v)).collect();
    push_ifd_counted(out, &counted, next);
}

/// Like [`push_ifd`], with a count per entry (for UNDEFINED blobs stored elsewhere).
fn push_ifd_counted(out: &mut Vec<u8>, entries: &[(u16, u16, u32, u32)], next: u32) {
    let mut entries = entries.to_vec();
    entries.sort_by_key(|e| e.0);
    out.extend_from_slice(&u16::try_from(entries.len()).expect("few").to_le_bytes());
    for (tag, typ, count, value) in entries {
        out.extend_from_slice(&tag.to_le_bytes());
        out.extend_from_slice(&typ.to_le_bytes());
        out.extend_from_slice(&count.to_le_bytes());
        if typ == SHORT {
            out.extend_from_slice(&u16::try_from(value).expect("short").to_le_bytes());
            out.extend_from_slice(&[0, 0]);
        } else {
            out.extend_from_slice(&value.to_le_bytes());
        }
    }
    out.extend_from_slice(&next.to_le_bytes());
}

/// A little-endian TIFF shaped like a NEF: IFD0 describes the raw data (uncompressed
/// CFA strip) and carries the orientation; IFD1 a small JPEG thumbnail; a SubIFD the
/// large JPEG preview. Returns the file bytes.
fn tiff_raw_with_previews(orientation: u16, thumb: &[u8], preview: &[u8]) -> Vec<u8> {
    let raw = vec![0x80u8; 4096];
    let n0 = 10;
    let ifd0_at = 8;
    let ifd1_at = ifd0_at + 2 + 12 * n0 + 4;
    let ifd1 = [(0x0103, SHORT, 6), (0x0201, LONG, 0), (0x0202, LONG, 0)];
    let sub_at = ifd1_at + ifd_len(&ifd1);
    let sub = [
        (0x00fe, LONG, 0),
        (0x0103, SHORT, 6),
        (0x0201, LONG, 0),
        (0x0202, LONG, 0),
    ];
    let thumb_at = sub_at + ifd_len(&sub);
    let preview_at = thumb_at + thumb.len();
    let raw_at = preview_at + preview.len();
    let u = |v: usize| u32::try_from(v).expect("small file");
    let ifd0 = [
        (0x00fe, LONG, 0),
        (0x0100, LONG, 64),
        (0x0101, LONG, 32),
        (0x0102, SHORT, 16),
        (0x0103, SHORT, 1),
        (0x0106, SHORT, 32803),
        (0x0111, LONG, u(raw_at)),
        (0x0112, SHORT, u32::from(orientation)),
        (0x0117, LONG, u(raw.len())),
        (0x014a, LONG, u(sub_at)),
    ];
    assert_eq!(ifd0.len(), n0);
    let ifd1 = [
        (0x0103, SHORT, 6),
        (0x0201, LONG, u(thumb_at)),
        (0x0202, LONG, u(thumb.len())),
    ];
    let sub = [
        (0x00fe, LONG, 1),
        (0x0103, SHORT, 6),
        (0x0201, LONG, u(preview_at)),
        (0x0202, LONG, u(preview.len())),
    ];
    let mut out = b"II*\0".to_vec();
    out.extend_from_slice(&u(ifd0_at).to_le_bytes());
    push_ifd(&mut out, &ifd0, u(ifd1_at));
    push_ifd(&mut out, &ifd1, 0);
    push_ifd(&mut out, &sub, 0);
    assert_eq!(out.len(), thumb_at);
    out.extend_from_slice(thumb);
    out.extend_from_slice(preview);
    out.extend_from_slice(&raw);
    out
}

/// A 1620 x 1080 quadrant JPEG (a camera's preview size) and a 160 x 120 all-blue one
/// (a camera's tiny thumbnail), shared by the RAW tests.
fn raw_previews() -> &'static (Vec<u8>, Vec<u8>) {
    static PREVIEWS: OnceLock<(Vec<u8>, Vec<u8>)> = OnceLock::new();
    PREVIEWS.get_or_init(|| {
        let large = encode_jpeg(&quadrants(1620, 1080), 1620, 1080);
        let blue: Vec<u8> = [30u8, 30, 220].repeat(160 * 120);
        (large, encode_jpeg(&blue, 160, 120))
    })
}

// ---- tests ------------------------------------------------------------------------

#[test]
fn every_real_camera_jpeg_gets_a_small_decodable_thumbnail() {
    let mut seen = 0;
    for entry in std::fs::read_dir(fixture_dir()).expect("fixture dir") {
        let path = entry.expect("dir entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("jpg") {
            continue;
        }
        seen += 1;
        let md = read_metadata(&path, Kind::Photo, Offset::UTC);
        let d = derive(&path, Kind::Photo, md.orientation, &Limits::default())
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let thumb = decode(&d.thumb);
        assert!(long_edge(&thumb) <= THUMB_EDGE, "{}", path.display());
        assert!(
            long_edge(&thumb) >= THUMB_EDGE.min(md.width.unwrap_or(0)),
            "{}",
            path.display()
        );
        let (w, h) = (md.width.expect("width"), md.height.expect("height"));
        let (w, h) = if md.orientation.unwrap_or(1) >= 5 {
            (h, w)
        } else {
            (w, h)
        };
        assert_eq!((d.width, d.height), (w, h), "{}", path.display());
        // The thumbnail has the shape of the oriented photo.
        assert_eq!(
            thumb.width() >= thumb.height(),
            w >= h,
            "{}",
            path.display()
        );
        match &d.preview {
            Some(p) => {
                let p = decode(p);
                assert!(
                    w.max(h) > PREVIEW_EDGE,
                    "{}: preview of a small photo",
                    path.display()
                );
                assert!((PREVIEW_EDGE * 2 / 3..=PREVIEW_EDGE * 4 / 3).contains(&long_edge(&p)));
            }
            None => assert!(w.max(h) <= PREVIEW_EDGE, "{}: no preview", path.display()),
        }
    }
    assert!(seen >= 15, "the README lists 15 camera JPEGs, found {seen}");
}

#[test]
fn orientation_6_and_8_real_photos_come_out_portrait() {
    for (name, orientation) in [("Leica T (Typ 701).jpg", 8), ("Samsung SM-J327T1.jpg", 6)] {
        let path = fixture_dir().join(name);
        assert_eq!(
            orientation_of(&path, Kind::Photo),
            Some(orientation),
            "{name}"
        );
        let d = derive(&path, Kind::Photo, Some(orientation), &Limits::default()).expect(name);
        let thumb = decode(&d.thumb);
        assert!(
            thumb.height() > thumb.width(),
            "{name}: {}x{}",
            thumb.width(),
            thumb.height()
        );
        assert_eq!(thumb.height(), THUMB_EDGE, "{name}");
        assert!(d.height > d.width, "{name}");
        let preview = decode(d.preview.as_deref().expect("full-size photo has a preview"));
        assert!(preview.height() > preview.width(), "{name}");
    }
}

#[test]
fn every_exif_orientation_puts_each_corner_where_it_belongs() {
    // 2400 x 1800: decoded at 1/2 (1200 x 900), so both the preview and the thumbnail
    // take the reduced-scale path.
    let (w, h) = (2400, 1800);
    let base = encode_jpeg(&quadrants(w, h), w, h);
    let dir = tempdir();
    for orientation in 1..=8u16 {
        let path = write(
            &dir,
            &format!("o{orientation}.jpg"),
            &with_orientation(&base, orientation),
        );
        assert_eq!(orientation_of(&path, Kind::Photo), Some(orientation));
        let d = derive(&path, Kind::Photo, Some(orientation), &Limits::default()).expect("derive");
        let thumb = decode(&d.thumb);
        assert_layout(&thumb, orientation, "thumbnail");
        assert_eq!(long_edge(&thumb), THUMB_EDGE);
        let preview = decode(d.preview.as_deref().expect("2400 px photo has a preview"));
        assert_layout(&preview, orientation, "preview");
        assert_eq!(long_edge(&preview), 1200);
        let expected = if orientation >= 5 { (h, w) } else { (w, h) };
        assert_eq!((d.width, d.height), expected);
    }
}

#[test]
fn a_small_photo_gets_a_thumbnail_and_no_preview_and_orientation_still_applies() {
    let (w, h) = (400, 300);
    let base = encode_jpeg(&quadrants(w, h), w, h);
    let dir = tempdir();
    for orientation in [1, 6, 7] {
        let path = write(&dir, "small.jpg", &with_orientation(&base, orientation));
        let d = derive(&path, Kind::Photo, Some(orientation), &Limits::default()).expect("derive");
        assert_eq!(d.preview, None);
        assert_layout(&decode(&d.thumb), orientation, "thumbnail");
    }
}

/// The shared 6000 x 4000 camera-like JPEG (slow to encode in a debug build: once).
fn big_jpeg() -> &'static [u8] {
    static BIG: OnceLock<Vec<u8>> = OnceLock::new();
    BIG.get_or_init(|| {
        synth::jpeg(&SynthPhoto {
            width: 6000,
            height: 4000,
            seed: 42,
            ..SynthPhoto::default()
        })
    })
}

#[test]
fn a_6000_px_photo_gets_a_1500_px_preview_and_a_320_px_thumbnail() {
    let dir = tempdir();
    let path = write(&dir, "IMG_0001.JPG", big_jpeg());
    let d = derive(&path, Kind::Photo, Some(1), &Limits::default()).expect("derive");
    // 1/4 is the DCT scale nearest 1600: decoded there, not larger and shrunk. (The
    // unit test `a_6000_px_jpeg_is_decoded_once_for_both_sizes` counts the decodes.)
    let preview = decode(d.preview.as_deref().expect("preview"));
    assert_eq!((preview.width(), preview.height()), (1500, 1000));
    let thumb = decode(&d.thumb);
    assert_eq!((thumb.width(), thumb.height()), (320, 213));
    assert_eq!((d.width, d.height), (6000, 4000));
}

#[test]
fn a_truncated_jpeg_gives_a_partial_thumbnail_or_a_clear_error() {
    let dir = tempdir();
    let full = big_jpeg();
    for keep in [full.len() / 2, full.len() - 1000, 2000, 300, 3] {
        let path = write(&dir, "cut.jpg", &full[..keep]);
        match derive(&path, Kind::Photo, Some(1), &Limits::default()) {
            Ok(d) => {
                let thumb = decode(&d.thumb);
                assert_eq!(long_edge(&thumb), THUMB_EDGE, "kept {keep} bytes");
            }
            Err(e) => {
                assert!(
                    matches!(e, ThumbError::Undecodable(_)),
                    "kept {keep}: {e:?}"
                );
                assert!(e.is_content_error());
            }
        }
    }
    // Cut in the middle of the image data: what was there is shown.
    let path = write(&dir, "half.jpg", &full[..full.len() / 2]);
    assert!(derive(&path, Kind::Photo, Some(1), &Limits::default()).is_ok());
}

/// Declared sizes far over the limit are refused from the header; a real 100-megapixel
/// JPEG is decoded at 1/8 scale. Memory is measured in a fresh process (see the test
/// below), where this test runs alone.
#[test]
fn oversized_images_are_refused_or_decoded_scaled_within_bounded_memory() {
    let dir = tempdir();
    let limits = Limits::default();
    for (w, h) in [(30_000u16, 30_000u16), (60_000, 60_000)] {
        let path = write(&dir, "huge.jpg", &flat_grey_jpeg(w, h, false));
        let e = derive(&path, Kind::Photo, None, &limits).expect_err("refused");
        assert!(
            matches!(e, ThumbError::TooLarge { width, height, .. } if (width, height) == (w.into(), h.into())),
            "{e:?}"
        );
        assert!(e.to_string().contains("megapixel limit"), "{e}");
    }
    let path = write(&dir, "huge.png", &png_header(30_000, 30_000));
    let e = derive(&path, Kind::Photo, None, &limits).expect_err("refused");
    assert!(matches!(e, ThumbError::TooLarge { .. }), "{e:?}");
    let path = write(&dir, "huge.tif", &tiff_rgb_header(60_000, 60_000));
    let e = derive(&path, Kind::Photo, None, &limits).expect_err("refused");
    assert!(matches!(e, ThumbError::TooLarge { .. }), "{e:?}");

    // 12000 x 8400 = 100.8 Mpx, under the 200 Mpx limit: decoded at 1/8.
    let path = write(
        &dir,
        "medium-format.jpg",
        &flat_grey_jpeg(12_000, 8_400, true),
    );
    let d = derive(&path, Kind::Photo, None, &limits).expect("100 Mpx JPEG");
    let preview = decode(d.preview.as_deref().expect("preview"));
    assert_eq!((preview.width(), preview.height()), (1500, 1050));
    assert_eq!((d.width, d.height), (12_000, 8_400));

    // A tighter allocation limit refuses the same file cleanly.
    let tight = Limits {
        max_alloc: 1 << 20,
        ..Limits::default()
    };
    let e = derive(&path, Kind::Photo, None, &tight).expect_err("over 1 MiB");
    assert!(e.to_string().contains("MiB"), "{e}");

    if std::env::var_os("THUMBS_REPORT_PEAK").is_some() {
        let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
        let peak = status
            .lines()
            .find(|l| l.starts_with("VmHWM:"))
            .unwrap_or("VmHWM: ?");
        println!("PEAK {peak}");
    }
}

#[test]
fn a_progressive_jpeg_with_thousands_of_scans_is_refused_before_decoding() {
    // SOF2 (progressive) of 4000 x 3000, then 3000 tiny DC scans: each would walk all
    // 187,500 blocks again.
    let mut j = flat_grey_jpeg(4000, 3000, false);
    let sof = j.iter().position(|&b| b == 0xc0).expect("SOF0");
    j[sof] = 0xc2;
    j.truncate(j.len() - 10); // drop the baseline SOS header
    for _ in 0..3000 {
        j.extend_from_slice(&[0xff, 0xda, 0, 8, 1, 1, 0x00, 0, 0, 0, 0]);
    }
    j.extend_from_slice(&[0xff, 0xd9]);
    let dir = tempdir();
    let path = write(&dir, "bomb.jpg", &j);
    let started = std::time::Instant::now();
    let e = derive(&path, Kind::Photo, None, &Limits::default()).expect_err("refused");
    assert!(e.to_string().contains("scans"), "{e}");
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
}

#[test]
fn oversized_images_cost_little_memory_in_a_fresh_process() {
    let exe = std::env::current_exe().expect("test binary");
    let out = std::process::Command::new(exe)
        .args([
            "--exact",
            "oversized_images_are_refused_or_decoded_scaled_within_bounded_memory",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("THUMBS_REPORT_PEAK", "1")
        .output()
        .expect("running the test binary");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // libtest prints "test NAME ... " before the test's own output, on the same line.
    let kib: u64 = stdout
        .split_once("PEAK VmHWM:")
        .and_then(|(_, rest)| rest.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap_or_else(|| panic!("no peak RSS in the child's output: {stdout}"));
    println!("peak RSS of the child: {kib} KiB");
    // The 30000^2 and 60000^2 images would need 2.7 and 10.8 GB; the 100 Mpx one 300 MB
    // at full size. Test harness plus a 1/8 decode stay far below 128 MiB.
    assert!(kib < 128 * 1024, "peak RSS {kib} KiB");
}

#[test]
fn random_and_mutated_bytes_give_errors_not_panics() {
    let dir = tempdir();
    let mut rng = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let limits = Limits::default();
    // Pure noise: never a valid image.
    for i in 0..50 {
        let bytes: Vec<u8> = (0..(next() % 4096)).map(|_| next() as u8).collect();
        let path = write(&dir, &format!("noise{i}.jpg"), &bytes);
        for kind in [Kind::Photo, Kind::Raw] {
            let result = derive(&path, kind, Some(1), &limits);
            assert!(
                matches!(
                    result,
                    Err(ThumbError::Undecodable(_) | ThumbError::NoPreview(_))
                ),
                "{result:?}"
            );
        }
    }
    // Known magic numbers followed by noise, and a real JPEG with bytes flipped: any
    // outcome but a panic (or an unbounded allocation) is fine.
    let magics: [&[u8]; 6] = [
        b"\xff\xd8\xff\xc0",
        b"II*\0\x08\0\0\0",
        b"MM\0*\0\0\0\x08",
        b"FUJIFILMCCD-RAW 0201",
        b"\0\0\0\x18ftypcrx \0\0\0\x01crx isom",
        b"\x89PNG\r\n\x1a\n",
    ];
    for (i, magic) in magics.iter().enumerate() {
        for _ in 0..20 {
            let mut bytes = magic.to_vec();
            bytes.extend((0..(next() % 2048)).map(|_| next() as u8));
            let path = write(&dir, &format!("magic{i}"), &bytes);
            let _ = derive(&path, Kind::Raw, None, &limits);
            let _ = derive(&path, Kind::Photo, None, &limits);
        }
    }
    let real = std::fs::read(fixture_dir().join("Kodak DC240.jpg")).expect("fixture");
    for _ in 0..150 {
        let mut bytes = real.clone();
        for _ in 0..8 {
            let at = (next() % bytes.len() as u64) as usize;
            bytes[at] = next() as u8;
        }
        let path = write(&dir, "mutated.jpg", &bytes);
        if let Ok(d) = derive(&path, Kind::Photo, Some(1), &limits) {
            assert!(long_edge(&decode(&d.thumb)) <= THUMB_EDGE);
        }
    }
}

#[test]
fn a_tiff_raw_yields_its_largest_embedded_preview_oriented() {
    let (large, small) = raw_previews();
    let dir = tempdir();
    let path = write(
        &dir,
        "DSC_0001.NEF",
        &tiff_raw_with_previews(6, small, large),
    );
    assert_eq!(orientation_of(&path, Kind::Raw), Some(6));
    let d = derive(&path, Kind::Raw, Some(6), &Limits::default()).expect("derive");
    // The 1620 x 1080 preview, not the 160 x 120 blue thumbnail, and rotated.
    assert_eq!((d.width, d.height), (1080, 1620));
    let thumb = decode(&d.thumb);
    assert_eq!((thumb.width(), thumb.height()), (213, 320));
    assert_layout(&thumb, 6, "RAW thumbnail");
    let preview = decode(
        d.preview
            .as_deref()
            .expect("RAW files always get a preview"),
    );
    assert_eq!(long_edge(&preview), PREVIEW_EDGE);
    assert_layout(&preview, 6, "RAW preview");
}

#[test]
fn a_raw_without_an_embedded_jpeg_is_no_preview_not_a_developed_raw() {
    let dir = tempdir();
    let spec = SynthPhoto {
        width: 64,
        height: 48,
        ..SynthPhoto::default()
    };
    let path = write(&dir, "IMG_0001.DNG", &synth::tiff_raw(&spec));
    let e = derive(&path, Kind::Raw, None, &Limits::default()).expect_err("no preview");
    assert!(matches!(e, ThumbError::NoPreview(_)), "{e:?}");
    // The same bytes as a TIFF photo do decode.
    let path = write(&dir, "scan.tif", &synth::tiff_raw(&spec));
    let d = derive(&path, Kind::Photo, None, &Limits::default()).expect("TIFF photo");
    assert_eq!((d.width, d.height), (64, 48));
    assert!(
        d.preview.is_some(),
        "browsers cannot show TIFF: a preview is made"
    );
}

#[test]
fn raf_and_cr3_previews_are_found() {
    let (large, _) = raw_previews();
    let dir = tempdir();

    // RAF: a 160-byte header whose big-endian words at 84/88 locate the JPEG.
    let mut raf = b"FUJIFILMCCD-RAW 0201FF383501".to_vec();
    raf.resize(160, 0);
    let jpeg_at = 160u32;
    let jpeg_len = u32::try_from(large.len()).expect("small");
    raf[84..88].copy_from_slice(&jpeg_at.to_be_bytes());
    raf[88..92].copy_from_slice(&jpeg_len.to_be_bytes());
    raf[100..104].copy_from_slice(&(jpeg_at + jpeg_len).to_be_bytes());
    raf[104..108].copy_from_slice(&16u32.to_be_bytes());
    raf.extend_from_slice(large);
    raf.extend_from_slice(&[0; 16]);
    let path = write(&dir, "DSCF0001.RAF", &raf);
    let d = derive(&path, Kind::Raw, Some(1), &Limits::default()).expect("RAF");
    assert_layout(&decode(&d.thumb), 1, "RAF thumbnail");

    // CR3: ftyp, moov, then uuid(PRVW) holding the JPEG.
    let mp4_box = |typ: &[u8; 4], payload: &[u8]| {
        let size = u32::try_from(payload.len() + 8).expect("small");
        [&size.to_be_bytes()[..], typ, payload].concat()
    };
    let mut prvw = vec![0, 0, 0, 0, 0, 1];
    prvw.extend_from_slice(&1620u16.to_be_bytes());
    prvw.extend_from_slice(&1080u16.to_be_bytes());
    prvw.extend_from_slice(&[0, 1]);
    prvw.extend_from_slice(&jpeg_len.to_be_bytes());
    prvw.extend_from_slice(large);
    let mut uuid = vec![
        0xea, 0xf4, 0x2b, 0x5e, 0x1c, 0x98, 0x4b, 0x88, 0xb9, 0xfb, 0xb7, 0xdc, 0x40, 0x6e, 0x4d,
        0x16,
    ];
    uuid.extend_from_slice(&[0, 0, 0, 0, 0, 0, 0, 1]);
    uuid.extend_from_slice(&mp4_box(b"PRVW", &prvw));
    let cr3 = [
        mp4_box(b"ftyp", b"crx \0\0\0\x01crx isom"),
        mp4_box(b"moov", &[]),
        mp4_box(b"uuid", &uuid),
        mp4_box(b"mdat", &[0; 64]),
    ]
    .concat();
    let path = write(&dir, "IMG_0001.CR3", &cr3);
    let d = derive(&path, Kind::Raw, Some(8), &Limits::default()).expect("CR3");
    assert_eq!((d.width, d.height), (1080, 1620));
    assert_layout(&decode(&d.thumb), 8, "CR3 thumbnail");
}

#[test]
fn orf_maker_note_and_rw2_previews_are_found() {
    const UNDEFINED: u16 = 7;
    let (large, _) = raw_previews();
    let jpeg_len = u32::try_from(large.len()).expect("small");
    let dir = tempdir();

    // ORF: IFD0 -> EXIF IFD -> Olympus maker note -> CameraSettings (0x2020) ->
    // PreviewImageStart/Length (0x0101/0x0102), offsets relative to the note.
    let exif_at = 8 + ifd_len(&[(0, 0, 0); 2]);
    let note_at = exif_at + ifd_len(&[(0, 0, 0); 1]);
    let settings_rel = 12 + ifd_len(&[(0, 0, 0); 1]);
    let note_len = settings_rel + ifd_len(&[(0, 0, 0); 3]);
    let u = |v: usize| u32::try_from(v).expect("small");
    let mut orf = b"IIRO\x08\0\0\0".to_vec();
    push_ifd(
        &mut orf,
        &[(0x0112, SHORT, 3), (0x8769, LONG, u(exif_at))],
        0,
    );
    push_ifd_counted(&mut orf, &[(0x927c, UNDEFINED, u(note_len), u(note_at))], 0);
    orf.extend_from_slice(b"OLYMPUS\0II\x03\0");
    push_ifd_counted(&mut orf, &[(0x2020, 13, 1, u(settings_rel))], 0);
    let settings = [
        (0x0100, LONG, 1),
        (0x0101, LONG, u(note_len)),
        (0x0102, LONG, jpeg_len),
    ];
    push_ifd(&mut orf, &settings, 0);
    assert_eq!(orf.len(), note_at + note_len);
    orf.extend_from_slice(large);
    orf.extend_from_slice(&[0x80; 256]);
    let path = write(&dir, "P1010001.ORF", &orf);
    let d = derive(&path, Kind::Raw, Some(3), &Limits::default()).expect("ORF");
    assert_layout(&decode(&d.thumb), 3, "ORF thumbnail");

    // RW2: JpgFromRaw (0x2E) in IFD0, an UNDEFINED blob holding the whole JPEG.
    let jpeg_at = 8 + ifd_len(&[(0, 0, 0); 1]);
    let mut rw2 = b"IIU\0\x08\0\0\0".to_vec();
    push_ifd_counted(&mut rw2, &[(0x002e, UNDEFINED, jpeg_len, u(jpeg_at))], 0);
    rw2.extend_from_slice(large);
    let path = write(&dir, "P1000001.RW2", &rw2);
    let d = derive(&path, Kind::Raw, Some(1), &Limits::default()).expect("RW2");
    assert_eq!((d.width, d.height), (1620, 1080));
    assert_layout(&decode(&d.thumb), 1, "RW2 thumbnail");
}

/// Files past the in-memory cap (64 MiB: a 100 Mpx JPEG at high quality) are streamed.
#[test]
fn a_jpeg_over_64_mib_is_streamed_with_the_same_result() {
    let (w, h) = (2400, 1800);
    let mut big = with_orientation(&encode_jpeg(&quadrants(w, h), w, h), 6);
    big.resize(big.len() + (65 << 20), 0); // after EOI: ignored by decoders
    let dir = tempdir();
    let path = write(&dir, "huge-file.jpg", &big);
    let d = derive(&path, Kind::Photo, Some(6), &Limits::default()).expect("streamed");
    assert_layout(&decode(&d.thumb), 6, "streamed thumbnail");
    assert_eq!(
        long_edge(&decode(d.preview.as_deref().expect("preview"))),
        1200
    );
}

#[test]
fn png_and_tiff_photos_go_through_image_within_limits() {
    let dir = tempdir();
    // A 2000 x 1000 PNG with a transparent right half: laid on white.
    let mut rgba = Vec::with_capacity(2000 * 1000 * 4);
    for _y in 0..1000 {
        for x in 0..2000 {
            rgba.extend_from_slice(if x < 1000 {
                &[200, 0, 0, 255]
            } else {
                &[0, 0, 0, 0]
            });
        }
    }
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png)
        .write_image(&rgba, 2000, 1000, ExtendedColorType::Rgba8)
        .expect("encoding PNG");
    let path = write(&dir, "logo.png", &png);
    let d = derive(&path, Kind::Photo, None, &Limits::default()).expect("PNG");
    let thumb = decode(&d.thumb);
    assert_eq!((thumb.width(), thumb.height()), (320, 160));
    let right = thumb.get_pixel(300, 80).0;
    assert!(
        right.iter().all(|&c| c > 230),
        "transparent is white: {right:?}"
    );
    let preview = decode(d.preview.as_deref().expect("2000 px PNG has a preview"));
    assert_eq!((preview.width(), preview.height()), (1600, 800));
}

#[test]
fn videos_get_a_poster_frame_when_ffmpeg_is_installed() {
    if !ffmpeg_available() {
        let msg = "ffmpeg is not installed (apt-get install ffmpeg)";
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "{msg}: required under CI"
        );
        eprintln!("skipping the video poster test: {msg}");
        return;
    }
    for name in ["with-gps.mp4", "with-gps.mov"] {
        let path = fixture_dir().join(name);
        let md = read_metadata(&path, Kind::Video, Offset::UTC);
        let d: Derived = derive(&path, Kind::Video, None, &Limits::default()).expect(name);
        let thumb = decode(&d.thumb);
        assert!(
            long_edge(&thumb) <= THUMB_EDGE && long_edge(&thumb) >= 100,
            "{name}"
        );
        let preview = decode(d.preview.as_deref().expect("videos always get a preview"));
        assert!(long_edge(&preview) <= PREVIEW_EDGE, "{name}");
        assert_eq!(
            (preview.width() > preview.height()),
            (d.width > d.height),
            "{name}"
        );
        if let (Some(w), Some(h)) = (md.width, md.height) {
            // The frame has the video's pixel count, rotated or not.
            assert_eq!(
                d.width * d.height,
                w * h,
                "{name}: {}x{} vs {w}x{h}",
                d.width,
                d.height
            );
        }
    }
    // Not a video: ffmpeg's own words come back.
    let dir = tempdir();
    let path = write(
        &dir,
        "broken.mp4",
        b"\0\0\0\x18ftypisom\0\0\0\0isomiso2 not a movie",
    );
    let e = derive(&path, Kind::Video, None, &Limits::default()).expect_err("broken");
    assert!(matches!(e, ThumbError::Ffmpeg(_)), "{e:?}");
}

#[test]
fn other_kinds_and_unsupported_formats_are_told_apart() {
    let dir = tempdir();
    let path = write(&dir, "memo.m4a", b"\0\0\0\x18ftypM4A \0\0\0\0M4A mp42");
    assert!(matches!(
        derive(&path, Kind::Audio, None, &Limits::default()),
        Err(ThumbError::Unsupported(_))
    ));
    let path = write(&dir, "IMG_0001.HEIC", b"\0\0\0\x18ftypheic\0\0\0\0mif1heic");
    let e = derive(&path, Kind::Photo, None, &Limits::default()).expect_err("HEIC");
    assert!(matches!(e, ThumbError::Unsupported(_)), "{e:?}");
    let missing = dir.path().join("gone.jpg");
    let e = derive(&missing, Kind::Photo, None, &Limits::default()).expect_err("missing");
    assert!(
        matches!(e, ThumbError::Io { .. }) && !e.is_content_error(),
        "{e:?}"
    );
}

#[test]
fn placeholders_are_small_svgs_for_every_kind() {
    assert_eq!(PLACEHOLDER_CONTENT_TYPE, "image/svg+xml");
    let mut all: Vec<&[u8]> = Kind::ALL.iter().map(|k| placeholder(*k)).collect();
    all.push(damaged_placeholder());
    for svg in &all {
        let text = std::str::from_utf8(svg).expect("UTF-8");
        assert!(
            text.starts_with("<svg") && text.ends_with("</svg>"),
            "{text}"
        );
        assert!(svg.len() < 2048);
    }
    let distinct: std::collections::BTreeSet<_> = all.iter().collect();
    assert_eq!(distinct.len(), all.len());
}

// ---- header-only hostile files -----------------------------------------------------

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = !0u32;
    for &b in bytes {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

fn png_chunk(typ: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = u32::try_from(data.len())
        .expect("small")
        .to_be_bytes()
        .to_vec();
    let body = [&typ[..], data].concat();
    c.extend_from_slice(&body);
    c.extend_from_slice(&crc32(&body).to_be_bytes());
    c
}

/// A PNG that declares `w` x `h` RGB8 and holds one tiny IDAT.
fn png_header(w: u32, h: u32) -> Vec<u8> {
    let mut ihdr = w.to_be_bytes().to_vec();
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    [
        &b"\x89PNG\r\n\x1a\n"[..],
        &png_chunk(b"IHDR", &ihdr),
        &png_chunk(b"IDAT", &[0x78, 0x9c, 0x03, 0, 0, 0, 0, 1]),
        &png_chunk(b"IEND", &[]),
    ]
    .concat()
}

/// An uncompressed RGB TIFF that declares `w` x `h` and holds 16 bytes.
fn tiff_rgb_header(w: u32, h: u32) -> Vec<u8> {
    let entries = [
        (0x0100, LONG, w),
        (0x0101, LONG, h),
        (0x0102, SHORT, 8),
        (0x0103, SHORT, 1),
        (0x0106, SHORT, 2),
        (
            0x0111,
            LONG,
            8 + u32::try_from(ifd_len(&[(0, 0, 0); 8])).expect("small"),
        ),
        (0x0115, SHORT, 3),
        (0x0117, LONG, 16),
    ];
    let mut out = b"II*\0\x08\0\0\0".to_vec();
    push_ifd(&mut out, &entries, 0);
    out.extend_from_slice(&[0x80; 16]);
    out
}
