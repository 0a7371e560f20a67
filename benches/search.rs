//! Search latency on a synthetic archive (not a cargo-bench harness).
//!
//! ```text
//! cargo bench --bench search [-- DOCS [RUNS]]     defaults: 100000 docs, 300 runs per query
//! ```
//!
//! Run without `--bench` (as `cargo test --all-targets` does) it is a smoke
//! test: 2,000 docs, 3 runs.
//!
//! Builds an index of DOCS assets in a temporary folder (five years of events
//! with Indonesian titles, Kaltara places, leaders, photographers and
//! cameras; bursts of shots per event), then times typical archivist queries
//! and prints p50 / p99 / max per query. Also reports the rebuild rate and the
//! cost of one ingest-sized upsert (100 docs, one commit).

use std::time::{Duration, Instant};

use liputan::search::{SearchDoc, SearchIndex, SearchQuery, Sort};

const WITA: i32 = 8 * 3600;
/// 2021-01-01T00:00:00+08:00.
const START_MS: i64 = 1_609_430_400_000;
const YEAR_MS: i64 = 365 * 24 * 3600 * 1000;

/// splitmix64: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    /// Picks by weight: `items` pairs a value with its weight.
    fn weighted<'a>(&mut self, items: &[(&'a str, u32)]) -> &'a str {
        let total: u32 = items.iter().map(|(_, w)| w).sum();
        let mut roll = (self.next() % u64::from(total)) as u32;
        for (item, weight) in items {
            if roll < *weight {
                return item;
            }
            roll -= weight;
        }
        items[0].0
    }
}

const ACTIVITIES: &[&str] = &[
    "Kunjungan kerja",
    "Peresmian",
    "Peninjauan",
    "Rapat koordinasi",
    "Pelantikan pejabat",
    "Penyerahan bantuan",
    "Upacara peringatan",
    "Penandatanganan nota kesepahaman",
    "Sosialisasi",
    "Dialog bersama warga",
    "Penanaman pohon",
    "Pembukaan festival",
    "Musrenbang",
    "Apel pagi",
    "Penyambutan tamu",
];
const OBJECTS: &[&str] = &[
    "jembatan",
    "banjir",
    "pasar rakyat",
    "sekolah",
    "puskesmas",
    "pelabuhan",
    "jalan perbatasan",
    "rumah sakit",
    "bendungan",
    "kantor camat",
    "PLTA Kayan",
    "masjid",
    "bandara",
    "UMKM",
    "nelayan",
];
const PLACES: &[&str] = &[
    "Tanjung Selor",
    "Tarakan",
    "Nunukan",
    "Malinau",
    "Tana Tidung",
    "Sebatik",
    "Krayan",
    "Sembakung",
    "Sebuku",
    "Long Bawan",
    "Tanjung Palas",
    "Bunyu",
    "Sesayap",
    "Mentarang",
    "Juata",
];
const LEADERS: &[(&str, u32)] = &[
    ("gubernur", 35),
    ("wakil_gubernur", 20),
    ("sekda", 15),
    ("kadis", 15),
    ("lainnya", 15),
];
const PHOTOGRAPHERS: &[&str] = &[
    "budi", "siti", "andi", "yohanes", "rahmat", "dewi", "fajar", "nur", "hendra", "lina", "agus",
    "maria",
];
const CAMERAS: &[&str] = &[
    "Canon EOS R6",
    "Canon EOS 5D Mark IV",
    "Sony ILCE-7M4",
    "Sony FX3",
    "Nikon Z 6_2",
    "Fujifilm X-T4",
    "DJI Mavic 3",
    "Apple iPhone 14 Pro",
];
const KINDS: &[(&str, u32)] = &[
    ("photo", 70),
    ("raw", 15),
    ("video", 10),
    ("audio", 2),
    ("document", 2),
    ("other", 1),
];
const CAPTION_BITS: &[&str] = &[
    "didampingi kepala dinas",
    "bersama Forkopimda",
    "disambut masyarakat setempat",
    "meninjau langsung kondisi di lapangan",
    "menyerahkan bantuan sembako kepada warga terdampak",
    "memberikan arahan kepada OPD terkait",
    "dalam rangka HUT Provinsi Kaltara",
];

