//! Photo collages (SOP step 9: "a photo collage of the leaders' activities
//! every 3-6 months, print-ready"): the layout, the title band and the
//! rendering to a JPEG and a one-page PDF.
//!
//! What it owns:
//! - [`justified`]: the justified-rows layout. Photos keep their order; each
//!   row is scaled so its photos keep their aspect ratio and together fill the
//!   width. When the rows' natural heights do not add up to the area's height,
//!   every row is cropped by the same small factor (at most [`MAX_CROP`], the
//!   crop centred); beyond that the block is left shorter (centred vertically)
//!   or made narrower (centred horizontally) rather than cropped harder.
//! - [`fit_crop`]: how one photo fills its cell: one scale for x and y (never
//!   stretched), the crop centred.
//! - The title band: the title, the leader and the period in Indonesian
//!   ([`period_label`]) and the agency's name. In the JPEG it is drawn with a
//!   small built-in 5x7 bitmap font scaled up (no font crate, no font files on
//!   the server: the JPEG stays self-contained for the panel, chat and print
//!   shops that only take images); in the PDF the same lines are real
//!   Helvetica text (crisp at any zoom and searchable) over the photo part of
//!   the same pixels.
//! - [`render`]: decodes each photo from its PREVIEW (about 1600 px, see
//!   [`crate::derived::ImageStore`]) and only when that is missing from the
//!   original through [`crate::media::thumbs::derive`] (bounded decode at a
//!   reduced DCT scale), applies EXIF orientation, composes, encodes.
//!
//! Not here: which photos (the catalog chooses, `catalog::collages`), file
//! names and HTTP (`web::collages`). Everything here is blocking and CPU-heavy.

use std::io::Cursor;
use std::ops::Range;
use std::path::Path;

use fast_image_resize::images::{Image, ImageRef};
use fast_image_resize::{PixelType, ResizeOptions, Resizer};
use image::metadata::Orientation;
use serde::Serialize;

use crate::catalog::AssetRecord;
use crate::derived::{ImageStore, Size};
use crate::error::{Error, Result};
use crate::media::Kind;
use crate::pdf::{Document, Font, PageSize, Rgb};

/// A3 portrait at 300 dpi, the default.
pub const A3_PORTRAIT_300DPI: (u32, u32) = (3508, 4961);
/// Smallest and largest side accepted, in pixels.
pub const MIN_SIDE: u32 = 600;
pub const MAX_SIDE: u32 = 10_000;
/// Most photos in one collage; more are sampled evenly over the period.
pub const MAX_PHOTOS: usize = 60;
/// JPEG quality of the collage.
pub const QUALITY: u8 = 90;
/// The resolution written in the JPEG and used for the PDF page size.
pub const DPI: u16 = 300;
/// Largest crop factor applied to make rows fill the area exactly (1.2: at
/// most a sixth of a photo's width or height is cut, half on each side).
pub const MAX_CROP: f64 = 1.2;

/// The title printed on every collage.
pub const TITLE: &str = "Dokumentasi Kegiatan Pimpinan";
/// The line under it.
pub const AGENCY: &str =
    "Dinas Komunikasi, Informatika, Statistik dan Persandian Provinsi Kalimantan Utara";

const INK: [u8; 3] = [0x1b, 0x1f, 0x24];
const ACCENT: [u8; 3] = [0x0b, 0x5c, 0xad];
const MUTED: [u8; 3] = [0x5b, 0x65, 0x70];
const PAPER: [u8; 3] = [0xff, 0xff, 0xff];

/// A rectangle in pixels, origin top-left.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rect {
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

impl Rect {
    pub fn right(&self) -> u32 {
        self.x + self.w
    }
    pub fn bottom(&self) -> u32 {
        self.y + self.h
    }
}

/// Where one photo went: its cell in the collage, in pixels.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cell {
    pub asset_id: String,
    pub x: u32,
    pub y: u32,
    pub w: u32,
    pub h: u32,
}

// ---------------------------------------------------------------------------
// Layout

/// The justified-rows layout of photos with these aspect ratios (width /
/// height, as shown) in `area`, `gap` pixels apart: one cell per photo, in
/// order. See the module documentation for how the height is filled.
pub fn justified(aspects: &[f64], area: Rect, gap: u32) -> Vec<Rect> {
    if aspects.is_empty() || area.w == 0 || area.h == 0 {
        return Vec::new();
    }
    let aspects: Vec<f64> = aspects
        .iter()
        .map(|a| {
            if a.is_finite() && *a > 0.0 {
                a.clamp(0.1, 10.0)
            } else {
                1.0
            }
        })
        .collect();
    let (w, h, g) = (f64::from(area.w), f64::from(area.h), f64::from(gap));
    let n = aspects.len() as f64;
    // Try target row heights from "every photo its own row" to "all in one".
    let (lo, hi) = ((h / (n + 1.0)).max(1.0).ln(), (h * 2.0).ln());
    let mut best: Option<(f64, Vec<Range<usize>>)> = None;
    const STEPS: usize = 400;
    for step in 0..=STEPS {
        let target = (lo + (hi - lo) * step as f64 / STEPS as f64).exp();
        let rows = partition(&aspects, w, g, target);
        let cost = cost(&aspects, &rows, w, h, g);
        if best.as_ref().is_none_or(|(c, _)| cost < *c) {
            best = Some((cost, rows));
        }
    }
    let rows = best.map(|(_, rows)| rows).unwrap_or_default();
    place(&aspects, &rows, area, g)
}

/// Natural height of a row filling `width`.
fn row_height(aspects: &[f64], row: &Range<usize>, width: f64, gap: f64) -> f64 {
    let sum: f64 = aspects[row.clone()].iter().sum();
    (width - gap * (row.len() as f64 - 1.0)) / sum
}

/// Most photos in one row.
const ROW_MAX: usize = 12;

