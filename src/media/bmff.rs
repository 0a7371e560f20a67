//! A bounded walker for ISO base media files (MP4, MOV, 3GP, M4A, HEIF, CR3) and what
//! we read from them: `mvhd` time and duration, the video track's `tkhd` size,
//! QuickTime keys and user data (creation date with offset, ISO 6709 location, make,
//! model), HEIF `ispe` sizes and CR3's embedded EXIF.
//!
//! Boxes are visited by seeking from header to header; only small leaf boxes are read
//! into memory (each under a cap), so a 4 GB `mdat` costs one header read. Every size
//! is checked against its parent, nesting is fixed by the code (no recursion on file
//! data), and children per box are capped.

use std::io::{self, Read, Seek};

use jiff::tz::Offset;
use jiff::Timestamp;

use super::bytes::{self, be_u16, be_u32, be_u64};
use super::format::Bmff;
use super::ifd::Tiff;
use super::metadata::{CaptureTime, Gps, Metadata, TimeSource};
use super::{makernote, tags, time};

/// Children listed per box; real files have tens.
const MAX_CHILDREN: usize = 4096;
/// Largest metadata box (`keys`, one `ilst` item, a `udta` entry) read into memory.
const ITEM_CAP: u64 = 64 << 10;
/// Largest CR3 EXIF block (`CMTn`) read into memory.
const CMT_CAP: u64 = 1 << 20;
/// Seconds from 1904-01-01 (QuickTime epoch) to 1970-01-01.
const QUICKTIME_EPOCH_OFFSET: i64 = 2_082_844_800;
/// Canon's CR3 metadata box: `uuid` with this user type.
const CANON_UUID: [u8; 16] = [
    0x85, 0xc0, 0xb6, 0x87, 0x82, 0x0f, 0x11, 0xe0, 0x81, 0x11, 0xf4, 0xce, 0x46, 0x2b, 0x6a, 0x48,
];

/// A box's type and extent in the file.
#[derive(Debug, Clone, Copy)]
pub(crate) struct BoxHeader {
    pub(crate) typ: [u8; 4],
    /// First byte of the payload.
    pub(crate) body: u64,
    /// One past the last byte.
    pub(crate) end: u64,
}

impl BoxHeader {
    fn len(&self) -> u64 {
        self.end - self.body
    }
}

/// Reads the box header at `pos`; the box must end by `parent_end`. `Ok(Err(..))` is
/// a structural problem in words.
pub(crate) fn read_box<R: Read + Seek>(
    r: &mut R,
    pos: u64,
    parent_end: u64,
) -> io::Result<Result<BoxHeader, String>> {
    let avail = parent_end.saturating_sub(pos).min(16);
    let Some(h) = bytes::read_at(r, pos, avail)?.filter(|h| h.len() >= 8) else {
        return Ok(Err("box header is cut off".into()));
    };
    let mut typ = [0u8; 4];
    typ.copy_from_slice(&h[4..8]);
    let name = String::from_utf8_lossy(&typ).into_owned();
    let (header_len, size) = match be_u32(&h, 0) {
        Some(0) => (8, parent_end - pos),
        Some(1) => match be_u64(&h, 8) {
            Some(large) if large >= 16 => (16, large),
            Some(_) => return Ok(Err(format!("'{name}' box has an invalid 64-bit size"))),
            None => return Ok(Err(format!("'{name}' box header is cut off"))),
        },
        Some(n) if n >= 8 => (8, u64::from(n)),
        _ => return Ok(Err(format!("'{name}' box has an invalid size"))),
    };
    match pos.checked_add(size) {
        Some(end) if end <= parent_end => Ok(Ok(BoxHeader {
            typ,
            body: pos + header_len,
            end,
        })),
        _ => Ok(Err(format!(
            "'{name}' box extends past the end of the file"
        ))),
    }
}

/// The boxes in `[start, end)`, and the problem that stopped the walk early, if any.
/// Fewer than 8 trailing bytes are padding (QuickTime ends some lists with a zero
/// word), not an error.
pub(crate) fn children<R: Read + Seek>(
    r: &mut R,
    start: u64,
    end: u64,
) -> io::Result<(Vec<BoxHeader>, Option<String>)> {
    let mut found = Vec::new();
    let mut pos = start;
    while end.saturating_sub(pos) >= 8 && found.len() < MAX_CHILDREN {
        match read_box(r, pos, end)? {
            Ok(h) => {
                pos = h.end;
                found.push(h);
            }
            Err(problem) => return Ok((found, Some(problem))),
        }
    }
    Ok((found, None))
}

fn find<'a>(boxes: &'a [BoxHeader], typ: &[u8; 4]) -> Option<&'a BoxHeader> {
    boxes.iter().find(|b| &b.typ == typ)
}

/// Reads at most `cap` bytes of a box's payload.
fn payload<R: Read + Seek>(r: &mut R, b: &BoxHeader, cap: u64) -> io::Result<Vec<u8>> {
    r.seek(io::SeekFrom::Start(b.body))?;
    bytes::read_up_to(r, b.len().min(cap))
}

