//! CSV files to rows of people, with the `csv` crate: the delimiter found
//! from the first rows (or Excel's `sep=` line), each header's meaning from
//! `columns`, Google's ` ::: ` between several values with `* ` marking the
//! primary one, Outlook's split addresses put together, and every row that
//! cannot be a person reported with its line, never the file dropped.

use chrono::NaiveDate;

use super::columns::{self, Part, Slot, Target};
use super::{FileReading, Mappings, Row, RowProblem, header_key};
use crate::error::{Error, Result};
use crate::model::contacts::{FieldInput, PersonInput, validate_email, validate_phone};

/// The delimiters tried, most likely first for German files.
const CANDIDATES: &[u8] = b";,\t|";

/// How many rows the delimiter is judged on.
const SAMPLE_ROWS: usize = 50;

/// The most columns a row may have; a wider file is refused.
pub const MAX_COLUMNS: usize = 2000;

/// Excel's first line `sep=;`, naming the delimiter.
fn excel_sep(text: &str) -> Option<(u8, usize)> {
    let first = text.lines().next()?;
    let rest = first.trim_end().strip_prefix("sep=")?;
    let [d] = rest.as_bytes() else { return None };
    let len = text.find('\n').map_or(text.len(), |n| n + 1);
    Some((*d, len))
}

/// The delimiter that splits the first rows into the same number (more
/// than one) of columns most often; ties go to the wider split, then to
/// the order tried (`;` first, as German Excel writes).
pub fn detect_delimiter(text: &str) -> u8 {
    let mut best = (0usize, 0usize, b',');
    for &d in CANDIDATES {
        let mut reader = ::csv::ReaderBuilder::new()
            .delimiter(d)
            .has_headers(false)
            .flexible(true)
            .from_reader(text.as_bytes());
        let widths: Vec<usize> = reader
            .records()
            .take(SAMPLE_ROWS)
            .filter_map(|r| r.ok())
            .map(|r| r.len())
            .collect();
        let Some(&first) = widths.first() else {
            continue;
        };
        if first < 2 {
            continue;
        }
        let same = widths.iter().filter(|w| **w == first).count();
        if (same, first) > (best.0, best.1) {
            best = (same, first, d);
        }
    }
    best.2
}

fn delimiter_name(d: u8) -> String {
    match d {
        b'\t' => "tab".into(),
        d => (d as char).to_string(),
    }
}

/// The targets of a table's headers and how it is read, or why it cannot
/// be imported (too wide, no name column): the same for CSV and XLSX.
pub(super) fn table_reading(
    headers: &[String],
    mappings: Mappings<'_>,
    format: &str,
    encoding: &str,
    delimiter: Option<String>,
) -> Result<(Vec<Option<Target>>, FileReading)> {
    // The saved mapping of these columns, and what is given over it.
    let key = header_key(headers);
    let saved = mappings.saved.and_then(|m| m.get(&key));
    let merged = match (saved, mappings.given) {
        (Some(saved), Some(given)) => {
            let mut m = saved.clone();
            m.columns.retain(|h, _| {
                !given
                    .columns
                    .keys()
                    .any(|g| columns::fold(g) == columns::fold(h))
            });
            m.columns
                .extend(given.columns.iter().map(|(h, t)| (h.clone(), t.clone())));
            Some(m)
        }
        (Some(saved), None) => Some(saved.clone()),
        (None, given) => given.cloned(),
    };
    let mapping = merged.as_ref();
    if headers.len() > MAX_COLUMNS {
        return Err(Error::invalid(
            "file",
            format!(
                "has {} columns; Tresor reads at most {MAX_COLUMNS}",
                headers.len()
            ),
        ));
    }
    let targets = columns::targets(headers, mapping);
    if !targets
        .iter()
        .flatten()
        .any(|t| matches!(t, Target::GivenName | Target::FamilyName | Target::FullName))
    {
        return Err(Error::invalid(
            "columns",
            "none of the columns is a name (Vorname, Nachname, Name, First Name, …): give a mapping",
        ));
    }
    let reading = FileReading {
        format: format.into(),
        encoding: encoding.into(),
        delimiter,
        looks_like: if mapping.is_some() {
            None
        } else {
            columns::looks_like(headers).map(str::to_owned)
        },
        columns: headers
            .iter()
            .zip(&targets)
            .map(|(h, t)| (h.clone(), t.map(|t| t.name().to_owned())))
            .collect(),
        header_key: key,
        saved_mapping: saved.is_some(),
        sample: Vec::new(),
    };
    Ok((targets, reading))
}

