//! The SQL of archive care: verify runs (the last result for the panel),
//! replica roots and what each replica holds, and the asset lists a BagIt
//! export and the fixity walk need. The logic lives in `crate::care`.

use std::path::{Path, PathBuf};

use rusqlite::{params, OptionalExtension};

use super::{bytes, now_ms, path_of, Catalog};
use crate::error::Result;

/// A finished verify run, as recorded.
#[derive(Debug, Clone)]
pub struct VerifyRun {
    pub started_at_ms: i64,
    pub finished_at_ms: i64,
    /// `cli` or `schedule`.
    pub origin: String,
    pub checked: u64,
    pub bytes: u64,
    pub seconds: f64,
    pub missing: u64,
    pub changed: u64,
    pub unexpected: u64,
    pub problems: u64,
    pub ok: bool,
    /// The JSON report (lists capped).
    pub report: String,
}

/// A replica root known to the catalog.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplicaRecord {
    pub marker: String,
    pub online: bool,
    pub note: Option<String>,
}

/// An asset a replica does not hold at its current archive path yet.
#[derive(Debug, Clone)]
pub struct ReplicaTodo {
    pub id: String,
    pub size: u64,
    pub archive_path: PathBuf,
    /// Where the replica holds it now (a re-filing to follow), if anywhere.
    pub old_path: Option<PathBuf>,
}

/// One file for a bag.
#[derive(Debug, Clone)]
pub struct BagItem {
    pub id: String,
    pub size: u64,
    pub archive_path: PathBuf,
}

