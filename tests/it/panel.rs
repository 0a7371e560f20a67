//! The panel's access rules against a real daemon: every route of the live
//! route table, for every role, must answer as `design.md`'s permission table
//! says; cross-site writes are refused; sessions rotate at login and die at
//! logout; text from people and files is escaped on every page.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use liputan::media::synth::{scene_jpeg, Scene, SynthPhoto, SynthText};
use serde_json::{json, Value};

use crate::harness::{get, request_anonymous, send_json, served_addr, wait_until, Daemon, Env};

pub const XSS_TITLE: &str = "Rapat <script>alert('judul')</script>";
pub const XSS_CAPTION: &str = "Foto <script>alert('keterangan')</script>";
pub const XSS_DESCRIPTION: &str = "<script>alert('exif')</script>";

/// A day at the office: accounts for every role, an event today with an
/// assignment whose crew is `staf`, and two of staf's photos tagged to it.
pub struct Office {
    /// Held so the folder and the daemon live as long as the office.
    #[allow(dead_code)]
    pub env: Env,
    #[allow(dead_code)]
    pub daemon: Option<Daemon>,
    pub addr: String,
    pub tokens: BTreeMap<&'static str, String>,
    pub event: i64,
    pub assignment: i64,
    pub assets: Vec<String>,
    pub today: String,
}

/// Accounts (besides the harness's admin): username, role, crew roles.
const PEOPLE: &[(&str, &str, &[&str])] = &[
    ("kadis", "kadis", &[]),
    ("kabid", "kabid", &[]),
    ("kasi", "kasi", &[]),
    ("staf", "staf", &["fotografer"]),
    ("staf2", "staf", &["fotografer"]),
    ("ahli", "tenaga_ahli", &[]),
];

