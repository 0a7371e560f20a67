//! Unggah: uploads from a browser (phone or PC) into the uploader's own inbox
//! folder, `<first inbox root>/<username>/unggah-YYYY-MM-DD/`, where the
//! normal pipeline takes them (the username folder is what matching uses).
//!
//! A small tus-like protocol, so that a dropped connection loses nothing
//! already received and ingest never sees a half file:
//!
//! - `POST /api/uploads {name, size, last_modified?}` -> 201 `{id, offset: 0, ...}`:
//!   an empty `<id>.part` and its record `<id>.info.part` (JSON: name, size,
//!   username, created, target folder) in `<root>/.liputan-uploads/<username>/`.
//!   That folder is on the inbox filesystem (so the final rename is atomic) and
//!   the scanner walks into it, but every name in it ends in `.part` (or
//!   `.tmp`), which ingest ignores as a partial download (`scan::is_junk`).
//! - `PATCH /api/uploads/{id}` with `Upload-Offset: N` and a raw body: appended
//!   only when N is the size on disk (else 409 with the real `offset`), streamed
//!   frame by frame (nothing buffered beyond a frame; the global 1 MiB limit
//!   does not apply to a raw `Body`), never past the declared size (413, nothing
//!   extra written), synced, answered with `{offset}`. Whatever arrived before a
//!   connection dropped stays on disk. At `offset == size` the file is renamed
//!   (never replacing anything) into the inbox folder under a free name, the
//!   folder is synced, and the answer is `{offset, done: true, file_name}`.
//! - `GET /api/uploads/{id}` -> `{offset, size, name, done, file_name?}` to
//!   resume after a drop. Someone else's upload is 404, like a missing one.
//!
//! The record stays (with the final name) after completion, so a client whose
//! last answer was lost learns that it is done; records and partial files
//! untouched for 24 h are removed by a sweep that runs lazily (the first upload
//! or page view after start-up, then at most hourly).

use std::collections::HashMap;
use std::ffi::OsStr;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, SystemTime};

use axum::body::{Body, BodyDataStream, Bytes};
use axum::extract::{Path as UrlPath, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use tokio::io::AsyncWriteExt;
use tokio::sync::{watch, OwnedMutexGuard};

use super::access::Routes;
use super::AppState;
use crate::auth::{Need, Target, Viewer};
use crate::beneath::{self, Dir};
use crate::ingest::scan;

/// The hidden folder, under the first inbox root, holding uploads in progress.
pub const STAGING_DIR: &str = ".liputan-uploads";
/// Uploads (and records of finished ones) untouched this long are removed.
const STALE: Duration = Duration::from_secs(24 * 3600);
/// How often the lazy sweep may run.
const SWEEP_EVERY: Duration = Duration::from_secs(3600);
/// A PATCH that receives nothing for this long is ended (what came is kept).
const IDLE: Duration = Duration::from_secs(60);
/// How long a PATCH waits for an earlier one on the same upload to let go.
const TAKEOVER_WAIT: Duration = Duration::from_secs(20);
/// Longest file name kept, in bytes (filesystems allow 255).
const NAME_MAX_BYTES: usize = 150;
/// A refused PATCH body is read (and dropped) up to this much, so that the
/// client sees the answer; past it the connection is closed.
const DRAIN_MAX: u64 = 32 * 1024 * 1024;
const DRAIN_IDLE: Duration = Duration::from_secs(10);
/// The header carrying the offset a PATCH body starts at.
const UPLOAD_OFFSET: &str = "upload-offset";

pub fn routes(r: Routes) -> Routes {
    let need = Need::Crew(Target::Own);
    r.post("/api/uploads", need, create)
        .get("/api/uploads/{id}", need, status)
        .patch("/api/uploads/{id}", need, append)
}

/// A refused or failed request: `{"error": ..., "offset"?: ...}`.
#[derive(Debug)]
pub struct Refusal {
    status: StatusCode,
    message: String,
    offset: Option<u64>,
    retry_after_s: Option<u64>,
}

impl Refusal {
    fn new(status: StatusCode, message: impl Into<String>) -> Refusal {
        Refusal {
            status,
            message: message.into(),
            offset: None,
            retry_after_s: None,
        }
    }

    fn retry_after(mut self, seconds: u64) -> Refusal {
        self.retry_after_s = Some(seconds);
        self
    }

    fn at(mut self, offset: u64) -> Refusal {
        self.offset = Some(offset);
        self
    }

    fn not_found() -> Refusal {
        Refusal::new(StatusCode::NOT_FOUND, "upload not found")
    }

    /// An I/O failure: a full disk says so (507); the rest is logged (500).
    fn io(action: &str, path: &Path, e: io::Error) -> Refusal {
        if e.raw_os_error() == Some(libc::ENOSPC) || e.raw_os_error() == Some(libc::EDQUOT) {
            tracing::warn!("upload: {action} {}: {e}", path.display());
            return Refusal::new(
                StatusCode::INSUFFICIENT_STORAGE,
                "disk full: the inbox has no space left",
            );
        }
        tracing::error!("upload: {action} {}: {e}", path.display());
        Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error; see the server log",
        )
    }

    fn internal(message: String) -> Refusal {
        tracing::error!("upload: {message}");
        Refusal::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal error; see the server log",
        )
    }
}

impl IntoResponse for Refusal {
    fn into_response(self) -> Response {
        let mut body = serde_json::json!({ "error": self.message });
        if let Some(offset) = self.offset {
            body["offset"] = offset.into();
        }
        let mut response = (self.status, Json(body)).into_response();
        if let Some(seconds) = self.retry_after_s {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, seconds.max(1).into());
        }
        response
    }
}

fn bad(message: impl Into<String>) -> Refusal {
    Refusal::new(StatusCode::BAD_REQUEST, message)
}

/// What is kept next to a partial file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Info {
    /// The cleaned name the client gave.
    name: String,
    size: u64,
    username: String,
    created_ms: i64,
    /// The folder under `<root>/<username>/` the file goes to.
    folder: String,
    /// The client's modification time, given to the file when it is complete.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    modified_ms: Option<i64>,
    /// Set just before the rename into the inbox: the name it gets there.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    file_name: Option<String>,
}

