//! BagIt export (RFC 8493): an assignment's or a month's archived files as a
//! bag another archive (the records unit, the Arsip daerah) can validate
//! without liputan: `bagit.txt`, `data/` (the files, laid out as in the
//! archive), `manifest-sha256.txt`, `bag-info.txt` (Source-Organization,
//! Bagging-Date, Payload-Oxum, External-Identifier) and `tagmanifest-sha256.txt`.
//!
//! Each file is read once: streamed into the bag while hashed with SHA-256
//! (for the manifest) and blake3 (checked against the catalog, so a damaged
//! archive file never leaves silently). The bag is built in a hidden sibling
//! folder and renamed into place when complete: there is never half a bag at DIR.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::catalog::{BagItem, Catalog};
use crate::config::Config;
use crate::error::{Error, IoContext, Result};
use crate::ingest::store;

/// Who makes the bags.
pub const SOURCE_ORGANIZATION: &str =
    "Dinas Komunikasi, Informatika, Statistik dan Persandian Provinsi Kalimantan Utara";

/// Which files go into the bag.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Selection {
    Assignment(i64),
    /// Year, month: the files filed under `YYYY/MM/` in the archive.
    Month(i32, u8),
}

impl Selection {
    /// `YYYY-MM`, naming the `--month` argument when it is wrong.
    pub fn month(text: &str) -> Result<Selection> {
        let bad = || Error::Invalid(format!("--month: {text:?} is not a month like 2026-11"));
        let (y, m) = text.split_once('-').ok_or_else(bad)?;
        if y.len() != 4 || m.len() != 2 {
            return Err(bad());
        }
        let year: i32 = y.parse().map_err(|_| bad())?;
        let month: u8 = m.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Selection::Month(year, month))
    }
}

/// What an export made.
#[derive(Debug, Serialize)]
pub struct Bag {
    pub dir: String,
    pub files: u64,
    pub bytes: u64,
    pub payload_oxum: String,
    pub external_identifier: String,
    pub seconds: f64,
}

