//! `liputan demo`: a newcomer's first minute. [`prepare`] makes a folder holding a
//! config, a catalog seeded with a realistic day of the coverage team (people with
//! demo logins, their cameras, the month's roster, today's and tomorrow's agenda
//! with crews) and card dumps drawn by `media::synth` in the inbox; the CLI then
//! prints the URL and the logins and serves it, and the daemon ingests the cards
//! onto their assignments.
//!
//! Everything seeded is fictitious (names, NIPs, serials, events at real places of
//! Kalimantan Utara), and the passwords are public: a demo folder is for trying
//! liputan out, never for real files. Seeding is deterministic apart from the date:
//! "today" is the real current day in the configured zone.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use jiff::civil::Date;
use jiff::tz::Offset;
use jiff::{SignedDuration, Timestamp};

use crate::catalog::Catalog;
use crate::config::Config;
use crate::error::{Error, IoContext, Result};
use crate::media::synth::{self, Scene, SynthPhoto, SynthText};
use crate::schedule::{
    check_nip, check_username, name_of, AssignmentStatus, Camera, CrewMember, CrewRole, Event,
    Leader, Person, Role,
};

/// A seeded account and its (public, demo-only) password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoLogin {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub name: String,
}

/// A prepared demo folder, ready to serve.
#[derive(Debug, Clone)]
pub struct Demo {
    /// The demo's config, with `listen` applied.
    pub config: Config,
    /// `DIR/liputan.toml`.
    pub config_path: PathBuf,
    pub logins: Vec<DemoLogin>,
    /// False when the folder already held a seeded demo, which was reused as it is.
    pub seeded: bool,
    /// The day seeded as "today" (on reuse: the day it was seeded for).
    pub day: Date,
    /// The card-dump files written into the inbox by this call (none on reuse).
    pub cards: Vec<PathBuf>,
}

impl Demo {
    /// The panel's address as a URL (loopback when listening on every interface).
    pub fn url(&self) -> String {
        let mut addr = self.config.listen;
        if addr.ip().is_unspecified() {
            addr.set_ip(std::net::Ipv4Addr::LOCALHOST.into());
        }
        format!("http://{addr}")
    }

    /// What `liputan demo` prints before serving: where things are, the URL and
    /// the logins.
    pub fn banner(&self) -> String {
        let dir = self
            .config_path
            .parent()
            .map_or_else(|| ".".to_owned(), |p| p.display().to_string());
        let mut out = String::new();
        out.push_str(&format!(
            "liputan demo in {dir} ({}; config {})\n",
            if self.seeded {
                format!("seeded for {}", self.day)
            } else {
                format!("reused, seeded for {}", self.day)
            },
            self.config_path.display()
        ));
        out.push_str(&format!("  panel:   {}\n", self.url()));
        for root in &self.config.inbox {
            out.push_str(&format!(
                "  inbox:   {}  (card dumps: <inbox>/<username>/DCIM/...)\n",
                root.display()
            ));
        }
        out.push_str(&format!("  archive: {}\n", self.config.archive.display()));
        if self.seeded {
            out.push_str(&format!(
                "  {} card files written for today's events; they are ingested and tagged in a few seconds.\n",
                self.cards.len()
            ));
        }
        out.push_str("\nDemo logins (DEMO ONLY: these passwords are public):\n");
        let width = self
            .logins
            .iter()
            .map(|l| l.username.len())
            .max()
            .unwrap_or(0);
        let pwidth = self
            .logins
            .iter()
            .map(|l| l.password.len())
            .max()
            .unwrap_or(0);
        for login in &self.logins {
            out.push_str(&format!(
                "  {:width$}  {:pwidth$}  {:<12} {}\n",
                login.username,
                login.password,
                role_label(login.role),
                login.name,
            ));
        }
        out.push_str(&format!(
            "\nStop with Ctrl-C. `liputan demo --dir {dir}` serves this demo again; delete the folder to start afresh.\n"
        ));
        out
    }
}

/// "KASI", "TENAGA AHLI": the SOP's words for the roles.
pub fn role_label(role: Role) -> String {
    name_of(&role).replace('_', " ").to_uppercase()
}