/// Checks the top level of a file: every box fits and the metadata box the family
/// needs (`moov`, or `meta` for HEIF) is there.
pub(crate) fn check_top_level<R: Read + Seek>(
    r: &mut R,
    len: u64,
    family: Bmff,
) -> io::Result<Result<(), String>> {
    let (top, problem) = children(r, 0, len)?;
    if let Some(problem) = problem {
        return Ok(Err(problem));
    }
    let needed = if family == Bmff::Heif {
        b"meta"
    } else {
        b"moov"
    };
    if find(&top, needed).is_none() {
        let name = String::from_utf8_lossy(needed);
        return Ok(Err(format!("no '{name}' box (file not finalised?)")));
    }
    Ok(Ok(()))
}

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
pub(crate) fn parse_iso6709(s: &str) -> Option<Gps> {
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

/// HEIF: the largest `ispe` (image spatial extent) in `meta/iprp/ipco` is the primary
/// image (grids list their tiles and thumbnails too, all smaller).
pub(crate) fn read_heif_size<R: Read + Seek>(
    r: &mut R,
    len: u64,
    md: &mut Metadata,
) -> io::Result<()> {
    let (top, problem) = children(r, 0, len)?;
    md.damaged = problem;
    let Some(meta) = find(&top, b"meta") else {
        return Ok(());
    };
    let (meta_kids, _) = children(r, meta.body + 4, meta.end)?;
    let Some(iprp) = find(&meta_kids, b"iprp") else {
        return Ok(());
    };
    let (iprp_kids, _) = children(r, iprp.body, iprp.end)?;
    let Some(ipco) = find(&iprp_kids, b"ipco") else {
        return Ok(());
    };
    let (props, _) = children(r, ipco.body, ipco.end)?;
    let mut best: Option<(u32, u32)> = None;
    for ispe in props.iter().filter(|p| &p.typ == b"ispe") {
        let p = payload(r, ispe, 12)?;
        if let (Some(w), Some(h)) = (be_u32(&p, 4), be_u32(&p, 8)) {
            let area = u64::from(w) * u64::from(h);
            if best.is_none_or(|(bw, bh)| area > u64::from(bw) * u64::from(bh)) {
                best = Some((w, h));
            }
        }
    }
    if let Some((w, h)) = best.filter(|&(w, h)| w > 0 && h > 0) {
        md.width = Some(w);
        md.height = Some(h);
    }
    Ok(())
}

/// Canon CR3: `moov/uuid(Canon)` holds CMT1 (IFD0), CMT2 (EXIF IFD), CMT3 (maker note)
/// and CMT4 (GPS IFD), each a complete little TIFF. Pixel size is not read (it lives in
/// Canon's own track headers).
pub(crate) fn read_cr3<R: Read + Seek>(
    r: &mut R,
    len: u64,
    zone: Offset,
    md: &mut Metadata,
) -> io::Result<()> {
    let (top, problem) = children(r, 0, len)?;
    md.damaged = problem;
    let Some(moov) = find(&top, b"moov") else {
        md.damaged
            .get_or_insert_with(|| "no 'moov' box (file not finalised?)".into());
        return Ok(());
    };
    let (moov_kids, _) = children(r, moov.body, moov.end)?;
    let mut canon = None;
    for uuid in moov_kids.iter().filter(|b| &b.typ == b"uuid") {
        if payload(r, uuid, 16)? == CANON_UUID {
            canon = Some(*uuid);
            break;
        }
    }
    let Some(canon) = canon else {
        return Ok(());
    };
    let (cmts, _) = children(r, canon.body + 16, canon.end)?;
    let mut block = |name: &[u8; 4]| -> io::Result<Option<Vec<u8>>> {
        match find(&cmts, name) {
            Some(b) if b.len() <= CMT_CAP => payload(r, b, CMT_CAP).map(Some),
            _ => Ok(None),
        }
    };
    let (cmt1, cmt2, cmt3, cmt4) = (
        block(b"CMT1")?,
        block(b"CMT2")?,
        block(b"CMT3")?,
        block(b"CMT4")?,
    );
    // CMT2 first: its DateTimeOriginal must win over IFD0's DateTime in CMT1.
    for cmt in [cmt2, cmt1].into_iter().flatten() {
        if let Some((exif, _)) = tags::parse(cmt) {
            tags::apply(&exif, zone, md);
        }
    }
    if let Some((exif, _)) = cmt4.and_then(tags::parse) {
        tags::apply_gps_as_ifd0(&exif, md);
    }
    if let Some((tiff, ifd0)) = cmt3.as_deref().and_then(Tiff::from_header) {
        let notes = makernote::canon(tiff, ifd0);
        md.serial = md.serial.take().or(notes.serial);
        md.lens = md.lens.take().or(notes.lens);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

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
    fn hostile_box_sizes_are_reported_not_followed() {
        // size 1 with a 64-bit size of 9: smaller than its own header.
        let mut f = b"\0\0\0\x01moov".to_vec();
        f.extend_from_slice(&9u64.to_be_bytes());
        let (boxes, problem) = children(&mut Cursor::new(&f), 0, f.len() as u64).expect("io");
        assert!(boxes.is_empty() && problem.is_some());
        // A declared size past the end.
        let f = b"\0\0\x10\0mdat1234".to_vec();
        let (_, problem) = children(&mut Cursor::new(&f), 0, f.len() as u64).expect("io");
        assert!(problem.is_some_and(|p| p.contains("past the end")));
        // Sizes 2..7 cannot hold a header.
        let f = b"\0\0\0\x04free".to_vec();
        let (_, problem) = children(&mut Cursor::new(&f), 0, f.len() as u64).expect("io");
        assert!(problem.is_some());
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