/// One record of a table: skipped when blank, kept for the preview while
/// the sample is short, then made a person or a problem for `each`.
pub(super) fn record<'a>(
    line: u64,
    cells: impl Iterator<Item = &'a str> + Clone,
    targets: &[Option<Target>],
    reading: &mut FileReading,
    each: &mut dyn FnMut(std::result::Result<Row, RowProblem>) -> Result<()>,
) -> Result<()> {
    if cells.clone().all(|c| c.trim().is_empty()) {
        return Ok(());
    }
    if reading.sample.len() < super::SAMPLE_ROWS {
        reading
            .sample
            .push(cells.clone().map(str::to_owned).collect());
    }
    each(row_of(line, cells, targets))
}

/// Reads a CSV text; calls `each` with every row or its problem, in order.
/// Errors only for a file that has no header row at all or is too wide.
pub fn read(
    text: &str,
    encoding: &str,
    delimiter: Option<u8>,
    mappings: Mappings<'_>,
    each: &mut dyn FnMut(std::result::Result<Row, RowProblem>) -> Result<()>,
) -> Result<FileReading> {
    let (sep, skip) = match (delimiter, excel_sep(text)) {
        (Some(d), Some((_, n))) => (d, n),
        (Some(d), None) => (d, 0),
        (None, Some((d, n))) => (d, n),
        (None, None) => (detect_delimiter(text), 0),
    };
    let body = &text[skip..];
    let line_offset = u64::from(skip > 0);
    let mut reader = ::csv::ReaderBuilder::new()
        .delimiter(sep)
        .flexible(true)
        .from_reader(body.as_bytes());
    let headers: Vec<String> = reader
        .headers()
        .map_err(|e| Error::invalid("file", format!("has no header row: {e}")))?
        .iter()
        .map(str::to_owned)
        .collect();
    let (targets, mut reading) = table_reading(
        &headers,
        mappings,
        "csv",
        encoding,
        Some(delimiter_name(sep)),
    )?;
    // The line a record starts on, counted from its byte offset: the
    // reader's own line count is one short after a CRLF.
    let bytes = body.as_bytes();
    let mut counted = (0usize, 1u64);
    let mut line_at = |byte: u64| {
        let mut b = usize::try_from(byte)
            .unwrap_or(bytes.len())
            .min(bytes.len());
        if bytes.get(b) == Some(&b'\n') {
            b += 1;
        }
        let b = b.max(counted.0);
        // A line ends at LF, at CRLF, or at a CR alone (old Mac files).
        let more = bytes[counted.0..b]
            .iter()
            .enumerate()
            .filter(|(i, c)| {
                **c == b'\n' || (**c == b'\r' && bytes.get(counted.0 + i + 1) != Some(&b'\n'))
            })
            .count();
        counted = (b, counted.1 + more as u64);
        counted.1 + line_offset
    };
    let mut record = ::csv::StringRecord::new();
    loop {
        let start = reader.position().byte();
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {
                let line = line_at(record.position().map_or(start, |p| p.byte()));
                self::record(line, record.iter(), &targets, &mut reading, each)?;
            }
            Err(e) => each(Err(RowProblem {
                line: line_at(start),
                reason: format!("cannot be read as CSV: {e}"),
            }))?,
        }
    }
    Ok(reading)
}