/// The first line of a config file the demo wrote; anything else in DIR is not ours.
const CONFIG_MARK: &str = "# liputan demo:";

/// Creates `dir` (with `DIR/liputan.toml`: inbox `DIR/inbox`, archive `DIR/archive`,
/// data `DIR/data`, panel on `listen` or 127.0.0.1:8080), opens the catalog, seeds a
/// day for today (in the configured zone) and writes card dumps into the inbox.
/// Idempotent: a folder that already holds a seeded demo is reused as it is (and
/// `listen`, if given, applies to the returned config only). Refuses a non-empty
/// folder that holds no demo. Blocking.
pub fn prepare(dir: &Path, listen: Option<&str>) -> Result<Demo> {
    prepare_inner(dir, listen, None)
}

/// [`prepare`] with "today" given rather than read from the clock (for tests and
/// for reproducing a demo of a given day).
pub fn prepare_on(dir: &Path, listen: Option<&str>, today: Date) -> Result<Demo> {
    prepare_inner(dir, listen, Some(today))
}

fn prepare_inner(dir: &Path, listen: Option<&str>, today: Option<Date>) -> Result<Demo> {
    let listen: Option<SocketAddr> = listen
        .map(|l| {
            l.parse().map_err(|_| {
                Error::Invalid(format!(
                    "listen: {l:?} is not an address like 127.0.0.1:8080"
                ))
            })
        })
        .transpose()?;
    let config_path = dir.join("liputan.toml");
    std::fs::create_dir_all(dir).at("creating the demo folder", dir)?;
    match std::fs::read_to_string(&config_path) {
        Ok(text) if text.starts_with(CONFIG_MARK) => {}
        Ok(_) => {
            return Err(Error::Conflict(format!(
                "{} was not written by `liputan demo`; choose another folder for the demo",
                config_path.display()
            )))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut entries = std::fs::read_dir(dir).at("listing", dir)?;
            if entries.next().is_some() {
                return Err(Error::Conflict(format!(
                    "{} is not empty and holds no liputan demo; choose a new or empty folder",
                    dir.display()
                )));
            }
            let text = config_text(listen.unwrap_or(SocketAddr::from(([127, 0, 0, 1], 8080))));
            write_atomically(
                &dir.join(".liputan.toml.new"),
                &config_path,
                text.as_bytes(),
            )?;
        }
        Err(e) => return Err(e).at("reading", &config_path),
    }
    let mut config = Config::load(Some(&config_path)).map_err(|e| Error::Invalid(e.to_string()))?;
    if let Some(listen) = listen {
        config.listen = listen;
    }
    for folder in config.inbox.iter().chain([&config.archive, &config.data]) {
        std::fs::create_dir_all(folder).at("creating", folder)?;
    }
    let catalog = Catalog::open(&config.catalog_path())?;
    let logins = logins();
    let zone = config.zone;
    let (seeded, day, cards) = if is_seeded(&catalog)? {
        let day = seeded_day(&catalog, zone)?
            .unwrap_or_else(|| today.unwrap_or_else(|| zone.to_datetime(Timestamp::now()).date()));
        (false, day, Vec::new())
    } else {
        let day = today.unwrap_or_else(|| zone.to_datetime(Timestamp::now()).date());
        let events = seed_schedule(&catalog, zone, day)?;
        let cards = write_cards(dir, &config, zone, &events)?;
        // Passwords last, the admins' after everyone else's: they mark the demo
        // as complete (see `is_seeded`).
        let mut in_order: Vec<&DemoLogin> = logins.iter().collect();
        in_order.sort_by_key(|l| PEOPLE.iter().any(|p| p.admin && p.username == l.username));
        for login in in_order {
            let hash = crate::auth::hash_password(&login.password)?;
            catalog.set_password(&login.username, &hash)?;
        }
        (true, day, cards)
    };
    Ok(Demo {
        config,
        config_path,
        logins,
        seeded,
        day,
        cards,
    })
}

