//! The search index end to end: a real tantivy index in a temporary folder,
//! written and searched through `liputan::search`'s public surface.

use std::collections::HashSet;
use std::path::Path;

use liputan::search::{OpenOutcome, SearchDoc, SearchError, SearchIndex, SearchQuery, Sort};

const WITA: i32 = 8 * 3600;

/// A blake3-hex id derived from a short name, so assertions stay readable.
fn id(name: &str) -> String {
    blake3::hash(name.as_bytes()).to_hex().to_string()
}

fn ids(names: &[&str]) -> Vec<String> {
    names.iter().map(|n| id(n)).collect()
}

/// Unix ms of an RFC 3339 instant.
fn ms(at: &str) -> i64 {
    at.parse::<jiff::Timestamp>()
        .expect("test timestamp")
        .as_millisecond()
}

fn doc(name: &str, caption: &str, at: &str) -> SearchDoc {
    SearchDoc {
        id: id(name),
        kind: "photo".into(),
        file_name: format!("{name}.JPG"),
        captured_at_ms: Some(ms(at)),
        offset_seconds: WITA,
        caption: Some(caption.into()),
        status: "archived".into(),
        ..SearchDoc::default()
    }
}

fn open(dir: &Path) -> SearchIndex {
    SearchIndex::open(dir).expect("open index")
}

fn find(index: &SearchIndex, text: &str) -> Vec<String> {
    index.search(&SearchQuery::text(text)).expect("search").ids
}

fn find_with(index: &SearchIndex, q: SearchQuery) -> Vec<String> {
    index.search(&q).expect("search").ids
}

/// Five captions, one per word family, a day apart (e newest).
fn family_docs() -> Vec<SearchDoc> {
    vec![
        doc(
            "a",
            "Kunjungan kerja Gubernur ke Nunukan",
            "2025-05-01T09:00:00+08:00",
        ),
        doc(
            "b",
            "Gubernur meresmikan jembatan Sesayap",
            "2025-05-02T09:00:00+08:00",
        ),
        doc(
            "c",
            "Peninjauan lokasi banjir di Tanjung Selor",
            "2025-05-03T09:00:00+08:00",
        ),
        doc(
            "d",
            "Penugasan tim liputan ke Sebatik",
            "2025-05-04T09:00:00+08:00",
        ),
        doc(
            "e",
            "Pelantikan pejabat eselon di Tarakan",
            "2025-05-05T09:00:00+08:00",
        ),
    ]
}

#[test]
fn indonesian_word_forms_find_each_other() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(dir.path());
    index.upsert(family_docs()).unwrap();

    for q in ["berkunjung", "mengunjungi", "kunjungan"] {
        assert_eq!(find(&index, q), ids(&["a"]), "{q}");
    }
    assert_eq!(find(&index, "peresmian"), ids(&["b"]));
    assert_eq!(find(&index, "meninjau"), ids(&["c"]));
    assert_eq!(find(&index, "ditugaskan"), ids(&["d"]));
    assert_eq!(find(&index, "dilantik"), ids(&["e"]));
}

#[test]
fn place_names_match_whole_and_not_their_look_alikes() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(dir.path());
    let mut docs = family_docs();
    // "tara" is what Snowball would make of "Tarakan".
    docs.push(doc("tara", "Lomba tari tara", "2025-05-06T09:00:00+08:00"));
    index.upsert(docs).unwrap();

    assert_eq!(find(&index, "tarakan"), ids(&["e"]));
    assert_eq!(find(&index, "\"tanjung selor\""), ids(&["c"]));
    assert_eq!(find(&index, "sebatik"), ids(&["d"]));
    assert_eq!(find(&index, "nunukan"), ids(&["a"]));
}

#[test]
fn multi_word_queries_need_every_word() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(dir.path());
    index
        .upsert(vec![
            doc(
                "flood",
                "Gubernur tinjau banjir Tanjung Selor",
                "2025-01-10T10:00:00+08:00",
            ),
            doc(
                "other",
                "Gubernur resmikan pasar Tanjung Selor",
                "2025-01-11T10:00:00+08:00",
            ),
        ])
        .unwrap();
    assert_eq!(
        find(&index, "gubernur banjir tanjung selor"),
        ids(&["flood"])
    );
    assert_eq!(find(&index, "banjir OR pasar"), ids(&["other", "flood"]));
    assert_eq!(find(&index, "gubernur -banjir"), ids(&["other"]));
}

