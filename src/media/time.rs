//! Parsing of the date-time strings that cameras write: EXIF `YYYY:MM:DD HH:MM:SS`
//! with its separate sub-second and offset tags, and the ISO 8601 strings of
//! QuickTime metadata. Obviously bogus values (all zeros, blanks, impossible dates)
//! parse as `None` rather than as a wrong instant.

use jiff::civil::DateTime;
use jiff::tz::Offset;

/// Years before this are not camera clocks but unset or corrupt fields.
const EARLIEST_YEAR: i16 = 1900;

/// Parses an EXIF date-time, tolerating `-` or `/` in the date and `T` as the
/// separator, and ignoring anything after the seconds.
pub(crate) fn parse_exif_datetime(raw: &[u8]) -> Option<DateTime> {
    let s = std::str::from_utf8(raw)
        .ok()?
        .trim_matches(|c: char| c == '\0' || c.is_whitespace());
    let b = s.as_bytes();
    if b.len() < 19 || !matches!(b[10], b' ' | b'T') {
        return None;
    }
    let date_sep_ok = [4, 7].iter().all(|&i| matches!(b[i], b':' | b'-' | b'/'));
    let time_sep_ok = [13, 16].iter().all(|&i| b[i] == b':');
    if !date_sep_ok || !time_sep_ok {
        return None;
    }
    let year = i16::try_from(digits(&b[0..4])?).ok()?;
    if year < EARLIEST_YEAR {
        return None;
    }
    DateTime::new(
        year,
        i8::try_from(digits(&b[5..7])?).ok()?,
        i8::try_from(digits(&b[8..10])?).ok()?,
        i8::try_from(digits(&b[11..13])?).ok()?,
        i8::try_from(digits(&b[14..16])?).ok()?,
        i8::try_from(digits(&b[17..19])?).ok()?,
        0,
    )
    .ok()
}

/// Parses EXIF SubSecTime (decimal digits of a fraction: "03" is 30 ms) as
/// nanoseconds. Digits past the ninth are dropped.
pub(crate) fn parse_subsec(raw: &[u8]) -> Option<i32> {
    let s = std::str::from_utf8(raw)
        .ok()?
        .trim_matches(|c: char| c == '\0' || c.is_whitespace());
    let digits: String = s.chars().take_while(char::is_ascii_digit).take(9).collect();
    if digits.is_empty() {
        return None;
    }
    let padded = format!("{digits:0<9}");
    padded.parse().ok()
}

/// Parses an EXIF OffsetTime* value (`+07:00`, `-05:30`; also `+0700` and `Z`).
pub(crate) fn parse_offset(raw: &[u8]) -> Option<Offset> {
    let s = std::str::from_utf8(raw)
        .ok()?
        .trim_matches(|c: char| c == '\0' || c.is_whitespace());
    if s == "Z" {
        return Some(Offset::UTC);
    }
    let (sign, rest) = match s.as_bytes().first()? {
        b'+' => (1, &s[1..]),
        b'-' => (-1, &s[1..]),
        _ => return None,
    };
    let rest = rest.as_bytes();
    let (h, m) = match rest.len() {
        5 if rest[2] == b':' => (digits(&rest[0..2])?, digits(&rest[3..5])?),
        4 => (digits(&rest[0..2])?, digits(&rest[2..4])?),
        2 => (digits(rest)?, 0),
        _ => return None,
    };
    if h > 18 || m > 59 {
        return None;
    }
    let seconds = i32::try_from(h * 3600 + m * 60).ok()? * sign;
    Offset::from_seconds(seconds).ok()
}

/// Parses an ISO 8601 date-time as QuickTime writes it
/// (`2019-07-24T11:25:40+0300`, optional fraction, `Z` or no offset).
pub(crate) fn parse_iso8601(s: &str) -> Option<(DateTime, Option<Offset>)> {
    let s = s.trim_matches(|c: char| c == '\0' || c.is_whitespace());
    let dt = parse_exif_datetime(s.get(..19)?.as_bytes())?;
    let mut rest = &s[19..];
    let mut nanos = 0;
    if let Some(frac) = rest.strip_prefix('.') {
        let n = frac.bytes().take_while(u8::is_ascii_digit).count();
        nanos = parse_subsec(&frac.as_bytes()[..n])?;
        rest = &frac[n..];
    }
    let offset = if rest.is_empty() {
        None
    } else {
        Some(parse_offset(rest.as_bytes())?)
    };
    let dt = dt.with().subsec_nanosecond(nanos).build().ok()?;
    Some((dt, offset))
}

fn digits(b: &[u8]) -> Option<u32> {
    if b.is_empty() || !b.iter().all(u8::is_ascii_digit) {
        return None;
    }
    std::str::from_utf8(b).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exif_datetimes() {
        let dt = parse_exif_datetime(b"2008:04:15 13:11:23").expect("valid");
        assert_eq!(dt.to_string(), "2008-04-15T13:11:23");
        assert!(parse_exif_datetime(b"2008-04-15T13:11:23").is_some());
        assert!(parse_exif_datetime(b"0000:00:00 00:00:00").is_none());
        assert!(parse_exif_datetime(b"    :  :     :  :  ").is_none());
        assert!(parse_exif_datetime(b"").is_none());
        assert!(parse_exif_datetime(b"2008:02:30 13:11:23").is_none());
        assert!(parse_exif_datetime(b"2008:04:15 25:11:23").is_none());
        assert!(parse_exif_datetime("2008:04:15 13:11:2\u{e9}".as_bytes()).is_none());
    }

    #[test]
    fn subseconds_are_fractions() {
        assert_eq!(parse_subsec(b"03"), Some(30_000_000));
        assert_eq!(parse_subsec(b"133"), Some(133_000_000));
        assert_eq!(parse_subsec(b"0532"), Some(53_200_000));
        assert_eq!(parse_subsec(b"12345678901"), Some(123_456_789));
        assert_eq!(parse_subsec(b"  "), None);
    }

    #[test]
    fn offsets() {
        assert_eq!(parse_offset(b"+07:00").map(|o| o.seconds()), Some(7 * 3600));
        assert_eq!(
            parse_offset(b"-05:30").map(|o| o.seconds()),
            Some(-(5 * 3600 + 1800))
        );
        assert_eq!(parse_offset(b"+0300").map(|o| o.seconds()), Some(3 * 3600));
        assert_eq!(parse_offset(b"   :  "), None);
        assert_eq!(parse_offset(b"+99:00"), None);
    }

    #[test]
    fn quicktime_iso8601() {
        let (dt, off) = parse_iso8601("2019-07-24T11:25:40+0300").expect("valid");
        assert_eq!(dt.to_string(), "2019-07-24T11:25:40");
        assert_eq!(off.map(|o| o.seconds()), Some(3 * 3600));
        let (dt, off) = parse_iso8601("2019-07-24T11:25:40.25Z").expect("valid");
        assert_eq!(dt.subsec_nanosecond(), 250_000_000);
        assert_eq!(off, Some(Offset::UTC));
        assert!(parse_iso8601("2019-07-24T11:25:40 junk").is_none());
    }
}
