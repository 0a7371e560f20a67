//! Surat Tugas and the daily schedule report against a real daemon: the PDF's
//! text (through poppler's `pdftotext`), numbers under 50 concurrent requests,
//! the out-of-town signer rule, re-issue and cancel; the daily report page and PDF.

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::harness::{get, request, send_json, served_addr, Daemon, Env, Reply};

const DAY: &str = "2026-11-27"; // a Jumat

struct Office {
    env: Env,
    #[allow(dead_code)]
    daemon: Daemon,
    addr: String,
    tokens: BTreeMap<&'static str, String>,
}

/// username, name, role, crew roles, NIP.
/// username, name, role, crew roles, NIP.
type PersonRow = (
    &'static str,
    &'static str,
    &'static str,
    &'static [&'static str],
    Option<&'static str>,
);

const PEOPLE: &[PersonRow] = &[
    (
        "budi",
        "Budi Hartono",
        "kadis",
        &[],
        Some("197208151998031005"),
    ),
    (
        "wati",
        "Wati Lestari",
        "kabid",
        &[],
        Some("197501012000032001"),
    ),
    (
        "rahmat",
        "Rahmat Hidayat",
        "kasi",
        &[],
        Some("198003032005011003"),
    ),
    (
        "andi",
        "Andi Pratama",
        "staf",
        &["reporter"],
        Some("199005122015031002"),
    ),
    (
        "siti",
        "Siti Rahmawati",
        "staf",
        &["fotografer"],
        Some("199402032019032004"),
    ),
    (
        "yohanes",
        "Yohanes Lawing",
        "tenaga_ahli",
        &["kameraman"],
        None,
    ),
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

impl Office {
    fn open() -> Office {
        let env = Env::new("");
        let daemon = env.serve();
        let addr = served_addr(&env);
        let mut tokens = BTreeMap::new();
        for (username, name, role, crew, nip) in PEOPLE {
            let mut body = json!({"username": username, "name": name, "role": role,
                                  "crew_roles": crew, "password": format!("sandi-{username}")});
            if let Some(nip) = nip {
                body["nip"] = json!(nip);
            }
            ok(
                &send_json("POST", &addr, "/api/people", &body),
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
                "PUT",
                &addr,
                "/api/people/andi/letter-details",
                &json!({"pangkat": "Penata (III/c)", "jabatan": "Pranata Humas Ahli Muda"}),
            ),
            "letter details",
        );
        ok(
            &send_json(
                "PUT",
                &addr,
                "/api/people/budi/letter-details",
                &json!({"pangkat": "Pembina Utama Muda (IV/c)"}),
            ),
            "signer details",
        );
        ok(
            &send_json(
                "PUT",
                &addr,
                &format!("/api/roster/{}", &DAY[..7]),
                &json!({"days": {DAY: ["andi", "siti"]}}),
            ),
            "roster",
        );
        Office {
            env,
            daemon,
            addr,
            tokens,
        }
    }

    fn event(&self, title: &str, out_of_town: bool) -> i64 {
        ok(
            &send_json(
                "POST",
                &self.addr,
                "/api/events",
                &json!({"title": title, "leader": "gubernur", "location": "Kabupaten Nunukan",
                        "starts_at": format!("{DAY}T09:00:00+08:00"), "ends_at": format!("{DAY}T12:00:00+08:00"),
                        "out_of_town": out_of_town, "source": "Biro Administrasi Pimpinan"}),
            ),
            "add event",
        )["id"]
            .as_i64()
            .expect("event id")
    }

    fn assignment(&self, event: i64, crew: &[(&str, &str)]) -> i64 {
        let crew: Vec<Value> = crew
            .iter()
            .map(|(u, r)| json!({"username": u, "role": r}))
            .collect();
        ok(
            &send_json(
                "POST",
                &self.addr,
                "/api/assignments",
                &json!({"event_id": event, "crew": crew}),
            ),
            "add assignment",
        )["id"]
            .as_i64()
            .expect("assignment id")
    }

    /// POST as `who` (a username) or as the harness admin (`None`).
    fn post(&self, who: Option<&str>, path: &str, body: &Value) -> Reply {
        let text = body.to_string();
        let bearer = who.map(|w| format!("Bearer {}", self.tokens[w]));
        let mut headers = vec![("Content-Type", "application/json")];
        if let Some(b) = &bearer {
            headers.push(("Authorization", b.as_str()));
        }
        request("POST", &self.addr, path, &headers, Some(text.as_bytes()))
    }
}

/// The text of a PDF, or `None` (skip) when pdftotext is missing outside CI.
fn pdf_text(env: &Env, pdf: &[u8]) -> Option<String> {
    let path = env.dir.path().join(format!("t{}.pdf", pdf.len()));
    std::fs::write(&path, pdf).expect("write pdf");
    match std::process::Command::new("pdftotext")
        .args(["-enc", "UTF-8"])
        .arg(&path)
        .arg("-")
        .output()
    {
        Ok(out) => {
            assert!(
                out.status.success(),
                "pdftotext: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            // Lines joined: wrapping is the layout's business, not the text's.
            let text = String::from_utf8(out.stdout).expect("utf-8");
            Some(text.split_whitespace().collect::<Vec<_>>().join(" "))
        }
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "pdftotext (poppler-utils) is required under CI=true: {e}"
            );
            eprintln!("pdftotext missing ({e}): PDF text not checked");
            None
        }
    }
}

