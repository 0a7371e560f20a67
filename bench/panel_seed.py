#!/usr/bin/env python3
"""Fills a freshly migrated liputan catalog with a synthetic archive for bench/panel.sh.

    python3 bench/panel_seed.py CATALOG.sqlite COUNT MIGRATIONS

Real ingest of 100,000 files would take hours; the panel only reads catalog rows
and the search index (built from the catalog by `liputan reindex`), so rows are
enough. Everything is written in one transaction, deterministically (fixed seed):

- people: a dozen photographers/videographers/reporters (role staf) with cameras;
- events: five years (2021-2025, WITA) of agenda items with Indonesian titles
  ("Kunjungan Kerja Gubernur ke Tarakan", "Rapat Koordinasi Stunting",
  "Peresmian Jembatan Sesayap", ...), one assignment each, with a crew;
- assets: COUNT rows, status 'archived', about 85 % tagged to an assignment
  (captured inside the event's window, photographer from its crew), the rest
  untagged with a triage reason. File names are camera names (IMG_0001.JPG,
  DSC01234.ARW, C0012.MP4) or the Indonesian names people rename files to
  ("peresmian-jembatan-sesayap_012.jpg").

There are no files behind the rows, so `derived` is 'placeholder' with a
derive_error: the panel shows placeholders and nothing tries to decode.
(`liputan reindex` still counts placeholders as "missing" and retries them:
bench/panel.sh reports how long that takes.)

MIGRATIONS is the number of migration files in src/catalog/migrations; the
catalog's `PRAGMA user_version` must equal it, or the schema this script
writes to is not the one the binary expects.
"""

import hashlib
import json
import random
import sqlite3
import sys
import time

WITA = 8 * 3600
# 2021-01-01T00:00:00+08:00 and five years on.
START_MS = 1_609_430_400_000
DAY_MS = 24 * 3600 * 1000
SPAN_DAYS = 5 * 365 + 1

PEOPLE = [
    # username, name, crew role, camera (make, model, serial prefix, file-name style)
    ("budi", "Budi Santoso", "fotografer", ("Canon", "Canon EOS R6", "0320", "canon")),
    ("siti", "Siti Rahmawati", "fotografer", ("Sony", "ILCE-7M4", "0451", "sony")),
    ("andi", "Andi Pratama", "fotografer", ("Nikon", "NIKON Z 6_2", "0608", "nikon")),
    ("yohanes", "Yohanes Lalung", "kameraman", ("Sony", "ILME-FX3", "0452", "sonyvideo")),
    ("rahmat", "Rahmat Hidayat", "fotografer", ("Canon", "Canon EOS 5D Mark IV", "0321", "canon")),
    ("dewi", "Dewi Lestari", "reporter", ("Apple", "iPhone 14 Pro", "A14P", "iphone")),
    ("fajar", "Fajar Nugroho", "fotografer", ("FUJIFILM", "X-T4", "0911", "fuji")),
    ("nur", "Nur Aisyah", "kameraman", ("DJI", "Mavic 3", "DJI3", "dji")),
    ("hendra", "Hendra Gunawan", "fotografer", ("Canon", "Canon EOS R5", "0322", "canon")),
    ("lina", "Lina Marlina", "reporter", ("Samsung", "Galaxy S23", "SMS2", "phone")),
    ("agus", "Agus Salim", "fotografer", ("Sony", "ILCE-7RM3", "0453", "sony")),
    ("maria", "Maria Ulu", "kameraman", ("Canon", "Canon EOS C70", "0323", "canonvideo")),
]

PLACES = [
    "Tanjung Selor", "Tarakan", "Nunukan", "Malinau", "Tana Tidung", "Sebatik",
    "Krayan", "Sembakung", "Sebuku", "Long Bawan", "Tanjung Palas", "Bunyu",
    "Sesayap", "Mentarang", "Juata",
]
LEADERS = [("gubernur", "Gubernur", 35), ("wakil_gubernur", "Wakil Gubernur", 20),
           ("sekda", "Sekda", 15), ("kadis", "Kepala Dinas", 15), ("lainnya", "", 15)]