/// The rows whose heights stay nearest `target` overall: the break points
/// minimising the sum of squared log deviations (a dynamic program, so the
/// last row is weighed like the others and not left with one huge photo).
fn partition(aspects: &[f64], width: f64, gap: f64, target: f64) -> Vec<Range<usize>> {
    let n = aspects.len();
    let mut prefix = vec![0.0f64; n + 1];
    for (i, a) in aspects.iter().enumerate() {
        prefix[i + 1] = prefix[i] + a;
    }
    let mut best = vec![f64::INFINITY; n + 1];
    let mut from = vec![0usize; n + 1];
    best[0] = 0.0;
    for j in 1..=n {
        for i in j.saturating_sub(ROW_MAX)..j {
            let room = width - gap * (j - i - 1) as f64;
            if room <= 1.0 || !best[i].is_finite() {
                continue;
            }
            let h = room / (prefix[j] - prefix[i]);
            let c = best[i] + (h / target).ln().powi(2);
            if c < best[j] {
                best[j] = c;
                from[j] = i;
            }
        }
    }
    let mut rows = Vec::new();
    let mut j = n;
    while j > 0 {
        let i = from[j];
        rows.push(i..j);
        j = i;
    }
    rows.reverse();
    rows
}

/// How far a partition is from filling the area: the log of the factor the
/// rows would have to be stretched (cropped) by, plus a little for rows of
/// very different heights (a lone photo as a huge last row).
fn cost(aspects: &[f64], rows: &[Range<usize>], w: f64, h: f64, g: f64) -> f64 {
    let heights: Vec<f64> = rows.iter().map(|r| row_height(aspects, r, w, g)).collect();
    if heights.iter().any(|x| !x.is_finite() || *x <= 1.0) {
        return f64::INFINITY;
    }
    let avail = h - g * (rows.len() as f64 - 1.0);
    if avail <= 1.0 {
        return f64::INFINITY;
    }
    let sum: f64 = heights.iter().sum();
    let mean = sum / heights.len() as f64;
    let spread = heights
        .iter()
        .map(|x| (x / mean).ln().abs())
        .fold(0.0, f64::max);
    (avail / sum).ln().abs() + 0.3 * spread
}

/// Pixel cells for a partition.
fn place(aspects: &[f64], rows: &[Range<usize>], area: Rect, g: f64) -> Vec<Rect> {
    let (w, h) = (f64::from(area.w), f64::from(area.h));
    let avail = (h - g * (rows.len() as f64 - 1.0)).max(1.0);
    let natural: Vec<f64> = rows
        .iter()
        .map(|r| row_height(aspects, r, w, g).max(1.0))
        .collect();
    let sum: f64 = natural.iter().sum();
    let f = avail / sum;
    // (row heights, row width, x offset, y offset)
    let (heights, row_w, x0, y0): (Vec<f64>, f64, f64, f64) = if f > MAX_CROP {
        (natural.clone(), w, 0.0, (avail - sum) / 2.0)
    } else if f >= 1.0 / MAX_CROP {
        (natural.iter().map(|x| x * f).collect(), w, 0.0, 0.0)
    } else {
        // Too tall even cropped: a narrower block whose natural height fits.
        let inv: f64 = rows
            .iter()
            .map(|r| 1.0 / aspects[r.clone()].iter().sum::<f64>())
            .sum();
        let gaps: f64 = rows
            .iter()
            .map(|r| g * (r.len() as f64 - 1.0) / aspects[r.clone()].iter().sum::<f64>())
            .sum();
        let narrow = ((avail + gaps) / inv).min(w);
        let heights = rows
            .iter()
            .map(|r| row_height(aspects, r, narrow, g).max(1.0))
            .collect();
        (heights, narrow, (w - narrow) / 2.0, 0.0)
    };
    let mut cells = Vec::with_capacity(aspects.len());
    let mut top = y0;
    for (r, row) in rows.iter().enumerate() {
        let bottom = top + heights[r];
        let (ty, by) = (top.round() as u32, (bottom.round() as u32).min(area.h));
        // Widths from the natural height: the row fills `row_w` exactly.
        let natural_h = row_height(aspects, row, row_w, g);
        let mut left = x0;
        let right_edge = (x0 + row_w).round() as u32;
        for (k, i) in row.clone().enumerate() {
            let cw = aspects[i] * natural_h;
            let lx = left.round() as u32;
            let rx = if k + 1 == row.len() {
                right_edge
            } else {
                ((left + cw).round() as u32).min(right_edge)
            };
            cells.push(Rect {
                x: area.x + lx,
                y: area.y + ty,
                w: rx.saturating_sub(lx).max(1),
                h: by.saturating_sub(ty).max(1),
            });
            left += cw + g;
        }
        top = bottom + g;
    }
    cells
}

/// The part of a `src_w` x `src_h` photo shown in a `cell_w` x `cell_h`
/// cell: the largest centred window of the cell's shape, and the one scale
/// (cell pixels per photo pixel) used for both x and y.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Crop {
    pub left: f64,
    pub top: f64,
    pub width: f64,
    pub height: f64,
    pub scale: f64,
}

pub fn fit_crop(src_w: u32, src_h: u32, cell_w: u32, cell_h: u32) -> Crop {
    let (sw, sh) = (f64::from(src_w.max(1)), f64::from(src_h.max(1)));
    let (cw, ch) = (f64::from(cell_w.max(1)), f64::from(cell_h.max(1)));
    let scale = (cw / sw).max(ch / sh);
    let width = (cw / scale).min(sw);
    let height = (ch / scale).min(sh);
    Crop {
        left: (sw - width) / 2.0,
        top: (sh - height) / 2.0,
        width,
        height,
        scale,
    }
}

/// Up to `max` items spread evenly over `items` (first and last kept).
pub fn sample_evenly<T: Clone>(items: &[T], max: usize) -> Vec<T> {
    if max == 0 {
        return Vec::new();
    }
    if items.len() <= max {
        return items.to_vec();
    }
    if max == 1 {
        return vec![items[0].clone()];
    }
    (0..max)
        .map(|k| items[k * (items.len() - 1) / (max - 1)].clone())
        .collect()
}

// ---------------------------------------------------------------------------
// Words

