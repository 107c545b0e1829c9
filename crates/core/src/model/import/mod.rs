//! Bringing people in from the files they live in today: the encoding
//! (`decode`), the columns of CSV exports and what each means (`columns`,
//! `csv`; XLSX sheets in `xlsx`), the keys two records of one person
//! share (`matching`), and
//! the report an import gives back. Pure: the session reads the files and
//! writes the people.

pub mod columns;
pub mod csv;
pub mod decode;
pub mod matching;
pub mod vcard;
pub mod xlsx;

/// What the readers' tests ask of a row.
#[cfg(test)]
pub(crate) mod testing {
    use super::Row;
    use crate::model::contacts::FieldInput;

    /// A field of a row as read.
    pub fn field(row: &Row, name: &str) -> Option<FieldInput> {
        row.input
            .fields
            .iter()
            .find(|(f, _)| f == name)
            .map(|(_, v)| v.clone())
    }

    /// A text as a field holds it.
    pub fn text(s: &str) -> Option<FieldInput> {
        Some(FieldInput::Text(s.into()))
    }

    /// Texts as a list field holds them.
    pub fn list(items: &[&str]) -> Option<FieldInput> {
        Some(FieldInput::List(
            items.iter().map(|s| (*s).to_owned()).collect(),
        ))
    }
}

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::model::contacts::{PersonInput, RecordId, Timestamp};

/// The largest file an import reads (256 MiB): a bigger one is refused
/// before it is read, never loaded into memory.
pub const MAX_FILE_BYTES: u64 = 256 * 1024 * 1024;

/// What to do with a row that matches a person already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
pub enum OnDuplicate {
    /// Leave the person as they are; the row is counted as a duplicate.
    #[default]
    Skip,
    /// Fill what is empty and add new emails and phones to the person.
    Merge,
    /// Add the row as a new person anyway.
    Add,
}

/// One person read from a file, with the line they start on.
#[derive(Debug, Clone, Default)]
pub struct Row {
    /// Line of the file (1 is the first) where the row or card begins.
    pub line: u64,
    /// The person as the front doors would type them.
    pub input: PersonInput,
    /// What was read but not kept, said to the user (a birthday without
    /// a year, a salutation Tresor does not know).
    pub notes: Vec<String>,
}

/// A row or card that was not imported, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RowProblem {
    /// Line of the file where it begins.
    pub line: u64,
    /// Why, in words; never a suppressed value.
    pub reason: String,
}

/// How one file was read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FileReading {
    /// `csv`, `xlsx` or `vcard`.
    pub format: String,
    /// The encoding read (`UTF-8`, `windows-1252`, …).
    pub encoding: String,
    /// The delimiter of a CSV file.
    pub delimiter: Option<String>,
    /// The export it looks like (`Outlook (Deutsch)`, `Google Contacts`,
    /// `Thunderbird`, `Excel`), or none when the columns were mapped.
    pub looks_like: Option<String>,
    /// Each header and the field it went to (`None`: not imported).
    pub columns: Vec<(String, Option<String>)>,
    /// The header row's key: files with the same columns share it, and a
    /// mapping given for one is saved under it and offered to the next.
    #[serde(default)]
    pub header_key: String,
    /// A mapping saved for this header row was used.
    #[serde(default)]
    pub saved_mapping: bool,
    /// The first rows as read, cell by cell, for a preview (a dry run's
    /// report only: the report of an import keeps no values).
    pub sample: Vec<Vec<String>>,
}

/// The mapping a table is read with: the one saved for files with the
/// same header row (looked up by [`header_key`]), and the one given over
/// it, header by header.
#[derive(Clone, Copy, Default)]
pub struct Mappings<'a> {
    /// Given with this import.
    pub given: Option<&'a columns::Mapping>,
    /// Saved ones, by header key.
    pub saved: Option<&'a std::collections::HashMap<String, columns::Mapping>>,
}

/// The key of a header row: the SHA-256 of its headers as compared
/// (folded), the first 16 bytes in hex.
pub fn header_key(headers: &[String]) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for header in headers {
        h.update(columns::fold(header).as_bytes());
        h.update([0x1f]);
    }
    h.finalize()[..16]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// The text of an imported file that is not a sheet: a vCard's folds
/// that split a UTF-8 sequence mended first, then decoded
/// ([`decode::decode`]).
pub fn file_text(bytes: &[u8], named: Option<&str>) -> crate::error::Result<decode::Decoded> {
    if vcard::is_vcard_bytes(bytes) {
        decode::decode(&vcard::mend_folds(bytes), named)
    } else {
        decode::decode(bytes, named)
    }
}

