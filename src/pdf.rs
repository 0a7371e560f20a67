//! A minimal PDF 1.4 writer: pages of text in the standard Type1 fonts, lines,
//! filled rectangles and JPEG images. Enough for a Surat Tugas, a daily report
//! or a photo collage; nothing more (no font embedding, no compression, no
//! forms, no annotations).
//!
//! What it owns:
//! - [`Document`]: the page size, the pages, and serialisation with a correct
//!   cross-reference table ([`Document::finish`] or [`Document::write_to`]).
//! - [`Page`]: drawing in PDF points (1/72 inch), origin at the **bottom-left**
//!   corner, y growing upwards; [`mm`] converts millimetres. Text is placed by its
//!   baseline.
//! - [`Font`]: the four standard fonts Times-Roman, Times-Bold, Helvetica and
//!   Helvetica-Bold in WinAnsiEncoding, with their AFM advance widths, so text can
//!   be measured ([`Font::width`]), centred, right-aligned and word-wrapped
//!   ([`Font::wrap`]). Unicode is mapped to WinAnsi (Windows-1252); a character
//!   with no WinAnsi code is drawn as `?`.
//! - JPEG images are embedded as they are (`/DCTDecode`): no decoding, no
//!   re-encoding; width, height and components come from the frame header (SOFn).
//!
//! The standard fonts are not embedded: every PDF reader carries them (or a
//! metric-compatible substitute), which keeps a letter at a few KiB.
//!
//! ```
//! use liputan::pdf::{mm, Document, Font, PageSize};
//! let mut doc = Document::new(PageSize::A4);
//! let (w, h) = doc.page_size();
//! let page = doc.add_page();
//! page.text_centered(Font::TimesBold, 14.0, w / 2.0, h - mm(30.0), "SURAT TUGAS");
//! page.line(mm(20.0), h - mm(33.0), w - mm(20.0), h - mm(33.0), 1.5);
//! let bytes = doc.finish();
//! assert!(bytes.starts_with(b"%PDF-1.4"));
//! ```
//!
//! Not here: letter content and layout (`crate::letters`), file names, HTTP.

use std::fmt::Write as _;
use std::io::{self, Write};

/// Millimetres to PDF points.
pub fn mm(v: f32) -> f32 {
    v * 72.0 / 25.4
}

/// Paper size of every page of a document.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PageSize {
    /// 210 x 297 mm, portrait.
    A4,
    /// F4 / folio as used by Indonesian regional government: 215 x 330 mm, portrait.
    F4,
    /// Any size in points (1/72 inch), width then height.
    Custom { w_pt: f32, h_pt: f32 },
}

impl PageSize {
    /// Width and height in points.
    pub fn dimensions(self) -> (f32, f32) {
        match self {
            PageSize::A4 => (mm(210.0), mm(297.0)),
            PageSize::F4 => (mm(215.0), mm(330.0)),
            PageSize::Custom { w_pt, h_pt } => (w_pt, h_pt),
        }
    }
}

/// One of the four standard Type1 fonts this writer uses (never embedded).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Font {
    TimesRoman,
    TimesBold,
    Helvetica,
    HelveticaBold,
}

impl Font {
    const ALL: [Font; 4] = [
        Font::TimesRoman,
        Font::TimesBold,
        Font::Helvetica,
        Font::HelveticaBold,
    ];

    /// The PostScript name written as `/BaseFont`.
    pub fn base_font(self) -> &'static str {
        match self {
            Font::TimesRoman => "Times-Roman",
            Font::TimesBold => "Times-Bold",
            Font::Helvetica => "Helvetica",
            Font::HelveticaBold => "Helvetica-Bold",
        }
    }

    fn index(self) -> usize {
        match self {
            Font::TimesRoman => 0,
            Font::TimesBold => 1,
            Font::Helvetica => 2,
            Font::HelveticaBold => 3,
        }
    }

    fn widths(self) -> &'static [u16; 224] {
        match self {
            Font::TimesRoman => &TIMES_ROMAN,
            Font::TimesBold => &TIMES_BOLD,
            Font::Helvetica => &HELVETICA,
            Font::HelveticaBold => &HELVETICA_BOLD,
        }
    }

    /// Advance width of one WinAnsi code, in thousandths of the font size.
    fn code_width(self, code: u8) -> u16 {
        if code < 32 {
            return 0;
        }
        self.widths()[(code - 32) as usize]
    }

    /// Width of `text` at `size` points, in points, as it will be drawn (after the
    /// WinAnsi mapping; no kerning).
    pub fn width(self, text: &str, size: f32) -> f32 {
        let units: u32 = text
            .chars()
            .map(|c| self.code_width(win_ansi(c)) as u32)
            .sum();
        units as f32 * size / 1000.0
    }

    /// Breaks `text` into lines no wider than `max_width` points at `size`.
    ///
    /// Words are separated by whitespace (runs collapse to one space); a `\n`
    /// starts a new line (an empty line for `\n\n`); a word wider than the whole
    /// line is cut between characters. An empty text gives no lines.
    pub fn wrap(self, text: &str, size: f32, max_width: f32) -> Vec<String> {
        let space = self.width(" ", size);
        let mut lines = Vec::new();
        if text.is_empty() {
            return lines;
        }
        for paragraph in text.strip_suffix('\n').unwrap_or(text).split('\n') {
            let mut line = String::new();
            let mut line_w = 0.0f32;
            for word in paragraph.split_whitespace() {
                let word_w = self.width(word, size);
                if !line.is_empty() {
                    if line_w + space + word_w <= max_width + 0.001 {
                        line.push(' ');
                        line.push_str(word);
                        line_w += space + word_w;
                        continue;
                    }
                    lines.push(std::mem::take(&mut line));
                    line_w = 0.0;
                }
                if word_w <= max_width + 0.001 {
                    line.push_str(word);
                    line_w = word_w;
                    continue;
                }
                // A word longer than a whole line: cut it between characters.
                for c in word.chars() {
                    let cw = self.width(c.encode_utf8(&mut [0; 4]), size);
                    if !line.is_empty() && line_w + cw > max_width + 0.001 {
                        lines.push(std::mem::take(&mut line));
                        line_w = 0.0;
                    }
                    line.push(c);
                    line_w += cw;
                }
            }
            lines.push(line);
        }
        lines
    }
}

