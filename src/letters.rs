//! Surat Tugas (SOP step 5) and the daily schedule report (SOP step 3): the
//! letter number from its pattern, NIP grouping, who may sign, and the layout
//! of both PDFs (drawn with `crate::pdf`).
//!
//! What it owns: the rules and the paper. Not here: the per-year sequence and
//! the letter records (`catalog::letters`, one IMMEDIATE transaction), HTTP
//! (`web::letters`), pages (`web::pages::letters`).
//!
//! Signing rule (`design.md`, "sign an out-of-town letter: kadis only"): anyone
//! who may manage the schedule (KADIS, KABID, KASI) may *prepare* a letter, but
//! an out-of-town letter must name a **KADIS as signer**; any other signer is
//! refused with a 400 naming `signer`. An in-town letter may be signed by a
//! KADIS, KABID or KASI; a non-KADIS signs "a.n." (on behalf of) the Kepala Dinas.

use std::path::PathBuf;

use crate::dates::{date_in, day_name, plain_date, time_of_day, zone_label};
use crate::error::{Error, Result};
use crate::pdf::{mm, Document, Font, PageSize};
use crate::schedule::{Event, Role};

/// Paper of letters and reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Paper {
    A4,
    F4,
}

impl Paper {
    pub fn page_size(self) -> PageSize {
        match self {
            Paper::A4 => PageSize::A4,
            Paper::F4 => PageSize::F4,
        }
    }
}

/// The font family of letters: Times (Times-Roman/Bold) or Helvetica (the
/// standard stand-in for Arial).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    Times,
    Helvetica,
}

impl Family {
    fn regular(self) -> Font {
        match self {
            Family::Times => Font::TimesRoman,
            Family::Helvetica => Font::Helvetica,
        }
    }
    fn bold(self) -> Font {
        match self {
            Family::Times => Font::TimesBold,
            Family::Helvetica => Font::HelveticaBold,
        }
    }
}

/// `[letter]` of the config, checked.
#[derive(Debug, Clone, PartialEq)]
pub struct LetterSettings {
    pub paper: Paper,
    pub font: Family,
    /// Font size of the body, points.
    pub font_size: f32,
    /// `{klasifikasi}/{urut}/{unit}/{tahun}` and friends (see [`number`]).
    pub number_pattern: String,
    pub klasifikasi: String,
    pub unit: String,
    /// Zero-padded width of `{urut}`.
    pub urut_digits: usize,
    /// Kop lines: the government, the agency (both bold), then address lines.
    pub government: String,
    pub agency: String,
    pub address: Vec<String>,
    /// A JPEG drawn at the left of the kop.
    pub logo: Option<PathBuf>,
    pub title: String,
    /// `MEMBERI TUGAS` or `MEMERINTAHKAN`.
    pub diktum: String,
    /// Legal bases; the event's agenda (and its source) is added as the last one.
    pub dasar: Vec<String>,
    /// Duties after the first (the first is the coverage itself, from the event).
    pub untuk: Vec<String>,
    /// Where letters are issued ("Tanjung Selor").
    pub place: String,
    /// Username of the default signer; `None`: the first active KADIS.
    pub signer: Option<String>,
    /// The Kepala Dinas' title in the signature block (no trailing comma).
    pub signer_title: String,
    /// Copies ("Tembusan"), bottom left; none when empty.
    pub tembusan: Vec<String>,
}

impl Default for LetterSettings {
    fn default() -> Self {
        LetterSettings {
            paper: Paper::F4,
            font: Family::Times,
            font_size: 12.0,
            number_pattern: "{klasifikasi}/{urut}/{unit}/{tahun}".into(),
            klasifikasi: "000.1.2.3".into(),
            unit: "DKISP".into(),
            urut_digits: 4,
            government: "PEMERINTAH PROVINSI KALIMANTAN UTARA".into(),
            agency: "DINAS KOMUNIKASI, INFORMATIKA, STATISTIK DAN PERSANDIAN".into(),
            address: vec!["Tanjung Selor".into()],
            logo: None,
            title: "SURAT TUGAS".into(),
            diktum: "MEMBERI TUGAS".into(),
            dasar: Vec::new(),
            untuk: Vec::new(),
            place: "Tanjung Selor".into(),
            signer: None,
            signer_title: "KEPALA DINAS".into(),
            tembusan: Vec::new(),
        }
    }
}