/// The period as the agency writes it: "Juli – Desember 2026" for whole
/// months, "1 Juli – 15 Desember 2026" otherwise, years repeated only when
/// they differ.
pub fn period_label(from: jiff::civil::Date, to: jiff::civil::Date) -> String {
    use crate::dates::{month_name, month_year, plain_date};
    let whole = from.day() == 1 && to == to.last_of_month();
    let same_year = from.year() == to.year();
    let same_month = same_year && from.month() == to.month();
    if whole {
        if same_month {
            month_year(from.year(), from.month())
        } else if same_year {
            format!(
                "{} – {}",
                month_name(from.month()),
                month_year(to.year(), to.month())
            )
        } else {
            format!(
                "{} – {}",
                month_year(from.year(), from.month()),
                month_year(to.year(), to.month())
            )
        }
    } else if from == to {
        plain_date(from)
    } else if same_month {
        format!("{} – {}", from.day(), plain_date(to))
    } else if same_year {
        format!(
            "{} {} – {}",
            from.day(),
            month_name(from.month()),
            plain_date(to)
        )
    } else {
        format!("{} – {}", plain_date(from), plain_date(to))
    }
}

/// The line under the title: the leader (when chosen) and the period.
pub fn subtitle(leader: Option<crate::schedule::Leader>, period: &str) -> String {
    match leader {
        Some(l) => format!("{} · {period}", l.label()),
        None => period.to_owned(),
    }
}

// ---------------------------------------------------------------------------
// The page

/// One line of the title band: its text, the bitmap font's pixel size
/// (glyph cells are 6 x 9 of these), its top edge, colour and weight.
#[derive(Debug, Clone, PartialEq)]
struct Line {
    text: String,
    scale: u32,
    top: u32,
    color: [u8; 3],
    bold: bool,
}

/// Where everything goes on a page of `width` x `height` pixels.
#[derive(Debug, Clone, PartialEq)]
struct Design {
    width: u32,
    height: u32,
    lines: Vec<Line>,
    /// The accent rule under the band.
    rule: Rect,
    /// Photos go here.
    photos: Rect,
    gap: u32,
}

fn design(width: u32, height: u32, title: &str, subtitle: &str, footer: &str) -> Design {
    let short = width.min(height);
    let margin = ((f64::from(short) * 0.03).round() as u32).max(8);
    let gap = ((f64::from(short) * 0.006).round() as u32).max(2);
    let avail = width.saturating_sub(2 * margin).max(1);
    let fit = |text: &str, want: u32| want.min(avail / text_units(text).max(1)).max(1);
    let s1 = fit(
        title,
        ((f64::from(height) * 0.022 / 7.0).round() as u32).max(1),
    );
    let s2 = fit(subtitle, ((f64::from(s1) * 0.6).round() as u32).max(1));
    let s3 = fit(footer, ((f64::from(s1) * 0.33).round() as u32).max(1));
    let y1 = margin;
    let y2 = y1 + 7 * s1 + 4 * s2;
    let y3 = y2 + 9 * s2 + 2 * s3;
    let rule_y = y3 + 9 * s3 + 2 * s3;
    let rule = Rect {
        x: margin,
        y: rule_y,
        w: avail,
        h: s3.max(2),
    };
    let photos_top = rule.bottom() + 3 * gap;
    let photos = Rect {
        x: margin,
        y: photos_top,
        w: avail,
        h: height.saturating_sub(photos_top + margin).max(1),
    };
    let line = |text: &str, scale, top, color, bold| Line {
        text: text.to_owned(),
        scale,
        top,
        color,
        bold,
    };
    Design {
        width,
        height,
        lines: vec![
            line(title, s1, y1, INK, true),
            line(subtitle, s2, y2, ACCENT, false),
            line(footer, s3, y3, MUTED, false),
        ],
        rule,
        photos,
        gap,
    }
}

/// Packed RGB8 pixels.
struct Canvas {
    rgb: Vec<u8>,
    width: u32,
    height: u32,
}

impl Canvas {
    fn new(width: u32, height: u32) -> Canvas {
        Canvas {
            rgb: PAPER.repeat(width as usize * height as usize),
            width,
            height,
        }
    }

    fn fill(&mut self, r: Rect, color: [u8; 3]) {
        let x1 = r.right().min(self.width);
        let y1 = r.bottom().min(self.height);
        for y in r.y.min(y1)..y1 {
            let row = (y as usize * self.width as usize) * 3;
            for x in r.x.min(x1)..x1 {
                let at = row + x as usize * 3;
                self.rgb[at..at + 3].copy_from_slice(&color);
            }
        }
    }

    /// Copies packed RGB `pixels` of `r.w` x `r.h` into `r`.
    fn blit(&mut self, r: Rect, pixels: &[u8]) {
        let stride = r.w as usize * 3;
        for row in 0..r.h.min(self.height.saturating_sub(r.y)) {
            let src = &pixels[row as usize * stride..][..stride];
            let w = (r.w.min(self.width.saturating_sub(r.x)) as usize) * 3;
            let at = ((r.y + row) as usize * self.width as usize + r.x as usize) * 3;
            self.rgb[at..at + w].copy_from_slice(&src[..w]);
        }
    }

    /// Draws `text` in the bitmap font, centred on the page, top at `top`.
    fn text_centered(&mut self, line: &Line) {
        let s = line.scale;
        let width = text_units(&line.text) * s;
        let mut x = self.width.saturating_sub(width) / 2;
        let extra = if line.bold { (s / 4).max(1) } else { 0 };
        for c in line.text.chars() {
            let rows = glyph(c);
            for (gy, bits) in rows.split(' ').enumerate() {
                for (gx, b) in bits.bytes().enumerate() {
                    if b == b'#' {
                        let r = Rect {
                            x: x + gx as u32 * s,
                            y: line.top + gy as u32 * s,
                            w: s + extra,
                            h: s,
                        };
                        self.fill(r, line.color);
                    }
                }
            }
            x += 6 * s;
        }
    }
}

/// Width of `text` in font pixels (5 per glyph and 1 between).
fn text_units(text: &str) -> u32 {
    (text.chars().count() as u32 * 6).saturating_sub(1)
}