/// A colour for text, fills and strokes: red, green, blue in 0..=1.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rgb(pub f32, pub f32, pub f32);

impl Rgb {
    pub const BLACK: Rgb = Rgb(0.0, 0.0, 0.0);
    pub const WHITE: Rgb = Rgb(1.0, 1.0, 1.0);
}

/// Why an image could not be placed.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PdfError {
    #[error("not a JPEG (no start-of-image marker)")]
    NotJpeg,
    #[error("JPEG has no frame header before its image data")]
    NoFrame,
    #[error("unsupported JPEG: {0}")]
    Unsupported(String),
}

/// An image embedded as a JPEG stream.
#[derive(Debug, Clone, PartialEq)]
struct Jpeg {
    data: Vec<u8>,
    width: u32,
    height: u32,
    components: u8,
    adobe_inverted: bool,
}

/// One page: a content stream plus the images it draws.
#[derive(Debug)]
pub struct Page {
    width: f32,
    height: f32,
    content: String,
    images: Vec<Jpeg>,
    fonts_used: [bool; 4],
}

impl Page {
    fn new(width: f32, height: f32) -> Page {
        Page {
            width,
            height,
            content: String::new(),
            images: Vec::new(),
            fonts_used: [false; 4],
        }
    }

    /// Page width in points.
    pub fn width(&self) -> f32 {
        self.width
    }

    /// Page height in points.
    pub fn height(&self) -> f32 {
        self.height
    }

    /// Draws `text` on one line with its baseline starting at (`x`, `y`).
    /// Line breaks and tabs are drawn as spaces.
    pub fn text(&mut self, font: Font, size: f32, x: f32, y: f32, text: &str) {
        if text.is_empty() {
            return;
        }
        self.fonts_used[font.index()] = true;
        let _ = write!(
            self.content,
            "BT /F{} {} Tf {} {} Td ",
            font.index() + 1,
            num(size),
            num(x),
            num(y)
        );
        push_string(&mut self.content, text);
        self.content.push_str(" Tj ET\n");
    }

    /// Draws `text` centred on `center_x`.
    pub fn text_centered(&mut self, font: Font, size: f32, center_x: f32, y: f32, text: &str) {
        let w = font.width(text, size);
        self.text(font, size, center_x - w / 2.0, y, text);
    }

    /// Draws `text` ending at `right_x`.
    pub fn text_right(&mut self, font: Font, size: f32, right_x: f32, y: f32, text: &str) {
        let w = font.width(text, size);
        self.text(font, size, right_x - w, y, text);
    }

    /// Word-wraps `text` to `max_width` and draws it left-aligned, the first
    /// baseline at `y`, each next one `leading` points lower. Returns the baseline
    /// the next line would have (`y - lines * leading`).
    #[allow(clippy::too_many_arguments)] // a text box: font, size, position, width, leading, text
    pub fn paragraph(
        &mut self,
        font: Font,
        size: f32,
        x: f32,
        y: f32,
        max_width: f32,
        leading: f32,
        text: &str,
    ) -> f32 {
        let mut y = y;
        for line in font.wrap(text, size, max_width) {
            self.text(font, size, x, y, &line);
            y -= leading;
        }
        y
    }

    /// Sets the colour of text and fills drawn after this call.
    pub fn fill_color(&mut self, c: Rgb) {
        let _ = writeln!(self.content, "{} {} {} rg", num(c.0), num(c.1), num(c.2));
    }

    /// Sets the colour of lines drawn after this call.
    pub fn stroke_color(&mut self, c: Rgb) {
        let _ = writeln!(self.content, "{} {} {} RG", num(c.0), num(c.1), num(c.2));
    }

