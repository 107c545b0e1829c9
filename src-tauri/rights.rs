//! Commands for data-subject requests, access packages, restriction,
//! objection and erasure. Each calls one core operation.

use tauri::State;
use tresor_core::categories::Lang;
use tresor_core::contacts::RecordId;
use tresor_core::erasure::{ErasureReport, VerifyReport};
use tresor_core::requests::{DsRequest, NewRequest};
use tresor_core::rights::Restriction;

use crate::commands::{AppState, Res, with_session};
use crate::consent::{free_path, slug};
use crate::dto::{PackagePreview, PreviewField, ReleasedPackage, RequestRow};

/// Every request with its deadline state.
#[tauri::command(async)]
pub fn list_requests(state: State<'_, AppState>) -> Res<Vec<RequestRow>> {
    let today = chrono::Utc::now().date_naive();
    with_session(&state, |s| {
        Ok(s.requests()?
            .into_iter()
            .map(|r| RequestRow {
                overdue: r.overdue(today),
                due_soon: r.due_soon(today),
                request: r,
            })
            .collect())
    })
}

/// Records a new request.
#[tauri::command(async)]
pub fn open_request(state: State<'_, AppState>, request: NewRequest) -> Res<DsRequest> {
    with_session(&state, |s| s.open_request(&request))
}

/// Extends a deadline once (Art. 12(3)).
#[tauri::command(async)]
pub fn extend_request(
    state: State<'_, AppState>,
    reference: String,
    reason: String,
) -> Res<DsRequest> {
    with_session(&state, |s| s.extend_request(&reference, &reason))
}

/// Closes a request.
#[tauri::command(async)]
pub fn close_request(
    state: State<'_, AppState>,
    reference: String,
    outcome: Option<String>,
) -> Res<DsRequest> {
    with_session(&state, |s| s.close_request(&reference, outcome.as_deref()))
}

/// What an access package would contain, for review before release.
#[tauri::command(async)]
pub fn preview_package(
    state: State<'_, AppState>,
    id: RecordId,
    lang: Lang,
) -> Res<PackagePreview> {
    with_session(&state, |s| {
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

/// Releases the package: one ZIP in the export folder (AES-256 with a
/// passphrase), read back and checked; the release is recorded.
#[tauri::command(async)]
pub fn release_package(
    state: State<'_, AppState>,
    id: RecordId,
    lang: Lang,
    request: Option<String>,
    passphrase: Option<String>,
) -> Res<ReleasedPackage> {
    let dir = state.export_dir();
    std::fs::create_dir_all(&dir).map_err(tresor_core::Error::io(&dir))?;
    let passphrase = passphrase.filter(|p| !p.is_empty());
    let request = request.filter(|r| !r.trim().is_empty());
    with_session(&state, |s| {
        let p = s.access_package(id, lang)?;
        let stem = format!(
            "{}-{}-{}",
            lang.pick("auskunft", "access"),
            slug(&p.data.display),
            chrono::Utc::now().format("%Y-%m-%d")
        );
        let path = free_path(&dir, &stem, "zip");
        let release = s.release_package(&p, &path, passphrase.as_deref(), request.as_deref())?;
        Ok(ReleasedPackage {
            path: path.display().to_string(),
            release,
        })
    })
}

/// The person's restriction, if any.
#[tauri::command(async)]
pub fn contact_restriction(state: State<'_, AppState>, id: RecordId) -> Res<Option<Restriction>> {
    with_session(&state, |s| s.restriction(id))
}

/// Restricts processing for a restriction request.
#[tauri::command(async)]
pub fn restrict_contact(
    state: State<'_, AppState>,
    id: RecordId,
    request: String,
) -> Res<Restriction> {
    with_session(&state, |s| s.restrict(id, &request))
}

/// Lifts a restriction.
#[tauri::command(async)]
pub fn unrestrict_contact(state: State<'_, AppState>, id: RecordId) -> Res<()> {
    with_session(&state, |s| s.unrestrict(id))
}

/// Records an objection to a purpose; returns how many addresses were suppressed.
#[tauri::command(async)]
pub fn object_contact(
    state: State<'_, AppState>,
    id: RecordId,
    purpose: String,
    request: String,
) -> Res<u32> {
    with_session(&state, |s| s.object(id, &purpose, &request))
}

/// Erases a person for an erasure request.
#[tauri::command(async)]
pub fn erase_contact(
    state: State<'_, AppState>,
    id: RecordId,
    request: String,
    suppress: bool,
) -> Res<ErasureReport> {
    with_session(&state, |s| s.erase_person(id, &request, suppress))
}

/// Searches the vault for texts; counts per place, never content.
#[tauri::command(async)]
pub fn verify_erasure(state: State<'_, AppState>, texts: Vec<String>) -> Res<VerifyReport> {
    with_session(&state, |s| s.verify_erasure(&texts))
}
