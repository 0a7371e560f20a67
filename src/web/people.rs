//! Account management and the audit log as JSON: `PATCH /api/people/{username}`
//! (admins: role, admin flag, disabled, a new password) and `GET /api/audit`
//! (KADIS, KABID). Creating people is `POST /api/people` in `web::schedule`;
//! the pages are `pages::users`.

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::{Extension, Json};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::access::session_secret;
use super::error::{blocking, json_body, ApiError};
use super::AppState;
use crate::auth::{hash_password, Viewer};
use crate::catalog::AuditEntry;
use crate::error::Error;
use crate::schedule::{parse_name, Person, Role};

/// Audit lines per page when `limit` is not given, and at most.
pub const AUDIT_PAGE: u32 = 50;
pub const AUDIT_MAX: u32 = 500;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountPatch {
    pub role: Option<String>,
    pub is_admin: Option<bool>,
    pub disabled: Option<bool>,
    pub password: Option<String>,
}

/// An account change, checked: what to write (only what differs from now).
#[derive(Debug, Default, PartialEq, Eq)]
pub struct AccountChange {
    pub role: Option<Role>,
    pub is_admin: Option<bool>,
    pub disabled: Option<bool>,
}

/// Checks a patch by `actor` on `target` (currently `current` and
/// `disabled_now`): the role must be one of the five, and an admin may not
/// take away their own admin flag or disable themselves (someone must be
/// left who can manage users). Values equal to the current ones are dropped,
/// so re-sending a whole form does not end the person's sessions.
pub fn check_change(
    actor: &str,
    target: &Person,
    disabled_now: bool,
    patch: &AccountPatch,
) -> Result<AccountChange, Error> {
    let role: Option<Role> = patch
        .role
        .as_deref()
        .map(|r| parse_name("role", r, "kadis, kabid, kasi, staf, tenaga_ahli"))
        .transpose()?;
    if actor == target.username {
        if patch.is_admin == Some(false) && target.is_admin {
            return Err(Error::Invalid(
                "is_admin: you cannot remove your own admin flag; ask another admin".into(),
            ));
        }
        if patch.disabled == Some(true) {
            return Err(Error::Invalid(
                "disabled: you cannot disable your own account".into(),
            ));
        }
    }
    Ok(AccountChange {
        role: role.filter(|r| *r != target.role),
        is_admin: patch.is_admin.filter(|a| *a != target.is_admin),
        disabled: patch.disabled.filter(|d| *d != disabled_now),
    })
}

/// A person with their account state, as the API answers.
#[derive(Debug, Serialize)]
pub struct Account {
    #[serde(flatten)]
    pub person: Person,
    pub disabled: bool,
}

/// `PATCH /api/people/{username}` `{role?, is_admin?, disabled?, password?}`.
/// A change of rights ends the person's sessions; a new password ends them
/// too (but not the session making the request, when one resets their own).
pub async fn patch_person(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Path(username): Path<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Json<Account>, ApiError> {
    let patch: AccountPatch = json_body(&bytes)?;
    if patch.role.is_none()
        && patch.is_admin.is_none()
        && patch.disabled.is_none()
        && patch.password.is_none()
    {
        return Err(ApiError::BadRequest(
            "body: nothing to change (give role, is_admin, disabled or password)".into(),
        ));
    }
    let keep = (viewer.username == username)
        .then(|| session_secret(&headers))
        .flatten();
    blocking(move || {
        let catalog = &state.catalog;
        let person = catalog
            .person(&username)?
            .ok_or_else(|| Error::NotFound(format!("username: no person {username}")))?;
        let disabled_now = catalog.is_disabled(&username)?.unwrap_or(false);
        let change = check_change(&viewer.username, &person, disabled_now, &patch)?;
        // Hash before writing anything: a short password refuses the whole patch.
        let hash = patch.password.as_deref().map(hash_password).transpose()?;
        if change != AccountChange::default() {
            catalog.update_account(&username, change.role, change.is_admin, change.disabled)?;
        }
        if let Some(hash) = hash {
            catalog.set_password(&username, &hash)?;
            catalog.end_other_sessions(&username, keep.as_deref())?;
        }
        let person = catalog
            .person(&username)?
            .ok_or_else(|| Error::NotFound(format!("username: no person {username}")))?;
        let disabled = catalog.is_disabled(&username)?.unwrap_or(false);
        Ok(Json(Account { person, disabled }))
    })
    .await
}

#[derive(Deserialize)]
pub struct AuditQuery {
    before: Option<String>,
    limit: Option<String>,
}

/// `before` and `limit` of an audit page, checked.
pub fn audit_paging(
    before: Option<&str>,
    limit: Option<&str>,
) -> Result<(Option<i64>, u32), String> {
    let before = match before.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(b) => Some(
            b.parse::<i64>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| format!("before: {b:?} is not an audit id (a positive integer)"))?,
        ),
    };
    let limit = match limit.map(str::trim).filter(|s| !s.is_empty()) {
        None => AUDIT_PAGE,
        Some(l) => l
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=AUDIT_MAX).contains(n))
            .ok_or_else(|| format!("limit: {l:?} is not a number from 1 to {AUDIT_MAX}"))?,
    };
    Ok((before, limit))
}