/// An upload as the client sees it.
#[derive(Debug, Serialize)]
struct Progress {
    id: String,
    name: String,
    size: u64,
    offset: u64,
    done: bool,
    folder: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    file_name: Option<String>,
}

impl Progress {
    fn of(id: &str, info: &Info, offset: u64) -> Progress {
        Progress {
            id: id.to_owned(),
            name: info.name.clone(),
            size: info.size,
            offset,
            done: false,
            folder: info.folder.clone(),
            file_name: None,
        }
    }

    fn done(id: &str, info: &Info, file_name: String) -> Progress {
        Progress {
            done: true,
            file_name: Some(file_name),
            ..Progress::of(id, info, info.size)
        }
    }
}

/// Where one person's uploads live.
#[derive(Debug, Clone)]
struct Place {
    root: PathBuf,
    staging: PathBuf,
    username: String,
}

impl Place {
    fn of(state: &AppState, viewer: &Viewer) -> Result<Place, Refusal> {
        let root = state
            .config
            .inbox
            .first()
            .cloned()
            .ok_or_else(|| Refusal::internal("no inbox root configured".into()))?;
        Place::new(root, &viewer.username)
    }

    fn new(root: PathBuf, username: &str) -> Result<Place, Refusal> {
        // Usernames are checked when accounts are made; a folder name must be safe.
        if crate::schedule::check_username("username", username).is_err() {
            return Err(Refusal::new(
                StatusCode::FORBIDDEN,
                "this account's username cannot name an inbox folder",
            ));
        }
        Ok(Place {
            staging: root.join(STAGING_DIR).join(username),
            root,
            username: username.to_owned(),
        })
    }

    /// Opens `<root>/.liputan-uploads/<username>/` without following a link
    /// on the way (`None`: it does not exist and `create` is false). The
    /// staging folders must be real folders, not links to elsewhere.
    fn staging_dir(&self, create: bool) -> Result<Option<Dir>, Refusal> {
        let opened = Dir::root(&self.root)
            .and_then(|root| root.sub(STAGING_DIR, create))
            .and_then(|base| base.sub(&self.username, create));
        match opened {
            Ok(dir) => Ok(Some(dir)),
            Err(e) if !create && e.kind() == io::ErrorKind::NotFound => Ok(None),
            Err(e) if beneath::is_link_error(&e) => Err(Refusal::internal(format!(
                "{} is not a folder (a link?); uploads refused",
                self.staging.display()
            ))),
            Err(e) => Err(Refusal::io("opening", &self.staging, e)),
        }
    }

    /// Opens `<root>/<username>/<folder>/` beneath the inbox root, never
    /// through a link: a photographer can replace either folder with a link
    /// through the share, and the finished upload must not land where that
    /// link points (another person's folder, the archive, outside the inbox).
    fn target(&self, info: &Info, create: bool) -> io::Result<Dir> {
        Dir::root(&self.root)?
            .sub(&self.username, create)?
            .sub(&info.folder, create)
    }

    fn part(&self, id: &str) -> PathBuf {
        self.staging.join(part_name(id))
    }

    fn info(&self, id: &str) -> PathBuf {
        self.staging.join(info_name(id))
    }

    fn info_tmp(&self, id: &str) -> PathBuf {
        self.staging.join(info_tmp_name(id))
    }

    fn target_dir(&self, info: &Info) -> PathBuf {
        self.root.join(&self.username).join(&info.folder)
    }
}

fn part_name(id: &str) -> String {
    format!("{id}.part")
}

fn info_name(id: &str) -> String {
    format!("{id}.info.part")
}

fn info_tmp_name(id: &str) -> String {
    format!("{id}.info.tmp")
}

/// Ids are 32 lowercase hex digits; anything else names no upload.
fn valid_id(id: &str) -> bool {
    id.len() == 32
        && id
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

fn new_id() -> Result<String, Refusal> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| Refusal::internal(format!("no randomness: {e}")))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// The file name the server will use for the client's `raw` name: its last
/// path component, only letters, digits, `.`, `_`, `-` and spaces (others
/// become `_`), no leading dot, at most `NAME_MAX_BYTES` with the extension
/// kept. Names that ingest would ignore (partial downloads, OS junk) are refused.
fn clean_name(raw: &str) -> Result<String, Refusal> {
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("").trim();
    if base.is_empty() {
        return Err(bad("name: a file name is needed"));
    }
    let junk = |name: &str| {
        bad(format!(
            "name: {name:?} is a temporary or system file, which the archive ignores"
        ))
    };
    if scan::is_junk(OsStr::new(base)) {
        return Err(junk(base));
    }
    let mapped: String = base
        .chars()
        .filter(|c| !c.is_control())
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '_' | '-' | ' ') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let trimmed = mapped
        .trim_start_matches(['.', ' '])
        .trim_end_matches(['.', ' ']);
    if trimmed.is_empty() || trimmed.chars().all(|c| c == '_') {
        return Err(bad(format!("name: {base:?} has no usable characters")));
    }
    let name = shorten(trimmed, NAME_MAX_BYTES);
    if scan::is_junk(OsStr::new(&name)) {
        return Err(junk(&name));
    }
    Ok(name)
}

/// Cuts the stem so that the whole name fits in `max` bytes, keeping a short extension.
fn shorten(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 && name.len() - i <= 16 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    let mut cut = max.saturating_sub(ext.len());
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{ext}", stem[..cut].trim_end_matches(['.', ' ']))
}

/// `name`, or `stem_2.ext`, `stem_3.ext`, ... : the first not taken in `dir`.
fn free_name(dir: &Dir, name: &str) -> io::Result<String> {
    let (stem, ext) = match name.rfind('.') {
        Some(i) if i > 0 => (&name[..i], &name[i..]),
        _ => (name, ""),
    };
    for n in 1u32..100_000 {
        let candidate = if n == 1 {
            name.to_owned()
        } else {
            format!("{stem}_{n}{ext}")
        };
        if dir.entry(&candidate)?.is_none() {
            return Ok(candidate);
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free file name left",
    ))
}

