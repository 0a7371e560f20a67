//! Logins: password hashes, sessions, API tokens, failed-login counts and the
//! audit log. Secrets arrive in clear and are stored as `auth::secret_hash`.

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use super::{now_ms, Catalog};
use crate::auth::{new_secret, secret_hash, Viewer};
use crate::error::{Error, Result};
use crate::schedule::{name_of, parse_name, Role};

/// One line of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at_ms: i64,
    pub username: Option<String>,
    pub action: String,
    pub target: String,
    pub status: u16,
}

/// How long sessions live, in milliseconds.
#[derive(Debug, Clone, Copy)]
pub struct SessionLimits {
    pub idle_ms: i64,
    pub absolute_ms: i64,
}

pub(super) const VIEWER: &str = "SELECT p.username, p.name, p.role, p.is_admin FROM people p";

pub(super) fn viewer(row: &rusqlite::Row<'_>) -> rusqlite::Result<Viewer> {
    let role: String = row.get(2)?;
    Ok(Viewer {
        username: row.get(0)?,
        name: row.get(1)?,
        // Unknown roles (a newer catalog) get the least rights.
        role: parse_name("role", &role, "").unwrap_or(Role::Staf),
        is_admin: row.get(3)?,
    })
}

impl Catalog {
    /// Sets a password hash. A new password also revokes every API token of
    /// the account: whoever knew the old one may have made them.
    pub fn set_password(&self, username: &str, hash: &str) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let changed = tx.execute(
            "UPDATE people SET password_hash = ?2 WHERE username = ?1",
            params![username, hash],
        )?;
        if changed == 0 {
            return Err(Error::NotFound(format!("username: no person {username}")));
        }
        super::tokens::revoke_all(&tx, username, "kata sandi diganti")?;
        tx.commit()?;
        Ok(())
    }

    /// The person behind a login attempt and their password hash; `None` for
    /// unknown or disabled accounts.
    pub fn login_candidate(&self, username: &str) -> Result<Option<(Viewer, Option<String>)>> {
        let conn = self.conn();
        let row = conn
            .prepare_cached(
                "SELECT p.username, p.name, p.role, p.is_admin, p.password_hash FROM people p \
                 WHERE p.username = ?1 AND p.disabled = 0",
            )?
            .query_row([username], |row| Ok((viewer(row)?, row.get(4)?)))
            .optional()?;
        Ok(row)
    }

    /// Whether any enabled account may manage users (else the first start
    /// offers a one-time setup link).
    pub fn has_admin(&self) -> Result<bool> {
        let found: Option<i64> = self
            .conn()
            .query_row(
                "SELECT 1 FROM people WHERE is_admin = 1 AND disabled = 0 AND password_hash IS NOT NULL LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()?;
        Ok(found.is_some())
    }

    /// Changes what an account may do. Any change ends the account's
    /// sessions, so a demoted person is not left with old rights.
    pub fn update_account(
        &self,
        username: &str,
        role: Option<Role>,
        is_admin: Option<bool>,
        disabled: Option<bool>,
    ) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let changed = tx.execute(
            "UPDATE people SET role = coalesce(?2, role), is_admin = coalesce(?3, is_admin),
                               disabled = coalesce(?4, disabled) WHERE username = ?1",
            params![username, role.map(|r| name_of(&r)), is_admin, disabled],
        )?;
        if changed == 0 {
            return Err(Error::NotFound(format!("username: no person {username}")));
        }
        tx.execute("DELETE FROM sessions WHERE username = ?1", [username])?;
        if disabled == Some(true) {
            // Re-enabling the account later does not bring its tokens back.
            super::tokens::revoke_all(&tx, username, "akun dinonaktifkan")?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Whether an account is disabled (`None`: no such account).
    pub fn is_disabled(&self, username: &str) -> Result<Option<bool>> {
        Ok(self
            .conn()
            .query_row(
                "SELECT disabled FROM people WHERE username = ?1",
                [username],
                |row| row.get(0),
            )
            .optional()?)
    }

    /// Starts a session; returns the secret for the cookie.
    /// Starts a session; returns the secret for the cookie. Sessions that
    /// expired by `limits` are deleted here, at login, not on every request.
    pub fn start_session(&self, username: &str, limits: SessionLimits) -> Result<String> {
        let secret = new_secret()?;
        let now = now_ms();
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "DELETE FROM sessions WHERE seen_at_ms < ?1 OR created_at_ms < ?2",
            params![now - limits.idle_ms, now - limits.absolute_ms],
        )?;
        tx.execute(
            "INSERT INTO sessions (id_hash, username, created_at_ms, seen_at_ms) VALUES (?1, ?2, ?3, ?3)",
            params![secret_hash(&secret), username, now],
        )?;
        tx.commit()?;
        Ok(secret)
    }

    /// The person a session cookie stands for, if the session is alive.
    pub fn session_viewer(&self, secret: &str, limits: SessionLimits) -> Result<Option<Viewer>> {
        self.session_viewer_at(secret, limits, now_ms())
    }

    /// `session_viewer` at the instant `now`. Expiry is part of the lookup, so
    /// a request only writes when the session's "seen" time is a minute old
    /// (a synced commit per request would cost every page a disk flush).
    fn session_viewer_at(
        &self,
        secret: &str,
        limits: SessionLimits,
        now: i64,
    ) -> Result<Option<Viewer>> {
        const SEEN_GRANULARITY_MS: i64 = 60_000;
        let conn = self.conn();
        let id = secret_hash(secret);
        let found = conn
            .prepare_cached(
                "SELECT p.username, p.name, p.role, p.is_admin, s.seen_at_ms \
                 FROM people p JOIN sessions s ON s.username = p.username \
                 WHERE s.id_hash = ?1 AND p.disabled = 0 AND s.seen_at_ms >= ?2 AND s.created_at_ms >= ?3",
            )?
            .query_row(
                params![&id, now - limits.idle_ms, now - limits.absolute_ms],
                |row| Ok((viewer(row)?, row.get::<_, i64>(4)?)),
            )
            .optional()?;
        let Some((found, seen)) = found else {
            return Ok(None);
        };
        if now - seen >= SEEN_GRANULARITY_MS {
            conn.prepare_cached("UPDATE sessions SET seen_at_ms = ?2 WHERE id_hash = ?1")?
                .execute(params![id, now])?;
        }
        Ok(Some(found))
    }

    pub fn end_session(&self, secret: &str) -> Result<()> {
        self.conn().execute(
            "DELETE FROM sessions WHERE id_hash = ?1",
            [secret_hash(secret)],
        )?;
        Ok(())
    }

    /// Ends every session of an account except `keep` (after a password change).
    pub fn end_other_sessions(&self, username: &str, keep: Option<&str>) -> Result<()> {
        let keep = keep.map(secret_hash).unwrap_or_default();
        self.conn().execute(
            "DELETE FROM sessions WHERE username = ?1 AND id_hash != ?2",
            params![username, keep],
        )?;
        Ok(())
    }

    /// Records a failed login; failures older than `forget_before_ms` (past
    /// the throttle's window) are deleted as new ones arrive, so the table
    /// holds one window's worth at most.
    pub fn record_login_failure(
        &self,
        username: &str,
        addr: &str,
        forget_before_ms: i64,
    ) -> Result<()> {
        let now = now_ms();
        let conn = self.conn();
        conn.prepare_cached("DELETE FROM login_failures WHERE at_ms < ?1")?
            .execute([forget_before_ms])?;
        conn.prepare_cached(
            "INSERT INTO login_failures (username, addr, at_ms) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![username, addr, now])?;
        Ok(())
    }

    /// Failures of this username from this address since `since_ms`: how
    /// many, and when the latest was.
    pub fn login_failures(
        &self,
        username: &str,
        addr: &str,
        since_ms: i64,
    ) -> Result<(u32, Option<i64>)> {
        Ok(self.conn().prepare_cached(
            "SELECT count(*), max(at_ms) FROM login_failures WHERE username = ?1 AND addr = ?2 AND at_ms >= ?3",
        )?
        .query_row(params![username, addr, since_ms], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })?)
    }

    pub fn clear_login_failures(&self, username: &str, addr: &str) -> Result<()> {
        self.conn().execute(
            "DELETE FROM login_failures WHERE username = ?1 AND addr = ?2",
            params![username, addr],
        )?;
        Ok(())
    }

    /// Gives the browser that just logged in as `username` a device secret
    /// (returned for its cookie). Each account keeps its newest
    /// `MAX_DEVICES`; secrets older than `forget_before_ms` are dropped.
    pub fn remember_device(&self, username: &str, forget_before_ms: i64) -> Result<String> {
        const MAX_DEVICES: i64 = 20;
        let secret = new_secret()?;
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        tx.execute(
            "INSERT INTO login_devices (token_hash, username, created_at_ms) VALUES (?1, ?2, ?3)",
            params![secret_hash(&secret), username, now_ms()],
        )?;
        tx.execute(
            "DELETE FROM login_devices WHERE created_at_ms < ?1 OR token_hash IN (
                 SELECT token_hash FROM login_devices WHERE username = ?2
                 ORDER BY created_at_ms DESC LIMIT -1 OFFSET ?3)",
            params![forget_before_ms, username, MAX_DEVICES],
        )?;
        tx.commit()?;
        Ok(secret)
    }

    /// Whether `secret` is a device cookie given to `username` since
    /// `since_ms`.
    pub fn is_device_of(&self, secret: &str, username: &str, since_ms: i64) -> Result<bool> {
        let found: Option<i64> = self
            .conn()
            .prepare_cached(
                "SELECT 1 FROM login_devices WHERE token_hash = ?1 AND username = ?2 AND created_at_ms >= ?3",
            )?
            .query_row(params![secret_hash(secret), username, since_ms], |row| {
                row.get(0)
            })
            .optional()?;
        Ok(found.is_some())
    }

    /// The setup link's account: inserted with its password only while no
    /// enabled admin exists, checked and written in one write transaction,
    /// so concurrent uses of the link make one admin and the rest get a
    /// `Conflict`.
    pub fn add_first_admin(&self, p: &crate::schedule::Person, password_hash: &str) -> Result<()> {
        let mut conn = self.conn();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let admin: Option<i64> = tx
            .query_row(
                "SELECT 1 FROM people WHERE is_admin = 1 AND disabled = 0 AND password_hash IS NOT NULL LIMIT 1",
                [],
                |row| row.get(0),
            )
            .optional()?;
        if admin.is_some() {
            return Err(Error::Conflict("setup: an admin already exists".into()));
        }
        let crew = serde_json::to_string(&p.crew_roles).unwrap_or_else(|_| "[]".into());
        let inserted = tx.execute(
            "INSERT INTO people (username, name, nip, role, crew_roles, is_admin, created_at_ms, password_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, 1, ?6, ?7) ON CONFLICT (username) DO NOTHING",
            params![p.username, p.name, p.nip, name_of(&p.role), crew, now_ms(), password_hash],
        )?;
        if inserted == 0 {
            return Err(Error::Invalid(format!(
                "username: {} already exists",
                p.username
            )));
        }
        tx.execute(
            "INSERT INTO audit (at_ms, username, action, target, status) VALUES (?1, ?2, ?3, ?4, 201)",
            params![now_ms(), p.username, "setup: first admin", p.username],
        )?;
        tx.commit()?;
        Ok(())
    }

    pub fn audit(
        &self,
        username: Option<&str>,
        action: &str,
        target: &str,
        status: u16,
    ) -> Result<()> {
        self.conn()
            .prepare_cached(
                "INSERT INTO audit (at_ms, username, action, target, status) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![now_ms(), username, action, target, status])?;
        Ok(())
    }

    /// The newest `limit` audit lines with ids below `before` (paging back).
    pub fn audit_log(&self, limit: u32, before: Option<i64>) -> Result<Vec<AuditEntry>> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, at_ms, username, action, target, status FROM audit
             WHERE id < ?1 ORDER BY id DESC LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(params![before.unwrap_or(i64::MAX), limit], |row| {
                Ok(AuditEntry {
                    id: row.get(0)?,
                    at_ms: row.get(1)?,
                    username: row.get(2)?,
                    action: row.get(3)?,
                    target: row.get(4)?,
                    status: row.get(5)?,
                })
            })?
            .collect::<rusqlite::Result<_>>()?;
        Ok(rows)
    }
}