fn ok(reply: &crate::harness::Reply, what: &str) -> Value {
    assert!(
        (200..300).contains(&reply.status),
        "{what}: {} {}",
        reply.status,
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}

impl Office {
    pub fn open() -> Office {
        let env = Env::new("");
        // The throttle test below stands behind a TLS proxy on loopback.
        let config = std::fs::read_to_string(&env.config).expect("config");
        let config = config.replacen(
            "[server]\n",
            "[server]\ntrusted_proxies = [\"127.0.0.1\"]\n",
            1,
        );
        std::fs::write(&env.config, config).expect("config");
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
        tokens.insert("admin", env.admin_token());
        ok(
            &send_json(
                "POST",
                &addr,
                "/api/cameras",
                &json!({"serial": "CAM777", "owner": "staf", "make": "Canon", "model": "Canon EOS 90D"}),
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
                &json!({"title": XSS_TITLE, "leader": "gubernur", "location": "Tanjung Selor",
                        "starts_at": format!("{today}T08:00:00+08:00"), "ends_at": format!("{today}T10:00:00+08:00"),
                        "out_of_town": false, "source": "Protokol"}),
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
                &json!({"event_id": event, "crew": [{"username": "staf", "role": "fotografer"}]}),
            ),
            "add assignment",
        )["id"]
            .as_i64()
            .expect("assignment id");
        let card = env.inbox.join("staf").join("DCIM").join("100CANON");
        std::fs::create_dir_all(&card).expect("card folder");
        for n in 1..=2u64 {
            let spec = SynthPhoto {
                width: 640,
                height: 427,
                captured: Some(format!("{} 09:0{n}:00", today.replace('-', ":"))),
                offset: Some("+08:00".into()),
                serial: Some("CAM777".into()),
                seed: n,
                ..SynthPhoto::default()
            };
            let text = SynthText {
                description: (n == 1).then(|| XSS_DESCRIPTION.to_owned()),
                ..SynthText::default()
            };
            let bytes = scene_jpeg(&spec, Scene::Meeting, &text);
            let tmp = env.dir.path().join(format!("tmp{n}.jpg"));
            std::fs::write(&tmp, bytes).expect("photo");
            std::fs::rename(&tmp, card.join(format!("IMG_000{n}.JPG"))).expect("drop");
        }
        let mut assets = Vec::new();
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
        Office {
            env,
            daemon: Some(daemon),
            addr,
            tokens,
            event,
            assignment,
            assets,
            today,
        }
    }

    pub fn bearer(&self, who: &str) -> String {
        format!("Bearer {}", self.tokens[who])
    }

    /// Logs in with the password and returns the session cookie (`name=value`).
    pub fn login(&self, who: &str, extra: &[(&str, &str)]) -> String {
        let body = json!({"username": who, "password": format!("sandi-{who}")}).to_string();
        let mut headers = vec![("Content-Type", "application/json")];
        headers.extend_from_slice(extra);
        let reply = request_anonymous(
            "POST",
            &self.addr,
            "/api/login",
            &headers,
            Some(body.as_bytes()),
        );
        assert_eq!(
            reply.status,
            200,
            "login {who}: {}",
            String::from_utf8_lossy(&reply.body)
        );
        cookie_of(&reply)
    }
}

fn cookie_of(reply: &crate::harness::Reply) -> String {
    let set = reply.header("set-cookie").expect("Set-Cookie");
    set.split(';').next().unwrap_or_default().trim().to_owned()
}

/// Only the status line: enough for permissions, and it does not wait for
/// streams (`/api/live`) or whole originals.
fn status_of(addr: &str, method: &str, path: &str, headers: &[(&str, &str)]) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let body = if method == "GET" { "" } else { "{}" };
    let mut text = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    if method != "GET" {
        text.push_str(&format!(
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        ));
    }
    text.push_str("\r\n");
    text.push_str(body);
    stream.write_all(text.as_bytes()).expect("send");
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap_or(0) == 1 {
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    let location = head
        .lines()
        .find_map(|l| {
            l.strip_prefix("location: ")
                .or_else(|| l.strip_prefix("Location: "))
        })
        .unwrap_or_default()
        .to_owned();
    (status, location)
}

const ROLES: [&str; 5] = ["kadis", "kabid", "kasi", "staf", "ahli"];

/// `design.md`'s permission table, route by route: who may (besides admins
/// for user management). "public": no login at all. `staf` here is crew of
/// the assignment the request names.
fn expected() -> BTreeMap<(&'static str, &'static str), &'static str> {
    let all = "kadis kabid kasi staf ahli";
    let schedule = "kadis kabid kasi";
    let crew = "kadis kabid kasi staf";
    let rows: &[(&str, &str, &str)] = &[
        ("GET", "/healthz", "public"),
        ("GET", "/readyz", "public"),
        ("GET", "/metrics", "public"),
        ("GET", "/clock", "public"),
        ("GET", "/clock/qr.svg", "public"),
        ("GET", "/clock/now", "public"),
        ("GET", "/static/{name}", "public"),
        ("GET", "/masuk", "public"),
        ("POST", "/masuk", "public"),
        ("POST", "/api/login", "public"),
        ("GET", "/setup", "public"),
        ("POST", "/setup", "public"),
        ("POST", "/api/logout", all),
        ("GET", "/sandi", all),
        ("POST", "/api/password", all),
        ("GET", "/", all),
        ("GET", "/api/live", all),
        ("GET", "/api/assets", all),
        ("GET", "/api/assets/{id}", all),
        ("GET", "/api/assets/{id}/thumb", all),
        ("GET", "/api/assets/{id}/preview", all),
        ("GET", "/api/assets/{id}/original", all),
        ("POST", "/api/assets/{id}/assignment", schedule),
        ("POST", "/api/assets/assignment", schedule),
        ("POST", "/api/assets/{id}/caption", crew),
        ("POST", "/api/assets/{id}/pick", crew),
        ("GET", "/api/people", all),
        ("POST", "/api/people", "admin"),
        ("PATCH", "/api/people/{username}", "admin"),
        ("GET", "/api/cameras", all),
        ("POST", "/api/cameras", schedule),
        ("PATCH", "/api/cameras/{serial}", schedule),
        ("GET", "/api/roster/{month}", all),
        ("PUT", "/api/roster/{month}", schedule),
        ("GET", "/api/events", all),
        ("POST", "/api/events", schedule),
        ("PATCH", "/api/events/{id}", schedule),
        ("POST", "/api/assignments", schedule),
        ("GET", "/api/assignments/{id}", all),
        ("PUT", "/api/assignments/{id}/crew", schedule),
        ("GET", "/api/assignments/{id}/letter", all),
        ("POST", "/api/assignments/{id}/letter", schedule),
        ("POST", "/api/assignments/{id}/letter/cancel", schedule),
        ("GET", "/api/assignments/{id}/letter.pdf", all),
        ("GET", "/api/daily-report.pdf", all),
        ("PUT", "/api/people/{username}/letter-details", "admin"),
        ("GET", "/surat/{id}", all),
        ("GET", "/laporan-harian", all),
        ("GET", "/api/triage", schedule),
        ("GET", "/api/verify/last", all),
        ("POST", "/api/collages", "kadis kabid kasi ahli"),
        ("GET", "/api/collages", all),
        ("GET", "/api/collages/{file}", all),
        ("GET", "/api/routes", "admin"),
        ("GET", "/api/audit", "kadis kabid"),
        ("POST", "/api/uploads", crew),
        ("GET", "/api/uploads/{id}", crew),
        ("PATCH", "/api/uploads/{id}", crew),
        ("GET", "/jadwal", all),
        ("GET", "/agenda", all),
        ("GET", "/penugasan", all),
        ("GET", "/liputan/{id}", all),
        ("GET", "/triage", schedule),
        ("GET", "/arsip", all),
        ("GET", "/kolase", all),
        ("GET", "/unggah", crew),
        ("GET", "/kamera", all),
        ("GET", "/pengguna", "admin"),
        ("GET", "/audit", "kadis kabid"),
        ("GET", "/api/assignments/{id}/report", all),
        ("POST", "/api/assignments/{id}/report", crew),
        ("POST", "/api/assignments/{id}/approve", "kadis kabid"),
        ("POST", "/api/assignments/{id}/return", "kadis kabid"),
        (
            "POST",
            "/api/assignments/{id}/publish",
            "kadis kabid kasi ahli",
        ),
        (
            "GET",
            "/api/assignments/{id}/package.zip",
            "kadis kabid kasi ahli",
        ),
        ("GET", "/api/completeness", all),
        ("GET", "/laporan", all),
        ("GET", "/laporan/{id}", all),
    ];
    rows.iter().map(|(m, p, who)| ((*m, *p), *who)).collect()
}

