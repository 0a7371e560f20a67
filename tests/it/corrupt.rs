//! Corrupt input (reliability plan D1, D2, D4, D5): a corpus made at test time from
//! good files (a real camera JPEG, a RAW-like TIFF with EXIF, a HEIC built here box by
//! box, a real MP4 and MOV), cut at many offsets and bit-flipped with a seeded RNG.
//! The metadata reader, the completeness check and the thumbnailer must survive every
//! file within a time bound; the pipeline must account for every file (archived,
//! possibly flagged damaged, or rejected with a reason) and give damaged files
//! placeholder thumbnails, and the archive must match the catalog.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use liputan::media::{self, Kind, SynthPhoto};

use crate::harness::{get, served_addr, wait_until, Env};

/// xorshift64*: a tiny seeded RNG, so every run builds the same corpus.
pub struct XorShift(u64);

impl XorShift {
    pub fn new(seed: u64) -> XorShift {
        XorShift(seed ^ 0x9e37_79b9_7f4a_7c15 | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform enough in `0..n` (0 when `n` is 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            0
        } else {
            self.next_u64() % n
        }
    }
}

/// Bit-flip variants per source file.
const FLIPS: usize = 50;
/// What one file may take in the metadata reader, the completeness check and the
/// still thumbnailer together (generous: CI runs two test binaries on two cores).
const PER_FILE: Duration = Duration::from_secs(5);

pub struct Sample {
    pub name: String,
    pub bytes: Vec<u8>,
    /// Which good file it was made from.
    pub origin: &'static str,
}

struct Source {
    origin: &'static str,
    /// Extensions used in turn for the variants (a TIFF is both a `.tif` photo and
    /// a `.dng` RAW file).
    exts: &'static [&'static str],
    bytes: Vec<u8>,
    /// Where the header ends (EXIF segment, TIFF header, `ftyp` box).
    header_end: usize,
}

fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/real-cameras")
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn be32(b: &[u8], at: usize) -> usize {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap()) as usize
}

/// One ISO-BMFF box.
fn bx(typ: &[u8; 4], payload: &[u8]) -> Vec<u8> {
    let size = u32::try_from(payload.len() + 8).unwrap();
    [&size.to_be_bytes()[..], typ, payload].concat()
}

/// A full box: version and 24-bit flags before the payload.
fn full(typ: &[u8; 4], version: u8, payload: &[u8]) -> Vec<u8> {
    bx(typ, &[&[version, 0, 0, 0][..], payload].concat())
}

/// The EXIF TIFF block of a JPEG whose APP1 follows SOI (as `synth::jpeg` writes it).
fn exif_tiff_of(jpeg: &[u8]) -> Vec<u8> {
    assert_eq!(&jpeg[2..4], &[0xff, 0xe1]);
    let len = u16::from_be_bytes([jpeg[4], jpeg[5]]) as usize;
    assert_eq!(&jpeg[6..12], b"Exif\0\0");
    jpeg[12..4 + len].to_vec()
}

/// A minimal, structurally valid HEIC: `ftyp` (heic, mif1), `meta` with `hdlr pict`,
/// `pitm`, `iloc`, `iinf` (an `hvc1` image item and an `Exif` item), `iref cdsc`,
/// `iprp` (`ispe` WxH, `ipma`), and an `mdat` holding a stand-in HEVC payload and the
/// EXIF item (4-byte TIFF header offset, then the TIFF). Enough for every reader of
/// HEIF metadata; no decoder will show the picture.
pub fn heic(exif_tiff: &[u8], width: u32, height: u32) -> Vec<u8> {
    let ftyp = bx(b"ftyp", b"heic\0\0\0\0mif1heic");
    let hevc: Vec<u8> = (0..256u32).map(|i| (i * 37 % 251) as u8).collect();
    let exif_item = [&0u32.to_be_bytes()[..], exif_tiff].concat();
    let meta_with = |mdat_payload_at: u32| {
        let hdlr = full(
            b"hdlr",
            0,
            &[&[0u8; 4][..], b"pict", &[0u8; 12], b"\0"].concat(),
        );
        let pitm = full(b"pitm", 0, &1u16.to_be_bytes());
        let mut iloc = vec![0x44, 0x00]; // offset_size 4, length_size 4, base_offset_size 0
        iloc.extend_from_slice(&2u16.to_be_bytes());
        for (id, at, len) in [
            (1u16, mdat_payload_at, hevc.len() as u32),
            (
                2u16,
                mdat_payload_at + hevc.len() as u32,
                exif_item.len() as u32,
            ),
        ] {
            iloc.extend_from_slice(&id.to_be_bytes());
            iloc.extend_from_slice(&0u16.to_be_bytes()); // data_reference_index
            iloc.extend_from_slice(&1u16.to_be_bytes()); // extent_count
            iloc.extend_from_slice(&at.to_be_bytes());
            iloc.extend_from_slice(&len.to_be_bytes());
        }
        let iloc = full(b"iloc", 0, &iloc);
        let infe = |id: u16, typ: &[u8; 4]| {
            full(
                b"infe",
                2,
                &[&id.to_be_bytes()[..], &[0, 0], typ, b"\0"].concat(),
            )
        };
        let iinf = full(
            b"iinf",
            0,
            &[
                &2u16.to_be_bytes()[..],
                &infe(1, b"hvc1"),
                &infe(2, b"Exif"),
            ]
            .concat(),
        );
        let iref = full(
            b"iref",
            0,
            &bx(b"cdsc", &[0, 2, 0, 1, 0, 1]), // from item 2, one reference, to item 1
        );
        let ispe = full(
            b"ispe",
            0,
            &[width.to_be_bytes(), height.to_be_bytes()].concat(),
        );
        let ipma = full(b"ipma", 0, &[0, 0, 0, 1, 0, 1, 1, 0x81]);
        let iprp = bx(b"iprp", &[bx(b"ipco", &ispe), ipma].concat());
        full(b"meta", 0, &[hdlr, pitm, iloc, iinf, iref, iprp].concat())
    };
    let meta_len = meta_with(0).len();
    let payload_at = (ftyp.len() + meta_len + 8) as u32;
    let meta = meta_with(payload_at);
    let mdat = bx(b"mdat", &[hevc.as_slice(), &exif_item].concat());
    [ftyp, meta, mdat].concat()
}

