//! The verified copy: the only code that writes archive files.
//!
//! Protocol, one file at a time (each step is a function here, called in order by
//! `ingest::Ingestor`): open the source without following links and only if it is
//! a regular file; stream it into a staging file on the archive filesystem while
//! hashing; fsync; drop the staging pages from the cache and hash it again from
//! disk; rename it into place without ever replacing an existing file; fsync the
//! folder. A failed fsync is never retried on the same file (after a failure the
//! kernel may have dropped the dirty pages): the caller copies again from the source.
//!
//! Blocking: everything here does file I/O.

use std::fs::File;
use std::io::{self, Read, Seek, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

const BUF: usize = 1 << 20;

/// What identifies a version of a file for settling and change detection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileStat {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub mtime_ns: i64,
    pub ctime_ns: i64,
}

impl FileStat {
    pub fn of(meta: &std::fs::Metadata) -> FileStat {
        FileStat {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime_ns: meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
            ctime_ns: meta.ctime() * 1_000_000_000 + meta.ctime_nsec(),
        }
    }
}

/// Why a source could not be opened for copying.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("not a regular file ({0})")]
    NotRegular(&'static str),
    /// A folder on the way from the inbox root is a symbolic link (or the path is
    /// not under the root at all): opening it could read a file outside the inbox.
    #[error("reached through the symbolic link {}; not followed", .0.display())]
    ThroughLink(PathBuf),
    #[error("{0}")]
    Io(#[from] io::Error),
}

/// Opens `path` for reading: never through a symlink (`O_NOFOLLOW`), never
/// blocking on a FIFO (`O_NONBLOCK`), and only if the opened object is a regular file.
pub fn open_source(path: &Path) -> Result<(File, FileStat), OpenError> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path)
        .map_err(|e| match e.raw_os_error() {
            Some(libc::ELOOP) => OpenError::NotRegular("symbolic link"),
            _ => OpenError::Io(e),
        })?;
    let meta = file.metadata()?;
    let ft = meta.file_type();
    if !ft.is_file() {
        return Err(OpenError::NotRegular(file_type_name(&ft)));
    }
    Ok((file, FileStat::of(&meta)))
}

/// Opens `path`, a file under the inbox root `root`, like [`open_source`], but
/// confined to `root`: every folder below the root is opened with `O_NOFOLLOW`
/// relative to its parent's descriptor, so a folder swapped for a symbolic link
/// (to a folder outside the inbox) after the scan saw it is refused, not followed,
/// and there is no window between a check and the open. The root itself is the
/// configured folder and may be a link. Also works for paths longer than PATH_MAX.
pub fn open_source_beneath(root: &Path, path: &Path) -> Result<(File, FileStat), OpenError> {
    use std::os::fd::{FromRawFd, OwnedFd};
    use std::path::Component;
    let outside = || OpenError::ThroughLink(path.to_owned());
    let rel = path.strip_prefix(root).map_err(|_| outside())?;
    let parts: Vec<&std::ffi::OsStr> = rel
        .components()
        .map(|c| match c {
            Component::Normal(part) => Ok(part),
            _ => Err(outside()),
        })
        .collect::<Result<_, _>>()?;
    let Some((name, folders)) = parts.split_last() else {
        return Err(OpenError::NotRegular("folder"));
    };
    let mut dir: OwnedFd = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
        .open(root)?
        .into();
    let mut walked = root.to_owned();
    for folder in folders {
        walked.push(folder);
        let fd = openat(&dir, folder, libc::O_DIRECTORY | libc::O_NOFOLLOW)
            .map_err(|e| link_or_io(&dir, folder, &walked, e))?;
        dir = unsafe { OwnedFd::from_raw_fd(fd) };
    }
    let fd = openat(&dir, name, libc::O_NOFOLLOW | libc::O_NONBLOCK).map_err(|e| {
        match e.raw_os_error() {
            Some(libc::ELOOP) => OpenError::NotRegular("symbolic link"),
            _ => OpenError::Io(e),
        }
    })?;
    let file = unsafe { File::from_raw_fd(fd) };
    let meta = file.metadata()?;
    let ft = meta.file_type();
    if !ft.is_file() {
        return Err(OpenError::NotRegular(file_type_name(&ft)));
    }
    Ok((file, FileStat::of(&meta)))
}

