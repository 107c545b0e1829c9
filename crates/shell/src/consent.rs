//! Commands for purposes, consents, double opt-in, exports and the Art. 30
//! register. Each calls one core operation; files are written atomically
//! into the export folder and their path is returned for the UI to show.

use tresor_core::ErrorCode;
use tresor_core::model::categories::Lang;
use tresor_core::model::consent::{
    Channel, ConsentEntry, ConsentInput, LegalBasisView, Purpose, ReconsentItem,
};
use tresor_core::model::contacts::RecordId;
use tresor_core::model::mail::SmtpSettings;
use tresor_core::model::register::{Register, RegisterVersionInfo};
use tresor_core::render::ExportFormat;

use crate::commands::{AppState, Res, with_session};
use crate::dto::{EvidenceUpload, ExportedFile, IpcError};

/// Every purpose of processing.
pub fn list_purposes(state: &AppState) -> Res<Vec<Purpose>> {
    with_session(state, |s| s.purposes())
}

/// Adds (`is_new`) or changes a purpose.
pub fn save_purpose(state: &AppState, purpose: Purpose, is_new: bool) -> Res<()> {
    with_session(state, |s| s.save_purpose(&purpose, is_new))
}

/// The consent sources to choose from.
pub fn consent_sources(state: &AppState) -> Res<Vec<String>> {
    with_session(state, |s| s.consent_sources())
}

/// One person's purposes, consents, history and necessity check.
pub fn legal_basis(state: &AppState, id: RecordId) -> Res<LegalBasisView> {
    with_session(state, |s| s.legal_basis(id))
}

/// Replaces the list of consent sources; returns the stored list.
pub fn set_consent_sources(state: &AppState, sources: Vec<String>) -> Res<Vec<String>> {
    with_session(state, |s| {
        s.set_consent_sources(&sources)?;
        s.consent_sources()
    })
}

/// Records a consent, with an optional evidence file.
pub fn give_consent(
    state: &AppState,
    id: RecordId,
    consent: ConsentInput,
    evidence_file: Option<EvidenceUpload>,
) -> Res<ConsentEntry> {
    let file = evidence_file
        .map(|f| {
            use base64::Engine as _;
            base64::engine::general_purpose::STANDARD
                .decode(f.data_base64.as_bytes())
                .map(|bytes| (f.name, bytes))
                .map_err(|_| IpcError {
                    code: ErrorCode::Invalid.into(),
                    message: "evidence_file: the file could not be read".into(),
                    field: Some("evidence_file".into()),
                })
        })
        .transpose()?;
    with_session(state, |s| {
        s.give_consent(
            id,
            &consent,
            file.as_ref().map(|(n, b)| (n.as_str(), b.as_slice())),
        )
    })
}

/// Writes a consent entry's evidence file to the export folder.
pub fn save_evidence(state: &AppState, entry: RecordId) -> Res<ExportedFile> {
    let dir = state.export_dir();
    let path = with_session(state, |s| s.evidence_file_in(&dir, entry))?;
    Ok(ExportedFile {
        path: path.display().to_string(),
        count: None,
    })
}

/// Records a withdrawal.
pub fn withdraw_consent(
    state: &AppState,
    id: RecordId,
    purpose: String,
    channel: Channel,
    reason: Option<String>,
) -> Res<ConsentEntry> {
    with_session(state, |s| {
        s.withdraw_consent(id, &purpose, channel, reason.as_deref())
    })
}

/// Sends a double opt-in mail.
pub fn request_consent(state: &AppState, id: RecordId, purpose: String) -> Res<ConsentEntry> {
    with_session(state, |s| s.request_consent(id, &purpose, None))
}

/// Confirms a double opt-in from a pasted code or reply.
pub fn confirm_consent(state: &AppState, text: String) -> Res<ConsentEntry> {
    with_session(state, |s| s.confirm_opt_in(&text))
}

/// People to ask again.
pub fn reconsent_list(state: &AppState, within_days: u32) -> Res<Vec<ReconsentItem>> {
    with_session(state, |s| s.reconsent_list(within_days))
}

/// The register's versions.
pub fn register_versions(state: &AppState) -> Res<Vec<RegisterVersionInfo>> {
    with_session(state, |s| s.register_versions())
}

/// One register version (the newest when none is given).
pub fn get_register(state: &AppState, version: Option<u32>) -> Res<Register> {
    with_session(state, |s| s.register(version))
}

/// Writes a person's legal-basis view to the export folder.
pub fn export_legal_basis(
    state: &AppState,
    id: RecordId,
    format: ExportFormat,
    lang: Lang,
) -> Res<ExportedFile> {
    let dir = state.export_dir();
    let path = with_session(state, |s| s.legal_basis_file_in(&dir, id, format, lang))?;
    Ok(ExportedFile {
        path: path.display().to_string(),
        count: None,
    })
}

/// Writes a register version to the export folder.
pub fn export_register(
    state: &AppState,
    version: Option<u32>,
    format: ExportFormat,
    lang: Lang,
) -> Res<ExportedFile> {
    let dir = state.export_dir();
    let path = with_session(state, |s| s.register_file_in(&dir, version, format, lang))?;
    Ok(ExportedFile {
        path: path.display().to_string(),
        count: None,
    })
}

/// Writes a purpose-bound mailing list (CSV) and records the disclosure.
pub fn export_mailing(state: &AppState, purpose: String, channel: Channel) -> Res<ExportedFile> {
    let dir = state.export_dir();
    let (path, export) = with_session(state, |s| s.mailing_export_in(&dir, &purpose, channel))?;
    Ok(ExportedFile {
        path: path.display().to_string(),
        count: Some(export.disclosure.count),
    })
}

/// The mail server settings (never the password).
pub fn smtp_settings(state: &AppState) -> Res<Option<SmtpSettings>> {
    with_session(state, |s| s.smtp_settings())
}

/// Saves the mail server; a non-empty password replaces the stored one.
pub fn save_smtp(state: &AppState, settings: SmtpSettings, password: Option<String>) -> Res<()> {
    let password = password.filter(|p| !p.is_empty());
    with_session(state, |s| {
        s.set_smtp(&settings, password.as_deref().map(str::as_bytes))
    })
}
