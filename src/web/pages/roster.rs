//! Jadwal Tim (SOP step 1, monthly): who of the coverage team is on duty
//! each day of a month, as a grid of people × days. KASI, KABID and KADIS
//! tick cells and save the whole month with `PUT /api/roster/{YYYY-MM}`
//! (the body is built by `static/schedule.js`); everyone else reads it.

use std::collections::{BTreeSet, HashMap};

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Extension;
use jiff::civil::Date;
use maud::{html, Markup};
use serde::Deserialize;

use super::agenda::today;
use super::crew::crew_people;
use super::{layout, page, refusal};
use crate::auth::{Need, Viewer};
use crate::dates::{long_date, month_year};
use crate::schedule::Person;
use crate::web::access::Routes;
use crate::web::error::{blocking, ApiError};
use crate::web::AppState;

pub fn routes(r: Routes) -> Routes {
    r.get("/jadwal", Need::Login, roster_page)
}

#[derive(Deserialize)]
struct MonthQuery {
    bulan: Option<String>,
}

/// A calendar month.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Month {
    pub year: i16,
    pub month: i8,
}

impl Month {
    /// `YYYY-MM`, the form of the query and of the API path.
    pub fn parse(text: &str) -> Option<Month> {
        let (y, m) = text.trim().split_once('-')?;
        if y.len() != 4 || m.len() != 2 || !(y.bytes().chain(m.bytes())).all(|b| b.is_ascii_digit())
        {
            return None;
        }
        let month = Month {
            year: y.parse().ok()?,
            month: m.parse().ok()?,
        };
        Date::new(month.year, month.month, 1).ok()?;
        Some(month)
    }

    pub fn of(date: Date) -> Month {
        Month {
            year: date.year(),
            month: date.month(),
        }
    }

    pub fn previous(self) -> Month {
        match self.month {
            1 => Month {
                year: self.year - 1,
                month: 12,
            },
            m => Month {
                year: self.year,
                month: m - 1,
            },
        }
    }

    pub fn next(self) -> Month {
        match self.month {
            12 => Month {
                year: self.year + 1,
                month: 1,
            },
            m => Month {
                year: self.year,
                month: m + 1,
            },
        }
    }

    /// Every day of the month, in order.
    pub fn days(self) -> Vec<Date> {
        let Ok(first) = Date::new(self.year, self.month, 1) else {
            return Vec::new();
        };
        (1..=first.days_in_month())
            .filter_map(|d| Date::new(self.year, self.month, d).ok())
            .collect()
    }
}

impl std::fmt::Display for Month {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

/// Two-letter weekday abbreviations as Indonesian calendars print them.
pub fn weekday_short(date: Date) -> &'static str {
    const SHORT: [&str; 7] = ["Sn", "Sl", "Rb", "Km", "Jm", "Sb", "Mg"];
    SHORT[date.weekday().to_monday_zero_offset() as usize]
}

/// Saturday or Sunday.
pub fn is_weekend(date: Date) -> bool {
    date.weekday().to_monday_zero_offset() >= 5
}

/// The grid's rows: the crew people (by name), then anyone else on this
/// month's roster, so nothing on it is hidden.
fn rows(crew: Vec<Person>, all: &[Person], rostered: &BTreeSet<String>) -> Vec<Person> {
    let mut rows = crew;
    for p in all {
        if rostered.contains(&p.username) && !rows.iter().any(|r| r.username == p.username) {
            rows.push(p.clone());
        }
    }
    for u in rostered {
        if !rows.iter().any(|r| &r.username == u) {
            rows.push(Person {
                username: u.clone(),
                name: u.clone(),
                nip: None,
                role: crate::schedule::Role::Staf,
                crew_roles: Vec::new(),
                is_admin: false,
            });
        }
    }
    rows
}

