//! `liputan::media` against real files and generated ones: metadata read from the real
//! camera fixtures must agree with ExifTool's JSON (except for the listed deviations),
//! generated files must round-trip, and broken or hostile files must be reported, not
//! panic or hang.

use std::collections::BTreeSet;
use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use jiff::civil::DateTime;
use jiff::tz::Offset;
use jiff::Timestamp;
use liputan::media::{
    completeness, read_metadata, read_metadata_from, synth, Completeness, Gps, Kind, Metadata,
    SynthPhoto, TimeSource,
};
use serde_json::{Map, Value};

/// The configured zone used for zone-less times in these tests (+08:00, WITA).
const ZONE_SECONDS: i32 = 8 * 3600;
const EXPECTED_JSON: &str = "exiftool-12.57-expected.json";
const GPS_TOLERANCE_DEG: f64 = 1e-4;

fn zone() -> Offset {
    Offset::from_seconds(ZONE_SECONDS).expect("+08:00 is a valid offset")
}

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real-cameras")
}

type Entry = Map<String, Value>;

fn expected_entries() -> Vec<Entry> {
    let text = std::fs::read_to_string(fixture_dir().join(EXPECTED_JSON))
        .expect("expected JSON is readable");
    serde_json::from_str(&text).expect("expected JSON parses as a list of objects")
}

fn source_file(entry: &Entry) -> &str {
    entry["SourceFile"]
        .as_str()
        .expect("SourceFile is a string")
}

/// Collects every mismatch for one file so a failure shows them all at once.
struct Report {
    problems: Vec<String>,
}

impl Report {
    fn check<T: PartialEq + Debug>(&mut self, file: &str, field: &str, got: T, want: T) {
        if got != want {
            self.problems.push(format!(
                "{file}: {field}: got {got:?}, ExifTool says {want:?}"
            ));
        }
    }

    fn ensure(&mut self, ok: bool, what: impl FnOnce() -> String) {
        if !ok {
            self.problems.push(what());
        }
    }
}

// ---- what ExifTool says, read from the JSON --------------------------------------

fn text_of(entry: &Entry, keys: &[&str]) -> Option<String> {
    keys.iter().find_map(|k| match entry.get(*k)? {
        Value::String(s) => Some(s.trim().to_owned()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    })
}

fn number_of(entry: &Entry, key: &str) -> Option<f64> {
    entry.get(key)?.as_f64()
}

/// Keys of the form `Group:Name` for any group.
fn keys_named<'a>(entry: &'a Entry, name: &'a str) -> impl Iterator<Item = &'a String> + 'a {
    entry
        .keys()
        .filter(move |k| k.rsplit(':').next() == Some(name))
}

/// The body serial under any group's `SerialNumber` (never `InternalSerialNumber`),
/// with ExifTool's numeric form as text; 0 / all zeros means "no serial".
fn expected_serial(entry: &Entry) -> Option<String> {
    let keys: Vec<&str> = keys_named(entry, "SerialNumber")
        .chain(keys_named(entry, "BodySerialNumber"))
        .map(String::as_str)
        .collect();
    text_of(entry, &keys).filter(|s| !s.is_empty() && !s.chars().all(|c| c == '0'))
}

fn expected_lens(entry: &Entry) -> Option<String> {
    let keys: Vec<&str> = keys_named(entry, "LensModel").map(String::as_str).collect();
    text_of(entry, &keys)
}

/// The main image's size: the JPEG frame (`File:`), or a video track (`TrackN:`).
fn expected_size(entry: &Entry) -> (Option<u32>, Option<u32>) {
    let dim = |name: &str| {
        entry
            .iter()
            .find(|(k, _)| {
                k.as_str() == format!("File:{name}")
                    || (k.starts_with("Track") && k.ends_with(&format!(":{name}")))
            })
            .and_then(|(_, v)| v.as_u64())
            .and_then(|v| u32::try_from(v).ok())
    };
    (dim("ImageWidth"), dim("ImageHeight"))
}

/// ExifTool's composite position; an empty string means the GPS block had no usable
/// position.
fn expected_gps(entry: &Entry) -> Option<Gps> {
    Some(Gps {
        lat: number_of(entry, "Composite:GPSLatitude")?,
        lon: number_of(entry, "Composite:GPSLongitude")?,
        alt: number_of(entry, "Composite:GPSAltitude"),
    })
}

