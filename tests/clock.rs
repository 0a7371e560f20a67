//! Clock shots end to end: the QR code `/clock` serves decodes back to the instant it
//! was served at; a generated photo of that code (rotated, blurred, noisy, on a noisy
//! background) from a camera whose clock is off by a known amount gives back the
//! instant and the offset; photos without a code, and broken files, give `None`
//! without panicking; the page is Indonesian, shows WITA and is never cached.

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use axum::body::to_bytes;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::Response;
use exif::experimental::Writer;
use exif::{Field, In, Tag, Value};
use image::codecs::jpeg::JpegEncoder;
use image::ExtendedColorType;
use jiff::tz::Offset;
use jiff::{SignedDuration, Timestamp};
use liputan::media::clockshot::{
    find_in_luma, offset_seconds, payload, read_clock_shot, read_clock_shot_from,
};
use liputan::media::synth::{self, SynthPhoto};
use liputan::media::thumbs::{derive, Limits};
use liputan::media::{read_metadata, Kind};
use liputan::web::clock::{self, qr_matrix, HEADER_EPOCH_MS};

const WITA: Offset = Offset::constant(8);

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("writing a test file");
    path
}

async fn body_text(response: Response) -> String {
    let bytes = to_bytes(response.into_body(), 1 << 20).await.expect("body");
    String::from_utf8(bytes.to_vec()).expect("UTF-8 body")
}