fn config_text(listen: SocketAddr) -> String {
    format!(
        r#"{CONFIG_MARK} written by `liputan demo`. DEMO ONLY.
#
# A throwaway setup: fictitious people, cameras and events, and demo logins whose
# passwords are public (`demo-<username>`). Never put real files or people here.
# Serve it again with `liputan demo --dir <this folder>` (or
# `liputan --config <this file> serve`). Relative paths are resolved against this
# file's folder; every other key has the default documented in config/liputan.toml.

[paths]
inbox = ["inbox"]
archive = "archive"
data = "data"

[server]
listen = "{listen}"
"#
    )
}

/// Writes `bytes` to `tmp`, then renames it to `dest`: nobody sees half a file.
fn write_atomically(tmp: &Path, dest: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(tmp, bytes).at("writing", tmp)?;
    std::fs::rename(tmp, dest).at("moving into place", dest)
}

// ---- who, what, where --------------------------------------------------------------

struct DemoPerson {
    username: &'static str,
    name: &'static str,
    /// 18 digits for ASN: birth date, appointment month, gender, serial.
    nip: Option<&'static str>,
    role: Role,
    crew: &'static [CrewRole],
    admin: bool,
}

/// The KASI, whose password marks a completely seeded demo.
const KASI: &str = "rahmat";

const PEOPLE: &[DemoPerson] = &[
    DemoPerson {
        username: "frans",
        name: "Drs. Fransiskus Lahang, M.Si.",
        nip: Some("197203141998031003"),
        role: Role::Kadis,
        crew: &[],
        admin: true,
    },
    DemoPerson {
        username: "nurul",
        name: "Hj. Nurul Fadhilah, S.Sos., M.A.P.",
        nip: Some("197811052005012004"),
        role: Role::Kabid,
        crew: &[],
        admin: false,
    },
    DemoPerson {
        username: KASI,
        name: "Rahmat Hidayat, S.I.Kom.",
        nip: Some("198504222010011002"),
        role: Role::Kasi,
        crew: &[],
        admin: true,
    },
    DemoPerson {
        username: "yosef",
        name: "Yosef Ngau Lirung",
        nip: Some("199107182019031004"),
        role: Role::Staf,
        crew: &[CrewRole::Fotografer],
        admin: false,
    },
    DemoPerson {
        username: "aisyah",
        name: "Siti Aisyah Putri",
        nip: Some("199402102020122001"),
        role: Role::Staf,
        crew: &[CrewRole::Fotografer],
        admin: false,
    },
    DemoPerson {
        username: "andi",
        name: "Andi Baso Pratama",
        nip: Some("199009032015031002"),
        role: Role::Staf,
        crew: &[CrewRole::Kameraman],
        admin: false,
    },
    DemoPerson {
        username: "fitri",
        name: "Fitriani Rahmawati",
        nip: Some("199605252022032003"),
        role: Role::Staf,
        crew: &[CrewRole::Reporter],
        admin: false,
    },
    DemoPerson {
        username: "kevin",
        name: "Kevin Tanujaya, S.Kom.",
        nip: None,
        role: Role::TenagaAhli,
        crew: &[],
        admin: false,
    },
];

/// The coverage team: on the roster.
const TEAM: [&str; 4] = ["yosef", "aisyah", "andi", "fitri"];

fn password_of(username: &str) -> String {
    let mut password = format!("demo-{username}");
    while password.chars().count() < crate::auth::MIN_PASSWORD_CHARS {
        password.push('0');
    }
    password
}

fn logins() -> Vec<DemoLogin> {
    PEOPLE
        .iter()
        .map(|p| DemoLogin {
            username: p.username.to_owned(),
            password: password_of(p.username),
            role: p.role,
            name: p.name.to_owned(),
        })
        .collect()
}

struct DemoCamera {
    owner: &'static str,
    make: &'static str,
    model: &'static str,
    serial: &'static str,
    lens: &'static str,
    /// Camera clock minus true time, as registered.
    clock_offset_seconds: i64,
    /// The card's folder and file names: `DCIM/100CANON/IMG_4821.JPG`.
    folder: &'static str,
    prefix: &'static str,
    digits: usize,
    first_number: u32,
    /// Phone-assisted GPS (Nikon SnapBridge) in its files.
    gps: bool,
}