fn openat(dir: &std::os::fd::OwnedFd, name: &std::ffi::OsStr, flags: i32) -> io::Result<i32> {
    use std::os::fd::AsRawFd;
    let c = std::ffi::CString::new(name.as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "name contains a NUL byte"))?;
    loop {
        let fd = unsafe {
            libc::openat(
                dir.as_raw_fd(),
                c.as_ptr(),
                flags | libc::O_RDONLY | libc::O_CLOEXEC,
            )
        };
        if fd >= 0 {
            return Ok(fd);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

/// A folder that could not be opened without following links: a link, or a plain error.
fn link_or_io(
    dir: &std::os::fd::OwnedFd,
    name: &std::ffi::OsStr,
    walked: &Path,
    e: io::Error,
) -> OpenError {
    use std::os::fd::AsRawFd;
    if !matches!(e.raw_os_error(), Some(libc::ELOOP) | Some(libc::ENOTDIR)) {
        return OpenError::Io(e);
    }
    let Ok(c) = std::ffi::CString::new(name.as_bytes()) else {
        return OpenError::Io(e);
    };
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    let rc = unsafe {
        libc::fstatat(
            dir.as_raw_fd(),
            c.as_ptr(),
            &mut st,
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    if rc == 0 && st.st_mode & libc::S_IFMT == libc::S_IFLNK {
        OpenError::ThroughLink(walked.to_owned())
    } else {
        OpenError::Io(e)
    }
}

pub fn file_type_name(ft: &std::fs::FileType) -> &'static str {
    use std::os::unix::fs::FileTypeExt;
    if ft.is_dir() {
        "folder"
    } else if ft.is_symlink() {
        "symbolic link"
    } else if ft.is_fifo() {
        "named pipe"
    } else if ft.is_socket() {
        "socket"
    } else if ft.is_block_device() || ft.is_char_device() {
        "device"
    } else {
        "regular file"
    }
}

/// Streams `file` from its start through blake3.
pub fn hash_file(file: &mut File) -> io::Result<blake3::Hash> {
    file.rewind()?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; BUF];
    loop {
        let n = read_retrying(file, &mut buf)?;
        if n == 0 {
            return Ok(hasher.finalize());
        }
        hasher.update(&buf[..n]);
    }
}

fn read_retrying(file: &mut File, buf: &mut [u8]) -> io::Result<usize> {
    loop {
        match file.read(buf) {
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            other => return other,
        }
    }
}

/// A verified-on-disk copy waiting in the staging folder.
#[derive(Debug)]
pub struct Staged {
    pub path: PathBuf,
    pub hash: blake3::Hash,
    pub size: u64,
}

/// Why staging failed. `NoSpace` pauses ingest; the rest retry or report.
#[derive(Debug, thiserror::Error)]
pub enum StageError {
    #[error("the archive disk is full")]
    NoSpace,
    #[error("fsync of the staged copy failed ({0}); it will be copied again")]
    Fsync(io::Error),
    #[error("the copy read back from disk does not match what was written")]
    ReadBackMismatch,
    #[error("{action}: {source}")]
    Io {
        action: &'static str,
        source: io::Error,
    },
}

fn stage_io(action: &'static str) -> impl FnOnce(io::Error) -> StageError {
    move |source| {
        if source.raw_os_error() == Some(libc::ENOSPC)
            || source.raw_os_error() == Some(libc::EDQUOT)
        {
            StageError::NoSpace
        } else {
            StageError::Io { action, source }
        }
    }
}

static STAGE_SEQ: AtomicU64 = AtomicU64::new(0);

/// Copies `src` (from its start) into a new file in `staging_dir` while hashing,
/// fsyncs it, then re-reads it from disk and checks the hash. On any error the
/// staging file is removed.
pub fn stage_copy(src: &mut File, staging_dir: &Path) -> Result<Staged, StageError> {
    let name = format!(
        "{}-{}-{}.part",
        std::process::id(),
        STAGE_SEQ.fetch_add(1, Ordering::Relaxed),
        jiff::Timestamp::now().as_nanosecond()
    );
    let path = staging_dir.join(name);
    let result = copy_verify(src, &path);
    if result.is_err() {
        let _ = std::fs::remove_file(&path);
    }
    result.map(|(hash, size)| Staged { path, hash, size })
}

fn copy_verify(src: &mut File, path: &Path) -> Result<(blake3::Hash, u64), StageError> {
    src.rewind().map_err(stage_io("reading the source"))?;
    let mut dst = std::fs::OpenOptions::new()
        .write(true)
        .read(true)
        .create_new(true)
        .mode(0o640)
        .open(path)
        .map_err(stage_io("creating the staging file"))?;
    let mut hasher = blake3::Hasher::new();
    let mut buf = vec![0u8; BUF];
    let mut size = 0u64;
    loop {
        let n = read_retrying(src, &mut buf).map_err(stage_io("reading the source"))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        dst.write_all(&buf[..n])
            .map_err(stage_io("writing the staging file"))?;
        size += n as u64;
    }
    dst.sync_all().map_err(|e| match stage_io("fsync")(e) {
        StageError::Io { source, .. } => StageError::Fsync(source),
        other => other,
    })?;
    let hash = hasher.finalize();
    drop_cache(&dst);
    let reread = hash_file(&mut dst).map_err(stage_io("reading the staged copy back"))?;
    if reread != hash {
        return Err(StageError::ReadBackMismatch);
    }
    Ok((hash, size))
}

/// Asks the kernel to forget the (now clean) cached pages, so the read-back
/// comes from the disk rather than from memory.
fn drop_cache(file: &File) {
    use std::os::fd::AsRawFd;
    // Advisory only: if it fails, the read-back still checks the page cache copy.
    unsafe {
        libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED);
    }
}

/// Renames `from` to `to`, failing with `AlreadyExists` rather than replacing
/// anything at `to`.
pub fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    let from_c = cstring(from)?;
    let to_c = cstring(to)?;
    let rc = unsafe {
        libc::renameat2(
            libc::AT_FDCWD,
            from_c.as_ptr(),
            libc::AT_FDCWD,
            to_c.as_ptr(),
            libc::RENAME_NOREPLACE,
        )
    };
    if rc == 0 {
        return Ok(());
    }
    let err = io::Error::last_os_error();
    match err.raw_os_error() {
        // Filesystems without RENAME_NOREPLACE: link (which never replaces) then unlink.
        Some(libc::EINVAL) | Some(libc::ENOSYS) => {
            std::fs::hard_link(from, to)?;
            std::fs::remove_file(from)
        }
        _ => Err(err),
    }
}