/// Builds the bag for `selection` at `dir` (which must not exist, or be empty).
/// Blocking.
pub fn export(catalog: &Catalog, config: &Config, selection: Selection, dir: &Path) -> Result<Bag> {
    let started = Instant::now();
    match std::fs::read_dir(dir) {
        Ok(mut entries) => {
            if entries.next().is_some() {
                return Err(Error::Invalid(format!(
                    "DIR: {} exists and is not empty",
                    dir.display()
                )));
            }
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) if e.raw_os_error() == Some(libc::ENOTDIR) => {
            return Err(Error::Invalid(format!(
                "DIR: {} exists and is not a folder",
                dir.display()
            )))
        }
        Err(source) => {
            return Err(Error::Io {
                action: "reading",
                path: dir.to_owned(),
                source,
            })
        }
    }
    let (items, identifier, description) = match selection {
        Selection::Assignment(id) => {
            let title = catalog
                .assignment_title(id)?
                .ok_or_else(|| Error::NotFound(format!("--assignment: no assignment {id}")))?;
            let identifier = catalog
                .letter_number(id)
                .unwrap_or_else(|| format!("liputan-penugasan-{id}"));
            (
                catalog.bag_items_of_assignment(id)?,
                identifier,
                format!("Dokumentasi liputan: {title}"),
            )
        }
        Selection::Month(year, month) => (
            catalog.bag_items_of_month(year, month)?,
            format!("liputan-{year:04}-{month:02}"),
            format!("Arsip dokumentasi liputan bulan {year:04}-{month:02}"),
        ),
    };
    // Manifest lines need UTF-8 paths: refuse before writing anything.
    for item in &items {
        if item.archive_path.to_str().is_none() {
            return Err(Error::Invalid(format!(
                "{}: the file name is not UTF-8, which a BagIt manifest cannot name",
                item.archive_path.to_string_lossy()
            )));
        }
    }
    let dir = absolute(dir);
    let parent = dir.parent().unwrap_or(Path::new("/")).to_owned();
    let name = dir
        .file_name()
        .ok_or_else(|| Error::Invalid(format!("DIR: {} names no folder", dir.display())))?
        .to_string_lossy()
        .into_owned();
    store::create_dir_durable(&parent).at("creating", &parent)?;
    let building = parent.join(format!(".{name}.partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&building);
    let result = build(
        config,
        &config.archive,
        &building,
        &items,
        &identifier,
        &description,
    );
    let (files, bytes) = match result {
        Ok(counts) => counts,
        Err(e) => {
            let _ = std::fs::remove_dir_all(&building);
            return Err(e);
        }
    };
    // An empty DIR is replaced by the finished bag (rename(2) allows that).
    if let Err(source) = std::fs::rename(&building, &dir) {
        let _ = std::fs::remove_dir_all(&building);
        return Err(Error::Io {
            action: "moving the finished bag to",
            path: dir,
            source,
        });
    }
    store::fsync_dir(&parent).at("syncing", &parent)?;
    Ok(Bag {
        dir: dir.display().to_string(),
        files,
        bytes,
        payload_oxum: format!("{bytes}.{files}"),
        external_identifier: identifier,
        seconds: started.elapsed().as_secs_f64(),
    })
}

fn absolute(p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_owned()
    } else {
        std::env::current_dir().unwrap_or_default().join(p)
    }
}

fn build(
    config: &Config,
    archive: &Path,
    bag: &Path,
    items: &[BagItem],
    identifier: &str,
    description: &str,
) -> Result<(u64, u64)> {
    let data = bag.join("data");
    std::fs::create_dir_all(&data).at("creating", &data)?;
    let mut manifest = String::new();
    let mut bytes = 0u64;
    for item in items {
        let rel = item.archive_path.to_str().unwrap_or_default();
        let sha = copy_hashed(&archive.join(&item.archive_path), &data.join(rel), &item.id)?;
        manifest.push_str(&format!("{sha}  data/{}\n", encode_path(rel)));
        bytes += item.size;
    }
    let files = items.len() as u64;
    let today = config.zone.to_datetime(jiff::Timestamp::now()).date();
    let mut info = String::new();
    for (label, value) in [
        ("Source-Organization", SOURCE_ORGANIZATION),
        ("Bagging-Date", &today.to_string()),
        ("Payload-Oxum", &format!("{bytes}.{files}")),
        ("External-Identifier", identifier),
        ("External-Description", description),
        (
            "Bag-Software-Agent",
            concat!("liputan ", env!("CARGO_PKG_VERSION")),
        ),
    ] {
        info.push_str(&format!("{label}: {}\n", one_line(value)));
    }
    let tags = [
        (
            "bagit.txt",
            "BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n".to_owned(),
        ),
        ("bag-info.txt", info),
        ("manifest-sha256.txt", manifest),
    ];
    let mut tagmanifest = String::new();
    for (name, text) in &tags {
        write_synced(&bag.join(name), text.as_bytes())?;
        tagmanifest.push_str(&format!(
            "{}  {name}\n",
            hex(&Sha256::digest(text.as_bytes()))
        ));
    }
    write_synced(&bag.join("tagmanifest-sha256.txt"), tagmanifest.as_bytes())?;
    store::fsync_dir(bag).at("syncing", bag)?;
    Ok((files, bytes))
}

/// Streams `src` to a new file `dst`, returning its SHA-256 (hex); fails when
/// the bytes read are not the asset's content (blake3 = `id`).
fn copy_hashed(src: &Path, dst: &Path, id: &str) -> Result<String> {
    let (mut from, _) = store::open_source(src).map_err(|e| Error::Io {
        action: "opening the archive file",
        path: src.to_owned(),
        source: match e {
            store::OpenError::Io(e) => e,
            other => io::Error::other(other.to_string()),
        },
    })?;
    if let Some(parent) = dst.parent() {
        std::fs::create_dir_all(parent).at("creating", parent)?;
    }
    let mut to = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o644)
        .open(dst)
        .at("creating", dst)?;
    let mut sha = Sha256::new();
    let mut b3 = blake3::Hasher::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e).at("reading", src),
        };
        sha.update(&buf[..n]);
        b3.update(&buf[..n]);
        to.write_all(&buf[..n]).at("writing", dst)?;
    }
    if b3.finalize().to_hex().as_str() != id {
        return Err(Error::Io {
            action: "not exported: the archive file does not match its catalog hash (run `liputan verify`)",
            path: src.to_owned(),
            source: io::Error::new(io::ErrorKind::InvalidData, "blake3 mismatch"),
        });
    }
    to.sync_all().at("syncing", dst)?;
    Ok(hex(&sha.finalize()))
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut f = File::create(path).at("creating", path)?;
    f.write_all(bytes).at("writing", path)?;
    f.sync_all().at("syncing", path)
}

/// RFC 8493 §2.1.3: CR, LF and `%` in a manifest path are percent-encoded.
fn encode_path(p: &str) -> String {
    p.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// A tag value on one line (titles are typed by people).
fn one_line(s: &str) -> String {
    s.split(['\r', '\n'])
        .filter(|l| !l.trim().is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_checked_and_named() {
        assert_eq!(
            Selection::month("2026-11").unwrap(),
            Selection::Month(2026, 11)
        );
        for bad in ["2026-13", "2026/11", "26-11", "2026-1", "x"] {
            let e = Selection::month(bad).unwrap_err().to_string();
            assert!(e.contains("--month"), "{bad}: {e}");
        }
    }

    #[test]
    fn manifest_paths_are_encoded() {
        assert_eq!(encode_path("a%b\nc\r.jpg"), "a%25b%0Ac%0D.jpg");
        assert_eq!(hex(&Sha256::digest(b"abc"))[..16], *"ba7816bf8f01cfea");
    }
}