const CAMERAS: &[DemoCamera] = &[
    DemoCamera {
        owner: "yosef",
        make: "Canon",
        model: "Canon EOS R6 Mark II",
        serial: "082031004417",
        lens: "RF24-105mm F4 L IS USM",
        clock_offset_seconds: 0,
        folder: "DCIM/100CANON",
        prefix: "IMG_",
        digits: 4,
        first_number: 4821,
        gps: false,
    },
    DemoCamera {
        owner: "aisyah",
        make: "NIKON CORPORATION",
        model: "NIKON Z 6_2",
        serial: "6034517",
        lens: "NIKKOR Z 24-70mm f/4 S",
        clock_offset_seconds: 0,
        folder: "DCIM/100NZ6_2",
        prefix: "DSC_",
        digits: 4,
        first_number: 1203,
        gps: true,
    },
    DemoCamera {
        owner: "andi",
        make: "SONY",
        model: "ILCE-7M4",
        serial: "5293714",
        lens: "FE 24-105mm F4 G OSS",
        // Five minutes fast, and known to be: matching corrects it.
        clock_offset_seconds: 300,
        folder: "DCIM/100MSDCF",
        prefix: "DSC",
        digits: 5,
        first_number: 702,
        gps: false,
    },
];

#[derive(Clone, Copy, PartialEq, Eq)]
enum When {
    Today,
    Tomorrow,
}

struct DemoEvent {
    when: When,
    starts: (i8, i8),
    ends: (i8, i8),
    title: &'static str,
    leader: Leader,
    location: &'static str,
    out_of_town: bool,
    source: &'static str,
    place: (f64, f64),
    crew: &'static [(&'static str, CrewRole)],
    /// What its photos show.
    scene: Scene,
}

const EVENTS: &[DemoEvent] = &[
    DemoEvent {
        when: When::Today,
        starts: (8, 0),
        ends: (10, 0),
        title: "Pembukaan Pameran UMKM dan Ekonomi Kreatif Kalimantan Utara",
        leader: Leader::Gubernur,
        location: "Gedung Gabungan Dinas (Gadis), Tanjung Selor",
        out_of_town: false,
        source: "Protokol Setda Provinsi Kalimantan Utara",
        place: (2.8406, 117.3668),
        crew: &[
            ("yosef", CrewRole::Fotografer),
            ("andi", CrewRole::Kameraman),
            ("fitri", CrewRole::Reporter),
        ],
        scene: Scene::Ceremony,
    },
    DemoEvent {
        when: When::Today,
        starts: (13, 0),
        ends: (15, 0),
        title: "Rapat Koordinasi Percepatan Penurunan Stunting",
        leader: Leader::Sekda,
        location: "Ruang Rapat Lantai 2 Kantor Gubernur Kalimantan Utara, Tanjung Selor",
        out_of_town: false,
        source: "Ajudan Sekda",
        place: (2.8453, 117.3712),
        crew: &[
            ("aisyah", CrewRole::Fotografer),
            ("fitri", CrewRole::Reporter),
        ],
        scene: Scene::Meeting,
    },
    DemoEvent {
        when: When::Tomorrow,
        starts: (8, 30),
        ends: (10, 30),
        title: "Penyerahan Bantuan Alat Tangkap kepada Kelompok Nelayan",
        leader: Leader::WakilGubernur,
        location: "Pelabuhan Kayan II, Tanjung Selor",
        out_of_town: false,
        source: "Dinas Kelautan dan Perikanan",
        place: (2.8350, 117.3790),
        crew: &[("yosef", CrewRole::Fotografer)],
        scene: Scene::Ceremony,
    },
    DemoEvent {
        when: When::Tomorrow,
        starts: (10, 0),
        ends: (15, 0),
        title: "Kunjungan Kerja Gubernur ke Kabupaten Nunukan: Peninjauan Pelabuhan Tunon Taka",
        leader: Leader::Gubernur,
        location: "Pelabuhan Tunon Taka, Nunukan",
        out_of_town: true,
        source: "Protokol Setda Provinsi Kalimantan Utara",
        place: (4.1357, 117.6658),
        crew: &[
            ("aisyah", CrewRole::Fotografer),
            ("andi", CrewRole::Kameraman),
            ("fitri", CrewRole::Reporter),
        ],
        scene: Scene::Ceremony,
    },
    DemoEvent {
        when: When::Tomorrow,
        starts: (14, 0),
        ends: (15, 30),
        title: "Sosialisasi Keterbukaan Informasi Publik bagi PPID Pembantu",
        leader: Leader::Kadis,
        location: "Aula DKISP Kalimantan Utara, Tanjung Selor",
        out_of_town: false,
        source: "Sekretariat DKISP",
        place: (2.8421, 117.3690),
        crew: &[("yosef", CrewRole::Fotografer)],
        scene: Scene::Meeting,
    },
];

