//! Inputs the fuzz targets (`fuzz/`) found or that were made by hand to be hostile,
//! fed through the same entry points as the targets, each with what a user would
//! notice: a clear damage or incompleteness reason, no capture time invented, an
//! answer within seconds.
//!
//! Every file in `tests/fixtures/fuzz/` is named `<target>-<short-name>`; the target
//! says which entry point it goes through. A crash found by `fuzz/run.sh` is added
//! there (minimised with `cargo fuzz tmin`) and gets its expectation below. The
//! structured targets (`matching`, `query`) take `arbitrary`-encoded bytes, which
//! mean nothing outside the fuzz crate: their crashes are transcribed into a test of
//! their own here instead.

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use jiff::tz::Offset;
use liputan::media::{clockshot, completeness, read_metadata_from, Completeness, Kind, Metadata};

/// Generous for a debug build on a loaded 2-core runner; a reader that loops or
/// walks gigabytes takes far longer.
const TIME_LIMIT: Duration = Duration::from_secs(10);

fn fixture_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fuzz")
}

fn fixtures(target: &str) -> Vec<(String, Vec<u8>)> {
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(fixture_dir())
        .expect("tests/fixtures/fuzz is readable")
        .map(|entry| entry.expect("directory entry").path())
        .filter(|path| {
            path.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(&format!("{target}-")))
        })
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&path).expect("fixture is readable"))
        })
        .collect();
    out.sort();
    out
}

/// Runs `f` on another thread and fails the test if it takes longer than
/// [`TIME_LIMIT`] (the thread is left behind; the test binary ends anyway).
fn within_limit<T: Send + 'static>(what: &str, f: impl FnOnce() -> T + Send + 'static) -> T {
    let (tx, rx) = mpsc::channel();
    let started = Instant::now();
    thread::spawn(move || {
        let _ = tx.send(f());
    });
    match rx.recv_timeout(TIME_LIMIT) {
        Ok(value) => value,
        Err(mpsc::RecvTimeoutError::Timeout) => {
            panic!("{what}: no answer within {TIME_LIMIT:?}")
        }
        Err(mpsc::RecvTimeoutError::Disconnected) => {
            panic!("{what}: panicked after {:?}", started.elapsed())
        }
    }
}

/// The bytes in an in-memory file, as the `metadata` target holds them.
fn memfile(data: &[u8]) -> (File, PathBuf) {
    // SAFETY: a NUL-terminated name; the descriptor returned is new and owned here.
    let fd = unsafe { libc::memfd_create(c"liputan-test".as_ptr(), libc::MFD_CLOEXEC) };
    assert!(fd >= 0, "memfd_create: {}", std::io::Error::last_os_error());
    let mut file = unsafe { File::from_raw_fd(fd) };
    file.write_all(data).expect("write memfd");
    file.seek(SeekFrom::Start(0)).expect("seek memfd");
    let path = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
    (file, path)
}

/// What the `metadata` target computes: the metadata of the bytes named as a
/// `.JPG` photo, and their completeness as a photo.
fn metadata_of(data: Vec<u8>) -> (Metadata, Completeness) {
    let (file, path) = memfile(&data);
    let md = read_metadata_from(
        &file,
        Path::new("IMG_0001.JPG"),
        Kind::Photo,
        Offset::constant(8),
    );
    let verdict = completeness(&path, Kind::Photo).expect("an in-memory file is readable");
    (md, verdict)
}

/// What a user must see for each hostile file: whether it has a capture time (a
/// time read from data that is not there would file it wrongly), the damage reason
/// `metadata` reports (a substring; `None` when it reads as undamaged) and the
/// completeness reason (a substring; `None` for complete).
struct Expect {
    has_time: bool,
    damaged: Option<&'static str>,
    incomplete: Option<&'static str>,
}