/// Placeholders a number pattern may use.
pub const PLACEHOLDERS: [&str; 5] = ["{klasifikasi}", "{urut}", "{unit}", "{tahun}", "{bulan}"];

/// Checks a number pattern: it must hold `{urut}` (else numbers would repeat)
/// and no placeholder but [`PLACEHOLDERS`].
pub fn check_pattern(pattern: &str) -> std::result::Result<(), String> {
    if !pattern.contains("{urut}") {
        return Err("must contain {urut}, the per-year sequence number".into());
    }
    let mut rest = pattern;
    while let Some(start) = rest.find('{') {
        let Some(len) = rest[start..].find('}') else {
            return Err("has a '{' without its '}'".into());
        };
        let name = &rest[start..start + len + 1];
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "unknown placeholder {name} (known: {})",
                PLACEHOLDERS.join(" ")
            ));
        }
        rest = &rest[start + len + 1..];
    }
    if pattern.chars().any(char::is_control) || pattern.chars().count() > 100 {
        return Err("at most 100 characters, no control characters".into());
    }
    Ok(())
}

/// The letter number: the pattern with `{urut}` zero-padded, `{tahun}` the
/// year, `{bulan}` the month in Roman numerals (as some agencies write it).
pub fn number(settings: &LetterSettings, seq: i64, year: i16, month: i8) -> String {
    settings
        .number_pattern
        .replace("{klasifikasi}", &settings.klasifikasi)
        .replace("{unit}", &settings.unit)
        .replace("{tahun}", &year.to_string())
        .replace("{bulan}", roman(month))
        .replace(
            "{urut}",
            &format!("{:0width$}", seq, width = settings.urut_digits),
        )
}

fn roman(month: i8) -> &'static str {
    const R: [&str; 12] = [
        "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
    ];
    R[(month.clamp(1, 12) - 1) as usize]
}

/// `198609262015051001` -> `19860926 201505 1 001`; anything that is not 18
/// digits comes back as it was (trimmed), an empty one as `-`.
pub fn group_nip(nip: Option<&str>) -> String {
    let Some(nip) = nip.map(|n| n.replace(' ', "")).filter(|n| !n.is_empty()) else {
        return "-".into();
    };
    if nip.len() == 18 && nip.bytes().all(|b| b.is_ascii_digit()) {
        format!(
            "{} {} {} {}",
            &nip[0..8],
            &nip[8..14],
            &nip[14..15],
            &nip[15..18]
        )
    } else {
        nip
    }
}

/// Whether `signer` may sign a letter for an event `out_of_town` or not.
pub fn check_signer(out_of_town: bool, signer: &Official) -> Result<()> {
    if signer.disabled {
        return Err(Error::Invalid(format!(
            "signer: {} is disabled",
            signer.username
        )));
    }
    if out_of_town && signer.role != Role::Kadis {
        return Err(Error::Invalid(format!(
            "signer: an out-of-town letter must be signed by the Kepala Dinas (role kadis); {} is {}",
            signer.username,
            signer.role.label()
        )));
    }
    if !matches!(signer.role, Role::Kadis | Role::Kabid | Role::Kasi) {
        return Err(Error::Invalid(format!(
            "signer: {} is {}; a letter is signed by a kadis, kabid or kasi",
            signer.username,
            signer.role.label()
        )));
    }
    Ok(())
}

/// A person as a letter names them.
#[derive(Debug, Clone, PartialEq)]
pub struct Official {
    pub username: String,
    pub name: String,
    pub nip: Option<String>,
    pub role: Role,
    pub pangkat: Option<String>,
    pub jabatan: Option<String>,
    pub disabled: bool,
}

/// One crew member on the letter.
#[derive(Debug, Clone, PartialEq)]
pub struct Assignee {
    pub person: Official,
    /// "Fotografer", "Kameraman", "Reporter".
    pub crew_role: String,
}

/// Everything one Surat Tugas shows.
#[derive(Debug, Clone)]
pub struct Letter {
    pub number: String,
    pub issued_on: jiff::civil::Date,
    pub event: Event,
    pub crew: Vec<Assignee>,
    pub signer: Official,
    pub zone: jiff::tz::Offset,
    /// The province's name after leaders' titles ("Kalimantan Utara").
    pub region: String,
}