impl Catalog {
    /// Records a finished verify run.
    pub fn record_verify_run(&self, run: &VerifyRun) -> Result<()> {
        self.conn().execute(
            "INSERT INTO verify_runs (started_at_ms, finished_at_ms, origin, checked, bytes, seconds,
                missing, changed, unexpected, problems, ok, report)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                run.started_at_ms,
                run.finished_at_ms,
                run.origin,
                run.checked as i64,
                run.bytes as i64,
                run.seconds,
                run.missing as i64,
                run.changed as i64,
                run.unexpected as i64,
                run.problems as i64,
                run.ok,
                run.report
            ],
        )?;
        Ok(())
    }

    /// The newest verify run.
    pub fn last_verify_run(&self) -> Result<Option<VerifyRun>> {
        let conn = self.conn();
        let row = conn
            .query_row(
                "SELECT started_at_ms, finished_at_ms, origin, checked, bytes, seconds, missing,
                    changed, unexpected, problems, ok, report
                 FROM verify_runs ORDER BY finished_at_ms DESC, id DESC LIMIT 1",
                [],
                |r| {
                    Ok(VerifyRun {
                        started_at_ms: r.get(0)?,
                        finished_at_ms: r.get(1)?,
                        origin: r.get(2)?,
                        checked: r.get::<_, i64>(3)? as u64,
                        bytes: r.get::<_, i64>(4)? as u64,
                        seconds: r.get(5)?,
                        missing: r.get::<_, i64>(6)? as u64,
                        changed: r.get::<_, i64>(7)? as u64,
                        unexpected: r.get::<_, i64>(8)? as u64,
                        problems: r.get::<_, i64>(9)? as u64,
                        ok: r.get(10)?,
                        report: r.get(11)?,
                    })
                },
            )
            .optional()?;
        Ok(row)
    }

    /// True when an asset (archived, being placed, or being re-filed there)
    /// owns this archive path: a file there is not a stray.
    pub fn archive_path_known(&self, path: &Path) -> Result<bool> {
        let conn = self.conn();
        let p = bytes(path);
        let mut stmt = conn.prepare_cached(
            "SELECT 1 FROM assets WHERE archive_path = ?1
             UNION ALL SELECT 1 FROM refiles WHERE to_path = ?1 OR from_path = ?1 LIMIT 1",
        )?;
        Ok(stmt.exists([p])?)
    }

    /// Visits every archived asset's (id, size, archive path) in pages (bounded memory).
    pub fn each_archived_path(
        &self,
        page: usize,
        visit: &mut dyn FnMut(Vec<BagItem>) -> Result<()>,
    ) -> Result<()> {
        let mut after = String::new();
        loop {
            let rows: Vec<BagItem> = {
                let conn = self.conn();
                let mut stmt = conn.prepare_cached(
                    "SELECT id, size, archive_path FROM assets
                     WHERE status = 'archived' AND id > ?1 ORDER BY id LIMIT ?2",
                )?;
                let rows = stmt.query_map(params![after, page as i64], bag_item)?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = last.id.clone();
            visit(rows)?;
        }
    }

    /// The replica root as the catalog knows it.
    pub fn replica(&self, root: &Path) -> Result<Option<ReplicaRecord>> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                "SELECT marker, online, note FROM replicas WHERE path = ?1",
                [bytes(root)],
                |r| {
                    Ok(ReplicaRecord {
                        marker: r.get(0)?,
                        online: r.get(1)?,
                        note: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// Records a replica root with the marker id written on it. A root that
    /// carried another marker before (another disk) forgets what it held.
    pub fn set_replica_marker(&self, root: &Path, marker: &str) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let old: Option<String> = tx
            .query_row(
                "SELECT marker FROM replicas WHERE path = ?1",
                [bytes(root)],
                |r| r.get(0),
            )
            .optional()?;
        if old.as_deref() != Some(marker) {
            tx.execute(
                "DELETE FROM replica_copies WHERE replica = ?1",
                [bytes(root)],
            )?;
        }
        tx.execute(
            "INSERT INTO replicas (path, marker, created_at_ms, online) VALUES (?1, ?2, ?3, 1)
             ON CONFLICT (path) DO UPDATE SET marker = excluded.marker, online = 1",
            params![bytes(root), marker, now_ms()],
        )?;
        tx.commit()?;
        Ok(())
    }

    /// Notes whether a replica was found online, and why not (or the last error).
    pub fn set_replica_state(&self, root: &Path, online: bool, note: Option<&str>) -> Result<()> {
        self.conn().execute(
            "UPDATE replicas SET online = ?2, note = ?3, checked_at_ms = ?4 WHERE path = ?1",
            params![bytes(root), online, note, now_ms()],
        )?;
        Ok(())
    }

    /// Archived assets the replica does not hold at their archive path yet:
    /// re-filings to follow first, then new files, oldest first.
    pub fn replica_todo(&self, root: &Path, limit: usize) -> Result<Vec<ReplicaTodo>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT a.id, a.size, a.archive_path, c.path FROM assets a
             LEFT JOIN replica_copies c ON c.replica = ?1 AND c.asset_id = a.id
             WHERE a.status = 'archived' AND (c.path IS NULL OR c.path != a.archive_path)
             ORDER BY (c.path IS NULL), a.ingested_at_ms LIMIT ?2",
        )?;
        let rows = stmt.query_map(params![bytes(root), limit as i64], |r| {
            Ok(ReplicaTodo {
                id: r.get(0)?,
                size: r.get::<_, i64>(1)? as u64,
                archive_path: path_of(r.get(2)?),
                old_path: r.get::<_, Option<Vec<u8>>>(3)?.map(path_of),
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// How many archived assets the replica does not hold at their path yet.
    pub fn replica_pending(&self, root: &Path) -> Result<u64> {
        let conn = self.conn();
        let n: i64 = conn.query_row(
            "SELECT count(*) FROM assets a
             LEFT JOIN replica_copies c ON c.replica = ?1 AND c.asset_id = a.id
             WHERE a.status = 'archived' AND (c.path IS NULL OR c.path != a.archive_path)",
            [bytes(root)],
            |r| r.get(0),
        )?;
        Ok(n as u64)
    }

    /// Records a verified copy of `id` at `path` on the replica.
    pub fn replica_copied(&self, root: &Path, id: &str, path: &Path) -> Result<()> {
        self.conn().execute(
            "INSERT INTO replica_copies (replica, asset_id, path, copied_at_ms) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (replica, asset_id) DO UPDATE SET path = excluded.path, copied_at_ms = excluded.copied_at_ms",
            params![bytes(root), id, bytes(path), now_ms()],
        )?;
        Ok(())
    }

    /// Forgets a replica copy (it went missing): the worker copies it again.
    pub fn replica_forget(&self, root: &Path, id: &str) -> Result<()> {
        self.conn().execute(
            "DELETE FROM replica_copies WHERE replica = ?1 AND asset_id = ?2",
            params![bytes(root), id],
        )?;
        Ok(())
    }

    /// Where the replica holds `id`, if it does.
    pub fn replica_copy_path(&self, root: &Path, id: &str) -> Result<Option<PathBuf>> {
        let conn = self.conn();
        let row: Option<Vec<u8>> = conn
            .query_row(
                "SELECT path FROM replica_copies WHERE replica = ?1 AND asset_id = ?2",
                params![bytes(root), id],
                |r| r.get(0),
            )
            .optional()?;
        Ok(row.map(path_of))
    }

    /// True when a file at `path` on the replica is accounted for: a recorded
    /// copy, or an archived asset's path (a copy in progress).
    pub fn replica_path_known(&self, root: &Path, path: &Path) -> Result<bool> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT 1 FROM replica_copies WHERE replica = ?1 AND path = ?2
             UNION ALL SELECT 1 FROM assets WHERE archive_path = ?2 LIMIT 1",
        )?;
        Ok(stmt.exists(params![bytes(root), bytes(path)])?)
    }

    /// Visits every recorded copy on a replica as (asset id, path), in pages.
    pub fn each_replica_copy(
        &self,
        root: &Path,
        page: usize,
        visit: &mut dyn FnMut(Vec<(String, PathBuf)>) -> Result<()>,
    ) -> Result<()> {
        let mut after = String::new();
        loop {
            let rows: Vec<(String, PathBuf)> = {
                let conn = self.conn();
                let mut stmt = conn.prepare_cached(
                    "SELECT asset_id, path FROM replica_copies
                     WHERE replica = ?1 AND asset_id > ?2 ORDER BY asset_id LIMIT ?3",
                )?;
                let rows = stmt.query_map(params![bytes(root), after, page as i64], |r| {
                    Ok((r.get(0)?, path_of(r.get(1)?)))
                })?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = last.0.clone();
            visit(rows)?;
        }
    }

    /// Archived files of one assignment, by archive path.
    pub fn bag_items_of_assignment(&self, assignment_id: i64) -> Result<Vec<BagItem>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, size, archive_path FROM assets
             WHERE status = 'archived' AND assignment_id = ?1 ORDER BY archive_path",
        )?;
        let rows = stmt.query_map([assignment_id], bag_item)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Archived files filed under one month (`YYYY/MM/` in the archive), by path.
    pub fn bag_items_of_month(&self, year: i32, month: u8) -> Result<Vec<BagItem>> {
        let prefix = format!("{year:04}/{month:02}/");
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, size, archive_path FROM assets
             WHERE status = 'archived' AND substr(archive_path, 1, ?2) = ?1 ORDER BY archive_path",
        )?;
        let rows = stmt.query_map(params![prefix.as_bytes(), prefix.len() as i64], bag_item)?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// An assignment's event title and date-time, if the assignment exists.
    pub fn assignment_title(&self, assignment_id: i64) -> Result<Option<String>> {
        let conn = self.conn();
        Ok(conn
            .query_row(
                "SELECT e.title FROM assignments a JOIN events e ON e.id = a.event_id WHERE a.id = ?1",
                [assignment_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// The number of an assignment's letter (Surat Tugas), when the letters
    /// feature keeps one in a `letters` table; `None` otherwise.
    pub fn letter_number(&self, assignment_id: i64) -> Option<String> {
        let conn = self.conn();
        conn.query_row(
            "SELECT number FROM letters WHERE assignment_id = ?1 ORDER BY rowid DESC LIMIT 1",
            [assignment_id],
            |r| r.get::<_, String>(0),
        )
        .ok()
    }
}

fn bag_item(r: &rusqlite::Row<'_>) -> rusqlite::Result<BagItem> {
    Ok(BagItem {
        id: r.get(0)?,
        size: r.get::<_, i64>(1)? as u64,
        archive_path: path_of(r.get(2)?),
    })
}