fn this_year() -> i16 {
    jiff::tz::Offset::constant(8)
        .to_datetime(jiff::Timestamp::now())
        .year()
}

fn seq_of(number: &str) -> i64 {
    number
        .split('/')
        .nth(1)
        .expect("urut")
        .parse()
        .expect("digits")
}

#[test]
fn the_letter_pdf_names_the_crew_with_grouped_nips_the_date_and_the_signer() {
    let office = Office::open();
    let event = office.event("Kunjungan Kerja Gubernur ke Nunukan", true);
    let id = office.assignment(
        event,
        &[
            ("andi", "reporter"),
            ("siti", "fotografer"),
            ("yohanes", "kameraman"),
        ],
    );
    let reply = ok(
        &office.post(
            None,
            &format!("/api/assignments/{id}/letter"),
            &json!({"signer": "budi"}),
        ),
        "issue",
    );
    let number = reply["number"].as_str().expect("number").to_owned();
    assert_eq!(number, format!("000.1.2.3/0001/DKISP/{}", this_year()));
    assert_eq!(
        reply["pdf_url"],
        format!("/api/assignments/{id}/letter.pdf")
    );
    let a = get(&office.addr, &format!("/api/assignments/{id}"), &[]).json();
    assert_eq!(a["status"], "letter_issued");

    let pdf = get(
        &office.addr,
        &format!("/api/assignments/{id}/letter.pdf"),
        &[],
    );
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert_eq!(
        pdf.header("content-disposition"),
        Some(format!("inline; filename=\"surat-tugas-{id}.pdf\"").as_str())
    );
    assert!(pdf.body.starts_with(b"%PDF-1.4"));
    let Some(text) = pdf_text(&office.env, &pdf.body) else {
        return;
    };
    let today = jiff::tz::Offset::constant(8)
        .to_datetime(jiff::Timestamp::now())
        .date();
    for want in [
        "SURAT TUGAS",
        "PEMERINTAH PROVINSI KALIMANTAN UTARA",
        &format!("NOMOR : {number}"),
        "MEMBERI TUGAS",
        "ANDI PRATAMA",
        "19900512 201503 1 002",
        "Penata (III/c)",
        "Pranata Humas Ahli Muda / Reporter",
        "SITI RAHMAWATI",
        "19940203 201903 2 004",
        "YOHANES LAWING",
        "Kunjungan Kerja Gubernur ke Nunukan",
        "Jumat",
        "27 November 2026",
        "09.00",
        "WITA",
        "Biro Administrasi Pimpinan",
        "Dikeluarkan di Tanjung Selor,",
        &format!("pada tanggal {}", liputan::dates::plain_date(today)),
        "BUDI HARTONO",
        "NIP 19720815 199803 1 005",
        "Pembina Utama Muda (IV/c)",
    ] {
        assert!(text.contains(want), "{want:?} missing from:\n{text}");
    }
    assert!(!text.contains("a.n."), "a kadis signs in their own name");
}

