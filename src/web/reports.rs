//! Reports over HTTP (SOP steps 7 and 8): the crew submits the news text and
//! its picked files, KADIS or KABID approve or return it, the publisher takes
//! the package and records where it was published; plus the end-of-day
//! completeness list. The rules are `crate::reports`', the SQL
//! `catalog::reports`'; the panel's `/laporan` pages read through [`load`].
//!
//! | route | need |
//! |---|---|
//! | `GET /api/assignments/{id}/report` | Login |
//! | `POST /api/assignments/{id}/report {title, body, asset_ids, captions?}` | Crew(Assignment) |
//! | `POST /api/assignments/{id}/approve {note?, version?}` | Approve |
//! | `POST /api/assignments/{id}/return {note, version?}` | Approve |
//! | `POST /api/assignments/{id}/publish {url}` | Publish |
//! | `GET /api/assignments/{id}/package.zip` | Publish |
//! | `GET /api/completeness?date=YYYY-MM-DD` | Login |

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Read;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{json, Value};
use tokio::sync::watch;

use super::access::Routes;
use super::error::{blocking, json_body, ApiError};
use super::AppState;
use crate::auth::{Need, Target, Viewer};
use crate::catalog::AssetRecord;
use crate::dates::{date_in, date_time, long_date};
use crate::error::Error;
use crate::reports::{
    self, Action, DayCoverage, PackageFacts, PackageFile, PublishSettings, ReportAction,
    ReportItem, ReportVersion,
};
use crate::schedule::{Assignment, Event};

pub fn routes(r: Routes) -> Routes {
    r.get("/api/assignments/{id}/report", Need::Login, get_report)
        .post(
            "/api/assignments/{id}/report",
            Need::Crew(Target::Assignment),
            submit,
        )
        .post("/api/assignments/{id}/approve", Need::Approve, approve)
        .post("/api/assignments/{id}/return", Need::Approve, return_report)
        .post("/api/assignments/{id}/publish", Need::Publish, publish)
        .get("/api/assignments/{id}/package.zip", Need::Publish, package)
        .get("/api/completeness", Need::Login, completeness)
}

/// Kinds a report may carry: photos get web copies, clips go as they are.
pub const REPORT_KINDS: [&str; 2] = ["photo", "video"];

/// Everything about one assignment's report.
pub struct ReportData {
    pub assignment: Assignment,
    pub event: Option<Event>,
    pub versions: Vec<ReportVersion>,
    pub actions: Vec<ReportAction>,
    /// The assignment's photos and clips (what a report may carry).
    pub assets: Vec<AssetRecord>,
    /// username -> name.
    pub names: HashMap<String, String>,
}

/// What an editor starts from: the latest version, or the event's facts and
/// the picked files.
pub struct Draft {
    pub title: String,
    pub body: String,
    pub items: Vec<ReportItem>,
    /// Whether this is a prefill (no version yet).
    pub prefilled: bool,
}

/// One line of a report's history.
#[derive(Debug, Clone, serde::Serialize)]
pub struct HistoryEntry {
    /// `submitted`, `approved`, `returned` or `published`.
    pub kind: &'static str,
    pub version: i64,
    pub by: String,
    pub at_ms: i64,
    pub note: Option<String>,
    pub url: Option<String>,
}

/// Reads an assignment's report data; `None` when there is no such assignment.
pub fn load(state: &AppState, id: i64) -> Result<Option<ReportData>, Error> {
    let catalog = &state.catalog;
    let Some(assignment) = catalog.assignment(id)? else {
        return Ok(None);
    };
    let event = catalog.event(assignment.event_id)?;
    let assets = catalog
        .assets_of_assignment(id)?
        .into_iter()
        .filter(|a| REPORT_KINDS.contains(&a.kind.as_str()))
        .collect();
    Ok(Some(ReportData {
        event,
        versions: catalog.report_versions(id)?,
        actions: catalog.report_actions(id)?,
        assets,
        names: catalog
            .people()?
            .into_iter()
            .map(|p| (p.username, p.name))
            .collect(),
        assignment,
    }))
}

impl ReportData {
    pub fn latest(&self) -> Option<&ReportVersion> {
        self.versions.last()
    }

    pub fn name<'a>(&'a self, username: &'a str) -> &'a str {
        self.names.get(username).map_or(username, String::as_str)
    }