    /// A straight line `thickness` points wide (butt caps).
    pub fn line(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, thickness: f32) {
        let _ = writeln!(
            self.content,
            "q {} w {} {} m {} {} l S Q",
            num(thickness),
            num(x1),
            num(y1),
            num(x2),
            num(y2)
        );
    }

    /// A filled rectangle in the current fill colour; (`x`, `y`) is its
    /// bottom-left corner.
    pub fn fill_rect(&mut self, x: f32, y: f32, w: f32, h: f32) {
        let _ = writeln!(
            self.content,
            "{} {} {} {} re f",
            num(x),
            num(y),
            num(w),
            num(h)
        );
    }

    /// Places a JPEG, bytes as they are, scaled to `w` x `h` points with its
    /// bottom-left corner at (`x`, `y`). Baseline, extended and progressive JPEGs
    /// with 8-bit samples and 1 (grey), 3 (YCbCr/RGB) or 4 (CMYK) components.
    ///
    /// The bytes are kept until the document is written; a collage of many
    /// large photos should pass resized copies.
    pub fn image(&mut self, jpeg: &[u8], x: f32, y: f32, w: f32, h: f32) -> Result<(), PdfError> {
        let info = jpeg_info(jpeg)?;
        self.images.push(Jpeg {
            data: jpeg.to_vec(),
            ..info
        });
        let _ = writeln!(
            self.content,
            "q {} 0 0 {} {} {} cm /Im{} Do Q",
            num(w),
            num(h),
            num(x),
            num(y),
            self.images.len()
        );
        Ok(())
    }
}

/// A PDF document under construction. All pages share one size.
#[derive(Debug)]
pub struct Document {
    size: PageSize,
    pages: Vec<Page>,
    title: Option<String>,
}

impl Document {
    pub fn new(size: PageSize) -> Document {
        Document {
            size,
            pages: Vec::new(),
            title: None,
        }
    }

    /// Width and height of the pages in points.
    pub fn page_size(&self) -> (f32, f32) {
        self.size.dimensions()
    }

    /// The document title shown by readers (the Info dictionary).
    pub fn set_title(&mut self, title: &str) {
        self.title = Some(title.to_owned());
    }

    /// Appends an empty page and returns it for drawing.
    pub fn add_page(&mut self) -> &mut Page {
        let (w, h) = self.page_size();
        self.pages.push(Page::new(w, h));
        self.pages.last_mut().expect("just pushed")
    }

    /// How many pages there are.
    pub fn page_count(&self) -> usize {
        self.pages.len()
    }

    /// The page at `index` (from 0), to draw on it again.
    pub fn page_mut(&mut self, index: usize) -> Option<&mut Page> {
        self.pages.get_mut(index)
    }

