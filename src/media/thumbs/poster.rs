//! A video's poster frame from `ffmpeg`, run as a child process with a deadline.
//!
//! ffmpeg writes one frame, already rotated by the stream's display matrix and with
//! square pixels, as a binary PPM on stdout: a trivial header and raw RGB, so nothing is
//! encoded twice. Its output is read under `max_alloc`, its address space is capped at
//! four times that, and it is killed past `video_timeout`. No ffmpeg, no poster:
//! [`ThumbError::FfmpegMissing`].

use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use jiff::tz::Offset;

use super::render::Source;
use super::{check_size, render, Derived, Limits, ThumbError};
use crate::media::{read_metadata, Kind};

const FFMPEG: &str = "ffmpeg";
/// The poster is taken this far in (past fade-ins and the shaky first frames), or at
/// 10% of clips shorter than ten times that.
const POSTER_AT: Duration = Duration::from_secs(1);
/// How much of ffmpeg's error output is kept for the message.
const STDERR_CAP: u64 = 4 << 10;

/// Whether `ffmpeg` runs on this machine (looked up in `PATH` once per process).
pub fn ffmpeg_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        Command::new(FFMPEG)
            .arg("-version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Thumbnail and preview (always; browsers show few video codecs as a still) of the
/// poster frame.
pub(super) fn derive(path: &Path, limits: &Limits) -> Result<Derived, ThumbError> {
    // Open first so that a missing or unreadable file reads as I/O, not as ffmpeg's.
    File::open(path).map_err(|source| ThumbError::Io {
        path: path.to_owned(),
        source,
    })?;
    if !ffmpeg_available() {
        return Err(ThumbError::FfmpegMissing);
    }
    let at = poster_time(path);
    let ppm = match frame_at(path, at, limits)? {
        Some(ppm) => ppm,
        // Shorter than we thought (or no duration known): the first frame then.
        None if !at.is_zero() => frame_at(path, Duration::ZERO, limits)?
            .ok_or_else(|| ThumbError::Ffmpeg("the video has no decodable frame".into()))?,
        None => {
            return Err(ThumbError::Ffmpeg(
                "the video has no decodable frame".into(),
            ))
        }
    };
    let (width, height, rgb) = parse_ppm(ppm)?;
    check_size(width, height, 0, limits)?;
    let source = Source {
        rgb,
        width,
        height,
        full_width: width,
        full_height: height,
        reduced: false,
        preview: true,
    };
    // ffmpeg has already applied the rotation.
    render::derive(source, 1)
}

/// [`POSTER_AT`], or 10% into a clip shorter than ten times that.
fn poster_time(path: &Path) -> Duration {
    let duration = read_metadata(path, Kind::Video, Offset::UTC).duration_ms;
    match duration {
        Some(ms) => POSTER_AT.min(Duration::from_millis(ms / 10)),
        None => POSTER_AT,
    }
}

/// Runs ffmpeg for one frame at `at`. `Ok(None)` when it succeeded but wrote nothing
/// (the seek went past the end).
fn frame_at(path: &Path, at: Duration, limits: &Limits) -> Result<Option<Vec<u8>>, ThumbError> {
    let mut command = Command::new(FFMPEG);
    limit_address_space(&mut command, limits.max_alloc.saturating_mul(4));
    let mut child = command
        .args(["-nostdin", "-hide_banner", "-loglevel", "error", "-ss"])
        .arg(format!("{:.3}", at.as_secs_f64()))
        .arg("-i")
        .arg(path)
        .args(["-map", "0:v:0", "-frames:v", "1", "-an", "-sn", "-dn"])
        .args(["-vf", "scale=iw*sar:ih,setsar=1"])
        .args(["-f", "image2pipe", "-c:v", "ppm", "-pix_fmt", "rgb24", "-"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| ThumbError::Ffmpeg(format!("cannot start ffmpeg: {e}")))?;
    // Both pipes are drained on their own threads so ffmpeg never blocks on a full pipe
    // while we wait for it; stdout stops at the cap and closes, which ends ffmpeg.
    let cap = limits.max_alloc.saturating_add(1);
    let out = child.stdout.take().map(|r| read_capped(r, cap));
    let err = child.stderr.take().map(|r| read_capped(r, STDERR_CAP));
    let status = wait_until(&mut child, limits.video_timeout);
    let stdout = out.and_then(|t| t.join().ok()).unwrap_or_default();
    let stderr = err.and_then(|t| t.join().ok()).unwrap_or_default();
    let Some(status) = status else {
        return Err(ThumbError::Ffmpeg(format!(
            "timed out after {} s",
            limits.video_timeout.as_secs()
        )));
    };
    if stdout.len() as u64 >= cap {
        return Err(ThumbError::TooLarge {
            width: 0,
            height: 0,
            reason: format!(
                "the video frame is over the {} MiB limit",
                limits.max_alloc >> 20
            ),
        });
    }
    if !status.success() {
        let message = String::from_utf8_lossy(&stderr);
        let message = message.lines().last().unwrap_or("no message").trim();
        return Err(ThumbError::Ffmpeg(message.to_owned()));
    }
    Ok((!stdout.is_empty()).then_some(stdout))
}

/// Caps the child's address space: a hostile file must not make ffmpeg take the
/// machine's memory either. Four times `max_alloc` (2 GiB by default) leaves room for
/// ffmpeg's reference frames and thread arenas on 4K video.
fn limit_address_space(command: &mut Command, bytes: u64) {
    use std::os::unix::process::CommandExt;
    let limit = libc::rlimit {
        rlim_cur: bytes as libc::rlim_t,
        rlim_max: bytes as libc::rlim_t,
    };
    // SAFETY: runs in the forked child before exec; setrlimit is async-signal-safe and
    // touches only the child's own limits.
    unsafe {
        command.pre_exec(move || {
            if libc::setrlimit(libc::RLIMIT_AS, &limit) == 0 {
                Ok(())
            } else {
                Err(std::io::Error::last_os_error())
            }
        });
    }
}

fn read_capped<R: Read + Send + 'static>(r: R, cap: u64) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        // A read error just ends the output; ffmpeg's exit status tells what happened.
        let _ = r.take(cap).read_to_end(&mut buf);
        buf
    })
}

