//! Surat Tugas records: the per-year number sequence, issue, re-issue and
//! cancel, and the people's letter details (pangkat, jabatan). Numbers are
//! taken inside one IMMEDIATE transaction together with the row that uses
//! them, so concurrent requests (threads here, or another process on the same
//! file) can neither repeat nor skip a number. Layout is `crate::letters`'.

use std::collections::HashMap;

use rusqlite::{params, OptionalExtension};

use super::Catalog;
use crate::error::{Error, Result};
use crate::letters::Official;
use crate::schedule::parse_name;

/// One issued letter (live or cancelled), without its PDF.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LetterRecord {
    pub id: i64,
    pub assignment_id: i64,
    pub year: i64,
    pub seq: i64,
    pub number: String,
    pub signer: String,
    pub out_of_town: bool,
    pub issued_by: String,
    pub issued_at_ms: i64,
    pub rendered_at_ms: i64,
    pub cancelled_at_ms: Option<i64>,
    pub cancelled_by: Option<String>,
    pub cancel_reason: Option<String>,
}

/// What an issue request says.
#[derive(Debug, Clone)]
pub struct IssueLetter<'a> {
    pub assignment_id: i64,
    /// The year of a new letter's number (an existing letter keeps its own).
    pub year: i64,
    pub signer: &'a str,
    pub out_of_town: bool,
    pub by: &'a str,
    pub now_ms: i64,
}

const LETTER: &str =
    "SELECT id, assignment_id, year, seq, number, signer, out_of_town, issued_by, issued_at_ms,
    rendered_at_ms, cancelled_at_ms, cancelled_by, cancel_reason FROM letters";

fn letter(row: &rusqlite::Row<'_>) -> rusqlite::Result<LetterRecord> {
    Ok(LetterRecord {
        id: row.get(0)?,
        assignment_id: row.get(1)?,
        year: row.get(2)?,
        seq: row.get(3)?,
        number: row.get(4)?,
        signer: row.get(5)?,
        out_of_town: row.get(6)?,
        issued_by: row.get(7)?,
        issued_at_ms: row.get(8)?,
        rendered_at_ms: row.get(9)?,
        cancelled_at_ms: row.get(10)?,
        cancelled_by: row.get(11)?,
        cancel_reason: row.get(12)?,
    })
}

const OFFICIAL: &str = "SELECT username, name, nip, role, pangkat, jabatan, disabled FROM people";

fn official(row: &rusqlite::Row<'_>) -> rusqlite::Result<Official> {
    let role: String = row.get(3)?;
    Ok(Official {
        username: row.get(0)?,
        name: row.get(1)?,
        nip: row.get(2)?,
        role: parse_name("role", &role, "").unwrap_or(crate::schedule::Role::Staf),
        pangkat: row.get(4)?,
        jabatan: row.get(5)?,
        disabled: row.get(6)?,
    })
}

impl Catalog {
    /// A person with what a letter prints about them.
    pub fn official(&self, username: &str) -> Result<Option<Official>> {
        let conn = self.conn();
        let row = conn
            .prepare_cached(&format!("{OFFICIAL} WHERE username = ?1"))?
            .query_row([username], official)
            .optional()?;
        Ok(row)
    }

