//! Walking inbox roots and sorting what is found: files to ingest, OS junk to
//! ignore, and things that must not be read (symlinks leaving the root, FIFOs,
//! sockets, devices) to report. Never follows a symlink. Blocking.

use std::ffi::OsStr;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use crate::ingest::store::{file_type_name, FileStat};

/// A file found under an inbox root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    /// The inbox root it was found under (confinement and the drop folder).
    pub root: PathBuf,
    pub path: PathBuf,
}

impl Candidate {
    /// The first folder under the root, which may name the photographer.
    pub fn drop_folder(&self) -> Option<String> {
        let rel = self.path.strip_prefix(&self.root).ok()?;
        let mut parts = rel.components();
        let first = parts.next()?;
        // A file directly in the root has no drop folder.
        parts.next()?;
        Some(first.as_os_str().to_string_lossy().into_owned())
    }
}

/// What a directory entry is, for ingest.
#[derive(Debug)]
pub enum Entry {
    /// A regular file, with its `lstat`.
    File(Candidate, FileStat),
    /// Not read: reported with a reason a person can act on.
    Refused {
        path: PathBuf,
        stat: FileStat,
        reason: String,
    },
    /// OS junk, partial downloads, and symlinks that stay inside the root.
    Ignored,
}

/// OS housekeeping files and names that browsers and copy tools use while a
/// transfer is still running.
pub fn is_junk(name: &OsStr) -> bool {
    let b = name.as_bytes();
    let lower = name.to_string_lossy().to_lowercase();
    lower == ".ds_store"
        || lower == "thumbs.db"
        || lower == "desktop.ini"
        || lower == "ehthumbs.db"
        || b.starts_with(b"._")
        || b.starts_with(b"~$")
        || lower.ends_with(".part")
        || lower.ends_with(".partial")
        || lower.ends_with(".crdownload")
        || lower.ends_with(".tmp")
        || is_rsync_temp(b)
}

/// rsync writes `.NAME.XXXXXX` and renames it when complete.
fn is_rsync_temp(b: &[u8]) -> bool {
    if !b.starts_with(b".") {
        return false;
    }
    match b.iter().rposition(|&c| c == b'.') {
        Some(i) if i > 0 => {
            let tail = &b[i + 1..];
            tail.len() == 6 && tail.iter().all(u8::is_ascii_alphanumeric) && b[1..i].contains(&b'.')
        }
        _ => false,
    }
}

/// Sorts one directory entry found under `root`, from its `lstat`.
pub fn classify(root: &Path, path: &Path, meta: &std::fs::Metadata) -> Entry {
    let name = path.file_name().unwrap_or_default();
    if is_junk(name) {
        return Entry::Ignored;
    }
    let ft = meta.file_type();
    let stat = FileStat::of(meta);
    if ft.is_file() {
        let candidate = Candidate {
            root: root.to_owned(),
            path: path.to_owned(),
        };
        return Entry::File(candidate, stat);
    }
    if ft.is_symlink() {
        return match symlink_escapes(root, path) {
            Some(reason) => Entry::Refused {
                path: path.to_owned(),
                stat,
                reason,
            },
            // Inside the root: its target is found and ingested on its own.
            None => Entry::Ignored,
        };
    }
    Entry::Refused {
        path: path.to_owned(),
        stat,
        reason: format!("not a regular file ({}); not read", file_type_name(&ft)),
    }
}

/// Why the link is refused: it leaves `root`, or it leads nowhere (dangling, or a
/// loop of links). `None` for a link that stays inside.
fn symlink_escapes(root: &Path, link: &Path) -> Option<String> {
    let target = std::fs::read_link(link).ok()?;
    let joined = link.parent().unwrap_or(root).join(&target);
    let root = std::fs::canonicalize(root).unwrap_or_else(|_| root.to_owned());
    match std::fs::canonicalize(&joined) {
        Ok(resolved) if resolved.starts_with(&root) => None,
        Ok(resolved) => Some(format!(
            "symbolic link pointing outside the inbox (to {}); not followed",
            resolved.display()
        )),
        // Nothing to read either way, but say where it pointed and why it goes nowhere.
        Err(e) => {
            let why = if e.raw_os_error() == Some(libc::ELOOP) {
                "a loop of links"
            } else {
                "its target is missing"
            };
            Some(format!(
                "symbolic link that leads nowhere (to {}: {why}); not followed",
                target.display()
            ))
        }
    }
}