/// Writes the record atomically (temp file, sync, rename, sync the folder),
/// all relative to the opened staging folder and never through a link.
fn write_info(place: &Place, staging: &Dir, id: &str, info: &Info) -> Result<(), Refusal> {
    let tmp = place.info_tmp(id);
    let text = serde_json::to_vec(info).map_err(|e| Refusal::internal(e.to_string()))?;
    let mut file = staging
        .open(
            &info_tmp_name(id),
            libc::O_WRONLY | libc::O_CREAT | libc::O_TRUNC,
        )
        .map_err(|e| Refusal::io("creating", &tmp, e))?;
    file.write_all(&text)
        .and_then(|()| file.sync_all())
        .map_err(|e| Refusal::io("writing", &tmp, e))?;
    staging
        .rename(&info_tmp_name(id), &info_name(id))
        .map_err(|e| Refusal::io("renaming", &tmp, e))?;
    staging
        .sync()
        .map_err(|e| Refusal::io("syncing", &place.staging, e))
}

/// Reads a record through the opened staging folder (`None`: absent, a
/// link, or unreadable JSON).
fn read_info(place: &Place, staging: &Dir, id: &str) -> Result<Option<Info>, Refusal> {
    use std::io::Read;
    let info_path = place.info(id);
    let mut text = Vec::new();
    let read = staging
        .open(&info_name(id), libc::O_RDONLY | libc::O_NONBLOCK)
        .and_then(|f| f.take(64 * 1024).read_to_end(&mut text));
    match read {
        Ok(_) => {}
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => {
            tracing::warn!("upload: {} is a link; ignored", info_path.display());
            return Ok(None);
        }
        Err(e) => return Err(Refusal::io("reading", &info_path, e)),
    }
    match serde_json::from_slice(&text) {
        Ok(info) => Ok(Some(info)),
        Err(e) => {
            tracing::warn!("upload: unreadable record {}: {e}", info_path.display());
            Ok(None)
        }
    }
}

/// Where an upload stands on disk.
#[derive(Debug, PartialEq, Eq)]
enum Look {
    Missing,
    Open { info: Info, offset: u64 },
    Done { info: Info, file_name: String },
}

/// Reads an upload's record and partial file, finishing a rename that a
/// crash interrupted (link made, partial file not yet unlinked).
fn look(place: &Place, id: &str) -> Result<Look, Refusal> {
    let Some(staging) = place.staging_dir(false)? else {
        return Ok(Look::Missing);
    };
    let info_path = place.info(id);
    let Some(info) = read_info(place, &staging, id)? else {
        return Ok(Look::Missing);
    };
    if info.username != place.username {
        return Ok(Look::Missing);
    }
    // The inbox is a share people write to: a record naming a path outside
    // the person's folder, or a partial file that is a link, is not followed.
    if let Err(why) = trustworthy(&info) {
        tracing::warn!("upload: ignoring record {}: {why}", info_path.display());
        return Ok(Look::Missing);
    }
    let _ = info_path;
    let part = place.part(id);
    let part_meta = staging
        .entry(&part_name(id))
        .map_err(|e| Refusal::io("reading", &part, e))?;
    if part_meta.is_some_and(|m| !m.is_file) {
        tracing::warn!("upload: {} is not a regular file; ignored", part.display());
        return Ok(Look::Missing);
    }
    match (part_meta, info.file_name.clone()) {
        (Some(meta), Some(file_name)) => {
            // A target folder that is now a link holds nothing of ours.
            let placed = place
                .target(&info, false)
                .and_then(|dir| dir.entry(&file_name))
                .ok()
                .flatten();
            match placed {
                Some(m) if m.dev == meta.dev && m.ino == meta.ino => {
                    staging
                        .remove(&part_name(id))
                        .map_err(|e| Refusal::io("removing", &part, e))?;
                    staging
                        .sync()
                        .map_err(|e| Refusal::io("syncing", &place.staging, e))?;
                    Ok(Look::Done { info, file_name })
                }
                _ => Ok(Look::Open {
                    offset: meta.size,
                    info,
                }),
            }
        }
        (Some(meta), None) => Ok(Look::Open {
            offset: meta.size,
            info,
        }),
        (None, Some(file_name)) => Ok(Look::Done { info, file_name }),
        (None, None) => Ok(Look::Missing),
    }
}

/// Whether a record read back from disk names only what the server would write.
fn trustworthy(info: &Info) -> Result<(), String> {
    let date = info.folder.strip_prefix("unggah-").unwrap_or_default();
    if date.len() != 10 || date.parse::<jiff::civil::Date>().is_err() {
        return Err(format!("folder {:?}", info.folder));
    }
    let clean = |name: &str| clean_name(name).is_ok_and(|c| c == name);
    if !clean(&info.name) {
        return Err(format!("name {:?}", info.name));
    }
    match &info.file_name {
        Some(name) if !clean(name) => Err(format!("file_name {name:?}")),
        _ => Ok(()),
    }
}

/// Moves a complete partial file into the person's inbox folder under a free
/// name, never replacing anything; returns that name.
fn finish(place: &Place, id: &str, mut info: Info) -> Result<String, Refusal> {
    let part = place.part(id);
    let staging = place.staging_dir(false)?.ok_or_else(Refusal::not_found)?;
    let file = staging
        .open(&part_name(id), libc::O_WRONLY)
        .map_err(|e| Refusal::io("opening", &part, e))?;
    if let Some(ms) = info.modified_ms {
        let at = SystemTime::UNIX_EPOCH + Duration::from_millis(ms.max(0) as u64);
        if let Err(e) = file.set_modified(at) {
            tracing::warn!("upload: setting the time of {}: {e}", part.display());
        }
    }
    file.sync_all()
        .map_err(|e| Refusal::io("syncing", &part, e))?;
    drop(file);
    let dir_path = place.target_dir(&info);
    let dir = match place.target(&info, true) {
        Ok(dir) => dir,
        Err(e) if beneath::is_link_error(&e) => {
            tracing::warn!(
                user = %place.username,
                "upload: {} (or the folder above it) is a link or not a folder; not followed",
                dir_path.display()
            );
            return Err(Refusal::new(
                StatusCode::CONFLICT,
                format!(
                    "folder: {}/{} di inbox adalah tautan (symlink) atau bukan folder; \
                     unggahan tidak diletakkan lewat tautan. Hapus tautan itu, lalu lanjutkan unggahan",
                    place.username, info.folder
                ),
            )
            .at(info.size));
        }
        Err(e) => return Err(Refusal::io("creating", &dir_path, e)),
    };
    for _ in 0..100 {
        let name =
            free_name(&dir, &info.name).map_err(|e| Refusal::io("naming in", &dir_path, e))?;
        info.file_name = Some(name.clone());
        write_info(place, &staging, id, &info)?;
        let target = dir_path.join(&name);
        match staging.rename_noreplace(&part_name(id), &dir, &name) {
            Ok(()) => {
                dir.sync()
                    .map_err(|e| Refusal::io("syncing", &dir_path, e))?;
                staging
                    .sync()
                    .map_err(|e| Refusal::io("syncing", &place.staging, e))?;
                tracing::info!(
                    user = %place.username,
                    size = info.size,
                    "upload complete: {}",
                    target.display()
                );
                return Ok(name);
            }
            // Taken meanwhile (someone copying into the same folder): next name.
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Refusal::io("moving into the inbox", &part, e)),
        }
    }
    Err(Refusal::internal(format!(
        "no free name for {:?} in {}",
        info.name,
        dir_path.display()
    )))
}