/// One event: a title, a place, a leader, a crew, a day; then a burst of shots.
fn synthesize(count: usize) -> Vec<SearchDoc> {
    let mut rng = Rng(0x5eed);
    let mut docs = Vec::with_capacity(count);
    let mut assignment = 0i64;
    while docs.len() < count {
        assignment += 1;
        let place = rng.pick(PLACES);
        // Skewed like a real agenda: the first few activities and objects
        // (visits, inaugurations, bridges, floods) are three times as common.
        let activity = ACTIVITIES[skewed(&mut rng, ACTIVITIES.len(), 4)];
        let object = OBJECTS[skewed(&mut rng, OBJECTS.len(), 3)];
        let title = format!("{activity} {object} di {place}");
        let leader = rng.weighted(LEADERS);
        let event_start = START_MS + (rng.next() % (5 * YEAR_MS as u64)) as i64;
        let crew = [rng.pick(PHOTOGRAPHERS), rng.pick(PHOTOGRAPHERS)];
        let shots = 30 + rng.below(90);
        for shot in 0..shots.min(count - docs.len()) {
            let photographer = crew[shot % 2];
            let camera = CAMERAS[(photographer.len() + shot % 2) % CAMERAS.len()];
            let caption =
                (rng.below(10) < 3).then(|| format!("{} {}", title, rng.pick(CAPTION_BITS)));
            let n = docs.len();
            docs.push(SearchDoc {
                id: blake3::hash(&n.to_le_bytes()).to_hex().to_string(),
                kind: rng.weighted(KINDS).to_owned(),
                file_name: format!("IMG_{:04}.JPG", n % 10_000),
                captured_at_ms: Some(event_start + (rng.next() % 10_800_000) as i64),
                offset_seconds: WITA,
                camera: Some(camera.to_owned()),
                serial: Some(format!("0320{:08}", photographer.len() * 7919)),
                photographer: Some(photographer.to_owned()),
                drop_folder: Some(format!("inbox/{photographer}/liputan {assignment}")),
                assignment_id: Some(assignment),
                assignment_title: Some(title.clone()),
                event_title: Some(title.clone()),
                leader: Some(leader.to_owned()),
                place: Some(place.to_owned()),
                caption,
                keywords: vec!["pemprov".into(), place.to_lowercase()],
                status: "tagged".into(),
            });
        }
    }
    docs
}

