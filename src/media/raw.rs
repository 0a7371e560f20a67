//! TIFF and TIFF-based RAW files (CR2, NEF, ARW, DNG, PEF, SRW, ORF, RW2) and Fujifilm
//! RAF: EXIF from a capped prefix, pixel size from the largest image directory, and the
//! end of the image data for the completeness check.
//!
//! TIFF offsets can point anywhere in a file, but real RAW files keep their directories
//! and EXIF near the start: we read 1 MiB, and 16 MiB only when the first read was cut
//! short. Data beyond that is not read.

use std::fs::File;
use std::io::{self, BufReader, Read, Seek, SeekFrom};

use jiff::tz::Offset;

use super::bytes::{self, Endian};
use super::format::Format;
use super::ifd::{Tiff, MAX_IFDS};
use super::metadata::{self, Metadata};
use super::{jpeg, tags, xmp};

const FIRST_READ: u64 = 1 << 20;
const SECOND_READ: u64 = 16 << 20;

/// TIFF tags of image directories.
const IMAGE_WIDTH: u16 = 0x0100;
const IMAGE_LENGTH: u16 = 0x0101;
const STRIP_OFFSETS: u16 = 0x0111;
const STRIP_BYTE_COUNTS: u16 = 0x0117;
const TILE_OFFSETS: u16 = 0x0144;
const TILE_BYTE_COUNTS: u16 = 0x0145;
const SUB_IFDS: u16 = 0x014a;
const JPEG_OFFSET: u16 = 0x0201;
const JPEG_LENGTH: u16 = 0x0202;
const XMP_PACKET: u16 = 0x02bc;

/// TIFF family: EXIF (with maker notes), the largest image's size, an XMP serial from
/// IFD0, and damage when the image data runs past the end of the file.
pub(crate) fn read_tiff(
    file: &mut File,
    len: u64,
    format: Format,
    zone: Offset,
    md: &mut Metadata,
) -> io::Result<()> {
    let mut parsed = tags::parse(read_prefix(file, FIRST_READ, format)?);
    let cut_short = parsed.as_ref().is_none_or(|(_, partial)| *partial);
    if cut_short && len > FIRST_READ {
        parsed = tags::parse(read_prefix(file, SECOND_READ, format)?);
    }
    // kamadak-exif keeps the bytes it parsed; reuse them for our own directory walks.
    let fallback;
    let buf: &[u8] = match &parsed {
        Some((exif, _)) => {
            tags::apply(exif, zone, md);
            exif.buf()
        }
        None => {
            fallback = read_prefix(file, FIRST_READ, format)?;
            &fallback
        }
    };
    let Some((tiff, ifd0)) = Tiff::from_header(buf) else {
        md.damaged = Some("TIFF header is invalid".into());
        return Ok(());
    };
    if let Some((w, h)) = largest_image(&tiff, ifd0) {
        md.width = Some(w);
        md.height = Some(h);
    }
    if md.serial.is_none() {
        md.serial = tiff
            .find(ifd0, XMP_PACKET)
            .and_then(|e| tiff.value(&e))
            .and_then(xmp::serial)
            .and_then(|s| tags::clean_serial(&s));
    }
    if data_end(buf).is_some_and(|end| end > len) {
        md.damaged = Some(DATA_PAST_END.into());
    }
    Ok(())
}

pub(crate) const DATA_PAST_END: &str = "TIFF image data extends past the end of the file";

/// Reads the first `cap` bytes, giving ORF and RW2 the standard magic number so that
/// kamadak-exif accepts them.
fn read_prefix(file: &mut File, cap: u64, format: Format) -> io::Result<Vec<u8>> {
    file.seek(SeekFrom::Start(0))?;
    let mut buf = bytes::read_up_to(file, cap)?;
    if matches!(format, Format::Orf | Format::Rw2) && buf.len() >= 4 {
        let magic = match Endian::from_tiff_mark(&buf) {
            Some(Endian::Big) => [0, 42],
            _ => [42, 0],
        };
        buf[2..4].copy_from_slice(&magic);
    }
    Ok(buf)
}

