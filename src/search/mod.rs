//! Full-text search over the archive: a tantivy index on disk, derived from
//! the catalog and always rebuildable from it.
//!
//! Owns the index folder, its schema, the Indonesian analyzers and their word
//! lists, the single index writer, query parsing (lenient: a typo is never an
//! error) and facet counts. Does not own the truth: callers pass [`SearchDoc`]s
//! built from the catalog and turn the ids of [`SearchHits`] back into assets
//! with one catalog call.
//!
//! Blocking: every method of [`SearchIndex`] does disk I/O or CPU-bound work;
//! call it from a blocking thread (`spawn_blocking`), never on the runtime.
//!
//! ```text
//! upsert/delete/rebuild -> Mutex<IndexWriter> -> one commit (payload: schema,
//!                          analyzer fingerprint, watermark) -> reader reload
//! search: query text -> query::compile (synonyms, stems, exact x2, year)
//!         + filters -> one pass: top ids (newest first) + total + facets
//! ```

mod analyzer;
mod collect;
mod index;
mod query;
mod schema;

use std::path::PathBuf;

use serde::Serialize;

pub use analyzer::{exact_analyzer, stem_analyzer, stems};
pub use index::SearchIndex;

/// Everything the archivist searches or filters on, for one asset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SearchDoc {
    /// blake3 hex of the content: the key.
    pub id: String,
    /// photo | raw | video | audio | document | other.
    pub kind: String,
    pub file_name: String,
    /// Capture time, UTC unix milliseconds.
    pub captured_at_ms: Option<i64>,
    /// Offset used for the year and month of the capture (the configured
    /// zone, +08:00 WITA = 28800).
    pub offset_seconds: i32,
    /// "make model": full text, and an exact (case-insensitive) filter.
    pub camera: Option<String>,
    pub serial: Option<String>,
    /// Username: an exact filter, a facet, and full text.
    pub photographer: Option<String>,
    pub drop_folder: Option<String>,
    pub assignment_id: Option<i64>,
    pub assignment_title: Option<String>,
    pub event_title: Option<String>,
    /// gubernur | wakil_gubernur | sekda | kadis | lainnya: a filter, a facet
    /// and full text ("wakil gubernur", with query-time synonyms).
    pub leader: Option<String>,
    pub place: Option<String>,
    pub caption: Option<String>,
    pub keywords: Vec<String>,
    /// A filter value as the catalog states it (archived, damaged, ...).
    pub status: String,
}

/// Order of [`SearchHits::ids`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Sort {
    /// Newest capture first (the contract's default); undated assets last.
    #[default]
    Newest,
    /// Oldest capture first; undated assets last.
    Oldest,
    /// Best match first (exact words outrank stemmed ones), then newest.
    Relevance,
}

/// A search: free text plus filters, all ANDed.
///
/// Text syntax (never an error; anything unparsed is read as plain words):
/// words are ANDed; `"..."` is a phrase; `-word` or `-"..."` excludes;
/// `a OR b` matches either; `*` or empty matches everything. A bare 4-digit
/// year (1990..=2100) matches assets captured that year (WITA) or mentioning
/// it. Words are stemmed and synonyms expanded (gub = gubernur, ...).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SearchQuery {
    pub text: String,
    /// Inclusive bounds on the capture time, UTC unix milliseconds. Undated
    /// assets never match a date bound.
    pub from_ms: Option<i64>,
    pub to_ms: Option<i64>,
    /// Capture year and month in each asset's own offset (WITA).
    pub year: Option<i32>,
    pub month: Option<u8>,
    /// Exact filters; empty strings are ignored. kind, leader and status are
    /// compared case-insensitively, camera also ignoring spacing.
    pub kind: Option<String>,
    pub leader: Option<String>,
    pub photographer: Option<String>,
    pub camera: Option<String>,
    pub assignment_id: Option<i64>,
    pub status: Option<String>,
    pub sort: Sort,
    /// Paging: skip `offset` hits, return at most `limit` ids (0 = count only).
    pub offset: usize,
    pub limit: usize,
    /// Whether to compute [`Facets`]; the total is always computed.
    pub facets: bool,
}

impl Default for SearchQuery {
    /// Everything, newest first, the first 50, with facets.
    fn default() -> SearchQuery {
        SearchQuery {
            text: String::new(),
            from_ms: None,
            to_ms: None,
            year: None,
            month: None,
            kind: None,
            leader: None,
            photographer: None,
            camera: None,
            assignment_id: None,
            status: None,
            sort: Sort::Newest,
            offset: 0,
            limit: 50,
            facets: true,
        }
    }
}

impl SearchQuery {
    /// A query for `text` with default paging and no filters.
    pub fn text(text: impl Into<String>) -> SearchQuery {
        SearchQuery {
            text: text.into(),
            ..SearchQuery::default()
        }
    }
}

/// The result of a search.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SearchHits {
    /// Every match, not just this page.
    pub total: usize,
    /// Asset ids of this page, in the requested order.
    pub ids: Vec<String>,
    /// Counts over every match (empty when the query asked for none).
    pub facets: Facets,
}

/// Counts over the whole matched set, computed in the same pass as the hits
/// from columnar fields: about 15 µs per thousand matches (1.5 ms for all of
/// a 100,000-asset archive on a 2-core VM), so there is no cap.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Facets {
    /// (year, count), newest year first; undated assets are not counted.
    pub years: Vec<(i32, u64)>,
    /// (year, month, count), newest first.
    pub months: Vec<(i32, u8, u64)>,
    /// (value, count), most frequent first, then by name.
    pub kinds: Vec<(String, u64)>,
    pub leaders: Vec<(String, u64)>,
    pub photographers: Vec<(String, u64)>,
}

/// How [`SearchIndex::open`] found the index folder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpenOutcome {
    /// An existing, current index.
    Opened,
    /// There was no index: a new empty one was created.
    Created,
    /// An intact index built with other word lists or stemmer: usable, but
    /// rebuild to apply the current analyzer.
    Stale,
    /// The index was unreadable or of another schema version: it was moved
    /// aside to `moved_to` and a new empty one created.
    Recreated { moved_to: PathBuf, reason: String },
}

/// Errors of the search index. Bad query text is never one of them.
#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    /// A filesystem operation on the index folder failed.
    #[error("search index: {action} {path}: {source}")]
    Io {
        action: &'static str,
        path: PathBuf,
        source: std::io::Error,
    },
    /// Another process (a running `liputan serve`) holds the index writer.
    #[error("search index {path} is being written by another liputan process; stop it first")]
    Locked { path: PathBuf },
    /// [`SearchIndex::open_read_only`] found an index it cannot use.
    #[error("search index {path} is unusable ({reason}); `liputan serve` or `liputan reindex` recreates it")]
    Unusable { path: PathBuf, reason: String },
    /// A write through a handle from [`SearchIndex::open_read_only`].
    #[error("search index opened read-only")]
    ReadOnly,
    /// A filter value that cannot be valid (month 13): the caller's 400.
    #[error("invalid search filter {field}: {reason}")]
    Invalid { field: &'static str, reason: String },
    /// The document source of a rebuild failed; the old index is kept.
    #[error("reading documents to index: {0}")]
    Source(Box<dyn std::error::Error + Send + Sync>),
    /// tantivy failed (disk full, corruption found while searching, ...).
    #[error("search index: {0}")]
    Tantivy(#[from] tantivy::TantivyError),
}
