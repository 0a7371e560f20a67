//! The catalog: one SQLite file (WAL, `synchronous=FULL`) that is the truth about
//! every asset, every place it was seen and every rejection. Holds all SQL; the
//! archive files, the index and thumbnails are derived from or checked against it.
//!
//! Blocking: every method does disk I/O. Call it from worker threads or
//! `spawn_blocking`, never directly on the async runtime.

use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{Error, IoContext, Result};
use crate::media::{Kind, Metadata};

mod accounts;
mod assets;
mod care;
mod collages;
mod letters;
mod reports;
mod schedule;
mod tokens;
pub use accounts::{AuditEntry, SessionLimits};
pub use assets::{AssetRecord, Derivation, Refile};
pub use care::{BagItem, ReplicaRecord, ReplicaTodo, VerifyRun};
pub use collages::{CollageRecord, NewCollage};
pub use letters::{IssueLetter, LetterRecord};
pub use tokens::{TokenRecord, TokenState};

/// Migrations in order; `PRAGMA user_version` is the count applied.
const MIGRATIONS: &[&str] = &[
    include_str!("migrations/0001_init.sql"),
    include_str!("migrations/0002_derived.sql"),
    include_str!("migrations/0003_schedule.sql"),
    include_str!("migrations/0004_accounts.sql"),
    include_str!("migrations/0005_captions.sql"),
    include_str!("migrations/0006_letters.sql"),
    include_str!("migrations/0007_reports.sql"),
    include_str!("migrations/0008_collages.sql"),
    include_str!("migrations/0009_care.sql"),
    include_str!("migrations/0010_login_guard.sql"),
    include_str!("migrations/0011_tokens.sql"),
    include_str!("migrations/0012_live.sql"),
];

/// The catalog handle. Cheap to share behind an `Arc`.
pub struct Catalog {
    // A sync mutex on purpose: SQLite serialises writers anyway, every caller is
    // already on a blocking thread, and holding it across an await is impossible.
    conn: Mutex<Connection>,
}

/// A place a file was seen at, with the identity used to skip it next time.
#[derive(Debug, Clone)]
pub struct SourceSeen {
    pub path: PathBuf,
    pub size: u64,
    pub mtime_ns: i64,
}

/// A new asset about to be placed in the archive.
#[derive(Debug, Clone)]
pub struct NewAsset {
    pub id: String,
    pub size: u64,
    pub kind: Kind,
    pub file_name: String,
    /// Relative to the archive root.
    pub archive_path: PathBuf,
    pub metadata: Metadata,
    /// The first folder under the inbox root: who dropped it, if it names a user.
    pub drop_folder: Option<String>,
    /// What matching decided.
    pub tag: Tag,
}

/// An asset's tag: its assignment (or why it waits in triage), and who decided.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Tag {
    pub assignment_id: Option<i64>,
    pub match_reason: Option<String>,
    pub confidence: Option<f64>,
    pub photographer: Option<String>,
    pub triage_reason: Option<String>,
    /// Matching's suggestions, as JSON.
    pub suggestions: Option<String>,
    /// A username when a person tagged it; `None` when matching did.
    pub tagged_by: Option<String>,
}

/// The answer to "may I place this asset at this path?".
#[derive(Debug, PartialEq, Eq)]
pub enum Claim {
    /// The row is written with status `placing`; go ahead and rename.
    Claimed,
    /// The same content is already in the catalog (another worker was faster).
    AlreadyArchived,
    /// Another asset already owns that archive path.
    PathTaken,
}

/// What the catalog already knows of a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Known {
    /// Seen before as this asset.
    Source(String),
    /// Rejected for good, with the reason.
    Rejected(String),
}

/// An asset caught between claim and commit by a crash.
#[derive(Debug, Clone)]
pub struct Placing {
    pub id: String,
    pub archive_path: PathBuf,
    pub staging_path: Option<PathBuf>,
}