fn sources() -> Vec<Source> {
    let jpeg = fixture("Canon EOS 7D.jpg");
    // The header ends with the EXIF (APP1) segment.
    let mut jpeg_header = 2;
    loop {
        assert_eq!(jpeg[jpeg_header], 0xff, "a JPEG marker");
        let marker = jpeg[jpeg_header + 1];
        jpeg_header +=
            2 + u16::from_be_bytes([jpeg[jpeg_header + 2], jpeg[jpeg_header + 3]]) as usize;
        if marker == 0xe1 {
            break;
        }
    }
    let spec = SynthPhoto {
        width: 96,
        height: 64,
        captured: Some("2026:11:26 09:15:00".into()),
        offset: Some("+08:00".into()),
        make: Some("Canon".into()),
        model: Some("Canon EOS 90D".into()),
        serial: Some("012345678901".into()),
        gps: Some((3.3, 117.6)),
        seed: 77,
        ..Default::default()
    };
    let tiff = media::synth::tiff_raw(&spec);
    let heic = heic(&exif_tiff_of(&media::synth::jpeg(&spec)), 4032, 3024);
    let heic_header = be32(&heic, 0);
    let mp4 = fixture("with-gps.mp4");
    let mov = fixture("with-gps.mov");
    let (mp4_header, mov_header) = (be32(&mp4, 0), be32(&mov, 0));
    vec![
        Source {
            origin: "jpeg",
            exts: &["jpg"],
            bytes: jpeg,
            header_end: jpeg_header,
        },
        Source {
            origin: "tiff",
            exts: &["tif", "dng"],
            bytes: tiff,
            header_end: 8,
        },
        Source {
            origin: "heic",
            exts: &["heic"],
            bytes: heic,
            header_end: heic_header,
        },
        Source {
            origin: "mp4",
            exts: &["mp4"],
            bytes: mp4,
            header_end: mp4_header,
        },
        Source {
            origin: "mov",
            exts: &["mov"],
            bytes: mov,
            header_end: mov_header,
        },
    ]
}

/// The corpus: per source, cuts at 0, 1, 2, 10, 100 bytes, at the header's end, at
/// half and one byte short; and `FLIPS` variants with 1 to 16 flipped bits (every
/// other one in the first 4 KiB, where headers and EXIF live; every fifth one also
/// sets a byte to 0x00 or 0xff, the values that make sizes and counts absurd).
pub fn corpus() -> Vec<Sample> {
    let mut out = Vec::new();
    let mut rng = XorShift::new(20261126);
    for source in sources() {
        let len = source.bytes.len();
        let mut cuts = vec![0, 1, 2, 10, 100, source.header_end, len / 2, len - 1];
        cuts.sort_unstable();
        cuts.dedup();
        for (i, cut) in cuts.into_iter().filter(|c| *c < len).enumerate() {
            let ext = source.exts[i % source.exts.len()];
            out.push(Sample {
                name: format!("{}-cut-{cut:07}.{ext}", source.origin),
                bytes: source.bytes[..cut].to_vec(),
                origin: source.origin,
            });
        }
        for v in 0..FLIPS {
            let mut bytes = source.bytes.clone();
            let window = if v % 2 == 0 { len.min(4096) } else { len } as u64;
            for _ in 0..1 + rng.below(16) {
                let at = rng.below(window) as usize;
                bytes[at] ^= 1 << rng.below(8);
            }
            if v % 5 == 0 {
                let at = rng.below(window) as usize;
                bytes[at] = if rng.below(2) == 0 { 0 } else { 0xff };
            }
            let ext = source.exts[v % source.exts.len()];
            out.push(Sample {
                name: format!("{}-flip-{v:02}.{ext}", source.origin),
                bytes,
                origin: source.origin,
            });
        }
    }
    out
}

