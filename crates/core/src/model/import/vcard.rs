//! vCard files to people: 2.1 (Outlook, older phones: quoted-printable,
//! `CHARSET=`), 3.0 (Google, Apple, Android) and 4.0 (RFC 6350), many
//! cards in one file. `calcard` reads each card (unfolding, escapes,
//! quoted-printable, charsets, groups such as Apple's `itemN.`); here the
//! file is cut into cards with their line numbers, a fold that splits a
//! UTF-8 sequence is mended before the bytes are decoded, and each card's
//! properties become the same parts a CSV row gives ([`super::csv`]'s
//! rules make the person).

use std::borrow::Cow;

use calcard::common::PartialDateTime;
use calcard::vcard::{
    VCard, VCardEntry, VCardParameterName, VCardParameterValue, VCardProperty, VCardValue,
};

use super::columns::{Slot, Target};
use super::csv::{MAX_VALUES, Parts, person_of};
use super::{FileReading, Row, RowProblem, SAMPLE_ROWS};
use crate::error::Result;

/// Whether a text is vCards: its first line that is not blank opens one.
pub fn is_vcard(text: &str) -> bool {
    text.trim_start_matches(['\u{feff}', ' ', '\t', '\r', '\n'])
        .get(..11)
        .is_some_and(|head| head.eq_ignore_ascii_case("BEGIN:VCARD"))
}

/// The same test on the bytes of a file in an 8-bit encoding or UTF-8.
pub fn is_vcard_bytes(bytes: &[u8]) -> bool {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = body
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(body.len());
    body.get(start..start + 11)
        .is_some_and(|head| head.eq_ignore_ascii_case(b"BEGIN:VCARD"))
}

/// Mends the folds that split a UTF-8 sequence (a writer that folds at
/// 75 bytes without looking at characters): the line break and its space
/// move to after the character, so the bytes decode as UTF-8 and the
/// lines keep their numbers. Every other byte stays as it is.
pub fn mend_folds(bytes: &[u8]) -> Cow<'_, [u8]> {
    let is_cont = |b: u8| (0x80..0xC0).contains(&b);
    let fold_at = |i: usize| -> Option<usize> {
        // CRLF or LF, then one space or tab.
        let n = match bytes.get(i..) {
            Some([b'\r', b'\n', b' ' | b'\t', ..]) => 3,
            Some([b'\n', b' ' | b'\t', ..]) => 2,
            _ => return None,
        };
        Some(n)
    };
    let needs = (1..bytes.len()).any(|i| {
        bytes[i - 1] >= 0xC0 || is_cont(bytes[i - 1])
    } && fold_at(i).is_some_and(|n| bytes.get(i + n).copied().is_some_and(is_cont)));
    if !needs {
        return Cow::Borrowed(bytes);
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if i > 0
            && (bytes[i - 1] >= 0xC0 || is_cont(bytes[i - 1]))
            && let Some(n) = fold_at(i)
            && bytes.get(i + n).copied().is_some_and(is_cont)
        {
            let fold = &bytes[i..i + n];
            let mut j = i + n;
            while j < bytes.len() && is_cont(bytes[j]) {
                out.push(bytes[j]);
                j += 1;
            }
            out.extend_from_slice(fold);
            i = j;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    Cow::Owned(out)
}

/// A card's text and the line it begins on.
struct CardText<'a> {
    line: u64,
    text: &'a str,
    closed: bool,
}

/// Cuts a file into cards at `BEGIN:VCARD` and `END:VCARD` lines; lines
/// end at LF, CRLF or a CR alone (CR CR LF is one break and a blank).
fn cards(text: &str) -> Vec<CardText<'_>> {
    let mut out = Vec::new();
    let mut open: Option<(u64, usize)> = None;
    let mut line = 1u64;
    let mut start = 0usize;
    let bytes = text.as_bytes();
    let mut i = 0usize;
    let mut on_line = |from: usize, to: usize, line: u64, open: &mut Option<(u64, usize)>| {
        let l = text[from..to].trim();
        if l.eq_ignore_ascii_case("BEGIN:VCARD") {
            if let Some((at, s)) = open.take() {
                out.push(CardText {
                    line: at,
                    text: &text[s..from],
                    closed: false,
                });
            }
            *open = Some((line, from));
        } else if l.eq_ignore_ascii_case("END:VCARD")
            && let Some((at, s)) = open.take()
        {
            out.push(CardText {
                line: at,
                text: &text[s..to],
                closed: true,
            });
        }
    };
    while i <= bytes.len() {
        let end = i == bytes.len();
        let c = bytes.get(i).copied();
        if end || c == Some(b'\n') || c == Some(b'\r') {
            on_line(start, i, line, &mut open);
            if end {
                break;
            }
            let step = if c == Some(b'\r') && bytes.get(i + 1) == Some(&b'\n') {
                2
            } else {
                1
            };
            i += step;
            start = i;
            line += 1;
            continue;
        }
        i += 1;
    }
    if let Some((at, s)) = open {
        out.push(CardText {
            line: at,
            text: &text[s..],
            closed: false,
        });
    }
    out
}

