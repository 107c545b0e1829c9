//! Commands for data-subject requests, access packages, restriction,
//! objection and erasure. Each calls one core operation.

use std::path::PathBuf;

use tresor_core::model::categories::Lang;
use tresor_core::model::contacts::RecordId;
use tresor_core::model::requests::{DsRequest, NewRequest};
use tresor_core::model::rights::Restriction;
use tresor_core::session::erasure::{ErasureReport, VerifyReport};

use crate::commands::{AppState, Res, SaveAsk, with_session};
use crate::dto::{PackagePreview, PreviewField, ReleasedPackage};
use tresor_core::model::requests::RequestRow;

/// Every request with its deadline state.
pub fn list_requests(state: &AppState) -> Res<Vec<RequestRow>> {
    with_session(state, |s| s.request_rows())
}

/// Records a new request.
pub fn open_request(state: &AppState, request: NewRequest) -> Res<DsRequest> {
    with_session(state, |s| s.open_request(&request))
}

/// Extends a deadline once (Art. 12(3)).
pub fn extend_request(state: &AppState, reference: String, reason: String) -> Res<DsRequest> {
    with_session(state, |s| s.extend_request(&reference, &reason))
}

/// Closes a request.
pub fn close_request(
    state: &AppState,
    reference: String,
    outcome: Option<String>,
) -> Res<DsRequest> {
    with_session(state, |s| s.close_request(&reference, outcome.as_deref()))
}

/// What an access package would contain, for review before release.
pub fn preview_package(state: &AppState, id: RecordId, lang: Lang) -> Res<PackagePreview> {
    with_session(state, |s| {
        let p = s.access_package(id, lang)?;
        let d = &p.data;
        Ok(PackagePreview {
            display: d.display.clone(),
            fields: d
                .fields
                .iter()
                .map(|f| PreviewField {
                    label: f.label.to_owned(),
                    category: f.category,
                    value: match &f.value {
                        serde_json::Value::Array(items) => items
                            .iter()
                            .filter_map(|v| v.as_str())
                            .collect::<Vec<_>>()
                            .join("; "),
                        serde_json::Value::String(s) => s.clone(),
                        other => other.to_string(),
                    },
                })
                .collect(),
            withheld: d.withheld_categories.clone(),
            companies: u32::try_from(d.companies.len()).unwrap_or(u32::MAX),
            interactions: u32::try_from(d.interactions.len()).unwrap_or(u32::MAX),
            consent_entries: u32::try_from(d.legal_basis.history.len()).unwrap_or(u32::MAX),
            changes: u32::try_from(d.change_history.len()).unwrap_or(u32::MAX),
            disclosures: u32::try_from(d.legal_basis.disclosures.len()).unwrap_or(u32::MAX),
            requests: u32::try_from(d.requests.len()).unwrap_or(u32::MAX),
            files: p.files.iter().map(|(n, _)| n.clone()).collect(),
        })
    })
}

/// A passphrase for an encrypted package: six words drawn by the core,
/// shown once in the form to be given to the person on another channel.
pub fn generate_package_passphrase(_state: &AppState) -> Res<String> {
    Ok(tresor_core::session::package::generate_package_passphrase())
}

/// Releases the package: asks where to save it in the native save dialog
/// (the export folder first, typically a USB stick in the end), then writes
/// one ZIP there (AES-256 with a passphrase), reads it back and checks it,
/// and records the release. `None` when the dialog was cancelled: nothing
/// is written or recorded.
pub fn release_package(
    state: &AppState,
    id: RecordId,
    lang: Lang,
    ui_lang: Lang,
    request: Option<String>,
    passphrase: Option<String>,
) -> Res<Option<ReleasedPackage>> {
    let dir = state.export_dir();
    std::fs::create_dir_all(&dir).map_err(tresor_core::Error::io(&dir))?;
    let passphrase = passphrase.filter(|p| !p.is_empty());
    let request = request.filter(|r| !r.trim().is_empty());
    // Built once for its name (and to refuse early what may not be
    // done); the session is let go while the dialog is open, so background
    // sync is not held up, and the package is built again after it with
    // what the vault holds then.
    let file_name = with_session(state, |s| {
        let package = s.access_package(id, lang)?;
        Ok(s.package_file_name(&package.data.display, lang))
    })?;
    let ask = SaveAsk {
        title: ui_lang
            .pick("Auskunftspaket speichern", "Save access package")
            .to_owned(),
        dir,
        file_name,
        filter: ui_lang.pick("ZIP-Archiv", "ZIP archive").to_owned(),
        extension: "zip",
    };
    let Some(chosen) = state.pick_save_path(&ask) else {
        return Ok(None);
    };
    let path = with_zip_extension(chosen.clone());
    // The dialog asked before overwriting what was typed, not the name
    // with .zip added.
    if path != chosen && path.exists() {
        return Err(tresor_core::Error::Invalid {
            field: "path".into(),
            message: format!(
                "{} exists already; nothing was written — choose another name",
                path.display()
            ),
        }
        .into());
    }

    with_session(state, |s| {
        let package = s.access_package(id, lang)?;
        let release =
            s.release_package(&package, &path, passphrase.as_deref(), request.as_deref())?;
        Ok(Some(ReleasedPackage {
            path: path.display().to_string(),
            release,
        }))
    })
}