fn header(response: &Response, name: impl axum::http::header::AsHeaderName) -> &str {
    response
        .headers()
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

// ---- the served code ----------------------------------------------------------------

/// The modules of an SVG written by `clock::matrix_svg`: the side from its viewBox, the
/// dark runs from its path (`M{x} {y}h{n}v1h-{n}z`).
fn svg_modules(svg: &str) -> Vec<Vec<bool>> {
    let side: usize = svg
        .split("viewBox=\"0 0 ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|s| s.parse().ok())
        .expect("a square viewBox");
    let path = svg
        .split(" d=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a path");
    let mut grid = vec![vec![false; side]; side];
    for run in path.split('M').filter(|r| !r.is_empty()) {
        let (xy, rest) = run.split_once('h').expect("M x y h n");
        let (x, y) = xy.split_once(' ').expect("x y");
        let n = rest.split('v').next().expect("h n v");
        let (x, y, n): (usize, usize, usize) = (
            x.parse().expect("x"),
            y.parse().expect("y"),
            n.parse().expect("n"),
        );
        grid[y][x..x + n].fill(true);
    }
    grid
}

/// Greyscale pixels of a module grid, `scale` px per module, dark = 0, light = 255.
fn rasterise(grid: &[Vec<bool>], scale: usize) -> (Vec<u8>, usize) {
    let side = grid.len() * scale;
    let mut luma = vec![255u8; side * side];
    for (y, row) in luma.chunks_mut(side).enumerate() {
        for (x, px) in row.iter_mut().enumerate() {
            if grid[y / scale][x / scale] {
                *px = 0;
            }
        }
    }
    (luma, side)
}

#[tokio::test]
async fn the_served_qr_svg_decodes_to_the_instant_it_was_served_at() {
    let response = clock::qr_svg().await;
    assert_eq!(response.status(), 200);
    assert_eq!(header(&response, CONTENT_TYPE), "image/svg+xml");
    assert_eq!(header(&response, CACHE_CONTROL), "no-store");
    let epoch_ms: i64 = header(&response, HEADER_EPOCH_MS)
        .parse()
        .expect("epoch ms");
    let served = Timestamp::from_millisecond(epoch_ms).expect("in range");
    assert!(header(&response, clock::HEADER_TEXT).contains('.'));
    let svg = body_text(response).await;

    let modules = svg_modules(&svg);
    let (luma, side) = rasterise(&modules, 8);
    let shown = find_in_luma(&luma, side, side).expect("the served code reads back");
    assert_eq!(shown.as_second(), served.as_second());

    // The SVG draws exactly the shared matrix, inside a 4-module quiet zone.
    let matrix = qr_matrix(&payload(shown)).expect("fits");
    assert_eq!(modules.len(), matrix.len() + 8);
    for (row, expected) in modules[4..modules.len() - 4].iter().zip(&matrix) {
        assert_eq!(&row[4..row.len() - 4], &expected[..]);
        assert!(row[..4].iter().chain(&row[row.len() - 4..]).all(|&m| !m));
    }
}

#[tokio::test]
async fn the_clock_page_is_indonesian_shows_wita_and_is_never_cached() {
    let response = clock::page().await;
    assert_eq!(response.status(), 200);
    assert!(header(&response, CONTENT_TYPE).starts_with("text/html"));
    assert_eq!(header(&response, CACHE_CONTROL), "no-store");
    let html = body_text(response).await;
    for needle in [
        r#"<html lang="id">"#,
        r#"name="viewport""#,
        "WITA",
        "<svg",
        "/static/clock.js",
        "/static/clock.css",
    ] {
        assert!(html.contains(needle), "page lacks {needle}");
    }
    // The script (a separate file: the panel's CSP allows no inline script)
    // fetches the code and warns when it goes stale.
    let script = include_str!("../src/web/static/clock.js");
    for needle in ["clock/qr.svg", "Jangan memotret"] {
        assert!(script.contains(needle), "clock.js lacks {needle}");
    }
    assert!(!html.contains("<script>"), "no inline script");
    assert!(!html.contains("{{"), "every placeholder is filled");

    let now = clock::now().await;
    assert_eq!(header(&now, CACHE_CONTROL), "no-store");
    let json: serde_json::Value = serde_json::from_str(&body_text(now).await).expect("JSON");
    let epoch_ms = json["epoch_ms"].as_i64().expect("epoch_ms");
    let text = json["text"].as_str().expect("text");
    let at = Timestamp::from_millisecond(epoch_ms).expect("in range");
    let local = WITA.to_datetime(at);
    assert_eq!(
        text,
        format!(
            "{:02}.{:02}.{:02}",
            local.hour(),
            local.minute(),
            local.second()
        )
    );
    assert_eq!(json["payload"], payload(at));
}

// ---- generated clock shots -----------------------------------------------------------

/// The splitmix64 generator, for reproducible noise.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Roughly uniform in -amp..=amp.
    fn noise(&mut self, amp: i32) -> i32 {
        (self.next() % (2 * amp as u64 + 1)) as i32 - amp
    }
}

/// How the phone showing the clock page lies in the photo.
struct Scene {
    width: u32,
    height: u32,
    /// Pixels per QR module at full resolution.
    module_px: f64,
    /// Clockwise tilt of the phone, in degrees.
    tilt_deg: f64,
    /// Centre of the code, as fractions of the frame.
    centre: (f64, f64),
    seed: u64,
}

/// RGB pixels of a room: a colour gradient with per-pixel noise of up to `noise` levels.
fn background(width: u32, height: u32, noise: i32, rng: &mut Rng) -> Vec<u8> {
    let (w, h) = (width as usize, height as usize);
    let mut rgb = Vec::with_capacity(w * h * 3);
    for y in 0..h {
        for x in 0..w {
            let (gx, gy) = ((x * 200 / w) as i32, (y * 160 / h) as i32);
            for base in [40 + gx / 2, 60 + gy, 90 + (gx + gy) / 4] {
                rgb.push((base + rng.noise(noise)).clamp(0, 255) as u8);
            }
        }
    }
    rgb
}

/// RGB pixels: a noisy room with a phone whose white screen shows `matrix` and a dark
/// band of digits above it, tilted, antialiased over 3x3 samples (a slight blur), with
/// a glare gradient across the screen and sensor noise.
fn render_scene(scene: &Scene, matrix: &[Vec<bool>]) -> Vec<u8> {
    let mut rng = Rng(scene.seed);
    let mut rgb = background(scene.width, scene.height, 10, &mut rng);
    let (w, h) = (scene.width as usize, scene.height as usize);
    let n = matrix.len() as f64;
    let m = scene.module_px;
    // Phone coordinates in modules, origin at the code's centre: screen 4 modules of
    // margin around the code, digits above it, a dark bezel around all.
    let screen = (n / 2.0 + 4.0, n / 2.0 + 16.0, n / 2.0 + 4.0);
    let bezel = 2.5;
    let (sin, cos) = scene.tilt_deg.to_radians().sin_cos();
    let (cx, cy) = (scene.centre.0 * w as f64, scene.centre.1 * h as f64);
    let reach = (screen.0 + bezel).hypot(screen.1 + bezel) * m;
    let (x0, x1) = (
        (cx - reach).max(0.0) as usize,
        ((cx + reach) as usize).min(w),
    );
    let (y0, y1) = (
        (cy - reach).max(0.0) as usize,
        ((cy + reach) as usize).min(h),
    );
    let shade = |u: f64, v: f64| -> Option<f64> {
        let on_screen = u.abs() <= screen.0 && v >= -screen.1 && v <= screen.2;
        if !on_screen {
            let on_phone =
                u.abs() <= screen.0 + bezel && v >= -screen.1 - bezel && v <= screen.2 + bezel;
            return on_phone.then_some(18.0);
        }
        let glare = 215.0 + 30.0 * (u + screen.0) / (2.0 * screen.0);
        let (qx, qy) = (u + n / 2.0, v + n / 2.0);
        if (0.0..n).contains(&qx) && (0.0..n).contains(&qy) {
            let dark = matrix[qy as usize][qx as usize];
            return Some(if dark { 30.0 } else { glare });
        }
        let digits = (-screen.1 + 3.0..-n / 2.0 - 5.0).contains(&v) && u.abs() < screen.0 - 3.0;
        Some(if digits && (u * 1.7).rem_euclid(4.0) < 2.6 {
            30.0
        } else {
            glare
        })
    };
    for py in y0..y1 {
        for px in x0..x1 {
            let (mut sum, mut hits) = (0.0, 0);
            for (sx, sy) in (0..9).map(|i| ((i % 3) as f64 / 3.0, (i / 3) as f64 / 3.0)) {
                let (dx, dy) = (px as f64 + sx - cx, py as f64 + sy - cy);
                // Undo the tilt to land in phone coordinates.
                let (u, v) = ((dx * cos + dy * sin) / m, (-dx * sin + dy * cos) / m);
                if let Some(value) = shade(u, v) {
                    sum += value;
                    hits += 1;
                }
            }
            if hits == 0 {
                continue;
            }
            let i = (py * w + px) * 3;
            let behind = f64::from(rgb[i]);
            let value = (sum + behind * f64::from(9 - hits)) / 9.0;
            for c in 0..3 {
                rgb[i + c] = (value as i32 + rng.noise(10)).clamp(0, 255) as u8;
            }
        }
    }
    rgb
}

/// The EXIF a camera writes: make, model, serial, size and a zone-less capture time.
fn exif_app1(captured: &str, width: u32, height: u32) -> Vec<u8> {
    let ascii = |s: &str| Value::Ascii(vec![s.as_bytes().to_vec()]);
    let fields = [
        (Tag::Make, ascii("Canon")),
        (Tag::Model, ascii("Canon EOS R6")),
        (Tag::BodySerialNumber, ascii("CLOCK-TEST-1")),
        (Tag::DateTime, ascii(captured)),
        (Tag::DateTimeOriginal, ascii(captured)),
        (Tag::ExifVersion, Value::Undefined(b"0232".to_vec(), 0)),
        (Tag::PixelXDimension, Value::Long(vec![width])),
        (Tag::PixelYDimension, Value::Long(vec![height])),
    ]
    .map(|(tag, value)| Field {
        tag,
        ifd_num: In::PRIMARY,
        value,
    });
    let mut writer = Writer::new();
    for field in &fields {
        writer.push_field(field);
    }
    let mut tiff = Cursor::new(Vec::new());
    writer.write(&mut tiff, true).expect("valid EXIF");
    let tiff = tiff.into_inner();
    let len = u16::try_from(tiff.len() + 8).expect("small EXIF");
    [&[0xff, 0xe1][..], &len.to_be_bytes(), b"Exif\0\0", &tiff].concat()
}

/// A JPEG of `rgb` with `app1` right after SOI, as cameras write it.
fn camera_jpeg(rgb: &[u8], width: u32, height: u32, app1: &[u8]) -> Vec<u8> {
    let mut encoded = Vec::new();
    JpegEncoder::new_with_quality(&mut encoded, 90)
        .encode(rgb, width, height, ExtendedColorType::Rgb8)
        .expect("encoding");
    [&encoded[..2], app1, &encoded[2..]].concat()
}

/// A photo of the clock page showing `shown`, taken by a camera whose clock is
/// `ahead_by` ahead of true time (negative: behind), so its EXIF reads the WITA wall
/// time of `shown + ahead_by`.
fn clock_photo(shown: Timestamp, ahead_by: SignedDuration, scene: &Scene) -> Vec<u8> {
    let matrix = qr_matrix(&payload(shown)).expect("fits");
    let rgb = render_scene(scene, &matrix);
    let captured = WITA
        .to_datetime(shown.checked_add(ahead_by).expect("in range"))
        .strftime("%Y:%m:%d %H:%M:%S")
        .to_string();
    let app1 = exif_app1(&captured, scene.width, scene.height);
    camera_jpeg(&rgb, scene.width, scene.height, &app1)
}

/// The offset the pipeline would learn from the photo at `path`.
fn learned_offset(path: &Path) -> (Timestamp, i64) {
    let shown = read_clock_shot(path).expect("the clock code is found");
    let captured = read_metadata(path, Kind::Photo, WITA)
        .captured_at
        .expect("a capture time")
        .utc;
    (shown, offset_seconds(shown, captured))
}

/// 09:15:07 WITA on the day of the issue.
fn morning() -> Timestamp {
    "2026-11-26T09:15:07+08:00".parse().expect("valid")
}

#[test]
fn a_clock_shot_from_a_camera_an_hour_ahead_gives_the_shown_time_and_the_offset() {
    let dir = tempdir();
    let scene = Scene {
        width: 3000,
        height: 2000,
        module_px: 18.0,
        tilt_deg: 6.0,
        centre: (0.45, 0.55),
        seed: 1,
    };
    let ahead = SignedDuration::from_secs(3723);
    let path = write(&dir, "IMG_0001.JPG", &clock_photo(morning(), ahead, &scene));
    let (shown, offset) = learned_offset(&path);
    assert_eq!(shown, morning());
    assert_eq!(offset, 3723);
}

#[test]
fn a_clock_shot_from_a_camera_an_hour_behind_gives_a_negative_offset() {
    let dir = tempdir();
    let scene = Scene {
        width: 2000,
        height: 3000,
        module_px: 14.0,
        tilt_deg: -9.0,
        centre: (0.6, 0.4),
        seed: 2,
    };
    let shown = morning()
        .checked_add(SignedDuration::from_secs(41))
        .expect("in range");
    let behind = SignedDuration::from_secs(-3600);
    let path = write(&dir, "DSC_0001.JPG", &clock_photo(shown, behind, &scene));
    let (read, offset) = learned_offset(&path);
    assert_eq!(read, shown);
    assert_eq!(offset, -3600);
}

#[test]
fn a_clock_shot_still_reads_from_the_preview_thumbs_makes_of_it() {
    // The cheap way for ingest to look: the preview is already decoded and encoded once.
    let dir = tempdir();
    let scene = Scene {
        width: 3200,
        height: 2400,
        module_px: 16.0,
        tilt_deg: 12.0,
        centre: (0.35, 0.5),
        seed: 8,
    };
    let path = write(
        &dir,
        "P1000001.JPG",
        &clock_photo(morning(), SignedDuration::ZERO, &scene),
    );
    let preview = derive(&path, Kind::Photo, Some(1), &Limits::default())
        .expect("derives")
        .preview
        .expect("a preview");
    assert_eq!(read_clock_shot_from(&preview), Some(morning()));
}

// ---- photos without a code, broken files ----------------------------------------------

/// Generous: this runs unoptimised in `cargo test`. The release-build cost is measured
/// by the ignored test below.
fn quick() -> Duration {
    if cfg!(debug_assertions) {
        Duration::from_secs(15)
    } else {
        Duration::from_millis(500)
    }
}

#[test]
fn a_photo_without_a_clock_returns_none_quickly() {
    let dir = tempdir();
    let spec = SynthPhoto {
        width: 3000,
        height: 2000,
        seed: 3,
        ..SynthPhoto::default()
    };
    let path = write(&dir, "IMG_0002.JPG", &synth::jpeg(&spec));
    let started = Instant::now();
    assert_eq!(read_clock_shot(&path), None);
    let took = started.elapsed();
    assert!(took < quick(), "{took:?}");
}

#[test]
fn real_camera_photos_have_no_clock() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real-cameras");
    let mut seen = 0;
    for entry in std::fs::read_dir(dir).expect("fixtures") {
        let path = entry.expect("entry").path();
        assert_eq!(read_clock_shot(&path), None, "{}", path.display());
        seen += 1;
    }
    assert!(seen > 0);
}