#[test]
fn a_bare_year_matches_the_capture_year_in_wita() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(dir.path());
    index
        .upsert(vec![
            doc("y2024", "banjir Tanjung Selor", "2024-06-01T10:00:00+08:00"),
            doc("y2025", "banjir Tanjung Selor", "2025-06-01T10:00:00+08:00"),
            // 2024-12-31 20:00 UTC is already 2025 in WITA.
            doc("eve", "banjir Tanjung Selor", "2024-12-31T20:00:00Z"),
        ])
        .unwrap();
    assert_eq!(
        find(&index, "banjir tanjung selor 2025"),
        ids(&["y2025", "eve"])
    );
}

#[test]
fn synonyms_expand_at_query_time() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(dir.path());
    let mut wagub = doc("wagub", "Rapat koordinasi", "2025-02-01T10:00:00+08:00");
    wagub.leader = Some("wakil_gubernur".into());
    let mut gub = doc("gub", "Gub hadiri upacara", "2025-02-02T10:00:00+08:00");
    gub.leader = Some("lainnya".into());
    let kaltara = doc(
        "kaltara",
        "Pemprov Kaltara salurkan bantuan",
        "2025-02-03T10:00:00+08:00",
    );
    index.upsert(vec![wagub, gub, kaltara]).unwrap();

    assert_eq!(find(&index, "wagub"), ids(&["wagub"]));
    assert_eq!(find(&index, "wakil gubernur"), ids(&["wagub"]));
    assert_eq!(find(&index, "gubernur upacara"), ids(&["gub"]));
    assert_eq!(find(&index, "kalimantan utara"), ids(&["kaltara"]));
    assert_eq!(
        find(&index, "pemerintah provinsi bantuan"),
        ids(&["kaltara"])
    );
}

#[test]
fn exact_words_rank_first_when_sorting_by_relevance() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(dir.path());
    index
        .upsert(vec![
            doc(
                "exact",
                "peresmian jembatan baru",
                "2025-03-01T10:00:00+08:00",
            ),
            doc(
                "stemmed",
                "meresmikan jembatan baru",
                "2025-03-02T10:00:00+08:00",
            ),
        ])
        .unwrap();
    let by_relevance = SearchQuery {
        sort: Sort::Relevance,
        ..SearchQuery::text("peresmian")
    };
    assert_eq!(find_with(&index, by_relevance), ids(&["exact", "stemmed"]));
    // The default order stays newest capture first.
    assert_eq!(find(&index, "peresmian"), ids(&["stemmed", "exact"]));
}

#[test]
fn date_ranges_include_both_whole_days() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(dir.path());
    index
        .upsert(vec![
            doc("before", "x", "2025-02-28T23:59:59+08:00"),
            doc("first", "x", "2025-03-01T00:00:00+08:00"),
            doc("last", "x", "2025-03-31T23:59:59.999+08:00"),
            doc("after", "x", "2025-04-01T00:00:00+08:00"),
        ])
        .unwrap();
    let march = SearchQuery {
        from_ms: Some(ms("2025-03-01T00:00:00+08:00")),
        to_ms: Some(ms("2025-04-01T00:00:00+08:00") - 1),
        ..SearchQuery::text("*")
    };
    assert_eq!(find_with(&index, march), ids(&["last", "first"]));
    let inverted = SearchQuery {
        from_ms: Some(ms("2025-04-01T00:00:00+08:00")),
        to_ms: Some(ms("2025-03-01T00:00:00+08:00")),
        ..SearchQuery::default()
    };
    assert!(find_with(&index, inverted).is_empty());
}

#[test]
fn an_asset_late_on_new_years_eve_utc_is_january_in_wita() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(dir.path());
    index
        .upsert(vec![doc("eve", "kembang api", "2025-12-31T20:00:00Z")])
        .unwrap();
    let january_2026 = SearchQuery {
        year: Some(2026),
        month: Some(1),
        ..SearchQuery::default()
    };
    assert_eq!(find_with(&index, january_2026), ids(&["eve"]));
    let in_2025 = SearchQuery {
        year: Some(2025),
        ..SearchQuery::default()
    };
    assert!(find_with(&index, in_2025).is_empty());
    let facets = index.search(&SearchQuery::default()).unwrap().facets;
    assert_eq!(facets.years, vec![(2026, 1)]);
    assert_eq!(facets.months, vec![(2026, 1, 1)]);
}