/// The path with `.zip` added when the name typed in the dialog has no
/// extension of that name.
fn with_zip_extension(path: PathBuf) -> PathBuf {
    let is_zip = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("zip"));
    if is_zip {
        path
    } else {
        let mut name = path.into_os_string();
        name.push(".zip");
        PathBuf::from(name)
    }
}

/// The person's restriction, if any.
pub fn contact_restriction(state: &AppState, id: RecordId) -> Res<Option<Restriction>> {
    with_session(state, |s| s.restriction(id))
}

/// Restricts processing for a restriction request.
pub fn restrict_contact(state: &AppState, id: RecordId, request: String) -> Res<Restriction> {
    with_session(state, |s| s.restrict(id, &request))
}

/// Lifts a restriction.
pub fn unrestrict_contact(state: &AppState, id: RecordId) -> Res<()> {
    with_session(state, |s| s.unrestrict(id))
}

/// Records an objection to a purpose; returns how many addresses were suppressed.
pub fn object_contact(
    state: &AppState,
    id: RecordId,
    purpose: String,
    request: String,
) -> Res<u32> {
    with_session(state, |s| s.object(id, &purpose, &request))
}

/// Erases a person for an erasure request; the report names the files in
/// the export folder that held data of theirs.
pub fn erase_contact(
    state: &AppState,
    id: RecordId,
    request: String,
    suppress: bool,
) -> Res<ErasureReport> {
    let dir = state.export_dir();
    let report = with_session(state, |s| {
        s.erase_person_checking(id, &request, suppress, &[dir.as_path()])
    })?;
    state.set_erased_files(report.files.clone());
    Ok(report)
}

/// Deletes files the last erasure named (nothing else), in the export
/// folder. Returns how many were deleted.
pub fn delete_export_files(state: &AppState, files: Vec<String>) -> Res<u32> {
    let dir = state.export_dir();
    state.take_erased_files(&files)?;
    with_session(state, |s| s.delete_files_in(&dir, &files))
}

/// Searches the vault and the export folder for texts; counts per place,
/// never content.
pub fn verify_erasure(state: &AppState, texts: Vec<String>) -> Res<VerifyReport> {
    let dir = state.export_dir();
    with_session(state, |s| s.verify_erasure_in(&texts, &[dir.as_path()]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_window_may_delete_only_what_the_last_erasure_named() {
        let tmp = std::env::temp_dir().join(format!("tresor-erased-{}", std::process::id()));
        let state = AppState::at(tmp);
        let named = "/home/x/Documents/Tresor/rechtsgrundlagen-erika.xlsx".to_owned();
        state.set_erased_files(vec![named.clone()]);
        let other = "/home/x/Documents/Tresor/mailing-all.csv".to_owned();
        let refused = state
            .take_erased_files(&[named.clone(), other])
            .expect_err("not named");
        assert_eq!(refused.code, "invalid");
        assert!(refused.message.contains("not named by the last erasure"));
        // Refused as a whole: the named file may still be deleted, once.
        state
            .take_erased_files(std::slice::from_ref(&named))
            .expect("named");
        assert!(state.take_erased_files(&[named]).is_err());
    }

    #[test]
    fn a_name_typed_without_zip_gets_it_and_zip_in_any_case_is_kept() {
        assert_eq!(
            with_zip_extension(PathBuf::from("/media/usb/erika")),
            PathBuf::from("/media/usb/erika.zip")
        );
        assert_eq!(
            with_zip_extension(PathBuf::from("/media/usb/erika.v2")),
            PathBuf::from("/media/usb/erika.v2.zip")
        );
        assert_eq!(
            with_zip_extension(PathBuf::from("/media/usb/ERIKA.ZIP")),
            PathBuf::from("/media/usb/ERIKA.ZIP")
        );
    }
}