impl Catalog {
    /// Whether `username` is on the crew of assignment `assignment_id`.
    pub fn is_crew(&self, assignment_id: i64, username: &str) -> Result<bool> {
        let found: Option<i64> = self
            .conn()
            .prepare_cached("SELECT 1 FROM crew WHERE assignment_id = ?1 AND username = ?2")?
            .query_row(params![assignment_id, username], |row| row.get(0))
            .optional()?;
        Ok(found.is_some())
    }

    /// The assignment an asset is tagged to (`None`: untagged or unknown).
    pub fn assignment_of_asset(&self, asset_id: &str) -> Result<Option<i64>> {
        let found: Option<Option<i64>> = self
            .conn()
            .prepare_cached("SELECT assignment_id FROM assets WHERE id = ?1")?
            .query_row([asset_id], |row| row.get(0))
            .optional()?;
        Ok(found.flatten())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_end_after_the_idle_and_the_absolute_limit() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(&dir.path().join("c.sqlite")).unwrap();
        let person = crate::schedule::new_person("sari", "Sari", "staf", &[], None, false).unwrap();
        catalog.add_person(&person).unwrap();
        let limits = SessionLimits {
            idle_ms: 10 * 60_000,
            absolute_ms: 60 * 60_000,
        };
        let secret = catalog.start_session("sari", limits).unwrap();
        let at = |ms: i64| {
            catalog
                .session_viewer_at(&secret, limits, now_ms() + ms)
                .unwrap()
        };
        assert_eq!(at(0).map(|v| v.username), Some("sari".into()));
        // Seen 9 minutes later keeps it alive for 10 more...
        assert!(at(9 * 60_000).is_some());
        assert!(at(18 * 60_000).is_some());
        // ...but 11 idle minutes after that it is gone.
        assert!(at(30 * 60_000).is_none());
        // Used every few minutes, it still ends at the absolute limit.
        let secret = catalog.start_session("sari", limits).unwrap();
        let at = |ms: i64| {
            catalog
                .session_viewer_at(&secret, limits, now_ms() + ms)
                .unwrap()
        };
        for minute in (5..60).step_by(5) {
            assert!(at(minute * 60_000).is_some(), "minute {minute}");
        }
        assert!(at(61 * 60_000).is_none());
    }