/// Walks `dir` (inside `root`) depth first, calling `visit` for every entry that
/// is not a folder. Never descends into symlinked folders. Unreadable folders
/// are reported through `on_error` and skipped.
pub fn walk(
    root: &Path,
    dir: &Path,
    visit: &mut dyn FnMut(Entry),
    on_error: &mut dyn FnMut(&Path, std::io::Error),
) {
    let mut stack = vec![dir.to_owned()];
    while let Some(dir) = stack.pop() {
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) => {
                on_error(&dir, e);
                continue;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(entry) => entry,
                Err(e) => {
                    on_error(&dir, e);
                    continue;
                }
            };
            let path = entry.path();
            match std::fs::symlink_metadata(&path) {
                Ok(meta) if meta.is_dir() => stack.push(path),
                Ok(meta) => visit(classify(root, &path, &meta)),
                // Gone between readdir and lstat: nothing to do.
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => on_error(&path, e),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn junk_is_recognised_and_camera_files_are_not() {
        for junk in [
            ".DS_Store",
            "Thumbs.db",
            "desktop.ini",
            "._IMG_0001.JPG",
            "~$laporan.docx",
            "video.mp4.part",
            "x.crdownload",
            ".IMG_0001.JPG.a1B2c3",
        ] {
            assert!(is_junk(OsStr::new(junk)), "{junk}");
        }
        for keep in [
            "IMG_0001.JPG",
            "C0001.MP4",
            "DSC_0001.NEF",
            "IMG_0001.XMP",
            "MOVIE.THM",
            ".hidden",
        ] {
            assert!(!is_junk(OsStr::new(keep)), "{keep}");
        }
    }

    #[test]
    fn the_drop_folder_is_the_first_folder_under_the_root() {
        let c = |p: &str| Candidate {
            root: "/in".into(),
            path: p.into(),
        };
        assert_eq!(
            c("/in/budi/DCIM/100CANON/IMG_0001.JPG")
                .drop_folder()
                .as_deref(),
            Some("budi")
        );
        assert_eq!(c("/in/IMG_0001.JPG").drop_folder(), None);
    }

    #[test]
    fn walking_refuses_links_out_and_fifos_and_ignores_junk() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("inbox");
        std::fs::create_dir_all(root.join("budi/DCIM")).unwrap();
        std::fs::write(root.join("budi/DCIM/a.jpg"), "x").unwrap();
        std::fs::write(root.join("budi/.DS_Store"), "x").unwrap();
        std::os::unix::fs::symlink("/etc/passwd", root.join("budi/p.jpg")).unwrap();
        std::os::unix::fs::symlink("DCIM/a.jpg", root.join("budi/inside.jpg")).unwrap();
        std::os::unix::fs::symlink("/", root.join("budi/fsroot")).unwrap();
        let fifo = std::ffi::CString::new(root.join("budi/x.jpg").as_os_str().as_bytes()).unwrap();
        assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o644) }, 0);
        let (mut files, mut refused, mut ignored) = (vec![], vec![], 0);
        walk(
            &root,
            &root,
            &mut |e| match e {
                Entry::File(c, _) => files.push(c.path),
                Entry::Refused { path, reason, .. } => refused.push((path, reason)),
                Entry::Ignored => ignored += 1,
            },
            &mut |p, e| panic!("{}: {e}", p.display()),
        );
        assert_eq!(files, vec![root.join("budi/DCIM/a.jpg")]);
        assert_eq!(ignored, 2, "junk and the inside link");
        refused.sort();
        assert_eq!(refused.len(), 3, "{refused:?}");
        assert!(refused[0].1.contains("outside the inbox"), "{refused:?}");
        assert!(refused[1].1.contains("outside the inbox"), "{refused:?}");
        assert!(refused[2].1.contains("named pipe"), "{refused:?}");
    }
}
