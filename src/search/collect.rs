//! Collection of one search pass: the total, the facet counts and the sort
//! keys of the top hits, all read from columnar (fast) fields so a search
//! never opens the document store.
//!
//! Owns counting and ordering; does not own query building.

use std::collections::HashMap;

use tantivy::collector::{Collector, SegmentCollector};
use tantivy::columnar::{Column, StrColumn};
use tantivy::{DocAddress, DocId, Score, Searcher, SegmentOrdinal, SegmentReader};

use super::schema::{self, CAPTURED_AT, ID, ID_KEY, KIND, LEADER, PHOTOGRAPHER, YEAR_MONTH};
use super::{Facets, SearchError};

/// Year-month spans up to this many months are counted in a dense array;
/// wider ones (a camera clock set to 1970 next to one in 2107) in a map.
const DENSE_MONTHS: u64 = 4096;

/// Counts matches and, if asked, their facets.
pub(crate) struct FacetCollector {
    pub facets: bool,
}

/// Per-segment fruit and the merged result.
#[derive(Default)]
pub(crate) struct Counts {
    pub total: u64,
    year_months: HashMap<u64, u64>,
    terms: [HashMap<String, u64>; 3],
}

/// A string column and its counts per term ordinal.
struct TermCounter {
    column: StrColumn,
    counts: Vec<u64>,
}

impl TermCounter {
    fn open(reader: &SegmentReader, field: &str) -> tantivy::Result<Option<TermCounter>> {
        Ok(reader.fast_fields().str(field)?.map(|column| TermCounter {
            counts: vec![0; column.num_terms()],
            column,
        }))
    }

    fn collect(&mut self, doc: DocId) {
        if let Some(ord) = self.column.ords().first(doc) {
            if let Some(count) = usize::try_from(ord)
                .ok()
                .and_then(|i| self.counts.get_mut(i))
            {
                *count += 1;
            }
        }
    }

    fn harvest(self) -> HashMap<String, u64> {
        let mut out = HashMap::new();
        let mut term = String::new();
        for (ord, &count) in self.counts.iter().enumerate() {
            // A term that cannot be read back is left out of the facets
            // rather than failing the search.
            if count > 0 && matches!(self.column.ord_to_str(ord as u64, &mut term), Ok(true)) {
                out.insert(term.clone(), count);
            }
        }
        out
    }
}

/// Month counts: dense over the segment's span when it is small.
enum MonthCounter {
    Dense { min: u64, counts: Vec<u64> },
    Sparse(HashMap<u64, u64>),
}

pub(crate) struct FacetSegment {
    total: u64,
    facets: Option<SegmentFacets>,
}

struct SegmentFacets {
    year_month: Option<(Column<u64>, MonthCounter)>,
    terms: [Option<TermCounter>; 3],
}

impl Collector for FacetCollector {
    type Fruit = Counts;
    type Child = FacetSegment;

    fn for_segment(
        &self,
        _segment: SegmentOrdinal,
        reader: &SegmentReader,
    ) -> tantivy::Result<FacetSegment> {
        let facets = if self.facets {
            Some(SegmentFacets {
                year_month: month_counter(reader)?,
                terms: [
                    TermCounter::open(reader, KIND)?,
                    TermCounter::open(reader, LEADER)?,
                    TermCounter::open(reader, PHOTOGRAPHER)?,
                ],
            })
        } else {
            None
        };
        Ok(FacetSegment { total: 0, facets })
    }

    fn requires_scoring(&self) -> bool {
        false
    }

    fn merge_fruits(&self, fruits: Vec<Counts>) -> tantivy::Result<Counts> {
        let mut merged = Counts::default();
        for fruit in fruits {
            merged.total += fruit.total;
            add_all(&mut merged.year_months, fruit.year_months);
            for (into, from) in merged.terms.iter_mut().zip(fruit.terms) {
                add_all(into, from);
            }
        }
        Ok(merged)
    }
}

fn add_all<K: std::hash::Hash + Eq>(into: &mut HashMap<K, u64>, from: HashMap<K, u64>) {
    for (key, count) in from {
        *into.entry(key).or_insert(0) += count;
    }
}

fn month_counter(reader: &SegmentReader) -> tantivy::Result<Option<(Column<u64>, MonthCounter)>> {
    let Some(column) = reader.fast_fields().column_opt::<u64>(YEAR_MONTH)? else {
        return Ok(None);
    };
    let (min, max) = (column.min_value(), column.max_value());
    let counter = match max.checked_sub(min) {
        Some(span) if span < DENSE_MONTHS => MonthCounter::Dense {
            min,
            // span < 4096, so the cast is exact.
            counts: vec![0; span as usize + 1],
        },
        _ => MonthCounter::Sparse(HashMap::new()),
    };
    Ok(Some((column, counter)))
}

impl SegmentCollector for FacetSegment {
    type Fruit = Counts;

    fn collect(&mut self, doc: DocId, _score: Score) {
        self.total += 1;
        let Some(facets) = &mut self.facets else {
            return;
        };
        if let Some((column, counter)) = &mut facets.year_month {
            if let Some(value) = column.first(doc) {
                match counter {
                    MonthCounter::Dense { min, counts } => {
                        let slot = usize::try_from(value.saturating_sub(*min))
                            .ok()
                            .and_then(|i| counts.get_mut(i));
                        if let Some(slot) = slot {
                            *slot += 1;
                        }
                    }
                    MonthCounter::Sparse(map) => *map.entry(value).or_insert(0) += 1,
                }
            }
        }
        for counter in facets.terms.iter_mut().flatten() {
            counter.collect(doc);
        }
    }