/// Page geometry and a cursor that moves down, starting new pages as needed.
struct Sheet {
    doc: Document,
    page: usize,
    y: f32,
    left: f32,
    right: f32,
    top: f32,
    bottom: f32,
}

impl Sheet {
    fn new(size: PageSize, left: f32, right_margin: f32) -> Sheet {
        let mut doc = Document::new(size);
        let (w, h) = doc.page_size();
        doc.add_page();
        Sheet {
            doc,
            page: 0,
            y: h - mm(15.0),
            left,
            right: w - right_margin,
            top: h - mm(20.0),
            bottom: mm(20.0),
        }
    }

    fn page(&mut self) -> &mut crate::pdf::Page {
        self.doc.page_mut(self.page).expect("current page exists")
    }

    /// Makes room for `h` points below the cursor, on a new page if needed.
    fn need(&mut self, h: f32) {
        if self.y - h < self.bottom {
            self.doc.add_page();
            self.page += 1;
            self.y = self.top;
        }
    }

    fn text(&mut self, font: Font, size: f32, x: f32, text: &str) {
        let y = self.y;
        self.page().text(font, size, x, y, text);
    }

    fn centered(&mut self, font: Font, size: f32, text: &str) {
        let (y, cx) = (self.y, (self.left + self.right) / 2.0);
        self.page().text_centered(font, size, cx, y, text);
    }

    /// A wrapped block at `x` to the right edge; moves the cursor past it.
    fn wrapped(&mut self, font: Font, size: f32, x: f32, leading: f32, text: &str) {
        let width = self.right - x;
        for line in font.wrap(text, size, width) {
            self.need(leading);
            self.text(font, size, x, &line);
            self.y -= leading;
        }
    }

    /// A numbered list item: `n.` at `x`, text wrapped at `x + indent`.
    fn item(&mut self, font: Font, size: f32, x: f32, indent: f32, n: usize, text: &str) {
        let leading = size * 1.25;
        self.need(leading);
        self.text(font, size, x, &format!("{n}."));
        self.wrapped(font, size, x + indent, leading, text);
    }
}

/// Loads the logo named in the settings, if any.
pub fn load_logo(settings: &LetterSettings) -> Result<Option<Vec<u8>>> {
    let Some(path) = &settings.logo else {
        return Ok(None);
    };
    let bytes = std::fs::read(path)
        .map_err(|e| Error::Invalid(format!("letter.logo: cannot read {}: {e}", path.display())))?;
    crate::pdf::jpeg_dimensions(&bytes)
        .map_err(|e| Error::Invalid(format!("letter.logo: {}: {e}", path.display())))?;
    Ok(Some(bytes))
}

/// Draws the kop (logo, government, agency, address) and its double rule.
fn kop(sheet: &mut Sheet, settings: &LetterSettings, logo: Option<&[u8]>) {
    let fam = settings.font;
    let top = sheet.y;
    let logo_w = mm(22.0);
    let mut text_left = sheet.left;
    let mut logo_bottom = top;
    if let Some(bytes) = logo {
        if let Ok((w, h, _)) = crate::pdf::jpeg_dimensions(bytes) {
            let logo_h = logo_w * h as f32 / w.max(1) as f32;
            let (x, y) = (sheet.left, top - logo_h + 4.0);
            if sheet.page().image(bytes, x, y, logo_w, logo_h).is_ok() {
                text_left = sheet.left + logo_w + mm(3.0);
                logo_bottom = y;
            }
        }
    }
    let cx = (text_left + sheet.right) / 2.0;
    let width = sheet.right - text_left;
    sheet.y -= 10.0;
    for (font, size, line) in [
        (fam.bold(), 14.0, settings.government.as_str()),
        (fam.bold(), 14.0, settings.agency.as_str()),
    ] {
        for l in font.wrap(line, size, width) {
            let y = sheet.y;
            sheet.page().text_centered(font, size, cx, y, &l);
            sheet.y -= size * 1.2;
        }
    }
    for line in &settings.address {
        for l in fam.regular().wrap(line, 10.0, width) {
            let y = sheet.y;
            sheet.page().text_centered(fam.regular(), 10.0, cx, y, &l);
            sheet.y -= 12.0;
        }
    }
    sheet.y = sheet.y.min(logo_bottom) - 2.0;
    let (l, r, y) = (sheet.left, sheet.right, sheet.y);
    sheet.page().line(l, y, r, y, 2.0);
    sheet.page().line(l, y - 3.0, r, y - 3.0, 0.6);
    sheet.y -= 3.0;
}

