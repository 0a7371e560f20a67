//! Reports end to end against a real daemon (SOP steps 7 and 8): the crew's
//! reporter submits, STAF may not approve, KABID returns with a note and then
//! approves a revision, the publisher downloads the package (web-sized
//! photos carrying their caption in XMP, originals untouched) and records the
//! URL; the status follows all the way to `published`; the end-of-day list
//! names what is missing.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use liputan::media::synth::{scene_jpeg, Scene, SynthPhoto, SynthText};
use serde_json::{json, Value};

use crate::harness::{get, request, send_json, served_addr, wait_until, Daemon, Env, Reply};

/// Long edge of the web copies in these tests (the photos are 1200 px).
const EDGE: u32 = 500;
const TITLE: &str = "Rapat <b>Koordinasi</b> Banjir";
const CAPTION: &str = "Gubernur meninjau tanggul & pompa di Tanjung Selor";

struct Desk {
    env: Env,
    #[allow(dead_code)]
    daemon: Daemon,
    addr: String,
    tokens: BTreeMap<&'static str, String>,
    assignment: i64,
    assets: Vec<String>,
    today: String,
}

/// username, role, crew roles.
const PEOPLE: &[(&str, &str, &[&str])] = &[
    ("kabid", "kabid", &[]),
    ("kasi", "kasi", &[]),
    ("budi", "staf", &["fotografer"]),
    ("sari", "staf", &["reporter"]),
    ("yosef", "staf", &["kameraman"]),
    ("ahli", "tenaga_ahli", &[]),
    ("rina", "staf", &["reporter"]),
];

