//! JPEG marker-segment walking: the header segments the metadata reader needs (EXIF
//! and XMP APP1, the frame header) and the full-file structure check that finds the
//! end-of-image marker.
//!
//! Both walkers stream through a `BufRead`: memory is bounded by one segment (at most
//! 64 KiB) whatever the file size. Pixel data is never decoded here.

use std::io::{self, BufRead, Read};

const SOI: u8 = 0xd8;
const EOI: u8 = 0xd9;
const SOS: u8 = 0xda;
const APP1: u8 = 0xe1;

const EXIF_ID: &[u8] = b"Exif\0\0";
const XMP_ID: &[u8] = b"http://ns.adobe.com/xap/1.0/\0";

/// Header segments past this many bytes are not read: EXIF and the frame header sit
/// in the first few hundred KiB of every real file.
const HEADER_LIMIT: u64 = 16 << 20;

/// What the header segments of a JPEG hold.
#[derive(Debug, Default)]
pub(crate) struct Header {
    /// The TIFF structure of the first EXIF APP1 (without the `Exif\0\0` id).
    pub(crate) exif: Option<Vec<u8>>,
    /// The packet of the first standard XMP APP1.
    pub(crate) xmp: Option<Vec<u8>>,
    /// Width and height from the first frame header (SOFn).
    pub(crate) size: Option<(u32, u32)>,
    /// Why the header could not be read to the start of the image data.
    pub(crate) broken: Option<String>,
}

/// Whether `head` starts like a JPEG.
pub(crate) fn is_jpeg(head: &[u8]) -> bool {
    head.starts_with(&[0xff, SOI])
}

/// Reads header segments from SOI up to the first start-of-scan.
///
/// Structural problems (a segment running past the end, no image data) are reported
/// in `broken` along with whatever was read before them; only I/O errors fail.
pub(crate) fn read_header<R: BufRead>(r: &mut R) -> io::Result<Header> {
    let mut header = Header::default();
    let mut r = CountingReader { inner: r, read: 0 };
    let mut soi = [0u8; 2];
    if !read_full(&mut r, &mut soi)? || soi != [0xff, SOI] {
        header.broken = Some("not a JPEG file (no start-of-image marker)".into());
        return Ok(header);
    }
    while r.read < HEADER_LIMIT {
        let Some(code) = next_marker(&mut r)? else {
            header.broken = Some("JPEG ends before its image data".into());
            break;
        };
        match code {
            0x01 | 0xd0..=0xd7 => continue,
            EOI | SOI => {
                header.broken = Some("JPEG has no image data".into());
                break;
            }
            SOS => break,
            _ => {}
        }
        let Some(len) = segment_length(&mut r)? else {
            header.broken = Some("JPEG segment has an invalid length or is cut off".into());
            break;
        };
        if wants_payload(code, &header) {
            let payload = bytes_read(&mut r, len)?;
            if payload.len() < len {
                header.broken = Some("JPEG header segment is cut off".into());
                break;
            }
            keep_segment(code, payload, &mut header);
        } else if !skip(&mut r, len as u64)? {
            header.broken = Some("JPEG header segment is cut off".into());
            break;
        }
    }
    Ok(header)
}

fn wants_payload(code: u8, header: &Header) -> bool {
    (code == APP1 && (header.exif.is_none() || header.xmp.is_none()))
        || (is_frame_header(code) && header.size.is_none())
}

fn keep_segment(code: u8, mut payload: Vec<u8>, header: &mut Header) {
    if is_frame_header(code) {
        // SOFn: precision(1) height(2) width(2) ...
        let height = super::bytes::be_u16(&payload, 1);
        let width = super::bytes::be_u16(&payload, 3);
        if let (Some(w), Some(h)) = (width, height) {
            // A zero height means "defined by a later DNL marker": leave it unknown.
            if w > 0 && h > 0 {
                header.size = Some((u32::from(w), u32::from(h)));
            }
        }
    } else if payload.starts_with(EXIF_ID) && header.exif.is_none() {
        payload.drain(..EXIF_ID.len());
        header.exif = Some(payload);
    } else if payload.starts_with(XMP_ID) && header.xmp.is_none() {
        payload.drain(..XMP_ID.len());
        header.xmp = Some(payload);
    }
}

/// SOF0..SOF15, less DHT (C4), JPG (C8) and DAC (CC), which share the range.
fn is_frame_header(code: u8) -> bool {
    matches!(code, 0xc0..=0xcf) && !matches!(code, 0xc4 | 0xc8 | 0xcc)
}

/// Walks the whole file and reports whether the main image ends with an EOI marker.
///
/// Segments are skipped by their length, scan data is searched for the next marker
/// (stuffed `FF 00` and restart markers are part of the scan), so an EOI inside an
/// embedded thumbnail is never mistaken for the end. Bytes after the EOI are ignored:
/// phones append their own trailers.
pub(crate) fn check_structure<R: BufRead>(r: &mut R) -> io::Result<Result<(), String>> {
    let mut soi = [0u8; 2];
    if !read_full(r, &mut soi)? || soi != [0xff, SOI] {
        return Ok(Err("not a JPEG file (no start-of-image marker)".into()));
    }
    let mut seen_scan = false;
    loop {
        let Some(code) = next_marker(r)? else {
            return Ok(Err("JPEG has no end-of-image marker".into()));
        };
        match code {
            EOI if seen_scan => return Ok(Ok(())),
            EOI => return Ok(Err("JPEG ends before its image data".into())),
            SOI => {
                return Ok(Err(
                    "JPEG has a start-of-image marker inside the image".into()
                ))
            }
            0x01 | 0xd0..=0xd7 => continue,
            _ => {}
        }
        let Some(len) = segment_length(r)? else {
            return Ok(Err(
                "JPEG segment has an invalid length or is cut off".into()
            ));
        };
        if !skip(r, len as u64)? {
            return Ok(Err("JPEG segment extends past the end of the file".into()));
        }
        seen_scan |= code == SOS;
    }
}

