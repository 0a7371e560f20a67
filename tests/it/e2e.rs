//! The panel in a real browser (headless Debian chromium over the DevTools
//! pipe): KASI logs in, enters an event, assigns a crew; three photos dropped
//! in the inbox appear on the assignment's page with thumbnails; a STAF is
//! refused the assignment form; the archive is searched in Indonesian and a
//! preview opens. Screenshots land in `target/tmp/screenshots/e2e-*.png`.
//!
//! Run alone: `cargo test --release --test it e2e -- --nocapture`.

use std::time::{Duration, Instant};

use liputan::media::synth::{scene_jpeg, Scene, SynthPhoto, SynthText};
use serde_json::json;

use crate::cdp::{Browser, Page};
use crate::harness::{send_json, served_addr, Env};

const TITLE: &str = "Peresmian Pasar Rakyat Tanjung Selor";

fn log_in(page: &Page, base: &str, who: &str) {
    page.goto(&format!("{base}/masuk"));
    page.fill("input[name=username]", who);
    page.fill("input[name=password]", &format!("sandi-{who}"));
    page.click("form[action='/masuk'] button[type=submit]");
    page.wait_for(
        "location.pathname === '/' && document.querySelector('h1') && document.querySelector('h1').innerText === 'Beranda'",
        Duration::from_secs(15),
    );
}