fn ok(reply: &Reply, what: &str) -> Value {
    assert!(
        (200..300).contains(&reply.status),
        "{what}: {} {}",
        reply.status,
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}

impl Desk {
    fn open() -> Desk {
        let env = Env::new(&format!(
            "\n[publish]\nweb_long_edge_px = {EDGE}\ncredit = \"Diskominfo Kaltara\"\ncopyright = \"Pemprov Kaltara\"\n"
        ));
        let daemon = env.serve();
        let addr = served_addr(&env);
        let mut tokens = BTreeMap::new();
        for (username, role, crew) in PEOPLE {
            ok(
                &send_json(
                    "POST",
                    &addr,
                    "/api/people",
                    &json!({"username": username, "name": format!("Nama {username}"), "role": role,
                            "crew_roles": crew, "password": format!("sandi-{username}")}),
                ),
                "add person",
            );
            let out = env
                .liputan()
                .args(["token", "create", username])
                .output()
                .expect("token create");
            tokens.insert(
                *username,
                String::from_utf8_lossy(&out.stdout).trim().to_owned(),
            );
        }
        ok(
            &send_json(
                "POST",
                &addr,
                "/api/cameras",
                &json!({"serial": "CAM555", "owner": "budi", "make": "Canon", "model": "Canon EOS 90D"}),
            ),
            "add camera",
        );
        let zone = jiff::tz::Offset::constant(8);
        let today = zone.to_datetime(jiff::Timestamp::now()).date().to_string();
        let event = ok(
            &send_json(
                "POST",
                &addr,
                "/api/events",
                &json!({"title": TITLE, "leader": "gubernur", "location": "Tanjung Selor",
                        "starts_at": format!("{today}T08:00:00+08:00"), "ends_at": format!("{today}T10:00:00+08:00"),
                        "out_of_town": false}),
            ),
            "add event",
        )["id"]
            .as_i64()
            .expect("event id");
        let assignment = ok(
            &send_json(
                "POST",
                &addr,
                "/api/assignments",
                &json!({"event_id": event, "crew": [
                    {"username": "budi", "role": "fotografer"},
                    {"username": "sari", "role": "reporter"},
                    {"username": "yosef", "role": "kameraman"}]}),
            ),
            "add assignment",
        )["id"]
            .as_i64()
            .expect("assignment id");
        let card = env.inbox.join("budi").join("DCIM").join("100CANON");
        std::fs::create_dir_all(&card).expect("card folder");
        for n in 1..=2u64 {
            let spec = SynthPhoto {
                width: 1200,
                height: 800,
                captured: Some(format!("{} 09:0{n}:00", today.replace('-', ":"))),
                offset: Some("+08:00".into()),
                serial: Some("CAM555".into()),
                make: Some("Canon".into()),
                model: Some("Canon EOS 90D".into()),
                seed: 40 + n,
                ..SynthPhoto::default()
            };
            let bytes = scene_jpeg(&spec, Scene::Ceremony, &SynthText::default());
            let tmp = env.dir.path().join(format!("tmp{n}.jpg"));
            std::fs::write(&tmp, bytes).expect("photo");
            std::fs::rename(&tmp, card.join(format!("IMG_000{n}.JPG"))).expect("drop");
        }
        let mut assets: Vec<String> = Vec::new();
        wait_until(
            Duration::from_secs(60),
            "two photos tagged to the assignment",
            || {
                let list = get(&addr, &format!("/api/assets?assignment={assignment}"), &[]).json();
                assets = list["items"]
                    .as_array()
                    .map(|items| {
                        items
                            .iter()
                            .filter_map(|i| i["id"].as_str().map(str::to_owned))
                            .collect()
                    })
                    .unwrap_or_default();
                assets.len() == 2
            },
        );
        assets.sort_by_key(|id| {
            get(&addr, &format!("/api/assets/{id}"), &[]).json()["file_name"]
                .as_str()
                .unwrap_or("")
                .to_owned()
        });
        Desk {
            env,
            daemon,
            addr,
            tokens,
            assignment,
            assets,
            today,
        }
    }

    fn send(&self, who: &str, method: &str, path: &str, body: &Value) -> Reply {
        let bearer = format!("Bearer {}", self.tokens[who]);
        let text = body.to_string();
        request(
            method,
            &self.addr,
            path,
            &[
                ("Content-Type", "application/json"),
                ("Authorization", &bearer),
            ],
            Some(text.as_bytes()),
        )
    }

    fn get_as(&self, who: &str, path: &str) -> Reply {
        let bearer = format!("Bearer {}", self.tokens[who]);
        get(&self.addr, path, &[("Authorization", &bearer)])
    }

    fn report(&self) -> Value {
        ok(
            &self.get_as(
                "sari",
                &format!("/api/assignments/{}/report", self.assignment),
            ),
            "get report",
        )
    }

    fn status(&self) -> String {
        let a = get(
            &self.addr,
            &format!("/api/assignments/{}", self.assignment),
            &[],
        )
        .json();
        a["status"].as_str().unwrap_or_default().to_owned()
    }
}

/// Entries of a ZIP of stored entries: name -> bytes (local headers walked).
fn unzip(zip: &[u8]) -> BTreeMap<String, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut at = 0usize;
    let u16_at = |i: usize| u16::from_le_bytes([zip[i], zip[i + 1]]) as usize;
    let u32_at = |i: usize| u32::from_le_bytes([zip[i], zip[i + 1], zip[i + 2], zip[i + 3]]);
    while zip.len() >= at + 30 && zip[at..at + 4] == *b"PK\x03\x04" {
        assert_eq!(u16_at(at + 8), 0, "stored entries only");
        let crc = u32_at(at + 14);
        let size = u32_at(at + 18) as usize;
        let name_len = u16_at(at + 26);
        let extra = u16_at(at + 28);
        let name = String::from_utf8_lossy(&zip[at + 30..at + 30 + name_len]).into_owned();
        let start = at + 30 + name_len + extra;
        let data = zip[start..start + size].to_vec();
        let mut check = liputan::reports::Crc32::new();
        check.update(&data);
        assert_eq!(check.finish(), crc, "CRC-32 of {name}");
        out.insert(name, data);
        at = start + size;
    }
    out
}

/// The XMP packet of a JPEG: from `<x:xmpmeta` to its end tag.
fn xmp_of(jpeg: &[u8]) -> String {
    let text = String::from_utf8_lossy(jpeg);
    let start = text.find("<x:xmpmeta").expect("an <x:xmpmeta packet");
    let end = text[start..]
        .find("</x:xmpmeta>")
        .expect("the packet's end")
        + start;
    text[start..end].to_owned()
}