    /// The caption a file gets when nobody wrote one.
    pub fn fallback_caption(&self, zone: jiff::tz::Offset, settings: &PublishSettings) -> String {
        match &self.event {
            Some(e) => reports::prefill_caption(e, zone, &settings.region),
            None => String::new(),
        }
    }

    pub fn draft(&self, zone: jiff::tz::Offset, settings: &PublishSettings) -> Draft {
        if let Some(v) = self.latest() {
            return Draft {
                title: v.title.clone(),
                body: v.body.clone(),
                items: v.items.clone(),
                prefilled: false,
            };
        }
        let fallback = self.fallback_caption(zone, settings);
        let picked: Vec<String> = self
            .assets
            .iter()
            .filter(|a| a.picked)
            .map(|a| a.id.clone())
            .collect();
        let own: BTreeMap<String, Option<String>> = self
            .assets
            .iter()
            .map(|a| (a.id.clone(), a.caption.clone()))
            .collect();
        let (title, body) = match &self.event {
            Some(e) => (
                reports::prefill_title(e, &settings.region),
                reports::prefill_body(e, zone, &settings.region),
            ),
            None => (String::new(), String::new()),
        };
        Draft {
            title,
            body,
            items: reports::resolve_captions(&picked, &BTreeMap::new(), &own, &fallback),
            prefilled: true,
        }
    }

    /// Submissions and actions, oldest first.
    pub fn history(&self) -> Vec<HistoryEntry> {
        let mut out: Vec<HistoryEntry> = self
            .versions
            .iter()
            .map(|v| HistoryEntry {
                kind: "submitted",
                version: v.version,
                by: v.submitted_by.clone(),
                at_ms: v.submitted_at_ms,
                note: None,
                url: None,
            })
            .chain(self.actions.iter().map(|a| HistoryEntry {
                kind: match a.action {
                    Action::Approved => "approved",
                    Action::Returned => "returned",
                    Action::Published => "published",
                },
                version: a.version,
                by: a.by.clone(),
                at_ms: a.at_ms,
                note: a.note.clone(),
                url: a.url.clone(),
            }))
            .collect();
        // Stable: a submission and an action in the same millisecond keep
        // submission first.
        out.sort_by_key(|h| h.at_ms);
        out
    }

    /// The open return (note for the reporter), if the report was returned
    /// and not resubmitted since.
    pub fn open_return(&self) -> Option<&ReportAction> {
        reports::open_return(&self.versions, &self.actions)
    }

    pub fn to_json(&self, zone: jiff::tz::Offset, settings: &PublishSettings) -> Value {
        let draft = self.draft(zone, settings);
        let files: HashMap<&str, &AssetRecord> =
            self.assets.iter().map(|a| (a.id.as_str(), a)).collect();
        let items: Vec<Value> = draft
            .items
            .iter()
            .map(|i| {
                let a = files.get(i.asset_id.as_str());
                json!({
                    "asset_id": i.asset_id,
                    "caption": i.caption,
                    "file_name": a.map(|a| a.file_name.clone()),
                    "kind": a.map(|a| a.kind.clone()),
                })
            })
            .collect();
        json!({
            "assignment_id": self.assignment.id,
            "status": self.assignment.status,
            "event": self.event.as_ref().map(|e| json!({
                "id": e.id, "title": e.title, "leader": e.leader, "location": e.location,
                "starts_at": e.starts_at.to_string(),
            })),
            "report": self.latest(),
            "draft": {
                "title": draft.title,
                "body": draft.body,
                "items": items,
                "prefilled": draft.prefilled,
            },
            "versions": self.versions,
            "history": self.history(),
            "returned": self.open_return(),
            "published_urls": self.actions.iter()
                .filter(|a| a.action == Action::Published)
                .filter_map(|a| a.url.clone())
                .collect::<Vec<_>>(),
            "package_url": format!("/api/assignments/{}/package.zip", self.assignment.id),
        })
    }
}

fn not_found(id: i64) -> ApiError {
    ApiError::NotFound(format!("id: no assignment {id}"))
}

fn reply(state: &AppState, id: i64) -> Result<Json<Value>, ApiError> {
    let data = load(state, id)?.ok_or_else(|| not_found(id))?;
    Ok(Json(data.to_json(state.zone, &state.config.publish)))
}

