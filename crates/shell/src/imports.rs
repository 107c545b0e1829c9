//! Commands for imports: the files chosen in the native dialog, a dry run
//! for the preview, the import itself with its progress and a cancel, the
//! list of imports and an undo; the export of many contacts to the export
//! folder. Each calls one core operation.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::Ordering;

use serde::{Deserialize, Serialize};
use tresor_core::model::categories::Lang;
use tresor_core::model::contacts::RecordId;
use tresor_core::model::export::{ContactExport, ContactFormat, ContactSelection};
use tresor_core::model::import::columns::Mapping;
use tresor_core::model::import::{
    DuplicateGroup, ImportBatch, ImportOptions, ImportReport, OnDuplicate, parse_delimiter,
};
use tresor_core::session::import::{ImportProgress, UndoReport};
use tresor_core::session::merge::MergeReport;
use ts_rs::TS;

use crate::commands::{AppState, Res, with_session};

/// How the window asks to import: what `tresor import` takes as options.
#[derive(Debug, Clone, Deserialize, TS)]
pub struct ImportSettings {
    /// The encoding, when detection is wrong.
    pub encoding: Option<String>,
    /// The delimiter (`;`, `,`, `tab`, `|`), when detection is wrong.
    pub delimiter: Option<String>,
    /// Header → field (or null: leave the column out), for columns
    /// Tresor does not know or reads wrongly.
    pub mapping: Option<BTreeMap<String, Option<String>>>,
    /// The purpose the people are kept for.
    pub purpose: Option<String>,
    /// Where the data came from, when not the file's name.
    pub source: Option<String>,
    /// What to do with a row that matches a person already there.
    pub on_duplicate: OnDuplicate,
    /// Read and match only: the preview.
    pub dry_run: bool,
}

/// Asks for the files to import in the native dialog (CSV, XLSX, vCard); none when
/// the person cancelled. The window also takes a typed path.
pub fn pick_import_files(state: &AppState, title: String) -> Res<Vec<String>> {
    let title = title.lines().next().unwrap_or_default().trim();
    Ok(state
        .files_picker
        .get()
        .map(|pick| pick(title))
        .unwrap_or_default()
        .into_iter()
        .map(|p| p.display().to_string())
        .collect())
}

/// Imports (or, as a dry run, previews) people from files. While it runs,
/// [`import_status`] tells how far it is and [`cancel_import`] stops it
/// with nothing written.
pub fn import_contacts(
    state: &AppState,
    files: Vec<String>,
    settings: ImportSettings,
) -> Res<ImportReport> {
    let options = ImportOptions {
        encoding: settings.encoding.filter(|e| !e.trim().is_empty()),
        delimiter: settings
            .delimiter
            .as_deref()
            .filter(|d| !d.is_empty())
            .map(parse_delimiter)
            .transpose()?,
        mapping: settings.mapping.map(|columns| Mapping { columns }),
        purpose: settings.purpose.filter(|p| !p.trim().is_empty()),
        source: settings.source.filter(|s| !s.trim().is_empty()),
        on_duplicate: settings.on_duplicate,
        dry_run: settings.dry_run,
    };
    if let Some(m) = &options.mapping {
        m.check()?;
    }
    let paths: Vec<PathBuf> = files.iter().map(|f| PathBuf::from(f.trim())).collect();
    let refs: Vec<&std::path::Path> = paths.iter().map(PathBuf::as_path).collect();
    state.import_cancel.store(false, Ordering::SeqCst);
    let result = with_session(state, |s| {
        s.import_files(&refs, &options, &mut |p| {
            if let Ok(mut now) = state.import_progress.lock() {
                *now = Some(p.clone());
            }
            !state.import_cancel.load(Ordering::SeqCst)
        })
    });
    if let Ok(mut now) = state.import_progress.lock() {
        *now = None;
    }
    result
}

/// How far the running import is; none when none runs. Never waits for
/// the import itself.
pub fn import_status(state: &AppState) -> Res<Option<ImportProgress>> {
    Ok(state
        .import_progress
        .lock()
        .map(|p| p.clone())
        .unwrap_or_default())
}

/// Stops the running import before it writes anything.
pub fn cancel_import(state: &AppState) -> Res<()> {
    state.import_cancel.store(true, Ordering::SeqCst);
    Ok(())
}

/// Every import, newest first.
pub fn import_batches(state: &AppState) -> Res<Vec<ImportBatch>> {
    with_session(state, |s| s.import_batches())
}

/// Takes an import back (refused when its people changed since).
pub fn undo_import(state: &AppState, batch: RecordId) -> Res<UndoReport> {
    with_session(state, |s| s.undo_import(batch))
}

/// People of the vault that look like one person twice.
pub fn find_duplicates(state: &AppState) -> Res<Vec<DuplicateGroup>> {
    with_session(state, |s| s.duplicates())
}

/// An export of contacts and where it was written.
#[derive(Debug, Serialize, TS)]
pub struct ExportedContacts {
    /// The file's path.
    pub path: String,
    /// What it holds and what was left out.
    pub export: ContactExport,
}

/// Writes the people of a selection (everyone, a search, a tag, the
/// chosen ones) to the export folder and records the disclosure.
pub fn export_contacts(
    state: &AppState,
    selection: ContactSelection,
    format: ContactFormat,
    lang: Lang,
    purpose: Option<String>,
) -> Res<ExportedContacts> {
    let dir = state.export_dir();
    let (path, export) = with_session(state, |s| {
        s.export_contacts_in(&dir, &selection, format, lang, purpose.as_deref())
    })?;
    Ok(ExportedContacts {
        path: path.display().to_string(),
        export,
    })
}

/// Merges `other` into `keep` (the other is erased).
pub fn merge_people(state: &AppState, keep: RecordId, other: RecordId) -> Res<MergeReport> {
    with_session(state, |s| s.merge_people(keep, other))
}