    /// The whole file. A document without pages gets one empty page.
    pub fn finish(self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out)
            .expect("writing to a Vec never fails");
        out
    }

    /// Writes the whole file to `out` (the same bytes as [`Document::finish`]).
    pub fn write_to<W: Write>(mut self, out: W) -> io::Result<()> {
        if self.pages.is_empty() {
            self.add_page();
        }
        let mut w = Counting { inner: out, at: 0 };
        // Object numbers: 1 catalog, 2 page tree, 3 info, 4..=7 fonts, then per page:
        // the page, its content stream, its images.
        let mut offsets: Vec<u64> = Vec::new();
        let font_obj = |f: Font| 4 + f.index();
        let mut page_objs = Vec::with_capacity(self.pages.len());
        let mut next = 8;
        for page in &self.pages {
            page_objs.push(next);
            next += 2 + page.images.len();
        }
        let total = next;

        w.write_all(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")?;

        begin(&mut w, &mut offsets, 1)?;
        w.write_all(b"<< /Type /Catalog /Pages 2 0 R >>\nendobj\n")?;

        begin(&mut w, &mut offsets, 2)?;
        let kids: Vec<String> = page_objs.iter().map(|n| format!("{n} 0 R")).collect();
        write!(
            w,
            "<< /Type /Pages /Kids [{}] /Count {} >>\nendobj\n",
            kids.join(" "),
            page_objs.len()
        )?;

        begin(&mut w, &mut offsets, 3)?;
        let mut info = String::from("<< /Producer (liputan)");
        if let Some(title) = &self.title {
            info.push_str(" /Title ");
            push_text_string(&mut info, title);
        }
        info.push_str(" >>\nendobj\n");
        w.write_all(info.as_bytes())?;

        for f in Font::ALL {
            begin(&mut w, &mut offsets, font_obj(f))?;
            write!(
                w,
                "<< /Type /Font /Subtype /Type1 /BaseFont /{} /Encoding /WinAnsiEncoding >>\nendobj\n",
                f.base_font()
            )?;
        }

        for (page, &obj) in self.pages.iter().zip(&page_objs) {
            let mut res = String::from("<< /ProcSet [/PDF /Text /ImageB /ImageC]");
            if page.fonts_used.iter().any(|u| *u) {
                res.push_str(" /Font <<");
                for f in Font::ALL {
                    if page.fonts_used[f.index()] {
                        let _ = write!(res, " /F{} {} 0 R", f.index() + 1, font_obj(f));
                    }
                }
                res.push_str(" >>");
            }
            if !page.images.is_empty() {
                res.push_str(" /XObject <<");
                for i in 0..page.images.len() {
                    let _ = write!(res, " /Im{} {} 0 R", i + 1, obj + 2 + i);
                }
                res.push_str(" >>");
            }
            res.push_str(" >>");
            begin(&mut w, &mut offsets, obj)?;
            write!(
                w,
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {} {}] /Resources {} /Contents {} 0 R >>\nendobj\n",
                num(page.width),
                num(page.height),
                res,
                obj + 1
            )?;
            begin(&mut w, &mut offsets, obj + 1)?;
            write!(w, "<< /Length {} >>\nstream\n", page.content.len())?;
            w.write_all(page.content.as_bytes())?;
            w.write_all(b"\nendstream\nendobj\n")?;
            for (i, img) in page.images.iter().enumerate() {
                begin(&mut w, &mut offsets, obj + 2 + i)?;
                let (space, decode) = match (img.components, img.adobe_inverted) {
                    (1, _) => ("/DeviceGray", ""),
                    (3, _) => ("/DeviceRGB", ""),
                    (_, true) => ("/DeviceCMYK", " /Decode [1 0 1 0 1 0 1 0]"),
                    (_, false) => ("/DeviceCMYK", ""),
                };
                write!(
                    w,
                    "<< /Type /XObject /Subtype /Image /Width {} /Height {} /ColorSpace {} /BitsPerComponent 8{} /Filter /DCTDecode /Length {} >>\nstream\n",
                    img.width,
                    img.height,
                    space,
                    decode,
                    img.data.len()
                )?;
                w.write_all(&img.data)?;
                w.write_all(b"\nendstream\nendobj\n")?;
            }
        }

        debug_assert_eq!(offsets.len(), total - 1);
        let xref_at = w.at;
        write!(w, "xref\n0 {total}\n0000000000 65535 f \n")?;
        for off in &offsets {
            writeln!(w, "{off:010} 00000 n ")?;
        }
        write!(
            w,
            "trailer\n<< /Size {total} /Root 1 0 R /Info 3 0 R >>\nstartxref\n{xref_at}\n%%EOF\n"
        )?;
        w.inner.flush()
    }
}

/// Records where object `n` starts; objects are written in number order.
fn begin<W: Write>(w: &mut Counting<W>, offsets: &mut Vec<u64>, n: usize) -> io::Result<()> {
    debug_assert_eq!(offsets.len() + 1, n, "objects are written in order");
    offsets.push(w.at);
    writeln!(w, "{n} 0 obj")
}

/// A writer that counts the bytes written, for the xref offsets.
struct Counting<W> {
    inner: W,
    at: u64,
}

impl<W: Write> Write for Counting<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.at += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A number as PDF wants it: at most 3 decimals, no exponent, no `-0`.
fn num(v: f32) -> String {
    if !v.is_finite() {
        return "0".into();
    }
    let mut s = format!("{:.3}", v);
    while s.ends_with('0') {
        s.pop();
    }
    if s.ends_with('.') {
        s.pop();
    }
    if s == "-0" {
        s = "0".into();
    }
    s
}

/// Appends `text` as a PDF literal string in WinAnsi: `(`, `)` and `\` escaped,
/// codes above 126 as octal escapes so the content stream stays ASCII.
fn push_string(out: &mut String, text: &str) {
    out.push('(');
    for c in text.chars() {
        let b = match c {
            '\n' | '\r' | '\t' => b' ',
            c => win_ansi(c),
        };
        match b {
            b'(' | b')' | b'\\' => {
                out.push('\\');
                out.push(b as char);
            }
            32..=126 => out.push(b as char),
            _ => {
                let _ = write!(out, "\\{:03o}", b);
            }
        }
    }
    out.push(')');
}

/// A text string outside content streams (the title): UTF-16BE with a BOM, hex.
fn push_text_string(out: &mut String, text: &str) {
    out.push_str("<FEFF");
    for unit in text.encode_utf16() {
        let _ = write!(out, "{unit:04X}");
    }
    out.push('>');
}