/// calcard reads a birthday without its year in the basic form
/// (`--1231`) but takes the extended one (`--12-31`, which 3.0 files
/// write) for a month alone: the extended form is written basic first.
fn mend_birthdays(text: &str) -> Cow<'_, str> {
    let extended = |value: &str| {
        let b = value.trim_end().as_bytes();
        b.len() == 7
            && b.starts_with(b"--")
            && b[4] == b'-'
            && [2, 3, 5, 6].iter().all(|i| b[*i].is_ascii_digit())
    };
    let is_bday = |line: &str| {
        let name = line.split([';', ':']).next().unwrap_or_default();
        let name = name.rsplit('.').next().unwrap_or(name);
        name.eq_ignore_ascii_case("BDAY")
    };
    if !text
        .lines()
        .any(|l| is_bday(l) && l.rsplit_once(':').is_some_and(|(_, v)| extended(v)))
    {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        match line.rsplit_once(':') {
            Some((head, value)) if is_bday(line) && extended(value) => {
                out.push_str(head);
                out.push_str(":--");
                out.push_str(&value[2..4]);
                out.push_str(&value[5..]);
            }
            _ => out.push_str(line),
        }
    }
    Cow::Owned(out)
}

/// Every CR not followed by LF as LF.
fn bare_cr_to_lf(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() != Some(&'\n') {
            out.push('\n');
        } else {
            out.push(c);
        }
    }
    out
}

/// The text of a value.
fn text_of(v: &VCardValue) -> String {
    match v {
        VCardValue::Text(t) => t.trim().to_owned(),
        VCardValue::Component(parts) => parts.join(" ").trim().to_owned(),
        VCardValue::Integer(n) => n.to_string(),
        VCardValue::Kind(k) => format!("{k:?}").to_lowercase(),
        VCardValue::PartialDateTime(d) => date_text(d).unwrap_or_default(),
        _ => String::new(),
    }
}

/// The values of an entry as texts, each of a structured value's parts.
fn texts(e: &VCardEntry) -> Vec<String> {
    e.values.iter().map(text_of).collect()
}

/// A full date as `YYYY-MM-DD`, or `--MM-DD` when it has no year.
fn date_text(d: &PartialDateTime) -> Option<String> {
    match (d.year, d.month, d.day) {
        (Some(y), Some(m), Some(day)) => Some(format!("{y:04}-{m:02}-{day:02}")),
        (None, Some(m), Some(day)) => Some(format!("--{m:02}-{day:02}")),
        _ => None,
    }
}

/// How preferred a value is: `PREF=1` or `TYPE=pref` first (1), a higher
/// `PREF` later, none last.
fn preference(e: &VCardEntry) -> u32 {
    e.params
        .iter()
        .filter_map(|p| match (&p.name, &p.value) {
            (VCardParameterName::Pref, VCardParameterValue::Integer(n)) => Some(*n),
            (VCardParameterName::Pref, _) => Some(1),
            (VCardParameterName::Type, VCardParameterValue::Text(t))
                if t.eq_ignore_ascii_case("pref") =>
            {
                Some(1)
            }
            _ => None,
        })
        .min()
        .unwrap_or(101)
}

/// The name a preview shows for a property.
fn property_name(p: &VCardProperty) -> String {
    match p {
        VCardProperty::Other(name) => name.to_uppercase(),
        other => format!("{other:?}").to_uppercase(),
    }
}

/// Where a property goes, for the report's columns.
fn target_name(p: &VCardProperty) -> Option<&'static str> {
    Some(match p {
        VCardProperty::Fn => "name",
        VCardProperty::N => "name",
        VCardProperty::Email => "email",
        VCardProperty::Tel => "phone",
        VCardProperty::Adr => "address",
        VCardProperty::Org => "company",
        VCardProperty::Title | VCardProperty::Role => "job_title",
        VCardProperty::Bday => "birthday",
        VCardProperty::Note => "note",
        VCardProperty::Categories => "tags",
        VCardProperty::Lang => "language",
        _ => return None,
    })
}