/// A 5x7 glyph (two more rows below for descenders), rows separated by
/// spaces, `#` set. Characters without a glyph are drawn as `?`.
fn glyph(c: char) -> &'static str {
    match c {
        'A' => ".###. #...# #...# ##### #...# #...# #...#",
        'B' => "####. #...# #...# ####. #...# #...# ####.",
        'C' => ".###. #...# #.... #.... #.... #...# .###.",
        'D' => "####. #...# #...# #...# #...# #...# ####.",
        'E' => "##### #.... #.... ####. #.... #.... #####",
        'F' => "##### #.... #.... ####. #.... #.... #....",
        'G' => ".###. #...# #.... #.### #...# #...# .####",
        'H' => "#...# #...# #...# ##### #...# #...# #...#",
        'I' => ".###. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
        'J' => "..### ...#. ...#. ...#. ...#. #..#. .##..",
        'K' => "#...# #..#. #.#.. ##... #.#.. #..#. #...#",
        'L' => "#.... #.... #.... #.... #.... #.... #####",
        'M' => "#...# ##.## #.#.# #.#.# #...# #...# #...#",
        'N' => "#...# #...# ##..# #.#.# #..## #...# #...#",
        'O' => ".###. #...# #...# #...# #...# #...# .###.",
        'P' => "####. #...# #...# ####. #.... #.... #....",
        'Q' => ".###. #...# #...# #...# #.#.# #..#. .##.#",
        'R' => "####. #...# #...# ####. #.#.. #..#. #...#",
        'S' => ".#### #.... #.... .###. ....# ....# ####.",
        'T' => "##### ..#.. ..#.. ..#.. ..#.. ..#.. ..#..",
        'U' => "#...# #...# #...# #...# #...# #...# .###.",
        'V' => "#...# #...# #...# #...# #...# .#.#. ..#..",
        'W' => "#...# #...# #...# #.#.# #.#.# #.#.# .#.#.",
        'X' => "#...# #...# .#.#. ..#.. .#.#. #...# #...#",
        'Y' => "#...# #...# .#.#. ..#.. ..#.. ..#.. ..#..",
        'Z' => "##### ....# ...#. ..#.. .#... #.... #####",
        'a' => "..... ..... .###. ....# .#### #...# .####",
        'b' => "#.... #.... ####. #...# #...# #...# ####.",
        'c' => "..... ..... .###. #.... #.... #...# .###.",
        'd' => "....# ....# .#### #...# #...# #...# .####",
        'e' => "..... ..... .###. #...# ##### #.... .###.",
        'f' => "..##. .#... ####. .#... .#... .#... .#...",
        'g' => "..... ..... .#### #...# #...# #...# .#### ....# .###.",
        'h' => "#.... #.... ####. #...# #...# #...# #...#",
        'i' => "..#.. ..... .##.. ..#.. ..#.. ..#.. .###.",
        'j' => "...#. ..... ..##. ...#. ...#. ...#. ...#. #..#. .##..",
        'k' => "#.... #.... #..#. #.#.. ##... #.#.. #..#.",
        'l' => ".##.. ..#.. ..#.. ..#.. ..#.. ..#.. .###.",
        'm' => "..... ..... ##.#. #.#.# #.#.# #.#.# #.#.#",
        'n' => "..... ..... ####. #...# #...# #...# #...#",
        'o' => "..... ..... .###. #...# #...# #...# .###.",
        'p' => "..... ..... ####. #...# #...# #...# ####. #.... #....",
        'q' => "..... ..... .#### #...# #...# #...# .#### ....# ....#",
        'r' => "..... ..... #.##. ##..# #.... #.... #....",
        's' => "..... ..... .#### #.... .###. ....# ####.",
        't' => ".#... .#... ####. .#... .#... .#..# ..##.",
        'u' => "..... ..... #...# #...# #...# #..## .##.#",
        'v' => "..... ..... #...# #...# #...# .#.#. ..#..",
        'w' => "..... ..... #...# #...# #.#.# #.#.# .#.#.",
        'x' => "..... ..... #...# .#.#. ..#.. .#.#. #...#",
        'y' => "..... ..... #...# #...# #...# #...# .#### ....# .###.",
        'z' => "..... ..... ##### ...#. ..#.. .#... #####",
        '0' => ".###. #...# #..## #.#.# ##..# #...# .###.",
        '1' => "..#.. .##.. ..#.. ..#.. ..#.. ..#.. .###.",
        '2' => ".###. #...# ....# ...#. ..#.. .#... #####",
        '3' => "##### ...#. ..#.. ...#. ....# #...# .###.",
        '4' => "...#. ..##. .#.#. #..#. ##### ...#. ...#.",
        '5' => "##### #.... ####. ....# ....# #...# .###.",
        '6' => "..##. .#... #.... ####. #...# #...# .###.",
        '7' => "##### ....# ...#. ..#.. .#... .#... .#...",
        '8' => ".###. #...# #...# .###. #...# #...# .###.",
        '9' => ".###. #...# #...# .#### ....# ...#. .##..",
        ' ' => ".....",
        '-' => "..... ..... ..... .###.",
        '–' | '—' => "..... ..... ..... #####",
        '.' => "..... ..... ..... ..... ..... .##.. .##..",
        ',' => "..... ..... ..... ..... .##.. .##.. ..#.. .#...",
        ':' => "..... .##.. .##.. ..... .##.. .##..",
        '/' => "..... ....# ...#. ..#.. .#... #....",
        '(' => "...#. ..#.. .#... .#... .#... ..#.. ...#.",
        ')' => ".#... ..#.. ...#. ...#. ...#. ..#.. .#...",
        '\'' => "..#.. ..#.. .#...",
        '&' => ".##.. #..#. #.#.. .#... #.#.# #..#. .##.#",
        '·' => "..... ..... ..... ..#..",
        '+' => "..... ..#.. ..#.. ##### ..#.. ..#..",
        '!' => "..#.. ..#.. ..#.. ..#.. ..#.. ..... ..#..",
        _ => ".###. #...# ....# ...#. ..#.. ..... ..#..",
    }
}

// ---------------------------------------------------------------------------
// Rendering

/// What to render: the page size and the three lines of the title band.
#[derive(Debug, Clone, PartialEq)]
pub struct Spec {
    pub width: u32,
    pub height: u32,
    pub title: String,
    pub subtitle: String,
    pub footer: String,
}

/// One photo, encoded (JPEG or PNG), with the EXIF orientation still to apply.
#[derive(Debug, Clone)]
pub struct Source {
    pub asset_id: String,
    pub bytes: Vec<u8>,
    pub orientation: u16,
}

/// A photo left out, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Skipped {
    pub asset_id: String,
    pub reason: String,
}