/// `2008:04:15 13:11:23` plus sub-second digits as a civil date-time.
fn exif_wall_time(datetime: &str, subsec: Option<&str>) -> DateTime {
    let (date, time) = datetime
        .split_once(' ')
        .expect("ExifTool date-time has a space");
    let frac = subsec.map(|s| format!(".{s}")).unwrap_or_default();
    format!("{}T{time}{frac}", date.replace(':', "-"))
        .parse()
        .expect("ExifTool date-time parses")
}

/// `+07:00` as seconds east of UTC.
fn offset_seconds(text: &str) -> Option<i32> {
    let (sign, rest) = match text.as_bytes().first()? {
        b'+' => (1, &text[1..]),
        b'-' => (-1, &text[1..]),
        _ => return None,
    };
    let (h, m) = rest.split_once(':')?;
    Some(sign * (h.parse::<i32>().ok()? * 3600 + m.parse::<i32>().ok()? * 60))
}

// ---- deliberate deviations ----------------------------------------------------------

/// GPS where we knowingly differ from ExifTool.
fn gps_deviation(file: &str) -> Option<Option<Gps>> {
    match file {
        // The D5000's GPS unit writes decimal minutes and seconds as 0/0
        // (48 deg 53.32358' N, 21 deg 02.59507' E). ExifTool treats 0/0 as undefined and
        // gives no position; we read a 0/0 minutes/seconds part as zero, which yields the
        // position the unit meant. The altitude agrees with ExifTool.
        "Nikon D5000.jpg" => Some(Some(Gps {
            lat: 48.0 + 53.32358 / 60.0,
            lon: 21.0 + 2.59507 / 60.0,
            alt: Some(324.145),
        })),
        _ => None,
    }
}

/// Container time where we knowingly differ from ExifTool's `QuickTime:CreateDate`
/// (the `mvhd` time): the expected instant and offset.
fn video_time_deviation(file: &str) -> Option<(&'static str, i32)> {
    match file {
        // The iPhone wrote Keys:CreationDate "2019-07-24T11:25:40+0300" (recording start,
        // with its zone); mvhd says 08:25:57 UTC, the moment the file was closed 17 s
        // later. We prefer the key, as it is the capture moment and carries the offset.
        "with-gps.mov" => Some(("2019-07-24T08:25:40Z", 3 * 3600)),
        _ => None,
    }
}

/// Durations are not in the ExifTool JSON (not exported); these are the files'
/// `mvhd` duration / timescale.
fn expected_duration_ms(file: &str) -> Option<u64> {
    match file {
        "with-gps.mov" => Some(4001), // 2401 / 600 s
        "with-gps.mp4" => Some(171),  // 171 / 1000 s
        _ => None,
    }
}

// ---- 1. real cameras against ExifTool -------------------------------------------------