    /// Everyone, with letter details, by username.
    pub fn officials(&self) -> Result<Vec<Official>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!("{OFFICIAL} ORDER BY username"))?;
        let rows = stmt
            .query_map([], official)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Sets a person's pangkat/golongan and jabatan (`None` or empty clears).
    pub fn set_letter_details(
        &self,
        username: &str,
        pangkat: Option<&str>,
        jabatan: Option<&str>,
    ) -> Result<()> {
        crate::text::single_line_opt("pangkat", pangkat, crate::text::SHORT)?;
        crate::text::single_line_opt("jabatan", jabatan, crate::text::PLACE)?;
        let clean = |v: Option<&str>| {
            v.map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let changed = self.conn().execute(
            "UPDATE people SET pangkat = ?2, jabatan = ?3 WHERE username = ?1",
            params![username, clean(pangkat), clean(jabatan)],
        )?;
        if changed == 0 {
            return Err(Error::NotFound(format!("username: no person {username}")));
        }
        Ok(())
    }

    /// Issues the assignment's letter, or re-issues its live one.
    ///
    /// In one IMMEDIATE transaction: a live letter keeps its number and issue
    /// date and gets a new rendering (and signer); otherwise the next number of
    /// `req.year` is taken (`number_of(seq)`). `render(number, issued_at_ms)`
    /// draws the PDF inside the transaction, so no number exists without its
    /// letter. The assignment moves to `letter_issued` unless it is further
    /// along. Returns the record and whether it was a re-issue.
    pub fn issue_letter(
        &self,
        req: &IssueLetter<'_>,
        number_of: impl FnOnce(i64) -> String,
        render: impl FnOnce(&str, i64) -> Result<Vec<u8>>,
    ) -> Result<(LetterRecord, bool)> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let exists = tx
            .prepare_cached("SELECT 1 FROM assignments WHERE id = ?1")?
            .exists([req.assignment_id])?;
        if !exists {
            return Err(Error::NotFound(format!(
                "assignment {} does not exist",
                req.assignment_id
            )));
        }
        let live = tx
            .prepare_cached(&format!(
                "{LETTER} WHERE assignment_id = ?1 AND cancelled_at_ms IS NULL"
            ))?
            .query_row([req.assignment_id], letter)
            .optional()?;
        let reissued = live.is_some();
        let id = match live {
            Some(old) => {
                let pdf = render(&old.number, old.issued_at_ms)?;
                tx.execute(
                    "UPDATE letters SET signer = ?2, out_of_town = ?3, rendered_at_ms = ?4, pdf = ?5 WHERE id = ?1",
                    params![old.id, req.signer, req.out_of_town, req.now_ms, pdf],
                )?;
                old.id
            }
            None => {
                let seq: i64 = tx.query_row(
                    "SELECT COALESCE(MAX(seq), 0) + 1 FROM letters WHERE year = ?1",
                    [req.year],
                    |r| r.get(0),
                )?;
                let number = number_of(seq);
                let pdf = render(&number, req.now_ms)?;
                tx.execute(
                    "INSERT INTO letters (assignment_id, year, seq, number, signer, out_of_town, issued_by,
                        issued_at_ms, rendered_at_ms, pdf)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8, ?9)",
                    params![
                        req.assignment_id,
                        req.year,
                        seq,
                        number,
                        req.signer,
                        req.out_of_town,
                        req.by,
                        req.now_ms,
                        pdf
                    ],
                )?;
                tx.last_insert_rowid()
            }
        };
        tx.execute(
            "UPDATE assignments SET status = 'letter_issued' WHERE id = ?1 AND status IN ('planned', 'assigned')",
            [req.assignment_id],
        )?;
        let record = tx.query_row(&format!("{LETTER} WHERE id = ?1"), [id], letter)?;
        tx.commit()?;
        Ok((record, reissued))
    }

    /// Cancels the assignment's live letter: the row and its number stay, marked
    /// cancelled with who, when and why. An assignment at `letter_issued` goes
    /// back to `assigned`.
    pub fn cancel_letter(
        &self,
        assignment_id: i64,
        by: &str,
        reason: &str,
        now_ms: i64,
    ) -> Result<LetterRecord> {
        crate::text::multi_line("reason", reason, crate::text::NOTE)?;
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let live = tx
            .query_row(
                &format!("{LETTER} WHERE assignment_id = ?1 AND cancelled_at_ms IS NULL"),
                [assignment_id],
                letter,
            )
            .optional()?
            .ok_or_else(|| {
                Error::NotFound(format!(
                    "assignment {assignment_id} has no letter to cancel"
                ))
            })?;
        tx.execute(
            "UPDATE letters SET cancelled_at_ms = ?2, cancelled_by = ?3, cancel_reason = ?4 WHERE id = ?1",
            params![live.id, now_ms, by, reason],
        )?;
        tx.execute(
            "UPDATE assignments SET status = 'assigned' WHERE id = ?1 AND status = 'letter_issued'",
            [assignment_id],
        )?;
        let record = tx.query_row(&format!("{LETTER} WHERE id = ?1"), [live.id], letter)?;
        tx.commit()?;
        Ok(record)
    }

    /// Every letter of an assignment, oldest first (cancelled ones included).
    pub fn letters_of(&self, assignment_id: i64) -> Result<Vec<LetterRecord>> {
        let conn = self.conn();
        let mut stmt =
            conn.prepare_cached(&format!("{LETTER} WHERE assignment_id = ?1 ORDER BY id"))?;
        let rows = stmt
            .query_map([assignment_id], letter)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The live letter's record and PDF.
    pub fn letter_pdf(&self, assignment_id: i64) -> Result<Option<(LetterRecord, Vec<u8>)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "{LETTER} WHERE assignment_id = ?1 AND cancelled_at_ms IS NULL"
        ))?;
        let Some(record) = stmt.query_row([assignment_id], letter).optional()? else {
            return Ok(None);
        };
        let pdf: Vec<u8> =
            conn.query_row("SELECT pdf FROM letters WHERE id = ?1", [record.id], |r| {
                r.get(0)
            })?;
        Ok(Some((record, pdf)))
    }

    /// The live letters of these assignments, by assignment.
    pub fn live_letters(&self, assignment_ids: &[i64]) -> Result<HashMap<i64, LetterRecord>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "{LETTER} WHERE assignment_id = ?1 AND cancelled_at_ms IS NULL"
        ))?;
        let mut out = HashMap::new();
        for id in assignment_ids {
            if let Some(record) = stmt.query_row([id], letter).optional()? {
                out.insert(*id, record);
            }
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::{AssignmentStatus, Event, Leader};

    fn catalog_with_assignments(
        n: usize,
    ) -> (tempfile::TempDir, std::sync::Arc<Catalog>, Vec<i64>) {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(&dir.path().join("c.sqlite")).unwrap();
        let t: jiff::Timestamp = "2026-11-27T00:00:00Z".parse().unwrap();
        let event = catalog
            .add_event(&Event {
                id: 0,
                title: "Rapat".into(),
                leader: Leader::Gubernur,
                location: "Tanjung Selor".into(),
                starts_at: t,
                ends_at: t,
                zone_seconds: 28800,
                out_of_town: false,
                source: None,
                lat: None,
                lon: None,
            })
            .unwrap();
        let ids = (0..n)
            .map(|_| {
                catalog
                    .add_assignment(event, "rapat", &[], AssignmentStatus::Assigned)
                    .unwrap()
            })
            .collect();
        (dir, std::sync::Arc::new(catalog), ids)
    }

    fn req(assignment_id: i64, year: i64) -> IssueLetter<'static> {
        IssueLetter {
            assignment_id,
            year,
            signer: "kadis",
            out_of_town: false,
            by: "kasi",
            now_ms: 1,
        }
    }

    fn person(catalog: &Catalog) {
        catalog
            .add_person(&crate::schedule::Person {
                username: "kadis".into(),
                name: "Kadis".into(),
                nip: None,
                role: crate::schedule::Role::Kadis,
                crew_roles: vec![],
                is_admin: false,
            })
            .unwrap();
    }

    #[test]
    fn numbers_are_consecutive_under_contention_and_kept_on_reissue_and_cancel() {
        let (_dir, catalog, ids) = catalog_with_assignments(20);
        person(&catalog);
        let threads: Vec<_> = ids
            .iter()
            .map(|&id| {
                let catalog = catalog.clone();
                std::thread::spawn(move || {
                    catalog
                        .issue_letter(&req(id, 2026), |s| format!("{s}"), |_, _| Ok(vec![1]))
                        .unwrap()
                        .0
                        .seq
                })
            })
            .collect();
        let mut seqs: Vec<i64> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        seqs.sort();
        assert_eq!(seqs, (1..=20).collect::<Vec<_>>());
        // Re-issue: same number.
        let (again, reissued) = catalog
            .issue_letter(&req(ids[0], 2026), |s| format!("{s}"), |_, _| Ok(vec![2]))
            .unwrap();
        assert!(reissued);
        assert_eq!(again.number, catalog.letters_of(ids[0]).unwrap()[0].number);
        assert_eq!(catalog.letter_pdf(ids[0]).unwrap().unwrap().1, vec![2]);
        // Cancel keeps the row; the next letter takes the next number.
        let cancelled = catalog
            .cancel_letter(ids[0], "kasi", "salah tanggal", 5)
            .unwrap();
        assert_eq!(cancelled.cancel_reason.as_deref(), Some("salah tanggal"));
        let (fresh, reissued) = catalog
            .issue_letter(&req(ids[0], 2026), |s| format!("{s}"), |_, _| Ok(vec![3]))
            .unwrap();
        assert!(!reissued);
        assert_eq!(fresh.seq, 21);
        assert_eq!(catalog.letters_of(ids[0]).unwrap().len(), 2);
        // A new year starts at 1.
        let (next_year, _) = catalog
            .issue_letter(&req(ids[1], 2027), |s| format!("{s}"), |_, _| Ok(vec![]))
            .unwrap();
        assert_eq!(next_year.year, 2026, "a live letter keeps its year");
        assert!(catalog.cancel_letter(ids[1], "kasi", "x", 6).is_ok());
        let (next_year, _) = catalog
            .issue_letter(&req(ids[1], 2027), |s| format!("{s}"), |_, _| Ok(vec![]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((next_year.seq, next_year.year), (1, 2027));
    }

    #[test]
    fn a_failed_rendering_takes_no_number() {
        let (_dir, catalog, ids) = catalog_with_assignments(2);
        person(&catalog);
        assert!(catalog
            .issue_letter(
                &req(ids[0], 2026),
                |s| format!("{s}"),
                |_, _| Err(Error::Invalid("x".into()))
            )
            .is_err());
        let (ok, _) = catalog
            .issue_letter(&req(ids[1], 2026), |s| format!("{s}"), |_, _| Ok(vec![]))
            .unwrap();
        assert_eq!(ok.seq, 1);
    }
}
