//! MP4 and QuickTime metadata: `mvhd` time and duration, the video track's `tkhd`
//! size, QuickTime keys and user data (creation date with offset, ISO 6709 location,
//! make, model).

use std::io::{self, Read, Seek};

use jiff::tz::Offset;
use jiff::Timestamp;

use super::{children, find, payload, BoxHeader, MAX_CHILDREN};
use crate::media::bytes::{self, be_u16, be_u32, be_u64};
use crate::media::metadata::{CaptureTime, Gps, Metadata, TimeSource};
use crate::media::time;

/// Largest metadata box (`keys`, one `ilst` item, a `udta` entry) read into memory.
const ITEM_CAP: u64 = 64 << 10;
/// Seconds from 1904-01-01 (QuickTime epoch) to 1970-01-01.
const QUICKTIME_EPOCH_OFFSET: i64 = 2_082_844_800;

/// Movies and audio: time, duration, video size, location, make and model.
pub(crate) fn read_movie<R: Read + Seek>(
    r: &mut R,
    len: u64,
    zone: Offset,
    md: &mut Metadata,
) -> io::Result<()> {
    let (top, problem) = children(r, 0, len)?;
    let Some(moov) = find(&top, b"moov") else {
        md.damaged = Some(problem.unwrap_or_else(|| "no 'moov' box (file not finalised?)".into()));
        return Ok(());
    };
    md.damaged = problem;
    let (kids, _) = children(r, moov.body, moov.end)?;
    let mut items = Items::default();
    let mut mvhd_time = None;
    for kid in &kids {
        match &kid.typ {
            b"mvhd" => {
                let p = payload(r, kid, 32)?;
                mvhd_time = mvhd_creation(&p);
                md.duration_ms = mvhd_duration_ms(&p);
            }
            b"trak" if md.width.is_none() => {
                if let Some((w, h)) = video_size(r, kid)? {
                    md.width = Some(w);
                    md.height = Some(h);
                }
            }
            b"meta" => meta_items(r, kid, &mut items)?,
            b"udta" => udta_items(r, kid, &mut items)?,
            _ => {}
        }
    }
    apply_items(&items, zone, md);
    if md.captured_at.is_none() {
        md.captured_at = mvhd_time.map(|utc| CaptureTime {
            utc,
            offset_seconds: zone.seconds(),
            source: TimeSource::Container,
        });
    }
    Ok(())
}

/// `mvhd` creation time (seconds since 1904, UTC by the spec); 0 means unset.
fn mvhd_creation(p: &[u8]) -> Option<Timestamp> {
    let secs = match p.first()? {
        0 => u64::from(be_u32(p, 4)?),
        1 => be_u64(p, 4)?,
        _ => return None,
    };
    if secs == 0 {
        return None;
    }
    let unix = i64::try_from(secs)
        .ok()?
        .checked_sub(QUICKTIME_EPOCH_OFFSET)?;
    Timestamp::from_second(unix).ok()
}

fn mvhd_duration_ms(p: &[u8]) -> Option<u64> {
    let (timescale, duration) = match p.first()? {
        0 => (be_u32(p, 12)?, u64::from(be_u32(p, 16)?).into()),
        1 => (be_u32(p, 20)?, be_u64(p, 24)),
        _ => return None,
    };
    let duration = duration?;
    // All ones means "unknown" in both versions.
    if timescale == 0 || duration == u64::from(u32::MAX) || duration == u64::MAX {
        return None;
    }
    u64::try_from(u128::from(duration) * 1000 / u128::from(timescale)).ok()
}

/// The size from a video track's `tkhd` (16.16 fixed point), or `None` for other
/// tracks.
fn video_size<R: Read + Seek>(r: &mut R, trak: &BoxHeader) -> io::Result<Option<(u32, u32)>> {
    let (kids, _) = children(r, trak.body, trak.end)?;
    let mut handler = None;
    if let Some(mdia) = find(&kids, b"mdia") {
        let (mdia_kids, _) = children(r, mdia.body, mdia.end)?;
        if let Some(hdlr) = find(&mdia_kids, b"hdlr") {
            handler = payload(r, hdlr, 12)?.get(8..12).map(|t| t.to_vec());
        }
    }
    let Some(tkhd) = find(&kids, b"tkhd") else {
        return Ok(None);
    };
    let p = payload(r, tkhd, 96)?;
    let at = if p.first() == Some(&1) { 88 } else { 76 };
    let (Some(w), Some(h)) = (be_u32(&p, at), be_u32(&p, at + 4)) else {
        return Ok(None);
    };
    let (w, h) = (w >> 16, h >> 16);
    let is_video = handler.as_deref().is_none_or(|t| t == b"vide");
    Ok((is_video && w > 0 && h > 0).then_some((w, h)))
}

