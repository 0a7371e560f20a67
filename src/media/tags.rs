//! Turns parsed EXIF (kamadak-exif) into [`Metadata`] fields: capture time, camera
//! identity, body serial, lens, GPS and orientation.
//!
//! Fields already set in `Metadata` are kept, so a caller can apply several EXIF
//! blocks (CR3 has four) or a container source first. Maker notes are delegated to
//! `makernote`; pixel size is not taken from EXIF (the container knows better).

use exif::{Context, Exif, Field, In, Rational, Tag, Value};
use jiff::tz::Offset;

use super::metadata::{CaptureTime, Gps, Metadata, TimeSource};
use super::{bytes, makernote, time};

/// Accepts a partial parse: a damaged IFD should not cost the fields that were read.
/// The flag says whether anything was skipped.
pub(crate) fn lenient(result: Result<Exif, exif::Error>) -> Option<(Exif, bool)> {
    match result {
        Ok(exif) => Some((exif, false)),
        Err(exif::Error::PartialResult(partial)) => Some((partial.into_inner().0, true)),
        Err(_) => None,
    }
}

/// Parses a TIFF-structured EXIF block leniently.
pub(crate) fn parse(buf: Vec<u8>) -> Option<(Exif, bool)> {
    lenient(exif::Reader::new().continue_on_error(true).read_raw(buf))
}

/// Fills the fields of `md` that are still `None` from `exif`.
pub(crate) fn apply(exif: &Exif, zone: Offset, md: &mut Metadata) {
    fill(&mut md.make, || text(exif, Tag::Make));
    fill(&mut md.model, || text(exif, Tag::Model));
    fill(&mut md.orientation, || orientation(exif));
    fill(&mut md.captured_at, || capture_time(exif, zone));
    fill(&mut md.gps, || gps(exif, Context::Gps));
    fill(&mut md.description, || {
        text(exif, Tag::ImageDescription).and_then(|d| description(&d))
    });
    if md.serial.is_none() || md.lens.is_none() {
        let notes = makernote::read(exif, md.make.as_deref());
        fill(&mut md.serial, || {
            [Tag::BodySerialNumber, Tag(Context::Tiff, 0xc62f)]
                .into_iter()
                .find_map(|tag| text(exif, tag).and_then(|s| clean_serial(&s)))
                .or(notes.serial)
        });
        fill(&mut md.lens, || text(exif, Tag::LensModel).or(notes.lens));
    }
}

/// Longest description kept (some software writes whole articles).
const MAX_DESCRIPTION_CHARS: usize = 2000;

/// A description worth keeping: not blank, not a camera's stock text.
fn description(raw: &str) -> Option<String> {
    let d = raw.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    let upper = d.to_uppercase();
    let stock = upper.ends_with("DIGITAL CAMERA")
        || matches!(
            upper.as_str(),
            "" | "DCIM" | "DEFAULT" | "SONY DSC" | "EXIF_JPEG_PICTURE"
        );
    (!stock).then(|| d.chars().take(MAX_DESCRIPTION_CHARS).collect())
}

fn fill<T>(slot: &mut Option<T>, value: impl FnOnce() -> Option<T>) {
    if slot.is_none() {
        *slot = value();
    }
}

/// A serial as we store it: trimmed, and `None` when empty or all zeros (bodies that
/// write "0" or "000000000000" have no serial to match on).
pub(crate) fn clean_serial(raw: &str) -> Option<String> {
    let s = raw.trim_matches(|c: char| c.is_whitespace() || c == '\0');
    (!s.is_empty() && !s.chars().all(|c| c == '0')).then(|| s.to_owned())
}

/// The field in IFD0 context, also looked up under the same number in the other of
/// the TIFF/EXIF contexts: some bodies (Canon REBEL T3i) put EXIF tags in IFD0.
fn field(exif: &Exif, tag: Tag) -> Option<&Field> {
    exif.get_field(tag, In::PRIMARY).or_else(|| {
        let other = match tag.context() {
            Context::Tiff => Context::Exif,
            Context::Exif => Context::Tiff,
            _ => return None,
        };
        exif.get_field(Tag(other, tag.number()), In::PRIMARY)
    })
}

/// The raw bytes of a text field (first non-empty string of an ASCII field).
fn raw_text(exif: &Exif, tag: Tag) -> Option<&[u8]> {
    match &field(exif, tag)?.value {
        Value::Ascii(strings) => strings.iter().find(|s| !s.is_empty()).map(Vec::as_slice),
        Value::Byte(b) | Value::Undefined(b, _) => Some(b),
        _ => None,
    }
}

fn text(exif: &Exif, tag: Tag) -> Option<String> {
    match &field(exif, tag)?.value {
        Value::Ascii(strings) => strings.iter().find_map(|s| bytes::text(s)),
        Value::Byte(b) | Value::Undefined(b, _) => bytes::text(b),
        _ => None,
    }
}

fn orientation(exif: &Exif) -> Option<u16> {
    let v = field(exif, Tag::Orientation)?.value.get_uint(0)?;
    u16::try_from(v).ok().filter(|v| (1..=8).contains(v))
}

