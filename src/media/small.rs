//! Formats whose few useful facts sit in a fixed header: PNG and WebP pixel size, WAV,
//! AVI and FLAC duration (and AVI's frame size), plus the PNG chunk walk that finds
//! IEND. EXIF in PNG and WebP is read by kamadak-exif through `metadata`.

use std::io::{self, Read, Seek};

use super::bytes::{self, be_u32, le_u16, le_u32};
use super::metadata::Metadata;

/// RIFF chunks visited in a WAV file before giving up on finding `data`.
const MAX_CHUNKS: usize = 1024;

fn set_size(md: &mut Metadata, w: u32, h: u32) {
    if w > 0 && h > 0 {
        md.width = Some(w);
        md.height = Some(h);
    }
}

/// PNG: width and height from IHDR, which must be the first chunk.
pub(crate) fn read_png_size(head: &[u8], md: &mut Metadata) {
    if head.get(12..16) == Some(b"IHDR") {
        if let (Some(w), Some(h)) = (be_u32(head, 16), be_u32(head, 20)) {
            set_size(md, w, h);
        }
    }
}

/// PNG chunks walked before giving up (a real PNG has at most a few thousand IDATs).
const MAX_PNG_CHUNKS: usize = 1 << 20;

/// PNG: walks chunks by length until IEND.
pub(crate) fn check_png<R: Read + Seek>(file: &mut R, len: u64) -> io::Result<Result<(), String>> {
    let mut pos = 8u64;
    for _ in 0..MAX_PNG_CHUNKS {
        let Some(h) = bytes::read_at(file, pos, 8)? else {
            return Ok(Err("PNG has no IEND chunk".into()));
        };
        let data_len = u64::from(bytes::be_u32(&h, 0).unwrap_or(0));
        // length, type, data, CRC
        let end = pos + 12 + data_len;
        if end > len {
            return Ok(Err("PNG chunk extends past the end of the file".into()));
        }
        if h.get(4..8) == Some(b"IEND") {
            return Ok(Ok(()));
        }
        pos = end;
    }
    Ok(Err("PNG has too many chunks".into()))
}

/// WebP: canvas size from VP8X, or the frame size of a simple VP8/VP8L file.
pub(crate) fn read_webp_size<R: Read + Seek>(r: &mut R, md: &mut Metadata) -> io::Result<()> {
    r.seek(io::SeekFrom::Start(0))?;
    let head = bytes::read_up_to(r, 64)?;
    let p = head.get(20..).unwrap_or_default();
    let size = match head.get(12..16) {
        Some(b"VP8X") => {
            let u24 = |at: usize| {
                Some(u32::from_le_bytes([*p.get(at)?, *p.get(at + 1)?, *p.get(at + 2)?, 0]) + 1)
            };
            u24(4).zip(u24(7))
        }
        Some(b"VP8 ") if p.get(3..6) == Some(&[0x9d, 0x01, 0x2a]) => le_u16(p, 6)
            .zip(le_u16(p, 8))
            .map(|(w, h)| (u32::from(w & 0x3fff), u32::from(h & 0x3fff))),
        Some(b"VP8L") if p.first() == Some(&0x2f) => {
            le_u32(p, 1).map(|bits| ((bits & 0x3fff) + 1, ((bits >> 14) & 0x3fff) + 1))
        }
        _ => None,
    };
    if let Some((w, h)) = size {
        set_size(md, w, h);
    }
    Ok(())
}

/// WAV: duration from the `fmt ` byte rate and the `data` chunk size.
pub(crate) fn read_wav<R: Read + Seek>(r: &mut R, len: u64, md: &mut Metadata) -> io::Result<()> {
    let mut pos = 12;
    let mut byte_rate = None;
    for _ in 0..MAX_CHUNKS {
        let Some(h) = bytes::read_at(r, pos, 8)? else {
            break;
        };
        let size = u64::from(le_u32(&h, 4).unwrap_or(0));
        let body = pos + 8;
        match h.get(..4) {
            Some(b"fmt ") => byte_rate = bytes::read_at(r, body, 12)?.and_then(|f| le_u32(&f, 8)),
            Some(b"data") => {
                // Streamed WAVs leave the size at 0 or all ones: use what is there.
                let size = if size == 0 || size == u64::from(u32::MAX) {
                    len.saturating_sub(body)
                } else {
                    size
                };
                let data = size.min(len.saturating_sub(body));
                md.duration_ms = byte_rate
                    .filter(|&b| b > 0)
                    .map(|b| data * 1000 / u64::from(b));
                break;
            }
            _ => {}
        }
        // Chunks are padded to an even length.
        pos = body + size + (size & 1);
    }
    Ok(())
}

