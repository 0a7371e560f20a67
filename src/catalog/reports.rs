//! Reports' tables: submitted versions and the actions taken on them
//! (approved, returned, published). Each step checks the assignment's status
//! and writes the row and the new status in one IMMEDIATE transaction, so two
//! leaders pressing "approve" at once cannot both pass. The rules themselves
//! are `crate::reports`'.

use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::{now_ms, Catalog};
use crate::error::{Error, Result};
use crate::reports::{self, Action, ReportAction, ReportItem, ReportVersion};
use crate::schedule::{name_of, parse_name, AssignmentStatus};

fn version_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ReportVersion> {
    let items: String = row.get(4)?;
    let before: String = row.get(7)?;
    Ok(ReportVersion {
        assignment_id: row.get(0)?,
        version: row.get(1)?,
        title: row.get(2)?,
        body: row.get(3)?,
        items: serde_json::from_str::<Vec<ReportItem>>(&items).unwrap_or_default(),
        submitted_by: row.get(5)?,
        submitted_at_ms: row.get(6)?,
        status_before: parse_name("status", &before, "").unwrap_or(AssignmentStatus::Assigned),
    })
}

fn action_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<ReportAction> {
    let action: String = row.get(2)?;
    Ok(ReportAction {
        assignment_id: row.get(0)?,
        version: row.get(1)?,
        action: parse_name("action", &action, "").unwrap_or(Action::Returned),
        note: row.get(3)?,
        url: row.get(4)?,
        by: row.get(5)?,
        at_ms: row.get(6)?,
    })
}

const VERSION: &str = "SELECT assignment_id, version, title, body, items, submitted_by, submitted_at_ms, status_before FROM report_versions";

fn status_of(tx: &rusqlite::Transaction<'_>, assignment_id: i64) -> Result<AssignmentStatus> {
    let status: Option<String> = tx
        .query_row(
            "SELECT status FROM assignments WHERE id = ?1",
            [assignment_id],
            |r| r.get(0),
        )
        .optional()?;
    let status =
        status.ok_or_else(|| Error::NotFound(format!("id: no assignment {assignment_id}")))?;
    Ok(parse_name("status", &status, "").unwrap_or(AssignmentStatus::Assigned))
}

