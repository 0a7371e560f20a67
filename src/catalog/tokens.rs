//! API bearer tokens: created with an expiry, listed, revoked. A token is
//! stored as `auth::secret_hash` of its secret; its public id is the first 12
//! hex digits of that hash (it names the token in lists and `token revoke`
//! without revealing anything that lets one use it). Revoked tokens are kept,
//! with when and why, until they would have expired anyway.

use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use super::accounts::{viewer, VIEWER};
use super::{now_ms, Catalog};
use crate::auth::{new_secret, secret_hash, Viewer};
use crate::error::{Error, Result};

/// Characters of the token hash that make its public id.
const ID_CHARS: usize = 12;

/// What became of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenState {
    Active,
    Expired,
    Revoked,
}

/// One token as `liputan token list` shows it (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TokenRecord {
    pub id: String,
    pub username: String,
    pub created_at_ms: i64,
    pub expires_at_ms: i64,
    pub revoked_at_ms: Option<i64>,
    pub revoked_why: Option<String>,
    pub state: TokenState,
}

impl Catalog {
    /// Creates an API bearer token valid for `valid_ms`; returns it (shown
    /// once). Disabled accounts get none.
    pub fn create_token(&self, username: &str, valid_ms: i64) -> Result<String> {
        match self.is_disabled(username)? {
            None => {
                return Err(Error::NotFound(format!(
                    "username: tidak ada pengguna {username}"
                )))
            }
            Some(true) => {
                return Err(Error::Invalid(format!(
                    "username: akun {username} dinonaktifkan; aktifkan dulu"
                )))
            }
            Some(false) => {}
        }
        let secret = new_secret()?;
        let now = now_ms();
        let conn = self.conn();
        // Revoked and expired tokens are kept for the list until they would
        // have expired a month ago: the table stays small.
        conn.execute(
            "DELETE FROM api_tokens WHERE expires_at_ms < ?1",
            [now - 30 * 86_400_000],
        )?;
        conn.execute(
            "INSERT INTO api_tokens (token_hash, username, created_at_ms, expires_at_ms) \
             VALUES (?1, ?2, ?3, ?4)",
            params![
                secret_hash(&secret),
                username,
                now,
                now.saturating_add(valid_ms)
            ],
        )?;
        Ok(secret)
    }

    /// The person a bearer token acts for: only an active token (not expired,
    /// not revoked) of an enabled account.
    pub fn token_viewer(&self, secret: &str) -> Result<Option<Viewer>> {
        let conn = self.conn();
        let found = conn
            .prepare_cached(&format!(
                "{VIEWER} JOIN api_tokens t ON t.username = p.username \
                 WHERE t.token_hash = ?1 AND p.disabled = 0 \
                   AND t.revoked_at_ms IS NULL AND t.expires_at_ms > ?2"
            ))?
            .query_row(params![secret_hash(secret), now_ms()], viewer)
            .optional()?;
        Ok(found)
    }

    /// Tokens of `username` (everyone's when `None`), newest first.
    pub fn tokens(&self, username: Option<&str>) -> Result<Vec<TokenRecord>> {
        let now = now_ms();
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT token_hash, username, created_at_ms, expires_at_ms, revoked_at_ms, revoked_why \
             FROM api_tokens WHERE ?1 IS NULL OR username = ?1 \
             ORDER BY created_at_ms DESC, token_hash",
        )?;
        let rows = stmt.query_map([username], |row| {
            let hash: String = row.get(0)?;
            let expires_at_ms: i64 = row.get(3)?;
            let revoked_at_ms: Option<i64> = row.get(4)?;
            Ok(TokenRecord {
                id: hash.chars().take(ID_CHARS).collect(),
                username: row.get(1)?,
                created_at_ms: row.get(2)?,
                expires_at_ms,
                revoked_at_ms,
                revoked_why: row.get(5)?,
                state: match revoked_at_ms {
                    Some(_) => TokenState::Revoked,
                    None if expires_at_ms <= now => TokenState::Expired,
                    None => TokenState::Active,
                },
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<_>>()?)
    }

    /// Revokes the token whose id is `id` (see `TokenRecord::id`); returns
    /// its owner. Revoking a revoked token again changes nothing.
    pub fn revoke_token(&self, id: &str, why: &str) -> Result<String> {
        let id = id.trim().to_ascii_lowercase();
        if id.len() != ID_CHARS || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::Invalid(format!(
                "id: {id:?} bukan id token ({ID_CHARS} digit heksadesimal, lihat `liputan token list`)"
            )));
        }
        let mut conn = self.conn();
        let tx = conn.transaction()?;
        let owner: Option<String> = tx
            .query_row(
                "SELECT username FROM api_tokens WHERE substr(token_hash, 1, ?2) = ?1",
                params![id, ID_CHARS as i64],
                |row| row.get(0),
            )
            .optional()?;
        let owner = owner.ok_or_else(|| Error::NotFound(format!("id: tidak ada token {id}")))?;
        tx.execute(
            "UPDATE api_tokens SET revoked_at_ms = ?3, revoked_why = ?4 \
             WHERE substr(token_hash, 1, ?2) = ?1 AND revoked_at_ms IS NULL",
            params![id, ID_CHARS as i64, now_ms(), why],
        )?;
        tx.commit()?;
        Ok(owner)
    }