/// AVI: frame count times frame period, and the frame size, from `hdrl/avih`.
pub(crate) fn read_avi<R: Read + Seek>(r: &mut R, md: &mut Metadata) -> io::Result<()> {
    let Some(h) = bytes::read_at(r, 0, 72)? else {
        return Ok(());
    };
    if h.get(12..16) != Some(b"LIST") || h.get(20..28) != Some(b"hdrlavih") {
        return Ok(());
    }
    let field = |i: usize| le_u32(&h, 32 + 4 * i);
    if let (Some(period_us), Some(frames)) = (field(0), field(4)) {
        md.duration_ms = Some(u64::from(period_us) * u64::from(frames) / 1000).filter(|&d| d > 0);
    }
    if let (Some(w), Some(hh)) = (field(8), field(9)) {
        set_size(md, w, hh);
    }
    Ok(())
}

/// FLAC: duration from STREAMINFO (sample rate, 20 bits; total samples, 36 bits).
pub(crate) fn read_flac<R: Read + Seek>(r: &mut R, md: &mut Metadata) -> io::Result<()> {
    let Some(head) = bytes::read_at(r, 0, 26)? else {
        return Ok(());
    };
    // "fLaC", then the first block header (type 0 = STREAMINFO) and its first 18 bytes.
    let Some(info) = head.get(8..).and_then(|s| <[u8; 18]>::try_from(s).ok()) else {
        return Ok(());
    };
    if head.get(4).is_none_or(|t| t & 0x7f != 0) {
        return Ok(());
    }
    let rate =
        (u32::from(info[10]) << 12) | (u32::from(info[11]) << 4) | (u32::from(info[12]) >> 4);
    let samples = (u64::from(info[13] & 0x0f) << 32) | u64::from(be_u32(&info, 14).unwrap_or(0));
    if rate > 0 && samples > 0 {
        md.duration_ms = Some(samples * 1000 / u64::from(rate));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use image::ImageEncoder;
    use std::io::Cursor;

    #[test]
    fn wav_duration() {
        let mut w = b"RIFF\0\0\0\0WAVEfmt \x10\0\0\0".to_vec();
        w.extend_from_slice(&[1, 0, 1, 0]); // PCM mono
        w.extend_from_slice(&8000u32.to_le_bytes());
        w.extend_from_slice(&16000u32.to_le_bytes()); // byte rate
        w.extend_from_slice(&[2, 0, 16, 0]);
        w.extend_from_slice(b"data");
        w.extend_from_slice(&8000u32.to_le_bytes());
        w.extend(std::iter::repeat_n(0u8, 8000));
        let mut md = Metadata::default();
        read_wav(&mut Cursor::new(&w), w.len() as u64, &mut md).expect("io");
        assert_eq!(md.duration_ms, Some(500));
    }

    #[test]
    fn png_needs_its_iend_chunk() {
        let mut png = Vec::new();
        image::codecs::png::PngEncoder::new(&mut png)
            .write_image(&[0u8; 12], 2, 2, image::ExtendedColorType::Rgb8)
            .expect("encode");
        let len = png.len() as u64;
        assert_eq!(check_png(&mut Cursor::new(&png), len).ok(), Some(Ok(())));
        let mut md = Metadata::default();
        read_png_size(&png, &mut md);
        assert_eq!((md.width, md.height), (Some(2), Some(2)));
        for cut in [9, png.len() - 12, png.len() - 1] {
            let part = &png[..cut];
            let verdict = check_png(&mut Cursor::new(part), part.len() as u64).expect("io");
            assert!(verdict.is_err(), "cut at {cut}");
        }
    }

    #[test]
    fn webp_canvas_size() {
        let mut w = b"RIFF\x16\0\0\0WEBPVP8X\x0a\0\0\0\x08\0\0\0".to_vec();
        w.extend_from_slice(&[0x7f, 0x07, 0x00, 0x37, 0x04, 0x00]); // 1920 x 1080, minus one
        let mut md = Metadata::default();
        read_webp_size(&mut Cursor::new(&w), &mut md).expect("io");
        assert_eq!((md.width, md.height), (Some(1920), Some(1080)));
    }

    #[test]
    fn flac_duration() {
        let mut f = b"fLaC\x80\0\0\x22".to_vec();
        let mut info = [0u8; 34];
        // 44100 Hz = 0xAC44 in 20 bits, then 2 channels / 16 bits, then 88200 samples.
        info[10] = 0x0a;
        info[11] = 0xc4;
        info[12] = 0x42;
        info[14..18].copy_from_slice(&88200u32.to_be_bytes());
        f.extend_from_slice(&info);
        let mut md = Metadata::default();
        read_flac(&mut Cursor::new(&f), &mut md).expect("io");
        assert_eq!(md.duration_ms, Some(2000));
    }
}
