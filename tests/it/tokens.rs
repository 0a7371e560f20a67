//! API tokens end: when they expire, when revoked with `liputan token revoke`,
//! when the password changes (by its owner or an admin's reset), when the
//! account is disabled (and stay ended when it is enabled again), and when
//! `POST /api/logout` is called with them. The real daemon on loopback.

use std::process::Output;

use serde_json::{json, Value};

use crate::harness::{self, request_anonymous, served_addr, Env};

fn status_with(addr: &str, token: &str) -> u16 {
    let bearer = format!("Bearer {token}");
    request_anonymous(
        "GET",
        addr,
        "/api/assets",
        &[("Authorization", &bearer)],
        None,
    )
    .status
}

fn cli(env: &Env, args: &[&str]) -> Output {
    let out = env.liputan().args(args).output().expect("run liputan");
    assert!(
        out.status.success(),
        "liputan {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

fn new_token(env: &Env, username: &str) -> String {
    let out = cli(env, &["token", "create", username]);
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

fn listed(env: &Env, username: &str) -> Vec<Value> {
    let out = cli(env, &["token", "list", username, "--json"]);
    let list: Value = serde_json::from_slice(&out.stdout).expect("token list --json");
    list["tokens"].as_array().expect("tokens").clone()
}

fn login(addr: &str, username: &str, password: &str) -> String {
    let body = json!({"username": username, "password": password}).to_string();
    let reply = request_anonymous(
        "POST",
        addr,
        "/api/login",
        &[("Content-Type", "application/json")],
        Some(body.as_bytes()),
    );
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    let set = reply.header("set-cookie").expect("Set-Cookie");
    set.split(';').next().unwrap_or_default().trim().to_owned()
}

fn patch_person(addr: &str, username: &str, body: Value) {
    let reply = harness::send_json("PATCH", addr, &format!("/api/people/{username}"), &body);
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
}

#[test]
fn tokens_expire_and_are_listed_and_revoked_from_the_command_line() {
    let env = Env::new("");
    let first = env.account("budi", "staf", false);
    let _daemon = env.serve();
    let addr = served_addr(&env);
    let second = new_token(&env, "budi");
    assert_eq!(status_with(&addr, &first), 200);
    assert_eq!(status_with(&addr, &second), 200);

    let list = listed(&env, "budi");
    assert_eq!(list.len(), 2, "{list:?}");
    for token in &list {
        assert_eq!(token["state"], "active");
        let lifetime =
            token["expires_at_ms"].as_i64().unwrap() - token["created_at_ms"].as_i64().unwrap();
        assert_eq!(
            lifetime,
            90 * 86_400_000,
            "the default lifetime is server.token_days"
        );
        let id = token["id"].as_str().unwrap();
        assert!(
            !first.contains(id) && !second.contains(id),
            "ids are not the secrets"
        );
    }
    let text = String::from_utf8_lossy(&cli(&env, &["token", "list"]).stdout).into_owned();
    assert!(text.contains("budi") && text.contains("aktif"), "{text}");
    assert!(!text.contains(&first) && !text.contains(&second), "{text}");

    // Revoke the second by id (the first 12 hex digits of the blake3 of its
    // secret): it stops working, the other does not.
    let newest = blake3::hash(second.as_bytes()).to_hex()[..12].to_owned();
    assert!(list.iter().any(|t| t["id"] == newest.as_str()), "{list:?}");
    cli(&env, &["token", "revoke", &newest]);
    assert_eq!(status_with(&addr, &second), 401, "revoked");
    assert_eq!(status_with(&addr, &first), 200, "only that one");
    let list = listed(&env, "budi");
    assert!(list
        .iter()
        .any(|t| t["id"] == newest.as_str() && t["state"] == "revoked"));

    // A token past its expiry gets 401 (the clock is moved in the catalog).
    let catalog = rusqlite::Connection::open(env.data.join("catalog.sqlite")).unwrap();
    catalog
        .busy_timeout(std::time::Duration::from_secs(10))
        .unwrap();
    catalog
        .execute(
            "UPDATE api_tokens SET expires_at_ms = created_at_ms - 1 WHERE revoked_at_ms IS NULL",
            [],
        )
        .unwrap();
    assert_eq!(status_with(&addr, &first), 401, "expired");
    assert!(listed(&env, "budi").iter().any(|t| t["state"] == "expired"));

    // --user revokes all of a person's; a bad id is a usage error.
    let third = new_token(&env, "budi");
    assert_eq!(status_with(&addr, &third), 200);
    cli(&env, &["token", "revoke", "--user", "budi"]);
    assert_eq!(status_with(&addr, &third), 401);
    let bad = env
        .liputan()
        .args(["token", "revoke", "xyz"])
        .output()
        .unwrap();
    assert_eq!(bad.status.code(), Some(2));
    let days = new_token_days(&env, "budi", "7");
    let list = listed(&env, "budi");
    let made = list
        .iter()
        .find(|t| t["state"] == "active")
        .expect("the 7-day token");
    let lifetime =
        made["expires_at_ms"].as_i64().unwrap() - made["created_at_ms"].as_i64().unwrap();
    assert_eq!(lifetime, 7 * 86_400_000);
    assert_eq!(status_with(&addr, &days), 200);
}

fn new_token_days(env: &Env, username: &str, days: &str) -> String {
    let out = cli(env, &["token", "create", username, "--days", days]);
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

#[test]
fn a_new_password_a_reset_a_disabled_account_and_logout_end_tokens() {
    let env = Env::new("");
    let budi = env.account("budi", "staf", false);
    let _daemon = env.serve();
    let addr = served_addr(&env);

    // The owner changes their password in the panel: the old token ends.
    let cookie = login(&addr, "budi", "sandi-budi");
    let body = json!({"current": "sandi-budi", "new": "sandi-baru-budi"}).to_string();
    let reply = request_anonymous(
        "POST",
        &addr,
        "/api/password",
        &[("Content-Type", "application/json"), ("Cookie", &cookie)],
        Some(body.as_bytes()),
    );
    assert_eq!(
        reply.status,
        200,
        "{}",
        String::from_utf8_lossy(&reply.body)
    );
    assert_eq!(status_with(&addr, &budi), 401, "after a password change");

    // An admin resets the password: tokens made since end too.
    let again = new_token(&env, "budi");
    assert_eq!(status_with(&addr, &again), 200);
    patch_person(&addr, "budi", json!({"password": "sandi-dari-admin"}));
    assert_eq!(status_with(&addr, &again), 401, "after an admin's reset");

    // Disabled, then enabled again: the token stays dead.
    let third = new_token(&env, "budi");
    patch_person(&addr, "budi", json!({"disabled": true}));
    assert_eq!(status_with(&addr, &third), 401, "disabled");
    patch_person(&addr, "budi", json!({"disabled": false}));
    assert_eq!(
        status_with(&addr, &third),
        401,
        "re-enabling does not revive tokens"
    );
    let reasons: Vec<String> = listed(&env, "budi")
        .iter()
        .filter_map(|t| t["revoked_why"].as_str().map(str::to_owned))
        .collect();
    assert!(
        reasons.iter().any(|r| r.contains("kata sandi")),
        "{reasons:?}"
    );
    assert!(
        reasons.iter().any(|r| r.contains("dinonaktifkan")),
        "{reasons:?}"
    );

    // Logging out with a token ends that token.
    let fourth = new_token(&env, "budi");
    let bearer = format!("Bearer {fourth}");
    let reply = request_anonymous(
        "POST",
        &addr,
        "/api/logout",
        &[("Authorization", &bearer)],
        None,
    );
    assert_eq!(reply.status, 200);
    assert_eq!(status_with(&addr, &fourth), 401, "after logout");
}
