//! Folders opened one step at a time beneath a trusted root, never through a
//! symbolic link, and the file operations the browser upload does relative to
//! them (`openat`, `mkdirat`, `renameat2`, `unlinkat`, `fstatat`).
//!
//! Why: the inbox is a share that photographers write to. A path string that
//! is checked and then used can be swapped for a link in between; a folder
//! descriptor opened with `O_NOFOLLOW` cannot. Every name handed to these
//! functions is a single path component (no `/`, no `..`): anything else is
//! refused, so nothing resolves outside the folder the descriptor names.
//!
//! Blocking: every call here is a system call on the file system.

use std::ffi::{CString, OsStr};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// An open folder; `path` is only for messages (it may be stale).
#[derive(Debug)]
pub struct Dir {
    fd: OwnedFd,
    path: PathBuf,
}

/// What `fstatat` says about a name in a folder (links not followed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub dev: u64,
    pub ino: u64,
    pub size: u64,
    pub is_file: bool,
    pub is_dir: bool,
    /// Last modification, seconds since 1970.
    pub mtime_s: i64,
}

/// The error for a folder on the way that is a link or not a folder at all.
pub fn is_link_error(e: &io::Error) -> bool {
    matches!(e.raw_os_error(), Some(libc::ELOOP) | Some(libc::ENOTDIR))
}

fn component(name: &OsStr) -> io::Result<CString> {
    let bytes = name.as_bytes();
    if bytes.is_empty() || bytes == b"." || bytes == b".." || bytes.contains(&b'/') {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("{name:?} is not a single file name"),
        ));
    }
    CString::new(bytes)
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "name contains a NUL byte"))
}

/// Retries a system call interrupted by a signal.
fn retry(mut call: impl FnMut() -> libc::c_int) -> io::Result<libc::c_int> {
    loop {
        let rc = call();
        if rc >= 0 {
            return Ok(rc);
        }
        let e = io::Error::last_os_error();
        if e.kind() != io::ErrorKind::Interrupted {
            return Err(e);
        }
    }
}

