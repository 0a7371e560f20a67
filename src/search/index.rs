//! [`SearchIndex`]: the on-disk index folder, its single writer and its
//! reader. Opening repairs what it can (a missing, corrupt or outdated index
//! is replaced by an empty one and flagged for a rebuild); writing is batched,
//! one commit per call; searching is one pass over the matches.
//!
//! Owns the index folder and the writer lock inside it. Blocking throughout.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{SystemTime, UNIX_EPOCH};

use tantivy::collector::{Collector, TopDocs};
use tantivy::directory::error::LockError;
use tantivy::query::Query;
use tantivy::{
    DocAddress, DocId, Index, IndexReader, IndexWriter, ReloadPolicy, Score, Searcher,
    SegmentReader, TantivyError, Term,
};

use super::collect::{self, FacetCollector, TimeKey};
use super::query::Compiler;
use super::schema::{self, Fields, Payload, SCHEMA_VERSION};
use super::{analyzer, OpenOutcome, SearchDoc, SearchError, SearchHits, SearchQuery, Sort};

/// Indexing memory shared by the writer's threads. tantivy flushes a segment
/// when a thread's share fills; 50 MB keeps a rebuild of 100k assets to a few
/// segments on a small VM.
const WRITER_MEMORY: usize = 50_000_000;

/// A cloneable handle to the search index (an `Arc` inside).
#[derive(Clone)]
pub struct SearchIndex {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for SearchIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SearchIndex")
            .field("dir", &self.inner.dir)
            .field("outcome", &self.inner.outcome)
            .field("read_only", &self.inner.read_only)
            .finish_non_exhaustive()
    }
}

struct Inner {
    dir: PathBuf,
    index: Index,
    reader: IndexReader,
    fields: Fields,
    read_only: bool,
    // A sync mutex on purpose: tantivy allows one writer per index, every
    // caller is on a blocking thread, and a write must not interleave with
    // another's commit. Created on first write so that read-only users
    // (`liputan search` beside a running daemon) never take the lock.
    writer: Mutex<Option<IndexWriter>>,
    /// The payload of the last commit.
    payload: Mutex<Payload>,
    outcome: OpenOutcome,
    needs_rebuild: AtomicBool,
}

impl SearchIndex {
    /// Opens the index in `dir`, creating it if absent. An index that cannot
    /// be opened, or has another schema version, is moved to
    /// `<dir>.broken-<unix seconds>` and replaced by an empty one; see
    /// [`SearchIndex::outcome`] and [`SearchIndex::needs_rebuild`].
    ///
    /// Errors: the folder cannot be created or moved, or a new index cannot
    /// be written there. Blocking.
    pub fn open(dir: &Path) -> Result<SearchIndex, SearchError> {
        std::fs::create_dir_all(dir).map_err(|source| io("creating", dir, source))?;
        let (index, outcome, payload) = match open_existing(dir) {
            Ok(Some((index, payload))) => {
                let outcome = outcome_of(&payload);
                (index, outcome, payload)
            }
            Ok(None) => {
                let (index, payload) = create(dir)?;
                (index, OpenOutcome::Created, payload)
            }
            Err(reason) => {
                let moved_to = move_aside(dir)?;
                tracing::warn!(
                    index = %dir.display(),
                    moved_to = %moved_to.display(),
                    %reason,
                    "search index unusable; moved aside, starting empty"
                );
                let (index, payload) = create(dir)?;
                (index, OpenOutcome::Recreated { moved_to, reason }, payload)
            }
        };
        SearchIndex::assemble(dir, index, outcome, payload, false)
    }

    /// Opens the index in `dir` for searching only, never taking the writer
    /// lock, so it works beside a running daemon. A missing index searches
    /// as empty ([`OpenOutcome::Created`], nothing written to disk); an
    /// unusable one is an error (the daemon repairs it when it opens it).
    /// Writes fail with [`SearchError::ReadOnly`]. Blocking.
    pub fn open_read_only(dir: &Path) -> Result<SearchIndex, SearchError> {
        let (index, outcome, payload) = match open_existing(dir) {
            Ok(Some((index, payload))) => {
                let outcome = outcome_of(&payload);
                (index, outcome, payload)
            }
            Ok(None) => {
                let (schema, _) = schema::build();
                let index = Index::create_in_ram(schema);
                analyzer::register(index.tokenizers());
                (index, OpenOutcome::Created, Payload::default())
            }
            Err(reason) => {
                return Err(SearchError::Unusable {
                    path: dir.to_owned(),
                    reason,
                })
            }
        };
        SearchIndex::assemble(dir, index, outcome, payload, true)
    }