/// The WinAnsiEncoding code of `c`, or `?` when it has none. Control characters
/// become `?` too.
pub fn win_ansi(c: char) -> u8 {
    match c {
        ' '..='~' => c as u8,
        '\u{a0}'..='\u{ff}' => c as u32 as u8,
        '\u{20ac}' => 128,
        '\u{201a}' => 130,
        '\u{0192}' => 131,
        '\u{201e}' => 132,
        '\u{2026}' => 133,
        '\u{2020}' => 134,
        '\u{2021}' => 135,
        '\u{02c6}' => 136,
        '\u{2030}' => 137,
        '\u{0160}' => 138,
        '\u{2039}' => 139,
        '\u{0152}' => 140,
        '\u{017d}' => 142,
        '\u{2018}' => 145,
        '\u{2019}' => 146,
        '\u{201c}' => 147,
        '\u{201d}' => 148,
        '\u{2022}' => 149,
        '\u{2013}' => 150,
        '\u{2014}' => 151,
        '\u{02dc}' => 152,
        '\u{2122}' => 153,
        '\u{0161}' => 154,
        '\u{203a}' => 155,
        '\u{0153}' => 156,
        '\u{017e}' => 158,
        '\u{0178}' => 159,
        // Common look-alikes with no WinAnsi code.
        '\u{2010}' | '\u{2011}' | '\u{2012}' | '\u{2212}' => b'-',
        '\u{2002}'..='\u{200a}' | '\u{202f}' => b' ',
        _ => b'?',
    }
}

/// Width, height (pixels) and components of a JPEG as [`Page::image`] would
/// embed it, or why it would refuse it. For keeping aspect ratios.
pub fn jpeg_dimensions(data: &[u8]) -> Result<(u32, u32, u8), PdfError> {
    let info = jpeg_info(data)?;
    Ok((info.width, info.height, info.components))
}

/// Reads what the image dictionary needs from a JPEG's frame header.
fn jpeg_info(data: &[u8]) -> Result<Jpeg, PdfError> {
    if !data.starts_with(&[0xff, 0xd8]) {
        return Err(PdfError::NotJpeg);
    }
    let mut i = 2;
    let mut adobe = false;
    loop {
        // Skip to a marker; fill bytes 0xff may repeat.
        while i < data.len() && data[i] != 0xff {
            i += 1;
        }
        while i < data.len() && data[i] == 0xff {
            i += 1;
        }
        if i >= data.len() {
            return Err(PdfError::NoFrame);
        }
        let code = data[i];
        i += 1;
        match code {
            0x01 | 0xd0..=0xd7 => continue,
            0xd9 | 0xda => return Err(PdfError::NoFrame),
            _ => {}
        }
        if i + 2 > data.len() {
            return Err(PdfError::NoFrame);
        }
        let len = u16::from_be_bytes([data[i], data[i + 1]]) as usize;
        if len < 2 || i + len > data.len() {
            return Err(PdfError::NoFrame);
        }
        let seg = &data[i + 2..i + len];
        match code {
            0xee if seg.starts_with(b"Adobe") => adobe = true,
            0xc0..=0xc2 => {
                if seg.len() < 6 {
                    return Err(PdfError::NoFrame);
                }
                let precision = seg[0];
                let height = u16::from_be_bytes([seg[1], seg[2]]) as u32;
                let width = u16::from_be_bytes([seg[3], seg[4]]) as u32;
                let components = seg[5];
                if precision != 8 {
                    return Err(PdfError::Unsupported(format!(
                        "{precision}-bit samples (only 8-bit)"
                    )));
                }
                if width == 0 || height == 0 {
                    return Err(PdfError::Unsupported(
                        "height given after the scan (DNL)".into(),
                    ));
                }
                if !matches!(components, 1 | 3 | 4) {
                    return Err(PdfError::Unsupported(format!("{components} components")));
                }
                return Ok(Jpeg {
                    data: Vec::new(),
                    width,
                    height,
                    components,
                    adobe_inverted: adobe && components == 4,
                });
            }
            0xc3 | 0xc5..=0xc7 | 0xc9..=0xcb | 0xcd..=0xcf => {
                return Err(PdfError::Unsupported(
                    "lossless, hierarchical or arithmetic-coded JPEG".into(),
                ))
            }
            _ => {}
        }
        i += len;
    }
}

