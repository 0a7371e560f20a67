//! Arbitrary bytes through the metadata readers (JPEG, TIFF/RAW, RAF, HEIF/MP4/MOV/CR3,
//! PNG, WebP, WAV, AVI, FLAC: the content picks the parser) and through
//! `completeness`, the "is this file fully written" check ingest settles on.
//!
//! The readers take a `File`/`Path`, so the input goes into one in-memory file
//! (`memfd_create`) per process, rewritten for each input: no temp dir per input.
//! `completeness` opens it again by its `/proc/self/fd` path.
//!
//! Invariants beyond "never panics" (and libFuzzer's own memory and time limits,
//! which stand for `media`'s "bounded memory"): what the module docs promise of the
//! result. An EXIF orientation is 1..=8, an empty file is damaged and incomplete,
//! a time source is never the file's mtime, and reading is repeatable.

#![no_main]

use std::fs::File;
use std::io::{Seek, SeekFrom, Write};
use std::os::fd::{AsRawFd, FromRawFd};
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use jiff::tz::Offset;
use libfuzzer_sys::fuzz_target;
use liputan::media::{completeness, read_metadata_from, Completeness, Kind, TimeSource};

struct MemFile {
    file: File,
    path: PathBuf,
}

fn memfile() -> &'static MemFile {
    static FILE: OnceLock<MemFile> = OnceLock::new();
    FILE.get_or_init(|| {
        // SAFETY: a NUL-terminated name; the descriptor returned is new and owned here.
        let fd = unsafe { libc::memfd_create(c"liputan-fuzz".as_ptr(), libc::MFD_CLOEXEC) };
        assert!(fd >= 0, "memfd_create: {}", std::io::Error::last_os_error());
        let file = unsafe { File::from_raw_fd(fd) };
        let path = PathBuf::from(format!("/proc/self/fd/{}", file.as_raw_fd()));
        MemFile { file, path }
    })
}

fn load(data: &[u8]) -> &'static MemFile {
    let mem = memfile();
    let mut file = &mem.file;
    file.set_len(0).expect("truncate memfd");
    file.seek(SeekFrom::Start(0)).expect("seek memfd");
    file.write_all(data).expect("write memfd");
    file.seek(SeekFrom::Start(0)).expect("seek memfd");
    mem
}

fuzz_target!(|data: &[u8]| {
    let mem = load(data);
    let zone = Offset::constant(8);
    // The name only matters for content nobody recognises (a ".jpg" that is not one
    // is damaged); the kind only rules documents out.
    let md = read_metadata_from(&mem.file, Path::new("IMG_0001.JPG"), Kind::Photo, zone);
    if let Some(o) = md.orientation {
        assert!((1..=8).contains(&o), "orientation {o} outside 1..=8");
    }
    if let Some(t) = &md.captured_at {
        assert_ne!(
            t.source,
            TimeSource::FileMtime,
            "the reader never uses the mtime"
        );
        assert!(
            Offset::from_seconds(t.offset_seconds).is_ok(),
            "offset {} s is not a valid offset",
            t.offset_seconds
        );
    }
    if let Some(reason) = &md.damaged {
        assert!(!reason.trim().is_empty(), "damage without a reason");
    }
    if data.is_empty() {
        assert_eq!(md.damaged.as_deref(), Some("empty file"));
    }
    // Same bytes, same answer: the reader keeps no state between files.
    let again = read_metadata_from(&mem.file, Path::new("IMG_0001.JPG"), Kind::Photo, zone);
    assert_eq!(md, again, "reading the same bytes twice differs");

    // Documents and other files are never opened.
    let other = read_metadata_from(&mem.file, Path::new("a.pdf"), Kind::Document, zone);
    assert_eq!(other, Default::default());

    for kind in [Kind::Photo, Kind::Video] {
        match completeness(&mem.path, kind) {
            Ok(Completeness::Incomplete(reason)) => {
                assert!(!reason.trim().is_empty(), "incomplete without a reason")
            }
            Ok(Completeness::Complete) => {
                assert!(!data.is_empty(), "an empty file is never complete")
            }
            Ok(Completeness::NotChecked) => {}
            // Ingest reads an error as "not checked" and archives the file: an
            // in-memory file never fails to read, so an error here is a parse error
            // that lets a half-written file through.
            Err(e) => panic!("completeness failed on readable bytes: {e}"),
        }
    }
});