/// A finished collage.
#[derive(Debug)]
pub struct Rendered {
    pub jpeg: Vec<u8>,
    pub pdf: Vec<u8>,
    pub cells: Vec<Cell>,
    pub skipped: Vec<Skipped>,
}

/// Checks a requested size.
pub fn check_size(width: u32, height: u32) -> std::result::Result<(), String> {
    for (name, v) in [("width_px", width), ("height_px", height)] {
        if !(MIN_SIDE..=MAX_SIDE).contains(&v) {
            return Err(format!(
                "{name}: must be between {MIN_SIDE} and {MAX_SIDE} pixels ({v} given)"
            ));
        }
    }
    Ok(())
}

/// Reads each asset's photo (preview first, the original when there is
/// none), lays them out and renders the collage. Photos that cannot be read
/// are left out and listed; none readable is an error.
pub fn render(
    spec: &Spec,
    assets: &[AssetRecord],
    images: &ImageStore,
    archive: &Path,
) -> Result<Rendered> {
    let mut sources = Vec::with_capacity(assets.len());
    let mut skipped = Vec::new();
    for asset in assets {
        match load(asset, images, archive) {
            Ok(source) => sources.push(source),
            Err(reason) => skipped.push(Skipped {
                asset_id: asset.id.clone(),
                reason,
            }),
        }
    }
    let mut rendered = compose(spec, sources)?;
    skipped.append(&mut rendered.skipped);
    rendered.skipped = skipped;
    Ok(rendered)
}

/// The encoded photo of an asset: its preview (about 1600 px; oriented
/// already unless it is a byte-for-byte copy of a small original), else one
/// made now from the original with the thumbnailer's bounds.
fn load(
    asset: &AssetRecord,
    images: &ImageStore,
    archive: &Path,
) -> std::result::Result<Source, String> {
    /// Previews are at most a few MiB; anything bigger is not one.
    const PREVIEW_MAX: u64 = 64 << 20;
    let orientation = asset.orientation.unwrap_or(1);
    if let Some(path) = images.path(&asset.id, Size::Preview) {
        let small = std::fs::metadata(&path).is_ok_and(|m| m.is_file() && m.len() <= PREVIEW_MAX);
        if small {
            if let Ok(bytes) = std::fs::read(&path) {
                // A small JPEG or PNG is its own preview, EXIF and all.
                let copy = blake3::hash(&bytes).to_hex().as_str() == asset.id;
                return Ok(Source {
                    asset_id: asset.id.clone(),
                    bytes,
                    orientation: if copy { orientation } else { 1 },
                });
            }
        }
    }
    let kind: Kind = asset.kind.parse().unwrap_or(Kind::Other);
    let original = archive.join(&asset.archive_path);
    let limits = crate::media::thumbs::Limits::default();
    let derived = crate::media::thumbs::derive(&original, kind, asset.orientation, &limits)
        .map_err(|e| e.to_string())?;
    match derived.preview {
        Some(bytes) => Ok(Source {
            asset_id: asset.id.clone(),
            bytes,
            orientation: 1,
        }),
        None => Ok(Source {
            asset_id: asset.id.clone(),
            bytes: std::fs::read(&original).map_err(|e| format!("reading the original: {e}"))?,
            orientation,
        }),
    }
}

fn exif_orientation(value: u16) -> Orientation {
    u8::try_from(value)
        .ok()
        .and_then(Orientation::from_exif)
        .unwrap_or(Orientation::NoTransforms)
}

fn reader(bytes: &[u8]) -> std::result::Result<image::ImageReader<Cursor<&[u8]>>, String> {
    let mut reader = image::ImageReader::new(Cursor::new(bytes))
        .with_guessed_format()
        .map_err(|e| e.to_string())?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(20_000);
    limits.max_image_height = Some(20_000);
    limits.max_alloc = Some(512 << 20);
    reader.limits(limits);
    Ok(reader)
}

/// Width and height as shown (after orientation), from the header only.
fn shown_size(source: &Source) -> std::result::Result<(u32, u32), String> {
    let (w, h) = reader(&source.bytes)?
        .into_dimensions()
        .map_err(|e| format!("cannot read the image size: {e}"))?;
    if w == 0 || h == 0 {
        return Err("the image is empty".into());
    }
    Ok(if (5..=8).contains(&source.orientation) {
        (h, w)
    } else {
        (w, h)
    })
}

fn decode(source: &Source) -> std::result::Result<image::RgbImage, String> {
    let mut img = reader(&source.bytes)?
        .decode()
        .map_err(|e| format!("cannot decode: {e}"))?;
    img.apply_orientation(exif_orientation(source.orientation));
    Ok(img.into_rgb8())
}

/// Scales the centred crop of `img` that has `cell`'s shape to exactly `cell`.
fn fill_cell(img: &image::RgbImage, cell: Rect) -> std::result::Result<Vec<u8>, String> {
    let crop = fit_crop(img.width(), img.height(), cell.w, cell.h);
    let src = ImageRef::new(img.width(), img.height(), img.as_raw(), PixelType::U8x3)
        .map_err(|e| e.to_string())?;
    let mut dst = Image::new(cell.w, cell.h, PixelType::U8x3);
    let options = ResizeOptions::new().crop(crop.left, crop.top, crop.width, crop.height);
    Resizer::new()
        .resize(&src, &mut dst, &options)
        .map_err(|e| format!("resizing: {e}"))?;
    Ok(dst.into_vec())
}