/// The Surat Tugas as a PDF.
pub fn render_letter(settings: &LetterSettings, letter: &Letter, logo: Option<&[u8]>) -> Vec<u8> {
    let fam = settings.font;
    let size = settings.font_size;
    let leading = size * 1.25;
    let (reg, bold) = (fam.regular(), fam.bold());
    let mut sheet = Sheet::new(settings.paper.page_size(), mm(25.0), mm(20.0));
    sheet
        .doc
        .set_title(&format!("{} {}", settings.title, letter.number));
    kop(&mut sheet, settings, logo);

    // Title and number.
    sheet.y -= 24.0;
    sheet.centered(bold, size + 2.0, &settings.title);
    let tw = bold.width(&settings.title, size + 2.0);
    let (cx, y) = ((sheet.left + sheet.right) / 2.0, sheet.y - 2.0);
    sheet.page().line(cx - tw / 2.0, y, cx + tw / 2.0, y, 0.8);
    sheet.y -= leading;
    sheet.centered(reg, size, &format!("NOMOR : {}", letter.number));
    sheet.y -= leading * 2.0;

    let x0 = sheet.left;
    let colon = x0 + 58.0;
    let items = x0 + 66.0;
    let indent = 16.0;

    // Dasar.
    let zone = letter.zone;
    let event = &letter.event;
    let day = date_in(event.starts_at, zone);
    let mut dasar = settings.dasar.clone();
    let leader = leader_title(event, &letter.region);
    let mut agenda = format!("Agenda kegiatan {leader} tanggal {}", plain_date(day));
    if let Some(source) = event.source.as_deref().filter(|s| !s.trim().is_empty()) {
        agenda.push_str(&format!(" yang diterima dari {}", source.trim()));
    }
    agenda.push('.');
    dasar.push(agenda);
    sheet.need(leading);
    sheet.text(reg, size, x0, "Dasar");
    sheet.text(reg, size, colon, ":");
    for (i, d) in dasar.iter().enumerate() {
        sheet.item(reg, size, items, indent, i + 1, d);
    }

    // Diktum.
    sheet.y -= leading * 0.6;
    sheet.need(leading * 2.0);
    sheet.centered(bold, size, &settings.diktum);
    sheet.y -= leading * 1.6;

    // Kepada.
    let label = items + indent;
    let value = label + 86.0;
    sheet.need(leading);
    sheet.text(reg, size, x0, "Kepada");
    sheet.text(reg, size, colon, ":");
    if letter.crew.is_empty() {
        sheet.text(reg, size, items, "-");
        sheet.y -= leading;
    }
    for (i, a) in letter.crew.iter().enumerate() {
        sheet.need(leading * 4.0);
        sheet.text(reg, size, items, &format!("{}.", i + 1));
        let p = &a.person;
        let jabatan = match p.jabatan.as_deref().filter(|j| !j.trim().is_empty()) {
            Some(j) => format!("{} / {}", j.trim(), a.crew_role),
            None => a.crew_role.clone(),
        };
        let rows = [
            ("Nama", letter_name(&p.name), bold),
            ("NIP", group_nip(p.nip.as_deref()), reg),
            ("Pangkat/Gol.", dash(p.pangkat.as_deref()), reg),
            ("Jabatan", jabatan, reg),
        ];
        for (l, v, font) in rows {
            sheet.need(leading);
            sheet.text(reg, size, label, l);
            sheet.text(reg, size, value - 8.0, ":");
            sheet.wrapped(font, size, value, leading, &v);
        }
        sheet.y -= leading * 0.3;
    }

    // Untuk.
    sheet.y -= leading * 0.5;
    let start = event.starts_at;
    let end_day = date_in(event.ends_at, zone);
    let when = if end_day == day {
        format!(
            "pada hari {}, tanggal {}, pukul {} s.d. {} {}",
            day_name(day),
            plain_date(day),
            time_of_day(start, zone),
            time_of_day(event.ends_at, zone),
            zone_label(zone)
        )
    } else {
        format!(
            "pada hari {} s.d. {}, tanggal {} s.d. {}, mulai pukul {} {}",
            day_name(day),
            day_name(end_day),
            plain_date(day),
            plain_date(end_day),
            time_of_day(start, zone),
            zone_label(zone)
        )
    };
    let mut untuk = vec![format!(
        "Melaksanakan peliputan dan dokumentasi (foto, video, dan berita) kegiatan {leader}: {}, {when}, bertempat di {}{};",
        event.title.trim(),
        event.location.trim(),
        if event.out_of_town { " (luar kota)" } else { "" }
    )];
    untuk.extend(settings.untuk.iter().cloned());
    sheet.need(leading);
    sheet.text(reg, size, x0, "Untuk");
    sheet.text(reg, size, colon, ":");
    for (i, u) in untuk.iter().enumerate() {
        sheet.item(reg, size, items, indent, i + 1, u);
    }

    // Kaki: place and date, signer.
    sheet.y -= leading * 0.5;
    let block = (sheet.left + sheet.right) / 2.0 + 10.0;
    let signer = &letter.signer;
    let mut title_lines = Vec::new();
    if signer.role == Role::Kadis {
        title_lines.push(format!("{},", settings.signer_title.trim_end_matches(',')));
    } else {
        title_lines.push(format!(
            "a.n. {},",
            settings.signer_title.trim_end_matches(',')
        ));
        let own = signer
            .jabatan
            .clone()
            .filter(|j| !j.trim().is_empty())
            .unwrap_or_else(|| signer.role.label().to_owned());
        title_lines.push(format!("{},", own.to_uppercase().trim_end_matches(',')));
    }
    let width = sheet.right - block;
    let wrapped_title: Vec<String> = title_lines
        .iter()
        .flat_map(|t| reg.wrap(t, size, width))
        .collect();
    // Place and date (2.5), the title, the signature space (3.5), name, pangkat, NIP.
    let block_h = leading * (9.0 + wrapped_title.len() as f32);
    sheet.need(block_h);
    sheet.text(
        reg,
        size,
        block,
        &format!("Dikeluarkan di {},", settings.place),
    );
    sheet.y -= leading;
    sheet.text(
        reg,
        size,
        block,
        &format!("pada tanggal {}", plain_date(letter.issued_on)),
    );
    sheet.y -= leading * 1.5;
    for t in &wrapped_title {
        sheet.text(reg, size, block, t);
        sheet.y -= leading;
    }
    sheet.y -= leading * 3.5;
    let name = letter_name(&signer.name);
    sheet.text(bold, size, block, &name);
    let nw = bold.width(&name, size);
    let y = sheet.y - 1.5;
    sheet.page().line(block, y, block + nw, y, 0.6);
    sheet.y -= leading;
    if let Some(p) = signer.pangkat.as_deref().filter(|p| !p.trim().is_empty()) {
        sheet.text(reg, size, block, p.trim());
        sheet.y -= leading;
    }
    if signer.nip.as_deref().is_some_and(|n| !n.trim().is_empty()) {
        sheet.text(
            reg,
            size,
            block,
            &format!("NIP {}", group_nip(signer.nip.as_deref())),
        );
        sheet.y -= leading;
    }

    if !settings.tembusan.is_empty() {
        sheet.y -= leading;
        sheet.need(leading * 2.0);
        sheet.text(reg, size - 1.0, x0, "Tembusan:");
        sheet.y -= leading;
        for (i, t) in settings.tembusan.iter().enumerate() {
            sheet.item(reg, size - 1.0, x0, 14.0, i + 1, t);
        }
    }
    sheet.doc.finish()
}