// Advance widths of WinAnsi codes 32..=255 in 1/1000 em, from the AFM files of
// the standard fonts (as shipped, metric-compatible, in the URW base35 set:
// NimbusRoman-Regular/Bold = Times-Roman/Bold, NimbusSans-Regular/Bold =
// Helvetica/Helvetica-Bold). Codes with no glyph in WinAnsi (129, 141, 143, 144,
// 157) are 0 and never drawn.
const TIMES_ROMAN: [u16; 224] = [
    250, 333, 408, 500, 500, 833, 778, 180, 333, 333, 500, 564, 250, 333, 250, 278, 500, 500, 500,
    500, 500, 500, 500, 500, 500, 500, 278, 278, 564, 564, 564, 444, 921, 722, 667, 667, 722, 611,
    556, 722, 722, 333, 389, 722, 611, 889, 722, 722, 556, 722, 667, 556, 611, 722, 722, 944, 722,
    722, 611, 333, 278, 333, 469, 500, 333, 444, 500, 444, 500, 444, 333, 500, 500, 278, 278, 500,
    278, 778, 500, 500, 500, 500, 333, 389, 278, 500, 500, 722, 500, 500, 444, 480, 200, 480, 541,
    0, 500, 0, 333, 500, 444, 1000, 500, 500, 333, 1000, 556, 333, 889, 0, 611, 0, 0, 333, 333,
    444, 444, 350, 500, 1000, 333, 980, 389, 333, 722, 0, 444, 722, 250, 333, 500, 500, 500, 500,
    200, 500, 333, 760, 276, 500, 564, 333, 760, 333, 400, 564, 300, 300, 333, 500, 453, 250, 333,
    300, 310, 500, 750, 750, 750, 444, 722, 722, 722, 722, 722, 722, 889, 667, 611, 611, 611, 611,
    333, 333, 333, 333, 722, 722, 722, 722, 722, 722, 722, 564, 722, 722, 722, 722, 722, 722, 556,
    500, 444, 444, 444, 444, 444, 444, 667, 444, 444, 444, 444, 444, 278, 278, 278, 278, 500, 500,
    500, 500, 500, 500, 500, 564, 500, 500, 500, 500, 500, 500, 500, 500,
];
const TIMES_BOLD: [u16; 224] = [
    250, 333, 555, 500, 500, 1000, 833, 278, 333, 333, 500, 570, 250, 333, 250, 278, 500, 500, 500,
    500, 500, 500, 500, 500, 500, 500, 333, 333, 570, 570, 570, 500, 930, 722, 667, 722, 722, 667,
    611, 778, 778, 389, 500, 778, 667, 944, 722, 778, 611, 778, 722, 556, 667, 722, 722, 1000, 722,
    722, 667, 333, 278, 333, 581, 500, 333, 500, 556, 444, 556, 444, 333, 500, 556, 278, 333, 556,
    278, 833, 556, 500, 556, 556, 444, 389, 333, 556, 500, 722, 500, 500, 444, 394, 220, 394, 520,
    0, 500, 0, 333, 500, 500, 1000, 500, 500, 333, 1000, 556, 333, 1000, 0, 667, 0, 0, 333, 333,
    500, 500, 350, 500, 1000, 333, 1000, 389, 333, 722, 0, 444, 722, 250, 333, 500, 500, 500, 500,
    220, 500, 333, 747, 300, 500, 570, 333, 747, 333, 400, 570, 300, 300, 333, 556, 540, 250, 333,
    300, 330, 500, 750, 750, 750, 500, 722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667,
    389, 389, 389, 389, 722, 722, 778, 778, 778, 778, 778, 570, 778, 722, 722, 722, 722, 722, 611,
    556, 500, 500, 500, 500, 500, 500, 722, 444, 444, 444, 444, 444, 278, 278, 278, 278, 500, 556,
    500, 500, 500, 500, 500, 570, 500, 556, 556, 556, 556, 500, 556, 500,
];
const HELVETICA: [u16; 224] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 278, 278, 584, 584, 584, 556, 1015, 667, 667, 722, 722, 667,
    611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 278, 278, 278, 469, 556, 333, 556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500,
    222, 833, 556, 556, 556, 556, 333, 500, 278, 556, 500, 722, 500, 500, 500, 334, 260, 334, 584,
    0, 556, 0, 222, 556, 333, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, 0, 222, 222,
    333, 333, 350, 556, 1000, 333, 1000, 500, 333, 944, 0, 500, 667, 278, 333, 556, 556, 556, 556,
    260, 556, 333, 737, 370, 556, 584, 333, 737, 333, 400, 584, 333, 333, 333, 556, 537, 278, 333,
    333, 365, 556, 834, 834, 834, 611, 667, 667, 667, 667, 667, 667, 1000, 722, 667, 667, 667, 667,
    278, 278, 278, 278, 722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667,
    611, 556, 556, 556, 556, 556, 556, 889, 500, 556, 556, 556, 556, 278, 278, 278, 278, 556, 556,
    556, 556, 556, 556, 556, 584, 611, 556, 556, 556, 556, 500, 556, 500,
];
const HELVETICA_BOLD: [u16; 224] = [
    278, 333, 474, 556, 556, 889, 722, 238, 333, 333, 389, 584, 278, 333, 278, 278, 556, 556, 556,
    556, 556, 556, 556, 556, 556, 556, 333, 333, 584, 584, 584, 611, 975, 722, 722, 722, 722, 667,
    611, 778, 722, 278, 556, 722, 611, 833, 722, 778, 667, 778, 722, 667, 611, 722, 667, 944, 667,
    667, 611, 333, 278, 333, 584, 556, 333, 556, 611, 556, 611, 556, 333, 611, 611, 278, 278, 556,
    278, 889, 611, 611, 611, 611, 389, 556, 333, 611, 556, 778, 556, 556, 500, 389, 280, 389, 584,
    0, 556, 0, 278, 556, 500, 1000, 556, 556, 333, 1000, 667, 333, 1000, 0, 611, 0, 0, 278, 278,
    500, 500, 350, 556, 1000, 333, 1000, 556, 333, 944, 0, 500, 667, 278, 333, 556, 556, 556, 556,
    280, 556, 333, 737, 370, 556, 584, 333, 737, 333, 400, 584, 333, 333, 333, 611, 556, 278, 333,
    333, 365, 556, 834, 834, 834, 611, 722, 722, 722, 722, 722, 722, 1000, 722, 667, 667, 667, 667,
    278, 278, 278, 278, 722, 722, 778, 778, 778, 778, 778, 584, 778, 722, 722, 722, 722, 667, 667,
    611, 556, 556, 556, 556, 556, 556, 889, 556, 556, 556, 556, 556, 278, 278, 278, 278, 611, 611,
    611, 611, 611, 611, 611, 584, 611, 611, 611, 611, 611, 556, 611, 556,
];
#[cfg(test)]
mod tests {
    use super::*;

