//! The schedule's tables: people, cameras, roster, events, assignments and
//! crews. Plain reads and writes of the domain types in `crate::schedule`;
//! validation happens before these are called.

use rusqlite::{params, OptionalExtension};

use super::{now_ms, Catalog};
use crate::error::{Error, Result};
use crate::schedule::{
    name_of, parse_name, serial_key, Assignment, AssignmentStatus, Camera, CrewMember, Event,
    Person,
};

fn person(row: &rusqlite::Row<'_>) -> rusqlite::Result<Person> {
    let role: String = row.get(3)?;
    let crew: String = row.get(4)?;
    Ok(Person {
        username: row.get(0)?,
        name: row.get(1)?,
        nip: row.get(2)?,
        role: parse_name("role", &role, "").unwrap_or(crate::schedule::Role::Staf),
        crew_roles: serde_json::from_str(&crew).unwrap_or_default(),
        is_admin: row.get(5)?,
    })
}

fn camera(row: &rusqlite::Row<'_>) -> rusqlite::Result<Camera> {
    Ok(Camera {
        serial: row.get(0)?,
        make: row.get(1)?,
        model: row.get(2)?,
        owner: row.get(3)?,
        clock_offset_seconds: row.get(4)?,
        offset_source: row.get(5)?,
    })
}

