//! vCards of contacts: 4.0 (RFC 6350) for the access package and the
//! export, 3.0 (RFC 2426) on request for Outlook and older address books.

use crate::model::categories::Lang;
use crate::model::directory::address_parts;
use crate::model::export::Card;

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

/// The vCard version written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Version {
    /// RFC 2426.
    V3,
    /// RFC 6350.
    V4,
}

/// The contact as a vCard: name (its prefix the salutation in `lang` and
/// the title, as Outlook writes it: `Herr Dr.`), emails, phones,
/// structured addresses, birthday, language (4.0 only), tags, note,
/// companies and roles, and the vault's id as UID.
pub(crate) fn write_vcard(card: &Card, version: Version, lang: Lang) -> String {
    let v4 = version == Version::V4;
    let mut out = String::new();
    vc_line(&mut out, "BEGIN:VCARD");
    vc_line(&mut out, if v4 { "VERSION:4.0" } else { "VERSION:3.0" });
    vc_line(&mut out, &format!("FN:{}", vc_escape(&card.display)));
    vc_line(
        &mut out,
        &format!(
            "N:{};{};;{};",
            vc_escape(&card.family_name),
            vc_escape(&card.given_name),
            vc_escape(
                [card.salutation_word(lang), card.title.as_str()]
                    .join(" ")
                    .trim()
            )
        ),
    );
    for (i, e) in card.emails.iter().enumerate() {
        let pref = match (i, v4) {
            (0, true) => ";PREF=1",
            (0, false) => ";TYPE=INTERNET,PREF",
            (_, true) => "",
            (_, false) => ";TYPE=INTERNET",
        };
        vc_line(&mut out, &format!("EMAIL{pref}:{}", vc_escape(e)));
    }
    for (i, p) in card.phones.iter().enumerate() {
        let pref = match (i, v4) {
            (0, true) => ";VALUE=text;PREF=1",
            (_, true) => ";VALUE=text",
            (0, false) => ";TYPE=PREF",
            (_, false) => "",
        };
        vc_line(&mut out, &format!("TEL{pref}:{}", vc_escape(p)));
    }
    for a in &card.addresses {
        let (street, code, city) = address_parts(a);
        vc_line(
            &mut out,
            &format!(
                "ADR:;;{};{};;{};",
                vc_escape(&street),
                vc_escape(&city),
                vc_escape(&code)
            ),
        );
    }
    if !card.birthday.is_empty() {
        // Without the year `--MMDD` in either version (Apple writes it so
        // in 3.0 too).
        let day = match (v4, card.birthday.strip_prefix("--")) {
            (_, Some(md)) => format!("--{}", md.replace('-', "")),
            (true, None) => card.birthday.replace('-', ""),
            (false, None) => card.birthday.clone(),
        };
        vc_line(&mut out, &format!("BDAY:{}", vc_escape(&day)));
    }
    if v4 && !card.language.is_empty() {
        vc_line(&mut out, &format!("LANG:{}", vc_escape(&card.language)));
    }
    if !card.tags.is_empty() {
        let tags: Vec<String> = card.tags.iter().map(|t| vc_escape(t)).collect();
        vc_line(&mut out, &format!("CATEGORIES:{}", tags.join(",")));
    }
    if !card.note.is_empty() {
        vc_line(&mut out, &format!("NOTE:{}", vc_escape(&card.note)));
    }
    for (company, role) in &card.companies {
        vc_line(&mut out, &format!("ORG:{}", vc_escape(company)));
        if let Some(r) = role {
            vc_line(&mut out, &format!("TITLE:{}", vc_escape(r)));
        }
    }
    vc_line(&mut out, &format!("UID:urn:uuid:{}", card.id));
    vc_line(&mut out, "END:VCARD");
    out
}

/// Many cards, one after the other, as one `.vcf` file.
pub fn vcards(cards: &[Card], version: Version, lang: Lang) -> String {
    cards
        .iter()
        .map(|c| write_vcard(c, version, lang))
        .collect()
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
    fn a_card_is_written_in_either_version() {
        let card = Card {
            display: "Dr. Jürgen Weiß".into(),
            salutation: "mr".into(),
            title: "Dr.".into(),
            given_name: "Jürgen".into(),
            family_name: "Weiß".into(),
            emails: vec!["j@weiss.de".into(), "jw@example.org".into()],
            phones: vec!["+49 30 1234".into()],
            addresses: vec!["Hauptstr. 1\n10115 Berlin".into()],
            birthday: "1980-12-31".into(),
            language: "de".into(),
            tags: vec!["VIP".into(), "Messe, 2026".into()],
            ..Card::default()
        };
        let v4 = write_vcard(&card, Version::V4, Lang::De);
        assert!(v4.contains("\r\nVERSION:4.0\r\n"));
        assert!(v4.contains("\r\nN:Weiß;Jürgen;;Herr Dr.;\r\n"));
        assert!(v4.contains("\r\nEMAIL;PREF=1:j@weiss.de\r\nEMAIL:jw@example.org\r\n"));
        assert!(v4.contains("\r\nADR:;;Hauptstr. 1;Berlin;;10115;\r\n"));
        assert!(v4.contains("\r\nBDAY:19801231\r\nLANG:de\r\n"));
        assert!(v4.contains("\r\nCATEGORIES:VIP,Messe\\, 2026\r\n"));
        let v3 = write_vcard(&card, Version::V3, Lang::De);
        assert!(v3.contains("\r\nVERSION:3.0\r\n"));
        assert!(v3.contains("\r\nEMAIL;TYPE=INTERNET,PREF:j@weiss.de\r\n"));
        assert!(v3.contains("\r\nTEL;TYPE=PREF:+49 30 1234\r\n"));
        assert!(v3.contains("\r\nBDAY:1980-12-31\r\n"));
        assert!(!v3.contains("LANG:"));
    }

    #[test]
    fn a_value_cannot_end_the_card() {
        let card = Card {
            display: "Ada".into(),
            birthday: "x\r\nEND:VCARD\r\nBEGIN:VCARD\r\nFN:Mallory".into(),
            note: "y\nEND:VCARD".into(),
            ..Card::default()
        };
        for v in [Version::V3, Version::V4] {
            let out = write_vcard(&card, v, Lang::De);
            let lines: Vec<&str> = out.split("\r\n").collect();
            assert_eq!(
                lines.iter().filter(|l| **l == "END:VCARD").count(),
                1,
                "{out}"
            );
            assert!(!lines.iter().any(|l| l.starts_with("FN:Mallory")), "{out}");
            assert!(!out.replace("\r\n", "").contains(['\r', '\n']), "{out}");
        }
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