/// A name as letters print it: the name in capitals, academic and other
/// titles as written ("Drs. FRANSISKUS LAHANG, M.Si.", "ANDI PRATAMA, S.I.Kom.").
pub fn letter_name(name: &str) -> String {
    let (main, degrees) = match name.find(',') {
        Some(i) => name.split_at(i),
        None => (name, ""),
    };
    let mut words = Vec::new();
    let mut in_prefix = true;
    for w in main.split_whitespace() {
        in_prefix = in_prefix && w.ends_with('.');
        words.push(if in_prefix {
            w.to_owned()
        } else {
            w.to_uppercase()
        });
    }
    format!("{}{}", words.join(" "), degrees)
}

fn dash(v: Option<&str>) -> String {
    v.map(str::trim)
        .filter(|v| !v.is_empty())
        .unwrap_or("-")
        .to_owned()
}

/// "Gubernur Kalimantan Utara", "Sekretaris Daerah Provinsi Kalimantan Utara",
/// "Kepala Dinas"; "pimpinan" for other leaders.
fn leader_title(event: &Event, region: &str) -> String {
    use crate::schedule::Leader::*;
    let region = region.trim();
    match event.leader {
        Gubernur | WakilGubernur if !region.is_empty() => {
            format!("{} {region}", event.leader.label())
        }
        Sekda if !region.is_empty() => format!("Sekretaris Daerah Provinsi {region}"),
        Lainnya => "pimpinan".into(),
        other => other.label().to_owned(),
    }
}

