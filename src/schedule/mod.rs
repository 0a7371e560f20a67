//! The schedule (SOP steps 1, 2 and 4): people, cameras, the monthly roster,
//! the leaders' agenda and the crews assigned to it; and matching, which uses
//! them to tag files. This module owns the domain types and their validation;
//! SQL lives in `catalog::schedule`, HTTP in `web::schedule`.

pub mod matching;
pub mod tagger;

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};

/// SOP roles (what a person may do in the panel).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Kadis,
    Kabid,
    Kasi,
    Staf,
    TenagaAhli,
}

/// What a person does on a coverage crew.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrewRole {
    Fotografer,
    Kameraman,
    Reporter,
}

/// Whose activity an event is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Leader {
    Gubernur,
    WakilGubernur,
    Sekda,
    Kadis,
    Lainnya,
}

impl Role {
    /// How the panel says it.
    pub fn label(self) -> &'static str {
        match self {
            Role::Kadis => "Kepala Dinas",
            Role::Kabid => "Kepala Bidang",
            Role::Kasi => "Kepala Seksi",
            Role::Staf => "Staf",
            Role::TenagaAhli => "Tenaga Ahli",
        }
    }

    pub const ALL: [Role; 5] = [
        Role::Kadis,
        Role::Kabid,
        Role::Kasi,
        Role::Staf,
        Role::TenagaAhli,
    ];
}

impl CrewRole {
    pub fn label(self) -> &'static str {
        match self {
            CrewRole::Fotografer => "Fotografer",
            CrewRole::Kameraman => "Kameraman",
            CrewRole::Reporter => "Reporter",
        }
    }
}

impl AssignmentStatus {
    pub fn label(self) -> &'static str {
        match self {
            AssignmentStatus::Planned => "Direncanakan",
            AssignmentStatus::Assigned => "Ditugaskan",
            AssignmentStatus::LetterIssued => "Surat tugas terbit",
            AssignmentStatus::Covered => "Sudah diliput",
            AssignmentStatus::Reported => "Laporan masuk",
            AssignmentStatus::Approved => "Disetujui",
            AssignmentStatus::Published => "Dipublikasikan",
        }
    }
}

impl Leader {
    /// How the panel says it.
    pub fn label(self) -> &'static str {
        match self {
            Leader::Gubernur => "Gubernur",
            Leader::WakilGubernur => "Wakil Gubernur",
            Leader::Sekda => "Sekretaris Daerah",
            Leader::Kadis => "Kepala Dinas",
            Leader::Lainnya => "Lainnya",
        }
    }
}

/// The contract's assignment lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssignmentStatus {
    Planned,
    Assigned,
    LetterIssued,
    Covered,
    Reported,
    Approved,
    Published,
}

/// The serde name of a unit variant ("wakil_gubernur").
pub fn name_of<T: Serialize>(value: &T) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(s)) => s,
        _ => String::new(),
    }
}