fn escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[test]
fn a_report_goes_from_the_reporter_through_approval_to_publication() {
    let started = Instant::now();
    let desk = Desk::open();
    let id = desk.assignment;
    let (a1, a2) = (desk.assets[0].clone(), desk.assets[1].clone());
    // The photographer picks one photo and captions the other.
    ok(
        &desk.send(
            "budi",
            "POST",
            &format!("/api/assets/{a1}/pick"),
            &json!({"picked": true}),
        ),
        "pick",
    );
    ok(
        &desk.send(
            "budi",
            "POST",
            &format!("/api/assets/{a2}/caption"),
            &json!({"caption": CAPTION}),
        ),
        "caption",
    );

    // Before a report: the end-of-day list names the missing text and video.
    let day = ok(
        &desk.get_as("kasi", &format!("/api/completeness?date={}", desk.today)),
        "completeness",
    );
    let gap = day["items"]
        .as_array()
        .and_then(|items| items.iter().find(|g| g["assignment_id"] == json!(id)))
        .cloned()
        .unwrap_or_else(|| panic!("assignment missing from {day}"));
    let missing: Vec<&str> = gap["missing"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|m| m["what"].as_str())
        .collect();
    assert_eq!(missing, ["video", "text"], "{gap}");
    assert_eq!(gap["missing"][1]["crew"], json!(["sari"]));

    // The draft starts from the event's facts and the pick.
    let report = desk.report();
    assert!(report["report"].is_null());
    let draft = &report["draft"];
    assert!(draft["prefilled"].as_bool().unwrap());
    assert!(
        draft["title"]
            .as_str()
            .unwrap()
            .contains("Gubernur Kalimantan Utara"),
        "{draft}"
    );
    assert!(draft["body"]
        .as_str()
        .unwrap()
        .starts_with("TANJUNG SELOR – "));
    assert_eq!(draft["items"].as_array().unwrap().len(), 1);
    assert_eq!(draft["items"][0]["asset_id"], json!(a1));
    let prefilled = draft["items"][0]["caption"].as_str().unwrap().to_owned();
    assert!(
        prefilled.starts_with("Gubernur Kalimantan Utara saat ")
            && prefilled.contains("di Tanjung Selor, ")
            && prefilled.ends_with(")."),
        "{prefilled}"
    );

    let path = format!("/api/assignments/{id}/report");
    let submission = json!({"title": "Gubernur Tinjau Banjir", "body": "TANJUNG SELOR – Isi berita.\n\nParagraf dua.",
                            "asset_ids": [a1, a2]});
    // STAF not on this crew is refused; so is the tenaga ahli.
    assert_eq!(desk.send("rina", "POST", &path, &submission).status, 403);
    assert_eq!(desk.send("ahli", "POST", &path, &submission).status, 403);
    let t = Instant::now();
    let first = ok(&desk.send("sari", "POST", &path, &submission), "submit");
    eprintln!("submit: {:?}", t.elapsed());
    assert_eq!(first["status"], json!("reported"));
    assert_eq!(first["report"]["version"], json!(1));
    assert_eq!(first["report"]["items"][0]["caption"], json!(prefilled));
    assert_eq!(first["report"]["items"][1]["caption"], json!(CAPTION));
    let bad = desk.send(
        "sari",
        "POST",
        &path,
        &json!({"title": "x", "body": "y", "asset_ids": ["nope"]}),
    );
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"]
        .as_str()
        .unwrap()
        .starts_with("asset_ids[0]"));

    // Approval: STAF (even crew) and KASI are refused, KABID decides.
    let approve = format!("/api/assignments/{id}/approve");
    let give_back = format!("/api/assignments/{id}/return");
    assert_eq!(desk.send("sari", "POST", &approve, &json!({})).status, 403);
    assert_eq!(desk.send("budi", "POST", &approve, &json!({})).status, 403);
    assert_eq!(desk.send("kasi", "POST", &approve, &json!({})).status, 403);
    assert_eq!(
        desk.send("kabid", "POST", &give_back, &json!({})).status,
        400,
        "a return needs a note"
    );
    let note = "Tambahkan kutipan Gubernur <penting>";
    let returned = ok(
        &desk.send(
            "kabid",
            "POST",
            &give_back,
            &json!({"note": note, "version": 1}),
        ),
        "return",
    );
    assert_eq!(
        returned["status"],
        json!("covered"),
        "files are in: back to covered"
    );
    assert_eq!(returned["returned"]["note"], json!(note));
    assert_eq!(desk.report()["returned"]["by"], json!("kabid"));
    // The reporter sees the note on the page (escaped).
    let page = desk.get_as("sari", &format!("/laporan/{id}"));
    assert_eq!(page.status, 200);
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains(&escaped(note)), "the note on the page");
    assert!(
        html.contains(&escaped(TITLE)) && !html.contains(TITLE),
        "title escaped"
    );
    assert!(
        html.contains("data-api=\"/api/assignments/"),
        "the editor form"
    );

    // Publishing before approval is refused.
    let publish = format!("/api/assignments/{id}/publish");
    let early = desk.send(
        "ahli",
        "POST",
        &publish,
        &json!({"url": "https://kaltaraprov.go.id/x"}),
    );
    assert_eq!(early.status, 409);

    // Revised and resubmitted; the old version is kept.
    let revised = json!({"title": "Gubernur Tinjau Banjir di Tanjung Selor",
                         "body": "TANJUNG SELOR – Isi berita.\n\n\"Kita siaga,\" kata Gubernur.",
                         "asset_ids": [a1, a2]});
    let second = ok(&desk.send("sari", "POST", &path, &revised), "resubmit");
    assert_eq!(second["status"], json!("reported"));
    assert_eq!(second["report"]["version"], json!(2));
    assert!(second["returned"].is_null());
    assert_eq!(second["versions"].as_array().unwrap().len(), 2);
    // Approving the version read before the revision is refused.
    assert_eq!(
        desk.send("kabid", "POST", &approve, &json!({"version": 1}))
            .status,
        409
    );
    let approved = ok(
        &desk.send(
            "kabid",
            "POST",
            &approve,
            &json!({"note": "Silakan terbitkan", "version": 2}),
        ),
        "approve",
    );
    assert_eq!(approved["status"], json!("approved"));
    assert_eq!(desk.status(), "approved");
    // Approved: no more edits without a return.
    assert_eq!(desk.send("sari", "POST", &path, &revised).status, 409);

    // The package, as the tenaga ahli downloads it. STAF may not.
    let package_path = format!("/api/assignments/{id}/package.zip");
    assert_eq!(desk.get_as("sari", &package_path).status, 403);
    let t = Instant::now();
    let package = desk.get_as("ahli", &package_path);
    eprintln!("package: {:?}, {} bytes", t.elapsed(), package.body.len());
    assert_eq!(
        package.status,
        200,
        "{}",
        String::from_utf8_lossy(&package.body)
    );
    assert_eq!(package.header("content-type"), Some("application/zip"));
    let names = liputan::reports::zip_names(&package.body);
    assert_eq!(
        names,
        [
            "berita.html",
            "berita.txt",
            "foto/01_IMG_0001.jpg",
            "foto/02_IMG_0002.jpg"
        ],
        "package listing"
    );
    let files = unzip(&package.body);
    let html = String::from_utf8_lossy(&files["berita.html"]);
    assert!(html.contains("Gubernur Tinjau Banjir di Tanjung Selor"));
    assert!(html.contains("&quot;Kita siaga,&quot; kata Gubernur."));
    assert!(html.contains(&escaped(CAPTION)));
    let text = String::from_utf8_lossy(&files["berita.txt"]);
    assert!(text.contains("\"Kita siaga,\" kata Gubernur."));
    for (name, caption) in [
        ("foto/01_IMG_0001.jpg", prefilled.as_str()),
        ("foto/02_IMG_0002.jpg", CAPTION),
    ] {
        let jpeg = &files[name];
        let xmp = xmp_of(jpeg);
        let in_xml = escaped(caption)
            .replace('\'', "&#39;")
            .replace('"', "&quot;");
        assert!(xmp.contains(&in_xml), "{name}: caption in XMP: {xmp}");
        assert!(
            xmp.contains("<dc:creator><rdf:Seq><rdf:li>Nama budi</rdf:li>"),
            "{xmp}"
        );
        assert!(xmp.contains("<photoshop:Credit>Diskominfo Kaltara</photoshop:Credit>"));
        assert!(xmp.contains("Pemprov Kaltara"));
        let image = image::load_from_memory(jpeg).expect("a web copy decodes");
        assert!(
            image.width().max(image.height()) <= EDGE,
            "{name}: {}x{}",
            image.width(),
            image.height()
        );
        assert_eq!(
            image.width().max(image.height()),
            EDGE,
            "{name} was resized"
        );
    }
    // The archived originals are what they were: their blake3 is their id.
    for asset in [&a1, &a2] {
        let view = get(&desk.addr, &format!("/api/assets/{asset}"), &[]).json();
        let original = desk
            .env
            .archive
            .join(view["archive_path"].as_str().unwrap());
        assert_eq!(
            &crate::harness::hash_of(&original),
            asset,
            "original unchanged"
        );
    }
    desk.env.assert_archive_matches_catalog();

    // Published: URL checked, status follows, history complete.
    let bad = desk.send(
        "ahli",
        "POST",
        &publish,
        &json!({"url": "javascript:alert(1)"}),
    );
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"].as_str().unwrap().starts_with("url:"));
    assert_eq!(
        desk.send(
            "sari",
            "POST",
            &publish,
            &json!({"url": "https://kaltaraprov.go.id/x"})
        )
        .status,
        403
    );
    let url = "https://kaltaraprov.go.id/berita/gubernur-tinjau-banjir";
    let published = ok(
        &desk.send("ahli", "POST", &publish, &json!({"url": url})),
        "publish",
    );
    assert_eq!(published["status"], json!("published"));
    assert_eq!(desk.status(), "published");
    assert_eq!(published["published_urls"], json!([url]));
    let kinds: Vec<&str> = published["history"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|h| h["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        [
            "submitted",
            "returned",
            "submitted",
            "approved",
            "published"
        ]
    );
    assert_eq!(published["history"][1]["note"], json!(note));
    // After the report: only the kameraman's video is still missing.
    let day = ok(
        &desk.get_as("kasi", &format!("/api/completeness?date={}", desk.today)),
        "completeness",
    );
    let gap = day["items"]
        .as_array()
        .and_then(|items| items.iter().find(|g| g["assignment_id"] == json!(id)))
        .cloned()
        .expect("still listed for the video");
    assert_eq!(
        gap["missing"],
        json!([{"what": "video", "crew": ["yosef"]}])
    );
    let list = desk.get_as("budi", &format!("/laporan?tanggal={}", desk.today));
    assert_eq!(list.status, 200);
    let html = String::from_utf8_lossy(&list.body);
    assert!(html.contains("Kelengkapan akhir hari") && html.contains("Nama yosef"));
    eprintln!("whole report flow: {:?}", started.elapsed());
}