/// Creations run one at a time (see `create`).
static CREATING: Mutex<()> = Mutex::new(());

/// What the open (unfinished) uploads on the inbox filesystem still need.
#[derive(Debug, Default, PartialEq, Eq)]
struct OpenUploads {
    /// Declared size minus bytes received, over everyone's open uploads:
    /// space already promised, which a new upload must not count as free.
    outstanding: u64,
    /// Per username: how many open uploads, and their declared sizes.
    per_user: HashMap<String, (u64, u64)>,
}

/// Walks every person's staging folder (through descriptors, never links)
/// and adds up the open uploads: a record not yet given a final name with
/// its partial file present.
fn open_uploads(root: &Path) -> io::Result<OpenUploads> {
    let mut out = OpenUploads::default();
    let base = match Dir::root(root).and_then(|r| r.sub(STAGING_DIR, false)) {
        Ok(base) => base,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for username in base.names()? {
        let Ok(place) = Place::new(root.to_owned(), &username) else {
            continue;
        };
        let Ok(dir) = base.sub(&username, false) else {
            continue;
        };
        for name in dir.names()? {
            let Some(id) = name.strip_suffix(".info.part") else {
                continue;
            };
            let Ok(Some(info)) = read_info(&place, &dir, id) else {
                continue;
            };
            if info.file_name.is_some() || info.username != username {
                continue;
            }
            let Some(part) = dir.entry(&part_name(id))?.filter(|e| e.is_file) else {
                continue;
            };
            out.outstanding = out
                .outstanding
                .saturating_add(info.size.saturating_sub(part.size));
            let mine = out.per_user.entry(username.clone()).or_default();
            mine.0 += 1;
            mine.1 = mine.1.saturating_add(info.size);
        }
    }
    Ok(out)
}

/// The configured bounds on open uploads.
#[derive(Debug, Clone, Copy)]
struct Limits {
    min_free: u64,
    quota: u64,
    max_open: u64,
}

const MB: u64 = 1024 * 1024;

impl Limits {
    /// Whether `username` may open one more upload of `size` bytes with
    /// `free` bytes free on the inbox filesystem.
    fn admit(
        &self,
        open: &OpenUploads,
        username: &str,
        size: u64,
        free: u64,
    ) -> Result<(), Refusal> {
        let (count, bytes) = open.per_user.get(username).copied().unwrap_or_default();
        if count >= self.max_open {
            return Err(Refusal::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!(
                    "size: terlalu banyak unggahan yang belum selesai ({count}, maksimal {}); \
                     selesaikan dulu yang ada, yang terbengkalai dihapus setelah 24 jam",
                    self.max_open
                ),
            )
            .retry_after(3600));
        }
        if bytes.saturating_add(size) > self.quota {
            return Err(Refusal::new(
                StatusCode::INSUFFICIENT_STORAGE,
                format!(
                    "size: kuota unggahan terlampaui ({} MB sedang diunggah, {} MB lagi diminta, \
                     kuota {} MB); selesaikan dulu unggahan yang ada",
                    bytes.div_ceil(MB),
                    size.div_ceil(MB),
                    self.quota / MB
                ),
            ));
        }
        let needed = size
            .saturating_add(open.outstanding)
            .saturating_add(self.min_free);
        if free < needed {
            return Err(Refusal::new(
                StatusCode::INSUFFICIENT_STORAGE,
                format!(
                    "size: ruang kosong di inbox tidak cukup ({} MB kosong, {} MB sudah dipesan \
                     unggahan lain yang belum selesai, {} MB harus tetap kosong, {} MB diminta)",
                    free / MB,
                    open.outstanding.div_ceil(MB),
                    self.min_free / MB,
                    size.div_ceil(MB)
                ),
            ));
        }
        Ok(())
    }
}

async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, Refusal> + Send + 'static,
) -> Result<T, Refusal> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Refusal::internal(e.to_string()))?
}