fn tagged(name: &str, at: &str, kind: &str, leader: &str, photographer: &str) -> SearchDoc {
    SearchDoc {
        kind: kind.into(),
        leader: Some(leader.into()),
        photographer: Some(photographer.into()),
        camera: Some("Canon EOS R6".into()),
        assignment_id: Some(if leader == "gubernur" { 7 } else { 8 }),
        ..doc(name, "kegiatan pimpinan", at)
    }
}

#[test]
fn filters_narrow_by_leader_kind_photographer_camera_and_assignment() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(dir.path());
    let mut sekda_video = tagged("3", "2025-07-03T10:00:00+08:00", "video", "sekda", "budi");
    sekda_video.camera = Some("Sony FX3".into());
    sekda_video.status = "damaged".into();
    index
        .upsert(vec![
            tagged(
                "1",
                "2025-07-01T10:00:00+08:00",
                "photo",
                "gubernur",
                "budi",
            ),
            tagged(
                "2",
                "2025-07-02T10:00:00+08:00",
                "photo",
                "gubernur",
                "siti",
            ),
            sekda_video,
        ])
        .unwrap();
    let with = |f: fn(&mut SearchQuery)| {
        let mut q = SearchQuery::text("kegiatan");
        f(&mut q);
        find_with(&index, q)
    };
    assert_eq!(
        with(|q| q.leader = Some("gubernur".into())),
        ids(&["2", "1"])
    );
    assert_eq!(with(|q| q.kind = Some("Video".into())), ids(&["3"]));
    assert_eq!(
        with(|q| q.photographer = Some("budi".into())),
        ids(&["3", "1"])
    );
    assert_eq!(
        with(|q| q.camera = Some("canon  eos r6".into())),
        ids(&["2", "1"])
    );
    assert_eq!(with(|q| q.assignment_id = Some(8)), ids(&["3"]));
    assert_eq!(with(|q| q.status = Some("damaged".into())), ids(&["3"]));
    // An empty filter value (a blank form field) filters nothing.
    assert_eq!(with(|q| q.kind = Some(String::new())).len(), 3);
    assert_eq!(
        with(|q| {
            q.leader = Some("gubernur".into());
            q.photographer = Some("siti".into());
        }),
        ids(&["2"])
    );
}

#[test]
fn facets_count_the_whole_matched_set() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(dir.path());
    index
        .upsert(vec![
            tagged(
                "1",
                "2024-07-01T10:00:00+08:00",
                "photo",
                "gubernur",
                "budi",
            ),
            tagged(
                "2",
                "2025-07-02T10:00:00+08:00",
                "photo",
                "gubernur",
                "siti",
            ),
            tagged("3", "2025-08-03T10:00:00+08:00", "video", "sekda", "budi"),
        ])
        .unwrap();
    let hits = index
        .search(&SearchQuery {
            limit: 1,
            ..SearchQuery::text("kegiatan")
        })
        .unwrap();
    assert_eq!(hits.total, 3);
    assert_eq!(hits.ids.len(), 1);
    let f = hits.facets;
    assert_eq!(f.years, vec![(2025, 2), (2024, 1)]);
    assert_eq!(f.months, vec![(2025, 8, 1), (2025, 7, 1), (2024, 7, 1)]);
    assert_eq!(f.kinds, vec![("photo".into(), 2), ("video".into(), 1)]);
    assert_eq!(f.leaders, vec![("gubernur".into(), 2), ("sekda".into(), 1)]);
    assert_eq!(
        f.photographers,
        vec![("budi".into(), 2), ("siti".into(), 1)]
    );

    let no_facets = index
        .search(&SearchQuery {
            facets: false,
            ..SearchQuery::text("kegiatan")
        })
        .unwrap();
    assert_eq!(no_facets.total, 3);
    assert!(no_facets.facets.years.is_empty());
}

#[test]
fn blank_filter_values_are_not_indexed_as_facets() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(dir.path());
    let mut blank = doc("blank", "apel", "2025-01-06T07:30:00+08:00");
    blank.photographer = Some("  ".into());
    blank.leader = Some(String::new());
    index.upsert(vec![blank]).unwrap();
    let facets = index.search(&SearchQuery::default()).unwrap().facets;
    assert!(facets.photographers.is_empty(), "{facets:?}");
    assert!(facets.leaders.is_empty(), "{facets:?}");
    assert_eq!(facets.kinds, vec![("photo".into(), 1)]);
}