    fn harvest(self) -> Counts {
        let mut counts = Counts {
            total: self.total,
            ..Counts::default()
        };
        let Some(facets) = self.facets else {
            return counts;
        };
        counts.year_months = match facets.year_month {
            Some((_, MonthCounter::Dense { min, counts })) => counts
                .into_iter()
                .zip(min..)
                .filter(|(count, _)| *count > 0)
                .map(|(count, key)| (key, count))
                .collect(),
            Some((_, MonthCounter::Sparse(map))) => map,
            None => HashMap::new(),
        };
        for (into, counter) in counts.terms.iter_mut().zip(facets.terms) {
            if let Some(counter) = counter {
                *into = counter.harvest();
            }
        }
        counts
    }
}

impl Counts {
    /// Sorted facets: time newest first, terms by count then name.
    pub fn into_facets(self) -> Facets {
        let mut months: Vec<(i32, u8, u64)> = self
            .year_months
            .iter()
            .map(|(&key, &count)| {
                let (year, month) = schema::split_year_month(key);
                (year, month, count)
            })
            .collect();
        months.sort_by_key(|&(year, month, _)| std::cmp::Reverse((year, month)));
        let mut years: HashMap<i32, u64> = HashMap::new();
        for &(year, _, count) in &months {
            *years.entry(year).or_insert(0) += count;
        }
        let mut years: Vec<(i32, u64)> = years.into_iter().collect();
        years.sort_by_key(|&(year, _)| std::cmp::Reverse(year));
        let [kinds, leaders, photographers] = self.terms.map(by_count);
        Facets {
            years,
            months,
            kinds,
            leaders,
            photographers,
        }
    }
}

fn by_count(counts: HashMap<String, u64>) -> Vec<(String, u64)> {
    let mut out: Vec<(String, u64)> = counts.into_iter().collect();
    out.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    out
}

/// Capture time as an order-preserving u64, 0 for undated.
fn sortable(ms: Option<i64>) -> u64 {
    // Flipping the sign bit maps i64 order onto u64 order; i64::MIN maps to
    // 0, which undated shares (no camera says 292 million BC).
    ms.map_or(0, |ms| (ms as u64) ^ (1 << 63))
}

/// The per-segment columns a sort key reads.
pub(crate) struct TimeKey {
    captured: Option<Column<i64>>,
    id_key: Option<Column<u64>>,
}

impl TimeKey {
    /// Opens the columns; a segment missing one (all undated) sorts as if
    /// every value were absent.
    pub fn open(reader: &SegmentReader) -> TimeKey {
        let fast = reader.fast_fields();
        TimeKey {
            captured: fast.column_opt::<i64>(CAPTURED_AT).ok().flatten(),
            id_key: fast.column_opt::<u64>(ID_KEY).ok().flatten(),
        }
    }

    /// Newest first under tantivy's descending top-N: (time, id prefix).
    pub fn newest(&self, doc: DocId) -> (u64, u64) {
        let time = sortable(self.captured.as_ref().and_then(|c| c.first(doc)));
        let id = self.id_key.as_ref().and_then(|c| c.first(doc)).unwrap_or(0);
        (time, id)
    }

    /// Oldest first, undated still last: the newest key inverted, with the
    /// undated (time 0) kept at the bottom.
    pub fn oldest(&self, doc: DocId) -> (u64, u64) {
        let (time, id) = self.newest(doc);
        if time == 0 {
            (0, !id)
        } else {
            (!time, !id)
        }
    }
}

/// The ids of `hits`, read from the `id` column of each hit's segment.
pub(crate) fn ids(searcher: &Searcher, hits: &[DocAddress]) -> Result<Vec<String>, SearchError> {
    let mut columns: HashMap<SegmentOrdinal, Option<StrColumn>> = HashMap::new();
    let mut out = Vec::with_capacity(hits.len());
    let mut id = String::new();
    for hit in hits {
        let column = match columns.entry(hit.segment_ord) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => e.insert(
                searcher
                    .segment_reader(hit.segment_ord)
                    .fast_fields()
                    .str(ID)?,
            ),
        };
        let Some(column) = column else { continue };
        let Some(ord) = column.ords().first(hit.doc_id) else {
            continue;
        };
        if column
            .ord_to_str(ord, &mut id)
            .map_err(|e| SearchError::Tantivy(e.into()))?
        {
            out.push(id.clone());
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sortable_times_keep_their_order_and_undated_is_lowest() {
        let times = [i64::MIN + 1, -1, 0, 1, 1_767_211_200_000];
        for pair in times.windows(2) {
            assert!(sortable(Some(pair[0])) < sortable(Some(pair[1])));
        }
        assert!(sortable(None) < sortable(Some(i64::MIN + 1)));
    }

    #[test]
    fn term_facets_sort_by_count_then_name() {
        let counts = HashMap::from([
            ("b".to_owned(), 2),
            ("a".to_owned(), 2),
            ("c".to_owned(), 5),
        ]);
        assert_eq!(
            by_count(counts),
            vec![
                ("c".to_owned(), 5),
                ("a".to_owned(), 2),
                ("b".to_owned(), 2)
            ]
        );
    }
}
