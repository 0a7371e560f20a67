//! Collages in the catalog (SOP step 9): which picked photos a period has,
//! and the record of every collage made (who, what was asked, what went in,
//! what came out). The images themselves are files under `<data>/collages/`,
//! named by the row id (`crate::web::collages`).

use rusqlite::{params, OptionalExtension};

use super::{now_ms, Catalog};
use crate::error::Result;

/// A collage about to be recorded.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCollage {
    pub created_by: String,
    pub from_day: String,
    pub to_day: String,
    pub leader: Option<String>,
    pub title: String,
    pub subtitle: String,
    /// The request as understood, JSON.
    pub params: String,
    pub asset_ids: Vec<String>,
    /// The layout, JSON (`[{asset_id, x, y, w, h}]`).
    pub cells: String,
    pub fallback: Option<String>,
    pub width_px: u32,
    pub height_px: u32,
    pub jpeg_bytes: u64,
    pub pdf_bytes: Option<u64>,
    pub render_ms: u64,
}

/// A recorded collage.
#[derive(Debug, Clone, PartialEq)]
pub struct CollageRecord {
    pub id: i64,
    pub created_at_ms: i64,
    pub collage: NewCollage,
}

const COLUMNS: &str =
    "id, created_at_ms, created_by, from_day, to_day, leader, title, subtitle, params,
    asset_ids, cells, fallback, width_px, height_px, jpeg_bytes, pdf_bytes, render_ms";

fn record(row: &rusqlite::Row<'_>) -> rusqlite::Result<CollageRecord> {
    let ids: String = row.get(9)?;
    Ok(CollageRecord {
        id: row.get(0)?,
        created_at_ms: row.get(1)?,
        collage: NewCollage {
            created_by: row.get(2)?,
            from_day: row.get(3)?,
            to_day: row.get(4)?,
            leader: row.get(5)?,
            title: row.get(6)?,
            subtitle: row.get(7)?,
            params: row.get(8)?,
            asset_ids: serde_json::from_str(&ids).unwrap_or_default(),
            cells: row.get(10)?,
            fallback: row.get(11)?,
            width_px: row.get(12)?,
            height_px: row.get(13)?,
            jpeg_bytes: row.get::<_, i64>(14)? as u64,
            pdf_bytes: row.get::<_, Option<i64>>(15)?.map(|b| b as u64),
            render_ms: row.get::<_, i64>(16)? as u64,
        },
    })
}

impl Catalog {
    /// Picked photos (kind photo or raw, archived) of assignments whose
    /// event starts in `[from_ms, to_ms)`, optionally of one leader
    /// (`schedule::name_of(Leader)`), and with `approved_only` only those of
    /// assignments `approved` or `published`. Ordered by event, then capture.
    pub fn collage_picks(
        &self,
        from_ms: i64,
        to_ms: i64,
        leader: Option<&str>,
        approved_only: bool,
    ) -> Result<Vec<String>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT a.id FROM assets a
               JOIN assignments s ON s.id = a.assignment_id
               JOIN events e ON e.id = s.event_id
              WHERE a.status = 'archived' AND a.picked = 1 AND a.kind IN ('photo', 'raw')
                AND e.starts_at_ms >= ?1 AND e.starts_at_ms < ?2
                AND (?3 IS NULL OR e.leader = ?3)
                AND (?4 = 0 OR s.status IN ('approved', 'published'))
              ORDER BY e.starts_at_ms, e.id, a.captured_at_ms, a.id",
        )?;
        let rows = stmt
            .query_map(params![from_ms, to_ms, leader, approved_only], |row| {
                row.get(0)
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Records a collage and, inside the same transaction, runs `write` with
    /// its new id (which writes the files): the row commits only once the
    /// files are in place. A failed attempt rolls its id back; the next
    /// collage gets it and writes its own files over whatever was left.
    pub fn add_collage(
        &self,
        c: &NewCollage,
        write: impl FnOnce(i64) -> Result<()>,
    ) -> Result<i64> {
        crate::text::single_line("title", &c.title, crate::text::TITLE)?;
        crate::text::single_line("subtitle", &c.subtitle, crate::text::TITLE)?;
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO collages (created_at_ms, created_by, from_day, to_day, leader, title, subtitle,
                params, asset_ids, cells, fallback, width_px, height_px, jpeg_bytes, pdf_bytes, render_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
            params![
                now_ms(),
                c.created_by,
                c.from_day,
                c.to_day,
                c.leader,
                c.title,
                c.subtitle,
                c.params,
                serde_json::to_string(&c.asset_ids).unwrap_or_else(|_| "[]".into()),
                c.cells,
                c.fallback,
                c.width_px,
                c.height_px,
                c.jpeg_bytes as i64,
                c.pdf_bytes.map(|b| b as i64),
                c.render_ms as i64,
            ],
        )?;
        let id = tx.last_insert_rowid();
        write(id)?;
        tx.commit()?;
        Ok(id)
    }

    pub fn collage(&self, id: i64) -> Result<Option<CollageRecord>> {
        let conn = self.conn();
        let sql = format!("SELECT {COLUMNS} FROM collages WHERE id = ?1");
        let row = conn
            .prepare_cached(&sql)?
            .query_row([id], record)
            .optional()?;
        Ok(row)
    }

    /// The newest `limit` collages, newest first.
    pub fn collages(&self, limit: usize) -> Result<Vec<CollageRecord>> {
        let conn = self.conn();
        let sql = format!("SELECT {COLUMNS} FROM collages ORDER BY id DESC LIMIT ?1");
        let rows = conn
            .prepare_cached(&sql)?
            .query_map([limit as i64], record)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(by: &str) -> NewCollage {
        NewCollage {
            created_by: by.into(),
            from_day: "2026-07-01".into(),
            to_day: "2026-12-31".into(),
            leader: Some("gubernur".into()),
            title: "Dokumentasi Kegiatan Pimpinan".into(),
            subtitle: "Gubernur · Juli – Desember 2026".into(),
            params: "{}".into(),
            asset_ids: vec!["a".repeat(64)],
            cells: "[]".into(),
            fallback: None,
            width_px: 3508,
            height_px: 4961,
            jpeg_bytes: 10,
            pdf_bytes: Some(20),
            render_ms: 5,
        }
    }

    #[test]
    fn collages_are_recorded_only_when_their_files_are_written() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(&dir.path().join("c.sqlite")).unwrap();
        let first = catalog.add_collage(&sample("rahmat"), |_| Ok(())).unwrap();
        let failed = catalog.add_collage(&sample("yosef"), |_| {
            Err(crate::Error::Invalid("disk full".into()))
        });
        assert!(failed.is_err());
        let second = catalog.add_collage(&sample("ahli"), |_| Ok(())).unwrap();
        assert_eq!(second, first + 1, "no row for the failed one");
        let list = catalog.collages(10).unwrap();
        assert_eq!(
            list.iter().map(|c| c.id).collect::<Vec<_>>(),
            vec![second, first]
        );
        let got = catalog.collage(first).unwrap().unwrap();
        assert_eq!(got.collage, sample("rahmat"));
        assert!(catalog.collage(second + 5).unwrap().is_none());
        assert!(catalog
            .collage_picks(0, i64::MAX, None, false)
            .unwrap()
            .is_empty());
    }
}