#[test]
fn fixture_folder_and_expected_json_list_the_same_files() {
    let in_json: BTreeSet<String> = expected_entries()
        .iter()
        .map(|e| source_file(e).to_owned())
        .collect();
    let on_disk: BTreeSet<String> = std::fs::read_dir(fixture_dir())
        .expect("fixture folder is readable")
        .map(|e| {
            e.expect("directory entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .filter(|name| name != "README.md" && name != EXPECTED_JSON)
        .collect();
    assert!(!on_disk.is_empty(), "no fixtures found");
    assert_eq!(on_disk, in_json, "fixture files and JSON entries differ");
}

#[test]
fn real_camera_files_match_exiftool() {
    let mut report = Report {
        problems: Vec::new(),
    };
    for entry in expected_entries() {
        let file = source_file(&entry);
        let path = fixture_dir().join(file);
        let kind = Kind::from_path(&path);
        let md = read_metadata(&path, kind, zone());
        check_identity(&mut report, file, &entry, &md);
        check_geometry(&mut report, file, &entry, &md);
        check_gps(&mut report, file, &entry, &md);
        match kind {
            Kind::Video => check_video_time(&mut report, file, &entry, &md),
            _ => check_photo_time(&mut report, file, &entry, &md),
        }
        report.check(file, "damaged", md.damaged.clone(), None);
        let complete = completeness(&path, kind).expect("fixture is readable");
        report.check(file, "completeness", complete, Completeness::Complete);
    }
    assert!(report.problems.is_empty(), "{}", report.problems.join("\n"));
}

fn check_identity(report: &mut Report, file: &str, entry: &Entry, md: &Metadata) {
    report.check(
        file,
        "make",
        md.make.clone(),
        text_of(entry, &["IFD0:Make", "Keys:Make"]),
    );
    report.check(
        file,
        "model",
        md.model.clone(),
        text_of(entry, &["IFD0:Model", "Keys:Model"]),
    );
    // Canon's maker-note serial compares as ExifTool's -n number (330103043); its
    // printed form pads to ten digits ("0330103043").
    report.check(file, "serial", md.serial.clone(), expected_serial(entry));
    report.check(file, "lens", md.lens.clone(), expected_lens(entry));
}

fn check_geometry(report: &mut Report, file: &str, entry: &Entry, md: &Metadata) {
    let want_orientation = number_of(entry, "IFD0:Orientation").map(|o| o as u16);
    report.check(file, "orientation", md.orientation, want_orientation);
    report.check(
        file,
        "width x height",
        (md.width, md.height),
        expected_size(entry),
    );
    report.check(
        file,
        "duration_ms",
        md.duration_ms,
        expected_duration_ms(file),
    );
}

fn check_gps(report: &mut Report, file: &str, entry: &Entry, md: &Metadata) {
    let want = gps_deviation(file).unwrap_or_else(|| expected_gps(entry));
    let close = match (md.gps, want) {
        (None, None) => true,
        (Some(got), Some(want)) => {
            let alt_ok = match (got.alt, want.alt) {
                (None, None) => true,
                (Some(a), Some(b)) => (a - b).abs() < 1e-3,
                _ => false,
            };
            (got.lat - want.lat).abs() < GPS_TOLERANCE_DEG
                && (got.lon - want.lon).abs() < GPS_TOLERANCE_DEG
                && alt_ok
        }
        _ => false,
    };
    report.ensure(close, || {
        format!("{file}: gps: got {:?}, expected {want:?}", md.gps)
    });
}

fn check_photo_time(report: &mut Report, file: &str, entry: &Entry, md: &Metadata) {
    let Some(dto) = text_of(entry, &["ExifIFD:DateTimeOriginal"]) else {
        report.check(file, "captured_at", md.captured_at, None);
        return;
    };
    let subsec = text_of(entry, &["ExifIFD:SubSecTimeOriginal"]);
    let want_local = exif_wall_time(&dto, subsec.as_deref());
    let Some(got) = md.captured_at else {
        report.ensure(false, || {
            format!("{file}: no capture time, ExifTool says {dto}")
        });
        return;
    };
    report.check(file, "local capture time", got.local(), want_local);
    match text_of(entry, &["ExifIFD:OffsetTimeOriginal"]) {
        Some(offset) => {
            report.check(file, "time source", got.source, TimeSource::ExifWithOffset);
            report.check(
                file,
                "offset_seconds",
                Some(got.offset_seconds),
                offset_seconds(&offset),
            );
        }
        None => {
            report.check(file, "time source", got.source, TimeSource::ExifZoneless);
            report.check(file, "offset_seconds", got.offset_seconds, ZONE_SECONDS);
        }
    }
}

fn check_video_time(report: &mut Report, file: &str, entry: &Entry, md: &Metadata) {
    let created =
        text_of(entry, &["QuickTime:CreateDate"]).expect("videos have QuickTime:CreateDate");
    let mvhd_utc: Timestamp = format!("{}Z", exif_wall_time(&created, None))
        .parse()
        .expect("CreateDate as UTC parses");
    let Some(got) = md.captured_at else {
        report.ensure(false, || {
            format!("{file}: no capture time, ExifTool says {created} UTC")
        });
        return;
    };
    report.check(file, "time source", got.source, TimeSource::Container);
    match video_time_deviation(file) {
        Some((utc, offset)) => {
            report.check(file, "capture instant", got.utc.to_string(), utc.to_owned());
            report.check(file, "offset_seconds", got.offset_seconds, offset);
            let gap = mvhd_utc.as_second() - got.utc.as_second();
            report.ensure((0..60).contains(&gap), || {
                format!("{file}: key time {gap} s from mvhd")
            });
        }
        None => {
            report.check(file, "capture instant", got.utc, mvhd_utc);
            report.check(file, "offset_seconds", got.offset_seconds, ZONE_SECONDS);
        }
    }
}

// ---- 2. generated files round-trip ----------------------------------------------------

fn write(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("temp file is writable");
    path
}

fn read(path: &Path, zone: Offset) -> Metadata {
    read_metadata(path, Kind::from_path(path), zone)
}

fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("temp dir")
}

/// Tanjung Selor, Kalimantan Utara.
const TANJUNG_SELOR: (f64, f64) = (2.8375, 117.3653);

#[test]
fn generated_jpeg_with_offset_reads_back_as_that_instant() {
    let dir = tempdir();
    let spec = SynthPhoto {
        width: 160,
        height: 120,
        captured: Some("2026:11:26 09:15:00".into()),
        subsec: Some("25".into()),
        offset: Some("+07:00".into()),
        make: Some("NIKON CORPORATION".into()),
        model: Some("NIKON Z 6_2".into()),
        serial: Some("6012345".into()),
        gps: Some(TANJUNG_SELOR),
        orientation: Some(6),
        seed: 1,
    };
    let path = write(&dir, "DSC_0001.JPG", &synth::jpeg(&spec));
    let md = read(&path, zone());
    let t = md.captured_at.expect("capture time");
    assert_eq!(t.source, TimeSource::ExifWithOffset);
    assert_eq!(t.utc.to_string(), "2026-11-26T02:15:00.25Z");
    assert_eq!(t.offset_seconds, 7 * 3600);
    assert_eq!(md.make.as_deref(), Some("NIKON CORPORATION"));
    assert_eq!(md.model.as_deref(), Some("NIKON Z 6_2"));
    assert_eq!(md.serial.as_deref(), Some("6012345"));
    assert_eq!(md.orientation, Some(6));
    assert_eq!((md.width, md.height), (Some(160), Some(120)));
    let gps = md.gps.expect("gps");
    assert!((gps.lat - TANJUNG_SELOR.0).abs() < GPS_TOLERANCE_DEG);
    assert!((gps.lon - TANJUNG_SELOR.1).abs() < GPS_TOLERANCE_DEG);
    assert_eq!(md.damaged, None);
    assert_eq!(
        completeness(&path, Kind::Photo).ok(),
        Some(Completeness::Complete)
    );
    // The same through an already open file (ingest opens each file once).
    let open = std::fs::File::open(&path).expect("open");
    assert_eq!(read_metadata_from(&open, &path, Kind::Photo, zone()), md);
}

#[test]
fn generated_zoneless_jpeg_is_read_in_the_given_zone() {
    let dir = tempdir();
    let path = write(&dir, "IMG_0002.jpg", &synth::jpeg(&SynthPhoto::default()));
    let wit = Offset::from_seconds(9 * 3600).expect("+09:00");
    let t = read(&path, wit).captured_at.expect("capture time");
    assert_eq!(t.source, TimeSource::ExifZoneless);
    assert_eq!(t.offset_seconds, 9 * 3600);
    assert_eq!(t.utc.to_string(), "2026-11-26T00:15:00Z");
}

#[test]
fn generated_raw_files_read_make_model_serial_and_time() {
    let dir = tempdir();
    let spec = SynthPhoto {
        width: 48,
        height: 32,
        serial: Some("012345678901".into()),
        gps: Some((-6.2, 106.8)),
        ..SynthPhoto::default()
    };
    let bytes = synth::tiff_raw(&spec);
    for name in ["IMG_0003.dng", "DSC_0003.NEF"] {
        let path = write(&dir, name, &bytes);
        let md = read(&path, zone());
        assert_eq!(md.make.as_deref(), Some("Canon"), "{name}");
        assert_eq!(md.model.as_deref(), Some("Canon EOS R6"), "{name}");
        assert_eq!(md.serial.as_deref(), Some("012345678901"), "{name}");
        assert_eq!((md.width, md.height), (Some(48), Some(32)), "{name}");
        let t = md.captured_at.expect("capture time");
        assert_eq!(t.local().to_string(), "2026-11-26T09:15:00");
        assert_eq!(t.offset_seconds, ZONE_SECONDS);
        assert!(
            md.gps.is_some_and(|g| g.lat < -6.19 && g.lon > 106.79),
            "{name}"
        );
        assert_eq!(
            completeness(&path, Kind::Raw).ok(),
            Some(Completeness::Complete)
        );
    }
    let cut = write(&dir, "cut.nef", &bytes[..bytes.len() * 3 / 4]);
    assert!(matches!(
        completeness(&cut, Kind::Raw),
        Ok(Completeness::Incomplete(_))
    ));
}

#[test]
fn generated_mp4_round_trips_time_duration_and_size() {
    let dir = tempdir();
    let created: Timestamp = "2026-11-26T01:02:03Z".parse().expect("timestamp");
    let bytes = synth::mp4(created, 12_345, 1920, 1080);
    let path = write(&dir, "MVI_0004.MP4", &bytes);
    let md = read(&path, zone());
    let t = md.captured_at.expect("capture time");
    assert_eq!((t.utc, t.source), (created, TimeSource::Container));
    assert_eq!(md.duration_ms, Some(12_345));
    assert_eq!((md.width, md.height), (Some(1920), Some(1080)));
    assert_eq!(md.damaged, None);
    assert_eq!(
        completeness(&path, Kind::Video).ok(),
        Some(Completeness::Complete)
    );
}

// ---- 3. broken and hostile files ------------------------------------------------------

fn incomplete(path: &Path) -> bool {
    matches!(
        completeness(path, Kind::from_path(path)),
        Ok(Completeness::Incomplete(_))
    )
}

#[test]
fn a_truncated_jpeg_is_incomplete_and_damaged_but_keeps_its_exif() {
    let dir = tempdir();
    let whole = std::fs::read(fixture_dir().join("Canon EOS 450D.jpg")).expect("fixture");
    let path = write(&dir, "cut.jpg", &whole[..whole.len() * 6 / 10]);
    assert!(incomplete(&path));
    let md = read(&path, zone());
    assert!(md.damaged.is_some());
    assert_eq!(md.model.as_deref(), Some("Canon EOS 450D"));
    assert!(md.captured_at.is_some());
}

#[test]
fn an_empty_file_is_incomplete_and_damaged() {
    let dir = tempdir();
    for name in ["empty.jpg", "empty.mp4", "empty.cr2"] {
        let path = write(&dir, name, b"");
        assert_eq!(
            completeness(&path, Kind::from_path(&path)).ok(),
            Some(Completeness::Incomplete("empty file".into()))
        );
        assert_eq!(read(&path, zone()).damaged.as_deref(), Some("empty file"));
    }
}

#[test]
fn bytes_after_the_end_of_image_are_fine() {
    let dir = tempdir();
    let mut bytes = synth::jpeg(&SynthPhoto::default());
    bytes.extend_from_slice(b"\0\0SEFH phone trailer \xff\xd8\xff\xe1 not an image");
    let path = write(&dir, "trailer.jpg", &bytes);
    assert_eq!(
        completeness(&path, Kind::Photo).ok(),
        Some(Completeness::Complete)
    );
    assert_eq!(read(&path, zone()).damaged, None);
}

#[test]
fn mp4_without_moov_or_with_a_box_past_the_end_is_incomplete() {
    let dir = tempdir();
    let whole = synth::mp4(Timestamp::UNIX_EPOCH, 1000, 640, 480);
    let cut = write(&dir, "cut.mp4", &whole[..whole.len() - 10]);
    assert!(incomplete(&cut));
    assert!(read(&cut, zone()).damaged.is_some());
    let no_moov = write(
        &dir,
        "nomoov.mov",
        b"\0\0\0\x14ftypqt  \0\0\0\0qt  \0\0\0\x10mdat01234567",
    );
    assert!(incomplete(&no_moov));
    assert!(read(&no_moov, zone()).damaged.is_some());
}

/// Runs `f` on another thread and fails the test if it takes longer than `limit`
/// (a hang) or panics.
fn finishes_within<T: Send + 'static>(
    limit: Duration,
    what: &str,
    f: impl FnOnce() -> T + Send + 'static,
) -> T {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(limit) {
        Ok(v) => v,
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what}: did not finish in {limit:?}"),
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what}: panicked"),
    }
}