/// An index below `n` where the first `common` are three times as likely.
fn skewed(rng: &mut Rng, n: usize, common: usize) -> usize {
    let roll = rng.below(3 * common + (n - common));
    if roll < 3 * common {
        roll / 3
    } else {
        common + (roll - 3 * common)
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn time_query(index: &SearchIndex, name: &str, q: &SearchQuery, runs: usize) -> Duration {
    for _ in 0..20 {
        index.search(q).expect("warm-up search");
    }
    let mut samples = Vec::with_capacity(runs);
    let mut total = 0;
    for _ in 0..runs {
        let started = Instant::now();
        let hits = index.search(q).expect("search");
        samples.push(started.elapsed());
        total = hits.total;
    }
    samples.sort();
    let p99 = percentile(&samples, 0.99);
    println!(
        "{name:<58} {total:>7} {:>8.2} {:>8.2} {:>8.2}",
        ms(percentile(&samples, 0.5)),
        ms(p99),
        ms(samples[samples.len() - 1]),
    );
    p99
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    // `cargo bench` passes `--bench`; without it (`cargo test --all-targets`)
    // run a quick smoke pass instead of the full archive.
    let full = args.iter().any(|a| a == "--bench");
    let numbers: Vec<usize> = args.iter().filter_map(|a| a.parse().ok()).collect();
    let count = numbers
        .first()
        .copied()
        .unwrap_or(if full { 100_000 } else { 2_000 });
    let runs = numbers
        .get(1)
        .copied()
        .unwrap_or(if full { 300 } else { 3 });

    let dir = tempfile::tempdir().expect("temp dir");
    let index = SearchIndex::open(&dir.path().join("index")).expect("open index");
    let docs = synthesize(count);
    let extra: Vec<SearchDoc> = synthesize(count + 100).split_off(count);

    let started = Instant::now();
    let indexed = index.rebuild(docs.into_iter()).expect("rebuild");
    let took = started.elapsed();
    println!(
        "rebuild: {indexed} docs in {:.1} s ({:.0} docs/s)",
        took.as_secs_f64(),
        indexed as f64 / took.as_secs_f64()
    );
    let started = Instant::now();
    index.upsert(extra).expect("upsert");
    println!(
        "upsert of 100 docs (one commit, reader reloaded): {:.1} ms",
        ms(started.elapsed())
    );
    let size: u64 = std::fs::read_dir(dir.path().join("index"))
        .map(|entries| {
            entries
                .filter_map(|e| e.ok()?.metadata().ok())
                .map(|m| m.len())
                .sum()
        })
        .unwrap_or(0);
    println!("index size: {:.1} MB\n", size as f64 / 1e6);

    let queries: Vec<(&str, SearchQuery)> = vec![
        (
            "\"gubernur banjir tanjung selor\"",
            SearchQuery::text("gubernur banjir tanjung selor"),
        ),
        (
            "\"gubernur banjir tanjung selor 2025\" (year word)",
            SearchQuery::text("gubernur banjir tanjung selor 2025"),
        ),
        (
            "\"peresmian jembatan\" leader=gubernur year=2024",
            SearchQuery {
                leader: Some("gubernur".into()),
                year: Some(2024),
                ..SearchQuery::text("peresmian jembatan")
            },
        ),
        (
            "\"*\" photographer=siti year=2024 month=3",
            SearchQuery {
                photographer: Some("siti".into()),
                year: Some(2024),
                month: Some(3),
                ..SearchQuery::text("*")
            },
        ),
        (
            "\"*\" photographer=siti month=3 (every year)",
            SearchQuery {
                photographer: Some("siti".into()),
                month: Some(3),
                ..SearchQuery::text("*")
            },
        ),
        (
            "\"kunjungan kerja nunukan\" sort=relevance",
            SearchQuery {
                sort: Sort::Relevance,
                ..SearchQuery::text("kunjungan kerja nunukan")
            },
        ),
        (
            "\"\\\"rapat koordinasi\\\"\" kind=photo Q1 2023 range",
            SearchQuery {
                kind: Some("photo".into()),
                from_ms: Some(START_MS + 2 * YEAR_MS),
                to_ms: Some(START_MS + 2 * YEAR_MS + YEAR_MS / 4),
                ..SearchQuery::text("\"rapat koordinasi\"")
            },
        ),
        (
            "\"wagub\" kind=video (synonym)",
            SearchQuery {
                kind: Some("video".into()),
                ..SearchQuery::text("wagub")
            },
        ),
        ("\"*\" (everything, facets)", SearchQuery::text("*")),
        (
            "\"*\" (everything, no facets)",
            SearchQuery {
                facets: false,
                ..SearchQuery::text("*")
            },
        ),
        (
            "\"*\" page 200 of 50 (offset 9950)",
            SearchQuery {
                offset: 9_950,
                ..SearchQuery::text("*")
            },
        ),
    ];
    println!(
        "{:<58} {:>7} {:>8} {:>8} {:>8}",
        "query", "total", "p50 ms", "p99 ms", "max ms"
    );
    let worst = queries
        .iter()
        .map(|(name, q)| time_query(&index, name, q, runs))
        .max()
        .unwrap_or_default();
    println!("\nworst p99: {:.2} ms (goal < 20 ms)", ms(worst));
}