/// `POST /api/uploads {name, size, last_modified?}`.
async fn create(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    bytes: Bytes,
) -> Result<Response, Refusal> {
    let input: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| bad(format!("body: not JSON ({e})")))?;
    let raw_name = match input.get("name") {
        Some(serde_json::Value::String(name)) => name.clone(),
        None | Some(serde_json::Value::Null) => return Err(bad("name: a file name is needed")),
        Some(_) => return Err(bad("name: must be a string")),
    };
    let size = input
        .get("size")
        .and_then(serde_json::Value::as_u64)
        .ok_or_else(|| bad("size: a whole number of bytes is needed"))?;
    let modified_ms = match input.get("last_modified") {
        None | Some(serde_json::Value::Null) => None,
        Some(v) => Some(
            v.as_i64()
                .ok_or_else(|| bad("last_modified: milliseconds since 1970 are needed"))?,
        ),
    };
    let name = clean_name(&raw_name)?;
    let max = state.config.upload_max_bytes;
    if size > max {
        return Err(Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!(
                "size: {size} bytes is more than the upload limit of {max} bytes (server.upload_max_mb)"
            ),
        ));
    }
    if size == 0 {
        return Err(bad("size: the file is empty"));
    }
    let now = jiff::Timestamp::now();
    // A time before 1990 or in the future is a clock error, not a capture time.
    let modified_ms =
        modified_ms.filter(|&ms| ms > 631_152_000_000 && ms < now.as_millisecond() + 86_400_000);
    let place = Place::of(&state, &viewer)?;
    sweep_now_and_then(&place.root);
    let info = Info {
        name,
        size,
        username: place.username.clone(),
        created_ms: now.as_millisecond(),
        folder: format!("unggah-{}", crate::dates::date_in(now, state.zone)),
        modified_ms,
        file_name: None,
    };
    let id = new_id()?;
    let limits = Limits {
        min_free: state.config.min_free_bytes,
        quota: state.config.upload_quota_bytes,
        max_open: state.config.upload_max_open,
    };
    let (id, info) = blocking(move || {
        // One creation at a time in this process: the space check and the
        // new record that reserves it must not interleave with another's.
        let _one = CREATING.lock().unwrap_or_else(|e| e.into_inner());
        let staging = place.staging_dir(true)?.ok_or_else(Refusal::not_found)?;
        let open = open_uploads(&place.root)
            .map_err(|e| Refusal::io("reading", &place.root.join(STAGING_DIR), e))?;
        let free = staging
            .free_bytes()
            .map_err(|e| Refusal::io("checking space on", &place.staging, e))?;
        limits.admit(&open, &place.username, size, free)?;
        let part = place.part(&id);
        staging
            .open(
                &part_name(&id),
                libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL,
            )
            .and_then(|f| f.sync_all())
            .map_err(|e| Refusal::io("creating", &part, e))?;
        write_info(&place, &staging, &id, &info)?;
        Ok((id, info))
    })
    .await?;
    Ok((StatusCode::CREATED, Json(Progress::of(&id, &info, 0))).into_response())
}

/// `GET /api/uploads/{id}`.
async fn status(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    UrlPath(id): UrlPath<String>,
) -> Result<Json<Progress>, Refusal> {
    if !valid_id(&id) {
        return Err(Refusal::not_found());
    }
    let place = Place::of(&state, &viewer)?;
    let found = blocking(move || Ok((look(&place, &id)?, id))).await?;
    match found {
        (Look::Missing, _) => Err(Refusal::not_found()),
        (Look::Open { info, offset }, id) => Ok(Json(Progress::of(&id, &info, offset))),
        (Look::Done { info, file_name }, id) => Ok(Json(Progress::done(&id, &info, file_name))),
    }
}

/// How a PATCH body ended.
enum End {
    Complete,
    Dropped(String),
    TooMuch,
    Preempted,
    Idle,
    /// Writing on would leave less than `min_free_mb` free (bytes free then).
    NoRoom(u64),
    WriteFailed(io::Error),
}

/// How much an append may still write before it looks at the free space
/// again: the disk is shared with ingest and anything else writing there,
/// so an upload must not take the last bytes even when its space was
/// reserved at creation.
struct Room {
    fd: Option<Arc<std::os::fd::OwnedFd>>,
    min_free: u64,
    /// Bytes that may be written before the next look.
    budget: u64,
}

/// Free space is looked at again after at most this much was written (and
/// never more than the room that was left at the last look).
const ROOM_STEP: u64 = 8 * MB;

impl Room {
    fn new(file: &std::fs::File, min_free: u64) -> Room {
        Room {
            fd: file.try_clone().ok().map(|f| Arc::new(f.into())),
            min_free,
            budget: 0,
        }
    }

    /// Takes `n` bytes from the budget, looking at the free space when it
    /// runs out; `Err(free)` when writing them would go under `min_free`.
    async fn take(&mut self, n: u64) -> Result<(), u64> {
        if n <= self.budget {
            self.budget -= n;
            return Ok(());
        }
        let Some(fd) = self.fd.clone() else {
            return Ok(());
        };
        let free = tokio::task::spawn_blocking(move || beneath::free_bytes_of(&*fd))
            .await
            .ok()
            .and_then(Result::ok);
        let Some(free) = free else {
            // Unknown: the write itself will report a full disk.
            return Ok(());
        };
        let room = free.saturating_sub(self.min_free);
        if n > room {
            return Err(free);
        }
        self.budget = (room - n).min(ROOM_STEP);
        Ok(())
    }
}

/// `PATCH /api/uploads/{id}` with `Upload-Offset` and the bytes from there.
async fn append(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    UrlPath(id): UrlPath<String>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let mut body = Some(body.into_data_stream());
    let result = append_to(&state, &viewer, id, &headers, &mut body).await;
    // A refused body is read to its end (up to a limit), so that a client
    // still sending gets the answer rather than a reset connection.
    if let Some(rest) = body {
        drain(rest).await;
    }
    match result {
        Ok(progress) => Json(progress).into_response(),
        Err(refusal) => refusal.into_response(),
    }
}

