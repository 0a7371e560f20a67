//! A bounded walker for ISO base media files (MP4, MOV, 3GP, M4A, HEIF, CR3), and the
//! top-level completeness check. What is read from the boxes lives in `movie` (MP4 and
//! QuickTime metadata) and `still` (HEIF size, CR3 EXIF).
//!
//! Boxes are visited by seeking from header to header; only small leaf boxes are read
//! into memory (each under a cap), so a 4 GB `mdat` costs one header read. Every size
//! is checked against its parent, nesting is fixed by the code (no recursion on file
//! data), and children per box are capped.

use std::io::{self, Read, Seek};

use super::bytes::{self, be_u32, be_u64};
use super::format::Bmff;

mod movie;
mod still;

pub(crate) use movie::read_movie;
pub(crate) use still::{read_cr3, read_heif_size};

/// Children listed per box; real files have tens.
const MAX_CHILDREN: usize = 4096;

/// A box's type and extent in the file.
#[derive(Debug, Clone, Copy)]
struct BoxHeader {
    typ: [u8; 4],
    /// First byte of the payload.
    body: u64,
    /// One past the last byte.
    end: u64,
}

impl BoxHeader {
    fn len(&self) -> u64 {
        self.end - self.body
    }
}

/// Reads the box header at `pos`; the box must end by `parent_end`. `Ok(Err(..))` is
/// a structural problem in words.
fn read_box<R: Read + Seek>(
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
fn children<R: Read + Seek>(
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

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::io::Cursor;

    /// Encodes one box (32-bit size), for building test files.
    pub(crate) fn mp4_box(typ: &[u8; 4], payload: &[u8]) -> Vec<u8> {
        let size = u32::try_from(payload.len() + 8).expect("small box");
        [&size.to_be_bytes()[..], typ, payload].concat()
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
}