/// Parses a unit variant from its serde name, naming `field` when it is not one.
pub fn parse_name<T: for<'de> Deserialize<'de>>(
    field: &str,
    value: &str,
    allowed: &str,
) -> Result<T> {
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .map_err(|_| Error::Invalid(format!("{field}: {value:?} is not one of {allowed}")))
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Person {
    pub username: String,
    pub name: String,
    pub nip: Option<String>,
    pub role: Role,
    pub crew_roles: Vec<CrewRole>,
    pub is_admin: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Camera {
    pub serial: String,
    pub make: Option<String>,
    pub model: Option<String>,
    pub owner: String,
    pub clock_offset_seconds: i64,
    pub offset_source: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Event {
    pub id: i64,
    pub title: String,
    pub leader: Leader,
    pub location: String,
    pub starts_at: jiff::Timestamp,
    pub ends_at: jiff::Timestamp,
    /// The offset the times were entered in (for showing them back).
    pub zone_seconds: i32,
    pub out_of_town: bool,
    pub source: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrewMember {
    pub username: String,
    pub role: CrewRole,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assignment {
    pub id: i64,
    pub event_id: i64,
    pub status: AssignmentStatus,
    pub folder: String,
    pub crew: Vec<CrewMember>,
}

impl Person {
    /// The text rules (`crate::text`) for what a person's record carries.
    pub fn check_text(&self) -> Result<()> {
        check_username("username", &self.username)?;
        crate::text::single_line("name", &self.name, crate::text::NAME)?;
        crate::text::single_line_opt("nip", self.nip.as_deref(), crate::text::SHORT)
    }
}

impl Camera {
    /// The text rules (`crate::text`) for a camera's serial, make and model.
    pub fn check_text(&self) -> Result<()> {
        use crate::text::{single_line, single_line_opt, SHORT};
        single_line("serial", &self.serial, SHORT)?;
        single_line_opt("make", self.make.as_deref(), SHORT)?;
        single_line_opt("model", self.model.as_deref(), SHORT)?;
        single_line("owner", &self.owner, SHORT).map(drop)
    }
}

impl Event {
    /// The text rules (`crate::text`) for an event's title, place and source.
    pub fn check_text(&self) -> Result<()> {
        use crate::text::{single_line, single_line_opt, PLACE, TITLE};
        single_line("title", &self.title, TITLE)?;
        single_line("location", &self.location, PLACE)?;
        single_line_opt("source", self.source.as_deref(), PLACE)
    }
}

/// The normalised form of a camera serial for matching: trimmed, upper case,
/// without leading zeros (exiftool prints Canon serials zero-padded, EXIF does not).
pub fn serial_key(serial: &str) -> String {
    let trimmed = serial.trim().trim_matches('\0').to_uppercase();
    let stripped = trimmed.trim_start_matches('0');
    if stripped.is_empty() {
        trimmed
    } else {
        stripped.to_owned()
    }
}

/// A username: lowercase letters, digits, `.`, `_`, `-`; it is also a folder name.
pub fn check_username(field: &str, username: &str) -> Result<()> {
    let ok = !username.is_empty()
        && username.len() <= 32
        && username
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
        && !username.starts_with('.');
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "{field}: {username:?} is not a username (1-32 of a-z, 0-9, '.', '_', '-')"
        )))
    }
}

/// NIP: 18 digits = birth date (YYYYMMDD) + appointment (YYYYMM) + gender (1/2) + serial.
pub fn check_nip(nip: &str) -> Result<()> {
    let bad = |why: &str| Err(Error::Invalid(format!("nip: {why}")));
    if nip.len() != 18 || !nip.bytes().all(|b| b.is_ascii_digit()) {
        return bad("must be 18 digits");
    }
    let num = |range: std::ops::Range<usize>| nip[range].parse::<i16>().unwrap_or(0);
    let birth = jiff::civil::Date::new(num(0..4), num(4..6) as i8, num(6..8) as i8);
    let Ok(birth) = birth else {
        return bad("digits 1-8 are not a valid birth date");
    };
    let (year, month) = (num(8..12), num(12..14));
    if !(1..=12).contains(&month) {
        // PPPK numbers carry a different middle part; accept those with a year after birth.
        if month != 21 {
            return bad("digits 13-14 are not a valid appointment month");
        }
    }
    if year <= birth.year() {
        return bad("the appointment year must come after the birth year");
    }
    if !matches!(&nip[14..15], "1" | "2") {
        return bad("digit 15 (gender) must be 1 or 2");
    }
    Ok(())
}

/// `YYYY-MM-DD HH.MM` in the given zone, for reasons and pages.
pub fn wall_time(t: jiff::Timestamp, zone: jiff::tz::Offset) -> String {
    let dt = zone.to_datetime(t);
    format!("{:02}.{:02}", dt.hour(), dt.minute())
}

/// A new person, validated: username, non-empty name, role, crew roles and
/// NIP (spaces removed) by the rules above. Used by the API, `user add` and setup.
pub fn new_person(
    username: &str,
    name: &str,
    role: &str,
    crew_roles: &[String],
    nip: Option<&str>,
    is_admin: bool,
) -> Result<Person> {
    check_username("username", username)?;
    crate::text::single_line("name", name.trim(), crate::text::NAME)?;
    if name.trim().is_empty() {
        return Err(Error::Invalid("name: must not be empty".into()));
    }
    let role: Role = parse_name("role", role, "kadis, kabid, kasi, staf, tenaga_ahli")?;
    let crew_roles = crew_roles
        .iter()
        .map(|r| parse_name::<CrewRole>("crew_roles", r, "fotografer, kameraman, reporter"))
        .collect::<Result<Vec<_>>>()?;
    let nip = nip.map(|n| n.replace(' ', "")).filter(|n| !n.is_empty());
    if let Some(nip) = &nip {
        check_nip(nip)?;
    }
    Ok(Person {
        username: username.to_owned(),
        name: name.trim().to_owned(),
        nip,
        role,
        crew_roles,
        is_admin,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_match_however_they_were_printed() {
        assert_eq!(serial_key("0330103043"), serial_key("330103043"));
        assert_eq!(serial_key(" b9u505495  "), "B9U505495");
        assert_eq!(serial_key("0000"), "0000");
    }

    #[test]
    fn nips_are_checked_part_by_part() {
        assert!(check_nip("198609262015051001").is_ok());
        for (nip, why) in [
            ("19860926201505100", "18 digits"),
            ("198613262015051001", "birth date"),
            ("198609262015131001", "appointment month"),
            ("198609261980051001", "after the birth year"),
            ("198609262015053001", "gender"),
        ] {
            let err = check_nip(nip).unwrap_err().to_string();
            assert!(err.starts_with("nip:") && err.contains(why), "{nip}: {err}");
        }
    }

    #[test]
    fn usernames_are_folder_safe() {
        assert!(check_username("username", "budi.s").is_ok());
        for bad in ["Budi", "", "../x", ".hidden", "a b"] {
            assert!(check_username("username", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn enums_use_the_contract_names() {
        assert_eq!(name_of(&Leader::WakilGubernur), "wakil_gubernur");
        assert_eq!(name_of(&AssignmentStatus::LetterIssued), "letter_issued");
        let leader: Leader = parse_name("leader", "sekda", "").unwrap();
        assert_eq!(leader, Leader::Sekda);
        let err = parse_name::<Leader>("leader", "bupati", "gubernur, ...")
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("leader:"));
    }
}
