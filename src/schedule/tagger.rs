//! The tagger: runs matching on new files (at ingest) and again on files a
//! schedule change may concern (re-matching), applies the decisions (tag and
//! re-file, or triage with reasons), and takes a person's manual tags, which
//! re-matching never undoes. Loads the schedule around the files from the
//! catalog; the decisions themselves are `matching`'s. Blocking.

use std::path::PathBuf;
use std::sync::Arc;

use serde::Serialize;

use crate::catalog::{AssetRecord, Catalog, NewAsset, Tag};
use crate::config::Config;
use crate::error::{Error, Result};
use crate::ingest::layout::Placement;
use crate::ingest::refile;
use crate::schedule::matching::{self, Decision, FileEvidence, Margins, Slot, World};
use crate::schedule::{serial_key, Assignment, Camera, Event, Person};

/// How far around the files' times the schedule is loaded: camera clocks can
/// be hours off (a camera left on UTC is 8 hours behind WITA).
const SCHEDULE_REACH_MS: i64 = 14 * 3600 * 1000;

pub struct Tagger {
    catalog: Arc<Catalog>,
    archive: PathBuf,
    zone: jiff::tz::Offset,
    margins: Margins,
    /// Photos already examined for a clock shot, per (drop folder, camera, day).
    clock_looks: std::sync::Mutex<std::collections::HashMap<ClockLookKey, u32>>,
}

/// A drop folder, a camera's serial key and a day.
type ClockLookKey = (Option<String>, String, jiff::civil::Date);

/// Photographers shoot the clock page first thing: only the first few photos of
/// each camera in a drop are decoded looking for it (about 50-100 ms each).
const CLOCK_LOOKS: u32 = 5;

/// The schedule near some files, owned (a `World` borrows from it).
struct Loaded {
    people: Vec<Person>,
    cameras: Vec<Camera>,
    slots: Vec<(Assignment, Event)>,
}

/// What a re-match did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Report {
    pub examined: usize,
    pub tagged: usize,
    pub moved: usize,
    pub triage: usize,
}

/// One file waiting in triage.
#[derive(Debug, Serialize)]
pub struct TriageItem {
    pub asset: crate::browse::AssetView,
    pub reason: String,
    pub suggestions: Vec<matching::Suggestion>,
}

impl Tagger {
    pub fn new(catalog: Arc<Catalog>, config: &Config) -> Tagger {
        Tagger {
            catalog,
            archive: config.archive.clone(),
            zone: config.zone,
            margins: Margins {
                before_seconds: i64::from(config.before_minutes) * 60,
                after_seconds: i64::from(config.after_minutes) * 60,
            },
            clock_looks: Default::default(),
        }
    }

    /// Looks for a photographed `/clock` QR code in a just-archived photo; when
    /// found, sets its camera's clock offset to the second (source `clock_shot`)
    /// and re-matches that camera's files. Returns the offset learned.
    pub fn learn_clock(&self, asset: &NewAsset) -> Result<Option<i64>> {
        let m = &asset.metadata;
        let (Some(serial), Some(captured)) = (m.serial.as_deref(), m.captured_at) else {
            return Ok(None);
        };
        if asset.kind != crate::media::Kind::Photo
            || captured.source == crate::media::TimeSource::FileMtime
        {
            return Ok(None);
        }
        let key = (
            asset.drop_folder.clone(),
            serial_key(serial),
            self.zone.to_datetime(captured.utc).date(),
        );
        {
            let mut looks = self.clock_looks.lock().unwrap_or_else(|e| e.into_inner());
            let seen = looks.entry(key).or_insert(0);
            if *seen >= CLOCK_LOOKS {
                return Ok(None);
            }
            *seen += 1;
        }
        let Some(camera) = self.catalog.camera(serial)? else {
            return Ok(None);
        };
        let Some(shown) =
            crate::media::clockshot::read_clock_shot(&self.archive.join(&asset.archive_path))
        else {
            return Ok(None);
        };
        let offset = crate::media::clockshot::offset_seconds(shown, captured.utc);
        if offset.abs() > 48 * 3600 {
            tracing::warn!(camera = %camera.serial, offset, "a clock shot more than two days off: an old photo of the clock page? ignored");
            return Ok(None);
        }
        tracing::info!(camera = %camera.serial, offset, "learned a camera's clock offset from a clock shot");
        self.catalog
            .update_camera(&camera.serial, None, Some((offset, "clock_shot")))?;
        self.rematch_camera(&camera.serial)?;
        Ok(Some(offset))
    }

    fn load(&self, times_ms: impl Iterator<Item = i64>) -> Result<Loaded> {
        let (mut lo, mut hi) = (i64::MAX, i64::MIN);
        for t in times_ms {
            lo = lo.min(t);
            hi = hi.max(t);
        }
        let slots = if lo <= hi {
            self.catalog
                .slots_between(lo - SCHEDULE_REACH_MS, hi + SCHEDULE_REACH_MS)?
        } else {
            Vec::new()
        };
        Ok(Loaded {
            people: self.catalog.people()?,
            cameras: self.catalog.cameras()?,
            slots,
        })
    }