/// Reads `bytes` as a file named `name` with both entry points, which must return.
fn survives(dir: &tempfile::TempDir, name: &str, bytes: &[u8]) -> (Metadata, Completeness) {
    let path = write(dir, name, bytes);
    finishes_within(Duration::from_secs(20), name, move || {
        let md = read_metadata(&path, Kind::from_path(&path), zone());
        let complete = completeness(&path, Kind::from_path(&path)).expect("temp file is readable");
        (md, complete)
    })
}

/// splitmix64, so the hostile inputs are the same on every run.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let z = (state ^ (state >> 31)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            (z >> 56) as u8
        })
        .collect()
}

#[test]
fn random_bytes_under_media_names_do_not_panic() {
    let dir = tempdir();
    let names = [
        "x.jpg", "x.mp4", "x.tif", "x.mov", "x.heic", "x.raf", "x.cr3", "x.png", "x.wav",
    ];
    let magics: [&[u8]; 10] = [
        b"",
        b"\xff\xd8",
        b"II*\0",
        b"MM\0*",
        b"IIRO",
        b"\0\0\0\x18ftypisom",
        b"\0\0\0\x18ftypheic",
        b"FUJIFILMCCD-RAW ",
        b"\x89PNG\r\n\x1a\n",
        b"RIFF\x10\0\0\0WAVE",
    ];
    for (seed, magic) in magics.iter().enumerate() {
        for name in names {
            let bytes = [*magic, &noise(seed as u64, 4096)].concat();
            let (md, complete) = survives(&dir, name, &bytes);
            // Noise after a structured magic never forms a complete, undamaged file
            // (RIFF is excluded: its only check is that the declared size fits).
            let structured = !magic.is_empty() && !magic.starts_with(b"RIFF");
            let flagged = md.damaged.is_some() || complete != Completeness::Complete;
            assert!(
                flagged || !structured,
                "{name} with magic {magic:?}: {md:?}"
            );
        }
    }
}