/// One card to a person, or why it is not one.
fn card_of(line: u64, card: &VCard) -> std::result::Result<Row, RowProblem> {
    let mut parts = Parts::default();
    let mut emails: Vec<(u32, String)> = Vec::new();
    let mut phones: Vec<(u32, String)> = Vec::new();
    let mut addresses = 0u8;
    for e in card.entries.iter().take(MAX_VALUES * 20) {
        let v = texts(e);
        let first = v.first().cloned().unwrap_or_default();
        match &e.name {
            VCardProperty::N => {
                let at = |i: usize| v.get(i).map(String::as_str).unwrap_or_default();
                parts.set(Target::FamilyName, at(0));
                parts.set(Target::GivenName, at(1));
                parts.set(Target::MiddleName, at(2));
                // The prefix is Outlook's "Anrede" (`Herr Dr.`): the
                // person's rule splits a salutation from a title.
                parts.set(Target::Title, at(3));
            }
            VCardProperty::Fn => parts.set(Target::FullName, &first),
            VCardProperty::Email => {
                emails.extend(
                    v.iter()
                        .filter(|x| !x.is_empty())
                        .map(|x| (preference(e), x.clone())),
                );
            }
            VCardProperty::Tel => phones.extend(v.iter().filter(|x| !x.is_empty()).map(|x| {
                (
                    preference(e),
                    x.strip_prefix("tel:").unwrap_or(x).to_owned(),
                )
            })),
            VCardProperty::Adr => {
                let at = |i: usize| v.get(i).cloned().unwrap_or_default();
                addresses = addresses.saturating_add(1);
                let a = parts.address(Slot::Numbered(addresses));
                for street in [at(0), at(1), at(2)] {
                    a.street.extend(
                        street
                            .lines()
                            .map(str::trim)
                            .filter(|l| !l.is_empty())
                            .map(str::to_owned),
                    );
                }
                a.city = at(3);
                a.region = at(4);
                a.postcode = at(5);
                a.country = at(6);
            }
            VCardProperty::Org => parts.set(Target::Company, &first),
            VCardProperty::Title | VCardProperty::Role => parts.set(Target::JobTitle, &first),
            VCardProperty::Bday => parts.set(Target::Birthday, &first),
            VCardProperty::Note => {
                let note = v.join(", ");
                if !note.is_empty() {
                    parts.notes_text.push(note);
                }
            }
            VCardProperty::Categories => {
                parts.tags.extend(v.into_iter().filter(|t| !t.is_empty()));
            }
            VCardProperty::Lang => parts.set(Target::Language, &first),
            _ => {}
        }
    }
    // A company's card (Apple's "show as company", 4.0's KIND:org, or
    // Outlook's card whose only name is the company's) is no person.
    let company_card = card.entries.iter().any(|e| match &e.name {
        VCardProperty::Kind => texts(e)
            .first()
            .is_some_and(|k| k.eq_ignore_ascii_case("org")),
        VCardProperty::Other(name) if name.eq_ignore_ascii_case("X-ABShowAs") => texts(e)
            .first()
            .is_some_and(|k| k.eq_ignore_ascii_case("company")),
        _ => false,
    });
    let named = |t: Target| !parts.get(t).is_empty();
    let only_the_company = !named(Target::GivenName)
        && !named(Target::FamilyName)
        && named(Target::Company)
        && parts.get(Target::FullName) == parts.get(Target::Company);
    if company_card || only_the_company {
        return Err(RowProblem {
            line,
            reason: "is the card of a company, not of a person".into(),
        });
    }
    emails.sort_by_key(|(p, _)| *p);
    phones.sort_by_key(|(p, _)| *p);
    parts.emails = emails.into_iter().map(|(_, e)| e).collect();
    parts.phones = phones.into_iter().map(|(_, p)| p).collect();
    person_of(line, parts)
}