    fn assemble(
        dir: &Path,
        index: Index,
        outcome: OpenOutcome,
        payload: Payload,
        read_only: bool,
    ) -> Result<SearchIndex, SearchError> {
        let reader = index
            .reader_builder()
            // Our own commits reload explicitly; the watcher picks up another
            // process's (`liputan reindex`) within a moment.
            .reload_policy(ReloadPolicy::OnCommitWithDelay)
            .try_into()?;
        let (_, fields) = schema::build();
        let needs_rebuild = outcome != OpenOutcome::Opened;
        Ok(SearchIndex {
            inner: Arc::new(Inner {
                dir: dir.to_owned(),
                index,
                reader,
                fields,
                read_only,
                writer: Mutex::new(None),
                payload: Mutex::new(payload),
                outcome,
                needs_rebuild: AtomicBool::new(needs_rebuild),
            }),
        })
    }

    /// How `open` found the folder.
    pub fn outcome(&self) -> &OpenOutcome {
        &self.inner.outcome
    }

    /// True when the index may lack documents the catalog has (it was
    /// created, recreated or is stale) and no [`SearchIndex::rebuild`] has
    /// completed since.
    pub fn needs_rebuild(&self) -> bool {
        self.inner.needs_rebuild.load(Ordering::SeqCst)
    }

    /// The watermark of the last commit, as passed to
    /// [`SearchIndex::write`] or [`SearchIndex::rebuild_from`].
    pub fn commit_watermark(&self) -> Option<u64> {
        lock(&self.inner.payload).watermark
    }

    /// Number of documents visible to searches.
    pub fn doc_count(&self) -> u64 {
        self.inner.reader.searcher().num_docs()
    }

    /// Adds or replaces `docs` (by id) in one commit.
    pub fn upsert(&self, docs: Vec<SearchDoc>) -> Result<(), SearchError> {
        self.write(docs, &[], None)
    }

    /// Removes `ids` in one commit; unknown ids are ignored.
    pub fn delete(&self, ids: &[String]) -> Result<(), SearchError> {
        self.write(Vec::new(), ids, None)
    }

    /// One batch: deletes `deletes`, adds or replaces `upserts`, and commits
    /// once, recording `watermark` (or keeping the previous one when `None`).
    /// Visible to the next search on return. On error nothing of the batch is
    /// applied.
    pub fn write(
        &self,
        upserts: Vec<SearchDoc>,
        deletes: &[String],
        watermark: Option<u64>,
    ) -> Result<(), SearchError> {
        if upserts.is_empty() && deletes.is_empty() && watermark.is_none() {
            return Ok(());
        }
        let fields = self.inner.fields;
        self.with_writer(watermark, None, |writer| {
            for id in deletes {
                writer.delete_term(Term::from_field_text(fields.id, id));
            }
            for doc in &upserts {
                writer.delete_term(Term::from_field_text(fields.id, &doc.id));
                writer.add_document(schema::to_document(&fields, doc))?;
            }
            Ok(())
        })
        .map(|_| ())
    }

    /// Replaces the whole index with `docs` in one commit (the old content
    /// stays searchable until then). Returns how many were indexed.
    pub fn rebuild(&self, docs: impl Iterator<Item = SearchDoc>) -> Result<u64, SearchError> {
        self.rebuild_from(docs.map(Ok::<_, std::convert::Infallible>), None)
    }

    /// [`SearchIndex::rebuild`] from a fallible source (a catalog cursor):
    /// the first `Err` aborts and keeps the old index. Records `watermark`
    /// (`None` keeps the previous one, which is safe: replaying from an
    /// older mark only repeats idempotent upserts).
    pub fn rebuild_from<E>(
        &self,
        docs: impl IntoIterator<Item = Result<SearchDoc, E>>,
        watermark: Option<u64>,
    ) -> Result<u64, SearchError>
    where
        E: std::error::Error + Send + Sync + 'static,
    {
        let fields = self.inner.fields;
        let count = self.with_writer(watermark, Some(analyzer::fingerprint()), |writer| {
            writer.delete_all_documents()?;
            let mut count = 0u64;
            for doc in docs {
                let doc = doc.map_err(|e| SearchError::Source(Box::new(e)))?;
                writer.add_document(schema::to_document(&fields, &doc))?;
                count += 1;
            }
            Ok(count)
        })?;
        self.inner.needs_rebuild.store(false, Ordering::SeqCst);
        Ok(count)
    }