#[test]
fn mutated_generated_files_do_not_panic() {
    let dir = tempdir();
    let spec = SynthPhoto {
        width: 32,
        height: 16,
        serial: Some("42".into()),
        gps: Some(TANJUNG_SELOR),
        ..SynthPhoto::default()
    };
    let originals = [
        ("m.jpg", synth::jpeg(&spec)),
        ("m.nef", synth::tiff_raw(&spec)),
        ("m.mp4", synth::mp4(Timestamp::UNIX_EPOCH, 5000, 320, 240)),
    ];
    for (name, original) in &originals {
        let header = original.len().min(600);
        for round in 0..150u64 {
            let mut bytes = original.clone();
            let flips = noise(round, 8);
            for pair in flips.chunks(2) {
                let at = usize::from(pair[0]) * header / 256;
                bytes[at] ^= pair[1] | 1;
            }
            survives(&dir, name, &bytes);
        }
    }
}

#[test]
fn an_mp4_box_with_size_one_and_a_tiny_largesize_is_rejected() {
    let dir = tempdir();
    let mut bytes = b"\0\0\0\x01ftyp".to_vec();
    bytes.extend_from_slice(&9u64.to_be_bytes());
    bytes.extend_from_slice(&[0; 32]);
    let (md, complete) = survives(&dir, "large.mp4", &bytes);
    assert!(md.damaged.is_some());
    assert!(matches!(complete, Completeness::Incomplete(_)));
    // And a largesize far past the end of the file.
    let mut bytes = b"\0\0\0\x14ftypisom\0\0\0\0isom\0\0\0\x01mdat".to_vec();
    bytes.extend_from_slice(&u64::MAX.to_be_bytes());
    let (_, complete) = survives(&dir, "huge.mp4", &bytes);
    assert!(matches!(complete, Completeness::Incomplete(_)));
}