/// The metadata keys we use; nothing else is read into memory.
const CREATION_KEYS: [&str; 1] = ["com.apple.quicktime.creationdate"];
const LOCATION_KEYS: [&str; 2] = ["com.apple.quicktime.location.ISO6709", "\u{a9}xyz"];
const MAKE_KEYS: [&str; 2] = ["com.apple.quicktime.make", "\u{a9}mak"];
const MODEL_KEYS: [&str; 2] = ["com.apple.quicktime.model", "\u{a9}mod"];

/// Collected (key, text) metadata items: only wanted keys, first value of each, so
/// the list stays a handful of short strings whatever the file holds.
#[derive(Default)]
struct Items(Vec<(String, String)>);

impl Items {
    fn wants(&self, key: &str) -> bool {
        let known = [&CREATION_KEYS[..], &LOCATION_KEYS, &MAKE_KEYS, &MODEL_KEYS]
            .iter()
            .any(|keys| keys.contains(&key));
        known && !self.0.iter().any(|(k, _)| k == key)
    }

    fn get(&self, names: &[&str]) -> Option<&str> {
        names
            .iter()
            .find_map(|n| self.0.iter().find(|(k, _)| k == n).map(|(_, v)| v.as_str()))
    }
}

/// Items from a `meta` box: QuickTime `keys` + `ilst` (keys by index) or iTunes-style
/// `ilst` (keys are the item box types, like `©xyz`).
fn meta_items<R: Read + Seek>(r: &mut R, meta: &BoxHeader, items: &mut Items) -> io::Result<()> {
    // QuickTime's meta is a plain box, ISO's a full box (4 more bytes) — tell them
    // apart by where the `hdlr` child's type lands.
    let peek = bytes::read_at(r, meta.body, 8)?.unwrap_or_default();
    let start = if peek.get(4..8) == Some(b"hdlr") {
        meta.body
    } else {
        meta.body + 4
    };
    let (kids, _) = children(r, start, meta.end)?;
    let keys = match find(&kids, b"keys") {
        Some(k) if k.len() <= ITEM_CAP => parse_keys(&payload(r, k, ITEM_CAP)?),
        _ => Vec::new(),
    };
    let Some(ilst) = find(&kids, b"ilst") else {
        return Ok(());
    };
    let (entries, _) = children(r, ilst.body, ilst.end)?;
    for entry in entries.iter().filter(|e| e.len() <= ITEM_CAP) {
        let index = u32::from_be_bytes(entry.typ) as usize;
        let key = match index.checked_sub(1).and_then(|i| keys.get(i)) {
            Some(k) => k.clone(),
            None => fourcc(&entry.typ),
        };
        if !items.wants(&key) {
            continue;
        }
        let (data, _) = children(r, entry.body, entry.end)?;
        if let Some(data) = find(&data, b"data") {
            let p = payload(r, data, ITEM_CAP)?;
            // data payload: type indicator (4), locale (4), value.
            if let Some(text) = p.get(8..).and_then(bytes::text) {
                items.0.push((key, text));
            }
        }
    }
    Ok(())
}

/// A box type as text: Latin-1, so that `©xyz` (0xA9 'x' 'y' 'z') reads as written.
fn fourcc(typ: &[u8; 4]) -> String {
    typ.iter().map(|&b| char::from(b)).collect()
}

/// The key names of a `keys` box (full box; count; then size, namespace, name).
fn parse_keys(p: &[u8]) -> Vec<String> {
    let count = be_u32(p, 4).unwrap_or(0) as usize;
    let mut keys = Vec::new();
    let mut at = 8;
    while keys.len() < count.min(MAX_CHILDREN) {
        let Some(size) = be_u32(p, at).map(|s| s as usize).filter(|&s| s >= 8) else {
            break;
        };
        let Some(name) = bytes::slice(p, at + 8, size - 8) else {
            break;
        };
        keys.push(String::from_utf8_lossy(name).into_owned());
        at += size;
    }
    keys
}

/// QuickTime user data: `©xyz`, `©mak`, `©mod` as international text (length,
/// language, text), plus any `meta` inside.
fn udta_items<R: Read + Seek>(r: &mut R, udta: &BoxHeader, items: &mut Items) -> io::Result<()> {
    let (kids, _) = children(r, udta.body, udta.end)?;
    for kid in &kids {
        let key = fourcc(&kid.typ);
        if &kid.typ == b"meta" {
            meta_items(r, kid, items)?;
        } else if items.wants(&key) && kid.len() <= ITEM_CAP {
            let p = payload(r, kid, ITEM_CAP)?;
            let len = usize::from(be_u16(&p, 0).unwrap_or(0));
            if let Some(text) = bytes::slice(&p, 4, len).and_then(bytes::text) {
                items.0.push((key, text));
            }
        }
    }
    Ok(())
}