/// Waits for the child up to `timeout`, then kills it; `None` when it was killed.
fn wait_until(child: &mut Child, timeout: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(10)),
            _ => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

/// Parses a binary PPM (`P6 W H 255` + RGB), as ffmpeg writes it.
fn parse_ppm(mut ppm: Vec<u8>) -> Result<(u32, u32, Vec<u8>), ThumbError> {
    let bad = || ThumbError::Ffmpeg("ffmpeg wrote an unreadable frame".into());
    let mut fields = Vec::with_capacity(4);
    let mut pos = 0;
    while fields.len() < 4 {
        while ppm.get(pos).is_some_and(u8::is_ascii_whitespace) {
            pos += 1;
        }
        let start = pos;
        while ppm.get(pos).is_some_and(|b| !b.is_ascii_whitespace()) {
            pos += 1;
        }
        let field = ppm
            .get(start..pos)
            .filter(|f| !f.is_empty())
            .ok_or_else(bad)?;
        fields.push(String::from_utf8_lossy(field).into_owned());
    }
    // Exactly one whitespace byte separates the header from the pixels.
    pos += 1;
    let number = |s: &str| s.parse::<u32>().map_err(|_| bad());
    if fields[0] != "P6" || number(&fields[3])? != 255 {
        return Err(bad());
    }
    let (w, h) = (number(&fields[1])?, number(&fields[2])?);
    let len = w as usize * h as usize * 3;
    if w == 0 || h == 0 || ppm.len() < pos + len {
        return Err(bad());
    }
    ppm.drain(..pos);
    ppm.truncate(len);
    Ok((w, h, ppm))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ppm_header_is_parsed_and_checked() {
        let mut ppm = b"P6\n2 1\n255\n".to_vec();
        ppm.extend_from_slice(&[1, 2, 3, 4, 5, 6]);
        assert_eq!(parse_ppm(ppm).ok(), Some((2, 1, vec![1, 2, 3, 4, 5, 6])));
        assert!(parse_ppm(b"P6\n2 1\n255\n\x01".to_vec()).is_err());
        assert!(parse_ppm(b"P5\n1 1\n255\n\x01".to_vec()).is_err());
        assert!(parse_ppm(Vec::new()).is_err());
    }
}
