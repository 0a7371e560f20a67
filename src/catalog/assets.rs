//! Reading assets back: one record type for the API, the search index and the
//! derived-image workers, and the catalog-as-work-queue queries that keep
//! thumbnails and the index caught up.

use std::path::PathBuf;

use rusqlite::{params, params_from_iter, OptionalExtension};

use super::{path_of, Catalog};
use crate::error::Result;

/// Everything the catalog holds about one archived asset.
#[derive(Debug, Clone, PartialEq)]
pub struct AssetRecord {
    pub id: String,
    pub size: u64,
    pub kind: String,
    pub file_name: String,
    pub archive_path: PathBuf,
    pub damaged: Option<String>,
    pub captured_at_ms: Option<i64>,
    pub captured_offset: Option<i32>,
    pub time_source: Option<String>,
    pub make: Option<String>,
    pub model: Option<String>,
    pub serial: Option<String>,
    pub lens: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub orientation: Option<u16>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub duration_ms: Option<u64>,
    pub drop_folder: Option<String>,
    pub photographer: Option<String>,
    pub assignment_id: Option<i64>,
    pub match_reason: Option<String>,
    /// `None` until thumbnails were attempted; `ok` or `placeholder`.
    pub derived: Option<String>,
    pub derive_error: Option<String>,
    /// The version the index should see.
    pub version: i64,
    /// Who tagged it by hand (never undone by re-matching); `None`: matching did.
    pub tagged_by: Option<String>,
    /// What the file says about itself (EXIF ImageDescription): untrusted text.
    pub description: Option<String>,
    /// The caption a person wrote in the panel, and who.
    pub caption: Option<String>,
    pub caption_by: Option<String>,
    /// Chosen for the assignment's report.
    pub picked: bool,
    pub match_confidence: Option<f64>,
    /// Why it waits in triage (untagged).
    pub triage_reason: Option<String>,
    /// Matching's suggestions for triage, as JSON.
    pub triage_suggestions: Option<String>,
}

impl AssetRecord {
    /// "Make Model", without the make repeated when the model already names it
    /// ("Canon Canon EOS 450D" -> "Canon EOS 450D").
    pub fn camera(&self) -> Option<String> {
        match (self.make.as_deref(), self.model.as_deref()) {
            (Some(make), Some(model)) => {
                let first = make.split_whitespace().next().unwrap_or(make);
                if model.to_lowercase().starts_with(&first.to_lowercase()) {
                    Some(model.to_owned())
                } else {
                    Some(format!("{make} {model}"))
                }
            }
            (Some(one), None) | (None, Some(one)) => Some(one.to_owned()),
            (None, None) => None,
        }
    }
}

const COLUMNS: &str =
    "id, size, kind, file_name, archive_path, damaged, captured_at_ms, captured_offset,
    time_source, make, model, serial, lens, lat, lon, orientation, width, height, duration_ms,
    drop_folder, photographer, assignment_id, match_reason, derived, derive_error, version,
    tagged_by, match_confidence, triage_reason, triage_suggestions, description, caption,
    caption_by, picked";
/// How many columns `COLUMNS` selects (extra columns follow it).
const COLUMN_COUNT: usize = 34;

fn record(row: &rusqlite::Row<'_>) -> rusqlite::Result<AssetRecord> {
    Ok(AssetRecord {
        id: row.get(0)?,
        size: row.get::<_, i64>(1)? as u64,
        kind: row.get(2)?,
        file_name: row.get(3)?,
        archive_path: path_of(row.get(4)?),
        damaged: row.get(5)?,
        captured_at_ms: row.get(6)?,
        captured_offset: row.get(7)?,
        time_source: row.get(8)?,
        make: row.get(9)?,
        model: row.get(10)?,
        serial: row.get(11)?,
        lens: row.get(12)?,
        lat: row.get(13)?,
        lon: row.get(14)?,
        orientation: row.get(15)?,
        width: row.get(16)?,
        height: row.get(17)?,
        duration_ms: row.get::<_, Option<i64>>(18)?.map(|d| d as u64),
        drop_folder: row.get(19)?,
        photographer: row.get(20)?,
        assignment_id: row.get(21)?,
        match_reason: row.get(22)?,
        derived: row.get(23)?,
        derive_error: row.get(24)?,
        version: row.get(25)?,
        tagged_by: row.get(26)?,
        match_confidence: row.get(27)?,
        triage_reason: row.get(28)?,
        triage_suggestions: row.get(29)?,
        description: row.get(30)?,
        caption: row.get(31)?,
        caption_by: row.get(32)?,
        picked: row.get(33)?,
    })
}