/// Reloads `url` until `condition` holds (files arrive while we wait).
fn reload_until(page: &Page, url: &str, condition: &str, timeout: Duration) {
    let deadline = Instant::now() + timeout;
    loop {
        page.goto(url);
        if page.eval(&format!("!!({condition})")) == json!(true) {
            return;
        }
        if Instant::now() > deadline {
            page.screenshot("e2e-timeout");
            panic!("{url}: {condition} still false after {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(700));
    }
}

#[test]
fn kasi_plans_a_day_files_arrive_staf_is_refused_and_the_archive_finds_them() {
    let Some(browser) = Browser::launch() else {
        eprintln!("e2e: chromium not installed and CI is not set; skipped");
        return;
    };
    let env = Env::new("");
    let _daemon = env.serve();
    let addr = served_addr(&env);
    let base = format!("http://{addr}");
    for (username, role, crew) in [
        ("kasi1", "kasi", vec![]),
        ("foto1", "staf", vec!["fotografer"]),
    ] {
        let reply = send_json(
            "POST",
            &addr,
            "/api/people",
            &json!({"username": username, "name": format!("Nama {username}"), "role": role,
                    "crew_roles": crew, "password": format!("sandi-{username}")}),
        );
        assert_eq!(
            reply.status,
            201,
            "{}",
            String::from_utf8_lossy(&reply.body)
        );
    }
    let camera = send_json(
        "POST",
        &addr,
        "/api/cameras",
        &json!({"serial": "E2E001", "owner": "foto1", "make": "Canon", "model": "Canon EOS R6"}),
    );
    assert_eq!(camera.status, 201);
    let today = jiff::tz::Offset::constant(8)
        .to_datetime(jiff::Timestamp::now())
        .date()
        .to_string();

    // KASI: log in, enter today's event on the agenda (the form defaults to 08.00-10.00).
    let kasi = browser.new_page();
    log_in(&kasi, &base, "kasi1");
    kasi.screenshot("e2e-1-beranda");
    kasi.goto(&format!("{base}/agenda?tanggal={today}"));
    let form = "form[data-api='/api/events']";
    kasi.eval(&format!(
        "document.querySelector(\"{form}\").closest('details') && (document.querySelector(\"{form}\").closest('details').open = true)"
    ));
    kasi.fill(&format!("{form} input[name=title]"), TITLE);
    kasi.fill(
        &format!("{form} input[name=location]"),
        "Pasar Induk Tanjung Selor",
    );
    kasi.click(&format!("{form} button[type=submit]"));
    kasi.wait_for(
        &format!("document.body.innerText.includes('{TITLE}') && !document.querySelector(\"{form} button[disabled]\")"),
        Duration::from_secs(15),
    );
    kasi.screenshot("e2e-2-agenda");

    // Assign foto1 as photographer.
    kasi.goto(&format!("{base}/penugasan?tanggal={today}"));
    let create = "form[data-api='/api/assignments']";
    kasi.eval(&format!(
        "document.querySelectorAll(\"{create}\").forEach(f => {{ const d = f.closest('details'); if (d) d.open = true; }})"
    ));
    kasi.click(&format!(
        "{create} input[aria-label='Nama foto1 sebagai Fotografer']"
    ));
    kasi.click(&format!("{create} button[type=submit]"));
    kasi.wait_for(
        "document.querySelector(\"a[href^='/liputan/']\")",
        Duration::from_secs(15),
    );
    kasi.screenshot("e2e-3-penugasan");
    let link = kasi.eval("document.querySelector(\"a[href^='/liputan/']\").getAttribute('href')");
    let assignment_page = format!("{base}{}", link.as_str().expect("assignment link"));

    // foto1's card: three photos taken during the event.
    let card = env.inbox.join("foto1").join("DCIM").join("100CANON");
    std::fs::create_dir_all(&card).expect("card");
    for n in 1..=3u64 {
        let spec = SynthPhoto {
            width: 960,
            height: 640,
            captured: Some(format!("{} 09:0{n}:00", today.replace('-', ":"))),
            offset: Some("+08:00".into()),
            serial: Some("E2E001".into()),
            seed: 40 + n,
            ..SynthPhoto::default()
        };
        let bytes = scene_jpeg(&spec, Scene::Ceremony, &SynthText::default());
        let tmp = env.dir.path().join(format!("e2e{n}.jpg"));
        std::fs::write(&tmp, bytes).expect("photo");
        std::fs::rename(&tmp, card.join(format!("IMG_010{n}.JPG"))).expect("drop");
    }
    let three_loaded = "Array.from(document.querySelectorAll('a.view img')).filter(i => i.complete && i.naturalWidth > 0).length === 3";
    reload_until(
        &kasi,
        &assignment_page,
        three_loaded,
        Duration::from_secs(90),
    );
    kasi.screenshot("e2e-4-liputan");
    assert!(kasi.text("main").contains(TITLE));

    // STAF: sees the day but not the assignment form, and the API refuses the post.
    let staf = browser.new_page();
    log_in(&staf, &base, "foto1");
    staf.goto(&format!("{base}/penugasan?tanggal={today}"));
    assert_eq!(
        staf.eval(&format!("document.querySelectorAll(\"{create}\").length")),
        json!(0),
        "a STAF must not get the assignment form"
    );
    let status = staf.eval(
        "fetch('/api/assignments', {method: 'POST', headers: {'Content-Type': 'application/json'}, \
         body: JSON.stringify({event_id: 1, crew: []})}).then(r => r.status)",
    );
    assert_eq!(status, json!(403));
    staf.screenshot("e2e-5-staf-penugasan");

    // The archive, searched with another form of the word ("resmikan" for "Peresmian").
    kasi.goto(&format!("{base}/arsip"));
    kasi.fill("input[name=q]", "resmikan pasar");
    kasi.click("form[method=get] button[type=submit], form:not([method]) button[type=submit]");
    // The unfiltered page shows the same three files: wait for the results of
    // this search, fully loaded (the viewer's script runs deferred).
    kasi.wait_for(
        "location.search.includes('q=resmikan') && document.readyState === 'complete' \
         && document.querySelectorAll('a.view img').length === 3",
        Duration::from_secs(15),
    );
    kasi.click("a.view");
    kasi.wait_for(
        "document.querySelector('dialog[data-viewer]').open && Array.from(document.querySelectorAll('dialog[data-viewer] img')).some(i => i.complete && i.naturalWidth > 0)",
        Duration::from_secs(15),
    );
    kasi.screenshot("e2e-6-arsip-preview");
    assert!(kasi.text("dialog[data-viewer]").contains("IMG_010"));

    for (who, page) in [("kasi", &kasi), ("staf", &staf)] {
        let errors: Vec<String> = page
            .errors()
            .into_iter()
            .filter(|e| !e.contains("403"))
            .collect();
        assert!(errors.is_empty(), "{who}'s pages logged errors: {errors:?}");
    }
}