#[test]
fn report_routes_answer_each_role_as_the_permission_table_says() {
    let desk = Desk::open();
    let id = desk.assignment;
    let crew = "kabid kasi budi sari yosef";
    let publishers = "kabid kasi ahli";
    let routes: &[(&str, String, &str)] = &[
        ("GET", format!("/api/assignments/{id}/report"), "all"),
        ("POST", format!("/api/assignments/{id}/report"), crew),
        ("POST", format!("/api/assignments/{id}/approve"), "kabid"),
        ("POST", format!("/api/assignments/{id}/return"), "kabid"),
        ("POST", format!("/api/assignments/{id}/publish"), publishers),
        (
            "GET",
            format!("/api/assignments/{id}/package.zip"),
            publishers,
        ),
        ("GET", "/api/completeness".to_owned(), "all"),
        ("GET", "/laporan".to_owned(), "all"),
        ("GET", format!("/laporan/{id}"), "all"),
    ];
    let mut wrong = Vec::new();
    for (method, path, who) in routes {
        for (role, _, _) in PEOPLE {
            let reply = desk.send(role, method, path, &json!({}));
            let allowed = *who == "all" || who.split(' ').any(|w| w == *role);
            if allowed == (reply.status == 403 || reply.status == 401) {
                wrong.push(format!("{role} {method} {path}: {}", reply.status));
            }
        }
        let anonymous = crate::harness::request_anonymous(method, &desk.addr, path, &[], None);
        if ![401, 303].contains(&anonymous.status) {
            wrong.push(format!("anonymous {method} {path}: {}", anonymous.status));
        }
    }
    assert!(wrong.is_empty(), "wrong answers:\n{}", wrong.join("\n"));
}