    fn sample_jpeg(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_fn(w, h, |x, y| {
            image::Rgb([(x * 255 / w) as u8, (y * 255 / h) as u8, 128])
        });
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
            .encode_image(&img)
            .unwrap();
        out
    }

    /// Checks the xref table: every offset points at `N 0 obj`, startxref at `xref`.
    fn check_structure(pdf: &[u8]) -> usize {
        let text = String::from_utf8_lossy(pdf);
        let sx = text.rfind("startxref\n").expect("startxref");
        let xref_at: usize = text[sx + 10..].lines().next().unwrap().parse().unwrap();
        assert_eq!(&pdf[xref_at..xref_at + 5], b"xref\n");
        // Everything from the xref table on is ASCII.
        let tail = std::str::from_utf8(&pdf[xref_at..]).unwrap();
        let mut lines = tail.lines();
        lines.next();
        let header = lines.next().unwrap();
        let count: usize = header.split(' ').nth(1).unwrap().parse().unwrap();
        assert_eq!(lines.next().unwrap(), "0000000000 65535 f ");
        for n in 1..count {
            let entry = lines.next().unwrap();
            assert_eq!(entry.len(), 19, "{entry:?}"); // plus the newline: 20 bytes
            let off: usize = entry[..10].parse().unwrap();
            let expect = format!("{n} 0 obj\n");
            assert_eq!(
                &pdf[off..off + expect.len()],
                expect.as_bytes(),
                "object {n} at {off}"
            );
        }
        assert!(lines.next().unwrap().starts_with("trailer"));
        assert!(text.contains(&format!("/Size {count} ")));
        assert!(pdf.ends_with(b"%%EOF\n"));
        count
    }