/// A wall-clock time: hours, minutes, seconds.
type Clock = (i8, i8, i8);

/// What a card holds: stills at these true times (hh, mm, ss) of today's events,
/// by camera; the camera's clock offset is added when written.
const SHOTS: &[(&str, usize, &[Clock])] = &[
    (
        "yosef",
        0,
        &[
            (8, 6, 12),
            (8, 14, 40),
            (8, 21, 3),
            (8, 33, 57),
            (8, 47, 25),
            (9, 12, 8),
        ],
    ),
    ("andi", 0, &[(8, 18, 30), (9, 2, 44)]),
    (
        "aisyah",
        1,
        &[
            (13, 4, 51),
            (13, 16, 20),
            (13, 29, 2),
            (13, 52, 37),
            (14, 18, 45),
        ],
    ),
];

/// The videographer's clip: event index, true start time, length.
const CLIP: (&str, usize, Clock, u64) = ("andi", 0, (8, 40, 5), 45_000);

// ---- seeding -----------------------------------------------------------------------

/// A demo is complete once its KASI exists and an admin has a password: admins'
/// passwords are set last, after the cards are written.
fn is_seeded(catalog: &Catalog) -> Result<bool> {
    Ok(catalog.person(KASI)?.is_some() && catalog.has_admin()?)
}

/// The day a reused demo was seeded for: that of its first event.
fn seeded_day(catalog: &Catalog, zone: Offset) -> Result<Option<Date>> {
    let all = catalog.events_between(i64::MIN / 2, i64::MAX / 2)?;
    Ok(all
        .iter()
        .find(|e| e.title == EVENTS[0].title)
        .map(|e| zone.to_datetime(e.starts_at).date()))
}

fn at(zone: Offset, day: Date, (h, m, s): Clock) -> Result<Timestamp> {
    zone.to_timestamp(day.at(h, m, s, 0))
        .map_err(|e| Error::Invalid(format!("demo day {day}: {e}")))
}

fn tomorrow(day: Date) -> Result<Date> {
    day.tomorrow()
        .map_err(|e| Error::Invalid(format!("demo day {day}: {e}")))
}