/// One assignment on the daily report.
#[derive(Debug, Clone)]
pub struct DailyAssignment {
    pub id: i64,
    pub status: String,
    /// (name, crew role label, on duty that day).
    pub crew: Vec<(String, String, bool)>,
    /// The live letter's number.
    pub letter: Option<String>,
}

/// One event on the daily report.
#[derive(Debug, Clone)]
pub struct DailyEvent {
    pub id: i64,
    /// "08.00–10.00 WITA".
    pub time: String,
    pub title: String,
    pub leader: String,
    pub location: String,
    pub out_of_town: bool,
    pub source: Option<String>,
    pub assignments: Vec<DailyAssignment>,
}

impl DailyEvent {
    /// No assignment, or none with anybody on it.
    pub fn without_crew(&self) -> bool {
        self.assignments.iter().all(|a| a.crew.is_empty())
    }
}

impl DailyAssignment {
    /// A crew without a live letter.
    pub fn without_letter(&self) -> bool {
        !self.crew.is_empty() && self.letter.is_none()
    }
}

/// The daily schedule report (SOP step 3).
#[derive(Debug, Clone)]
pub struct DailyReport {
    pub date: jiff::civil::Date,
    /// Names of the people on duty per the roster.
    pub on_duty: Vec<String>,
    pub events: Vec<DailyEvent>,
}

impl DailyReport {
    /// Warnings, in Indonesian, one per problem.
    pub fn flags(&self) -> Vec<String> {
        let mut out = Vec::new();
        for e in &self.events {
            if e.without_crew() {
                out.push(format!("{} {}: belum ada kru", e.time, e.title));
            }
            for a in &e.assignments {
                if a.without_letter() {
                    out.push(format!(
                        "{} {}: penugasan #{} belum ada surat tugas",
                        e.time, e.title, a.id
                    ));
                }
                for (name, _, on_duty) in &a.crew {
                    if !on_duty {
                        out.push(format!(
                            "{} {}: {name} tidak terjadwal piket",
                            e.time, e.title
                        ));
                    }
                }
            }
        }
        if self.on_duty.is_empty() {
            out.push("Belum ada jadwal piket tim untuk hari ini".into());
        }
        out
    }
}