/// A catalogued asset as the archive knows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArchivedAsset {
    pub id: String,
    pub size: u64,
    pub kind: String,
    pub archive_path: PathBuf,
    pub damaged: Option<String>,
}

/// Counts for summaries and health.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Counts {
    pub assets: u64,
    pub sources: u64,
    pub rejections: u64,
    pub damaged: u64,
}

fn bytes(path: &Path) -> &[u8] {
    path.as_os_str().as_bytes()
}

fn path_of(bytes: Vec<u8>) -> PathBuf {
    PathBuf::from(std::ffi::OsString::from_vec(bytes))
}

fn now_ms() -> i64 {
    jiff::Timestamp::now().as_millisecond()
}

impl Catalog {
    /// Opens (creating if needed) the catalog and applies pending migrations.
    pub fn open(path: &Path) -> Result<Catalog> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).at("creating the data folder", dir)?;
        }
        let mut conn = Connection::open(path)?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        // FULL: a commit that said "archived" must survive a power cut.
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        migrate(&mut conn)?;
        Ok(Catalog {
            conn: Mutex::new(conn),
        })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        // A poisoned lock only means another thread panicked mid-call; SQLite's
        // own transaction rollback keeps the data consistent, so carry on.
        self.conn.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// What is already known of this exact (path, size, mtime): archived or
    /// counted as a duplicate, or permanently rejected. Known sources are not
    /// hashed again.
    pub fn known(&self, seen: &SourceSeen) -> Result<Option<Known>> {
        let conn = self.conn();
        let args = params![bytes(&seen.path), seen.size as i64, seen.mtime_ns];
        let mut in_sources = conn.prepare_cached(
            "SELECT asset_id FROM sources WHERE path = ?1 AND size = ?2 AND mtime_ns = ?3 LIMIT 1",
        )?;
        if let Some(id) = in_sources.query_row(args, |row| row.get(0)).optional()? {
            return Ok(Some(Known::Source(id)));
        }
        let mut rejected = conn.prepare_cached(
            "SELECT reason FROM rejections WHERE path = ?1 AND size = ?2 AND mtime_ns = ?3 AND permanent = 1",
        )?;
        Ok(rejected
            .query_row(args, |row| row.get(0))
            .optional()?
            .map(Known::Rejected))
    }

    /// True when some asset has exactly this size: only then can a new file be a
    /// duplicate, so only then is it worth hashing before copying.
    pub fn has_size(&self, size: u64) -> Result<bool> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached("SELECT 1 FROM assets WHERE size = ?1 LIMIT 1")?;
        Ok(stmt.exists([size as i64])?)
    }

    /// The archived asset with this content, if any (rows still `placing` are not archived).
    pub fn archived(&self, id: &str) -> Result<Option<ArchivedAsset>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, size, kind, archive_path, damaged FROM assets WHERE id = ?1 AND status = 'archived'",
        )?;
        Ok(stmt.query_row([id], row_to_archived).optional()?)
    }

    /// Writes the asset row in state `placing`, before its file is renamed into
    /// the archive, so that a crash after the rename is recovered, not orphaned.
    pub fn claim(&self, asset: &NewAsset, staging: &Path) -> Result<Claim> {
        let conn = self.conn();
        let taken: Option<String> = conn
            .query_row(
                "SELECT id FROM assets WHERE id = ?1 OR archive_path = ?2 LIMIT 1",
                params![asset.id, bytes(&asset.archive_path)],
                |row| row.get(0),
            )
            .optional()?;
        match taken {
            Some(id) if id == asset.id => return Ok(Claim::AlreadyArchived),
            Some(_) => return Ok(Claim::PathTaken),
            None => {}
        }
        let m = &asset.metadata;
        let captured = m.captured_at.as_ref();
        conn.execute(
            "INSERT INTO assets (id, size, kind, file_name, archive_path, staging_path, status, damaged,
                captured_at_ms, captured_offset, time_source, make, model, serial, lens, lat, lon, alt,
                orientation, width, height, duration_ms, metadata, drop_folder, ingested_at_ms,
                serial_key, assignment_id, match_reason, match_confidence, photographer, triage_reason,
                triage_suggestions, tagged_by, description)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'placing', ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17,
                ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32, ?33)",
            params![
                asset.id,
                asset.size as i64,
                asset.kind.as_str(),
                asset.file_name,
                bytes(&asset.archive_path),
                bytes(staging),
                m.damaged,
                captured.map(|c| c.utc.as_millisecond()),
                captured.map(|c| c.offset_seconds),
                captured.map(|c| enum_name(&c.source)),
                m.make,
                m.model,
                m.serial,
                m.lens,
                m.gps.map(|g| g.lat),
                m.gps.map(|g| g.lon),
                m.gps.and_then(|g| g.alt),
                m.orientation,
                m.width,
                m.height,
                m.duration_ms.map(|d| d as i64),
                serde_json::to_string(m).unwrap_or_else(|_| "{}".into()),
                asset.drop_folder,
                now_ms(),
                m.serial.as_deref().map(crate::schedule::serial_key),
                asset.tag.assignment_id,
                asset.tag.match_reason,
                asset.tag.confidence,
                asset.tag.photographer,
                asset.tag.triage_reason,
                asset.tag.suggestions,
                asset.tag.tagged_by,
                m.description,
            ],
        )?;
        Ok(Claim::Claimed)
    }

    /// Marks a claimed asset archived and records where it came from, in one commit.
    pub fn commit_placed(&self, id: &str, source: Option<&SourceSeen>) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "UPDATE assets SET status = 'archived', staging_path = NULL WHERE id = ?1",
            [id],
        )?;
        if let Some(source) = source {
            upsert_source(&tx, id, source)?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Forgets a claim whose file never reached the archive.
    pub fn abandon_claim(&self, id: &str) -> Result<()> {
        self.conn().execute(
            "DELETE FROM assets WHERE id = ?1 AND status = 'placing'",
            [id],
        )?;
        Ok(())
    }

    /// Claims a crash left open.
    pub fn placing(&self) -> Result<Vec<Placing>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, archive_path, staging_path FROM assets WHERE status = 'placing'",
        )?;
        let rows = stmt.query_map([], |row| {
            Ok(Placing {
                id: row.get(0)?,
                archive_path: path_of(row.get(1)?),
                staging_path: row.get::<_, Option<Vec<u8>>>(2)?.map(path_of),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Records another place an archived asset was seen at (a duplicate drop).
    pub fn record_source(&self, id: &str, source: &SourceSeen) -> Result<()> {
        let conn = self.conn();
        upsert_source(&conn, id, source)
    }

    /// Notes that a source was removed after its copy was verified and committed.
    pub fn mark_source_deleted(&self, id: &str, path: &Path) -> Result<()> {
        self.conn().execute(
            "UPDATE sources SET deleted = 1 WHERE asset_id = ?1 AND path = ?2",
            params![id, bytes(path)],
        )?;
        Ok(())
    }

    /// Records (or refreshes) a rejection. `permanent`: do not retry the same
    /// (path, size, mtime); otherwise the next scan tries again.
    pub fn record_rejection(&self, seen: &SourceSeen, reason: &str, permanent: bool) -> Result<()> {
        let now = now_ms();
        self.conn().execute(
            "INSERT INTO rejections (path, size, mtime_ns, reason, permanent, first_seen_ms, last_seen_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6)
             ON CONFLICT (path, size, mtime_ns) DO UPDATE SET
                reason = excluded.reason, permanent = excluded.permanent, last_seen_ms = excluded.last_seen_ms",
            params![bytes(&seen.path), seen.size as i64, seen.mtime_ns, reason, permanent, now],
        )?;
        Ok(())
    }

    /// Rejections with their reasons, newest first.
    pub fn rejections(&self) -> Result<Vec<(PathBuf, String)>> {
        let conn = self.conn();
        let mut stmt = conn
            .prepare("SELECT path, reason FROM rejections ORDER BY last_seen_ms DESC, id DESC")?;
        let rows = stmt.query_map([], |row| Ok((path_of(row.get(0)?), row.get(1)?)))?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    pub fn counts(&self) -> Result<Counts> {
        let conn = self.conn();
        let count = |sql: &str| -> Result<u64> {
            Ok(conn.query_row(sql, [], |row| row.get::<_, i64>(0))? as u64)
        };
        Ok(Counts {
            assets: count("SELECT count(*) FROM assets WHERE status = 'archived'")?,
            sources: count("SELECT count(*) FROM sources")?,
            rejections: count("SELECT count(*) FROM rejections")?,
            damaged: count(
                "SELECT count(*) FROM assets WHERE status = 'archived' AND damaged IS NOT NULL",
            )?,
        })
    }

    /// SQLite's own consistency checks (`PRAGMA integrity_check` and
    /// `foreign_key_check`): the problems they name, empty when the file is
    /// sound. Runs on a separate read-only connection so a live daemon's
    /// writers are not held up meanwhile (WAL lets both proceed). A check
    /// that cannot even run (the file is too damaged) is itself a problem.
    /// Blocking; about a second per 100,000 assets.
    pub fn integrity_problems(&self) -> Result<Vec<String>> {
        let path = self.conn().path().map(PathBuf::from);
        let Some(path) = path.filter(|p| !p.as_os_str().is_empty()) else {
            return Ok(integrity_of(&self.conn()));
        };
        let conn = Connection::open_with_flags(
            &path,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        Ok(integrity_of(&conn))
    }

    /// A cheap liveness probe for health checks.
    pub fn ping(&self) -> Result<()> {
        self.conn().query_row("SELECT 1", [], |_| Ok(()))?;
        Ok(())
    }
}

fn integrity_of(conn: &Connection) -> Vec<String> {
    let rows = |sql: &str, row: fn(&rusqlite::Row) -> rusqlite::Result<String>| {
        let mut stmt = conn.prepare(sql)?;
        let found = stmt
            .query_map([], row)?
            .collect::<rusqlite::Result<Vec<_>>>();
        found
    };
    let mut problems = Vec::new();
    match rows("PRAGMA integrity_check", |r| r.get(0)) {
        Ok(lines) => problems.extend(lines.into_iter().filter(|l| l != "ok")),
        Err(e) => problems.push(format!("integrity_check could not run: {e}")),
    }
    let foreign = |r: &rusqlite::Row| {
        Ok(format!(
            "{} row {} points at a missing {} row",
            r.get::<_, String>(0)?,
            r.get::<_, Option<i64>>(1)?.unwrap_or_default(),
            r.get::<_, String>(2)?
        ))
    };
    match rows("PRAGMA foreign_key_check", foreign) {
        Ok(lines) => problems.extend(lines),
        Err(e) => problems.push(format!("foreign_key_check could not run: {e}")),
    }
    problems
}

fn upsert_source(conn: &Connection, id: &str, source: &SourceSeen) -> Result<()> {
    let now = now_ms();
    conn.prepare_cached(
        "INSERT INTO sources (path, asset_id, size, mtime_ns, first_seen_ms, last_seen_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?5)
         ON CONFLICT (path, asset_id) DO UPDATE SET
            size = excluded.size, mtime_ns = excluded.mtime_ns, last_seen_ms = excluded.last_seen_ms, deleted = 0",
    )?
    .execute(params![bytes(&source.path), id, source.size as i64, source.mtime_ns, now])?;
    Ok(())
}

fn row_to_archived(row: &rusqlite::Row<'_>) -> rusqlite::Result<ArchivedAsset> {
    Ok(ArchivedAsset {
        id: row.get(0)?,
        size: row.get::<_, i64>(1)? as u64,
        kind: row.get(2)?,
        archive_path: path_of(row.get(3)?),
        damaged: row.get(4)?,
    })
}

/// The serde name of a unit enum variant (e.g. `exif_zoneless`).
fn enum_name<T: serde::Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let known = MIGRATIONS.len() as i64;
    let found: i64 = conn.query_row("PRAGMA user_version", [], |row| row.get(0))?;
    if found > known {
        return Err(Error::SchemaTooNew { found, known });
    }
    for (step, sql) in MIGRATIONS.iter().enumerate().skip(found as usize) {
        // IMMEDIATE, and the version read again inside: another process
        // (`liputan user add` next to a starting daemon) may have migrated
        // between our first read and this write lock.
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let now: i64 = tx.query_row("PRAGMA user_version", [], |row| row.get(0))?;
        if now > step as i64 {
            continue;
        }
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", step as i64 + 1)?;
        tx.commit()?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(id: &str, path: &str) -> NewAsset {
        NewAsset {
            id: id.into(),
            size: 10,
            kind: Kind::Photo,
            file_name: "a.jpg".into(),
            archive_path: path.into(),
            metadata: Metadata::default(),
            drop_folder: None,
            tag: Tag::default(),
        }
    }

    #[test]
    fn migrations_apply_on_an_empty_database_and_again_are_a_no_op() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.sqlite");
        Catalog::open(&path).unwrap();
        let catalog = Catalog::open(&path).unwrap();
        assert_eq!(catalog.counts().unwrap(), Counts::default());
    }

    #[test]
    fn a_newer_schema_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.sqlite");
        Connection::open(&path)
            .unwrap()
            .pragma_update(None, "user_version", 99)
            .unwrap();
        assert!(matches!(
            Catalog::open(&path),
            Err(Error::SchemaTooNew { found: 99, .. })
        ));
    }

    #[test]
    fn a_claim_is_exclusive_by_content_and_by_path() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(&dir.path().join("c.sqlite")).unwrap();
        let staging = Path::new("/s/x.part");
        assert_eq!(
            catalog.claim(&asset("aa", "2026/a.jpg"), staging).unwrap(),
            Claim::Claimed
        );
        assert_eq!(
            catalog.claim(&asset("aa", "2026/b.jpg"), staging).unwrap(),
            Claim::AlreadyArchived
        );
        assert_eq!(
            catalog.claim(&asset("bb", "2026/a.jpg"), staging).unwrap(),
            Claim::PathTaken
        );
        assert!(
            catalog.archived("aa").unwrap().is_none(),
            "placing is not archived yet"
        );
        assert_eq!(catalog.placing().unwrap().len(), 1);
        let seen = SourceSeen {
            path: "/in/a.jpg".into(),
            size: 10,
            mtime_ns: 5,
        };
        catalog.commit_placed("aa", Some(&seen)).unwrap();
        assert!(catalog.archived("aa").unwrap().is_some());
        assert_eq!(
            catalog.known(&seen).unwrap(),
            Some(Known::Source("aa".into()))
        );
        assert_eq!(
            catalog
                .known(&SourceSeen {
                    mtime_ns: 6,
                    ..seen
                })
                .unwrap(),
            None
        );
    }

    #[test]
    fn only_permanent_rejections_are_known() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(&dir.path().join("c.sqlite")).unwrap();
        let seen = SourceSeen {
            path: "/in/x".into(),
            size: 0,
            mtime_ns: 1,
        };
        catalog
            .record_rejection(&seen, "cannot read", false)
            .unwrap();
        assert_eq!(catalog.known(&seen).unwrap(), None);
        catalog.record_rejection(&seen, "empty file", true).unwrap();
        assert_eq!(
            catalog.known(&seen).unwrap(),
            Some(Known::Rejected("empty file".into()))
        );
        assert_eq!(catalog.rejections().unwrap().len(), 1);
    }
}
