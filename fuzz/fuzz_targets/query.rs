//! The archive search as the panel drives it: arbitrary query text (words, phrases,
//! `-` exclusions, `OR`, quotes left open, any Unicode) and filters, compiled and run
//! against a small index created once per process in a temp folder (removed at exit).
//!
//! Invariants, from `search`'s docs: bad text is never an error; the only error is an
//! impossible filter value (a year outside 1..=9999, a month outside 1..=12); a page
//! holds at most `limit` distinct ids of indexed assets, as many as the total leaves
//! after `offset`; the total does not depend on the order asked for; facets are
//! computed only when asked, and count every match once by kind.

#![no_main]

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::arbitrary::{self, Arbitrary};
use libfuzzer_sys::fuzz_target;
use liputan::search::{Facets, SearchDoc, SearchError, SearchIndex, SearchQuery, Sort};

const WORDS: [&str; 16] = [
    "gubernur",
    "gub",
    "wakil",
    "\"rapat koordinasi\"",
    "-banjir",
    "OR",
    "2025",
    "tarakan",
    "pelantikan",
    "kunjungan",
    "\"",
    "-",
    "*",
    "sekda",
    "Tanjung Selor",
    "meninjau",
];

#[derive(Arbitrary, Debug)]
enum Piece {
    Word(u8),
    Free(String),
}

#[derive(Arbitrary, Debug)]
struct Input {
    text: Vec<Piece>,
    from_ms: Option<i64>,
    to_ms: Option<i64>,
    year: Option<i32>,
    month: Option<u8>,
    kind: Option<String>,
    leader: Option<String>,
    photographer: Option<String>,
    camera: Option<String>,
    assignment_id: Option<i64>,
    status: Option<String>,
    sort: u8,
    offset: u8,
    limit: u8,
    huge_page: bool,
    facets: bool,
}

struct Fixture {
    index: SearchIndex,
    ids: HashSet<String>,
}

static DIR: OnceLock<PathBuf> = OnceLock::new();

extern "C" fn remove_dir() {
    if let Some(dir) = DIR.get() {
        let _ = std::fs::remove_dir_all(dir);
    }
}

fn docs() -> Vec<SearchDoc> {
    let doc = |n: usize, kind: &str, title: &str, leader: Option<&str>, year: Option<i64>| {
        SearchDoc {
            id: format!("{n:064x}"),
            kind: kind.to_owned(),
            file_name: format!("IMG_{n:04}.JPG"),
            // 1 March of `year`, 10:00 WITA.
            captured_at_ms: year.map(|y| ((y - 1970) * 365 * 86_400 + 60 * 86_400) * 1000),
            offset_seconds: 8 * 3600,
            camera: Some(["Canon EOS 90D", "SONY ILCE-7M3"][n % 2].to_owned()),
            serial: Some(format!("{n:09}")),
            photographer: Some(["budi", "siti", "andi"][n % 3].to_owned()),
            drop_folder: Some("budi".to_owned()),
            assignment_id: Some(n as i64 % 3),
            assignment_title: Some(format!("Liputan {title}")),
            event_title: Some(title.to_owned()),
            leader: leader.map(str::to_owned),
            place: Some(["Tarakan", "Tanjung Selor", "Nunukan"][n % 3].to_owned()),
            caption: Some(format!("{title} di Kalimantan Utara, {n}")),
            keywords: vec!["banjir".to_owned(), "2025".to_owned()],
            status: ["archived", "damaged"][n % 2].to_owned(),
        }
    };
    vec![
        doc(
            1,
            "photo",
            "Rapat Koordinasi Banjir",
            Some("gubernur"),
            Some(2025),
        ),
        doc(
            2,
            "photo",
            "Pelantikan Pejabat",
            Some("wakil_gubernur"),
            Some(2024),
        ),
        doc(
            3,
            "video",
            "Kunjungan Kerja Sekda",
            Some("sekda"),
            Some(2025),
        ),
        doc(4, "raw", "Meninjau Jembatan", None, None),
        doc(
            5,
            "audio",
            "Wawancara Kepala Dinas",
            Some("kadis"),
            Some(1999),
        ),
        doc(6, "document", "Surat Tugas", Some("lainnya"), Some(2100)),
        doc(
            7,
            "photo",
            "Gubernur meninjau banjir di Tarakan",
            Some("gubernur"),
            Some(2025),
        ),
    ]
}

fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(|| {
        let dir = std::env::temp_dir().join(format!("liputan-fuzz-query-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        DIR.set(dir.clone()).expect("set once");
        // SAFETY: registers a plain function with no arguments.
        unsafe { libc::atexit(remove_dir) };
        let index = SearchIndex::open(&dir).expect("open a new index");
        let docs = docs();
        let ids = docs.iter().map(|d| d.id.clone()).collect();
        index.upsert(docs).expect("index the fixture");
        Fixture { index, ids }
    })
}

fuzz_target!(|input: Input| {
    let fx = fixture();
    let text = input
        .text
        .iter()
        .take(40)
        .map(|p| match p {
            Piece::Word(i) => WORDS[usize::from(*i) % WORDS.len()].to_owned(),
            Piece::Free(s) => s.clone(),
        })
        .collect::<Vec<_>>()
        .join(" ");
    let sort = [Sort::Newest, Sort::Oldest, Sort::Relevance][usize::from(input.sort) % 3];
    let (offset, limit) = if input.huge_page {
        (usize::MAX - usize::from(input.offset), usize::MAX)
    } else {
        (
            usize::from(input.offset % 10),
            usize::from(input.limit % 10),
        )
    };
    let q = SearchQuery {
        text,
        from_ms: input.from_ms,
        to_ms: input.to_ms,
        year: input.year,
        month: input.month,
        kind: input.kind,
        leader: input.leader,
        photographer: input.photographer,
        camera: input.camera,
        assignment_id: input.assignment_id,
        status: input.status,
        sort,
        offset,
        limit,
        facets: input.facets,
    };
    let bad_year = q.year.is_some_and(|y| !(1..=9999).contains(&y));
    let bad_month = q.month.is_some_and(|m| !(1..=12).contains(&m));
    let hits = match fx.index.search(&q) {
        Ok(hits) => {
            assert!(!bad_year && !bad_month, "impossible filter accepted: {q:?}");
            hits
        }
        Err(SearchError::Invalid { field, .. }) => {
            assert!(
                (field == "year" && bad_year) || (field == "month" && bad_month),
                "{field} rejected in {q:?}"
            );
            return;
        }
        Err(e) => panic!("search failed on {q:?}: {e}"),
    };
    assert!(
        hits.total <= fx.ids.len(),
        "total {} of {}",
        hits.total,
        fx.ids.len()
    );
    let expected_page = hits.total.saturating_sub(q.offset).min(q.limit);
    assert_eq!(hits.ids.len(), expected_page, "page size for {q:?}");
    let unique: HashSet<&String> = hits.ids.iter().collect();
    assert_eq!(unique.len(), hits.ids.len(), "an id twice in one page");
    assert!(hits.ids.iter().all(|id| fx.ids.contains(id)), "unknown id");
    if q.facets {
        let by_kind: u64 = hits.facets.kinds.iter().map(|(_, n)| n).sum();
        assert_eq!(by_kind as usize, hits.total, "kind facets do not add up");
    } else {
        assert_eq!(hits.facets, Facets::default(), "facets not asked for");
    }
    let other_sort = SearchQuery {
        sort: [Sort::Relevance, Sort::Newest, Sort::Oldest][usize::from(input.sort) % 3],
        ..q.clone()
    };
    let again = fx
        .index
        .search(&other_sort)
        .expect("same filters, other order");
    assert_eq!(again.total, hits.total, "the total depends on the order");
});
