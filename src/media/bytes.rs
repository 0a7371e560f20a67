//! Bounds-checked integer reads on byte slices and capped reads from files.
//!
//! Every parser in `media` reads untrusted bytes through these helpers, so that an
//! offset or length taken from a file can at worst produce `None`, never a panic or an
//! allocation larger than the caller's cap.

use std::io::{self, Read, Seek, SeekFrom};

/// Byte order of a TIFF structure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Endian {
    Little,
    Big,
}

impl Endian {
    /// The order named by a TIFF header's first two bytes (`II` or `MM`).
    pub(crate) fn from_tiff_mark(mark: &[u8]) -> Option<Endian> {
        match mark.get(..2)? {
            b"II" => Some(Endian::Little),
            b"MM" => Some(Endian::Big),
            _ => None,
        }
    }

    pub(crate) fn u16(self, buf: &[u8], at: usize) -> Option<u16> {
        let b = array::<2>(buf, at)?;
        Some(match self {
            Endian::Little => u16::from_le_bytes(b),
            Endian::Big => u16::from_be_bytes(b),
        })
    }

    pub(crate) fn u32(self, buf: &[u8], at: usize) -> Option<u32> {
        let b = array::<4>(buf, at)?;
        Some(match self {
            Endian::Little => u32::from_le_bytes(b),
            Endian::Big => u32::from_be_bytes(b),
        })
    }
}

fn array<const N: usize>(buf: &[u8], at: usize) -> Option<[u8; N]> {
    buf.get(at..at.checked_add(N)?)?.try_into().ok()
}

pub(crate) fn be_u16(buf: &[u8], at: usize) -> Option<u16> {
    Endian::Big.u16(buf, at)
}

pub(crate) fn be_u32(buf: &[u8], at: usize) -> Option<u32> {
    Endian::Big.u32(buf, at)
}

pub(crate) fn be_u64(buf: &[u8], at: usize) -> Option<u64> {
    array::<8>(buf, at).map(u64::from_be_bytes)
}

pub(crate) fn le_u16(buf: &[u8], at: usize) -> Option<u16> {
    Endian::Little.u16(buf, at)
}

pub(crate) fn le_u32(buf: &[u8], at: usize) -> Option<u32> {
    Endian::Little.u32(buf, at)
}

/// `buf[at..at + len]`, or `None` when any part lies outside `buf`.
pub(crate) fn slice(buf: &[u8], at: usize, len: usize) -> Option<&[u8]> {
    buf.get(at..at.checked_add(len)?)
}

/// Decodes text written by a camera: lossy UTF-8, cut at the first NUL, trimmed of
/// spaces. Empty results are `None`.
pub(crate) fn text(raw: &[u8]) -> Option<String> {
    let end = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
    let s = String::from_utf8_lossy(&raw[..end]);
    let s = s.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    (!s.is_empty()).then(|| s.to_owned())
}

/// Reads up to `cap` bytes from the current position. The buffer grows with the data
/// actually read, so a short file never causes a `cap`-sized allocation.
pub(crate) fn read_up_to<R: Read>(r: &mut R, cap: u64) -> io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    r.take(cap).read_to_end(&mut buf)?;
    Ok(buf)
}

/// Reads `len` bytes at `offset`, or `None` when fewer are there.
pub(crate) fn read_at<R: Read + Seek>(
    r: &mut R,
    offset: u64,
    len: u64,
) -> io::Result<Option<Vec<u8>>> {
    r.seek(SeekFrom::Start(offset))?;
    let buf = read_up_to(r, len)?;
    Ok((buf.len() as u64 == len).then_some(buf))
}

/// A view of the first `limit` bytes of a seekable reader, so that a library which
/// reads "to the end" (kamadak-exif's container readers) cannot pull in a whole
/// multi-gigabyte file.
pub(crate) struct Prefix<R> {
    inner: R,
    pos: u64,
    limit: u64,
}

impl<R: Read + Seek> Prefix<R> {
    /// `inner` must be positioned at 0.
    pub(crate) fn new(inner: R, limit: u64) -> Prefix<R> {
        Prefix {
            inner,
            pos: 0,
            limit,
        }
    }
}

impl<R: Read + Seek> Read for Prefix<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let left = self.limit.saturating_sub(self.pos);
        let want = usize::try_from(left).unwrap_or(usize::MAX).min(buf.len());
        if want == 0 {
            return Ok(0);
        }
        let n = self.inner.read(&mut buf[..want])?;
        self.pos += n as u64;
        Ok(n)
    }
}

impl<R: Read + Seek> Seek for Prefix<R> {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
            SeekFrom::End(d) => self.limit.checked_add_signed(d),
        }
        .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek out of range"))?;
        self.pos = self.inner.seek(SeekFrom::Start(target))?;
        Ok(self.pos)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[test]
    fn reads_out_of_bounds_are_none() {
        let buf = [1u8, 2, 3];
        assert_eq!(be_u16(&buf, 1), Some(0x0203));
        assert_eq!(be_u16(&buf, 2), None);
        assert_eq!(be_u32(&buf, usize::MAX), None);
        assert_eq!(slice(&buf, 1, usize::MAX), None);
    }

    #[test]
    fn text_is_trimmed_and_cut_at_nul() {
        assert_eq!(text(b"E-P3            \0\0"), Some("E-P3".to_owned()));
        assert_eq!(text(b"  \0junk"), None);
    }

    #[test]
    fn prefix_hides_the_rest() {
        let mut p = Prefix::new(Cursor::new(vec![7u8; 100]), 10);
        let mut all = Vec::new();
        p.read_to_end(&mut all).ok();
        assert_eq!(all.len(), 10);
        assert_eq!(p.seek(SeekFrom::End(-2)).ok(), Some(8));
        assert!(p.seek(SeekFrom::Current(-100)).is_err());
    }
}