/// `GET /api/assignments/{id}/report`: the latest version (or null), the
/// editor's draft (prefilled when there is none), every version and the history.
async fn get_report(
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    blocking(move || reply(&state, id)).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReportBody {
    title: String,
    body: String,
    #[serde(default)]
    asset_ids: Vec<String>,
    /// Captions for some of the files; the rest keep the asset's caption or
    /// get the event's.
    #[serde(default)]
    captions: BTreeMap<String, String>,
}

/// `POST /api/assignments/{id}/report {title, body, asset_ids, captions?}`:
/// a new version; the assignment becomes `reported`.
async fn submit(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<i64>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let input: ReportBody = json_body(&bytes)?;
    let bad = ApiError::BadRequest;
    let title = reports::check_text("title", &input.title, reports::MAX_TITLE_CHARS, false, true)
        .map_err(bad)?;
    let body = reports::check_text("body", &input.body, reports::MAX_BODY_CHARS, true, true)
        .map_err(bad)?;
    if input.asset_ids.len() > reports::MAX_ITEMS {
        return Err(bad(format!(
            "asset_ids: at most {} files",
            reports::MAX_ITEMS
        )));
    }
    let mut captions = BTreeMap::new();
    for (asset, caption) in &input.captions {
        if !input.asset_ids.contains(asset) {
            return Err(bad(format!("captions.{asset}: not among asset_ids")));
        }
        let checked = super::captions::check_caption(caption)
            .map_err(|e| bad(format!("captions.{asset}.{e}")))?;
        captions.insert(asset.clone(), checked);
    }
    blocking(move || {
        let data = load(&state, id)?.ok_or_else(|| not_found(id))?;
        let files: HashMap<&str, &AssetRecord> =
            data.assets.iter().map(|a| (a.id.as_str(), a)).collect();
        let mut seen = HashSet::new();
        for (n, asset) in input.asset_ids.iter().enumerate() {
            if !seen.insert(asset.as_str()) {
                return Err(bad(format!("asset_ids[{n}]: {asset} is listed twice")));
            }
            if !files.contains_key(asset.as_str()) {
                return Err(bad(format!(
                    "asset_ids[{n}]: {asset} is not a photo or video of this assignment"
                )));
            }
        }
        let own: BTreeMap<String, Option<String>> = data
            .assets
            .iter()
            .map(|a| (a.id.clone(), a.caption.clone()))
            .collect();
        let fallback = data.fallback_caption(state.zone, &state.config.publish);
        let items = reports::resolve_captions(&input.asset_ids, &captions, &own, &fallback);
        state
            .catalog
            .submit_report(id, &title, &body, &items, &viewer.username)?;
        reply(&state, id)
    })
    .await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DecisionBody {
    #[serde(default)]
    note: Option<String>,
    /// The version the leader read; refused when a newer one came in.
    #[serde(default)]
    version: Option<i64>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PublishBody {
    url: String,
}

async fn act(
    state: AppState,
    viewer: Viewer,
    id: i64,
    action: Action,
    note: Option<String>,
    url: Option<String>,
    version: Option<i64>,
) -> Result<Json<Value>, ApiError> {
    blocking(move || {
        state.catalog.act_on_report(
            id,
            action,
            note.as_deref(),
            url.as_deref(),
            &viewer.username,
            version,
        )?;
        reply(&state, id)
    })
    .await
}

fn note_of(note: Option<&str>, required: bool) -> Result<Option<String>, ApiError> {
    let note = reports::check_text(
        "note",
        note.unwrap_or(""),
        reports::MAX_NOTE_CHARS,
        true,
        required,
    )
    .map_err(ApiError::BadRequest)?;
    Ok((!note.is_empty()).then_some(note))
}

/// `POST /api/assignments/{id}/approve {note?, version?}`: `reported` -> `approved`.
async fn approve(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<i64>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let input: DecisionBody = json_body(&bytes)?;
    let note = note_of(input.note.as_deref(), false)?;
    act(
        state,
        viewer,
        id,
        Action::Approved,
        note,
        None,
        input.version,
    )
    .await
}

/// `POST /api/assignments/{id}/return {note, version?}`: back to the
/// reporter (`covered`, or the status before the report when there are no
/// files), with the note shown to them.
async fn return_report(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<i64>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let input: DecisionBody = json_body(&bytes)?;
    let note = note_of(input.note.as_deref(), true)?;
    act(
        state,
        viewer,
        id,
        Action::Returned,
        note,
        None,
        input.version,
    )
    .await
}

/// `POST /api/assignments/{id}/publish {url}`: records where the approved
/// report was published (http or https); `published`. Several URLs may be
/// recorded (the province's site, then the agency's).
async fn publish(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(id): Path<i64>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let input: PublishBody = json_body(&bytes)?;
    let url = reports::check_url(&input.url).map_err(ApiError::BadRequest)?;
    act(state, viewer, id, Action::Published, None, Some(url), None).await
}

/// Numbers the package files of this process.
static PACKAGE_SEQ: AtomicU64 = AtomicU64::new(0);

/// `GET /api/assignments/{id}/package.zip`: the approved (or published)
/// report as a ZIP: `berita.html`, `berita.txt`, `foto/` web copies with XMP,
/// `video/` clips as they are, and `CATATAN.txt` naming anything left out.
///
/// Builds are bounded (a build decodes each full-size photo: a 45 Mpx photo
/// is some 180 MB while it is resized, and six parallel downloads of one
/// report reached 868 MB): one build at a time in the process, requests for
/// a report whose build is under way wait for that build and are all served
/// from its file, and when `PACKAGE_QUEUE` other reports already wait the
/// answer is 503 with `Retry-After`.
async fn package(State(state): State<AppState>, Path(id): Path<i64>) -> Result<Response, ApiError> {
    let built = shared_build(state, id).await?;
    let (len, name) = (built.len, built.name.clone());
    let mut response = read_shared(built).into_response();
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/zip"),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(len));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{name}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(response)
}

/// One package build at a time in the whole process (see `package`).
static BUILDING: tokio::sync::Semaphore = tokio::sync::Semaphore::const_new(1);
/// Reports whose build may wait for its turn; more get 503.
const PACKAGE_QUEUE: usize = 4;
/// How long a refused client is asked to wait.
const PACKAGE_RETRY_S: u64 = 10;

/// A finished package, shared by every request that waited for it. Each
/// reader reads at its own offset (`read_at`), so one open file serves all.
struct Built {
    file: std::fs::File,
    len: u64,
    name: String,
}

/// A failed build as every waiting request reports it.
#[derive(Clone)]
enum Failed {
    NotFound(String),
    Conflict(String),
    Internal(String),
}

impl From<Failed> for ApiError {
    fn from(f: Failed) -> ApiError {
        match f {
            Failed::NotFound(m) => ApiError::NotFound(m),
            Failed::Conflict(m) => ApiError::Conflict(m),
            Failed::Internal(m) => ApiError::Internal(m),
        }
    }
}

type Outcome = Option<Result<Arc<Built>, Failed>>;

/// Report id -> the build under way, whose result its waiters receive.
static IN_FLIGHT: LazyLock<Mutex<HashMap<i64, watch::Receiver<Outcome>>>> =
    LazyLock::new(|| Mutex::new(HashMap::new()));

fn in_flight() -> std::sync::MutexGuard<'static, HashMap<i64, watch::Receiver<Outcome>>> {
    IN_FLIGHT.lock().unwrap_or_else(|e| e.into_inner())
}

/// Joins the build of report `id` under way, or starts one (in a task of
/// its own, so a client that hangs up does not cancel it for the others).
async fn shared_build(state: AppState, id: i64) -> Result<Arc<Built>, ApiError> {
    let mut rx = {
        let mut map = in_flight();
        match map.get(&id) {
            Some(rx) => rx.clone(),
            None => {
                if map.len() > PACKAGE_QUEUE {
                    return Err(ApiError::Busy(
                        format!(
                            "paket: server sedang menyiapkan paket laporan lain; coba lagi dalam {PACKAGE_RETRY_S} detik"
                        ),
                        PACKAGE_RETRY_S,
                    ));
                }
                let (tx, rx) = watch::channel(None);
                map.insert(id, rx.clone());
                tokio::spawn(async move {
                    let outcome = match BUILDING.acquire().await {
                        Ok(_turn) => {
                            let built =
                                tokio::task::spawn_blocking(move || build_package(&state, id))
                                    .await;
                            match built {
                                Ok(Ok((file, name))) => {
                                    let len = file.metadata().map(|m| m.len()).unwrap_or(0);
                                    Ok(Arc::new(Built { file, len, name }))
                                }
                                Ok(Err(ApiError::NotFound(m))) => Err(Failed::NotFound(m)),
                                Ok(Err(ApiError::Conflict(m))) => Err(Failed::Conflict(m)),
                                Ok(Err(other)) => Err(Failed::Internal(format!("{other:?}"))),
                                Err(e) => Err(Failed::Internal(e.to_string())),
                            }
                        }
                        Err(e) => Err(Failed::Internal(e.to_string())),
                    };
                    // Later requests start a fresh build (the report may change).
                    in_flight().remove(&id);
                    let _ = tx.send(Some(outcome));
                });
                rx
            }
        }
    };
    let outcome = rx
        .wait_for(Option::is_some)
        .await
        .map_err(|_| ApiError::Internal("the package build ended without a result".into()))?
        .clone();
    match outcome {
        Some(Ok(built)) => Ok(built),
        Some(Err(failed)) => Err(failed.into()),
        None => Err(ApiError::Internal("no package".into())),
    }
}

/// The shared file as a body, read in blocks at this reader's own offset.
fn read_shared(built: Arc<Built>) -> Body {
    use std::os::unix::fs::FileExt;
    const BLOCK: u64 = 256 * 1024;
    let stream = futures_util::stream::unfold(0u64, move |pos| {
        let built = built.clone();
        async move {
            if pos >= built.len {
                return None;
            }
            let n = BLOCK.min(built.len - pos);
            let read = tokio::task::spawn_blocking(move || {
                let mut buf = vec![0u8; n as usize];
                built.file.read_exact_at(&mut buf, pos).map(|()| buf)
            })
            .await
            .unwrap_or_else(|e| Err(std::io::Error::other(e)));
            match read {
                Ok(buf) => Some((Ok(Bytes::from(buf)), pos + n)),
                // The error ends the body; the next poll sees the end.
                Err(e) => Some((Err(e), u64::MAX)),
            }
        }
    });
    Body::from_stream(stream)
}

/// Writes the package to a temporary file under the data folder, unlinked
/// once open (a crash leaves at most one `.part` file, swept next time), and
/// returns it rewound with its download name.
fn build_package(state: &AppState, id: i64) -> Result<(std::fs::File, String), ApiError> {
    use std::io::{Seek, SeekFrom};
    let data = load(state, id)?.ok_or_else(|| not_found(id))?;
    let status = data.assignment.status;
    let Some(version) = data.latest().cloned() else {
        return Err(ApiError::Conflict("report: none submitted".into()));
    };
    if !matches!(
        status,
        crate::schedule::AssignmentStatus::Approved | crate::schedule::AssignmentStatus::Published
    ) {
        return Err(ApiError::Conflict(format!(
            "status: only an approved report has a publication package (it is {})",
            crate::schedule::name_of(&status)
        )));
    }
    let zone = state.zone;
    let settings = &state.config.publish;
    let dir = state.config.data.join("tmp");
    std::fs::create_dir_all(&dir)
        .map_err(|e| ApiError::Internal(format!("{}: {e}", dir.display())))?;
    sweep(&dir);
    let path: PathBuf = dir.join(format!(
        "paket-{id}-{}-{}.zip.part",
        std::process::id(),
        PACKAGE_SEQ.fetch_add(1, Ordering::Relaxed)
    ));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| ApiError::Internal(format!("{}: {e}", path.display())))?;
    // Unlinked at once: the open handle keeps the bytes until the download ends.
    let _ = std::fs::remove_file(&path);
    let now = zone.to_datetime(jiff::Timestamp::now());
    let mut zip = reports::ZipWriter::new(std::io::BufWriter::new(file), now);
    let io = |e: std::io::Error| ApiError::Internal(format!("writing the package: {e}"));

    let files: HashMap<&str, &AssetRecord> =
        data.assets.iter().map(|a| (a.id.as_str(), a)).collect();
    let limits = crate::media::thumbs::Limits::default();
    let mut listed: Vec<PackageFile> = Vec::new();
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    let mut clips: Vec<(String, PathBuf, u64)> = Vec::new();
    let mut notes: Vec<String> = Vec::new();
    for (n, item) in version.items.iter().enumerate() {
        let Some(asset) = files.get(item.asset_id.as_str()) else {
            notes.push(format!(
                "{}: berkas tidak lagi ada di penugasan ini",
                item.asset_id
            ));
            continue;
        };
        let byline = asset
            .photographer
            .as_deref()
            .map(|u| data.name(u).to_owned());
        let stem = std::path::Path::new(&asset.file_name)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| asset.id[..8.min(asset.id.len())].to_owned());
        let source = state.config.archive.join(&asset.archive_path);
        if asset.kind == "photo" {
            let xmp = reports::xmp_packet(
                &item.caption,
                byline.as_deref(),
                &settings.credit,
                &settings.copyright,
            );
            match reports::web_copy(
                &source,
                asset.orientation,
                settings.web_long_edge,
                &limits,
                &xmp,
            ) {
                Ok(bytes) => {
                    let name = format!("foto/{:02}_{}.jpg", n + 1, reports::safe_name(&stem));
                    listed.push(PackageFile {
                        name: name.clone(),
                        caption: item.caption.clone(),
                        byline,
                        kind: "photo".into(),
                    });
                    entries.push((name, bytes));
                }
                Err(e) => notes.push(format!("{}: {e}", asset.file_name)),
            }
        } else {
            let name = format!(
                "video/{:02}_{}",
                n + 1,
                reports::safe_name(&asset.file_name)
            );
            listed.push(PackageFile {
                name: name.clone(),
                caption: item.caption.clone(),
                byline,
                kind: "video".into(),
            });
            clips.push((name, source, asset.size));
        }
    }
    let event = data.event.as_ref();
    let day = event.map(|e| long_date(date_in(e.starts_at, zone)));
    let approval = data
        .actions
        .iter()
        .rfind(|a| a.action == Action::Approved && a.version == version.version)
        .map(|a| {
            format!(
                "Disetujui oleh {} pada {}",
                data.name(&a.by),
                jiff::Timestamp::from_millisecond(a.at_ms)
                    .map(|t| date_time(t, zone))
                    .unwrap_or_default()
            )
        });
    let facts = PackageFacts {
        title: version.title.clone(),
        body: version.body.clone(),
        dateline: [event.map(|e| e.location.clone()), day]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(", "),
        version: version.version,
        approved: approval,
        credit: settings.credit.clone(),
        copyright: settings.copyright.clone(),
    };
    // Clips that would take the ZIP past what it can address without ZIP64
    // are left out and named; they stay downloadable from the archive.
    let mut planned: u64 = entries
        .iter()
        .map(|(n, b)| (b.len() + n.len() + 128) as u64)
        .sum::<u64>()
        + (1 << 20);
    let mut kept_clips = Vec::new();
    for (name, source, size) in clips {
        planned += size + name.len() as u64 + 128;
        if planned > reports::ZIP_LIMIT {
            listed.retain(|f| f.name != name);
            notes.push(format!(
                "{name}: tidak dimasukkan karena paket akan melebihi 4 GiB; unduh dari arsip"
            ));
            planned -= size + name.len() as u64 + 128;
        } else {
            kept_clips.push((name, source, size));
        }
    }
    let mut html = reports::package_html(&facts, &listed);
    let mut text = reports::package_text(&facts, &listed);
    if let Some(approved) = &facts.approved {
        text.push_str(&format!("{approved} (versi {})\n", facts.version));
        html = html.replace(
            "</body>",
            &format!(
                "<p><small>{} (versi {})</small></p>\n</body>",
                reports::escape_xml(approved),
                facts.version
            ),
        );
    }
    zip.add_bytes("berita.html", html.as_bytes()).map_err(io)?;
    zip.add_bytes("berita.txt", text.as_bytes()).map_err(io)?;
    for (name, bytes) in &entries {
        zip.add_bytes(name, bytes).map_err(io)?;
    }
    for (name, source, size) in kept_clips {
        let opened = std::fs::File::open(&source);
        match opened {
            Ok(f) => {
                let mut reader = std::io::BufReader::new(f).take(size + 1);
                zip.add_reader(&name, &mut reader, size).map_err(io)?;
            }
            Err(e) => notes.push(format!("{name}: {e}")),
        }
    }
    if !notes.is_empty() {
        let mut catatan = String::from("Berkas yang tidak masuk paket:\n");
        for n in &notes {
            catatan.push_str(&format!("- {n}\n"));
        }
        zip.add_bytes("CATATAN.txt", catatan.as_bytes())
            .map_err(io)?;
    }
    let writer = zip.finish().map_err(io)?;
    let mut file = writer
        .into_inner()
        .map_err(|e| ApiError::Internal(format!("writing the package: {}", e.error())))?;
    file.seek(SeekFrom::Start(0)).map_err(io)?;
    let name = format!("laporan-{id}-v{}.zip", version.version);
    Ok((file, name))
}