    /// Runs `apply` on the writer, then commits with the payload updated
    /// (`watermark` if given; `analyzer` only by a rebuild) and reloads the
    /// reader. Rolls back if anything fails.
    fn with_writer<T>(
        &self,
        watermark: Option<u64>,
        analyzer: Option<&str>,
        apply: impl FnOnce(&mut IndexWriter) -> Result<T, SearchError>,
    ) -> Result<T, SearchError> {
        if self.inner.read_only {
            return Err(SearchError::ReadOnly);
        }
        let mut guard = lock(&self.inner.writer);
        let writer = match guard.take() {
            Some(writer) => guard.insert(writer),
            None => guard.insert(open_writer(&self.inner.index, &self.inner.dir)?),
        };
        let mut payload = lock(&self.inner.payload).clone();
        if watermark.is_some() {
            payload.watermark = watermark;
        }
        if let Some(analyzer) = analyzer {
            payload.analyzer = analyzer.to_owned();
        }
        let result = apply(writer).and_then(|value| {
            commit(writer, &payload)?;
            Ok(value)
        });
        match result {
            Ok(value) => {
                *lock(&self.inner.payload) = payload;
                self.inner.reader.reload()?;
                Ok(value)
            }
            Err(err) => {
                if let Err(rollback) = writer.rollback() {
                    // The writer is in an unknown state: drop it (and its
                    // lock) so the next write starts from the last commit.
                    tracing::error!(error = %rollback, "search index rollback failed");
                    *guard = None;
                }
                Err(err)
            }
        }
    }

    /// Runs `q`: one pass over the matches yields the page of ids, the total
    /// and (if asked) the facets. Bad text is read leniently; only an
    /// impossible filter value is an error ([`SearchError::Invalid`]).
    pub fn search(&self, q: &SearchQuery) -> Result<SearchHits, SearchError> {
        let fields = self.inner.fields;
        let query = Compiler::new(&fields).compile(q)?;
        let searcher = self.inner.reader.searcher();
        // Never ask for more than the index holds: the top-N buffer is sized
        // by offset + limit, and `--limit 1000000000` must not allocate it.
        let available = usize::try_from(searcher.num_docs()).unwrap_or(usize::MAX);
        let end = q.offset.saturating_add(q.limit).min(available);
        let window = (q.offset < end).then(|| TopDocs::for_doc_range(q.offset..end));
        let facets = FacetCollector { facets: q.facets };
        let (hits, counts) = match q.sort {
            Sort::Newest => {
                let top = window.map(|top| by_time(top, TimeKey::newest));
                run(&searcher, &*query, top, facets)?
            }
            Sort::Oldest => {
                let top = window.map(|top| by_time(top, TimeKey::oldest));
                run(&searcher, &*query, top, facets)?
            }
            Sort::Relevance => run(&searcher, &*query, window.map(by_relevance), facets)?,
        };
        Ok(SearchHits {
            total: usize::try_from(counts.total).unwrap_or(usize::MAX),
            ids: collect::ids(&searcher, &hits)?,
            facets: counts.into_facets(),
        })
    }
}

type SortKey = (u64, u64);

/// A top-N collector ordering by a capture-time key (no scoring needed).
fn by_time(
    top: TopDocs,
    key: fn(&TimeKey, DocId) -> SortKey,
) -> impl Collector<Fruit = Vec<(SortKey, DocAddress)>> {
    top.order_by(move |reader: &SegmentReader| {
        let columns = TimeKey::open(reader);
        move |doc: DocId| key(&columns, doc)
    })
}

/// A top-N collector ordering by score, ties newest first.
fn by_relevance(top: TopDocs) -> impl Collector<Fruit = Vec<((Score, u64, u64), DocAddress)>> {
    top.tweak_score(|reader: &SegmentReader| {
        let key = TimeKey::open(reader);
        move |doc: DocId, score: Score| {
            let (time, id) = key.newest(doc);
            (score, time, id)
        }
    })
}