fn cstring(path: &Path) -> io::Result<std::ffi::CString> {
    std::ffi::CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "path contains a NUL byte"))
}

/// Makes a rename or a new entry in `dir` durable.
pub fn fsync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// Creates `dir` (and parents) and makes each new entry durable.
pub fn create_dir_durable(dir: &Path) -> io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if let Some(parent) = dir.parent() {
        create_dir_durable(parent)?;
    }
    match std::fs::create_dir(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(()),
        Err(e) => return Err(e),
    }
    if let Some(parent) = dir.parent() {
        fsync_dir(parent)?;
    }
    Ok(())
}

/// Takes an exclusive lock on `path` (created if needed), released when the
/// file is closed, including when the process dies.
pub fn lock_exclusive(path: &Path) -> crate::Result<File> {
    use std::os::fd::AsRawFd;
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)
        .map_err(|source| crate::Error::Io {
            action: "opening the lock file",
            path: path.to_owned(),
            source,
        })?;
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
        return Err(crate::Error::Invalid(format!(
            "another liputan process is ingesting into this archive (lock {} is held); stop it first",
            path.display()
        )));
    }
    Ok(file)
}

/// Free bytes available to this process on the filesystem holding `path`.
pub fn free_bytes(path: &Path) -> io::Result<u64> {
    let c = cstring(path)?;
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    if unsafe { libc::statvfs(c.as_ptr(), &mut stat) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(stat.f_bavail as u64 * stat.f_frsize as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_staged_copy_is_identical_and_verified() {
        let dir = tempfile::tempdir().unwrap();
        let src_path = dir.path().join("src.bin");
        let data: Vec<u8> = (0..3_000_000u32).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&src_path, &data).unwrap();
        let (mut src, stat) = open_source(&src_path).unwrap();
        assert_eq!(stat.size, data.len() as u64);
        let staged = stage_copy(&mut src, dir.path()).unwrap();
        assert_eq!(staged.hash, blake3::hash(&data));
        assert_eq!(std::fs::read(&staged.path).unwrap(), data);
    }

    #[test]
    fn symlinks_and_fifos_are_not_opened() {
        let dir = tempfile::tempdir().unwrap();
        let link = dir.path().join("link.jpg");
        std::os::unix::fs::symlink("/etc/hostname", &link).unwrap();
        assert!(matches!(
            open_source(&link),
            Err(OpenError::NotRegular("symbolic link"))
        ));
        let fifo = dir.path().join("x.jpg");
        let c = cstring(&fifo).unwrap();
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
        assert!(matches!(
            open_source(&fifo),
            Err(OpenError::NotRegular("named pipe"))
        ));
    }

    #[test]
    fn a_folder_link_below_the_root_is_refused_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let (root, outside) = (dir.path().join("inbox"), dir.path().join("outside"));
        std::fs::create_dir_all(root.join("budi/card")).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(root.join("budi/card/a.jpg"), "inside").unwrap();
        std::fs::write(outside.join("a.jpg"), "secret").unwrap();
        let (mut f, _) = open_source_beneath(&root, &root.join("budi/card/a.jpg")).unwrap();
        let mut text = String::new();
        f.read_to_string(&mut text).unwrap();
        assert_eq!(text, "inside");
        std::fs::rename(root.join("budi/card"), root.join("budi/old")).unwrap();
        std::os::unix::fs::symlink(&outside, root.join("budi/card")).unwrap();
        match open_source_beneath(&root, &root.join("budi/card/a.jpg")) {
            Err(OpenError::ThroughLink(link)) => assert_eq!(link, root.join("budi/card")),
            other => panic!("{other:?}"),
        }
        std::os::unix::fs::symlink(outside.join("a.jpg"), root.join("budi/l.jpg")).unwrap();
        assert!(matches!(
            open_source_beneath(&root, &root.join("budi/l.jpg")),
            Err(OpenError::NotRegular("symbolic link"))
        ));
        assert!(matches!(
            open_source_beneath(&root, &outside.join("a.jpg")),
            Err(OpenError::ThroughLink(_))
        ));
    }

    #[test]
    fn rename_never_replaces() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, "new").unwrap();
        std::fs::write(&b, "old").unwrap();
        let err = rename_noreplace(&a, &b).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert_eq!(std::fs::read_to_string(&b).unwrap(), "old");
    }

    #[test]
    fn a_full_disk_is_reported_as_no_space() {
        // /dev/full fails every write with ENOSPC.
        let err = stage_io("writing")(io::Error::from_raw_os_error(libc::ENOSPC));
        assert!(matches!(err, StageError::NoSpace));
        let mut full = std::fs::OpenOptions::new()
            .write(true)
            .open("/dev/full")
            .unwrap();
        let e = full
            .write_all(&[0u8; 4096])
            .and_then(|_| full.flush())
            .unwrap_err();
        assert!(matches!(stage_io("writing")(e), StageError::NoSpace));
    }
}