    #[test]
    fn only_one_first_admin_and_devices_are_bound_to_their_username() {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(&dir.path().join("c.sqlite")).unwrap();
        let first = crate::schedule::new_person("ani", "Ani", "kasi", &[], None, true).unwrap();
        catalog.add_first_admin(&first, "$argon2id$hash").unwrap();
        let second = crate::schedule::new_person("budi", "Budi", "kasi", &[], None, true).unwrap();
        let err = catalog
            .add_first_admin(&second, "$argon2id$hash")
            .unwrap_err();
        assert!(matches!(err, Error::Conflict(_)), "{err}");
        assert!(catalog.login_candidate("budi").unwrap().is_none());

        let device = catalog.remember_device("ani", 0).unwrap();
        assert!(catalog.is_device_of(&device, "ani", 0).unwrap());
        assert!(!catalog.is_device_of(&device, "budi", 0).unwrap());
        assert!(
            !catalog.is_device_of(&device, "ani", now_ms() + 1).unwrap(),
            "expired"
        );
        for _ in 0..25 {
            catalog.remember_device("ani", 0).unwrap();
        }
        let kept: i64 = catalog
            .conn()
            .query_row("SELECT count(*) FROM login_devices", [], |r| r.get(0))
            .unwrap();
        assert_eq!(kept, 20);
    }
}