fn write_corpus(dir: &Path, corpus: &[Sample]) -> Vec<PathBuf> {
    std::fs::create_dir_all(dir).unwrap();
    corpus
        .iter()
        .map(|s| {
            let path = dir.join(&s.name);
            std::fs::write(&path, &s.bytes).unwrap();
            path
        })
        .collect()
}

fn zone() -> jiff::tz::Offset {
    jiff::tz::Offset::from_seconds(8 * 3600).unwrap()
}

/// The good files read as they should: otherwise their variants prove little.
#[test]
fn the_good_sources_of_the_corpus_read_fully() {
    let dir = tempfile::tempdir().unwrap();
    for source in sources() {
        let path = dir.path().join(format!("good.{}", source.exts[0]));
        std::fs::write(&path, &source.bytes).unwrap();
        let md = media::read_metadata(&path, Kind::from_path(&path), zone());
        assert!(md.damaged.is_none(), "{}: {md:?}", source.origin);
        assert!(md.captured_at.is_some(), "{}: {md:?}", source.origin);
        assert_eq!(
            media::completeness(&path, Kind::from_path(&path)).unwrap(),
            media::Completeness::Complete,
            "{}",
            source.origin
        );
        if source.origin == "heic" {
            assert_eq!((md.width, md.height), (Some(4032), Some(3024)), "{md:?}");
            assert_eq!(md.serial.as_deref(), Some("012345678901"), "{md:?}");
        }
    }
}