#[test]
fn fifty_concurrent_requests_get_fifty_consecutive_numbers() {
    let office = Office::open();
    let event = office.event("Rapat Koordinasi", false);
    let ids: Vec<i64> = (0..50)
        .map(|_| office.assignment(event, &[("siti", "fotografer")]))
        .collect();
    let addr = office.addr.clone();
    let started = std::time::Instant::now();
    let threads: Vec<_> = ids
        .iter()
        .map(|&id| {
            let addr = addr.clone();
            std::thread::spawn(move || {
                let r = send_json(
                    "POST",
                    &addr,
                    &format!("/api/assignments/{id}/letter"),
                    &json!({}),
                );
                assert_eq!(r.status, 200, "{}", String::from_utf8_lossy(&r.body));
                r.json()["number"].as_str().expect("number").to_owned()
            })
        })
        .collect();
    let numbers: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    eprintln!("50 letters in {:?}", started.elapsed());
    let mut seqs: Vec<i64> = numbers.iter().map(|n| seq_of(n)).collect();
    seqs.sort();
    assert_eq!(seqs, (1..=50).collect::<Vec<_>>(), "{numbers:?}");
}

#[test]
fn an_out_of_town_letter_needs_a_kadis_signer_and_a_kasi_may_prepare_it() {
    let office = Office::open();
    let away = office.event("Kunjungan ke Malinau", true);
    let id = office.assignment(away, &[("andi", "reporter")]);
    let path = format!("/api/assignments/{id}/letter");
    for signer in ["rahmat", "wati"] {
        let r = office.post(Some("rahmat"), &path, &json!({"signer": signer}));
        assert_eq!(r.status, 400, "{}", String::from_utf8_lossy(&r.body));
        let err = r.json()["error"].as_str().unwrap_or_default().to_owned();
        assert!(err.starts_with("signer:") && err.contains("kadis"), "{err}");
    }
    // Nothing was numbered by the refusals.
    let r = ok(
        &office.post(Some("rahmat"), &path, &json!({"signer": "budi"})),
        "kasi prepares, kadis signs",
    );
    assert_eq!(seq_of(r["number"].as_str().unwrap()), 1);
    assert_eq!(r["signer"], "budi");
    // STAF and TENAGA AHLI may not issue letters at all.
    for who in ["andi", "yohanes"] {
        assert_eq!(office.post(Some(who), &path, &json!({})).status, 403);
    }
    // In town, a kasi may sign, on behalf of the Kepala Dinas.
    let home = office.event("Rapat di Tanjung Selor", false);
    let id2 = office.assignment(home, &[("siti", "fotografer")]);
    let r = ok(
        &office.post(
            Some("rahmat"),
            &format!("/api/assignments/{id2}/letter"),
            &json!({"signer": "rahmat"}),
        ),
        "in-town letter signed by a kasi",
    );
    assert_eq!(seq_of(r["number"].as_str().unwrap()), 2);
    let pdf = get(
        &office.addr,
        &format!("/api/assignments/{id2}/letter.pdf"),
        &[],
    );
    if let Some(text) = pdf_text(&office.env, &pdf.body) {
        assert!(text.contains("a.n. KEPALA DINAS"), "{text}");
        assert!(text.contains("RAHMAT HIDAYAT"), "{text}");
    }
    // A letter needs a crew; a signer who is staf is refused.
    let empty = office.assignment(home, &[]);
    let r = office.post(
        None,
        &format!("/api/assignments/{empty}/letter"),
        &json!({}),
    );
    assert_eq!(r.status, 400);
    assert!(r.json()["error"].as_str().unwrap().starts_with("crew:"));
    let r = office.post(
        None,
        &format!("/api/assignments/{id2}/letter"),
        &json!({"signer": "andi"}),
    );
    assert_eq!(r.status, 400);
}

