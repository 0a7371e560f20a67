//! Pulls single properties out of an XMP packet by text search.
//!
//! A full RDF parser is not worth it for the one or two simple properties we read; XMP
//! writes a simple property either as an attribute (`aux:SerialNumber="123"`) or as an
//! element (`<aux:SerialNumber>123</aux:SerialNumber>`), and both are handled. Namespace
//! prefixes are taken as conventionally written (`aux`, `exifEX`).

/// The body serial number: `exifEX:BodySerialNumber` (EXIF 2.3 for XMP) first, then
/// the older `aux:SerialNumber`.
pub(crate) fn serial(packet: &[u8]) -> Option<String> {
    ["exifEX:BodySerialNumber", "aux:SerialNumber"]
        .into_iter()
        .find_map(|name| property(packet, name))
}

/// The value of simple property `name`, unescaped and trimmed; `None` when absent or
/// empty.
pub(crate) fn property(packet: &[u8], name: &str) -> Option<String> {
    let text = String::from_utf8_lossy(packet);
    let mut from = 0;
    while let Some(found) = text[from..].find(name) {
        let after = from + found + name.len();
        from = after;
        let before_ok = text[..after - name.len()]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_whitespace() || c == '<');
        if !before_ok {
            continue;
        }
        if let Some(v) = value_after(&text[after..]) {
            return Some(v);
        }
    }
    None
}

/// Reads the value following a property name: `="v"`, `='v'` or `>v<`.
fn value_after(rest: &str) -> Option<String> {
    let rest = rest.trim_start();
    let raw = if let Some(attr) = rest.strip_prefix('=') {
        let attr = attr.trim_start();
        let quote = attr.chars().next().filter(|&q| q == '"' || q == '\'')?;
        let body = &attr[1..];
        &body[..body.find(quote)?]
    } else {
        let body = rest.strip_prefix('>')?;
        &body[..body.find('<')?]
    };
    let value = unescape(raw.trim());
    (!value.is_empty()).then_some(value)
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attribute_and_element_forms() {
        let attr = br#"<rdf:Description aux:SerialNumber="380319450" aux:Lens="x"/>"#;
        assert_eq!(serial(attr).as_deref(), Some("380319450"));
        let elem = b"<x>\n <aux:SerialNumber>6607572</aux:SerialNumber>\n</x>";
        assert_eq!(serial(elem).as_deref(), Some("6607572"));
    }

    #[test]
    fn longer_names_and_garbage_do_not_match() {
        let other = br#"<d aux:SerialNumberX="1" myaux:SerialNumber="2"/>"#;
        assert_eq!(serial(other), None);
        assert_eq!(serial(b"aux:SerialNumber"), None);
        assert_eq!(serial(b"<aux:SerialNumber=\"unterminated"), None);
        assert_eq!(serial(&[0xff, 0xfe, 0x00]), None);
    }
}