#[test]
fn pages_are_disjoint_newest_first_and_count_every_match() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(dir.path());
    let mut docs: Vec<SearchDoc> = (0..23)
        .map(|i| {
            let at = format!("2025-09-{:02}T10:00:00+08:00", i + 1);
            doc(&format!("p{i}"), "upacara bendera", &at)
        })
        .collect();
    // A burst: four shots in the same second must still page without overlap.
    for i in 0..4 {
        docs.push(doc(
            &format!("burst{i}"),
            "upacara bendera",
            "2025-09-15T10:00:00+08:00",
        ));
    }
    let mut undated = doc("undated", "upacara bendera", "2025-01-01T00:00:00Z");
    undated.captured_at_ms = None;
    docs.push(undated);
    // Two batches, so hits come from more than one segment.
    let second = docs.split_off(14);
    index.upsert(docs).unwrap();
    index.upsert(second).unwrap();

    let mut seen = Vec::new();
    for page in 0..3 {
        let hits = index
            .search(&SearchQuery {
                offset: page * 10,
                limit: 10,
                ..SearchQuery::text("upacara")
            })
            .unwrap();
        assert_eq!(hits.total, 28);
        seen.extend(hits.ids);
    }
    assert_eq!(seen.len(), 28);
    assert_eq!(
        seen.iter().collect::<HashSet<_>>().len(),
        28,
        "pages overlap"
    );
    assert_eq!(seen[0], id("p22"));
    assert_eq!(seen.last(), Some(&id("undated")), "undated sorts last");
    let everything = find_with(
        &index,
        SearchQuery {
            limit: 100,
            ..SearchQuery::text("upacara")
        },
    );
    assert_eq!(seen, everything);

    let past_the_end = index
        .search(&SearchQuery {
            offset: 1_000_000,
            limit: usize::MAX,
            ..SearchQuery::text("upacara")
        })
        .unwrap();
    assert_eq!((past_the_end.total, past_the_end.ids.len()), (28, 0));
    let oldest = find_with(
        &index,
        SearchQuery {
            sort: Sort::Oldest,
            limit: 1,
            ..SearchQuery::text("upacara")
        },
    );
    assert_eq!(oldest, ids(&["p0"]));
}

#[test]
fn a_star_or_empty_query_matches_everything() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(dir.path());
    index.upsert(family_docs()).unwrap();
    for text in ["*", "", "  "] {
        assert_eq!(
            index.search(&SearchQuery::text(text)).unwrap().total,
            5,
            "{text:?}"
        );
    }
    assert_eq!(index.doc_count(), 5);
}

#[test]
fn malformed_query_text_is_read_as_plain_words() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(dir.path());
    index.upsert(family_docs()).unwrap();
    for text in [
        "\"banjir",
        "banjir\"",
        "(banjir",
        "banjir))",
        "((",
        "\"",
        "-",
        "OR",
        "banjir OR",
        "AND(:)",
        "title:banjir",
        "banjir^2 ~ [1 TO 2]",
        "\"\"",
        "-\"",
    ] {
        let hits = index.search(&SearchQuery::text(text));
        assert!(hits.is_ok(), "{text:?}: {hits:?}");
    }
    assert_eq!(find(&index, "\"lokasi banjir"), ids(&["c"]));
    assert_eq!(find(&index, "(banjir)"), ids(&["c"]));
}

#[test]
fn an_impossible_filter_is_an_invalid_error() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(dir.path());
    let q = SearchQuery {
        month: Some(13),
        ..SearchQuery::default()
    };
    assert!(matches!(
        index.search(&q),
        Err(SearchError::Invalid { field: "month", .. })
    ));
}

#[test]
fn upserting_an_existing_id_replaces_it() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(dir.path());
    index
        .upsert(vec![doc("x", "banjir", "2025-01-01T10:00:00+08:00")])
        .unwrap();
    index
        .upsert(vec![doc("x", "longsor", "2025-01-01T10:00:00+08:00")])
        .unwrap();
    assert!(find(&index, "banjir").is_empty());
    assert_eq!(find(&index, "longsor"), ids(&["x"]));
    assert_eq!(index.search(&SearchQuery::default()).unwrap().total, 1);

    // The same id twice in one batch: the later one wins.
    index
        .upsert(vec![
            doc("x", "kebakaran", "2025-01-01T10:00:00+08:00"),
            doc("x", "gempa", "2025-01-01T10:00:00+08:00"),
        ])
        .unwrap();
    assert_eq!(find(&index, "gempa"), ids(&["x"]));
    assert_eq!(index.doc_count(), 1);
}