#[test]
fn a_reissue_keeps_the_number_and_a_cancel_is_kept_on_record() {
    let office = Office::open();
    let event = office.event("Peresmian Gedung", false);
    let id = office.assignment(event, &[("siti", "fotografer")]);
    let path = format!("/api/assignments/{id}/letter");
    let first = ok(&office.post(None, &path, &json!({})), "issue");
    assert_eq!(first["reissued"], false);
    let again = ok(&office.post(None, &path, &json!({})), "re-issue");
    assert_eq!(again["number"], first["number"]);
    assert_eq!(again["reissued"], true);

    let bad = office.post(None, &format!("{path}/cancel"), &json!({"reason": " "}));
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"].as_str().unwrap().starts_with("reason:"));
    let cancelled = ok(
        &office.post(
            Some("rahmat"),
            &format!("{path}/cancel"),
            &json!({"reason": "Jadwal kegiatan berubah"}),
        ),
        "cancel",
    );
    assert_eq!(cancelled["cancelled"], true);
    assert_eq!(cancelled["cancelled_by"], "rahmat");
    assert_eq!(
        get(&office.addr, &format!("{path}.pdf"), &[]).status,
        404,
        "a cancelled letter is not served as valid"
    );
    let state = get(&office.addr, &path, &[]).json();
    assert!(state["current"].is_null());
    assert_eq!(state["history"][0]["number"], first["number"]);
    assert_eq!(
        state["history"][0]["cancel_reason"],
        "Jadwal kegiatan berubah"
    );
    assert_eq!(state["status"], "assigned");

    let fresh = ok(&office.post(None, &path, &json!({})), "issue after cancel");
    let (n1, n2) = (
        seq_of(first["number"].as_str().unwrap()),
        seq_of(fresh["number"].as_str().unwrap()),
    );
    assert_eq!(n2, n1 + 1, "a cancelled number is never reused");
    let state = get(&office.addr, &path, &[]).json();
    assert_eq!(state["history"].as_array().unwrap().len(), 2);
    assert_eq!(state["current"]["number"], fresh["number"]);
    // The page shows both, and the forms for a KADIS.
    let page = get(&office.addr, &format!("/surat/{id}"), &[]);
    assert_eq!(page.status, 200);
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains(first["number"].as_str().unwrap()));
    assert!(html.contains("Jadwal kegiatan berubah"));
    assert!(html.contains(&format!("data-api=\"/api/assignments/{id}/letter/cancel\"")));
}

#[test]
fn the_daily_report_lists_events_crews_letters_and_flags() {
    let office = Office::open();
    let covered = office.event("Rapat Paripurna DPRD", false);
    let a = office.assignment(covered, &[("andi", "reporter")]);
    let b = office.assignment(covered, &[("yohanes", "kameraman")]);
    office.event("Penanaman Pohon", false);
    let number = ok(
        &office.post(None, &format!("/api/assignments/{a}/letter"), &json!({})),
        "issue",
    )["number"]
        .as_str()
        .unwrap()
        .to_owned();

    let page = get(&office.addr, &format!("/laporan-harian?tanggal={DAY}"), &[]);
    assert_eq!(page.status, 200);
    let html = String::from_utf8_lossy(&page.body);
    for want in [
        "Jumat, 27 November 2026",
        "Rapat Paripurna DPRD",
        "Penanaman Pohon",
        &number,
        "Andi Pratama",
        "Siti Rahmawati", // on duty
        "data-flag=\"no-crew\"",
        "data-flag=\"no-letter\"",
        &format!("/surat/{b}"),
        "tidak piket", // yohanes is not on the roster
    ] {
        assert!(html.contains(want), "{want:?} missing from the page");
    }
    assert_eq!(
        get(&office.addr, "/laporan-harian?tanggal=27-11-2026", &[]).status,
        400
    );
    assert_eq!(get(&office.addr, "/laporan-harian", &[]).status, 200);

    let pdf = get(
        &office.addr,
        &format!("/api/daily-report.pdf?date={DAY}"),
        &[],
    );
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    let bad = get(&office.addr, "/api/daily-report.pdf?date=besok", &[]);
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"].as_str().unwrap().starts_with("date:"));
    if let Some(text) = pdf_text(&office.env, &pdf.body) {
        for want in [
            "LAPORAN JADWAL PELIPUTAN HARIAN",
            "Jumat, 27 November 2026",
            "Andi Pratama, Siti Rahmawati",
            "Rapat Paripurna DPRD",
            &format!("Surat tugas: {number}"),
            "PERHATIAN: belum ada kru",
            "PERHATIAN: belum ada surat tugas",
            "tidak piket",
        ] {
            assert!(text.contains(want), "{want:?} missing from:\n{text}");
        }
    }
}