/// Reads the cards of a text; calls `each` with every person or problem,
/// in order.
pub fn read(
    text: &str,
    encoding: &str,
    each: &mut dyn FnMut(std::result::Result<Row, RowProblem>) -> Result<()>,
) -> Result<FileReading> {
    let mut reading = FileReading {
        format: "vcard".into(),
        encoding: encoding.into(),
        ..FileReading::default()
    };
    let mut versions: Vec<String> = Vec::new();
    let mut samples: Vec<Vec<(String, String)>> = Vec::new();
    for card in cards(text) {
        if !card.closed {
            each(Err(RowProblem {
                line: card.line,
                reason: "is a card without its END:VCARD line; it is left out".into(),
            }))?;
            continue;
        }
        // calcard reads LF and CRLF: a CR alone (old Mac files) becomes LF.
        let body: Cow<'_, str> = if card.text.contains('\r') {
            Cow::Owned(bare_cr_to_lf(card.text))
        } else {
            Cow::Borrowed(card.text)
        };
        let body = match mend_birthdays(&body) {
            Cow::Owned(mended) => Cow::Owned(mended),
            Cow::Borrowed(_) => body,
        };
        let parsed = match VCard::parse(body.as_ref()) {
            Ok(v) => v,
            Err(_) => {
                each(Err(RowProblem {
                    line: card.line,
                    reason: "cannot be read as a vCard".into(),
                }))?;
                continue;
            }
        };
        let mut sample = Vec::new();
        for e in &parsed.entries {
            let name = property_name(&e.name);
            if matches!(e.name, VCardProperty::Version) {
                let v = texts(e).join("");
                if !versions.contains(&v) {
                    versions.push(v);
                }
                continue;
            }
            if matches!(e.name, VCardProperty::Begin | VCardProperty::End) {
                continue;
            }
            if !reading.columns.iter().any(|(h, _)| *h == name) && reading.columns.len() < 200 {
                reading
                    .columns
                    .push((name.clone(), target_name(&e.name).map(str::to_owned)));
            }
            if samples.len() < SAMPLE_ROWS && !sample.iter().any(|(h, _)| *h == name) {
                sample.push((name, texts(e).join(" ")));
            }
        }
        if samples.len() < SAMPLE_ROWS {
            samples.push(sample);
        }
        each(card_of(card.line, &parsed))?;
    }
    reading.looks_like = match versions.as_slice() {
        [] => None,
        [one] => Some(format!("vCard {one}")),
        more => Some(format!("vCard {}", more.join(", "))),
    };
    reading.sample = samples
        .into_iter()
        .map(|s| {
            reading
                .columns
                .iter()
                .map(|(h, _)| {
                    s.iter()
                        .find(|(n, _)| n == h)
                        .map(|(_, v)| v.clone())
                        .unwrap_or_default()
                })
                .collect()
        })
        .collect();
    Ok(reading)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::import::testing::{field, list, text};

    fn people(text: &str) -> (FileReading, Vec<std::result::Result<Row, RowProblem>>) {
        let mut rows = Vec::new();
        let reading = read(text, "UTF-8", &mut |r| {
            rows.push(r);
            Ok(())
        })
        .expect("read");
        (reading, rows)
    }

    #[test]
    fn an_outlook_card_in_quoted_printable_latin1() {
        let (reading, rows) = people(
            "BEGIN:VCARD\r\nVERSION:2.1\r\n\
             N;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:M=FCller;J=FCrgen;;Herr Dr.\r\n\
             FN;CHARSET=ISO-8859-1;ENCODING=QUOTED-PRINTABLE:J=FCrgen M=FC=\r\nller\r\n\
             TEL;WORK;VOICE:+49 30 1234\r\nTEL;CELL;PREF:0171 55\r\n\
             EMAIL;PREF;INTERNET:jm@example.de\r\n\
             ADR;WORK;ENCODING=QUOTED-PRINTABLE;CHARSET=UTF-8:;;Hauptstra=C3=9Fe 1;K=C3=B6ln;;50667;Deutschland\r\n\
             NOTE;ENCODING=QUOTED-PRINTABLE:Zeile 1=0D=0AZeile 2\r\n\
             BDAY:19801231\r\nEND:VCARD\r\n",
        );
        assert_eq!(reading.looks_like.as_deref(), Some("vCard 2.1"));
        let row = rows[0].as_ref().expect("person");
        assert_eq!(field(row, "family_name"), text("Müller"));
        assert_eq!(field(row, "given_name"), text("Jürgen"));
        assert_eq!(field(row, "salutation"), text("mr"));
        assert_eq!(field(row, "title"), text("Dr."));
        assert_eq!(field(row, "phones"), list(&["0171 55", "+49 30 1234"]));
        assert_eq!(
            field(row, "addresses"),
            list(&["Hauptstraße 1\n50667 Köln"])
        );
        assert_eq!(field(row, "note"), text("Zeile 1\r\nZeile 2"));
        assert_eq!(field(row, "birthday"), text("1980-12-31"));
    }

    #[test]
    fn apple_groups_a_birthday_without_a_year_and_many_cards() {
        let (reading, rows) = people(
            "BEGIN:VCARD\nVERSION:3.0\nN:Kaya;Özlem;;;\nFN:Özlem Kaya\nORG:Kaya GmbH;Vertrieb\n\
             TITLE:Chefin\nitem1.EMAIL;type=INTERNET:a@example.de\nitem1.X-ABLabel:_$!<Other>!$_\n\
             item2.EMAIL;type=INTERNET;type=pref:ok@example.de\n\
             ADR;type=HOME:;;Am Ring 2\\nHinterhaus;Köln;;50667;Germany\nBDAY;VALUE=date:--0412\n\
             CATEGORIES:VIP,Messe\nEND:VCARD\n\
             BEGIN:VCARD\nVERSION:3.0\nORG:Nur Firma\nEND:VCARD\n\
             BEGIN:VCARD\nVERSION:3.0\nFN:Ada Lovelace\nEND:VCARD\n",
        );
        assert_eq!(rows.len(), 3);
        let row = rows[0].as_ref().expect("person");
        assert_eq!(
            field(row, "emails"),
            list(&["ok@example.de", "a@example.de"])
        );
        assert_eq!(row.input.company.as_deref(), Some("Kaya GmbH"));
        assert_eq!(row.input.company_role.as_deref(), Some("Chefin"));
        assert_eq!(
            field(row, "addresses"),
            list(&["Am Ring 2\nHinterhaus\n50667 Köln"])
        );
        assert_eq!(field(row, "tags"), list(&["VIP", "Messe"]));
        assert_eq!(field(row, "birthday"), text("--04-12"), "without its year");
        let problem = rows[1].as_ref().expect_err("a company alone");
        assert_eq!(problem.line, 14);
        let ada = rows[2].as_ref().expect("person");
        assert_eq!(field(ada, "family_name"), text("Lovelace"));
        assert!(
            reading
                .columns
                .contains(&("EMAIL".into(), Some("email".into())))
        );
        assert!(reading.columns.contains(&("X-ABLABEL".into(), None)));
        assert_eq!(reading.sample[0].len(), reading.columns.len());
    }

    #[test]
    fn a_birthday_without_its_year_in_either_form() {
        for bday in ["--1231", "--12-31", "--12-31\r"] {
            let (_, rows) = people(&format!(
                "BEGIN:VCARD\nVERSION:3.0\nFN:Ada Lovelace\nitem1.BDAY;VALUE=date:{bday}\nEND:VCARD\n"
            ));
            let row = rows[0].as_ref().expect("person");
            assert_eq!(field(row, "birthday"), text("--12-31"), "{bday:?}");
        }
    }

    #[test]
    fn line_ends_of_every_kind_and_a_card_left_open() {
        let (_, rows) = people(
            "BEGIN:VCARD\r\r\nVERSION:3.0\r\r\nFN:Ada L\r\r\nEND:VCARD\r\r\n\
             BEGIN:VCARD\rVERSION:4.0\rFN:Bob B\rEND:VCARD\r\
             BEGIN:VCARD\nVERSION:4.0\nFN:Cem C\n",
        );
        assert_eq!(rows.len(), 3);
        assert!(rows[0].is_ok() && rows[1].is_ok());
        let open = rows[2].as_ref().expect_err("no END");
        assert_eq!(open.line, 13);
        assert!(open.reason.contains("END:VCARD"));
    }

    #[test]
    fn a_fold_inside_a_utf8_sequence_is_mended_before_decoding() {
        let bytes = b"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:J\xC3\r\n \xBCrgen\r\nEND:VCARD\r\n";
        assert!(std::str::from_utf8(&bytes[..]).is_err());
        let mended = mend_folds(bytes);
        let decoded = std::str::from_utf8(&mended).expect("UTF-8 now");
        assert_eq!(
            decoded.lines().count(),
            bytes.split(|b| *b == b'\n').count() - 1
        );
        let (_, rows) = people(decoded);
        let row = rows[0].as_ref().expect("person");
        assert_eq!(field(row, "family_name"), text("Jürgen"));
        assert!(is_vcard_bytes(bytes) && is_vcard_bytes(b"\xEF\xBB\xBF\r\nbegin:vcard\r\n"));
        assert!(!is_vcard_bytes(b"Name;Ort\r\n"));
        assert!(matches!(
            mend_folds(b"FN:J\xC3\xBCrgen\r\n x"),
            Cow::Borrowed(_)
        ));
    }
}
