//! XLSX sheets (Excel, LibreOffice) to rows of people, with `calamine`:
//! the first sheet with cells, its first row the headers, each cell as
//! the text it shows (whole numbers without `.0`, dates as `YYYY-MM-DD`,
//! a formula's last value, never the formula). The archive is checked
//! first with `zip`: a file whose parts would unpack to more than
//! [`MAX_UNPACKED`] (a ZIP bomb) is refused before anything is unpacked.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

use super::Mappings;
use super::csv::{record, table_reading};
use super::{FileReading, Row, RowProblem};
use crate::error::{Error, Result};

/// The most the parts of one XLSX file may unpack to (512 MiB).
pub const MAX_UNPACKED: u64 = 512 * 1024 * 1024;

/// Whether bytes are a ZIP archive (an XLSX file is one).
pub fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

fn not_xlsx(why: impl std::fmt::Display) -> Error {
    Error::invalid(
        "file",
        format!("is not an XLSX sheet Tresor can read ({why})"),
    )
}

/// Refuses an archive that unpacks to more than `limit`, by its directory.
fn check_archive(bytes: &[u8], limit: u64) -> Result<()> {
    // The sizes the central directory declares; the `zip` reader never
    // unpacks a part past its declared size.
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(not_xlsx)?;
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let part = archive.by_index_raw(i).map_err(not_xlsx)?;
        total = total.saturating_add(part.size());
    }
    if total > limit {
        return Err(Error::invalid(
            "file",
            format!(
                "would unpack to {} MB; Tresor reads sheets of up to {} MB",
                total / 1_000_000,
                limit / 1_000_000
            ),
        ));
    }
    Ok(())
}

/// A cell as the sheet shows it.
fn text(cell: &Data) -> String {
    match cell {
        Data::Empty | Data::Error(_) => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{f:.0}"),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(d) => d
            .as_datetime()
            .map(|t| t.date().format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
    }
}

/// Reads the first sheet with cells; calls `each` with every row or its
/// problem, the line being the sheet's row number.
pub fn read(
    bytes: &[u8],
    mappings: Mappings<'_>,
    each: &mut dyn FnMut(std::result::Result<Row, RowProblem>) -> Result<()>,
) -> Result<FileReading> {
    check_archive(bytes, MAX_UNPACKED)?;
    let mut book: Xlsx<_> =
        calamine::open_workbook_from_rs(Cursor::new(bytes)).map_err(not_xlsx)?;
    let mut range = None;
    for i in 0..book.sheet_names().len() {
        if let Some(Ok(r)) = book.worksheet_range_at(i)
            && !r.is_empty()
        {
            range = Some(r);
            break;
        }
    }
    let range = range.ok_or_else(|| Error::invalid("file", "has no sheet with cells"))?;
    let first_row = range.start().map_or(0, |(row, _)| u64::from(row));
    let mut rows = range.rows();
    let headers: Vec<String> = rows
        .next()
        .map(|r| r.iter().map(|c| text(c).trim().to_owned()).collect())
        .unwrap_or_default();
    let (targets, mut reading) = table_reading(&headers, mappings, "xlsx", "XLSX", None)?;
    for (n, row) in rows.enumerate() {
        let cells: Vec<String> = row.iter().map(text).collect();
        // Row numbers as the sheet shows them: 1 is the first.
        let line = first_row + n as u64 + 2;
        record(
            line,
            cells.iter().map(String::as_str),
            &targets,
            &mut reading,
            each,
        )?;
    }
    Ok(reading)
}

#[cfg(test)]
mod tests {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

    use super::*;
    use crate::model::contacts::FieldInput;
    use crate::model::import::testing::field;

    fn sheet() -> Vec<u8> {
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        for (c, h) in [
            "Vorname",
            "Nachname",
            "PLZ",
            "Ort",
            "Telefon",
            "Geburtstag",
            "Kundennr",
        ]
        .iter()
        .enumerate()
        {
            ws.write_string(0, c as u16, *h).expect("header");
        }
        ws.write_string(1, 0, "Jürgen").expect("cell");
        ws.write_string(1, 1, "Weiß").expect("cell");
        ws.write_number(1, 2, 10115.0).expect("cell");
        ws.write_string(1, 3, "Berlin").expect("cell");
        ws.write_string(1, 4, "030 1234567").expect("cell");
        let day = ExcelDateTime::from_ymd(1968, 4, 3).expect("date");
        ws.write_datetime_with_format(1, 5, &day, &Format::new().set_num_format("dd.mm.yyyy"))
            .expect("cell");
        ws.write_formula(1, 6, "=1+1").expect("formula");
        ws.write_string(3, 0, "Özlem").expect("cell");
        ws.write_string(3, 1, "Kaya").expect("cell");
        ws.write_string(4, 3, "nur ein Ort").expect("cell");
        wb.save_to_buffer().expect("xlsx")
    }

    #[test]
    fn an_excel_sheet_is_read_with_row_numbers_dates_and_whole_numbers() {
        let bytes = sheet();
        assert!(is_zip(&bytes));
        let mut rows = Vec::new();
        let reading = read(&bytes, Mappings::default(), &mut |r| {
            rows.push(r);
            Ok(())
        })
        .expect("read");
        assert_eq!(reading.format, "xlsx");
        assert_eq!(reading.sample.len(), 3, "the blank row is no row");
        assert_eq!(rows.len(), 3);
        let jw = rows[0].as_ref().expect("row");
        assert_eq!(jw.line, 2);
        assert_eq!(
            field(jw, "addresses"),
            Some(FieldInput::List(vec!["10115 Berlin".into()]))
        );
        assert_eq!(
            field(jw, "birthday"),
            Some(FieldInput::Text("1968-04-03".into()))
        );
        // The value the sheet last computed (the writer stores 0), never
        // the formula.
        assert_eq!(reading.sample[0][6], "0");
        assert_eq!(rows[1].as_ref().expect("row").line, 4);
        let problem = rows[2].as_ref().expect_err("no name");
        assert_eq!(problem.line, 5);
    }

    #[test]
    fn a_zip_that_is_no_sheet_or_unpacks_to_too_much_is_refused() {
        let err = read(b"PK\x03\x04 not really", Mappings::default(), &mut |_| {
            Ok(())
        })
        .expect_err("refused");
        assert!(err.to_string().contains("not an XLSX sheet"), "{err}");

        // A bomb, scaled down: a part of zeros that unpacks to 3 MiB,
        // against a limit of 2 MiB.
        let mut zipped = Cursor::new(Vec::new());
        {
            let mut w = zip::ZipWriter::new(&mut zipped);
            let opts = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .large_file(true);
            w.start_file("xl/worksheets/sheet1.xml", opts)
                .expect("start");
            let chunk = vec![0u8; 1 << 20];
            for _ in 0..3 {
                std::io::Write::write_all(&mut w, &chunk).expect("write");
            }
            w.finish().expect("finish");
        }
        let bytes = zipped.into_inner();
        assert!(bytes.len() < 64 << 10, "{}", bytes.len());
        let err = check_archive(&bytes, 2 << 20).expect_err("refused");
        assert!(err.to_string().contains("would unpack to"), "{err}");
    }
}
