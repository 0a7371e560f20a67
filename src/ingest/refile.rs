//! Re-filing: moving an archived file to the folder of its (new) assignment,
//! or back to untagged, when a tag changes. Crash-safe by an intent row: the
//! intent is committed, the file renamed (never replacing anything), the
//! folder synced, then one commit records the new path and tag and drops the
//! intent. [`recover`] settles intents a crash left behind.
//!
//! Blocking.

use std::path::{Path, PathBuf};

use crate::catalog::{AssetRecord, Catalog, Refile, Tag};
use crate::error::{Error, IoContext, Result};
use crate::ingest::layout::{self, Placement};
use crate::ingest::store;
use crate::media::Kind;

/// Moves `asset` to where `placement` says and records `tag`. A file already
/// in the right folder only gets its tag updated.
pub fn refile(
    catalog: &Catalog,
    archive: &Path,
    zone: jiff::tz::Offset,
    asset: &AssetRecord,
    placement: &Placement,
    tag: Tag,
) -> Result<()> {
    let kind: Kind = asset.kind.parse().unwrap_or(Kind::Other);
    let captured = asset
        .captured_at_ms
        .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok());
    let date = layout::day_of(captured, zone);
    let folder = layout::folder(date, placement, kind);
    if asset.archive_path.parent() == Some(folder.as_path()) {
        return catalog.set_tag(&asset.id, &tag);
    }
    let name = asset
        .archive_path
        .file_name()
        .unwrap_or_default()
        .to_owned();
    let from = asset.archive_path.clone();
    let dir = archive.join(&folder);
    store::create_dir_durable(&dir).at("creating", &dir)?;
    for candidate in [name.clone(), layout::with_hash_suffix(&name, &asset.id)] {
        let to = folder.join(&candidate);
        let intent = Refile {
            asset_id: asset.id.clone(),
            from: from.clone(),
            to: to.clone(),
            tag: tag.clone(),
        };
        catalog.begin_refile(&intent)?;
        match store::rename_noreplace(&archive.join(&from), &archive.join(&to)) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                catalog.drop_refile(&asset.id)?;
                continue;
            }
            Err(e) => {
                catalog.drop_refile(&asset.id)?;
                return Err(Error::Io {
                    action: "re-filing to",
                    path: archive.join(&to),
                    source: e,
                });
            }
        }
        sync_parents(archive, &from, &to)?;
        return catalog.finish_refile(&intent);
    }
    Err(Error::Conflict(format!(
        "no free name for {} in {}",
        name.to_string_lossy(),
        folder.display()
    )))
}

fn sync_parents(archive: &Path, from: &Path, to: &Path) -> Result<()> {
    for rel in [to, from] {
        let dir: PathBuf = archive.join(rel.parent().unwrap_or(Path::new("")));
        store::fsync_dir(&dir).at("syncing", &dir)?;
    }
    Ok(())
}

/// Settles re-filings a crash interrupted: a file found at its new path gets
/// the catalog updated; one still at its old path keeps its old record.
pub fn recover(catalog: &Catalog, archive: &Path) -> Result<usize> {
    let intents = catalog.refiles()?;
    for intent in &intents {
        let moved = archive.join(&intent.to).exists() && !archive.join(&intent.from).exists();
        if moved {
            catalog.finish_refile(intent)?;
        } else {
            catalog.drop_refile(&intent.asset_id)?;
        }
    }
    if !intents.is_empty() {
        tracing::info!(count = intents.len(), "recovered interrupted re-filings");
    }
    Ok(intents.len())
}