#[test]
fn broken_and_hostile_files_return_none_without_panicking() {
    let dir = tempdir();
    let scene = Scene {
        width: 1200,
        height: 800,
        module_px: 9.0,
        tilt_deg: 3.0,
        centre: (0.5, 0.5),
        seed: 4,
    };
    let photo = clock_photo(morning(), SignedDuration::ZERO, &scene);
    assert_eq!(
        read_clock_shot_from(&photo),
        Some(morning()),
        "the intact file reads"
    );

    let mut cases: Vec<(&str, Vec<u8>)> = vec![
        ("empty", Vec::new()),
        ("soi only", vec![0xff, 0xd8]),
        (
            "garbage",
            (0..50_000u32).map(|i| (i * 7919 % 251) as u8).collect(),
        ),
        ("png", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec()),
        ("header only", photo[..photo.len().min(700)].to_vec()),
        (
            "two components",
            vec![
                0xff, 0xd8, 0xff, 0xc0, 0, 14, 8, 0, 16, 0, 16, 2, 1, 0x11, 0, 2, 0x11, 0,
            ],
        ),
        (
            "65535 square",
            vec![
                0xff, 0xd8, 0xff, 0xc0, 0, 17, 8, 0xff, 0xff, 0xff, 0xff, 3, 1, 0x11, 0, 2, 0x11,
                0, 3, 0x11, 0,
            ],
        ),
    ];
    for cut in [photo.len() / 3, photo.len() / 2, photo.len() - 10] {
        cases.push(("truncated", photo[..cut].to_vec()));
    }
    let mut flipped = photo.clone();
    for i in (2000..flipped.len()).step_by(997) {
        flipped[i] ^= 0x5a;
    }
    cases.push(("bit flips", flipped));
    for (name, bytes) in &cases {
        let path = write(&dir, "broken.jpg", bytes);
        let found = read_clock_shot(&path);
        // A file cut near its end may still show the code; it must never show another.
        assert!(
            found.is_none() || found == Some(morning()),
            "{name}: {found:?}"
        );
        if !name.starts_with("truncated") && *name != "bit flips" {
            assert_eq!(found, None, "{name}");
        }
    }
    assert_eq!(read_clock_shot(&dir.path().join("missing.jpg")), None);
    assert_eq!(read_clock_shot(dir.path()), None, "a directory");
}

