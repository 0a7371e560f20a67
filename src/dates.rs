//! Dates and times the way the agency writes them: "Kamis, 26 November 2026",
//! "09.30 WITA". Hand-written names (no locale data on the server).

use jiff::tz::Offset;
use jiff::Timestamp;

pub const DAYS: [&str; 7] = [
    "Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu",
];
pub const MONTHS: [&str; 12] = [
    "Januari",
    "Februari",
    "Maret",
    "April",
    "Mei",
    "Juni",
    "Juli",
    "Agustus",
    "September",
    "Oktober",
    "November",
    "Desember",
];

/// "WIB", "WITA" or "WIT" for Indonesia's three zones, else "UTC+hh:mm".
pub fn zone_label(zone: Offset) -> String {
    match zone.seconds() {
        25_200 => "WIB".into(),
        28_800 => "WITA".into(),
        32_400 => "WIT".into(),
        s => {
            let sign = if s < 0 { '-' } else { '+' };
            let s = s.unsigned_abs();
            format!("UTC{sign}{:02}:{:02}", s / 3600, s % 3600 / 60)
        }
    }
}

/// The name of a weekday (Monday first, as jiff counts).
pub fn day_name(date: jiff::civil::Date) -> &'static str {
    DAYS[date.weekday().to_monday_zero_offset() as usize]
}

pub fn month_name(month: i8) -> &'static str {
    MONTHS[(month.clamp(1, 12) - 1) as usize]
}

/// "Kamis, 26 November 2026".
pub fn long_date(date: jiff::civil::Date) -> String {
    format!(
        "{}, {} {} {}",
        day_name(date),
        date.day(),
        month_name(date.month()),
        date.year()
    )
}

/// "26 November 2026" (letters and captions).
pub fn plain_date(date: jiff::civil::Date) -> String {
    format!(
        "{} {} {}",
        date.day(),
        month_name(date.month()),
        date.year()
    )
}

/// "November 2026".
pub fn month_year(year: i16, month: i8) -> String {
    format!("{} {year}", month_name(month))
}

/// The civil date of an instant in `zone`.
pub fn date_in(at: Timestamp, zone: Offset) -> jiff::civil::Date {
    zone.to_datetime(at).date()
}

/// "09.30" (Indonesian style uses a dot).
pub fn time_of_day(at: Timestamp, zone: Offset) -> String {
    let t = zone.to_datetime(at);
    format!("{:02}.{:02}", t.hour(), t.minute())
}

/// "09.30 WITA".
pub fn time_with_zone(at: Timestamp, zone: Offset) -> String {
    format!("{} {}", time_of_day(at, zone), zone_label(zone))
}

/// "Kamis, 26 November 2026 09.30 WITA".
pub fn date_time(at: Timestamp, zone: Offset) -> String {
    format!(
        "{} {}",
        long_date(date_in(at, zone)),
        time_with_zone(at, zone)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_dates_and_times_the_indonesian_way() {
        let zone = Offset::constant(8);
        let at: Timestamp = "2026-11-26T01:30:00Z".parse().unwrap();
        assert_eq!(long_date(date_in(at, zone)), "Kamis, 26 November 2026");
        assert_eq!(time_with_zone(at, zone), "09.30 WITA");
        assert_eq!(date_time(at, zone), "Kamis, 26 November 2026 09.30 WITA");
        // Late evening UTC is already the next day in WITA.
        let late: Timestamp = "2026-11-29T17:00:00Z".parse().unwrap();
        assert_eq!(long_date(date_in(late, zone)), "Senin, 30 November 2026");
        assert_eq!(zone_label(Offset::constant(7)), "WIB");
        assert_eq!(zone_label(Offset::constant(9)), "WIT");
        assert_eq!(zone_label(Offset::constant(0)), "UTC+00:00");
        assert_eq!(month_year(2026, 1), "Januari 2026");
    }
}
