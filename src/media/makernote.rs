//! Body serial and lens name from the maker notes of the three families that keep a
//! body serial there in a simple form: Canon (a plain IFD, tag 0x000C), Nikon type 3
//! (an embedded TIFF, tag 0x001D) and Olympus/OM System (Equipment sub-IFD 0x2010,
//! tag 0x0101).
//!
//! Other makers' notes are not parsed: Fujifilm, Panasonic and Pentax only carry an
//! internal (board) serial, which must not be mistaken for the body serial. Everything
//! goes through the bounds-checked `ifd` reader, with at most one level of sub-IFD.

use exif::{Exif, In, Tag, Value};

use super::bytes::Endian;
use super::ifd::Tiff;
use super::tags::clean_serial;

/// What the maker note adds.
#[derive(Debug, Default)]
pub(crate) struct Notes {
    pub(crate) serial: Option<String>,
    pub(crate) lens: Option<String>,
}

pub(crate) fn read(exif: &Exif, make: Option<&str>) -> Notes {
    let Some(field) = exif.get_field(Tag::MakerNote, In::PRIMARY) else {
        return Notes::default();
    };
    let Value::Undefined(note, offset) = &field.value else {
        return Notes::default();
    };
    let is_canon = make.is_some_and(|m| m.to_ascii_lowercase().starts_with("canon"));
    if note.starts_with(b"Nikon\0") {
        nikon(note)
    } else if note.starts_with(b"OLYMPUS\0") || note.starts_with(b"OM SYSTEM\0") {
        olympus(note)
    } else if is_canon {
        canon_in_exif(exif, note, *offset as usize)
    } else {
        Notes::default()
    }
}

/// Canon notes use offsets relative to the EXIF TIFF header. Software that rewrites
/// EXIF may move the note and even change the EXIF byte order; Canon's footer
/// (`II*\0` or `MM\0*` and the note's original offset) then gives both back.
fn canon_in_exif(exif: &Exif, note: &[u8], at: usize) -> Notes {
    let exif_endian = if exif.little_endian() {
        Endian::Little
    } else {
        Endian::Big
    };
    let footer = note
        .len()
        .checked_sub(8)
        .and_then(|i| note.get(i..))
        .filter(|f| matches!(f.get(2..4), Some([0x2a, 0] | [0, 0x2a])));
    let (endian, original) = match footer.and_then(|f| Some((Endian::from_tiff_mark(f)?, f))) {
        Some((endian, f)) => (endian, endian.u32(f, 4).map_or(at, |o| o as usize)),
        None => (plausible_order(note, exif_endian), at),
    };
    // Stored offsets are relative to where the note was; shift them to where it is.
    let shift = (at as isize).wrapping_sub(original as isize);
    canon(Tiff::with_shift(exif.buf(), endian, shift), original)
}

/// Without a footer, trust the EXIF byte order unless the entry count is implausible.
fn plausible_order(note: &[u8], exif_endian: Endian) -> Endian {
    let plausible = |e: Endian| e.u16(note, 0).is_some_and(|n| (1..=512).contains(&n));
    match exif_endian {
        e if plausible(e) => e,
        Endian::Little => Endian::Big,
        Endian::Big => Endian::Little,
    }
}

/// Canon: the note is an IFD; 0x000C is the serial as a LONG, 0x0095 the lens model.
pub(crate) fn canon(tiff: Tiff<'_>, ifd: usize) -> Notes {
    let serial = tiff
        .find(ifd, 0x000c)
        .filter(|e| e.typ == 4)
        .and_then(|e| tiff.uint(&e, 0))
        .and_then(|n| clean_serial(&n.to_string()));
    let lens = tiff.find(ifd, 0x0095).and_then(|e| tiff.text(&e));
    Notes { serial, lens }
}

/// Nikon type 3: "Nikon\0", two version bytes, two reserved, then a TIFF header whose
/// offsets are relative to itself. Type 2 notes (early Coolpix) carry no serial.
fn nikon(note: &[u8]) -> Notes {
    let Some((tiff, ifd0)) = note.get(10..).and_then(Tiff::from_header) else {
        return Notes::default();
    };
    let serial = tiff.find(ifd0, 0x001d).and_then(|e| tiff.text(&e));
    Notes {
        serial: serial.and_then(|s| clean_serial(&s)),
        lens: None,
    }
}

/// Olympus "new" notes: `OLYMPUS\0` + byte order + version, IFD at 12 (or
/// `OM SYSTEM\0\0\0` + order + version, IFD at 16), offsets relative to the note.
fn olympus(note: &[u8]) -> Notes {
    let (order_at, ifd) = if note.starts_with(b"OM SYSTEM") {
        (12, 16)
    } else {
        (8, 12)
    };
    let Some(endian) = note.get(order_at..).and_then(Endian::from_tiff_mark) else {
        return Notes::default();
    };
    let tiff = Tiff::new(note, endian);
    let Some(equipment) = tiff.find(ifd, 0x2010).and_then(|e| tiff.offset_field(&e)) else {
        return Notes::default();
    };
    let text = |tag| tiff.find(equipment, tag).and_then(|e| tiff.text(&e));
    Notes {
        serial: text(0x0101).and_then(|s| clean_serial(&s)),
        lens: text(0x0203),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncated_notes_yield_nothing() {
        for note in [
            &b"Nikon\0\x02\x10\0\0MM"[..],
            b"OLYMPUS\0II\x03\0\x05",
            b"OM SYSTEM\0\0\0",
        ] {
            let n = if note.starts_with(b"Nikon") {
                nikon(note)
            } else {
                olympus(note)
            };
            assert!(n.serial.is_none() && n.lens.is_none());
        }
    }

    #[test]
    fn olympus_equipment_ifd_pointing_at_itself_terminates() {
        // Main IFD at 12 with one entry 0x2010 pointing back at offset 12.
        let mut note = b"OLYMPUS\0II\x03\0".to_vec();
        note.extend_from_slice(&1u16.to_le_bytes());
        note.extend_from_slice(&[0x10, 0x20, 13, 0, 1, 0, 0, 0, 12, 0, 0, 0]);
        note.extend_from_slice(&0u32.to_le_bytes());
        let n = olympus(&note);
        assert!(n.serial.is_none());
    }
}