TOPICS = [
    "Stunting", "Penanganan Banjir", "Pengendalian Inflasi Daerah", "Pencegahan Karhutla",
    "Percepatan Infrastruktur Perbatasan", "Penanggulangan Kemiskinan Ekstrem",
    "Persiapan HUT Provinsi Kaltara", "Pengamanan Natal dan Tahun Baru", "Ketahanan Pangan",
    "Evaluasi Realisasi APBD", "Penanganan Abrasi Pantai", "Pelayanan Publik",
]
OBJECTS = [
    "Jembatan", "Gedung Sekolah", "Puskesmas", "Pasar Rakyat", "Dermaga", "Masjid Agung",
    "Jalan Perbatasan", "Rumah Sakit", "Kantor Camat", "Gedung Olahraga", "Bandara",
    "Pelabuhan",
]
AID = ["Sembako", "Alat Tangkap Nelayan", "Beasiswa", "Bibit Kakao", "Bantuan Banjir", "Alsintan"]
CAPTION_BITS = [
    "didampingi kepala dinas", "bersama Forkopimda", "disambut masyarakat setempat",
    "meninjau langsung kondisi di lapangan", "menyerahkan bantuan kepada warga terdampak",
    "memberikan arahan kepada OPD terkait", "dalam rangka HUT Provinsi Kaltara",
]
KINDS = [("photo", 78), ("raw", 9), ("video", 10), ("audio", 2), ("document", 1)]
RAW_STYLES = ("canon", "sony", "nikon", "fuji", "dji")
STATUSES = ["covered", "reported", "approved", "published"]


def title_for(rng, leader_label):
    """An agenda title as the team writes them."""
    place = rng.choice(PLACES)
    who = leader_label or "Pemprov"
    form = rng.choices(range(9), weights=[24, 18, 16, 6, 8, 4, 6, 8, 10])[0]
    return [
        lambda: f"Kunjungan Kerja {who} ke {place}",
        lambda: f"Rapat Koordinasi {rng.choice(TOPICS)}",
        lambda: f"Peresmian {rng.choice(OBJECTS)} {place}",
        lambda: "Pelantikan Pejabat Administrator Pemprov Kaltara",
        lambda: f"Penyerahan {rng.choice(AID)} di {place}",
        lambda: "Upacara Peringatan HUT Provinsi Kalimantan Utara",
        lambda: f"Musrenbang Kabupaten {place}",
        lambda: f"Dialog {who} Bersama Warga {place}",
        lambda: f"Peninjauan {rng.choice(OBJECTS)} di {place}",
    ][form](), place


def slug(text):
    out = "".join(c.lower() if c.isalnum() else "-" for c in text)
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")


def file_name(rng, style, kind, n, label):
    """A camera's own name, or (a quarter of the time) an Indonesian rename."""
    if label and rng.random() < 0.25 and kind in ("photo", "video"):
        return f"{slug(label)}_{n % 1000:03d}.{'jpg' if kind == 'photo' else 'mp4'}"
    if kind == "audio":
        return rng.choice([f"REC_{n % 10000:04d}.WAV", f"wawancara_{n % 1000:03d}.m4a"])
    if kind == "document":
        return rng.choice([f"rundown_acara_{n % 1000:03d}.pdf", f"naskah_sambutan_{n % 1000:03d}.docx"])
    if kind == "video":
        return {"sonyvideo": f"C{n % 10000:04d}.MP4", "dji": f"DJI_{n % 10000:04d}.MP4",
                "iphone": f"IMG_{n % 10000:04d}.MOV"}.get(style, f"MVI_{n % 10000:04d}.MP4")
    raw = kind == "raw"
    return {
        "canon": f"IMG_{n % 10000:04d}.{'CR3' if raw else 'JPG'}",
        "sony": f"DSC{n % 100000:05d}.{'ARW' if raw else 'JPG'}",
        "nikon": f"DSC_{n % 10000:04d}.{'NEF' if raw else 'JPG'}",
        "fuji": f"DSCF{n % 10000:04d}.{'RAF' if raw else 'JPG'}",
        "iphone": f"IMG_{n % 10000:04d}.HEIC",
        "dji": f"DJI_{n % 10000:04d}.{'DNG' if raw else 'JPG'}",
    }.get(style, f"IMG_{n % 10000:04d}.JPG")