/// A concrete path for a route pattern.
fn concrete(office: &Office, pattern: &str) -> String {
    let id = if pattern.starts_with("/api/assets/") {
        office.assets[0].clone()
    } else if pattern.starts_with("/api/events/") {
        office.event.to_string()
    } else if pattern.starts_with("/api/uploads/") {
        "0000000000000000".into()
    } else {
        office.assignment.to_string()
    };
    pattern
        .replace("{id}", &id)
        .replace("{serial}", "CAM777")
        .replace("{month}", &office.today[..7])
        .replace("{name}", "app.css")
        .replace("{username}", "staf2")
}

#[test]
fn every_route_answers_each_role_as_the_permission_table_says() {
    let office = Office::open();
    let addr = &office.addr;
    let live: Vec<Value> = get(addr, "/api/routes", &[])
        .json()
        .as_array()
        .cloned()
        .expect("route list");
    let table = expected();
    let live_keys: BTreeSet<(String, String)> = live
        .iter()
        .map(|r| {
            (
                r["method"].as_str().unwrap_or("").to_owned(),
                r["path"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect();
    let expected_keys: BTreeSet<(String, String)> = table
        .keys()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    let untested: Vec<_> = live_keys.difference(&expected_keys).collect();
    assert!(
        untested.is_empty(),
        "routes without a row in the permission test: {untested:?}"
    );
    let gone: Vec<_> = expected_keys.difference(&live_keys).collect();
    assert!(
        gone.is_empty(),
        "rows for routes the server no longer has: {gone:?}"
    );

    let mut wrong = Vec::new();
    // Logging out with a bearer token revokes it: walk that route last, so the
    // tokens still work for every other row.
    let mut rows: Vec<_> = table.iter().collect();
    rows.sort_by_key(|((method, path), _)| (*method, *path) == ("POST", "/api/logout"));
    for ((method, pattern), who) in rows {
        let path = concrete(&office, pattern);
        // Anonymous: public routes answer, others want a login.
        let (status, location) = status_of(addr, method, &path, &[]);
        let refused = status == 401 || (status == 303 && location.starts_with("/masuk"));
        if (*who == "public") == refused {
            wrong.push(format!("anonymous {method} {path}: {status}"));
        }
        for role in ROLES.iter().chain(["admin"].iter()) {
            let bearer = office.bearer(role);
            let (status, _) = status_of(addr, method, &path, &[("Authorization", &bearer)]);
            let allowed = *who == "public"
                || who.split(' ').any(|w| w == *role)
                || (*role == "admin" && (*who == "admin" || who.contains("kadis")));
            let denied = status == 403 || status == 401;
            if allowed == denied {
                wrong.push(format!(
                    "{role} {method} {path}: {status}, expected {}",
                    if allowed { "allowed" } else { "403" }
                ));
            }
        }
    }
    // STAF not on the crew: refused on the crew-only routes about that assignment.
    for rule in &live {
        if rule["need"]
            .get("crew")
            .and_then(Value::as_str)
            .is_some_and(|t| t != "own")
        {
            let method = rule["method"].as_str().unwrap_or("");
            let path = concrete(&office, rule["path"].as_str().unwrap_or(""));
            let (status, _) = status_of(
                addr,
                method,
                &path,
                &[("Authorization", &office.bearer("staf2"))],
            );
            if status != 403 {
                wrong.push(format!(
                    "staf2 (not crew) {method} {path}: {status}, expected 403"
                ));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong answers:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn cross_site_writes_are_refused_and_sessions_rotate_and_end() {
    let office = Office::open();
    let addr = &office.addr;
    let cookie = office.login("kasi", &[]);
    let live: Vec<Value> = get(addr, "/api/routes", &[])
        .json()
        .as_array()
        .cloned()
        .expect("route list");
    let mut wrong = Vec::new();
    for rule in &live {
        let method = rule["method"].as_str().unwrap_or("");
        if method == "GET" {
            continue;
        }
        let path = concrete(&office, rule["path"].as_str().unwrap_or(""));
        for forged in [
            ("Origin", "http://evil.example"),
            ("Sec-Fetch-Site", "cross-site"),
        ] {
            let (status, _) = status_of(addr, method, &path, &[("Cookie", &cookie), forged]);
            if status != 403 {
                wrong.push(format!("{method} {path} with {forged:?}: {status}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "cross-site writes not refused:\n{}",
        wrong.join("\n")
    );

    // A forged event post changes nothing; the same post from the panel works.
    let event = json!({"title": "Rapat Lintas Situs", "leader": "sekda", "location": "Tarakan",
        "starts_at": format!("{}T13:00:00+08:00", office.today), "ends_at": format!("{}T14:00:00+08:00", office.today),
        "out_of_town": false}).to_string();
    let origin_self = format!("http://{addr}");
    for (origin, want) in [("http://evil.example", 403), (origin_self.as_str(), 201)] {
        let reply = request_anonymous(
            "POST",
            addr,
            "/api/events",
            &[
                ("Cookie", &cookie),
                ("Origin", origin),
                ("Content-Type", "application/json"),
            ],
            Some(event.as_bytes()),
        );
        assert_eq!(
            reply.status,
            want,
            "{origin}: {}",
            String::from_utf8_lossy(&reply.body)
        );
    }
    let listed = get(addr, &format!("/api/events?date={}", office.today), &[])
        .json()
        .to_string();
    assert_eq!(listed.matches("Rapat Lintas Situs").count(), 1, "{listed}");

    // Cookie attributes; Secure behind the TLS proxy.
    let reply = request_anonymous(
        "POST",
        addr,
        "/api/login",
        &[
            ("Content-Type", "application/json"),
            ("X-Forwarded-Proto", "https"),
        ],
        Some(
            json!({"username": "kasi", "password": "sandi-kasi"})
                .to_string()
                .as_bytes(),
        ),
    );
    let set = reply.header("set-cookie").expect("cookie").to_owned();
    for attribute in ["HttpOnly", "SameSite=Lax", "Path=/", "Secure"] {
        assert!(set.contains(attribute), "{attribute} missing: {set}");
    }

    // Session fixation: logging in with a session gives a new one and ends the old.
    let first = office.login("staf", &[]);
    let second = office.login("staf", &[("Cookie", &first)]);
    assert_ne!(first, second);
    let with =
        |c: &str| request_anonymous("GET", addr, "/api/people", &[("Cookie", c)], None).status;
    assert_eq!(with(&first), 401, "the pre-login session must be dead");
    assert_eq!(with(&second), 200);
    // Logout ends the session on the server, not just in the browser.
    let out = request_anonymous(
        "POST",
        addr,
        "/api/logout",
        &[("Cookie", &second)],
        Some(b"{}"),
    );
    assert_eq!(out.status, 200);
    assert_eq!(
        with(&second),
        401,
        "a logged-out session must not work when replayed"
    );

    // Throttling: five failures make this username wait from this address only.
    let attempt = |password: &str, from: &str| {
        request_anonymous(
            "POST",
            addr,
            "/api/login",
            &[
                ("Content-Type", "application/json"),
                ("X-Forwarded-For", from),
            ],
            Some(
                json!({"username": "kabid", "password": password})
                    .to_string()
                    .as_bytes(),
            ),
        )
    };
    for _ in 0..5 {
        assert_eq!(attempt("salah-salah", "10.1.1.1").status, 401);
    }
    let blocked = attempt("sandi-kabid", "10.1.1.1");
    assert_eq!(blocked.status, 429, "the right password must wait too");
    assert!(blocked.header("retry-after").is_some());
    assert_eq!(
        attempt("sandi-kabid", "10.2.2.2").status,
        200,
        "another address is not blocked"
    );

    // The audit log saw it all, and only KADIS/KABID may read it.
    let audit = get(
        addr,
        "/api/audit",
        &[("Authorization", &office.bearer("kabid"))],
    )
    .json()
    .to_string();
    for seen in ["login failed", "login throttled", "POST /api/events"] {
        assert!(audit.contains(seen), "audit lacks {seen}: {audit}");
    }
}

#[test]
fn text_from_people_and_files_is_escaped_on_every_page() {
    let office = Office::open();
    let addr = &office.addr;
    let caption = send_json(
        "POST",
        addr,
        &format!("/api/assets/{}/caption", office.assets[1]),
        &json!({"caption": XSS_CAPTION}),
    );
    assert_eq!(
        caption.status,
        200,
        "{}",
        String::from_utf8_lossy(&caption.body)
    );
    let a = office.assignment;
    let pages = [
        ("/".to_owned(), vec![XSS_TITLE]),
        (format!("/agenda?tanggal={}", office.today), vec![XSS_TITLE]),
        (
            format!("/penugasan?tanggal={}", office.today),
            vec![XSS_TITLE],
        ),
        (
            format!("/liputan/{a}"),
            vec![XSS_TITLE, XSS_CAPTION, XSS_DESCRIPTION],
        ),
        ("/arsip?q=foto".to_owned(), vec![XSS_CAPTION]),
    ];
    for (path, shown) in pages {
        let reply = get(addr, &path, &[]);
        assert_eq!(reply.status, 200, "{path}");
        let html = String::from_utf8_lossy(&reply.body);
        assert!(
            !html.contains("<script>alert"),
            "{path} carries a live script:\n{html}"
        );
        for text in shown {
            let escaped = text.replace('<', "&lt;").replace('>', "&gt;");
            let escaped = escaped.split('\'').next().unwrap_or_default();
            assert!(
                html.contains(escaped),
                "{path} does not show {text:?} escaped"
            );
        }
        let csp = reply.header("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(reply.header("x-frame-options"), Some("DENY"));
    }
}

#[test]
fn the_first_start_prints_a_one_time_setup_link() {
    let env = Env::new("");
    let _daemon = env.serve();
    let mut link = String::new();
    wait_until(Duration::from_secs(30), "the setup link in the log", || {
        let log = env.log();
        match log.split("/setup?token=").nth(1) {
            Some(rest) => {
                link = format!(
                    "/setup?token={}",
                    rest.split_whitespace().next().unwrap_or("")
                );
                true
            }
            None => false,
        }
    });
    let addr = crate::harness::served_addr_anonymous(&env);
    assert_eq!(
        request_anonymous("GET", &addr, "/setup?token=salah", &[], None).status,
        404
    );
    assert_eq!(
        request_anonymous("GET", &addr, &link, &[], None).status,
        200
    );
    let token = link.trim_start_matches("/setup?token=");
    let form = format!(
        "token={token}&username=pertama&name=Admin+Pertama&role=kasi&password=sandi-pertama"
    );
    let created = request_anonymous(
        "POST",
        &addr,
        "/setup",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(form.as_bytes()),
    );
    assert_eq!(
        created.status,
        303,
        "{}",
        String::from_utf8_lossy(&created.body)
    );
    let cookie = cookie_of(&created);
    let home = request_anonymous("GET", &addr, "/", &[("Cookie", &cookie)], None);
    assert!(String::from_utf8_lossy(&home.body).contains("Admin Pertama"));
    let again = request_anonymous(
        "POST",
        &addr,
        "/setup",
        &[("Content-Type", "application/x-www-form-urlencoded")],
        Some(form.replace("pertama", "kedua").as_bytes()),
    );
    assert_eq!(again.status, 404, "the link works once");
}

#[test]
fn the_daemon_stops_promptly_while_a_live_page_is_open() {
    use std::io::{Read, Write};
    let env = Env::new("");
    let daemon = env.serve();
    let addr = served_addr(&env);
    let mut live = std::net::TcpStream::connect(&addr).expect("connect");
    let request = format!(
        "GET /api/live HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {}\r\n\r\n",
        env.admin_token()
    );
    live.write_all(request.as_bytes()).expect("send");
    let mut head = [0u8; 12];
    live.read_exact(&mut head).expect("status line");
    assert_eq!(&head, b"HTTP/1.1 200");
    let asked = std::time::Instant::now();
    daemon.stop();
    assert!(
        asked.elapsed() < Duration::from_secs(10),
        "SIGTERM took {:?} with a live list open",
        asked.elapsed()
    );
}
