//! Media files as ingest sees them: what kind a file is (`kind`), what it says about
//! itself (`metadata`: capture time, camera, serial, lens, GPS, size, duration),
//! whether it is completely written (`integrity`), thumbnails and previews
//! (`thumbs`), photographed clock-page QR codes (`clockshot`), and generators of
//! realistic test files (`synth`).
//!
//! Everything here is blocking, reads untrusted bytes with bounded memory and never
//! panics on them. It does not hash or touch the catalog, and never writes files
//! (`thumbs` returns encoded bytes; `derived` stores them). Format parsers are private submodules: the
//! content of a file, not its name, picks the parser.

pub mod clockshot;
pub mod integrity;
pub mod kind;
pub mod metadata;
pub mod synth;
pub mod thumbs;

mod bmff;
mod bytes;
mod format;
mod ifd;
mod jpeg;
mod makernote;
mod raw;
mod small;
mod tags;
mod time;
mod xmp;

pub use integrity::{completeness, completeness_of, Completeness};
pub use kind::Kind;
pub use metadata::{read_metadata, read_metadata_from, CaptureTime, Gps, Metadata, TimeSource};
pub use synth::SynthPhoto;
