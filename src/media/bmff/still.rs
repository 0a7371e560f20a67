//! Still images in ISO base media files: the HEIF primary image size (`ispe`) and
//! Canon CR3's EXIF blocks. HEIF EXIF itself is read by kamadak-exif in `metadata`.

use std::io::{self, Read, Seek};

use jiff::tz::Offset;

use super::{children, find, payload};
use crate::media::bytes::be_u32;
use crate::media::ifd::Tiff;
use crate::media::metadata::Metadata;
use crate::media::{makernote, tags};

/// Largest CR3 EXIF block (`CMTn`) read into memory.
const CMT_CAP: u64 = 1 << 20;
/// Canon's CR3 metadata box: `uuid` with this user type.
const CANON_UUID: [u8; 16] = [
    0x85, 0xc0, 0xb6, 0x87, 0x82, 0x0f, 0x11, 0xe0, 0x81, 0x11, 0xf4, 0xce, 0x46, 0x2b, 0x6a, 0x48,
];

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
    use super::super::check_top_level;
    use super::super::tests::mp4_box;
    use super::*;
    use crate::media::format::Bmff;
    use crate::media::metadata::TimeSource;
    use exif::experimental::Writer;
    use exif::{Context, Field, In, Rational, Tag, Value};
    use std::io::Cursor;

    /// A little TIFF whose IFD0 holds `fields` (all given in TIFF context), as CR3's
    /// CMT boxes do.
    fn cmt(fields: &[(u16, Value)]) -> Vec<u8> {
        let fields: Vec<Field> = fields
            .iter()
            .map(|(n, v)| Field {
                tag: Tag(Context::Tiff, *n),
                ifd_num: In::PRIMARY,
                value: v.clone(),
            })
            .collect();
        let mut w = Writer::new();
        fields.iter().for_each(|f| w.push_field(f));
        let mut out = Cursor::new(Vec::new());
        w.write(&mut out, true).expect("valid fields");
        out.into_inner()
    }

    fn ascii(s: &str) -> Value {
        Value::Ascii(vec![s.as_bytes().to_vec()])
    }

    #[test]
    fn cr3_metadata_comes_from_the_canon_uuid_box() {
        let r = |num, denom| Rational { num, denom };
        let cmt1 = cmt(&[
            (0x010f, ascii("Canon")),
            (0x0110, ascii("Canon EOS R6")),
            (0x0112, Value::Short(vec![8])),
            (0x0132, ascii("2026:01:01 00:00:00")),
        ]);
        let cmt2 = cmt(&[
            (0x9003, ascii("2026:11:26 09:15:00")),
            (0x9011, ascii("+08:00")),
            (0xa434, ascii("RF24-105mm F4 L IS USM")),
        ]);
        let cmt3 = cmt(&[(0x000c, Value::Long(vec![123456789]))]);
        let cmt4 = cmt(&[
            (0x0001, ascii("N")),
            (0x0002, Value::Rational(vec![r(2, 1), r(50, 1), r(15, 1)])),
            (0x0003, ascii("E")),
            (0x0004, Value::Rational(vec![r(117, 1), r(21, 1), r(55, 1)])),
        ]);
        let uuid = [
            &CANON_UUID[..],
            &mp4_box(b"CMT1", &cmt1),
            &mp4_box(b"CMT2", &cmt2),
            &mp4_box(b"CMT3", &cmt3),
            &mp4_box(b"CMT4", &cmt4),
        ]
        .concat();
        let file = [
            mp4_box(b"ftyp", b"crx \0\0\0\x01crx isom"),
            mp4_box(b"moov", &mp4_box(b"uuid", &uuid)),
            mp4_box(b"mdat", &[0; 64]),
        ]
        .concat();
        let mut md = Metadata::default();
        let zone = Offset::from_seconds(7 * 3600).expect("offset");
        read_cr3(&mut Cursor::new(&file), file.len() as u64, zone, &mut md).expect("io");
        assert_eq!(md.make.as_deref(), Some("Canon"));
        assert_eq!(md.model.as_deref(), Some("Canon EOS R6"));
        assert_eq!(md.orientation, Some(8));
        assert_eq!(md.serial.as_deref(), Some("123456789"));
        assert_eq!(md.lens.as_deref(), Some("RF24-105mm F4 L IS USM"));
        let t = md.captured_at.expect("time");
        assert_eq!(t.source, TimeSource::ExifWithOffset);
        assert_eq!(t.utc.to_string(), "2026-11-26T01:15:00Z");
        let gps = md.gps.expect("gps");
        assert!((gps.lat - (2.0 + 50.0 / 60.0 + 15.0 / 3600.0)).abs() < 1e-9);
        assert_eq!(md.damaged, None);
        let complete = check_top_level(&mut Cursor::new(&file), file.len() as u64, Bmff::Cr3);
        assert_eq!(complete.ok(), Some(Ok(())));
    }

    #[test]
    fn heif_size_is_the_largest_ispe() {
        let ispe = |w: u32, h: u32| {
            mp4_box(
                b"ispe",
                &[&[0; 4][..], &w.to_be_bytes(), &h.to_be_bytes()].concat(),
            )
        };
        let ipco = mp4_box(
            b"ipco",
            &[ispe(512, 512), ispe(4032, 3024), ispe(320, 240)].concat(),
        );
        let meta = mp4_box(b"meta", &[&[0; 4][..], &mp4_box(b"iprp", &ipco)].concat());
        let file = [mp4_box(b"ftyp", b"heic\0\0\0\0mif1heic"), meta].concat();
        let mut md = Metadata::default();
        read_heif_size(&mut Cursor::new(&file), file.len() as u64, &mut md).expect("io");
        assert_eq!((md.width, md.height), (Some(4032), Some(3024)));
        let verdict = check_top_level(&mut Cursor::new(&file), file.len() as u64, Bmff::Heif);
        assert_eq!(verdict.ok(), Some(Ok(())));
    }
}