fn event(row: &rusqlite::Row<'_>) -> rusqlite::Result<Event> {
    let leader: String = row.get(2)?;
    let ts = |ms: i64| jiff::Timestamp::from_millisecond(ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    Ok(Event {
        id: row.get(0)?,
        title: row.get(1)?,
        leader: parse_name("leader", &leader, "").unwrap_or(crate::schedule::Leader::Lainnya),
        location: row.get(3)?,
        starts_at: ts(row.get(4)?),
        ends_at: ts(row.get(5)?),
        zone_seconds: row.get(6)?,
        out_of_town: row.get(7)?,
        source: row.get(8)?,
        lat: row.get(9)?,
        lon: row.get(10)?,
    })
}

const PERSON: &str = "SELECT username, name, nip, role, crew_roles, is_admin FROM people";
const CAMERA: &str =
    "SELECT serial, make, model, owner, clock_offset_seconds, offset_source FROM cameras";
const EVENT: &str =
    "SELECT id, title, leader, location, starts_at_ms, ends_at_ms, zone_seconds, out_of_town, source, lat, lon FROM events";

impl Catalog {
    pub fn add_person(&self, p: &Person) -> Result<()> {
        p.check_text()?;
        let crew = serde_json::to_string(&p.crew_roles).unwrap_or_else(|_| "[]".into());
        let inserted = self.conn().execute(
            "INSERT INTO people (username, name, nip, role, crew_roles, is_admin, created_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (username) DO NOTHING",
            params![
                p.username,
                p.name,
                p.nip,
                name_of(&p.role),
                crew,
                p.is_admin,
                now_ms()
            ],
        )?;
        if inserted == 0 {
            return Err(Error::Conflict(format!(
                "username: {} already exists",
                p.username
            )));
        }
        Ok(())
    }

    pub fn people(&self) -> Result<Vec<Person>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!("{PERSON} ORDER BY username"))?;
        let rows = stmt
            .query_map([], person)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn person(&self, username: &str) -> Result<Option<Person>> {
        let conn = self.conn();
        let row = conn
            .prepare_cached(&format!("{PERSON} WHERE username = ?1"))?
            .query_row([username], person)
            .optional()?;
        Ok(row)
    }

    pub fn add_camera(&self, c: &Camera) -> Result<()> {
        c.check_text()?;
        let inserted = self.conn().execute(
            "INSERT INTO cameras (serial, serial_key, make, model, owner, clock_offset_seconds, offset_source, offset_learned_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
            params![
                c.serial,
                serial_key(&c.serial),
                c.make,
                c.model,
                c.owner,
                c.clock_offset_seconds,
                c.offset_source,
                c.offset_source.as_ref().map(|_| now_ms())
            ],
        )?;
        if inserted == 0 {
            return Err(Error::Conflict(format!(
                "serial: camera {} is already registered",
                c.serial
            )));
        }
        Ok(())
    }

    pub fn cameras(&self) -> Result<Vec<Camera>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(&format!("{CAMERA} ORDER BY serial"))?;
        let rows = stmt
            .query_map([], camera)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// The camera registered under this serial (compared normalised).
    pub fn camera(&self, serial: &str) -> Result<Option<Camera>> {
        let conn = self.conn();
        let row = conn
            .prepare_cached(&format!("{CAMERA} WHERE serial_key = ?1"))?
            .query_row([serial_key(serial)], camera)
            .optional()?;
        Ok(row)
    }

    /// Changes a camera's owner and/or clock offset; `source` says how the offset was learned.
    pub fn update_camera(
        &self,
        serial: &str,
        owner: Option<&str>,
        offset: Option<(i64, &str)>,
    ) -> Result<()> {
        let conn = self.conn();
        let key = serial_key(serial);
        if let Some(owner) = owner {
            conn.execute(
                "UPDATE cameras SET owner = ?2 WHERE serial_key = ?1",
                params![key, owner],
            )?;
        }
        if let Some((seconds, source)) = offset {
            conn.execute(
                "UPDATE cameras SET clock_offset_seconds = ?2, offset_source = ?3, offset_learned_at_ms = ?4 WHERE serial_key = ?1",
                params![key, seconds, source, now_ms()],
            )?;
        }
        Ok(())
    }

    /// Replaces the roster of the days given (a month's grid is sent whole).
    pub fn set_roster(&self, days: &[(String, Vec<String>)]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        for (day, people) in days {
            tx.execute("DELETE FROM roster WHERE day = ?1", [day])?;
            for username in people {
                tx.execute(
                    "INSERT OR IGNORE INTO roster (day, username) VALUES (?1, ?2)",
                    params![day, username],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Who is on duty each day whose date starts with `prefix` (e.g. "2026-11").
    pub fn roster(&self, prefix: &str) -> Result<Vec<(String, String)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT day, username FROM roster WHERE day LIKE ?1 || '%' ORDER BY day, username",
        )?;
        let rows = stmt
            .query_map([prefix], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    pub fn add_event(&self, e: &Event) -> Result<i64> {
        e.check_text()?;
        let conn = self.conn();
        conn.execute(
            "INSERT INTO events (title, leader, location, starts_at_ms, ends_at_ms, zone_seconds, out_of_town, source, lat, lon, created_at_ms)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                e.title,
                name_of(&e.leader),
                e.location,
                e.starts_at.as_millisecond(),
                e.ends_at.as_millisecond(),
                e.zone_seconds,
                e.out_of_town,
                e.source,
                e.lat,
                e.lon,
                now_ms()
            ],
        )?;
        Ok(conn.last_insert_rowid())
    }

    pub fn update_event(&self, e: &Event) -> Result<()> {
        e.check_text()?;
        self.conn().execute(
            "UPDATE events SET title = ?2, leader = ?3, location = ?4, starts_at_ms = ?5, ends_at_ms = ?6, zone_seconds = ?7,
                out_of_town = ?8, source = ?9, lat = ?10, lon = ?11 WHERE id = ?1",
            params![
                e.id,
                e.title,
                name_of(&e.leader),
                e.location,
                e.starts_at.as_millisecond(),
                e.ends_at.as_millisecond(),
                e.zone_seconds,
                e.out_of_town,
                e.source,
                e.lat,
                e.lon
            ],
        )?;
        Ok(())
    }

    pub fn event(&self, id: i64) -> Result<Option<Event>> {
        let conn = self.conn();
        let row = conn
            .prepare_cached(&format!("{EVENT} WHERE id = ?1"))?
            .query_row([id], event)
            .optional()?;
        Ok(row)
    }

    /// Events overlapping `[from, to)` (unix ms), earliest first.
    pub fn events_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<Event>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "{EVENT} WHERE starts_at_ms < ?2 AND ends_at_ms >= ?1 ORDER BY starts_at_ms, id"
        ))?;
        let rows = stmt
            .query_map(params![from_ms, to_ms], event)?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }

    /// Creates an assignment; its archive folder is `<slug>-<id>`, fixed from now on.
    pub fn add_assignment(
        &self,
        event_id: i64,
        slug: &str,
        crew: &[CrewMember],
        status: AssignmentStatus,
    ) -> Result<i64> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO assignments (event_id, status, folder, created_at_ms) VALUES (?1, ?2, '', ?3)",
            params![event_id, name_of(&status), now_ms()],
        )?;
        let id = tx.last_insert_rowid();
        tx.execute(
            "UPDATE assignments SET folder = ?2 WHERE id = ?1",
            params![id, format!("{slug}-{id}")],
        )?;
        for member in crew {
            tx.execute(
                "INSERT INTO crew (assignment_id, username, role) VALUES (?1, ?2, ?3)",
                params![id, member.username, name_of(&member.role)],
            )?;
        }
        tx.commit()?;
        Ok(id)
    }

    /// Replaces an assignment's crew.
    pub fn set_crew(&self, assignment_id: i64, crew: &[CrewMember]) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM crew WHERE assignment_id = ?1", [assignment_id])?;
        for member in crew {
            tx.execute(
                "INSERT INTO crew (assignment_id, username, role) VALUES (?1, ?2, ?3)",
                params![assignment_id, member.username, name_of(&member.role)],
            )?;
        }
        tx.commit()?;
        Ok(())
    }

    pub fn set_assignment_status(&self, id: i64, status: AssignmentStatus) -> Result<()> {
        self.conn().execute(
            "UPDATE assignments SET status = ?2 WHERE id = ?1",
            params![id, name_of(&status)],
        )?;
        Ok(())
    }

    pub fn assignment(&self, id: i64) -> Result<Option<Assignment>> {
        Ok(self
            .assignments_where("a.id = ?1", params![id])?
            .into_iter()
            .next())
    }

    pub fn assignments_of_event(&self, event_id: i64) -> Result<Vec<Assignment>> {
        self.assignments_where("a.event_id = ?1", params![event_id])
    }

    /// Assignments whose events overlap `[from, to)`, with their events.
    pub fn slots_between(&self, from_ms: i64, to_ms: i64) -> Result<Vec<(Assignment, Event)>> {
        let events = self.events_between(from_ms, to_ms)?;
        let mut out = Vec::new();
        for event in events {
            for assignment in self.assignments_of_event(event.id)? {
                out.push((assignment, event.clone()));
            }
        }
        Ok(out)
    }

    fn assignments_where(
        &self,
        condition: &str,
        args: impl rusqlite::Params,
    ) -> Result<Vec<Assignment>> {
        let conn = self.conn();
        let sql = format!(
            "SELECT a.id, a.event_id, a.status, a.folder, c.username, c.role
             FROM assignments a LEFT JOIN crew c ON c.assignment_id = a.id
             WHERE {condition} ORDER BY a.id, c.username"
        );
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt.query(args)?;
        let mut out: Vec<Assignment> = Vec::new();
        while let Some(row) = rows.next()? {
            let id: i64 = row.get(0)?;
            if out.last().map(|a| a.id) != Some(id) {
                let status: String = row.get(2)?;
                out.push(Assignment {
                    id,
                    event_id: row.get(1)?,
                    status: parse_name("status", &status, "").unwrap_or(AssignmentStatus::Assigned),
                    folder: row.get(3)?,
                    crew: Vec::new(),
                });
            }
            if let (Some(username), Some(role)) = (
                row.get::<_, Option<String>>(4)?,
                row.get::<_, Option<String>>(5)?,
            ) {
                if let (Some(last), Ok(role)) = (out.last_mut(), parse_name("role", &role, "")) {
                    last.crew.push(CrewMember { username, role });
                }
            }
        }
        Ok(out)
    }

    /// Asset counts by kind for an assignment.
    pub fn counts_by_kind(&self, assignment_id: i64) -> Result<Vec<(String, u64)>> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT kind, count(*) FROM assets WHERE assignment_id = ?1 AND status = 'archived' GROUP BY kind",
        )?;
        let rows = stmt
            .query_map([assignment_id], |r| {
                Ok((r.get(0)?, r.get::<_, i64>(1)? as u64))
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}
