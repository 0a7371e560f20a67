//! A small TIFF IFD reader over a byte slice, for the structures kamadak-exif does not
//! walk: maker notes (Canon, Nikon, Olympus), SubIFDs of RAW files, and the image-data
//! extents used by the completeness check.
//!
//! Offsets inside an IFD are relative to the start of the slice given to [`Tiff`];
//! callers pick that base (the TIFF header, or the maker note itself for Olympus and
//! Nikon). Every offset is checked against the slice, so hostile values yield `None`.

use super::bytes::{self, Endian};

/// The most IFDs followed in one chain, and SubIFDs taken from one IFD: real files
/// have a handful; the cap stops loops and fan-out in hostile ones.
pub(crate) const MAX_IFDS: usize = 16;

/// One 12-byte directory entry.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub(crate) tag: u16,
    pub(crate) typ: u16,
    pub(crate) count: u32,
    /// Where the 4-byte value/offset field sits in the slice.
    field_at: usize,
}

/// A TIFF-structured byte slice.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tiff<'a> {
    pub(crate) data: &'a [u8],
    pub(crate) endian: Endian,
    /// Added to every offset read from the file to find the byte in `data`.
    shift: isize,
}

impl<'a> Tiff<'a> {
    pub(crate) fn new(data: &'a [u8], endian: Endian) -> Tiff<'a> {
        Tiff::with_shift(data, endian, 0)
    }

    /// A view whose stored offsets are `shift` bytes off from positions in `data`.
    pub(crate) fn with_shift(data: &'a [u8], endian: Endian, shift: isize) -> Tiff<'a> {
        Tiff {
            data,
            endian,
            shift,
        }
    }

    /// The position in `data` of a stored offset.
    fn at(&self, offset: usize) -> Option<usize> {
        offset.checked_add_signed(self.shift)
    }

    /// Reads a TIFF header at the start of `data` (`II`/`MM`; the magic number is not
    /// checked because ORF and RW2 use their own) and returns the IFD0 offset.
    pub(crate) fn from_header(data: &'a [u8]) -> Option<(Tiff<'a>, usize)> {
        let endian = Endian::from_tiff_mark(data)?;
        let ifd0 = endian.u32(data, 4)?;
        Some((Tiff::new(data, endian), usize::try_from(ifd0).ok()?))
    }

    /// The entries of the IFD at `offset`, or `None` when its table does not fit.
    pub(crate) fn entries(&self, offset: usize) -> Option<Vec<Entry>> {
        let offset = self.at(offset)?;
        let count = usize::from(self.endian.u16(self.data, offset)?);
        let table = offset.checked_add(2)?;
        bytes::slice(self.data, table, count.checked_mul(12)?)?;
        let entries = (0..count)
            .filter_map(|i| {
                let at = table + i * 12;
                Some(Entry {
                    tag: self.endian.u16(self.data, at)?,
                    typ: self.endian.u16(self.data, at + 2)?,
                    count: self.endian.u32(self.data, at + 4)?,
                    field_at: at + 8,
                })
            })
            .collect();
        Some(entries)
    }

    /// The offset of the IFD chained after the one at `offset`; `None` at the end.
    pub(crate) fn next_ifd(&self, offset: usize) -> Option<usize> {
        let offset = self.at(offset)?;
        let count = usize::from(self.endian.u16(self.data, offset)?);
        let next = self
            .endian
            .u32(self.data, offset.checked_add(2 + count * 12)?)?;
        (next != 0).then(|| usize::try_from(next).ok()).flatten()
    }

    /// Finds `tag` in the IFD at `offset`.
    pub(crate) fn find(&self, offset: usize, tag: u16) -> Option<Entry> {
        self.entries(offset)?.into_iter().find(|e| e.tag == tag)
    }

    /// The value bytes of an entry: inline when they fit in four bytes, else at the
    /// offset the entry names.
    pub(crate) fn value(&self, e: &Entry) -> Option<&'a [u8]> {
        let len = type_size(e.typ)?.checked_mul(usize::try_from(e.count).ok()?)?;
        if len <= 4 {
            return bytes::slice(self.data, e.field_at, len);
        }
        let at = usize::try_from(self.endian.u32(self.data, e.field_at)?).ok()?;
        bytes::slice(self.data, self.at(at)?, len)
    }

    /// The raw 4-byte value/offset field, read as an offset (for sub-IFD pointers).
    pub(crate) fn offset_field(&self, e: &Entry) -> Option<usize> {
        usize::try_from(self.endian.u32(self.data, e.field_at)?).ok()
    }

    /// An ASCII (or byte/undefined) value as trimmed text.
    pub(crate) fn text(&self, e: &Entry) -> Option<String> {
        match e.typ {
            1 | 2 | 7 => bytes::text(self.value(e)?),
            _ => None,
        }
    }

    /// The `index`-th value of a BYTE, SHORT, LONG or IFD entry.
    pub(crate) fn uint(&self, e: &Entry, index: usize) -> Option<u32> {
        let v = self.value(e)?;
        match e.typ {
            1 => v.get(index).copied().map(u32::from),
            3 => self.endian.u16(v, index.checked_mul(2)?).map(u32::from),
            4 | 13 => self.endian.u32(v, index.checked_mul(4)?),
            _ => None,
        }
    }

    /// All values of a SHORT/LONG entry (the value bytes are already inside the
    /// slice, so the count is bounded by its length).
    pub(crate) fn uints(&self, e: &Entry) -> Vec<u32> {
        let n = usize::try_from(e.count).unwrap_or(0);
        (0..n).map_while(|i| self.uint(e, i)).collect()
    }
}

fn type_size(typ: u16) -> Option<usize> {
    match typ {
        1 | 2 | 6 | 7 => Some(1),
        3 | 8 => Some(2),
        4 | 9 | 11 | 13 => Some(4),
        5 | 10 | 12 | 16..=18 => Some(8),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A little-endian TIFF with one IFD: Make (ASCII, out of line) and a SHORT.
    fn sample() -> Vec<u8> {
        let mut t = b"II*\0\x08\0\0\0".to_vec();
        t.extend_from_slice(&2u16.to_le_bytes());
        t.extend_from_slice(&[0x0f, 0x01, 2, 0, 6, 0, 0, 0, 38, 0, 0, 0]);
        t.extend_from_slice(&[0x12, 0x01, 3, 0, 1, 0, 0, 0, 8, 0, 0, 0]);
        t.extend_from_slice(&0u32.to_le_bytes());
        t.extend_from_slice(b"Canon\0");
        t
    }

    #[test]
    fn reads_inline_and_offset_values() {
        let data = sample();
        let (tiff, ifd0) = Tiff::from_header(&data).expect("header");
        let make = tiff.find(ifd0, 0x010f).and_then(|e| tiff.text(&e));
        assert_eq!(make.as_deref(), Some("Canon"));
        let orientation = tiff.find(ifd0, 0x0112).and_then(|e| tiff.uint(&e, 0));
        assert_eq!(orientation, Some(8));
        assert_eq!(tiff.next_ifd(ifd0), None);
    }

    #[test]
    fn hostile_counts_and_offsets_are_none() {
        let mut data = sample();
        data[8] = 0xff; // entry count far past the end
        let (tiff, ifd0) = Tiff::from_header(&data).expect("header");
        assert!(tiff.entries(ifd0).is_none());
        let mut data = sample();
        data[18] = 0xff; // Make's count past the end
        let (tiff, ifd0) = Tiff::from_header(&data).expect("header");
        assert!(tiff
            .find(ifd0, 0x010f)
            .and_then(|e| tiff.text(&e))
            .is_none());
    }
}