    /// Revokes every active token of `username` (`token revoke --user`);
    /// returns how many.
    pub fn revoke_tokens_of(&self, username: &str, why: &str) -> Result<usize> {
        revoke_all(&self.conn(), username, why)
    }

    /// Revokes the token with this secret (`POST /api/logout` with a bearer
    /// token: logging out ends the credential used).
    pub fn revoke_token_secret(&self, secret: &str, why: &str) -> Result<()> {
        self.conn().execute(
            "UPDATE api_tokens SET revoked_at_ms = ?2, revoked_why = ?3 \
             WHERE token_hash = ?1 AND revoked_at_ms IS NULL",
            params![secret_hash(secret), now_ms(), why],
        )?;
        Ok(())
    }
}

/// Revokes every active token of `username` on `conn`, which may be inside
/// a caller's transaction (a new password, a disabled account); returns how many.
pub(super) fn revoke_all(conn: &rusqlite::Connection, username: &str, why: &str) -> Result<usize> {
    Ok(conn.execute(
        "UPDATE api_tokens SET revoked_at_ms = ?2, revoked_why = ?3 \
         WHERE username = ?1 AND revoked_at_ms IS NULL",
        params![username, now_ms(), why],
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schedule::new_person;

    fn catalog_with(username: &str) -> (tempfile::TempDir, Catalog) {
        let dir = tempfile::tempdir().unwrap();
        let catalog = Catalog::open(&dir.path().join("c.sqlite")).unwrap();
        let person = new_person(username, "Budi Santoso", "staf", &[], None, false).unwrap();
        catalog.add_person(&person).unwrap();
        (dir, catalog)
    }

    #[test]
    fn a_token_works_until_it_expires_or_is_revoked() {
        let (_dir, catalog) = catalog_with("budi");
        let day = 86_400_000;
        let token = catalog.create_token("budi", day).unwrap();
        assert_eq!(
            catalog.token_viewer(&token).unwrap().unwrap().username,
            "budi"
        );

        let expired = catalog.create_token("budi", -1).unwrap();
        assert_eq!(catalog.token_viewer(&expired).unwrap(), None);

        let list = catalog.tokens(Some("budi")).unwrap();
        assert_eq!(list.len(), 2);
        let live = list.iter().find(|t| t.state == TokenState::Active).unwrap();
        assert_eq!(live.id.len(), ID_CHARS);
        assert!(!token.starts_with(&live.id), "the id is not the secret");
        assert!(list.iter().any(|t| t.state == TokenState::Expired));

        assert_eq!(catalog.revoke_token(&live.id, "test").unwrap(), "budi");
        assert_eq!(catalog.token_viewer(&token).unwrap(), None);
        let list = catalog.tokens(None).unwrap();
        assert!(list.iter().any(|t| t.state == TokenState::Revoked));
        assert!(catalog.revoke_token("zz", "x").is_err());
        assert!(matches!(
            catalog.revoke_token("0123456789ab", "x"),
            Err(Error::NotFound(_))
        ));
    }

    #[test]
    fn a_users_tokens_are_revoked_together_and_disabled_accounts_get_none() {
        let (_dir, catalog) = catalog_with("budi");
        let a = catalog.create_token("budi", 86_400_000).unwrap();
        let b = catalog.create_token("budi", 86_400_000).unwrap();
        assert_eq!(catalog.revoke_tokens_of("budi", "test").unwrap(), 2);
        assert_eq!(catalog.token_viewer(&a).unwrap(), None);
        assert_eq!(catalog.token_viewer(&b).unwrap(), None);
        catalog
            .update_account("budi", None, None, Some(true))
            .unwrap();
        assert!(catalog.create_token("budi", 86_400_000).is_err());
        assert!(catalog.create_token("nobody", 86_400_000).is_err());
    }
}