/// Removes package files a crash left (older than a day).
fn sweep(dir: &std::path::Path) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let old = entry
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age.as_secs() > 86_400);
        if old && name.to_string_lossy().starts_with("paket-") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

#[derive(Deserialize)]
pub struct DayQuery {
    pub date: Option<String>,
}

/// A day's coverage and what is missing from it.
pub struct DayReport {
    pub date: jiff::civil::Date,
    pub deadline: jiff::Timestamp,
    /// Whether the configured hour has passed.
    pub due: bool,
    /// The day's assignments (events starting that day), earliest first.
    pub day: Vec<DayCoverage>,
    pub gaps: Vec<reports::Gap>,
}

/// The end-of-day check for `date`, as the API and the Laporan page show it.
pub fn day_report(state: &AppState, date: jiff::civil::Date) -> Result<DayReport, Error> {
    let zone = state.zone;
    let hour = state.config.publish.complete_by_hour;
    let bad = |e: jiff::Error| Error::Invalid(format!("date: {e}"));
    let from = zone.to_timestamp(date.at(0, 0, 0, 0)).map_err(bad)?;
    let to = zone
        .to_timestamp(date.tomorrow().unwrap_or(date).at(0, 0, 0, 0))
        .map_err(bad)?;
    let mut day = Vec::new();
    let mut seen = HashSet::new();
    for (assignment, event) in state
        .catalog
        .slots_between(from.as_millisecond(), to.as_millisecond())?
    {
        // An event that started the day before belongs to that day.
        if date_in(event.starts_at, zone) != date || !seen.insert(assignment.id) {
            continue;
        }
        day.push(DayCoverage {
            counts: state.catalog.counts_by_kind(assignment.id)?,
            reported: false,
            assignment,
            event,
        });
    }
    let ids: Vec<i64> = day.iter().map(|d| d.assignment.id).collect();
    let reported: HashSet<i64> = state
        .catalog
        .reported_assignments(&ids)?
        .into_iter()
        .collect();
    for d in &mut day {
        d.reported = reported.contains(&d.assignment.id);
    }
    let deadline = reports::deadline(date, hour, zone);
    Ok(DayReport {
        date,
        deadline,
        due: jiff::Timestamp::now() >= deadline,
        gaps: reports::completeness(&day),
        day,
    })
}

