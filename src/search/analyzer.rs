//! The Indonesian text analyzers: `id_stem` (stemmed, for recall) and
//! `id_exact` (lowercased and ASCII-folded, for precision), their word lists
//! and a fingerprint of the lists, so an index built with other lists is known
//! to be stale.
//!
//! Owns the word lists in `words/` (compiled in); does not own the schema or
//! query building. Pure and cheap: no I/O.

use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::OnceLock;

use tantivy::tokenizer::{
    AsciiFoldingFilter, LowerCaser, RemoveLongFilter, SimpleTokenizer, StopWordFilter,
    TextAnalyzer, Token, TokenFilter, TokenStream, Tokenizer, TokenizerManager,
};

/// Name under which the stemmed analyzer is registered with the index.
pub const STEM: &str = "id_stem";
/// Name under which the exact (unstemmed) analyzer is registered.
pub const EXACT: &str = "id_exact";

/// Tokens longer than this (in bytes) are dropped: they are hashes, URLs or
/// glued garbage, never words anyone types.
const MAX_TOKEN_LEN: usize = 40;

const STOPWORDS: &str = include_str!("words/stopwords.txt");
const PROTECTED: &str = include_str!("words/protected.txt");
const FAMILIES: &str = include_str!("words/families.txt");
const SYNONYMS: &str = include_str!("words/synonyms.txt");

/// Suffixes Indonesian glues onto any word (particles and possessives). A
/// protected word or family form carrying one ("bupatinya") is looked up
/// without it.
const CLITICS: &[&str] = &["nya", "lah", "kah", "pun", "ku", "mu"];

/// The parsed word lists, built once per process.
pub(crate) struct Lexicon {
    stopwords: Vec<String>,
    /// Token -> the form to index: protected words map to themselves, family
    /// forms to their root.
    fixed: HashMap<String, String>,
    /// Classes of equivalent words or phrases, each member as its words.
    pub(crate) synonyms: Vec<Vec<Vec<String>>>,
}

pub(crate) fn lexicon() -> &'static Lexicon {
    static LEXICON: OnceLock<Lexicon> = OnceLock::new();
    LEXICON.get_or_init(Lexicon::parse)
}

impl Lexicon {
    fn parse() -> Lexicon {
        let stopwords = lines(STOPWORDS).map(str::to_owned).collect();
        let mut fixed = HashMap::new();
        for word in lines(PROTECTED) {
            fixed.insert(word.to_owned(), word.to_owned());
        }
        for line in lines(FAMILIES) {
            // A line without ':' is a typo in the data file; the unit test
            // `every_family_line_has_a_root` catches it, and at run time the
            // line is skipped rather than guessed at.
            let Some((root, forms)) = line.split_once(':') else {
                continue;
            };
            let root = root.trim();
            fixed.insert(root.to_owned(), root.to_owned());
            for form in forms.split_whitespace() {
                fixed.insert(form.to_owned(), root.to_owned());
            }
        }
        let synonyms = lines(SYNONYMS)
            .map(|line| {
                line.split('=')
                    .map(|member| member.split_whitespace().map(str::to_owned).collect())
                    .filter(|words: &Vec<String>| !words.is_empty())
                    .collect()
            })
            .collect();
        Lexicon {
            stopwords,
            fixed,
            synonyms,
        }
    }

    /// The form a lowercased, folded token is indexed as.
    fn stem<'a>(&'a self, stemmer: &frostem::Stemmer, token: &'a str) -> Cow<'a, str> {
        if let Some(fixed) = self.fixed.get(token) {
            return Cow::Borrowed(fixed);
        }
        for clitic in CLITICS {
            if let Some(base) = token.strip_suffix(clitic) {
                if base.len() >= 3 {
                    if let Some(fixed) = self.fixed.get(base) {
                        return Cow::Borrowed(fixed);
                    }
                }
            }
        }
        stemmer.stem(token)
    }
}

/// Non-empty, non-comment lines of a word-list file, trimmed.
fn lines(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
}

/// A fingerprint of everything that decides which terms a text is indexed
/// under: the word lists and the stemmer's output on them. Stored in the
/// commit payload; a mismatch at open means the index is stale.
pub(crate) fn fingerprint() -> &'static str {
    static FINGERPRINT: OnceLock<String> = OnceLock::new();
    FINGERPRINT.get_or_init(compute_fingerprint)
}

