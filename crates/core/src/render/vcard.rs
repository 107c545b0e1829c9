//! vCard 4.0 (RFC 6350) of one contact, for the access package.

use crate::model::contacts::ContactView;
use crate::model::contacts::FieldValue;

/// vCard 4.0 text value escaping (RFC 6350 3.4): backslash, comma and
/// semicolon are escaped, and every line break — `\r\n`, a bare `\r` or
/// `\n` — becomes `\n`, so no CR reaches the content line.
fn vc_escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace(',', "\\,")
        .replace(';', "\\;")
        .replace("\r\n", "\n")
        .replace('\r', "\n")
        .replace('\n', "\\n")
}

/// Folds a content line at 75 octets (RFC 6350 3.2), on char boundaries.
fn vc_line(out: &mut String, line: &str) {
    let mut width = 0;
    for c in line.chars() {
        if width + c.len_utf8() > 75 {
            out.push_str("\r\n ");
            width = 1;
        }
        out.push(c);
        width += c.len_utf8();
    }
    out.push_str("\r\n");
}

/// The contact as a vCard 4.0 (RFC 6350): name, emails, phones, addresses,
/// birthday, language, companies and roles, and the vault's id as UID.
pub(crate) fn write_vcard(view: &ContactView) -> String {
    let text = |n: &str| {
        view.field(n)
            .and_then(|f| f.value.as_text())
            .unwrap_or_default()
    };
    let list = |n: &str| match view.field(n).map(|f| &f.value) {
        Some(FieldValue::Value {
            value: serde_json::Value::Array(items),
        }) => items
            .iter()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect(),
        _ => Vec::new(),
    };
    let mut out = String::new();
    vc_line(&mut out, "BEGIN:VCARD");
    vc_line(&mut out, "VERSION:4.0");
    vc_line(&mut out, &format!("FN:{}", vc_escape(&view.display)));
    vc_line(
        &mut out,
        &format!(
            "N:{};{};;{};",
            vc_escape(&text("family_name")),
            vc_escape(&text("given_name")),
            vc_escape(&text("title"))
        ),
    );
    for e in list("emails") {
        vc_line(&mut out, &format!("EMAIL:{}", vc_escape(&e)));
    }
    for p in list("phones") {
        vc_line(&mut out, &format!("TEL;VALUE=text:{}", vc_escape(&p)));
    }
    for a in list("addresses") {
        vc_line(&mut out, &format!("ADR:;;{};;;;", vc_escape(&a)));
    }
    let bday = text("birthday");
    if !bday.is_empty() {
        vc_line(&mut out, &format!("BDAY:{}", bday.replace('-', "")));
    }
    let lang = text("language");
    if !lang.is_empty() {
        vc_line(&mut out, &format!("LANG:{}", vc_escape(&lang)));
    }
    for c in &view.companies {
        vc_line(&mut out, &format!("ORG:{}", vc_escape(&c.name)));
        if let Some(r) = &c.role {
            vc_line(&mut out, &format!("TITLE:{}", vc_escape(r)));
        }
    }
    vc_line(&mut out, &format!("UID:urn:uuid:{}", view.id));
    vc_line(&mut out, "END:VCARD");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vcard_lines_are_escaped_and_folded() {
        let mut out = String::new();
        vc_line(&mut out, &format!("NOTE:{}", "ä".repeat(60)));
        assert!(out.lines().all(|l| l.len() <= 75));
        assert_eq!(vc_escape("a,b;c\\d\ne"), "a\\,b\\;c\\\\d\\ne");
    }

    #[test]
    fn every_line_break_in_a_vcard_value_becomes_backslash_n() {
        assert_eq!(vc_escape("a\r\nb\rc\nd"), "a\\nb\\nc\\nd");
        assert_eq!(vc_escape("\r\r\n"), "\\n\\n");
        let mut out = String::new();
        vc_line(
            &mut out,
            &format!("ADR:;;{};;;;", vc_escape("Hof 1\rNEU:x")),
        );
        assert_eq!(out, "ADR:;;Hof 1\\nNEU:x;;;;\r\n");
        assert!(!out.trim_end_matches("\r\n").contains('\r'));
    }
}