/// Calls `visit` for each IFD of the main chain and each of their SubIFDs (one level),
/// at most [`MAX_IFDS`] of each and never the same offset twice.
pub(crate) fn walk_ifds(tiff: &Tiff<'_>, ifd0: usize, mut visit: impl FnMut(usize)) {
    let mut seen = Vec::new();
    let mut next = Some(ifd0);
    for _ in 0..MAX_IFDS {
        let Some(ifd) = next.take() else { break };
        if seen.contains(&ifd) {
            break;
        }
        seen.push(ifd);
        visit(ifd);
        if let Some(subs) = tiff.find(ifd, SUB_IFDS) {
            for sub in tiff.uints(&subs).into_iter().take(MAX_IFDS) {
                let sub = sub as usize;
                if !seen.contains(&sub) {
                    seen.push(sub);
                    visit(sub);
                }
            }
        }
        next = tiff.next_ifd(ifd);
    }
}

/// The largest width x height among the image directories: IFD0 for plain TIFF and
/// CR2, the raw SubIFD for NEF and DNG (whose IFD0 is a thumbnail).
fn largest_image(tiff: &Tiff<'_>, ifd0: usize) -> Option<(u32, u32)> {
    let mut best: Option<(u32, u32)> = None;
    walk_ifds(tiff, ifd0, |ifd| {
        let dim = |tag| tiff.find(ifd, tag).and_then(|e| tiff.uint(&e, 0));
        if let (Some(w), Some(h)) = (dim(IMAGE_WIDTH), dim(IMAGE_LENGTH)) {
            let area = u64::from(w) * u64::from(h);
            if area > 0 && best.is_none_or(|(bw, bh)| area > u64::from(bw) * u64::from(bh)) {
                best = Some((w, h));
            }
        }
    });
    best
}

/// The end of the last byte of image data (strips, tiles, embedded JPEGs) that the
/// directories in `buf` point at, where those tables could be read.
pub(crate) fn data_end(buf: &[u8]) -> Option<u64> {
    let (tiff, ifd0) = Tiff::from_header(buf)?;
    let mut end: Option<u64> = None;
    walk_ifds(&tiff, ifd0, |ifd| {
        for (offsets, counts) in [
            (STRIP_OFFSETS, STRIP_BYTE_COUNTS),
            (TILE_OFFSETS, TILE_BYTE_COUNTS),
            (JPEG_OFFSET, JPEG_LENGTH),
        ] {
            let (Some(o), Some(c)) = (tiff.find(ifd, offsets), tiff.find(ifd, counts)) else {
                continue;
            };
            for (o, c) in tiff.uints(&o).into_iter().zip(tiff.uints(&c)) {
                let e = u64::from(o) + u64::from(c);
                end = Some(end.map_or(e, |m| m.max(e)));
            }
        }
    });
    end
}

/// RAF header: the embedded JPEG (with the EXIF) and the CFA data, as
/// (offset, length) pairs, big-endian at bytes 84 and 100.
pub(crate) struct RafLayout {
    pub(crate) jpeg: (u64, u64),
    pub(crate) cfa: (u64, u64),
}

pub(crate) fn raf_layout<R: Read + Seek>(r: &mut R) -> io::Result<Option<RafLayout>> {
    let Some(head) = bytes::read_at(r, 0, 108)? else {
        return Ok(None);
    };
    let pair = |at| {
        Some((
            u64::from(bytes::be_u32(&head, at)?),
            u64::from(bytes::be_u32(&head, at + 4)?),
        ))
    };
    Ok(pair(84)
        .zip(pair(100))
        .map(|(jpeg, cfa)| RafLayout { jpeg, cfa }))
}

/// RAF: metadata from the embedded JPEG. The pixel size is that JPEG's, which may be
/// smaller than the sensor image.
pub(crate) fn read_raf(
    file: &mut File,
    len: u64,
    zone: Offset,
    md: &mut Metadata,
) -> io::Result<()> {
    let Some(layout) = raf_layout(file)? else {
        md.damaged = Some("RAF header is cut off".into());
        return Ok(());
    };
    let (offset, jpeg_len) = layout.jpeg;
    if offset >= len {
        md.damaged = Some("RAF preview offset is past the end of the file".into());
        return Ok(());
    }
    file.seek(SeekFrom::Start(offset))?;
    let mut r = BufReader::new(file.take(jpeg_len));
    let header = jpeg::read_header(&mut r)?;
    metadata::apply_jpeg_header(header, zone, md);
    if md.damaged.is_none() && layout.cfa.0.saturating_add(layout.cfa.1) > len {
        md.damaged = Some("RAF image data extends past the end of the file".into());
    }
    Ok(())
}