/// The most values one cell or row gives a field (a hostile cell of a
/// million addresses is cut, not compared with itself).
pub(super) const MAX_VALUES: usize = 50;

/// A cell's values: Google's ` ::: ` splits several, and `* ` marks the
/// primary one, which goes first.
fn values(cell: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for v in cell.split(" ::: ").take(MAX_VALUES) {
        let v = v.trim();
        let (primary, v) = match v.strip_prefix("* ") {
            Some(rest) => (true, rest.trim()),
            None => (false, v),
        };
        if v.is_empty() {
            continue;
        }
        if primary {
            out.insert(0, v.to_owned());
        } else {
            out.push(v.to_owned());
        }
    }
    out
}

/// The parts of one postal address as a file gives them.
#[derive(Default)]
pub(super) struct AddressParts {
    /// Street lines.
    pub(super) street: Vec<String>,
    /// Postcode.
    pub(super) postcode: String,
    /// City.
    pub(super) city: String,
    /// State or region.
    pub(super) region: String,
    /// Country.
    pub(super) country: String,
    /// The whole address in one value.
    pub(super) whole: String,
}

impl AddressParts {
    /// One address as the vault keeps it: the street lines, then
    /// `postcode city` (with region and a foreign country after commas).
    fn compose(&self) -> Option<String> {
        // Google gives both: the parts, and the whole as formatted (with
        // the country code); the parts are what the vault keeps.
        if !self.whole.is_empty()
            && self.street.is_empty()
            && self.city.is_empty()
            && self.postcode.is_empty()
        {
            return Some(self.whole.clone());
        }
        let mut last = [self.postcode.as_str(), self.city.as_str()]
            .into_iter()
            .filter(|s| !s.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let home = ["germany", "deutschland", "de", "d"];
        for extra in [&self.region, &self.country] {
            if !extra.is_empty() && !home.contains(&extra.to_lowercase().as_str()) {
                if !last.is_empty() {
                    last.push_str(", ");
                }
                last.push_str(extra);
            }
        }
        let mut lines = self.street.clone();
        if !last.is_empty() {
            lines.push(last);
        }
        (!lines.is_empty()).then(|| lines.join("\n"))
    }
}

/// A cell without the apostrophe that a spreadsheet's formula guard put
/// before `=`, `+`, `-` or `@` (Tresor's exports do, as OWASP advises):
/// `'+49 30 1234` is the phone number `+49 30 1234`.
fn unguard(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
        _ => cell,
    }
}

/// A salutation as typed, and the title words after it (`Herr Dr.`).
fn salutation(s: &str) -> (Option<&'static str>, String) {
    let mut words = s.split_whitespace();
    let first = words.next().unwrap_or_default().trim_end_matches('.');
    let rest = words.collect::<Vec<_>>().join(" ");
    let code = match first.to_lowercase().as_str() {
        "herr" | "herrn" | "mr" | "mister" => Some("mr"),
        "frau" | "ms" | "mrs" | "miss" => Some("ms"),
        "divers" | "mx" => Some("mx"),
        _ => None,
    };
    (code, rest)
}