/// Searches `query` with the optional top-N collector and the facet
/// collector in one pass; returns the hit addresses in order and the counts.
fn run<K, C>(
    searcher: &Searcher,
    query: &dyn Query,
    top: Option<C>,
    facets: FacetCollector,
) -> Result<(Vec<DocAddress>, collect::Counts), SearchError>
where
    C: Collector<Fruit = Vec<(K, DocAddress)>>,
{
    let (hits, counts) = searcher.search(query, &(top, facets))?;
    let hits = hits
        .unwrap_or_default()
        .into_iter()
        .map(|(_, address)| address)
        .collect();
    Ok((hits, counts))
}

/// An intact index is current if its analyzer fingerprint is this build's.
fn outcome_of(payload: &Payload) -> OpenOutcome {
    if payload.analyzer == analyzer::fingerprint() {
        OpenOutcome::Opened
    } else {
        OpenOutcome::Stale
    }
}

/// Opens an existing index, or `Ok(None)` when the folder holds none.
/// `Err` carries why the folder is unusable.
fn open_existing(dir: &Path) -> Result<Option<(Index, Payload)>, String> {
    if !dir.join("meta.json").exists() {
        let empty = match std::fs::read_dir(dir) {
            Ok(mut entries) => entries.next().is_none(),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => true,
            Err(e) => return Err(format!("cannot list the folder: {e}")),
        };
        return if empty {
            Ok(None)
        } else {
            Err("files but no meta.json".to_owned())
        };
    }
    let index = Index::open_in_dir(dir).map_err(|e| format!("cannot open: {e}"))?;
    let (expected, _) = schema::build();
    if index.schema() != expected {
        return Err("schema differs from this liputan's".to_owned());
    }
    let metas = index
        .load_metas()
        .map_err(|e| format!("cannot read meta.json: {e}"))?;
    let payload = Payload::parse(metas.payload.as_deref())
        .ok_or_else(|| "no liputan payload in the last commit".to_owned())?;
    if payload.schema != SCHEMA_VERSION {
        return Err(format!(
            "schema version {} (this liputan writes {SCHEMA_VERSION})",
            payload.schema
        ));
    }
    analyzer::register(index.tokenizers());
    // Opening a searcher opens every segment: truncated or missing segment
    // files show up here rather than in the first search.
    index
        .reader_builder()
        .reload_policy(ReloadPolicy::Manual)
        .try_into()
        .map_err(|e: TantivyError| format!("cannot open segments: {e}"))?;
    Ok(Some((index, payload)))
}

/// Creates an empty index with a first commit carrying the payload, so every
/// index this code writes can be recognised at open.
fn create(dir: &Path) -> Result<(Index, Payload), SearchError> {
    let (schema, _) = schema::build();
    let index = Index::create_in_dir(dir, schema)?;
    analyzer::register(index.tokenizers());
    let payload = Payload {
        schema: SCHEMA_VERSION,
        analyzer: analyzer::fingerprint().to_owned(),
        watermark: None,
    };
    let mut writer = open_writer(&index, dir)?;
    commit(&mut writer, &payload)?;
    Ok((index, payload))
}

fn open_writer(index: &Index, dir: &Path) -> Result<IndexWriter, SearchError> {
    index.writer(WRITER_MEMORY).map_err(|e| match e {
        TantivyError::LockFailure(LockError::LockBusy, _) => SearchError::Locked {
            path: dir.to_owned(),
        },
        other => SearchError::Tantivy(other),
    })
}

fn commit(writer: &mut IndexWriter, payload: &Payload) -> Result<(), SearchError> {
    let mut prepared = writer.prepare_commit()?;
    prepared.set_payload(&payload.to_json());
    prepared.commit()?;
    Ok(())
}

/// Renames `dir` to `<dir>.broken-<unix seconds>[-n]` and recreates it empty.
fn move_aside(dir: &Path) -> Result<PathBuf, SearchError> {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let mut target = dir.with_extension(format!("broken-{seconds}"));
    let mut n = 1;
    while target.exists() {
        target = dir.with_extension(format!("broken-{seconds}-{n}"));
        n += 1;
    }
    std::fs::rename(dir, &target).map_err(|source| io("moving aside", dir, source))?;
    std::fs::create_dir_all(dir).map_err(|source| io("creating", dir, source))?;
    Ok(target)
}

fn io(action: &'static str, path: &Path, source: std::io::Error) -> SearchError {
    SearchError::Io {
        action,
        path: path.to_owned(),
        source,
    }
}

/// Locks a mutex, recovering from poisoning: the guarded values (the writer,
/// the last payload) stay consistent because every update is a single
/// assignment after the fallible work.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