/// Lays out and renders already-loaded photos.
pub fn compose(spec: &Spec, sources: Vec<Source>) -> Result<Rendered> {
    check_size(spec.width, spec.height).map_err(Error::Invalid)?;
    let mut skipped = Vec::new();
    let mut ready = Vec::with_capacity(sources.len());
    for source in sources {
        match shown_size(&source) {
            Ok(size) => ready.push((source, size)),
            Err(reason) => skipped.push(Skipped {
                asset_id: source.asset_id,
                reason,
            }),
        }
    }
    let d = design(
        spec.width,
        spec.height,
        &spec.title,
        &spec.subtitle,
        &spec.footer,
    );
    let aspects: Vec<f64> = ready
        .iter()
        .map(|(_, (w, h))| f64::from(*w) / f64::from(*h))
        .collect();
    let rects = justified(&aspects, d.photos, d.gap);
    let mut canvas = Canvas::new(spec.width, spec.height);
    let mut cells = Vec::with_capacity(rects.len());
    for ((source, _), rect) in ready.iter().zip(&rects) {
        // One photo decoded at a time: memory is the canvas plus one preview.
        match decode(source).and_then(|img| fill_cell(&img, *rect)) {
            Ok(pixels) => {
                canvas.blit(*rect, &pixels);
                cells.push(Cell {
                    asset_id: source.asset_id.clone(),
                    x: rect.x,
                    y: rect.y,
                    w: rect.w,
                    h: rect.h,
                });
            }
            Err(reason) => {
                // Its cell stays paper-white; better than no collage at all.
                skipped.push(Skipped {
                    asset_id: source.asset_id.clone(),
                    reason,
                })
            }
        }
    }
    if cells.is_empty() {
        return Err(Error::Invalid(format!(
            "none of the photos could be read{}",
            skipped
                .first()
                .map(|s| format!(" ({}: {})", s.asset_id, s.reason))
                .unwrap_or_default()
        )));
    }
    // The PDF shows the photos from these pixels and sets the band as text.
    let photo_top = d.rule.bottom();
    let photos_jpeg = encode(
        &canvas.rgb[photo_top as usize * spec.width as usize * 3..],
        spec.width,
        spec.height - photo_top,
    )?;
    for line in &d.lines {
        canvas.text_centered(line);
    }
    canvas.fill(d.rule, ACCENT);
    let jpeg = encode(&canvas.rgb, spec.width, spec.height)?;
    drop(canvas);
    let pdf = pdf(spec, &d, &photos_jpeg)?;
    Ok(Rendered {
        jpeg,
        pdf,
        cells,
        skipped,
    })
}

fn encode(rgb: &[u8], width: u32, height: u32) -> Result<Vec<u8>> {
    let fail = |e: String| Error::Io {
        action: "encoding the collage JPEG",
        path: "collage.jpg".into(),
        source: std::io::Error::other(e),
    };
    let (w, h) = (
        u16::try_from(width).map_err(|e| fail(e.to_string()))?,
        u16::try_from(height).map_err(|e| fail(e.to_string()))?,
    );
    let mut out = Vec::with_capacity(rgb.len() / 6);
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, QUALITY);
    encoder.set_density(jpeg_encoder::PixelDensity::dpi(DPI));
    // Full-resolution colour: print, and the coloured title lines.
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::R_4_4_4);
    encoder
        .encode(rgb, w, h, jpeg_encoder::ColorType::Rgb)
        .map_err(|e| fail(e.to_string()))?;
    Ok(out)
}

/// Pixels to PDF points at [`DPI`].
fn pt(px: u32) -> f32 {
    px as f32 * 72.0 / f32::from(DPI)
}

/// One page the size of the collage at [`DPI`] (A3 for the default): the
/// photo part as a JPEG, the band as Helvetica text where the bitmap text is
/// in the JPEG.
fn pdf(spec: &Spec, d: &Design, photos_jpeg: &[u8]) -> Result<Vec<u8>> {
    let (w_pt, h_pt) = (pt(spec.width), pt(spec.height));
    let mut doc = Document::new(PageSize::Custom { w_pt, h_pt });
    doc.set_title(&format!("{} – {}", spec.title, spec.subtitle));
    let page = doc.add_page();
    let color = |c: [u8; 3]| {
        Rgb(
            c[0] as f32 / 255.0,
            c[1] as f32 / 255.0,
            c[2] as f32 / 255.0,
        )
    };
    let avail = pt(d.photos.w);
    for line in &d.lines {
        let font = if line.bold {
            Font::HelveticaBold
        } else {
            Font::Helvetica
        };
        // Cap height 0.718 em: the bitmap's 7 rows, baseline under them.
        let mut size = pt(7 * line.scale) / 0.718;
        let width = font.width(&line.text, size);
        if width > avail {
            size *= avail / width;
        }
        page.fill_color(color(line.color));
        let baseline = h_pt - pt(line.top + 7 * line.scale);
        page.text_centered(font, size, w_pt / 2.0, baseline, &line.text);
    }
    page.fill_color(color(ACCENT));
    page.fill_rect(
        pt(d.rule.x),
        h_pt - pt(d.rule.bottom()),
        pt(d.rule.w),
        pt(d.rule.h),
    );
    let photo_h = pt(spec.height - d.rule.bottom());
    page.image(photos_jpeg, 0.0, 0.0, w_pt, photo_h)
        .map_err(|e| Error::Io {
            action: "placing the collage in its PDF",
            path: "collage.pdf".into(),
            source: std::io::Error::other(e.to_string()),
        })?;
    Ok(doc.finish())
}

#[cfg(test)]
mod tests {
    use super::*;
    use jiff::civil::date;

    const AREA: Rect = Rect {
        x: 105,
        y: 600,
        w: 3298,
        h: 4256,
    };

    fn mixed(n: usize) -> Vec<f64> {
        let shapes = [1.5, 2.0 / 3.0, 1.0, 16.0 / 9.0, 4.0 / 3.0, 0.75];
        (0..n)
            .map(|i| shapes[(i * 7 + i / 3) % shapes.len()])
            .collect()
    }

    fn check_cells(aspects: &[f64], area: Rect, cells: &[Rect]) {
        assert_eq!(cells.len(), aspects.len());
        for (i, c) in cells.iter().enumerate() {
            assert!(c.x >= area.x && c.right() <= area.right(), "{i}: {c:?}");
            assert!(c.y >= area.y && c.bottom() <= area.bottom(), "{i}: {c:?}");
            for d in &cells[i + 1..] {
                let apart =
                    c.right() <= d.x || d.right() <= c.x || c.bottom() <= d.y || d.bottom() <= c.y;
                assert!(apart, "{c:?} overlaps {d:?}");
            }
            // Cropped by at most MAX_CROP (plus a pixel of rounding).
            let shown = f64::from(c.w) / f64::from(c.h);
            let ratio = shown / aspects[i];
            let slack = 2.0 / f64::from(c.w.min(c.h));
            assert!(
                ratio <= MAX_CROP + slack && ratio >= 1.0 / MAX_CROP - slack,
                "{i}: photo {} shown {shown} in {c:?}",
                aspects[i]
            );
        }
    }