async fn roster_page(
    State(state): State<AppState>,
    Extension(viewer): Extension<Viewer>,
    Query(q): Query<MonthQuery>,
) -> Result<Response, ApiError> {
    let today = today(state.zone);
    let month = match q.bulan.as_deref().map(str::trim) {
        None | Some("") => Month::of(today),
        Some(text) => match Month::parse(text) {
            Some(m) => m,
            None => {
                return Ok(refusal(
                    StatusCode::BAD_REQUEST,
                    &format!("Bulan {text:?} tidak valid; tulis TTTT-BB, misalnya 2026-11."),
                ))
            }
        },
    };
    let catalog = state.catalog.clone();
    let key = month.to_string();
    let (people, roster) = blocking(move || {
        let all = catalog.people()?;
        let crew = crew_people(&catalog)?;
        let roster = catalog.roster(&key)?;
        Ok(((crew, all), roster))
    })
    .await?;
    let (crew, all) = people;
    let mut on: HashMap<String, BTreeSet<String>> = HashMap::new();
    for (day, username) in roster {
        on.entry(day).or_default().insert(username);
    }
    let rostered: BTreeSet<String> = on.values().flatten().cloned().collect();
    let rows = rows(crew, &all, &rostered);
    let days = month.days();
    let may_edit = Need::Schedule.allows(&viewer);
    let title = format!("Jadwal Tim {}", month_year(month.year, month.month));
    let grid = grid(&rows, &days, &on, today, may_edit);
    let body = html! {
        (super::agenda::assets())
        h1 { "Jadwal Tim" }
        nav.daynav aria-label="Pilih bulan" {
            a.button.secondary href=(format!("/jadwal?bulan={}", month.previous())) rel="prev" { "← " (month_year(month.previous().year, month.previous().month)) }
            strong.month { (month_year(month.year, month.month)) }
            a.button.secondary href=(format!("/jadwal?bulan={}", month.next())) rel="next" { (month_year(month.next().year, month.next().month)) " →" }
            @if Month::of(today) != month { a href="/jadwal" { "Bulan ini" } }
        }
        @if rows.is_empty() {
            p.muted { "Belum ada anggota tim dengan peran kru (fotografer, kameraman, reporter)." }
        } @else if may_edit {
            form.card data-roster=(format!("/api/roster/{month}")) {
                p.muted { "Centang hari piket setiap orang, lalu simpan. Seluruh bulan disimpan sekaligus." }
                (grid)
                p.form-error role="alert" {}
                p.form-status role="status" {}
                button type="submit" { "Simpan" }
            }
        } @else {
            section.card { (grid) }
        }
        p.muted { "Hari ini: " (long_date(today)) ". Sb dan Mg: akhir pekan." }
    };
    Ok(page(layout(&viewer, &title, "/jadwal", body)))
}

fn grid(
    rows: &[Person],
    days: &[Date],
    on: &HashMap<String, BTreeSet<String>>,
    today: Date,
    may_edit: bool,
) -> Markup {
    let on_day = |d: &Date, u: &str| on.get(&d.to_string()).is_some_and(|s| s.contains(u));
    html! {
        div.scroll {
            table.roster {
                thead {
                    tr {
                        th.name scope="col" { "Nama" }
                        @for d in days {
                            th scope="col" class=(cell_class(*d, today)) title=(long_date(*d)) {
                                span.wd { (weekday_short(*d)) } br; (d.day())
                            }
                        }
                        th scope="col" title="Jumlah hari piket" { "Σ" }
                    }
                }
                tbody {
                    @for p in rows {
                        tr {
                            th.name scope="row" {
                                (p.name)
                                @if !p.crew_roles.is_empty() {
                                    br; span.muted.small {
                                        @for (i, r) in p.crew_roles.iter().enumerate() { @if i > 0 { ", " } (r.label()) }
                                    }
                                }
                            }
                            @for d in days {
                                @let here = on_day(d, &p.username);
                                td class=(cell_class(*d, today)) {
                                    @if may_edit {
                                        input type="checkbox" data-day=(d.to_string()) data-user=(p.username)
                                            aria-label=(format!("{}, {}", p.name, long_date(*d))) checked[here];
                                    } @else if here {
                                        span.on title=(format!("{} piket {}", p.name, long_date(*d))) { "✓" }
                                    }
                                }
                            }
                            td.count { (days.iter().filter(|d| on_day(d, &p.username)).count()) }
                        }
                    }
                }
                tfoot {
                    tr {
                        th.name scope="row" { "Piket" }
                        @for d in days {
                            td class=(cell_class(*d, today)) { (on.get(&d.to_string()).map_or(0, |s| s.len())) }
                        }
                        td {}
                    }
                }
            }
        }
    }
}

fn cell_class(d: Date, today: Date) -> String {
    let mut class = String::from("day");
    if is_weekend(d) {
        class.push_str(" weekend");
    }
    if d == today {
        class.push_str(" today");
    }
    class
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_parse_strictly_and_step_across_years() {
        assert_eq!(
            Month::parse("2026-11"),
            Some(Month {
                year: 2026,
                month: 11
            })
        );
        for bad in ["2026-13", "2026-1", "26-11", "2026-11-01", "bulan"] {
            assert_eq!(Month::parse(bad), None, "{bad}");
        }
        let jan = Month {
            year: 2027,
            month: 1,
        };
        assert_eq!(
            jan.previous(),
            Month {
                year: 2026,
                month: 12
            }
        );
        assert_eq!(jan.previous().next(), jan);
        assert_eq!(jan.to_string(), "2027-01");
    }

    #[test]
    fn a_month_grid_has_every_day_with_its_weekday() {
        let nov = Month {
            year: 2026,
            month: 11,
        }
        .days();
        assert_eq!(nov.len(), 30);
        assert_eq!(nov[0].to_string(), "2026-11-01");
        assert_eq!(weekday_short(nov[0]), "Mg"); // 1 November 2026 is a Sunday
        assert!(is_weekend(nov[0]));
        assert_eq!(weekday_short(nov[25]), "Km"); // Kamis, 26 November 2026
        assert!(!is_weekend(nov[25]));
        assert_eq!(
            Month {
                year: 2028,
                month: 2
            }
            .days()
            .len(),
            29
        );
        assert_eq!(
            Month {
                year: 2026,
                month: 2
            }
            .days()
            .len(),
            28
        );
    }
}
