//! Files made on the session: what is rendered (`render`) and where it is
//! written. One naming rule for the app and the command line: a stem from
//! what the file holds and the day, never over an earlier export, written
//! atomically.

use std::path::{Path, PathBuf};

use uuid::Uuid;

use super::Session;
use crate::error::{Error, Result};
use crate::model::categories::Lang;
use crate::model::contacts::RecordId;
use crate::model::roles::Action;
use crate::render::{
    ExportFormat, legal_basis_csv, legal_basis_xlsx, register_html, register_xlsx,
};
use crate::vault::{free_path, write_atomic};

/// A file name part from free text: letters, digits and dashes only, at
/// most 40 characters.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_alphanumeric() {
            out.extend(c.to_lowercase());
        } else if !out.ends_with('-') && !out.is_empty() {
            out.push('-');
        }
    }
    out.trim_end_matches('-').chars().take(40).collect()
}

/// A path in `dir` (made if missing) for `stem.ext` that does not overwrite
/// an earlier export.
pub(crate) fn export_path(dir: &Path, stem: &str, ext: &str) -> Result<PathBuf> {
    std::fs::create_dir_all(dir).map_err(Error::io(dir))?;
    Ok(free_path(dir, stem, ext))
}

impl Session {
    /// Today in the session's clock, as `YYYY-MM-DD` (for file names).
    pub(crate) fn today(&self) -> String {
        self.now().format("%Y-%m-%d").to_string()
    }

    /// A person's legal-basis view as an XLSX or CSV file.
    pub fn legal_basis_file(
        &self,
        person: RecordId,
        format: ExportFormat,
        lang: Lang,
    ) -> Result<Vec<u8>> {
        self.require(Action::ExportRecords)?;
        let view = self.legal_basis(person)?;
        match format {
            ExportFormat::Xlsx => legal_basis_xlsx(&view, lang),
            ExportFormat::Csv => Ok(legal_basis_csv(&view, lang).into_bytes()),
            ExportFormat::Html => Err(Error::invalid(
                "format",
                "the legal-basis view is exported as xlsx or csv",
            )),
        }
    }

    /// Writes a person's legal-basis view into `dir`:
    /// `rechtsgrundlagen-<name>-<date>` (or `legal-basis-…` in English).
    pub fn legal_basis_file_in(
        &self,
        dir: &Path,
        person: RecordId,
        format: ExportFormat,
        lang: Lang,
    ) -> Result<PathBuf> {
        let bytes = self.legal_basis_file(person, format, lang)?;
        let name = self.legal_basis(person)?.display;
        let stem = format!(
            "{}-{}-{}",
            lang.pick("rechtsgrundlagen", "legal-basis"),
            slug(&name),
            self.today()
        );
        let path = export_path(dir, &stem, format.extension())?;
        write_atomic(&path, &bytes)?;
        Ok(path)
    }

    /// A register version (the newest by default) as an XLSX or HTML file.
    pub fn register_file(
        &self,
        version: Option<u32>,
        format: ExportFormat,
        lang: Lang,
    ) -> Result<(u32, Vec<u8>)> {
        self.require(Action::ExportRecords)?;
        let r = self.register(version)?;
        let bytes = match format {
            ExportFormat::Xlsx => register_xlsx(&r, lang)?,
            ExportFormat::Html => register_html(&r, lang).into_bytes(),
            ExportFormat::Csv => {
                return Err(Error::invalid(
                    "format",
                    "the register is exported as xlsx or html",
                ));
            }
        };
        Ok((r.version, bytes))
    }

    /// Writes a register version into `dir`:
    /// `verarbeitungsverzeichnis-v<n>-de` (or `processing-register-v<n>-en`).
    pub fn register_file_in(
        &self,
        dir: &Path,
        version: Option<u32>,
        format: ExportFormat,
        lang: Lang,
    ) -> Result<PathBuf> {
        let (v, bytes) = self.register_file(version, format, lang)?;
        let stem = format!(
            "{}-v{v}-{}",
            lang.pick("verarbeitungsverzeichnis", "processing-register"),
            lang.pick("de", "en")
        );
        let path = export_path(dir, &stem, format.extension())?;
        write_atomic(&path, &bytes)?;
        Ok(path)
    }

    /// Writes a consent entry's evidence file into `dir` under its own
    /// (slugged) name.
    pub fn evidence_file_in(&self, dir: &Path, entry: Uuid) -> Result<PathBuf> {
        let (name, bytes) = self.evidence_file(entry)?;
        let name = Path::new(&name);
        let stem = name
            .file_stem()
            .map_or_else(|| "evidence".to_owned(), |s| slug(&s.to_string_lossy()));
        let ext = name
            .extension()
            .map_or_else(|| "bin".to_owned(), |e| slug(&e.to_string_lossy()));
        let path = export_path(dir, &stem, &ext)?;
        write_atomic(&path, &bytes)?;
        Ok(path)
    }

    /// The file name an access package is offered under:
    /// `auskunft-<name>-<date>.zip` (or `access-…`).
    pub fn package_file_name(&self, display: &str, lang: Lang) -> String {
        format!(
            "{}-{}-{}.zip",
            lang.pick("auskunft", "access"),
            slug(display),
            self.today()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_keep_letters_and_digits_and_fold_the_rest_into_single_dashes() {
        assert_eq!(
            slug("Jörg  Müller-Lüdenscheidt"),
            "jörg-müller-lüdenscheidt"
        );
        assert_eq!(slug("../../etc/passwd"), "etc-passwd");
        assert_eq!(slug("E-Mail Werbung!"), "e-mail-werbung");
        assert_eq!(slug(&"x".repeat(60)).len(), 40);
        assert_eq!(slug("  "), "");
    }
}
