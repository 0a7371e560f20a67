//! Collages against a real daemon (SOP step 9): picked photos of an
//! assignment become a print-sized JPEG and PDF; no photo is stretched; STAF
//! may not make one; the fallback to not-yet-approved picks is said.

use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::harness::{get, request, send_json, wait_until, Reply};
use crate::panel::Office;

/// Test photos: 3:2, 2:3, 1:1 and 16:9, each a blue disc on a pale ground.
const SHAPES: [(u32, u32); 4] = [(900, 600), (600, 900), (700, 700), (960, 540)];

fn circle_jpeg(w: u32, h: u32, seed: u32) -> Vec<u8> {
    let (cx, cy, r) = (w as f64 / 2.0, h as f64 / 2.0, w.min(h) as f64 * 0.3);
    let ground = 215 + (seed * 7 % 30) as u8;
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        let d = ((x as f64 + 0.5 - cx).powi(2) + (y as f64 + 0.5 - cy).powi(2)).sqrt();
        if d <= r {
            image::Rgb([20, 40, 200])
        } else {
            image::Rgb([ground, ground, 220])
        }
    });
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
        .encode_image(&img)
        .expect("encode");
    out
}

/// Width and height of the blue disc inside a cell of the collage.
fn disc_extent(img: &image::RgbImage, cell: &Value) -> (u32, u32) {
    let n = |k: &str| cell[k].as_u64().expect("cell field") as u32;
    let (cx, cy, cw, ch) = (n("x"), n("y"), n("w"), n("h"));
    let (mut x0, mut x1, mut y0, mut y1) = (u32::MAX, 0, u32::MAX, 0);
    for y in cy..cy + ch {
        for x in cx..cx + cw {
            let p = img.get_pixel(x, y);
            if p[2] > 120 && p[0] < 110 && p[1] < 120 {
                (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
            }
        }
    }
    assert!(x0 <= x1, "no disc in cell {cell}");
    (x1 + 1 - x0, y1 + 1 - y0)
}

fn post_as(office: &Office, who: &str, body: &Value) -> Reply {
    let bearer = office.bearer(who);
    let text = body.to_string();
    request(
        "POST",
        &office.addr,
        "/api/collages",
        &[
            ("Authorization", &bearer),
            ("Content-Type", "application/json"),
        ],
        Some(text.as_bytes()),
    )
}

fn ok(reply: &Reply, what: &str) -> Value {
    assert!(
        (200..300).contains(&reply.status),
        "{what}: {} {}",
        reply.status,
        String::from_utf8_lossy(&reply.body)
    );
    reply.json()
}

#[test]
fn picked_photos_become_an_undistorted_print_sized_collage() {
    let office = Office::open();
    let addr = &office.addr;
    let today = office.today.clone();

    // Eight photos of four shapes dropped by staf, tagged and picked.
    let card = office.env.inbox.join("staf").join("kolase");
    std::fs::create_dir_all(&card).expect("card");
    let mut ids = Vec::new();
    for n in 0..8u32 {
        let (w, h) = SHAPES[n as usize % SHAPES.len()];
        let bytes = circle_jpeg(w, h, n);
        ids.push(blake3::hash(&bytes).to_hex().to_string());
        let tmp = office.env.dir.path().join(format!("disc{n}.jpg"));
        std::fs::write(&tmp, &bytes).expect("photo");
        std::fs::rename(&tmp, card.join(format!("DISC_{n:04}.JPG"))).expect("drop");
    }
    wait_until(Duration::from_secs(60), "the disc photos archived", || {
        ids.iter()
            .all(|id| get(addr, &format!("/api/assets/{id}"), &[]).status == 200)
    });
    for id in &ids {
        ok(
            &send_json(
                "POST",
                addr,
                &format!("/api/assets/{id}/assignment"),
                &json!({"assignment_id": office.assignment}),
            ),
            "tag",
        );
        ok(
            &send_json(
                "POST",
                addr,
                &format!("/api/assets/{id}/pick"),
                &json!({"picked": true}),
            ),
            "pick",
        );
    }

    let small = json!({"from": today, "to": today, "width_px": 1500, "height_px": 2100});
    assert_eq!(post_as(&office, "staf", &small).status, 403, "STAF may not");

    // Nothing approved yet: the picks of any status, and the reply says so.
    let started = Instant::now();
    let made = ok(&post_as(&office, "ahli", &small), "tenaga ahli makes one");
    eprintln!(
        "collage 1500x2100 of 8 photos: {} ms render, {:?} request",
        made["render_ms"],
        started.elapsed()
    );
    assert!(made["fallback"].is_string(), "{made}");
    let cells = made["cells"].as_array().expect("cells").clone();
    assert_eq!(cells.len(), 8, "{made}");
    let mut placed: Vec<&str> = cells
        .iter()
        .filter_map(|c| c["asset_id"].as_str())
        .collect();
    placed.sort_unstable();
    let mut picked: Vec<&str> = ids.iter().map(String::as_str).collect();
    picked.sort_unstable();
    assert_eq!(placed, picked, "exactly the picked photos");

    let jpg = get(addr, made["image_url"].as_str().expect("image_url"), &[]);
    assert_eq!(jpg.status, 200);
    assert_eq!(jpg.header("content-type"), Some("image/jpeg"));
    let img = image::load_from_memory(&jpg.body)
        .expect("a JPEG")
        .into_rgb8();
    assert_eq!((img.width(), img.height()), (1500, 2100));
    for cell in &cells {
        let (w, h) = disc_extent(&img, cell);
        let d = w.max(h) as f64;
        assert!(
            (w as f64 - h as f64).abs() <= 2.0 + d * 0.03,
            "a stretched photo: disc {w} x {h} in {cell}"
        );
    }

    let pdf = get(addr, made["pdf_url"].as_str().expect("pdf_url"), &[]);
    assert_eq!(pdf.status, 200);
    assert_eq!(pdf.header("content-type"), Some("application/pdf"));
    assert!(pdf.body.starts_with(b"%PDF"));
    let text = String::from_utf8_lossy(&pdf.body);
    assert!(
        text.contains("(Dokumentasi Kegiatan Pimpinan) Tj"),
        "title text"
    );

    // Approved (the approval route is another engineer's; the catalog is the
    // truth): now the approved picks, the default A3 size, one leader.
    {
        let conn =
            rusqlite::Connection::open(office.env.data.join("catalog.sqlite")).expect("catalog");
        conn.busy_timeout(Duration::from_secs(30)).expect("timeout");
        conn.execute(
            "UPDATE assignments SET status = 'approved' WHERE id = ?1",
            [office.assignment],
        )
        .expect("approve");
    }
    let started = Instant::now();
    let a3 = ok(
        &post_as(
            &office,
            "kasi",
            &json!({"from": today, "to": today, "leader": "gubernur"}),
        ),
        "A3 for the governor",
    );
    eprintln!(
        "collage A3 of 8 photos: {} ms render, {:?} request",
        a3["render_ms"],
        started.elapsed()
    );
    assert!(a3["fallback"].is_null(), "{a3}");
    assert_eq!(
        (a3["width_px"].as_u64(), a3["height_px"].as_u64()),
        (Some(3508), Some(4961))
    );
    assert!(
        a3["subtitle"]
            .as_str()
            .unwrap_or("")
            .starts_with("Gubernur · "),
        "{a3}"
    );
    let big = get(addr, a3["image_url"].as_str().expect("url"), &[]);
    let dims = image::ImageReader::new(std::io::Cursor::new(&big.body))
        .with_guessed_format()
        .expect("format")
        .into_dimensions()
        .expect("dimensions");
    assert_eq!(dims, (3508, 4961));

    // Another leader has no picks; bad sizes and days are named.
    let none = post_as(
        &office,
        "kasi",
        &json!({"from": today, "to": today, "leader": "sekda"}),
    );
    assert_eq!(none.status, 400);
    let huge = post_as(
        &office,
        "kasi",
        &json!({"from": today, "to": today, "width_px": 20000}),
    );
    assert_eq!(huge.status, 400);
    assert!(huge.json()["error"]
        .as_str()
        .unwrap_or("")
        .starts_with("width_px"));
    let bad_day = post_as(&office, "kasi", &json!({"from": "kemarin", "to": today}));
    assert_eq!(bad_day.status, 400);
    assert!(bad_day.json()["error"]
        .as_str()
        .unwrap_or("")
        .starts_with("from"));

    // Everyone sees the list and the page; only Publish roles get the form.
    let staf = office.bearer("staf");
    let list = get(addr, "/api/collages", &[("Authorization", &staf)]).json();
    let listed: Vec<i64> = list
        .as_array()
        .expect("list")
        .iter()
        .filter_map(|c| c["id"].as_i64())
        .collect();
    assert_eq!(
        listed,
        vec![a3["id"].as_i64().unwrap(), made["id"].as_i64().unwrap()]
    );
    let page = get(addr, "/kolase", &[("Authorization", &staf)]);
    assert_eq!(page.status, 200);
    let html = String::from_utf8_lossy(&page.body);
    assert!(html.contains(&format!("/api/collages/{}.jpg", made["id"])));
    assert!(
        !html.contains("data-api=\"/api/collages\""),
        "no form for STAF"
    );
    let kasi = office.bearer("kasi");
    let page = get(addr, "/kolase", &[("Authorization", &kasi)]);
    assert!(String::from_utf8_lossy(&page.body).contains("data-api=\"/api/collages\""));

    // Only numbered collages are files.
    for bad in ["999.jpg", "1.png", "..%2F..%2Fcatalog.sqlite", "abc.pdf"] {
        let r = get(addr, &format!("/api/collages/{bad}"), &[]);
        assert_eq!(r.status, 404, "{bad}");
    }
}