/// People, cameras, roster, events and assignments; each step skips what a
/// previous, interrupted run already made. Returns the events of [`EVENTS`], in order.
fn seed_schedule(catalog: &Catalog, zone: Offset, day: Date) -> Result<Vec<Event>> {
    for p in PEOPLE {
        check_username("username", p.username)?;
        if let Some(nip) = p.nip {
            check_nip(nip)?;
        }
        if catalog.person(p.username)?.is_none() {
            catalog.add_person(&Person {
                username: p.username.to_owned(),
                name: p.name.to_owned(),
                nip: p.nip.map(str::to_owned),
                role: p.role,
                crew_roles: p.crew.to_vec(),
                is_admin: p.admin,
            })?;
        }
    }
    for c in CAMERAS {
        if catalog.camera(c.serial)?.is_none() {
            catalog.add_camera(&Camera {
                serial: c.serial.to_owned(),
                make: Some(c.make.to_owned()),
                model: Some(c.model.to_owned()),
                owner: c.owner.to_owned(),
                clock_offset_seconds: c.clock_offset_seconds,
                offset_source: (c.clock_offset_seconds != 0).then(|| "manual".to_owned()),
            })?;
        }
    }
    let next = tomorrow(day)?;
    catalog.set_roster(&roster(day, next)?)?;

    let from = at(zone, day, (0, 0, 0))?;
    let to = from
        .checked_add(SignedDuration::from_hours(48))
        .map_err(|e| Error::Invalid(format!("demo day {day}: {e}")))?;
    let existing = catalog.events_between(from.as_millisecond(), to.as_millisecond())?;
    let mut events = Vec::with_capacity(EVENTS.len());
    for e in EVENTS {
        let date = if e.when == When::Today { day } else { next };
        let starts_at = at(zone, date, (e.starts.0, e.starts.1, 0))?;
        let ends_at = at(zone, date, (e.ends.0, e.ends.1, 0))?;
        let found = existing
            .iter()
            .find(|x| x.title == e.title && x.starts_at == starts_at);
        let event = match found {
            Some(event) => event.clone(),
            None => {
                let mut event = Event {
                    id: 0,
                    title: e.title.to_owned(),
                    leader: e.leader,
                    location: e.location.to_owned(),
                    starts_at,
                    ends_at,
                    zone_seconds: zone.seconds(),
                    out_of_town: e.out_of_town,
                    source: Some(e.source.to_owned()),
                    lat: Some(e.place.0),
                    lon: Some(e.place.1),
                };
                event.id = catalog.add_event(&event)?;
                event
            }
        };
        if catalog.assignments_of_event(event.id)?.is_empty() {
            let crew: Vec<CrewMember> = e
                .crew
                .iter()
                .map(|&(username, role)| CrewMember {
                    username: username.to_owned(),
                    role,
                })
                .collect();
            let slug = crate::ingest::layout::slug(&event.title);
            catalog.add_assignment(event.id, &slug, &crew, AssignmentStatus::Assigned)?;
        }
        events.push(event);
    }
    Ok(events)
}

/// The month of `day`, and `next` (which may be in the next month): on weekdays
/// the whole team, on weekends two of them in turn; on `day` and `next` at least
/// everyone assigned that day.
fn roster(day: Date, next: Date) -> Result<Vec<(String, Vec<String>)>> {
    let mut days: Vec<Date> = (1..=day.days_in_month())
        .filter_map(|d| Date::new(day.year(), day.month(), d).ok())
        .collect();
    if next.month() != day.month() {
        days.push(next);
    }
    let mut out = Vec::with_capacity(days.len());
    for date in days {
        let weekend = matches!(
            date.weekday(),
            jiff::civil::Weekday::Saturday | jiff::civil::Weekday::Sunday
        );
        let mut on_duty: Vec<String> = if !weekend {
            TEAM.iter().map(|u| (*u).to_owned()).collect()
        } else if date.day() % 2 == 0 {
            vec!["yosef".into(), "fitri".into()]
        } else {
            vec!["aisyah".into(), "andi".into()]
        };
        for e in EVENTS {
            let assigned_that_day = match e.when {
                When::Today => date == day,
                When::Tomorrow => date == next,
            };
            if assigned_that_day {
                for (username, _) in e.crew {
                    if !on_duty.iter().any(|u| u == username) {
                        on_duty.push((*username).to_owned());
                    }
                }
            }
        }
        on_duty.sort();
        out.push((date.to_string(), on_duty));
    }
    Ok(out)
}

// ---- card dumps --------------------------------------------------------------------

/// "+08:00" for EXIF's OffsetTime tags.
fn exif_offset(zone: Offset) -> String {
    let seconds = zone.seconds();
    let sign = if seconds < 0 { '-' } else { '+' };
    let minutes = seconds.unsigned_abs() / 60;
    format!("{sign}{:02}:{:02}", minutes / 60, minutes % 60)
}