    fn world<'a>(&self, loaded: &'a Loaded) -> World<'a> {
        World {
            people: &loaded.people,
            cameras: &loaded.cameras,
            slots: loaded
                .slots
                .iter()
                .map(|(assignment, event)| Slot { assignment, event })
                .collect(),
            margins: Margins {
                before_seconds: self.margins.before_seconds,
                after_seconds: self.margins.after_seconds,
            },
            zone: self.zone,
        }
    }

    /// The decision for a file about to be archived. Never fails: when the
    /// schedule cannot be read the file waits in triage, saying so.
    pub fn tag_new(&self, asset: &NewAsset) -> (Tag, Placement) {
        let evidence = evidence_of_new(asset);
        let decided = self
            .load(evidence.captured_at.map(|t| t.as_millisecond()).into_iter())
            .map(|loaded| {
                let decision = matching::decide(&evidence, &self.world(&loaded));
                self.apply(decision, &loaded)
            });
        decided.unwrap_or_else(|e| {
            tracing::error!("matching failed: {e}");
            let tag = Tag {
                triage_reason: Some(format!("jadwal tidak terbaca: {e}")),
                ..Tag::default()
            };
            (tag, Placement::Untagged)
        })
    }

    fn apply(&self, decision: Decision, loaded: &Loaded) -> (Tag, Placement) {
        match decision {
            Decision::Tag {
                assignment_id,
                reason,
                confidence,
                photographer,
            } => {
                let placement = loaded
                    .slots
                    .iter()
                    .find(|(a, _)| a.id == assignment_id)
                    .map(|(a, e)| self.placement_of(a, e))
                    .unwrap_or(Placement::Untagged);
                let tag = Tag {
                    assignment_id: Some(assignment_id),
                    match_reason: Some(reason),
                    confidence: Some(f64::from(confidence)),
                    photographer,
                    ..Tag::default()
                };
                (tag, placement)
            }
            Decision::Triage {
                reason,
                suggestions,
                photographer,
            } => {
                let tag = Tag {
                    triage_reason: Some(reason),
                    suggestions: serde_json::to_string(&suggestions).ok(),
                    photographer,
                    ..Tag::default()
                };
                (tag, Placement::Untagged)
            }
        }
    }

    fn placement_of(&self, assignment: &Assignment, event: &Event) -> Placement {
        Placement::Assignment {
            slug: assignment.folder.clone(),
            date: self.zone.to_datetime(event.starts_at).date(),
        }
    }

    /// Decides `assets` again and re-files those whose assignment changed.
    /// Files tagged by hand are left alone.
    pub fn rematch(&self, assets: Vec<AssetRecord>) -> Result<Report> {
        self.decide_again(assets, false)
    }

    /// `rewrite`: record the decision even when it equals the stored one (a
    /// manual tag being handed back to matching must lose its `tagged_by`).
    fn decide_again(&self, assets: Vec<AssetRecord>, rewrite: bool) -> Result<Report> {
        let assets: Vec<AssetRecord> = assets
            .into_iter()
            .filter(|a| a.tagged_by.is_none())
            .collect();
        let loaded = self.load(assets.iter().filter_map(|a| a.captured_at_ms))?;
        let world = self.world(&loaded);
        let mut report = Report {
            examined: assets.len(),
            ..Report::default()
        };
        for asset in &assets {
            let decision = matching::decide(&evidence_of(asset), &world);
            let (tag, placement) = self.apply(decision, &loaded);
            let unchanged = tag.assignment_id == asset.assignment_id
                && tag.match_reason == asset.match_reason
                && tag.triage_reason == asset.triage_reason
                && tag.suggestions == asset.triage_suggestions
                && tag.photographer == asset.photographer;
            if tag.assignment_id.is_some() {
                report.tagged += 1;
            } else {
                report.triage += 1;
            }
            if unchanged && !rewrite {
                continue;
            }
            if tag.assignment_id != asset.assignment_id {
                report.moved += 1;
            }
            refile::refile(
                &self.catalog,
                &self.archive,
                self.zone,
                asset,
                &placement,
                tag,
            )?;
        }
        if report.moved > 0 {
            tracing::info!(?report, "re-matched files after a schedule change");
        }
        Ok(report)
    }

    /// Re-matches the files an event (and its assignments) may concern.
    pub fn rematch_event(&self, event: &Event) -> Result<Report> {
        let from = event.starts_at.as_millisecond()
            - self.margins.before_seconds * 1000
            - SCHEDULE_REACH_MS;
        let to =
            event.ends_at.as_millisecond() + self.margins.after_seconds * 1000 + SCHEDULE_REACH_MS;
        self.rematch(self.catalog.rematchable_between(from, to)?)
    }

    /// Re-matches every file from one camera (its offset or owner changed).
    pub fn rematch_camera(&self, serial: &str) -> Result<Report> {
        self.rematch(self.catalog.rematchable_of_camera(&serial_key(serial))?)
    }

    /// A person tags files by hand (or untags them with `None`, handing them
    /// back to matching). Re-files each. Returns how many.
    pub fn tag_by_hand(
        &self,
        ids: &[String],
        assignment_id: Option<i64>,
        user: &str,
    ) -> Result<usize> {
        let assets = self.catalog.assets(ids)?;
        if assets.len() != ids.len() {
            let missing: Vec<&String> = ids
                .iter()
                .filter(|id| !assets.iter().any(|a| &a.id == *id))
                .collect();
            return Err(Error::NotFound(format!(
                "asset_ids: no such asset {}",
                missing[0]
            )));
        }
        let Some(assignment_id) = assignment_id else {
            for asset in &assets {
                let mut cleared = asset.clone();
                cleared.tagged_by = None;
                self.decide_again(vec![cleared], true)?;
            }
            return Ok(assets.len());
        };
        let assignment = self.catalog.assignment(assignment_id)?.ok_or_else(|| {
            Error::NotFound(format!("assignment_id: no assignment {assignment_id}"))
        })?;
        let event = self.catalog.event(assignment.event_id)?.ok_or_else(|| {
            Error::NotFound(format!(
                "assignment_id: assignment {assignment_id} has no event"
            ))
        })?;
        let placement = self.placement_of(&assignment, &event);
        for asset in &assets {
            let tag = Tag {
                assignment_id: Some(assignment_id),
                match_reason: Some(format!("ditandai manual oleh {user}")),
                confidence: Some(1.0),
                photographer: asset.photographer.clone(),
                tagged_by: Some(user.to_owned()),
                ..Tag::default()
            };
            refile::refile(
                &self.catalog,
                &self.archive,
                self.zone,
                asset,
                &placement,
                tag,
            )?;
        }
        Ok(assets.len())
    }

    /// The triage queue, with reasons and suggestions, plus clock-offset
    /// proposals for cameras whose files fit an assignment when shifted.
    pub fn triage(&self, limit: usize) -> Result<Vec<TriageItem>> {
        let waiting = self.catalog.untagged(limit)?;
        let loaded = self.load(waiting.iter().filter_map(|a| a.captured_at_ms))?;
        let world = self.world(&loaded);
        // Proposals are per drop: one folder, one day (a camera's files over
        // several days rarely fit one event together).
        let mut drops: std::collections::BTreeMap<
            (Option<String>, Option<jiff::civil::Date>),
            Vec<FileEvidence>,
        > = std::collections::BTreeMap::new();
        for asset in &waiting {
            let day = asset
                .captured_at_ms
                .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok())
                .map(|t| self.zone.to_datetime(t).date());
            drops
                .entry((asset.drop_folder.clone(), day))
                .or_default()
                .push(evidence_of(asset));
        }
        let proposals: Vec<matching::OffsetProposal> = drops
            .values()
            .flat_map(|files| matching::propose_clock_offsets(files, &world))
            .collect();
        Ok(waiting
            .iter()
            .map(|asset| {
                let mut suggestions: Vec<matching::Suggestion> = asset
                    .triage_suggestions
                    .as_deref()
                    .and_then(|s| serde_json::from_str(s).ok())
                    .unwrap_or_default();
                for p in proposals.iter().filter(|p| p.asset_ids.contains(&asset.id)) {
                    suggestions.insert(
                        0,
                        matching::Suggestion {
                            assignment_id: Some(p.assignment_id),
                            clock_offset_seconds: Some(p.clock_offset_seconds),
                            camera_serial: Some(p.camera_serial.clone()),
                            why: p.why.clone(),
                        },
                    );
                }
                TriageItem {
                    asset: crate::browse::AssetView::new(asset),
                    reason: asset
                        .triage_reason
                        .clone()
                        .unwrap_or_else(|| "belum dicocokkan".into()),
                    suggestions,
                }
            })
            .collect())
    }
}

fn evidence_of_new(asset: &NewAsset) -> FileEvidence {
    let m = &asset.metadata;
    FileEvidence {
        asset_id: asset.id.clone(),
        drop_folder: asset.drop_folder.clone(),
        serial: m.serial.clone(),
        make: m.make.clone(),
        model: m.model.clone(),
        captured_at: m.captured_at.map(|c| c.utc),
        time_from_file_mtime: m
            .captured_at
            .is_some_and(|c| c.source == crate::media::TimeSource::FileMtime),
        gps: m.gps.map(|g| (g.lat, g.lon)),
    }
}

fn evidence_of(asset: &AssetRecord) -> FileEvidence {
    FileEvidence {
        asset_id: asset.id.clone(),
        drop_folder: asset.drop_folder.clone(),
        serial: asset.serial.clone(),
        make: asset.make.clone(),
        model: asset.model.clone(),
        captured_at: asset
            .captured_at_ms
            .and_then(|ms| jiff::Timestamp::from_millisecond(ms).ok()),
        time_from_file_mtime: asset.time_source.as_deref() == Some("file_mtime"),
        gps: asset.lat.zip(asset.lon),
    }
}