def main():
    path, count, migrations = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rng = random.Random(0x5EED)
    db = sqlite3.connect(path, isolation_level=None)
    version = db.execute("PRAGMA user_version").fetchone()[0]
    if version != migrations:
        sys.exit(f"catalog user_version {version} != {migrations} migrations: schema mismatch")
    if db.execute("SELECT count(*) FROM assets").fetchone()[0]:
        sys.exit("the catalog already has assets")
    now = int(time.time() * 1000)
    started = time.time()
    db.execute("BEGIN")

    for username, name, crew_role, (make, model, prefix, _) in PEOPLE:
        db.execute(
            "INSERT INTO people (username, name, role, crew_roles, created_at_ms) VALUES (?,?,?,?,?)",
            (username, name, "staf", json.dumps([crew_role]), now))
        serial = f"{prefix}{len(username) * 7919:08d}"
        db.execute(
            "INSERT INTO cameras (serial, serial_key, make, model, owner) VALUES (?,?,?,?,?)",
            (serial, serial.upper().lstrip("0"), make, model, username))

    # A few hundred events over five years, one assignment each, with a crew of 1-3.
    n_events = max(20, count // 300)
    assignments = []  # (id, title, place, start_ms, end_ms, crew usernames, folder)
    for event_id in range(1, n_events + 1):
        leader, label, _ = rng.choices(LEADERS, weights=[w for *_, w in LEADERS])[0]
        title, place = title_for(rng, label)
        day = START_MS + rng.randrange(SPAN_DAYS) * DAY_MS
        start = day + rng.randrange(8 * 3600, 16 * 3600) * 1000  # 08:00-16:00 WITA
        end = start + rng.randrange(1, 5) * 3600 * 1000
        db.execute(
            "INSERT INTO events (id, title, leader, location, starts_at_ms, ends_at_ms, zone_seconds,"
            " out_of_town, source, created_at_ms) VALUES (?,?,?,?,?,?,?,?,?,?)",
            (event_id, title, leader, place, start, end, WITA,
             int(place not in ("Tanjung Selor", "Tanjung Palas")), "undangan", now))
        folder = slug(title)[:60]
        db.execute(
            "INSERT INTO assignments (id, event_id, status, folder, created_at_ms) VALUES (?,?,?,?,?)",
            (event_id, event_id, rng.choice(STATUSES), folder, now))
        crew = rng.sample(PEOPLE, rng.randrange(1, 4))
        for person in crew:
            db.execute("INSERT INTO crew (assignment_id, username, role) VALUES (?,?,?)",
                       (event_id, person[0], person[2]))
        assignments.append((event_id, title, place, start, end, crew, folder))
    # Bursts of very different sizes, as real coverage has.
    weights = [rng.choice([1, 1, 2, 3, 5, 8]) for _ in assignments]

    columns = ("id, size, kind, file_name, archive_path, status, captured_at_ms, captured_offset,"
               " time_source, make, model, serial, serial_key, width, height, duration_ms, lat, lon,"
               " metadata, drop_folder, photographer, assignment_id, match_reason, match_confidence,"
               " triage_reason, ingested_at_ms, derived, derive_error, version, indexed_version,"
               " description, caption, caption_by")
    marks = ",".join("?" * len(columns.split(",")))
    insert = f"INSERT INTO assets ({columns}) VALUES ({marks})"
    kinds, kind_w = zip(*KINDS)
    rows = []
    tagged = 0
    for n in range(count):
        asset_id = hashlib.blake2b(f"liputan-panel-bench-{n}".encode(), digest_size=32).hexdigest()
        kind = rng.choices(kinds, weights=kind_w)[0]
        if rng.random() < 0.85:
            a_id, title, place, start, end, crew, folder = rng.choices(assignments, weights=weights)[0]
            person = rng.choice(crew)
            captured = rng.randrange(start, end)
            label = title
            match = ("fotografer dan waktu cocok dengan penugasan", 0.9, None)
            caption = f"{title} {rng.choice(CAPTION_BITS)}" if rng.random() < 0.2 else None
            tagged += 1
        else:
            a_id, folder, label, caption = None, "untagged", None, None
            person = rng.choice(PEOPLE)
            captured = START_MS + rng.randrange(SPAN_DAYS * DAY_MS)
            match = (None, None, "tidak ada penugasan pada waktu itu")
        username, _, _, (make, model, prefix, style) = person
        if kind == "raw" and style not in RAW_STYLES:
            kind = "photo"  # phones and cine cameras write no raw files
        name = file_name(rng, style, kind, n, label)
        local = time.gmtime((captured + WITA * 1000) // 1000)
        day = time.strftime("%Y-%m-%d", local)
        archive_path = f"{day[:4]}/{day[5:7]}/{day}_{folder}/{kind}/{n:06d}_{name}".encode()
        serial = f"{prefix}{len(username) * 7919:08d}"
        visual = kind in ("photo", "raw", "video")
        rows.append((
            asset_id, rng.randrange(200_000, 30_000_000), kind, name, archive_path, "archived",
            captured, WITA, "exif_zoneless", make, model, serial, serial.upper().lstrip("0"),
            6000 if visual else None, 4000 if visual else None,
            rng.randrange(5_000, 600_000) if kind in ("video", "audio") else None,
            2.84 + rng.random() if rng.random() < 0.3 else None,
            116.5 + rng.random() if rng.random() < 0.3 else None,
            "{}", username, username, a_id, *match, captured + rng.randrange(60_000, 7 * DAY_MS),
            "placeholder", "berkas sintetis (bench/panel.sh): tidak ada berkas di arsip",
            1, 0, None, caption, username if caption else None,
        ))
    db.executemany(insert, rows)
    db.execute("COMMIT")
    print(f"seeded {count} assets ({tagged} tagged), {n_events} events/assignments,"
          f" {len(PEOPLE)} people in {time.time() - started:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