    #[test]
    fn rows_fill_the_area_and_keep_photos_within_the_crop_bound() {
        for n in [24, 12, 7, 40, 60] {
            let aspects = mixed(n);
            let cells = justified(&aspects, AREA, 21);
            check_cells(&aspects, AREA, &cells);
            // Every row spans the whole width; the rows fill the height.
            let mut rows: std::collections::BTreeMap<u32, Vec<&Rect>> = Default::default();
            for c in &cells {
                rows.entry(c.y).or_default().push(c);
            }
            for row in rows.values() {
                assert_eq!(row.first().unwrap().x, AREA.x, "{n}: {row:?}");
                assert_eq!(row.last().unwrap().right(), AREA.right(), "{n}: {row:?}");
            }
            assert_eq!(cells.first().unwrap().y, AREA.y, "{n}");
            assert_eq!(
                cells.iter().map(Rect::bottom).max().unwrap(),
                AREA.bottom(),
                "{n}"
            );
        }
    }

    #[test]
    fn no_row_is_left_with_a_lone_giant() {
        for n in [5, 13, 17, 23] {
            let aspects = vec![1.5; n];
            let cells = justified(&aspects, AREA, 21);
            check_cells(&aspects, AREA, &cells);
            let mean = cells.iter().map(|c| f64::from(c.h)).sum::<f64>() / n as f64;
            for c in &cells {
                assert!(f64::from(c.h) < mean * 1.8, "{n}: {c:?} vs mean {mean}");
            }
        }
    }

    #[test]
    fn every_photo_is_scaled_alike_in_x_and_y() {
        let sizes = [
            (1500u32, 1000u32),
            (1000, 1500),
            (1200, 1200),
            (1600, 900),
            (1067, 1600),
        ];
        let aspects: Vec<f64> = (0..24)
            .map(|i| {
                let (w, h) = sizes[i % sizes.len()];
                f64::from(w) / f64::from(h)
            })
            .collect();
        let cells = justified(&aspects, AREA, 21);
        for (i, c) in cells.iter().enumerate() {
            let (w, h) = sizes[i % sizes.len()];
            let crop = fit_crop(w, h, c.w, c.h);
            let (sx, sy) = (f64::from(c.w) / crop.width, f64::from(c.h) / crop.height);
            assert!((sx - sy).abs() < 1e-9 * sx, "{i}: {sx} vs {sy}");
            assert!((sx - crop.scale).abs() < 1e-9 * sx);
            // Inside the photo, and centred.
            assert!(crop.left >= 0.0 && crop.top >= 0.0);
            assert!(crop.left + crop.width <= f64::from(w) + 1e-9);
            assert!(crop.top + crop.height <= f64::from(h) + 1e-9);
            let right = f64::from(w) - crop.left - crop.width;
            let bottom = f64::from(h) - crop.top - crop.height;
            assert!((crop.left - right).abs() < 1e-6 && (crop.top - bottom).abs() < 1e-6);
        }
    }

    #[test]
    fn few_photos_are_not_cropped_hard_but_centred() {
        // One landscape photo in a portrait area: its own shape, centred.
        let cells = justified(&[1.5], AREA, 21);
        check_cells(&[1.5], AREA, &cells);
        let c = cells[0];
        assert_eq!((c.x, c.w), (AREA.x, AREA.w));
        let top_space = c.y - AREA.y;
        let bottom_space = AREA.bottom() - c.bottom();
        assert!(top_space.abs_diff(bottom_space) <= 1, "{c:?}");
        // One portrait photo in a landscape area: narrower, centred.
        let wide = Rect {
            x: 0,
            y: 0,
            w: 4000,
            h: 1000,
        };
        let cells = justified(&[0.5], wide, 10);
        check_cells(&[0.5], wide, &cells);
        assert_eq!(cells[0].h, 1000);
        assert_eq!(cells[0].w, 500);
        assert_eq!(cells[0].x, 1750);
        assert!(justified(&[], wide, 10).is_empty());
        // Nonsense ratios do not panic.
        let odd = justified(&[0.0, f64::NAN, 1000.0, 1.0], wide, 10);
        assert_eq!(odd.len(), 4);
    }

    #[test]
    fn periods_read_the_indonesian_way() {
        let p = |a, b| period_label(a, b);
        assert_eq!(
            p(date(2026, 7, 1), date(2026, 12, 31)),
            "Juli – Desember 2026"
        );
        assert_eq!(p(date(2026, 7, 1), date(2026, 7, 31)), "Juli 2026");
        assert_eq!(
            p(date(2025, 11, 1), date(2026, 2, 28)),
            "November 2025 – Februari 2026"
        );
        assert_eq!(
            p(date(2026, 7, 3), date(2026, 12, 15)),
            "3 Juli – 15 Desember 2026"
        );
        assert_eq!(p(date(2026, 7, 3), date(2026, 7, 15)), "3 – 15 Juli 2026");
        assert_eq!(
            p(date(2026, 11, 26), date(2026, 11, 26)),
            "26 November 2026"
        );
        assert_eq!(
            p(date(2025, 12, 3), date(2026, 1, 15)),
            "3 Desember 2025 – 15 Januari 2026"
        );
        assert_eq!(
            subtitle(Some(crate::schedule::Leader::Gubernur), "Juli 2026"),
            "Gubernur · Juli 2026"
        );
    }

    #[test]
    fn every_glyph_is_well_formed_and_text_has_glyphs() {
        let all = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 -–.,:/()'&·+!?";
        for c in all.chars() {
            let rows: Vec<&str> = glyph(c).split(' ').collect();
            assert!(rows.len() <= 9, "{c}");
            assert!(
                rows.iter()
                    .all(|r| r.len() == 5 && r.bytes().all(|b| b == b'#' || b == b'.')),
                "{c}"
            );
        }
        let unknown = glyph('?');
        for c in
            (TITLE.to_owned() + AGENCY + "Wakil Gubernur · Sekretaris Daerah Kepala Dinas Lainnya")
                .chars()
        {
            assert!(c == '?' || glyph(c) != unknown, "no glyph for {c:?}");
        }
        for m in crate::dates::MONTHS {
            assert!(m.chars().all(|c| glyph(c) != unknown), "{m}");
        }
    }