fn compute_fingerprint() -> String {
    let mut hasher = blake3::Hasher::new();
    for list in [STOPWORDS, PROTECTED, FAMILIES] {
        hasher.update(list.as_bytes());
        hasher.update(b"\0");
    }
    // A frostem upgrade that changes the algorithm shows up here: stem every
    // word the lists mention plus a few common ones.
    let mut probe = stem_analyzer();
    let sample = "kunjungan berkunjung peresmian pelantikan pembangunan kegiatan \
                  perbatasan kesehatan menyambut pemerintahan peringatan";
    for text in [PROTECTED, FAMILIES, sample] {
        let mut stream = probe.token_stream(text);
        while let Some(token) = stream.next() {
            hasher.update(token.text.as_bytes());
            hasher.update(b" ");
        }
    }
    hasher.finalize().to_hex()[..16].to_owned()
}

/// The stemmed analyzer: simple tokenizer, long-token removal, lowercase,
/// ASCII folding, Indonesian stop words, then the stemmer with the protected
/// words and families.
pub fn stem_analyzer() -> TextAnalyzer {
    let lexicon = lexicon();
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .filter(StopWordFilter::remove(lexicon.stopwords.iter().cloned()))
        .filter(IndonesianStemmer)
        .build()
}

/// The exact analyzer: the same tokens as `stem_analyzer` before stop words
/// and stemming.
pub fn exact_analyzer() -> TextAnalyzer {
    TextAnalyzer::builder(SimpleTokenizer::default())
        .filter(RemoveLongFilter::limit(MAX_TOKEN_LEN))
        .filter(LowerCaser)
        .filter(AsciiFoldingFilter)
        .build()
}

/// Registers both analyzers under [`STEM`] and [`EXACT`].
pub(crate) fn register(manager: &TokenizerManager) {
    manager.register(STEM, stem_analyzer());
    manager.register(EXACT, exact_analyzer());
}

/// The terms `analyzer` makes of `text`, with their positions.
pub(crate) fn tokens(analyzer: &mut TextAnalyzer, text: &str) -> Vec<(usize, String)> {
    let mut stream = analyzer.token_stream(text);
    let mut out = Vec::new();
    while let Some(token) = stream.next() {
        out.push((token.position, token.text.clone()));
    }
    out
}

/// Convenience for tests and tools: the stemmed terms of `text`.
pub fn stems(text: &str) -> Vec<String> {
    tokens(&mut stem_analyzer(), text)
        .into_iter()
        .map(|(_, term)| term)
        .collect()
}

/// Token filter applying [`Lexicon::stem`] with Snowball Indonesian (frostem).
#[derive(Clone)]
struct IndonesianStemmer;

impl TokenFilter for IndonesianStemmer {
    type Tokenizer<T: Tokenizer> = StemTokenizer<T>;

    fn transform<T: Tokenizer>(self, inner: T) -> StemTokenizer<T> {
        StemTokenizer {
            inner,
            lexicon: lexicon(),
        }
    }
}

#[derive(Clone)]
struct StemTokenizer<T> {
    inner: T,
    lexicon: &'static Lexicon,
}

impl<T: Tokenizer> Tokenizer for StemTokenizer<T> {
    type TokenStream<'a> = StemStream<T::TokenStream<'a>>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> Self::TokenStream<'a> {
        StemStream {
            tail: self.inner.token_stream(text),
            lexicon: self.lexicon,
            stemmer: frostem::Stemmer::new(frostem::Algorithm::Indonesian),
        }
    }
}

struct StemStream<S> {
    tail: S,
    lexicon: &'static Lexicon,
    stemmer: frostem::Stemmer,
}

impl<S: TokenStream> TokenStream for StemStream<S> {
    fn advance(&mut self) -> bool {
        if !self.tail.advance() {
            return false;
        }
        let token = self.tail.token_mut();
        let stemmed = match self.lexicon.stem(&self.stemmer, &token.text) {
            Cow::Borrowed(s) if s == token.text => None,
            Cow::Borrowed(s) => Some(s.to_owned()),
            Cow::Owned(s) => Some(s),
        };
        if let Some(stemmed) = stemmed {
            token.text = stemmed;
        }
        true
    }

    fn token(&self) -> &Token {
        self.tail.token()
    }