/// The outcome of making an asset's thumbnail and preview.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Derivation {
    Made,
    /// No image could be made; the panel shows a placeholder. The reason is kept.
    Placeholder(String),
}

impl Catalog {
    /// One archived asset.
    pub fn asset(&self, id: &str) -> Result<Option<AssetRecord>> {
        let conn = self.conn();
        let sql = format!("SELECT {COLUMNS} FROM assets WHERE id = ?1 AND status = 'archived'");
        let row = conn
            .prepare_cached(&sql)?
            .query_row([id], record)
            .optional()?;
        Ok(row)
    }

    /// Archived assets for `ids`, in the order given; unknown ids are skipped.
    /// One query, however many ids (search results are never fetched one by one).
    pub fn assets(&self, ids: &[String]) -> Result<Vec<AssetRecord>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let conn = self.conn();
        let mut found = std::collections::HashMap::with_capacity(ids.len());
        // SQLite caps bound parameters; page through long lists.
        for chunk in ids.chunks(500) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = format!(
                "SELECT {COLUMNS} FROM assets WHERE status = 'archived' AND id IN ({marks})"
            );
            let mut stmt = conn.prepare(&sql)?;
            for row in stmt.query_map(params_from_iter(chunk), record)? {
                let row = row?;
                found.insert(row.id.clone(), row);
            }
        }
        Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
    }

    /// Visits every archived asset in pages of `page` rows (bounded memory).
    pub fn each_asset(
        &self,
        page: usize,
        visit: &mut dyn FnMut(Vec<AssetRecord>) -> Result<()>,
    ) -> Result<()> {
        let mut after = String::new();
        loop {
            let rows: Vec<AssetRecord> = {
                let conn = self.conn();
                let sql = format!("SELECT {COLUMNS} FROM assets WHERE status = 'archived' AND id > ?1 ORDER BY id LIMIT ?2");
                let mut stmt = conn.prepare_cached(&sql)?;
                let rows = stmt.query_map(params![after, page as i64], record)?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            let Some(last) = rows.last() else {
                return Ok(());
            };
            after = last.id.clone();
            visit(rows)?;
        }
    }

    /// Assets whose thumbnail and preview are still to be made, oldest first.
    pub fn to_derive(&self, limit: usize) -> Result<Vec<AssetRecord>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {COLUMNS} FROM assets WHERE derived IS NULL AND status = 'archived' ORDER BY ingested_at_ms LIMIT ?1"
        );
        let rows = conn
            .prepare_cached(&sql)?
            .query_map([limit as i64], record)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Records the outcome of making derived images.
    pub fn set_derived(&self, id: &str, outcome: &Derivation) -> Result<()> {
        let (state, error) = match outcome {
            Derivation::Made => ("ok", None),
            Derivation::Placeholder(reason) => ("placeholder", Some(reason.as_str())),
        };
        self.conn()
            .prepare_cached("UPDATE assets SET derived = ?2, derive_error = ?3 WHERE id = ?1")?
            .execute(params![id, state, error])?;
        Ok(())
    }

    /// Forgets derived-image outcomes for the given assets, so they are made again.
    pub fn reset_derived(&self, ids: &[String]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for id in ids {
            tx.prepare_cached(
                "UPDATE assets SET derived = NULL, derive_error = NULL WHERE id = ?1",
            )?
            .execute([id])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Assets the index has not seen in their current version, oldest first.
    pub fn to_index(&self, limit: usize) -> Result<Vec<AssetRecord>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {COLUMNS} FROM assets WHERE indexed_version < version AND status = 'archived'
             ORDER BY ingested_at_ms LIMIT ?1"
        );
        let rows = conn
            .prepare_cached(&sql)?
            .query_map([limit as i64], record)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Notes that the index has committed these versions. A row changed since
    /// (a newer version) stays due.
    pub fn mark_indexed(&self, done: &[(String, i64)]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for (id, version) in done {
            tx.prepare_cached(
                "UPDATE assets SET indexed_version = ?2 WHERE id = ?1 AND version >= ?2",
            )?
            .execute(params![id, version])?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Marks every asset as needing indexing (the index was rebuilt or lost).
    pub fn mark_all_unindexed(&self) -> Result<()> {
        self.conn()
            .execute("UPDATE assets SET indexed_version = 0", [])?;
        Ok(())
    }

    /// Asks for every asset of an event's assignments to be indexed again (its
    /// title, leader or place changed).
    pub fn touch_event_assets(&self, event_id: i64) -> Result<()> {
        self.conn().execute(
            "UPDATE assets SET version = version + 1
             WHERE assignment_id IN (SELECT id FROM assignments WHERE event_id = ?1)",
            [event_id],
        )?;
        Ok(())
    }

    /// How much derived work is waiting: (thumbnails, index).
    pub fn backlog(&self) -> Result<(u64, u64)> {
        let conn = self.conn();
        let derive: i64 = conn.query_row(
            "SELECT count(*) FROM assets WHERE derived IS NULL AND status = 'archived'",
            [],
            |r| r.get(0),
        )?;
        let index: i64 = conn.query_row(
            "SELECT count(*) FROM assets WHERE indexed_version < version AND status = 'archived'",
            [],
            |r| r.get(0),
        )?;
        Ok((derive as u64, index as u64))
    }
}

/// A re-filing that was started: where from, where to, and the tag it carries.
#[derive(Debug, Clone)]
pub struct Refile {
    pub asset_id: String,
    pub from: PathBuf,
    pub to: PathBuf,
    pub tag: super::Tag,
}

impl Catalog {
    /// Writes the intent before the rename (committed on its own), so a crash
    /// between the rename and `finish_refile` is recovered at start-up.
    pub fn begin_refile(&self, r: &Refile) -> Result<()> {
        use std::os::unix::ffi::OsStrExt;
        self.conn().execute(
            "INSERT OR REPLACE INTO refiles (asset_id, from_path, to_path, assignment_id, match_reason, confidence, tagged_by, photographer)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                r.asset_id,
                r.from.as_os_str().as_bytes(),
                r.to.as_os_str().as_bytes(),
                r.tag.assignment_id,
                r.tag.match_reason,
                r.tag.confidence,
                r.tag.tagged_by,
                r.tag.photographer
            ],
        )?;
        Ok(())
    }

    /// Records the new place and tag and drops the intent, in one commit.
    pub fn finish_refile(&self, r: &Refile) -> Result<()> {
        use std::os::unix::ffi::OsStrExt;
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "UPDATE assets SET archive_path = ?2 WHERE id = ?1",
            params![r.asset_id, r.to.as_os_str().as_bytes()],
        )?;
        set_tag(&tx, &r.asset_id, &r.tag)?;
        tx.execute("DELETE FROM refiles WHERE asset_id = ?1", [&r.asset_id])?;
        tx.commit()?;
        Ok(())
    }

    /// Forgets an intent whose rename did not happen.
    pub fn drop_refile(&self, asset_id: &str) -> Result<()> {
        self.conn()
            .execute("DELETE FROM refiles WHERE asset_id = ?1", [asset_id])?;
        Ok(())
    }

    /// Intents a crash left behind.
    pub fn refiles(&self) -> Result<Vec<Refile>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT asset_id, from_path, to_path, assignment_id, match_reason, confidence, tagged_by, photographer FROM refiles",
        )?;
        let rows = stmt
            .query_map([], |r| {
                Ok(Refile {
                    asset_id: r.get(0)?,
                    from: path_of(r.get(1)?),
                    to: path_of(r.get(2)?),
                    tag: super::Tag {
                        assignment_id: r.get(3)?,
                        match_reason: r.get(4)?,
                        confidence: r.get(5)?,
                        tagged_by: r.get(6)?,
                        photographer: r.get(7)?,
                        ..Default::default()
                    },
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Changes an asset's tag without moving it (triage reason, suggestions, confidence).
    pub fn set_tag(&self, asset_id: &str, tag: &super::Tag) -> Result<()> {
        let conn = self.conn();
        set_tag(&conn, asset_id, tag)
    }

    /// Archived assets that matching may re-decide (not tagged by hand) whose
    /// capture time lies in `[from, to]` (unix ms).
    pub fn rematchable_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<AssetRecord>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {COLUMNS} FROM assets WHERE status = 'archived' AND tagged_by IS NULL
             AND captured_at_ms BETWEEN ?1 AND ?2 ORDER BY captured_at_ms"
        );
        let rows = conn
            .prepare_cached(&sql)?
            .query_map(params![from_ms, to_ms], record)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Archived assets from one camera that matching may re-decide.
    pub fn rematchable_of_camera(&self, serial_key: &str) -> Result<Vec<AssetRecord>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {COLUMNS} FROM assets WHERE status = 'archived' AND tagged_by IS NULL AND serial_key = ?1
             ORDER BY captured_at_ms"
        );
        let rows = conn
            .prepare_cached(&sql)?
            .query_map([serial_key], record)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Untagged assets (the triage queue), oldest capture first.
    pub fn untagged(&self, limit: usize) -> Result<Vec<AssetRecord>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {COLUMNS} FROM assets WHERE status = 'archived' AND assignment_id IS NULL
             ORDER BY drop_folder, serial_key, captured_at_ms LIMIT ?1"
        );
        let rows = conn
            .prepare_cached(&sql)?
            .query_map([limit as i64], record)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Sets (or clears, with an empty text) the caption; the index follows.
    pub fn set_caption(&self, asset_id: &str, caption: &str, by: &str) -> Result<()> {
        let caption = crate::text::multi_line("caption", caption.trim(), crate::text::CAPTION)?;
        let changed = self.conn().execute(
            "UPDATE assets SET caption = nullif(?2, ''), caption_by = ?3, version = version + 1
             WHERE id = ?1 AND status = 'archived'",
            params![asset_id, caption, by],
        )?;
        if changed == 0 {
            return Err(crate::Error::NotFound(format!(
                "asset {asset_id} not found"
            )));
        }
        Ok(())
    }

    /// Marks an asset as picked (or not) for its assignment's report.
    pub fn set_picked(&self, asset_id: &str, picked: bool) -> Result<()> {
        let changed = self.conn().execute(
            "UPDATE assets SET picked = ?2 WHERE id = ?1 AND status = 'archived'",
            params![asset_id, picked],
        )?;
        if changed == 0 {
            return Err(crate::Error::NotFound(format!(
                "asset {asset_id} not found"
            )));
        }
        Ok(())
    }

    /// An assignment's files, oldest capture first.
    pub fn assets_of_assignment(&self, assignment_id: i64) -> Result<Vec<AssetRecord>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {COLUMNS} FROM assets WHERE status = 'archived' AND assignment_id = ?1
             ORDER BY captured_at_ms, file_name"
        );
        let rows = conn
            .prepare_cached(&sql)?
            .query_map([assignment_id], record)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// How many files wait in triage.
    pub fn untagged_count(&self) -> Result<i64> {
        Ok(self.conn().query_row(
            "SELECT count(*) FROM assets WHERE status = 'archived' AND assignment_id IS NULL",
            [],
            |row| row.get(0),
        )?)
    }

    /// Files archived after `since_ms` (ingest time), newest first: the
    /// panel's "arriving now" list. Returns them with their ingest times.
    pub fn arrived_since(&self, since_ms: i64, limit: usize) -> Result<Vec<(AssetRecord, i64)>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT {COLUMNS}, ingested_at_ms FROM assets WHERE status = 'archived' AND ingested_at_ms > ?1
             ORDER BY ingested_at_ms DESC LIMIT ?2"
        );
        let rows = conn
            .prepare_cached(&sql)?
            .query_map(params![since_ms, limit as i64], |row| {
                let at: i64 = row.get(COLUMN_COUNT)?;
                Ok((record(row)?, at))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}

fn set_tag(conn: &rusqlite::Connection, asset_id: &str, tag: &super::Tag) -> Result<()> {
    conn.prepare_cached(
        "UPDATE assets SET assignment_id = ?2, match_reason = ?3, match_confidence = ?4, photographer = ?5,
            triage_reason = ?6, triage_suggestions = ?7, tagged_by = ?8, version = version + 1 WHERE id = ?1",
    )?
    .execute(params![
        asset_id,
        tag.assignment_id,
        tag.match_reason,
        tag.confidence,
        tag.photographer,
        tag.triage_reason,
        tag.suggestions,
        tag.tagged_by
    ])?;
    Ok(())
}
