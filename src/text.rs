//! The rules for free text that people type into the panel, the API or the
//! CLI (titles, places, names, captions, report bodies, notes): a length
//! limit per field and no control characters, checked where the text enters
//! the domain (the catalog writes), so every route and command gets the same
//! answer. The limits are in README.md ("Batas teks").
//!
//! Why: a 1 MB title made a 462-page daily-report PDF, and NUL, ESC and bidi
//! overrides (which make a name read backwards in a letter or a list) passed.
//! Emoji and any letter of any script are fine everywhere.

use crate::{Error, Result};

/// Limits in characters (not bytes: "Đức" is three).
pub const TITLE: usize = 300;
pub const PLACE: usize = 200;
pub const NAME: usize = 120;
pub const SHORT: usize = 120;
pub const CAPTION: usize = 2_000;
pub const NOTE: usize = 5_000;
pub const BODY: usize = 50_000;

/// Bidi embeddings, overrides and isolates: invisible, and they reorder
/// the text around them (a name or a file name that reads backwards).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

fn too_long(field: &str, max: usize) -> Error {
    Error::Invalid(format!(
        "{field}: terlalu panjang (maksimal {} karakter)",
        thousands(max)
    ))
}

fn control(field: &str, multi_line: bool) -> Error {
    Error::Invalid(if multi_line {
        format!("{field}: tidak boleh berisi karakter kendali (selain baris baru dan tab)")
    } else {
        format!("{field}: tidak boleh berisi karakter kendali (termasuk baris baru)")
    })
}

/// 50000 -> "50.000", the Indonesian way.
fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push('.');
        }
        out.push(c);
    }
    out
}

/// A one-line field: at most `max` characters and no control character at
/// all (newlines included) nor bidi control. Returns the value as given.
pub fn single_line<'a>(field: &str, value: &'a str, max: usize) -> Result<&'a str> {
    if value.chars().any(|c| c.is_control() || is_bidi_control(c)) {
        return Err(control(field, false));
    }
    if value.chars().count() > max {
        return Err(too_long(field, max));
    }
    Ok(value)
}

/// A multi-line field: at most `max` characters; of the control characters
/// only `\n`, `\r` directly before `\n`, and `\t` are allowed.
pub fn multi_line<'a>(field: &str, value: &'a str, max: usize) -> Result<&'a str> {
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        let fine = match c {
            '\n' | '\t' => true,
            '\r' => chars.peek() == Some(&'\n'),
            c => !c.is_control() && !is_bidi_control(c),
        };
        if !fine {
            return Err(control(field, true));
        }
    }
    if value.chars().count() > max {
        return Err(too_long(field, max));
    }
    Ok(value)
}

/// `single_line` for an optional field.
pub fn single_line_opt(field: &str, value: Option<&str>, max: usize) -> Result<()> {
    value.map_or(Ok(()), |v| single_line(field, v, max).map(drop))
}

/// `multi_line` for an optional field.
pub fn multi_line_opt(field: &str, value: Option<&str>, max: usize) -> Result<()> {
    value.map_or(Ok(()), |v| multi_line(field, v, max).map(drop))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn letters_and_emoji_pass_controls_do_not() {
        assert!(single_line("title", "Kunjungan Đức 🎉 ke Tanjung Selor", TITLE).is_ok());
        assert!(single_line("title", "تانجونج سلور", TITLE).is_ok());
        for bad in [
            "a\0b",
            "a\u{1b}[31m",
            "a\u{202e}b",
            "a\u{2066}b",
            "a\nb",
            "a\tb",
            "a\u{7f}",
        ] {
            let e = single_line("title", bad, TITLE).unwrap_err().to_string();
            assert_eq!(
                e, "title: tidak boleh berisi karakter kendali (termasuk baris baru)",
                "{bad:?}"
            );
        }
        assert!(multi_line("body", "Paragraf satu.\n\nDua\r\n\tTiga 😀", BODY).is_ok());
        for bad in ["a\rb", "a\0", "a\u{1b}", "a\u{202d}"] {
            assert!(multi_line("body", bad, BODY).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn limits_count_characters() {
        assert!(single_line("title", &"é".repeat(TITLE), TITLE).is_ok());
        assert_eq!(
            single_line("title", &"a".repeat(TITLE + 1), TITLE)
                .unwrap_err()
                .to_string(),
            "title: terlalu panjang (maksimal 300 karakter)"
        );
        assert_eq!(
            multi_line("body", &"a".repeat(BODY + 1), BODY)
                .unwrap_err()
                .to_string(),
            "body: terlalu panjang (maksimal 50.000 karakter)"
        );
    }
}
