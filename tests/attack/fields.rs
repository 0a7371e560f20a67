//! Issue #12, item 13 against the real daemon: free-text fields have length
//! limits and refuse control characters (single-line: all of them, newlines
//! included, and bidi overrides; multi-line: all but newlines and tabs), in
//! Indonesian naming the field; emoji and any letter pass. Plus the agenda
//! form in a real browser showing the refusal at 1366 and 390 px.

use std::time::Duration;

use serde_json::{json, Value};

use crate::cdp::Browser;
use crate::harness::{request, send_json, served_addr, Env, Reply};

fn event(title: &str, location: &str) -> Value {
    json!({"title": title, "leader": "gubernur", "location": location,
           "starts_at": "2026-11-26T08:00:00+08:00", "ends_at": "2026-11-26T10:00:00+08:00"})
}

fn error_of(reply: &Reply) -> String {
    reply.json()["error"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn events_in_catalog(env: &Env) -> i64 {
    env.catalog()
        .query_row("SELECT count(*) FROM events", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn schedule_fields_have_limits_and_refuse_control_characters() {
    let env = Env::new("");
    let daemon = env.serve();
    let addr = served_addr(&env);

    // A 1 MB title (the body limit is 1 MiB): refused, not a 462-page PDF.
    let huge = send_json(
        "POST",
        &addr,
        "/api/events",
        &event(&"A".repeat(1_000_000), "Kantor"),
    );
    assert_eq!(huge.status, 400);
    assert_eq!(
        error_of(&huge),
        "title: terlalu panjang (maksimal 300 karakter)"
    );
    for bad in [
        "Rapat\u{0}rahasia",
        "Rapat \u{1b}[2J",
        "Rapat \u{202e}tapaR",
        "Rapat\u{2066}x",
    ] {
        let reply = send_json("POST", &addr, "/api/events", &event(bad, "Kantor"));
        assert_eq!(reply.status, 400, "{bad:?}");
        assert_eq!(
            error_of(&reply),
            "title: tidak boleh berisi karakter kendali (termasuk baris baru)",
            "{bad:?}"
        );
    }
    let newline = send_json(
        "POST",
        &addr,
        "/api/events",
        &event("Rapat", "Gedung A\nLantai 2"),
    );
    assert_eq!(newline.status, 400);
    assert!(error_of(&newline).starts_with("location: tidak boleh berisi karakter kendali"));
    assert_eq!(events_in_catalog(&env), 0, "nothing refused was stored");

    // Emoji and any letter are fine.
    let title = "Kunjungan Đức 🎉 ke Tanjung Selor";
    let made = send_json(
        "POST",
        &addr,
        "/api/events",
        &event(title, "Pelabuhan Tengkayu"),
    );
    assert_eq!(made.status, 201, "{}", String::from_utf8_lossy(&made.body));
    let id = made.json()["id"].as_i64().unwrap();
    // The same rules on a change.
    let changed = request(
        "PATCH",
        &addr,
        &format!("/api/events/{id}"),
        &[("Content-Type", "application/json")],
        Some(event(title, "Pelabuhan\u{202e}").to_string().as_bytes()),
    );
    assert_eq!(changed.status, 400);
    assert!(
        error_of(&changed).starts_with("location: "),
        "{}",
        error_of(&changed)
    );

    // People and cameras: names and serials are single-line too.
    let person = send_json(
        "POST",
        &addr,
        "/api/people",
        &json!({"username": "budi", "name": "Budi\u{1b}]0;x\u{7}", "role": "staf",
                "crew_roles": ["fotografer"], "password": "sandi-budi-panjang"}),
    );
    assert_eq!(person.status, 400);
    assert!(
        error_of(&person).starts_with("name: tidak boleh"),
        "{}",
        error_of(&person)
    );
    let person = send_json(
        "POST",
        &addr,
        "/api/people",
        &json!({"username": "budi", "name": "Budi Đức 📷", "role": "staf",
                "crew_roles": ["fotografer"], "password": "sandi-budi-panjang"}),
    );
    assert_eq!(
        person.status,
        201,
        "{}",
        String::from_utf8_lossy(&person.body)
    );
    let camera = send_json(
        "POST",
        &addr,
        "/api/cameras",
        &json!({"serial": "CAM\n1", "owner": "budi"}),
    );
    assert_eq!(camera.status, 400);
    assert!(
        error_of(&camera).starts_with("serial: tidak boleh"),
        "{}",
        error_of(&camera)
    );

    // A report: a body with paragraphs and tabs is fine, a title is one line.
    let assignment = send_json(
        "POST",
        &addr,
        "/api/assignments",
        &json!({"event_id": id, "crew": [{"username": "budi", "role": "fotografer"}]}),
    );
    assert_eq!(
        assignment.status,
        201,
        "{}",
        String::from_utf8_lossy(&assignment.body)
    );
    let assignment = assignment.json()["id"].as_i64().unwrap();
    let path = format!("/api/assignments/{assignment}/report");
    let bad_title = send_json(
        "POST",
        &addr,
        &path,
        &json!({"title": "Judul\u{202e}", "body": "Isi.", "asset_ids": []}),
    );
    assert_eq!(bad_title.status, 400);
    assert!(
        error_of(&bad_title).starts_with("title: tidak boleh"),
        "{}",
        error_of(&bad_title)
    );
    let bad_body = send_json(
        "POST",
        &addr,
        &path,
        &json!({"title": "Judul", "body": "Isi\u{0}.", "asset_ids": []}),
    );
    assert_eq!(bad_body.status, 400);
    assert_eq!(
        error_of(&bad_body),
        "body: tidak boleh berisi karakter kendali (selain baris baru dan tab)"
    );
    let good = send_json(
        "POST",
        &addr,
        &path,
        &json!({"title": "Đức meninjau 🎉 pelabuhan",
                "body": "Paragraf pertama.\r\n\r\nParagraf kedua:\n\t- satu\n\t- dua",
                "asset_ids": []}),
    );
    assert_eq!(good.status, 200, "{}", String::from_utf8_lossy(&good.body));
    daemon.stop();
}

#[test]
fn the_agenda_form_shows_the_refusal_on_a_pc_and_a_phone() {
    let Some(browser) = Browser::launch() else {
        eprintln!("attack fields: chromium not installed and CI is not set; skipped");
        return;
    };
    let env = Env::new("");
    let daemon = env.serve();
    let addr = served_addr(&env);
    let base = format!("http://{addr}");
    let page = browser.new_page();
    page.goto(&format!("{base}/masuk"));
    page.fill("input[name=username]", "admin");
    page.fill("input[name=password]", "sandi-admin");
    page.click("form[action='/masuk'] button[type=submit]");
    page.wait_for("location.pathname === '/'", Duration::from_secs(15));

    let form = "form[data-api='/api/events']";
    for (width, height, mobile) in [(1366, 768, false), (390, 844, true)] {
        page.set_viewport(width, height, mobile);
        page.goto(&format!("{base}/agenda?tanggal=2026-11-26"));
        page.eval(&format!(
            "document.querySelector(\"{form}\").closest('details') && (document.querySelector(\"{form}\").closest('details').open = true)"
        ));
        page.fill(&format!("{form} input[name=title]"), &"Rapat ".repeat(60));
        page.fill(&format!("{form} input[name=location]"), "Kantor Gubernur");
        page.click(&format!("{form} button[type=submit]"));
        let error = format!("{form} .form-error");
        page.wait_for(
            &format!("!document.querySelector(\"{error}\").hidden && document.querySelector(\"{error}\").innerText.length > 0"),
            Duration::from_secs(15),
        );
        let shown = page.text(&error);
        assert_eq!(
            shown, "title: terlalu panjang (maksimal 300 karakter)",
            "at {width} px"
        );
        // Visible on the screen, not clipped off to the side.
        let fits = page.eval(&format!(
            "(() => {{ const r = document.querySelector(\"{error}\").getBoundingClientRect();
                 return r.width > 0 && r.left >= 0 && r.right <= window.innerWidth + 1; }})()"
        ));
        assert_eq!(fits, json!(true), "the message fits the {width} px screen");
        page.screenshot(&format!("attack-fields-{width}"));
    }
    assert!(
        page.errors().iter().all(|e| !e.contains("Uncaught")),
        "{:?}",
        page.errors()
    );
    assert_eq!(events_in_catalog(&env), 0);
    daemon.stop();
}