impl Catalog {
    /// Every version of an assignment's report, oldest first.
    pub fn report_versions(&self, assignment_id: i64) -> Result<Vec<ReportVersion>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "{VERSION} WHERE assignment_id = ?1 ORDER BY version"
        ))?;
        let rows = stmt
            .query_map([assignment_id], version_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The latest version of an assignment's report.
    pub fn latest_report(&self, assignment_id: i64) -> Result<Option<ReportVersion>> {
        let conn = self.conn();
        let row = conn
            .prepare_cached(&format!(
                "{VERSION} WHERE assignment_id = ?1 ORDER BY version DESC LIMIT 1"
            ))?
            .query_row([assignment_id], version_row)
            .optional()?;
        Ok(row)
    }

    /// Approvals, returns and publications of an assignment's report, oldest first.
    pub fn report_actions(&self, assignment_id: i64) -> Result<Vec<ReportAction>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT assignment_id, version, action, note, url, by_username, at_ms
             FROM report_actions WHERE assignment_id = ?1 ORDER BY id",
        )?;
        let rows = stmt
            .query_map([assignment_id], action_row)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Which of these assignments have a submitted report.
    pub fn reported_assignments(&self, ids: &[i64]) -> Result<Vec<i64>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached("SELECT 1 FROM report_versions WHERE assignment_id = ?1 LIMIT 1")?;
        let mut out = Vec::new();
        for id in ids {
            if stmt.exists([id])? {
                out.push(*id);
            }
        }
        Ok(out)
    }

    /// Records a new version of the report and sets the assignment `reported`.
    /// Refused (conflict) once the report is approved. Returns the version number.
    pub fn submit_report(
        &self,
        assignment_id: i64,
        title: &str,
        body: &str,
        items: &[ReportItem],
        by: &str,
    ) -> Result<i64> {
        crate::text::single_line("title", title, crate::text::TITLE)?;
        crate::text::multi_line("body", body, crate::text::BODY)?;
        for item in items {
            crate::text::multi_line(
                &format!("captions.{}", item.asset_id),
                &item.caption,
                crate::text::CAPTION,
            )?;
        }
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let status = status_of(&tx, assignment_id)?;
        reports::may_submit(status).map_err(Error::Conflict)?;
        let previous: Option<(i64, String)> = tx
            .query_row(
                "SELECT version, status_before FROM report_versions WHERE assignment_id = ?1
                 ORDER BY version DESC LIMIT 1",
                [assignment_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        let (version, before) = match previous {
            Some((v, before)) => (v + 1, before),
            None => (1, name_of(&status)),
        };
        let items = serde_json::to_string(items).unwrap_or_else(|_| "[]".into());
        tx.execute(
            "INSERT INTO report_versions (assignment_id, version, title, body, items, submitted_by,
                submitted_at_ms, status_before) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                assignment_id,
                version,
                title,
                body,
                items,
                by,
                now_ms(),
                before
            ],
        )?;
        tx.execute(
            "UPDATE assignments SET status = ?2 WHERE id = ?1",
            params![assignment_id, name_of(&AssignmentStatus::Reported)],
        )?;
        tx.commit()?;
        Ok(version)
    }

    /// Approves, returns or publishes the latest version, if the status allows
    /// it, and moves the assignment on. `expected_version`, when given, must
    /// be the latest (a leader approves what they read). Returns the new status.
    pub fn act_on_report(
        &self,
        assignment_id: i64,
        action: Action,
        note: Option<&str>,
        url: Option<&str>,
        by: &str,
        expected_version: Option<i64>,
    ) -> Result<(i64, AssignmentStatus)> {
        crate::text::multi_line_opt("note", note, crate::text::NOTE)?;
        crate::text::single_line_opt("url", url, crate::text::BODY)?;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let status = status_of(&tx, assignment_id)?;
        let latest: Option<(i64, String)> = tx
            .query_row(
                "SELECT version, status_before FROM report_versions WHERE assignment_id = ?1
                 ORDER BY version DESC LIMIT 1",
                [assignment_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        reports::may(action, status, latest.is_some()).map_err(Error::Conflict)?;
        let Some((version, before)) = latest else {
            return Err(Error::Conflict("report: none submitted".into()));
        };
        if let Some(expected) = expected_version {
            if expected != version {
                return Err(Error::Conflict(format!(
                    "version: the report was changed since (version {version} is the latest, not {expected})"
                )));
            }
        }
        let has_files: bool = tx
            .prepare_cached(
                "SELECT 1 FROM assets WHERE assignment_id = ?1 AND status = 'archived' LIMIT 1",
            )?
            .exists([assignment_id])?;
        let before = parse_name("status", &before, "").unwrap_or(AssignmentStatus::Assigned);
        let next = reports::status_after(action, has_files, before);
        tx.execute(
            "INSERT INTO report_actions (assignment_id, version, action, note, url, by_username, at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![assignment_id, version, name_of(&action), note, url, by, now_ms()],
        )?;
        tx.execute(
            "UPDATE assignments SET status = ?2 WHERE id = ?1",
            params![assignment_id, name_of(&next)],
        )?;
        tx.commit()?;
        Ok((version, next))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{CrewMember, CrewRole, Event, Leader, Person, Role};

    fn catalog_with_assignment() -> (tempfile::TempDir, Catalog, i64) {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(&dir.path().join("c.sqlite")).unwrap();
        catalog
            .add_person(&Person {
                username: "sari".into(),
                name: "Sari".into(),
                nip: None,
                role: Role::Staf,
                crew_roles: vec![CrewRole::Reporter],
                is_admin: false,
            })
            .unwrap();
        let event = catalog
            .add_event(&Event {
                id: 0,
                title: "Rapat".into(),
                leader: Leader::Gubernur,
                location: "Tanjung Selor".into(),
                starts_at: "2026-11-26T01:00:00Z".parse().unwrap(),
                ends_at: "2026-11-26T02:00:00Z".parse().unwrap(),
                zone_seconds: 28_800,
                out_of_town: false,
                source: None,
                lat: None,
                lon: None,
            })
            .unwrap();
        let crew = [CrewMember {
            username: "sari".into(),
            role: CrewRole::Reporter,
        }];
        let id = catalog
            .add_assignment(event, "rapat", &crew, AssignmentStatus::LetterIssued)
            .unwrap();
        (dir, catalog, id)
    }

    #[test]
    fn versions_and_actions_follow_the_rules_and_are_kept() {
        let (_dir, catalog, id) = catalog_with_assignment();
        assert!(matches!(
            catalog.act_on_report(id, Action::Approved, None, None, "kabid", None),
            Err(Error::Conflict(_))
        ));
        assert_eq!(
            catalog.submit_report(id, "J", "Isi", &[], "sari").unwrap(),
            1
        );
        let (v, status) = catalog
            .act_on_report(
                id,
                Action::Returned,
                Some("Perbaiki"),
                None,
                "kabid",
                Some(1),
            )
            .unwrap();
        // No files: back to what it was before the report.
        assert_eq!((v, status), (1, AssignmentStatus::LetterIssued));
        assert_eq!(
            catalog.submit_report(id, "J2", "Isi", &[], "sari").unwrap(),
            2
        );
        assert!(matches!(
            catalog.act_on_report(id, Action::Approved, None, None, "kabid", Some(1)),
            Err(Error::Conflict(_))
        ));
        let (_, status) = catalog
            .act_on_report(id, Action::Approved, None, None, "kabid", Some(2))
            .unwrap();
        assert_eq!(status, AssignmentStatus::Approved);
        assert!(matches!(
            catalog.submit_report(id, "J3", "Isi", &[], "sari"),
            Err(Error::Conflict(_))
        ));
        let (_, status) = catalog
            .act_on_report(
                id,
                Action::Published,
                None,
                Some("https://x.id/a"),
                "ahli",
                None,
            )
            .unwrap();
        assert_eq!(status, AssignmentStatus::Published);
        assert_eq!(catalog.report_versions(id).unwrap().len(), 2);
        let actions = catalog.report_actions(id).unwrap();
        assert_eq!(actions.len(), 3);
        assert_eq!(actions[0].note.as_deref(), Some("Perbaiki"));
        assert_eq!(catalog.reported_assignments(&[id, 999]).unwrap(), vec![id]);
        let deleted = catalog
            .conn()
            .execute("DELETE FROM report_actions WHERE assignment_id = ?1", [id]);
        assert!(deleted.is_err(), "history cannot be deleted");
    }
}