#[test]
fn deleted_ids_stop_matching() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(dir.path());
    index.upsert(family_docs()).unwrap();
    index.delete(&[id("a"), id("unknown")]).unwrap();
    assert!(find(&index, "kunjungan").is_empty());
    assert_eq!(index.doc_count(), 4);
}

#[test]
fn the_watermark_survives_a_reopen() {
    let dir = tempfile::tempdir().unwrap();
    {
        let index = open(dir.path());
        assert_eq!(index.commit_watermark(), None);
        index.write(family_docs(), &[], Some(41)).unwrap();
        index.delete(&[id("a")]).unwrap();
        assert_eq!(index.commit_watermark(), Some(41));
    }
    let index = open(dir.path());
    assert_eq!(index.outcome(), &OpenOutcome::Opened);
    assert!(!index.needs_rebuild());
    assert_eq!(index.commit_watermark(), Some(41));
    assert_eq!(index.doc_count(), 4);
}

fn snapshot(index: &SearchIndex) -> Vec<(usize, Vec<String>)> {
    let queries = [
        SearchQuery::text("*"),
        SearchQuery::text("gubernur"),
        SearchQuery {
            sort: Sort::Relevance,
            ..SearchQuery::text("banjir OR jembatan")
        },
        SearchQuery {
            year: Some(2025),
            month: Some(5),
            ..SearchQuery::text("tarakan")
        },
    ];
    queries
        .iter()
        .map(|q| {
            let hits = index.search(q).unwrap();
            (hits.total, hits.ids)
        })
        .collect()
}

#[test]
fn a_rebuild_after_deleting_the_folder_gives_identical_results() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    let before = {
        let index = open(&path);
        assert_eq!(index.outcome(), &OpenOutcome::Created);
        index.upsert(family_docs()[..2].to_vec()).unwrap();
        index.upsert(family_docs()[2..].to_vec()).unwrap();
        snapshot(&index)
    };
    std::fs::remove_dir_all(&path).unwrap();

    let index = open(&path);
    assert_eq!(index.outcome(), &OpenOutcome::Created);
    assert!(index.needs_rebuild());
    assert_eq!(index.rebuild(family_docs().into_iter()).unwrap(), 5);
    assert!(!index.needs_rebuild());
    assert_eq!(snapshot(&index), before);
}

#[test]
fn a_rebuild_replaces_everything_and_a_failed_one_keeps_the_old_index() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(dir.path());
    index.upsert(family_docs()).unwrap();
    let fresh = vec![doc("new", "gempa bumi", "2025-01-01T10:00:00+08:00")];
    assert_eq!(index.rebuild(fresh.into_iter()).unwrap(), 1);
    assert_eq!(find(&index, "*"), ids(&["new"]));

    let failing = vec![
        Ok(doc("z", "kebakaran", "2025-01-01T10:00:00+08:00")),
        Err(std::io::Error::other("catalog went away")),
    ];
    let err = index.rebuild_from(failing, Some(9)).unwrap_err();
    assert!(matches!(err, SearchError::Source(_)), "{err}");
    assert_eq!(find(&index, "*"), ids(&["new"]));
    assert_eq!(index.commit_watermark(), None);
    // The writer still works after the rollback.
    index.upsert(family_docs()).unwrap();
    assert_eq!(index.doc_count(), 6);
}

#[test]
fn a_corrupt_index_is_moved_aside_and_flagged_for_rebuild() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    open(&path).upsert(family_docs()).unwrap();
    std::fs::write(path.join("meta.json"), b"{ this is not json").unwrap();

    let index = open(&path);
    let OpenOutcome::Recreated { moved_to, reason } = index.outcome().clone() else {
        panic!("expected Recreated, got {:?}", index.outcome());
    };
    assert!(index.needs_rebuild());
    assert!(moved_to.exists(), "{}", moved_to.display());
    assert!(moved_to
        .file_name()
        .unwrap()
        .to_string_lossy()
        .starts_with("index.broken-"));
    assert!(!reason.is_empty());
    assert_eq!(index.doc_count(), 0);
    index.rebuild(family_docs().into_iter()).unwrap();
    assert_eq!(find(&index, "dilantik"), ids(&["e"]));
}