/// Every corpus file through the library: metadata, completeness and (for stills)
/// the thumbnailer, each file on its own thread with a time bound, panics caught.
#[test]
fn the_metadata_reader_and_thumbnailer_survive_every_corrupt_file_in_bounded_time() {
    let corpus = corpus();
    let dir = tempfile::tempdir().unwrap();
    let paths = write_corpus(dir.path(), &corpus);
    let started = Instant::now();
    let mut problems = Vec::new();
    let mut slowest = (Duration::ZERO, String::new());
    let mut damaged: BTreeMap<&str, usize> = BTreeMap::new();
    for (sample, path) in corpus.iter().zip(&paths) {
        let (tx, rx) = std::sync::mpsc::channel();
        let path_for_thread = path.clone();
        let t0 = Instant::now();
        std::thread::spawn(move || {
            let result = std::panic::catch_unwind(|| {
                let path = path_for_thread;
                let kind = Kind::from_path(&path);
                let md = media::read_metadata(&path, kind, zone());
                let complete = media::completeness(&path, kind);
                if kind != Kind::Video {
                    let _ = media::thumbs::derive(
                        &path,
                        kind,
                        md.orientation,
                        &media::thumbs::Limits::default(),
                    );
                }
                (md.damaged.is_some(), complete.is_ok())
            });
            let _ = tx.send(result.map_err(|p| {
                p.downcast_ref::<String>()
                    .cloned()
                    .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
                    .unwrap_or_default()
            }));
        });
        match rx.recv_timeout(PER_FILE) {
            Ok(Ok((is_damaged, _))) => {
                if is_damaged {
                    *damaged.entry(sample.origin).or_default() += 1;
                }
            }
            Ok(Err(panic)) => problems.push(format!("{}: panicked: {panic}", sample.name)),
            Err(_) => problems.push(format!("{}: not done within {PER_FILE:?}", sample.name)),
        }
        let took = t0.elapsed();
        if took > slowest.0 {
            slowest = (took, sample.name.clone());
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
    println!(
        "library sweep: {} corrupt files, 0 panics, 0 over {PER_FILE:?}; flagged damaged by the metadata reader: {damaged:?}; slowest {} ({:?}); total {:.2} s",
        corpus.len(),
        slowest.1,
        slowest.0,
        started.elapsed().as_secs_f64()
    );
}

/// The whole corpus through `liputan ingest`, then the daemon for thumbnails: no
/// crash, every file accounted for, zero-byte files refused as empty, damaged files
/// archived and flagged with placeholder thumbnails, the archive matching the catalog.
#[test]
fn a_corpus_of_corrupt_files_is_accounted_for_and_thumbnailed_without_a_crash() {
    let env = Env::new("thumb_workers = 2");
    let corpus = corpus();
    let drop = env.dir.path().join("corpus");
    let paths = write_corpus(&drop, &corpus);
    let n = corpus.len() as u64;

    let started = Instant::now();
    let out = env
        .liputan()
        .args(["ingest", "--json"])
        .arg(&drop)
        .output()
        .expect("run liputan ingest");
    let ingest_seconds = started.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}); stderr: {stderr}"));
    let count = |k: &str| summary[k].as_u64().unwrap();
    assert_eq!(count("failed"), 0, "{summary}");
    assert_eq!(
        count("archived") + count("duplicates") + count("rejected"),
        n,
        "every file is archived, a duplicate or rejected: {summary}"
    );

    // Per file, from the catalog: a source row (archived or duplicate) or a rejection.
    let catalog = env.catalog();
    let mut outcome: BTreeMap<Vec<u8>, String> = BTreeMap::new();
    let mut stmt = catalog
        .prepare("SELECT s.path, coalesce(a.damaged, '') FROM sources s JOIN assets a ON a.id = s.asset_id")
        .unwrap();
    for row in stmt
        .query_map([], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
        })
        .unwrap()
    {
        let (path, damaged) = row.unwrap();
        outcome.insert(path, format!("archived {damaged}"));
    }
    let mut stmt = catalog
        .prepare("SELECT path, reason FROM rejections")
        .unwrap();
    for row in stmt
        .query_map([], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
        })
        .unwrap()
    {
        let (path, reason) = row.unwrap();
        assert!(!reason.trim().is_empty());
        assert!(outcome.insert(path, format!("rejected {reason}")).is_none());
    }
    use std::os::unix::ffi::OsStrExt;
    for (sample, path) in corpus.iter().zip(&paths) {
        let got = outcome
            .get(path.as_os_str().as_bytes())
            .unwrap_or_else(|| panic!("{} silently lost: {summary}", sample.name));
        if sample.bytes.is_empty() {
            assert_eq!(got, "rejected empty file (0 bytes)", "{}", sample.name);
        } else {
            assert!(got.starts_with("archived"), "{}: {got}", sample.name);
        }
    }
    let zero_byte = corpus.iter().filter(|s| s.bytes.is_empty()).count() as u64;
    assert_eq!(count("rejected"), zero_byte, "{summary}");
    let damaged: i64 = catalog
        .query_row(
            "SELECT count(*) FROM assets WHERE damaged IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(damaged as u64, count("damaged"), "{summary}");
    env.assert_archive_matches_catalog();
    assert_eq!(env.staging_files(), 0);

    // Thumbnails: the daemon makes them for everything archived.
    let thumbs_started = Instant::now();
    let daemon = env.serve();
    let addr = served_addr(&env);
    let waiting = || -> i64 {
        env.catalog()
            .query_row(
                "SELECT count(*) FROM assets WHERE status = 'archived' AND derived IS NULL",
                [],
                |r| r.get(0),
            )
            .unwrap_or(-1)
    };
    wait_until(Duration::from_secs(240), "every thumbnail is made", || {
        waiting() == 0
    });
    let thumbs_seconds = thumbs_started.elapsed().as_secs_f64();
    let catalog = env.catalog();
    let rows: Vec<(String, String, Option<String>, String)> = catalog
        .prepare("SELECT id, derived, damaged, kind FROM assets WHERE status = 'archived'")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let mut by_state: BTreeMap<String, usize> = BTreeMap::new();
    for (id, derived, damaged, kind) in &rows {
        assert!(
            derived == "ok" || derived == "placeholder",
            "{id}: {derived}"
        );
        *by_state
            .entry(format!(
                "{kind} {} -> {derived}",
                if damaged.is_some() {
                    "damaged"
                } else {
                    "intact"
                }
            ))
            .or_default() += 1;
        if damaged.is_some() {
            let thumb = get(&addr, &format!("/api/assets/{id}/thumb"), &[]);
            assert_eq!(thumb.status, 200, "{id}");
            assert!(
                thumb
                    .header("content-type")
                    .is_some_and(|t| t.starts_with("image/")),
                "{id}: {:?}",
                thumb.header("content-type")
            );
        }
    }
    assert_eq!(health(&addr)["status"], "ok");
    daemon.stop();
    let log = env.log();
    assert!(!log.contains("panicked"), "{log}");
    env.assert_archive_matches_catalog();
    println!(
        "corrupt corpus: {n} files, {} archived ({} flagged damaged), {} duplicates, {} rejected, 0 crashes; \
         `liputan ingest --json`: {ingest_seconds:.1} s ({:.1} ms/file); thumbnails by the daemon: {thumbs_seconds:.1} s; {by_state:?}",
        count("archived"),
        count("damaged"),
        count("duplicates"),
        count("rejected"),
        ingest_seconds * 1000.0 / n as f64
    );
}

fn health(addr: &str) -> serde_json::Value {
    get(addr, "/healthz", &[]).json()
}