/// The date-time tag triples, in order of preference.
const TIME_TAGS: [(Tag, Tag, Tag); 3] = [
    (
        Tag::DateTimeOriginal,
        Tag::SubSecTimeOriginal,
        Tag::OffsetTimeOriginal,
    ),
    (
        Tag::DateTimeDigitized,
        Tag::SubSecTimeDigitized,
        Tag::OffsetTimeDigitized,
    ),
    (Tag::DateTime, Tag::SubSecTime, Tag::OffsetTime),
];

fn capture_time(exif: &Exif, zone: Offset) -> Option<CaptureTime> {
    TIME_TAGS.into_iter().find_map(|(when, subsec, offset)| {
        let local = time::parse_exif_datetime(raw_text(exif, when)?)?;
        let nanos = raw_text(exif, subsec)
            .and_then(time::parse_subsec)
            .unwrap_or(0);
        let local = local
            .with()
            .subsec_nanosecond(nanos)
            .build()
            .unwrap_or(local);
        match raw_text(exif, offset).and_then(time::parse_offset) {
            Some(offset) => CaptureTime::from_local(local, offset, TimeSource::ExifWithOffset),
            None => CaptureTime::from_local(local, zone, TimeSource::ExifZoneless),
        }
    })
}

/// Fills `md.gps` from a GPS directory stored as IFD0 of its own TIFF (CR3's CMT4).
pub(crate) fn apply_gps_as_ifd0(exif: &Exif, md: &mut Metadata) {
    fill(&mut md.gps, || gps(exif, Context::Tiff));
}

/// Reads the GPS tags, which sit in context `ctx` (GPS normally).
fn gps(exif: &Exif, ctx: Context) -> Option<Gps> {
    let get = |tag: Tag| exif.get_field(Tag(ctx, tag.number()), In::PRIMARY);
    let sign = |tag, negative: u8| match get(tag).and_then(|f| first_byte(&f.value)) {
        Some(c) if c.eq_ignore_ascii_case(&negative) => -1.0,
        _ => 1.0,
    };
    let lat = degrees(&get(Tag::GPSLatitude)?.value)? * sign(Tag::GPSLatitudeRef, b'S');
    let lon = degrees(&get(Tag::GPSLongitude)?.value)? * sign(Tag::GPSLongitudeRef, b'W');
    // NaN fails both comparisons. An exact 0,0 is what receivers without a fix write.
    if !(lat.abs() <= 90.0 && lon.abs() <= 180.0) || (lat == 0.0 && lon == 0.0) {
        return None;
    }
    let alt = get(Tag::GPSAltitude).and_then(|f| match &f.value {
        Value::Rational(v) => v.first().and_then(ratio).filter(|a| a.is_finite()),
        _ => None,
    });
    let below_sea = get(Tag::GPSAltitudeRef).and_then(|f| f.value.get_uint(0)) == Some(1);
    let alt = alt.map(|a| if below_sea { -a } else { a });
    Some(Gps { lat, lon, alt })
}

fn first_byte(v: &Value) -> Option<u8> {
    match v {
        Value::Ascii(strings) => strings.iter().find_map(|s| s.first().copied()),
        _ => None,
    }
}

/// Degrees from the EXIF degrees/minutes/seconds triple. A 0/0 minutes or seconds
/// part counts as zero (Nikon's GPS units write decimal minutes with seconds 0/0);
/// a 0/0 degrees part means no position.
fn degrees(v: &Value) -> Option<f64> {
    let Value::Rational(parts) = v else {
        return None;
    };
    let minor = |r: Option<&Rational>| match r {
        None => Some(0.0),
        Some(r) if r.denom == 0 && r.num == 0 => Some(0.0),
        Some(r) => ratio(r),
    };
    let deg = ratio(parts.first()?)?;
    Some(deg + minor(parts.get(1))? / 60.0 + minor(parts.get(2))? / 3600.0)
}

fn ratio(r: &Rational) -> Option<f64> {
    (r.denom != 0).then(|| f64::from(r.num) / f64::from(r.denom))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_are_trimmed_and_zeros_dropped() {
        assert_eq!(
            clean_serial("B9U505495                      ").as_deref(),
            Some("B9U505495")
        );
        assert_eq!(
            clean_serial("000K79K13272").as_deref(),
            Some("000K79K13272")
        );
        assert_eq!(clean_serial("0"), None);
        assert_eq!(clean_serial("000000000000"), None);
        assert_eq!(clean_serial(" \0"), None);
    }

    #[test]
    fn degrees_handle_zero_denominators() {
        let r = |num, denom| Rational { num, denom };
        let nikon = Value::Rational(vec![r(48, 1), r(5332358, 100000), r(0, 0)]);
        let lat = degrees(&nikon).expect("degrees");
        assert!((lat - (48.0 + 53.32358 / 60.0)).abs() < 1e-9);
        let leica = Value::Rational(vec![r(0, 0), r(0, 0), r(0, 0)]);
        assert_eq!(degrees(&leica), None);
        let bad = Value::Rational(vec![r(48, 1), r(1, 0), r(0, 1)]);
        assert_eq!(degrees(&bad), None);
    }
}