async fn append_to(
    state: &AppState,
    viewer: &Viewer,
    id: String,
    headers: &HeaderMap,
    body: &mut Option<BodyDataStream>,
) -> Result<Progress, Refusal> {
    if !valid_id(&id) {
        return Err(Refusal::not_found());
    }
    let claimed: u64 = headers
        .get(UPLOAD_OFFSET)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok())
        .ok_or_else(|| bad("Upload-Offset: a header with the byte offset is needed"))?;
    let length: Option<u64> = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse().ok());
    let place = Place::of(state, viewer)?;
    let mut turn = take_turn(&id).await.ok_or_else(|| {
        Refusal::new(
            StatusCode::CONFLICT,
            "Upload-Offset: another request is still writing this upload; try again",
        )
    })?;
    let found = {
        let (place, id) = (place.clone(), id.clone());
        blocking(move || look(&place, &id)).await?
    };
    let (info, current) = match found {
        Look::Missing => return Err(Refusal::not_found()),
        Look::Done { info, file_name } => return Ok(Progress::done(&id, &info, file_name)),
        Look::Open { info, offset } => (info, offset),
    };
    if claimed != current {
        return Err(Refusal::new(
            StatusCode::CONFLICT,
            format!("Upload-Offset: the upload is at byte {current}, not {claimed}"),
        )
        .at(current));
    }
    let remaining = info.size.saturating_sub(current);
    if length.is_some_and(|n| n > remaining) {
        return Err(Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("body: more than the {remaining} bytes left of the declared size"),
        )
        .at(current));
    }
    let part = place.part(&id);
    let file = {
        let (place, id, part) = (place.clone(), id.clone(), part.clone());
        blocking(move || {
            place
                .staging_dir(false)?
                .ok_or_else(Refusal::not_found)?
                .open(&part_name(&id), libc::O_WRONLY | libc::O_APPEND)
                .map_err(|e| Refusal::io("opening", &part, e))
        })
        .await?
    };
    let mut room = Room::new(&file, state.config.min_free_bytes);
    let mut file = tokio::fs::File::from_std(file);
    let end = match body.as_mut() {
        Some(stream) => receive(stream, &mut file, remaining, &mut turn, &mut room).await,
        None => End::Complete,
    };
    // Keep whatever arrived, whatever ended the body.
    file.flush()
        .await
        .map_err(|e| Refusal::io("writing", &part, e))?;
    file.sync_data()
        .await
        .map_err(|e| Refusal::io("syncing", &part, e))?;
    drop(file);
    let offset = tokio::fs::metadata(&part)
        .await
        .map_err(|e| Refusal::io("reading", &part, e))?
        .len();
    // Only a body refused for its length has anything left worth reading.
    if !matches!(end, End::TooMuch | End::NoRoom(_)) {
        *body = None;
    }
    match end {
        End::Complete if offset >= info.size => {
            let file_name = {
                let (place, id, info) = (place.clone(), id.clone(), info.clone());
                blocking(move || finish(&place, &id, info)).await?
            };
            drop(turn);
            Ok(Progress::done(&id, &info, file_name))
        }
        End::Complete => Ok(Progress::of(&id, &info, offset)),
        End::Dropped(why) => {
            tracing::info!(user = %place.username, %id, offset, "upload interrupted: {why}");
            Err(bad(format!("body: the connection ended early ({why})")).at(offset))
        }
        End::TooMuch => Err(Refusal::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "body: more bytes than the declared size",
        )
        .at(offset)),
        End::Preempted => Err(Refusal::new(
            StatusCode::CONFLICT,
            "Upload-Offset: a newer request took over this upload",
        )
        .at(offset)),
        End::Idle => Err(Refusal::new(
            StatusCode::REQUEST_TIMEOUT,
            format!("body: nothing received for {} s", IDLE.as_secs()),
        )
        .at(offset)),
        End::NoRoom(free) => {
            tracing::warn!(user = %place.username, %id, offset, free, "upload paused: the inbox disk is nearly full");
            Err(Refusal::new(
                StatusCode::INSUFFICIENT_STORAGE,
                format!(
                    "body: ruang kosong di inbox tinggal {} MB, batas yang harus tetap kosong \
                     {} MB (min_free_mb); unggahan dijeda, lanjutkan setelah ada ruang",
                    free / MB,
                    state.config.min_free_bytes / MB
                ),
            )
            .at(offset))
        }
        End::WriteFailed(e) => Err(Refusal::io("writing", &part, e).at(offset)),
    }
}

/// Streams the body into `file`, frame by frame, never past `remaining`.
async fn receive(
    stream: &mut BodyDataStream,
    file: &mut tokio::fs::File,
    remaining: u64,
    turn: &mut Turn,
    room: &mut Room,
) -> End {
    let mut written = 0u64;
    loop {
        let frame = tokio::select! {
            frame = stream.next() => frame,
            _ = turn.taken_over() => return End::Preempted,
            _ = tokio::time::sleep(IDLE) => return End::Idle,
        };
        match frame {
            None => return End::Complete,
            Some(Err(e)) => return End::Dropped(e.to_string()),
            Some(Ok(data)) => {
                if data.len() as u64 > remaining - written {
                    return End::TooMuch;
                }
                if let Err(free) = room.take(data.len() as u64).await {
                    return End::NoRoom(free);
                }
                if let Err(e) = file.write_all(&data).await {
                    return End::WriteFailed(e);
                }
                written += data.len() as u64;
            }
        }
    }
}

/// Reads and discards what is left of a refused body, up to `DRAIN_MAX`
/// bytes and while it keeps coming.
async fn drain(mut stream: BodyDataStream) {
    let mut seen = 0u64;
    while seen <= DRAIN_MAX {
        match tokio::time::timeout(DRAIN_IDLE, stream.next()).await {
            Ok(Some(Ok(data))) => seen += data.len() as u64,
            _ => return,
        }
    }
}

/// One upload's writer slot: one PATCH writes at a time, and a newer PATCH
/// (a client resuming after a drop the server has not noticed yet) makes the
/// older one stop at its next frame instead of waiting for it to time out.
struct Slot {
    lock: Arc<tokio::sync::Mutex<()>>,
    turn: watch::Sender<u64>,
}

static SLOTS: LazyLock<Mutex<HashMap<String, Arc<Slot>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn slots() -> std::sync::MutexGuard<'static, HashMap<String, Arc<Slot>>> {
    SLOTS.lock().unwrap_or_else(|e| e.into_inner())
}

struct Turn {
    id: String,
    slot: Arc<Slot>,
    rx: watch::Receiver<u64>,
    guard: Option<OwnedMutexGuard<()>>,
}