    fn pdftotext(pdf: &[u8]) -> Option<String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.pdf");
        std::fs::write(&path, pdf).unwrap();
        match std::process::Command::new("pdftotext")
            .args(["-layout", "-enc", "UTF-8"])
            .arg(&path)
            .arg("-")
            .output()
        {
            Ok(out) => {
                assert!(
                    out.status.success(),
                    "pdftotext: {}",
                    String::from_utf8_lossy(&out.stderr)
                );
                Some(String::from_utf8(out.stdout).unwrap())
            }
            Err(e) => {
                if std::env::var("CI").as_deref() == Ok("true") {
                    panic!("pdftotext is required under CI=true (poppler-utils): {e}");
                }
                eprintln!("pdftotext not found, skipping the text check: {e}");
                None
            }
        }
    }

    #[test]
    fn structure_and_xref_offsets() {
        let mut doc = Document::new(PageSize::F4);
        doc.set_title("Surat Tugas 000.1.2.3/0001/DKISP/2026");
        let jpeg = sample_jpeg(40, 30);
        for i in 0..3 {
            let p = doc.add_page();
            p.text(Font::Helvetica, 12.0, 72.0, 700.0, &format!("halaman {i}"));
            p.line(72.0, 690.0, 500.0, 690.0, 1.0);
            if i == 1 {
                p.image(&jpeg, 72.0, 400.0, 200.0, 150.0).unwrap();
                p.image(&jpeg, 300.0, 400.0, 100.0, 75.0).unwrap();
            }
        }
        let pdf = doc.finish();
        assert!(pdf.starts_with(b"%PDF-1.4\n"));
        // 1 catalog + pages + info + 4 fonts + 3 pages x 2 + 2 images, plus object 0.
        assert_eq!(check_structure(&pdf), 1 + 7 + 6 + 2);
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains("/MediaBox [0 0 609.449 935.433]"), "F4 size");
        assert!(text.contains("/Width 40 /Height 30 /ColorSpace /DeviceRGB"));
        assert!(text.contains("/Filter /DCTDecode"));
        // The JPEG is embedded byte for byte.
        assert!(pdf.windows(jpeg.len()).any(|w| w == &jpeg[..]));
    }

    #[test]
    fn empty_document_has_one_page() {
        let pdf = Document::new(PageSize::A4).finish();
        check_structure(&pdf);
        assert!(String::from_utf8_lossy(&pdf).contains("/Count 1"));
    }

    #[test]
    fn text_is_extractable() {
        let mut doc = Document::new(PageSize::A4);
        let (w, h) = doc.page_size();
        let p = doc.add_page();
        p.text_centered(Font::TimesBold, 14.0, w / 2.0, h - 80.0, "SURAT TUGAS");
        p.text(
            Font::TimesRoman,
            12.0,
            72.0,
            h - 110.0,
            "Dikeluarkan di Tanjung Selor, pada tanggal 26 November 2026",
        );
        p.text(
            Font::Helvetica,
            11.0,
            72.0,
            h - 130.0,
            "Kurung (dan) garis \\ miring — café “kutip” 20€ ✓",
        );
        p.text_right(
            Font::HelveticaBold,
            11.0,
            w - 72.0,
            h - 150.0,
            "NIP 19860926 201505 1 001",
        );
        let pdf = doc.finish();
        check_structure(&pdf);
        let raw = String::from_utf8_lossy(&pdf);
        assert!(
            raw.contains(r"(Kurung \(dan\) garis \\ miring \227 caf\351 \223kutip\224 20\200 ?)"),
            "{raw}"
        );
        let Some(text) = pdftotext(&pdf) else { return };
        assert!(text.contains("SURAT TUGAS"), "{text}");
        assert!(text.contains("Dikeluarkan di Tanjung Selor, pada tanggal 26 November 2026"));
        assert!(
            text.contains("Kurung (dan) garis \\ miring — café “kutip” 20€ ?"),
            "{text}"
        );
        assert!(text.contains("NIP 19860926 201505 1 001"));
    }

    #[test]
    fn widths_match_the_afm() {
        // Helvetica: H=722 e=556 l=222 o=556 -> 2278; Times-Roman space 250.
        assert!((Font::Helvetica.width("Hello", 10.0) - 22.78).abs() < 1e-4);
        assert!((Font::TimesRoman.width(" ", 1000.0) - 250.0).abs() < 1e-3);
        assert!((Font::TimesBold.width("W", 1000.0) - 1000.0).abs() < 1e-3);
        assert!((Font::HelveticaBold.width("a", 1000.0) - 556.0).abs() < 1e-3);
        // An unmappable character measures as '?'.
        assert_eq!(
            Font::Helvetica.width("✓", 10.0),
            Font::Helvetica.width("?", 10.0)
        );
        assert_eq!(
            Font::TimesRoman.width("é", 10.0),
            Font::TimesRoman.width("e", 10.0)
        );
    }

    #[test]
    fn wrapping_respects_the_width() {
        let text = "Melaksanakan peliputan dan dokumentasi (foto, video, dan berita) kegiatan \
                    Gubernur Kalimantan Utara dalam rangka Kunjungan Kerja ke Kabupaten Nunukan";
        for width in [80.0, 150.0, 300.0, 1000.0] {
            let lines = Font::TimesRoman.wrap(text, 12.0, width);
            for l in &lines {
                assert!(
                    Font::TimesRoman.width(l, 12.0) <= width + 0.001,
                    "{l:?} > {width}"
                );
            }
            // Nothing lost or reordered.
            assert_eq!(
                lines.join(" "),
                text.split_whitespace().collect::<Vec<_>>().join(" ")
            );
            if width == 1000.0 {
                assert_eq!(lines.len(), 1);
            }
        }
        // Greedy: each line but the last could not take the next word.
        let lines = Font::Helvetica.wrap(text, 11.0, 200.0);
        for pair in lines.windows(2) {
            let next_word = pair[1].split(' ').next().unwrap();
            let longer = format!("{} {}", pair[0], next_word);
            assert!(Font::Helvetica.width(&longer, 11.0) > 200.0);
        }
        // Hard breaks and over-long words.
        assert_eq!(
            Font::Helvetica.wrap("a\n\nb", 10.0, 100.0),
            vec!["a", "", "b"]
        );
        assert!(Font::Helvetica.wrap("", 10.0, 100.0).is_empty());
        let cut = Font::Helvetica.wrap("0000000000000000000000", 10.0, 30.0);
        assert!(cut.len() > 1 && cut.iter().all(|l| Font::Helvetica.width(l, 10.0) <= 30.0));
        assert_eq!(cut.concat(), "0000000000000000000000");
    }

    #[test]
    fn jpeg_header_is_read() {
        let j = sample_jpeg(33, 17);
        let info = jpeg_info(&j).unwrap();
        assert_eq!((info.width, info.height, info.components), (33, 17, 3));
        assert_eq!(jpeg_info(b"GIF89a"), Err(PdfError::NotJpeg));
        assert_eq!(jpeg_info(&j[..20]), Err(PdfError::NoFrame));
        let mut p = Page::new(100.0, 100.0);
        assert!(p.image(b"nope", 0.0, 0.0, 1.0, 1.0).is_err());
        assert!(p.content.is_empty(), "nothing drawn for a refused image");
    }

    #[test]
    fn numbers_are_plain() {
        assert_eq!(num(595.2756), "595.276");
        assert_eq!(num(12.0), "12");
        assert_eq!(num(-0.0001), "0");
        assert_eq!(num(0.5), "0.5");
    }
}
