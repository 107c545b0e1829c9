//! An export of many contacts as a table: Outlook's column names (German
//! or English), so that Word's and LibreOffice's mail merge, Outlook and
//! Tresor's own import read it; as CSV (UTF-8 with a byte-order mark,
//! every cell through the formula guard) or as an XLSX workbook.

use chrono::NaiveDate;
use rust_xlsxwriter::Workbook;

use super::{CsvFile, sheet, xlsx_err};
use crate::error::Result;
use crate::model::categories::{Category, Lang};
use crate::model::directory::address_parts;
use crate::model::export::Card;

/// How many emails, phones and addresses have columns of their own; more
/// emails and phones go into the last column after ` ::: ` (as Google
/// writes several values), more addresses only into a vCard.
const EMAILS: usize = 3;
const PHONES: usize = 3;
const ADDRESSES: usize = 3;

/// The header, in the file's language, without the note's column when the
/// role holds no key for notes.
pub fn header(lang: Lang, notes: bool) -> Vec<&'static str> {
    let mut h = vec![
        lang.pick("Anrede", "Salutation"),
        lang.pick("Titel", "Title"),
        lang.pick("Vorname", "First Name"),
        lang.pick("Nachname", "Last Name"),
        lang.pick("Firma", "Company"),
        lang.pick("Position", "Job Title"),
        lang.pick("Straße geschäftlich", "Business Street"),
        lang.pick("Postleitzahl geschäftlich", "Business Postal Code"),
        lang.pick("Ort geschäftlich", "Business City"),
        lang.pick("Straße privat", "Home Street"),
        lang.pick("Postleitzahl privat", "Home Postal Code"),
        lang.pick("Ort privat", "Home City"),
        lang.pick("Weitere Straße", "Other Street"),
        lang.pick("Weitere Postleitzahl", "Other Postal Code"),
        lang.pick("Weiterer Ort", "Other City"),
        lang.pick("E-Mail-Adresse", "E-mail Address"),
        lang.pick("E-Mail 2: Adresse", "E-mail 2 Address"),
        lang.pick("E-Mail 3: Adresse", "E-mail 3 Address"),
        lang.pick("Telefon geschäftlich", "Business Phone"),
        lang.pick("Telefon geschäftlich 2", "Business Phone 2"),
        lang.pick("Weiteres Telefon", "Other Phone"),
        lang.pick("Geburtstag", "Birthday"),
        lang.pick("Kategorien", "Categories"),
        lang.pick("Sprache", "Language"),
    ];
    if notes {
        h.push(lang.pick("Notizen", "Notes"));
    }
    h
}

/// `n` cells of `values`, the last holding the rest after ` ::: `.
fn spread(values: &[String], n: usize) -> Vec<String> {
    let mut cells: Vec<String> = values.iter().take(n).cloned().collect();
    if values.len() > n {
        cells[n - 1] = values[n - 1..].join(" ::: ");
    }
    cells.resize(n, String::new());
    cells
}

/// One person's row, matching [`header`].
pub fn row(card: &Card, lang: Lang, notes: bool) -> Vec<String> {
    let (company, job) = card
        .companies
        .first()
        .map(|(c, r)| (c.clone(), r.clone().unwrap_or_default()))
        .unwrap_or_default();
    let mut cells = vec![
        card.salutation_word(lang).to_owned(),
        card.title.clone(),
        card.given_name.clone(),
        card.family_name.clone(),
        company,
        job,
    ];
    for i in 0..ADDRESSES {
        let (street, code, city) = card
            .addresses
            .get(i)
            .map(|a| address_parts(a))
            .unwrap_or_default();
        cells.extend([street, code, city]);
    }
    cells.extend(spread(&card.emails, EMAILS));
    cells.extend(spread(&card.phones, PHONES));
    let birthday = match card.birthday.strip_prefix("--") {
        // Without the year: `31.12.` in German, as vCard writes it in English.
        Some(md) => match (lang, md.split_once('-')) {
            (Lang::De, Some((m, d))) => format!("{d}.{m}."),
            _ => card.birthday.clone(),
        },
        None => NaiveDate::parse_from_str(&card.birthday, "%Y-%m-%d")
            .map(|d| match lang {
                Lang::De => d.format("%d.%m.%Y").to_string(),
                Lang::En => d.format("%Y-%m-%d").to_string(),
            })
            .unwrap_or_default(),
    };
    cells.push(birthday);
    cells.push(card.tags.join("; "));
    cells.push(card.language.clone());
    if notes {
        cells.push(card.note.clone());
    }
    cells
}

/// Whether the table has the note's column: only when the role reads notes.
pub fn with_notes(left_out: &[Category]) -> bool {
    !left_out.contains(&Category::Notes)
}

/// The cards as CSV.
pub fn contacts_csv(cards: &[Card], lang: Lang, left_out: &[Category]) -> String {
    let notes = with_notes(left_out);
    let mut out = CsvFile::with_bom();
    out.row(&header(lang, notes));
    for card in cards {
        out.row(&row(card, lang, notes));
    }
    out.finish()
}

/// The cards as an XLSX workbook of one sheet.
pub fn contacts_xlsx(cards: &[Card], lang: Lang, left_out: &[Category]) -> Result<Vec<u8>> {
    let notes = with_notes(left_out);
    let rows: Vec<Vec<String>> = cards.iter().map(|c| row(c, lang, notes)).collect();
    let mut wb = Workbook::new();
    sheet(
        wb.add_worksheet(),
        lang.pick("Kontakte", "Contacts"),
        &header(lang, notes),
        &rows,
    )?;
    wb.save_to_buffer().map_err(xlsx_err)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn more_values_than_columns_go_into_the_last_one() {
        let v: Vec<String> = ["a", "b", "c", "d"].map(String::from).to_vec();
        assert_eq!(spread(&v, 3), ["a", "b", "c ::: d"]);
        assert_eq!(spread(&v[..1], 3), ["a", "", ""]);
    }

    #[test]
    fn every_row_is_as_wide_as_the_header() {
        let card = Card {
            given_name: "Jürgen".into(),
            addresses: vec!["Hauptstr. 1\n10115 Berlin".into()],
            birthday: "1980-12-31".into(),
            ..Card::default()
        };
        for notes in [true, false] {
            let r = row(&card, Lang::De, notes);
            assert_eq!(r.len(), header(Lang::De, notes).len());
            assert_eq!(r[6..9], ["Hauptstr. 1", "10115", "Berlin"]);
            assert_eq!(r[21], "31.12.1980");
        }
        assert_eq!(row(&card, Lang::En, false)[21], "1980-12-31");
    }
}