impl Dir {
    /// Opens a configured root. The root itself is the administrator's choice
    /// and may be a link; only what is beneath it is confined.
    pub fn root(path: &Path) -> io::Result<Dir> {
        use std::os::unix::fs::OpenOptionsExt;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(libc::O_DIRECTORY | libc::O_CLOEXEC)
            .open(path)?;
        Ok(Dir {
            fd: file.into(),
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Opens the folder `name` in this one, refusing a link (`ELOOP`/`ENOTDIR`).
    /// With `create`, makes it first if missing (0777 less the umask, as
    /// `std::fs::create_dir` would) and syncs this folder so
    /// the new entry is durable.
    pub fn sub(&self, name: &str, create: bool) -> io::Result<Dir> {
        let c = component(OsStr::new(name))?;
        if create {
            match retry(|| unsafe { libc::mkdirat(self.fd.as_raw_fd(), c.as_ptr(), 0o777) }) {
                Ok(_) => self.sync()?,
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                Err(e) => return Err(e),
            }
        }
        let fd = retry(|| unsafe {
            libc::openat(
                self.fd.as_raw_fd(),
                c.as_ptr(),
                libc::O_RDONLY | libc::O_DIRECTORY | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            )
        })?;
        Ok(Dir {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
            path: self.path.join(name),
        })
    }

    /// Opens (or creates, per `flags`) the file `name` in this folder, never
    /// through a link: `O_NOFOLLOW` is always added.
    pub fn open(&self, name: &str, flags: libc::c_int) -> io::Result<File> {
        let c = component(OsStr::new(name))?;
        let fd = retry(|| unsafe {
            libc::openat(
                self.fd.as_raw_fd(),
                c.as_ptr(),
                flags | libc::O_NOFOLLOW | libc::O_CLOEXEC,
                0o666 as libc::c_uint,
            )
        })?;
        Ok(unsafe { File::from_raw_fd(fd) })
    }

    /// `fstatat` without following a link; `None` when the name is absent.
    pub fn entry(&self, name: &str) -> io::Result<Option<Entry>> {
        let c = component(OsStr::new(name))?;
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        match retry(|| unsafe {
            libc::fstatat(
                self.fd.as_raw_fd(),
                c.as_ptr(),
                &mut st,
                libc::AT_SYMLINK_NOFOLLOW,
            )
        }) {
            Ok(_) => Ok(Some(Entry {
                dev: st.st_dev,
                ino: st.st_ino,
                size: st.st_size as u64,
                is_file: st.st_mode & libc::S_IFMT == libc::S_IFREG,
                is_dir: st.st_mode & libc::S_IFMT == libc::S_IFDIR,
                mtime_s: st.st_mtime,
            })),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Renames `from` in this folder to `to` in `dest`, never replacing
    /// anything there (`AlreadyExists` instead).
    pub fn rename_noreplace(&self, from: &str, dest: &Dir, to: &str) -> io::Result<()> {
        let (f, t) = (component(OsStr::new(from))?, component(OsStr::new(to))?);
        let renamed = retry(|| unsafe {
            libc::renameat2(
                self.fd.as_raw_fd(),
                f.as_ptr(),
                dest.fd.as_raw_fd(),
                t.as_ptr(),
                libc::RENAME_NOREPLACE,
            )
        });
        match renamed {
            Ok(_) => Ok(()),
            // Filesystems without RENAME_NOREPLACE: link (which never
            // replaces and does not follow a link at `from`), then unlink.
            Err(e) if matches!(e.raw_os_error(), Some(libc::EINVAL) | Some(libc::ENOSYS)) => {
                retry(|| unsafe {
                    libc::linkat(
                        self.fd.as_raw_fd(),
                        f.as_ptr(),
                        dest.fd.as_raw_fd(),
                        t.as_ptr(),
                        0,
                    )
                })?;
                self.remove(from)
            }
            Err(e) => Err(e),
        }
    }

    /// Renames `from` to `to` in this folder, replacing `to` (a record's
    /// atomic update).
    pub fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        let (f, t) = (component(OsStr::new(from))?, component(OsStr::new(to))?);
        retry(|| unsafe {
            libc::renameat(
                self.fd.as_raw_fd(),
                f.as_ptr(),
                self.fd.as_raw_fd(),
                t.as_ptr(),
            )
        })
        .map(drop)
    }

    /// Removes the file (or link: it is not followed) `name`.
    pub fn remove(&self, name: &str) -> io::Result<()> {
        let c = component(OsStr::new(name))?;
        retry(|| unsafe { libc::unlinkat(self.fd.as_raw_fd(), c.as_ptr(), 0) }).map(drop)
    }

    /// Makes new or renamed entries in this folder durable.
    pub fn sync(&self) -> io::Result<()> {
        retry(|| unsafe { libc::fsync(self.fd.as_raw_fd()) }).map(drop)
    }

    /// Bytes available to this process on the folder's filesystem.
    pub fn free_bytes(&self) -> io::Result<u64> {
        free_bytes_of(&self.fd)
    }

    /// The names in this folder (listed through the descriptor, so a folder
    /// swapped for a link after it was opened is not what is listed).
    pub fn names(&self) -> io::Result<Vec<String>> {
        let listed = std::fs::read_dir(format!("/proc/self/fd/{}", self.fd.as_raw_fd()))?;
        let mut names = Vec::new();
        for entry in listed {
            if let Ok(name) = entry?.file_name().into_string() {
                names.push(name);
            }
        }
        Ok(names)
    }
}

/// Bytes available to this process on the filesystem of an open file or folder.
pub fn free_bytes_of(fd: &impl AsRawFd) -> io::Result<u64> {
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    retry(|| unsafe { libc::fstatvfs(fd.as_raw_fd(), &mut stat) })?;
    Ok(stat.f_bavail as u64 * stat.f_frsize as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_on_the_way_are_refused_not_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        let root_path = dir.path().join("inbox");
        std::fs::create_dir(&root_path).unwrap();
        std::os::unix::fs::symlink(&outside, root_path.join("budi")).unwrap();
        let root = Dir::root(&root_path).unwrap();
        for create in [false, true] {
            let e = root.sub("budi", create).unwrap_err();
            assert!(is_link_error(&e), "{e}");
        }
        assert!(root.sub("..", false).is_err());
        assert!(root.sub("a/b", true).is_err());
        let sari = root.sub("sari", true).unwrap();
        std::os::unix::fs::symlink(outside.join("x"), root_path.join("sari/x")).unwrap();
        assert!(sari
            .open("x", libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC)
            .is_err());
        assert!(!outside.join("x").exists());
        let e = sari.entry("x").unwrap().unwrap();
        assert!(!e.is_file && !e.is_dir);
        assert_eq!(sari.names().unwrap(), vec!["x".to_owned()]);
    }
}