#[test]
fn tiff_directories_pointing_at_themselves_terminate() {
    let dir = tempdir();
    // IFD0 at 8 with ExifIFDPointer -> 8 and SubIFDs -> 8, and next-IFD -> 8.
    let mut t = b"II*\0\x08\0\0\0".to_vec();
    t.extend_from_slice(&2u16.to_le_bytes());
    t.extend_from_slice(&[0x4a, 0x01, 4, 0, 1, 0, 0, 0, 8, 0, 0, 0]);
    t.extend_from_slice(&[0x69, 0x87, 4, 0, 1, 0, 0, 0, 8, 0, 0, 0]);
    t.extend_from_slice(&8u32.to_le_bytes());
    survives(&dir, "loop.tif", &t);
    survives(&dir, "loop.nef", &t);
    // The same TIFF as the EXIF of a JPEG.
    let jpeg = synth::jpeg(&SynthPhoto::default());
    let mut bytes = vec![0xff, 0xd8, 0xff, 0xe1];
    bytes.extend_from_slice(&u16::try_from(t.len() + 8).expect("small").to_be_bytes());
    bytes.extend_from_slice(b"Exif\0\0");
    bytes.extend_from_slice(&t);
    bytes.extend_from_slice(&jpeg[2..]);
    let (md, complete) = survives(&dir, "loop.jpg", &bytes);
    assert_eq!(complete, Completeness::Complete);
    assert_eq!(md.width, Some(320));
}