/// Parses `YYYY-MM-DD`, naming `field`; `None` is today in the zone.
pub fn parse_date(
    field: &str,
    text: Option<&str>,
    zone: jiff::tz::Offset,
) -> Result<jiff::civil::Date, ApiError> {
    match text.map(str::trim).filter(|t| !t.is_empty()) {
        None => Ok(date_in(jiff::Timestamp::now(), zone)),
        Some(t) => t.parse::<jiff::civil::Date>().map_err(|_| {
            ApiError::BadRequest(format!("{field}: {t:?} is not a date like 2026-11-26"))
        }),
    }
}

/// `GET /api/completeness?date=YYYY-MM-DD`: the day's assignments whose crew
/// expected photos (fotografer), video (kameraman) or text (reporter) that
/// are not in; `due` says whether the configured hour has passed.
async fn completeness(
    State(state): State<AppState>,
    Query(q): Query<DayQuery>,
) -> Result<Json<Value>, ApiError> {
    let date = parse_date("date", q.date.as_deref(), state.zone)?;
    blocking(move || {
        let r = day_report(&state, date)?;
        Ok(Json(json!({
            "date": r.date.to_string(),
            "deadline": r.deadline.display_with_offset(state.zone).to_string(),
            "due": r.due,
            "assignments": r.day.len(),
            "items": r.gaps,
        })))
    })
    .await
}
