//! Who may do what: passwords (argon2id), secrets for sessions and tokens,
//! and the permission table of `design.md`. HTTP plumbing (cookies, the
//! per-route guard, CSRF) lives in `web::access`; SQL in `catalog::accounts`.

use argon2::Params;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::schedule::Role;

pub mod limit;
pub mod pool;

pub use pool::{hash_pool, Lane, PoolBusy};

/// OWASP's minimum for Argon2id: 19 MiB, two passes, one lane.
const MEMORY_KIB: u32 = 19 * 1024;
const PASSES: u32 = 2;
const LANES: u32 = 1;

/// Shortest password `user add`, the setup page and password change accept.
pub const MIN_PASSWORD_CHARS: usize = 8;

fn params() -> Params {
    // The parameters are constants within argon2's bounds.
    Params::new(MEMORY_KIB, PASSES, LANES, None).unwrap_or_default()
}

/// Refuses a new password too short to keep.
pub fn check_new_password(password: &str) -> Result<()> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(Error::Invalid(format!(
            "password: at least {MIN_PASSWORD_CHARS} characters"
        )));
    }
    Ok(())
}

/// Argon2id in PHC string format, with a fresh random salt. Runs on the
/// hash pool and waits for it: call from a blocking thread.
pub fn hash_password(password: &str) -> Result<String> {
    check_new_password(password)?;
    let password = password.to_owned();
    hash_pool()?.run_blocking(move |h| h.hash(&password))?
}

/// Checks a password against a stored hash. A missing hash (unknown user, or
/// no password set) still costs one full verification, so response time does
/// not tell which usernames exist. Waits for the hash pool: call from a
/// blocking thread.
pub fn verify_password(stored: Option<&str>, password: &str) -> bool {
    let stored = stored.map(str::to_owned);
    let password = password.to_owned();
    hash_pool()
        .and_then(|pool| pool.run_blocking(move |h| h.verify(stored.as_deref(), &password)))
        .unwrap_or(false)
}

/// A secret for a session cookie or an API token: 32 random bytes, hex.
pub fn new_secret() -> Result<String> {
    Ok(to_hex(&random_bytes::<32>()?))
}

/// What the catalog stores instead of a secret.
pub fn secret_hash(secret: &str) -> String {
    blake3::hash(secret.as_bytes()).to_hex().to_string()
}

fn random_bytes<const N: usize>() -> Result<[u8; N]> {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).map_err(|e| Error::Invalid(format!("no randomness: {e}")))?;
    Ok(bytes)
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The logged-in person a request acts for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Viewer {
    pub username: String,
    pub name: String,
    pub role: Role,
    pub is_admin: bool,
}

/// What a route requires; one per route, checked before its handler runs.
/// The rows are those of the permission table in `design.md`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Need {
    /// No login: health, metrics, the clock page, login and setup.
    Public,
    /// Search, view assets, read the schedule.
    Login,
    /// Roster, events, assignments, cameras, triage, manual tags, letters.
    Schedule,
    /// Captions, upload, report: KASI and up for any assignment, STAF only
    /// for assignments they are crew of (checked against the target).
    Crew(Target),
    /// Approve or return a report.
    Approve,
    /// Publish and collages.
    Publish,
    /// Read the audit log.
    Audit,
    /// Manage users: the admin flag, whatever the role.
    Admin,
}

impl Need {
    /// Whether `viewer`'s role (or admin flag) passes this row of the table.
    /// For `Crew`, a STAF passes here and is then checked against the target.
    pub fn allows(self, viewer: &Viewer) -> bool {
        use Role::*;
        let role = viewer.role;
        match self {
            Need::Public | Need::Login => true,
            Need::Schedule => matches!(role, Kadis | Kabid | Kasi),
            Need::Crew(_) => matches!(role, Kadis | Kabid | Kasi | Staf),
            Need::Approve | Need::Audit => matches!(role, Kadis | Kabid),
            Need::Publish => matches!(role, Kadis | Kabid | Kasi | TenagaAhli),
            Need::Admin => viewer.is_admin,
        }
    }

    /// Whether `viewer` passes this row for an assignment whose crew are
    /// `crew` (usernames): the guard's rule, for pages that decide which
    /// forms to show.
    pub fn allows_on<'a>(self, viewer: &Viewer, mut crew: impl Iterator<Item = &'a str>) -> bool {
        self.allows(viewer) && (!self.only_own(viewer) || crew.any(|u| u == viewer.username))
    }

    /// Whether this row lets a role act only on its own assignments.
    pub fn only_own(self, viewer: &Viewer) -> bool {
        matches!(self, Need::Crew(_)) && viewer.role == Role::Staf
    }
}

/// What a `Need::Crew` route acts on, named by its `{id}` path parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Target {
    /// `{id}` is an assignment.
    Assignment,
    /// `{id}` is an asset; its assignment counts.
    Asset,
    /// The person's own things (their upload folder): no id to check.
    Own,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_argon2id_with_owasp_parameters_and_verify() {
        let hash = hash_password("rahasia-kominfo").unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password(Some(&hash), "rahasia-kominfo"));
        assert!(!verify_password(Some(&hash), "rahasia-kominfO"));
        assert!(!verify_password(None, "rahasia-kominfo"));
        assert_ne!(hash, hash_password("rahasia-kominfo").unwrap(), "salted");
    }

    #[test]
    fn short_passwords_are_refused_naming_the_field() {
        let err = hash_password("pendek").unwrap_err().to_string();
        assert!(err.starts_with("password:"), "{err}");
    }

    #[test]
    fn secrets_are_random_and_stored_hashed() {
        let a = new_secret().unwrap();
        assert_eq!(a.len(), 64);
        assert_ne!(a, new_secret().unwrap());
        assert_ne!(secret_hash(&a), a);
    }
}