/// One audit line as JSON: the entry plus `at` (RFC 3339 in the configured zone).
pub fn audit_json(entry: &AuditEntry, zone: jiff::tz::Offset) -> Value {
    let at = jiff::Timestamp::from_millisecond(entry.at_ms).unwrap_or(jiff::Timestamp::UNIX_EPOCH);
    let mut value = json!(entry);
    value["at"] = json!(at.display_with_offset(zone).to_string());
    value
}

/// `GET /api/audit?before=&limit=`: the newest lines first, `limit` (default
/// 50, at most 500) with ids below `before`; `next_before` pages further back
/// (null at the end).
pub async fn audit(
    State(state): State<AppState>,
    Query(q): Query<AuditQuery>,
) -> Result<Json<Value>, ApiError> {
    let (before, limit) =
        audit_paging(q.before.as_deref(), q.limit.as_deref()).map_err(ApiError::BadRequest)?;
    let zone = state.zone;
    let entries = blocking(move || Ok(state.catalog.audit_log(limit, before)?)).await?;
    let next = (entries.len() == limit as usize)
        .then(|| entries.last().map(|e| e.id))
        .flatten();
    let items: Vec<Value> = entries.iter().map(|e| audit_json(e, zone)).collect();
    Ok(Json(json!({ "items": items, "next_before": next })))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(username: &str, role: Role, is_admin: bool) -> Person {
        Person {
            username: username.into(),
            name: username.into(),
            nip: None,
            role,
            crew_roles: Vec::new(),
            is_admin,
        }
    }

    fn patch(role: Option<&str>, is_admin: Option<bool>, disabled: Option<bool>) -> AccountPatch {
        AccountPatch {
            role: role.map(str::to_owned),
            is_admin,
            disabled,
            password: None,
        }
    }

    #[test]
    fn an_admin_cannot_lock_themselves_out() {
        let me = person("kasi1", Role::Kasi, true);
        let err = check_change("kasi1", &me, false, &patch(None, Some(false), None)).unwrap_err();
        assert!(err.to_string().starts_with("is_admin:"), "{err}");
        let err = check_change("kasi1", &me, false, &patch(None, None, Some(true))).unwrap_err();
        assert!(err.to_string().starts_with("disabled:"), "{err}");
        // Someone else may be demoted and disabled.
        let other = person("budi", Role::Kasi, true);
        let change = check_change(
            "kasi1",
            &other,
            false,
            &patch(None, Some(false), Some(true)),
        )
        .unwrap();
        assert_eq!(change.is_admin, Some(false));
        assert_eq!(change.disabled, Some(true));
    }

    #[test]
    fn unchanged_values_are_dropped_and_roles_are_checked() {
        let budi = person("budi", Role::Staf, false);
        let same = check_change(
            "kasi1",
            &budi,
            false,
            &patch(Some("staf"), Some(false), Some(false)),
        )
        .unwrap();
        assert_eq!(same, AccountChange::default());
        let promoted = check_change(
            "kasi1",
            &budi,
            true,
            &patch(Some("kasi"), None, Some(false)),
        )
        .unwrap();
        assert_eq!(
            promoted,
            AccountChange {
                role: Some(Role::Kasi),
                is_admin: None,
                disabled: Some(false)
            }
        );
        let err =
            check_change("kasi1", &budi, false, &patch(Some("bupati"), None, None)).unwrap_err();
        assert!(err.to_string().starts_with("role:"), "{err}");
    }

    #[test]
    fn unknown_fields_and_wrong_types_name_the_field() {
        let err =
            json_body::<AccountPatch>(&Bytes::from_static(br#"{"admin": true}"#)).unwrap_err();
        let ApiError::BadRequest(m) = err else {
            panic!()
        };
        assert!(m.contains("admin"), "{m}");
        let err =
            json_body::<AccountPatch>(&Bytes::from_static(br#"{"is_admin": "ya"}"#)).unwrap_err();
        let ApiError::BadRequest(m) = err else {
            panic!()
        };
        assert!(m.starts_with("is_admin:"), "{m}");
    }

    #[test]
    fn audit_paging_is_checked() {
        assert_eq!(audit_paging(None, None), Ok((None, AUDIT_PAGE)));
        assert_eq!(audit_paging(Some("120"), Some("10")), Ok((Some(120), 10)));
        assert!(audit_paging(Some("x"), None)
            .unwrap_err()
            .starts_with("before:"));
        assert!(audit_paging(None, Some("0"))
            .unwrap_err()
            .starts_with("limit:"));
        assert!(audit_paging(None, Some("501"))
            .unwrap_err()
            .starts_with("limit:"));
    }
}
