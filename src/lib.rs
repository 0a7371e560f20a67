//! liputan: media ingest and archiving for the coverage team of DKISP
//! Kalimantan Utara.
//!
//! ```text
//! watch (notify + rescan) -> settle -> fingerprint (blake3) -> dedup
//!    -> metadata (EXIF / container) -> [match to assignment] -> store in archive (verified)
//!    -> catalog (SQLite, the source of truth) -> derived: thumbnails, search index
//! web (axum) reads the catalog; edits go to the catalog, then re-derive
//! ```
//!
//! `watch` turns kernel noise into paths; `ingest` settles, copies, verifies and
//! is the only writer of archive files; `catalog` holds all SQL; `media` reads
//! file formats; `app` wires it together; `web` serves HTTP.

pub mod app;
pub mod auth;
pub mod beneath;
pub mod browse;
pub mod care;
pub mod catalog;
pub mod collage;
pub mod config;
pub mod dates;
pub mod demo;
pub mod derived;
pub mod error;
pub mod ingest;
pub mod journal;
pub mod letters;
pub mod media;
pub mod metrics;
pub mod notify;
pub mod pdf;
pub mod reports;
pub mod schedule;
pub mod search;
pub mod text;
pub mod watch;
pub mod web;

pub use config::Config;
pub use error::{Error, Result};