#[test]
fn a_folder_of_stray_files_is_moved_aside_too() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    std::fs::create_dir_all(&path).unwrap();
    std::fs::write(path.join("junk.idx"), b"junk").unwrap();
    let index = open(&path);
    assert!(matches!(index.outcome(), OpenOutcome::Recreated { .. }));
    assert!(!path.join("junk.idx").exists());
}

/// Rewrites the commit payload of the index in `path` with tantivy directly,
/// as an older liputan would have left it.
fn rewrite_payload(path: &Path, payload: &str) {
    let index = tantivy::Index::open_in_dir(path).unwrap();
    let mut writer: tantivy::IndexWriter = index.writer(15_000_000).unwrap();
    let mut prepared = writer.prepare_commit().unwrap();
    prepared.set_payload(payload);
    prepared.commit().unwrap();
}

#[test]
fn an_index_of_another_schema_version_is_moved_aside() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    open(&path).upsert(family_docs()).unwrap();
    rewrite_payload(&path, r#"{"schema":999,"analyzer":"x","watermark":3}"#);
    let index = open(&path);
    assert!(matches!(index.outcome(), OpenOutcome::Recreated { .. }));
    assert_eq!(index.doc_count(), 0);
    assert_eq!(index.commit_watermark(), None);
}

#[test]
fn an_index_built_with_other_word_lists_is_kept_but_flagged_stale() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");
    open(&path).upsert(family_docs()).unwrap();
    rewrite_payload(
        &path,
        r#"{"schema":1,"analyzer":"old-lists","watermark":3}"#,
    );

    let index = open(&path);
    assert_eq!(index.outcome(), &OpenOutcome::Stale);
    assert!(index.needs_rebuild());
    assert_eq!(index.doc_count(), 5);
    // Ordinary writes keep it stale; a rebuild clears it for good.
    index.upsert(family_docs()).unwrap();
    drop(index);
    assert_eq!(open(&path).outcome(), &OpenOutcome::Stale);
    open(&path).rebuild(family_docs().into_iter()).unwrap();
    let index = open(&path);
    assert_eq!(index.outcome(), &OpenOutcome::Opened);
    assert_eq!(index.commit_watermark(), Some(3));
}

#[test]
fn a_read_only_handle_searches_beside_the_writer_and_refuses_writes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("index");

    let missing = SearchIndex::open_read_only(&path).unwrap();
    assert_eq!(missing.search(&SearchQuery::default()).unwrap().total, 0);
    assert!(!path.exists(), "a read-only open must not create the index");

    let writer = open(&path);
    writer.upsert(family_docs()).unwrap();
    let reader = SearchIndex::open_read_only(&path).unwrap();
    assert_eq!(find(&reader, "dilantik"), ids(&["e"]));
    assert!(matches!(
        reader.upsert(family_docs()),
        Err(SearchError::ReadOnly)
    ));
    // The writer keeps writing while the read-only handle is open.
    writer.delete(&[id("e")]).unwrap();

    std::fs::write(path.join("meta.json"), b"garbage").unwrap();
    assert!(matches!(
        SearchIndex::open_read_only(&path),
        Err(SearchError::Unusable { .. })
    ));
}

#[test]
fn a_second_writer_on_the_same_folder_is_refused_with_locked() {
    let dir = tempfile::tempdir().unwrap();
    let first = open(dir.path());
    first.upsert(family_docs()).unwrap();
    let second = open(dir.path());
    let err = second.upsert(family_docs()).unwrap_err();
    assert!(matches!(err, SearchError::Locked { .. }), "{err}");
    // Searching through the second handle still works.
    assert_eq!(find(&second, "dilantik"), ids(&["e"]));
}

#[test]
fn handles_are_shared_across_threads() {
    let dir = tempfile::tempdir().unwrap();
    let index = open(dir.path());
    let writers: Vec<_> = (0..4)
        .map(|t| {
            let index = index.clone();
            std::thread::spawn(move || {
                let docs = (0..10)
                    .map(|i| {
                        doc(
                            &format!("t{t}-{i}"),
                            "apel pagi",
                            "2025-01-06T07:30:00+08:00",
                        )
                    })
                    .collect();
                index.upsert(docs).unwrap();
            })
        })
        .collect();
    for w in writers {
        w.join().unwrap();
    }
    assert_eq!(index.search(&SearchQuery::text("apel")).unwrap().total, 40);
}