impl Turn {
    /// Resolves when a newer request asks for this upload.
    async fn taken_over(&mut self) {
        if self.rx.changed().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

impl Drop for Turn {
    fn drop(&mut self) {
        self.guard.take();
        let mut map = slots();
        // Only the map and this turn hold it: nobody else wants this upload.
        if Arc::strong_count(&self.slot) == 2 {
            map.remove(&self.id);
        }
    }
}

/// Asks the current writer of `id` (if any) to stop, and waits for the slot.
async fn take_turn(id: &str) -> Option<Turn> {
    let slot = slots()
        .entry(id.to_owned())
        .or_insert_with(|| {
            Arc::new(Slot {
                lock: Arc::new(tokio::sync::Mutex::new(())),
                turn: watch::channel(0).0,
            })
        })
        .clone();
    slot.turn.send_modify(|n| *n += 1);
    let rx = slot.turn.subscribe();
    let lock = slot.lock.clone();
    let mut turn = Turn {
        id: id.to_owned(),
        slot,
        rx,
        guard: None,
    };
    let guard = tokio::time::timeout(TAKEOVER_WAIT, lock.lock_owned())
        .await
        .ok()?;
    turn.guard = Some(guard);
    Some(turn)
}

fn busy(id: &str) -> bool {
    slots().contains_key(id)
}

/// Unix seconds of the last sweep (0: none since start-up).
static LAST_SWEEP: AtomicI64 = AtomicI64::new(0);

/// Starts a sweep of stale uploads in the background if none ran in the last
/// hour (the first call after start-up always does).
pub fn sweep_now_and_then(root: &Path) {
    let now = jiff::Timestamp::now().as_second();
    let last = LAST_SWEEP.load(Ordering::Relaxed);
    if last != 0 && now - last < SWEEP_EVERY.as_secs() as i64 {
        return;
    }
    if LAST_SWEEP
        .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
        .is_err()
    {
        return;
    }
    let root = root.to_owned();
    tokio::task::spawn_blocking(move || match sweep(&root, SystemTime::now()) {
        Ok(0) => {}
        Ok(n) => tracing::info!("removed {n} stale upload files"),
        Err(e) => tracing::warn!("sweeping stale uploads under {}: {e}", root.display()),
    });
}

/// Removes uploads (partial files and records) untouched for `STALE`;
/// returns how many files went.
fn sweep(root: &Path, now: SystemTime) -> io::Result<usize> {
    // Through descriptors opened without following links: a staging folder
    // swapped for a link must not make the sweep delete elsewhere.
    let base = match Dir::root(root).and_then(|r| r.sub(STAGING_DIR, false)) {
        Ok(base) => base,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    let mut removed = 0;
    for user in base.names()? {
        let Ok(dir) = base.sub(&user, false) else {
            continue;
        };
        // id -> (newest modification, its files)
        let mut groups: HashMap<String, (SystemTime, Vec<String>)> = HashMap::new();
        for name in dir.names()? {
            let id = name.split('.').next().unwrap_or_default().to_owned();
            let modified = match dir.entry(&name) {
                Ok(Some(e)) if e.is_file => {
                    SystemTime::UNIX_EPOCH + Duration::from_secs(e.mtime_s.max(0) as u64)
                }
                _ => continue,
            };
            let group = groups
                .entry(id)
                .or_insert((SystemTime::UNIX_EPOCH, Vec::new()));
            group.0 = group.0.max(modified);
            group.1.push(name);
        }
        let mut any = false;
        for (id, (newest, files)) in groups {
            let stale = now.duration_since(newest).unwrap_or_default() >= STALE;
            if !stale || busy(&id) {
                continue;
            }
            for file in files {
                match dir.remove(&file) {
                    Ok(()) => {
                        removed += 1;
                        any = true;
                    }
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(e),
                }
            }
        }
        if any {
            dir.sync()?;
        }
    }
    Ok(removed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_cleaned_to_a_safe_basename() {
        let ok = |raw: &str| clean_name(raw).unwrap();
        assert_eq!(ok("IMG_0001.JPG"), "IMG_0001.JPG");
        assert_eq!(ok("../../etc/passwd"), "passwd");
        assert_eq!(ok("C:\\Users\\budi\\DSC 0001.NEF"), "DSC 0001.NEF");
        assert_eq!(ok("..hidden.jpg"), "hidden.jpg");
        assert_eq!(ok("foto (1).jpg"), "foto _1_.jpg");
        assert_eq!(ok("a\u{202e}gpj.exe"), "a_gpj.exe");
        assert_eq!(ok("kunjungan gubernur.mp4. "), "kunjungan gubernur.mp4");
        assert_eq!(ok("Tanjung Selor é.jpg"), "Tanjung Selor é.jpg");
        let long = format!("{}.MP4", "x".repeat(400));
        let short = ok(&long);
        assert!(
            short.len() <= NAME_MAX_BYTES && short.ends_with("x.MP4"),
            "{short}"
        );
        let wide = format!("{}.jpg", "é".repeat(200));
        assert!(ok(&wide).len() <= NAME_MAX_BYTES);
        for bad in [
            "",
            "  ",
            "dir/",
            "...",
            "video.mp4.part",
            ".DS_Store",
            "._IMG_0001.JPG",
            "%%%",
        ] {
            let err = clean_name(bad).unwrap_err();
            assert_eq!(err.status, StatusCode::BAD_REQUEST, "{bad}");
            assert!(err.message.starts_with("name:"), "{bad}: {}", err.message);
        }
    }

    #[test]
    fn ids_are_hex() {
        let id = new_id().unwrap();
        assert!(valid_id(&id), "{id}");
        assert!(!valid_id("../../x"));
        assert!(!valid_id(&id.to_uppercase()));
    }

    fn staged(place: &Place) -> Dir {
        place.staging_dir(false).unwrap().unwrap()
    }

    fn place(dir: &Path) -> Place {
        let place = Place::new(dir.join("inbox"), "budi").unwrap();
        std::fs::create_dir_all(&place.staging).unwrap();
        place
    }

    fn info(place: &Place, size: u64) -> Info {
        Info {
            name: "IMG_0001.JPG".into(),
            size,
            username: place.username.clone(),
            created_ms: 0,
            folder: "unggah-2026-11-26".into(),
            modified_ms: Some(1_764_115_200_000),
            file_name: None,
        }
    }

    #[test]
    fn a_finished_upload_lands_under_a_free_name_and_stays_done() {
        let dir = tempfile::tempdir().unwrap();
        let place = place(dir.path());
        let target = place.root.join("budi/unggah-2026-11-26");
        std::fs::create_dir_all(&target).unwrap();
        std::fs::write(target.join("IMG_0001.JPG"), "other").unwrap();
        std::fs::write(place.part("a"), "abc").unwrap();
        let info = info(&place, 3);
        write_info(&place, &staged(&place), "a", &info).unwrap();
        assert_eq!(
            look(&place, "a").unwrap(),
            Look::Open {
                info: info.clone(),
                offset: 3
            }
        );
        let name = finish(&place, "a", info).unwrap();
        assert_eq!(name, "IMG_0001_2.JPG");
        assert_eq!(std::fs::read(target.join(&name)).unwrap(), b"abc");
        assert_eq!(
            std::fs::read(target.join("IMG_0001.JPG")).unwrap(),
            b"other"
        );
        let modified = std::fs::metadata(target.join(&name))
            .unwrap()
            .modified()
            .unwrap();
        assert_eq!(
            modified,
            SystemTime::UNIX_EPOCH + Duration::from_millis(1_764_115_200_000)
        );
        assert!(!place.part("a").exists());
        assert!(
            matches!(look(&place, "a").unwrap(), Look::Done { file_name, .. } if file_name == name)
        );
        // Another person's view of the same id finds nothing.
        let other = Place::new(place.root.clone(), "sari").unwrap();
        assert_eq!(look(&other, "a").unwrap(), Look::Missing);
    }

    #[test]
    fn a_rename_cut_short_by_a_crash_is_completed_not_repeated() {
        let dir = tempfile::tempdir().unwrap();
        let place = place(dir.path());
        let target = place.root.join("budi/unggah-2026-11-26");
        std::fs::create_dir_all(&target).unwrap();
        std::fs::write(place.part("b"), "abc").unwrap();
        let mut info = info(&place, 3);
        info.file_name = Some("IMG_0001.JPG".into());
        write_info(&place, &staged(&place), "b", &info).unwrap();
        // link made, unlink not yet
        std::fs::hard_link(place.part("b"), target.join("IMG_0001.JPG")).unwrap();
        assert!(matches!(look(&place, "b").unwrap(), Look::Done { .. }));
        assert!(!place.part("b").exists());
        assert_eq!(std::fs::read_dir(&target).unwrap().count(), 1);
    }

    #[test]
    fn records_and_partial_files_tampered_with_through_the_share_are_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let place = place(dir.path());
        std::fs::write(place.part("c"), "abc").unwrap();
        for (folder, name) in [
            ("../../../etc", "IMG_0001.JPG"),
            ("unggah-2026-11-26", "../IMG_0001.JPG"),
            ("unggah-x", "IMG_0001.JPG"),
        ] {
            let mut bad = info(&place, 3);
            bad.folder = folder.into();
            bad.name = name.into();
            write_info(&place, &staged(&place), "c", &bad).unwrap();
            assert_eq!(look(&place, "c").unwrap(), Look::Missing, "{folder} {name}");
        }
        write_info(&place, &staged(&place), "c", &info(&place, 3)).unwrap();
        assert!(matches!(
            look(&place, "c").unwrap(),
            Look::Open { offset: 3, .. }
        ));
        std::fs::remove_file(place.part("c")).unwrap();
        std::os::unix::fs::symlink("/etc/passwd", place.part("c")).unwrap();
        assert_eq!(look(&place, "c").unwrap(), Look::Missing);
    }

    #[test]
    fn open_uploads_reserve_what_they_still_need() {
        let dir = tempfile::tempdir().unwrap();
        let place = place(dir.path());
        std::fs::write(place.part("d"), "ab").unwrap();
        write_info(&place, &staged(&place), "d", &info(&place, 10)).unwrap();
        let open = open_uploads(&place.root).unwrap();
        assert_eq!(open.outstanding, 8);
        assert_eq!(open.per_user["budi"], (1, 10));
        let limits = Limits {
            min_free: 100,
            quota: 20,
            max_open: 2,
        };
        assert!(limits.admit(&open, "budi", 10, 118).is_ok());
        let full = limits.admit(&open, "sari", 11, 118).unwrap_err();
        assert_eq!(full.status, StatusCode::INSUFFICIENT_STORAGE);
        let quota = limits.admit(&open, "budi", 11, 1000).unwrap_err();
        assert!(quota.message.contains("kuota"), "{}", quota.message);
        let many = Limits {
            max_open: 1,
            ..limits
        };
        assert_eq!(
            many.admit(&open, "budi", 1, 1000).unwrap_err().status,
            StatusCode::TOO_MANY_REQUESTS
        );
    }

    #[test]
    fn a_day_folder_replaced_by_a_link_is_not_written_through() {
        let dir = tempfile::tempdir().unwrap();
        let place = place(dir.path());
        let outside = dir.path().join("outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::create_dir_all(place.root.join("budi")).unwrap();
        std::os::unix::fs::symlink(&outside, place.root.join("budi/unggah-2026-11-26")).unwrap();
        std::fs::write(place.part("e"), "abc").unwrap();
        let info = info(&place, 3);
        write_info(&place, &staged(&place), "e", &info).unwrap();
        let refused = finish(&place, "e", info).unwrap_err();
        assert_eq!(refused.status, StatusCode::CONFLICT);
        assert!(
            refused.message.starts_with("folder: "),
            "{}",
            refused.message
        );
        assert_eq!(std::fs::read_dir(&outside).unwrap().count(), 0);
        assert!(place.part("e").exists(), "kept for a retry");
    }

    #[test]
    fn every_staging_name_is_ignored_by_ingest() {
        let place = Place::new(PathBuf::from("/in"), "budi").unwrap();
        for path in [place.part("x"), place.info("x"), place.info_tmp("x")] {
            assert!(
                scan::is_junk(path.file_name().unwrap()),
                "{}",
                path.display()
            );
        }
    }

    #[test]
    fn the_sweep_removes_only_stale_uploads() {
        let dir = tempfile::tempdir().unwrap();
        let place = place(dir.path());
        std::fs::write(place.part("old"), "a").unwrap();
        std::fs::write(place.info("old"), "{}").unwrap();
        std::fs::write(place.part("new"), "a").unwrap();
        let later = SystemTime::now() + STALE + Duration::from_secs(60);
        let old = SystemTime::now() - STALE - Duration::from_secs(60);
        for path in [place.part("old"), place.info("old")] {
            std::fs::File::options()
                .write(true)
                .open(&path)
                .unwrap()
                .set_modified(old)
                .unwrap();
        }
        assert_eq!(sweep(&place.root, SystemTime::now()).unwrap(), 2);
        assert!(place.part("new").exists());
        assert_eq!(sweep(&place.root, later).unwrap(), 1);
    }
}