    fn token_mut(&mut self) -> &mut Token {
        self.tail.token_mut()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stem(word: &str) -> String {
        stems(word).join(" ")
    }

    fn same_stem(words: &[&str]) {
        let first = stem(words[0]);
        for word in words {
            assert_eq!(stem(word), first, "{word} vs {}", words[0]);
        }
    }

    #[test]
    fn forms_of_kunjung_share_one_stem() {
        same_stem(&[
            "kunjungan",
            "berkunjung",
            "mengunjungi",
            "dikunjungi",
            "kunjung",
        ]);
    }

    #[test]
    fn peresmian_and_meresmikan_share_one_stem() {
        same_stem(&["peresmian", "meresmikan", "diresmikan", "resmi"]);
    }

    #[test]
    fn peninjauan_and_meninjau_share_one_stem() {
        same_stem(&["peninjauan", "meninjau", "ditinjau", "tinjau"]);
    }

    #[test]
    fn penugasan_and_ditugaskan_share_one_stem() {
        same_stem(&["penugasan", "ditugaskan", "petugas", "tugas"]);
    }

    #[test]
    fn pelantikan_and_dilantik_share_one_stem() {
        same_stem(&["pelantikan", "dilantik", "melantik"]);
    }

    #[test]
    fn menerima_bertemu_and_penandatanganan_find_their_roots() {
        same_stem(&["menerima", "diterima", "terima", "penerimaan"]);
        same_stem(&["bertemu", "pertemuan", "temu"]);
        same_stem(&["penandatanganan", "menandatangani", "tandatangan"]);
    }

    #[test]
    fn place_names_are_not_mangled() {
        assert_eq!(stem("Tarakan"), "tarakan");
        assert_eq!(stem("NUNUKAN"), "nunukan");
        assert_eq!(stem("Bulungan"), "bulungan");
        assert_eq!(stem("Tanjung Selor"), "tanjung selor");
        assert_eq!(stem("Sebatik"), "sebatik");
        assert_eq!(stem("Tana Tidung"), "tana tidung");
    }

    #[test]
    fn a_protected_word_with_a_clitic_keeps_its_form() {
        assert_eq!(stem("bupatinya"), "bupati");
        assert_eq!(stem("Tarakanlah"), "tarakan");
    }

    #[test]
    fn stop_words_are_dropped_but_keep_positions() {
        let mut analyzer = stem_analyzer();
        let toks = tokens(&mut analyzer, "kunjungan kerja di Tarakan dan Nunukan");
        assert_eq!(
            toks,
            vec![
                (0, "kunjung".to_owned()),
                (1, "kerja".to_owned()),
                (3, "tarakan".to_owned()),
                (5, "nunukan".to_owned()),
            ]
        );
    }

    #[test]
    fn the_exact_analyzer_folds_case_and_accents_but_does_not_stem() {
        let mut analyzer = exact_analyzer();
        let terms: Vec<String> = tokens(&mut analyzer, "Peresmian Café di SEBATIK")
            .into_iter()
            .map(|(_, t)| t)
            .collect();
        assert_eq!(terms, ["peresmian", "cafe", "di", "sebatik"]);
    }

    #[test]
    fn every_protected_word_indexes_as_itself() {
        for word in lines(PROTECTED) {
            assert_eq!(stem(word), word);
        }
    }

    #[test]
    fn every_family_line_has_a_root_and_its_root_indexes_as_itself() {
        for line in lines(FAMILIES) {
            let (root, forms) = line.split_once(':').expect("family line without ':'");
            let root = root.trim();
            assert_eq!(stem(root), root, "root {root}");
            for form in forms.split_whitespace() {
                assert_eq!(stem(form), root, "form {form}");
            }
        }
    }

    #[test]
    fn no_word_is_both_a_stop_word_and_listed() {
        let lexicon = lexicon();
        for word in &lexicon.stopwords {
            assert!(!lexicon.fixed.contains_key(word), "{word}");
        }
    }

    #[test]
    fn the_stop_list_is_short() {
        let n = lexicon().stopwords.len();
        assert!((30..=60).contains(&n), "{n} stop words");
    }

    #[test]
    fn synonym_lines_parse_into_classes() {
        let classes = &lexicon().synonyms;
        assert!(classes
            .iter()
            .any(|class| class.contains(&vec!["wagub".to_owned()])
                && class.contains(&vec!["wakil".to_owned(), "gubernur".to_owned()])));
        assert!(classes.iter().all(|class| class.len() >= 2));
    }

    #[test]
    fn long_tokens_are_dropped() {
        let long = "a".repeat(41);
        assert_eq!(stems(&format!("banjir {long}")), ["banjir"]);
    }

    #[test]
    fn the_fingerprint_is_stable_within_a_build() {
        assert_eq!(fingerprint(), fingerprint());
        assert_eq!(fingerprint().len(), 16);
    }
}
