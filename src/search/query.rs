//! Turns a [`SearchQuery`] into a tantivy query: lenient parsing of the text
//! (words, phrases, `-` exclusions, `OR`), synonym expansion, the stemmed and
//! exact fields (exact boosted), the year shortcut, and the filters.
//!
//! Owns query semantics only; never fails on text. Filter values that cannot
//! be valid (month 13) are the only errors.

use std::ops::Bound;

use tantivy::query::{
    AllQuery, BooleanQuery, BoostQuery, ConstScoreQuery, EmptyQuery, Occur, PhraseQuery, Query,
    RangeQuery, TermQuery,
};
use tantivy::schema::{Field, IndexRecordOption};
use tantivy::tokenizer::TextAnalyzer;
use tantivy::Term;

use super::analyzer::{self, lexicon};
use super::schema::{normalize_camera, normalize_keyword, Fields};
use super::{SearchError, SearchQuery};

/// Weight of a match on the unstemmed field relative to the stemmed one.
const EXACT_BOOST: f32 = 2.0;
/// Words beyond this many are ignored: a pasted paragraph must not build a
/// query of hundreds of clauses.
const MAX_UNITS: usize = 32;
/// Years a bare 4-digit word may mean.
const YEARS: std::ops::RangeInclusive<u32> = 1990..=2100;

/// One piece of query text: a word or a quoted phrase.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Piece {
    Unit {
        text: String,
        phrase: bool,
        negated: bool,
    },
    Or,
}

/// Splits query text into pieces. Never fails: an unclosed quote makes the
/// rest plain words; stray operators fall away in the analyzers.
fn lex(text: &str) -> Vec<Piece> {
    let mut pieces = Vec::new();
    let mut rest = text.trim_start();
    while !rest.is_empty() && pieces.len() < MAX_UNITS {
        let negated = rest
            .strip_prefix('-')
            .is_some_and(|after| after.starts_with(|c: char| !c.is_whitespace()));
        let body = if negated { &rest[1..] } else { rest };
        if let Some(after_quote) = body.strip_prefix('"') {
            if let Some(end) = after_quote.find('"') {
                pieces.push(Piece::Unit {
                    text: after_quote[..end].to_owned(),
                    phrase: true,
                    negated,
                });
                rest = after_quote[end + 1..].trim_start();
                continue;
            }
            // Unbalanced quote: drop it and read on as words.
            rest = after_quote.trim_start();
            continue;
        }
        let end = body.find(char::is_whitespace).unwrap_or(body.len());
        let word = &body[..end];
        if word == "OR" && !negated {
            pieces.push(Piece::Or);
        } else {
            pieces.push(Piece::Unit {
                text: word.to_owned(),
                phrase: false,
                negated,
            });
        }
        rest = body[end..].trim_start();
    }
    pieces
}

/// Builds queries from text with the index's analyzers.
pub(crate) struct Compiler<'a> {
    fields: &'a Fields,
    stem: TextAnalyzer,
    exact: TextAnalyzer,
}