/// A birthday as exported: ISO, German `1.2.1980`, Outlook's US
/// `12/31/1980`; Outlook's empty `0.0.00`; without a year as vCard
/// (`--12-31`), German (`31.12.`) or US (`12/31`) lists write it, kept as
/// `--MM-DD`. `Err` says why it is not kept.
pub fn birthday(s: &str) -> std::result::Result<Option<String>, String> {
    let s = s.trim();
    if s.is_empty() || s.chars().all(|c| matches!(c, '0' | '.' | '/' | '-')) {
        return Ok(None);
    }
    let parts: Vec<&str> = s.split(['.', '-', '/']).filter(|p| !p.is_empty()).collect();
    if s.starts_with("--") || parts.len() == 2 {
        let (month, day) = match (s.contains('.'), parts.as_slice()) {
            (true, [d, m]) => ((*m).to_owned(), (*d).to_owned()),
            (false, [m, d]) => ((*m).to_owned(), (*d).to_owned()),
            // vCard 4.0's basic form, `--1231`.
            (false, [md]) if md.len() == 4 && md.is_char_boundary(2) => {
                (md[..2].to_owned(), md[2..].to_owned())
            }
            _ => return Err(format!("'{s}' is not a date and is left out")),
        };
        let day = format!("{month:0>2}-{day:0>2}");
        return NaiveDate::parse_from_str(&format!("2000-{day}"), "%Y-%m-%d")
            .map(|d| Some(d.format("--%m-%d").to_string()))
            .map_err(|_| format!("'{s}' is not a date and is left out"));
    }
    let date = s.split([' ', 'T']).next().unwrap_or(s);
    ["%Y-%m-%d", "%d.%m.%Y", "%m/%d/%Y", "%Y%m%d"]
        .iter()
        .find_map(|f| NaiveDate::parse_from_str(date, f).ok())
        .map(|d| Some(d.format("%Y-%m-%d").to_string()))
        .ok_or_else(|| format!("'{s}' is not a date and is left out"))
}

pub(super) fn language(s: &str) -> Option<&'static str> {
    match s.trim().to_lowercase().as_str() {
        "de" | "deutsch" | "german" | "de-de" => Some("de"),
        "en" | "englisch" | "english" | "en-gb" | "en-us" => Some("en"),
        _ => None,
    }
}

/// What one record or card holds, gathered by field before it becomes a
/// person: the same rules (names, salutation, checks) for every format.
#[derive(Default)]
pub(super) struct Parts {
    /// Single-valued fields, the first value of each.
    one: Vec<(Target, String)>,
    /// Emails, in order.
    pub(super) emails: Vec<String>,
    /// Phones, in order.
    pub(super) phones: Vec<String>,
    /// Tags, in order.
    pub(super) tags: Vec<String>,
    /// Notes, joined by line breaks.
    pub(super) notes_text: Vec<String>,
    /// Addresses by slot.
    addresses: Vec<(Slot, AddressParts)>,
    /// What was read but not kept.
    pub(super) notes: Vec<String>,
}

impl Parts {
    /// A single-valued field; the first value given wins.
    pub(super) fn set(&mut self, target: Target, value: &str) {
        if !value.is_empty() && !self.one.iter().any(|(o, _)| *o == target) {
            self.one.push((target, value.to_owned()));
        }
    }

    /// The address of a slot, made when first named.
    pub(super) fn address(&mut self, slot: Slot) -> &mut AddressParts {
        let at = match self.addresses.iter().position(|(s, _)| *s == slot) {
            Some(i) => i,
            None => {
                self.addresses.push((slot, AddressParts::default()));
                self.addresses.len() - 1
            }
        };
        &mut self.addresses[at].1
    }

    pub(super) fn get(&self, t: Target) -> String {
        self.one
            .iter()
            .find(|(o, _)| *o == t)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }
}

/// One record to a person, or why it is not one.
fn row_of<'a>(
    line: u64,
    cells: impl Iterator<Item = &'a str>,
    targets: &[Option<Target>],
) -> std::result::Result<Row, RowProblem> {
    let mut parts = Parts::default();
    for (cell, target) in cells.zip(targets) {
        let Some(target) = *target else { continue };
        let cell = unguard(cell.trim());
        if cell.is_empty() {
            continue;
        }
        match target {
            Target::Email => parts.emails.extend(values(cell)),
            Target::Phone => parts.phones.extend(values(cell)),
            Target::Tags => parts.tags.extend(
                cell.split([';', ','])
                    .take(MAX_VALUES)
                    .flat_map(values)
                    .filter(|t| {
                        !matches!(
                            t.to_lowercase().replace(' ', "").as_str(),
                            "mycontacts" | "starred"
                        )
                    }),
            ),
            Target::Note => parts.notes_text.push(cell.to_owned()),
            Target::Address(slot, part) => {
                let v = values(cell).into_iter().next().unwrap_or_default();
                let a = parts.address(slot);
                match part {
                    Part::Street => a.street.push(v),
                    Part::Postcode => a.postcode = v,
                    Part::City => a.city = v,
                    Part::Region => a.region = v,
                    Part::Country => a.country = v,
                    Part::Whole => a.whole = v,
                }
            }
            t => parts.set(t, &values(cell).into_iter().next().unwrap_or_default()),
        }
    }
    person_of(line, parts)
}

