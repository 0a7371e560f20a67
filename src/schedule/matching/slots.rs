//! Time and place arithmetic on slots: actual and widened windows, how far a
//! time is from an event, which day an event falls on, who is on its crew and
//! how far a GPS fix is from its place. Times are Unix seconds (true time).

use jiff::civil::Date;
use jiff::tz::Offset;

use super::{Margins, Slot};

/// Earth's mean radius, for haversine distances.
const EARTH_RADIUS_KM: f64 = 6371.0;

impl Slot<'_> {
    pub(super) fn start(&self) -> i64 {
        self.event.starts_at.as_second()
    }

    pub(super) fn end(&self) -> i64 {
        self.event.ends_at.as_second()
    }

    /// Inside the event's own times, [start, end].
    pub(super) fn contains(&self, at: i64) -> bool {
        (self.start()..=self.end()).contains(&at)
    }

    /// Inside [start − before, end + after]: photographers arrive early and
    /// events overrun.
    pub(super) fn widened_contains(&self, at: i64, margins: &Margins) -> bool {
        let from = self.start().saturating_sub(margins.before_seconds);
        let to = self.end().saturating_add(margins.after_seconds);
        (from..=to).contains(&at)
    }

    /// Seconds from `at` to the event's own times; 0 inside them.
    pub(super) fn distance(&self, at: i64) -> i64 {
        self.outside_by(at).saturating_abs()
    }

    /// Seconds `at` lies outside the event's own times: negative before the
    /// start, positive after the end, 0 inside.
    pub(super) fn outside_by(&self, at: i64) -> i64 {
        if at < self.start() {
            at - self.start()
        } else {
            at.saturating_sub(self.end()).max(0)
        }
    }

    pub(super) fn includes(&self, username: &str) -> bool {
        self.assignment
            .crew
            .iter()
            .any(|m| same_user(&m.username, username))
    }

    pub(super) fn includes_any(&self, usernames: &[&str]) -> bool {
        usernames.iter().any(|u| self.includes(u))
    }

    /// Whether the event runs on `day` (in `zone`) at all.
    pub(super) fn on_day(&self, day: Date, zone: Offset) -> bool {
        let first = zone.to_datetime(self.event.starts_at).date();
        let last = zone.to_datetime(self.event.ends_at).date();
        first <= day && day <= last
    }

    /// Kilometres from a file's GPS fix to the event's place, when both are known.
    pub(super) fn km_from(&self, gps: Option<(f64, f64)>) -> Option<f64> {
        let place = usable((self.event.lat?, self.event.lon?))?;
        Some(haversine_km(usable(gps?)?, place))
    }
}

/// The calendar day of `at` in `zone`.
pub(super) fn day_of(at: i64, zone: Offset) -> Option<Date> {
    jiff::Timestamp::from_second(at)
        .ok()
        .map(|t| zone.to_datetime(t).date())
}

/// Usernames compare case-insensitively and untrimmed input is forgiven: a
/// drop folder is typed by hand.
pub(super) fn same_user(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

/// A coordinate worth using: in range, and not the (0, 0) some phones write
/// when they had no fix.
fn usable((lat, lon): (f64, f64)) -> Option<(f64, f64)> {
    let in_range = (-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon);
    (in_range && (lat, lon) != (0.0, 0.0)).then_some((lat, lon))
}

/// Great-circle distance in kilometres between two (lat, lon) in degrees.
pub(super) fn haversine_km((lat1, lon1): (f64, f64), (lat2, lon2): (f64, f64)) -> f64 {
    let (phi1, phi2) = (lat1.to_radians(), lat2.to_radians());
    let d_phi = (lat2 - lat1).to_radians();
    let d_lambda = (lon2 - lon1).to_radians();
    let a = (d_phi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (d_lambda / 2.0).sin().powi(2);
    2.0 * EARTH_RADIUS_KM * a.sqrt().min(1.0).asin()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tarakan_and_tanjung_selor_are_about_sixty_kilometres_apart() {
        let km = haversine_km((3.30, 117.63), (2.84, 117.37));
        assert!((55.0..65.0).contains(&km), "{km}");
        assert_eq!(haversine_km((3.30, 117.63), (3.30, 117.63)), 0.0);
    }

    #[test]
    fn a_zero_zero_fix_is_no_fix() {
        assert_eq!(usable((0.0, 0.0)), None);
        assert_eq!(usable((91.0, 117.0)), None);
        assert_eq!(usable((3.3, 117.6)), Some((3.3, 117.6)));
    }

    #[test]
    fn usernames_match_whatever_the_case_of_the_folder() {
        assert!(same_user(" Budi ", "budi"));
        assert!(!same_user("budi.s", "budi"));
    }
}