/// Finds the next marker and returns its code: skips any bytes up to an `FF`, then fill
/// `FF`s; `FF 00` (a stuffed byte in scan data) is not a marker. `None` at end of file.
fn next_marker<R: BufRead>(r: &mut R) -> io::Result<Option<u8>> {
    loop {
        if !skip_to_ff(r)? {
            return Ok(None);
        }
        let code = loop {
            match read_byte(r)? {
                None => return Ok(None),
                Some(0xff) => continue,
                Some(code) => break code,
            }
        };
        if code != 0x00 {
            return Ok(Some(code));
        }
    }
}

/// Consumes bytes up to and including the next `FF`; false at end of file.
fn skip_to_ff<R: BufRead>(r: &mut R) -> io::Result<bool> {
    loop {
        let buf = r.fill_buf()?;
        if buf.is_empty() {
            return Ok(false);
        }
        match buf.iter().position(|&b| b == 0xff) {
            Some(i) => {
                r.consume(i + 1);
                return Ok(true);
            }
            None => {
                let n = buf.len();
                r.consume(n);
            }
        }
    }
}

/// Reads a segment's length field and returns the payload length after it.
fn segment_length<R: Read>(r: &mut R) -> io::Result<Option<usize>> {
    let mut len = [0u8; 2];
    if !read_full(r, &mut len)? {
        return Ok(None);
    }
    Ok(usize::from(u16::from_be_bytes(len)).checked_sub(2))
}

fn read_byte<R: Read>(r: &mut R) -> io::Result<Option<u8>> {
    let mut b = [0u8; 1];
    Ok(read_full(r, &mut b)?.then_some(b[0]))
}

/// `read_exact` that reports a short read as `false` instead of an error.
fn read_full<R: Read>(r: &mut R, buf: &mut [u8]) -> io::Result<bool> {
    match r.read_exact(buf) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    }
}

fn bytes_read<R: Read>(r: &mut R, len: usize) -> io::Result<Vec<u8>> {
    // `len` is at most 65533 (a u16 segment length).
    super::bytes::read_up_to(r, len as u64)
}

/// Skips `n` bytes; false when the file ends first.
fn skip<R: Read>(r: &mut R, n: u64) -> io::Result<bool> {
    Ok(io::copy(&mut r.take(n), &mut io::sink())? == n)
}

/// Counts bytes consumed, to stop header walking at [`HEADER_LIMIT`].
struct CountingReader<R> {
    inner: R,
    read: u64,
}

impl<R: BufRead> Read for CountingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.read += n as u64;
        Ok(n)
    }
}

impl<R: BufRead> BufRead for CountingReader<R> {
    fn fill_buf(&mut self) -> io::Result<&[u8]> {
        self.inner.fill_buf()
    }

    fn consume(&mut self, amt: usize) {
        self.read += amt as u64;
        self.inner.consume(amt);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(bytes: &[u8]) -> Result<(), String> {
        check_structure(&mut &bytes[..]).expect("reading a slice cannot fail")
    }

    /// SOI, an APP1 holding a thumbnail's EOI, SOF0, SOS with stuffed bytes, EOI.
    fn minimal() -> Vec<u8> {
        let mut j = vec![0xff, SOI];
        j.extend_from_slice(&[0xff, APP1, 0, 8, b'x', b'x', 0xff, EOI, 0, 0]);
        j.extend_from_slice(&[0xff, 0xc0, 0, 11, 8, 0, 2, 0, 3, 1, 1, 0x11, 0]);
        j.extend_from_slice(&[0xff, SOS, 0, 8, 1, 1, 0, 0, 63, 0]);
        j.extend_from_slice(&[0x12, 0xff, 0x00, 0x34, 0xff, 0xd0, 0x56]);
        j.extend_from_slice(&[0xff, EOI]);
        j
    }

    #[test]
    fn complete_file_and_trailing_bytes_pass() {
        let mut j = minimal();
        assert_eq!(check(&j), Ok(()));
        j.extend_from_slice(b"SEFT trailer \xff\xd8 junk");
        assert_eq!(check(&j), Ok(()));
    }

    #[test]
    fn every_truncation_fails_without_panic() {
        let j = minimal();
        for cut in 0..j.len() {
            assert!(check(&j[..cut]).is_err(), "cut at {cut}");
            let _ = read_header(&mut &j[..cut]);
        }
    }

    #[test]
    fn header_reads_frame_size_and_stops_at_scan() {
        let j = minimal();
        let h = read_header(&mut &j[..]).expect("slice");
        assert_eq!(h.size, Some((3, 2)));
        assert_eq!(h.broken, None);
    }
}
