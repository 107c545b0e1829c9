//! Files made on the session: what is rendered (`render`) and where it is
//! written, under one naming rule for the app and the command line.

use super::Session;
use crate::error::{Error, Result};
use crate::model::categories::Lang;
use crate::model::contacts::RecordId;
use crate::model::roles::Action;
use crate::render::{ExportFormat, legal_basis_csv, legal_basis_xlsx, register_html, register_xlsx};

impl Session {
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
}