fn expectation(name: &str) -> Option<Expect> {
    let e = |has_time, damaged, incomplete| Expect {
        has_time,
        damaged,
        incomplete,
    };
    Some(match name {
        // The Exif item's extent lies past the end: no time, but the size (from
        // `ispe`) is still read, and the boxes themselves are whole.
        "metadata-heic-exif-past-end" => e(false, None, None),
        // APP1 declares 64 KiB; the file ends after 100 bytes.
        "metadata-jpeg-cut-in-exif" => e(
            false,
            Some("JPEG header segment is cut off"),
            Some("JPEG segment extends past the end of the file"),
        ),
        // A 4 GiB `moov` in a 56-byte file: one header read, not a 4 GiB walk.
        "metadata-mp4-box-past-end" => e(
            false,
            Some("'moov' box extends past the end of the file"),
            Some("'moov' box extends past the end of the file"),
        ),
        // A 64-bit box size of 0, smaller than the header itself.
        "metadata-mp4-largesize-zero" => e(
            false,
            Some("'moov' box has an invalid 64-bit size"),
            Some("'moov' box has an invalid 64-bit size"),
        ),
        // Offsets and lengths near 4 GiB, whose sums overflow 32 bits.
        "metadata-raf-offsets-overflow" => e(
            false,
            Some("RAF preview offset is past the end of the file"),
            Some("RAF data extends past the end of the file"),
        ),
        // A WebP whose RIFF size is 4 GiB: its data is still being written.
        "metadata-riff-size-overflow" => e(
            false,
            None,
            Some("RIFF data extends past the end of the file"),
        ),
        // Make with 4 Gi characters at offset 0xFFFFFFF0 (dropped, nothing
        // allocated), image data past the end; the EXIF dates are really there.
        "metadata-tiff-huge-count" => e(
            true,
            Some("TIFF image data extends past the end of the file"),
            Some("TIFF image data extends past the end of the file"),
        ),
        // IFD0 links to itself and its EXIF pointer leads back to IFD0: the walk
        // stops, IFD0's make is read, and there is no EXIF date to find.
        "metadata-tiff-ifd-loop" => e(false, None, None),
        _ => return None,
    })
}

#[test]
fn hostile_media_files_are_reported_not_read_into_metadata() {
    let files = fixtures("metadata");
    assert!(!files.is_empty(), "no metadata fixtures");
    let mut problems = Vec::new();
    for (name, data) in files {
        let (md, verdict) = within_limit(&name, move || metadata_of(data));
        let Some(expect) = expectation(&name) else {
            problems.push(format!("{name}: no expectation: add one to `expectation`"));
            continue;
        };
        if md.captured_at.is_some() != expect.has_time {
            problems.push(format!("{name}: capture time {:?}", md.captured_at));
        }
        match (expect.damaged, md.damaged.as_deref()) {
            (Some(want), Some(got)) if got.contains(want) => {}
            (None, None) => {}
            (want, got) => problems.push(format!("{name}: damaged {got:?}, want {want:?}")),
        }
        match (expect.incomplete, &verdict) {
            (Some(want), Completeness::Incomplete(got)) if got.contains(want) => {}
            (None, Completeness::Complete) => {}
            (want, got) => problems.push(format!("{name}: {got:?}, want {want:?}")),
        }
        if name == "metadata-tiff-ifd-loop" && md.make.as_deref() != Some("Canon") {
            problems.push(format!("{name}: make {:?}, want IFD0's \"Canon\"", md.make));
        }
        if name == "metadata-tiff-huge-count" && md.make.is_some() {
            problems.push(format!("{name}: make {:?} read from past the end", md.make));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn hostile_jpegs_hold_no_clock_shot() {
    let files = fixtures("clockshot");
    assert!(!files.is_empty(), "no clockshot fixtures");
    for (name, data) in files {
        let shown = within_limit(&name, move || clockshot::read_clock_shot_from(&data));
        assert_eq!(shown, None, "{name}");
    }
}

/// Found by the `metadata` target (reading the same file twice differed):
/// `read_metadata_from` sniffed the format at the file's current position but
/// parsed from the start, so a file handle read once (or hashed first) came back
/// as "content is not a valid .jpg file", without its capture time.
#[test]
fn a_file_read_twice_through_one_handle_reads_the_same() {
    let real = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/real-cameras");
    for (name, kind) in [
        ("Canon EOS 7D.jpg", Kind::Photo),
        ("with-gps.mp4", Kind::Video),
    ] {
        let file = File::open(real.join(name)).expect("fixture opens");
        let read = || read_metadata_from(&file, Path::new(name), kind, Offset::constant(8));
        let first = read();
        assert!(first.captured_at.is_some(), "{name}: {first:?}");
        assert_eq!(first.damaged, None, "{name}");
        let second = read();
        assert_eq!(second, first, "{name}: the second read differs");
        // And from wherever the caller left the handle.
        (&file).seek(SeekFrom::End(-1)).expect("seek");
        assert_eq!(read(), first, "{name}: read from the end of the handle");
    }
}

#[test]
fn every_fixture_belongs_to_a_target() {
    for entry in std::fs::read_dir(fixture_dir()).expect("tests/fixtures/fuzz is readable") {
        let name = entry.expect("directory entry").file_name();
        let name = name.to_string_lossy();
        let target = name.split('-').next().unwrap_or_default();
        assert!(
            ["metadata", "clockshot"].contains(&target),
            "{name}: fixtures are named metadata-* or clockshot-*; crashes of the \
             structured targets become tests of their own"
        );
    }
}