/// Rows a preview shows.
pub const SAMPLE_ROWS: usize = 5;

/// Per file: what was read and what became of it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FileReport {
    /// The file's name (without its folder).
    pub file: String,
    /// Why the file was not imported at all (it could not be read).
    pub refused: Option<String>,
    /// How it was read.
    pub reading: FileReading,
    /// Rows or cards read.
    pub read: u32,
    /// People created.
    pub imported: u32,
    /// Rows merged into a person already there.
    pub merged: u32,
    /// Rows left out as duplicates.
    pub duplicates: u32,
    /// Rows refused because an address of theirs is suppressed.
    pub suppressed: u32,
    /// Rows not imported for a reason of their own, with their line.
    pub problems: Vec<RowProblem>,
    /// What was read but not kept, with their line.
    pub notes: Vec<RowProblem>,
    /// The people created.
    pub created: Vec<RecordId>,
    /// The people merged into.
    pub merged_into: Vec<RecordId>,
}

/// What an import did, for the CLI's `--json` and the app.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportReport {
    /// The batch to undo it by; none for a dry run.
    pub batch: Option<Uuid>,
    /// Nothing was written.
    pub dry_run: bool,
    /// One per file, in the order given.
    pub files: Vec<FileReport>,
}

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// The encoding, when detection should not decide.
    pub encoding: Option<String>,
    /// The CSV delimiter, when detection should not decide.
    pub delimiter: Option<u8>,
    /// Header → field, for a file whose columns are not known.
    pub mapping: Option<columns::Mapping>,
    /// The purpose the people are kept for (a purpose that needs no
    /// consent: a consent is recorded with its own evidence).
    pub purpose: Option<String>,
    /// Where the data came from, in words, when not the file's name
    /// ("Messe Köln 2026").
    pub source: Option<String>,
    /// Duplicates.
    pub on_duplicate: OnDuplicate,
    /// Read and match, write nothing.
    pub dry_run: bool,
}

/// An import batch as recorded: who brought which files in when, under
/// which purpose, and what was created and merged (ids only: no value of
/// a person is kept outside their own sealed fields).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ImportBatch {
    /// The batch id.
    pub id: Uuid,
    /// When.
    pub at: Timestamp,
    /// Who.
    pub by: String,
    /// The files' names.
    pub files: Vec<String>,
    /// The purpose chosen.
    pub purpose: Option<String>,
    /// People created.
    pub created: Vec<RecordId>,
    /// People merged into, with the fields the merge changed.
    pub merged: Vec<(RecordId, Vec<String>)>,
    /// The clock before its first change and after its last, in decimal
    /// (a JSON number would lose digits): an undo finds what changed
    /// since, and the values before.
    pub from: String,
    /// See `from`.
    pub upto: String,
    /// Undone: when and by whom.
    pub undone: Option<(Timestamp, String)>,
}

/// A delimiter as typed (`;`, `,`, `|`, `tab`): the byte, or why not.
pub fn parse_delimiter(d: &str) -> crate::error::Result<u8> {
    match d {
        "tab" | "\\t" | "\t" => Ok(b'\t'),
        d if d.len() == 1 && d.is_ascii() => Ok(d.as_bytes()[0]),
        d => Err(crate::error::Error::invalid(
            "delimiter",
            format!("'{d}' is not a delimiter: give one character (; , |) or `tab`"),
        )),
    }
}

/// The source a person's record names (Art. 14(2)(f)): the file or the
/// source typed, the day and who imported it.
pub fn source_text(source: &str, day: &str, by: &str) -> String {
    format!("Import: {source} ({day}, {by})")
}

/// People of the vault that look like one person twice.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DuplicateGroup {
    /// The people, in the order of the vault.
    pub people: Vec<DuplicatePerson>,
    /// What they share, in words (never the value).
    pub why: Vec<String>,
}

/// One person of a [`DuplicateGroup`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DuplicatePerson {
    /// The person.
    pub id: RecordId,
    /// Their name as the list shows it.
    pub display: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_delimiter_is_one_character_or_tab() {
        assert_eq!(parse_delimiter(";").expect("ok"), b';');
        assert_eq!(parse_delimiter("tab").expect("ok"), b'\t');
        let err = parse_delimiter(";;").expect_err("refused");
        assert!(err.to_string().contains("not a delimiter"), "{err}");
    }
}
