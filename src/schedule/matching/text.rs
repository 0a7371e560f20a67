//! Indonesian wording for matching's reasons and suggestions: WITA wall times
//! as "09.00–11.00", durations, distances, lists of names and camera names.
//! Formatting only; no decision is taken here.

use jiff::civil::Date;
use jiff::tz::Offset;
use jiff::Timestamp;

use crate::schedule::wall_time;

/// "14.20" for a time held as Unix seconds.
pub(super) fn clock(at: i64, zone: Offset) -> String {
    match Timestamp::from_second(at) {
        Ok(t) => wall_time(t, zone),
        Err(_) => "?".to_owned(),
    }
}

/// "09.00–11.00". A start on another day than `day` gets its date, and so does
/// an end on another day than the start ("12/3 09.00–11.00", "09.00–14/3 11.30"),
/// so yesterday's event or a multi-day trip is not misread.
pub(super) fn span(start: Timestamp, end: Timestamp, zone: Offset, day: Option<Date>) -> String {
    let (from, to) = (zone.to_datetime(start).date(), zone.to_datetime(end).date());
    let dated = |date: Date, t: Timestamp| {
        format!("{}/{} {}", date.day(), date.month(), wall_time(t, zone))
    };
    let first = if from == day.unwrap_or(from) {
        wall_time(start, zone)
    } else {
        dated(from, start)
    };
    let second = if to == from {
        wall_time(end, zone)
    } else {
        dated(to, end)
    };
    format!("{first}–{second}")
}

/// "3 jam 20 menit", "45 menit", "2 jam"; the sign is ignored.
pub(super) fn duration(seconds: i64) -> String {
    let minutes = (seconds.unsigned_abs() + 30) / 60;
    match (minutes / 60, minutes % 60) {
        (0, 0) => "kurang dari 1 menit".to_owned(),
        (0, m) => format!("{m} menit"),
        (h, 0) => format!("{h} jam"),
        (h, m) => format!("{h} jam {m} menit"),
    }
}

/// "+1 jam", "−30 menit": a correction added to a time.
pub(super) fn signed_duration(seconds: i64) -> String {
    let sign = if seconds < 0 { "−" } else { "+" };
    format!("{sign}{}", duration(seconds))
}

/// What a clock offset (camera minus true time) means to a person setting the
/// camera: the zones Kaltara cameras are usually mis-set to are named.
pub(super) fn offset_meaning(offset: i64) -> String {
    let named = match offset {
        0 => return "sudah tepat (WITA)".to_owned(),
        -3600 => " (diatur ke WIB)",
        3600 => " (diatur ke WIT)",
        -28800 => " (diatur ke UTC)",
        _ => "",
    };
    let direction = if offset < 0 {
        "lebih lambat"
    } else {
        "lebih cepat"
    };
    format!("{} {direction}{named}", duration(offset))
}

/// "0,8 km" below 10 km, "23 km" above: the panel's decimal comma.
pub(super) fn km(distance: f64) -> String {
    if distance < 10.0 {
        format!("{:.1} km", distance).replace('.', ",")
    } else {
        format!("{:.0} km", distance)
    }
}

/// "budi", "budi dan siti", "budi, siti dan andi".
pub(super) fn names(names: &[&str]) -> String {
    match names {
        [] => String::new(),
        [one] => (*one).to_owned(),
        [rest @ .., last] => format!("{} dan {last}", rest.join(", ")),
    }
}

/// "dua", "tiga"…: small counts read better spelled out.
pub(super) fn count(n: usize) -> String {
    const WORDS: [&str; 7] = ["nol", "satu", "dua", "tiga", "empat", "lima", "enam"];
    WORDS
        .get(n)
        .map_or_else(|| n.to_string(), |w| (*w).to_owned())
}

/// "Canon EOS 90D" from make "Canon" and model "Canon EOS 90D" (EXIF often
/// repeats the make in the model), or "Apple iPhone 13".
pub(super) fn model_name(make: Option<&str>, model: Option<&str>) -> Option<String> {
    fn clean(s: Option<&str>) -> Option<&str> {
        s.map(|s| s.trim().trim_matches('\0').trim())
            .filter(|s| !s.is_empty())
    }
    match (clean(make), clean(model)) {
        (Some(make), Some(model)) if model.to_lowercase().starts_with(&make.to_lowercase()) => {
            Some(model.to_owned())
        }
        (Some(make), Some(model)) => Some(format!("{make} {model}")),
        (None, Some(one)) | (Some(one), None) => Some(one.to_owned()),
        (None, None) => None,
    }
}

/// "kamera 0123 (Canon EOS 90D)", "kamera Apple iPhone 13", "kamera 0123".
pub(super) fn camera(serial: Option<&str>, make: Option<&str>, model: Option<&str>) -> String {
    match (serial, model_name(make, model)) {
        (Some(serial), Some(name)) => format!("kamera {serial} ({name})"),
        (Some(serial), None) => format!("kamera {serial}"),
        (None, Some(name)) => format!("kamera {name}"),
        (None, None) => "kamera tak dikenal".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wita(s: &str) -> Timestamp {
        format!("{s}+08:00").parse().unwrap()
    }

    #[test]
    fn spans_read_as_wita_wall_times_with_a_date_only_when_the_day_differs() {
        let zone = Offset::constant(8);
        let (start, end) = (wita("2025-03-12T09:00:00"), wita("2025-03-12T11:00:00"));
        assert_eq!(span(start, end, zone, None), "09.00–11.00");
        let trip_end = wita("2025-03-14T11:30:00");
        assert_eq!(span(start, trip_end, zone, None), "09.00–14/3 11.30");
        let next_day = zone.to_datetime(trip_end).date();
        assert_eq!(span(start, end, zone, Some(next_day)), "12/3 09.00–11.00");
    }

    #[test]
    fn durations_and_offsets_are_said_the_way_people_say_them() {
        assert_eq!(duration(-(3 * 3600 + 20 * 60)), "3 jam 20 menit");
        assert_eq!(duration(45 * 60), "45 menit");
        assert_eq!(signed_duration(3600), "+1 jam");
        assert_eq!(offset_meaning(-3600), "1 jam lebih lambat (diatur ke WIB)");
        assert_eq!(offset_meaning(17 * 60), "17 menit lebih cepat");
        assert_eq!(km(0.83), "0,8 km");
        assert_eq!(km(58.6), "59 km");
    }

    #[test]
    fn names_and_cameras_are_listed_naturally() {
        assert_eq!(names(&["budi"]), "budi");
        assert_eq!(names(&["budi", "siti", "andi"]), "budi, siti dan andi");
        assert_eq!(count(2), "dua");
        assert_eq!(count(12), "12");
        assert_eq!(
            camera(Some("0123"), Some("Canon"), Some("Canon EOS 90D")),
            "kamera 0123 (Canon EOS 90D)"
        );
        assert_eq!(
            camera(None, Some("Apple"), Some("iPhone 13")),
            "kamera Apple iPhone 13"
        );
    }
}