/// Sets creation date, location, make and model from the collected items.
fn apply_items(items: &Items, zone: Offset, md: &mut Metadata) {
    if let Some((local, offset)) = items.get(&CREATION_KEYS).and_then(time::parse_iso8601) {
        md.captured_at =
            CaptureTime::from_local(local, offset.unwrap_or(zone), TimeSource::Container);
    }
    md.gps = items.get(&LOCATION_KEYS).and_then(parse_iso6709);
    md.make = items.get(&MAKE_KEYS).map(str::to_owned);
    md.model = items.get(&MODEL_KEYS).map(str::to_owned);
}

/// Parses an ISO 6709 point such as `+32.0929+034.8620+028.516/`: latitude,
/// longitude, optional altitude; degrees may be written as DD, DDMM or DDMMSS.
fn parse_iso6709(s: &str) -> Option<Gps> {
    // Keep the leading run of numbers; this drops the "/" terminator and a CRS suffix.
    let s = s.trim_start();
    let end = s
        .find(|c: char| !(c.is_ascii_digit() || matches!(c, '+' | '-' | '.')))
        .unwrap_or(s.len());
    let s = &s[..end];
    let starts: Vec<usize> = s.match_indices(['+', '-']).map(|(i, _)| i).collect();
    if starts.first() != Some(&0) || starts.len() < 2 {
        return None;
    }
    let field = |k: usize| {
        let from = *starts.get(k)?;
        s.get(from..starts.get(k + 1).copied().unwrap_or(s.len()))
    };
    let lat = angle(field(0)?, 2)?;
    let lon = angle(field(1)?, 3)?;
    let alt = field(2)
        .and_then(|f| f.parse::<f64>().ok())
        .filter(|a| a.is_finite());
    (lat.abs() <= 90.0 && lon.abs() <= 180.0).then_some(Gps { lat, lon, alt })
}

/// A signed ISO 6709 angle with `deg_digits` integer digits of degrees.
fn angle(f: &str, deg_digits: usize) -> Option<f64> {
    let sign = match f.as_bytes().first()? {
        b'+' => 1.0,
        b'-' => -1.0,
        _ => return None,
    };
    let body = &f[1..];
    let int_len = body.find('.').unwrap_or(body.len());
    let value: f64 = body.parse().ok()?;
    let degrees = match int_len.checked_sub(deg_digits)? {
        0 => value,
        2 => (value / 100.0).trunc() + (value % 100.0) / 60.0,
        4 => {
            (value / 10000.0).trunc()
                + ((value / 100.0).trunc() % 100.0) / 60.0
                + (value % 100.0) / 3600.0
        }
        _ => return None,
    };
    degrees.is_finite().then_some(sign * degrees)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn iso6709_forms() {
        let g = parse_iso6709("+32.0929+034.8620+028.516/").expect("point");
        assert_eq!((g.lat, g.lon, g.alt), (32.0929, 34.862, Some(28.516)));
        let g = parse_iso6709("+51.4169-000.0806/").expect("point");
        assert_eq!((g.lat, g.lon, g.alt), (51.4169, -0.0806, None));
        let g = parse_iso6709("+4030.5-07400.0/").expect("point");
        assert!((g.lat - 40.508_333).abs() < 1e-5 && (g.lon + 74.0).abs() < 1e-9);
        let g = parse_iso6709("+03.25+117.5+10CRSWGS_84/").expect("point");
        assert_eq!(g.alt, Some(10.0));
        for bad in [
            "",
            "+",
            "junk",
            "+99.0+000.0/",
            "+1.0/",
            "+12.0+12345678.0/",
        ] {
            assert!(parse_iso6709(bad).is_none(), "{bad}");
        }
    }

    #[test]
    fn mvhd_versions() {
        let mut v0 = vec![0u8; 20];
        v0[4..8].copy_from_slice(&(QUICKTIME_EPOCH_OFFSET as u32 + 60).to_be_bytes());
        v0[12..16].copy_from_slice(&600u32.to_be_bytes());
        v0[16..20].copy_from_slice(&2401u32.to_be_bytes());
        assert_eq!(mvhd_creation(&v0).map(|t| t.as_second()), Some(60));
        assert_eq!(mvhd_duration_ms(&v0), Some(4001));
        let mut v1 = vec![0u8; 32];
        v1[0] = 1;
        v1[4..12].copy_from_slice(&(QUICKTIME_EPOCH_OFFSET as u64 + 1).to_be_bytes());
        v1[20..24].copy_from_slice(&1000u32.to_be_bytes());
        v1[24..32].copy_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(mvhd_creation(&v1).map(|t| t.as_second()), Some(1));
        assert_eq!(mvhd_duration_ms(&v1), None);
        v1[4..12].copy_from_slice(&u64::MAX.to_be_bytes());
        assert_eq!(mvhd_creation(&v1), None);
    }
}