/// Greyscale `w` x `h`, light, with each `(matrix, left, top)` drawn at `scale` px
/// per module.
fn sheet(w: usize, h: usize, scale: usize, codes: &[(&[Vec<bool>], usize, usize)]) -> Vec<u8> {
    let mut luma = vec![235u8; w * h];
    for &(matrix, left, top) in codes {
        for (y, row) in matrix.iter().enumerate() {
            for (x, &dark) in row.iter().enumerate() {
                if !dark {
                    continue;
                }
                for py in top + y * scale..top + (y + 1) * scale {
                    let start = py * w + left + x * scale;
                    luma[start..start + scale].fill(20);
                }
            }
        }
    }
    luma
}

#[test]
fn the_clock_code_is_found_beside_another_qr_code() {
    // A payment sticker on the table next to the phone.
    let other = qr_matrix("https://example.org/bayar?id=ID1020304050607").expect("fits");
    let clock = qr_matrix(&payload(morning())).expect("fits");
    let luma = sheet(1500, 1000, 8, &[(&other, 60, 60), (&clock, 800, 300)]);
    assert_eq!(find_in_luma(&luma, 1500, 1000), Some(morning()));
}

#[test]
fn a_wall_of_qr_codes_is_given_up_on_quickly() {
    // Dozens of codes (a printed sheet, or a crafted file) would keep the detector
    // busy for minutes; the guard declines before it starts.
    let other = qr_matrix("LIPUTAN-CLOCK:1").expect("fits");
    let step = (other.len() + 6) * 4;
    let codes: Vec<(&[Vec<bool>], usize, usize)> = (0..1500 / step)
        .flat_map(|i| (0..1000 / step).map(move |j| (i * step, j * step)))
        .map(|(left, top)| (&other[..], left, top))
        .collect();
    assert!(codes.len() > 100);
    let luma = sheet(1500, 1000, 4, &codes);
    let started = Instant::now();
    assert_eq!(find_in_luma(&luma, 1500, 1000), None);
    let took = started.elapsed();
    assert!(took < quick(), "{took:?}");
}

