//! Commands for companies. Each calls one core operation; editing a
//! company's fields is `edit_contact`, as for a person.

use tresor_core::model::companies::{CompanyDeletion, CompanyMerge, CompanyView};
use tresor_core::model::contacts::{FieldChange, RecordId};

use crate::commands::{AppState, Res, with_session};
use crate::dto::ContactPage;

/// A page of companies sorted by name.
pub fn list_companies(state: &AppState, offset: u32, limit: u32) -> Res<ContactPage> {
    with_session(state, |s| {
        Ok(ContactPage {
            total: u32::try_from(s.count_companies()?).unwrap_or(u32::MAX),
            rows: s.list_companies(offset as usize, limit as usize)?,
        })
    })
}

/// A company's page: fields, people, the latest interactions with them.
pub fn get_company(state: &AppState, id: RecordId) -> Res<CompanyView> {
    with_session(state, |s| s.company(id))
}

/// Makes a company, a sole trader's when `sole_trader` names the person.
pub fn add_company(
    state: &AppState,
    changes: Vec<FieldChange>,
    sole_trader: Option<RecordId>,
) -> Res<RecordId> {
    with_session(state, |s| s.add_company_from(&changes, sole_trader))
}

/// What deleting a company would do, to say before it is done.
pub fn company_deletion(state: &AppState, id: RecordId) -> Res<CompanyDeletion> {
    with_session(state, |s| s.company_deletion(id))
}

/// Deletes a company; its people stay.
pub fn delete_company(state: &AppState, id: RecordId) -> Res<CompanyDeletion> {
    with_session(state, |s| s.delete_company(id))
}

/// Merges `other` into `keep`.
pub fn merge_companies(state: &AppState, keep: RecordId, other: RecordId) -> Res<CompanyMerge> {
    with_session(state, |s| s.merge_companies(keep, other))
}

/// Marks a company as a person's sole trading; returns its new id.
pub fn make_sole_trader(state: &AppState, id: RecordId, person: RecordId) -> Res<RecordId> {
    with_session(state, |s| s.make_sole_trader(id, person))
}