/// Writes the card dumps of today's events into `<inbox>/<username>/...`, each file
/// staged in `DIR/.demo-staging` and renamed into place; files already there are
/// kept. Returns the files written.
fn write_cards(
    dir: &Path,
    config: &Config,
    zone: Offset,
    events: &[Event],
) -> Result<Vec<PathBuf>> {
    let inbox = config
        .inbox
        .first()
        .ok_or_else(|| Error::Invalid("paths.inbox: no inbox folder".into()))?;
    let staging = dir.join(".demo-staging");
    std::fs::create_dir_all(&staging).at("creating", &staging)?;
    let mut written = Vec::new();
    let mut put = |relative: String, bytes: &[u8]| -> Result<()> {
        let dest = inbox.join(relative);
        if std::fs::symlink_metadata(&dest).is_ok() {
            return Ok(());
        }
        if let Some(parent) = dest.parent() {
            std::fs::create_dir_all(parent).at("creating", parent)?;
        }
        let name = dest.file_name().unwrap_or_default().to_string_lossy();
        write_atomically(&staging.join(name.as_ref()), &dest, bytes)?;
        written.push(dest);
        Ok(())
    };
    let offset_text = exif_offset(zone);
    for (ci, camera) in CAMERAS.iter().enumerate() {
        let person = PEOPLE.iter().find(|p| p.username == camera.owner);
        let mut number = camera.first_number;
        for &(owner, event_index, times) in SHOTS {
            if owner != camera.owner {
                continue;
            }
            let Some(event) = events.get(event_index) else {
                continue;
            };
            let day = zone.to_datetime(event.starts_at).date();
            let scene = EVENTS[event_index].scene;
            for (si, &time) in times.iter().enumerate() {
                let true_time = at(zone, day, time)?;
                let shown = zone.to_datetime(
                    true_time
                        .checked_add(SignedDuration::from_secs(camera.clock_offset_seconds))
                        .unwrap_or(true_time),
                );
                let seed = (ci as u64) << 32 | (event_index as u64) << 16 | si as u64;
                let gps = camera.gps.then(|| {
                    let (lat, lon) = EVENTS[event_index].place;
                    // A few tens of metres around the venue, as phones report it.
                    (
                        lat + 0.0003 * (si as f64 - 2.0),
                        lon - 0.0002 * (si as f64 - 1.5),
                    )
                });
                let spec = SynthPhoto {
                    width: 640,
                    height: 427,
                    captured: Some(shown.strftime("%Y:%m:%d %H:%M:%S").to_string()),
                    subsec: Some(format!("{:02}", (seed * 37 + 11) % 100)),
                    offset: Some(offset_text.clone()),
                    make: Some(camera.make.to_owned()),
                    model: Some(camera.model.to_owned()),
                    serial: Some(camera.serial.to_owned()),
                    gps,
                    orientation: Some(1),
                    seed,
                };
                let text = SynthText {
                    artist: person.map(|p| p.name.to_owned()),
                    copyright: Some("DKISP Provinsi Kalimantan Utara (demo)".to_owned()),
                    description: None,
                    lens: Some(camera.lens.to_owned()),
                };
                let bytes = synth::scene_jpeg(&spec, scene, &text);
                let name = format!(
                    "{}{:0width$}.JPG",
                    camera.prefix,
                    number,
                    width = camera.digits
                );
                put(format!("{}/{}/{name}", camera.owner, camera.folder), &bytes)?;
                number += 1;
            }
        }
    }
    let (owner, event_index, time, duration_ms) = CLIP;
    if let (Some(event), Some(camera)) = (
        events.get(event_index),
        CAMERAS.iter().find(|c| c.owner == owner),
    ) {
        let day = zone.to_datetime(event.starts_at).date();
        let shown = at(zone, day, time)?
            .checked_add(SignedDuration::from_secs(camera.clock_offset_seconds))
            .map_err(|e| Error::Invalid(format!("demo clip: {e}")))?;
        let bytes = synth::mp4(shown, duration_ms, 1920, 1080);
        put(format!("{owner}/PRIVATE/M4ROOT/CLIP/C0001.MP4"), &bytes)?;
    }
    std::fs::remove_dir(&staging).at("removing", &staging)?;
    Ok(written)
}