    fn circle_photo(w: u32, h: u32) -> Vec<u8> {
        let (cx, cy, r) = (w as f64 / 2.0, h as f64 / 2.0, w.min(h) as f64 * 0.3);
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            let d = ((x as f64 + 0.5 - cx).powi(2) + (y as f64 + 0.5 - cy).powi(2)).sqrt();
            if d <= r {
                image::Rgb([20, 40, 200])
            } else {
                image::Rgb([235, 235, 225])
            }
        });
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 92)
            .encode_image(&img)
            .unwrap();
        out
    }

    /// Width and height of the blue disc inside `cell`.
    fn disc_extent(img: &image::RgbImage, c: &Cell) -> (u32, u32) {
        let (mut x0, mut x1, mut y0, mut y1) = (u32::MAX, 0, u32::MAX, 0);
        for y in c.y..c.y + c.h {
            for x in c.x..c.x + c.w {
                let p = img.get_pixel(x, y);
                if p[2] > 120 && p[0] < 110 && p[1] < 120 {
                    (x0, x1, y0, y1) = (x0.min(x), x1.max(x), y0.min(y), y1.max(y));
                }
            }
        }
        (x1 + 1 - x0, y1 + 1 - y0)
    }

    #[test]
    fn a_rendered_collage_has_the_size_asked_and_round_circles() {
        // 3:2, 2:3, 1:1, 16:9, and a 3:2 stored sideways (EXIF 6: shown 2:3).
        let shapes = [
            (600, 400, 1),
            (400, 600, 1),
            (500, 500, 1),
            (640, 360, 1),
            (600, 400, 6),
        ];
        let sources: Vec<Source> = (0..10)
            .map(|i| {
                let (w, h, o) = shapes[i % shapes.len()];
                Source {
                    asset_id: format!("p{i}"),
                    bytes: circle_photo(w, h),
                    orientation: o,
                }
            })
            .collect();
        let spec = Spec {
            width: 1200,
            height: 1700,
            title: TITLE.into(),
            subtitle: "Gubernur · Juli – Desember 2026".into(),
            footer: AGENCY.into(),
        };
        let out = compose(&spec, sources).unwrap();
        assert!(out.skipped.is_empty(), "{:?}", out.skipped);
        assert_eq!(out.cells.len(), 10);
        let img = image::load_from_memory(&out.jpeg).unwrap().into_rgb8();
        assert_eq!((img.width(), img.height()), (1200, 1700));
        for (i, c) in out.cells.iter().enumerate() {
            let (w, h) = disc_extent(&img, c);
            let d = w.max(h) as f64;
            assert!(
                (w as f64 - h as f64).abs() <= 2.0 + d * 0.03,
                "cell {i} {c:?}: disc {w} x {h}"
            );
            // The sideways photo is shown upright: a portrait cell.
            if i % shapes.len() == 4 {
                assert!(c.h > c.w, "orientation 6 ignored: {c:?}");
            }
        }
        assert!(out.pdf.starts_with(b"%PDF-1.4"));
        let text = String::from_utf8_lossy(&out.pdf);
        assert!(
            text.contains("(Dokumentasi Kegiatan Pimpinan) Tj"),
            "title in the PDF"
        );
        assert!(
            text.contains("/MediaBox [0 0 288 408]"),
            "1200 x 1700 px at 300 dpi"
        );
    }

    #[test]
    fn an_a3_of_24_previews_renders_in_seconds() {
        // Preview-sized photos (1500 x 1000 and 1000 x 1500), as the store holds.
        let sources: Vec<Source> = (0..24)
            .map(|i| {
                let (w, h) = if i % 3 == 1 {
                    (1000, 1500)
                } else {
                    (1500, 1000)
                };
                Source {
                    asset_id: format!("p{i}"),
                    bytes: circle_photo(w, h),
                    orientation: 1,
                }
            })
            .collect();
        let (width, height) = A3_PORTRAIT_300DPI;
        let spec = Spec {
            width,
            height,
            title: TITLE.into(),
            subtitle: "Gubernur · Juli – Desember 2026".into(),
            footer: AGENCY.into(),
        };
        let started = std::time::Instant::now();
        let out = compose(&spec, sources).unwrap();
        let took = started.elapsed();
        eprintln!(
            "A3 collage of 24 previews: {took:?}, JPEG {} KiB, PDF {} KiB",
            out.jpeg.len() >> 10,
            out.pdf.len() >> 10
        );
        assert_eq!(out.cells.len(), 24);
        assert!(took < std::time::Duration::from_secs(30), "{took:?}");
    }

    #[test]
    fn the_default_page_is_a3_and_its_band_fits() {
        let (w, h) = A3_PORTRAIT_300DPI;
        assert!(((pt(w) / 72.0 * 25.4) - 297.0).abs() < 0.5);
        assert!(((pt(h) / 72.0 * 25.4) - 420.0).abs() < 0.5);
        let d = design(
            w,
            h,
            TITLE,
            "Wakil Gubernur · 3 Desember 2025 – 15 Januari 2026",
            AGENCY,
        );
        for line in &d.lines {
            assert!(
                text_units(&line.text) * line.scale <= d.photos.w,
                "{line:?}"
            );
        }
        assert!(d.photos.y > d.rule.bottom() && d.photos.bottom() < h);
        assert!(d.photos.h > h * 4 / 5, "{:?}", d.photos);
        // The smallest page still fits its text.
        let d = design(
            MIN_SIDE,
            MIN_SIDE,
            TITLE,
            "Sekretaris Daerah · November 2025 – Februari 2026",
            AGENCY,
        );
        for line in &d.lines {
            assert!(text_units(&line.text) * line.scale <= d.width, "{line:?}");
        }
        assert!(check_size(MAX_SIDE + 1, 10)
            .unwrap_err()
            .starts_with("width_px"));
        assert!(check_size(1000, 10).unwrap_err().starts_with("height_px"));
        assert!(check_size(w, h).is_ok());
    }

    #[test]
    fn sampling_keeps_the_ends() {
        let items: Vec<u32> = (0..100).collect();
        let s = sample_evenly(&items, 10);
        assert_eq!(s.len(), 10);
        assert_eq!((s[0], s[9]), (0, 99));
        assert_eq!(sample_evenly(&items[..5], 10), vec![0, 1, 2, 3, 4]);
    }
}
