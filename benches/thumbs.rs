//! Helper binary for `bench/thumbs.sh` and `bench/pipeline.sh` (not a cargo-bench
//! harness; run it through those scripts or `cargo bench --bench thumbs -- ARGS`).
//!
//! ```text
//! thumbs gen DIR COUNT [SEED]   writes COUNT 6000x4000 camera JPEGs (q90, gradient plus
//!                               noise, 6-12 MB each, realistic EXIF) under DIR/DCIM/100CANON
//! thumbs derive THREADS OUT FILE...
//!                               runs media::thumbs::derive on every FILE with THREADS
//!                               workers, writes OUT/<name>_t.jpg and _p.jpg, prints ms/image
//! ```

use std::io::Cursor;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

use exif::experimental::Writer;
use exif::{Field, In, Rational, Tag, Value};
use image::codecs::jpeg::JpegEncoder;
use image::ExtendedColorType;
use liputan::media::thumbs::{derive, Limits};
use liputan::media::{read_metadata, Kind};

const WIDTH: u32 = 6000;
const HEIGHT: u32 = 4000;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` appends `--bench`; ignore it.
    let args: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| *a != "--bench")
        .collect();
    let result = match args.as_slice() {
        ["gen", dir, count, rest @ ..] => generate(
            Path::new(dir),
            count.parse().unwrap_or(200),
            rest.first().and_then(|s| s.parse().ok()).unwrap_or(1),
        ),
        ["derive", threads, out, files @ ..] => {
            run_derive(threads.parse().unwrap_or(1), Path::new(out), files)
        }
        _ => Err("usage: thumbs gen DIR COUNT [SEED] | thumbs derive THREADS OUT FILE...".into()),
    };
    if let Err(e) = result {
        eprintln!("thumbs: {e}");
        std::process::exit(1);
    }
}

type Result<T> = std::result::Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Generates the card on two threads (encoding 24 Mpx is the slow part).
fn generate(dir: &Path, count: usize, seed: u64) -> Result<()> {
    let folder = dir.join("DCIM/100CANON");
    std::fs::create_dir_all(&folder)?;
    let next = AtomicUsize::new(0);
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..2)
            .map(|_| {
                s.spawn(|| -> Result<()> {
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        if i >= count {
                            return Ok(());
                        }
                        let path = folder.join(format!("IMG_{:04}.JPG", i + 1));
                        std::fs::write(
                            &path,
                            camera_jpeg(seed.wrapping_mul(100_003) + i as u64, i)?,
                        )?;
                    }
                })
            })
            .collect();
        workers
            .into_iter()
            .try_for_each(|w| w.join().map_err(|_| "generator panicked")?)
    })
}

/// One 6000x4000 q90 JPEG with the EXIF an EOS body writes (APP1 right after SOI).
fn camera_jpeg(seed: u64, index: usize) -> Result<Vec<u8>> {
    let pixels = pixels(seed);
    let mut encoded = Vec::new();
    JpegEncoder::new_with_quality(&mut encoded, 90).encode(
        &pixels,
        WIDTH,
        HEIGHT,
        ExtendedColorType::Rgb8,
    )?;
    let tiff = exif(index)?;
    let mut out = Vec::with_capacity(encoded.len() + tiff.len() + 10);
    out.extend_from_slice(&[0xff, 0xd8, 0xff, 0xe1]);
    out.extend_from_slice(&u16::try_from(tiff.len() + 8)?.to_be_bytes());
    out.extend_from_slice(b"Exif\0\0");
    out.extend_from_slice(&tiff);
    out.extend_from_slice(encoded.get(2..).unwrap_or_default());
    Ok(out)
}

/// A soft diagonal gradient with blobs and per-pixel noise: compresses like a real
/// busy scene at q90 (6-12 MB), not like a flat test card.
fn pixels(seed: u64) -> Vec<u8> {
    let mut rng = seed ^ 0x9e37_79b9_7f4a_7c15;
    let mut out = Vec::with_capacity((WIDTH * HEIGHT * 3) as usize);
    let base = (seed % 97) as u32;
    for y in 0..HEIGHT {
        for x in 0..WIDTH {
            rng ^= rng << 13;
            rng ^= rng >> 7;
            rng ^= rng << 17;
            let n = rng.to_le_bytes();
            // Sensor-like noise: mostly luminance, a little chroma.
            let luma = n[0] % 18;
            let g = (x * 160 / WIDTH + y * 80 / HEIGHT + base) as u8;
            let blob = (((x / 37) ^ (y / 53)) & 31) as u8;
            out.push(g.wrapping_add(blob).wrapping_add(luma + n[1] % 4));
            out.push((g / 2 + 40).wrapping_add(luma + n[2] % 4));
            out.push(
                (200 - g / 2)
                    .wrapping_sub(blob)
                    .wrapping_add(luma + n[3] % 4),
            );
        }
    }
    out
}

fn exif(index: usize) -> Result<Vec<u8>> {
    let ascii = |s: &str| Value::Ascii(vec![s.as_bytes().to_vec()]);
    let r = |num, denom| Rational { num, denom };
    let minute = index % 60;
    let when = format!("2026:11:26 09:{minute:02}:{:02}", index % 53);
    let fields = [
        (Tag::Make, ascii("Canon")),
        (Tag::Model, ascii("Canon EOS R6")),
        (Tag::Orientation, Value::Short(vec![1])),
        (Tag::XResolution, Value::Rational(vec![r(72, 1)])),
        (Tag::YResolution, Value::Rational(vec![r(72, 1)])),
        (Tag::ResolutionUnit, Value::Short(vec![2])),
        (Tag::Software, ascii("Firmware Version 1.8.1")),
        (Tag::DateTime, ascii(&when)),
        (Tag::Artist, ascii("Budi Santoso")),
        (Tag::ExposureTime, Value::Rational(vec![r(1, 250)])),
        (Tag::FNumber, Value::Rational(vec![r(56, 10)])),
        (Tag::ExposureProgram, Value::Short(vec![3])),
        (Tag::PhotographicSensitivity, Value::Short(vec![800])),
        (Tag::ExifVersion, Value::Undefined(b"0232".to_vec(), 0)),
        (Tag::DateTimeOriginal, ascii(&when)),
        (Tag::DateTimeDigitized, ascii(&when)),
        (Tag::OffsetTimeOriginal, ascii("+08:00")),
        (Tag::SubSecTimeOriginal, ascii("42")),
        (Tag::FocalLength, Value::Rational(vec![r(50, 1)])),
        (Tag::PixelXDimension, Value::Long(vec![WIDTH])),
        (Tag::PixelYDimension, Value::Long(vec![HEIGHT])),
        (Tag::BodySerialNumber, ascii("083021001234")),
        (Tag::LensModel, ascii("RF24-105mm F4 L IS USM")),
        (Tag::GPSVersionID, Value::Byte(vec![2, 3, 0, 0])),
        (Tag::GPSLatitudeRef, ascii("N")),
        (
            Tag::GPSLatitude,
            Value::Rational(vec![r(2, 1), r(50, 1), r(3600, 1000)]),
        ),
        (Tag::GPSLongitudeRef, ascii("E")),
        (
            Tag::GPSLongitude,
            Value::Rational(vec![r(117, 1), r(22, 1), r(1200, 1000)]),
        ),
    ];
    let fields: Vec<Field> = fields
        .into_iter()
        .map(|(tag, value)| Field {
            tag,
            ifd_num: In::PRIMARY,
            value,
        })
        .collect();
    let mut writer = Writer::new();
    for f in &fields {
        writer.push_field(f);
    }
    let mut out = Cursor::new(Vec::new());
    writer.write(&mut out, true)?;
    Ok(out.into_inner())
}

/// `derive` on every file with `threads` workers, as the ingest worker pool would run
/// it (orientation read from the metadata first, timed with it).
fn run_derive(threads: usize, out: &Path, files: &[&str]) -> Result<()> {
    std::fs::create_dir_all(out)?;
    let next = AtomicUsize::new(0);
    let failures = AtomicUsize::new(0);
    let limits = Limits::default();
    let started = Instant::now();
    std::thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(file) = files.get(i) else { return };
                let path = PathBuf::from(file);
                let zone = jiff::tz::Offset::UTC;
                let orientation = read_metadata(&path, Kind::Photo, zone).orientation;
                match derive(&path, Kind::from_path(&path), orientation, &limits) {
                    Ok(d) => {
                        let stem = path.file_stem().map(|s| s.to_string_lossy().into_owned());
                        let stem = stem.unwrap_or_default();
                        let _ = std::fs::write(out.join(format!("{stem}_t.jpg")), &d.thumb);
                        if let Some(p) = d.preview {
                            let _ = std::fs::write(out.join(format!("{stem}_p.jpg")), p);
                        }
                    }
                    Err(e) => {
                        eprintln!("{file}: {e}");
                        failures.fetch_add(1, Ordering::Relaxed);
                    }
                }
            });
        }
    });
    let elapsed = started.elapsed().as_secs_f64();
    let n = files.len().max(1) as f64;
    println!(
        "derive threads={threads} files={} failures={} total_s={elapsed:.3} ms_per_image={:.1}",
        files.len(),
        failures.load(Ordering::Relaxed),
        elapsed * 1000.0 / n
    );
    Ok(())
}