/// The daily report as a PDF (Helvetica, the letter's paper).
pub fn render_daily(settings: &LetterSettings, report: &DailyReport, printed: &str) -> Vec<u8> {
    let (reg, bold) = (Font::Helvetica, Font::HelveticaBold);
    let size = 10.0;
    let leading = 13.0;
    let mut sheet = Sheet::new(settings.paper.page_size(), mm(20.0), mm(20.0));
    let day = format!("{}, {}", day_name(report.date), plain_date(report.date));
    sheet
        .doc
        .set_title(&format!("Laporan Jadwal Peliputan {day}"));
    sheet.y -= 10.0;
    for line in [&settings.government, &settings.agency] {
        sheet.centered(bold, 11.0, line);
        sheet.y -= 14.0;
    }
    let (l, r, y) = (sheet.left, sheet.right, sheet.y + 4.0);
    sheet.page().line(l, y, r, y, 1.2);
    sheet.y -= 14.0;
    sheet.centered(bold, 13.0, "LAPORAN JADWAL PELIPUTAN HARIAN");
    sheet.y -= 16.0;
    sheet.centered(reg, 11.0, &day);
    sheet.y -= 22.0;

    let on_duty = if report.on_duty.is_empty() {
        "belum ada jadwal tim".to_owned()
    } else {
        report.on_duty.join(", ")
    };
    sheet.wrapped(bold, size, sheet.left, leading, "Petugas piket:");
    sheet.wrapped(reg, size, sheet.left + 12.0, leading, &on_duty);
    sheet.y -= 6.0;

    if report.events.is_empty() {
        sheet.wrapped(
            reg,
            size,
            sheet.left,
            leading,
            "Belum ada agenda pada hari ini.",
        );
    }
    let x1 = sheet.left + 16.0;
    let x2 = x1 + 12.0;
    for (i, e) in report.events.iter().enumerate() {
        sheet.need(leading * 4.0);
        sheet.y -= 4.0;
        sheet.text(bold, size, sheet.left, &format!("{}.", i + 1));
        sheet.wrapped(
            bold,
            size,
            x1,
            leading,
            &format!("{} · {}", e.time, e.title),
        );
        let mut about = format!("{} · {}", e.leader, e.location);
        if e.out_of_town {
            about.push_str(" · LUAR KOTA");
        }
        if let Some(s) = &e.source {
            about.push_str(&format!(" · sumber: {s}"));
        }
        sheet.wrapped(reg, size, x1, leading, &about);
        if e.without_crew() {
            sheet.wrapped(bold, size, x1, leading, "PERHATIAN: belum ada kru");
        }
        for a in &e.assignments {
            sheet.wrapped(
                reg,
                size,
                x1,
                leading,
                &format!("Penugasan #{} ({})", a.id, a.status),
            );
            let crew = if a.crew.is_empty() {
                "-".to_owned()
            } else {
                a.crew
                    .iter()
                    .map(|(n, role, on_duty)| {
                        if *on_duty {
                            format!("{n} ({role})")
                        } else {
                            format!("{n} ({role}, tidak piket)")
                        }
                    })
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            sheet.wrapped(reg, size, x2, leading, &format!("Kru: {crew}"));
            match (&a.letter, a.crew.is_empty()) {
                (Some(n), _) => sheet.wrapped(reg, size, x2, leading, &format!("Surat tugas: {n}")),
                (None, false) => {
                    sheet.wrapped(bold, size, x2, leading, "PERHATIAN: belum ada surat tugas")
                }
                (None, true) => {}
            }
        }
    }
    let flags = report.flags();
    if !flags.is_empty() {
        sheet.y -= 8.0;
        sheet.need(leading * 2.0);
        sheet.wrapped(bold, size, sheet.left, leading, "Perlu tindak lanjut:");
        for f in &flags {
            sheet.wrapped(reg, size, sheet.left + 12.0, leading, &format!("- {f}"));
        }
    }
    sheet.y -= 10.0;
    sheet.need(leading);
    sheet.text(Font::Helvetica, 8.0, sheet.left, printed);
    sheet.doc.finish()
}

/// "08.00–10.00 WITA" for an event.
pub fn event_time(event: &Event, zone: jiff::tz::Offset) -> String {
    format!(
        "{}–{} {}",
        time_of_day(event.starts_at, zone),
        time_of_day(event.ends_at, zone),
        zone_label(zone)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_follow_the_pattern() {
        let s = LetterSettings::default();
        assert_eq!(number(&s, 187, 2026, 11), "000.1.2.3/0187/DKISP/2026");
        let s = LetterSettings {
            number_pattern: "ST-{urut}/{bulan}/{tahun}".into(),
            urut_digits: 3,
            ..LetterSettings::default()
        };
        assert_eq!(number(&s, 5, 2026, 11), "ST-005/XI/2026");
        assert!(check_pattern("{klasifikasi}/{urut}/{unit}/{tahun}").is_ok());
        assert!(check_pattern("{klasifikasi}/{unit}").is_err());
        assert!(check_pattern("{urut}/{nomor}").is_err());
        assert!(check_pattern("{urut}/{tahun").is_err());
    }

    #[test]
    fn names_are_capitalised_but_not_their_titles() {
        assert_eq!(
            letter_name("Drs. Fransiskus Lahang, M.Si."),
            "Drs. FRANSISKUS LAHANG, M.Si."
        );
        assert_eq!(
            letter_name("Andi Pratama, S.I.Kom."),
            "ANDI PRATAMA, S.I.Kom."
        );
        assert_eq!(letter_name("Yohanes Lawing"), "YOHANES LAWING");
    }

    #[test]
    fn the_letter_section_of_the_config_is_checked() {
        use std::path::Path;
        let parse = |text: &str| crate::Config::parse(text, "test", Path::new("/srv"));
        let config = parse("").unwrap();
        assert_eq!(config.letter.paper, Paper::F4);
        assert_eq!(config.letter.unit, "DKISP");
        let config = parse("[letter]\npaper = \"a4\"\nlogo = \"kaltara.jpg\"\n").unwrap();
        assert_eq!(config.letter.paper, Paper::A4);
        assert_eq!(
            config.letter.logo.as_deref(),
            Some(Path::new("/srv/kaltara.jpg"))
        );
        for (text, key) in [
            ("[letter]\nnomor = \"x\"\n", "letter.nomor"),
            ("[letter]\npaper = \"A5\"\n", "letter.paper"),
            ("[letter]\nfont = \"comic\"\n", "letter.font"),
            (
                "[letter]\nnumber_pattern = \"{klasifikasi}/{tahun}\"\n",
                "letter.number_pattern",
            ),
            ("[letter]\nurut_digits = 0\n", "letter.urut_digits"),
            ("[letter]\nsigner = \"Budi Hartono\"\n", "letter.signer"),
            ("[letter]\ndasar = \"satu\"\n", "letter.dasar"),
        ] {
            let err = parse(text).unwrap_err().to_string();
            assert!(err.contains(key), "{text:?}: {err}");
        }
    }

    #[test]
    fn a_short_letter_fits_one_page_and_a_long_crew_flows_on() {
        let t: jiff::Timestamp = "2026-11-27T01:00:00Z".parse().unwrap();
        let event = Event {
            id: 1,
            title: "Rapat".into(),
            leader: crate::schedule::Leader::Gubernur,
            location: "Tanjung Selor".into(),
            starts_at: t,
            ends_at: t,
            zone_seconds: 28800,
            out_of_town: false,
            source: None,
            lat: None,
            lon: None,
        };
        let crew = |n: usize| {
            (0..n)
                .map(|i| Assignee {
                    person: Official {
                        username: format!("p{i}"),
                        name: format!("Orang {i}"),
                        ..official(Role::Staf)
                    },
                    crew_role: "Fotografer".into(),
                })
                .collect::<Vec<_>>()
        };
        let settings = LetterSettings::default();
        let pages = |n: usize| {
            let letter = Letter {
                number: "1".into(),
                issued_on: jiff::civil::date(2026, 11, 26),
                event: event.clone(),
                crew: crew(n),
                signer: official(Role::Kadis),
                zone: jiff::tz::Offset::constant(8),
                region: "Kalimantan Utara".into(),
            };
            let pdf = render_letter(&settings, &letter, None);
            String::from_utf8_lossy(&pdf).split("/Type /Page ").count() - 1
        };
        assert_eq!(pages(3), 1);
        assert!(pages(30) > 1);
    }

    #[test]
    fn nips_are_grouped() {
        assert_eq!(
            group_nip(Some("198609262015051001")),
            "19860926 201505 1 001"
        );
        assert_eq!(
            group_nip(Some("19860926 201505 1 001")),
            "19860926 201505 1 001"
        );
        assert_eq!(group_nip(None), "-");
        assert_eq!(group_nip(Some(" ")), "-");
    }

    fn official(role: Role) -> Official {
        Official {
            username: "x".into(),
            name: "X".into(),
            nip: None,
            role,
            pangkat: None,
            jabatan: None,
            disabled: false,
        }
    }

    #[test]
    fn out_of_town_letters_need_a_kadis() {
        assert!(check_signer(true, &official(Role::Kadis)).is_ok());
        let err = check_signer(true, &official(Role::Kasi))
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("signer:") && err.contains("kadis"), "{err}");
        assert!(check_signer(false, &official(Role::Kabid)).is_ok());
        assert!(check_signer(false, &official(Role::Staf)).is_err());
        let disabled = Official {
            disabled: true,
            ..official(Role::Kadis)
        };
        assert!(check_signer(false, &disabled).is_err());
    }
}