/// The person a record or card describes, or why it is not one: a name
/// is needed (given, family, or a whole name split); a salutation,
/// birthday or language Tresor does not know, an email or phone that is
/// not one, is left out with a note.
pub(super) fn person_of(line: u64, parts: Parts) -> std::result::Result<Row, RowProblem> {
    let mut notes = parts.notes.clone();
    let get = |t: Target| parts.get(t);
    let mut input = PersonInput::default();
    let mut given = get(Target::GivenName);
    let middle = get(Target::MiddleName);
    if !middle.is_empty() {
        given = [given, middle].join(" ").trim().to_owned();
    }
    let family = get(Target::FamilyName);
    if given.is_empty() && family.is_empty() {
        let full = get(Target::FullName);
        if full.is_empty() {
            return Err(RowProblem {
                line,
                reason: "has no name (a given or a family name); a company alone is not a person"
                    .into(),
            });
        }
        input = input.with_name(&full);
    } else {
        if !given.is_empty() {
            input = input.with("given_name", FieldInput::Text(given));
        }
        if !family.is_empty() {
            input = input.with("family_name", FieldInput::Text(family));
        }
    }
    // A salutation and a title, in either column and perhaps in one
    // (Outlook's "Anrede" and "Title" hold `Herr Dr.`, `Mr.` or `Dr.`): the
    // first salutation word found is the salutation, the rest the title.
    let mut code = None;
    let mut titles: Vec<String> = Vec::new();
    for text in [get(Target::Salutation), get(Target::Title)] {
        if text.is_empty() {
            continue;
        }
        match salutation(&text) {
            (Some(c), rest) if code.is_none() => {
                code = Some(c);
                if !rest.is_empty() {
                    titles.push(rest);
                }
            }
            _ => titles.push(text),
        }
    }
    titles.dedup();
    if let Some(code) = code {
        input = input.with("salutation", FieldInput::Text(code.into()));
    }
    if !titles.is_empty() {
        input = input.with("title", FieldInput::Text(titles.join(" ")));
    }
    // Thunderbird's year, month and day of the month in three columns.
    let mut born = get(Target::Birthday);
    let (year, month) = (get(Target::BirthYear), get(Target::BirthMonth));
    if !year.is_empty() && !month.is_empty() && born.len() <= 2 {
        born = if born.is_empty() {
            format!("{month}.{year}")
        } else {
            format!("{born}.{month}.{year}")
        };
    }
    match birthday(&born) {
        Ok(Some(d)) => input = input.with("birthday", FieldInput::Text(d)),
        Ok(None) => {}
        Err(why) => notes.push(why),
    }
    let lang = get(Target::Language);
    if !lang.is_empty() {
        match language(&lang) {
            Some(l) => input = input.with("language", FieldInput::Text(l.into())),
            None => notes.push(format!("the language '{lang}' is not one Tresor knows")),
        }
    }
    let keep = |items: Vec<String>,
                check: fn(&str) -> Result<()>,
                notes: &mut Vec<String>|
     -> Vec<String> {
        let mut kept: Vec<String> = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for item in items.into_iter().take(MAX_VALUES) {
            if !seen.insert(item.to_lowercase()) {
                continue;
            }
            match check(&item) {
                Ok(()) => kept.push(item),
                Err(e) => notes.push(format!("{e}; it is left out")),
            }
        }
        kept
    };
    let emails = keep(parts.emails.clone(), validate_email, &mut notes);
    if !emails.is_empty() {
        input = input.with("emails", FieldInput::List(emails));
    }
    let phones = keep(parts.phones.clone(), validate_phone, &mut notes);
    if !phones.is_empty() {
        input = input.with("phones", FieldInput::List(phones));
    }
    let mut addresses: Vec<&(Slot, AddressParts)> = parts.addresses.iter().collect();
    addresses.sort_by_key(|(s, _)| *s);
    let addresses: Vec<String> = addresses
        .iter()
        .filter_map(|(_, a)| a.compose())
        .take(MAX_VALUES)
        .collect();
    if !addresses.is_empty() {
        input = input.with("addresses", FieldInput::List(addresses));
    }
    let mut tags = parts.tags.clone();
    let mut seen = std::collections::HashSet::new();
    tags.retain(|t| seen.insert(t.to_lowercase()));
    tags.truncate(MAX_VALUES);
    if !tags.is_empty() {
        input = input.with("tags", FieldInput::List(tags));
    }
    if !parts.notes_text.is_empty() {
        input = input.with("note", FieldInput::Text(parts.notes_text.join("\n")));
    }
    let company = get(Target::Company);
    if !company.is_empty() {
        input.company = Some(company);
        let role = get(Target::JobTitle);
        input.company_role = (!role.is_empty()).then_some(role);
    }
    Ok(Row { line, input, notes })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::import::testing::{field, list, text};

    fn rows(text: &str) -> (FileReading, Vec<std::result::Result<Row, RowProblem>>) {
        let mut out = Vec::new();
        let reading = read(text, "UTF-8", None, Mappings::default(), &mut |r| {
            out.push(r);
            Ok(())
        })
        .expect("ok");
        (reading, out)
    }

    #[test]
    fn a_german_excel_list_with_semicolons_and_line_breaks_in_quotes() {
        let file = "Anrede;Vorname;Nachname;Firma;Straße;PLZ;Ort;Telefon;E-Mail;Bemerkung\r\n\
            Herr Dr.;Jürgen;Weiß;Bäckerei Weiß;Hauptstr. 1;10115;Berlin;030 1234567;jw@example.de;\"Kunde seit 2019;\r\nmag Brezeln\"\r\n\
            Frau;Özlem;Yılmaz;;Am Ring 2;50667;Köln;0221 998877;;\r\n\
            ;;;Nur Firma GmbH;;;;;;\r\n";
        let (reading, rows) = rows(file);
        assert_eq!(reading.delimiter.as_deref(), Some(";"));
        assert_eq!(rows.len(), 3);
        let jw = rows[0].as_ref().expect("ok");
        assert_eq!(jw.line, 2);
        assert_eq!(field(jw, "salutation"), text("mr"));
        assert_eq!(field(jw, "title"), text("Dr."));
        assert_eq!(field(jw, "given_name"), text("Jürgen"));
        assert_eq!(field(jw, "addresses"), list(&["Hauptstr. 1\n10115 Berlin"]));
        assert_eq!(field(jw, "note"), text("Kunde seit 2019;\r\nmag Brezeln"));
        assert_eq!(jw.input.company.as_deref(), Some("Bäckerei Weiß"));
        let oy = rows[1].as_ref().expect("ok");
        assert_eq!(oy.line, 4, "the quoted line break counts");
        assert_eq!(field(oy, "phones"), list(&["0221 998877"]));
        let problem = rows[2].as_ref().expect_err("refused");
        assert_eq!(problem.line, 5);
        assert!(problem.reason.contains("no name"), "{}", problem.reason);
    }

    #[test]
    fn google_values_with_the_primary_first_and_labels_as_tags() {
        let file = "Name,Given Name,Family Name,Birthday,Group Membership,E-mail 1 - Type,E-mail 1 - Value,Phone 1 - Value,Address 1 - Formatted\n\
            Anna Berg,Anna,Berg,--03-14,* myContacts ::: Kunden,* Work,a@work.de ::: * anna@home.de,+49 171 555,\"Weg 3\n12345 Dorf\"\n\
            Carl Dorn,,,1980-02-29,Lieferanten,,not-an-email,,\n";
        let (reading, rows) = rows(file);
        assert_eq!(reading.looks_like.as_deref(), Some("Google Contacts"));
        let anna = rows[0].as_ref().expect("ok");
        assert_eq!(field(anna, "emails"), list(&["anna@home.de", "a@work.de"]));
        assert_eq!(field(anna, "tags"), list(&["Kunden"]));
        assert_eq!(field(anna, "addresses"), list(&["Weg 3\n12345 Dorf"]));
        assert_eq!(
            field(anna, "birthday"),
            text("--03-14"),
            "kept without its year"
        );
        assert!(anna.notes.is_empty(), "{:?}", anna.notes);
        for (typed, kept) in [
            ("31.12.", Some("--12-31")),
            ("12/31", Some("--12-31")),
            ("--1231", Some("--12-31")),
            ("29.2.", Some("--02-29")),
            ("31.2.", None),
        ] {
            assert_eq!(birthday(typed).ok().flatten().as_deref(), kept, "{typed}");
        }
        let carl = rows[1].as_ref().expect("ok");
        assert_eq!(
            field(carl, "given_name"),
            text("Carl"),
            "the full name when no parts"
        );
        assert_eq!(field(carl, "family_name"), text("Dorn"));
        assert_eq!(field(carl, "birthday"), text("1980-02-29"));
        assert_eq!(field(carl, "emails"), None);
        assert!(
            carl.notes.iter().any(|n| n.contains("not-an-email")),
            "{:?}",
            carl.notes
        );
    }

    #[test]
    fn outlook_addresses_are_put_together_and_foreign_countries_kept() {
        let file = "First Name,Last Name,Business Street,Business City,Business Postal Code,Business Country/Region,Home Street,Home City,Home Postal Code,Home Country/Region,Birthday\n\
            Eva,Maier,Ring 1,Wien,1010,Österreich,Gasse 2,Berlin,10115,Deutschland,12/31/1975\n";
        let (reading, rows) = rows(file);
        assert_eq!(reading.looks_like.as_deref(), Some("Outlook (English)"));
        let eva = rows[0].as_ref().expect("ok");
        assert_eq!(
            field(eva, "addresses"),
            list(&["Ring 1\n1010 Wien, Österreich", "Gasse 2\n10115 Berlin"])
        );
        assert_eq!(field(eva, "birthday"), text("1975-12-31"));
    }

    #[test]
    fn the_delimiter_is_found_and_excel_may_name_it() {
        assert_eq!(detect_delimiter("a;b;c\n1;2,5;3\n"), b';');
        assert_eq!(detect_delimiter("a,b,c\n1,2,3\n"), b',');
        assert_eq!(detect_delimiter("a\tb\n1\t2\n"), b'\t');
        let (reading, rows) = rows("sep=,\nVorname,Nachname\nA;B,C\n");
        assert_eq!(reading.delimiter.as_deref(), Some(","));
        let row = rows[0].as_ref().expect("ok");
        assert_eq!(row.line, 3);
        assert_eq!(field(row, "given_name"), text("A;B"));
    }

    #[test]
    fn a_file_without_a_name_column_asks_for_a_mapping() {
        let err = read(
            "Kunde;Ort\nX;Y\n",
            "UTF-8",
            None,
            Mappings::default(),
            &mut |_| Ok(()),
        )
        .expect_err("refused");
        assert!(err.to_string().contains("give a mapping"), "{err}");
        let m = columns::Mapping::from_json(r#"{"columns": {"Kunde": "name"}}"#).expect("ok");
        let mut n = 0;
        read(
            "Kunde;Ort\nMax Muster;Y\n",
            "UTF-8",
            None,
            Mappings {
                given: Some(&m),
                saved: None,
            },
            &mut |r| {
                assert!(r.is_ok());
                n += 1;
                Ok(())
            },
        )
        .expect("ok");
        assert_eq!(n, 1);
    }
}