/// A 24-megapixel frame of the room alone, JPEG-compressed to about the size a camera
/// writes (noise is what makes a JPEG large, and what its decoder spends time on).
fn plain_photo(width: u32, height: u32, noise: i32) -> Vec<u8> {
    let rgb = background(width, height, noise, &mut Rng(7));
    let app1 = exif_app1("2026:11:26 09:15:00", width, height);
    camera_jpeg(&rgb, width, height, &app1)
}

/// The cost on 24-megapixel photos, with and without a code, and on the preview
/// `thumbs` makes of the clock shot. Run it optimised:
/// `cargo test --release --test clock -- --ignored --nocapture`.
#[test]
#[ignore = "timing report; run with --release"]
fn cost_on_24_megapixel_photos() {
    let (w, h) = (6000, 4000);
    let scene = Scene {
        width: w,
        height: h,
        module_px: 30.0,
        tilt_deg: 4.0,
        centre: (0.5, 0.5),
        seed: 6,
    };
    let dir = tempdir();
    let shot = clock_photo(morning(), SignedDuration::from_secs(95), &scene);
    let shot_path = write(&dir, "IMG_0003.JPG", &shot);
    let preview = derive(&shot_path, Kind::Photo, Some(1), &Limits::default())
        .expect("derives")
        .preview
        .expect("a preview");
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real-cameras/Canon EOS 450D.jpg");
    let cases = [
        (
            "24 Mpx, no code, camera-like size",
            plain_photo(w, h, 6),
            None,
        ),
        ("24 Mpx, no code, very noisy", plain_photo(w, h, 40), None),
        ("24 Mpx, clock shot", shot, Some(morning())),
        ("preview of that clock shot", preview, Some(morning())),
        (
            "12 Mpx Canon 450D, no code",
            std::fs::read(fixture).expect("fixture"),
            None,
        ),
    ];
    for (name, bytes, expected) in &cases {
        let mut times: Vec<Duration> = (0..7)
            .map(|_| {
                let started = Instant::now();
                assert_eq!(read_clock_shot_from(bytes), *expected, "{name}");
                started.elapsed()
            })
            .collect();
        times.sort();
        println!(
            "{name} ({:.1} MB): median {:?}, min {:?}, max {:?}",
            bytes.len() as f64 / 1e6,
            times[3],
            times[0],
            times[6]
        );
    }
}