impl<'a> Compiler<'a> {
    pub fn new(fields: &'a Fields) -> Compiler<'a> {
        Compiler {
            fields,
            stem: analyzer::stem_analyzer(),
            exact: analyzer::exact_analyzer(),
        }
    }

    /// The whole query: text AND filters.
    pub fn compile(&mut self, q: &SearchQuery) -> Result<Box<dyn Query>, SearchError> {
        let filters = self.filters(q)?;
        let text = self.text(&q.text);
        if filters.is_empty() {
            return Ok(text.unwrap_or_else(|| Box::new(AllQuery)));
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = Vec::new();
        if let Some(text) = text {
            clauses.push((Occur::Must, text));
        }
        for filter in filters {
            // Score 0: filters narrow the set without changing relevance.
            clauses.push((Occur::Must, Box::new(ConstScoreQuery::new(filter, 0.0))));
        }
        Ok(Box::new(BooleanQuery::new(clauses)))
    }

    /// The text part, or `None` when it matches everything ("*", "", only
    /// stop words or punctuation).
    fn text(&mut self, text: &str) -> Option<Box<dyn Query>> {
        let pieces = lex(text);
        let mut groups: Vec<Vec<Box<dyn Query>>> = Vec::new();
        let mut excluded: Vec<Box<dyn Query>> = Vec::new();
        let mut join_next = false;
        let mut i = 0;
        while i < pieces.len() {
            let (query, consumed, negated) = match &pieces[i] {
                Piece::Or => {
                    join_next = !groups.is_empty();
                    i += 1;
                    continue;
                }
                Piece::Unit { negated, .. } => {
                    let (query, consumed) = self.unit_at(&pieces, i);
                    (query, consumed, *negated)
                }
            };
            i += consumed;
            let Some(query) = query else { continue };
            if negated {
                excluded.push(query);
            } else if join_next {
                if let Some(last) = groups.last_mut() {
                    last.push(query);
                }
            } else {
                groups.push(vec![query]);
            }
            join_next = false;
        }
        if groups.is_empty() && excluded.is_empty() {
            return None;
        }
        let mut clauses: Vec<(Occur, Box<dyn Query>)> = groups
            .into_iter()
            .map(|mut group| {
                let query: Box<dyn Query> = if group.len() == 1 {
                    group.remove(0)
                } else {
                    Box::new(BooleanQuery::union(group))
                };
                (Occur::Must, query)
            })
            .collect();
        if clauses.is_empty() {
            // Only exclusions: everything except them.
            clauses.push((Occur::Must, Box::new(AllQuery)));
        }
        clauses.extend(excluded.into_iter().map(|q| (Occur::MustNot, q)));
        Some(Box::new(BooleanQuery::new(clauses)))
    }

    /// The query for the unit at `i`, which may swallow the following words
    /// when they form a multi-word synonym; returns how many pieces it used.
    fn unit_at(&mut self, pieces: &[Piece], i: usize) -> (Option<Box<dyn Query>>, usize) {
        let Piece::Unit { text, phrase, .. } = &pieces[i] else {
            return (None, 1);
        };
        if *phrase {
            return (self.words(text), 1);
        }
        if let Some((class, consumed)) = self.synonym_at(pieces, i) {
            let alternatives: Vec<Box<dyn Query>> = class
                .iter()
                .filter_map(|member| self.words(&member.join(" ")))
                .collect();
            if !alternatives.is_empty() {
                return (Some(Box::new(BooleanQuery::union(alternatives))), consumed);
            }
        }
        let words = self.words(text);
        (self.with_year(text, words), 1)
    }

    /// The synonym class whose member matches the plain words starting at
    /// `i` (longest member first), and how many words it covers.
    fn synonym_at(
        &mut self,
        pieces: &[Piece],
        i: usize,
    ) -> Option<(&'static Vec<Vec<String>>, usize)> {
        // "-wakil gubernur" excludes "wakil" only, so an exclusion never
        // starts a multi-word synonym.
        let first_negated = matches!(&pieces[i], Piece::Unit { negated: true, .. });
        let max_words = if first_negated { 1 } else { 3 };
        let mut words: Vec<String> = Vec::new();
        for piece in pieces[i..].iter().take(max_words) {
            match piece {
                Piece::Unit {
                    text,
                    phrase: false,
                    negated,
                } if words.is_empty() || !negated => {
                    let folded = analyzer::tokens(&mut self.exact, text);
                    match folded.as_slice() {
                        [(_, word)] => words.push(word.clone()),
                        _ => break,
                    }
                }
                _ => break,
            }
        }
        for len in (1..=words.len()).rev() {
            let candidate = &words[..len];
            for class in &lexicon().synonyms {
                if class.iter().any(|member| member.as_slice() == candidate) {
                    return Some((class, len));
                }
            }
        }
        None
    }

    /// Stemmed OR exact (boosted) match of some words: a term for one word, a
    /// phrase for several. `None` when the analyzers leave nothing (a stop
    /// word, punctuation).
    fn words(&mut self, text: &str) -> Option<Box<dyn Query>> {
        let stemmed = analyzer::tokens(&mut self.stem, text);
        if stemmed.is_empty() {
            return None;
        }
        let exact = analyzer::tokens(&mut self.exact, text);
        let stem_query = term_or_phrase(self.fields.text, &stemmed)?;
        let Some(exact_query) = term_or_phrase(self.fields.text_exact, &exact) else {
            return Some(stem_query);
        };
        Some(Box::new(BooleanQuery::union(vec![
            stem_query,
            Box::new(BoostQuery::new(exact_query, EXACT_BOOST)),
        ])))
    }

    /// A bare year also matches assets captured in that year (in their own
    /// offset), whether or not any text mentions it.
    fn with_year(&self, text: &str, words: Option<Box<dyn Query>>) -> Option<Box<dyn Query>> {
        let year = text
            .trim()
            .parse::<u32>()
            .ok()
            .filter(|y| text.trim().len() == 4 && YEARS.contains(y));
        let Some(year) = year else { return words };
        let by_year: Box<dyn Query> = Box::new(ConstScoreQuery::new(
            Box::new(TermQuery::new(
                Term::from_field_u64(self.fields.year, u64::from(year)),
                IndexRecordOption::Basic,
            )),
            1.0,
        ));
        Some(match words {
            Some(words) => Box::new(BooleanQuery::union(vec![words, by_year])),
            None => by_year,
        })
    }

    fn filters(&self, q: &SearchQuery) -> Result<Vec<Box<dyn Query>>, SearchError> {
        let f = self.fields;
        let mut out: Vec<Box<dyn Query>> = Vec::new();
        if let Some(range) = capture_range(f.captured_at, q.from_ms, q.to_ms) {
            out.push(range);
        }
        if let Some(year) = q.year {
            let year = u64::try_from(year)
                .ok()
                .filter(|y| (1..=9999).contains(y))
                .ok_or_else(|| invalid("year", format!("{year} is not a year")))?;
            out.push(term_u64(f.year, year));
        }
        if let Some(month) = q.month {
            if !(1..=12).contains(&month) {
                return Err(invalid("month", format!("{month} is not 1 to 12")));
            }
            out.push(term_u64(f.month, u64::from(month)));
        }
        let keywords = [
            (f.kind, q.kind.as_deref().map(normalize_keyword)),
            (f.leader, q.leader.as_deref().map(normalize_keyword)),
            (f.status, q.status.as_deref().map(normalize_keyword)),
            (
                f.photographer,
                q.photographer.as_deref().map(|p| p.trim().to_owned()),
            ),
            (f.camera, q.camera.as_deref().map(normalize_camera)),
        ];
        for (field, value) in keywords {
            if let Some(value) = value.filter(|v| !v.is_empty()) {
                out.push(Box::new(TermQuery::new(
                    Term::from_field_text(field, &value),
                    IndexRecordOption::Basic,
                )));
            }
        }
        if let Some(assignment) = q.assignment_id {
            out.push(Box::new(TermQuery::new(
                Term::from_field_i64(f.assignment, assignment),
                IndexRecordOption::Basic,
            )));
        }
        Ok(out)
    }
}

fn invalid(field: &'static str, reason: String) -> SearchError {
    SearchError::Invalid { field, reason }
}

fn term_u64(field: Field, value: u64) -> Box<dyn Query> {
    Box::new(TermQuery::new(
        Term::from_field_u64(field, value),
        IndexRecordOption::Basic,
    ))
}

/// Inclusive range on the capture time; an inverted range matches nothing.
fn capture_range(field: Field, from: Option<i64>, to: Option<i64>) -> Option<Box<dyn Query>> {
    if let (Some(from), Some(to)) = (from, to) {
        if from > to {
            return Some(Box::new(EmptyQuery));
        }
    }
    let bound = |ms: Option<i64>| match ms {
        Some(ms) => Bound::Included(Term::from_field_i64(field, ms)),
        None => Bound::Unbounded,
    };
    if from.is_none() && to.is_none() {
        return None;
    }
    Some(Box::new(RangeQuery::new(bound(from), bound(to))))
}

/// A term query for one token, a phrase for several (keeping the gaps that
/// stop words left, so "rapat di kantor" matches "rapat di kantor" only).
fn term_or_phrase(field: Field, tokens: &[(usize, String)]) -> Option<Box<dyn Query>> {
    match tokens {
        [] => None,
        [(_, term)] => Some(Box::new(TermQuery::new(
            Term::from_field_text(field, term),
            IndexRecordOption::WithFreqs,
        ))),
        [(first, _), ..] => {
            let terms = tokens
                .iter()
                .map(|(pos, term)| (pos - first, Term::from_field_text(field, term)))
                .collect();
            Some(Box::new(PhraseQuery::new_with_offset(terms)))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(text: &str, phrase: bool, negated: bool) -> Piece {
        Piece::Unit {
            text: text.to_owned(),
            phrase,
            negated,
        }
    }

    #[test]
    fn words_phrases_exclusions_and_or_are_lexed() {
        assert_eq!(
            lex(r#"banjir "tanjung selor" -longsor OR -"rapat kerja""#),
            vec![
                unit("banjir", false, false),
                unit("tanjung selor", true, false),
                unit("longsor", false, true),
                Piece::Or,
                unit("rapat kerja", true, true),
            ]
        );
    }

    #[test]
    fn an_unbalanced_quote_reads_on_as_words() {
        assert_eq!(
            lex(r#"rapat "koordinasi daerah"#),
            vec![
                unit("rapat", false, false),
                unit("koordinasi", false, false),
                unit("daerah", false, false),
            ]
        );
    }

    #[test]
    fn a_lone_dash_is_a_word_not_an_exclusion() {
        assert_eq!(lex("-"), vec![unit("-", false, false)]);
        assert_eq!(
            lex("- banjir"),
            vec![unit("-", false, false), unit("banjir", false, false)]
        );
    }

    #[test]
    fn a_pasted_paragraph_is_cut_at_the_unit_limit() {
        let text = "kata ".repeat(500);
        assert_eq!(lex(&text).len(), MAX_UNITS);
    }

    #[test]
    fn only_stop_words_or_punctuation_match_everything() {
        let (_, fields) = super::super::schema::build();
        let mut compiler = Compiler::new(&fields);
        assert!(compiler.text("*").is_none());
        assert!(compiler.text("  ").is_none());
        assert!(compiler.text("yang di ( ) \"").is_none());
        assert!(compiler.text("banjir").is_some());
    }

    #[test]
    fn month_thirteen_is_an_invalid_filter() {
        let (_, fields) = super::super::schema::build();
        let mut compiler = Compiler::new(&fields);
        let q = SearchQuery {
            month: Some(13),
            ..SearchQuery::default()
        };
        assert!(matches!(
            compiler.compile(&q),
            Err(SearchError::Invalid { field: "month", .. })
        ));
    }
}
